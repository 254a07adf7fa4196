//! Reading YAML into typed structs, with every error turned into a diagnostic that points
//! at the right line of the right file.
//!
//! serde-saphyr is used rather than serde_yaml (archived upstream): it is maintained, pure
//! Rust, refuses YAML bombs by budget, and gives `Spanned<T>` so that a value that parses
//! but means nothing (an unknown city) can still be reported at its own line and column.

use serde::de::DeserializeOwned;
use serde_saphyr::Spanned;

use super::diag::{Diagnostics, FileText, Pos};
use super::suggest::{Candidate, closest};

/// Where a YAML text sits inside its file, so YAML positions become file positions.
#[derive(Clone, Copy)]
pub struct YamlAt<'a, 'f> {
    pub file: &'a FileText<'f>,
    /// 1-based file line of the YAML text's first line.
    pub first_line: usize,
}

impl YamlAt<'_, '_> {
    /// The file position of a YAML location (line/column 0 means unknown: the block start).
    pub fn pos(&self, line: u64, column: u64) -> Pos {
        if line == 0 {
            return Pos::new(self.first_line, 1);
        }
        // The YAML parser ends a line at a lone `\r` too; the file's lines (and an
        // editor's ruler, and `FileText`) end at `\n`. Walk the YAML text to the
        // parser's line, counting both ways.
        let start = self
            .file
            .text
            .match_indices('\n')
            .nth(self.first_line.saturating_sub(2))
            .map_or(0, |(i, _)| i + 1);
        let start = if self.first_line <= 1 { 0 } else { start };
        let (mut yaml_line, mut file_line, mut before) = (1u64, self.first_line, 0usize);
        let mut chars = self.file.text[start..].chars().peekable();
        while yaml_line < line {
            match chars.next() {
                None => break,
                Some('\n') => (yaml_line, file_line, before) = (yaml_line + 1, file_line + 1, 0),
                Some('\r') if chars.peek() == Some(&'\n') => {
                    chars.next();
                    (yaml_line, file_line, before) = (yaml_line + 1, file_line + 1, 0);
                }
                Some('\r') => (yaml_line, before) = (yaml_line + 1, before + 1),
                Some(_) => before += 1,
            }
        }
        Pos::new(file_line, before + column.max(1) as usize)
    }

    pub fn pos_of<T>(&self, s: &Spanned<T>) -> Pos {
        self.pos(s.referenced.line(), s.referenced.column())
    }
}

/// Parses `yaml` into `T`; on failure records one diagnostic (with a "did you mean" for
/// unknown keys drawn from `keys`) and returns `None`.
pub fn parse<T: DeserializeOwned>(
    yaml: &str,
    at: YamlAt<'_, '_>,
    keys: &[&str],
    diags: &mut Diagnostics,
) -> Option<T> {
    match serde_saphyr::from_str::<T>(yaml) {
        Ok(v) => Some(v),
        Err(err) => {
            let err = err.without_snippet();
            let pos = err
                .location()
                .map_or(Pos::new(at.first_line, 1), |l| at.pos(l.line(), l.column()));
            let (message, hint) = describe(&err.to_string(), keys);
            diags.at_hint(at.file, pos, message, hint);
            None
        }
    }
}

/// Turns serde's wording into ours, and finds the closest valid key for an unknown one.
fn describe(raw: &str, keys: &[&str]) -> (String, Option<String>) {
    let first = raw.lines().next().unwrap_or(raw).trim();
    // serde-saphyr appends " at line N column M"; the position is already in our prefix.
    let first = match first.find(" at line ") {
        Some(i) => &first[..i],
        None => first,
    };
    if let Some(rest) = first.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or("");
        let cands: Vec<Candidate> = keys
            .iter()
            .map(|k| Candidate {
                key: (*k).to_string(),
                canonical: k,
            })
            .collect();
        let hint = match closest(name, &cands, 1).first() {
            Some(k) => format!("did you mean `{k}`? valid keys: {}", keys.join(", ")),
            None => format!("valid keys: {}", keys.join(", ")),
        };
        return (format!("unknown key `{name}`"), Some(hint));
    }
    if let Some(rest) = first.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or("");
        return (
            format!("missing required key `{name}`"),
            Some(format!("add a `{name}:` line")),
        );
    }
    if first.starts_with("invalid type") {
        return (format!("wrong type: {first}"), None);
    }
    if let Some(what) = first.strip_prefix("expected ") {
        let what = match what {
            "sequence start" => "a list, like [a, b]",
            "mapping start" => "keys and values, like `title: …`",
            other => other,
        };
        return (format!("wrong type: expected {what}"), None);
    }
    (format!("malformed YAML: {first}"), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct T {
        id: String,
        #[serde(default)]
        cities: Vec<Spanned<String>>,
    }

    fn run(yaml: &str) -> Vec<String> {
        let text = format!("---\n{yaml}---\n");
        let file = FileText {
            path: Path::new("c.md"),
            text: &text,
        };
        let mut d = Diagnostics::new();
        let at = YamlAt {
            file: &file,
            first_line: 2,
        };
        let _ = parse::<T>(yaml, at, &["id", "cities"], &mut d);
        d.into_sorted().iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn a_lone_carriage_return_is_no_line_of_the_file() {
        let file = FileText {
            path: Path::new("x.md"),
            text: "---\na: 1\rb: [\r\nc: 2\n---\n",
        };
        let at = YamlAt {
            file: &file,
            first_line: 2,
        };
        // The parser's line 2 starts after the lone \r, on the file's line 2.
        assert_eq!(at.pos(2, 3), Pos::new(2, 5 + 3));
        // Its line 3 follows the \r\n: the file's line 3.
        assert_eq!(at.pos(3, 1), Pos::new(3, 1));
        assert_eq!(at.pos(1, 4), Pos::new(2, 4));
    }

    #[test]
    fn unknown_key_names_the_closest() {
        let out = run("id: a\ncitys: [x]\n");
        assert_eq!(out.len(), 1);
        assert!(
            out[0].starts_with("c.md:3:1: unknown key `citys`; did you mean `cities`?"),
            "{}",
            out[0]
        );
    }

    #[test]
    fn missing_and_malformed_are_reported() {
        let out = run("cities: [x]\n");
        assert!(out[0].contains("missing required key `id`"), "{out:?}");
        let out = run("id: a: b\n");
        assert!(out[0].contains("malformed YAML"), "{out:?}");
        assert!(out[0].starts_with("c.md:"), "{out:?}");
    }

    #[test]
    fn spans_point_into_the_file() {
        let yaml = "id: a\ncities: [波士顿, x]\n";
        let v: T = serde_saphyr::from_str(yaml).unwrap();
        let text = format!("---\n{yaml}---\n");
        let file = FileText {
            path: Path::new("c.md"),
            text: &text,
        };
        let at = YamlAt {
            file: &file,
            first_line: 2,
        };
        assert_eq!(at.pos_of(&v.cities[1]), Pos::new(3, 15));
    }
}
