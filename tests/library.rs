//! The library reader on fixture libraries: a valid one loads; each broken file is
//! reported with its own file, line, column and message, and nothing else is.

mod common;

use std::fs;

use common::{Sandbox, fixtures};
use duibiao::library::{self, Diagnostic, LibraryError, Origin};

fn problems(sb: &Sandbox) -> Vec<Diagnostic> {
    match library::load(&Origin::Dir(sb.lib())) {
        Ok(_) => Vec::new(),
        Err(LibraryError::Invalid(p)) => p,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

/// Adds the broken fixture `name` to a copy of the valid library (as `as_name`) and returns
/// the problems reported, rendered without the temporary folder.
fn broken(name: &str, as_name: &str) -> Vec<String> {
    let sb = Sandbox::new();
    fs::copy(fixtures().join("broken").join(name), sb.lib().join(as_name)).unwrap();
    let prefix = format!("{}/", sb.lib().display());
    problems(&sb)
        .iter()
        .map(|d| d.to_string().replace(&prefix, ""))
        .collect()
}

fn one(name: &str) -> String {
    let p = broken(name, name);
    assert_eq!(p.len(), 1, "{name}: expected one problem, got {p:#?}");
    p[0].clone()
}

#[test]
fn the_valid_fixture_loads_whole() {
    let lib = library::load(&Origin::Dir(fixtures().join("valid"))).unwrap();
    assert_eq!(lib.cases.len(), 5);
    assert_eq!(lib.plan.tasks.len(), 5);
    assert_eq!(lib.places.cities.len(), 4);
    let ids: Vec<&str> = lib.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "boston-emerald-necklace",
            "hong-kong-airport-city",
            "japan-smart-farming",
            "new-york-pocket-parks",
            "shanghai-pocket-parks"
        ]
    );
    let boston = lib.case("boston-emerald-necklace").unwrap();
    assert_eq!(boston.cities, ["波士顿"]);
    assert_eq!(boston.tasks, ["BAY-01"]);
    assert!(boston.body.trim_start().starts_with("## 案例概述"));
    assert!(!boston.plain_body().contains("**"));
}

#[test]
fn each_mistake_is_pinned_to_its_place() {
    let cases = [
        (
            "no-front-matter.md",
            "no-front-matter.md:1:1: no front matter",
        ),
        (
            "unclosed-front-matter.md",
            "unclosed-front-matter.md:1:1: front matter is never closed",
        ),
        ("malformed-yaml.md", "malformed-yaml.md:8:6: malformed YAML"),
        (
            "unknown-key.md",
            "unknown-key.md:4:1: unknown key `citys`; did you mean `cities`?",
        ),
        (
            "missing-field.md",
            "missing-field.md:9:1: missing required key `title`",
        ),
        (
            "wrong-type.md",
            "wrong-type.md:7:9: wrong type: expected a list",
        ),
        (
            "id-mismatch.md",
            "id-mismatch.md:2:5: id \"new-york-parks\" does not match the file name \"id-mismatch.md\"",
        ),
        (
            "unknown-city.md",
            "unknown-city.md:4:10: unknown city \"Bostn\"; did you mean \"波士顿\" (Boston)?",
        ),
        (
            "unknown-country.md",
            "unknown-country.md:5:19: unknown country or region \"美過\"; did you mean \"美国\" (United States)?",
        ),
        (
            "unknown-positioning.md",
            "unknown-positioning.md:6:15: unknown positioning \"湾区\"; write the full name \"宜居宜业宜游高品质湾区城市\"",
        ),
        (
            "unknown-task.md",
            "unknown-task.md:8:9: unknown task \"BAY-3\"; did you mean BAY-03",
        ),
        (
            "city-country-missing.md",
            "city-country-missing.md:4:16: city \"上海\" is in 中国, which is missing from `countries`",
        ),
        ("empty-title.md", "empty-title.md:3:8: title is empty"),
        (
            "section-missing.md",
            "section-missing.md:26:1: required section `## 成效` is missing",
        ),
        (
            "section-order.md",
            "section-order.md:23:1: section `## 主要做法` is out of order",
        ),
        ("empty.md", "empty.md:1:1: file is empty"),
        // The bad bytes follow "title: 标" on line 3: column 10 in display width.
        ("not-utf8.md", "not-utf8.md:3:10: file is not valid UTF-8"),
    ];
    for (file, expected) in cases {
        let got = one(file);
        assert!(
            got.starts_with(expected),
            "{file}:\n  got      {got}\n  expected {expected}…"
        );
    }
}

