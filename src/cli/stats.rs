//! `duibiao stats`: counts, read from the index's exact fields (no case is loaded).

use std::io::Write;

use super::Env;
use crate::render;
use crate::search::insights::stats;

pub fn run(env: &Env, json: bool, out: &mut dyn Write) -> anyhow::Result<i32> {
    let s = env.query(stats)?;
    if json {
        super::write_json(out, &s)?;
    } else {
        render::stats(out, &s, &env.style)?;
    }
    Ok(0)
}
