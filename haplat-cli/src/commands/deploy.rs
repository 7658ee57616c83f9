//! `haplat deploy`.

use clap::Args;

use super::args::{AssemblyArgs, AwsArgs, parse_duration};
#[cfg(feature = "aws")]
use crate::error::{Error, exit};
#[cfg(feature = "aws")]
use crate::ops::deploy::Deployed;
#[cfg(feature = "aws")]
use crate::ops::{DeployOptions, PlanOptions, RolloutPolicy, deploy};

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
    /// reported as warnings (without it, as an error). It may lower a tolerance a stack set
    /// declares, never raise it (the database stack's 0 stays 0; the plan notes it).
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
    /// Skip the account checks of `haplat doctor` that deploy runs before changing anything
    /// (for an account whose checks cannot run, e.g. an emulator or a role without read access).
    #[arg(long)]
    pub skip_doctor: bool,
    /// Remove the app's lock in the bootstrap bucket, left by a run that is gone (its holder is
    /// printed), before taking it.
    #[arg(long)]
    pub force_unlock: bool,
    /// Progressive rollout: deploy each stack set to this region first, alone, and bake there
    /// (--bake-time, watching its health) before the other regions; an unhealthy bake stops the
    /// rollout (exit 10). `--dry-run` shows the stages. Overrides the app's rollout.
    #[arg(long, value_name = "REGION", conflicts_with = "no_rollout")]
    pub canary_region: Option<String>,
    /// With --canary-region: a stack set deployed to this account and to others goes to this
    /// account alone first (the canary region, then its other regions), and to the other
    /// accounts after the bake.
    #[arg(long, value_name = "ACCOUNT", requires = "canary_region", value_parser = parse_account)]
    pub canary_account: Option<String>,
    /// How long the canary region's alarms must stay OK (`90s`, `30m`, `1h`; default 30m).
    #[arg(long, value_name = "DURATION", requires = "canary_region", value_parser = parse_duration)]
    pub bake_time: Option<std::time::Duration>,
    /// Deploy every region of each stack set at once, without the app's rollout (its manifest's
    /// `rollout`, e.g. an environment file's).
    #[arg(long)]
    pub no_rollout: bool,
    /// Do not run `haplat health` after a successful deploy (it exits 10 when something is
    /// unhealthy; the deploy itself succeeded).
    #[arg(long)]
    pub no_health: bool,
    /// Where the assembly comes from.
    #[command(flatten)]
    pub assembly: AssemblyArgs,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Runs `deploy`: exit code 10 when the deploy succeeded but `haplat health` then found
/// something unhealthy.
#[cfg(feature = "aws")]
pub async fn run(args: DeployArgs) -> Result<u8, Error> {
    let outcome = deploy(&DeployOptions {
        plan: PlanOptions {
            stacks: args.stacks,
            regions: args.regions,
            parallel: args.parallel,
            max_concurrent: args.max_concurrent,
            failure_tolerance: args.failure_tolerance,
        },
        yes: args.yes,
        dry_run: args.dry_run,
        allow_replace: args.allow_replace,
        concurrency: args.concurrency.into(),
        adopt: args.adopt,
        plain: args.plain,
        skip_doctor: args.skip_doctor,
        force_unlock: args.force_unlock,
        source: args.assembly.source(),
        aws: args.aws.access(),
        rollout: args.canary_region.map(|first_region| {
            let bake = args.bake_time.unwrap_or(std::time::Duration::from_secs(30 * 60));
            RolloutPolicy::given(first_region, args.canary_account, bake)
        }),
        no_rollout: args.no_rollout,
        no_health: args.no_health,
    })
    .await?;
    Ok(match outcome {
        Deployed::Ok => exit::OK,
        Deployed::Unhealthy => exit::UNHEALTHY,
    })
}

/// `--canary-account`: a 12-digit AWS account id.
fn parse_account(s: &str) -> Result<String, String> {
    match haplat_core::manifest::is_account_id(s) {
        true => Ok(s.to_owned()),
        false => Err(format!("{s:?} is not a 12-digit AWS account id")),
    }
}
