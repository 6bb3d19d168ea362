//! All YAML handling: parsing front matter and `site.yaml`, turning YAML errors into
//! diagnostics that point at the line that causes them (which is often above the line the
//! YAML parser stops at), and finding where a key or a list item was written so later checks
//! can point at it too.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde_yaml::{Mapping, Value};

use crate::diagnostics::{Diagnostic, ProblemKind};

/// Deeper nesting than this is refused before parsing: real page data nests two or three
/// levels, and the parser's time grows much faster than the input beyond its own limit.
pub const MAX_NESTING: usize = 32;

/// Curly quotes that word processors type in place of straight ones.
const CURLY_QUOTES: [char; 4] = ['\u{201c}', '\u{201d}', '\u{2018}', '\u{2019}'];

/// Where keys and values were written in a YAML text, found in one pass over its lines.
/// Successive lookups in one key's value continue from the previous find, so reporting every
/// item of a long list reads the list once, not once per item.
#[derive(Debug, Clone)]
pub struct Locator<'a> {
    lines: Vec<&'a str>,
    /// The file line on which the text starts (1-based).
    first_line: usize,
    /// Each top-level key and the index of the line it is first written on.
    keys: HashMap<&'a str, usize>,
    /// Per key: the line index and byte offset just past the last value found.
    cursors: RefCell<HashMap<String, (usize, usize)>>,
}

impl<'a> Locator<'a> {
    pub fn new(source: &'a str, first_line: usize) -> Self {
        let lines: Vec<&str> = source.lines().collect();
        let mut keys = HashMap::new();
        for (i, line) in lines.iter().enumerate() {
            if let Some(key) = top_level_key(line) {
                keys.entry(key).or_insert(i);
            }
        }
        Locator {
            lines,
            first_line,
            keys,
            cursors: RefCell::new(HashMap::new()),
        }
    }

    /// Where a top-level key was written (line and column in the file).
    pub fn key_position(&self, key: &str) -> (usize, usize) {
        self.keys
            .get(key)
            .map_or((self.first_line, 1), |i| (self.first_line + i, 1))
    }

    /// Where `needle` was written inside the value of `key` (for a list item or nested field);
    /// the key's own position when it cannot be found.
    pub fn value_position(&self, key: &str, needle: &str) -> (usize, usize) {
        let Some(&start) = self.keys.get(key) else {
            return (self.first_line, 1);
        };
        let after_colon = |i: usize| {
            if i == start {
                self.lines[i].find(':').map_or(0, |c| c + 1)
            } else {
                0
            }
        };
        let cursor = self.cursors.borrow().get(key).copied();
        let from = cursor.unwrap_or((start, after_colon(start)));
        let found = self
            .find_in_value(start, from, needle, &after_colon)
            .or_else(|| {
                cursor.and_then(|_| {
                    self.find_in_value(start, (start, after_colon(start)), needle, &after_colon)
                })
            });
        match found {
            Some((i, at)) => {
                self.cursors
                    .borrow_mut()
                    .insert(key.to_string(), (i, at + needle.len()));
                let column = self.lines[i][..at].chars().count() + 1;
                (self.first_line + i, column)
            }
            None => (self.first_line + start, 1),
        }
    }

    /// The first `needle` from `(line, byte)` on, within the value of the key on `start`.
    fn find_in_value(
        &self,
        start: usize,
        (line, byte): (usize, usize),
        needle: &str,
        after_colon: &dyn Fn(usize) -> usize,
    ) -> Option<(usize, usize)> {
        for i in line..self.lines.len() {
            let text = self.lines[i];
            if i > start && top_level_key(text).is_some() {
                return None;
            }
            let from = if i == line {
                byte.max(after_colon(i))
            } else {
                0
            };
            if let Some(at) = text.get(from..).and_then(|rest| rest.find(needle)) {
                return Some((i, from + at));
            }
        }
        None
    }

    /// The file line just past the text: for front matter, its closing `---`.
    pub fn end_line(&self) -> usize {
        self.first_line + self.lines.len()
    }
}

