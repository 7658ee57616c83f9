//! What the platform measures, with no resource of its own: CloudWatch metric references
//! ([`MetricRef`]) and the metric math the alarms share (`summed`, `expression`), the
//! severities of alarms, the metric dimensions of a service ([`ServiceMetrics`]) and of a table
//! ([`TableMetrics`]), and service level indicators ([`Sli`]). A leaf: it imports nothing of the
//! crate; the alarm, monitoring and SLO modules read it.
//!
//! ```
//! use haplat_constructs::metrics::{MetricRef, Sli};
//!
//! let lb = ("LoadBalancer", haplat_core::Value::from("app/api/123"));
//! let sli = Sli::ErrorRatio {
//!     bad: vec![MetricRef::new("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", [lb.clone()])],
//!     total: vec![MetricRef::new("AWS/ApplicationELB", "RequestCount", [lb])],
//! };
//! assert!(matches!(sli, Sli::ErrorRatio { .. }));
//! ```

use haplat_core::resources::cloudwatch::alarm::{Dimension, Metric, MetricDataQuery, MetricStat};
use haplat_core::value::{List, Value};

/// A CloudWatch metric by namespace, name and dimensions (a value of the same stack each).
#[derive(Clone, Debug, PartialEq)]
pub struct MetricRef {
    /// `AWS/ApplicationELB`.
    pub namespace: String,
    /// `HTTPCode_Target_5XX_Count`.
    pub name: String,
    /// Dimension name and value.
    pub dimensions: Vec<(String, Value<String>)>,
}

impl MetricRef {
    /// A metric with these dimensions.
    pub fn new<N: Into<String>>(
        namespace: &str,
        name: &str,
        dimensions: impl IntoIterator<Item = (N, Value<String>)>,
    ) -> Self {
        MetricRef {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            dimensions: dimensions.into_iter().map(|(n, v)| (n.into(), v)).collect(),
        }
    }

    pub(crate) fn dims(&self) -> List<Dimension> {
        List::items(self.dimensions.iter().map(|(n, v)| Dimension { name: n.into(), value: v.clone() }).collect())
    }

    /// A metric query (`ReturnData: false`) of this metric with a statistic and period.
    pub(crate) fn query(&self, id: &str, stat: &str, period: i64) -> MetricDataQuery {
        MetricDataQuery {
            id: id.into(),
            metric_stat: Some(MetricStat {
                metric: Metric {
                    namespace: Some(self.namespace.clone().into()),
                    metric_name: Some(self.name.clone().into()),
                    dimensions: Some(self.dims()),
                },
                period: period.into(),
                stat: stat.into(),
                unit: None,
            }),
            return_data: Some(false.into()),
            ..Default::default()
        }
    }
}

/// Metrics summed in metric math: the query ids of the terms, as an alarm's expression uses
/// them (see [`summed`]).
pub(crate) struct Sum {
    /// The sum where a missing datapoint may stay missing: the query id of a single metric.
    pub plain: String,
    /// The sum with missing datapoints as 0.
    pub filled: String,
}

/// The queries (`ReturnData: false`) of `metrics` with a statistic and period, and their sum:
/// one metric is the query `id` (as it always was, so single-metric alarms keep their queries);
/// several are `id0`, `id1` … summed as `(FILL(id0, 0) + FILL(id1, 0))`, so a metric without
/// data (the idle target group of a blue/green service) counts as 0 instead of blanking the sum.
pub(crate) fn summed(id: &str, metrics: &[MetricRef], stat: &str, period: i64) -> (Vec<MetricDataQuery>, Sum) {
    if let [single] = metrics {
        let sum = Sum { plain: id.to_owned(), filled: format!("FILL({id}, 0)") };
        return (vec![single.query(id, stat, period)], sum);
    }
    let ids: Vec<String> = (0..metrics.len()).map(|i| format!("{id}{i}")).collect();
    let queries = metrics.iter().zip(&ids).map(|(m, q)| m.query(q, stat, period)).collect();
    let terms: Vec<String> = ids.iter().map(|q| format!("FILL({q}, 0)")).collect();
    let sum = format!("({})", terms.join(" + "));
    (queries, Sum { plain: sum.clone(), filled: sum })
}

