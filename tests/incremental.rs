//! Incremental generations give what a full rebuild gives. A fixed-seed random sequence of
//! edits, additions and removals is applied to a copy of the shipped library, with an
//! incremental build after each step; the final generation is then compared with a full
//! rebuild of the same library on every query of the relevance set and a few hundred runs
//! of text cut from the cases (grep parity): same totals, same ids, same order, same scores
//! (the statistics are exact, see `search::stats`), same counts and the same compact
//! dictionary.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{Rng, Sandbox, filters_of, shipped_library};
use duibiao::library::{self, Library, LibraryError, Origin};
use duibiao::search::writer::BuildKind;
use duibiao::search::{Filters, Request, Searcher, store};
use duibiao::workspace::{Workspace, WorkspaceError};

#[derive(serde::Deserialize)]
struct Query {
    q: String,
    #[serde(default)]
    filters: BTreeMap<String, Vec<String>>,
}

fn relevance_queries() -> Vec<Query> {
    let text = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/relevance/queries.yaml"
    ))
    .unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

/// A search's total and its hits in order, with their scores.
#[derive(Debug)]
struct Answer(usize, Vec<(String, f32, bool)>);

/// Same totals, ids, order and flags; the same scores but for the last bits of a float
/// sum: the BM25 statistics are exact, but tantivy adds up the terms of an intersection in
/// the order of each segment's posting list lengths, which differ between one segment and
/// several (seen: 1 ulp on one relaxed hit).
impl PartialEq for Answer {
    fn eq(&self, other: &Answer) -> bool {
        self.0 == other.0
            && self.1.len() == other.1.len()
            && self.1.iter().zip(&other.1).all(|(a, b)| {
                a.0 == b.0 && a.2 == b.2 && (a.1 - b.1).abs() <= 1e-5 * a.1.abs().max(1.0)
            })
    }
}

fn answer(s: &Searcher, text: &str, raw: &Filters, limit: usize) -> Answer {
    let r = s.search_typed(text, raw, limit).unwrap();
    Answer(
        r.total,
        r.hits
            .into_iter()
            .map(|h| (h.id, h.score, h.partial))
            .collect(),
    )
}

fn searcher(ws: &Workspace) -> Searcher {
    Searcher::open(ws.index.current().unwrap()).unwrap()
}

