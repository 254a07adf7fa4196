//! Library → a new index generation. The expensive work happens here, once: the full
//! segmenter dictionary, analysis of every case, the merge into one segment, and the
//! compact dictionary that lets queries segment text without loading the full one.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jieba_rs::Jieba;
use serde::{Deserialize, Serialize};
use tantivy::indexer::NoMergePolicy;
use tantivy::store::{Compressor, ZstdCompressor};
use tantivy::tokenizer::{TextAnalyzer, Tokenizer};
use tantivy::{Index, IndexSettings, IndexWriter};

use super::SearchError;
use super::analysis::{BIGRAM_TOKENIZER, BigramTokenizer, WORD_TOKENIZER, WordTokenizer};
use super::build_dir::BuildDirectory;
use super::schema;
use super::segmenter::{Lexicon, compact_dictionary, extra_words, full_segmenter, indexed_words};
use super::stats::IndexStats;
use super::store::{self, GenerationMeta, IndexDir};
use crate::library::source::{Listed, Stamps};
use crate::library::{Case, Library, Places, Plan};

/// What a query needs to know about the library besides the index: the plan (tasks and
/// positionings), the gazetteer (aliases for filters) and the synonym groups. Small.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Catalog {
    pub library: String,
    pub plan: Plan,
    pub places: Places,
    pub synonyms: Vec<Vec<String>>,
}

/// What a build did.
#[derive(Debug, Clone)]
pub struct BuildReport {
    pub cases: usize,
    pub elapsed: Duration,
    pub bytes: u64,
    pub generation: PathBuf,
    pub kind: BuildKind,
}

/// How a generation was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildKind {
    /// Every case indexed anew, and why.
    Full { why: String },
    /// The previous generation's segments plus one holding the changed cases.
    Incremental {
        added: usize,
        edited: usize,
        removed: usize,
        /// Segments of the new generation, after any merge.
        segments: usize,
        /// Segments merged away by this build.
        merged: usize,
    },
}

impl std::fmt::Display for BuildKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildKind::Full { why } if why.is_empty() => write!(f, "full rebuild"),
            BuildKind::Full { why } => write!(f, "full rebuild: {why}"),
            BuildKind::Incremental {
                added,
                edited,
                removed,
                segments,
                merged,
            } => {
                write!(
                    f,
                    "incremental: {edited} edited, {added} added, {removed} removed; {segments} segment{}",
                    if *segments == 1 { "" } else { "s" }
                )?;
                if *merged > 0 {
                    write!(f, ", {merged} merged")?;
                }
                Ok(())
            }
        }
    }
}

/// Registers the analyzers on an index (they are not stored in it).
pub fn register_tokenizers(index: &Index, jieba: Arc<Jieba>) {
    let t = index.tokenizers();
    t.register(
        WORD_TOKENIZER,
        TextAnalyzer::from(WordTokenizer::new(jieba)),
    );
    t.register(BIGRAM_TOKENIZER, TextAnalyzer::from(BigramTokenizer));
}

/// Memory the indexer may use across all its threads. 100k cases build in about a dozen
/// segments, merged at the end, and the build stays under 500 MB (the heap is a third of
/// it; the cases waiting to be indexed are kept few, see [`MAX_QUEUED`]).
pub(super) const WRITER_HEAP_BYTES: usize = 160 * 1024 * 1024;

/// Cases handed to the indexer that it has not begun to index. tantivy's own queue holds
/// up to 10,000 documents of about 16 KB each (the case's texts, normalized, and its JSON),
/// and the readers fill it: at 100k cases that was 160 MB at the build's peak. Reading a
/// case costs a fraction of indexing it, so a short queue starves nothing.
const MAX_QUEUED: usize = 256;

/// How long a full queue may see no case begin to be indexed before the build stops
/// pacing and leaves the bound to tantivy's queue: pacing must never be what stops a
/// build (an indexing thread that failed begins nothing more).
const MAX_STALL: Duration = Duration::from_secs(10);

