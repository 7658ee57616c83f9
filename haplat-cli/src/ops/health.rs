//! `haplat health`: the deployed platform's health per region ([`crate::health`]), printed as
//! text or JSON. `haplat deploy` runs it after a successful deploy unless `--no-health`.

use crate::error::Error;
use crate::health::{HealthReport, Only, Retry, health as read, text};
use crate::ops::input::{AssemblySource, AwsAccess};

/// What `health` reads.
#[derive(Clone, Debug, Default)]
pub struct HealthOptions {
    /// Only these stack sets (all of the assembly's when none).
    pub stacks: Vec<String>,
    /// Where the assembly comes from.
    pub source: AssemblySource,
    /// How to reach AWS.
    pub aws: AwsAccess,
    /// Print JSON instead of text.
    pub json: bool,
}

/// Reads and prints the platform's health; returns the report (`healthy` says the exit code).
pub async fn health(opts: &HealthOptions) -> Result<HealthReport, Error> {
    let assembly = opts.source.load()?;
    let aws = opts.aws.connect().await?;
    let report =
        read(&aws, &aws, &assembly, &Only { stacks: opts.stacks.clone(), ..Only::default() }, &Retry::default())
            .await?;
    print(&report, opts.json);
    Ok(report)
}

/// Prints a report.
pub fn print(report: &HealthReport, json: bool) {
    if json {
        crate::outln!("{}", serde_json::to_string_pretty(report).expect("a health report serializes"));
    } else {
        crate::out!("{}", text(report));
    }
}
