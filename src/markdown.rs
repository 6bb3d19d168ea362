//! Markdown to HTML with pulldown-cmark: heading ids and the table of contents, internal links
//! resolved to page URLs, fenced code highlighted, raw HTML sanitised, and the plain text of
//! the page for summaries and search.

use std::collections::HashSet;
use std::path::{Component, Path};

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Serialize;

use crate::diagnostics::{Diagnostic, ProblemKind, line_col};
use crate::highlight;
use crate::sanitize::{self, Sanitizer};

/// A heading of the page, for its table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub html: String,
    pub toc: Vec<Heading>,
    /// The text without markup, for search and descriptions.
    pub text: String,
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
}

impl Context<'_> {
    fn warning(&self, body: &str, offset: usize, message: String) -> Diagnostic {
        let (line, column) = line_col(body, offset);
        Diagnostic::warning(self.path, self.first_line + line - 1, column, message)
    }
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
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
/// prefix, so that the parts' headings stay in order and their ids stay unique. Its link
/// problems are those that `render` reports for the same body.
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
    let mut problems = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    let mut text = String::new();
    let mut toc = Vec::new();
    let mut used_ids = HashSet::new();
    // Index in `events` of the open heading, with its explicit id if one was written.
    let mut open_heading: Option<(usize, Option<String>)> = None;
    let mut heading_text = String::new();
    // The fenced code block being read: its language and text so far.
    let mut open_code: Option<(String, String)> = None;
    // Raw HTML as written, with the offset it starts at, to say what sanitising removed.
    let mut raw_html: Vec<(usize, String)> = Vec::new();
    let mut in_html_block = false;

    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        if let Some((language, code)) = &mut open_code {
            match event {
                Event::Text(t) => {
                    code.push_str(&t);
                    text.push_str(&t);
                    continue;
                }
                Event::End(TagEnd::CodeBlock) => {
                    if let Some(html) = highlight::code_block(language, code) {
                        // Drop the opening tag already pushed: the highlighted block replaces it.
                        events.pop();
                        events.push(Event::Html(CowStr::from(html)));
                        open_code = None;
                        push_separator(&mut text);
                        continue;
                    }
                    let (_, code) = open_code.take().unwrap_or_default();
                    events.push(Event::Text(CowStr::from(code)));
                }
                _ => {}
            }
        }
        let event = match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(ref language))) => {
                open_code = Some((language.to_string(), String::new()));
                event
            }
            Event::Start(Tag::HtmlBlock) => {
                in_html_block = true;
                raw_html.push((range.start, String::new()));
                event
            }
            Event::End(TagEnd::HtmlBlock) => {
                in_html_block = false;
                event
            }
            Event::Html(ref html) if in_html_block => {
                if let Some((_, block)) = raw_html.last_mut() {
                    block.push_str(html);
                }
                event
            }
            Event::Html(ref html) | Event::InlineHtml(ref html) => {
                raw_html.push((range.start, html.to_string()));
                event
            }
            Event::Start(Tag::Image { ref dest_url, .. }) => {
                if ctx.sanitizer.is_some() && !sanitize::url_allowed(dest_url) {
                    problems.push(unsafe_url(ctx, body, range.start, dest_url));
                }
                event
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                if ctx.sanitizer.is_some() && !sanitize::url_allowed(&dest_url) {
                    problems.push(unsafe_url(ctx, body, range.start, &dest_url));
                }
                let dest_url = match (part, dest_url.strip_prefix('#')) {
                    (Some(part), Some(anchor)) => CowStr::from(format!("#{part}-{anchor}")),
                    _ => dest_url,
                };
                let dest_url = match resolve_link(&dest_url, ctx.content_path, resolve) {
                    Ok(Some(url)) => CowStr::from(url),
                    Ok(None) if dest_url.starts_with('/') && !dest_url.starts_with("//") => {
                        CowStr::from(format!("{}{dest_url}", ctx.base_path))
                    }
                    Ok(None) => dest_url,
                    Err((message, kind)) => {
                        let (line, column) = line_col(body, range.start);
                        problems.push(
                            Diagnostic::error(ctx.path, ctx.first_line + line - 1, column, message)
                                .with_kind(kind)
                                .with_hint("link to a page by its file, e.g. [Botcheston](@/case-studies/botcheston.md)"),
                        );
                        dest_url
                    }
                };
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => {
                open_heading = Some((events.len(), id.as_ref().map(|i| i.to_string())));
                heading_text.clear();
                Event::Start(Tag::Heading {
                    level: nested_level(level, part),
                    id,
                    classes,
                    attrs,
                })
            }
            Event::End(TagEnd::Heading(level)) => {
                let level = nested_level(level, part);
                if let Some((start, explicit)) = open_heading.take() {
                    let base = explicit.unwrap_or_else(|| heading_id(&heading_text));
                    let id = unique_id(&base, &mut used_ids);
                    let id = match part {
                        Some(part) => format!("{part}-{id}"),
                        None => id,
                    };
                    if let Event::Start(Tag::Heading { id: slot, .. }) = &mut events[start] {
                        *slot = Some(CowStr::from(id.clone()));
                    }
                    toc.push(Heading {
                        level: heading_level(level),
                        id,
                        title: heading_text.trim().to_string(),
                    });
                }
                push_separator(&mut text);
                Event::End(TagEnd::Heading(level))
            }
            Event::Text(ref t) | Event::Code(ref t) => {
                if open_heading.is_some() {
                    heading_text.push_str(t);
                }
                text.push_str(t);
                event
            }
            Event::SoftBreak | Event::HardBreak => {
                push_separator(&mut text);
                event
            }
            Event::End(
                TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell | TagEnd::CodeBlock,
            ) => {
                push_separator(&mut text);
                event
            }
            other => other,
        };
        events.push(event);
    }

    let mut html = String::with_capacity(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    if let Some(sanitizer) = ctx.sanitizer {
        for (offset, raw) in &raw_html {
            let removed = sanitizer.removals(raw);
            if !removed.is_empty() {
                problems.push(
                    ctx.warning(
                        body,
                        *offset,
                        format!("this HTML was made safe by removing {}", removed.join(", ")),
                    )
                    .with_hint(if removed.iter().any(|r| r.contains("<iframe>")) {
                        "to embed pages from a host, add the host to html.iframe_hosts in site.yaml"
                    } else {
                        "write it in Markdown, or leave it out: scripts, styles and event handlers never reach a page"
                    }),
                );
            }
        }
        html = sanitizer.clean(&html);
    }
    // A body's pictures come below the page's title and summary, so they can wait until
    // they are scrolled to.
    let html = html.replace("<img src=\"", "<img loading=\"lazy\" src=\"");
    (
        Rendered {
            html,
            toc,
            text: text.trim_end().to_string(),
        },
        problems,
    )
}

