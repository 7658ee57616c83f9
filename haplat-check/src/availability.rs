//! What the templates' settings allow against the objectives an app declares
//! ([`haplat_core::manifest::Objectives`]): the worst-case time from a region's failure until
//! DNS stops sending it traffic, link by link, and how the data's loss window is bounded and
//! watched. `haplat check` fails an objective the settings cannot meet (HAP025, HAP026) and
//! `haplat synth` prints the figures beside the objectives. The model, each figure's source and
//! what it does not cover: `docs/availability.md`.

use std::fmt;

use serde_json::Value as Json;

use crate::assembly::{Assembly, Res};

/// Route 53: an HTTP(S) checker needs the TCP connection within 4 s and the status within 2 s
/// after it; a TCP checker the connection within 10 s.
const ROUTE53_HEALTH: &str =
    "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html";
/// The TTL of an alias record is the target's: 60 s for a load balancer.
const ALIAS_TTL: &str =
    "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-values-alias.html";
/// A target is unhealthy after `UnhealthyThresholdCount` failed checks, `HealthCheckIntervalSeconds`
/// apart, each failing at the latest after `HealthCheckTimeoutSeconds`.
const TARGET_HEALTH: &str =
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html";
/// An alarm goes to ALARM once `DatapointsToAlarm` of the last `EvaluationPeriods` periods breach.
const ALARM_EVALUATION: &str = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation.html";
/// A canary runs on its `Schedule` (`rate(n minutes)`), each run stopped after
/// `RunConfig.TimeoutInSeconds` (by default the schedule's interval, 840 s at most), and publishes
/// `SuccessPercent` when the run ends.
const CANARY_SCHEDULE: &str =
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-synthetics-canary-runconfig.html";
/// CloudFront tries to connect to an origin `ConnectionAttempts` times (1–3, default 3), waiting
/// `ConnectionTimeout` seconds each (1–10, default 10), before it answers 504 or, in an origin
/// group, tries the secondary.
const CLOUDFRONT_ORIGIN: &str =
    "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/high_availability_origin_failover.html";
/// AWS publishes no delay between the end of a load balancer's metric period and the alarm's
/// evaluation of it, nor how soon Route 53 reads an alarm's state: one period is counted for
/// both together, see docs/availability.md.
const METRIC_DELAY: &str = "assumed: one period (AWS publishes no figure), docs/availability.md";

/// Application Auto Scaling creates and manages a target tracking policy's alarms and computes
/// each scale-out from the metric and the target, proportionally; the scale-out alarm evaluates
/// one-minute datapoints. A scale-out cooldown lets the next scale-out start once it has passed.
const TARGET_TRACKING: &str =
    "https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html";
/// The scale-out alarm of a target tracking policy: AWS manages it and publishes no figure for
/// it; the console shows 3 datapoints of 60 s, which is what is counted (docs/availability.md).
const SCALE_OUT_ALARM: &str = "assumed: 3 datapoints of 60 s (the alarm AWS manages), docs/availability.md";
/// How long a new Fargate task takes to run: AWS publishes no figure (capacity, the image's
/// size, the container's start); docs/availability.md.
const TASK_START: &str = "assumed: 120 s (AWS publishes no figure), docs/availability.md";
/// The seconds [`TASK_START`] counts.
const TASK_START_SECONDS: f64 = 120.0;

/// One step of a failover: what happens, where it is set, and how long it can take at worst.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    /// What the step is, with the settings that give its time.
    pub what: String,
    /// The construct path of the resource that sets it.
    pub path: String,
    /// Worst case, in seconds.
    pub seconds: f64,
    /// Where the figure comes from (an AWS documentation page, or the assumption made).
    pub basis: &'static str,
}

/// How a routed record stops sending traffic to its region: its health check's detection, then
/// the record's TTL.
#[derive(Clone, Debug, PartialEq)]
pub struct Chain {
    /// The record's stack.
    pub stack: usize,
    /// The record's logical id.
    pub record: String,
    /// `name (set identifier)`.
    pub label: String,
    /// The steps, in order; empty when `unknown` says why the time cannot be computed.
    pub links: Vec<Link>,
    /// Why the chain cannot be computed (a health check haplat cannot follow).
    pub unknown: Option<String>,
    /// When one part of the region fails alone while its other checks pass (one service's
    /// targets): the slowest such part's chain, the routing links included. `None` when the
    /// region's check is not calculated or tolerates a failed child. Held against the objective
    /// by HAP058, a warning (HAP025 holds the region's failure).
    pub part: Option<Vec<Link>>,
}

impl Chain {
    /// The worst case of the whole chain, in seconds.
    pub fn seconds(&self) -> f64 {
        self.links.iter().map(|l| l.seconds).sum()
    }

    /// The seconds after Route 53 has decided: resolvers keeping the old answer (the TTL) and
    /// CloudFront giving up on the failed region's origin. What a drill adds to the moment it
    /// sees the region's check turn unhealthy.
    pub fn routing_seconds(&self) -> f64 {
        self.links.iter().filter(|l| l.basis == ALIAS_TTL || l.basis == CLOUDFRONT_ORIGIN).map(|l| l.seconds).sum()
    }

    /// The links, slowest first.
    pub fn slowest(&self) -> Vec<&Link> {
        let mut l: Vec<&Link> = self.links.iter().collect();
        l.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
        l
    }
}

/// How one replicated store's data-loss window is bounded.
#[derive(Clone, Debug, PartialEq)]
pub struct DataStore {
    /// The store's stack.
    pub stack: usize,
    /// Its logical id.
    pub id: String,
    /// `None` for synchronous replication (no loss), else the alarm that pages on replication lag.
    pub lag: Option<LagWatch>,
    /// Whether replication is synchronous (DynamoDB multi-Region strong consistency).
    pub synchronous: bool,
}

/// The tightest alarm found on a store's replication lag.
#[derive(Clone, Debug, PartialEq)]
pub struct LagWatch {
    /// The alarm's construct path (empty when none is found).
    pub path: String,
    /// Its threshold in milliseconds.
    pub threshold_ms: f64,
    /// Its statistic.
    pub statistic: String,
    /// Whether it notifies anyone.
    pub has_actions: bool,
}

