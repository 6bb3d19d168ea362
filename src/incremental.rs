//! Rebuilding after edits. The files as last read (`sources`) and every page's rendered
//! Markdown are kept, so that an edit parses only the files it changed and rebuilds the cheap
//! parts of the model. Each output page keeps the reads its template context
//! recorded (`render::Reads`), so that only pages given something different are rendered
//! again, however pages were added, removed or moved; templates, site.yaml and stylesheet
//! names, which every page uses, render all.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use tera::Tera;

use crate::assets::{self, Fingerprints};
use crate::background_drop::BackgroundDrop;
use crate::content::{Source, url_segment};
use crate::diagnostics::display_path;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::images::Pictures;
use crate::jobs::{self, Job};
use crate::links;
use crate::models::TAXONOMIES;
use crate::output::{Files, MemorySink};
use crate::paths::output_path;
use crate::pipeline::{self, StaticFile};
use crate::render::{self, Previous, Reads};
use crate::search;
use crate::site::{self, Body, ModelCache, Page, Site};
use crate::sources::{Edits, Parsed, Sources};
use crate::theme::{self, Templates};

/// What a rebuild produced.
#[derive(Debug)]
pub struct Outcome {
    /// The whole built site, by output path.
    pub files: Arc<Files>,
    /// Output paths whose content this rebuild changed, added or removed.
    pub changed: Vec<String>,
    /// How many pages were rendered (the others kept from the previous build).
    pub rendered: usize,
    /// Only stylesheets changed, and pages only in the hashed names they link them by, so
    /// open pages can swap them instead of reloading.
    pub css_only: bool,
    pub warnings: Arc<[Diagnostic]>,
    /// Each page's output path and its source file, so that `serve` can tell which pages a
    /// failed rebuild broke.
    pub sources: Arc<HashMap<String, PathBuf>>,
}

/// The pages an edit serves before its rebuild (`Session::first_pages`), to lay over the
/// files served until the rebuild's own are.
#[derive(Debug, Default)]
pub struct FirstPages {
    /// Output paths and their provisional content.
    pub files: Files,
    /// Output paths of pages removed.
    pub removed: Vec<String>,
    /// How many pages were rendered.
    pub rendered: usize,
    /// Only stylesheets changed, and pages only in the hashed names they link them by.
    pub css_only: bool,
    /// The model these pages were rendered from, which renders any other page asked for
    /// before the rebuild ends; with `None`, other pages are served as they were.
    pub provisional: Option<Arc<Provisional>>,
}

/// The model of the last build with the edits since laid over it, as an edit's pages shown
/// first are rendered from. The rebuild finds which other pages the edits change, which on a
/// big site takes a while; meanwhile any page asked for is rendered from this model when it
/// is, so that a listing or term page opened then shows the edit as the rebuild will.
pub struct Provisional {
    site: Site,
    tera: Arc<Tera>,
    /// Output path -> job of the last build, and of the terms made again (see `job_at`).
    jobs: Arc<HashMap<String, Job>>,
    term_jobs: Option<HashMap<String, Job>>,
    /// Each page rendered on request, once: `None` where it could not be.
    rendered: Mutex<HashMap<String, Option<Arc<[u8]>>>>,
}

impl std::fmt::Debug for Provisional {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provisional")
            .field("pages", &self.site.pages.len())
            .finish_non_exhaustive()
    }
}

impl Provisional {
    fn job_of(&self, path: &str) -> Option<Job> {
        job_at(&self.jobs, self.term_jobs.as_ref(), path)
    }

    /// The page at an output path as rendered from this model; `None` where no page of it
    /// is there or rendering it found a problem (the rebuild then reports it).
    pub fn page(&self, path: &str) -> Option<Arc<[u8]>> {
        let job = self.job_of(path)?;
        let rendered_once = || self.rendered.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(done) = rendered_once().get(path) {
            return done.clone();
        }
        let sink = MemorySink::default();
        let rendered =
            render::render_changed(&self.site, &self.tera, &[job], None, &sink, &|| false);
        let page = if rendered.problems.is_empty() {
            sink.into_files().remove(path)
        } else {
            None
        };
        rendered_once().insert(path.to_string(), page.clone());
        page
    }
}

/// The job at an output path: of the last build, or of the terms made again when edits
/// gained or lost some (whose jobs then replace every taxonomy job of the last build).
fn job_at(
    jobs: &HashMap<String, Job>,
    term_jobs: Option<&HashMap<String, Job>>,
    path: &str,
) -> Option<Job> {
    match term_jobs {
        None => jobs.get(path).copied(),
        Some(term_jobs) => term_jobs.get(path).copied().or_else(|| {
            jobs.get(path)
                .copied()
                .filter(|job| !jobs::is_taxonomy_job(*job))
        }),
    }
}

fn page_sources(site: &Site) -> Arc<HashMap<String, PathBuf>> {
    Arc::new(
        site.pages
            .iter()
            .map(|p| (output_path(p.url()), p.source.path.clone()))
            .collect(),
    )
}

