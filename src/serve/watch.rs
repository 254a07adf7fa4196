//! Keeping the served generation fresh: once a second, the same staleness check every
//! search pays (a stat per library file; about a quarter of a millisecond for the shipped
//! library), and on a change a rebuild on this thread while the workers go on answering
//! from the live generation. A broken library keeps the last good generation serving and
//! puts its problems in [`Health`](super::Health), which the page shows in a banner.

use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use super::{State, note};
use crate::library::LibraryError;
use crate::workspace::WorkspaceError;

/// How often the library is checked.
const PERIOD: Duration = Duration::from_secs(1);
/// After a failed build, how long before the same state of the library is tried again:
/// a broken file usually stays broken until its editor saves it again.
const RETRY: Duration = Duration::from_secs(5);

pub(super) fn run(state: &State) {
    let mut failed_at: Option<Instant> = None;
    loop {
        thread::sleep(PERIOD);
        let stale = match state.workspace.stale_reason() {
            Ok(None) => {
                // Fresh again (an edit undone, or another process rebuilt it): clear the
                // banner and serve what CURRENT names.
                if !state.health().problems.is_empty() {
                    state.set_problems(Vec::new());
                }
                if let Some(current) = state.workspace.index.current()
                    && current.path != state.searcher().generation.path
                    && let Ok(s) = crate::workspace::open(current)
                {
                    state.swap(s);
                }
                continue;
            }
            Ok(Some(reason)) => reason,
            Err(e) => {
                note(&format!("cannot check the library: {e}"));
                continue;
            }
        };
        if failed_at.is_some_and(|t| t.elapsed() < RETRY) {
            continue;
        }
        state.rebuilding.store(true, Ordering::Release);
        let started = Instant::now();
        let result = state.workspace.build(|| {}, &|_, _| {});
        state.rebuilding.store(false, Ordering::Release);
        match result {
            Ok(report) => {
                failed_at = None;
                match state
                    .workspace
                    .index
                    .current()
                    .map(crate::workspace::open)
                    .transpose()
                {
                    Ok(Some(s)) => {
                        state.swap(s);
                        note(&format!(
                            "library changed ({stale}): index rebuilt, {} cases in {:.2} s",
                            report.cases,
                            started.elapsed().as_secs_f64()
                        ));
                    }
                    Ok(None) => note("index rebuilt, but CURRENT names no generation"),
                    Err(e) => note(&format!("index rebuilt, but it cannot be opened: {e}")),
                }
            }
            Err(WorkspaceError::Library(LibraryError::Invalid(problems))) => {
                failed_at = Some(Instant::now());
                let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
                note(&format!(
                    "the library has {} problem(s) (run `duibiao check`); still serving the last good index",
                    lines.len()
                ));
                state.set_problems(lines);
            }
            Err(e) => {
                failed_at = Some(Instant::now());
                note(&format!(
                    "rebuild failed: {e}; still serving the last good index"
                ));
            }
        }
    }
}
