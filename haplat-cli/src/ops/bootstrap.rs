//! `haplat bootstrap`: creates or updates the bootstrap stack ([`crate::bootstrap`]) for the
//! regions asked for (default: the assembly's), and prints what it holds.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::bootstrap::{ADMIN_ROLE, Outcome, RoleOrigin, STACK_NAME};
use crate::error::Error;
use crate::ops::input::{AssemblySource, AwsAccess};

/// What `bootstrap` covers.
#[derive(Clone, Debug, Default)]
pub struct BootstrapOptions {
    /// The regions stack instances will go to (default: the assembly's, else the
    /// administration region).
    pub regions: Vec<String>,
    /// Where the assembly comes from (only to default `regions`).
    pub source: AssemblySource,
    /// How to reach AWS.
    pub aws: AwsAccess,
}

/// Bootstraps.
pub async fn bootstrap(opts: &BootstrapOptions) -> Result<(), Error> {
    // A closed stdout must not stop the bootstrap half-way.
    crate::output::finish_on_broken_pipe();
    let aws = opts.aws.connect().await?;
    let mut regions: BTreeSet<String> = opts.regions.iter().cloned().collect();
    if regions.is_empty() {
        // Default: every region of the app (synthesized if there is an app).
        match opts.source.load() {
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
    let (outcome, b, roles) = crate::bootstrap::bootstrap(&aws, aws.region(), &regions, Duration::from_secs(2)).await?;
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
    Ok(())
}
