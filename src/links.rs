//! The link check: every link and picture of every page, whatever form it is written in
//! (`@/` or a relative file, a site path, a full address on the site's own host, `#part`),
//! checked against what the build publishes, once the whole site is modelled. Each broken one
//! is an error at its line and column, with the nearest existing target as a hint.

use std::cell::{Cell, OnceCell};
use std::collections::{HashMap, HashSet};

use percent_encoding::percent_decode_str;
use rayon::prelude::*;

use crate::content::content_relative;
use crate::diagnostics::{Diagnostic, ProblemKind, did_you_mean};
use crate::jobs::{self, Job};
use crate::markdown::{LinkRef, Rendered, content_target, split_anchor};
use crate::publish;
use crate::site::{Page, Site};
use crate::theme;

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

/// Every target of the site, by content path and by site path (without the base path), and
/// the ids each page has for `#...`.
pub struct Targets<'s> {
    by_content: HashMap<String, Target>,
    by_path: HashMap<String, Target>,
    anchors: Vec<HashSet<&'s str>>,
    /// The whole report's ids, by its year page: each section's own and its part's.
    report_anchors: HashMap<usize, HashSet<&'s str>>,
    /// What a hint may suggest, sorted so that it is the same from run to run; made for the
    /// first broken link, since most builds have none.
    content_names: OnceCell<Vec<String>>,
    path_names: OnceCell<Vec<String>>,
    /// Finding the nearest name compares it with every target: only so many broken links
    /// of a build get a suggestion, so that a site full of them is not checked in square time.
    hints_left: Cell<usize>,
}

/// How many broken links of one check get a "did you mean" suggestion.
const MAX_HINTS: usize = 20;

impl<'s> Targets<'s> {
    pub fn of(site: &'s Site) -> Targets<'s> {
        // The addresses and the ids apart, on two cores: each takes a while on a big site.
        let ((mut by_content, mut by_path), (anchors, report_anchors)) =
            rayon::join(|| addresses(site), || ids(site));
        for &i in report_anchors.keys() {
            by_path.insert(
                jobs::job_url(site, Job::FullReport(i)),
                Target::FullReport(i),
            );
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
            anchors,
            report_anchors,
            content_names: OnceCell::new(),
            path_names: OnceCell::new(),
            hints_left: Cell::new(MAX_HINTS),
        }
    }

    /// "did you mean ...?" with the nearest of `names`, while suggestions are left.
    fn nearest<'n>(&self, found: &str, names: impl IntoIterator<Item = &'n str>) -> Option<String> {
        let left = self.hints_left.get();
        if left == 0 {
            return None;
        }
        self.hints_left.set(left - 1);
        did_you_mean(found, names)
    }

    /// Every content path a link may name, as `@/...`.
    fn content_names(&self) -> impl Iterator<Item = &str> {
        sorted_names(&self.content_names, &self.by_content, |p| format!("@/{p}"))
    }

