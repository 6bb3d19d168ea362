//! Every mistake a volunteer can make is reported at its file and line with what to write
//! instead, all in one run, with exit status 1, no panic, and nothing written.
//!
//! Two parts: one fixture site holding many mistakes at once (all of a run are reported
//! together), and a catalogue of realistic mistakes, each built as a small site of its own.

mod common;

use std::sync::OnceLock;

use common::{fixtures, run, stderr};
use communities::diagnostics::{Diagnostic, ProblemKind, Severity};
use communities::pipeline::{self, Options};

const SITE_YAML: &str = "title: Mistakes\nbase_url: https://mistakes.example/\n";

/// One mistake: the files of a small site that makes it, and what `check` must say.
struct Mistake {
    files: &'static [(&'static str, &'static str)],
    /// The first line of the report, exactly: `path:line:col: severity: message`.
    reported: &'static str,
    hint: &'static str,
}

const fn mistake(
    files: &'static [(&'static str, &'static str)],
    reported: &'static str,
    hint: &'static str,
) -> Mistake {
    Mistake {
        files,
        reported,
        hint,
    }
}

/// A case study's required fields, for mistakes elsewhere in one.
macro_rules! case_study {
    ($rest:literal) => {
        concat!(
            "---\ntitle: Village hall\nsummary: A hall saved by volunteers.\ndate: 2021-03-31\n",
            $rest,
            "---\nBody.\n"
        )
    };
}

macro_rules! page {
    ($rest:literal) => {
        concat!("---\ntitle: About\n", $rest, "---\nBody.\n")
    };
}

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
        "content/malformed-yaml.md:3:10: error: the list that starts here with `[` is not closed with `]`",
    );
    hinted("end it with `]`: `summary: [oops]`");
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
        "content/broken-link.md:6:5: error: the link \"@/resources/plan.md\" leads to content/resources/plan.md, which does not exist",
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

