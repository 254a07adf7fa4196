//! The search index: a validated [`Library`](crate::library::Library) becomes an index
//! generation on disk ([`writer`], [`store`]); a [`Searcher`] opens the live generation
//! and turns queries into ranked, highlighted hits. Reads no library file itself.

pub mod analysis;
mod build_dir;
mod gate;
pub mod incremental;
pub mod insights;
pub mod query;
pub mod schema;
pub mod searcher;
pub mod snippet;
pub mod stats;
pub mod store;
mod substring;
mod sum_query;
mod top_k;
pub mod writer;

use std::path::PathBuf;

pub use query::{Filters, MatchMode};
pub use searcher::{Hit, RawFilters, Request, Results, Searcher};
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
    #[error("{path}: {source}")]
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
    #[error("index segmenter dictionary is unreadable: {0}")]
    Dictionary(String),
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

impl From<tantivy::query::QueryParserError> for SearchError {
    fn from(e: tantivy::query::QueryParserError) -> Self {
        SearchError::Tantivy(tantivy::TantivyError::InvalidArgument(e.to_string()))
    }
}
