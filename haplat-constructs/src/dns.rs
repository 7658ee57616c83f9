//! Route 53 for a multi-region API: a hosted zone (new and retained, or an existing one), a
//! health check per region, the routed origin name with
//! latency records (active-active), failover PRIMARY/SECONDARY records (active-passive) or
//! weighted records (for shifting traffic between regions), a per-region name for each endpoint,
//! the apex and `www` aliased to the CloudFront distribution when there is one, and a CloudWatch
//! alarm on each health check.
//!
//! Route 53 publishes health-check metrics in us-east-1 only, so a [`FailoverDns`] lives in a
//! us-east-1 stack (anything else is a synth error).
//!
//! ## Health checks
//!
//! Each region's records use its own health check when its [`RegionalEndpoint`] has one
//! (`health_check_id`: a CloudFront-fronted [`MultiRegionApi`](crate::api::MultiRegionApi) makes
//! one in each region over the alarms of its services' healthy targets), else an `HTTPS` check of
//! the endpoint's health path made here; and an alarm on that check tells the alarm actions. Why: see `docs/decisions.md`, "Route 53 health checks of a CloudFront-only origin".
//!
//! The names it serves, for a zone `example.com` and the default `origin` label:
//!
//! | name | records |
//! | --- | --- |
//! | `origin.example.com` | one per region: latency, failover or weighted, health-checked |
//! | `standby.origin.example.com` | active-passive with several standbys: a latency record per standby, health-checked; the failover `SECONDARY` of `origin.example.com` aliases it |
//! | `<region>.origin.example.com` | an alias of that region's load balancer (CloudFront's origin group uses them) |
//! | `example.com`, `www.example.com` | `A`/`AAAA` aliases of the distribution |
//! | `<region>.checked.origin.example.com` | with [`FailoverDnsProps::routing_controls`]: a weighted record on the region's check, which the routed record aliases |
//!
//! With Route 53 ARC routing controls ([`crate::recovery_control`]), each region's routed record
//! follows a `RECOVERY_CONTROL` check of its control (`<Region>/ControlCheck`) and aliases,
//! evaluating its health, `<region>.checked.<origin>` (`<Region>/Checked`), which follows the
//! region's own check: turning the control off takes the region out, and so does the region failing
//! (docs/decisions.md, "Route 53 ARC in prod only").
//!
//! The regional load balancers' certificates must therefore cover `origin.example.com` and
//! `<region>.origin.example.com`: the API's domain name must be the origin name (checked against
//! [`RegionalEndpoint::domain_name`]).
//!
//! ```
//! use haplat_core::{App, Value};
//! use haplat_constructs::dns::{FailoverDns, FailoverDnsProps};
//! use haplat_constructs::monitoring::AlarmTopic;
//! use haplat_constructs::zone::HostedZone;
//! use haplat_constructs::{DrMode, RegionRole, RegionalEndpoint};
//!
//! let app = App::new("shop");
//! let edge = app.stack("Edge", "us-east-1");
//! let endpoint = |region: &str, role| RegionalEndpoint {
//!     region: region.into(), role,
//!     dns_name: Value::from(format!("alb.{region}.elb.amazonaws.com")),
//!     hosted_zone_id: "Z35SXDOTRQ7X7K".into(),
//!     health_check_path: "/health".into(),
//!     domain_name: "origin.example.com".into(),
//!     health_check_id: None, api: None,
//! };
//! let zone = HostedZone::new(&edge, "Zone", "example.com");
//! let mut props = FailoverDnsProps::new(zone, vec![
//!     endpoint("us-east-1", RegionRole::Primary),
//!     endpoint("us-west-2", RegionRole::Secondary),
//! ]);
//! props.mode = DrMode::ActivePassive;
//! // The health alarms are critical: they notify a topic in us-east-1.
//! props.alarm_actions = vec![AlarmTopic::new(&edge.child("Alarms"), &["oncall@example.com".into()]).arn()];
//! let dns = FailoverDns::new(&edge, "Dns", props);
//! assert_eq!(dns.health_checks.len(), 2);
//! let t = app.synth().unwrap().template("shop-Edge").unwrap();
//! let mut failover: Vec<&str> = t["Resources"].as_object().unwrap().values()
//!     .filter_map(|r| r["Properties"]["Failover"].as_str()).collect();
//! failover.sort();
//! assert_eq!(failover, ["PRIMARY", "SECONDARY"]);
//! ```

use std::collections::BTreeMap;

