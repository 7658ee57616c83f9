//! Progressive rollout: per stack set of a deploy plan, a first region (the canary; of a first
//! account, when the stack set deploys to several) deployed alone, a bake time watching what
//! haplat made to watch it there, then the other stages only if it stayed healthy. Each stack
//! set may have its own bake time, or none (deployed at once). `haplat deploy --dry-run --canary-region R --bake-time D`
//! prints the stages ([`stages`], [`render`]); the executor runs them
//! ([`crate::executor::Executor::with_rollout`]) with a [`Bake`], in `haplat deploy` a
//! [`HealthBake`].
//!
//! Uses [`crate::plan`], [`crate::assembly`] and [`crate::health`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde_json::Value;

use std::future::Future;
use std::pin::Pin;

use crate::assembly::Assembly;
use crate::cfn::CloudFormation;
use crate::error::Error;
use crate::health::{InAccount, Only, Retry, health};
use crate::observe::Observe;
use crate::plan::DeployPlan;
use haplat_core::manifest::{Deployment, Rollout};

/// The rollout policy of a deploy (from `--canary-region`, `--canary-account` and
/// `--bake-time`, else the app's, the manifest's `rollout`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RolloutPolicy {
    /// The region each stack set is deployed to first, alone.
    pub first_region: String,
    /// The account a self-managed stack set of several accounts is deployed to first, alone.
    pub first_account: Option<String>,
    /// How long its alarms must stay OK before the other regions.
    pub bake: Duration,
    /// Stack sets with their own bake time; `None`: deployed in one stage.
    pub stacks: BTreeMap<String, Option<Duration>>,
    /// Whether it is the app's (the manifest's), not the flags'.
    pub from_app: bool,
}

impl RolloutPolicy {
    /// The flags' policy: every stack set alike.
    pub fn given(first_region: String, first_account: Option<String>, bake: Duration) -> Self {
        RolloutPolicy { first_region, first_account, bake, stacks: BTreeMap::new(), from_app: false }
    }

    /// The policy of a deploy: the flags' (`given`), else the app's unless `off`; the app's only
    /// where the plan deploys to its first region (a deploy of us-east-1's stacks alone is not
    /// a rollout).
    pub fn choose(given: Option<&RolloutPolicy>, off: bool, app: Option<&Rollout>, plan: &DeployPlan) -> Option<Self> {
        if let Some(p) = given {
            return Some(p.clone());
        }
        let r = app.filter(|_| !off)?;
        plan.regions().contains(&r.first_region).then(|| RolloutPolicy {
            first_region: r.first_region.clone(),
            first_account: r.first_account.clone(),
            bake: Duration::from_secs(r.bake_seconds),
            stacks: r
                .stacks
                .keys()
                .map(|name| (name.clone(), r.bake_seconds_of(name).map(Duration::from_secs)))
                .collect(),
            from_app: true,
        })
    }

    /// The bake time of `stack`; `None`: it is deployed in one stage.
    pub fn bake_of(&self, stack: &str) -> Option<Duration> {
        self.stacks.get(stack).copied().unwrap_or(Some(self.bake))
    }

    /// The stages of the stack set `stack` deployed to `regions` of `deployment`, in order, and
    /// its bake time: the first stage is the canary, baked before the others. One stage when the
    /// policy does not stage it, with why.
    ///
    /// By region: the first region alone, then the others. With a first account that is one of
    /// several accounts the stack set deploys to: that account's first region alone, then its
    /// other regions, then the other accounts' regions. A stage's accounts are empty when it
    /// takes every account of the stack set.
    pub fn stages_of(
        &self,
        stack: &str,
        regions: &[String],
        deployment: &Deployment,
    ) -> Result<(Vec<Stage>, Duration), String> {
        let Some(bake) = self.bake_of(stack) else { return Err("its own policy deploys it all at once".into()) };
        let (first, rest): (Vec<String>, Vec<String>) = regions.iter().cloned().partition(|r| *r == self.first_region);
        let by_account = match (&self.first_account, deployment) {
            (Some(a), Deployment::Accounts { accounts }) if accounts.len() > 1 && accounts.contains(a) => {
                Some((a.clone(), accounts.iter().filter(|x| *x != a).cloned().collect::<Vec<_>>()))
            }
            _ => None,
        };
        let Some((account, others)) = by_account else {
            if first.is_empty() {
                return Err(format!("not deployed to {}", self.first_region));
            }
            if rest.is_empty() {
                return Err(format!("deployed to {} only", self.first_region));
            }
            // Its accounts, named where the deployment lists them (the bake reads each).
            let accounts = match deployment {
                Deployment::Accounts { accounts } => accounts.clone(),
                _ => Vec::new(),
            };
            return Ok((
                vec![Stage { accounts: accounts.clone(), regions: first }, Stage { accounts, regions: rest }],
                bake,
            ));
        };
        let mut stages = Vec::new();
        // The first account's first region alone, when it has it and others.
        if !first.is_empty() && !rest.is_empty() {
            stages.push(Stage { accounts: vec![account.clone()], regions: first });
            stages.push(Stage { accounts: vec![account], regions: rest });
        } else {
            stages.push(Stage { accounts: vec![account], regions: regions.to_vec() });
        }
        stages.push(Stage { accounts: others, regions: regions.to_vec() });
        Ok((stages, bake))
    }
}

