//! Routing and rollout: target groups and the listener rule, Cloud Map, deployment alarms, the
//! ECS service, autoscaling.

use haplat_core::resources::{cloudwatch, ec2, ecs, elasticloadbalancingv2 as elb, servicediscovery as sd};
use haplat_core::value::{List, Value};
use haplat_core::{Handle, Scope};

use super::access::own_stack;
use super::{ServiceEnv, ServiceProps};
use crate::alarm::metric_alarm;
use crate::fargate::{BlueGreen, FargateService, FargateServiceProps, TaskDefinition};
use crate::load_balancer::{Alb, READ_ONLY_METHODS, RouteProps, TargetGroup, TargetGroupProps, TargetProtocol};
use crate::metrics::MetricRef;
use crate::scaling::{RequestTargets, ScalingTarget, autoscale};

/// The target groups and the listener rule that forwards to them.
pub(super) struct Routing {
    pub(super) target_group: Handle<elb::TargetGroup>,
    pub(super) alternate_target_group: Option<Handle<elb::TargetGroup>>,
    pub(super) rule: Handle<elb::ListenerRule>,
}

/// The production target group (and the alternate one of blue/green), routed by a listener rule
/// on the service's ALB: beside the service when it has a stack of its own.
pub(super) fn route(scope: &Scope, props: &ServiceProps, env: &ServiceEnv<'_>, alb: &Alb) -> Routing {
    let tg_props = TargetGroupProps {
        vpc_id: env.network.vpc.ref_(),
        port: props.port,
        health_check_path: props.health_check_path.clone(),
        protocol: props.target_protocol,
    };
    let tg = TargetGroup::new(scope, "TargetGroup", &tg_props).resource;
    let alt =
        props.deployment.is_blue_green().then(|| TargetGroup::new(scope, "AlternateTargetGroup", &tg_props).resource);
    let mut weighted = vec![(tg.ref_(), 100)];
    if let Some(a) = alt {
        weighted.push((a.ref_(), 0));
    }
    let route = RouteProps {
        listener_port: props.listener_port,
        path_patterns: props.path_patterns.clone(),
        target_groups: weighted,
        methods: props.read_only.then(|| READ_ONLY_METHODS.iter().map(|m| (*m).to_owned()).collect()),
    };
    let rule = if own_stack(scope, env) {
        alb.add_route_at(scope, &format!("AlbRule{}", props.listener_port), &props.name, route)
    } else {
        alb.add_route(&props.name, route)
    };
    Routing { target_group: tg, alternate_target_group: alt, rule }
}

/// The Cloud Map service: `<name>.<namespace>` resolves to the tasks.
pub(super) fn discovery(scope: &Scope, props: &ServiceProps, env: &ServiceEnv<'_>) -> Handle<sd::Service> {
    scope.add(
        "Discovery",
        sd::Service {
            name: Some(props.name.to_lowercase().into()),
            description: Some(format!("{} tasks", props.name).into()),
            dns_config: Some(sd::service::DnsConfig {
                namespace_id: Some(env.namespace_id.clone()),
                routing_policy: Some(sd::service::RoutingPolicy::Multivalue.into()),
                dns_records: List::items(vec![sd::service::DnsRecord {
                    ttl: 10.into(),
                    type_: sd::service::DnsRecordType::A.into(),
                }]),
            }),
            health_check_custom_config: Some(sd::service::HealthCheckCustomConfig {
                failure_threshold: Some(1.into()),
            }),
            ..Default::default()
        },
    )
}

/// What [`deploy`] made.
pub(super) struct Deployed {
    pub(super) service: Handle<ecs::Service>,
    pub(super) alarms: Vec<Handle<cloudwatch::Alarm>>,
}

