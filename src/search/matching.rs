//! The second step of a search, match: which cases hold a query's units, each as typed
//! or as one of its alternatives, and pass its filters.
//!
//! The character view decides where a text occurs: every substring of a case is found,
//! as grep would find it. A text of two characters is one bigram term, of one character a
//! prefix of bigram terms, of three or more a phrase of bigrams ([`substring`], which
//! skips the position check for a case whose word view holds the whole text as a word).
//! A text with separators that was not quoted also matches a case holding all its words,
//! so the alias "new-york" finds "New York". Before any case is checked, [`gate`] works out
//! the few that can match every unit and filter, from one posting list each. The match scores
//! nothing: the rank step scores the cases it yields.

pub(super) mod any_of;
pub(crate) mod gate;
mod substring;

use std::ops::Bound;

use jieba_rs::Jieba;
use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, InvertedIndexRangeQuery, Occur, PhrasePrefixQuery,
    PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};

use super::analysis::{self, word_tokens};
use super::plan::{Filters, MatchMode};
use super::schema::Fields;
use any_of::AnyOf;
use gate::{Gate, Gated};
use substring::SubstringQuery;

fn term_query(field: Field, text: &str, opt: IndexRecordOption) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, text), opt))
}

/// Bigram terms of one character view may start with a given character: enough for any
/// real library, and a bound on what a one-character query can cost.
const MAX_PREFIX_TERMS: usize = 10_000;

/// A text's query on the character view, and the terms every case it matches holds
/// (`None` when it matches a prefix).
type CharClause = (Box<dyn Query>, Option<Vec<Term>>);

/// The character view's "this text occurs here": a phrase of the text's bigram cover
/// ([`SubstringQuery`]); a one-character text, or a phrase ending in one, matches as a
/// prefix of terms.
fn char_clause(text: &str, f: &Fields) -> Option<CharClause> {
    let (cover, open_end) = analysis::char_cover(text);
    let first = cover.first()?.0;
    let terms: Vec<(usize, Term)> = cover
        .iter()
        .map(|(p, t)| (p - first, Term::from_field_text(f.chars, t)))
        .collect();
    Some(match (terms.len(), open_end) {
        (1, false) => (
            Box::new(TermQuery::new(
                terms[0].1.clone(),
                IndexRecordOption::WithFreqs,
            )),
            Some(vec![terms[0].1.clone()]),
        ),
        (1, true) => {
            let c = &cover[0].1;
            let upper = c
                .chars()
                .next()
                .and_then(|ch| char::from_u32(ch as u32 + 1))
                .map_or(Bound::Unbounded, |next| {
                    Bound::Excluded(Term::from_field_text(f.chars, &next.to_string()))
                });
            (
                Box::new(InvertedIndexRangeQuery::new(
                    Bound::Included(terms[0].1.clone()),
                    upper,
                )),
                None,
            )
        }
        (_, false) => {
            // The word view's whole-word term, when the text could be one.
            let word =
                (!text.contains(char::is_whitespace)).then(|| Term::from_field_text(f.body, text));
            let also: Vec<Term> = analysis::bigrams(text)
                .into_iter()
                .filter(|b| !cover.iter().any(|(_, t)| t == b))
                .map(|b| Term::from_field_text(f.chars, &b))
                .collect();
            let held = terms
                .iter()
                .map(|(_, t)| t.clone())
                .chain(also.clone())
                .collect();
            (Box::new(SubstringQuery::new(terms, also, word)), Some(held))
        }
        (n, true) => {
            // tantivy's phrase-prefix scorer assumes the prefix follows the last phrase
            // term directly; with one phrase term it honours any gap. So: the phrase
            // without its last character, and its last term followed by that prefix.
            let mut tail = PhrasePrefixQuery::new_with_offset(terms[n - 2..].to_vec());
            tail.set_max_expansions(MAX_PREFIX_TERMS as u32);
            if n == 2 {
                return Some((Box::new(tail), None));
            }
            let head = PhraseQuery::new_with_offset(terms[..n - 1].to_vec());
            let both = BooleanQuery::new(vec![
                (Occur::Must, Box::new(head) as Box<dyn Query>),
                (Occur::Must, Box::new(tail)),
            ]);
            (Box::new(both), None)
        }
    })
}

/// Does the text hold anything besides letters, digits and CJK characters (a hyphen, a
/// space)? Then the character view, which matches it character for character, is not
/// the only way it can occur (unless it was quoted).
fn has_separators(text: &str) -> bool {
    text.chars().any(|c| !c.is_alphanumeric())
}

