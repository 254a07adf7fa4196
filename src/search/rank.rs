//! The third step of a search, rank: the score model, written once ([`ScoreModel`]), and
//! the best page of the cases that match ([`top_k`]).
//!
//! A case's score is a sum over the texts of the query that it holds, each text being a
//! unit as typed or one of its alternatives (weighted [`ScoreModel::synonym`]): a small
//! constant when the character view finds it, plus the BM25 in the case of each of the
//! text's words in each word-view field, times that field's weight. [`compile`] turns a
//! plan into the match (a query that decides which cases, and scores nothing) and one
//! [`TextScore`] per text; [`top_k`] scores the cases the match yields from those numbers
//! alone, and bounds what a case can score from the same numbers, so the score and its
//! bound cannot disagree.

pub(super) mod top_k;

use jieba_rs::Jieba;
use tantivy::Term;
use tantivy::query::Query;
use tantivy::schema::Field;

use super::matching::any_of::{AnyOf, Holders};
use super::matching::{self, Shared, any_of};
use super::plan::{Filters, MatchMode, Unit};
use super::schema::Fields;

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

/// What one text of the query adds to the score of a case that holds it.
pub struct TextScore {
    /// The cases holding the text, unless every match of the query does (a unit of one
    /// text that every case must match).
    pub held: Option<Box<dyn Query>>,
    /// The character view's match, when it is not all of `held` (a text with separators
    /// also matches a case holding each of its words, and that earns no `constant`).
    pub chars: Option<Box<dyn Query>>,
    /// Earned where the character view finds the text.
    pub constant: f32,
    /// Earned, each as far as the case holds it, wherever the text is held.
    pub terms: Vec<RankTerm>,
    /// Where the match notes whether the case it is on holds the text (the unit's union of
    /// alternatives, and the text's place in it), so that `held` is seldom asked.
    pub noted: Option<(Holders, usize)>,
}

/// A query: the match, and what each of its texts scores.
pub struct Compiled {
    /// Which cases match (every unit or enough of them, the filters, the exclusions).
    pub query: Box<dyn Query>,
    pub texts: Vec<TextScore>,
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
    let mut texts: Vec<TextScore> = Vec::new();
    let mut queries: Vec<Box<dyn Query>> = Vec::with_capacity(units.len());
    let mut gates = Vec::new();
    for u in units {
        let alternatives = std::iter::once((u.text.as_str(), u.phrase, 1.0)).chain(
            u.synonyms
                .iter()
                .map(|s| (s.as_str(), false, model.synonym)),
        );
        let first = texts.len();
        let mut held_any: Vec<Box<dyn Query>> = Vec::new();
        let mut gate = Some(Vec::new());
        for (text, exact, weight) in alternatives {
            let m = matching::text(text, exact, jieba, f);
            let constant = if m.chars.is_some() {
                model.chars * weight
            } else {
                0.0
            };
            let (held, chars) = match (m.chars, m.all_words) {
                (None, None) => continue,
                (Some(q), None) | (None, Some(q)) => (Shared::new(q), None),
                (Some(c), Some(w)) => {
                    let c = Shared::new(c);
                    (Shared::new(any_of(vec![c.boxed(), w])), Some(c.boxed()))
                }
            };
            gate = gate.zip(m.gate).map(|(mut g, terms)| {
                g.push(terms);
                g
            });
            let mut terms = Vec::new();
            for (field, boost) in model.fields(f) {
                for w in &m.words {
                    terms.push(RankTerm {
                        term: Term::from_field_text(field, w),
                        weight: boost * weight,
                    });
                }
            }
            texts.push(TextScore {
                held: Some(held.boxed()),
                chars,
                constant,
                terms,
                noted: None,
            });
            held_any.push(held.boxed());
        }
        if held_any.is_empty() {
            continue;
        }
        // Every case the query matches holds a unit's only text when every unit must match.
        if mode == MatchMode::All && texts.len() == first + 1 {
            texts[first].held = None;
        }
        if held_any.len() > 1 {
            let holders = Holders::new();
            for (i, t) in texts[first..].iter_mut().enumerate() {
                t.noted = Some((holders.clone(), i));
            }
            queries.push(Box::new(AnyOf::noted(held_any, holders)));
        } else {
            queries.push(any_of(held_any));
        }
        // Every unit must match only in `All` mode.
        if mode == MatchMode::All {
            gates.extend(gate.map(matching::gate::Gate));
        }
    }
    Compiled {
        query: matching::combine(queries, mode, filters, exclude_ids, gates, f),
        texts,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, TermQuery};
    use tantivy::schema::IndexRecordOption;

    use super::*;
    use crate::search::searcher::tests::{sample_queries, shipped};

