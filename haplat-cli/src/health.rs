//! `haplat health`: what the deployed platform looks like now, per region, read through the
//! [`CloudFormation`] and [`Observe`] traits:
//!
//! - each stack set's instance in the region (`CURRENT`, `OUTDATED`, `INOPERABLE`);
//! - the region's Route 53 health check (the calculated check the routed records follow) and
//!   its children, healthy or not, and whether `haplat failover` took the region out;
//! - per service, its target groups' targets (`DescribeTargetHealth`);
//! - the app's alarms in ALARM (`DescribeAlarms` by the names of the stacks' alarms); only an
//!   alarm that pages (actions enabled, an alarm action) makes the region unhealthy: the
//!   region-health alarm of a blue/green service's idle target group is in ALARM at rest
//!   (docs/availability.md);
//! - each SLO's burn rate over its first window and its remaining error budget over 30 days
//!   (`GetMetricData` over the burn-rate alarm's own metric queries).
//!
//! The physical ids come from `ListStackResources` of each region's stack, matched to the
//! assembly's construct paths by logical id ([`discover`]). Throttled calls are retried with
//! backoff ([`Retry`]); a region whose endpoint does not answer is reported as such and counts
//! as unhealthy; a denied call ends the command with one line naming the call and the region.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::assembly::Assembly;
use crate::cfn::{CfnError, CloudFormation, InstanceInfo};
use crate::error::Error;
use crate::observe::{MetricQuery, Observe};

/// How throttled calls are retried.
#[derive(Clone, Debug)]
pub struct Retry {
    /// The first pause.
    pub first: Duration,
    /// The longest pause (it doubles up to this).
    pub max: Duration,
    /// How many retries at most.
    pub retries: u32,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry { first: Duration::from_secs(1), max: Duration::from_secs(16), retries: 6 }
    }
}

impl Retry {
    /// Calls `f`, retrying throttling with backoff.
    pub async fn call<T, F, Fut>(&self, f: F) -> Result<T, CfnError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, CfnError>>,
    {
        let mut delay = self.first;
        let mut attempt = 0;
        loop {
            match f().await {
                Err(CfnError::Throttled(why)) if attempt < self.retries => {
                    crate::errln!("throttled ({why}); retrying in {} s", delay.as_secs_f64());
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(self.max);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// Which part of the platform to read: these stack sets and regions (all when empty).
/// `haplat deploy` reads what it deployed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Only {
    /// Stack set names.
    pub stacks: Vec<String>,
    /// Regions.
    pub regions: Vec<String>,
    /// The instances of one account only (a rollout's first account); `None`: a region's
    /// instance, whatever its account.
    pub account: Option<InAccount>,
}

/// An account whose instances are read ([`Only::account`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InAccount {
    /// The account id.
    pub id: String,
    /// Whether its stacks are read through the read role there (another account than the
    /// caller's: [`crate::bindings::read_role_arn`]); the observer given must read there too.
    pub read_role: bool,
}

/// A resource of the app in one region: where the assembly puts it and what AWS calls it.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    /// The stack (set) name.
    pub stack: String,
    /// The logical id.
    pub logical_id: String,
    /// The construct path.
    pub path: String,
    /// The CloudFormation type.
    pub resource_type: String,
    /// The physical id, once created.
    pub physical_id: Option<String>,
    /// The template's `Properties`.
    pub properties: Value,
}

/// One stack set's instance in a region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceHealth {
    /// The stack set.
    pub stack_set: String,
    /// `CURRENT`, `OUTDATED`, `INOPERABLE`, or `MISSING` (no instance there).
    pub status: String,
    /// The detailed status, when AWS gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detailed: Option<String>,
    /// Why, when AWS says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Whether it is `CURRENT`.
    pub healthy: bool,
}

/// What the app has deployed in one region.
#[derive(Clone, Debug, Default)]
pub struct RegionResources {
    /// The region.
    pub region: String,
    /// Each stack set's instance there.
    pub instances: Vec<InstanceHealth>,
    /// The resources of its stacks.
    pub resources: Vec<Located>,
    /// Why the region could not be read (its endpoint did not answer).
    pub unreachable: Option<String>,
}

impl RegionResources {
    /// Its resources of a type.
    pub fn of_type<'a>(&'a self, resource_type: &'a str) -> impl Iterator<Item = &'a Located> + 'a {
        self.resources.iter().filter(move |r| r.resource_type == resource_type)
    }

