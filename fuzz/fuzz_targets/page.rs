//! One page through the whole pipeline in memory: parse, model, render every output page with
//! the built-in theme. Problems must come back as diagnostics, never as a panic.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use communities::config::Config;
use communities::output::NullSink;
use communities::pipeline::prepare;
use communities::jobs::all_jobs;
use communities::render::render;
use communities::site::Site;
use libfuzzer_sys::fuzz_target;

const SITE: &str = "title: Fuzz\nbase_url: https://fuzz.example/sub/\npage_size: 2\n";

/// The built-in theme's templates, with its stylesheets and scripts fingerprinted as a build
/// does it.
fn templates(site: &Site) -> &'static tera::Tera {
    static TERA: OnceLock<tera::Tera> = OnceLock::new();
    TERA.get_or_init(|| {
        prepare(Path::new("/nonexistent"), site)
            .expect("the built-in theme loads")
            .1
    })
}

fuzz_target!(|data: &[u8]| {
    let root = Path::new("/nonexistent");
    let (source, _) = communities::content::parse_bytes(root, Path::new("content/case-studies/a.md"), data);
    let Some(source) = source else {
        return;
    };
    let config = Config::parse(SITE, None).expect("fixed config parses");
    let (site, _) = Site::build(config, vec![source], &[], true);
    let jobs = all_jobs(&site);
    let problems = render(&site, templates(&site), &jobs, &NullSink);
    assert!(problems.is_empty(), "the built-in theme renders any valid page: {problems:?}");
});
