//! Autoscaling of an ECS service: target tracking on CPU, memory and ALB requests per target,
//! and step scaling on a custom metric where given.
//!
//! ```
//! use haplat_core::App;
//! use haplat_constructs::scaling::{RequestTargets, Scaling, autoscale, ScalingTarget};
//!
//! let app = App::new("demo");
//! let stack = app.stack("Svc", "us-east-1");
//! let target = ScalingTarget {
//!     cluster_name: "prod".into(),
//!     service_name: "orders".into(),
//!     min: 2.into(),
//!     max: 10.into(),
//!     requests: Some(RequestTargets {
//!         load_balancer: "app/alb/123".into(),
//!         target_groups: vec!["targetgroup/tg/456".into()],
//!     }),
//! };
//! autoscale(&stack, "Scaling", &target, &Scaling::default());
//! let t = app.synth().unwrap().template("demo-Svc").unwrap();
//! let policies = t["Resources"].as_object().unwrap().values()
//!     .filter(|r| r["Type"] == "AWS::ApplicationAutoScaling::ScalingPolicy").count();
//! assert_eq!(policies, 3);
//! ```

use std::collections::BTreeMap;

use haplat_core::resources::applicationautoscaling::{scalable_target, scaling_policy};
use haplat_core::resources::cloudwatch::{self, alarm};
use haplat_core::value::{List, Value};
use haplat_core::{Handle, Scope};

/// How a service scales.
#[derive(Clone, Debug, PartialEq)]
pub struct Scaling {
    /// Average CPU utilization (%) to hold. Default: 70.
    pub cpu_target: f64,
    /// Average memory utilization (%) to hold. Default: 75.
    pub memory_target: f64,
    /// ALB requests per target per minute to hold; `None` turns this policy off. Default: 1000.
    pub requests_per_target: Option<f64>,
    /// Seconds between scale-in activities. Default: 300.
    pub scale_in_cooldown: i64,
    /// Seconds between scale-out activities. Default: 60.
    pub scale_out_cooldown: i64,
    /// Step scaling on a custom metric. Default: none.
    pub step: Option<StepScaling>,
}

impl Default for Scaling {
    /// CPU 70 %, memory 75 %, 1000 requests per target, scale out after 60 s, in after 300 s.
    fn default() -> Self {
        Scaling {
            cpu_target: 70.0,
            memory_target: 75.0,
            requests_per_target: Some(1000.0),
            scale_in_cooldown: 300,
            scale_out_cooldown: 60,
            step: None,
        }
    }
}

/// Step scaling on a custom CloudWatch metric: an alarm at `threshold` triggers the steps.
#[derive(Clone, Debug, PartialEq)]
pub struct StepScaling {
    /// The metric's namespace (`Shop/Orders`).
    pub namespace: String,
    /// The metric's name (`QueueDepth`).
    pub metric_name: String,
    /// The metric's dimensions.
    pub dimensions: BTreeMap<String, String>,
    /// `Average`, `Sum`, `Maximum` …
    pub statistic: String,
    /// The alarm fires at or above this value.
    pub threshold: f64,
    /// Steps, relative to the threshold: `(lower bound, upper bound or None, tasks to add)`.
    pub steps: Vec<(f64, Option<f64>, i64)>,
}

/// What is scaled.
#[derive(Clone, Debug)]
pub struct ScalingTarget {
    /// The ECS cluster's name.
    pub cluster_name: Value<String>,
    /// The ECS service's name.
    pub service_name: Value<String>,
    /// Fewest tasks.
    pub min: Value<i64>,
    /// Most tasks.
    pub max: Value<i64>,
    /// The load balancer traffic that request scaling follows; `None` turns it off.
    pub requests: Option<RequestTargets>,
}

/// Where a service's requests arrive: its load balancer and the target groups its tasks serve
/// from (both of a blue/green service: after a deployment the live tasks may be in either).
#[derive(Clone, Debug)]
pub struct RequestTargets {
    /// The load balancer's `LoadBalancerFullName` (`app/<name>/<id>`).
    pub load_balancer: Value<String>,
    /// Each target group's `TargetGroupFullName` (`targetgroup/<name>/<id>`).
    pub target_groups: Vec<Value<String>>,
}

