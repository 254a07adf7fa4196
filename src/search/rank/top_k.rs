//! The best `k` cases of a query and how many match in all, scoring only the cases that
//! could make the page.
//!
//! A page shows ten cases, but the count is exact, so every match is visited. Visiting is
//! cheap: the match needs only the character view. Scoring is not: each case seeks every
//! rank term of every text and synonym, and common words such as 城市 are in nearly every
//! case. So once a page's worth of cases has been scored, a case is scored only while its
//! score could still beat the k-th best so far: terms are added in the order of the most
//! they can contribute (title and topic terms, which most cases lack, first), and a case is
//! ruled out as soon as the rest cannot close the gap, usually before the body's long
//! posting lists are read. At 100k cases, a query matching 3,810 cases scored 260 of them.
//!
//! The score of a case is [`TextScore`]'s numbers for each text it holds; whether it holds
//! a text is asked only of a case that got past the bound, and only when the match does
//! not already say so.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use std::io;
use std::sync::Arc;
use tantivy::fieldnorm::FieldNormReader;

use tantivy::InvertedIndexReader;
use tantivy::postings::{Postings, SegmentPostings, TermInfo};
use tantivy::query::{Bm25StatisticsProvider, EnableScoring, Query, Scorer};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentReader, TERMINATED};

use super::{Compiled, TextScore};
use crate::search::matching::any_of::Holders;
use crate::search::{SearchError, seek_forward};

/// How many cases match, and candidates for the best `k` with their scores, best first: each
/// segment's best `k`, equal scores in id order within a segment (order them by id across
/// segments, and the first `k` are the best `k` by score and id).
pub fn top_scored(
    searcher: &tantivy::Searcher,
    stats: &dyn Bm25StatisticsProvider,
    q: &Compiled,
    k: usize,
) -> Result<(usize, Vec<(Score, DocAddress)>), SearchError> {
    let weight = q
        .query
        .weight(EnableScoring::disabled_from_searcher(searcher))?;
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
        let mut scorer = weight.scorer(reader, 1.0)?;
        // Opened at the segment's first match: a query matching nothing reads no rank term.
        let mut ranker: Option<Ranker> = None;
        let alive = reader.alive_bitset();
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                total += 1;
                let r = match &mut ranker {
                    Some(r) => r,
                    None => ranker.insert(Ranker::open(searcher, stats, reader, q)?),
                };
                if let Some(score) = r.score(doc, best.threshold())? {
                    best.offer(score, id_key(doc), DocAddress::new(ord as u32, doc));
                }
            }
            doc = scorer.advance();
        }
        out.extend(best.into_sorted());
    }
    out.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok((total, out))
}

/// BM25's parameters, tantivy's (its own term scorers use them, and a test compares).
const K1: Score = 1.2;
const B: Score = 0.75;

/// BM25's inverse document frequency. Statistics from a damaged generation may count more
/// documents with the term than in all: the count is capped, never trusted to be sane.
fn idf(doc_freq: u64, docs: u64) -> Score {
    let n = doc_freq.min(docs);
    let x = ((docs - n) as Score + 0.5) / (n as Score + 0.5);
    (1.0 + x).ln()
}

/// One word-view field in one segment: its postings, its lengths, and BM25's length
/// part for each encoded length, worked out once for every term of the field.
struct FieldPart {
    field: Field,
    inverted: Arc<InvertedIndexReader>,
    norms: FieldNormReader,
    length: [Score; 256],
}

impl FieldPart {
    fn open(reader: &SegmentReader, field: Field, avg_length: Score) -> tantivy::Result<Self> {
        let mut length = [0.0; 256];
        for (id, l) in length.iter_mut().enumerate() {
            let norm = FieldNormReader::id_to_fieldnorm(id as u8) as Score;
            *l = K1 * (1.0 - B + B * norm / avg_length);
        }
        Ok(FieldPart {
            field,
            inverted: reader.inverted_index(field)?,
            norms: reader.get_fieldnorms_reader(field)?,
            length,
        })
    }
}

/// One rank term in one segment. Its postings are opened when a case first needs them:
/// a bound that rules cases out early never reads a common term's long list at all.
struct TermScorer {
    /// Its field, in [`Ranker::fields`].
    part: usize,
    info: TermInfo,
    /// Boxed: postings are over a kilobyte, and the terms are moved about when sorted by
    /// weight.
    postings: Option<Box<SegmentPostings>>,
    /// Its weight in the query times BM25's idf and `1 + K1`: more than the term can add
    /// to any case's score (`tf / (tf + length)` is below 1).
    weight: Score,
    /// The text whose term it is (in [`Compiled::texts`]).
    text: usize,
}

impl TermScorer {
    fn score(&mut self, part: &FieldPart, doc: DocId) -> io::Result<Score> {
        let postings = match &mut self.postings {
            Some(p) => p,
            None => self.postings.insert(Box::new(
                part.inverted
                    .read_postings_from_terminfo(&self.info, IndexRecordOption::WithFreqs)?,
            )),
        };
        Ok(if seek_forward(postings, doc) == doc {
            let tf = postings.term_freq() as Score;
            let length = part.length[usize::from(part.norms.fieldnorm_id(doc))];
            self.weight * tf / (tf + length)
        } else {
            0.0
        })
    }
}

/// "Does this case hold the text?", asked of one segment: its query is weighed and opened
/// when first asked, which most searches never do (the match notes the answer, or implies
/// it).
struct Check<'w> {
    query: Option<&'w dyn Query>,
    scorer: Option<Box<dyn Scorer>>,
}