use haplat_core::resources::cloudwatch::alarm::Alarm;
use haplat_core::resources::route53::record_set::{AliasTarget, Failover, RecordSet};
use haplat_core::value::Value;
use haplat_core::{Handle, Scope, Stack};

use crate::health_check::{HealthCheck, HealthCheckProps, status_alarm};
use crate::naming::pascal;
use crate::platform::{DnsFacts, DrMode, RegionRole, RegionalEndpoint};
use crate::zone::{HostedZone, domain_problem};

/// The hosted zone id of every CloudFront distribution, for alias records.
pub const CLOUDFRONT_HOSTED_ZONE_ID: &str = "Z2FDTNDATAQYW2";

/// How Route 53 spreads the routed name over the regions.
#[derive(Clone, Debug, PartialEq)]
pub enum Routing {
    /// Follow the mode: latency for active-active, failover for active-passive.
    ByMode,
    /// Weighted: region → weight (0–255); a region left out gets 0.
    Weighted(BTreeMap<String, i64>),
}

/// What [`FailoverDns`] serves.
#[derive(Clone, Debug)]
pub struct FailoverDnsProps {
    /// The zone.
    pub zone: HostedZone,
    /// The regional endpoints (exactly one primary).
    pub endpoints: Vec<RegionalEndpoint>,
    /// Active-active (latency) or active-passive (failover). Default: [`DrMode::ActiveActive`].
    pub mode: DrMode,
    /// Override of the routing (weighted records). Default: [`Routing::ByMode`].
    pub routing: Routing,
    /// The label of the routed name under the zone (`origin` → `origin.example.com`). Default:
    /// `origin`.
    pub origin_label: String,
    /// The CloudFront distribution's domain name, to alias `aliased_names` to. Default: none (no
    /// alias records).
    pub distribution_domain: Option<Value<String>>,
    /// The names aliased to the distribution (usually its domain names). Default: none; with a
    /// `distribution_domain`, at least one is required (haplat takes no name of the zone, not
    /// even its apex, unless told).
    pub aliased_names: Vec<String>,
    /// Topics the health-check alarms notify, in us-east-1 (see [`AlarmTopic`](crate::monitoring::AlarmTopic)). Required: the
    /// alarms are critical, and with none they tell nobody (a synthesis error).
    pub alarm_actions: Vec<Value<String>>,
    /// Region → the ARN of its Route 53 ARC routing control
    /// ([`RecoveryControl::controls`](crate::recovery_control::RecoveryControl::controls)), for
    /// every region or none. With them, each region's routed record follows a `RECOVERY_CONTROL`
    /// check of its control and aliases, evaluating its health, a weighted record
    /// `<region>.checked.<origin>` that follows the region's own check: turning the control off
    /// takes the region out, and so does the region failing (see the [module](self) docs).
    /// Default: none.
    pub routing_controls: BTreeMap<String, Value<String>>,
}

impl FailoverDnsProps {
    /// Active-active over these endpoints, `origin.<zone>`, no name aliased to a distribution.
    pub fn new(zone: HostedZone, endpoints: Vec<RegionalEndpoint>) -> Self {
        let aliased_names = Vec::new();
        FailoverDnsProps {
            zone,
            endpoints,
            mode: DrMode::ActiveActive,
            routing: Routing::ByMode,
            origin_label: "origin".into(),
            distribution_domain: None,
            aliased_names,
            alarm_actions: Vec::new(),
            routing_controls: BTreeMap::new(),
        }
    }
}

/// The name of the standbys' latency set when active-passive has several standbys
/// (`standby.origin.example.com`): the failover `SECONDARY` record of the routed name aliases it,
/// so traffic fails over from the primary to the nearest healthy standby.
pub fn standby_origin_name(origin_name: &str) -> String {
    format!("standby.{origin_name}")
}

/// The routed origin name of a zone and label (`origin.example.com`).
pub fn origin_name(zone: &str, label: &str) -> String {
    format!("{label}.{zone}")
}

/// The per-region name of the record that follows the region's own health check when a routing
/// control gates the routed record (`us-west-2.checked.origin.example.com`).
pub fn checked_origin_name(region: &str, origin_name: &str) -> String {
    format!("{region}.checked.{origin_name}")
}

/// The per-region name of an endpoint (`us-west-2.origin.example.com`).
pub fn regional_origin_name(region: &str, origin_name: &str) -> String {
    format!("{region}.{origin_name}")
}

