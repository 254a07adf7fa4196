//! The one home of the analyzers: how text becomes index terms, identically when a case is
//! indexed and when a query is read.
//!
//! - **normalize**: one character in, one character out (lower case, full-width ASCII to
//!   half-width, traditional to simplified Chinese), so character offsets in normalized
//!   text are offsets in the original, and snippets can highlight the original text.
//! - **word view**: jieba in search mode with ordinal positions; only tokens that hold a
//!   letter, digit or CJK character are kept. Ranks with BM25.
//! - **character view**: overlapping bigrams (position i for the bigram starting at
//!   character i, so a phrase of bigrams means "this substring"), never across white
//!   space; the last character of a run stands alone, so every character starts a token
//!   and a one-character query is a prefix of terms.
//!
//! Tokenizers are not stored in a tantivy index, only their names; the build registers
//! them, and queries are turned into terms here, so a query never needs them registered.

use std::sync::Arc;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

pub const WORD_TOKENIZER: &str = "duibiao_word";
pub const BIGRAM_TOKENIZER: &str = "duibiao_bigram";

/// Width and case folding of one character.
fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let c = match c {
        // Full-width ASCII forms (ＡＢＣ１２３) to their ASCII counterparts.
        '\u{ff01}'..='\u{ff5e}' => {
            return char::from_u32(c as u32 - 0xfee0).map_or(c, |a| a.to_ascii_lowercase());
        }
        '\u{3000}' => return ' ',
        _ => c,
    };
    // Han characters have no case: skip the Unicode case tables for them.
    if ('\u{3400}'..='\u{9fff}').contains(&c) {
        return c;
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Traditional to simplified, one character at a time.
///
/// fast2s is chosen because it maps character for character: phrase-level converters such
/// as OpenCC's change a text's length and would break snippet offsets. It looks at a few
/// characters' neighbours; calling it on each character alone drops that context on
/// purpose, so that a substring folds exactly as it does inside the whole text (grep
/// parity). Results are memoized in a per-thread table of the Basic Multilingual Plane,
/// filled as characters are met: the conversion itself allocates.
fn fold_t2s(c: char) -> char {
    let code = c as u32;
    if !(0x3400..=0xffff).contains(&code) {
        return c;
    }
    thread_local! {
        static MEMO: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.is_empty() {
            m.resize(0x1_0000, 0);
        }
        let slot = &mut m[code as usize];
        if *slot == 0 {
            let mut buf = [0u8; 4];
            let folded = fast2s::convert(c.encode_utf8(&mut buf))
                .chars()
                .next()
                .unwrap_or(c);
            *slot = folded as u32;
        }
        char::from_u32(*slot).unwrap_or(c)
    })
}

/// One character as the index sees it.
pub fn normalize_char(c: char) -> char {
    fold_t2s(fold_char(c))
}

/// Text as the index sees it: the same number of characters as the input, each folded on
/// its own.
pub fn normalize(text: &str) -> String {
    text.chars().map(normalize_char).collect()
}

/// Does this token carry meaning (a letter, digit or CJK character), or is it punctuation
/// and space?
pub fn is_wordlike(s: &str) -> bool {
    s.chars().any(char::is_alphanumeric)
}

/// Search-mode word tokens of already-normalized text, punctuation and space dropped.
pub fn word_tokens<'a>(jieba: &Jieba, normalized: &'a str) -> Vec<&'a str> {
    jieba
        .cut_for_search(normalized, true)
        .into_iter()
        .map(|t| t.word)
        .filter(|w| is_wordlike(w))
        .collect()
}

/// The words of a query (jieba's default mode, which gives whole words rather than the
/// overlapping pieces of search mode), punctuation dropped. A single character is joined
/// to the word it is written against ("智慧国" is one word, not "智慧" and "国"): alone it
/// would match nearly every case, and what was typed is the run of characters.
pub fn query_words(jieba: &Jieba, normalized: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    // Whether the last word in `out` ends where the next token starts.
    let mut touching = false;
    // A single character that starts a run, waiting for the word after it.
    let mut lead: Option<String> = None;
    for t in jieba.cut(normalized, true) {
        if !is_wordlike(t.word) {
            out.extend(lead.take());
            touching = false;
            continue;
        }
        let single = t.word.chars().count() == 1;
        match out.last_mut() {
            Some(last) if touching && single && lead.is_none() => last.push_str(t.word),
            _ if single && lead.is_none() && !touching => lead = Some(t.word.to_string()),
            _ => {
                let mut w = lead.take().unwrap_or_default();
                w.push_str(t.word);
                out.push(w);
            }
        }
        touching = true;
    }
    out.extend(lead);
    out
}

