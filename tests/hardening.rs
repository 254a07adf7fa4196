//! Hardening: a damaged or hostile index folder, odd library files and unwritable stderr
//! never make the binary panic, hang, write outside the index folder or serve a generation
//! it cannot trust. Each test here is the regression test of one defect of issue 19.

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Sandbox, write_keeping_mtime};

/// The live generation's folder.
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

/// Overwrites 16 bytes of `path` at `at` (or its middle when shorter).
fn damage(path: &Path, at: usize) {
    let mut bytes = fs::read(path).unwrap();
    let at = if bytes.len() > at + 16 {
        at
    } else {
        bytes.len() / 2
    };
    let end = (at + 16).min(bytes.len());
    bytes[at..end].fill(0xff);
    fs::write(path, bytes).unwrap();
}

/// Issue 19, defect 1: damaged segment files gave exit 101 from inside tantivy, and other
/// damage exit 3 on every search. Now damage is found, and the index rebuilt (or, under
/// `--no-rebuild`, reported with exit 3).
#[test]
fn a_damaged_segment_file_is_rebuilt_or_reported_never_a_panic() {
    for ext in ["store", "fast", "term", "idx", "pos", "fieldnorm"] {
        let sb = Sandbox::new();
        assert_eq!(sb.run_text(&["index"]).0, 0);
        let want = sb.json(&["search", "--limit", "100"]);
        let file = fs::read_dir(sb.live())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == ext))
            .unwrap_or_else(|| panic!("no .{ext} file"));
        damage(&file, 1000);
        let (code, _, err) = sb.run_text(&["--no-rebuild", "search", "--limit", "100"]);
        assert_eq!(code, 3, ".{ext} damaged, --no-rebuild: {err}");
        assert!(!err.contains("panicked"), "{err}");
        for cmd in [
            &["search", "--limit", "100"][..],
            &["stats"],
            &["tasks"],
            &["similar", "new-york-pocket-parks"],
        ] {
            let (code, _, err) = sb.run_text(cmd);
            assert_eq!(code, 0, ".{ext} damaged, {cmd:?}: {err}");
            assert!(!err.contains("panicked"), "{err}");
        }
        assert_eq!(sb.json(&["search", "--limit", "100"]), want, ".{ext}");
    }
}