/// One service level objective of the assembly, read from its burn-rate alarms' metadata
/// (haplat-constructs' `slo` module writes `haplat:slo` on each window's composite alarm).
#[derive(Clone, Debug, PartialEq)]
pub struct SloFigure {
    /// The stack of its first window's composite alarm.
    pub stack: usize,
    /// That alarm's logical id.
    pub alarm: String,
    /// The SLO's construct path (its alarms' parent).
    pub path: String,
    /// `availability` or `latency`.
    pub indicator: String,
    /// Its objective, percent of good events.
    pub objective_percent: f64,
    /// A latency SLO's threshold, in milliseconds.
    pub threshold_ms: Option<f64>,
    /// The burn rates of its windows, in the order found.
    pub burn_rates: Vec<f64>,
    /// Whether every window notifies someone.
    pub pages: bool,
}

/// The figures of an assembly.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Availability {
    /// One chain per routed record with a health check.
    pub failover: Vec<Chain>,
    /// Every replicated store.
    pub data: Vec<DataStore>,
    /// Every SLO.
    pub slos: Vec<SloFigure>,
    /// The slowest recovery of a region's load by the others, when any service scales.
    pub recovery: Option<Recovery>,
}

/// How the surviving regions take over a failed region's load: the slowest failover chain, then
/// the slowest service's scale-out in the region that must add the most, relative to what it
/// runs, to carry the failed region's capacity at rest (its minimum) besides its own.
#[derive(Clone, Debug, PartialEq)]
pub struct Recovery {
    /// The steps: the failover chain's, then the service's scale-out.
    pub links: Vec<Link>,
    /// The service's construct path (its scalable target's parent).
    pub service: String,
    /// The region that fails.
    pub failed: String,
    /// The region that takes over.
    pub survivor: String,
    /// Why it cannot be computed or cannot recover (a maximum below what is needed, a minimum
    /// of 0, no target tracking policy): the whole recovery is then unproven.
    pub unknown: Option<String>,
}

impl Recovery {
    /// The worst case, in seconds.
    pub fn seconds(&self) -> f64 {
        sum(&self.links)
    }
}

impl Availability {
    /// The slowest computable failover chain.
    pub fn worst_failover(&self) -> Option<&Chain> {
        self.failover.iter().filter(|c| c.unknown.is_none()).max_by(|a, b| a.seconds().total_cmp(&b.seconds()))
    }
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} s {} ({})", self.seconds, self.what, self.path)
    }
}

/// Computes the figures.
pub fn availability(a: &Assembly) -> Availability {
    let mut out = Availability::default();
    // The records a routing-control-gated record aliases (evaluating their health): their chain
    // is the gated record's, counted there once.
    let gated: Vec<(usize, String)> =
        a.of_type("AWS::Route53::RecordSet").filter_map(|r| gated_target(a, &r).map(|name| (r.stack, name))).collect();
    for r in a.of_type("AWS::Route53::RecordSet") {
        let Some(mut check) = r.prop("HealthCheckId") else { continue };
        let routed = ["Region", "Failover", "Weight", "GeoLocation"].iter().any(|p| r.prop(p).is_some());
        if !routed {
            continue;
        }
        if r.prop_str("Name").is_some_and(|n| gated.iter().any(|(s, g)| *s == r.stack && g == n)) {
            continue;
        }
        // A record gated by a Route 53 ARC routing control fails over automatically through the
        // record it aliases: that record's check times the chain. Turning the control off is
        // an operator's act, not detection.
        let mut ttl_of = r;
        if let Some(name) = gated_target(a, &r) {
            let inner = a.of_type("AWS::Route53::RecordSet").find(|t| {
                t.stack == r.stack && t.prop_str("Name") == Some(name.as_str()) && t.prop("HealthCheckId").is_some()
            });
            if let Some(inner) = inner {
                check = inner.prop("HealthCheckId").expect("filtered on it");
                ttl_of = inner;
            }
        }
        let name = r.prop_str("Name").unwrap_or(r.id).trim_end_matches('.').to_owned();
        let label = match r.prop_str("SetIdentifier") {
            Some(set) => format!("{name} ({set})"),
            None => name,
        };
        let mut chain =
            Chain { stack: r.stack, record: r.id.to_owned(), label, links: Vec::new(), unknown: None, part: None };
        match a.target(r.stack, check) {
            Some(hc) => match detection(a, &hc, 0) {
                Ok(links) => chain.links = links,
                Err(why) => chain.unknown = Some(why),
            },
            None => chain.unknown = Some("its health check is not a resource of the assembly".into()),
        }
        if chain.unknown.is_none() {
            let mut routing = vec![ttl(a, &ttl_of)];
            routing.extend(cloudfront_retry(a, r.prop_str("Name").unwrap_or_default()));
            chain.links.extend(routing.iter().cloned());
            let part = a.target(r.stack, check).and_then(|hc| part_failure(a, &hc).ok().flatten());
            chain.part = part.map(|mut links| {
                links.extend(routing);
                links
            });
        }
        out.failover.push(chain);
    }
    for t in a.of_type("AWS::DynamoDB::GlobalTable") {
        let replicas = t.prop("Replicas").and_then(Json::as_array).map_or(0, Vec::len);
        if replicas < 2 {
            continue;
        }
        let synchronous = t.prop_str("MultiRegionConsistency") == Some("STRONG");
        let lag = if synchronous { None } else { lag_watch(a, &t, "ReplicationLatency", table_matches) };
        out.data.push(DataStore { stack: t.stack, id: t.id.to_owned(), lag, synchronous });
    }
    // An Aurora global database replicates storage asynchronously to its secondaries, which
    // publish AuroraGlobalDBReplicationLag; its member clusters live in its stack.
    for g in a.of_type("AWS::RDS::GlobalCluster") {
        let lag = lag_watch(a, &g, "AuroraGlobalDBReplicationLag", |_, alarm, g| alarm.stack == g.stack);
        out.data.push(DataStore { stack: g.stack, id: g.id.to_owned(), lag, synchronous: false });
    }
    out.slos = slos(a);
    out.recovery = out.worst_failover().and_then(|chain| recovery(a, chain));
    out
}

/// One service's scale-out in `survivor` to carry `failed`'s minimum besides its own.
struct ScaleOut {
    links: Vec<Link>,
    service: String,
    failed: String,
    survivor: String,
}

