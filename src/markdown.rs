//! Markdown to HTML with pulldown-cmark: heading ids and the table of contents, internal links
//! and pictures resolved to URLs (and recorded for the link check), fenced code highlighted,
//! footnotes, table alignment as classes, web addresses made links, raw HTML sanitised piece
//! by piece, and the plain text of the page for summaries and search.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use percent_encoding::percent_decode_str;
use pulldown_cmark::{
    Alignment, CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd,
};
use pulldown_cmark_escape::{escape_href, escape_html_body_text};
use serde::Serialize;

use crate::autolink;
use crate::diagnostics::{Diagnostic, ProblemKind, line_col};
use crate::highlight;
use crate::images;
use crate::sanitize::{self, Sanitizer};
use crate::spill::{Spill, Stored};

/// Deeper nesting (quotes in lists in HTML elements...) than any real page has; beyond it the
/// HTML parser's work grows with the square of the depth, so the page is refused.
pub const MAX_NESTING: usize = 100;
/// Table cells are counted by their `|`: a page with more is refused before it is parsed, as
/// its table would need hundreds of megabytes.
pub const MAX_TABLE_BARS: usize = 100_000;
/// Longer code blocks with a language are refused: highlighting one takes memory in
/// proportion, and time that grows faster than the length of a line.
pub const MAX_HIGHLIGHTED_LINES: usize = 5_000;
pub const MAX_HIGHLIGHTED_BYTES: usize = 256 * 1024;

/// Warnings about raw HTML made safe, per page, before the rest are counted in one.
const MAX_HTML_WARNINGS: usize = 20;

/// Written as a picture's description, marks it as decoration that screen readers skip.
pub const DECORATIVE: &str = "decorative";

/// Link texts that say nothing when heard alone, as screen reader users often hear links.
const VAGUE_LINK_TEXTS: [&str; 14] = [
    "click here",
    "click",
    "here",
    "read more",
    "more",
    "this link",
    "link",
    "this",
    "this page",
    "go",
    "learn more",
    "more info",
    "more information",
    "find out more",
];

/// A heading of the page, for its table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub title: String,
}

/// A link or picture as written, where it was written, for the link check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRef {
    pub dest: String,
    pub line: usize,
    pub column: usize,
    pub picture: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub html: Stored,
    /// Whether the HTML has a code block that `highlight::code_block` coloured, and so needs
    /// the highlighting stylesheet (19 KiB that other pages need not load).
    pub highlighted_code: bool,
    pub toc: Vec<Heading>,
    /// The text without markup, for search and descriptions.
    pub text: Stored,
    pub links: Vec<LinkRef>,
    /// The ids a `#...` link can lead to: headings' and footnotes'.
    pub anchors: Vec<String>,
}

impl Rendered {
    /// Its HTML and text moved into `spill` when there is one, to wait there to be written.
    pub fn spilled(self, spill: Option<&Arc<Spill>>) -> Rendered {
        Rendered {
            html: self.html.spilled(spill),
            text: self.text.spilled(spill),
            ..self
        }
    }
}

/// Where a Markdown body sits, for resolving its relative links and reporting at file lines.
pub struct Context<'a> {
    /// The file, relative to the site root, for diagnostics.
    pub path: &'a Path,
    /// The page's own path relative to `content/` (forward slashes).
    pub content_path: &'a str,
    /// The file line the body starts on.
    pub first_line: usize,
    /// The site's base path ("" or "/communities"), put in front of links written as `/about/`.
    pub base_path: &'a str,
    /// `None` when `site.yaml` trusts raw HTML as written.
    pub sanitizer: Option<&'a Sanitizer>,
    /// Makes the page's pictures small and responsive; `None` shows them as written.
    pub pictures: Option<images::InText<'a>>,
}

/// The Markdown extensions pages are written with.
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
}

/// Renders a page body. `resolve` maps a content path (`case-studies/a.md`, or a file such
/// as `resources/kit/plan.pdf`) to its URL on the site, or `None` when there is no such thing.
pub fn render(
    body: &str,
    ctx: &Context,
    resolve: &dyn Fn(&str) -> Option<String>,
) -> (Rendered, Vec<Diagnostic>) {
    render_as(body, ctx, None, resolve)
}

/// Renders a body shown as one part of a longer page (a report section in the whole report),
/// `part` being that part's id: headings go one level down, and ids and in-page links take the
/// prefix, so that the parts' headings stay in order and their ids stay unique. Its problems
/// are those that `render` reports for the same body.
pub fn render_part(
    body: &str,
    ctx: &Context,
    part: &str,
    resolve: &dyn Fn(&str) -> Option<String>,
) -> Rendered {
    render_as(body, ctx, Some(part), resolve).0
}

fn render_as(
    body: &str,
    ctx: &Context,
    part: Option<&str>,
    resolve: &dyn Fn(&str) -> Option<String>,
) -> (Rendered, Vec<Diagnostic>) {
    if let Some(problem) = too_many_table_bars(body, &mut Locator::new(body, ctx)) {
        return (Rendered::default(), vec![problem]);
    }
    let (body, left_open) = without_unclosed_raw_blocks(body);
    let mut renderer = Renderer::new(&body, ctx, part, resolve);
    for (offset, name) in left_open {
        if part.is_none() {
            renderer.warn(
                offset,
                ProblemKind::Sanitised,
                format!("this HTML was made safe by removing <{name}> (left open); the text around it was kept"),
                "write it in Markdown, or leave it out: scripts, styles, event handlers and elements browsers do not know never reach a page",
            );
        }
    }
    for (event, range) in Parser::new_ext(&body, options()).into_offset_iter() {
        renderer.event(event, range.start);
        if renderer.refused {
            return renderer.finish_refused();
        }
    }
    renderer.finish()
}

/// Elements that start an HTML block running to their end tag, or to the end of the page.
const RAW_BLOCKS: [&str; 4] = ["script", "pre", "style", "textarea"];
/// How many such blocks left open are taken out of one page; any more stay as one block.
const MAX_UNCLOSED_BLOCKS: usize = 10;

/// The body without the opening tags of HTML blocks that would run to the end of the page
/// for want of their end tag (a line starting `<textarea>`), so that the Markdown after
/// them is still Markdown; with where each was and its name.
fn without_unclosed_raw_blocks(body: &str) -> (Cow<'_, str>, Vec<(usize, &'static str)>) {
    let mut body = Cow::Borrowed(body);
    let mut removed = Vec::new();
    let lower = body.to_ascii_lowercase();
    if !RAW_BLOCKS
        .iter()
        .any(|name| lower.contains(&format!("<{name}")))
    {
        return (body, removed);
    }
    while removed.len() < MAX_UNCLOSED_BLOCKS {
        let Some((start, end, name)) = unclosed_raw_block(&body) else {
            break;
        };
        body.to_mut().replace_range(start..end, "");
        removed.push((start, name));
    }
    (body, removed)
}

