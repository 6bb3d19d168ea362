//! The floor of a build: read every Markdown file under a site's `content/`, render its body
//! with pulldown-cmark (the build's options) and write it as one HTML file per page, on every
//! core. `content/a/b.md` becomes `OUT/a/b/index.html` and `content/a/_index.md`
//! `OUT/a/index.html`, as pages are published.
//!
//! Usage: cargo run --release --example floor -- SITE OUT

use std::path::{Path, PathBuf};
use std::time::Instant;

use pulldown_cmark::{Parser, html};
use rayon::prelude::*;
use walkdir::WalkDir;

/// The body after the YAML front matter, or all of it when there is none.
fn body(text: &str) -> &str {
    text.strip_prefix("---\n")
        .and_then(|rest| rest.find("\n---\n").map(|end| &rest[end + 5..]))
        .unwrap_or(text)
}

/// Where the page of `content/<rel>` is written.
fn page_file(out: &Path, rel: &Path) -> PathBuf {
    let folder = if rel
        .file_stem()
        .is_some_and(|s| s == "_index" || s == "index")
    {
        rel.parent().unwrap_or(Path::new("")).to_path_buf()
    } else {
        rel.with_extension("")
    };
    out.join(folder).join("index.html")
}

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [site, out] = args.as_slice() else {
        eprintln!("usage: floor SITE OUT");
        std::process::exit(2);
    };
    let content = site.join("content");
    let started = Instant::now();
    // Listing the files is part of the work a build cannot skip, so it is timed too.
    let files: Vec<PathBuf> = WalkDir::new(&content)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.into_path())
        .collect();
    let options = communities::markdown::options();
    let bytes: usize = files
        .par_iter()
        .map(|path| {
            let text =
                std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let mut html = String::with_capacity(text.len() * 3 / 2);
            html::push_html(&mut html, Parser::new_ext(body(&text), options));
            let file = page_file(out, path.strip_prefix(&content).unwrap_or(path));
            std::fs::create_dir_all(file.parent().unwrap_or(out))
                .and_then(|()| std::fs::write(&file, &html))
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            html.len()
        })
        .sum();
    println!(
        "{} pages, {} KB of HTML written in {:.3} s",
        files.len(),
        bytes / 1024,
        started.elapsed().as_secs_f64()
    );
}
