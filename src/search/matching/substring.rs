//! "This text occurs here", decided on the character view, with a shortcut through the
//! word view.
//!
//! A text of three or more characters is a phrase of bigrams, and checking a phrase means
//! decoding the positions of every bigram in every case that holds them all: at 100k cases
//! that was a quarter of query time. But a case whose word view holds the whole text as one
//! word holds it as a substring (a word is a piece of the text it was cut from, and the
//! character view indexes that same text), so for those cases the positions are not read.
//! For a word the library uses, that is most of them. Cases the shortcut misses (the text
//! cut across a word boundary, or only in a title) are checked position by position, so
//! what matches is exactly the phrase.

use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SeekDangerResult, SegmentReader, TERMINATED, Term};

use crate::search::seek_forward;

/// Matches the cases holding `terms` at their offsets (a phrase of the character view);
/// `word` is the whole text as a word-view term, whose cases match without a position
/// check. Scores a constant 1.
#[derive(Debug, Clone)]
pub struct SubstringQuery {
    terms: Vec<(usize, Term)>,
    also: Vec<Term>,
    word: Option<Term>,
}

impl SubstringQuery {
    /// `terms` must be of one field and hold at least one term. `also` are more terms of
    /// that field every matching case holds (the text's other bigrams): they are checked
    /// case by case, without positions, so a rare one spares the position check of cases
    /// that hold the common ones apart ("健康" and "城市" but not "康城").
    pub fn new(terms: Vec<(usize, Term)>, also: Vec<Term>, word: Option<Term>) -> SubstringQuery {
        SubstringQuery { terms, also, word }
    }
}

impl Query for SubstringQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(SubstringWeight(self.clone())))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for (_, t) in &self.terms {
            visitor(t, true);
        }
    }
}

struct SubstringWeight(SubstringQuery);

impl SubstringWeight {
    fn substring_scorer(&self, reader: &SegmentReader) -> tantivy::Result<Option<SubstringScorer>> {
        let Some(field) = self.0.terms.first().map(|(_, t)| t.field()) else {
            return Ok(None);
        };
        let chars = reader.inverted_index(field)?;
        // The rarest term leads each intersection. Postings are large: they are sorted as
        // term infos and read in place.
        let mut infos = Vec::with_capacity(self.0.terms.len());
        for (offset, term) in &self.0.terms {
            match chars.get_term_info(term)? {
                Some(info) => infos.push((*offset as u32, info)),
                None => return Ok(None),
            }
        }
        let mut also = Vec::with_capacity(self.0.also.len());
        for term in &self.0.also {
            match chars.get_term_info(term)? {
                Some(info) => also.push(info),
                None => return Ok(None),
            }
        }
        infos.sort_by_key(|(_, info)| info.doc_freq);
        also.sort_by_key(|info| info.doc_freq);
        let mut terms = Vec::with_capacity(infos.len());
        for (offset, info) in &infos {
            let p = chars
                .read_postings_from_terminfo(info, IndexRecordOption::WithFreqsAndPositions)?;
            terms.push((*offset, p));
        }
        let mut docs: Vec<SegmentPostings> = Vec::with_capacity(also.len());
        for info in &also {
            docs.push(chars.read_postings_from_terminfo(info, IndexRecordOption::Basic)?);
        }
        let word = match &self.0.word {
            Some(w) => reader
                .inverted_index(w.field())?
                .read_postings(w, IndexRecordOption::Basic)?,
            None => None,
        };
        let max_offset = terms.iter().map(|(o, _)| *o).max().unwrap_or(0);
        let mut scorer = SubstringScorer {
            docs,
            terms,
            max_offset,
            word,
            doc: 0,
            base: Vec::new(),
            other: Vec::new(),
        };
        scorer.doc = scorer.settle(0);
        Ok(Some(scorer))
    }
}

impl Weight for SubstringWeight {
    fn scorer(&self, reader: &SegmentReader, _boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(match self.substring_scorer(reader)? {
            Some(s) => Box::new(s),
            None => Box::new(EmptyScorer),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let found = self
            .substring_scorer(reader)?
            .is_some_and(|mut s| s.seek(doc) == doc);
        match found {
            true => Ok(Explanation::new("substring", 1.0)),
            false => Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not hold the text"
            ))),
        }
    }
}

