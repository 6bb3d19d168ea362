//! What editors use besides `build`: `new` scaffolding, JSON Schemas of the front matter that
//! agree with the validator, and `check --format json` for CI annotations.

mod common;

use std::path::Path;

use common::{communities, fixture, fixtures, read, run, stderr, stdout, write};
use communities::models::Kind;
use communities::schema;

fn new_page(root: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["new", "--root", root.to_str().unwrap()];
    all.extend_from_slice(args);
    communities(&all)
}

/// Replaces the empty `field:` line of a scaffolded file with a filled one.
fn fill(root: &Path, rel: &str, field: &str, value: &str) {
    let text = read(root, rel);
    let filled: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with(&format!("{field}: "))
                || l == format!("{field}:")
                || l.starts_with(&format!("{field}:  "))
            {
                format!("{field}: {value}")
            } else {
                l.to_string()
            }
        })
        .collect();
    write(root, rel, &(filled.join("\n") + "\n"));
}

#[test]
fn new_case_study_fails_check_until_its_summary_is_filled_then_passes() {
    let site = fixture("kinds");
    let output = new_page(
        site.path(),
        &["case-study", "Café in the Park: a fresh start"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let rel = "content/case-studies/cafe-in-the-park-a-fresh-start.md";
    assert!(
        stdout(&output)
            .lines()
            .any(|l| l.starts_with("Created ") && l.ends_with(&format!("/{rel}"))),
        "{}",
        stdout(&output)
    );
    assert!(stdout(&output).contains("/case-studies/cafe-in-the-park-a-fresh-start/"));

    let blank = run("check", site.path(), &[]);
    assert_eq!(blank.status.code(), Some(1));
    assert!(
        stderr(&blank).contains(&format!("{rel}:5:1: error: `summary` is empty")),
        "{}",
        stderr(&blank)
    );

    fill(
        site.path(),
        rel,
        "summary",
        "A park café run by volunteers.",
    );
    fill(site.path(), rel, "area", "charnwood");
    fill(site.path(), rel, "principles", "[participation]");
    let filled = run("check", site.path(), &[]);
    assert!(filled.status.success(), "{}", stderr(&filled));
}

#[test]
fn new_never_replaces_an_existing_file() {
    let site = fixture("kinds");
    let before = read(site.path(), "content/about.md");
    let output = new_page(site.path(), &["page", "about", "About us"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("content/about.md: error: this file already exists"));
    assert_eq!(read(site.path(), "content/about.md"), before);
}

#[test]
fn new_resource_bundle_and_report_section_and_page_pass_check_once_filled() {
    let site = fixture("kinds");
    assert!(
        new_page(site.path(), &["resource", "Hall hire guide", "--bundle"])
            .status
            .success()
    );
    let resource = "content/resources/hall-hire-guide/index.md";
    fill(
        site.path(),
        resource,
        "summary",
        "How to hire out your hall.",
    );
    fill(site.path(), resource, "kind", "guide");

    let section = new_page(
        site.path(),
        &["report-section", "Libraries", "--year", "2020-21"],
    );
    assert!(section.status.success(), "{}", stderr(&section));
    let section_text = read(site.path(), "content/annual-report/2020-21/libraries.md");
    assert!(section_text.contains("year: \"2020-21\""));
    assert!(
        section_text.contains("weight: 3"),
        "after the two sections there:\n{section_text}"
    );

    assert!(
        new_page(
            site.path(),
            &["page", "help/adding-a-page", "Adding a page"]
        )
        .status
        .success()
    );
    let output = run("check", site.path(), &[]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn new_report_section_needs_a_real_report_year() {
    let site = fixture("kinds");
    let output = new_page(
        site.path(),
        &["report-section", "Libraries", "--year", "2021"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("\"2021\" is not a report year"));
}

/// The front matter of a content file as JSON, the way an editor's YAML checker sees it.
fn front_matter_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    let rest = text.strip_prefix("---\n").expect("front matter");
    let end = rest.find("\n---").expect("closed");
    serde_yaml::from_str(&rest[..end]).unwrap_or(serde_json::Value::Object(Default::default()))
}

fn validator(kind: Kind) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema::schema(kind))
        .expect("the schema is valid")
}

fn pages(root: &Path) -> Vec<(std::path::PathBuf, Kind)> {
    walkdir::WalkDir::new(root.join("content"))
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(root.join("content"))
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (e.path().to_path_buf(), Kind::for_path(&rel))
        })
        .collect()
}

#[test]
fn every_page_that_check_accepts_validates_against_its_schema() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for root in [fixtures().join("kinds"), repo.to_path_buf()] {
        for (path, kind) in pages(&root) {
            let value = front_matter_json(&path);
            let errors: Vec<String> = validator(kind)
                .iter_errors(&value)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        }
    }
}

