//! Writing and reading capture files.

pub mod jsonl;