/// The deployment alarms (target 5xx of each target group), the ECS service and its
/// autoscaling. Without `routing` (a Cloud-Map-only service): no deployment alarms (the circuit
/// breaker still rolls a failed deployment back), a rolling deployment, and autoscaling on CPU
/// and memory only.
pub(super) fn deploy(
    scope: &Scope,
    props: &ServiceProps,
    env: &ServiceEnv<'_>,
    task: &TaskDefinition,
    routing: Option<&Routing>,
    security_group: Handle<ec2::SecurityGroup>,
    discovery: Handle<sd::Service>,
) -> Deployed {
    let alb_full_name = env.alb.map(Alb::full_name);
    let alarm = |id: &str, alb_full_name: &Value<String>, tg: Handle<elb::TargetGroup>| {
        let a = scope.add(
            id,
            cloudwatch::Alarm {
                alarm_description: Some(format!("{}: target 5xx during a deployment rolls it back", props.name).into()),
                evaluation_periods: Some(2.into()),
                datapoints_to_alarm: Some(2.into()),
                threshold: Some(5.into()),
                comparison_operator: Some(cloudwatch::alarm::ComparisonOperator::GreaterThanOrEqualToThreshold.into()),
                treat_missing_data: Some(cloudwatch::alarm::TreatMissingData::NotBreaching.into()),
                ..metric_alarm(
                    &MetricRef::new(
                        "AWS/ApplicationELB",
                        "HTTPCode_Target_5XX_Count",
                        [("LoadBalancer", alb_full_name.clone()), ("TargetGroup", tg.attr_target_group_full_name())],
                    ),
                    cloudwatch::alarm::Statistic::Sum,
                    60,
                )
            },
        );
        scope.options(a).suppress(
            "CT.CLOUDWATCH.PR.1",
            "ECS reads this alarm's state during a deployment and rolls the deployment back, which is its action; \
             the monitoring's error-rate alarm on the same target groups pages",
        );
        a
    };
    let mut alarms = Vec::new();
    if let (Some(routing), Some(lb)) = (routing, &alb_full_name) {
        alarms.push(alarm("Target5xxAlarm", lb, routing.target_group));
        if let Some(a) = routing.alternate_target_group {
            alarms.push(alarm("AlternateTarget5xxAlarm", lb, a));
        }
    }

    let service = FargateService::new(
        scope,
        "Service",
        FargateServiceProps {
            name: props.name.clone(),
            cluster: env.cluster,
            task_definition: task.resource,
            container: (task.container_name.clone(), props.port),
            // Autoscaling owns the count: the scalable target raises a new service to its minimum.
            desired_count: None,
            subnets: env.network.private_subnet_ids(),
            security_group: security_group.attr_group_id(),
            target_group: routing.map(|r| r.target_group),
            discovery_arn: Some(discovery.attr_arn()),
            deployment: props.deployment.clone(),
            deployment_alarms: alarms.clone(),
            blue_green: routing.zip(env.alb).and_then(|(routing, alb)| {
                routing.alternate_target_group.map(|alternate_target_group| BlueGreen {
                    alternate_target_group,
                    listener: alb.listener(props.listener_port),
                    rule: routing.rule,
                })
            }),
            service_connect: env.connect_namespace.clone().map(|ns| service_connect(props, ns, task)),
        },
    )
    .resource;
    // The target groups must belong to a load balancer before the service uses them (blue/green
    // services reference the rule already).
    if let Some(routing) = routing.filter(|r| r.alternate_target_group.is_none()) {
        scope.options(service).depends_on(routing.rule);
    }

    // Request-count scaling needs the ALB's request counts: a Cloud-Map-only service scales on
    // CPU and memory only.
    let requests = routing.zip(alb_full_name).map(|(routing, load_balancer)| RequestTargets {
        load_balancer,
        target_groups: std::iter::once(routing.target_group)
            .chain(routing.alternate_target_group)
            .map(|tg| tg.attr_target_group_full_name())
            .collect(),
    });
    autoscale(
        scope,
        "Scaling",
        &ScalingTarget {
            cluster_name: env.cluster.ref_(),
            service_name: service.attr_name(),
            min: env.min.clone(),
            max: i64::from(props.max_count).into(),
            requests,
        },
        &props.scaling,
    );
    Deployed { service, alarms }
}

/// The name of the container port Service Connect publishes.
pub(super) const CONNECT_PORT_NAME: &str = "http";

/// `http://<name>:<port>` (`https://` for a service that serves TLS): what callers in the API
/// call.
pub(super) fn connect_endpoint(props: &ServiceProps) -> String {
    let scheme = match props.target_protocol {
        TargetProtocol::Http => "http",
        TargetProtocol::Https => "https",
    };
    format!("{scheme}://{}:{}", props.name.to_lowercase(), props.port)
}

/// The service in the API's Service Connect namespace: a client of every published service, and
/// its own port published as `<name>` (alias `<name>:<port>`), with its timeouts; the proxy's
/// logs go to the service's log group. Who may connect stays with the security groups: the
/// proxy in the called task listens on the container port
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-connect-concepts.html>).
fn service_connect(
    props: &ServiceProps,
    namespace: haplat_core::value::Value<String>,
    task: &TaskDefinition,
) -> ecs::service::ServiceConnectConfiguration {
    let name = props.name.to_lowercase();
    let mut options = std::collections::BTreeMap::new();
    options.insert("awslogs-group".to_owned(), task.log_group.ref_());
    options.insert("awslogs-region".to_owned(), haplat_core::Pseudo::Region.value());
    options.insert("awslogs-stream-prefix".to_owned(), "service-connect".into());
    ecs::service::ServiceConnectConfiguration {
        enabled: true.into(),
        namespace: Some(namespace),
        services: Some(List::items(vec![ecs::service::ServiceConnectService {
            port_name: CONNECT_PORT_NAME.into(),
            discovery_name: Some(name.clone().into()),
            client_aliases: Some(List::items(vec![ecs::service::ServiceConnectClientAlias {
                dns_name: Some(name.into()),
                port: i64::from(props.port).into(),
                ..Default::default()
            }])),
            timeout: props.connect_timeouts.map(|t| ecs::service::TimeoutConfiguration {
                // ECS refuses a per-request timeout on a TCP port (one that serves TLS itself):
                // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TimeoutConfiguration.html
                per_request_timeout_seconds: (props.target_protocol == TargetProtocol::Http)
                    .then(|| i64::from(t.per_request_seconds).into()),
                idle_timeout_seconds: Some(i64::from(t.idle_seconds).into()),
            }),
            ..Default::default()
        }])),
        log_configuration: Some(ecs::service::LogConfiguration {
            log_driver: Some("awslogs".into()),
            options: Some(options),
            ..Default::default()
        }),
        ..Default::default()
    }
}
