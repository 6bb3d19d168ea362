//! Building a site: every kind of page, pretty URLs, drafts, bundles, theme overrides, the
//! base URL, identical output from identical input, and output that is never lost.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{fixture, read, run, stderr, stdout, write};

/// Every file below `dir` with its bytes, keyed by relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

fn build_ok(root: &Path, extra: &[&str]) -> String {
    let output = run("build", root, extra);
    assert!(
        output.status.success(),
        "build failed:\n{}",
        stderr(&output)
    );
    stdout(&output)
}

#[test]
fn every_kind_of_page_gets_a_pretty_url() {
    let site = fixture("kinds");
    let summary = build_ok(site.path(), &[]);
    assert!(
        summary.starts_with("Built 41 pages and 1 file in "),
        "{summary}"
    );
    let public = site.path().join("public");
    for page in [
        "index.html",
        "about/index.html",
        "case-studies/index.html",
        "case-studies/page/2/index.html",
        "case-studies/botcheston/index.html",
        "resources/village-hall-toolkit/index.html",
        "annual-report/2020-21/index.html",
        "annual-report/2020-21/grants/index.html",
        "principles/index.html",
        "principles/prevention/index.html",
        "areas/hinckley-and-bosworth/index.html",
        "approaches/asset-based/index.html",
        "outcomes/safe-and-well/index.html",
        "tags/village-halls/index.html",
        "404.html",
    ] {
        assert!(public.join(page).is_file(), "{page} is missing");
    }
    assert!(read(&public, &stylesheet(&public)).contains("--brand"));
}

/// The published stylesheet, under its content-hashed name (`style.<hash>.css`).
fn stylesheet(public: &Path) -> String {
    std::fs::read_dir(public)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| {
            n.starts_with("style.")
                && n.ends_with(".css")
                && n.len() == "style.0123456789.css".len()
        })
        .expect("a hashed stylesheet")
}

#[test]
fn bundle_files_are_copied_beside_their_page_and_listed_with_type_and_size() {
    let site = fixture("kinds");
    build_ok(site.path(), &[]);
    let public = site.path().join("public");
    assert_eq!(
        read(&public, "resources/village-hall-toolkit/checklist.txt"),
        "Is the roof sound?\nAre the fire doors clear?\n"
    );
    let page = read(&public, "resources/village-hall-toolkit/index.html");
    assert!(page.contains(
        "href=\"/resources/village-hall-toolkit/checklist.txt\">Village hall checklist</a>"
    ));
    assert!(page.contains("TXT, 45 bytes"), "{page}");
}

#[test]
fn internal_links_resolve_to_page_urls_with_anchors() {
    let site = fixture("kinds");
    build_ok(site.path(), &[]);
    let public = site.path().join("public");
    let about = read(&public, "about/index.html");
    assert!(about.contains("href=\"/resources/village-hall-toolkit/#checklist\""));
    assert!(about.contains("<h2 id=\"who-we-are\">") && about.contains("<h2 id=\"who-we-are-1\">"));
    let botcheston = read(&public, "case-studies/botcheston/index.html");
    assert!(botcheston.contains("href=\"/case-studies/melton-cafe/\""));
}

#[test]
fn drafts_are_left_out_unless_asked_for() {
    let site = fixture("kinds");
    build_ok(site.path(), &[]);
    assert!(!site.path().join("public/draft-plans").exists());
    build_ok(site.path(), &["--drafts"]);
    assert!(site.path().join("public/draft-plans/index.html").is_file());
}

#[test]
fn linking_to_a_draft_is_an_error_when_drafts_are_left_out() {
    let site = fixture("kinds");
    write(
        site.path(),
        "content/plans-link.md",
        "---\ntitle: Link\n---\nSee [plans](@/draft-plans.md).\n",
    );
    let output = run("check", site.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(
            "content/plans-link.md:4:5: error: the link \"@/draft-plans.md\" leads to content/draft-plans.md, which is a draft and not published"
        ),
        "{}",
        stderr(&output)
    );
}

#[test]
fn section_listings_are_ordered_and_paginated() {
    let site = fixture("kinds");
    build_ok(site.path(), &[]);
    let public = site.path().join("public");
    let first = read(&public, "case-studies/index.html");
    let melton = first.find("Melton repair café").unwrap();
    let botcheston = first.find("Botcheston shopping hub").unwrap();
    assert!(melton < botcheston, "newest first");
    assert!(!first.contains("Wigston health walks"), "page size is 2");
    assert!(first.contains("href=\"/case-studies/page/2/\""));
    let second = read(&public, "case-studies/page/2/index.html");
    assert!(second.contains("Wigston health walks"));
    assert!(second.contains("aria-current=\"page\""));
}

#[test]
fn report_sections_link_to_previous_and_next_in_weight_order() {
    let site = fixture("kinds");
    build_ok(site.path(), &[]);
    let public = site.path().join("public");
    let grants = read(&public, "annual-report/2020-21/grants/index.html");
    assert!(grants.contains("rel=\"next\""));
    assert!(!grants.contains("rel=\"prev\""));
    assert!(grants.contains("href=\"/annual-report/2020-21/volunteering/\""));
    let year = read(&public, "annual-report/2020-21/index.html");
    assert!(year.find(">Grants<").unwrap() < year.find(">Volunteering<").unwrap());
}

#[test]
fn base_url_override_prefixes_every_internal_link() {
    let site = fixture("kinds");
    build_ok(site.path(), &["--base-url", "https://preview.example/sub/"]);
    let about = read(&site.path().join("public"), "about/index.html");
    let css = stylesheet(&site.path().join("public"));
    assert!(about.contains(&format!("href=\"/sub/{css}\"")));
    assert!(about.contains("href=\"/sub/resources/village-hall-toolkit/#checklist\""));
    assert!(!about.contains("href=\"/case-studies/\""));
}