    /// Every site path a link may name.
    fn path_names(&self) -> impl Iterator<Item = &str> {
        sorted_names(&self.path_names, &self.by_path, String::clone)
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

/// Every page's links and pictures, with `checkpoint` asked between pages so that it can stop
/// the check. One page after another: which broken links get a suggestion, of the few that
/// do, stays the same from run to run.
pub fn check<E>(
    site: &Site,
    checkpoint: &(dyn Fn() -> Result<(), E> + Sync),
) -> Result<Vec<Diagnostic>, E> {
    let targets = Targets::of(site);
    let mut problems = Vec::new();
    for (i, page) in site.pages.iter().enumerate() {
        checkpoint()?;
        problems.extend(check_page(site, &targets, i, &page.rendered));
    }
    Ok(problems)
}

/// Every page and file by its content path and by its site path.
fn addresses(site: &Site) -> (HashMap<String, Target>, HashMap<String, Target>) {
    let mut by_content = HashMap::new();
    let mut by_path = HashMap::new();
    for (i, page) in site.pages.iter().enumerate() {
        by_content.insert(page.source.content_path.clone(), Target::Page(i));
        by_path.insert(page.url().to_string(), Target::Page(i));
    }
    for asset in site.assets.iter() {
        if asset.source.starts_with("content") {
            by_content.insert(content_relative(&asset.source), Target::Other);
        }
        by_path.insert(asset.url.clone(), Target::Other);
    }
    for file in site.static_files.iter() {
        by_path.insert(file.url.clone(), Target::Other);
    }
    for file in theme::theme_files("static") {
        let inner = file.path().strip_prefix("static").unwrap_or(file.path());
        by_path.insert(
            format!("/{}", inner.to_string_lossy().replace('\\', "/")),
            Target::Other,
        );
    }
    for url in jobs::generated_urls(site) {
        by_path.insert(url, Target::Other);
    }
    (by_content, by_path)
}

/// Each page's ids, and those of the whole report of each year page that has one.
type Ids<'s> = (Vec<HashSet<&'s str>>, HashMap<usize, HashSet<&'s str>>);

fn ids(site: &Site) -> Ids<'_> {
    let anchors = site
        .pages
        .par_iter()
        .map(|p| p.rendered.anchors.iter().map(String::as_str).collect())
        .collect();
    let report_anchors = site
        .pages
        .par_iter()
        .enumerate()
        .filter_map(|(i, page)| {
            let ids: HashSet<&str> = page
                .children
                .iter()
                .filter_map(|&c| site.pages[c].part.as_ref())
                .flat_map(|part| std::iter::once(&part.id).chain(&part.rendered.anchors))
                .map(String::as_str)
                .collect();
            (!ids.is_empty()).then_some((i, ids))
        })
        .collect();
    (anchors, report_anchors)
}

/// The names of `targets` but drafts', as `name` writes them, sorted once into `names`.
fn sorted_names<'t>(
    names: &'t OnceCell<Vec<String>>,
    targets: &HashMap<String, Target>,
    name: fn(&String) -> String,
) -> impl Iterator<Item = &'t str> {
    names
        .get_or_init(|| {
            let mut names: Vec<String> = targets
                .iter()
                .filter(|(_, t)| !matches!(t, Target::Draft(_)))
                .map(|(p, _)| name(p))
                .collect();
            names.sort();
            names
        })
        .iter()
        .map(String::as_str)
}

/// The links and pictures of one page, rendered as `rendered`.
pub fn check_page(
    site: &Site,
    targets: &Targets,
    index: usize,
    rendered: &Rendered,
) -> Vec<Diagnostic> {
    let page = &site.pages[index];
    // The page's own ids are those of the body being checked, which `serve` may have
    // rendered anew.
    let own: HashSet<&str> = rendered.anchors.iter().map(String::as_str).collect();
    rendered
        .links
        .iter()
        .filter_map(|link| {
            let problem = check_link(site, targets, index, &own, link)?;
            let diagnostic =
                Diagnostic::error(&page.source.path, link.line, link.column, problem.message);
            Some(
                diagnostic
                    .with_hint_opt(problem.hint)
                    .with_kind(ProblemKind::BrokenLink),
            )
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
    own: &HashSet<&str>,
    link: &LinkRef,
) -> Option<Problem> {
    let page = &site.pages[index];
    let dest = link.dest.trim();
    let (path, anchor) = split_anchor(dest);
    let what = if link.picture { "picture" } else { "link" };
    if path.is_empty() {
        return anchor.and_then(|a| missing_anchor(targets, dest, a, own, "this page"));
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
                return problem(
                    format!(
                        "the {what} {dest:?} leads to content/{content_path}, which does not exist"
                    ),
                    targets
                        .nearest(&format!("@/{content_path}"), targets.content_names())
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
                        targets.nearest(&site_path, targets.path_names())
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
            let (anchors, which) = if i == index {
                (own, "this page")
            } else {
                (&targets.anchors[i], "that page")
            };
            anchor.and_then(|a| missing_anchor(targets, dest, a, anchors, which))
        }
        Target::FullReport(year) => anchor.and_then(|a| {
            missing_anchor(
                targets,
                dest,
                a,
                &targets.report_anchors[&year],
                "the whole report",
            )
        }),
        Target::Other => None,
    }
}

fn missing_anchor(
    targets: &Targets,
    dest: &str,
    anchor: &str,
    anchors: &HashSet<&str>,
    which: &str,
) -> Option<Problem> {
    let anchor = percent_decode_str(anchor).decode_utf8_lossy();
    if anchor.is_empty() || anchor == "top" || anchors.contains(anchor.as_ref()) {
        return None;
    }
    let nearest = (targets.hints_left.get() > 0)
        .then(|| {
            // Sorted, so that the hint is the same from run to run.
            let mut candidates: Vec<String> = anchors.iter().map(|a| format!("#{a}")).collect();
            candidates.sort();
            targets.nearest(&format!("#{anchor}"), candidates.iter().map(String::as_str))
        })
        .flatten();
    problem(
        format!(
            "the link {dest:?} leads to #{anchor}, but {which} has no heading or footnote with that id"
        ),
        nearest.or_else(|| {
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
