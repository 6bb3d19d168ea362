//! The build, start to end: load, parse, validate, model, render, write.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use tera::Tera;

use crate::assets::{self, Fingerprints};
use crate::background_drop::BackgroundDrop;
use crate::config::{Config, DEFAULT_MAX_FILE_MB};
use crate::content::{self, Source};
use crate::diagnostics::{Diagnostic, Diagnostics, display_path};
use crate::highlight;
use crate::images::{self, Pictures};
use crate::jobs;
use crate::links;
use crate::markdown;
use crate::memory;
use crate::output::{DirSink, NullSink, Sink, Staging};
use crate::owners;
use crate::publish;
use crate::render::{self, Previous, Rendered};
use crate::search;
use crate::site::{Asset, ModelCache, NoCache, Site, to_the_end};
use crate::spill::{Spill, Stored};
use crate::theme::{self, THEME_DIR};

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub root: PathBuf,
    /// Relative to the root unless absolute; `public` when not given.
    pub output: Option<PathBuf>,
    pub drafts: bool,
    pub base_url: Option<String>,
}

impl Options {
    pub fn output_dir(&self) -> PathBuf {
        self.root
            .join(self.output.as_deref().unwrap_or(Path::new("public")))
    }
}

#[derive(Debug)]
pub struct Summary {
    pub pages: usize,
    pub files: usize,
    pub elapsed: Duration,
    pub warnings: Vec<Diagnostic>,
    /// Pictures made anew and taken from the cache.
    pub pictures: images::Work,
}

/// Everything the build reads, checked and modelled; `Err` holds every problem found.
pub fn load(options: &Options) -> Result<(Site, Vec<Diagnostic>), Vec<Diagnostic>> {
    load_with(options, Pictures::new)
}

/// `load`, its pictures made by `pictures` (which `check` has only checked).
fn load_with(
    options: &Options,
    pictures: fn(&Path, &Config) -> Pictures,
) -> Result<(Site, Vec<Diagnostic>), Vec<Diagnostic>> {
    let root = &options.root;
    let mut problems = Diagnostics::new();
    let config = Config::load(root, options.base_url.as_deref())
        .map_err(|d| problems.push(d))
        .ok();
    let max_mb = config
        .as_ref()
        .map_or(DEFAULT_MAX_FILE_MB, |c| c.max_file_mb);
    let (files, walk_problems) = content::discover(root);
    problems.extend(walk_problems);
    memory::free_at_once_on_a_large_site(files.pages.len());
    let parsed: Vec<(Option<Source>, Vec<Diagnostic>)> = files
        .pages
        .par_iter()
        .map(|path| content::parse_file(root, path, max_mb))
        .collect();
    let mut sources = Vec::with_capacity(parsed.len());
    for (source, file_problems) in parsed {
        problems.extend(file_problems);
        sources.extend(source);
    }

    let Some(config) = config else {
        return Err(problems.into_sorted());
    };
    model(
        pictures(root, &config),
        config,
        sources,
        &files.assets,
        options.drafts,
        &NoCache {
            spill: Spill::new(),
        },
        problems,
        &to_the_end,
    )
}

