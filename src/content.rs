//! Loading and parsing content files: finding them (walkdir), splitting front matter from the
//! body, and validating the front matter against the content models into typed metadata.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;
use serde_yaml::Value;
use walkdir::WalkDir;

use crate::diagnostics::{Diagnostic, ProblemKind, did_you_mean, display_path};
use crate::models::{Choice, FieldDef, FieldType, Kind, MAX_LIST_ITEMS, SUMMARY_MAX_CHARS};
use crate::yaml::{self, Document, Locator};

/// The files found under `content/`, relative to the site root.
#[derive(Debug, Default)]
pub struct ContentFiles {
    pub pages: Vec<PathBuf>,
    /// Files that are not Markdown: bundle files and others, copied to the output.
    pub assets: Vec<PathBuf>,
}

/// Finds every content file below `root/content`, in a stable order. Files of a type that is
/// not published from `content/` are reported, never copied.
pub fn discover(root: &Path) -> (ContentFiles, Vec<Diagnostic>) {
    let (all, mut problems) = site_files(root, Path::new("content"));
    let bundles: HashSet<&Path> = all
        .iter()
        .filter(|rel| rel.file_name().is_some_and(|n| n == "index.md"))
        .filter_map(|rel| rel.parent())
        .collect();
    let mut files = ContentFiles::default();
    for rel in &all {
        if rel.extension().is_some_and(|e| e == "md") {
            files.pages.push(rel.clone());
            continue;
        }
        let in_bundle = rel.ancestors().skip(1).any(|dir| bundles.contains(dir));
        let starts_like_a_page = || starts_with_front_matter(&root.join(rel));
        match unpublishable(rel, in_bundle, starts_like_a_page) {
            Some((message, hint)) => {
                problems.push(Diagnostic::file_error(rel, message).with_hint(hint));
            }
            None => files.assets.push(rel.clone()),
        }
    }
    (files, problems)
}

/// Pictures, documents and data that residents download: published from anywhere in
/// `content/`. Nothing a browser runs or renders as a page of the site's own origin.
const PUBLISHABLE: [&str; 20] = [
    "jpg", "jpeg", "png", "gif", "webp", "avif", "pdf", "csv", "tsv", "xlsx", "xls", "ods", "pptx",
    "ppt", "odp", "epub", "zip", "mp3", "mp4", "ics",
];
/// Word-processor documents and plain text: published only as a page bundle's files (a
/// resource's attachments), never on their own.
const BUNDLE_ONLY: [&str; 5] = ["docx", "doc", "odt", "rtf", "txt"];
const MARKDOWN_LOOKALIKES: [&str; 5] = ["md", "markdown", "mdown", "mkd", "mkdn"];

/// Why a non-Markdown file in `content/` may not be published, with the hint, or `None`.
fn unpublishable(
    rel: &Path,
    in_bundle: bool,
    starts_like_a_page: impl FnOnce() -> bool,
) -> Option<(String, String)> {
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lower = name.to_lowercase();
    let (stem, extension) = match lower.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => (&name[..stem.len()], extension),
        _ => (name.as_str(), ""),
    };
    let page_stem = if lower.ends_with(".md.txt") {
        Some(&name[..name.len() - ".md.txt".len()])
    } else if MARKDOWN_LOOKALIKES.contains(&extension)
        || (extension == "txt" && starts_like_a_page())
    {
        Some(stem)
    } else {
        None
    };
    if let Some(stem) = page_stem {
        return Some((
            "this looks like a page, but only files ending in .md are built, so it would never appear on the site".to_string(),
            format!("rename it to {stem}.md"),
        ));
    }
    if PUBLISHABLE.contains(&extension) || (in_bundle && BUNDLE_ONLY.contains(&extension)) {
        return None;
    }
    let listed = || {
        format!(
            "files published from content/ are pictures and documents: .{}, and inside a page's own folder .{}",
            PUBLISHABLE.join(", ."),
            BUNDLE_ONLY.join(", .")
        )
    };
    Some(match extension {
        "docx" | "doc" | "odt" | "rtf" | "txt" | "pages" => (
            format!("this .{extension} document is not attached to a page, so it would not be published"),
            "attach it to a resource: put it in the resource's folder beside its index.md and list it under `attachments:`; or convert it to PDF, or its text into a page (.md)".to_string(),
        ),
        "html" | "htm" | "xhtml" | "shtml" | "xml" | "xsl" | "xslt" => (
            format!("a .{extension} file cannot be published from content/: it is not checked, and could run scripts on the site"),
            format!("write the page in Markdown as {stem}.md"),
        ),
        "js" | "mjs" | "css" => (
            format!("a .{extension} file cannot be published from content/: it would change or run on every page of the site"),
            "stylesheets and scripts belong to the theme (themes/default/static/), which the site's maintainers look after".to_string(),
        ),
        "svg" => (
            "an SVG picture can hold scripts, so it is not published from content/".to_string(),
            "save the picture as PNG (or JPEG) and use that file instead".to_string(),
        ),
        "" => (
            format!("{name} has no file type, and files such as _redirects or _headers would be read by the host as its own settings, so it is not published"),
            listed(),
        ),
        _ => (
            format!("files of type .{extension} are not published from content/"),
            listed(),
        ),
    })
}

/// Whether a file begins with a front matter fence, as a page does.
fn starts_with_front_matter(path: &Path) -> bool {
    let mut start = [0u8; 3];
    std::fs::File::open(path)
        .and_then(|mut file| std::io::Read::read_exact(&mut file, &mut start))
        .is_ok_and(|()| &start == b"---")
}

/// Every file below `root/folder`, relative to the root, sorted. Hidden files and editor
/// leftovers are skipped. A symbolic link is followed only to a visible file inside the
/// site: one that leads outside (a private key, say) or to a hidden file (`.git/config`,
/// `.env`) is never read or copied, and a loop or a dangling link is reported rather than
/// followed.
pub fn site_files(root: &Path, folder: &Path) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let base = root.join(folder);
    if !base.exists() {
        return (files, problems);
    }
    let real_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    for entry in WalkDir::new(&base)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_ignored(e.file_name()))
    {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let path = error.path().unwrap_or(&base).to_path_buf();
                let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
                problems.push(Diagnostic::file_error(
                    rel,
                    format!("this cannot be read: {error}"),
                ));
                continue;
            }
        };
        let rel = entry
            .path()
            .strip_prefix(root)
            .unwrap_or(entry.path())
            .to_path_buf();
        if entry.path_is_symlink() {
            match entry.path().canonicalize() {
                Err(_) => problems.push(
                    Diagnostic::file_error(&rel, "this is a link that leads nowhere, or round in a loop")
                        .with_hint("remove the link, or put the real file here"),
                ),
                Ok(target) if !target.starts_with(&real_root) => problems.push(
                    Diagnostic::file_error(
                        &rel,
                        format!(
                            "this is a link to {}, outside the site folder, so it is not read or published",
                            target.display()
                        ),
                    )
                    .with_hint("copy the file into the site if it should be published"),
                ),
                Ok(target) if is_hidden_inside(&real_root, &target) => problems.push(
                    Diagnostic::file_error(
                        &rel,
                        format!(
                            "this is a link to the hidden file {}, so it is not read or published",
                            display_path(target.strip_prefix(&real_root).unwrap_or(&target))
                        ),
                    )
                    .with_hint("remove the link: hidden files (names starting with a dot) are never published"),
                ),
                Ok(target) if target.is_file() => files.push(rel),
                Ok(_) => problems.push(
                    Diagnostic::file_error(&rel, "this is a link to a folder, and links to folders are not followed")
                        .with_hint("move the folder here instead of linking to it"),
                ),
            }
            continue;
        }
        if entry.file_type().is_file() {
            files.push(rel);
        }
    }
    (files, problems)
}

