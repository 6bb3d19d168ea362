//! The site model: published pages with their rendered Markdown, the sections that list them,
//! taxonomies, related pages and report order, all by index so that rendering can share them.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::convert::Infallible;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::background_drop::BackgroundDrop;
use crate::config::Config;
use crate::content::{Source, content_relative, url_segment};
use crate::diagnostics::{Diagnostic, ProblemKind, display_path};
use crate::images::{self, InText, Pictures};
use crate::markdown::{self, Rendered};
use crate::models::{Kind, TAXONOMIES, TaxonomyDef, display_name};
use crate::related;
use crate::sanitize::Sanitizer;
use crate::spill::Spill;

/// How many related case studies a case study shows.
const RELATED_COUNT: usize = 3;

/// A report section's body as it appears in the whole report.
#[derive(Debug)]
pub struct Part {
    /// The id of the section in the whole report: the last segment of its URL.
    pub id: String,
    pub rendered: Rendered,
}

/// `/annual-report/2020-21/grants/` -> `grants`.
fn part_id(url: &str) -> &str {
    url.trim_end_matches('/').rsplit('/').next().unwrap_or(url)
}

#[derive(Debug, Clone)]
pub struct Page {
    /// Its `body` is left empty: once rendered, the Markdown is only needed as `rendered`.
    pub source: Source,
    /// Shared so that `serve` can keep it for the next build when the body is unchanged.
    pub rendered: Arc<Rendered>,
    /// For report sections: the body as a part of the whole report.
    pub part: Option<Arc<Part>>,
    /// The section (an `_index.md` page) whose listing shows this page.
    pub parent: Option<usize>,
    /// For section pages: the pages they list, in listing order.
    pub children: Vec<usize>,
    /// For section pages: the sections directly below.
    pub subsections: Vec<usize>,
    pub related: Vec<usize>,
    pub previous: Option<usize>,
    pub next: Option<usize>,
}

impl Page {
    pub fn url(&self) -> &str {
        &self.source.url
    }

    pub fn is_home(&self) -> bool {
        self.source.content_path == "_index.md"
    }
}

#[derive(Debug, Clone)]
pub struct Term {
    pub value: String,
    pub name: String,
    pub url: String,
    pub pages: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Taxonomy {
    pub def: &'static TaxonomyDef,
    pub url: String,
    pub terms: Vec<Term>,
}

/// A file copied into the output as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// Relative to the site root.
    pub source: PathBuf,
    /// Its site path, e.g. `/resources/kit/plan.pdf`.
    pub url: String,
}

#[derive(Debug, Clone)]
/// Shared parts are behind `Arc`, so that `serve` copies the model of a big site in a moment to
/// put an edit in before the model is built again.
pub struct Site {
    pub config: Config,
    /// Published pages, sorted by URL.
    pub pages: Vec<Arc<Page>>,
    pub taxonomies: Arc<Vec<Taxonomy>>,
    /// Files under `content/`, published beside their pages.
    pub assets: Arc<Vec<Asset>>,
    /// Files of `static/` and of the site's own theme `static/`, published as they are.
    pub static_files: Arc<Vec<Asset>>,
    /// Drafts left out of this build, by content path and URL, so that a link to one is
    /// reported as a link to a draft.
    pub drafts_left_out: Arc<Vec<(String, String)>>,
    /// The pictures pages show, made small and responsive.
    pub pictures: Arc<Pictures>,
    /// Where Markdown links lead, as the model was made.
    targets: Arc<LinkTargets>,
}

/// Pages and content files by the names Markdown links give them, made once with the model:
/// a body rendered again after an edit looks each link up rather than going through every
/// page and file of the site.
#[derive(Debug, Default)]
struct LinkTargets {
    /// Positions in `Site::pages` by content path; pages added since (`Site::add_page`)
    /// follow them there.
    pages: HashMap<String, usize>,
    /// Content files' site paths by content path.
    files: HashMap<String, String>,
    /// Content files by site path.
    sources: HashMap<String, PathBuf>,
}

impl LinkTargets {
    /// `pages` as they stand in the model, and the files placed beside them.
    fn new(pages: &[Source], assets: &[Asset]) -> LinkTargets {
        let content_files = || assets.iter().filter(|a| a.source.starts_with("content"));
        LinkTargets {
            pages: pages
                .iter()
                .enumerate()
                .map(|(i, s)| (s.content_path.clone(), i))
                .collect(),
            files: content_files()
                .map(|a| (content_relative(&a.source), a.url.clone()))
                .collect(),
            sources: content_files()
                .map(|a| (a.url.clone(), a.source.clone()))
                .collect(),
        }
    }
}

/// Cleans raw HTML in Markdown, unless site.yaml trusts it.
fn sanitizer_for(config: &Config) -> Option<Sanitizer> {
    config
        .html
        .sanitize
        .then(|| Sanitizer::new(&config.html.iframe_hosts))
}