/// The character view's tokenizer, counting the documents it begins: each document has
/// one character-view value, so the count is how many cases the indexer has taken.
#[derive(Clone)]
struct Counted {
    inner: BigramTokenizer,
    begun: Arc<AtomicUsize>,
}

impl Tokenizer for Counted {
    type TokenStream<'a> = <BigramTokenizer as Tokenizer>::TokenStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        self.begun.fetch_add(1, Ordering::Relaxed);
        self.inner.token_stream(text)
    }
}

/// Registers the character view's tokenizer on a build's index so that it counts the
/// documents the indexer begins (for [`wait_for_room`]).
fn count_begun(index: &Index) -> Arc<AtomicUsize> {
    let begun = Arc::new(AtomicUsize::new(0));
    index.tokenizers().register(
        BIGRAM_TOKENIZER,
        TextAnalyzer::from(Counted {
            inner: BigramTokenizer,
            begun: begun.clone(),
        }),
    );
    begun
}

/// Waits while `max_queued` cases have been sent to the indexer and not begun; false if it
/// gave up because none began for `max_stall`.
fn wait_for_room(
    sent: &AtomicUsize,
    begun: &AtomicUsize,
    max_queued: usize,
    max_stall: Duration,
) -> bool {
    let mut last = begun.load(Ordering::Relaxed);
    let mut since = Instant::now();
    while sent.load(Ordering::Relaxed).saturating_sub(last) >= max_queued {
        std::thread::sleep(Duration::from_millis(1));
        let now = begun.load(Ordering::Relaxed);
        if now != last {
            last = now;
            since = Instant::now();
        } else if since.elapsed() > max_stall {
            return false;
        }
    }
    true
}

/// Threads a build uses for each of its two stages (reading cases, indexing them).
pub fn build_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4)
}

/// A generation being built. Cases are added from any number of threads, in any order;
/// [`Builder::finish`] merges, writes the compact dictionary and makes the generation live.
/// Dropped unfinished (the library turned out broken), it removes what it wrote and the
/// live generation stays as it was.
pub struct Builder<'p> {
    dir: IndexDir,
    lock: Option<store::BuildLock>,
    gen_dir: PathBuf,
    index: Option<Index>,
    writer: Option<IndexWriter>,
    fields: schema::Fields,
    /// The full segmenter's words and frequencies, for the compact dictionary.
    lexicon: Lexicon,
    /// Words the segmenter must know whatever the cases hold.
    extra_vocab: BTreeSet<String>,
    added: AtomicUsize,
    /// Cases the indexer has begun (see [`MAX_QUEUED`]).
    begun: Arc<AtomicUsize>,
    /// Cleared for good when the indexer stalls or an add fails.
    pacing: AtomicBool,
    total: usize,
    progress: &'p (dyn Fn(usize, usize) + Sync),
    /// The first error an `add` met: `add` is called where an error cannot be returned.
    failed: Mutex<Option<SearchError>>,
    started: Instant,
    built_at_ns: u128,
}