/// The scalable target of an ECS service and its policies, under `parent/id`.
pub fn autoscale(
    parent: &Scope,
    id: &str,
    target: &ScalingTarget,
    scaling: &Scaling,
) -> Handle<scalable_target::ScalableTarget> {
    let scope = parent.child(id);
    for (what, v) in [("cpu_target", scaling.cpu_target), ("memory_target", scaling.memory_target)] {
        if !(1.0..=100.0).contains(&v) {
            scope.error(format!("{what} is {v}; use a utilization from 1 to 100 (%)"));
        }
    }
    if let Some(rpt) = scaling.requests_per_target
        && !(rpt.is_finite() && rpt > 0.0)
    {
        scope.error(format!("requests_per_target is {rpt}; use a positive number of requests (or None)"));
    }
    for (what, v) in
        [("scale_in_cooldown", scaling.scale_in_cooldown), ("scale_out_cooldown", scaling.scale_out_cooldown)]
    {
        // Application Auto Scaling takes 0 to 1 day... its API says an Integer, 0 or more; a
        // day is far past any sensible cooldown.
        if !(0..=86_400).contains(&v) {
            scope.error(format!("{what} is {v} seconds; use 0 to 86400"));
        }
    }
    let st = scope.add(
        "Target",
        scalable_target::ScalableTarget {
            service_namespace: scalable_target::ServiceNamespace::Ecs.into(),
            scalable_dimension: scalable_target::ScalableDimension::EcsServiceDesiredCount.into(),
            resource_id: Value::sub_with(
                "service/${Cluster}/${Service}",
                [("Cluster", target.cluster_name.clone()), ("Service", target.service_name.clone())],
            ),
            min_capacity: target.min.clone(),
            max_capacity: target.max.clone(),
            ..Default::default()
        },
    );
    let tracking = |name: &str, value: f64, metric: Metric| {
        scope.add(
            name,
            scaling_policy::ScalingPolicy {
                policy_name: Value::sub(format!("${{AWS::StackName}}-{}-{name}", scope.path().replace('/', "-"))),
                policy_type: scaling_policy::PolicyType::TargetTrackingScaling.into(),
                scaling_target_id: Some(st.ref_()),
                target_tracking_scaling_policy_configuration: Some(
                    scaling_policy::TargetTrackingScalingPolicyConfiguration {
                        target_value: value.into(),
                        scale_in_cooldown: Some(scaling.scale_in_cooldown.into()),
                        scale_out_cooldown: Some(scaling.scale_out_cooldown.into()),
                        predefined_metric_specification: match &metric {
                            Metric::Predefined(t, label) => Some(scaling_policy::PredefinedMetricSpecification {
                                predefined_metric_type: t.clone().into(),
                                resource_label: label.clone(),
                            }),
                            Metric::Custom(_) => None,
                        },
                        customized_metric_specification: match metric {
                            Metric::Custom(spec) => Some(*spec),
                            Metric::Predefined(..) => None,
                        },
                        ..Default::default()
                    },
                ),
                ..Default::default()
            },
        );
    };
    tracking(
        "Cpu",
        scaling.cpu_target,
        Metric::Predefined(scaling_policy::PredefinedMetricType::EcsServiceAverageCpuUtilization, None),
    );
    tracking(
        "Memory",
        scaling.memory_target,
        Metric::Predefined(scaling_policy::PredefinedMetricType::EcsServiceAverageMemoryUtilization, None),
    );
    if let (Some(rpt), Some(requests)) = (scaling.requests_per_target, &target.requests) {
        match requests.target_groups.as_slice() {
            [] => scope.error("request scaling needs at least one target group"),
            [tg] => tracking(
                "Requests",
                rpt,
                Metric::Predefined(
                    scaling_policy::PredefinedMetricType::AlbRequestCountPerTarget,
                    Some(Value::sub_with("${Lb}/${Tg}", [("Lb", requests.load_balancer.clone()), ("Tg", tg.clone())])),
                ),
            ),
            groups => tracking(
                "Requests",
                rpt,
                Metric::Custom(Box::new(requests_per_target(&requests.load_balancer, groups))),
            ),
        }
    }
    if let Some(step) = &scaling.step {
        if !["Average", "Maximum", "Minimum", "SampleCount", "Sum"].contains(&step.statistic.as_str()) {
            scope.error(format!(
                "statistic {:?} of step scaling; use Average, Maximum, Minimum, SampleCount or Sum",
                step.statistic
            ));
        }
        if step.steps.is_empty() {
            scope.error(format!("step scaling on {}/{} has no steps", step.namespace, step.metric_name));
        }
        if step.namespace.trim().is_empty() || step.metric_name.trim().is_empty() {
            scope.error("step scaling needs a metric namespace and name");
        }
        if !step.threshold.is_finite() {
            scope.error(format!("step scaling threshold is {}; use a finite number", step.threshold));
        }
        for (lo, hi, n) in &step.steps {
            let bounds_ok = lo.is_finite() && hi.is_none_or(|h| h.is_finite() && h > *lo);
            if !bounds_ok || *n == 0 {
                scope.error(format!(
                    "step ({lo}, {hi:?}, {n}) of step scaling: bounds must be finite with the upper over the lower, \
                     and a step must add or remove tasks"
                ));
            }
        }
        let policy = scope.add(
            "Step",
            scaling_policy::ScalingPolicy {
                policy_name: Value::sub(format!("${{AWS::StackName}}-{}-Step", scope.path().replace('/', "-"))),
                policy_type: scaling_policy::PolicyType::StepScaling.into(),
                scaling_target_id: Some(st.ref_()),
                step_scaling_policy_configuration: Some(scaling_policy::StepScalingPolicyConfiguration {
                    adjustment_type: Some(scaling_policy::AdjustmentType::ChangeInCapacity.into()),
                    cooldown: Some(scaling.scale_out_cooldown.into()),
                    metric_aggregation_type: Some(scaling_policy::MetricAggregationType::Average.into()),
                    step_adjustments: Some(List::items(
                        step.steps
                            .iter()
                            .map(|(lo, hi, n)| scaling_policy::StepAdjustment {
                                metric_interval_lower_bound: Some((*lo).into()),
                                metric_interval_upper_bound: hi.map(Into::into),
                                scaling_adjustment: (*n).into(),
                            })
                            .collect(),
                    )),
                    ..Default::default()
                }),
                ..Default::default()
            },
        );
        scope.add(
            "StepAlarm",
            cloudwatch::Alarm {
                alarm_description: Some(
                    format!("Scales {} out on {}/{}", parent.path(), step.namespace, step.metric_name).into(),
                ),
                namespace: Some(step.namespace.clone().into()),
                metric_name: Some(step.metric_name.clone().into()),
                dimensions: Some(List::items(
                    step.dimensions
                        .iter()
                        .map(|(k, v)| alarm::Dimension { name: k.clone().into(), value: v.clone().into() })
                        .collect(),
                )),
                statistic: Some(alarm::Statistic::from(step.statistic.as_str()).into()),
                period: Some(60.into()),
                evaluation_periods: Some(1.into()),
                threshold: Some(step.threshold.into()),
                comparison_operator: Some(alarm::ComparisonOperator::GreaterThanOrEqualToThreshold.into()),
                treat_missing_data: Some(alarm::TreatMissingData::NotBreaching.into()),
                alarm_actions: Some(List::items(vec![policy.ref_()])),
                ..Default::default()
            },
        );
    }
    st
}

