//! The inverted index: every stem, the folded words that reduce to it, and the pages that use
//! it with their BM25 score, worked out here so the browser only adds scores up.

use std::borrow::{Borrow, Cow};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::text::{Stems, fold, for_each_word, is_stop_word};

/// The text of one page, by field; the body as read back from where it waits.
pub struct Fields<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub headings: &'a str,
    pub body: Cow<'a, str>,
}

/// How much a word counts in each field: a word in the title or summary says more about a
/// page than one in its body (BM25F's field weights).
const TITLE_WEIGHT: u32 = 6;
const SUMMARY_WEIGHT: u32 = 3;
const HEADINGS_WEIGHT: u32 = 2;
const BODY_WEIGHT: u32 = 1;

/// Pages counted in parallel before their words are put into the vocabulary.
const COUNT_CHUNK: usize = 256;

const K1: f64 = 1.2;
const B: f64 = 0.75;

/// A page's score for a stem, as a fraction of the stem's best score in 255ths.
pub type Posting = (u32, u8);

pub struct Stem {
    pub text: String,
    /// The folded words of the pages that reduce to this stem, sorted: what typed prefixes
    /// and typos are matched against.
    pub words: Vec<String>,
    /// The best score any page has for this stem.
    pub max: f32,
    /// By page number, ascending.
    pub postings: Vec<Posting>,
}

pub struct Index {
    /// Sorted by their text.
    pub stems: Vec<Stem>,
}

impl Index {
    /// Indexes `pages` pages, numbered from 0, each page's fields as `fields` gives them.
    pub fn build<'a, E: Send>(
        pages: usize,
        fields: &(dyn Fn(usize) -> Result<Fields<'a>, E> + Sync),
    ) -> Result<Index, E> {
        // Each page's words become ids into one vocabulary a chunk of pages at a time, so that
        // the words (and texts) of every page are never held as strings at once (tens of KB a
        // page). A chunk's words are given ids on one core while the next chunk is counted on
        // the others.
        let mut vocabulary = Vocabulary::default();
        let mut interned: Vec<Interned> = Vec::with_capacity(pages);
        let mut words: Vec<Counted> = Vec::new();
        let chunks = (0..pages)
            .step_by(COUNT_CHUNK)
            .map(|start| start..pages.min(start + COUNT_CHUNK));
        for chunk in chunks.map(Some).chain([None]) {
            let (next, ()) = rayon::join(
                || match chunk {
                    None => Ok(Vec::new()),
                    Some(chunk) => chunk
                        .into_par_iter()
                        .map(|page| fields(page).map(|fields| count(&fields)))
                        .collect::<Result<Vec<Counted>, E>>(),
                },
                || {
                    for page in words.drain(..) {
                        interned.push(vocabulary.intern(&page));
                    }
                },
            );
            words = next?;
        }
        Ok(Index::from_interned(&vocabulary, interned))
    }

    /// Indexes the pages of `docs`, numbered by their positions.
    #[cfg(test)]
    pub fn of(docs: &[Fields]) -> Index {
        let fields = |i: usize| {
            let doc: &Fields = &docs[i];
            Ok::<_, std::convert::Infallible>(Fields {
                body: doc.body.as_ref().into(),
                ..*doc
            })
        };
        Index::build(docs.len(), &fields).unwrap_or_else(|never| match never {})
    }

