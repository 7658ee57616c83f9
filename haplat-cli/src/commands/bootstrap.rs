//! `haplat bootstrap`.

use std::collections::BTreeSet;
use std::time::Duration;

use clap::Args;

use super::{AssemblyArgs, AwsArgs};
use crate::bootstrap::{ADMIN_ROLE, Outcome, RoleOrigin, STACK_NAME, bootstrap};
use crate::error::{Error, exit};

/// `haplat bootstrap [--regions a,b]`
#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// The regions stack instances will go to (comma-separated or repeated; default: the
    /// assembly's regions, else the administration region). Added to those already
    /// bootstrapped.
    #[arg(long, value_delimiter = ',', value_name = "REGION")]
    pub regions: Vec<String>,
    /// Where the assembly comes from (only to default --regions).
    #[command(flatten)]
    pub assembly: AssemblyArgs,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Runs `bootstrap`.
pub async fn run(args: BootstrapArgs) -> Result<u8, Error> {
    // A closed stdout must not stop the bootstrap half-way.
    crate::output::finish_on_broken_pipe();
    let aws = args.aws.connect().await?;
    let mut regions: BTreeSet<String> = args.regions.iter().cloned().collect();
    if regions.is_empty() {
        // Default: every region of the app (synthesized if there is an app).
        match args.assembly.load() {
            Ok(a) => regions = a.regions(),
            Err(e) => crate::errln!(
                "note: no assembly to take regions from ({}); bootstrapping {} only",
                e.to_string().lines().next().unwrap_or(""),
                aws.region()
            ),
        }
    }
    if regions.is_empty() {
        regions.insert(aws.region().to_owned());
    }
    let (outcome, b, roles) = bootstrap(&aws, aws.region(), &regions, Duration::from_secs(2)).await?;
    let origin = |o: RoleOrigin| match o {
        RoleOrigin::Created => "",
        RoleOrigin::Adopted => ", adopted: it was there before; haplat uses it and leaves it alone",
    };
    let what = match outcome {
        Outcome::Created => "created",
        Outcome::Updated => "updated",
        Outcome::Unchanged => "already up to date",
    };
    crate::outln!("bootstrap stack {STACK_NAME} in {}: {what}", aws.region());
    crate::outln!("  account:              {}", b.account);
    crate::outln!("  regions:              {}", b.regions.join(", "));
    crate::outln!("  administration role:  {} ({}{})", ADMIN_ROLE, b.admin_role_arn, origin(roles.administration));
    crate::outln!(
        "  execution role:       {}{}",
        b.execution_role_name,
        match roles.execution {
            RoleOrigin::Created => String::new(),
            RoleOrigin::Adopted => format!(" ({})", origin(roles.execution).trim_start_matches(", ")),
        }
    );
    crate::outln!("  template bucket:      {}", b.bucket);
    Ok(exit::OK)
}
