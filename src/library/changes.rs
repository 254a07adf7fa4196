//! What changed in a library folder since an index was built from it, file by file: the
//! case files added, edited and removed, and whether anything else (the plan, the
//! gazetteer, the dictionary, the synonyms) changed, which no partial rebuild can follow.
//! Decided as the staleness check decides: metadata first, content when it must.

use std::fs;
use std::path::Path;

use super::LibraryError;
use super::source::{self, FileStamp, Stamps, Trust};

/// The difference between a folder and the stamps an index recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Why only a whole rebuild can follow: a library file other than a case changed.
    pub global: Option<String>,
    /// Case file names, sorted.
    pub added: Vec<String>,
    pub edited: Vec<String>,
    pub removed: Vec<String>,
    /// Stamps of the case files that did not change (refreshed where only their metadata
    /// moved), sorted by name.
    pub kept: Vec<FileStamp>,
}

impl Changes {
    /// Whether no case changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.edited.is_empty() && self.removed.is_empty()
    }

    /// How many case files were added, edited or removed.
    pub fn len(&self) -> usize {
        self.added.len() + self.edited.len() + self.removed.len()
    }
}

fn is_case(name: &str) -> bool {
    name.ends_with(".md")
}

/// The changes in `dir` since `recorded` (sorted by name) were taken, trusting a file's
/// metadata as the staleness check does ([`Trust::trusts`]).
pub fn changes(dir: &Path, recorded: &Stamps, trust: &Trust) -> Result<Changes, LibraryError> {
    let mut out = Changes::default();
    let listed = source::list_dir(dir)?.files;
    let mut seen = vec![false; recorded.len()];
    for (name, listed) in &listed {
        let Some((i, stamp)) = recorded
            .position(name)
            .and_then(|i| Some((i, recorded.get(i)?)))
        else {
            if is_case(name) {
                out.added.push(name.clone());
            } else {
                out.global.get_or_insert_with(|| format!("{name} is new"));
            }
            continue;
        };
        seen[i] = true;
        if listed.matches(&stamp) && trust.trusts(listed) {
            if is_case(name) {
                out.kept.push(stamp.to_stamp());
            }
            continue;
        }
        let same = listed.len == stamp.len
            && fs::read(dir.join(name))
                .is_ok_and(|bytes| source::content_hash(&bytes) == stamp.hash);
        match (same, is_case(name)) {
            (true, true) => out.kept.push(FileStamp {
                ctime_ns: listed.ctime_ns,
                ino: listed.ino,
                mtime_ns: listed.mtime_ns,
                ..stamp.to_stamp()
            }),
            (true, false) => {}
            (false, true) => out.edited.push(name.clone()),
            (false, false) => {
                out.global.get_or_insert_with(|| format!("{name} changed"));
            }
        }
    }
    for (stamp, _) in recorded.iter().zip(&seen).filter(|(_, s)| !**s) {
        if is_case(stamp.name) {
            out.removed.push(stamp.name.to_string());
        } else {
            out.global
                .get_or_insert_with(|| format!("{} was removed", stamp.name));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamps(dir: &Path) -> Vec<FileStamp> {
        source::list_dir(dir)
            .unwrap()
            .files
            .into_iter()
            .map(|(name, listed)| {
                let bytes = fs::read(dir.join(&name)).unwrap();
                source::stamp_listed(&name, &bytes, &listed)
            })
            .collect()
    }

    #[test]
    fn cases_are_sorted_into_added_edited_removed_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for (name, text) in [("a.md", "甲"), ("b.md", "乙"), ("c.md", "丙")] {
            fs::write(d.join(name), text).unwrap();
        }
        fs::write(d.join("plan.yaml"), "tasks: []").unwrap();
        let recorded = stamps(d);
        let table = Stamps::new(None, &recorded);
        let trusted = &Trust {
            since_ns: source::now_ns() + source::RACY_WINDOW_NS * 2,
            folder: None,
        };
        assert_eq!(
            changes(d, &table, trusted).unwrap(),
            Changes {
                kept: recorded[..3].to_vec(),
                ..Changes::default()
            }
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(d.join("a.md"), "丁").unwrap();
        fs::remove_file(d.join("b.md")).unwrap();
        fs::write(d.join("d.md"), "戊").unwrap();
        // Touched, same content: kept, with its new metadata.
        fs::write(d.join("c.md"), "丙").unwrap();
        let c = changes(d, &table, trusted).unwrap();
        assert_eq!(c.global, None);
        assert_eq!(c.added, ["d.md"]);
        assert_eq!(c.edited, ["a.md"]);
        assert_eq!(c.removed, ["b.md"]);
        assert_eq!(c.kept.len(), 1);
        assert_eq!(c.kept[0].hash, recorded[2].hash);
        assert_ne!(c.kept[0].ctime_ns, recorded[2].ctime_ns);
        assert_eq!(c.len(), 3);

        fs::write(d.join("plan.yaml"), "tasks: [] ").unwrap();
        assert_eq!(
            changes(d, &table, trusted).unwrap().global.as_deref(),
            Some("plan.yaml changed")
        );
        fs::remove_file(d.join("plan.yaml")).unwrap();
        assert_eq!(
            changes(d, &table, trusted).unwrap().global.as_deref(),
            Some("plan.yaml was removed")
        );
    }
}
