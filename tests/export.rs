//! `duibiao export` on the real binary: documents for other engines, their framing, the
//! mappings that must describe them, atomic writes and a broken library.

mod common;

use std::collections::BTreeSet;
use std::fs;

use common::{Sandbox, fixtures, shipped_library};
use duibiao::search::analysis::normalize;
use serde_json::Value;

/// Every line of `text` as JSON; panics naming the line that is not.
fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("line {}: {e}: {l}", i + 1))
        })
        .collect()
}

fn export(sb: &Sandbox, args: &[&str]) -> String {
    let mut a = vec!["export"];
    a.extend_from_slice(args);
    let (code, out, err) = sb.run_text(&a);
    assert_eq!(code, 0, "duibiao {a:?} failed: {err}");
    out
}

/// The ids of the library, as `search` with no query lists them (in id order).
fn library_ids(sb: &Sandbox) -> Vec<String> {
    common::hit_ids(&sb.json(&["search", "--limit", "100000"]))
}

fn keys(doc: &Value) -> BTreeSet<String> {
    doc.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn ndjson_has_one_document_per_case_in_id_order() {
    let sb = Sandbox::from(&shipped_library());
    let docs = lines(&export(&sb, &["--format", "ndjson"]));
    let ids: Vec<String> = docs
        .iter()
        .map(|d| d["id"].as_str().unwrap().into())
        .collect();
    assert_eq!(ids, library_ids(&sb));
    assert!(docs.len() > 50);
    for d in &docs {
        let id = d["id"].as_str().unwrap();
        let show = sb.json(&["show", id]);
        for field in [
            "title",
            "title_en",
            "cities",
            "countries",
            "positioning",
            "topics",
            "tasks",
            "checked",
            "sources",
            "body",
        ] {
            assert_eq!(d.get(field), show.get(field), "{id}: {field}");
        }
        let codes = d["positioning_codes"].as_array().unwrap();
        assert_eq!(codes.len(), d["positioning"].as_array().unwrap().len());
        assert!(codes.iter().all(|c| c.as_str().unwrap().len() == 3), "{id}");
        let text = d["body_text"].as_str().unwrap();
        assert!(!text.contains("## "), "{id}: body_text keeps Markdown");
        // The plain body is there as Markdown's text, and body_seg holds its words.
        let seg = d["body_seg"].as_str().unwrap();
        assert!(seg.split(' ').all(|w| !w.is_empty()), "{id}: empty word");
        assert!(seg.split(' ').count() > 100, "{id}: too few words");
        let folded: String = normalize(text)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        for w in seg
            .split(' ')
            .filter(|w| w.chars().all(|c| c > '\u{3400}'))
            .take(50)
        {
            assert!(folded.contains(w), "{id}: word {w} is not in the body");
        }
    }
}

#[test]
fn body_seg_uses_the_library_dictionary() {
    // The shipped dictionary makes 口袋公园 one word; jieba alone cuts it in two.
    let sb = Sandbox::from(&shipped_library());
    let dict = fs::read_to_string(sb.lib().join("dict.txt")).unwrap();
    assert!(
        dict.lines()
            .any(|l| l.split_whitespace().next() == Some("口袋公园"))
    );
    let docs = lines(&export(&sb, &["--format", "ndjson"]));
    let d = docs
        .iter()
        .find(|d| d["id"] == "shanghai-pocket-parks")
        .unwrap();
    let words: Vec<&str> = d["body_seg"].as_str().unwrap().split(' ').collect();
    assert!(words.contains(&"口袋公园"), "{words:?}");
}

#[test]
fn output_writes_the_same_bytes_as_stdout() {
    let sb = Sandbox::new();
    for format in ["ndjson", "es-bulk", "typesense"] {
        let stdout = sb.run(&["export", "--format", format]);
        assert!(stdout.status.success());
        let file = sb.dir.path().join(format!("out.{format}"));
        let (code, out, err) = sb.run_text(&[
            "export",
            "--format",
            format,
            "--output",
            file.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("exported 5 cases"), "{out}");
        assert_eq!(fs::read(&file).unwrap(), stdout.stdout, "{format}");
    }
    // Two runs give the same bytes: the order does not depend on threads.
    let a = sb.run(&["export", "--format", "ndjson"]).stdout;
    let b = sb.run(&["export", "--format", "ndjson"]).stdout;
    assert_eq!(a, b);
}

#[test]
fn es_bulk_alternates_action_and_document() {
    let sb = Sandbox::new();
    let bulk = lines(&export(&sb, &["--format", "es-bulk"]));
    let ndjson = lines(&export(&sb, &["--format", "ndjson"]));
    assert_eq!(bulk.len(), 2 * ndjson.len());
    for (pair, doc) in bulk.chunks(2).zip(&ndjson) {
        assert_eq!(keys(&pair[0]), BTreeSet::from(["index".to_string()]));
        assert_eq!(pair[0]["index"]["_id"], doc["id"]);
        assert_eq!(&pair[1], doc);
    }
    // _bulk needs a newline after the last line too.
    assert!(export(&sb, &["--format", "es-bulk"]).ends_with('\n'));
}

#[test]
fn the_es_mapping_describes_every_field_of_the_documents() {
    let sb = Sandbox::from(&shipped_library());
    let mapping: Value = serde_json::from_str(&export(&sb, &["--print-mapping", "es"])).unwrap();
    let props = mapping["mappings"]["properties"].as_object().unwrap();
    let mapped: BTreeSet<String> = props.keys().cloned().collect();
    let docs = lines(&export(&sb, &["--format", "es-bulk"]));
    let mut seen = BTreeSet::new();
    for d in docs.iter().skip(1).step_by(2) {
        let k = keys(d);
        assert!(k.is_subset(&mapped), "unmapped fields {:?}", &k - &mapped);
        seen.extend(k);
    }
    // `checked` and `period` are optional; the shipped library may not use every one.
    let unused: BTreeSet<String> = &mapped - &seen;
    assert!(
        unused
            .iter()
            .all(|f| ["checked", "period", "title_en"].contains(&f.as_str())),
        "{unused:?}"
    );
    assert_eq!(mapping["mappings"]["dynamic"], "strict");
    for filter in [
        "id",
        "cities",
        "countries",
        "positioning",
        "positioning_codes",
        "tasks",
    ] {
        assert_eq!(props[filter]["type"], "keyword", "{filter}");
    }
    for text in ["title", "body_text"] {
        assert_eq!(props[text]["analyzer"], "smartcn", "{text}");
    }
    assert_eq!(props["body_seg"]["analyzer"], "whitespace");
}

#[test]
fn the_typesense_schema_fits_the_documents() {
    let sb = Sandbox::from(&shipped_library());
    let schema: Value =
        serde_json::from_str(&export(&sb, &["--print-mapping", "typesense"])).unwrap();
    assert!(schema["name"].is_string());
    let fields = schema["fields"].as_array().unwrap();
    let docs = lines(&export(&sb, &["--format", "typesense"]));
    for f in fields {
        let name = f["name"].as_str().unwrap();
        let optional = f["optional"] == true;
        for d in &docs {
            let Some(v) = d.get(name) else {
                assert!(optional, "{} lacks required field {name}", d["id"]);
                continue;
            };
            let ok = match f["type"].as_str().unwrap() {
                "string" => v.is_string(),
                "string[]" => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
                t => panic!("unexpected type {t}"),
            };
            assert!(ok, "{}: {name} is not {}", d["id"], f["type"]);
        }
    }
    let facets: BTreeSet<&str> = fields
        .iter()
        .filter(|f| f["facet"] == true)
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for filter in ["cities", "countries", "positioning", "topics", "tasks"] {
        assert!(facets.contains(filter), "{filter} is not a facet");
    }
    for text in ["title", "body_text"] {
        let f = fields.iter().find(|f| f["name"] == text).unwrap();
        assert_eq!(f["locale"], "zh", "{text}");
    }
}

#[test]
fn a_broken_library_exports_nothing_and_exits_1() {
    let sb = Sandbox::new();
    fs::copy(
        fixtures().join("broken/unknown-city.md"),
        sb.lib().join("unknown-city.md"),
    )
    .unwrap();
    let o = sb.run(&["export", "--format", "ndjson"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty(), "wrote {} bytes", o.stdout.len());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unknown-city.md:"), "{err}");
    assert!(err.contains("nothing exported"), "{err}");

    // An existing output file is left as it was, and no temporary file stays behind.
    let file = sb.dir.path().join("out.jsonl");
    fs::write(&file, "previous\n").unwrap();
    let o = sb.run(&[
        "export",
        "--format",
        "ndjson",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(fs::read_to_string(&file).unwrap(), "previous\n");
    let names: Vec<String> = fs::read_dir(sb.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains(".tmp")), "{names:?}");
}

#[test]
fn export_needs_a_format_or_a_mapping_and_fails_on_an_unwritable_file() {
    let sb = Sandbox::new();
    let (code, _, err) = sb.run_text(&["export"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = sb.run_text(&["export", "--format", "csv"]);
    assert_eq!(code, 2);
    let (code, _, _) = sb.run_text(&["export", "--format", "ndjson", "--print-mapping", "es"]);
    assert_eq!(code, 2);
    let missing = sb.dir.path().join("no/such/folder/out.jsonl");
    let (code, _, err) = sb.run_text(&[
        "export",
        "--format",
        "ndjson",
        "--output",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("out.jsonl"), "{err}");
}

#[test]
fn export_needs_no_index() {
    let sb = Sandbox::new();
    export(&sb, &["--format", "ndjson"]);
    assert!(!sb.index().exists(), "export built an index");
}

#[test]
fn an_id_comes_before_the_ids_it_prefixes() {
    // File-name order puts `x-2.md` before `x.md` ('-' sorts before '.'); id order is `x`,
    // then `x-2`, and the export follows ids.
    let sb = Sandbox::new();
    let text = fs::read_to_string(sb.lib().join("new-york-pocket-parks.md")).unwrap();
    let copy = text.replacen(
        "id: new-york-pocket-parks\n",
        "id: new-york-pocket-parks-2\n",
        1,
    );
    assert_ne!(copy, text);
    fs::write(sb.lib().join("new-york-pocket-parks-2.md"), copy).unwrap();
    let docs = lines(&export(&sb, &["--format", "ndjson"]));
    let ids: Vec<&str> = docs.iter().map(|d| d["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    assert!(ids.contains(&"new-york-pocket-parks-2"), "{ids:?}");
}
