//! `haplat destroy`.

use clap::Args;

use super::args::{AssemblyArgs, AwsArgs};
#[cfg(feature = "aws")]
use crate::error::{Error, exit};
#[cfg(feature = "aws")]
use crate::ops::{DestroyOptions, destroy};

/// `haplat destroy [STACK…] [--yes]`
#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Only these stacks (all when none).
    pub stacks: Vec<String>,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Plain progress lines even on a terminal.
    #[arg(long)]
    pub plain: bool,
    /// Remove the app's lock in the bootstrap bucket, left by a run that is gone (its holder is
    /// printed), before taking it.
    #[arg(long)]
    pub force_unlock: bool,
    /// Where the assembly comes from.
    #[command(flatten)]
    pub assembly: AssemblyArgs,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Runs `destroy`.
#[cfg(feature = "aws")]
pub async fn run(args: DestroyArgs) -> Result<u8, Error> {
    destroy(&DestroyOptions {
        stacks: args.stacks,
        yes: args.yes,
        plain: args.plain,
        force_unlock: args.force_unlock,
        source: args.assembly.source(),
        aws: args.aws.access(),
    })
    .await?;
    Ok(exit::OK)
}
