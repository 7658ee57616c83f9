//! The services of the API: their stacks, routes, calls, the region's health alarms and check.

use haplat_core::resources::{cloudwatch, ecs, servicediscovery as sd};
use haplat_core::value::Value;
use haplat_core::{App, Handle, Pseudo, Stack};

use super::ApiProps;
use super::regions::{counts, int_region_value};
use crate::alarm::metric_alarm;
use crate::canary::{Canaries, CanariesProps, CanaryCheck};
use crate::health_check::{HealthCheck, HealthCheckProps};
use crate::kms::KmsKey;
use crate::load_balancer::Alb;
use crate::metrics::MetricRef;
use crate::naming::pascal;
use crate::network::Network;
use crate::platform::PROBE_PREFIX;
use crate::service::{Service, ServiceEnv, ServiceProps};

/// What the services share (in the API's stack).
pub(super) struct Shared<'a> {
    pub(super) network: &'a Network,
    pub(super) key: &'a KmsKey,
    pub(super) cluster: Handle<ecs::Cluster>,
    pub(super) namespace: Handle<sd::PrivateDnsNamespace>,
    pub(super) connect_namespace: Option<Handle<sd::HttpNamespace>>,
    pub(super) public_alb: Option<&'a Alb>,
    pub(super) internal_alb: Option<&'a Alb>,
}

/// The stack sets of the service groups: stack sets of their own over the same regions, which
/// read the shared parts of the API's stack (same-region bindings, a later wave) and are read by
/// nothing there.
pub(super) fn stacks(app: &App, id: &str, names: &[String], stack: &Stack, props: &ApiProps) -> Vec<Stack> {
    match props.services_per_stack {
        None => Vec::new(),
        Some(0) => {
            stack.error("services_per_stack must be at least 1 (None keeps every service in this stack)");
            Vec::new()
        }
        Some(n) => (1..=props.services.len().div_ceil(n))
            .map(|k| {
                let group = app.stack_set(&format!("{id}Services{k}"), names);
                let first = (k - 1) * n;
                let members: Vec<&str> = props.services[first..(first + n).min(props.services.len())]
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect();
                group.set_description(format!(
                    "haplat MultiRegionApi {id}: services group {k} ({})",
                    members.join(", ")
                ));
                group
            })
            .collect(),
    }
}

/// The routing plan of [`plan`].
pub(super) struct Plan {
    /// The path Route 53 requests over HTTPS (the load balancer when not fronted, the edge's
    /// probe route when fronted): the default public service's
    /// [`probed_path`](ServiceProps::probed_path).
    pub(super) probe_path: String,
    /// The services as routed (the probed path added to the default service's patterns when they
    /// miss it).
    pub(super) routed: Vec<ServiceProps>,
    /// The default public service (by name), which the region probe and the origin canary
    /// request.
    pub(super) default_public: Option<String>,
    /// The other public services whose probed path the public listener routes to them (covered
    /// by one of their path patterns, no earlier rule taking it), with that path: Route 53 can
    /// probe each through the edge ([`service_probes`]).
    pub(super) probe_paths: Vec<(String, String)>,
}

