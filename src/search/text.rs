//! Words as search sees them: accents and case folded away, split on anything that is not a
//! letter or digit, stop words dropped, and reduced to their Snowball English stem.
//!
//! The browser folds and splits a query the same way (`search.js`: NFKD, no marks, lower
//! case, split on non-alphanumerics), so both sides agree on what a word is.

use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Words too common to tell pages apart; the manifest hands the same list to the browser.
pub const STOP_WORDS: &[&str] = &[
    "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "in", "into",
    "is", "it", "its", "of", "on", "or", "that", "the", "their", "them", "there", "they", "this",
    "to", "was", "were", "which", "with",
];

/// The longest stop word: longer words, nearly all, are no stop word without a lookup.
const LONGEST_STOP_WORD: usize = longest(STOP_WORDS);

const fn longest(words: &[&str]) -> usize {
    let (mut i, mut most) = (0, 0);
    while i < words.len() {
        if words[i].len() > most {
            most = words[i].len();
        }
        i += 1;
    }
    most
}

/// The stop words each as one number, sorted: every distinct word of every page is looked up,
/// and comparing numbers is quicker than comparing strings.
static PACKED_STOP_WORDS: LazyLock<Vec<u64>> = LazyLock::new(|| {
    let mut packed: Vec<u64> = STOP_WORDS.iter().map(|w| packed(w)).collect();
    packed.sort_unstable();
    packed
});

/// A word of at most eight bytes as one number; two words give the same number only if they
/// are the same, as no byte of a word is zero.
fn packed(word: &str) -> u64 {
    word.bytes().fold(0, |n, byte| n << 8 | u64::from(byte))
}

const _: () = assert!(LONGEST_STOP_WORD <= 8, "stop words are packed into 8 bytes");

/// Whether a folded word is a stop word.
pub fn is_stop_word(word: &str) -> bool {
    word.len() <= LONGEST_STOP_WORD && PACKED_STOP_WORDS.binary_search(&packed(word)).is_ok()
}

/// Lower case without accents: "Café Élan" -> "cafe elan".
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            // Each character on its own: marks are dropped, so their reordering cannot matter.
            decompose_compatible(c, |d| {
                if !is_combining_mark(d) {
                    out.extend(d.to_lowercase());
                }
            });
        }
    }
    out
}

/// Calls `f` with each word of a folded text of two characters or more, stop words included
/// (a page's counts drop them once per distinct word rather than at every use). Words are
/// split on every character that is not a letter or digit; ASCII, nearly all of a page's text,
/// is told apart byte by byte without decoding.
pub fn for_each_word<'a>(folded: &'a str, mut f: impl FnMut(&'a str)) {
    let bytes = folded.as_bytes();
    let mut word_start = None;
    let mut at = 0;
    while at < bytes.len() {
        let (in_word, width) = if bytes[at].is_ascii() {
            (bytes[at].is_ascii_alphanumeric(), 1)
        } else {
            // `at` is always at a character's start: ASCII bytes and whole characters are stepped over.
            let c = folded[at..].chars().next().unwrap_or(' ');
            (c.is_alphanumeric(), c.len_utf8())
        };
        match (in_word, word_start) {
            (true, None) => word_start = Some(at),
            (false, Some(start)) => {
                emit_word(&folded[start..at], &mut f);
                word_start = None;
            }
            _ => {}
        }
        at += width;
    }
    if let Some(start) = word_start {
        emit_word(&folded[start..], &mut f);
    }
}

fn emit_word<'a>(word: &'a str, f: &mut impl FnMut(&'a str)) {
    if word.chars().nth(1).is_some() {
        f(word);
    }
}

/// Reduces folded words to stems ("volunteering" -> "volunt").
pub struct Stems(Stemmer);

impl Stems {
    pub fn new() -> Self {
        Stems(Stemmer::create(Algorithm::English))
    }

    pub fn stem(&self, word: &str) -> String {
        self.0.stem(word).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        let folded = Box::leak(fold(text).into_boxed_str());
        let mut out = Vec::new();
        for_each_word(folded, |w| {
            if !is_stop_word(w) {
                out.push(w);
            }
        });
        out
    }

    #[test]
    fn each_stop_word_is_listed_once_in_order_and_found_and_no_other_word_is() {
        assert!(
            STOP_WORDS.windows(2).all(|w| w[0] < w[1]),
            "sorted, no repeats"
        );
        assert!(STOP_WORDS.iter().all(|w| is_stop_word(w)));
        for word in [
            "a",
            "ands",
            "ann",
            "th",
            "tha",
            "theirs",
            "volunteers",
            "withdraw",
        ] {
            assert!(!is_stop_word(word), "{word}");
        }
    }

    #[test]
    fn folding_removes_accents_and_case() {
        assert_eq!(
            fold("Café ÉLAN naïve Ångström ﬁ"),
            "cafe elan naive angstrom fi"
        );
    }

    #[test]
    fn words_split_on_punctuation_and_drop_stop_words_and_single_letters() {
        assert_eq!(
            words("The council's Re-use scheme, in 2021: a café!"),
            ["council", "re", "use", "scheme", "2021", "cafe"]
        );
    }

    /// The word list that `tests/browser/stemmer.test.mjs` also stems with `search.js`'s
    /// stemmer: one "word stem" per line. `UPDATE_STEMS=1` rewrites the stems from this one.
    const STEM_LIST: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/search/stems.txt"
    );

    #[test]
    fn the_word_list_shared_with_the_browser_stemmer_has_this_stemmer_s_stems() {
        let stems = Stems::new();
        let listed = std::fs::read_to_string(STEM_LIST).unwrap();
        let pairs: Vec<(&str, &str)> = listed
            .lines()
            .map(|line| line.split_once(' ').unwrap_or((line, "")))
            .collect();
        assert!(pairs.len() > 1000, "a long list");
        if std::env::var_os("UPDATE_STEMS").is_some() {
            let lines: String = pairs
                .iter()
                .map(|(word, _)| format!("{word} {}\n", stems.stem(word)))
                .collect();
            std::fs::write(STEM_LIST, lines).unwrap();
            return;
        }
        for (word, stem) in pairs {
            assert_eq!(stems.stem(word), stem, "{word}");
        }
    }

    #[test]
    fn words_split_on_any_character_that_is_no_letter_or_digit_whatever_its_script() {
        assert_eq!(
            words("ørsted—kraków · 東京 2024 x² ½ ǅ"),
            ["ørsted", "krakow", "東京", "2024", "x2", "dz"]
        );
        let text = "mixed ascii, łódź… and «quoted» words; ends with ü";
        let mut split = Vec::new();
        for_each_word(text, |w| split.push(w));
        let expected: Vec<&str> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() > 1)
            .collect();
        assert_eq!(split, expected);
    }

    #[test]
    fn stems_join_word_forms() {
        let stems = Stems::new();
        assert_eq!(stems.stem("volunteering"), stems.stem("volunteers"));
        assert_eq!(stems.stem("communities"), stems.stem("community"));
        assert_eq!(stems.stem("libraries"), "librari");
    }
}
