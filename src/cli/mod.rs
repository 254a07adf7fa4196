//! The command line: clap types, and one file per command that turns parsed arguments into
//! a call on the library or the searcher and hands the result to [`crate::render`].
//! No parsing or search logic lives here.

mod check;
mod conventions;
mod export;
mod index;
mod link;
mod search;
mod serve;
mod show;
mod similar;
mod stats;
mod suggest_links;
mod tasks;

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::render::{self, Level, Style};
use crate::search::writer::BuildKind;
use crate::search::{SearchError, Searcher};
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

    /// When to colour output: auto colours a stream only when it is a terminal, and
    /// honours NO_COLOR (never) and CLICOLOR_FORCE (always).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t = ColorWhen::Auto,
        value_name = "WHEN"
    )]
    pub color: ColorWhen,

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
    /// One task: its linked cases, then suggested cases, each with why it was suggested.
    Task(tasks::TaskArgs),
    /// For every task, the unlinked cases that rank among its best five: a review list
    /// for an editor, and the tasks no case informs.
    SuggestLinks(suggest_links::SuggestLinksArgs),
    /// Validate the whole library; every problem as path:line:col: message.
    Check(check::CheckArgs),
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
    /// Every case for another search engine (NDJSON, Elasticsearch/OpenSearch _bulk,
    /// Typesense), or that engine's mapping.
    Export(export::ExportArgs),
    /// Print a shell completion script (see the README for where to put it).
    Completions(conventions::CompletionsArgs),
    /// Print the man page (roff), e.g. `duibiao man > ~/.local/share/man/man1/duibiao.1`.
    Man,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

/// How stdout and stderr are decorated, decided once per run from `--color`, the
/// environment (NO_COLOR, CLICOLOR_FORCE, CLICOLOR, TERM) and whether each stream is a
/// terminal: output piped into a file while messages go to a terminal colours only the
/// messages.
#[derive(Debug, Clone, Copy)]
pub struct Term {
    /// For what a command prints on stdout.
    pub out: Style,
    /// For messages on stderr.
    pub err: Style,
}

impl Term {
    pub fn detect(when: ColorWhen) -> Term {
        // anstream's rules for "auto" (the ones clap follows): NO_COLOR wins, then
        // CLICOLOR_FORCE, then a terminal that is not TERM=dumb.
        let colour = |auto: anstream::ColorChoice| match when {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => auto != anstream::ColorChoice::Never,
        };
        let stdout = io::stdout();
        let out = colour(anstream::AutoStream::choice(&stdout));
        let err = colour(anstream::AutoStream::choice(&io::stderr()));
        // Wrap only for a person reading a terminal; a pipe or a file gets whole lines.
        let width = stdout
            .is_terminal()
            .then(|| terminal_size::terminal_size_of(&stdout))
            .flatten()
            .map(|(w, _)| usize::from(w.0));
        Term {
            out: Style::new(out, width),
            err: Style::new(err, None),
        }
    }

    /// stdout as the commands write to it: escape codes passed through (or translated for
    /// an old Windows console) when it takes colour, the bytes as they are otherwise.
    pub fn stdout(&self) -> Box<dyn Write> {
        let lock = io::stdout().lock();
        if self.out.color {
            Box::new(anstream::AutoStream::always(lock))
        } else {
            Box::new(lock)
        }
    }

    fn stderr(&self) -> anstream::AutoStream<io::StderrLock<'static>> {
        let lock = io::stderr().lock();
        if self.err.color {
            anstream::AutoStream::always(lock)
        } else {
            anstream::AutoStream::never(lock)
        }
    }

    /// Writes one message to stderr. A failed write to stderr has nowhere to be reported.
    pub fn say(&self, level: Level, text: &str) {
        let _ = writeln!(self.stderr(), "{}", render::message(&self.err, level, text));
    }

    /// Writes the library's problems to stderr, one a line.
    pub fn problems(&self, problems: &[crate::library::Diagnostic]) {
        let mut err = self.stderr();
        for p in problems {
            let _ = writeln!(err, "{}", render::problem(&self.err, p));
        }
    }
}

