//! [`MultiRegionApi`]: the regional half of the platform. One stack set, one template, deployed
//! to every region: a network, an ECS cluster, an ALB and the services, the same everywhere;
//! what differs per region (VPC CIDR, role, certificate, CloudFront prefix list, task counts of
//! a standby region) is looked up from the template's `RegionConfig` mapping by `AWS::Region`.
//!
//! ```
//! use haplat_core::App;
//! use haplat_constructs::api::{ApiCertificate, ApiProps, MultiRegionApi};
//! use haplat_constructs::zone::HostedZone;
//! use haplat_constructs::service::ServiceProps;
//! use haplat_constructs::{DrMode, RegionSpec};
//!
//! let app = App::new("shop");
//! let api = MultiRegionApi::new_stack_set(&app, "Api", ApiProps {
//!     mode: DrMode::ActivePassive,
//!     services: vec![ServiceProps::new("Orders", "public.ecr.aws/nginx/nginx:1.27", 8080)],
//!     ..ApiProps::new(
//!         vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("eu-west-1")],
//!         "api.example.com",
//!         ApiCertificate::DnsValidated { zone: HostedZone::existing("Z0123456789ABCDEFGHIJ", "example.com") },
//!     )
//! });
//! assert_eq!(api.endpoints().len(), 2);
//! assert_eq!(api.metrics().len(), 1);
//!
//! let assembly = app.synth().unwrap();
//! let t = assembly.template("shop-Api").unwrap();
//! let config = &t["Mappings"]["RegionConfig"];
//! assert_eq!(config["us-east-1"]["VpcCidr"], "10.0.0.0/16");
//! assert_eq!(config["eu-west-1"]["VpcCidr"], "10.1.0.0/16");
//! // The standby region runs one task, the primary two.
//! assert_eq!(config["us-east-1"]["OrdersDesiredCount"], 2);
//! assert_eq!(config["eu-west-1"]["OrdersDesiredCount"], 1);
//! ```

use std::collections::{BTreeMap, BTreeSet};

use haplat_core::resources::{cloudwatch, ecs, servicediscovery as sd};
use haplat_core::value::{Expr, List, Value};
use haplat_core::{App, Handle, Stack};

use crate::alarm::metric_alarm;
use crate::certificate::{Certificate, CertificateProps};
use crate::chaos::{ChaosExperiments, ChaosProps, ChaosService};
use crate::cidr;
use crate::kms::{KeyUser, KmsKey};
use crate::load_balancer::{Alb, AlbProps, Fronting, cloudfront_prefix_list};
use crate::logs::LogGroupProps;
use crate::metrics::{MetricRef, ServiceMetrics};
use crate::monitoring::{RegionalMonitoring, RegionalMonitoringProps, ServiceMonitoring, TracingProps};
use crate::network::{NatMode, Network, NetworkProps};
use crate::platform::{DrMode, OriginVerify, RegionRole, RegionSpec, RegionalEndpoint};
use crate::service::{Service, ServiceEnv, ServiceProps};
use crate::slo::{Slo, SloProps};
use crate::zone::HostedZone;

/// The TLS certificate of the regional ALBs.
///
/// Choice: both are offered. An existing certificate per region suits domains managed outside
/// the platform; a certificate created in each region with DNS validation in a Route 53 hosted
/// zone needs nothing by hand (CloudFormation writes the validation records). A created
/// certificate covers the API's domain and `<region>.<domain>`, so each region can also be
/// addressed alone (health checks, CloudFront origins).
#[derive(Clone, Debug, PartialEq)]
pub enum ApiCertificate {
    /// The ARN of an issued ACM certificate in each region (`region → arn`).
    Arns(BTreeMap<String, String>),
    /// Created in each region, validated by DNS records in this hosted zone.
    DnsValidated {
        /// The Route 53 hosted zone of the domain.
        zone: HostedZone,
    },
}

