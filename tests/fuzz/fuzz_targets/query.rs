//! A query as a user types it, with a filter value, searched on the fixture library's
//! index (built once, in a temporary folder): parsing, segmenting, the gate, ranking,
//! snippets. Never a panic, never an index failure.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use duibiao::library::{self, Origin};
use duibiao::search::{self, IndexDir, Filters, Searcher, plan};
use libfuzzer_sys::fuzz_target;

fn searcher() -> &'static Searcher {
    static S: OnceLock<(std::path::PathBuf, Searcher)> = OnceLock::new();
    &S.get_or_init(|| {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/valid");
        let lib = library::load(&Origin::Dir(fixtures)).expect("fixture library");
        let dir = std::env::temp_dir().join(format!("duibiao-fuzz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let idx = IndexDir::new(&dir);
        search::build(&idx, &lib, || {}, &|_, _| {}).expect("fixture index");
        let s = Searcher::open(idx.current().expect("built")).expect("open");
        (dir, s)
    })
    .1
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // After a tab: a city filter value, and a page size.
    let mut fields = text.splitn(3, '\t');
    let q = fields.next().unwrap_or_default();
    let city = fields.next();
    let limit = fields.next().map_or(10, |l| l.len() % 40);
    let _ = plan::parse(q);
    let raw = Filters {
        cities: city.map(str::to_string).into_iter().collect(),
        ..Filters::default()
    };
    match searcher().search_typed(q, &raw, limit) {
        Ok(r) => assert!(r.hits.len() <= limit && r.hits.len() <= r.total),
        Err(e) => assert!(!e.is_index_failure(), "{e}"),
    }
});
