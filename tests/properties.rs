//! Property tests (proptest), bounded to seconds: whatever a library file or a query holds,
//! reading and searching never panic, and every library problem is pinned to
//! `path:line:col`; whatever single byte of an index file is damaged, the binary never
//! panics and ends in a rebuild (or exit 3 under `--no-rebuild`).
//!
//! The coverage-guided fuzz targets in `tests/fuzz/` search the same inputs for longer.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{Sandbox, fixtures};
use duibiao::library::diag::shown;
use duibiao::library::{self, LibraryError, Origin};
use duibiao::search::{self, Filters, IndexDir, Searcher};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Characters that matter to YAML, Markdown and the query syntax, plus some that no parser
/// expects (NUL, a BOM, a lone carriage return, wide and combining characters).
const ALPHABET: &[char] = &[
    ':', '-', '[', ']', '{', '}', '#', '\'', '"', '\n', '\n', ' ', ' ', '\t', '|', '>', '&', '*',
    '!', '%', '@', '`', '?', ',', '.', '\\', '/', '~', '+', '=', '(', ')', 'a', 'Z', '0', '9', 'e',
    'x', '口', '袋', '公', '园', '城', '市', '\u{0}', '\r', '\u{feff}', '\u{301}', '\u{1b}', '😀',
];

fn text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(prop::sample::select(ALPHABET), 0..max)
            .prop_map(|v| v.into_iter().collect::<String>()),
        any::<String>(),
    ]
}

/// One way of damaging a valid file's text: insert text at a position, replace a line, or
/// replace the whole file.
#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, String),
    ReplaceLine(usize, String),
    Whole(String),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<usize>(), text(40)).prop_map(|(at, s)| Edit::Insert(at, s)),
        4 => (any::<usize>(), text(40)).prop_map(|(at, s)| Edit::ReplaceLine(at, s)),
        1 => text(400).prop_map(Edit::Whole),
    ]
}

fn apply(original: &str, edits: &[Edit]) -> String {
    let mut s = original.to_string();
    for e in edits {
        match e {
            Edit::Insert(at, t) => {
                let mut i = at % (s.len() + 1);
                while !s.is_char_boundary(i) {
                    i -= 1;
                }
                s.insert_str(i, t);
            }
            Edit::ReplaceLine(at, t) => {
                let mut lines: Vec<&str> = s.split('\n').collect();
                let i = at % lines.len();
                lines[i] = t;
                s = lines.join("\n");
            }
            Edit::Whole(t) => s = t.clone(),
        }
    }
    s
}

/// Loads a copy of the valid fixture library with `file` replaced by `bytes`, and checks
/// every problem it reports: a file of the library, a line within it, a column, and the
/// `path:line:col: ` the user reads.
fn check_library_with(file: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let sb = Sandbox::new();
    fs::write(sb.lib().join(file), bytes).unwrap();
    match library::load(&Origin::Dir(sb.lib())) {
        Ok(_) => Ok(()),
        Err(LibraryError::Invalid(problems)) => {
            prop_assert!(!problems.is_empty());
            for p in &problems {
                prop_assert!(p.path.starts_with(sb.lib()), "{p}");
                let lines = fs::read(&p.path)
                    .map(|b| String::from_utf8_lossy(&b).split('\n').count())
                    .unwrap_or(1);
                prop_assert!(p.line >= 1 && p.line <= lines.max(1), "{p} ({lines} lines)");
                prop_assert!(p.col >= 1, "{p}");
                let head = format!("{}:{}:{}: ", shown(&p.path), p.line, p.col);
                prop_assert!(p.to_string().starts_with(&head), "{p}");
                prop_assert!(!p.message.is_empty(), "{p}");
            }
            Ok(())
        }
        Err(e) => Err(TestCaseError::fail(format!("not a library problem: {e}"))),
    }
}

fn fixture_text(name: &str) -> String {
    fs::read_to_string(fixtures().join("valid").join(name)).unwrap()
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn any_case_file_gives_a_library_or_pinned_problems(
        edits in prop::collection::vec(edit(), 1..4)
    ) {
        let text = apply(&fixture_text("new-york-pocket-parks.md"), &edits);
        check_library_with("new-york-pocket-parks.md", text.as_bytes())?;
    }

    #[test]
    fn any_places_file_gives_a_library_or_pinned_problems(
        edits in prop::collection::vec(edit(), 1..4)
    ) {
        let text = apply(&fixture_text("places.yaml"), &edits);
        check_library_with("places.yaml", text.as_bytes())?;
    }

    #[test]
    fn any_plan_file_gives_a_library_or_pinned_problems(
        edits in prop::collection::vec(edit(), 1..4)
    ) {
        let text = apply(&fixture_text("plan.yaml"), &edits);
        check_library_with("plan.yaml", text.as_bytes())?;
    }

    #[test]
    fn any_bytes_as_a_case_file_give_pinned_problems(
        bytes in prop::collection::vec(any::<u8>(), 0..300)
    ) {
        check_library_with("new-york-pocket-parks.md", &bytes)?;
    }
}

