//! Performance benchmarks, run by hand (`cargo bench --bench perf`), never by CI.
//!
//! Makes synthetic libraries of 1k, 10k (and with `--sizes 1000,10000,100000`, 100k) valid
//! cases from the shipped ones — each section taken from another shipped case, fresh ids,
//! real places and tasks, as long as a shipped case on average — and measures, for each size and for the shipped library:
//! - build: whole-process `duibiao index` wall time, peak memory, MB/s of case text, index
//!   size against text size;
//! - queries in process: p50 and p99 latency of two-word searches (top 10 with snippets),
//!   and the snippet time for the top 10 on its own;
//! - whole-process `duibiao --no-rebuild search` (median of 20) beside `rg -l` for the
//!   same words over the same folder;
//! - the staleness check a search pays before it runs;
//! - what damage detection costs: opening a generation (its stamps checked by size and
//!   time) and hashing every index file (what a build spends sealing it).
//!
//! Prints a Markdown table for the README.
//!
//! With `--build-peers` (and optionally `--old PATH`, `--rounds N`), measures only full
//! builds, alternated round by round in one run: this binary, the older one, and SQLite
//! FTS5 with the trigram tokenizer (`benches/fts5_build.py`) on the same library: wall
//! time, peak memory and size against the text.
//!
//! With `--incremental` (and optionally `--old PATH`, an older `duibiao` binary to run side
//! by side), measures instead what an edit costs, on copies of the same libraries, the old
//! binary and this one alternated round by round in the same run:
//! - the whole-process `duibiao search` right after one case, then ten cases, were edited
//!   (its rebuild included: a full rebuild for the old binary, an incremental one here),
//!   against a full rebuild (`index --full`) of the same library;
//! - the whole-process search with nothing changed, beside `rg -l` for the same word;
//! - the staleness check in process: this code's against the check as it was (one
//!   sequential `stat` a file, modification time and size only), re-run from the same
//!   listing code.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use duibiao::library::{self, Case, Origin, source};
use duibiao::search::{Filters, IndexDir, Request, Searcher, snippet, store};

const BIN: &str = env!("CARGO_BIN_EXE_duibiao");

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The body's four sections, each as its paragraphs.
fn sections(case: &Case) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut para = String::new();
    let flush = |out: &mut Vec<Vec<String>>, para: &mut String| {
        if let Some(s) = out.last_mut().filter(|_| !para.trim().is_empty()) {
            s.push(std::mem::take(para));
        }
        para.clear();
    };
    for line in case.body.lines() {
        if line.starts_with("## ") {
            flush(&mut out, &mut para);
            out.push(Vec::new());
        } else if line.trim().is_empty() {
            flush(&mut out, &mut para);
        } else {
            para.push_str(line);
            para.push('\n');
        }
    }
    flush(&mut out, &mut para);
    out
}

fn yaml_list(v: &[String]) -> String {
    format!("[{}]", v.join(", "))
}

/// Writes a library of `n` cases to `dir`: the shipped cases plus synthetic ones. Returns
/// the bytes of case text (title and body) it holds.
fn generate(shipped: &Path, dir: &Path, n: usize) -> u64 {
    let lib = library::load(&Origin::Dir(shipped.to_path_buf())).expect("shipped library");
    let marker = dir.join(".generated");
    let stamp = format!("{n} v2");
    if fs::read_to_string(&marker).ok().as_deref() == Some(stamp.as_str()) {
        return text_bytes(dir);
    }
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).unwrap();
    for e in fs::read_dir(shipped).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
        }
    }
    let secs: Vec<Vec<Vec<String>>> = lib.cases.iter().map(sections).collect();
    let mut rng = Rng(0x5eed_0001);
    let names = library::SECTIONS;
    for i in 0..n.saturating_sub(lib.cases.len()) {
        // Each section from another shipped case: the cases recombine, and a synthetic
        // case is as long as a shipped one (about 1,500 Chinese characters).
        let t = rng.below(lib.cases.len());
        let c = &lib.cases[t];
        let mut body = String::new();
        for (k, name) in names.iter().enumerate() {
            let _ = writeln!(body, "\n## {name}\n");
            let from = if k == 0 {
                t
            } else {
                rng.below(lib.cases.len())
            };
            for p in &secs[from][k] {
                let _ = writeln!(body, "{}", p.trim_end());
                body.push('\n');
            }
        }
        let id = format!("synthetic-{i:06}");
        let mut fm = String::new();
        let _ = writeln!(
            fm,
            "---\nid: {id}\ntitle: \"{}（合成{i}）\"",
            c.title.replace('"', "'")
        );
        let _ = writeln!(
            fm,
            "cities: {}\ncountries: {}",
            yaml_list(&c.cities),
            yaml_list(&c.countries)
        );
        let _ = writeln!(
            fm,
            "positioning: {}\ntopics: {}",
            yaml_list(&c.positioning),
            yaml_list(&c.topics)
        );
        let _ = writeln!(
            fm,
            "tasks: {}\nprovenance: curated\nsources:",
            yaml_list(&c.tasks)
        );
        for s in &c.sources {
            let _ = writeln!(fm, "  - title: \"{}\"", s.title.replace('"', "'"));
            if let Some(u) = &s.url {
                let _ = writeln!(fm, "    url: \"{u}\"");
            }
        }
        fm.push_str("---\n");
        fs::write(dir.join(format!("{id}.md")), fm + &body).unwrap();
    }
    fs::write(&marker, stamp).unwrap();
    text_bytes(dir)
}

