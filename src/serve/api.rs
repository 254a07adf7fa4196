//! Routing and the JSON API. Each API route answers with exactly the value the matching
//! CLI command prints with `--json` (the same search-side function, the same type, so the
//! two cannot drift apart); a few routes the page needs beside them (`/api/facets`,
//! `/api/places`, `/api/status`, `/api/cases/{id}/html`) have no CLI twin. Errors are JSON
//! too: `{"error": "…", "suggestions": […]}` with 400 for a bad parameter or an unknown
//! filter value, 404 for an unknown case, task or route.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{MAX_BODY_BYTES, MAX_URL_BYTES, State, assets, html, http};
use crate::search::insights::{self, stats, task_rows, task_view};
use crate::search::{Filters, SearchError, Searcher};

/// The most hits one request may ask for; the page asks for 20 at a time.
const MAX_LIMIT: usize = 1000;

/// An answer before it is written: status, content type, body.
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// Assets are immutable per binary; API answers change with the library.
    pub cache: bool,
}

impl Reply {
    fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Reply {
        match serde_json::to_vec(value) {
            Ok(body) => Reply {
                status,
                content_type: "application/json; charset=utf-8",
                body,
                cache: false,
            },
            Err(e) => Reply::error(500, &format!("cannot encode the answer: {e}"), &[]),
        }
    }

    /// A short text answer, for what goes wrong before a request reaches the router.
    pub fn plain(status: u16, message: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: format!("{message}\n").into_bytes(),
            cache: false,
        }
    }

    /// The headers every answer carries besides its length and connection.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Content-Type", self.content_type.to_string()),
            (
                "Cache-Control",
                if self.cache {
                    "public, max-age=3600"
                } else {
                    "no-store"
                }
                .into(),
            ),
            // The page loads nothing from anywhere else and runs no inline script: even a
            // fragment of case text that escaped escaping could not run or call out.
            (
                "Content-Security-Policy",
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                 connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
                    .into(),
            ),
            ("X-Content-Type-Options", "nosniff".into()),
            ("Referrer-Policy", "no-referrer".into()),
        ]
    }

    fn error(status: u16, message: &str, suggestions: &[String]) -> Reply {
        let body = serde_json::json!({"error": message, "suggestions": suggestions});
        Reply {
            status,
            content_type: "application/json; charset=utf-8",
            body: body.to_string().into_bytes(),
            cache: false,
        }
    }
}

/// Answers one request: the checks every request passes, then the router.
pub fn handle(state: &State, request: &http::Request<'_>) -> Reply {
    if request.target.len() > MAX_URL_BYTES {
        Reply::error(414, "the address is too long", &[])
    } else if !matches!(request.method, "GET" | "HEAD") {
        Reply::error(405, "this server is read-only: only GET and HEAD", &[])
    } else if request.body_length > MAX_BODY_BYTES {
        Reply::error(413, "requests to this server carry no body", &[])
    } else {
        route(state, request.target)
    }
}

/// Splits `url` into its decoded path segments and query pairs.
fn split_url(url: &str) -> (Vec<String>, Vec<(String, String)>) {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let segments = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let pairs = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    (segments, pairs)
}

/// What the router hands to a handler.
pub fn route(state: &State, url: &str) -> Reply {
    let (segments, params) = split_url(url);
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    if segs.first() == Some(&"api") {
        let searcher = state.searcher();
        let result = api(state, &searcher, &segs[1..], &params);
        return match result {
            Ok(reply) => reply,
            Err(e) => e.into_reply(),
        };
    }
    assets::page(&segs)
}

/// A failed API call.
#[derive(Debug)]
pub enum ApiError {
    BadParam(String),
    NotFound(String),
    Search(SearchError),
}

impl From<SearchError> for ApiError {
    fn from(e: SearchError) -> Self {
        ApiError::Search(e)
    }
}

impl ApiError {
    fn into_reply(self) -> Reply {
        match self {
            ApiError::BadParam(m) => Reply::error(400, &m, &[]),
            ApiError::NotFound(m) => Reply::error(404, &m, &[]),
            ApiError::Search(e) => {
                let (status, suggestions) = match &e {
                    SearchError::UnknownFilter { suggestions, .. } => (400, suggestions.clone()),
                    SearchError::UnknownCase { suggestions, .. }
                    | SearchError::UnknownTask { suggestions, .. } => (404, suggestions.clone()),
                    _ => (500, Vec::new()),
                };
                Reply::error(status, &e.to_string(), &suggestions)
            }
        }
    }
}

/// The query parameters a route accepts; any other is a 400, as an unknown flag is a
/// usage error on the command line.
fn only(params: &[(String, String)], allowed: &[&str]) -> Result<(), ApiError> {
    match params.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        Some((k, _)) => Err(ApiError::BadParam(format!(
            "unknown parameter \"{k}\"; this address takes {}",
            if allowed.is_empty() {
                "none".to_string()
            } else {
                allowed.join(", ")
            }
        ))),
        None => Ok(()),
    }
}

fn all(params: &[(String, String)], key: &str) -> Vec<String> {
    params
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .filter(|v| !v.trim().is_empty())
        .collect()
}

