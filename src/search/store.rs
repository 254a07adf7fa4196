//! The index on disk: numbered generations and a `CURRENT` file naming the live one.
//!
//! ```text
//! index/
//!   CURRENT          "gen-000007"
//!   .lock            held while a build runs
//!   gen-000007/      tantivy files + duibiao.json (what was built from what) + catalog.json + words.txt
//! ```
//!
//! A build writes a new generation beside the old one, fsyncs it, then replaces `CURRENT`
//! atomically (write a temporary file, fsync, rename). So a build killed half-way leaves
//! the old generation serving, and a reader never sees a half-built index. Anything in the
//! folder that is not ours is left alone.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::SearchError;
use crate::library::FileStamp;

pub const CURRENT_FILE: &str = "CURRENT";
pub const LOCK_FILE: &str = ".lock";
pub const META_FILE: &str = "duibiao.json";
pub const CATALOG_FILE: &str = "catalog.json";
pub const WORDS_FILE: &str = "words.txt";
/// When a search last found the library's recent files settled (see `source::Check`).
pub const SETTLED_FILE: &str = "settled";
const GEN_PREFIX: &str = "gen-";

/// Bumped whenever the schema or the analyzers change, so old indexes are rebuilt.
pub const INDEX_FORMAT: u32 = 4;

/// The tool version an index was built by; a different one means stale.
pub fn tool_version() -> String {
    format!("{}+format{}", env!("CARGO_PKG_VERSION"), INDEX_FORMAT)
}

/// What a generation was built from (`duibiao.json`). Written last: a generation without
/// it is incomplete.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GenerationMeta {
    pub tool: String,
    /// The library it was built from, as shown to the user.
    pub library: String,
    pub stamps: Vec<FileStamp>,
    /// When the build started, in nanoseconds since the epoch: a file modified after this
    /// may have changed without its size or time showing it.
    pub built_at_ns: u128,
    pub cases: usize,
    pub build_ms: u64,
}

/// An index folder.
#[derive(Debug, Clone)]
pub struct IndexDir {
    pub root: PathBuf,
}

/// A complete generation, as `CURRENT` names it.
#[derive(Debug, Clone)]
pub struct Generation {
    pub path: PathBuf,
    pub meta: GenerationMeta,
}

pub use crate::library::source::now_ns;

fn io_err(path: &Path, source: io::Error) -> SearchError {
    SearchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `path` durably: the data is on disk before the call returns.
pub fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), SearchError> {
    let mut f = File::create(path).map_err(|e| io_err(path, e))?;
    f.write_all(bytes).map_err(|e| io_err(path, e))?;
    f.sync_all().map_err(|e| io_err(path, e))
}

fn sync_dir(path: &Path) -> Result<(), SearchError> {
    File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_err(path, e))
}

/// The build lock, released on drop.
pub struct BuildLock {
    file: File,
}

impl Drop for BuildLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

impl Generation {
    /// Since when the library's files are known to match this generation: its build's
    /// start, or a later check that found recent files settled.
    pub fn trusted_since_ns(&self) -> u128 {
        let settled = fs::read_to_string(self.path.join(SETTLED_FILE))
            .ok()
            .and_then(|s| s.trim().parse::<u128>().ok())
            .unwrap_or(0);
        self.meta.built_at_ns.max(settled)
    }

    /// Records that the library's files were found settled at `at_ns`. Best effort: an
    /// index folder a user cannot write to only means later checks compare again.
    pub fn record_settled(&self, at_ns: u128) {
        let tmp = self.path.join(format!("{SETTLED_FILE}.tmp"));
        if fs::write(&tmp, format!("{at_ns}\n")).is_ok() {
            let _ = fs::rename(&tmp, self.path.join(SETTLED_FILE));
        }
    }
}