fn text_bytes(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
        .sum()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn median_of(mut v: Vec<Duration>) -> Duration {
    v.sort();
    percentile(&v, 0.5)
}

/// Runs `cmd` under GNU time when it is there: (wall, peak RSS in MB).
fn timed(mut args: Vec<String>) -> (Duration, Option<f64>) {
    let gnu_time = Path::new("/usr/bin/time").exists();
    let start = Instant::now();
    let out = if gnu_time {
        let mut full = vec!["-f".to_string(), "peak_kb=%M".to_string()];
        full.append(&mut args);
        Command::new("/usr/bin/time").args(&full).output().unwrap()
    } else {
        let (cmd, rest) = args.split_first().unwrap();
        Command::new(cmd).args(rest).output().unwrap()
    };
    let wall = start.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let peak = err
        .lines()
        .find_map(|l| l.strip_prefix("peak_kb="))
        .and_then(|k| k.trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0);
    (wall, peak)
}

/// Two-word queries drawn from the library's own topics and titles.
fn two_word_queries(lib: &library::Library, n: usize) -> Vec<String> {
    let mut words: Vec<String> = lib.cases.iter().flat_map(|c| c.topics.clone()).collect();
    words.sort();
    words.dedup();
    let mut rng = Rng(42);
    (0..n)
        .map(|_| {
            format!(
                "{} {}",
                words[rng.below(words.len())],
                words[rng.below(words.len())]
            )
        })
        .collect()
}

struct Row {
    name: String,
    cases: usize,
    text_mb: f64,
    build_s: f64,
    peak_mb: Option<f64>,
    index_mb: f64,
    p50_ms: f64,
    p99_ms: f64,
    hits_p50_ms: f64,
    snippet_ms: f64,
    cli_ms: f64,
    rg_ms: Option<f64>,
    stale_us: f64,
    /// Opening the live generation: `CURRENT`, the sealed meta, a stat of every file.
    open_us: f64,
    /// Of that, checking the files against their stamps by size and time.
    verify_us: f64,
    /// Hashing every index file: what a build spends sealing a generation, and what a
    /// search pays once after a file's time moved.
    rehash_ms: f64,
}

fn bench(name: &str, lib_dir: &Path, index_dir: &Path) -> Row {
    let text_mb = text_bytes(lib_dir) as f64 / 1_048_576.0;
    let _ = fs::remove_dir_all(index_dir);
    let (build, peak) = timed(vec![
        BIN.into(),
        "--library".into(),
        lib_dir.display().to_string(),
        "--index".into(),
        index_dir.display().to_string(),
        "index".into(),
    ]);
    let idx = IndexDir::new(index_dir);
    let generation = idx.current().expect("built");
    let index_mb = IndexDir::size_of(&generation.path) as f64 / 1_048_576.0;
    let lib = library::load(&Origin::Dir(lib_dir.to_path_buf())).unwrap();

    // In-process query latency, top 10 with snippets.
    let searcher = Searcher::open(generation.clone()).unwrap();
    let queries = two_word_queries(&lib, 300);
    for q in queries.iter().take(20) {
        let _ = searcher
            .search(&Request::new(q.clone(), Filters::default(), 10))
            .unwrap();
    }
    // The query itself: total and the ranked top 10. Every query runs in several rounds
    // and p99 is taken over all of them: with one round it is the third slowest of 300
    // single timings, which moved by half from run to run on a quiet machine.
    let rounds = if lib.cases.len() > 10_000 { 2 } else { 5 };
    let mut lat = Vec::new();
    for _ in 0..rounds {
        for q in &queries {
            let t = Instant::now();
            std::hint::black_box(
                searcher
                    .ranked_ids(&Request::new(q.clone(), Filters::default(), 10))
                    .unwrap(),
            );
            lat.push(t.elapsed());
        }
    }
    let mut full = Vec::new();
    let mut snip = Vec::new();
    for q in &queries {
        // And with the hits loaded and highlighted, as the command line shows them.
        let t = Instant::now();
        let r = searcher
            .search(&Request::new(q.clone(), Filters::default(), 10))
            .unwrap();
        full.push(t.elapsed());
        // The snippets of those ten hits on their own.
        let bodies: Vec<String> = r
            .hits
            .iter()
            .map(|h| lib.case(&h.id).unwrap().plain_body())
            .collect();
        let needles: Vec<String> = q
            .split_whitespace()
            .map(duibiao::search::analysis::normalize)
            .collect();
        let t = Instant::now();
        for b in &bodies {
            std::hint::black_box(snippet::snippet(b, &needles));
        }
        snip.push(t.elapsed());
    }
    lat.sort();
    full.sort();
    snip.sort();

    // Whole process, beside ripgrep over the same folder.
    let words: Vec<String> = queries[0].split_whitespace().map(str::to_string).collect();
    let mut cli = Vec::new();
    for _ in 0..20 {
        let mut args = vec![
            "--library".to_string(),
            lib_dir.display().to_string(),
            "--index".into(),
            index_dir.display().to_string(),
            "--no-rebuild".into(),
            "search".into(),
        ];
        args.extend(words.iter().cloned());
        let t = Instant::now();
        let out = Command::new(BIN).args(&args).output().unwrap();
        cli.push(t.elapsed());
        assert!(out.status.success());
    }
    let rg_ok = Command::new("rg").arg("--version").output().is_ok();
    let rg = rg_ok.then(|| {
        let mut v = Vec::new();
        for _ in 0..20 {
            let mut args = vec!["-l".to_string()];
            for w in &words {
                args.push("-e".into());
                args.push(w.clone());
            }
            args.push(lib_dir.display().to_string());
            let t = Instant::now();
            let _ = Command::new("rg").args(&args).output().unwrap();
            v.push(t.elapsed());
        }
        median_of(v).as_secs_f64() * 1000.0
    });

    // What every search pays to know the index is fresh, once a first search has
    // compared the files written just before the build and recorded them settled.
    let check =
        |g: &store::Generation| source::unchanged(lib_dir, &g.meta.stamps, &g.trust()).unwrap();
    if let source::Check::Unchanged {
        settled: Some(trust),
        ..
    } = check(&generation)
    {
        generation.record_settled(&trust);
    }
    // Each check stats every file: fewer rounds for large libraries.
    let n = (2_000_000 / lib.cases.len().max(1)).clamp(5, 200);
    let t = Instant::now();
    for _ in 0..n {
        assert!(matches!(
            check(&generation),
            source::Check::Unchanged { .. }
        ));
    }
    let stale_us = t.elapsed().as_secs_f64() * 1e6 / n as f64;

    // What damage detection costs: every open, and a full rehash.
    let time_us = |rounds: usize, f: &dyn Fn()| {
        let mut v: Vec<Duration> = (0..rounds)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect();
        v.sort();
        percentile(&v, 0.5).as_secs_f64() * 1e6
    };
    let open_us = time_us(50, &|| {
        std::hint::black_box(idx.open_current().unwrap());
    });
    let verify_us = time_us(50, &|| generation.verify(false).unwrap());
    let rehash_ms = time_us(5, &|| generation.verify(true).unwrap()) / 1000.0;

    Row {
        name: name.to_string(),
        cases: lib.cases.len(),
        text_mb,
        build_s: build.as_secs_f64(),
        peak_mb: peak,
        index_mb,
        p50_ms: percentile(&lat, 0.5).as_secs_f64() * 1000.0,
        p99_ms: percentile(&lat, 0.99).as_secs_f64() * 1000.0,
        hits_p50_ms: percentile(&full, 0.5).as_secs_f64() * 1000.0,
        snippet_ms: percentile(&snip, 0.5).as_secs_f64() * 1000.0,
        cli_ms: median_of(cli).as_secs_f64() * 1000.0,
        rg_ms: rg,
        stale_us,
        open_us,
        verify_us,
        rehash_ms,
    }
}

/// Runs `bin ARGS` on a library and index, returning the wall time; fails loudly.
fn run_bin(bin: &Path, lib: &Path, index: &Path, args: &[&str]) -> Duration {
    let t = Instant::now();
    let out = Command::new(bin)
        .arg("--library")
        .arg(lib)
        .arg("--index")
        .arg(index)
        .args(args)
        .output()
        .unwrap();
    let wall = t.elapsed();
    assert!(
        out.status.success(),
        "{} {args:?}: {}",
        bin.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    wall
}

/// Appends a sentence holding `word` to the case file `path`.
fn edit_case(path: &Path, word: &str) {
    let mut text = fs::read_to_string(path).unwrap();
    text.push_str(&format!("\n本轮基准在此写入{word}一词。\n"));
    fs::write(path, text).unwrap();
}

/// The staleness check as it was before incremental generations: one listing with a
/// sequential `stat` of each file's path, then size and modification time compared
/// (content hashed only where the time is too recent).
fn old_style_check(dir: &Path, recorded: &[library::FileStamp], trusted: u128) -> bool {
    // The listing as it was: a `stat` of each library file's whole path, one after another.
    let mut listed: Vec<(String, fs::Metadata)> = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let path = e.path();
        let Ok(name) = e.file_name().into_string() else {
            continue;
        };
        if name.starts_with('.') || !source::is_library_file(&name) {
            continue;
        }
        if let Some(meta) = fs::metadata(&path).ok().filter(|m| m.is_file()) {
            listed.push((name, meta));
        }
    }
    listed.sort_by(|a, b| a.0.cmp(&b.0));
    if listed.len() != recorded.len() {
        return false;
    }
    for ((name, meta), stamp) in listed.iter().zip(recorded) {
        if *name != stamp.name || meta.len() != stamp.len {
            return false;
        }
        let m = source::mtime_ns(meta);
        if !(m == stamp.mtime_ns && m + 2_000_000_000 < trusted) {
            let bytes = fs::read(dir.join(name)).unwrap();
            if source::content_hash(&bytes) != stamp.hash {
                return false;
            }
        }
    }
    true
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Whole-process full builds of one library, alternated round by round: this binary,
/// optionally an older one, and SQLite FTS5 (trigram) through `benches/fts5_build.py`
/// when Python has it. Each build starts from an empty folder.
fn bench_build_peers(name: &str, lib: &Path, work: &Path, old: Option<&Path>, rounds: usize) {
    let text_mb = text_bytes(lib) as f64 / 1_048_576.0;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/fts5_build.py");
    let fts5_ok = Command::new("python3")
        .args(["-c", "import sqlite3; sqlite3.connect(':memory:').execute(\"create virtual table t using fts5(x, tokenize='trigram')\")"])
        .output()
        .is_ok_and(|o| o.status.success());
    let mut peers: Vec<(String, Vec<String>, PathBuf)> = Vec::new();
    let index_args = |bin: &Path, out: &Path| {
        vec![
            bin.display().to_string(),
            "--library".into(),
            lib.display().to_string(),
            "--index".into(),
            out.display().to_string(),
            "index".into(),
        ]
    };
    let new_out = work.join(format!("peer-{name}-new"));
    peers.push((
        "duibiao (this build)".into(),
        index_args(Path::new(BIN), &new_out),
        new_out,
    ));
    if let Some(o) = old {
        let out = work.join(format!("peer-{name}-old"));
        peers.push((
            format!("duibiao ({})", o.display()),
            index_args(o, &out),
            out,
        ));
    }
    if fts5_ok {
        let out = work.join(format!("peer-{name}-fts5.db"));
        let args = vec![
            "python3".into(),
            script.display().to_string(),
            lib.display().to_string(),
            out.display().to_string(),
        ];
        peers.push(("SQLite FTS5 (trigram)".into(), args, out));
    }
    let mut walls: Vec<Vec<Duration>> = vec![Vec::new(); peers.len()];
    let mut peaks: Vec<Option<f64>> = vec![None; peers.len()];
    for round in 0..rounds {
        let order: Vec<usize> = if round % 2 == 0 {
            (0..peers.len()).collect()
        } else {
            (0..peers.len()).rev().collect()
        };
        for p in order {
            let (_, args, out) = &peers[p];
            let _ = fs::remove_dir_all(out);
            let _ = fs::remove_file(out);
            eprintln!("{name}: round {round}, {}", peers[p].0);
            let (wall, peak) = timed(args.clone());
            walls[p].push(wall);
            peaks[p] = match (peaks[p], peak) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
        }
    }
    let ours = median_of(walls[0].clone()).as_secs_f64();
    for (p, (label, _, out)) in peers.iter().enumerate() {
        let size = if out.is_dir() {
            // The generation CURRENT names, read as any version wrote it (an older binary's
            // may not open with this one's code).
            fs::read_to_string(out.join(store::CURRENT_FILE))
                .map_or(0, |name| IndexDir::size_of(&out.join(name.trim())))
        } else {
            fs::metadata(out).map_or(0, |m| m.len())
        } as f64
            / 1_048_576.0;
        let wall = median_of(walls[p].clone()).as_secs_f64();
        println!(
            "| {name} | {text_mb:.1} | {label} | {wall:.2} | {:.2}× | {} | {size:.1} ({:.2}×) |",
            wall / ours,
            peaks[p].map_or("n/a".into(), |m| format!("{m:.0}")),
            size / text_mb
        );
    }
}

/// A fresh copy of the library `src` at `lib`: its case files, sorted. Files are copied in
/// the order `src` lists them.
fn copy_library(src: &Path, lib: &Path) -> Vec<PathBuf> {
    let _ = fs::remove_dir_all(lib);
    fs::create_dir_all(lib).unwrap();
    let mut cases = Vec::new();
    for e in fs::read_dir(src).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() && !p.ends_with(".generated") {
            let to = lib.join(p.file_name().unwrap());
            fs::copy(&p, &to).unwrap();
            if to.extension().is_some_and(|x| x == "md") {
                cases.push(to);
            }
        }
    }
    cases.sort();
    cases
}

fn bench_incremental(name: &str, src: &Path, work: &Path, old: Option<&Path>, rounds: usize) {
    let new = Path::new(BIN);
    let lib = work.join(format!("inc-lib-{name}"));
    let cases = copy_library(src, &lib);
    let mut bins: Vec<(&str, &Path)> = vec![("new", new)];
    if let Some(o) = old {
        bins.insert(0, ("old", o));
    }
    let index_of = |tag: &str| work.join(format!("inc-index-{name}-{tag}"));
    for (tag, bin) in &bins {
        let _ = fs::remove_dir_all(index_of(tag));
        run_bin(bin, &lib, &index_of(tag), &["index"]);
    }
    // Per binary: full builds, searches after one and ten edits, searches with nothing
    // changed; and `rg -l`.
    let mut full: Vec<Vec<Duration>> = vec![Vec::new(); bins.len()];
    let mut one: Vec<Vec<Duration>> = vec![Vec::new(); bins.len()];
    let mut ten: Vec<Vec<Duration>> = vec![Vec::new(); bins.len()];
    let mut fresh: Vec<Vec<Duration>> = vec![Vec::new(); bins.len()];
    let mut rg = Vec::new();
    let mut rng = Rng(0x1e57 + cases.len() as u64);
    for round in 0..rounds {
        let order: Vec<usize> = if round % 2 == 0 {
            (0..bins.len()).collect()
        } else {
            (0..bins.len()).rev().collect()
        };
        let word = format!("增量{round}号");
        edit_case(&cases[rng.below(cases.len())], &word);
        for &b in &order {
            let (tag, bin) = bins[b];
            one[b].push(run_bin(bin, &lib, &index_of(tag), &["search", &word]));
        }
        let word = format!("十例{round}号");
        for _ in 0..10 {
            edit_case(&cases[rng.below(cases.len())], &word);
        }
        for &b in &order {
            let (tag, bin) = bins[b];
            ten[b].push(run_bin(bin, &lib, &index_of(tag), &["search", &word]));
        }
        for _ in 0..5 {
            for &b in &order {
                let (tag, bin) = bins[b];
                fresh[b].push(run_bin(bin, &lib, &index_of(tag), &["search", &word]));
            }
            let t = Instant::now();
            let out = Command::new("rg").arg("-l").arg(&word).arg(&lib).output();
            if out.is_ok_and(|o| o.status.success()) {
                rg.push(t.elapsed());
            }
        }
        for &b in &order {
            let (tag, bin) = bins[b];
            let args: &[&str] = if tag == "new" {
                &["index", "--full"]
            } else {
                &["index"]
            };
            full[b].push(run_bin(bin, &lib, &index_of(tag), args));
        }
    }
    let (nc, oc) = staleness_checks(&lib, &index_of("new"));
    let new_i = bins.len() - 1;
    let full_new = median_of(full[new_i].clone());
    let line = |label: &str, v: &[Vec<Duration>]| {
        let cells: Vec<String> = bins
            .iter()
            .enumerate()
            .map(|(b, (tag, _))| format!("{tag} {:.1} ms", ms(median_of(v[b].clone()))))
            .collect();
        let newm = median_of(v[new_i].clone());
        let mut s = format!(
            "| {name} | {label} | {} | {:.3}× full build",
            cells.join(", "),
            newm.as_secs_f64() / full_new.as_secs_f64()
        );
        if bins.len() > 1 {
            let _ = write!(
                s,
                ", {:.2}× old",
                newm.as_secs_f64() / median_of(v[0].clone()).as_secs_f64()
            );
        }
        s.push_str(" |");
        println!("{s}");
    };
    line("full build (`index --full`; old: `index`)", &full);
    line("search after 1 case edited", &one);
    line("search after 10 cases edited", &ten);
    line("search, nothing changed", &fresh);
    if rg.is_empty() {
        println!("| {name} | `rg -l`, same word | n/a (no ripgrep, or no match) | |");
    }
    let rgm = median_of(rg);
    println!(
        "| {name} | `rg -l`, same word | {:.1} ms | search ÷ rg: {:.2}× |",
        ms(rgm),
        median_of(fresh[new_i].clone()).as_secs_f64() / rgm.as_secs_f64()
    );
    println!(
        "| {name} | staleness check in process | new {:.0} µs, as before {:.0} µs | {:.2}× |",
        nc.as_secs_f64() * 1e6,
        oc.as_secs_f64() * 1e6,
        nc.as_secs_f64() / oc.as_secs_f64()
    );
}

/// The staleness check in process, this code's and the one before incremental generations
/// (`old_style_check`), alternated on `index`, built from `lib`: the medians of each.
fn staleness_checks(lib: &Path, index: &Path) -> (Duration, Duration) {
    let generation = IndexDir::new(index).current().unwrap();
    let trusted = generation.trust();
    let check = || source::unchanged(lib, &generation.meta.stamps, &trusted).unwrap();
    if let source::Check::Unchanged {
        settled: Some(trust),
        ..
    } = check()
    {
        generation.record_settled(&trust);
    }
    let trusted = generation.trust();
    let n = (2_000_000 / generation.meta.stamps.len().max(1)).clamp(5, 200);
    // The old check had its stamps decoded before it ran.
    let decoded = generation.meta.stamps.to_vec();
    let (mut new_check, mut old_check) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let t = Instant::now();
        assert!(matches!(
            source::unchanged(lib, &generation.meta.stamps, &trusted).unwrap(),
            source::Check::Unchanged { .. }
        ));
        new_check.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(old_style_check(lib, &decoded, trusted.since_ns));
        old_check.push(t.elapsed());
    }
    (median_of(new_check), median_of(old_check))
}

