//! Step one of reading a case: find the YAML front matter and the Markdown body.
//!
//! pulldown-cmark decides what a metadata block is, so this agrees with any CommonMark
//! tool that renders the same file. Only the split happens here; the YAML is read in
//! `case.rs`.

use pulldown_cmark::{Event, MetadataBlockKind, Options, Parser, Tag, TagEnd};

/// A case file cut in two.
#[derive(Debug, PartialEq, Eq)]
pub struct Split<'a> {
    pub yaml: &'a str,
    /// 1-based file line on which the YAML text starts (the line after the opening `---`).
    pub yaml_first_line: usize,
    pub body: &'a str,
    /// 1-based file line on which the body starts.
    pub body_first_line: usize,
}

/// Why a file has no usable front matter.
#[derive(Debug, PartialEq, Eq)]
pub enum SplitError {
    /// The file does not start with a `---` line.
    Missing,
    /// It starts with `---` but no closing `---` (or `...`) line follows.
    NotClosed,
    /// The block is there but holds nothing.
    Empty,
}

pub fn split(text: &str) -> Result<Split<'_>, SplitError> {
    let text_no_bom = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bom = text.len() - text_no_bom.len();
    let first_line = text_no_bom.lines().next().unwrap_or("");
    if first_line.trim_end() != "---" {
        return Err(SplitError::Missing);
    }
    // pulldown-cmark does not see a block behind a byte order mark: parse without it.
    let parser = Parser::new_ext(text_no_bom, Options::ENABLE_YAML_STYLE_METADATA_BLOCKS);
    let mut in_block = false;
    let mut yaml_range = None;
    let mut block_end = None;
    for (event, range) in parser.into_offset_iter() {
        match event {
            Event::Start(Tag::MetadataBlock(MetadataBlockKind::YamlStyle)) => in_block = true,
            // The block's text may come in several events (one per CRLF line).
            Event::Text(_) if in_block => {
                let (start, end) = (range.start + bom, range.end + bom);
                yaml_range = Some(match yaml_range {
                    Some((s, _)) => (s, end),
                    None => (start, end),
                });
            }
            Event::End(TagEnd::MetadataBlock(MetadataBlockKind::YamlStyle)) => {
                block_end = Some(range.end + bom);
                break;
            }
            _ => break,
        }
    }
    let Some(block_end) = block_end else {
        // pulldown-cmark refuses a block whose first content line is blank; tell that apart
        // from a block that is never closed.
        let closed = text_no_bom
            .lines()
            .skip(1)
            .any(|l| l.trim_end() == "---" || l.trim_end() == "...");
        return Err(if closed {
            SplitError::Empty
        } else {
            SplitError::NotClosed
        });
    };
    let yaml = match yaml_range {
        Some((start, end)) => &text[start..end],
        None => return Err(SplitError::Empty),
    };
    if yaml.trim().is_empty() {
        return Err(SplitError::Empty);
    }
    let yaml_start = yaml.as_ptr() as usize - text.as_ptr() as usize;
    let line_of = |offset: usize| text[..offset].matches('\n').count() + 1;
    let body = &text[block_end..];
    let body = body
        .strip_prefix("\r\n")
        .or_else(|| body.strip_prefix('\n'))
        .unwrap_or(body);
    let body_start = text.len() - body.len();
    Ok(Split {
        yaml,
        yaml_first_line: line_of(yaml_start),
        body,
        body_first_line: line_of(body_start),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_yaml_and_body_with_line_numbers() {
        let text = "---\nid: a\ntitle: T\n---\n\n## 案例概述\n正文\n";
        let s = split(text).unwrap();
        assert_eq!(s.yaml.trim_end(), "id: a\ntitle: T");
        assert_eq!(s.yaml_first_line, 2);
        assert_eq!(s.body, "\n## 案例概述\n正文\n");
        assert_eq!(s.body_first_line, 5);
    }

    #[test]
    fn tells_missing_unclosed_and_empty_apart() {
        assert_eq!(split("## 案例概述\n").unwrap_err(), SplitError::Missing);
        assert_eq!(split("").unwrap_err(), SplitError::Missing);
        assert_eq!(
            split("---\nid: a\ntitle: T\n\n## 案例概述\n").unwrap_err(),
            SplitError::NotClosed
        );
        assert_eq!(split("---\n---\nbody").unwrap_err(), SplitError::Empty);
    }

    #[test]
    fn accepts_a_byte_order_mark_and_crlf() {
        let s = split("\u{feff}---\r\nid: a\r\n---\r\nbody\r\n").unwrap();
        assert!(s.yaml.contains("id: a"));
        assert_eq!(s.body, "body\r\n");
    }
}
