//! The command line: clap types, and one file per command that turns parsed arguments into
//! a call on the library or the searcher and hands the result to [`crate::render`].
//! No parsing or search logic lives here.

mod check;
mod index;
mod link;
mod search;
mod serve;
mod show;
mod similar;
mod stats;
mod tasks;

use std::io::{self, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::render::Style;
use crate::search::writer::BuildKind;
use crate::search::{RawFilters, Searcher};
use crate::workspace::{Freshness, Workspace, WorkspaceError};

/// duibiao (对标): search a library of benchmark cases for Qingdao's "国际化+" action plan.
#[derive(Debug, Parser)]
#[command(name = "duibiao", version, about, long_about = None)]
pub struct Cli {
    /// The library folder (case files, places.yaml, plan.yaml). Default: ./cases when it
    /// holds a plan.yaml, else the library built into the binary.
    #[arg(long, global = true, env = "DUIBIAO_LIBRARY", value_name = "DIR")]
    pub library: Option<PathBuf>,

    /// The index folder. Default: index/ beside a library folder named cases, else a folder
    /// under the user's cache directory.
    #[arg(long, global = true, env = "DUIBIAO_INDEX", value_name = "DIR")]
    pub index: Option<PathBuf>,

    /// Fail instead of rebuilding a missing or stale index.
    #[arg(long, global = true)]
    pub no_rebuild: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ranked cases with the matching passage highlighted; with no QUERY, every case that
    /// passes the filters, in id order.
    Search(search::SearchArgs),
    /// One case, whole.
    Show(show::ShowArgs),
    /// The cases most like a given one.
    Similar(similar::SimilarArgs),
    /// Counts by country, city, positioning, topic and task.
    Stats(JsonFlag),
    /// The plan's tasks, each with the cases linked to it.
    Tasks(tasks::TasksArgs),
    /// One task: its linked cases, then cases a search of its text suggests.
    Task(tasks::TaskArgs),
    /// Validate the whole library; every problem as path:line:col: message.
    Check,
    /// Bring the index up to date now (only the changed cases when only cases changed);
    /// on failure the old index keeps serving.
    Index(index::IndexArgs),
    /// Link a case to tasks: rewrites only the `tasks:` line of its front matter, checks
    /// the library and updates the index.
    Link(link::LinkArgs),
    /// Unlink a case from tasks (the opposite of `link`).
    Unlink(link::LinkArgs),
    /// The web page and its JSON API on a local address (http://127.0.0.1:8080/).
    Serve(serve::ServeArgs),
}

/// `--json` alone.
#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON (the shapes in CLI.md) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Filters shared by commands that list cases.
#[derive(Debug, Args, Default)]
pub struct FilterArgs {
    /// Only cases from this city (name or alias, e.g. 波士顿, Boston, bosidun); repeatable.
    #[arg(long, value_name = "CITY")]
    pub city: Vec<String>,
    /// Only cases from this country or region (e.g. 美国, USA); repeatable.
    #[arg(long, value_name = "COUNTRY")]
    pub country: Vec<String>,
    /// Only cases under this positioning (full name, code or alias, e.g. BAY, 湾区); repeatable.
    #[arg(long, value_name = "POSITIONING")]
    pub positioning: Vec<String>,
    /// Only cases with this topic tag; repeatable.
    #[arg(long, value_name = "TOPIC")]
    pub topic: Vec<String>,
    /// Only cases linked to this task (e.g. BAY-03); repeatable.
    #[arg(long, value_name = "TASK")]
    pub task: Vec<String>,
}

impl FilterArgs {
    pub fn raw(&self) -> RawFilters {
        RawFilters {
            cities: self.city.clone(),
            countries: self.country.clone(),
            positionings: self.positioning.clone(),
            topics: self.topic.clone(),
            tasks: self.task.clone(),
        }
    }
}

/// What every command gets: where things are, and how to write.
pub struct Env {
    pub workspace: Workspace,
    pub rebuild: bool,
    pub style: Style,
}

impl Env {
    /// A searcher on a fresh index; says on stderr when it rebuilt or fell back.
    pub fn searcher(&self) -> Result<Searcher, WorkspaceError> {
        let (searcher, freshness) = self.workspace.searcher(self.rebuild, || {
            eprintln!("duibiao: waiting for another build of the index to finish…");
        })?;
        match freshness {
            Freshness::Fresh => {}
            Freshness::Rebuilt { reason, report } => match &report.kind {
                BuildKind::Full { .. } => eprintln!(
                    "duibiao: index rebuilt ({reason}): {} cases in {:.2} s",
                    report.cases,
                    report.elapsed.as_secs_f64()
                ),
                kind @ BuildKind::Incremental { .. } => eprintln!(
                    "duibiao: index updated ({reason}): {kind}; {} cases, in {:.2} s",
                    report.cases,
                    report.elapsed.as_secs_f64()
                ),
            },
            Freshness::StaleButBroken { problems } => eprintln!(
                "duibiao: warning: the library has {problems} problem(s) (run `duibiao check`); searching the last good index"
            ),
        }
        Ok(searcher)
    }
}

/// Runs the parsed command, writing its output to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> anyhow::Result<i32> {
    let env = Env {
        workspace: Workspace::resolve(cli.library, cli.index),
        rebuild: !cli.no_rebuild,
        style: Style::detect(),
    };
    match cli.command {
        Command::Search(a) => search::run(&env, &a, out),
        Command::Show(a) => show::run(&env, &a, out),
        Command::Similar(a) => similar::run(&env, &a, out),
        Command::Stats(a) => stats::run(&env, a.json, out),
        Command::Tasks(a) => tasks::run_tasks(&env, &a, out),
        Command::Task(a) => tasks::run_task(&env, &a, out),
        Command::Check => check::run(&env, out),
        Command::Index(a) => index::run(&env, &a, out),
        Command::Serve(a) => serve::run(&env, &a, out),
        Command::Link(a) => link::run(&env, &a, true, out),
        Command::Unlink(a) => link::run(&env, &a, false, out),
    }
}

/// Writes JSON followed by a newline.
pub fn write_json<T: serde::Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
