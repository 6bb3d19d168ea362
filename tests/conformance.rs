//! Conformance of the Markdown renderer: every CommonMark 0.31.2 spec example and the GFM
//! spec's extension examples, one page each, rendered by the site model exactly as `build`
//! renders a page body, and compared with the spec's HTML once what the site adds on purpose
//! is undone (heading ids, lazy pictures, code highlighting, alignment classes).
//!
//! The examples come from npm (`tests/conformance`), so this test is ignored by a plain
//! `cargo test`; CI runs it with:
//!
//! ```text
//! (cd tests/conformance && npm ci)
//! cargo test --test conformance -- --ignored --nocapture
//! ```
//!
//! An example that differs must be listed in `tests/conformance/known-differences.txt`,
//! classified as `removed` (unsafe content removed on purpose), `added` (a plain-text address
//! made a link on purpose, as GFM does, in a CommonMark example) or `defect`; a newly differing
//! example fails the test, and so does a listed one that now matches.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;

use communities::config::Config;
use communities::content;
use communities::site::Site;
use scraper::{Html, Node};
use serde::Deserialize;

#[derive(Deserialize)]
struct Example {
    id: String,
    section: String,
    markdown: String,
    html: String,
}

fn examples() -> Vec<Example> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let output = Command::new("node")
        .arg("examples.mjs")
        .current_dir(&folder)
        .output()
        .expect("node runs (the conformance test needs Node.js)");
    assert!(
        output.status.success(),
        "the spec examples could not be read; run `npm ci` in tests/conformance first:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the examples are JSON")
}

/// Each example's body as the site renders it, by example id.
fn rendered(examples: &[Example]) -> HashMap<String, String> {
    let config = Config::parse(
        "title: Conformance\nbase_url: https://conformance.example/\nlanguage: en\ndescription: Spec examples.\npage_size: 10\n",
        None,
    )
    .expect("the configuration is valid");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sources = examples
        .iter()
        .filter_map(|example| {
            let path = format!("content/{}.md", example.id);
            let text = format!("---\ntitle: Example\n---\n{}", example.markdown);
            content::parse_bytes(root, Path::new(&path), text.as_bytes()).0
        })
        .collect();
    // Spec examples link to made-up addresses: the link check's errors are not the point here.
    let (site, _) = Site::build(config, sources, &[], false);
    site.pages
        .iter()
        .map(|page| {
            let id = page.source.content_path.trim_end_matches(".md").to_string();
            (id, page.rendered.html.read().unwrap().into_owned())
        })
        .collect()
}

const BLOCK: [&str; 24] = [
    "address",
    "article",
    "aside",
    "blockquote",
    "dd",
    "div",
    "dl",
    "dt",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "ul",
];
const TABLE_PARTS: [&str; 5] = ["thead", "tbody", "tr", "th", "td"];

/// HTML in a canonical form: parsed as a browser would, attributes sorted, whitespace
/// collapsed outside `<pre>` and dropped around blocks; with what the site adds undone.
fn normalise(html: &str) -> String {
    let fragment = Html::parse_fragment(html);
    let mut out = Canonical::default();
    for child in fragment.root_element().children() {
        out.node(child);
    }
    out.text.trim().to_string()
}

#[derive(Default)]
struct Canonical {
    text: String,
    in_pre: usize,
    after_block: bool,
}

impl Canonical {
    fn block_edge(&mut self) {
        let kept = self.text.trim_end().len();
        self.text.truncate(kept);
        self.after_block = true;
    }