/// Whether `target`, a real path inside `real_root`, has a hidden or ignored part.
fn is_hidden_inside(real_root: &Path, target: &Path) -> bool {
    target
        .strip_prefix(real_root)
        .unwrap_or(target)
        .components()
        .any(|c| is_ignored(c.as_os_str()))
}

/// Whether `rel`, relative to the root, is a file the build may read: no part of it is
/// hidden, and its real path (links followed) is a visible file inside the site.
pub fn is_readable_site_file(root: &Path, rel: &Path) -> bool {
    if rel
        .components()
        .any(|c| !matches!(c, Component::Normal(_)) || is_ignored(c.as_os_str()))
    {
        return false;
    }
    let (Ok(real_root), Ok(target)) = (root.canonicalize(), root.join(rel).canonicalize()) else {
        return false;
    };
    target.starts_with(&real_root) && !is_hidden_inside(&real_root, &target) && target.is_file()
}

/// Hidden files and editor leftovers, which the build never reads.
pub fn is_ignored(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with('.') || name.ends_with('~') || name.ends_with(".swp") || name.starts_with('#')
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// As written, relative to the page.
    pub file: String,
    pub title: String,
    /// The file relative to the site root, once found.
    #[serde(skip)]
    pub source: PathBuf,
    pub size: u64,
    /// For a PDF, its number of pages where they can be counted.
    pub pages: Option<usize>,
}

/// An image's size in pixels, so that pages can reserve its space before it loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImageSize {
    pub width: usize,
    pub height: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Figure {
    pub value: String,
    pub label: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub name: String,
    pub role: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A checked front matter value, of the type its field's definition says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Text(String),
    Date(NaiveDate),
    Bool(bool),
    Integer(i64),
    List(Vec<String>),
    Records(Vec<BTreeMap<String, String>>),
}

impl Serialize for FieldValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            FieldValue::Text(text) => text.serialize(serializer),
            FieldValue::Date(date) => date.format("%Y-%m-%d").to_string().serialize(serializer),
            FieldValue::Bool(b) => b.serialize(serializer),
            FieldValue::Integer(n) => n.serialize(serializer),
            FieldValue::List(items) => items.serialize(serializer),
            FieldValue::Records(records) => records.serialize(serializer),
        }
    }
}

/// The value inside one variant of `FieldValue`, or the value back when it is another.
macro_rules! shape {
    ($variant:ident) => {
        |value| match value {
            FieldValue::$variant(inner) => Ok(inner),
            other => Err(other),
        }
    };
}

/// The checked fields of a page, keyed by their names in the field tables of `models`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values(BTreeMap<&'static str, FieldValue>);

impl Values {
    fn insert(&mut self, name: &'static str, value: FieldValue) {
        self.0.insert(name, value);
    }

    /// Takes a field out if it holds a value of this shape. A field of another shape means
    /// the field tables and `Meta::from_values` disagree: tests stop there, and a release
    /// build keeps the value for templates.
    fn take<T>(&mut self, name: &str, shape: fn(FieldValue) -> Result<T, FieldValue>) -> Option<T> {
        let (key, value) = self.0.remove_entry(name)?;
        match shape(value) {
            Ok(taken) => Some(taken),
            Err(value) => {
                debug_assert!(false, "`{name}` is taken as another type than its table's");
                self.0.insert(key, value);
                None
            }
        }
    }

    fn text(&mut self, name: &str) -> Option<String> {
        self.take(name, shape!(Text))
    }

    fn date(&mut self, name: &str) -> Option<NaiveDate> {
        self.take(name, shape!(Date))
    }

    fn bool(&mut self, name: &str) -> Option<bool> {
        self.take(name, shape!(Bool))
    }

    fn integer(&mut self, name: &str) -> Option<i64> {
        self.take(name, shape!(Integer))
    }

    fn list(&mut self, name: &str) -> Vec<String> {
        self.take(name, shape!(List)).unwrap_or_default()
    }

    fn records(&mut self, name: &str) -> Vec<BTreeMap<String, String>> {
        self.take(name, shape!(Records)).unwrap_or_default()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &FieldValue)> {
        self.0.iter().map(|(name, value)| (*name, value))
    }

    /// The fields not taken, in a map of their own: the map they were taken from keeps the
    /// nodes it grew to for every field (52 MB at 100,000 pages, held to the end of a build).
    fn rest(self) -> Values {
        Values(self.0.into_iter().collect())
    }
}

/// The front matter of any kind of page, checked and typed. Fields a kind does not have stay
/// empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    pub title: String,
    pub summary: Option<String>,
    pub date: Option<NaiveDate>,
    pub updated: Option<NaiveDate>,
    pub draft: bool,
    pub slug: Option<String>,
    pub aliases: Vec<String>,
    pub tags: Vec<String>,
    pub weight: i64,
    pub image: Option<String>,
    pub image_alt: Option<String>,
    /// Read from the image file once it is found.
    pub image_size: Option<ImageSize>,
    /// Where `image:` is written, to report what is wrong with the picture there.
    pub image_position: (usize, usize),
    pub area: Option<String>,
    pub principles: Vec<String>,
    pub approaches: Vec<String>,
    pub outcomes: Vec<String>,
    pub assets: Vec<String>,
    pub organisation: Option<String>,
    pub funding: Option<String>,
    pub resource_kind: Option<String>,
    pub audience: Vec<String>,
    pub attachments: Vec<Attachment>,
    pub source_url: Option<String>,
    pub published_by: Option<String>,
    pub year: Option<String>,
    pub figures: Vec<Figure>,
    pub contacts: Vec<Contact>,
    /// Checked fields that the build itself does not use, for templates to show: a field
    /// added to a kind's table reaches the templates with no other change.
    pub other: Values,
}

