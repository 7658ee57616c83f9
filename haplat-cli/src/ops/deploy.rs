//! `haplat deploy`: the plan (printed and nothing more with `dry_run`); then, before anything
//! changes, the Aurora writer against the template's primary ([`crate::db::preflight`]), the
//! ownership and data-safety checks on the stack diff read from what is deployed;
//! the confirmation; and the executor running the plan with progress.

use crate::assembly::Assembly;
use crate::bootstrap::Bootstrap;
use crate::client::{Client, Waits};
use crate::error::Error;
use crate::events::Collect;
use crate::executor::Executor;
use crate::lock::SharedLock;
use crate::ops::input::{AssemblySource, AwsAccess, confirm};
pub use crate::plan::PlanOptions;
use crate::plan::{DeployPlan, plan_deploy};
use crate::progress::Progress;
pub use crate::rollout::RolloutPolicy;
use crate::sdk::Aws;
use crate::stack_diff;

/// How often a progressive rollout's bake reads the first region's health.
const BAKE_POLL: std::time::Duration = std::time::Duration::from_secs(30);

/// What `deploy` does.
#[derive(Clone, Debug, Default)]
pub struct DeployOptions {
    /// The stacks, regions and operation preferences of the plan.
    pub plan: PlanOptions,
    /// Do not ask for confirmation.
    pub yes: bool,
    /// Print the plan and stop, without calling AWS.
    pub dry_run: bool,
    /// Stateful resources that may be replaced or deleted (construct paths, prefixes, logical
    /// ids).
    pub allow_replace: Vec<String>,
    /// At most this many stack sets of one wave deploy at once.
    pub concurrency: usize,
    /// Deploy over stack sets that lack haplat's ownership tag.
    pub adopt: bool,
    /// Plain progress lines even on a terminal.
    pub plain: bool,
    /// Do not run `haplat doctor`'s checks before deploying.
    pub skip_doctor: bool,
    /// Remove a lock left in the bootstrap bucket by a run that is gone.
    pub force_unlock: bool,
    /// Where the assembly comes from.
    pub source: AssemblySource,
    /// How to reach AWS.
    pub aws: AwsAccess,
    /// Progressive rollout: a first region, a bake watching its alarms, then the others (the
    /// flags'; else the app's, unless `no_rollout`).
    pub rollout: Option<crate::rollout::RolloutPolicy>,
    /// Not the app's rollout.
    pub no_rollout: bool,
    /// Do not read the platform's health (`haplat health`) after a successful deploy.
    pub no_health: bool,
}

/// How a deploy that did not fail ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deployed {
    /// Deployed (or planned, with `dry_run`), and healthy or not checked (`no_health`).
    Ok,
    /// Deployed, but `haplat health` found something unhealthy (exit code 10).
    Unhealthy,
}

/// Deploys, then (unless `no_health`) reads the platform's health as `haplat health` does.
pub async fn deploy(opts: &DeployOptions) -> Result<Deployed, Error> {
    let assembly = opts.source.load()?;
    let plan = plan_deploy(&assembly, &opts.plan)?;
    // What AWS would refuse or break on (`haplat check`'s errors) stops the deploy here.
    crate::synth::enforce_checks(&assembly)?;
    let policy =
        RolloutPolicy::choose(opts.rollout.as_ref(), opts.no_rollout, assembly.manifest.rollout.as_ref(), &plan);
    let rollout = match &policy {
        Some(policy) => Some((policy, crate::rollout::stages(&plan, &assembly, policy)?)),
        None => None,
    };
    if opts.dry_run {
        crate::out!("{}", plan.render());
        if let Some((policy, stages)) = &rollout {
            crate::out!("{}", crate::rollout::render(stages, policy));
        }
        return Ok(Deployed::Ok);
    }
    // One deploy or destroy of this assembly at a time (on this machine).
    let _lock = crate::lock::RunLock::acquire(&assembly.dir, "deploy")?;
    // From here on the cloud changes: a closed stdout must not stop the deploy half-way.
    crate::output::finish_on_broken_pipe();
    let aws = opts.aws.for_manifest(&assembly.manifest)?.connect().await?;
    let bootstrap = crate::bootstrap::require(&aws, aws.region(), &plan.regions()).await?;
    // One deploy or destroy of this app at a time on every machine.
    let app = &assembly.manifest.app;
    let shared =
        SharedLock::acquire(&aws, &bootstrap.region, &bootstrap.bucket, app, "deploy", opts.force_unlock).await?;
    let outcome =
        deploy_locked(opts, &assembly, &plan, rollout.as_ref().map(|(p, r)| (*p, r.as_slice())), &aws, &bootstrap)
            .await;
    shared.release(&aws).await;
    outcome
}

