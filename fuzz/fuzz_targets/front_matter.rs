//! Any bytes as a content file of any kind: parsing and validation must return a page or
//! diagnostics, never panic or hang.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

const PATHS: &[&str] = &[
    "content/about.md",
    "content/case-studies/a.md",
    "content/resources/kit/index.md",
    "content/annual-report/2020-21/_index.md",
    "content/annual-report/2020-21/grants.md",
];

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    let path = Path::new(PATHS[usize::from(which) % PATHS.len()]);
    let (source, problems) = communities::content::parse_bytes(Path::new("/nonexistent"), path, bytes);
    for problem in &problems {
        assert!(problem.line().is_none_or(|l| l >= 1));
        assert!(problem.column().is_none_or(|c| c >= 1));
    }
    if let Some(source) = source {
        assert!(source.url.starts_with('/') && source.url.ends_with('/'));
        assert!(!source.url.contains("/../") && !source.url.contains("//"));
    }
});
