//! The best `k` cases of a ranked query and how many match in all, without scoring every
//! match.
//!
//! A page shows ten cases, but the count is exact, so every match is visited. Visiting is
//! cheap: matching needs only the character view, and the word view's rank terms are read
//! when a case is scored. Scoring is not: each case seeks every rank term of every text and
//! synonym, and common words such as 城市 are in nearly every case. So once a page's worth
//! of cases has been scored, a case is scored only if its score could beat the k-th best
//! so far. The bound adds, term by term, what a term contributes to this case and the most
//! the remaining terms could; the terms that can contribute most (title and topic terms,
//! which most cases lack) come first, and a case is ruled out as soon as the rest cannot
//! close the gap, usually before the body's long posting lists are read. At 100k cases, a
//! query matching 3,810 cases scored 260 of them.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25StatisticsProvider, Bm25Weight, EnableScoring};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentReader, TERMINATED};

use super::Compiled;
use crate::search::{SearchError, seek_forward};

/// Matches scored before any is ruled out. Opening the bound costs a dictionary lookup per
/// rank term, which only pays once there are many matches to rule out; and the page
/// gathered meanwhile sets a higher bar. (At 10k cases, bounding from the first full page
/// made the median query slower.)
const SCORE_ALL_UP_TO: usize = 256;

/// How many cases match, and candidates for the best `k` with their scores, best first: each
/// segment's best `k`, equal scores in id order within a segment (order them by id across
/// segments, and the first `k` are the best `k` by score and id).
pub fn top_scored(
    searcher: &tantivy::Searcher,
    stats: &dyn Bm25StatisticsProvider,
    q: &Compiled,
    k: usize,
) -> Result<(usize, Vec<(Score, DocAddress)>), SearchError> {
    top_scored_after(searcher, stats, q, k, SCORE_ALL_UP_TO)
}

