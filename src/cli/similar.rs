//! `duibiao similar ID`.

use std::io::Write;

use clap::Args;

use super::Env;
use crate::render;

#[derive(Debug, Args)]
pub struct SimilarArgs {
    /// The case id.
    pub id: String,
    /// How many cases to show.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub limit: usize,
    /// Print JSON (the same shape as search).
    #[arg(long)]
    pub json: bool,
}

pub fn run(env: &Env, args: &SimilarArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let results = env.query(|s| s.similar(&args.id, args.limit))?;
    if args.json {
        super::write_json(out, &results)?;
    } else {
        render::similar(out, &results, &env.style)?;
    }
    Ok(0)
}