    /// A resource by stack and logical id.
    pub fn by_logical(&self, stack: &str, logical_id: &str) -> Option<&Located> {
        self.resources.iter().find(|r| r.stack == stack && r.logical_id == logical_id)
    }
}

/// A call's failure that ends the command: one line naming what was read where.
pub fn fatal(what: &str, region: &str, e: CfnError) -> Error {
    Error::cloud(format!("{what} in {region}"), e)
}

/// Whether a failure means "this region did not answer" (reported, the other regions go on)
/// rather than a denied call or unusable credentials (the command stops).
pub fn is_unreachable(e: &CfnError) -> bool {
    matches!(e, CfnError::Unreachable { .. })
}

/// Every region of the assembly's stacks with the deployed resources of its stacks (only the
/// `types` asked for, all when empty).
pub async fn discover<C: CloudFormation, O: Observe>(
    cfn: &C,
    obs: &O,
    assembly: &Assembly,
    only: &Only,
    types: &[&str],
    retry: &Retry,
) -> Result<Vec<RegionResources>, Error> {
    let mut regions: BTreeMap<String, RegionResources> = BTreeMap::new();
    for stack in assembly.select(&only.stacks)? {
        let name = &stack.name;
        let instances: Vec<InstanceInfo> = match retry.call(|| cfn.list_stack_instances(name)).await {
            Ok(i) => i,
            Err(CfnError::StackSetNotFound { .. }) => Vec::new(),
            Err(e) => return Err(Error::cloud(format!("listing the instances of stack set {name}"), e)),
        };
        let template = &assembly.template(name).json;
        for region in stack.target.regions() {
            if !only.regions.is_empty() && !only.regions.contains(&region) {
                continue;
            }
            let entry = regions
                .entry(region.clone())
                .or_insert_with(|| RegionResources { region: region.clone(), ..Default::default() });
            let of_account = |i: &&InstanceInfo| only.account.as_ref().is_none_or(|a| a.id == i.account);
            let Some(instance) = instances.iter().filter(of_account).find(|i| i.region == region) else {
                entry.instances.push(InstanceHealth {
                    stack_set: name.clone(),
                    status: "MISSING".into(),
                    detailed: None,
                    reason: Some("no stack instance in this region (not deployed?)".into()),
                    healthy: false,
                });
                continue;
            };
            entry.instances.push(InstanceHealth {
                stack_set: name.clone(),
                status: instance.status.to_string(),
                detailed: instance.detailed_status.as_ref().map(|d| d.to_string()),
                reason: instance.status_reason.clone(),
                healthy: instance.status.to_string() == "CURRENT",
            });
            if entry.unreachable.is_some() {
                continue;
            }
            let read = || async {
                match &only.account {
                    Some(a) if a.read_role => {
                        cfn.instance_stack_as(name, instance, &crate::bindings::read_role_arn(&a.id, &region)).await
                    }
                    _ => cfn.instance_stack(name, instance).await,
                }
            };
            let stack_id = match retry.call(read).await {
                Ok(Some(s)) => s.id,
                Ok(None) => continue,
                Err(e) if is_unreachable(&e) => {
                    entry.unreachable = Some(e.to_string());
                    continue;
                }
                Err(e) => return Err(fatal(&format!("reading the stack of {name}"), &region, e)),
            };
            let listed = match retry.call(|| obs.stack_resources(&region, &stack_id)).await {
                Ok(r) => r,
                Err(e) if is_unreachable(&e) => {
                    entry.unreachable = Some(e.to_string());
                    continue;
                }
                Err(e) => return Err(fatal(&format!("listing the resources of {name}"), &region, e)),
            };
            for r in listed {
                if !types.is_empty() && !types.contains(&r.resource_type.as_str()) {
                    continue;
                }
                let path =
                    stack.resources.get(&r.logical_id).map(|m| m.path.clone()).unwrap_or_else(|| r.logical_id.clone());
                let properties = template
                    .pointer(&format!("/Resources/{}/Properties", r.logical_id))
                    .cloned()
                    .unwrap_or(Value::Null);
                entry.resources.push(Located {
                    stack: name.clone(),
                    logical_id: r.logical_id,
                    path,
                    resource_type: r.resource_type,
                    physical_id: r.physical_id,
                    properties,
                });
            }
        }
    }
    Ok(regions.into_values().collect())
}

