//! The site's files as `serve` last read them: site.yaml, the content files found, and each
//! Markdown file parsed, keyed by path and the hash of its bytes, so that an edit parses only
//! the files it changed; and what a set of changed paths requires.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::{Config, DEFAULT_MAX_FILE_MB};
use crate::content::{self, ContentFiles, Source};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::images;
use crate::site::hash_of;
use crate::theme::THEME_DIR;

/// A content file as last read.
pub(crate) struct Parsed {
    pub hash: u64,
    pub source: Option<Source>,
    pub problems: Vec<Diagnostic>,
}

/// The files as last read.
pub(crate) struct Sources {
    pub root: PathBuf,
    /// The root as the watcher names it, to recognise the paths it reports.
    absolute_roots: Vec<PathBuf>,
    /// The site's address while it is served, in place of site.yaml's.
    base_url: Option<String>,
    pub config: Option<Config>,
    /// Why site.yaml could not be read, when it could not.
    config_problem: Option<Diagnostic>,
    pub files: ContentFiles,
    /// Problems met finding the files.
    walk_problems: Vec<Diagnostic>,
    pub parsed: HashMap<PathBuf, Parsed>,
}

/// What `Sources::read` found.
pub(crate) struct Read {
    /// The Markdown files parsed anew.
    pub reparsed: Vec<PathBuf>,
    /// Only stylesheets changed.
    pub css_only: bool,
}

impl Sources {
    pub fn new(root: &Path, base_url: Option<String>) -> Sources {
        Sources {
            root: root.to_path_buf(),
            absolute_roots: [std::path::absolute(root), root.canonicalize()]
                .into_iter()
                .flatten()
                .collect(),
            base_url,
            config: None,
            config_problem: None,
            files: ContentFiles::default(),
            walk_problems: Vec::new(),
            parsed: HashMap::new(),
        }
    }

    /// Sorts changed paths into what they require. The site's root among them stands for
    /// changes the watcher lost: every file is read again.
    pub fn classify(&self, paths: &[PathBuf]) -> Edits {
        let mut edits = Edits::default();
        let templates = Path::new(THEME_DIR).join("templates");
        let theme_static = Path::new(THEME_DIR).join("static");
        for path in paths {
            let rel = self
                .absolute_roots
                .iter()
                .find_map(|root| path.strip_prefix(root).ok())
                .unwrap_or(path);
            if rel.as_os_str().is_empty() {
                let mut everything = Edits::everything();
                everything.pages = self.parsed.keys().cloned().collect();
                return everything;
            }
            if rel.components().any(|c| content::is_ignored(c.as_os_str())) {
                continue;
            }
            if rel == Path::new("site.yaml") {
                edits.config = true;
            } else if rel.starts_with(&templates) {
                edits.templates = true;
            } else if rel.starts_with("static") || rel.starts_with(&theme_static) {
                edits.files.insert(rel.to_path_buf());
            } else if rel.starts_with("content") {
                let is_file = self.root.join(rel).is_file();
                if self.parsed.contains_key(rel) && is_file {
                    edits.pages.insert(rel.to_path_buf());
                } else if self.files.assets.iter().any(|a| a == rel) && is_file {
                    edits.files.insert(rel.to_path_buf());
                } else if is_file || self.root.join(rel).exists() || self.knows_below(rel) {
                    // Added, removed, or a folder created, renamed or deleted.
                    edits.discover = true;
                    if self.is_lone_page(rel) {
                        edits.found.insert(rel.to_path_buf());
                    } else {
                        edits.walk = true;
                    }
                }
            }
        }
        edits
    }

    /// Whether `path` is a Markdown file just created or removed whose finding changes no
    /// other file's: not a bundle's `index.md`, which makes the files beside it a bundle's,
    /// and not a link. Finding it needs no walk of every folder.
    fn is_lone_page(&self, path: &Path) -> bool {
        if path.extension().is_none_or(|e| e != "md") || path.ends_with("index.md") {
            return false;
        }
        match std::fs::symlink_metadata(self.root.join(path)) {
            Ok(metadata) => metadata.is_file(),
            Err(_) => self.parsed.contains_key(path),
        }
    }

    /// Whether a content file lies at or below `path`, e.g. in a folder just renamed away.
    fn knows_below(&self, path: &Path) -> bool {
        self.parsed.keys().any(|p| p.starts_with(path))
            || self.files.assets.iter().any(|p| p.starts_with(path))
    }

