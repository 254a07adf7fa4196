//! jieba as the index uses it: the full segmenter a build cuts the cases with (jieba's
//! dictionary plus the library's own words), a segmenter restricted to the texts an
//! incremental build reads, and the compact dictionary a generation keeps for queries.
//!
//! Loading all 349k words of jieba's dictionary into its trie takes about 150 ms, most of
//! an incremental build of one case. But jieba cuts a text by the dictionary words that
//! occur in it (its graph of candidate words), their frequencies and the total frequency,
//! nothing else. The dictionary is therefore also compiled into the binary as an FST
//! (`build.rs`, from `segmenter/jieba-dict.txt`, the file jieba-rs ships); an incremental
//! build walks it along its texts, loads only the words found, and gives one filler word the
//! frequency of the rest: its cuts are the full segmenter's (a test compares them on every
//! shipped case). [`Lexicon`] answers "is this a word, how frequent" as the full segmenter
//! would, from the FST, for the compact dictionary.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::OnceLock;

use jieba_rs::Jieba;
use tantivy::Index;
use tantivy_fst::raw::{Fst, Output};

use super::SearchError;
use super::schema;
use crate::library::Library;

include!(concat!(env!("OUT_DIR"), "/jieba_dict.rs"));

/// jieba's dictionary as an FST from word to frequency; `None` only if the bytes compiled
/// in were not an FST, which `build.rs` rules out.
fn dictionary() -> Option<&'static Fst<&'static [u8]>> {
    static FST: OnceLock<Option<Fst<&'static [u8]>>> = OnceLock::new();
    FST.get_or_init(|| {
        Fst::new(include_bytes!(concat!(env!("OUT_DIR"), "/jieba-dict.fst")).as_slice()).ok()
    })
    .as_ref()
}

/// Every word of jieba's dictionary that occurs in `text`, with its frequency: from each
/// character, the FST is followed byte by byte as far as the text goes on in it.
fn dictionary_words_in<'t>(fst: &Fst<&[u8]>, text: &'t str, out: &mut HashMap<&'t str, usize>) {
    let bytes = text.as_bytes();
    for (start, _) in text.char_indices() {
        let mut node = fst.root();
        let mut sum = Output::zero();
        for (i, &b) in bytes[start..].iter().enumerate() {
            let Some(t) = node.find_input(b) else { break };
            let tr = node.transition(t);
            sum = sum.cat(tr.out);
            node = fst.node(tr.addr);
            let end = start + i + 1;
            if node.is_final()
                && let Some(word) = text.get(start..end)
            {
                let freq = sum.cat(node.final_output()).value();
                out.insert(word, usize::try_from(freq).unwrap_or(usize::MAX));
            }
        }
    }
}

/// A segmenter that cuts `texts` exactly as [`full_segmenter`] does, holding only the
/// dictionary words that occur in them (or in the library's own words, which it adds as the
/// full one does) and a filler word with the frequency of all the others.
pub fn segmenter_for<'t>(library: &Library, texts: impl IntoIterator<Item = &'t str>) -> Jieba {
    let Some(fst) = dictionary() else {
        return full_segmenter(library);
    };
    let own: Vec<String> = library_words(library);
    let mut found: HashMap<&str, usize> = HashMap::new();
    for text in texts {
        dictionary_words_in(fst, text, &mut found);
    }
    for text in &own {
        dictionary_words_in(fst, text, &mut found);
    }
    let mut jieba = Jieba::empty();
    let mut kept = 0usize;
    for (word, freq) in found {
        jieba.add_word(word, Some(freq), None);
        kept = kept.saturating_add(freq);
    }
    jieba.add_word(FILLER_WORD, Some(DICT_TOTAL.saturating_sub(kept)), None);
    add_library_words(&mut jieba, library);
    jieba
}

/// The words of the full segmenter and their frequencies, without loading it: jieba's
/// dictionary from the FST, and the library's own words as they ended up in a segmenter
/// given them by [`add_library_words`].
pub struct Lexicon {
    own: HashMap<String, usize>,
    total: usize,
}

impl Lexicon {
    /// Read off `jieba`, the full segmenter or one from [`segmenter_for`].
    pub fn of(jieba: &mut Jieba, library: &Library) -> Lexicon {
        // Each is in `jieba` (added if not already there), so reading its frequency puts
        // it back as it was.
        let mut own = HashMap::new();
        for w in library_words(library) {
            if jieba.has_word(&w)
                && let Some(f) = word_freq(jieba, &w)
            {
                own.insert(w, f);
            }
        }
        Lexicon {
            own,
            total: total_freq(jieba).unwrap_or(DICT_TOTAL),
        }
    }

    pub fn has(&self, word: &str) -> bool {
        self.freq(word).is_some()
    }

    pub fn freq(&self, word: &str) -> Option<usize> {
        if let Some(&f) = self.own.get(word) {
            return Some(f);
        }
        let f = dictionary()?.get(word)?.value();
        usize::try_from(f).ok()
    }
}

/// The library's words in the order [`add_library_words`] adds them.
fn library_words(library: &Library) -> Vec<String> {
    let mut out: Vec<String> = library
        .dict
        .iter()
        .map(|e| super::analysis::normalize(&e.word))
        .collect();
    out.extend(extra_words(library));
    out.retain(|w| !w.is_empty());
    out
}

