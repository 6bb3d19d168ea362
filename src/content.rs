//! Loading and parsing content files: finding them (walkdir), splitting front matter from the
//! body, and validating the front matter against the content models into typed metadata.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;
use serde_yaml::Value;
use walkdir::WalkDir;

use crate::diagnostics::{Diagnostic, did_you_mean, display_path};
use crate::models::{Choice, FieldDef, FieldType, Kind};
use crate::yaml::{self, Document};

/// The files found under `content/`, relative to the site root.
#[derive(Debug, Default)]
pub struct ContentFiles {
    pub pages: Vec<PathBuf>,
    /// Files that are not Markdown: bundle files and others, copied to the output.
    pub assets: Vec<PathBuf>,
}

/// Finds every content file below `root/content`, in a stable order.
pub fn discover(root: &Path) -> (ContentFiles, Vec<Diagnostic>) {
    let (all, problems) = site_files(root, Path::new("content"));
    let (pages, assets) = all
        .into_iter()
        .partition(|rel: &PathBuf| rel.extension().is_some_and(|e| e == "md"));
    (ContentFiles { pages, assets }, problems)
}

/// Every file below `root/folder`, relative to the root, sorted. Hidden files and editor
/// leftovers are skipped. A symbolic link is followed only to a file inside the site: one
/// that leads outside (a private key, say) is never read or copied, and a loop or a dangling
/// link is reported rather than followed.
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
                problems.push(Diagnostic::error(
                    rel,
                    1,
                    1,
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
                    Diagnostic::error(&rel, 1, 1, "this is a link that leads nowhere, or round in a loop")
                        .with_hint("remove the link, or put the real file here"),
                ),
                Ok(target) if !target.starts_with(&real_root) => problems.push(
                    Diagnostic::error(
                        &rel,
                        1,
                        1,
                        format!(
                            "this is a link to {}, outside the site folder, so it is not read or published",
                            target.display()
                        ),
                    )
                    .with_hint("copy the file into the site if it should be published"),
                ),
                Ok(target) if target.is_file() => files.push(rel),
                Ok(_) => problems.push(
                    Diagnostic::error(&rel, 1, 1, "this is a link to a folder, and links to folders are not followed")
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
}

impl Meta {
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
    pub body: String,
    /// The file line the body starts on.
    pub body_line: usize,
    /// The page's path on the site, without the base path: `/case-studies/botcheston/`.
    pub url: String,
}

impl Source {
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
    let size = std::fs::metadata(root.join(path)).map_or(0, |m| m.len());
    if size > max_mb * 1024 * 1024 {
        return (
            None,
            vec![
                Diagnostic::error(
                    path,
                    1,
                    1,
                    format!(
                        "this file is {:.1} MB, more than the {max_mb} MB a page may be, so it was not read",
                        size as f64 / (1024.0 * 1024.0)
                    ),
                )
                .with_hint("split it into several pages, or raise `max_file_mb` in site.yaml"),
            ],
        );
    }
    let bytes = match std::fs::read(root.join(path)) {
        Ok(bytes) => bytes,
        Err(error) => {
            return (
                None,
                vec![Diagnostic::error(
                    path,
                    1,
                    1,
                    format!("this file cannot be read: {error}"),
                )],
            );
        }
    };
    parse_bytes(root, path, &bytes)
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
                Diagnostic::error(path, 1, 1, "this file is empty").with_hint(
                    "start it with front matter: a line `---`, then `title: ...`, then `---`",
                ),
            ],
        );
    }
    let (front, front_line, body, body_line) = match split_front_matter(text) {
        Ok(parts) => parts,
        Err(diagnostic) => return (None, vec![diagnostic.at(path)]),
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
    let mut meta = checker.meta(kind);
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
            Diagnostic::error(path, 1, 1, "this file's name (or a folder's) has no letters or digits to make a web address from")
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
            body: body.to_string(),
            body_line,
            url,
        }),
        problems,
    )
}

/// A problem found before the path is known.
struct Located {
    line: usize,
    column: usize,
    message: &'static str,
    hint: &'static str,
}

impl Located {
    fn at(self, path: &Path) -> Diagnostic {
        Diagnostic::error(path, self.line, self.column, self.message).with_hint(self.hint)
    }
}

