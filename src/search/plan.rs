//! The first step of a search, plan: what the user typed becomes the units that must
//! match, each with its alternatives, and the filters with canonical values.
//!
//! Reading is lenient: unbalanced quotes, stray operators and lone punctuation are text,
//! never an error. Quoted text is a phrase. Every other piece is cut into words by the
//! generation's segmenter; each word is a unit, with its synonyms and, for a place, its
//! canonical name and aliases as alternatives (all normalized: lower case, simplified
//! characters). How many units must match is the [`MatchMode`]. Filter values as typed
//! (any alias, any case) become canonical ones, or an error naming the closest.

use std::collections::HashMap;

use jieba_rs::Jieba;

use super::analysis::{self, normalize};
use super::{SearchError, Searcher};
use crate::library::names::{Named, suggestions};
use crate::library::suggest::{Candidate, closest};

/// A piece of the query as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Free text: cut into words.
    Text(String),
    /// Quoted text: must occur as written.
    Phrase(String),
}

/// Pairs of quote marks a planner may type.
const QUOTES: [(char, char); 4] = [('"', '"'), ('“', '”'), ('「', '」'), ('『', '』')];

/// Splits a query into text and quoted phrases. A quote without its partner is text.
pub fn parse(input: &str) -> Vec<Part> {
    let chars: Vec<char> = input.chars().collect();
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let close = QUOTES.iter().find(|(o, _)| *o == c).and_then(|(_, cl)| {
            chars[i + 1..]
                .iter()
                .position(|x| x == cl)
                .map(|p| i + 1 + p)
        });
        match close {
            Some(end) => {
                let phrase: String = chars[i + 1..end].iter().collect();
                if !text.trim().is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                text.clear();
                if !phrase.trim().is_empty() {
                    parts.push(Part::Phrase(phrase.trim().to_string()));
                }
                i = end + 1;
            }
            None => {
                text.push(c);
                i += 1;
            }
        }
    }
    if !text.trim().is_empty() {
        parts.push(Part::Text(text));
    }
    parts
}

/// One thing that must match: a word or a phrase, normalized, and the other words that
/// mean the same.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub text: String,
    pub phrase: bool,
    pub synonyms: Vec<String>,
}

/// The units of a query. `expand` gives the synonyms of a normalized word.
pub fn units(parts: &[Part], jieba: &Jieba, expand: &dyn Fn(&str) -> Vec<String>) -> Vec<Unit> {
    let mut out: Vec<Unit> = Vec::new();
    let mut push = |text: String, phrase: bool, synonyms: Vec<String>| {
        if !out.iter().any(|o| o.text == text && o.phrase == phrase) {
            out.push(Unit {
                text,
                phrase,
                synonyms,
            });
        }
    };
    for part in parts {
        match part {
            Part::Phrase(p) => {
                let text = normalize(p);
                let synonyms = expand(&text);
                push(text, true, synonyms);
            }
            Part::Text(t) => {
                for chunk in t.split_whitespace() {
                    let chunk = normalize(chunk);
                    // A whole chunk that is a known synonym or alias ("MICE", "New-York")
                    // stays whole; otherwise it is cut into words.
                    let whole = expand(&chunk);
                    let words = if whole.is_empty() {
                        analysis::query_words(jieba, &chunk)
                    } else {
                        vec![chunk.clone()]
                    };
                    if words.is_empty() {
                        // Only punctuation: search it as text.
                        push(chunk, false, Vec::new());
                        continue;
                    }
                    for w in words {
                        let synonyms = expand(&w);
                        push(w, false, synonyms);
                    }
                }
            }
        }
    }
    out
}

/// How many units must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchMode {
    All,
    /// At least this many.
    AtLeast(usize),
}

/// Exact-field filters: the one type from the command line (whose flags it defines) and
/// the web API inward. Values as typed (any alias, any case) become canonical ones through
/// `Searcher::resolve_filters`; a query runs on canonical values. Values of one filter
/// are OR-ed, filters AND-ed.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct Filters {
    /// Only cases from this city (name or alias, e.g. 波士顿, Boston, bosidun); repeatable.
    #[arg(long = "city", value_name = "CITY")]
    pub cities: Vec<String>,
    /// Only cases from this country or region (e.g. 美国, USA); repeatable.
    #[arg(long = "country", value_name = "COUNTRY")]
    pub countries: Vec<String>,
    /// Only cases under this positioning (full name, code or alias, e.g. BAY, 湾区); repeatable.
    #[arg(long = "positioning", value_name = "POSITIONING")]
    pub positionings: Vec<String>,
    /// Only cases with this topic tag; repeatable.
    #[arg(long = "topic", value_name = "TOPIC")]
    pub topics: Vec<String>,
    /// Only cases linked to this task (e.g. BAY-03); repeatable.
    #[arg(long = "task", value_name = "TASK")]
    pub tasks: Vec<String>,
    /// Case ids (not on the command line: tests and tools ask "does this case match?").
    #[arg(skip)]
    pub ids: Vec<String>,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.cities.is_empty()
            && self.countries.is_empty()
            && self.positionings.is_empty()
            && self.topics.is_empty()
            && self.tasks.is_empty()
            && self.ids.is_empty()
    }
}
impl Searcher {
    /// The units of what the user typed (none for an empty query).
    pub(super) fn plan(&self, text: &str) -> Result<Vec<Unit>, SearchError> {
        let parts = parse(text);
        if parts.is_empty() {
            return Ok(Vec::new());
        }
        Ok(units(&parts, self.jieba()?, &|w| self.expansions(w)))
    }

