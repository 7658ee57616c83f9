//! A containerized service on ECS Fargate, composed of the middle layer: a
//! [`TaskDefinition`], the tasks' security group, target groups
//! and a listener rule on its ALB, a Cloud Map registration, a
//! [`FargateService`](crate::fargate::FargateService) with deployment alarms, and autoscaling.
//! New versions roll out with ECS native blue/green (see docs/decisions.md, "Blue/green
//! deployments: ECS native, not CodeDeploy"). An internal service may instead be reached through
//! Cloud Map / Service Connect only ([`InternalAccess::CloudMapOnly`]): no ALB route, rolling
//! deployments.
//!
//! ```
//! use haplat_constructs::service::ServiceProps;
//!
//! let orders = ServiceProps::new("Orders", "public.ecr.aws/nginx/nginx:1.27", 8080);
//! assert_eq!((orders.cpu, orders.memory), (256, 512));
//! ```

mod access;
mod deploy;
mod task;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use haplat_core::resources::{cloudwatch, ec2, ecs, elasticloadbalancingv2 as elb, iam, logs, servicediscovery as sd};
use haplat_core::value::Value;
use haplat_core::{Handle, Scope, Stack};

pub use crate::fargate::{Deployment, FARGATE_SIZES, XRAY_DAEMON_IMAGE, fargate_size_problem};
use crate::fargate::{RunAs, TaskDefinition};
use crate::image::Image;
use crate::kms::KmsKey;
use crate::load_balancer::Alb;
pub use crate::load_balancer::TargetProtocol;
use crate::metrics::{MetricRef, ServiceMetrics, Sli, TimeUnit};
use crate::network::Network;
use crate::scaling::Scaling;
use crate::security::{Grantee, Permission, SecretRef};