/// What a [`MultiRegionApi`] is made of.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiProps {
    /// The regions, exactly one primary.
    pub regions: Vec<RegionSpec>,
    /// How regions share traffic; in active-passive, secondaries run `standby_count` tasks.
    /// Default: [`DrMode::ActiveActive`].
    pub mode: DrMode,
    /// The API's domain name (`api.example.com`).
    pub domain_name: String,
    /// The certificate of the ALBs.
    pub certificate: ApiCertificate,
    /// The services. Default: none (at least one is required).
    pub services: Vec<ServiceProps>,
    /// NAT per zone or one shared. Default: [`NatMode::PerAz`].
    pub nat: NatMode,
    /// Availability zones per region, 2 to 6, and at most the fewest any of the regions has
    /// ([`crate::network::usable_azs`]: us-west-1 has 2). Default: 3.
    pub azs: usize,
    /// Usable availability zones for regions where [`crate::network::REGION_AZS`] is wrong for
    /// this account (`region → count`). Default: none.
    pub az_counts: BTreeMap<String, usize>,
    /// Interface endpoints for ECR, Logs and Secrets Manager. Default: `false`.
    pub interface_endpoints: bool,
    /// Fronted by CloudFront: the ALBs accept only CloudFront with this secret header, and the
    /// API's stack is bound to the secret when haplat made it ([`OriginVerify::bind`]).
    /// Default: `None`, not fronted.
    pub fronted_by_cloudfront: Option<OriginVerify>,
    /// CloudFront origin-facing prefix list ids for regions missing from
    /// [`crate::load_balancer::CLOUDFRONT_PREFIX_LISTS`] (`region → pl-…`). Default: none.
    pub cloudfront_prefix_lists: BTreeMap<String, String>,
    /// The Cloud Map private DNS namespace: `<service>.<namespace>` resolves to the service's
    /// tasks, which admit connections only from the services named in its
    /// [`ServiceProps::callers`] (and their ALB), on the container port. Default:
    /// `internal.local`.
    pub namespace: String,
    /// Days VPC flow logs are kept. Default: 365.
    pub flow_log_retention_days: i64,
    /// Days the Container Insights performance events of the cluster are kept (the log group
    /// ECS would otherwise create unencrypted and never expiring; the metrics are kept apart).
    /// Default: 30.
    pub container_insights_retention_days: i64,
    /// Default: `None`, every service in the API's own stack set. `Some(n)`: the services in
    /// groups of `n`, in the order given, each group in a stack set of its own over the same
    /// regions, `<id>Services1`, `<id>Services2` …; the shared parts (network, cluster, ALBs and
    /// listeners, key, namespace) stay in `<id>`. A service costs about 30 resources, and a
    /// template takes at most 500, so a dozen services or more need this.
    ///
    /// The group of a service is its position: service `i` (from 0) is in group `i / n + 1`.
    /// Adding services at the end never moves one that is deployed; removing or inserting one
    /// before the end moves every later one to another stack, which replaces it (a new ECS
    /// service, target groups, listener rule; its log group is retained and a new one made).
    /// To retire a service from the middle without moving the others, keep its place (scale it
    /// to zero) or change `n` knowingly. Changing `n` moves services the same way.
    pub services_per_stack: Option<usize>,
}

impl ApiProps {
    /// Props with defaults: active-active, a NAT per zone in 3 zones, no interface endpoints, not
    /// fronted, namespace `internal.local`, flow logs kept a year, Container Insights events 30
    /// days, no services yet.
    pub fn new(regions: Vec<RegionSpec>, domain_name: &str, certificate: ApiCertificate) -> Self {
        ApiProps {
            regions,
            mode: DrMode::ActiveActive,
            domain_name: domain_name.to_owned(),
            certificate,
            services: Vec::new(),
            nat: NatMode::PerAz,
            azs: 3,
            az_counts: BTreeMap::new(),
            interface_endpoints: false,
            fronted_by_cloudfront: None,
            cloudfront_prefix_lists: BTreeMap::new(),
            namespace: "internal.local".to_owned(),
            flow_log_retention_days: 365,
            container_insights_retention_days: 30,
            services_per_stack: None,
        }
    }
}

