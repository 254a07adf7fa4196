//! Every case for another search engine: `duibiao export`. One machine serves a
//! handbook-sized library; a user who outgrows it moves to a distributed engine, and this
//! module hands that engine the cases with the same fields, tags and words duibiao uses.
//!
//! A document is one JSON object per line: the front matter, the body as Markdown and as
//! plain text, and `body_seg`, the body's word view (normalized text cut by the same jieba
//! segmenter, with the same dictionary, as the index build) joined by spaces, so that an
//! engine without a Chinese segmenter can index our words with a whitespace analyzer.
//! Formats differ only in framing: NDJSON, Elasticsearch/OpenSearch `_bulk` (an action line
//! before each document) and Typesense's import JSONL. [`mapping`] gives the index mapping
//! (Elasticsearch) or collection schema (Typesense) for those documents.
//!
//! An export streams: cases are read, segmented and written one at a time, in id order, so
//! memory does not grow with the library. The library is checked whole first (cheap: no
//! segmenting), so a broken library writes nothing at all; [`export_to_file`] also writes
//! through a temporary file renamed into place, so a failure half-way never leaves half a
//! file. This module reads no index and builds none.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use jieba_rs::Jieba;
use serde::Serialize;
use serde_json::{Value, json};

use super::analysis::{normalize, word_tokens};
use super::segmenter::full_segmenter;
use super::writer::build_threads;
use crate::library::{self, Case, LibraryError, Origin, Plan, Provenance, Source};

/// How documents are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One document per line.
    Ndjson,
    /// Elasticsearch/OpenSearch `_bulk`: `{"index":{"_id":…}}`, then the document.
    EsBulk,
    /// Typesense's `documents/import` JSONL: one document per line, `id` its key.
    Typesense,
}

/// The engines a mapping is printed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Elasticsearch or OpenSearch (`PUT /INDEX` body).
    Es,
    /// Typesense (`POST /collections` body).
    Typesense,
}

/// The Typesense collection the schema names; rename it in the schema if you like.
pub const TYPESENSE_COLLECTION: &str = "duibiao";

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Library(#[from] LibraryError),
    #[error("cannot write the export: {0}")]
    Write(#[source] io::Error),
    #[error("cannot write {path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportReport {
    pub cases: usize,
}

/// One case as another engine sees it. Optional front matter is left out when absent
/// (Typesense refuses `null` in a declared field).
#[derive(Debug, Serialize)]
pub struct Document<'a> {
    pub id: &'a str,
    pub title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title_en: Option<&'a str>,
    pub cities: &'a [String],
    pub countries: &'a [String],
    /// Full names, as in the case file and in `stats`.
    pub positioning: &'a [String],
    /// The same positionings by code (`BAY`), in the same order.
    pub positioning_codes: Vec<&'a str>,
    pub topics: &'a [String],
    pub tasks: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<&'a str>,
    pub provenance: Provenance,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked: Option<&'a str>,
    pub sources: &'a [Source],
    /// Markdown, for display.
    pub body: &'a str,
    /// Plain text, for an engine's own analyzer.
    pub body_text: String,
    /// duibiao's words for the body, separated by single spaces.
    pub body_seg: String,
}

/// The words of a body as duibiao's word view holds them, joined by spaces: the plain text
/// normalized (lower case, half-width, simplified) and cut by jieba in search mode.
pub fn segment(jieba: &Jieba, plain: &str) -> String {
    word_tokens(jieba, &normalize(plain)).join(" ")
}

/// The document for `case`; `plan` gives the positionings' codes.
pub fn document<'a>(case: &'a Case, plan: &'a Plan, jieba: &Jieba) -> Document<'a> {
    let body_text = case.plain_body();
    let body_seg = segment(jieba, &body_text);
    Document {
        id: &case.id,
        title: &case.title,
        title_en: case.title_en.as_deref(),
        cities: &case.cities,
        countries: &case.countries,
        positioning: &case.positioning,
        // A valid case names only positionings of the plan.
        positioning_codes: case
            .positioning
            .iter()
            .filter_map(|p| plan.positioning(p).map(|p| p.code.as_str()))
            .collect(),
        topics: &case.topics,
        tasks: &case.tasks,
        period: case.period.as_deref(),
        provenance: case.provenance,
        checked: case.checked.as_deref(),
        sources: &case.sources,
        body: &case.body,
        body_text,
        body_seg,
    }
}

