//! Route 53 health checks: [`HealthCheck`], an `HTTPS` check of an endpoint or a check that
//! follows CloudWatch alarms, and the alarm on its `HealthCheckStatus`
//! ([`HealthCheck::alarm`]). Why alarms rather than HTTPS behind CloudFront: see
//! `docs/decisions.md`, "Route 53 health checks of a CloudFront-only origin".
//!
//! ```
//! use haplat_core::App;
//! use haplat_constructs::health_check::{HealthCheck, HealthCheckProps};
//!
//! let app = App::new("shop");
//! let edge = app.stack("Edge", "us-east-1");
//! let props = HealthCheckProps::Alarms {
//!     region: "us-west-2".into(),
//!     alarm_names: vec!["blue".into(), "green".into()],
//!     healthy_needed: 1,
//! };
//! let check = HealthCheck::new(&edge, "HealthCheck", props);
//! check.alarm(&edge, "HealthAlarm", "the API fails its health check", &[]);
//! let t = app.synth().unwrap().template("shop-Edge").unwrap();
//! let config = &t["Resources"]["HealthCheck"]["Properties"]["HealthCheckConfig"];
//! assert_eq!(config["Type"], "CALCULATED");
//! assert_eq!(config["HealthThreshold"], 1);
//! ```

use haplat_core::resources::cloudwatch::alarm::{Alarm, ComparisonOperator, Statistic, TreatMissingData};
use haplat_core::resources::route53::health_check::{
    AlarmIdentifier, HealthCheck as CfnHealthCheck, HealthCheckConfig, InsufficientDataHealthStatus,
    Type as HealthCheckType,
};
use haplat_core::value::{List, Value};
use haplat_core::{Handle, Scope};

use crate::alarm::{Runbook, metric_alarm};
use crate::metrics::MetricRef;

/// What a [`HealthCheck`] checks.
#[derive(Clone, Debug, PartialEq)]
pub enum HealthCheckProps {
    /// `HTTPS` requests for `path` on `domain_name` (port 443, SNI), every 10 s; unhealthy after
    /// 2 failures, so within 26 s of an outage (docs/availability.md; the 10-s interval is an
    /// optional feature Route 53 bills).
    Https {
        /// The name requested.
        domain_name: Value<String>,
        /// The path requested (`/health`).
        path: Value<String>,
    },
    /// A `TCP` connection to `domain_name` on port 443, every 10 s; unhealthy after 2 failures,
    /// so within 30 s of an outage (Route 53 waits 10 s for a TCP connection). For an endpoint
    /// that answers no plain HTTPS request with 2xx/3xx, such as a WebSocket API.
    Tcp {
        /// The name connected to.
        domain_name: Value<String>,
    },
    /// Healthy while at least `healthy_needed` of these other health checks are: a
    /// `CALCULATED` check.
    Calculated {
        /// The ids of the checks it follows (none of them calculated).
        children: Vec<Value<String>>,
        /// How many must be healthy (at least 1, at most the number of children).
        healthy_needed: usize,
    },
    /// Healthy while at least `healthy_needed` of these CloudWatch alarms of `region` are not
    /// in alarm: a `CLOUDWATCH_METRIC` check on the one alarm, or with several a `CALCULATED`
    /// check over one such check per alarm (`AlarmCheck<i>`, beside the check). Insufficient
    /// data is unhealthy.
    Alarms {
        /// The region of the alarms (`Pseudo::Region` for a check made beside them in a stack set).
        region: Value<String>,
        /// The alarms' names.
        alarm_names: Vec<Value<String>>,
        /// How many must be out of alarm (at least 1, at most the number of alarms).
        healthy_needed: usize,
    },
    /// Healthy while the Route 53 ARC routing control of this ARN is on: a `RECOVERY_CONTROL`
    /// check ([creating a routing control health check](https://docs.aws.amazon.com/r53recovery/latest/dg/routing-control.create-health-check.html)).
    RoutingControl {
        /// The routing control's ARN.
        arn: Value<String>,
    },
}

