//! Steps two and three of reading a case: deserialize the front matter into a documented
//! struct that rejects unknown keys, then check what it means against the gazetteer and the
//! plan. Every problem is recorded with its own line and column.

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::diag::{Diagnostics, FileText, Pos};
use super::frontmatter::{self, SplitError};
use super::markdown;
use super::names::did_you_mean;
use super::places::Places;
use super::plan::Plan;
use super::yaml::{self, YamlAt};

/// The four body sections every case has, in this order.
pub const SECTIONS: [&str; 4] = ["案例概述", "主要做法", "成效", "对青岛的启示"];

/// Where a precedent comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provenance {
    /// Named in the newspaper article about the plan.
    Article,
    /// Chosen by this project to fill the handbook's shape.
    Curated,
}

/// A public reference a reader can check the case against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A validated benchmark case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_en: Option<String>,
    pub cities: Vec<String>,
    pub countries: Vec<String>,
    pub positioning: Vec<String>,
    pub topics: Vec<String>,
    pub tasks: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    pub provenance: Provenance,
    /// The month (`YYYY-MM`) the case's facts were last verified against its sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked: Option<String>,
    pub sources: Vec<Source>,
    /// The Markdown body, after the front matter.
    pub body: String,
    /// The file it was read from, as shown to the user.
    pub path: String,
}

impl Case {
    /// The body as plain text (what is indexed and what snippets quote).
    pub fn plain_body(&self) -> String {
        markdown::plain_text(&self.body)
    }
}

/// The front matter as written. Field docs are the schema (cases/README.md).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    /// Equals the file stem; lower-case ASCII kebab-case.
    id: Spanned<String>,
    /// Chinese title in the handbook's style.
    title: Spanned<String>,
    /// English title, searchable.
    #[serde(default)]
    title_en: Option<String>,
    /// Canonical city names; empty for a country-level case.
    cities: Vec<Spanned<String>>,
    /// Canonical country/region names; at least one.
    countries: Spanned<Vec<Spanned<String>>>,
    /// One or two positioning full names.
    positioning: Spanned<Vec<Spanned<String>>>,
    /// Two to eight short tags.
    topics: Spanned<Vec<Spanned<String>>>,
    /// Task ids from plan.yaml.
    #[serde(default)]
    tasks: Vec<Spanned<String>>,
    #[serde(default)]
    period: Option<String>,
    provenance: Provenance,
    /// `YYYY-MM`: the month the facts were last verified; not in the future.
    #[serde(default)]
    checked: Option<Spanned<String>>,
    /// At least one public reference.
    sources: Spanned<Vec<Spanned<Source>>>,
}

pub const KEYS: &[&str] = &[
    "id",
    "title",
    "title_en",
    "cities",
    "countries",
    "positioning",
    "topics",
    "tasks",
    "period",
    "provenance",
    "checked",
    "sources",
];

/// This month as (year, month), from the system clock (UTC).
fn current_month() -> (i32, u8) {
    let now = time::OffsetDateTime::now_utc();
    (now.year(), u8::from(now.month()))
}

/// Is `s` a real month in `YYYY-MM` form, not after `now`? The reason when it is not.
pub fn check_month(s: &str, now: (i32, u8)) -> Result<(i32, u8), &'static str> {
    let bytes = s.as_bytes();
    let shaped = bytes.len() == 7
        && bytes[4] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || b.is_ascii_digit());
    if !shaped {
        return Err("is not a month in YYYY-MM form");
    }
    let year: i32 = s[..4]
        .parse()
        .map_err(|_| "is not a month in YYYY-MM form")?;
    let month: u8 = s[5..]
        .parse()
        .map_err(|_| "is not a month in YYYY-MM form")?;
    if !(1..=12).contains(&month) {
        return Err("has no such month (01 to 12)");
    }
    if year < 1900 {
        return Err("is too early to be a check of this library");
    }
    if (year, month) > now {
        return Err("is in the future");
    }
    Ok((year, month))
}

fn is_kebab_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// What reading one case file gave: its id (with where it is written) as soon as the YAML
/// could be read, so duplicates are found even among broken files, and the case itself
/// when it has no problem at all.
#[derive(Default)]
pub struct Parsed {
    pub id: Option<(String, Pos)>,
    pub case: Option<Case>,
}

/// What a case's names are checked against; `None` when that file is itself broken (its
/// problems are reported on their own, not once per case).
#[derive(Clone, Copy)]
pub struct Refs<'a> {
    pub places: Option<&'a Places>,
    pub plan: Option<&'a Plan>,
}

/// Reads one case file; every problem goes to `diags`.
pub fn parse(file: &FileText<'_>, stem: &str, refs: Refs<'_>, diags: &mut Diagnostics) -> Parsed {
    let mut parsed = Parsed::default();
    parsed.case = parse_inner(file, stem, refs, diags, &mut parsed.id);
    parsed
}

