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
//!
//! **With Route 53 ARC** (the assembly has routing controls gating its routed records, see
//! `haplat_constructs::recovery_control`), failover and failback flip the routing controls
//! instead, in one `UpdateRoutingControlStates` transaction on the cluster's data plane, trying
//! each of the cluster's endpoints in turn ([`crate::routing`]); the region checks are left as
//! they are, and the automatic failover keeps working beside the controls. ARC applies the change
//! only if the control panel's safety rules still hold; haplat refuses first when no control would
//! stay on, and reports ARC's own refusal as one line.
//!
//! **Then DNS**: after Route 53 (or ARC) has the new state, haplat asks Route 53's own name
//! servers (`TestDNSAnswer`, <https://docs.aws.amazon.com/Route53/latest/APIReference/API_TestDNSAnswer.html>)
//! for each routed name until no answer holds a taken-out region's addresses, and puts it on the
//! timeline. A region's addresses are the answer for the record its routed record aliases (a
//! gated record's `<region>.checked.<name>`, else the region's own alias of the same target).
//! No network DNS is used; resolvers still keep an old answer for the record's TTL.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Serialize;

use crate::assembly::Assembly;
use crate::cfn::CloudFormation;
use crate::error::Error;
use crate::health::{Only, RegionCheck, RegionResources, Retry, discover, forced_out, region_checks};
use crate::observe::{HealthCheck, HealthCheckUpdate, Observe};
use crate::routing::{ClusterEndpoint, NoRoutingControls, RoutingControls, on_any_endpoint};

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

impl Step {
    /// Adds the step `what`, `start` ago, to `steps`, and prints it on stderr as it happens (the
    /// timelines of failover, drill and `haplat db`).
    pub(crate) fn record(steps: &mut Vec<Step>, start: tokio::time::Instant, what: impl Into<String>) {
        let step = Step { elapsed: start.elapsed().as_secs(), what: what.into() };
        crate::errln!("[{:>4} s] {}", step.elapsed, step.what);
        steps.push(step);
    }

    /// `steps` as text, a line each.
    pub fn lines(steps: &[Step]) -> String {
        steps.iter().map(|s| format!("[{:>4} s] {}\n", s.elapsed, s.what)).collect()
    }
}

impl Timeline {
    fn push(&mut self, start: tokio::time::Instant, what: impl Into<String>) {
        Step::record(&mut self.steps, start, what);
    }

