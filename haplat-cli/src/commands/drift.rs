//! `haplat drift`.

use clap::Args;

use super::args::{AssemblyArgs, AwsArgs, OutputFormat};
#[cfg(feature = "aws")]
use crate::error::{Error, exit};
#[cfg(feature = "aws")]
use crate::ops::{DriftOptions, drift};

/// `haplat drift [STACK…] [--format text|json]`
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Only these stack sets (all of the assembly's when none).
    pub stacks: Vec<String>,
    /// Where the assembly comes from (its construct paths name the drifted resources).
    #[command(flatten)]
    pub assembly: AssemblyArgs,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// The output's format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// Runs `drift`: exit code 9 when a resource drifted.
#[cfg(feature = "aws")]
pub async fn run(args: DriftArgs) -> Result<u8, Error> {
    let drifted = drift(&DriftOptions {
        stacks: args.stacks,
        source: args.assembly.source(),
        aws: args.aws.access(),
        json: args.format == OutputFormat::Json,
        waits: None,
    })
    .await?;
    Ok(if drifted { exit::DRIFTED } else { exit::OK })
}
