//! `haplat bootstrap`.

use clap::Args;

use super::args::{AssemblyArgs, AwsArgs};
#[cfg(feature = "aws")]
use crate::error::{Error, exit};
#[cfg(feature = "aws")]
use crate::ops::{BootstrapOptions, bootstrap};

/// `haplat bootstrap [--regions a,b]`
#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// The regions stack instances will go to (comma-separated or repeated; default: the
    /// assembly's regions, else the administration region). Added to those already
    /// bootstrapped.
    #[arg(long, value_delimiter = ',', value_name = "REGION")]
    pub regions: Vec<String>,
    /// Also create the role API Gateway needs to write stage logs (trusting
    /// apigateway.amazonaws.com, with AmazonAPIGatewayPushToCloudWatchLogs) and set it in each
    /// region's API Gateway settings where none is set; a role already set is kept.
    #[arg(long)]
    pub apigateway_logs_role: bool,
    /// Bootstrap this account as a target of self-managed stack sets deployed from the
    /// administration account ID: the execution role and the outputs reader role, both trusting
    /// it (run once per target account, with that account's credentials, e.g. `--profile`).
    #[arg(long, value_name = "ID")]
    pub admin_account: Option<String>,
    /// Where the assembly comes from (only to default --regions).
    #[command(flatten)]
    pub assembly: AssemblyArgs,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Runs `bootstrap`.
#[cfg(feature = "aws")]
pub async fn run(args: BootstrapArgs) -> Result<u8, Error> {
    bootstrap(&BootstrapOptions {
        regions: args.regions,
        source: args.assembly.source(),
        apigateway_logs_role: args.apigateway_logs_role,
        admin_account: args.admin_account,
        aws: args.aws.access(),
    })
    .await?;
    Ok(exit::OK)
}
