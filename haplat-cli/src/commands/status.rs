//! `haplat status`.

use clap::Args;

use super::args::{AssemblyArgs, AwsArgs};
use crate::error::{Error, exit};
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
}

/// Runs `status`.
pub async fn run(args: StatusArgs) -> Result<u8, Error> {
    status(&StatusOptions { stacks: args.stacks, source: args.assembly.source(), aws: args.aws.access() }).await?;
    Ok(exit::OK)
}
