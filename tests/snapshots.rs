//! What users see, reviewed: the human output of every command on the fixture library
//! (`tests/fixtures/valid`, whose text does not change under us), as insta snapshots in
//! `tests/snapshots/`. A change in wording, layout or ranking fails here until someone
//! looks at the diff and accepts it (`cargo insta review`, or `INSTA_UPDATE=always`).
//!
//! Output is piped, so it is neither coloured nor wrapped; the temporary folder, timings
//! and sizes are filtered out.

mod common;

use std::fs;

use common::Sandbox;

/// stdout, then stderr under a marker when there is any, then the exit code.
fn shown(sb: &Sandbox, args: &[&str]) -> String {
    let (code, out, err) = sb.run_text(args);
    let mut s = out;
    if !err.is_empty() {
        s.push_str("--- stderr\n");
        s.push_str(&err);
    }
    s.push_str(&format!("--- exit {code}\n"));
    s
}

fn settings(sb: &Sandbox) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    let tmp = regex_escape(&sb.dir.path().display().to_string());
    s.add_filter(&tmp, "[TMP]");
    s.add_filter(r"\d+\.\d+ s\b", "[SECONDS] s");
    s.add_filter(r"\d+\.\d+ MB\b", "[SIZE] MB");
    s.add_filter(r"gen-[0-9a-zA-Z_-]+", "gen-[N]");
    s
}

fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A sandbox with its index already built, so a command's stderr holds only its own words.
fn indexed() -> Sandbox {
    let sb = Sandbox::new();
    let (code, _, err) = sb.run_text(&["index"]);
    assert_eq!(code, 0, "{err}");
    sb
}

macro_rules! snap {
    ($name:literal, $sb:expr, $args:expr) => {{
        let sb = $sb;
        settings(sb).bind(|| insta::assert_snapshot!($name, shown(sb, $args)));
    }};
}

#[test]
fn search() {
    let sb = &indexed();
    snap!("search_words", sb, &["search", "口袋公园"]);
    snap!("search_filter", sb, &["search", "公园", "--country", "USA"]);
    snap!("search_no_query", sb, &["search", "--positioning", "湾区"]);
    snap!("search_limit", sb, &["search", "公园", "--limit", "1"]);
    snap!("search_nothing", sb, &["search", "不存在的词语"]);
    snap!(
        "search_partial",
        sb,
        &["search", "口袋公园", "机场城市", "智慧农业"]
    );
    snap!(
        "search_unknown_filter",
        sb,
        &["search", "公园", "--city", "Bostn"]
    );
}

#[test]
fn show_and_similar() {
    let sb = &indexed();
    snap!("show", sb, &["show", "boston-emerald-necklace"]);
    snap!("show_unknown", sb, &["show", "boston"]);
    snap!("similar", sb, &["similar", "new-york-pocket-parks"]);
}

#[test]
fn stats_tasks_and_task() {
    let sb = &indexed();
    snap!("stats", sb, &["stats"]);
    snap!("tasks", sb, &["tasks"]);
    snap!("tasks_positioning", sb, &["tasks", "--positioning", "BAY"]);
    snap!("task", sb, &["task", "BAY-03"]);
    snap!("task_unknown", sb, &["task", "BAY-99"]);
}

#[test]
fn check_and_index() {
    let sb = &Sandbox::new();
    snap!("index_first", sb, &["index"]);
    snap!("check_ok", sb, &["check"]);
    for f in ["unknown-city.md", "empty-title.md", "section-order.md"] {
        fs::copy(common::fixtures().join("broken").join(f), sb.lib().join(f)).unwrap();
    }
    snap!("check_broken", sb, &["check"]);
    snap!("check_broken_github", sb, &["check", "--format", "github"]);
    snap!("check_broken_json", sb, &["check", "--format", "json"]);
    snap!("index_broken", sb, &["index"]);
    snap!("search_broken", sb, &["search", "口袋公园", "--limit", "1"]);
}

#[test]
fn a_stale_index_is_said_on_stderr() {
    let sb = &Sandbox::new();
    snap!("search_first", sb, &["search", "绿道"]);
    let case = sb.lib().join("boston-emerald-necklace.md");
    let text = fs::read_to_string(&case).unwrap();
    fs::write(&case, format!("{text}\n更多绿道。\n")).unwrap();
    snap!("search_no_rebuild", sb, &["--no-rebuild", "search", "绿道"]);
    snap!("search_rebuilt", sb, &["search", "绿道", "--limit", "1"]);
}
