//! The case library: Markdown case files, the gazetteer and the plan, read, validated and
//! cross-referenced into a [`Library`]. Knows nothing of the search index.
//!
//! Reading never stops at the first problem. Every file is read and checked, every
//! problem becomes a [`Diagnostic`] with file, line and column, and only then does
//! [`load`] decide: a library with any problem is refused as a whole, so the index is never
//! built from half a library.

pub mod case;
pub mod changes;
pub mod diag;
pub mod extras;
pub mod frontmatter;
pub mod link;
pub mod markdown;
pub mod names;
pub mod places;
pub mod plan;
pub mod source;
pub mod stamps;
pub mod suggest;
mod yaml;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    #[error("cannot read library folder {}: {source}", diag::shown(.path))]
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

    /// Which library this is, the same for every spelling of its path (`cases`,
    /// `./cases`, `cases/`): the canonical path of a folder that exists.
    pub fn key(&self) -> String {
        match self {
            Origin::Dir(p) => std::fs::canonicalize(p)
                .unwrap_or_else(|_| p.clone())
                .display()
                .to_string(),
            Origin::Embedded => "built-in".to_string(),
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

/// Reads and validates the library at `origin`, every case in memory.
pub fn load(origin: &Origin) -> Result<Library, LibraryError> {
    let cases = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let mut library = open(origin)?.stream(threads, &|case| {
        if let Ok(mut v) = cases.lock() {
            v.push(case);
        }
    })?;
    library.cases = cases.into_inner().unwrap_or_default();
    library.cases.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(library)
}

/// A case file, listed but not read yet.
struct CaseFile {
    path: PathBuf,
    name: String,
    /// Size, times and inode from the listing (a folder's file).
    listed: Option<source::Listed>,
    /// The bytes, for the compiled-in library.
    embedded: Option<&'static [u8]>,
}

/// What the library-wide checks need to know of one case file once its text is gone.
struct Seen {
    path: PathBuf,
    /// Name without `.md`.
    stem: String,
    /// The id as written, with its line and display column.
    id: Option<(String, usize, usize)>,
    /// The case's links, when the file gave a case.
    links: Option<(Vec<String>, Vec<String>, Vec<String>)>,
}

/// A library whose small files (places, plan, dictionary, synonyms) are read and checked
/// and whose case files are listed; [`Pending::stream`] reads the cases.
pub struct Pending {
    library: Library,
    diags: Diagnostics,
    case_files: Vec<CaseFile>,
    places_ok: bool,
    plan_ok: bool,
    spans: plan::PrecedentSpans,
    /// The plan's path and text, for pinning a precedent problem to its line.
    plan_text: Option<(PathBuf, String)>,
}

/// Reads the small files of the library at `origin` and lists its cases.
pub fn open(origin: &Origin) -> Result<Pending, LibraryError> {
    let mut diags = Diagnostics::new();
    let mut support = Vec::new();
    let mut stamps = Vec::new();
    let mut case_files = Vec::new();
    match origin {
        Origin::Dir(dir) => {
            let listing = source::list_dir(dir)?;
            for r in &listing.refused {
                diags.file(&r.path, r.why.clone());
            }
            for (name, listed) in listing.files {
                let path = dir.join(&name);
                if name.ends_with(".md") {
                    case_files.push(CaseFile {
                        path,
                        name,
                        listed: Some(listed),
                        embedded: None,
                    });
                } else if let Some((file, stamp)) =
                    source::read_file(path, name, &listed, &mut diags)
                {
                    support.push(file);
                    stamps.push(stamp);
                }
            }
        }
        Origin::Embedded => {
            for (name, bytes) in source::EMBEDDED {
                let path = PathBuf::from(format!("<built-in>/{name}"));
                if name.ends_with(".md") {
                    case_files.push(CaseFile {
                        path,
                        name: (*name).to_string(),
                        listed: None,
                        embedded: Some(bytes),
                    });
                } else {
                    stamps.push(source::stamp(name, bytes, 0));
                    support.push(SourceFile {
                        path,
                        name: (*name).to_string(),
                        bytes: bytes.to_vec(),
                    });
                }
            }
        }
    }
    let base = match origin {
        Origin::Dir(dir) => dir.clone(),
        Origin::Embedded => PathBuf::from("<built-in>"),
    };
    let find = |name: &str| support.iter().find(|f| f.name == name);

    // A case is checked against the gazetteer and the plan only when they read cleanly;
    // otherwise every case would repeat their problem.
    let before = diags.len();
    let places = match find(PLACES_FILE) {
        Some(f) => utf8(f, &mut diags).map_or_else(Places::default, |text| {
            places::parse(
                &FileText {
                    path: &f.path,
                    text,
                },
                &mut diags,
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
        Some(f) => utf8(f, &mut diags).map_or_else(Plan::default, |text| {
            plan::parse(
                &FileText {
                    path: &f.path,
                    text,
                },
                &places,
                &mut diags,
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
    let plan_text = plan_file.and_then(|f| {
        std::str::from_utf8(&f.bytes)
            .ok()
            .map(|t| (f.path.clone(), t.to_string()))
    });
    let dict = parse_optional(find(source::DICT_FILE), &mut diags, extras::parse_dict);
    let synonyms = parse_optional(
        find(source::SYNONYMS_FILE),
        &mut diags,
        extras::parse_synonyms,
    );
    Ok(Pending {
        library: Library {
            origin: origin.clone(),
            cases: Vec::new(),
            places,
            plan,
            dict,
            synonyms,
            stamps,
        },
        diags,
        case_files,
        places_ok,
        plan_ok,
        spans,
        plan_text,
    })
}

impl Pending {
    /// The library without its cases: plan, places, dictionary, synonyms.
    pub fn library(&self) -> &Library {
        &self.library
    }

    /// How many case files there are to read.
    pub fn case_count(&self) -> usize {
        self.case_files.len()
    }

    /// Puts the case files in the order of their names without `.md`. A valid case's id is
    /// its file's stem, so [`Pending::stream`] on one thread then hands over cases in id
    /// order (file-name order is not: `a-b.md` sorts before `a.md`, but `a` before `a-b`).
    pub fn in_id_order(mut self) -> Pending {
        self.case_files.sort_by(|a, b| {
            a.name
                .trim_end_matches(".md")
                .cmp(b.name.trim_end_matches(".md"))
        });
        self
    }

    /// Keeps only the case files `keep` names (by file name), for a build that reads only
    /// the cases that changed since the last one.
    pub fn retain_cases(&mut self, keep: impl Fn(&str) -> bool) {
        self.case_files.retain(|f| keep(&f.name));
    }

    /// Reads, parses and checks every case on `threads` threads, handing each good case to
    /// `sink` as soon as it is read, in no particular order, and keeping none: memory does
    /// not grow with the library. Then checks what needs all cases (duplicate ids, the
    /// plan's precedents). The library comes back without its cases; any problem anywhere
    /// makes it an error, so a caller building from the cases must discard what it built.
    pub fn stream(
        self,
        threads: usize,
        sink: &(dyn Fn(Case) + Sync),
    ) -> Result<Library, LibraryError> {
        self.stream_with(threads, sink, &|_, _| false)
    }

    /// [`Pending::stream`] for a library of which only some cases are read (see
    /// [`Pending::retain_cases`]): `backed_elsewhere(task, place)` says whether a case not
    /// read backs the plan's precedent `place` for `task`.
    pub fn stream_with(
        self,
        threads: usize,
        sink: &(dyn Fn(Case) + Sync),
        backed_elsewhere: &(dyn Fn(&str, &str) -> bool + Sync),
    ) -> Result<Library, LibraryError> {
        let Pending {
            mut library,
            mut diags,
            case_files,
            places_ok,
            plan_ok,
            spans,
            plan_text,
        } = self;
        let refs = case::Refs {
            places: places_ok.then_some(&library.places),
            plan: plan_ok.then_some(&library.plan),
        };
        let next = AtomicUsize::new(0);
        let work = || {
            let mut diags = Diagnostics::new();
            let mut seen = Vec::new();
            let mut stamps = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(f) = case_files.get(i) else { break };
                seen.push(read_case(f, refs, &mut diags, &mut stamps, sink));
            }
            (diags, seen, stamps)
        };
        let parts: Vec<(Diagnostics, Vec<Seen>, Vec<FileStamp>)> = if threads <= 1 {
            vec![work()]
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            })
        };
        let mut seen = Vec::with_capacity(case_files.len());
        for (d, s, st) in parts {
            diags.extend(d);
            seen.extend(s);
            library.stamps.extend(st);
        }
        seen.sort_by(|a, b| a.path.cmp(&b.path));
        library.stamps.sort_by(|a, b| a.name.cmp(&b.name));

        // A duplicated id is blamed on the file whose name does not match it rather than
        // on whichever file sorts first.
        let mut owner: BTreeMap<&str, &Path> = BTreeMap::new();
        for s in &seen {
            if let Some((id, _, _)) = s.id.as_ref().filter(|(id, _, _)| *id == s.stem) {
                owner.insert(id, &s.path);
            }
        }
        for s in &seen {
            if let Some((id, _, _)) = &s.id {
                owner.entry(id).or_insert(&s.path);
            }
        }
        let mut duplicates = 0;
        for s in &seen {
            if let Some((id, line, col)) = &s.id {
                let first = owner[id.as_str()];
                if first != s.path {
                    duplicates += 1;
                    diags.push_raw(
                        &s.path,
                        *line,
                        *col,
                        format!("duplicate id \"{id}\": {} uses it too", first.display()),
                        Some("every case needs its own id, equal to its file name".into()),
                    );
                }
            }
        }

        // A precedent the plan names must be backed by a case from that place, linked to
        // the task.
        let all_cases_ok = duplicates == 0 && seen.iter().all(|s| s.links.is_some());
        if let Some((path, text)) = plan_text.as_ref().filter(|_| plan_ok && all_cases_ok) {
            let file = FileText { path, text };
            for (task, place, pos) in &spans.items {
                let backed = seen.iter().filter_map(|s| s.links.as_ref()).any(
                    |(tasks, cities, countries)| {
                        tasks.contains(task)
                            && (cities.contains(place) || countries.contains(place))
                    },
                );
                if library.places.is_place(place) && !backed && !backed_elsewhere(task, place) {
                    diags.at_hint(
                        &file,
                        *pos,
                        format!("task {task} names precedent \"{place}\", but no case from {place} is linked to it"),
                        Some(format!("add {task} to the `tasks` of the {place} case, or write one")),
                    );
                }
            }
        }
        if diags.is_empty() {
            Ok(library)
        } else {
            Err(LibraryError::Invalid(diags.into_sorted()))
        }
    }
}

/// Reads one case file: its stamp, its problems, and the case itself to `sink`.
fn read_case(
    f: &CaseFile,
    refs: case::Refs<'_>,
    diags: &mut Diagnostics,
    stamps: &mut Vec<FileStamp>,
    sink: &(dyn Fn(Case) + Sync),
) -> Seen {
    let stem = f.name.trim_end_matches(".md").to_string();
    let mut seen = Seen {
        path: f.path.clone(),
        stem,
        id: None,
        links: None,
    };
    let file = match (f.embedded, f.listed) {
        (Some(bytes), _) => {
            stamps.push(source::stamp(&f.name, bytes, 0));
            SourceFile {
                path: f.path.clone(),
                name: f.name.clone(),
                bytes: bytes.to_vec(),
            }
        }
        (None, Some(listed)) => match source::read_listed(&f.path, &f.name, &listed, diags) {
            Some((file, stamp)) => {
                stamps.push(stamp);
                file
            }
            None => return seen,
        },
        (None, None) => return seen,
    };
    let Some(text) = utf8(&file, diags) else {
        return seen;
    };
    let ft = FileText {
        path: &file.path,
        text,
    };
    let parsed = case::parse(&ft, &seen.stem, refs, diags);
    seen.id = parsed
        .id
        .map(|(id, pos)| (id, pos.line, ft.display_col(pos.line, pos.char_col)));
    if let Some(case) = parsed.case {
        seen.links = Some((
            case.tasks.clone(),
            case.cities.clone(),
            case.countries.clone(),
        ));
        sink(case);
    }
    seen
}

/// An optional library file read with `parse`; empty when it is missing or not UTF-8.
fn parse_optional<T: Default>(
    file: Option<&SourceFile>,
    diags: &mut Diagnostics,
    parse: fn(&FileText<'_>, &mut Diagnostics) -> T,
) -> T {
    let Some(f) = file else {
        return T::default();
    };
    match utf8(f, diags) {
        Some(text) => parse(
            &FileText {
                path: &f.path,
                text,
            },
            diags,
        ),
        None => T::default(),
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