/// What a target tracking policy follows.
enum Metric {
    Predefined(scaling_policy::PredefinedMetricType, Option<Value<String>>),
    Custom(Box<scaling_policy::CustomizedMetricSpecification>),
}

/// Requests per healthy target over several target groups, as metric math: the predefined
/// `ALBRequestCountPerTarget` follows one target group, and ECS blue/green deployments move a
/// service's live tasks to the alternate group and back, where a policy on one group would see
/// no requests and never scale out on them (docs/aws-review.md, finding 3; rule HAP021). The sum
/// of requests over the sum of healthy targets is what the predefined metric computes for one.
fn requests_per_target(
    load_balancer: &Value<String>,
    groups: &[Value<String>],
) -> scaling_policy::CustomizedMetricSpecification {
    let stat =
        |id: String, metric: &str, stat: &str, tg: &Value<String>| scaling_policy::TargetTrackingMetricDataQuery {
            id: Some(id.into()),
            return_data: Some(false.into()),
            metric_stat: Some(scaling_policy::TargetTrackingMetricStat {
                metric: Some(scaling_policy::TargetTrackingMetric {
                    namespace: Some("AWS/ApplicationELB".into()),
                    metric_name: Some(metric.into()),
                    dimensions: Some(List::items(vec![
                        scaling_policy::TargetTrackingMetricDimension {
                            name: Some("LoadBalancer".into()),
                            value: Some(load_balancer.clone()),
                        },
                        scaling_policy::TargetTrackingMetricDimension {
                            name: Some("TargetGroup".into()),
                            value: Some(tg.clone()),
                        },
                    ])),
                }),
                stat: Some(stat.into()),
                ..Default::default()
            }),
            ..Default::default()
        };
    let mut queries = Vec::new();
    for (i, tg) in groups.iter().enumerate() {
        queries.push(stat(format!("requests{i}"), "RequestCount", "Sum", tg));
        queries.push(stat(format!("healthy{i}"), "HealthyHostCount", "Average", tg));
    }
    // A group with no targets reports nothing: FILL counts it as zero.
    let sum = |what: &str| (0..groups.len()).map(|i| format!("FILL({what}{i}, 0)")).collect::<Vec<_>>().join(" + ");
    queries.push(scaling_policy::TargetTrackingMetricDataQuery {
        id: Some("perTarget".into()),
        label: Some("ALB requests per healthy target, every target group of the service".into()),
        expression: Some(format!("({}) / ({})", sum("requests"), sum("healthy")).into()),
        return_data: Some(true.into()),
        ..Default::default()
    });
    scaling_policy::CustomizedMetricSpecification { metrics: Some(List::items(queries)), ..Default::default() }
}
