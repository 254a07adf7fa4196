//! The `duibiao` binary: parse, dispatch, map errors to an exit code. Nothing else.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use duibiao::cli::{self, Cli, Term};
use duibiao::library::LibraryError;
use duibiao::library::link::LinkError;
use duibiao::render::Level;
use duibiao::search::SearchError;
use duibiao::workspace::WorkspaceError;

/// Exit codes (the README's command-line contract).
const INVALID_LIBRARY: u8 = 1;
const USAGE: u8 = 2;
const INDEX_OR_IO: u8 = 3;

/// The library error or search error behind `err`, looking through the workspace's wrapper.
fn causes(err: &anyhow::Error) -> (Option<&LibraryError>, Option<&SearchError>) {
    let mut lib = None;
    let mut search = None;
    for cause in err.chain() {
        match cause.downcast_ref::<WorkspaceError>() {
            Some(WorkspaceError::Library(e)) => lib = lib.or(Some(e)),
            Some(WorkspaceError::Search(e)) => search = search.or(Some(e)),
            _ => {}
        }
        lib = lib.or(cause.downcast_ref::<LibraryError>());
        search = search.or(cause.downcast_ref::<SearchError>());
    }
    (lib, search)
}

fn exit_code(err: &anyhow::Error) -> u8 {
    let link = err
        .chain()
        .find_map(|c| match c.downcast_ref::<WorkspaceError>() {
            Some(WorkspaceError::Link(e)) => Some(e),
            _ => c.downcast_ref::<LinkError>(),
        });
    if let Some(
        LinkError::UnknownCase { .. } | LinkError::UnknownTask { .. } | LinkError::BuiltIn,
    ) = link
    {
        return USAGE;
    }
    match causes(err) {
        (Some(LibraryError::Invalid(_)), _) => INVALID_LIBRARY,
        (
            _,
            Some(
                SearchError::UnknownFilter { .. }
                | SearchError::UnknownCase { .. }
                | SearchError::UnknownTask { .. },
            ),
        ) => USAGE,
        _ => INDEX_OR_IO,
    }
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
    let term = Term::detect(cli.color);
    let mut out = io::BufWriter::new(term.stdout());
    let result = cli::run(cli, term, &mut out).and_then(|code| {
        out.flush()?;
        Ok(code)
    });
    match result {
        Ok(code) => ExitCode::from(code as u8),
        // `duibiao search … | head` closing the pipe early is not a failure.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = out.flush();
            if let (Some(LibraryError::Invalid(problems)), _) = causes(&e) {
                term.problems(problems);
            }
            term.say(Level::Error, &format!("{e:#}"));
            if let (_, Some(s)) = causes(&e)
                && s.is_disk_full()
            {
                term.say(Level::Note, duibiao::search::DISK_FULL_HINT);
            }
            ExitCode::from(exit_code(&e))
        }
    }
}