/// The slowest region recovery of the assembly after `chain` (see [`Recovery`]); `None` when no
/// ECS service scales in more than one region. A service that cannot recover (or whose recovery
/// haplat cannot time) makes the whole recovery unknown, with why.
fn recovery(a: &Assembly, chain: &Chain) -> Option<Recovery> {
    let mut worst: Option<ScaleOut> = None;
    let mut problems = Vec::new();
    for t in a.of_type("AWS::ApplicationAutoScaling::ScalableTarget") {
        if t.prop_str("ScalableDimension") != Some("ecs:service:DesiredCount") || t.regions().len() < 2 {
            continue;
        }
        match scale_outs(a, &t) {
            Ok(outs) => {
                for o in outs {
                    if worst.as_ref().is_none_or(|w| sum(&o.links) > sum(&w.links)) {
                        worst = Some(o);
                    }
                }
            }
            Err(why) => problems.push(why),
        }
    }
    if worst.is_none() && problems.is_empty() {
        return None;
    }
    let mut links = chain.links.clone();
    let (service, failed, survivor) = match worst {
        Some(w) => {
            links.extend(w.links);
            (w.service, w.failed, w.survivor)
        }
        None => Default::default(),
    };
    let unknown = (!problems.is_empty()).then(|| problems.join("; "));
    Some(Recovery { links, service, failed, survivor, unknown })
}

/// Each (failed, survivor) pair of a scalable ECS service's regions: the scale-out that carries
/// the failed region's minimum in the survivor, from the survivor's minimum. Target tracking on
/// requests per target (a metric that grows with the load) reaches it in one scale-out; on
/// utilization (at most 100 %), each scale-out multiplies the count by at most 100 / target, so
/// it takes as many as that factor needs, each after the cooldown. Then a task starts, and
/// passes its target group's health checks.
fn scale_outs(a: &Assembly, t: &Res<'_>) -> Result<Vec<ScaleOut>, String> {
    let ecs = ecs_service(a, t);
    // The construct that made the ECS service (its parent path), else the scalable target.
    let service = ecs.and_then(|s| s.path().rsplit_once('/').map(|(parent, _)| parent.to_owned()));
    let service = service.unwrap_or_else(|| t.path().to_owned());
    let policies: Vec<Res<'_>> = a
        .of_type("AWS::ApplicationAutoScaling::ScalingPolicy")
        .filter(|p| p.stack == t.stack && p.prop_str("PolicyType") == Some("TargetTrackingScaling"))
        .filter(|p| p.prop("ScalingTargetId").and_then(|v| a.target(p.stack, v)).is_some_and(|x| x.id == t.id))
        .collect();
    if policies.is_empty() {
        return Err(format!("{service} has no target tracking policy, whose scale-out haplat can time"));
    }
    let config = |p: &Res<'_>| p.prop("TargetTrackingScalingPolicyConfiguration").cloned().unwrap_or_default();
    let grows_with_load = policies.iter().any(|p| {
        let c = config(p);
        c.pointer("/PredefinedMetricSpecification/PredefinedMetricType").and_then(Json::as_str)
            == Some("ALBRequestCountPerTarget")
            || c.get("CustomizedMetricSpecification").is_some_and(|m| m.to_string().contains("\"RequestCount\""))
    });
    // Utilization tops out at 100 %: the fastest policy multiplies the count by 100 / target.
    let factor = policies
        .iter()
        .filter_map(|p| {
            let c = config(p);
            let utilization = c
                .pointer("/PredefinedMetricSpecification/PredefinedMetricType")
                .and_then(Json::as_str)
                .is_some_and(|m| m.ends_with("Utilization"));
            let target = c.get("TargetValue").and_then(Json::as_f64)?;
            (utilization && target > 0.0 && target < 100.0).then(|| 100.0 / target)
        })
        .fold(1.0, f64::max);
    let cooldown = policies
        .iter()
        .filter_map(|p| config(p).get("ScaleOutCooldown").and_then(Json::as_f64))
        .fold(0.0, f64::max)
        .max(60.0);
    let ready = ecs.map(|s| ready_link(a, &s)).transpose()?.flatten();
    let count = |name: &str, region: &str| -> Result<f64, String> {
        let v = t.prop(name).ok_or_else(|| format!("{name} of {} is not set", t.path()))?;
        number_in(t, name, v, region)
    };
    let regions = t.regions();
    let mut out = Vec::new();
    for failed in &regions {
        for survivor in regions.iter().filter(|r| *r != failed) {
            let (lost, own, max) =
                (count("MinCapacity", failed)?, count("MinCapacity", survivor)?, count("MaxCapacity", survivor)?);
            let needed = own + lost;
            if needed > max {
                return Err(format!(
                    "{service} in {survivor} runs at most {max} tasks (MaxCapacity), fewer than the {needed} it needs \
                     to carry {failed}'s {lost} besides its own {own}"
                ));
            }
            if own < 1.0 {
                return Err(format!(
                    "{service} runs no task at rest in {survivor} (MinCapacity 0): target tracking has no task to \
                     measure, so haplat cannot time its scale-out"
                ));
            }
            let ratio = needed / own;
            let steps = if grows_with_load || ratio <= 1.0 {
                1.0
            } else if factor > 1.0 {
                (ratio.ln() / factor.ln()).ceil().max(1.0)
            } else {
                return Err(format!("{service}'s target tracking policies neither follow requests nor utilization"));
            };
            let mut links = vec![
                Link {
                    what: format!("{survivor} scales out {service} for {failed}'s load: the scale-out alarm"),
                    path: t.path().to_owned(),
                    seconds: 180.0,
                    basis: SCALE_OUT_ALARM,
                },
                Link {
                    what: "the metric's datapoint reaching the alarm".into(),
                    path: t.path().to_owned(),
                    seconds: 60.0,
                    basis: METRIC_DELAY,
                },
            ];
            if steps > 1.0 {
                links.push(Link {
                    what: format!(
                        "{} more scale-out(s) after the {cooldown} s cooldown: utilization tops out at 100 %, so each \
                         multiplies the count by at most {factor:.2} (from {own} to {needed} tasks)",
                        steps - 1.0
                    ),
                    path: t.path().to_owned(),
                    seconds: (steps - 1.0) * cooldown,
                    basis: TARGET_TRACKING,
                });
            }
            links.push(Link {
                what: "a new Fargate task starting".into(),
                path: service.clone(),
                seconds: TASK_START_SECONDS,
                basis: TASK_START,
            });
            links.extend(ready.clone());
            out.push(ScaleOut { links, service: service.clone(), failed: failed.clone(), survivor: survivor.clone() });
        }
    }
    Ok(out)
}

