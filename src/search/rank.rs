//! The third step of a search, rank: the score model, written once ([`ScoreModel`]), and
//! the best page of the cases that match ([`top_k`]).
//!
//! A case's score is a sum over the texts of the query that it holds, each text being a
//! unit as typed or one of its alternatives (weighted [`ScoreModel::synonym`]): a small
//! constant for the character view's match, plus the BM25 in the case of each of the
//! text's words in each word-view field, times that field's weight. The query tree scores
//! so, and the same numbers bound the score of a case not yet scored ([`Compiled`]): both
//! are made by [`Scores`] as the tree is built, so they cannot disagree. The union of a
//! word and its synonyms, and of a text's ranking terms, is a [`sum_query::SumQuery`].

mod sum_query;
pub(super) mod top_k;

use jieba_rs::Jieba;
use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};

use super::matching;
use super::plan::{Filters, MatchMode, Unit};
use super::schema::Fields;
use sum_query::SumQuery;

/// What each part of a match is worth: the one place where ranking is weighed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreModel {
    /// Multiply a word's BM25 in that word-view field: a match in the title says more
    /// than one in the body.
    pub title: f32,
    pub title_en: f32,
    pub topics: f32,
    pub body: f32,
    /// A text's character-view match: it decides what matches, and barely ranks.
    pub chars: f32,
    /// How much a synonym's (or place alias's) match counts next to the word as typed.
    pub synonym: f32,
}

impl ScoreModel {
    /// The model every search uses.
    pub const DEFAULT: ScoreModel = ScoreModel {
        title: 3.0,
        title_en: 2.0,
        topics: 2.0,
        body: 1.0,
        chars: 0.2,
        synonym: 0.5,
    };

    fn fields(&self, f: &Fields) -> [(Field, f32); 4] {
        [
            (f.title, self.title),
            (f.title_en, self.title_en),
            (f.topics_text, self.topics),
            (f.body, self.body),
        ]
    }
}

/// A word-view term that ranks, and what its BM25 score is multiplied by in the score of
/// the query (field weight times synonym weight).
#[derive(Debug, Clone)]
pub struct RankTerm {
    pub term: Term,
    pub weight: f32,
}

/// A query, and what bounds the score it gives a case.
///
/// The score is a sum over the texts (and synonyms) that match: the character view's
/// constant, and each rank term's weight times its BM25 in the case. So it is at most
/// `fixed` plus the sum over `rank` of those terms' contributions, whichever texts match,
/// and a case whose bound cannot beat the current page need not be scored (see
/// [`top_k::top_scored`]). Rank terms are only read when a case is scored: matching, which
/// every case goes through to be counted, needs the character view alone.
pub struct Compiled {
    pub query: Box<dyn Query>,
    pub rank: Vec<RankTerm>,
    pub fixed: f32,
}

/// Every score the query tree gives, recorded as the tree is built: each scoring leaf is
/// made here, so the bound is the tree's own numbers. (Matching's filters and gates score
/// nothing. Its every-case clause scores 1 but stands alone only in a query without units,
/// which is listed in id order, not ranked: a unit's own text always has a character-view
/// clause, since it holds a character that is not white space.)
#[derive(Default)]
struct Scores {
    rank: Vec<RankTerm>,
    fixed: f32,
}

impl Scores {
    /// `q`, scoring `score` wherever it matches.
    fn constant(&mut self, q: Box<dyn Query>, score: f32) -> Box<dyn Query> {
        self.fixed += score;
        Box::new(ConstScoreQuery::new(q, score))
    }

    /// The BM25 of `term` in a case, times `weight`.
    fn term(&mut self, term: Term, weight: f32) -> Box<dyn Query> {
        let q = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
        self.rank.push(RankTerm { term, weight });
        Box::new(BoostQuery::new(Box::new(q), weight))
    }

