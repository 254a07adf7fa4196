//! The JSON contract, machine-checked: every `--json` shape (and `check --format json`)
//! has a JSON Schema in `tests/schemas/`, and the binary's real output on the shipped
//! library must validate against it. The schemas allow unknown properties, since the
//! contract lets shapes grow new fields; a test shows they still reject what breaks it.

mod common;

use std::fs;
use std::path::Path;

use common::Sandbox;
use serde_json::{Value, json};

const BASE: &str = "file:///duibiao/schemas/";

/// Every schema file, loaded into one registry so they can refer to each other by name.
struct Schemas {
    registry: jsonschema::Registry<'static>,
}

impl Schemas {
    fn load() -> Schemas {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas");
        let mut registry = jsonschema::Registry::new();
        let mut names = Vec::new();
        for e in fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".schema.json") {
                continue;
            }
            let schema: Value = serde_json::from_str(&fs::read_to_string(&p).unwrap())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            // Each schema is itself valid draft 2020-12.
            jsonschema::meta::validate(&schema).unwrap_or_else(|e| panic!("{name}: {e}"));
            registry = registry
                .add(format!("{BASE}{name}"), schema)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            names.push(name);
        }
        for wanted in ["hit", "search", "show", "stats", "tasks", "task", "check"] {
            assert!(
                names.contains(&format!("{wanted}.schema.json")),
                "no schema for {wanted}"
            );
        }
        Schemas {
            registry: registry.prepare().expect("schemas refer to each other"),
        }
    }

    fn validator(&self, name: &str) -> jsonschema::Validator {
        jsonschema::options()
            .offline()
            .with_registry(&self.registry)
            .with_base_uri(BASE)
            .build(&json!({"$ref": format!("{name}.schema.json")}))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// Panics with every error when `value` does not match schema `name`.
    fn check(&self, name: &str, value: &Value, what: &str) {
        let v = self.validator(name);
        let errors: Vec<String> = v
            .iter_errors(value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what} does not match {name}.schema.json:\n{}",
            errors.join("\n")
        );
    }

    fn accepts(&self, name: &str, value: &Value) -> bool {
        self.validator(name).is_valid(value)
    }
}

fn shipped() -> Sandbox {
    let sb = Sandbox::from(&common::shipped_library());
    let (code, _, err) = sb.run_text(&["index"]);
    assert_eq!(code, 0, "{err}");
    sb
}

