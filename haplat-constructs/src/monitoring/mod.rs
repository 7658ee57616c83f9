//! Monitoring of one region: an encrypted SNS topic for the alarm contacts, the platform's alarms
//! (a service's 5xx error rate over 5 % critical, its load balancer's own 5xx included; CPU or
//! memory over 80 % warning, p99 latency, unhealthy hosts; DynamoDB throttles and replication
//! latency; Aurora CPU, capacity, connections and replica lag), a CloudWatch dashboard of the
//! region and, for
//! the services that send X-Ray traces, an X-Ray group and sampling rule each ([`TracingProps`]).
//!
//! [`RegionalMonitoring`] goes into the API's stack set (one instance per region, the same
//! template), next to the services it watches; each [`ServiceMetrics`] value is read inside the
//! same stack. Services in stacks of their own (the service groups of
//! [`ApiProps::services_per_stack`](crate::api::ApiProps::services_per_stack)) get their alarms,
//! dashboard and X-Ray rules in their stack from [`RegionalMonitoring::watch_services`].
//!
//! The parts: the alarms of services and tables (`alarms.rs`, over [`crate::metrics`] and the
//! crate's private `alarm` module), the dashboard (`dashboard.rs`), X-Ray (`tracing.rs`); the
//! topic's key is a [`KmsKey`] ([`crate::kms`]).
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

mod alarms;
mod dashboard;
mod events;
mod platform;
mod tracing;

use std::collections::BTreeMap;

use haplat_core::resources::cloudwatch::alarm::Alarm;
use haplat_core::resources::cloudwatch::dashboard::Dashboard;
use haplat_core::resources::sns::subscription::Subscription;
use haplat_core::resources::sns::topic::Topic;
use haplat_core::resources::xray::group::Group;
use haplat_core::resources::xray::sampling_rule::SamplingRule;
use haplat_core::value::Value;
use haplat_core::{Handle, Scope};

use crate::alarm::{AlarmSpec, Alarms};
use crate::kms::{KeyUser, KmsKey};
use crate::metrics::{DatabaseMetrics, ServiceMetrics, TableMetrics};

pub use crate::alarm::{AlarmTopic, Runbook};
pub use platform::{PlatformDashboard, PlatformDashboardProps, RegionView};
pub use tracing::{Sampling, TracingProps};

/// The thresholds of the platform's alarms.
#[derive(Clone, Debug, PartialEq)]
pub struct Thresholds {
    /// Percentage of a service's responses that are 5xx (its targets' and its load balancer's
    /// own), over which the critical alarm fires. Default: 5.
    pub error_rate_percent: f64,
    /// Average CPU utilization of a service, percent. Default: 80.
    pub cpu_percent: f64,
    /// Average memory utilization of a service, percent. Default: 80.
    pub memory_percent: f64,
    /// Throttled read and write events of a table per minute. Default: 10.
    pub throttled_events_per_minute: f64,
    /// Replication latency of a global table replica (the `Maximum` of a minute, three minutes
    /// of five), milliseconds: at most the data-loss objective, which `haplat check` enforces
    /// (HAP026). Default: 60000.
    pub replication_latency_ms: f64,
    /// p99 response time of a service's targets (`TargetResponseTime`), milliseconds, for 3
    /// minutes of 5: a warning. Default: 1000.
    pub latency_p99_ms: f64,
    /// Connections of an Aurora instance (`DatabaseConnections`, the busiest instance's
    /// `Maximum` of a minute, for 5 minutes of 5) as a percentage of its `max_connections`
    /// ([`DatabaseMetrics::max_connections`]), over which a warning fires: the capacity
    /// warning of the platform's numbers (a pool that grows with every new task runs out before
    /// CPU does). Default: 80.
    pub database_connections_percent: f64,
}

