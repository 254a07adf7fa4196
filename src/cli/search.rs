//! `duibiao search`.

use std::io::Write;

use clap::Args;

use super::Env;
use crate::render;
use crate::search::Filters;

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words to search for; quoted text ("城市 更新") is a phrase. Several words are all
    /// required.
    #[arg(value_name = "QUERY")]
    pub query: Vec<String>,
    #[command(flatten)]
    pub filters: Filters,
    /// How many hits to show.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub limit: usize,
    /// Print JSON (see the README: command-line contract) instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(env: &Env, args: &SearchArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let text = args.query.join(" ");
    let raw = &args.filters;
    let (results, cases) =
        env.query(|s| Ok((s.search_typed(&text, raw, args.limit)?, s.num_cases())))?;
    if args.json {
        super::write_json(out, &results)?;
    } else {
        render::results(out, &results, cases, &env.style)?;
    }
    Ok(0)
}
