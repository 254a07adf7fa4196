//! Search quality on real libraries, in process: grep parity (any run of characters from a
//! case finds it) on the fixture library and on the whole shipped library.

mod common;

use common::{Rng, fixtures, shipped_library};
use duibiao::library::{self, Library, Origin};
use duibiao::search::{self, Filters, IndexDir, Request, Searcher};

fn index(lib: &Library) -> (tempfile::TempDir, Searcher) {
    let dir = tempfile::tempdir().unwrap();
    let idx = IndexDir::new(dir.path());
    search::build(&idx, lib, || {}, &|_, _| {}).unwrap();
    let searcher = Searcher::open(idx.current().unwrap()).unwrap();
    (dir, searcher)
}

/// Runs of 1–8 characters from each case's title and body (never across a line break, as
/// grep would not), `per_case` of them, each searched for; returns the runs that did not
/// find their case.
fn substring_misses(
    lib: &Library,
    searcher: &Searcher,
    per_case: usize,
    seed: u64,
) -> Vec<(String, String)> {
    let mut rng = Rng::new(seed);
    let mut misses = Vec::new();
    for case in &lib.cases {
        let lines: Vec<Vec<char>> = std::iter::once(case.title.clone())
            .chain(case.plain_body().lines().map(str::to_string))
            .map(|l| l.chars().collect::<Vec<char>>())
            .filter(|l| !l.is_empty())
            .collect();
        for _ in 0..per_case {
            let line = &lines[rng.below(lines.len())];
            let len = (1 + rng.below(8)).min(line.len());
            let start = rng.below(line.len() - len + 1);
            let mut run: String = line[start..start + len].iter().collect();
            if run.trim().is_empty() {
                continue;
            }
            // Every other run is quoted, so phrases (white space inside, one character
            // at either end) are held to the same promise.
            let quotes = ['"', '“', '”', '「', '」', '『', '』'];
            if rng.below(2) == 0 && !run.contains(quotes) {
                run = format!("\"{run}\"");
            }
            let only_this = Filters {
                ids: vec![case.id.clone()],
                ..Filters::default()
            };
            let r = searcher
                .search(&Request::new(run.clone(), only_this, 1))
                .unwrap();
            if r.total != 1 {
                misses.push((case.id.clone(), run));
            }
        }
    }
    misses
}

#[test]
fn any_run_of_a_fixture_case_finds_it() {
    let lib = library::load(&Origin::Dir(fixtures().join("valid"))).unwrap();
    let (_dir, searcher) = index(&lib);
    let misses = substring_misses(&lib, &searcher, 50, 7);
    assert!(misses.is_empty(), "{misses:?}");
}

#[test]
fn any_run_of_a_shipped_case_finds_it() {
    let lib = library::load(&Origin::Dir(shipped_library())).unwrap();
    let (_dir, searcher) = index(&lib);
    let misses = substring_misses(&lib, &searcher, 40, 2026);
    assert!(
        misses.is_empty(),
        "{} misses, e.g. {:?}",
        misses.len(),
        &misses[..misses.len().min(10)]
    );
}