/// The routing plan: the default public service's probed path, the services as routed, and
/// which services the edge's probe route can reach by their own probed path.
pub(super) fn plan(stack: &Stack, props: &ApiProps) -> Plan {
    // The default public service (the one without path patterns, else the first public one)
    // answers the health checks.
    let public: Vec<usize> = (0..props.services.len()).filter(|&i| !props.services[i].internal).collect();
    let default_public =
        public.iter().copied().find(|&i| props.services[i].path_patterns.is_empty()).or(public.first().copied());
    let probe_path =
        default_public.map(|i| props.services[i].probed_path().to_owned()).unwrap_or_else(|| "/health".to_owned());
    // Route 53 requests that path over HTTPS from the public ALB, directly when not fronted and
    // through the edge's probe route when fronted: when the default service has path patterns
    // that miss it, the listener would answer its 404, so the path joins the service's own
    // listener rule (the rule blue/green deployments shift, so the check follows the live target
    // group). Fronted without a probe, Route 53 watches alarms only and the path is not needed.
    let mut routed = props.services.clone();
    let probed = props.fronted_by_cloudfront.is_none() || props.edge_probe_domain.is_some();
    if let (Some(i), true) = (default_public, probed) {
        let s = &mut routed[i];
        let path = bare_path(s.probed_path());
        if !s.path_patterns.is_empty() && !s.path_patterns.iter().any(|p| path_pattern_matches(p, &path)) {
            if s.path_patterns.len() >= 5 {
                stack.error(format!(
                    "service {}: Route 53 requests its probed path {path} on the public ALB, but none of its path \
                        patterns covers it and its listener rule has no room for a sixth; cover it with a pattern \
                        or add a catch-all service",
                    s.name
                ));
            } else {
                s.path_patterns.push(path);
            }
        }
    }
    let probe_paths = match (default_public, props.edge_probe_domain.is_some()) {
        (Some(d), true) => probe_paths(&routed, d),
        _ => Vec::new(),
    };

    inject_endpoints(props, &mut routed);
    Plan { probe_path, default_public: default_public.map(|i| props.services[i].name.clone()), routed, probe_paths }
}

/// A path without its query string, as a listener rule's path condition sees it.
fn bare_path(path: &str) -> String {
    path.split('?').next().unwrap_or_default().to_owned()
}

/// The public services besides the default one (`routed[default]`) that the public listener
/// sends their own probed path to, on the default service's listener port (the one the edge's
/// origins use): a rule is evaluated in priority order, which is the services' order with the
/// catch-all last ([`Alb::add_route`]), so the path must be covered by one of the service's
/// patterns and by none of an earlier service's. Their listener rule is the one blue/green
/// deployments shift, so a probe of that path follows the live target group.
fn probe_paths(routed: &[ServiceProps], default: usize) -> Vec<(String, String)> {
    let port = routed[default].listener_port;
    let on_listener = |s: &ServiceProps| !s.internal && s.load_balanced() && s.listener_port == port;
    let covers = |s: &ServiceProps, path: &str| s.path_patterns.iter().any(|p| path_pattern_matches(p, path));
    routed
        .iter()
        .enumerate()
        .filter(|(i, s)| *i != default && on_listener(s) && !s.path_patterns.is_empty())
        .filter_map(|(i, s)| {
            let path = bare_path(s.probed_path());
            let earlier = routed[..i].iter().any(|o| on_listener(o) && !o.path_patterns.is_empty() && covers(o, &path));
            (covers(s, &path) && !earlier).then(|| (s.name.clone(), s.probed_path().to_owned()))
        })
        .collect()
}

/// The variable that tells a caller where `callee` answers: `CATALOG_URL` for `catalog`,
/// `ORDERS_API_URL` for `orders-api`.
pub(super) fn endpoint_variable(callee: &str) -> String {
    let name: String =
        callee.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    format!("{name}_URL")
}

/// Each caller gets, for each service it may call, `<CALLEE>_URL` in its environment: the
/// Service Connect endpoint (`http://catalog:8080`, `https://` when the callee serves TLS) or,
/// without Service Connect, the callee's Cloud Map name (`http://catalog.internal.local:8080`).
/// A value the caller's own environment (or a secret of that name) already gives for that
/// variable is kept.
fn inject_endpoints(props: &ApiProps, routed: &mut [ServiceProps]) {
    let endpoints: Vec<(String, String, String)> = routed
        .iter()
        .flat_map(|callee| {
            let scheme = match callee.target_protocol {
                crate::service::TargetProtocol::Http => "http",
                crate::service::TargetProtocol::Https => "https",
            };
            let host = match props.service_connect {
                true => callee.name.to_lowercase(),
                false => format!("{}.{}", callee.name.to_lowercase(), props.namespace),
            };
            let url = format!("{scheme}://{host}:{}", callee.port);
            callee.callers.iter().map(move |caller| (caller.clone(), endpoint_variable(&callee.name), url.clone()))
        })
        .collect();
    for (caller, var, url) in endpoints {
        if let Some(c) = routed.iter_mut().find(|s| s.name == caller)
            && !c.secrets.contains_key(&var)
        {
            c.environment.entry(var).or_insert(url);
        }
    }
}

