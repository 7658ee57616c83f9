//! Alarms that notify a topic: one shape for the platform's threshold and metric-math alarms
//! (`GreaterThanThreshold`, missing data not breaching, the topic as alarm and OK action, the
//! severity in the description), and a set that remembers them by severity.
//!
//! Used by the monitoring module. The alarms of the DNS, edge, Aurora, service and SLO modules
//! are still written by hand (their shapes differ: other operators, no OK action, no severity
//! prefix); moving them here is the next step of the middle layer, see `docs/architecture.md`.

use haplat_core::resources::cloudwatch::alarm::{
    Alarm, ComparisonOperator, MetricDataQuery, Statistic, TreatMissingData,
};
use haplat_core::value::{List, Value};
use haplat_core::{Handle, Scope};

use crate::metrics::{MetricRef, Severity};

/// One alarm: over `threshold` for `datapoints` of `periods` minutes of either one metric
/// (`single`, with a statistic, period 60) or metric math (`metrics`).
pub(crate) struct AlarmSpec<'a> {
    pub(crate) id: String,
    pub(crate) description: String,
    pub(crate) severity: Severity,
    pub(crate) metrics: Vec<MetricDataQuery>,
    pub(crate) single: Option<(&'a MetricRef, Statistic)>,
    pub(crate) threshold: f64,
    pub(crate) periods: i64,
    pub(crate) datapoints: i64,
}

/// Adds alarms that notify one topic, and remembers them by severity.
pub(crate) struct Alarms {
    pub(crate) topic: Value<String>,
    pub(crate) critical: Vec<Handle<Alarm>>,
    pub(crate) warning: Vec<Handle<Alarm>>,
}

impl Alarms {
    pub(crate) fn add(&mut self, scope: &Scope, spec: AlarmSpec<'_>, condition: Option<String>) -> Handle<Alarm> {
        let mut a = Alarm {
            alarm_description: Some(format!("[{}] {}", spec.severity.as_str(), spec.description).into()),
            comparison_operator: Some(ComparisonOperator::GreaterThanThreshold.into()),
            threshold: Some(spec.threshold.into()),
            evaluation_periods: Some(spec.periods.into()),
            datapoints_to_alarm: Some(spec.datapoints.into()),
            treat_missing_data: Some(TreatMissingData::NotBreaching.into()),
            alarm_actions: Some(List::items(vec![self.topic.clone()])),
            ok_actions: Some(List::items(vec![self.topic.clone()])),
            ..Default::default()
        };
        match spec.single {
            Some((m, stat)) => {
                a.namespace = Some(m.namespace.clone().into());
                a.metric_name = Some(m.name.clone().into());
                a.dimensions = Some(m.dims());
                a.statistic = Some(stat.into());
                a.period = Some(60.into());
            }
            None => a.metrics = Some(List::items(spec.metrics)),
        }
        let h = scope.add(&spec.id, a);
        if let Some(c) = condition {
            scope.options(h).condition(c);
        }
        match spec.severity {
            Severity::Critical => self.critical.push(h),
            Severity::Warning => self.warning.push(h),
        }
        h
    }
}
