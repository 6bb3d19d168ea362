//! Making the HTML of a page body safe with ammonia: formatting stays; scripts, styles,
//! event-handler attributes, `javascript:` and other unsafe URLs, and iframes from hosts not on
//! `site.yaml`'s allow-list go. What was taken out of the raw HTML an author wrote is told in
//! words, so that a warning can name it at its line.

use std::borrow::Cow;

use ammonia::Builder;
use scraper::Html;

/// The URL schemes a link or image may use; anything else (`javascript:`, `data:`, `vbscript:`)
/// is removed.
pub const URL_SCHEMES: [&str; 4] = ["http", "https", "mailto", "tel"];

/// Attributes every allowed element may keep. `id` and `class` carry heading anchors,
/// footnotes and highlighted code; neither can run anything.
const GENERIC_ATTRIBUTES: [&str; 4] = ["id", "class", "lang", "title"];

const IFRAME_ATTRIBUTES: [&str; 7] = [
    "src",
    "title",
    "width",
    "height",
    "allow",
    "allowfullscreen",
    "loading",
];

pub struct Sanitizer {
    builder: Builder<'static>,
}

impl Sanitizer {
    /// A sanitiser that keeps iframes only when their `src` is `https://` on one of `iframe_hosts`.
    pub fn new(iframe_hosts: &[String]) -> Self {
        let mut builder = Builder::default();
        builder
            .url_schemes(URL_SCHEMES.into_iter().collect())
            .generic_attributes(GENERIC_ATTRIBUTES.into_iter().collect())
            // Task-list items are disabled checkboxes.
            .add_tags(["input"])
            .add_tag_attributes("input", ["type", "checked", "disabled"])
            // Links keep their meaning; browsers no longer let a new tab reach back anyway.
            .link_rel(None);
        if !iframe_hosts.is_empty() {
            let hosts: Vec<String> = iframe_hosts.iter().map(|h| h.to_lowercase()).collect();
            builder
                .add_tags(["iframe"])
                .add_tag_attributes("iframe", IFRAME_ATTRIBUTES)
                .attribute_filter(move |element, attribute, value| {
                    if element == "iframe" && attribute == "src" && !iframe_allowed(&hosts, value) {
                        None
                    } else {
                        Some(Cow::Borrowed(value))
                    }
                });
        }
        Sanitizer { builder }
    }

    pub fn clean(&self, html: &str) -> String {
        self.builder.clean(html).to_string()
    }

    /// What sanitising this piece of raw HTML takes out, e.g. `<script>` or
    /// `onerror on <img>`; empty when it is safe as written.
    pub fn removals(&self, raw: &str) -> Vec<String> {
        let before = markup_of(raw);
        let mut after = markup_of(&self.clean(raw));
        let mut gone = Vec::new();
        for item in before {
            if let Some(found) = after.iter().position(|a| *a == item) {
                after.swap_remove(found);
            } else {
                gone.push(item);
            }
        }
        // An element that went took its attributes with it: naming the element says enough.
        let elements_gone: Vec<&str> = gone
            .iter()
            .filter_map(|m| match m {
                Markup::Element(name) => Some(name.as_str()),
                Markup::Attribute { .. } => None,
            })
            .collect();
        let mut removed: Vec<String> = Vec::new();
        for item in &gone {
            let implied = matches!(item, Markup::Attribute { element, .. } if elements_gone.contains(&element.as_str()));
            let said = item.to_string();
            if !implied && !removed.contains(&said) {
                removed.push(said);
            }
        }
        removed
    }
}

fn iframe_allowed(hosts: &[String], src: &str) -> bool {
    url::Url::parse(src).is_ok_and(|url| {
        url.scheme() == "https"
            && url
                .host_str()
                .is_some_and(|host| hosts.iter().any(|h| h == host))
    })
}

/// Whether a link written in Markdown survives sanitising: relative, or of an allowed scheme.
pub fn url_allowed(url: &str) -> bool {
    match url::Url::parse(url.trim()) {
        Ok(parsed) => URL_SCHEMES.contains(&parsed.scheme()),
        Err(_) => true,
    }
}

