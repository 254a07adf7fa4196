//! Where a library's files come from: a folder on disk, or the copy compiled into the
//! binary. Either way the rest of the program sees the same list of named byte buffers,
//! each with a stamp (size, modification time, content hash) that the index uses to tell
//! whether it is stale.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use super::LibraryError;
use super::diag::Diagnostics;
pub use super::stamps::{StampRef, Stamps};

/// Files larger than this are refused: a case is a few kilobytes; anything this large is a
/// mistake (a pasted PDF, a binary) and would slow every build.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The file names a library folder may hold besides case files.
pub const PLACES_FILE: &str = "places.yaml";
pub const PLAN_FILE: &str = "plan.yaml";
pub const DICT_FILE: &str = "dict.txt";
pub const SYNONYMS_FILE: &str = "synonyms.yaml";

/// One library file, read whole.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as shown to the user.
    pub path: PathBuf,
    /// File name inside the library folder.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What identifies a file's version without reading it again: size, modification time,
/// status-change time and inode (cheap, from metadata) plus a hash of its content (certain).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileStamp {
    pub name: String,
    pub len: u64,
    /// Nanoseconds since the epoch; 0 for the compiled-in library.
    pub mtime_ns: u128,
    /// xxh3-128 of the content; written as 32 hex digits in JSON.
    #[serde(with = "hex128")]
    pub hash: u128,
    /// The status-change time, in nanoseconds since the epoch: every write, `touch -d` to an
    /// earlier time and rename moves it, and no user can set it back, so a file whose
    /// modification time was put back still shows as changed.
    #[serde(default)]
    pub ctime_ns: u128,
    /// The inode: a file replaced by another (an editor's save-by-rename, a `mv` over it)
    /// has a new one even when its size and times match.
    #[serde(default)]
    pub ino: u64,
}

/// A file's metadata as the stamps record it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Listed {
    pub len: u64,
    pub mtime_ns: u128,
    pub ctime_ns: u128,
    pub ino: u64,
}

impl Listed {
    pub fn of(meta: &fs::Metadata) -> Listed {
        #[cfg(unix)]
        let (ctime_ns, ino) = {
            use std::os::unix::fs::MetadataExt;
            let ns = u128::try_from(meta.ctime()).unwrap_or(0) * 1_000_000_000
                + u128::try_from(meta.ctime_nsec()).unwrap_or(0);
            (ns, meta.ino())
        };
        #[cfg(not(unix))]
        let (ctime_ns, ino) = (0, 0);
        Listed {
            len: meta.len(),
            mtime_ns: mtime_ns(meta),
            ctime_ns,
            ino,
        }
    }

    /// Whether this metadata is the one `stamp` recorded.
    pub fn matches(&self, stamp: &StampRef) -> bool {
        self.len == stamp.len
            && self.mtime_ns == stamp.mtime_ns
            && self.ctime_ns == stamp.ctime_ns
            && self.ino == stamp.ino
    }

    /// The latest time the file's metadata says it changed.
    pub fn changed_ns(&self) -> u128 {
        self.mtime_ns.max(self.ctime_ns)
    }
}

/// Is `name` a file that belongs to the library (and so to its fingerprint)?
pub fn is_library_file(name: &str) -> bool {
    (name.ends_with(".md") && !name.eq_ignore_ascii_case("README.md"))
        || [PLACES_FILE, PLAN_FILE, DICT_FILE, SYNONYMS_FILE].contains(&name)
}

/// The content hash used in stamps.
pub fn content_hash(bytes: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(bytes)
}

/// A hash as 32 hex digits in JSON, where a number this large would not survive every
/// reader.
mod hex128 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(hash: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{hash:032x}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let text = String::deserialize(d)?;
        u128::from_str_radix(&text, 16).map_err(serde::de::Error::custom)
    }
}

/// A folder entry that looks like a library file but cannot be read as one, and why.
#[derive(Debug, Clone)]
pub struct Refused {
    pub path: PathBuf,
    pub why: String,
}

/// What [`list_dir`] found.
#[derive(Debug, Default)]
pub struct Listing {
    /// The library files, sorted by name, with the metadata of what they are (a symlink's
    /// target's).
    pub files: Vec<(String, Listed)>,
    /// Entries named like library files that are not readable ones: each is a problem.
    pub refused: Vec<Refused>,
}

/// Why an entry named `name` is not a library file although it looks like one, or `None`
/// when its name is simply not a library file's.
fn misnamed(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".md") && !name.ends_with(".md") && lower != "readme.md" {
        let stem = &name[..name.len() - 3];
        return Some(format!(
            "case files end in lower-case .md; rename it to {stem}.md"
        ));
    }
    [PLACES_FILE, PLAN_FILE, DICT_FILE, SYNONYMS_FILE]
        .iter()
        .find(|f| f.eq_ignore_ascii_case(name) && **f != name)
        .map(|f| format!("library file names are lower-case; rename it to {f}"))
}

