//! `haplat db status`, `haplat db switchover` and `haplat db failover`.

use std::time::Duration;

use clap::{Args, Subcommand};

use super::args::{AssemblyArgs, AwsArgs, OutputFormat, parse_duration};
use crate::error::Error;
#[cfg(feature = "aws")]
use crate::error::exit;
#[cfg(feature = "aws")]
use crate::ops::db::{DbMoveOptions, DbStatusOptions, Promotion, db_move, db_status};

/// `haplat db status|switchover|failover`
#[derive(Debug, Args)]
pub struct DbArgs {
    /// What to do with the Aurora global database.
    #[command(subcommand)]
    pub command: DbCommand,
}

/// The `db` subcommands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Each region's cluster as AWS sees it (writer or reader, synchronization, replication
    /// lag) beside the template's primary; exit 9 when the writer is not the template's primary.
    Status(DbStatusArgs),
    /// Planned move of the writer to REGION, no data lost (RDS SwitchoverGlobalCluster); waits
    /// until REGION is the writer.
    Switchover(DbMoveArgs),
    /// Unplanned move of the writer to REGION (RDS FailoverGlobalCluster with AllowDataLoss:
    /// writes not yet replicated there are lost); needs --allow-data-loss.
    Failover(DbFailoverArgs),
}

/// `haplat db status`
#[derive(Debug, Args)]
pub struct DbStatusArgs {
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

/// `haplat db switchover --to REGION [--timeout 30m]`
#[derive(Debug, Args)]
pub struct DbMoveArgs {
    /// The region whose cluster becomes the writer.
    #[arg(long, value_name = "REGION")]
    pub to: String,
    /// How long to wait for REGION to be the writer and the global database available (`90s`,
    /// `30m`).
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_duration)]
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

/// `haplat db failover --to REGION --allow-data-loss [--timeout 30m]`
#[derive(Debug, Args)]
pub struct DbFailoverArgs {
    /// Accept losing the writes the target region has not replicated yet (required).
    #[arg(long)]
    pub allow_data_loss: bool,
    /// The region, its cluster and the rest.
    #[command(flatten)]
    pub target: DbMoveArgs,
}

impl DbCommand {
    /// What is wrong with the arguments before anything is read: a failover without
    /// `--allow-data-loss`.
    pub fn refusal(&self) -> Option<Error> {
        match self {
            DbCommand::Failover(a) if !a.allow_data_loss => Some(Error::Usage(format!(
                "haplat db failover --to {}: writes not yet replicated to {} are lost; pass --allow-data-loss to \
                 accept that, or use `haplat db switchover` (planned, no data loss) while the primary region is up",
                a.target.to, a.target.to
            ))),
            _ => None,
        }
    }
}

/// Runs `db`: `status` exits 9 when the writer is not the template's primary; `switchover` and
/// `failover` exit 10 when the target was not the writer within `--timeout`, 11 when the move
/// took longer than the environment's `dbFailoverSeconds`.
#[cfg(feature = "aws")]
pub async fn run(args: DbArgs) -> Result<u8, Error> {
    if let Some(e) = args.command.refusal() {
        return Err(e);
    }
    let (a, how) = match args.command {
        DbCommand::Status(a) => {
            let s = db_status(&DbStatusOptions {
                source: a.assembly.source(),
                aws: a.aws.access(),
                json: a.format == OutputFormat::Json,
            })
            .await?;
            return Ok(if s.agrees { exit::OK } else { exit::DRIFTED });
        }
        DbCommand::Switchover(a) => (a, Promotion::Switchover),
        DbCommand::Failover(a) => (a.target, Promotion::Failover),
    };
    let timeline = db_move(&DbMoveOptions {
        to: a.to,
        how,
        timeout: a.timeout,
        source: a.assembly.source(),
        aws: a.aws.access(),
        json: a.format == OutputFormat::Json,
    })
    .await?;
    Ok(if !timeline.settled {
        exit::UNHEALTHY
    } else if timeline.objective_missed {
        exit::OBJECTIVE_MISSED
    } else {
        exit::OK
    })
}