/// The regional API: one stack set over every region.
#[derive(Clone)]
pub struct MultiRegionApi {
    stack: Stack,
    regions: Vec<RegionSpec>,
    /// The region's network.
    pub network: Network,
    /// The key of the log groups.
    pub key: KmsKey,
    /// The ECS cluster.
    pub cluster: Handle<ecs::Cluster>,
    /// The internet-facing ALB (when any service is public).
    pub public_alb: Option<Alb>,
    /// The internal ALB (when any service is internal).
    pub internal_alb: Option<Alb>,
    /// The Cloud Map namespace.
    pub namespace: Handle<sd::PrivateDnsNamespace>,
    /// The services, in the order given.
    pub services: Vec<Service>,
    /// The stack sets of the service groups (`<id>Services1` …), empty unless
    /// [`ApiProps::services_per_stack`] is set.
    service_stacks: Vec<Stack>,
    /// When fronted by CloudFront: the alarms that say this region cannot serve (no healthy
    /// target in the default public service's target group, one alarm per target group), which
    /// Route 53 health checks watch (see [`RegionalEndpoint::health_alarm_names`]). They are in
    /// that service's stack ([`Service::stack`]).
    pub health_alarms: Vec<Handle<cloudwatch::Alarm>>,
    health_check_path: String,
    domain_name: String,
}

impl std::fmt::Debug for MultiRegionApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultiRegionApi").field("stack", &self.stack.name()).field("regions", &self.regions).finish()
    }
}