/// The library files in `dir`, with their metadata, and the entries that look like library
/// files but cannot be read as one. Reads no content.
///
/// A symlink to a regular file counts as that file. Refused, each with its reason: a
/// dangling symlink, a folder, FIFO, socket or device named like a library file, a case
/// file whose `.md` is not lower-case, and a `.md` name that is not UTF-8. Hidden entries
/// (`.name`, an editor's lock files among them) are never library files.
pub fn list_dir(dir: &Path) -> Result<Listing, LibraryError> {
    let read_err = |source| LibraryError::ReadDir {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Listing::default();
    let mut entries = fs::read_dir(dir).map_err(read_err)?;
    // A small folder is read, then stat'ed, on this thread. A large one is stat'ed by
    // workers while this thread goes on reading it: at 100k files the `stat` calls are
    // most of what a search pays before it runs, and reading the folder a fifth of it.
    let mut first = Vec::new();
    let more =
        next_named(&mut entries, &mut first, PARALLEL_FROM, &mut out.refused).map_err(read_err)?;
    let stated: Vec<Stated> = if !more || stat_threads() < 2 {
        if more {
            next_named(&mut entries, &mut first, usize::MAX, &mut out.refused).map_err(read_err)?;
        }
        first.into_iter().map(stat_named).collect()
    } else {
        let (send, receive) = std::sync::mpsc::channel::<Vec<(String, fs::DirEntry)>>();
        let receive = std::sync::Mutex::new(receive);
        std::thread::scope(|s| {
            let workers: Vec<_> = (0..stat_threads())
                .map(|_| {
                    s.spawn(|| {
                        let mut done = Vec::new();
                        // Each worker takes the next batch as soon as it is free.
                        while let Some(batch) = receive.lock().ok().and_then(|r| r.recv().ok()) {
                            done.extend(batch.into_iter().map(stat_named));
                        }
                        done
                    })
                })
                .collect();
            let mut read = Ok(());
            let mut batch = first;
            loop {
                let more = next_named(&mut entries, &mut batch, BATCH, &mut out.refused);
                // A worker only stops when the channel closes, so sending cannot fail.
                let _ = send.send(std::mem::take(&mut batch));
                match more {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => {
                        read = Err(e);
                        break;
                    }
                }
            }
            drop(send);
            let stated = workers
                .into_iter()
                // A stat does not panic; if a worker did, its panic goes on as this one's.
                .flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect();
            read.map(|()| stated)
        })
        .map_err(read_err)?
    };
    for (name, entry, meta) in stated {
        let (listed, is_dir) = match meta {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                out.refused.push(Refused {
                    path: entry.path(),
                    why: "broken symbolic link: what it points to does not exist".into(),
                });
                continue;
            }
            Err(e) => {
                out.refused.push(Refused {
                    path: entry.path(),
                    why: format!("cannot read file: {e}"),
                });
                continue;
            }
        };
        if let Some(listed) = listed {
            out.files.push((name, listed));
        } else {
            let what = if is_dir {
                "a folder"
            } else {
                "a FIFO, socket or device"
            };
            out.refused.push(Refused {
                path: entry.path(),
                why: format!("not a regular file ({what}); a library file must be one"),
            });
        }
    }
    out.files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    out.refused.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// How many threads share the `stat` calls of a large folder. Asked once, and only for a
/// large folder: finding out reads the process's cgroup files, about 40 µs here, as much
/// as the rest of the shipped library's check.
fn stat_threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(8)))
}

/// Below this many library files one thread stats them all: starting threads costs more
/// than it saves (the shipped library's check stays well under a millisecond).
const PARALLEL_FROM: usize = 2048;
/// Library files handed to a worker at a time.
const BATCH: usize = 1024;

/// A library file's entry and what `stat` said: its metadata when it is a regular file
/// (or a symlink to one), and whether it is a folder.
type Stated = (
    String,
    fs::DirEntry,
    std::io::Result<(Option<Listed>, bool)>,
);

