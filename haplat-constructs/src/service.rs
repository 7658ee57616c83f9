//! A containerized service on ECS Fargate: task definition, least-privilege roles, log group,
//! security group, target groups, listener rule, Cloud Map registration, deployment safety and
//! autoscaling.
//!
//! # Deployments: ECS native blue/green, not CodeDeploy
//!
//! Canary and linear deployments use the ECS deployment controller's own blue/green strategies
//! (`DeploymentConfiguration.Strategy` `CANARY`/`LINEAR` with `BakeTimeInMinutes`, the
//! `AdvancedConfiguration` of the load balancer naming the alternate target group and the
//! production listener rule). CloudFormation then deploys a new task definition as a plain
//! update of the service, in every region of the stack set; with CodeDeploy it could not (the
//! `AWS::CodeDeployBlueGreen` hook is not supported in stack sets, and without it a
//! CloudFormation update of a `CODE_DEPLOY` service cannot change its task definition). Automatic
//! rollback comes from the deployment alarms (5xx of the service's target groups) with
//! `Rollback: true`, and the circuit breaker with rollback stays on for tasks that never become
//! healthy. See `docs/decisions.md`.
//!
//! ```
//! use haplat_constructs::service::{FARGATE_SIZES, ServiceProps, fargate_size_problem};
//!
//! let orders = ServiceProps::new("Orders", "public.ecr.aws/nginx/nginx:1.27", 8080);
//! assert_eq!((orders.cpu, orders.memory), (256, 512));
//! assert!(fargate_size_problem(1024, 2048).is_none());
//! let why = fargate_size_problem(256, 4096).unwrap();
//! assert!(why.contains("256 CPU units take 512, 1024 or 2048 MiB"), "{why}");
//! assert_eq!(FARGATE_SIZES.len(), 7);
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use haplat_core::resources::{cloudwatch, ec2, ecs, elasticloadbalancingv2 as elb, iam, logs, servicediscovery as sd};
use haplat_core::value::{Expr, List, Value};
use haplat_core::{Handle, Scope, Stack};

use crate::alarm::metric_alarm;
use crate::kms::KmsKey;
use crate::load_balancer::{Alb, RouteProps};
use crate::logs::LogGroupProps;
use crate::metrics::{MetricRef, ServiceMetrics};
use crate::network::Network;
use crate::scaling::{Scaling, ScalingTarget, autoscale};
use crate::security::{Grantee, Permission, SecretRef, policy_document, trust_policy, unscoped_statement};

