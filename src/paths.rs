//! Where things are published: site paths and the output files they are written to.

/// The output file of a site path: `/a/` -> `a/index.html`.
pub fn output_path(url: &str) -> String {
    let trimmed = url.trim_start_matches('/');
    if trimmed.is_empty() || trimmed.ends_with('/') {
        format!("{trimmed}index.html")
    } else {
        trimmed.to_string()
    }
}

/// Listing page `n` of a listing whose first page is at `first`.
pub(crate) fn listing_url(first: &str, n: usize) -> String {
    if n <= 1 {
        first.to_string()
    } else {
        format!("{first}page/{n}/")
    }
}

/// Where a report year's whole report is published.
pub(crate) fn full_report_url(year_url: &str) -> String {
    format!("{year_url}full/")
}

/// How many listing pages `items` take, one at least.
pub(crate) fn page_count(items: usize, page_size: usize) -> usize {
    items.div_ceil(page_size).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_paths_are_pretty() {
        assert_eq!(output_path("/"), "index.html");
        assert_eq!(output_path("/a/b/"), "a/b/index.html");
        assert_eq!(output_path("/404.html"), "404.html");
    }

    #[test]
    fn listing_urls_number_from_two() {
        assert_eq!(listing_url("/case-studies/", 1), "/case-studies/");
        assert_eq!(listing_url("/case-studies/", 2), "/case-studies/page/2/");
        assert_eq!(page_count(0, 10), 1);
        assert_eq!(page_count(21, 10), 3);
    }
}
