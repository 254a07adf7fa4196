//! duibiao (对标) turns a handbook of benchmark cases into a searchable library.
//!
//! Cases are Markdown files with YAML front matter; `places.yaml` (the gazetteer) and
//! `plan.yaml` (the action plan's positionings and tasks) give them meaning. [`library`]
//! reads and validates those files into a [`library::Library`]; [`search`] turns a library
//! into an on-disk tantivy index and answers queries with ranked, highlighted hits;
//! [`render`] prints cases and hits for people or as JSON for scripts; [`cli`] is the
//! command line and [`serve`] the web page that tie them together; [`safe_fs`] opens
//! files so that no FIFO, huge file or symlink in a library or index folder can hang,
//! exhaust or redirect it.

pub mod cli;
pub mod library;
pub mod render;
pub mod safe_fs;
pub mod search;
pub mod serve;
pub mod workspace;