/// The last build that succeeded, to compare the next one against.
struct Built {
    /// Shared with the site-wide work while it runs; an edit meanwhile changes a copy.
    site: Arc<Site>,
    theme: Theme,
    /// Files copied, stylesheets and scripts at their hashed names.
    statics: BTreeMap<String, StaticFile>,
    /// Every job's reads, by the job's site path.
    reads: HashMap<String, Reads>,
    files: Arc<Files>,
    /// Output paths this build wrote anew or removed.
    changed: Vec<String>,
    rendered: usize,
    /// Each page's output path and source file.
    sources: Arc<HashMap<String, PathBuf>>,
    site_wide: SiteWideState,
    /// Output path -> job, for every job of the model; shared with the model an edit shows
    /// first.
    jobs: Arc<HashMap<String, Job>>,
    warnings: Warnings,
}

/// The warnings a build serves, and what reading each file found, so that a body edit can
/// swap what the edited page gave for what it gives now and keep every other page's.
#[derive(Clone)]
struct Warnings {
    all: Arc<[Diagnostic]>,
    /// Each file's problems from reading it, where it has any.
    read: HashMap<PathBuf, Vec<Diagnostic>>,
}

/// The theme's templates as read, and compiled.
#[derive(Clone)]
struct Theme {
    templates: Arc<Templates>,
    tera: Arc<Tera>,
    /// The names the templates link stylesheets and scripts by.
    fingerprints: Arc<Fingerprints>,
}

/// How the outputs made from every page at once stand against the pages.
#[derive(Clone, Default)]
struct SiteWideState {
    /// Their output paths as last made.
    published: BTreeSet<String>,
    /// Counts the rebuilds whose pages the site-wide outputs must follow.
    generation: u64,
    /// The generation they were last made from.
    made: u64,
    /// The newest generation handed out to be made.
    requested: u64,
}

/// The model as one rebuild left it, for making the feed, sitemap, redirects and search index
/// away from the edits (on a worker of their own), so that the edited page is served first.
pub struct SiteWideWork {
    generation: u64,
    site: Arc<Site>,
    tera: Arc<Tera>,
    search: Arc<Mutex<search::Kept>>,
}

/// What `SiteWideWork::run` made, to put in place with `Session::put_site_wide`.
pub struct SiteWide {
    generation: u64,
    made: Result<Files, Vec<Diagnostic>>,
    /// How long making them took.
    pub took: Duration,
}

impl SiteWideWork {
    pub fn run(&self) -> SiteWide {
        let started = Instant::now();
        let sink = MemorySink::default();
        let mut kept = self.search.lock().unwrap_or_else(PoisonError::into_inner);
        let mut problems =
            pipeline::write_site_wide(&self.site, &self.tera, &sink, Some(&mut kept));
        let made = if problems.is_empty() {
            Ok(sink.into_files())
        } else {
            problems.sort();
            Err(problems)
        };
        SiteWide {
            generation: self.generation,
            made,
            took: started.elapsed(),
        }
    }
}

/// The state `serve` keeps between builds of one site.
pub struct Session {
    sources: Sources,
    /// Edits read and not yet rebuilt: what the next `finish` takes.
    pending: Pending,
    /// Rendered Markdown and related lists, kept for the next model.
    bodies: Bodies,
    related: Related,
    /// What the last search index was made of, for making the next from the pages edited since.
    search: Arc<Mutex<search::Kept>>,
    built: Option<Built>,
    /// The last build succeeded, so every file parsed since is in the model as served, or
    /// among the pending edits.
    in_sync: bool,
}

/// Edits read from disk and not yet rebuilt, gathered over every batch a rebuild has not taken.
#[derive(Default)]
struct Pending {
    edits: Edits,
    /// The Markdown files parsed anew.
    reparsed: BTreeSet<PathBuf>,
    /// Only stylesheets changed; `None` before the first batch.
    css_only: Option<bool>,
}

/// Why a rebuild did not finish.
enum Stop {
    Problems(Vec<Diagnostic>),
    /// Newer edits arrived: they are rebuilt together with these.
    Overtaken,
}

impl From<Vec<Diagnostic>> for Stop {
    fn from(problems: Vec<Diagnostic>) -> Stop {
        Stop::Problems(problems)
    }
}

impl Session {
    /// A full build of the site at `root`, drafts included.
    pub fn new(
        root: &Path,
        base_url: Option<String>,
    ) -> (Session, Result<Outcome, Vec<Diagnostic>>) {
        let mut session = Session {
            sources: Sources::new(root, base_url),
            pending: Pending::default(),
            bodies: Bodies::default(),
            related: Related::default(),
            search: Arc::default(),
            built: None,
            in_sync: false,
        };
        session.take_edits(Edits::everything());
        let outcome = session.finish_now();
        // The first build is served whole.
        let outcome = match (outcome, session.catch_up()) {
            (Ok(outcome), Some(Ok(whole))) => Ok(Outcome {
                files: whole.files,
                ..outcome
            }),
            (Ok(_), Some(Err(problems))) | (Err(problems), _) => Err(problems),
            (Ok(outcome), None) => Ok(outcome),
        };
        (session, outcome)
    }

    /// Rebuilds after the files at `paths` (relative to the root, or absolute below it) changed,
    /// were created or were removed. On failure the previous build stays as it was.
    pub fn update(&mut self, paths: &[PathBuf]) -> Result<Outcome, Vec<Diagnostic>> {
        self.take(paths);
        self.finish_now()
    }

