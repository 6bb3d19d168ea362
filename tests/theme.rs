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
        stderr(&output).contains("content/annual-report/2030-31/full.md:1:1: error: this page would be published at /annual-report/2030-31/full/, which the site uses for a listing"),
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
