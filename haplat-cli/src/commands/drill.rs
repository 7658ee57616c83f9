//! `haplat drill`.

use std::time::Duration;

use clap::Args;

use super::args::{AssemblyArgs, OutputFormat, parse_duration};
#[cfg(feature = "aws")]
use crate::error::{Error, exit};
#[cfg(feature = "aws")]
use crate::ops::{AwsAccess, DrillOptions, drill};

/// `haplat drill [EXPERIMENT] --region REGION [--max-duration 15m]`
#[derive(Debug, Args)]
pub struct DrillArgs {
    /// The experiment to run: its `Name` tag, logical id or construct path (none: list them).
    pub experiment: Option<String>,
    /// The region whose experiment templates are listed or run.
    #[arg(long, value_name = "REGION")]
    pub region: String,
    /// Stop the experiment (StopExperiment) after this long (`90s`, `15m`, `1h`).
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration)]
    pub max_duration: Duration,
    /// After the experiment ends, how long to wait for the region to be healthy again.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub recovery: Duration,
    /// Where the assembly comes from.
    #[command(flatten)]
    pub assembly: AssemblyArgs,
    /// The AWS profile (default: the standard chain).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// The administration region, where the stack sets live (default: AWS_REGION or the
    /// profile's).
    #[arg(long, value_name = "REGION")]
    pub admin_region: Option<String>,
    /// The output's format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// Runs `drill`: exit code 11 when failover took longer than `appFailoverSeconds`, 10 when the
/// region did not recover.
#[cfg(feature = "aws")]
pub async fn run(args: DrillArgs) -> Result<u8, Error> {
    let report = drill(&DrillOptions {
        experiment: args.experiment,
        region: args.region,
        max_duration: args.max_duration,
        recovery: args.recovery,
        source: args.assembly.source(),
        aws: AwsAccess { profile: args.profile, region: args.admin_region, ..Default::default() },
        json: args.format == OutputFormat::Json,
    })
    .await?;
    Ok(match report.map(|r| r.verdict) {
        Some(v) if v == "missed" => exit::OBJECTIVE_MISSED,
        Some(v) if v == "not recovered" => exit::UNHEALTHY,
        _ => exit::OK,
    })
}