/// The fixture library's index, built once for the query properties.
fn fixture_searcher() -> &'static (tempfile::TempDir, Searcher) {
    static S: OnceLock<(tempfile::TempDir, Searcher)> = OnceLock::new();
    S.get_or_init(|| {
        let lib = library::load(&Origin::Dir(fixtures().join("valid"))).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let idx = IndexDir::new(dir.path());
        search::build(&idx, &lib, || {}, &|_, _| {}).unwrap();
        let s = Searcher::open(idx.current().unwrap()).unwrap();
        (dir, s)
    })
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_query_is_answered_without_a_panic(
        q in text(30),
        city in prop::option::of(text(8)),
        limit in 0usize..30,
    ) {
        let (_, s) = fixture_searcher();
        let raw = Filters {
            cities: city.into_iter().collect(),
            ..Filters::default()
        };
        match s.search_typed(&q, &raw, limit) {
            Ok(r) => {
                prop_assert!(r.hits.len() <= limit);
                prop_assert!(r.hits.len() <= r.total);
            }
            // An unknown city is the user's to fix; the index never fails on a query.
            Err(e) => prop_assert!(!e.is_index_failure(), "{e}"),
        }
    }
}

/// A built fixture index to copy for each damage case, and its answer to the probe search.
fn built_template() -> &'static (Sandbox, String) {
    static T: OnceLock<(Sandbox, String)> = OnceLock::new();
    T.get_or_init(|| {
        let sb = Sandbox::new();
        let (code, _, err) = sb.run_text(&["index"]);
        assert_eq!(code, 0, "{err}");
        let (code, out, err) = sb.run_text(&PROBE);
        assert_eq!(code, 0, "{err}");
        (sb, out)
    })
}

const PROBE: [&str; 5] = ["search", "公园", "--limit", "100", "--json"];

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            fs::copy(e.path(), &target).unwrap();
            common::set_mtime(&target, e.metadata().unwrap().modified().unwrap());
        }
    }
}

/// Every file of a generation, sorted: the targets of damage. `settled` is left out: a
/// search may write it after the build (it only spares later checks some reading, and a
/// damaged one only means they read again).
fn index_files(gen_dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(gen_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("settled")
        })
        .collect();
    v.sort();
    v
}

proptest! {
    #![proptest_config(config(24))]

    #[test]
    fn any_single_byte_of_damage_ends_in_a_rebuild_or_exit_3(
        file in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        keep_time in any::<bool>(),
    ) {
        let (template, want) = built_template();
        let sb = Sandbox::new();
        copy_tree(&template.index(), &sb.index());
        let current = fs::read_to_string(sb.index().join("CURRENT")).unwrap();
        let gen_dir = sb.index().join(current.trim());
        let files = index_files(&gen_dir);
        let path = file.get(&files).clone();
        let mut bytes = fs::read(&path).unwrap();
        prop_assume!(!bytes.is_empty());
        let i = at.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        let mtime = fs::metadata(&path).unwrap().modified().unwrap();
        bytes[i] = byte;
        fs::write(&path, &bytes).unwrap();
        if keep_time {
            common::set_mtime(&path, mtime);
        }
        let what = format!("{} byte {i} = {byte:#04x}, time kept: {keep_time}", path.display());

        let mut no_rebuild = vec!["--no-rebuild"];
        no_rebuild.extend(PROBE);
        let (code, out, err) = sb.run_text(&no_rebuild);
        prop_assert!(!err.contains("panicked"), "{what}: {err}");
        if keep_time {
            // No stamp can show it: whatever the read finds, it is not a panic.
            prop_assert!(code == 0 || code == 3, "{what}: exit {code}: {err}");
        } else {
            prop_assert_eq!(code, 3, "{}: {} {}", what, out, err);
        }

        let (code, out, err) = sb.run_text(&PROBE);
        prop_assert!(!err.contains("panicked"), "{what}: {err}");
        prop_assert_eq!(code, 0, "{}: {}", what, err);
        if !keep_time {
            prop_assert!(err.contains("rebuilt"), "{what}: {err}");
            prop_assert_eq!(&out, want, "{}", what);
        }
    }
}
