//! Snapshots of representative rendered pages: the main content of each kind of page, so
//! that any change to what a page shows is seen and reviewed.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use common::{fixture, read, run, stderr};

/// The `kinds` fixture built once for all snapshots.
fn public() -> &'static PathBuf {
    static BUILT: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &BUILT
        .get_or_init(|| {
            let site = fixture("kinds");
            let output = run("build", site.path(), &[]);
            assert!(output.status.success(), "{}", stderr(&output));
            let public = site.path().join("public");
            (site, public)
        })
        .1
}

/// The page's `<main>` element, where each kind of page differs.
fn main_of(page: &str) -> String {
    let html = read(public(), page);
    let start = html.find("<main").expect("a main element");
    let end = html.find("</main>").expect("main is closed") + "</main>".len();
    html[start..end].to_string()
}

#[test]
fn home_page() {
    insta::assert_snapshot!(main_of("index.html"));
}

#[test]
fn case_study_page() {
    insta::assert_snapshot!(main_of("case-studies/botcheston/index.html"));
}

#[test]
fn resource_page() {
    insta::assert_snapshot!(main_of("resources/village-hall-toolkit/index.html"));
}

#[test]
fn report_year_page() {
    insta::assert_snapshot!(main_of("annual-report/2020-21/index.html"));
}

#[test]
fn report_section_page() {
    insta::assert_snapshot!(main_of("annual-report/2020-21/grants/index.html"));
}

#[test]
fn section_listing_page() {
    insta::assert_snapshot!(main_of("case-studies/index.html"));
}

#[test]
fn taxonomy_term_page() {
    insta::assert_snapshot!(main_of("tags/village-halls/index.html"));
}

#[test]
fn not_found_page() {
    insta::assert_snapshot!(main_of("404.html"));
}

/// The text with each content hash in a file name (`style.1a2b3c4d5e.css`) written `[hash]`,
/// so that a change to a stylesheet does not change the snapshot of a page.
fn without_hashes(text: &str) -> String {
    let parts: Vec<&str> = text.split('.').collect();
    let mut out = String::with_capacity(text.len());
    for (i, part) in parts.iter().enumerate() {
        let hashed = i > 0
            && i + 1 < parts.len()
            && part.len() == 10
            && part.chars().all(|c| c.is_ascii_hexdigit());
        if i > 0 {
            out.push('.');
        }
        out.push_str(if hashed { "[hash]" } else { part });
    }
    out
}

#[test]
fn whole_page_layout() {
    assert_eq!(
        without_hashes("/style.1a2b3c4d5e.css v1.2"),
        "/style.[hash].css v1.2"
    );
    insta::assert_snapshot!(without_hashes(&read(public(), "about/index.html")));
}

#[test]
fn area_page_of_a_district_with_no_case_study_yet() {
    insta::assert_snapshot!(main_of("areas/blaby/index.html"));
}