/// The key of a line that starts a top-level `key: value`, quotes removed.
fn top_level_key(line: &str) -> Option<&str> {
    let first = line.chars().next()?;
    if first.is_whitespace() || matches!(first, '-' | '#') {
        return None;
    }
    let colon = line.find(':')?;
    let key = line[..colon].trim_end();
    Some(
        key.strip_prefix('"')
            .and_then(|k| k.strip_suffix('"'))
            .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
            .unwrap_or(key),
    )
}

/// A parsed YAML mapping together with where its keys and values were written.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    pub map: Mapping,
    locator: Locator<'a>,
}

impl<'a> Document<'a> {
    /// Parses `source`, which starts at `first_line` of the file at `path`. Anything but a
    /// mapping at the top is an error: front matter and `site.yaml` are `key: value` lines.
    pub fn parse(source: &'a str, first_line: usize, path: &Path) -> Result<Self, Diagnostic> {
        let locator = Locator::new(source, first_line);
        let document = |map| Document {
            map,
            locator: locator.clone(),
        };
        if source.trim().is_empty() {
            return Ok(document(Mapping::new()));
        }
        refuse_before_parsing(source, first_line, path)?;
        let value: Value =
            serde_yaml::from_str(source).map_err(|e| syntax_error(&e, source, first_line, path))?;
        match value {
            Value::Mapping(map) => Ok(document(map)),
            Value::Null => Ok(document(Mapping::new())),
            other => Err(diagnose(source, None, first_line, path).unwrap_or_else(|| {
                Diagnostic::error(
                    path,
                    first_line,
                    1,
                    format!(
                        "the front matter must be a list of `field: value` lines, but this is {}",
                        describe(&other)
                    ),
                )
                .with_kind(ProblemKind::YamlSyntax)
                .with_hint("write each field on its own line, e.g. `title: Village hall`")
            })),
        }
    }

    pub fn key_position(&self, key: &str) -> (usize, usize) {
        self.locator.key_position(key)
    }

    pub fn value_position(&self, key: &str, needle: &str) -> (usize, usize) {
        self.locator.value_position(key, needle)
    }

    pub fn end_line(&self) -> usize {
        self.locator.end_line()
    }

    /// Values that YAML cut short at a ` #`, which starts a comment: a plain value followed by
    /// a comment on a key's line or a list item's line.
    pub fn comments_after_values(&self) -> Vec<CutValue<'a>> {
        // The key whose value is a list on the lines below it: only its items are looked at,
        // not the lines of a `|` or `>` text block, where `#` is text.
        let mut list_key = None;
        let mut found = Vec::new();
        for (i, line) in self.locator.lines.iter().enumerate() {
            let (value_start, owner) = if let Some(k) = top_level_key(line) {
                let colon = line.find(':').map_or(line.len(), |c| c + 1);
                let value = line[colon..].trim();
                list_key = (value.is_empty() || value.starts_with('#')).then_some(k);
                (colon, k)
            } else if let (Some(k), Some(dash)) = (list_key, line.trim_start().strip_prefix("- ")) {
                (line.len() - dash.len(), k)
            } else {
                continue;
            };
            let value = &line[value_start..];
            let trimmed = value.trim_start();
            if trimmed.starts_with(['"', '\'', '[', '{', '|', '>', '&', '*', '!', '#']) {
                continue;
            }
            let Some(hash) = comment_start(value) else {
                continue;
            };
            let kept = value[..hash].trim();
            if kept.is_empty() {
                continue;
            }
            let at = value_start + hash;
            found.push(CutValue {
                key: owner,
                line: self.locator.first_line + i,
                column: line[..at].chars().count() + 1,
                kept,
                lost: value[hash..].trim_end(),
            });
        }
        found
    }
}

/// A value that a ` #` cut short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CutValue<'a> {
    pub key: &'a str,
    pub line: usize,
    /// The column of the `#`.
    pub column: usize,
    pub kept: &'a str,
    pub lost: &'a str,
}

/// The byte offset of a `#` that starts a comment: one after a space or a tab.
fn comment_start(value: &str) -> Option<usize> {
    value
        .char_indices()
        .zip(value.chars().skip(1))
        .find(|((_, before), c)| matches!(before, ' ' | '\t') && *c == '#')
        .map(|((i, before), _)| i + before.len_utf8())
}

