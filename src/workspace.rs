//! Where the library and its index are, and keeping the index fresh.
//!
//! Resolution follows the README's command-line contract: `--library`, then
//! `DUIBIAO_LIBRARY`, then `./cases` when it holds a plan.yaml, else the library compiled
//! into the binary. The index of a folder
//! named `cases` lives in `index/` beside it (the project's layout); any other library's
//! index, and the built-in library's, live under the user's cache directory.

use std::path::{Path, PathBuf};

use crate::library::source::Check;
use crate::library::{self, Library, LibraryError, Origin, source};
use crate::search::{self, BuildReport, IndexDir, SearchError, Searcher, guard, store};

/// Why a search could not get an index.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(transparent)]
    Library(#[from] LibraryError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(
        "the index in {} cannot be used ({reason}), and --no-rebuild was given; run `duibiao index`",
        crate::library::diag::shown(.dir)
    )]
    Stale { dir: PathBuf, reason: String },
}

/// A resolved library and index folder.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub origin: Origin,
    pub index: IndexDir,
}

/// What happened to the index before a query ran.
#[derive(Debug)]
pub enum Freshness {
    Fresh,
    Rebuilt {
        reason: String,
        report: BuildReport,
    },
    /// The library is broken; the last good index is used.
    StaleButBroken {
        problems: usize,
    },
    /// A rebuild failed on an I/O error (a full disk, say); the last good index is used.
    StaleRebuildFailed {
        reason: String,
        error: String,
    },
}

/// The user's cache folder for duibiao: `$XDG_CACHE_HOME` (when absolute) or `~/.cache` on
/// Linux, `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows (the `dirs` crate's
/// rules); the temporary folder when the system names none.
fn cache_dir() -> PathBuf {
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("duibiao")
}

impl Workspace {
    pub fn resolve(library: Option<PathBuf>, index: Option<PathBuf>) -> Workspace {
        let origin = match library {
            Some(dir) => Origin::Dir(dir),
            None if Path::new("cases").join(source::PLAN_FILE).is_file() => {
                Origin::Dir(PathBuf::from("cases"))
            }
            None => Origin::Embedded,
        };
        let index = index.unwrap_or_else(|| match &origin {
            Origin::Dir(dir) if dir.file_name().is_some_and(|n| n == "cases") => dir
                .parent()
                .map_or_else(|| PathBuf::from("index"), |p| p.join("index")),
            Origin::Dir(dir) => {
                let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
                let key = source::content_hash(abs.to_string_lossy().as_bytes());
                cache_dir().join(format!("library-{}", &key[..16]))
            }
            Origin::Embedded => cache_dir().join(format!("built-in-{}", store::tool_version())),
        });
        Workspace {
            origin,
            index: IndexDir::new(index),
        }
    }

    pub fn load_library(&self) -> Result<Library, LibraryError> {
        library::load(&self.origin)
    }

    /// Why the live generation cannot serve this library, or `None` when it can (what the
    /// web server checks once a second).
    pub fn stale_reason(&self) -> Result<Option<String>, WorkspaceError> {
        Ok(self.fresh_generation()?.err())
    }

    /// The live generation when it can serve this library, or why it cannot.
    fn fresh_generation(&self) -> Result<Result<store::Generation, String>, WorkspaceError> {
        let current = match self.index.open_current() {
            Ok(c) => c,
            Err(why) => return Ok(Err(why)),
        };
        let meta = &current.meta;
        if meta.tool != store::tool_version() {
            return Ok(Err(format!("built by duibiao {}", meta.tool)));
        }
        if meta.library_key != self.origin.key() {
            return Ok(Err(format!("built from {}", meta.library)));
        }
        let changed = match &self.origin {
            Origin::Dir(dir) => {
                match source::unchanged(dir, &meta.stamps, current.trusted_since_ns())? {
                    Check::Changed(why) => Some(why),
                    Check::Unchanged { settled_at } => {
                        if let Some(at) = settled_at {
                            current.record_settled(at);
                        }
                        None
                    }
                }
            }
            Origin::Embedded => source::embedded_unchanged(&meta.stamps),
        };
        Ok(changed.map_or(Ok(current), Err))
    }

