//! A disjunction that seeks: a unit's alternatives (the text as typed, its synonyms and
//! place aliases), and the two ways a text with separators can occur.
//!
//! tantivy's union of `Should` clauses buffers a window of 4,096 documents: every time it is
//! asked for a document outside its window it visits every posting of every clause inside
//! the next window. That is right when the union drives the search, and wasteful when it
//! is only asked about the few candidates a gate or another unit lets through, which is how
//! a query's units are matched: each is probed at a candidate (`seek_danger`), and a
//! substring check is done only when the case could be next. [`AnyOf`] matches the same
//! documents but moves each clause with its own skip list.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SeekDangerResult, SegmentReader, TERMINATED};

/// Matches a document when any clause does (scoring it with the sum of their scores, which
/// no search reads: ranking is `rank`'s).
#[derive(Debug)]
pub struct AnyOf {
    clauses: Vec<Box<dyn Query>>,
    holders: Option<Holders>,
}

impl AnyOf {
    pub fn new(clauses: Vec<Box<dyn Query>>) -> AnyOf {
        AnyOf {
            clauses,
            holders: None,
        }
    }

    /// [`AnyOf::new`], telling `holders` which clauses hold each document it lands on. A
    /// union of more clauses than a note has bits notes nothing: every document stays
    /// unknown.
    pub fn noted(clauses: Vec<Box<dyn Query>>, holders: Holders) -> AnyOf {
        let holders = (clauses.len() <= NOTED_CLAUSES).then_some(holders);
        AnyOf { clauses, holders }
    }
}

impl Clone for AnyOf {
    fn clone(&self) -> Self {
        AnyOf {
            clauses: self.clauses.iter().map(|q| q.box_clone()).collect(),
            holders: self.holders.clone(),
        }
    }
}

/// Which clauses of an [`AnyOf`] hold the document its scorer last landed on, for the rank
/// step, which would otherwise check each alternative of a unit a second time. Only the
/// last document is kept, so a reader asks about the document the match is on; any other
/// is unknown, and so is every document of a segment whose scorer has not landed yet.
#[derive(Debug, Clone)]
pub struct Holders(Arc<AtomicU64>);

/// Nothing noted (no document id fills the top half with ones).
const UNKNOWN: u64 = u64::MAX;

/// Clauses a note has a bit for.
const NOTED_CLAUSES: usize = 32;

impl Holders {
    pub fn new() -> Holders {
        Holders(Arc::new(AtomicU64::new(UNKNOWN)))
    }

    fn note(&self, doc: DocId, mask: Option<u32>) {
        let v = mask.map_or(UNKNOWN, |m| (u64::from(doc) << 32) | u64::from(m));
        self.0.store(v, Ordering::Relaxed);
    }

    /// Whether clause `i` holds `doc`, when that is known.
    pub fn holds(&self, doc: DocId, i: usize) -> Option<bool> {
        let v = self.0.load(Ordering::Relaxed);
        (v != UNKNOWN && (v >> 32) as DocId == doc && i < NOTED_CLAUSES).then(|| (v >> i) & 1 == 1)
    }
}

impl Query for AnyOf {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights = self
            .clauses
            .iter()
            .map(|q| q.weight(enable_scoring))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(AnyOfWeight {
            weights,
            holders: self.holders.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        for q in &self.clauses {
            q.query_terms(visitor);
        }
    }
}

struct AnyOfWeight {
    weights: Vec<Box<dyn Weight>>,
    holders: Option<Holders>,
}

impl Weight for AnyOfWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut clauses = Vec::with_capacity(self.weights.len());
        for (index, w) in self.weights.iter().enumerate() {
            let s = w.scorer(reader, boost)?;
            let doc = s.doc();
            if doc != TERMINATED {
                clauses.push(Clause {
                    scorer: s,
                    doc,
                    settled: true,
                    index,
                });
            }
        }
        let mut sum = AnyOfScorer {
            clauses,
            doc: TERMINATED,
            holders: self.holders.clone(),
        };
        sum.doc = sum.min_doc();
        sum.note();
        Ok(Box::new(sum))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let details: Vec<Explanation> = self
            .weights
            .iter()
            .filter_map(|w| w.explain(reader, doc).ok())
            .collect();
        if details.is_empty() {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )));
        }
        let mut out = Explanation::new("sum of", details.iter().map(|e| e.value()).sum());
        for d in details {
            out.add_detail(d);
        }
        Ok(out)
    }
}