/// Route 53 records, health checks and alarms (see the [module](self) docs).
#[derive(Clone, Debug)]
pub struct FailoverDns {
    /// The routed name (`origin.example.com`).
    pub origin_name: String,
    /// Region → the id of its health check (the one its records use: the region's own, see
    /// [`RegionalEndpoint::health_check_id`], or an `HTTPS` check made here).
    pub health_checks: BTreeMap<String, Value<String>>,
    /// Region → the alarm on its health check.
    pub alarms: BTreeMap<String, Handle<Alarm>>,
    /// Every record set, in the order added.
    pub records: Vec<Handle<RecordSet>>,
}

impl FailoverDns {
    /// Adds the records, health checks and alarms under `scope.child(id)`.
    pub fn new(scope: &Scope, id: &str, props: FailoverDnsProps) -> FailoverDns {
        let stack = scope.stack();
        let scope = scope.child(id);
        let origin = check(&scope, &stack, &props);
        crate::platform::record(&stack.app(), |f| {
            f.dns.push(DnsFacts {
                path: scope.path(),
                mode: matches!(props.routing, Routing::ByMode).then_some(props.mode),
                endpoints: props.endpoints.clone(),
                distribution: props.distribution_domain.clone(),
                aliased: props.aliased_names.clone(),
            });
        });
        // Active-passive over several standbys: the primary's failover record, then a latency set
        // of the standbys behind one SECONDARY record (Route 53 takes one record of each).
        let standbys = props.mode == DrMode::ActivePassive
            && matches!(props.routing, Routing::ByMode)
            && props.endpoints.iter().filter(|e| e.role == RegionRole::Secondary).count() > 1;
        let standby_name = standby_origin_name(&origin);
        let mut standby_records = Vec::new();

        let mut health_checks = BTreeMap::new();
        let mut alarms = BTreeMap::new();
        let mut records = Vec::new();
        for e in &props.endpoints {
            let rid = pascal(&e.region);
            let r = scope.child(&rid);
            // The region's own check when it has one, else an HTTPS check of its health path.
            let check_id = e.health_check_id.clone().unwrap_or_else(|| {
                let check = HealthCheckProps::Https {
                    domain_name: e.dns_name.clone(),
                    path: e.health_check_path.clone().into(),
                };
                HealthCheck::new(&r, "HealthCheck", check).id()
            });
            let alarm = status_alarm(
                &r,
                "HealthAlarm",
                check_id.clone(),
                &format!("the API in {} fails its Route 53 health check", e.region),
                &props.alarm_actions,
            );
            let alias = AliasTarget {
                dns_name: e.dns_name.clone(),
                hosted_zone_id: e.hosted_zone_id.clone(),
                evaluate_target_health: Some(true.into()),
            };
            // The routed record follows its health check only: with EvaluateTargetHealth, Route 53
            // would also need every target group of the load balancer to have a healthy target,
            // and "a target group that has no registered targets is considered unhealthy" — a
            // blue/green service's idle group, so every region would be unhealthy at rest and
            // Route 53 would answer with all of them (HAP035).
            let routed_alias = AliasTarget { evaluate_target_health: Some(false.into()), ..alias.clone() };
            // With a routing control, the routed record follows the control and aliases, evaluating
            // its health, a one-record weighted group that follows the region's check: a record
            // takes one health check, and an alias whose target's records are all unhealthy is
            // unhealthy itself (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-complex-configs.html).
            let (routed_check, routed_alias, checked) = match props.routing_controls.get(&e.region) {
                None => (check_id.clone(), routed_alias, None),
                Some(arn) => {
                    let control =
                        HealthCheck::new(&r, "ControlCheck", HealthCheckProps::RoutingControl { arn: arn.clone() });
                    let name = checked_origin_name(&e.region, &origin);
                    let checked = r.add(
                        "Checked",
                        RecordSet {
                            hosted_zone_id: Some(props.zone.id.clone()),
                            name: format!("{name}.").into(),
                            type_: "A".into(),
                            alias_target: Some(routed_alias),
                            set_identifier: Some(e.region.clone().into()),
                            weight: Some(1.into()),
                            health_check_id: Some(check_id.clone()),
                            ..Default::default()
                        },
                    );
                    // An alias to a record of the zone names the zone's own id (AliasTarget, "Another
                    // Route 53 record in your hosted zone": https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-route53-aliastarget.html).
                    // cfn-lint (E1041, since aws-cloudformation/cfn-lint#4560) takes a bare Ref to a
                    // HostedZone there for the usual copy-paste mistake; the Fn::Join says it is meant.
                    let zone_id = if props.zone.zone.is_some() {
                        Value::join("", [props.zone.id.clone()])
                    } else {
                        props.zone.id.clone()
                    };
                    let gate = AliasTarget {
                        dns_name: format!("{name}.").into(),
                        hosted_zone_id: zone_id,
                        evaluate_target_health: Some(true.into()),
                    };
                    (control.id(), gate, Some(checked))
                }
            };
            let in_standby_set = standbys && e.role == RegionRole::Secondary;
            let name = if in_standby_set { &standby_name } else { &origin };
            let mut routed = RecordSet {
                hosted_zone_id: Some(props.zone.id.clone()),
                name: format!("{name}.").into(),
                type_: "A".into(),
                alias_target: Some(routed_alias),
                set_identifier: Some(e.region.clone().into()),
                health_check_id: Some(routed_check),
                ..Default::default()
            };
            match (&props.routing, props.mode) {
                (Routing::Weighted(w), _) => routed.weight = Some(w.get(&e.region).copied().unwrap_or(0).into()),
                (Routing::ByMode, DrMode::ActiveActive) => routed.region = Some(e.region.clone().into()),
                (Routing::ByMode, DrMode::ActivePassive) if in_standby_set => {
                    routed.region = Some(e.region.clone().into());
                }
                (Routing::ByMode, DrMode::ActivePassive) => {
                    let failover = if e.role == RegionRole::Primary { Failover::Primary } else { Failover::Secondary };
                    routed.failover = Some(failover.into());
                }
            }
            let routed = r.add("Routed", routed);
            if in_standby_set {
                standby_records.push(routed);
            }
            if let Some(checked) = checked {
                // Route 53 refuses an alias to a record that does not exist yet.
                r.options(routed).depends_on(checked);
                records.push(checked);
            }
            records.push(routed);
            records.push(r.add(
                "Regional",
                RecordSet {
                    hosted_zone_id: Some(props.zone.id.clone()),
                    name: format!("{}.", regional_origin_name(&e.region, &origin)).into(),
                    type_: "A".into(),
                    alias_target: Some(alias),
                    ..Default::default()
                },
            ));
            health_checks.insert(e.region.clone(), check_id);
            alarms.insert(e.region.clone(), alarm);
        }
        if standbys {
            records.push(standby_failover(&scope, &props, &origin, &standby_name, &standby_records));
        }
        if let Some(domain) = &props.distribution_domain {
            alias_records(&scope, &props, domain, &mut records);
        }
        FailoverDns { origin_name: origin, health_checks, alarms, records }
    }
}