impl Meta {
    /// The typed metadata of checked values: each field the build uses is taken by its name
    /// in the field tables, and the rest are kept for templates.
    fn from_values(mut v: Values) -> Meta {
        Meta {
            title: v.text("title").unwrap_or_default(),
            summary: v.text("summary"),
            date: v.date("date"),
            updated: v.date("updated"),
            draft: v.bool("draft").unwrap_or_default(),
            slug: v.text("slug"),
            aliases: v.list("aliases"),
            tags: v.list("tags"),
            weight: v.integer("weight").unwrap_or_default(),
            image: v.text("image"),
            image_alt: v.text("image_alt"),
            image_size: None,
            image_position: (0, 0),
            area: v.text("area"),
            principles: v.list("principles"),
            approaches: v.list("approaches"),
            outcomes: v.list("outcomes"),
            assets: v.list("assets"),
            organisation: v.text("organisation"),
            funding: v.text("funding"),
            resource_kind: v.text("kind"),
            audience: v.list("audience"),
            attachments: v
                .records("attachments")
                .into_iter()
                .map(|mut r| Attachment {
                    file: r.remove("file").unwrap_or_default(),
                    title: r.remove("title").unwrap_or_default(),
                    source: PathBuf::new(),
                    size: 0,
                    pages: None,
                })
                .collect(),
            source_url: v.text("source_url"),
            published_by: v.text("published_by"),
            year: v.text("year"),
            figures: v
                .records("figures")
                .into_iter()
                .map(|mut r| Figure {
                    value: r.remove("value").unwrap_or_default(),
                    label: r.remove("label").unwrap_or_default(),
                })
                .collect(),
            contacts: v
                .records("contacts")
                .into_iter()
                .map(|mut r| Contact {
                    name: r.remove("name").unwrap_or_default(),
                    role: r.remove("role"),
                    email: r.remove("email"),
                    phone: r.remove("phone"),
                })
                .collect(),
            other: v.rest(),
        }
    }

    /// Writes a tag as `chosen` wherever this page wrote it as `spelling`.
    pub fn respell_tag(&mut self, spelling: &str, chosen: &str) {
        for tag in &mut self.tags {
            if tag == spelling {
                *tag = chosen.to_string();
            }
        }
        let mut seen = BTreeSet::new();
        self.tags.retain(|tag| seen.insert(tag.clone()));
    }

    /// The values of a taxonomy's field on this page.
    pub fn terms(&self, field: &str) -> Vec<&str> {
        match field {
            "principles" => self.principles.iter().map(String::as_str).collect(),
            "area" => self.area.iter().map(String::as_str).collect(),
            "approaches" => self.approaches.iter().map(String::as_str).collect(),
            "outcomes" => self.outcomes.iter().map(String::as_str).collect(),
            "tags" => self.tags.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

/// A content file after parsing: typed metadata and the Markdown body, not yet rendered.
#[derive(Debug, Clone)]
pub struct Source {
    /// Relative to the site root, e.g. `content/case-studies/botcheston.md`.
    pub path: PathBuf,
    /// Relative to `content/`, forward slashes, e.g. `case-studies/botcheston.md`.
    pub content_path: String,
    pub kind: Kind,
    /// A folder's `_index.md`: the section's own page.
    pub is_section: bool,
    /// An `index.md`: a page bundle whose folder holds its files.
    pub is_bundle: bool,
    pub meta: Meta,
    /// The front matter as written, so that checks of the whole site can point at a field.
    pub front_matter: String,
    /// The file line the front matter starts on.
    pub front_matter_line: usize,
    pub body: Arc<str>,
    /// The file line the body starts on.
    pub body_line: usize,
    /// The page's path on the site, without the base path: `/case-studies/botcheston/`.
    pub url: String,
}

impl Source {
    /// Where keys and values are written in the front matter.
    pub fn locator(&self) -> Locator<'_> {
        Locator::new(&self.front_matter, self.front_matter_line)
    }

    /// The folder that page-relative paths (images, attachments) are resolved against.
    pub fn dir(&self) -> PathBuf {
        self.path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }
}

/// Reads and parses one content file. A page comes back whenever its front matter could be
/// read, even with field errors, so that the rest of the run can still find further mistakes.
pub fn parse_file(root: &Path, path: &Path, max_mb: u64) -> (Option<Source>, Vec<Diagnostic>) {
    match read_file(root, path, max_mb) {
        Ok(bytes) => parse_bytes(root, path, &bytes),
        Err(problem) => (None, vec![problem]),
    }
}

/// A content file's bytes, unless it is over the size limit (checked before reading) or
/// cannot be read.
pub fn read_file(root: &Path, path: &Path, max_mb: u64) -> Result<Vec<u8>, Diagnostic> {
    let size = std::fs::metadata(root.join(path)).map_or(0, |m| m.len());
    if size > max_mb * 1024 * 1024 {
        return Err(Diagnostic::file_error(
            path,
            format!(
                "this file is {:.1} MB, more than the {max_mb} MB a page may be, so it was not read",
                size as f64 / (1024.0 * 1024.0)
            ),
        )
        .with_kind(ProblemKind::OverLimit)
        .with_hint("split it into several pages, or raise `max_file_mb` in site.yaml"));
    }
    std::fs::read(root.join(path))
        .map_err(|error| Diagnostic::file_error(path, format!("this file cannot be read: {error}")))
}

pub fn parse_bytes(root: &Path, path: &Path, bytes: &[u8]) -> (Option<Source>, Vec<Diagnostic>) {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let valid = std::str::from_utf8(&bytes[..error.valid_up_to()]).unwrap_or_default();
            let (line, column) = crate::diagnostics::line_col(valid, valid.len());
            return (
                None,
                vec![
                    Diagnostic::error(path, line, column, "this file is not valid UTF-8 text")
                        .with_hint("save the file as UTF-8 in your editor (\"Save with encoding\" → UTF-8)"),
                ],
            );
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return (
            None,
            vec![
                Diagnostic::file_error(path, "this file is empty").with_hint(
                    "start it with front matter: a line `---`, then `title: ...`, then `---`",
                ),
            ],
        );
    }
    let (front, front_line, body, body_line) = match split_front_matter(text, path) {
        Ok(parts) => parts,
        Err(diagnostic) => return (None, vec![diagnostic]),
    };
    let doc = match Document::parse(front, front_line, path) {
        Ok(doc) => doc,
        Err(diagnostic) => return (None, vec![diagnostic]),
    };
    let content_path = content_relative(path);
    let kind = Kind::for_path(&content_path);
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let is_section = file_name == "_index.md";
    let is_bundle = file_name == "index.md";
    let mut checker = Checker {
        doc: &doc,
        path,
        problems: Vec::new(),
    };
    let mut meta = checker.meta(kind, &content_path);
    if is_section && meta.slug.is_some() {
        let (line, column) = doc.key_position("slug");
        checker.problems.push(
            Diagnostic::error(
                path,
                line,
                column,
                "`slug` has no effect in a section's _index.md",
            )
            .with_hint("rename the folder to change the section's web address"),
        );
    }
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    checker.check_files(root, &dir, &mut meta);
    let url = page_url(&content_path, meta.slug.as_deref());
    if url.contains("//") {
        checker.problems.push(
            Diagnostic::file_error(path, "this file's name (or a folder's) has no letters or digits to make a web address from")
                .with_hint("rename it with words, e.g. village-hall.md"),
        );
    }
    let problems = checker.problems;
    (
        Some(Source {
            path: path.to_path_buf(),
            content_path,
            kind,
            is_section,
            is_bundle,
            meta,
            front_matter: front.to_string(),
            front_matter_line: front_line,
            body: Arc::from(body),
            body_line,
            url,
        }),
        problems,
    )
}

/// Splits `---` front matter from the body: (front matter, its first line, body, its first
/// line). Blank lines before the opening `---` are allowed, as other generators allow them.
fn split_front_matter<'t>(
    text: &'t str,
    path: &Path,
) -> Result<(&'t str, usize, &'t str, usize), Diagnostic> {
    let fence_error = |line: usize, message: String, hint: String| {
        Diagnostic::error(path, line, 1, message)
            .with_kind(ProblemKind::FrontMatterFence)
            .with_hint(hint)
    };
    let mut lines = (1..)
        .zip(text.split_inclusive('\n'))
        .scan(0, |offset, (n, l)| {
            let start = *offset;
            *offset += l.len();
            Some((n, start, l))
        });
    let (opening, start, first) = lines
        .find(|(_, _, l)| !l.trim().is_empty())
        .unwrap_or((1, 0, ""));
    let first = first.trim_end();
    if first != "---" {
        return Err(if first == "+++" {
            fence_error(
                opening,
                "this front matter is between `+++` lines (TOML), but this site reads YAML between `---` lines".into(),
                format!("write it like this:\n{}", toml_as_yaml(&text[start..])),
            )
        } else if is_dash_line(first) {
            fence_error(
                opening,
                format!(
                    "the front matter starts with `{first}`, but it must start with exactly three hyphens: `---`"
                ),
                "make the first line `---`: three hyphens typed on the keyboard, nothing else"
                    .into(),
            )
        } else {
            fence_error(
                opening,
                "this file has no front matter: it must start with a line `---`".into(),
                "add `---`, `title: Your title` and `---` as the first three lines".into(),
            )
        });
    }
    let front_start = start
        + text[start..]
            .find('\n')
            .map_or(text.len() - start, |n| n + 1);
    let mut near_miss = None;
    for (line, offset, l) in lines {
        let trimmed = l.trim_end();
        if trimmed == "---" {
            let front = &text[front_start..offset];
            let body = &text[offset + l.len()..];
            return Ok((front, opening + 1, body, line + 1));
        }
        if near_miss.is_none() && is_dash_line(trimmed) {
            near_miss = Some((line, trimmed));
        }
    }
    Err(match near_miss {
        Some((line, fence)) => fence_error(
            line,
            format!(
                "the front matter is closed with `{fence}`, but it must be closed with exactly three hyphens: `---`"
            ),
            "make this line `---`: three hyphens typed on the keyboard, nothing else".into(),
        ),
        None => fence_error(
            opening,
            "the front matter is never closed: no second `---` line was found".into(),
            "add a line `---` after the last front matter field, before the page text".into(),
        ),
    })
}