#[test]
fn a_site_template_overrides_the_built_in_one_of_the_same_name() {
    let site = fixture("kinds");
    write(
        site.path(),
        "themes/default/templates/page.html",
        "{% extends \"base.html\" %}{% block content %}<h1>Own: {{ page.title }}</h1>{% endblock content %}",
    );
    build_ok(site.path(), &[]);
    let public = site.path().join("public");
    assert!(read(&public, "about/index.html").contains("<h1>Own: About us</h1>"));
    // The other templates, and the built-in base layout, are still used.
    assert!(read(&public, "case-studies/botcheston/index.html").contains("Skip to main content"));
}

#[test]
fn two_builds_give_identical_bytes() {
    let site = fixture("kinds");
    build_ok(site.path(), &["--output", "one"]);
    build_ok(site.path(), &["--output", "two"]);
    let one = tree(&site.path().join("one"));
    let two = tree(&site.path().join("two"));
    assert!(one.len() > 20);
    assert_eq!(one, two);
}

/// `build` lets go of each body's Markdown once rendered and of the pages' HTML once the pages
/// are written; a build that writes the pages and then what is made from the whole site, as
/// `serve` does, holds everything to the end. Both write the same bytes, the search index and
/// the whole report included.
#[test]
fn a_build_that_lets_go_of_rendered_pages_writes_what_a_build_holding_them_writes() {
    use communities::output::{MARKER, MemorySink};
    use communities::pipeline::{self, Options};

    let site = fixture("kinds");
    let options = Options {
        root: site.path().to_path_buf(),
        output: Some("public".into()),
        ..Options::default()
    };
    pipeline::build(&options).unwrap();
    let mut built = tree(&site.path().join("public"));
    built.remove(MARKER);

    let (model, _) = pipeline::load(&options).unwrap();
    let (statics, tera) = pipeline::prepare(site.path(), &model).unwrap();
    let sink = MemorySink::default();
    let pages = pipeline::write_pages(site.path(), &model, &tera, &statics, None, &sink, &|| false);
    assert!(pages.problems.is_empty(), "{:?}", pages.problems);
    let site_wide = pipeline::write_site_wide(&model, &tera, &sink, None);
    assert!(site_wide.is_empty(), "{site_wide:?}");
    let in_memory: BTreeMap<String, Vec<u8>> = sink
        .into_files()
        .into_iter()
        .map(|(path, bytes)| (path, bytes.to_vec()))
        .collect();

    assert!(built.keys().any(|path| path.starts_with("search/results/")));
    assert!(built.contains_key("annual-report/2020-21/full/index.html"));
    assert_eq!(built, in_memory);
}

#[test]
fn a_failed_build_leaves_the_previous_output_exactly_as_it_was() {
    let site = fixture("kinds");
    build_ok(site.path(), &[]);
    let before = tree(&site.path().join("public"));
    write(
        site.path(),
        "content/about.md",
        "---\ntitle: About\ndate: 2021-13-01\n---\n",
    );
    let output = run("build", site.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(tree(&site.path().join("public")), before);
    let leftovers: Vec<_> = std::fs::read_dir(site.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("building"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_rebuild_replaces_pages_that_no_longer_exist() {
    let site = fixture("kinds");
    build_ok(site.path(), &[]);
    std::fs::remove_file(site.path().join("content/case-studies/wigston-walks.md")).unwrap();
    build_ok(site.path(), &[]);
    assert!(
        !site
            .path()
            .join("public/case-studies/wigston-walks")
            .exists()
    );
}

/// Each unsafe output is refused with exit 1, and every file that was there is still there.
fn assert_refused(site: &Path, output_dir: &str, why: &str) {
    let before = tree(site);
    let output = run("build", site, &["--output", output_dir]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{output_dir} was not refused"
    );
    let text = stderr(&output);
    assert!(text.contains(why), "{output_dir}: {text}");
    assert_eq!(tree(site), before, "{output_dir}: files changed");
}

#[test]
fn output_that_is_the_root_is_refused() {
    let site = fixture("kinds");
    assert_refused(site.path(), ".", "it is the site folder or contains it");
}

#[test]
fn output_that_contains_the_root_is_refused() {
    let site = fixture("kinds");
    assert_refused(site.path(), "..", "it is the site folder or contains it");
}

#[test]
fn output_inside_the_sources_is_refused() {
    let site = fixture("kinds");
    assert_refused(site.path(), "content/out", "it is inside content/");
    assert_refused(site.path(), "themes/out", "it is inside themes/");
    assert_refused(site.path(), "static", "it is inside static/");
}

#[test]
fn output_with_files_this_tool_did_not_write_is_refused() {
    let site = fixture("kinds");
    write(site.path(), "notes/todo.txt", "keep me");
    assert_refused(
        site.path(),
        "notes",
        "it already has files in it that communities did not write",
    );
    assert_eq!(read(site.path(), "notes/todo.txt"), "keep me");
}

#[test]
fn a_site_with_only_site_yaml_and_content_uses_the_built_in_theme() {
    let site = fixture("kinds");
    assert!(!site.path().join("themes").exists());
    build_ok(site.path(), &[]);
    let public = site.path().join("public");
    assert!(read(&public, &stylesheet(&public)).contains("--brand"));
}

#[test]
fn check_writes_nothing() {
    let site = fixture("kinds");
    let output = run("check", site.path(), &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("Checked 41 pages"));
    assert!(!site.path().join("public").exists());
}

#[test]
fn this_repository_site_builds_without_warnings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = run("check", root, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stderr(&output), "", "warnings or errors on the real site");
}