impl<'w> Check<'w> {
    fn new(query: &'w Option<Box<dyn Query>>) -> Check<'w> {
        Check {
            query: query.as_deref(),
            scorer: None,
        }
    }

    /// `None` when there is nothing to ask (the answer is known otherwise).
    fn holds(
        &mut self,
        searcher: &tantivy::Searcher,
        reader: &SegmentReader,
        doc: DocId,
    ) -> tantivy::Result<Option<bool>> {
        let Some(query) = self.query else {
            return Ok(None);
        };
        let scorer = match &mut self.scorer {
            Some(s) => s,
            None => {
                let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
                self.scorer.insert(weight.scorer(reader, 1.0)?)
            }
        };
        Ok(Some(seek_forward(scorer.as_mut(), doc) == doc))
    }
}

/// One text in one segment: its numbers and its checks.
struct TextState<'w> {
    noted: Option<(&'w Holders, usize)>,
    held: Check<'w>,
    chars: Check<'w>,
    constant: Score,
    /// What its terms added to the case being scored.
    sum: Score,
}

/// Scores the cases of one segment, in increasing order.
struct Ranker<'w, 'r> {
    searcher: &'r tantivy::Searcher,
    reader: &'r SegmentReader,
    fields: Vec<FieldPart>,
    /// Largest contribution first.
    terms: Vec<TermScorer>,
    /// `rest[i]`: the most terms `i..` can add together.
    rest: Vec<Score>,
    texts: Vec<TextState<'w>>,
    /// Every text's constant: with `rest[0]`, the most any case can score.
    fixed: Score,
}

impl<'w, 'r> Ranker<'w, 'r> {
    fn open(
        searcher: &'r tantivy::Searcher,
        stats: &dyn Bm25StatisticsProvider,
        reader: &'r SegmentReader,
        q: &'w Compiled,
    ) -> tantivy::Result<Ranker<'w, 'r>> {
        // BM25 statistics are the ones the query's own term scorers use. With one segment
        // and no deletes (every index after a full build) a term's document count is its
        // segment's, read with its postings in one lookup.
        let docs = stats.total_num_docs()?.max(1);
        let one_segment = searcher.segment_readers().len() == 1 && !reader.has_deletes();
        let mut fields: Vec<FieldPart> = Vec::new();
        let mut terms = Vec::with_capacity(q.texts.iter().map(|t| t.terms.len()).sum());
        for (text, t) in q.texts.iter().enumerate() {
            for r in &t.terms {
                let field = r.term.field();
                let part = match fields.iter().position(|p| p.field == field) {
                    Some(i) => i,
                    None => {
                        let avg = stats.total_num_tokens(field)? as Score / docs as Score;
                        fields.push(FieldPart::open(reader, field, avg)?);
                        fields.len() - 1
                    }
                };
                let Some(info) = fields[part].inverted.get_term_info(&r.term)? else {
                    continue;
                };
                let doc_freq = if one_segment {
                    u64::from(info.doc_freq)
                } else {
                    stats.doc_freq(&r.term)?
                };
                let weight = r.weight * idf(doc_freq, docs) * (1.0 + K1);
                terms.push(TermScorer {
                    part,
                    info,
                    postings: None,
                    weight,
                    text,
                });
            }
        }
        terms.sort_by(|a, b| b.weight.total_cmp(&a.weight));
        let mut rest = vec![0.0; terms.len() + 1];
        for i in (0..terms.len()).rev() {
            rest[i] = rest[i + 1] + terms[i].weight;
        }
        let texts: Vec<TextState> = q
            .texts
            .iter()
            .map(|t: &'w TextScore| TextState {
                noted: t.noted.as_ref().map(|(h, i)| (h, *i)),
                held: Check::new(&t.held),
                chars: Check::new(&t.chars),
                constant: t.constant,
                sum: 0.0,
            })
            .collect();
        Ok(Ranker {
            searcher,
            reader,
            fields,
            fixed: texts.iter().map(|t| t.constant).sum(),
            terms,
            rest,
            texts,
        })
    }

    /// The score of `doc`, a match; `None` once it is sure not to exceed `threshold`.
    fn score(&mut self, doc: DocId, threshold: Option<Score>) -> tantivy::Result<Option<Score>> {
        // Scores are sums of f32 in another order: keep a margin for rounding.
        let threshold = threshold.map(|t| t - t.abs() * 1e-4 - 1e-6);
        for t in &mut self.texts {
            t.sum = 0.0;
        }
        let mut bound = self.fixed;
        for i in 0..self.terms.len() {
            if threshold.is_some_and(|t| bound + self.rest[i] <= t) {
                return Ok(None);
            }
            let term = &mut self.terms[i];
            let add = term.score(&self.fields[term.part], doc)?;
            bound += add;
            self.texts[term.text].sum += add;
        }
        if threshold.is_some_and(|t| bound <= t) {
            return Ok(None);
        }
        let mut score = 0.0;
        for t in &mut self.texts {
            let noted = t.noted.and_then(|(h, i)| h.holds(doc, i));
            let held = match noted {
                Some(held) => held,
                None => t
                    .held
                    .holds(self.searcher, self.reader, doc)?
                    .unwrap_or(true),
            };
            if !held {
                continue;
            }
            if t.chars
                .holds(self.searcher, self.reader, doc)?
                .unwrap_or(true)
            {
                score += t.constant;
            }
            score += t.sum;
        }
        Ok(Some(score))
    }
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