/// Parses a whole YAML file (such as `site.yaml`) straight into a typed value.
pub fn parse_typed<T: DeserializeOwned>(source: &str, path: &Path) -> Result<T, Diagnostic> {
    refuse_before_parsing(source, 1, path)?;
    serde_yaml::from_str(source).map_err(|e| syntax_error(&e, source, 1, path))
}

/// What must be refused before the parser sees it: indentation that is not made of spaces,
/// and nesting deeper than any real data, which the parser would take minutes over. One
/// pass over the text.
fn refuse_before_parsing(source: &str, first_line: usize, path: &Path) -> Result<(), Diagnostic> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, line) in source.lines().enumerate() {
        let at = |column: usize| (first_line + i, column);
        if let Some(column) = odd_space_in_indentation(line) {
            let (line, column) = at(column);
            return Err(odd_space_error(path, line, column));
        }
        let dashes = line
            .trim_start()
            .split_inclusive('-')
            .take_while(|part| part.trim() == "-")
            .count();
        let mut previous = ' ';
        let mut escaped = false;
        for (column, c) in (1..).zip(line.chars()) {
            match quote {
                Some('"') if escaped => escaped = false,
                Some('"') if c == '\\' => escaped = true,
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '#' && previous.is_whitespace() => break,
                None if matches!(c, '"' | '\'')
                    && (previous.is_whitespace()
                        || matches!(previous, ':' | '[' | '{' | ',' | '-')) =>
                {
                    quote = Some(c)
                }
                None if matches!(c, '[' | '{') => depth += 1,
                None if matches!(c, ']' | '}') => depth = depth.saturating_sub(1),
                None => {}
            }
            if depth + dashes > MAX_NESTING {
                let (line, column) = at(column);
                return Err(Diagnostic::error(
                    path,
                    line,
                    column,
                    format!(
                        "the front matter nests lists or fields more than {MAX_NESTING} levels deep here, which no real page needs"
                    ),
                )
                .with_kind(ProblemKind::OverLimit)
                .with_hint(
                    "check for stray `[`, `{` or `-` characters: a value that contains them must be put in quotes",
                ));
            }
            previous = c;
        }
    }
    Ok(())
}

/// The column of a space-like character other than a plain space (a non-breaking space,
/// most often pasted from a web page) in a line's indentation.
fn odd_space_in_indentation(line: &str) -> Option<usize> {
    (1..)
        .zip(line.chars())
        .take_while(|(_, c)| c.is_whitespace() && *c != '\t')
        .find(|(_, c)| *c != ' ')
        .map(|(column, _)| column)
}

fn odd_space_error(path: &Path, line: usize, column: usize) -> Diagnostic {
    Diagnostic::error(
        path,
        line,
        column,
        "this line is indented with non-breaking spaces, which YAML does not count as spaces",
    )
    .with_kind(ProblemKind::YamlSyntax)
    .with_hint("delete the indentation and type it again with the space bar")
}

/// A YAML error as a diagnostic at the line that causes it, with the cause explained in
/// words for people who have never heard of YAML.
fn syntax_error(
    error: &serde_yaml::Error,
    source: &str,
    first_line: usize,
    path: &Path,
) -> Diagnostic {
    let location = error.location().map(|l| (l.line(), l.column()));
    if let Some(found) = diagnose(source, location.map(|(line, _)| line), first_line, path) {
        return found;
    }
    // The parser may stop just past the last line, at the end of the text.
    let last_line = source.lines().count().max(1);
    let (line, column) = match location {
        Some((line, column)) if line <= last_line => (line.max(1), column),
        Some(_) => (
            last_line,
            source.lines().last().map_or(0, |l| l.chars().count()) + 1,
        ),
        None => (1, 1),
    };
    let raw = error.to_string();
    // serde_yaml appends " at line N column M"; the diagnostic already says where.
    let message = raw.split(" at line ").next().unwrap_or(&raw).to_string();
    let offending = source.lines().nth(line.saturating_sub(1)).unwrap_or("");
    let hint = offending.starts_with(' ').then(|| {
        "check the indentation: top-level fields start at the beginning of the line, and list items start with \"- \" under their field"
            .to_string()
    });
    Diagnostic::error(
        path,
        first_line + line - 1,
        column,
        format!("this YAML cannot be read: {message}"),
    )
    .with_kind(ProblemKind::YamlSyntax)
    .with_hint_opt(hint)
}

