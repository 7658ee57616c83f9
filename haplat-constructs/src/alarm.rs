//! Alarms that notify a topic: one shape for the platform's threshold and metric-math alarms
//! (`GreaterThanThreshold`, missing data not breaching, the topic as alarm and OK action, the
//! severity in the description), and a set that remembers them by severity.
//!
//! [`metric_alarm`] is the single-metric part every alarm on one metric shares (monitoring's,
//! the services' deployment alarms, the regions' health alarms of `api`, the Route 53 health
//! alarms of `dns`). Still written by hand: the SLO burn-rate alarms of `slo` (metric math, no
//! severity set) and the step-scaling alarm of `scaling` (a leaf, with a free-form statistic).
//! An `Alarm` construct with props and defaults is the next step of the middle layer (see
//! `docs/architecture.md`).

use haplat_core::resources::cloudwatch::alarm::{
    Alarm, ComparisonOperator, MetricDataQuery, Statistic, TreatMissingData,
};
use haplat_core::value::{List, Value};
use haplat_core::{Handle, Scope};

use haplat_core::resources::sns::subscription::Subscription;
use haplat_core::resources::sns::topic::Topic;

use crate::kms::{KeyUser, KmsKey};
use crate::metrics::{MetricRef, Severity};

/// Where alarms go in one region: an SNS topic (`Topic`) encrypted with a key of its own
/// (`Key`, usable by CloudWatch alarms), and an email subscription per contact (`Contact<i>`),
/// added in the caller's scope. A CloudWatch alarm notifies only a topic in its own region, so
/// every region (or single-region stack) with alarms has one.
#[derive(Clone, Debug)]
pub struct AlarmTopic {
    /// The topic's key.
    pub key: KmsKey,
    /// The topic.
    pub topic: Handle<Topic>,
    /// The e-mail subscriptions, one per contact: each must be confirmed within 48 hours of its
    /// region's first deploy (`haplat check` rule HAP023).
    pub subscriptions: Vec<Handle<Subscription>>,
}

impl AlarmTopic {
    /// The topic, its key and a subscription per email address in `scope`.
    pub fn new(scope: &Scope, emails: &[String]) -> AlarmTopic {
        AlarmTopic::with_key_users(scope, emails, &[KeyUser::CloudWatchAlarms])
    }

    /// [`AlarmTopic::new`] whose key these services may use too (CloudWatch alarms always).
    pub(crate) fn with_key_users(scope: &Scope, emails: &[String], users: &[KeyUser]) -> AlarmTopic {
        for (i, email) in emails.iter().enumerate() {
            if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
                scope.error(format!("alarm contact {email:?} is not an email address"));
            }
            // SNS keeps one subscription per address: a second would be the first, deleted with it.
            if emails[..i].iter().any(|e| e.eq_ignore_ascii_case(email)) {
                scope.error(format!("alarm contact {email:?} is listed twice"));
            }
        }
        let key = KmsKey::new(scope, "Key", "Encrypts the regional alarm topic", users);
        let topic = scope.add(
            "Topic",
            Topic {
                display_name: Some("Platform alarms".into()),
                kms_master_key_id: Some(key.arn()),
                ..Default::default()
            },
        );
        let subscriptions = emails
            .iter()
            .enumerate()
            .map(|(i, email)| {
                scope.add(
                    &format!("Contact{i}"),
                    Subscription {
                        protocol: "email".into(),
                        endpoint: Some(email.into()),
                        topic_arn: topic.ref_(),
                        ..Default::default()
                    },
                )
            })
            .collect();
        AlarmTopic { key, topic, subscriptions }
    }

    /// The topic's ARN, an alarm action.
    pub fn arn(&self) -> Value<String> {
        self.topic.ref_()
    }
}

/// An alarm on one metric: the namespace, name and dimensions of `metric`, its `statistic` over
/// periods of `period` seconds, nothing else; the caller adds threshold, operator, evaluation
/// periods and actions with `Alarm { …, ..metric_alarm(…) }`.
pub(crate) fn metric_alarm(metric: &MetricRef, statistic: Statistic, period: i64) -> Alarm {
    Alarm {
        namespace: Some(metric.namespace.clone().into()),
        metric_name: Some(metric.name.clone().into()),
        dimensions: Some(metric.dims()),
        statistic: Some(statistic.into()),
        period: Some(period.into()),
        ..Default::default()
    }
}

/// The runbooks in haplat's `docs/runbooks/`: a paging alarm's description names the one to
/// open (`haplat check` warns about a `[critical]` alarm with actions that names none, HAP028).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runbook {
    /// A region failing: automatic and manual failover, failback.
    RegionDown,
    /// A bad deploy: blue/green rollback, reverting a change.
    Rollback,
    /// An attack or WAF refusing real users.
    WafEmergency,
    /// Restoring data from backup or point in time.
    Restore,
    /// Aurora Global switchover and failover.
    AuroraFailover,
    /// A warning: capacity, latency, throttles, unhealthy targets; what to look at before it
    /// pages. The runbook of a warning that names no other.
    Performance,
}

impl Runbook {
    /// The runbook's file in haplat's repository.
    pub fn path(self) -> &'static str {
        match self {
            Runbook::RegionDown => "docs/runbooks/region-down.md",
            Runbook::Rollback => "docs/runbooks/rollback.md",
            Runbook::WafEmergency => "docs/runbooks/waf-emergency.md",
            Runbook::Restore => "docs/runbooks/restore.md",
            Runbook::AuroraFailover => "docs/runbooks/aurora-failover.md",
            Runbook::Performance => "docs/runbooks/performance.md",
        }
    }

    /// `what`, followed by the runbook to open.
    pub fn describe(self, what: &str) -> String {
        format!("{what} (runbook: haplat {})", self.path())
    }
}

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
    /// For an alarm that pages: the runbook its description names.
    pub(crate) runbook: Option<Runbook>,
}

/// Adds alarms that notify the same actions (topics), and remembers them by severity.
pub(crate) struct Alarms {
    pub(crate) actions: Vec<Value<String>>,
    pub(crate) critical: Vec<Handle<Alarm>>,
    pub(crate) warning: Vec<Handle<Alarm>>,
}

impl Alarms {
    pub(crate) fn add(&mut self, scope: &Scope, spec: AlarmSpec<'_>, condition: Option<String>) -> Handle<Alarm> {
        let metric = match spec.single {
            Some((m, stat)) => metric_alarm(m, stat, 60),
            None => Alarm { metrics: Some(List::items(spec.metrics)), ..Default::default() },
        };
        // A warning that names no runbook of its own names the one for warnings.
        let runbook = spec.runbook.or((spec.severity == Severity::Warning).then_some(Runbook::Performance));
        let a = Alarm {
            alarm_description: Some(
                match runbook {
                    Some(r) => r.describe(&format!("[{}] {}", spec.severity.as_str(), spec.description)),
                    None => format!("[{}] {}", spec.severity.as_str(), spec.description),
                }
                .into(),
            ),
            comparison_operator: Some(ComparisonOperator::GreaterThanThreshold.into()),
            threshold: Some(spec.threshold.into()),
            evaluation_periods: Some(spec.periods.into()),
            datapoints_to_alarm: Some(spec.datapoints.into()),
            treat_missing_data: Some(TreatMissingData::NotBreaching.into()),
            alarm_actions: (!self.actions.is_empty()).then(|| List::items(self.actions.clone())),
            ok_actions: (!self.actions.is_empty()).then(|| List::items(self.actions.clone())),
            ..metric
        };
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