/// The first HTML block that opens one of `RAW_BLOCKS` and runs to the end of the body: the
/// range of its opening tag (to the end of its line at most), and the element's name.
fn unclosed_raw_block(body: &str) -> Option<(usize, usize, &'static str)> {
    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        if event != Event::Start(Tag::HtmlBlock) || range.end < body.trim_end().len() {
            continue;
        }
        let block = &body[range.clone()];
        let start = range.start + block.find('<')?;
        let lower = body[start..].to_ascii_lowercase();
        let name = RAW_BLOCKS.into_iter().find(|name| {
            lower[1..].starts_with(name)
                && !lower[1 + name.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
        })?;
        if lower.contains(&format!("</{name}")) {
            return None;
        }
        let line_end = body[start..].find('\n').map_or(body.len(), |n| start + n);
        let end = body[start..line_end]
            .find('>')
            .map_or(line_end, |n| start + n + 1);
        return Some((start, end, name));
    }
    None
}

/// A page with more table cells than `MAX_TABLE_BARS`, refused at the line that passes it.
fn too_many_table_bars(body: &str, locator: &mut Locator) -> Option<Diagnostic> {
    let offset = body.match_indices('|').nth(MAX_TABLE_BARS)?.0;
    let (line, column) = locator.locate(offset);
    Some(
        locator
            .error(
                line,
                column,
                format!("this page has more than {MAX_TABLE_BARS} table cells"),
            )
            .with_hint("split the table over several pages, or attach it as a spreadsheet")
            .with_kind(ProblemKind::OverLimit),
    )
}

/// Byte offsets to file lines and columns, in time that grows with the distance moved.
struct Locator<'a> {
    body: &'a str,
    path: &'a Path,
    first_line: usize,
    offset: usize,
    line: usize,
    column: usize,
}

impl<'a> Locator<'a> {
    fn new(body: &'a str, ctx: &'a Context) -> Self {
        Locator {
            body,
            path: ctx.path,
            first_line: ctx.first_line,
            offset: 0,
            line: 1,
            column: 1,
        }
    }

    fn locate(&mut self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.body.len());
        if offset < self.offset {
            let (line, column) = line_col(self.body, offset);
            (self.offset, self.line, self.column) = (offset, line, column);
        }
        // Counted a whole span at a time, not character by character: every link is located.
        let span = &self.body[self.offset..offset];
        match span.rfind('\n') {
            Some(last) => {
                self.line += span.bytes().filter(|&b| b == b'\n').count();
                self.column = 1 + span[last + 1..].chars().count();
            }
            None => self.column += span.chars().count(),
        }
        self.offset = offset;
        (self.first_line + self.line - 1, self.column)
    }

    fn error(&self, line: usize, column: usize, message: String) -> Diagnostic {
        Diagnostic::error(self.path, line, column, message)
    }

    fn warning(&self, line: usize, column: usize, message: String) -> Diagnostic {
        Diagnostic::warning(self.path, line, column, message)
    }
}

/// A picture being read: what its description says so far.
struct Picture<'a> {
    dest: CowStr<'a>,
    title: CowStr<'a>,
    alt: String,
    offset: usize,
}

/// A footnote: its id, how often it was referred to, and its definition's events.
struct Footnote<'a> {
    id: String,
    number: usize,
    references: usize,
    events: Vec<Event<'a>>,
    defined_at: Option<usize>,
}

/// Ids of a page, each unique: `notes`, then `notes-1`, `notes-2`... Counting on from the
/// last suffix given for a base keeps many equal headings linear.
#[derive(Default)]
struct UniqueIds {
    used: std::collections::HashSet<String>,
    next_suffix: HashMap<String, usize>,
}

