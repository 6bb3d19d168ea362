//! An incremental rebuild after an edit gives, byte for byte, what a full `build` of the edited
//! site gives; and a body edit renders only the page that shows the body.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{fixture, read, write};
use communities::diagnostics::{Diagnostic, ProblemKind};
use communities::incremental::{Outcome, Session};
use communities::output::MARKER;
use communities::pipeline::{self, Options};

const BASE: &str = "http://127.0.0.1:1111/";
const CASE_STUDY: &str = "content/case-studies/croft-community-fridge.md";

/// Every file of a full `build --drafts` of the site as it is now.
fn full_build(root: &Path) -> BTreeMap<String, Vec<u8>> {
    full_build_with_warnings(root).0
}

/// A full build's files and warnings.
fn full_build_with_warnings(root: &Path) -> (BTreeMap<String, Vec<u8>>, Vec<Diagnostic>) {
    let out = tempfile::tempdir().unwrap();
    let output = out.path().join("public");
    let options = Options {
        root: root.to_path_buf(),
        output: Some(output.clone()),
        drafts: true,
        base_url: Some(BASE.to_string()),
    };
    let summary = pipeline::build(&options).unwrap_or_else(|p| panic!("full build failed: {p:?}"));
    let files = walkdir::WalkDir::new(&output)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file() && e.file_name() != MARKER)
        .map(|e| {
            let rel = e.path().strip_prefix(&output).unwrap();
            (
                rel.to_string_lossy().replace('\\', "/"),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    (files, summary.warnings)
}

fn files(outcome: &Outcome) -> BTreeMap<String, Vec<u8>> {
    outcome
        .files
        .iter()
        .map(|(path, bytes)| (path.clone(), bytes.to_vec()))
        .collect()
}

/// Compares file lists first, then contents, so that a failure names the file that differs.
fn assert_same_site(incremental: &BTreeMap<String, Vec<u8>>, full: &BTreeMap<String, Vec<u8>>) {
    assert_eq!(
        incremental.keys().collect::<Vec<_>>(),
        full.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in full {
        assert!(
            incremental[path] == *bytes,
            "{path} differs from the full build:\n--- incremental\n{}\n--- full\n{}",
            String::from_utf8_lossy(&incremental[path]),
            String::from_utf8_lossy(bytes)
        );
    }
}

/// Starts a session on a copy of the fixture, applies `edit`, rebuilds with the paths it
/// returns, and checks the result against a full build of the edited copy.
fn check_edit(edit: impl FnOnce(&Path) -> Vec<&'static str>) -> Outcome {
    let site = fixture("serve");
    let root = site.path();
    let (mut session, first) = Session::new(root, Some(BASE.to_string()));
    assert_same_site(&files(&first.expect("first build")), &full_build(root));
    let changed: Vec<PathBuf> = edit(root).into_iter().map(|p| root.join(p)).collect();
    let outcome = update_whole(&mut session, &changed);
    assert_same_site(&files(&outcome), &full_build(root));
    outcome
}

/// An update and the site-wide work that follows it, as `serve` does them: the outcome has
/// the whole site, what the update rendered, and what both changed.
fn update_whole(session: &mut Session, paths: &[PathBuf]) -> Outcome {
    let outcome = session
        .update(paths)
        .unwrap_or_else(|p| panic!("rebuild failed: {p:?}"));
    let whole = match session.catch_up() {
        Some(caught_up) => caught_up.unwrap_or_else(|p| panic!("catching up failed: {p:?}")),
        None => return outcome,
    };
    assert!(session.catch_up().is_none(), "caught up once is enough");
    let mut changed = outcome.changed.clone();
    changed.extend(whole.changed);
    changed.sort();
    changed.dedup();
    Outcome {
        files: whole.files,
        changed,
        ..outcome
    }
}

/// The changed outputs that are pages, leaving out the search index.
fn pages(outcome: &Outcome) -> Vec<&str> {
    outcome
        .changed
        .iter()
        .map(String::as_str)
        .filter(|path| path.ends_with(".html"))
        .collect()
}

fn replace(root: &Path, rel: &str, from: &str, to: &str) {
    let text = read(root, rel);
    assert!(text.contains(from), "{rel} has no {from:?}");
    write(root, rel, &text.replacen(from, to, 1));
}

#[test]
fn a_body_edit_renders_only_its_own_page() {
    let outcome = check_edit(|root| {
        replace(
            root,
            CASE_STUDY,
            "## The starting point",
            "## Where it began",
        );
        vec![CASE_STUDY]
    });
    // The search index holds the body's text too.
    assert_eq!(
        pages(&outcome),
        ["case-studies/croft-community-fridge/index.html"]
    );
    assert_eq!(outcome.rendered, 1);
}

#[test]
fn the_search_index_after_a_body_edit_counts_that_page_alone_and_compresses_only_what_changed() {
    let site = fixture("serve");
    let root = site.path();
    let (mut session, first) = Session::new(root, Some(BASE.to_string()));
    let first = files(&first.expect("first build"));
    let index_file = |path: &&String| path.starts_with("search/") && path.ends_with(".bin");
    let search_files = first.keys().filter(index_file).count();
    assert_eq!(session.search_work().compressed, search_files);
    let pages_indexed = session.search_work().counted;
    assert!(pages_indexed > 10, "{pages_indexed}");

    replace(
        root,
        CASE_STUDY,
        "## The starting point",
        "## Where it began",
    );
    let outcome = update_whole(&mut session, &[root.join(CASE_STUDY)]);
    assert_same_site(&files(&outcome), &full_build(root));
    let changed_search_files = outcome.changed.iter().filter(index_file).count();
    let work = session.search_work();
    assert_eq!(work.counted, 1);
    assert_eq!(work.compressed, changed_search_files);
    assert!(
        changed_search_files < search_files,
        "{changed_search_files}"
    );
}

#[test]
fn a_title_edit_updates_listings_terms_related_pages_and_home() {
    let outcome = check_edit(|root| {
        replace(
            root,
            CASE_STUDY,
            "title: \"Croft Community Fridge\"",
            "title: \"Croft Fridge & Pantry\"",
        );
        vec![CASE_STUDY]
    });
    assert!(outcome.changed.len() > 3, "{:?}", outcome.changed);
}

#[test]
fn a_new_tag_and_a_new_date_reorder_listings_and_terms() {
    check_edit(|root| {
        replace(root, CASE_STUDY, "date: 2023-02-10", "date: 2019-07-01");
        replace(root, CASE_STUDY, "tags: [", "tags: [brand-new-tag, ");
        vec![CASE_STUDY]
    });
}

#[test]
fn a_new_folder_of_pages_a_deleted_page_and_a_renamed_folder_match_a_full_build() {
    check_edit(|root| {
        write(
            root,
            "content/projects/_index.md",
            "---\ntitle: Projects\n---\n\nProjects in [Croft](@/case-studies/croft-community-fridge.md).\n",
        );
        write(
            root,
            "content/projects/orchard.md",
            "---\ntitle: Community orchard\n---\n\nAn orchard.\n",
        );
        std::fs::remove_file(root.join("content/about.md")).unwrap();
        std::fs::rename(
            root.join("content/resources/noticeboard"),
            root.join("content/resources/parish-noticeboard"),
        )
        .unwrap();
        vec![
            "content/projects",
            "content/about.md",
            "content/resources/noticeboard",
            "content/resources/parish-noticeboard",
        ]
    });
}

#[test]
fn a_new_page_renders_only_itself_and_the_listing_that_shows_it() {
    let outcome = check_edit(|root| {
        write(
            root,
            "content/resources/village-hall-booking-form.md",
            "---\ntitle: Village hall booking form\nsummary: A form for booking the hall.\nkind: \"report\"\n---\n\nA form.\n",
        );
        vec!["content/resources/village-hall-booking-form.md"]
    });
    // It sorts onto the second listing page of resources; nothing else shows it.
    assert_eq!(
        pages(&outcome),
        [
            "resources/page/2/index.html",
            "resources/village-hall-booking-form/index.html"
        ]
    );
    let site_pages = outcome
        .files
        .keys()
        .filter(|p| p.ends_with(".html"))
        .count();
    assert!(
        outcome.rendered * 4 < site_pages,
        "{} of {site_pages} rendered",
        outcome.rendered
    );
}

#[test]
fn publishing_a_draft_matches_a_full_build() {
    check_edit(|root| {
        replace(
            root,
            "content/case-studies/unfinished-draft.md",
            "draft: true\n",
            "",
        );
        vec!["content/case-studies/unfinished-draft.md"]
    });
}

#[test]
fn template_stylesheet_and_site_yaml_edits_match_a_full_build() {
    let outcome = check_edit(|root| {
        write(
            root,
            "themes/default/templates/404.html",
            "{% extends \"base.html\" %}{% block content %}<p>Lost? Try the menu.</p>{% endblock content %}",
        );
        vec!["themes/default/templates/404.html"]
    });
    // Only the page rendered with that template.
    assert_eq!(pages(&outcome), ["404.html"]);
    assert_eq!(outcome.rendered, 1);
    let outcome = check_edit(|root| {
        write(
            root,
            "themes/default/static/style.css",
            "body { color: #0b0c0c; }\n",
        );
        vec!["themes/default/static/style.css"]
    });
    // The stylesheet moves to a new hashed name, and every page links that name.
    let sheets: Vec<&String> = outcome
        .changed
        .iter()
        .filter(|p| p.ends_with(".css"))
        .collect();
    assert_eq!(sheets.len(), 2, "{sheets:?}");
    assert!(sheets.iter().all(|p| p.starts_with("style.")), "{sheets:?}");
    assert!(outcome.changed.contains(&"index.html".to_string()));
    assert!(outcome.css_only);
    check_edit(|root| {
        replace(root, "site.yaml", "page_size: 3", "page_size: 2");
        vec!["site.yaml"]
    });
}

#[test]
fn aliases_and_summaries_update_redirects_and_the_feed() {
    let outcome = check_edit(|root| {
        replace(
            root,
            CASE_STUDY,
            "tags: [",
            "aliases: [\"/croft-fridge/\"]\ntags: [",
        );
        replace(
            root,
            CASE_STUDY,
            "summary: \"How parish",
            "summary: \"Why parish",
        );
        vec![CASE_STUDY]
    });
    for path in ["atom.xml", "_redirects", "croft-fridge/index.html"] {
        assert!(outcome.changed.contains(&path.to_string()), "{path}");
    }
}

#[test]
fn a_report_section_body_edit_updates_the_whole_report() {
    let outcome = check_edit(|root| {
        let rel = "content/annual-report/2023-24/foreword.md";
        let text = read(root, rel);
        write(root, rel, &format!("{text}\nOne more paragraph.\n"));
        vec![rel]
    });
    assert_eq!(
        pages(&outcome),
        [
            "annual-report/2023-24/foreword/index.html",
            "annual-report/2023-24/full/index.html"
        ]
    );
}

#[test]
fn a_lower_file_size_limit_refuses_pages_over_it() {
    let site = fixture("serve");
    let root = site.path();
    let mut session = first_build(root);
    write(
        root,
        "content/about.md",
        &format!("---\ntitle: About\n---\n\n{}\n", "word ".repeat(300_000)),
    );
    replace(
        root,
        "site.yaml",
        "page_size: 3",
        "page_size: 3\nmax_file_mb: 1",
    );
    let problems = session
        .update(&[root.join("content/about.md"), root.join("site.yaml")])
        .expect_err("a page over the limit");
    assert!(
        problems.iter().any(|p| p.kind == ProblemKind::OverLimit),
        "{problems:?}"
    );
}

#[test]
fn an_edited_attachment_is_copied_again() {
    let outcome = check_edit(|root| {
        write(
            root,
            "content/resources/asset-mapping-starter-kit/asset-mapping-starter-kit.pdf",
            "%PDF-1.4 a longer replacement file",
        );
        vec!["content/resources/asset-mapping-starter-kit/asset-mapping-starter-kit.pdf"]
    });
    assert!(
        outcome.changed.contains(
            &"resources/asset-mapping-starter-kit/asset-mapping-starter-kit.pdf".to_string()
        ),
        "{:?}",
        outcome.changed
    );
}

fn first_build(root: &Path) -> Session {
    let (session, first) = Session::new(root, Some(BASE.to_string()));
    first.expect("first build");
    session
}

/// Breaks the case study's front matter, checks that the rebuild fails there, and returns
/// the good text.
fn break_case_study(session: &mut Session, root: &Path) -> String {
    let good = read(root, CASE_STUDY);
    write(root, CASE_STUDY, "---\ntitle: [unclosed\n---\nBody\n");
    let problems = session.update(&[root.join(CASE_STUDY)]).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.path() == Some(Path::new(CASE_STUDY)) && p.kind == ProblemKind::YamlSyntax),
        "{problems:?}"
    );
    good
}

/// Writes the good text back with a body edit and checks the rebuild against a full build.
fn fix_case_study(session: &mut Session, root: &Path, good: &str) {
    write(
        root,
        CASE_STUDY,
        &good.replace("## What happened", "## What we did"),
    );
    let outcome = update_whole(session, &[root.join(CASE_STUDY)]);
    assert_same_site(&files(&outcome), &full_build(root));
}

#[test]
fn a_failed_rebuild_keeps_the_cache_and_recovers() {
    let site = fixture("serve");
    let root = site.path();
    let mut session = first_build(root);
    let good = break_case_study(&mut session, root);
    fix_case_study(&mut session, root, &good);
}

#[test]
fn edits_made_while_another_page_is_broken_are_all_served_once_it_is_fixed() {
    let site = fixture("serve");
    let root = site.path();
    let mut session = first_build(root);
    let good = break_case_study(&mut session, root);
    let other = "content/case-studies/the-mens-shed-in-ibstock.md";
    replace(root, other, "title: \"", "title: \"Renamed: ");
    session.update(&[root.join(other)]).unwrap_err();
    fix_case_study(&mut session, root, &good);
}

#[test]
fn body_edits_then_front_matter_edits_match_a_full_build_after_each() {
    let site = fixture("serve");
    let root = site.path();
    let mut session = first_build(root);
    let steps: [(&str, &str, &str); 4] = [
        (CASE_STUDY, "## The starting point", "## Where it began"),
        (CASE_STUDY, "date: 2023-02-10", "date: 2025-01-01"),
        (
            CASE_STUDY,
            "## Where it began",
            "## [Croft today](@/about.md)",
        ),
        ("content/about.md", "title: \"", "title: \"All about: "),
    ];
    for (file, from, to) in steps {
        replace(root, file, from, to);
        let outcome = update_whole(&mut session, &[root.join(file)]);
        assert_same_site(&files(&outcome), &full_build(root));
    }
}

/// Gives the case study a new title.
fn rename_fridge(root: &Path) {
    replace(
        root,
        CASE_STUDY,
        "\"Croft Community Fridge\"",
        "\"Fridge renamed\"",
    );
}

/// The pages `first_pages` served, by output path, as they were served.
fn served_first(session: &mut Session, viewed: &[&str]) -> BTreeMap<String, String> {
    let viewed: Vec<String> = viewed.iter().map(|v| v.to_string()).collect();
    let first = session.first_pages(&viewed).expect("pages served first");
    first
        .files
        .iter()
        .map(|(path, page)| (path.clone(), String::from_utf8_lossy(page).into_owned()))
        .collect()
}

#[test]
fn an_edited_title_is_served_first_on_its_page_and_the_viewed_listing_then_everywhere() {
    let site = fixture("serve");
    let root = site.path();
    let mut session = first_build(root);
    rename_fridge(root);
    session.take(&[root.join(CASE_STUDY)]);
    let served = served_first(&mut session, &["case-studies/index.html"]);
    let page = "case-studies/croft-community-fridge/index.html";
    assert!(served[page].contains("Fridge renamed"), "{served:?}");
    assert!(served["case-studies/index.html"].contains("Fridge renamed"));
    // The home page is not open: it waits for the rebuild.
    assert!(!served.contains_key("index.html"));
    let rebuilt = session
        .finish(&|| false)
        .expect("nothing overtakes it")
        .expect("the rebuild");
    assert!(
        pages(&rebuilt).contains(&"index.html"),
        "the home page follows"
    );
    let whole = session
        .catch_up()
        .expect("site-wide work")
        .expect("it is made");
    assert_same_site(&files(&whole), &full_build(root));
}

#[test]
fn an_edit_served_first_and_overtaken_by_its_undo_leaves_the_site_as_it_was() {
    let site = fixture("serve");
    let root = site.path();
    let mut session = first_build(root);
    let original = read(root, CASE_STUDY);
    rename_fridge(root);
    session.take(&[root.join(CASE_STUDY)]);
    let served = served_first(&mut session, &["case-studies/index.html"]);
    assert!(served["case-studies/index.html"].contains("Fridge renamed"));
    assert!(session.finish(&|| true).is_none(), "the undo overtakes it");
    write(root, CASE_STUDY, &original);
    let outcome = update_whole(&mut session, &[root.join(CASE_STUDY)]);
    assert_same_site(&files(&outcome), &full_build(root));
}

#[test]
fn changes_the_watcher_lost_are_all_read_again() {
    let site = fixture("serve");
    let root = site.path();
    let mut session = first_build(root);
    rename_fridge(root);
    write(
        root,
        "content/about.md",
        "---\ntitle: About us\n---\nWho we are.\n",
    );
    // What the watcher passes when the kernel's queue of changes overflowed.
    let outcome = update_whole(&mut session, &[root.to_path_buf()]);
    assert!(pages(&outcome).contains(&"case-studies/croft-community-fridge/index.html"));
    assert_same_site(&files(&outcome), &full_build(root));
}

/// The case study given the new tag `cold-storage`: the pages served first, then the rebuild.
fn new_tag_served_first_then_rebuilt(root: &Path) -> (BTreeMap<String, String>, Outcome) {
    let mut session = first_build(root);
    set_field(root, CASE_STUDY, "tags", "[cold-storage]");
    session.take(&[root.join(CASE_STUDY)]);
    let served = served_first(&mut session, &[]);
    (served, update_whole(&mut session, &[]))
}

#[test]
fn a_new_tag_is_shown_first_on_its_page_as_its_term_will_be() {
    let site = fixture("serve");
    let (served, outcome) = new_tag_served_first_then_rebuilt(site.path());
    let page = "case-studies/croft-community-fridge/index.html";
    let rebuilt = String::from_utf8_lossy(&outcome.files[page]).into_owned();
    // The tag's link as the rebuilt page has it, from its address to its name.
    let at = rebuilt
        .find("/tags/cold-storage/")
        .expect("the rebuilt page links the tag");
    let link = &rebuilt[at..at + rebuilt[at..].find("</a>").unwrap()];
    assert!(link.contains("Cold storage"), "{link}");
    assert!(
        served[page].contains(link),
        "shown first as the term will be: {link}"
    );
}

#[test]
fn a_new_tags_page_and_the_list_of_tags_are_served_first_as_the_rebuild_makes_them() {
    let site = fixture("serve");
    let (served, outcome) = new_tag_served_first_then_rebuilt(site.path());
    assert_served_as_rebuilt(
        &served,
        &outcome,
        &["tags/cold-storage/index.html", "tags/index.html"],
    );
}

/// Each of `pages` was served first exactly as the rebuild then made it.
fn assert_served_as_rebuilt(served: &BTreeMap<String, String>, outcome: &Outcome, pages: &[&str]) {
    for page in pages {
        let rebuilt = String::from_utf8_lossy(&outcome.files[*page]);
        assert_eq!(
            served.get(*page).map(String::as_str),
            Some(&*rebuilt),
            "{page}"
        );
    }
}

#[test]
fn viewed_term_pages_are_served_first_as_the_rebuild_makes_them_when_a_new_tag_renumbers_the_terms()
{
    let site = fixture("serve");
    let root = site.path();
    let mut session = first_build(root);
    // A new first tag moves every later term one place along; the page leaves green-spaces.
    set_field(root, CASE_STUDY, "tags", "[cold-storage]");
    session.take(&[root.join(CASE_STUDY)]);
    let viewed = ["tags/wellbeing/index.html", "tags/green-spaces/index.html"];
    let served = served_first(&mut session, &viewed);
    let outcome = update_whole(&mut session, &[]);
    assert_served_as_rebuilt(&served, &outcome, &viewed);
}

/// `paths` as the model of the edits since the last build renders them when asked for before
/// their rebuild ends, none of them viewed.
fn rendered_on_request(session: &mut Session, paths: &[&str]) -> BTreeMap<String, String> {
    let first = session.first_pages(&[]).expect("pages served first");
    let provisional = first.provisional.expect("the model of the edits");
    paths
        .iter()
        .filter_map(|path| {
            let page = provisional.page(path)?;
            Some((
                path.to_string(),
                String::from_utf8_lossy(&page).into_owned(),
            ))
        })
        .collect()
}

#[test]
fn pages_not_viewed_are_rendered_on_request_as_the_rebuild_makes_them() {
    let site = fixture("serve");
    let root = site.path();
    let mut session = first_build(root);
    rename_fridge(root);
    session.take(&[root.join(CASE_STUDY)]);
    let listings = ["index.html", "case-studies/index.html"];
    let rendered = rendered_on_request(&mut session, &listings);
    assert!(rendered["index.html"].contains("Fridge renamed"));
    let outcome = update_whole(&mut session, &[]);
    assert_served_as_rebuilt(&rendered, &outcome, &listings);
}

#[test]
fn term_pages_not_viewed_are_rendered_on_request_as_the_rebuild_makes_them_when_a_new_tag_renumbers_the_terms()
 {
    let site = fixture("serve");
    let root = site.path();
    let mut session = first_build(root);
    set_field(root, CASE_STUDY, "tags", "[cold-storage]");
    session.take(&[root.join(CASE_STUDY)]);
    let terms = ["tags/wellbeing/index.html", "tags/green-spaces/index.html"];
    let rendered = rendered_on_request(&mut session, &[terms[0], terms[1], "style.css"]);
    assert!(
        !rendered.contains_key("style.css"),
        "only pages are rendered"
    );
    let outcome = update_whole(&mut session, &[]);
    assert_served_as_rebuilt(&rendered, &outcome, &terms);
}

#[test]
fn a_site_yaml_edit_is_served_first_on_the_viewed_pages_as_the_rebuild_makes_them() {
    let site = fixture("serve");
    let root = site.path();
    let mut session = first_build(root);
    replace(
        root,
        "site.yaml",
        "title: \"Leicestershire Communities\"",
        "title: \"Leicestershire Communities Online\"",
    );
    session.take(&[root.join("site.yaml")]);
    let viewed = [
        "case-studies/croft-community-fridge/index.html",
        "case-studies/index.html",
    ];
    let served = served_first(&mut session, &viewed);
    assert!(served[viewed[0]].contains("Leicestershire Communities Online"));
    // Their stylesheets and scripts are linked by the names the rebuild gives them.
    let outcome = update_whole(&mut session, &[]);
    assert_served_as_rebuilt(&served, &outcome, &viewed);
}

/// Adds a case study; returns its path.
fn write_new_allotment(root: &Path) -> &'static str {
    let note = "content/case-studies/a-new-allotment.md";
    write(
        root,
        note,
        "---\ntitle: A new allotment\ndate: 2024-05-01\nsummary: Growing.\n---\n\nDug in May.\n",
    );
    note
}