impl Thresholds {
    /// What is wrong with the thresholds, one sentence each (naming the field): each must be a
    /// positive finite number, and a percentage at most 100.
    pub fn problems(&self) -> Vec<String> {
        let percents = [
            ("error_rate_percent", self.error_rate_percent),
            ("cpu_percent", self.cpu_percent),
            ("memory_percent", self.memory_percent),
            ("database_connections_percent", self.database_connections_percent),
        ];
        let others = [
            ("throttled_events_per_minute", self.throttled_events_per_minute),
            ("replication_latency_ms", self.replication_latency_ms),
            ("latency_p99_ms", self.latency_p99_ms),
        ];
        let mut problems = Vec::new();
        for (field, v) in percents {
            if !(v > 0.0 && v <= 100.0) {
                problems.push(format!("threshold {field} is {v}; use a percentage over 0 and at most 100"));
            }
        }
        for (field, v) in others {
            if !(v.is_finite() && v > 0.0) {
                problems.push(format!("threshold {field} is {v}; use a positive finite number"));
            }
        }
        problems
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            error_rate_percent: 5.0,
            cpu_percent: 80.0,
            memory_percent: 80.0,
            throttled_events_per_minute: 10.0,
            replication_latency_ms: 60_000.0,
            latency_p99_ms: 1000.0,
            database_connections_percent: 80.0,
        }
    }
}

