//! Linking a case to tasks without editing it by hand: the `tasks:` entry of its front
//! matter is rewritten, and every other byte of the file is left as it was (the team's
//! wording, comments, key order and line endings). The caller writes the result with
//! [`write_atomic`] and rebuilds, which runs the library checks.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::diag::{Diagnostics, FileText};
use super::names::suggestions;
use super::suggest::{Candidate, closest};
use super::{LibraryError, Origin, case, source};

/// Why a link could not be made.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("no case with id \"{id}\"{}", did_you_mean(.suggestions))]
    UnknownCase {
        id: String,
        suggestions: Vec<String>,
    },
    #[error("no task with id \"{id}\"{}", did_you_mean(.suggestions))]
    UnknownTask {
        id: String,
        suggestions: Vec<String>,
    },
    #[error(
        "the library built into the binary cannot be edited; pass --library DIR (or run where cases/ is)"
    )]
    BuiltIn,
    #[error("{path}: {why}; fix the front matter by hand (see `duibiao check`)")]
    Unreadable { path: PathBuf, why: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Library(#[from] LibraryError),
}

fn did_you_mean(s: &[String]) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", s.join(" or "))
    }
}

/// A case file and the bytes it would have after the change.
#[derive(Debug, Clone)]
pub struct Edit {
    pub path: PathBuf,
    pub case_id: String,
    pub before: Vec<u8>,
    pub after: Vec<u8>,
    pub tasks_before: Vec<String>,
    pub tasks_after: Vec<String>,
}

/// The edit that links (`link`) or unlinks the case `case_id` to or from `tasks` in the
/// library at `origin`. Unknown ids are refused with the closest known ones.
pub fn plan(
    origin: &Origin,
    case_id: &str,
    tasks: &[String],
    link: bool,
) -> Result<Edit, LinkError> {
    let Origin::Dir(dir) = origin else {
        return Err(LinkError::BuiltIn);
    };
    let pending = super::open(origin)?;
    let plan = &pending.library().plan;
    let mut wanted = Vec::new();
    for t in tasks {
        match plan.task(t).or_else(|| plan.resolve_task(t)) {
            Some(task) => {
                if !wanted.contains(&task.id) {
                    wanted.push(task.id.clone());
                }
            }
            None => {
                return Err(LinkError::UnknownTask {
                    id: t.clone(),
                    suggestions: suggestions(&plan.tasks, t),
                });
            }
        }
    }
    let name = format!("{case_id}.md");
    let listed = source::list_dir(dir)?.files;
    if !listed.iter().any(|(n, _)| *n == name) || case_id.contains(['/', '\\']) {
        let stems: Vec<String> = listed
            .iter()
            .filter_map(|(n, _)| n.strip_suffix(".md").map(str::to_string))
            .collect();
        let cands: Vec<Candidate> = stems
            .iter()
            .map(|s| Candidate {
                key: s.clone(),
                canonical: s,
            })
            .collect();
        return Err(LinkError::UnknownCase {
            id: case_id.to_string(),
            suggestions: closest(case_id, &cands, 3)
                .into_iter()
                .map(str::to_string)
                .collect(),
        });
    }
    let path = dir.join(&name);
    let before = fs::read(&path).map_err(|source| LinkError::Io {
        path: path.clone(),
        source,
    })?;
    let unreadable = |why: &str| LinkError::Unreadable {
        path: path.clone(),
        why: why.to_string(),
    };
    let text = std::str::from_utf8(&before).map_err(|_| unreadable("not valid UTF-8"))?;
    let mut diags = Diagnostics::new();
    let parsed = case::parse(
        &FileText { path: &path, text },
        case_id,
        case::Refs {
            places: None,
            plan: None,
        },
        &mut diags,
    );
    let current = parsed
        .case
        .ok_or_else(|| unreadable("the case does not parse"))?
        .tasks;
    let mut after_tasks = current.clone();
    if link {
        for t in wanted {
            if !after_tasks.contains(&t) {
                after_tasks.push(t);
            }
        }
    } else {
        after_tasks.retain(|t| !wanted.contains(t));
    }
    let after = if after_tasks == current {
        before.clone()
    } else {
        set_tasks(text, &after_tasks)
            .ok_or_else(|| unreadable("no front matter between --- lines"))?
            .into_bytes()
    };
    Ok(Edit {
        path,
        case_id: case_id.to_string(),
        before,
        after,
        tasks_before: current,
        tasks_after: after_tasks,
    })
}

