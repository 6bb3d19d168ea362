//! The one error type every layer returns: a problem at a place in a file.

use std::fmt;
use std::path::{Path, PathBuf};

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

/// A problem found while building, located in a file relative to the site root.
/// Lines and columns are 1-based; a problem with the whole file sits at 1:1.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub severity: Severity,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(
        path: impl Into<PathBuf>,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            path: path.into(),
            line: line.max(1),
            column: column.max(1),
            severity: Severity::Error,
            message: message.into(),
            hint: None,
        }
    }

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

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_hint_opt(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The path as shown to people: forward slashes on every platform.
    pub fn display_path(&self) -> String {
        display_path(&self.path)
    }
}

pub fn display_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

impl Diagnostic {
    /// The diagnostic as one JSON object, for CI annotations.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "path": self.display_path(),
            "line": self.line,
            "column": self.column,
            "severity": self.severity.as_str(),
            "message": self.message,
            "hint": self.hint,
        })
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.display_path(),
            self.line,
            self.column,
            self.severity.as_str(),
            self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
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
        all.push(Diagnostic::error("b.md", 1, 1, "x"));
        all.push(Diagnostic::error("a.md", 2, 1, "y"));
        all.push(Diagnostic::error("b.md", 1, 1, "x"));
        let sorted = all.into_sorted();
        assert_eq!(sorted.len(), 2);
        assert_eq!(sorted[0].path, PathBuf::from("a.md"));
    }
}