/// A region's own health check: the calculated check that no other calculated check of the
/// region has as a child (the one the routed records follow), with its children.
#[derive(Clone, Debug, PartialEq)]
pub struct RegionCheck {
    /// The check.
    pub check: Located,
    /// Its children, in template order.
    pub children: Vec<Located>,
    /// The template's `HealthThreshold`.
    pub threshold: Option<u32>,
    /// The template's `Inverted` (false when not set).
    pub inverted: bool,
}

/// The region's own health check(s) (see [`RegionCheck`]).
pub fn region_checks(r: &RegionResources) -> Vec<RegionCheck> {
    let calculated: Vec<&Located> = r
        .of_type("AWS::Route53::HealthCheck")
        .filter(|c| c.properties.pointer("/HealthCheckConfig/Type").and_then(Value::as_str) == Some("CALCULATED"))
        .collect();
    let child_ids = |c: &Located| -> Vec<String> {
        c.properties
            .pointer("/HealthCheckConfig/ChildHealthChecks")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.get("Ref").and_then(Value::as_str).map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    let nested: BTreeSet<(String, String)> =
        calculated.iter().flat_map(|c| child_ids(c).into_iter().map(|id| (c.stack.clone(), id))).collect();
    calculated
        .iter()
        .filter(|c| !nested.contains(&(c.stack.clone(), c.logical_id.clone())))
        .map(|c| RegionCheck {
            check: (*c).clone(),
            children: child_ids(c).iter().filter_map(|id| r.by_logical(&c.stack, id)).cloned().collect(),
            threshold: c
                .properties
                .pointer("/HealthCheckConfig/HealthThreshold")
                .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
                .map(|n| n as u32),
            inverted: c.properties.pointer("/HealthCheckConfig/Inverted").and_then(Value::as_bool).unwrap_or(false),
        })
        .collect()
}

/// A Route 53 health check's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckHealth {
    /// Its construct path.
    pub path: String,
    /// Its id.
    pub id: String,
    /// `region` (the check the routed records follow) or `child`.
    pub role: &'static str,
    /// `Some(true)` healthy, `Some(false)` unhealthy, `None` no datapoint yet.
    pub healthy: Option<bool>,
    /// Whether `haplat failover` (or someone) forced it unhealthy: `HealthThreshold` above its
    /// children's count, or `Inverted` unlike the template.
    pub forced_out: bool,
}

/// A target group's targets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupHealth {
    /// Its construct path.
    pub path: String,
    /// Targets by state (`healthy`, `unhealthy`, `initial`, `draining`…).
    pub targets: BTreeMap<String, usize>,
    /// The reasons given for unhealthy targets.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// A service's target groups (a blue/green service has two; the idle one has no targets).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceHealth {
    /// The service's construct path.
    pub service: String,
    /// Its target groups.
    pub target_groups: Vec<TargetGroupHealth>,
    /// Whether it has a healthy target and no unhealthy one.
    pub healthy: bool,
}

/// An alarm in ALARM.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmHealth {
    /// Its construct path.
    pub path: String,
    /// Its name.
    pub name: String,
    /// Whether it pages (actions enabled, an alarm action): only those make the region unhealthy.
    pub pages: bool,
    /// CloudWatch's reason.
    pub reason: String,
}