/// A page's Markdown rendered, with what rendering it found wrong.
#[derive(Debug, Clone)]
pub struct Body {
    pub rendered: Arc<Rendered>,
    pub part: Option<Arc<Part>>,
    pub problems: Vec<Diagnostic>,
    /// What rendering looked up beyond the page's own file, with a hash of each answer: the
    /// body is the same wherever every lookup answers the same.
    lookups: Vec<Lookup>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Lookup {
    /// The site address of a content path a link names.
    Target(String, u64),
    /// The content file at a site path.
    File(String, u64),
    /// The bytes of a picture shown, by size and time written, which its published names
    /// follow.
    Picture(PathBuf, u64),
}

/// What an earlier build of the model computed, so that `serve` computes again only what an
/// edit changed. Rendered Markdown is valid for the same source rendered with the same
/// `settings` (the base path and how raw HTML is treated) while every link target, file and
/// picture it looked up is as it was; related case studies for the same `key` (which
/// identifies every case study's place, date, title and terms).
pub trait ModelCache: Sync {
    fn get_body(&self, source: &Source, settings: u64) -> Option<Body>;
    fn put_body(&self, source: &Source, settings: u64, body: &Body);
    fn get_related(&self, key: u64) -> Option<Vec<(usize, Vec<usize>)>>;
    fn put_related(&self, key: u64, related: &[(usize, Vec<usize>)]);
    /// Where rendered bodies wait to be written; in memory when `None`.
    fn spill(&self) -> Option<&Arc<Spill>> {
        None
    }
}

/// Pages or jobs checked between two checkpoints where each takes a few microseconds: a big
/// site has tens of thousands.
pub const CHECKPOINT_EVERY: usize = 1024;

/// A checkpoint that never stops: for models built to the end whatever happens meanwhile.
pub fn to_the_end<E>() -> Result<(), E> {
    Ok(())
}

/// No earlier build: `build` computes everything. With `spill`, each page's HTML and text wait
/// there to be written rather than in memory.
#[derive(Default)]
pub struct NoCache {
    pub spill: Option<Arc<Spill>>,
}

impl ModelCache for NoCache {
    fn get_body(&self, _: &Source, _: u64) -> Option<Body> {
        None
    }
    fn put_body(&self, _: &Source, _: u64, _: &Body) {}
    fn get_related(&self, _: u64) -> Option<Vec<(usize, Vec<usize>)>> {
        None
    }
    fn put_related(&self, _: u64, _: &[(usize, Vec<usize>)]) {}
    fn spill(&self) -> Option<&Arc<Spill>> {
        self.spill.as_ref()
    }
}

/// What a body's rendering reads of site.yaml: the base path, and what keeps, cleans or
/// refuses raw HTML. A body kept under other settings is rendered again.
pub fn body_settings(config: &Config) -> u64 {
    hash_of((
        config.base_path(),
        config.html.sanitize,
        &config.html.iframe_hosts,
    ))
}

impl Site {
    /// Builds the model from parsed sources. Drafts are dropped unless `drafts` is set.
    pub fn build(
        config: Config,
        sources: Vec<Source>,
        asset_paths: &[PathBuf],
        drafts: bool,
    ) -> (Site, Vec<Diagnostic>) {
        let pictures = Arc::new(Pictures::off());
        let Ok(built) = Site::build_cached(
            config,
            sources,
            asset_paths,
            Vec::new(),
            drafts,
            &NoCache::default(),
            pictures,
            &to_the_end::<Infallible>,
        );
        built
    }

    /// `build` with the site's static files, taking each body's rendered Markdown from `cache`
    /// when it is there. Between its steps `checkpoint` may stop it (`serve` stops a model
    /// that newer edits make moot).
    #[allow(clippy::too_many_arguments)]
    pub fn build_cached<E: Send>(
        config: Config,
        sources: Vec<Source>,
        asset_paths: &[PathBuf],
        static_files: Vec<Asset>,
        drafts: bool,
        cache: &dyn ModelCache,
        pictures: Arc<Pictures>,
        checkpoint: &(dyn Fn() -> Result<(), E> + Sync),
    ) -> Result<(Site, Vec<Diagnostic>), E> {
        let mut problems = Vec::new();
        let (published, left_out): (Vec<Source>, Vec<Source>) =
            sources.into_iter().partition(|s| drafts || !s.meta.draft);
        // Freed elsewhere if a checkpoint gives up, like the pages made from it.
        let mut published = BackgroundDrop::new(published);
        published.sort_by(|a, b| a.url.cmp(&b.url).then_with(|| a.path.cmp(&b.path)));
        problems.extend(url_collisions(&published));
        // Once rendered, the Markdown is only needed as `rendered`: each body is let go as soon
        // as it is, so that the whole site's Markdown is never held beside its HTML.
        let markdown: Vec<Arc<str>> = published
            .iter_mut()
            .map(|s| std::mem::take(&mut s.body))
            .collect();

        let assets = place_assets(&published, asset_paths);
        let targets = BackgroundDrop::new(LinkTargets::new(&published, &assets));
        let sanitizer = sanitizer_for(&config);
        let drafts_left_out: BTreeSet<(String, String)> = left_out
            .iter()
            .map(|s| (s.content_path.clone(), s.url.clone()))
            .collect();
        let settings = body_settings(&config);

        let resolve = |path: &str| {
            let url = match targets.pages.get(path) {
                Some(&i) => &published[i].url,
                None => targets.files.get(path)?,
            };
            Some(config.link(url))
        };
        let content_file = |url: &str| targets.sources.get(url).cloned();
        let ctx = BodyContext {
            resolve: &resolve,
            base_path: config.base_path(),
            sanitizer: sanitizer.as_ref(),
            pictures: &pictures,
            content_file: &content_file,
            spill: cache.spill(),
        };
        let bodies: Vec<Body> = published
            .par_iter()
            .zip(markdown)
            .map(|(source, markdown)| {
                checkpoint()?;
                let cached = cache.get_body(source, settings);
                if let Some(cached) = cached.filter(|body| answers_alike(body, source, &ctx)) {
                    return Ok(cached);
                }
                let body = render_body(source, &markdown, &ctx);
                cache.put_body(source, settings, &body);
                Ok(body)
            })
            .collect::<Result<_, E>>()?;

        problems.extend(
            published
                .par_iter()
                .flat_map_iter(|source| lead_picture_problems(source, &pictures))
                .collect::<Vec<_>>(),
        );
        // A body kept from an earlier build asked for no pictures in this one: its pictures are
        // asked for again, so that this build publishes them.
        published
            .par_iter()
            .zip(&bodies)
            .for_each(|(source, body)| {
                for link in body.rendered.links.iter().filter(|l| l.picture) {
                    let file = markdown::linked_file(
                        &link.dest,
                        &source.content_path,
                        config.base_path(),
                        &content_file,
                    );
                    if let Some(file) = file {
                        pictures.get(&file);
                    }
                }
            });
        let mut pages = BackgroundDrop::new(Vec::with_capacity(published.len()));
        for (source, body) in published.into_inner().into_iter().zip(bodies) {
            problems.extend(body.problems);
            pages.push(Page {
                source,
                rendered: body.rendered,
                part: body.part,
                parent: None,
                children: Vec::new(),
                subsections: Vec::new(),
                related: Vec::new(),
                previous: None,
                next: None,
            });
        }
        checkpoint()?;
        link_sections(&mut pages);
        checkpoint()?;
        problems.extend(same_titles(&pages, checkpoint)?);
        checkpoint()?;
        link_report_order(&mut pages);
        checkpoint()?;
        let (taxonomies, term_problems) = build_taxonomies(&mut pages, &config.tag_names);
        problems.extend(term_problems);
        checkpoint()?;
        link_related(&mut pages, &taxonomies, cache, checkpoint)?;
        Ok((
            Site {
                config,
                pages: pages.into_inner().into_iter().map(Arc::new).collect(),
                taxonomies: Arc::new(taxonomies),
                assets: Arc::new(assets),
                static_files: Arc::new(static_files),
                drafts_left_out: Arc::new(drafts_left_out.into_iter().collect()),
                pictures,
                targets: Arc::new(targets.into_inner()),
            },
            problems,
        ))
    }

