//! The one error type every layer returns: a problem of a kind, at a place.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use rayon::slice::ParallelSliceMut;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// What sort of problem a diagnostic is, so that code (and tests) can recognise one without
/// reading its words. `General` is every problem nothing needs to tell apart.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProblemKind {
    General,
    /// The front matter's fences (`---` lines) are missing, unclosed or of another format.
    FrontMatterFence,
    /// YAML that cannot be read at all.
    YamlSyntax,
    /// A plain value followed by ` #`: YAML reads the rest of the line as a comment.
    YamlComment,
    UnknownField,
    MissingField,
    /// A field's value that cannot be used: of the wrong type, outside the allowed set, or
    /// naming a file that does not exist.
    InvalidValue,
    /// Fields of one kind of page in a file whose folder makes it another kind.
    WrongFolder,
    /// Two sources that would be published at one address.
    UrlCollision,
    /// Spellings of one term that differ only in case or spacing.
    TermVariant,
    /// A link or picture that leads to nothing the build publishes, or to a draft.
    BrokenLink,
    /// Raw HTML or an address removed from a page because it could script or break it.
    Sanitised,
    /// More of something than any real page has (nesting, tags), refused before the work.
    OverLimit,
    /// Content that is valid but fails residents (accessibility, search results).
    ContentQuality,
}

/// Where a problem is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Location {
    /// A line and column (1-based) of a file relative to the site root.
    Span {
        path: PathBuf,
        line: usize,
        column: usize,
    },
    /// A file as a whole (one that cannot be read, say), relative to the site root.
    File(PathBuf),
    /// A file the build would write, relative to the output folder.
    Output(PathBuf),
    /// The site as a whole.
    Site,
}

impl Location {
    /// Site first, then source files by path and position, then output files.
    fn sort_key(&self) -> (u8, &Path, usize, usize) {
        match self {
            Location::Site => (0, Path::new(""), 0, 0),
            Location::File(path) => (1, path, 0, 0),
            Location::Span { path, line, column } => (1, path, *line, *column),
            Location::Output(path) => (2, path, 0, 0),
        }
    }

    /// `sort_key` with the path's parts joined by a zero byte, below any byte a part holds,
    /// so that comparing bytes orders paths nearly as comparing them part by part does.
    fn byte_key(&self) -> (u8, Vec<u8>, usize, usize) {
        let (order, path, line, column) = self.sort_key();
        let mut bytes = Vec::new();
        for (i, part) in path.components().enumerate() {
            if i > 0 {
                bytes.push(0);
            }
            bytes.extend_from_slice(part.as_os_str().as_encoded_bytes());
        }
        (order, bytes, line, column)
    }
}

impl Ord for Location {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

impl PartialOrd for Location {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A problem found while building.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Diagnostic {
    pub location: Location,
    pub severity: Severity,
    pub message: String,
    pub hint: Option<String>,
    pub kind: ProblemKind,
}

impl Diagnostic {
    pub fn new(severity: Severity, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            location,
            severity,
            message: message.into(),
            hint: None,
            kind: ProblemKind::General,
        }
    }

    /// An error at a line and column of a source file.
    pub fn error(
        path: impl Into<PathBuf>,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        let location = Location::Span {
            path: path.into(),
            line: line.max(1),
            column: column.max(1),
        };
        Diagnostic::new(Severity::Error, location, message)
    }

    /// A warning at a line and column of a source file.
    pub fn warning(
        path: impl Into<PathBuf>,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(path, line, column, message)
        }
    }