/// The ECS service a scalable target scales (its `ResourceId`, `service/${Cluster}/${Service}`).
fn ecs_service<'a>(a: &'a Assembly, t: &Res<'_>) -> Option<Res<'a>> {
    let v = t.prop("ResourceId")?.pointer("/Fn::Sub/1/Service")?;
    a.target(t.stack, v).filter(|s| s.type_name() == "AWS::ECS::Service")
}

/// A new task of `service` is in service once its target group's health checks pass
/// (`HealthyThresholdCount` checks `HealthCheckIntervalSeconds` apart); nothing more without a
/// load balancer.
fn ready_link(a: &Assembly, service: &Res<'_>) -> Result<Option<Link>, String> {
    let group = service
        .prop("LoadBalancers")
        .and_then(Json::as_array)
        .and_then(|l| l.first())
        .and_then(|lb| lb.get("TargetGroupArn"))
        .and_then(|v| a.target(service.stack, v));
    let Some(group) = group else { return Ok(None) };
    let interval = number(&group, "HealthCheckIntervalSeconds", 30.0)?;
    let healthy = number(&group, "HealthyThresholdCount", 5.0)?;
    Ok(Some(Link {
        what: format!("target health: {healthy} passed checks {interval} s apart before it gets requests"),
        path: group.path().to_owned(),
        seconds: healthy * interval,
        basis: TARGET_HEALTH,
    }))
}

/// The SLOs of the assembly: the composite alarms with `haplat:slo` metadata, grouped by their
/// parent path (one SLO has one composite per window).
pub fn slos(a: &Assembly) -> Vec<SloFigure> {
    let mut out: Vec<SloFigure> = Vec::new();
    for c in a.of_type("AWS::CloudWatch::CompositeAlarm") {
        let Some(meta) = c.metadata("haplat:slo") else { continue };
        let path = c.path().rsplit_once('/').map_or(c.path(), |(parent, _)| parent).to_owned();
        let pages = c.prop("AlarmActions").and_then(Json::as_array).is_some_and(|a| !a.is_empty());
        let burn = meta.get("burnRate").and_then(Json::as_f64).unwrap_or_default();
        if let Some(s) = out.iter_mut().find(|s| s.path == path && s.stack == c.stack) {
            s.burn_rates.push(burn);
            s.pages &= pages;
            continue;
        }
        out.push(SloFigure {
            stack: c.stack,
            alarm: c.id.to_owned(),
            path,
            indicator: meta.get("indicator").and_then(Json::as_str).unwrap_or_default().to_owned(),
            objective_percent: meta.get("objectivePercent").and_then(Json::as_f64).unwrap_or_default(),
            threshold_ms: meta.get("thresholdMs").and_then(Json::as_f64),
            burn_rates: vec![burn],
            pages,
        });
    }
    out
}

/// Minutes of a 30-day month outside an objective of `percent`.
pub fn budget_minutes(percent: f64) -> f64 {
    (1.0 - percent / 100.0) * 30.0 * 24.0 * 60.0
}

/// Why an SLO does not hold the declared objective of its indicator (`None`: it does, or none
/// is declared for its indicator).
pub fn slo_shortfall(s: &SloFigure, objectives: &haplat_core::manifest::Objectives) -> Option<String> {
    match s.indicator.as_str() {
        "availability" => {
            let o = objectives.availability_percent?;
            (s.objective_percent < o).then(|| {
                format!("{} aims at {} %, looser than the availability objective of {o} %", s.path, s.objective_percent)
            })
        }
        "latency" => {
            let o = f64::from(objectives.latency_p99_ms?);
            let threshold = s.threshold_ms.unwrap_or(f64::INFINITY);
            (threshold > o || s.objective_percent < 99.0).then(|| {
                format!(
                    "{} aims at {} % of requests within {threshold} ms, looser than the latency objective of p99 \
                     within {o} ms",
                    s.path, s.objective_percent
                )
            })
        }
        _ => None,
    }
}

/// The name a record gated by a Route 53 ARC routing control aliases: its check is a
/// `RECOVERY_CONTROL` check and its alias, evaluating target health, names a record of the
/// zone. None otherwise.
pub(crate) fn gated_target(a: &Assembly, r: &Res<'_>) -> Option<String> {
    let check = a.target(r.stack, r.prop("HealthCheckId")?)?;
    let ty = check.prop("HealthCheckConfig")?.get("Type")?.as_str()?;
    if ty != "RECOVERY_CONTROL" {
        return None;
    }
    let alias = r.prop("AliasTarget")?;
    if alias.get("EvaluateTargetHealth").and_then(Json::as_bool) != Some(true) {
        return None;
    }
    alias.get("DNSName")?.as_str().map(str::to_owned)
}

/// A number property in every region of the resource's stack, worst (largest) of them; `default`
/// when absent.
fn number(r: &Res<'_>, name: &str, default: f64) -> Result<f64, String> {
    let Some(v) = r.prop(name) else { return Ok(default) };
    let mut worst: Option<f64> = None;
    for region in r.regions() {
        let n = number_in(r, name, v, &region)?;
        worst = Some(worst.map_or(n, |w: f64| w.max(n)));
    }
    Ok(worst.unwrap_or(default))
}

/// The number property `name` (its value `v`) of `r` as it is in `region`.
fn number_in(r: &Res<'_>, name: &str, v: &Json, region: &str) -> Result<f64, String> {
    let text = r.stack_t.text_in(v, region).ok_or_else(|| format!("{name} of {} is not known at synth", r.path()))?;
    text.parse().map_err(|_| format!("{name} of {} is not a number ({text})", r.path()))
}

