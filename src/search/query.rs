//! What the user typed → a tantivy query.
//!
//! Reading is lenient: unbalanced quotes, stray operators and lone punctuation are text,
//! never an error. Quoted text is a phrase. Every other piece is cut into words, and every
//! word must match (in [`MatchMode::All`]): the character view decides where it occurs
//! (exact substring, so nothing that is in a case is ever missed) and the word view ranks
//! those cases (BM25, title and topics above body). A word's synonyms and place aliases
//! match too, ranked below the word as typed.

use std::ops::Bound;

use jieba_rs::Jieba;
use tantivy::Term;

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, InvertedIndexRangeQuery, Occur,
    PhrasePrefixQuery, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};

use super::analysis::{self, word_tokens};
use super::gate::{Gate, Gated};
use super::plan::{Filters, MatchMode, Unit};
use super::schema::{BODY_BOOST, CHARS_BOOST, Fields, TITLE_BOOST, TITLE_EN_BOOST, TOPICS_BOOST};
use super::substring::SubstringQuery;
use super::sum_query::SumQuery;

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

/// A word-view term that ranks, and what its BM25 score is multiplied by in the score of
/// the query (field boost times synonym weight).
#[derive(Debug, Clone)]
pub struct RankTerm {
    pub term: Term,
    pub weight: f32,
}

/// One text's part of a query: what decides that it occurs, and the terms that rank the
/// cases it occurs in.
struct TextClause {
    matches: Box<dyn Query>,
    rank: Vec<RankTerm>,
    /// Terms every match holds, when the character view alone decides.
    gate: Option<Vec<Term>>,
}

impl TextClause {
    /// Matches where `matches` does; scores with it plus every rank term that occurs. Also
    /// gives back the rank terms, for the score's bound.
    fn into_query(self) -> (Box<dyn Query>, Vec<RankTerm>) {
        let rank: Vec<Box<dyn Query>> = self
            .rank
            .iter()
            .map(|r| {
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(r.term.clone(), IndexRecordOption::WithFreqs)),
                    r.weight,
                )) as Box<dyn Query>
            })
            .collect();
        let query = match any_of(rank) {
            None => self.matches,
            Some(rank) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, self.matches),
                (Occur::Should, rank),
            ])),
        };
        (query, self.rank)
    }
}

/// One normalized text: the character view decides whether it occurs (every substring of
/// a case is found, as grep would), the word view ranks the cases it occurs in. A text
/// with separators that was not quoted (`exact`) also matches a case holding all its
/// words, so the alias "new-york" finds "New York".
fn text_clause(text: &str, exact: bool, jieba: &Jieba, f: &Fields) -> Option<TextClause> {
    let mut words: Vec<&str> = word_tokens(jieba, text);
    words.sort_unstable();
    words.dedup();
    let mut rank: Vec<RankTerm> = Vec::new();
    for (field, boost) in [
        (f.title, TITLE_BOOST),
        (f.title_en, TITLE_EN_BOOST),
        (f.topics_text, TOPICS_BOOST),
        (f.body, BODY_BOOST),
    ] {
        for w in &words {
            rank.push(RankTerm {
                term: Term::from_field_text(field, w),
                weight: boost,
            });
        }
    }
    let mut matches: Vec<Box<dyn Query>> = Vec::new();
    let mut gate = None;
    if let Some((q, held)) = char_clause(text, f) {
        matches.push(Box::new(ConstScoreQuery::new(q, CHARS_BOOST)));
        gate = held;
    }
    if !exact && has_separators(text) && words.len() > 1 {
        gate = None;
        let all_words = words
            .iter()
            .map(|w| {
                let any_field: Vec<(Occur, Box<dyn Query>)> =
                    [f.title, f.title_en, f.topics_text, f.body]
                        .into_iter()
                        .map(|field| {
                            (
                                Occur::Should,
                                term_query(field, w, IndexRecordOption::Basic),
                            )
                        })
                        .collect();
                (
                    Occur::Must,
                    Box::new(BooleanQuery::new(any_field)) as Box<dyn Query>,
                )
            })
            .collect();
        matches.push(Box::new(ConstScoreQuery::new(
            Box::new(BooleanQuery::new(all_words)),
            0.0,
        )));
    }
    Some(TextClause {
        matches: any_of(matches)?,
        rank,
        gate,
    })
}

/// How much a synonym's match counts next to the word as typed.
pub const SYNONYM_WEIGHT: f32 = 0.5;

/// One unit's query, its rank terms and the most its fixed scores add (see [`Compiled`]).
struct UnitClause {
    query: Box<dyn Query>,
    rank: Vec<RankTerm>,
    fixed: f32,
    /// What every match holds, when each of its texts has a gate.
    gate: Option<Gate>,
}

