//! What the operators' commands (`haplat health`, `failover`, `failback`, `drill`) ask of AWS
//! beyond stack sets, as a trait over plain types: implemented over the AWS SDK in
//! `crate::sdk_observe` and by a fake in tests, like [`crate::cfn::CloudFormation`]. Errors are
//! [`crate::cfn::CfnError`]s, sorted the same way (throttling, denied calls, unreachable
//! endpoints).
//!
//! The calls:
//! - CloudFormation `ListStackResources`: the physical ids of a region's stack;
//! - Route 53 `GetHealthCheck` and `UpdateHealthCheck` (global);
//! - the status of a health check, read from CloudWatch's `AWS/Route53` `HealthCheckStatus`
//!   metric in us-east-1: Route 53's `GetHealthCheckStatus` does not answer for `CALCULATED`
//!   and `CLOUDWATCH_METRIC` checks
//!   (<https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHealthCheckStatus.html>,
//!   <https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html>);
//! - Elastic Load Balancing `DescribeTargetHealth`;
//! - CloudWatch `DescribeAlarms` and `GetMetricData`;
//! - AWS FIS `StartExperiment`, `GetExperiment`, `StopExperiment`.

use std::collections::BTreeMap;
use std::future::Future;

use crate::cfn::CfnResult;

/// A resource of a deployed stack (`ListStackResources`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StackResource {
    /// Its logical id.
    pub logical_id: String,
    /// Its physical id (a health check's id, a target group's ARN, an alarm's name…).
    pub physical_id: Option<String>,
    /// Its CloudFormation type.
    pub resource_type: String,
    /// `CREATE_COMPLETE`…
    pub status: String,
}

/// A Route 53 health check's settings (`GetHealthCheck`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthCheck {
    /// Its id.
    pub id: String,
    /// `HTTPS`, `CALCULATED`, `CLOUDWATCH_METRIC`…
    pub kind: String,
    /// Whether its status is inverted.
    pub inverted: bool,
    /// Whether it is disabled (then always healthy).
    pub disabled: bool,
    /// A calculated check's `HealthThreshold`.
    pub health_threshold: Option<u32>,
    /// A calculated check's children.
    pub children: Vec<String>,
    /// Its `HealthCheckVersion` (sent back with an update, so that an update made in between
    /// is not overwritten).
    pub version: Option<i64>,
}

/// What [`Observe::update_health_check`] changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthCheckUpdate {
    /// A new `HealthThreshold` (calculated checks).
    pub health_threshold: Option<u32>,
    /// A new `Inverted`.
    pub inverted: Option<bool>,
    /// The version read before (`HealthCheckVersion`).
    pub version: Option<i64>,
}

/// One target of a target group (`DescribeTargetHealth`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Target {
    /// Its id (an IP address, an instance id…) and port.
    pub id: String,
    /// `healthy`, `unhealthy`, `initial`, `draining`, `unused`, `unavailable`.
    pub state: String,
    /// Why, when AWS says (`Target.ResponseCodeMismatch`…).
    pub reason: Option<String>,
}

/// One query of `GetMetricData` (an alarm's `Metrics` as `DescribeAlarms` gives them back,
/// with dimensions resolved).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricQuery {
    /// Its id.
    pub id: String,
    /// A math expression over the other queries' ids.
    pub expression: Option<String>,
    /// Or a metric.
    pub metric: Option<MetricStat>,
    /// Its label.
    pub label: Option<String>,
    /// Whether its values are returned.
    pub return_data: bool,
    /// The period of an expression (the metrics' own periods otherwise).
    pub period: Option<u32>,
}

/// A metric and how to aggregate it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricStat {
    /// `AWS/ApplicationELB`.
    pub namespace: String,
    /// `HTTPCode_Target_5XX_Count`.
    pub name: String,
    /// Name → value.
    pub dimensions: Vec<(String, String)>,
    /// Seconds.
    pub period: u32,
    /// `Sum`, `Minimum`, `p99`, `PR(:0.3)`…
    pub stat: String,
}

