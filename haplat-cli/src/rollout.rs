//! Progressive rollout: per stack set of a deploy plan, a first region (the canary) deployed
//! alone, a bake time watching what haplat made to watch it in that region, then the other
//! regions only if it stayed healthy. `haplat deploy --dry-run --canary-region R --bake-time D`
//! prints the stages ([`stages`], [`render`]); the executor runs them
//! ([`crate::executor::Executor::with_rollout`]) with a [`Bake`], in `haplat deploy` a
//! [`HealthBake`].
//!
//! Uses [`crate::plan`], [`crate::assembly`] and [`crate::health`].

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::Value;

use std::future::Future;
use std::pin::Pin;

use crate::assembly::Assembly;
use crate::cfn::CloudFormation;
use crate::error::Error;
use crate::health::{Only, Retry, health};
use crate::observe::Observe;
use crate::plan::DeployPlan;
use haplat_core::manifest::Rollout;

/// The rollout policy of a deploy (from `--canary-region` and `--bake-time`, else the app's, the
/// manifest's `rollout`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RolloutPolicy {
    /// The region each stack set is deployed to first, alone.
    pub first_region: String,
    /// How long its alarms must stay OK before the other regions.
    pub bake: Duration,
    /// Whether it is the app's (the manifest's), not the flags'.
    pub from_app: bool,
}

impl RolloutPolicy {
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
            bake: Duration::from_secs(r.bake_seconds),
            from_app: true,
        })
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
    /// The regions of each stage, in order.
    pub stages: Vec<Vec<String>>,
    /// The alarms watched after the first stage.
    pub alarms: Vec<Watched>,
}

/// The stages of every stack set of `plan` under `policy`. The first region must be one the
/// plan deploys to (a usage error otherwise); a stack set not deployed there goes in one stage.
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
        let (first, rest): (Vec<String>, Vec<String>) =
            s.regions.iter().cloned().partition(|r| *r == policy.first_region);
        let stages = if first.is_empty() || rest.is_empty() { vec![s.regions.clone()] } else { vec![first, rest] };
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
        out.push(StackRollout { stack: s.name.clone(), stages, alarms });
    }
    Ok(out)
}

/// The stages as text, for `deploy --dry-run`.
pub fn render(rollouts: &[StackRollout], policy: &RolloutPolicy) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "progressive rollout{}: {} first, bake {}s watching the stack set's alarms, then the other regions if every alarm stays OK",
        if policy.from_app { " (the app's; --no-rollout deploys every region at once)" } else { "" },
        policy.first_region,
        policy.bake.as_secs()
    );
    for r in rollouts {
        let _ = writeln!(out, "  stack set {}", r.stack);
        if r.stages.len() == 1 {
            let _ =
                writeln!(out, "    one stage: {} (not deployed to {})", r.stages[0].join(", "), policy.first_region);
            continue;
        }
        let _ = writeln!(out, "    stage 1: {}", r.stages[0].join(", "));
        if r.alarms.is_empty() {
            let _ = writeln!(out, "    bake {}s: no alarm in this stack set to watch", policy.bake.as_secs());
        } else {
            let _ = writeln!(
                out,
                "    bake {}s watching {} alarm(s) in {}:",
                policy.bake.as_secs(),
                r.alarms.len(),
                r.stages[0][0]
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
        let _ = writeln!(
            out,
            "    stage 2: {} (only if every alarm stayed OK; else stop, these regions untouched)",
            r.stages[1].join(", ")
        );
    }
    out
}

/// What decides, between a stack set's first region and its others, whether the rollout goes
/// on.
pub trait Bake: Sync {
    /// Waits the bake time watching `stack` in `region`; `Err(why)` stops the rollout.
    fn bake<'a>(
        &'a self,
        stack: &'a str,
        region: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;
}

/// `haplat deploy`'s bake: the stack set's health in the first region, as `haplat health`
/// reads it for that stack set and region (its paging alarms in ALARM, SLO burn, its region
/// health check and children, its targets, its instance), every `poll` until `bake` has passed.
/// The first unhealthy read stops the rollout, naming what was unhealthy.
pub struct HealthBake<'a, C, O> {
    /// Stack instances and their stacks.
    pub cfn: &'a C,
    /// Alarms, health checks, targets.
    pub obs: &'a O,
    /// The assembly deployed.
    pub assembly: &'a Assembly,
    /// How long the first region must stay healthy.
    pub bake: Duration,
    /// How often it is read.
    pub poll: Duration,
    /// Throttled reads.
    pub retry: Retry,
}

impl<C: CloudFormation, O: Observe> Bake for HealthBake<'_, C, O> {
    fn bake<'a>(
        &'a self,
        stack: &'a str,
        region: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            let only = Only { stacks: vec![stack.to_owned()], regions: vec![region.to_owned()] };
            let start = tokio::time::Instant::now();
            loop {
                let report = health(self.cfn, self.obs, self.assembly, &only, &self.retry)
                    .await
                    .map_err(|e| format!("its health in {region} could not be read: {e}"))?;
                if !report.healthy {
                    let problems: Vec<String> = report.regions.iter().flat_map(|r| r.problems.clone()).collect();
                    return Err(format!(
                        "unhealthy in {region} {} s into the {} s bake: {}",
                        start.elapsed().as_secs(),
                        self.bake.as_secs(),
                        problems.join("; ")
                    ));
                }
                let left = self.bake.saturating_sub(start.elapsed());
                if left.is_zero() {
                    return Ok(());
                }
                tokio::time::sleep(self.poll.min(left)).await;
            }
        })
    }
}
