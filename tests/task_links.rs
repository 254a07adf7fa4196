//! How well `duibiao task ID` suggests the cases that inform a task, measured the way a
//! task team meets it: on a copy of the shipped library with every link hidden (each
//! case's `tasks:` emptied, every "（对应任务 XXX-NN）" mention cut from the bodies, the
//! plan's `precedents` dropped, since the plan may only name places whose cases are
//! linked), the real binary is asked `task ID --json` for each task that had links, and
//! the hidden links are looked for among the five suggestions.
//!
//! Everything is derived from the files at test time (the cases' text keeps changing), and
//! the test fails below the floors reached so far. Run with `--nocapture` for the figures
//! and the links that were missed.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{Sandbox, shipped_library};
use duibiao::library::{self, Origin};

/// Floors, set just below the measured figures (see the README's "Search quality"):
/// links in the top five as a share of what five can hold, links in the top max(5, k),
/// and the two MRRs.
const MIN_TOP5: f64 = 0.96;
const MIN_OWN_TOP: f64 = 0.90;
const MIN_MRR: f64 = 0.97;
const MIN_LINK_MRR: f64 = 0.46;

/// How many suggestions a task team reads: `task ID` shows five.
const TOP: usize = 5;

/// The library copy with its links hidden, and the links it had: task id → case ids.
struct Hidden {
    sandbox: Sandbox,
    links: BTreeMap<String, Vec<String>>,
}

/// Copies the shipped library and hides every link in the copy.
fn hidden_library() -> Hidden {
    let sandbox = Sandbox::from(&shipped_library());
    let lib = sandbox.lib();
    // The links are read from the copy, so they are the links of the text that is hidden
    // even while the shipped files change.
    let loaded = library::load(&Origin::Dir(lib.clone())).expect("the shipped library loads");
    let task_ids: Vec<String> = loaded.plan.tasks.iter().map(|t| t.id.clone()).collect();
    let mut links: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for case in &loaded.cases {
        for t in &case.tasks {
            links.entry(t.clone()).or_default().push(case.id.clone());
        }
    }
    for e in fs::read_dir(&lib).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "md") {
            let text = fs::read_to_string(&path).unwrap();
            fs::write(&path, hide_in_case(&text, &task_ids)).unwrap();
        }
    }
    let plan = lib.join("plan.yaml");
    let text = fs::read_to_string(&plan).unwrap();
    fs::write(&plan, empty_key(&text, "precedents")).unwrap();
    Hidden { sandbox, links }
}

/// The case with its `tasks:` emptied and every mention of a task id cut from its body.
fn hide_in_case(text: &str, task_ids: &[String]) -> String {
    let (front, body) = split_front_matter(text);
    format!(
        "{}{}",
        empty_key(front, "tasks"),
        cut_mentions(body, task_ids)
    )
}

/// (front matter with its fences, body).
fn split_front_matter(text: &str) -> (&str, &str) {
    let after_open = text.find('\n').map_or(text.len(), |i| i + 1);
    match text[after_open..].find("\n---") {
        Some(i) => {
            let end = after_open + i + 4;
            let end = text[end..].find('\n').map_or(text.len(), |j| end + j + 1);
            text.split_at(end)
        }
        None => (text, ""),
    }
}