/// One clause of a [`AnyOfScorer`], and where it is.
struct Clause {
    scorer: Box<dyn Scorer>,
    /// The clause's document when `settled`; otherwise the clause has not been asked about
    /// it yet (it was left between documents by `seek_danger`, or the sum moved past its
    /// document), and its next document is at least this one.
    doc: DocId,
    settled: bool,
    /// Its place among the query's clauses.
    index: usize,
}

impl Clause {
    /// Is the clause on `self.doc`? Settles it there or moves its bound on. Only called
    /// on an unsettled clause, with a `doc` past any target it was asked before.
    fn probe(&mut self) -> bool {
        match self.scorer.seek_danger(self.doc) {
            SeekDangerResult::Found => {
                self.settled = true;
                true
            }
            SeekDangerResult::SeekLowerBound(next) => {
                self.doc = next;
                false
            }
        }
    }
}

/// The clauses are moved lazily: a clause is only asked about a document when it could be
/// the sum's next one. Unions of substring checks are where this pays: each clause would
/// otherwise look ahead for its own next case at every step.
///
/// Between calls, when the sum is on a document: settled clauses are on it or past it, and
/// unsettled clauses are bounded past it. After a `seek_danger` that misses, the sum is
/// between documents and only `seek_danger` may follow (tantivy's rule).
struct AnyOfScorer {
    /// Clauses not yet exhausted.
    clauses: Vec<Clause>,
    doc: DocId,
    holders: Option<Holders>,
}

impl AnyOfScorer {
    /// Tells the holders which clauses hold `self.doc`: once the sum is on a document,
    /// every clause is settled on it, settled past it or bounded past it. (A noted union
    /// has at most [`NOTED_CLAUSES`] clauses.)
    fn note(&self) {
        let Some(h) = &self.holders else {
            return;
        };
        let doc = self.doc;
        let mask = (doc != TERMINATED).then(|| {
            self.clauses
                .iter()
                .filter(|c| c.settled && c.doc == doc)
                .fold(0u32, |m, c| m | 1 << c.index)
        });
        h.note(doc, mask);
    }

    fn min_doc(&self) -> DocId {
        self.clauses
            .iter()
            .map(|c| c.doc)
            .min()
            .unwrap_or(TERMINATED)
    }

    /// Marks every clause behind `target` as bounded by it, to be asked when needed.
    fn raise(&mut self, target: DocId) {
        for c in &mut self.clauses {
            if c.doc < target {
                c.doc = target;
                c.settled = false;
            }
        }
    }

    /// Settles every clause bounded at `doc`, so each clause that matches it is on it.
    fn settle_ties(&mut self, doc: DocId) {
        for c in &mut self.clauses {
            if !c.settled && c.doc == doc {
                c.probe();
            }
        }
    }

    /// Moves to the first document at or after `target` that some clause matches.
    fn find_from(&mut self, target: DocId) -> DocId {
        self.raise(target);
        // The clause that could be first (settled ones first among equals) is asked; if it
        // is not on its bound, its bound moves on and the next is asked.
        while let Some(c) = self.clauses.iter_mut().min_by_key(|c| (c.doc, !c.settled)) {
            if c.doc >= TERMINATED {
                break;
            }
            if c.settled || c.probe() {
                let doc = c.doc;
                self.settle_ties(doc);
                self.doc = doc;
                self.note();
                return doc;
            }
        }
        self.clauses.clear();
        self.doc = TERMINATED;
        TERMINATED
    }
}

impl DocSet for AnyOfScorer {
    fn advance(&mut self) -> DocId {
        let current = self.doc;
        if current == TERMINATED {
            return TERMINATED;
        }
        for c in &mut self.clauses {
            if c.settled && c.doc == current {
                c.doc = c.scorer.advance();
            }
        }
        self.clauses.retain(|c| c.doc != TERMINATED);
        self.find_from(current + 1)
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        self.clauses.retain(|c| c.doc != TERMINATED);
        self.find_from(target)
    }

    /// Found if any clause holds `target`; otherwise a bound, with no clause asked to
    /// look past `target` for its next document.
    fn seek_danger(&mut self, target: DocId) -> SeekDangerResult {
        if target >= TERMINATED {
            return SeekDangerResult::SeekLowerBound(TERMINATED);
        }
        self.raise(target);
        self.settle_ties(target);
        if self.clauses.iter().any(|c| c.settled && c.doc == target) {
            self.doc = target;
            self.note();
            SeekDangerResult::Found
        } else {
            SeekDangerResult::SeekLowerBound(self.min_doc())
        }
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.clauses
            .iter()
            .fold(0u32, |n, c| n.saturating_add(c.scorer.size_hint()))
    }
}