    /// Reads the files at `paths`, which changed, were created or were removed, for the next
    /// `first_pages` and `finish`.
    pub fn take(&mut self, paths: &[PathBuf]) {
        let edits = self.sources.classify(paths);
        self.take_edits(edits);
    }

    /// Whether edits taken wait for `finish`: saving a file the site ignores (an editor's
    /// hidden temporary file, say) makes none.
    pub fn has_edits(&self) -> bool {
        !self.pending.edits.is_empty()
    }

    fn take_edits(&mut self, edits: Edits) {
        let read = self.sources.read(&edits);
        let pending = &mut self.pending;
        pending.css_only = Some(read.css_only && pending.css_only.unwrap_or(true));
        pending.edits.merge(edits);
        pending.reparsed.extend(read.reparsed);
    }

    /// Rebuilds with every edit taken, unless `overtaken` says that newer edits wait, in which
    /// case it stops early (`None`) and the next `finish` takes these edits with the newer.
    /// On failure the previous build stays as it was.
    pub fn finish(
        &mut self,
        overtaken: &(dyn Fn() -> bool + Sync),
    ) -> Option<Result<Outcome, Vec<Diagnostic>>> {
        let pending = std::mem::take(&mut self.pending);
        match self.build(&pending, overtaken) {
            Err(Stop::Overtaken) => {
                self.pending = pending;
                None
            }
            Err(Stop::Problems(problems)) => {
                self.in_sync = false;
                Some(Err(problems))
            }
            Ok(outcome) => {
                self.in_sync = true;
                Some(Ok(outcome))
            }
        }
    }

    /// `finish` to the end, whatever arrives meanwhile.
    fn finish_now(&mut self) -> Result<Outcome, Vec<Diagnostic>> {
        loop {
            if let Some(result) = self.finish(&|| false) {
                return result;
            }
        }
    }

