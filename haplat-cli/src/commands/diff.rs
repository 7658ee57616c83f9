//! `haplat diff`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::args::{AssemblyArgs, AwsArgs};
#[cfg(feature = "aws")]
use crate::error::{Error, exit};
#[cfg(feature = "aws")]
use crate::ops::{DiffFormat, DiffOptions, diff};

/// Output format.
#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum Format {
    /// Text for a terminal.
    #[default]
    Text,
    /// Markdown for a pull-request comment or job summary (marker first line, within 65,536
    /// characters).
    Markdown,
    /// JSON (docs/cli.md describes the document).
    Json,
}

/// `haplat diff [STACK…] [--fail] [--against DIR] [--format text|markdown|json]`
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Only these stacks (all when none).
    pub stacks: Vec<String>,
    /// Exit with code 3 when anything differs.
    #[arg(long)]
    pub fail: bool,
    /// Compare with another assembly directory instead of what is deployed (offline).
    #[arg(long, value_name = "DIR")]
    pub against: Option<PathBuf>,
    /// Only these regions (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "REGION")]
    pub regions: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Where the assembly comes from.
    #[command(flatten)]
    pub assembly: AssemblyArgs,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Runs `diff`: exit code 3 when anything differs and `--fail` is given.
#[cfg(feature = "aws")]
pub async fn run(args: DiffArgs) -> Result<u8, Error> {
    let format = match args.format {
        Format::Text => DiffFormat::Text,
        Format::Markdown => DiffFormat::Markdown,
        Format::Json => DiffFormat::Json,
    };
    let differ = diff(&DiffOptions {
        format,
        stacks: args.stacks,
        against: args.against,
        regions: args.regions,
        source: args.assembly.source(),
        aws: args.aws.access(),
    })
    .await?;
    Ok(if differ && args.fail { exit::DIFFERENCES } else { exit::OK })
}
