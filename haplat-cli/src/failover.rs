//! `haplat failover` and `haplat failback`: move traffic off a region, and back, without
//! Route 53 Application Recovery Controller, through the region's own calculated health check
//! (the one its routed records follow, [`crate::health::region_checks`]).
//!
//! **Taking a region out** sets the check's `HealthThreshold` above its number of children:
//! "If you specify a number greater than the number of child health checks, Route 53 always
//! considers this health check to be unhealthy"
//! (<https://docs.aws.amazon.com/Route53/latest/APIReference/API_UpdateHealthCheck.html>). The
//! routed records (latency, failover) then stop answering with that region. `Inverted` would do
//! the same to a healthy region, but a region that really fails while inverted counts as
//! healthy again, and a region already out would be put back in: the threshold does not depend
//! on the children's state.
//!
//! **Failback** sets `HealthThreshold` (and `Inverted`) back to the template's values.
//!
//! Both refuse to leave no healthy region (counted from the region checks' status,
//! `AWS/Route53 HealthCheckStatus`), then wait, bounded, until Route 53 reports the states
//! expected, and return a [`Timeline`] of each step with its elapsed seconds.
//!
//! The change is made outside CloudFormation: `haplat drift` shows it on that one health check
//! until failback. A deploy does not undo it while the template's value does not change:
//! CloudFormation compares the new template with the previous one, not with the resource
//! (drift-aware change sets exist for plain stacks only,
//! <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/drift-aware-change-sets.html>),
//! and stack sets offer no drift-aware update; docs/runbooks/region-down.md says so.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Serialize;

use crate::assembly::Assembly;
use crate::cfn::CloudFormation;
use crate::error::Error;
use crate::health::{Only, RegionCheck, Retry, discover, forced_out, region_checks};
use crate::observe::{HealthCheck, HealthCheckUpdate, Observe};

/// One step of a failover or failback.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// Seconds since the command started.
    pub elapsed: u64,
    /// What happened.
    pub what: String,
}

/// The steps, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timeline {
    /// The steps.
    pub steps: Vec<Step>,
    /// Whether Route 53 reached the states expected before the timeout.
    pub settled: bool,
}

impl Timeline {
    fn push(&mut self, start: tokio::time::Instant, what: impl Into<String>) {
        let step = Step { elapsed: start.elapsed().as_secs(), what: what.into() };
        crate::errln!("[{:>4} s] {}", step.elapsed, step.what);
        self.steps.push(step);
    }

    /// The timeline as text.
    pub fn text(&self) -> String {
        self.steps.iter().map(|s| format!("[{:>4} s] {}\n", s.elapsed, s.what)).collect()
    }
}

/// What to move.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Move {
    /// Take these regions out.
    Out(Vec<String>),
    /// Put these regions back (all taken out when empty).
    Back(Vec<String>),
}

/// How long to wait and how often to look.
#[derive(Clone, Debug)]
pub struct Wait {
    /// The longest wait for Route 53 to agree.
    pub timeout: Duration,
    /// Between two reads of the status.
    pub poll: Duration,
}

impl Default for Wait {
    fn default() -> Wait {
        Wait { timeout: Duration::from_secs(600), poll: Duration::from_secs(15) }
    }
}

/// A region's check as deployed.
struct Deployed {
    region: String,
    rc: RegionCheck,
    id: String,
    config: HealthCheck,
    healthy: Option<bool>,
}

/// The region checks of the assembly's regions, with their deployed settings and status.
async fn read<C: CloudFormation, O: Observe>(
    cfn: &C,
    obs: &O,
    assembly: &Assembly,
    retry: &Retry,
) -> Result<Vec<Deployed>, Error> {
    let regions = discover(cfn, obs, assembly, &Only::default(), &["AWS::Route53::HealthCheck"], retry).await?;
    let mut out = Vec::new();
    for r in &regions {
        if let Some(why) = &r.unreachable {
            return Err(Error::Failed(format!("{}: the region did not answer ({why}); nothing was changed", r.region)));
        }
        // Every tier of the region that Route 53 routes by a region check of its own (the API's,
        // the real-time tier's…) leaves and comes back with the region.
        let checks = region_checks(r);
        if checks.is_empty() {
            return Err(Error::Failed(format!(
                "{}: no calculated Route 53 health check deployed in the region (the check routed records follow); \
                 failover without one, or with Route 53 ARC routing controls, is not supported",
                r.region
            )));
        }
        for rc in checks {
            let Some(id) = rc.check.physical_id.clone() else {
                return Err(Error::Failed(format!("{}: {} has no id yet (not created?)", r.region, rc.check.path)));
            };
            let config = retry
                .call(|| obs.health_check(&id))
                .await
                .map_err(|e| Error::cloud(format!("reading health check {id} ({}, {})", rc.check.path, r.region), e))?;
            out.push(Deployed { region: r.region.clone(), rc, id, config, healthy: None });
        }
    }
    let ids: Vec<String> = out.iter().map(|d| d.id.clone()).collect();
    let statuses = retry
        .call(|| obs.health_check_status(&ids))
        .await
        .map_err(|e| Error::cloud("reading the health checks' status (CloudWatch, AWS/Route53)", e))?;
    for d in &mut out {
        d.healthy = statuses.get(&d.id).copied().flatten();
    }
    Ok(out)
}

fn state(s: Option<bool>) -> &'static str {
    match s {
        Some(true) => "healthy",
        Some(false) => "unhealthy",
        None => "without data",
    }
}

