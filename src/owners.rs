//! Every output path has one owner: a page, a listing, a file the build generates, a theme
//! file, a static file or a content file. Two of them for one path is an error naming both,
//! found while modelling so that `check` reports it as `build` would.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::diagnostics::{Diagnostic, ProblemKind, display_path};
use crate::highlight;
use crate::jobs::{self, Job};
use crate::paths::output_path;
use crate::publish;
use crate::search;
use crate::site::Site;
use crate::theme::{self, THEME_DIR};

/// Files that hosts read as their own settings, written by the build or kept free by it.
const HOST_FILES: [&str; 2] = [publish::REDIRECTS, "/_headers"];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// Made by the build itself.
    Site,
    /// The built-in theme or the site's own `themes/default/static/`: one owner, since the
    /// site's theme may replace a built-in file.
    Theme,
    /// A page's own address.
    Page(PathBuf),
    /// A listing, term or full-report page, reported at the page it comes from.
    Listing(PathBuf),
    /// A file copied from `static/` or `content/`.
    File(PathBuf),
}

#[derive(Debug, Clone)]
struct Owner {
    source: Source,
    /// In words, for messages: "the page content/about.md".
    what: String,
}

/// Every collision between two owners of one output path.
pub fn check(site: &Site) -> Vec<Diagnostic> {
    let mut owners = Owners::default();
    for path in [
        "/404.html",
        publish::FEED,
        publish::SITEMAP,
        publish::ROBOTS,
    ]
    .into_iter()
    .chain(HOST_FILES)
    {
        let owner = Owner {
            source: Source::Site,
            what: format!("the site's own {path}"),
        };
        owners.claim(&output_path(path), owner);
    }
    for job in jobs::all_jobs(site) {
        if let Some(owner) = job_owner(site, job) {
            owners.claim(&output_path(&jobs::job_url(site, job)), owner);
        }
    }
    let theme = |path: &str| Owner {
        source: Source::Theme,
        what: format!("the theme's {path}"),
    };
    for file in theme::theme_files("static") {
        let inner = file.path().strip_prefix("static").unwrap_or(file.path());
        owners.claim(&display_path(inner), theme(&display_path(inner)));
    }
    let stylesheet = highlight::STYLESHEET.trim_start_matches('/');
    owners.claim(stylesheet, theme(stylesheet));
    for asset in site.static_files.iter().chain(site.assets.iter()) {
        let path = output_path(&asset.url);
        let owner = if asset.source.starts_with(THEME_DIR) {
            theme(&path)
        } else {
            Owner {
                source: Source::File(asset.source.clone()),
                what: display_path(&asset.source),
            }
        };
        owners.claim(&path, owner);
    }
    owners.problems
}

/// Who owns a job's output; `None` for the 404 page, claimed with the site's own files.
fn job_owner(site: &Site, job: Job) -> Option<Owner> {
    let page = |i: usize| site.pages[i].source.path.clone();
    let (source, what) = match job {
        Job::Page(i) => (
            Source::Page(page(i)),
            format!("the page {}", display_path(&page(i))),
        ),
        Job::SectionPage(i, n) => (
            Source::Listing(page(i)),
            format!("page {n} of the listing of {}", display_path(&page(i))),
        ),
        Job::FullReport(i) => (
            Source::Listing(page(i)),
            format!("the full report of {}", display_path(&page(i))),
        ),
        Job::TaxonomyIndex(t) => (
            Source::Site,
            format!("the list of {}", site.taxonomies[t].def.name),
        ),
        Job::Term(t, k, n) => {
            let term = &site.taxonomies[t].terms[k];
            let first = term.pages.first().map(|&i| page(i));
            let what = format!(
                "{}the listing of the {} {:?}",
                if n > 1 {
                    format!("page {n} of ")
                } else {
                    String::new()
                },
                site.taxonomies[t].def.field,
                term.value
            );
            (first.map_or(Source::Site, Source::Listing), what)
        }
        Job::EmptyTerm(t, c) => (
            Source::Site,
            format!(
                "the page of the {} {:?}, which no page has yet",
                site.taxonomies[t].def.field,
                jobs::allowed_value(site, t, c).value
            ),
        ),
        Job::Search => (Source::Site, "the site's search page".to_string()),
        Job::NotFound => return None,
    };
    Some(Owner { source, what })
}

#[derive(Default)]
struct Owners {
    taken: HashMap<String, Owner>,
    /// Folders of the output with the first owner of a file inside: a file cannot take the
    /// name of a folder (`robots.txt/index.html` beside `robots.txt`).
    folders: HashMap<String, Owner>,
    problems: Vec<Diagnostic>,
}

impl Owners {
    /// The owner that already has `path`, its folder's name, or the name of a folder it is.
    fn earlier(&self, path: &str) -> Option<Owner> {
        let search_page = output_path(&format!("/{}/", search::DIR));
        if path.starts_with(&format!("{}/", search::DIR)) && path != search_page {
            // The search index's files are named by the build as it writes them.
            return Some(Owner {
                source: Source::Site,
                what: format!("the site's search index ({}/)", search::DIR),
            });
        }
        self.taken
            .get(path)
            .or_else(|| folders_of(path).find_map(|folder| self.taken.get(folder)))
            .or_else(|| self.folders.get(path))
            .cloned()
    }

    fn claim(&mut self, path: &str, owner: Owner) {
        let Some(earlier) = self.earlier(path) else {
            for folder in folders_of(path) {
                self.folders
                    .entry(folder.to_string())
                    .or_insert_with(|| owner.clone());
            }
            self.taken.insert(path.to_string(), owner);
            return;
        };
        // The site's theme replaces the built-in file; two pages of one address are reported
        // where the pages are modelled.
        if matches!(
            (&earlier.source, &owner.source),
            (Source::Theme, Source::Theme) | (Source::Page(_), Source::Page(_))
        ) {
            return;
        }
        let (at, hint) = match (&owner.source, &earlier.source) {
            (Source::File(file), _) | (_, Source::File(file)) => {
                (file.clone(), "rename or move this file")
            }
            (Source::Page(file), _) | (_, Source::Page(file)) => {
                (file.clone(), "rename the file or set a different `slug`")
            }
            (Source::Listing(file), _) | (_, Source::Listing(file)) => (
                file.clone(),
                "write this value as the other pages write it, or choose another",
            ),
            _ => (PathBuf::from(crate::config::CONFIG_FILE), ""),
        };
        let address = path.strip_suffix("index.html").unwrap_or(path);
        let mut problem = Diagnostic::file_error(
            Path::new(&at),
            format!(
                "{} would be published at /{address}, where it clashes with {}",
                owner.what, earlier.what
            ),
        )
        .with_kind(ProblemKind::UrlCollision);
        if !hint.is_empty() {
            problem = problem.with_hint(hint);
        }
        self.problems.push(problem);
    }
}

/// `a/b/c.html` -> `a/b`, `a`.
fn folders_of(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(|(at, _)| &path[..at])
}