/// Reports misuse of `props` at `scope`; the routed name.
fn check(scope: &Scope, stack: &Stack, props: &FailoverDnsProps) -> String {
    if stack.regions() != ["us-east-1"] {
        scope.error(format!(
            "Route 53 health-check metrics exist only in us-east-1, but stack {} is deployed to {}; put FailoverDns in a us-east-1 stack",
            stack.id(),
            stack.regions().join(", ")
        ));
    }
    if props.distribution_domain.is_some() && props.aliased_names.is_empty() {
        scope.error(
            "distribution_domain is set but aliased_names is empty: name the records to alias to the distribution \
             (usually its domain names; haplat takes no name of the zone, not even its apex, unless told)",
        );
    }
    if props.alarm_actions.is_empty() {
        scope.error(
            "the health alarms are critical and tell nobody: set alarm_actions to a topic in this stack's region, \
             us-east-1 (a CloudWatch alarm notifies only a topic of its own region; `monitoring::AlarmTopic` makes one)",
        );
    }
    let primaries: Vec<&RegionalEndpoint> = props.endpoints.iter().filter(|e| e.role == RegionRole::Primary).collect();
    match primaries.len() {
        0 => scope.error(format!(
            "no primary region among the endpoints ({}); mark exactly one RegionRole::Primary",
            props.endpoints.iter().map(|e| e.region.as_str()).collect::<Vec<_>>().join(", ")
        )),
        1 => {}
        _ => scope.error(format!(
            "more than one primary region ({}); mark exactly one RegionRole::Primary",
            primaries.iter().map(|e| e.region.as_str()).collect::<Vec<_>>().join(", ")
        )),
    }
    let mut seen: Vec<&str> = Vec::new();
    for e in &props.endpoints {
        if seen.contains(&e.region.as_str()) {
            scope.error(format!("region {} has two endpoints", e.region));
        }
        seen.push(&e.region);
        if !e.health_check_path.starts_with('/') {
            scope.error(format!("health check path {:?} of {} must start with '/'", e.health_check_path, e.region));
        }
    }
    if let Routing::Weighted(w) = &props.routing {
        for (r, weight) in w {
            if !props.endpoints.iter().any(|e| &e.region == r) {
                scope.error(format!("weight given for {r}, which has no endpoint"));
            }
            if !(0..=255).contains(weight) {
                scope.error(format!("weight {weight} of {r}: use 0 to 255"));
            }
        }
    }
    if props.mode == DrMode::ActivePassive && props.endpoints.len() < 2 && matches!(props.routing, Routing::ByMode) {
        scope.error("failover records need a secondary region; add one or use DrMode::ActiveActive");
    }
    if !props.routing_controls.is_empty() {
        for r in props.routing_controls.keys() {
            if !props.endpoints.iter().any(|e| &e.region == r) {
                scope.error(format!("routing control given for {r}, which has no endpoint"));
            }
        }
        let missing: Vec<&str> = props
            .endpoints
            .iter()
            .filter(|e| !props.routing_controls.contains_key(&e.region))
            .map(|e| e.region.as_str())
            .collect();
        if !missing.is_empty() {
            scope.error(format!(
                "routing controls are given for some regions but not {}: give one for every region or none (a region \
                 without one could not be taken out by ARC, nor counted by its safety rule)",
                missing.join(", ")
            ));
        }
    }
    let origin = origin_name(&props.zone.name, &props.origin_label);
    if let Some(why) = domain_problem(&origin) {
        scope.error(why);
    }
    for e in &props.endpoints {
        if let Some(why) = e.origin_problem(&origin) {
            scope.error(why);
        }
    }
    origin
}