/// The catalogue. Each entry is a mistake seen from volunteers, with the report it gets.
const CATALOGUE: &[Mistake] = &[
    // The front matter's fences.
    mistake(
        &[("content/a.md", "# About us\n\nWe are a team.\n")],
        "content/a.md:1:1: error: this file has no front matter: it must start with a line `---`",
        "add `---`, `title: Your title` and `---` as the first three lines",
    ),
    mistake(
        &[("content/a.md", "---\ntitle: About\n\nBody.\n")],
        "content/a.md:1:1: error: the front matter is never closed: no second `---` line was found",
        "add a line `---` after the last front matter field, before the page text",
    ),
    mistake(
        &[(
            "content/a.md",
            "+++\ntitle = \"About\"\ndate = 2021-03-31\n+++\nBody.\n",
        )],
        "content/a.md:1:1: error: this front matter is between `+++` lines (TOML), but this site reads YAML between `---` lines",
        "write it like this:\n---\ntitle: \"About\"\ndate: 2021-03-31\n---",
    ),
    mistake(
        &[("content/a.md", "----\ntitle: About\n---\nBody.\n")],
        "content/a.md:1:1: error: the front matter starts with `----`, but it must start with exactly three hyphens: `---`",
        "make the first line `---`: three hyphens typed on the keyboard, nothing else",
    ),
    mistake(
        &[("content/a.md", "---\ntitle: About\n----\nBody.\n")],
        "content/a.md:3:1: error: the front matter is closed with `----`, but it must be closed with exactly three hyphens: `---`",
        "make this line `---`: three hyphens typed on the keyboard, nothing else",
    ),
    mistake(
        &[("content/a.md", "\u{2014}-\ntitle: About\n---\nBody.\n")],
        "content/a.md:1:1: error: the front matter starts with `—-`, but it must start with exactly three hyphens: `---`",
        "make the first line `---`: three hyphens typed on the keyboard, nothing else",
    ),
    mistake(
        &[("content/a.md", "\n\n")],
        "content/a.md: error: this file is empty",
        "start it with front matter: a line `---`, then `title: ...`, then `---`",
    ),
    mistake(
        &[("content/a.md", "---\n- title\n- About\n---\n")],
        "content/a.md:2:1: error: the front matter must be a list of `field: value` lines, but this is a list",
        "write each field on its own line, e.g. `title: Village hall`",
    ),
    mistake(
        &[("content/a.md", "---\nAbout our team\n---\n")],
        "content/a.md:2:1: error: this line is not a `field: value` line",
        "write each field on its own line, e.g. `title: Village hall`",
    ),
    mistake(
        &[("content/a.md", "---\ntitle = About\n---\n")],
        "content/a.md:2:1: error: this line uses `=`, but fields are written `field: value`",
        "write `title: About`",
    ),
    // YAML that cannot be read.
    mistake(
        &[(
            "content/a.md",
            page!("summary: Botcheston: a village shop\n"),
        )],
        "content/a.md:3:20: error: the value of `summary` has a colon followed by a space, which YAML reads as the start of another field",
        "put the value in quotes: `summary: \"Botcheston: a village shop\"`",
    ),
    mistake(
        &[("content/a.md", page!("tags:\n\t- food\n"))],
        "content/a.md:4:1: error: this line is indented with a tab",
        "YAML does not allow tab characters for indenting: use spaces instead",
    ),
    mistake(
        &[("content/a.md", page!("summary: one\ntitle: Two\n"))],
        "content/a.md:4:1: error: the field `title` is written twice (first on line 2)",
        "each field may appear only once: remove or merge the repeated one",
    ),
    mistake(
        &[(
            "content/case-studies/a.md",
            case_study!("principles:\n  - prevention\n  participation\n"),
        )],
        "content/case-studies/a.md:7:3: error: this line is in a list but does not start with a dash",
        "start each list item with \"- \", like the items above: `  - participation`",
    ),
    mistake(
        &[(
            "content/case-studies/a.md",
            case_study!("principles:\n  - prevention\nparticipation\n"),
        )],
        "content/case-studies/a.md:7:1: error: this line follows a list but does not start with a dash",
        "if it is another item, write `  - participation`; if it is a new field, write `field: value`",
    ),
    mistake(
        &[(
            "content/case-studies/a.md",
            case_study!("area:charnwood\norganisation: VAL\n"),
        )],
        "content/case-studies/a.md:5:6: error: there is no space after the colon of `area`",
        "write a space after the colon: `area: charnwood`",
    ),
    mistake(
        &[("content/a.md", "---\ntitle:About\n---\n")],
        "content/a.md:2:7: error: there is no space after the colon of `title`",
        "write a space after the colon: `title: About`",
    ),
    mistake(
        &[(
            "content/a.md",
            page!(
                "summary: A long sentence that goes on\nand on past the end of the line.\ndate: 2021-03-31\n"
            ),
        )],
        "content/a.md:4:1: error: this line is not a `field: value` line: it looks like the end of the value above, wrapped onto a new line",
        "join it to the line above, or indent it with two spaces so that it continues the value",
    ),
    mistake(
        &[("content/a.md", page!("tags:\n\u{a0}\u{a0}- food\n"))],
        "content/a.md:4:1: error: this line is indented with non-breaking spaces, which YAML does not count as spaces",
        "delete the indentation and type it again with the space bar",
    ),
    mistake(
        &[(
            "content/a.md",
            "---\ntitle: \u{201c}Botcheston: a village shop\u{201d}\n---\n",
        )],
        "content/a.md:2:8: error: the value of `title` is in curly quotes (“), which YAML does not treat as quotes",
        "type straight quotes instead: `title: \"Botcheston: a village shop\"`",
    ),
    mistake(
        &[("content/a.md", page!("tags: [food, parks\n"))],
        "content/a.md:3:7: error: the list that starts here with `[` is not closed with `]`",
        "end it with `]`: `tags: [food, parks]`",
    ),
    mistake(
        &[("content/a.md", "---\ntitle: \"Village hall\n---\nBody.\n")],
        "content/a.md:2:8: error: the quoted text that starts here with `\"` is not closed with `\"`",
        "end it with `\"`: `title: \"Village hall\"`",
    ),
    mistake(
        &[(
            "content/case-studies/a.md",
            case_study!("principles:\n  -prevention\n"),
        )],
        "content/case-studies/a.md:5:1: error: `principles` must be a list, but it is text",
        "put a space after each dash, e.g. `  - prevention`",
    ),
    mistake(
        &[(
            "content/a.md",
            page!("summary: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n"),
        )],
        "content/a.md:3:42: error: the front matter nests lists or fields more than 32 levels deep here, which no real page needs",
        "check for stray `[`, `{` or `-` characters: a value that contains them must be put in quotes",
    ),
    // Text that YAML takes for a note.
    mistake(
        &[(
            "content/case-studies/a.md",
            case_study!("funding: Awards for All #3 round\n"),
        )],
        "content/case-studies/a.md:5:25: warning: YAML reads ` #` as the start of a note, so `funding` is only \"Awards for All\" and \"#3 round\" is left out",
        "put the whole value in quotes: \"Awards for All #3 round\"",
    ),
    mistake(
        &[("content/a.md", page!("tags:\n  - food #banks\n"))],
        "content/a.md:4:10: warning: YAML reads ` #` as the start of a note, so `tags` is only \"food\" and \"#banks\" is left out",
        "put the whole value in quotes: \"food #banks\"",
    ),
    // Fields.
    mistake(
        &[("content/a.md", "---\nsummary: About us.\n---\n")],
        "content/a.md:3:1: error: the required field `title` is missing",
        "add a line `title: ...` above the closing `---`, with the page's title",
    ),
    mistake(
        &[("content/a.md", "---\ntitle:\n---\n")],
        "content/a.md:2:1: error: `title` is empty",
        "write the page's title after `title:`",
    ),
    mistake(
        &[(
            "content/case-studies/a.md",
            "---\ntitle: Hall\ndate: 2021-03-31\n---\n",
        )],
        "content/case-studies/a.md:4:1: error: the required field `summary` is missing",
        "add a line `summary: ...` above the closing `---`, with one or two sentences about the project",
    ),
    mistake(
        &[(
            "content/case-studies/a.md",
            "---\ntitle: Hall\nsummary:\ndate: 2021-03-31\n---\n",
        )],
        "content/case-studies/a.md:3:1: error: `summary` is empty",
        "write one or two sentences about the project after `summary:`",
    ),
    mistake(
        &[(
            "content/case-studies/a.md",
            "---\ntitle: Hall\nsummary: A hall.\n---\n",
        )],
        "content/case-studies/a.md:4:1: error: the required field `date` is missing",
        "add a line `date: ...` above the closing `---`, with a date written YYYY-MM-DD, e.g. 2021-03-31",
    ),
    mistake(
        &[("content/a.md", page!("date: 31/03/2021\n"))],
        "content/a.md:3:1: error: `date` must be a date written YYYY-MM-DD, but it is \"31/03/2021\"",
        "write the year first: `date: 2021-03-31`",
    ),
    mistake(
        &[("content/a.md", page!("date: 2021-02-30\n"))],
        "content/a.md:3:1: error: `date` is 2021-02-30, which is not a real date",
        "`date` is a date written YYYY-MM-DD, e.g. 2021-03-31",
    ),
    mistake(
        &[("content/a.md", page!("updated: March 2022\n"))],
        "content/a.md:3:1: error: `updated` must be a date written YYYY-MM-DD, but it is \"March 2022\"",
        "`updated` is the date of the last real change, YYYY-MM-DD",
    ),
    mistake(
        &[(
            "content/case-studies/a.md",
            case_study!("principles: prevention\n"),
        )],
        "content/case-studies/a.md:5:1: error: `principles` must be a list, but it is text",
        "write it as a list, e.g. principles: [prevention]",
    ),
    mistake(
        &[(
            "content/case-studies/a.md",
            case_study!("principle: [prevention]\n"),
        )],
        "content/case-studies/a.md:5:1: error: `principle` is not a field of a case study",
        "did you mean \"principles\"?",
    ),
    mistake(
        &[("content/a.md", page!("colour: red\n"))],
        "content/a.md:3:1: error: `colour` is not a field of a page",
        "a page can have these fields: title, summary, date, updated, draft, slug, aliases, tags, weight, image, image_alt",
    ),
    mistake(
        &[("content/case-studies/a.md", case_study!("area: charnwod\n"))],
        "content/case-studies/a.md:5:7: error: \"charnwod\" is not an allowed value of `area` (allowed: blaby, charnwood, harborough, hinckley-and-bosworth, melton, north-west-leicestershire, oadby-and-wigston, countywide)",
        "did you mean \"charnwood\"?",
    ),
    mistake(
        &[(
            "content/case-studies/a.md",
            case_study!("area: Hinckley and Bosworth\n"),
        )],
        "content/case-studies/a.md:5:7: error: \"Hinckley and Bosworth\" is not an allowed value of `area` (allowed: blaby, charnwood, harborough, hinckley-and-bosworth, melton, north-west-leicestershire, oadby-and-wigston, countywide)",
        "did you mean \"hinckley-and-bosworth\"?",
    ),
    mistake(
        &[(
            "content/case-studies/a.md",
            case_study!("area: [blaby, melton]\n"),
        )],
        "content/case-studies/a.md:5:1: error: `area` must be text, but it is a list",
        "`area` is the district the project is in",
    ),
    mistake(
        &[(
            "content/case-studies/a.md",
            case_study!("principles:\n  - prevention\n  - particpation\n"),
        )],
        "content/case-studies/a.md:7:5: error: \"particpation\" is not an allowed value of `principles` (allowed: prevention, participation, catalysts)",
        "did you mean \"participation\"?",
    ),
    mistake(
        &[(
            "content/case-studies/a.md",
            case_study!("approaches: [asset based]\n"),
        )],
        "content/case-studies/a.md:5:14: error: \"asset based\" is not an allowed value of `approaches` (allowed: asset-based, social-action)",
        "did you mean \"asset-based\"?",
    ),
    mistake(
        &[(
            "content/case-studies/a.md",
            case_study!("outcomes: [healthy communities]\n"),
        )],
        "content/case-studies/a.md:5:12: error: \"healthy communities\" is not an allowed value of `outcomes` (allowed: clean-and-green, great-communities, improving-opportunities, safe-and-well, strong-economy)",
        "did you mean \"great-communities\"?",
    ),
    mistake(
        &[(
            "content/case-studies/a.md",
            case_study!("assets: [buildings]\n"),
        )],
        "content/case-studies/a.md:5:10: error: \"buildings\" is not an allowed value of `assets` (allowed: personal, social, community, neighbourhood)",
        "copy one of the allowed values exactly as it is written",
    ),
    mistake(
        &[(
            "content/resources/a.md",
            "---\ntitle: Guide\nsummary: A guide.\nkind: leaflet\n---\n",
        )],
        "content/resources/a.md:4:7: error: \"leaflet\" is not an allowed value of `kind` (allowed: guide, practical-example, research, toolkit, report)",
        "copy one of the allowed values exactly as it is written",
    ),
    mistake(
        &[("content/a.md", page!("draft: yes please\n"))],
        "content/a.md:3:1: error: `draft` must be true or false, but it is text",
        "`draft` is true to keep the page off the published site",
    ),
    mistake(
        &[("content/a.md", page!("weight: first\n"))],
        "content/a.md:3:1: error: `weight` must be a whole number, but it is text",
        "`weight` is a whole number; lower numbers are listed first",
    ),
    mistake(
        &[("content/a.md", page!("weight: 1.5\n"))],
        "content/a.md:3:1: error: `weight` must be a whole number, but it is a number with a decimal point",
        "`weight` is a whole number; lower numbers are listed first",
    ),
    mistake(
        &[("content/a.md", page!("slug: about/us\n"))],
        "content/a.md:3:1: error: the slug \"about/us\" is not one plain part of a web address",
        "use lower-case letters, digits and hyphens, e.g. slug: about-us",
    ),
    mistake(
        &[("content/a.md", page!("slug: ../escape\n"))],
        "content/a.md:3:1: error: the slug \"../escape\" is not one plain part of a web address",
        "use lower-case letters, digits and hyphens, e.g. slug: escape",
    ),
    mistake(
        &[("content/a.md", page!("slug: \"\"\n"))],
        "content/a.md:3:1: error: the slug \"\" is not one plain part of a web address",
        "use lower-case letters, digits and hyphens, e.g. slug: village-hall",
    ),
    mistake(
        &[("content/a.md", page!("slug: About Us\n"))],
        "content/a.md:3:1: error: the slug \"About Us\" is not one plain part of a web address",
        "use lower-case letters, digits and hyphens, e.g. slug: about-us",
    ),
    mistake(
        &[(
            "content/help/_index.md",
            "---\ntitle: Help\nslug: support\n---\n",
        )],
        "content/help/_index.md:3:1: error: `slug` has no effect in a section's _index.md",
        "rename the folder to change the section's web address",
    ),
    mistake(
        &[(
            "content/annual-report/2020-21/a.md",
            "---\ntitle: Grants\nyear: 2020-2021\n---\n",
        )],
        "content/annual-report/2020-21/a.md:3:1: error: the year \"2020-2021\" is not a report year",
        "write the financial year in quotes, e.g. year: \"2020-21\"",
    ),
    mistake(
        &[(
            "content/annual-report/2020-21/a.md",
            "---\ntitle: Grants\nyear: 2021\n---\n",
        )],
        "content/annual-report/2020-21/a.md:3:1: error: the year \"2021\" is not a report year",
        "write the financial year in quotes, e.g. year: \"2020-21\"",
    ),
    mistake(
        &[(
            "content/annual-report/2020-21/a.md",
            "---\ntitle: Grants\nfigures:\n  - value: 379\n---\n",
        )],
        "content/annual-report/2020-21/a.md:4:12: error: an item of `figures` is missing label",
        "`figures` is a list of headline numbers, each with value and label",
    ),
    mistake(
        &[(
            "content/annual-report/2020-21/a.md",
            "---\ntitle: Grants\nfigures:\n  - value: 379\n    lable: grants\n---\n",
        )],
        "content/annual-report/2020-21/a.md:5:5: error: `lable` is not a field of an item of `figures`",
        "did you mean \"label\"?",
    ),
    mistake(
        &[(
            "content/annual-report/2020-21/a.md",
            "---\ntitle: Grants\ncontacts:\n  - role: Officer\n---\n",
        )],
        "content/annual-report/2020-21/a.md:4:11: error: an item of `contacts` is missing name",
        "`contacts` is a list of people to contact, each with name, role, email and phone",
    ),
    mistake(
        &[(
            "content/annual-report/2020-21/a.md",
            "---\ntitle: Grants\nfigures:\n  - 379 grants\n---\n",
        )],
        "content/annual-report/2020-21/a.md:3:1: error: each item of `figures` must have fields (value, label), but one is text",
        "`figures` is a list of headline numbers, each with value and label",
    ),
    mistake(
        &[(
            "content/resources/a.md",
            "---\ntitle: Guide\nsummary: A guide.\nattachments:\n  - file: plan.pdf\n    title: The plan\n---\n",
        )],
        "content/resources/a.md:5:11: error: the attachment file \"plan.pdf\" does not exist",
        "put the file in content/resources beside the page, or give a path under static/ starting with /",
    ),
    mistake(
        &[
            (
                "content/resources/a/index.md",
                "---\ntitle: Guide\nsummary: A guide.\nattachments:\n  - file: Plan.PDF\n    title: The plan\n---\n",
            ),
            ("content/resources/a/plan.pdf", "%PDF-1.4"),
        ],
        "content/resources/a/index.md:5:11: error: the attachment file \"Plan.PDF\" does not exist",
        "did you mean \"plan.pdf\"?",
    ),
    mistake(
        &[(
            "content/a.md",
            page!("image: hall.jpg\nimage_alt: The hall\n"),
        )],
        "content/a.md:3:1: error: the image file \"hall.jpg\" does not exist",
        "put the file in content beside the page, or give a path under static/ starting with /",
    ),
    mistake(
        &[
            ("content/a/index.md", page!("image: hall.png\n")),
            ("content/a/hall.png", "png"),
        ],
        "content/a/index.md:3:1: error: `image` is set but `image_alt` is missing",
        "add `image_alt:` with a short description of the picture for people who cannot see it",
    ),
    mistake(
        &[
            ("content/a/index.md", page!("image: hall.png\nimage_alt:\n")),
            ("content/a/hall.png", "png"),
        ],
        "content/a/index.md:4:1: error: `image_alt` is empty",
        "describe the picture in a few words for people who cannot see it, e.g. image_alt: Volunteers planting trees on the green",
    ),
    mistake(
        &[("content/a.md", page!("tags: food, parks\n"))],
        "content/a.md:3:1: error: `tags` must be a list, but it is text",
        "write it as a list, e.g. tags: [food, parks]",
    ),
    mistake(
        &[("content/a.md", page!("tags:\n  - name: food\n"))],
        "content/a.md:3:1: error: each item of `tags` must be text, but one is a set of fields",
        "write each item as a few words after \"- \"; `tags` is a list of short topic words",
    ),
    mistake(
        &[("content/a.md", page!("aliases: [old-page]\n"))],
        "content/a.md:3:11: error: the alias \"old-page\" is not a path on this site",
        "write the old address as a path from the site's root, e.g. /old/page/",
    ),
    mistake(
        &[
            ("content/a.md", page!("aliases: [/b/]\n")),
            ("content/b.md", "---\ntitle: B\n---\n"),
        ],
        "content/a.md:3:11: error: the alias /b/ is already the address of the page /b/",
        "remove this alias: that address cannot lead to two places",
    ),
    mistake(
        &[(
            "content/resources/a.md",
            "---\ntitle: Guide\nsummary: A guide.\nsource_url: javascript:alert(1)\n---\n",
        )],
        "content/resources/a.md:4:13: error: the source_url \"javascript:alert(1)\" is not a web address",
        "write the full address, starting https://",
    ),
    mistake(
        &[("content/a.md", page!("2021: a good year\n"))],
        "content/a.md:3:1: error: `2021` is not a field name",
        "field names are words such as `title` or `summary`; text goes after a field name, or below the closing `---`",
    ),
    mistake(
        &[(
            "content/case-studies/a.md",
            "---\ntitle: Hall\nsummary: \"   \"\ndate: 2021-03-31\n---\n",
        )],
        "content/case-studies/a.md:3:1: error: `summary` is empty",
        "write one or two sentences about the project",
    ),
    mistake(
        &[(
            "content/resources/a.md",
            "---\ntitle: Guide\nsummary: A guide.\nattachments: plan.pdf\n---\n",
        )],
        "content/resources/a.md:4:1: error: `attachments` must be a list, but it is text",
        "`attachments` is a list of downloads, each with file (beside the page) and title",
    ),
    mistake(
        &[(
            "content/a.md",
            page!("image: /images/hall.png\nimage_alt: The hall\n"),
        )],
        "content/a.md:3:1: error: the image file \"/images/hall.png\" does not exist",
        "a path starting with / is looked up under static/: put the file at static/images/hall.png",
    ),
    mistake(
        &[("content/a.md", page!("aliases: /old/\n"))],
        "content/a.md:3:1: error: `aliases` must be a list, but it is text",
        "write it as a list, e.g. aliases: [/old/]",
    ),
    mistake(
        &[(
            "content/annual-report/2020-21/a.md",
            "---\ntitle: Grants\ncontacts:\n  - name: Sam\n    e-mail: sam@example.org\n---\n",
        )],
        "content/annual-report/2020-21/a.md:5:5: error: `e-mail` is not a field of an item of `contacts`",
        "did you mean \"email\"?",
    ),
    mistake(
        &[("content/a.md", page!("date: 2021-3-31\n"))],
        "content/a.md:3:1: error: `date` must be a date written YYYY-MM-DD, but it is \"2021-3-31\"",
        "`date` is a date written YYYY-MM-DD, e.g. 2021-03-31",
    ),
    // Fields of one kind in another kind's folder.
    mistake(
        &[(
            "content/case-study/a.md",
            case_study!("area: melton\nprinciples: [prevention]\n"),
        )],
        "content/case-study/a.md:5:1: error: `area` and `principles` are fields of a case study, but this file is in content/case-study/, which makes it a page",
        "case studies live in content/case-studies/: move the file there",
    ),
    mistake(
        &[("content/a.md", case_study!("organisation: VAL\n"))],
        "content/a.md:5:1: error: `organisation` is a field of a case study, but this file is in content/, which makes it a page",
        "case studies live in content/case-studies/: move the file there",
    ),
    mistake(
        &[(
            "content/case-studies/a.md",
            case_study!("kind: guide\nattachments: []\n"),
        )],
        "content/case-studies/a.md:5:1: error: `kind` and `attachments` are fields of a resource, but this file is in content/case-studies/, which makes it a case study",
        "resources live in content/resources/: move the file there",
    ),
    mistake(
        &[(
            "content/a.md",
            page!("year: \"2020-21\"\nfigures:\n  - value: 379\n    label: grants\n"),
        )],
        "content/a.md:3:1: error: `year` and `figures` are fields of an annual report section, but this file is in content/, which makes it a page",
        "annual report pages live in a year's folder, e.g. content/annual-report/2020-21/: move the file there",
    ),
    // Content that fails residents.
    mistake(
        &[(
            "content/a.md",
            page!(
                "summary: This page tells you everything about who we are, what we do, where we work, how we fund projects across the county, and how to contact each member of the team by phone, by email or in person at our offices.\n"
            ),
        )],
        "content/a.md:3:1: warning: the summary is 206 characters long: search results and cards show about 200, so its end is cut off",
        "shorten it to one or two sentences; the page text can say the rest",
    ),
    mistake(
        &[
            ("content/help/_index.md", "---\ntitle: Help\n---\n"),
            ("content/help/a.md", "---\ntitle: Getting started\n---\n"),
            ("content/help/b.md", "---\ntitle: Getting Started\n---\n"),
        ],
        "content/help/a.md:2:1: warning: content/help/b.md in this section has the same title, so listings and search results show pages that look alike",
        "give each page a title that says how it differs",
    ),
    mistake(
        &[
            ("content/a.md", page!("tags: [Food banks]\n")),
            ("content/b.md", "---\ntitle: B\ntags: [food banks]\n---\n"),
            ("content/c.md", "---\ntitle: C\ntags: [food banks]\n---\n"),
        ],
        "content/a.md:3:8: warning: \"Food banks\" is the same tag as \"food banks\", which other pages write, so it is shown as \"food banks\"",
        "write it \"food banks\" like the other pages",
    ),
    // Addresses.
    mistake(
        &[
            ("content/a.md", page!("slug: b\n")),
            ("content/b.md", "---\ntitle: B\n---\n"),
        ],
        "content/a.md:3:1: error: this page and content/b.md would both be published at /b/",
        "choose a slug that no other page has",
    ),
    mistake(
        &[
            ("content/Village Hall.md", "---\ntitle: A\n---\n"),
            ("content/village-hall.md", "---\ntitle: B\n---\n"),
        ],
        "content/Village Hall.md: error: this page and content/village-hall.md would both be published at /village-hall/",
        "give one of them a different file name or `slug`",
    ),
    mistake(
        &[("content/!!!.md", "---\ntitle: A\n---\n")],
        "content/!!!.md: error: this file's name (or a folder's) has no letters or digits to make a web address from",
        "rename it with words, e.g. village-hall.md",
    ),
    mistake(
        &[("content/a.md", page!("slug: tags\n"))],
        "content/a.md: error: the list of Tags would be published at /tags/, where it clashes with the page content/a.md",
        "rename the file or set a different `slug`",
    ),
    // Links.
    mistake(
        &[(
            "content/a.md",
            "---\ntitle: About\n---\nSee [the plan](@/resources/plan.md).\n",
        )],
        "content/a.md:4:5: error: the link \"@/resources/plan.md\" leads to content/resources/plan.md, which does not exist",
        "link to a page by its file, e.g. [Botcheston](@/case-studies/botcheston.md)",
    ),
    mistake(
        &[(
            "content/a.md",
            "---\ntitle: About\n---\nSee [the plan](plan.md).\n",
        )],
        "content/a.md:4:5: error: the link \"plan.md\" leads to content/plan.md, which does not exist",
        "did you mean \"@/a.md\"?",
    ),
    mistake(
        &[(
            "content/a.md",
            "---\ntitle: About\n---\nSee [the plan](@/../secret.md).\n",
        )],
        "content/a.md:4:5: error: the link \"@/../secret.md\" points outside the content folder",
        "link to a page by its file, e.g. [Botcheston](@/case-studies/botcheston.md)",
    ),
    mistake(
        &[
            (
                "content/a.md",
                "---\ntitle: About\n---\nSee [the plan](@/plan.md).\n",
            ),
            ("content/plan.md", "---\ntitle: Plan\ndraft: true\n---\n"),
        ],
        "content/a.md:4:5: error: the link \"@/plan.md\" leads to content/plan.md, which is a draft and not published",
        "publish that page (remove `draft: true`) or remove the link",
    ),
    mistake(
        &[(
            "content/a.md",
            "---\ntitle: About\n---\nSee [the map](/maps/county/).\n",
        )],
        "content/a.md:4:5: error: the link \"/maps/county/\" leads to no page or file of this site",
        "link to a page by its file, e.g. [Botcheston](@/case-studies/botcheston.md)",
    ),
    mistake(
        &[(
            "content/a.md",
            "---\ntitle: About\n---\nWhat we do.\n\n## Who we are\n\nSee [our aims](#our-aim).\n\n## Our aims\n",
        )],
        "content/a.md:8:5: error: the link \"#our-aim\" leads to #our-aim, but this page has no heading or footnote with that id",
        "did you mean \"#our-aims\"?",
    ),
    mistake(
        &[(
            "content/a.md",
            "---\ntitle: About\n---\n![The village hall](hall.jpg)\n",
        )],
        "content/a.md:4:1: error: the picture \"hall.jpg\" leads to content/hall.jpg, which does not exist",
        "put the picture in content/ beside the page (or in the page's folder) and write its file name",
    ),
    // Pages saved under another name, and files that are not for publishing.
    mistake(
        &[("content/news.MD", "---\ntitle: News\n---\n")],
        "content/news.MD: error: this looks like a page, but only files ending in .md are built, so it would never appear on the site",
        "rename it to news.md",
    ),
    mistake(
        &[("content/news.markdown", "---\ntitle: News\n---\n")],
        "content/news.markdown: error: this looks like a page, but only files ending in .md are built, so it would never appear on the site",
        "rename it to news.md",
    ),
    mistake(
        &[("content/news.md.txt", "---\ntitle: News\n---\n")],
        "content/news.md.txt: error: this looks like a page, but only files ending in .md are built, so it would never appear on the site",
        "rename it to news.md",
    ),
    mistake(
        &[("content/minutes.docx", "PK")],
        "content/minutes.docx: error: this .docx document is not attached to a page, so it would not be published",
        "attach it to a resource: put it in the resource's folder beside its index.md and list it under `attachments:`; or convert it to PDF, or its text into a page (.md)",
    ),
    mistake(
        &[("content/old-site.html", "<p>Old</p>")],
        "content/old-site.html: error: a .html file cannot be published from content/: it is not checked, and could run scripts on the site",
        "write the page in Markdown as old-site.md",
    ),
    mistake(
        &[("content/_redirects", "/* https://example.org/ 301!\n")],
        "content/_redirects: error: _redirects has no file type, and files such as _redirects or _headers would be read by the host as its own settings, so it is not published",
        "files published from content/ are pictures and documents: .jpg, .jpeg, .png, .gif, .webp, .avif, .pdf, .csv, .tsv, .xlsx, .xls, .ods, .pptx, .ppt, .odp, .epub, .zip, .mp3, .mp4, .ics, and inside a page's own folder .docx, .doc, .odt, .rtf, .txt",
    ),
    // Text that fails residents.
    mistake(
        &[(
            "content/a.md",
            "---\ntitle: About\n---\n## Our work\n\n#### Projects\n",
        )],
        "content/a.md:6:1: warning: this heading skips a level: from ## to ####",
        "use ### here, so that screen readers can follow the page's outline",
    ),
    mistake(
        &[(
            "content/a.md",
            "---\ntitle: About\n---\n# About us\n\nWho we are.\n",
        )],
        "content/a.md:4:1: warning: a second main heading: the page's title is already shown as its main heading (#)",
        "start the headings in the text at ## (and use ### inside them)",
    ),
    mistake(
        &[(
            "content/a.md",
            "---\ntitle: About\n---\nFor the grants guide [click here](@/a.md).\n",
        )],
        "content/a.md:4:22: warning: the link text \"click here\" says nothing when heard on its own",
        "screen readers list a page's links by their text: say where the link goes, e.g. [the grants guide](@/grants.md)",
    ),
    mistake(
        &[
            (
                "static/hall.svg",
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"800\" height=\"600\"/>",
            ),
            ("content/a.md", "---\ntitle: About\n---\n![](/hall.svg)\n"),
        ],
        "content/a.md:4:1: warning: this picture has no description for people who cannot see it",
        "describe it between the brackets: ![Volunteers outside the village hall](hall.jpg); if it is only decoration, write ![decorative](...)",
    ),
    mistake(
        &[(
            "content/a.md",
            "---\ntitle: About\n---\nType your message in the <textarea> box and press send.\n",
        )],
        "content/a.md:4:26: warning: this HTML was made safe by removing <textarea> (left open); the text around it was kept",
        "write it in Markdown, or leave it out: scripts, styles, event handlers and elements browsers do not know never reach a page",
    ),
    mistake(
        &[(
            "content/a.md",
            "---\ntitle: About\n---\nWe met twice.\n\n[^notes]: Minutes are kept by the clerk.\n",
        )],
        "content/a.md:6:1: warning: this footnote is never referred to, so it is not shown",
        "refer to it in the text with [^label], or remove it",
    ),
    mistake(
        &[(
            "content/a.md",
            "---\ntitle: About\n---\nWe met twice.[^minutes]\n\n[^minute]: Minutes are kept by the clerk.\n",
        )],
        "content/a.md:4:14: warning: the footnote [^minutes] has no note, so the page shows \"[^minutes]\" as it is",
        "write the note below the paragraph, on a line of its own: [^minutes]: The note's text",
    ),
    // site.yaml, which maintainers edit.
    mistake(
        &[("site.yaml", "title: Mistakes\nbase_url: mistakes.example\n")],
        "site.yaml:2:1: error: base_url \"mistakes.example\" is not a web address (relative URL without a base)",
        "write the full address the site is published at, e.g. https://example.org/",
    ),
];

