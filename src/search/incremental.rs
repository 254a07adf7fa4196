//! Incremental generations: the previous generation plus a small segment holding the cases
//! that changed, and deletes for their old versions.
//!
//! tantivy never edits a segment file: deletes go to a new `.del` file, new documents to
//! new segment files, and a commit replaces `meta.json` (and `.managed.json`) by writing a
//! temporary file and renaming it. So the new generation's folder starts as hard links to
//! the previous generation's segment files and copies of the two small files; its writer
//! adds to it, and its garbage collection, which deletes files of its own folder by name,
//! only ever removes a link of that folder: the previous generation keeps its files, whole,
//! for a search still reading it. Each generation stays immutable and self-contained.
//!
//! What depends on the whole library is brought up to date too: the BM25 statistics
//! ([`super::stats`]), the compact query dictionary (recomputed from the new generation's
//! live terms, as a full rebuild computes it), the cases' stamps. The catalog (plan, places,
//! synonyms) is copied: a change there means a full rebuild.
//!
//! Merges run only here, synchronously, after the commit and before the generation is made
//! live, never during a search: tantivy's log merge policy decides, with the writer's own
//! background merging turned off (see [`merge_policy`]).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tantivy::collector::Count;
use tantivy::indexer::{LogMergePolicy, MergePolicy, NoMergePolicy};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::SearchError;
use super::build_dir::BuildDirectory;
use super::schema::Fields;
use super::segmenter::{self, Lexicon};
use super::stats::IndexStats;
use super::store::{self, BuildLock, Generation, GenerationMeta, IndexDir};
use super::writer::{self, BuildKind, BuildReport};
use crate::library::changes::Changes;
use crate::library::source::{Listed, Stamps};
use crate::library::{Case, FileStamp, Library};

/// More changed cases than this share of the library, and a full rebuild is cheaper than
/// deleting and re-adding them (and leaves one segment).
pub const MAX_CHANGED_SHARE: f64 = 0.25;

/// The merge policy of incremental builds. Segments are grouped into levels by size (each
/// level about 1.7× the next, everything under 100 cases in the lowest); a level holding 8
/// segments is merged into one, so a library edited case by case keeps at most a few
/// dozen segments (8 per level, a handful of levels), and merging costs in proportion to
/// the small segments merged, not to the library. A segment a quarter of whose cases were
/// replaced or removed is merged with its level, which purges its deleted documents: the
/// large segment of the last full build is rewritten only then.
pub fn merge_policy() -> LogMergePolicy {
    let mut p = LogMergePolicy::default();
    p.set_min_num_segments(8);
    p.set_min_layer_size(100);
    p.set_level_log_size(0.75);
    p.set_del_docs_ratio_before_merge(0.25);
    p
}

/// Files of a generation folder that are ours, not tantivy's: never linked into the next.
fn is_own_file(name: &str) -> bool {
    [
        store::META_FILE,
        store::CATALOG_FILE,
        store::WORDS_FILE,
        store::STAMPS_FILE,
        store::SETTLED_FILE,
        store::RESTAMPED_FILE,
        super::stats::STATS_FILE,
    ]
    .contains(&name)
        || name.ends_with(".tmp")
        || name.ends_with(".lock")
}

