//! Ranking quality on the shipped library, measured: the relevance set in
//! `tests/relevance/queries.yaml` gives MRR@10 and recall@10, and the test fails if either
//! falls below what has been reached. Run with `--nocapture` to see the figures and the
//! queries that miss their rank.

mod common;

use std::collections::BTreeMap;

use common::{filters_of, shipped_library};
use duibiao::library::{self, Origin};
use duibiao::search::{self, Filters, IndexDir, Request, Searcher};

/// Floors, set from measured figures (see the README); raise them as ranking improves.
const MIN_MRR: f64 = 0.97;
const MIN_RECALL: f64 = 0.99;
const MIN_RANKS_MET: f64 = 0.98;

#[derive(serde::Deserialize)]
struct Query {
    q: String,
    #[serde(default)]
    filters: BTreeMap<String, Vec<String>>,
    expect: BTreeMap<String, usize>,
}

fn queries() -> Vec<Query> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/relevance/queries.yaml"
    ))
    .unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

/// Figures for one system over the set.
pub struct Scores {
    pub mrr: f64,
    pub recall: f64,
    pub ranks_met: f64,
    pub misses: Vec<String>,
}

fn score(queries: &[Query], mut run: impl FnMut(&Query) -> Vec<String>) -> Scores {
    let (mut rr, mut rec, mut met, mut pairs) = (0.0, 0.0, 0usize, 0usize);
    let mut misses = Vec::new();
    for q in queries {
        let ids = run(q);
        let top: Vec<&String> = ids.iter().take(10).collect();
        if let Some(p) = top.iter().position(|id| q.expect.contains_key(id.as_str())) {
            rr += 1.0 / (p + 1) as f64;
        }
        let found = q.expect.keys().filter(|id| top.contains(id)).count();
        rec += found as f64 / q.expect.len() as f64;
        for (id, want) in &q.expect {
            pairs += 1;
            match ids.iter().position(|x| x == id) {
                Some(p) if p < *want => met += 1,
                got => misses.push(format!(
                    "{} → {id}: want ≤{want}, got {}",
                    q.q,
                    got.map_or("-".into(), |p| (p + 1).to_string())
                )),
            }
        }
    }
    let n = queries.len() as f64;
    Scores {
        mrr: rr / n,
        recall: rec / n,
        ranks_met: met as f64 / pairs as f64,
        misses,
    }
}

fn shipped_searcher() -> (tempfile::TempDir, Searcher) {
    shipped_searcher_with(&library::load(&Origin::Dir(shipped_library())).unwrap())
}

fn shipped_searcher_with(lib: &library::Library) -> (tempfile::TempDir, Searcher) {
    let dir = tempfile::tempdir().unwrap();
    let idx = IndexDir::new(dir.path());
    search::build(&idx, lib, || {}, &|_, _| {}).unwrap();
    let s = Searcher::open(idx.current().unwrap()).unwrap();
    (dir, s)
}

#[test]
fn the_relevance_set_holds_its_scores() {
    let qs = queries();
    assert!(qs.len() >= 60, "{}", qs.len());
    let (_dir, searcher) = shipped_searcher();
    let s = score(&qs, |q| {
        let filters = searcher.resolve_filters(&filters_of(&q.filters)).unwrap();
        let r = searcher
            .search(&Request::new(q.q.clone(), filters, 10))
            .unwrap();
        r.hits.into_iter().map(|h| h.id).collect()
    });
    println!(
        "relevance set: {} queries  MRR@10 {:.3}  recall@10 {:.3}  ranks met {:.3}",
        qs.len(),
        s.mrr,
        s.recall,
        s.ranks_met
    );
    for m in &s.misses {
        println!("  miss: {m}");
    }
    assert!(s.mrr >= MIN_MRR, "MRR@10 {:.3} < {MIN_MRR}", s.mrr);
    assert!(
        s.recall >= MIN_RECALL,
        "recall@10 {:.3} < {MIN_RECALL}",
        s.recall
    );
    assert!(
        s.ranks_met >= MIN_RANKS_MET,
        "ranks met {:.3} < {MIN_RANKS_MET}",
        s.ranks_met
    );
}

/// Queries segment with each generation's compact dictionary (the words the index holds)
/// instead of jieba's full one. On the relevance set that must change no result at all.
/// On runs cut from the middle of a case's text, the run's case must be found with either
/// dictionary, and nearly every run must give the same results: the compact dictionary
/// lacks only words of three or more characters that never survive segmentation as a
/// token, which can cut a fragment differently.
#[test]
fn the_compact_dictionary_gives_the_results_of_the_full_one() {
    let lib = library::load(&Origin::Dir(shipped_library())).unwrap();
    let (_dir, compact) = shipped_searcher_with(&lib);
    let mut full = Searcher::open(compact.generation.clone()).unwrap();
    full.use_segmenter(search::segmenter::full_segmenter(&lib));
    let run = |s: &Searcher, text: &str, raw: &Filters| {
        let f = s.resolve_filters(raw).unwrap();
        let r = s.search(&Request::new(text, f, 10)).unwrap();
        (
            r.total,
            r.hits
                .into_iter()
                .map(|h| (h.id, (h.score * 1000.0).round() as i64))
                .collect::<Vec<_>>(),
        )
    };
    for q in queries() {
        let raw = filters_of(&q.filters);
        assert_eq!(
            run(&compact, &q.q, &raw),
            run(&full, &q.q, &raw),
            "results differ for {:?}",
            q.q
        );
    }
    // Runs of 2-8 characters from every case's paragraphs, as in the substring test.
    let mut rng = common::Rng::new(99);
    let (mut runs, mut differ) = (0, Vec::new());
    for case in &lib.cases {
        let plain = case.plain_body();
        let lines: Vec<Vec<char>> = plain
            .lines()
            .map(|l| l.chars().collect::<Vec<char>>())
            .filter(|l| l.len() > 8)
            .collect();
        for _ in 0..10 {
            let line = &lines[rng.below(lines.len())];
            let len = 2 + rng.below(7);
            let start = rng.below(line.len() - len);
            let text: String = line[start..start + len].iter().collect();
            if text.trim().is_empty() {
                continue;
            }
            let only_this = Filters {
                ids: vec![case.id.clone()],
                ..Filters::default()
            };
            for s in [&compact, &full] {
                let found = s.search(&Request::new(text.clone(), only_this.clone(), 1));
                assert_eq!(found.unwrap().total, 1, "{text:?} misses {}", case.id);
            }
            runs += 1;
            let none = Filters::default();
            if run(&compact, &text, &none) != run(&full, &text, &none) {
                differ.push(text);
            }
        }
    }
    eprintln!(
        "compact dictionary: {} of {runs} runs differ {differ:?}",
        differ.len()
    );
    assert!(
        differ.len() * 100 <= runs,
        "{} of {runs} runs give other results: {differ:?}",
        differ.len()
    );
}