/// `limit`, as `--limit` takes it: a whole number; `default` when absent.
fn limit(params: &[(String, String)], default: usize) -> Result<usize, ApiError> {
    match params.iter().rev().find(|(k, _)| k == "limit") {
        None => Ok(default),
        Some((_, v)) => match v.trim().parse::<usize>() {
            Ok(n) => Ok(n.min(MAX_LIMIT)),
            Err(_) => Err(ApiError::BadParam(format!(
                "limit \"{v}\" is not a whole number"
            ))),
        },
    }
}

const FILTERS: [&str; 5] = ["city", "country", "positioning", "topic", "task"];

fn raw_filters(params: &[(String, String)]) -> Filters {
    Filters {
        cities: all(params, "city"),
        countries: all(params, "country"),
        positionings: all(params, "positioning"),
        topics: all(params, "topic"),
        tasks: all(params, "task"),
        ids: Vec::new(),
    }
}

fn api(
    state: &State,
    searcher: &Searcher,
    segs: &[&str],
    params: &[(String, String)],
) -> Result<Reply, ApiError> {
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        FILTERS
            .iter()
            .copied()
            .chain(extra.iter().copied())
            .collect()
    };
    match segs {
        ["search"] => {
            only(params, &with(&["q", "limit"]))?;
            let text = all(params, "q").join(" ");
            let results = searcher.search_typed(&text, &raw_filters(params), limit(params, 10)?)?;
            Ok(Reply::json(200, &results))
        }
        ["facets"] => {
            only(params, &with(&["q"]))?;
            let text = all(params, "q").join(" ");
            let filters = searcher.resolve_filters(&raw_filters(params))?;
            Ok(Reply::json(
                200,
                &insights::facets(searcher, &text, &filters)?,
            ))
        }
        ["cases", id] => {
            only(params, &[])?;
            Ok(Reply::json(200, &searcher.case(id)?))
        }
        ["cases", id, "similar"] => {
            only(params, &["limit"])?;
            Ok(Reply::json(200, &searcher.similar(id, limit(params, 5)?)?))
        }
        ["cases", id, "html"] => {
            only(params, &[])?;
            let case = searcher.case(id)?;
            Ok(Reply::json(200, &html::render(&case.body)))
        }
        ["stats"] => {
            only(params, &[])?;
            Ok(Reply::json(200, &stats(searcher)?))
        }
        ["tasks"] => {
            only(params, &["positioning"])?;
            Ok(Reply::json(
                200,
                &task_rows(searcher, &all(params, "positioning"))?,
            ))
        }
        ["tasks", id] => {
            only(params, &["limit"])?;
            Ok(Reply::json(
                200,
                &task_view(searcher, id, limit(params, 5)?)?,
            ))
        }
        ["places"] => {
            only(params, &[])?;
            Ok(Reply::json(200, &places(searcher)?))
        }
        ["status"] => {
            only(params, &[])?;
            Ok(Reply::json(200, &state.health()))
        }
        _ => Err(ApiError::NotFound(format!(
            "no API at /api/{}; see /api/search, /api/cases/ID, /api/stats, /api/tasks",
            segs.join("/")
        ))),
    }
}

/// A city for the map.
#[derive(Debug, Serialize)]
pub struct MapCity {
    pub name: String,
    pub en: String,
    pub country: String,
    pub lat: f64,
    pub lon: f64,
    pub cases: u64,
}

/// Every city that a case names, with its coordinates and case count; and every country
/// or region's English name, for labels.
#[derive(Debug, Serialize)]
pub struct Places {
    pub cities: Vec<MapCity>,
    pub countries: BTreeMap<String, String>,
}

fn places(searcher: &Searcher) -> Result<Places, SearchError> {
    let counts = searcher.counts(searcher.fields().city)?;
    let places = &searcher.catalog()?.places;
    Ok(Places {
        cities: places
            .cities
            .iter()
            .filter_map(|c| {
                counts.get(&c.name).map(|n| MapCity {
                    name: c.name.clone(),
                    en: c.en.clone(),
                    country: c.country.clone(),
                    lat: c.lat,
                    lon: c.lon,
                    cases: *n,
                })
            })
            .collect(),
        countries: places
            .countries
            .iter()
            .map(|c| (c.name.clone(), c.en.clone()))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_decoded_into_segments_and_pairs() {
        let (s, p) =
            split_url("/api/cases/new-york%2Dpocket-parks?q=%E5%8F%A3%E8%A2%8B&city=a+b&city=c");
        assert_eq!(s, ["api", "cases", "new-york-pocket-parks"]);
        assert_eq!(
            p,
            [
                ("q".to_string(), "口袋".to_string()),
                ("city".into(), "a b".into()),
                ("city".into(), "c".into())
            ]
        );
    }

    #[test]
    fn a_limit_must_be_a_whole_number() {
        let p = |v: &str| vec![("limit".to_string(), v.to_string())];
        assert_eq!(limit(&p("3"), 10).ok(), Some(3));
        assert_eq!(limit(&[], 10).ok(), Some(10));
        assert_eq!(limit(&p("99999"), 10).ok(), Some(MAX_LIMIT));
        assert!(limit(&p("-1"), 10).is_err());
        assert!(limit(&p("ten"), 10).is_err());
    }

    #[test]
    fn unknown_parameters_are_refused() {
        let p = vec![("qq".to_string(), "x".to_string())];
        assert!(only(&p, &["q"]).is_err());
        assert!(only(&p, &["q", "qq"]).is_ok());
    }
}