struct SubstringScorer {
    /// Terms every match holds, checked without positions, rarest first.
    docs: Vec<SegmentPostings>,
    /// Each bigram's offset in the text and its postings, rarest first.
    terms: Vec<(u32, SegmentPostings)>,
    max_offset: u32,
    word: Option<SegmentPostings>,
    doc: DocId,
    /// Reused position buffers.
    base: Vec<u32>,
    other: Vec<u32>,
}

impl SubstringScorer {
    /// The first document at or after `candidate` that holds every term.
    fn next_common(&mut self, mut candidate: DocId) -> DocId {
        'outer: loop {
            if candidate == TERMINATED {
                return TERMINATED;
            }
            let postings = self
                .docs
                .iter_mut()
                .chain(self.terms.iter_mut().map(|(_, p)| p));
            for p in postings {
                let d = seek_forward(p, candidate);
                if d != candidate {
                    candidate = d;
                    continue 'outer;
                }
            }
            return candidate;
        }
    }

    /// The first document at or after `candidate` that holds the text.
    fn settle(&mut self, mut candidate: DocId) -> DocId {
        loop {
            candidate = self.next_common(candidate);
            if candidate == TERMINATED || self.holds(candidate) {
                return candidate;
            }
            candidate += 1;
        }
    }

    /// Does `doc`, which holds every term, hold them at their offsets?
    fn holds(&mut self, doc: DocId) -> bool {
        if let Some(w) = &mut self.word
            && seek_forward(w, doc) == doc
        {
            return true;
        }
        // Shift every position so that the text's start is at the same place for each term.
        let (first, rest) = self.terms.split_at_mut(1);
        self.base.clear();
        let (o, p) = &mut first[0];
        p.append_positions_with_offset(self.max_offset - *o, &mut self.base);
        for (o, p) in rest {
            self.other.clear();
            p.append_positions_with_offset(self.max_offset - *o, &mut self.other);
            let other = &self.other;
            let mut k = 0;
            self.base.retain(|x| {
                while k < other.len() && other[k] < *x {
                    k += 1;
                }
                k < other.len() && other[k] == *x
            });
            if self.base.is_empty() {
                return false;
            }
        }
        !self.base.is_empty()
    }
}

impl DocSet for SubstringScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        self.doc = self.settle(self.doc + 1);
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        self.doc = self.settle(target);
        self.doc
    }

    /// Whether `target` holds the text, without looking past it for the next case that
    /// does: a case holding every bigram is a lower bound. A union or intersection asks
    /// this of every clause at every candidate, and only one clause needs to be right.
    fn seek_danger(&mut self, target: DocId) -> SeekDangerResult {
        if target >= TERMINATED {
            return SeekDangerResult::SeekLowerBound(TERMINATED);
        }
        if self.doc >= target {
            return if self.doc == target {
                SeekDangerResult::Found
            } else {
                SeekDangerResult::SeekLowerBound(self.doc)
            };
        }
        let common = self.next_common(target);
        if common == target && self.holds(target) {
            self.doc = target;
            return SeekDangerResult::Found;
        }
        // Left between cases: `doc` is stale until a later seek finds one.
        SeekDangerResult::SeekLowerBound(if common == target { target + 1 } else { common })
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        let rarest = self.docs.first().map_or(u32::MAX, |p| p.size_hint());
        rarest.min(self.terms[0].1.size_hint())
    }
}

