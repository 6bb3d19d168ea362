//! Rendering the site model through the Tera templates of the theme.
//!
//! The data every page shares (site, menus, taxonomies, page summaries) is turned into
//! template values once and shared by reference.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Map, Tera, Value};

use crate::background_drop::BackgroundDrop;
use crate::content::Meta;
use crate::diagnostics::Diagnostic;
use crate::images;
use crate::jobs::{
    Job, allowed_value, empty_term_url, empty_terms, home_pages, job_url, listed, paginates,
    shown_items,
};
use crate::markdown;
use crate::models::{self, AREAS, Kind, RESOURCE_KINDS};
use crate::output::Sink;
use crate::paths::{full_report_url, listing_url, output_path, page_count};
use crate::site::{Page, Site, term_name, term_url};
use crate::theme::template_error;
use crate::view::{date_view, kind_label};

/// Renders jobs in parallel into the sink. Every distinct template error is reported once.
pub fn render(site: &Site, tera: &Tera, jobs: &[Job], sink: &dyn Sink) -> Vec<Diagnostic> {
    render_changed(site, tera, jobs, None, sink, &|| false).problems
}

/// What `render_changed` did.
#[derive(Debug, Default)]
pub struct Rendered {
    pub problems: Vec<Diagnostic>,
    /// Every job's reads, by its site path, when recorded.
    pub reads: HashMap<String, Reads>,
    /// The site paths of the jobs rendered.
    pub urls: Vec<String>,
    /// `stop` said to stop before every job was done.
    pub overtaken: bool,
}

/// What the last build of `serve` recorded each job reading, by its site path, and the
/// templates edited since.
#[derive(Clone, Copy)]
pub struct Previous<'a> {
    reads: Option<&'a HashMap<String, Reads>>,
    edited_templates: Option<&'a BTreeSet<String>>,
}

impl<'a> Previous<'a> {
    /// Nothing recorded: every job is rendered.
    pub const NOTHING: Previous<'static> = Previous {
        reads: None,
        edited_templates: None,
    };

    pub fn new(
        reads: &'a HashMap<String, Reads>,
        edited_templates: Option<&'a BTreeSet<String>>,
    ) -> Self {
        Previous {
            reads: Some(reads),
            edited_templates,
        }
    }

    /// Whether the job at `url` reads what it read before, with a template as it was.
    fn unchanged(&self, url: &str, reads: &Reads) -> bool {
        self.reads
            .and_then(|before| before.get(url))
            .is_some_and(|before| {
                before == reads
                    && !self
                        .edited_templates
                        .is_some_and(|edited| edited.contains(before.template()))
            })
    }
}

/// Renders into the sink the jobs whose reads differ from those `previous` holds for the same
/// site path, or whose templates were edited since, and records every job's reads for the next
/// time; with no `previous`, renders every job and records nothing (a build run once). The
/// stylesheets and scripts the templates link must be the same as when `previous` was
/// recorded. Jobs not begun when `stop` says so are left undone, and the result says it was
/// overtaken.
pub fn render_changed(
    site: &Site,
    tera: &Tera,
    jobs: &[Job],
    previous: Option<Previous>,
    sink: &dyn Sink,
    stop: &(dyn Fn() -> bool + Sync),
) -> Rendered {
    let shared = Shared::new(site, tera);
    let problems = Mutex::new(BTreeSet::new());
    let done: Vec<Option<(String, Reads, bool)>> = jobs
        .par_iter()
        .map(|&job| {
            if stop() {
                return None;
            }
            let (url, template, recorded) = shared.context_of(job, previous.is_some());
            let unchanged =
                previous.is_some_and(|previous| previous.unchanged(&url, &recorded.reads));
            if !unchanged {
                let path = output_path(&url);
                let outcome = tera
                    .render(template, &recorded.context)
                    .map_err(|e| template_error(&e))
                    .and_then(|html| {
                        sink.write(&path, html.as_bytes()).map_err(|e| {
                            Diagnostic::output_error(
                                &path,
                                format!("cannot write the output file: {e}"),
                            )
                        })
                    });
                if let Err(problem) = outcome {
                    problems
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(problem);
                }
            }
            Some((url, recorded.reads, !unchanged))
        })
        .collect();
    if done.iter().any(Option::is_none) {
        // Newer edits wait for this to end: what was done is freed elsewhere, and no reads
        // are gathered for the next time.
        drop(BackgroundDrop::new(done));
        return Rendered {
            overtaken: true,
            ..Rendered::default()
        };
    }
    let mut problems = problems.into_inner().unwrap_or_else(|p| p.into_inner());
    problems.extend(std::mem::take(
        &mut *shared.unread.lock().unwrap_or_else(|p| p.into_inner()),
    ));
    let mut rendered = Rendered {
        problems: problems.into_iter().collect(),
        ..Rendered::default()
    };
    for (url, reads, made) in done.into_iter().flatten() {
        if made {
            rendered.urls.push(url.clone());
        }
        if previous.is_some() {
            rendered.reads.insert(url, reads);
        }
    }
    rendered
}

