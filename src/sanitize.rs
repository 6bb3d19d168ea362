//! Making the HTML of a page body safe with ammonia: formatting stays; scripts, styles,
//! event-handler attributes, `javascript:` and other unsafe URLs, and iframes from hosts not on
//! `site.yaml`'s allow-list go. Each piece of raw HTML an author wrote is first contained, so
//! that a tag left open in it cannot take the rest of the page; what was taken out of it is told
//! in words, so that a warning can name it at its line.

use std::borrow::Cow;
use std::collections::HashMap;

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
            // Task-list items are disabled checkboxes; footnotes are a section of the page.
            .add_tags(["input", "section"])
            .add_tag_attributes("input", ["type", "checked", "disabled"])
            // Pictures come in several widths and formats, the browser choosing one.
            .add_tags(["picture", "source"])
            .add_tag_attributes(
                "img",
                ["loading", "decoding", "fetchpriority", "srcset", "sizes"],
            )
            .add_tag_attributes("source", ["type", "srcset", "sizes"])
            // A link opening a new tab keeps `rel` as `contain` gave it (`noopener`).
            .add_tag_attributes("a", ["target", "rel", "aria-label"])
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
        // Serialised straight into one buffer of about the page's size: `to_string` would
        // grow a buffer of its own from empty and then copy it into another.
        let mut out = Vec::with_capacity(html.len());
        // Writing into a Vec cannot fail.
        let _ = self.builder.clean(html).write_to(&mut out);
        // The serialiser writes UTF-8 only.
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// What sanitising this piece of raw HTML takes out, e.g. `<script>` or
    /// `onerror on <img>`; empty when it is safe as written.
    pub fn removals(&self, raw: &str) -> Vec<String> {
        let before = markup_of(raw);
        let mut after: HashMap<Markup, usize> = HashMap::new();
        for item in markup_of(&self.clean(raw)) {
            *after.entry(item).or_default() += 1;
        }
        let mut gone = Vec::new();
        for item in before {
            match after.get_mut(&item) {
                Some(count) if *count > 0 => *count -= 1,
                _ => gone.push(item),
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

/// Whether a link written in Markdown survives sanitising: relative, or a valid address of an
/// allowed scheme, both as written and as the page's `href` holds it, control characters and
/// spaces percent-encoded (which is what ammonia judges: a body needing no sanitising must
/// keep no more than it would).
pub fn url_allowed(url: &str) -> bool {
    let mut written = String::with_capacity(url.len());
    // Writing into a String cannot fail.
    let _ = pulldown_cmark_escape::escape_href(&mut written, url);
    // The attribute's value once parsed: escape_href's character references read back.
    let written = written.replace("&amp;", "&").replace("&#x27;", "'");
    [url.trim(), written.as_str()]
        .into_iter()
        .all(|url| match url::Url::parse(url) {
            Ok(parsed) => URL_SCHEMES.contains(&parsed.scheme()),
            Err(error) => error == url::ParseError::RelativeUrlWithoutBase,
        })
}

/// Writes an attribute's value escaped as the sanitiser's HTML serialiser escapes it, so that
/// what the renderer writes itself reads the same bytes whether or not it is sanitised.
pub fn escape_attribute(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\u{a0}' => out.push_str("&nbsp;"),
            c => out.push(c),
        }
    }
}

/// Elements whose content HTML parsers read as plain text up to their end tag (or, for
/// `select` and `template`, in a mode of their own): left open, one would take the rest of
/// the page with it.
const SWALLOWING: [&str; 12] = [
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noscript",
    "noembed",
    "noframes",
    "plaintext",
    "select",
    "template",
];

/// Elements that have no content, or whose end tag is optional: they never nest deeper.
const NEVER_NEST: [&str; 24] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param", "p", "li", "dt", "dd", "tr", "td", "th", "option", "thead", "tbody",
];

/// A piece of raw HTML made harmless to the markup around it.
#[derive(Debug, PartialEq, Eq)]
pub struct Contained {
    pub html: String,
    /// The swallowing elements removed because their end tag is not in the piece.
    pub left_open: Vec<String>,
    /// How many elements the piece opens and closes, for the page's nesting depth.
    pub opened: usize,
    pub closed: usize,
    /// How many more elements are open than at its start, at the deepest point of the piece.
    pub deepest: usize,
    /// Whether any start tag is left: without one, sanitising can remove nothing.
    pub has_start_tags: bool,
}

/// A tag found in raw HTML: where it is, its lower-case name, and whether it is an end tag.
struct RawTag {
    start: usize,
    end: usize,
    name: String,
    closing: bool,
    self_closing: bool,
}

