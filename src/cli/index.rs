//! `duibiao index`: the build step. Fails loudly on a broken library and keeps the old
//! index serving.

use std::io::{IsTerminal, Write};

use clap::Args;

use super::Env;
use crate::library::LibraryError;
use crate::render::Level;
use crate::workspace::WorkspaceError;

/// Libraries smaller than this build in well under a second: no progress bar.
const PROGRESS_MIN_CASES: usize = 2_000;

fn progress_bar(done: usize, total: usize) {
    let width = 30;
    let filled = done * width / total.max(1);
    let mut err = std::io::stderr();
    let _ = write!(
        err,
        "\rindexing [{}{}] {done}/{total}",
        "#".repeat(filled),
        "-".repeat(width - filled)
    );
    if done == total {
        let _ = writeln!(err);
    }
}

#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Index every case anew, even when only some changed.
    #[arg(long)]
    pub full: bool,
}

pub fn run(env: &Env, args: &IndexArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let show_progress = std::io::stderr().is_terminal();
    let progress = |done: usize, total: usize| {
        if show_progress && total >= PROGRESS_MIN_CASES {
            progress_bar(done, total);
        }
    };
    let wait = || {
        env.term.say(
            Level::Note,
            "waiting for another build of the index to finish…",
        )
    };
    let built = if args.full {
        env.workspace.build_full(wait, &progress)
    } else {
        env.workspace.build(wait, &progress)
    };
    match built {
        Ok(report) => {
            if report.cases == 0 {
                writeln!(
                    out,
                    "the library holds no cases yet; indexed nothing (see README: how to add a case)"
                )?;
            }
            writeln!(
                out,
                "indexed {} cases in {:.2} s ({}); index size {:.1} MB ({})",
                report.cases,
                report.elapsed.as_secs_f64(),
                report.kind,
                report.bytes as f64 / 1_048_576.0,
                crate::library::diag::shown(&report.generation)
            )?;
            Ok(0)
        }
        Err(WorkspaceError::Library(LibraryError::Invalid(problems))) => {
            env.term.problems(&problems);
            env.term.say(
                Level::Error,
                &format!(
                    "index not built: the library has {} problem(s); the previous index is unchanged",
                    problems.len()
                ),
            );
            Ok(1)
        }
        Err(e) => Err(e.into()),
    }
}
