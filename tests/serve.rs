//! `duibiao serve` over real HTTP: the binary listening on a free port, asked with plain
//! HTTP/1.1 over a socket, its answers compared with what the CLI prints.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use std::{fs, thread};

use common::{Sandbox, fixtures, shipped_library};
use serde_json::Value;

/// A running `duibiao serve`; stopped when dropped.
struct Served {
    child: Child,
    host: String,
    stderr: Option<std::process::ChildStderr>,
}

impl Served {
    fn start(sb: &Sandbox, extra: &[&str]) -> Served {
        let mut args = vec!["--addr", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let (child, line, stderr) = spawn(sb, &args);
        let host = line
            .trim()
            .strip_prefix("http://")
            .and_then(|s| s.strip_suffix('/'))
            .unwrap_or_else(|| panic!("serve printed {line:?}, not a URL"))
            .to_string();
        Served {
            child,
            host,
            stderr,
        }
    }

    /// One request; (status, headers lower-cased, body).
    fn request(&self, method: &str, target: &str) -> (u16, String, Vec<u8>) {
        let mut s = TcpStream::connect(&self.host).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        write!(
            s,
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.host
        )
        .unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).expect("read answer");
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a header block");
        let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .expect("a status code");
        (status, head, raw[split + 4..].to_vec())
    }

    fn get(&self, target: &str) -> (u16, Value) {
        let (status, head, body) = self.request("GET", target);
        assert!(
            head.contains("content-type: application/json"),
            "{target}: {head}"
        );
        let v = serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!(
                "{target}: not JSON ({e}): {}",
                String::from_utf8_lossy(&body)
            )
        });
        (status, v)
    }

    fn ok(&self, target: &str) -> Value {
        let (status, v) = self.get(target);
        assert_eq!(status, 200, "{target}: {v}");
        v
    }

    /// Polls `target` until `done` holds, for at most `secs` seconds.
    fn wait_for(&self, target: &str, secs: u64, done: impl Fn(&Value) -> bool) -> Value {
        let until = Instant::now() + Duration::from_secs(secs);
        loop {
            let v = self.ok(target);
            if done(&v) {
                return v;
            }
            assert!(
                Instant::now() < until,
                "{target} did not change in {secs} s: {v}"
            );
            thread::sleep(Duration::from_millis(200));
        }
    }

    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut err = String::new();
        if let Some(mut e) = self.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        err
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `key=value&…` with values percent-encoded, as a browser sends them.
fn qs(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[test]
fn the_api_answers_exactly_what_the_cli_prints() {
    let sb = Sandbox::from(&shipped_library());
    let server = Served::start(&sb, &[]);
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["search", "口袋公园"],
            format!("/api/search?{}", qs(&[("q", "口袋公园")])),
        ),
        (
            vec![
                "search", "绿道", "--city", "Boston", "--city", "成都", "--limit", "3",
            ],
            format!(
                "/api/search?{}",
                qs(&[
                    ("q", "绿道"),
                    ("city", "Boston"),
                    ("city", "成都"),
                    ("limit", "3")
                ])
            ),
        ),
        (
            vec![
                "search",
                "会展",
                "--positioning",
                "产业",
                "--country",
                "德国",
            ],
            format!(
                "/api/search?{}",
                qs(&[("q", "会展"), ("positioning", "产业"), ("country", "德国")])
            ),
        ),
        (
            vec!["search", "--task", "BAY-03"],
            format!("/api/search?{}", qs(&[("task", "BAY-03")])),
        ),
        (
            vec!["search", "城市", "更新", "--topic", "城市更新"],
            format!(
                "/api/search?{}",
                qs(&[("q", "城市"), ("q", "更新"), ("topic", "城市更新")])
            ),
        ),
        (
            vec!["show", "boston-emerald-necklace"],
            "/api/cases/boston-emerald-necklace".into(),
        ),
        (
            vec!["similar", "hong-kong-airport-city", "--limit", "4"],
            "/api/cases/hong-kong-airport-city/similar?limit=4".into(),
        ),
        (vec!["stats"], "/api/stats".into()),
        (vec!["tasks"], "/api/tasks".into()),
        (
            vec!["tasks", "--positioning", "湾区"],
            format!("/api/tasks?{}", qs(&[("positioning", "湾区")])),
        ),
        (vec!["task", "BAY-03"], "/api/tasks/BAY-03".into()),
        (
            vec!["task", "GOV-03", "--limit", "8"],
            "/api/tasks/GOV-03?limit=8".into(),
        ),
    ];
    for (args, target) in cases {
        let cli = sb.json(&args);
        let api = server.ok(&target);
        assert_eq!(api, cli, "{target} differs from duibiao {args:?} --json");
    }
}