impl UniqueIds {
    fn take(&mut self, base: &str) -> String {
        if self.used.insert(base.to_string()) {
            return base.to_string();
        }
        let n = self.next_suffix.entry(base.to_string()).or_insert(1);
        loop {
            let candidate = format!("{base}-{n}");
            *n += 1;
            if self.used.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
}

struct Renderer<'a, 'c> {
    ctx: &'c Context<'c>,
    part: Option<&'c str>,
    resolve: &'c dyn Fn(&str) -> Option<String>,
    locator: Locator<'c>,
    events: Vec<Event<'a>>,
    problems: Vec<Diagnostic>,
    refused: bool,
    text: String,
    toc: Vec<Heading>,
    links: Vec<LinkRef>,
    ids: UniqueIds,
    anchors: Vec<String>,
    /// Text read but not yet written, so that addresses split over text events are found whole.
    pending_text: String,
    /// Raw HTML read but not yet written: one HTML block, or tags written next to each other.
    pending_html: Option<(usize, String)>,
    /// Index in the events of the open heading, with its level as written.
    open_heading: Option<(usize, HeadingLevel)>,
    heading_text: String,
    /// The level of the heading before, the page title being the first.
    last_level: u8,
    /// The fenced code block being read: its language, where it starts, and its text so far.
    open_code: Option<(String, usize, String)>,
    picture: Option<Picture<'a>>,
    /// The links being read, innermost last: where each starts and its text so far.
    open_links: Vec<(usize, String)>,
    footnotes: HashMap<String, Footnote<'a>>,
    footnote_order: Vec<String>,
    /// The footnote whose definition is being read.
    open_footnote: Option<String>,
    alignments: Vec<Alignment>,
    in_table_head: bool,
    table_rows: usize,
    cell: usize,
    /// Whether the author wrote raw HTML anywhere in the body.
    raw_html: bool,
    /// Pieces of raw HTML that sanitising changed.
    html_warnings: usize,
    /// What sanitising removes from each piece of raw HTML met so far.
    removals_of: HashMap<String, Vec<String>>,
    /// Markdown containers open, and elements left open by raw HTML.
    depth: usize,
    raw_depth: usize,
    /// Pictures shown so far, the first being loaded at once.
    pictures_shown: usize,
}

impl<'a, 'c> Renderer<'a, 'c> {
    fn new(
        body: &'c str,
        ctx: &'c Context<'c>,
        part: Option<&'c str>,
        resolve: &'c dyn Fn(&str) -> Option<String>,
    ) -> Self {
        Renderer {
            ctx,
            part,
            resolve,
            locator: Locator::new(body, ctx),
            events: Vec::new(),
            problems: Vec::new(),
            refused: false,
            text: String::new(),
            toc: Vec::new(),
            links: Vec::new(),
            ids: UniqueIds::default(),
            anchors: Vec::new(),
            pending_text: String::new(),
            pending_html: None,
            open_heading: None,
            heading_text: String::new(),
            last_level: 1,
            open_code: None,
            picture: None,
            open_links: Vec::new(),
            footnotes: HashMap::new(),
            footnote_order: Vec::new(),
            open_footnote: None,
            alignments: Vec::new(),
            in_table_head: false,
            table_rows: 0,
            cell: 0,
            raw_html: false,
            html_warnings: 0,
            removals_of: HashMap::new(),
            depth: 0,
            raw_depth: 0,
            pictures_shown: 0,
        }
    }

    /// The events being written to: the open footnote's definition, or the page.
    fn out(&mut self) -> &mut Vec<Event<'a>> {
        match self
            .open_footnote
            .as_ref()
            .and_then(|key| self.footnotes.get_mut(key))
        {
            Some(footnote) => &mut footnote.events,
            None => &mut self.events,
        }
    }

    fn push(&mut self, event: Event<'a>) {
        self.out().push(event);
    }

    fn warn(&mut self, offset: usize, kind: ProblemKind, message: String, hint: &str) {
        let (line, column) = self.locator.locate(offset);
        let warning = self
            .locator
            .warning(line, column, message)
            .with_hint(hint)
            .with_kind(kind);
        self.problems.push(warning);
    }

    fn refuse(&mut self, offset: usize, message: String, hint: &str) {
        let (line, column) = self.locator.locate(offset);
        let error = self
            .locator
            .error(line, column, message)
            .with_hint(hint)
            .with_kind(ProblemKind::OverLimit);
        self.problems.push(error);
        self.refused = true;
    }

    /// An id in the page's namespace, with the part's prefix in a longer page.
    fn take_id(&mut self, base: &str) -> String {
        let id = self.ids.take(base);
        let id = match self.part {
            Some(part) => format!("{part}-{id}"),
            None => id,
        };
        self.anchors.push(id.clone());
        id
    }

    fn event(&mut self, event: Event<'a>, offset: usize) {
        // Code blocks and pictures end in the branches below, which read what is inside them.
        if matches!(event, Event::End(TagEnd::CodeBlock | TagEnd::Image)) {
            self.depth = self.depth.saturating_sub(1);
        }
        if let Some((_, _, code)) = &mut self.open_code {
            match event {
                Event::Text(t) => {
                    code.push_str(&t);
                    self.text.push_str(&t);
                }
                Event::End(TagEnd::CodeBlock) => self.end_code_block(),
                _ => {}
            }
            return;
        }
        if let Some(picture) = &mut self.picture {
            match event {
                Event::Text(t) | Event::Code(t) => picture.alt.push_str(&t),
                Event::SoftBreak | Event::HardBreak => picture.alt.push(' '),
                Event::End(TagEnd::Image) => self.end_picture(),
                _ => {}
            }
            return;
        }
        if !matches!(event, Event::Html(_) | Event::InlineHtml(_)) {
            self.flush_html();
        }
        if let Event::Text(t) = event {
            // An unmatched `[` is a text event of its own.
            if &*t == "[" {
                self.undefined_footnote(offset);
            }
            self.pending_text.push_str(&t);
            return;
        }
        if !matches!(event, Event::End(TagEnd::Heading(_))) {
            self.flush_text();
        }
        match &event {
            Event::Start(_) => {
                self.depth += 1;
                if self.depth + self.raw_depth > MAX_NESTING {
                    self.refuse_nesting(offset);
                    return;
                }
            }
            Event::End(TagEnd::CodeBlock | TagEnd::Image) => {}
            Event::End(_) => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        match event {
            Event::Html(html) | Event::InlineHtml(html) => {
                let (_, piece) = self
                    .pending_html
                    .get_or_insert_with(|| (offset, String::new()));
                piece.push_str(&html);
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(ref language))) => {
                self.open_code = Some((language.to_string(), offset, String::new()));
                self.push(event);
            }
            Event::Start(Tag::Image {
                dest_url, title, ..
            }) => {
                self.picture = Some(Picture {
                    dest: dest_url,
                    title,
                    alt: String::new(),
                    offset,
                });
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => self.start_link(link_type, dest_url, title, id, offset),
            Event::End(TagEnd::Link) => {
                self.end_link();
                self.push(event);
            }
            Event::Start(Tag::Heading { level, .. }) => self.start_heading(level, offset),
            Event::End(TagEnd::Heading(_)) => self.end_heading(),
            Event::Start(Tag::Table(alignments)) => {
                self.alignments = alignments.clone();
                self.push(Event::Start(Tag::Table(alignments)));
            }
            Event::Start(Tag::TableHead) => {
                self.in_table_head = true;
                self.cell = 0;
                self.push(event);
            }
            // The body is opened by its first row, so that a table without rows has none.
            Event::End(TagEnd::TableHead) => {
                self.in_table_head = false;
                self.table_rows = 0;
                self.push(Event::Html("</tr></thead>".into()));
            }
            Event::Start(Tag::TableRow) => {
                self.cell = 0;
                if self.table_rows == 0 {
                    self.push(Event::Html("<tbody>\n".into()));
                }
                self.table_rows += 1;
                self.push(event);
            }
            Event::End(TagEnd::Table) => {
                let end = if self.table_rows > 0 {
                    "</tbody></table>\n"
                } else {
                    "</table>\n"
                };
                self.push(Event::Html(end.into()));
            }
            // Alignment is a class the theme styles: inline styles are not allowed by the
            // site's Content-Security-Policy.
            Event::Start(Tag::TableCell) => {
                let element = if self.in_table_head { "th" } else { "td" };
                let html = match self.alignments.get(self.cell) {
                    Some(Alignment::Left) => format!("<{element} class=\"align-left\">"),
                    Some(Alignment::Center) => format!("<{element} class=\"align-center\">"),
                    Some(Alignment::Right) => format!("<{element} class=\"align-right\">"),
                    _ => format!("<{element}>"),
                };
                self.push(Event::Html(html.into()));
            }
            Event::End(TagEnd::TableCell) => {
                let element = if self.in_table_head { "th" } else { "td" };
                self.push(Event::Html(format!("</{element}>").into()));
                self.cell += 1;
                push_separator(&mut self.text);
            }
            Event::FootnoteReference(label) => self.footnote_reference(&label),
            Event::Start(Tag::FootnoteDefinition(label)) => {
                let key = label.to_lowercase();
                let footnote = self.footnotes.entry(key.clone()).or_insert(Footnote {
                    id: String::new(),
                    number: 0,
                    references: 0,
                    events: Vec::new(),
                    defined_at: None,
                });
                footnote.defined_at = Some(offset);
                footnote.events.clear();
                self.open_footnote = Some(key);
            }
            Event::End(TagEnd::FootnoteDefinition) => {
                self.open_footnote = None;
                push_separator(&mut self.text);
            }
            Event::Code(ref t) => {
                self.add_text(t);
                self.push(event);
            }
            Event::SoftBreak | Event::HardBreak => {
                push_separator(&mut self.text);
                self.push(event);
            }
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::CodeBlock) => {
                push_separator(&mut self.text);
                self.push(event);
            }
            other => self.push(other),
        }
    }

    fn refuse_nesting(&mut self, offset: usize) {
        self.refuse(
            offset,
            format!("this is nested more than {MAX_NESTING} levels deep"),
            "use fewer quotes, lists or HTML elements inside one another, and close each HTML element you open",
        );
    }

    fn add_text(&mut self, t: &str) {
        if self.open_heading.is_some() {
            self.heading_text.push_str(t);
        }
        if let Some((_, text)) = self.open_links.last_mut() {
            text.push_str(t);
        }
        self.text.push_str(t);
    }

    /// Writes the text read so far, addresses in it made links (as GitHub does), except
    /// inside a link already.
    fn flush_text(&mut self) {
        if self.pending_text.is_empty() {
            return;
        }
        let text = std::mem::take(&mut self.pending_text);
        self.add_text(&text);
        if !self.open_links.is_empty() {
            self.push(Event::Text(text.into()));
            return;
        }
        let mut written = 0;
        for link in autolink::find(&text) {
            // An address of a scheme the sanitiser would remove (`xmpp:`) stays text.
            if self.ctx.sanitizer.is_some() && !sanitize::url_allowed(&link.href) {
                continue;
            }
            if link.start > written {
                self.push(Event::Text(text[written..link.start].to_string().into()));
            }
            self.push(Event::Start(Tag::Link {
                link_type: LinkType::Autolink,
                dest_url: link.href.into(),
                title: CowStr::Borrowed(""),
                id: CowStr::Borrowed(""),
            }));
            self.push(Event::Text(text[link.start..link.end].to_string().into()));
            self.push(Event::End(TagEnd::Link));
            written = link.end;
        }
        if written == 0 {
            self.push(Event::Text(text.into()));
        } else if written < text.len() {
            self.push(Event::Text(text[written..].to_string().into()));
        }
    }

    /// Writes the raw HTML read so far as one piece, sanitised on its own so that an open
    /// tag in it cannot take the Markdown after it.
    fn flush_html(&mut self) {
        let Some((offset, piece)) = self.pending_html.take() else {
            return;
        };
        self.raw_html = true;
        let Some(sanitizer) = self.ctx.sanitizer else {
            self.push(Event::Html(piece.into()));
            return;
        };
        let contained = sanitize::contain(&piece);
        if self.depth + self.raw_depth + contained.deepest > MAX_NESTING {
            self.refuse_nesting(offset);
            return;
        }
        self.raw_depth = (self.raw_depth + contained.opened).saturating_sub(contained.closed);
        if self.depth + self.raw_depth > MAX_NESTING {
            self.refuse_nesting(offset);
            return;
        }
        let mut removed = contained.left_open;
        if contained.has_start_tags {
            // Pages repeat the same tags (`<br>`, `<span class="...">`): each is checked once.
            let removals = self
                .removals_of
                .entry(contained.html.clone())
                .or_insert_with(|| sanitizer.removals(&contained.html));
            for removal in removals.iter() {
                if !removed.contains(removal) {
                    removed.push(removal.clone());
                }
            }
        }
        if !removed.is_empty() {
            self.html_warnings += 1;
        }
        if !removed.is_empty() && self.html_warnings <= MAX_HTML_WARNINGS {
            let hint = if removed.iter().any(|r| r.contains("<iframe>")) {
                "to embed pages from a host, add the host to html.iframe_hosts in site.yaml"
            } else {
                "write it in Markdown, or leave it out: scripts, styles, event handlers and elements browsers do not know never reach a page"
            };
            self.warn(
                offset,
                ProblemKind::Sanitised,
                format!(
                    "this HTML was made safe by removing {}; the text around it was kept",
                    removed.join(", ")
                ),
                hint,
            );
        }
        self.push(Event::Html(contained.html.into()));
    }

    fn start_link(
        &mut self,
        link_type: LinkType,
        dest: CowStr<'a>,
        title: CowStr<'a>,
        id: CowStr<'a>,
        offset: usize,
    ) {
        self.open_links.push((offset, String::new()));
        // `<name@example.org>`: pulldown-cmark writes the `mailto:` itself, so the address is
        // neither a file to check nor a path to resolve.
        if link_type == LinkType::Email {
            self.push(Event::Start(Tag::Link {
                link_type,
                dest_url: dest,
                title,
                id,
            }));
            return;
        }
        self.record_link(&dest, offset, false);
        if self.ctx.sanitizer.is_some() && !sanitize::url_allowed(&dest) {
            self.unsafe_url(offset, &dest);
            self.push(Event::Html("<a>".into()));
            return;
        }
        let dest_url = match (self.part, dest.strip_prefix('#')) {
            (Some(part), Some(anchor)) => CowStr::from(format!("#{part}-{anchor}")),
            _ => self.url_of(&dest).map_or(dest, CowStr::from),
        };
        self.push(Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }));
    }

    fn end_link(&mut self) {
        let Some((offset, text)) = self.open_links.pop() else {
            return;
        };
        let said = text
            .trim()
            .trim_matches(|c: char| c.is_ascii_punctuation())
            .to_lowercase();
        if self.part.is_none() && VAGUE_LINK_TEXTS.contains(&said.as_str()) {
            self.warn(
                offset,
                ProblemKind::ContentQuality,
                format!("the link text {:?} says nothing when heard on its own", text.trim()),
                "screen readers list a page's links by their text: say where the link goes, e.g. [the grants guide](@/grants.md)",
            );
        }
    }

    fn record_link(&mut self, dest: &str, offset: usize, picture: bool) {
        if self.part.is_some() {
            return;
        }
        let (line, column) = self.locator.locate(offset);
        self.links.push(LinkRef {
            dest: dest.to_string(),
            line,
            column,
            picture,
        });
    }

    /// The URL to write for a link or picture that leads into the site, or `None` to write
    /// it as it is (the link check reports it when it leads nowhere).
    fn url_of(&self, dest: &str) -> Option<String> {
        let (path, anchor) = split_anchor(dest);
        if path.starts_with('/') && !path.starts_with("//") {
            let base = self.ctx.base_path;
            let already = !base.is_empty()
                && path
                    .strip_prefix(base)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
            return (!already).then(|| format!("{base}{dest}"));
        }
        let target = content_target(path, self.ctx.content_path)?.ok()?;
        let url = (self.resolve)(&target)?;
        Some(match anchor {
            Some(anchor) => format!("{url}#{anchor}"),
            None => url,
        })
    }

    fn unsafe_url(&mut self, offset: usize, url: &str) {
        self.warn(
            offset,
            ProblemKind::Sanitised,
            format!(
                "the address {url:?} was removed: only valid web, mail and phone addresses are kept"
            ),
            "link to an https:// address or to a page with @/path/to/page.md",
        );
    }

    fn end_picture(&mut self) {
        let Some(picture) = self.picture.take() else {
            return;
        };
        self.record_link(&picture.dest, picture.offset, true);
        let decorative = picture.alt.trim().eq_ignore_ascii_case(DECORATIVE);
        if picture.alt.trim().is_empty() && self.part.is_none() {
            self.warn(
                picture.offset,
                ProblemKind::ContentQuality,
                "this picture has no description for people who cannot see it".to_string(),
                "describe it between the brackets: ![Volunteers outside the village hall](hall.jpg); if it is only decoration, write ![decorative](...)",
            );
        }
        let safe = self.ctx.sanitizer.is_none() || sanitize::url_allowed(&picture.dest);
        let processed = safe
            .then(|| self.processed_picture(&picture, decorative))
            .flatten();
        if let Some(html) = processed {
            self.push(Event::Html(html.into()));
            return;
        }
        let mut html = String::from("<img loading=\"lazy\"");
        if safe {
            let src = self
                .url_of(&picture.dest)
                .unwrap_or_else(|| picture.dest.to_string());
            html.push_str(" src=\"");
            escape_href(&mut html, &src).ok();
            html.push('"');
        } else {
            self.unsafe_url(picture.offset, &picture.dest);
        }
        html.push_str(" alt=\"");
        if !decorative {
            sanitize::escape_attribute(&mut html, &picture.alt);
        }
        html.push('"');
        if !picture.title.is_empty() {
            html.push_str(" title=\"");
            sanitize::escape_attribute(&mut html, &picture.title);
            html.push('"');
        }
        html.push('>');
        self.push(Event::Html(html.into()));
    }

    /// The picture made small and responsive, when it is a picture file of the site; what is
    /// wrong with the file is reported where the text names it.
    fn processed_picture(&mut self, picture: &Picture, decorative: bool) -> Option<String> {
        let in_text = self.ctx.pictures?;
        let source = linked_file(
            &picture.dest,
            self.ctx.content_path,
            self.ctx.base_path,
            in_text.content_file,
        )?;
        let made = in_text.pictures.get(&source)?;
        let problem = match &made {
            Ok(made) => made.too_small.clone(),
            Err(problem) => Some(problem.clone()),
        };
        if let Some(problem) = problem.filter(|_| self.part.is_none()) {
            let (line, column) = self.locator.locate(picture.offset);
            self.problems.push(problem.at(self.ctx.path, line, column));
        }
        let made = made.ok()?;
        let first = in_text.lead && self.pictures_shown == 0;
        self.pictures_shown += 1;
        Some(made.html(&images::Shown {
            alt: if decorative { "" } else { &picture.alt },
            title: Some(&picture.title),
            sizes: images::SIZES_TEXT,
            first,
            base_path: self.ctx.base_path,
        }))
    }

    fn start_heading(&mut self, level: HeadingLevel, offset: usize) {
        let written = heading_level(level);
        if self.part.is_none() {
            if written == 1 {
                self.warn(
                    offset,
                    ProblemKind::ContentQuality,
                    "a second main heading: the page's title is already shown as its main heading (#)".to_string(),
                    "start the headings in the text at ## (and use ### inside them)",
                );
            } else if written > self.last_level + 1 {
                self.warn(
                    offset,
                    ProblemKind::ContentQuality,
                    format!(
                        "this heading skips a level: from {} to {}",
                        "#".repeat(self.last_level.into()),
                        "#".repeat(written.into())
                    ),
                    &format!(
                        "use {} here, so that screen readers can follow the page's outline",
                        "#".repeat(usize::from(self.last_level) + 1)
                    ),
                );
            }
        }
        self.last_level = written;
        let index = self.out().len();
        self.open_heading = Some((index, level));
        self.heading_text.clear();
        // The real start is written when the heading ends and its id is known.
        self.push(Event::Start(Tag::Heading {
            level,
            id: None,
            classes: Vec::new(),
            attrs: Vec::new(),
        }));
    }

    fn end_heading(&mut self) {
        let (id, classes) = match attribute_block(&self.pending_text) {
            Some((kept, id, classes)) => {
                let kept = self.pending_text[..kept].trim_end().len();
                self.pending_text.truncate(kept);
                (id, classes)
            }
            None => (None, Vec::new()),
        };
        self.flush_text();
        let Some((start, level)) = self.open_heading.take() else {
            return;
        };
        let base = id.unwrap_or_else(|| heading_id(&self.heading_text));
        let id = self.take_id(&base);
        let level = nested_level(level, self.part);
        if let Some(slot) = self.out().get_mut(start) {
            *slot = Event::Start(Tag::Heading {
                level,
                id: Some(id.clone().into()),
                classes: classes.into_iter().map(CowStr::from).collect(),
                attrs: Vec::new(),
            });
        }
        self.toc.push(Heading {
            level: heading_level(level),
            id,
            title: self.heading_text.trim().to_string(),
        });
        push_separator(&mut self.text);
        self.push(Event::End(TagEnd::Heading(level)));
    }

    fn end_code_block(&mut self) {
        let Some((language, offset, code)) = self.open_code.take() else {
            return;
        };
        push_separator(&mut self.text);
        let too_long =
            code.len() > MAX_HIGHLIGHTED_BYTES || code.lines().count() > MAX_HIGHLIGHTED_LINES;
        if !language.trim().is_empty() && too_long {
            self.refuse(
                offset,
                format!(
                    "this code block is longer than {MAX_HIGHLIGHTED_LINES} lines or {} KB",
                    MAX_HIGHLIGHTED_BYTES / 1024
                ),
                "attach long listings as a file, or show the part that matters",
            );
            return;
        }
        if let Some(html) = highlight::code_block(&language, &code) {
            // The highlighted block replaces the opening tag already written.
            self.out().pop();
            self.push(Event::Html(html.into()));
            return;
        }
        self.push(Event::Text(code.into()));
        self.push(Event::End(TagEnd::CodeBlock));
    }

    fn footnote_reference(&mut self, label: &str) {
        let key = label.to_lowercase();
        if !self.footnotes.contains_key(&key) {
            self.footnotes.insert(
                key.clone(),
                Footnote {
                    id: String::new(),
                    number: 0,
                    references: 0,
                    events: Vec::new(),
                    defined_at: None,
                },
            );
        }
        if self.footnotes[&key].number == 0 {
            let id = self.take_id(&format!("fn-{}", heading_id(label)));
            self.footnote_order.push(key.clone());
            let number = self.footnote_order.len();
            if let Some(footnote) = self.footnotes.get_mut(&key) {
                footnote.id = id;
                footnote.number = number;
            }
        }
        let Some(footnote) = self.footnotes.get_mut(&key) else {
            return;
        };
        footnote.references += 1;
        let reference_id = reference_id(&footnote.id, footnote.references);
        let html = format!(
            "<sup class=\"footnote-ref\"><a href=\"#{}\" id=\"{reference_id}\">{}</a></sup>",
            footnote.id, footnote.number
        );
        self.anchors.push(reference_id);
        self.push(Event::Html(html.into()));
    }

    /// A `[^label]` the parser left as text, as no footnote of that label is defined.
    fn undefined_footnote(&mut self, offset: usize) {
        let label = self.locator.body[offset..]
            .strip_prefix("[^")
            .and_then(|rest| rest.split_once(']'))
            .map(|(label, _)| label)
            .filter(|label| !label.is_empty() && !label.contains(char::is_whitespace));
        let Some(label) = label.filter(|_| self.part.is_none()) else {
            return;
        };
        let hint = format!(
            "write the note below the paragraph, on a line of its own: [^{label}]: The note's text"
        );
        self.warn(
            offset,
            ProblemKind::ContentQuality,
            format!(
                "the footnote [^{label}] has no note, so the page shows \"[^{label}]\" as it is"
            ),
            &hint,
        );
    }

    /// The footnotes, in the order first referred to, each with links back to its references.
    fn footnote_section(&mut self) {
        let mut unused: Vec<usize> = self
            .footnotes
            .values()
            .filter(|f| f.number == 0 && self.part.is_none())
            .filter_map(|f| f.defined_at)
            .collect();
        unused.sort_unstable();
        for offset in unused {
            self.warn(
                offset,
                ProblemKind::ContentQuality,
                "this footnote is never referred to, so it is not shown".to_string(),
                "refer to it in the text with [^label], or remove it",
            );
        }
        if self.footnote_order.is_empty() {
            return;
        }
        // Screen reader users find the notes by this heading; others see the numbered list.
        let level = if self.part.is_some() { 3 } else { 2 };
        self.events.push(Event::Html(
            format!("<section class=\"footnotes\">\n<h{level} class=\"visually-hidden\">Footnotes</h{level}>\n<ol>\n").into(),
        ));
        for key in std::mem::take(&mut self.footnote_order) {
            let Some(mut footnote) = self.footnotes.remove(&key) else {
                continue;
            };
            self.events
                .push(Event::Html(format!("<li id=\"{}\">\n", footnote.id).into()));
            let mut back = String::new();
            for n in 1..=footnote.references {
                let label = if n == 1 {
                    format!("{}", footnote.number)
                } else {
                    format!("{}-{n}", footnote.number)
                };
                back.push_str(&format!(
                    " <a href=\"#{}\" class=\"footnote-backref\" aria-label=\"Back to reference {label}\">↩</a>",
                    reference_id(&footnote.id, n)
                ));
            }
            // The links back go at the end of the last paragraph, as GitHub puts them.
            let ends_in_paragraph =
                matches!(footnote.events.last(), Some(Event::End(TagEnd::Paragraph)));
            if ends_in_paragraph {
                footnote.events.pop();
            }
            self.events.append(&mut footnote.events);
            self.events.push(Event::Html(back.into()));
            if ends_in_paragraph {
                self.events.push(Event::End(TagEnd::Paragraph));
            }
            self.events.push(Event::Html("</li>\n".into()));
        }
        self.events.push(Event::Html("</ol>\n</section>\n".into()));
    }

    fn finish(mut self) -> (Rendered, Vec<Diagnostic>) {
        self.flush_html();
        self.flush_text();
        if self.html_warnings > MAX_HTML_WARNINGS {
            let more = self.html_warnings - MAX_HTML_WARNINGS;
            self.problems.push(
                Diagnostic::warning(
                    self.ctx.path,
                    self.ctx.first_line,
                    1,
                    format!(
                        "{more} more pieces of HTML in this page were made safe in the same way"
                    ),
                )
                .with_hint("see the warnings above: write it in Markdown, or leave it out")
                .with_kind(ProblemKind::Sanitised),
            );
        }
        self.footnote_section();
        let mut html = String::new();
        pulldown_cmark::html::push_html(
            &mut html,
            as_html_serialises(std::mem::take(&mut self.events)),
        );
        // Without raw HTML the body is only what the renderer writes, safe and balanced
        // already, and in the bytes sanitising would give: sanitising costs a fifth of a
        // build's rendering, so only bodies with raw HTML pay for it.
        if let Some(sanitizer) = self.ctx.sanitizer.filter(|_| self.raw_html) {
            // Each raw piece was contained already; this balances their tags across the page.
            html = sanitizer.clean(&html);
        }
        (
            Rendered {
                highlighted_code: html.contains("<pre class=\"hl-code\">"),
                html: html.into(),
                toc: self.toc,
                text: self.text.trim_end().to_string().into(),
                links: self.links,
                anchors: self.anchors,
            },
            self.problems,
        )
    }

    /// A page refused for its size or depth: nothing of it is published.
    fn finish_refused(self) -> (Rendered, Vec<Diagnostic>) {
        (Rendered::default(), self.problems)
    }
}