    /// A page's body rendered again after an edit that left its front matter as it was, so
    /// that every link target is as it was when the model was built.
    pub fn render_body(&self, source: &Source) -> Body {
        let resolve = |path: &str| {
            let url = match self.find_page(path) {
                Some(i) => self.pages[i].url(),
                None => self.targets.files.get(path)?,
            };
            Some(self.config.link(url))
        };
        let content_file = |url: &str| self.content_file(url);
        let sanitizer = sanitizer_for(&self.config);
        let ctx = BodyContext {
            resolve: &resolve,
            base_path: self.config.base_path(),
            sanitizer: sanitizer.as_ref(),
            pictures: &self.pictures,
            content_file: &content_file,
            spill: None,
        };
        render_body(source, &source.body, &ctx)
    }

    /// The file of `content/` at a site path, e.g. `/case-studies/hall/photo.jpg`.
    pub fn content_file(&self, url: &str) -> Option<PathBuf> {
        self.targets.sources.get(url).cloned()
    }

    /// The position of the page of a content path (`case-studies/hall.md`).
    pub fn find_page(&self, content_path: &str) -> Option<usize> {
        let modelled = self.targets.pages.len();
        self.targets.pages.get(content_path).copied().or_else(|| {
            (modelled..self.pages.len())
                .find(|&i| self.pages[i].source.content_path == content_path)
        })
    }

    /// The position of the page of a Markdown file (`content/case-studies/hall.md`).
    pub fn page_of_file(&self, path: &Path) -> Option<usize> {
        self.find_page(&content_relative(path))
            .filter(|&i| self.pages[i].source.path == path)
    }

    /// Adds a page made from `source` to the model as `build` would place it in its section's
    /// listing, though in no taxonomy or related list; returns its index. For serving an
    /// edit's own page before the model is built again.
    pub fn add_page(&mut self, source: Source) -> usize {
        let sections = sections_by_dir(self.pages.iter().map(|page| &**page));
        let parent = listing_dir(&source).and_then(|dir| nearest_section(&sections, dir));
        let page = Page {
            source,
            rendered: Arc::default(),
            part: None,
            parent,
            children: Vec::new(),
            subsections: Vec::new(),
            related: Vec::new(),
            previous: None,
            next: None,
        };
        let index = self.pages.len();
        if let Some(parent) = parent {
            let listed = if page.source.is_section {
                &self.pages[parent].subsections
            } else {
                &self.pages[parent].children
            };
            let at = listed.partition_point(|&other| {
                listing_order(&self.pages[other], &page) == Ordering::Less
            });
            let parent = Arc::make_mut(&mut self.pages[parent]);
            if page.source.is_section {
                parent.subsections.insert(at, index);
            } else {
                parent.children.insert(at, index);
            }
        }
        self.pages.push(Arc::new(page));
        index
    }

    /// Puts an edited page's source and rendered body in place of the model's.
    pub fn put_body(&mut self, index: usize, source: Source, body: Body) {
        let page = Arc::make_mut(&mut self.pages[index]);
        page.source = source;
        page.rendered = body.rendered;
        page.part = body.part;
    }

    /// Makes the terms again from the pages as they are now, for serving the term pages of an
    /// edited page before the model is built again; spellings are chosen, not yet put in pages.
    pub fn relist_terms(&mut self) {
        let taxonomies = TAXONOMIES
            .par_iter()
            .map(|def| build_taxonomy(def, &self.pages, &self.config.tag_names).0)
            .collect();
        self.taxonomies = Arc::new(taxonomies);
    }

    /// Moves a page among the terms after an edit changed its terms from those `before` had,
    /// or its date or title, which order them (a page new to the model has no `before`), for
    /// serving term pages before the model is built again. Only the terms it joined or left change; where a term is written in more
    /// than one way, the spelling shown may change, so the terms are made again.
    pub fn move_page_terms(&mut self, index: usize, before: Option<&Page>) {
        let moved = before.is_some_and(|before| self.lists_apart(before, index));
        let mut taxonomies = (*self.taxonomies).clone();
        for (t, def) in TAXONOMIES.iter().enumerate() {
            let spellings = |page: &Page| -> BTreeMap<String, String> {
                let terms = page.source.meta.terms(def.field);
                terms
                    .into_iter()
                    .map(|value| (url_segment(value), value.to_string()))
                    .collect()
            };
            let old = before.map(spellings).unwrap_or_default();
            let new = spellings(&self.pages[index]);
            let terms = &mut taxonomies[t].terms;
            for (segment, value) in &old {
                if new.contains_key(segment) {
                    continue;
                }
                let url = term_url(def, value);
                let Some(k) = terms.iter().position(|term| term.url == url) else {
                    continue;
                };
                if !self.spelt_alike(def, &terms[k], value) {
                    return self.relist_terms();
                }
                terms[k].pages.retain(|&i| i != index);
                if terms[k].pages.is_empty() {
                    terms.remove(k);
                }
            }
            for (segment, value) in &new {
                let kept = old.get(segment);
                if kept.is_some_and(|spelling| spelling != value) {
                    return self.relist_terms();
                }
                let page = &self.pages[index];
                if kept.is_some() && !moved {
                    continue;
                }
                let url = term_url(def, value);
                match terms.iter().position(|term| term.url == url) {
                    Some(k) => {
                        if !self.spelt_alike(def, &terms[k], value) {
                            return self.relist_terms();
                        }
                        // Where it was, if its date or title moved it.
                        let pages = &mut terms[k].pages;
                        pages.retain(|&i| i != index);
                        let at = pages.partition_point(|&other| {
                            newest_first(&self.pages[other], page) == Ordering::Less
                        });
                        pages.insert(at, index);
                    }
                    None => {
                        let term = Term {
                            name: term_name(def, &self.config.tag_names, value),
                            url,
                            value: value.clone(),
                            pages: vec![index],
                        };
                        let at = terms.partition_point(|other| {
                            term_order(def, other, &term) == Ordering::Less
                        });
                        terms.insert(at, term);
                    }
                }
            }
        }
        self.taxonomies = Arc::new(taxonomies);
    }

    /// Whether the page at `index` now stands elsewhere in the lists of its terms than
    /// `before` did.
    pub fn lists_apart(&self, before: &Page, index: usize) -> bool {
        newest_first(before, &self.pages[index]) != Ordering::Equal
    }

