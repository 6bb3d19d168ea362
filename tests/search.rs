//! The search index as stored: built in-process from the repository's own site, every file
//! inflates (as `search.js` inflates it) to the format the browser reads.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

use communities::pipeline::{self, Options};
use communities::search;

mod common;

fn index() -> BTreeMap<String, Vec<u8>> {
    index_of(PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

fn index_of(root: PathBuf) -> BTreeMap<String, Vec<u8>> {
    let options = Options {
        root,
        ..Options::default()
    };
    let (site, _) = pipeline::load(&options).expect("the site loads");
    search::files(&site)
        .expect("the index is written")
        .into_iter()
        .collect()
}

fn inflated(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("zlib data");
    out
}

#[test]
fn every_index_file_is_stored_compressed_and_inflates_to_what_the_browser_reads() {
    let files = index();
    let manifest: serde_json::Value =
        serde_json::from_slice(&inflated(&files["search/manifest.bin"]))
            .expect("the manifest is JSON");
    let pages = manifest["pages"].as_u64().unwrap() as usize;
    let shards = manifest["keys"].as_array().unwrap().len();
    assert!(pages > 10 && shards > 0, "{pages} pages, {shards} shards");

    let facets = inflated(&files["search/facets.bin"]);
    assert_eq!(
        facets.len(),
        pages * manifest["facetBytes"].as_u64().unwrap() as usize
    );
    for shard in 0..shards {
        let stored = &files[&format!("search/shards/{shard}.bin")];
        assert!(inflated(stored).len() > stored.len(), "shard {shard}");
    }
    let per_file = manifest["resultsPerFile"].as_u64().unwrap() as usize;
    assert_eq!(per_file, search::RESULTS_PER_FILE);
    let result_files = pages.div_ceil(per_file);
    let mut stored_pages = 0;
    for file in 0..result_files {
        let stored = &files[&format!("search/results/{file}.bin")];
        let data: Vec<serde_json::Value> =
            serde_json::from_slice(&inflated(stored)).expect("result data is a JSON array");
        let expected = per_file.min(pages - file * per_file);
        assert_eq!(data.len(), expected, "results/{file}.bin");
        for result in data {
            assert!(result["title"].as_str().is_some_and(|t| !t.is_empty()));
            assert!(result["url"].as_str().is_some_and(|u| u.starts_with('/')));
            stored_pages += 1;
        }
    }
    assert_eq!(stored_pages, pages);
    // Nothing else: one file per shard and per run of pages, the facets and the manifest.
    assert_eq!(files.len(), shards + result_files + 2);
}

/// The result files, each inflated to its pages' data.
fn results(files: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<serde_json::Value>> {
    files
        .iter()
        .filter(|(path, _)| path.starts_with("search/results/"))
        .map(|(path, bytes)| {
            (
                path.clone(),
                serde_json::from_slice(&inflated(bytes)).unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_new_page_leaves_every_result_file_but_the_last_as_it_was() {
    let site = common::fixture("kinds");
    // More pages than a result file holds, and not a whole number of files.
    for i in 0..search::RESULTS_PER_FILE + 3 {
        common::write(
            site.path(),
            &format!("content/case-studies/older-{i}.md"),
            &format!(
                "---\ntitle: Older project {i}\nsummary: A project of 2001.\ndate: 2001-01-{:02}\n---\nVolunteers met.\n",
                i + 1
            ),
        );
    }
    let before = index_of(site.path().to_path_buf());
    common::write(
        site.path(),
        "content/case-studies/newest.md",
        "---\ntitle: Quorn repair cafe\nsummary: A repair cafe opened in the village hall.\ndate: 2030-01-01\n---\nVolunteers mend toasters.\n",
    );
    let after = index_of(site.path().to_path_buf());
    let pages =
        |files: &BTreeMap<String, Vec<u8>>| results(files).values().map(Vec::len).sum::<usize>();
    let count = pages(&before);
    assert!(count > search::RESULTS_PER_FILE && count % search::RESULTS_PER_FILE != 0);
    assert_eq!(pages(&after), count + 1);
    let last = format!("search/results/{}.bin", count / search::RESULTS_PER_FILE);
    for (path, bytes) in before
        .iter()
        .filter(|(p, _)| p.starts_with("search/results/"))
    {
        if *path != last {
            assert_eq!(after.get(path), Some(bytes), "{path} changed");
        }
    }
    let newest = results(&after)[&last].last().unwrap().clone();
    assert_eq!(newest["title"], "Quorn repair cafe");
}
