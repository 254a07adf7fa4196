//! `duibiao check`: validate the library; exit 1 on any problem.

use std::io::Write;

use super::Env;
use crate::library::LibraryError;

pub fn run(env: &Env, out: &mut dyn Write) -> anyhow::Result<i32> {
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
            if lib.cases.is_empty() {
                writeln!(
                    out,
                    "ok: {} is valid but holds no cases yet; add one (see README: how to add a case)",
                    lib.origin.describe()
                )?;
            } else {
                writeln!(
                    out,
                    "ok: {} cases from {} cities in {} countries and regions; {} tasks in the plan",
                    lib.cases.len(),
                    cities.len(),
                    countries.len(),
                    lib.plan.tasks.len()
                )?;
            }
            Ok(0)
        }
        Err(LibraryError::Invalid(problems)) => {
            for p in &problems {
                writeln!(out, "{p}")?;
            }
            let files: std::collections::BTreeSet<_> = problems.iter().map(|p| &p.path).collect();
            super::say(format_args!(
                "duibiao: {} problem(s) in {} file(s)",
                problems.len(),
                files.len()
            ));
            Ok(1)
        }
        Err(e) => Err(e.into()),
    }
}