/// An SLO's burn rate and remaining error budget.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SloHealth {
    /// The SLO's construct path.
    pub path: String,
    /// Its objective, in percent.
    pub objective_percent: f64,
    /// The window the burn rate is over, in minutes.
    pub window_minutes: u32,
    /// Bad-event ratio over that window ÷ the error budget (1 spends the budget exactly in its
    /// period); `None` without data.
    pub burn_rate: Option<f64>,
    /// The share of the 30-day error budget left (1 untouched, 0 or below spent); `None` without
    /// data.
    pub budget_remaining: Option<f64>,
}

/// One region's health.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionHealth {
    /// The region.
    pub region: String,
    /// Whether nothing below is unhealthy.
    pub healthy: bool,
    /// What is unhealthy, one line each.
    pub problems: Vec<String>,
    /// Set when the region's endpoint did not answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreachable: Option<String>,
    /// Each stack set's instance.
    pub stack_sets: Vec<InstanceHealth>,
    /// The region's health check and its children.
    pub health_checks: Vec<CheckHealth>,
    /// Per service, its targets.
    pub services: Vec<ServiceHealth>,
    /// Alarms in ALARM.
    pub alarms: Vec<AlarmHealth>,
    /// SLOs.
    pub slos: Vec<SloHealth>,
}

/// The platform's health.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthReport {
    /// The app.
    pub app: String,
    /// Whether every region is healthy.
    pub healthy: bool,
    /// Per region.
    pub regions: Vec<RegionHealth>,
}

/// The resource types [`health`] reads.
pub const TYPES: &[&str] = &[
    "AWS::Route53::HealthCheck",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::CompositeAlarm",
];

/// The construct path of the service that owns a resource (`Api/catalog/TargetGroup` →
/// `Api/catalog`).
fn owner(path: &str) -> String {
    path.rsplit_once('/').map(|(p, _)| p.to_owned()).unwrap_or_else(|| path.to_owned())
}

/// Reads the health of every region of the assembly (of `only`'s stack sets and regions).
pub async fn health<C: CloudFormation, O: Observe>(
    cfn: &C,
    obs: &O,
    assembly: &Assembly,
    only: &Only,
    retry: &Retry,
) -> Result<HealthReport, Error> {
    let regions = discover(cfn, obs, assembly, only, TYPES, retry).await?;
    // Every health check's status in one read (CloudWatch in us-east-1).
    let check_ids: Vec<String> = regions
        .iter()
        .flat_map(|r| r.of_type("AWS::Route53::HealthCheck"))
        .filter_map(|c| c.physical_id.clone())
        .collect();
    let statuses = if check_ids.is_empty() {
        BTreeMap::new()
    } else {
        retry
            .call(|| obs.health_check_status(&check_ids))
            .await
            .map_err(|e| Error::cloud("reading the health checks' status (CloudWatch, AWS/Route53)", e))?
    };
    let mut out = Vec::new();
    for r in &regions {
        out.push(region_health(obs, r, &statuses, retry).await?);
    }
    Ok(HealthReport { app: assembly.manifest.app.clone(), healthy: out.iter().all(|r| r.healthy), regions: out })
}

