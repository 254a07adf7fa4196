//! The case library: Markdown case files, the gazetteer and the plan, read, validated and
//! cross-referenced into a [`Library`]. Knows nothing of the search index.
//!
//! Reading never stops at the first problem. Every file is read and checked, every
//! problem becomes a [`Diagnostic`] with file, line and column, and only then does
//! [`load`] decide: a library with any problem is refused as a whole, so the index is never
//! built from half a library.

pub mod case;
pub mod diag;
pub mod extras;
pub mod frontmatter;
pub mod markdown;
pub mod names;
pub mod places;
pub mod plan;
pub mod source;
pub mod suggest;
mod yaml;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use case::{Case, Provenance, SECTIONS, Source};
pub use diag::Diagnostic;
pub use places::{City, Country, Places};
pub use plan::{Plan, Positioning, Task};
pub use source::FileStamp;

use diag::{Diagnostics, FileText};
use source::{PLACES_FILE, PLAN_FILE, SourceFile};

/// Errors that stop a library from being read or used.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error("cannot read library folder {path}: {source}")]
    ReadDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the library has {} problem(s); run `duibiao check` to see them", .0.len())]
    Invalid(Vec<Diagnostic>),
}

/// Where a library comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Dir(PathBuf),
    /// The shipped library compiled into the binary.
    Embedded,
}

impl Origin {
    /// The library's current file stamps, from metadata only (no file is read) for a folder.
    pub fn describe(&self) -> String {
        match self {
            Origin::Dir(p) => p.display().to_string(),
            Origin::Embedded => "the built-in library".to_string(),
        }
    }
}

/// A validated library.
#[derive(Debug, Clone)]
pub struct Library {
    pub origin: Origin,
    /// Sorted by id.
    pub cases: Vec<Case>,
    pub places: Places,
    pub plan: Plan,
    /// Extra words for the segmenter (`dict.txt`).
    pub dict: Vec<extras::DictEntry>,
    /// Groups of words that mean the same (`synonyms.yaml`).
    pub synonyms: Vec<Vec<String>>,
    /// One stamp per file read, sorted by name: the library's fingerprint.
    pub stamps: Vec<FileStamp>,
}

impl Library {
    pub fn case(&self, id: &str) -> Option<&Case> {
        self.cases
            .binary_search_by(|c| c.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.cases[i])
    }
}

/// Reads and validates the library at `origin`.
pub fn load(origin: &Origin) -> Result<Library, LibraryError> {
    let mut diags = Diagnostics::new();
    let (files, stamps) = match origin {
        Origin::Dir(dir) => source::read_dir(dir, &mut diags)?,
        Origin::Embedded => source::embedded(),
    };
    let base = match origin {
        Origin::Dir(dir) => dir.clone(),
        Origin::Embedded => PathBuf::from("<built-in>"),
    };
    let library = from_files(origin.clone(), &base, &files, stamps, &mut diags);
    if diags.is_empty() {
        Ok(library)
    } else {
        Err(LibraryError::Invalid(diags.into_sorted()))
    }
}

/// The text of a file, or a diagnostic naming where its bytes stop being UTF-8.
fn utf8<'a>(f: &'a SourceFile, diags: &mut Diagnostics) -> Option<&'a str> {
    match std::str::from_utf8(&f.bytes) {
        Ok(t) => Some(t),
        Err(e) => {
            let good = &f.bytes[..e.valid_up_to()];
            // Safe: `valid_up_to` bytes are valid UTF-8 by definition.
            let good = std::str::from_utf8(good).unwrap_or("");
            let file = FileText {
                path: &f.path,
                text: good,
            };
            let pos = file.pos_of_byte(good.len());
            diags.at_hint(
                &file,
                pos,
                format!("file is not valid UTF-8 (byte offset {})", e.valid_up_to()),
                Some("save it as UTF-8".into()),
            );
            None
        }
    }
}