/// What a job's template was given: its name, and a fingerprint of every value its context
/// holds. They are recorded as the context is built, so whatever a template is given is what
/// its page depends on: two builds give a job the same output when its reads are equal (and
/// the templates and the files they link are the same).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reads {
    template: &'static str,
    values: BTreeMap<&'static str, u64>,
    /// The source files of the pages whose values went into the context, sorted.
    pages: Vec<PathBuf>,
}

impl Reads {
    /// The name of the template the job is rendered with.
    pub fn template(&self) -> &str {
        self.template
    }

    /// Whether the context holds values of the page from the source file at `path`: if not,
    /// nothing but its front matter (which every page's shared values come from) can matter.
    pub fn shows(&self, path: &Path) -> bool {
        self.pages
            .binary_search_by(|p| p.as_path().cmp(path))
            .is_ok()
    }
}

thread_local! {
    /// The pages shown by the job whose context this thread is building, when recording.
    static SHOWN: RefCell<Option<BTreeSet<usize>>> = const { RefCell::new(None) };
}

/// Notes that the job whose context is being built shows page `index`.
fn note_shown(index: usize) {
    SHOWN.with(|shown| {
        if let Some(shown) = shown.borrow_mut().as_mut() {
            shown.insert(index);
        }
    });
}

/// A job's template context, and its reads recorded as values go in.
struct Recorded<'t> {
    context: Context,
    reads: Reads,
    /// Whether to fingerprint values: a build run once has no use for them.
    recording: bool,
    /// The variables the job's template reads, as Tera finds them in it and the templates it
    /// extends or includes; `None` for a template Tera does not have, which fails to render.
    /// A value the template does not read is neither made nor given, so it is no dependency.
    variables: Option<&'t HashSet<String>>,
}

impl<'t> Recorded<'t> {
    fn new(recording: bool, variables: Option<&'t HashSet<String>>) -> Recorded<'t> {
        Recorded {
            context: Context::new(),
            reads: Reads::default(),
            recording,
            variables,
        }
    }

    fn reads_variable(&self, name: &str) -> bool {
        self.variables.is_none_or(|names| names.contains(name))
    }

    fn record_template(&mut self, name: &'static str) {
        self.reads.template = name;
    }

    /// Gives the template the value `make` makes, if the template reads it.
    fn insert_value(&mut self, name: &'static str, make: impl FnOnce() -> Value) {
        if !self.reads_variable(name) {
            return;
        }
        let value = make();
        if self.recording {
            self.reads.values.insert(name, fingerprint(&value));
        }
        self.context.insert_value(name, value);
    }

    fn insert<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) {
        self.insert_value(name, || Value::from_serializable(value));
    }

    /// A value shared by many jobs, fingerprinted once.
    fn insert_shared(&mut self, name: &'static str, value: &Value, print: &OnceLock<u64>) {
        if !self.reads_variable(name) {
            return;
        }
        if self.recording {
            let print = *print.get_or_init(|| fingerprint(value));
            self.reads.values.insert(name, print);
        }
        self.context.insert_value(name, value.clone());
    }
}

/// A hash of a value as templates see it.
fn fingerprint(value: &Value) -> u64 {
    struct HashWriter(DefaultHasher);
    impl std::io::Write for HashWriter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.write(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut writer = HashWriter(DefaultHasher::new());
    // Writing into a hasher cannot fail; a value serde cannot write would not render either.
    let _ = serde_json::to_writer(&mut writer, value);
    writer.0.finish()
}

/// The variables each template reads, itself and through the templates it extends or
/// includes, and every implicit argument of a component, which is read from the context of
/// whichever template calls it.
fn template_variables(tera: &Tera) -> HashMap<&str, HashSet<String>> {
    let implicit: Vec<String> = tera
        .get_component_names()
        .filter_map(|name| tera.get_component_definition(name))
        .flat_map(|component| {
            component
                .args()
                .iter()
                .filter(|arg| arg.is_implicit())
                .map(|arg| arg.name().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    tera.get_template_names()
        .filter_map(|name| {
            let variables = tera.get_template_variables(name).ok()?;
            let variables = variables.into_iter().map(str::to_string);
            Some((name, variables.chain(implicit.iter().cloned()).collect()))
        })
        .collect()
}

/// The template a job is rendered with.
fn template_of(site: &Site, job: Job) -> &'static str {
    match job {
        Job::Page(i) | Job::SectionPage(i, _) => template_for(&site.pages[i]),
        Job::TaxonomyIndex(_) => "taxonomy.html",
        Job::Term(..) | Job::EmptyTerm(..) => "term.html",
        Job::FullReport(_) => "report-full.html",
        Job::Search => "search.html",
        Job::NotFound => "404.html",
    }
}

fn template_for(page: &Page) -> &'static str {
    if page.is_home() {
        return "home.html";
    }
    match page.source.kind {
        Kind::CaseStudy => "case-study.html",
        Kind::Resource => "resource.html",
        Kind::ReportYear => "report-year.html",
        Kind::ReportSection => "report-section.html",
        Kind::Page if page.source.is_section => "section.html",
        Kind::Page => "page.html",
    }
}

#[derive(Serialize)]
struct TermView<'a> {
    value: &'a str,
    name: Cow<'a, str>,
    url: String,
}

#[derive(Serialize)]
struct LinkView<'a> {
    title: &'a str,
    url: String,
}