fn unsafe_url(ctx: &Context, body: &str, offset: usize, url: &str) -> Diagnostic {
    ctx.warning(
        body,
        offset,
        format!("the address {url:?} was removed: only web, mail and phone addresses are kept"),
    )
    .with_hint("link to an https:// address or to a page with @/path/to/page.md")
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

/// `base`, or `base-1`, `base-2`... whichever is not taken yet.
fn unique_id(base: &str, used: &mut HashSet<String>) -> String {
    let mut candidate = base.to_string();
    let mut n = 1;
    while !used.insert(candidate.clone()) {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    candidate
}

/// Resolves an internal link: `@/a/b.md#x` from `content/`, or a relative path to a `.md`
/// file. External links, anchors and other paths are left as written (`Ok(None)`).
fn resolve_link(
    dest: &str,
    from: &str,
    resolve: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<String>, (String, ProblemKind)> {
    let (path, anchor) = match dest.split_once('#') {
        Some((path, anchor)) => (path, Some(anchor)),
        None => (dest, None),
    };
    let target = if let Some(rest) = path.strip_prefix("@/") {
        normalise(rest)
    } else if path.ends_with(".md") && !path.contains("://") && !path.starts_with('/') {
        let dir = from.rsplit_once('/').map_or("", |(dir, _)| dir);
        normalise(&if dir.is_empty() {
            path.to_string()
        } else {
            format!("{dir}/{path}")
        })
    } else {
        return Ok(None);
    };
    let Some(target) = target else {
        return Err((
            format!("the link {dest:?} points outside the content folder"),
            ProblemKind::General,
        ));
    };
    match resolve(&target) {
        Some(url) => Ok(Some(match anchor {
            Some(anchor) => format!("{url}#{anchor}"),
            None => url,
        })),
        None => Err((
            format!("the link {dest:?} points to content/{target}, which does not exist"),
            ProblemKind::MissingLinkTarget(target),
        )),
    }
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
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context<'static> {
        Context {
            path: Path::new("content/case-studies/a.md"),
            content_path: "case-studies/a.md",
            first_line: 5,
            base_path: "",
            sanitizer: None,
        }
    }

    fn resolver(path: &str) -> Option<String> {
        match path {
            "case-studies/b.md" => Some("/case-studies/b/".into()),
            "resources/kit/index.md" => Some("/resources/kit/".into()),
            _ => None,
        }
    }

    #[test]
    fn headings_get_unique_ids_and_a_toc() {
        let (out, problems) = render(
            "## Hello\n\n## Hello\n\n### Next {#custom}\n",
            &ctx(),
            &resolver,
        );
        assert!(problems.is_empty());
        assert!(out.html.contains("<h2 id=\"hello\">Hello</h2>"));
        assert!(out.html.contains("<h2 id=\"hello-1\">Hello</h2>"));
        assert!(out.html.contains("<h3 id=\"custom\">Next</h3>"));
        let ids: Vec<_> = out.toc.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["hello", "hello-1", "custom"]);
    }

    #[test]
    fn internal_links_resolve_with_anchor() {
        let (out, problems) = render(
            "[b](@/case-studies/b.md#x) [c](b.md) [k](../resources/kit/index.md) [e](https://example.org/a.md)",
            &ctx(),
            &resolver,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert!(out.html.contains("href=\"/case-studies/b/#x\""));
        assert!(out.html.contains("href=\"/case-studies/b/\""));
        assert!(out.html.contains("href=\"/resources/kit/\""));
        assert!(out.html.contains("href=\"https://example.org/a.md\""));
    }

    #[test]
    fn missing_link_target_is_reported_at_its_file_line() {
        let (_, problems) = render(
            "Intro\n\nSee [x](@/case-studies/nope.md).\n",
            &ctx(),
            &resolver,
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(
            (problems[0].line(), problems[0].column()),
            (Some(7), Some(5))
        );
        assert!(problems[0].message.contains("content/case-studies/nope.md"));
    }

    #[test]
    fn links_cannot_climb_out_of_content() {
        let (_, problems) = render("[x](@/../secret.md)", &ctx(), &resolver);
        assert!(problems[0].message.contains("outside the content folder"));
    }

    #[test]
    fn tables_footnotes_tasks_and_strikethrough_are_on() {
        let (out, _) = render(
            "| a |\n|---|\n| b |\n\n- [x] done\n\n~~old~~ note[^1]\n\n[^1]: foot\n",
            &ctx(),
            &resolver,
        );
        assert!(out.html.contains("<table>"));
        assert!(out.html.contains("checkbox"));
        assert!(out.html.contains("<del>old</del>"));
        assert!(out.html.contains("footnote"));
    }

    #[test]
    fn fenced_code_is_highlighted_with_classes_and_unknown_languages_stay_plain() {
        let (out, _) = render(
            "```rust\nlet a = 1;\n```\n\n```nope\n<b>x</b>\n```\n",
            &ctx(),
            &resolver,
        );
        assert!(
            out.html
                .contains("<pre class=\"hl-code\"><code class=\"language-rust\">")
        );
        assert!(
            out.html
                .contains("<code class=\"language-nope\">&lt;b&gt;x&lt;/b&gt;\n</code>"),
            "{}",
            out.html
        );
        let words: Vec<&str> = out.text.split_whitespace().collect();
        assert_eq!(words, ["let", "a", "=", "1;", "<b>x</b>"]);
    }

    #[test]
    fn removed_raw_html_and_unsafe_links_are_warned_about_at_their_lines() {
        let sanitizer = Sanitizer::new(&[]);
        let ctx = Context {
            sanitizer: Some(&sanitizer),
            ..ctx()
        };
        let (out, problems) = render(
            "Fine <b>bold</b>.\n\n<script>alert(1)</script>\n\nA [link](javascript:alert(1)) and <img src=x onerror=alert(1)>.\n",
            &ctx,
            &resolver,
        );
        assert!(!out.html.contains("script"), "{}", out.html);
        assert!(!out.html.contains("onerror"), "{}", out.html);
        assert!(!out.html.contains("javascript"), "{}", out.html);
        assert!(out.html.contains("<b>bold</b>"));
        let mut problems = problems;
        problems.sort();
        let found: Vec<(usize, usize, bool)> = problems
            .iter()
            .map(|p| (p.line().unwrap_or(0), p.column().unwrap_or(0), p.is_error()))
            .collect();
        assert_eq!(found, [(7, 1, false), (9, 3, false), (9, 35, false)]);
        assert!(problems[0].message.contains("<script>"));
        assert!(problems[1].message.contains("javascript:"));
        assert!(problems[2].message.contains("onerror"));
    }

    #[test]
    fn root_relative_links_get_the_base_path() {
        let ctx = Context {
            base_path: "/communities",
            ..ctx()
        };
        let (out, _) = render("[a](/about/) [b](//cdn.example/x)", &ctx, &resolver);
        assert!(out.html.contains("href=\"/communities/about/\""));
        assert!(out.html.contains("href=\"//cdn.example/x\""));
    }

    #[test]
    fn a_part_of_a_longer_page_has_lower_headings_and_prefixed_ids() {
        let out = render_part(
            "## Overview\n\nSee [next](#next) and [b](@/case-studies/b.md#x).\n\n### Next {#next}\n",
            &ctx(),
            "grants",
            &resolver,
        );
        assert!(
            out.html
                .contains("<h3 id=\"grants-overview\">Overview</h3>")
        );
        assert!(out.html.contains("<h4 id=\"grants-next\">Next</h4>"));
        assert!(out.html.contains("href=\"#grants-next\""));
        assert!(out.html.contains("href=\"/case-studies/b/#x\""));
        assert_eq!(out.toc[0].level, 3);
    }

    #[test]
    fn body_images_load_lazily() {
        let (out, _) = render("![A hall](hall.jpg)\n", &ctx(), &resolver);
        assert!(
            out.html
                .contains("<img loading=\"lazy\" src=\"hall.jpg\" alt=\"A hall\" />"),
            "{}",
            out.html
        );
    }

    #[test]
    fn plain_text_keeps_words_apart() {
        let (out, _) = render(
            "## Title\n\nOne *two*\nthree\n\n- four\n- five\n",
            &ctx(),
            &resolver,
        );
        assert_eq!(out.text, "Title One two three four five");
    }
}
