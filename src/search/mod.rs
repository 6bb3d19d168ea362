//! The site's search index, written at build for `search.js` to query in the browser.
//!
//! Sized so that a query downloads little however big the site is: a small manifest (shard
//! keys, facet names, stop words, the distinct combinations of facet values), each page's
//! combination (a byte each, for counts without a query), the one shard holding the query's
//! word, and then the result files of the few pages shown. Page numbers follow the date, oldest
//! first, so equal scores rank newest first without shipping dates, and a new page leaves the
//! other pages' files as they were but the last result file (a deploy uploads only what
//! changed).
//!
//! The result data (title, address, kind, date, summary and the start of the text for excerpts)
//! of `RESULTS_PER_FILE` consecutive page numbers share one file, so that a site of 10,000 pages
//! has a few hundred result files rather than one per page; a result shown costs its file's
//! share of the others' data (about 16 pages' worth, 5 KB compressed on the benchmark corpus,
//! against 1 KB for a file of its own), and the newest first listing of a filter takes one file.
//!
//! Output under `search/`: `manifest.bin` (JSON), `facets.bin`, `shards/N.bin`, `results/N.bin`
//! (a JSON array: page `i` at position `i % RESULTS_PER_FILE` of file `i / RESULTS_PER_FILE`),
//! all stored zlib-compressed (the browser inflates them with `DecompressionStream`), as hosts
//! send binary files as they are: the bytes a query fetches are the stored ones.

mod index;
mod shard;
mod text;

use std::cmp::Reverse;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use flate2::Compression;
use flate2::write::ZlibEncoder;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::diagnostics::Diagnostic;
use crate::markdown::Rendered;
use crate::models::{AREAS, Choice, Kind, PRINCIPLES};
use crate::output::Sink;
use crate::site::{Page, Site};
use crate::view::{DateView, date_view, kind_label};

use index::{Counted, Fields, Index, Interned, Vocabulary};

/// Where the index goes in the output.
pub const DIR: &str = "search";

/// About this many bytes per shard: small enough to fetch for one word, large enough to keep
/// the list of shard keys in the manifest short.
const SHARD_BYTES: usize = 12 * 1024;

/// How hard shards are compressed: their postings are packed already, so level 2 is within
/// 0.3% of the best, at 0.8× the default's time; level 1 is a quicker method that leaves them
/// 40% larger.
const SHARD_LEVEL: Compression = Compression::new(2);

/// How much of a page's text its result data keeps for excerpts.
const EXCERPT_CHARS: usize = 1500;

/// Pages whose result data share a file: few files, and little of other pages' data fetched per
/// result shown.
pub const RESULTS_PER_FILE: usize = 16;

/// The facets' packed values must fit the 53 bits a JavaScript number holds exactly.
const MAX_FACET_BITS: u32 = 48;

/// A facet: its URL parameter, its heading, and each page's values as positions in `values`.
struct Facet {
    name: &'static str,
    label: &'static str,
    /// Several values per page (a bit each) rather than one (a number, 0 for none).
    multi: bool,
    values: Vec<FacetValue>,
    of_page: Vec<Vec<usize>>,
}

#[derive(Serialize)]
struct FacetValue {
    value: String,
    name: String,
}

#[derive(Serialize)]
struct FacetView<'a> {
    name: &'a str,
    label: &'a str,
    multi: bool,
    shift: u32,
    bits: u32,
    values: &'a [FacetValue],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Manifest<'a> {
    version: String,
    pages: usize,
    /// Shard `i` holds the words from `keys[i]` up to the next key.
    keys: Vec<&'a str>,
    stop_words: &'a [&'a str],
    facets: Vec<FacetView<'a>>,
    /// The distinct packed facet values of the pages, most common first...
    fields: Vec<u64>,
    /// ...and the width of each page's position in `fields` in `facets.bin`.
    facet_bytes: usize,
    results_per_file: usize,
}

