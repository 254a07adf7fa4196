//! Markdown bodies as the search index and snippets see them: plain text, one block per
//! line, no markup, so that a snippet never shows `**` and a substring a reader sees in a
//! rendered case is a substring of what is indexed.

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

/// The plain text of a Markdown body: blocks on their own lines, inline markup dropped.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::CodeBlock,
            ) if !out.ends_with('\n') => {
                out.push('\n');
            }
            _ => {}
        }
    }
    while out.ends_with('\n') {
        out.pop();
    }
    out
}

/// A second-level heading of a body: its text and the byte offset where it starts.
#[derive(Debug, PartialEq, Eq)]
pub struct Section {
    pub title: String,
    pub offset: usize,
}

/// The `##` headings of a body, in order.
pub fn sections(markdown: &str) -> Vec<Section> {
    let mut out = Vec::new();
    let mut current: Option<(String, usize)> = None;
    for (event, range) in Parser::new(markdown).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H2,
                ..
            }) => current = Some((String::new(), range.start)),
            Event::Text(t) | Event::Code(t) => {
                if let Some((title, _)) = current.as_mut() {
                    title.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(HeadingLevel::H2)) => {
                if let Some((title, offset)) = current.take() {
                    out.push(Section {
                        title: title.trim().to_string(),
                        offset,
                    });
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_dropped_and_blocks_kept_apart() {
        let md = "## 案例概述\n\n**纽约**的口袋公园，`Paley Park`。\n\n- 一\n- 二\n";
        assert_eq!(
            plain_text(md),
            "案例概述\n纽约的口袋公园，Paley Park。\n一\n二"
        );
    }

    #[test]
    fn finds_second_level_headings_only() {
        let md = "# 标题\n## 案例概述\n文\n### 小节\n## 成效\n";
        let s = sections(md);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].title, "案例概述");
        assert_eq!(s[1].title, "成效");
        assert_eq!(&md[s[1].offset..s[1].offset + 2], "##");
    }
}