#[test]
fn every_field_value_that_check_rejects_fails_its_schema() {
    let mistakes = fixtures().join("mistakes/content");
    for (file, kind) in [
        ("case-studies/missing-summary.md", Kind::CaseStudy),
        ("case-studies/wrong-type.md", Kind::CaseStudy),
        ("case-studies/unknown-field.md", Kind::CaseStudy),
        ("case-studies/bad-area.md", Kind::CaseStudy),
        ("impossible-date.md", Kind::Page),
        ("image-without-alt.md", Kind::Page),
        ("bad-slug.md", Kind::Page),
        ("nested-slug.md", Kind::Page),
        ("empty-slug.md", Kind::Page),
    ] {
        let value = front_matter_json(&mistakes.join(file));
        assert!(
            !validator(kind).is_valid(&value),
            "{file} passed its schema"
        );
    }
    for year in ["2020-22", "2020", "0999-00", "2020-021"] {
        let value = serde_json::json!({"title": "T", "year": year});
        assert!(
            !validator(Kind::ReportSection).is_valid(&value),
            "{year} passed"
        );
    }
    for year in ["2020-21", "1999-00"] {
        let value = serde_json::json!({"title": "T", "year": year});
        assert!(
            validator(Kind::ReportSection).is_valid(&value),
            "{year} failed"
        );
    }
}

#[test]
fn the_committed_schemas_are_the_generated_ones() {
    let out = tempfile::tempdir().unwrap();
    let output = communities(&["schema", "--out", out.path().to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (_, name) in schema::KINDS {
        let file = format!("{name}.schema.json");
        assert_eq!(
            read(&repo.join("schemas"), &file),
            read(out.path(), &file),
            "schemas/{file} is out of date: run `cargo run -- schema`"
        );
    }
}

#[test]
fn check_json_lists_every_problem_as_an_object() {
    let output = communities(&[
        "check",
        "--root",
        fixtures().join("mistakes").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let list: Vec<serde_json::Value> = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(list.len(), 20);
    let bad_area = list
        .iter()
        .find(|p| p["path"] == "content/case-studies/bad-area.md")
        .expect("bad area reported");
    assert_eq!(bad_area["line"], 5);
    assert_eq!(bad_area["column"], 7);
    assert_eq!(bad_area["severity"], "error");
    assert_eq!(bad_area["location"], "span");
    assert_eq!(bad_area["kind"], "invalid-value");
    assert_eq!(bad_area["hint"], "did you mean \"charnwood\"?");
}

#[test]
fn check_json_on_a_good_site_is_an_empty_list() {
    let output = communities(&[
        "check",
        "--root",
        fixtures().join("kinds").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(output.status.success());
    assert_eq!(stdout(&output).trim(), "[]");
}

#[test]
fn new_and_check_run_in_a_subfolder_work_on_the_site_around_it() {
    let site = fixture("kinds");
    let inside = site.path().join("content/case-studies");
    let new = std::process::Command::new(env!("CARGO_BIN_EXE_communities"))
        .args(["new", "case-study", "Repair cafe"])
        .current_dir(&inside)
        .output()
        .unwrap();
    assert!(new.status.success(), "{}", stderr(&new));
    assert_eq!(
        stdout(&new).lines().next(),
        Some("Created ../../content/case-studies/repair-cafe.md")
    );
    assert!(inside.join("repair-cafe.md").is_file());
    assert!(!inside.join("content").exists());
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_communities"))
        .arg("check")
        .current_dir(&inside)
        .output()
        .unwrap();
    assert!(
        stderr(&check)
            .starts_with("content/case-studies/repair-cafe.md:5:1: error: `summary` is empty"),
        "{}",
        stderr(&check)
    );
}

#[test]
fn new_outside_any_site_writes_nothing_and_says_why() {
    let outside = tempfile::tempdir().unwrap();
    let new = std::process::Command::new(env!("CARGO_BIN_EXE_communities"))
        .args(["new", "case-study", "Repair cafe"])
        .current_dir(outside.path())
        .output()
        .unwrap();
    assert_eq!(new.status.code(), Some(1));
    assert!(
        stderr(&new)
            .starts_with("error: there is no site.yaml in this folder or any folder above it"),
        "{}",
        stderr(&new)
    );
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}