/// YAML with every `key:` (at any indent) set to `[]`, a block list under it dropped.
fn empty_key(yaml: &str, key: &str) -> String {
    let mut out = String::new();
    let mut list_indent: Option<usize> = None;
    for line in yaml.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        if let Some(i) = list_indent {
            let t = line.trim_start();
            if t.starts_with("- ") && indent >= i || t.trim().is_empty() {
                continue;
            }
            list_indent = None;
        }
        if line.trim_start().starts_with(&format!("{key}:")) {
            out.push_str(&format!("{}{key}: []\n", &line[..indent]));
            list_indent = Some(indent);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// The body without the parentheticals that name a task ("（对应任务 BAY-03）",
/// "（任务 HUB-06、HUB-02）") and without any other mention of a task id.
fn cut_mentions(body: &str, task_ids: &[String]) -> String {
    let names_task = |s: &str| task_ids.iter().any(|id| s.contains(id.as_str()));
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(open) = rest.find(['（', '(']) {
        let close_char = if rest[open..].starts_with('（') {
            '）'
        } else {
            ')'
        };
        let inner_start = open + rest[open..].chars().next().map_or(1, char::len_utf8);
        match rest[inner_start..].find(close_char) {
            Some(len) if !rest[inner_start..inner_start + len].contains('\n') => {
                let end = inner_start + len + close_char.len_utf8();
                out.push_str(&rest[..open]);
                if !names_task(&rest[inner_start..inner_start + len]) {
                    out.push_str(&rest[open..end]);
                }
                rest = &rest[end..];
            }
            _ => {
                out.push_str(&rest[..inner_start]);
                rest = &rest[inner_start..];
            }
        }
    }
    out.push_str(rest);
    for id in task_ids {
        for mention in [format!("对应任务 {id}"), format!("任务 {id}"), id.clone()] {
            out = out.replace(&mention, "");
        }
    }
    out
}

/// The figures of one run over the hidden links. A task with more than five links cannot
/// show them all among five suggestions (13 tasks have 5-14), so the share of links found
/// is given three ways: of all links (what the issue first counted; at most
/// `attainable / links`), of the links five suggestions can hold (`min(k, 5)` for a task
/// with k links), and in a list as long as the task's links (`--limit max(5, k)`).
struct Figures {
    tasks: usize,
    links: usize,
    /// Links among the first five suggestions.
    in_top: usize,
    /// The most links five suggestions can hold: the sum over tasks of `min(k, 5)`.
    attainable: usize,
    /// Links among the first `max(5, k)` suggestions.
    in_own_top: usize,
    /// Mean over tasks of 1 / rank of the first hidden link among five suggestions.
    mrr: f64,
    /// Mean over links of 1 / rank among five suggestions (0 below): the MRR,
    /// which cannot reach 1, as a task's links share its list.
    link_mrr: f64,
    /// The per-link MRR of a perfect ranking.
    link_mrr_ceiling: f64,
    misses: Vec<String>,
}

impl Figures {
    fn capped(&self) -> f64 {
        self.in_top as f64 / self.attainable.max(1) as f64
    }
    fn own_top(&self) -> f64 {
        self.in_own_top as f64 / self.links.max(1) as f64
    }
}

fn measure(h: &Hidden) -> Figures {
    let (mut in_top, mut in_own_top, mut attainable, mut n_links) = (0, 0, 0, 0);
    let (mut rr, mut link_rr, mut ideal) = (0.0, 0.0, 0.0);
    let mut misses = Vec::new();
    for (task, cases) in &h.links {
        let own = cases.len().max(TOP);
        let v = h.sandbox.json(&["task", task, "--limit", &own.to_string()]);
        let linked = v["linked"].as_array().expect("linked");
        assert!(
            linked.is_empty(),
            "{task} still has linked cases: {linked:?}"
        );
        let suggested: Vec<&str> = v["suggested"]
            .as_array()
            .expect("suggested")
            .iter()
            .map(|s| s["id"].as_str().expect("id"))
            .collect();
        assert!(suggested.len() <= own, "{task}: {suggested:?}");
        let top = &suggested[..suggested.len().min(TOP)];
        if let Some(p) = top.iter().position(|id| cases.iter().any(|c| c == id)) {
            rr += 1.0 / (p + 1) as f64;
        }
        attainable += cases.len().min(TOP);
        ideal += (1..=cases.len().min(TOP))
            .map(|r| 1.0 / r as f64)
            .sum::<f64>();
        for c in cases {
            n_links += 1;
            in_own_top += usize::from(suggested.contains(&c.as_str()));
            match top.iter().position(|id| id == c) {
                Some(p) => {
                    in_top += 1;
                    link_rr += 1.0 / (p + 1) as f64;
                }
                None => misses.push(format!("{task} → {c} (got {})", top.join(", "))),
            }
        }
    }
    Figures {
        tasks: h.links.len(),
        links: n_links,
        in_top,
        attainable,
        in_own_top,
        mrr: rr / h.links.len().max(1) as f64,
        link_mrr: link_rr / n_links.max(1) as f64,
        link_mrr_ceiling: ideal / n_links.max(1) as f64,
        misses,
    }
}

/// The copy hides what it must: it is a valid library, no case is linked to any task, and
/// no body names a task id; and it still holds every case.
#[test]
fn the_hidden_copy_has_no_link_left() {
    let h = hidden_library();
    assert!(h.links.len() >= 30, "{} tasks with links", h.links.len());
    let (code, out, err) = h.sandbox.run_text(&["check"]);
    assert_eq!(code, 0, "the hidden copy is invalid:\n{out}{err}");
    let rows = h.sandbox.json(&["tasks"]);
    for r in rows.as_array().unwrap() {
        assert_eq!(r["cases"].as_array().unwrap().len(), 0, "{r}");
        assert_eq!(r["precedents"].as_array().unwrap().len(), 0, "{r}");
    }
    for task in h.links.keys() {
        let found = h.sandbox.json(&["search", &format!("\"{task}\"")]);
        assert_eq!(found["total"], 0, "{task} is still written in a case");
    }
    let cases_dir = Path::new(&h.sandbox.lib()).to_path_buf();
    let n = |dir: &Path| {
        fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "md")
            })
            .count()
    };
    assert_eq!(n(&cases_dir), n(&shipped_library()));
}

