//! Monitoring of one region: an encrypted SNS topic for the alarm contacts, the platform's alarms
//! (ALB 5xx error rate over 5 % critical, CPU or memory over 80 % warning, unhealthy hosts,
//! DynamoDB throttles and replication latency), a CloudWatch dashboard of the region and, for
//! the services that send X-Ray traces, an X-Ray group and sampling rule each ([`TracingProps`]).
//!
//! [`RegionalMonitoring`] goes into the API's stack set (one instance per region, the same
//! template), next to the services it watches; each [`ServiceMetrics`] value is read inside the
//! same stack. Services in stacks of their own (the service groups of
//! [`ApiProps::services_per_stack`](crate::api::ApiProps::services_per_stack)) get their alarms,
//! dashboard and X-Ray rules in their stack from [`RegionalMonitoring::watch_services`].
//!
//! What is measured ([`MetricRef`], [`ServiceMetrics`], [`TableMetrics`], [`Severity`]) is in
//! [`crate::metrics`]; the alarm shape these alarms share is in the crate's private `alarm`
//! module; the topic's key is a [`KmsKey`] ([`crate::kms`]).
//!
//! ```
//! use haplat_core::App;
//! use haplat_constructs::metrics::TableMetrics;
//! use haplat_constructs::monitoring::{RegionalMonitoring, RegionalMonitoringProps};
//!
//! let app = App::new("shop");
//! let api = app.stack_set("Api", &["us-east-1", "us-west-2"]);
//! let mut props = RegionalMonitoringProps::new(&["us-east-1", "us-west-2"]);
//! props.alarm_emails = vec!["oncall@example.com".into()];
//! props.tables = vec![TableMetrics { name: "Orders".into(), table_name: "orders".into() }];
//! let mon = RegionalMonitoring::new(&api, "Monitoring", props);
//! // Replication latency towards each region (each alarm exists in the other region's instance).
//! assert_eq!(mon.critical_alarms.len(), 2);
//! let assembly = app.synth().unwrap();
//! let t = assembly.template("shop-Api").unwrap();
//! let types: Vec<&str> = t["Resources"].as_object().unwrap().values()
//!     .map(|r| r["Type"].as_str().unwrap()).collect();
//! assert!(types.contains(&"AWS::CloudWatch::Dashboard"));
//! assert!(types.contains(&"AWS::SNS::Topic"));
//! ```

use haplat_core::resources::cloudwatch::alarm::{Alarm, Statistic};
use haplat_core::resources::cloudwatch::dashboard::Dashboard;
use haplat_core::resources::sns::subscription::Subscription;
use haplat_core::resources::sns::topic::Topic;
use haplat_core::resources::xray::group::{Group, InsightsConfiguration};
use haplat_core::resources::xray::sampling_rule::{SamplingRule, SamplingRuleProperty};
use haplat_core::value::{Cond, Pseudo, Value};
use haplat_core::{Handle, Scope};

use crate::alarm::{AlarmSpec, Alarms};
use crate::kms::{KeyUser, KmsKey};
use crate::metrics::{MetricRef, ServiceMetrics, Severity, TableMetrics, expression, summed};
use crate::naming::pascal;

/// The thresholds of the platform's alarms.
#[derive(Clone, Debug, PartialEq)]
pub struct Thresholds {
    /// Percentage of target responses that are 5xx, over which the critical alarm fires (5).
    pub error_rate_percent: f64,
    /// Average CPU utilization of a service, percent (80).
    pub cpu_percent: f64,
    /// Average memory utilization of a service, percent (80).
    pub memory_percent: f64,
    /// Throttled read and write events of a table per minute (10).
    pub throttled_events_per_minute: f64,
    /// Average replication latency of a global table replica, milliseconds (60000).
    pub replication_latency_ms: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            error_rate_percent: 5.0,
            cpu_percent: 80.0,
            memory_percent: 80.0,
            throttled_events_per_minute: 10.0,
            replication_latency_ms: 60_000.0,
        }
    }
}