/// What a tier adds to a region's health check
/// ([`MultiRegionApi::watch_in_region_health`](crate::api::MultiRegionApi::watch_in_region_health)):
/// plain metric alarms of the region, which Route 53 reads (standard resolution, a standard
/// statistic, no metric math), and checks of its endpoints (TCP, HTTPS).
#[derive(Clone, Debug, Default)]
pub struct HealthSignals {
    /// Alarms whose state says the tier is down in the region.
    pub alarms: Vec<Handle<Alarm>>,
    /// Checks of the tier's endpoints in the region (not calculated ones, not alarms).
    pub checks: Vec<HealthCheckProps>,
}

/// A Route 53 health check (`AWS::Route53::HealthCheck`).
#[derive(Clone, Copy, Debug)]
pub struct HealthCheck {
    /// The health check resource (the calculated one when it follows several alarms).
    pub handle: Handle<CfnHealthCheck>,
}

/// A `CLOUDWATCH_METRIC` check on the alarm `name` of `region`.
fn alarm_check(region: &Value<String>, name: &Value<String>) -> CfnHealthCheck {
    CfnHealthCheck {
        health_check_config: HealthCheckConfig {
            type_: HealthCheckType::CloudwatchMetric.into(),
            alarm_identifier: Some(AlarmIdentifier { name: name.clone(), region: region.clone().cast() }),
            insufficient_data_health_status: Some(InsufficientDataHealthStatus::Unhealthy.into()),
            ..Default::default()
        },
        health_check_tags: None,
    }
}

/// A `CALCULATED` check healthy while `healthy_needed` of `children` are.
pub(crate) fn calculated(children: Vec<Value<String>>, healthy_needed: usize) -> CfnHealthCheck {
    CfnHealthCheck {
        health_check_config: HealthCheckConfig {
            type_: HealthCheckType::Calculated.into(),
            child_health_checks: Some(List::items(children)),
            health_threshold: Some(i64::try_from(healthy_needed).unwrap_or(i64::MAX).into()),
            ..Default::default()
        },
        health_check_tags: None,
    }
}