    /// One unit's query (any of its texts: as typed, then its alternatives), and what
    /// every match holds when each text has a gate.
    fn unit(
        &mut self,
        u: &Unit,
        model: &ScoreModel,
        jieba: &Jieba,
        f: &Fields,
    ) -> Option<(Box<dyn Query>, Option<matching::gate::Gate>)> {
        let texts = std::iter::once((u.text.as_str(), u.phrase, 1.0)).chain(
            u.synonyms
                .iter()
                .map(|s| (s.as_str(), false, model.synonym)),
        );
        let mut scored: Vec<Box<dyn Query>> = Vec::new();
        let mut gate = Some(Vec::new());
        for (text, exact, weight) in texts {
            let m = matching::text(text, exact, jieba, f);
            let chars = m.chars.map(|q| self.constant(q, model.chars * weight));
            // Holding every word is a way to match, not a reason to rank.
            let all_words = m.all_words.map(|q| self.constant(q, 0.0));
            let Some(matches) = any_of(chars.into_iter().chain(all_words).collect()) else {
                continue;
            };
            gate = gate.zip(m.gate).map(|(mut g, terms)| {
                g.push(terms);
                g
            });
            let mut rank = Vec::new();
            for (field, boost) in model.fields(f) {
                for w in &m.words {
                    rank.push(self.term(Term::from_field_text(field, w), boost * weight));
                }
            }
            scored.push(match any_of(rank) {
                None => matches,
                Some(rank) => Box::new(BooleanQuery::new(vec![
                    (Occur::Must, matches),
                    (Occur::Should, rank),
                ])),
            });
        }
        Some((any_of(scored)?, gate.map(matching::gate::Gate)))
    }
}

/// Any of `queries`, scored with the sum of those that match.
fn any_of(mut queries: Vec<Box<dyn Query>>) -> Option<Box<dyn Query>> {
    match queries.len() {
        0 => None,
        1 => queries.pop(),
        _ => Some(Box::new(SumQuery::new(queries))),
    }
}

/// The whole query, scored by `model`. With no units, every case that passes the filters.
pub fn compile(
    units: &[Unit],
    mode: MatchMode,
    filters: &Filters,
    exclude_ids: &[String],
    jieba: &Jieba,
    f: &Fields,
    model: &ScoreModel,
) -> Compiled {
    let mut scores = Scores::default();
    let mut queries = Vec::with_capacity(units.len());
    let mut gates = Vec::new();
    for u in units {
        let Some((query, gate)) = scores.unit(u, model, jieba, f) else {
            continue;
        };
        queries.push(query);
        // Every unit must match only in `All` mode.
        if mode == MatchMode::All {
            gates.extend(gate);
        }
    }
    Compiled {
        query: matching::combine(queries, mode, filters, exclude_ids, gates, f),
        rank: scores.rank,
        fixed: scores.fixed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::searcher::tests::{sample_queries, shipped};

    /// The tree's scores and the bound are the model's numbers: for every case a sampled
    /// query matches, its score is at most its bound (the fixed part plus each rank term's
    /// contribution in that case), and equal to it when no unit has an alternative; with
    /// other weights in the model, scores change and still meet the bound.
    #[test]
    fn the_tree_scores_what_the_bound_bounds() {
        let (_tmp, lib, s) = shipped();
        let (searcher, jieba) = (s.index_searcher(), s.jieba().unwrap());
        let mut queries = sample_queries(&lib);
        queries.extend(["new-york", "波士顿 绿道", "\"会展\""].map(String::from));
        let other = ScoreModel {
            title: 5.0,
            topics: 0.5,
            chars: 0.7,
            synonym: 0.25,
            ..ScoreModel::DEFAULT
        };
        let close = |a: f32, b: f32| (a - b).abs() <= 1e-4 * b.abs() + 1e-6;
        let (mut tight, mut moved) = (0, 0);
        for q in &queries {
            let units = s.plan(q).unwrap();
            // Without alternatives, every text of the query is in every case it matches.
            let plain = units.iter().all(|u| {
                u.synonyms.is_empty() && (u.phrase || u.text.chars().all(char::is_alphanumeric))
            });
            let scored = [ScoreModel::DEFAULT, other].map(|model| {
                let none = Filters::default();
                let c = compile(
                    &units,
                    MatchMode::All,
                    &none,
                    &[],
                    jieba,
                    s.fields(),
                    &model,
                );
                top_k::scores_and_bounds(&searcher, &c).unwrap()
            });
            for &(score, bound) in scored.iter().flatten() {
                assert!(
                    score <= bound || close(score, bound),
                    "{q}: {score} > {bound}"
                );
                assert!(!plain || close(score, bound), "{q}: {score} < {bound}");
                tight += usize::from(plain);
            }
            if !scored[0].is_empty() {
                assert_ne!(scored[0], scored[1], "{q}");
                moved += 1;
            }
        }
        assert!(tight > 1_000 && moved > 200, "{tight} {moved}");
    }
}
