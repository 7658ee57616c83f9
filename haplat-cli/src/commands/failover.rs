//! `haplat failover` and `haplat failback`.

use std::time::Duration;

use clap::Args;

use super::args::{AssemblyArgs, AwsArgs, OutputFormat, parse_duration};
#[cfg(feature = "aws")]
use crate::error::{Error, exit};
#[cfg(feature = "aws")]
use crate::ops::failover::Move;
#[cfg(feature = "aws")]
use crate::ops::{FailoverOptions, failover};

/// `haplat failover --from REGION… | --to REGION [--timeout 10m]`
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["from", "to"]))]
pub struct FailoverArgs {
    /// Take this region out of DNS (repeatable).
    #[arg(long, value_name = "REGION")]
    pub from: Vec<String>,
    /// Send all traffic to this region: take every other region out.
    #[arg(long, value_name = "REGION", conflicts_with = "from")]
    pub to: Option<String>,
    /// How long to wait for Route 53 to report the region(s) unhealthy (`90s`, `10m`).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Where the assembly comes from.
    #[command(flatten)]
    pub assembly: AssemblyArgs,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// The output's format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// `haplat failback [REGION…] [--timeout 10m]`
#[derive(Debug, Args)]
pub struct FailbackArgs {
    /// Put these regions back (default: every region taken out).
    pub regions: Vec<String>,
    /// How long to wait for Route 53 to report the region(s) healthy (`90s`, `10m`).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Where the assembly comes from.
    #[command(flatten)]
    pub assembly: AssemblyArgs,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// The output's format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// Runs `failover`: exit code 5 when it would leave no healthy region, 10 when Route 53 did not
/// agree within `--timeout`.
#[cfg(feature = "aws")]
pub async fn run(args: FailoverArgs) -> Result<u8, Error> {
    let what = match &args.to {
        Some(to) => {
            let all: Vec<String> = args.assembly.source().load()?.regions().into_iter().collect();
            if !all.contains(to) {
                return Err(Error::Usage(format!(
                    "--to {to}: not a region of the assembly (regions: {})",
                    all.join(", ")
                )));
            }
            Move::Out(crate::ops::failover::regions_out(&all, &[], Some(to)))
        }
        None => Move::Out(args.from.clone()),
    };
    let timeline = failover(&FailoverOptions {
        what,
        timeout: args.timeout,
        source: args.assembly.source(),
        aws: args.aws.access(),
        json: args.format == OutputFormat::Json,
    })
    .await?;
    Ok(if timeline.settled { exit::OK } else { exit::UNHEALTHY })
}

/// Runs `failback`: exit code 10 when Route 53 did not report the region(s) healthy within
/// `--timeout` (the settings are put back all the same).
#[cfg(feature = "aws")]
pub async fn run_failback(args: FailbackArgs) -> Result<u8, Error> {
    let timeline = failover(&FailoverOptions {
        what: Move::Back(args.regions),
        timeout: args.timeout,
        source: args.assembly.source(),
        aws: args.aws.access(),
        json: args.format == OutputFormat::Json,
    })
    .await?;
    Ok(if timeline.settled { exit::OK } else { exit::UNHEALTHY })
}