    /// Indexes pages from their words as ids of `vocabulary`, which may hold words no page
    /// uses (any longer): those are left out.
    pub fn from_interned<I: Borrow<Interned>>(vocabulary: &Vocabulary, pages: Vec<I>) -> Index {
        let ids = &vocabulary.ids;
        let mut used = vec![false; ids.len()];
        for page in &pages {
            for &(id, _) in &page.borrow().tf {
                used[id as usize] = true;
            }
        }
        let mut vocabulary: Vec<(&str, u32)> = ids
            .iter()
            .filter(|(_, id)| used[**id as usize])
            .map(|(word, id)| (word.as_str(), *id))
            .collect();
        vocabulary.par_sort_unstable();
        let stemmed: Vec<String> = vocabulary
            .par_iter()
            .map_init(Stems::new, |stems, (w, _)| stems.stem(w))
            .collect();
        let mut distinct: Vec<&str> = stemmed.iter().map(String::as_str).collect();
        distinct.par_sort_unstable();
        distinct.dedup();
        let stem_ids: FxHashMap<&str, usize> =
            distinct.iter().enumerate().map(|(i, s)| (*s, i)).collect();
        // By word id.
        let mut word_stem = vec![0; ids.len()];
        for ((_, id), stem) in vocabulary.iter().zip(&stemmed) {
            word_stem[*id as usize] = stem_ids[stem.as_str()];
        }
        // The vocabulary is sorted, so each stem's words are too.
        let mut forms: Vec<Vec<String>> = vec![Vec::new(); distinct.len()];
        for (word, id) in &vocabulary {
            forms[word_stem[*id as usize]].push(word.to_string());
        }

        let lengths: Vec<f64> = pages
            .iter()
            .map(|page| f64::from(page.borrow().length))
            .collect();
        // Weighted term frequency of each stem in each page, pages in order: the words of a
        // stem in a page add up in its last entry (`last` is the page, from 1, that a stem was
        // last seen in). Each page's counts are let go as they are moved to their stems, so
        // that they are not held twice; for the same reason the lists grow as they fill, as
        // made at their sizes up front they were all held beside every page's counts (130 MB
        // more at the peak at 100,000 pages).
        let mut frequencies: Vec<Vec<(u32, u32)>> = vec![Vec::new(); distinct.len()];
        let mut last = vec![0u32; distinct.len()];
        let count = pages.len();
        for (doc, page) in (1..).zip(pages) {
            for &(word, n) in &page.borrow().tf {
                let stem = word_stem[word as usize];
                if last[stem] == doc {
                    if let Some(entry) = frequencies[stem].last_mut() {
                        entry.1 += n;
                    }
                } else {
                    last[stem] = doc;
                    frequencies[stem].push((doc - 1, n));
                }
            }
        }

        let pages = count as f64;
        let average = (lengths.iter().sum::<f64>() / pages.max(1.0)).max(1.0);
        let stems = frequencies
            .into_par_iter()
            .zip(forms)
            .zip(distinct)
            .map(|((list, words), text)| {
                let df = list.len() as f64;
                let idf = (1.0 + (pages - df + 0.5) / (df + 0.5)).ln();
                let scores: Vec<(u32, f64)> = list
                    .iter()
                    .map(|&(doc, tf)| {
                        let tf = f64::from(tf);
                        let norm = K1 * (1.0 - B + B * lengths[doc as usize] / average);
                        (doc, idf * tf * (K1 + 1.0) / (tf + norm))
                    })
                    .collect();
                let max = scores.iter().map(|s| s.1).fold(f64::MIN_POSITIVE, f64::max);
                Stem {
                    text: text.to_string(),
                    words,
                    max: max as f32,
                    postings: scores
                        .into_iter()
                        .map(|(doc, s)| (doc, quantise(s / max)))
                        .collect(),
                }
            })
            .collect();
        Index { stems }
    }
}

/// Words by id, given as pages' words are first seen. `serve` keeps one from index to index,
/// so that the words of pages not edited since keep their ids and are not looked up again.
#[derive(Default)]
pub struct Vocabulary {
    // Every word of every page is hashed here: a fast hasher, as the words are the site's own.
    ids: FxHashMap<String, u32>,
}

/// A page's words as ids of a vocabulary, each with its weighted count, and its weighted
/// length.
pub struct Interned {
    tf: Vec<(u32, u32)>,
    length: u32,
}

impl Vocabulary {
    pub fn intern(&mut self, page: &Counted) -> Interned {
        let tf = page
            .words()
            .map(|(word, n)| {
                let id = match self.ids.get(word) {
                    Some(&id) => id,
                    None => {
                        let id = self.ids.len() as u32;
                        self.ids.insert(word.to_string(), id);
                        id
                    }
                };
                (id, n)
            })
            .collect();
        Interned {
            tf,
            length: page.length,
        }
    }
}

/// A share of the best score in 255ths; never 0, so every posting still counts.
fn quantise(fraction: f64) -> u8 {
    (fraction * 255.0).round().clamp(1.0, 255.0) as u8
}

