//! Every mistake a volunteer can make is reported at its file and line, all in one run, with
//! exit status 1 and no panic.

mod common;

use std::sync::OnceLock;

use common::{fixtures, run, stderr};

/// `check` over the fixture that holds one file per mistake, run once for all tests.
fn report() -> &'static str {
    static REPORT: OnceLock<String> = OnceLock::new();
    REPORT.get_or_init(|| {
        let output = run("check", &fixtures().join("mistakes"), &[]);
        assert_eq!(output.status.code(), Some(1), "check must fail");
        let text = stderr(&output);
        assert!(!text.contains("panicked"), "{text}");
        text
    })
}

/// Asserts that the report has this exact `path:line:col: error: message` line.
fn reported(line: &str) {
    assert!(
        report().lines().any(|l| l == line),
        "expected the line\n  {line}\nin the report:\n{}",
        report()
    );
}

fn hinted(hint: &str) {
    assert!(
        report().lines().any(|l| l == format!("  hint: {hint}")),
        "expected the hint {hint:?} in:\n{}",
        report()
    );
}

#[test]
fn every_mistake_of_the_run_is_reported_with_a_count() {
    assert!(
        report().ends_with("20 errors found; nothing was written\n"),
        "{}",
        report()
    );
}

#[test]
fn missing_front_matter() {
    reported(
        "content/no-front-matter.md:1:1: error: this file has no front matter: it must start with a line `---`",
    );
}

#[test]
fn front_matter_never_closed() {
    reported(
        "content/unclosed.md:1:1: error: the front matter is never closed: no second `---` line was found",
    );
}

#[test]
fn malformed_yaml_is_reported_at_the_line_of_the_md_file() {
    reported(
        "content/malformed-yaml.md:4:1: error: this YAML cannot be read: did not find expected ',' or ']'",
    );
}

#[test]
fn front_matter_that_is_not_a_mapping() {
    reported(
        "content/not-a-mapping.md:2:1: error: the front matter must be a list of `field: value` lines, but this is a list",
    );
}

#[test]
fn required_field_missing() {
    reported(
        "content/case-studies/missing-summary.md:4:1: error: the required field `summary` is missing",
    );
    hinted(
        "add a line `summary: ...` above the closing `---`, with one or two sentences about the project",
    );
}

#[test]
fn text_where_a_list_is_needed() {
    reported(
        "content/case-studies/wrong-type.md:5:1: error: `principles` must be a list, but it is text",
    );
    hinted("write it as a list, e.g. principles: [prevention]");
}

#[test]
fn unknown_field_suggests_the_nearest_field() {
    reported(
        "content/case-studies/unknown-field.md:5:1: error: `principle` is not a field of a case study",
    );
    hinted("did you mean \"principles\"?");
}

#[test]
fn value_outside_the_allowed_set_suggests_the_nearest_value() {
    reported(
        "content/case-studies/bad-area.md:5:7: error: \"charnwod\" is not an allowed value of `area` (allowed: blaby, charnwood, harborough, hinckley-and-bosworth, melton, north-west-leicestershire, oadby-and-wigston, countywide)",
    );
    hinted("did you mean \"charnwood\"?");
}

#[test]
fn impossible_date() {
    reported(
        "content/impossible-date.md:3:1: error: `date` is 2021-02-30, which is not a real date",
    );
}

#[test]
fn image_without_alt_text() {
    reported("content/image-without-alt.md:3:1: error: `image` is set but `image_alt` is missing");
}

#[test]
fn image_file_that_does_not_exist() {
    reported("content/missing-image.md:3:1: error: the image file \"hall.jpg\" does not exist");
}

#[test]
fn attachment_file_that_does_not_exist() {
    reported(
        "content/resources/missing-attachment.md:5:11: error: the attachment file \"plan.pdf\" does not exist",
    );
}

#[test]
fn link_to_a_missing_page() {
    reported(
        "content/broken-link.md:6:5: error: the link \"@/resources/plan.md\" points to content/resources/plan.md, which does not exist",
    );
}

#[test]
fn two_pages_on_one_url_are_both_reported() {
    reported(
        "content/first.md:3:1: error: this page and content/same-place.md would both be published at /same-place/",
    );
    reported(
        "content/same-place.md: error: this page and content/first.md would both be published at /same-place/",
    );
}

#[test]
fn slugs_must_be_one_plain_url_segment() {
    reported(
        "content/bad-slug.md:3:1: error: the slug \"../escape\" is not one plain part of a web address",
    );
    reported(
        "content/nested-slug.md:3:1: error: the slug \"a/b\" is not one plain part of a web address",
    );
    reported(
        "content/empty-slug.md:3:1: error: the slug \"\" is not one plain part of a web address",
    );
    hinted("use lower-case letters, digits and hyphens, e.g. slug: a-b");
}

#[test]
fn file_that_is_not_utf8_is_reported_where_the_bad_byte_is() {
    reported("content/not-utf8.md:2:11: error: this file is not valid UTF-8 text");
}

#[test]
fn empty_file() {
    reported("content/empty.md: error: this file is empty");
}

#[test]
fn template_error_names_the_template_and_line() {
    let output = run("check", &fixtures().join("template-error"), &[]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.starts_with(
            "themes/default/templates/page.html:4:12: error: template error: Field `no_such_field` is not defined."
        ),
        "{text}"
    );
    assert!(
        text.ends_with("1 error found; nothing was written\n"),
        "{text}"
    );
}

#[test]
fn build_reports_the_same_mistakes_as_check_and_writes_nothing() {
    let site = common::fixture("mistakes");
    let output = run("build", site.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stderr(&output), report());
    assert!(!site.path().join("public").exists());
}
