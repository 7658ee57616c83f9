//! The regional Application Load Balancer: HTTPS only (TLS 1.3/1.2 policy, HTTP redirected),
//! invalid headers dropped, deletion protection on, and one listener rule per service route.
//!
//! The default action of every HTTPS listener answers a fixed response (404, or 403 when the
//! ALB is fronted by CloudFront): traffic reaches a service only through its own listener rule,
//! which is also what ECS native blue/green deployments shift weights on.
//!
//! When fronted by CloudFront ([`Fronting`]) the ALB is closed twice: its security group admits
//! only the CloudFront origin-facing managed prefix list, and each rule also requires the secret
//! origin header ([`OriginVerify`]), read at deploy time from Secrets Manager. It then listens on
//! 443 only: CloudFront calls origins there, and the prefix list weighs about 55 of the security
//! group's 60 rules, so a second port could not be opened to it.
//!
//! ```
//! use haplat_core::App;
//! use haplat_constructs::load_balancer::{Alb, AlbProps, RouteProps};
//!
//! let app = App::new("demo");
//! let stack = app.stack("Lb", "us-east-1");
//! let alb = Alb::new(&stack, "Alb", AlbProps {
//!     vpc_id: "vpc-1234".into(),
//!     subnets: vec!["subnet-1".into(), "subnet-2".into()],
//!     certificate_arn: "arn:aws:acm:us-east-1:111111111111:certificate/abc".into(),
//!     internal: false,
//!     fronting: None,
//! });
//! let tg: haplat_core::Value<String> = "arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/a/1".into();
//! alb.add_route("Orders", RouteProps { listener_port: 443, path_patterns: vec!["/orders/*".into()], target_groups: vec![(tg.clone(), 100)], methods: None });
//! // Two services claiming the same path on one listener: an error naming the ALB's path.
//! alb.add_route("Payments", RouteProps { listener_port: 443, path_patterns: vec!["/orders/*".into()], target_groups: vec![(tg, 100)], methods: None });
//! let err = app.synth().unwrap_err().to_string();
//! assert!(err.contains("Lb/Alb") && err.contains("port clash"), "{err}");
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use haplat_core::resources::{ec2, elasticloadbalancingv2 as elb};
use haplat_core::value::{List, Value};
use haplat_core::{Handle, Scope};

use crate::network::no_egress;
use crate::platform::OriginVerify;

/// The TLS policy of every HTTPS listener: TLS 1.3 and 1.2 with forward secrecy only.
pub const SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// Where the ids of the CloudFront origin-facing managed prefix list
/// (`com.amazonaws.global.cloudfront.origin-facing`) come from: the id differs per region and
/// CloudFormation cannot look a managed prefix list up by name, so haplat keeps this table.
/// Each id is what `aws ec2 describe-managed-prefix-lists --filters
/// Name=prefix-list-name,Values=com.amazonaws.global.cloudfront.origin-facing --region <r>`
/// answers. A region missing here must be given in `ApiProps::cloudfront_prefix_lists`.
pub const CLOUDFRONT_PREFIX_LISTS: &[(&str, &str)] = &[
    ("ap-northeast-1", "pl-58a04531"),
    ("ap-southeast-1", "pl-31a34658"),
    ("ap-southeast-2", "pl-b8a742d1"),
    ("eu-central-1", "pl-a3a144ca"),
    ("eu-west-1", "pl-4fa04526"),
    ("eu-west-2", "pl-93a247fa"),
    ("us-east-1", "pl-3b927c52"),
    ("us-east-2", "pl-b6a144df"),
    ("us-west-1", "pl-4ea04527"),
    ("us-west-2", "pl-82a045eb"),
];

/// The CloudFront origin-facing prefix list id of a region, from [`CLOUDFRONT_PREFIX_LISTS`].
pub fn cloudfront_prefix_list(region: &str) -> Option<&'static str> {
    CLOUDFRONT_PREFIX_LISTS.iter().find(|(r, _)| *r == region).map(|(_, id)| *id)
}