/// The word after `--name` on the command line.
fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    let i = args.iter().position(|a| a == name)?;
    Some(
        args.get(i + 1)
            .map_or_else(|| panic!("{name} needs a value"), String::as_str),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sizes: Vec<usize> = flag(&args, "--sizes").map_or(vec![1_000, 10_000], |v| {
        v.split(',')
            .map(|s| s.parse().expect("--sizes 1000,10000"))
            .collect()
    });
    let old = flag(&args, "--old").map(PathBuf::from);
    let rounds: Option<usize> = flag(&args, "--rounds").map(|r| r.parse().expect("--rounds 3"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shipped = root.join("cases");
    let work: PathBuf = root.join("target/bench");
    fs::create_dir_all(&work).unwrap();

    // `--make N`: only write the synthetic library of N cases (for runs by hand).
    if let Some(n) = flag(&args, "--make") {
        let n: usize = n.parse().expect("--make 100000");
        let dir = work.join(format!("lib-{n}"));
        generate(&shipped, &dir, n);
        println!("{}", dir.display());
        return;
    }

    if args.iter().any(|a| a == "--build-peers") {
        let rounds = rounds.unwrap_or(3);
        println!(
            "| library | text MB | builder | build s (median of {rounds}) | ÷ this build | peak MB | index MB (× text) |"
        );
        println!("|---|---|---|---|---|---|---|");
        for n in sizes {
            let dir = work.join(format!("lib-{n}"));
            eprintln!("generating {n} cases…");
            generate(&shipped, &dir, n);
            bench_build_peers(&n.to_string(), &dir, &work, old.as_deref(), rounds);
        }
        return;
    }

    // `--check`: only the staleness check in process, on the library and index the last
    // `--incremental` run left (each built first when missing).
    if args.iter().any(|a| a == "--check") {
        println!("| library | new check µs | as before µs | ratio |");
        println!("|---|---|---|---|");
        let libraries =
            std::iter::once("shipped".to_string()).chain(sizes.iter().map(usize::to_string));
        for name in libraries {
            let lib = work.join(format!("inc-lib-{name}"));
            let index = work.join(format!("inc-index-{name}-new"));
            if !lib.is_dir() {
                let dir = match name.parse::<usize>() {
                    Ok(n) => {
                        let dir = work.join(format!("lib-{n}"));
                        generate(&shipped, &dir, n);
                        dir
                    }
                    Err(_) => shipped.clone(),
                };
                copy_library(&dir, &lib);
            }
            run_bin(Path::new(BIN), &lib, &index, &["index"]);
            let (nc, oc) = staleness_checks(&lib, &index);
            println!(
                "| {name} | {:.0} | {:.0} | {:.2}× |",
                nc.as_secs_f64() * 1e6,
                oc.as_secs_f64() * 1e6,
                nc.as_secs_f64() / oc.as_secs_f64()
            );
        }
        return;
    }

    if args.iter().any(|a| a == "--incremental") {
        println!("| library | measure | median | ratio |");
        println!("|---|---|---|---|");
        bench_incremental("shipped", &shipped, &work, old.as_deref(), 5);
        for n in sizes {
            let dir = work.join(format!("lib-{n}"));
            eprintln!("generating {n} cases…");
            generate(&shipped, &dir, n);
            let rounds = rounds.unwrap_or(if n >= 10_000 { 3 } else { 5 });
            bench_incremental(&n.to_string(), &dir, &work, old.as_deref(), rounds);
        }
        return;
    }

    let mut rows = vec![bench("shipped", &shipped, &work.join("index-shipped"))];
    for n in sizes {
        let dir = work.join(format!("lib-{n}"));
        eprintln!("generating {n} cases…");
        generate(&shipped, &dir, n);
        eprintln!("benchmarking {n} cases…");
        rows.push(bench(
            &format!("synthetic {n}"),
            &dir,
            &work.join(format!("index-{n}")),
        ));
    }
    let _ = store::tool_version();
    println!(
        "| library | cases | text MB | build s | build MB/s | peak MB | index MB (× text) | query p50 ms | p99 ms | with hits p50 ms | snippets top 10 ms | `duibiao search` ms | `rg -l` ms | staleness check µs |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {:.1} | {:.2} | {:.1} | {} | {:.1} ({:.2}×) | {:.3} | {:.3} | {:.3} | {:.3} | {:.1} | {} | {:.0} |",
            r.name,
            r.cases,
            r.text_mb,
            r.build_s,
            r.text_mb / r.build_s,
            r.peak_mb.map_or("n/a".into(), |m| format!("{m:.0}")),
            r.index_mb,
            r.index_mb / r.text_mb,
            r.p50_ms,
            r.p99_ms,
            r.hits_p50_ms,
            r.snippet_ms,
            r.cli_ms,
            r.rg_ms.map_or("n/a".into(), |m| format!("{m:.1}")),
            r.stale_us
        );
    }
    println!();
    println!(
        "| library | index MB | open generation µs | of which stamp check µs | rehash every file ms |"
    );
    println!("|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {:.1} | {:.0} | {:.0} | {:.1} |",
            r.name, r.index_mb, r.open_us, r.verify_us, r.rehash_ms
        );
    }
}