/// What a result shows.
#[derive(Serialize)]
struct ResultData<'a> {
    title: &'a str,
    url: String,
    kind: String,
    date: Option<DateView>,
    summary: &'a str,
    /// Headings on lines of their own, so that excerpts keep them apart from the text.
    text: String,
}

/// Writes the index of every published page into the sink; with `kept` (as `serve` keeps it
/// between builds), from what the last index made wherever its pages and files are unchanged,
/// and `kept` then holds what this one made.
pub fn write(site: &Site, sink: &dyn Sink, kept: Option<&mut Kept>) -> Vec<Diagnostic> {
    let made = match kept {
        None => files(site),
        Some(kept) => files_kept(site, kept),
    };
    let files = match made {
        Ok(files) => files,
        Err(problem) => return vec![problem],
    };
    files
        .par_iter()
        .filter_map(|(path, bytes)| {
            sink.write(path, bytes).err().map(|e| {
                Diagnostic::error(path, 1, 1, format!("cannot write the search index: {e}"))
            })
        })
        .collect()
}

/// What one index was made of, for making the next after a few edits: each page's counted
/// words (with what they were counted from) and each file's compressed bytes (by its plain
/// bytes). The next index counts only the pages edited since and compresses only the files
/// that changed; everything else is made as `files` makes it, so the index is the same.
#[derive(Default)]
pub struct Kept {
    counted: FxHashMap<String, KeptCount>,
    /// The ids `counted` refers to words by.
    vocabulary: Vocabulary,
    compressed: Compressed,
    work: Work,
}

/// What making an index from what the last one kept did anew.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Work {
    /// Pages whose words were counted.
    pub counted: usize,
    /// Files compressed.
    pub compressed: usize,
}

/// Each of the index's files: output path and contents.
type IndexFiles = Vec<(String, Vec<u8>)>;

/// Compressed bytes by compression level and plain bytes.
type Compressed = FxHashMap<(u32, Vec<u8>), Vec<u8>>;

/// A page's counted words, by page address, and what they were counted from: the body's
/// text and headings (the same rendering, so the same text), the title and the description.
struct KeptCount {
    rendered: Arc<Rendered>,
    title: String,
    summary: String,
    interned: Arc<Interned>,
}

/// A page's words, as the last index kept them or counted anew.
enum Words {
    Kept(Arc<Interned>),
    Counted(Counted),
}

/// The index's files: output path and contents.
pub fn files(site: &Site) -> Result<IndexFiles, Diagnostic> {
    made(site, None).map(|(files, _)| files)
}

/// `files`, taking what `kept` holds and leaving in it what this index made.
pub fn files_kept(site: &Site, kept: &mut Kept) -> Result<IndexFiles, Diagnostic> {
    let (files, made) = made(site, Some(&mut *kept))?;
    *kept = made;
    Ok(files)
}