/// The checked model of parsed sources, adding its problems to those found before, with the
/// pages' pictures as `pictures` makes them (the one way a check's model differs from a
/// build's); `serve` calls it with the sources and rendered Markdown it kept from its previous
/// build, and a `checkpoint` that stops it once newer edits wait.
#[allow(clippy::too_many_arguments)]
pub fn model<E: From<Vec<Diagnostic>> + Send>(
    pictures: Pictures,
    config: Config,
    sources: Vec<Source>,
    assets: &[PathBuf],
    drafts: bool,
    cache: &dyn ModelCache,
    mut problems: Diagnostics,
    checkpoint: &(dyn Fn() -> Result<(), E> + Sync),
) -> Result<(Site, Vec<Diagnostic>), E> {
    problems.extend(config.warnings.iter().cloned());
    // A draft bundle's files are as unpublished as its page.
    let draft_bundles: Vec<PathBuf> = sources
        .iter()
        .filter(|s| !drafts && s.is_bundle && s.meta.draft)
        .map(Source::dir)
        .collect();
    let assets: Vec<PathBuf> = assets
        .iter()
        .filter(|file| !draft_bundles.iter().any(|dir| file.starts_with(dir)))
        .cloned()
        .collect();
    let (static_assets, static_problems) = find_static_files(pictures.root());
    problems.extend(static_problems);
    let pictures = Arc::new(pictures);
    let (site, model_problems) = Site::build_cached(
        config,
        sources,
        &assets,
        static_assets,
        drafts,
        cache,
        pictures,
        checkpoint,
    )?;
    problems.extend(model_problems);
    // Freed elsewhere if a checkpoint gives up.
    let site = BackgroundDrop::new(site);
    checkpoint()?;
    problems.extend(links::check(&site, checkpoint)?);
    checkpoint()?;
    // Each maps every output path, which takes a while on a big site.
    let (owner_problems, address_problems) = rayon::join(
        || owners::check(&site, checkpoint),
        || publish::check(&site, checkpoint),
    );
    problems.extend(owner_problems?);
    problems.extend(address_problems?);
    checkpoint()?;
    if problems.has_errors() {
        return Err(problems.into_sorted().into());
    }
    Ok((site.into_inner(), problems.into_sorted()))
}

/// The files of the site's own theme `static/`, then those of `static/`; `owners` reports a
/// static file that takes a theme file's path.
pub(crate) fn find_static_files(root: &Path) -> (Vec<Asset>, Vec<Diagnostic>) {
    let mut assets = Vec::new();
    let mut problems = Vec::new();
    for base in [Path::new(THEME_DIR).join("static"), PathBuf::from("static")] {
        let (found, walk_problems) = content::site_files(root, &base);
        problems.extend(walk_problems);
        assets.extend(found.into_iter().map(|source| {
            let inner = display_path(source.strip_prefix(&base).unwrap_or(&source));
            Asset {
                url: format!("/{inner}"),
                source,
            }
        }));
    }
    (assets, problems)
}

/// Files to copy: the built-in theme's, then the site's own static files, then content
/// files; the site's own theme files replace built-in ones of the same path.
fn static_files(root: &Path, site: &Site) -> BTreeMap<String, StaticFile> {
    let mut files = BTreeMap::new();
    for file in theme::theme_files("static") {
        let rel = file.path().strip_prefix("static").unwrap_or(file.path());
        files.insert(display_path(rel), StaticFile::BuiltIn(file.contents()));
    }
    // A picture is published as its resized copies; the original only when a page links to it
    // for download.
    let pictures = site.pictures.sources();
    let linked = linked_files(site);
    for asset in site.static_files.iter().chain(site.assets.iter()) {
        if pictures.contains(&asset.source) && !linked.contains(&asset.source) {
            continue;
        }
        files.insert(
            asset.url.trim_start_matches('/').to_string(),
            StaticFile::Disk(root.join(&asset.source)),
        );
    }
    for (path, file) in site.pictures.files() {
        files.insert(path, StaticFile::Disk(file));
    }
    files
}