/// The deploy once both locks are held.
async fn deploy_locked(
    opts: &DeployOptions,
    assembly: &Assembly,
    plan: &DeployPlan,
    rollout: Option<(&RolloutPolicy, &[crate::rollout::StackRollout])>,
    aws: &Aws,
    bootstrap: &Bootstrap,
) -> Result<Deployed, Error> {
    if !opts.skip_doctor {
        // What the account must already have (`haplat doctor`), before anything changes.
        crate::doctor::preflight(aws, aws.region(), &crate::doctor::extract(assembly)).await?;
    }
    // What changes, and whether it loses data: decided before anything is touched.
    let quiet = Collect::default();
    let probe = Executor::new(aws, &quiet, Waits::default()).with_adopt(opts.adopt);
    probe.check_owners(plan).await.map_err(|e| Error::from_exec("deploy", e, probe.completed(), &[]))?;
    let reader = Client::new(aws, &quiet, Waits::default());
    let diffs = stack_diff::against_deployed(&reader, assembly, plan, Some(&bootstrap.account))
        .await
        .map_err(|e| Error::from_exec("deploy", e, Vec::new(), &[]))?;
    if let Some(refusal) = stack_diff::refuse_data_loss(&diffs, &opts.allow_replace) {
        return Err(Error::Refused(refusal));
    }
    // The Aurora writer where the template puts its primary: after `haplat db switchover` or a
    // failover, a change to the database's resources waits until it is switched back; a change
    // that leaves them as deployed goes ahead.
    let stacks: Vec<String> = plan.stacks().map(|s| s.name.clone()).collect();
    let leaves = |stack: &str| {
        diffs.iter().find(|d| d.name == stack).is_some_and(|d| leaves_database(d, &assembly.template(stack).json))
    };
    if let Some(refusal) = crate::db::preflight(
        aws,
        aws,
        aws,
        assembly,
        &stacks,
        crate::db::Change::Deploy,
        &leaves,
        &crate::health::Retry::default(),
    )
    .await?
    {
        return Err(Error::Refused(refusal));
    }
    // The rules about changes (a listener rule ECS blue/green manages), against what is deployed.
    let deployed = diffs.iter().filter_map(|d| d.deployed_template.clone().map(|t| (d.name.clone(), t))).collect();
    crate::synth::enforce_checks_against(assembly, deployed)?;
    let (text, differ) = stack_diff::report(&diffs);
    crate::out!("{text}");
    if differ && !opts.yes {
        confirm("deploy these changes", "--yes")?;
    }
    let progress = Progress::new(opts.plain);
    let bake = match rollout {
        Some((policy, rollouts)) => Some(health_bake(policy, rollouts, assembly, aws, bootstrap).await),
        None => None,
    };
    let mut exec =
        Executor::new(aws, &progress, Waits::default()).with_concurrency(opts.concurrency).with_adopt(opts.adopt);
    if let (Some((policy, _)), Some(bake)) = (rollout, &bake) {
        exec = exec.with_rollout(policy, bake);
    }
    let names: Vec<String> = plan.stacks().map(|s| s.name.clone()).collect();
    let result = exec.deploy(assembly, plan, bootstrap).await;
    result.map_err(|e| Error::from_exec("deploy", e, exec.completed(), &names))?;
    drop(exec);
    drop(progress);
    crate::outln!(
        "deployed {} stack set(s) to {}",
        names.len(),
        plan.regions().into_iter().collect::<Vec<_>>().join(", ")
    );
    if opts.no_health {
        return Ok(Deployed::Ok);
    }
    // The deploy succeeded: what follows only reports. A health read that fails is said, and
    // the deploy's exit code stays 0.
    crate::errln!("reading the platform's health (haplat health; --no-health skips it)");
    // What this deploy deployed: its stack sets, in its regions.
    let only =
        crate::health::Only { stacks: names.clone(), regions: plan.regions().into_iter().collect(), account: None };
    match crate::health::health(aws, aws, assembly, &only, &crate::health::Retry::default()).await {
        Ok(report) => {
            crate::out!("{}", crate::health::text(&report));
            Ok(if report.healthy { Deployed::Ok } else { Deployed::Unhealthy })
        }
        Err(e) => {
            crate::errln!("warning: the deploy succeeded, but its health could not be read: {e}");
            Ok(Deployed::Ok)
        }
    }
}