    /// The pages an editor waits for, served before the rest of the rebuild: those of the
    /// edited Markdown files and the `viewed` output paths (the few pages open in the
    /// browser), rendered against the last model with the pending edits put in
    /// (edited pages in place, new ones in their section, removed ones gone, and a new
    /// site.yaml, templates and stylesheets), with the edited files the site copies. The
    /// next `finish` renders them again from the whole model. `None` when there is nothing to
    /// serve first (nothing the site is made from changed), when the last build failed, or
    /// when anything edited has errors, which `finish` reports.
    pub fn first_pages(&self, viewed: &[String]) -> Option<FirstPages> {
        if !self.in_sync || self.pending.edits.is_empty() {
            return None;
        }
        let built = self.built.as_ref()?;
        let root = &self.sources.root;
        let edits = &self.pending.edits;
        let mut site = (*built.site).clone();
        if edits.config {
            site.config = self.sources.config.clone()?;
        }
        if !edits.files.is_empty() {
            // A file new since the last model (a theme's first stylesheet of its own, say).
            site.static_files = Arc::new(pipeline::find_static_files(root).0);
        }
        // A stylesheet or script of new content has a new name, which every page links. Other
        // files keep their names: a picture or attachment saved while saves of other kinds
        // wait to be rebuilt made every file hashed again for each save shown first.
        let edited_assets: BTreeSet<PathBuf> = edits
            .files
            .iter()
            .filter(|file| assets::is_fingerprinted(&display_path(file)))
            .cloned()
            .collect();
        let renamed = edits.config || !edited_assets.is_empty();
        let (statics, fingerprints) = if renamed {
            // The files to copy come from the last model, as the rest of this one does, and
            // site.yaml changes none of them: only edited ones are made again.
            let (statics, fingerprints) = pipeline::fingerprint_edited(
                root,
                &built.statics,
                &built.theme.fingerprints,
                &edited_assets,
            )
            .or_else(|| pipeline::fingerprint(root, &site).ok())?;
            (Cow::Owned(statics), Arc::new(fingerprints))
        } else {
            (
                Cow::Borrowed(&built.statics),
                built.theme.fingerprints.clone(),
            )
        };
        let tera = if renamed || edits.templates {
            let templates = theme::read_templates(root).ok()?;
            Arc::new(theme::compile(&templates, site.config.base_path(), &fingerprints).ok()?)
        } else {
            built.theme.tera.clone()
        };
        let sink = MemorySink::default();
        for (path, file) in statics.iter() {
            if self.is_edited(file, &edits.files) || !built.statics.contains_key(path) {
                file.copy(root, path, &sink).ok()?;
            }
        }

        let mut first: BTreeSet<Job> = BTreeSet::new();
        // Terms a page gained or lost: their pages list it, or no longer do.
        let mut changed_terms: BTreeSet<(usize, String)> = BTreeSet::new();
        // A page shown first by an edit since the last rebuild and gone since.
        let mut vanished = false;
        for path in &self.pending.reparsed {
            // Moved or removed again since it was read (its rebuild overtaken): what is
            // there now is among the files read, and a page gone is found gone below.
            let Some(parsed) = self.sources.parsed.get(path) else {
                vanished = true;
                continue;
            };
            let source = parsed.source.clone()?;
            if parsed.problems.iter().any(Diagnostic::is_error) {
                return None;
            }
            let body = site.render_body(&source);
            if body.problems.iter().any(Diagnostic::is_error) {
                return None;
            }
            let known = site.page_of_file(path);
            let before = known.map(|i| site.pages[i].clone());
            let terms_before = before.as_deref().map(page_terms).unwrap_or_default();
            let index = match known {
                Some(index) => index,
                None => {
                    // The rebuild reports a page that takes another's address.
                    if site.pages.iter().any(|p| p.source.url == source.url) {
                        return None;
                    }
                    site.add_page(source.clone())
                }
            };
            site.put_body(index, source, body);
            first.extend(jobs::page_jobs(&site, index));
            let terms_now = page_terms(&site.pages[index]);
            let gained_or_lost = terms_before.symmetric_difference(&terms_now);
            let count = changed_terms.len();
            changed_terms.extend(gained_or_lost.cloned());
            if changed_terms.len() > count
                || before
                    .as_deref()
                    .is_some_and(|b| site.lists_apart(b, index))
            {
                site.move_page_terms(index, before.as_deref());
            }
        }
        let mut removed = Vec::new();
        // Only finding the files again can find one gone; without a walk, only those found.
        let gone: Vec<usize> = if edits.walk {
            (0..site.pages.len())
                .filter(|&i| !self.sources.parsed.contains_key(&site.pages[i].source.path))
                .collect()
        } else {
            edits
                .found
                .iter()
                .filter(|path| !self.sources.parsed.contains_key(*path))
                .filter_map(|path| site.page_of_file(path))
                .collect()
        };
        for index in gone {
            removed.extend(
                jobs::page_jobs(&site, index)
                    .into_iter()
                    .map(|job| output_path(&jobs::job_url(&site, job))),
            );
            site.unlist_page(index);
        }
        // Pages of the last model keep their jobs' numbers in the provisional one; the
        // terms' jobs are numbered anew when the terms are made again.
        let term_jobs = if changed_terms.is_empty() {
            None
        } else {
            for (t, segment) in &changed_terms {
                let terms = &site.taxonomies[*t].terms;
                if let Some(k) = terms
                    .iter()
                    .position(|term| url_segment(&term.value) == *segment)
                {
                    first.insert(Job::Term(*t, k, 1));
                }
                first.insert(Job::TaxonomyIndex(*t));
            }
            let jobs: HashMap<String, Job> = jobs::taxonomy_jobs(&site)
                .into_iter()
                .map(|job| (output_path(&jobs::job_url(&site, job)), job))
                .collect();
            Some(jobs)
        };
        first.extend(
            viewed
                .iter()
                .filter(|path| !removed.contains(path))
                .filter_map(|path| job_at(&built.jobs, term_jobs.as_ref(), path)),
        );
        let first: Vec<Job> = first.into_iter().collect();
        let rendered = render::render_changed(&site, &tera, &first, None, &sink, &|| false);
        if !rendered.problems.is_empty() {
            return None;
        }
        let first = FirstPages {
            files: sink.into_files(),
            removed,
            rendered: rendered.urls.len(),
            css_only: self.pending.css_only == Some(true),
            provisional: Some(Arc::new(Provisional {
                site,
                tera,
                jobs: built.jobs.clone(),
                term_jobs,
                rendered: Mutex::default(),
            })),
        };
        // Served in place of what earlier edits showed first, so that a page gone since is
        // no longer among them.
        (!first.files.is_empty() || !first.removed.is_empty() || vanished).then_some(first)
    }

    /// The site-wide work the last rebuild left, unless it is handed out already or the
    /// outputs are up to date.
    pub fn site_wide_work(&mut self) -> Option<SiteWideWork> {
        let built = self.built.as_mut()?;
        let state = &mut built.site_wide;
        if state.requested == state.generation {
            return None;
        }
        state.requested = state.generation;
        Some(SiteWideWork {
            generation: state.generation,
            site: built.site.clone(),
            tera: built.theme.tera.clone(),
            search: self.search.clone(),
        })
    }

    /// Puts site-wide outputs in place of the last ones, even those of a generation that edits
    /// have overtaken (newer work follows them); `None` when there is no build to put them in.
    pub fn put_site_wide(&mut self, fresh: SiteWide) -> Option<Result<Outcome, Vec<Diagnostic>>> {
        let built = self.built.as_mut()?;
        if fresh.generation <= built.site_wide.made {
            return None;
        }
        let fresh_files = match fresh.made {
            Ok(files) => files,
            Err(problems) => {
                self.built = None;
                return Some(Err(problems));
            }
        };
        built.site_wide.made = fresh.generation;
        let mut files = (*built.files).clone();
        let mut changed = put_site_wide(&mut files, &mut built.site_wide.published, fresh_files);
        changed.sort();
        built.files = Arc::new(files);
        Some(Ok(Outcome {
            files: built.files.clone(),
            changed,
            rendered: 0,
            css_only: false,
            warnings: built.warnings.all.clone(),
            sources: built.sources.clone(),
        }))
    }

    /// What the last search index made anew rather than took from the one before.
    pub fn search_work(&self) -> search::Work {
        self.search
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .work()
    }