fn made(site: &Site, mut last: Option<&mut Kept>) -> Result<(IndexFiles, Kept), Diagnostic> {
    let order = oldest_first(site);
    let pages: Vec<&Page> = order.iter().map(|&i| &*site.pages[i]).collect();
    // Each of these visits every page's model, spread in memory: on every core.
    let headings: Vec<Vec<&str>> = pages
        .par_iter()
        .map(|p| p.rendered.toc.iter().map(|h| h.title.as_str()).collect())
        .collect();
    let heading_texts: Vec<String> = headings.par_iter().map(|h| h.join(" ")).collect();
    let described: Vec<String> = pages.par_iter().map(|p| description(p)).collect();
    let fields = |i: usize| {
        Ok(Fields {
            title: &pages[i].source.meta.title,
            summary: &described[i],
            headings: &heading_texts[i],
            body: pages[i].rendered.text.read_of(&pages[i].source.path)?,
        })
    };
    let mut kept = Kept::default();
    let index = match last.as_deref_mut() {
        None => Index::build(pages.len(), &fields)?,
        Some(last) => {
            let words: Vec<Words> = (0..pages.len())
                .into_par_iter()
                .map(|i| Ok(last.words(pages[i], &fields(i)?)))
                .collect::<Result<_, Diagnostic>>()?;
            // Counted anew on every core, then given ids on one.
            let interned: Vec<Arc<Interned>> = words
                .into_iter()
                .map(|words| match words {
                    Words::Kept(interned) => interned,
                    Words::Counted(counted) => {
                        kept.work.counted += 1;
                        Arc::new(last.vocabulary.intern(&counted))
                    }
                })
                .collect();
            kept.counted = pages
                .iter()
                .zip(&described)
                .zip(&interned)
                .map(|((page, summary), interned)| {
                    let count = KeptCount {
                        rendered: page.rendered.clone(),
                        title: page.source.meta.title.clone(),
                        summary: summary.clone(),
                        interned: interned.clone(),
                    };
                    (page.url().to_string(), count)
                })
                .collect();
            Index::from_interned(&last.vocabulary, interned)
        }
    };
    // The shards hold all a query needs: the index is let go as they are made, before the
    // result files are.
    let shards = shard::shards(index, SHARD_BYTES);
    let compressor = Compressor {
        last: last.as_deref(),
        made: Mutex::default(),
        anew: AtomicUsize::new(0),
    };
    let facets = facets(&pages);
    let (views, packed) = pack(&facets)?;
    let (fields, facet_bytes, positions) = positions(&packed);

    let result_files = pages.len().div_ceil(RESULTS_PER_FILE);
    let mut files: Vec<(String, Vec<u8>)> = Vec::with_capacity(shards.len() + result_files + 2);
    let (keys, shards): (Vec<String>, Vec<Vec<u8>>) =
        shards.into_iter().map(|s| (s.key, s.bytes)).unzip();
    files.par_extend(shards.into_par_iter().enumerate().map(|(i, shard)| {
        let bytes = compressor.compress(shard, SHARD_LEVEL);
        (format!("{DIR}/shards/{i}.bin"), bytes)
    }));
    files.push((
        format!("{DIR}/facets.bin"),
        compressor.compress(positions, Compression::default()),
    ));
    let results: Vec<(String, Vec<u8>)> = pages
        .par_chunks(RESULTS_PER_FILE)
        .zip(headings.par_chunks(RESULTS_PER_FILE))
        .enumerate()
        .map(|(file, (pages, headings))| {
            let data: Vec<ResultData> = pages
                .iter()
                .zip(headings)
                .map(|(page, headings)| result_data(site, page, headings))
                .collect::<Result<_, _>>()?;
            let json = serde_json::to_vec(&data).unwrap_or_default();
            Ok((
                format!("{DIR}/results/{file}.bin"),
                compressor.compress(json, Compression::default()),
            ))
        })
        .collect::<Result<_, Diagnostic>>()?;
    files.extend(results);

    // The version changes with the index, so browsers never mix shards of two builds.
    let mut hasher = DefaultHasher::new();
    files.hash(&mut hasher);
    let manifest = Manifest {
        version: format!("{:016x}", hasher.finish()),
        pages: pages.len(),
        keys: keys.iter().map(String::as_str).collect(),
        stop_words: text::STOP_WORDS,
        facets: views,
        fields,
        facet_bytes,
        results_per_file: RESULTS_PER_FILE,
    };
    let json = serde_json::to_vec(&manifest).unwrap_or_default();
    files.push((
        format!("{DIR}/manifest.bin"),
        compressor.compress(json, Compression::default()),
    ));
    kept.compressed = compressor
        .made
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    kept.work.compressed = compressor.anew.into_inner();
    if let Some(last) = last {
        kept.vocabulary = std::mem::take(&mut last.vocabulary);
    }
    Ok((files, kept))
}

impl Kept {
    /// What the index that left these did anew.
    pub fn work(&self) -> Work {
        self.work
    }

