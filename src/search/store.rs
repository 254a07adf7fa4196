//! The index on disk: numbered generations and a `CURRENT` file naming the live one.
//!
//! ```text
//! index/
//!   CURRENT          "gen-000007"
//!   GENERATIONS      the generations this tool made here, one name a line
//!   .lock            held while a build runs
//!   gen-000007/      tantivy files + duibiao.json (what was built from what) + stamps.bin
//!                    (the library files it was built from) + catalog.json + words.txt
//! ```
//!
//! A build writes a new generation beside the old one, fsyncs it, then replaces `CURRENT`
//! atomically (write a temporary file, fsync, rename). So a build killed half-way leaves
//! the old generation serving, and a reader never sees a half-built index. Anything in the
//! folder that is not ours is left alone: only generations `GENERATIONS` lists are ever
//! removed, and no write follows a symlink ([`crate::safe_fs`]).
//!
//! A generation is trusted only as it was built: `duibiao.json` records every file's size,
//! modification time and content hash, taken when the build finished. Opening a generation
//! stats each file (a dozen `stat` calls); a file that is missing, or whose size or time
//! moved, is hashed again, and a generation whose files do not hash as recorded is
//! damaged and is rebuilt. Damage that keeps a file's size and time cannot be seen this
//! way; it is caught where it shows, by the panic boundary around reads ([`super::guard`]).

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::SearchError;
use crate::library::FileStamp;
use crate::library::diag::shown;
use crate::library::source::{Listed, Stamps, Trust, mtime_ns};
use crate::safe_fs;

pub const CURRENT_FILE: &str = "CURRENT";
pub const LOCK_FILE: &str = ".lock";
pub const META_FILE: &str = "duibiao.json";
pub const CATALOG_FILE: &str = "catalog.json";
pub const WORDS_FILE: &str = "words.txt";
/// The stamp of every library file the generation was built from, in a binary form every
/// search reads before it runs (see [`Stamps`]).
pub const STAMPS_FILE: &str = "stamps.bin";
/// What a search last proved beyond the build: since when files are settled, and the
/// folder that stands for its names (see `source::Check`).
pub const SETTLED_FILE: &str = "settled";
/// The library stamps once a search found files touched but unchanged: `stamps.bin` with
/// their new metadata (see `source::Check`). Read in its place when whole.
pub const RESTAMPED_FILE: &str = "stamps.settled.bin";
/// The generations this tool created in the folder: the only ones it may remove.
pub const GENERATIONS_FILE: &str = "GENERATIONS";
const GEN_PREFIX: &str = "gen-";

/// Files a searcher cannot do without: a generation lacking one is incomplete.
const REQUIRED_FILES: [&str; 5] = [
    "meta.json",
    ".managed.json",
    CATALOG_FILE,
    WORDS_FILE,
    STAMPS_FILE,
];

/// Caps on what is read of the small files of an index folder: `CURRENT` names a
/// generation, `settled` one line of numbers; the record of generations a few thousand names.
const CONTROL_CAP: u64 = 4096;
const RECORD_CAP: u64 = 1 << 20;
/// `duibiao.json` holds a stamp per file of the generation; `stamps.bin` one per library
/// file, about 100 bytes each.
const META_CAP: u64 = 256 << 20;

/// Bumped whenever the schema or the analyzers change, so old indexes are rebuilt.
pub const INDEX_FORMAT: u32 = 9;

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
    /// Kept in [`STAMPS_FILE`], not in the JSON: at 100k cases the JSON took a whole-process
    /// search 60 ms to parse; these are read where they lie. They hold the library folder's
    /// own metadata too, taken as the build began: while the folder keeps it, it holds the
    /// names the build read (see `source::Trust`).
    #[serde(skip)]
    pub stamps: Stamps,
    /// When the build started, in nanoseconds since the epoch: a file modified after this
    /// may have changed without its size or time showing it.
    pub built_at_ns: u128,
    pub cases: usize,
    pub build_ms: u64,
    /// Which library this is, whatever spelling of its path was used (see
    /// `Origin::key`).
    pub library_key: String,
    /// Every file of the generation as the build left it (name, size, time, hash).
    pub files: Vec<FileStamp>,
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