    /// Makes the site-wide outputs here and now; `None` when they are up to date. With it,
    /// the site equals a full build.
    pub fn catch_up(&mut self) -> Option<Result<Outcome, Vec<Diagnostic>>> {
        let built = self.built.as_mut()?;
        // Work handed out and not yet put back is made again here.
        built.site_wide.requested = built.site_wide.made;
        let work = self.site_wide_work()?;
        self.put_site_wide(work.run())
    }

    fn build(
        &mut self,
        pending: &Pending,
        overtaken: &(dyn Fn() -> bool + Sync),
    ) -> Result<Outcome, Stop> {
        let edits = &pending.edits;
        if let Some(outcome) = self.body_edits(edits, &pending.reparsed) {
            return Ok(outcome?);
        }
        let checkpoint = || {
            if overtaken() {
                Err(Stop::Overtaken)
            } else {
                Ok(())
            }
        };
        checkpoint()?;
        let (site, warnings, (statics, fingerprints)) = match self.theme_edits_alone(pending) {
            Some(kept) => kept,
            None => {
                let (site, warnings) = self.model(&checkpoint)?;
                checkpoint()?;
                let fingerprinted = pipeline::fingerprint(&self.sources.root, &site)?;
                (site, warnings, fingerprinted)
            }
        };
        // A stylesheet or script of new content has a new name, which every page links.
        let keep = self
            .built
            .as_ref()
            .filter(|built| !edits.config && statics.keys().eq(built.statics.keys()));
        let (theme, edited_templates) = match keep {
            Some(kept) if !edits.templates => (kept.theme.clone(), None),
            _ => {
                let templates = theme::read_templates(&self.sources.root)?;
                let tera = theme::compile(&templates, site.config.base_path(), &fingerprints)?;
                let edited =
                    keep.map(|kept| theme::affected_templates(&kept.theme.templates, &templates));
                let theme = Theme {
                    templates: Arc::new(templates),
                    tera: Arc::new(tera),
                    fingerprints: Arc::new(fingerprints),
                };
                (theme, edited)
            }
        };
        // Pages keep their output unless what they read or their templates changed.
        let keep = keep.map(|_| edited_templates.unwrap_or_default());
        let built = self.render(
            keep,
            site.into_inner(),
            theme,
            statics,
            warnings,
            &edits.files,
            overtaken,
        )?;
        let outcome = Outcome {
            files: built.files.clone(),
            changed: built.changed.clone(),
            rendered: built.rendered,
            css_only: pending.css_only == Some(true) && !built.changed.is_empty(),
            warnings: built.warnings.all.clone(),
            sources: built.sources.clone(),
        };
        // Freeing the last model here would hold up the next edit.
        if let Some(last) = self.built.replace(built) {
            drop(BackgroundDrop::new(last));
        }
        Ok(outcome)
    }