/// How long a health check takes at worst to turn unhealthy when its region fails entirely.
fn detection(a: &Assembly, hc: &Res<'_>, depth: usize) -> Result<Vec<Link>, String> {
    if depth > 4 {
        return Err(format!("health check {} nests too deeply", hc.path()));
    }
    let config = hc.prop("HealthCheckConfig").ok_or_else(|| format!("{} has no HealthCheckConfig", hc.path()))?;
    let ty = config.get("Type").and_then(Json::as_str).unwrap_or_default();
    let n = |key: &str, default: f64| -> Result<f64, String> {
        match config.get(key) {
            None => Ok(default),
            Some(v) => v
                .as_f64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .ok_or_else(|| format!("{key} of {} is not known at synth", hc.path())),
        }
    };
    match ty {
        "HTTP" | "HTTPS" | "HTTP_STR_MATCH" | "HTTPS_STR_MATCH" | "TCP" => {
            let interval = n("RequestInterval", 30.0)?;
            let threshold = n("FailureThreshold", 3.0)?;
            let timeout = if ty == "TCP" { 10.0 } else { 6.0 };
            Ok(vec![Link {
                what: format!(
                    "Route 53 {ty} check: {threshold} failures {interval} s apart, the last after {timeout} s"
                ),
                path: hc.path().to_owned(),
                seconds: interval * threshold + timeout,
                basis: ROUTE53_HEALTH,
            }])
        }
        "CALCULATED" => {
            let Children { times, untimed, idle, needed } = children(a, hc, depth)?;
            let mut times: Vec<Vec<Link>> = times.into_iter().map(|(_, t)| t).collect();
            // With every child that is healthy at rest needed (all but those on idle blue/green
            // groups, unhealthy at rest), any one failing takes the region out: the fastest child
            // that can be timed bounds the detection, and one that cannot only ever makes it
            // sooner. Otherwise every child must be timed.
            if let Some(why) = untimed.first()
                && (needed < (times.len() + untimed.len()) as f64 || times.is_empty())
            {
                return Err(why.clone());
            }
            times.sort_by(|x, y| sum(x).total_cmp(&sum(y)));
            // Unhealthy once fewer than `needed` children are healthy. Healthy at rest: every
            // child but those on an idle blue/green group (no targets, in ALARM); so after the
            // (healthy − needed + 1)-th fastest of them turns unhealthy.
            let k = (times.len() as f64 - needed).max(0.0) as usize;
            let mut links = times
                .get(k)
                .cloned()
                .ok_or_else(|| format!("{} needs more healthy children than it has", hc.path()))?;
            if idle > 0
                && let Some(first) = links.first_mut()
            {
                first.what.push_str(&format!(
                    " (at rest: {idle} child check(s) on idle blue/green groups are unhealthy, so the fastest \
                         suffices; while a deployment fills them, the slower checks decide)"
                ));
            }
            Ok(links)
        }
        "CLOUDWATCH_METRIC" => {
            let id = config.get("AlarmIdentifier").and_then(|i| i.get("Name"));
            let alarm = id
                .and_then(|v| a.target(hc.stack, v))
                .ok_or_else(|| format!("the alarm of {} is not a resource of the assembly", hc.path()))?;
            alarm_detection(a, &alarm)
        }
        other => Err(format!("{} is a {other} check, which haplat cannot time", hc.path())),
    }
}

/// The children of a calculated check: the detection of each that can be timed (with the part
/// of the region it watches), why the others cannot, how many watch idle blue/green groups
/// (unhealthy at rest), and `HealthThreshold`.
struct Children {
    times: Vec<(Option<String>, Vec<Link>)>,
    untimed: Vec<String>,
    idle: usize,
    needed: f64,
}

fn children(a: &Assembly, hc: &Res<'_>, depth: usize) -> Result<Children, String> {
    let config = hc.prop("HealthCheckConfig").ok_or_else(|| format!("{} has no HealthCheckConfig", hc.path()))?;
    let list: Vec<&Json> =
        config.get("ChildHealthChecks").and_then(Json::as_array).map(|c| c.iter().collect()).unwrap_or_default();
    if list.is_empty() {
        return Err(format!("calculated check {} has no children", hc.path()));
    }
    let needed = match config.get("HealthThreshold") {
        None => 1.0,
        Some(v) => v
            .as_f64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| format!("HealthThreshold of {} is not known at synth", hc.path()))?,
    };
    let mut out = Children { times: Vec::new(), untimed: Vec::new(), idle: 0, needed };
    for c in list {
        let child = a.target(hc.stack, c).ok_or_else(|| format!("a child of {} is not in the assembly", hc.path()))?;
        if watches_idle_group(a, &child) {
            out.idle += 1;
            continue;
        }
        match detection(a, &child, depth + 1) {
            Ok(t) => out.times.push((part_of(&child), t)),
            Err(why) => out.untimed.push(why),
        }
    }
    Ok(out)
}

/// The `Metadata` key haplat-constructs writes on a child of a region's health check: the part
/// of the region it watches (a service, another tier).
const PART: &str = "haplat:part";

/// The part of the region a child check watches (its `haplat:part` metadata), if it says.
fn part_of(child: &Res<'_>) -> Option<String> {
    child.metadata(PART).and_then(Json::as_str).filter(|p| !p.is_empty()).map(str::to_owned)
}

/// One part of a region failing alone (one service, another tier) while the region's other
/// parts pass: when the region's check needs every child that is healthy at rest, the part's
/// own checks take the region out, the fastest of them first (a service's probe before its
/// target-group alarm; children that name no part are a part each). The slowest part that can
/// be timed is the worst case (a part none of whose checks can be timed, such as a queue's age
/// that builds up with traffic, is left out). `Ok(None)` for a check that is not calculated (a
/// part failing is the region failing) or that tolerates a child failing (such a part never
/// takes it out).
fn part_failure(a: &Assembly, hc: &Res<'_>) -> Result<Option<Vec<Link>>, String> {
    let ty = hc.prop("HealthCheckConfig").and_then(|c| c.get("Type")).and_then(Json::as_str);
    if ty != Some("CALCULATED") {
        return Ok(None);
    }
    let c = children(a, hc, 0)?;
    let healthy = (c.times.len() + c.untimed.len()) as f64;
    if c.needed < healthy {
        return Ok(None);
    }
    // Each part's detection: its fastest child.
    let mut parts: Vec<(Option<String>, Vec<Link>)> = Vec::new();
    for (part, links) in c.times {
        match parts.iter_mut().find(|(p, _)| part.is_some() && *p == part) {
            Some((_, fastest)) if sum(&links) < sum(fastest) => *fastest = links,
            Some(_) => {}
            None => parts.push((part, links)),
        }
    }
    Ok(parts.into_iter().map(|(_, links)| links).max_by(|x, y| sum(x).total_cmp(&sum(y))))
}