/// The 5xx percentage of the responses of `load_balancers` (`LoadBalancerFullName`s), as
/// metric-math queries whose last returns it: the targets' 5xx and the load balancers' own (the
/// 503 of a target group with no healthy target, the 502 of a target that drops the connection)
/// over all responses. The load balancers' own 5xx count in the responses too: `RequestCount`
/// leaves out the requests refused before a target was chosen.
pub(crate) fn load_balancer_error_rate(load_balancers: &[Value<String>]) -> Vec<MetricDataQuery> {
    let of = |name: &str| -> Vec<MetricRef> {
        load_balancers
            .iter()
            .map(|lb| MetricRef::new("AWS/ApplicationELB", name, [("LoadBalancer", lb.clone())]))
            .collect()
    };
    let (mut metrics, targets) = summed("targetErrors", &of("HTTPCode_Target_5XX_Count"), "Sum", 60);
    let (elb_queries, elb) = summed("elbErrors", &of("HTTPCode_ELB_5XX_Count"), "Sum", 60);
    let (request_queries, requests) = summed("requests", &of("RequestCount"), "Sum", 60);
    metrics.extend(elb_queries);
    metrics.extend(request_queries);
    let all = format!("({} + {})", requests.filled, elb.filled);
    let rate = format!("IF({all} > 0, 100 * ({} + {}) / {all}, 0)", targets.filled, elb.filled);
    metrics.push(expression("rate", &rate, "5xx of the region's load balancers (%)"));
    metrics
}

/// The availability indicator of whole load balancers: 5xx over requests, the 5xx the load
/// balancer answers itself included (502, 503 when no target is healthy, 504) on both sides,
/// since `RequestCount` counts only requests for which a target was chosen. A region where no
/// service answers is then an outage of the SLO, which per-service target 5xx never see.
pub fn load_balancer_availability_sli(load_balancers: &[Value<String>]) -> Sli {
    let of = |name: &str| -> Vec<MetricRef> {
        load_balancers
            .iter()
            .map(|lb| MetricRef::new("AWS/ApplicationELB", name, [("LoadBalancer", lb.clone())]))
            .collect()
    };
    let elb = of("HTTPCode_ELB_5XX_Count");
    let mut bad = of("HTTPCode_Target_5XX_Count");
    bad.extend(elb.iter().cloned());
    let mut total = of("RequestCount");
    total.extend(elb);
    Sli::ErrorRatio { bad, total }
}

/// A metric-math expression query that returns the alarm's data.
pub(crate) fn expression(id: &str, expression: &str, label: &str) -> MetricDataQuery {
    MetricDataQuery {
        id: id.into(),
        expression: Some(expression.into()),
        label: Some(label.into()),
        return_data: Some(true.into()),
        ..Default::default()
    }
}

/// How urgent an alarm is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Wake somebody up.
    Critical,
    /// Look at it during working hours.
    Warning,
}

impl Severity {
    /// `critical` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
        }
    }
}

/// The CloudWatch name of a DynamoDB table to watch (global tables: its replica in each region
/// has the same name).
#[derive(Clone, Debug, PartialEq)]
pub struct TableMetrics {
    /// An id for the alarms' construct paths (`Orders`).
    pub name: String,
    /// `AWS/DynamoDB` `TableName`.
    pub table_name: Value<String>,
}

/// The CloudWatch name of an Aurora cluster to watch (an Aurora global database: the region's
/// own cluster, primary or secondary).
#[derive(Clone, Debug, PartialEq)]
pub struct DatabaseMetrics {
    /// An id for the alarms' construct paths (`Db`).
    pub name: String,
    /// `AWS/RDS` `DBClusterIdentifier`.
    pub cluster_identifier: Value<String>,
    /// Whether it is a member of a global database (its secondaries publish
    /// `AuroraGlobalDBReplicationLag`).
    pub global: bool,
    /// The most connections an instance accepts (PostgreSQL's `max_connections`), when known:
    /// the connections alarm fires at
    /// [`Thresholds::database_connections_percent`](crate::monitoring::Thresholds::database_connections_percent)
    /// of it. `None`: no connections alarm ([`AuroraGlobal::metrics`](crate::aurora::AuroraGlobal::metrics)
    /// derives it from the capacity, see [`crate::aurora::max_connections`]).
    pub max_connections: Option<f64>,
}

/// The CloudWatch dimensions of one service in one stack set, for alarms and dashboards (each
/// value is the stack set's own region's, read inside the same stack).
#[derive(Clone, Debug)]
pub struct ServiceMetrics {
    /// The service's construct id.
    pub name: String,
    /// `AWS/ECS` `ClusterName`.
    pub cluster_name: Value<String>,
    /// `AWS/ECS` `ServiceName`.
    pub service_name: Value<String>,
    /// `AWS/ApplicationELB` `LoadBalancer` (the `LoadBalancerFullName` attribute).
    pub load_balancer_full_name: Value<String>,
    /// `AWS/ApplicationELB` `TargetGroup` (the `TargetGroupFullName` attribute).
    pub target_group_full_name: Value<String>,
    /// The alternate target group of a blue/green service, which holds the live tasks after
    /// every other deployment (`None` for rolling deployments).
    pub alternate_target_group_full_name: Option<Value<String>>,
    /// The service's ECS Service Connect discovery name, when it publishes its port there:
    /// `AWS/ECS` publishes the calls it receives per `DiscoveryName` (with `ClusterName` and
    /// `ServiceName`) and the callers' view of it per `TargetDiscoveryName`.
    pub connect_discovery_name: Option<String>,
}