    fn node(&mut self, node: ego_tree::NodeRef<Node>) {
        match node.value() {
            Node::Text(text) => {
                let text: &str = text;
                let collapsed;
                let mut text = if self.in_pre > 0 {
                    text
                } else {
                    collapsed = collapse_whitespace(text);
                    collapsed.as_str()
                };
                // A comment between two spaces leaves two; removing it leaves one.
                if self.in_pre == 0 && (self.after_block || self.text.ends_with(' ')) {
                    text = text.trim_start();
                }
                if text.is_empty() {
                    return;
                }
                self.after_block = false;
                self.text.push_str(
                    &text
                        .replace('&', "&amp;")
                        .replace('<', "&lt;")
                        .replace('>', "&gt;"),
                );
            }
            Node::Element(element) => {
                let name = element.name();
                let classes: Vec<&str> = element.classes().collect();
                // Highlighted code: the spans syntect adds are undone, their text kept.
                if name == "span" && classes.iter().any(|c| c.starts_with("hl-")) {
                    for child in node.children() {
                        self.node(child);
                    }
                    return;
                }
                let mut attributes: Vec<(String, String)> = Vec::new();
                for (attribute, value) in element.attrs() {
                    let undone = match (name, attribute) {
                        (_, "id") if name.len() == 2 && name.starts_with('h') => true,
                        ("img", "loading") | ("a", "rel") => true,
                        ("pre", "class") => value == "hl-code",
                        ("th" | "td", "class") => {
                            if let Some(side) = value.strip_prefix("align-") {
                                attributes.push(("align".into(), side.into()));
                            }
                            true
                        }
                        _ => false,
                    };
                    if !undone {
                        attributes.push((attribute.to_string(), value.to_string()));
                    }
                }
                attributes.sort();
                let block = BLOCK.contains(&name) || TABLE_PARTS.contains(&name);
                if block {
                    self.block_edge();
                }
                self.text.push('<');
                self.text.push_str(name);
                for (attribute, value) in &attributes {
                    self.text.push_str(&format!(
                        " {attribute}=\"{}\"",
                        value.replace('&', "&amp;").replace('"', "&quot;")
                    ));
                }
                self.text.push('>');
                self.after_block = block;
                if name == "pre" {
                    self.in_pre += 1;
                }
                for child in node.children() {
                    self.node(child);
                }
                if name == "pre" {
                    self.in_pre -= 1;
                }
                let void = matches!(name, "br" | "hr" | "img" | "input");
                if !void {
                    if block {
                        self.block_edge();
                    }
                    self.text.push_str(&format!("</{name}>"));
                }
                self.after_block = block;
            }
            _ => {}
        }
    }
}

/// Runs of whitespace as one space.
fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_whitespace() {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `id -> class` from the committed list of known differences.
fn known_differences() -> BTreeMap<String, String> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/known-differences.txt");
    let text = std::fs::read_to_string(&path).expect("the list of known differences");
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let mut fields = line.splitn(3, ' ');
            let id = fields.next().unwrap_or_default().to_string();
            let class = fields.next().unwrap_or_default().to_string();
            assert!(
                ["removed", "added", "defect"].contains(&class.as_str()),
                "{line}: the class is `removed`, `added` or `defect`"
            );
            (id, class)
        })
        .collect()
}

#[test]
#[ignore = "needs the spec examples from npm: run `npm ci` in tests/conformance"]
fn spec_examples_render_as_the_spec_says_but_for_known_differences() {
    let examples = examples();
    let rendered = rendered(&examples);
    let known = known_differences();
    let mut by_section: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut new_differences = Vec::new();
    let mut now_matching = Vec::new();
    for example in &examples {
        let ours = rendered.get(&example.id).map_or("", String::as_str);
        let matches = normalise(ours) == normalise(&example.html);
        let counts = by_section.entry(&example.section).or_default();
        counts.1 += 1;
        if matches {
            counts.0 += 1;
            if known.contains_key(&example.id) {
                now_matching.push(example.id.clone());
            }
        } else if !known.contains_key(&example.id) {
            new_differences.push(format!(
                "{} ({}):\n  markdown: {:?}\n  expected: {:?}\n  rendered: {:?}",
                example.id,
                example.section,
                example.markdown,
                normalise(&example.html),
                normalise(ours)
            ));
        }
    }
    let matched: usize = by_section.values().map(|c| c.0).sum();
    eprintln!("{matched} of {} examples match", examples.len());
    for (section, (ok, total)) in &by_section {
        eprintln!("  {section}: {ok}/{total}");
    }
    let count = |class: &str| known.values().filter(|c| *c == class).count();
    eprintln!(
        "known differences: {} unsafe content removed on purpose, {} addresses made links on purpose, {} defects",
        count("removed"),
        count("added"),
        count("defect")
    );
    assert!(
        new_differences.is_empty(),
        "{} examples differ that did not before:\n{}",
        new_differences.len(),
        new_differences.join("\n")
    );
    assert!(
        now_matching.is_empty(),
        "these examples match now: remove them from known-differences.txt: {now_matching:?}"
    );
}