/// Builds the site of one mistake in a temporary folder; the problem it reports, and whether
/// anything was written.
fn report_of(mistake: &Mistake) -> (Vec<Diagnostic>, bool) {
    build_site(mistake.files)
}

/// Builds a site of `site.yaml` and these files: the problems, and whether anything was
/// written.
fn build_site(files: &[(&str, &str)]) -> (Vec<Diagnostic>, bool) {
    let site = tempfile::tempdir().expect("temporary folder");
    let root = site.path();
    common::write(root, "site.yaml", SITE_YAML);
    for (path, text) in files {
        common::write(root, path, text);
    }
    let options = Options {
        root: root.to_path_buf(),
        ..Options::default()
    };
    let problems = match pipeline::build(&options) {
        Ok(summary) => summary.warnings,
        Err(problems) => problems,
    };
    (problems, root.join("public").exists())
}

#[test]
fn every_mistake_of_the_catalogue_is_reported_at_its_line_with_a_fix_and_nothing_written() {
    let mut failures = Vec::new();
    for (n, mistake) in CATALOGUE.iter().enumerate() {
        let (problems, written) = report_of(mistake);
        let found = problems
            .iter()
            .find(|p| p.to_string().lines().next() == Some(mistake.reported));
        let wrong = match found {
            None => Some("not reported".to_string()),
            Some(p) if p.hint.as_deref() != Some(mistake.hint) => {
                Some(format!("hint {:?}", p.hint))
            }
            Some(p) if p.severity == Severity::Error && written => {
                Some("reported, but the site was written".to_string())
            }
            Some(_) => None,
        };
        if let Some(wrong) = wrong {
            let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
            failures.push(format!(
                "#{n} {}: {wrong}\n  expected {}\n  got:\n{}",
                mistake.files[0].0,
                mistake.reported,
                shown.join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_catalogue_holds_at_least_eighty_mistakes_each_with_a_line_and_a_fix() {
    assert!(CATALOGUE.len() >= 80, "{} mistakes", CATALOGUE.len());
    for mistake in CATALOGUE {
        assert!(!mistake.hint.is_empty(), "{}", mistake.reported);
    }
}

#[test]
fn front_matter_after_blank_lines_or_a_byte_order_mark_is_read() {
    let (problems, written) = build_site(&[
        (
            "content/a.md",
            "\n  \n---\ntitle: A\ndate: 2021-02-30\n---\nBody.\n",
        ),
        ("content/b.md", "\u{feff}---\ntitle: B\n---\nBody.\n"),
    ]);
    // The front matter is read where it is: its mistake is at its own line.
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "content/a.md:5:1: error: `date` is 2021-02-30, which is not a real date\n  hint: `date` is a date written YYYY-MM-DD, e.g. 2021-03-31"
        ]
    );
    assert!(!written);
}

#[test]
fn fifty_thousand_tags_are_refused_before_any_term_page_is_written() {
    let tags: String = (0..50_000).map(|i| format!("t{i},")).collect();
    let page = format!("---\ntitle: A\ntags: [{tags}]\n---\nBody.\n");
    let (problems, written) = build_site(&[("content/a.md", &page)]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].kind, ProblemKind::OverLimit);
    assert_eq!(
        problems[0].to_string(),
        "content/a.md:3:1: error: `tags` has 50000 items, more than the 200 a page may list\n  hint: keep the few that matter most; a long list helps nobody find the page"
    );
    assert!(!written);
}

#[test]
fn check_deny_warnings_fails_on_a_warning_that_check_alone_passes() {
    let site = tempfile::tempdir().unwrap();
    common::write(site.path(), "site.yaml", SITE_YAML);
    common::write(
        site.path(),
        "content/a.md",
        "---\ntitle: A\ntags:\n  - food #banks\n---\nBody.\n",
    );
    let plain = run("check", site.path(), &[]);
    assert!(plain.status.success(), "{}", stderr(&plain));
    let denied = run("check", site.path(), &["--deny-warnings"]);
    assert_eq!(denied.status.code(), Some(1));
    let text = stderr(&denied);
    assert!(
        text.starts_with("content/a.md:4:10: warning: YAML reads ` #` as the start of a note"),
        "{text}"
    );
    assert!(
        text.ends_with("1 warning found, and --deny-warnings makes warnings fail the check\n"),
        "{text}"
    );
    let json = run(
        "check",
        site.path(),
        &["--deny-warnings", "--format", "json"],
    );
    assert_eq!(json.status.code(), Some(1));
}

#[test]
fn check_shows_the_offending_line_with_a_caret_under_the_column() {
    let site = tempfile::tempdir().unwrap();
    common::write(site.path(), "site.yaml", SITE_YAML);
    common::write(
        site.path(),
        "content/a.md",
        "---\ntitle: A\n\tsummary: s\n---\nBody.\n",
    );
    let output = run("check", site.path(), &[]);
    assert_eq!(
        stderr(&output),
        "content/a.md:3:1: error: this line is indented with a tab\n  |\n3 |     summary: s\n  | ^\n  hint: YAML does not allow tab characters for indenting: use spaces instead\n1 error found; nothing was written\n"
    );
}

#[test]
fn tag_spellings_that_make_one_address_are_one_term_that_lists_every_page() {
    let site = tempfile::tempdir().unwrap();
    let root = site.path();
    common::write(root, "site.yaml", SITE_YAML);
    for (file, tag) in [
        ("a", "Food banks"),
        ("b", "food banks"),
        ("c", "food-banks"),
    ] {
        common::write(
            root,
            &format!("content/{file}.md"),
            &format!("---\ntitle: Page {file}\ntags: [{tag}]\n---\nBody.\n"),
        );
    }
    let options = Options {
        root: root.to_path_buf(),
        ..Options::default()
    };
    let summary = pipeline::build(&options).expect("a warning does not stop the build");
    let warned: Vec<String> = summary.warnings.iter().map(Diagnostic::place).collect();
    // Each spelling is used once: the first in order is shown, the others are warned.
    assert_eq!(warned, ["content/b.md:3:8", "content/c.md:3:8"]);
    let index = common::read(root, "public/tags/index.html");
    assert_eq!(index.matches("/tags/food-banks/").count(), 1, "{index}");
    assert!(
        index.contains(">Food banks</a> <span class=\"count\">3 pages"),
        "{index}"
    );
    let term = common::read(root, "public/tags/food-banks/index.html");
    for page in ["Page a", "Page b", "Page c"] {
        assert!(term.contains(page), "{page} missing from {term}");
    }
}
