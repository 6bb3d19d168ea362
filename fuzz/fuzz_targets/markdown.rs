//! Any text as a page body: rendering, heading ids and link resolution must not panic, and
//! heading ids stay unique.
#![no_main]

use std::collections::HashSet;
use std::path::Path;
use std::sync::OnceLock;

use communities::markdown::{Context, render};
use communities::sanitize::Sanitizer;
use libfuzzer_sys::fuzz_target;

fn sanitizer() -> &'static Sanitizer {
    static SANITIZER: OnceLock<Sanitizer> = OnceLock::new();
    SANITIZER.get_or_init(|| Sanitizer::new(&["www.youtube-nocookie.com".to_string()]))
}

fuzz_target!(|body: &str| {
    let ctx = Context {
        path: Path::new("content/case-studies/a.md"),
        content_path: "case-studies/a.md",
        first_line: 5,
        base_path: "/sub",
        sanitizer: Some(sanitizer()),
    };
    let resolve = |path: &str| (path == "case-studies/b.md").then(|| "/case-studies/b/".to_string());
    let (rendered, problems) = render(body, &ctx, &resolve);
    let ids: HashSet<&str> = rendered.toc.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids.len(), rendered.toc.len(), "heading ids are unique");
    for problem in problems {
        assert!(problem.line >= 5);
    }
    for forbidden in ["<script", "href=\"javascript:", "src=\"javascript:"] {
        assert!(!rendered.html.to_lowercase().contains(forbidden), "{forbidden} got through");
    }
});