impl ServiceMetrics {
    /// The `AWS/ApplicationELB` metric `name` of each target group that serves the service's
    /// live traffic: the production one and, for blue/green deployments, the alternate one
    /// (which holds the live tasks after every other deployment).
    pub fn target_group_metrics(&self, name: &str) -> Vec<MetricRef> {
        let lb = ("LoadBalancer", self.load_balancer_full_name.clone());
        std::iter::once(&self.target_group_full_name)
            .chain(self.alternate_target_group_full_name.as_ref())
            .map(|tg| MetricRef::new("AWS/ApplicationELB", name, [("TargetGroup", tg.clone()), lb.clone()]))
            .collect()
    }

    /// The 5xx its load balancer answers itself (`HTTPCode_ELB_5XX_Count`: 502, 503 when no
    /// target is healthy, 504), which CloudWatch publishes per `LoadBalancer` (and availability
    /// zone) only, never per target group: they cannot be told apart by service, so every
    /// service behind a shared load balancer counts all of them (docs/decisions.md, "A service
    /// counts its load balancer's own 5xx").
    pub fn load_balancer_errors(&self) -> MetricRef {
        MetricRef::new(
            "AWS/ApplicationELB",
            "HTTPCode_ELB_5XX_Count",
            [("LoadBalancer", self.load_balancer_full_name.clone())],
        )
    }

    /// The service's availability indicator: its targets' 5xx (summed over both target groups
    /// of a blue/green service, see [`ServiceMetrics::target_group_metrics`]) and its load
    /// balancer's own 5xx ([`ServiceMetrics::load_balancer_errors`]) over its requests and
    /// those load-balancer 5xx (`RequestCount` leaves out requests refused before a target was
    /// chosen), for an [`Slo`](crate::slo::Slo). A region where none of its targets is healthy
    /// answers 503 from the load balancer: without them, the SLO would be silent through it.
    pub fn availability_sli(&self) -> Sli {
        let mut bad = self.target_group_metrics("HTTPCode_Target_5XX_Count");
        bad.push(self.load_balancer_errors());
        let mut total = self.target_group_metrics("RequestCount");
        total.push(self.load_balancer_errors());
        Sli::ErrorRatio { bad, total }
    }

    /// The service's latency indicator: requests its targets answered in more than
    /// `threshold_ms` (`TargetResponseTime`, per target group) over all, the slower of a
    /// blue/green service's two groups ([`Sli::Latency`]), for an [`Slo`](crate::slo::Slo).
    pub fn latency_sli(&self, threshold_ms: f64) -> Sli {
        Sli::Latency { metrics: self.target_group_metrics("TargetResponseTime"), threshold_ms, unit: TimeUnit::Seconds }
    }
}

/// The unit of a latency metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    /// Seconds (ALB `TargetResponseTime`).
    Seconds,
    /// Milliseconds (ECS Service Connect `TargetResponseTime`).
    Milliseconds,
}

impl TimeUnit {
    /// `ms` in this unit.
    pub fn of_ms(self, ms: f64) -> f64 {
        match self {
            TimeUnit::Seconds => ms / 1000.0,
            TimeUnit::Milliseconds => ms,
        }
    }
}

/// What counts as a bad event.
#[derive(Clone, Debug, PartialEq)]
pub enum Sli {
    /// `bad / total` events (5xx responses over requests; failed over all invocations), each
    /// the sum of its metrics: several when the events are counted in more than one place, like
    /// the two target groups of a blue/green service, between which live traffic moves with
    /// every deployment. At least one of each, at most 10 metrics in all (CloudWatch's limit
    /// for an alarm).
    ErrorRatio {
        /// The bad events (summed over the metrics).
        bad: Vec<MetricRef>,
        /// All events (summed over the metrics).
        total: Vec<MetricRef>,
    },
    /// Requests slower than `threshold_ms` over all requests, from the percentile rank
    /// `PR(:threshold)` in the metrics' `unit` (ALB's `TargetResponseTime` is in seconds, ECS
    /// Service Connect's in milliseconds). With
    /// several metrics (the two target groups of a blue/green service), the slowest share of
    /// them: the idle group has no data and counts as all fast; while a deployment shifts
    /// traffic, the worse group is the indicator (an upper bound of the true share).
    Latency {
        /// The latency metrics (at least one, at most 10).
        metrics: Vec<MetricRef>,
        /// The slowest acceptable response, in milliseconds.
        threshold_ms: f64,
        /// The unit the metrics are published in.
        unit: TimeUnit,
    },
    /// Failed checks over all checks, from a percentage of successful ones averaged over the
    /// window (a Synthetics canary's `SuccessPercent`, 0 or 100 per run). A window without runs
    /// counts as good.
    Success {
        /// The success-percentage metric.
        metric: MetricRef,
    },
}