#[test]
fn errors_are_json_with_the_clis_message() {
    let sb = Sandbox::from(&shipped_library());
    let server = Served::start(&sb, &[]);

    let (code, _, err) = sb.run_text(&["search", "公园", "--city", "Bostn"]);
    assert_eq!(code, 2);
    let (status, v) = server.get(&format!(
        "/api/search?{}",
        qs(&[("q", "公园"), ("city", "Bostn")])
    ));
    assert_eq!(status, 400);
    let msg = v["error"].as_str().unwrap();
    assert!(err.contains(msg), "API says {msg:?}, CLI says {err:?}");
    assert!(
        v["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().contains("波士顿")),
        "{v}"
    );

    for (target, status) in [
        ("/api/cases/no-such-case", 404),
        ("/api/tasks/XYZ-99", 404),
        ("/api/cases/boston-emerald-necklace/similar?limit=many", 400),
        ("/api/search?q=x&limit=-1", 400),
        ("/api/search?qq=x", 400),
        ("/api/nothing-here", 404),
        ("/api/stats?extra=1", 400),
    ] {
        let (got, v) = server.get(target);
        assert_eq!(got, status, "{target}: {v}");
        assert!(
            v["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{target}: {v}"
        );
        assert!(v["suggestions"].is_array(), "{target}: {v}");
    }
    let (_, v) = server.get("/api/cases/boston-emerald-necklac");
    assert!(
        v["suggestions"]
            .to_string()
            .contains("boston-emerald-necklace"),
        "{v}"
    );
}

#[test]
fn only_the_page_and_its_assets_are_served() {
    let sb = Sandbox::new();
    let server = Served::start(&sb, &[]);
    for target in [
        "/",
        "/cases/new-york-pocket-parks",
        "/tasks",
        "/tasks/BAY-03/brief",
        "/stats",
    ] {
        let (status, head, body) = server.request("GET", target);
        assert_eq!(status, 200, "{target}");
        assert!(head.contains("text/html"), "{target}: {head}");
        assert!(String::from_utf8_lossy(&body).contains("lang=\"zh-CN\""));
        assert!(
            head.contains("content-security-policy: default-src 'none'"),
            "{head}"
        );
    }
    let (status, head, body) = server.request("GET", "/assets/app.js");
    assert_eq!(status, 200);
    assert!(head.contains("text/javascript"));
    assert!(!body.is_empty());
    for target in [
        "/../Cargo.toml",
        "/assets/../../Cargo.toml",
        "/assets/%2e%2e/%2e%2e/Cargo.toml",
        "/etc/passwd",
        "/assets/",
        "/cases",
        "/favicon.ico",
    ] {
        let (status, _, body) = server.request("GET", target);
        assert_eq!(status, 404, "{target}");
        assert!(
            !String::from_utf8_lossy(&body).contains("[package]"),
            "{target}"
        );
    }
    let (status, _, _) = server.request("POST", "/api/search");
    assert_eq!(status, 405);
    let long = format!("/api/search?q={}", "a".repeat(5000));
    let (status, _, _) = server.request("GET", &long);
    assert_eq!(status, 414);
    // A request head past the server's limit is refused, not read on for ever.
    let mut s = TcpStream::connect(&server.host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let big = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "b".repeat(40_000)
    );
    let _ = s.write_all(big.as_bytes());
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    let (status, head, body) = server.request("HEAD", "/api/stats");
    assert_eq!(status, 200);
    assert!(body.is_empty(), "HEAD has no body");
    assert!(head.contains("content-length:"), "{head}");
}

#[test]
fn a_slow_client_holds_only_itself() {
    let sb = Sandbox::new();
    let server = Served::start(&sb, &[]);
    // Several connections that start a request and never finish it.
    let mut stuck = Vec::new();
    for _ in 0..12 {
        let mut s = TcpStream::connect(&server.host).unwrap();
        s.write_all(b"GET /api/stats HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .unwrap();
        stuck.push(s);
    }
    let started = Instant::now();
    for _ in 0..20 {
        server.ok("/api/stats");
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "20 requests took {:?} beside slow clients",
        started.elapsed()
    );
    drop(stuck);
}

#[test]
fn case_text_never_reaches_the_page_as_markup() {
    let sb = Sandbox::from(&fixtures().join("xss"));
    let server = Served::start(&sb, &[]);
    let v = server.ok("/api/cases/hostile-markup/html");
    let html = v["html"].as_str().unwrap();
    // Markup in the source may appear as text (escaped), never as a tag or a link.
    for bad in ["<script", "<img", "<iframe", "<div", "href=\"javascript"] {
        assert!(
            !html.to_lowercase().contains(&bad.to_lowercase()),
            "rendered body holds {bad}: {html}"
        );
    }
    assert!(
        html.contains("&lt;script&gt;"),
        "raw HTML is shown as text: {html}"
    );
    assert!(!html.contains("<a href=\"javascript"), "{html}");
    assert!(
        html.contains("<strong>口袋公园</strong>"),
        "Markdown still renders: {html}"
    );
    assert!(
        html.contains("点这里"),
        "a script link keeps its text: {html}"
    );
    let sections = v["sections"].as_array().unwrap();
    let headings: Vec<&str> = sections
        .iter()
        .map(|s| s["heading"].as_str().unwrap())
        .collect();
    assert_eq!(headings, ["案例概述", "主要做法", "成效", "对青岛的启示"]);
}

/// Writes `text` to `path` atomically, as an editor saving a file would.
fn save(path: &std::path::Path, text: &str) {
    let tmp = path.with_extension("tmp~");
    fs::write(&tmp, text).unwrap();
    fs::rename(&tmp, path).unwrap();
}

#[test]
fn an_edit_is_served_after_a_background_rebuild_and_a_broken_library_keeps_the_last_good_index() {
    let sb = Sandbox::new();
    let server = Served::start(&sb, &[]);
    let first = server.ok("/api/status");
    assert!(first["problems"].as_array().unwrap().is_empty());

    let path = sb.lib().join("new-york-pocket-parks.md");
    let original = fs::read_to_string(&path).unwrap();
    save(
        &path,
        &original.replace(
            "title: 纽约口袋公园——小而精致的城市绿地",
            "title: 纽约口袋公园——改过的标题",
        ),
    );
    let target = format!("/api/search?{}", qs(&[("q", "口袋公园")]));
    server.wait_for(&target, 20, |v| v.to_string().contains("改过的标题"));
    let after = server.ok("/api/status");
    assert_ne!(after["generation"], first["generation"], "{after}");

    // A broken file: the page says so, and searches go on from the last good generation.
    let broken = sb.lib().join("broken-case.md");
    save(&broken, "---\nid: broken-case\ntitle: [unclosed\n---\n");
    let status = server.wait_for("/api/status", 20, |v| {
        !v["problems"].as_array().unwrap().is_empty()
    });
    assert!(
        status["problems"].to_string().contains("broken-case.md"),
        "{status}"
    );
    let v = server.ok(&target);
    assert!(v.to_string().contains("改过的标题"), "still served: {v}");

    fs::remove_file(&broken).unwrap();
    server.wait_for("/api/status", 20, |v| {
        v["problems"].as_array().unwrap().is_empty()
    });
    let err = server.stop();
    assert!(err.contains("still serving the last good index"), "{err}");
}

#[test]
fn another_address_than_loopback_is_announced() {
    let sb = Sandbox::new();
    let server = Served::start_any(&sb);
    let err = server.stop();
    assert!(err.contains("reachable from other machines"), "{err}");
}

impl Served {
    fn start_any(sb: &Sandbox) -> Served {
        let (child, line, stderr) = spawn(sb, &["--addr", "0.0.0.0:0"]);
        assert!(line.starts_with("http://0.0.0.0:"), "{line}");
        Served {
            child,
            host: String::new(),
            stderr,
        }
    }
}

/// `duibiao serve ARGS`, running, with the first line it printed (the URL).
fn spawn(sb: &Sandbox, args: &[&str]) -> (Child, String, Option<std::process::ChildStderr>) {
    let mut all = vec!["serve"];
    all.extend_from_slice(args);
    let mut child = sb
        .command(&all)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start duibiao serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("read the URL");
    let stderr = child.stderr.take();
    (child, line, stderr)
}