/// Whether a health check follows an alarm on the healthy targets of a target group that no
/// listener sends traffic to at rest (a blue/green service's alternate group: weight 0).
fn watches_idle_group(a: &Assembly, check: &Res<'_>) -> bool {
    let config = check.prop("HealthCheckConfig");
    let Some(alarm) = config
        .and_then(|c| c.get("AlarmIdentifier"))
        .and_then(|i| i.get("Name"))
        .and_then(|v| a.target(check.stack, v))
    else {
        return false;
    };
    if alarm.prop_str("MetricName") != Some("HealthyHostCount") {
        return false;
    }
    let Some(group) = dimension_target(a, &alarm, "TargetGroup") else { return false };
    idle_group(a, &group)
}

/// Whether no listener sends traffic to the target group at rest (a blue/green service's
/// alternate group: weight 0 everywhere), so it has no registered targets between deployments.
pub(crate) fn idle_group(a: &Assembly, group: &Res<'_>) -> bool {
    let mut weights = Vec::new();
    for kind in ["AWS::ElasticLoadBalancingV2::ListenerRule", "AWS::ElasticLoadBalancingV2::Listener"] {
        for r in a.of_type(kind).filter(|r| r.stack == group.stack) {
            let actions = r.prop("Actions").or_else(|| r.prop("DefaultActions")).and_then(Json::as_array);
            for action in actions.into_iter().flatten() {
                let groups = action.get("ForwardConfig").and_then(|f| f.get("TargetGroups")).and_then(Json::as_array);
                for g in groups.into_iter().flatten() {
                    let target = g.get("TargetGroupArn").and_then(|v| a.target(r.stack, v));
                    if target.is_some_and(|t| t.id == group.id) {
                        weights.push(g.get("Weight").and_then(Json::as_f64).unwrap_or(1.0));
                    }
                }
                let direct = action.get("TargetGroupArn").and_then(|v| a.target(r.stack, v));
                if direct.is_some_and(|t| t.id == group.id) {
                    weights.push(1.0);
                }
            }
        }
    }
    !weights.is_empty() && weights.iter().all(|w| *w == 0.0)
}

/// The resource an alarm's dimension `name` refers to.
fn dimension_target<'a>(a: &'a Assembly, alarm: &Res<'_>, name: &str) -> Option<Res<'a>> {
    let dims = alarm.prop("Dimensions").and_then(Json::as_array)?;
    let value = dims.iter().find(|d| d.get("Name").and_then(Json::as_str) == Some(name))?.get("Value")?;
    a.target(alarm.stack, value)
}

fn sum(links: &[Link]) -> f64 {
    links.iter().map(|l| l.seconds).sum()
}

/// An alarm on a load balancer's `HealthyHostCount` (the targets' health checks) or a canary's
/// `SuccessPercent` (the canary's schedule and run timeout), then the alarm's periods.
fn alarm_detection(a: &Assembly, alarm: &Res<'_>) -> Result<Vec<Link>, String> {
    let metric = alarm
        .prop_str("MetricName")
        .ok_or_else(|| format!("{} is a metric-math alarm, which haplat cannot time", alarm.path()))?;
    let mut links = Vec::new();
    if metric == "HealthyHostCount" {
        let group = dimension_target(a, alarm, "TargetGroup")
            .ok_or_else(|| format!("the target group of {} is not a resource of the assembly", alarm.path()))?;
        let interval = number(&group, "HealthCheckIntervalSeconds", 30.0)?;
        let threshold = number(&group, "UnhealthyThresholdCount", 2.0)?;
        let timeout = number(&group, "HealthCheckTimeoutSeconds", 5.0)?;
        links.push(Link {
            what: format!("target health: {threshold} failed checks {interval} s apart, the last after {timeout} s"),
            path: group.path().to_owned(),
            seconds: interval * threshold + timeout,
            basis: TARGET_HEALTH,
        });
    } else if metric == "SuccessPercent" && alarm.prop_str("Namespace") == Some("CloudWatchSynthetics") {
        let canary = dimension_target(a, alarm, "CanaryName")
            .ok_or_else(|| format!("the canary of {} is not a resource of the assembly", alarm.path()))?;
        links.push(canary_run(&canary)?);
    } else if let Some(why) = untimed_metric(alarm, metric) {
        return Err(why);
    } else {
        // Any other metric: the failure shows in the next datapoint of its period at the latest.
        let period = number(alarm, "Period", 60.0)?;
        links.push(Link {
            what: format!("{metric}: the failure reaches the next datapoint ({period} s)"),
            path: alarm.path().to_owned(),
            seconds: period,
            basis: METRIC_DELAY,
        });
    }
    let period = number(alarm, "Period", 60.0)?;
    let periods = number(alarm, "EvaluationPeriods", 1.0)?;
    let datapoints = number(alarm, "DatapointsToAlarm", periods)?;
    links.push(Link {
        what: format!("alarm: {datapoints} breaching period(s) of {period} s"),
        path: alarm.path().to_owned(),
        seconds: datapoints * period,
        basis: ALARM_EVALUATION,
    });
    links.push(Link {
        what: "metric publication and Route 53 reading the alarm".into(),
        path: alarm.path().to_owned(),
        seconds: period,
        basis: METRIC_DELAY,
    });
    Ok(links)
}

/// Metrics that fall with the failure itself, in the next datapoint: ECS's running task count
/// (Container Insights, every minute) drops when the tasks stop.
const FALLING_WITH_FAILURE: &[&str] = &["RunningTaskCount"];

/// Why an alarm on `metric` cannot be timed: any metric but those that fall with the failure
/// ([`FALLING_WITH_FAILURE`], alarmed below a threshold). What builds up after a failure (a
/// queue's age, errors) breaches as soon as the traffic makes it: haplat does not guess.
fn untimed_metric(alarm: &Res<'_>, metric: &str) -> Option<String> {
    let falls = alarm.prop_str("ComparisonOperator").is_some_and(|c| c.starts_with("LessThan"));
    (!(falls && FALLING_WITH_FAILURE.contains(&metric)))
        .then(|| format!("{} watches {metric}, which haplat cannot time", alarm.path()))
}