async fn region_health<O: Observe>(
    obs: &O,
    r: &RegionResources,
    statuses: &BTreeMap<String, Option<bool>>,
    retry: &Retry,
) -> Result<RegionHealth, Error> {
    let region = r.region.as_str();
    let mut h = RegionHealth {
        region: region.to_owned(),
        healthy: true,
        problems: Vec::new(),
        unreachable: r.unreachable.clone(),
        stack_sets: r.instances.clone(),
        health_checks: Vec::new(),
        services: Vec::new(),
        alarms: Vec::new(),
        slos: Vec::new(),
    };
    for i in &r.instances {
        if !i.healthy {
            h.problems.push(format!(
                "stack set {}: instance {}{}",
                i.stack_set,
                i.status,
                i.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
            ));
        }
    }
    if let Some(why) = &r.unreachable {
        h.problems.push(format!("the region did not answer: {why}"));
        h.healthy = false;
        return Ok(h);
    }
    // Route 53: the region's check and its children.
    for rc in region_checks(r) {
        let Some(id) = rc.check.physical_id.clone() else { continue };
        let config = retry
            .call(|| obs.health_check(&id))
            .await
            .map_err(|e| Error::cloud(format!("reading health check {id} ({})", rc.check.path), e))?;
        let forced = forced_out(&rc, &config);
        let healthy = statuses.get(&id).copied().flatten();
        if forced {
            h.problems.push(format!(
                "taken out of DNS by `haplat failover` ({}: HealthThreshold {:?}, Inverted {}); `haplat failback {region}` puts it back",
                rc.check.path, config.health_threshold, config.inverted
            ));
        } else if healthy == Some(false) {
            h.problems.push(format!("Route 53 reports the region unhealthy ({}, {id})", rc.check.path));
        }
        h.health_checks.push(CheckHealth {
            path: rc.check.path.clone(),
            id,
            role: "region",
            healthy,
            forced_out: forced,
        });
        for c in &rc.children {
            let Some(cid) = c.physical_id.clone() else { continue };
            h.health_checks.push(CheckHealth {
                path: c.path.clone(),
                healthy: statuses.get(&cid).copied().flatten(),
                id: cid,
                role: "child",
                forced_out: false,
            });
        }
    }
    // Load balancers: targets per service.
    let mut services: BTreeMap<String, Vec<TargetGroupHealth>> = BTreeMap::new();
    for tg in r.of_type("AWS::ElasticLoadBalancingV2::TargetGroup") {
        let Some(arn) = &tg.physical_id else { continue };
        let targets = match retry.call(|| obs.target_health(region, arn)).await {
            Ok(t) => t,
            Err(e) if is_unreachable(&e) => {
                h.problems.push(format!("the region did not answer: {e}"));
                h.unreachable = Some(e.to_string());
                break;
            }
            Err(e) => return Err(fatal(&format!("reading the targets of {}", tg.path), region, e)),
        };
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut reasons = Vec::new();
        for t in &targets {
            *counts.entry(t.state.clone()).or_default() += 1;
            if t.state == "unhealthy" {
                reasons.push(format!("{}: {}", t.id, t.reason.clone().unwrap_or_else(|| "no reason given".into())));
            }
        }
        services.entry(owner(&tg.path)).or_default().push(TargetGroupHealth {
            path: tg.path.clone(),
            targets: counts,
            reasons,
        });
    }
    for (service, groups) in services {
        let healthy_targets: usize = groups.iter().map(|g| g.targets.get("healthy").copied().unwrap_or(0)).sum();
        let unhealthy: usize = groups.iter().map(|g| g.targets.get("unhealthy").copied().unwrap_or(0)).sum();
        let ok = healthy_targets > 0 && unhealthy == 0;
        if !ok {
            h.problems.push(format!("{service}: {healthy_targets} healthy and {unhealthy} unhealthy target(s)"));
        }
        h.services.push(ServiceHealth { service, target_groups: groups, healthy: ok });
    }
    // Alarms, and the SLOs' burn-rate alarms.
    let alarms: Vec<&Located> = r
        .of_type("AWS::CloudWatch::Alarm")
        .chain(r.of_type("AWS::CloudWatch::CompositeAlarm"))
        .filter(|a| a.physical_id.is_some())
        .collect();
    let names: Vec<String> = alarms.iter().filter_map(|a| a.physical_id.clone()).collect();
    if !names.is_empty() && h.unreachable.is_none() {
        let states = match retry.call(|| obs.alarms(region, &names)).await {
            Ok(s) => s,
            Err(e) if is_unreachable(&e) => {
                h.problems.push(format!("the region did not answer: {e}"));
                h.unreachable = Some(e.to_string());
                Vec::new()
            }
            Err(e) => return Err(fatal("reading the alarms (DescribeAlarms)", region, e)),
        };
        let path_of = |name: &str| {
            alarms.iter().find(|a| a.physical_id.as_deref() == Some(name)).map(|a| a.path.clone()).unwrap_or_default()
        };
        for a in states.iter().filter(|a| a.state == "ALARM") {
            let path = path_of(&a.name);
            if a.pages {
                h.problems.push(format!("alarm {path} is in ALARM: {}", a.reason));
            }
            h.alarms.push(AlarmHealth { path, name: a.name.clone(), pages: a.pages, reason: a.reason.clone() });
        }
        h.alarms.sort_by(|a, b| (!a.pages, &a.path).cmp(&(!b.pages, &b.path)));
        for slo in slo_alarms(&alarms) {
            let Some(deployed) = states.iter().find(|a| Some(&a.name) == slo.alarm.physical_id.as_ref()) else {
                continue;
            };
            if deployed.metrics.is_empty() {
                continue;
            }
            let budget = 1.0 - slo.objective_percent / 100.0;
            let window = slo.window_minutes * 60;
            let now = read_ratio(obs, region, &deployed.metrics, None, window, retry).await?;
            let month = read_ratio(obs, region, &deployed.metrics, Some(BUDGET_PERIOD), BUDGET_PERIOD, retry).await?;
            let burn_rate = now.map(|r| r / budget);
            let budget_remaining = month.map(|r| 1.0 - r / budget);
            if budget_remaining.is_some_and(|b| b <= 0.0) {
                h.problems.push(format!("{}: the 30-day error budget is spent", slo.path));
            }
            h.slos.push(SloHealth {
                path: slo.path,
                objective_percent: slo.objective_percent,
                window_minutes: slo.window_minutes,
                burn_rate,
                budget_remaining,
            });
        }
    }
    h.healthy = h.problems.is_empty() || (h.health_checks.iter().any(|c| c.forced_out) && only_forced(&h));
    if h.unreachable.is_some() {
        h.healthy = false;
    }
    Ok(h)
}

