//! The conventions every command-line user expects, on the real binary: completions, the
//! man page, colour (`--color`, NO_COLOR, CLICOLOR_FORCE, a terminal or not), wrapping to
//! the terminal's width, and `check`'s machine formats on the broken fixtures.
//!
//! The terminal cases run the binary under `script(1)`, which gives it a real pseudo
//! terminal; where `script` is missing they say so and check only the piped cases.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::Sandbox;
use unicode_width::UnicodeWidthStr;

const SUBCOMMANDS: [&str; 10] = [
    "search",
    "show",
    "similar",
    "stats",
    "tasks",
    "task",
    "check",
    "index",
    "completions",
    "man",
];

const ESC: &str = "\x1b[";

#[test]
fn completions_for_every_shell_name_the_subcommands() {
    let sb = Sandbox::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, out, err) = sb.run_text(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.len() > 500, "{shell}: {out}");
        for sub in SUBCOMMANDS {
            assert!(out.contains(sub), "{shell} completion lacks {sub}");
        }
        // Options of a subcommand are completed too, not only the names.
        assert!(out.contains("positioning"), "{shell}");
        assert!(out.contains("color"), "{shell}");
    }
    let (code, _, err) = sb.run_text(&["completions", "tcsh"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn bash_accepts_the_bash_completion_script() {
    let Some(bash) = which("bash") else {
        eprintln!("no bash here: skipped");
        return;
    };
    let sb = Sandbox::new();
    let script = sb.dir.path().join("duibiao.bash");
    let o = sb.run(&["completions", "bash"]);
    fs::write(&script, &o.stdout).unwrap();
    let o = Command::new(bash)
        .arg("-c")
        .arg(format!(
            "source {} && complete -p duibiao",
            script.display()
        ))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("duibiao"));
}

#[test]
fn the_man_page_is_roff_with_the_commands() {
    let sb = Sandbox::new();
    let (code, out, err) = sb.run_text(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(".ie") || out.starts_with(".TH"), "{out}");
    assert!(out.contains(".TH duibiao 1"), "{out}");
    assert!(out.contains(".SH NAME"), "{out}");
    assert!(out.contains(".SH SUBCOMMANDS"), "{out}");
    for sub in SUBCOMMANDS {
        assert!(
            out.contains(&format!("duibiao\\-{sub}")),
            "man page lacks {sub}"
        );
    }
    assert!(out.contains("\\-\\-color"), "{out}");
}

/// Runs `duibiao --library … --index … ARGS` with extra environment variables.
fn run_env(sb: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> (String, String) {
    let mut cmd = sb.command(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// An environment variable and its value.
type Var = (&'static str, &'static str);

#[test]
fn colour_follows_the_flag_then_no_color_then_clicolor_force() {
    let sb = Sandbox::new();
    // (flag, environment, stdout and stderr coloured?) — both streams are pipes here.
    let cases: [(&str, &[Var], bool); 8] = [
        ("auto", &[], false),
        ("auto", &[("CLICOLOR_FORCE", "1")], true),
        ("auto", &[("NO_COLOR", "1")], false),
        ("auto", &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")], false),
        ("always", &[], true),
        ("always", &[("NO_COLOR", "1")], true),
        ("never", &[("CLICOLOR_FORCE", "1")], false),
        ("never", &[], false),
    ];
    for (flag, env, coloured) in cases {
        // A fresh index each time, so stderr always has the "index rebuilt" message.
        let _ = fs::remove_dir_all(sb.index());
        let (out, err) = run_env(&sb, &["--color", flag, "search", "口袋公园"], env);
        assert_eq!(
            out.contains(ESC),
            coloured,
            "--color {flag} {env:?}: {out:?}"
        );
        assert!(err.contains("index rebuilt"), "{err}");
        assert_eq!(
            err.contains(ESC),
            coloured,
            "--color {flag} {env:?}: {err:?}"
        );
        // The words are the same either way.
        let stripped = strip(&out);
        assert!(stripped.contains("【口袋公园】"), "{stripped}");
        assert!(!stripped.contains(ESC));
    }
    // An empty NO_COLOR does not count (no-color.org).
    let (out, _) = run_env(
        &sb,
        &["search", "口袋公园"],
        &[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")],
    );
    assert!(out.contains(ESC), "{out:?}");
    // JSON is never decorated.
    let (out, _) = run_env(&sb, &["--color", "always", "stats", "--json"], &[]);
    assert!(!out.contains('\x1b'));
    serde_json::from_str::<serde_json::Value>(&out).unwrap();
}

#[test]
fn an_unknown_colour_choice_is_a_usage_error() {
    let sb = Sandbox::new();
    let (code, _, err) = sb.run_text(&["--color", "sometimes", "stats"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("auto"), "{err}");
}

#[test]
fn errors_and_problems_on_stderr_take_the_colour_choice_too() {
    let sb = Sandbox::new();
    fs::copy(
        common::fixtures().join("broken/unknown-city.md"),
        sb.lib().join("unknown-city.md"),
    )
    .unwrap();
    for (flag, coloured) in [("always", true), ("never", false), ("auto", false)] {
        let o = sb.run(&["--color", flag, "index"]);
        assert_eq!(o.status.code(), Some(1));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            strip(&err).contains("unknown-city.md:4:10: unknown city"),
            "{err}"
        );
        assert!(strip(&err).contains("duibiao: index not built"), "{err}");
        assert_eq!(err.contains(ESC), coloured, "{flag}: {err:?}");
    }
    let sb = Sandbox::new();
    let (code, _, err) = sb.run_text(&["--color", "always", "show", "no-such-case"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(ESC), "{err:?}");
}

#[test]
fn piped_output_is_never_wrapped() {
    let sb = Sandbox::new();
    let (out, _) = run_env(
        &sb,
        &["show", "new-york-pocket-parks"],
        &[("COLUMNS", "20")],
    );
    assert!(
        out.lines().any(|l| l.width() > 40),
        "a long paragraph should stay on one line: {out}"
    );
}

/// The program `name` on PATH, if there is one.
fn which(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Runs `shell_command` in a pseudo terminal `cols` columns wide; returns what the
/// terminal showed, with the terminal's CR LF line ends made LF.
fn in_terminal(
    sb: &Sandbox,
    cols: u16,
    shell_command: &str,
    env: &[(&str, &str)],
) -> Option<String> {
    let Some(script) = which("script") else {
        eprintln!("no script(1) here: terminal cases skipped");
        return None;
    };
    let bin = env!("CARGO_BIN_EXE_duibiao");
    let full = format!(
        "stty cols {cols} rows 50; {}",
        shell_command.replace(
            "duibiao",
            &format!(
                "{bin} --library {} --index {}",
                sb.lib().display(),
                sb.index().display()
            )
        )
    );
    let mut cmd = Command::new(script);
    cmd.env_clear()
        .env("HOME", sb.dir.path())
        .env("PATH", "/usr/bin:/bin")
        .env("TERM", "xterm-256color")
        .current_dir(sb.dir.path())
        .args(["-q", "-e", "-c", &full, "/dev/null"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{full}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    Some(String::from_utf8_lossy(&o.stdout).replace("\r\n", "\n"))
}

fn strip(s: &str) -> String {
    anstream::adapter::strip_str(s).to_string()
}

#[test]
fn on_a_terminal_output_is_coloured_and_wrapped_to_its_width() {
    let sb = Sandbox::new();
    sb.run(&["index"]);
    let Some(shown) = in_terminal(&sb, 40, "duibiao show new-york-pocket-parks", &[]) else {
        return;
    };
    assert!(shown.contains(ESC), "{shown:?}");
    let plain = strip(&shown);
    let lines: Vec<&str> = plain.lines().collect();
    assert!(lines.len() > 20, "{plain}");
    for l in &lines {
        assert!(l.width() <= 40, "{} columns: {l:?}", l.width());
    }
    // Nothing is lost: the piped text, without its line breaks, is the same text.
    let piped =
        String::from_utf8_lossy(&sb.run(&["show", "new-york-pocket-parks"]).stdout).into_owned();
    let squash = |s: &str| s.split_whitespace().collect::<String>();
    assert_eq!(squash(&plain), squash(&piped));

    // NO_COLOR on a terminal: wrapped, not coloured.
    let shown = in_terminal(&sb, 40, "duibiao search 口袋公园", &[("NO_COLOR", "1")]).unwrap();
    assert!(!shown.contains('\x1b'), "{shown:?}");
    assert!(shown.lines().all(|l| l.width() <= 40), "{shown}");
}

#[test]
fn auto_looks_at_the_stream_written_to() {
    let sb = Sandbox::new();
    let out = sb.dir.path().join("out.txt");
    // stdout to a file, stderr to the terminal: only the message on stderr is coloured,
    // and the file gets whole lines.
    let shown = in_terminal(
        &sb,
        40,
        &format!("duibiao show new-york-pocket-parks > {}", out.display()),
        &[],
    );
    let Some(shown) = shown else { return };
    assert!(strip(&shown).contains("index rebuilt"), "{shown:?}");
    assert!(shown.contains(ESC), "{shown:?}");
    let file = fs::read_to_string(&out).unwrap();
    assert!(!file.contains('\x1b'), "{file:?}");
    assert!(file.lines().any(|l| l.width() > 40), "{file}");
}

// ---- check --format ----

/// The valid fixture library plus some broken cases, in a folder whose name holds the
/// characters an annotation's properties must escape.
fn broken_sandbox() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib,with:odd%name");
    fs::create_dir_all(&lib).unwrap();
    for e in fs::read_dir(common::fixtures().join("valid")).unwrap() {
        let p = e.unwrap().path();
        fs::copy(&p, lib.join(p.file_name().unwrap())).unwrap();
    }
    for f in [
        "unknown-city.md",
        "empty-title.md",
        "section-order.md",
        "unknown-key.md",
        "malformed-yaml.md",
        "wrong-type.md",
    ] {
        fs::copy(common::fixtures().join("broken").join(f), lib.join(f)).unwrap();
    }
    (dir, lib)
}

fn check(dir: &Path, lib: &Path, format: &str) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_duibiao"))
        .env_clear()
        .env("HOME", dir)
        .arg("--library")
        .arg(lib)
        .arg("--index")
        .arg(dir.join("index"))
        .args(["check", "--format", format])
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `path:line:col: message[; hint]` split into its parts, as the text form prints it.
fn text_problems(text: &str, lib: &Path) -> Vec<(String, u64, u64, String)> {
    let prefix = format!("{}/", lib.display());
    text.lines()
        .map(|l| {
            let rest = l.strip_prefix(&prefix).expect("path first");
            let mut parts = rest.splitn(4, ':');
            let file = parts.next().unwrap().to_string();
            let line = parts.next().unwrap().parse().unwrap();
            let col = parts.next().unwrap().parse().unwrap();
            (
                file,
                line,
                col,
                parts.next().unwrap().trim_start().to_string(),
            )
        })
        .collect()
}

#[test]
fn check_json_prints_one_object_per_problem_at_the_text_forms_place() {
    let (dir, lib) = broken_sandbox();
    let (code, text, _) = check(dir.path(), &lib, "text");
    assert_eq!(code, 1);
    let expected = text_problems(&text, &lib);
    assert!(expected.len() >= 6, "{text}");

    let (code, json, err) = check(dir.path(), &lib, "json");
    assert_eq!(code, 1);
    assert!(err.contains("problem(s) in"), "{err}");
    let lines: Vec<&str> = json.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{json}");
    let mut with_hint = 0;
    for (l, (file, line, col, message)) in lines.iter().zip(&expected) {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["path"], lib.join(file).display().to_string().as_str());
        assert_eq!(v["line"].as_u64(), Some(*line), "{l}");
        assert_eq!(v["column"].as_u64(), Some(*col), "{l}");
        let m = v["message"].as_str().unwrap();
        match v["hint"].as_str() {
            Some(h) => {
                with_hint += 1;
                assert_eq!(&format!("{m}; {h}"), message);
            }
            None => {
                assert!(v["hint"].is_null());
                assert_eq!(m, message);
            }
        }
    }
    assert!(with_hint >= 1, "the unknown city has a hint: {json}");
}

/// Undoes the runner's escaping of a workflow command's message or property.
fn unescape(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

#[test]
fn check_github_prints_annotations_escaped_as_the_runner_reads_them() {
    let (dir, lib) = broken_sandbox();
    let (_, text, _) = check(dir.path(), &lib, "text");
    let expected = text_problems(&text, &lib);
    let (code, gh, _) = check(dir.path(), &lib, "github");
    assert_eq!(code, 1);
    let lines: Vec<&str> = gh.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{gh}");
    for (l, (file, line, col, message)) in lines.iter().zip(&expected) {
        let rest = l.strip_prefix("::error ").expect(l);
        let (props, msg) = rest.split_once("::").expect(l);
        // The property list splits on its raw commas: any comma in a value is escaped.
        let props: Vec<(&str, &str)> = props
            .split(',')
            .map(|p| p.split_once('=').expect(p))
            .collect();
        let get = |k: &str| props.iter().find(|p| p.0 == k).map(|p| unescape(p.1));
        assert_eq!(get("file"), Some(lib.join(file).display().to_string()));
        assert_eq!(get("line"), Some(line.to_string()));
        assert_eq!(get("col"), Some(col.to_string()));
        assert_eq!(get("title").as_deref(), Some("duibiao check"));
        assert!(!msg.contains('\n') && !msg.contains('\r'));
        assert_eq!(unescape(msg).replacen('\n', "; ", 1), *message, "{l}");
    }
    assert!(gh.contains("%2Cwith%3Aodd%25name"), "{gh}");
}

#[test]
fn check_machine_formats_print_nothing_on_stdout_for_a_valid_library() {
    let sb = Sandbox::new();
    for format in ["json", "github"] {
        let (code, out, err) = sb.run_text(&["check", "--format", format]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(out, "", "{format}");
        assert!(err.contains("ok: 5 cases"), "{err}");
    }
    let (code, out, _) = sb.run_text(&["check", "--format", "text"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("ok: 5 cases"), "{out}");
}