#[test]
fn suggestions_find_the_hidden_links() {
    let h = hidden_library();
    let f = measure(&h);
    println!(
        "task links: {} tasks, {} hidden links\n  \
         in the top {TOP}: {} = {:.1} % of all links, {:.1} % of the {} five suggestions can hold\n  \
         in the top max({TOP}, k) for a task with k links: {} = {:.1} %\n  \
         MRR@{TOP} (first hidden link, mean over tasks): {:.3}\n  \
         MRR@{TOP} per link (mean over links of 1/rank): {:.3} (a perfect ranking: {:.3})",
        f.tasks,
        f.links,
        f.in_top,
        100.0 * f.in_top as f64 / f.links.max(1) as f64,
        100.0 * f.capped(),
        f.attainable,
        f.in_own_top,
        100.0 * f.own_top(),
        f.mrr,
        f.link_mrr,
        f.link_mrr_ceiling
    );
    for m in &f.misses {
        println!("  miss: {m}");
    }
    assert!(f.links >= 100, "only {} links to measure", f.links);
    assert!(
        f.capped() >= MIN_TOP5,
        "top {TOP}: {:.3} < {MIN_TOP5}",
        f.capped()
    );
    assert!(
        f.own_top() >= MIN_OWN_TOP,
        "top max({TOP}, k): {:.3} < {MIN_OWN_TOP}",
        f.own_top()
    );
    assert!(f.mrr >= MIN_MRR, "MRR@{TOP}: {:.3} < {MIN_MRR}", f.mrr);
    assert!(
        f.link_mrr >= MIN_LINK_MRR,
        "MRR@{TOP} per link: {:.3} < {MIN_LINK_MRR}",
        f.link_mrr
    );
}

#[test]
fn mentions_are_cut_with_their_parentheses() {
    let ids = vec![
        "BAY-03".to_string(),
        "HUB-02".to_string(),
        "HUB-06".to_string(),
    ];
    assert_eq!(
        cut_mentions("小而精（对应任务 BAY-03）：青岛", &ids),
        "小而精：青岛"
    );
    assert_eq!(
        cut_mentions(
            "平台（对应任务 HUB-06、HUB-02）。另见(任务 BAY-03)与（口袋公园）",
            &ids
        ),
        "平台。另见与（口袋公园）"
    );
    assert_eq!(cut_mentions("见任务 BAY-03。", &ids), "见。");
    assert_eq!(cut_mentions("未闭合（对应", &ids), "未闭合（对应");
    let front = "---\nid: x\ntasks:\n  - BAY-03\n  - HUB-02\nperiod: 1990\n---\nbody\n";
    let (f, b) = split_front_matter(front);
    assert_eq!(b, "body\n");
    assert_eq!(
        empty_key(f, "tasks"),
        "---\nid: x\ntasks: []\nperiod: 1990\n---\n"
    );
    assert_eq!(
        empty_key("  - id: A\n    precedents: [美国]\n", "precedents"),
        "  - id: A\n    precedents: []\n"
    );
}

/// The ids of a JSON array of hits.
fn ids(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .expect("hits")
        .iter()
        .map(|h| h["id"].as_str().expect("id").to_string())
        .collect()
}