/// Defect 1, the panic boundary: damage that leaves a file's size and time as they were
/// (so no stamp shows it) may make tantivy panic while reading; that panic becomes a
/// rebuild, and no panic text reaches the user.
#[test]
fn damage_the_stamps_cannot_see_still_ends_in_a_rebuild() {
    let sb = Sandbox::new();
    assert_eq!(sb.run_text(&["index"]).0, 0);
    let want = sb.json(&["search", "--limit", "100"]);
    let store = fs::read_dir(sb.live())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "store"))
        .unwrap();
    let mut bytes = fs::read(&store).unwrap();
    // The start of the first compressed block: every case's stored fields are in it.
    bytes[..64].fill(0xff);
    write_keeping_mtime(&store, &bytes);
    let (code, out, err) = sb.run_text(&["search", "--limit", "100", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    assert!(err.contains("rebuilt"), "{err}");
    let got: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(got, want);
}

/// Defect 1: a generation missing a file it needs (`catalog.json`, `words.txt`) is not
/// trusted: it is rebuilt, not failed on at query time.
#[test]
fn an_incomplete_generation_is_rebuilt() {
    for file in ["catalog.json", "words.txt", "meta.json", "stamps.bin"] {
        let sb = Sandbox::new();
        assert_eq!(sb.run_text(&["index"]).0, 0);
        fs::remove_file(sb.live().join(file)).unwrap();
        let (code, _, err) = sb.run_text(&["--no-rebuild", "tasks"]);
        assert_eq!(code, 3, "{file} missing, --no-rebuild: {err}");
        let (code, _, err) = sb.run_text(&["tasks"]);
        assert_eq!(code, 0, "{file} missing: {err}");
        assert!(err.contains("rebuilt"), "{err}");
    }
}

/// The library's stamps, damaged in a way size and time do not show (a byte flipped, the
/// time put back): their seal fails, so the generation is rebuilt, never trusted to say
/// the library is unchanged.
#[test]
fn damaged_stamps_that_keep_size_and_time_are_rebuilt() {
    let sb = Sandbox::new();
    assert_eq!(sb.run_text(&["index"]).0, 0);
    let path = sb.live().join("stamps.bin");
    let mut bytes = fs::read(&path).unwrap();
    bytes[20] ^= 0x01;
    write_keeping_mtime(&path, &bytes);
    let (code, _, err) = sb.run_text(&["--no-rebuild", "tasks"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("stamps.bin"), "{err}");
    let (code, _, err) = sb.run_text(&["tasks"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("rebuilt"), "{err}");
}

/// Issue 19, defect 2: a failed write to stderr (`2>/dev/full`, a closed pipe) panicked
/// with exit 101 inside `eprintln!`.
#[test]
fn an_unwritable_stderr_changes_no_exit_code() {
    let sb = Sandbox::new();
    fs::copy(
        common::fixtures().join("broken/unknown-city.md"),
        sb.lib().join("unknown-city.md"),
    )
    .unwrap();
    assert_eq!(run_stderr_full(&sb, &["check"]), 1);
    assert_eq!(run_stderr_full(&sb, &["index"]), 1);
    fs::remove_file(sb.lib().join("unknown-city.md")).unwrap();
    // A search that rebuilds says so on stderr.
    assert_eq!(run_stderr_full(&sb, &["search", "口袋公园"]), 0);
    // A usage-level failure also writes to stderr.
    assert_eq!(run_stderr_full(&sb, &["show", "no-such-case"]), 2);
}

/// Issue 19, defect 3: a FIFO named `CURRENT` made every command hang forever.
#[test]
fn a_fifo_in_the_index_folder_hangs_nothing() {
    let sb = Sandbox::new();
    assert_eq!(sb.run_text(&["index"]).0, 0);
    for name in ["CURRENT", "GENERATIONS"] {
        let path = sb.index().join(name);
        let _ = fs::remove_file(&path);
        let s = Command::new("mkfifo").arg(&path).status().unwrap();
        assert!(s.success());
        for args in [&["search", "口袋公园"][..], &["index"]] {
            let r = run_with_timeout(sb.command(args), Duration::from_secs(60));
            let (code, err) = r.unwrap_or_else(|| panic!("{name} a FIFO: {args:?} hung"));
            assert_eq!(code, 0, "{name} a FIFO: {args:?}: {err}");
        }
    }
}

/// Runs to the end and returns (exit code, stderr, peak resident memory in KB), the peak
/// from the kernel's accounting of this one child (`wait4`, which also reaps it).
#[allow(clippy::zombie_processes)]
fn run_measured(sb: &Sandbox, args: &[&str]) -> (i32, String, i64) {
    use std::io::Read;
    let mut child = sb
        .command(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let mut status = 0;
    // SAFETY: plain C structs filled by the kernel for a child this process spawned.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, err, usage.ru_maxrss)
}

/// Issue 19, defect 4: a 3 GB `CURRENT` was read whole by every command. Control files
/// are read with a size cap (a sparse file shows it without using the disk).
#[test]
fn a_huge_control_file_is_not_read_whole() {
    let sb = Sandbox::new();
    assert_eq!(sb.run_text(&["index"]).0, 0);
    let current = sb.index().join("CURRENT");
    let name = fs::read_to_string(&current).unwrap();
    fs::OpenOptions::new()
        .write(true)
        .open(&current)
        .unwrap()
        .set_len(3 << 30)
        .unwrap();
    // Not the generation it named: under --no-rebuild an index failure.
    let (code, err, peak_kb) = run_measured(&sb, &["--no-rebuild", "stats"]);
    assert_eq!(code, 3, "{err}");
    assert!(peak_kb < 512 * 1024, "peak memory {peak_kb} KB");
    // A search rebuilds past it.
    let (code, err, peak_kb) = run_measured(&sb, &["search", "口袋公园"]);
    assert_eq!(code, 0, "{err}");
    assert!(peak_kb < 1024 * 1024, "peak memory {peak_kb} KB");
    assert!(fs::metadata(&current).unwrap().len() < 64);
    assert_ne!(fs::read_to_string(&current).unwrap(), name);
}

/// Issue 19, defect 5: a symlink planted in the index folder (`CURRENT.tmp`, `.lock`,
/// `settled.tmp`) made a build write through it, outside the index folder.
#[test]
fn a_build_never_writes_through_a_symlink() {
    let sb = Sandbox::new();
    assert_eq!(sb.run_text(&["index"]).0, 0);
    let victim = sb.dir.path().join("victim.txt");
    fs::write(&victim, "precious").unwrap();
    let absent = sb.dir.path().join("absent.txt");
    symlink(&victim, sb.index().join("CURRENT.tmp")).unwrap();
    fs::remove_file(sb.index().join(".lock")).unwrap();
    symlink(&absent, sb.index().join(".lock")).unwrap();
    symlink(&victim, sb.live().join("settled.tmp")).unwrap();
    let (code, _, err) = sb.run_text(&["index"]);
    assert_eq!(code, 0, "{err}");
    // A search records settled files through settled.tmp; give it a chance to.
    let gen_dir = sb.live();
    let _ = fs::remove_file(gen_dir.join("settled.tmp"));
    symlink(&victim, gen_dir.join("settled.tmp")).unwrap();
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(sb.run_text(&["search", "口袋公园"]).0, 0);
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    assert!(!absent.exists(), "the lock's symlink target was created");
}

/// Issue 19, defect 6: a fresh index on a read-only mount could not be searched ("Failed
/// to acquire Lockfile"), `--no-rebuild` included.
#[test]
fn a_fresh_index_on_a_read_only_mount_is_searched() {
    let Some(fs_) = Tmpfs::mount("16m") else {
        return;
    };
    let sb = Sandbox::new();
    // Library files old enough to be trusted by their metadata alone.
    let old = std::time::SystemTime::now() - Duration::from_secs(3600);
    for e in fs::read_dir(sb.lib()).unwrap() {
        let f = fs::File::options()
            .write(true)
            .open(e.unwrap().path())
            .unwrap();
        f.set_modified(old).unwrap();
    }
    let index = fs_.path().join("index");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_duibiao"))
            .env_clear()
            .env("HOME", sb.dir.path())
            .arg("--library")
            .arg(sb.lib())
            .arg("--index")
            .arg(&index)
            .args(args)
            .output()
            .unwrap()
    };
    assert!(run(&["index"]).status.success());
    fs_.remount_read_only();
    for args in [
        &["--no-rebuild", "search", "口袋公园"][..],
        &["search", "口袋公园"],
    ] {
        let o = run(args);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// Defect 6: tantivy writes `.managed.json` and `meta.json` with mode 0600, so another
/// user could not read a shared index. Index files follow the umask like any other file.
#[test]
fn index_files_are_readable_by_whoever_can_read_the_folder() {
    let sb = Sandbox::new();
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("umask 022 && exec \"$@\"")
        .arg("sh")
        .arg(sb.command(&[]).get_program())
        .args(sb.command(&["index"]).get_args())
        .env_clear()
        .env("HOME", sb.dir.path())
        .stdout(Stdio::null());
    assert!(cmd.status().unwrap().success());
    for e in fs::read_dir(sb.live()).unwrap() {
        let e = e.unwrap();
        let mode = e.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{:?}", e.file_name());
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

/// Issue 19, defect 8: built with `--library cases`, a search with `./cases` or `cases/`
/// took the index for stale.
#[test]
fn the_same_library_under_another_spelling_is_not_stale() {
    let sb = Sandbox::new();
    let run = |lib: &str, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_duibiao"))
            .current_dir(sb.dir.path())
            .env_clear()
            .env("HOME", sb.dir.path())
            .args(["--library", lib, "--index", "index"])
            .args(args)
            .output()
            .unwrap()
    };
    assert!(run("lib", &["index"]).status.success());
    for spelling in ["./lib", "lib/", "./lib//", "../lib/../lib"] {
        let spelling = if spelling.starts_with("..") {
            format!(
                "../{}/lib",
                sb.dir.path().file_name().unwrap().to_string_lossy()
            )
        } else {
            spelling.to_string()
        };
        let o = run(&spelling, &["--no-rebuild", "search", "口袋公园"]);
        assert!(
            o.status.success(),
            "{spelling}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
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

/// Issue 19: a folder named like a generation that the tool did not make was deleted by
/// the next build. Only generations the index's own record lists are removed.
#[test]
fn a_stray_generation_folder_is_left_alone() {
    let sb = Sandbox::new();
    assert_eq!(sb.run_text(&["index"]).0, 0);
    let stray = sb.index().join("gen-000900");
    fs::create_dir_all(&stray).unwrap();
    fs::write(stray.join("mine.txt"), "keep me").unwrap();
    let low = sb.index().join("gen-000000");
    fs::create_dir_all(&low).unwrap();
    for _ in 0..3 {
        assert_eq!(sb.run_text(&["index"]).0, 0);
    }
    assert_eq!(
        fs::read_to_string(stray.join("mine.txt")).unwrap(),
        "keep me"
    );
    assert!(low.is_dir());
    let ours = fs::read_dir(sb.index())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("gen-") && n != "gen-000900" && n != "gen-000000")
        .count();
    assert_eq!(ours, 2, "the live generation and the one before it");
}

/// Issue 19: a disk that fills during a build leaves the previous generation serving,
/// and the message says the disk is full.
#[test]
fn a_full_disk_during_a_build_keeps_the_previous_generation() {
    let Some(fs_) = Tmpfs::mount("3m") else {
        return;
    };
    let sb = Sandbox::new();
    let index = fs_.path().join("index");
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_duibiao"))
            .env_clear()
            .env("HOME", sb.dir.path())
            .arg("--library")
            .arg(sb.lib())
            .arg("--index")
            .arg(&index)
            .args(args)
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, _, err) = run(&["index"]);
    assert_eq!(code, 0, "{err}");
    let before = run(&["search", "口袋公园", "--json"]).1;
    // Leave the disk a few kilobytes: too little for another generation.
    let filler = fs_.path().join("filler");
    let mut f = fs::File::create(&filler).unwrap();
    let chunk = vec![0u8; 4096];
    use std::io::Write;
    while f.write_all(&chunk).is_ok() {}
    drop(f);
    let f = fs::OpenOptions::new().write(true).open(&filler).unwrap();
    let len = f.metadata().unwrap().len();
    f.set_len(len.saturating_sub(16 * 1024)).unwrap();
    drop(f);
    // A changed library needs a new generation.
    let case = sb.lib().join("new-york-pocket-parks.md");
    let text = fs::read_to_string(&case).unwrap();
    fs::write(&case, text.replace("口袋公园", "口袋公园 ")).unwrap();
    let (code, _, err) = run(&["index"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("disk is full"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // The search cannot rebuild either: it says so and serves the previous generation.
    let (code, out, err) = run(&["search", "口袋公园", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("disk is full"), "{err}");
    assert_eq!(out, before);
    let gens = fs::read_dir(&index)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("gen-")
        })
        .count();
    assert_eq!(gens, 1, "the half-built generation is removed");
}