    /// The checked model of the sources as last read, with its warnings.
    fn model(
        &mut self,
        checkpoint: &(dyn Fn() -> Result<(), Stop> + Sync),
    ) -> Result<(BackgroundDrop<Site>, Warnings), Stop> {
        let problems = self.sources.problems();
        let Some(config) = self.sources.config.clone() else {
            return Err(problems.into_sorted().into());
        };
        // Copying every source's text takes a while on a big site: on all cores, and
        // given up as soon as newer edits wait. In no particular order: the model sorts its
        // pages, and sorting them here took 25 ms at 10,000 pages with no point to give way.
        let sources: Vec<Source> = self
            .sources
            .parsed
            .par_iter()
            .filter_map(|(_, p)| p.source.as_ref())
            .map(|source| checkpoint().map(|()| source.clone()))
            .collect::<Result<_, Stop>>()?;
        // Forget the bodies of files that are gone.
        self.bodies
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|path, _| self.sources.parsed.contains_key(path));
        let cache = KeptModel {
            bodies: &self.bodies,
            parsed: &self.sources.parsed,
            related: &self.related,
        };
        let (site, warnings) = pipeline::model(
            Pictures::new(&self.sources.root, &config),
            config,
            sources,
            &self.sources.files.assets,
            true,
            &cache,
            problems,
            checkpoint,
        )?;
        // Freed elsewhere if a checkpoint gives up.
        let site = BackgroundDrop::new(site);
        let warnings = Warnings {
            all: warnings.into(),
            read: self.sources.read_problems(),
        };
        Ok((site, warnings))
    }

    /// The last model, its warnings and its files to copy, when only the theme changed since:
    /// templates, or stylesheets and scripts it published. Checking every page again took
    /// about 250 ms at 10,000 pages, which a newer save waited out where it could not give
    /// way. `None` when anything else changed.
    #[allow(clippy::type_complexity)]
    fn theme_edits_alone(
        &self,
        pending: &Pending,
    ) -> Option<(
        BackgroundDrop<Site>,
        Warnings,
        (BTreeMap<String, StaticFile>, Fingerprints),
    )> {
        let edits = &pending.edits;
        let built = self.built.as_ref().filter(|_| self.in_sync)?;
        let content_edited = edits.config
            || edits.discover
            || edits.walk
            || !edits.found.is_empty()
            || !edits.pages.is_empty()
            || !pending.reparsed.is_empty();
        if content_edited {
            return None;
        }
        let fingerprinted = pipeline::fingerprint_edited(
            &self.sources.root,
            &built.statics,
            &built.theme.fingerprints,
            &edits.files,
        )?;
        Some((
            BackgroundDrop::new((*built.site).clone()),
            built.warnings.clone(),
            fingerprinted,
        ))
    }

    /// Renders the pages whose reads differ from the last build's, or whose templates are among
    /// those `keep` names (all pages without `keep`, when site.yaml or the names pages link
    /// files by changed), and copies the files that changed. The site-wide outputs of the
    /// last build stay until they are made again.
    #[allow(clippy::too_many_arguments)]
    fn render(
        &self,
        keep: Option<BTreeSet<String>>,
        site: Site,
        theme: Theme,
        statics: BTreeMap<String, StaticFile>,
        warnings: Warnings,
        changed_files: &BTreeSet<PathBuf>,
        overtaken: &(dyn Fn() -> bool + Sync),
    ) -> Result<Built, Stop> {
        let previous = self.built.as_ref();
        let kept = previous.filter(|_| keep.is_some());
        let copied: BTreeMap<String, StaticFile> = statics
            .iter()
            .filter(|(path, file)| {
                kept.is_none_or(|kept| {
                    self.is_edited(file, changed_files) || kept.statics.get(*path) != Some(*file)
                })
            })
            .map(|(path, file)| (path.clone(), file.clone()))
            .collect();
        // Not a copy of the last build's reads without the edited templates' pages: making
        // one took 20-35 ms at 10,000 pages that a newer save could not cut short.
        let recorded = match (kept, &keep) {
            (Some(kept), Some(edited)) => Previous::new(&kept.reads, Some(edited)),
            _ => Previous::NOTHING,
        };
        let sink = MemorySink::default();
        let mut rendered = pipeline::write_pages(
            &self.sources.root,
            &site,
            &theme.tera,
            &copied,
            Some(recorded),
            &sink,
            overtaken,
        );
        if rendered.overtaken {
            drop(BackgroundDrop::new((site, sink, rendered)));
            return Err(Stop::Overtaken);
        }
        if !rendered.problems.is_empty() {
            rendered.problems.sort();
            return Err(rendered.problems.into());
        }
        let mut files = Files::new();
        let mut site_wide = SiteWideState::default();
        if let Some(previous) = previous {
            site_wide = previous.site_wide.clone();
            // Served as they were until made again.
            for path in &site_wide.published {
                if let Some(bytes) = previous.files.get(path) {
                    files.insert(path.clone(), bytes.clone());
                }
            }
        }
        if let Some(kept) = kept {
            let gone: HashSet<String> = kept
                .reads
                .keys()
                .filter(|url| !rendered.reads.contains_key(*url))
                .map(|url| output_path(url))
                .collect();
            files.extend(
                kept.files
                    .iter()
                    .filter(|(path, _)| !gone.contains(*path))
                    .map(|(path, bytes)| (path.clone(), bytes.clone())),
            );
        }
        merge(&mut files, sink.into_files());
        let mut changed: Vec<String> = match previous {
            Some(old) => files
                .iter()
                .filter(|(path, bytes)| old.files.get(*path) != Some(*bytes))
                .map(|(path, _)| path)
                .chain(old.files.keys().filter(|path| !files.contains_key(*path)))
                .cloned()
                .collect(),
            None => files.keys().cloned().collect(),
        };
        changed.sort();
        site_wide.generation += 1;
        Ok(Built {
            sources: page_sources(&site),
            jobs: Arc::new(jobs_by_path(&site)),
            site: Arc::new(site),
            theme,
            statics,
            reads: rendered.reads,
            files: Arc::new(files),
            changed,
            rendered: rendered.urls.len(),
            site_wide,
            warnings,
        })
    }

    /// Whether `file` is copied from a file among `changed` (relative to the root).
    fn is_edited(&self, file: &StaticFile, changed: &BTreeSet<PathBuf>) -> bool {
        match file {
            StaticFile::Disk(from) => {
                changed.contains(from.strip_prefix(&self.sources.root).unwrap_or(from))
            }
            StaticFile::BuiltIn(_) | StaticFile::Made(..) => false,
        }
    }

    /// Edits that change page bodies alone leave the model as it was but for those bodies:
    /// each is rendered again in place, and only the jobs that show it. `None` when anything
    /// else changed, or when a changed file has errors (the full path reports them all).
    fn body_edits(
        &mut self,
        edits: &Edits,
        reparsed: &BTreeSet<PathBuf>,
    ) -> Option<Result<Outcome, Vec<Diagnostic>>> {
        if !self.in_sync
            || edits.config
            || edits.templates
            || edits.discover
            || !edits.files.is_empty()
        {
            return None;
        }
        let built = self.built.as_ref()?;
        let targets = links::Targets::of(&built.site);
        let bodies = self.bodies.lock().unwrap_or_else(PoisonError::into_inner);
        let mut updates = Vec::new();
        // The warnings the edited pages gave as last built, and those they give now.
        let mut gone = Vec::new();
        let mut new = Vec::new();
        for path in reparsed {
            let parsed = self.sources.parsed.get(path)?;
            let source = parsed.source.as_ref()?;
            let index = built.site.page_of_file(path)?;
            let old = &built.site.pages[index].source;
            let same_front_matter = old.meta == source.meta
                && old.url == source.url
                && old.kind == source.kind
                && old.is_section == source.is_section
                && old.is_bundle == source.is_bundle;
            if !same_front_matter || parsed.problems.iter().any(Diagnostic::is_error) {
                return None;
            }
            let body = built.site.render_body(source);
            let link_problems = links::check_page(&built.site, &targets, index, &body.rendered);
            if body
                .problems
                .iter()
                .chain(&link_problems)
                .any(Diagnostic::is_error)
            {
                return None;
            }
            gone.extend(built.warnings.read.get(path).into_iter().flatten().cloned());
            gone.extend(
                bodies
                    .get(path)
                    .into_iter()
                    .flat_map(|kept| kept.body.problems.iter().cloned()),
            );
            let old = &built.site.pages[index].rendered;
            gone.extend(links::check_page(&built.site, &targets, index, old));
            new.extend(parsed.problems.iter().cloned());
            new.extend(body.problems.iter().cloned());
            new.extend(link_problems);
            updates.push((index, source.clone(), body, parsed));
        }
        drop(bodies);
        let settings = site::body_settings(&built.site.config);
        // The next model takes each new body as it is, and the next body edit of the page
        // knows what it gave.
        let cache = KeptModel {
            bodies: &self.bodies,
            parsed: &self.sources.parsed,
            related: &self.related,
        };
        let built = self.built.as_mut()?;
        let site = Arc::make_mut(&mut built.site);
        let mut edited = Vec::new();
        for (index, source, body, parsed) in updates {
            let path = source.path.clone();
            if parsed.problems.is_empty() {
                built.warnings.read.remove(&path);
            } else {
                built
                    .warnings
                    .read
                    .insert(path.clone(), parsed.problems.clone());
            }
            cache.put_body(&source, settings, &body);
            site.put_body(index, source, body);
            edited.push(path);
        }
        built.warnings.all = swap_warnings(&built.warnings.all, &gone, new);
        // Only the pages that show an edited page can change: the others' contexts hold none
        // of its values, and the values every page shares come from front matter alone.
        let candidates: Vec<Job> = built
            .reads
            .iter()
            .filter(|(_, reads)| edited.iter().any(|path| reads.shows(path)))
            .filter_map(|(url, _)| built.jobs.get(&output_path(url)).copied())
            .collect();
        let sink = MemorySink::default();
        let rendered = render::render_changed(
            &built.site,
            &built.theme.tera,
            &candidates,
            Some(Previous::new(&built.reads, None)),
            &sink,
            &|| false,
        );
        let problems = rendered.problems;
        if !problems.is_empty() {
            // The model has moved on from the files served: the next build starts afresh.
            self.built = None;
            return Some(Err(problems));
        }
        // The search index holds every body's text, but rebuilding it takes far longer than
        // the page: the page is served first, and the site-wide work follows.
        built.site_wide.generation += 1;
        let mut files = (*built.files).clone();
        let mut made = sink.into_files();
        // A picture the edit shows for the first time is published with the page.
        for (path, file) in built.site.pictures.files() {
            if files.contains_key(&path) {
                continue;
            }
            if let Ok(bytes) = std::fs::read(file) {
                made.insert(path, Arc::from(bytes));
            }
        }
        built.changed = merge(&mut files, made);
        built.changed.sort();
        built.files = Arc::new(files);
        built.rendered = rendered.urls.len();
        built.reads.extend(rendered.reads);
        Some(Ok(Outcome {
            files: built.files.clone(),
            changed: built.changed.clone(),
            rendered: built.rendered,
            css_only: false,
            warnings: built.warnings.all.clone(),
            sources: built.sources.clone(),
        }))
    }
}