/// Files pages link to (not show): attachments, and Markdown links that are not pictures.
fn linked_files(site: &Site) -> HashSet<PathBuf> {
    let content_file = |url: &str| site.content_file(url);
    site.pages
        .par_iter()
        .flat_map_iter(|page| {
            let attachments = page
                .source
                .meta
                .attachments
                .iter()
                .map(|a| a.source.clone());
            let links = page
                .rendered
                .links
                .iter()
                .filter(|l| !l.picture)
                .filter_map(|l| {
                    markdown::linked_file(
                        &l.dest,
                        &page.source.content_path,
                        site.config.base_path(),
                        &content_file,
                    )
                });
            attachments.chain(links).collect::<Vec<_>>()
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaticFile {
    BuiltIn(&'static [u8]),
    Disk(PathBuf),
    /// Made by the build, or read already to hash its name.
    Made(PathBuf, Vec<u8>),
}

/// The files to copy, stylesheets and scripts at their hashed names, and the templates that
/// link them there.
pub fn prepare(
    root: &Path,
    site: &Site,
) -> Result<(BTreeMap<String, StaticFile>, Tera), Vec<Diagnostic>> {
    let (statics, fingerprints) = fingerprint(root, site)?;
    let tera = theme::load_templates(root, site.config.base_path(), &fingerprints)?;
    Ok((statics, tera))
}

/// Stylesheets and scripts move to their content-hashed names (the code highlighting
/// stylesheet with them); what `asset()` links is recorded.
pub fn fingerprint(
    root: &Path,
    site: &Site,
) -> Result<(BTreeMap<String, StaticFile>, Fingerprints), Vec<Diagnostic>> {
    let mut statics = static_files(root, site);
    statics.insert(
        highlight::STYLESHEET.trim_start_matches('/').to_string(),
        StaticFile::Made(
            PathBuf::from(highlight::STYLESHEET.trim_start_matches('/')),
            highlight::stylesheet().into_bytes(),
        ),
    );
    let mut fingerprints = Fingerprints::default();
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    for (path, file) in statics {
        if !assets::is_fingerprinted(&path) {
            out.insert(path, file);
            continue;
        }
        let (source, bytes) = match file {
            StaticFile::BuiltIn(bytes) => (
                PathBuf::from(THEME_DIR).join("static").join(&path),
                bytes.to_vec(),
            ),
            StaticFile::Made(source, bytes) => (source, bytes),
            StaticFile::Disk(from) => match std::fs::read(&from) {
                Ok(bytes) => (
                    from.strip_prefix(root).unwrap_or(&from).to_path_buf(),
                    bytes,
                ),
                Err(e) => {
                    problems.push(Diagnostic::file_error(
                        from.strip_prefix(root).unwrap_or(&from),
                        format!("this file cannot be read: {e}"),
                    ));
                    continue;
                }
            },
        };
        let bytes = assets::minified(&path, bytes);
        let published = fingerprints.add(&path, &bytes);
        out.insert(published, StaticFile::Made(source, bytes));
    }
    if problems.is_empty() {
        Ok((out, fingerprints))
    } else {
        Err(problems)
    }
}

/// `fingerprint` again after edits to stylesheets and scripts alone, from what it gave before:
/// only the edited files are read and hashed again, where reading every file took 20 ms on a
/// big site. `None` when an edited file is anything else, or was not published as one of them
/// (new, gone, or hidden by a file of the same path): `fingerprint` then. A folder among them
/// is passed over: it is not published itself. The folder a theme's first stylesheet of its
/// own is saved in stays among the edits until a rebuild ends, which never happens while
/// saves come quickly, and every file was hashed again for each save.
pub fn fingerprint_edited(
    root: &Path,
    statics: &BTreeMap<String, StaticFile>,
    fingerprints: &Fingerprints,
    edited: &BTreeSet<PathBuf>,
) -> Option<(BTreeMap<String, StaticFile>, Fingerprints)> {
    let mut statics = statics.clone();
    let mut fingerprints = fingerprints.clone();
    for file in edited.iter().filter(|path| !root.join(path).is_dir()) {
        let published = statics.iter().find_map(|(published, made)| {
            matches!(made, StaticFile::Made(source, _) if source == file).then(|| published.clone())
        })?;
        let path = fingerprints.plain_path(&published)?;
        let bytes = assets::minified(&path, std::fs::read(root.join(file)).ok()?);
        statics.remove(&published);
        let published = fingerprints.add(&path, &bytes);
        statics.insert(published, StaticFile::Made(file.clone(), bytes));
    }
    Some((statics, fingerprints))
}

impl StaticFile {
    /// The file relative to the root, for diagnostics.
    fn source(&self, root: &Path, path: &str) -> PathBuf {
        match self {
            StaticFile::BuiltIn(_) => PathBuf::from(THEME_DIR).join("static").join(path),
            StaticFile::Disk(p) => p.strip_prefix(root).unwrap_or(p).to_path_buf(),
            StaticFile::Made(source, _) => source.clone(),
        }
    }

    /// Puts the file into the sink at `path`.
    pub fn copy(&self, root: &Path, path: &str, sink: &dyn Sink) -> Result<(), Diagnostic> {
        match self {
            StaticFile::BuiltIn(bytes) => sink.write(path, bytes),
            StaticFile::Made(_, bytes) => sink.write(path, bytes),
            StaticFile::Disk(from) => sink.copy(path, from),
        }
        .map_err(|e| {
            Diagnostic::file_error(
                self.source(root, path),
                format!("this file cannot be copied: {e}"),
            )
        })
    }
}

/// Renders every page and copies every file into the sink; the pages' HTML is let go once
/// they are written.
pub fn write_site(
    root: &Path,
    site: &mut Site,
    tera: &Tera,
    statics: &BTreeMap<String, StaticFile>,
    sink: &dyn Sink,
) -> Result<usize, Vec<Diagnostic>> {
    let mut rendered = write_pages(root, site, tera, statics, None, sink, &|| false);
    release_written(site);
    rendered
        .problems
        .extend(write_site_wide(site, tera, sink, None));
    if rendered.problems.is_empty() {
        Ok(rendered.urls.len())
    } else {
        rendered.problems.sort();
        Err(rendered.problems)
    }
}

/// The pages, the content editor's files and the given static files. With `previous` (as
/// `serve` keeps it), only pages whose reads or templates changed are rendered, and every
/// page's reads are recorded for the next time. Pages are left undone once `stop` says so.
pub fn write_pages(
    root: &Path,
    site: &Site,
    tera: &Tera,
    statics: &BTreeMap<String, StaticFile>,
    previous: Option<Previous>,
    sink: &dyn Sink,
    stop: &(dyn Fn() -> bool + Sync),
) -> Rendered {
    let jobs = jobs::all_jobs(site);
    let mut rendered = render::render_changed(site, tera, &jobs, previous, sink, stop);
    if rendered.overtaken {
        return rendered;
    }
    rendered
        .problems
        .extend(crate::cms::write(root, site, sink));
    let copy_problems: Vec<Diagnostic> = statics
        .par_iter()
        .filter_map(|(path, file)| file.copy(root, path, sink).err())
        .collect();
    rendered.problems.extend(copy_problems);
    rendered
}

/// The outputs made from every page at once: the feed, sitemap, redirects and search index,
/// the index from what the last one `kept` where it can be.
pub fn write_site_wide(
    site: &Site,
    tera: &Tera,
    sink: &dyn Sink,
    kept: Option<&mut search::Kept>,
) -> Vec<Diagnostic> {
    let mut problems = publish::write(site, tera, sink);
    problems.extend(search::write(site, sink, kept));
    problems
}

/// `communities build`: the whole site into the output folder, or nothing changed at all.
pub fn build(options: &Options) -> Result<Summary, Vec<Diagnostic>> {
    let started = Instant::now();
    let output = options.output_dir();
    // Refuse an unsafe output before any work, so nothing is touched.
    crate::output::check_output_location(&options.root, &output).map_err(|d| vec![d])?;
    let (mut site, warnings) = load(options)?;
    let staging = Staging::prepare(&options.root, &output).map_err(|d| vec![d])?;
    let sink = DirSink::new(staging.dir().to_path_buf());
    let (statics, tera) = prepare(&options.root, &site)?;
    let pages = write_site(&options.root, &mut site, &tera, &statics, &sink)?;
    site.pictures.prune_cache();
    let mut warnings = warnings;
    warnings.extend(staging.commit().map_err(|d| vec![d])?);
    let summary = Summary {
        pages,
        files: site.assets.len(),
        elapsed: started.elapsed(),
        warnings,
        pictures: site.pictures.work(),
    };
    // Freed beside the report of the build, not before it.
    drop(BackgroundDrop::new(site));
    Ok(summary)
}

/// Lets go of what only the pages needed once every page is written, as what is made from the
/// whole site after them (feed, sitemap, search index) does not read it: the rendered HTML
/// (the largest part of the model where no spill could be made), the links and anchors the
/// link check read, and the front matter as written, which checks point into (90 MB at
/// 100,000 pages, while the search index is made). What `serve` keeps for its next build is
/// shared, and stays.
fn release_written(site: &mut Site) {
    for page in site.pages.iter_mut().filter_map(Arc::get_mut) {
        page.source.front_matter = String::new();
        if let Some(rendered) = Arc::get_mut(&mut page.rendered) {
            rendered.html = Stored::default();
            rendered.links = Vec::new();
            rendered.anchors = Vec::new();
        }
        if let Some(part) = page.part.as_mut().and_then(Arc::get_mut) {
            part.rendered = markdown::Rendered::default();
        }
    }
}

/// `communities check`: every validation of `build`, rendering included, writing nothing.
pub fn check(options: &Options) -> Result<Summary, Vec<Diagnostic>> {
    let started = Instant::now();
    let (mut site, warnings) = load_with(options, Pictures::checking)?;
    let (statics, tera) = prepare(&options.root, &site)?;
    let pages = write_site(&options.root, &mut site, &tera, &statics, &NullSink)?;
    Ok(Summary {
        pages,
        files: site.assets.len(),
        elapsed: started.elapsed(),
        warnings,
        pictures: site.pictures.work(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_keeps_rendered_bodies_in_its_spill_rather_than_in_memory() {
        let options = Options {
            root: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            ..Options::default()
        };
        let (site, _) = load(&options).expect("this site builds");
        let page = site
            .pages
            .iter()
            .find(|p| p.source.content_path == "about.md")
            .expect("the about page is published");
        let (html, text) = (&page.rendered.html, &page.rendered.text);
        assert!(matches!(html, Stored::Spilled { .. }), "{html:?}");
        assert!(matches!(text, Stored::Spilled { .. }), "{text:?}");
        assert!(html.read().unwrap().contains("<p>"));
        assert!(!text.read().unwrap().contains('<'));
    }

    #[test]
    fn only_edited_stylesheets_are_hashed_again_whatever_folders_were_made_for_them() {
        let root = tempfile::tempdir().unwrap();
        let sheet = PathBuf::from("themes/default/static/style.css");
        std::fs::create_dir_all(root.path().join("themes/default/static")).unwrap();
        std::fs::write(root.path().join(&sheet), "body { color: red; }").unwrap();
        let mut fingerprints = Fingerprints::default();
        let old = b"body{color:blue}".to_vec();
        let published = fingerprints.add("style.css", &old);
        let statics = BTreeMap::from([(published.clone(), StaticFile::Made(sheet.clone(), old))]);
        let edited = BTreeSet::from([PathBuf::from("themes/default/static"), sheet.clone()]);

        let (statics, fingerprints) =
            fingerprint_edited(root.path(), &statics, &fingerprints, &edited)
                .expect("the stylesheet alone is hashed again");
        let new = fingerprints.get("/style.css").expect("still published");
        assert_ne!(new, format!("/{published}"));
        let Some(StaticFile::Made(source, bytes)) = statics.get(new.trim_start_matches('/')) else {
            panic!("{statics:?}");
        };
        assert_eq!(source, &sheet);
        assert!(String::from_utf8_lossy(bytes).contains("red"));
        assert_eq!(statics.len(), 1, "the old name is gone");
    }
}
