//! Times the search index of a site apart from the rest of the build, for `bench/search.sh`:
//! `cargo run --release --example search_index -- SITE_ROOT [RUNS]` prints the fastest run's
//! time and the index's size as JSON.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use communities::pipeline::{self, Options};
use communities::search;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(args.next().unwrap_or_else(|| ".".to_string()));
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(3);
    let options = Options {
        root,
        ..Options::default()
    };
    let site = match pipeline::load(&options) {
        Ok((site, _)) => site,
        Err(problems) => {
            for problem in problems {
                eprintln!("{problem}");
            }
            return ExitCode::FAILURE;
        }
    };
    let mut best = f64::MAX;
    let mut files = Vec::new();
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        files = match search::files(&site) {
            Ok(files) => files,
            Err(problem) => {
                eprintln!("{problem}");
                return ExitCode::FAILURE;
            }
        };
        best = best.min(started.elapsed().as_secs_f64() * 1000.0);
    }
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    println!(
        "{{\"pages\": {}, \"index_ms\": {best:.0}, \"files\": {}, \"bytes\": {bytes}}}",
        site.pages.len(),
        files.len()
    );
    ExitCode::SUCCESS
}