/// A line of hyphens or dashes that is not the `---` fence: `----`, `--`, `—-`.
fn is_dash_line(line: &str) -> bool {
    line != "---"
        && !line.is_empty()
        && line
            .chars()
            .all(|c| matches!(c, '-' | '\u{2013}' | '\u{2014}'))
}

/// TOML front matter (`+++` ... `+++`) written as this site's YAML front matter, for the hint:
/// `key = value` lines become `key: value`; TOML's strings, numbers, dates and lists read the
/// same in YAML.
fn toml_as_yaml(text: &str) -> String {
    let mut yaml = vec!["---".to_string()];
    for line in text.lines().skip(1) {
        if line.trim_end() == "+++" {
            break;
        }
        yaml.push(match line.split_once(" = ") {
            Some((key, value)) if !key.starts_with([' ', '#']) => format!("{key}: {value}"),
            _ => line.to_string(),
        });
    }
    yaml.push("---".to_string());
    yaml.join("\n")
}

/// `content/a/b.md` -> `a/b.md`, with forward slashes.
pub fn content_relative(path: &Path) -> String {
    let rel = path.strip_prefix("content").unwrap_or(path);
    display_path(rel)
}

/// The site path of a content file: `a/b.md` -> `/a/b/`, `a/index.md` and `a/_index.md` ->
/// `/a/`; a slug replaces the last segment. File and folder names are made into plain URL
/// segments (lower case, accents folded, hyphens).
pub fn page_url(content_path: &str, slug: Option<&str>) -> String {
    let mut segments: Vec<String> = content_path.split('/').map(str::to_string).collect();
    let file = segments.pop().unwrap_or_default();
    let stem = file.strip_suffix(".md").unwrap_or(&file);
    if stem != "index" && stem != "_index" {
        segments.push(stem.to_string());
    }
    let mut segments: Vec<String> = segments.iter().map(|s| url_segment(s)).collect();
    if let Some(slug) = slug
        && !content_path.ends_with("_index.md")
    {
        match segments.last_mut() {
            Some(last) => *last = slug.to_string(),
            None => segments.push(slug.to_string()),
        }
    }
    if segments.is_empty() {
        "/".to_string()
    } else {
        format!("/{}/", segments.join("/"))
    }
}

/// A file or folder name as a URL segment; names that already are one are kept as written.
pub fn url_segment(name: &str) -> String {
    if is_plain_segment(name) {
        name.to_string()
    } else {
        slug::slugify(name)
    }
}