    /// The page's words: those kept when they were counted from the same text, or else
    /// counted now.
    fn words(&self, page: &Page, fields: &Fields) -> Words {
        match self.counted.get(page.url()) {
            Some(kept)
                if Arc::ptr_eq(&kept.rendered, &page.rendered)
                    && kept.title == fields.title
                    && kept.summary == fields.summary =>
            {
                Words::Kept(kept.interned.clone())
            }
            _ => Words::Counted(index::count(fields)),
        }
    }
}

/// Compresses the index's files; with the last index's files, takes the bytes it compressed
/// from the same plain ones, and keeps what it compresses for the next.
struct Compressor<'a> {
    last: Option<&'a Kept>,
    made: Mutex<Compressed>,
    anew: AtomicUsize,
}

impl Compressor<'_> {
    fn compress(&self, plain: Vec<u8>, level: Compression) -> Vec<u8> {
        let Some(last) = self.last else {
            return compressed(&plain, level);
        };
        let key = (level.level(), plain);
        let bytes = match last.compressed.get(&key) {
            Some(bytes) => bytes.clone(),
            None => {
                self.anew.fetch_add(1, Ordering::Relaxed);
                compressed(&key.1, level)
            }
        };
        self.made
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, bytes.clone());
        bytes
    }
}

fn result_data<'a>(
    site: &Site,
    page: &'a Page,
    headings: &[&str],
) -> Result<ResultData<'a>, Diagnostic> {
    let meta = &page.source.meta;
    Ok(ResultData {
        title: &meta.title,
        url: site.config.link(page.url()),
        kind: kind_label(page),
        date: date_view(meta.date),
        summary: meta.summary.as_deref().unwrap_or_default(),
        text: cut(
            &with_heading_breaks(&page.rendered.text.read_of(&page.source.path)?, headings),
            EXCERPT_CHARS,
        ),
    })
}

/// `bytes` in zlib's format, which `DecompressionStream("deflate")` reads. Text at the default
/// level: the best makes these small files no smaller, only slower to write.
fn compressed(bytes: &[u8], level: Compression) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::with_capacity(bytes.len() / 2), level);
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// Page positions, oldest first, undated pages before all; by URL, last first, on the same
/// date, so that the reverse order reads newest first and then by URL.
fn oldest_first(site: &Site) -> Vec<usize> {
    let mut order: Vec<usize> = (0..site.pages.len()).collect();
    order.par_sort_by(|&a, &b| {
        let (a, b) = (&site.pages[a].source, &site.pages[b].source);
        a.meta
            .date
            .cmp(&b.meta.date)
            .then_with(|| b.url.cmp(&a.url))
    });
    order
}

/// The summary with the words that describe a page without being in its text: its area's
/// name, tags and organisation, so "Blaby" finds what happened there.
fn description(page: &Page) -> String {
    let meta = &page.source.meta;
    let area = meta
        .area
        .as_deref()
        .map(|a| crate::models::display_name(Some(AREAS), a));
    let mut parts: Vec<&str> = meta.summary.iter().map(String::as_str).collect();
    parts.extend(area);
    parts.extend(meta.tags.iter().map(String::as_str));
    parts.extend(meta.organisation.as_deref());
    parts.join(" ")
}

/// At most `max` characters, ending at a word boundary.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((end, _)) => {
            let head = &text[..end];
            head.rfind(char::is_whitespace)
                .map_or(head, |space| &head[..space])
                .to_string()
        }
    }
}

/// The page's plain text (blocks joined by spaces) with each of its headings, in order, on a
/// line of its own.
fn with_heading_breaks(text: &str, headings: &[&str]) -> String {
    let mut out = String::with_capacity(text.len() + 2 * headings.len());
    let mut rest = text;
    for heading in headings.iter().filter(|h| !h.is_empty()) {
        let whole = rest.match_indices(heading).find(|(at, _)| {
            let end = at + heading.len();
            (*at == 0 || rest[..*at].ends_with(' '))
                && (end == rest.len() || rest[end..].starts_with(' '))
        });
        if let Some((at, _)) = whole {
            out.push_str(rest[..at].trim_end());
            out.push('\n');
            out.push_str(heading);
            out.push('\n');
            rest = rest[at + heading.len()..].trim_start();
        }
    }
    out.push_str(rest);
    out.trim().to_string()
}