/// Appends the lines of one document in `format` to `buf`.
fn frame(buf: &mut Vec<u8>, format: Format, doc: &Document<'_>) {
    if format == Format::EsBulk {
        let action = json!({ "index": { "_id": doc.id } });
        // Serializing a `Value` or plain structs of strings into memory cannot fail.
        let _ = serde_json::to_writer(&mut *buf, &action);
        buf.push(b'\n');
    }
    let _ = serde_json::to_writer(&mut *buf, doc);
    buf.push(b'\n');
}

/// Cases a reader thread may have read ahead of the writer: enough to keep both busy,
/// few enough that memory stays flat.
const READ_AHEAD: usize = 16;

/// Writes every case of the library at `origin` to `out` in `format`, in id order. The
/// library is checked first; a problem anywhere is [`LibraryError::Invalid`] and nothing is
/// written.
pub fn export(
    origin: &Origin,
    format: Format,
    out: &mut dyn Write,
) -> Result<ExportReport, ExportError> {
    // The check pass keeps no case and segments nothing, so it costs a fraction of the
    // export; it lets a broken library fail before a single line reaches a pipe.
    library::open(origin)?.stream(build_threads(), &|_| {})?;

    let pending = library::open(origin)?.in_id_order();
    let jieba = full_segmenter(pending.library());
    let plan = pending.library().plan.clone();
    // One thread reads and checks cases in id order; this one segments and writes them.
    // `out` (a locked stdout, say) need not be sendable to another thread.
    let (tx, rx) = mpsc::sync_channel::<Case>(READ_AHEAD);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            pending.stream(1, &|case| {
                // The writer stops receiving only after a write failed; that error is
                // the one reported, so a refused send needs no handling here.
                let _ = tx.send(case);
            })
        });
        let mut written = 0;
        let mut buf = Vec::new();
        let mut failed = None;
        for case in rx {
            buf.clear();
            frame(&mut buf, format, &document(&case, &plan, &jieba));
            if let Err(e) = out.write_all(&buf) {
                failed = Some(e);
                break;
            }
            written += 1;
        }
        let read = reader
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        if let Some(e) = failed {
            return Err(ExportError::Write(e));
        }
        read?;
        Ok(ExportReport { cases: written })
    })
}

/// [`export`] into `path`, through a temporary file beside it that replaces `path` only
/// when every case was written and synced; on any failure `path` is left as it was.
pub fn export_to_file(
    origin: &Origin,
    format: Format,
    path: &Path,
) -> Result<ExportReport, ExportError> {
    write_atomically(path, |out| export(origin, format, out))
}

