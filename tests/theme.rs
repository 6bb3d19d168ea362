//! What the default theme shows, on the `theme` fixture: the whole-report page, attachments,
//! images and pagination.

mod common;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::OnceLock;

use common::{fixture, read, run, stderr, write};

/// The `theme` fixture built once for the tests that only read it.
fn public() -> &'static PathBuf {
    static BUILT: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &BUILT
        .get_or_init(|| {
            let site = fixture("theme");
            let output = run("build", site.path(), &[]);
            assert!(output.status.success(), "{}", stderr(&output));
            let public = site.path().join("public");
            (site, public)
        })
        .1
}

/// The text from the first `start` up to and including the next `end`.
fn element<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html.find(start).unwrap_or_else(|| panic!("no {start}"));
    let to = from + html[from..].find(end).unwrap_or_else(|| panic!("no {end}")) + end.len();
    &html[from..to]
}

fn ids(html: &str) -> Vec<&str> {
    html.split(" id=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect()
}

#[test]
fn whole_report_has_every_section_in_order_with_unique_ids() {
    let html = read(public(), "annual-report/2030-31/full/index.html");
    let grants = html.find("<h2 id=\"grants\">Grants</h2>").expect("grants");
    let halls = html.find("<h2 id=\"halls\">Halls</h2>").expect("halls");
    assert!(grants < halls, "sections keep report order");
    // Each section's own headings sit one level below its title, with prefixed ids.
    assert!(html.contains("<h3 id=\"grants-overview\">Overview</h3>"));
    assert!(html.contains("href=\"#grants-what-next\""));
    let all = ids(&html);
    let unique: HashSet<&str> = all.iter().copied().collect();
    assert_eq!(all.len(), unique.len(), "repeated ids in {all:?}");
    insta::assert_snapshot!(element(&html, "<main", "</main>"));
}

#[test]
fn report_year_links_to_its_whole_report() {
    let html = read(public(), "annual-report/2030-31/index.html");
    assert!(html.contains("href=\"/annual-report/2030-31/full/\""));
}

#[test]
fn a_report_section_cannot_take_the_whole_report_address() {
    let site = fixture("theme");
    write(
        site.path(),
        "content/annual-report/2030-31/full.md",
        "---\ntitle: Full\n---\n",
    );
    let output = run("build", site.path(), &[]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("content/annual-report/2030-31/full.md: error: the page content/annual-report/2030-31/full.md would be published at /annual-report/2030-31/full/, where it clashes with the full report of content/annual-report/2030-31/_index.md"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn attachments_show_file_type_size_and_pdf_page_count() {
    let html = read(public(), "resources/toolkit/index.html");
    let attachment = element(&html, "<div class=\"attachment\">", "</p>");
    assert!(attachment.contains("<a href=\"/resources/toolkit/checklist.pdf\">Hall checklist</a>"));
    let size = std::fs::metadata(public().join("resources/toolkit/checklist.pdf"))
        .unwrap()
        .len();
    assert!(
        attachment.ends_with(&format!(
            "<abbr title=\"Portable Document Format\">PDF</abbr>, {size} bytes, 3 pages</p>"
        )),
        "{attachment}"
    );
}

#[test]
fn images_have_alt_text_and_their_size_and_card_images_load_lazily() {
    let page = read(public(), "case-studies/project-1/index.html");
    let lead = element(&page, "<picture>", "</picture>");
    assert!(
        lead.contains("<source type=\"image/webp\" srcset=\"/pictures/hall-480."),
        "{lead}"
    );
    assert!(
        lead.contains("alt=\"The village hall with its doors open\" width=\"800\" height=\"400\" fetchpriority=\"high\">"),
        "{lead}"
    );
    let listing = read(public(), "case-studies/page/2/index.html");
    let card = element(&listing, "<li class=\"card\">", "</picture>");
    assert!(
        card.contains("alt=\"\" loading=\"lazy\" decoding=\"async\" width=\"800\" height=\"400\">"),
        "{card}"
    );
}

#[test]
fn pagination_is_a_labelled_nav_with_the_current_page_marked() {
    let html = read(public(), "case-studies/page/2/index.html");
    let nav = element(&html, "<nav class=\"pagination\"", "</nav>");
    assert!(nav.contains("aria-label=\"Pages of results\""));
    assert!(nav.contains("<a href=\"/case-studies/page/2/\" aria-current=\"page\"><span class=\"visually-hidden\">Page </span>2</a>"));
    assert!(nav.contains("<a href=\"/case-studies/\" rel=\"prev\">"));
    assert_eq!(nav.matches("aria-current").count(), 1);
}

#[test]
fn every_page_but_home_has_breadcrumbs() {
    let home = read(public(), "index.html");
    assert!(!home.contains("aria-label=\"Breadcrumb\""));
    for page in [
        "case-studies/project-1/index.html",
        "annual-report/2030-31/full/index.html",
        "tags/halls/page/2/index.html",
        "404.html",
    ] {
        let html = read(public(), page);
        let crumbs = element(&html, "<nav class=\"breadcrumbs\"", "</nav>");
        assert!(crumbs.contains("<li><a href=\"/\">Home</a></li>"), "{page}");
    }
}

/// The custom properties (`--name`) a stylesheet uses with `var()` but never defines.
fn undefined_custom_properties(css: &str) -> Vec<String> {
    let names = |marker: &str| -> Vec<String> {
        css.split(marker)
            .skip(1)
            .map(|rest| {
                let end = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
                    .unwrap_or(rest.len());
                format!("--{}", &rest[..end])
            })
            .collect()
    };
    let used = names("var(--");
    // A definition is the name followed by a colon, as in `--ink: #0b0c0c`.
    let defined: HashSet<String> = names("--")
        .into_iter()
        .filter(|name| {
            css.split(name.as_str())
                .skip(1)
                .any(|rest| rest.trim_start().starts_with(':'))
        })
        .collect();
    let mut missing: Vec<String> = used.into_iter().filter(|n| !defined.contains(n)).collect();
    missing.sort();
    missing.dedup();
    missing
}

#[test]
fn every_custom_property_the_theme_uses_is_defined() {
    assert_eq!(
        undefined_custom_properties(
            ":root { --ink: #000; }\na { color: var(--text); border-color: var(--ink); }"
        ),
        ["--text"],
        "the check finds a property that is used but not defined"
    );
    let static_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/static");
    // Every page loads style.css, which defines the properties; the others use them.
    let all: String = std::fs::read_dir(&static_dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "css"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(all.contains("var(--"), "the stylesheets were read");
    assert_eq!(undefined_custom_properties(&all), Vec::<String>::new());
}

#[test]
fn every_page_has_the_same_support_links_and_says_whose_site_it_is() {
    let site = fixture("theme");
    write(
        site.path(),
        "site.yaml",
        &format!(
            "{}  support:\n    - {{name: Accessibility statement, url: /accessibility/}}\n    - {{name: Cookies, url: /cookies/}}\n  owner:\n    - {{name: Fixture Council, url: https://council.example/}}\n  licence:\n    - {{name: Open Government Licence v3.0, url: https://ogl.example/}}\n",
            read(site.path(), "site.yaml")
        ),
    );
    let output = run("build", site.path(), &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let public = site.path().join("public");
    let mut footers = HashSet::new();
    for page in [
        "index.html",
        "case-studies/project-1/index.html",
        "annual-report/2030-31/full/index.html",
        "tags/halls/page/2/index.html",
        "areas/blaby/index.html",
        "search/index.html",
        "404.html",
    ] {
        let html = read(&public, page);
        footers.insert(element(&html, "<footer", "</footer>").to_string());
    }
    assert_eq!(footers.len(), 1, "the footer differs between pages");
    let footer = footers.into_iter().next().unwrap();
    let support = element(&footer, "<nav class=\"support-links\"", "</nav>");
    let accessibility = support.find("href=\"/accessibility/\">Accessibility statement</a>");
    let cookies = support.find("href=\"/cookies/\">Cookies</a>");
    assert!(
        accessibility.is_some() && accessibility < cookies,
        "{support}"
    );
    assert!(footer.contains(
        "<strong>Theme fixture</strong> is a website of <a href=\"https://council.example/\">Fixture Council</a>."
    ));
    assert!(footer.contains(
        "All content is available under the <a rel=\"license\" href=\"https://ogl.example/\">Open Government Licence v3.0</a>"
    ));
}

#[test]
fn only_pages_with_highlighted_code_load_the_highlighting_stylesheet() {
    let site = fixture("theme");
    write(
        site.path(),
        "content/code.md",
        "---\ntitle: Code\n---\n```rust\nfn main() {}\n```\n",
    );
    let output = run("build", site.path(), &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let public = site.path().join("public");
    assert!(read(&public, "code/index.html").contains("/highlight."));
    for page in [
        "index.html",
        "case-studies/project-1/index.html",
        "404.html",
    ] {
        let html = read(&public, page);
        assert!(html.contains("/style."), "{page}");
        assert!(
            !html.contains("/highlight."),
            "{page} loads the highlighting stylesheet"
        );
    }
}

#[test]
fn every_allowed_area_has_a_page_listed_with_the_areas() {
    let areas = read(public(), "areas/index.html");
    for choice in communities::models::AREAS {
        let page = read(public(), &format!("areas/{}/index.html", choice.value));
        assert!(
            page.contains(&format!("<h1>{}", choice.name)),
            "{}",
            choice.value
        );
        assert!(
            areas.contains(&format!("href=\"/areas/{}/\"", choice.value)),
            "{}",
            choice.value
        );
    }
    let sitemap = read(public(), "sitemap.xml");
    assert!(
        sitemap.contains("<loc>https://fixture.example/areas/blaby/</loc>"),
        "{sitemap}"
    );
}

#[test]
fn the_editors_guide_is_not_published_with_the_repository_site() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("public");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = run("build", root, &["--output", target.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!target.join("help").exists());
    assert!(!read(&target, "sitemap.xml").contains("/help/"));
    for page in ["accessibility", "privacy", "contact"] {
        let html = read(&target, &format!("{page}/index.html"));
        assert!(
            html.contains("href=\"mailto:leicestershirecommunities@leics.gov.uk\""),
            "{page}"
        );
    }
    assert!(read(&target, "cookies/index.html").contains("This website does not use cookies."));
    assert!(read(&target, "index.html").contains(
        "is a website of <a href=\"https://www.leicestershire.gov.uk/\">Leicestershire County Council</a>"
    ));
    let statement = read(&target, "accessibility/index.html");
    for heading in [
        "How accessible this website is",
        "Feedback and contact information",
        "Reporting accessibility problems with this website",
        "Enforcement procedure",
        "Compliance status",
        "Non-accessible content",
        "Preparation of this accessibility statement",
    ] {
        assert!(statement.contains(&format!(">{heading}</h")), "{heading}");
    }
}
