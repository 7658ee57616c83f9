//! `haplat db status`, `haplat db switchover` and `haplat db failover`: the assembly's Aurora
//! global database as AWS sees it, and moving its writer ([`crate::db`]); printed as text or
//! JSON.

use std::time::Duration;

use crate::assembly::Assembly;
pub use crate::database::Promotion;
use crate::db::{DbStatus, Layout, Timeline, Wait, database_stack, locate, promote, status};
use crate::error::Error;
use crate::health::Retry;
use crate::ops::input::{AssemblySource, AwsAccess};
use crate::sdk::Aws;

/// What `db status` reads.
#[derive(Clone, Debug)]
pub struct DbStatusOptions {
    /// Where the assembly comes from.
    pub source: AssemblySource,
    /// How to reach AWS.
    pub aws: AwsAccess,
    /// Print JSON instead of text.
    pub json: bool,
}

/// What `db switchover` or `db failover` moves.
#[derive(Clone, Debug)]
pub struct DbMoveOptions {
    /// The region whose cluster becomes the writer.
    pub to: String,
    /// Switchover or failover.
    pub how: Promotion,
    /// The longest wait for the new writer.
    pub timeout: Duration,
    /// Where the assembly comes from.
    pub source: AssemblySource,
    /// How to reach AWS.
    pub aws: AwsAccess,
    /// Print JSON instead of text.
    pub json: bool,
}

async fn layout(
    source: &AssemblySource,
    access: &AwsAccess,
    to: Option<&str>,
) -> Result<(Assembly, Aws, Layout), Error> {
    let assembly = source.load()?;
    let Some((stack, regions)) = database_stack(&assembly) else {
        return Err(Error::Usage(format!(
            "the assembly of {} has no Aurora global database (AWS::RDS::GlobalCluster)",
            assembly.manifest.app
        )));
    };
    if let Some(to) = to
        && !regions.iter().any(|r| r == to)
    {
        return Err(Error::Usage(format!(
            "--to {to}: not a region of stack set {stack}, which holds the Aurora global database (regions: {})",
            regions.join(", ")
        )));
    }
    let aws = access.connect().await?;
    let Some(layout) = locate(&aws, &aws, &assembly, &Retry::default()).await? else {
        return Err(Error::Usage(format!(
            "the assembly of {} has no Aurora global database (AWS::RDS::GlobalCluster)",
            assembly.manifest.app
        )));
    };
    Ok((assembly, aws, layout))
}

/// Reads the global database and prints it; the status says the exit code (`agrees`).
pub async fn db_status(opts: &DbStatusOptions) -> Result<DbStatus, Error> {
    let (_, aws, layout) = layout(&opts.source, &opts.aws, None).await?;
    let s = status(&aws, &layout, &Retry::default()).await?;
    if opts.json {
        crate::outln!("{}", serde_json::to_string_pretty(&s).expect("a status serializes"));
    } else {
        crate::out!("{}", s.text());
    }
    Ok(s)
}

/// Moves the writer and prints the timeline (`settled`, `objective_missed` say the exit code).
pub async fn db_move(opts: &DbMoveOptions) -> Result<Timeline, Error> {
    let (assembly, aws, layout) = layout(&opts.source, &opts.aws, Some(&opts.to)).await?;
    // From here on RDS may change: a closed stdout must not stop the wait half-way.
    crate::output::finish_on_broken_pipe();
    let objective = assembly.manifest.objectives.as_ref().and_then(|o| o.db_failover_seconds);
    let wait = Wait { timeout: opts.timeout, ..Wait::default() };
    let timeline = promote(&aws, &layout, &opts.to, opts.how, &wait, objective, &Retry::default()).await?;
    if opts.json {
        crate::outln!("{}", serde_json::to_string_pretty(&timeline).expect("a timeline serializes"));
    } else {
        crate::out!("{}", timeline.text());
    }
    Ok(timeline)
}
