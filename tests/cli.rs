//! The real binary on real files, with a clean environment: searches, filters and their
//! aliases, JSON shapes, exit codes, rebuilds of a stale index.

mod common;

use std::fs;

use common::{Sandbox, hit_ids};

#[test]
fn search_ranks_finds_and_highlights() {
    let sb = Sandbox::new();
    let v = sb.json(&["search", "口袋公园"]);
    let ids = hit_ids(&v);
    assert_eq!(ids.len(), 2, "{v}");
    assert!(ids.contains(&"new-york-pocket-parks".to_string()));
    assert!(ids.contains(&"shanghai-pocket-parks".to_string()));
    assert_eq!(v["query"], "口袋公园");
    assert_eq!(v["total"], 2);
    let hit = &v["hits"][0];
    for key in [
        "id",
        "title",
        "cities",
        "countries",
        "positioning",
        "topics",
        "tasks",
        "score",
        "snippet",
    ] {
        assert!(hit.get(key).is_some(), "hit lacks {key}: {hit}");
    }
    assert!(
        hit["snippet"].as_str().unwrap().contains("【口袋公园】"),
        "{hit}"
    );
    assert!(hit["score"].as_f64().unwrap() > 0.0);
}

#[test]
fn a_title_match_ranks_above_a_body_match() {
    let sb = Sandbox::new();
    // Boston's case has 绿道 in its title (and once in its body); a second case has it only
    // in its body, three times and in a shorter text. Only the title's weight puts Boston
    // first: by body frequency alone the second case would win.
    let body_only = fs::read_to_string(sb.lib().join("shanghai-pocket-parks.md"))
        .unwrap()
        .replace("id: shanghai-pocket-parks", "id: shanghai-greenways")
        .replace("title: 上海口袋公园建设", "title: 上海的街道绿化")
        .replace(
            "上海在中心城区利用边角地建设口袋公园。",
            "绿道连接社区，绿道穿过街区，绿道通向滨江。",
        );
    fs::write(sb.lib().join("shanghai-greenways.md"), body_only).unwrap();
    let v = sb.json(&["search", "绿道"]);
    assert_eq!(
        hit_ids(&v),
        ["boston-emerald-necklace", "shanghai-greenways"],
        "{v}"
    );
}

#[test]
fn every_word_must_match() {
    let sb = Sandbox::new();
    // The one case with every word comes first; any others are marked partial.
    let v = sb.json(&["search", "口袋公园", "佩雷"]);
    let complete: Vec<&str> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h.get("partial").is_none())
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert_eq!(complete, ["new-york-pocket-parks"]);
    assert_eq!(hit_ids(&v)[0], "new-york-pocket-parks");
    // No case has every word (口袋, 公园, 机场 without the shipped dictionary): the cases
    // with most of them follow, each marked partial.
    let v = sb.json(&["search", "口袋公园", "机场"]);
    assert_eq!(v["relaxed"], true, "{v}");
    let hits = v["hits"].as_array().unwrap();
    assert_eq!(
        hits.len(),
        2,
        "the pocket-park cases have most of the words: {v}"
    );
    assert!(hits.iter().all(|h| h["partial"] == true), "{v}");
    let v = sb.json(&["search", "口袋公园"]);
    assert!(
        v.get("relaxed").is_none() && v["hits"][0].get("partial").is_none(),
        "{v}"
    );
}

#[test]
fn quoted_text_is_a_phrase_and_stray_syntax_is_text() {
    let sb = Sandbox::new();
    // Both words occur in the Boston case, but not side by side.
    assert_eq!(
        hit_ids(&sb.json(&["search", "公园 系统"])),
        ["boston-emerald-necklace"]
    );
    assert!(hit_ids(&sb.json(&["search", "\"系统 公园\""])).is_empty());
    assert_eq!(
        hit_ids(&sb.json(&["search", "\"公园系统\""])),
        ["boston-emerald-necklace"]
    );
    for q in [
        "\"口袋公园",
        "口袋公园 AND",
        "+口袋公园 -",
        "口袋公园)",
        "（口袋公园",
    ] {
        let (code, _, err) = sb.run_text(&["search", q]);
        assert_eq!(code, 0, "{q}: {err}");
    }
    let v = sb.json(&["search", "\"口袋公园"]);
    assert_eq!(v["total"], 2, "an unbalanced quote is text: {v}");
}