    /// Whether every page of `term`, and `value`, write it as the term is shown.
    fn spelt_alike(&self, def: &TaxonomyDef, term: &Term, value: &str) -> bool {
        // A fixed vocabulary's values are its choices, each at an address of its own (a test
        // proves it): only free tags can be written two ways, so only their pages are read.
        if def.choices.is_some() {
            return value == term.value;
        }
        let segment = url_segment(&term.value);
        value == term.value
            && term.pages.iter().all(|&i| {
                let terms = self.pages[i].source.meta.terms(def.field);
                terms
                    .iter()
                    .all(|other| *other == term.value || url_segment(other) != segment)
            })
    }

    /// Takes a page out of its section's listing, for serving the listing before the model is
    /// built again without the page.
    pub fn unlist_page(&mut self, index: usize) {
        if let Some(parent) = self.pages[index].parent {
            let parent = Arc::make_mut(&mut self.pages[parent]);
            parent.children.retain(|&i| i != index);
            parent.subsections.retain(|&i| i != index);
        }
    }

    pub fn home(&self) -> Option<usize> {
        self.pages.iter().position(|page| page.is_home())
    }

    /// The chain of sections above a page, from home down to its parent.
    pub fn ancestors(&self, index: usize) -> Vec<usize> {
        let mut chain = Vec::new();
        let mut current = self.pages[index].parent;
        while let Some(i) = current {
            chain.push(i);
            current = self.pages[i].parent;
        }
        chain.reverse();
        chain
    }

    /// Pages of a kind, in the order their own section lists them.
    pub fn pages_of_kind(&self, kind: Kind) -> Vec<usize> {
        let mut found: Vec<usize> = (0..self.pages.len())
            .filter(|&i| self.pages[i].source.kind == kind && !self.pages[i].source.is_section)
            .collect();
        found.sort_by(|&a, &b| listing_order(&self.pages[a], &self.pages[b]));
        found
    }
}

/// What a body is rendered with, the same for every page of a build.
struct BodyContext<'a> {
    resolve: &'a (dyn Fn(&str) -> Option<String> + Sync),
    base_path: &'a str,
    sanitizer: Option<&'a Sanitizer>,
    pictures: &'a Pictures,
    content_file: &'a (dyn Fn(&str) -> Option<PathBuf> + Sync),
    spill: Option<&'a Arc<Spill>>,
}

/// What is wrong with the picture a page's front matter names, at its `image:` line.
fn lead_picture_problems(source: &Source, pictures: &Pictures) -> Option<Diagnostic> {
    let name = source.meta.image.as_deref()?;
    let problem = match pictures.get(&images::named_source(&source.dir(), name))? {
        Ok(picture) => picture.too_small.clone()?,
        Err(problem) => problem,
    };
    let (line, column) = source.meta.image_position;
    Some(problem.at(&source.path, line, column))
}

/// Renders a page's Markdown, and a report section's part of the whole report. Where its
/// links lead is checked once the whole site is known (`links::check`).
fn render_body(source: &Source, markdown: &str, with: &BodyContext) -> Body {
    let lookups = Mutex::new(Vec::new());
    let note = |lookup: Lookup| {
        lookups
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(lookup)
    };
    let resolve = |path: &str| {
        let url = (with.resolve)(path);
        note(Lookup::Target(path.to_string(), hash_of(&url)));
        url
    };
    let content_file = |url: &str| {
        let file = (with.content_file)(url);
        note(Lookup::File(url.to_string(), hash_of(&file)));
        file
    };
    let ctx = markdown::Context {
        path: &source.path,
        content_path: &source.content_path,
        first_line: source.body_line,
        base_path: with.base_path,
        sanitizer: with.sanitizer,
        pictures: Some(InText {
            pictures: with.pictures,
            lead: source.meta.image.is_none(),
            content_file: &content_file,
        }),
    };
    let (rendered, problems) = markdown::render(markdown, &ctx, &resolve);
    let part = (source.kind == Kind::ReportSection).then(|| {
        let id = part_id(&source.url).to_string();
        let rendered = markdown::render_part(markdown, &ctx, &id, &resolve).spilled(with.spill);
        Arc::new(Part { id, rendered })
    });
    let mut lookups = lookups.into_inner().unwrap_or_else(|p| p.into_inner());
    lookups.extend(shown_pictures(&rendered, source, with).map(|file| {
        let version = hash_of(with.pictures.version(&file));
        Lookup::Picture(file, version)
    }));
    Body {
        rendered: Arc::new(rendered.spilled(with.spill)),
        part,
        problems,
        lookups,
    }
}

/// The files of the pictures a body shows.
fn shown_pictures<'a>(
    rendered: &'a Rendered,
    source: &'a Source,
    with: &'a BodyContext,
) -> impl Iterator<Item = PathBuf> + 'a {
    rendered
        .links
        .iter()
        .filter(|l| l.picture)
        .filter_map(|link| {
            markdown::linked_file(
                &link.dest,
                &source.content_path,
                with.base_path,
                with.content_file,
            )
        })
}

/// Whether every lookup a body made answers now as it did then, so that rendering its
/// unchanged source again would give the same body.
fn answers_alike(body: &Body, source: &Source, with: &BodyContext) -> bool {
    let pictures: Vec<PathBuf> = shown_pictures(&body.rendered, source, with).collect();
    body.lookups.iter().all(|lookup| match lookup {
        Lookup::Target(path, answer) => hash_of((with.resolve)(path)) == *answer,
        Lookup::File(url, answer) => hash_of((with.content_file)(url)) == *answer,
        Lookup::Picture(file, answer) => {
            pictures.contains(file) && hash_of(with.pictures.version(file)) == *answer
        }
    })
}

pub(crate) fn hash_of(value: impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// Two pages (or a page and a section) on one URL: every file involved is reported.
fn url_collisions(sorted: &[Source]) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for pair in sorted.windows(2) {
        if pair[0].url == pair[1].url {
            for (this, other) in [(&pair[0], &pair[1]), (&pair[1], &pair[0])] {
                let message = format!(
                    "this page and {} would both be published at {}",
                    display_path(&other.path),
                    this.url
                );
                // When a slug makes the address, the slug is what to change.
                let problem = if this.meta.slug.is_some() {
                    let (line, column) = this.locator().key_position("slug");
                    Diagnostic::error(&this.path, line, column, message)
                        .with_hint("choose a slug that no other page has")
                } else {
                    Diagnostic::file_error(&this.path, message)
                        .with_hint("give one of them a different file name or `slug`")
                };
                problems.push(problem.with_kind(ProblemKind::UrlCollision));
            }
        }
    }
    problems
}