fn parse_inner(
    file: &FileText<'_>,
    stem: &str,
    refs: Refs<'_>,
    diags: &mut Diagnostics,
    id_out: &mut Option<(String, Pos)>,
) -> Option<Case> {
    if file.text.trim().is_empty() {
        diags.file(
            file.path,
            "file is empty; a case needs front matter and a body (see cases/README.md)",
        );
        return None;
    }
    let split = match frontmatter::split(file.text) {
        Ok(s) => s,
        Err(SplitError::Missing) => {
            diags.at_hint(
                file,
                Pos::START,
                "no front matter: a case file starts with a `---` line, then YAML, then `---`",
                Some("copy the header of an existing case".into()),
            );
            return None;
        }
        Err(SplitError::NotClosed) => {
            diags.at_hint(
                file,
                Pos::START,
                "front matter is never closed",
                Some("add a `---` line after the YAML".into()),
            );
            return None;
        }
        Err(SplitError::Empty) => {
            diags.at(file, Pos::START, "front matter is empty");
            return None;
        }
    };
    let at = YamlAt {
        file,
        first_line: split.yaml_first_line,
    };
    let raw: RawCase = yaml::parse(split.yaml, at, KEYS, diags)?;
    let before = diags.len();
    *id_out = Some((raw.id.value.clone(), at.pos_of(&raw.id)));

    let id = &raw.id.value;
    if id != stem {
        diags.at_hint(
            file,
            at.pos_of(&raw.id),
            format!("id \"{id}\" does not match the file name \"{stem}.md\""),
            Some(format!("set `id: {stem}` or rename the file to {id}.md")),
        );
    } else if !is_kebab_id(id) {
        diags.at(
            file,
            at.pos_of(&raw.id),
            format!(
                "id \"{id}\" must be lower-case ASCII kebab-case, like boston-emerald-necklace"
            ),
        );
    }
    if raw.title.value.trim().is_empty() {
        diags.at(file, at.pos_of(&raw.title), "title is empty");
    }

    if raw.countries.value.is_empty() {
        diags.at(
            file,
            at.pos_of(&raw.countries),
            "countries is empty; name at least one country or region",
        );
    }
    if let Some(places) = refs.places {
        check_places(file, at, &raw, places, diags);
    }
    let n = raw.positioning.value.len();
    if !(1..=2).contains(&n) {
        diags.at(
            file,
            at.pos_of(&raw.positioning),
            format!("positioning has {n} entries; give one or two"),
        );
    }
    for p in refs.plan.map_or(&[][..], |_| &raw.positioning.value[..]) {
        let Some(plan) = refs.plan else { break };
        if plan.positioning(&p.value).is_none() {
            let hint = match plan.resolve_positioning(&p.value) {
                Some(k) => Some(format!("write the full name \"{}\"", k.name)),
                None => did_you_mean(&plan.positionings, &p.value),
            };
            diags.at_hint(
                file,
                at.pos_of(p),
                format!("unknown positioning \"{}\"", p.value),
                hint,
            );
        }
    }
    let n = raw.topics.value.len();
    if !(2..=8).contains(&n) {
        diags.at(
            file,
            at.pos_of(&raw.topics),
            format!("topics has {n} tags; give two to eight"),
        );
    }
    for t in &raw.topics.value {
        if t.value.trim().is_empty() {
            diags.at(file, at.pos_of(t), "empty topic");
        }
    }
    for t in refs.plan.map_or(&[][..], |_| &raw.tasks[..]) {
        let Some(plan) = refs.plan else { break };
        if plan.task(&t.value).is_none() {
            let hint = did_you_mean(&plan.tasks, &t.value)
                .or_else(|| Some("see the task ids in plan.yaml (`duibiao tasks`)".into()));
            diags.at_hint(
                file,
                at.pos_of(t),
                format!("unknown task \"{}\"", t.value),
                hint,
            );
        }
    }
    if raw.sources.value.is_empty() {
        diags.at(
            file,
            at.pos_of(&raw.sources),
            "sources is empty; list at least one public reference",
        );
    }
    for s in &raw.sources.value {
        if s.value.title.trim().is_empty() {
            diags.at(file, at.pos_of(s), "source has an empty title");
        }
        if let Some(url) = &s.value.url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            diags.at(
                file,
                at.pos_of(s),
                format!("source url \"{url}\" is not an http(s) address"),
            );
        }
    }

    if let Some(c) = &raw.checked
        && let Err(why) = check_month(&c.value, current_month())
    {
        diags.at_hint(
            file,
            at.pos_of(c),
            format!("checked \"{}\" {why}", c.value),
            Some("write the month the facts were last verified, like `checked: 2026-11`".into()),
        );
    }

    check_sections(file, split.body, split.body_first_line, diags);

    if diags.len() > before {
        return None;
    }
    Some(Case {
        id: raw.id.value,
        title: raw.title.value,
        title_en: raw.title_en,
        cities: raw.cities.into_iter().map(|s| s.value).collect(),
        countries: raw.countries.value.into_iter().map(|s| s.value).collect(),
        positioning: raw.positioning.value.into_iter().map(|s| s.value).collect(),
        topics: raw.topics.value.into_iter().map(|s| s.value).collect(),
        tasks: raw.tasks.into_iter().map(|s| s.value).collect(),
        period: raw.period,
        provenance: raw.provenance,
        checked: raw.checked.map(|c| c.value),
        sources: raw.sources.value.into_iter().map(|s| s.value).collect(),
        body: split.body.to_string(),
        path: file.path.display().to_string(),
    })
}