/// One plain URL segment: lower-case letters, digits, hyphens, underscores and dots, not
/// starting with a dot.
pub fn is_plain_segment(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// Checks front matter fields against a kind's definitions, collecting every problem.
struct Checker<'a, 'd> {
    doc: &'a Document<'d>,
    path: &'a Path,
    problems: Vec<Diagnostic>,
}

impl Checker<'_, '_> {
    /// A field's value that cannot be used, reported at its field.
    fn error_at_key(&mut self, key: &str, message: String, hint: Option<String>) {
        let (line, column) = self.doc.key_position(key);
        self.invalid(line, column, message, hint);
    }

    /// A value that cannot be used, reported where it is written inside its field.
    fn error_at_value(&mut self, key: &str, needle: &str, message: String, hint: Option<String>) {
        let (line, column) = self.doc.value_position(key, needle);
        self.invalid(line, column, message, hint);
    }

    fn invalid(&mut self, line: usize, column: usize, message: String, hint: Option<String>) {
        self.problems.push(
            Diagnostic::error(self.path, line, column, message)
                .with_kind(ProblemKind::InvalidValue)
                .with_hint_opt(hint),
        );
    }

    fn meta(&mut self, kind: Kind, content_path: &str) -> Meta {
        let fields = kind.fields();
        let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
        let mut values = Values::default();
        let mut unknown = Vec::new();
        for (key, _) in &self.doc.map {
            let Some(key) = key.as_str() else {
                let shown =
                    yaml::scalar_text(key).unwrap_or_else(|| yaml::describe(key).to_string());
                self.error_at_key(
                    &shown,
                    format!("`{shown}` is not a field name"),
                    Some("field names are words such as `title` or `summary`; text goes after a field name, or below the closing `---`".into()),
                );
                continue;
            };
            if !names.contains(&key) {
                unknown.push(key);
            }
        }
        let misplaced = self.wrong_folder(kind, content_path, &unknown);
        for key in unknown {
            if !misplaced.contains(&key) {
                let hint = did_you_mean(key, names.iter().copied()).or_else(|| {
                    Some(format!(
                        "{} can have these fields: {}",
                        kind.a_name(),
                        names.join(", ")
                    ))
                });
                let (line, column) = self.doc.key_position(key);
                self.problems.push(
                    Diagnostic::error(
                        self.path,
                        line,
                        column,
                        format!("`{key}` is not a field of {}", kind.a_name()),
                    )
                    .with_kind(ProblemKind::UnknownField)
                    .with_hint_opt(hint),
                );
            }
        }
        for def in &fields {
            match self.doc.map.get(def.name) {
                Some(Value::Null) if def.required => {
                    self.error_at_key(
                        def.name,
                        format!("`{}` is empty", def.name),
                        Some(format!("write {} after `{}:`", def.help, def.name)),
                    );
                }
                None | Some(Value::Null) => {
                    if def.required {
                        // A missing field has no line of its own: point at the closing
                        // `---`, above which it belongs.
                        self.problems.push(
                            Diagnostic::error(
                                self.path,
                                self.doc.end_line(),
                                1,
                                format!("the required field `{}` is missing", def.name),
                            )
                            .with_kind(ProblemKind::MissingField)
                            .with_hint(format!(
                                "add a line `{}: ...` above the closing `---`, with {}",
                                def.name, def.help
                            )),
                        );
                    }
                }
                Some(value) => {
                    if let Some(checked) = self.field(def, value) {
                        values.insert(def.name, checked);
                    }
                }
            }
        }
        let meta = Meta::from_values(values);
        self.residents_checks(&meta);
        self.cut_values(&fields);
        meta
    }

    /// Fields of another kind in this file: one error saying where that kind lives, rather
    /// than one per field whose hints lead to deleting them. Returns the fields it covers.
    fn wrong_folder<'k>(
        &mut self,
        kind: Kind,
        content_path: &str,
        unknown: &[&'k str],
    ) -> Vec<&'k str> {
        let Some((other, fields)) = Kind::ALL
            .iter()
            .filter(|&&k| k != kind)
            .map(|&k| {
                let own: Vec<&'k str> = unknown
                    .iter()
                    .copied()
                    .filter(|u| k.own_fields().any(|f| f.name == *u))
                    .collect();
                (k, own)
            })
            .max_by_key(|(_, own)| own.len())
            .filter(|(_, own)| !own.is_empty())
        else {
            return Vec::new();
        };
        let (line, column) = fields
            .iter()
            .map(|f| self.doc.key_position(f))
            .min()
            .unwrap_or((1, 1));
        let folder = content_path
            .rsplit_once('/')
            .map_or("content/".to_string(), |(dir, _)| format!("content/{dir}/"));
        let mut listed = fields
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ");
        if let Some(last) = listed.rfind(", ") {
            listed.replace_range(last..last + 2, " and ");
        }
        self.problems.push(
            Diagnostic::error(
                self.path,
                line,
                column,
                format!(
                    "{listed} {} of {}, but this file is in {folder}, which makes it {}",
                    if fields.len() == 1 {
                        "is a field"
                    } else {
                        "are fields"
                    },
                    other.a_name(),
                    kind.a_name()
                ),
            )
            .with_kind(ProblemKind::WrongFolder)
            .with_hint(format!("{}: move the file there", other.home())),
        );
        fields
    }

    /// Content that is valid but fails the people who read it.
    fn residents_checks(&mut self, meta: &Meta) {
        if meta.image.is_some() {
            match self.doc.map.get("image_alt") {
                None => self.error_at_key(
                    "image",
                    "`image` is set but `image_alt` is missing".to_string(),
                    Some("add `image_alt:` with a short description of the picture for people who cannot see it".into()),
                ),
                Some(alt) if yaml::scalar_text(alt).is_none_or(|a| a.trim().is_empty()) => self
                    .error_at_key(
                        "image_alt",
                        "`image_alt` is empty".to_string(),
                        Some("describe the picture in a few words for people who cannot see it, e.g. image_alt: Volunteers planting trees on the green".into()),
                    ),
                Some(_) => {}
            }
        }
        if let Some(summary) = &meta.summary {
            let length = summary.chars().count();
            if length > SUMMARY_MAX_CHARS {
                let (line, column) = self.doc.key_position("summary");
                self.problems.push(
                    Diagnostic::warning(
                        self.path,
                        line,
                        column,
                        format!(
                            "the summary is {length} characters long: search results and cards show about {SUMMARY_MAX_CHARS}, so its end is cut off"
                        ),
                    )
                    .with_kind(ProblemKind::ContentQuality)
                    .with_hint("shorten it to one or two sentences; the page text can say the rest"),
                );
            }
        }
    }

    /// Values of this kind's fields that a ` #` cut short. The note that `new` once wrote
    /// after a field's value is a note, not lost text.
    fn cut_values(&mut self, fields: &[FieldDef]) {
        for cut in self.doc.comments_after_values() {
            let Some(def) = fields.iter().find(|f| f.name == cut.key) else {
                continue;
            };
            if cut.lost.trim_start_matches('#').trim() == def.note() {
                continue;
            }
            self.problems.push(
                Diagnostic::warning(
                    self.path,
                    cut.line,
                    cut.column,
                    format!(
                        "YAML reads ` #` as the start of a note, so `{}` is only {:?} and {:?} is left out",
                        cut.key, cut.kept, cut.lost
                    ),
                )
                .with_kind(ProblemKind::YamlComment)
                .with_hint(format!(
                    "put the whole value in quotes: \"{} {}\"",
                    cut.kept, cut.lost
                )),
            );
        }
    }

    /// A field's value, checked against its definition's type.
    fn field(&mut self, def: &FieldDef, value: &Value) -> Option<FieldValue> {
        let name = def.name;
        match def.ty {
            FieldType::Text | FieldType::ImagePath => self.text(def, value).map(FieldValue::Text),
            FieldType::Date => self.date(def, value).map(FieldValue::Date),
            FieldType::Bool => match value {
                Value::Bool(b) => Some(FieldValue::Bool(*b)),
                other => {
                    self.wrong_type(def, other, "true or false");
                    None
                }
            },
            FieldType::Integer => match value.as_i64() {
                Some(n) => Some(FieldValue::Integer(n)),
                None => {
                    self.wrong_type(def, value, "a whole number");
                    None
                }
            },
            FieldType::Slug => {
                let text = self.text(def, value)?;
                if is_plain_segment(&text) {
                    return Some(FieldValue::Text(text));
                }
                let suggestion = slug::slugify(&text);
                let hint = if suggestion.is_empty() {
                    "use lower-case letters, digits and hyphens, e.g. slug: village-hall"
                        .to_string()
                } else {
                    format!("use lower-case letters, digits and hyphens, e.g. slug: {suggestion}")
                };
                self.error_at_key(
                    name,
                    format!("the slug {text:?} is not one plain part of a web address"),
                    Some(hint),
                );
                None
            }
            FieldType::TextList => self.text_list(def, value).map(FieldValue::List),
            FieldType::ReportYear => {
                let text = self.text(def, value)?;
                if is_report_year(&text) {
                    return Some(FieldValue::Text(text));
                }
                self.error_at_key(
                    name,
                    format!("the year {text:?} is not a report year"),
                    Some("write the financial year in quotes, e.g. year: \"2020-21\"".into()),
                );
                None
            }
            FieldType::OneOf(choices) => self
                .text(def, value)
                .filter(|text| self.allowed(def, choices, text))
                .map(FieldValue::Text),
            FieldType::ManyOf(choices) => {
                let list = self.text_list(def, value).unwrap_or_default();
                let mut kept = Vec::new();
                for item in list {
                    if self.allowed(def, choices, &item) && !kept.contains(&item) {
                        kept.push(item);
                    }
                }
                Some(FieldValue::List(kept))
            }
            FieldType::Records { required, optional } => Some(FieldValue::Records(
                self.records(def, value, required, optional),
            )),
        }
    }

    fn wrong_type(&mut self, def: &FieldDef, found: &Value, wanted: &str) {
        self.error_at_key(
            def.name,
            format!(
                "`{}` must be {wanted}, but it is {}",
                def.name,
                yaml::describe(found)
            ),
            Some(format!("`{}` is {}", def.name, def.help)),
        );
    }

    fn text(&mut self, def: &FieldDef, value: &Value) -> Option<String> {
        match yaml::scalar_text(value) {
            Some(text) if text.trim().is_empty() && def.required => {
                self.error_at_key(
                    def.name,
                    format!("`{}` is empty", def.name),
                    Some(format!("write {}", def.help)),
                );
                None
            }
            Some(text) => Some(text),
            None => {
                self.wrong_type(def, value, "text");
                None
            }
        }
    }

    fn text_list(&mut self, def: &FieldDef, value: &Value) -> Option<Vec<String>> {
        let Value::Sequence(items) = value else {
            let hint = match yaml::scalar_text(value) {
                // `-prevention` under the field: a list item without its space.
                Some(text) if text.starts_with('-') => format!(
                    "put a space after each dash, e.g. `  - {}`",
                    text.split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .trim_start_matches('-')
                ),
                Some(text) => format!("write it as a list, e.g. {}: [{}]", def.name, text),
                None => format!("`{}` is {}", def.name, def.help),
            };
            self.error_at_key(
                def.name,
                format!(
                    "`{}` must be a list, but it is {}",
                    def.name,
                    yaml::describe(value)
                ),
                Some(hint),
            );
            return None;
        };
        if !self.within_limit(def, items) {
            return None;
        }
        let mut list = Vec::new();
        for item in items {
            match yaml::scalar_text(item) {
                Some(text) => list.push(text),
                None => self.error_at_key(
                    def.name,
                    format!(
                        "each item of `{}` must be text, but one is {}",
                        def.name,
                        yaml::describe(item)
                    ),
                    Some(format!(
                        "write each item as a few words after \"- \"; `{}` is {}",
                        def.name, def.help
                    )),
                ),
            }
        }
        Some(list)
    }

    /// Refuses a list longer than any real page has, before its items are looked at.
    fn within_limit(&mut self, def: &FieldDef, items: &[Value]) -> bool {
        if items.len() <= MAX_LIST_ITEMS {
            return true;
        }
        let (line, column) = self.doc.key_position(def.name);
        self.problems.push(
            Diagnostic::error(
                self.path,
                line,
                column,
                format!(
                    "`{}` has {} items, more than the {MAX_LIST_ITEMS} a page may list",
                    def.name,
                    items.len()
                ),
            )
            .with_kind(ProblemKind::OverLimit)
            .with_hint("keep the few that matter most; a long list helps nobody find the page"),
        );
        false
    }

    fn allowed(&mut self, def: &FieldDef, choices: &[Choice], text: &str) -> bool {
        if choices.iter().any(|c| c.value == text) {
            return true;
        }
        let values = choices.iter().map(|c| c.value);
        let hint = did_you_mean(text, values.clone())
            .or_else(|| {
                // People often write the display name ("Hinckley and Bosworth").
                choices
                    .iter()
                    .find(|c| c.name.eq_ignore_ascii_case(text.trim()))
                    .map(|c| format!("did you mean \"{}\"?", c.value))
            })
            .unwrap_or_else(|| "copy one of the allowed values exactly as it is written".into());
        let allowed = values.collect::<Vec<_>>().join(", ");
        self.error_at_value(
            def.name,
            text,
            format!(
                "{text:?} is not an allowed value of `{}` (allowed: {allowed})",
                def.name
            ),
            Some(hint),
        );
        false
    }

    fn date(&mut self, def: &FieldDef, value: &Value) -> Option<NaiveDate> {
        let text = yaml::scalar_text(value)?;
        match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
            Ok(date) if is_iso_date_shape(text.trim()) => Some(date),
            _ => {
                let message = if is_iso_date_shape(text.trim()) {
                    format!("`{}` is {text}, which is not a real date", def.name)
                } else {
                    format!(
                        "`{}` must be a date written YYYY-MM-DD, but it is {text:?}",
                        def.name
                    )
                };
                let hint = match day_first(text.trim()) {
                    Some(iso) => format!("write the year first: `{}: {iso}`", def.name),
                    None => format!("`{}` is {}", def.name, def.help),
                };
                self.error_at_key(def.name, message, Some(hint));
                None
            }
        }
    }

    fn records(
        &mut self,
        def: &FieldDef,
        value: &Value,
        required: &[&str],
        optional: &[&str],
    ) -> Vec<BTreeMap<String, String>> {
        let Value::Sequence(items) = value else {
            self.wrong_type(def, value, "a list");
            return Vec::new();
        };
        if !self.within_limit(def, items) {
            return Vec::new();
        }
        let mut records = Vec::new();
        for item in items {
            let Value::Mapping(map) = item else {
                self.error_at_key(
                    def.name,
                    format!(
                        "each item of `{}` must have fields ({}), but one is {}",
                        def.name,
                        required.join(", "),
                        yaml::describe(item)
                    ),
                    Some(format!("`{}` is {}", def.name, def.help)),
                );
                continue;
            };
            let mut record = BTreeMap::new();
            for (key, field_value) in map {
                let key = key.as_str().unwrap_or_default();
                if !required.contains(&key) && !optional.contains(&key) {
                    let known: Vec<&str> = required.iter().chain(optional).copied().collect();
                    let hint = did_you_mean(key, known.iter().copied())
                        .unwrap_or_else(|| format!("each item can have: {}", known.join(", ")));
                    self.error_at_value(
                        def.name,
                        key,
                        format!("`{key}` is not a field of an item of `{}`", def.name),
                        Some(hint),
                    );
                    continue;
                }
                match yaml::scalar_text(field_value) {
                    Some(text) => {
                        record.insert(key.to_string(), text);
                    }
                    None => self.error_at_value(
                        def.name,
                        key,
                        format!(
                            "`{key}` in `{}` must be text, but it is {}",
                            def.name,
                            yaml::describe(field_value)
                        ),
                        None,
                    ),
                }
            }
            let missing: Vec<&str> = required
                .iter()
                .copied()
                .filter(|k| !record.contains_key(*k))
                .collect();
            if !missing.is_empty() {
                let needle = record.values().next().cloned().unwrap_or_default();
                self.error_at_value(
                    def.name,
                    &needle,
                    format!(
                        "an item of `{}` is missing {}",
                        def.name,
                        missing.join(" and ")
                    ),
                    Some(format!("`{}` is {}", def.name, def.help)),
                );
                continue;
            }
            records.push(record);
        }
        records
    }

    /// Images and attachments must exist: a page-relative file, or a site path under `static/`.
    fn check_files(&mut self, root: &Path, dir: &Path, meta: &mut Meta) {
        if let Some(image) = meta.image.clone() {
            meta.image_position = self.doc.key_position("image");
            match resolve_file(root, dir, &image) {
                Some(found) => {
                    meta.image_size = imagesize::size(root.join(found)).ok().map(|s| ImageSize {
                        width: s.width,
                        height: s.height,
                    });
                }
                None => self.error_at_key(
                    "image",
                    format!("the image file {image:?} does not exist"),
                    Some(missing_file_hint(root, dir, &image)),
                ),
            }
        }
        let mut attachments = std::mem::take(&mut meta.attachments);
        for attachment in &mut attachments {
            match resolve_file(root, dir, &attachment.file) {
                Some(found) => {
                    attachment.size = std::fs::metadata(root.join(&found)).map_or(0, |m| m.len());
                    if found
                        .extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"))
                    {
                        attachment.pages = std::fs::read(root.join(&found))
                            .ok()
                            .and_then(|bytes| pdf_page_count(&bytes));
                    }
                    attachment.source = found;
                }
                None => {
                    let hint = missing_file_hint(root, dir, &attachment.file);
                    self.error_at_value(
                        "attachments",
                        &attachment.file,
                        format!("the attachment file {:?} does not exist", attachment.file),
                        Some(hint),
                    );
                }
            }
        }
        meta.attachments = attachments;
    }
}