/// Contains a piece of raw HTML, in one pass: a swallowing element whose end tag is not in the
/// piece is removed (its text stays), a tag or comment cut off at the end of the piece is
/// closed, and a link opening a new tab gets `rel="noopener"`.
pub fn contain(piece: &str) -> Contained {
    let (tags, tail) = scan_tags(piece);
    let mut last_end: HashMap<&str, usize> = HashMap::new();
    for tag in tags.iter().filter(|t| t.closing) {
        last_end.insert(tag.name.as_str(), tag.start);
    }
    let mut contained = Contained {
        html: String::with_capacity(piece.len() + 8),
        left_open: Vec::new(),
        opened: 0,
        closed: 0,
        deepest: 0,
        has_start_tags: false,
    };
    let mut written = 0;
    let mut running: i64 = 0;
    for tag in &tags {
        let nests = !tag.self_closing && !NEVER_NEST.contains(&tag.name.as_str());
        if tag.closing {
            contained.closed += usize::from(nests);
            running -= i64::from(nests);
            continue;
        }
        let swallowing = SWALLOWING.contains(&tag.name.as_str());
        let closed_later = tag.name != "plaintext"
            && last_end
                .get(tag.name.as_str())
                .is_some_and(|&end| end > tag.start);
        if swallowing && !closed_later {
            contained.html.push_str(&piece[written..tag.start]);
            written = tag.end;
            let said = format!("<{}> (left open)", tag.name);
            if !contained.left_open.contains(&said) {
                contained.left_open.push(said);
            }
            continue;
        }
        contained.opened += usize::from(nests);
        running += i64::from(nests);
        contained.deepest = contained.deepest.max(usize::try_from(running).unwrap_or(0));
        contained.has_start_tags = true;
        let text = &piece[tag.start..tag.end];
        let lower = text.to_ascii_lowercase();
        if tag.name == "a" && lower.contains("_blank") && !lower.contains("rel=") {
            let close = if text.ends_with("/>") { 2 } else { 1 };
            contained.html.push_str(&piece[written..tag.end - close]);
            contained.html.push_str(" rel=\"noopener\"");
            written = tag.end - close;
        }
    }
    contained.html.push_str(&piece[written..]);
    match tail {
        Tail::Complete => {}
        Tail::InTag(Some(quote)) => {
            contained.html.push(quote);
            contained.html.push('>');
        }
        Tail::InTag(None) => contained.html.push('>'),
        Tail::InComment => contained.html.push_str("-->"),
    }
    contained
}

/// How a piece of raw HTML ends.
enum Tail {
    Complete,
    /// Inside a tag, and inside a quoted attribute value if the quote is given.
    InTag(Option<char>),
    InComment,
}

/// The tags of a piece of HTML, as a browser's tokenizer finds them (closely enough to tell
/// where each starts and ends), and how the piece ends.
fn scan_tags(piece: &str) -> (Vec<RawTag>, Tail) {
    let bytes = piece.as_bytes();
    let mut tags = Vec::new();
    let mut i = 0;
    while let Some(found) = piece[i..].find('<') {
        let start = i + found;
        let rest = &piece[start..];
        if rest.starts_with("<!--") {
            // `<!-->` and `<!--->` are whole (empty) comments to a browser.
            match piece[start + 2..].find("-->") {
                Some(end) => {
                    i = start + 2 + end + 3;
                    continue;
                }
                None => return (tags, Tail::InComment),
            }
        }
        let closing = rest.starts_with("</");
        let name_start = start + 1 + usize::from(closing);
        let name_len = piece[name_start..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b':')
            .count();
        if name_len == 0 || !bytes[name_start].is_ascii_alphabetic() {
            i = start + 1;
            continue;
        }
        let mut j = name_start + name_len;
        let mut quote = None;
        let mut after_equals = false;
        let end = loop {
            let Some(&b) = bytes.get(j) else {
                return (tags, Tail::InTag(quote.map(char::from)));
            };
            match quote {
                Some(q) if b == q => quote = None,
                Some(_) => {}
                None if b == b'>' => break j + 1,
                None if (b == b'"' || b == b'\'') && after_equals => quote = Some(b),
                None => {}
            }
            if !b.is_ascii_whitespace() {
                after_equals = b == b'=';
            }
            j += 1;
        };
        tags.push(RawTag {
            start,
            end,
            name: piece[name_start..name_start + name_len].to_ascii_lowercase(),
            closing,
            self_closing: piece[..end].ends_with("/>"),
        });
        i = end;
    }
    (tags, Tail::Complete)
}

/// An element, or one attribute of an element, found in a piece of HTML.
#[derive(Debug, PartialEq, Eq, Hash)]
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
        assert!(url_allowed("../grants.md"));
        assert!(!url_allowed("https://hall.example:99999/"));
        // Written into the page the control character is percent-encoded, into the host.
        assert!(!url_allowed("http://hall\u{17}"));
        assert!(url_allowed("https://hall.example/a b?c=1&d='e'"));
    }

    #[test]
    fn a_swallowing_tag_left_open_is_removed_and_a_closed_one_stays_for_ammonia() {
        let open = contain("in the <textarea> box");
        assert_eq!(open.html, "in the  box");
        assert_eq!(open.left_open, ["<textarea> (left open)"]);
        let closed = contain("<textarea>x</textarea> and <TITLE x=1>");
        assert_eq!(closed.html, "<textarea>x</textarea> and ");
        assert_eq!(closed.left_open, ["<title> (left open)"]);
        assert_eq!(contain("<plaintext>a</plaintext>").html, "a</plaintext>");
    }

    #[test]
    fn a_piece_cut_off_inside_a_tag_or_comment_is_closed() {
        assert_eq!(contain("<div\nclass=\"a").html, "<div\nclass=\"a\">");
        assert_eq!(contain("<div class=x").html, "<div class=x>");
        assert_eq!(contain("<!-- note").html, "<!-- note-->");
        assert_eq!(contain("<!--> a").html, "<!--> a");
        assert_eq!(contain("<!---> a").html, "<!---> a");
    }

    #[test]
    fn a_link_to_a_new_tab_gets_noopener_once() {
        assert_eq!(
            contain("<a href=\"x\" target=\"_blank\">").html,
            "<a href=\"x\" target=\"_blank\" rel=\"noopener\">"
        );
        let kept = "<a href=\"x\" target=\"_blank\" rel=\"noreferrer\">";
        assert_eq!(contain(kept).html, kept);
    }

    #[test]
    fn nesting_counts_leave_out_void_and_optional_end_elements() {
        let c = contain("<div><span><br><p>a<img src=x></span>");
        assert_eq!((c.opened, c.closed, c.deepest), (2, 1, 2));
        let c = contain("</div><div></div><div>");
        assert_eq!((c.opened, c.closed, c.deepest), (2, 2, 0));
    }
}
