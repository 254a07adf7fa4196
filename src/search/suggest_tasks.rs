//! Which cases may inform a task of the plan: what `task ID` suggests after its linked
//! cases, and what `suggest-links` puts before an editor.
//!
//! A task's title and summary are a sentence or two in the plan's voice, so a search of
//! them as a query ranks by accident: generic words (开放, 建设) weigh as much as the
//! subject. Suggestions are scored on their own terms instead. Each word of the task counts
//! by BM25 in the case's title, topics, its "对青岛的启示" section (where a case says what
//! it means for Qingdao, and so which task it serves) and its body; a word found in more
//! than half the library's cases says nothing about any one case and is left out; the
//! places the task names (and the plan's `precedents`) are not words to match but a prior,
//! like the task's positioning. Each suggestion says which words, topics (matching the
//! task's words, or shared with its linked cases) and places it was suggested for. `tests/task_links.rs` measures the choices:
//! with every link hidden, how many come back.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;
use tantivy::collector::{DocSetCollector, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, Term};

use super::analysis::{normalize, word_tokens};
use super::rank::ScoreModel;
use super::{Hit, SearchError, Searcher, page};
use crate::library::names::suggestions;
use crate::library::{Case, Task};

/// Weight of a task word matched in each part of a case. The lessons section is where a
/// case names what it suggests; a title or topic names what the case is about.
const TITLE_WEIGHT: f32 = 3.0;
const TOPICS_WEIGHT: f32 = 2.0;
const LESSONS_WEIGHT: f32 = 2.0;
const BODY_WEIGHT: f32 = 1.0;

/// A word of the task's title counts this much more than a word of its summary only: the
/// title is the plan's own wording, the summary this project's paraphrase of it.
const TITLE_TEXT_WEIGHT: f32 = 1.5;

/// A word held by more than this share of the cases is left out of a task's words.
const MAX_CASE_SHARE: f32 = 0.5;

/// A case under the task's positioning scores this many times more: the plan groups its
/// tasks by positioning and the cases say which positionings they serve.
const POSITIONING_PRIOR: f32 = 1.5;

/// A case from a place the task names (in its text, or as the plan's precedent) scores
/// this many times more. A prior, not a match: a place's other cases may be about other
/// things, so a case must match the task's words to be suggested at all.
const PLACE_PRIOR: f32 = 1.5;

/// How many words a suggestion's `why` lists, the most telling first.
const WHY_WORDS: usize = 8;

/// Why a case was suggested for a task: the task's words it holds (the most telling
/// first), its topics that the task's words or its linked cases share, and the places the
/// task names that it is from.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Why {
    pub words: Vec<String>,
    pub topics: Vec<String>,
    pub places: Vec<String>,
}

/// A task's words with their weights, the places it names, and the topics of its linked
/// cases, as the scoring uses them.
struct TaskTerms {
    /// (normalized word, weight), in the task's order; synonyms at a discount.
    words: Vec<(String, f32)>,
    /// How telling each word is (its inverse case frequency), for ordering `why`.
    idf: HashMap<String, f32>,
    /// Canonical names of the cities and countries the task names.
    places: Vec<String>,
    /// Topics of the linked cases (shown in `why`; they do not score: with half of each
    /// task's links hidden, weighting them found no more of the hidden ones).
    linked_topics: Vec<String>,
}

/// Every case that matches a task's words, scored, best first; and which are linked.
struct Ranking {
    terms: TaskTerms,
    /// (score, id, address), best first, ties by id.
    scored: Vec<(f32, String, DocAddress)>,
    linked: HashSet<DocAddress>,
}

/// One task's linked cases, then the cases suggested for it (`task ID`).
pub struct TaskCases {
    pub linked: Vec<Hit>,
    pub suggested: Vec<Hit>,
}

/// Resolves a task id (any case, or an alias), or an error naming the closest ones.
pub fn find_task<'c>(searcher: &'c Searcher, id: &str) -> Result<&'c Task, SearchError> {
    let plan = &searcher.catalog()?.plan;
    plan.task(id)
        .or_else(|| plan.resolve_task(id))
        .ok_or_else(|| SearchError::UnknownTask {
            id: id.to_string(),
            suggestions: suggestions(&plan.tasks, id),
        })
}

/// The cases linked to a task, the precedents' first, each scored and highlighted against
/// the task; then the best `limit` other cases, each with why it was suggested.
pub fn task_cases(
    searcher: &Searcher,
    task_id: &str,
    limit: usize,
) -> Result<TaskCases, SearchError> {
    let task = find_task(searcher, task_id)?;
    let r = rank(searcher, task)?;
    let score_of: HashMap<DocAddress, f32> = r.scored.iter().map(|(s, _, a)| (*a, *s)).collect();
    let mut linked = Vec::with_capacity(r.linked.len());
    for addr in &r.linked {
        let case = searcher.case_at(*addr)?;
        let why = why(&r.terms, &case);
        let score = score_of.get(addr).copied().unwrap_or(0.0);
        linked.push(page::hit(case, score, &needles(&why)));
    }
    linked.sort_by(|a, b| {
        is_precedent(task, b)
            .cmp(&is_precedent(task, a))
            .then(b.score.total_cmp(&a.score))
            .then_with(|| a.id.cmp(&b.id))
    });
    let mut suggested = Vec::new();
    for (score, _, addr) in r.scored.iter().filter(|(_, _, a)| !r.linked.contains(a)) {
        if suggested.len() >= limit {
            break;
        }
        suggested.push(suggestion(searcher, &r.terms, *addr, *score)?);
    }
    Ok(TaskCases { linked, suggested })
}

