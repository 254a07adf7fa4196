//! A case file: front matter split, YAML read, fields checked against the fixture
//! gazetteer and plan, body sections read. Never a panic; every problem pinned.
#![no_main]

#[path = "checks.rs"]
mod checks;

use std::path::Path;
use std::sync::OnceLock;

use duibiao::library::case::{self, Refs};
use duibiao::library::diag::{Diagnostics, FileText};
use duibiao::library::{Places, Plan, frontmatter, places, plan};
use libfuzzer_sys::fuzz_target;

fn refs() -> &'static (Places, Plan) {
    static R: OnceLock<(Places, Plan)> = OnceLock::new();
    R.get_or_init(|| {
        let mut d = Diagnostics::new();
        let places_text = include_str!("../../fixtures/valid/places.yaml");
        let places = places::parse(
            &FileText {
                path: Path::new("places.yaml"),
                text: places_text,
            },
            &mut d,
        );
        let plan = plan::parse(
            &FileText {
                path: Path::new("plan.yaml"),
                text: include_str!("../../fixtures/valid/plan.yaml"),
            },
            &places,
            &mut d,
            &mut plan::PrecedentSpans::default(),
        );
        assert!(d.is_empty(), "the fixtures are valid");
        (places, plan)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = frontmatter::split(text);
    let (places, plan) = refs();
    let file = FileText {
        path: Path::new("cases/fuzz-case.md"),
        text,
    };
    for refs in [
        Refs {
            places: Some(places),
            plan: Some(plan),
        },
        Refs {
            places: None,
            plan: None,
        },
    ] {
        let mut d = Diagnostics::new();
        let parsed = case::parse(&file, "fuzz-case", refs, &mut d);
        let problems = d.into_sorted();
        assert!(parsed.case.is_none() || problems.is_empty());
        if let Some(c) = parsed.case {
            let _ = c.plain_body();
        }
        checks::pinned(&problems, text);
    }
});
