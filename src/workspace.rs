//! Where the library and its index are, and keeping the index fresh.
//!
//! Resolution follows the README's command-line contract: `--library`, then
//! `DUIBIAO_LIBRARY`, then `./cases` when it holds a plan.yaml, else the library compiled
//! into the binary. The index of a folder
//! named `cases` lives in `index/` beside it (the project's layout); any other library's
//! index, and the built-in library's, live under the user's cache directory.

use std::path::{Path, PathBuf};

use std::collections::BTreeSet;

use crate::library::changes::{self, Changes};
use crate::library::link::{self, LinkError};
use crate::library::source::{Check, Listed};
use crate::library::{self, Library, LibraryError, Origin, source};
use crate::search::incremental::{self, Update};
use crate::search::writer::BuildKind;
use crate::search::{self, BuildReport, Generation, IndexDir, SearchError, Searcher, guard, store};

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
    #[error(transparent)]
    Link(#[from] LinkError),
}

/// What `link` or `unlink` did.
#[derive(Debug)]
pub struct Linked {
    pub edit: link::Edit,
    /// The rebuild that made the change searchable; `None` when nothing had to change.
    pub report: Option<BuildReport>,
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
                // The hash's first 16 hex digits, as folders have always been named.
                cache_dir().join(format!("library-{:016x}", key >> 64))
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
        Ok(self.fresh_generation()?.err().map(|(why, _)| why))
    }

    /// The live generation when it can serve this library, or why it cannot.
    /// When it cannot, the reason, and whether the live generation itself is missing,
    /// incomplete or damaged (then a rebuild is full: nothing is built on it).
    fn fresh_generation(
        &self,
    ) -> Result<Result<store::Generation, (String, bool)>, WorkspaceError> {
        let current = match self.index.open_current() {
            Ok(c) => c,
            Err(why) => return Ok(Err((why, true))),
        };
        let meta = &current.meta;
        if meta.library_key != self.origin.key() {
            return Ok(Err((format!("built from {}", meta.library), false)));
        }
        let changed = match &self.origin {
            Origin::Dir(dir) => match source::unchanged(dir, &meta.stamps, &current.trust())? {
                Check::Changed(why) => Some(why),
                Check::Unchanged { settled, restamped } => {
                    if !restamped.is_empty() {
                        current.record_restamped(&restamped);
                    }
                    if let Some(trust) = settled {
                        current.record_settled(&trust);
                    }
                    None
                }
            },
            Origin::Embedded => source::embedded_unchanged(&meta.stamps),
        };
        Ok(changed.map_or(Ok(current), |why| Err((why, false))))
    }

    /// The library folder's metadata, for the generation about to be built.
    fn folder_stamp(&self) -> Option<Listed> {
        match &self.origin {
            Origin::Dir(dir) => source::folder_stamp(dir),
            Origin::Embedded => None,
        }
    }

    /// Builds a new generation now (the `index` command, and any rebuild a search or the
    /// web server's watcher asks for): incremental when only case files changed since the
    /// live generation, else whole. Cases are read, checked and indexed one at a time, so
    /// memory does not grow with the library; a problem anywhere discards the new
    /// generation and leaves the live one as it was.
    pub fn build(
        &self,
        on_wait: impl FnOnce(),
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<BuildReport, WorkspaceError> {
        self.build_as(false, on_wait, progress)
    }

    /// A full rebuild, whatever changed (`duibiao index --full`).
    pub fn build_full(
        &self,
        on_wait: impl FnOnce(),
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<BuildReport, WorkspaceError> {
        self.build_as(true, on_wait, progress)
    }

    fn build_as(
        &self,
        full: bool,
        on_wait: impl FnOnce(),
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<BuildReport, WorkspaceError> {
        if full {
            search::segmenter::preload_segmenter();
        }
        // Decided with the lock held: the generation to build on is the one live now.
        let lock = self.index.lock(on_wait)?;
        // Before anything is listed: an entry changed after this moves the folder's times,
        // so a later check cannot take the folder for the names this build reads.
        let folder = self.folder_stamp();
        let plan = if full {
            Err("--full".to_string())
        } else {
            self.plan_update()?
        };
        match plan {
            Ok((current, changes)) => {
                match self.update(lock, current, &changes, folder, progress) {
                    // The live generation could not be built on (damaged, say): build whole.
                    Err(WorkspaceError::Search(e)) => {
                        let lock = self.index.lock(|| {})?;
                        let folder = self.folder_stamp();
                        self.build_whole(
                            lock,
                            format!("the incremental update failed: {e}"),
                            folder,
                            progress,
                        )
                    }
                    other => other,
                }
            }
            Err(why) => self.build_whole(lock, why, folder, progress),
        }
    }

    /// The live generation and what changed since, when an incremental update can follow
    /// it; else why a full rebuild is needed.
    #[allow(clippy::type_complexity)]
    fn plan_update(&self) -> Result<Result<(Generation, Changes), String>, WorkspaceError> {
        let Origin::Dir(dir) = &self.origin else {
            return Ok(Err("the built-in library is indexed whole".into()));
        };
        // Missing, damaged or another version's: why is what `open_current` says.
        let current = match self.index.open_current() {
            Ok(c) => c,
            Err(why) => return Ok(Err(why)),
        };
        let meta = &current.meta;
        if meta.library != self.origin.describe() {
            return Ok(Err(format!("built from {}", meta.library)));
        }
        if search::stats::IndexStats::read(&current.path).is_none() {
            return Ok(Err("the index records no statistics".into()));
        }
        let changes = changes::changes(dir, &meta.stamps, &current.trust())?;
        if let Some(why) = changes.global {
            return Ok(Err(why));
        }
        let most = (meta.cases as f64 * incremental::MAX_CHANGED_SHARE) as usize;
        if changes.len() > most.max(64) {
            return Ok(Err(format!(
                "{} of {} cases changed",
                changes.len(),
                meta.cases
            )));
        }
        Ok(Ok((current, changes)))
    }

    /// A new generation from every case.
    fn build_whole(
        &self,
        lock: store::BuildLock,
        why: String,
        folder: Option<Listed>,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<BuildReport, WorkspaceError> {
        // Only a full build loads jieba's whole dictionary (an incremental one finds the
        // words it needs in the compiled FST): loading starts here, on a thread of its
        // own, while the library is read.
        search::segmenter::preload_segmenter();
        let pending = library::open(&self.origin)?;
        let builder = search::Builder::start_locked(
            &self.index,
            lock,
            pending.library(),
            pending.case_count(),
            progress,
        )?;
        let library =
            pending.stream(search::writer::build_threads(), &|case| builder.add(&case))?;
        let mut report = builder.finish(&library, folder)?;
        report.kind = BuildKind::Full { why };
        Ok(report)
    }

    /// The live generation plus the changed cases: only those are read and checked (the
    /// plan's precedents are checked against the unchanged cases in the index).
    fn update(
        &self,
        lock: store::BuildLock,
        current: Generation,
        changes: &Changes,
        folder: Option<Listed>,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<BuildReport, WorkspaceError> {
        let mut pending = library::open(&self.origin)?;
        let read: BTreeSet<&str> = changes
            .added
            .iter()
            .chain(&changes.edited)
            .map(String::as_str)
            .collect();
        pending.retain_cases(|name| read.contains(name));
        let update = Update::start(&self.index, lock, current, changes, progress)?;
        let library = pending.stream_with(
            search::writer::build_threads(),
            &|case| update.add(&case),
            &|task, place| update.backed_elsewhere(task, place),
        )?;
        Ok(update.finish(&library, &changes.kept, folder)?)
    }

    /// Links (`link`) or unlinks a case to or from tasks: rewrites the `tasks:` entry of
    /// its file atomically, then brings the index up to date, which checks the library
    /// (the case itself, and the plan's precedents it may have backed). A problem puts the
    /// file back as it was, byte for byte, and is returned.
    pub fn link(
        &self,
        case_id: &str,
        tasks: &[String],
        link: bool,
        on_wait: impl FnOnce(),
    ) -> Result<Linked, WorkspaceError> {
        let edit = link::plan(&self.origin, case_id, tasks, link)?;
        if edit.after == edit.before {
            return Ok(Linked { edit, report: None });
        }
        link::write_atomic(&edit.path, &edit.after)?;
        match self.build(on_wait, &|_, _| {}) {
            Ok(report) => Ok(Linked {
                edit,
                report: Some(report),
            }),
            Err(e) => {
                link::write_atomic(&edit.path, &edit.before)?;
                Err(e)
            }
        }
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
        let (reason, full) = match self.fresh_generation()? {
            Ok(current) => match open(current) {
                Ok(s) => return Ok((s, Freshness::Fresh)),
                Err(e) if !rebuild => return Err(e.into()),
                Err(e) => (e.to_string(), true),
            },
            Err(stale) => stale,
        };
        if !rebuild {
            return Err(WorkspaceError::Stale {
                dir: self.index.root.clone(),
                reason,
            });
        }
        self.rebuilt(reason, full, on_wait)
    }

    /// Rebuilds, then opens the new generation. When the library is broken, or the build
    /// fails on I/O (a full disk), the last good generation keeps serving, if there is one.
    /// `full` when the live generation is damaged or cannot be opened: it is not built on.
    fn rebuilt(
        &self,
        reason: String,
        full: bool,
        on_wait: impl FnOnce(),
    ) -> Result<(Searcher, Freshness), WorkspaceError> {
        let report = match self.build_as(full, on_wait, &|_, _| {}) {
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
        let (searcher, freshness) = self.rebuilt(e.to_string(), true, || {})?;
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