/// How a CloudFront distribution fronts the ALB.
#[derive(Clone, Debug)]
pub struct Fronting {
    /// The secret header CloudFront sends.
    pub origin_verify: OriginVerify,
    /// The CloudFront origin-facing prefix list id of the stack's region (usually a per-region
    /// value of the stack set).
    pub prefix_list_id: Value<String>,
}

/// What an [`Alb`] is made of.
#[derive(Clone, Debug)]
pub struct AlbProps {
    /// The VPC.
    pub vpc_id: Value<String>,
    /// The subnets (public for an internet-facing ALB, private for an internal one).
    pub subnets: Vec<Value<String>>,
    /// The ACM certificate of the HTTPS listeners (of the stack's region).
    pub certificate_arn: Value<String>,
    /// An internal ALB (for services other services call), not reachable from the internet; it
    /// admits only the services that declare they call one of its services
    /// ([`crate::service::ServiceProps::callers`]).
    pub internal: bool,
    /// Fronted by CloudFront: closed to everything else. Default: `None`, not fronted.
    pub fronting: Option<Fronting>,
}

/// Days an ALB's access logs are kept.
pub const ACCESS_LOG_RETENTION_DAYS: i64 = 365;

/// The Elastic Load Balancing account that delivers access logs in each region opened before
/// August 2022; regions opened since are written by the service principal
/// [`ELB_LOG_DELIVERY_SERVICE`] (Elastic Load Balancing user guide, "Enable access logs",
/// bucket policy).
pub const ELB_LOG_ACCOUNTS: [(&str, &str); 26] = [
    ("us-east-1", "127311923021"),
    ("us-east-2", "033677994240"),
    ("us-west-1", "027434742980"),
    ("us-west-2", "797873946194"),
    ("af-south-1", "098369216593"),
    ("ca-central-1", "985666609251"),
    ("eu-central-1", "054676820928"),
    ("eu-west-1", "156460612806"),
    ("eu-west-2", "652711504416"),
    ("eu-south-1", "635631232127"),
    ("eu-west-3", "009996457667"),
    ("eu-north-1", "897822967062"),
    ("ap-east-1", "754344448648"),
    ("ap-northeast-1", "582318560864"),
    ("ap-northeast-2", "600734575887"),
    ("ap-northeast-3", "383597477331"),
    ("ap-southeast-1", "114774131450"),
    ("ap-southeast-2", "783225319266"),
    ("ap-southeast-3", "589379963580"),
    ("ap-south-1", "718504428378"),
    ("me-south-1", "076674570225"),
    ("sa-east-1", "507241528517"),
    ("us-gov-west-1", "048591011584"),
    ("us-gov-east-1", "190560391635"),
    ("cn-north-1", "638102146993"),
    ("cn-northwest-1", "037604701340"),
];

/// The service that delivers access logs in the regions [`ELB_LOG_ACCOUNTS`] does not list.
pub const ELB_LOG_DELIVERY_SERVICE: &str = "logdelivery.elasticloadbalancing.amazonaws.com";