#[derive(Serialize)]
struct AttachmentView<'a> {
    title: &'a str,
    url: String,
    file_type: String,
    size: String,
    pages: Option<usize>,
}

#[derive(Serialize)]
struct PaginationView {
    current: usize,
    total: usize,
    previous: Option<String>,
    next: Option<String>,
    pages: Vec<PaginationLink>,
}

#[derive(Serialize)]
struct PaginationLink {
    number: usize,
    url: String,
    current: bool,
    /// Page numbers were left out just before this one.
    after_gap: bool,
}

/// How many page links stand on each side of the current one; the first and last pages are
/// always linked. A window keeps each listing page small however long the listing grows.
const PAGINATION_WINDOW: usize = 2;

/// The page numbers a listing page links to: first, last, and a window around the current.
fn pagination_numbers(current: usize, total: usize) -> Vec<usize> {
    (1..=total)
        .filter(|&n| n == 1 || n == total || n.abs_diff(current) <= PAGINATION_WINDOW)
        .collect()
}

/// Template values built once per run and shared by every page rendered.
struct Shared<'a> {
    site: &'a Site,
    site_value: Value,
    site_print: OnceLock<u64>,
    /// Every taxonomy with its terms, for the templates that list them: a template that does
    /// not read them is not rendered again for a new term.
    taxonomies: Value,
    taxonomies_print: OnceLock<u64>,
    /// The variables each template reads; see `Recorded::variables`.
    variables: HashMap<&'a str, HashSet<String>>,
    /// A short view of each page, for listings and links; made when first needed, so that
    /// rendering a few pages of a large site does not make them all.
    summaries: Vec<OnceLock<Value>>,
    /// Site path -> URL for every copied file, to link attachments and images.
    files: HashMap<&'a Path, &'a str>,
    /// Bodies whose HTML could not be read back from the build's spill.
    unread: Mutex<Vec<Diagnostic>>,
}

impl Drop for Shared<'_> {
    /// Every page's summary and the terms' lists, freed beside what follows: freeing them at
    /// 10,000 pages took 15-30 ms, which the page of a newer edit waited for when a rebuild
    /// gave way to it.
    fn drop(&mut self) {
        let summaries = std::mem::take(&mut self.summaries);
        let taxonomies = std::mem::replace(&mut self.taxonomies, Value::none());
        drop(BackgroundDrop::new((summaries, taxonomies)));
    }
}

impl<'a> Shared<'a> {
    fn new(site: &'a Site, tera: &'a Tera) -> Self {
        let files = site
            .assets
            .iter()
            .map(|a| (a.source.as_path(), a.url.as_str()))
            .collect();
        let mut shared = Shared {
            site,
            site_value: Value::none(),
            site_print: OnceLock::new(),
            taxonomies: Value::none(),
            taxonomies_print: OnceLock::new(),
            variables: template_variables(tera),
            summaries: site.pages.iter().map(|_| OnceLock::new()).collect(),
            files,
            unread: Mutex::default(),
        };
        shared.taxonomies = shared.taxonomy_values().into();
        shared.site_value = shared.site_value();
        shared
    }

    fn link(&self, site_path: &str) -> String {
        self.site.config.link(site_path)
    }

    /// The HTML of a body of `page`, read back from the spill if it waits there; a failure
    /// is kept to fail the build.
    fn body_html(&self, page: &Page, rendered: &markdown::Rendered) -> Value {
        match rendered.html.read_of(&page.source.path) {
            Ok(html) => Value::safe_string(&html),
            Err(problem) => {
                self.unread
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(problem);
                Value::none()
            }
        }
    }