/// One service of a [`crate::api::MultiRegionApi`].
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceProps {
    /// The service's name (`Orders`): its construct id in a [`crate::api::MultiRegionApi`], the
    /// Cloud Map name (lowercased), the prefix of its region values.
    pub name: String,
    /// The container image: a URI (`123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:1.4.2`),
    /// one of the platform's repositories pulled from the task's own region
    /// ([`ImageRepositories::image`](crate::ecr::ImageRepositories::image)), or a public image
    /// through the region's cache ([`PullThroughCache::image`](crate::ecr::PullThroughCache::image)).
    /// An ECR image gets pull permission on exactly its repository. A malformed digest or tag is
    /// an error naming the service.
    pub image: Image,
    /// The port the container listens on.
    pub port: u16,
    /// Fargate CPU units. Default: 256 (0.25 vCPU).
    pub cpu: u32,
    /// Fargate memory, MiB (only combinations in [`FARGATE_SIZES`]). Default: 512.
    pub memory: u32,
    /// Fewest tasks autoscaling keeps in a serving region: what a new service scales to, and the
    /// floor after. The template gives no desired count (every update would reset the scaled
    /// count to it); autoscaling owns the count. Default: 2.
    pub min_count: u32,
    /// Most tasks autoscaling starts. Default: 10.
    pub max_count: u32,
    /// Tasks (the minimum) of a standby region in active-passive mode. Default: 1.
    pub standby_count: u32,
    /// Environment variables. Default: none.
    pub environment: BTreeMap<String, String>,
    /// Secret environment variables from Secrets Manager (variable → secret), passed to ECS by
    /// their partial ARN; the execution role may read exactly these secrets (and decrypt with
    /// the customer-managed key of those that have one, [`SecretRef::with_key`]). Default: none.
    pub secrets: BTreeMap<String, SecretRef>,
    /// The path target group health checks request: keep it shallow (the task is alive), as a
    /// check that follows a dependency takes every target out when that dependency fails, and
    /// the ALB then sends to all of them anyway. Default: `/health`.
    pub health_check_path: String,
    /// The path Route 53 requests (GET, 2xx or 3xx within 2 s) to see the service serve in a
    /// region: through the edge's probe route every 10 s when fronted (the region probe for the
    /// default public service, and the service's own probe when its path patterns cover this
    /// path), or on the load balancer when not; the origin canary requests the default
    /// service's too. A path that exercises what a request needs (`/orders/ready`, reading its
    /// table) takes a region whose tasks pass their health check but fail their requests out of
    /// DNS. Default: `None`, the health check path.
    pub probe_path: Option<String>,
    /// The ALB paths routed to the service. Default: none, the catch-all `/*`.
    pub path_patterns: Vec<String>,
    /// The HTTPS listener port on its ALB. Default: 443.
    pub listener_port: u16,
    /// Serve on the internal ALB (reachable from the VPC only) instead of the public one.
    /// Default: `false`.
    pub internal: bool,
    /// How callers reach an `internal` service: through the internal ALB (its own DNS name and
    /// certificate) and Cloud Map, or through Cloud Map / Service Connect only
    /// ([`InternalAccess::CloudMapOnly`]: no load balancer, target group or listener rule for
    /// it; see [`ServiceProps::cloud_map_only`]). Default: [`InternalAccess::Alb`].
    pub internal_access: InternalAccess,
    /// Run the X-Ray daemon as a sidecar and let the task send traces, named after the service
    /// (`AWS_XRAY_TRACING_NAME`, unless `environment` sets it), so that the sampling rule and
    /// group of [`TracingProps`](crate::monitoring::TracingProps) match them. Default: `false`.
    pub xray: bool,
    /// The service answers only GET, HEAD and OPTIONS on its paths: its listener rules match only
    /// those methods, and an [`EdgeDistribution`](crate::edge::EdgeDistribution) in active-passive
    /// mode may serve its paths through CloudFront's failover origin group, which fails over
    /// only those methods (and refuses the others, so a service that takes writes must not be
    /// read-only). Needs path patterns. Default: `false`.
    pub read_only: bool,
    /// Days the service's logs are kept. Default: 365 (a year, what Control Tower's
    /// CT.CLOUDWATCH.PR.2 asks).
    pub log_retention_days: i64,
    /// How new versions roll out. Default: a 10 % canary for 5 minutes.
    pub deployment: Deployment,
    /// Autoscaling. Default: [`Scaling::default`].
    pub scaling: Scaling,
    /// The services of the same API that call this one (their names): each may open
    /// connections to this service's tasks on its container port (through ECS Service Connect,
    /// `http://<name>:<port>`, when the API has it; through Cloud Map DNS, `<name>.<namespace>`)
    /// and, when this service is `internal` on the internal ALB ([`InternalAccess::Alb`]), to
    /// that ALB on its listener port. Nobody
    /// else may: Service Connect puts every service of the API in its namespace, the security
    /// groups decide who connects; see [`Service::allow_from`]. In a
    /// [`MultiRegionApi`](crate::api::MultiRegionApi), each caller finds this service's address
    /// in its environment as `<NAME>_URL` (`CATALOG_URL=http://catalog:8080`), unless it sets
    /// that variable itself. Default: none.
    pub callers: Vec<String>,
    /// The Service Connect timeouts of calls to this service, when the API has Service Connect.
    /// Default: `None`, ECS's (15 seconds a request).
    pub connect_timeouts: Option<ConnectTimeouts>,
    /// Who the container runs as: by default user 1000 with a read-only root filesystem and
    /// `/tmp` writable; [`RunAs::image_default`] with the reason for an image that needs root.
    pub run_as: RunAs,
    /// The service runs in a production environment: its task definition carries the metadata
    /// `haplat:production`, and `haplat check` warns (HAP030) when its application container's
    /// image is not pinned by digest. Default: `false`.
    pub production: bool,
    /// How the load balancer reaches the tasks: [`TargetProtocol::Http`] by default (TLS ends
    /// at the load balancer); [`TargetProtocol::Https`] for TLS on every hop, when the
    /// application serves TLS on `port` (any certificate: the load balancer does not validate
    /// it). Callers through Service Connect then speak TLS to the task too: its port is
    /// published without an HTTP application protocol, so Service Connect passes the bytes
    /// through (and gives no per-request HTTP metrics for it).
    pub target_protocol: TargetProtocol,
}

