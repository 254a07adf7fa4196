//! The last step of a search, page: the best cases of a ranked query become a page of
//! hits, each a stored case with a snippet of where it matches, and how many matched.
//!
//! Equal scores are ordered by case id, so a page never depends on the order in which the
//! indexer's threads happened to add documents; ids come from the id fast field, without
//! reading a stored case. Snippets highlight every unit and alternative of the query.

use serde::Serialize;
use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::{Field, Value};
use tantivy::{DocAddress, TantivyDocument};

use super::SearchError;
use super::plan::Unit;
use super::rank::{Compiled, top_k};
use super::schema::Fields;
use super::snippet;
use super::suggest_tasks::Why;
use crate::library::Case;

/// One result, as the command line prints it and scripts read it (README: command-line
/// contract).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    pub id: String,
    pub title: String,
    pub cities: Vec<String>,
    pub countries: Vec<String>,
    pub positioning: Vec<String>,
    pub topics: Vec<String>,
    pub tasks: Vec<String>,
    pub score: f32,
    pub snippet: String,
    /// True when the case has most but not all of the query's words.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// Why the case was suggested for a task (only on `task` and `suggest-links`
    /// suggestions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<Why>,
}

/// A page of results and how many matched in all.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub query: String,
    pub total: usize,
    pub hits: Vec<Hit>,
    /// True when some hits have most but not all of the query's words (they follow the
    /// hits that have all of them, and are marked `partial`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub relaxed: bool,
}

/// How many cases `q` matches, and the best `limit` with their scores, equal scores in id
/// order (`id` is the id field).
pub(super) fn best(
    searcher: &tantivy::Searcher,
    stats: &dyn Bm25StatisticsProvider,
    q: &Compiled,
    limit: usize,
    id: Field,
) -> Result<(usize, Vec<(f32, DocAddress)>), SearchError> {
    // Each segment gives its best `limit` by score and then id (`top_k` keeps equal scores
    // so), and the best `limit` of all are among them: ordered by score and id across
    // segments, the first `limit` are the page. With one segment (every index after its
    // build's merge) they are in that order already.
    let (total, mut top) = top_k::top_scored(searcher, stats, q, limit)?;
    if searcher.segment_readers().len() > 1 {
        let addrs: Vec<DocAddress> = top.iter().map(|(_, a)| *a).collect();
        let mut keyed: Vec<_> = top.into_iter().zip(ids(searcher, id, &addrs)?).collect();
        keyed.sort_by(|((a, _), x), ((b, _), y)| b.total_cmp(a).then_with(|| x.cmp(y)));
        top = keyed.into_iter().map(|(t, _)| t).collect();
    }
    top.truncate(limit);
    Ok((total, top))
}

/// The case ids of `docs`, in order, from the fast field (no stored document is read).
/// Ids of one segment are decoded in one pass over its dictionary.
pub(super) fn ids(
    searcher: &tantivy::Searcher,
    id: Field,
    docs: &[DocAddress],
) -> Result<Vec<String>, SearchError> {
    let mut ids = vec![String::new(); docs.len()];
    for (seg_ord, seg) in searcher.segment_readers().iter().enumerate() {
        let Some(col) = seg.fast_fields().str("id")? else {
            continue;
        };
        let mut wanted: Vec<(u64, usize)> = docs
            .iter()
            .enumerate()
            .filter(|(_, a)| a.segment_ord as usize == seg_ord)
            .filter_map(|(i, a)| col.term_ords(a.doc_id).next().map(|o| (o, i)))
            .collect();
        wanted.sort_unstable();
        let mut ords: Vec<u64> = wanted.iter().map(|(o, _)| *o).collect();
        ords.dedup();
        let mut names = Vec::with_capacity(ords.len());
        // The same ids make up the inverted index's dictionary, in the same order, and
        // its FST walks to an ordinal's term; the fast field's dictionary scans a block
        // for each. Which dictionary answers changes no id: their sizes are compared
        // first.
        let terms = seg.inverted_index(id)?;
        let terms = terms.terms();
        if terms.num_terms() as u64 == col.dictionary().num_terms() as u64 {
            let mut buf = Vec::new();
            for &o in &ords {
                let found = terms.ord_to_term(o, &mut buf)?;
                names.push(if found {
                    String::from_utf8_lossy(&buf).into_owned()
                } else {
                    String::new()
                });
            }
        } else {
            col.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
                names.push(String::from_utf8_lossy(bytes).into_owned());
            })?;
        }
        for (o, i) in wanted {
            if let Ok(k) = ords.binary_search(&o)
                && let Some(name) = names.get(k)
            {
                ids[i].clone_from(name);
            }
        }
    }
    Ok(ids)
}

/// The stored case of a document.
pub(super) fn case(
    searcher: &tantivy::Searcher,
    f: &Fields,
    addr: DocAddress,
) -> Result<Case, SearchError> {
    let doc: TantivyDocument = searcher.doc(addr)?;
    let json = doc.get_first(f.case_json).and_then(|v| v.as_str());
    serde_json::from_str(json.unwrap_or("")).map_err(SearchError::Json)
}

/// The hits of scored documents, best first and equal scores by id.
pub(super) fn hits(
    searcher: &tantivy::Searcher,
    f: &Fields,
    docs: Vec<(f32, DocAddress)>,
    needles: &[String],
) -> Result<Vec<Hit>, SearchError> {
    let mut hits = Vec::with_capacity(docs.len());
    for (score, addr) in docs {
        hits.push(hit(case(searcher, f, addr)?, score, needles));
    }
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    Ok(hits)
}

/// A case as a hit, its snippet highlighting `needles`.
pub(super) fn hit(case: Case, score: f32, needles: &[String]) -> Hit {
    let plain = crate::library::markdown::plain_text(&case.body);
    Hit {
        snippet: snippet::snippet(&plain, needles),
        id: case.id,
        title: case.title,
        cities: case.cities,
        countries: case.countries,
        positioning: case.positioning,
        topics: case.topics,
        tasks: case.tasks,
        score,
        partial: false,
        why: None,
    }
}

/// What snippets highlight: each unit and its synonyms, longest first so that a long match
/// is not cut by a shorter one inside it.
pub(super) fn needles(units: &[Unit]) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for u in units {
        for t in std::iter::once(&u.text).chain(u.synonyms.iter()) {
            if !v.contains(t) {
                v.push(t.clone());
            }
        }
    }
    v.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
    v
}