/// `all` without `gone` (each once) and with `new`, sorted as a build sorts them.
fn swap_warnings(
    all: &[Diagnostic],
    gone: &[Diagnostic],
    new: Vec<Diagnostic>,
) -> Arc<[Diagnostic]> {
    let mut kept = all.to_vec();
    for warning in gone {
        if let Ok(at) = kept.binary_search(warning) {
            kept.remove(at);
        }
    }
    kept.extend(new);
    kept.into_iter()
        .collect::<Diagnostics>()
        .into_sorted()
        .into()
}

/// A page's terms: each taxonomy's position and the term's address segment.
fn page_terms(page: &Page) -> BTreeSet<(usize, String)> {
    TAXONOMIES
        .iter()
        .enumerate()
        .flat_map(|(t, def)| {
            let meta = &page.source.meta;
            meta.terms(def.field)
                .into_iter()
                .map(move |value| (t, url_segment(value)))
        })
        .collect()
}

/// Every job of the site by its output path.
fn jobs_by_path(site: &Site) -> HashMap<String, Job> {
    jobs::all_jobs(site)
        .into_iter()
        .map(|job| (output_path(&jobs::job_url(site, job)), job))
        .collect()
}

/// Puts fresh site-wide outputs in place of the last ones, removing any no longer made;
/// returns the paths that changed.
fn put_site_wide(files: &mut Files, published: &mut BTreeSet<String>, fresh: Files) -> Vec<String> {
    let mut changed: Vec<String> = published
        .iter()
        .filter(|path| !fresh.contains_key(*path))
        .cloned()
        .collect();
    for path in &changed {
        files.remove(path);
    }
    *published = fresh.keys().cloned().collect();
    changed.extend(merge(files, fresh));
    changed
}