    /// An error with a whole source file, which has no line of its own.
    pub fn file_error(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Error, Location::File(path.into()), message)
    }

    /// An error with a file the build writes, relative to the output folder.
    pub fn output_error(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Error, Location::Output(path.into()), message)
    }

    /// An error with the site as a whole.
    pub fn site_error(message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Error, Location::Site, message)
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_hint_opt(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    pub fn with_kind(mut self, kind: ProblemKind) -> Self {
        self.kind = kind;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The source or output file the problem is in, if it is in one.
    pub fn path(&self) -> Option<&Path> {
        match &self.location {
            Location::Span { path, .. } | Location::File(path) | Location::Output(path) => {
                Some(path)
            }
            Location::Site => None,
        }
    }

    /// The line in a source file, if the problem has one.
    pub fn line(&self) -> Option<usize> {
        match self.location {
            Location::Span { line, .. } => Some(line),
            _ => None,
        }
    }

    pub fn column(&self) -> Option<usize> {
        match self.location {
            Location::Span { column, .. } => Some(column),
            _ => None,
        }
    }

    /// The path as shown to people: forward slashes on every platform; empty for the site.
    pub fn display_path(&self) -> String {
        self.path().map(display_path).unwrap_or_default()
    }

    /// Where the problem is, as shown before its message: `content/a.md:3:7`,
    /// `content/a.md` or `robots.txt (in the output)`; empty for the site as a whole.
    pub fn place(&self) -> String {
        match &self.location {
            Location::Span { path, line, column } => {
                format!("{}:{line}:{column}", display_path(path))
            }
            Location::File(path) => display_path(path),
            Location::Output(path) => format!("{} (in the output)", display_path(path)),
            Location::Site => String::new(),
        }
    }

    /// The first line of the diagnostic: `place: severity: message`, or `severity: message`
    /// for the site as a whole.
    pub fn headline(&self) -> String {
        let place = self.place();
        let severity = self.severity.as_str();
        if place.is_empty() {
            format!("{severity}: {}", self.message)
        } else {
            format!("{place}: {severity}: {}", self.message)
        }
    }
}

pub fn display_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

impl Diagnostic {
    /// The diagnostic as one JSON object, for CI annotations. `line` and `column` are null
    /// when the problem has no line of its own.
    pub fn to_json(&self) -> serde_json::Value {
        let location = match self.location {
            Location::Span { .. } => "span",
            Location::File(_) => "file",
            Location::Output(_) => "output",
            Location::Site => "site",
        };
        serde_json::json!({
            "path": self.path().map(display_path),
            "line": self.line(),
            "column": self.column(),
            "location": location,
            "kind": self.kind.name(),
            "severity": self.severity.as_str(),
            "message": self.message,
            "hint": self.hint,
        })
    }
}

impl ProblemKind {
    /// A stable name for JSON output.
    pub fn name(&self) -> &'static str {
        match self {
            ProblemKind::General => "general",
            ProblemKind::FrontMatterFence => "front-matter-fence",
            ProblemKind::YamlSyntax => "yaml-syntax",
            ProblemKind::YamlComment => "yaml-comment",
            ProblemKind::UnknownField => "unknown-field",
            ProblemKind::MissingField => "missing-field",
            ProblemKind::InvalidValue => "invalid-value",
            ProblemKind::WrongFolder => "wrong-folder",
            ProblemKind::UrlCollision => "url-collision",
            ProblemKind::TermVariant => "term-variant",
            ProblemKind::BrokenLink => "broken-link",
            ProblemKind::Sanitised => "sanitised",
            ProblemKind::OverLimit => "over-limit",
            ProblemKind::ContentQuality => "content-quality",
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.headline())?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// The line a diagnostic points at, with a caret under its column, as rustc shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    pub line: usize,
    /// The source line, tabs shown as four spaces.
    pub text: String,
    /// How many characters of `text` come before the caret.
    pub caret_offset: usize,
}

impl fmt::Display for Excerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let number = self.line.to_string();
        let gutter = " ".repeat(number.len());
        write!(
            f,
            "{gutter} |\n{number} | {}\n{gutter} | {}^",
            self.text,
            " ".repeat(self.caret_offset)
        )
    }
}

/// How many characters of a long source line an excerpt shows.
const EXCERPT_WIDTH: usize = 100;

/// The source files diagnostics point into, each read once and indexed by line, so that a
/// report of many problems in one file reads and scans it once.
pub struct SourceLines {
    root: PathBuf,
    files: HashMap<PathBuf, Option<(String, Vec<usize>)>>,
}

impl SourceLines {
    pub fn new(root: &Path) -> Self {
        SourceLines {
            root: root.to_path_buf(),
            files: HashMap::new(),
        }
    }