    /// Builds a new generation now (the `index` command). Cases are read, checked and
    /// indexed one at a time, so memory does not grow with the library; a problem anywhere
    /// discards the new generation and leaves the live one as it was.
    pub fn build(
        &self,
        on_wait: impl FnOnce(),
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<BuildReport, WorkspaceError> {
        let pending = library::open(&self.origin)?;
        let builder = search::Builder::start(
            &self.index,
            pending.library(),
            pending.case_count(),
            on_wait,
            progress,
        )?;
        let library =
            pending.stream(search::writer::build_threads(), &|case| builder.add(&case))?;
        Ok(builder.finish(&library)?)
    }

    /// A searcher on a fresh index, rebuilding first when the index is missing, stale or
    /// unreadable (unless `rebuild` is false).
    pub fn searcher(
        &self,
        rebuild: bool,
        on_wait: impl FnOnce(),
    ) -> Result<(Searcher, Freshness), WorkspaceError> {
        // The generation the staleness check opened is the one searched: its meta (a
        // stamp per library file) is read once.
        let reason = match self.fresh_generation()? {
            Ok(current) => match open(current) {
                Ok(s) => return Ok((s, Freshness::Fresh)),
                Err(e) if !rebuild => return Err(e.into()),
                Err(e) => e.to_string(),
            },
            Err(why) => why,
        };
        if !rebuild {
            return Err(WorkspaceError::Stale {
                dir: self.index.root.clone(),
                reason,
            });
        }
        self.rebuilt(reason, on_wait)
    }

    /// Rebuilds, then opens the new generation. When the library is broken, or the build
    /// fails on I/O (a full disk), the last good generation keeps serving, if there is one.
    fn rebuilt(
        &self,
        reason: String,
        on_wait: impl FnOnce(),
    ) -> Result<(Searcher, Freshness), WorkspaceError> {
        let report = match self.build(on_wait, &|_, _| {}) {
            Ok(r) => r,
            Err(WorkspaceError::Library(LibraryError::Invalid(problems))) => {
                if let Some(current) = self.index.current()
                    && let Ok(s) = open(current)
                {
                    return Ok((
                        s,
                        Freshness::StaleButBroken {
                            problems: problems.len(),
                        },
                    ));
                }
                return Err(LibraryError::Invalid(problems).into());
            }
            Err(WorkspaceError::Search(e)) => {
                if let Some(current) = self.index.current()
                    && let Ok(s) = open(current)
                {
                    return Ok((
                        s,
                        Freshness::StaleRebuildFailed {
                            reason,
                            error: e.explained(),
                        },
                    ));
                }
                return Err(e.into());
            }
            Err(e) => return Err(e),
        };
        let current = self
            .index
            .open_current()
            .map_err(|reason| WorkspaceError::Stale {
                dir: self.index.root.clone(),
                reason,
            })?;
        Ok((open(current)?, Freshness::Rebuilt { reason, report }))
    }

    /// Runs `f` on a searcher of a fresh index. A failure of the index itself while `f`
    /// reads it (an error, or a panic inside tantivy on damaged bytes that no stamp
    /// showed) rebuilds the index and runs `f` again, once; under `--no-rebuild`
    /// (`rebuild` false) it is returned (exit 3).
    pub fn query<T>(
        &self,
        rebuild: bool,
        on_wait: impl FnOnce(),
        f: impl Fn(&Searcher) -> Result<T, SearchError>,
    ) -> Result<(T, Freshness), WorkspaceError> {
        let (searcher, freshness) = self.searcher(rebuild, on_wait)?;
        let e = match guard::catch(|| f(&searcher)) {
            Ok(v) => return Ok((v, freshness)),
            Err(e) => e,
        };
        let fresh = matches!(freshness, Freshness::Fresh);
        if !e.is_index_failure() || !rebuild || !fresh {
            return Err(e.into());
        }
        drop(searcher);
        let (searcher, freshness) = self.rebuilt(e.to_string(), || {})?;
        if !matches!(freshness, Freshness::Rebuilt { .. }) {
            return Err(e.into());
        }
        Ok((guard::catch(|| f(&searcher))?, freshness))
    }
}

/// Opens a generation inside the panic boundary: tantivy reads footers and term
/// dictionaries as it opens.
pub fn open(generation: store::Generation) -> Result<Searcher, SearchError> {
    guard::catch(|| Searcher::open(generation))
}