    /// Canonical filter values for what the user typed; an unknown value is an error
    /// naming the closest known ones.
    pub fn resolve_filters(&self, raw: &Filters) -> Result<Filters, SearchError> {
        let mut out = Filters {
            ids: raw.ids.clone(),
            ..Filters::default()
        };
        // Only ids (which need no resolving), or nothing at all: the catalog is not read.
        if *raw == out {
            return Ok(out);
        }
        let c = self.catalog()?;
        out.cities = resolve_all(&c.places.cities, &raw.cities, "city")?;
        out.countries = resolve_all(&c.places.countries, &raw.countries, "country or region")?;
        out.positionings = resolve_all(&c.plan.positionings, &raw.positionings, "positioning")?;
        out.tasks = resolve_all(&c.plan.tasks, &raw.tasks, "task")?;
        if !raw.topics.is_empty() {
            let topics: Vec<String> = self.counts(self.fields.topic)?.into_keys().collect();
            for v in &raw.topics {
                match topics
                    .iter()
                    .find(|t| t.to_lowercase() == v.trim().to_lowercase())
                {
                    Some(t) => out.topics.push(t.clone()),
                    None => {
                        let s = closest_known(v, &topics).map(|t| format!("\"{t}\""));
                        return Err(unknown("topic", v, s.collect()));
                    }
                }
            }
        }
        Ok(out)
    }

    /// The words a normalized word also matches: its synonym groups and, for a place, its
    /// canonical name and aliases.
    pub(super) fn expansions(&self, word: &str) -> Vec<String> {
        self.expansion_map().get(word).cloned().unwrap_or_default()
    }

    /// Normalized word → the other words of its groups, built once per searcher.
    fn expansion_map(&self) -> &HashMap<String, Vec<String>> {
        self.expansions.get_or_init(|| {
            let mut map: HashMap<String, Vec<String>> = HashMap::new();
            let Ok(c) = self.catalog() else {
                return map;
            };
            let groups = c
                .synonyms
                .iter()
                .map(|g| g.iter().map(String::as_str).collect::<Vec<&str>>())
                .chain(c.places.cities.iter().map(|x| x.names()))
                .chain(c.places.countries.iter().map(|x| x.names()));
            for names in groups {
                let names: Vec<String> = names.into_iter().map(normalize).collect();
                for w in &names {
                    let entry = map.entry(w.clone()).or_default();
                    for other in &names {
                        if other != w && !entry.contains(other) {
                            entry.push(other.clone());
                        }
                    }
                }
            }
            map
        })
    }
}

/// The canonical names of `values` (any alias, any case), or an error naming the closest
/// known ones for the first that resolves to nothing.
fn resolve_all<T: Named>(
    items: &[T],
    values: &[String],
    kind: &'static str,
) -> Result<Vec<String>, SearchError> {
    values
        .iter()
        .map(|v| {
            crate::library::names::resolve(items, v)
                .map(|x| x.canonical().to_string())
                .ok_or_else(|| unknown(kind, v, suggestions(items, v)))
        })
        .collect()
}

fn unknown(kind: &'static str, value: &str, suggestions: Vec<String>) -> SearchError {
    SearchError::UnknownFilter {
        kind,
        value: value.to_string(),
        suggestions,
    }
}

/// The (at most three) values of `known` closest to `value`, for "did you mean".
pub(super) fn closest_known<'k>(value: &str, known: &'k [String]) -> impl Iterator<Item = &'k str> {
    let candidates: Vec<Candidate<'k>> = known
        .iter()
        .map(|k| Candidate {
            key: k.clone(),
            canonical: k,
        })
        .collect();
    closest(value, &candidates, 3).into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_make_phrases_and_stray_quotes_are_text() {
        assert_eq!(
            parse("口袋公园 \"城市 更新\" 纽约"),
            vec![
                Part::Text("口袋公园 ".into()),
                Part::Phrase("城市 更新".into()),
                Part::Text(" 纽约".into())
            ]
        );
        assert_eq!(parse("“翡翠项链”"), vec![Part::Phrase("翡翠项链".into())]);
        assert_eq!(parse("口袋\"公园"), vec![Part::Text("口袋\"公园".into())]);
        assert_eq!(parse(""), Vec::<Part>::new());
        assert_eq!(parse("\"\""), Vec::<Part>::new());
    }

    #[test]
    fn words_are_cut_and_punctuation_alone_is_kept_as_text() {
        let jieba = Jieba::new();
        let none = |_: &str| Vec::new();
        let u = units(&parse("建设 会展平台 +"), &jieba, &none);
        let texts: Vec<&str> = u.iter().map(|u| u.text.as_str()).collect();
        assert_eq!(texts, vec!["建设", "会展", "平台", "+"]);
        let u = units(&parse("AND 口袋公园"), &jieba, &none);
        assert_eq!(u[0].text, "and");
    }

    #[test]
    fn synonyms_attach_to_their_word() {
        let jieba = Jieba::new();
        let syn = |w: &str| {
            if w == "boston" {
                vec!["波士顿".to_string()]
            } else {
                Vec::new()
            }
        };
        let u = units(&parse("Boston 绿道"), &jieba, &syn);
        assert_eq!(u[0].text, "boston");
        assert_eq!(u[0].synonyms, vec!["波士顿"]);
        assert!(u[1].synonyms.is_empty());
    }
}
