//! Hardening: a damaged or hostile index folder, odd library files and unwritable stderr
//! never make the binary panic, hang, write outside the index folder or serve a generation
//! it cannot trust. Each test here is the regression test of one defect of issue 19.

#![allow(dead_code, unused_imports)] // helpers shared with tests that come with later fixes

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Sandbox;

/// The live generation's folder.
fn live(sb: &Sandbox) -> PathBuf {
    let current = fs::read_to_string(sb.index().join("CURRENT")).unwrap();
    sb.index().join(current.trim())
}

/// Runs with stderr sent to `/dev/full`, so every write to it fails.
fn run_stderr_full(sb: &Sandbox, args: &[&str]) -> i32 {
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    sb.command(args)
        .stdout(Stdio::null())
        .stderr(Stdio::from(full))
        .status()
        .unwrap()
        .code()
        .unwrap_or(-1)
}

/// Runs with a time limit: `None` when it had to be killed.
fn run_with_timeout(mut cmd: Command, limit: Duration) -> Option<(i32, String)> {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return Some((status.code().unwrap_or(-1), err));
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A tmpfs mounted for one test and unmounted when dropped. Mounting needs root (CI runs
/// as root); elsewhere the test says why it is skipped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped: cannot mount a tmpfs here (needs root; CI runs as root)");
            return None;
        }
        Some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount_read_only(&self) {
        let s = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(self.path())
            .status()
            .unwrap();
        assert!(s.success(), "remount read-only");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Issue 19, defect 7: a symlinked case file vanished silently (and `check` blamed an
/// unrelated precedent), a symlinked places.yaml was "missing", and FIFOs, `*.MD` files and
/// non-UTF-8 names were ignored without a word. Symlinks to regular files are read like
/// the files; everything else is a problem naming the file.
#[test]
fn library_files_behind_symlinks_are_read_and_odd_ones_reported() {
    let sb = Sandbox::new();
    let elsewhere = sb.dir.path().join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    for name in ["new-york-pocket-parks.md", "places.yaml"] {
        fs::rename(sb.lib().join(name), elsewhere.join(name)).unwrap();
        symlink(elsewhere.join(name), sb.lib().join(name)).unwrap();
    }
    let (code, out, err) = sb.run_text(&["check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(sb.json(&["search", "口袋公园"])["total"], 2);

    let odd = Sandbox::new();
    let s = Command::new("mkfifo")
        .arg(odd.lib().join("fifo.md"))
        .status()
        .unwrap();
    assert!(s.success());
    fs::write(odd.lib().join("LOUD.MD"), "---\nid: loud\n---\n").unwrap();
    symlink(
        odd.dir.path().join("nowhere.md"),
        odd.lib().join("dangling.md"),
    )
    .unwrap();
    use std::os::unix::ffi::OsStrExt;
    let bad_name = std::ffi::OsStr::from_bytes(b"bad-\xff.md");
    fs::write(odd.lib().join(bad_name), "x").unwrap();
    let r = run_with_timeout(odd.command(&["check"]), Duration::from_secs(60));
    let (code, _) = r.expect("check hung on a FIFO");
    assert_eq!(code, 1);
    let (_, out, _) = odd.run_text(&["check"]);
    for (file, what) in [
        ("fifo.md", "not a regular file"),
        ("LOUD.MD", ".md"),
        ("dangling.md", "symbolic link"),
        ("bad-", "UTF-8"),
    ] {
        let line = out
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("nothing about {file}: {out}"));
        assert!(line.contains(":1:1: ") && line.contains(what), "{line}");
    }
}

/// Issue 19, defect 9: `--limit 0` showed one hit. Zero means no hits; the total still
/// counts every match.
#[test]
fn limit_zero_shows_no_hits_but_counts_them() {
    let sb = Sandbox::new();
    let v = sb.json(&["search", "口袋公园", "--limit", "0"]);
    assert_eq!(v["total"], 2);
    assert_eq!(v["hits"].as_array().unwrap().len(), 0);
    let v = sb.json(&["search", "--limit", "0"]);
    assert_eq!(v["hits"].as_array().unwrap().len(), 0);
    assert!(v["total"].as_u64().unwrap() > 0);
    let v = sb.json(&["similar", "new-york-pocket-parks", "--limit", "0"]);
    assert_eq!(v["hits"].as_array().unwrap().len(), 0);
}

/// Issue 19, defect 10: a file named `\e[31mred.md` was echoed raw to the terminal by
/// `check`. Control characters in paths are escaped in every message.
#[test]
fn control_characters_in_file_names_are_escaped() {
    let sb = Sandbox::new();
    fs::write(sb.lib().join("\u{1b}[31mred\u{7}.md"), "no front matter\n").unwrap();
    let (code, out, err) = sb.run_text(&["check"]);
    assert_eq!(code, 1);
    let both = format!("{out}{err}");
    assert!(
        !both.contains('\u{1b}') && !both.contains('\u{7}'),
        "{both:?}"
    );
    assert!(both.contains("\\u{1b}[31mred\\u{7}.md"), "{both}");
    let (code, _, err) = sb.run_text(&["index"]);
    assert_eq!(code, 1);
    assert!(!err.contains('\u{1b}'), "{err:?}");
}