    fn site_value(&self) -> Value {
        let config = &self.site.config;
        let menus: BTreeMap<&str, Vec<LinkView>> = config
            .menus
            .iter()
            .map(|(name, links)| {
                let links = links
                    .iter()
                    .map(|l| LinkView {
                        title: &l.name,
                        url: self.link(&l.url),
                    })
                    .collect();
                (name.as_str(), links)
            })
            .collect();
        let mut map = Map::new();
        map.insert("title".into(), config.title.clone().into());
        map.insert("description".into(), config.description.clone().into());
        map.insert("language".into(), config.language.clone().into());
        map.insert("base_url".into(), config.base_url.to_string().into());
        map.insert("base_path".into(), config.base_path().to_string().into());
        map.insert("origin".into(), config.origin().into());
        map.insert("menus".into(), Value::from_serializable(&menus));
        // The site's icons, where its static/ folder has them.
        let icon = |path: &str| {
            self.site
                .static_files
                .iter()
                .any(|f| f.url == path)
                .then(|| self.link(path))
        };
        map.insert("favicon_ico".into(), icon("/favicon.ico").into());
        map.insert("favicon_svg".into(), icon("/favicon.svg").into());
        Value::from(map)
    }

    /// Each taxonomy with its terms; a fixed vocabulary lists every allowed value in the
    /// order of its table, those no page has yet with a count of 0.
    fn taxonomy_values(&self) -> Vec<Value> {
        let empty = empty_terms(self.site);
        self.site
            .taxonomies
            .iter()
            .enumerate()
            .map(|(t, taxonomy)| {
                let mut terms: Vec<(Option<usize>, Value)> = taxonomy
                    .terms
                    .iter()
                    .enumerate()
                    .map(|(k, _)| (self.choice_position(t, k), self.term_value(t, k)))
                    .collect();
                terms.extend(
                    empty
                        .iter()
                        .filter(|(et, ..)| *et == t)
                        .map(|&(_, c)| (Some(c), self.empty_term_value(t, c))),
                );
                // A stable sort keeps free tags, which have no position, in their own order.
                terms.sort_by_key(|(position, _)| *position);
                let mut map = Map::new();
                map.insert("name".into(), taxonomy.def.name.into());
                map.insert("slug".into(), taxonomy.def.slug.into());
                map.insert("url".into(), self.link(&taxonomy.url).into());
                map.insert(
                    "terms".into(),
                    terms
                        .into_iter()
                        .map(|(_, value)| value)
                        .collect::<Vec<_>>()
                        .into(),
                );
                Value::from(map)
            })
            .collect()
    }

    /// Where term `k` of taxonomy `t` stands in its taxonomy's table of allowed values.
    fn choice_position(&self, t: usize, k: usize) -> Option<usize> {
        let taxonomy = &self.site.taxonomies[t];
        let value = &taxonomy.terms[k].value;
        taxonomy.def.choices?.iter().position(|c| c.value == value)
    }

    fn terms<'v>(&'v self, field: &str, meta: &'v Meta) -> Vec<TermView<'v>> {
        let Some(taxonomy) = self.site.taxonomies.iter().find(|t| t.def.field == field) else {
            return Vec::new();
        };
        meta.terms(field)
            .into_iter()
            .map(
                |value| match taxonomy.terms.iter().find(|term| term.value == value) {
                    Some(term) => TermView {
                        value: &term.value,
                        name: Cow::Borrowed(&term.name),
                        url: self.link(&term.url),
                    },
                    // A value new since the model was built, on a page served before the
                    // rebuild: shown as its term will be.
                    None => TermView {
                        value,
                        name: Cow::Owned(term_name(
                            taxonomy.def,
                            &self.site.config.tag_names,
                            value,
                        )),
                        url: self.link(&term_url(taxonomy.def, value)),
                    },
                },
            )
            .collect()
    }

    fn summary(&self, page: &Page) -> Value {
        let meta = &page.source.meta;
        let mut map = Map::new();
        map.insert("title".into(), meta.title.clone().into());
        map.insert("url".into(), self.link(page.url()).into());
        map.insert("summary".into(), meta.summary.clone().into());
        map.insert(
            "date".into(),
            Value::from_serializable(&date_view(meta.date)),
        );
        map.insert("kind".into(), Value::from_serializable(&page.source.kind));
        map.insert("kind_name".into(), kind_label(page).into());
        map.insert(
            "area".into(),
            meta.area
                .as_deref()
                .map(|a| models::display_name(Some(AREAS), a).to_string())
                .into(),
        );
        map.insert("year".into(), meta.year.clone().into());
        map.insert("figures".into(), Value::from_serializable(&meta.figures));
        map.insert("image_alt".into(), meta.image_alt.clone().into());
        let picture = meta.image.as_deref().and_then(|name| {
            let source = images::named_source(&page.source.dir(), name);
            self.site.pictures.get(&source)?.ok()
        });
        if let Some(picture) = picture {
            // Published as its resized copies: the widest every browser shows stands for it.
            let base = self.site.config.base_path();
            map.insert("image".into(), self.link(&picture.largest().url).into());
            map.insert("image_width".into(), picture.width.into());
            map.insert("image_height".into(), picture.height.into());
            map.insert("image_srcset".into(), picture.fallback_srcset(base).into());
            map.insert("image_webp_srcset".into(), picture.webp_srcset(base).into());
        } else {
            map.insert(
                "image".into(),
                meta.image
                    .as_deref()
                    .and_then(|i| self.file_url(page, i))
                    .into(),
            );
            let size = meta.image_size;
            map.insert("image_width".into(), size.map(|s| s.width).into());
            map.insert("image_height".into(), size.map(|s| s.height).into());
        }
        Value::from(map)
    }

