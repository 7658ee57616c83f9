//! `haplat deploy`.

use clap::Args;

use super::{AssemblyArgs, AwsArgs, confirm};
use crate::cfn::CloudFormation;
use crate::error::{Error, exit};
use crate::events::Collect;
use crate::executor::{ExecError, Executor, Waits};
use crate::plan::{PlanOptions, plan_deploy};
use crate::progress::Progress;
use crate::state::{diff_deployed, refuse_data_loss};

/// `haplat deploy [STACK…] [--regions …] [--yes] [--dry-run] [--allow-replace PATH]…`
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Only these stacks (all when none). Producers they read from must be deployed.
    pub stacks: Vec<String>,
    /// Only these regions (comma-separated or repeated). Instances elsewhere are left alone.
    #[arg(long, value_delimiter = ',', value_name = "REGION")]
    pub regions: Vec<String>,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print the plan (waves, operations, parameters) and stop, without calling AWS.
    #[arg(long)]
    pub dry_run: bool,
    /// Accept replacing or deleting this stateful resource (construct path, a prefix of one,
    /// or logical id; repeatable).
    #[arg(long, value_name = "PATH")]
    pub allow_replace: Vec<String>,
    /// Deploy regions in parallel (RegionConcurrencyType PARALLEL).
    #[arg(long)]
    pub parallel: bool,
    /// MaxConcurrentCount: accounts at once per region (haplat deploys to one account). Above
    /// the failure tolerance + 1, ConcurrencyMode SOFT_FAILURE_TOLERANCE is sent (CloudFormation
    /// refuses it under STRICT_FAILURE_TOLERANCE).
    #[arg(long, value_name = "N")]
    pub max_concurrent: Option<u32>,
    /// FailureToleranceCount: with one account, how many failures a region may have before the
    /// operation stops. With 1 or more, an operation can SUCCEED with regions FAILED: they are
    /// reported as warnings (without it, as an error).
    #[arg(long, value_name = "N")]
    pub failure_tolerance: Option<u32>,
    /// At most this many stack sets of one wave deploy at once (they do not depend on each
    /// other); waves still run one after the other.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
    /// Deploy over existing stack sets that lack haplat's ownership tag `haplat:app` (or carry
    /// another app's): they are taken over and tagged.
    #[arg(long)]
    pub adopt: bool,
    /// Plain progress lines even on a terminal.
    #[arg(long)]
    pub plain: bool,
    /// Where the assembly comes from.
    #[command(flatten)]
    pub assembly: AssemblyArgs,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// The first call that failed for want of AWS access.
fn first_access(e: &ExecError) -> Option<(&str, &str, &crate::cfn::CfnError)> {
    match e {
        ExecError::Call { stack, what, source } if source.is_access() => Some((stack, what, source)),
        ExecError::Several(all) => all.iter().find_map(first_access),
        _ => None,
    }
}

/// Turns an executor error into the CLI's, with what was done before it and what was not
/// started.
pub fn exec_error<C: CloudFormation>(verb: &str, e: ExecError, exec: &Executor<'_, C>, all: &[String]) -> Error {
    // AWS unusable (credentials, endpoint), in any stack set of a wave: exit 4.
    if e.is_access()
        && let Some((stack, what, source)) = first_access(&e)
    {
        return Error::cloud(format!("{stack}: {what}"), source.clone());
    }
    if let ExecError::Refused { .. } = &e
        && exec.done().is_empty()
    {
        return Error::Refused(format!("{verb} refused: {e}"));
    }
    let done = exec.done();
    let mut msg = format!("{verb} failed: {e}");
    if done.is_empty() {
        msg.push_str("\nnothing was changed before the failure");
    } else {
        msg.push_str("\ndone before the failure:");
        for d in &done {
            msg.push_str(&format!("\n  {d}"));
        }
    }
    let touched: Vec<&str> = done.iter().filter_map(|d| d.split(':').next()).collect();
    let failed = e.stacks();
    let not_started: Vec<&str> =
        all.iter().map(String::as_str).filter(|s| !touched.contains(s) && !failed.contains(s)).collect();
    if !not_started.is_empty() {
        msg.push_str(&format!("\nnot started: {}", not_started.join(", ")));
    }
    msg.push_str("\nrun `haplat status` to see every instance");
    Error::Failed(msg)
}

/// Runs `deploy`.
pub async fn run(args: DeployArgs) -> Result<u8, Error> {
    let assembly = args.assembly.load()?;
    let plan = plan_deploy(
        &assembly,
        &PlanOptions {
            stacks: args.stacks.clone(),
            regions: args.regions.clone(),
            parallel: args.parallel,
            max_concurrent: args.max_concurrent,
            failure_tolerance: args.failure_tolerance,
        },
    )?;
    if args.dry_run {
        crate::out!("{}", plan.render());
        return Ok(exit::OK);
    }
    // From here on the cloud changes: a closed stdout must not stop the deploy half-way.
    crate::output::finish_on_broken_pipe();
    let aws = args.aws.connect().await?;
    let bootstrap = crate::bootstrap::require(&aws, aws.region(), &plan.regions()).await?;
    // What changes, and whether it loses data: decided before anything is touched.
    let quiet = Collect::default();
    let probe = Executor::new(&aws, &quiet, Waits::default()).with_adopt(args.adopt);
    probe.check_owners(&plan).await.map_err(|e| exec_error("deploy", e, &probe, &[]))?;
    let diffs = diff_deployed(&probe, &assembly, &plan, Some(&bootstrap))
        .await
        .map_err(|e| exec_error("deploy", e, &probe, &[]))?;
    if let Some(refusal) = refuse_data_loss(&diffs, &args.allow_replace) {
        return Err(Error::Refused(refusal));
    }
    let (text, differ) = super::diff::render(&diffs);
    crate::out!("{text}");
    if differ && !args.yes {
        confirm("deploy these changes", "--yes")?;
    }
    let progress = Progress::new(args.plain);
    let exec = Executor::new(&aws, &progress, Waits::default())
        .with_concurrency(args.concurrency.into())
        .with_adopt(args.adopt);
    let names: Vec<String> = plan.stacks().map(|s| s.name.clone()).collect();
    let result = exec.deploy(&assembly, &plan, &bootstrap).await;
    result.map_err(|e| exec_error("deploy", e, &exec, &names))?;
    drop(exec);
    drop(progress);
    crate::outln!(
        "deployed {} stack set(s) to {}",
        names.len(),
        plan.regions().into_iter().collect::<Vec<_>>().join(", ")
    );
    Ok(exit::OK)
}