#[test]
fn a_new_page_is_served_first_and_a_removed_one_is_gone_first() {
    let site = fixture("serve");
    let root = site.path();
    let mut session = first_build(root);
    let note = write_new_allotment(root);
    session.take(&[root.join(note)]);
    let served = served_first(&mut session, &["case-studies/index.html"]);
    assert!(served["case-studies/a-new-allotment/index.html"].contains("Dug in May."));
    assert!(served["case-studies/index.html"].contains("A new allotment"));
    update_whole(&mut session, &[]);

    std::fs::remove_file(root.join(note)).unwrap();
    session.take(&[root.join(note)]);
    let first = session.first_pages(&[]).expect("the removal served first");
    assert_eq!(first.removed, ["case-studies/a-new-allotment/index.html"]);
    let outcome = update_whole(&mut session, &[]);
    assert_same_site(&files(&outcome), &full_build(root));
}

#[test]
fn a_page_added_and_removed_before_its_rebuild_ends_is_no_longer_shown_first() {
    let site = fixture("serve");
    let root = site.path();
    let mut session = first_build(root);
    let note = write_new_allotment(root);
    session.take(&[root.join(note)]);
    let served = served_first(&mut session, &[]);
    assert!(served.contains_key("case-studies/a-new-allotment/index.html"));
    // A newer save overtakes the rebuild, and the page is removed before the next one.
    assert!(session.finish(&|| true).is_none());
    std::fs::remove_file(root.join(note)).unwrap();
    session.take(&[root.join(note)]);
    let first = session
        .first_pages(&[])
        .expect("what is shown first is replaced");
    assert!(first.files.is_empty() && first.removed.is_empty());
    let outcome = update_whole(&mut session, &[]);
    assert_same_site(&files(&outcome), &full_build(root));
}

