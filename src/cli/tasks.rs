//! `duibiao tasks` and `duibiao task ID`: the plan's tasks and the cases that inform them.

use std::io::Write;

use clap::Args;
use serde::Serialize;

use super::Env;
use crate::library::names::suggestions;
use crate::render;
use crate::search::searcher::is_precedent;
use crate::search::{Hit, SearchError, Searcher};

#[derive(Debug, Args)]
pub struct TasksArgs {
    /// Only tasks under this positioning (name, code or alias); repeatable.
    #[arg(long, value_name = "POSITIONING")]
    pub positioning: Vec<String>,
    /// Print JSON (CLI.md).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TaskArgs {
    /// The task id, e.g. BAY-03.
    pub id: String,
    /// How many suggested cases to show.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub limit: usize,
    /// Print JSON (CLI.md).
    #[arg(long)]
    pub json: bool,
}

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
    let mut out = Vec::new();
    for task in searcher.counts(searcher.fields().task)?.into_keys() {
        let filters = crate::search::Filters {
            tasks: vec![task.clone()],
            ..Default::default()
        };
        let all = searcher.search(&crate::search::Request::new(
            "",
            filters,
            searcher.num_cases().max(1) as usize,
        ))?;
        out.extend(all.hits.into_iter().map(|h| (task.clone(), h)));
    }
    Ok(out)
}

pub fn run_tasks(env: &Env, args: &TasksArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let searcher = env.searcher()?;
    let rows = task_rows(&searcher, &args.positioning)?;
    if args.json {
        super::write_json(out, &rows)?;
    } else {
        render::tasks(out, &rows, &env.style)?;
    }
    Ok(0)
}

/// `task ID --json`.
#[derive(Debug, Serialize)]
pub struct TaskView {
    pub task: TaskRow,
    pub linked: Vec<Hit>,
    pub suggested: Vec<Hit>,
}

pub fn run_task(env: &Env, args: &TaskArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let searcher = env.searcher()?;
    let (linked, suggested) = searcher.task_cases(&args.id, args.limit)?;
    let id = searcher
        .catalog()?
        .plan
        .resolve_task(&args.id)
        .map_or_else(|| args.id.clone(), |t| t.id.clone());
    let row = task_rows(&searcher, &[])?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| SearchError::UnknownTask {
            id: args.id.clone(),
            suggestions: Vec::new(),
        })?;
    let view = TaskView {
        task: row,
        linked,
        suggested,
    };
    if args.json {
        super::write_json(out, &view)?;
    } else {
        render::task(out, &view, &env.style)?;
    }
    Ok(0)
}
