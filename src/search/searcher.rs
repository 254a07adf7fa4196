//! The façade over the live generation: a search runs plan → match → rank → page (see the
//! module list in `search`); besides, one case, counts and similar cases. (Task
//! suggestions are in `suggest_tasks`.)
//!
//! Opening costs what a query needs and no more: the index files are memory-mapped, the
//! catalog (plan, places, synonyms) and the compact segmenter dictionary are read only
//! when a query first asks for them.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use jieba_rs::Jieba;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, Index, IndexReader, Order, ReloadPolicy, Term};

use super::SearchError;
use super::analysis::{normalize, word_tokens};
use super::page::{self, Results};
use super::plan::{Filters, MatchMode, Unit, closest_known};
use super::rank::{self, ScoreModel};
use super::schema::Fields;
use super::stats::{Exact, IndexStats, live_doc_freq};
use super::store::{CATALOG_FILE, Generation, WORDS_FILE};
use super::writer::Catalog;
use crate::library::Case;

/// Below this many cases with every word of a query of three or more words, the cases
/// with most of its words are shown after them.
const MIN_STRICT_HITS: usize = 3;

/// A search to run.
#[derive(Debug, Clone)]
pub struct Request {
    pub text: String,
    pub filters: Filters,
    pub limit: usize,
    pub mode: MatchMode,
    pub exclude_ids: Vec<String>,
}

impl Request {
    pub fn new(text: impl Into<String>, filters: Filters, limit: usize) -> Self {
        Request {
            text: text.into(),
            filters,
            limit,
            mode: MatchMode::All,
            exclude_ids: Vec::new(),
        }
    }
}

/// A file of the generation read on first use: its contents, or where and why it failed.
type Loaded<T> = OnceLock<Result<T, (PathBuf, String)>>;

pub struct Searcher {
    pub generation: Generation,
    reader: IndexReader,
    /// Exact BM25 statistics, when the generation recorded them (see `stats`).
    stats: Option<IndexStats>,
    pub(super) fields: Fields,
    catalog: Loaded<Catalog>,
    jieba: Loaded<Jieba>,
    pub(super) expansions: OnceLock<HashMap<String, Vec<String>>>,
}