/// A stage of a stack set's rollout: these regions of these accounts (of the deploying
/// account, or of the stack set's OUs, when `accounts` is empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    /// The accounts; empty: the deploying account's, or the OUs'.
    pub accounts: Vec<String>,
    /// The regions.
    pub regions: Vec<String>,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.regions.join(", "))?;
        match self.accounts.len() {
            0 => Ok(()),
            1 => write!(f, " of account {}", self.accounts[0]),
            _ => write!(f, " of accounts {}", self.accounts.join(", ")),
        }
    }
}

/// An alarm watched during a bake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watched {
    /// Its construct path (or logical id).
    pub path: String,
    /// Its name as the template gives it (`Fn::Sub` patterns kept), when it gives one.
    pub name: Option<String>,
}

/// One stack set's stages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackRollout {
    /// The stack set.
    pub stack: String,
    /// The stages, in order, and how long the first is baked before the others. `Err(why)`:
    /// one stage, every region.
    pub stages: Result<(Vec<Stage>, Duration), String>,
    /// Its regions.
    pub regions: Vec<String>,
    /// The alarms watched after the first stage.
    pub alarms: Vec<Watched>,
}

/// The stages of every stack set of `plan` under `policy`. The first region must be one the
/// plan deploys to (a usage error otherwise).
pub fn stages(plan: &DeployPlan, assembly: &Assembly, policy: &RolloutPolicy) -> Result<Vec<StackRollout>, Error> {
    if !plan.regions().contains(&policy.first_region) {
        return Err(Error::Usage(format!(
            "--canary-region {}: the plan deploys no stack set there (regions: {})",
            policy.first_region,
            plan.regions().into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    let mut out = Vec::new();
    for s in plan.stacks() {
        let deployment = assembly.manifest.stack(&s.name).map(|m| m.deployment.clone()).unwrap_or_default();
        let template = &assembly.template(&s.name).json;
        let alarms = template["Resources"]
            .as_object()
            .map(|rs| {
                rs.iter()
                    .filter(|(_, r)| {
                        r["Type"] == "AWS::CloudWatch::Alarm" || r["Type"] == "AWS::CloudWatch::CompositeAlarm"
                    })
                    .map(|(id, r)| Watched {
                        path: r.pointer("/Metadata/haplat:path").and_then(Value::as_str).unwrap_or(id).to_owned(),
                        name: match &r["Properties"]["AlarmName"] {
                            Value::String(n) => Some(n.clone()),
                            v => v.get("Fn::Sub").and_then(Value::as_str).map(str::to_owned),
                        },
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(StackRollout {
            stack: s.name.clone(),
            stages: policy.stages_of(&s.name, &s.regions, &deployment),
            regions: s.regions.clone(),
            alarms,
        });
    }
    Ok(out)
}

/// The stages as text, for `deploy --dry-run`.
pub fn render(rollouts: &[StackRollout], policy: &RolloutPolicy) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "progressive rollout{}: {}{} first, bake {}s watching the stack set's alarms, then the other regions if every alarm stays OK",
        if policy.from_app { " (the app's; --no-rollout deploys every region at once)" } else { "" },
        policy.first_region,
        policy.first_account.as_deref().map(|a| format!(" of account {a}")).unwrap_or_default(),
        policy.bake.as_secs()
    );
    for r in rollouts {
        let _ = writeln!(out, "  stack set {}", r.stack);
        let (stages, bake) = match &r.stages {
            Ok((stages, bake)) => (stages, *bake),
            Err(why) => {
                let _ = writeln!(out, "    one stage: {} ({why})", r.regions.join(", "));
                continue;
            }
        };
        let _ = writeln!(out, "    stage 1: {}", stages[0]);
        if r.alarms.is_empty() {
            let _ = writeln!(out, "    bake {}s: no alarm in this stack set to watch", bake.as_secs());
        } else {
            let _ = writeln!(
                out,
                "    bake {}s watching {} alarm(s) in {}:",
                bake.as_secs(),
                r.alarms.len(),
                Stage { accounts: stages[0].accounts.clone(), regions: vec![stages[0].regions[0].clone()] }
            );
            for a in &r.alarms {
                let _ = writeln!(
                    out,
                    "      {}{}",
                    a.path,
                    a.name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default()
                );
            }
        }
        let untouched = if stages.len() > 2 { "this stage and the later ones" } else { "these regions" };
        for (i, stage) in stages.iter().enumerate().skip(1) {
            let when = match i {
                1 => format!(" (only if every alarm stayed OK; else stop, {untouched} untouched)"),
                _ => String::new(),
            };
            let _ = writeln!(out, "    stage {}: {stage}{when}", i + 1);
        }
    }
    out
}

/// What decides, between a stack set's first stage and its others, whether the rollout goes
/// on.
pub trait Bake: Sync {
    /// Waits `bake` watching `stack` in `region` of each of `accounts` (of the deploying account
    /// when empty); `Err(why)` stops the rollout.
    fn bake<'a>(
        &'a self,
        stack: &'a str,
        region: &'a str,
        accounts: &'a [String],
        bake: Duration,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;
}

/// `haplat deploy`'s bake: the stack set's health in the first region, as `haplat health`
/// reads it for that stack set and region (its paging alarms in ALARM, SLO burn, its region
/// health check and children, its targets, its instance), every `poll` until the bake time has
/// passed. The first unhealthy read stops the rollout, naming what was unhealthy.
///
/// The first stage's region is read in each of its accounts: in another account than the
/// deploying one, through the read role `haplat bootstrap --admin-account` creates there
/// ([`crate::bindings::READ_ROLE_NAME`]), with the observer given for that account in
/// `accounts`.
pub struct HealthBake<'a, C, O> {
    /// Stack instances and their stacks.
    pub cfn: &'a C,
    /// Alarms, health checks, targets.
    pub obs: &'a O,
    /// The deploying account.
    pub caller: String,
    /// Alarms, health checks, targets of the other accounts a first stage may be in.
    pub accounts: BTreeMap<String, O>,
    /// The assembly deployed.
    pub assembly: &'a Assembly,
    /// How often it is read.
    pub poll: Duration,
    /// Throttled reads.
    pub retry: Retry,
}

impl<C: CloudFormation, O: Observe> HealthBake<'_, C, O> {
    /// What is read in `account` (the deploying account's when `None`): its observer and the
    /// instances to read.
    fn reader(&self, account: Option<&str>) -> Result<(&O, Option<InAccount>), String> {
        Ok(match account {
            Some(a) if a != self.caller => match self.accounts.get(a) {
                Some(obs) => (obs, Some(InAccount { id: a.to_owned(), read_role: true })),
                None => return Err(format!("its health in account {a} cannot be read: no reader for that account")),
            },
            Some(a) => (self.obs, Some(InAccount { id: a.to_owned(), read_role: false })),
            None => (self.obs, None),
        })
    }
}

impl<C: CloudFormation, O: Observe> Bake for HealthBake<'_, C, O> {
    fn bake<'a>(
        &'a self,
        stack: &'a str,
        region: &'a str,
        accounts: &'a [String],
        bake: Duration,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            let accounts: Vec<Option<&str>> = match accounts.is_empty() {
                true => vec![None],
                false => accounts.iter().map(|a| Some(a.as_str())).collect(),
            };
            let mut readers = Vec::new();
            for account in &accounts {
                let (obs, in_account) = self.reader(*account)?;
                let place = account.map_or_else(|| region.to_owned(), |a| format!("{region} of account {a}"));
                let only =
                    Only { stacks: vec![stack.to_owned()], regions: vec![region.to_owned()], account: in_account };
                readers.push((obs, only, place));
            }
            let start = tokio::time::Instant::now();
            loop {
                for (obs, only, place) in &readers {
                    let report = health(self.cfn, *obs, self.assembly, only, &self.retry)
                        .await
                        .map_err(|e| format!("its health in {place} could not be read: {e}"))?;
                    if !report.healthy {
                        let problems: Vec<String> = report.regions.iter().flat_map(|r| r.problems.clone()).collect();
                        return Err(format!(
                            "unhealthy in {place} {} s into the {} s bake: {}",
                            start.elapsed().as_secs(),
                            bake.as_secs(),
                            problems.join("; ")
                        ));
                    }
                }
                let left = bake.saturating_sub(start.elapsed());
                if left.is_zero() {
                    return Ok(());
                }
                tokio::time::sleep(self.poll.min(left)).await;
            }
        })
    }
}