/// Fills `to` with the previous generation's tantivy files: the files tantivy rewrites
/// (`meta.json`, `.managed.json`) copied, every other (immutable) file hard-linked, or
/// copied where the file system cannot link.
fn link_generation(from: &Path, to: &Path) -> Result<(), SearchError> {
    let io = |path: &Path, e| SearchError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    for entry in fs::read_dir(from).map_err(|e| io(from, e))? {
        let entry = entry.map_err(|e| io(from, e))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if is_own_file(&name) || !entry.file_type().map_err(|e| io(from, e))?.is_file() {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        let rewritten = name == "meta.json" || name == ".managed.json";
        if rewritten || fs::hard_link(&src, &dst).is_err() {
            fs::copy(&src, &dst).map_err(|e| io(&src, e))?;
        }
    }
    Ok(())
}

/// An incremental generation being built: [`Update::start`] finds the old versions of the
/// changed and removed cases, [`Update::add`] gathers the new versions, [`Update::finish`]
/// deletes, adds, commits, merges and publishes. The cases are indexed in `finish`, once
/// all are read, by a segmenter holding only the dictionary words of their texts (see
/// [`segmenter`]): a few milliseconds, where jieba's whole dictionary took 150.
/// Dropped unfinished (the library turned out broken), it removes its folder and
/// the live generation stays as it was.
pub struct Update<'p> {
    dir: IndexDir,
    lock: Option<BuildLock>,
    gen_dir: PathBuf,
    prev: Generation,
    index: Option<Index>,
    /// The previous generation's cases, as they were before this build's deletes.
    before: Option<IndexReader>,
    fields: Fields,
    /// Ids of the cases replaced or removed: the cases of `before` that no longer count.
    replaced: Vec<String>,
    /// The old versions of replaced cases, for the statistics.
    old_docs: Vec<TantivyDocument>,
    new_docs: Mutex<Vec<TantivyDocument>>,
    added: AtomicUsize,
    total: usize,
    counts: (usize, usize, usize),
    progress: &'p (dyn Fn(usize, usize) + Sync),
    started: Instant,
    built_at_ns: u128,
}

fn stem(name: &str) -> &str {
    name.strip_suffix(".md").unwrap_or(name)
}