impl HealthCheck {
    /// Adds the health check as `scope/id` (and its alarm checks beside it).
    pub fn new(scope: &Scope, id: &str, props: HealthCheckProps) -> HealthCheck {
        // Route 53: a domain name of 1 to 255 characters, a path that starts with / (at most 255);
        // a value made by an intrinsic is AWS's to check.
        let literal = |v: &Value<String>| match v.expr() {
            haplat_core::value::Expr::String(s) => Some(s.clone()),
            _ => None,
        };
        if let HealthCheckProps::Https { domain_name: d, .. } | HealthCheckProps::Tcp { domain_name: d } = &props
            && let Some(d) = literal(d)
            && !(1..=255).contains(&d.chars().count())
        {
            scope.error(format!("health check {id}: domain name of {} characters; use 1 to 255", d.chars().count()));
        }
        if let HealthCheckProps::Https { path, .. } = &props
            && let Some(p) = literal(path)
            && !(p.starts_with('/') && p.chars().count() <= 255)
        {
            scope.error(format!(
                "health check {id}: path {:?} must start with / (at most 255 characters)",
                p.chars().take(64).collect::<String>()
            ));
        }
        let handle = match props {
            HealthCheckProps::Alarms { region, alarm_names, healthy_needed } if !alarm_names.is_empty() => {
                if !(1..=alarm_names.len()).contains(&healthy_needed) {
                    scope.error(format!(
                        "health check {id}: over {} alarms it cannot need {healthy_needed} of them healthy; use 1 to {}",
                        alarm_names.len(),
                        alarm_names.len()
                    ));
                }
                if let [one] = alarm_names.as_slice() {
                    scope.add(id, alarm_check(&region, one))
                } else {
                    let children: Vec<Value<String>> = alarm_names
                        .iter()
                        .enumerate()
                        .map(|(i, name)| scope.add(&format!("AlarmCheck{i}"), alarm_check(&region, name)).ref_())
                        .collect();
                    scope.add(id, calculated(children, healthy_needed))
                }
            }
            HealthCheckProps::Calculated { children, healthy_needed } => {
                if children.is_empty() {
                    scope.error(format!("health check {id}: a calculated health check needs at least one child check"));
                } else if !(1..=children.len()).contains(&healthy_needed) {
                    scope.error(format!(
                        "health check {id}: over {} checks it cannot need {healthy_needed} of them healthy; use 1 to {}",
                        children.len(),
                        children.len()
                    ));
                }
                scope.add(id, calculated(children, healthy_needed))
            }
            HealthCheckProps::Alarms { .. } => {
                scope.error(format!("health check {id}: a health check on alarms needs at least one alarm"));
                scope.add(id, CfnHealthCheck::default())
            }
            HealthCheckProps::Tcp { domain_name } => scope.add(
                id,
                CfnHealthCheck {
                    health_check_config: HealthCheckConfig {
                        type_: HealthCheckType::Tcp.into(),
                        fully_qualified_domain_name: Some(domain_name),
                        port: Some(443.into()),
                        request_interval: Some(10.into()),
                        failure_threshold: Some(2.into()),
                        ..Default::default()
                    },
                    health_check_tags: None,
                },
            ),
            HealthCheckProps::RoutingControl { arn } => scope.add(
                id,
                CfnHealthCheck {
                    health_check_config: HealthCheckConfig {
                        type_: HealthCheckType::RecoveryControl.into(),
                        routing_control_arn: Some(arn),
                        ..Default::default()
                    },
                    health_check_tags: None,
                },
            ),
            HealthCheckProps::Https { domain_name, path } => scope.add(
                id,
                CfnHealthCheck {
                    health_check_config: HealthCheckConfig {
                        type_: HealthCheckType::Https.into(),
                        fully_qualified_domain_name: Some(domain_name),
                        resource_path: Some(path),
                        port: Some(443.into()),
                        enable_sni: Some(true.into()),
                        request_interval: Some(10.into()),
                        failure_threshold: Some(2.into()),
                        ..Default::default()
                    },
                    health_check_tags: None,
                },
            ),
        };
        HealthCheck { handle }
    }

    /// The check's id (`Ref`), what a record set names.
    pub fn id(&self) -> Value<String> {
        self.handle.ref_()
    }

    /// Adds `scope/id`, an alarm when the check has been unhealthy for two minutes (missing data
    /// breaches), telling `actions` of the alarm and of its end. Its description is
    /// `[critical] <what>`, naming the region-down runbook.
    pub fn alarm(&self, scope: &Scope, id: &str, what: &str, actions: &[Value<String>]) -> Handle<Alarm> {
        status_alarm(scope, id, self.id(), what, actions)
    }
}

/// The alarm of [`HealthCheck::alarm`] on the health check of id `check_id`, made elsewhere
/// (a region's own stack) or here. Route 53 publishes `HealthCheckStatus` in us-east-1 only.
pub fn status_alarm(
    scope: &Scope,
    id: &str,
    check_id: Value<String>,
    what: &str,
    actions: &[Value<String>],
) -> Handle<Alarm> {
    let actions = (!actions.is_empty()).then(|| List::items(actions.to_vec()));
    scope.add(
        id,
        Alarm {
            alarm_description: Some(Runbook::RegionDown.describe(&format!("[critical] {what}")).into()),
            evaluation_periods: Some(2.into()),
            threshold: Some(1.into()),
            comparison_operator: Some(ComparisonOperator::LessThanThreshold.into()),
            treat_missing_data: Some(TreatMissingData::Breaching.into()),
            alarm_actions: actions.clone(),
            ok_actions: actions,
            ..metric_alarm(
                &MetricRef::new("AWS/Route53", "HealthCheckStatus", [("HealthCheckId", check_id)]),
                Statistic::Minimum,
                60,
            )
        },
    )
}
