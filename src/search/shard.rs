//! Cuts the index into shards by ranges of words, so that a query fetches only the shard that
//! holds its word (or the few that hold every word it is a prefix of).
//!
//! A shard, in little-endian LEB128 varints:
//!   stems: count, then each: best score (f32), posting count, postings (page number as the
//!          gap from the previous one, then the score byte)
//!   words: count, then each in order: bytes shared with the previous word, suffix length,
//!          suffix (UTF-8), number of its stem within this shard

use std::collections::HashMap;

use rayon::prelude::*;

use super::index::{Index, Stem};

pub struct Shard {
    /// The shortest prefix of its first word that sorts after the previous shard's last word:
    /// a word belongs to the last shard whose key is not greater than it.
    pub key: String,
    pub bytes: Vec<u8>,
}

/// Shards of about `target` bytes; a single stem with more postings gets a shard of its own.
pub fn shards(index: &Index, target: usize) -> Vec<Shard> {
    let encoded: Vec<Vec<u8>> = index.stems.par_iter().map(encode_stem).collect();
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let (mut start, mut size) = (0, 0);
    let mut seen: HashMap<usize, ()> = HashMap::new();
    for (i, (word, stem)) in index.words.iter().enumerate() {
        let mut cost = word.len() + 3;
        if !seen.contains_key(stem) {
            cost += encoded[*stem].len();
        }
        if size > 0 && size + cost > target {
            groups.push((start, i));
            (start, size) = (i, 0);
            seen.clear();
            cost = word.len() + 3 + encoded[*stem].len();
        }
        seen.insert(*stem, ());
        size += cost;
    }
    if start < index.words.len() {
        groups.push((start, index.words.len()));
    }
    groups
        .par_iter()
        .map(|&(from, to)| {
            let key = if from == 0 {
                String::new()
            } else {
                shortest_key(&index.words[from - 1].0, &index.words[from].0)
            };
            Shard {
                key,
                bytes: encode_shard(&index.words[from..to], &encoded),
            }
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

fn encode_stem(stem: &Stem) -> Vec<u8> {
    let mut out = Vec::with_capacity(stem.postings.len() * 2 + 8);
    out.extend_from_slice(&stem.max.to_le_bytes());
    varint(&mut out, stem.postings.len() as u64);
    let mut previous = 0;
    for &(doc, score) in &stem.postings {
        varint(&mut out, u64::from(doc - previous));
        out.push(score);
        previous = doc;
    }
    out
}

fn encode_shard(words: &[(String, usize)], encoded: &[Vec<u8>]) -> Vec<u8> {
    let mut local: HashMap<usize, usize> = HashMap::new();
    let mut order: Vec<usize> = Vec::new();
    for (_, stem) in words {
        local.entry(*stem).or_insert_with(|| {
            order.push(*stem);
            order.len() - 1
        });
    }
    let mut out = Vec::new();
    varint(&mut out, order.len() as u64);
    for stem in &order {
        out.extend_from_slice(&encoded[*stem]);
    }
    varint(&mut out, words.len() as u64);
    let mut previous: &[u8] = &[];
    for (word, stem) in words {
        let bytes = word.as_bytes();
        let shared = previous
            .iter()
            .zip(bytes)
            .take_while(|(a, b)| a == b)
            .count();
        varint(&mut out, shared as u64);
        varint(&mut out, (bytes.len() - shared) as u64);
        out.extend_from_slice(&bytes[shared..]);
        varint(&mut out, local[stem] as u64);
        previous = bytes;
    }
    out
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

    /// Reads a shard back: (word, [(page, score byte)]).
    fn decode(bytes: &[u8]) -> Vec<(String, Vec<(u32, u8)>)> {
        let mut pos = 0;
        let mut stems = Vec::new();
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
        for _ in 0..next(&mut pos) {
            pos += 4;
            let mut doc = 0;
            let mut postings = Vec::new();
            for _ in 0..next(&mut pos) {
                doc += next(&mut pos) as u32;
                postings.push((doc, bytes[pos]));
                pos += 1;
            }
            stems.push(postings);
        }
        let mut words = Vec::new();
        let mut previous: Vec<u8> = Vec::new();
        for _ in 0..next(&mut pos) {
            let shared = next(&mut pos) as usize;
            let len = next(&mut pos) as usize;
            let mut word = previous[..shared].to_vec();
            word.extend_from_slice(&bytes[pos..pos + len]);
            pos += len;
            let stem = next(&mut pos) as usize;
            words.push((
                String::from_utf8(word.clone()).unwrap(),
                stems[stem].clone(),
            ));
            previous = word;
        }
        words
    }

    fn sample() -> Index {
        let bodies: Vec<String> = (0..40)
            .map(|i| format!("village hall{i} garden volunteers volunteering botcheston"))
            .collect();
        let docs: Vec<Fields> = bodies
            .iter()
            .map(|b| Fields {
                title: "",
                summary: "",
                headings: "",
                body: b,
            })
            .collect();
        Index::build(&docs)
    }

    #[test]
    fn shards_cover_every_word_once_in_order_and_keys_find_them() {
        let index = sample();
        let shards = shards(&index, 200);
        assert!(shards.len() > 3, "small target, several shards");
        let mut all = Vec::new();
        for (i, shard) in shards.iter().enumerate() {
            for (word, _) in decode(&shard.bytes) {
                // The lookup the browser does: the last shard whose key is <= the word.
                let found = shards.iter().rposition(|s| s.key.as_str() <= word.as_str());
                assert_eq!(found, Some(i), "{word}");
                all.push(word);
            }
        }
        let expected: Vec<String> = index.words.iter().map(|w| w.0.clone()).collect();
        assert_eq!(all, expected);
    }

    #[test]
    fn postings_round_trip_with_gaps() {
        let index = sample();
        let shard = &shards(&index, usize::MAX)[0];
        let words = decode(&shard.bytes);
        let (_, postings) = words.iter().find(|(w, _)| w == "volunteering").unwrap();
        assert_eq!(postings.len(), 40);
        assert_eq!(postings.last().unwrap().0, 39);
        let (_, hall7) = words.iter().find(|(w, _)| w == "hall7").unwrap();
        assert_eq!(hall7, &[(7, 255)]);
    }

    #[test]
    fn keys_are_the_shortest_distinguishing_prefix() {
        assert_eq!(shortest_key("garden", "gardening"), "gardeni");
        assert_eq!(shortest_key("apple", "botcheston"), "b");
        assert_eq!(shortest_key("hall", "hallé"), "hallé");
    }
}
