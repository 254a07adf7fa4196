//! What the plan and the library say together: the tasks with their linked cases, one task
//! with its linked and suggested cases, and the library in numbers. Computed here, on the
//! search side, so the command line and the web page render the same values.

use std::collections::BTreeMap;

use serde::Serialize;

use super::suggest_tasks::{is_precedent, task_cases};
use super::{Filters, Hit, Request, SearchError, Searcher};
use crate::library::names::suggestions;

/// A task and the ids of the cases linked to it.
#[derive(Debug, Serialize)]
pub struct TaskRow {
    pub id: String,
    /// The positioning's full name.
    pub positioning: String,
    pub positioning_code: String,
    pub title: String,
    pub summary: String,
    pub precedents: Vec<String>,
    pub cases: Vec<String>,
}

/// Every task (of the given positionings, or all), in plan order, with its cases.
pub fn task_rows(
    searcher: &Searcher,
    positionings: &[String],
) -> Result<Vec<TaskRow>, SearchError> {
    let plan = &searcher.catalog()?.plan;
    let mut codes = Vec::new();
    for p in positionings {
        match plan.resolve_positioning(p) {
            Some(x) => codes.push(x.code.clone()),
            None => {
                return Err(SearchError::UnknownFilter {
                    kind: "positioning",
                    value: p.clone(),
                    suggestions: suggestions(&plan.positionings, p),
                });
            }
        }
    }
    let linked = linked_ids(searcher)?;
    Ok(plan
        .tasks
        .iter()
        .filter(|t| codes.is_empty() || codes.contains(&t.positioning))
        .map(|t| TaskRow {
            id: t.id.clone(),
            positioning: plan
                .positioning_by_code(&t.positioning)
                .map_or_else(|| t.positioning.clone(), |p| p.name.clone()),
            positioning_code: t.positioning.clone(),
            title: t.title.clone(),
            summary: t.summary.clone(),
            precedents: t.precedents.clone(),
            cases: {
                // Cases from the places the plan names for the task come first.
                let mut hits: Vec<&Hit> = linked
                    .iter()
                    .filter(|(task, _)| *task == t.id)
                    .map(|(_, h)| h)
                    .collect();
                hits.sort_by(|a, b| {
                    is_precedent(t, b)
                        .cmp(&is_precedent(t, a))
                        .then_with(|| a.id.cmp(&b.id))
                });
                hits.into_iter().map(|h| h.id.clone()).collect()
            },
        })
        .collect())
}

/// (task, case) pairs for every link.
fn linked_ids(searcher: &Searcher) -> Result<Vec<(String, Hit)>, SearchError> {
    // One listing of every case, in id order, read once: a search per task cost a
    // query each (50 of them for the shipped plan) where the hits carry their tasks.
    let every = searcher.search(&Request::new(
        "",
        Filters::default(),
        searcher.num_cases().max(1) as usize,
    ))?;
    let mut out = Vec::new();
    for h in every.hits {
        for task in &h.tasks {
            out.push((task.clone(), h.clone()));
        }
    }
    Ok(out)
}

/// `task ID --json`.
#[derive(Debug, Serialize)]
pub struct TaskView {
    pub task: TaskRow,
    pub linked: Vec<Hit>,
    pub suggested: Vec<Hit>,
}

/// One task with its linked cases, then the suggested ones (`task ID`).
pub fn task_view(searcher: &Searcher, id: &str, limit: usize) -> Result<TaskView, SearchError> {
    let cases = task_cases(searcher, id, limit)?;
    let canonical = searcher
        .catalog()?
        .plan
        .resolve_task(id)
        .map_or_else(|| id.to_string(), |t| t.id.clone());
    let row = task_rows(searcher, &[])?
        .into_iter()
        .find(|r| r.id == canonical)
        .ok_or_else(|| SearchError::UnknownTask {
            id: id.to_string(),
            suggestions: Vec::new(),
        })?;
    Ok(TaskView {
        task: row,
        linked: cases.linked,
        suggested: cases.suggested,
    })
}

/// The library in numbers (`stats --json` in the README's command-line contract).
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
    /// Cases by the year their facts were last checked (`checked`); cases without a
    /// `checked` month are not counted here.
    pub by_checked_year: BTreeMap<String, u64>,
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
        by_checked_year: searcher.counts(f.checked_year)?,
    })
}

/// Counts of each filter value among the cases a query matches, for the page's facets.
/// As on the command line, the values of one filter are OR-ed and filters are AND-ed; so
/// a facet's counts come from the query with every *other* filter applied, and choosing
/// a second value of the same facet adds to the results instead of emptying them.
#[derive(Debug, Serialize, PartialEq)]
pub struct Facets {
    /// Matches with every filter applied (the search's own total).
    pub total: usize,
    pub positioning: BTreeMap<String, u64>,
    pub country: BTreeMap<String, u64>,
    pub city: BTreeMap<String, u64>,
    pub topic: BTreeMap<String, u64>,
    pub task: BTreeMap<String, u64>,
    /// Cities among the matches with every filter applied: what a map of the results shows.
    pub hits_by_city: BTreeMap<String, u64>,
}

pub fn facets(searcher: &Searcher, text: &str, filters: &Filters) -> Result<Facets, SearchError> {
    let every = searcher.num_cases().max(1) as usize;
    let hits_with = |f: &Filters| -> Result<(usize, Vec<Hit>), SearchError> {
        let r = searcher.search(&Request::new(text, f.clone(), every))?;
        Ok((r.total, r.hits))
    };
    let (total, all_hits) = hits_with(filters)?;
    // A facet with no value chosen counts over the fully filtered hits; one with values
    // counts over the hits of the other filters alone.
    let count = |pick: fn(&Hit) -> &Vec<String>,
                 clear: fn(&mut Filters)|
     -> Result<BTreeMap<String, u64>, SearchError> {
        let mut without = filters.clone();
        clear(&mut without);
        let own;
        let hits = if without == *filters {
            &all_hits
        } else {
            own = hits_with(&without)?.1;
            &own
        };
        let mut m = BTreeMap::new();
        for h in hits {
            for v in pick(h) {
                *m.entry(v.clone()).or_insert(0) += 1;
            }
        }
        Ok(m)
    };
    let mut hits_by_city = BTreeMap::new();
    for h in &all_hits {
        for c in &h.cities {
            *hits_by_city.entry(c.clone()).or_insert(0) += 1;
        }
    }
    Ok(Facets {
        total,
        positioning: count(|h| &h.positioning, |f| f.positionings.clear())?,
        country: count(|h| &h.countries, |f| f.countries.clear())?,
        city: count(|h| &h.cities, |f| f.cities.clear())?,
        topic: count(|h| &h.topics, |f| f.topics.clear())?,
        task: count(|h| &h.tasks, |f| f.tasks.clear())?,
        hits_by_city,
    })
}
