//! Helpers shared by the integration tests: fixture libraries copied into temporary
//! folders, and the real binary run with a clean environment.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn shipped_library() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cases")
}

/// A copy of the valid fixture library in a fresh temporary folder, plus an index folder.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox::from(&fixtures().join("valid"))
    }

    pub fn from(library: &Path) -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        let lib = dir.path().join("lib");
        fs::create_dir_all(&lib).unwrap();
        for e in fs::read_dir(library).unwrap() {
            let e = e.unwrap();
            if e.path().is_file() {
                fs::copy(e.path(), lib.join(e.file_name())).unwrap();
            }
        }
        Sandbox { dir }
    }

    pub fn lib(&self) -> PathBuf {
        self.dir.path().join("lib")
    }

    pub fn index(&self) -> PathBuf {
        self.dir.path().join("index")
    }

    /// The live generation's folder, as `CURRENT` names it.
    pub fn live(&self) -> PathBuf {
        let current = fs::read_to_string(self.index().join("CURRENT")).unwrap();
        self.index().join(current.trim())
    }

    /// `duibiao --library lib --index index ARGS` with a clean environment, not yet run.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_duibiao"));
        cmd.env_clear()
            .env("HOME", self.dir.path())
            .arg("--library")
            .arg(self.lib())
            .arg("--index")
            .arg(self.index())
            .args(args);
        cmd
    }

    /// Runs `duibiao --library lib --index index ARGS` with a clean environment.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run duibiao")
    }

    /// Runs and returns (exit code, stdout, stderr).
    pub fn run_text(&self, args: &[&str]) -> (i32, String, String) {
        let o = self.run(args);
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }

    /// Runs with `--json` and parses stdout; panics with stderr when the run fails.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.push("--json");
        let (code, out, err) = self.run_text(&a);
        assert_eq!(code, 0, "duibiao {args:?} failed: {err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad JSON ({e}): {out}"))
    }
}

/// The ids of a search's hits, in order.
/// Sets `path`'s modification time (its status-change time moves, as it always does).
pub fn set_mtime(path: &Path, mtime: std::time::SystemTime) {
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
}

/// Writes `bytes` over `path` and puts its modification time back: a change that only the
/// content and the status-change time show.
pub fn write_keeping_mtime(path: &Path, bytes: &[u8]) {
    let mtime = fs::metadata(path).unwrap().modified().unwrap();
    fs::write(path, bytes).unwrap();
    set_mtime(path, mtime);
}

pub fn hit_ids(v: &serde_json::Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

/// A small deterministic random generator (xorshift), so sampled tests are reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The filters a query of `tests/relevance/queries.yaml` names (`city: [波士顿]` …), as a
/// user would type them.
pub fn filters_of(f: &std::collections::BTreeMap<String, Vec<String>>) -> duibiao::search::Filters {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    for k in f.keys() {
        assert!(
            ["city", "country", "positioning", "topic", "task"].contains(&k.as_str()),
            "unknown filter {k}"
        );
    }
    duibiao::search::Filters {
        cities: get("city"),
        countries: get("country"),
        positionings: get("positioning"),
        topics: get("topic"),
        tasks: get("task"),
        ids: Vec::new(),
    }
}
