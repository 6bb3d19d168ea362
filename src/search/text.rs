//! Words as search sees them: accents and case folded away, split on anything that is not a
//! letter or digit, stop words dropped, and reduced to their Snowball English stem.
//!
//! The browser folds and splits a query the same way (`search.js`: NFKD, no marks, lower
//! case, split on non-alphanumerics), so both sides agree on what a word is.

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Words too common to tell pages apart; the manifest hands the same list to the browser.
pub const STOP_WORDS: &[&str] = &[
    "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "in", "into",
    "is", "it", "its", "of", "on", "or", "that", "the", "their", "them", "there", "they", "this",
    "to", "was", "were", "which", "with",
];

/// Lower case without accents: "Café Élan" -> "cafe elan".
pub fn fold(text: &str) -> String {
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

/// Calls `f` with each word of a folded text that is worth indexing: two characters or more,
/// not a stop word.
pub fn for_each_word<'a>(folded: &'a str, mut f: impl FnMut(&'a str)) {
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().nth(1).is_some() && !STOP_WORDS.contains(w))
        .for_each(&mut f);
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
        for_each_word(folded, |w| out.push(w));
        out
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

    #[test]
    fn stems_join_word_forms() {
        let stems = Stems::new();
        assert_eq!(stems.stem("volunteering"), stems.stem("volunteers"));
        assert_eq!(stems.stem("communities"), stems.stem("community"));
        assert_eq!(stems.stem("libraries"), "librari");
    }
}
