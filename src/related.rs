//! Related case studies: for each, the few others that share the most taxonomy terms, newest
//! first on ties.
//!
//! Every case study is compared with every other, which on a site of 60,000 case studies is
//! billions of comparisons if shared terms are counted one page at a time. Counts are kept
//! bit-sliced instead: bit `r` of counter cell `p` of a word is bit `p` of the count of the case
//! study of rank `r`, so adding a term adds 64 case studies at a time, and the best are found by
//! scanning the words for each count from the highest down, newest first.

use rayon::prelude::*;

/// A term's case studies, each by rank (0 is the newest).
enum Members {
    /// One bit per case study, for terms that hold at least as many as there are words: adding
    /// them word by word is then no more work than adding them one by one.
    Bits(Vec<u64>),
    Ranks(Vec<usize>),
}

/// The counts of shared terms of every case study with one of them.
struct Counts {
    /// Cells per word: enough bits for the most terms a case study has.
    planes: usize,
    cells: Vec<u64>,
}

impl Counts {
    fn new(words: usize, most_terms: usize) -> Counts {
        let planes = (usize::BITS - most_terms.leading_zeros()).max(1) as usize;
        Counts {
            planes,
            cells: vec![0; words * planes],
        }
    }

    /// Adds one to the count of each case study whose bit is set in `bits`.
    fn add(&mut self, word: usize, mut bits: u64) {
        for cell in &mut self.cells[word * self.planes..(word + 1) * self.planes] {
            let was = *cell;
            *cell ^= bits;
            bits &= was;
            if bits == 0 {
                break;
            }
        }
    }

    fn add_members(&mut self, members: &Members) {
        match members {
            Members::Bits(bits) => {
                for (word, &bits) in bits.iter().enumerate().filter(|(_, bits)| **bits != 0) {
                    self.add(word, bits);
                }
            }
            Members::Ranks(ranks) => {
                for &rank in ranks {
                    self.add(rank / 64, 1 << (rank % 64));
                }
            }
        }
    }

    /// The case studies of `word` whose count is exactly `count`.
    fn equal_to(&self, word: usize, count: usize) -> u64 {
        self.cells[word * self.planes..(word + 1) * self.planes]
            .iter()
            .enumerate()
            .fold(!0, |hits, (plane, &cell)| {
                hits & if count >> plane & 1 == 1 { cell } else { !cell }
            })
    }

    fn clear(&mut self) {
        self.cells.fill(0);
    }
}

/// For each of `cases` case studies by rank, the ranks of at most `count` others sharing the
/// most of `terms` (each a term's members by rank) with it, ties to the newest. `checkpoint`
/// is asked for each case study, as a big site takes a while.
pub fn related<E: Send>(
    cases: usize,
    terms: &[Vec<usize>],
    count: usize,
    checkpoint: &(dyn Fn() -> Result<(), E> + Sync),
) -> Result<Vec<Vec<usize>>, E> {
    let words = cases.div_ceil(64);
    let mut terms_of: Vec<Vec<usize>> = vec![Vec::new(); cases];
    for (id, members) in terms.iter().enumerate() {
        for &rank in members {
            terms_of[rank].push(id);
        }
    }
    let most_terms = terms_of.iter().map(Vec::len).max().unwrap_or(0);
    let members: Vec<Members> = terms
        .iter()
        .map(|ranks| {
            if ranks.len() < words {
                return Members::Ranks(ranks.clone());
            }
            let mut bits = vec![0u64; words];
            for &rank in ranks {
                bits[rank / 64] |= 1 << (rank % 64);
            }
            Members::Bits(bits)
        })
        .collect();
    (0..cases)
        .into_par_iter()
        .map_init(
            || Counts::new(words, most_terms),
            |counts, rank| {
                checkpoint()?;
                counts.clear();
                for &id in &terms_of[rank] {
                    counts.add_members(&members[id]);
                }
                let mut best = Vec::with_capacity(count);
                // No other case study shares more terms than this one has.
                'counts: for shared in (1..=terms_of[rank].len()).rev() {
                    for word in 0..words {
                        let mut hits = counts.equal_to(word, shared);
                        if word == rank / 64 {
                            hits &= !(1 << (rank % 64));
                        }
                        while hits != 0 {
                            if best.len() == count {
                                break 'counts;
                            }
                            best.push(word * 64 + hits.trailing_zeros() as usize);
                            hits &= hits - 1;
                        }
                    }
                }
                Ok(best)
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition, one pair at a time.
    fn related_pairwise(cases: usize, terms: &[Vec<usize>], count: usize) -> Vec<Vec<usize>> {
        let shared = |a: usize, b: usize| {
            terms
                .iter()
                .filter(|m| m.contains(&a) && m.contains(&b))
                .count()
        };
        (0..cases)
            .map(|rank| {
                let mut others: Vec<(usize, usize)> = (0..cases)
                    .filter(|&other| other != rank)
                    .map(|other| (shared(rank, other), other))
                    .filter(|&(n, _)| n > 0)
                    .collect();
                others.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                others.into_iter().take(count).map(|(_, o)| o).collect()
            })
            .collect()
    }

    fn to_the_end() -> Result<(), ()> {
        Ok(())
    }

    proptest! {
        #[test]
        fn related_case_studies_are_those_sharing_most_terms_newest_first(
            cases in 1usize..200,
            picks in proptest::collection::vec(proptest::collection::vec(any::<u16>(), 0..150), 0..12),
            count in 1usize..5,
        ) {
            // Terms from a few case studies to all of them, so both ways of adding are used.
            let terms: Vec<Vec<usize>> = picks
                .iter()
                .map(|pick| {
                    let mut ranks: Vec<usize> = pick.iter().map(|&p| p as usize % cases).collect();
                    ranks.sort_unstable();
                    ranks.dedup();
                    ranks
                })
                .collect();
            prop_assert_eq!(
                related(cases, &terms, count, &to_the_end).unwrap(),
                related_pairwise(cases, &terms, count)
            );
        }
    }

    #[test]
    fn counts_above_one_plane_carry_into_the_next() {
        let mut counts = Counts::new(1, 5);
        for _ in 0..5 {
            counts.add(0, 0b11);
        }
        counts.add(0, 0b10);
        assert_eq!(counts.equal_to(0, 5), 0b01);
        assert_eq!(counts.equal_to(0, 6), 0b10);
        assert_eq!(counts.equal_to(0, 0) & 0b11, 0);
    }
}