/// The ALB's access log bucket `AccessLogs` ([`crate::logs::log_bucket`]): the region's
/// Elastic Load Balancing writer may put objects under `AWSLogs/<account>/`. The writer differs
/// in shape between regions (an account, or the service principal), so a stack set over both
/// kinds picks it per region from the `ElbLogWriter` region value and the condition
/// `ElbLogsByServicePrincipal`.
fn access_log_bucket(scope: &Scope) -> crate::logs::LogBucket {
    use haplat_core::value::{Cond, Expr};
    let stack = scope.stack();
    let regions = stack.regions();
    let account_of = |r: &str| ELB_LOG_ACCOUNTS.iter().find(|(region, _)| *region == r).map(|(_, a)| *a);
    let by_account = |account: Value<String>| {
        haplat_core::expr_map! {
            "AWS" => Value::sub_with("arn:${AWS::Partition}:iam::${Account}:root", [("Account", account)]),
        }
    };
    let by_service = || haplat_core::expr_map! { "Service" => ELB_LOG_DELIVERY_SERVICE };
    let principal: Expr =
        match (regions.iter().all(|r| account_of(r).is_some()), regions.iter().any(|r| account_of(r).is_some())) {
            (_, false) => by_service(),
            (true, _) if regions.len() == 1 => by_account(Value::from(account_of(&regions[0]).unwrap_or_default())),
            (all_accounts, true) => {
                let writer = stack.region_value(
                    "ElbLogWriter",
                    regions.iter().map(|r| (r.clone(), account_of(r).unwrap_or("service"))).collect::<Vec<_>>(),
                );
                if all_accounts {
                    by_account(writer)
                } else {
                    let condition = stack
                        .add_condition("ElbLogsByServicePrincipal", Cond::equals(writer.clone(), "service".into()));
                    Expr::If(condition, Box::new(by_service()), Box::new(by_account(writer)))
                }
            }
        };
    crate::logs::log_bucket(
        scope,
        "AccessLogs",
        crate::logs::LogBucketProps {
            retention_days: ACCESS_LOG_RETENTION_DAYS,
            object_ownership: haplat_core::resources::s3::bucket::ObjectOwnership::BucketOwnerEnforced,
            writers: vec![crate::logs::LogWriter {
                sid: "ElbLogDelivery",
                principal,
                objects: "AWSLogs/${AWS::AccountId}/*",
                bucket_actions: &[],
                bucket_condition: None,
                object_condition: None,
            }],
            encryption: crate::logs::LogEncryption::S3 {
                reason: "Elastic Load Balancing delivers access logs only to buckets encrypted with SSE-S3",
            },
        },
    )
}

/// What a [`TargetGroup`] checks.
#[derive(Clone, Debug)]
pub struct TargetGroupProps {
    /// The VPC.
    pub vpc_id: Value<String>,
    /// The targets' port.
    pub port: u16,
    /// The path health checks request (`/health`).
    pub health_check_path: String,
    /// How the load balancer talks to the targets, requests and health checks alike.
    pub protocol: TargetProtocol,
}

/// The protocol from the load balancer to its targets.
///
/// With [`TargetProtocol::Https`] the load balancer opens TLS connections to the targets and
/// sends its health checks over TLS too; it does not validate the targets' certificates, so a
/// certificate the task makes for itself at start is enough
/// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html>,
/// "Routing configuration"). The application must then serve TLS on its port. Choose it when
/// the service is created: behind ECS Service Connect the port's application protocol follows
/// it, and ECS refuses to change that on an existing service (`haplat check`: HAP053).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TargetProtocol {
    /// Plain HTTP inside the VPC (the default): TLS ends at the load balancer.
    #[default]
    Http,
    /// TLS from the load balancer to the tasks, so that every hop is encrypted.
    Https,
}

/// A target group of IP targets (Fargate tasks) over HTTP or HTTPS: health checks every 15 s
/// (healthy after 2, unhealthy after 3, 200–399 is healthy) and a 30 s deregistration delay.
#[derive(Clone, Copy, Debug)]
pub struct TargetGroup {
    /// The target group.
    pub resource: Handle<elb::TargetGroup>,
}

impl TargetGroup {
    /// The target group as `scope/id`.
    pub fn new(scope: &Scope, id: &str, props: &TargetGroupProps) -> TargetGroup {
        let resource = scope.add(
            id,
            elb::TargetGroup {
                vpc_id: Some(props.vpc_id.clone()),
                target_type: Some(elb::target_group::TargetType::Ip.into()),
                protocol: Some(
                    match props.protocol {
                        TargetProtocol::Http => elb::target_group::Protocol::Http,
                        TargetProtocol::Https => elb::target_group::Protocol::Https,
                    }
                    .into(),
                ),
                port: Some(i64::from(props.port).into()),
                health_check_enabled: Some(true.into()),
                health_check_path: Some(props.health_check_path.clone().into()),
                health_check_protocol: Some(
                    match props.protocol {
                        TargetProtocol::Http => elb::target_group::HealthCheckProtocol::Http,
                        TargetProtocol::Https => elb::target_group::HealthCheckProtocol::Https,
                    }
                    .into(),
                ),
                health_check_interval_seconds: Some(15.into()),
                health_check_timeout_seconds: Some(5.into()),
                healthy_threshold_count: Some(2.into()),
                unhealthy_threshold_count: Some(3.into()),
                matcher: Some(elb::target_group::Matcher { http_code: Some("200-399".into()), ..Default::default() }),
                target_group_attributes: Some(List::items(vec![elb::target_group::TargetGroupAttribute {
                    key: Some("deregistration_delay.timeout_seconds".into()),
                    value: Some("30".into()),
                }])),
                ..Default::default()
            },
        );
        TargetGroup { resource }
    }
}