/// Where each content file goes: files of a page bundle go beside the page (following its
/// slug); other files keep their place relative to `content/`.
fn place_assets(pages: &[Source], asset_paths: &[PathBuf]) -> Vec<Asset> {
    let bundles: HashMap<PathBuf, &str> = pages
        .iter()
        .filter(|p| p.is_bundle)
        .map(|p| (p.dir(), p.url.as_str()))
        .collect();
    let mut assets: Vec<Asset> = asset_paths
        .iter()
        .map(|path| {
            let bundle = path
                .ancestors()
                .skip(1)
                .find_map(|dir| bundles.get(dir).map(|url| (dir, *url)));
            let url = match bundle {
                Some((dir, url)) => {
                    let inner = path.strip_prefix(dir).unwrap_or(path);
                    format!("{url}{}", display_path(inner))
                }
                None => {
                    let rel = content_relative(path);
                    let mut segments: Vec<String> = rel.split('/').map(str::to_string).collect();
                    let file = segments.pop().unwrap_or_default();
                    let dirs: Vec<String> = segments.iter().map(|s| url_segment(s)).collect();
                    if dirs.is_empty() {
                        format!("/{file}")
                    } else {
                        format!("/{}/{file}", dirs.join("/"))
                    }
                }
            };
            Asset {
                source: path.clone(),
                url,
            }
        })
        .collect();
    assets.sort_by(|a, b| a.url.cmp(&b.url));
    assets
}

/// Case studies newest first; everything else by weight, then title.
pub fn listing_order(a: &Page, b: &Page) -> Ordering {
    let (a, b) = (&a.source, &b.source);
    let dated = |source: &Source| source.kind == Kind::CaseStudy;
    // Case studies first, so that the order stays total where a listing mixes them with
    // other pages (their section's `_index.md` removed, say): sorting needs that.
    dated(b)
        .cmp(&dated(a))
        .then_with(|| match dated(a) {
            true => b.meta.date.cmp(&a.meta.date),
            false => a.meta.weight.cmp(&b.meta.weight),
        })
        .then_with(|| a.meta.title.cmp(&b.meta.title))
        .then_with(|| a.url.cmp(&b.url))
}

/// Each page's parent is the nearest folder above it with an `_index.md`.
fn link_sections(pages: &mut [Page]) {
    let sections = sections_by_dir(pages.iter());
    for page in pages.iter_mut() {
        page.parent = listing_dir(&page.source).and_then(|dir| nearest_section(&sections, dir));
    }
    for i in 0..pages.len() {
        if let Some(parent) = pages[i].parent {
            if pages[i].source.is_section {
                pages[parent].subsections.push(i);
            } else {
                pages[parent].children.push(i);
            }
        }
    }
    let order: Vec<(usize, Vec<usize>, Vec<usize>)> = (0..pages.len())
        .filter(|&i| pages[i].source.is_section)
        .map(|i| {
            let mut children = pages[i].children.clone();
            children.sort_by(|&a, &b| listing_order(&pages[a], &pages[b]));
            let mut subsections = pages[i].subsections.clone();
            subsections.sort_by(|&a, &b| listing_order(&pages[a], &pages[b]));
            (i, children, subsections)
        })
        .collect();
    for (i, children, subsections) in order {
        pages[i].children = children;
        pages[i].subsections = subsections;
    }
}

/// Each section's index by the folder it stands for.
fn sections_by_dir<'a>(pages: impl Iterator<Item = &'a Page>) -> HashMap<String, usize> {
    pages
        .enumerate()
        .filter(|(_, p)| p.source.is_section)
        .map(|(i, p)| (parent_dir(&p.source.content_path), i))
        .collect()
}

/// The folder from which a page's section is sought: a section or a bundle is listed by the
/// folder above its own folder; the home page by none.
fn listing_dir(source: &Source) -> Option<String> {
    if source.is_section || source.is_bundle {
        let own = parent_dir(&source.content_path);
        (!own.is_empty()).then(|| parent_dir(&own))
    } else {
        Some(parent_dir(&source.content_path))
    }
}

/// The nearest section at or above `dir`.
fn nearest_section(sections: &HashMap<String, usize>, mut dir: String) -> Option<usize> {
    loop {
        if let Some(&section) = sections.get(&dir) {
            return Some(section);
        }
        if dir.is_empty() {
            return None;
        }
        dir = parent_dir(&dir);
    }
}

/// `a/b/c.md` -> `a/b`; `c.md` -> "".
fn parent_dir(path: &str) -> String {
    path.rsplit_once('/')
        .map_or(String::new(), |(dir, _)| dir.to_string())
}

/// Sections of an annual report link to the previous and next section in report order.
fn link_report_order(pages: &mut [Page]) {
    let years: Vec<usize> = (0..pages.len())
        .filter(|&i| pages[i].source.kind == Kind::ReportYear)
        .collect();
    for year in years {
        let sections: Vec<usize> = pages[year]
            .children
            .iter()
            .copied()
            .filter(|&c| pages[c].source.kind == Kind::ReportSection)
            .collect();
        for (n, &section) in sections.iter().enumerate() {
            pages[section].previous = n.checked_sub(1).map(|p| sections[p]);
            pages[section].next = sections.get(n + 1).copied();
        }
    }
}

/// Two pages listed in one section under one title: a resident cannot tell them apart.
/// `checkpoint` is asked before each warning.
fn same_titles<E: Send>(
    pages: &[Page],
    checkpoint: &(dyn Fn() -> Result<(), E> + Sync),
) -> Result<Vec<Diagnostic>, E> {
    let mut by_title: HashMap<(Option<usize>, String), Vec<usize>> = HashMap::new();
    for (i, page) in pages.iter().enumerate() {
        let title = page.source.meta.title.trim().to_lowercase();
        by_title.entry((page.parent, title)).or_default().push(i);
    }
    // On every core: a large site can have thousands of pages that share titles.
    by_title
        .par_iter()
        .filter(|(_, same)| same.len() > 1)
        .flat_map_iter(|(_, same)| same.iter().map(move |&i| (same, i)))
        .map(|(same, i)| {
            checkpoint()?;
            let source = &pages[i].source;
            let others: Vec<&Path> = same
                .iter()
                .filter(|&&o| o != i)
                .map(|&o| pages[o].source.path.as_path())
                .collect();
            let (line, column) = source.locator().key_position("title");
            Ok(Diagnostic::warning(
                &source.path,
                line,
                column,
                format!(
                    "{} in this section {} the same title, so listings and search results show pages that look alike",
                    some_of(&others),
                    if others.len() == 1 { "has" } else { "have" }
                ),
            )
            .with_kind(ProblemKind::ContentQuality)
            .with_hint("give each page a title that says how it differs"))
        })
        .collect()
}