/// A task in the review list: the unlinked cases that rank among its best five.
#[derive(Debug, Serialize)]
pub struct TaskReview {
    pub task: String,
    pub title: String,
    /// How many cases are linked to it now.
    pub linked: usize,
    pub suggested: Vec<Hit>,
}

/// `suggest-links`: for every task, the cases not linked to it that rank among its best
/// [`REVIEW_TOP`] (linked cases included in the ranking) with at least `min_score`, for an
/// editor to confirm with `link`; and the tasks no case is linked to.
#[derive(Debug, Serialize)]
pub struct LinkReview {
    pub min_score: f32,
    pub tasks: Vec<TaskReview>,
    /// Suggestions in all.
    pub suggestions: usize,
    /// Tasks with no linked case at all.
    pub tasks_without_cases: Vec<String>,
}

/// How far down a task's ranking the review list looks.
pub const REVIEW_TOP: usize = 5;

pub fn suggest_links(searcher: &Searcher, min_score: f32) -> Result<LinkReview, SearchError> {
    let plan = &searcher.catalog()?.plan;
    let mut tasks = Vec::with_capacity(plan.tasks.len());
    let mut without = Vec::new();
    for task in &plan.tasks {
        let r = rank(searcher, task)?;
        if r.linked.is_empty() {
            without.push(task.id.clone());
        }
        let mut suggested = Vec::new();
        for (score, _, addr) in r.scored.iter().take(REVIEW_TOP) {
            if !r.linked.contains(addr) && *score >= min_score {
                suggested.push(suggestion(searcher, &r.terms, *addr, *score)?);
            }
        }
        tasks.push(TaskReview {
            task: task.id.clone(),
            title: task.title.clone(),
            linked: r.linked.len(),
            suggested,
        });
    }
    Ok(LinkReview {
        min_score,
        suggestions: tasks.iter().map(|t| t.suggested.len()).sum(),
        tasks,
        tasks_without_cases: without,
    })
}

/// Is this case from a place the plan itself names for the task?
pub fn is_precedent(task: &Task, hit: &Hit) -> bool {
    task.precedents
        .iter()
        .any(|p| hit.cities.contains(p) || hit.countries.contains(p))
}

fn suggestion(
    searcher: &Searcher,
    terms: &TaskTerms,
    addr: DocAddress,
    score: f32,
) -> Result<Hit, SearchError> {
    let case = searcher.case_at(addr)?;
    let why = why(terms, &case);
    let mut hit = page::hit(case, score, &needles(&why));
    hit.why = Some(why);
    Ok(hit)
}

/// What a snippet highlights: the words that matched, longest first.
fn needles(why: &Why) -> Vec<String> {
    let mut v = why.words.clone();
    v.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
    v
}

/// The task's words, places and linked topics.
fn task_terms(
    searcher: &Searcher,
    task: &Task,
    linked: &HashSet<DocAddress>,
) -> Result<TaskTerms, SearchError> {
    let jieba = searcher.jieba()?;
    let places = &searcher.catalog()?.places;
    let index = searcher.index_searcher();
    let body = searcher.fields().body;
    let n = index.num_docs().max(1) as f32;
    let mut terms = TaskTerms {
        words: Vec::new(),
        idf: HashMap::new(),
        places: task.precedents.clone(),
        linked_topics: Vec::new(),
    };
    let add = |terms: &mut TaskTerms, w: &str, weight: f32| -> Result<(), SearchError> {
        if w.chars().count() < 2 {
            return Ok(());
        }
        if let Some(x) = terms.words.iter_mut().find(|(x, _)| x == w) {
            x.1 = x.1.max(weight);
            return Ok(());
        }
        let df = index.doc_freq(&Term::from_field_text(body, w))? as f32;
        if df > n * MAX_CASE_SHARE {
            return Ok(());
        }
        terms.idf.insert(w.to_string(), (n / df.max(1.0)).ln());
        terms.words.push((w.to_string(), weight));
        Ok(())
    };
    for (text, tw) in [(&task.title, TITLE_TEXT_WEIGHT), (&task.summary, 1.0)] {
        let text = normalize(text);
        for w in word_tokens(jieba, &text) {
            let place = places
                .resolve_city(w)
                .map(|c| c.name.clone())
                .or_else(|| places.resolve_country(w).map(|c| c.name.clone()));
            if let Some(p) = place {
                if !terms.places.contains(&p) {
                    terms.places.push(p);
                }
                continue;
            }
            add(&mut terms, w, tw)?;
            for syn in searcher.expansions(w) {
                for s in word_tokens(jieba, &syn) {
                    add(&mut terms, s, tw * ScoreModel::DEFAULT.synonym)?;
                }
            }
        }
    }
    for addr in linked {
        for t in searcher.case_at(*addr)?.topics {
            if !terms.linked_topics.contains(&t) {
                terms.linked_topics.push(t);
            }
        }
    }
    Ok(terms)
}