fn ids(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn search_and_similar_match_their_schema() {
    let schemas = Schemas::load();
    let sb = shipped();
    let all = sb.json(&["search", "--limit", "100000"]);
    schemas.check("search", &all, "search (no query)");
    let every = ids(&all);
    assert!(every.len() >= 50, "{every:?}");
    for args in [
        vec!["search", "口袋公园"],
        vec!["search", "会展", "--country", "德国"],
        vec!["search", "\"城市更新\"", "--limit", "3"],
        vec!["search", "--task", "BAY-03"],
        vec!["search", "no-such-word-anywhere"],
        // A long query of a task's wording: partial matches, relaxed results.
        vec![
            "search",
            "建设国际高端会展平台打造东北亚国际会展名城以及世界一流海洋港口",
        ],
    ] {
        schemas.check("search", &sb.json(&args), &format!("{args:?}"));
    }
    for id in every.iter().step_by(7) {
        let v = sb.json(&["similar", id]);
        schemas.check("search", &v, &format!("similar {id}"));
    }
}

#[test]
fn show_matches_its_schema_for_every_shipped_case() {
    let schemas = Schemas::load();
    let sb = shipped();
    let all = ids(&sb.json(&["search", "--limit", "100000"]));
    for id in &all {
        let v = sb.json(&["show", id]);
        schemas.check("show", &v, &format!("show {id}"));
    }
    // The optional `checked` is exercised whether or not the shipped cases have it yet:
    // a fixture case carries it.
    let v = Sandbox::new().json(&["show", "boston-emerald-necklace"]);
    assert_eq!(v["checked"], "2025-06");
    schemas.check("show", &v, "show boston-emerald-necklace (fixture)");
}

#[test]
fn stats_tasks_and_task_match_their_schemas() {
    let schemas = Schemas::load();
    let sb = shipped();
    schemas.check("stats", &sb.json(&["stats"]), "stats");
    let tasks = sb.json(&["tasks"]);
    schemas.check("tasks", &tasks, "tasks");
    schemas.check(
        "tasks",
        &sb.json(&["tasks", "--positioning", "BAY"]),
        "tasks --positioning BAY",
    );
    let task_ids: Vec<&str> = tasks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(task_ids.len() >= 10, "{task_ids:?}");
    for id in &task_ids {
        schemas.check("task", &sb.json(&["task", id]), &format!("task {id}"));
    }
}

#[test]
fn check_json_lines_match_their_schema() {
    let schemas = Schemas::load();
    let sb = Sandbox::new();
    let broken = common::fixtures().join("broken");
    for e in fs::read_dir(&broken).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            fs::copy(&p, sb.lib().join(p.file_name().unwrap())).unwrap();
        }
    }
    let (code, out, err) = sb.run_text(&["check", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.len() >= 15, "{out}");
    let mut hints = 0;
    for l in lines {
        let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        schemas.check("check", &v, l);
        hints += usize::from(v["hint"].is_string());
    }
    assert!(
        hints > 0 && hints < out.lines().count(),
        "both hint forms occur"
    );
}

#[test]
fn the_schemas_reject_what_breaks_the_contract() {
    let schemas = Schemas::load();
    let sb = Sandbox::new();
    let search = sb.json(&["search", "口袋公园"]);
    assert!(schemas.accepts("search", &search));
    let mut grown = search.clone();
    grown["hits"][0]["why"] = json!(["a new field"]);
    grown["took_ms"] = json!(3);
    assert!(schemas.accepts("search", &grown), "new fields are allowed");

    let broken = |f: &dyn Fn(&mut Value)| {
        let mut v = search.clone();
        f(&mut v);
        v
    };
    for (what, v) in [
        (
            "no total",
            broken(&|v| drop(v.as_object_mut().unwrap().remove("total"))),
        ),
        (
            "score as text",
            broken(&|v| v["hits"][0]["score"] = json!("12")),
        ),
        (
            "no snippet",
            broken(&|v| drop(v["hits"][0].as_object_mut().unwrap().remove("snippet"))),
        ),
        (
            "partial false",
            broken(&|v| v["hits"][0]["partial"] = json!(false)),
        ),
        (
            "bad task id",
            broken(&|v| v["hits"][0]["tasks"] = json!(["bay 3"])),
        ),
    ] {
        assert!(!schemas.accepts("search", &v), "{what} was accepted");
    }

    let show = sb.json(&["show", "boston-emerald-necklace"]);
    assert!(schemas.accepts("show", &show));
    let mut v = show.clone();
    v["checked"] = json!("2026-13");
    assert!(!schemas.accepts("show", &v));
    let mut v = show.clone();
    v.as_object_mut().unwrap().remove("body");
    assert!(!schemas.accepts("show", &v));

    let stats = sb.json(&["stats"]);
    assert!(schemas.accepts("stats", &stats));
    let mut v = stats.clone();
    v["by_checked_year"]["recently"] = json!(1);
    assert!(!schemas.accepts("stats", &v));

    let task = sb.json(&["task", "BAY-03"]);
    assert!(schemas.accepts("task", &task));
    let mut v = task.clone();
    v["task"]
        .as_object_mut()
        .unwrap()
        .remove("positioning_code");
    assert!(!schemas.accepts("task", &v));

    let problem = json!({"path": "x.md", "line": 0, "column": 1, "message": "m", "hint": null});
    assert!(!schemas.accepts("check", &problem), "line 0");
}