    /// The excerpt of a diagnostic at a line of a readable text file.
    pub fn excerpt(&mut self, diagnostic: &Diagnostic) -> Option<Excerpt> {
        let Location::Span { path, line, column } = &diagnostic.location else {
            return None;
        };
        let root = &self.root;
        let (text, starts) = self
            .files
            .entry(path.clone())
            .or_insert_with(|| {
                let text = std::fs::read_to_string(root.join(path)).ok()?;
                let starts = std::iter::once(0)
                    .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                    .collect();
                Some((text, starts))
            })
            .as_ref()?;
        let start = *starts.get(line - 1)?;
        let end = starts.get(*line).map_or(text.len(), |next| next - 1);
        let raw = text[start..end].trim_end_matches('\r');
        let raw: Vec<char> = raw
            .strip_prefix('\u{feff}')
            .unwrap_or(raw)
            .chars()
            .collect();
        // A long line is shown around its column only, so that one huge line cannot flood
        // the terminal.
        let column = (*column).min(raw.len() + 1);
        let first = (column - 1).saturating_sub(EXCERPT_WIDTH / 2);
        let last = (first + EXCERPT_WIDTH).min(raw.len());
        let shown = |chars: &[char]| chars.iter().collect::<String>().replace('\t', "    ");
        let (open, close) = (
            if first > 0 { "…" } else { "" },
            if last < raw.len() { "…" } else { "" },
        );
        let before = shown(&raw[first..(column - 1).clamp(first, last)]);
        Some(Excerpt {
            line: *line,
            text: format!("{open}{}{close}", shown(&raw[first..last])),
            caret_offset: open.chars().count() + before.chars().count(),
        })
    }

    /// A diagnostic as `check` prints it: its line, then the excerpt, then the hint.
    pub fn render(&mut self, diagnostic: &Diagnostic) -> String {
        let mut out = diagnostic.headline();
        if let Some(excerpt) = self.excerpt(diagnostic) {
            out.push('\n');
            out.push_str(&excerpt.to_string());
        }
        if let Some(hint) = &diagnostic.hint {
            out.push_str(&format!("\n  hint: {hint}"));
        }
        out
    }
}

/// Every problem of a run, in a stable order so that output is the same from run to run.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Diagnostics(Vec::new())
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn extend(&mut self, diagnostics: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(diagnostics);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.0.len() - self.error_count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// Sorted by file and position, duplicates removed.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        // A large site can have thousands of warnings, and comparing paths part by part made
        // sorting them take 10-15 ms at 10,000 pages. A key compared byte by byte puts them
        // in nearly the same order first; the sort after it then only confirms it.
        self.0
            .par_sort_by_cached_key(|diagnostic| diagnostic.location.byte_key());
        self.0.sort();
        self.0.dedup();
        self.0
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Self {
        Diagnostics(iter.into_iter().collect())
    }
}

/// The allowed word nearest to what was written, when it is near enough to be a likely typo.
pub fn nearest<'a>(found: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let found = found.trim().to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&found, &c.to_lowercase()), c))
        .filter(|(distance, c)| *distance <= (c.len().max(found.len()) / 3).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// "did you mean ...?" for the nearest candidate, if any is close.
pub fn did_you_mean<'a>(
    found: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    nearest(found, candidates).map(|c| format!("did you mean \"{c}\"?"))
}

