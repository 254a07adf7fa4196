//! The passage that matters: a window of the body around the query's matches, with every
//! match wrapped in 【】.
//!
//! Matching is done on normalized characters (the same folding as the index), and since
//! normalization keeps one character per character, positions found there are positions
//! in the original text: what is shown is the case's own wording, traditional characters
//! and capitals included.

use super::analysis::normalize;

pub const OPEN: char = '【';
pub const CLOSE: char = '】';

/// Characters shown around the matches.
pub const WINDOW: usize = 110;

/// Every `[start, end)` character range of `text` where one of `needles` occurs, merged
/// where they touch or overlap. Needles must already be normalized.
pub fn match_ranges(normalized: &[char], needles: &[String]) -> Vec<(usize, usize, usize)> {
    let mut found: Vec<(usize, usize, usize)> = Vec::new();
    for (k, needle) in needles.iter().enumerate() {
        let n: Vec<char> = needle.chars().collect();
        if n.is_empty() || n.len() > normalized.len() {
            continue;
        }
        let mut i = 0;
        while i + n.len() <= normalized.len() {
            if normalized[i..i + n.len()] == n[..] {
                found.push((i, i + n.len(), k));
                i += n.len();
            } else {
                i += 1;
            }
        }
    }
    found.sort();
    found
}

/// A snippet of `body` for `needles` (normalized query words, phrases and synonyms).
pub fn snippet(body: &str, needles: &[String]) -> String {
    let orig: Vec<char> = body.chars().collect();
    let norm: Vec<char> = normalize(body).chars().collect();
    debug_assert_eq!(orig.len(), norm.len());
    let found = match_ranges(&norm, needles);

    // The window that shows the most distinct needles, then the most matches; earliest wins.
    let mut best = (0usize, 0usize, 0usize); // (distinct, count, start index into found)
    for (i, &(s, _, _)) in found.iter().enumerate() {
        let mut seen: Vec<usize> = Vec::new();
        let mut count = 0;
        for &(s2, e2, k) in &found[i..] {
            if e2 > s + WINDOW {
                break;
            }
            let _ = s2;
            count += 1;
            if !seen.contains(&k) {
                seen.push(k);
            }
        }
        if (seen.len(), count) > (best.0, best.1) {
            best = (seen.len(), count, i);
        }
    }
    let (start, end) = if found.is_empty() {
        (0, orig.len().min(WINDOW))
    } else {
        let first = found[best.2].0;
        // Start at the sentence the first match is in, when that is near.
        let mut start = first.saturating_sub(WINDOW / 4);
        if let Some(p) = (start..first)
            .rev()
            .find(|&p| matches!(orig[p], '。' | '！' | '？' | '\n' | '；'))
        {
            start = p + 1;
        }
        (start, (start + WINDOW).min(orig.len()))
    };

    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut ranges = found
        .iter()
        .filter(|(s, e, _)| *s >= start && *e <= end)
        .map(|(s, e, _)| (*s, *e))
        .peekable();
    let mut open_until: Option<usize> = None;
    for (i, &c) in orig.iter().enumerate().take(end).skip(start) {
        if open_until.is_none() {
            while let Some(&(s, e)) = ranges.peek() {
                if s < i {
                    ranges.next();
                    continue;
                }
                if s == i {
                    // Merge ranges that overlap or touch into one highlight.
                    let mut e = e;
                    ranges.next();
                    while let Some(&(s2, e2)) = ranges.peek() {
                        if s2 <= e {
                            e = e.max(e2);
                            ranges.next();
                        } else {
                            break;
                        }
                    }
                    out.push(OPEN);
                    open_until = Some(e);
                }
                break;
            }
        }
        out.push(if c == '\n' { ' ' } else { c });
        if open_until == Some(i + 1) {
            out.push(CLOSE);
            open_until = None;
        }
    }
    if open_until.is_some() {
        out.push(CLOSE);
    }
    if end < orig.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn highlights_chinese_at_the_right_characters() {
        let out = snippet("纽约的口袋公园很小。上海也建口袋公园。", &s(&["口袋公园"]));
        assert_eq!(out, "纽约的【口袋公园】很小。上海也建【口袋公园】。");
    }

    #[test]
    fn original_text_is_shown_where_normalized_text_matched() {
        let out = snippet("香港的麥理浩徑與Boston", &s(&["麦理浩径", "boston"]));
        assert_eq!(out, "香港的【麥理浩徑】與【Boston】");
    }

    #[test]
    fn overlapping_matches_make_one_highlight() {
        let out = snippet("口袋公园", &s(&["口袋", "袋公园"]));
        assert_eq!(out, "【口袋公园】");
    }

    #[test]
    fn long_bodies_are_cut_around_the_match() {
        let body = format!("{}。口袋公园在这里。{}", "甲".repeat(300), "乙".repeat(300));
        let out = snippet(&body, &s(&["口袋公园"]));
        assert!(out.starts_with("…【口袋公园】在这里。"), "{out}");
        assert!(out.ends_with('…'));
        assert_eq!(
            out.chars()
                .filter(|c| *c != '…' && *c != OPEN && *c != CLOSE)
                .count(),
            WINDOW
        );
    }

    #[test]
    fn no_match_shows_the_opening() {
        assert_eq!(snippet("短文", &s(&["无"])), "短文");
    }
}