#[test]
fn a_page_moved_twice_before_its_rebuild_ends_is_served_first_at_its_last_address() {
    let site = fixture("serve");
    let root = site.path();
    let mut session = first_build(root);
    // No page links the draft, so it can move without breaking a link.
    let draft = "content/case-studies/unfinished-draft.md";
    let first_move = "content/case-studies/draft-moved.md";
    std::fs::rename(root.join(draft), root.join(first_move)).unwrap();
    session.take(&[root.join(draft), root.join(first_move)]);
    // A newer save overtakes the rebuild, which keeps the first move for the next one.
    assert!(session.finish(&|| true).is_none());
    let second_move = "content/case-studies/draft-moved-again.md";
    std::fs::rename(root.join(first_move), root.join(second_move)).unwrap();
    session.take(&[root.join(first_move), root.join(second_move)]);
    let first = session
        .first_pages(&[])
        .expect("the moved page served first");
    assert!(
        first
            .files
            .contains_key("case-studies/draft-moved-again/index.html")
    );
    assert_eq!(first.removed, ["case-studies/unfinished-draft/index.html"]);
    let outcome = update_whole(&mut session, &[]);
    assert_same_site(&files(&outcome), &full_build(root));
}

#[test]
fn a_themes_first_stylesheet_is_served_first_while_its_rebuild_is_overtaken() {
    let site = fixture("serve");
    let root = site.path();
    let mut session = first_build(root);
    let sheet = "themes/default/static/style.css";
    let theirs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(sheet)).unwrap();
    write(
        root,
        sheet,
        &format!("{theirs}\n.first-own {{ color: red; }}\n"),
    );
    session.take(&[root.join(sheet)]);
    // Saves keep coming: no rebuild ends, so the last model never had the new file.
    assert!(session.finish(&|| true).is_none());
    write(
        root,
        sheet,
        &format!("{theirs}\n.second-own {{ color: red; }}\n"),
    );
    session.take(&[root.join(sheet)]);
    let page = "case-studies/croft-community-fridge/index.html";
    let served = served_first(&mut session, &[page]);
    let linked = served[page]
        .split("rel=\"stylesheet\" href=\"/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page links a stylesheet");
    assert!(served[linked].contains(".second-own"), "{linked}");
}