    /// The model as a stock tantivy query tree that scores what it matches: each text a
    /// constant for its character-view match plus its boosted BM25 terms wherever it is held,
    /// a unit the sum of its texts, the query the sum of its units.
    fn reference(units: &[Unit], mode: MatchMode, jieba: &Jieba, f: &Fields) -> Box<dyn Query> {
        let model = ScoreModel::DEFAULT;
        let mut unit_queries: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for u in units {
            let texts = std::iter::once((u.text.as_str(), u.phrase, 1.0)).chain(
                u.synonyms
                    .iter()
                    .map(|s| (s.as_str(), false, model.synonym)),
            );
            let mut scored: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (text, exact, weight) in texts {
                let m = matching::text(text, exact, jieba, f);
                let mut held: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                if let Some(c) = m.chars {
                    held.push((
                        Occur::Should,
                        Box::new(ConstScoreQuery::new(c, model.chars * weight)),
                    ));
                }
                if let Some(w) = m.all_words {
                    held.push((Occur::Should, Box::new(ConstScoreQuery::new(w, 0.0))));
                }
                if held.is_empty() {
                    continue;
                }
                let mut both: Vec<(Occur, Box<dyn Query>)> =
                    vec![(Occur::Must, Box::new(BooleanQuery::new(held)))];
                for (field, boost) in model.fields(f) {
                    for w in &m.words {
                        let t = TermQuery::new(
                            Term::from_field_text(field, w),
                            IndexRecordOption::WithFreqs,
                        );
                        both.push((
                            Occur::Should,
                            Box::new(BoostQuery::new(Box::new(t), boost * weight)),
                        ));
                    }
                }
                scored.push((Occur::Should, Box::new(BooleanQuery::new(both))));
            }
            if !scored.is_empty() {
                unit_queries.push((Occur::Should, Box::new(BooleanQuery::new(scored))));
            }
        }
        let n = unit_queries.len();
        match mode {
            MatchMode::All => {
                Box::new(BooleanQuery::with_minimum_required_clauses(unit_queries, n))
            }
            MatchMode::AtLeast(k) => Box::new(BooleanQuery::with_minimum_required_clauses(
                unit_queries,
                k.clamp(1, n),
            )),
        }
    }

    /// Every case a sampled query matches scores what tantivy's own scoring of the model
    /// gives it, and nothing else matches; with other weights in the model, scores change.
    #[test]
    fn scores_are_the_models_numbers() {
        let (_tmp, lib, s) = shipped();
        let (searcher, jieba) = (s.index_searcher(), s.jieba().unwrap());
        let mut queries = sample_queries(&lib);
        queries.extend(
            [
                "new-york",
                "波士顿 绿道",
                "\"会展\"",
                "纽约 伦敦 东京",
                "城市-更新",
                "智慧-城市",
                "港口-物流",
            ]
            .map(String::from),
        );
        let close = |a: f32, b: f32| (a - b).abs() <= 1e-4 * b.abs() + 1e-6;
        let n = searcher.num_docs() as usize;
        let mut plans: Vec<(String, Vec<Unit>)> = queries
            .iter()
            .map(|q| (q.clone(), s.plan(q).unwrap()))
            .collect();
        // Texts with separators and no alternative, as a place alias can be: cases holding
        // each word but not the text earn no character-view constant.
        for text in ["城市-更新", "奥运-海岸线", "公园-广场"] {
            let unit = Unit {
                text: text.to_string(),
                phrase: false,
                synonyms: Vec::new(),
            };
            plans.push((text.to_string(), vec![unit]));
        }
        let (mut compared, mut with_alternatives) = (0, 0);
        for (q, units) in &plans {
            for mode in [MatchMode::All, MatchMode::AtLeast(1)] {
                let none = Filters::default();
                let c = compile(
                    units,
                    mode,
                    &none,
                    &[],
                    jieba,
                    s.fields(),
                    &ScoreModel::DEFAULT,
                );
                let (total, got) = top_k::top_scored(&searcher, &searcher, &c, n).unwrap();
                let want: HashMap<_, _> = searcher
                    .search(
                        reference(units, mode, jieba, s.fields()).as_ref(),
                        &TopDocs::with_limit(n).order_by_score(),
                    )
                    .unwrap()
                    .into_iter()
                    .map(|(score, addr)| (addr, score))
                    .collect();
                assert_eq!((total, got.len()), (want.len(), want.len()), "{q}");
                for (score, addr) in &got {
                    let w = want[addr];
                    assert!(close(*score, w), "{q} {mode:?}: {score} vs {w}");
                }
                compared += got.len();
                with_alternatives += usize::from(units.iter().any(|u| !u.synonyms.is_empty()));
            }
        }
        assert!(
            compared > 2_000 && with_alternatives > 50,
            "{compared} {with_alternatives}"
        );
        // The weights are read from the model.
        let units = s.plan("城市更新").unwrap();
        let scores = |model: &ScoreModel| {
            let none = Filters::default();
            let c = compile(&units, MatchMode::All, &none, &[], jieba, s.fields(), model);
            top_k::top_scored(&searcher, &searcher, &c, n).unwrap().1
        };
        let other = ScoreModel {
            title: 5.0,
            chars: 0.7,
            ..ScoreModel::DEFAULT
        };
        assert_ne!(scores(&ScoreModel::DEFAULT), scores(&other));
    }
}