impl<'p> Update<'p> {
    /// Opens the next generation as a copy of `prev` with the changed cases' old versions
    /// to be deleted. Call with the lock held.
    pub fn start(
        dir: &IndexDir,
        lock: BuildLock,
        prev: Generation,
        changes: &Changes,
        progress: &'p (dyn Fn(usize, usize) + Sync),
    ) -> Result<Update<'p>, SearchError> {
        let started = Instant::now();
        let built_at_ns = store::now_ns();
        let gen_dir = dir.new_generation(&lock)?;
        let mut update = Update {
            dir: dir.clone(),
            lock: Some(lock),
            gen_dir,
            prev,
            index: None,
            before: None,
            fields: super::schema::build().1,
            replaced: Vec::new(),
            old_docs: Vec::new(),
            new_docs: Mutex::new(Vec::new()),
            added: AtomicUsize::new(0),
            total: changes.added.len() + changes.edited.len(),
            counts: (
                changes.added.len(),
                changes.edited.len(),
                changes.removed.len(),
            ),
            progress,
            started,
            built_at_ns,
        };
        // From here on, a failure drops `update`, which removes the folder.
        link_generation(&update.prev.path, &update.gen_dir)?;
        let index = Index::open(BuildDirectory::open(&update.gen_dir)?)?;
        update.fields = Fields::from_schema(&index.schema())?;
        let before: IndexReader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let searcher = before.searcher();
        for name in changes.edited.iter().chain(&changes.removed) {
            let id = stem(name);
            let term = Term::from_field_text(update.fields.id, id);
            let q = TermQuery::new(term.clone(), IndexRecordOption::Basic);
            let top = searcher.search(
                &q,
                &tantivy::collector::TopDocs::with_limit(1).order_by_score(),
            )?;
            if let Some((_, addr)) = top.first() {
                let doc: TantivyDocument = searcher.doc(*addr)?;
                let json = doc
                    .get_first(update.fields.case_json)
                    .and_then(|v| v.as_str())
                    .unwrap_or("");
                let case: Case = serde_json::from_str(json).map_err(SearchError::Json)?;
                update
                    .old_docs
                    .push(update.fields.document(&case, &case.plain_body()));
            }
            update.replaced.push(id.to_string());
        }
        update.replaced.sort();
        update.before = Some(before);
        update.index = Some(index);
        Ok(update)
    }

    /// Takes a case's new version, indexed in `finish`. Safe to call from several threads
    /// at once.
    pub fn add(&self, case: &Case) {
        let doc = self.fields.document(case, &case.plain_body());
        if let Ok(mut v) = self.new_docs.lock() {
            v.push(doc);
        }
        let done = self.added.fetch_add(1, Ordering::Relaxed) + 1;
        if done.is_multiple_of(256) || done == self.total {
            (self.progress)(done, self.total);
        }
    }

    /// Whether a case this build does not read (one unchanged since the previous
    /// generation) is linked to `task` and from `place`: the plan's precedent check over
    /// the cases that were not read.
    pub fn backed_elsewhere(&self, task: &str, place: &str) -> bool {
        let Some(before) = &self.before else {
            return false;
        };
        let f = &self.fields;
        let term = |field, v: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, v),
                IndexRecordOption::Basic,
            ))
        };
        let mut clauses = vec![
            (Occur::Must, term(f.task, task)),
            (
                Occur::Must,
                Box::new(BooleanQuery::new(vec![
                    (Occur::Should, term(f.city, place)),
                    (Occur::Should, term(f.country, place)),
                ])) as Box<dyn Query>,
            ),
        ];
        for id in &self.replaced {
            clauses.push((Occur::MustNot, term(f.id, id)));
        }
        before
            .searcher()
            .search(&BooleanQuery::new(clauses), &Count)
            .is_ok_and(|n| n > 0)
    }

    /// Commits, runs the merges the policy asks for, brings the statistics, the compact
    /// dictionary and the stamps up to date, and makes the generation live. `library`
    /// holds the stamps of the files read; `kept` those of the case files not read;
    /// `folder` the library folder's metadata from before either was listed.
    pub fn finish(
        mut self,
        library: &Library,
        kept: &[FileStamp],
        folder: Option<Listed>,
    ) -> Result<BuildReport, SearchError> {
        self.before = None;
        let Some(index) = self.index.take() else {
            return Err(SearchError::BuildState("the build was already finished"));
        };
        let new_docs = std::mem::take(
            &mut *self
                .new_docs
                .lock()
                .map_err(|_| SearchError::BuildState("a thread adding cases failed"))?,
        );
        // The old versions are cut too, for the statistics they take away.
        let texts = self
            .old_docs
            .iter()
            .chain(&new_docs)
            .flat_map(|d| self.fields.word_texts(d));
        let mut jieba = segmenter::segmenter_for(library, texts);
        let lexicon = Lexicon::of(&mut jieba, library);
        writer::register_tokenizers(&index, Arc::new(jieba));
        let threads = if new_docs.len() > 256 {
            writer::build_threads()
        } else {
            1
        };
        let heap = if threads > 1 {
            writer::WRITER_HEAP_BYTES
        } else {
            // tantivy's least; a few cases need no more.
            15_000_000
        };
        let mut w: IndexWriter = index.writer_with_num_threads(threads, heap)?;
        // Merges are decided and run below, not in the background.
        w.set_merge_policy(Box::new(NoMergePolicy));
        for id in &self.replaced {
            // Only documents added before this delete go: the new versions, added after,
            // stay.
            w.delete_term(Term::from_field_text(self.fields.id, id));
        }
        for doc in &new_docs {
            w.add_document(doc.clone())?;
        }
        w.commit()?;
        let metas = index.searchable_segment_metas()?;
        let mut merged = 0;
        for candidate in merge_policy().compute_merge_candidates(&metas) {
            merged += candidate.0.len();
            w.merge(&candidate.0).wait()?;
        }
        w.wait_merging_threads()?;

        let prev_stats = match IndexStats::read(&self.prev.path) {
            Some(s) => s,
            None => {
                return Err(SearchError::Damaged(
                    "the previous generation has no statistics".into(),
                ));
            }
        };
        let removed = IndexStats::of_documents(&index, std::mem::take(&mut self.old_docs))?;
        let added = IndexStats::of_documents(&index, new_docs)?;
        let stats = prev_stats.updated(&removed, &added);
        stats.write(&self.gen_dir)?;

        let mut vocab: BTreeSet<String> = segmenter::extra_words(library)
            .into_iter()
            .filter(|w| lexicon.has(w))
            .collect();
        segmenter::indexed_words(&index, &self.fields, &lexicon, &mut vocab)?;
        let reader = index.reader()?;
        let searcher = reader.searcher();
        let cases = searcher.num_docs() as usize;
        let segments = searcher.segment_readers().len();
        drop(searcher);
        drop(reader);
        drop(index);
        let words = segmenter::compact_dictionary(&vocab, &lexicon);
        store::write_synced(&self.gen_dir.join(store::WORDS_FILE), words.as_bytes())?;
        let catalog =
            fs::read(self.prev.path.join(store::CATALOG_FILE)).map_err(|e| SearchError::Io {
                path: self.prev.path.join(store::CATALOG_FILE),
                source: e,
            })?;
        store::write_synced(&self.gen_dir.join(store::CATALOG_FILE), &catalog)?;

        let mut stamps: Vec<FileStamp> = library.stamps.clone();
        stamps.extend(kept.iter().cloned());
        stamps.sort_by(|a, b| a.name.cmp(&b.name));
        let meta = GenerationMeta {
            tool: store::tool_version(),
            library: library.origin.describe(),
            library_key: library.origin.key(),
            stamps: Stamps::new(folder.as_ref(), &stamps),
            // Sealed by `publish`: the size, time and hash of every file of the generation.
            files: Vec::new(),
            built_at_ns: self.built_at_ns,
            cases,
            build_ms: self.started.elapsed().as_millis() as u64,
        };
        let lock = self
            .lock
            .take()
            .ok_or(SearchError::BuildState("the build lost its lock"))?;
        self.dir
            .publish(&self.gen_dir, &meta, Some(&self.prev), &lock)?;
        let (added, edited, removed) = self.counts;
        Ok(BuildReport {
            cases,
            elapsed: self.started.elapsed(),
            bytes: IndexDir::size_of(&self.gen_dir),
            generation: self.gen_dir.clone(),
            kind: BuildKind::Incremental {
                added,
                edited,
                removed,
                segments,
                merged,
            },
        })
    }
}