#[test]
fn a_save_of_a_file_the_site_ignores_shows_nothing_first() {
    let site = fixture("serve");
    let root = site.path();
    let mut session = first_build(root);
    let swap = "content/case-studies/.croft-community-fridge.md.swp";
    write(root, swap, "an editor's own file");
    session.take(&[root.join(swap)]);
    let page = "case-studies/croft-community-fridge/index.html";
    assert!(session.first_pages(&[page.to_string()]).is_none());
}

#[test]
fn a_template_edit_is_served_first_on_the_viewed_page() {
    let site = fixture("serve");
    let root = site.path();
    let mut session = first_build(root);
    let template = "themes/default/templates/case-study.html";
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/templates/case-study.html"),
    )
    .unwrap();
    write(
        root,
        template,
        &text.replacen(
            "{% block content %}",
            "{% block content %}<i hidden>marked</i>",
            1,
        ),
    );
    session.take(&[root.join(template)]);
    let page = "case-studies/croft-community-fridge/index.html";
    let served = served_first(&mut session, &[page]);
    assert!(served[page].contains("<i hidden>marked</i>"));
    assert_eq!(served.len(), 1, "only the viewed page goes first");
    let outcome = update_whole(&mut session, &[]);
    assert_same_site(&files(&outcome), &full_build(root));
}