/// Takes regions out or puts them back, waits until Route 53 agrees, and returns the timeline.
/// Refuses (nothing changed) when no healthy region would be left.
pub async fn run<C: CloudFormation, O: Observe>(
    cfn: &C,
    obs: &O,
    assembly: &Assembly,
    what: &Move,
    wait: &Wait,
    retry: &Retry,
) -> Result<Timeline, Error> {
    let start = tokio::time::Instant::now();
    let known = assembly.regions();
    let named = match what {
        Move::Out(r) | Move::Back(r) => r,
    };
    for r in named {
        if !known.contains(r) {
            return Err(Error::Usage(format!(
                "no region {r} in the assembly (regions: {})",
                known.iter().cloned().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    let deployed = read(cfn, obs, assembly, retry).await?;
    let mut timeline = Timeline::default();
    for d in &deployed {
        let forced = forced_out(&d.rc, &d.config);
        timeline.push(
            start,
            format!(
                "{}: {} {}{}",
                d.region,
                d.rc.check.path,
                state(d.healthy),
                if forced { " (taken out by failover)" } else { "" }
            ),
        );
    }
    // What changes, and the status each check must reach.
    let mut changes: Vec<(&Deployed, HealthCheckUpdate, bool)> = Vec::new();
    match what {
        Move::Out(out) => {
            // Each tier (a region check's construct path) keeps a region Route 53 reports healthy.
            let tiers: BTreeSet<&str> = deployed.iter().map(|d| d.rc.check.path.as_str()).collect();
            for tier in tiers {
                let of_tier = || deployed.iter().filter(move |d| d.rc.check.path == tier);
                let in_after = of_tier()
                    .filter(|d| !out.contains(&d.region) && d.healthy == Some(true) && !forced_out(&d.rc, &d.config))
                    .count();
                if in_after == 0 {
                    return Err(Error::Refused(format!(
                        "taking {} out would leave no region that Route 53 reports healthy for {tier} ({}); nothing \
                         was changed",
                        out.join(", "),
                        of_tier().map(|d| format!("{} {}", d.region, state(d.healthy))).collect::<Vec<_>>().join(", ")
                    )));
                }
            }
            for d in deployed.iter().filter(|d| out.contains(&d.region)) {
                if forced_out(&d.rc, &d.config) {
                    timeline.push(start, format!("{}: already taken out; left as it is", d.region));
                    continue;
                }
                let children = d.config.children.len().max(d.rc.children.len()) as u32;
                let update = HealthCheckUpdate {
                    health_threshold: Some(children + 1),
                    inverted: None,
                    version: d.config.version,
                };
                changes.push((d, update, false));
            }
        }
        Move::Back(back) => {
            for d in deployed.iter().filter(|d| back.is_empty() || back.contains(&d.region)) {
                if !forced_out(&d.rc, &d.config) {
                    if !back.is_empty() {
                        timeline.push(start, format!("{}: not taken out; nothing to undo", d.region));
                    }
                    continue;
                }
                let Some(threshold) = d.rc.threshold else {
                    return Err(Error::Failed(format!(
                        "{}: the template's HealthThreshold of {} is not a number haplat can read; set it by hand",
                        d.region, d.rc.check.path
                    )));
                };
                let update = HealthCheckUpdate {
                    health_threshold: Some(threshold),
                    inverted: (d.config.inverted != d.rc.inverted).then_some(d.rc.inverted),
                    version: d.config.version,
                };
                changes.push((d, update, true));
            }
        }
    }
    for (d, update, _) in &changes {
        retry.call(|| obs.update_health_check(&d.id, update)).await.map_err(|e| {
            Error::cloud(format!("updating health check {} ({}, {})", d.id, d.rc.check.path, d.region), e)
        })?;
        let mut what = format!(
            "{}: set HealthThreshold of {} to {}",
            d.region,
            d.rc.check.path,
            update.health_threshold.unwrap_or(0)
        );
        if let Some(inv) = update.inverted {
            what.push_str(&format!(", Inverted to {inv}"));
        }
        what.push_str(
            if matches!(update.health_threshold, Some(t) if t > d.config.children.len().max(d.rc.children.len()) as u32)
            {
                " (above its children's count: always unhealthy)"
            } else {
                " (the template's value)"
            },
        );
        timeline.push(start, what);
    }
    if changes.is_empty() {
        timeline.push(start, "nothing to change");
        timeline.settled = true;
        return Ok(timeline);
    }
    // Wait until Route 53's status of each changed check is the one expected.
    let want: BTreeMap<String, (String, bool)> =
        changes.iter().map(|(d, _, healthy)| (d.id.clone(), (d.region.clone(), *healthy))).collect();
    let ids: Vec<String> = want.keys().cloned().collect();
    let mut last: BTreeMap<String, Option<bool>> = BTreeMap::new();
    loop {
        let statuses = retry
            .call(|| obs.health_check_status(&ids))
            .await
            .map_err(|e| Error::cloud("reading the health checks' status (CloudWatch, AWS/Route53)", e))?;
        let mut done = true;
        for (id, (region, healthy)) in &want {
            let now = statuses.get(id).copied().flatten();
            if last.get(id) != Some(&now) {
                timeline.push(start, format!("{region}: Route 53 reports {}", state(now)));
                last.insert(id.clone(), now);
            }
            done &= now == Some(*healthy);
        }
        if done {
            timeline.settled = true;
            timeline.push(
                start,
                "Route 53 agrees; resolvers follow within the routed records' TTL (60 s for an alias to a load balancer)",
            );
            return Ok(timeline);
        }
        if start.elapsed() + wait.poll > wait.timeout {
            timeline.push(
                start,
                format!("gave up waiting after {} s (--timeout); the change stays made", wait.timeout.as_secs()),
            );
            return Ok(timeline);
        }
        tokio::time::sleep(wait.poll).await;
    }
}
