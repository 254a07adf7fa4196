//! `duibiao stats`: counts, read from the index's exact fields (no case is loaded).

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use super::Env;
use crate::render;
use crate::search::{SearchError, Searcher};

/// The library in numbers (CLI.md's `stats --json`).
#[derive(Debug, Serialize)]
pub struct Stats {
    pub cases: u64,
    /// Distinct cities named by cases.
    pub cities: usize,
    /// Distinct countries and regions named by cases.
    pub countries: usize,
    pub by_country: BTreeMap<String, u64>,
    pub by_city: BTreeMap<String, u64>,
    pub by_positioning: BTreeMap<String, u64>,
    pub by_topic: BTreeMap<String, u64>,
    /// Every task of the plan, with 0 for a task no case informs yet.
    pub by_task: BTreeMap<String, u64>,
}

pub fn stats(searcher: &Searcher) -> Result<Stats, SearchError> {
    let f = searcher.fields();
    let by_country = searcher.counts(f.country)?;
    let by_city = searcher.counts(f.city)?;
    let mut by_task = searcher.counts(f.task)?;
    for t in &searcher.catalog()?.plan.tasks {
        by_task.entry(t.id.clone()).or_insert(0);
    }
    Ok(Stats {
        cases: searcher.num_cases(),
        cities: by_city.len(),
        countries: by_country.len(),
        by_country,
        by_city,
        by_positioning: searcher.counts(f.positioning)?,
        by_topic: searcher.counts(f.topic)?,
        by_task,
    })
}

pub fn run(env: &Env, json: bool, out: &mut dyn Write) -> anyhow::Result<i32> {
    let searcher = env.searcher()?;
    let s = stats(&searcher)?;
    if json {
        super::write_json(out, &s)?;
    } else {
        render::stats(out, &s, &env.style)?;
    }
    Ok(0)
}