fn facets(pages: &[&Page]) -> Vec<Facet> {
    let kinds = [
        Kind::CaseStudy,
        Kind::Resource,
        Kind::ReportSection,
        Kind::ReportYear,
        Kind::Page,
    ];
    let kind_values: Vec<FacetValue> = kinds
        .iter()
        .map(|k| FacetValue {
            value: kind_value(*k),
            name: capitalised(k.name()),
        })
        .collect();
    let mut years: Vec<String> = pages
        .iter()
        .filter_map(|p| p.source.meta.year.clone())
        .collect();
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
    vec![
        facet("kind", "Type of page", false, kind_values, pages, |p| {
            vec![kind_value(p.source.kind)]
        }),
        facet(
            "principle",
            "Principle",
            true,
            choices(PRINCIPLES),
            pages,
            |p| p.source.meta.principles.clone(),
        ),
        facet("area", "Area", false, choices(AREAS), pages, |p| {
            p.source.meta.area.iter().cloned().collect()
        }),
        facet(
            "year",
            "Annual report year",
            false,
            years
                .into_iter()
                .map(|y| FacetValue {
                    value: y.clone(),
                    name: y,
                })
                .collect(),
            pages,
            |p| p.source.meta.year.iter().cloned().collect(),
        ),
    ]
}

/// A facet with the candidate values that some page has, in the candidates' order.
fn facet(
    name: &'static str,
    label: &'static str,
    multi: bool,
    candidates: Vec<FacetValue>,
    pages: &[&Page],
    values_of: impl Fn(&Page) -> Vec<String>,
) -> Facet {
    let raw: Vec<Vec<String>> = pages.iter().map(|p| values_of(p)).collect();
    let values: Vec<FacetValue> = candidates
        .into_iter()
        .filter(|c| raw.iter().any(|vs| vs.contains(&c.value)))
        .collect();
    let of_page = raw
        .iter()
        .map(|vs| {
            values
                .iter()
                .enumerate()
                .filter(|(_, c)| vs.contains(&c.value))
                .map(|(i, _)| i)
                .collect()
        })
        .collect();
    Facet {
        name,
        label,
        multi,
        values,
        of_page,
    }
}

fn choices(table: &[Choice]) -> Vec<FacetValue> {
    table
        .iter()
        .map(|c| FacetValue {
            value: c.value.to_string(),
            name: c.name.to_string(),
        })
        .collect()
}

