//! What a site needs besides its pages to go live on a static host: the Atom feed of case
//! studies, the sitemap, `robots.txt`, redirects from old addresses (small HTML pages and
//! Netlify's `_redirects`), and the JSON-LD that describes pages to search engines.
//!
//! An alias is published twice: as a small HTML page that sends browsers on (for any static
//! host), and as a forced rule in `_redirects`. Netlify serves an existing file in preference
//! to a rule that is not forced, so the rule says `301!` to answer with a real redirect.

use std::borrow::Cow;
use std::collections::HashMap;

use atom_syndication::{Entry, Feed, FixedDateTime, Link, Person, Text};
use chrono::NaiveDate;
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use rayon::prelude::*;
use serde_json::json;
use tera::{Context, Tera};

use crate::diagnostics::Diagnostic;
use crate::jobs;
use crate::models::Kind;
use crate::output::Sink;
use crate::paths::output_path;
use crate::site::{CHECKPOINT_EVERY, Site};
use crate::theme;

pub const FEED: &str = "/atom.xml";
pub const SITEMAP: &str = "/sitemap.xml";
pub const ROBOTS: &str = "/robots.txt";
pub const REDIRECTS: &str = "/_redirects";
const REDIRECT_TEMPLATE: &str = "redirect.html";
const SITEMAP_NAMESPACE: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

/// An old address that leads to a page: `(page index, site path)`, the path as it is
/// written to disk (decoded, `/café/`).
type Alias = (usize, String);

/// What a path in `_redirects` must percent-encode: besides non-ASCII (always encoded),
/// what would end the path or mean something else in a URL.
const PATH_ENCODE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// The aliases of every page, each as the site path it is published at. Ones that are not
/// a usable path are left out here; `check` reports them.
fn aliases(site: &Site) -> Vec<Alias> {
    site.pages
        .iter()
        .enumerate()
        .flat_map(|(i, page)| {
            page.source
                .meta
                .aliases
                .iter()
                .filter_map(move |alias| alias_path(alias).ok().map(|path| (i, path)))
        })
        .collect()
}

/// Why an alias cannot be published, and what to write instead.
#[derive(Debug, PartialEq, Eq)]
struct AliasProblem {
    message: String,
    hint: &'static str,
}

/// `/old/page` -> `/old/page/` (a folder, as pages are); `/old.html` stays as written. An
/// address copied from a browser (`/caf%C3%A9/`) is decoded (`/café/`).
fn alias_path(alias: &str) -> Result<String, AliasProblem> {
    let not_a_path = |hint| AliasProblem {
        message: format!("the alias {alias:?} is not a path on this site"),
        hint,
    };
    if !alias.starts_with('/') || alias.starts_with("//") {
        return Err(not_a_path(
            "write the old address as a path from the site's root, e.g. /old/page/",
        ));
    }
    // Netlify reads `:name` and `*` in a rule as placeholders that match other addresses.
    if alias.contains(['*', ':']) {
        return Err(AliasProblem {
            message: format!(
                "the alias {alias:?} has a `*` or `:`, which a redirect rule reads as a placeholder for other addresses"
            ),
            hint: "write one old address exactly, without `*` or `:`, e.g. /old/page/",
        });
    }
    let Ok(decoded) = percent_decode_str(alias).decode_utf8() else {
        return Err(not_a_path(
            "write the address as people read it, e.g. /café/ rather than /caf%E9/",
        ));
    };
    let unholdable = decoded.chars().any(|c| {
        c.is_control()
            || c.is_whitespace()
            || matches!(
                c,
                '?' | '#' | '\\' | '"' | '<' | '>' | '%' | '|' | '^' | '`' | '{' | '}'
            )
    });
    if unholdable || decoded.split('/').any(|s| s == "." || s == "..") {
        return Err(not_a_path(
            "use letters, digits, hyphens and slashes, e.g. /old/page/; an address cannot hold spaces, ?, #, %, quotes or brackets",
        ));
    }
    let last = decoded.rsplit('/').next().unwrap_or_default();
    Ok(if decoded.ends_with('/') || last.contains('.') {
        decoded.into_owned()
    } else {
        format!("{decoded}/")
    })
}

/// A site path as a redirect rule writes it: percent-encoded, `/café/` -> `/caf%C3%A9/`.
fn encoded_path(path: &str) -> String {
    utf8_percent_encode(path, PATH_ENCODE).to_string()
}