/// Cities and countries must be canonical names of the gazetteer, and every city's country
/// must be listed.
fn check_places(
    file: &FileText<'_>,
    at: YamlAt<'_, '_>,
    raw: &RawCase,
    places: &Places,
    diags: &mut Diagnostics,
) {
    for c in &raw.cities {
        match places.city(&c.value) {
            Some(city) => {
                let listed = raw.countries.value.iter().any(|k| k.value == city.country);
                if !listed && places.country(&city.country).is_some() {
                    diags.at_hint(
                        file,
                        at.pos_of(c),
                        format!(
                            "city \"{}\" is in {}, which is missing from `countries`",
                            c.value, city.country
                        ),
                        Some(format!("add {} to countries", city.country)),
                    );
                }
            }
            None => {
                let hint = match places.resolve_city(&c.value) {
                    Some(city) => Some(format!("write the canonical name \"{}\"", city.name)),
                    None => did_you_mean(&places.cities, &c.value)
                        .or_else(|| Some("add the city to places.yaml".into())),
                };
                diags.at_hint(
                    file,
                    at.pos_of(c),
                    format!("unknown city \"{}\"", c.value),
                    hint,
                );
            }
        }
    }
    for c in &raw.countries.value {
        if places.country(&c.value).is_none() {
            let hint = match places.resolve_country(&c.value) {
                Some(k) => Some(format!("write the canonical name \"{}\"", k.name)),
                None => did_you_mean(&places.countries, &c.value)
                    .or_else(|| Some("add the country to places.yaml".into())),
            };
            diags.at_hint(
                file,
                at.pos_of(c),
                format!("unknown country or region \"{}\"", c.value),
                hint,
            );
        }
    }
}

/// The body must hold the four sections, each once, in order.
fn check_sections(
    file: &FileText<'_>,
    body: &str,
    body_first_line: usize,
    diags: &mut Diagnostics,
) {
    let found = markdown::sections(body);
    let line_of = |offset: usize| body_first_line + body[..offset].matches('\n').count();
    let expected = SECTIONS.map(|s| format!("## {s}")).join(", ");
    let mut next = 0;
    for s in &found {
        let Some(k) = SECTIONS.iter().position(|x| *x == s.title) else {
            continue;
        };
        if k < next {
            diags.at_hint(
                file,
                Pos::new(line_of(s.offset), 1),
                format!("section `## {}` is out of order", s.title),
                Some(format!("the body's sections are, in order: {expected}")),
            );
        } else {
            next = k + 1;
        }
    }
    let end_line = body_first_line + body.matches('\n').count();
    for name in SECTIONS {
        if !found.iter().any(|s| s.title == name) {
            diags.at_hint(
                file,
                Pos::new(end_line.max(body_first_line), 1),
                format!("required section `## {name}` is missing"),
                Some(format!("the body's sections are, in order: {expected}")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_kebab_case() {
        assert!(is_kebab_id("boston-emerald-necklace"));
        assert!(is_kebab_id("osaka-expo-2025"));
        assert!(!is_kebab_id("Boston"));
        assert!(!is_kebab_id("a--b"));
        assert!(!is_kebab_id("-a"));
        assert!(!is_kebab_id("波士顿"));
    }

    #[test]
    fn checked_is_a_real_month_not_in_the_future() {
        let now = (2026, 12);
        assert_eq!(check_month("2026-11", now), Ok((2026, 11)));
        assert_eq!(check_month("2026-12", now), Ok((2026, 12)));
        assert_eq!(check_month("2027-01", now), Err("is in the future"));
        assert_eq!(
            check_month("2026-13", now),
            Err("has no such month (01 to 12)")
        );
        assert_eq!(
            check_month("2026-00", now),
            Err("has no such month (01 to 12)")
        );
        for bad in [
            "2026-1",
            "2026/11",
            "26-11",
            "2026-11-01",
            "２０２６-11",
            "",
        ] {
            assert!(check_month(bad, now).is_err(), "{bad}");
        }
    }
}