#[test]
fn filters_accept_names_and_aliases_alike() {
    let sb = Sandbox::new();
    let canonical = hit_ids(&sb.json(&["search", "公园", "--city", "纽约"]));
    assert_eq!(canonical, ["new-york-pocket-parks"]);
    for alias in ["NYC", "nyc", "New York", "niuyue"] {
        assert_eq!(
            hit_ids(&sb.json(&["search", "公园", "--city", alias])),
            canonical,
            "{alias}"
        );
    }
    let us = hit_ids(&sb.json(&["search", "--country", "美国"]));
    assert_eq!(us, ["boston-emerald-necklace", "new-york-pocket-parks"]);
    for alias in ["USA", "us", "United States", "meiguo"] {
        assert_eq!(
            hit_ids(&sb.json(&["search", "--country", alias])),
            us,
            "{alias}"
        );
    }
    let bay = hit_ids(&sb.json(&["search", "--positioning", "宜居宜业宜游高品质湾区城市"]));
    assert_eq!(bay.len(), 3);
    for alias in ["BAY", "bay", "湾区"] {
        assert_eq!(
            hit_ids(&sb.json(&["search", "--positioning", alias])),
            bay,
            "{alias}"
        );
    }
    assert_eq!(
        hit_ids(&sb.json(&["search", "--topic", "口袋公园"])).len(),
        2
    );
    assert_eq!(
        hit_ids(&sb.json(&["search", "--task", "hub-02"])),
        ["hong-kong-airport-city"]
    );
}

#[test]
fn values_of_one_filter_are_ored_and_filters_anded() {
    let sb = Sandbox::new();
    let v = hit_ids(&sb.json(&["search", "--city", "纽约", "--city", "上海"]));
    assert_eq!(v, ["new-york-pocket-parks", "shanghai-pocket-parks"]);
    let v = hit_ids(&sb.json(&[
        "search",
        "--city",
        "纽约",
        "--city",
        "上海",
        "--country",
        "中国",
    ]));
    assert_eq!(v, ["shanghai-pocket-parks"]);
}

#[test]
fn no_query_lists_every_filtered_case_in_id_order() {
    let sb = Sandbox::new();
    let v = sb.json(&["search"]);
    assert_eq!(v["total"], 5);
    let ids = hit_ids(&v);
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
}

#[test]
fn total_counts_all_matches_beyond_the_limit() {
    let sb = Sandbox::new();
    let v = sb.json(&["search", "公园", "--limit", "1"]);
    assert_eq!(hit_ids(&v).len(), 1);
    assert_eq!(v["total"], 3);
}

