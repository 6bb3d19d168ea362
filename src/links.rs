//! The link check: every link and picture of every page, whatever form it is written in
//! (`@/` or a relative file, a site path, a full address on the site's own host, `#part`),
//! checked against what the build publishes, once the whole site is modelled. Each broken one
//! is an error at its line and column, with the nearest existing target as a hint.

use std::collections::HashMap;

use percent_encoding::percent_decode_str;

use crate::content::content_relative;
use crate::diagnostics::{Diagnostic, did_you_mean};
use crate::markdown::{LinkRef, Rendered, content_target, split_anchor};
use crate::publish;
use crate::render::{self, Job};
use crate::site::{Page, Site};

/// What a link can lead to.
#[derive(Debug, Clone, Copy)]
enum Target {
    Page(usize),
    /// The whole report of the year page given: its sections' parts.
    FullReport(usize),
    /// A file, a listing or another page the build writes, without anchors of its own.
    Other,
    /// A draft left out of the build: its place in `Site::drafts_left_out`.
    Draft(usize),
}

/// Every target of the site, by content path and by site path (without the base path).
pub struct Targets {
    by_content: HashMap<String, Target>,
    by_path: HashMap<String, Target>,
}

impl Targets {
    pub fn of(site: &Site) -> Targets {
        let mut by_content = HashMap::new();
        let mut by_path = HashMap::new();
        for (i, page) in site.pages.iter().enumerate() {
            by_content.insert(page.source.content_path.clone(), Target::Page(i));
            by_path.insert(page.url().to_string(), Target::Page(i));
        }
        for asset in &site.assets {
            if asset.source.starts_with("content") {
                by_content.insert(content_relative(&asset.source), Target::Other);
            }
            by_path.insert(asset.url.clone(), Target::Other);
        }
        for file in &site.static_files {
            by_path.insert(file.url.clone(), Target::Other);
        }
        for file in render::theme_files("static") {
            let inner = file.path().strip_prefix("static").unwrap_or(file.path());
            by_path.insert(
                format!("/{}", inner.to_string_lossy().replace('\\', "/")),
                Target::Other,
            );
        }
        for url in render::generated_urls(site) {
            by_path.insert(url, Target::Other);
        }
        for (i, page) in site.pages.iter().enumerate() {
            let has_parts = page.children.iter().any(|&c| site.pages[c].part.is_some());
            if has_parts {
                by_path.insert(
                    render::job_url(site, Job::FullReport(i)),
                    Target::FullReport(i),
                );
            }
        }
        for generated in [publish::FEED, publish::SITEMAP, publish::ROBOTS] {
            by_path.insert(generated.to_string(), Target::Other);
        }
        for (i, (content_path, url)) in site.drafts_left_out.iter().enumerate() {
            by_content.insert(content_path.clone(), Target::Draft(i));
            by_path.insert(url.clone(), Target::Draft(i));
        }
        Targets {
            by_content,
            by_path,
        }
    }

    /// A site path as the build writes it: `/about` finds `/about/`, `/about/index.html` too.
    fn find_path(&self, path: &str) -> Option<(&str, Target)> {
        let decoded = percent_decode_str(path).decode_utf8_lossy();
        let trimmed = decoded.strip_suffix("index.html").unwrap_or(&decoded);
        let with_slash = format!("{trimmed}/");
        [trimmed, with_slash.as_str()]
            .into_iter()
            .find_map(|p| self.by_path.get_key_value(p))
            .map(|(k, t)| (k.as_str(), *t))
    }
}

/// Every page's links and pictures.
pub fn check(site: &Site) -> Vec<Diagnostic> {
    let targets = Targets::of(site);
    site.pages
        .iter()
        .enumerate()
        .flat_map(|(i, page)| check_page(site, &targets, i, &page.rendered))
        .collect()
}

/// The links and pictures of one page, rendered as `rendered`.
pub fn check_page(
    site: &Site,
    targets: &Targets,
    index: usize,
    rendered: &Rendered,
) -> Vec<Diagnostic> {
    let page = &site.pages[index];
    rendered
        .links
        .iter()
        .filter_map(|link| {
            let problem = check_link(site, targets, index, rendered, link)?;
            let diagnostic =
                Diagnostic::error(&page.source.path, link.line, link.column, problem.message);
            Some(diagnostic.with_hint_opt(problem.hint))
        })
        .collect()
}

struct Problem {
    message: String,
    hint: Option<String>,
}

fn problem(message: String, hint: Option<String>) -> Option<Problem> {
    Some(Problem { message, hint })
}