/// A canary's worst case to report a failure: the outage starts just after a run, the next run
/// starts one schedule later and its request fails at the latest when the run times out.
fn canary_run(canary: &Res<'_>) -> Result<Link, String> {
    let expression = canary
        .prop("Schedule")
        .and_then(|s| s.get("Expression"))
        .and_then(Json::as_str)
        .ok_or_else(|| format!("the schedule of {} is not known at synth", canary.path()))?;
    let every = rate_seconds(expression)
        .ok_or_else(|| format!("{} runs on {expression:?}, which haplat cannot time (use rate(…))", canary.path()))?;
    if every == 0.0 {
        return Err(format!("{} runs once (rate(0 minutes)): it watches nothing after", canary.path()));
    }
    let timeout = match canary.prop("RunConfig").and_then(|r| r.get("TimeoutInSeconds")) {
        None => every.min(840.0),
        Some(v) => v
            .as_f64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| format!("TimeoutInSeconds of {} is not known at synth", canary.path()))?,
    };
    Ok(Link {
        what: format!("canary: a run every {every} s, its failure reported at the latest after {timeout} s"),
        path: canary.path().to_owned(),
        seconds: every + timeout,
        basis: CANARY_SCHEDULE,
    })
}

/// The seconds between runs of a `rate(n minute[s] | hour[s])` schedule.
fn rate_seconds(expression: &str) -> Option<f64> {
    let inner = expression.trim().strip_prefix("rate(")?.strip_suffix(')')?;
    let (n, unit) = inner.trim().split_once(' ')?;
    let n: f64 = n.parse().ok()?;
    let unit = match unit.trim() {
        "minute" | "minutes" => 60.0,
        "hour" | "hours" => 3600.0,
        _ => return None,
    };
    Some(n * unit)
}

/// How long resolvers keep answering with the failed region: the record's TTL, or for an alias
/// its target's (60 s for a load balancer).
fn ttl(a: &Assembly, r: &Res<'_>) -> Link {
    let path = r.path().to_owned();
    if let Some(alias) = r.prop("AliasTarget") {
        let target = alias.get("DNSName").and_then(|v| a.target(r.stack, v)).map(|t| t.type_name());
        let what = match target {
            Some("AWS::ElasticLoadBalancingV2::LoadBalancer") => "DNS: alias to a load balancer, TTL 60 s",
            _ => "DNS: alias record, its target's TTL, counted as 60 s",
        };
        return Link { what: what.into(), path, seconds: 60.0, basis: ALIAS_TTL };
    }
    let seconds = number(r, "TTL", 300.0).unwrap_or(300.0);
    Link { what: format!("DNS: TTL {seconds} s"), path, seconds, basis: ALIAS_TTL }
}

