//! Candidates first: the cases that can match every part of a query, found by decoding a
//! few posting lists whole, before any case is checked exactly.
//!
//! tantivy intersects a query's parts document at a time: the part with the fewest
//! candidates leads, and every case it matches (after its own substring check) is sought in
//! the others. For two words that is the first word's few thousand cases at 100k, each
//! checked exactly and then sought in every synonym of the second, when only a few hundred
//! hold both. But each part has a cheap necessary condition: a case holding a text holds
//! every bigram of it, so it is in the posting list of its rarest bigram. Decoding such a
//! list whole costs a few nanoseconds a case, a seek and a check hundreds. So [`Gated`]
//! ANDs, as bitsets, one such list per text (or'ed over a part's synonyms) and per filter,
//! and only the cases left are checked, through the query's own scorer, which decides and
//! scores exactly as before.

use tantivy::postings::TermInfo;
use tantivy::query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SeekDangerResult, SegmentReader, TERMINATED, Term};

/// A necessary condition for a case to match one part of a query: it holds every term of at
/// least one alternative. (A text's alternatives are the word and its synonyms; a filter's,
/// its values.)
#[derive(Debug, Clone)]
pub struct Gate(pub Vec<Vec<Term>>);

/// `inner`, whose every match passes every gate: same matches, same scores.
#[derive(Debug)]
pub struct Gated {
    inner: Box<dyn Query>,
    gates: Vec<Gate>,
}

impl Clone for Gated {
    fn clone(&self) -> Self {
        Gated {
            inner: self.inner.box_clone(),
            gates: self.gates.clone(),
        }
    }
}

impl Gated {
    pub fn new(inner: Box<dyn Query>, gates: Vec<Gate>) -> Gated {
        Gated { inner, gates }
    }

    /// The query without its gates.
    #[cfg(test)]
    pub(crate) fn inner(&self) -> &dyn Query {
        self.inner.as_ref()
    }

    /// How many cases pass the gates (every case of a segment where none is applied).
    #[cfg(test)]
    pub(crate) fn candidates(&self, searcher: &tantivy::Searcher) -> tantivy::Result<u64> {
        let weight = GatedWeight {
            inner: self
                .inner
                .weight(EnableScoring::disabled_from_searcher(searcher))?,
            gates: self.gates.clone(),
        };
        let mut n = 0;
        for reader in searcher.segment_readers() {
            n += match weight.candidates(reader)? {
                Some(bits) => bits.count,
                None => u64::from(reader.max_doc()),
            };
        }
        Ok(n)
    }
}