impl<'p> Builder<'p> {
    /// Takes the build lock (calling `on_wait` if another build holds it) and opens a new
    /// generation for a library of `total` cases whose small files are `library`.
    pub fn start(
        dir: &IndexDir,
        library: &Library,
        total: usize,
        on_wait: impl FnOnce(),
        progress: &'p (dyn Fn(usize, usize) + Sync),
    ) -> Result<Builder<'p>, SearchError> {
        let lock = dir.lock(on_wait)?;
        Builder::start_locked(dir, lock, library, total, progress)
    }

    /// [`Builder::start`] with the build lock already held.
    pub fn start_locked(
        dir: &IndexDir,
        lock: store::BuildLock,
        library: &Library,
        total: usize,
        progress: &'p (dyn Fn(usize, usize) + Sync),
    ) -> Result<Builder<'p>, SearchError> {
        let started = Instant::now();
        let built_at_ns = store::now_ns();
        let gen_dir = dir.new_generation(&lock)?;
        let mut jieba = full_segmenter(library);
        let lexicon = Lexicon::of(&mut jieba, library);
        let jieba = Arc::new(jieba);
        let (schema, fields) = schema::build();
        // The stored cases are half the index; zstd keeps them 20 % smaller than lz4 for
        // about 8 % more build time (10k cases: 69.9 -> 63.3 MB, 8.5 -> 9.2 s).
        let settings = IndexSettings {
            docstore_compression: Compressor::Zstd(ZstdCompressor::default()),
            ..IndexSettings::default()
        };
        let index = Index::create(BuildDirectory::open(&gen_dir)?, schema, settings)?;
        register_tokenizers(&index, jieba.clone());
        let begun = count_begun(&index);
        let writer: IndexWriter =
            index.writer_with_num_threads(build_threads(), WRITER_HEAP_BYTES)?;
        // One merge at the end is cheaper than many along the way.
        writer.set_merge_policy(Box::new(NoMergePolicy));
        let extra_vocab = extra_words(library)
            .into_iter()
            .filter(|w| jieba.has_word(w))
            .collect();
        Ok(Builder {
            dir: dir.clone(),
            lock: Some(lock),
            gen_dir,
            index: Some(index),
            writer: Some(writer),
            fields,
            lexicon,
            extra_vocab,
            added: AtomicUsize::new(0),
            begun,
            pacing: AtomicBool::new(true),
            total,
            progress,
            failed: Mutex::new(None),
            started,
            built_at_ns,
        })
    }

    /// Adds one case. Safe to call from several threads at once.
    pub fn add(&self, case: &Case) {
        let Some(writer) = &self.writer else { return };
        if self.pacing.load(Ordering::Relaxed)
            && !wait_for_room(&self.added, &self.begun, MAX_QUEUED, MAX_STALL)
        {
            self.pacing.store(false, Ordering::Relaxed);
        }
        let plain = case.plain_body();
        let doc = self.fields.document(case, &plain);
        if let Err(e) = writer.add_document(doc) {
            self.fail(e.into());
            return;
        }
        let done = self.added.fetch_add(1, Ordering::Relaxed) + 1;
        if done.is_multiple_of(256) || done == self.total {
            (self.progress)(done, self.total);
        }
    }

    fn fail(&self, e: SearchError) {
        self.pacing.store(false, Ordering::Relaxed);
        if let Ok(mut f) = self.failed.lock()
            && f.is_none()
        {
            *f = Some(e);
        }
    }

    /// Commits, merges into one segment, writes the compact dictionary and the catalog, and
    /// makes the generation live. `library` gives the catalog and the file stamps, `folder`
    /// the library folder's metadata from before the files were listed.
    pub fn finish(
        mut self,
        library: &Library,
        folder: Option<Listed>,
    ) -> Result<BuildReport, SearchError> {
        if let Some(e) = self.failed.lock().ok().and_then(|mut f| f.take()) {
            return Err(e);
        }
        let (Some(mut writer), Some(index)) = (self.writer.take(), self.index.take()) else {
            return Err(SearchError::BuildState("the build was already finished"));
        };
        writer.commit()?;
        let segments = index.searchable_segment_ids()?;
        if segments.len() > 1 {
            writer.merge(&segments).wait()?;
        }
        writer.wait_merging_threads()?;
        let mut vocab = std::mem::take(&mut self.extra_vocab);
        indexed_words(&index, &self.fields, &self.lexicon, &mut vocab)?;
        // One segment without deletes: tantivy's counts are exact; recorded for the
        // incremental builds that follow.
        IndexStats::of_clean(&index.reader()?.searcher())?.write(&self.gen_dir)?;
        drop(index);
        let words = compact_dictionary(&vocab, &self.lexicon);
        store::write_synced(&self.gen_dir.join(store::WORDS_FILE), words.as_bytes())?;
        let catalog = Catalog {
            library: library.origin.describe(),
            plan: library.plan.clone(),
            places: library.places.clone(),
            synonyms: library.synonyms.clone(),
        };
        let catalog_json = serde_json::to_vec(&catalog).map_err(SearchError::Json)?;
        store::write_synced(&self.gen_dir.join(store::CATALOG_FILE), &catalog_json)?;

        let cases = self.added.load(Ordering::Relaxed);
        let meta = GenerationMeta {
            tool: store::tool_version(),
            library: library.origin.describe(),
            stamps: Stamps::new(folder.as_ref(), &library.stamps),
            built_at_ns: self.built_at_ns,
            cases,
            build_ms: self.started.elapsed().as_millis() as u64,
            library_key: library.origin.key(),
            files: Vec::new(),
        };
        let lock = self
            .lock
            .as_ref()
            .ok_or(SearchError::BuildState("the build lost its lock"))?;
        // Until it is live, a failure (a full disk, say) leaves the generation to `Drop`,
        // which removes it with the lock still held.
        self.dir.publish(&self.gen_dir, &meta, None, lock)?;
        // Live now: release the lock, and with it `Drop`'s claim on the folder.
        drop(self.lock.take());
        Ok(BuildReport {
            cases,
            elapsed: self.started.elapsed(),
            bytes: IndexDir::size_of(&self.gen_dir),
            generation: self.gen_dir.clone(),
            kind: BuildKind::Full { why: String::new() },
        })
    }
}