/// When `name` is the domain of a CloudFront origin: a request CloudFront sent to the failed
/// region on the old DNS answer, just before it expired, is failed (or, in an origin group,
/// passed to the secondary) only after every connection attempt has timed out. The slowest
/// such origin of the assembly counts; its `OriginReadTimeout` does not, as a region that is
/// down accepts no connection.
fn cloudfront_retry(a: &Assembly, name: &str) -> Option<Link> {
    let name = name.trim_end_matches('.');
    let mut worst: Option<Link> = None;
    for d in a.of_type("AWS::CloudFront::Distribution") {
        let origins = d.prop("DistributionConfig").and_then(|c| c.get("Origins")).and_then(Json::as_array);
        for o in origins.into_iter().flatten() {
            let domain = o.get("DomainName").and_then(Json::as_str).map(|s| s.trim_end_matches('.'));
            if name.is_empty() || domain != Some(name) {
                continue;
            }
            let setting = |key: &str, default: f64| {
                o.get(key)
                    .and_then(|v| v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
                    .unwrap_or(default)
            };
            let (attempts, timeout) = (setting("ConnectionAttempts", 3.0), setting("ConnectionTimeout", 10.0));
            if worst.as_ref().is_none_or(|w| attempts * timeout > w.seconds) {
                worst = Some(Link {
                    what: format!(
                        "CloudFront: a request sent on the old answer fails after {attempts} connection attempts of \
                         {timeout} s"
                    ),
                    path: d.path().to_owned(),
                    seconds: attempts * timeout,
                    basis: CLOUDFRONT_ORIGIN,
                });
            }
        }
    }
    worst
}

/// Whether a `ReplicationLatency` alarm watches `table` (its `TableName` dimension names it).
fn table_matches(a: &Assembly, alarm: &Res<'_>, table: &Res<'_>) -> bool {
    let dims = alarm.prop("Dimensions").and_then(Json::as_array).cloned().unwrap_or_default();
    let Some(value) = dims.iter().find(|d| d.get("Name").and_then(Json::as_str) == Some("TableName")) else {
        return false;
    };
    let value = value.get("Value").cloned().unwrap_or_default();
    match a.target(alarm.stack, &value) {
        Some(t) => t.stack_t.name() == table.stack_t.name() && t.id == table.id,
        None => table.prop_str("TableName").is_some() && value.as_str() == table.prop_str("TableName"),
    }
}

/// The tightest alarm on `metric` (milliseconds of replication lag) that `watches` the store.
fn lag_watch(
    a: &Assembly,
    store: &Res<'_>,
    metric: &str,
    watches: impl Fn(&Assembly, &Res<'_>, &Res<'_>) -> bool,
) -> Option<LagWatch> {
    let mut best: Option<LagWatch> = None;
    for alarm in a.of_type("AWS::CloudWatch::Alarm") {
        if alarm.prop_str("MetricName") != Some(metric) || !watches(a, &alarm, store) {
            continue;
        }
        let Ok(threshold_ms) = number(&alarm, "Threshold", f64::INFINITY) else { continue };
        let statistic =
            alarm.prop_str("Statistic").or_else(|| alarm.prop_str("ExtendedStatistic")).unwrap_or("Average").to_owned();
        let has_actions = alarm.prop("AlarmActions").and_then(Json::as_array).is_some_and(|a| !a.is_empty());
        let w = LagWatch { path: alarm.path().to_owned(), threshold_ms, statistic, has_actions };
        if best.as_ref().is_none_or(|b| w.threshold_ms < b.threshold_ms) {
            best = Some(w);
        }
    }
    best
}

/// Whether an alarm statistic catches a single slow replication (an average hides it).
pub fn catches_peaks(statistic: &str) -> bool {
    statistic == "Maximum" || statistic.strip_prefix('p').and_then(|p| p.parse::<f64>().ok()).is_some_and(|p| p >= 99.0)
}

/// What `haplat synth` prints: each declared objective beside the figure the settings allow,
/// and the worst failover chain link by link. Empty when nothing is declared and nothing
/// fails over.
pub fn summary(a: &Assembly) -> Vec<String> {
    let figures = availability(a);
    let objectives = a.manifest.objectives.clone().unwrap_or_default();
    let mut out = Vec::new();
    let worst = figures.worst_failover();
    match (objectives.app_failover_seconds, worst) {
        (Some(o), Some(c)) => {
            let verdict = if c.seconds() <= f64::from(o) { "met" } else { "NOT MET" };
            out.push(format!("app failover: objective {o} s, at worst {} s ({}): {verdict}", c.seconds(), c.label));
        }
        (Some(o), None) => {
            out.push(format!("app failover: objective {o} s, but no record fails over on a health check"))
        }
        (None, Some(c)) => {
            out.push(format!("app failover: at worst {} s ({}), no objective declared", c.seconds(), c.label))
        }
        (None, None) => {}
    }
    if let Some(c) = worst {
        out.extend(c.links.iter().map(|l| format!("  {l}")));
    }
    // Per routed name (the API's origin, the real-time name …), its slowest part failing alone.
    let mut parts: Vec<(&str, &Chain, &Vec<Link>)> = Vec::new();
    for c in &figures.failover {
        let Some(part) = &c.part else { continue };
        let name = c.label.split(" (").next().unwrap_or(&c.label);
        match parts.iter_mut().find(|(n, _, _)| *n == name) {
            Some(p) if sum(part) > sum(p.2) => *p = (name, c, part),
            Some(_) => {}
            None => parts.push((name, c, part)),
        }
    }
    for (_, c, part) in parts {
        let slowest = part.first().map_or("", |l| l.path.as_str());
        // A part over the objective that the app accepts (HAP058 suppressed on the record, with
        // its reason) is said to be accepted, not hidden.
        let accepted = a.res(c.stack, &c.record).and_then(|r| r.suppression("HAP058")).is_some();
        let verdict = match objectives.app_failover_seconds {
            Some(o) if sum(part) <= f64::from(o) => ": met",
            Some(_) if accepted => ": over the objective, accepted (HAP058 suppressed with its reason)",
            Some(_) => ": NOT MET (HAP058, a warning)",
            None => "",
        };
        out.push(format!(
            "  one part of {} failing alone, its other checks passing: at worst {} s (slowest part: {slowest}){verdict}",
            c.label,
            sum(part)
        ));
    }
    if let Some(r) = &figures.recovery {
        let what = match &r.unknown {
            Some(why) => format!("not computed, {why}"),
            None => format!("at worst {} s ({} carries {}'s load in {})", r.seconds(), r.service, r.failed, r.survivor),
        };
        out.push(match objectives.region_recovery_seconds {
            Some(o) => {
                let met = r.unknown.is_none() && r.seconds() <= f64::from(o);
                format!("region recovery: objective {o} s, {what}: {}", if met { "met" } else { "NOT MET" })
            }
            None => format!("region recovery: {what}, no objective declared"),
        });
        if r.unknown.is_none() {
            // The failover chain is printed above: the scale-out's own links.
            let chain = worst.map_or(0, |c| c.links.len());
            out.extend(r.links.iter().skip(chain).map(|l| format!("  {l}")));
        }
    } else if let Some(o) = objectives.region_recovery_seconds {
        out.push(format!("region recovery: objective {o} s, but no ECS service scales out in more than one region"));
    }
    if let Some(o) = objectives.db_failover_seconds {
        out.push(format!(
            "database failover: objective {o} s, measured at each move of the writer (`haplat db switchover` or \
             `haplat db failover`), not computed from the templates"
        ));
    }
    for c in figures.failover.iter().filter(|c| c.unknown.is_some()) {
        out.push(format!("app failover of {}: not computed, {}", c.label, c.unknown.as_deref().unwrap_or_default()));
    }
    out.extend(slo_summary(&figures.slos, &objectives));
    for d in &figures.data {
        let path = a.res(d.stack, &d.id).map_or(d.id.clone(), |r| r.path().to_owned());
        let line = match (&d.lag, d.synchronous) {
            (_, true) => format!("data loss of {path}: none (multi-Region strong consistency)"),
            (Some(w), false) => format!(
                "data loss of {path}: asynchronous replication, typically under 1 s (no AWS bound); paged above {} ms \
                 ({}) by {}",
                w.threshold_ms, w.statistic, w.path
            ),
            (None, false) => format!("data loss of {path}: asynchronous replication, no alarm on its lag"),
        };
        let line = match objectives.data_loss_ms {
            Some(o) => format!("{line}; objective {o} ms"),
            None => line,
        };
        out.push(line);
    }
    out
}

/// The SLO lines of the summary: per indicator, the declared objective, the SLOs that alarm
/// on its burn, and those that fall short of it.
fn slo_summary(slos: &[SloFigure], objectives: &haplat_core::manifest::Objectives) -> Vec<String> {
    let mut out = Vec::new();
    for indicator in ["availability", "latency"] {
        let of: Vec<&SloFigure> = slos.iter().filter(|s| s.indicator == indicator).collect();
        let declared = match indicator {
            "availability" => objectives
                .availability_percent
                .map(|o| format!("objective {o} % ({:.1} min of errors per 30 days)", budget_minutes(o))),
            _ => objectives.latency_p99_ms.map(|o| format!("objective p99 within {o} ms")),
        };
        if of.is_empty() && declared.is_none() {
            continue;
        }
        let short: Vec<String> = of.iter().filter_map(|s| slo_shortfall(s, objectives)).collect();
        let silent = of.iter().filter(|s| !s.pages).count();
        let mut line = format!("{indicator} SLO: {}", declared.as_deref().unwrap_or("no objective declared"));
        line.push_str(&format!(", {} SLO(s) alarm on its error budget's burn", of.len()));
        if silent > 0 {
            line.push_str(&format!(" ({silent} notify no one)"));
        }
        if declared.is_some() {
            line.push_str(if of.is_empty() || !short.is_empty() { ": NOT MET" } else { ": met" });
        }
        out.push(line);
        out.extend(short.iter().map(|s| format!("  {s}")));
    }
    out
}