    /// Reads what `edits` changed: site.yaml, the files found, and the Markdown files whose
    /// bytes changed or that name a changed file (or all, for a new size limit).
    pub fn read(&mut self, edits: &Edits) -> Read {
        let max_mb = self.config.as_ref().map(|c| c.max_file_mb);
        if edits.config || self.config.is_none() {
            (self.config, self.config_problem) =
                match Config::load(&self.root, self.base_url.as_deref()) {
                    Ok(config) => (Some(config), None),
                    Err(problem) => (None, Some(problem)),
                };
        }
        let mut reparse: BTreeSet<PathBuf> = edits.pages.clone();
        if edits.walk {
            let (files, walk_problems) = content::discover(&self.root);
            self.walk_problems = walk_problems;
            let present: HashSet<&PathBuf> = files.pages.iter().collect();
            self.parsed.retain(|path, _| present.contains(path));
            reparse.extend(
                files
                    .pages
                    .iter()
                    .filter(|p| !self.parsed.contains_key(*p))
                    .cloned(),
            );
            self.files = files;
        } else {
            // As walking would find them: `pages` is in the order of the walk, which is
            // that of the paths. `classify` found each a file or gone.
            for path in &edits.found {
                let pages = &mut self.files.pages;
                let at = pages.binary_search(path);
                let is_file = std::fs::symlink_metadata(self.root.join(path))
                    .is_ok_and(|metadata| metadata.is_file());
                match (is_file, at) {
                    (true, Err(at)) => {
                        pages.insert(at, path.clone());
                        reparse.insert(path.clone());
                    }
                    (false, Ok(at)) => {
                        pages.remove(at);
                        self.parsed.remove(path);
                    }
                    _ => {}
                }
            }
        }
        // Front matter names images and attachments, whose presence and size parsing checks;
        // a new size limit may let a file in or keep it out.
        let new_limit = self.config.as_ref().map(|c| c.max_file_mb) != max_mb;
        let forced: BTreeSet<PathBuf> = self
            .parsed
            .iter()
            .filter(|(_, parsed)| {
                new_limit
                    || parsed
                        .source
                        .as_ref()
                        .is_some_and(|s| edits.files.iter().any(|f| names_file(s, f)))
            })
            .map(|(path, _)| path.clone())
            .collect();
        reparse.extend(forced.iter().cloned());
        let css_only = !edits.config
            && !edits.templates
            && !edits.discover
            && edits.pages.is_empty()
            && forced.is_empty()
            && !edits.files.is_empty()
            && edits
                .files
                .iter()
                .all(|f| f.extension().is_some_and(|e| e == "css"));
        let reparsed = self.parse(&reparse, &forced);
        Read { reparsed, css_only }
    }

    /// Each Markdown file's problems from reading it, where it has any.
    pub fn read_problems(&self) -> HashMap<PathBuf, Vec<Diagnostic>> {
        self.parsed
            .iter()
            .filter(|(_, parsed)| !parsed.problems.is_empty())
            .map(|(path, parsed)| (path.clone(), parsed.problems.clone()))
            .collect()
    }

    /// Every problem of the files as last read: site.yaml's, finding the files', and each
    /// Markdown file's.
    pub fn problems(&self) -> Diagnostics {
        let mut problems = Diagnostics::new();
        problems.extend(self.config_problem.iter().cloned());
        problems.extend(self.walk_problems.iter().cloned());
        for parsed in self.parsed.values() {
            problems.extend(parsed.problems.iter().cloned());
        }
        problems
    }

    /// Reads and parses the given Markdown files, skipping those whose bytes are unchanged
    /// unless `forced` (a file they name changed). Returns the files parsed anew.
    fn parse(&mut self, paths: &BTreeSet<PathBuf>, forced: &BTreeSet<PathBuf>) -> Vec<PathBuf> {
        let root = &self.root;
        let parsed = &self.parsed;
        let max_mb = self
            .config
            .as_ref()
            .map_or(DEFAULT_MAX_FILE_MB, |c| c.max_file_mb);
        let fresh: Vec<(PathBuf, Option<Parsed>)> = paths
            .par_iter()
            .map(|path| {
                let bytes = match content::read_file(root, path, max_mb) {
                    Ok(bytes) => bytes,
                    Err(problem) => {
                        // Too big, or gone since the event.
                        let parsed = Parsed {
                            hash: 0,
                            source: None,
                            problems: vec![problem],
                        };
                        return (path.clone(), Some(parsed));
                    }
                };
                let hash = hash_of(&bytes);
                if !forced.contains(path) && parsed.get(path).is_some_and(|p| p.hash == hash) {
                    return (path.clone(), None);
                }
                let (source, problems) = content::parse_bytes(root, path, &bytes);
                (
                    path.clone(),
                    Some(Parsed {
                        hash,
                        source,
                        problems,
                    }),
                )
            })
            .collect();
        let mut reparsed = Vec::new();
        for (path, parsed) in fresh {
            if let Some(parsed) = parsed {
                self.parsed.insert(path.clone(), parsed);
                reparsed.push(path);
            }
        }
        reparsed
    }
}