    fn summary_of(&self, index: usize) -> Value {
        note_shown(index);
        self.summaries[index]
            .get_or_init(|| self.summary(&self.site.pages[index]))
            .clone()
    }

    fn summaries_of(&self, indices: &[usize]) -> Value {
        indices
            .iter()
            .map(|&i| self.summary_of(i))
            .collect::<Vec<_>>()
            .into()
    }

    /// The URL of a file named in front matter: beside the page, or under `static/` for `/x`.
    fn file_url(&self, page: &Page, name: &str) -> Option<String> {
        self.source_url(&images::named_source(&page.source.dir(), name))
    }

    fn source_url(&self, path: &Path) -> Option<String> {
        if let Some(url) = self.files.get(path) {
            return Some(self.link(url));
        }
        path.strip_prefix("static")
            .ok()
            .map(|rest| self.link(&format!("/{}", crate::diagnostics::display_path(rest))))
    }

    fn page_value(&self, index: usize) -> Value {
        let page = &self.site.pages[index];
        let meta = &page.source.meta;
        let Some(mut map) = self.summary_of(index).into_map() else {
            return Value::none();
        };
        let config = &self.site.config;
        map.insert("permalink".into(), config.permalink(page.url()).into());
        map.insert("content".into(), self.body_html(page, &page.rendered));
        map.insert("toc".into(), Value::from_serializable(&page.rendered.toc));
        map.insert(
            "updated".into(),
            Value::from_serializable(&date_view(meta.updated)),
        );
        map.insert("draft".into(), meta.draft.into());
        // The summary already holds the image's URL.
        let image = map
            .get(&tera::value::Key::from("image"))
            .and_then(|v| v.as_str().map(str::to_string));
        // Already escaped for its script element; every value in it came through serde_json.
        map.insert(
            "json_ld".into(),
            crate::publish::json_ld(self.site, index, image.as_deref())
                .map(|json| Value::safe_string(&json))
                .into(),
        );
        if page.source.kind == Kind::ReportYear {
            map.insert(
                "full_report".into(),
                self.link(&full_report_url(page.url())).into(),
            );
        }
        for taxonomy in self.site.taxonomies.iter() {
            let key = if taxonomy.def.field == "area" {
                "areas"
            } else {
                taxonomy.def.field
            };
            map.insert(
                key.into(),
                Value::from_serializable(&self.terms(taxonomy.def.field, meta)),
            );
        }
        map.insert(
            "assets".into(),
            meta.assets
                .iter()
                .map(|a| models::display_name(Some(models::ASSETS), a).to_string())
                .collect::<Vec<_>>()
                .into(),
        );
        map.insert("organisation".into(), meta.organisation.clone().into());
        map.insert("funding".into(), meta.funding.clone().into());
        map.insert(
            "resource_kind".into(),
            meta.resource_kind
                .as_deref()
                .map(|k| models::display_name(Some(RESOURCE_KINDS), k).to_string())
                .into(),
        );
        map.insert("audience".into(), meta.audience.clone().into());
        let attachments: Vec<AttachmentView> = meta
            .attachments
            .iter()
            .map(|a| AttachmentView {
                title: &a.title,
                url: self.source_url(&a.source).unwrap_or_default(),
                file_type: file_type(&a.file),
                size: human_size(a.size),
                pages: a.pages,
            })
            .collect();
        map.insert("attachments".into(), Value::from_serializable(&attachments));
        map.insert("source_url".into(), meta.source_url.clone().into());
        map.insert("published_by".into(), meta.published_by.clone().into());
        map.insert("contacts".into(), Value::from_serializable(&meta.contacts));
        // Fields the build does not use by name, shown by templates as they are written.
        for (name, value) in meta.other.iter() {
            map.insert(name.into(), Value::from_serializable(value));
        }
        map.insert(
            "breadcrumbs".into(),
            Value::from_serializable(&self.breadcrumbs(index)),
        );
        map.insert(
            "previous".into(),
            page.previous.map(|i| self.summary_of(i)).into(),
        );
        map.insert("next".into(), page.next.map(|i| self.summary_of(i)).into());
        map.insert("related".into(), self.summaries_of(&page.related));
        map.insert("subsections".into(), self.summaries_of(&page.subsections));
        Value::from(map)
    }