/// Whether an ALB path pattern (`*` any characters, `?` one) matches `path`.
fn path_pattern_matches(pattern: &str, path: &str) -> bool {
    let (p, s): (Vec<char>, Vec<char>) = (pattern.chars().collect(), path.chars().collect());
    // Classic glob matching with one backtracking point for the last `*`.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < s.len() {
        if i < p.len() && (p[i] == '?' || p[i] == s[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(st) = star {
            i = st + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

fn int_region_value(stack: &Stack, key: &str, values: Vec<(String, i64)>) -> Value<i64> {
    Value::from_expr(stack.region_value(key, values.into_iter().map(|(r, v)| (r, Expr::from(v)))).into_expr())
}

impl MultiRegionApi {
    /// The API as a new stack set `id` of `app` over its regions (described
    /// `haplat MultiRegionApi <id>: …`), with the service groups' stack sets after it. Misuse (no region, no or two primaries, a
    /// repeated region, bad or overlapping CIDRs, an AZ count outside 2..=6, bad Fargate sizes,
    /// port clashes …) is reported as construct errors naming the path; synthesis fails with all
    /// of them.
    pub fn new_stack_set(app: &App, id: &str, props: ApiProps) -> MultiRegionApi {
        let names: Vec<String> = props.regions.iter().map(|r| r.region.clone()).collect();
        let stack = app.stack_set(id, &names);
        stack.set_description(format!("haplat MultiRegionApi {id}: the regional stack set ({})", names.join(", ")));

        // Regions.
        if props.regions.is_empty() {
            stack.error("a MultiRegionApi needs at least one region");
        }
        let primaries = props.regions.iter().filter(|r| r.role == RegionRole::Primary).count();
        if !props.regions.is_empty() && primaries != 1 {
            stack.error(format!(
                "exactly one region must be primary; {} are ({})",
                primaries,
                props
                    .regions
                    .iter()
                    .filter(|r| r.role == RegionRole::Primary)
                    .map(|r| r.region.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let mut seen = BTreeSet::new();
        for r in &props.regions {
            if !seen.insert(r.region.as_str()) {
                stack.error(format!("region {} is listed more than once", r.region));
            }
        }
        if props.services.is_empty() {
            stack.error("a MultiRegionApi needs at least one service");
        }
        let mut service_names = BTreeSet::new();
        for s in &props.services {
            if !service_names.insert(s.name.to_lowercase()) {
                stack.error(format!(
                    "service name {} is used twice (names are compared without case for Cloud Map)",
                    s.name
                ));
            }
        }

        // CIDRs: explicit ones checked, the others allocated around them.
        let explicit: Vec<Option<&str>> = props.regions.iter().map(|r| r.cidr.as_deref()).collect();
        let cidrs = match cidr::allocate(&explicit) {
            Ok(c) => c,
            Err(problems) => {
                for (i, why) in &problems {
                    stack.error(format!("region {}: {why}", props.regions[*i].region));
                }
                (0..props.regions.len())
                    .map(|i| format!("10.{}.0.0/16", i.min(255)).parse().expect("a valid CIDR"))
                    .collect()
            }
        };
        let azs = props.azs;
        let subnet_count = 2 * azs.clamp(2, 6);
        let cidr = stack
            .region_value("VpcCidr", props.regions.iter().zip(&cidrs).map(|(r, c)| (r.region.clone(), c.to_string())));
        let subnet_bits = int_region_value(
            &stack,
            "SubnetBits",
            props
                .regions
                .iter()
                .zip(&cidrs)
                .map(|(r, c)| (r.region.clone(), i64::from(cidr::subnet_bits(c, subnet_count))))
                .collect(),
        );
        stack.region_value("Role", props.regions.iter().map(|r| (r.region.clone(), r.role.as_str())));

        let key = KmsKey::new(&stack, "Key", &format!("Encrypts the logs of {id}"), &[KeyUser::CloudWatchLogs]);
        let network = Network::new(
            &stack,
            "Network",
            NetworkProps {
                cidr,
                subnet_bits,
                azs,
                az_counts: props.az_counts.clone(),
                nat: props.nat,
                interface_endpoints: props.interface_endpoints,
                flow_log_retention_days: props.flow_log_retention_days,
                key: key.clone(),
            },
        );

        // Container Insights writes its performance events to
        // /aws/ecs/containerinsights/<cluster>/performance, which ECS would create outside the
        // template: unencrypted, never expiring, left behind. The template makes it first, with
        // the logs key, a retention and Retain; so the cluster has a name known in advance, the
        // stack's own (unique per account and region), and is created after its log group.
        let cluster_name: Value<String> = Value::sub("${AWS::StackName}");
        let insights_logs = crate::logs::LogGroup::new(
            &stack,
            "ContainerInsightsLogGroup",
            LogGroupProps {
                name: Some(Value::sub("/aws/ecs/containerinsights/${AWS::StackName}/performance")),
                retention_days: props.container_insights_retention_days,
                key: &key,
            },
        )
        .handle;
        let cluster = stack.add(
            "Cluster",
            ecs::Cluster {
                cluster_name: Some(cluster_name),
                cluster_settings: Some(List::items(vec![ecs::cluster::ClusterSettings {
                    name: Some("containerInsights".into()),
                    value: Some("enabled".into()),
                }])),
                ..Default::default()
            },
        );
        stack.options(cluster).depends_on(insights_logs);
        let namespace = stack.add(
            "Namespace",
            sd::PrivateDnsNamespace {
                name: props.namespace.clone().into(),
                vpc: Some(network.vpc.ref_()),
                description: Some(format!("Service discovery of {id}").into()),
                ..Default::default()
            },
        );

        let certificate = match &props.certificate {
            ApiCertificate::Arns(arns) => Certificate::from_arns(&stack, arns),
            ApiCertificate::DnsValidated { zone } => Certificate::dns_validated(
                &stack,
                "Certificate",
                CertificateProps {
                    alternative_names: vec![Value::sub(format!("${{AWS::Region}}.{}", props.domain_name))],
                    ..CertificateProps::new(props.domain_name.clone(), zone)
                },
            ),
        };
        let certificate_arn = certificate.arn;

        // CloudFront fronting: the origin-facing prefix list of each region.
        let fronting = props.fronted_by_cloudfront.as_ref().map(|ov| {
            let mut ids = Vec::new();
            for r in &props.regions {
                match props.cloudfront_prefix_lists.get(&r.region).map(String::as_str).or_else(|| cloudfront_prefix_list(&r.region)) {
                    Some(id) => ids.push((r.region.clone(), id.to_owned())),
                    None => stack.error(format!(
                        "no CloudFront origin-facing prefix list id known for {}; give it in ApiProps::cloudfront_prefix_lists",
                        r.region
                    )),
                }
            }
            if ov.header_name.is_empty() || ov.secret_name.is_empty() {
                stack.error("the origin verify header name and secret name cannot be empty");
            }
            Fronting { origin_verify: ov.clone(), prefix_list_id: stack.region_value("CloudFrontPrefixList", ids) }
        });

        let make_alb = |id: &str, internal: bool| {
            let subnets = if internal { &network.private_subnets } else { &network.public_subnets };
            Alb::new(
                &stack,
                id,
                AlbProps {
                    vpc_id: network.vpc.ref_(),
                    vpc_cidr: network.cidr.clone(),
                    subnets: subnets.iter().map(|s| s.ref_()).collect(),
                    certificate_arn: certificate_arn.clone(),
                    internal,
                    fronting: if internal { None } else { fronting.clone() },
                },
            )
        };
        let public_alb = props.services.iter().any(|s| !s.internal).then(|| make_alb("PublicAlb", false));
        let internal_alb = props.services.iter().any(|s| s.internal).then(|| make_alb("InternalAlb", true));

        // Service groups: stack sets of their own over the same regions, which read the shared
        // parts of this stack (same-region bindings, a later wave) and are read by nothing here.
        let service_stacks: Vec<Stack> = match props.services_per_stack {
            None => Vec::new(),
            Some(0) => {
                stack.error("services_per_stack must be at least 1 (None keeps every service in this stack)");
                Vec::new()
            }
            Some(n) => (1..=props.services.len().div_ceil(n))
                .map(|k| {
                    let group = app.stack_set(&format!("{id}Services{k}"), &names);
                    let first = (k - 1) * n;
                    let members: Vec<&str> = props.services[first..(first + n).min(props.services.len())]
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect();
                    group.set_description(format!(
                        "haplat MultiRegionApi {id}: services group {k} ({})",
                        members.join(", ")
                    ));
                    group
                })
                .collect(),
        };
        let stack_of = |i: usize| match props.services_per_stack {
            Some(n) if n > 0 => &service_stacks[i / n],
            _ => &stack,
        };

        // The default public service (the one without path patterns, else the first public one)
        // answers the health checks.
        let public: Vec<usize> = (0..props.services.len()).filter(|&i| !props.services[i].internal).collect();
        let default_public =
            public.iter().copied().find(|&i| props.services[i].path_patterns.is_empty()).or(public.first().copied());
        let health_check_path =
            default_public.map(|i| props.services[i].health_check_path.clone()).unwrap_or_else(|| "/health".to_owned());
        // Not fronted, Route 53 requests that path over HTTPS from the public ALB itself: when the
        // default service has path patterns that miss it, the listener would answer its 404, so
        // the path joins the service's own listener rule (the rule blue/green deployments shift,
        // so the check follows the live target group). Fronted, Route 53 watches alarms instead.
        let mut routed = props.services.clone();
        if let (Some(i), None) = (default_public, &props.fronted_by_cloudfront) {
            let s = &mut routed[i];
            let path = s.health_check_path.split('?').next().unwrap_or_default().to_owned();
            if !s.path_patterns.is_empty() && !s.path_patterns.iter().any(|p| path_pattern_matches(p, &path)) {
                if s.path_patterns.len() >= 5 {
                    stack.error(format!(
                        "service {}: Route 53 checks its health path {path} on the public ALB, but none of its path patterns covers it and its listener rule has no room for a sixth; cover it with a pattern or add a catch-all service",
                        s.name
                    ));
                } else {
                    s.path_patterns.push(path);
                }
            }
        }

        let mut services = Vec::new();
        for (i, s) in routed.iter().enumerate() {
            let target = stack_of(i);
            let counts = |serving: u32, standby: u32| -> Vec<(String, i64)> {
                props
                    .regions
                    .iter()
                    .map(|r| {
                        let standby_region = props.mode == DrMode::ActivePassive && r.role == RegionRole::Secondary;
                        (r.region.clone(), i64::from(if standby_region { standby } else { serving }))
                    })
                    .collect()
            };
            let desired =
                int_region_value(target, &format!("{}DesiredCount", s.name), counts(s.desired_count, s.standby_count));
            let min = int_region_value(target, &format!("{}MinCount", s.name), counts(s.min_count, s.standby_count));
            let alb = if s.internal { internal_alb.as_ref() } else { public_alb.as_ref() }
                .expect("an ALB exists for every kind of service");
            services.push(Service::new(
                target,
                &s.name,
                s,
                &ServiceEnv {
                    network: &network,
                    cluster,
                    alb,
                    namespace_id: namespace.attr_id(),
                    key: &key,
                    desired,
                    min,
                },
            ));
        }
        // Service-to-service calls: each callee admits exactly its named callers.
        for (i, s) in props.services.iter().enumerate() {
            for caller in &s.callers {
                match props.services.iter().position(|c| &c.name == caller) {
                    Some(j) => services[i].allow_from(&services[j]),
                    None => services[i].scope().error(format!(
                        "caller {caller} is not a service of this API (services: {})",
                        props.services.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
                    )),
                }
            }
        }

        // Fronted by CloudFront, the load balancer admits only CloudFront with the secret header,
        // so Route 53's checkers cannot request the health path: they watch these alarms
        // instead. A plain metric alarm per target group (Route 53 accepts neither metric math
        // nor composite alarms), because blue/green deployments move the live tasks from one
        // target group to the other and back; the region is healthy while either has a target.
        let mut health_alarms = Vec::new();
        if props.fronted_by_cloudfront.is_some()
            && let Some(s) = default_public.map(|i| &services[i])
        {
            // Beside the service whose target groups they watch (its own stack, if split).
            let home = s.stack();
            let scope = home.child("RegionHealth");
            let groups = std::iter::once(("Targets", "", s.target_group))
                .chain(s.alternate_target_group.map(|a| ("AlternateTargets", "-alternate", a)));
            for (aid, suffix, tg) in groups {
                health_alarms.push(scope.add(
                        aid,
                        cloudwatch::Alarm {
                            alarm_name: Some(format!("{}-{}-no-healthy-targets{suffix}", home.name(), s.name).into()),
                            alarm_description: Some(
                                format!(
                                    "[critical] {}: no healthy target in the{} target group in this region; Route 53 takes the region out of DNS while no target group of it has one",
                                    s.name,
                                    if suffix.is_empty() { "" } else { " alternate" }
                                )
                                .into(),
                            ),
                            evaluation_periods: Some(2.into()),
                            threshold: Some(1.into()),
                            comparison_operator: Some(cloudwatch::alarm::ComparisonOperator::LessThanThreshold.into()),
                            treat_missing_data: Some(cloudwatch::alarm::TreatMissingData::Breaching.into()),
                            ..metric_alarm(
                                &MetricRef::new(
                                    "AWS/ApplicationELB",
                                    "HealthyHostCount",
                                    [
                                        ("LoadBalancer", s.load_balancer_full_name.clone()),
                                        ("TargetGroup", tg.attr_target_group_full_name()),
                                    ],
                                ),
                                cloudwatch::alarm::Statistic::Minimum,
                                60,
                            )
                        },
                    ));
            }
        }

        if let Some(verify) = &props.fronted_by_cloudfront {
            verify.bind(&stack);
        }
        MultiRegionApi {
            stack,
            regions: props.regions,
            network,
            key,
            cluster,
            public_alb,
            internal_alb,
            namespace,
            services,
            service_stacks,
            health_alarms,
            health_check_path,
            domain_name: props.domain_name,
        }
    }

    /// The stack set.
    pub fn stack(&self) -> &Stack {
        &self.stack
    }

    /// The stack sets of the service groups (`<id>Services1` …, see
    /// [`ApiProps::services_per_stack`]); empty when every service is in [`MultiRegionApi::stack`].
    pub fn service_stacks(&self) -> &[Stack] {
        &self.service_stacks
    }

    /// The stack the named service is in (its group's, or the API's own). Put what reads the
    /// service's values there: its alarms, SLOs, dashboards.
    pub fn service_stack(&self, name: &str) -> Option<Stack> {
        self.service(name).map(Service::stack)
    }

    /// The regions, as given.
    pub fn regions(&self) -> &[RegionSpec] {
        &self.regions
    }

    /// A service by name.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The public entry point of each region, pinned to its region so that a global stack
    /// (CloudFront, Route 53) can read it, with the region's [`MultiRegionApi::health_alarms`]
    /// when fronted by CloudFront. Empty when no service is public.
    pub fn endpoints(&self) -> Vec<RegionalEndpoint> {
        let Some(alb) = &self.public_alb else { return Vec::new() };
        self.regions
            .iter()
            .map(|r| RegionalEndpoint {
                region: r.region.clone(),
                role: r.role,
                dns_name: alb.load_balancer.attr_dns_name().in_region(&r.region),
                hosted_zone_id: alb.load_balancer.attr_canonical_hosted_zone_id().in_region(&r.region),
                health_check_path: self.health_check_path.clone(),
                domain_name: self.domain_name.clone(),
                health_alarm_names: self.health_alarms.iter().map(|a| a.ref_().in_region(&r.region)).collect(),
            })
            .collect()
    }

    /// The X-Ray names of the services that send traces, for
    /// [`TracingProps`] (empty when none does).
    pub fn traced_services(&self) -> Vec<String> {
        self.services.iter().filter(|s| s.xray).map(|s| s.name.clone()).collect()
    }

    /// The CloudWatch dimensions of every service (values of the stack set's own region). With
    /// service groups, each service's values live in its group's stack
    /// ([`MultiRegionApi::service_stack`]): read them there, since the group's stack already
    /// reads this one and a reference back would be a cycle.
    pub fn metrics(&self) -> Vec<ServiceMetrics> {
        self.services.iter().map(Service::metrics).collect()
    }

    /// The services in `stack` (the API's own or one of its service stacks).
    fn services_in(&self, stack: &Stack) -> Vec<&Service> {
        self.services.iter().filter(|s| s.stack().id() == stack.id()).collect()
    }

    /// The regional monitoring of the API as `id` in its stack, watching every service where
    /// it lives: the services of the API's stack join `props.services` and
    /// `props.tracing.services`, and each service stack gets their alarms, dashboard and X-Ray
    /// rules as `<stack>/<id>` ([`RegionalMonitoring::watch_services`], with the same thresholds,
    /// topic and sampling).
    pub fn monitor(&self, id: &str, mut props: RegionalMonitoringProps) -> ApiMonitoring {
        let tracing_of = |services: &[&Service], base: &TracingProps| TracingProps {
            services: base.services.iter().cloned().chain(traced(services)).collect(),
            ..base.clone()
        };
        let here = self.services_in(&self.stack);
        props.services.extend(here.iter().map(|s| s.metrics()));
        props.tracing = tracing_of(&here, &props.tracing);
        let empty = TracingProps { services: Vec::new(), ..props.tracing.clone() };
        let regional = RegionalMonitoring::new(&self.stack, id, props);
        let service_stacks = self
            .service_stacks
            .iter()
            .map(|stack| {
                let services = self.services_in(stack);
                let metrics: Vec<ServiceMetrics> = services.iter().map(|s| s.metrics()).collect();
                regional.watch_services(stack, id, &metrics, &tracing_of(&services, &empty))
            })
            .collect();
        ApiMonitoring { regional, service_stacks }
    }

    /// An availability SLO of `objective` percent per service (5xx over requests, summed over
    /// both target groups of a blue/green service), as `<service>Availability` in the service's
    /// stack, alarming to `actions`.
    pub fn availability_slos(&self, objective: f64, actions: &[Value<String>]) -> Vec<Slo> {
        self.services
            .iter()
            .map(|s| {
                let props = SloProps::new(objective, s.metrics().availability_sli()).with_actions(actions.to_vec());
                Slo::new(&s.stack(), &format!("{}Availability", s.name), props)
            })
            .collect()
    }

    /// The services as chaos experiment targets, in the order given.
    pub fn chaos_services(&self) -> Vec<ChaosService> {
        self.metrics()
            .into_iter()
            .map(|m| ChaosService { name: m.name, cluster_name: m.cluster_name, service_name: m.service_name })
            .collect()
    }

    /// Chaos experiments on every service and the network of the private subnets, as `id`:
    /// `props.services` and `props.private_subnet_ids` are the API's. They read every service,
    /// so with service stacks they go in a stack set of their own after them all,
    /// `<api id><id>` over the same regions; else in the API's stack.
    pub fn chaos(&self, id: &str, mut props: ChaosProps) -> ChaosExperiments {
        props.services = self.chaos_services();
        props.private_subnet_ids = self.network.private_subnets.iter().map(|s| s.ref_()).collect();
        let home = if self.service_stacks.is_empty() {
            self.stack.clone()
        } else {
            let regions: Vec<&str> = self.regions.iter().map(|r| r.region.as_str()).collect();
            self.stack.app().stack_set(&format!("{}{id}", self.stack.id()), &regions)
        };
        ChaosExperiments::new(&home, id, props)
    }
}

fn traced(services: &[&Service]) -> Vec<String> {
    services.iter().filter(|s| s.xray).map(|s| s.name.clone()).collect()
}

/// The monitoring of a [`MultiRegionApi`] ([`MultiRegionApi::monitor`]): the regional one in the
/// API's stack, and that of each service stack.
#[derive(Clone, Debug)]
pub struct ApiMonitoring {
    /// The regional monitoring (topic, table alarms, the API stack's services).
    pub regional: RegionalMonitoring,
    /// The monitoring of each service stack, in order.
    pub service_stacks: Vec<ServiceMonitoring>,
}

impl ApiMonitoring {
    /// The alarm topic's ARN.
    pub fn topic_arn(&self) -> Value<String> {
        self.regional.topic_arn()
    }

    /// The ARNs of every critical alarm: the service stacks' first, then the regional ones.
    pub fn critical_alarm_arns(&self) -> Vec<Value<String>> {
        self.service_stacks
            .iter()
            .flat_map(ServiceMonitoring::critical_alarm_arns)
            .chain(self.regional.critical_alarm_arns())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::path_pattern_matches as m;

    #[test]
    fn alb_path_patterns_match_like_the_alb() {
        assert!(m("/*", "/health"));
        assert!(m("/health", "/health"));
        assert!(m("/heal?h", "/health"));
        assert!(m("*/health*", "/api/health/deep"));
        assert!(!m("/orders/*", "/health"));
        assert!(!m("/health/*", "/health"));
        assert!(!m("/Health", "/health"));
    }
}
