//! `haplat restore-test`.

use clap::Args;

use super::args::{AssemblyArgs, AwsArgs, OutputFormat, parse_duration};
#[cfg(feature = "aws")]
use crate::error::Error;
#[cfg(feature = "aws")]
use crate::ops::{RestoreSettings, RestoreTestOptions, report_exit, restore_test};

/// Exit codes of `restore-test`.
pub const RESTORE_TEST_EXIT_CODES: &str = "\
Exit codes:
  0  the latest recovery point restored into a scratch table, which was valid (ACTIVE, the
     source's key schema) and deleted, within the RTO
  1  failed: the restore job failed or timed out, the table was not valid, the RTO was missed,
     or the scratch table could not be deleted (the report says which and how to delete it);
     or, before any restore, no table, no recovery point, or a call AWS refused
  2  usage: bad flags, or the table, vault or role cannot be found from the assembly
  4  AWS unusable: no or expired credentials, endpoint unreachable";

/// `haplat restore-test [--table NAME] [--in REGION] [--vault NAME]`
#[derive(Debug, Args)]
pub struct RestoreTestArgs {
    /// The DynamoDB table to restore (default: the assembly's only DynamoDB table, as deployed
    /// in the region).
    #[arg(long, value_name = "NAME")]
    pub table: Option<String>,
    /// The region whose backups are restored, in that region (default: the first region of
    /// the table's stack).
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
    /// How long to wait for the restore job and the table before giving up (the scratch
    /// table is cleaned up either way).
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
    let mut settings = RestoreSettings::new(args.rto);
    settings.timeout = std::time::Duration::from_secs(args.timeout_minutes * 60);
    settings.poll = std::time::Duration::from_secs(args.poll_seconds);
    let opts = RestoreTestOptions {
        source: args.assembly.source(),
        aws: args.aws.access(),
        table: args.table,
        region: args.in_region,
        vault: args.vault,
        role_arn: args.role_arn,
        settings,
        json: args.format == OutputFormat::Json,
    };
    let report = restore_test(&opts).await?;
    Ok(report_exit(&report))
}
