//! "Did you mean …?": the closest known names to a name that did not resolve.
//!
//! Used for unknown keys, places, positionings, tasks and filter values alike, so every
//! such message names real alternatives instead of leaving the user to guess.

/// Edit distance between two strings, counted in characters (so 波士顿 vs 波斯顿 is 1):
/// strsim's Levenshtein works on `char`s, which is what a typo in Chinese or English is.
pub fn edit_distance(a: &str, b: &str) -> usize {
    strsim::levenshtein(a, b)
}

/// A candidate: the name matched against, and the canonical name it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub key: String,
    pub canonical: &'a str,
}

/// The canonical names whose keys are closest to `wanted` (case-insensitive), best first,
/// at most `n`, and only those close enough to be a plausible typo or a substring match.
pub fn closest<'a>(wanted: &str, candidates: &[Candidate<'a>], n: usize) -> Vec<&'a str> {
    let wanted = wanted.to_lowercase();
    let wlen = wanted.chars().count();
    let mut scored: Vec<(usize, &'a str)> = candidates
        .iter()
        .filter_map(|c| {
            let key = c.key.to_lowercase();
            let d = edit_distance(&wanted, &key);
            let klen = key.chars().count();
            let limit = (wlen.max(klen) / 2).max(1);
            let contains = !wanted.is_empty() && (key.contains(&wanted) || wanted.contains(&key));
            if d <= limit || contains {
                Some((if contains { d.min(1) } else { d }, c.canonical))
            } else {
                None
            }
        })
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
    let mut out: Vec<&'a str> = Vec::new();
    for (_, name) in scored {
        if !out.contains(&name) {
            out.push(name);
        }
        if out.len() == n {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cands<'a>(pairs: &'a [(&'a str, &'a str)]) -> Vec<Candidate<'a>> {
        pairs
            .iter()
            .map(|(k, c)| Candidate {
                key: (*k).to_string(),
                canonical: c,
            })
            .collect()
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert_eq!(edit_distance("波士顿", "波斯顿"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn finds_aliases_and_typos() {
        let pairs = [
            ("波士顿", "波士顿"),
            ("boston", "波士顿"),
            ("伦敦", "伦敦"),
            ("london", "伦敦"),
        ];
        let c = cands(&pairs);
        assert_eq!(closest("Bostn", &c, 3), vec!["波士顿"]);
        assert_eq!(closest("londn", &c, 3), vec!["伦敦"]);
        assert!(closest("zzzzzzzz", &c, 3).is_empty());
    }
}
