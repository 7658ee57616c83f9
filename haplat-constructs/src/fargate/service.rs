//! [`FargateService`]: an ECS service on Fargate with its deployment safety.

use haplat_core::resources::{cloudwatch, ecs, elasticloadbalancingv2 as elb, iam};
use haplat_core::value::{Expr, List, Value};
use haplat_core::{Handle, Scope};

use crate::security::{Permission, policy_document, trust_policy, unscoped_statement};

/// How new versions of a service are rolled out.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Deployment {
    /// Replace tasks in place (circuit breaker with rollback on).
    Rolling,
    /// Blue/green: shift `percent` of traffic to the new version, wait `bake_minutes`, then the
    /// rest; roll back automatically when a deployment alarm fires.
    Canary {
        /// Traffic share of the canary step, 0.1 to 100.
        percent: f64,
        /// Minutes the canary runs before the rest shifts.
        bake_minutes: i64,
    },
    /// Blue/green: shift `step_percent` of traffic every `step_minutes`.
    Linear {
        /// Traffic share per step, 3 to 100.
        step_percent: f64,
        /// Minutes between steps.
        step_minutes: i64,
    },
}

impl Default for Deployment {
    /// A 10 % canary for 5 minutes.
    fn default() -> Self {
        Deployment::Canary { percent: 10.0, bake_minutes: 5 }
    }
}

impl Deployment {
    /// Why the deployment's numbers are out of ECS's ranges; `None` when they are in.
    pub fn problem(&self) -> Option<String> {
        match *self {
            Deployment::Canary { percent, bake_minutes } => (!(0.1..=100.0).contains(&percent)
                || !(0..=1440).contains(&bake_minutes))
            .then(|| format!("canary of {percent} % for {bake_minutes} min; use 0.1 to 100 % and 0 to 1440 min")),
            Deployment::Linear { step_percent, step_minutes } => (!(3.0..=100.0).contains(&step_percent)
                || !(0..=1440).contains(&step_minutes))
            .then(|| {
                format!("linear steps of {step_percent} % every {step_minutes} min; use 3 to 100 % and 0 to 1440 min")
            }),
            Deployment::Rolling => None,
        }
    }

    /// Whether new versions go blue/green (canary or linear), over two target groups.
    pub fn is_blue_green(&self) -> bool {
        *self != Deployment::Rolling
    }
}

/// The blue/green parts of a [`FargateService`]: what ECS shifts traffic on.
#[derive(Clone, Debug)]
pub struct BlueGreen {
    /// The target group new versions start in (weight 0).
    pub alternate_target_group: Handle<elb::TargetGroup>,
    /// The production listener.
    pub listener: Handle<elb::Listener>,
    /// The production listener rule, whose weights ECS shifts.
    pub rule: Handle<elb::ListenerRule>,
}

/// What a [`FargateService`] runs and where.
#[derive(Clone, Debug)]
pub struct FargateServiceProps {
    /// The application's name (the blue/green role's description).
    pub name: String,
    /// The cluster.
    pub cluster: Handle<ecs::Cluster>,
    /// The task definition.
    pub task_definition: Handle<ecs::TaskDefinition>,
    /// The container the load balancer sends traffic to, and its port (unused without a
    /// `target_group`).
    pub container: (String, u16),
    /// Desired tasks; `None` when a scalable target manages the count (the service starts with
    /// one task and the scalable target raises it to its minimum). Give `None` with autoscaling:
    /// a count in the template is sent again by every update of the service and resets the
    /// scaled count (docs/aws-review.md, finding 2; rule HAP020).
    pub desired_count: Option<Value<i64>>,
    /// The private subnets of the tasks (no public IP).
    pub subnets: List<Value<String>>,
    /// The tasks' security group.
    pub security_group: Value<String>,
    /// The production target group. `None`: a service behind no load balancer (a queue worker),
    /// which then has no health-check grace period either (ECS accepts one only with a load
    /// balancer) and must deploy [`Deployment::Rolling`].
    pub target_group: Option<Handle<elb::TargetGroup>>,
    /// The Cloud Map service the tasks register in (its ARN). Default: none.
    pub discovery_arn: Option<Value<String>>,
    /// How new versions roll out. Default: [`Deployment::default`], a 10 % canary for 5
    /// minutes.
    pub deployment: Deployment,
    /// Alarms that roll a deployment back. Default: none.
    pub deployment_alarms: Vec<Handle<cloudwatch::Alarm>>,
    /// The blue/green parts; required when `deployment` is blue/green. Default: none.
    pub blue_green: Option<BlueGreen>,
    /// The service's ECS Service Connect configuration. Default: `None`, not in a Service
    /// Connect namespace.
    pub service_connect: Option<ecs::service::ServiceConnectConfiguration>,
}

/// An ECS service on Fargate (see the [module](super) docs): the circuit breaker with rollback
/// always on, deployment alarms that roll back, ECS native blue/green (see docs/decisions.md,
/// "Blue/green deployments: ECS native, not CodeDeploy") with a role that may change exactly
/// its listener and rule and register targets in exactly its target groups.
#[derive(Clone, Debug)]
pub struct FargateService {
    /// The ECS service.
    pub resource: Handle<ecs::Service>,
    /// The role ECS shifts blue/green traffic with.
    pub load_balancer_role: Option<Handle<iam::Role>>,
}

