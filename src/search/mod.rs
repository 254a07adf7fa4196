//! The search index: a validated [`Library`](crate::library::Library) becomes an index
//! generation on disk ([`writer`], [`store`]); a [`Searcher`] opens the live generation
//! and turns queries into ranked, highlighted hits. Reads no library file itself.
//! [`export`] hands the cases, cut by the same segmenter, to other engines.
//!
//! A search is four steps, each a module: [`plan`] (typed text → units with their
//! alternatives, canonical filters, a match mode), `matching` (which cases hold the units
//! and pass the filters: one unscored query of character-view clauses and candidate
//! gates), [`rank`] (the one score model, its numbers for each text of the query, and
//! the best page found without scoring every match) and `page` (ties by id at the cut, stored cases → hits with snippets).

pub mod analysis;
mod build_dir;
pub mod export;
pub mod guard;
pub mod incremental;
pub mod insights;
mod matching;
mod page;
pub mod plan;
pub mod rank;
mod read_dir;
pub mod schema;
pub mod searcher;
pub mod segmenter;
pub mod snippet;
pub mod stats;
pub mod store;
pub mod suggest_tasks;
pub mod writer;

use std::path::PathBuf;

pub use page::{Hit, Results};
pub use plan::{Filters, MatchMode};
pub use searcher::{Request, Searcher};
pub use store::{Generation, IndexDir};
pub use writer::{BuildReport, Builder, Catalog, build};

/// Moves `d` to its first document at or after `target`, or leaves it where it is if it is
/// already there or past it (tantivy's `seek` must not be asked to go back).
pub(crate) fn seek_forward<D: tantivy::DocSet + ?Sized>(
    d: &mut D,
    target: tantivy::DocId,
) -> tantivy::DocId {
    if d.doc() < target {
        d.seek(target)
    } else {
        d.doc()
    }
}

/// Errors of the index and of queries.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("{}: {source}", crate::library::diag::shown(.path))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("index read error: {0}")]
    IndexIo(#[from] std::io::Error),
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("index file is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// A file of an opened generation could not be read or parsed: the generation cannot
    /// serve, and a rebuild mends it.
    #[error("index file {} is unreadable: {reason}", crate::library::diag::shown(.path))]
    IndexFile { path: PathBuf, reason: String },
    /// A build was driven out of order (finished twice, say): a bug, not bad input.
    #[error("index build out of order: {0}")]
    BuildState(&'static str),
    /// The index's files are not what its build wrote: found by their stamps, or by a read
    /// that failed or panicked on them.
    #[error("the index is damaged: {0}")]
    Damaged(String),
    #[error("unknown {kind} \"{value}\"{}", suggestion_text(.suggestions))]
    UnknownFilter {
        kind: &'static str,
        value: String,
        suggestions: Vec<String>,
    },
    #[error("no case with id \"{id}\"{}", suggestion_text(.suggestions))]
    UnknownCase {
        id: String,
        suggestions: Vec<String>,
    },
    #[error("no task with id \"{id}\"{}", suggestion_text(.suggestions))]
    UnknownTask {
        id: String,
        suggestions: Vec<String>,
    },
}

impl SearchError {
    /// True for a failure of the index itself (unreadable, damaged, I/O), which a rebuild
    /// can mend; false for a request the index cannot answer (an unknown id or filter).
    pub fn is_index_failure(&self) -> bool {
        !matches!(
            self,
            SearchError::UnknownFilter { .. }
                | SearchError::UnknownCase { .. }
                | SearchError::UnknownTask { .. }
        )
    }

    /// True when the disk holding the index is full, wherever in tantivy that surfaced
    /// (some of its errors keep only the text of the I/O error).
    pub fn is_disk_full(&self) -> bool {
        let text = self.to_string();
        is_full(self) || text.contains("No space left on device") || text.contains("os error 28")
    }

    /// The message, with what to do when the disk is full.
    pub fn explained(&self) -> String {
        if self.is_disk_full() {
            format!("{self}; {DISK_FULL_HINT}")
        } else {
            self.to_string()
        }
    }
}

fn is_full(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::StorageFull)
        {
            return true;
        }
        cur = c.source();
    }
    false
}

/// What a full disk means for the user.
pub const DISK_FULL_HINT: &str = "the disk is full: free some space (or choose another index folder with --index); the previous index is unchanged";

fn suggestion_text(s: &[String]) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", s.join(" or "))
    }
}

impl From<tantivy::directory::error::OpenDirectoryError> for SearchError {
    fn from(e: tantivy::directory::error::OpenDirectoryError) -> Self {
        SearchError::Tantivy(e.into())
    }
}
