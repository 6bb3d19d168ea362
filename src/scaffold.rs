//! `communities new`: a new content file in the right folder, with every field of its kind
//! written out and explained, so that an editor only fills in the blanks.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::content::{is_report_year, page_url};
use crate::diagnostics::{Diagnostic, display_path};
use crate::models::Kind;

/// What to create.
#[derive(Debug, Clone)]
pub enum NewPage {
    CaseStudy,
    Resource {
        bundle: bool,
    },
    ReportSection {
        year: String,
    },
    /// A plain page at this path below `content/` (`.md` may be left off).
    Page {
        path: String,
    },
}

/// The file made: its path relative to the root, and the site path it will have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub path: PathBuf,
    pub url: String,
}

/// Makes the file; never replaces one that exists.
pub fn create(
    root: &Path,
    what: &NewPage,
    title: &str,
    today: NaiveDate,
) -> Result<Created, Diagnostic> {
    let content_path = content_path(root, what, title)?;
    let kind = Kind::for_path(&content_path);
    let path = Path::new("content").join(&content_path);
    let weight = match what {
        NewPage::ReportSection { .. } => next_weight(&root.join(&path)),
        _ => None,
    };
    let year = match what {
        NewPage::ReportSection { year } => Some(year.as_str()),
        _ => None,
    };
    let text = front_matter(kind, title, today, year, weight) + body_outline(kind);
    let full = root.join(&path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Diagnostic::file_error(&path, format!("cannot make its folder: {e}")))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&full)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Diagnostic::file_error(
                    &path,
                    "this file already exists, and `new` never replaces a file",
                )
                .with_hint("choose another title, or edit the existing file")
            } else {
                Diagnostic::file_error(&path, format!("cannot create the file: {e}"))
            }
        })?;
    file.write_all(text.as_bytes())
        .map_err(|e| Diagnostic::file_error(&path, format!("cannot write the file: {e}")))?;
    Ok(Created {
        url: page_url(&content_path, None),
        path,
    })
}

/// The name a page of this title gets, in its web address and its file name.
fn slug_of_title(title: &str) -> Option<String> {
    let slug = slug::slugify(title);
    (!slug.is_empty()).then_some(slug)
}

/// Where `new` puts a page of this title, relative to `content/`.
pub fn content_path(root: &Path, what: &NewPage, title: &str) -> Result<String, Diagnostic> {
    let Some(slug) = slug_of_title(title) else {
        return Err(Diagnostic::error(
            root.join("content"),
            1,
            1,
            format!("the title {title:?} has no letters or digits to make a web address from"),
        )
        .with_hint("give the page a title with words in it"));
    };
    Ok(match what {
        NewPage::CaseStudy => format!("case-studies/{slug}.md"),
        NewPage::Resource { bundle: false } => format!("resources/{slug}.md"),
        NewPage::Resource { bundle: true } => format!("resources/{slug}/index.md"),
        NewPage::ReportSection { year } => {
            if !is_report_year(year) {
                return Err(Diagnostic::error(
                    root.join("content/annual-report"),
                    1,
                    1,
                    format!("{year:?} is not a report year"),
                )
                .with_hint("write the financial year like --year 2021-22"));
            }
            format!("annual-report/{year}/{slug}.md")
        }
        NewPage::Page { path } => page_path(path)?,
    })
}

/// `help/adding` -> `help/adding.md`, refusing anything that leaves `content/`.
fn page_path(path: &str) -> Result<String, Diagnostic> {
    let trimmed = path.trim_matches('/');
    let with_md = if trimmed.ends_with(".md") {
        trimmed.to_string()
    } else {
        format!("{trimmed}.md")
    };
    let plain = Path::new(&with_md)
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    if trimmed.is_empty() || !plain {
        return Err(Diagnostic::file_error(
            "content",
            format!("{path:?} is not a path inside content/"),
        )
        .with_hint("give a path such as help/adding-a-page"));
    }
    Ok(display_path(Path::new(&with_md)))
}

/// One more than the highest `weight:` among the section files beside `path`.
fn next_weight(path: &Path) -> Option<i64> {
    let dir = path.parent()?;
    let highest = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter_map(|text| {
            text.lines().find_map(|l| {
                l.strip_prefix("weight:")
                    .and_then(|w| w.trim().parse::<i64>().ok())
            })
        })
        .max()
        .unwrap_or(0);
    Some(highest + 1)
}

/// The front matter with every field of the kind: the known values filled in, the rest
/// left empty, each under a note saying what to write. Notes go on their own line above the
/// field: one at the end of the field's line would take in what an editor types after it.
fn front_matter(
    kind: Kind,
    title: &str,
    today: NaiveDate,
    year: Option<&str>,
    weight: Option<i64>,
) -> String {
    let fields = kind.fields();
    let ordered = fields
        .iter()
        .filter(|f| f.name == "title")
        .chain(fields.iter().filter(|f| f.name != "title"));
    let mut text = String::from("---\n");
    for def in ordered {
        let value = match def.name {
            "title" => serde_json::to_string(title).unwrap_or_default(),
            "date" => today.format("%Y-%m-%d").to_string(),
            "year" => year.map(|y| format!("\"{y}\"")).unwrap_or_default(),
            "weight" => weight.map(|w| w.to_string()).unwrap_or_default(),
            _ => String::new(),
        };
        let line = if value.is_empty() {
            format!("{}:", def.name)
        } else {
            format!("{}: {value}", def.name)
        };
        text.push_str(&format!("# {}\n{line}\n", def.note()));
    }
    text.push_str("---\n");
    text
}

fn body_outline(kind: Kind) -> &'static str {
    match kind {
        Kind::CaseStudy => {
            "\n## What happened\n\nWrite what the group did, who was involved and where.\n\n## What difference it made\n\nWrite what changed for people, with numbers if you have them.\n\n## What others can learn\n\nWrite tips for a group that wants to do the same.\n"
        }
        Kind::Resource => {
            "\n## What this is\n\nWrite what the resource is and who it is for.\n\n## How to use it\n\nWrite the steps or the main points.\n"
        }
        Kind::ReportSection | Kind::ReportYear => {
            "\n## What we did\n\nWrite what the team did this year.\n\n## What difference it made\n\nWrite the results, with numbers where you have them.\n"
        }
        Kind::Page => "\nWrite the page here. Start sections with `## ` and a heading.\n",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    #[test]
    fn case_study_lists_every_field_with_its_allowed_values() {
        let text = front_matter(Kind::CaseStudy, "Café: a new start", today(), None, None);
        assert!(
            text.starts_with("---\n# required: the page's title\ntitle: \"Café: a new start\"\n")
        );
        assert!(text.contains("date: 2026-11-22"));
        for field in Kind::CaseStudy.fields() {
            assert!(
                text.contains(&format!("\n{}:", field.name)),
                "{} missing",
                field.name
            );
        }
        assert!(text.contains("one of: blaby, charnwood"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            assert!(!line.contains('#'), "a note on a value's line: {line}");
        }
    }

    #[test]
    fn page_paths_stay_inside_content() {
        assert_eq!(page_path("help/adding").unwrap(), "help/adding.md");
        assert_eq!(page_path("/help/adding.md").unwrap(), "help/adding.md");
        assert!(page_path("../outside").is_err());
        assert!(page_path("").is_err());
    }
}