/// Lines of body text from the library's cases, to splice into edits.
fn text_lines(lib: &Library) -> Vec<String> {
    lib.cases
        .iter()
        .flat_map(|c| {
            c.plain_body()
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|l| l.chars().count() > 20)
        .collect()
}

/// `text` with `extra` added as a paragraph at the end of its body.
fn with_paragraph(text: &str, extra: &str) -> String {
    format!("{}\n\n{extra}\n", text.trim_end())
}

#[test]
fn a_random_sequence_of_incremental_builds_equals_a_full_rebuild() {
    let sb = Sandbox::from(&shipped_library());
    let lib_dir = sb.lib();
    let ws = Workspace::resolve(Some(lib_dir.clone()), Some(sb.dir.path().join("inc")));
    let first = ws.build(|| {}, &|_, _| {}).unwrap();
    assert!(matches!(first.kind, BuildKind::Full { .. }));
    let shipped = library::load(&Origin::Dir(shipped_library())).unwrap();
    let lines = text_lines(&shipped);
    let mut rng = Rng::new(16);
    let mut added: Vec<String> = Vec::new();
    let mut incremental = 0;
    let mut max_segments = 0;
    for step in 0..14 {
        let names: Vec<String> = fs::read_dir(&lib_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".md"))
            .collect();
        let mut undo: Vec<(String, Option<Vec<u8>>)> = Vec::new();
        for _ in 0..1 + rng.below(3) {
            let pick = names[rng.below(names.len())].clone();
            let path = lib_dir.join(&pick);
            let Ok(before) = fs::read(&path) else {
                continue;
            };
            let line = lines[rng.below(lines.len())].clone();
            match rng.below(4) {
                // Edit: a paragraph from elsewhere appended (new words for this case).
                0 | 1 => {
                    let text = String::from_utf8(before.clone()).unwrap();
                    fs::write(&path, with_paragraph(&text, &line)).unwrap();
                    undo.push((pick, Some(before)));
                }
                // Add: a copy of a case under a new id, with a paragraph of its own.
                2 => {
                    let id = format!("extra-{step}-{}", rng.below(1000));
                    let text = String::from_utf8(before).unwrap();
                    let old_id = pick.trim_end_matches(".md");
                    let text = text.replacen(&format!("id: {old_id}"), &format!("id: {id}"), 1);
                    let name = format!("{id}.md");
                    fs::write(lib_dir.join(&name), with_paragraph(&text, &line)).unwrap();
                    undo.push((name.clone(), None));
                    added.push(name);
                }
                // Remove one (an added copy when there is one).
                _ => {
                    let victim = if !added.is_empty() && rng.below(2) == 0 {
                        added.remove(rng.below(added.len()))
                    } else {
                        pick
                    };
                    let path = lib_dir.join(&victim);
                    if let Ok(bytes) = fs::read(&path) {
                        fs::remove_file(&path).unwrap();
                        undo.push((victim, Some(bytes)));
                    }
                }
            }
        }
        match ws.build(|| {}, &|_, _| {}) {
            Ok(report) => {
                if let BuildKind::Incremental { segments, .. } = report.kind {
                    incremental += 1;
                    max_segments = max_segments.max(segments);
                } else {
                    panic!("step {step}: {}", report.kind);
                }
            }
            // A removal that left a precedent of the plan unbacked: undone.
            Err(WorkspaceError::Library(LibraryError::Invalid(_))) => {
                for (name, bytes) in undo.into_iter().rev() {
                    match bytes {
                        Some(b) => fs::write(lib_dir.join(&name), b).unwrap(),
                        None => {
                            let _ = fs::remove_file(lib_dir.join(&name));
                        }
                    }
                }
                ws.build(|| {}, &|_, _| {}).unwrap();
            }
            Err(e) => panic!("step {step}: {e}"),
        }
    }
    assert!(incremental >= 10, "{incremental} incremental builds");
    assert!(
        max_segments > 1,
        "the sequence never left more than one segment"
    );

    let full_ws = Workspace::resolve(Some(lib_dir.clone()), Some(sb.dir.path().join("full")));
    full_ws.build_full(|| {}, &|_, _| {}).unwrap();
    let (inc, full) = (searcher(&ws), searcher(&full_ws));
    assert_eq!(inc.num_cases(), full.num_cases());
    assert_eq!(inc.ids().unwrap(), full.ids().unwrap());
    let f = inc.fields();
    for field in [f.task, f.city, f.country, f.topic, f.positioning] {
        assert_eq!(inc.counts(field).unwrap(), full.counts(field).unwrap());
    }
    let words = |ws: &Workspace| fs::read(ws.index.current().unwrap().path.join(store::WORDS_FILE));
    assert!(
        words(&ws).unwrap() == words(&full_ws).unwrap(),
        "the compact dictionaries differ"
    );

    let none = Filters::default();
    let mut compared = 0;
    for q in relevance_queries() {
        let r = filters_of(&q.filters);
        assert_eq!(
            answer(&inc, &q.q, &r, 10),
            answer(&full, &q.q, &r, 10),
            "{:?}",
            q.q
        );
        compared += 1;
    }
    // Filters alone list cases in id order across segments.
    for city in ["纽约", "上海", "东京"] {
        let r = Filters {
            cities: vec![city.into()],
            ..Filters::default()
        };
        assert_eq!(
            answer(&inc, "", &r, 50),
            answer(&full, "", &r, 50),
            "{city}"
        );
    }
    // Grep parity: runs cut from the final library's cases find the same cases, ranked the
    // same, and each finds its own case.
    let final_lib = library::load(&Origin::Dir(lib_dir.clone())).unwrap();
    let mut runs = 0;
    'cases: for case in final_lib.cases.iter().cycle() {
        let lines: Vec<Vec<char>> = std::iter::once(case.title.clone())
            .chain(case.plain_body().lines().map(str::to_string))
            .map(|l| l.chars().collect::<Vec<char>>())
            .filter(|l| l.len() > 2)
            .collect();
        for _ in 0..3 {
            let line = &lines[rng.below(lines.len())];
            let len = (1 + rng.below(8)).min(line.len());
            let start = rng.below(line.len() - len + 1);
            let run: String = line[start..start + len].iter().collect();
            if run.trim().is_empty() {
                continue;
            }
            assert_eq!(
                answer(&inc, &run, &none, 10),
                answer(&full, &run, &none, 10),
                "{run:?}"
            );
            let only = Filters {
                ids: vec![case.id.clone()],
                ..Filters::default()
            };
            let found = inc.search(&Request::new(run.clone(), only, 1)).unwrap();
            assert_eq!(found.total, 1, "{run:?} misses {}", case.id);
            runs += 1;
            if runs >= 300 {
                break 'cases;
            }
        }
    }
    for id in ["amsterdam-circular-economy", &final_lib.cases[0].id] {
        if final_lib.case(id).is_some() {
            let a = inc.similar(id, 10).unwrap();
            let b = full.similar(id, 10).unwrap();
            // Equal scores come in index order here (no id order, unlike search): compare
            // them as sets.
            let ids = |r: &duibiao::search::Results| {
                let mut v: Vec<(std::cmp::Reverse<u32>, String)> = r
                    .hits
                    .iter()
                    .map(|h| (std::cmp::Reverse(h.score.to_bits()), h.id.clone()))
                    .collect();
                v.sort();
                v
            };
            assert_eq!(ids(&a), ids(&b), "similar to {id}");
        }
    }
    eprintln!(
        "{incremental} incremental builds, up to {max_segments} segments; {compared} relevance queries and {runs} runs compared"
    );
}

