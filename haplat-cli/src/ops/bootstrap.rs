//! `haplat bootstrap`: creates or updates the bootstrap stack ([`crate::bootstrap`]) for the
//! regions asked for (default: the assembly's), and prints what it holds.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::bootstrap::{ADMIN_ROLE, ApiGatewayRole, Outcome, RoleOrigin, STACK_NAME};
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
    /// Also make API Gateway's CloudWatch Logs role and set it where none is set.
    pub apigateway_logs_role: bool,
    /// Bootstrap a target account of this administration account instead
    /// ([`crate::bootstrap::bootstrap_target`]).
    pub admin_account: Option<String>,
    /// How to reach AWS.
    pub aws: AwsAccess,
}

/// Bootstraps.
pub async fn bootstrap(opts: &BootstrapOptions) -> Result<(), Error> {
    // A closed stdout must not stop the bootstrap half-way.
    crate::output::finish_on_broken_pipe();
    let aws = opts.aws.connect().await?;
    if let Some(admin) = &opts.admin_account {
        let outcome = crate::bootstrap::bootstrap_target(&aws, aws.region(), admin, Duration::from_secs(2)).await?;
        let what = match outcome {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "already up to date",
        };
        crate::outln!("target bootstrap stack {} in {}: {what}", crate::bootstrap::TARGET_STACK_NAME, aws.region());
        crate::outln!("  trusts administration account {admin}");
        crate::outln!("  execution role:       {}", crate::bootstrap::EXECUTION_ROLE);
        crate::outln!("  outputs reader role:  {}", crate::bindings::READ_ROLE_NAME);
        return Ok(());
    }
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
    let (outcome, b, roles) =
        crate::bootstrap::bootstrap(&aws, aws.region(), &regions, opts.apigateway_logs_role, Duration::from_secs(2))
            .await?;
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
    if opts.apigateway_logs_role {
        let Some(role) = &b.apigateway_logs_role else {
            return Err(Error::Failed(format!(
                "the bootstrap stack {STACK_NAME} has no {} output: run `haplat bootstrap --apigateway-logs-role` again",
                crate::bootstrap::APIGW_ROLE_OUTPUT
            )));
        };
        for (region, done) in crate::bootstrap::set_apigateway_logs_role(&aws, &regions, role).await? {
            match done {
                ApiGatewayRole::Set(arn) => crate::outln!("  API Gateway logs role in {region}: set to {arn}"),
                ApiGatewayRole::Kept(arn) => {
                    crate::outln!(
                        "  API Gateway logs role in {region}: {arn} (adopted: it was set before; left as it is)"
                    )
                }
            }
        }
    }
    Ok(())
}
