//! BM25 statistics as a full rebuild of the same library would have them.
//!
//! tantivy's own statistics count what its segments hold, deleted documents included: a
//! case edited in an incremental generation is counted twice (its old version is only
//! marked deleted), and a merge of a segment with deletes estimates its token count from
//! the quantized field norms. Scores would then drift from a full rebuild's, and with them
//! the order of close results. So every generation records the exact token count of each
//! field over its live cases (`stats.json`, kept exact across incremental builds by
//! counting the tokens of the versions removed and added), and document frequencies skip
//! deleted documents. With no deletes (every full build) the counts are tantivy's own.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::{Field, IndexRecordOption, Schema};
use tantivy::{Index, IndexWriter, TantivyDocument, Term};

use super::SearchError;
use super::store;

pub const STATS_FILE: &str = "stats.json";

/// What a generation's scoring needs besides its segments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexStats {
    /// Live cases.
    pub docs: u64,
    /// Tokens of each indexed field over the live cases, by field name.
    pub tokens: BTreeMap<String, u64>,
}

impl IndexStats {
    /// The statistics a generation recorded, if it did and they read.
    pub fn read(gen_dir: &Path) -> Option<IndexStats> {
        let bytes = std::fs::read(gen_dir.join(STATS_FILE)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    pub fn write(&self, gen_dir: &Path) -> Result<(), SearchError> {
        let json = serde_json::to_vec(self).map_err(SearchError::Json)?;
        store::write_synced(&gen_dir.join(STATS_FILE), &json)
    }

    /// tantivy's totals, exact for an index whose segments have no deletes.
    pub fn of_clean(searcher: &tantivy::Searcher) -> Result<IndexStats, SearchError> {
        let schema = searcher.schema();
        let mut tokens = BTreeMap::new();
        for (field, entry) in schema.fields() {
            if entry.is_indexed() {
                tokens.insert(
                    entry.name().to_string(),
                    Bm25StatisticsProvider::total_num_tokens(searcher, field)?,
                );
            }
        }
        Ok(IndexStats {
            docs: searcher.num_docs(),
            tokens,
        })
    }

    /// The statistics of `docs` alone, counted by indexing them the way the real index does
    /// (same schema, same analyzers) in memory: what they add to a generation, or what
    /// removing them takes away.
    pub fn of_documents(
        index: &Index,
        docs: Vec<TantivyDocument>,
    ) -> Result<IndexStats, SearchError> {
        if docs.is_empty() {
            return Ok(IndexStats::default());
        }
        let mut ram = Index::create_in_ram(index.schema());
        ram.set_tokenizers(index.tokenizers().clone());
        let mut writer: IndexWriter = ram.writer_with_num_threads(1, 32 * 1024 * 1024)?;
        for d in docs {
            writer.add_document(d)?;
        }
        writer.commit()?;
        let reader = ram.reader()?;
        IndexStats::of_clean(&reader.searcher())
    }

    /// `self` with `removed` taken away and `added` added.
    pub fn updated(&self, removed: &IndexStats, added: &IndexStats) -> IndexStats {
        let mut tokens = self.tokens.clone();
        for (name, n) in &removed.tokens {
            let t = tokens.entry(name.clone()).or_default();
            *t = t.saturating_sub(*n);
        }
        for (name, n) in &added.tokens {
            *tokens.entry(name.clone()).or_default() += n;
        }
        IndexStats {
            docs: (self.docs + added.docs).saturating_sub(removed.docs),
            tokens,
        }
    }
}

/// How many live documents hold `term`: a segment with deletes has its postings walked.
pub fn live_doc_freq(searcher: &tantivy::Searcher, term: &Term) -> tantivy::Result<u64> {
    let mut n = 0u64;
    for seg in searcher.segment_readers() {
        let inverted = seg.inverted_index(term.field())?;
        match seg.alive_bitset() {
            None => n += u64::from(inverted.doc_freq(term)?),
            Some(alive) => {
                if let Some(info) = inverted.get_term_info(term)? {
                    let postings =
                        inverted.read_postings_from_terminfo(&info, IndexRecordOption::Basic)?;
                    n += u64::from(postings.doc_freq_given_deletes(alive));
                }
            }
        }
    }
    Ok(n)
}

/// The statistics BM25 scores with: the generation's recorded token counts and live
/// document counts.
pub struct Exact<'a> {
    searcher: &'a tantivy::Searcher,
    schema: Schema,
    stats: Option<&'a IndexStats>,
    /// Whether any segment has deletes (else tantivy's counts are exact and cheaper).
    deletes: bool,
}

impl<'a> Exact<'a> {
    pub fn new(searcher: &'a tantivy::Searcher, stats: Option<&'a IndexStats>) -> Exact<'a> {
        Exact {
            searcher,
            schema: searcher.schema().clone(),
            stats,
            deletes: searcher.segment_readers().iter().any(|s| s.has_deletes()),
        }
    }
}

impl Bm25StatisticsProvider for Exact<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        let name = self.schema.get_field_name(field);
        match self.stats.and_then(|s| s.tokens.get(name)) {
            Some(n) => Ok(*n),
            None => Bm25StatisticsProvider::total_num_tokens(self.searcher, field),
        }
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.searcher.num_docs())
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        if self.deletes {
            live_doc_freq(self.searcher, term)
        } else {
            self.searcher.doc_freq(term)
        }
    }
}
