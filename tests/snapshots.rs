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

#[test]
fn whole_page_layout() {
    insta::assert_snapshot!(read(public(), "about/index.html"));
}
