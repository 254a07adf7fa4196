//! `duibiao link` and `duibiao unlink`: a case's task links, set from the command line.

use std::io::Write;

use clap::Args;

use super::Env;

#[derive(Debug, Args)]
pub struct LinkArgs {
    /// The case's id (its file name without .md).
    #[arg(value_name = "CASE")]
    pub case: String,
    /// Task ids from plan.yaml (e.g. BAY-03).
    #[arg(value_name = "TASK", required = true)]
    pub tasks: Vec<String>,
}

pub fn run(env: &Env, args: &LinkArgs, link: bool, out: &mut dyn Write) -> anyhow::Result<i32> {
    let wait = || eprintln!("duibiao: waiting for another build of the index to finish…");
    let done = env.workspace.link(&args.case, &args.tasks, link, wait)?;
    let tasks = |t: &[String]| {
        if t.is_empty() {
            "no task".to_string()
        } else {
            t.join(", ")
        }
    };
    match &done.report {
        None => writeln!(
            out,
            "{}: unchanged, tasks: {}",
            done.edit.case_id,
            tasks(&done.edit.tasks_after)
        )?,
        Some(report) => {
            writeln!(
                out,
                "{}: tasks {} → {} ({})",
                done.edit.case_id,
                tasks(&done.edit.tasks_before),
                tasks(&done.edit.tasks_after),
                done.edit.path.display()
            )?;
            eprintln!(
                "duibiao: index updated ({}); {} cases, in {:.2} s",
                report.kind,
                report.cases,
                report.elapsed.as_secs_f64()
            );
        }
    }
    Ok(0)
}