    /// The timeline as text.
    pub fn text(&self) -> String {
        Step::lines(&self.steps)
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

/// Through the region checks only, whether or not the app has routing controls (the region
/// checks gate the records in both cases), and without the DNS check.
pub async fn run<C: CloudFormation, O: Observe>(
    cfn: &C,
    obs: &O,
    assembly: &Assembly,
    what: &Move,
    wait: &Wait,
    retry: &Retry,
) -> Result<Timeline, Error> {
    run_inner(cfn, obs, None::<&NoRoutingControls>, assembly, what, wait, retry).await
}

/// Takes regions out or puts them back (through the routing controls when the app has them),
/// waits until Route 53 agrees and its name servers answer without the regions taken out, and
/// returns the timeline. Refuses (nothing changed) when no healthy region would be left.
pub async fn run_with<C: CloudFormation, O: Observe, R: RoutingControls>(
    cfn: &C,
    obs: &O,
    routing: &R,
    assembly: &Assembly,
    what: &Move,
    wait: &Wait,
    retry: &Retry,
) -> Result<Timeline, Error> {
    run_inner(cfn, obs, Some(routing), assembly, what, wait, retry).await
}

async fn run_inner<C: CloudFormation, O: Observe, R: RoutingControls>(
    cfn: &C,
    obs: &O,
    routing: Option<&R>,
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
    let routes = match routing {
        Some(_) => discover(cfn, obs, assembly, &Only::default(), ROUTING_TYPES, retry).await?,
        None => Vec::new(),
    };
    if let Some(routing) = routing
        && let Some(controls) = routing_controls(&routes)?
    {
        let mut timeline = Timeline::default();
        flip(routing, &deployed, &controls, what, retry, start, &mut timeline).await?;
        if timeline.settled
            && let Move::Out(out) = what
        {
            dns_wait(routing, &routes, out, wait, retry, start, &mut timeline).await;
        }
        return Ok(timeline);
    }
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
            if let (Some(routing), Move::Out(out)) = (routing, what) {
                dns_wait(routing, &routes, out, wait, retry, start, &mut timeline).await;
            }
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

/// What failover reads to find the routing controls and the routed names.
const ROUTING_TYPES: &[&str] = &[
    "AWS::Route53RecoveryControl::Cluster",
    "AWS::Route53RecoveryControl::RoutingControl",
    "AWS::Route53::HealthCheck",
    "AWS::Route53::RecordSet",
    "AWS::Route53::HostedZone",
];

/// A region's routing control, as deployed.
#[derive(Clone, Debug)]
struct Control {
    region: String,
    path: String,
    arn: String,
}

/// The app's routing controls and their cluster.
#[derive(Clone, Debug)]
struct Controls {
    cluster_arn: String,
    controls: Vec<Control>,
}

/// The region a routed record serves: its `Region` (latency), else its `SetIdentifier`.
fn record_region(props: &serde_json::Value) -> Option<String> {
    props.get("Region").or_else(|| props.get("SetIdentifier")).and_then(serde_json::Value::as_str).map(str::to_owned)
}

fn ref_of(v: Option<&serde_json::Value>) -> Option<&str> {
    let v = v?;
    v.get("Ref")
        .and_then(serde_json::Value::as_str)
        .or_else(|| v.pointer("/Fn::GetAtt/0").and_then(serde_json::Value::as_str))
}

/// The routing controls that routed records follow through `RECOVERY_CONTROL` checks, with
/// their cluster; none when the app has none.
fn routing_controls(routes: &[RegionResources]) -> Result<Option<Controls>, Error> {
    let mut controls: Vec<Control> = Vec::new();
    let mut cluster = None;
    for r in routes {
        for rec in r.of_type("AWS::Route53::RecordSet") {
            let Some(check) = ref_of(rec.properties.get("HealthCheckId")).and_then(|id| r.by_logical(&rec.stack, id))
            else {
                continue;
            };
            let config = &check.properties["HealthCheckConfig"];
            if config["Type"].as_str() != Some("RECOVERY_CONTROL") {
                continue;
            }
            let Some(control) = ref_of(config.get("RoutingControlArn")).and_then(|id| r.by_logical(&check.stack, id))
            else {
                return Err(Error::Failed(format!(
                    "{}: its routing control is not a resource of the app; flip it by hand",
                    check.path
                )));
            };
            let Some(arn) = control.physical_id.clone() else {
                return Err(Error::Failed(format!("{}: not created yet (no ARN)", control.path)));
            };
            let Some(region) = record_region(&rec.properties) else { continue };
            if !controls.iter().any(|c| c.arn == arn) {
                controls.push(Control { region, path: control.path.clone(), arn });
            }
            if cluster.is_none() {
                cluster = r
                    .of_type("AWS::Route53RecoveryControl::Cluster")
                    .find(|c| c.stack == control.stack)
                    .and_then(|c| c.physical_id.clone());
            }
        }
    }
    if controls.is_empty() {
        return Ok(None);
    }
    let Some(cluster_arn) = cluster else {
        return Err(Error::Failed(
            "the routing controls' ARC cluster is not a resource of the app (or not created yet); flip them by hand"
                .into(),
        ));
    };
    Ok(Some(Controls { cluster_arn, controls }))
}

fn on_off(on: bool) -> &'static str {
    if on { "On" } else { "Off" }
}

/// Flips the routing controls: reads their states, refuses to leave no control on (or none on a
/// region Route 53 reports healthy), changes them in one transaction.
async fn flip<R: RoutingControls>(
    routing: &R,
    deployed: &[Deployed],
    controls: &Controls,
    what: &Move,
    retry: &Retry,
    start: tokio::time::Instant,
    timeline: &mut Timeline,
) -> Result<(), Error> {
    let endpoints = retry.call(|| routing.cluster_endpoints(&controls.cluster_arn)).await.map_err(|e| {
        Error::cloud(format!("reading the endpoints of ARC cluster {} (DescribeCluster)", controls.cluster_arn), e)
    })?;
    if endpoints.is_empty() {
        return Err(Error::Failed(format!("ARC cluster {} has no endpoint (not deployed yet?)", controls.cluster_arn)));
    }
    let mut states: Vec<(&Control, bool)> = Vec::new();
    for c in &controls.controls {
        let (on, at) = retry
            .call(|| async {
                on_any_endpoint(&endpoints, |e: &ClusterEndpoint| routing.routing_control_state(e, &c.arn))
                    .await
                    .map(|(on, e)| (on, e.region.clone()))
            })
            .await
            .map_err(|e| {
                Error::cloud(format!("reading routing control {} ({}) on every cluster endpoint", c.path, c.region), e)
            })?;
        timeline
            .push(start, format!("{}: routing control {} {} (cluster endpoint in {at})", c.region, c.path, on_off(on)));
        states.push((c, on));
    }
    // Route 53's view of each region: healthy when every region check of it is.
    let healthy = |region: &str| {
        let of: Vec<&Deployed> = deployed.iter().filter(|d| d.region == region).collect();
        !of.is_empty() && of.iter().all(|d| d.healthy == Some(true) && !forced_out(&d.rc, &d.config))
    };
    let mut changes: Vec<(String, bool)> = Vec::new();
    let mut changed: Vec<&Control> = Vec::new();
    match what {
        Move::Out(out) => {
            let on_after: Vec<&str> = states
                .iter()
                .filter(|(c, on)| *on && !out.contains(&c.region))
                .map(|(c, _)| c.region.as_str())
                .collect();
            if on_after.is_empty() {
                return Err(Error::Refused(format!(
                    "taking {} out would turn every routing control off (ARC's safety rule refuses that too); nothing \
                     was changed",
                    out.join(", ")
                )));
            }
            if !on_after.iter().any(|r| healthy(r)) {
                return Err(Error::Refused(format!(
                    "taking {} out would leave traffic only on {}, which Route 53 does not report healthy; nothing was \
                     changed",
                    out.join(", "),
                    on_after.join(", ")
                )));
            }
            for (c, on) in &states {
                if !out.contains(&c.region) {
                    continue;
                }
                if *on {
                    changes.push((c.arn.clone(), false));
                    changed.push(c);
                } else {
                    timeline.push(start, format!("{}: routing control already Off; left as it is", c.region));
                }
            }
        }
        Move::Back(back) => {
            for (c, on) in &states {
                if !back.is_empty() && !back.contains(&c.region) {
                    continue;
                }
                if *on {
                    if !back.is_empty() {
                        timeline.push(start, format!("{}: routing control already On; nothing to undo", c.region));
                    }
                } else {
                    changes.push((c.arn.clone(), true));
                    changed.push(c);
                }
            }
        }
    }
    if changes.is_empty() {
        timeline.push(start, "nothing to change");
        timeline.settled = true;
        return Ok(());
    }
    let on = matches!(what, Move::Back(_));
    let result = retry
        .call(|| async {
            on_any_endpoint(&endpoints, |e: &ClusterEndpoint| routing.update_routing_control_states(e, &changes))
                .await
                .map(|(_, e)| e.region.clone())
        })
        .await;
    let regions: Vec<&str> = changed.iter().map(|c| c.region.as_str()).collect();
    match result {
        Ok(at) => {
            timeline.push(
                start,
                format!(
                    "{}: routing control(s) set {} in one transaction (cluster endpoint in {at}); ARC's answer is \
                     final, Route 53's RECOVERY_CONTROL checks follow it",
                    regions.join(", "),
                    on_off(on)
                ),
            );
            timeline.settled = true;
            Ok(())
        }
        Err(crate::cfn::CfnError::Service { code, message })
            if code == "ConflictException" || message.to_lowercase().contains("safety rule") =>
        {
            Err(Error::Refused(format!(
                "ARC refused to set {} {}: {code}: {message}; nothing was changed",
                regions.join(", "),
                on_off(on)
            )))
        }
        Err(e) => Err(Error::cloud(
            format!(
                "setting the routing control(s) of {} {} on every cluster endpoint",
                regions.join(", "),
                on_off(on)
            ),
            e,
        )),
    }
}

/// A routed name and, per region, the name whose answer is that region's addresses.
struct RoutedName {
    zone: String,
    name: String,
    regions: BTreeMap<String, String>,
}

/// The routed names of the app (records with a routing policy and a health check), each with
/// the per-region names to tell its answers apart.
fn routed_names(routes: &[RegionResources]) -> (Vec<RoutedName>, Vec<String>) {
    let mut names: BTreeMap<(String, String), RoutedName> = BTreeMap::new();
    let mut unknown = Vec::new();
    for r in routes {
        let records: Vec<_> = r.of_type("AWS::Route53::RecordSet").collect();
        for rec in &records {
            let p = &rec.properties;
            if p.get("HealthCheckId").is_none() || p.get("SetIdentifier").is_none() {
                continue;
            }
            let (Some(name), Some(region)) = (p["Name"].as_str(), record_region(p)) else { continue };
            // A weighted record that a gated record aliases is the region's name, not a routed one.
            if records
                .iter()
                .any(|o| o.properties.pointer("/AliasTarget/DNSName").and_then(|v| v.as_str()) == Some(name))
            {
                continue;
            }
            let zone = match &p["HostedZoneId"] {
                serde_json::Value::String(z) => Some(z.clone()),
                v => ref_of(Some(v)).and_then(|id| r.by_logical(&rec.stack, id)).and_then(|z| z.physical_id.clone()),
            };
            let Some(zone) = zone else {
                unknown.push(format!("{name}: its hosted zone is not known"));
                continue;
            };
            let target = p.pointer("/AliasTarget/DNSName");
            let probe = match target {
                Some(serde_json::Value::String(t)) => Some(t.clone()),
                Some(t) => records
                    .iter()
                    .find(|o| {
                        o.properties.get("SetIdentifier").is_none()
                            && o.properties.pointer("/AliasTarget/DNSName") == Some(t)
                    })
                    .and_then(|o| o.properties["Name"].as_str().map(str::to_owned)),
                None => None,
            };
            let entry = names.entry((zone.clone(), name.to_owned())).or_insert_with(|| RoutedName {
                zone,
                name: name.to_owned(),
                regions: BTreeMap::new(),
            });
            match probe {
                Some(probe) => {
                    entry.regions.insert(region, probe);
                }
                None => unknown.push(format!("{name} ({region}): no name answers with this region's addresses alone")),
            }
        }
    }
    (names.into_values().collect(), unknown)
}

/// Waits, bounded by the timeout, until Route 53's name servers answer each routed name without
/// the addresses of the regions taken out. Never fails the command: the change is made; a call
/// that fails is a line on the timeline, and a timeout clears `settled`.
async fn dns_wait<R: RoutingControls>(
    routing: &R,
    routes: &[RegionResources],
    out: &[String],
    wait: &Wait,
    retry: &Retry,
    start: tokio::time::Instant,
    timeline: &mut Timeline,
) {
    let (names, unknown) = routed_names(routes);
    for u in unknown {
        timeline.push(start, format!("DNS: not checked for {u}"));
    }
    let ask = |zone: String, name: String| async move { retry.call(|| routing.test_dns_answer(&zone, &name)).await };
    // Each region's addresses, as Route 53 answers for its own name now.
    let mut pending: Vec<(RoutedName, BTreeSet<String>, BTreeSet<String>)> = Vec::new();
    for n in names {
        let mut gone = BTreeSet::new();
        let mut kept = BTreeSet::new();
        for (region, probe) in &n.regions {
            match ask(n.zone.clone(), probe.clone()).await {
                Ok((data, _)) if out.contains(region) => gone.extend(data),
                Ok((data, _)) => kept.extend(data),
                Err(e) => {
                    timeline.push(start, format!("DNS: could not ask Route 53 for {probe} ({e}); not checked"));
                    return;
                }
            }
        }
        if !gone.is_empty() {
            pending.push((n, gone, kept));
        }
    }
    let mut last: BTreeMap<String, Vec<String>> = BTreeMap::new();
    loop {
        let mut done = true;
        for (n, gone, kept) in &pending {
            let answer = match ask(n.zone.clone(), n.name.clone()).await {
                Ok((data, _)) => data,
                Err(e) => {
                    timeline.push(start, format!("DNS: could not ask Route 53 for {} ({e}); not checked", n.name));
                    return;
                }
            };
            let agrees = !answer.is_empty()
                && answer.iter().all(|a| !gone.contains(a))
                && answer.iter().any(|a| kept.contains(a));
            if last.get(&n.name) != Some(&answer) {
                timeline.push(
                    start,
                    format!(
                        "DNS: Route 53 answers {} with {}{}",
                        n.name,
                        if answer.is_empty() { "nothing".to_owned() } else { answer.join(", ") },
                        if agrees { " (a region kept in)" } else { " (still a region taken out)" }
                    ),
                );
                last.insert(n.name.clone(), answer);
            }
            done &= agrees;
        }
        if done {
            if !pending.is_empty() {
                timeline.push(start, "DNS agrees: Route 53's name servers answer without the regions taken out");
            }
            return;
        }
        if start.elapsed() + wait.poll > wait.timeout {
            timeline.settled = false;
            timeline.push(
                start,
                format!(
                    "gave up waiting for DNS after {} s (--timeout); the change stays made",
                    wait.timeout.as_secs()
                ),
            );
            return;
        }
        tokio::time::sleep(wait.poll).await;
    }
}