impl Drop for Update<'_> {
    fn drop(&mut self) {
        if self.lock.is_some() {
            self.before.take();
            self.index.take();
            let _ = fs::remove_dir_all(&self.gen_dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_files_are_not_linked() {
        for own in [
            "duibiao.json",
            "catalog.json",
            "words.txt",
            "settled",
            "stats.json",
        ] {
            assert!(is_own_file(own), "{own}");
        }
        assert!(is_own_file(".tantivy-writer.lock"));
        assert!(!is_own_file("meta.json"));
        assert!(!is_own_file("0f1e2d3c4b5a69788796a5b4c3d2e1f0.idx"));
    }

    #[test]
    fn a_hard_linked_file_outlives_its_removal_from_the_new_folder() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        fs::create_dir_all(&a).unwrap();
        fs::create_dir_all(&b).unwrap();
        fs::write(a.join("seg.idx"), "postings").unwrap();
        fs::write(a.join("meta.json"), "{}").unwrap();
        fs::write(a.join("words.txt"), "x 1").unwrap();
        link_generation(&a, &b).unwrap();
        assert!(!b.join("words.txt").exists());
        // What garbage collection in the new folder does: remove its entry.
        fs::remove_file(b.join("seg.idx")).unwrap();
        assert_eq!(fs::read_to_string(a.join("seg.idx")).unwrap(), "postings");
        // The rewritten file is a copy: replacing it leaves the old one.
        fs::write(b.join("meta.json"), "{\"new\":1}").unwrap();
        assert_eq!(fs::read_to_string(a.join("meta.json")).unwrap(), "{}");
    }
}