fn from_files(
    origin: Origin,
    base: &Path,
    files: &[SourceFile],
    stamps: Vec<FileStamp>,
    diags: &mut Diagnostics,
) -> Library {
    let find = |name: &str| files.iter().find(|f| f.name == name);

    // A case is checked against the gazetteer and the plan only when they read cleanly;
    // otherwise every case would repeat their problem.
    let before = diags.len();
    let places = match find(PLACES_FILE) {
        Some(f) => utf8(f, diags).map_or_else(Places::default, |text| {
            places::parse(
                &FileText {
                    path: &f.path,
                    text,
                },
                diags,
            )
        }),
        None => {
            diags.file(
                &base.join(PLACES_FILE),
                "the library has no places.yaml (the gazetteer of cities and countries)",
            );
            Places::default()
        }
    };
    let places_ok = diags.len() == before;
    let before = diags.len();
    let mut spans = plan::PrecedentSpans::default();
    let plan_file = find(PLAN_FILE);
    let plan = match plan_file {
        Some(f) => utf8(f, diags).map_or_else(Plan::default, |text| {
            plan::parse(
                &FileText {
                    path: &f.path,
                    text,
                },
                &places,
                diags,
                &mut spans,
            )
        }),
        None => {
            diags.file(
                &base.join(PLAN_FILE),
                "the library has no plan.yaml (the plan's positionings and tasks)",
            );
            Plan::default()
        }
    };
    let plan_ok = places_ok && diags.len() == before;
    let dict = find(source::DICT_FILE)
        .and_then(|f| {
            utf8(f, diags).map(|text| {
                extras::parse_dict(
                    &FileText {
                        path: &f.path,
                        text,
                    },
                    diags,
                )
            })
        })
        .unwrap_or_default();
    let synonyms = find(source::SYNONYMS_FILE)
        .and_then(|f| {
            utf8(f, diags).map(|text| {
                extras::parse_synonyms(
                    &FileText {
                        path: &f.path,
                        text,
                    },
                    diags,
                )
            })
        })
        .unwrap_or_default();

    // Parse every case first, so that a duplicated id is blamed on the file whose name does
    // not match it rather than on whichever file sorts first.
    let mut parsed_files = Vec::new();
    for f in files.iter().filter(|f| f.name.ends_with(".md")) {
        let Some(text) = utf8(f, diags) else { continue };
        let stem = f.name.trim_end_matches(".md");
        let file = FileText {
            path: &f.path,
            text,
        };
        let refs = case::Refs {
            places: places_ok.then_some(&places),
            plan: plan_ok.then_some(&plan),
        };
        let parsed = case::parse(&file, stem, refs, diags);
        parsed_files.push((f, text, stem, parsed));
    }
    let mut owner: BTreeMap<String, PathBuf> = BTreeMap::new();
    for (f, _, stem, parsed) in &parsed_files {
        if let Some((id, _)) = parsed.id.as_ref().filter(|(id, _)| id == stem) {
            owner.insert(id.clone(), f.path.clone());
        }
    }
    for (f, _, _, parsed) in &parsed_files {
        if let Some((id, _)) = &parsed.id {
            owner.entry(id.clone()).or_insert_with(|| f.path.clone());
        }
    }
    let parsed_count = parsed_files.len();
    let mut cases = Vec::new();
    for (f, text, _, parsed) in parsed_files {
        if let Some((id, pos)) = &parsed.id {
            let first = &owner[id];
            if *first != f.path {
                let file = FileText {
                    path: &f.path,
                    text,
                };
                diags.at_hint(
                    &file,
                    *pos,
                    format!("duplicate id \"{id}\": {} uses it too", first.display()),
                    Some("every case needs its own id, equal to its file name".into()),
                );
                continue;
            }
        }
        if let Some(case) = parsed.case {
            cases.push(case);
        }
    }
    cases.sort_by(|a, b| a.id.cmp(&b.id));

    // A precedent the plan names must be backed by a case from that place, linked to the task.
    let all_cases_ok = cases.len() == parsed_count;
    if let Some(f) = plan_file.filter(|_| plan_ok && all_cases_ok)
        && let Ok(text) = std::str::from_utf8(&f.bytes)
    {
        let file = FileText {
            path: &f.path,
            text,
        };
        for (task, place, pos) in &spans.items {
            let backed = cases.iter().any(|c| {
                c.tasks.contains(task) && (c.cities.contains(place) || c.countries.contains(place))
            });
            if places.is_place(place) && !backed {
                diags.at_hint(
                        &file,
                        *pos,
                        format!("task {task} names precedent \"{place}\", but no case from {place} is linked to it"),
                        Some(format!("add {task} to the `tasks` of the {place} case, or write one")),
                    );
            }
        }
    }

    Library {
        origin,
        cases,
        places,
        plan,
        dict,
        synonyms,
        stamps,
    }
}
