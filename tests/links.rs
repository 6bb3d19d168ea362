//! Every form of link and picture is checked against what the build publishes: the fixture
//! `links` (a site under a base path) has one of each that leads somewhere, and a page added
//! to a copy of it has one of each that does not.

mod common;

use common::{fixture, fixtures, read, run, stderr, write};
use communities::pipeline::{self, Options};

#[test]
fn every_form_of_link_that_leads_somewhere_passes_without_a_warning() {
    let options = Options {
        root: fixtures().join("links"),
        ..Options::default()
    };
    let (_, warnings) = pipeline::load(&options).expect("the links fixture builds");
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn links_are_written_with_the_base_path_and_pictures_beside_a_single_file_page_resolve() {
    let site = fixture("links");
    let output = run("build", site.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let about = read(site.path(), "public/about/index.html");
    for href in [
        "href=\"/communities/get-involved/#volunteer\"",
        "href=\"/communities/case-studies/hall/#what-happened\"",
        "href=\"/communities/case-studies/single/\"",
        "href=\"/communities/case-studies/\"",
        "href=\"/communities/case-studies/hall/plan.pdf\"",
        "href=\"/communities/logo.txt\"",
    ] {
        assert!(about.contains(href), "{href} in {about}");
    }
    let single = read(site.path(), "public/case-studies/single/index.html");
    // Pictures are published resized, under the base path; the originals are not.
    let src_of = |alt: &str| {
        let at = single.find(&format!("alt=\"{alt}\"")).expect(alt);
        let img = &single[single[..at].rfind("<img ").unwrap()..at];
        let src = img.split("src=\"").nth(1).unwrap();
        src[..src.find('"').unwrap()].to_string()
    };
    let map = src_of("A map of the parish");
    assert!(
        map.starts_with("/communities/pictures/map-800."),
        "{single}"
    );
    // A picture marked decorative has an empty description, which screen readers skip.
    let border = src_of("");
    assert!(
        border.starts_with("/communities/pictures/border-800."),
        "{single}"
    );
    for src in [map, border] {
        let published = src.trim_start_matches("/communities/");
        assert!(
            site.path().join("public").join(published).is_file(),
            "{src}"
        );
    }
    assert!(!site.path().join("public/case-studies/map.png").exists());
}

#[test]
fn every_form_of_broken_link_is_an_error_at_its_line_and_column_with_a_hint() {
    let site = fixture("links");
    write(
        site.path(),
        "content/broken.md",
        "---\ntitle: Broken\n---\n\
[a](@/case-studies/hal/index.md)\n\
[b](get-involve.md)\n\
[c](/case-studies/singel/)\n\
[d](https://links.example/communities/abuot/)\n\
[e](#nowhere)\n\
[f](@/about.md#our-teem)\n\
[g](/case-studies/plans/)\n\
[h](@/case-studies/plans.md)\n\
![A hall](hall.jpg)\n\
[i](../../secret.md)\n\
[j](/communities/case-studies/hall/plan.pdf#page=2) and [k](/case-studies/hall/missing.pdf)\n\
[l](case-studies/plans.md) [m](https://links.example/communities/case-studies/plans)\n",
    );
    let output = run("check", site.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    let expected = "\
content/broken.md:4:1: error: the link \"@/case-studies/hal/index.md\" leads to content/case-studies/hal/index.md, which does not exist
  hint: did you mean \"@/case-studies/hall/index.md\"?
content/broken.md:5:1: error: the link \"get-involve.md\" leads to content/get-involve.md, which does not exist
  hint: did you mean \"@/get-involved.md\"?
content/broken.md:6:1: error: the link \"/case-studies/singel/\" leads to no page or file of this site
  hint: did you mean \"/case-studies/single/\"?
content/broken.md:7:1: error: the link \"https://links.example/communities/abuot/\" leads to no page or file of this site
  hint: did you mean \"/about/\"?
content/broken.md:8:1: error: the link \"#nowhere\" leads to #nowhere, but this page has no heading or footnote with that id
  hint: a heading's id is its text in lower case, with hyphens for spaces
content/broken.md:9:1: error: the link \"@/about.md#our-teem\" leads to #our-teem, but that page has no heading or footnote with that id
  hint: did you mean \"#our-team\"?
content/broken.md:10:1: error: the link \"/case-studies/plans/\" leads to content/case-studies/plans.md, which is a draft and not published
  hint: publish that page (remove `draft: true`) or remove the link
content/broken.md:11:1: error: the link \"@/case-studies/plans.md\" leads to content/case-studies/plans.md, which is a draft and not published
  hint: publish that page (remove `draft: true`) or remove the link
content/broken.md:12:1: error: the picture \"hall.jpg\" leads to content/hall.jpg, which does not exist
  hint: put the picture in content/ beside the page (or in the page's folder) and write its file name
content/broken.md:13:1: error: the link \"../../secret.md\" points outside the content folder
  hint: link to a page by its file, e.g. [Botcheston](@/case-studies/botcheston.md)
content/broken.md:14:57: error: the link \"/case-studies/hall/missing.pdf\" leads to no page or file of this site
  hint: did you mean \"/case-studies/hall/plan.pdf\"?
content/broken.md:15:1: error: the link \"case-studies/plans.md\" leads to content/case-studies/plans.md, which is a draft and not published
  hint: publish that page (remove `draft: true`) or remove the link
content/broken.md:15:28: error: the link \"https://links.example/communities/case-studies/plans\" leads to content/case-studies/plans.md, which is a draft and not published
  hint: publish that page (remove `draft: true`) or remove the link
13 errors found; nothing was written
";
    assert_eq!(without_excerpts(&stderr(&output)), expected);
}

/// The report less the quoted source lines and carets (tested in `tests/mistakes.rs`), so the
/// expected text shows each message and hint plainly.
fn without_excerpts(report: &str) -> String {
    report
        .lines()
        .filter(|line| {
            !line
                .trim_start()
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .trim_start()
                .starts_with('|')
        })
        .map(|line| format!("{line}\n"))
        .collect()
}

#[test]
fn a_link_to_a_draft_passes_when_drafts_are_built() {
    let site = fixture("links");
    write(
        site.path(),
        "content/news.md",
        "---\ntitle: News\n---\nSee [the plans](@/case-studies/plans.md).\n",
    );
    assert_eq!(run("check", site.path(), &[]).status.code(), Some(1));
    let output = run("build", site.path(), &["--drafts"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn a_link_to_a_heading_of_a_section_in_the_whole_report_is_checked() {
    let site = fixture("kinds");
    write(
        site.path(),
        "content/about.md",
        "---\ntitle: About\n---\n[grants](/annual-report/2020-21/full/#grants) [nothing](/annual-report/2020-21/full/#grantz)\n",
    );
    let output = run("check", site.path(), &[]);
    let report = stderr(&output);
    assert!(report.contains("1 error found"), "{report}");
    assert!(
        report.contains("content/about.md:4:47: error: the link \"/annual-report/2020-21/full/#grantz\" leads to #grantz, but the whole report has no heading or footnote with that id"),
        "{report}"
    );
}

#[test]
fn a_body_edit_in_serve_is_link_checked_like_a_build() {
    use communities::incremental::Session;
    let site = fixture("links");
    let root = site.path();
    let (mut session, first) = Session::new(root, None);
    first.expect("first build");
    let about = read(root, "content/about.md");
    write(
        root,
        "content/about.md",
        &about.replace(
            "[a heading on this page](#our-team)",
            "[a heading on this page](#our-teem)",
        ),
    );
    let problems = session
        .update(&[root.join("content/about.md")])
        .expect_err("the broken anchor stops the rebuild");
    let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        lines,
        [
            "content/about.md:14:3: error: the link \"#our-teem\" leads to #our-teem, but this page has no heading or footnote with that id\n  hint: did you mean \"#our-team\"?"
        ]
    );
}

#[test]
fn many_links_and_many_broken_ones_are_checked_in_linear_time() {
    let site = fixture("links");
    let mut body = String::from("---\ntitle: Long\n---\n");
    for i in 0..10_000 {
        body.push_str(&format!(
            "## Part {i}\n\nSee [part {i}](#part-{i}) and [nothing](#nothing-{i}).\n\n"
        ));
    }
    write(site.path(), "content/long.md", &body);
    let options = Options {
        root: site.path().to_path_buf(),
        ..Options::default()
    };
    let start = std::time::Instant::now();
    let errors = pipeline::load(&options).expect_err("the broken links are errors");
    // Generous: a debug build on a busy machine; checking in square time takes minutes.
    assert!(
        start.elapsed() < std::time::Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(errors.len(), 10_000);
    assert_eq!(
        errors[0].to_string(),
        "content/long.md:6:27: error: the link \"#nothing-0\" leads to #nothing-0, but this page has no heading or footnote with that id\n  hint: a heading's id is its text in lower case, with hyphens for spaces"
    );
}