/// Every alias must be a path on the site that nothing else is published at, and a page's
/// source must be a web address. `checkpoint` may stop it between pages.
pub fn check<E>(
    site: &Site,
    checkpoint: &(dyn Fn() -> Result<(), E> + Sync),
) -> Result<Vec<Diagnostic>, E> {
    // What has each output path, in two words put together only for a message: a big site
    // has tens of thousands.
    let mut taken: HashMap<String, (&str, Cow<str>)> = HashMap::new();
    for some in site.pages.chunks(CHECKPOINT_EVERY) {
        checkpoint()?;
        for page in some {
            taken.insert(output_path(page.url()), ("the page", page.url().into()));
        }
    }
    for url in jobs::generated_urls(site) {
        taken.insert(output_path(&url), ("the listing", url.into()));
    }
    for asset in site.assets.iter().chain(site.static_files.iter()) {
        taken.insert(
            output_path(&asset.url),
            ("the file", asset.url.as_str().into()),
        );
    }
    for reserved in [FEED, SITEMAP, ROBOTS, REDIRECTS, "/404.html"] {
        taken.insert(output_path(reserved), ("the site's", reserved.into()));
    }
    checkpoint()?;
    let mut problems = Vec::new();
    for (i, page) in site.pages.iter().enumerate() {
        // Made only for a page with a problem, once for all its aliases.
        let locator = std::cell::OnceCell::new();
        let position = |key: &str, value: &str| {
            locator
                .get_or_init(|| page.source.locator())
                .value_position(key, value)
        };
        for alias in &page.source.meta.aliases {
            let problem = match alias_path(alias) {
                Err(AliasProblem { message, hint }) => Some((message, hint)),
                Ok(path) => {
                    let file = output_path(&path);
                    match taken.get(&file) {
                        Some((what, name)) => Some((
                            format!("the alias {alias} is already the address of {what} {name}"),
                            "remove this alias: that address cannot lead to two places",
                        )),
                        None => {
                            taken.insert(file, ("an alias of", site.pages[i].url().into()));
                            None
                        }
                    }
                }
            };
            if let Some((message, hint)) = problem {
                let (line, column) = position("aliases", alias);
                problems.push(
                    Diagnostic::error(&page.source.path, line, column, message).with_hint(hint),
                );
            }
        }
        // A link people follow from the page: autoescaping cannot make `javascript:` safe.
        if let Some(url) = &page.source.meta.source_url
            && !is_web_address(url)
        {
            let (line, column) = position("source_url", url);
            problems.push(
                Diagnostic::error(
                    &page.source.path,
                    line,
                    column,
                    format!("the source_url {url:?} is not a web address"),
                )
                .with_hint("write the full address, starting https://"),
            );
        }
    }
    Ok(problems)
}