/// Reads entries into `into` until it holds `up_to` library files, deciding every other
/// entry by its name alone (problems go to `refused`); `false` once the folder is read
/// to its end.
fn next_named(
    entries: &mut fs::ReadDir,
    into: &mut Vec<(String, fs::DirEntry)>,
    up_to: usize,
    refused: &mut Vec<Refused>,
) -> std::io::Result<bool> {
    while into.len() < up_to {
        let Some(entry) = entries.next() else {
            return Ok(false);
        };
        let entry = entry?;
        let name = match entry.file_name().into_string() {
            Ok(name) => name,
            Err(raw) => {
                if raw.to_string_lossy().to_ascii_lowercase().ends_with(".md") {
                    refused.push(Refused {
                        path: entry.path(),
                        why: "file name is not valid UTF-8; rename it (ids are lower-case ASCII)"
                            .into(),
                    });
                }
                continue;
            }
        };
        if name.starts_with('.') {
            continue;
        }
        if !is_library_file(&name) {
            if let Some(why) = misnamed(&name) {
                refused.push(Refused {
                    path: entry.path(),
                    why,
                });
            }
            continue;
        }
        into.push((name, entry));
    }
    Ok(true)
}

/// `stat` of one library file: what it is (a symlink's target: symlinks to regular files
/// are library files). Anything but a symlink is stat'ed relative to the open folder
/// (`fstatat`), so the folder's path is not walked again for every file.
fn stat_named((name, entry): (String, fs::DirEntry)) -> Stated {
    let meta = match entry.file_type() {
        Ok(t) if !t.is_symlink() => entry.metadata(),
        _ => fs::metadata(entry.path()),
    };
    let meta = meta.map(|m| (m.is_file().then(|| Listed::of(&m)), m.is_dir()));
    (name, entry, meta)
}

/// Modification time in nanoseconds since the epoch, 0 when the platform has none.
pub fn mtime_ns(meta: &fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

/// A file's stamp from its bytes.
pub fn stamp(name: &str, bytes: &[u8], mtime_ns: u128) -> FileStamp {
    FileStamp {
        name: name.to_string(),
        len: bytes.len() as u64,
        mtime_ns,
        hash: content_hash(bytes),
        ctime_ns: 0,
        ino: 0,
    }
}

/// A file's stamp from its bytes and the metadata listed before they were read (so a change
/// in between shows as changed metadata next time, never as a missed change).
pub fn stamp_listed(name: &str, bytes: &[u8], listed: &Listed) -> FileStamp {
    FileStamp {
        ctime_ns: listed.ctime_ns,
        ino: listed.ino,
        ..stamp(name, bytes, listed.mtime_ns)
    }
}

/// Reads one listed file of a library folder. A file that is too large or unreadable
/// becomes a diagnostic, not an error: the rest of the library is still checked.
pub fn read_listed(
    path: &Path,
    name: &str,
    listed: &Listed,
    diags: &mut Diagnostics,
) -> Option<(SourceFile, FileStamp)> {
    let len = listed.len;
    if len > MAX_FILE_BYTES {
        diags.file(
            path,
            format!(
                "file is {len} bytes, over the limit of 1 MiB; a case should be a few kilobytes — split or trim it"
            ),
        );
        return None;
    }
    match crate::safe_fs::read_regular(path, MAX_FILE_BYTES, true) {
        Ok(bytes) => {
            let stamp = stamp_listed(name, &bytes, listed);
            Some((
                SourceFile {
                    path: path.to_path_buf(),
                    name: name.to_string(),
                    bytes,
                },
                stamp,
            ))
        }
        Err(e) => {
            diags.file(path, format!("cannot read file: {e}"));
            None
        }
    }
}

/// [`read_listed`] with the listing's metadata.
pub fn read_file(
    path: PathBuf,
    name: String,
    listed: &Listed,
    diags: &mut Diagnostics,
) -> Option<(SourceFile, FileStamp)> {
    read_listed(&path, &name, listed, diags)
}

/// Stamps of the compiled-in library without copying it.
pub fn embedded_stamps() -> Vec<FileStamp> {
    EMBEDDED
        .iter()
        .map(|(name, bytes)| stamp(name, bytes, 0))
        .collect()
}

include!(concat!(env!("OUT_DIR"), "/embedded_library.rs"));

/// A file whose modification time is this close to the build's start may have been
/// changed again within the same clock tick: its content is always compared.
pub(crate) const RACY_WINDOW_NS: u128 = 2_000_000_000;

/// What a generation trusts about the library folder without looking at its contents:
/// since when every file's metadata can be trusted (the build's start, or a later check
/// that found recent files settled), and the folder's own metadata at that point, when
/// known.
///
/// The folder's metadata moves with every entry added, removed or renamed in it (its
/// status-change time cannot be set back), so while it is as recorded, and was already old
/// when the trust began, the folder holds the names it held then: a check can `stat` the
/// recorded names and skip reading the folder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Trust {
    pub since_ns: u128,
    pub folder: Option<Listed>,
}