/// The documents a term query on an exact field matches.
fn docs_with(
    index: &tantivy::Searcher,
    field: Field,
    values: &[String],
) -> Result<HashSet<DocAddress>, SearchError> {
    let mut out = HashSet::new();
    for v in values {
        let q = TermQuery::new(Term::from_field_text(field, v), IndexRecordOption::Basic);
        out.extend(index.search(&q, &DocSetCollector)?);
    }
    Ok(out)
}

fn rank(searcher: &Searcher, task: &Task) -> Result<Ranking, SearchError> {
    let index = searcher.index_searcher();
    let f = *searcher.fields();
    let linked = docs_with(&index, f.task, std::slice::from_ref(&task.id))?;
    let terms = task_terms(searcher, task, &linked)?;
    let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut push = |field: Field, text: &str, weight: f32| {
        let q = TermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::WithFreqs,
        );
        should.push((
            Occur::Should,
            Box::new(BoostQuery::new(Box::new(q), weight)),
        ));
    };
    for (w, weight) in &terms.words {
        for (field, boost) in [
            (f.title, TITLE_WEIGHT),
            (f.topics_text, TOPICS_WEIGHT),
            (f.lessons, LESSONS_WEIGHT),
            (f.body, BODY_WEIGHT),
        ] {
            push(field, w, weight * boost);
        }
    }
    if should.is_empty() {
        return Ok(Ranking {
            terms,
            scored: Vec::new(),
            linked,
        });
    }
    let n = (index.num_docs() as usize).max(1);
    let top = index.search(
        &BooleanQuery::new(should),
        &TopDocs::with_limit(n).order_by_score(),
    )?;
    let positioning = searcher
        .catalog()?
        .plan
        .positioning_by_code(&task.positioning)
        .map(|p| vec![p.name.clone()])
        .unwrap_or_default();
    let same_positioning = docs_with(&index, f.positioning, &positioning)?;
    let mut from_places = docs_with(&index, f.city, &terms.places)?;
    from_places.extend(docs_with(&index, f.country, &terms.places)?);
    let addrs: Vec<DocAddress> = top.iter().map(|(_, a)| *a).collect();
    let ids = page::ids(&index, f.id, &addrs)?;
    let mut scored: Vec<(f32, String, DocAddress)> = top
        .into_iter()
        .zip(ids)
        .map(|((mut s, a), id)| {
            if same_positioning.contains(&a) {
                s *= POSITIONING_PRIOR;
            }
            if from_places.contains(&a) {
                s *= PLACE_PRIOR;
            }
            (s, id, a)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    Ok(Ranking {
        terms,
        scored,
        linked,
    })
}

/// Why `case` is related to the task: read off the case itself, as a reader would check.
fn why(terms: &TaskTerms, case: &Case) -> Why {
    let text = normalize(&format!(
        "{}\n{}\n{}",
        case.title,
        case.topics.join("\n"),
        case.plain_body()
    ));
    let mut words: Vec<(&String, f32)> = terms
        .words
        .iter()
        .filter(|(w, _)| text.contains(w.as_str()))
        .map(|(w, weight)| (w, weight * terms.idf.get(w).copied().unwrap_or(0.0)))
        .collect();
    words.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    // A word inside a longer one that also matched says nothing more (海洋 in 海洋牧场).
    let mut kept: Vec<String> = Vec::new();
    for (w, _) in &words {
        if kept.iter().any(|k| k.contains(w.as_str())) {
            continue;
        }
        kept.retain(|k| !w.contains(k.as_str()));
        kept.push((*w).clone());
    }
    kept.truncate(WHY_WORDS);
    let mut topics = BTreeSet::new();
    for t in &case.topics {
        let nt = normalize(t);
        let by_word = terms
            .words
            .iter()
            .any(|(w, _)| nt.contains(w.as_str()) || w.contains(nt.as_str()));
        let by_linked = terms.linked_topics.contains(t);
        if by_word || by_linked {
            topics.insert(t.clone());
        }
    }
    let places = terms
        .places
        .iter()
        .filter(|p| case.cities.contains(p) || case.countries.contains(p))
        .cloned()
        .collect();
    Why {
        words: kept,
        topics: case
            .topics
            .iter()
            .filter(|t| topics.contains(*t))
            .cloned()
            .collect(),
        places,
    }
}