/// A CloudWatch alarm (metric or composite) as `DescribeAlarms` gives it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Alarm {
    /// Its name.
    pub name: String,
    /// Whether it is a composite alarm.
    pub composite: bool,
    /// `OK`, `ALARM`, `INSUFFICIENT_DATA`.
    pub state: String,
    /// Why.
    pub reason: String,
    /// Whether it notifies someone in ALARM: actions enabled and at least one alarm action.
    pub pages: bool,
    /// Its description.
    pub description: Option<String>,
    /// Its threshold (metric alarms).
    pub threshold: Option<f64>,
    /// Its metric queries (alarms on metric math), dimensions resolved.
    pub metrics: Vec<MetricQuery>,
}

/// An AWS FIS experiment (`GetExperiment`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Experiment {
    /// Its id.
    pub id: String,
    /// `pending`, `initiating`, `running`, `completed`, `stopping`, `stopped`, `failed`,
    /// `cancelled`.
    pub state: String,
    /// Why, when AWS says.
    pub reason: Option<String>,
}

impl Experiment {
    /// Whether it has ended (`completed`, `stopped`, `failed`, `cancelled`).
    pub fn ended(&self) -> bool {
        has_ended(&self.state)
    }
}

/// Whether an experiment in `state` has ended.
pub fn has_ended(state: &str) -> bool {
    matches!(state, "completed" | "stopped" | "failed" | "cancelled")
}

/// The reads and writes of the operators' commands. Calls that take a `region` go to that
/// region; Route 53 (and the `HealthCheckStatus` metric) answer in the partition's global
/// region.
pub trait Observe: Sync {
    /// The resources of the stack `stack` (name or id) in `region` (`ListStackResources`, every
    /// page).
    fn stack_resources(&self, region: &str, stack: &str) -> impl Future<Output = CfnResult<Vec<StackResource>>> + Send;
    /// A health check's settings (`GetHealthCheck`).
    fn health_check(&self, id: &str) -> impl Future<Output = CfnResult<HealthCheck>> + Send;
    /// Changes a health check (`UpdateHealthCheck`).
    fn update_health_check(&self, id: &str, update: &HealthCheckUpdate) -> impl Future<Output = CfnResult<()>> + Send;
    /// Each health check's latest status, from `AWS/Route53` `HealthCheckStatus` (minimum over
    /// the last minute reported, in the last 10 minutes): `Some(true)` healthy, `Some(false)`
    /// unhealthy, `None` when CloudWatch has no datapoint (a new check, an emulator).
    fn health_check_status(
        &self,
        ids: &[String],
    ) -> impl Future<Output = CfnResult<BTreeMap<String, Option<bool>>>> + Send;
    /// The targets of a target group and their health (`DescribeTargetHealth`).
    fn target_health(&self, region: &str, arn: &str) -> impl Future<Output = CfnResult<Vec<Target>>> + Send;
    /// The alarms of these names, metric and composite (`DescribeAlarms`, 100 names a call);
    /// names that do not exist are left out.
    fn alarms(&self, region: &str, names: &[String]) -> impl Future<Output = CfnResult<Vec<Alarm>>> + Send;
    /// `GetMetricData` over the last `window_seconds`: the latest value of each query that
    /// returns data, `None` when there is no datapoint.
    fn metric_data(
        &self,
        region: &str,
        queries: &[MetricQuery],
        window_seconds: u32,
    ) -> impl Future<Output = CfnResult<BTreeMap<String, Option<f64>>>> + Send;
    /// Starts an experiment from a template (`StartExperiment`); returns its id.
    fn start_experiment(&self, region: &str, template_id: &str) -> impl Future<Output = CfnResult<String>> + Send;
    /// An experiment's state (`GetExperiment`).
    fn experiment(&self, region: &str, id: &str) -> impl Future<Output = CfnResult<Experiment>> + Send;
    /// Stops an experiment (`StopExperiment`).
    fn stop_experiment(&self, region: &str, id: &str) -> impl Future<Output = CfnResult<()>> + Send;
}