/// Puts newly rendered files in place; returns the paths whose content changed.
fn merge(files: &mut Files, fresh: Files) -> Vec<String> {
    let mut changed = Vec::new();
    for (path, bytes) in fresh {
        // Rendered again but the same: nothing for open pages to reload.
        if files.get(&path) != Some(&bytes) {
            changed.push(path.clone());
            files.insert(path, bytes);
        }
    }
    changed.sort();
    changed
}

/// Rendered Markdown by file, with what it was rendered from.
type Bodies = Mutex<HashMap<PathBuf, KeptBody>>;

struct KeptBody {
    /// The hash of the file's bytes, which hold all that rendering reads besides what the
    /// body records it looked up.
    file: u64,
    settings: u64,
    body: Body,
}

/// Related case studies with the key of what they were computed from.
type Related = Mutex<Option<(u64, Vec<(usize, Vec<usize>)>)>>;

/// The kept parts of the model: bodies valid for the files as last parsed, and related lists.
struct KeptModel<'a> {
    bodies: &'a Bodies,
    parsed: &'a HashMap<PathBuf, Parsed>,
    related: &'a Related,
}

impl KeptModel<'_> {
    fn file_hash(&self, source: &Source) -> Option<u64> {
        self.parsed.get(&source.path).map(|p| p.hash)
    }
}

impl ModelCache for KeptModel<'_> {
    fn get_body(&self, source: &Source, settings: u64) -> Option<Body> {
        let file = self.file_hash(source)?;
        let bodies = self.bodies.lock().unwrap_or_else(|p| p.into_inner());
        let kept = bodies.get(&source.path)?;
        (kept.settings == settings && kept.file == file).then(|| kept.body.clone())
    }

    fn put_body(&self, source: &Source, settings: u64, body: &Body) {
        let Some(file) = self.file_hash(source) else {
            return;
        };
        let body = KeptBody {
            file,
            settings,
            body: body.clone(),
        };
        self.bodies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(source.path.clone(), body);
    }

    fn get_related(&self, key: u64) -> Option<Vec<(usize, Vec<usize>)>> {
        let related = self.related.lock().unwrap_or_else(|p| p.into_inner());
        related
            .as_ref()
            .filter(|(kept, _)| *kept == key)
            .map(|(_, lists)| lists.clone())
    }

    fn put_related(&self, key: u64, related: &[(usize, Vec<usize>)]) {
        *self.related.lock().unwrap_or_else(|p| p.into_inner()) = Some((key, related.to_vec()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_counts_only_files_whose_bytes_differ() {
        let mut files = Files::new();
        files.insert("a.html".into(), Arc::from(&b"one"[..]));
        files.insert("b.html".into(), Arc::from(&b"two"[..]));
        let mut fresh = Files::new();
        fresh.insert("a.html".into(), Arc::from(&b"one"[..]));
        fresh.insert("b.html".into(), Arc::from(&b"TWO"[..]));
        fresh.insert("c.html".into(), Arc::from(&b"three"[..]));
        assert_eq!(merge(&mut files, fresh), ["b.html", "c.html"]);
        assert_eq!(&*files["b.html"], b"TWO");
    }

    #[test]
    fn edits_to_the_theme_alone_keep_the_model_and_any_other_edit_checks_it_again() {
        let site = tempfile::tempdir().unwrap();
        let root = site.path();
        let write = |path: &str, text: &str| {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "site.yaml",
            "title: \"Parish news\"\nbase_url: \"https://example.org/\"\n",
        );
        write("content/_index.md", "---\ntitle: Home\n---\n\nWelcome.\n");
        write("content/about.md", "---\ntitle: About\n---\n\nAbout us.\n");
        write(
            "themes/default/static/style.css",
            "body { color: #0b0c0c; }\n",
        );
        let (mut session, first) = Session::new(root, None);
        first.expect("first build");
        let kept = |session: &Session| session.theme_edits_alone(&session.pending).is_some();

        write("themes/default/static/style.css", "body { color: #111; }\n");
        write(
            "themes/default/templates/404.html",
            "{% extends \"base.html\" %}{% block content %}Gone{% endblock content %}",
        );
        session.take(&[
            root.join("themes/default/static/style.css"),
            root.join("themes/default/templates/404.html"),
        ]);
        assert!(kept(&session));
        session.finish(&|| false).unwrap().unwrap();

        write(
            "content/about.md",
            "---\ntitle: About\n---\n\nAbout the parish.\n",
        );
        write("themes/default/static/style.css", "body { color: #222; }\n");
        session.take(&[
            root.join("content/about.md"),
            root.join("themes/default/static/style.css"),
        ]);
        assert!(!kept(&session));
        session.finish(&|| false).unwrap().unwrap();

        // A stylesheet new to the site changes what the model checks addresses against.
        write("themes/default/static/print.css", "body { color: #000; }\n");
        session.take(&[root.join("themes/default/static/print.css")]);
        assert!(!kept(&session));
    }
}