/// `fnref-x` for the first reference to footnote `fn-x`, `fnref-x-2` for the second...
fn reference_id(footnote_id: &str, n: usize) -> String {
    let base = footnote_id.replacen("fn-", "fnref-", 1);
    if n == 1 { base } else { format!("{base}-{n}") }
}

/// A trailing `{#id .class}` of a heading: the length of the text before it, the id and
/// the classes. Braces holding anything else are the heading's text.
fn attribute_block(text: &str) -> Option<(usize, Option<String>, Vec<String>)> {
    let trimmed = text.trim_end();
    let inner_end = trimmed.strip_suffix('}')?.len();
    let open = trimmed[..inner_end].rfind('{')?;
    let mut id = None;
    let mut classes = Vec::new();
    let mut any = false;
    for word in trimmed[open + 1..inner_end].split_whitespace() {
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        };
        if let Some(name) = word.strip_prefix('#').filter(|s| valid(s)) {
            id = Some(name.to_string());
        } else if let Some(name) = word.strip_prefix('.').filter(|s| valid(s)) {
            classes.push(name.to_string());
        } else {
            return None;
        }
        any = true;
    }
    any.then_some((open, id, classes))
}

fn push_separator(text: &mut String) {
    if !text.is_empty() && !text.ends_with(' ') {
        text.push(' ');
    }
}

