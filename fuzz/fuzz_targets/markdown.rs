//! Any text as a page body: rendering, heading ids and link resolution must not panic, and
//! heading ids stay unique. A body without raw HTML, which is not sanitised, must read as it
//! would sanitised.
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
        pictures: None,
    };
    let resolve = |path: &str| (path == "case-studies/b.md").then(|| "/case-studies/b/".to_string());
    let (rendered, problems) = render(body, &ctx, &resolve);
    let html = rendered.html.read().expect("a rendered body is held in memory");
    let ids: HashSet<&str> = rendered.toc.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids.len(), rendered.toc.len(), "heading ids are unique");
    for problem in problems {
        assert!(problem.line().is_none_or(|l| l >= 5));
    }
    if !body.contains('<') {
        assert_eq!(
            as_parsed(&sanitizer().clean(&html)),
            as_parsed(&html),
            "a body without raw HTML reads otherwise sanitised"
        );
    }
    // Read the output as a browser would: text that merely looks like markup is harmless.
    let document = scraper::Html::parse_fragment(&html);
    for element in document.root_element().descendants().filter_map(scraper::ElementRef::wrap) {
        let element = element.value();
        assert_ne!(element.name(), "script", "a script element got through");
        for (name, value) in element.attrs() {
            assert!(!name.starts_with("on"), "an event handler {name} got through");
            let value = value.trim_start().to_ascii_lowercase();
            assert!(!value.starts_with("javascript:"), "a javascript: address got through in {name}");
        }
    }
});

/// The HTML as a parser reads it, written out again.
fn as_parsed(html: &str) -> String {
    scraper::Html::parse_fragment(html).root_element().inner_html()
}