/// The failover `SECONDARY` record of the routed name (`Standbys`), an alias of the standbys'
/// latency set that evaluates its health: with the primary unhealthy, Route 53 answers with the
/// nearest healthy standby.
fn standby_failover(
    scope: &Scope,
    props: &FailoverDnsProps,
    origin: &str,
    standby_name: &str,
    standby_records: &[Handle<RecordSet>],
) -> Handle<RecordSet> {
    let record = scope.add(
        "Standbys",
        RecordSet {
            hosted_zone_id: Some(props.zone.id.clone()),
            name: format!("{origin}.").into(),
            type_: "A".into(),
            alias_target: Some(AliasTarget {
                dns_name: format!("{standby_name}.").into(),
                hosted_zone_id: zone_id_for_alias(props),
                evaluate_target_health: Some(true.into()),
            }),
            set_identifier: Some("standbys".into()),
            failover: Some(Failover::Secondary.into()),
            ..Default::default()
        },
    );
    // Route 53 refuses an alias to a record that does not exist yet.
    for r in standby_records {
        scope.options(record).depends_on(*r);
    }
    record
}

/// The zone's id for an alias to a record of the zone. cfn-lint (E1041, since
/// aws-cloudformation/cfn-lint#4560) takes a bare Ref to a HostedZone there for the usual
/// copy-paste mistake; the Fn::Join says it is meant.
fn zone_id_for_alias(props: &FailoverDnsProps) -> Value<String> {
    if props.zone.zone.is_some() { Value::join("", [props.zone.id.clone()]) } else { props.zone.id.clone() }
}

/// The `A` and `AAAA` aliases of `props.aliased_names` to the distribution at `domain`, as
/// `scope/<Label><type>` (`ApexA`, `WwwAAAA` …).
fn alias_records(
    scope: &Scope,
    props: &FailoverDnsProps,
    domain: &Value<String>,
    records: &mut Vec<Handle<RecordSet>>,
) {
    for name in &props.aliased_names {
        if name != &props.zone.name && !name.ends_with(&format!(".{}", props.zone.name)) {
            scope.error(format!("{name} is not in the zone {}", props.zone.name));
        }
        let label =
            if name == &props.zone.name { "Apex".to_owned() } else { pascal(name.trim_end_matches(&props.zone.name)) };
        for ty in ["A", "AAAA"] {
            records.push(scope.add(
                &format!("{label}{ty}"),
                RecordSet {
                    hosted_zone_id: Some(props.zone.id.clone()),
                    name: format!("{name}.").into(),
                    type_: ty.into(),
                    alias_target: Some(AliasTarget {
                        dns_name: domain.clone(),
                        hosted_zone_id: CLOUDFRONT_HOSTED_ZONE_ID.into(),
                        evaluate_target_health: Some(false.into()),
                    }),
                    ..Default::default()
                },
            ));
        }
    }
}
