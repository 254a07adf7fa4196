//! Resolving what a person typed (a canonical name, an English name, a pinyin or short
//! alias, any case) to one canonical entry, or to the closest entries when nothing matches.

use super::suggest::{Candidate, closest};

/// Something with a canonical name and other names that also mean it.
pub trait Named {
    fn canonical(&self) -> &str;
    /// Every name that resolves to this entry, the canonical one included.
    fn names(&self) -> Vec<&str>;
    /// How the entry is shown in a hint: `波士顿 (Boston)`.
    fn label(&self) -> String;
}

/// Exact, case-insensitive match on any name.
pub fn resolve<'a, T: Named>(items: &'a [T], input: &str) -> Option<&'a T> {
    let wanted = input.trim().to_lowercase();
    items
        .iter()
        .find(|item| item.names().iter().any(|n| n.to_lowercase() == wanted))
}

/// The labels of up to three entries closest to `input`.
pub fn suggestions<T: Named>(items: &[T], input: &str) -> Vec<String> {
    let cands: Vec<Candidate> = items
        .iter()
        .flat_map(|item| {
            item.names().into_iter().map(move |n| Candidate {
                key: n.to_string(),
                canonical: item.canonical(),
            })
        })
        .collect();
    closest(input, &cands, 3)
        .into_iter()
        .filter_map(|c| items.iter().find(|i| i.canonical() == c))
        .map(Named::label)
        .collect()
}

/// "did you mean "波士顿" (Boston)?" or None.
pub fn did_you_mean<T: Named>(items: &[T], input: &str) -> Option<String> {
    let s = suggestions(items, input);
    if s.is_empty() {
        None
    } else {
        Some(format!("did you mean {}?", s.join(" or ")))
    }
}
