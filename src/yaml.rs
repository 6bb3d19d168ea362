//! All YAML handling: parsing front matter and `site.yaml`, turning YAML errors into
//! diagnostics that point at the right line of the file they came from, and finding where a
//! key or a list item was written so later checks can point at it too.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde_yaml::{Mapping, Value};

use crate::diagnostics::{Diagnostic, ProblemKind};

/// A parsed YAML mapping together with the text it came from, so that problems found later
/// can be reported at the line where a key or value was written.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    pub map: Mapping,
    source: &'a str,
    /// The file line on which `source` starts (1-based).
    first_line: usize,
}

impl<'a> Document<'a> {
    /// Parses `source`, which starts at `first_line` of the file at `path`. Anything but a
    /// mapping at the top is an error: front matter and `site.yaml` are `key: value` lines.
    pub fn parse(source: &'a str, first_line: usize, path: &Path) -> Result<Self, Diagnostic> {
        if source.trim().is_empty() {
            return Ok(Document {
                map: Mapping::new(),
                source,
                first_line,
            });
        }
        let value: Value =
            serde_yaml::from_str(source).map_err(|e| syntax_error(&e, source, first_line, path))?;
        match value {
            Value::Mapping(map) => Ok(Document {
                map,
                source,
                first_line,
            }),
            Value::Null => Ok(Document {
                map: Mapping::new(),
                source,
                first_line,
            }),
            other => Err(Diagnostic::error(
                path,
                first_line,
                1,
                format!(
                    "the front matter must be a list of `field: value` lines, but this is {}",
                    describe(&other)
                ),
            )
            .with_hint("write each field on its own line, e.g. `title: Village hall`")),
        }
    }

    /// Where a top-level key was written (line and column in the file).
    pub fn key_position(&self, key: &str) -> (usize, usize) {
        self.key_line_index(key)
            .map_or((self.first_line, 1), |i| (self.first_line + i, 1))
    }

    /// Where `needle` was written inside the value of `key` (for a list item or nested field);
    /// the key's own position when it cannot be found.
    pub fn value_position(&self, key: &str, needle: &str) -> (usize, usize) {
        let Some(start) = self.key_line_index(key) else {
            return (self.first_line, 1);
        };
        let lines: Vec<&str> = self.source.lines().collect();
        for (i, line) in lines.iter().enumerate().skip(start) {
            if i > start && starts_top_level_key(line) {
                break;
            }
            let search_from = if i == start {
                line.find(':').map_or(0, |c| c + 1)
            } else {
                0
            };
            if let Some(col) = line[search_from..].find(needle) {
                let column = line[..search_from + col].chars().count() + 1;
                return (self.first_line + i, column);
            }
        }
        (self.first_line + start, 1)
    }

    fn key_line_index(&self, key: &str) -> Option<usize> {
        self.source.lines().position(|line| {
            let rest = line
                .strip_prefix(key)
                .or_else(|| line.strip_prefix(&format!("\"{key}\"")))
                .or_else(|| line.strip_prefix(&format!("'{key}'")));
            rest.is_some_and(|r| r.trim_start().starts_with(':'))
        })
    }

    /// The file line just past the document.
    pub fn end_line(&self) -> usize {
        self.first_line + self.source.lines().count()
    }
}

fn starts_top_level_key(line: &str) -> bool {
    line.chars()
        .next()
        .is_some_and(|c| !c.is_whitespace() && c != '-' && c != '#')
}

/// Parses a whole YAML file (such as `site.yaml`) straight into a typed value.
pub fn parse_typed<T: DeserializeOwned>(source: &str, path: &Path) -> Result<T, Diagnostic> {
    serde_yaml::from_str(source).map_err(|e| syntax_error(&e, source, 1, path))
}

/// A YAML error as a diagnostic at its own line of the file, with the usual causes explained
/// in words for people who have never heard of YAML.
fn syntax_error(
    error: &serde_yaml::Error,
    source: &str,
    first_line: usize,
    path: &Path,
) -> Diagnostic {
    let (line, column) = error.location().map_or((1, 1), |l| (l.line(), l.column()));
    let raw = error.to_string();
    // serde_yaml appends " at line N column M"; the diagnostic already says where.
    let message = raw.split(" at line ").next().unwrap_or(&raw).to_string();
    let offending = source.lines().nth(line.saturating_sub(1)).unwrap_or("");
    let hint = explain(&message, source, offending);
    Diagnostic::error(
        path,
        first_line + line - 1,
        column,
        format!("this YAML cannot be read: {message}"),
    )
    .with_kind(ProblemKind::YamlSyntax)
    .with_hint_opt(hint)
}

fn explain(message: &str, source: &str, offending: &str) -> Option<String> {
    if source.contains('\t')
        && (message.contains("tab") || message.contains("cannot start any token"))
    {
        return Some("YAML does not allow tab characters for indenting: use spaces instead".into());
    }
    if message.contains("mapping values are not allowed") {
        return Some(
            "a value that contains a colon must be put in quotes, e.g. title: \"Botcheston: a village shop\""
                .into(),
        );
    }
    if message.contains("duplicate entry") {
        return Some("each field may appear only once: remove or merge the repeated one".into());
    }
    if message.contains("did not find expected")
        || message.contains("block")
        || offending.starts_with(' ')
    {
        return Some(
            "check the indentation: top-level fields start at the beginning of the line, and list items start with \"- \" under their field"
                .into(),
        );
    }
    if message.contains("recursion limit") || message.contains("repetition limit") {
        return Some(
            "the front matter is nested or repeated too deeply to be real page data".into(),
        );
    }
    None
}

/// A short description of a YAML value's type, for messages ("a list", "a number").
pub fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "empty",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a set of fields",
        Value::Tagged(_) => "a tagged value",
    }
}

/// A scalar as text, as an editor would have meant it (`2021` and `true` included).
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path() -> &'static Path {
        Path::new("content/a.md")
    }

    #[test]
    fn syntax_error_line_is_counted_in_the_file() {
        let err = Document::parse("title: a\nsummary: [unclosed\n", 2, path()).unwrap_err();
        assert!(err.line() >= Some(3), "{err}");
        assert!(err.message.starts_with("this YAML cannot be read"));
    }

    #[test]
    fn colon_in_unquoted_value_is_explained() {
        let err = Document::parse("title: Botcheston: a shop\n", 2, path()).unwrap_err();
        assert_eq!(err.line(), Some(2));
        assert!(err.hint.unwrap().contains("quotes"));
    }

    #[test]
    fn tabs_are_explained() {
        let err = Document::parse("title: a\n\tsummary: b\n", 2, path()).unwrap_err();
        assert!(err.hint.unwrap().contains("tab"));
    }

    #[test]
    fn a_list_at_the_top_is_not_front_matter() {
        let err = Document::parse("- a\n- b\n", 2, path()).unwrap_err();
        assert!(err.message.contains("a list"));
    }

    #[test]
    fn positions_of_keys_and_list_items() {
        let doc = Document::parse(
            "title: x\nprinciples:\n  - prevention\n  - particpation\ntags: [a]\n",
            2,
            path(),
        )
        .unwrap();
        assert_eq!(doc.key_position("principles"), (3, 1));
        assert_eq!(doc.value_position("principles", "particpation"), (5, 5));
        assert_eq!(doc.value_position("tags", "a"), (6, 8));
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for i in 0..12 {
            let prev = if i == 0 {
                "a".to_string()
            } else {
                format!("l{}", i - 1)
            };
            bomb.push_str(&format!("l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        assert!(Document::parse(&bomb, 2, path()).is_err());
    }
}
