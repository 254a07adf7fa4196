//! A disjunction that seeks.
//!
//! tantivy's union of `Should` clauses buffers a window of 4,096 documents: every time it is
//! asked for a document outside its window it scores every posting of every clause inside
//! the next window. That is right when the union drives the search, and wasteful when it
//! only ranks the few documents another clause requires: the word view ranks exactly the
//! cases the character view finds, and at 100k cases the union's refills were a sixth of
//! query time. [`SumQuery`] matches the same documents with the same score (the sum of the
//! clauses that match) but moves each clause with its own skip list.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED};

/// Matches a document when any clause does; scores it with the sum of their scores.
#[derive(Debug)]
pub struct SumQuery {
    clauses: Vec<Box<dyn Query>>,
}

impl SumQuery {
    pub fn new(clauses: Vec<Box<dyn Query>>) -> SumQuery {
        SumQuery { clauses }
    }
}

impl Clone for SumQuery {
    fn clone(&self) -> Self {
        SumQuery {
            clauses: self.clauses.iter().map(|q| q.box_clone()).collect(),
        }
    }
}

impl Query for SumQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights = self
            .clauses
            .iter()
            .map(|q| q.weight(enable_scoring))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(SumWeight { weights }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        for q in &self.clauses {
            q.query_terms(visitor);
        }
    }
}

struct SumWeight {
    weights: Vec<Box<dyn Weight>>,
}

impl Weight for SumWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorers = Vec::with_capacity(self.weights.len());
        for w in &self.weights {
            let s = w.scorer(reader, boost)?;
            if s.doc() != TERMINATED {
                scorers.push(s);
            }
        }
        let mut sum = SumScorer {
            scorers,
            doc: TERMINATED,
        };
        sum.doc = sum.min_doc();
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

struct SumScorer {
    /// Clauses not yet exhausted.
    scorers: Vec<Box<dyn Scorer>>,
    doc: DocId,
}

impl SumScorer {
    fn min_doc(&self) -> DocId {
        self.scorers
            .iter()
            .map(|s| s.doc())
            .min()
            .unwrap_or(TERMINATED)
    }
}

impl DocSet for SumScorer {
    fn advance(&mut self) -> DocId {
        let current = self.doc;
        for s in &mut self.scorers {
            if s.doc() == current {
                s.advance();
            }
        }
        self.scorers.retain(|s| s.doc() != TERMINATED);
        self.doc = self.min_doc();
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for s in &mut self.scorers {
            if s.doc() < target {
                s.seek(target);
            }
        }
        self.scorers.retain(|s| s.doc() != TERMINATED);
        self.doc = self.min_doc();
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.scorers
            .iter()
            .fold(0u32, |n, s| n.saturating_add(s.size_hint()))
    }
}

impl Scorer for SumScorer {
    fn score(&mut self) -> Score {
        let doc = self.doc;
        self.scorers
            .iter_mut()
            .filter(|s| s.doc() == doc)
            .map(|s| s.score())
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

    /// Same documents, same scores as tantivy's union, alone and as the optional part of a
    /// required clause (how the query builder uses it).
    #[test]
    fn matches_and_scores_like_a_union_of_should_clauses() {
        let mut schema = Schema::builder();
        let text = schema.add_text_field("text", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer: tantivy::IndexWriter =
            index.writer_with_num_threads(1, 20_000_000).unwrap();
        let words = ["park", "city", "port", "fair", "trail"];
        for i in 0..5_000u32 {
            let mut doc = TantivyDocument::new();
            let body: Vec<&str> = (0..5)
                .filter(|&k| (i * 7 + k * 13) % (k + 2) == 0 || i % 97 == k)
                .map(|k| words[k as usize])
                .collect();
            doc.add_text(text, body.join(" "));
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let term = |w: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(text, w),
                IndexRecordOption::WithFreqs,
            ))
        };
        let clauses = || vec![term("park"), term("port"), term("trail")];
        let union = BooleanQuery::new(clauses().into_iter().map(|q| (Occur::Should, q)).collect());
        let sum = SumQuery::new(clauses());
        let required = |opt: Box<dyn Query>| {
            BooleanQuery::new(vec![(Occur::Must, term("city")), (Occur::Should, opt)])
        };
        let pairs: [(Box<dyn Query>, Box<dyn Query>); 2] = [
            (Box::new(union.clone()), Box::new(sum.clone())),
            (
                Box::new(required(Box::new(union))),
                Box::new(required(Box::new(sum))),
            ),
        ];
        for (a, b) in pairs {
            let collect = (Count, TopDocs::with_limit(6_000).order_by_score());
            let (na, mut ta) = searcher.search(a.as_ref(), &collect).unwrap();
            let (nb, mut tb) = searcher.search(b.as_ref(), &collect).unwrap();
            assert!(na > 100);
            assert_eq!(na, nb);
            ta.sort_by_key(|(_, d)| *d);
            tb.sort_by_key(|(_, d)| *d);
            for ((sa, da), (sb, db)) in ta.iter().zip(&tb) {
                assert_eq!(da, db);
                assert!((sa - sb).abs() < 1e-5, "{sa} {sb}");
            }
        }
    }
}