/// Each service (as routed) in its stack, with its region's task counts.
pub(super) fn services(
    stack: &Stack,
    service_stacks: &[Stack],
    props: &ApiProps,
    routed: &[ServiceProps],
    shared: &Shared<'_>,
) -> Vec<Service> {
    let mut services = Vec::new();
    for (i, s) in routed.iter().enumerate() {
        let target = match props.services_per_stack {
            Some(n) if n > 0 => &service_stacks[i / n],
            _ => stack,
        };
        let min = int_region_value(
            target,
            // Mapping keys are alphanumeric: a service named `orders-api` is `OrdersApi…`.
            &format!("{}MinCount", pascal(&s.name)),
            counts(props, s.min_count, s.standby_count),
        );
        // A Cloud-Map-only service has no ALB; for the others, shared::albs made the one they
        // need (a missing one is a synth error, never a panic).
        let alb = match (s.load_balanced(), s.internal) {
            (false, _) => None,
            (true, true) => shared.internal_alb,
            (true, false) => shared.public_alb,
        };
        if s.load_balanced() && alb.is_none() {
            stack.error(format!("service {}: no ALB was made for it", s.name));
        }
        services.push(Service::new(
            target,
            &s.name,
            s,
            &ServiceEnv {
                network: shared.network,
                cluster: shared.cluster,
                alb,
                shared_stack: stack.clone(),
                namespace_id: shared.namespace.attr_id(),
                connect_namespace: shared.connect_namespace.map(|n| n.attr_arn()),
                key: shared.key,
                min,
            },
        ));
    }
    services
}

/// Service-to-service calls: each callee admits exactly its named callers.
pub(super) fn connect_callers(props: &ApiProps, services: &[Service]) {
    for (i, s) in props.services.iter().enumerate() {
        for caller in &s.callers {
            match props.services.iter().position(|c| &c.name == caller) {
                Some(j) => services[i].allow_from(&services[j]),
                None => services[i].scope().error(format!(
                    "caller {caller} is not a service of this API (services: {})",
                    props.services.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
                )),
            }
        }
    }
}

/// The region's health alarms when fronted by CloudFront (none otherwise): one per target group
/// of every service, as `<Service>RegionHealth/Targets` (and `AlternateTargets`) in the
/// service's stack; for a Cloud-Map-only service (no target group), one on its running tasks,
/// as `<Service>RegionHealth/Tasks`. Each with the name of its service.
pub(super) fn health_alarms(props: &ApiProps, services: &[Service]) -> Vec<(String, Handle<cloudwatch::Alarm>)> {
    // Fronted by CloudFront, the load balancer admits only CloudFront with the secret header,
    // so Route 53's checkers cannot request the health path: they watch these alarms
    // instead. A plain metric alarm per target group (Route 53 accepts neither metric math
    // nor composite alarms), because blue/green deployments move the live tasks from one
    // target group to the other and back. Every service counts: a region whose catalog has no
    // task serves no catalog, whatever the orders do.
    let mut health_alarms = Vec::new();
    if props.fronted_by_cloudfront.is_none() {
        return health_alarms;
    }
    for s in services {
        // Beside the service whose target groups they watch (its own stack, if split).
        let home = s.stack();
        let scope = home.child(&format!("{}RegionHealth", pascal(&s.name)));
        let (Some(target_group), Some(load_balancer)) = (s.target_group, &s.load_balancer_full_name) else {
            health_alarms.push((s.name.clone(), running_tasks_alarm(&scope, &home, s)));
            continue;
        };
        let groups = std::iter::once(("Targets", "", target_group))
            .chain(s.alternate_target_group.map(|a| ("AlternateTargets", "-alternate", a)));
        for (aid, suffix, tg) in groups {
            let alarm = below_one_alarm(
                &scope,
                aid,
                format!("{}-{}-no-healthy-targets{suffix}", home.name(), s.name),
                format!(
                    "[critical] {}: no healthy target in the{} target group in this region; Route 53 takes the \
                     region out of DNS while a service has no target group with a healthy target",
                    s.name,
                    if suffix.is_empty() { "" } else { " alternate" }
                ),
                MetricRef::new(
                    "AWS/ApplicationELB",
                    "HealthyHostCount",
                    [("LoadBalancer", load_balancer.clone()), ("TargetGroup", tg.attr_target_group_full_name())],
                ),
                "Route 53's health check reads this alarm's state and takes the region out of DNS, which is its action; \
                 the regional monitoring's alarms on the same target groups page",
            );
            health_alarms.push((s.name.clone(), alarm));
        }
    }
    health_alarms
}