/// What a set of changed paths requires.
#[derive(Debug, Default)]
pub(crate) struct Edits {
    pub config: bool,
    pub templates: bool,
    /// Content files were added or removed, or folders changed.
    pub discover: bool,
    /// Finding the files needs a walk of every folder.
    pub walk: bool,
    /// Markdown files created or removed that are found without a walk (`is_lone_page`).
    pub found: BTreeSet<PathBuf>,
    /// Markdown files whose text may have changed.
    pub pages: BTreeSet<PathBuf>,
    /// Other files: static files and content assets.
    pub files: BTreeSet<PathBuf>,
}

impl Edits {
    pub fn everything() -> Edits {
        Edits {
            config: true,
            templates: true,
            discover: true,
            walk: true,
            ..Edits::default()
        }
    }

    /// Nothing the site is made from changed (only files it ignores, say).
    pub fn is_empty(&self) -> bool {
        !self.config
            && !self.templates
            && !self.discover
            && self.pages.is_empty()
            && self.files.is_empty()
    }

    /// Adds the edits of a later batch, for one rebuild to take both.
    pub fn merge(&mut self, later: Edits) {
        self.config |= later.config;
        self.templates |= later.templates;
        self.discover |= later.discover;
        self.walk |= later.walk;
        self.found.extend(later.found);
        self.pages.extend(later.pages);
        self.files.extend(later.files);
    }
}

/// Whether the page's front matter names the file at `path` (relative to the root).
fn names_file(source: &Source, path: &Path) -> bool {
    let names = source
        .meta
        .image
        .iter()
        .chain(source.meta.attachments.iter().map(|a| &a.file));
    names
        .into_iter()
        .any(|name| images::named_source(&source.dir(), name) == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(path: &str, front_matter: &str) -> Source {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/serve");
        let text = format!("---\n{front_matter}\n---\nBody\n");
        let (source, _) = content::parse_bytes(&root, Path::new(path), text.as_bytes());
        source.expect("front matter reads")
    }

    #[test]
    fn a_page_created_or_removed_is_found_without_a_walk_as_a_walk_finds_it() {
        let site = tempfile::tempdir().unwrap();
        let root = site.path();
        let write = |path: &str| {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "---\ntitle: A page\n---\nText\n").unwrap();
        };
        write("site.yaml");
        for page in ["content/b.md", "content/d/e.md", "content/kit/index.md"] {
            write(page);
        }
        let mut sources = Sources::new(root, None);
        sources.read(&Edits::everything());
        let created = ["content/a.md", "content/d.md", "content/d/a.md"];
        for page in created {
            write(page);
        }
        std::fs::remove_file(root.join("content/b.md")).unwrap();
        let mut changed: Vec<PathBuf> = created.iter().map(PathBuf::from).collect();
        changed.push(PathBuf::from("content/b.md"));
        let edits = sources.classify(&changed);
        assert!(edits.discover && !edits.walk);
        assert_eq!(edits.found.len(), 4);
        sources.read(&edits);
        let (walked, _) = content::discover(root);
        assert_eq!(sources.files.pages, walked.pages);
        let mut parsed: Vec<&PathBuf> = sources.parsed.keys().collect();
        parsed.sort();
        assert_eq!(parsed, walked.pages.iter().collect::<Vec<_>>());

        // A bundle's index.md makes the files beside it the bundle's: every folder is walked.
        write("content/d/index.md");
        let edits = sources.classify(&[PathBuf::from("content/d/index.md")]);
        assert!(edits.walk);
    }

    #[test]
    fn a_page_names_its_image_and_attachments_beside_it_or_under_static() {
        let page = source(
            "content/resources/kit/index.md",
            "title: Kit\nimage: /images/photo-01.png\nattachments:\n  - file: plan.pdf\n    title: Plan",
        );
        assert!(names_file(&page, Path::new("static/images/photo-01.png")));
        assert!(names_file(
            &page,
            Path::new("content/resources/kit/plan.pdf")
        ));
        assert!(!names_file(&page, Path::new("content/resources/plan.pdf")));
        assert!(!names_file(&page, Path::new("static/images/photo-02.png")));
    }
}
