//! `haplat check`.

use clap::{Args, ValueEnum};

use super::args::AssemblyArgs;
use crate::error::Error;
use crate::ops::{CheckOptions, check};

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// One line per finding, naming the construct path, then a summary.
    #[default]
    Text,
    /// The findings as JSON.
    Json,
    /// SARIF 2.1.0, what code-scanning tools in CI read.
    Sarif,
}

/// `haplat check [--format text|json|sarif] [--explain ID] [--rules]`
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Where the assembly comes from.
    #[command(flatten)]
    pub assembly: AssemblyArgs,
    /// The report's format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Print one rule (`HAP001`): what AWS requires, its documentation, the fix.
    #[arg(long, value_name = "ID", conflicts_with = "rules")]
    pub explain: Option<String>,
    /// List every rule.
    #[arg(long)]
    pub rules: bool,
    /// A previous assembly directory (the last release's `haplat.out`) to compare with: the
    /// rules about changes (HAP007) need it; `haplat deploy` compares with what is deployed.
    #[arg(long, value_name = "DIR")]
    pub baseline: Option<std::path::PathBuf>,
}

/// Runs `check`.
pub fn run(args: CheckArgs) -> Result<u8, Error> {
    let format = match args.format {
        Format::Text => haplat_check::Format::Text,
        Format::Json => haplat_check::Format::Json,
        Format::Sarif => haplat_check::Format::Sarif,
    };
    check(&CheckOptions {
        source: args.assembly.source(),
        format,
        explain: args.explain,
        rules: args.rules,
        baseline: args.baseline,
    })
}
