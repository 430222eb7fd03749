//! `nlscope specs`, a front end: every YNL spec nlscope decodes with, where
//! it comes from, and what does not load.

use clap::Args;
use serde::Serialize;

use crate::ynl::{Source, Specs};

#[derive(Debug, Args)]
pub struct SpecsArgs {
    /// One JSON object per family and line instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub specs: crate::options::SpecArgs,
}

/// One family as `--json` writes it.
#[derive(Serialize)]
struct JsonFamily<'a> {
    family: &'a str,
    source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    replaces: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema: Option<&'static str>,
    operations: usize,
    attribute_sets: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Lists `specs` (already loaded from the built-in set and the spec
/// directories, whose unreadable files are `dir_errors`). Fails when any
/// spec does not load, after listing everything.
pub fn run(
    args: &SpecsArgs,
    specs: &Specs,
    dir_errors: &[crate::ynl::SpecError],
) -> anyhow::Result<()> {
    let listed = specs.list();
    let mut out = String::new();
    if args.json {
        for family in &listed {
            let line = JsonFamily {
                family: &family.family,
                source: family.source.to_string(),
                replaces: family.replaced.as_ref().map(Source::to_string),
                schema: family.schema,
                operations: family.ops,
                attribute_sets: family.attribute_sets,
                error: family.error.as_ref().map(ToString::to_string),
            };
            out.push_str(&serde_json::to_string(&line)?);
            out.push('\n');
        }
    } else {
        let width = listed
            .iter()
            .map(|f| f.family.len())
            .max()
            .unwrap_or(6)
            .max(6);
        out.push_str(&format!(
            "{:width$}  {:16}  {:>5}  {:>5}  SOURCE\n",
            "FAMILY", "SCHEMA", "OPS", "SETS"
        ));
        for family in &listed {
            let source = match &family.replaced {
                Some(replaced) => format!("{} (replaces {replaced})", family.source),
                None => family.source.to_string(),
            };
            out.push_str(&format!(
                "{:width$}  {:16}  {:>5}  {:>5}  {source}\n",
                family.family,
                family.schema.unwrap_or("(does not load)"),
                family.ops,
                family.attribute_sets,
            ));
        }
        let from_files = listed
            .iter()
            .filter(|f| matches!(f.source, Source::File(_)))
            .count();
        out.push_str(&format!(
            "{} families: {} built-in, {from_files} from spec directories\n",
            listed.len(),
            listed.len() - from_files
        ));
    }
    print!("{out}");
    let errors: Vec<String> = dir_errors
        .iter()
        .map(ToString::to_string)
        .chain(
            listed
                .iter()
                .filter_map(|f| f.error.as_ref().map(ToString::to_string)),
        )
        .collect();
    for error in &errors {
        eprintln!("nlscope: spec {error}");
    }
    anyhow::ensure!(
        errors.is_empty(),
        "{} spec{} did not load (see above); the others did",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    Ok(())
}