/// Writes `bytes` to `path` durably: the data is on disk before the call returns. Whatever
/// was at `path` is replaced, never written through.
pub fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), SearchError> {
    let mut f = safe_fs::create_fresh(path).map_err(|e| io_err(path, e))?;
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
    /// What the generation trusts about the library folder: from its build's start, or
    /// from a later check that proved more (see `source::Check`).
    pub fn trust(&self) -> Trust {
        let built = Trust {
            since_ns: self.meta.built_at_ns,
            folder: self.meta.stamps.folder(),
        };
        safe_fs::read_regular(&self.path.join(SETTLED_FILE), CONTROL_CAP, false)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| parse_settled(&s))
            .filter(|t| t.since_ns > built.since_ns)
            .unwrap_or(built)
    }

    /// Records the metadata a check found standing for the recorded content of these
    /// files, before the trust it proved (`record_settled`), which is what lets later
    /// checks take it. Best effort, as that is.
    pub fn record_restamped(&self, restamped: &[(String, Listed)]) {
        let mut stamps = self.meta.stamps.to_vec();
        for (name, now) in restamped {
            if let Some(s) = self
                .meta
                .stamps
                .position(name)
                .and_then(|i| stamps.get_mut(i))
            {
                (s.mtime_ns, s.ctime_ns, s.ino) = (now.mtime_ns, now.ctime_ns, now.ino);
            }
        }
        let encoded = Stamps::new(self.meta.stamps.folder().as_ref(), &stamps);
        self.write_beside(RESTAMPED_FILE, encoded.as_bytes());
    }

    /// Records what a check proved. Best effort: an index folder a user cannot write to
    /// only means later checks do that work again.
    pub fn record_settled(&self, trust: &Trust) {
        self.write_beside(SETTLED_FILE, settled_text(trust).as_bytes());
    }

    /// Replaces `name` in the generation's folder with `bytes`, whole or not at all (a
    /// temporary file renamed over it), best effort: what searches record beside the
    /// sealed files only spares later work.
    fn write_beside(&self, name: &str, bytes: &[u8]) {
        let tmp = self.path.join(format!("{name}.tmp"));
        let written = safe_fs::create_fresh(&tmp).and_then(|mut f| f.write_all(bytes));
        if written.is_ok() {
            let _ = fs::rename(&tmp, self.path.join(name));
        } else {
            let _ = fs::remove_file(&tmp);
        }
    }
}

/// `settled`: the time the trust begins, then, when known, the folder's size, times and
/// inode, on one line.
fn settled_text(t: &Trust) -> String {
    match t.folder {
        Some(f) => format!(
            "{} {} {} {} {}\n",
            t.since_ns, f.len, f.mtime_ns, f.ctime_ns, f.ino
        ),
        None => format!("{}\n", t.since_ns),
    }
}

fn parse_settled(text: &str) -> Option<Trust> {
    let mut parts = text.split_ascii_whitespace();
    let since_ns = parts.next()?.parse().ok()?;
    let rest: Vec<&str> = parts.collect();
    let folder = match rest[..] {
        [] => None,
        [len, mtime, ctime, ino] => Some(Listed {
            len: len.parse().ok()?,
            mtime_ns: mtime.parse().ok()?,
            ctime_ns: ctime.parse().ok()?,
            ino: ino.parse().ok()?,
        }),
        _ => return None,
    };
    Some(Trust { since_ns, folder })
}

impl Generation {
    /// Checks the generation's files against its stamps: by size and time, hashing only a
    /// file whose time moved (what every open does), or, with `full`, hashing every file
    /// (what a build spends sealing it).
    pub fn verify(&self, full: bool) -> Result<(), String> {
        verify_files(&self.path, &self.meta.files, full)
    }
}