impl Scorer for AnyOfScorer {
    fn score(&mut self) -> Score {
        let doc = self.doc;
        self.clauses
            .iter_mut()
            .filter(|c| c.settled && c.doc == doc)
            .map(|c| c.scorer.score())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, Occur, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{Index, TantivyDocument, Term};

    use super::*;

    /// A one-segment index in memory with a document per body, in order, in its one field.
    fn index_of(bodies: impl IntoIterator<Item = String>) -> (Index, tantivy::schema::Field) {
        let mut schema = Schema::builder();
        let text = schema.add_text_field("text", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer: tantivy::IndexWriter =
            index.writer_with_num_threads(1, 20_000_000).unwrap();
        for body in bodies {
            let mut doc = TantivyDocument::new();
            doc.add_text(text, body);
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        (index, text)
    }

    /// Same documents, same scores as tantivy's union, alone and as the optional part of a
    /// required clause (how the query builder uses it).
    #[test]
    fn matches_and_scores_like_a_union_of_should_clauses() {
        let words = ["park", "city", "port", "fair", "trail"];
        let (index, text) = index_of((0..5_000u32).map(|i| {
            let body: Vec<&str> = (0..5)
                .filter(|&k| (i * 7 + k * 13) % (k + 2) == 0 || i % 97 == k)
                .map(|k| words[k as usize])
                .collect();
            body.join(" ")
        }));
        let searcher = index.reader().unwrap().searcher();
        let term = |w: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(text, w),
                IndexRecordOption::WithFreqs,
            ))
        };
        let clauses = || vec![term("park"), term("port"), term("trail")];
        let union = BooleanQuery::new(clauses().into_iter().map(|q| (Occur::Should, q)).collect());
        let sum = AnyOf::new(clauses());
        let required = |opt: Box<dyn Query>| {
            BooleanQuery::new(vec![(Occur::Must, term("city")), (Occur::Should, opt)])
        };
        // Required itself, beside a clause that leads: it is asked with `seek_danger`.
        let both = |q: Box<dyn Query>| {
            BooleanQuery::new(vec![(Occur::Must, term("fair")), (Occur::Must, q)])
        };
        let pairs: [(Box<dyn Query>, Box<dyn Query>); 3] = [
            (Box::new(union.clone()), Box::new(sum.clone())),
            (
                Box::new(both(Box::new(union.clone()))),
                Box::new(both(Box::new(sum.clone()))),
            ),
            (
                Box::new(required(Box::new(union))),
                Box::new(required(Box::new(sum))),
            ),
        ];
        for (a, b) in pairs {
            let collect = (Count, TopDocs::with_limit(6_000).order_by_score());
            let (na, mut ta) = searcher.search(a.as_ref(), &collect).unwrap();
            let (nb, mut tb) = searcher.search(b.as_ref(), &collect).unwrap();
            assert!(na > 50, "{na}");
            assert_eq!(na, nb);
            ta.sort_by_key(|(_, d)| *d);
            tb.sort_by_key(|(_, d)| *d);
            for ((sa, da), (sb, db)) in ta.iter().zip(&tb) {
                assert_eq!(da, db);
                assert!((sa - sb).abs() < 1e-5, "{sa} {sb}");
            }
        }
    }

    /// A noted union says which clauses hold the document it is on; one of more clauses
    /// than a note has bits says nothing.
    #[test]
    fn a_note_names_the_clauses_that_hold_the_document() {
        let (index, text) = index_of(["park city", "park", "city", "port"].map(String::from));
        let searcher = index.reader().unwrap().searcher();
        let reader = &searcher.segment_readers()[0];
        let term = |w: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(text, w),
                IndexRecordOption::Basic,
            ))
        };
        let scorer = |q: &AnyOf| {
            q.weight(EnableScoring::disabled_from_searcher(&searcher))
                .unwrap()
                .scorer(reader, 1.0)
                .unwrap()
        };
        let holders = Holders::new();
        let q = AnyOf::noted(vec![term("park"), term("city")], holders.clone());
        let mut s = scorer(&q);
        let mut seen = Vec::new();
        while s.doc() != TERMINATED {
            let d = s.doc();
            seen.push((d, holders.holds(d, 0), holders.holds(d, 1)));
            // Only the document the union is on is known.
            assert_eq!(holders.holds(d + 1, 0), None);
            s.advance();
        }
        let (y, n) = (Some(true), Some(false));
        assert_eq!(seen, vec![(0, y, y), (1, y, n), (2, n, y)]);

        let wide = Holders::new();
        let q = AnyOf::noted((0..33).map(|_| term("park")).collect(), wide.clone());
        let s = scorer(&q);
        assert_eq!(s.doc(), 0);
        assert_eq!(wide.holds(0, 0), None);
    }
}