/// The region health alarm of a Cloud-Map-only service, which has no target group to count
/// healthy targets in: fewer than one running task (Container Insights' `RunningTaskCount` of
/// the service, which the API's cluster publishes) for two minutes, or no data, is unhealthy.
/// ECS counts a task as running before its container health check passes, so this is a
/// weaker signal than healthy targets: it sees a service with no task, not one whose tasks
/// fail their requests.
fn running_tasks_alarm(scope: &haplat_core::Scope, home: &Stack, s: &Service) -> Handle<cloudwatch::Alarm> {
    below_one_alarm(
        scope,
        "Tasks",
        format!("{}-{}-no-running-tasks", home.name(), s.name),
        format!(
            "[critical] {}: no running task in this region (a Cloud-Map-only service, without target \
             groups); Route 53 takes the region out of DNS while a service has no running task",
            s.name
        ),
        MetricRef::new(
            "ECS/ContainerInsights",
            "RunningTaskCount",
            [("ClusterName", s.cluster.ref_()), ("ServiceName", s.service.attr_name())],
        ),
        "Route 53's health check reads this alarm's state and takes the region out of DNS, which is its action",
    )
}

/// A region health alarm `id` in `scope`: `metric`'s minimum below 1 for two minutes, or no
/// data, is unhealthy. It has no action of its own (Route 53's health check reads its state):
/// the Control Tower rule asking for one is suppressed with `why`.
fn below_one_alarm(
    scope: &haplat_core::Scope,
    id: &str,
    name: String,
    description: String,
    metric: MetricRef,
    why: &str,
) -> Handle<cloudwatch::Alarm> {
    let alarm = scope.add(
        id,
        cloudwatch::Alarm {
            alarm_name: Some(name.into()),
            alarm_description: Some(description.into()),
            evaluation_periods: Some(2.into()),
            threshold: Some(1.into()),
            comparison_operator: Some(cloudwatch::alarm::ComparisonOperator::LessThanThreshold.into()),
            treat_missing_data: Some(cloudwatch::alarm::TreatMissingData::Breaching.into()),
            ..metric_alarm(&metric, cloudwatch::alarm::Statistic::Minimum, 60)
        },
    );
    scope.options(alarm).suppress("CT.CLOUDWATCH.PR.1", why);
    alarm
}

