//! Cuts the index into shards by ranges of stems, so that a query fetches only the shard that
//! holds its word's stem (or the few that hold every stem it is a prefix of).
//!
//! A shard, in little-endian LEB128 varints, strings in UTF-8:
//!   count of stems, then each in order:
//!     text: bytes shared with the previous stem, suffix length, suffix
//!     best score (f32), posting count, postings (page number as the gap from the previous
//!     one, then the score byte)
//!     word count, then each word: bytes shared with the stem, suffix length, suffix

use rayon::prelude::*;

use super::index::{Index, Stem};

pub struct Shard {
    /// The shortest prefix of its first stem that sorts after the previous shard's last stem:
    /// a stem belongs to the last shard whose key is not greater than it.
    pub key: String,
    pub bytes: Vec<u8>,
}

/// Shards of about `target` bytes; a single stem with more postings gets a shard of its own.
/// Each stem is let go once encoded, and each encoding once copied into its shard, so that the
/// index is not held three times over (100 MB at 100,000 pages).
pub fn shards(index: Index, target: usize) -> Vec<Shard> {
    let (texts, encoded): (Vec<String>, Vec<Vec<u8>>) = index
        .stems
        .into_par_iter()
        .map(|stem| {
            let bytes = encode_stem(&stem);
            (stem.text, bytes)
        })
        .unzip();
    let mut groups: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut group = Vec::new();
    let mut size = 0;
    for bytes in encoded {
        if size > 0 && size + bytes.len() > target {
            groups.push(std::mem::take(&mut group));
            size = 0;
        }
        size += bytes.len();
        group.push(bytes);
    }
    if !group.is_empty() {
        groups.push(group);
    }
    let starts: Vec<usize> = groups
        .iter()
        .scan(0, |start, group| {
            let this = *start;
            *start += group.len();
            Some(this)
        })
        .collect();
    groups
        .into_par_iter()
        .zip(starts)
        .map(|(group, from)| {
            let stems = &texts[from..from + group.len()];
            let key = match from {
                0 => String::new(),
                _ => shortest_key(&texts[from - 1], &stems[0]),
            };
            let mut bytes = Vec::new();
            varint(&mut bytes, group.len() as u64);
            let mut previous = "";
            for (stem, encoded) in stems.iter().zip(group) {
                text(&mut bytes, previous, stem);
                bytes.extend_from_slice(&encoded);
                previous = stem;
            }
            Shard { key, bytes }
        })
        .collect()
}

/// The shortest prefix of `first` that sorts after `previous`.
fn shortest_key(previous: &str, first: &str) -> String {
    let mut end = 0;
    for (i, c) in first.char_indices() {
        end = i + c.len_utf8();
        if &first[..end] > previous {
            break;
        }
    }
    first[..end].to_string()
}

/// A stem's postings and words: everything but its own text, which depends on its neighbour.
fn encode_stem(stem: &Stem) -> Vec<u8> {
    let mut out = Vec::with_capacity(stem.postings.len() * 2 + 16);
    out.extend_from_slice(&stem.max.to_le_bytes());
    varint(&mut out, stem.postings.len() as u64);
    let mut previous = 0;
    for &(doc, score) in &stem.postings {
        varint(&mut out, u64::from(doc - previous));
        out.push(score);
        previous = doc;
    }
    varint(&mut out, stem.words.len() as u64);
    for word in &stem.words {
        text(&mut out, &stem.text, word);
    }
    out
}

/// `word` as the bytes it shares with `base`, then the rest.
fn text(out: &mut Vec<u8>, base: &str, word: &str) {
    let bytes = word.as_bytes();
    let shared = base.bytes().zip(bytes).take_while(|(a, b)| a == *b).count();
    varint(out, shared as u64);
    varint(out, (bytes.len() - shared) as u64);
    out.extend_from_slice(&bytes[shared..]);
}

fn varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

#[cfg(test)]
mod tests {
    use super::super::index::Fields;
    use super::*;

