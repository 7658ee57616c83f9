//! `haplat failover` and `haplat failback`: a region's calculated health check forced unhealthy,
//! or put back to the template's settings ([`crate::failover`]); the timeline printed as text or
//! JSON.

use std::time::Duration;

use crate::error::Error;
pub use crate::failover::Move;
use crate::failover::{Timeline, Wait, run_with};
use crate::health::Retry;
use crate::ops::input::{AssemblySource, AwsAccess};

/// What `failover` or `failback` moves.
#[derive(Clone, Debug)]
pub struct FailoverOptions {
    /// The regions to take out or put back.
    pub what: Move,
    /// The longest wait for Route 53 to agree.
    pub timeout: Duration,
    /// Where the assembly comes from.
    pub source: AssemblySource,
    /// How to reach AWS.
    pub aws: AwsAccess,
    /// Print JSON instead of text.
    pub json: bool,
}

/// Which regions `--from`/`--to` name: `--to R` takes every other region of the assembly out.
pub fn regions_out(all: &[String], from: &[String], to: Option<&str>) -> Vec<String> {
    match to {
        Some(to) => all.iter().filter(|r| r.as_str() != to).cloned().collect(),
        None => from.to_vec(),
    }
}

/// Moves traffic; returns the timeline (`settled` says the exit code).
pub async fn failover(opts: &FailoverOptions) -> Result<Timeline, Error> {
    let assembly = opts.source.load()?;
    let aws = opts.aws.connect().await?;
    // From here on Route 53 changes: a closed stdout must not stop the wait half-way.
    crate::output::finish_on_broken_pipe();
    let wait = Wait { timeout: opts.timeout, ..Wait::default() };
    let timeline = run_with(&aws, &aws, &aws, &assembly, &opts.what, &wait, &Retry::default()).await?;
    if opts.json {
        crate::outln!("{}", serde_json::to_string_pretty(&timeline).expect("a timeline serializes"));
    } else {
        crate::out!("{}", timeline.text());
    }
    Ok(timeline)
}