fn kind_value(kind: Kind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Every page's facet values packed into a number: for a multi-valued facet a bit per value,
/// otherwise the value's position plus one.
fn pack(facets: &[Facet]) -> Result<(Vec<FacetView<'_>>, Vec<u64>), Diagnostic> {
    let mut views = Vec::new();
    let mut shift = 0;
    for facet in facets {
        let n = facet.values.len() as u32;
        let bits = if facet.multi {
            n
        } else {
            u32::BITS - n.leading_zeros()
        };
        views.push(FacetView {
            name: facet.name,
            label: facet.label,
            multi: facet.multi,
            shift,
            bits,
            values: &facet.values,
        });
        shift += bits;
    }
    if shift > MAX_FACET_BITS {
        return Err(Diagnostic::error(
            "content",
            1,
            1,
            format!(
                "the search facets have too many values to pack ({shift} bits, at most {MAX_FACET_BITS})"
            ),
        ));
    }
    let pages = facets.first().map_or(0, |f| f.of_page.len());
    let packed = (0..pages)
        .map(|page| {
            let mut value: u64 = 0;
            for (facet, view) in facets.iter().zip(&views) {
                for &v in &facet.of_page[page] {
                    let field = if facet.multi { 1 << v } else { v as u64 + 1 };
                    value |= field << view.shift;
                }
            }
            value
        })
        .collect();
    Ok((views, packed))
}

/// Pages share few combinations of facet values, so each page stores the position of its own
/// in the list of distinct ones (most common first), little-endian in as few bytes as fit.
fn positions(packed: &[u64]) -> (Vec<u64>, usize, Vec<u8>) {
    let mut counts: HashMap<u64, usize> = HashMap::new();
    for &value in packed {
        *counts.entry(value).or_default() += 1;
    }
    let mut fields: Vec<u64> = counts.keys().copied().collect();
    fields.sort_unstable_by_key(|f| (Reverse(counts[f]), *f));
    let position: HashMap<u64, usize> = fields.iter().enumerate().map(|(i, f)| (*f, i)).collect();
    let last = fields.len().saturating_sub(1) as u64;
    let bytes = (u64::BITS - last.leading_zeros()).div_ceil(8).max(1) as usize;
    let mut out = Vec::with_capacity(packed.len() * bytes);
    for value in packed {
        out.extend_from_slice(&(position[value] as u64).to_le_bytes()[..bytes]);
    }
    (fields, bytes, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(names: &[&str]) -> Vec<FacetValue> {
        names
            .iter()
            .map(|n| FacetValue {
                value: n.to_string(),
                name: n.to_string(),
            })
            .collect()
    }

    #[test]
    fn facets_pack_into_few_bits_per_page() {
        let facets = [
            Facet {
                name: "kind",
                label: "Kind",
                multi: false,
                values: values(&["a", "b", "c"]),
                of_page: vec![vec![2], vec![], vec![0]],
            },
            Facet {
                name: "principle",
                label: "Principle",
                multi: true,
                values: values(&["x", "y", "z"]),
                of_page: vec![vec![0, 2], vec![1], vec![]],
            },
        ];
        let (views, packed) = pack(&facets).unwrap();
        assert_eq!((views[0].shift, views[0].bits), (0, 2));
        assert_eq!((views[1].shift, views[1].bits), (2, 3));
        // Page 0: kind c (position 2, stored 3), principles x and z (bits 0 and 2).
        assert_eq!(packed, [3 | (0b101 << 2), (0b010 << 2), 1]);
    }

    #[test]
    fn pages_store_the_position_of_their_facet_values_most_common_first() {
        assert_eq!(
            positions(&[9, 4, 9, 7, 9, 4]),
            (vec![9, 4, 7], 1, vec![0, 1, 0, 2, 0, 1])
        );
        assert_eq!(positions(&[]), (vec![], 1, vec![]));
        let many: Vec<u64> = (0..300).collect();
        let (fields, bytes, stored) = positions(&many);
        assert_eq!((fields.len(), bytes, stored.len()), (300, 2, 600));
        assert_eq!(&stored[598..], [43, 1], "299 little-endian");
    }

    #[test]
    fn excerpt_text_is_cut_at_a_word_boundary() {
        assert_eq!(cut("village hall garden", 12), "village");
        assert_eq!(cut("short", 12), "short");
        assert_eq!(cut("café société", 9), "café");
        assert_eq!(cut("village\nhall garden", 10), "village");
    }

    #[test]
    fn headings_stand_on_lines_of_their_own_in_the_excerpt_text() {
        let text = "Why it matters The party met near a school Art and play During the summer";
        assert_eq!(
            with_heading_breaks(
                text,
                &["Why it matters", "Art", "During the summer", "Gone"]
            ),
            "Why it matters\nThe party met near a school\nArt\nand play\nDuring the summer"
        );
    }

    #[test]
    fn kind_names_read_as_labels() {
        assert_eq!(kind_value(Kind::CaseStudy), "case-study");
        assert_eq!(
            capitalised(Kind::ReportSection.name()),
            "Annual report section"
        );
    }
}
