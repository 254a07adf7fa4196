//! `duibiao completions SHELL` and `duibiao man`: what every command-line tool is expected
//! to offer, generated from the clap definition itself so they never drift from `--help`.

use std::io::Write;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn completions(args: &CompletionsArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "duibiao", out);
    Ok(0)
}

pub fn man(out: &mut dyn Write) -> anyhow::Result<i32> {
    clap_mangen::Man::new(Cli::command()).render(out)?;
    Ok(0)
}
