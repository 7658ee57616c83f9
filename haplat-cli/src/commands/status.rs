//! `haplat status`.

use clap::Args;

use super::args::{AssemblyArgs, AwsArgs, OutputFormat};
#[cfg(feature = "aws")]
use crate::error::{Error, exit};
#[cfg(feature = "aws")]
use crate::ops::{StatusOptions, status};

/// `haplat status [STACK…]`
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Only these stack sets (default: the assembly's, or every stack set when there is no
    /// assembly).
    pub stacks: Vec<String>,
    /// Where the assembly comes from (never synthesized here).
    #[command(flatten)]
    pub assembly: AssemblyArgs,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// The output's format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// Runs `status`.
#[cfg(feature = "aws")]
pub async fn run(args: StatusArgs) -> Result<u8, Error> {
    let json = args.format == OutputFormat::Json;
    status(&StatusOptions { stacks: args.stacks, source: args.assembly.source(), aws: args.aws.access(), json })
        .await?;
    Ok(exit::OK)
}