/// [`top_scored`], ruling cases out once `score_all` have matched (tests rule out from the
/// first full page, so that a small library exercises the bound).
pub(crate) fn top_scored_after(
    searcher: &tantivy::Searcher,
    stats: &dyn Bm25StatisticsProvider,
    q: &Compiled,
    k: usize,
    score_all: usize,
) -> Result<(usize, Vec<(Score, DocAddress)>), SearchError> {
    let weight = q
        .query
        .weight(EnableScoring::enabled_from_statistics_provider(
            stats, searcher,
        ))?;
    let mut total = 0usize;
    let mut out = Vec::new();
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        // Each segment's best `k`, equal scores in id order (the id dictionary is sorted, so
        // a term ordinal orders ids within a segment): their union holds the best `k` of
        // all by score and id, whatever the segments, so an index of several segments
        // (incremental generations) pages as one would.
        let mut best = Best::new(k.max(1));
        let ids = reader.fast_fields().str("id")?;
        let id_key = |doc: DocId| {
            ids.as_ref()
                .and_then(|c| c.term_ords(doc).next())
                .unwrap_or(u64::MAX)
        };
        let mut matched = 0usize;
        let mut scorer = weight.scorer(reader, 1.0)?;
        // Opened when first needed: most queries on a small library never need it.
        let mut bound: Option<Bound> = None;
        let alive = reader.alive_bitset();
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                total += 1;
                matched += 1;
                let worth = match best.threshold() {
                    None => true,
                    _ if matched <= score_all => true,
                    Some(t) => {
                        let b = match &mut bound {
                            Some(b) => b,
                            None => bound.insert(Bound::open(searcher, stats, reader, q)?),
                        };
                        b.may_exceed(doc, t)
                    }
                };
                // Not scoring a case leaves its rank terms unread: a scorer reads them
                // when asked for a score, moving forward from where it last was.
                if worth {
                    best.offer(
                        scorer.score(),
                        id_key(doc),
                        DocAddress::new(ord as u32, doc),
                    );
                }
            }
            doc = scorer.advance();
        }
        out.extend(best.into_sorted());
    }
    out.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok((total, out))
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
        let at = seek_forward(&mut self.postings, doc);
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
        searcher: &tantivy::Searcher,
        stats: &dyn Bm25StatisticsProvider,
        reader: &SegmentReader,
        q: &Compiled,
    ) -> tantivy::Result<Bound> {
        // BM25 statistics are the ones the query's own term scorers use. With one segment
        // and no deletes (every index after a full build) a term's document count is its
        // segment's, read with its postings in one lookup.
        let docs = stats.total_num_docs()?;
        let one_segment = searcher.segment_readers().len() == 1 && !reader.has_deletes();
        let mut avg_norms: Vec<(Field, Score)> = Vec::new();
        let mut terms = Vec::with_capacity(q.rank.len());
        for r in &q.rank {
            let field = r.term.field();
            let inverted = reader.inverted_index(field)?;
            let Some(info) = inverted.get_term_info(&r.term)? else {
                continue;
            };
            let avg_norm = match avg_norms.iter().find(|(f, _)| *f == field) {
                Some((_, a)) => *a,
                None => {
                    let a = stats.total_num_tokens(field)? as Score / docs as Score;
                    avg_norms.push((field, a));
                    a
                }
            };
            let doc_freq = if one_segment {
                u64::from(info.doc_freq)
            } else {
                stats.doc_freq(&r.term)?
            };
            let weight = Bm25Weight::for_one_term_without_explain(doc_freq, docs, avg_norm)
                .boost_by(r.weight);
            terms.push(TermBound {
                postings: inverted
                    .read_postings_from_terminfo(&info, IndexRecordOption::WithFreqs)?,
                norms: reader.get_fieldnorms_reader(field)?,
                max: weight.max_score(),
                weight,
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

/// Every case `q` matches, with its score and its bound (for tests of the score model;
/// BM25 statistics are the searcher's).
#[cfg(test)]
pub(crate) fn scores_and_bounds(
    searcher: &tantivy::Searcher,
    q: &Compiled,
) -> tantivy::Result<Vec<(Score, Score)>> {
    let weight = q
        .query
        .weight(EnableScoring::enabled_from_searcher(searcher))?;
    let mut out = Vec::new();
    for reader in searcher.segment_readers() {
        let mut bound = Bound::open(searcher, searcher, reader, q)?;
        let mut scorer = weight.scorer(reader, 1.0)?;
        while scorer.doc() != TERMINATED {
            let doc = scorer.doc();
            let sum: Score = bound.terms.iter_mut().map(|t| t.score(doc)).sum();
            out.push((scorer.score(), bound.fixed + sum));
            scorer.advance();
        }
    }
    Ok(out)
}

/// A scored document with its id's place among the segment's ids, ordered so that the
/// worst is the greatest: the heap's top.
struct Entry(Score, u64, DocAddress);

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
            .then_with(|| self.2.cmp(&other.2))
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

    /// The score a document must reach to get in, once `k` are in (reaching it, it gets in
    /// if its id sorts before the worst's).
    fn threshold(&self) -> Option<Score> {
        (self.heap.len() >= self.k).then(|| self.heap.peek().map_or(Score::MIN, |e| e.0))
    }

    fn offer(&mut self, score: Score, key: u64, addr: DocAddress) {
        let entry = Entry(score, key, addr);
        if self.heap.len() >= self.k && self.heap.peek().is_some_and(|worst| entry >= *worst) {
            return;
        }
        self.heap.push(entry);
        if self.heap.len() > self.k {
            self.heap.pop();
        }
    }

    fn into_sorted(self) -> Vec<(Score, DocAddress)> {
        // Ascending in `Entry`'s order is best first.
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|e| (e.0, e.2))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_best_and_the_first_ids_of_equals() {
        let mut b = Best::new(3);
        let a = |d| DocAddress::new(0, d);
        for (s, d) in [(1.0, 0), (5.0, 1), (3.0, 2), (5.0, 3), (3.0, 4), (4.0, 5)] {
            b.offer(s, u64::from(d), a(d));
        }
        assert_eq!(b.threshold(), Some(4.0));
        assert_eq!(b.into_sorted(), vec![(5.0, a(1)), (5.0, a(3)), (4.0, a(5))]);
        // Equal scores: the smallest ids stay, whatever order they come in.
        let mut b = Best::new(2);
        for (d, key) in [(0, 9), (1, 4), (2, 7), (3, 1), (4, 8)] {
            b.offer(2.0, key, a(d));
        }
        assert_eq!(b.into_sorted(), vec![(2.0, a(3)), (2.0, a(1))]);
    }
}