/// Weighted counts of a page's distinct words, and its weighted length.
pub fn count(doc: &Fields) -> Counted {
    let texts = [
        (fold(doc.title), TITLE_WEIGHT),
        (fold(doc.summary), SUMMARY_WEIGHT),
        (fold(doc.headings), HEADINGS_WEIGHT),
        (fold(&doc.body), BODY_WEIGHT),
    ];
    let mut tf: FxHashMap<&str, u32> = FxHashMap::default();
    for (text, weight) in &texts {
        for_each_word(text, |word| *tf.entry(word).or_default() += weight);
    }
    // Once per distinct word, not at each of the many uses of "the".
    tf.retain(|word, _| !is_stop_word(word));
    let length = tf.values().sum();
    let mut text = String::with_capacity(tf.keys().map(|w| w.len()).sum());
    let mut words = Vec::with_capacity(tf.len());
    for (word, n) in tf {
        text.push_str(word);
        words.push((text.len() as u32, n));
    }
    Counted {
        text,
        words,
        length,
    }
}

/// A page's distinct words, end to end in one string (a few allocations a page rather than
/// one a word), each with its weighted count, and the page's weighted length.
pub struct Counted {
    text: String,
    /// Where each word ends in `text`, and its count.
    words: Vec<(u32, u32)>,
    length: u32,
}

impl Counted {
    fn words(&self) -> impl Iterator<Item = (&str, u32)> {
        let mut start = 0;
        self.words.iter().map(move |&(end, n)| {
            let word = &self.text[start..end as usize];
            start = end as usize;
            (word, n)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc<'a>(title: &'a str, body: &'a str) -> Fields<'a> {
        Fields {
            title,
            summary: "",
            headings: "",
            body: body.into(),
        }
    }

    fn stem_of<'a>(index: &'a Index, word: &str) -> &'a Stem {
        index
            .stems
            .iter()
            .find(|s| s.words.iter().any(|w| w == word))
            .unwrap()
    }

    fn score(index: &Index, word: &str, doc: u32) -> f32 {
        let stem = stem_of(index, word);
        stem.postings
            .iter()
            .find(|p| p.0 == doc)
            .map_or(0.0, |p| stem.max * f32::from(p.1) / 255.0)
    }

    #[test]
    fn stop_words_are_neither_counted_nor_part_of_a_page_s_length() {
        let counted = count(&doc("The hall", "the village hall and its garden"));
        let mut words: Vec<(&str, u32)> = counted.words().collect();
        words.sort();
        let title_and_body = TITLE_WEIGHT + BODY_WEIGHT;
        assert_eq!(
            words,
            [("garden", 1), ("hall", title_and_body), ("village", 1)]
        );
        assert_eq!(counted.length, title_and_body + 2);
    }

    #[test]
    fn word_forms_share_one_stem_and_its_postings() {
        let index = Index::of(&[doc("Volunteering", "help"), doc("Garden", "our volunteers")]);
        let stem = stem_of(&index, "volunteers");
        assert_eq!(stem.text, "volunt");
        assert_eq!(stem.words, ["volunteering", "volunteers"]);
        let docs: Vec<u32> = stem.postings.iter().map(|p| p.0).collect();
        assert_eq!(docs, [0, 1]);
    }

    #[test]
    fn a_title_word_outranks_the_same_word_in_the_body() {
        let filler = "parish meeting notes agenda minutes";
        let index = Index::of(&[
            doc("Allotments", filler),
            doc("Parish news", "allotments notes agenda minutes"),
        ]);
        assert!(score(&index, "allotments", 0) > score(&index, "allotments", 1));
    }

    #[test]
    fn rarer_words_score_higher_than_common_ones() {
        let index = Index::of(&[doc("A", "hall library"), doc("B", "hall"), doc("C", "hall")]);
        assert!(score(&index, "library", 0) > score(&index, "hall", 0));
    }

    #[test]
    fn shorter_pages_score_higher_for_the_same_count() {
        let index = Index::of(&[
            doc("A", "pantry"),
            doc(
                "B",
                "pantry and a great many other words about the village and its hall",
            ),
        ]);
        assert!(score(&index, "pantry", 0) > score(&index, "pantry", 1));
    }
}
