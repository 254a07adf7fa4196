//! The shipped library as a product: every case is complete and sourced, the library has
//! the handbook's shape, and the plan's named precedents are linked and listed first.

mod common;

use std::collections::BTreeSet;

use common::{Sandbox, shipped_library};
use duibiao::library::{self, Origin, SECTIONS};

fn shipped() -> duibiao::library::Library {
    library::load(&Origin::Dir(shipped_library())).expect("the shipped library is valid")
}

#[test]
fn every_case_has_a_web_source_and_the_four_sections() {
    for case in &shipped().cases {
        assert!(
            case.sources.iter().any(|s| s
                .url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://") || u.starts_with("http://"))),
            "{} has no source with an http(s) URL",
            case.id
        );
        let found: Vec<String> = library::markdown::sections(&case.body)
            .into_iter()
            .map(|s| s.title)
            .collect();
        let wanted: Vec<String> = SECTIONS.iter().map(|s| s.to_string()).collect();
        assert_eq!(found, wanted, "{}: sections", case.id);
    }
}

#[test]
fn every_case_is_600_to_1500_chinese_characters_with_no_markup_leaking() {
    for case in &shipped().cases {
        let plain = case.plain_body();
        let n = plain
            .chars()
            .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
            .count();
        assert!(
            (600..=1500).contains(&n),
            "{}: {n} Chinese characters",
            case.id
        );
        assert!(
            !plain.contains("**"),
            "{}: emphasis markup shows as text",
            case.id
        );
    }
}

#[test]
fn stats_report_the_handbooks_shape() {
    let sb = Sandbox::from(&shipped_library());
    let v = sb.json(&["stats"]);
    assert_eq!(v["cases"], 88);
    assert_eq!(v["cities"], 35);
    assert_eq!(v["countries"], 17);
    let lib = shipped();
    for city in &lib.places.cities {
        assert!(
            v["by_city"][&city.name].as_u64().unwrap_or(0) >= 1,
            "no case from {}",
            city.name
        );
    }
    for country in &lib.places.countries {
        assert!(
            v["by_country"][&country.name].as_u64().unwrap_or(0) >= 1,
            "no case from {}",
            country.name
        );
    }
    for p in lib.plan.positionings.iter().filter(|p| p.code != "OTH") {
        assert!(
            v["by_positioning"][&p.name].as_u64().unwrap_or(0) >= 1,
            "no case under {}",
            p.name
        );
    }
}

#[test]
fn the_plan_lists_its_stated_task_counts_and_no_more() {
    let lib = shipped();
    let counts: Vec<(String, u32)> = lib
        .plan
        .positionings
        .iter()
        .map(|p| (p.code.clone(), p.task_count))
        .collect();
    let expected = [
        ("IND", 28),
        ("OCE", 8),
        ("INN", 16),
        ("HUB", 13),
        ("BAY", 32),
        ("GOV", 25),
        ("OTH", 3),
    ];
    assert_eq!(counts, expected.map(|(c, n)| (c.to_string(), n)));
    assert_eq!(counts.iter().map(|c| c.1).sum::<u32>(), 125);
    for p in &lib.plan.positionings {
        let listed = lib
            .plan
            .tasks
            .iter()
            .filter(|t| t.positioning == p.code)
            .count() as u32;
        assert!(listed <= p.task_count, "{}", p.code);
    }
    assert!(
        (40..=50).contains(&lib.plan.tasks.len()),
        "{}",
        lib.plan.tasks.len()
    );
}

#[test]
fn each_named_precedent_is_linked_and_listed_first() {
    let lib = shipped();
    let sb = Sandbox::from(&shipped_library());
    let mut checked = 0;
    for task in lib.plan.tasks.iter().filter(|t| !t.precedents.is_empty()) {
        let v = sb.json(&["task", &task.id]);
        let linked = v["linked"].as_array().unwrap();
        let from_precedent = |h: &serde_json::Value| {
            task.precedents.iter().any(|p| {
                h["cities"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c == p.as_str())
                    || h["countries"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|c| c == p.as_str())
            })
        };
        // Every named place has a linked case, and those cases come before any other.
        for p in &task.precedents {
            assert!(
                linked.iter().any(|h| h["cities"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .chain(h["countries"].as_array().unwrap())
                    .any(|c| c == p.as_str())),
                "{}: no linked case from {p}",
                task.id
            );
        }
        let flags: Vec<bool> = linked.iter().map(from_precedent).collect();
        let first_other = flags.iter().position(|f| !f).unwrap_or(flags.len());
        assert!(
            flags[first_other..].iter().all(|f| !f),
            "{}: precedents not first: {flags:?}",
            task.id
        );
        let suggested: BTreeSet<&str> = v["suggested"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap())
            .collect();
        assert!(
            linked
                .iter()
                .all(|h| !suggested.contains(h["id"].as_str().unwrap())),
            "{}",
            task.id
        );
        checked += 1;
    }
    assert!(checked >= 8, "{checked}");
}

#[test]
fn coverage_is_reported_over_all_tasks() {
    let lib = shipped();
    let covered = lib
        .plan
        .tasks
        .iter()
        .filter(|t| lib.cases.iter().any(|c| c.tasks.contains(&t.id)))
        .count();
    let sb = Sandbox::from(&shipped_library());
    let (code, out, _) = sb.run_text(&["tasks"]);
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!(
            "coverage: {covered}/{} tasks",
            lib.plan.tasks.len()
        )),
        "{out}"
    );
    let rows = sb.json(&["tasks"]);
    let with_cases = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["cases"].as_array().unwrap().is_empty())
        .count();
    assert_eq!(with_cases, covered);
}