/// The first few of `paths` by name, then how many more: a title that a hundred pages share
/// gives a hundred warnings of one line each, not of a hundred names each.
fn some_of(paths: &[&Path]) -> String {
    const NAMED: usize = 3;
    let mut names: Vec<String> = paths.iter().take(NAMED).map(|p| display_path(p)).collect();
    match paths.len().saturating_sub(NAMED) {
        0 => {}
        1 => names.push("1 other page".to_string()),
        more => names.push(format!("{more} other pages")),
    }
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

/// The taxonomies with their terms. Free tags that differ only in case or spacing make one
/// address, so they are one term, shown as most pages write it; each page's tags are set to
/// that spelling, and the pages that wrote another are warned.
fn build_taxonomies(
    pages: &mut [Page],
    tag_names: &BTreeMap<String, String>,
) -> (Vec<Taxonomy>, Vec<Diagnostic>) {
    // Each taxonomy on a core of its own; the spellings they choose are put in the pages after.
    let built: Vec<(Taxonomy, Vec<Diagnostic>, Vec<Respelling>)> = TAXONOMIES
        .par_iter()
        .map(|def| build_taxonomy(def, pages, tag_names))
        .collect();
    let mut taxonomies = Vec::with_capacity(built.len());
    let mut problems = Vec::new();
    for (taxonomy, found, respellings) in built {
        for (i, spelling, chosen) in respellings {
            pages[i].source.meta.respell_tag(&spelling, &chosen);
        }
        taxonomies.push(taxonomy);
        problems.extend(found);
    }
    (taxonomies, problems)
}

/// A page's value written another way than the one its term is shown by: the page, the
/// spelling, and the term's.
type Respelling = (usize, String, String);

fn build_taxonomy<P: Borrow<Page>>(
    def: &'static TaxonomyDef,
    pages: &[P],
    tag_names: &BTreeMap<String, String>,
) -> (Taxonomy, Vec<Diagnostic>, Vec<Respelling>) {
    let mut problems = Vec::new();
    let mut respellings = Vec::new();
    // Term address -> spelling -> the pages that write it so.
    let mut by_url: BTreeMap<String, BTreeMap<String, Vec<usize>>> = BTreeMap::new();
    for (i, page) in pages.iter().enumerate() {
        for value in page.borrow().source.meta.terms(def.field) {
            by_url
                .entry(url_segment(value))
                .or_default()
                .entry(value.to_string())
                .or_default()
                .push(i);
        }
    }
    let url = format!("/{}/", def.slug);
    let mut terms: Vec<Term> = by_url
        .into_values()
        .map(|spellings| {
            let chosen = spellings
                .iter()
                .max_by(|a, b| a.1.len().cmp(&b.1.len()).then_with(|| b.0.cmp(a.0)))
                .map(|(spelling, _)| spelling.clone())
                .unwrap_or_default();
            let mut members = Vec::new();
            for (spelling, users) in &spellings {
                if *spelling != chosen {
                    problems.extend(users.iter().map(|&i| {
                        odd_spelling(&pages[i].borrow().source, def.field, spelling, &chosen)
                    }));
                    respellings
                        .extend(users.iter().map(|&i| (i, spelling.clone(), chosen.clone())));
                }
                members.extend(users.iter().copied());
            }
            members.sort_by(|&a, &b| newest_first(pages[a].borrow(), pages[b].borrow()));
            members.dedup();
            Term {
                name: term_name(def, tag_names, &chosen),
                url: term_url(def, &chosen),
                value: chosen,
                pages: members,
            }
        })
        .collect();
    terms.sort_by(|a, b| term_order(def, a, b));
    (Taxonomy { def, url, terms }, problems, respellings)
}

/// The order of a taxonomy's terms: fixed vocabularies keep the order of their table, free
/// tags go by name, then by address.
fn term_order(def: &TaxonomyDef, a: &Term, b: &Term) -> Ordering {
    match def.choices {
        Some(choices) => {
            let place = |t: &Term| choices.iter().position(|c| c.value == t.value);
            place(a).cmp(&place(b))
        }
        None => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
    }
    .then_with(|| url_segment(&a.value).cmp(&url_segment(&b.value)))
}

fn odd_spelling(source: &Source, field: &str, spelling: &str, chosen: &str) -> Diagnostic {
    let (line, column) = source.locator().value_position(field, spelling);
    Diagnostic::warning(
        &source.path,
        line,
        column,
        format!(
            "{spelling:?} is the same tag as {chosen:?}, which other pages write, so it is shown as {chosen:?}"
        ),
    )
    .with_kind(ProblemKind::TermVariant)
    .with_hint(format!("write it {chosen:?} like the other pages"))
}

/// The name a term of `def` written `value` is shown by: its allowed value's, or a free
/// tag's as site.yaml names it or as `tag_name` makes it.
pub(crate) fn term_name(
    def: &TaxonomyDef,
    tag_names: &BTreeMap<String, String>,
    value: &str,
) -> String {
    match def.choices {
        Some(_) => display_name(def.choices, value).to_string(),
        None => {
            let segment = url_segment(value);
            tag_names
                .iter()
                .find(|(tag, _)| url_segment(tag) == segment)
                .map_or_else(|| tag_name(value), |(_, name)| name.clone())
        }
    }
}

/// Where the page of a term of `def` written `value` is published.
pub(crate) fn term_url(def: &TaxonomyDef, value: &str) -> String {
    format!("/{}/{}/", def.slug, url_segment(value))
}

/// A tag's name as shown when site.yaml gives none: as written if it has capitals, else with
/// a capital first letter and the hyphens between words made spaces (`food-banks` is shown
/// "Food banks", `covid-19` "Covid-19").
fn tag_name(tag: &str) -> String {
    if tag.chars().any(char::is_uppercase) {
        return tag.to_string();
    }
    let chars: Vec<char> = tag.chars().collect();
    let mut name = String::with_capacity(tag.len());
    for (i, &c) in chars.iter().enumerate() {
        let between_words = i > 0
            && chars[i - 1].is_alphabetic()
            && chars.get(i + 1).is_some_and(|n| n.is_alphabetic());
        match c {
            '-' if between_words => name.push(' '),
            _ if i == 0 => name.extend(c.to_uppercase()),
            _ => name.push(c),
        }
    }
    name
}

fn newest_first(a: &Page, b: &Page) -> Ordering {
    b.source
        .meta
        .date
        .cmp(&a.source.meta.date)
        .then_with(|| a.source.meta.title.cmp(&b.source.meta.title))
        .then_with(|| a.source.url.cmp(&b.source.url))
}

/// Each case study's related case studies: the most shared taxonomy terms, newest first on
/// ties.
fn link_related<E: Send>(
    pages: &mut [Page],
    taxonomies: &[Taxonomy],
    cache: &dyn ModelCache,
    checkpoint: &(dyn Fn() -> Result<(), E> + Sync),
) -> Result<(), E> {
    // All that the lists are computed from; an edit elsewhere leaves them as they were.
    let key = {
        let mut hasher = DefaultHasher::new();
        pages.len().hash(&mut hasher);
        for (i, page) in pages.iter().enumerate() {
            let source = &page.source;
            if source.kind == Kind::CaseStudy && !source.is_section {
                (i, &source.url, source.meta.date, &source.meta.title).hash(&mut hasher);
                for def in TAXONOMIES {
                    source.meta.terms(def.field).hash(&mut hasher);
                }
            }
        }
        hasher.finish()
    };
    let related = match cache.get_related(key) {
        Some(related) => related,
        None => {
            let related = compute_related(pages, taxonomies, checkpoint)?;
            cache.put_related(key, &related);
            related
        }
    };
    for (i, list) in related {
        pages[i].related = list;
    }
    Ok(())
}

/// Computing them takes a while on a big site, so `checkpoint` is asked for each page.
fn compute_related<E: Send>(
    pages: &[Page],
    taxonomies: &[Taxonomy],
    checkpoint: &(dyn Fn() -> Result<(), E> + Sync),
) -> Result<Vec<(usize, Vec<usize>)>, E> {
    let is_case_study = |p: &Page| p.source.kind == Kind::CaseStudy && !p.source.is_section;
    let mut newest: Vec<usize> = (0..pages.len())
        .filter(|&i| is_case_study(&pages[i]))
        .collect();
    newest.sort_by(|&a, &b| newest_first(&pages[a], &pages[b]));
    let mut rank = vec![usize::MAX; pages.len()];
    for (r, &i) in newest.iter().enumerate() {
        rank[i] = r;
    }
    let terms: Vec<Vec<usize>> = taxonomies
        .iter()
        .flat_map(|t| &t.terms)
        .map(|term| {
            term.pages
                .iter()
                .map(|&i| rank[i])
                .filter(|&r| r != usize::MAX)
                .collect()
        })
        .collect();
    let related = related::related(newest.len(), &terms, RELATED_COUNT, checkpoint)?;
    Ok(newest
        .iter()
        .zip(related)
        .map(|(&i, ranks)| (i, ranks.into_iter().map(|r| newest[r]).collect()))
        .collect())
}

/// Pages parsed in memory from their paths and front matter, each with a one-line body.
#[cfg(test)]
pub(crate) fn test_sources(files: &[(&str, &str)]) -> Vec<Source> {
    let root = Path::new("/nonexistent");
    files
        .iter()
        .filter_map(|(path, front_matter)| {
            let text = format!("---\n{front_matter}\n---\nBody\n");
            crate::content::parse_bytes(root, Path::new(path), text.as_bytes()).0
        })
        .collect()
}

/// A site.yaml of a title and an address alone.
#[cfg(test)]
pub(crate) fn test_config() -> Config {
    Config::parse("title: T\nbase_url: https://example.org/\n", None)
        .expect("the configuration reads")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_value_of_a_fixed_vocabulary_is_an_address_of_its_own() {
        for def in TAXONOMIES {
            let Some(choices) = def.choices else { continue };
            let mut addresses = BTreeSet::new();
            for choice in choices {
                assert!(
                    crate::content::is_plain_segment(choice.value),
                    "{}: {}",
                    def.field,
                    choice.value
                );
                assert!(
                    addresses.insert(url_segment(choice.value)),
                    "{}",
                    choice.value
                );
            }
        }
    }

    #[test]
    fn pages_sharing_a_title_are_named_up_to_three_then_counted() {
        let paths: Vec<PathBuf> = (1..=5).map(|n| PathBuf::from(format!("{n}.md"))).collect();
        let named =
            |n: usize| some_of(&paths[..n].iter().map(PathBuf::as_path).collect::<Vec<_>>());
        assert_eq!(named(1), "1.md");
        assert_eq!(named(2), "1.md and 2.md");
        assert_eq!(named(3), "1.md, 2.md and 3.md");
        assert_eq!(named(4), "1.md, 2.md, 3.md and 1 other page");
        assert_eq!(named(5), "1.md, 2.md, 3.md and 2 other pages");
    }

    #[test]
    fn a_body_rendered_again_finds_its_links_among_modelled_and_added_pages() {
        let files = [
            ("content/_index.md", "title: Home"),
            ("content/case-studies/_index.md", "title: Case studies"),
            (
                "content/case-studies/a.md",
                "title: A\ndate: 2024-01-02\nslug: first",
            ),
        ];
        let (mut site, _) = Site::build(test_config(), test_sources(&files), &[], true);
        let added = test_sources(&[(
            "content/case-studies/b.md",
            "title: B\ndate: 2024-01-03\nslug: second",
        )]);
        let b = site.add_page(added.into_iter().next().unwrap());
        assert_eq!(
            site.page_of_file(Path::new("content/case-studies/b.md")),
            Some(b)
        );
        let a = site.find_page("case-studies/a.md").unwrap();
        assert_eq!(site.pages[a].url(), "/case-studies/first/");
        assert_eq!(site.page_of_file(Path::new("content/other/a.md")), None);

        let mut home = test_sources(&files[..1]).into_iter().next().unwrap();
        home.body = "[A](case-studies/a.md), [B](case-studies/b.md)".into();
        let body = site.render_body(&home);
        assert!(body.problems.is_empty(), "{:?}", body.problems);
        let html = body.rendered.html.read().unwrap();
        assert!(html.contains(r#"href="/case-studies/first/""#), "{html}");
        assert!(html.contains(r#"href="/case-studies/second/""#), "{html}");
    }

    #[test]
    fn tags_are_named_with_a_capital_and_spaces_between_words() {
        assert_eq!(tag_name("covid-19"), "Covid-19");
        assert_eq!(tag_name("food-banks"), "Food banks");
        assert_eq!(tag_name("food banks"), "Food banks");
        assert_eq!(tag_name("NHS"), "NHS");
        assert_eq!(tag_name("éco-friendly"), "Éco friendly");
    }

    #[test]
    fn a_listing_that_mixes_case_studies_with_other_pages_has_one_consistent_order() {
        // Case studies without their section's `_index.md` are listed beside the home page's
        // other pages: by date they go Z, A; by weight and title A, M, Z.
        let files = [
            ("content/_index.md", "title: Home"),
            ("content/m.md", "title: M"),
            ("content/case-studies/a.md", "title: A\ndate: 2022-01-01"),
            ("content/case-studies/z.md", "title: Z\ndate: 2024-01-01"),
        ];
        let site = Site::build(test_config(), test_sources(&files), &[], true).0;
        let listed = &site.pages[site.home().unwrap()].children;
        let titles: Vec<&str> = listed
            .iter()
            .map(|&i| site.pages[i].source.meta.title.as_str())
            .collect();
        assert_eq!(titles, ["Z", "A", "M"]);
        for (at, &a) in listed.iter().enumerate() {
            for &b in &listed[at + 1..] {
                assert_eq!(
                    listing_order(&site.pages[a], &site.pages[b]),
                    Ordering::Less
                );
            }
        }
    }

    #[test]
    fn a_checkpoint_that_says_stop_stops_the_model_and_one_that_never_does_finishes_it() {
        let files: Vec<(String, String)> = (0..3)
            .map(|i| (format!("content/p{i}.md"), format!("title: Page {i}")))
            .collect();
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, f)| (p.as_str(), f.as_str()))
            .collect();
        let build = |checkpoint: &(dyn Fn() -> Result<(), &'static str> + Sync)| {
            Site::build_cached(
                test_config(),
                test_sources(&files),
                &[],
                Vec::new(),
                true,
                &NoCache::default(),
                Arc::new(Pictures::off()),
                checkpoint,
            )
            .map(|(site, _)| site.pages.len())
        };
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let stop_at_the_fourth = || {
            let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if n >= 3 { Err("newer edits") } else { Ok(()) }
        };
        assert_eq!(build(&stop_at_the_fourth), Err("newer edits"));
        assert_eq!(build(&to_the_end), Ok(3));
    }

    /// Every term of every taxonomy, with its pages in order.
    fn terms_of(site: &Site) -> Vec<(String, String, String, Vec<usize>)> {
        site.taxonomies
            .iter()
            .flat_map(|taxonomy| &taxonomy.terms)
            .map(|t| {
                (
                    t.url.clone(),
                    t.name.clone(),
                    t.value.clone(),
                    t.pages.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn moving_a_pages_terms_after_an_edit_gives_the_terms_made_again() {
        let files = [
            (
                "content/case-studies/a.md",
                "title: A\ndate: 2024-01-01\ntags: [food, gardening]\noutcomes: [great-communities]",
            ),
            (
                "content/case-studies/b.md",
                "title: B\ndate: 2024-02-01\ntags: [food, heritage]\noutcomes: [great-communities]",
            ),
            (
                "content/case-studies/c.md",
                "title: C\ndate: 2024-03-01\ntags: [gardening, walking]",
            ),
        ];
        let site = Site::build(test_config(), test_sources(&files), &[], true).0;
        let a = site
            .pages
            .iter()
            .position(|p| p.source.meta.title == "A")
            .unwrap();
        let edits = [
            // A new tag, one that others have, and one it alone had.
            "title: A\ndate: 2024-01-01\ntags: [apples, heritage, food]\noutcomes: [great-communities]",
            // Only its own tag dropped, and an outcome left.
            "title: A\ndate: 2024-01-01\ntags: [food]",
            // A later date: it moves up the lists of the terms it keeps.
            "title: A\ndate: 2025-01-01\ntags: [food, gardening]\noutcomes: [great-communities]",
            // Another spelling of a tag others write: the terms are made again.
            "title: A\ndate: 2024-01-01\ntags: [Heritage, food, gardening]",
            // Its spelling of a tag changed.
            "title: A\ndate: 2024-01-01\ntags: [Food, gardening]",
        ];
        for edit in edits {
            let mut edited = site.clone();
            let source = test_sources(&[("content/case-studies/a.md", edit)]).remove(0);
            Arc::make_mut(&mut edited.pages[a]).source = source;
            let mut moved = edited.clone();
            moved.move_page_terms(a, Some(&site.pages[a]));
            edited.relist_terms();
            assert_eq!(terms_of(&moved), terms_of(&edited), "{edit}");
        }
        // A page new to the model.
        let mut added = site.clone();
        let source = test_sources(&[(
            "content/case-studies/d.md",
            "title: D\ndate: 2023-01-01\ntags: [zebras, food]",
        )])
        .remove(0);
        let d = added.add_page(source);
        let mut moved = added.clone();
        moved.move_page_terms(d, None);
        added.relist_terms();
        assert_eq!(terms_of(&moved), terms_of(&added));
    }

    #[test]
    fn related_case_studies_stop_being_computed_once_newer_edits_wait() {
        let files: Vec<(String, String)> = (0..4)
            .map(|i| {
                let path = format!("content/case-studies/p{i}.md");
                (
                    path,
                    format!("title: Study {i}\noutcomes: [great-communities]"),
                )
            })
            .collect();
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, f)| (p.as_str(), f.as_str()))
            .collect();
        let site = Site::build(test_config(), test_sources(&files), &[], true).0;
        let pages: Vec<Page> = site.pages.iter().map(|page| (**page).clone()).collect();
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let stop_after_one = || {
            let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if n >= 1 { Err("newer edits") } else { Ok(()) }
        };
        assert_eq!(
            compute_related(&pages, &site.taxonomies, &stop_after_one),
            Err("newer edits")
        );
        let related = compute_related::<()>(&pages, &site.taxonomies, &to_the_end).unwrap();
        assert_eq!(related.len(), 4);
        assert!(related.iter().all(|(_, list)| list.len() == 3));
    }
}