    struct Decoded {
        stem: String,
        postings: Vec<(u32, u8)>,
        words: Vec<String>,
    }

    /// Reads a shard back, as `search.js` does.
    fn decode(bytes: &[u8]) -> Vec<Decoded> {
        let mut pos = 0;
        let next = |pos: &mut usize| {
            let (mut n, mut shift) = (0u64, 0);
            loop {
                let b = bytes[*pos];
                *pos += 1;
                n |= u64::from(b & 0x7f) << shift;
                shift += 7;
                if b < 0x80 {
                    return n;
                }
            }
        };
        let text = |pos: &mut usize, base: &[u8]| {
            let shared = next(pos) as usize;
            let len = next(pos) as usize;
            let mut word = base[..shared].to_vec();
            word.extend_from_slice(&bytes[*pos..*pos + len]);
            *pos += len;
            String::from_utf8(word).unwrap()
        };
        let mut out: Vec<Decoded> = Vec::new();
        for _ in 0..next(&mut pos) {
            let previous = out.last().map_or("", |d| d.stem.as_str()).to_string();
            let stem = text(&mut pos, previous.as_bytes());
            pos += 4;
            let mut doc = 0;
            let mut postings = Vec::new();
            for _ in 0..next(&mut pos) {
                doc += next(&mut pos) as u32;
                postings.push((doc, bytes[pos]));
                pos += 1;
            }
            let words = (0..next(&mut pos))
                .map(|_| text(&mut pos, stem.as_bytes()))
                .collect();
            out.push(Decoded {
                stem,
                postings,
                words,
            });
        }
        assert_eq!(pos, bytes.len(), "nothing left over");
        out
    }

    fn sample() -> Index {
        let bodies: Vec<String> = (0..40)
            .map(|i| format!("village hall{i} garden volunteers volunteering botcheston happy"))
            .collect();
        let docs: Vec<Fields> = bodies
            .iter()
            .map(|b| Fields {
                title: "",
                summary: "",
                headings: "",
                body: b.as_str().into(),
            })
            .collect();
        Index::of(&docs)
    }

    #[test]
    fn shards_cover_every_stem_once_in_order_and_keys_find_them() {
        let index = sample();
        let expected: Vec<String> = index.stems.iter().map(|s| s.text.clone()).collect();
        let shards = shards(index, 200);
        assert!(shards.len() > 3, "small target, several shards");
        let mut all = Vec::new();
        for (i, shard) in shards.iter().enumerate() {
            for decoded in decode(&shard.bytes) {
                // The lookup the browser does: the last shard whose key is <= the stem.
                let stem = decoded.stem;
                let found = shards.iter().rposition(|s| s.key.as_str() <= stem.as_str());
                assert_eq!(found, Some(i), "{stem}");
                all.push(stem);
            }
        }
        assert_eq!(all, expected);
    }

    #[test]
    fn postings_and_word_forms_round_trip() {
        let shard = &shards(sample(), usize::MAX)[0];
        let stems = decode(&shard.bytes);
        let volunteer = stems.iter().find(|d| d.stem == "volunt").unwrap();
        assert_eq!(volunteer.words, ["volunteering", "volunteers"]);
        assert_eq!(volunteer.postings.len(), 40);
        assert_eq!(volunteer.postings.last().unwrap().0, 39);
        // A word need not begin with its stem.
        let happy = stems.iter().find(|d| d.stem == "happi").unwrap();
        assert_eq!(happy.words, ["happy"]);
        let hall7 = stems.iter().find(|d| d.stem == "hall7").unwrap();
        assert_eq!(hall7.postings, [(7, 255)]);
    }

    #[test]
    fn keys_are_the_shortest_distinguishing_prefix() {
        assert_eq!(shortest_key("garden", "gardening"), "gardeni");
        assert_eq!(shortest_key("apple", "botcheston"), "b");
        assert_eq!(shortest_key("hall", "hallé"), "hallé");
    }
}