/// What decides that one normalized text occurs in a case.
pub(super) struct TextMatch<'t> {
    /// The character view's "this text occurs here".
    pub chars: Option<Box<dyn Query>>,
    /// A text with separators that was not quoted (`exact`): each of its words in some
    /// word-view field.
    pub all_words: Option<Box<dyn Query>>,
    /// The text's words, sorted and distinct (the word view ranks by them).
    pub words: Vec<&'t str>,
    /// Terms every match holds, when the character view alone decides.
    pub gate: Option<Vec<Term>>,
}

pub(super) fn text<'t>(text: &'t str, exact: bool, jieba: &Jieba, f: &Fields) -> TextMatch<'t> {
    let mut words: Vec<&str> = word_tokens(jieba, text);
    words.sort_unstable();
    words.dedup();
    let (chars, mut gate) = match char_clause(text, f) {
        Some((q, held)) => (Some(q), held),
        None => (None, None),
    };
    let mut all_words = None;
    if !exact && has_separators(text) && words.len() > 1 {
        gate = None;
        let fields = [f.title, f.title_en, f.topics_text, f.body];
        let each = words
            .iter()
            .map(|w| (Occur::Must, any_term(fields.map(|field| (field, *w)))))
            .collect();
        all_words = Some(Box::new(BooleanQuery::new(each)) as Box<dyn Query>);
    }
    TextMatch {
        chars,
        all_words,
        words,
        gate,
    }
}

/// A case matching any of `queries` (at least one), through a union that seeks
/// ([`AnyOf`]).
pub(super) fn any_of(mut queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    if queries.len() == 1
        && let Some(q) = queries.pop()
    {
        return q;
    }
    Box::new(AnyOf::new(queries))
}

/// One query in several places (a text's check is also a clause of its unit's match):
/// cloned by reference count, not copied term by term.
#[derive(Debug, Clone)]
pub(super) struct Shared(std::sync::Arc<dyn Query>);

impl Shared {
    pub(super) fn new(query: Box<dyn Query>) -> Shared {
        Shared(query.into())
    }

    pub(super) fn boxed(&self) -> Box<dyn Query> {
        Box::new(self.clone())
    }
}

impl Query for Shared {
    fn weight(
        &self,
        enable_scoring: tantivy::query::EnableScoring<'_>,
    ) -> tantivy::Result<Box<dyn tantivy::query::Weight>> {
        self.0.weight(enable_scoring)
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

/// A case holding any of `terms` (of the word view or the exact fields).
fn any_term<'a>(terms: impl IntoIterator<Item = (Field, &'a str)>) -> Box<dyn Query> {
    let any = terms
        .into_iter()
        .map(|(field, t)| {
            (
                Occur::Should,
                term_query(field, t, IndexRecordOption::Basic),
            )
        })
        .collect();
    Box::new(BooleanQuery::new(any))
}

/// The units' queries joined as `mode` says, with the filters and exclusions.
pub(super) fn combine(
    unit_queries: Vec<Box<dyn Query>>,
    mode: MatchMode,
    filters: &Filters,
    exclude_ids: &[String],
    mut gates: Vec<Gate>,
    f: &Fields,
) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    match mode {
        MatchMode::All => clauses.extend(unit_queries.into_iter().map(|q| (Occur::Must, q))),
        MatchMode::AtLeast(n) if !unit_queries.is_empty() => {
            let n = n.clamp(1, unit_queries.len());
            let some = unit_queries
                .into_iter()
                .map(|q| (Occur::Should, q))
                .collect();
            clauses.push((
                Occur::Must,
                Box::new(BooleanQuery::with_minimum_required_clauses(some, n)),
            ));
        }
        MatchMode::AtLeast(_) => {}
    }
    for (field, values) in [
        (f.city, &filters.cities),
        (f.country, &filters.countries),
        (f.positioning, &filters.positionings),
        (f.topic, &filters.topics),
        (f.task, &filters.tasks),
        (f.id, &filters.ids),
    ] {
        if !values.is_empty() {
            let any = any_term(values.iter().map(|v| (field, v.as_str())));
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(any, 0.0))));
            gates.push(Gate(
                values
                    .iter()
                    .map(|v| vec![Term::from_field_text(field, v)])
                    .collect(),
            ));
        }
    }
    if clauses.is_empty() {
        clauses.push((Occur::Must, Box::new(AllQuery)));
    }
    for id in exclude_ids {
        clauses.push((
            Occur::MustNot,
            term_query(f.id, id, IndexRecordOption::Basic),
        ));
    }
    let query = Box::new(BooleanQuery::new(clauses));
    // With one necessary condition, the query's own leader is as good.
    if gates.len() < 2 {
        return query;
    }
    Box::new(Gated::new(query, gates))
}
