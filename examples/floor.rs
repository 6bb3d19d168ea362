//! The floor of a build: read every Markdown file under a site's `content/` and render its
//! body with pulldown-cmark (the build's options) on every core, writing nothing.
//!
//! Usage: cargo run --release --example floor -- SITE

use std::path::PathBuf;
use std::time::Instant;

use pulldown_cmark::{Options, Parser, html};
use rayon::prelude::*;
use walkdir::WalkDir;

/// The body after the YAML front matter, or all of it when there is none.
fn body(text: &str) -> &str {
    text.strip_prefix("---\n")
        .and_then(|rest| rest.find("\n---\n").map(|end| &rest[end + 5..]))
        .unwrap_or(text)
}

fn main() {
    let Some(site) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: floor SITE");
        std::process::exit(2);
    };
    let started = Instant::now();
    // Listing the files is part of the work a build cannot skip, so it is timed too.
    let files: Vec<PathBuf> = WalkDir::new(site.join("content"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.into_path())
        .collect();
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES;
    let bytes: usize = files
        .par_iter()
        .map(|path| {
            let text =
                std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let mut out = String::with_capacity(text.len() * 3 / 2);
            html::push_html(&mut out, Parser::new_ext(body(&text), options));
            out.len()
        })
        .sum();
    println!(
        "{} pages, {} KB of HTML in {:.3} s",
        files.len(),
        bytes / 1024,
        started.elapsed().as_secs_f64()
    );
}