/// What [`RegionalMonitoring`] watches and whom it tells.
#[derive(Clone, Debug)]
pub struct RegionalMonitoringProps {
    /// Every region of the platform (replication latency is watched towards each other one).
    pub platform_regions: Vec<String>,
    /// Email addresses subscribed to the alarm topic (each confirms by mail). Default: none.
    pub alarm_emails: Vec<String>,
    /// The services of the region. Default: none.
    pub services: Vec<ServiceMetrics>,
    /// The tables whose replicas live in the region. Default: none.
    pub tables: Vec<TableMetrics>,
    /// ECS clusters (names) whose deployments and service warnings go to the topic as
    /// informational events (EventBridge rules, `Events/`). Default: none.
    pub ecs_clusters: Vec<Value<String>>,
    /// Send the region's failed AWS Backup, copy and restore jobs to the topic. Default: `true`.
    pub backup_events: bool,
    /// The region's Aurora clusters: CPU and capacity warnings, and for a global database the
    /// replication lag (paging above `replication_latency_ms`). Default: none.
    pub databases: Vec<DatabaseMetrics>,
    /// The region's load balancers (`LoadBalancerFullName`): a critical alarm when more than
    /// `error_rate_percent` of their responses are 5xx, their own included, over every service
    /// (each service's alarm counts its load balancer's own 5xx too, over its own requests).
    /// Default: none.
    pub load_balancers: Vec<Value<String>>,
    /// The thresholds. Default: [`Thresholds::default`].
    pub thresholds: Thresholds,
    /// X-Ray groups and sampling rules of the traced services. Default: none
    /// ([`TracingProps::default`]).
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
            databases: Vec::new(),
            ecs_clusters: Vec::new(),
            backup_events: true,
            load_balancers: Vec::new(),
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
    /// The topic's e-mail subscriptions (see [`AlarmTopic::subscriptions`]).
    pub subscriptions: Vec<Handle<Subscription>>,
    /// Alarms that page (each service's 5xx error rate, the load balancers' error rate,
    /// replication latency), e.g. stop conditions of chaos experiments.
    pub critical_alarms: Vec<Handle<Alarm>>,
    /// Alarms for working hours.
    pub warning_alarms: Vec<Handle<Alarm>>,
    /// Each watched service's critical alarms (among `critical_alarms`), by service name.
    pub service_critical_alarms: BTreeMap<String, Vec<Handle<Alarm>>>,
    /// The error-rate alarm of the region's load balancers (among `critical_alarms`), when
    /// [`RegionalMonitoringProps::load_balancers`] names any.
    pub load_balancer_alarm: Option<Handle<Alarm>>,
    /// The dashboard.
    pub dashboard: Handle<Dashboard>,
    /// Per traced service, its X-Ray group.
    pub trace_groups: Vec<Handle<Group>>,
    /// Per traced service, its X-Ray sampling rule.
    pub sampling_rules: Vec<Handle<SamplingRule>>,
    /// The EventBridge rules sending informational events to the topic.
    pub event_rules: Vec<Handle<haplat_core::resources::events::rule::Rule>>,
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
    /// Each service's critical alarms (among `critical_alarms`), by service name.
    pub service_critical_alarms: BTreeMap<String, Vec<Handle<Alarm>>>,
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

impl RegionalMonitoring {
    /// Adds the topic, alarms and dashboard under `scope.child(id)`.
    pub fn new(scope: &Scope, id: &str, props: RegionalMonitoringProps) -> RegionalMonitoring {
        let scope = scope.child(id);
        for why in props.thresholds.problems() {
            scope.error(why);
        }
        for why in haplat_core::validate::region_list_problems("platform region", &props.platform_regions) {
            scope.error(why);
        }
        for s in &props.services {
            // The name prefixes the ids of its alarms (`<name>Service`).
            scope.check_id(&s.name);
        }
        let events = !props.ecs_clusters.is_empty() || props.backup_events;
        let users: &[KeyUser] =
            if events { &[KeyUser::CloudWatchAlarms, KeyUser::EventBridge] } else { &[KeyUser::CloudWatchAlarms] };
        let AlarmTopic { key, topic, subscriptions } = AlarmTopic::with_key_users(&scope, &props.alarm_emails, users);
        let event_rules = events::event_rules(&scope, topic, &props.ecs_clusters, props.backup_events);
        let th = &props.thresholds;
        let mut alarms = Alarms { actions: vec![topic.ref_()], critical: Vec::new(), warning: Vec::new() };
        let mut add =
            |scope: &Scope, spec: AlarmSpec<'_>, condition: Option<String>| alarms.add(scope, spec, condition);

        let service_critical_alarms = alarms::service_alarms(&scope, th, &props.services, &mut add);
        alarms::table_alarms(&scope, th, &props.tables, &props.platform_regions, &mut add);
        alarms::database_alarms(&scope, th, &props.databases, &mut add);
        let load_balancer_alarm = alarms::load_balancer_alarm(&scope, th, &props.load_balancers, &mut add);
        let (mut widgets, mut vars) = (Vec::new(), Vec::new());
        dashboard::service_widgets(&props.services, &mut widgets, &mut vars);
        dashboard::table_widgets(&props.tables, &props.platform_regions, &mut widgets, &mut vars);
        let dashboard = dashboard::dashboard(&scope, widgets, vars);
        let (trace_groups, sampling_rules) = tracing::tracing(&scope, &props.tracing);
        RegionalMonitoring {
            key,
            topic,
            subscriptions,
            critical_alarms: alarms.critical,
            warning_alarms: alarms.warning,
            service_critical_alarms,
            load_balancer_alarm,
            dashboard,
            trace_groups,
            sampling_rules,
            event_rules,
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
        let mut alarms = Alarms { actions: vec![self.topic.ref_()], critical: Vec::new(), warning: Vec::new() };
        let service_critical_alarms =
            alarms::service_alarms(&scope, &self.thresholds, services, &mut |sc: &Scope, spec: AlarmSpec<'_>, c| {
                alarms.add(sc, spec, c)
            });
        let (mut widgets, mut vars) = (Vec::new(), Vec::new());
        dashboard::service_widgets(services, &mut widgets, &mut vars);
        let dashboard = dashboard::dashboard(&scope, widgets, vars);
        let (trace_groups, sampling_rules) = tracing::tracing(&scope, tracing_props);
        ServiceMonitoring {
            critical_alarms: alarms.critical,
            warning_alarms: alarms.warning,
            service_critical_alarms,
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