impl ServiceProps {
    /// A service with defaults: 0.25 vCPU / 512 MiB, 2 to 10 tasks, 1 on standby,
    /// health checks on `/health`, catch-all route on 443, logs kept a year, a 10 % canary.
    pub fn new(name: &str, image: impl Into<Image>, port: u16) -> Self {
        ServiceProps {
            name: name.to_owned(),
            image: image.into(),
            port,
            cpu: 256,
            memory: 512,
            min_count: 2,
            max_count: 10,
            standby_count: 1,
            environment: BTreeMap::new(),
            secrets: BTreeMap::new(),
            health_check_path: "/health".to_owned(),
            probe_path: None,
            path_patterns: Vec::new(),
            listener_port: 443,
            internal: false,
            internal_access: InternalAccess::Alb,
            xray: false,
            read_only: false,
            log_retention_days: 365,
            deployment: Deployment::default(),
            scaling: Scaling::default(),
            callers: Vec::new(),
            run_as: RunAs::default(),
            production: false,
            connect_timeouts: None,
            target_protocol: TargetProtocol::Http,
        }
    }
}

impl ServiceProps {
    /// The service as an internal one reached only through Cloud Map / Service Connect
    /// ([`InternalAccess::CloudMapOnly`]): `internal`, no ALB route, and rolling deployments
    /// (haplat's blue/green deployments shift traffic on the ALB, which such a service has not).
    ///
    /// ```
    /// use haplat_constructs::service::{Deployment, InternalAccess, ServiceProps};
    ///
    /// let catalog = ServiceProps::new("Catalog", "public.ecr.aws/nginx/nginx:1.27", 8080).cloud_map_only();
    /// assert!(catalog.internal);
    /// assert_eq!(catalog.internal_access, InternalAccess::CloudMapOnly);
    /// assert_eq!(catalog.deployment, Deployment::Rolling);
    /// ```
    pub fn cloud_map_only(mut self) -> Self {
        self.internal = true;
        self.internal_access = InternalAccess::CloudMapOnly;
        self.deployment = Deployment::Rolling;
        self
    }

    /// The path Route 53 requests to see the service serve: [`ServiceProps::probe_path`], or
    /// the health check path.
    pub fn probed_path(&self) -> &str {
        self.probe_path.as_deref().unwrap_or(&self.health_check_path)
    }

    /// Whether the service is behind a load balancer (public, or internal on the internal ALB).
    pub fn load_balanced(&self) -> bool {
        !(self.internal && self.internal_access == InternalAccess::CloudMapOnly)
    }
}

/// How the callers of an internal service ([`ServiceProps::internal`]) reach it.
///
/// With [`InternalAccess::CloudMapOnly`] the service has no load balancer, so:
/// - it rolls out with ECS rolling deployments, the circuit breaker rolling a failed one back:
///   haplat's canary and linear deployments shift traffic on the ALB listener rule (CodeDeploy
///   blue/green needs a load balancer too, `haplat check` HAP056), so either is a synth error;
/// - autoscaling follows CPU and memory only (there is no ALB request count to follow);
/// - in an API fronted by CloudFront, the region's health alarm for it watches the service's
///   running tasks (Container Insights' `RunningTaskCount`, at least one) instead of the
///   healthy targets of a target group;
/// - its security group admits exactly its callers on its container port, and callers reach it
///   at `<CALLEE>_URL` (the Service Connect endpoint, or its Cloud Map name);
/// - the API creates no internal ALB unless another internal service needs it;
/// - it gives no load balancer metrics, so [`Service::metrics`] is `None` and the regional
///   monitoring, dashboards and availability SLOs (made of target group metrics) leave it out.
///
/// A public service (`internal: false`) with [`InternalAccess::CloudMapOnly`] is a synth error.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InternalAccess {
    /// Through the internal ALB, which admits only the declared callers (and Cloud Map). Callers
    /// in ECS get `<CALLEE>_URL` (Service Connect or Cloud Map) all the same; with a DNS-validated
    /// certificate the ALB also answers, over TLS its certificate names, on
    /// `<region>.internal.<API name>` in the API's zone (a record of its private addresses), for
    /// callers outside ECS in the VPC.
    #[default]
    Alb,
    /// Through Cloud Map / Service Connect only: no internal ALB, target group or listener.
    CloudMapOnly,
}

/// How long a call through ECS Service Connect may take, set on the called service
/// (`Timeout` of its Service Connect service,
/// <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TimeoutConfiguration.html>).
/// Service Connect offers no retry setting of its own: retries stay in the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectTimeouts {
    /// Seconds a request may take before the proxy answers 504 (HTTP ports). 0 turns it off.
    pub per_request_seconds: u32,
    /// Seconds a connection may stay idle. 0 turns it off.
    pub idle_seconds: u32,
}