/// Whether an ALB path pattern (`*` any characters, `?` one) matches `path`.
fn path_pattern_matches(pattern: &str, path: &str) -> bool {
    let (p, s): (Vec<char>, Vec<char>) = (pattern.chars().collect(), path.chars().collect());
    // Classic glob matching with one backtracking point for the last `*`.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < s.len() {
        if i < p.len() && (p[i] == '?' || p[i] == s[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(st) = star {
            i = st + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

/// Where what reads every service goes: the API's stack, or with service stacks a stack set
/// `<api><suffix>` over the same regions after them all (a service stack reads the API's, so
/// the API's cannot read it back).
pub(super) fn after_services(stack: &Stack, service_stacks: &[Stack], suffix: &str) -> Stack {
    if service_stacks.is_empty() {
        stack.clone()
    } else {
        stack.app().stack_set(&format!("{}{suffix}", stack.id()), &stack.regions())
    }
}

/// The region's Route 53 health check and what later additions need of it
/// ([`MultiRegionApi::watch_in_region_health`](super::MultiRegionApi::watch_in_region_health)).
#[derive(Clone)]
pub(super) struct RegionHealth {
    /// `RegionHealth`, where the check and its children are.
    pub(super) scope: haplat_core::Scope,
    /// `RegionHealth/Check`.
    pub(super) check: HealthCheck,
    /// The children of the calculated check (empty when the check is the one alarm's).
    pub(super) children: Vec<Value<String>>,
    /// How many children must be healthy.
    pub(super) needed: usize,
    /// The one alarm the check follows when it is not calculated, with its part.
    pub(super) single: Option<(String, Handle<cloudwatch::Alarm>)>,
}

/// The `Metadata` key naming the part of the region a child of the region's health check
/// watches: a service's name, or the id given to
/// [`MultiRegionApi::watch_in_region_health`](super::MultiRegionApi::watch_in_region_health).
/// Children of one part fail together when that part fails alone, so `haplat check` times such
/// a failure by the part's fastest child (docs/availability.md).
pub const PART_METADATA: &str = "haplat:part";

/// A `CLOUDWATCH_METRIC` check on `alarm` of the stack's own region.
pub(super) fn alarm_check_props(alarm: &Handle<cloudwatch::Alarm>) -> HealthCheckProps {
    HealthCheckProps::Alarms { region: Pseudo::Region.value(), alarm_names: vec![alarm.ref_()], healthy_needed: 1 }
}

/// A child `id` of the region's check in `scope`, watching `part` of the region; its id.
pub(super) fn part_check(scope: &haplat_core::Scope, id: &str, props: HealthCheckProps, part: &str) -> Value<String> {
    let check = HealthCheck::new(scope, id, props);
    scope.options(check.handle).metadata(PART_METADATA, part.to_owned());
    check.id()
}

/// What watches a region, for [`region_health_check`].
pub(super) struct Watches {
    /// The health alarms, each with its service ([`health_alarms`]).
    pub(super) alarms: Vec<(String, Handle<cloudwatch::Alarm>)>,
    /// How many services there are (each needs one healthy group).
    pub(super) services: usize,
    /// The region probe of the default public service ([`probe`]), with that service's name.
    pub(super) probe: Option<(String, HealthCheckProps)>,
    /// The probes of the other public services ([`service_probes`]).
    pub(super) service_probes: Vec<(String, HealthCheckProps)>,
    /// The origin canary's alarm, which requests the default public service's probed path.
    pub(super) canary: Option<Handle<cloudwatch::Alarm>>,
}

/// The region's Route 53 health check over the health alarms, the probes and the origin
/// canary's alarm (see
/// [`MultiRegionApi::region_health_check`](super::MultiRegionApi::region_health_check)), made in
/// each region beside the alarms it reads, in `home`: the API's stack, or after the service
/// stacks a stack set `<api>Health` over the same regions (a service stack reads the API's, so
/// the API's cannot read it back). Each child names the part it watches ([`PART_METADATA`]).
/// None without alarms (not fronted by CloudFront).
pub(super) fn region_health_check(home: Option<&Stack>, w: Watches) -> Option<RegionHealth> {
    let home = home?;
    if w.alarms.is_empty() {
        return None;
    }
    let scope = home.child("RegionHealth");
    let needed = w.services + usize::from(w.canary.is_some());
    let default = w.probe.as_ref().map(|(name, _)| name.clone()).unwrap_or_default();
    let alarms: Vec<(String, Handle<cloudwatch::Alarm>)> =
        w.alarms.iter().cloned().chain(w.canary.map(|c| (default.clone(), c))).collect();
    let Some((_, probe)) = w.probe else {
        if let [one] = alarms.as_slice() {
            let check = HealthCheck::new(&scope, "Check", alarm_check_props(&one.1));
            return Some(RegionHealth { scope, check, children: Vec::new(), needed: 1, single: Some(one.clone()) });
        }
        // One alarm check each (`AlarmCheck<i>`), and the calculated check over them.
        let children: Vec<Value<String>> = alarms
            .iter()
            .enumerate()
            .map(|(i, (part, a))| part_check(&scope, &format!("AlarmCheck{i}"), alarm_check_props(a), part))
            .collect();
        let calculated = HealthCheckProps::Calculated { children: children.clone(), healthy_needed: needed };
        let check = HealthCheck::new(&scope, "Check", calculated);
        return Some(RegionHealth { scope, check, children, needed, single: None });
    };
    // The probes beside the alarm checks, one calculated check over all: Route 53 takes the
    // region out as soon as the fastest of them sees it fail, and one service failing alone as
    // soon as its own probe does (docs/availability.md).
    let mut children: Vec<Value<String>> = w
        .alarms
        .iter()
        .enumerate()
        .map(|(i, (part, a))| part_check(&scope, &format!("AlarmCheck{i}"), alarm_check_props(a), part))
        .collect();
    children.push(part_check(&scope, "Probe", probe, &default));
    if let Some(c) = &w.canary {
        children.push(part_check(&scope, "Canary", alarm_check_props(c), &default));
    }
    for (name, props) in &w.service_probes {
        children.push(part_check(&scope, &format!("{}Probe", pascal(name)), props.clone(), name));
    }
    let needed = needed + 1 + w.service_probes.len();
    let calculated = HealthCheckProps::Calculated { children: children.clone(), healthy_needed: needed };
    let check = HealthCheck::new(&scope, "Check", calculated);
    Some(RegionHealth { scope, check, children, needed, single: None })
}

/// The canaries of [`ApiProps::canaries`] in `home` (the region health check's stack): `Origin`
/// through the edge's route to this region, `Public` on the public name. None when not asked,
/// or (an error) without the edge probe domain they request.
pub(super) fn canaries(stack: &Stack, home: Option<&Stack>, props: &ApiProps, probe_path: &str) -> Option<Canaries> {
    if !props.canaries {
        return None;
    }
    let (Some(domain), Some(home)) = (&props.edge_probe_domain, home) else {
        stack.error(
            "canaries need edge_probe_domain (and fronted_by_cloudfront): they request the region through the edge, \
             since its load balancer admits only CloudFront",
        );
        return None;
    };
    let origin = CanaryCheck::new(
        "Origin",
        "origin",
        Value::sub(format!("https://{domain}{PROBE_PREFIX}${{AWS::Region}}{probe_path}")),
    )
    .meaning("this region does not answer through the edge; Route 53 takes it out of DNS");
    let public = CanaryCheck::new("Public", "public", Value::from(format!("https://{domain}{probe_path}")))
        .meaning("the public name does not answer from this region, whichever region serves it");
    Some(Canaries::new(home, "Canaries", CanariesProps::new(vec![origin, public])))
}

/// The region probe of a fronted API ([`ApiProps::edge_probe_domain`]): an HTTPS check of the
/// default public service's probed path through the edge's route to this region.
pub(super) fn probe(stack: &Stack, props: &ApiProps, probe_path: &str) -> Option<HealthCheckProps> {
    let domain = props.edge_probe_domain.as_ref()?;
    if props.fronted_by_cloudfront.is_none() {
        stack.error(
            "edge_probe_domain is set but the API is not fronted_by_cloudfront: Route 53 checks an unfronted API \
             directly",
        );
        return None;
    }
    let path = Value::sub(format!("{PROBE_PREFIX}${{AWS::Region}}{probe_path}"));
    Some(HealthCheckProps::Https { domain_name: domain.clone().into(), path })
}

/// The probes of the public services other than the default one whose own probed path the
/// public listener routes to them ([`Plan::probe_paths`]): an HTTPS check each of that path
/// through the edge's route to this region, like [`probe`]. A service failing alone then leaves
/// DNS as fast as a region does, where its target-group alarm takes about 5 minutes.
pub(super) fn service_probes(props: &ApiProps, plan: &Plan) -> Vec<(String, HealthCheckProps)> {
    let Some(domain) = props.edge_probe_domain.as_ref().filter(|_| props.fronted_by_cloudfront.is_some()) else {
        return Vec::new();
    };
    plan.probe_paths
        .iter()
        .map(|(name, path)| {
            let path = Value::sub(format!("{PROBE_PREFIX}${{AWS::Region}}{path}"));
            (name.clone(), HealthCheckProps::Https { domain_name: domain.clone().into(), path })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::path_pattern_matches as m;

    #[test]
    fn alb_path_patterns_match_like_the_alb() {
        assert!(m("/*", "/health"));
        assert!(m("/health", "/health"));
        assert!(m("/heal?h", "/health"));
        assert!(m("*/health*", "/api/health/deep"));
        assert!(!m("/orders/*", "/health"));
        assert!(!m("/health/*", "/health"));
        assert!(!m("/Health", "/health"));
    }
}