/// One save an editor can make to the serve fixture.
#[derive(Debug, Clone)]
enum Edit {
    Body(usize, u8),
    Title(usize, u8),
    Date(usize, u8),
    Tags(usize),
    Weight(usize, u8),
    /// Puts the page back as the fixture has it, undoing every edit to it.
    Restore(usize),
    AddPage(u8),
    RemovePage(u8),
    RenamePage(u8),
    BundleFile(u8),
    Template(u8),
    Stylesheet(u8),
    SiteYaml,
}

/// The pages edits change in place.
const EDITED: [&str; 4] = [
    CASE_STUDY,
    "content/case-studies/the-mens-shed-in-ibstock.md",
    "content/resources/food-hygiene-for-volunteers-evaluation-report.md",
    "content/about.md",
];

fn edit_strategy() -> impl proptest::strategy::Strategy<Value = Edit> {
    use proptest::prelude::*;
    let page = 0..EDITED.len();
    prop_oneof![
        (page.clone(), any::<u8>()).prop_map(|(p, n)| Edit::Body(p, n)),
        (page.clone(), any::<u8>()).prop_map(|(p, n)| Edit::Title(p, n)),
        (page.clone(), 1..9u8).prop_map(|(p, n)| Edit::Date(p, n)),
        page.clone().prop_map(Edit::Tags),
        (page.clone(), 1..9u8).prop_map(|(p, n)| Edit::Weight(p, n)),
        page.prop_map(Edit::Restore),
        (0..3u8).prop_map(Edit::AddPage),
        (0..3u8).prop_map(Edit::RemovePage),
        (0..3u8).prop_map(Edit::RenamePage),
        any::<u8>().prop_map(Edit::BundleFile),
        any::<u8>().prop_map(Edit::Template),
        any::<u8>().prop_map(Edit::Stylesheet),
        Just(Edit::SiteYaml),
    ]
}