/// The Fargate task sizes: CPU units and the memory (MiB) each allows, as
/// `(cpu, first, last, step)`.
pub const FARGATE_SIZES: &[(u32, u32, u32, u32)] = &[
    (256, 512, 2048, 0),
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

fn memories(cpu: u32) -> Option<Vec<u32>> {
    let &(_, first, last, step) = FARGATE_SIZES.iter().find(|s| s.0 == cpu)?;
    Some(if step == 0 { vec![512, 1024, 2048] } else { (first..=last).step_by(step as usize).collect() })
}

/// Why `cpu`/`memory` is not a Fargate size, listing the allowed ones; `None` when it is.
pub fn fargate_size_problem(cpu: u32, memory: u32) -> Option<String> {
    let allowed = || {
        FARGATE_SIZES
            .iter()
            .map(|(c, first, last, step)| {
                if *step == 0 {
                    format!("{c} CPU units take 512, 1024 or 2048 MiB")
                } else {
                    format!("{c} take {first} to {last} MiB in steps of {step}")
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    match memories(cpu) {
        None => Some(format!("{cpu} CPU units is not a Fargate size; allowed: {}", allowed())),
        Some(m) if !m.contains(&memory) => {
            Some(format!("{cpu} CPU units with {memory} MiB is not a Fargate size; allowed: {}", allowed()))
        }
        Some(_) => None,
    }
}

/// How new versions of a service are rolled out.
#[derive(Clone, Debug, PartialEq)]
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

/// One service of a [`crate::api::MultiRegionApi`].
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceProps {
    /// The construct id (`Orders`); also the Cloud Map name (lowercased).
    pub name: String,
    /// The container image (`123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:1.4.2`). An
    /// ECR image gets pull permission on exactly its repository.
    pub image: String,
    /// The port the container listens on.
    pub port: u16,
    /// Fargate CPU units.
    pub cpu: u32,
    /// Fargate memory, MiB (only combinations in [`FARGATE_SIZES`]).
    pub memory: u32,
    /// Tasks in a serving region.
    pub desired_count: u32,
    /// Fewest tasks autoscaling keeps in a serving region.
    pub min_count: u32,
    /// Most tasks autoscaling starts.
    pub max_count: u32,
    /// Tasks (desired and minimum) of a standby region in active-passive mode.
    pub standby_count: u32,
    /// Environment variables.
    pub environment: BTreeMap<String, String>,
    /// Secret environment variables from Secrets Manager (variable → secret), passed to ECS by
    /// their partial ARN; the execution role may read exactly these secrets (and decrypt with
    /// the customer-managed key of those that have one, [`SecretRef::with_key`]).
    pub secrets: BTreeMap<String, SecretRef>,
    /// The path target group health checks request.
    pub health_check_path: String,
    /// The ALB paths routed to the service; none means the catch-all `/*`.
    pub path_patterns: Vec<String>,
    /// The HTTPS listener port on its ALB.
    pub listener_port: u16,
    /// Serve on the internal ALB (reachable from the VPC only) instead of the public one.
    pub internal: bool,
    /// Run the X-Ray daemon as a sidecar and let the task send traces, named after the service
    /// (`AWS_XRAY_TRACING_NAME`, unless `environment` sets it), so that the sampling rule and
    /// group of [`TracingProps`](crate::monitoring::TracingProps) match them.
    pub xray: bool,
    /// Days the service's logs are kept.
    pub log_retention_days: i64,
    /// How new versions roll out.
    pub deployment: Deployment,
    /// Autoscaling.
    pub scaling: Scaling,
    /// The services of the same API that call this one (their names): each may open
    /// connections to this service's tasks on its container port (through Cloud Map,
    /// `<name>.<namespace>`) and, when this service is `internal`, to the internal ALB on its
    /// listener port. Nobody else may; see [`Service::allow_from`].
    pub callers: Vec<String>,
}

impl ServiceProps {
    /// A service with defaults: 0.25 vCPU / 512 MiB, 2 tasks (2 to 10), 1 on standby,
    /// health checks on `/health`, catch-all route on 443, logs kept 90 days, a 10 % canary.
    pub fn new(name: &str, image: &str, port: u16) -> Self {
        ServiceProps {
            name: name.to_owned(),
            image: image.to_owned(),
            port,
            cpu: 256,
            memory: 512,
            desired_count: 2,
            min_count: 2,
            max_count: 10,
            standby_count: 1,
            environment: BTreeMap::new(),
            secrets: BTreeMap::new(),
            health_check_path: "/health".to_owned(),
            path_patterns: Vec::new(),
            listener_port: 443,
            internal: false,
            xray: false,
            log_retention_days: 90,
            deployment: Deployment::default(),
            scaling: Scaling::default(),
            callers: Vec::new(),
        }
    }
}

/// What a service is placed into (built by [`crate::api::MultiRegionApi`]).
#[derive(Clone, Debug)]
pub struct ServiceEnv<'a> {
    /// The region's network.
    pub network: &'a Network,
    /// The cluster.
    pub cluster: Handle<ecs::Cluster>,
    /// The ALB that routes to the service.
    pub alb: &'a Alb,
    /// The Cloud Map namespace id.
    pub namespace_id: Value<String>,
    /// The key of the log groups.
    pub key: &'a KmsKey,
    /// Desired tasks (per region: serving or standby).
    pub desired: Value<i64>,
    /// Fewest tasks (per region).
    pub min: Value<i64>,
}

/// A service in one region's stack (the same in every region of the stack set), built by
/// [`crate::api::MultiRegionApi`]; a [`Grantee`] whose task role receives grants.
///
/// ```
/// use haplat_core::App;
/// use haplat_constructs::api::{ApiCertificate, ApiProps, MultiRegionApi};
/// use haplat_constructs::zone::HostedZone;
/// use haplat_constructs::security::{Grantable, SecretRef};
/// use haplat_constructs::service::ServiceProps;
/// use haplat_constructs::RegionSpec;
///
/// let app = App::new("shop");
/// let api = MultiRegionApi::new(&app, "Api", ApiProps {
///     services: vec![ServiceProps::new("Orders", "public.ecr.aws/nginx/nginx:1.27", 8080)],
///     ..ApiProps::new(vec![RegionSpec::primary("us-east-1")], "api.example.com",
///         ApiCertificate::DnsValidated { zone: HostedZone::existing("Z0123456789ABCDEFGHIJ", "example.com") })
/// });
/// let orders = api.service("Orders").unwrap();
/// SecretRef::new("shop/stripe-key").grant_read(orders);
/// let t = app.synth().unwrap().template("shop-Api").unwrap();
/// let role = t["Resources"].as_object().unwrap().iter()
///     .find(|(id, _)| id.starts_with("OrdersTaskRole")).unwrap().1;
/// let statement = &role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0];
/// assert_eq!(statement["Action"][1], "secretsmanager:GetSecretValue");
/// ```
#[derive(Clone)]
pub struct Service {
    scope: Scope,
    /// Its construct id.
    pub name: String,
    /// The ECS service.
    pub service: Handle<ecs::Service>,
    /// The task definition.
    pub task_definition: Handle<ecs::TaskDefinition>,
    /// The role the application runs as: what [`Grantee::grant`] adds to.
    pub task_role: Handle<iam::Role>,
    /// The role ECS uses to pull the image, write logs and read the secrets.
    pub execution_role: Handle<iam::Role>,
    /// The tasks' security group.
    pub security_group: Handle<ec2::SecurityGroup>,
    /// The production target group.
    pub target_group: Handle<elb::TargetGroup>,
    /// The alternate target group of blue/green deployments.
    pub alternate_target_group: Option<Handle<elb::TargetGroup>>,
    /// The service's log group.
    pub log_group: Handle<logs::LogGroup>,
    /// Its Cloud Map service (`<name>.<namespace>`).
    pub discovery: Handle<sd::Service>,
    /// The deployment alarms (5xx of each target group).
    pub deployment_alarms: Vec<Handle<cloudwatch::Alarm>>,
    /// The cluster.
    pub cluster: Handle<ecs::Cluster>,
    /// The ALB's `LoadBalancerFullName`.
    pub load_balancer_full_name: Value<String>,
    /// Whether its tasks send X-Ray traces (under the service's name).
    pub xray: bool,
    shared_stack: Stack,
    statements: Rc<RefCell<Vec<Expr>>>,
    port: u16,
    listener_port: u16,
    internal: bool,
    alb_security_group: Value<String>,
    /// The rules already written for callers (`caller path -> callee path`, and
    /// `caller path -> internal ALB port`), so that a pair is opened once.
    calls: Rc<RefCell<std::collections::BTreeSet<String>>>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").field("path", &self.scope.path()).finish()
    }
}

/// The ECR repository ARN of an image URI in ECR (`<account>.dkr.ecr.<region>.amazonaws.com/<repo>[:tag|@digest]`).
fn ecr_repository_arn(image: &str) -> Option<Value<String>> {
    let (host, rest) = image.split_once('/')?;
    let mut parts = host.split('.');
    let account = parts.next()?;
    if parts.next()? != "dkr" || parts.next()? != "ecr" {
        return None;
    }
    let region = parts.next()?;
    let repo = rest.split('@').next()?;
    let repo = match repo.rsplit_once(':') {
        Some((r, _tag)) => r,
        None => repo,
    };
    Some(Value::sub(format!("arn:${{AWS::Partition}}:ecr:{region}:{account}:repository/{repo}")))
}

fn statement(actions: &[&str], resources: Vec<Value<String>>) -> Expr {
    Permission::new(actions.iter().copied(), resources).statement()
}

impl Service {
    /// The service in `parent` (as `parent/<props.name>`).
    pub fn new(parent: &Scope, props: &ServiceProps, env: &ServiceEnv<'_>) -> Service {
        let scope = parent.child(&props.name);
        if let Some(why) = fargate_size_problem(props.cpu, props.memory) {
            scope.error(why);
        }
        if props.port == 0 {
            scope.error("the container port cannot be 0");
        }
        if props.min_count > props.desired_count || props.desired_count > props.max_count {
            scope.error(format!(
                "counts must satisfy min <= desired <= max; got min {}, desired {}, max {}",
                props.min_count, props.desired_count, props.max_count
            ));
        }
        if props.standby_count > props.max_count {
            scope.error(format!("standby count {} is over the max count {}", props.standby_count, props.max_count));
        }
        if !props.health_check_path.starts_with('/') {
            scope.error(format!("health check path {:?} must start with /", props.health_check_path));
        }
        for (var, secret) in &props.secrets {
            if let Some(why) = secret.name_problem().or_else(|| secret.partial_arn_problem()) {
                scope.error(format!("secret of {var}: {why}"));
            }
            if props.environment.contains_key(var) {
                scope.error(format!("{var} is both an environment variable and a secret"));
            }
        }
        match props.deployment {
            Deployment::Canary { percent, bake_minutes } => {
                if !(0.1..=100.0).contains(&percent) || !(0..=1440).contains(&bake_minutes) {
                    scope.error(format!(
                        "canary of {percent} % for {bake_minutes} min; use 0.1 to 100 % and 0 to 1440 min"
                    ));
                }
            }
            Deployment::Linear { step_percent, step_minutes } => {
                if !(3.0..=100.0).contains(&step_percent) || !(0..=1440).contains(&step_minutes) {
                    scope.error(format!(
                        "linear steps of {step_percent} % every {step_minutes} min; use 3 to 100 % and 0 to 1440 min"
                    ));
                }
            }
            Deployment::Rolling => {}
        }
        let blue_green = props.deployment != Deployment::Rolling;
        let container = "app".to_owned();
        let vpc_id = env.network.vpc.ref_();

        let log_group = crate::logs::LogGroup::new(
            &scope,
            "LogGroup",
            LogGroupProps { name: None, retention_days: props.log_retention_days, key: env.key },
        )
        .handle;

        // Execution role: pull exactly this image's repository, write to exactly this log group,
        // read exactly these secrets.
        let mut exec_statements =
            vec![statement(&["logs:CreateLogStream", "logs:PutLogEvents"], vec![log_group.attr_arn()])];
        if let Some(repo) = ecr_repository_arn(&props.image) {
            exec_statements.push(unscoped_statement(&["ecr:GetAuthorizationToken"]));
            exec_statements.push(statement(
                &["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                vec![repo],
            ));
        }
        if !props.secrets.is_empty() {
            let mut arns: Vec<Value<String>> = Vec::new();
            for s in props.secrets.values() {
                let a = s.arn();
                if !arns.contains(&a) {
                    arns.push(a);
                }
            }
            exec_statements.push(statement(&["secretsmanager:GetSecretValue"], arns));
            // A secret under a customer-managed key is only readable with kms:Decrypt on it.
            let mut keys: Vec<Value<String>> = Vec::new();
            for k in props.secrets.values().filter_map(|s| s.kms_key.clone()) {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
            if !keys.is_empty() {
                exec_statements.push(statement(&["kms:Decrypt"], keys));
            }
        }
        let execution_role = scope.add(
            "ExecutionRole",
            iam::Role {
                assume_role_policy_document: trust_policy("ecs-tasks.amazonaws.com"),
                description: Some(format!("ECS pulls, logs and reads secrets for {}", props.name).into()),
                policies: Some(List::items(vec![iam::role::Policy {
                    policy_name: "execution".into(),
                    policy_document: policy_document(exec_statements),
                }])),
                ..Default::default()
            },
        );

        let statements: Rc<RefCell<Vec<Expr>>> = Rc::default();
        let task_role = scope.add(
            "TaskRole",
            iam::Role {
                assume_role_policy_document: trust_policy("ecs-tasks.amazonaws.com"),
                description: Some(format!("The {} application", props.name).into()),
                ..Default::default()
            },
        );

        let log_options = |prefix: &str| {
            let mut o = BTreeMap::new();
            o.insert("awslogs-group".to_owned(), log_group.ref_());
            o.insert("awslogs-region".to_owned(), haplat_core::Pseudo::Region.value());
            o.insert("awslogs-stream-prefix".to_owned(), Value::from(prefix));
            ecs::task_definition::LogConfiguration {
                log_driver: "awslogs".into(),
                options: Some(o),
                ..Default::default()
            }
        };
        let mut environment: Vec<ecs::task_definition::KeyValuePair> = props
            .environment
            .iter()
            .map(|(k, v)| ecs::task_definition::KeyValuePair {
                name: Some(k.clone().into()),
                value: Some(v.clone().into()),
            })
            .collect();
        if props.xray {
            for (k, v) in
                [("AWS_XRAY_DAEMON_ADDRESS", "localhost:2000"), ("AWS_XRAY_TRACING_NAME", props.name.as_str())]
            {
                if !props.environment.contains_key(k) {
                    environment
                        .push(ecs::task_definition::KeyValuePair { name: Some(k.into()), value: Some(v.into()) });
                }
            }
            environment.sort_by_key(|kv| format!("{:?}", kv.name));
        }
        let mut containers = vec![ecs::task_definition::ContainerDefinition {
            name: container.clone().into(),
            image: props.image.clone().into(),
            essential: Some(true.into()),
            port_mappings: Some(List::items(vec![ecs::task_definition::PortMapping {
                container_port: Some(i64::from(props.port).into()),
                protocol: Some(ecs::task_definition::Protocol::Tcp.into()),
                ..Default::default()
            }])),
            environment: (!environment.is_empty()).then(|| List::items(environment)),
            secrets: (!props.secrets.is_empty()).then(|| {
                List::items(
                    props
                        .secrets
                        .iter()
                        .map(|(k, s)| ecs::task_definition::Secret {
                            name: k.clone().into(),
                            // An ARN: ECS reads a bare name as an SSM parameter.
                            value_from: s.partial_arn(),
                        })
                        .collect(),
                )
            }),
            log_configuration: Some(log_options(&props.name.to_lowercase())),
            ..Default::default()
        }];
        if props.xray {
            containers.push(ecs::task_definition::ContainerDefinition {
                name: "xray-daemon".into(),
                image: XRAY_DAEMON_IMAGE.into(),
                essential: Some(false.into()),
                cpu: Some(32.into()),
                memory_reservation: Some(256.into()),
                port_mappings: Some(List::items(vec![ecs::task_definition::PortMapping {
                    container_port: Some(2000.into()),
                    protocol: Some(ecs::task_definition::Protocol::Udp.into()),
                    ..Default::default()
                }])),
                log_configuration: Some(log_options("xray")),
                ..Default::default()
            });
            statements.borrow_mut().push(unscoped_statement(&[
                "xray:GetSamplingRules",
                "xray:GetSamplingStatisticSummaries",
                "xray:GetSamplingTargets",
                "xray:PutTelemetryRecords",
                "xray:PutTraceSegments",
            ]));
        }
        let task_definition = scope.add(
            "TaskDefinition",
            ecs::TaskDefinition {
                cpu: Some(props.cpu.to_string().into()),
                memory: Some(props.memory.to_string().into()),
                network_mode: Some(ecs::task_definition::NetworkMode::Awsvpc.into()),
                requires_compatibilities: Some(List::items(vec![
                    ecs::task_definition::RequiresCompatibilities::Fargate.into(),
                ])),
                runtime_platform: Some(ecs::task_definition::RuntimePlatform {
                    cpu_architecture: Some(ecs::task_definition::CpuArchitecture::X8664.into()),
                    operating_system_family: Some(ecs::task_definition::OperatingSystemFamily::Linux.into()),
                }),
                execution_role_arn: Some(execution_role.attr_arn()),
                task_role_arn: Some(task_role.attr_arn()),
                container_definitions: Some(List::items(containers)),
                ..Default::default()
            },
        );

        // Tasks admit only their ALB, on the container port; they may call out on HTTPS. Other
        // services of the API reach them only when named as callers (`Service::allow_from`).
        let security_group = scope.add(
            "SecurityGroup",
            ec2::SecurityGroup {
                group_description: format!("{} tasks: container port from the ALB only", props.name).into(),
                vpc_id: Some(vpc_id.clone()),
                security_group_egress: Some(List::items(vec![ec2::security_group::Egress {
                    cidr_ip: Some("0.0.0.0/0".into()),
                    description: Some("HTTPS to AWS APIs and dependencies".into()),
                    from_port: Some(443.into()),
                    to_port: Some(443.into()),
                    ip_protocol: "tcp".into(),
                    ..Default::default()
                }])),
                ..Default::default()
            },
        );
        scope.add(
            "IngressFromAlb",
            ec2::SecurityGroupIngress {
                group_id: Some(security_group.attr_group_id()),
                ip_protocol: "tcp".into(),
                from_port: Some(i64::from(props.port).into()),
                to_port: Some(i64::from(props.port).into()),
                source_security_group_id: Some(env.alb.security_group.attr_group_id()),
                description: Some("from the ALB".into()),
                ..Default::default()
            },
        );
        // The ALB's own rules (egress to the tasks, the listener rule) live with the ALB when the
        // service shares its stack; a service in a stack of its own keeps them beside it, so that
        // only the service's stack reads the ALB's, never the other way round (no cycle).
        let own_stack = scope.stack().node() != env.alb.scope().stack().node();
        if own_stack {
            env.alb.allow_to_at(&scope, "AlbEgress", &props.name, security_group.attr_group_id(), props.port);
        } else {
            env.alb.allow_to(&props.name, security_group.attr_group_id(), props.port);
        }

        let target_group = |id: &str| {
            scope.add(
                id,
                elb::TargetGroup {
                    vpc_id: Some(vpc_id.clone()),
                    target_type: Some(elb::target_group::TargetType::Ip.into()),
                    protocol: Some(elb::target_group::Protocol::Http.into()),
                    port: Some(i64::from(props.port).into()),
                    health_check_enabled: Some(true.into()),
                    health_check_path: Some(props.health_check_path.clone().into()),
                    health_check_protocol: Some(elb::target_group::HealthCheckProtocol::Http.into()),
                    health_check_interval_seconds: Some(15.into()),
                    health_check_timeout_seconds: Some(5.into()),
                    healthy_threshold_count: Some(2.into()),
                    unhealthy_threshold_count: Some(3.into()),
                    matcher: Some(elb::target_group::Matcher {
                        http_code: Some("200-399".into()),
                        ..Default::default()
                    }),
                    target_group_attributes: Some(List::items(vec![elb::target_group::TargetGroupAttribute {
                        key: Some("deregistration_delay.timeout_seconds".into()),
                        value: Some("30".into()),
                    }])),
                    ..Default::default()
                },
            )
        };
        let tg = target_group("TargetGroup");
        let alt = blue_green.then(|| target_group("AlternateTargetGroup"));
        let mut weighted = vec![(tg.ref_(), 100)];
        if let Some(a) = alt {
            weighted.push((a.ref_(), 0));
        }
        let route = RouteProps {
            listener_port: props.listener_port,
            path_patterns: props.path_patterns.clone(),
            target_groups: weighted,
        };
        let rule = if own_stack {
            env.alb.add_route_at(&scope, &format!("AlbRule{}", props.listener_port), &props.name, route)
        } else {
            env.alb.add_route(&props.name, route)
        };

        let discovery = scope.add(
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
        );

        let alb_full_name = env.alb.full_name();
        let alarm = |id: &str, tg: Handle<elb::TargetGroup>| {
            scope.add(
                id,
                cloudwatch::Alarm {
                    alarm_description: Some(
                        format!("{}: target 5xx during a deployment rolls it back", props.name).into(),
                    ),
                    evaluation_periods: Some(2.into()),
                    datapoints_to_alarm: Some(2.into()),
                    threshold: Some(5.into()),
                    comparison_operator: Some(
                        cloudwatch::alarm::ComparisonOperator::GreaterThanOrEqualToThreshold.into(),
                    ),
                    treat_missing_data: Some(cloudwatch::alarm::TreatMissingData::NotBreaching.into()),
                    ..metric_alarm(
                        &MetricRef::new(
                            "AWS/ApplicationELB",
                            "HTTPCode_Target_5XX_Count",
                            [
                                ("LoadBalancer", alb_full_name.clone()),
                                ("TargetGroup", tg.attr_target_group_full_name()),
                            ],
                        ),
                        cloudwatch::alarm::Statistic::Sum,
                        60,
                    )
                },
            )
        };
        let mut deployment_alarms = vec![alarm("Target5xxAlarm", tg)];
        if let Some(a) = alt {
            deployment_alarms.push(alarm("AlternateTarget5xxAlarm", a));
        }

        let mut deployment = ecs::service::DeploymentConfiguration {
            deployment_circuit_breaker: Some(ecs::service::DeploymentCircuitBreaker {
                enable: true.into(),
                rollback: true.into(),
                ..Default::default()
            }),
            alarms: Some(ecs::service::DeploymentAlarms {
                alarm_names: List::items(deployment_alarms.iter().map(|a| a.ref_()).collect()),
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
        let advanced = alt.map(|a| {
            let listener = env.alb.listener(props.listener_port);
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
                            statement(&["elasticloadbalancing:ModifyListener"], vec![listener.ref_()]),
                            statement(&["elasticloadbalancing:ModifyRule"], vec![rule.ref_()]),
                            statement(
                                &["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"],
                                vec![tg.ref_(), a.ref_()],
                            ),
                        ]),
                    }])),
                    ..Default::default()
                },
            );
            ecs::service::AdvancedConfiguration {
                alternate_target_group_arn: a.ref_(),
                production_listener_rule: Some(rule.ref_()),
                role_arn: Some(role.attr_arn()),
                ..Default::default()
            }
        });

        let service = scope.add(
            "Service",
            ecs::Service {
                cluster: Some(env.cluster.ref_()),
                task_definition: Some(task_definition.ref_()),
                launch_type: Some(ecs::service::LaunchType::Fargate.into()),
                platform_version: Some("LATEST".into()),
                desired_count: Some(env.desired.clone()),
                deployment_controller: Some(ecs::service::DeploymentController {
                    type_: Some(ecs::service::Type::Ecs.into()),
                }),
                deployment_configuration: Some(deployment),
                health_check_grace_period_seconds: Some(60.into()),
                enable_ecs_managed_tags: Some(true.into()),
                propagate_tags: Some(ecs::service::PropagateTags::Service.into()),
                network_configuration: Some(ecs::service::NetworkConfiguration {
                    awsvpc_configuration: Some(ecs::service::AwsVpcConfiguration {
                        assign_public_ip: Some(ecs::service::AssignPublicIp::Disabled.into()),
                        subnets: Some(env.network.private_subnet_ids()),
                        security_groups: Some(List::items(vec![security_group.attr_group_id()])),
                    }),
                }),
                load_balancers: Some(List::items(vec![ecs::service::LoadBalancer {
                    container_name: Some(container.clone().into()),
                    container_port: Some(i64::from(props.port).into()),
                    target_group_arn: Some(tg.ref_()),
                    advanced_configuration: advanced,
                    ..Default::default()
                }])),
                service_registries: Some(List::items(vec![ecs::service::ServiceRegistry {
                    registry_arn: Some(discovery.attr_arn()),
                    ..Default::default()
                }])),
                ..Default::default()
            },
        );
        // The target groups must belong to a load balancer before the service uses them (blue/green
        // services reference the rule already).
        if alt.is_none() {
            scope.options(service).depends_on(rule);
        }

        let request_label =
            Value::sub_with("${Lb}/${Tg}", [("Lb", alb_full_name.clone()), ("Tg", tg.attr_target_group_full_name())]);
        autoscale(
            &scope,
            "Scaling",
            &ScalingTarget {
                cluster_name: env.cluster.ref_(),
                service_name: service.attr_name(),
                min: env.min.clone(),
                max: i64::from(props.max_count).into(),
                request_label: Some(request_label),
            },
            &props.scaling,
        );

        let s = Service {
            scope,
            name: props.name.clone(),
            service,
            task_definition,
            task_role,
            execution_role,
            security_group,
            target_group: tg,
            alternate_target_group: alt,
            log_group,
            discovery,
            deployment_alarms,
            cluster: env.cluster,
            load_balancer_full_name: alb_full_name,
            xray: props.xray,
            shared_stack: env.alb.scope().stack(),
            statements,
            port: props.port,
            listener_port: props.listener_port,
            internal: props.internal,
            alb_security_group: env.alb.security_group.attr_group_id(),
            calls: Rc::default(),
        };
        s.write_policy();
        s
    }

    /// The construct scope of the service.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The stack the service is in: the API's own, or one of its service stacks (see
    /// [`ApiProps::services_per_stack`](crate::api::ApiProps::services_per_stack)). Whatever
    /// reads the service's values (its alarms, SLOs) belongs in this stack: the service's stack
    /// reads the API's, so the API's stack cannot read the service's.
    pub fn stack(&self) -> Stack {
        self.scope.stack()
    }

    /// The stack of the parts the service shares with the others (network, cluster, ALB, key,
    /// namespace): the API's own stack.
    pub fn shared_stack(&self) -> &Stack {
        &self.shared_stack
    }

    /// The CloudWatch dimensions of the service (values of its own stack, see
    /// [`Service::stack`]).
    pub fn metrics(&self) -> ServiceMetrics {
        ServiceMetrics {
            name: self.name.clone(),
            cluster_name: self.cluster.ref_(),
            service_name: self.service.attr_name(),
            load_balancer_full_name: self.load_balancer_full_name.clone(),
            target_group_full_name: self.target_group.attr_target_group_full_name(),
            alternate_target_group_full_name: self.alternate_target_group.map(|a| a.attr_target_group_full_name()),
        }
    }

    /// Lets `caller`'s tasks open connections to this service's tasks on its container port:
    /// an ingress rule on this service's security group from the caller's, and an egress rule
    /// on the caller's to this one's, both on exactly that port (the tasks' security groups
    /// otherwise admit only their ALB and call out only on HTTPS). When this service is served
    /// by the internal ALB on a listener port other than 443, the caller also gets egress to
    /// that ALB's security group on that port (the ALB admits the VPC on it already). Calling
    /// twice opens the pair once. What [`ServiceProps::callers`] does.
    ///
    /// With services in stacks of their own, each rule refers to both security groups, so it
    /// reads the other service's stack: both rules of a pair live in whichever of the two stacks
    /// was created later (the callee's when it comes after the caller or shares its stack, the
    /// caller's otherwise). Service stacks then only ever read earlier ones (and the API's), so
    /// calls in both directions between two stacks make no reference cycle.
    pub fn allow_from(&self, caller: &Service) {
        if caller.scope.node() == self.scope.node() {
            self.scope.error("a service cannot be its own caller (its tasks are one security group)");
            return;
        }
        if caller.shared_stack.node() != self.shared_stack.node() {
            self.scope.error(format!(
                "caller {} belongs to another API ({}); services call each other only within one",
                caller.name,
                caller.shared_stack.id()
            ));
            return;
        }
        let (mine, theirs) = (self.scope.stack(), caller.scope.stack());
        let at_callee = mine.node() == theirs.node() || {
            let stacks = self.scope.app().stacks();
            let position = |s: &Stack| stacks.iter().position(|x| x.node() == s.node());
            position(&mine) >= position(&theirs)
        };
        let port = Some(i64::from(self.port).into());
        if self.calls.borrow_mut().insert(caller.scope.path()) {
            let (home, ingress, egress) = if at_callee {
                (&self.scope, format!("IngressFrom{}", caller.name), format!("EgressFrom{}", caller.name))
            } else {
                (&caller.scope, format!("IngressTo{}", self.name), format!("EgressTo{}", self.name))
            };
            home.add(
                &ingress,
                ec2::SecurityGroupIngress {
                    group_id: Some(self.security_group.attr_group_id()),
                    ip_protocol: "tcp".into(),
                    from_port: port.clone(),
                    to_port: port.clone(),
                    source_security_group_id: Some(caller.security_group.attr_group_id()),
                    description: Some(format!("from the {} tasks", caller.name).into()),
                    ..Default::default()
                },
            );
            home.add(
                &egress,
                ec2::SecurityGroupEgress {
                    group_id: caller.security_group.attr_group_id(),
                    ip_protocol: "tcp".into(),
                    from_port: port.clone(),
                    to_port: port,
                    destination_security_group_id: Some(self.security_group.attr_group_id()),
                    description: Some(format!("to the {} tasks", self.name).into()),
                    ..Default::default()
                },
            );
        }
        // Through the internal ALB: the caller's HTTPS egress covers 443; another listener port
        // needs its own rule, beside the caller (it reads only the API's stack).
        if self.internal
            && self.listener_port != 443
            && caller.calls.borrow_mut().insert(format!("internal ALB:{}", self.listener_port))
        {
            let port = Some(i64::from(self.listener_port).into());
            caller.scope.add(
                &format!("InternalAlbEgress{}", self.listener_port),
                ec2::SecurityGroupEgress {
                    group_id: caller.security_group.attr_group_id(),
                    ip_protocol: "tcp".into(),
                    from_port: port.clone(),
                    to_port: port,
                    destination_security_group_id: Some(self.alb_security_group.clone()),
                    description: Some(format!("HTTPS to the internal ALB on {}", self.listener_port).into()),
                    ..Default::default()
                },
            );
        }
    }

    fn write_policy(&self) {
        let statements = self.statements.borrow().clone();
        self.scope.update(self.task_role, |r| {
            r.policies = (!statements.is_empty()).then(|| {
                List::items(vec![iam::role::Policy {
                    policy_name: "task".into(),
                    policy_document: policy_document(statements),
                }])
            });
        });
    }
}

impl Grantee for Service {
    fn grant(&self, permission: &Permission) {
        let problems = permission.problems();
        if !problems.is_empty() {
            for p in problems {
                self.scope.error(format!("grant refused: {p}"));
            }
            return;
        }
        let st = permission.statement();
        {
            let mut s = self.statements.borrow_mut();
            if !s.contains(&st) {
                s.push(st);
            }
        }
        self.write_policy();
    }
}

/// The X-Ray daemon image of the sidecar (AWS's public ECR gallery).
pub const XRAY_DAEMON_IMAGE: &str = "public.ecr.aws/xray/aws-xray-daemon:3.3.14";