/// `text` with its front matter's `tasks:` entry (a flow list, a block list, or none)
/// replaced by `tasks: [A, B]`, or added before the closing `---` when there was none.
/// Every other byte is kept. `None` when the text has no front matter.
pub fn set_tasks(text: &str, tasks: &[String]) -> Option<String> {
    // Lines with their endings, and each line's byte offset.
    let mut lines: Vec<(usize, &str)> = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        lines.push((at, line));
        at += line.len();
    }
    let bare = |l: &str| l.trim_end_matches(['\n', '\r']).to_string();
    if bare(lines.first()?.1) != "---" {
        return None;
    }
    let close = lines.iter().skip(1).position(|(_, l)| bare(l) == "---")? + 1;
    let first_ending = if lines[0].1.ends_with("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let entry = format!("tasks: [{}]", tasks.join(", "));
    let start = (1..close).find(|&i| {
        let l = lines[i].1;
        l.starts_with("tasks:") || l.starts_with("tasks :")
    });
    let (from, to, ending) = match start {
        Some(i) => {
            // The entry runs on over indented lines and block-list items.
            let mut end = i + 1;
            while end < close {
                let l = lines[end].1;
                let continues = l.starts_with([' ', '\t', '-'])
                    || (l.trim().is_empty() && end + 1 < close && {
                        let next = lines[end + 1].1;
                        next.starts_with([' ', '\t', '-'])
                    });
                if !continues {
                    break;
                }
                end += 1;
            }
            let ending = if lines[end - 1].1.ends_with("\r\n") {
                "\r\n"
            } else {
                "\n"
            };
            (
                lines[i].0,
                lines[end - 1].0 + lines[end - 1].1.len(),
                ending,
            )
        }
        None => (lines[close].0, lines[close].0, first_ending),
    };
    Some(format!("{}{entry}{ending}{}", &text[..from], &text[to..]))
}

/// Replaces `path` with `bytes` so that a reader sees the old file or the new one, never
/// a part: a temporary file beside it, synced, renamed over it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), LinkError> {
    let io = |source| LinkError::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        // Keep the file's permissions.
        if let Ok(meta) = fs::metadata(path) {
            f.set_permissions(meta.permissions())?;
        }
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent() {
            fs::File::open(dir).and_then(|d| d.sync_all())?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tasks(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_the_tasks_entry_changes() {
        let text = "---\nid: a\ntitle: 甲\ntasks: [IND-03, BAY-05]  \ntopics: [x]\n---\n\n## 正文\ntasks: [not front matter]\n";
        let out = set_tasks(text, &tasks(&["IND-03", "BAY-05", "OPEN-01"])).unwrap();
        assert_eq!(
            out,
            "---\nid: a\ntitle: 甲\ntasks: [IND-03, BAY-05, OPEN-01]\ntopics: [x]\n---\n\n## 正文\ntasks: [not front matter]\n"
        );
    }

    #[test]
    fn block_lists_missing_entries_and_crlf() {
        let block =
            "---\nid: a\ntasks:\n  - IND-03\n\n  - BAY-05\nsources:\n  - title: t\n---\nbody\n";
        assert_eq!(
            set_tasks(block, &tasks(&["IND-03"])).unwrap(),
            "---\nid: a\ntasks: [IND-03]\nsources:\n  - title: t\n---\nbody\n"
        );
        let none = "---\r\nid: a\r\n---\r\nbody\r\n";
        assert_eq!(
            set_tasks(none, &tasks(&["IND-03"])).unwrap(),
            "---\r\nid: a\r\ntasks: [IND-03]\r\n---\r\nbody\r\n"
        );
        let crlf = "---\r\nid: a\r\ntasks: [IND-03]\r\n---\r\n";
        assert_eq!(
            set_tasks(crlf, &[]).unwrap(),
            "---\r\nid: a\r\ntasks: []\r\n---\r\n"
        );
        assert_eq!(set_tasks("no front matter\n", &[]), None);
    }
}