/// Replaces the front matter line starting `key:`, or adds one after the title.
fn set_field(root: &Path, rel: &str, key: &str, value: &str) {
    let text = read(root, rel);
    let prefix = format!("{key}:");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    match lines.iter().position(|l| l.starts_with(&prefix)) {
        Some(at) => lines[at] = format!("{key}: {value}"),
        None => lines.insert(2, format!("{key}: {value}")),
    }
    write(root, rel, &(lines.join("\n") + "\n"));
}

/// A page of its own that edits add, remove and rename: `content/notes/note-N.md` or, once
/// renamed, `content/notes/renamed-N.md`.
fn note_paths(n: u8) -> [String; 2] {
    [
        format!("content/notes/note-{n}.md"),
        format!("content/notes/renamed-{n}.md"),
    ]
}

/// Makes the edit on disk; returns the paths the watcher would report.
fn apply(root: &Path, edit: &Edit) -> Vec<String> {
    match *edit {
        Edit::Body(p, n) => {
            let text = read(root, EDITED[p]);
            // Half of them with raw HTML that is taken out with a warning.
            let script = if n % 2 == 0 {
                "<script>alert(1)</script>\n"
            } else {
                ""
            };
            write(
                root,
                EDITED[p],
                &format!("{text}\nEdited paragraph {n}.\n{script}"),
            );
            vec![EDITED[p].to_string()]
        }
        Edit::Title(p, n) => {
            set_field(root, EDITED[p], "title", &format!("\"Edited title {n}\""));
            vec![EDITED[p].to_string()]
        }
        Edit::Date(p, n) => {
            set_field(root, EDITED[p], "date", &format!("2010-01-0{n}"));
            vec![EDITED[p].to_string()]
        }
        Edit::Tags(p) => {
            set_field(root, EDITED[p], "tags", "[allotments]");
            vec![EDITED[p].to_string()]
        }
        Edit::Weight(p, n) => {
            set_field(root, EDITED[p], "weight", &n.to_string());
            vec![EDITED[p].to_string()]
        }
        Edit::Restore(p) => {
            let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/serve");
            write(root, EDITED[p], &read(&fixture, EDITED[p]));
            vec![EDITED[p].to_string()]
        }
        Edit::AddPage(n) => {
            let [note, renamed] = note_paths(n);
            if root.join(&renamed).exists() {
                return Vec::new();
            }
            write(
                root,
                &note,
                &format!("---\ntitle: \"Note {n}\"\nsummary: \"A note.\"\n---\n\nNote {n}.\n"),
            );
            vec![note]
        }
        Edit::RemovePage(n) => note_paths(n)
            .into_iter()
            .filter(|path| std::fs::remove_file(root.join(path)).is_ok())
            .collect(),
        Edit::RenamePage(n) => {
            let [note, renamed] = note_paths(n);
            let (from, to) = if root.join(&note).exists() {
                (note, renamed)
            } else {
                (renamed, note)
            };
            match std::fs::rename(root.join(&from), root.join(&to)) {
                Ok(()) => vec![from, to],
                Err(_) => Vec::new(),
            }
        }
        Edit::BundleFile(n) => {
            let rel = "content/resources/noticeboard/poster.txt";
            write(root, rel, &format!("Poster, version {n}\n"));
            vec![rel.to_string()]
        }
        Edit::Template(n) => {
            let rel = "themes/default/templates/404.html";
            write(
                root,
                rel,
                &format!(
                    "{{% extends \"base.html\" %}}{{% block content %}}<p>Lost {n}</p>{{% endblock content %}}"
                ),
            );
            vec![rel.to_string()]
        }
        Edit::Stylesheet(n) => {
            let rel = "themes/default/static/style.css";
            write(root, rel, &format!("body {{ margin: {n}px; }}\n"));
            vec![rel.to_string()]
        }
        Edit::SiteYaml => {
            let text = read(root, "site.yaml");
            let toggled = if text.contains("page_size: 3") {
                text.replacen("page_size: 3", "page_size: 2", 1)
            } else {
                text.replacen("page_size: 2", "page_size: 3", 1)
            };
            write(root, "site.yaml", &toggled);
            vec!["site.yaml".to_string()]
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 16,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// Whatever edits arrive, whether their pages and the viewed ones are served first,
    /// whether the next save overtakes their rebuild, and whether each save comes before or
    /// after the site-wide work of the one before it is put in place, the served site ends
    /// equal to a full build.
    #[test]
    fn any_edits_at_any_pace_leave_the_served_site_equal_to_a_full_build(
        steps in proptest::collection::vec(
            (edit_strategy(), proptest::bool::ANY, proptest::bool::ANY, proptest::bool::ANY),
            1..5,
        )
    ) {
        let site = fixture("serve");
        let root = site.path();
        let (mut session, first) = Session::new(root, Some(BASE.to_string()));
        first.expect("first build");
        let viewed = [
            "index.html".to_string(),
            "case-studies/index.html".to_string(),
            "tags/allotments/index.html".to_string(),
        ];
        let mut pending = None;
        for (edit, save_before_site_wide, serve_first, overtaken) in &steps {
            let paths: Vec<PathBuf> = apply(root, edit).iter().map(|p| root.join(p)).collect();
            session.take(&paths);
            if *serve_first {
                let _ = session.first_pages(&viewed);
            }
            match session.finish(&|| *overtaken) {
                // Taken with the next save's edits.
                None => continue,
                Some(result) => result.unwrap_or_else(|p| panic!("{edit:?} failed: {p:?}")),
            };
            // Work overtaken by this save is put in place after it, as the worker does.
            if let Some(work) = pending.take() {
                let _ = session.put_site_wide(communities::incremental::SiteWideWork::run(&work));
            }
            let work = session.site_wide_work();
            if *save_before_site_wide {
                pending = work;
            } else if let Some(work) = work {
                session
                    .put_site_wide(work.run())
                    .expect("a build to put it in")
                    .expect("site-wide outputs");
            }
        }
        if let Some(work) = pending {
            let _ = session.put_site_wide(work.run());
        }
        // The edits of a last save whose rebuild was overtaken go into the next rebuild.
        let rebuilt = session.update(&[]).expect("the last rebuild");
        let served = match session.catch_up() {
            Some(outcome) => outcome.expect("site-wide outputs"),
            None => rebuilt,
        };
        let (built, warnings) = full_build_with_warnings(root);
        assert_same_site(&files(&served), &built);
        assert_eq!(&served.warnings[..], &warnings[..]);
    }
}

#[test]
fn stylesheets_and_scripts_hashed_again_alone_are_named_as_hashing_every_file_names_them() {
    let site = fixture("publishing");
    let root = site.path();
    let options = Options {
        root: root.to_path_buf(),
        ..Options::default()
    };
    let hashed = |root: &Path| {
        let (site, _) = pipeline::load(&options).unwrap();
        pipeline::fingerprint(root, &site).unwrap()
    };
    let (statics, fingerprints) = hashed(root);
    let script = "static/js/app.js";
    write(
        root,
        script,
        &format!("{}\nwindow.again = 1;\n", read(root, script)),
    );
    // The theme's own stylesheet, published until now from the built-in theme.
    let sheet = "themes/default/static/style.css";
    write(root, sheet, "body { color: #0b0c0c; }\n");
    let edited = [script, sheet].map(PathBuf::from).into();
    let again = pipeline::fingerprint_edited(root, &statics, &fingerprints, &edited)
        .expect("both were published before");
    assert_eq!(again, hashed(root));
    assert_ne!(again.1, fingerprints);

    // A stylesheet new to the site, or anything else, is left to hashing every file.
    write(root, "static/print.css", "nav { display: none; }\n");
    let new = ["static/print.css"].map(PathBuf::from).into();
    assert!(pipeline::fingerprint_edited(root, &statics, &fingerprints, &new).is_none());
    let page = ["content/about.md"].map(PathBuf::from).into();
    assert!(pipeline::fingerprint_edited(root, &statics, &fingerprints, &page).is_none());
}
