//! The build, start to end: load, parse, validate, model, render, write.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::config::Config;
use crate::content::{self, Source};
use crate::diagnostics::{Diagnostic, Diagnostics, display_path};
use crate::output::{DirSink, NullSink, Sink, Staging};
use crate::render::{self, THEME, THEME_DIR};
use crate::search;
use crate::site::Site;

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
}

/// Everything the build reads, checked and modelled; `Err` holds every problem found.
pub fn load(options: &Options) -> Result<(Site, Vec<Diagnostic>), Vec<Diagnostic>> {
    let root = &options.root;
    let mut problems = Diagnostics::new();
    let config = Config::load(root, options.base_url.as_deref())
        .map_err(|d| problems.push(d))
        .ok();

    let (files, walk_problems) = content::discover(root);
    problems.extend(walk_problems);
    let parsed: Vec<(Option<Source>, Vec<Diagnostic>)> = files
        .pages
        .par_iter()
        .map(|path| content::parse_file(root, path))
        .collect();
    let mut sources = Vec::with_capacity(parsed.len());
    for (source, file_problems) in parsed {
        problems.extend(file_problems);
        sources.extend(source);
    }

    let Some(config) = config else {
        return Err(problems.into_sorted());
    };
    let (site, model_problems) = Site::build(config, sources, &files.assets, options.drafts);
    problems.extend(model_problems);
    problems.extend(generated_url_collisions(&site));
    if problems.has_errors() {
        return Err(problems.into_sorted());
    }
    Ok((site, problems.into_sorted()))
}

/// A page whose URL a generated listing (a taxonomy or a listing page) also takes.
fn generated_url_collisions(site: &Site) -> Vec<Diagnostic> {
    let generated: std::collections::HashSet<String> =
        render::generated_urls(site).into_iter().collect();
    site.pages
        .iter()
        .filter(|p| generated.contains(p.url()))
        .map(|p| {
            Diagnostic::error(
                &p.source.path,
                1,
                1,
                format!(
                    "this page would be published at {}, which the site uses for a listing",
                    p.url()
                ),
            )
            .with_hint("rename the file or set a different `slug`")
        })
        .collect()
}

/// Static files to copy: the theme's (built in, or the site's own copy), then the site's
/// `static/`, then content files; a later one of the same output path replaces an earlier.
fn static_files(root: &Path, site: &Site) -> BTreeMap<String, StaticFile> {
    let mut files = BTreeMap::new();
    if let Some(dir) = THEME.get_dir("static") {
        let mut stack = vec![dir];
        while let Some(dir) = stack.pop() {
            stack.extend(dir.dirs());
            for file in dir.files() {
                let rel = file.path().strip_prefix("static").unwrap_or(file.path());
                files.insert(display_path(rel), StaticFile::BuiltIn(file.contents()));
            }
        }
    }
    for base in [Path::new(THEME_DIR).join("static"), PathBuf::from("static")] {
        for entry in walkdir::WalkDir::new(root.join(&base))
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            if entry.file_type().is_file() {
                let rel = entry
                    .path()
                    .strip_prefix(root.join(&base))
                    .unwrap_or(entry.path());
                files.insert(
                    display_path(rel),
                    StaticFile::Disk(entry.path().to_path_buf()),
                );
            }
        }
    }
    for asset in &site.assets {
        files.insert(
            asset.url.trim_start_matches('/').to_string(),
            StaticFile::Disk(root.join(&asset.source)),
        );
    }
    files
}

enum StaticFile {
    BuiltIn(&'static [u8]),
    Disk(PathBuf),
}

/// Renders every page and copies every file into the sink.
fn write_site(root: &Path, site: &Site, sink: &dyn Sink) -> Result<usize, Vec<Diagnostic>> {
    let tera = render::load_templates(root, site.config.base_path())?;
    let jobs = render::all_jobs(site);
    let mut problems = render::render(site, &tera, &jobs, sink);
    problems.extend(search::write(site, sink));
    let statics = static_files(root, site);
    let page_outputs: std::collections::HashSet<String> = site
        .pages
        .iter()
        .map(|p| render::output_path(p.url()))
        .collect();
    let copy_problems: Vec<Diagnostic> = statics
        .par_iter()
        .filter_map(|(path, file)| {
            let source = match file {
                StaticFile::BuiltIn(_) => PathBuf::from(THEME_DIR).join("static").join(path),
                StaticFile::Disk(p) => p.strip_prefix(root).unwrap_or(p).to_path_buf(),
            };
            if page_outputs.contains(path) {
                return Some(Diagnostic::error(
                    &source,
                    1,
                    1,
                    format!("this file would replace the page published at /{path}"),
                ));
            }
            let result = match file {
                StaticFile::BuiltIn(bytes) => sink.write(path, bytes),
                StaticFile::Disk(from) => sink.copy(path, from),
            };
            result.err().map(|e| {
                Diagnostic::error(&source, 1, 1, format!("this file cannot be copied: {e}"))
            })
        })
        .collect();
    problems.extend(copy_problems);
    if problems.is_empty() {
        Ok(jobs.len())
    } else {
        problems.sort();
        Err(problems)
    }
}

/// `communities build`: the whole site into the output folder, or nothing changed at all.
pub fn build(options: &Options) -> Result<Summary, Vec<Diagnostic>> {
    let started = Instant::now();
    let output = options.output_dir();
    // Refuse an unsafe output before any work, so nothing is touched.
    crate::output::check_output_location(&options.root, &output).map_err(|d| vec![d])?;
    let (site, warnings) = load(options)?;
    let staging = Staging::prepare(&options.root, &output).map_err(|d| vec![d])?;
    let sink = DirSink::new(staging.dir().to_path_buf());
    let pages = write_site(&options.root, &site, &sink)?;
    let shown = display_path(&output);
    staging.commit().map_err(|e| {
        vec![Diagnostic::error(
            &output,
            1,
            1,
            format!("cannot put the new site in place at {shown}: {e}"),
        )]
    })?;
    Ok(Summary {
        pages,
        files: site.assets.len(),
        elapsed: started.elapsed(),
        warnings,
    })
}

/// `communities check`: every validation of `build`, rendering included, writing nothing.
pub fn check(options: &Options) -> Result<Summary, Vec<Diagnostic>> {
    let started = Instant::now();
    let (site, warnings) = load(options)?;
    let pages = write_site(&options.root, &site, &NullSink)?;
    Ok(Summary {
        pages,
        files: site.assets.len(),
        elapsed: started.elapsed(),
        warnings,
    })
}
