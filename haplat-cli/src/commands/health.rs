//! `haplat health`.

use clap::Args;

use super::args::{AssemblyArgs, AwsArgs, OutputFormat};
#[cfg(feature = "aws")]
use crate::error::{Error, exit};
#[cfg(feature = "aws")]
use crate::ops::{HealthOptions, health};

/// `haplat health [STACK…] [--env E] [--format text|json]`
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Only these stack sets (all of the assembly's when none).
    pub stacks: Vec<String>,
    /// Where the assembly comes from (its stacks, regions and construct paths).
    #[command(flatten)]
    pub assembly: AssemblyArgs,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// The output's format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// Runs `health`: exit code 10 when anything is unhealthy.
#[cfg(feature = "aws")]
pub async fn run(args: HealthArgs) -> Result<u8, Error> {
    let report = health(&HealthOptions {
        stacks: args.stacks,
        source: args.assembly.source(),
        aws: args.aws.access(),
        json: args.format == OutputFormat::Json,
    })
    .await?;
    Ok(if report.healthy { exit::OK } else { exit::UNHEALTHY })
}
