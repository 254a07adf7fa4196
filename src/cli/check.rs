//! `duibiao check`: validate the library; exit 1 on any problem. The problems come out as
//! text for people, JSON lines for scripts, or GitHub workflow annotations for CI.

use std::io::Write;

use clap::{Args, ValueEnum};

use super::Env;
use crate::library::LibraryError;
use crate::render::{self, Level};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// How to print problems: text (path:line:col: message), json (one object a line) or
    /// github (workflow annotations that GitHub shows on the file's line).
    #[arg(long, value_enum, default_value_t = ProblemFormat::Text, value_name = "FORMAT")]
    pub format: ProblemFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProblemFormat {
    Text,
    Json,
    Github,
}

pub fn run(env: &Env, args: &CheckArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    match env.workspace.load_library() {
        Ok(lib) => {
            let cities: std::collections::BTreeSet<&str> = lib
                .cases
                .iter()
                .flat_map(|c| c.cities.iter().map(String::as_str))
                .collect();
            let countries: std::collections::BTreeSet<&str> = lib
                .cases
                .iter()
                .flat_map(|c| c.countries.iter().map(String::as_str))
                .collect();
            let summary = if lib.cases.is_empty() {
                format!(
                    "ok: {} is valid but holds no cases yet; add one (see README: how to add a case)",
                    lib.origin.describe()
                )
            } else {
                format!(
                    "ok: {} cases from {} cities in {} countries and regions; {} tasks in the plan",
                    lib.cases.len(),
                    cities.len(),
                    countries.len(),
                    lib.plan.tasks.len()
                )
            };
            // In the machine formats stdout holds problems only: none, for a valid library.
            match args.format {
                ProblemFormat::Text => writeln!(out, "{summary}")?,
                ProblemFormat::Json | ProblemFormat::Github => env.term.say(Level::Note, &summary),
            }
            Ok(0)
        }
        Err(LibraryError::Invalid(problems)) => {
            for p in &problems {
                match args.format {
                    ProblemFormat::Text => writeln!(out, "{}", render::problem(&env.style, p))?,
                    ProblemFormat::Json => {
                        serde_json::to_writer(&mut *out, &render::ProblemJson::from(p))?;
                        writeln!(out)?;
                    }
                    ProblemFormat::Github => writeln!(out, "{}", render::github_annotation(p))?,
                }
            }
            let files: std::collections::BTreeSet<_> = problems.iter().map(|p| &p.path).collect();
            env.term.say(
                Level::Error,
                &format!("{} problem(s) in {} file(s)", problems.len(), files.len()),
            );
            Ok(1)
        }
        Err(e) => Err(e.into()),
    }
}