/// Counts a PDF's `/Type /Page` objects. PDFs that keep their objects in compressed streams
/// show none, and then the count is unknown rather than wrong.
fn pdf_page_count(bytes: &[u8]) -> Option<usize> {
    const TYPE: &[u8] = b"/Type";
    let mut count = 0;
    let mut rest = bytes;
    while let Some(at) = rest.windows(TYPE.len()).position(|w| w == TYPE) {
        rest = &rest[at + TYPE.len()..];
        let value = rest.trim_ascii_start();
        if let Some(after) = value.strip_prefix(b"/Page")
            && !after.first().is_some_and(u8::is_ascii_alphanumeric)
        {
            count += 1;
        }
    }
    (count > 0).then_some(count)
}

/// A date written the British way, `31/03/2021` or `31-3-2021`, as YYYY-MM-DD.
fn day_first(text: &str) -> Option<String> {
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    let [day, month, year] = parts.as_slice() else {
        return None;
    };
    let date = NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)?;
    (year.len() == 4).then(|| date.format("%Y-%m-%d").to_string())
}

fn is_iso_date_shape(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// "2020-21": a financial year, four digits then the next year's last two digits.
pub fn is_report_year(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 7 || b[4] != b'-' || b[0] == b'0' || !digits(0..4) || !digits(5..7) {
        return false;
    }
    let first: u32 = text[..4].parse().unwrap_or_default();
    let second: u32 = text[5..].parse().unwrap_or_default();
    (first + 1) % 100 == second
}

/// Finds a file named in front matter: `/x` under `static/`, anything else beside the page.
/// The result is relative to the root and never leaves the folder it is looked up in.
pub fn resolve_file(root: &Path, dir: &Path, name: &str) -> Option<PathBuf> {
    let (base, rel) = match name.strip_prefix('/') {
        Some(rest) => (PathBuf::from("static"), rest),
        None => (dir.to_path_buf(), name),
    };
    let rel = Path::new(rel);
    if rel
        .components()
        .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return None;
    }
    let candidate = base.join(rel);
    is_readable_site_file(root, &candidate).then_some(candidate)
}