/// One route of a service on the ALB.
#[derive(Clone, Debug)]
pub struct RouteProps {
    /// The HTTPS listener port (443 unless a service has its own).
    pub listener_port: u16,
    /// Path patterns (`/orders/*`). Default: none, the listener's catch-all (`/*`).
    pub path_patterns: Vec<String>,
    /// Target group ARNs with their weights (blue/green has two: production 100, alternate 0).
    pub target_groups: Vec<(Value<String>, i64)>,
    /// The HTTP methods matched (an `http-request-method` condition). Default: `None`, all.
    pub methods: Option<Vec<String>>,
}

/// The methods of a read-only route, the ones CloudFront's failover origin groups serve.
pub const READ_ONLY_METHODS: &[&str] = &["GET", "HEAD", "OPTIONS"];

#[derive(Default)]
struct Routes {
    /// (listener port, path) → the service that claimed it.
    claimed: BTreeMap<(u16, String), String>,
    /// Next priority per listener port.
    next_priority: BTreeMap<u16, i64>,
    listeners: BTreeMap<u16, Handle<elb::Listener>>,
}

/// An Application Load Balancer of one region.
#[derive(Clone)]
pub struct Alb {
    scope: Scope,
    props: AlbProps,
    /// The load balancer.
    pub load_balancer: Handle<elb::LoadBalancer>,
    /// Its security group.
    pub security_group: Handle<ec2::SecurityGroup>,
    routes: Rc<RefCell<Routes>>,
}

impl std::fmt::Debug for Alb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alb").field("path", &self.scope.path()).finish()
    }
}