// The tokenizers below are given text that is already normalized (schema.rs normalizes
// each field's text once), and stream their tokens through one reused buffer: indexing
// is dominated by the character view, which makes a token of every character.

/// The word-view tokenizer for tantivy.
#[derive(Clone)]
pub struct WordTokenizer {
    jieba: Arc<Jieba>,
}

impl WordTokenizer {
    pub fn new(jieba: Arc<Jieba>) -> Self {
        WordTokenizer { jieba }
    }
}

pub struct WordTokenStream<'a> {
    words: std::vec::IntoIter<jieba_rs::Token<'a>>,
    text: &'a str,
    token: Token,
    next_position: usize,
}

impl TokenStream for WordTokenStream<'_> {
    fn advance(&mut self) -> bool {
        for w in self.words.by_ref() {
            if !is_wordlike(w.word) {
                continue;
            }
            let from = w.word.as_ptr() as usize - self.text.as_ptr() as usize;
            self.token.text.clear();
            self.token.text.push_str(w.word);
            self.token.offset_from = from;
            self.token.offset_to = from + w.word.len();
            self.token.position = self.next_position;
            self.token.position_length = 1;
            self.next_position += 1;
            return true;
        }
        false
    }
    fn token(&self) -> &Token {
        &self.token
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordTokenStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream<'a> {
        WordTokenStream {
            words: self.jieba.cut_for_search(text, true).into_iter(),
            text,
            token: Token::default(),
            next_position: 0,
        }
    }
}

/// The character-view tokenizer for tantivy: every bigram at the index of its first
/// character, and the last character of each run (text between white space) on its own.
/// So every character of the text starts exactly one token, and a one-character query is
/// "any term that starts with this character" without a field of single characters.
#[derive(Clone, Default)]
pub struct BigramTokenizer;

pub struct BigramTokenStream<'a> {
    chars: std::iter::Peekable<std::iter::Enumerate<std::str::Chars<'a>>>,
    token: Token,
}

impl TokenStream for BigramTokenStream<'_> {
    fn advance(&mut self) -> bool {
        while let Some((i, c)) = self.chars.next() {
            if c.is_whitespace() {
                continue;
            }
            self.token.text.clear();
            self.token.text.push(c);
            if let Some(&(_, next)) = self.chars.peek()
                && !next.is_whitespace()
            {
                self.token.text.push(next);
            }
            self.token.position = i;
            return true;
        }
        false
    }
    fn token(&self) -> &Token {
        &self.token
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = BigramTokenStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> BigramTokenStream<'a> {
        BigramTokenStream {
            chars: text.chars().enumerate().peekable(),
            token: Token::default(),
        }
    }
}

/// The character-view terms that say "this text occurs here": for each run of the text
/// (between white space), bigrams at run offsets 0, 2, 4 … and one more for the last
/// character, so fewer terms than overlapping bigrams still cover every character. A
/// run of one character is that character alone, which in a document only ends a run;
/// `open_end` is set when the last run is one character, which a document may follow with
/// more text (the caller matches it as a prefix).
pub fn char_cover(normalized: &str) -> (Vec<(usize, String)>, bool) {
    let chars: Vec<char> = normalized.chars().collect();
    let mut out = Vec::new();
    let mut open_end = false;
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() {
            i += 1;
        }
        let run = &chars[start..i];
        if run.len() == 1 {
            out.push((start, run[0].to_string()));
            open_end = i == chars.len();
            continue;
        }
        let mut k = 0;
        while k + 1 < run.len() {
            out.push((start + k, run[k..k + 2].iter().collect()));
            k += 2;
        }
        if k + 1 == run.len() {
            out.push((start + k - 1, run[k - 1..k + 1].iter().collect()));
        }
        open_end = false;
    }
    (out, open_end)
}

