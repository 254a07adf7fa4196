//! Library → a new index generation. The expensive work happens here, once: the full
//! segmenter dictionary, analysis of every case, the merge into one segment, and the
//! compact dictionary that lets queries segment text without loading the full one.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jieba_rs::Jieba;
use serde::{Deserialize, Serialize};
use tantivy::indexer::NoMergePolicy;
use tantivy::store::{Compressor, ZstdCompressor};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexSettings, IndexWriter};

use super::SearchError;
use super::analysis::{BIGRAM_TOKENIZER, BigramTokenizer, WORD_TOKENIZER, WordTokenizer};
use super::build_dir::BuildDirectory;
use super::schema;
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

/// A private-use character that never occurs in text: the compact dictionary gives it the
/// frequency mass of all words it leaves out, so word probabilities stay what they are in
/// the full dictionary and segmentation does not drift.
const FILLER_WORD: &str = "\u{e000}";

/// jieba's default dictionary being loaded on a thread of its own (see [`preload_segmenter`]).
static PRELOADED: std::sync::Mutex<Option<std::thread::JoinHandle<Jieba>>> =
    std::sync::Mutex::new(None);

/// Starts loading jieba's default dictionary in the background, for the next
/// [`full_segmenter`]. Loading it is most of the fixed cost of a build (about 100 ms); a
/// build that first lists, hashes and reads library files has it ready by the time it
/// segments. Does nothing when a load is already waiting.
pub fn preload_segmenter() {
    if let Ok(mut slot) = PRELOADED.lock()
        && slot.is_none()
    {
        *slot = std::thread::Builder::new()
            .name("jieba-dict".into())
            .spawn(Jieba::new)
            .ok();
    }
}

/// jieba's default dictionary: the preloaded one when there is one, else loaded now.
fn default_segmenter() -> Jieba {
    let waiting = PRELOADED.lock().ok().and_then(|mut slot| slot.take());
    waiting.and_then(|h| h.join().ok()).unwrap_or_default()
}

/// The full segmenter: jieba's default dictionary plus the library's own words.
pub fn full_segmenter(library: &Library) -> Jieba {
    let mut jieba = default_segmenter();
    for e in &library.dict {
        jieba.add_word(
            &super::analysis::normalize(&e.word),
            e.freq,
            e.tag.as_deref(),
        );
    }
    for w in extra_words(library) {
        if !jieba.has_word(&w) {
            jieba.add_word(&w, None, None);
        }
    }
    jieba
}

/// Words the segmenter must know whether or not a case uses them: the library's dictionary,
/// every synonym and every Chinese place name, so that a query word is cut as the library
/// means it and can be matched to its group.
pub(super) fn extra_words(library: &Library) -> Vec<String> {
    let mut out: Vec<String> = library.synonyms.iter().flatten().cloned().collect();
    out.extend(library.dict.iter().map(|e| e.word.clone()));
    for c in &library.places.cities {
        out.push(c.name.clone());
        out.extend(c.aliases.iter().cloned());
    }
    for c in &library.places.countries {
        out.push(c.name.clone());
        out.extend(c.aliases.iter().cloned());
    }
    out.into_iter()
        .map(|w| super::analysis::normalize(&w))
        .filter(|w| has_cjk(w))
        .collect()
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
/// segments, merged at the end, and the build stays within 600 MB (the heap is a quarter of
/// it; tantivy's queue of documents waiting to be indexed is about as much again).
pub(super) const WRITER_HEAP_BYTES: usize = 160 * 1024 * 1024;

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
    jieba: Arc<Jieba>,
    /// Words the segmenter must know whatever the cases hold.
    extra_vocab: BTreeSet<String>,
    added: AtomicUsize,
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
        let jieba = Arc::new(full_segmenter(library));
        let (schema, fields) = schema::build();
        // The stored cases are half the index; zstd keeps them 20 % smaller than lz4 for
        // about 8 % more build time (10k cases: 69.9 -> 63.3 MB, 8.5 -> 9.2 s).
        let settings = IndexSettings {
            docstore_compression: Compressor::Zstd(ZstdCompressor::default()),
            ..IndexSettings::default()
        };
        let index = Index::create(BuildDirectory::open(&gen_dir)?, schema, settings)?;
        register_tokenizers(&index, jieba.clone());
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
            jieba,
            extra_vocab,
            added: AtomicUsize::new(0),
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
        indexed_words(&index, &self.fields, &self.jieba, &mut vocab)?;
        // One segment without deletes: tantivy's counts are exact; recorded for the
        // incremental builds that follow.
        IndexStats::of_clean(&index.reader()?.searcher())?.write(&self.gen_dir)?;
        // The index holds the last other handle on the segmenter; with it closed, the
        // segmenter can be read word by word.
        drop(index);
        let jieba = std::mem::replace(&mut self.jieba, Arc::new(Jieba::empty()));
        let mut jieba = Arc::try_unwrap(jieba).unwrap_or_else(|_| full_segmenter(library));
        let words = compact_dictionary(&vocab, &mut jieba);
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
        self.dir.publish(&self.gen_dir, &meta, lock)?;
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

fn has_cjk(s: &str) -> bool {
    s.chars()
        .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c))
}

