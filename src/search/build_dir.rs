//! The directory a build writes its generation through.
//!
//! Writes go to tantivy's memory-mapped directory. Reads do not: merging segments reads
//! every byte of them, and through memory maps every page read stays in the process's
//! resident memory until the maps close, so the final merge alone would hold the whole
//! index in memory. Here a read goes through a small read-ahead window per file:
//! the merge reads each file front to back, a term at a time, so one window serves many
//! reads and memory stays flat whatever the library's size. Searches still use memory
//! maps (`Index::open_in_dir`), where random access is what matters.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tantivy::HasLen;
use tantivy::directory::error::{
    DeleteError, LockError, OpenDirectoryError, OpenReadError, OpenWriteError,
};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, OwnedBytes, WatchCallback,
    WatchHandle, WritePtr,
};

/// Bytes read ahead per open file. Reads at least this large bypass the window.
const WINDOW_BYTES: usize = 1 << 20;

#[derive(Clone, Debug)]
pub struct BuildDirectory {
    root: PathBuf,
    inner: MmapDirectory,
}

impl BuildDirectory {
    pub fn open(root: &Path) -> Result<BuildDirectory, OpenDirectoryError> {
        Ok(BuildDirectory {
            root: root.to_path_buf(),
            inner: MmapDirectory::open(root)?,
        })
    }
}

/// A file read through a read-ahead window.
struct WindowedFile {
    len: usize,
    state: Mutex<Window>,
}

struct Window {
    file: File,
    /// Offset of `bytes` in the file.
    at: usize,
    bytes: Vec<u8>,
}

impl fmt::Debug for WindowedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WindowedFile({} bytes)", self.len)
    }
}

impl HasLen for WindowedFile {
    fn len(&self) -> usize {
        self.len
    }
}

fn read_exact_at(file: &mut File, start: usize, len: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    file.seek(SeekFrom::Start(start as u64))?;
    file.read_exact(&mut buf)?;
    Ok(buf)
}

impl FileHandle for WindowedFile {
    fn read_bytes(&self, range: Range<usize>) -> io::Result<OwnedBytes> {
        let end = range.end.min(self.len);
        let start = range.start.min(end);
        let want = end - start;
        if want == 0 {
            return Ok(OwnedBytes::empty());
        }
        let mut w = self
            .state
            .lock()
            .map_err(|_| io::Error::other("read-ahead window poisoned"))?;
        if want >= WINDOW_BYTES / 2 {
            return Ok(OwnedBytes::new(read_exact_at(&mut w.file, start, want)?));
        }
        if start < w.at || end > w.at + w.bytes.len() {
            let take = WINDOW_BYTES.min(self.len - start);
            w.bytes = read_exact_at(&mut w.file, start, take)?;
            w.at = start;
        }
        Ok(OwnedBytes::new(w.bytes[start - w.at..end - w.at].to_vec()))
    }
}

impl Directory for BuildDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        let full = self.root.join(path);
        let file = File::open(&full).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => OpenReadError::FileDoesNotExist(path.to_path_buf()),
            _ => OpenReadError::wrap_io_error(e, path.to_path_buf()),
        })?;
        let len = file
            .metadata()
            .map_err(|e| OpenReadError::wrap_io_error(e, path.to_path_buf()))?
            .len() as usize;
        Ok(Arc::new(WindowedFile {
            len,
            state: Mutex::new(Window {
                file,
                at: 0,
                bytes: Vec::new(),
            }),
        }))
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.inner.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.inner.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.inner.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.inner.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.inner.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(watch_callback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_through_the_window_match_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..3 * WINDOW_BYTES + 17)
            .map(|i| (i % 251) as u8)
            .collect();
        std::fs::write(dir.path().join("f"), &data).unwrap();
        let d = BuildDirectory::open(dir.path()).unwrap();
        let h = d.get_file_handle(Path::new("f")).unwrap();
        assert_eq!(h.len(), data.len());
        // Small reads in order, a jump back, a large read, the tail and an empty range.
        for r in [
            0..10,
            10..5000,
            WINDOW_BYTES - 3..WINDOW_BYTES + 3,
            7..9,
            100..100 + WINDOW_BYTES,
            data.len() - 5..data.len(),
            42..42,
        ] {
            assert_eq!(h.read_bytes(r.clone()).unwrap().as_slice(), &data[r]);
        }
        assert!(matches!(
            d.get_file_handle(Path::new("missing")),
            Err(OpenReadError::FileDoesNotExist(_))
        ));
    }
}