/// Splits `---` front matter from the body: (front matter, its first line, body, its first line).
fn split_front_matter(text: &str) -> Result<(&str, usize, &str, usize), Located> {
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err(Located {
            line: 1,
            column: 1,
            message: "this file has no front matter: it must start with a line `---`",
            hint: "add `---`, `title: Your title` and `---` as the first three lines",
        });
    }
    let start = first.len();
    let mut offset = start;
    for (line, l) in (2..).zip(lines) {
        if l.trim_end() == "---" {
            let front = &text[start..offset];
            let body = &text[offset + l.len()..];
            return Ok((front, 2, body, line + 1));
        }
        offset += l.len();
    }
    Err(Located {
        line: 1,
        column: 1,
        message: "the front matter is never closed: no second `---` line was found",
        hint: "add a line `---` after the last front matter field, before the page text",
    })
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
    fn error_at_key(&mut self, key: &str, message: String, hint: Option<String>) {
        let (line, column) = self.doc.key_position(key);
        self.problems
            .push(Diagnostic::error(self.path, line, column, message).with_hint_opt(hint));
    }

    fn error_at_value(&mut self, key: &str, needle: &str, message: String, hint: Option<String>) {
        let (line, column) = self.doc.value_position(key, needle);
        self.problems
            .push(Diagnostic::error(self.path, line, column, message).with_hint_opt(hint));
    }

    fn meta(&mut self, kind: Kind) -> Meta {
        let fields = kind.fields();
        let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
        let mut meta = Meta::default();
        for (key, _) in &self.doc.map {
            let Some(key) = key.as_str() else {
                let shown =
                    yaml::scalar_text(key).unwrap_or_else(|| yaml::describe(key).to_string());
                self.error_at_key(&shown, format!("`{shown}` is not a field name"), None);
                continue;
            };
            if !names.contains(&key) {
                let hint = did_you_mean(key, names.iter().copied()).or_else(|| {
                    Some(format!(
                        "a {} can have these fields: {}",
                        kind.name(),
                        names.join(", ")
                    ))
                });
                self.error_at_key(
                    key,
                    format!("`{key}` is not a field of a {}", kind.name()),
                    hint,
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
                        self.problems.push(
                            // A missing field has no line of its own: point at the front matter.
                            Diagnostic::error(
                                self.path,
                                1,
                                1,
                                format!("the required field `{}` is missing", def.name),
                            )
                            .with_hint(format!("add a line `{}: ...` with {}", def.name, def.help)),
                        );
                    }
                }
                Some(value) => self.field(def, value, &mut meta),
            }
        }
        if meta.image.is_some()
            && meta
                .image_alt
                .as_deref()
                .is_none_or(|a| a.trim().is_empty())
        {
            self.error_at_key(
                "image",
                "`image` is set but `image_alt` is missing".to_string(),
                Some("add `image_alt:` with a short description of the picture for people who cannot see it".into()),
            );
        }
        meta
    }

    fn field(&mut self, def: &FieldDef, value: &Value, meta: &mut Meta) {
        let name = def.name;
        match def.ty {
            FieldType::Text | FieldType::ImagePath => {
                if let Some(text) = self.text(def, value) {
                    set_text(meta, name, text);
                }
            }
            FieldType::Date => {
                if let Some(date) = self.date(def, value) {
                    if name == "date" {
                        meta.date = Some(date);
                    } else {
                        meta.updated = Some(date);
                    }
                }
            }
            FieldType::Bool => match value {
                Value::Bool(b) => meta.draft = *b,
                other => self.wrong_type(def, other, "true or false"),
            },
            FieldType::Integer => match value.as_i64() {
                Some(n) => meta.weight = n,
                None => self.wrong_type(def, value, "a whole number"),
            },
            FieldType::Slug => {
                if let Some(text) = self.text(def, value) {
                    if is_plain_segment(&text) {
                        meta.slug = Some(text);
                    } else {
                        let suggestion = slug::slugify(&text);
                        let hint = if suggestion.is_empty() {
                            "use lower-case letters, digits and hyphens, e.g. village-hall"
                                .to_string()
                        } else {
                            format!(
                                "use lower-case letters, digits and hyphens, e.g. slug: {suggestion}"
                            )
                        };
                        self.error_at_key(
                            name,
                            format!("the slug {text:?} is not one plain part of a web address"),
                            Some(hint),
                        );
                    }
                }
            }
            FieldType::TextList => {
                if let Some(list) = self.text_list(def, value) {
                    match name {
                        "aliases" => meta.aliases = list,
                        "tags" => meta.tags = list,
                        _ => meta.audience = list,
                    }
                }
            }
            FieldType::ReportYear => {
                if let Some(text) = self.text(def, value) {
                    if is_report_year(&text) {
                        meta.year = Some(text);
                    } else {
                        self.error_at_key(
                            name,
                            format!("the year {text:?} is not a report year"),
                            Some(
                                "write the financial year in quotes, e.g. year: \"2020-21\"".into(),
                            ),
                        );
                    }
                }
            }
            FieldType::OneOf(choices) => {
                if let Some(text) = self.text(def, value)
                    && self.allowed(def, choices, &text)
                {
                    set_text(meta, name, text);
                }
            }
            FieldType::ManyOf(choices) => {
                let list = self.text_list(def, value).unwrap_or_default();
                let mut kept = Vec::new();
                for item in list {
                    if self.allowed(def, choices, &item) && !kept.contains(&item) {
                        kept.push(item);
                    }
                }
                match name {
                    "principles" => meta.principles = kept,
                    "approaches" => meta.approaches = kept,
                    "outcomes" => meta.outcomes = kept,
                    _ => meta.assets = kept,
                }
            }
            FieldType::Records { required, optional } => {
                let records = self.records(def, value, required, optional);
                match name {
                    "attachments" => {
                        meta.attachments = records
                            .into_iter()
                            .map(|mut r| Attachment {
                                file: r.remove("file").unwrap_or_default(),
                                title: r.remove("title").unwrap_or_default(),
                                source: PathBuf::new(),
                                size: 0,
                                pages: None,
                            })
                            .collect();
                    }
                    "figures" => {
                        meta.figures = records
                            .into_iter()
                            .map(|mut r| Figure {
                                value: r.remove("value").unwrap_or_default(),
                                label: r.remove("label").unwrap_or_default(),
                            })
                            .collect();
                    }
                    _ => {
                        meta.contacts = records
                            .into_iter()
                            .map(|mut r| Contact {
                                name: r.remove("name").unwrap_or_default(),
                                role: r.remove("role"),
                                email: r.remove("email"),
                                phone: r.remove("phone"),
                            })
                            .collect();
                    }
                }
            }
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
                    None,
                ),
            }
        }
        Some(list)
    }

    fn allowed(&mut self, def: &FieldDef, choices: &[Choice], text: &str) -> bool {
        if choices.iter().any(|c| c.value == text) {
            return true;
        }
        let values = choices.iter().map(|c| c.value);
        let hint = did_you_mean(text, values.clone()).or_else(|| {
            // People often write the display name ("Hinckley and Bosworth").
            choices
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(text.trim()))
                .map(|c| format!("did you mean \"{}\"?", c.value))
        });
        let allowed = values.collect::<Vec<_>>().join(", ");
        self.error_at_value(
            def.name,
            text,
            format!(
                "{text:?} is not an allowed value of `{}` (allowed: {allowed})",
                def.name
            ),
            hint,
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
                self.error_at_key(
                    def.name,
                    message,
                    Some(format!("`{}` is {}", def.name, def.help)),
                );
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
    ) -> Vec<std::collections::BTreeMap<String, String>> {
        let Value::Sequence(items) = value else {
            self.wrong_type(def, value, "a list");
            return Vec::new();
        };
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
            let mut record = std::collections::BTreeMap::new();
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

fn set_text(meta: &mut Meta, name: &str, text: String) {
    let slot = match name {
        "title" => {
            meta.title = text;
            return;
        }
        "summary" => &mut meta.summary,
        "image" => &mut meta.image,
        "image_alt" => &mut meta.image_alt,
        "area" => &mut meta.area,
        "organisation" => &mut meta.organisation,
        "funding" => &mut meta.funding,
        "kind" => &mut meta.resource_kind,
        "source_url" => &mut meta.source_url,
        "published_by" => &mut meta.published_by,
        other => unreachable!("text field {other} has no slot in Meta"),
    };
    *slot = Some(text);
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
    root.join(&candidate).is_file().then_some(candidate)
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
        assert_eq!(source.body, "# Hi\n");
        assert_eq!(source.body_line, 4);
    }

    #[test]
    fn unknown_field_is_reported_with_nearest_field() {
        let (_, problems) = parse(
            "content/case-studies/a.md",
            "---\ntitle: A\nsummary: s\ndate: 2021-01-01\nprinciple: [prevention]\n---\n",
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 5);
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
        assert_eq!((problems[0].line, problems[0].column), (5, 7));
        assert_eq!(
            problems[0].hint.as_deref(),
            Some("did you mean \"charnwood\"?")
        );
        assert_eq!(problems[1].line, 8);
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
        assert_eq!(problems[0].line, 3);
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

    proptest! {
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