/// The first line, up to the line where the parser stopped (1-based, within `source`), that
/// shows one of the mistakes people make in YAML.
fn diagnose(
    source: &str,
    stopped_at: Option<usize>,
    first_line: usize,
    path: &Path,
) -> Option<Diagnostic> {
    let mut item_indent: Option<usize> = None;
    let mut seen_field = false;
    let mut block_scalar_indent: Option<usize> = None;
    let last = stopped_at.unwrap_or(usize::MAX);
    let error = |i: usize, column: usize, message: String, hint: String| {
        Some(
            Diagnostic::error(path, first_line + i, column, message)
                .with_kind(ProblemKind::YamlSyntax)
                .with_hint(hint),
        )
    };
    for (i, line) in source.lines().enumerate().take(last) {
        let rest = line.trim_start_matches(' ');
        let indent = line.len() - rest.len();
        if rest.trim().is_empty() || rest.starts_with('#') {
            continue;
        }
        if let Some(key_indent) = block_scalar_indent {
            if indent > key_indent {
                continue;
            }
            block_scalar_indent = None;
        }
        if rest.starts_with('\t') {
            return error(
                i,
                indent + 1,
                "this line is indented with a tab".into(),
                "YAML does not allow tab characters for indenting: use spaces instead".into(),
            );
        }
        if rest.starts_with("- ") || rest == "-" {
            item_indent = Some(indent);
            continue;
        }
        if indent > 0 {
            if item_indent == Some(indent) && !rest.contains(": ") && !rest.ends_with(':') {
                return error(
                    i,
                    indent + 1,
                    "this line is in a list but does not start with a dash".into(),
                    format!(
                        "start each list item with \"- \", like the items above: `{}- {}`",
                        " ".repeat(indent),
                        rest.trim_end()
                    ),
                );
            }
            continue;
        }
        if rest.starts_with(['"', '\'']) {
            continue;
        }
        let Some(colon) = line.find(':') else {
            let (message, hint) = if let Some((key, value)) = line.split_once(" = ") {
                (
                    "this line uses `=`, but fields are written `field: value`".to_string(),
                    format!("write `{}: {}`", key.trim(), value.trim()),
                )
            } else if item_indent.is_some() {
                (
                    "this line follows a list but does not start with a dash".to_string(),
                    format!(
                        "if it is another item, write `  - {}`; if it is a new field, write `field: value`",
                        line.trim_end()
                    ),
                )
            } else if !seen_field {
                (
                    "this line is not a `field: value` line".to_string(),
                    "write each field on its own line, e.g. `title: Village hall`".to_string(),
                )
            } else {
                (
                    "this line is not a `field: value` line: it looks like the end of the value above, wrapped onto a new line".to_string(),
                    "join it to the line above, or indent it with two spaces so that it continues the value".to_string(),
                )
            };
            return error(i, 1, message, hint);
        };
        item_indent = None;
        seen_field = true;
        let key = &line[..colon];
        let after = &line[colon + 1..];
        if !after.is_empty() && !after.starts_with([' ', '\t']) {
            let plain_key = key
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-'));
            if plain_key {
                return error(
                    i,
                    key.chars().count() + 2,
                    format!("there is no space after the colon of `{key}`"),
                    format!("write a space after the colon: `{key}: {after}`"),
                );
            }
        }
        let value = after.trim();
        if value.starts_with(['|', '>']) {
            block_scalar_indent = Some(indent);
            continue;
        }
        if let Some(open) = value.chars().next().filter(|c| "[{\"'".contains(*c)) {
            let (close, what) = match open {
                '[' => (']', "list"),
                '{' => ('}', "set of fields"),
                quote => (quote, "quoted text"),
            };
            let closed = if open == close {
                value[1..].contains(close)
            } else {
                value.matches(open).count() <= value.matches(close).count()
            };
            if !closed {
                let column = line.len() - after.trim_start().len();
                return error(
                    i,
                    line[..column].chars().count() + 1,
                    format!(
                        "the {what} that starts here with `{open}` is not closed with `{close}`"
                    ),
                    format!(
                        "end it with `{close}`: `{key}: {}{close}`",
                        value.trim_end()
                    ),
                );
            }
        }
        let plain = !value.starts_with(['"', '\'', '[', '{', '&', '*', '!']);
        if plain && let Some(inner) = value.find(": ") {
            if let Some(quote) = value.chars().next().filter(|c| CURLY_QUOTES.contains(c)) {
                let column = line[..colon + 1 + after.find(quote).unwrap_or(0)]
                    .chars()
                    .count()
                    + 1;
                let straight = format!("\"{}\"", value.trim_matches(CURLY_QUOTES));
                return error(
                    i,
                    column,
                    format!(
                        "the value of `{key}` is in curly quotes ({quote}), which YAML does not treat as quotes"
                    ),
                    format!("type straight quotes instead: `{key}: {straight}`"),
                );
            }
            let column = line.len() - after.trim_start().len() + inner;
            return error(
                i,
                line[..column].chars().count() + 1,
                format!(
                    "the value of `{key}` has a colon followed by a space, which YAML reads as the start of another field"
                ),
                format!(
                    "put the value in quotes: `{key}: \"{}\"`",
                    value.replace('"', "\\\"")
                ),
            );
        }
    }
    // The parser reports a repeated field where the mapping starts, above its cause.
    let mut seen_keys: HashMap<&str, usize> = HashMap::new();
    for (i, line) in source.lines().enumerate() {
        if let Some(key) = top_level_key(line)
            && let Some(previous) = seen_keys.insert(key, i)
        {
            return error(
                i,
                1,
                format!(
                    "the field `{key}` is written twice (first on line {})",
                    first_line + previous
                ),
                "each field may appear only once: remove or merge the repeated one".into(),
            );
        }
    }
    None
}

