//! The best `k` cases of a ranked query and how many match in all, without scoring every
//! match.
//!
//! A page shows ten cases, but the count is exact, so every match is visited. Visiting is
//! cheap (the character view decides it); scoring is not: each match seeks every rank term
//! of every text and synonym, and common words such as 城市 are in nearly every case. So
//! matches are listed by the query's `matching` form, and a match is scored (by the
//! `scored` form, so scores are exactly what they were) only if its score could beat the
//! k-th best so far. The bound adds, term by term, what a term contributes to this case (a
//! short seek for a title or topic term, which most cases lack) and the most any other term
//! can contribute; the largest terms come first, so most cases are ruled out after the few
//! title and topic terms, before the body's long posting lists are touched.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25Weight, EnableScoring, Scorer};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentReader, TERMINATED};

use super::SearchError;
use super::query::Compiled;

/// How many cases match, and the best `k` with their scores, best first; equal scores in
/// index order (as tantivy's `TopDocs` gives them).
pub fn top_scored(
    searcher: &tantivy::Searcher,
    q: &Compiled,
    k: usize,
) -> Result<(usize, Vec<(Score, DocAddress)>), SearchError> {
    let scored = q
        .scored
        .weight(EnableScoring::enabled_from_searcher(searcher))?;
    let matching = q
        .matching
        .weight(EnableScoring::disabled_from_searcher(searcher))?;
    // BM25 statistics are the searcher's, as in the scored form.
    let weights = q
        .rank
        .iter()
        .map(|r| {
            Ok(Bm25Weight::for_terms(searcher, std::slice::from_ref(&r.term))?.boost_by(r.weight))
        })
        .collect::<tantivy::Result<Vec<_>>>()?;
    let mut best = Best::new(k.max(1));
    let mut total = 0usize;
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let mut bound = Bound::open(reader, q, &weights)?;
        let mut candidates = matching.scorer(reader, 1.0)?;
        let mut full = scored.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut doc = candidates.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                total += 1;
                let worth = match best.threshold() {
                    None => true,
                    Some(t) => bound.may_exceed(doc, t),
                };
                // The scored form matches exactly the candidates; it is only moved to
                // those worth scoring.
                if worth && seek(full.as_mut(), doc) == doc {
                    best.offer(full.score(), DocAddress::new(ord as u32, doc));
                }
            }
            doc = candidates.advance();
        }
    }
    Ok((total, best.into_sorted()))
}

fn seek(d: &mut dyn Scorer, doc: DocId) -> DocId {
    if d.doc() < doc { d.seek(doc) } else { d.doc() }
}

/// One rank term in one segment.
struct TermBound {
    postings: SegmentPostings,
    norms: FieldNormReader,
    weight: Bm25Weight,
    /// The most this term adds to any case's score.
    max: Score,
}

impl TermBound {
    fn score(&mut self, doc: DocId) -> Score {
        let at = if self.postings.doc() < doc {
            self.postings.seek(doc)
        } else {
            self.postings.doc()
        };
        if at == doc {
            self.weight
                .score(self.norms.fieldnorm_id(doc), self.postings.term_freq())
        } else {
            0.0
        }
    }
}

/// An upper bound on a case's score, worked out only as far as it must be.
struct Bound {
    fixed: Score,
    /// Largest contribution first.
    terms: Vec<TermBound>,
    /// `rest[i]`: the most terms `i..` can add together.
    rest: Vec<Score>,
}

impl Bound {
    fn open(
        reader: &SegmentReader,
        q: &Compiled,
        weights: &[Bm25Weight],
    ) -> tantivy::Result<Bound> {
        let mut terms = Vec::with_capacity(q.rank.len());
        for (r, weight) in q.rank.iter().zip(weights) {
            let field = r.term.field();
            let Some(postings) = reader
                .inverted_index(field)?
                .read_postings(&r.term, IndexRecordOption::WithFreqs)?
            else {
                continue;
            };
            terms.push(TermBound {
                postings,
                norms: reader.get_fieldnorms_reader(field)?,
                max: weight.max_score(),
                weight: weight.clone(),
            });
        }
        terms.sort_by(|a, b| b.max.total_cmp(&a.max));
        let mut rest = vec![0.0; terms.len() + 1];
        for i in (0..terms.len()).rev() {
            rest[i] = rest[i + 1] + terms[i].max;
        }
        Ok(Bound {
            fixed: q.fixed,
            terms,
            rest,
        })
    }

    /// Could `doc` score above `threshold`? Only a "no" is certain.
    fn may_exceed(&mut self, doc: DocId, threshold: Score) -> bool {
        // Scores are sums of f32 in another order: keep a margin for rounding.
        let threshold = threshold - threshold.abs() * 1e-4 - 1e-6;
        let mut sure = self.fixed;
        for i in 0..self.terms.len() {
            if sure + self.rest[i] <= threshold {
                return false;
            }
            sure += self.terms[i].score(doc);
        }
        sure > threshold
    }
}

/// A scored document, ordered so that the worst is the greatest: the heap's top.
struct Entry(Score, DocAddress);

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .0
            .total_cmp(&self.0)
            .then_with(|| self.1.cmp(&other.1))
    }
}

/// The best `k` documents offered, in the order of [`Entry`].
struct Best {
    k: usize,
    heap: BinaryHeap<Entry>,
}

impl Best {
    fn new(k: usize) -> Best {
        Best {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    /// The score a document must beat to get in, once `k` are in. Documents come in index
    /// order, so one that only ties the worst is after it and stays out.
    fn threshold(&self) -> Option<Score> {
        (self.heap.len() >= self.k).then(|| self.heap.peek().map_or(Score::MIN, |e| e.0))
    }

    fn offer(&mut self, score: Score, addr: DocAddress) {
        if self.threshold().is_some_and(|t| score <= t) {
            return;
        }
        self.heap.push(Entry(score, addr));
        if self.heap.len() > self.k {
            self.heap.pop();
        }
    }

    fn into_sorted(self) -> Vec<(Score, DocAddress)> {
        // Ascending in `Entry`'s order is best first.
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|e| (e.0, e.1))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_best_and_the_earliest_of_equals() {
        let mut b = Best::new(3);
        let a = |d| DocAddress::new(0, d);
        for (s, d) in [(1.0, 0), (5.0, 1), (3.0, 2), (5.0, 3), (3.0, 4), (4.0, 5)] {
            b.offer(s, a(d));
        }
        assert_eq!(b.threshold(), Some(4.0));
        assert_eq!(b.into_sorted(), vec![(5.0, a(1)), (5.0, a(3)), (4.0, a(5))]);
        let mut b = Best::new(2);
        for d in 0..5 {
            b.offer(2.0, a(d));
        }
        assert_eq!(b.into_sorted(), vec![(2.0, a(0)), (2.0, a(1))]);
    }
}