/// How many requests of a service X-Ray traces: the first `reservoir_size` each second, then
/// `fixed_rate` of the rest (the rule the X-Ray SDKs and daemons fetch from X-Ray).
#[derive(Clone, Debug, PartialEq)]
pub struct Sampling {
    /// Requests per second traced before the fixed rate applies (1).
    pub reservoir_size: i64,
    /// Share of the further requests traced, 0 to 1 (0.05).
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
    /// The sampling rule of each service; `None` leaves X-Ray's default rule in charge.
    pub sampling: Option<Sampling>,
    /// X-Ray insights (anomaly detection, charged per trace) on each group.
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

/// What [`RegionalMonitoring`] watches and whom it tells.
#[derive(Clone, Debug)]
pub struct RegionalMonitoringProps {
    /// Every region of the platform (replication latency is watched towards each other one).
    pub platform_regions: Vec<String>,
    /// Email addresses subscribed to the alarm topic (each confirms by mail).
    pub alarm_emails: Vec<String>,
    /// The services of the region.
    pub services: Vec<ServiceMetrics>,
    /// The tables whose replicas live in the region.
    pub tables: Vec<TableMetrics>,
    /// The thresholds.
    pub thresholds: Thresholds,
    /// X-Ray groups and sampling rules of the traced services (none by default).
    pub tracing: TracingProps,
}

impl RegionalMonitoringProps {
    /// Nothing watched yet, over these platform regions, with the platform's thresholds.
    pub fn new<S: AsRef<str>>(platform_regions: &[S]) -> Self {
        RegionalMonitoringProps {
            platform_regions: platform_regions.iter().map(|r| r.as_ref().to_owned()).collect(),
            alarm_emails: Vec::new(),
            services: Vec::new(),
            tables: Vec::new(),
            thresholds: Thresholds::default(),
            tracing: TracingProps::default(),
        }
    }
}

/// The alarms, topic and dashboard of one region (see the [module](self) docs).
#[derive(Clone, Debug)]
pub struct RegionalMonitoring {
    /// The KMS key of the topic.
    pub key: KmsKey,
    /// The alarm topic.
    pub topic: Handle<Topic>,
    /// Alarms that page (5xx error rate, replication latency), e.g. stop conditions of chaos
    /// experiments.
    pub critical_alarms: Vec<Handle<Alarm>>,
    /// Alarms for working hours.
    pub warning_alarms: Vec<Handle<Alarm>>,
    /// The dashboard.
    pub dashboard: Handle<Dashboard>,
    /// Per traced service, its X-Ray group.
    pub trace_groups: Vec<Handle<Group>>,
    /// Per traced service, its X-Ray sampling rule.
    pub sampling_rules: Vec<Handle<SamplingRule>>,
    thresholds: Thresholds,
}

/// The per-service alarms, dashboard and X-Ray groups and sampling rules of services that live
/// in a stack of their own ([`RegionalMonitoring::watch_services`]).
#[derive(Clone, Debug)]
pub struct ServiceMonitoring {
    /// Alarms that page (5xx error rate).
    pub critical_alarms: Vec<Handle<Alarm>>,
    /// Alarms for working hours (CPU, memory, unhealthy hosts).
    pub warning_alarms: Vec<Handle<Alarm>>,
    /// The dashboard of these services.
    pub dashboard: Handle<Dashboard>,
    /// Per traced service, its X-Ray group.
    pub trace_groups: Vec<Handle<Group>>,
    /// Per traced service, its X-Ray sampling rule.
    pub sampling_rules: Vec<Handle<SamplingRule>>,
}

impl ServiceMonitoring {
    /// The ARNs of the critical alarms.
    pub fn critical_alarm_arns(&self) -> Vec<Value<String>> {
        self.critical_alarms.iter().map(|a| a.attr_arn()).collect()
    }
}

/// The alarms (error rate, CPU, memory, unhealthy hosts) and dashboard widgets of `services`,
/// under `scope/<name>Service`.
fn service_alarms(
    scope: &Scope,
    th: &Thresholds,
    services: &[ServiceMetrics],
    add: &mut impl FnMut(&Scope, AlarmSpec<'_>, Option<String>) -> Handle<Alarm>,
    widgets: &mut Vec<serde_json::Value>,
    vars: &mut Vec<(String, Value<String>)>,
) {
    for (i, s) in services.iter().enumerate() {
        let svc = scope.child(&format!("{}Service", s.name));
        // Blue/green deployments move the live tasks to the alternate target group and back
        // with every deployment: each metric sums both groups, or the alarms (and the chaos
        // experiments they stop) are blind after every other deploy.
        let (mut metrics, errors) = summed("errors", &s.target_group_metrics("HTTPCode_Target_5XX_Count"), "Sum", 60);
        let (totals, requests) = summed("requests", &s.target_group_metrics("RequestCount"), "Sum", 60);
        metrics.extend(totals);
        let rate = format!("IF({} > 0, 100 * {} / {}, 0)", requests.plain, errors.filled, requests.plain);
        metrics.push(expression("rate", &rate, "5xx error rate (%)"));
        add(
            &svc,
            AlarmSpec {
                id: "ErrorRate".into(),
                description: format!("{}: more than {}% of responses are 5xx", s.name, th.error_rate_percent),
                severity: Severity::Critical,
                metrics,
                single: None,
                threshold: th.error_rate_percent,
                periods: 5,
                datapoints: 3,
            },
            None,
        );
        let ecs = [("ClusterName", s.cluster_name.clone()), ("ServiceName", s.service_name.clone())];
        let cpu = MetricRef::new("AWS/ECS", "CPUUtilization", ecs.clone());
        let mem = MetricRef::new("AWS/ECS", "MemoryUtilization", ecs.clone());
        for (aid, m, what, t) in [("Cpu", &cpu, "CPU", th.cpu_percent), ("Memory", &mem, "memory", th.memory_percent)] {
            add(
                &svc,
                AlarmSpec {
                    id: aid.into(),
                    description: format!("{}: average {what} utilization above {t}%", s.name),
                    severity: Severity::Warning,
                    metrics: vec![],
                    single: Some((m, Statistic::Average)),
                    threshold: t,
                    periods: 5,
                    datapoints: 5,
                },
                None,
            );
        }
        let unhealthy = s.target_group_metrics("UnHealthyHostCount");
        let (metrics, single) = match unhealthy.as_slice() {
            [live] => (vec![], Some((live, Statistic::Maximum))),
            both => {
                let (mut queries, sum) = summed("unhealthy", both, "Maximum", 60);
                queries.push(expression("unhealthyTargets", &sum.filled, "Unhealthy targets (both target groups)"));
                (queries, None)
            }
        };
        add(
            &svc,
            AlarmSpec {
                id: "UnhealthyHosts".into(),
                description: format!("{}: targets failing their health check", s.name),
                severity: Severity::Warning,
                metrics,
                single,
                threshold: 0.0,
                periods: 3,
                datapoints: 3,
            },
            None,
        );
        let (c, sv, l) = (format!("Cluster{i}"), format!("Service{i}"), format!("Lb{i}"));
        vars.push((c.clone(), s.cluster_name.clone()));
        vars.push((sv.clone(), s.service_name.clone()));
        vars.push((l.clone(), s.load_balancer_full_name.clone()));
        vars.push((format!("Tg{i}"), s.target_group_full_name.clone()));
        let (c, sv, l, t) = (format!("${{{c}}}"), format!("${{{sv}}}"), format!("${{{l}}}"), format!("${{Tg{i}}}"));
        widgets.push(match &s.alternate_target_group_full_name {
            None => widget(
                &format!("{}: requests and 5xx", s.name),
                serde_json::json!([
                    ["AWS/ApplicationELB", "RequestCount", "TargetGroup", t, "LoadBalancer", l, {"stat": "Sum"}],
                    [".", "HTTPCode_Target_5XX_Count", ".", ".", ".", ".", {"stat": "Sum"}],
                ]),
            ),
            // Blue/green: the sums over both target groups, as the alarm sees them.
            Some(alt) => {
                vars.push((format!("AltTg{i}"), alt.clone()));
                let mut lines = Vec::new();
                for (n, tg) in [t, format!("${{AltTg{i}}}")].into_iter().enumerate() {
                    lines.push(serde_json::json!([
                        "AWS/ApplicationELB", "RequestCount", "TargetGroup", tg, "LoadBalancer", l,
                        {"stat": "Sum", "id": format!("requests{n}"), "visible": false}
                    ]));
                    lines.push(serde_json::json!([
                        ".", "HTTPCode_Target_5XX_Count", ".", ".", ".", ".",
                        {"stat": "Sum", "id": format!("errors{n}"), "visible": false}
                    ]));
                }
                lines.push(serde_json::json!([
                    {"expression": "FILL(requests0, 0) + FILL(requests1, 0)", "label": "RequestCount", "id": "requests"}
                ]));
                lines.push(serde_json::json!([
                    {"expression": "FILL(errors0, 0) + FILL(errors1, 0)", "label": "HTTPCode_Target_5XX_Count",
                     "id": "errors"}
                ]));
                widget(&format!("{}: requests and 5xx (both target groups)", s.name), serde_json::Value::Array(lines))
            }
        });
        widgets.push(widget(
            &format!("{}: CPU and memory", s.name),
            serde_json::json!([
                ["AWS/ECS", "CPUUtilization", "ClusterName", c, "ServiceName", sv],
                [".", "MemoryUtilization", ".", ".", ".", "."],
            ]),
        ));
    }
}

impl RegionalMonitoring {
    /// Adds the topic, alarms and dashboard under `scope.child(id)`.
    pub fn new(scope: &Scope, id: &str, props: RegionalMonitoringProps) -> RegionalMonitoring {
        let scope = scope.child(id);
        for email in &props.alarm_emails {
            if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
                scope.error(format!("alarm contact {email:?} is not an email address"));
            }
        }
        let key = KmsKey::new(&scope, "Key", "Encrypts the regional alarm topic", &[KeyUser::CloudWatchAlarms]);
        let topic = scope.add(
            "Topic",
            Topic {
                display_name: Some("Platform alarms".into()),
                kms_master_key_id: Some(key.arn()),
                ..Default::default()
            },
        );
        for (i, email) in props.alarm_emails.iter().enumerate() {
            scope.add(
                &format!("Contact{i}"),
                Subscription {
                    protocol: "email".into(),
                    endpoint: Some(email.into()),
                    topic_arn: topic.ref_(),
                    ..Default::default()
                },
            );
        }
        let th = &props.thresholds;
        let stack = scope.stack();
        let mut alarms = Alarms { topic: topic.ref_(), critical: Vec::new(), warning: Vec::new() };
        let mut add =
            |scope: &Scope, spec: AlarmSpec<'_>, condition: Option<String>| alarms.add(scope, spec, condition);

        let mut widgets = Vec::new();
        let mut vars: Vec<(String, Value<String>)> = Vec::new();
        service_alarms(&scope, th, &props.services, &mut add, &mut widgets, &mut vars);
        for (i, table) in props.tables.iter().enumerate() {
            let tscope = scope.child(&format!("{}Table", table.name));
            let name = ("TableName", table.table_name.clone());
            let reads = MetricRef::new("AWS/DynamoDB", "ReadThrottleEvents", [name.clone()]);
            let writes = MetricRef::new("AWS/DynamoDB", "WriteThrottleEvents", [name.clone()]);
            add(
                &tscope,
                AlarmSpec {
                    id: "Throttles".into(),
                    description: format!("{}: requests throttled", table.name),
                    severity: Severity::Warning,
                    metrics: vec![
                        reads.query("reads", "Sum", 60),
                        writes.query("writes", "Sum", 60),
                        expression("throttled", "FILL(reads, 0) + FILL(writes, 0)", "Throttled events"),
                    ],
                    single: None,
                    threshold: th.throttled_events_per_minute,
                    periods: 5,
                    datapoints: 3,
                },
                None,
            );
            let tv = format!("Table{i}");
            vars.push((tv.clone(), table.table_name.clone()));
            let tv = format!("${{{tv}}}");
            let mut lines = vec![];
            for peer in &props.platform_regions {
                let latency = MetricRef::new(
                    "AWS/DynamoDB",
                    "ReplicationLatency",
                    [name.clone(), ("ReceivingRegion", peer.into())],
                );
                // The template is the same in every region: the alarm towards a region exists
                // only in the other regions' instances.
                let cond = stack.add_condition(
                    &format!("IsNot{}", pascal(peer)),
                    Cond::not(Cond::equals(Pseudo::Region.value(), peer.into())),
                );
                add(
                    &tscope,
                    AlarmSpec {
                        id: format!("ReplicationLatencyTo{}", pascal(peer)),
                        description: format!(
                            "{}: replication to {peer} is more than {} ms behind",
                            table.name, th.replication_latency_ms
                        ),
                        severity: Severity::Critical,
                        metrics: vec![],
                        single: Some((&latency, Statistic::Average)),
                        threshold: th.replication_latency_ms,
                        periods: 5,
                        datapoints: 5,
                    },
                    Some(cond),
                );
                lines.push(serde_json::json!([
                    "AWS/DynamoDB",
                    "ReplicationLatency",
                    "TableName",
                    tv,
                    "ReceivingRegion",
                    peer
                ]));
            }
            widgets.push(widget(
                &format!("{}: throttled events", table.name),
                serde_json::json!([
                    ["AWS/DynamoDB", "ReadThrottleEvents", "TableName", tv, {"stat": "Sum"}],
                    [".", "WriteThrottleEvents", ".", ".", {"stat": "Sum"}],
                ]),
            ));
            widgets.push(widget(&format!("{}: replication latency (ms)", table.name), serde_json::Value::Array(lines)));
        }
        let dashboard = dashboard(&scope, widgets, vars);
        let (trace_groups, sampling_rules) = tracing(&scope, &props.tracing);
        RegionalMonitoring {
            key,
            topic,
            critical_alarms: alarms.critical,
            warning_alarms: alarms.warning,
            dashboard,
            trace_groups,
            sampling_rules,
            thresholds: props.thresholds,
        }
    }

    /// The alarms, dashboard and X-Ray groups and sampling rules of services that live in another
    /// stack over the same regions (the service groups of
    /// [`ApiProps::services_per_stack`](crate::api::ApiProps::services_per_stack)), under
    /// `scope.child(id)` in that stack, with this monitoring's thresholds and topic.
    ///
    /// A service's values can be read only where they live or in a stack deployed after it:
    /// the monitoring stack is the API's, which the service stacks read (network, cluster, load
    /// balancer), so the service stacks read the topic and hold their own alarms, never the
    /// other way round (which would be a reference cycle).
    pub fn watch_services(
        &self,
        scope: &Scope,
        id: &str,
        services: &[ServiceMetrics],
        tracing_props: &TracingProps,
    ) -> ServiceMonitoring {
        let scope = scope.child(id);
        let mut alarms = Alarms { topic: self.topic.ref_(), critical: Vec::new(), warning: Vec::new() };
        let mut widgets = Vec::new();
        let mut vars = Vec::new();
        service_alarms(
            &scope,
            &self.thresholds,
            services,
            &mut |sc: &Scope, spec: AlarmSpec<'_>, c: Option<String>| alarms.add(sc, spec, c),
            &mut widgets,
            &mut vars,
        );
        let dashboard = dashboard(&scope, widgets, vars);
        let (trace_groups, sampling_rules) = tracing(&scope, tracing_props);
        ServiceMonitoring {
            critical_alarms: alarms.critical,
            warning_alarms: alarms.warning,
            dashboard,
            trace_groups,
            sampling_rules,
        }
    }

    /// The topic's ARN, for other alarms of the same stack.
    pub fn topic_arn(&self) -> Value<String> {
        self.topic.ref_()
    }

    /// The ARNs of the critical alarms (stop conditions of chaos experiments).
    pub fn critical_alarm_arns(&self) -> Vec<Value<String>> {
        self.critical_alarms.iter().map(|a| a.attr_arn()).collect()
    }
}

/// The dashboard of `widgets` (laid out two a row) as `scope/Dashboard`.
fn dashboard(
    scope: &Scope,
    mut widgets: Vec<serde_json::Value>,
    vars: Vec<(String, Value<String>)>,
) -> Handle<Dashboard> {
    if widgets.is_empty() {
        widgets.push(serde_json::json!({
            "type": "text", "x": 0, "y": 0, "width": 24, "height": 2,
            "properties": {"markdown": "Nothing is monitored in this region yet."}
        }));
    }
    for (n, w) in widgets.iter_mut().enumerate() {
        w["x"] = serde_json::json!((n % 2) * 12);
        w["y"] = serde_json::json!((n / 2) * 6);
    }
    let body = serde_json::json!({ "widgets": widgets }).to_string();
    // Nothing to substitute (only the placeholder text widget): a plain string, as cfn-lint asks.
    let body = if vars.is_empty() && !body.contains("${") { Value::from(body) } else { Value::sub_with(body, vars) };
    scope.add("Dashboard", Dashboard { dashboard_body: body, ..Default::default() })
}

/// The X-Ray groups and sampling rules of [`TracingProps`], under `scope/Tracing`.
fn tracing(scope: &Scope, props: &TracingProps) -> (Vec<Handle<Group>>, Vec<Handle<SamplingRule>>) {
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

fn widget(title: &str, metrics: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "type": "metric", "width": 12, "height": 6,
        "properties": {
            "title": title, "region": "${AWS::Region}", "view": "timeSeries", "stacked": false,
            "period": 60, "metrics": metrics,
        }
    })
}