#[test]
fn a_duplicate_id_is_blamed_on_the_file_whose_name_differs() {
    let p = broken("duplicate-id.md", "duplicate-id.md");
    assert_eq!(p.len(), 2, "{p:#?}");
    assert!(
        p.iter().all(|d| d.starts_with("duplicate-id.md:2:5: ")),
        "{p:#?}"
    );
    assert!(
        p.iter()
            .any(|d| d.contains("duplicate id \"new-york-pocket-parks\"")),
        "{p:#?}"
    );
}

#[test]
fn errors_in_places_and_plan_have_their_own_lines() {
    let p = broken("places-unknown-country.yaml", "places.yaml");
    assert_eq!(
        p,
        [
            "places.yaml:19:29: city \"波士顿\" names unknown country \"美過\"; did you mean \"美国\" (United States)?"
        ]
    );
    let p = broken("plan-unknown-precedent.yaml", "plan.yaml");
    assert_eq!(
        p,
        [
            "plan.yaml:12:18: task IND-10 names unknown precedent place \"日夲\"; did you mean \"日本\" (Japan)?"
        ]
    );
    let p = broken("plan-malformed.yaml", "plan.yaml");
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(
        p[0].starts_with("plan.yaml:16:18: malformed YAML"),
        "{p:#?}"
    );
}

#[test]
fn a_file_over_one_mebibyte_is_refused_without_being_read() {
    let sb = Sandbox::new();
    let big = format!("---\nid: big\n---\n{}", "字".repeat(400_000));
    fs::write(sb.lib().join("big.md"), big).unwrap();
    let p = problems(&sb);
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].message.contains("over the limit of 1 MiB"), "{}", p[0]);
}

#[test]
fn every_problem_is_collected_before_deciding() {
    let sb = Sandbox::new();
    for f in ["unknown-city.md", "empty-title.md", "section-order.md"] {
        fs::copy(fixtures().join("broken").join(f), sb.lib().join(f)).unwrap();
    }
    let p = problems(&sb);
    assert_eq!(p.len(), 3, "{p:#?}");
    let mut sorted = p.clone();
    sorted.sort();
    assert_eq!(p, sorted, "problems come sorted by file, line and column");
}

#[test]
fn a_task_whose_named_precedent_has_no_linked_case_is_reported() {
    let sb = Sandbox::new();
    let path = sb.lib().join("boston-emerald-necklace.md");
    let text = fs::read_to_string(&path)
        .unwrap()
        .replace("tasks: [BAY-01]", "tasks: []");
    fs::write(&path, text).unwrap();
    let p = problems(&sb);
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].to_string().contains("plan.yaml:22:18: task BAY-01 names precedent \"波士顿\", but no case from 波士顿 is linked to it"), "{}", p[0]);
}

#[test]
fn no_input_panics_the_reader() {
    // Every prefix of every fixture (cut at character boundaries) is read without a panic.
    let sb = Sandbox::new();
    let mut files: Vec<_> = fs::read_dir(fixtures().join("broken"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.push(fixtures().join("valid/boston-emerald-necklace.md"));
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "md"))
    {
        let bytes = fs::read(f).unwrap();
        for cut in (0..bytes.len()).step_by(7) {
            fs::write(sb.lib().join("probe.md"), &bytes[..cut]).unwrap();
            let _ = library::load(&Origin::Dir(sb.lib()));
        }
    }
}

#[test]
fn an_unreadable_folder_is_an_error_not_a_panic() {
    let err = library::load(&Origin::Dir(fixtures().join("no-such-folder"))).unwrap_err();
    assert!(matches!(err, LibraryError::ReadDir { .. }), "{err}");
}
