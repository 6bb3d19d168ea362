//! Any text as raw HTML through the sanitiser on its own (no Markdown around it): the result,
//! read as a browser would, has no script, event handler or `javascript:` address.
#![no_main]

use std::sync::OnceLock;

use communities::sanitize::Sanitizer;
use libfuzzer_sys::fuzz_target;

fn sanitizer() -> &'static Sanitizer {
    static SANITIZER: OnceLock<Sanitizer> = OnceLock::new();
    SANITIZER.get_or_init(|| Sanitizer::new(&["www.youtube-nocookie.com".to_string()]))
}

fuzz_target!(|html: &str| {
    let clean = sanitizer().clean(html);
    let _ = sanitizer().removals(html);
    let document = scraper::Html::parse_fragment(&clean);
    for element in document.root_element().descendants().filter_map(scraper::ElementRef::wrap) {
        let element = element.value();
        assert!(
            !matches!(element.name(), "script" | "style" | "object" | "embed" | "base" | "form"),
            "a {} element got through",
            element.name()
        );
        for (name, value) in element.attrs() {
            assert!(!name.starts_with("on"), "an event handler {name} got through");
            // As browsers' URL parser reads it: C0 controls and spaces around it trimmed, tabs
            // and line breaks anywhere removed; any other control character in a scheme makes
            // the address relative, so it stays.
            let value: String = value
                .trim_matches(|c: char| c <= ' ')
                .chars()
                .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                .collect();
            let value = value.to_ascii_lowercase();
            for scheme in ["javascript:", "vbscript:", "data:text/html"] {
                assert!(!value.starts_with(scheme), "{scheme} got through in {name}");
            }
        }
    }
});