/// Runs `write` on a temporary file beside `path`, then renames it over `path`.
pub fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<T, ExportError>,
) -> Result<T, ExportError> {
    let file_err = |source| ExportError::File {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .ok_or_else(|| file_err(io::Error::other("not a file name")))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let file = fs::File::create(&tmp).map_err(file_err)?;
        let mut w = BufWriter::new(file);
        let value = write(&mut w)?;
        let file = w.into_inner().map_err(|e| file_err(e.into_error()))?;
        file.sync_all().map_err(file_err)?;
        fs::rename(&tmp, path).map_err(file_err)?;
        Ok(value)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The index mapping (Elasticsearch/OpenSearch) or collection schema (Typesense) for the
/// exported documents.
pub fn mapping(engine: Engine) -> Value {
    match engine {
        Engine::Es => es_mapping(),
        Engine::Typesense => typesense_schema(),
    }
}

/// `PUT /INDEX` body. Filters are keyword fields (exact values, for terms filters and
/// aggregations); title, topics and the plain body use `smartcn`, the Chinese analyzer
/// Elastic and OpenSearch ship as a plugin (`analysis-smartcn`); the IK plugin's
/// `ik_max_word`/`ik_smart` are a common alternative. `body_seg` holds duibiao's words,
/// so a whitespace analyzer is all it needs. The Markdown body is kept for display only.
/// `dynamic: strict` makes a document with a field the mapping lacks an error, not a guess.
fn es_mapping() -> Value {
    let keyword = json!({ "type": "keyword" });
    let chinese = json!({ "type": "text", "analyzer": "smartcn" });
    json!({
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "id": keyword,
                "title": chinese,
                "title_en": { "type": "text", "analyzer": "english" },
                "cities": keyword,
                "countries": keyword,
                "positioning": keyword,
                "positioning_codes": keyword,
                "topics": { "type": "keyword", "fields": { "text": chinese } },
                "tasks": keyword,
                "period": keyword,
                "provenance": keyword,
                "checked": { "type": "date", "format": "strict_year_month" },
                "sources": {
                    "properties": {
                        "title": chinese,
                        "url": keyword
                    }
                },
                "body": { "type": "text", "index": false },
                "body_text": chinese,
                "body_seg": { "type": "text", "analyzer": "whitespace" }
            }
        }
    })
}

/// `POST /collections` body. Typesense's `locale: zh` segments Chinese text; the filter
/// fields are facets (exact values, counted). Fields left out of the schema (`body`,
/// `sources`, `period`) are stored with the document and returned, not indexed.
fn typesense_schema() -> Value {
    let facet = |name: &str| json!({ "name": name, "type": "string[]", "facet": true });
    json!({
        "name": TYPESENSE_COLLECTION,
        "fields": [
            { "name": "title", "type": "string", "locale": "zh" },
            { "name": "title_en", "type": "string", "optional": true },
            facet("cities"),
            facet("countries"),
            facet("positioning"),
            facet("positioning_codes"),
            { "name": "topics", "type": "string[]", "facet": true, "locale": "zh" },
            facet("tasks"),
            { "name": "provenance", "type": "string", "facet": true },
            { "name": "checked", "type": "string", "facet": true, "optional": true },
            { "name": "body_text", "type": "string", "locale": "zh" },
            { "name": "body_seg", "type": "string" }
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::Origin;

    fn fixture() -> Origin {
        Origin::Dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid"))
    }

    #[test]
    fn body_seg_is_the_word_view_of_the_plain_body() {
        let jieba = Jieba::new();
        assert_eq!(
            segment(&jieba, "波士顿的公园绿道，Emerald Necklace"),
            "波士 波士顿 的 公园 绿道 emerald necklace"
        );
        // Traditional characters fold as the index folds them.
        assert_eq!(segment(&jieba, "公園"), segment(&jieba, "公园"));
        assert_eq!(segment(&jieba, "，。 "), "");
    }

    #[test]
    fn bulk_lines_alternate_action_and_document() {
        let mut out = Vec::new();
        let report = export(&fixture(), Format::EsBulk, &mut out).unwrap();
        let lines: Vec<Value> = std::str::from_utf8(&out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2 * report.cases);
        assert!(report.cases > 1);
        for pair in lines.chunks(2) {
            assert_eq!(pair[0]["index"]["_id"], pair[1]["id"]);
        }
    }

    #[test]
    fn cases_come_in_id_order_with_positioning_codes() {
        let mut out = Vec::new();
        export(&fixture(), Format::Ndjson, &mut out).unwrap();
        let docs: Vec<Value> = std::str::from_utf8(&out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let ids: Vec<&str> = docs.iter().map(|d| d["id"].as_str().unwrap()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        for d in &docs {
            let names = d["positioning"].as_array().unwrap();
            assert_eq!(
                d["positioning_codes"].as_array().unwrap().len(),
                names.len()
            );
        }
    }

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        fs::write(&path, "old\n").unwrap();
        let r: Result<(), _> = write_atomically(&path, |out| {
            out.write_all(b"half").map_err(ExportError::Write)?;
            Err(ExportError::Write(io::Error::other("disk full")))
        });
        assert!(r.is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "old\n");
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
