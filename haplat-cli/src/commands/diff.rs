//! `haplat diff`.

use std::path::PathBuf;

use clap::Args;

use super::args::{AssemblyArgs, AwsArgs};
use crate::error::{Error, exit};
use crate::ops::{DiffOptions, diff};

/// `haplat diff [STACK…] [--fail] [--against DIR]`
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
    /// Where the assembly comes from.
    #[command(flatten)]
    pub assembly: AssemblyArgs,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Runs `diff`: exit code 3 when anything differs and `--fail` is given.
pub async fn run(args: DiffArgs) -> Result<u8, Error> {
    let differ = diff(&DiffOptions {
        stacks: args.stacks,
        against: args.against,
        regions: args.regions,
        source: args.assembly.source(),
        aws: args.aws.access(),
    })
    .await?;
    Ok(if differ && args.fail { exit::DIFFERENCES } else { exit::OK })
}
