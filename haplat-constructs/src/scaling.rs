//! Autoscaling of an ECS service: target tracking on CPU, memory and ALB requests per target,
//! and step scaling on a custom metric where given.
//!
//! ```
//! use haplat_core::App;
//! use haplat_constructs::scaling::{Scaling, autoscale, ScalingTarget};
//!
//! let app = App::new("demo");
//! let stack = app.stack("Svc", "us-east-1");
//! let target = ScalingTarget {
//!     cluster_name: "prod".into(),
//!     service_name: "orders".into(),
//!     min: 2.into(),
//!     max: 10.into(),
//!     request_label: Some("app/alb/123/targetgroup/tg/456".into()),
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
    /// `ALBRequestCountPerTarget`'s resource label, `<LoadBalancerFullName>/<TargetGroupFullName>`.
    pub request_label: Option<Value<String>>,
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
    let tracking =
        |name: &str, metric: scaling_policy::PredefinedMetricType, value: f64, label: Option<Value<String>>| {
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
                            predefined_metric_specification: Some(scaling_policy::PredefinedMetricSpecification {
                                predefined_metric_type: metric.into(),
                                resource_label: label,
                            }),
                            ..Default::default()
                        },
                    ),
                    ..Default::default()
                },
            );
        };
    tracking("Cpu", scaling_policy::PredefinedMetricType::EcsServiceAverageCpuUtilization, scaling.cpu_target, None);
    tracking(
        "Memory",
        scaling_policy::PredefinedMetricType::EcsServiceAverageMemoryUtilization,
        scaling.memory_target,
        None,
    );
    if let (Some(rpt), Some(label)) = (scaling.requests_per_target, &target.request_label) {
        tracking("Requests", scaling_policy::PredefinedMetricType::AlbRequestCountPerTarget, rpt, Some(label.clone()));
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