fn unit_clause(u: &Unit, jieba: &Jieba, f: &Fields) -> Option<UnitClause> {
    let texts = std::iter::once((u.text.as_str(), u.phrase, 1.0)).chain(
        u.synonyms
            .iter()
            .map(|s| (s.as_str(), false, SYNONYM_WEIGHT)),
    );
    let mut scored: Vec<Box<dyn Query>> = Vec::new();
    let mut rank: Vec<RankTerm> = Vec::new();
    let mut fixed = 0.0;
    let mut gate = Some(Vec::new());
    for (text, exact, weight) in texts {
        let Some(mut c) = text_clause(text, exact, jieba, f) else {
            continue;
        };
        gate = gate.zip(c.gate.take()).map(|(mut g, terms)| {
            g.push(terms);
            g
        });
        let (query, terms) = c.into_query();
        scored.push(if weight == 1.0 {
            query
        } else {
            Box::new(BoostQuery::new(query, weight))
        });
        rank.extend(terms.into_iter().map(|r| RankTerm {
            weight: r.weight * weight,
            ..r
        }));
        fixed += CHARS_BOOST * weight;
    }
    Some(UnitClause {
        query: any_of(scored)?,
        rank,
        fixed,
        gate: gate.map(Gate),
    })
}

/// Any of `queries`, scored with the sum of those that match.
fn any_of(mut queries: Vec<Box<dyn Query>>) -> Option<Box<dyn Query>> {
    match queries.len() {
        0 => None,
        1 => queries.pop(),
        _ => Some(Box::new(SumQuery::new(queries))),
    }
}

fn filter_clause(field: Field, values: &[String]) -> Option<Box<dyn Query>> {
    if values.is_empty() {
        return None;
    }
    let any: Vec<(Occur, Box<dyn Query>)> = values
        .iter()
        .map(|v| {
            (
                Occur::Should,
                term_query(field, v, IndexRecordOption::Basic),
            )
        })
        .collect();
    Some(Box::new(ConstScoreQuery::new(
        Box::new(BooleanQuery::new(any)),
        0.0,
    )))
}

/// A query, and what bounds the score it gives a case.
///
/// The score is a sum over the texts (and synonyms) that match: the character view's
/// constant, and each rank term's weight times its BM25 in the case. So it is at most
/// `fixed` plus the sum over `rank` of those terms' contributions, whichever texts match,
/// and a case whose bound cannot beat the current page need not be scored (see
/// `top_k::top_scored`). Rank terms are only read when a case is scored: matching, which
/// every case goes through to be counted, needs the character view alone.
pub struct Compiled {
    pub query: Box<dyn Query>,
    pub rank: Vec<RankTerm>,
    pub fixed: f32,
}

/// The whole query. With no units, every case that passes the filters.
pub fn build(
    units: &[Unit],
    mode: MatchMode,
    filters: &Filters,
    exclude_ids: &[String],
    jieba: &Jieba,
    f: &Fields,
) -> Compiled {
    let clauses: Vec<UnitClause> = units
        .iter()
        .filter_map(|u| unit_clause(u, jieba, f))
        .collect();
    let fixed = clauses.iter().map(|c| c.fixed).sum();
    let mut rank = Vec::new();
    let mut queries = Vec::with_capacity(clauses.len());
    let mut gates = Vec::new();
    for c in clauses {
        rank.extend(c.rank);
        queries.push(c.query);
        // Every unit must match only in `All` mode.
        if mode == MatchMode::All {
            gates.extend(c.gate);
        }
    }
    Compiled {
        query: combine(queries, mode, filters, exclude_ids, gates, f),
        rank,
        fixed,
    }
}

/// The units' queries joined as `mode` says, with the filters and exclusions.
fn combine(
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
        MatchMode::Any | MatchMode::AtLeast(_) if !unit_queries.is_empty() => {
            let n = match mode {
                MatchMode::AtLeast(n) => n.clamp(1, unit_queries.len()),
                _ => 1,
            };
            let some = unit_queries
                .into_iter()
                .map(|q| (Occur::Should, q))
                .collect();
            clauses.push((
                Occur::Must,
                Box::new(BooleanQuery::with_minimum_required_clauses(some, n)),
            ));
        }
        MatchMode::Any | MatchMode::AtLeast(_) => {}
    }
    for (field, values) in [
        (f.city, &filters.cities),
        (f.country, &filters.countries),
        (f.positioning, &filters.positionings),
        (f.topic, &filters.topics),
        (f.task, &filters.tasks),
        (f.id, &filters.ids),
    ] {
        if let Some(q) = filter_clause(field, values) {
            clauses.push((Occur::Must, q));
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