/// Whether the only problem is the region's own failover (taken out on purpose).
fn only_forced(h: &RegionHealth) -> bool {
    h.problems.iter().all(|p| p.starts_with("taken out of DNS"))
}

/// Whether the deployed check is forced unhealthy: a threshold above its children's count, or
/// `Inverted` unlike the template.
pub fn forced_out(rc: &RegionCheck, config: &crate::observe::HealthCheck) -> bool {
    let children = config.children.len().max(rc.children.len()) as u32;
    config.health_threshold.is_some_and(|t| t > children) || config.inverted != rc.inverted
}

/// The period of the error-budget read: 30 days.
pub const BUDGET_PERIOD: u32 = 30 * 24 * 3600;

/// An SLO's first burn-rate window alarm, as the constructs write it (`haplat_constructs::slo`):
/// its description says `… over N min above … (Bx the budget of O%)` and its metric math returns
/// the bad-event ratio as `ratio`.
struct SloAlarm<'a> {
    path: String,
    alarm: &'a Located,
    objective_percent: f64,
    window_minutes: u32,
}

fn slo_alarms<'a>(alarms: &[&'a Located]) -> Vec<SloAlarm<'a>> {
    let mut by_slo: BTreeMap<String, SloAlarm<'a>> = BTreeMap::new();
    for a in alarms {
        let Some(desc) = a.properties.get("AlarmDescription").and_then(Value::as_str) else { continue };
        let has_ratio = a
            .properties
            .get("Metrics")
            .and_then(Value::as_array)
            .is_some_and(|m| m.iter().any(|q| q.get("Id").and_then(Value::as_str) == Some("ratio")));
        let Some((minutes, objective)) = slo_description(desc) else { continue };
        if !has_ratio {
            continue;
        }
        let slo = owner(&a.path);
        // The first window: the long alarm of the shortest burn-rate window (1 h by default).
        let better =
            by_slo.get(&slo).is_none_or(|b| minutes >= 60 && (b.window_minutes < 60 || minutes < b.window_minutes));
        if better {
            by_slo.insert(
                slo.clone(),
                SloAlarm { path: slo, alarm: a, objective_percent: objective, window_minutes: minutes },
            );
        }
    }
    by_slo.into_values().collect()
}