impl IndexDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        IndexDir { root: root.into() }
    }

    /// The live generation, or `None` when there is none or it cannot be trusted.
    pub fn current(&self) -> Option<Generation> {
        self.open_current().ok()
    }

    /// The live generation, or why there is none to trust: no or a garbled `CURRENT`, a
    /// generation without its meta or with a meta from another version, a file missing or
    /// not as the build left it.
    pub fn open_current(&self) -> Result<Generation, String> {
        let current = self.root.join(CURRENT_FILE);
        let bytes = match safe_fs::read_regular(&current, CONTROL_CAP, false) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err("no index yet".into()),
            Err(e) => return Err(format!("{}: {e}", shown(&current))),
        };
        let name = std::str::from_utf8(&bytes)
            .ok()
            .map(str::trim)
            .filter(|n| is_generation_name(n))
            .ok_or_else(|| format!("{} does not name a generation", shown(&current)))?;
        let path = self.root.join(name);
        if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            return Err(format!("{} is missing", shown(&path)));
        }
        let meta_path = path.join(META_FILE);
        let bytes = safe_fs::read_regular(&meta_path, META_CAP, false)
            .map_err(|e| format!("{}: {e}", shown(&meta_path)))?;
        let mut meta: GenerationMeta = unseal(&bytes)
            .and_then(|json| serde_json::from_slice(json).ok())
            .ok_or_else(|| format!("{} is damaged or from another version", shown(&meta_path)))?;
        // Another version's generation is rebuilt whole, whatever its other files hold.
        if meta.tool != tool_version() {
            return Err(format!("built by duibiao {}", meta.tool));
        }
        verify_files(&path, &meta.files, false)?;
        // Restamped stamps are this generation's own, written whole and checksummed; a
        // damaged or partial file is passed over for the sealed ones.
        let restamped = safe_fs::read_regular(&path.join(RESTAMPED_FILE), META_CAP, false)
            .ok()
            .and_then(Stamps::from_bytes);
        meta.stamps = match restamped {
            Some(stamps) => stamps,
            None => {
                let stamps_path = path.join(STAMPS_FILE);
                let bytes = safe_fs::read_regular(&stamps_path, META_CAP, false)
                    .map_err(|e| format!("{}: {e}", shown(&stamps_path)))?;
                Stamps::from_bytes(bytes)
                    .ok_or_else(|| format!("{} is damaged", shown(&stamps_path)))?
            }
        };
        Ok(Generation { path, meta })
    }

    /// Takes the build lock, waiting for another build to finish first.
    pub fn lock(&self, on_wait: impl FnOnce()) -> Result<BuildLock, SearchError> {
        fs::create_dir_all(&self.root).map_err(|e| io_err(&self.root, e))?;
        let path = self.root.join(LOCK_FILE);
        let file = safe_fs::open_lock_file(&path).map_err(|e| io_err(&path, e))?;
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

    /// A fresh, empty folder for the next generation, recorded as ours. Call with the lock
    /// held. A folder of the next number that is already there (not ours, or a leftover)
    /// is skipped, never emptied.
    pub fn new_generation(&self, _lock: &BuildLock) -> Result<PathBuf, SearchError> {
        let mut recorded = self.recorded();
        let mut next = self
            .generation_numbers()
            .into_iter()
            .chain(recorded.iter().filter_map(|n| generation_number(n)))
            .max()
            .unwrap_or(0)
            + 1;
        // Recorded before it is created: a build killed between the two leaves a name
        // with no folder, which the next clean forgets, and never a folder nobody
        // recorded, which no clean would remove.
        let path = loop {
            let path = self.root.join(generation_name(next));
            // Something already there is not ours: it stays, and is never recorded.
            if fs::symlink_metadata(&path).is_ok() && next < 999_999 {
                next += 1;
                continue;
            }
            recorded.push(generation_name(next));
            self.record(&recorded)?;
            match fs::create_dir(&path) {
                Ok(()) => break path,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && next < 999_999 => {
                    recorded.pop();
                    self.record(&recorded)?;
                    next += 1;
                }
                Err(e) => {
                    recorded.pop();
                    let _ = self.record(&recorded);
                    return Err(io_err(&path, e));
                }
            }
        };
        Ok(path)
    }

    /// Makes `gen_dir` durable and live, then removes generations nothing should still use.
    /// `meta.files` is filled in here, from the files as they are on disk; `linked_from`
    /// is the generation an incremental build hard-linked its segment files from.
    pub fn publish(
        &self,
        gen_dir: &Path,
        meta: &GenerationMeta,
        linked_from: Option<&Generation>,
        lock: &BuildLock,
    ) -> Result<(), SearchError> {
        let mut meta = meta.clone();
        write_synced(&gen_dir.join(STAMPS_FILE), meta.stamps.as_bytes())?;
        meta.files = seal_files(gen_dir, linked_from)?;
        let meta_json = serde_json::to_vec_pretty(&meta).map_err(SearchError::Json)?;
        let meta_path = gen_dir.join(META_FILE);
        write_synced(&meta_path, &seal(meta_json))?;
        // tantivy writes some files 0600; ours follow the umask, and so should the rest.
        let mode = fs::metadata(&meta_path)
            .map_err(|e| io_err(&meta_path, e))?
            .permissions()
            .mode();
        for f in &meta.files {
            let path = gen_dir.join(&f.name);
            fs::set_permissions(&path, fs::Permissions::from_mode(mode))
                .map_err(|e| io_err(&path, e))?;
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

    /// The generations this tool made here, as its record lists them.
    fn recorded(&self) -> Vec<String> {
        safe_fs::read_regular(&self.root.join(GENERATIONS_FILE), RECORD_CAP, false)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .map(|s| {
                s.lines()
                    .map(str::trim)
                    .filter(|n| is_generation_name(n))
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn record(&self, names: &[String]) -> Result<(), SearchError> {
        let mut text = String::new();
        for n in names {
            text.push_str(n);
            text.push('\n');
        }
        let tmp = self.root.join(format!("{GENERATIONS_FILE}.tmp"));
        write_synced(&tmp, text.as_bytes())?;
        let path = self.root.join(GENERATIONS_FILE);
        fs::rename(&tmp, &path).map_err(|e| io_err(&path, e))
    }

    /// Removes every generation this tool made but the live one and the one it replaced (a
    /// search that started a moment ago may still be reading it). Leftovers of killed
    /// builds go too; folders it did not make stay. Failures are ignored: a generation left
    /// behind costs disk, not correctness.
    fn clean(&self, live: &Path, previous: Option<&Path>, _lock: &BuildLock) {
        let mut kept = Vec::new();
        for name in self.recorded() {
            let path = self.root.join(&name);
            if path == live || Some(path.as_path()) == previous {
                kept.push(name);
                continue;
            }
            // Gone, or replaced by something this tool did not make (a symlink): forgotten.
            let ours = fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
            if ours && fs::remove_dir_all(&path).is_err() {
                kept.push(name);
            }
        }
        let _ = self.record(&kept);
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

fn generation_name(number: u64) -> String {
    format!("{GEN_PREFIX}{number:06}")
}

/// The line that ends `duibiao.json`: the hash of the JSON before it. The meta stamps every
/// other file, and this stamps the meta, so no byte of a generation can change unseen by
/// its hash (only, without its time changing, by its stamp).
const SEAL_PREFIX: &str = "\n#xxh3 ";

fn seal(mut json: Vec<u8>) -> Vec<u8> {
    let hash = crate::library::source::content_hash(&json);
    json.extend_from_slice(format!("{SEAL_PREFIX}{hash:032x}\n").as_bytes());
    json
}

/// The JSON of a sealed meta, when its seal matches.
fn unseal(bytes: &[u8]) -> Option<&[u8]> {
    let prefix = SEAL_PREFIX.as_bytes();
    let at = bytes.windows(prefix.len()).rposition(|w| w == prefix)?;
    let (json, rest) = bytes.split_at(at);
    let hash = std::str::from_utf8(&rest[prefix.len()..])
        .ok()?
        .trim_end_matches('\n');
    (u128::from_str_radix(hash, 16).ok()? == crate::library::source::content_hash(json))
        .then_some(json)
}

/// Index files the build leaves that are not part of the generation: tantivy's lock files.
fn is_lock(name: &str) -> bool {
    name.ends_with(".lock")
}

/// Hashes a file as the stamps do, streaming, without following a symlink.
fn hash_file(path: &Path) -> io::Result<(u128, File)> {
    let mut file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok((hasher.digest128(), file))
}

/// Syncs every file of a finished generation to disk and stamps it, so that a later open
/// can tell it is as built. Lock files tantivy left are removed: no one writes to a
/// published generation, so no one needs them.
///
/// A file hard-linked from `linked_from` (the same inode, with the size and time that
/// generation sealed it with) keeps its stamp and is already on disk: at 100k cases that
/// spares an incremental build reading its 700 MB of segments to hash them again.
fn seal_files(
    gen_dir: &Path,
    linked_from: Option<&Generation>,
) -> Result<Vec<FileStamp>, SearchError> {
    let mut files = Vec::new();
    for entry in fs::read_dir(gen_dir).map_err(|e| io_err(gen_dir, e))? {
        let entry = entry.map_err(|e| io_err(gen_dir, e))?;
        let path = entry.path();
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if !is_file || name == META_FILE || name.starts_with(SETTLED_FILE) {
            continue;
        }
        if is_lock(&name) {
            let _ = fs::remove_file(&path);
            continue;
        }
        if let Some(stamp) = linked_from.and_then(|g| linked_stamp(g, &name, &path)) {
            files.push(stamp);
            continue;
        }
        let (hash, file) = hash_file(&path).map_err(|e| io_err(&path, e))?;
        file.sync_all().map_err(|e| io_err(&path, e))?;
        let meta = file.metadata().map_err(|e| io_err(&path, e))?;
        files.push(FileStamp {
            name,
            len: meta.len(),
            mtime_ns: mtime_ns(&meta),
            hash,
            // A generation's own files are checked by size, time and hash only.
            ctime_ns: 0,
            ino: 0,
        });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// `prev`'s stamp of its file `name` when `path` is that very file, unchanged since.
fn linked_stamp(prev: &Generation, name: &str, path: &Path) -> Option<FileStamp> {
    use std::os::unix::fs::MetadataExt;
    let files = &prev.meta.files;
    let stamp = &files[files.binary_search_by(|f| f.name.as_str().cmp(name)).ok()?];
    let ours = fs::symlink_metadata(path).ok()?;
    let theirs = fs::symlink_metadata(prev.path.join(name)).ok()?;
    (ours.is_file()
        && ours.ino() == theirs.ino()
        && ours.dev() == theirs.dev()
        && ours.len() == stamp.len
        && mtime_ns(&ours) == stamp.mtime_ns)
        .then(|| stamp.clone())
}

/// Checks that a generation's files are the ones its build stamped: each must be there,
/// a regular file of the recorded size; one whose time moved must hash as recorded.
fn verify_files(gen_dir: &Path, files: &[FileStamp], full: bool) -> Result<(), String> {
    for required in REQUIRED_FILES {
        if !files.iter().any(|f| f.name == required) {
            return Err(format!(
                "{} was never completed ({required} missing)",
                shown(gen_dir)
            ));
        }
    }
    for f in files {
        let path = gen_dir.join(&f.name);
        let damaged = |why: &str| format!("{} {why}", shown(&path));
        let meta = match fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(damaged("is missing")),
            Err(e) => return Err(damaged(&e.to_string())),
        };
        if !meta.is_file() {
            return Err(damaged("is not a regular file"));
        }
        if meta.len() != f.len {
            return Err(damaged("changed size since it was built"));
        }
        if full || mtime_ns(&meta) != f.mtime_ns {
            match hash_file(&path) {
                Ok((hash, _)) if hash == f.hash => {}
                Ok(_) => return Err(damaged("changed since it was built")),
                Err(e) => return Err(damaged(&e.to_string())),
            }
        }
    }
    Ok(())
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
    fn a_sealed_meta_opens_only_as_written() {
        let sealed = seal(b"{\"a\": 1}".to_vec());
        assert_eq!(unseal(&sealed), Some(&b"{\"a\": 1}"[..]));
        let mut changed = sealed.clone();
        changed[6] = b'2';
        assert_eq!(unseal(&changed), None);
        assert_eq!(unseal(b"{\"a\": 1}"), None);
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
