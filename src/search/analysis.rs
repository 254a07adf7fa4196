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
//!   space; plus single characters in a field of their own for one-character queries.
//!
//! Tokenizers are not stored in a tantivy index, only their names; the build registers
//! them, and queries are turned into terms here, so a query never needs them registered.

use std::sync::Arc;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

pub const WORD_TOKENIZER: &str = "duibiao_word";
pub const BIGRAM_TOKENIZER: &str = "duibiao_bigram";
pub const UNIGRAM_TOKENIZER: &str = "duibiao_unigram";

/// Width and case folding of one character (traditional-to-simplified needs context and is
/// done on whole strings in [`normalize`]).
fn fold_char(c: char) -> char {
    let c = match c {
        // Full-width ASCII forms (ＡＢＣ１２３) to their ASCII counterparts.
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    };
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
/// parity). Results are memoized: the conversion allocates.
fn fold_t2s(c: char) -> char {
    if (c as u32) < 0x3400 {
        return c;
    }
    thread_local! {
        static MEMO: std::cell::RefCell<std::collections::HashMap<char, char>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    MEMO.with(|m| {
        *m.borrow_mut().entry(c).or_insert_with(|| {
            let mut buf = [0u8; 4];
            fast2s::convert(c.encode_utf8(&mut buf))
                .chars()
                .next()
                .unwrap_or(c)
        })
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
/// overlapping pieces of search mode), punctuation dropped.
pub fn query_words(jieba: &Jieba, normalized: &str) -> Vec<String> {
    jieba
        .cut(normalized, true)
        .into_iter()
        .map(|t| t.word.to_string())
        .filter(|w| is_wordlike(w))
        .collect()
}

/// Overlapping bigrams of normalized text, each with the character index it starts at.
pub fn bigrams(normalized: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = normalized.chars().collect();
    let mut out = Vec::new();
    for i in 0..chars.len().saturating_sub(1) {
        if chars[i].is_whitespace() || chars[i + 1].is_whitespace() {
            continue;
        }
        out.push((i, [chars[i], chars[i + 1]].iter().collect()));
    }
    out
}

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

/// A token stream over tokens computed up front.
pub struct VecTokenStream {
    tokens: Vec<Token>,
    index: usize,
}

impl VecTokenStream {
    fn new(tokens: Vec<Token>) -> Self {
        VecTokenStream { tokens, index: 0 }
    }
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }
    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

fn token(text: String, position: usize, offset_from: usize, offset_to: usize) -> Token {
    Token {
        offset_from,
        offset_to,
        position,
        text,
        position_length: 1,
    }
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = VecTokenStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let normalized = normalize(text);
        let tokens = word_tokens(&self.jieba, &normalized)
            .into_iter()
            .enumerate()
            .map(|(i, w)| {
                let from = w.as_ptr() as usize - normalized.as_ptr() as usize;
                token(w.to_string(), i, from, from + w.len())
            })
            .collect();
        VecTokenStream::new(tokens)
    }
}

/// The character-view bigram tokenizer for tantivy.
#[derive(Clone, Default)]
pub struct BigramTokenizer;

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = VecTokenStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let normalized = normalize(text);
        let tokens = bigrams(&normalized)
            .into_iter()
            .map(|(i, g)| token(g, i, 0, 0))
            .collect();
        VecTokenStream::new(tokens)
    }
}

/// Single characters, for one-character queries.
#[derive(Clone, Default)]
pub struct UnigramTokenizer;

impl Tokenizer for UnigramTokenizer {
    type TokenStream<'a> = VecTokenStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let mut seen = std::collections::HashSet::new();
        let tokens = normalize(text)
            .chars()
            .filter(|c| !c.is_whitespace() && seen.insert(*c))
            .enumerate()
            .map(|(i, c)| token(c.to_string(), i, 0, 0))
            .collect();
        VecTokenStream::new(tokens)
    }
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
    fn bigrams_have_the_position_of_their_first_character() {
        let got = collect(BigramTokenizer, "口袋公园 ab");
        assert_eq!(
            got,
            vec![
                ("口袋".into(), 0),
                ("袋公".into(), 1),
                ("公园".into(), 2),
                ("ab".into(), 5)
            ]
        );
    }

    #[test]
    fn unigrams_are_distinct_characters() {
        let got: Vec<String> = collect(UnigramTokenizer, "园园 a")
            .into_iter()
            .map(|t| t.0)
            .collect();
        assert_eq!(got, vec!["园", "a"]);
    }

    #[test]
    fn word_view_golden_tokens() {
        let jieba = Arc::new(Jieba::new());
        let got: Vec<String> = collect(
            WordTokenizer::new(jieba.clone()),
            "波士顿的公园绿道，Emerald Necklace",
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