/// The bake of `policy`: health read in the deploying account, and in each other account a
/// first stage of `rollouts` is in, through the read role there.
async fn health_bake<'a>(
    policy: &RolloutPolicy,
    rollouts: &[crate::rollout::StackRollout],
    assembly: &'a Assembly,
    aws: &'a Aws,
    bootstrap: &Bootstrap,
) -> crate::rollout::HealthBake<'a, Aws, Aws> {
    let mut accounts = std::collections::BTreeMap::new();
    let firsts = rollouts.iter().filter_map(|r| r.stages.as_ref().ok()?.0.first());
    for a in firsts.flat_map(|s| s.accounts.iter()).filter(|a| **a != bootstrap.account) {
        if !accounts.contains_key(a) {
            let role = crate::bindings::read_role_arn(a, aws.region());
            accounts.insert(a.clone(), aws.assuming(&role, "haplat-rollout-bake").await);
        }
    }
    crate::rollout::HealthBake {
        cfn: aws,
        obs: aws,
        caller: bootstrap.account.clone(),
        accounts,
        assembly,
        poll: BAKE_POLL.min(policy.bake),
        retry: crate::health::Retry::default(),
    }
}

/// Whether deploying `d` sends no `AWS::RDS::*` resource of its template (`new`) anything: none
/// of them changes, nor any resource they read (directly or through others: a security group, a
/// key), no other section does (the conditions and mappings they read), no region is added or
/// removed, no parameter they reference changes value, and no instance is left to repair.
pub fn leaves_database(d: &stack_diff::StackDiff, new: &serde_json::Value) -> bool {
    let rds = |type_name: &str| type_name.starts_with("AWS::RDS::");
    let resources = new.get("Resources").and_then(serde_json::Value::as_object);
    // What the RDS resources read, and what that reads in turn (a security group, a key): a
    // change there reaches them through the value they take.
    let mut read_by_rds: std::collections::BTreeSet<String> = resources
        .into_iter()
        .flatten()
        .filter(|(_, r)| r.get("Type").and_then(serde_json::Value::as_str).is_some_and(rds))
        .flat_map(|(_, r)| haplat_check::refs_in(r))
        .collect();
    loop {
        let more: Vec<String> = read_by_rds
            .iter()
            .filter_map(|id| resources.and_then(|r| r.get(id)))
            .flat_map(haplat_check::refs_in)
            .filter(|id| !read_by_rds.contains(id))
            .collect();
        if more.is_empty() {
            break;
        }
        read_by_rds.extend(more);
    }
    d.deployed
        && !d.template.resources.iter().any(|r| rds(&r.facts.type_name) || read_by_rds.contains(&r.logical_id))
        && d.template.other.is_empty()
        && d.regions_added.is_empty()
        && d.regions_removed.is_empty()
        && d.not_current.is_empty()
        && !d.parameters.iter().any(|p| read_by_rds.contains(&p.name))
}