/// `over N min` and `the budget of O%` from a burn-rate alarm's description (the format of
/// `haplat_constructs::slo`: `[critical] id: the bad event ratio over 60 min above 0.0072 (14.4x
/// the budget of 99.95%)`).
fn slo_description(desc: &str) -> Option<(u32, f64)> {
    if !desc.contains("x the budget of ") {
        return None;
    }
    let minutes = desc.split(" over ").nth(1)?.split(" min").next()?.trim().parse::<u32>().ok()?;
    let objective = desc.split("the budget of ").nth(1)?.split('%').next()?.trim().parse::<f64>().ok()?;
    Some((minutes, objective))
}

/// The latest value of the `ratio` query of an alarm's metric math, with every metric's period
/// set to `period` when given, over the last `window` seconds.
async fn read_ratio<O: Observe>(
    obs: &O,
    region: &str,
    metrics: &[MetricQuery],
    period: Option<u32>,
    window: u32,
    retry: &Retry,
) -> Result<Option<f64>, Error> {
    let queries: Vec<MetricQuery> = metrics
        .iter()
        .map(|q| {
            let mut q = q.clone();
            if let (Some(p), Some(m)) = (period, q.metric.as_mut()) {
                m.period = p;
            }
            q.return_data = q.id == "ratio";
            q
        })
        .collect();
    match retry.call(|| obs.metric_data(region, &queries, window)).await {
        Ok(v) => Ok(v.get("ratio").copied().flatten()),
        Err(e) if is_unreachable(&e) => Ok(None),
        Err(e) => Err(fatal("reading the SLO's metrics (GetMetricData)", region, e)),
    }
}

/// The report as text.
pub fn text(report: &HealthReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let mark = |ok: bool| if ok { "ok" } else { "UNHEALTHY" };
    let state = |s: Option<bool>| match s {
        Some(true) => "healthy",
        Some(false) => "UNHEALTHY",
        None => "no data",
    };
    for r in &report.regions {
        let _ = writeln!(out, "{}: {}", r.region, mark(r.healthy));
        if let Some(why) = &r.unreachable {
            let _ = writeln!(out, "  did not answer: {why}");
        }
        for i in &r.stack_sets {
            let _ = writeln!(
                out,
                "  stack set {:<28} {}{}",
                i.stack_set,
                i.status,
                i.detailed.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()
            );
        }
        for c in &r.health_checks {
            let forced = if c.forced_out { ", taken out by failover" } else { "" };
            let _ = writeln!(out, "  {} check {} {}{forced}", c.role, c.path, state(c.healthy));
        }
        for s in &r.services {
            let groups: Vec<String> = s
                .target_groups
                .iter()
                .map(|g| {
                    let counts: Vec<String> = g.targets.iter().map(|(k, v)| format!("{v} {k}")).collect();
                    let name = g.path.rsplit('/').next().unwrap_or(&g.path);
                    format!("{name}: {}", if counts.is_empty() { "no targets".into() } else { counts.join(", ") })
                })
                .collect();
            let _ = writeln!(out, "  service {} {} ({})", s.service, mark(s.healthy), groups.join("; "));
        }
        for a in &r.alarms {
            let what = if a.pages { "ALARM" } else { "ALARM (does not page)" };
            let _ = writeln!(out, "  alarm {} {what}", a.path);
        }
        for s in &r.slos {
            let burn = s.burn_rate.map(|b| format!("{b:.2}x")).unwrap_or_else(|| "no data".into());
            let left = s.budget_remaining.map(|b| format!("{:.1}%", b * 100.0)).unwrap_or_else(|| "no data".into());
            let _ = writeln!(
                out,
                "  slo {} ({}%): burn {burn} over {} min, budget left {left} (30 days)",
                s.path, s.objective_percent, s.window_minutes
            );
        }
        for p in &r.problems {
            let _ = writeln!(out, "  ! {p}");
        }
    }
    let bad: Vec<&str> = report.regions.iter().filter(|r| !r.healthy).map(|r| r.region.as_str()).collect();
    if bad.is_empty() {
        let _ = writeln!(out, "{}: healthy in {} region(s)", report.app, report.regions.len());
    } else {
        let _ = writeln!(out, "{}: UNHEALTHY in {}", report.app, bad.join(", "));
    }
    out
}