/// A short description of a YAML value's type, for messages ("a list", "a number").
pub fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "empty",
        Value::Bool(_) => "true or false",
        Value::Number(n) if n.is_f64() => "a number with a decimal point",
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
    fn an_error_with_no_known_cause_is_the_parser_s_at_its_line_of_the_file() {
        let err = Document::parse("title: a\nsummary: b\n  c: d\n", 2, path()).unwrap_err();
        assert_eq!(err.line(), Some(4), "{err}");
        assert!(
            err.message.starts_with("this YAML cannot be read: "),
            "{err}"
        );
        assert!(err.hint.unwrap().starts_with("check the indentation"));
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

    /// The line, column, message and hint of the error for `source` starting at line 2.
    fn error(source: &str) -> (usize, usize, String, String) {
        let d = Document::parse(source, 2, path()).unwrap_err();
        (
            d.line().unwrap(),
            d.column().unwrap(),
            d.message,
            d.hint.unwrap_or_default(),
        )
    }

    #[test]
    fn a_list_item_without_its_dash_is_named_at_its_own_line() {
        let (line, column, message, hint) =
            error("title: a\nprinciples:\n  - prevention\n  participation\nsummary: s\n");
        assert_eq!((line, column), (5, 3));
        assert_eq!(
            message,
            "this line is in a list but does not start with a dash"
        );
        assert_eq!(
            hint,
            "start each list item with \"- \", like the items above: `  - participation`"
        );
    }

    #[test]
    fn a_missing_space_after_a_colon_is_named() {
        let (line, column, message, hint) = error("title: a\narea:charnwood\nsummary: s\n");
        assert_eq!((line, column), (3, 6));
        assert_eq!(message, "there is no space after the colon of `area`");
        assert_eq!(hint, "write a space after the colon: `area: charnwood`");
        // Alone, it is not a mapping at all; the same cause is named.
        assert_eq!(error("area:charnwood\n").2, message);
    }

    #[test]
    fn a_value_wrapped_onto_an_unindented_line_is_named_there() {
        let (line, column, message, _) =
            error("title: a\nsummary: a long sentence that\ngoes on here\ndate: 2021-01-01\n");
        assert_eq!((line, column), (4, 1));
        assert!(message.contains("wrapped onto a new line"), "{message}");
    }

    #[test]
    fn non_breaking_spaces_in_indentation_are_named_even_when_yaml_accepts_them() {
        let (line, column, message, _) = error("title: a\ntags:\n  -\u{a0}x\n\u{a0} - y\n");
        assert_eq!((line, column), (5, 1));
        assert!(message.contains("non-breaking spaces"), "{message}");
    }

    #[test]
    fn curly_quotes_are_named_when_they_are_the_cause() {
        let (line, column, message, hint) = error("title: \u{201c}Botcheston: a shop\u{201d}\n");
        assert_eq!((line, column), (2, 8));
        assert!(message.contains("curly quotes"), "{message}");
        assert_eq!(
            hint,
            "type straight quotes instead: `title: \"Botcheston: a shop\"`"
        );
        // Curly quotes around a value that YAML reads well are not a mistake.
        assert!(Document::parse("title: \u{201c}Hello\u{201d}\n", 2, path()).is_ok());
    }

    #[test]
    fn a_field_written_twice_names_both_lines() {
        let (line, _, message, _) = error("title: a\nsummary: s\ntitle: b\n");
        assert_eq!(line, 4);
        assert_eq!(
            message,
            "the field `title` is written twice (first on line 2)"
        );
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let deep = format!("title: {}\n", "[".repeat(80_000));
        let started = std::time::Instant::now();
        let d = Document::parse(&deep, 2, path()).unwrap_err();
        assert_eq!(d.kind, ProblemKind::OverLimit);
        assert_eq!((d.line(), d.column()), (Some(2), Some(8 + MAX_NESTING)));
        // Generous: refusing is one pass; parsing took most of a minute.
        assert!(started.elapsed().as_secs() < 5);
        let dashes = format!("tags:\n{}x\n", "- ".repeat(1000));
        assert_eq!(
            Document::parse(&dashes, 2, path()).unwrap_err().kind,
            ProblemKind::OverLimit
        );
        // Brackets inside quotes are text.
        let quoted = format!("title: \"{}\"\n", "[".repeat(100));
        assert!(Document::parse(&quoted, 2, path()).is_ok());
    }

    #[test]
    fn a_comment_after_a_value_is_found_with_the_text_it_cut() {
        let doc = Document::parse(
            "funding: Awards for All #3 round\narea:   # a note\ntags:\n  - a #b\ntitle: \"x #y\"\nsummary: |\n  - c #d\n",
            2,
            path(),
        )
        .unwrap();
        let cut = doc.comments_after_values();
        assert_eq!(cut.len(), 2, "{cut:?}");
        assert_eq!(
            (
                cut[0].key,
                cut[0].line,
                cut[0].column,
                cut[0].kept,
                cut[0].lost
            ),
            ("funding", 2, 25, "Awards for All", "#3 round")
        );
        assert_eq!((cut[1].key, cut[1].line, cut[1].kept), ("tags", 5, "a"));
    }

    #[test]
    fn positions_of_many_items_are_found_in_order_once_each() {
        let items: String = (0..20_000).map(|i| format!("  - v{i}\n")).collect();
        let source = format!("title: x\nprinciples:\n{items}");
        let doc = Document::parse(&source, 2, path()).unwrap();
        let started = std::time::Instant::now();
        for i in 0..20_000 {
            assert_eq!(
                doc.value_position("principles", &format!("v{i}")),
                (4 + i, 5)
            );
        }
        // Generous: the lookups are linear overall; rescanning took twelve seconds.
        assert!(started.elapsed().as_secs() < 5);
        // A value looked up out of order is still found.
        assert_eq!(doc.value_position("principles", "v0"), (4, 5));
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

    proptest::proptest! {
        /// Whatever an editor types, parsing it reports a problem or reads it, never panics,
        /// and every position it gives is a line of the text.
        #[test]
        fn any_front_matter_is_read_or_reported_at_one_of_its_lines(
            source in "[a-z:#|>&*! \\-\\[\\]{},\"'\t\n\u{a0}\u{201c}\u{201d}é]{0,120}",
        ) {
            let lines = source.lines().count().max(1);
            match Document::parse(&source, 2, path()) {
                Ok(doc) => {
                    for cut in doc.comments_after_values() {
                        proptest::prop_assert!(cut.line >= 2 && cut.line < 2 + lines);
                    }
                    for key in doc.map.keys().filter_map(Value::as_str) {
                        let (line, _) = doc.value_position(key, "a");
                        proptest::prop_assert!(line >= 2 && line < 2 + lines);
                    }
                }
                Err(d) => {
                    let line = d.line().unwrap();
                    proptest::prop_assert!(line >= 2 && line < 2 + lines, "{d}");
                }
            }
        }
    }
}
