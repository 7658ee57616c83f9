//! `haplat restore-test`.

use clap::{Args, ValueEnum};

use super::args::{AssemblyArgs, AwsArgs, OutputFormat, parse_duration};
#[cfg(feature = "aws")]
use crate::error::Error;
#[cfg(feature = "aws")]
use crate::ops::{
    RestoreResource, RestoreSettings, RestoreTestOptions, cluster_report_exit, report_exit, restore_test,
    restore_test_aurora,
};

/// Exit codes of `restore-test`.
pub const RESTORE_TEST_EXIT_CODES: &str = "\
Exit codes:
  0  the latest recovery point restored into a scratch table (ACTIVE, the source's key schema),
     or with --resource aurora into a scratch cluster (available, the source's engine and
     version, a new DB instance available), which was valid and deleted, within the RTO
  1  failed: the restore job failed or timed out, the table or cluster was not valid, the RTO
     was missed, or the scratch copy could not be deleted (the report says which and how to
     delete it); or, before any restore, no table or cluster, no recovery point, or a call AWS
     refused
  2  usage: bad flags, or the table, cluster, vault or role cannot be found from the assembly
  4  AWS unusable: no or expired credentials, endpoint unreachable";

/// What `restore-test` restores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ResourceArg {
    /// The app's DynamoDB table.
    #[default]
    Table,
    /// The app's Aurora cluster.
    Aurora,
}

/// `haplat restore-test [--resource table|aurora] [--table NAME | --cluster ID] [--in REGION]
/// [--vault NAME]`
#[derive(Debug, Args)]
pub struct RestoreTestArgs {
    /// What to restore: the app's DynamoDB table, or its Aurora cluster (restored into a scratch
    /// cluster, which gets one DB instance to prove it usable).
    #[arg(long, value_enum, default_value_t)]
    pub resource: ResourceArg,
    /// The DynamoDB table to restore (default: the assembly's only DynamoDB table, as deployed
    /// in the region).
    #[arg(long, value_name = "NAME")]
    pub table: Option<String>,
    /// With --resource aurora: the Aurora cluster to restore (default: the assembly's Aurora
    /// cluster in the region, as deployed).
    #[arg(long, value_name = "ID")]
    pub cluster: Option<String>,
    /// With --resource aurora: the scratch DB instance's class (default: the source writer's).
    #[arg(long, value_name = "CLASS")]
    pub instance_class: Option<String>,
    /// The region whose backups are restored, in that region (default: the first region of
    /// the table's stack; for Aurora, its global database's primary region).
    #[arg(long = "in", value_name = "REGION")]
    pub in_region: Option<String>,
    /// The backup vault (default: the assembly's only vault name).
    #[arg(long, value_name = "NAME")]
    pub vault: Option<String>,
    /// The IAM role AWS Backup restores with (default: the role that made the recovery point,
    /// the backup plan's, which has AWS's restore policy).
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,
    /// The recovery time objective to measure the restore against: seconds (900), minutes
    /// (15m) or hours (1h).
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration)]
    pub rto: std::time::Duration,
    /// How long to wait for the restore job and the table (or cluster and its instance) before
    /// giving up (the scratch copy is cleaned up either way).
    #[arg(long, value_name = "MINUTES", default_value_t = 60)]
    pub timeout_minutes: u64,
    /// Seconds between two reads of the restore job.
    #[arg(long, value_name = "SECONDS", default_value_t = 15)]
    pub poll_seconds: u64,
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

/// Runs `restore-test`.
#[cfg(feature = "aws")]
pub async fn run(args: RestoreTestArgs) -> Result<u8, Error> {
    if args.timeout_minutes == 0 {
        return Err(Error::Usage("--timeout-minutes must be at least 1".into()));
    }
    if args.resource == ResourceArg::Table {
        for (flag, given) in [("--cluster", &args.cluster), ("--instance-class", &args.instance_class)] {
            if given.is_some() {
                return Err(Error::Usage(format!(
                    "{flag} is for an Aurora restore test: pass --resource aurora with it"
                )));
            }
        }
    }
    let mut settings = RestoreSettings::new(args.rto);
    settings.timeout = std::time::Duration::from_secs(args.timeout_minutes * 60);
    settings.poll = std::time::Duration::from_secs(args.poll_seconds);
    let opts = RestoreTestOptions {
        source: args.assembly.source(),
        aws: args.aws.access(),
        resource: match args.resource {
            ResourceArg::Table => RestoreResource::Table,
            ResourceArg::Aurora => RestoreResource::Aurora,
        },
        table: args.table,
        cluster: args.cluster,
        instance_class: args.instance_class,
        region: args.in_region,
        vault: args.vault,
        role_arn: args.role_arn,
        settings,
        json: args.format == OutputFormat::Json,
    };
    match opts.resource {
        RestoreResource::Table => Ok(report_exit(&restore_test(&opts).await?)),
        RestoreResource::Aurora => Ok(cluster_report_exit(&restore_test_aurora(&opts).await?)),
    }
}