impl Scorer for SubstringScorer {
    fn score(&mut self) -> Score {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::DocSetCollector;
    use tantivy::query::{BooleanQuery, Occur, PhraseQuery, TermQuery};
    use tantivy::schema::{Schema, TextFieldIndexing, TextOptions};
    use tantivy::tokenizer::{SimpleTokenizer, TextAnalyzer};
    use tantivy::{Index, TantivyDocument};

    use super::*;
    use crate::search::analysis::BigramTokenizer;

    /// Matches exactly what the phrase of bigrams matches, with the shortcut or without it,
    /// and even when the shortcut's word list is wrong about a case (it is only a hint to
    /// skip the position check, so a case it names that lacks the text would match: the
    /// test keeps it truthful, as the word view is).
    #[test]
    fn matches_exactly_the_phrase() {
        let mut schema = Schema::builder();
        let opts = |tok: &str, rec| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tok)
                    .set_index_option(rec),
            )
        };
        let chars = schema.add_text_field(
            "chars",
            opts("bigram", IndexRecordOption::WithFreqsAndPositions),
        );
        let words = schema.add_text_field("words", opts("simple", IndexRecordOption::Basic));
        let index = Index::create_in_ram(schema.build());
        index
            .tokenizers()
            .register("bigram", TextAnalyzer::from(BigramTokenizer));
        index
            .tokenizers()
            .register("simple", TextAnalyzer::from(SimpleTokenizer::default()));
        let mut writer: tantivy::IndexWriter =
            index.writer_with_num_threads(1, 20_000_000).unwrap();
        let pieces = ["口袋", "公园", "口袋公园", "城市", "袋公", "园口", "更新"];
        let mut docs = 0;
        for i in 0..3_000usize {
            let text: String = (0..6)
                .map(|k| pieces[(i * 7 + k * k * 3 + i / 5) % 7])
                .collect();
            let mut doc = TantivyDocument::new();
            doc.add_text(chars, &text);
            // The word view names only some of the cases that hold the text, as jieba does.
            if text.contains("口袋公园") && i % 3 == 0 {
                doc.add_text(words, "口袋公园");
                docs += 1;
            }
            writer.add_document(doc).unwrap();
        }
        assert!(docs > 10);
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        for text in ["口袋公园", "袋公园口", "公园口袋公", "园城市更"] {
            let (cover, _) = crate::search::analysis::char_cover(text);
            let terms: Vec<(usize, Term)> = cover
                .iter()
                .map(|(p, t)| (*p, Term::from_field_text(chars, t)))
                .collect();
            let also: Vec<Term> = crate::search::analysis::bigrams(text)
                .iter()
                .filter(|b| !cover.iter().any(|(_, t)| t == *b))
                .map(|b| Term::from_field_text(chars, b))
                .collect();
            let phrase = PhraseQuery::new_with_offset(terms.clone());
            let want = searcher.search(&phrase, &DocSetCollector).unwrap();
            // Some cases hold the text and some hold its bigrams elsewhere only.
            assert!(
                text == "园城市更" || (100..3_000).contains(&want.len()),
                "{text}"
            );
            // Beside a commoner clause, the substring is asked with `seek_danger`.
            let common = Term::from_field_text(chars, "城市");
            let with_common = |q: Box<dyn Query>| {
                BooleanQuery::new(vec![
                    (Occur::Must, q),
                    (
                        Occur::Must,
                        Box::new(TermQuery::new(common.clone(), IndexRecordOption::Basic)),
                    ),
                ])
            };
            let want_common = searcher
                .search(&with_common(Box::new(phrase.clone())), &DocSetCollector)
                .unwrap();
            for (also, word) in [
                (vec![], None),
                (also.clone(), None),
                (also.clone(), Some(Term::from_field_text(words, text))),
            ] {
                let q = SubstringQuery::new(terms.clone(), also, word);
                let got = searcher.search(&q, &DocSetCollector).unwrap();
                assert_eq!(got, want, "{text}");
                let got = searcher
                    .search(&with_common(Box::new(q)), &DocSetCollector)
                    .unwrap();
                assert_eq!(got, want_common, "{text} and 城市");
            }
            // And seeking lands where advancing does.
            let weight = SubstringQuery::new(terms, also, Some(Term::from_field_text(words, text)))
                .weight(EnableScoring::disabled_from_searcher(&searcher))
                .unwrap();
            let seg = searcher.segment_reader(0);
            let mut all: Vec<DocId> = Vec::new();
            let mut s = weight.scorer(seg, 1.0).unwrap();
            while s.doc() != TERMINATED {
                all.push(s.doc());
                s.advance();
            }
            let mut s = weight.scorer(seg, 1.0).unwrap();
            for target in (0..3_000).step_by(97) {
                let expect = all
                    .iter()
                    .copied()
                    .find(|d| *d >= target)
                    .unwrap_or(TERMINATED);
                if s.doc() <= target {
                    assert_eq!(s.seek(target), expect, "{text} seek {target}");
                }
            }
        }
    }
}