    /// Links to the sections above a page, from home down.
    fn breadcrumbs(&self, index: usize) -> Vec<LinkView<'_>> {
        self.site
            .ancestors(index)
            .into_iter()
            .map(|i| {
                note_shown(i);
                let p = &self.site.pages[i];
                LinkView {
                    title: if p.is_home() {
                        "Home"
                    } else {
                        &p.source.meta.title
                    },
                    url: self.link(p.url()),
                }
            })
            .collect()
    }

    /// The values every job's template can read.
    fn context(&self, template: &'static str, current_url: &str, recording: bool) -> Recorded<'_> {
        let mut context = Recorded::new(recording, self.variables.get(template));
        context.record_template(template);
        context.insert_shared("site", &self.site_value, &self.site_print);
        context.insert_shared("taxonomies", &self.taxonomies, &self.taxonomies_print);
        context.insert("current_url", &self.link(current_url));
        context
    }

    fn pagination(&self, first_url: &str, current: usize, total: usize) -> PaginationView {
        let url = |n: usize| self.link(&listing_url(first_url, n));
        PaginationView {
            current,
            total,
            previous: (current > 1).then(|| url(current - 1)),
            next: (current < total).then(|| url(current + 1)),
            pages: pagination_numbers(current, total)
                .into_iter()
                .scan(None, |previous: &mut Option<usize>, n| {
                    let after_gap = previous.is_some_and(|p| n > p + 1);
                    *previous = Some(n);
                    Some(PaginationLink {
                        number: n,
                        url: url(n),
                        current: n == current,
                        after_gap,
                    })
                })
                .collect(),
        }
    }

    /// A job's site path, template and context, its reads recorded if `recording`.
    fn context_of(&self, job: Job, recording: bool) -> (String, &'static str, Recorded<'_>) {
        let site = self.site;
        let url = job_url(site, job);
        if recording {
            SHOWN.with(|shown| *shown.borrow_mut() = Some(BTreeSet::new()));
        }
        let template = template_of(site, job);
        let mut context = self.context(template, &url, recording);
        match job {
            Job::Page(i) | Job::SectionPage(i, _) => {
                let page = &site.pages[i];
                context.insert_value("page", || self.page_value(i));
                context.insert("highlighted_code", &page.rendered.highlighted_code);
                let (shown, total) = listed(site, page, job);
                context.insert_value("pages", || self.summaries_of(&shown));
                if paginates(page) {
                    let n = if let Job::SectionPage(_, n) = job {
                        n
                    } else {
                        1
                    };
                    context.insert("pagination", &self.pagination(page.url(), n, total));
                } else {
                    context.insert_value("pagination", Value::none);
                }
                if page.is_home() {
                    self.home_context(&mut context);
                }
            }
            Job::TaxonomyIndex(t) => {
                let taxonomy = &site.taxonomies[t];
                context.insert_value("taxonomy", || self.taxonomy_value(t));
                context.insert_value("page", || self.listing_page(taxonomy.def.name, &[]));
            }
            Job::Term(t, k, n) => {
                let taxonomy = &site.taxonomies[t];
                let term = &taxonomy.terms[k];
                let size = site.config.page_size;
                let shown = shown_items(&term.pages, n, size);
                context.insert_value("taxonomy", || self.taxonomy_value(t));
                context.insert_value("term", || self.term_value(t, k));
                context.insert_value("pages", || self.summaries_of(&shown));
                let total = page_count(term.pages.len(), size);
                context.insert("pagination", &self.pagination(&term.url, n, total));
                let crumbs = [LinkView {
                    title: taxonomy.def.name,
                    url: self.link(&taxonomy.url),
                }];
                context.insert_value("page", || self.listing_page(&term.name, &crumbs));
            }
            Job::EmptyTerm(t, c) => {
                let taxonomy = &site.taxonomies[t];
                let name = allowed_value(site, t, c).name;
                context.insert_value("taxonomy", || self.taxonomy_value(t));
                context.insert_value("term", || self.empty_term_value(t, c));
                context.insert_value("pages", || Vec::<Value>::new().into());
                context.insert("pagination", &self.pagination(&url, 1, 1));
                let crumbs = [LinkView {
                    title: taxonomy.def.name,
                    url: self.link(&taxonomy.url),
                }];
                context.insert_value("page", || self.listing_page(name, &crumbs));
            }
            Job::FullReport(i) => {
                context.insert_value("page", || {
                    // The report year itself is one step up from its whole report.
                    let mut crumbs = self.breadcrumbs(i);
                    crumbs.push(LinkView {
                        title: &site.pages[i].source.meta.title,
                        url: self.link(site.pages[i].url()),
                    });
                    let mut page = self.page_value(i).into_map().unwrap_or_default();
                    page.insert("breadcrumbs".into(), Value::from_serializable(&crumbs));
                    Value::from(page)
                });
                context.insert_value("sections", || self.report_parts(i));
                let highlighted = site.pages[i].rendered.highlighted_code
                    || site.pages[i].children.iter().any(|&c| {
                        site.pages[c]
                            .part
                            .as_ref()
                            .is_some_and(|p| p.rendered.highlighted_code)
                    });
                context.insert("highlighted_code", &highlighted);
            }
            Job::Search => {
                context.insert_value("page", || self.listing_page("Search", &[]));
            }
            Job::NotFound => {
                context.insert_value("page", || self.listing_page("Page not found", &[]));
            }
        }
        let shown = SHOWN.with(|shown| shown.borrow_mut().take());
        let mut pages: Vec<PathBuf> = shown
            .into_iter()
            .flatten()
            .map(|i| site.pages[i].source.path.clone())
            .collect();
        pages.sort();
        context.reads.pages = pages;
        (url, template, context)
    }

    /// A report's sections in order, each with its body as a part of the whole report.
    fn report_parts(&self, year: usize) -> Value {
        self.site.pages[year]
            .children
            .iter()
            .filter_map(|&i| {
                let part = self.site.pages[i].part.as_ref()?;
                let mut map = self.page_value(i).into_map()?;
                map.insert("id".into(), part.id.clone().into());
                map.insert(
                    "content".into(),
                    self.body_html(&self.site.pages[i], &part.rendered),
                );
                Some(Value::from(map))
            })
            .collect::<Vec<_>>()
            .into()
    }

    /// The `page` value of a generated page: a title and breadcrumbs below home.
    fn listing_page(&self, title: &str, crumbs: &[LinkView]) -> Value {
        let mut breadcrumbs = vec![LinkView {
            title: "Home",
            url: self.link("/"),
        }];
        breadcrumbs.extend(crumbs.iter().map(|c| LinkView {
            title: c.title,
            url: c.url.clone(),
        }));
        let mut map = Map::new();
        map.insert("title".into(), title.into());
        map.insert("summary".into(), Value::none());
        map.insert("breadcrumbs".into(), Value::from_serializable(&breadcrumbs));
        Value::from(map)
    }

    fn taxonomy_value(&self, t: usize) -> Value {
        self.taxonomies
            .as_array()
            .and_then(|taxonomies| taxonomies.get(t))
            .cloned()
            .unwrap_or_else(Value::none)
    }

    fn empty_term_value(&self, t: usize, c: usize) -> Value {
        let choice = allowed_value(self.site, t, c);
        let mut map = Map::new();
        map.insert("value".into(), choice.value.into());
        map.insert("name".into(), choice.name.into());
        map.insert(
            "url".into(),
            self.link(&empty_term_url(self.site, t, c)).into(),
        );
        map.insert("count".into(), 0.into());
        Value::from(map)
    }

    fn term_value(&self, t: usize, k: usize) -> Value {
        let term = &self.site.taxonomies[t].terms[k];
        let mut map = Map::new();
        map.insert("value".into(), term.value.clone().into());
        map.insert("name".into(), term.name.clone().into());
        map.insert("url".into(), self.link(&term.url).into());
        map.insert("count".into(), term.pages.len().into());
        Value::from(map)
    }

    /// What the home page shows besides its own text.
    fn home_context(&self, context: &mut Recorded) {
        let (case_studies, resources, latest_report) = home_pages(self.site);
        context.insert_value("latest_case_studies", || self.summaries_of(&case_studies));
        context.insert_value("featured_resources", || self.summaries_of(&resources));
        context.insert_value("report", || {
            latest_report.map(|i| self.summary_of(i)).into()
        });
    }
}

