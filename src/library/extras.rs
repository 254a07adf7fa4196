//! The library's search aids: `dict.txt`, extra words for the Chinese segmenter (jieba's
//! format: `word [frequency] [tag]` a line), and `synonyms.yaml`, groups of words that
//! mean the same thing to a planner.

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::diag::{Diagnostics, FileText, Pos};
use super::yaml::{self, YamlAt};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DictEntry {
    pub word: String,
    pub freq: Option<usize>,
    pub tag: Option<String>,
}

/// Parses `dict.txt`; blank lines and lines starting with `#` are skipped.
pub fn parse_dict(file: &FileText<'_>, diags: &mut Diagnostics) -> Vec<DictEntry> {
    let mut out: Vec<DictEntry> = Vec::new();
    for (i, line) in file.text.lines().enumerate() {
        let line_no = i + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut parts = trimmed.split_whitespace();
        let word = parts.next().unwrap_or_default().to_string();
        let freq = match parts.next() {
            None => None,
            Some(f) => match f.parse::<usize>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    let col = line.find(f).map_or(1, |b| line[..b].chars().count() + 1);
                    diags.at_hint(
                        file,
                        Pos::new(line_no, col),
                        format!("frequency \"{f}\" of \"{word}\" is not a positive whole number"),
                        Some("write `word 1000 n`, or just `word`".into()),
                    );
                    continue;
                }
            },
        };
        let tag = parts.next().map(str::to_string);
        if let Some(extra) = parts.next() {
            let col = line
                .find(extra)
                .map_or(1, |b| line[..b].chars().count() + 1);
            diags.at(
                file,
                Pos::new(line_no, col),
                format!("unexpected \"{extra}\": a line is `word [frequency] [tag]`"),
            );
            continue;
        }
        if out.iter().any(|e| e.word == word) {
            diags.at(
                file,
                Pos::new(line_no, 1),
                format!("\"{word}\" is listed twice"),
            );
            continue;
        }
        out.push(DictEntry { word, freq, tag });
    }
    out
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSynonyms {
    groups: Vec<Spanned<Vec<Spanned<String>>>>,
}

/// Parses `synonyms.yaml`: `groups:` a list of lists of words.
pub fn parse_synonyms(file: &FileText<'_>, diags: &mut Diagnostics) -> Vec<Vec<String>> {
    let at = YamlAt {
        file,
        first_line: 1,
    };
    let Some(raw) = yaml::parse::<RawSynonyms>(file.text, at, &["groups"], diags) else {
        return Vec::new();
    };
    let mut groups = Vec::new();
    for g in raw.groups {
        if g.value.len() < 2 {
            diags.at(
                file,
                at.pos_of(&g),
                "a synonym group needs at least two words",
            );
            continue;
        }
        let mut words = Vec::new();
        for w in g.value {
            if w.value.trim().is_empty() || w.value.chars().any(char::is_whitespace) {
                diags.at(
                    file,
                    at.pos_of(&w),
                    format!("synonym \"{}\" must be one word with no spaces", w.value),
                );
                continue;
            }
            words.push(w.value);
        }
        groups.push(words);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn dict_lines_are_word_frequency_tag() {
        let f = FileText {
            path: Path::new("dict.txt"),
            text: "# comment\n口袋公园 2000 n\n责任规划师\n坏 x\n",
        };
        let mut d = Diagnostics::new();
        let v = parse_dict(&f, &mut d);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].freq, Some(2000));
        assert_eq!(v[1].freq, None);
        let d = d.into_sorted();
        assert_eq!(d.len(), 1);
        // "坏" is two columns wide, so the frequency starts at column 4.
        assert_eq!((d[0].line, d[0].col), (4, 4));
    }
}