impl Trust {
    /// Whether `file`'s metadata, found as recorded, proves its content unchanged.
    pub fn trusts(&self, file: &Listed) -> bool {
        file.changed_ns() + RACY_WINDOW_NS < self.since_ns
    }
}

/// The metadata of the folder itself (a symlink's target's), as a trust records it; `None`
/// when it cannot be read.
pub fn folder_stamp(dir: &Path) -> Option<Listed> {
    fs::metadata(dir)
        .ok()
        .filter(|m| m.is_dir())
        .map(|m| Listed::of(&m))
}

/// What a freshness check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// A file was added, removed or changed: why.
    Changed(String),
    /// Every file is as recorded. `settled` is set when the check proved more than the
    /// trust it started from: files too recent to trust by their metadata were compared by
    /// content and are now old enough that any later change would show in it, or the
    /// folder was read and found as recorded, now old enough to stand for its names.
    /// Recording it spares the next searches that work.
    ///
    /// `restamped` (only with `settled`) are files whose metadata moved while their content
    /// did not (touched, copied back, checked out again): their metadata as now seen, which
    /// the next checks may take as theirs. Without it, every later check would read and
    /// hash each of them again, until the next build.
    Unchanged {
        settled: Option<Trust>,
        restamped: Vec<(String, Listed)>,
    },
}

/// Whether the library still matches `recorded`, the stamps of the files an index was
/// built from, given what the index `trust`s.
///
/// When the folder is as the trust recorded it (and the file system is one whose folders'
/// times are known to move with their entries), this costs one `stat` per recorded name,
/// spread over the cores. Otherwise it costs one directory listing and one `stat` a file.
/// Either way a file is read (and hashed) only when its metadata changed or is too recent
/// to trust, so a touched-but-unchanged file is not a change and a changed file is never
/// missed: an addition, removal or rename changes the listing (and the folder's times),
/// and an edit moves the status-change time even when the size, the second and the
/// modification time (set back by hand) stay.
pub fn unchanged(dir: &Path, recorded: &Stamps, trust: &Trust) -> Result<Check, LibraryError> {
    let started_ns = now_ns();
    // Taken before the listing: an entry changed during or after it moves these times.
    let folder_now = folder_stamp(dir);
    let stated = match folder_now {
        Some(f) if stands_for_names(&f, trust) => folder::stat_names(dir, recorded, &f),
        _ => None,
    };
    let read_folder = stated.is_none();
    let listed: Vec<Listed> = match stated {
        Some(listed) => listed,
        None => {
            let Listing {
                files: entries,
                refused,
            } = list_dir(dir)?;
            if let Some(why) = listing_differs(&entries, &refused, recorded) {
                return Ok(Check::Changed(why));
            }
            entries.into_iter().map(|(_, l)| l).collect()
        }
    };
    let (mut compared, mut settled) = (false, true);
    let mut restamped = Vec::new();
    // The folder's listing is in name order; the fast path's stats are in stat order.
    let stamps: Box<dyn Iterator<Item = StampRef<'_>>> = if read_folder {
        Box::new(recorded.iter())
    } else {
        Box::new(recorded.in_stat_order())
    };
    for (stamp, listed) in stamps.zip(&listed) {
        let name = stamp.name;
        // Each file's metadata is its symlink target's, as the listing gives it.
        if listed.len != stamp.len {
            return Ok(Check::Changed(format!("{name} changed")));
        }
        let same = listed.matches(&stamp);
        if same && trust.trusts(listed) {
            continue;
        }
        let bytes = crate::safe_fs::read_regular(&dir.join(name), MAX_FILE_BYTES, true).map_err(
            |source| LibraryError::ReadDir {
                path: dir.join(name),
                source,
            },
        )?;
        if content_hash(&bytes) != stamp.hash {
            return Ok(Check::Changed(format!("{name} changed")));
        }
        compared = true;
        // Content read after `started_ns` matched the recorded content; if the metadata was
        // already old enough, a later change must move it: the metadata now stands for the
        // recorded content, whether it is the recorded metadata or new.
        let old_enough = listed.changed_ns() + RACY_WINDOW_NS < started_ns;
        settled &= old_enough;
        if !same && old_enough {
            restamped.push((name.to_string(), *listed));
        }
    }
    // A listing read after `folder_now` was taken held the recorded names: while the
    // folder keeps that metadata, it holds them still, once it is too old to have moved
    // within the same clock tick.
    let folder = folder_now.filter(|f| read_folder && f.changed_ns() + RACY_WINDOW_NS < started_ns);
    let folder_settles = folder.is_some() && folder != trust.folder;
    let settled = ((compared || folder_settles) && settled).then_some(Trust {
        since_ns: started_ns,
        folder: folder.or(trust.folder),
    });
    if settled.is_none() {
        restamped.clear();
    }
    Ok(Check::Unchanged { settled, restamped })
}

