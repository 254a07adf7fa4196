//! The one home of the index schema: which fields exist, how each is analyzed, and how a
//! [`Case`] becomes a tantivy document.

use tantivy::TantivyDocument;
use tantivy::schema::Value;
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use super::analysis::{BIGRAM_TOKENIZER, WORD_TOKENIZER, normalize};
use crate::library::markdown::{plain_text, sections};
use crate::library::{Case, SECTIONS};

/// The plain text of a body's last section, "对青岛的启示" (empty when it has none).
pub fn lessons_text(markdown: &str) -> String {
    let lessons = SECTIONS[SECTIONS.len() - 1];
    let found = sections(markdown);
    let Some(i) = found.iter().position(|s| s.title == lessons) else {
        return String::new();
    };
    let end = found.get(i + 1).map_or(markdown.len(), |s| s.offset);
    let text = plain_text(markdown.get(found[i].offset..end).unwrap_or(""));
    // The heading itself is not what the section says.
    text.strip_prefix(lessons)
        .unwrap_or(&text)
        .trim_start()
        .to_string()
}

/// Field handles, looked up once per index.
#[derive(Clone, Copy)]
pub struct Fields {
    pub id: Field,
    // Word view (BM25 ranking).
    pub title: Field,
    pub title_en: Field,
    pub topics_text: Field,
    pub body: Field,
    /// The body's "对青岛的启示" section alone, where a case says what it means for
    /// Qingdao: task suggestions weigh it apart (`suggest_tasks`); searches do not read it.
    pub lessons: Field,
    // Character view (grep-like recall).
    pub chars: Field,
    // Exact fields for filters and counts.
    pub city: Field,
    pub country: Field,
    pub positioning: Field,
    pub topic: Field,
    pub task: Field,
    /// The year of the case's `checked` month, for counts.
    pub checked_year: Field,
    // Stored only.
    /// The whole case (front matter and Markdown body) as JSON: `show`, hits and snippets
    /// read it; the body is stored once.
    pub case_json: Field,
}

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // The word view only ranks (the character view decides what matches), so it keeps
    // frequencies but no positions: positions are most of an index's size.
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(WORD_TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let bigrams = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(BIGRAM_TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | FAST),
        title: b.add_text_field("title", words.clone()),
        title_en: b.add_text_field("title_en", words.clone()),
        topics_text: b.add_text_field("topics_text", words.clone()),
        body: b.add_text_field("body", words.clone()),
        lessons: b.add_text_field("lessons", words),
        chars: b.add_text_field("chars", bigrams),
        city: b.add_text_field("city", STRING),
        country: b.add_text_field("country", STRING),
        positioning: b.add_text_field("positioning", STRING),
        topic: b.add_text_field("topic", STRING),
        task: b.add_text_field("task", STRING),
        checked_year: b.add_text_field("checked_year", STRING),
        case_json: b.add_text_field("case_json", STORED),
    };
    (b.build(), fields)
}

impl Fields {
    pub fn from_schema(schema: &Schema) -> tantivy::Result<Fields> {
        let f = |name: &str| schema.get_field(name);
        Ok(Fields {
            id: f("id")?,
            title: f("title")?,
            title_en: f("title_en")?,
            topics_text: f("topics_text")?,
            body: f("body")?,
            lessons: f("lessons")?,
            chars: f("chars")?,
            city: f("city")?,
            country: f("country")?,
            positioning: f("positioning")?,
            topic: f("topic")?,
            task: f("task")?,
            checked_year: f("checked_year")?,
            case_json: f("case_json")?,
        })
    }

    /// The texts of `doc` the word tokenizer cuts, one per field value: what a segmenter
    /// for these documents must know the words of.
    pub fn word_texts<'d>(&self, doc: &'d TantivyDocument) -> impl Iterator<Item = &'d str> {
        let words = [
            self.title,
            self.title_en,
            self.topics_text,
            self.body,
            self.lessons,
        ];
        doc.field_values()
            .filter(move |(f, _)| words.contains(f))
            .filter_map(|(_, v)| v.as_str())
    }

    /// The index document for a case; `plain` is its body as plain text. Text is
    /// normalized here, once; the tokenizers expect it so.
    pub fn document(&self, case: &Case, plain: &str) -> TantivyDocument {
        let title = normalize(&case.title);
        let title_en = normalize(case.title_en.as_deref().unwrap_or(""));
        let topics = normalize(&case.topics.join(" "));
        let body = normalize(plain);
        let mut d = TantivyDocument::new();
        d.add_text(self.id, &case.id);
        d.add_text(self.title, &title);
        if !title_en.is_empty() {
            d.add_text(self.title_en, &title_en);
        }
        d.add_text(self.topics_text, &topics);
        d.add_text(self.body, &body);
        let lessons = lessons_text(&case.body);
        if !lessons.is_empty() {
            d.add_text(self.lessons, normalize(&lessons));
        }
        // The character view holds everything a reader sees, each part on its own line so
        // that no bigram spans two parts.
        let all = format!("{title}\n{title_en}\n{}\n{body}", topics.replace(' ', "\n"));
        d.add_text(self.chars, &all);
        for c in &case.cities {
            d.add_text(self.city, c);
        }
        for c in &case.countries {
            d.add_text(self.country, c);
        }
        for p in &case.positioning {
            d.add_text(self.positioning, p);
        }
        for t in &case.topics {
            d.add_text(self.topic, t);
        }
        for t in &case.tasks {
            d.add_text(self.task, t);
        }
        if let Some(year) = case.checked.as_deref().and_then(|c| c.get(..4)) {
            d.add_text(self.checked_year, year);
        }
        let json = serde_json::to_string(case).unwrap_or_default();
        d.add_text(self.case_json, json);
        d
    }
}