/// A heading's level, one down inside a part of a longer page.
fn nested_level(level: HeadingLevel, part: Option<&str>) -> HeadingLevel {
    if part.is_none() {
        return level;
    }
    match level {
        HeadingLevel::H1 => HeadingLevel::H2,
        HeadingLevel::H2 => HeadingLevel::H3,
        HeadingLevel::H3 => HeadingLevel::H4,
        HeadingLevel::H4 => HeadingLevel::H5,
        HeadingLevel::H5 | HeadingLevel::H6 => HeadingLevel::H6,
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// An id made from a heading's text: "What changed?" -> `what-changed`.
pub fn heading_id(text: &str) -> String {
    let id = slug::slugify(text);
    if id.is_empty() {
        "section".to_string()
    } else {
        id
    }
}

/// `page.md#part` -> (`page.md`, `Some("part")`).
pub fn split_anchor(dest: &str) -> (&str, Option<&str>) {
    match dest.split_once('#') {
        Some((path, anchor)) => (path, Some(anchor)),
        None => (dest, None),
    }
}

/// The content path a link leads to when it is written as a file: `@/a/b.md` from
/// `content/`, or a path relative to the page's own file (`b.md`, `../pics/hall.jpg`).
/// `None` for addresses (`https://...`, `/about/`, `#part`); `Err` when the path climbs out
/// of `content/`.
pub fn content_target(path: &str, from: &str) -> Option<Result<String, ()>> {
    let path = path.split_once('?').map_or(path, |(path, _)| path);
    let decoded = percent_decode_str(path).decode_utf8_lossy();
    if let Some(rest) = decoded.strip_prefix("@/") {
        return Some(normalise(rest).ok_or(()));
    }
    // Any parse but "relative" is an address, an invalid one (`https://hall:99999/`) too: the
    // renderer removes that one and says why, rather than it being looked for as a file.
    // Without a colon there is no scheme, so nothing to parse.
    let is_address = decoded.is_empty()
        || decoded.starts_with('/')
        || decoded.starts_with('\\')
        || (decoded.contains(':')
            && url::Url::parse(&decoded).err() != Some(url::ParseError::RelativeUrlWithoutBase));
    if is_address {
        return None;
    }
    let dir = from.rsplit_once('/').map_or("", |(dir, _)| dir);
    Some(normalise(&format!("{dir}/{decoded}")).ok_or(()))
}

/// The file a link or picture's address names, relative to the site root: a file of
/// `content/`, by its path or by the site path `content_file` knows it at
/// (`/case-studies/hall/photo.jpg`), or else of `static/` for a site path such as
/// `/images/logo.png`.
pub fn linked_file(
    dest: &str,
    from: &str,
    base_path: &str,
    content_file: &dyn Fn(&str) -> Option<PathBuf>,
) -> Option<PathBuf> {
    let (path, _) = split_anchor(dest);
    match content_target(path, from) {
        Some(Ok(target)) => Some(Path::new("content").join(target)),
        Some(Err(())) => None,
        None => {
            let site_path = path.strip_prefix(base_path).unwrap_or(path);
            let rest = site_path
                .strip_prefix('/')
                .filter(|r| !r.starts_with('/'))?;
            let decoded = percent_decode_str(rest).decode_utf8_lossy();
            let path = normalise(&decoded)?;
            Some(
                content_file(&format!("/{path}")).unwrap_or_else(|| Path::new("static").join(path)),
            )
        }
    }
}

/// pulldown-cmark writes empty elements as XHTML does (`<br />`), and no-break spaces and NUL
/// characters as they are; here they are written as the sanitiser's HTML serialiser writes
/// them (`<br>`, `&nbsp;`, and NUL, which HTML parsers ignore, left out).
fn as_html_serialises(events: Vec<Event<'_>>) -> impl Iterator<Item = Event<'_>> {
    let mut in_new_item = false;
    events.into_iter().map(move |event| {
        let written = match event {
            Event::HardBreak => Event::Html("<br>\n".into()),
            // pulldown-cmark starts a rule on a line of its own, as `<li>` is not followed by one.
            Event::Rule if in_new_item => Event::Html("\n<hr>\n".into()),
            Event::Rule => Event::Html("<hr>\n".into()),
            Event::TaskListMarker(true) => {
                Event::Html("<input disabled=\"\" type=\"checkbox\" checked=\"\">\n".into())
            }
            Event::TaskListMarker(false) => {
                Event::Html("<input disabled=\"\" type=\"checkbox\">\n".into())
            }
            Event::Text(text) if text.contains(REWRITTEN) => Event::Html(as_text(&text).into()),
            Event::Code(code) if code.contains(REWRITTEN) => {
                Event::Html(format!("<code>{}</code>", as_text(&code)).into())
            }
            event => event,
        };
        in_new_item = matches!(written, Event::Start(Tag::Item));
        written
    })
}

/// Characters of text that the sanitiser's serialiser writes otherwise than pulldown-cmark.
const REWRITTEN: [char; 2] = ['\u{a0}', '\0'];

/// Text escaped for HTML as the sanitiser's serialiser escapes it.
fn as_text(text: &str) -> String {
    let mut html = String::with_capacity(text.len() + 16);
    let mut written = 0;
    for (at, found) in text.match_indices(REWRITTEN) {
        escape_html_body_text(&mut html, &text[written..at]).ok();
        if found == "\u{a0}" {
            html.push_str("&nbsp;");
        }
        written = at + found.len();
    }
    escape_html_body_text(&mut html, &text[written..]).ok();
    html
}

/// Folds `.` and `..` out of a content path; `None` when it would climb out of `content/`.
fn normalise(path: &str) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::CurDir | Component::RootDir => {}
            Component::Prefix(_) => return None,
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(out: &Rendered) -> String {
        out.html.read().unwrap().into_owned()
    }

    fn text(out: &Rendered) -> String {
        out.text.read().unwrap().into_owned()
    }

    fn ctx() -> Context<'static> {
        Context {
            path: Path::new("content/annual-report/2020-21/grants.md"),
            content_path: "annual-report/2020-21/grants.md",
            first_line: 5,
            base_path: "",
            sanitizer: None,
            pictures: None,
        }
    }

    fn sanitising(sanitizer: &Sanitizer) -> Context<'_> {
        Context {
            sanitizer: Some(sanitizer),
            ..ctx()
        }
    }

    fn resolver(path: &str) -> Option<String> {
        (path == "case-studies/b.md").then(|| "/case-studies/b/".to_string())
    }

    #[test]
    fn the_locator_gives_each_offset_the_line_and_column_of_the_file_forwards_or_back() {
        let body = "ab\ncdé\n\nf [x](y) é\nlast";
        let context = ctx();
        let mut locator = Locator::new(body, &context);
        let offsets: Vec<usize> = body.char_indices().map(|(at, _)| at).collect();
        let back_and_forth = offsets.iter().chain(offsets.iter().rev()).step_by(3);
        for &offset in offsets.iter().chain(back_and_forth) {
            let (line, column) = line_col(body, offset);
            assert_eq!(
                locator.locate(offset),
                (context.first_line + line - 1, column),
                "at {offset}"
            );
        }
    }

    #[test]
    fn a_part_of_a_longer_page_prefixes_heading_and_footnote_ids_and_in_page_links() {
        let out = render_part(
            "## Overview\n\nSee [next](#next) and [b](@/case-studies/b.md#x).[^1]\n\n### Next {#next}\n\n[^1]: A note.\n",
            &ctx(),
            "grants",
            &resolver,
        );
        assert!(html(&out).contains("<h3 id=\"grants-overview\">Overview</h3>"));
        assert!(html(&out).contains("<h4 id=\"grants-next\">Next</h4>"));
        assert!(html(&out).contains("href=\"#grants-next\""));
        assert!(html(&out).contains("href=\"/case-studies/b/#x\""));
        assert!(html(&out).contains("<a href=\"#grants-fn-1\" id=\"grants-fnref-1\">1</a>"));
        assert!(html(&out).contains("<li id=\"grants-fn-1\">"));
        assert!(html(&out).contains("href=\"#grants-fnref-1\""));
        assert_eq!(
            out.anchors,
            [
                "grants-overview",
                "grants-fn-1",
                "grants-fnref-1",
                "grants-next"
            ]
        );
        assert_eq!(out.toc[0].level, 3);
    }

    #[test]
    fn a_footnote_id_does_not_take_a_heading_id() {
        let (out, _) = render(
            "## Notes\n\nA[^notes].\n\n[^notes]: N.\n",
            &ctx(),
            &resolver,
        );
        assert_eq!(out.anchors, ["notes", "fn-notes", "fnref-notes"]);
    }

    #[test]
    fn a_footnote_reference_with_no_note_is_a_warning_at_its_column_and_others_are_not() {
        let (_, problems) = render(
            "Spent [^grant] and [^fund].\n\n[^fund]: N.\n\n`[^code]` and \\[^escaped] and [^ spaced]\n\n    [^block]\n",
            &ctx(),
            &resolver,
        );
        let places: Vec<_> = problems
            .iter()
            .map(|p| (p.line(), p.column(), p.message.clone()))
            .collect();
        assert_eq!(
            places,
            [(
                Some(5),
                Some(7),
                "the footnote [^grant] has no note, so the page shows \"[^grant]\" as it is"
                    .to_string()
            )]
        );
    }

    #[test]
    fn equal_ids_are_numbered_and_a_taken_suffix_is_skipped() {
        let mut ids = UniqueIds::default();
        let taken: Vec<String> = ["a", "a-1", "a", "a", "b"]
            .iter()
            .map(|b| ids.take(b))
            .collect();
        assert_eq!(taken, ["a", "a-1", "a-2", "a-3", "b"]);
    }

    #[test]
    fn only_ids_and_classes_are_heading_attributes() {
        assert_eq!(
            attribute_block("Spend {#spend .wide}"),
            Some((6, Some("spend".to_string()), vec!["wide".to_string()]))
        );
        assert_eq!(attribute_block("Budget {2021}"), None);
        assert_eq!(attribute_block("Empty {}"), None);
        assert_eq!(attribute_block("Key {data=x}"), None);
    }

    #[test]
    fn file_links_resolve_from_any_folder_including_content_itself() {
        assert_eq!(
            content_target("about.md", "index.md"),
            Some(Ok("about.md".into()))
        );
        assert_eq!(
            content_target("../b.md", "case-studies/a.md"),
            Some(Ok("b.md".into()))
        );
        assert_eq!(
            content_target("@/case-studies/a.md", "x/y.md"),
            Some(Ok("case-studies/a.md".into()))
        );
        assert_eq!(
            content_target("my%20plan.pdf", "kit/index.md"),
            Some(Ok("kit/my plan.pdf".into()))
        );
        assert_eq!(content_target("../../secret.md", "a/b.md"), Some(Err(())));
        assert_eq!(content_target("/about/", "a.md"), None);
        assert_eq!(content_target("https://example.org/a.md", "a.md"), None);
        assert_eq!(content_target("mailto:a@example.org", "a.md"), None);
    }

    #[test]
    fn plain_text_keeps_words_apart_and_leaves_attributes_out() {
        let (out, _) = render(
            "## Title {#t}\n\nOne *two*\nthree\n\n- four\n- five\n",
            &ctx(),
            &resolver,
        );
        assert_eq!(text(&out), "Title One two three four five");
        assert!(!out.highlighted_code);
    }

    #[test]
    fn fenced_code_is_highlighted_with_classes_and_unknown_languages_stay_plain() {
        let (out, _) = render(
            "```rust\nlet a = 1;\n```\n\n```nope\n<b>x</b>\n```\n",
            &ctx(),
            &resolver,
        );
        assert!(html(&out).contains("<pre class=\"hl-code\"><code class=\"language-rust\">"));
        assert!(
            html(&out).contains("<code class=\"language-nope\">&lt;b&gt;x&lt;/b&gt;\n</code>"),
            "{}",
            html(&out)
        );
        let plain = text(&out);
        let words: Vec<&str> = plain.split_whitespace().collect();
        assert!(out.highlighted_code, "it needs the highlighting stylesheet");
        let (unknown, _) = render("```nope\n<b>x</b>\n```\n", &ctx(), &resolver);
        assert!(!unknown.highlighted_code);
        assert_eq!(words, ["let", "a", "=", "1;", "<b>x</b>"]);
    }

    #[test]
    fn a_body_without_raw_html_is_written_in_the_bytes_sanitising_would_give() {
        let sanitizer = Sanitizer::new(&[]);
        let ctx = sanitising(&sanitizer);
        let body = "# The hall's \"story\"\n\nA line  \nbroken, a\u{a0}no-break space, `code\u{a0}too` and\u{0} NUL.\n\n\
                    ---\n\n- ---\n- [ ] to do\n- [x] done\n\n\
                    ![The hall's door, \"red\"](/hall.png \"It's < & >\")\n\n\
                    | a | b |\n|:-|-:|\n| 1 | 2 |\n\nA note.[^n]\n\n[^n]: The note.\n\n\
                    ```json\n{\"it's\": \"<b>\"}\n```\n";
        let (out, _) = render(body, &ctx, &resolver);
        assert!(html(&out).contains("<hr>") && html(&out).contains("<pre class=\"hl-code\">"));
        assert_eq!(sanitizer.clean(&html(&out)), html(&out));
    }

    #[test]
    fn an_address_that_is_not_valid_is_removed_and_warned_about() {
        let sanitizer = Sanitizer::new(&[]);
        let (out, problems) = render(
            "Visit [the hall](https://hall.example:99999/).\n",
            &sanitising(&sanitizer),
            &resolver,
        );
        assert_eq!(html(&out), "<p>Visit <a>the hall</a>.</p>\n");
        assert_eq!(sanitizer.clean(&html(&out)), html(&out));
        assert!(
            problems[0].message.contains("only valid web"),
            "{problems:?}"
        );
    }

    #[test]
    fn an_address_that_is_not_valid_is_not_taken_for_a_content_file() {
        let from = "case-studies/a.md";
        assert_eq!(content_target("https://hall.example:99999/", from), None);
        assert_eq!(content_target("https://hall.example/", from), None);
        assert_eq!(
            content_target("hall.md", from),
            Some(Ok("case-studies/hall.md".to_string()))
        );
    }

    #[test]
    fn raw_html_is_sanitised_across_the_whole_body() {
        let sanitizer = Sanitizer::new(&[]);
        let ctx = sanitising(&sanitizer);
        let (out, _) = render("<div>\n\n*Open*\n\n---\n", &ctx, &resolver);
        assert_eq!(html(&out), "<div>\n<p><em>Open</em></p>\n<hr>\n</div>");
    }

    #[test]
    fn unsafe_addresses_are_removed_and_warned_about_at_their_lines() {
        let sanitizer = Sanitizer::new(&[]);
        let ctx = sanitising(&sanitizer);
        let (out, problems) = render(
            "A [form](javascript:alert(1)) and ![a picture](data:image/png;base64,AAAA).\n",
            &ctx,
            &resolver,
        );
        assert!(!html(&out).contains("javascript"), "{}", html(&out));
        assert!(!html(&out).contains("data:"), "{}", html(&out));
        assert!(html(&out).contains("<a>form</a>"), "{}", html(&out));
        let found: Vec<(usize, usize)> = problems
            .iter()
            .map(|p| (p.line().unwrap_or(0), p.column().unwrap_or(0)))
            .collect();
        assert_eq!(found, [(5, 3), (5, 35)]);
    }

    #[test]
    fn root_relative_links_get_the_base_path_once() {
        let ctx = Context {
            base_path: "/communities",
            ..ctx()
        };
        let (out, _) = render(
            "[a](/about/) [b](/communities/about/) [c](//cdn.example/x)",
            &ctx,
            &resolver,
        );
        assert_eq!(
            html(&out).matches("href=\"/communities/about/\"").count(),
            2
        );
        assert!(html(&out).contains("href=\"//cdn.example/x\""));
    }

    #[test]
    fn an_embed_from_an_allowed_host_stays_in_a_sentence_and_as_a_block() {
        let sanitizer = Sanitizer::new(&["www.youtube-nocookie.com".to_string()]);
        let ctx = sanitising(&sanitizer);
        let embed =
            "<iframe src=\"https://www.youtube-nocookie.com/embed/x\" title=\"Video\"></iframe>";
        for body in [
            format!("Watch {embed} now.\n"),
            format!("{embed}\n\nNext.\n"),
        ] {
            let (out, problems) = render(&body, &ctx, &resolver);
            assert!(problems.is_empty(), "{problems:?}");
            assert!(
                html(&out).contains("<iframe src=\"https://www.youtube-nocookie.com/embed/x\" title=\"Video\"></iframe>"),
                "{}",
                html(&out)
            );
        }
    }
}
