//! `duibiao show ID`.

use std::io::Write;

use clap::Args;

use super::Env;
use crate::render;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The case id (its file name without .md).
    pub id: String,
    /// Print JSON: the front matter fields plus body and path.
    #[arg(long)]
    pub json: bool,
}

pub fn run(env: &Env, args: &ShowArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let case = env.query(|s| s.case(&args.id))?;
    if args.json {
        super::write_json(out, &case)?;
    } else {
        render::case(out, &case, &env.style)?;
    }
    Ok(0)
}