impl Drop for Builder<'_> {
    fn drop(&mut self) {
        // Unfinished: stop the indexer's threads, then remove the half-built generation
        // while the lock is still held.
        if self.lock.is_some() {
            // Dropping the writer joins its threads.
            drop(self.writer.take());
            self.index.take();
            let _ = std::fs::remove_dir_all(&self.gen_dir);
        }
    }
}

/// Builds a new generation from `library` (every case in memory) and makes it live.
/// `on_wait` is called if another build holds the lock; `progress(done, total)` as cases
/// are added.
pub fn build(
    dir: &IndexDir,
    library: &Library,
    on_wait: impl FnOnce(),
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<BuildReport, SearchError> {
    let builder = Builder::start(dir, library, library.cases.len(), on_wait, progress)?;
    for case in &library.cases {
        builder.add(case);
    }
    builder.finish(library, None)
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use tantivy::TantivyDocument;

    use super::*;

    /// Runs `f` on a thread and fails if it has not returned within a minute (a wait that
    /// never ends would otherwise hang the test run).
    fn returns(f: impl FnOnce() + Send + 'static) {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            f();
            let _ = tx.send(());
        });
        rx.recv_timeout(Duration::from_secs(60))
            .expect("wait_for_room did not return");
    }

    const FOREVER: Duration = Duration::from_secs(3600);

    #[test]
    fn a_queue_with_room_does_not_wait() {
        returns(|| {
            assert!(wait_for_room(
                &AtomicUsize::new(255),
                &AtomicUsize::new(0),
                256,
                FOREVER
            ))
        });
    }

    #[test]
    fn a_full_queue_waits_until_the_indexer_takes_cases() {
        let begun = Arc::new(AtomicUsize::new(0));
        let b = begun.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            b.store(100, Ordering::Relaxed);
        });
        let seen = begun.clone();
        returns(move || {
            // It leaves because 200 are queued now, not because it gave up.
            assert!(wait_for_room(&AtomicUsize::new(300), &seen, 256, FOREVER));
            assert_eq!(seen.load(Ordering::Relaxed), 100);
        });
    }

    #[test]
    fn a_stalled_indexer_is_waited_for_only_so_long() {
        let stall = Duration::from_millis(40);
        let t = Instant::now();
        returns(move || {
            assert!(!wait_for_room(
                &AtomicUsize::new(300),
                &AtomicUsize::new(0),
                256,
                stall
            ))
        });
        assert!(t.elapsed() >= stall);
    }

    #[test]
    fn the_count_is_of_documents_the_indexer_began() {
        let (schema, fields) = schema::build();
        let index = Index::create_in_ram(schema);
        register_tokenizers(&index, Arc::new(Jieba::empty()));
        let begun = count_begun(&index);
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for text in ["口袋公园", "城市更新 公园", ""] {
            let mut doc = TantivyDocument::new();
            doc.add_text(fields.chars, text);
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        assert_eq!(begun.load(Ordering::Relaxed), 3);
    }
}