/// Total frequency of a jieba dictionary. jieba-rs does not expose it, but prints it.
fn total_freq(jieba: &Jieba) -> Option<usize> {
    let dbg = format!("{jieba:?}");
    let rest = &dbg[dbg.find("total_freq: ")? + "total_freq: ".len()..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Adds to `vocab` the dictionary words a query can meet in this library, read off the
/// merged index so the build does not segment the text a second time: every word the
/// word view holds, every two-character word the character view holds (jieba may have
/// cut the text across it), and every character of the library the dictionary knows (each
/// starts a term of the character view). A term only deleted cases hold (an incremental
/// generation's replaced versions) is not the library's: the dictionary is the one a full
/// rebuild would write.
pub(super) fn indexed_words(
    index: &Index,
    fields: &schema::Fields,
    jieba: &Jieba,
    vocab: &mut BTreeSet<String>,
) -> Result<(), SearchError> {
    let reader = index.reader()?;
    let searcher = reader.searcher();
    let wanted =
        |w: &str, vocab: &BTreeSet<String>| has_cjk(w) && !vocab.contains(w) && jieba.has_word(w);
    for seg in searcher.segment_readers() {
        let deleted = seg.num_deleted_docs();
        let alive_bits = seg.alive_bitset();
        // Whether a term's postings hold a live case: certain without reading them when it
        // is in more cases than were deleted.
        let live = |inverted: &tantivy::InvertedIndexReader,
                    info: &tantivy::postings::TermInfo|
         -> Result<bool, SearchError> {
            Ok(match alive_bits {
                Some(alive) if info.doc_freq <= deleted => {
                    inverted
                        .read_postings_from_terminfo(
                            info,
                            tantivy::schema::IndexRecordOption::Basic,
                        )?
                        .doc_freq_given_deletes(alive)
                        > 0
                }
                _ => true,
            })
        };
        for field in [
            fields.title,
            fields.title_en,
            fields.topics_text,
            fields.body,
        ] {
            let inverted = seg.inverted_index(field)?;
            let mut terms = inverted.terms().stream()?;
            while terms.advance() {
                if let Ok(w) = std::str::from_utf8(terms.key())
                    && wanted(w, vocab)
                    && live(&inverted, terms.value())?
                {
                    vocab.insert(w.to_string());
                }
            }
        }
        let inverted = seg.inverted_index(fields.chars)?;
        let mut terms = inverted.terms().stream()?;
        let mut last_first = None;
        let mut buf = [0u8; 4];
        while terms.advance() {
            let Ok(w) = std::str::from_utf8(terms.key()) else {
                continue;
            };
            let first = w.chars().next();
            // A first character is settled once a live term starts with it (or it is not
            // wanted); until then each of its terms is a candidate.
            let new_first = first != last_first
                && first.is_some_and(|c| wanted(c.encode_utf8(&mut buf), vocab));
            if first != last_first && !new_first {
                last_first = first;
            }
            let want_word = wanted(w, vocab);
            if !(new_first || want_word) || !live(&inverted, terms.value())? {
                continue;
            }
            if want_word {
                vocab.insert(w.to_string());
            }
            if new_first {
                last_first = first;
                if let Some(c) = first {
                    vocab.insert(c.encode_utf8(&mut buf).to_string());
                }
            }
        }
    }
    Ok(())
}

/// The exact frequency of a dictionary word. jieba-rs keeps it private, but `add_word`
/// moves the dictionary's total by the difference between the new and the old frequency,
/// and the total is printed by `Debug`: set the word to 1, read the old value off the
/// total, put it back.
fn word_freq(jieba: &mut Jieba, word: &str) -> Option<usize> {
    let before = total_freq(jieba)?;
    jieba.add_word(word, Some(1), None);
    let after = total_freq(jieba)?;
    let freq = (before + 1).checked_sub(after)?;
    jieba.add_word(word, Some(freq), None);
    Some(freq)
}

/// The dictionary words in `vocab` with their exact frequencies, in jieba's format, plus
/// one filler entry holding the frequency of every word left out.
pub(super) fn compact_dictionary(vocab: &BTreeSet<String>, jieba: &mut Jieba) -> String {
    let mut out = String::with_capacity(vocab.len() * 12);
    let mut kept = 0usize;
    for w in vocab {
        let Some(freq) = word_freq(jieba, w) else {
            continue;
        };
        kept += freq;
        let _ = writeln!(out, "{w} {freq}");
    }
    if let Some(total) = total_freq(jieba)
        && total > kept
    {
        let _ = writeln!(out, "{FILLER_WORD} {}", total - kept);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_frequencies_are_read_and_restored() {
        let mut j = Jieba::empty();
        j.add_word("口袋公园", Some(30), None);
        j.add_word("公园", Some(70), None);
        assert_eq!(word_freq(&mut j, "公园"), Some(70));
        assert_eq!(word_freq(&mut j, "口袋公园"), Some(30));
        assert_eq!(total_freq(&j), Some(100));
        let full = Jieba::new();
        let mut probe = Jieba::new();
        // The full dictionary's frequencies survive a round trip through the compact one.
        let vocab: BTreeSet<String> = ["城市", "公园", "城市公园", "城市更新", "更新"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let compact =
            Jieba::with_dict(&mut compact_dictionary(&vocab, &mut probe).as_bytes()).unwrap();
        for text in ["城市公园", "城市更新", "公园城市更新"] {
            let a: Vec<&str> = full.cut(text, true).iter().map(|t| t.word).collect();
            let b: Vec<&str> = compact.cut(text, true).iter().map(|t| t.word).collect();
            assert_eq!(a, b, "{text}");
        }
    }

    #[test]
    fn total_frequency_is_read_from_jieba() {
        let mut j = Jieba::empty();
        j.add_word("口袋公园", Some(30), None);
        j.add_word("公园", Some(70), None);
        assert_eq!(total_freq(&j), Some(100));
    }
}