/// Line and column (1-based) of a byte offset in a text.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_shows_path_line_column_and_hint() {
        let d = Diagnostic::error("content/a.md", 3, 7, "bad area")
            .with_hint("did you mean \"charnwood\"?");
        assert_eq!(
            d.to_string(),
            "content/a.md:3:7: error: bad area\n  hint: did you mean \"charnwood\"?"
        );
    }

    #[test]
    fn places_without_a_line_invent_none() {
        assert_eq!(
            Diagnostic::file_error("content/a.md", "empty").to_string(),
            "content/a.md: error: empty"
        );
        assert_eq!(
            Diagnostic::output_error("robots.txt", "taken").to_string(),
            "robots.txt (in the output): error: taken"
        );
        let site = Diagnostic::site_error("two pages");
        assert_eq!(site.to_string(), "error: two pages");
        assert_eq!((site.path(), site.line()), (None, None));
        assert_eq!(site.to_json()["line"], serde_json::Value::Null);
    }

    #[test]
    fn excerpt_puts_a_caret_under_the_column() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(
            root.path().join("a.md"),
            "---\n\tx: é\narea:charnwood\n---\n",
        )
        .unwrap();
        let mut sources = SourceLines::new(root.path());
        let d = Diagnostic::error("a.md", 3, 6, "no space").with_hint("write `area: charnwood`");
        assert_eq!(
            sources.render(&d),
            "a.md:3:6: error: no space\n  |\n3 | area:charnwood\n  |      ^\n  hint: write `area: charnwood`"
        );
        let tabbed = sources
            .excerpt(&Diagnostic::error("a.md", 2, 5, "x"))
            .unwrap();
        assert_eq!((tabbed.text.as_str(), tabbed.caret_offset), ("    x: é", 7));
        assert!(
            sources
                .excerpt(&Diagnostic::error("a.md", 9, 1, "x"))
                .is_none()
        );
        assert!(
            sources
                .excerpt(&Diagnostic::file_error("a.md", "x"))
                .is_none()
        );
        let long_line = "x".repeat(1000) + "!" + &"y".repeat(1000);
        std::fs::write(root.path().join("long.md"), long_line).unwrap();
        let long = sources
            .excerpt(&Diagnostic::error("long.md", 1, 1001, "x"))
            .unwrap();
        assert_eq!(
            long.text.chars().count(),
            EXCERPT_WIDTH + 2,
            "{}",
            long.text
        );
        assert_eq!(long.text.chars().nth(long.caret_offset), Some('!'));
    }

    #[test]
    fn the_site_sorts_first_and_outputs_last() {
        let mut all = Diagnostics::new();
        all.push(Diagnostic::output_error("a.html", "x"));
        all.push(Diagnostic::error("b.md", 2, 1, "x"));
        all.push(Diagnostic::file_error("b.md", "x"));
        all.push(Diagnostic::site_error("x"));
        let places: Vec<String> = all.into_sorted().iter().map(Diagnostic::place).collect();
        assert_eq!(places, ["", "b.md", "b.md:2:1", "a.html (in the output)"]);
    }

    #[test]
    fn nearest_suggests_close_words_only() {
        let areas = ["blaby", "charnwood", "melton"];
        assert_eq!(nearest("charnwod", areas), Some("charnwood"));
        assert_eq!(nearest("Melton", areas), Some("melton"));
        assert_eq!(nearest("leicester city", areas), None);
    }

    #[test]
    fn line_col_counts_from_one() {
        let text = "ab\ncdé\nf";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 8), (3, 1));
        assert_eq!(line_col(text, 7), (2, 4));
    }

    #[test]
    fn sorted_diagnostics_are_deduplicated() {
        let mut all = Diagnostics::new();
        all.push(Diagnostic::file_error("b.md", "x"));
        all.push(Diagnostic::error("a.md", 2, 1, "y"));
        all.push(Diagnostic::file_error("b.md", "x"));
        let sorted = all.into_sorted();
        assert_eq!(sorted.len(), 2);
        assert_eq!(sorted[0].path(), Some(Path::new("a.md")));
    }

    #[test]
    fn sorting_many_problems_orders_them_as_comparing_them_whole_does() {
        let paths = [
            "a/b.md", "a-b.md", "a", "ab/c.md", "../x.md", "-x.md", "a/b/c.md", "a.md",
        ];
        let mut problems: Vec<Diagnostic> = Vec::new();
        for (i, path) in paths.iter().enumerate() {
            for line in [3, 1] {
                problems.push(Diagnostic::warning(*path, line, 1, format!("warning {i}")));
                problems.push(Diagnostic::error(*path, line, 1, "an error"));
            }
            problems.push(Diagnostic::file_error(*path, "unreadable"));
        }
        problems.push(Diagnostic::site_error("no site.yaml"));
        problems.push(problems[0].clone());
        problems.reverse();
        let mut expected = problems.clone();
        expected.sort();
        expected.dedup();
        let sorted = problems.into_iter().collect::<Diagnostics>().into_sorted();
        assert_eq!(sorted, expected);
    }
}