/// What a service is placed into (built by [`crate::api::MultiRegionApi`]).
#[derive(Clone)]
pub struct ServiceEnv<'a> {
    /// The region's network.
    pub network: &'a Network,
    /// The cluster.
    pub cluster: Handle<ecs::Cluster>,
    /// The ALB that routes to the service; `None` for a Cloud-Map-only service
    /// ([`InternalAccess::CloudMapOnly`]).
    pub alb: Option<&'a Alb>,
    /// The stack of the parts the services share (the API's).
    pub shared_stack: Stack,
    /// The Cloud Map namespace id.
    pub namespace_id: Value<String>,
    /// The key of the log groups.
    pub key: &'a KmsKey,
    /// Fewest tasks (per region).
    pub min: Value<i64>,
    /// The ECS Service Connect namespace (its ARN), when the API has Service Connect.
    pub connect_namespace: Option<Value<String>>,
}

impl std::fmt::Debug for ServiceEnv<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceEnv")
            .field("alb", &self.alb.map(|a| a.scope().path()))
            .field("shared_stack", &self.shared_stack.id())
            .finish_non_exhaustive()
    }
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
/// let api = MultiRegionApi::new_stack_set(&app, "Api", ApiProps {
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
    /// Its name ([`ServiceProps::name`]).
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
    /// The production target group; `None` for a Cloud-Map-only service.
    pub target_group: Option<Handle<elb::TargetGroup>>,
    /// The alternate target group of blue/green deployments.
    pub alternate_target_group: Option<Handle<elb::TargetGroup>>,
    /// The service's log group.
    pub log_group: Handle<logs::LogGroup>,
    /// Its Cloud Map service (`<name>.<namespace>`).
    pub discovery: Handle<sd::Service>,
    /// The deployment alarms (5xx of each target group; none without a load balancer).
    pub deployment_alarms: Vec<Handle<cloudwatch::Alarm>>,
    /// The cluster.
    pub cluster: Handle<ecs::Cluster>,
    /// The ALB's `LoadBalancerFullName`; `None` for a Cloud-Map-only service.
    pub load_balancer_full_name: Option<Value<String>>,
    /// Whether its tasks send X-Ray traces (under the service's name).
    pub xray: bool,
    /// Its path patterns when it is read-only ([`ServiceProps::read_only`]), else none.
    pub read_only_paths: Vec<String>,
    /// The address callers in the API reach it at through Service Connect
    /// (`http://<name>:<port>`), when the API has Service Connect.
    pub connect_endpoint: Option<String>,
    task: TaskDefinition,
    shared_stack: Stack,
    port: u16,
    listener_port: u16,
    internal: bool,
    /// The security group of its ALB (`None` without one).
    alb_security_group: Option<Value<String>>,
    /// The rules already written for callers (`caller path -> callee path`, and
    /// `caller path -> internal ALB port`), so that a pair is opened once.
    calls: Rc<RefCell<BTreeSet<String>>>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").field("path", &self.scope.path()).finish()
    }
}