/// Whether a folder whose metadata is `now` holds the names it held when `trust` began:
/// it is the recorded folder, unmoved since, and was already too old then to have moved
/// again within the same clock tick.
fn stands_for_names(now: &Listed, trust: &Trust) -> bool {
    trust.folder.as_ref() == Some(now) && trust.trusts(now)
}

/// Why a listing is not the recorded names: an entry it refused, a count or a name that
/// differs.
fn listing_differs(
    entries: &[(String, Listed)],
    refused: &[Refused],
    recorded: &Stamps,
) -> Option<String> {
    if let Some(r) = refused.first() {
        return Some(format!(
            "{} cannot be read as a library file",
            super::diag::shown(&r.path)
        ));
    }
    if entries.len() != recorded.len() {
        return Some(format!(
            "{} library files now, {} when indexed",
            entries.len(),
            recorded.len()
        ));
    }
    let ((name, _), stamp) = entries
        .iter()
        .zip(recorded.iter())
        .find(|((n, _), s)| n != s.name)?;
    let known = recorded.position(name).is_some();
    Some(if known {
        format!("{} was removed or renamed", stamp.name)
    } else {
        format!("{name} is new")
    })
}

/// The check's fast path: the recorded names `stat`ed relative to the open folder, on
/// several threads when there are many.
mod folder {
    use std::path::Path;

    use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat};

    use super::{Listed, PARALLEL_FROM, Stamps, stat_threads};

    /// The metadata of every recorded file, in stat order, looked up by name in the folder
    /// (following symlinks, as the listing does); `None` when the folder opened is not
    /// `expected` (it was swapped for another since it was checked), its file system's
    /// folder times cannot be relied on, or a file is gone or no longer a regular file:
    /// the caller then reads the folder, which says what changed.
    pub(super) fn stat_names(
        dir: &Path,
        recorded: &Stamps,
        expected: &Listed,
    ) -> Option<Vec<Listed>> {
        let fd = rustix::fs::open(
            dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .ok()?;
        let opened = rustix::fs::fstat(&fd).ok().map(|s| listed(&s));
        if opened.as_ref() != Some(expected) || !times_follow_entries(&fd) {
            return None;
        }
        // The names are NUL-terminated where they lie: nothing is copied per call. Each
        // part is a run of the stat order (see `Stamps`).
        let stat = |from: usize, n: usize| -> Option<Vec<Listed>> {
            let mut out = Vec::with_capacity(n);
            for k in from..from + n {
                let name = recorded.c_name_in_stat_order(k)?;
                let st = rustix::fs::statat(&fd, name, AtFlags::empty()).ok()?;
                if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
                    return None;
                }
                out.push(listed(&st));
            }
            Some(out)
        };
        let threads = stat_threads();
        let len = recorded.len();
        if len < PARALLEL_FROM || threads < 2 {
            return stat(0, len);
        }
        let chunk = len.div_ceil(threads);
        // This thread takes the first part itself.
        std::thread::scope(|s| {
            let rest: Vec<_> = (1..threads)
                .map(|t| t * chunk)
                .filter(|&from| from < len)
                .map(|from| s.spawn(move || stat(from, chunk.min(len - from))))
                .collect();
            let mut all = stat(0, chunk.min(len))?;
            all.reserve(len - all.len());
            for p in rest {
                // A stat does not panic; a worker that did proves nothing.
                all.extend(p.join().ok()??);
            }
            Some(all)
        })
    }

    fn listed(st: &Stat) -> Listed {
        let ns = |secs: i64, nsec: u64| {
            u128::try_from(secs).unwrap_or(0) * 1_000_000_000 + u128::from(nsec)
        };
        Listed {
            len: u64::try_from(st.st_size).unwrap_or(0),
            #[allow(clippy::unnecessary_cast)]
            mtime_ns: ns(st.st_mtime as i64, st.st_mtime_nsec as u64),
            #[allow(clippy::unnecessary_cast)]
            ctime_ns: ns(st.st_ctime as i64, st.st_ctime_nsec as u64),
            #[allow(clippy::unnecessary_cast)]
            ino: st.st_ino as u64,
        }
    }

    /// File systems whose folders' modification and status-change times are known to move
    /// with every entry added, removed or renamed, as POSIX asks. Network and FUSE file
    /// systems may cache or fake them, so their folders are always read.
    #[cfg(target_os = "linux")]
    fn times_follow_entries(fd: &rustix::fd::OwnedFd) -> bool {
        const LOCAL: [u32; 7] = [
            0xEF53,      // ext2, ext3, ext4
            0x5846_5342, // xfs
            0x9123_683E, // btrfs
            0x0102_1994, // tmpfs
            0xF2F5_2010, // f2fs
            0x2FC1_2FC1, // zfs
            0x794C_7630, // overlayfs
        ];
        rustix::fs::fstatfs(fd).is_ok_and(|s| {
            #[allow(clippy::unnecessary_cast)]
            let kind = s.f_type as u32;
            LOCAL.contains(&kind)
        })
    }

    #[cfg(not(target_os = "linux"))]
    fn times_follow_entries(_: &rustix::fd::OwnedFd) -> bool {
        false
    }
}

