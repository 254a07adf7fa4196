//! `duibiao suggest-links`: for every task, the unlinked cases that rank among its best
//! five, as a review list for an editor.

use std::io::Write;

use clap::Args;

use super::Env;
use crate::render;
use crate::search::suggest_tasks::suggest_links;

#[derive(Debug, Args)]
pub struct SuggestLinksArgs {
    /// Only suggestions scoring at least this (the score `task ID` shows).
    #[arg(long, default_value_t = 0.0, value_name = "S", value_parser = min_score)]
    pub min_score: f32,
    /// Print JSON (the shapes in the README's command-line contract).
    #[arg(long)]
    pub json: bool,
}

/// A score threshold: a finite number, zero or more.
fn min_score(s: &str) -> Result<f32, String> {
    match s.trim().parse::<f32>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("\"{s}\" is not a score (a number, 0 or more)")),
    }
}

pub fn run(env: &Env, args: &SuggestLinksArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let searcher = env.searcher()?;
    let review = suggest_links(&searcher, args.min_score)?;
    if args.json {
        super::write_json(out, &review)?;
    } else {
        render::link_review(out, &review, &env.style)?;
    }
    Ok(0)
}
