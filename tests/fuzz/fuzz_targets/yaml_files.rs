//! The library's YAML and text files: the same input read as places.yaml, as plan.yaml
//! (against the fixture gazetteer), as synonyms.yaml and as dict.txt. Never a panic; every
//! problem pinned.
#![no_main]

#[path = "checks.rs"]
mod checks;

use std::path::Path;
use std::sync::OnceLock;

use duibiao::library::diag::{Diagnostics, FileText};
use duibiao::library::{Places, extras, places, plan};
use libfuzzer_sys::fuzz_target;

fn fixture_places() -> &'static Places {
    static P: OnceLock<Places> = OnceLock::new();
    P.get_or_init(|| {
        let mut d = Diagnostics::new();
        places::parse(
            &FileText {
                path: Path::new("places.yaml"),
                text: include_str!("../../fixtures/valid/places.yaml"),
            },
            &mut d,
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let at = |name: &'static str| FileText {
        path: Path::new(name),
        text,
    };

    let mut d = Diagnostics::new();
    let _ = places::parse(&at("lib/places.yaml"), &mut d);
    checks::pinned(&d.into_sorted(), text);

    let mut d = Diagnostics::new();
    let mut spans = plan::PrecedentSpans::default();
    let _ = plan::parse(&at("lib/plan.yaml"), fixture_places(), &mut d, &mut spans);
    checks::pinned(&d.into_sorted(), text);

    let mut d = Diagnostics::new();
    let _ = extras::parse_synonyms(&at("lib/synonyms.yaml"), &mut d);
    checks::pinned(&d.into_sorted(), text);

    let mut d = Diagnostics::new();
    let _ = extras::parse_dict(&at("lib/dict.txt"), &mut d);
    checks::pinned(&d.into_sorted(), text);
});