fn check_link(
    site: &Site,
    targets: &Targets,
    index: usize,
    rendered: &Rendered,
    link: &LinkRef,
) -> Option<Problem> {
    let page = &site.pages[index];
    let dest = link.dest.trim();
    let (path, anchor) = split_anchor(dest);
    let what = if link.picture { "picture" } else { "link" };
    if path.is_empty() {
        return anchor.and_then(|a| missing_anchor(dest, a, &rendered.anchors, "this page"));
    }
    // `../other-page/` may be an address relative to the page's own.
    let relative = (!path.starts_with("@/") && !link.picture && !path.ends_with(".md"))
        .then(|| relative_address(page, path))
        .flatten()
        .and_then(|p| targets.find_path(&p).map(|(_, target)| target));
    let target = match content_target(path, &page.source.content_path) {
        Some(Err(())) => match relative {
            Some(target) => target,
            None => {
                return problem(
                    format!("the {what} {dest:?} points outside the content folder"),
                    Some(
                        "link to a page by its file, e.g. [Botcheston](@/case-studies/botcheston.md)"
                            .into(),
                    ),
                );
            }
        },
        Some(Ok(content_path)) => match targets.by_content.get(&content_path).copied().or(relative)
        {
            Some(target) => target,
            None => {
                let candidates: Vec<String> = targets
                    .by_content
                    .iter()
                    .filter(|(_, t)| !matches!(t, Target::Draft(_)))
                    .map(|(p, _)| format!("@/{p}"))
                    .collect();
                return problem(
                    format!(
                        "the {what} {dest:?} leads to content/{content_path}, which does not exist"
                    ),
                    did_you_mean(
                        &format!("@/{content_path}"),
                        candidates.iter().map(String::as_str),
                    )
                    .or_else(|| Some(if link.picture {
                        "put the picture in content/ beside the page (or in the page's folder) and write its file name".into()
                    } else {
                        "link to a page by its file, e.g. [Botcheston](@/case-studies/botcheston.md)".into()
                    })),
                );
            }
        },
        None => {
            let site_path = site_path(site, path)?;
            match targets.find_path(&site_path) {
                Some((_, target)) => target,
                None => {
                    return problem(
                        format!("the {what} {dest:?} leads to no page or file of this site"),
                        did_you_mean(&site_path, targets.by_path.keys().map(String::as_str))
                            .or_else(|| Some("link to a page by its file, e.g. [Botcheston](@/case-studies/botcheston.md)".into())),
                    );
                }
            }
        }
    };
    match target {
        Target::Draft(i) => {
            let draft = &site.drafts_left_out[i].0;
            problem(
                format!(
                    "the {what} {dest:?} leads to content/{draft}, which is a draft and not published"
                ),
                Some("publish that page (remove `draft: true`) or remove the link".into()),
            )
        }
        Target::Page(i) => {
            // The page's own anchors are those of the body being checked, which `serve` may
            // have rendered anew.
            let anchors = if i == index {
                &rendered.anchors
            } else {
                &site.pages[i].rendered.anchors
            };
            let which = if i == index { "this page" } else { "that page" };
            anchor.and_then(|a| missing_anchor(dest, a, anchors, which))
        }
        Target::FullReport(year) => {
            let anchors: Vec<String> = site.pages[year]
                .children
                .iter()
                .filter_map(|&c| site.pages[c].part.as_ref())
                .flat_map(|part| std::iter::once(&part.id).chain(&part.rendered.anchors))
                .cloned()
                .collect();
            anchor.and_then(|a| missing_anchor(dest, a, &anchors, "the whole report"))
        }
        Target::Other => None,
    }
}

fn missing_anchor(dest: &str, anchor: &str, anchors: &[String], which: &str) -> Option<Problem> {
    let anchor = percent_decode_str(anchor).decode_utf8_lossy();
    if anchor.is_empty() || anchor == "top" || anchors.iter().any(|a| *a == anchor) {
        return None;
    }
    let candidates: Vec<String> = anchors.iter().map(|a| format!("#{a}")).collect();
    problem(
        format!(
            "the link {dest:?} leads to #{anchor}, but {which} has no heading or footnote with that id"
        ),
        did_you_mean(&format!("#{anchor}"), candidates.iter().map(String::as_str)).or_else(|| {
            Some("a heading's id is its text in lower case, with hyphens for spaces".into())
        }),
    )
}

/// The site path (without the base path) a link written as an address leads to, or `None`
/// when it leads off the site or is not a web address.
fn site_path(site: &Site, path: &str) -> Option<String> {
    let base = site.config.base_path();
    let on_site = |p: &str| -> String {
        match p.strip_prefix(base) {
            Some(rest) if !base.is_empty() && (rest.is_empty() || rest.starts_with('/')) => {
                if rest.is_empty() {
                    "/".into()
                } else {
                    rest.into()
                }
            }
            _ => p.to_string(),
        }
    };
    if path.starts_with('/') && !path.starts_with("//") {
        return Some(on_site(path.split('?').next().unwrap_or(path)));
    }
    let own = &site.config.base_url;
    let url = own.join(path).ok()?;
    let same_host = matches!(url.scheme(), "http" | "https")
        && url.host_str() == own.host_str()
        && url.port_or_known_default() == own.port_or_known_default();
    same_host.then(|| on_site(url.path()))
}

/// A relative address (`../other/`) from the page's own URL, as a site path.
fn relative_address(page: &Page, path: &str) -> Option<String> {
    let base = url::Url::parse("http://site.invalid")
        .ok()?
        .join(page.url())
        .ok()?;
    Some(base.join(path).ok()?.path().to_string())
}