impl Query for Gated {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(GatedWeight {
            inner: self.inner.weight(enable_scoring)?,
            gates: self.gates.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

struct GatedWeight {
    inner: Box<dyn Weight>,
    gates: Vec<Gate>,
}

/// How many postings can be decoded for the cost of checking one candidate exactly (a seek
/// in every part, and positions where the word view does not settle it): a block of 128
/// postings decodes in tens of nanoseconds, a check takes a few hundred. A gate after the
/// first is applied when decoding its lists costs less than the checks it is expected to
/// spare, taking its cases to be spread evenly over the segment. (At 100k cases, applying
/// nearly every gate, with 4 here, gave a slower median than 64.)
const CHECK_COST_IN_POSTINGS: u64 = 64;

impl GatedWeight {
    /// The cases that pass the gates worth applying, or `None` when none is.
    fn candidates(&self, reader: &SegmentReader) -> tantivy::Result<Option<DocBits>> {
        let max_doc = reader.max_doc();
        // Each gate as the rarest term of each alternative; an alternative with a term the
        // segment lacks cannot match.
        let mut gates: Vec<(u64, Vec<(Term, TermInfo)>)> = Vec::with_capacity(self.gates.len());
        for gate in &self.gates {
            let mut lists = Vec::with_capacity(gate.0.len());
            for alternative in &gate.0 {
                if let Some(rarest) = rarest_term(reader, alternative)? {
                    lists.push(rarest);
                }
            }
            let size = lists.iter().map(|(_, i)| u64::from(i.doc_freq)).sum();
            gates.push((size, lists));
        }
        gates.sort_by_key(|(size, _)| *size);
        let mut bits: Option<DocBits> = None;
        let n = u64::from(max_doc.max(1));
        for (size, lists) in gates {
            if let Some(b) = &bits {
                // Expected candidates this gate rules out, against what it costs to decode.
                let left = b.count;
                let spared = left * n.saturating_sub(size) / n;
                if size > spared * CHECK_COST_IN_POSTINGS {
                    continue;
                }
            }
            let mut gate_bits = DocBits::new(max_doc);
            for (term, info) in &lists {
                let inverted = reader.inverted_index(term.field())?;
                let mut block =
                    inverted.read_block_postings_from_terminfo(info, IndexRecordOption::Basic)?;
                loop {
                    let docs = block.docs();
                    if docs.is_empty() {
                        break;
                    }
                    for &doc in docs {
                        gate_bits.insert(doc);
                    }
                    block.advance();
                }
            }
            match &mut bits {
                None => {
                    gate_bits.recount();
                    bits = Some(gate_bits);
                }
                Some(b) => b.and(&gate_bits),
            }
        }
        Ok(bits)
    }
}

/// The term of `alternative` with the fewest cases, or `None` if the segment lacks one.
fn rarest_term(
    reader: &SegmentReader,
    alternative: &[Term],
) -> tantivy::Result<Option<(Term, TermInfo)>> {
    let mut rarest: Option<(Term, TermInfo)> = None;
    for term in alternative {
        let Some(info) = reader.inverted_index(term.field())?.get_term_info(term)? else {
            return Ok(None);
        };
        if rarest
            .as_ref()
            .is_none_or(|(_, r)| info.doc_freq < r.doc_freq)
        {
            rarest = Some((term.clone(), info));
        }
    }
    Ok(rarest)
}

impl Weight for GatedWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let Some(bits) = self.candidates(reader)? else {
            return self.inner.scorer(reader, boost);
        };
        // Opening the query positions it on its first match, which can take a search:
        // not worth it when no case can match.
        if bits.count == 0 {
            return Ok(Box::new(EmptyScorer));
        }
        let mut scorer = GatedScorer {
            inner: self.inner.scorer(reader, boost)?,
            bits,
            doc: 0,
        };
        scorer.doc = scorer.find(0);
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.inner.explain(reader, doc)
    }
}

struct GatedScorer {
    inner: Box<dyn Scorer>,
    bits: DocBits,
    doc: DocId,
}

impl GatedScorer {
    /// The first match at or after `from`: candidates are offered to the inner scorer in
    /// increasing order, as `seek_danger` requires, and it is only read (scored) after it
    /// said `Found`.
    fn find(&mut self, from: DocId) -> DocId {
        let mut candidate = self.bits.next_from(from);
        while candidate != TERMINATED {
            match self.inner.seek_danger(candidate) {
                SeekDangerResult::Found => return candidate,
                SeekDangerResult::SeekLowerBound(bound) => {
                    candidate = self.bits.next_from(bound.max(candidate + 1));
                }
            }
        }
        TERMINATED
    }
}

impl DocSet for GatedScorer {
    fn advance(&mut self) -> DocId {
        if self.doc != TERMINATED {
            self.doc = self.find(self.doc + 1);
        }
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if target > self.doc {
            self.doc = self.find(target);
        }
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.bits.count as u32
    }
}

impl Scorer for GatedScorer {
    fn score(&mut self) -> Score {
        self.inner.score()
    }
}

/// A set of a segment's documents, one bit each.
struct DocBits {
    words: Vec<u64>,
    /// Members, as of the last `recount` or `and`.
    count: u64,
}

impl DocBits {
    fn new(max_doc: DocId) -> DocBits {
        DocBits {
            words: vec![0; (max_doc as usize).div_ceil(64)],
            count: 0,
        }
    }

    fn insert(&mut self, doc: DocId) {
        if let Some(w) = self.words.get_mut(doc as usize / 64) {
            *w |= 1 << (doc % 64);
        }
    }

    fn recount(&mut self) {
        self.count = self.words.iter().map(|w| u64::from(w.count_ones())).sum();
    }

    fn and(&mut self, other: &DocBits) {
        for (w, o) in self.words.iter_mut().zip(&other.words) {
            *w &= o;
        }
        self.recount();
    }

    /// The first member at or after `from`, or `TERMINATED`.
    fn next_from(&self, from: DocId) -> DocId {
        let mut i = from as usize / 64;
        let Some(&first) = self.words.get(i) else {
            return TERMINATED;
        };
        let mut word = first & (u64::MAX << (from % 64));
        loop {
            if word != 0 {
                return (i * 64) as DocId + word.trailing_zeros();
            }
            i += 1;
            match self.words.get(i) {
                Some(&w) => word = w,
                None => return TERMINATED,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_bits_iterate_in_order_and_intersect() {
        let mut a = DocBits::new(200);
        for d in [0, 63, 64, 130, 199] {
            a.insert(d);
        }
        a.recount();
        assert_eq!(a.count, 5);
        let members: Vec<DocId> = std::iter::successors(Some(a.next_from(0)), |&d| {
            Some(a.next_from(d + 1)).filter(|&n| n != TERMINATED)
        })
        .collect();
        assert_eq!(members, vec![0, 63, 64, 130, 199]);
        assert_eq!(a.next_from(131), 199);
        assert_eq!(a.next_from(200), TERMINATED);
        let mut b = DocBits::new(200);
        b.insert(64);
        b.insert(199);
        b.insert(5);
        a.and(&b);
        assert_eq!(a.count, 2);
        assert_eq!(a.next_from(0), 64);
    }
}