/// `--json` alone.
#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON (the shapes in the README's command-line contract) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// What every command gets: where things are, and how to write.
pub struct Env {
    pub workspace: Workspace,
    pub rebuild: bool,
    /// How to decorate stdout.
    pub style: Style,
    /// How to write to stderr.
    pub term: Term,
}

impl Env {
    /// Runs `f` on a searcher of a fresh index (rebuilt first, or after damage shows, as
    /// [`Workspace::query`] says); says on stderr when it rebuilt or fell back.
    pub fn query<T>(
        &self,
        f: impl Fn(&Searcher) -> Result<T, SearchError>,
    ) -> Result<T, WorkspaceError> {
        let (value, freshness) = self
            .workspace
            .query(self.rebuild, || self.wait_message(), f)?;
        self.report(freshness);
        Ok(value)
    }

    /// A searcher on a fresh index; says on stderr when it rebuilt or fell back. Prefer
    /// [`Env::query`], which also mends an index that turns out damaged while it is read.
    pub fn searcher(&self) -> Result<Searcher, WorkspaceError> {
        let (searcher, freshness) = self
            .workspace
            .searcher(self.rebuild, || self.wait_message())?;
        self.report(freshness);
        Ok(searcher)
    }

    fn wait_message(&self) {
        self.term.say(
            Level::Note,
            "waiting for another build of the index to finish…",
        );
    }

    /// Says on stderr what happened to the index before the command ran, if anything.
    fn report(&self, freshness: Freshness) {
        match freshness {
            Freshness::Fresh => {}
            Freshness::Rebuilt { reason, report } => match &report.kind {
                BuildKind::Full { .. } => self.term.say(
                    Level::Note,
                    &format!(
                        "index rebuilt ({reason}): {} cases in {:.2} s",
                        report.cases,
                        report.elapsed.as_secs_f64()
                    ),
                ),
                kind @ BuildKind::Incremental { .. } => self.term.say(
                    Level::Note,
                    &format!(
                        "index updated ({reason}): {kind}; {} cases, in {:.2} s",
                        report.cases,
                        report.elapsed.as_secs_f64()
                    ),
                ),
            },
            Freshness::StaleButBroken { problems } => self.term.say(
                Level::Warning,
                &format!(
                    "warning: the library has {problems} problem(s) (run `duibiao check`); searching the last good index"
                ),
            ),
            Freshness::StaleRebuildFailed { reason, error } => self.term.say(
                Level::Warning,
                &format!(
                    "warning: the index needs a rebuild ({reason}) but it failed: {error}; searching the last good index"
                ),
            ),
        }
    }
}

/// Runs the parsed command, writing its output to `out` and its messages through `term`.
pub fn run(cli: Cli, term: Term, out: &mut dyn Write) -> anyhow::Result<i32> {
    let env = Env {
        workspace: Workspace::resolve(cli.library, cli.index),
        rebuild: !cli.no_rebuild,
        style: term.out,
        term,
    };
    match cli.command {
        Command::Search(a) => search::run(&env, &a, out),
        Command::Show(a) => show::run(&env, &a, out),
        Command::Similar(a) => similar::run(&env, &a, out),
        Command::Stats(a) => stats::run(&env, a.json, out),
        Command::Tasks(a) => tasks::run_tasks(&env, &a, out),
        Command::Task(a) => tasks::run_task(&env, &a, out),
        Command::SuggestLinks(a) => suggest_links::run(&env, &a, out),
        Command::Serve(a) => serve::run(&env, &a, out),
        Command::Export(a) => export::run(&env, &a, out),
        Command::Check(a) => check::run(&env, &a, out),
        Command::Index(a) => index::run(&env, &a, out),
        Command::Link(a) => link::run(&env, &a, true, out),
        Command::Unlink(a) => link::run(&env, &a, false, out),
        Command::Completions(a) => conventions::completions(&a, out),
        Command::Man => conventions::man(out),
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