fn is_web_address(text: &str) -> bool {
    url::Url::parse(text).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// Writes the feed, the sitemap, `robots.txt`, `_redirects` and the alias pages.
pub fn write(site: &Site, tera: &Tera, sink: &dyn Sink) -> Vec<Diagnostic> {
    let xml_error = |path: &str, e: &dyn std::fmt::Display| {
        Diagnostic::output_error(
            path.trim_start_matches('/'),
            format!("cannot write {path}: {e}"),
        )
    };
    // Each is made from every page: on every core, as are the redirect pages.
    let ((feed, sitemap), redirects) = rayon::join(
        || rayon::join(|| feed(site), || sitemap(site)),
        || redirects(site),
    );
    let mut files: Vec<(String, Result<Vec<u8>, Diagnostic>)> = vec![
        (FEED.to_string(), feed.map_err(|e| xml_error(FEED, &e))),
        (
            SITEMAP.to_string(),
            sitemap.map_err(|e| xml_error(SITEMAP, &e)),
        ),
        (ROBOTS.to_string(), Ok(robots(site).into_bytes())),
        (REDIRECTS.to_string(), Ok(redirects.into_bytes())),
    ];
    files.par_extend(aliases(site).into_par_iter().map(|(page, alias)| {
        (
            output_path(&alias),
            redirect_page(site, tera, page)
                .map(String::into_bytes)
                .map_err(|e| theme::template_error(&e)),
        )
    }));
    let mut problems: Vec<Diagnostic> = files
        .into_par_iter()
        .filter_map(|(path, bytes)| {
            let path = path.trim_start_matches('/');
            bytes
                .and_then(|bytes| {
                    sink.write(path, &bytes).map_err(|e| {
                        Diagnostic::output_error(path, format!("cannot write the output file: {e}"))
                    })
                })
                .err()
        })
        .collect();
    problems.sort();
    problems.dedup();
    problems
}

fn redirect_page(site: &Site, tera: &Tera, index: usize) -> tera::TeraResult<String> {
    let page = &site.pages[index];
    let config = &site.config;
    let mut context = Context::new();
    context.insert("language", &config.language);
    context.insert("title", &page.source.meta.title);
    context.insert("url", &config.link(page.url()));
    context.insert("permalink", &config.permalink(page.url()));
    tera.render(REDIRECT_TEMPLATE, &context)
}

/// Netlify's redirect rules: one `from to 301!` line per alias, forced (`!`) because the
/// alias's HTML page exists at `from` and would otherwise be served instead of the redirect.
fn redirects(site: &Site) -> String {
    let config = &site.config;
    aliases(site)
        .into_iter()
        .map(|(page, alias)| {
            format!(
                "{} {} 301!\n",
                encoded_path(&config.link(&alias)),
                encoded_path(&config.link(site.pages[page].url()))
            )
        })
        .collect()
}

fn robots(site: &Site) -> String {
    format!(
        "User-agent: *\nAllow: /\n\nSitemap: {}\n",
        site.config.permalink(SITEMAP)
    )
}

/// A page's last change: its `updated` or `date`; for a section, the newest of its pages;
/// for the home page, which shows the latest case studies, the newest of the whole site.
fn last_modified(site: &Site, index: usize) -> Option<NaiveDate> {
    let changed = |i: usize| {
        let meta = &site.pages[i].source.meta;
        meta.updated.or(meta.date)
    };
    let page = &site.pages[index];
    let shown: Vec<usize> = if page.is_home() {
        (0..site.pages.len()).collect()
    } else {
        page.children.clone()
    };
    changed(index).or_else(|| shown.into_iter().filter_map(changed).max())
}

/// Every published page, taxonomy and term, with its last change where one is known.
fn sitemap(site: &Site) -> std::io::Result<Vec<u8>> {
    let config = &site.config;
    let mut urls: Vec<(String, Option<NaiveDate>)> = (0..site.pages.len())
        .map(|i| {
            (
                config.permalink(site.pages[i].url()),
                last_modified(site, i),
            )
        })
        .collect();
    for taxonomy in site.taxonomies.iter() {
        let newest = |pages: &[usize]| pages.iter().filter_map(|&p| last_modified(site, p)).max();
        let all: Vec<usize> = taxonomy
            .terms
            .iter()
            .flat_map(|t| t.pages.clone())
            .collect();
        urls.push((config.permalink(&taxonomy.url), newest(&all)));
        for term in &taxonomy.terms {
            urls.push((config.permalink(&term.url), newest(&term.pages)));
        }
    }
    for (t, c) in jobs::empty_terms(site) {
        urls.push((config.permalink(&jobs::empty_term_url(site, t, c)), None));
    }
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    writer
        .create_element("urlset")
        .with_attribute(("xmlns", SITEMAP_NAMESPACE))
        .write_inner_content(|w| {
            for (loc, lastmod) in &urls {
                w.create_element("url").write_inner_content(|w| {
                    w.create_element("loc")
                        .write_text_content(BytesText::new(loc))?;
                    if let Some(date) = lastmod {
                        let date = date.format("%Y-%m-%d").to_string();
                        w.create_element("lastmod")
                            .write_text_content(BytesText::new(&date))?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    let mut bytes = writer.into_inner();
    bytes.push(b'\n');
    Ok(bytes)
}

fn timestamp(date: NaiveDate) -> FixedDateTime {
    date.and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .fixed_offset()
}

fn link(href: String, rel: &str, mime_type: Option<&str>) -> Link {
    Link {
        href,
        rel: rel.to_string(),
        mime_type: mime_type.map(str::to_string),
        ..Link::default()
    }
}

/// The Atom feed of case studies, newest first.
fn feed(site: &Site) -> Result<Vec<u8>, atom_syndication::Error> {
    let config = &site.config;
    let case_studies = site.pages_of_kind(Kind::CaseStudy);
    let entries: Vec<Entry> = case_studies
        .iter()
        .map(|&i| {
            let page = &site.pages[i];
            let meta = &page.source.meta;
            let permalink = config.permalink(page.url());
            Entry {
                title: Text::plain(meta.title.clone()),
                id: permalink.clone(),
                updated: timestamp(last_modified(site, i).unwrap_or_default()),
                published: meta.date.map(timestamp),
                summary: meta.summary.clone().map(Text::plain),
                links: vec![link(permalink, "alternate", Some("text/html"))],
                ..Entry::default()
            }
        })
        .collect();
    let updated = entries
        .iter()
        .map(|e| e.updated)
        .max()
        .unwrap_or_else(|| timestamp(NaiveDate::default()));
    let feed = Feed {
        title: Text::plain(format!("{}: case studies", config.title)),
        id: config.permalink(FEED),
        updated,
        authors: vec![Person {
            name: config.title.clone(),
            uri: Some(config.permalink("/")),
            ..Person::default()
        }],
        links: vec![
            link(config.permalink(FEED), "self", Some("application/atom+xml")),
            link(config.permalink("/"), "alternate", Some("text/html")),
        ],
        lang: Some(config.language.clone()),
        entries,
        ..Feed::default()
    };
    let mut bytes = feed.write_to(Vec::new())?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// The organisation, as schema.org describes it, with the body whose site it is: the first
/// link of the `owner` menu, which the footer names too.
fn organisation(site: &Site) -> serde_json::Value {
    let config = &site.config;
    let mut data = json!({
        "@type": "GovernmentOrganization",
        "name": config.title,
        "url": config.permalink("/"),
        "description": config.description,
    });
    if let Some(owner) = config.menus.get("owner").and_then(|links| links.first()) {
        data["parentOrganization"] = json!({
            "@type": "GovernmentOrganization",
            "name": owner.name,
            "url": owner.url,
        });
    }
    data
}

/// JSON-LD for the home page (the organisation) and for case studies (an article), as text
/// that is safe inside `<script type="application/ld+json">`.
pub fn json_ld(site: &Site, index: usize, image: Option<&str>) -> Option<String> {
    let page = &site.pages[index];
    let meta = &page.source.meta;
    let config = &site.config;
    let data = if page.is_home() {
        let mut data = organisation(site);
        data["@context"] = json!("https://schema.org");
        data
    } else if page.source.kind == Kind::CaseStudy && !page.source.is_section {
        let mut data = json!({
            "@context": "https://schema.org",
            "@type": "Article",
            "headline": meta.title,
            "url": config.permalink(page.url()),
            "mainEntityOfPage": config.permalink(page.url()),
            "publisher": organisation(site),
        });
        if let Some(summary) = &meta.summary {
            data["description"] = json!(summary);
        }
        if let Some(date) = meta.date {
            data["datePublished"] = json!(date.format("%Y-%m-%d").to_string());
        }
        if let Some(date) = last_modified(site, index) {
            data["dateModified"] = json!(date.format("%Y-%m-%d").to_string());
        }
        if let Some(image) = image {
            data["image"] = json!(format!("{}{image}", config.origin()));
        }
        data
    } else {
        return None;
    };
    Some(script_safe_json(&data))
}

/// JSON whose text cannot end the script element it sits in, nor open a comment or markup:
/// `<`, `>` and `&` are written as JSON escapes, which mean the same to a JSON reader.
fn script_safe_json(data: &serde_json::Value) -> String {
    data.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_become_folder_paths_unless_they_name_a_file() {
        assert_eq!(alias_path("/old/page").unwrap(), "/old/page/");
        assert_eq!(alias_path("/old/page/").unwrap(), "/old/page/");
        assert_eq!(alias_path("/old/page.html").unwrap(), "/old/page.html");
        assert!(alias_path("old/page").is_err());
        assert!(alias_path("//evil.example/").is_err());
        assert!(alias_path("/a/../b/").is_err());
        assert!(alias_path("/a b/").is_err());
    }

    #[test]
    fn aliases_copied_from_a_browser_are_decoded_and_rules_encode_them_again() {
        assert_eq!(alias_path("/caf%C3%A9/").unwrap(), "/café/");
        assert_eq!(alias_path("/café").unwrap(), "/café/");
        assert_eq!(encoded_path("/café/"), "/caf%C3%A9/");
        assert_eq!(encoded_path("/old/page.html"), "/old/page.html");
    }

    #[test]
    fn aliases_with_redirect_placeholders_or_unholdable_characters_are_refused() {
        for alias in [
            "/news/*",
            "/news/:year/",
            "/a|b/",
            "/a%20b/",
            "/caf%E9/",
            "/a{b}/",
        ] {
            assert!(alias_path(alias).is_err(), "{alias}");
        }
        let placeholder = alias_path("/news/:year/").unwrap_err();
        assert!(
            placeholder.message.contains("placeholder"),
            "{placeholder:?}"
        );
    }

    #[test]
    fn json_in_a_script_cannot_close_the_script() {
        let text =
            script_safe_json(&json!({"headline": "</script><script>alert(1)</script> & <!--"}));
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            back["headline"],
            "</script><script>alert(1)</script> & <!--"
        );
    }
}
