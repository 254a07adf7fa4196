//! The `duibiao` binary: parse, dispatch, map errors to an exit code. Nothing else.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use duibiao::cli::{self, Cli};
use duibiao::library::LibraryError;
use duibiao::search::SearchError;
use duibiao::workspace::WorkspaceError;

/// Exit codes (CLI.md).
const INVALID_LIBRARY: u8 = 1;
const USAGE: u8 = 2;
const INDEX_OR_IO: u8 = 3;

fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<SearchError>()
            && matches!(
                e,
                SearchError::UnknownFilter { .. }
                    | SearchError::UnknownCase { .. }
                    | SearchError::UnknownTask { .. }
            )
        {
            return USAGE;
        }
        if let Some(LibraryError::Invalid(_)) = cause.downcast_ref::<LibraryError>() {
            return INVALID_LIBRARY;
        }
        if let Some(WorkspaceError::Library(LibraryError::Invalid(_))) =
            cause.downcast_ref::<WorkspaceError>()
        {
            return INVALID_LIBRARY;
        }
        if let Some(WorkspaceError::Search(e)) = cause.downcast_ref::<WorkspaceError>()
            && matches!(
                e,
                SearchError::UnknownFilter { .. }
                    | SearchError::UnknownCase { .. }
                    | SearchError::UnknownTask { .. }
            )
        {
            return USAGE;
        }
    }
    INDEX_OR_IO
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == Some(io::ErrorKind::BrokenPipe))
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = cli::run(cli, &mut out).and_then(|code| {
        out.flush()?;
        Ok(code)
    });
    match result {
        Ok(code) => ExitCode::from(code as u8),
        // `duibiao search … | head` closing the pipe early is not a failure.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = out.flush();
            if let Some(LibraryError::Invalid(problems)) =
                e.downcast_ref::<LibraryError>().or_else(|| {
                    e.downcast_ref::<WorkspaceError>().and_then(|w| match w {
                        WorkspaceError::Library(l) => Some(l),
                        _ => None,
                    })
                })
            {
                for p in problems {
                    eprintln!("{p}");
                }
            }
            eprintln!("duibiao: {e:#}");
            ExitCode::from(exit_code(&e))
        }
    }
}
