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
    let mut stored_pages = 0;
    for page in 0..pages {
        let stored = &files[&format!("search/pages/{page}.bin")];
        let data: serde_json::Value =
            serde_json::from_slice(&inflated(stored)).expect("result data is JSON");
        assert!(data["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(data["url"].as_str().is_some_and(|u| u.starts_with('/')));
        stored_pages += 1;
    }
    // Nothing else: one file per shard and per page, the facets and the manifest.
    assert_eq!(files.len(), shards + stored_pages + 2);
}

#[test]
fn a_new_page_leaves_the_result_files_of_the_other_pages_as_they_were() {
    let site = common::fixture("kinds");
    let before = index_of(site.path().to_path_buf());
    common::write(
        site.path(),
        "content/case-studies/newest.md",
        "---\ntitle: Quorn repair cafe\nsummary: A repair cafe opened in the village hall.\ndate: 2030-01-01\n---\nVolunteers mend toasters.\n",
    );
    let after = index_of(site.path().to_path_buf());
    let pages = |files: &BTreeMap<String, Vec<u8>>| {
        files
            .iter()
            .filter(|(path, _)| path.starts_with("search/pages/"))
            .map(|(path, bytes)| (path.clone(), bytes.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    let (before, after) = (pages(&before), pages(&after));
    assert_eq!(after.len(), before.len() + 1);
    for (path, bytes) in &before {
        assert_eq!(after.get(path), Some(bytes), "{path} changed");
    }
    let newest = format!("search/pages/{}.bin", before.len());
    let data: serde_json::Value = serde_json::from_slice(&inflated(&after[&newest])).unwrap();
    assert_eq!(data["title"], "Quorn repair cafe");
}