/// A word the library did not hold, added by an edit, is segmented as the full dictionary
/// segments it: the incremental generation's compact dictionary is byte for byte the one a
/// full rebuild writes.
#[test]
fn a_new_word_in_an_edited_case_is_segmented_as_a_full_build_would() {
    let sb = Sandbox::new();
    let ws = Workspace::resolve(Some(sb.lib()), Some(sb.index()));
    ws.build(|| {}, &|_, _| {}).unwrap();
    // Dictionary words absent from the fixture library.
    let word = "蝴蝶效应";
    let jieba = jieba_rs::Jieba::new();
    assert!(jieba.has_word(word));
    let words_of = |dir: &Path| fs::read_to_string(dir.join(store::WORDS_FILE)).unwrap();
    let before = words_of(&ws.index.current().unwrap().path);
    assert!(!before.lines().any(|l| l.starts_with(&format!("{word} "))));
    let path = sb.lib().join("japan-smart-farming.md");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        with_paragraph(&text, "小农户的数据共享产生了蝴蝶效应，带动整个产区升级。"),
    )
    .unwrap();
    let report = ws.build(|| {}, &|_, _| {}).unwrap();
    assert!(matches!(
        report.kind,
        BuildKind::Incremental { edited: 1, .. }
    ));
    let inc = words_of(&report.generation);
    assert!(inc.lines().any(|l| l.starts_with(&format!("{word} "))));

    let full_ws = Workspace::resolve(Some(sb.lib()), Some(sb.dir.path().join("full")));
    let full = full_ws.build_full(|| {}, &|_, _| {}).unwrap();
    assert_eq!(inc, words_of(&full.generation));
    let s = Searcher::open(ws.index.current().unwrap()).unwrap();
    let hits = s.search_typed(word, &Filters::default(), 10).unwrap().hits;
    assert_eq!(hits[0].id, "japan-smart-farming");
    assert_eq!(
        answer(&s, word, &Filters::default(), 10),
        answer(
            &Searcher::open(full_ws.index.current().unwrap()).unwrap(),
            word,
            &Filters::default(),
            10
        )
    );

    // Removing the edit takes the word out again, as a full rebuild would.
    fs::write(&path, text).unwrap();
    let report = ws.build(|| {}, &|_, _| {}).unwrap();
    assert_eq!(words_of(&report.generation), before);
}

/// Changed case by case, the index keeps a bounded number of segments: the merge policy
/// merges a level of eight, within the build, before the generation goes live. (Editing
/// one case over and over leaves two: a segment whose every case was replaced is dropped
/// at the commit.)
#[test]
fn segments_stay_bounded_as_cases_are_added_one_by_one() {
    let sb = Sandbox::new();
    let ws = Workspace::resolve(Some(sb.lib()), Some(sb.index()));
    ws.build(|| {}, &|_, _| {}).unwrap();
    let text = fs::read_to_string(sb.lib().join("boston-emerald-necklace.md")).unwrap();
    let trees = [
        "松柏", "梧桐", "银杏", "香樟", "水杉", "白桦", "红枫", "垂柳", "紫薇", "海棠", "丁香",
        "玉兰",
    ];
    let (mut most, mut merged_once) = (0, false);
    for (i, tree) in trees.iter().enumerate() {
        let id = format!("boston-copy-{i:02}");
        let copy = text.replacen("id: boston-emerald-necklace", &format!("id: {id}"), 1);
        fs::write(
            sb.lib().join(format!("{id}.md")),
            with_paragraph(&copy, &format!("沿线补种{tree}林带。")),
        )
        .unwrap();
        let report = ws.build(|| {}, &|_, _| {}).unwrap();
        let BuildKind::Incremental {
            segments, merged, ..
        } = report.kind
        else {
            panic!("{}", report.kind);
        };
        most = most.max(segments);
        merged_once |= merged > 0;
        // Every stamp, the ones carried over from the linked generation included, is the
        // hash of the file as it is.
        let live = ws.index.current().unwrap();
        live.verify(true).unwrap();
        let s = Searcher::open(live).unwrap();
        // Strict matches only (a search would add cases holding most of the words).
        let (total, ids) = s
            .ranked_ids(&Request::new(format!("{tree}林带"), Filters::default(), 10))
            .unwrap();
        assert_eq!((total, ids[0].1.as_str()), (1, id.as_str()));
        assert_eq!(s.num_cases() as usize, 6 + i);
    }
    assert!(merged_once, "no merge in {} builds", trees.len());
    assert!(most <= 8, "{most} segments");
}
