//! Case text as HTML that cannot run: Markdown rendered by pulldown-cmark with every raw
//! HTML fragment turned into escaped text, and links and images kept only when they point
//! at http(s) or mailto addresses (a `javascript:` link becomes plain text). The page puts
//! this HTML in place as it is, so this is the one place where case text meets markup.

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd, html};
use serde::Serialize;

use crate::library::case::SECTIONS;

/// A case body split at its second-level headings, each part rendered.
#[derive(Debug, Serialize, PartialEq)]
pub struct Rendered {
    /// The whole body.
    pub html: String,
    /// Each `## ` section: its heading text and its HTML (without the heading).
    pub sections: Vec<Section>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Section {
    pub heading: String,
    pub html: String,
}

/// Is `url` one the page may link to? Relative and fragment links are not: a case has no
/// pages of its own to link to, and a scheme-less link could be read as one.
pub fn safe_url(url: &str) -> bool {
    let u = url.trim_start().to_ascii_lowercase();
    u.starts_with("https://") || u.starts_with("http://") || u.starts_with("mailto:")
}

/// Markdown → HTML with raw HTML escaped and unsafe links dropped.
pub fn markdown(md: &str) -> String {
    let mut skip_link_end = Vec::new();
    let events = Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH)
        .filter_map(|e| match e {
            Event::Html(s) | Event::InlineHtml(s) => Some(Event::Text(s)),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                // An autolinked address (<a@b.org>) comes without its mailto: scheme.
                let safe = link_type == LinkType::Email || safe_url(&dest_url);
                skip_link_end.push(!safe);
                safe.then_some(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }))
            }
            Event::End(TagEnd::Link) => {
                if skip_link_end.pop().unwrap_or(false) {
                    None
                } else {
                    Some(Event::End(TagEnd::Link))
                }
            }
            // An image would load from wherever it points: the page loads nothing from
            // outside, so an image is shown as its alt text.
            Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
            other => Some(other),
        });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

/// The body, whole and by section.
pub fn render(body: &str) -> Rendered {
    let mut sections = Vec::new();
    let mut heading: Option<String> = None;
    let mut part = String::new();
    for line in body.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            if let Some(prev) = heading.take() {
                sections.push(Section {
                    heading: prev,
                    html: markdown(&part),
                });
            }
            heading = Some(h.trim().to_string());
            part.clear();
        } else if heading.is_some() {
            part.push_str(line);
            part.push('\n');
        }
    }
    if let Some(prev) = heading {
        sections.push(Section {
            heading: prev,
            html: markdown(&part),
        });
    }
    Rendered {
        html: markdown(body),
        sections,
    }
}

/// The sections a brief for a task team quotes, in the order it quotes them.
pub const BRIEF_SECTIONS: [&str; 3] = [SECTIONS[0], SECTIONS[1], SECTIONS[3]];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_is_text() {
        let h =
            markdown("before <script>alert(1)</script> after\n\n<img src=x onerror=alert(1)>\n");
        assert!(!h.contains("<script"), "{h}");
        assert!(!h.contains("<img"), "{h}");
        assert!(h.contains("&lt;script&gt;"), "{h}");
    }

    #[test]
    fn javascript_links_lose_their_href() {
        let h = markdown(
            "[click](javascript:alert(1)) and [JS](JaVaScRiPt:alert(2)) and [ok](https://example.org/)",
        );
        assert!(!h.to_lowercase().contains("javascript:"), "{h}");
        assert!(h.contains("click"), "{h}");
        assert!(
            h.contains(r#"<a href="https://example.org/">ok</a>"#),
            "{h}"
        );
    }

    #[test]
    fn images_become_their_alt_text() {
        let h = markdown("![a map](https://example.org/x.png)");
        assert!(!h.contains("<img"), "{h}");
        assert!(h.contains("a map"), "{h}");
    }

    #[test]
    fn sections_split_at_level_two_headings() {
        let r = render("## 案例概述\n\n概述**粗体**。\n\n## 主要做法\n\n- 一\n- 二\n");
        assert_eq!(r.sections.len(), 2);
        assert_eq!(r.sections[0].heading, "案例概述");
        assert!(r.sections[0].html.contains("<strong>粗体</strong>"));
        assert!(r.sections[1].html.contains("<li>一</li>"));
        assert!(r.html.contains("<h2>主要做法</h2>"));
    }
}