impl IndexDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        IndexDir { root: root.into() }
    }

    /// The live generation, or `None` when there is none or it cannot be trusted (missing
    /// or garbled `CURRENT`, a generation without its meta, a meta from another tool).
    pub fn current(&self) -> Option<Generation> {
        let name = fs::read_to_string(self.root.join(CURRENT_FILE)).ok()?;
        let name = name.trim();
        if !is_generation_name(name) {
            return None;
        }
        let path = self.root.join(name);
        let meta: GenerationMeta =
            serde_json::from_slice(&fs::read(path.join(META_FILE)).ok()?).ok()?;
        Some(Generation { path, meta })
    }

    /// Takes the build lock, waiting for another build to finish first.
    pub fn lock(&self, on_wait: impl FnOnce()) -> Result<BuildLock, SearchError> {
        fs::create_dir_all(&self.root).map_err(|e| io_err(&self.root, e))?;
        let path = self.root.join(LOCK_FILE);
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io_err(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                on_wait();
                file.lock().map_err(|e| io_err(&path, e))?;
            }
            Err(fs::TryLockError::Error(e)) => return Err(io_err(&path, e)),
        }
        Ok(BuildLock { file })
    }

    /// A fresh, empty folder for the next generation. Call with the lock held.
    pub fn new_generation(&self, _lock: &BuildLock) -> Result<PathBuf, SearchError> {
        let next = self.generation_numbers().into_iter().max().unwrap_or(0) + 1;
        let path = self.root.join(format!("{GEN_PREFIX}{next:06}"));
        if path.exists() {
            fs::remove_dir_all(&path).map_err(|e| io_err(&path, e))?;
        }
        fs::create_dir_all(&path).map_err(|e| io_err(&path, e))?;
        Ok(path)
    }

    /// Makes `gen_dir` durable and live, then removes generations nothing should still use.
    pub fn publish(
        &self,
        gen_dir: &Path,
        meta: &GenerationMeta,
        lock: &BuildLock,
    ) -> Result<(), SearchError> {
        let meta_json = serde_json::to_vec_pretty(meta).map_err(SearchError::Json)?;
        write_synced(&gen_dir.join(META_FILE), &meta_json)?;
        for entry in fs::read_dir(gen_dir).map_err(|e| io_err(gen_dir, e))? {
            let entry = entry.map_err(|e| io_err(gen_dir, e))?;
            if entry.path().is_file() {
                File::open(entry.path())
                    .and_then(|f| f.sync_all())
                    .map_err(|e| io_err(&entry.path(), e))?;
            }
        }
        sync_dir(gen_dir)?;
        let previous = self.current().map(|g| g.path);
        let name = gen_dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let tmp = self.root.join(format!("{CURRENT_FILE}.tmp"));
        write_synced(&tmp, format!("{name}\n").as_bytes())?;
        let current = self.root.join(CURRENT_FILE);
        fs::rename(&tmp, &current).map_err(|e| io_err(&current, e))?;
        sync_dir(&self.root)?;
        self.clean(gen_dir, previous.as_deref(), lock);
        Ok(())
    }

    /// Removes every generation but the live one and the one it replaced (a search that
    /// started a moment ago may still be reading it). Leftovers of killed builds go too.
    /// Failures are ignored: a generation left behind costs disk, not correctness.
    fn clean(&self, live: &Path, previous: Option<&Path>, _lock: &BuildLock) {
        let Ok(entries) = fs::read_dir(&self.root) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let is_gen = entry.file_name().to_str().is_some_and(is_generation_name);
            if is_gen && path != live && Some(path.as_path()) != previous {
                let _ = fs::remove_dir_all(&path);
            }
        }
    }

    fn generation_numbers(&self) -> Vec<u64> {
        let Ok(entries) = fs::read_dir(&self.root) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|e| e.file_name().to_str().and_then(generation_number))
            .collect()
    }

    /// Bytes used by a generation's files.
    pub fn size_of(gen_dir: &Path) -> u64 {
        fs::read_dir(gen_dir)
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| e.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }
}

fn generation_number(name: &str) -> Option<u64> {
    let digits = name.strip_prefix(GEN_PREFIX)?;
    (digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

fn is_generation_name(name: &str) -> bool {
    generation_number(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_names_are_strict() {
        assert_eq!(generation_number("gen-000012"), Some(12));
        assert_eq!(generation_number("gen-12"), None);
        assert_eq!(generation_number("gen-00001x"), None);
        assert_eq!(generation_number("../etc"), None);
    }

    #[test]
    fn garbled_current_means_no_generation() {
        let dir = std::env::temp_dir().join(format!("duibiao-store-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let idx = IndexDir::new(&dir);
        assert!(idx.current().is_none());
        fs::write(dir.join(CURRENT_FILE), "../../etc/passwd").unwrap();
        assert!(idx.current().is_none());
        fs::write(dir.join(CURRENT_FILE), "gen-000001").unwrap();
        assert!(
            idx.current().is_none(),
            "a generation without meta is not trusted"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