fn statement(actions: &[&str], resources: Vec<Value<String>>) -> Expr {
    Permission::new(actions.iter().copied(), resources).statement()
}

impl FargateService {
    /// Adds, in `scope`: the blue/green role `LoadBalancerRole` (when blue/green) and the ECS
    /// service as `id`.
    pub fn new(scope: &Scope, id: &str, props: FargateServiceProps) -> FargateService {
        let tg = props.target_group;
        let mut deployment = ecs::service::DeploymentConfiguration {
            deployment_circuit_breaker: Some(ecs::service::DeploymentCircuitBreaker {
                enable: true.into(),
                rollback: true.into(),
                ..Default::default()
            }),
            alarms: (!props.deployment_alarms.is_empty()).then(|| ecs::service::DeploymentAlarms {
                alarm_names: List::items(props.deployment_alarms.iter().map(|a| a.ref_()).collect()),
                enable: true.into(),
                rollback: true.into(),
            }),
            maximum_percent: Some(200.into()),
            minimum_healthy_percent: Some(100.into()),
            ..Default::default()
        };
        match props.deployment {
            Deployment::Rolling => deployment.strategy = Some(ecs::service::Strategy::Rolling.into()),
            Deployment::Canary { percent, bake_minutes } => {
                deployment.strategy = Some(ecs::service::Strategy::Canary.into());
                deployment.bake_time_in_minutes = Some(bake_minutes.into());
                deployment.canary_configuration = Some(ecs::service::CanaryConfiguration {
                    canary_percent: Some(percent.into()),
                    canary_bake_time_in_minutes: Some(bake_minutes.into()),
                });
            }
            Deployment::Linear { step_percent, step_minutes } => {
                deployment.strategy = Some(ecs::service::Strategy::Linear.into());
                deployment.bake_time_in_minutes = Some(step_minutes.into());
                deployment.linear_configuration = Some(ecs::service::LinearConfiguration {
                    step_percent: Some(step_percent.into()),
                    step_bake_time_in_minutes: Some(step_minutes.into()),
                });
            }
        }

        // Blue/green: ECS shifts the rule's weights with a role that may change exactly this
        // listener rule and register targets in exactly these target groups.
        let mut load_balancer_role = None;
        let advanced = props.blue_green.as_ref().map(|bg| {
            let alt = bg.alternate_target_group;
            let role = scope.add(
                "LoadBalancerRole",
                iam::Role {
                    assume_role_policy_document: trust_policy("ecs.amazonaws.com"),
                    description: Some(format!("ECS shifts traffic between the target groups of {}", props.name).into()),
                    policies: Some(List::items(vec![iam::role::Policy {
                        policy_name: "blue-green".into(),
                        policy_document: policy_document(vec![
                            unscoped_statement(&[
                                "elasticloadbalancing:DescribeListeners",
                                "elasticloadbalancing:DescribeRules",
                                "elasticloadbalancing:DescribeTargetGroups",
                                "elasticloadbalancing:DescribeTargetHealth",
                            ]),
                            statement(&["elasticloadbalancing:ModifyListener"], vec![bg.listener.ref_()]),
                            statement(&["elasticloadbalancing:ModifyRule"], vec![bg.rule.ref_()]),
                            statement(
                                &["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"],
                                tg.iter().map(|t| t.ref_()).chain([alt.ref_()]).collect(),
                            ),
                        ]),
                    }])),
                    ..Default::default()
                },
            );
            load_balancer_role = Some(role);
            ecs::service::AdvancedConfiguration {
                alternate_target_group_arn: alt.ref_(),
                production_listener_rule: Some(bg.rule.ref_()),
                role_arn: Some(role.attr_arn()),
                ..Default::default()
            }
        });

        let (container, port) = props.container;
        let resource = scope.add(
            id,
            ecs::Service {
                cluster: Some(props.cluster.ref_()),
                task_definition: Some(props.task_definition.ref_()),
                launch_type: Some(ecs::service::LaunchType::Fargate.into()),
                platform_version: Some("LATEST".into()),
                desired_count: props.desired_count,
                deployment_controller: Some(ecs::service::DeploymentController {
                    type_: Some(ecs::service::Type::Ecs.into()),
                }),
                deployment_configuration: Some(deployment),
                health_check_grace_period_seconds: tg.map(|_| 60.into()),
                enable_ecs_managed_tags: Some(true.into()),
                propagate_tags: Some(ecs::service::PropagateTags::Service.into()),
                network_configuration: Some(ecs::service::NetworkConfiguration {
                    awsvpc_configuration: Some(ecs::service::AwsVpcConfiguration {
                        assign_public_ip: Some(ecs::service::AssignPublicIp::Disabled.into()),
                        subnets: Some(props.subnets),
                        security_groups: Some(List::items(vec![props.security_group])),
                    }),
                }),
                load_balancers: tg.map(|tg| {
                    List::items(vec![ecs::service::LoadBalancer {
                        container_name: Some(container.into()),
                        container_port: Some(i64::from(port).into()),
                        target_group_arn: Some(tg.ref_()),
                        advanced_configuration: advanced,
                        ..Default::default()
                    }])
                }),
                service_connect_configuration: props.service_connect,
                service_registries: props.discovery_arn.map(|arn| {
                    List::items(vec![ecs::service::ServiceRegistry { registry_arn: Some(arn), ..Default::default() }])
                }),
                ..Default::default()
            },
        );
        FargateService { resource, load_balancer_role }
    }
}
