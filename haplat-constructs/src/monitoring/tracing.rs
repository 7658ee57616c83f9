//! X-Ray for the traced services: a group and a sampling rule each.

use haplat_core::resources::xray::group::{Group, InsightsConfiguration};
use haplat_core::resources::xray::sampling_rule::{SamplingRule, SamplingRuleProperty};
use haplat_core::{Handle, Scope};

use crate::naming::pascal;

/// How many requests of a service X-Ray traces: the first `reservoir_size` each second, then
/// `fixed_rate` of the rest (the rule the X-Ray SDKs and daemons fetch from X-Ray).
#[derive(Clone, Debug, PartialEq)]
pub struct Sampling {
    /// Requests per second traced before the fixed rate applies. Default: 1.
    pub reservoir_size: i64,
    /// Share of the further requests traced, 0 to 1. Default: 0.05.
    pub fixed_rate: f64,
}

impl Default for Sampling {
    /// X-Ray's own default: one request a second, then 5 %.
    fn default() -> Self {
        Sampling { reservoir_size: 1, fixed_rate: 0.05 }
    }
}

/// X-Ray for the traced services of a region: per service a group (the filter
/// `service("<name>")`, for its service map, traces and insights) and, unless `sampling` is
/// `None`, a sampling rule. Nothing is created while `services` is empty.
#[derive(Clone, Debug, PartialEq)]
pub struct TracingProps {
    /// The services' names as their traces report them: the service's name, which haplat gives
    /// the X-Ray SDKs as `AWS_XRAY_TRACING_NAME` (see
    /// [`MultiRegionApi::traced_services`](crate::api::MultiRegionApi::traced_services)).
    pub services: Vec<String>,
    /// The sampling rule of each service; `None` leaves X-Ray's default rule in charge. Default:
    /// [`Sampling::default`].
    pub sampling: Option<Sampling>,
    /// X-Ray insights (anomaly detection, charged per trace) on each group. Default: `false`.
    pub insights: bool,
}

impl TracingProps {
    /// Groups and sampling rules (1 a second, then 5 %) for these services, no insights.
    pub fn new<S: AsRef<str>>(services: &[S]) -> Self {
        TracingProps {
            services: services.iter().map(|s| s.as_ref().to_owned()).collect(),
            sampling: Some(Sampling::default()),
            insights: false,
        }
    }
}

impl Default for TracingProps {
    /// No traced service: nothing created.
    fn default() -> Self {
        TracingProps::new::<&str>(&[])
    }
}

/// X-Ray names (sampling rules and groups) are at most 32 characters, unique in a region: the
/// stack's name and the service's, shortened with a hash of both when too long.
fn xray_name(stack: &str, service: &str) -> String {
    let full = format!("{stack}-{service}");
    if full.len() <= 32 {
        return full;
    }
    let hash = haplat_core::logical_id::short_hash(&full);
    let head: String = full.chars().take(32 - hash.len() - 1).collect();
    format!("{head}-{hash}")
}

/// The X-Ray groups and sampling rules of [`TracingProps`], under `scope/Tracing`.
pub(super) fn tracing(scope: &Scope, props: &TracingProps) -> (Vec<Handle<Group>>, Vec<Handle<SamplingRule>>) {
    let (mut groups, mut rules) = (Vec::new(), Vec::new());
    if props.services.is_empty() {
        return (groups, rules);
    }
    let stack = scope.stack().name();
    let scope = scope.child("Tracing");
    if let Some(s) = &props.sampling {
        if s.reservoir_size < 0 {
            scope.error(format!("sampling reservoir of {} requests a second: use 0 or more", s.reservoir_size));
        }
        if !(0.0..=1.0).contains(&s.fixed_rate) {
            scope.error(format!("sampling rate {}: use a share between 0 and 1 (0.05 is 5 %)", s.fixed_rate));
        }
    }
    let mut seen = Vec::new();
    for service in &props.services {
        if service.is_empty() || seen.contains(service) {
            scope.error(format!("traced service name {service:?} is empty or given twice"));
            continue;
        }
        seen.push(service.clone());
        // The name prefixes the ids of its group and sampling rule.
        scope.check_id(service);
        if service.contains('"') {
            scope.error(format!(
                "traced service name {service:?} cannot contain a double quote (it goes into an X-Ray filter)"
            ));
        }
        let name = xray_name(&stack, service);
        let id = pascal(service);
        groups.push(scope.add(
            &format!("{id}Group"),
            Group {
                group_name: name.clone().into(),
                filter_expression: Some(format!("service(\"{service}\")").into()),
                insights_configuration: Some(InsightsConfiguration {
                    insights_enabled: Some(props.insights.into()),
                    notifications_enabled: Some(props.insights.into()),
                }),
                tags: None,
            },
        ));
        if let Some(s) = &props.sampling {
            rules.push(scope.add(
                &format!("{id}Sampling"),
                SamplingRule {
                    sampling_rule: Some(SamplingRuleProperty {
                        rule_name: Some(name.into()),
                        service_name: service.clone().into(),
                        reservoir_size: s.reservoir_size.into(),
                        fixed_rate: s.fixed_rate.into(),
                        // Before X-Ray's default rule (10000), after anything more specific.
                        priority: 1000.into(),
                        host: "*".into(),
                        http_method: "*".into(),
                        url_path: "*".into(),
                        service_type: "*".into(),
                        resource_arn: "*".into(),
                        version: Some(1.into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            ));
        }
    }
    (groups, rules)
}