/// `task ID --limit N` gives N suggestions, none of them linked, each with why it was
/// suggested, and the words of its why are in the case; linked cases carry no why.
#[test]
fn suggestions_say_why_and_take_a_limit() {
    let sb = Sandbox::from(&shipped_library());
    let rows = sb.json(&["tasks"]);
    let task = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| !r["cases"].as_array().unwrap().is_empty())
        .expect("a task with cases");
    let id = task["id"].as_str().unwrap();
    let v = sb.json(&["task", id, "--limit", "8"]);
    let linked = ids(&v["linked"]);
    let suggested = ids(&v["suggested"]);
    assert_eq!(suggested.len(), 8, "{v}");
    assert!(suggested.iter().all(|s| !linked.contains(s)), "{v}");
    assert_eq!(ids(&sb.json(&["task", id])["suggested"]), suggested[..5]);
    for h in v["linked"].as_array().unwrap() {
        assert!(h.get("why").is_none(), "{h}");
    }
    for h in v["suggested"].as_array().unwrap() {
        for key in [
            "id", "title", "cities", "topics", "tasks", "score", "snippet",
        ] {
            assert!(h.get(key).is_some(), "{key} missing: {h}");
        }
        let why = &h["why"];
        let words: Vec<&str> = why["words"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap())
            .collect();
        assert!(!words.is_empty(), "{h}");
        let case = sb.json(&["show", h["id"].as_str().unwrap()]);
        let text = format!("{}{}{}", case["title"], case["topics"], case["body"]).to_lowercase();
        for w in words {
            assert!(text.contains(w), "{w} is not in {}", h["id"]);
        }
        for t in why["topics"].as_array().unwrap() {
            assert!(h["topics"].as_array().unwrap().contains(t), "{h}");
        }
        for p in why["places"].as_array().unwrap() {
            let from = h["cities"].as_array().unwrap().contains(p)
                || h["countries"].as_array().unwrap().contains(p);
            assert!(from, "{h}");
        }
    }
    let (code, out, err) = sb.run_text(&["task", id, "--limit", "2"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.matches("why: words").count(), 2, "{out}");
}

/// `suggest-links` lists, for each task, the unlinked cases among its best five: each is
/// among the task's own suggestions and not linked; it names the tasks without a case; a
/// high `--min-score` leaves nothing; a bad one is a usage error.
#[test]
fn suggest_links_is_a_review_list() {
    let sb = Sandbox::from(&shipped_library());
    let rows = sb.json(&["tasks"]);
    let rows = rows.as_array().unwrap();
    let v = sb.json(&["suggest-links"]);
    let tasks = v["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), rows.len());
    let mut total = 0;
    for (t, row) in tasks.iter().zip(rows) {
        assert_eq!(t["task"], row["id"]);
        let linked: Vec<String> = row["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        assert_eq!(t["linked"], linked.len());
        let review = ids(&t["suggested"]);
        // The task's best five, linked cases included: its linked cases that match its
        // words and its first suggestions, by score.
        let own = sb.json(&["task", row["id"].as_str().unwrap()]);
        let mut ranked: Vec<(f64, String)> = own["linked"]
            .as_array()
            .unwrap()
            .iter()
            .chain(own["suggested"].as_array().unwrap())
            .map(|h| {
                (
                    h["score"].as_f64().unwrap(),
                    h["id"].as_str().unwrap().to_string(),
                )
            })
            .filter(|(s, _)| *s > 0.0)
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let want: Vec<String> = ranked
            .into_iter()
            .take(5)
            .map(|(_, id)| id)
            .filter(|id| !linked.contains(id))
            .collect();
        assert_eq!(review, want, "{t}");
        total += review.len();
    }
    assert_eq!(v["suggestions"], total);
    assert!(total > 0, "{v}");
    let without: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| r["cases"].as_array().unwrap().is_empty())
        .map(|r| &r["id"])
        .collect();
    assert_eq!(
        v["tasks_without_cases"]
            .as_array()
            .unwrap()
            .iter()
            .collect::<Vec<_>>(),
        without
    );
    let none = sb.json(&["suggest-links", "--min-score", "1000000"]);
    assert_eq!(none["suggestions"], 0);
    let (code, out, err) = sb.run_text(&["suggest-links"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("duibiao link "), "{out}");
    assert!(out.contains("suggestion(s) for"), "{out}");
    for bad in ["-1", "nan", "x"] {
        let (code, _, err) = sb.run_text(&["suggest-links", "--min-score", bad]);
        assert_eq!(code, 2, "{bad}: {err}");
    }
}

/// With every link hidden, every task is without a case, and each task's review list is
/// the first five suggestions of `task ID`.
#[test]
fn suggest_links_on_a_library_without_links() {
    let h = hidden_library();
    let v = h.sandbox.json(&["suggest-links"]);
    let tasks = v["tasks"].as_array().unwrap();
    assert_eq!(
        v["tasks_without_cases"].as_array().unwrap().len(),
        tasks.len()
    );
    for t in tasks
        .iter()
        .filter(|t| h.links.contains_key(t["task"].as_str().unwrap()))
    {
        let own = h.sandbox.json(&["task", t["task"].as_str().unwrap()]);
        assert_eq!(ids(&t["suggested"]), ids(&own["suggested"]), "{t}");
    }
    let (_, out, _) = h.sandbox.run_text(&["suggest-links"]);
    assert!(
        out.contains(&format!("{} task(s) have no case at all", tasks.len())),
        "{out}"
    );
}
