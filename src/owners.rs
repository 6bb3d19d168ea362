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
use crate::site::{Asset, CHECKPOINT_EVERY, Site};
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

/// Who claims an output path. Described in words only for a collision, which is rare: a
/// big site claims tens of thousands of paths.
#[derive(Debug, Clone, Copy)]
enum Owner<'s> {
    /// A file the build makes itself, by its address.
    Site(&'static str),
    /// One of the search index's files, which the build names as it writes them.
    SearchIndex,
    Job(Job),
    /// A file of the built-in theme, by its output path.
    Theme(&'s str),
    Asset(&'s Asset),
}

impl Owner<'_> {
    /// Where a collision is reported, and who is who in its message: "the page content/about.md".
    fn describe(self, site: &Site) -> (Source, String) {
        let theme = |path: &str| (Source::Theme, format!("the theme's {path}"));
        match self {
            Owner::Site(path) => (Source::Site, format!("the site's own {path}")),
            Owner::SearchIndex => (
                Source::Site,
                format!("the site's search index ({}/)", search::DIR),
            ),
            Owner::Job(job) => describe_job(site, job),
            Owner::Theme(path) => theme(path),
            Owner::Asset(asset) if asset.source.starts_with(THEME_DIR) => {
                theme(&output_path(&asset.url))
            }
            Owner::Asset(asset) => (
                Source::File(asset.source.clone()),
                display_path(&asset.source),
            ),
        }
    }
}

/// Every collision between two owners of one output path. `checkpoint` may stop it between
/// jobs: a big site has tens of thousands.
pub fn check<E>(
    site: &Site,
    checkpoint: &(dyn Fn() -> Result<(), E> + Sync),
) -> Result<Vec<Diagnostic>, E> {
    let mut owners = Owners::new(site);
    for path in [
        "/404.html",
        publish::FEED,
        publish::SITEMAP,
        publish::ROBOTS,
    ]
    .into_iter()
    .chain(HOST_FILES)
    {
        owners.claim(&output_path(path), Owner::Site(path));
    }
    // The 404 page is claimed above, before any page could take its name as a folder.
    let jobs = jobs::all_jobs(site);
    for some in jobs.chunks(CHECKPOINT_EVERY) {
        checkpoint()?;
        for &job in some.iter().filter(|&&j| j != Job::NotFound) {
            owners.claim(&output_path(&jobs::job_url(site, job)), Owner::Job(job));
        }
    }
    let theme_files: Vec<String> = theme::theme_files("static")
        .into_iter()
        .map(|file| display_path(file.path().strip_prefix("static").unwrap_or(file.path())))
        .collect();
    for path in &theme_files {
        owners.claim(path, Owner::Theme(path));
    }
    let stylesheet = highlight::STYLESHEET.trim_start_matches('/');
    owners.claim(stylesheet, Owner::Theme(stylesheet));
    for asset in site.static_files.iter().chain(site.assets.iter()) {
        owners.claim(&output_path(&asset.url), Owner::Asset(asset));
    }
    Ok(owners.problems)
}

/// Where a collision with a job's output is reported, and the job in words.
fn describe_job(site: &Site, job: Job) -> (Source, String) {
    let page = |i: usize| site.pages[i].source.path.clone();
    match job {
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
        Job::NotFound => Owner::Site("/404.html").describe(site),
    }
}

struct Owners<'s> {
    site: &'s Site,
    taken: HashMap<String, Owner<'s>>,
    /// Folders of the output with the first owner of a file inside: a file cannot take the
    /// name of a folder (`robots.txt/index.html` beside `robots.txt`).
    folders: HashMap<String, Owner<'s>>,
    /// The search index's folder (`search/`) and its page's own file in it.
    search_folder: String,
    search_page: String,
    problems: Vec<Diagnostic>,
}

impl<'s> Owners<'s> {
    fn new(site: &'s Site) -> Owners<'s> {
        Owners {
            site,
            taken: HashMap::new(),
            folders: HashMap::new(),
            search_folder: format!("{}/", search::DIR),
            search_page: output_path(&format!("/{}/", search::DIR)),
            problems: Vec::new(),
        }
    }

    /// The owner that already has `path`, its folder's name, or the name of a folder it is.
    fn earlier(&self, path: &str) -> Option<Owner<'s>> {
        if path.starts_with(&self.search_folder) && path != self.search_page {
            return Some(Owner::SearchIndex);
        }
        self.taken
            .get(path)
            .or_else(|| folders_of(path).find_map(|folder| self.taken.get(folder)))
            .or_else(|| self.folders.get(path))
            .copied()
    }

    fn claim(&mut self, path: &str, owner: Owner<'s>) {
        let Some(earlier) = self.earlier(path) else {
            for folder in folders_of(path) {
                if !self.folders.contains_key(folder) {
                    self.folders.insert(folder.to_string(), owner);
                }
            }
            self.taken.insert(path.to_string(), owner);
            return;
        };
        let (source, what) = owner.describe(self.site);
        let (earlier_source, earlier_what) = earlier.describe(self.site);
        // The site's theme replaces the built-in file; two pages of one address are reported
        // where the pages are modelled.
        if matches!(
            (&earlier_source, &source),
            (Source::Theme, Source::Theme) | (Source::Page(_), Source::Page(_))
        ) {
            return;
        }
        let (at, hint) = match (&source, &earlier_source) {
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
                "{what} would be published at /{address}, where it clashes with {earlier_what}"
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::site::{test_config, test_sources};

    #[test]
    fn the_output_path_checks_give_way_between_pages_of_a_big_site() {
        let files: Vec<(String, &str)> = (0..2 * CHECKPOINT_EVERY)
            .map(|i| (format!("content/notes/note-{i}.md"), "title: A note"))
            .collect();
        let files: Vec<(&str, &str)> = files.iter().map(|(p, f)| (p.as_str(), *f)).collect();
        let (site, _) = Site::build(test_config(), test_sources(&files), &[], true);
        // Newer edits arrive once the check has begun.
        let asked = AtomicUsize::new(0);
        let checkpoint = || match asked.fetch_add(1, Ordering::SeqCst) {
            0 => Ok(()),
            _ => Err("overtaken"),
        };
        assert_eq!(check(&site, &checkpoint), Err("overtaken"));
        asked.store(0, Ordering::SeqCst);
        assert_eq!(publish::check(&site, &checkpoint), Err("overtaken"));
        assert!(check(&site, &|| Ok::<(), ()>(())).is_ok());
    }
}
