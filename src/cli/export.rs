//! `duibiao export`: every case for another engine, or that engine's mapping. A thin
//! adapter over [`crate::search::export`]; a broken library is exit 1 with its problems,
//! as for `duibiao index`.

use std::io::Write;
use std::path::PathBuf;

use clap::{ArgGroup, Args, ValueEnum};

use super::Env;
use crate::library::LibraryError;
use crate::search::export::{self, Engine, ExportError, Format};

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("what").required(true).args(["format", "print_mapping"])))]
pub struct ExportArgs {
    /// The documents' framing: NDJSON, Elasticsearch/OpenSearch _bulk, or Typesense import JSONL.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Print the index mapping (es) or collection schema (typesense) instead of documents.
    #[arg(long, value_enum, value_name = "ENGINE")]
    pub print_mapping: Option<EngineArg>,
    /// Write to FILE (replaced only when the export succeeds) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Ndjson,
    EsBulk,
    Typesense,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EngineArg {
    Es,
    Typesense,
}

pub fn run(env: &Env, args: &ExportArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    if let Some(engine) = args.print_mapping {
        let engine = match engine {
            EngineArg::Es => Engine::Es,
            EngineArg::Typesense => Engine::Typesense,
        };
        let mapping = export::mapping(engine);
        match &args.output {
            Some(path) => export::write_atomically(path, |w| {
                super::write_json(w, &mapping).map_err(ExportError::Write)
            })?,
            None => super::write_json(out, &mapping)?,
        }
        return Ok(0);
    }
    let format = match args.format {
        Some(FormatArg::Ndjson) | None => Format::Ndjson,
        Some(FormatArg::EsBulk) => Format::EsBulk,
        Some(FormatArg::Typesense) => Format::Typesense,
    };
    let origin = &env.workspace.origin;
    let result = match &args.output {
        Some(path) => export::export_to_file(origin, format, path),
        None => export::export(origin, format, out),
    };
    match result {
        Ok(report) => {
            if let Some(path) = &args.output {
                writeln!(out, "exported {} cases to {}", report.cases, path.display())?;
            }
            Ok(0)
        }
        Err(ExportError::Library(LibraryError::Invalid(problems))) => {
            for p in &problems {
                eprintln!("{p}");
            }
            eprintln!(
                "duibiao: nothing exported: the library has {} problem(s)",
                problems.len()
            );
            Ok(1)
        }
        Err(e) => Err(e.into()),
    }
}