fn missing_file_hint(root: &Path, dir: &Path, name: &str) -> String {
    let present: BTreeSet<String> = std::fs::read_dir(root.join(dir))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".md"))
        .collect();
    match did_you_mean(name, present.iter().map(String::as_str)) {
        Some(hint) => hint,
        None if name.starts_with('/') => {
            format!(
                "a path starting with / is looked up under static/: put the file at static{name}"
            )
        }
        None => format!(
            "put the file in {} beside the page, or give a path under static/ starting with /",
            display_path(dir)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(rel: &str, text: &str) -> (Option<Source>, Vec<Diagnostic>) {
        parse_bytes(Path::new("/nonexistent"), Path::new(rel), text.as_bytes())
    }

    #[test]
    fn urls_are_pretty_and_slug_replaces_the_last_segment() {
        assert_eq!(
            page_url("case-studies/botcheston.md", None),
            "/case-studies/botcheston/"
        );
        assert_eq!(
            page_url("case-studies/botcheston.md", Some("b")),
            "/case-studies/b/"
        );
        assert_eq!(page_url("resources/kit/index.md", None), "/resources/kit/");
        assert_eq!(
            page_url("resources/kit/index.md", Some("tools")),
            "/resources/tools/"
        );
        assert_eq!(page_url("_index.md", None), "/");
        assert_eq!(page_url("about.md", None), "/about/");
        assert_eq!(
            page_url("Case Studies/Café Day.md", None),
            "/case-studies/cafe-day/"
        );
    }

    #[test]
    fn front_matter_is_split_from_the_body() {
        let (source, problems) = parse("content/about.md", "---\ntitle: About\n---\n# Hi\n");
        assert!(problems.is_empty(), "{problems:?}");
        let source = source.unwrap();
        assert_eq!(source.meta.title, "About");
        assert_eq!(&*source.body, "# Hi\n");
        assert_eq!(source.body_line, 4);
    }

    #[test]
    fn unknown_field_is_reported_with_nearest_field() {
        let (_, problems) = parse(
            "content/case-studies/a.md",
            "---\ntitle: A\nsummary: s\ndate: 2021-01-01\nprinciple: [prevention]\n---\n",
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line(), Some(5));
        assert_eq!(
            problems[0].hint.as_deref(),
            Some("did you mean \"principles\"?")
        );
    }

    #[test]
    fn value_outside_the_set_is_reported_at_its_line() {
        let (_, problems) = parse(
            "content/case-studies/a.md",
            "---\ntitle: A\nsummary: s\ndate: 2021-01-01\narea: charnwod\nprinciples:\n  - prevention\n  - particpation\n---\n",
        );
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(
            (problems[0].line(), problems[0].column()),
            (Some(5), Some(7))
        );
        assert_eq!(
            problems[0].hint.as_deref(),
            Some("did you mean \"charnwood\"?")
        );
        assert_eq!(problems[1].line(), Some(8));
        assert_eq!(
            problems[1].hint.as_deref(),
            Some("did you mean \"participation\"?")
        );
    }

    #[test]
    fn display_names_are_recognised_as_likely_mistakes() {
        let (_, problems) = parse(
            "content/case-studies/a.md",
            "---\ntitle: A\nsummary: s\ndate: 2021-01-01\narea: Hinckley and Bosworth\n---\n",
        );
        assert_eq!(
            problems[0].hint.as_deref(),
            Some("did you mean \"hinckley-and-bosworth\"?")
        );
    }

    #[test]
    fn impossible_dates_are_refused() {
        let (_, problems) = parse("content/about.md", "---\ntitle: A\ndate: 2021-02-30\n---\n");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("not a real date"));
        assert_eq!(problems[0].line(), Some(3));
    }

    #[test]
    fn text_cut_by_a_note_is_warned_but_a_note_written_by_new_is_not() {
        let note = crate::models::CASE_STUDY_FIELDS
            .iter()
            .find(|f| f.name == "area")
            .unwrap()
            .note();
        let (_, problems) = parse(
            "content/case-studies/a.md",
            &format!(
                "---\ntitle: A\nsummary: s\ndate: 2021-01-01\narea: melton   # {note}\nfunding: Awards for All #3 round\n---\n"
            ),
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].kind, ProblemKind::YamlComment);
        assert_eq!(problems[0].line(), Some(6));
    }

    #[test]
    fn report_years_are_financial_years() {
        assert!(is_report_year("2020-21"));
        assert!(is_report_year("1999-00"));
        assert!(!is_report_year("2020-22"));
        assert!(!is_report_year("2020"));
        assert!(!is_report_year("2020-021"));
        assert!(!is_report_year("0999-00"));
    }

    #[test]
    fn text_where_a_list_is_needed_suggests_the_list_form() {
        let (_, problems) = parse("content/about.md", "---\ntitle: A\ntags: parks\n---\n");
        assert!(problems[0].message.contains("must be a list"));
        assert_eq!(
            problems[0].hint.as_deref(),
            Some("write it as a list, e.g. tags: [parks]")
        );
    }

    #[test]
    fn names_without_letters_or_digits_are_reported() {
        let (_, problems) = parse(
            "content/case-studies/!!!.md",
            "---\ntitle: A\nsummary: s\ndate: 2021-01-01\n---\n",
        );
        assert!(
            problems[0].message.contains("no letters or digits"),
            "{problems:?}"
        );
    }

    #[test]
    fn pdf_pages_are_counted_from_page_objects_not_the_page_tree() {
        let pdf = b"<< /Type /Pages /Count 2 >> << /Type /Page >> <</Type/Page/Parent 2 0 R>>";
        assert_eq!(pdf_page_count(pdf), Some(2));
        assert_eq!(pdf_page_count(b"<< /Type /ObjStm >>"), None);
    }

    #[test]
    fn resolve_file_never_leaves_its_folder() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(resolve_file(root, Path::new("src"), "../Cargo.toml").is_none());
        assert!(resolve_file(root, Path::new("src"), "/../Cargo.toml").is_none());
        assert!(resolve_file(root, Path::new("src"), "lib.rs").is_some());
    }

    /// A valid value of a field's type, written as YAML; `n` makes different ones.
    fn sample(def: &FieldDef, n: usize) -> String {
        match def.ty {
            FieldType::Text | FieldType::ImagePath => format!("Sample {n}"),
            FieldType::Date => format!("202{n}-03-31"),
            FieldType::Bool => "true".into(),
            FieldType::Integer => format!("{}", n + 7),
            FieldType::Slug => format!("sample-{n}"),
            FieldType::TextList => format!("[sample {n}]"),
            FieldType::ReportYear => format!("\"202{n}-2{}\"", n + 1),
            FieldType::OneOf(choices) => choices[n].value.to_string(),
            FieldType::ManyOf(choices) => format!("[{}]", choices[n].value),
            FieldType::Records { required, optional } => {
                let fields: Vec<String> = required
                    .iter()
                    .chain(optional)
                    .map(|k| format!("{k}: sample {n}"))
                    .collect();
                format!("[{{{}}}]", fields.join(", "))
            }
        }
    }

    #[test]
    fn every_field_of_every_kind_is_kept_in_the_metadata() {
        let paths = [
            (Kind::Page, "content/about.md"),
            (Kind::CaseStudy, "content/case-studies/a.md"),
            (Kind::Resource, "content/resources/a.md"),
            (Kind::ReportYear, "content/annual-report/2020-21/_index.md"),
            (Kind::ReportSection, "content/annual-report/2020-21/a.md"),
        ];
        assert_eq!(paths.len(), Kind::ALL.len());
        for (kind, path) in paths {
            assert_eq!(Kind::for_path(&content_relative(Path::new(path))), kind);
            let fields = kind.fields();
            // The required fields, and `changed` given another value than in the baseline.
            let page = |changed: Option<&str>| {
                let lines: String = fields
                    .iter()
                    .filter(|f| f.required || Some(f.name) == changed)
                    .map(|f| {
                        let n = usize::from(Some(f.name) == changed);
                        format!("{}: {}\n", f.name, sample(f, n))
                    })
                    .collect();
                let (source, problems) = parse(path, &format!("---\n{lines}---\n"));
                source.unwrap_or_else(|| panic!("{problems:?}")).meta
            };
            let baseline = page(None);
            for def in &fields {
                let with = page(Some(def.name));
                assert_ne!(
                    with,
                    baseline,
                    "`{}` of a {} is lost",
                    def.name,
                    kind.name()
                );
            }
        }
    }

    #[test]
    fn a_field_the_build_does_not_use_by_name_is_kept_for_templates() {
        let mut values = Values::default();
        values.insert("title", FieldValue::Text("A".into()));
        values.insert("newsletter", FieldValue::Text("Monthly".into()));
        let meta = Meta::from_values(values);
        assert_eq!(meta.title, "A");
        let other: Vec<_> = meta.other.iter().collect();
        assert_eq!(other, [("newsletter", &FieldValue::Text("Monthly".into()))]);
    }

    proptest! {
        /// Whatever a file holds, it is read or reported at one of its lines, never a panic.
        #[test]
        fn any_file_is_read_or_reported_at_one_of_its_lines(
            text in "(\u{feff})?(---|\\+\\+\\+|----|\n)?[a-z:# \\-+\\[\\]\"=\n\u{a0}\u{2014}]{0,120}",
        ) {
            let lines = text.lines().count().max(1);
            let (_, problems) = parse("content/case-studies/a.md", &text);
            for problem in problems {
                if let Some(line) = problem.line() {
                    prop_assert!(line <= lines, "{problem}");
                }
            }
        }

        #[test]
        fn a_url_segment_is_plain_or_empty(name in "\\PC{0,40}") {
            let segment = url_segment(&name);
            prop_assert!(segment.is_empty() || is_plain_segment(&segment), "{segment:?}");
        }

        #[test]
        fn page_urls_are_rooted_and_never_climb(
            dirs in proptest::collection::vec("[a-zA-Z0-9 ._-]{1,12}", 0..3),
            file in "[a-zA-Z0-9 ._-]{1,12}",
            slug in proptest::option::of("[a-z0-9][a-z0-9-]{0,10}"),
        ) {
            let mut parts = dirs.clone();
            parts.push(format!("{file}.md"));
            let url = page_url(&parts.join("/"), slug.as_deref());
            prop_assert!(url.starts_with('/') && url.ends_with('/'));
            prop_assert!(!url.split('/').any(|s| s == ".." || s == "."), "{url}");
        }
    }
}