/// An element, or one attribute of an element, found in a piece of HTML.
#[derive(Debug, PartialEq, Eq)]
enum Markup {
    Element(String),
    Attribute {
        element: String,
        name: String,
        value: String,
    },
}

impl std::fmt::Display for Markup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Markup::Element(name) => write!(f, "<{name}>"),
            Markup::Attribute { element, name, .. } if name.starts_with("on") => {
                write!(f, "the event handler {name} on <{element}>")
            }
            Markup::Attribute {
                element,
                name,
                value,
            } => write!(f, "{name}={value:?} on <{element}>"),
        }
    }
}

/// The elements and attributes of an HTML fragment, parsed as a browser would.
fn markup_of(html: &str) -> Vec<Markup> {
    let fragment = Html::parse_fragment(html);
    let mut found = Vec::new();
    for element in fragment.root_element().descendent_elements().skip(1) {
        let name = element.value().name().to_string();
        for (attribute, value) in element.value().attrs() {
            found.push(Markup::Attribute {
                element: name.clone(),
                name: attribute.to_string(),
                value: value.to_string(),
            });
        }
        found.push(Markup::Element(name));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sanitizer() -> Sanitizer {
        Sanitizer::new(&["www.youtube-nocookie.com".to_string()])
    }

    #[test]
    fn formatting_stays_and_scripts_go() {
        let s = sanitizer();
        let out =
            s.clean("<p><b>Bold</b> <script>alert(1)</script><img src=x onerror=alert(1)></p>");
        assert_eq!(out, "<p><b>Bold</b> <img src=\"x\"></p>");
    }

    #[test]
    fn unsafe_urls_and_styles_are_removed() {
        let s = sanitizer();
        let out = s.clean(
            "<a href=\"javascript:alert(1)\">x</a><a href=\"/ok/\">y</a><style>p{}</style><p style=\"color:red\">z</p>",
        );
        assert_eq!(out, "<a>x</a><a href=\"/ok/\">y</a><p>z</p>");
    }

    #[test]
    fn iframes_keep_their_source_only_on_allowed_hosts() {
        let s = sanitizer();
        let ok = s.clean("<iframe src=\"https://www.youtube-nocookie.com/embed/x\"></iframe>");
        assert!(ok.contains("src=\"https://www.youtube-nocookie.com/embed/x\""));
        let bad = s.clean("<iframe src=\"https://evil.example/\"></iframe>");
        assert!(!bad.contains("evil"), "{bad}");
        let none = Sanitizer::new(&[])
            .clean("<iframe src=\"https://www.youtube-nocookie.com/\"></iframe>");
        assert_eq!(none, "");
    }

    #[test]
    fn removals_are_named() {
        let s = sanitizer();
        assert_eq!(
            s.removals("<img src=x onerror=alert(1)>"),
            ["the event handler onerror on <img>"]
        );
        assert_eq!(s.removals("<script>alert(1)</script>"), ["<script>"]);
        assert_eq!(
            s.removals("<svg onload=alert(1)><circle r=1></circle></svg>"),
            ["<svg>", "<circle>"]
        );
        assert_eq!(
            s.removals("<a href=\"javascript:alert(1)\">"),
            ["href=\"javascript:alert(1)\" on <a>"]
        );
    }

    #[test]
    fn safe_html_and_open_or_closing_tags_alone_remove_nothing() {
        let s = sanitizer();
        assert!(s.removals("<div class=\"note\">").is_empty());
        assert!(s.removals("</div>").is_empty());
        assert!(
            s.removals("<abbr title=\"Parish council\">PC</abbr>")
                .is_empty()
        );
        assert!(s.removals("<!-- a note for editors -->").is_empty());
    }

    #[test]
    fn markdown_link_schemes_are_checked() {
        assert!(url_allowed("https://example.org/"));
        assert!(url_allowed("/about/"));
        assert!(url_allowed("#top"));
        assert!(url_allowed("mailto:a@example.org"));
        assert!(!url_allowed("javascript:alert(1)"));
        assert!(!url_allowed(" JavaScript:alert(1)"));
    }
}