#[test]
fn an_unknown_filter_value_exits_2_naming_the_closest() {
    let sb = Sandbox::new();
    let (code, out, err) = sb.run_text(&["search", "公园", "--city", "Bostn"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("unknown city \"Bostn\"; did you mean \"波士顿\" (Boston)?"),
        "{err}"
    );
    let (code, _, err) = sb.run_text(&["search", "--positioning", "海洋"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = sb.run_text(&["search", "--topic", "口袋公圆"]);
    assert_eq!(code, 2);
    assert!(err.contains("\"口袋公园\""), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    let sb = Sandbox::new();
    assert_eq!(sb.run_text(&["search", "--limit", "many"]).0, 2);
    assert_eq!(sb.run_text(&["frobnicate"]).0, 2);
    let (code, _, err) = sb.run_text(&["show", "boston"]);
    assert_eq!(code, 2);
    assert!(err.contains("boston-emerald-necklace"), "{err}");
}

#[test]
fn show_gives_the_whole_case() {
    let sb = Sandbox::new();
    let v = sb.json(&["show", "hong-kong-airport-city"]);
    assert_eq!(v["id"], "hong-kong-airport-city");
    assert_eq!(v["countries"][0], "中国香港");
    assert!(v["body"].as_str().unwrap().contains("## 对青岛的启示"));
    assert!(
        v["path"]
            .as_str()
            .unwrap()
            .ends_with("hong-kong-airport-city.md")
    );
    assert_eq!(v["sources"][0]["url"], "https://example.org/hkia");
    let (code, out, _) = sb.run_text(&["show", "hong-kong-airport-city"]);
    assert_eq!(code, 0);
    assert!(out.contains("■ 案例概述"), "{out}");
    assert!(
        !out.contains("## "),
        "markdown is rendered, not printed raw: {out}"
    );
    assert!(
        !out.contains('\x1b'),
        "no escape codes when not on a terminal"
    );
}

#[test]
fn stats_counts_by_every_dimension() {
    let sb = Sandbox::new();
    let v = sb.json(&["stats"]);
    assert_eq!(v["cases"], 5);
    assert_eq!(v["cities"], 4);
    assert_eq!(v["countries"], 4);
    assert_eq!(v["by_country"]["美国"], 2);
    assert_eq!(v["by_city"]["波士顿"], 1);
    assert_eq!(v["by_positioning"]["宜居宜业宜游高品质湾区城市"], 3);
    assert_eq!(v["by_topic"]["口袋公园"], 2);
    assert_eq!(v["by_task"]["BAY-03"], 2);
    assert_eq!(
        v["by_task"]["BAY-09"], 0,
        "tasks without cases are counted as 0"
    );
    let (code, out, _) = sb.run_text(&["stats"]);
    assert_eq!(code, 0);
    assert!(out.contains('█'), "{out}");
}

#[test]
fn check_exits_1_with_every_problem_and_0_when_clean() {
    let sb = Sandbox::new();
    let (code, out, _) = sb.run_text(&["check"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("ok: 5 cases"), "{out}");
    fs::copy(
        common::fixtures().join("broken/unknown-city.md"),
        sb.lib().join("unknown-city.md"),
    )
    .unwrap();
    fs::copy(
        common::fixtures().join("broken/empty-title.md"),
        sb.lib().join("empty-title.md"),
    )
    .unwrap();
    let (code, out, _) = sb.run_text(&["check"]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].ends_with("empty-title.md:3:8: title is empty"),
        "{out}"
    );
    assert!(
        lines[1].contains("unknown-city.md:4:10: unknown city"),
        "{out}"
    );
}

#[test]
fn an_empty_library_says_so() {
    let sb = Sandbox::new();
    for e in fs::read_dir(sb.lib()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            fs::remove_file(p).unwrap();
        }
    }
    // Without its cases the plan's precedents are unbacked: keep only plan-less tasks.
    let plan = fs::read_to_string(sb.lib().join("plan.yaml")).unwrap();
    fs::write(
        sb.lib().join("plan.yaml"),
        plan.replace("precedents: [日本]", "precedents: []")
            .replace("precedents: [香港]", "precedents: []")
            .replace("precedents: [波士顿]", "precedents: []")
            .replace("precedents: [纽约, 上海]", "precedents: []"),
    )
    .unwrap();
    let (code, out, _) = sb.run_text(&["check"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("holds no cases yet"), "{out}");
    let (code, out, _) = sb.run_text(&["search", "公园"]);
    assert_eq!(code, 0);
    assert!(out.contains("holds no cases yet"), "{out}");
}

#[test]
fn a_stale_index_is_rebuilt_once_and_said_on_stderr() {
    let sb = Sandbox::new();
    let (_, _, err) = sb.run_text(&["search", "公园"]);
    assert!(err.contains("index rebuilt (no index yet)"), "{err}");
    let (_, _, err) = sb.run_text(&["search", "公园"]);
    assert!(err.is_empty(), "a fresh index is not rebuilt: {err}");

    // Touching a file without changing it is not a change.
    let path = sb.lib().join("japan-smart-farming.md");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, &text).unwrap();
    let (_, _, err) = sb.run_text(&["search", "公园"]);
    assert!(err.is_empty(), "{err}");

    // A change of the same size is still a change, indexed incrementally.
    fs::write(&path, text.replace("政企合力", "政企协同")).unwrap();
    let (code, out, err) = sb.run_text(&["search", "政企协同", "--json"]);
    assert_eq!(code, 0);
    assert!(
        err.contains("index updated (japan-smart-farming.md changed): incremental: 1 edited"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(hit_ids(&v), ["japan-smart-farming"]);

    // A new file is a change too; with --no-rebuild it is an error (exit 3).
    fs::copy(
        sb.lib().join("japan-smart-farming.md"),
        sb.lib().join("japan-copy.md"),
    )
    .unwrap();
    let copy = fs::read_to_string(sb.lib().join("japan-copy.md"))
        .unwrap()
        .replace("id: japan-smart-farming", "id: japan-copy");
    fs::write(sb.lib().join("japan-copy.md"), copy).unwrap();
    let (code, _, err) = sb.run_text(&["--no-rebuild", "search", "政企协同"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("run `duibiao index`"), "{err}");
    assert_eq!(sb.json(&["search", "政企协同"])["total"], 2);
}

#[test]
fn a_broken_library_keeps_the_last_good_index_serving() {
    let sb = Sandbox::new();
    let (code, out, _) = sb.run_text(&["index"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("indexed 5 cases in"), "{out}");
    let current = fs::read_to_string(sb.index().join("CURRENT")).unwrap();
    fs::copy(
        common::fixtures().join("broken/unknown-city.md"),
        sb.lib().join("unknown-city.md"),
    )
    .unwrap();

    let (code, _, err) = sb.run_text(&["index"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("unknown-city.md:4:10: unknown city"), "{err}");
    assert!(err.contains("the previous index is unchanged"), "{err}");
    assert_eq!(
        fs::read_to_string(sb.index().join("CURRENT")).unwrap(),
        current
    );
    // Cases are indexed as they are read; the half-built generation is gone.
    let generations: Vec<String> = fs::read_dir(sb.index())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("gen-"))
        .collect();
    assert_eq!(generations, [current.trim()], "{generations:?}");

    let (code, out, err) = sb.run_text(&["search", "口袋公园", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("searching the last good index"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["total"], 2);
}

#[test]
fn a_corrupt_or_foreign_index_folder_is_rebuilt_not_trusted() {
    let sb = Sandbox::new();
    assert_eq!(sb.run_text(&["index"]).0, 0);
    let current = fs::read_to_string(sb.index().join("CURRENT")).unwrap();
    let gen_dir = sb.index().join(current.trim());
    // Garble every tantivy file of the live generation.
    for e in fs::read_dir(&gen_dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name != "duibiao.json" {
            fs::write(&p, b"garbage").unwrap();
        }
    }
    let v = sb.json(&["search", "口袋公园"]);
    assert_eq!(v["total"], 2);

    // A folder of someone else's files: ours are added beside them, theirs are left alone.
    let sb2 = Sandbox::new();
    fs::create_dir_all(sb2.index()).unwrap();
    fs::write(sb2.index().join("CURRENT"), "not a generation").unwrap();
    fs::write(sb2.index().join("notes.txt"), "mine").unwrap();
    assert_eq!(sb2.json(&["search", "口袋公园"])["total"], 2);
    assert_eq!(
        fs::read_to_string(sb2.index().join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn old_generations_are_cleaned_up() {
    let sb = Sandbox::new();
    for _ in 0..4 {
        assert_eq!(sb.run_text(&["index"]).0, 0);
    }
    let gens: Vec<_> = fs::read_dir(sb.index())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("gen-"))
        .collect();
    assert_eq!(
        gens.len(),
        2,
        "the live generation and the one before it: {gens:?}"
    );
}

#[test]
fn two_builds_at_once_both_finish_and_leave_a_valid_index() {
    let sb = Sandbox::new();
    let spawn = || {
        sb.command(&["index"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn(), spawn());
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    assert_eq!(sb.json(&["search", "口袋公园"])["total"], 2);
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let sb = Sandbox::new();
    assert_eq!(sb.run_text(&["index"]).0, 0);
    let mut child = sb
        .command(&["stats"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_json_of_tasks_and_task_follows_the_contract() {
    let sb = Sandbox::new();
    let v = sb.json(&["tasks"]);
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 5);
    let bay03 = rows.iter().find(|r| r["id"] == "BAY-03").unwrap();
    assert_eq!(bay03["positioning"], "宜居宜业宜游高品质湾区城市");
    assert_eq!(bay03["title"], "学习口袋公园经验，打造城市绿肺");
    assert_eq!(bay03["cases"].as_array().unwrap().len(), 2);
    let v = sb.json(&["tasks", "--positioning", "hub"]);
    assert_eq!(v.as_array().unwrap().len(), 1);

    let v = sb.json(&["task", "BAY-03"]);
    assert_eq!(v["task"]["id"], "BAY-03");
    let linked = hit_ids(&serde_json::json!({"hits": v["linked"]}));
    assert_eq!(linked.len(), 2);
    let suggested = hit_ids(&serde_json::json!({"hits": v["suggested"]}));
    assert!(!suggested.is_empty(), "{v}");
    assert!(
        suggested.iter().all(|s| !linked.contains(s)),
        "suggestions exclude linked cases: {v}"
    );
    let (code, _, err) = sb.run_text(&["task", "BAY-99"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn coverage_counts_tasks_with_a_linked_case() {
    let sb = Sandbox::new();
    let (code, out, _) = sb.run_text(&["tasks"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("coverage: 4/5 tasks have at least one linked case"),
        "{out}"
    );
    assert!(out.contains("no linked case yet"), "{out}");
}

#[test]
fn similar_excludes_the_case_itself() {
    let sb = Sandbox::new();
    let v = sb.json(&["similar", "new-york-pocket-parks"]);
    let ids = hit_ids(&v);
    assert_eq!(ids[0], "shanghai-pocket-parks", "{v}");
    assert!(!ids.contains(&"new-york-pocket-parks".to_string()));
}

#[test]
fn traditional_characters_find_simplified_text_and_back() {
    let sb = Sandbox::new();
    // The Hong Kong fixture writes 香港國際機場 in traditional characters.
    assert_eq!(
        hit_ids(&sb.json(&["search", "国际机场"])),
        ["hong-kong-airport-city"]
    );
    assert_eq!(
        hit_ids(&sb.json(&["search", "數碼化"])),
        ["hong-kong-airport-city"]
    );
}

#[test]
fn a_build_killed_half_way_leaves_the_previous_generation_serving() {
    use std::time::{Duration, Instant};
    let sb = Sandbox::new();
    assert_eq!(sb.run_text(&["index"]).0, 0);
    let before = fs::read_to_string(sb.index().join("CURRENT")).unwrap();

    // Enough extra cases that the next build takes a while.
    let template = fs::read_to_string(sb.lib().join("japan-smart-farming.md")).unwrap();
    let filler = "数据化模式管理农业生产，全方位信息服务与政企合力推动智慧农业发展。".repeat(40);
    for i in 0..1500 {
        let id = format!("synthetic-{i:04}");
        let text = template
            .replace("id: japan-smart-farming", &format!("id: {id}"))
            .replace(
                "农户可以按数据安排生产。",
                &format!("农户可以按数据安排生产。{filler}{i}"),
            );
        fs::write(sb.lib().join(format!("{id}.md")), text).unwrap();
    }
    let mut child = sb
        .command(&["index"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the new generation has files on disk, then kill the build.
    let next = sb.index().join("gen-000002");
    let start = Instant::now();
    while !(next.is_dir() && fs::read_dir(&next).map(|d| d.count() > 0).unwrap_or(false)) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the build never started writing"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the build finished before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(Duration::from_millis(50));
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();

    assert_eq!(
        fs::read_to_string(sb.index().join("CURRENT")).unwrap(),
        before,
        "CURRENT still names the old generation"
    );
    assert!(
        !next.join("duibiao.json").exists(),
        "the killed build never finished its generation"
    );

    // Back to the library the old generation was built from: it serves without a rebuild.
    for i in 0..1500 {
        fs::remove_file(sb.lib().join(format!("synthetic-{i:04}.md"))).unwrap();
    }
    let (code, out, err) = sb.run_text(&["--no-rebuild", "search", "口袋公园", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["total"], 2);

    // The next build succeeds and clears the leftovers.
    assert_eq!(sb.run_text(&["index"]).0, 0);
    assert!(!next.exists() || next.join("duibiao.json").exists());
}

#[test]
fn the_library_dictionary_and_synonyms_shape_search_and_staleness() {
    let sb = Sandbox::new();
    assert_eq!(sb.run_text(&["index"]).0, 0);
    // Synonyms: a query word finds its group, and the word as typed ranks first.
    fs::write(
        sb.lib().join("synonyms.yaml"),
        "groups:\n  - [口袋公园, 袖珍公园]\n",
    )
    .unwrap();
    let (code, out, err) = sb.run_text(&["search", "袖珍公园", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("index rebuilt"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["total"], 2, "{v}");

    // A dictionary change is a library change.
    fs::write(sb.lib().join("dict.txt"), "口袋公园\n").unwrap();
    let (_, _, err) = sb.run_text(&["search", "口袋公园"]);
    assert!(err.contains("index rebuilt"), "{err}");
    // A broken dictionary is reported by check with its line.
    fs::write(sb.lib().join("dict.txt"), "口袋公园\n袖珍公园 many\n").unwrap();
    let (code, out, _) = sb.run_text(&["check"]);
    assert_eq!(code, 1);
    // "袖珍公园 " is nine columns wide.
    assert!(out.contains("dict.txt:2:10: frequency \"many\""), "{out}");
}

#[test]
fn typed_words_rank_above_their_synonyms() {
    let sb = Sandbox::new();
    fs::write(
        sb.lib().join("synonyms.yaml"),
        "groups:\n  - [机场, 口袋公园]\n",
    )
    .unwrap();
    // Deliberately odd group: each side's own cases must come before the other side's.
    let v = sb.json(&["search", "机场"]);
    assert_eq!(hit_ids(&v)[0], "hong-kong-airport-city", "{v}");
    assert_eq!(v["total"], 3, "{v}");
    let v = sb.json(&["search", "口袋公园"]);
    assert_ne!(hit_ids(&v)[0], "hong-kong-airport-city", "{v}");
}

#[test]
fn place_aliases_search_like_their_names() {
    let sb = Sandbox::new();
    assert_eq!(
        hit_ids(&sb.json(&["search", "Boston"])),
        ["boston-emerald-necklace"]
    );
    assert_eq!(
        hit_ids(&sb.json(&["search", "bosidun"])),
        ["boston-emerald-necklace"]
    );
    assert_eq!(
        hit_ids(&sb.json(&["search", "NYC"])),
        ["new-york-pocket-parks"]
    );
}

#[test]
fn the_built_in_library_works_in_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_duibiao"))
        .env_clear()
        .env("HOME", dir.path())
        .current_dir(dir.path())
        .args(["search", "翡翠项链", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hit_ids(&v)[0], "boston-emerald-necklace");
    // Its index lives under the user's cache folder, not in the working folder.
    assert!(dir.path().join(".cache/duibiao").is_dir());
    assert!(!dir.path().join("index").exists());
}

#[test]
fn odd_input_is_searched_not_crashed_on() {
    let sb = Sandbox::new();
    let long = "口袋公园".repeat(2_000);
    for args in [
        vec!["search", "口袋公园", "--limit", "18446744073709551615"],
        vec!["search", "口袋公园", "--limit", "0"],
        vec!["search", long.as_str()],
        vec!["search", "\u{7}\t口袋\u{200b}公园"],
        vec!["search", "🙂", "\"", "“", "「」"],
        vec!["search", ""],
    ] {
        let (code, _, err) = sb.run_text(&args);
        assert_eq!(code, 0, "{:?}: {err}", &args[..args.len().min(3)]);
        assert!(!err.contains("panicked"), "{err}");
    }
    let (code, _, err) = sb.run_text(&["search", "--city", ""]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn huge_limits_elsewhere_are_clamped_too() {
    let sb = Sandbox::new();
    for args in [
        [
            "similar",
            "new-york-pocket-parks",
            "--limit",
            "18446744073709551615",
        ],
        ["task", "BAY-03", "--limit", "18446744073709551615"],
    ] {
        let (code, _, err) = sb.run_text(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
    }
}

/// The lines of `after` that differ from `before`'s, which must have as many.
fn changed_lines(before: &str, after: &str) -> Vec<(String, String)> {
    let (b, a): (Vec<&str>, Vec<&str>) = (
        before.split_inclusive('\n').collect(),
        after.split_inclusive('\n').collect(),
    );
    assert_eq!(b.len(), a.len(), "line count changed:\n{after}");
    b.iter()
        .zip(&a)
        .filter(|(x, y)| x != y)
        .map(|(x, y)| (x.to_string(), y.to_string()))
        .collect()
}

#[test]
fn link_and_unlink_change_only_the_tasks_line_and_the_next_search_sees_it() {
    let sb = Sandbox::new();
    assert_eq!(sb.run_text(&["index"]).0, 0);
    let path = sb.lib().join("japan-smart-farming.md");
    let before = fs::read_to_string(&path).unwrap();

    let (code, out, err) = sb.run_text(&["link", "japan-smart-farming", "BAY-09", "bay-03"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("IND-10 → IND-10, BAY-09, BAY-03"), "{out}");
    assert!(
        err.contains("index updated (incremental: 1 edited"),
        "{err}"
    );
    let after = fs::read_to_string(&path).unwrap();
    assert_eq!(
        changed_lines(&before, &after),
        [(
            "tasks: [IND-10]\n".to_string(),
            "tasks: [IND-10, BAY-09, BAY-03]\n".to_string()
        )]
    );
    // Searches see it at once, without a rebuild of their own.
    let (code, out, err) = sb.run_text(&["search", "--task", "BAY-09", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("index"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(hit_ids(&v), ["japan-smart-farming"]);
    assert_eq!(sb.json(&["search", "--task", "BAY-03"])["total"], 3);

    // Linking again changes nothing, not even the file's time.
    let mtime = fs::metadata(&path).unwrap().modified().unwrap();
    let (code, out, _) = sb.run_text(&["link", "japan-smart-farming", "BAY-09"]);
    assert_eq!(code, 0);
    assert!(out.contains("unchanged"), "{out}");
    assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), mtime);

    let (code, _, err) = sb.run_text(&["unlink", "japan-smart-farming", "BAY-09", "BAY-03"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(fs::read_to_string(&path).unwrap(), before);
    assert_eq!(sb.json(&["search", "--task", "BAY-09"])["total"], 0);
}

#[test]
fn link_refuses_unknown_ids_and_changes_that_break_the_library() {
    let sb = Sandbox::new();
    assert_eq!(sb.run_text(&["index"]).0, 0);
    let path = sb.lib().join("japan-smart-farming.md");
    let before = fs::read(&path).unwrap();

    let (code, _, err) = sb.run_text(&["link", "japan-smart-farmin", "BAY-09"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("did you mean japan-smart-farming"), "{err}");
    let (code, _, err) = sb.run_text(&["link", "japan-smart-farming", "BAY-90"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no task with id \"BAY-90\""), "{err}");
    assert!(err.contains("BAY-09"), "{err}");

    // The plan names Japan as IND-10's precedent: unlinking its only case is refused, and
    // the file is put back byte for byte.
    let (code, _, err) = sb.run_text(&["unlink", "japan-smart-farming", "IND-10"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("precedent"), "{err}");
    assert_eq!(fs::read(&path).unwrap(), before);
    assert_eq!(sb.json(&["search", "--task", "IND-10"])["total"], 1);
    let leftovers: Vec<_> = fs::read_dir(sb.lib())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn index_says_which_kind_of_build_it_did() {
    let sb = Sandbox::new();
    let (code, out, _) = sb.run_text(&["index"]);
    assert_eq!(code, 0);
    assert!(out.contains("(full rebuild: no index yet)"), "{out}");
    let (_, out, _) = sb.run_text(&["index"]);
    assert!(
        out.contains("(incremental: 0 edited, 0 added, 0 removed"),
        "{out}"
    );
    let path = sb.lib().join("new-york-pocket-parks.md");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, format!("{text}\n袖珍绿地试点扩展到滨海步道。\n")).unwrap();
    let (code, out, err) = sb.run_text(&["search", "滨海步道", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("index updated (new-york-pocket-parks.md changed): incremental: 1 edited"),
        "{err}"
    );
    assert_eq!(
        hit_ids(&serde_json::from_str(&out).unwrap()),
        ["new-york-pocket-parks"]
    );
    let (_, out, _) = sb.run_text(&["index", "--full"]);
    assert!(out.contains("indexed 5 cases in"), "{out}");
    assert!(out.contains("(full rebuild: --full)"), "{out}");
    // A global file changed: the next search rebuilds everything.
    let plan = sb.lib().join("plan.yaml");
    fs::write(&plan, format!("{}\n", fs::read_to_string(&plan).unwrap())).unwrap();
    let (code, _, err) = sb.run_text(&["search", "滨海步道"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("index rebuilt (plan.yaml changed)"), "{err}");
}

/// A generation another version built is rebuilt whole, and both kinds of build say so
/// by that version's name, not as damage or as no index at all.
#[test]
fn an_index_from_another_version_is_rebuilt_and_named() {
    let sb = Sandbox::new();
    let make_foreign = || {
        assert_eq!(sb.run_text(&["index"]).0, 0);
        let meta = sb.live().join("duibiao.json");
        let text = fs::read_to_string(&meta).unwrap();
        let json = &text[..text.rfind("\n#xxh3 ").unwrap()];
        let ours = format!(r#""tool": "{}+format"#, env!("CARGO_PKG_VERSION"));
        let (at, len) = (json.find(&ours).unwrap(), ours.len());
        let end = at + len + json[at + len..].find('"').unwrap();
        let foreign = format!(r#"{}"tool": "0.0.1+format1{}"#, &json[..at], &json[end..]);
        let hash = duibiao::library::source::content_hash(foreign.as_bytes());
        fs::write(&meta, format!("{foreign}\n#xxh3 {hash:032x}\n")).unwrap();
    };
    make_foreign();
    let (code, out, err) = sb.run_text(&["index"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("(full rebuild: built by duibiao 0.0.1+format1)"),
        "{out}"
    );
    make_foreign();
    let (code, out, err) = sb.run_text(&["search", "公园", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("index rebuilt (built by duibiao 0.0.1+format1)"),
        "{err}"
    );
    assert!(!hit_ids(&serde_json::from_str(&out).unwrap()).is_empty());
    // The rebuilt generation is this version's: nothing more to rebuild.
    let (_, _, err) = sb.run_text(&["search", "公园"]);
    assert!(!err.contains("index"), "{err}");
}

/// Incremental builds killed at every stage, from linking the previous generation's files
/// to publishing: each time the generation that was live stays live, complete and right,
/// and the next build goes through.
#[test]
fn an_incremental_build_killed_at_any_point_leaves_the_previous_generation_serving() {
    use std::time::{Duration, Instant};
    let sb = Sandbox::new();
    let template = fs::read_to_string(sb.lib().join("japan-smart-farming.md")).unwrap();
    let filler = "数据化模式管理农业生产，全方位信息服务与政企合力推动智慧农业发展。".repeat(20);
    let write = |i: usize, extra: &str| {
        let id = format!("synthetic-{i:04}");
        let text = template
            .replace("id: japan-smart-farming", &format!("id: {id}"))
            .replace(
                "农户可以按数据安排生产。",
                &format!("农户可以按数据安排生产。{filler}{extra}{i}"),
            );
        fs::write(sb.lib().join(format!("{id}.md")), text).unwrap();
    };
    for i in 0..400 {
        write(i, "");
    }
    assert_eq!(sb.run_text(&["index"]).0, 0);
    let mut delay_ms = 0;
    let mut round = 0;
    loop {
        round += 1;
        // Sixty cases edited: an incremental build that takes a moment.
        let word = format!("滨海第{round}号试点");
        for i in 0..60 {
            write(i, &word);
        }
        let before = fs::read_to_string(sb.index().join("CURRENT")).unwrap();
        let mut child = sb
            .command(&["index"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(delay_ms) {
            std::thread::sleep(Duration::from_millis(1));
        }
        let finished = child.try_wait().unwrap().is_some();
        child.kill().unwrap();
        child.wait().unwrap();
        let now = fs::read_to_string(sb.index().join("CURRENT")).unwrap();
        let live = sb.index().join(now.trim());
        assert!(live.join("duibiao.json").is_file(), "round {round}");
        if now == before {
            // Killed before publishing: the old generation serves, and it does not know
            // this round's word.
            let (code, out, err) = sb.run_text(&["--no-rebuild", "search", "口袋公园", "--json"]);
            assert!(code == 0 || err.contains("cannot be used"), "{err}");
            if code == 0 {
                let v: serde_json::Value = serde_json::from_str(&out).unwrap();
                assert_eq!(v["total"], 2, "round {round}");
            }
        }
        // Whatever happened, the next search is right.
        assert_eq!(sb.json(&["search", &word])["total"], 60, "round {round}");
        assert_eq!(sb.json(&["search", "口袋公园"])["total"], 2);
        if finished || round > 20 {
            break;
        }
        delay_ms = (delay_ms * 8 / 5).max(10);
    }
    assert!(
        round > 3,
        "the builds finished too fast to be killed: {round}"
    );
    let gens = fs::read_dir(sb.index())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("gen-")
        })
        .count();
    assert!(gens <= 3, "{gens} generations left");
}

/// Once the library folder is old enough to stand for its names, a search `stat`s the
/// recorded names instead of reading the folder (the `settled` file then records the
/// folder too). Every kind of change is still found: an in-place edit of the same size
/// with its modification time put back, a new file, a removed one; a file that is no
/// library file changes nothing.
#[test]
fn a_settled_folder_still_shows_every_change() {
    let sb = Sandbox::new();
    assert_eq!(sb.run_text(&["index"]).0, 0);
    // Past the racy window of the copy and the build: the next search settles the folder.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let fresh = || sb.run_text(&["--no-rebuild", "search", "公园"]).0;
    assert_eq!(fresh(), 0);
    let settled = fs::read_to_string(sb.live().join("settled")).unwrap();
    assert_eq!(settled.split_whitespace().count(), 5, "{settled}");
    assert_eq!(fresh(), 0);

    // The same size, the same modification time: only the status-change time moved.
    let path = sb.lib().join("japan-smart-farming.md");
    let before = fs::read(&path).unwrap();
    let mut after = before.clone();
    *after.last_mut().unwrap() = b' ';
    common::write_keeping_mtime(&path, &after);
    assert_eq!(fresh(), 3, "a stale index is an error with --no-rebuild");
    // Its bytes back: the metadata moved, the content is compared and found the same.
    fs::write(&path, &before).unwrap();
    assert_eq!(fresh(), 0);
    // Once that write is past the racy window, a search records the file's new metadata
    // as standing for its content. Later searches then compare nothing: had one read the
    // file again, it would have recorded a later `settled` time.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(fresh(), 0);
    assert!(sb.live().join("stamps.settled.bin").is_file());
    let settled = fs::read_to_string(sb.live().join("settled")).unwrap();
    assert_eq!(fresh(), 0);
    assert_eq!(
        fs::read_to_string(sb.live().join("settled")).unwrap(),
        settled
    );
    // What follows checks against the recorded metadata.

    // An editor's swap file is no library file.
    fs::write(sb.lib().join(".japan-smart-farming.md.swp"), "swap").unwrap();
    assert_eq!(fresh(), 0);
    // A new case file, then the same one removed.
    fs::copy(&path, sb.lib().join("japan-copy.md")).unwrap();
    assert_eq!(fresh(), 3);
    fs::remove_file(sb.lib().join("japan-copy.md")).unwrap();
    assert_eq!(fresh(), 0);
    fs::remove_file(&path).unwrap();
    assert_eq!(fresh(), 3);
}