impl Alb {
    /// The ALB with its security group and the HTTP redirect listener (when reachable on 80).
    /// HTTPS listeners are created by the first route on their port.
    pub fn new(parent: &Scope, id: &str, props: AlbProps) -> Alb {
        let scope = parent.child(id);
        if props.internal && props.fronting.is_some() {
            scope.error("an internal ALB cannot be fronted by CloudFront; front the internet-facing one");
        }
        for problem in alb_problems(&props) {
            scope.error(problem);
        }
        let description = match (&props.fronting, props.internal) {
            (Some(_), _) => "ALB: HTTPS from CloudFront origin-facing addresses only",
            (None, true) => "Internal ALB: HTTP(S) from the VPC only",
            (None, false) => "ALB: HTTP(S) from the internet",
        };
        let security_group = scope.add(
            "SecurityGroup",
            ec2::SecurityGroup {
                group_description: description.into(),
                vpc_id: Some(props.vpc_id.clone()),
                security_group_egress: Some(List::items(vec![no_egress()])),
                ..Default::default()
            },
        );
        let access_logs = access_log_bucket(&scope);
        let scheme = if props.internal {
            elb::load_balancer::Scheme::Internal
        } else {
            elb::load_balancer::Scheme::InternetFacing
        };
        let attr =
            |k: &str, v: &str| elb::load_balancer::LoadBalancerAttribute { key: Some(k.into()), value: Some(v.into()) };
        let load_balancer = scope.add(
            "LoadBalancer",
            elb::LoadBalancer {
                type_: Some(elb::load_balancer::Type::Application.into()),
                scheme: Some(scheme.into()),
                subnets: Some(List::items(props.subnets.clone())),
                security_groups: Some(List::items(vec![security_group.attr_group_id()])),
                load_balancer_attributes: Some(List::items(vec![
                    // On while the stack lives; `haplat destroy` lifts it first (see crate::protection).
                    elb::load_balancer::LoadBalancerAttribute {
                        key: Some("deletion_protection.enabled".into()),
                        value: Some(crate::protection::on_text(&scope)),
                    },
                    attr("routing.http.drop_invalid_header_fields.enabled", "true"),
                    attr("access_logs.s3.enabled", "true"),
                    elb::load_balancer::LoadBalancerAttribute {
                        key: Some("access_logs.s3.bucket".into()),
                        value: Some(access_logs.bucket.ref_()),
                    },
                ])),
                ..Default::default()
            },
        );
        // ELB checks that it may write to the bucket when the attribute is set.
        scope.options(load_balancer).depends_on(access_logs.policy);
        crate::protection::suppress_scanner_rule(&scope, load_balancer, "CT.ELASTICLOADBALANCING.PR.5");
        let alb = Alb { scope, props, load_balancer, security_group, routes: Rc::default() };
        if alb.props.fronting.is_none() {
            if let Some(ingress) = alb.ingress(80, "HTTP, redirected to HTTPS") {
                alb.scope.options(ingress).suppress(
                    "CKV_AWS_260",
                    "port 80 only answers a 301 to HTTPS (the HttpListener's one action), so a browser typing the bare \
                     name reaches the HTTPS listener; nothing is served over HTTP",
                );
            }
            alb.scope.add(
                "HttpListener",
                elb::Listener {
                    load_balancer_arn: alb.load_balancer.ref_(),
                    port: Some(80.into()),
                    protocol: Some(elb::listener::Protocol::Http.into()),
                    default_actions: List::items(vec![elb::listener::Action {
                        type_: elb::listener::Type::Redirect.into(),
                        redirect_config: Some(elb::listener::RedirectConfig {
                            protocol: Some("HTTPS".into()),
                            port: Some("443".into()),
                            status_code: elb::listener::StatusCode::Http301.into(),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }]),
                    ..Default::default()
                },
            );
        }
        alb
    }

    /// The construct scope of the ALB.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Whether a CloudFront distribution fronts it.
    pub fn is_fronted(&self) -> bool {
        self.props.fronting.is_some()
    }

    fn ingress(&self, port: u16, what: &str) -> Option<Handle<ec2::SecurityGroupIngress>> {
        let mut rule = ec2::SecurityGroupIngress {
            group_id: Some(self.security_group.attr_group_id()),
            ip_protocol: "tcp".into(),
            from_port: Some(i64::from(port).into()),
            to_port: Some(i64::from(port).into()),
            ..Default::default()
        };
        match (&self.props.fronting, self.props.internal) {
            (Some(f), _) => {
                rule.source_prefix_list_id = Some(f.prefix_list_id.clone());
                rule.description = Some(format!("{what} from CloudFront").into());
            }
            // An internal ALB admits only the services that declare they call it: each caller adds
            // its own ingress (service::Service::allow_from).
            (None, true) => return None,
            (None, false) => {
                rule.cidr_ip = Some("0.0.0.0/0".into());
                rule.description = Some(format!("{what} from the internet").into());
            }
        }
        Some(self.scope.add(&format!("Ingress{port}"), rule))
    }

    /// The HTTPS listener on `port`, created (with its security group ingress) on first use.
    pub fn listener(&self, port: u16) -> Handle<elb::Listener> {
        if let Some(l) = self.routes.borrow().listeners.get(&port) {
            return *l;
        }
        if port == 80 || port == 0 {
            self.scope.error(format!("listener port {port} cannot serve HTTPS; 80 redirects to HTTPS"));
        } else if self.is_fronted() && port != 443 {
            // CloudFront reaches its origins on 443 (the origin's HTTPS port), and each port
            // opened to the origin-facing prefix list counts its ~55 entries against the
            // security group's 60 rules: a second port would fail at deploy time.
            self.scope.error(format!(
                "listener port {port}: an ALB fronted by CloudFront listens on 443 only (CloudFront calls \
                    its origins on 443, and a second port opened to the origin-facing prefix list overflows \
                    the security group's rule quota); route by path on 443, or make the service internal"
            ));
        }
        let _ = self.ingress(port, "HTTPS");
        let (status, body) = if self.is_fronted() { ("403", "Forbidden") } else { ("404", "Not Found") };
        let listener = Listener::https(
            &self.scope,
            &format!("HttpsListener{port}"),
            HttpsListenerProps {
                load_balancer: self.load_balancer,
                port,
                certificate_arn: self.props.certificate_arn.clone(),
                fixed_response: (status.to_owned(), body.to_owned()),
            },
        )
        .resource;
        self.routes.borrow_mut().listeners.insert(port, listener);
        listener
    }

    /// Routes a service's traffic: a listener rule on `route.listener_port` matching its path
    /// patterns (and the origin header when fronted). A listener port and path already claimed
    /// by another service is a port clash, reported on the ALB's path.
    pub fn add_route(&self, service: &str, route: RouteProps) -> Handle<elb::ListenerRule> {
        let id = format!("{service}Rule{}", route.listener_port);
        let scope = self.scope.clone();
        self.add_route_at(&scope, &id, service, route)
    }

    /// [`Alb::add_route`] with the listener rule as `scope/id`, in any stack over the ALB's
    /// regions (a service in a stack set of its own keeps its rule beside its target groups, so
    /// that its stack reads the ALB's and the ALB's stack reads nothing of the service's).
    /// Priorities and path claims stay unique across all the stacks, since this ALB hands them
    /// out.
    pub fn add_route_at(&self, scope: &Scope, id: &str, service: &str, route: RouteProps) -> Handle<elb::ListenerRule> {
        let listener = self.listener(route.listener_port);
        let catch_all = route.path_patterns.is_empty();
        let paths: Vec<String> = if catch_all { vec!["/*".to_owned()] } else { route.path_patterns.clone() };
        let methods = route.methods.as_ref().map_or(0, Vec::len);
        let max_paths = 5 - usize::from(self.is_fronted()) - methods;
        if paths.len() > max_paths {
            self.scope.error(format!(
                "service {service}: {} path patterns; a listener rule takes at most {max_paths} here (5 condition values, of which {} the origin header when fronted and {methods} the methods)",
                paths.len(),
                usize::from(self.is_fronted())
            ));
        }
        {
            let mut routes = self.routes.borrow_mut();
            for p in &paths {
                if let Some(other) = routes.claimed.get(&(route.listener_port, p.clone())) {
                    let msg = format!(
                        "port clash on listener port {}: services {other} and {service} both route {p}; give one a path pattern or its own listener port",
                        route.listener_port
                    );
                    drop(routes);
                    self.scope.error(msg);
                    routes = self.routes.borrow_mut();
                } else {
                    routes.claimed.insert((route.listener_port, p.clone()), service.to_owned());
                }
            }
        }
        let priority = if catch_all {
            50_000
        } else {
            let mut routes = self.routes.borrow_mut();
            let next = routes.next_priority.entry(route.listener_port).or_insert(10);
            let p = *next;
            *next += 10;
            p
        };
        ListenerRule::new(
            scope,
            id,
            ListenerRuleProps {
                listener,
                priority,
                path_patterns: paths,
                header: self
                    .props
                    .fronting
                    .as_ref()
                    .map(|f| (f.origin_verify.header_name.clone(), f.origin_verify.dynamic_reference())),
                target_groups: route.target_groups,
                methods: route.methods,
            },
        )
        .resource
    }

    /// Lets the ALB reach a service's tasks: an egress rule to the tasks' security group on the
    /// container port (the ALB has no other egress).
    pub fn allow_to(&self, service: &str, target_security_group: Value<String>, port: u16) {
        let scope = self.scope.clone();
        self.allow_to_at(&scope, &format!("EgressTo{service}"), service, target_security_group, port);
    }

    /// [`Alb::allow_to`] with the egress rule as `scope/id` (the stack of the service, when it
    /// has its own: the rule then reads the ALB's security group, never the other way round).
    pub fn allow_to_at(&self, scope: &Scope, id: &str, service: &str, target_security_group: Value<String>, port: u16) {
        scope.add(
            id,
            ec2::SecurityGroupEgress {
                group_id: self.security_group.attr_group_id(),
                ip_protocol: "tcp".into(),
                from_port: Some(i64::from(port).into()),
                to_port: Some(i64::from(port).into()),
                destination_security_group_id: Some(target_security_group),
                description: Some(format!("to the {service} tasks").into()),
                ..Default::default()
            },
        );
    }

    /// `AWS/ApplicationELB` `LoadBalancer` dimension.
    pub fn full_name(&self) -> Value<String> {
        self.load_balancer.attr_load_balancer_full_name()
    }
}

/// What an HTTPS [`Listener`] serves.
#[derive(Clone, Debug)]
pub struct HttpsListenerProps {
    /// The load balancer.
    pub load_balancer: Handle<elb::LoadBalancer>,
    /// The port.
    pub port: u16,
    /// The ACM certificate (of the stack's region).
    pub certificate_arn: Value<String>,
    /// The default action's fixed response, `(status code, plain-text body)`: traffic reaches a
    /// target only through a [`ListenerRule`].
    pub fixed_response: (String, String),
}

/// A listener of an ALB.
#[derive(Clone, Copy, Debug)]
pub struct Listener {
    /// The listener.
    pub resource: Handle<elb::Listener>,
}

impl Listener {
    /// An HTTPS listener as `scope/id` with the [`SSL_POLICY`] (TLS 1.3 and 1.2) and a fixed
    /// default response.
    pub fn https(scope: &Scope, id: &str, props: HttpsListenerProps) -> Listener {
        let (status, body) = props.fixed_response;
        let resource = scope.add(
            id,
            elb::Listener {
                load_balancer_arn: props.load_balancer.ref_(),
                port: Some(i64::from(props.port).into()),
                protocol: Some(elb::listener::Protocol::Https.into()),
                ssl_policy: Some(SSL_POLICY.into()),
                certificates: Some(List::items(vec![elb::listener::Certificate {
                    certificate_arn: Some(props.certificate_arn),
                }])),
                default_actions: List::items(vec![elb::listener::Action {
                    type_: elb::listener::Type::FixedResponse.into(),
                    fixed_response_config: Some(elb::listener::FixedResponseConfig {
                        status_code: status.into(),
                        content_type: Some("text/plain".into()),
                        message_body: Some(body.into()),
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            },
        );
        Listener { resource }
    }
}

/// What a [`ListenerRule`] matches and where it forwards.
#[derive(Clone, Debug)]
pub struct ListenerRuleProps {
    /// The listener.
    pub listener: Handle<elb::Listener>,
    /// The priority, unique on the listener.
    pub priority: i64,
    /// The path patterns (`/orders/*`), at most 5 with `header` unset, 4 with it.
    pub path_patterns: Vec<String>,
    /// A header the request must carry, `(name, value)`. Default: `None`.
    pub header: Option<(String, String)>,
    /// Target group ARNs with their weights.
    pub target_groups: Vec<(Value<String>, i64)>,
    /// The HTTP methods matched. Default: `None`, all.
    pub methods: Option<Vec<String>>,
}

/// A listener rule that forwards matching requests to weighted target groups (the rule ECS
/// native blue/green shifts weights on).
#[derive(Clone, Copy, Debug)]
pub struct ListenerRule {
    /// The rule.
    pub resource: Handle<elb::ListenerRule>,
}

impl ListenerRule {
    /// The rule as `scope/id`.
    pub fn new(scope: &Scope, id: &str, props: ListenerRuleProps) -> ListenerRule {
        // What a forward action takes: 1 to 5 target groups, each weighted 0 to 999.
        if !(1..=5).contains(&props.target_groups.len()) {
            scope.error(format!(
                "listener rule {id}: forwards to {} target groups; use 1 to 5",
                props.target_groups.len()
            ));
        }
        for (_, weight) in &props.target_groups {
            if !(0..=999).contains(weight) {
                scope.error(format!("listener rule {id}: target group weight {weight}; use 0 to 999"));
            }
        }
        if let Some(methods) = &props.methods
            && (methods.is_empty() || methods.iter().any(|m| m.is_empty() || m.len() > 40))
        {
            scope.error(format!("listener rule {id}: HTTP methods must be 1 or more, each 1 to 40 characters"));
        }
        let mut conditions = vec![elb::listener_rule::RuleCondition {
            field: Some("path-pattern".into()),
            path_pattern_config: Some(elb::listener_rule::PathPatternConfig {
                values: Some(List::items(props.path_patterns.iter().map(|p| Value::from(p.as_str())).collect())),
                ..Default::default()
            }),
            ..Default::default()
        }];
        if let Some((name, value)) = props.header {
            conditions.push(elb::listener_rule::RuleCondition {
                field: Some("http-header".into()),
                http_header_config: Some(elb::listener_rule::HttpHeaderConfig {
                    http_header_name: Some(name.into()),
                    values: Some(List::items(vec![value.into()])),
                    ..Default::default()
                }),
                ..Default::default()
            });
        }
        if let Some(methods) = props.methods {
            conditions.push(elb::listener_rule::RuleCondition {
                field: Some("http-request-method".into()),
                http_request_method_config: Some(elb::listener_rule::HttpRequestMethodConfig {
                    values: Some(List::items(methods.into_iter().map(Value::from).collect())),
                }),
                ..Default::default()
            });
        }
        let forward = elb::listener_rule::Action {
            type_: elb::listener_rule::Type::Forward.into(),
            forward_config: Some(elb::listener_rule::ForwardConfig {
                target_groups: Some(List::items(
                    props
                        .target_groups
                        .into_iter()
                        .map(|(arn, w)| elb::listener_rule::TargetGroupTuple {
                            target_group_arn: Some(arn),
                            weight: Some(w.into()),
                        })
                        .collect(),
                )),
                ..Default::default()
            }),
            ..Default::default()
        };
        let resource = scope.add(
            id,
            elb::ListenerRule {
                listener_arn: Some(props.listener.ref_()),
                priority: props.priority.into(),
                conditions: List::items(conditions),
                actions: List::items(vec![forward]),
                ..Default::default()
            },
        );
        ListenerRule { resource }
    }
}

/// What ELB refuses in an ALB's literal settings: fewer than two subnets (an ALB spans at least
/// two Availability Zones), a subnet given twice, a certificate that is not an ACM or IAM
/// server-certificate ARN, a VPC id that is not `vpc-…`. Values known only at deploy time (a
/// reference) are left to CloudFormation.
fn alb_problems(props: &AlbProps) -> Vec<String> {
    use haplat_core::value::Expr;
    let text = |v: &Value<String>| match v.expr() {
        Expr::String(s) => Some(s.clone()),
        _ => None,
    };
    let mut out = Vec::new();
    if props.subnets.len() < 2 {
        out.push(format!("{} subnet(s): an ALB needs subnets in at least two Availability Zones", props.subnets.len()));
    }
    let literal: Vec<String> = props.subnets.iter().filter_map(text).collect();
    for (i, s) in literal.iter().enumerate() {
        if literal[..i].contains(s) {
            out.push(format!("subnet {} is given twice", s));
        }
    }
    if let Some(arn) = text(&props.certificate_arn) {
        let ok = arn.starts_with("arn:")
            && (arn.contains(":acm:") && arn.contains(":certificate/")
                || arn.contains(":iam::") && arn.contains(":server-certificate/"));
        if !ok {
            out.push(format!("certificate {} is not an ACM certificate or IAM server certificate ARN", arn));
        }
    }
    if let Some(vpc) = text(&props.vpc_id)
        && !vpc.starts_with("vpc-")
    {
        out.push(format!("VPC id {} is not vpc-…", vpc));
    }
    out
}
