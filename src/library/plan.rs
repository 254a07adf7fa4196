//! The action plan (`plan.yaml`): its positionings (城市定位) and the tasks (重点任务) that
//! cases inform.

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::diag::{Diagnostics, FileText, Pos};
use super::names::{Named, did_you_mean, resolve};
use super::places::Places;
use super::yaml::{self, YamlAt};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Positioning {
    /// Three-letter code used in task ids (`BAY`).
    pub code: String,
    /// Full name, as used in case files.
    pub name: String,
    pub aliases: Vec<String>,
    /// How many tasks the plan states for this positioning.
    pub task_count: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Task {
    pub id: String,
    /// Code of its positioning.
    pub positioning: String,
    pub title: String,
    pub summary: String,
    /// Cities or countries the plan itself names for this task.
    pub precedents: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Plan {
    pub name: String,
    pub source: String,
    pub positionings: Vec<Positioning>,
    pub tasks: Vec<Task>,
}

impl Named for Positioning {
    fn canonical(&self) -> &str {
        &self.name
    }
    fn names(&self) -> Vec<&str> {
        let mut v = vec![self.name.as_str(), self.code.as_str()];
        v.extend(self.aliases.iter().map(String::as_str));
        v
    }
    fn label(&self) -> String {
        format!("\"{}\" ({})", self.name, self.code)
    }
}

impl Named for Task {
    fn canonical(&self) -> &str {
        &self.id
    }
    fn names(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
    fn label(&self) -> String {
        format!("{} ({})", self.id, self.title)
    }
}

impl Plan {
    pub fn positioning(&self, name: &str) -> Option<&Positioning> {
        self.positionings.iter().find(|p| p.name == name)
    }
    pub fn positioning_by_code(&self, code: &str) -> Option<&Positioning> {
        self.positionings.iter().find(|p| p.code == code)
    }
    pub fn resolve_positioning(&self, input: &str) -> Option<&Positioning> {
        resolve(&self.positionings, input)
    }
    pub fn task(&self, id: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.id == id)
    }
    pub fn resolve_task(&self, input: &str) -> Option<&Task> {
        resolve(&self.tasks, input)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    name: String,
    source: String,
    positionings: Vec<RawPositioning>,
    #[serde(default)]
    tasks: Vec<RawTask>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPositioning {
    code: Spanned<String>,
    name: Spanned<String>,
    #[serde(default)]
    aliases: Vec<String>,
    task_count: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTask {
    id: Spanned<String>,
    positioning: Spanned<String>,
    title: Spanned<String>,
    summary: String,
    #[serde(default)]
    precedents: Vec<Spanned<String>>,
}

const KEYS: &[&str] = &[
    "name",
    "source",
    "positionings",
    "tasks",
    "code",
    "aliases",
    "task_count",
    "id",
    "positioning",
    "title",
    "summary",
    "precedents",
];

/// Is `id` of the form `<CODE>-<nn>`?
fn task_id_parts(id: &str) -> Option<(&str, &str)> {
    let (code, num) = id.split_once('-')?;
    let ok = code.len() == 3
        && code.chars().all(|c| c.is_ascii_uppercase())
        && num.len() >= 2
        && num.chars().all(|c| c.is_ascii_digit());
    ok.then_some((code, num))
}

/// Where each task's precedents are written in plan.yaml, for checks that need the cases.
#[derive(Debug, Default)]
pub struct PrecedentSpans {
    pub items: Vec<(String, String, Pos)>,
}

/// Parses and checks `plan.yaml` against the gazetteer.
pub fn parse(
    file: &FileText<'_>,
    places: &Places,
    diags: &mut Diagnostics,
    spans: &mut PrecedentSpans,
) -> Plan {
    let at = YamlAt {
        file,
        first_line: 1,
    };
    let Some(raw) = yaml::parse::<RawPlan>(file.text, at, KEYS, diags) else {
        return Plan::default();
    };
    let mut plan = Plan {
        name: raw.name,
        source: raw.source,
        ..Plan::default()
    };
    for p in raw.positionings {
        if plan.positioning_by_code(&p.code.value).is_some() {
            diags.at(
                file,
                at.pos_of(&p.code),
                format!("positioning code {} is listed twice", p.code.value),
            );
            continue;
        }
        if p.code.value.len() != 3 || !p.code.value.chars().all(|c| c.is_ascii_uppercase()) {
            diags.at(
                file,
                at.pos_of(&p.code),
                format!(
                    "positioning code \"{}\" must be three capital letters",
                    p.code.value
                ),
            );
        }
        if p.name.value.trim().is_empty() {
            diags.at(file, at.pos_of(&p.name), "positioning name is empty");
        }
        plan.positionings.push(Positioning {
            code: p.code.value,
            name: p.name.value,
            aliases: p.aliases,
            task_count: p.task_count,
        });
    }
    for t in raw.tasks {
        let id = &t.id.value;
        match task_id_parts(id) {
            None => {
                diags.at_hint(
                    file,
                    at.pos_of(&t.id),
                    format!("task id \"{id}\" is not of the form CODE-nn"),
                    Some("write e.g. BAY-03".into()),
                );
            }
            Some((code, _)) if code != t.positioning.value => {
                diags.at(
                    file,
                    at.pos_of(&t.id),
                    format!(
                        "task id \"{id}\" does not start with its positioning code {}",
                        t.positioning.value
                    ),
                );
            }
            Some(_) => {}
        }
        if plan.task(id).is_some() {
            diags.at(
                file,
                at.pos_of(&t.id),
                format!("task id {id} is listed twice"),
            );
            continue;
        }
        if plan.positioning_by_code(&t.positioning.value).is_none() {
            let codes: Vec<&str> = plan.positionings.iter().map(|p| p.code.as_str()).collect();
            diags.at_hint(
                file,
                at.pos_of(&t.positioning),
                format!(
                    "task {id} names unknown positioning code \"{}\"",
                    t.positioning.value
                ),
                Some(format!("use one of {}", codes.join(", "))),
            );
        }
        if t.title.value.trim().is_empty() {
            diags.at(
                file,
                at.pos_of(&t.title),
                format!("task {id} has an empty title"),
            );
        }
        for p in &t.precedents {
            spans
                .items
                .push((id.clone(), p.value.clone(), at.pos_of(p)));
            if !places.is_place(&p.value) {
                let hint = did_you_mean(&places.cities, &p.value)
                    .or_else(|| did_you_mean(&places.countries, &p.value))
                    .or_else(|| Some("add it to places.yaml".into()));
                diags.at_hint(
                    file,
                    at.pos_of(p),
                    format!("task {id} names unknown precedent place \"{}\"", p.value),
                    hint,
                );
            }
        }
        plan.tasks.push(Task {
            id: t.id.value,
            positioning: t.positioning.value,
            title: t.title.value,
            summary: t.summary,
            precedents: t.precedents.into_iter().map(|p| p.value).collect(),
        });
    }
    for p in &plan.positionings {
        let listed = plan
            .tasks
            .iter()
            .filter(|t| t.positioning == p.code)
            .count();
        if listed as u32 > p.task_count {
            diags.file(
                file.path,
                format!(
                    "positioning {} lists {listed} tasks but states task_count {}",
                    p.code, p.task_count
                ),
            );
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_ids_have_a_code_and_a_number() {
        assert_eq!(task_id_parts("BAY-03"), Some(("BAY", "03")));
        assert_eq!(task_id_parts("BAY-3"), None);
        assert_eq!(task_id_parts("bay-03"), None);
        assert_eq!(task_id_parts("BAY03"), None);
    }
}