/// Every distinct bigram of the text within its runs (between white space), in order.
pub fn bigrams(normalized: &str) -> Vec<String> {
    let chars: Vec<char> = normalized.chars().collect();
    let mut out: Vec<String> = Vec::new();
    for pair in chars.windows(2) {
        if pair.iter().any(|c| c.is_whitespace()) {
            continue;
        }
        let b: String = pair.iter().collect();
        if !out.contains(&b) {
            out.push(b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect<T: Tokenizer>(mut t: T, text: &str) -> Vec<(String, usize)> {
        let mut s = t.token_stream(text);
        let mut out = Vec::new();
        while s.advance() {
            out.push((s.token().text.clone(), s.token().position));
        }
        out
    }

    #[test]
    fn normalize_keeps_one_char_per_char() {
        let s = "Boston ＡＢＣ 公園";
        assert_eq!(normalize(s).chars().count(), s.chars().count());
        assert_eq!(normalize("Boston ＡＢＣ"), "boston abc");
        assert_eq!(normalize("麥理浩徑"), "麦理浩径");
    }

    #[test]
    fn every_character_starts_one_token() {
        let got = collect(BigramTokenizer, "口袋公园 ab c");
        assert_eq!(
            got,
            vec![
                ("口袋".into(), 0),
                ("袋公".into(), 1),
                ("公园".into(), 2),
                ("园".into(), 3),
                ("ab".into(), 5),
                ("b".into(), 6),
                ("c".into(), 8),
            ]
        );
    }

    #[test]
    fn a_cover_is_fewer_bigrams_at_the_right_offsets() {
        let (c, open) = char_cover("口袋公园");
        assert_eq!(c, vec![(0, "口袋".into()), (2, "公园".into())]);
        assert!(!open);
        let (c, _) = char_cover("翡翠项链式");
        assert_eq!(
            c,
            vec![(0, "翡翠".into()), (2, "项链".into()), (3, "链式".into())]
        );
        let (c, open) = char_cover("a 城市 更");
        assert_eq!(
            c,
            vec![(0, "a".into()), (2, "城市".into()), (5, "更".into())]
        );
        assert!(open);
        assert_eq!(char_cover("  "), (vec![], false));
        assert_eq!(bigrams("健康城市 城市"), vec!["健康", "康城", "城市"]);
    }

    #[test]
    fn a_single_character_joins_the_word_it_touches() {
        let jieba = Jieba::new();
        let w = |q: &str| query_words(&jieba, &normalize(q));
        assert_eq!(w("智慧国"), vec!["智慧国"]);
        assert_eq!(w("城市的公园"), vec!["城市的", "公园"]);
        assert_eq!(w("的公园"), vec!["的公园"]);
        assert_eq!(w("智慧，国"), vec!["智慧", "国"]);
        // A character waiting for its word is not joined to the word before the comma.
        let mut j = Jieba::empty();
        for word in ["步", "道", "维护", "节"] {
            j.add_word(word, Some(10), None);
        }
        assert_eq!(query_words(&j, "节、步道维护"), vec!["节", "步道", "维护"]);
        assert_eq!(w("港"), vec!["港"]);
        assert_eq!(w("口袋公园"), vec!["口袋", "公园"]);
    }

    #[test]
    fn word_view_golden_tokens() {
        let jieba = Arc::new(Jieba::new());
        let got: Vec<String> = collect(
            WordTokenizer::new(jieba.clone()),
            &normalize("波士顿的公园绿道，Emerald Necklace"),
        )
        .into_iter()
        .map(|t| t.0)
        .collect();
        assert_eq!(
            got,
            vec![
                "波士",
                "波士顿",
                "的",
                "公园",
                "绿道",
                "emerald",
                "necklace"
            ]
        );
        // Positions are ordinal, so a phrase means "these tokens in a row".
        let pos: Vec<usize> = collect(WordTokenizer::new(jieba), "城市更新经验")
            .into_iter()
            .map(|t| t.1)
            .collect();
        assert_eq!(pos, (0..pos.len()).collect::<Vec<_>>());
    }
}
