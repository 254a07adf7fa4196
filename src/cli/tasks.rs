//! `duibiao tasks` and `duibiao task ID`: the plan's tasks and the cases that inform them.

use std::io::Write;

use clap::Args;

use super::Env;
use crate::render;
use crate::search::insights::{task_rows, task_view};

#[derive(Debug, Args)]
pub struct TasksArgs {
    /// Only tasks under this positioning (name, code or alias); repeatable.
    #[arg(long, value_name = "POSITIONING")]
    pub positioning: Vec<String>,
    /// Print JSON (see the README: command-line contract).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TaskArgs {
    /// The task id, e.g. BAY-03.
    pub id: String,
    /// How many suggested cases to show (after every linked one).
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub limit: usize,
    /// Print JSON (see the README: command-line contract).
    #[arg(long)]
    pub json: bool,
}

pub fn run_tasks(env: &Env, args: &TasksArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let rows = env.query(|s| task_rows(s, &args.positioning))?;
    if args.json {
        super::write_json(out, &rows)?;
    } else {
        render::tasks(out, &rows, &env.style)?;
    }
    Ok(0)
}

pub fn run_task(env: &Env, args: &TaskArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let view = env.query(|s| task_view(s, &args.id, args.limit))?;
    if args.json {
        super::write_json(out, &view)?;
    } else {
        render::task(out, &view, &env.style)?;
    }
    Ok(0)
}
