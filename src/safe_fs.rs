//! Opening files without being led astray, for the library and the index alike.
//!
//! An index folder may hold anything a user (or another program) put there: a FIFO where
//! `CURRENT` should be, a 3 GB file, a symlink pointing out of the folder. Reads here never
//! block on a FIFO (non-regular files are refused before they are read, and opened with
//! `O_NONBLOCK` in case one is swapped in), never read more than a cap, and writes never
//! follow a symlink: a file is created fresh with `O_CREAT | O_EXCL | O_NOFOLLOW`, so an
//! existing entry of that name is removed first, never written through. Nothing here knows
//! what the files mean.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Reads the regular file at `path`, at most `cap` bytes; a larger file is an error, and so
/// is anything but a regular file (`follow`: a symlink to a regular file counts as one).
pub fn read_regular(path: &Path, cap: u64, follow: bool) -> io::Result<Vec<u8>> {
    let meta = if follow {
        fs::metadata(path)?
    } else {
        fs::symlink_metadata(path)?
    };
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    if meta.len() > cap {
        return Err(too_large(meta.len(), cap));
    }
    let mut flags = libc::O_NONBLOCK;
    if !follow {
        flags |= libc::O_NOFOLLOW;
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)?;
    // The entry may have changed between the check and the open.
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    let mut bytes = Vec::with_capacity(meta.len().min(cap) as usize);
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(too_large(bytes.len() as u64, cap));
    }
    Ok(bytes)
}

fn not_regular(meta: &fs::Metadata) -> io::Error {
    let kind = if meta.is_dir() {
        "a folder"
    } else if meta.file_type().is_symlink() {
        "a symbolic link"
    } else {
        "a FIFO, socket or device"
    };
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("not a regular file ({kind})"),
    )
}

fn too_large(len: u64, cap: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{len} bytes or more, over the limit of {cap}"),
    )
}

/// Creates `path` as a new, empty file for writing, whatever was there: a file, a symlink
/// or a FIFO of that name is removed (not followed, not opened), and a symlink planted
/// between the removal and the creation makes the creation fail rather than be followed.
/// The mode is the usual 0666 less the umask.
pub fn create_fresh(path: &Path) -> io::Result<File> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "a folder is in the way",
            ));
        }
        Ok(_) => fs::remove_file(path)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

/// Opens `path` for locking, creating it if needed, without following a symlink: a
/// symlink of that name is never a lock this program made, so it is removed.
pub fn open_lock_file(path: &Path) -> io::Result<File> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => fs::remove_file(path)?,
        Ok(meta) if !meta.is_file() => return Err(not_regular(&meta)),
        _ => {}
    }
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn reads_refuse_what_is_not_a_small_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        fs::write(&f, "gen-000001\n").unwrap();
        assert_eq!(read_regular(&f, 64, false).unwrap(), b"gen-000001\n");
        assert!(read_regular(&f, 4, false).is_err());
        let link = dir.path().join("l");
        symlink(&f, &link).unwrap();
        assert!(read_regular(&link, 64, false).is_err());
        assert_eq!(read_regular(&link, 64, true).unwrap(), b"gen-000001\n");
        assert!(read_regular(dir.path(), 64, true).is_err());
    }

    #[test]
    fn creating_replaces_a_symlink_instead_of_following_it() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "precious").unwrap();
        let link = dir.path().join("CURRENT.tmp");
        symlink(&victim, &link).unwrap();
        use std::io::Write;
        create_fresh(&link).unwrap().write_all(b"ours").unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(fs::read_to_string(&link).unwrap(), "ours");
        assert!(
            !fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );

        let absent = dir.path().join("absent");
        let lock = dir.path().join(".lock");
        symlink(&absent, &lock).unwrap();
        open_lock_file(&lock).unwrap();
        assert!(!absent.exists());
    }
}