impl Searcher {
    pub fn open(generation: Generation) -> Result<Searcher, SearchError> {
        let index = Index::open(super::read_dir::ReadOnlyDirectory::open(&generation.path)?)?;
        let fields = Fields::from_schema(&index.schema())?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Searcher {
            stats: IndexStats::read(&generation.path),
            generation,
            reader,
            fields,
            catalog: OnceLock::new(),
            jieba: OnceLock::new(),
            expansions: OnceLock::new(),
        })
    }

    /// The plan, places and synonyms this index was built with.
    pub fn catalog(&self) -> Result<&Catalog, SearchError> {
        self.load(&self.catalog, CATALOG_FILE, |path| {
            let bytes = fs::read(path).map_err(|e| e.to_string())?;
            serde_json::from_slice(&bytes).map_err(|e| e.to_string())
        })
    }

    /// The segmenter for queries: the compact dictionary of this generation's words.
    pub(super) fn jieba(&self) -> Result<&Jieba, SearchError> {
        self.load(&self.jieba, WORDS_FILE, |path| {
            let file = fs::File::open(path).map_err(|e| e.to_string())?;
            Jieba::with_dict(&mut BufReader::new(file)).map_err(|e| e.to_string())
        })
    }

    /// The generation's file `name`, read by `read` when first asked for; a failure is
    /// kept, and told again each time.
    fn load<'a, T>(
        &self,
        cell: &'a Loaded<T>,
        name: &str,
        read: impl FnOnce(&Path) -> Result<T, String>,
    ) -> Result<&'a T, SearchError> {
        let path = self.generation.path.join(name);
        let loaded = cell.get_or_init(|| read(&path).map_err(|reason| (path.clone(), reason)));
        loaded
            .as_ref()
            .map_err(|(path, reason)| SearchError::IndexFile {
                path: path.clone(),
                reason: reason.clone(),
            })
    }

    /// Segments queries with `jieba` instead of the generation's compact dictionary (used to
    /// check that the compact dictionary changes no result).
    pub fn use_segmenter(&mut self, jieba: Jieba) {
        self.jieba = OnceLock::from(Ok(jieba));
    }

    pub fn num_cases(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// A search as a user types it: the words, the filters with any alias, a page size.
    /// The command line and the web API both call this, so the two give the same answer.
    pub fn search_typed(
        &self,
        text: &str,
        raw: &Filters,
        limit: usize,
    ) -> Result<Results, SearchError> {
        let filters = self.resolve_filters(raw)?;
        self.search(&Request::new(text, filters, limit))
    }

    /// Runs a search.
    pub fn search(&self, req: &Request) -> Result<Results, SearchError> {
        let units = self.plan(&req.text)?;
        let mut results = self.run(&units, req)?;
        // A sentence typed whole (a task's wording, say) rarely has every word in one case.
        // When few cases have them all, the cases that have most of them follow, marked.
        let few = if units.len() >= 3 { MIN_STRICT_HITS } else { 1 };
        if req.mode == MatchMode::All && units.len() >= 2 && results.total < few {
            let mut exclude = req.exclude_ids.clone();
            exclude.extend(results.hits.iter().map(|h| h.id.clone()));
            let relaxed = Request {
                mode: MatchMode::AtLeast(units.len().div_ceil(2)),
                exclude_ids: exclude,
                limit: req.limit.saturating_sub(results.hits.len()).max(1),
                ..req.clone()
            };
            let more = self.run(&units, &relaxed)?;
            if more.total > 0 {
                results.relaxed = true;
                results.total += more.total;
                let room = req.limit.saturating_sub(results.hits.len());
                results
                    .hits
                    .extend(more.hits.into_iter().take(room).map(|mut h| {
                        h.partial = true;
                        h
                    }));
            }
        }
        // `--limit 0` asks for the count alone: no hits, every match counted. (Collectors
        // need room for one.)
        results.hits.truncate(req.limit);
        Ok(results)
    }

    /// The matching documents: how many, and the best `req.limit` with their scores (in id
    /// order when nothing ranks them). Reads no stored document.
    fn top(
        &self,
        searcher: &tantivy::Searcher,
        units: &[Unit],
        req: &Request,
    ) -> Result<(usize, Vec<(f32, DocAddress)>), SearchError> {
        // No page is larger than the library, whatever was asked for.
        let limit = req.limit.clamp(1, (searcher.num_docs() as usize).max(1));
        let ranked = !units.is_empty();
        let empty;
        let jieba = if ranked {
            self.jieba()?
        } else {
            empty = Jieba::empty();
            &empty
        };
        let q = rank::compile(
            units,
            req.mode,
            &req.filters,
            &req.exclude_ids,
            jieba,
            &self.fields,
            &ScoreModel::DEFAULT,
        );
        if ranked {
            let stats = Exact::new(searcher, self.stats.as_ref());
            page::best(searcher, &stats, &q, limit, self.fields.id)
        } else {
            let (total, top) = searcher.search(
                &q.query,
                &(
                    Count,
                    TopDocs::with_limit(limit).order_by_string_fast_field("id", Order::Asc),
                ),
            )?;
            Ok((total, top.into_iter().map(|(_, a)| (0.0, a)).collect()))
        }
    }

    /// A search's total and ranked ids, without loading cases or making snippets (what
    /// benchmarks time as query latency, and what tests ask when only ids matter).
    pub fn ranked_ids(&self, req: &Request) -> Result<(usize, Vec<(f32, String)>), SearchError> {
        let units = self.plan(&req.text)?;
        let searcher = self.reader.searcher();
        let (total, docs) = self.top(&searcher, &units, req)?;
        let addrs: Vec<DocAddress> = docs.iter().map(|(_, a)| *a).collect();
        let ids = page::ids(&searcher, self.fields.id, &addrs)?;
        Ok((total, docs.into_iter().map(|(s, _)| s).zip(ids).collect()))
    }

    fn run(&self, units: &[Unit], req: &Request) -> Result<Results, SearchError> {
        let searcher = self.reader.searcher();
        let (total, docs) = self.top(&searcher, units, req)?;
        Ok(Results {
            query: req.text.clone(),
            total,
            hits: page::hits(&searcher, &self.fields, docs, &page::needles(units))?,
            relaxed: false,
        })
    }

    /// The index's searcher, for the other query modules of `search`.
    pub(super) fn index_searcher(&self) -> tantivy::Searcher {
        self.reader.searcher()
    }

    /// The stored case of a document.
    pub(super) fn case_at(&self, addr: DocAddress) -> Result<Case, SearchError> {
        page::case(&self.reader.searcher(), &self.fields, addr)
    }

    /// One case, whole; an unknown id is an error naming the closest ids.
    pub fn case(&self, id: &str) -> Result<Case, SearchError> {
        let searcher = self.reader.searcher();
        let q = TermQuery::new(
            Term::from_field_text(self.fields.id, id),
            IndexRecordOption::Basic,
        );
        let top = searcher.search(&q, &TopDocs::with_limit(1).order_by_score())?;
        match top.first() {
            Some((_, addr)) => page::case(&searcher, &self.fields, *addr),
            None => Err(SearchError::UnknownCase {
                id: id.to_string(),
                suggestions: closest_known(id, &self.ids()?)
                    .map(str::to_string)
                    .collect(),
            }),
        }
    }

    /// Every case id, sorted.
    pub fn ids(&self) -> Result<Vec<String>, SearchError> {
        Ok(self.counts(self.fields.id)?.into_keys().collect())
    }

    /// How many cases hold each value of an exact field. In a segment with deletes (an
    /// incremental generation) the postings are walked, so replaced and removed cases do
    /// not count.
    pub fn counts(&self, field: Field) -> Result<BTreeMap<String, u64>, SearchError> {
        let searcher = self.reader.searcher();
        let mut out: BTreeMap<String, u64> = BTreeMap::new();
        for seg in searcher.segment_readers() {
            let inverted = seg.inverted_index(field)?;
            let alive = seg.alive_bitset();
            let mut stream = inverted.terms().stream()?;
            while stream.advance() {
                let info = stream.value();
                let n = match alive {
                    None => info.doc_freq,
                    Some(alive) => inverted
                        .read_postings_from_terminfo(info, IndexRecordOption::Basic)?
                        .doc_freq_given_deletes(alive),
                };
                if n > 0 {
                    let key = String::from_utf8_lossy(stream.key()).into_owned();
                    *out.entry(key).or_default() += u64::from(n);
                }
            }
        }
        Ok(out)
    }

    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// Cases most like `id`: shared topics, tasks, positioning and places, and the words
    /// that most distinguish its text.
    pub fn similar(&self, id: &str, limit: usize) -> Result<Results, SearchError> {
        let case = self.case(id)?;
        let searcher = self.reader.searcher();
        let f = &self.fields;
        let boosted = |field: Field, text: &str, boost: f32| -> (Occur, Box<dyn Query>) {
            let q = TermQuery::new(
                Term::from_field_text(field, text),
                IndexRecordOption::WithFreqs,
            );
            (Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost)))
        };
        let mut should = Vec::new();
        for (field, values, boost) in [
            (f.topic, &case.topics, 3.0),
            (f.task, &case.tasks, 2.0),
            (f.positioning, &case.positioning, 1.0),
            (f.city, &case.cities, 0.5),
        ] {
            should.extend(values.iter().map(|v| boosted(field, v, boost)));
        }
        // The body's most telling words: frequent in this case, rare in the library.
        let jieba = self.jieba()?;
        let text = normalize(&format!("{} {}", case.title, case.plain_body()));
        let mut tf: HashMap<&str, u32> = HashMap::new();
        for w in word_tokens(jieba, &text) {
            if w.chars().count() >= 2 {
                *tf.entry(w).or_default() += 1;
            }
        }
        let n = searcher.num_docs().max(1) as f32;
        let mut weighted: Vec<(f32, &str)> = Vec::new();
        for (w, c) in tf {
            let df = live_doc_freq(&searcher, &Term::from_field_text(f.body, w))? as f32;
            if df <= 1.0 {
                continue;
            }
            weighted.push(((c as f32).sqrt() * (n / df).ln(), w));
        }
        weighted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        should.extend(
            weighted
                .into_iter()
                .take(25)
                .map(|(_, w)| boosted(f.body, w, 0.3)),
        );
        let q = BooleanQuery::new(vec![
            (
                Occur::Must,
                Box::new(BooleanQuery::new(should)) as Box<dyn Query>,
            ),
            (
                Occur::MustNot,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.id, &case.id),
                    IndexRecordOption::Basic,
                )),
            ),
        ]);
        let (total, top) = searcher.search_with_statistics_provider(
            &q,
            &(
                Count,
                TopDocs::with_limit(limit.clamp(1, (searcher.num_docs() as usize).max(1)))
                    .order_by_score(),
            ),
            &Exact::new(&searcher, self.stats.as_ref()),
        )?;
        let needles: Vec<String> = case.topics.iter().map(|t| normalize(t)).collect();
        let mut hits = page::hits(&searcher, f, top, &needles)?;
        hits.truncate(limit);
        Ok(Results {
            query: case.id,
            total,
            hits,
            relaxed: false,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::library::{self, Origin};
    use crate::search::matching::gate::Gated;
    use crate::search::rank::top_k;
    use crate::search::{IndexDir, build};

    /// The shipped library, indexed in a temporary folder (kept alive by the guard).
    pub(crate) fn shipped() -> (tempfile::TempDir, library::Library, Searcher) {
        let lib = library::load(&Origin::Embedded).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let dir = IndexDir::new(tmp.path());
        build(&dir, &lib, || {}, &|_, _| {}).unwrap();
        let s = Searcher::open(dir.current().unwrap()).unwrap();
        (tmp, lib, s)
    }

    /// Every topic of the library, once, sorted.
    pub(crate) fn all_topics(lib: &library::Library) -> Vec<String> {
        let mut topics: Vec<String> = lib.cases.iter().flat_map(|c| c.topics.clone()).collect();
        topics.sort();
        topics.dedup();
        topics
    }

    /// Each topic with another one, as two-word queries.
    pub(crate) fn topic_pairs(topics: &[String]) -> Vec<String> {
        (0..topics.len())
            .map(|i| format!("{} {}", topics[i], topics[(i * 7 + 3) % topics.len()]))
            .collect()
    }

    /// Every topic, each with another, and a few queries of other shapes.
    pub(crate) fn sample_queries(lib: &library::Library) -> Vec<String> {
        let topics = all_topics(lib);
        let pairs = topic_pairs(&topics);
        let more = ["口袋公园 城市更新", "CIM", "会展", "港"].map(String::from);
        topics.into_iter().chain(pairs).chain(more).collect()
    }

    /// `q` compiled as a search compiles it.
    fn compiled(s: &Searcher, q: &str, mode: MatchMode, filters: &Filters) -> rank::Compiled {
        let (units, jieba) = (s.plan(q).unwrap(), s.jieba().unwrap());
        rank::compile(
            &units,
            mode,
            filters,
            &[],
            jieba,
            &s.fields,
            &ScoreModel::DEFAULT,
        )
    }

    /// Sixty cases with the same text tie on every query; however many tie at the page's
    /// cut, the page is the first ids in id order, not the first cases the index holds
    /// (they are indexed here in reverse id order).
    #[test]
    fn ties_at_the_page_cut_are_ordered_by_id_however_many() {
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid");
        let mut lib = library::load(&Origin::Dir(fixture)).unwrap();
        let base = lib.cases[0].clone();
        lib.cases = (0..60)
            .rev()
            .map(|i| {
                let mut c = base.clone();
                c.id = format!("tie-{i:02}");
                c
            })
            .collect();
        let tmp = tempfile::tempdir().unwrap();
        let dir = IndexDir::new(tmp.path());
        build(&dir, &lib, || {}, &|_, _| {}).unwrap();
        let s = Searcher::open(dir.current().unwrap()).unwrap();
        for limit in [1, 5, 10, 30] {
            let req = Request::new(base.topics[0].clone(), Filters::default(), limit);
            let r = s.search(&req).unwrap();
            assert_eq!(r.total, 60);
            let ids: Vec<String> = r.hits.iter().map(|h| h.id.clone()).collect();
            let want: Vec<String> = (0..limit).map(|i| format!("tie-{i:02}")).collect();
            assert_eq!(ids, want, "limit {limit}");
            assert!(r.hits.windows(2).all(|w| w[0].score == w[1].score));
        }
    }

    /// Ids read from the index's dictionaries are the ids of the stored cases.
    #[test]
    fn ranked_ids_are_the_hits_ids() {
        let (_tmp, lib, s) = shipped();
        let mut checked = 0;
        for topic in all_topics(&lib) {
            let req = Request::new(topic, Filters::default(), 10);
            let (total, ranked) = s.ranked_ids(&req).unwrap();
            let hits = s.search(&req).unwrap();
            if hits.relaxed {
                // Partial matches follow; ranked_ids has only the strict ones.
                continue;
            }
            assert_eq!(total, hits.total);
            let a: Vec<&str> = ranked.iter().map(|(_, id)| id.as_str()).collect();
            let b: Vec<&str> = hits.hits.iter().map(|h| h.id.as_str()).collect();
            assert_eq!(a, b, "{}", req.text);
            checked += a.len();
        }
        assert!(checked > 300, "{checked}");
    }

    /// The pruned top page is the page of scoring every match: same count, same documents,
    /// same scores, for pages small enough that most matches are pruned.
    #[test]
    fn pruned_top_is_the_exhaustive_top() {
        let (_tmp, lib, s) = shipped();
        let searcher = s.reader.searcher();
        let all = searcher.num_docs() as usize;
        let mut beyond_page = 0;
        for q in &sample_queries(&lib) {
            for mode in [MatchMode::All, MatchMode::AtLeast(1)] {
                let c = compiled(&s, q, mode, &Filters::default());
                let total = searcher.search(&c.query, &Count).unwrap();
                // A page as large as the library rules nothing out.
                let (m, every) = top_k::top_scored(&searcher, &searcher, &c, all).unwrap();
                assert_eq!((m, every.len()), (total, total), "{q}");
                for k in [1, 3, 10] {
                    let (n, got) = top_k::top_scored(&searcher, &searcher, &c, k).unwrap();
                    assert_eq!(n, total, "{q}");
                    assert_eq!(got[..], every[..k.min(total)], "{q} {k}");
                    beyond_page += n.saturating_sub(k);
                }
            }
        }
        // Most of these matches were candidates the bound had to rule out.
        assert!(beyond_page > 1_000, "{beyond_page}");
    }

    /// A query with gates matches the cases it matches without them, with the same scores;
    /// the gates let through every match and rule out most other cases.
    #[test]
    fn gates_change_nothing_but_the_work() {
        let (_tmp, lib, s) = shipped();
        let searcher = s.reader.searcher();
        let topics = all_topics(&lib);
        let usa = Filters {
            countries: vec!["美国".into()],
            ..Filters::default()
        };
        let mut queries: Vec<(String, Filters)> = topic_pairs(&topics)
            .into_iter()
            .map(|q| (q, Filters::default()))
            .collect();
        queries.extend(topics.iter().map(|t| (t.clone(), usa.clone())));
        queries.push((
            String::new(),
            Filters {
                positionings: vec!["国际门户枢纽城市".into()],
                ..usa.clone()
            },
        ));
        let (mut gated, mut matched, mut passed) = (0, 0, 0);
        for (q, filters) in &queries {
            let c = compiled(&s, q, MatchMode::All, filters);
            let Some(g) = c.query.downcast_ref::<Gated>() else {
                continue;
            };
            gated += 1;
            let collect = (Count, TopDocs::with_limit(1_000).order_by_score());
            let (n, mut with) = searcher.search(g, &collect).unwrap();
            let (m, mut without) = searcher.search(g.inner(), &collect).unwrap();
            assert_eq!(n, m, "{q}");
            with.sort_by_key(|(_, d)| *d);
            without.sort_by_key(|(_, d)| *d);
            for ((a, da), (b, db)) in with.iter().zip(&without) {
                assert_eq!(da, db, "{q}");
                assert!((a - b).abs() <= 1e-5 * b.abs(), "{q}: {a} {b}");
            }
            let candidates = g.candidates(&searcher).unwrap();
            assert!(candidates >= n as u64, "{q}: {candidates} < {n}");
            matched += n as u64;
            passed += candidates;
        }
        assert!(gated > 150, "{gated}");
        // Gates are necessary conditions, not exact ones, but close.
        let all = gated * searcher.num_docs();
        assert!(
            passed < all / 10 && matched * 3 > passed,
            "{matched} {passed} {all}"
        );
    }
}