/// The wall clock in nanoseconds since the epoch: build stamps and staleness checks compare
/// it with file modification times.
pub fn now_ns() -> u128 {
    std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// Whether the compiled-in library matches `recorded` (it changes only with the binary).
pub fn embedded_unchanged(recorded: &Stamps) -> Option<String> {
    (embedded_stamps() != recorded.to_vec()).then(|| "the built-in library changed".to_string())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;

    /// The check on stamps as a generation would hold them.
    fn unchanged(d: &Path, recorded: &[FileStamp], trust: &Trust) -> Result<Check, LibraryError> {
        super::unchanged(d, &Stamps::new(None, recorded), trust)
    }

    /// A folder large enough to be read and stat'ed by the workers gives the listing a
    /// small one would: every library file with its target's metadata, sorted, and every
    /// entry that cannot be one refused, whichever batch it fell in.
    #[test]
    fn a_large_folder_lists_as_a_file_by_file_stat_would() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let n = PARALLEL_FROM + 3 * BATCH + 17;
        for i in 0..n {
            fs::write(d.join(format!("case-{i:05}.md")), format!("{i}")).unwrap();
        }
        fs::write(d.join("plan.yaml"), "tasks: []").unwrap();
        fs::write(d.join("notes.txt"), "not a library file").unwrap();
        fs::write(d.join(".hidden.md"), "hidden").unwrap();
        fs::write(d.join("Shouting.MD"), "misnamed").unwrap();
        symlink(d.join("case-00007.md"), d.join("linked.md")).unwrap();
        symlink(d.join("nowhere.md"), d.join("dangling.md")).unwrap();
        fs::create_dir(d.join("folder.md")).unwrap();

        let listing = list_dir(d).unwrap();
        let mut expected: Vec<String> = (0..n).map(|i| format!("case-{i:05}.md")).collect();
        expected.extend(["linked.md".into(), "plan.yaml".into()]);
        expected.sort();
        let names: Vec<&str> = listing.files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, expected);
        for (name, listed) in &listing.files {
            assert_eq!(
                *listed,
                Listed::of(&fs::metadata(d.join(name)).unwrap()),
                "{name}"
            );
        }
        let refused: Vec<PathBuf> = listing.refused.iter().map(|r| r.path.clone()).collect();
        assert_eq!(
            refused,
            ["Shouting.MD", "dangling.md", "folder.md"].map(|f| d.join(f))
        );
    }

    #[test]
    fn a_same_size_edit_in_a_large_folder_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // Made in reverse name order, so the stat order (by inode) is not the name order,
        // and of sizes that differ, so a stat paired with another file's stamp shows.
        let text = |i: usize| format!("口袋公园{}", "。".repeat(i % 5));
        for i in (0..PARALLEL_FROM + BATCH).rev() {
            fs::write(d.join(format!("c{i:05}.md")), text(i)).unwrap();
        }
        let names: Vec<String> = list_dir(d)
            .unwrap()
            .files
            .into_iter()
            .map(|f| f.0)
            .collect();
        let recorded: Vec<FileStamp> = names.iter().map(|n| stamp_of(d, n)).collect();
        let later = now_ns() + RACY_WINDOW_NS + 1;
        // Read from the folder, and from the recorded names alone.
        let trusts = [
            since(later),
            Trust {
                since_ns: later,
                folder: folder_stamp(d),
            },
        ];
        assert!(stands(d, &recorded, &trusts[1]));
        for trust in &trusts {
            assert_eq!(
                unchanged(d, &recorded, trust).unwrap(),
                Check::Unchanged {
                    settled: None,
                    restamped: Vec::new()
                }
            );
        }
        // The same number of bytes, in a file far from the first worker's share.
        let last = names.last().unwrap();
        let edited = text(names.len() - 1).replace("公园", "绿地");
        fs::write(d.join(last), edited).unwrap();
        assert!(
            stands(d, &recorded, &trusts[1]),
            "an edit leaves the names as they were"
        );
        for trust in &trusts {
            assert_eq!(
                unchanged(d, &recorded, trust).unwrap(),
                Check::Changed(format!("{last} changed"))
            );
        }
    }

    /// Whether the check takes the folder for its names and `stat`s them alone.
    fn stands(d: &Path, recorded: &[FileStamp], trust: &Trust) -> bool {
        let Some(now) = folder_stamp(d) else {
            return false;
        };
        stands_for_names(&now, trust)
            && folder::stat_names(d, &Stamps::new(None, recorded), &now).is_some()
    }

    fn since(since_ns: u128) -> Trust {
        Trust {
            since_ns,
            folder: None,
        }
    }

    /// The folder stands for its names only while it is as recorded, on a trust that began
    /// once it was old enough; any entry added, even one that is no library file, ends that.
    #[test]
    fn a_folder_stands_for_its_names_only_while_it_is_as_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("a.md"), "口袋公园").unwrap();
        let recorded = vec![stamp_of(d, "a.md")];
        let folder = folder_stamp(d);
        assert!(folder.is_some());
        let later = now_ns() + RACY_WINDOW_NS + 1;
        let trusted = Trust {
            since_ns: later,
            folder,
        };
        assert!(stands(d, &recorded, &trusted));
        // No folder recorded, or a trust that began while the folder was still moving.
        assert!(!stands(d, &recorded, &since(later)));
        let racy = Trust {
            since_ns: folder.unwrap().changed_ns() + 1,
            folder,
        };
        assert_eq!(
            unchanged(d, &recorded, &racy).unwrap(),
            Check::Unchanged {
                settled: None,
                restamped: Vec::new()
            }
        );
        // An editor's swap file: the names are no longer proven, though nothing changed.
        fs::write(d.join(".a.md.swp"), "swap").unwrap();
        assert!(!stands(d, &recorded, &trusted));
        assert_eq!(
            unchanged(d, &recorded, &trusted).unwrap(),
            Check::Unchanged {
                settled: None,
                restamped: Vec::new()
            }
        );
        // A new case, found through the folder's listing.
        fs::write(d.join("b.md"), "城市更新").unwrap();
        assert_eq!(
            unchanged(d, &recorded, &trusted).unwrap(),
            Check::Changed("2 library files now, 1 when indexed".into())
        );
    }

    fn stamp_of(dir: &Path, name: &str) -> FileStamp {
        let path = dir.join(name);
        let meta = fs::metadata(&path).unwrap();
        stamp_listed(name, &fs::read(&path).unwrap(), &Listed::of(&meta))
    }

    #[test]
    fn recent_files_are_compared_until_recorded_settled() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.md");
        fs::write(&path, "口袋公园").unwrap();
        let old = SystemTime::now() - Duration::from_secs(60);
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let recorded = vec![stamp_of(dir.path(), "a.md")];
        let mtime = recorded[0].mtime_ns;
        // Setting the time moved the status-change time to now: only once that is past the
        // racy window can the file be settled.
        std::thread::sleep(Duration::from_nanos(RACY_WINDOW_NS as u64 + 100_000_000));

        // Built within the racy window of the file's change: its content is compared, and
        // since its time is long past, it is settled from now on.
        let Check::Unchanged {
            settled: Some(settled),
            restamped,
        } = unchanged(dir.path(), &recorded, &since(mtime + 1)).unwrap()
        else {
            panic!("expected a settled, unchanged library");
        };
        assert!(settled.since_ns > mtime + RACY_WINDOW_NS);
        assert_eq!(restamped, [], "the metadata is the recorded one");
        // The folder was read and is old: it now stands for its names.
        assert_eq!(settled.folder, folder_stamp(dir.path()));
        assert!(stands(dir.path(), &recorded, &settled));
        // Trusted since then: nothing left to compare.
        assert_eq!(
            unchanged(dir.path(), &recorded, &settled).unwrap(),
            Check::Unchanged {
                settled: None,
                restamped: Vec::new()
            }
        );
        // Written again with the same bytes: the folder still stands for its names, and
        // the file, whose metadata moved, is compared by content: no change.
        fs::write(&path, "口袋公园").unwrap();
        assert!(stands(dir.path(), &recorded, &settled));
        assert_eq!(
            unchanged(dir.path(), &recorded, &settled).unwrap(),
            Check::Unchanged {
                settled: None,
                restamped: Vec::new()
            }
        );
        // Once that write is old enough, a check records the new metadata as standing for
        // the recorded content, and checks that take it read nothing more.
        std::thread::sleep(Duration::from_nanos(RACY_WINDOW_NS as u64 + 100_000_000));
        let Check::Unchanged {
            settled: Some(later),
            restamped,
        } = unchanged(dir.path(), &recorded, &settled).unwrap()
        else {
            panic!("expected the touched file to be settled");
        };
        let now = Listed::of(&fs::metadata(&path).unwrap());
        assert_eq!(restamped, [("a.md".to_string(), now)]);
        assert_ne!(now.mtime_ns, recorded[0].mtime_ns);
        let mut restamped_stamps = recorded.clone();
        restamped_stamps[0] = FileStamp {
            mtime_ns: now.mtime_ns,
            ctime_ns: now.ctime_ns,
            ino: now.ino,
            ..recorded[0].clone()
        };
        assert_eq!(
            unchanged(dir.path(), &restamped_stamps, &later).unwrap(),
            Check::Unchanged {
                settled: None,
                restamped: Vec::new()
            }
        );
        // A change still shows, through its new modification time.
        fs::write(&path, "口袋公圆").unwrap();
        for stamps in [&recorded, &restamped_stamps] {
            assert!(matches!(
                unchanged(dir.path(), stamps, &later).unwrap(),
                Check::Changed(_)
            ));
        }
    }

    #[test]
    fn a_file_changed_a_moment_ago_is_not_settled() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.md"), "口袋公园").unwrap();
        let recorded = vec![stamp_of(dir.path(), "a.md")];
        assert_eq!(
            unchanged(dir.path(), &recorded, &since(recorded[0].mtime_ns)).unwrap(),
            Check::Unchanged {
                settled: None,
                restamped: Vec::new()
            }
        );
    }

    /// Edits that keep the size and put the modification time back, renames and files
    /// replaced by others: each is a change, found from metadata alone (the index is
    /// trusted, so no content is compared unless the metadata moved), whether the folder
    /// is read or stands for its names.
    #[test]
    fn edits_hidden_from_size_and_mtime_are_changes() {
        edits_hidden_from_size_and_mtime(false);
        edits_hidden_from_size_and_mtime(true);
    }

    fn edits_hidden_from_size_and_mtime(trust_folder: bool) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.md");
        fs::write(&path, "口袋公园").unwrap();
        fs::write(dir.path().join("b.md"), "城市更新").unwrap();
        let recorded = vec![stamp_of(dir.path(), "a.md"), stamp_of(dir.path(), "b.md")];
        let trust = Trust {
            since_ns: now_ns() + RACY_WINDOW_NS * 2,
            folder: folder_stamp(dir.path()).filter(|_| trust_folder),
        };
        let fresh = || unchanged(dir.path(), &recorded, &trust).unwrap();
        assert_eq!(
            fresh(),
            Check::Unchanged {
                settled: None,
                restamped: Vec::new()
            }
        );
        let restore = |p: &Path| {
            fs::File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_modified(UNIX_EPOCH + Duration::from_nanos(recorded[0].mtime_ns as u64))
                .unwrap();
        };

        // Same size, same second, modification time set back to the recorded one.
        std::thread::sleep(Duration::from_millis(20));
        fs::write(&path, "口袋公圆").unwrap();
        restore(&path);
        assert_eq!(fs::metadata(&path).unwrap().len(), recorded[0].len);
        assert_eq!(
            mtime_ns(&fs::metadata(&path).unwrap()),
            recorded[0].mtime_ns
        );
        assert_eq!(fresh(), Check::Changed("a.md changed".into()));

        // The original content again, but through a new file renamed over the old one.
        fs::write(dir.path().join("tmp"), "口袋公园").unwrap();
        restore(&dir.path().join("tmp"));
        fs::rename(dir.path().join("tmp"), &path).unwrap();
        // Its metadata moved, so its content was compared: the same bytes are no change,
        // and not settled either (the next check compares again).
        assert_eq!(
            fresh(),
            Check::Unchanged {
                settled: None,
                restamped: Vec::new()
            }
        );
        // Other bytes of the same size, renamed over it with the recorded time.
        fs::write(dir.path().join("tmp"), "口袋花园").unwrap();
        restore(&dir.path().join("tmp"));
        fs::rename(dir.path().join("tmp"), &path).unwrap();
        assert_eq!(fresh(), Check::Changed("a.md changed".into()));
        fs::write(&path, "口袋公园").unwrap();

        // Renamed: the listing differs.
        fs::rename(dir.path().join("b.md"), dir.path().join("c.md")).unwrap();
        assert_eq!(fresh(), Check::Changed("c.md is new".into()));
        fs::rename(dir.path().join("c.md"), dir.path().join("0.md")).unwrap();
        assert_eq!(fresh(), Check::Changed("0.md is new".into()));
        fs::remove_file(dir.path().join("0.md")).unwrap();
        assert_eq!(
            fresh(),
            Check::Changed("1 library files now, 2 when indexed".into())
        );
    }
}