/// "PDF" from "plan.pdf".
fn file_type(file: &str) -> String {
    Path::new(file)
        .extension()
        .map(|e| e.to_string_lossy().to_uppercase())
        .unwrap_or_else(|| "File".to_string())
}

/// File sizes as GOV.UK writes them: "240 KB", "1.2 MB".
fn human_size(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    match bytes {
        b if b < KB => format!("{b} bytes"),
        b if b < MB => format!("{} KB", b.div_ceil(KB)),
        b => format!("{:.1} MB", b as f64 / MB as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::jobs::all_jobs;
    use crate::output::NullSink;
    use crate::site::{test_config, test_sources};

    /// A home page and a section with two case studies, modelled in memory.
    fn site(first_title: &str, extra_field: &str) -> Site {
        let files = [
            ("content/_index.md", "title: Home"),
            ("content/case-studies/_index.md", "title: Case studies"),
            (
                "content/case-studies/a.md",
                &*format!("title: {first_title}\ndate: 2024-01-02\n{extra_field}"),
            ),
            ("content/case-studies/b.md", "title: B\ndate: 2024-01-01"),
        ];
        Site::build(test_config(), test_sources(&files), &[], true).0
    }

    /// Every job's reads, as `serve` records them, with no templates: every value is given.
    fn reads(site: &Site) -> HashMap<String, Reads> {
        reads_with(site, &Tera::new())
    }

    fn reads_with(site: &Site, tera: &Tera) -> HashMap<String, Reads> {
        render_changed(
            site,
            tera,
            &all_jobs(site),
            Some(Previous::NOTHING),
            &NullSink,
            &|| false,
        )
        .reads
    }

    #[test]
    fn a_value_put_into_a_context_is_recorded_as_it_goes_in() {
        let mut context = Recorded::new(true, None);
        context.insert("anything_new", "shown");
        assert!(context.reads.values.contains_key("anything_new"));
        assert!(context.context.contains_key("anything_new"));
        let before = context.reads.clone();
        context.insert("anything_new", "shown differently");
        assert_ne!(context.reads, before);
    }

    #[test]
    fn a_value_its_template_does_not_read_is_neither_given_nor_recorded() {
        let variables = HashSet::from(["page".to_string()]);
        let mut context = Recorded::new(true, Some(&variables));
        context.insert_value("page", || "shown".into());
        context.insert_value("pages", || unreachable!("a value nobody reads is not made"));
        assert!(context.context.contains_key("page") && !context.context.contains_key("pages"));
        assert_eq!(
            context.reads.values.keys().copied().collect::<Vec<_>>(),
            ["page"]
        );
    }

    #[test]
    fn a_new_term_changes_the_pages_whose_templates_list_terms_and_the_page_that_has_it() {
        let mut tera = Tera::new();
        tera.add_raw_templates([
            (
                "base.html",
                "{{ site.title }}{% block main %}{% endblock %}",
            ),
            (
                "case-study.html",
                "{% extends \"base.html\" %}{% block main %}{{ page.title }}{% endblock %}",
            ),
            (
                "section.html",
                "{% include \"terms.html\" %}{% for p in pages %}{{ p.title }}{% endfor %}",
            ),
            (
                "terms.html",
                "{% for t in taxonomies %}{{ t.name }}{% endfor %}",
            ),
        ])
        .unwrap();
        let before = reads_with(&site("A", ""), &tera);
        let after = reads_with(&site("A", "tags: [allotments]"), &tera);
        let differ: BTreeSet<&str> = after
            .keys()
            .filter(|url| before.get(*url) != after.get(*url))
            .map(String::as_str)
            .collect();
        assert!(differ.contains("/case-studies/a/") && differ.contains("/case-studies/"));
        assert!(!differ.contains("/case-studies/b/"), "{differ:?}");
    }

    #[test]
    fn a_field_only_its_page_shows_changes_that_page_alone() {
        let before = reads(&site("A", "organisation: Group"));
        let after = reads(&site("A", "organisation: Another group"));
        let differ: Vec<&String> = after
            .keys()
            .filter(|url| before.get(*url) != after.get(*url))
            .collect();
        assert_eq!(differ, ["/case-studies/a/"]);
    }

    #[test]
    fn a_title_changes_every_page_that_lists_or_links_it() {
        let before = reads(&site("A", ""));
        let after = reads(&site("A new title", ""));
        for url in ["/case-studies/a/", "/case-studies/", "/"] {
            assert_ne!(before.get(url), after.get(url), "{url}");
        }
        assert_eq!(before.get("/404.html"), after.get("/404.html"));
    }

    #[test]
    fn a_job_records_the_pages_it_shows_by_source_file() {
        let reads = reads(&site("A", ""));
        let a = Path::new("content/case-studies/a.md");
        let b = Path::new("content/case-studies/b.md");
        assert!(reads["/case-studies/"].shows(a) && reads["/case-studies/"].shows(b));
        assert!(reads["/case-studies/a/"].shows(a));
        assert!(!reads["/404.html"].shows(a));
    }

    #[test]
    fn a_build_run_once_records_no_reads() {
        let site = site("A", "");
        let rendered = render_changed(
            &site,
            &Tera::new(),
            &all_jobs(&site),
            None,
            &NullSink,
            &|| false,
        );
        assert!(rendered.reads.is_empty());
        assert_eq!(rendered.urls.len(), all_jobs(&site).len());
    }

    #[test]
    fn sizes_read_like_govuk() {
        assert_eq!(human_size(900), "900 bytes");
        assert_eq!(human_size(240 * 1024), "240 KB");
        assert_eq!(human_size(1_300_000), "1.2 MB");
        assert_eq!(file_type("plan.pdf"), "PDF");
    }

    #[test]
    fn pagination_links_first_last_and_a_window_around_the_current_page() {
        assert_eq!(pagination_numbers(1, 3), [1, 2, 3]);
        assert_eq!(pagination_numbers(10, 631), [1, 8, 9, 10, 11, 12, 631]);
        assert_eq!(pagination_numbers(631, 631), [1, 629, 630, 631]);
    }
}