impl Service {
    /// The service as `scope/id` (a [`crate::api::MultiRegionApi`] uses the service's name as
    /// its id). Misuse (a bad Fargate size, counts out of order, a bad secret …) is reported as
    /// construct errors on its path.
    pub fn new(scope: &Scope, id: &str, props: &ServiceProps, env: &ServiceEnv<'_>) -> Service {
        let scope = scope.child(id);
        task::check(&scope, props);
        let task = task::task_definition(&scope, props, env.key, env.connect_namespace.is_some());
        let security_group = access::security_group(&scope, props, env);
        let routing = env.alb.map(|alb| deploy::route(&scope, props, env, alb));
        let discovery = deploy::discovery(&scope, props, env);
        let deployment = deploy::deploy(&scope, props, env, &task, routing.as_ref(), security_group, discovery);
        Service {
            name: props.name.clone(),
            service: deployment.service,
            task_definition: task.resource,
            task_role: task.task_role,
            execution_role: task.execution_role,
            security_group,
            target_group: routing.as_ref().map(|r| r.target_group),
            alternate_target_group: routing.as_ref().and_then(|r| r.alternate_target_group),
            log_group: task.log_group,
            discovery,
            deployment_alarms: deployment.alarms,
            cluster: env.cluster,
            load_balancer_full_name: env.alb.map(Alb::full_name),
            xray: props.xray,
            read_only_paths: if props.read_only { props.path_patterns.clone() } else { Vec::new() },
            connect_endpoint: env.connect_namespace.as_ref().map(|_| deploy::connect_endpoint(props)),
            task,
            shared_stack: env.shared_stack.clone(),
            port: props.port,
            listener_port: props.listener_port,
            internal: props.internal,
            alb_security_group: env.alb.map(|alb| alb.security_group.attr_group_id()),
            calls: Rc::default(),
            scope,
        }
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
    /// [`Service::stack`]); `None` for a Cloud-Map-only service, which has no load balancer
    /// metrics ([`InternalAccess::CloudMapOnly`]).
    pub fn metrics(&self) -> Option<ServiceMetrics> {
        Some(ServiceMetrics {
            name: self.name.clone(),
            cluster_name: self.cluster.ref_(),
            service_name: self.service.attr_name(),
            load_balancer_full_name: self.load_balancer_full_name.clone()?,
            target_group_full_name: self.target_group?.attr_target_group_full_name(),
            alternate_target_group_full_name: self.alternate_target_group.map(|a| a.attr_target_group_full_name()),
            connect_discovery_name: self.connect_endpoint.as_ref().map(|_| self.name.to_lowercase()),
        })
    }

    /// The availability indicator of a service that only ECS Service Connect serves (a
    /// Cloud-Map-only one): the 5xx over the requests of its calls as its callers' Service
    /// Connect proxies count them, over every caller of the region (`AWS/ECS`
    /// `HTTPCode_Target_5XX_Count` and `RequestCount` by `TargetDiscoveryName`, the dimension
    /// ECS publishes the callers' side under). `None` for a load-balanced service (its
    /// [`ServiceMetrics::availability_sli`]) or one outside Service Connect.
    pub fn connect_availability_sli(&self) -> Option<Sli> {
        let (bad, total) = (self.connect_metric("HTTPCode_Target_5XX_Count")?, self.connect_metric("RequestCount")?);
        Some(Sli::ErrorRatio { bad: vec![bad], total: vec![total] })
    }

    /// The latency indicator of a service that only ECS Service Connect serves: its calls
    /// answered in more than `threshold_ms` as its callers' proxies time them (`AWS/ECS`
    /// `TargetResponseTime` by `TargetDiscoveryName`, in milliseconds). `None` as for
    /// [`Service::connect_availability_sli`].
    pub fn connect_latency_sli(&self, threshold_ms: f64) -> Option<Sli> {
        let metrics = vec![self.connect_metric("TargetResponseTime")?];
        Some(Sli::Latency { metrics, threshold_ms, unit: TimeUnit::Milliseconds })
    }

    /// `AWS/ECS` `name` of the calls to this service through Service Connect, by the callers'
    /// `TargetDiscoveryName`; only for a service no load balancer serves.
    fn connect_metric(&self, name: &str) -> Option<MetricRef> {
        if self.load_balancer_full_name.is_some() || self.connect_endpoint.is_none() {
            return None;
        }
        Some(MetricRef::new("AWS/ECS", name, [("TargetDiscoveryName", Value::from(self.name.to_lowercase()))]))
    }

    /// Lets `caller`'s tasks open connections to this service's tasks on its container port:
    /// an ingress rule on this service's security group from the caller's, and an egress rule
    /// on the caller's to this one's, both on exactly that port (the tasks' security groups
    /// otherwise admit only their ALB and call out only on HTTPS). When this service is served
    /// by the internal ALB, the ALB admits the caller on its listener port (and on a port other
    /// than 443 the caller also gets egress to that ALB's security group on it); a Cloud-Map-only
    /// service ([`InternalAccess::CloudMapOnly`]) has no ALB, so the pair is all. Calling
    /// twice opens the pair once. What [`ServiceProps::callers`] does.
    ///
    /// With services in stacks of their own, each rule refers to both security groups, so it
    /// reads the other service's stack: both rules of a pair live in whichever of the two stacks
    /// was created later (the callee's when it comes after the caller or shares its stack, the
    /// caller's otherwise). Service stacks then only ever read earlier ones (and the API's), so
    /// calls in both directions between two stacks make no reference cycle.
    pub fn allow_from(&self, caller: &Service) {
        access::allow_from(self, caller);
    }
}

impl Grantee for Service {
    fn grant(&self, permission: &Permission) {
        self.task.grant(permission);
    }
}
