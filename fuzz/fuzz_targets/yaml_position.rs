//! Any text as front matter: parsing gives a document or one diagnostic, and every position
//! found for a key or a value lies inside the front matter, at a column of its line.
#![no_main]

use std::path::Path;

use communities::yaml::Document;
use libfuzzer_sys::fuzz_target;

const FIRST_LINE: usize = 2;

fuzz_target!(|text: &str| {
    let (source, needle) = text.split_once('\u{0}').unwrap_or((text, "a"));
    let document = match Document::parse(source, FIRST_LINE, Path::new("content/a.md")) {
        Ok(document) => document,
        Err(problem) => {
            // A YAML problem is at a line of the front matter (or the line after it).
            let last = FIRST_LINE + source.lines().count();
            assert!(problem.line().is_none_or(|l| (FIRST_LINE..=last).contains(&l)));
            assert!(problem.column().is_none_or(|c| c >= 1));
            return;
        }
    };
    let end = document.end_line();
    let lines: Vec<&str> = source.lines().collect();
    let keys: Vec<String> = document
        .map
        .keys()
        .filter_map(|k| k.as_str().map(str::to_string))
        .chain([needle.to_string()])
        .collect();
    for key in &keys {
        for (line, column) in [document.key_position(key), document.value_position(key, needle)] {
            assert!((FIRST_LINE..=end.max(FIRST_LINE)).contains(&line), "line {line} of {FIRST_LINE}..{end}");
            assert!(column >= 1);
            if let Some(text) = lines.get(line - FIRST_LINE) {
                assert!(column <= text.chars().count() + 1, "column {column} past the line");
            }
        }
    }
});