/// What the full segmenter adds to jieba's dictionary: the library's dictionary (with its
/// frequencies, or ones jieba suggests), then every other word it must know.
fn add_library_words(jieba: &mut Jieba, library: &Library) {
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
    add_library_words(&mut jieba, library);
    jieba
}

/// Words the segmenter must know whether or not a case uses them: the library's dictionary,
/// every synonym and every Chinese place name, so that a query word is cut as the library
/// means it and can be matched to its group.
pub fn extra_words(library: &Library) -> Vec<String> {
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
pub fn indexed_words(
    index: &Index,
    fields: &schema::Fields,
    lexicon: &Lexicon,
    vocab: &mut BTreeSet<String>,
) -> Result<(), SearchError> {
    let reader = index.reader()?;
    let searcher = reader.searcher();
    let wanted =
        |w: &str, vocab: &BTreeSet<String>| has_cjk(w) && !vocab.contains(w) && lexicon.has(w);
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
pub fn compact_dictionary(vocab: &BTreeSet<String>, lexicon: &Lexicon) -> String {
    let mut out = String::with_capacity(vocab.len() * 12);
    let mut kept = 0usize;
    for w in vocab {
        let Some(freq) = lexicon.freq(w) else {
            continue;
        };
        kept += freq;
        let _ = writeln!(out, "{w} {freq}");
    }
    if lexicon.total > kept {
        let _ = writeln!(out, "{FILLER_WORD} {}", lexicon.total - kept);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::{self, Origin};

    #[test]
    fn exact_frequencies_are_read_and_restored() {
        let mut j = Jieba::empty();
        j.add_word("口袋公园", Some(30), None);
        j.add_word("公园", Some(70), None);
        assert_eq!(word_freq(&mut j, "公园"), Some(70));
        assert_eq!(word_freq(&mut j, "口袋公园"), Some(30));
        assert_eq!(total_freq(&j), Some(100));
    }

    #[test]
    fn the_compact_dictionary_cuts_as_the_full_one() {
        let library = library::load(&Origin::Embedded).unwrap();
        let mut full = full_segmenter(&library);
        let lexicon = Lexicon::of(&mut full, &library);
        let vocab: BTreeSet<String> = ["城市", "公园", "城市公园", "城市更新", "更新"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let compact =
            Jieba::with_dict(&mut compact_dictionary(&vocab, &lexicon).as_bytes()).unwrap();
        for text in ["城市公园", "城市更新", "公园城市更新"] {
            let a: Vec<&str> = full.cut(text, true).iter().map(|t| t.word).collect();
            let b: Vec<&str> = compact.cut(text, true).iter().map(|t| t.word).collect();
            assert_eq!(a, b, "{text}");
        }
    }

    /// The FST compiled from `jieba-dict.txt` is the dictionary jieba-rs loads: the same
    /// total, and the same words with the same frequencies (every dictionary word in the
    /// shipped cases, and some that are not words).
    #[test]
    fn the_compiled_dictionary_is_jiebas() {
        let mut jieba = Jieba::new();
        assert_eq!(total_freq(&jieba), Some(DICT_TOTAL));
        let library = library::load(&Origin::Embedded).unwrap();
        let mut words: BTreeSet<String> = ["不是一个词", "口袋公园x", "\u{e000}", "a"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for case in &library.cases {
            for t in jieba.cut_all(&case.body) {
                words.insert(t.word.to_string());
            }
        }
        let fst = dictionary().unwrap();
        let plain = Lexicon {
            own: HashMap::new(),
            total: DICT_TOTAL,
        };
        assert!(words.len() > 5_000, "{}", words.len());
        for w in &words {
            let expected = jieba
                .has_word(w)
                .then(|| word_freq(&mut jieba, w))
                .flatten();
            assert_eq!(plain.freq(w), expected, "{w}");
            assert_eq!(fst.get(w).is_some(), jieba.has_word(w), "{w}");
        }
    }

    /// A segmenter for a case's texts cuts them as the full segmenter does, in both of
    /// jieba's modes, and reads off the same lexicon: on every shipped case.
    #[test]
    fn a_segmenter_for_texts_cuts_them_as_the_full_one() {
        let library = library::load(&Origin::Embedded).unwrap();
        let mut full = full_segmenter(&library);
        let fields = schema::build().1;
        for case in &library.cases {
            let doc = fields.document(case, &case.plain_body());
            let texts: Vec<&str> = fields.word_texts(&doc).collect();
            assert!(texts.len() >= 3, "{}", case.id);
            let mut small = segmenter_for(&library, texts.iter().copied());
            for text in &texts {
                let cut = |j: &Jieba, search: bool| -> Vec<String> {
                    let tokens = if search {
                        j.cut_for_search(text, true)
                    } else {
                        j.cut(text, true)
                    };
                    tokens.iter().map(|t| t.word.to_string()).collect()
                };
                assert_eq!(cut(&small, true), cut(&full, true), "{}", case.id);
                assert_eq!(cut(&small, false), cut(&full, false), "{}", case.id);
            }
            let (a, b) = (
                Lexicon::of(&mut small, &library),
                Lexicon::of(&mut full, &library),
            );
            assert_eq!((a.own, a.total), (b.own, b.total), "{}", case.id);
        }
    }
}
