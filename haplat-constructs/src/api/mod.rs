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
//! // Autoscaling keeps at least two tasks in the primary, one in the standby region.
//! assert_eq!(config["us-east-1"]["OrdersMinCount"], 2);
//! assert_eq!(config["eu-west-1"]["OrdersMinCount"], 1);
//! ```

mod regions;
mod services;
mod shared;

pub use services::PART_METADATA;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use haplat_core::resources::{cloudwatch, ecs, servicediscovery as sd};
use haplat_core::value::Value;
use haplat_core::{App, Handle, Stack};

use crate::alarm::Runbook;
use crate::canary::Canaries;
use crate::chaos::{ChaosExperiments, ChaosProps, ChaosService};
use crate::health_check::{HealthCheck, HealthCheckProps, HealthSignals};
use crate::kms::{KeyUser, KmsKey};
use crate::load_balancer::Alb;
use crate::metrics::ServiceMetrics;
use crate::monitoring::{RegionalMonitoring, RegionalMonitoringProps, ServiceMonitoring, TracingProps};
use crate::network::{NatMode, Network, NetworkProps};
use crate::platform::{ApiFacts, DrMode, OriginVerify, RegionSpec, RegionalEndpoint};
use crate::service::{Service, ServiceProps};
use crate::slo::{Slo, SloProps};
use crate::zone::HostedZone;

/// The TLS certificate of the regional ALBs.
///
/// A created certificate covers the API's domain and `<region>.<domain>` (see
/// docs/decisions.md, "Regional ALB certificates").
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
    /// The name the API answers on (its ALBs' certificate names it and `<region>.<name>`).
    /// Fronted by CloudFront, it is the edge's origin name, `<origin label>.<zone>`
    /// (`origin.example.com`), which [`FailoverDns`](crate::dns::FailoverDns) routes to the
    /// regions; not fronted, the name clients use (`api.example.com`).
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
    /// Fronted by CloudFront, a name of the distribution (one of its aliases, or its
    /// `cloudfront.net` name): each region's Route 53 health check then also requests the default
    /// public service's health path through it ([`PROBE_PREFIX`](crate::platform::PROBE_PREFIX)),
    /// every 10 s, which takes a failed region out of DNS in about 90 s where the target-group
    /// alarms alone take about 5 minutes (docs/availability.md). Default: `None`, alarms only.
    pub edge_probe_domain: Option<String>,
    /// CloudFront origin-facing prefix list ids for regions missing from
    /// [`crate::load_balancer::CLOUDFRONT_PREFIX_LISTS`] (`region → pl-…`). Default: none.
    pub cloudfront_prefix_lists: BTreeMap<String, String>,
    /// The Cloud Map private DNS namespace: `<service>.<namespace>` resolves to the service's
    /// tasks, which admit connections only from the services named in its
    /// [`ServiceProps::callers`] (and their ALB), on the container port. Default:
    /// `internal.local`.
    pub namespace: String,
    /// Services call each other through ECS Service Connect: an HTTP namespace in each region
    /// (`ConnectNamespace`, named after the stack, the cluster's Service Connect default), every
    /// service a client of it and its port published as `http://<name>:<port>`, with
    /// [`ServiceProps::connect_timeouts`]. Callers are still only the declared
    /// [`ServiceProps::callers`] (security groups); the internal ALB stays for callers outside
    /// ECS. Needs ECS deployments (rolling or ECS blue/green; HAP034). Default: `false`.
    pub service_connect: bool,
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
    /// CloudWatch Synthetics canaries in every region ([`crate::canary`]), which need
    /// [`ApiProps::edge_probe_domain`]: `Origin` requests the default public service's health
    /// path through the edge's route to this region and its alarm is a child of the region's
    /// health check (what Route 53 follows); `Public` requests it on the public name, as users
    /// do, and feeds an SLO ([`MultiRegionApi::availability_slos`]) and the stop condition of the
    /// region-isolation experiment ([`MultiRegionApi::chaos`]). Beside the region's health
    /// check ([`MultiRegionApi::region_health_check`]). Each costs a run a minute (Synthetics
    /// bills per run). Default: `false`.
    pub canaries: bool,
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
            edge_probe_domain: None,
            cloudfront_prefix_lists: BTreeMap::new(),
            namespace: "internal.local".to_owned(),
            service_connect: false,
            flow_log_retention_days: 365,
            container_insights_retention_days: 30,
            services_per_stack: None,
            canaries: false,
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
    /// The Service Connect namespace ([`ApiProps::service_connect`]).
    pub connect_namespace: Option<Handle<sd::HttpNamespace>>,
    /// The services, in the order given.
    pub services: Vec<Service>,
    /// The stack sets of the service groups (`<id>Services1` …), empty unless
    /// [`ApiProps::services_per_stack`] is set.
    service_stacks: Vec<Stack>,
    /// When fronted by CloudFront: the alarms that say a service cannot serve in this region (no
    /// healthy target in a target group; one per target group of every service), each in its
    /// service's stack ([`Service::stack`]).
    pub health_alarms: Vec<Handle<cloudwatch::Alarm>>,
    /// When fronted by CloudFront: the region's Route 53 health check over `health_alarms`
    /// (`RegionHealth/Check`, a calculated check healthy while every service has a target group
    /// with a healthy target; see [`RegionalEndpoint::health_check_id`]), in the API's stack, or
    /// with service stacks in a stack set `<id>Health` of its own after them.
    pub region_health_check: Option<HealthCheck>,
    /// What [`MultiRegionApi::watch_in_region_health`] adds to.
    region_health: Option<Rc<RefCell<services::RegionHealth>>>,
    /// The canaries ([`ApiProps::canaries`]): `Origin` first, then `Public`.
    pub canaries: Option<Canaries>,
    /// The stack of the canaries and the region's health check.
    health_stack: Option<Stack>,
    /// The path Route 53 requests (the default public service's probed path).
    health_check_path: String,
    domain_name: String,
    mode: DrMode,
    /// The name of the origin secret the load balancers require.
    origin_lock: Option<String>,
}

impl std::fmt::Debug for MultiRegionApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultiRegionApi").field("stack", &self.stack.name()).field("regions", &self.regions).finish()
    }
}

impl MultiRegionApi {
    /// The API as a new stack set `id` of `app` over its regions (described
    /// `haplat MultiRegionApi <id>: …`), with the service groups' stack sets after it. Misuse
    /// (no region, no or two primaries, a repeated region, bad or overlapping CIDRs, an AZ count
    /// outside 2..=6, bad Fargate sizes, port clashes …) is reported as construct errors naming
    /// the path; synthesis fails with all of them.
    pub fn new_stack_set(app: &App, id: &str, props: ApiProps) -> MultiRegionApi {
        let names: Vec<String> = props.regions.iter().map(|r| r.region.clone()).collect();
        let stack = app.stack_set(id, &names);
        stack.set_description(format!("haplat MultiRegionApi {id}: the regional stack set ({})", names.join(", ")));
        regions::check(&stack, &props);
        let (cidr, subnet_bits) = regions::network_values(&stack, &props);
        let zone_ids = crate::network::zone_id_values(&stack, &props.regions, props.azs);

        let key = KmsKey::new(&stack, "Key", &format!("Encrypts the logs of {id}"), &[KeyUser::CloudWatchLogs]);
        let network = Network::new(
            &stack,
            "Network",
            NetworkProps {
                cidr,
                subnet_bits,
                azs: props.azs,
                az_counts: props.az_counts.clone(),
                zone_ids,
                nat: props.nat,
                interface_endpoints: props.interface_endpoints,
                flow_log_retention_days: props.flow_log_retention_days,
                key: key.clone(),
            },
        );
        let connect_namespace = props.service_connect.then(|| shared::connect_namespace(&stack, id));
        let cluster = shared::cluster(&stack, &key, &props, connect_namespace);
        let namespace = shared::namespace(&stack, id, &props, &network);
        let certificate_arn = shared::certificate(&stack, &props);
        let fronting = shared::fronting(&stack, &props);
        let (public_alb, internal_alb) = shared::albs(&stack, &props, &network, &certificate_arn, fronting.as_ref());
        shared::internal_alb_record(&stack, &props, internal_alb.as_ref());

        let service_stacks = services::stacks(app, id, &names, &stack, &props);
        let plan = services::plan(&stack, &props);
        let probe = services::probe(&stack, &props, &plan.probe_path);
        let service_probes = services::service_probes(&props, &plan);
        let shared = services::Shared {
            network: &network,
            key: &key,
            cluster,
            namespace,
            connect_namespace,
            public_alb: public_alb.as_ref(),
            internal_alb: internal_alb.as_ref(),
        };
        let services = services::services(&stack, &service_stacks, &props, &plan.routed, &shared);
        services::connect_callers(&props, &services);
        let health_alarms = services::health_alarms(&props, &services);
        let health_stack =
            (!health_alarms.is_empty()).then(|| services::after_services(&stack, &service_stacks, "Health"));
        let health_check_path = plan.probe_path;
        let canaries = services::canaries(&stack, health_stack.as_ref(), &props, &health_check_path);
        let region_health = services::region_health_check(
            health_stack.as_ref(),
            services::Watches {
                alarms: health_alarms.clone(),
                services: services.len(),
                probe: probe.map(|p| (plan.default_public.unwrap_or_default(), p)),
                service_probes,
                canary: canaries.as_ref().map(|c| c.alarms[0]),
            },
        );
        let region_health_check = region_health.as_ref().map(|h| h.check);

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
            connect_namespace,
            services,
            service_stacks,
            health_alarms: health_alarms.into_iter().map(|(_, a)| a).collect(),
            region_health_check,
            region_health: region_health.map(|h| Rc::new(RefCell::new(h))),
            canaries,
            health_stack,
            health_check_path,
            domain_name: props.domain_name,
            mode: props.mode,
            origin_lock: props.fronted_by_cloudfront.map(|v| v.secret_name),
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
    /// (CloudFront, Route 53) can read it, with the region's
    /// [`MultiRegionApi::region_health_check`] when fronted by CloudFront. Empty when no service is public.
    pub fn endpoints(&self) -> Vec<RegionalEndpoint> {
        let Some(alb) = &self.public_alb else { return Vec::new() };
        let api = ApiFacts {
            path: self.stack.path(),
            mode: self.mode,
            origin_lock: self.origin_lock.clone(),
            regions: self.regions.iter().map(|r| r.region.clone()).collect(),
        };
        self.regions
            .iter()
            .map(|r| RegionalEndpoint {
                region: r.region.clone(),
                role: r.role,
                dns_name: alb.load_balancer.attr_dns_name().in_region(&r.region),
                hosted_zone_id: alb.load_balancer.attr_canonical_hosted_zone_id().in_region(&r.region),
                health_check_path: self.health_check_path.clone(),
                domain_name: self.domain_name.clone(),
                health_check_id: self.region_health_check.map(|h| h.id().in_region(&r.region)),
                api: Some(api.clone()),
            })
            .collect()
    }

    /// The path patterns of the read-only services ([`ServiceProps::read_only`]): what an
    /// [`EdgeDistribution`](crate::edge::EdgeDistribution) in active-passive mode may serve through
    /// its failover origin group (`read_only_paths`).
    pub fn read_only_paths(&self) -> Vec<String> {
        self.services.iter().flat_map(|s| s.read_only_paths.iter().cloned()).collect()
    }

    /// The X-Ray names of the services that send traces, for
    /// [`TracingProps`] (empty when none does).
    pub fn traced_services(&self) -> Vec<String> {
        self.services.iter().filter(|s| s.xray).map(|s| s.name.clone()).collect()
    }

    /// The CloudWatch dimensions of every load-balanced service (a Cloud-Map-only one has no ALB
    /// metrics, see [`Service::metrics`]; values of the stack set's own region). With
    /// service groups, each service's values live in its group's stack
    /// ([`MultiRegionApi::service_stack`]): read them there, since the group's stack already
    /// reads this one and a reference back would be a cycle.
    pub fn metrics(&self) -> Vec<ServiceMetrics> {
        self.services.iter().filter_map(Service::metrics).collect()
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
        props.services.extend(here.iter().filter_map(|s| s.metrics()));
        props.load_balancers = self.public_alb.iter().chain(&self.internal_alb).map(Alb::full_name).collect();
        props.ecs_clusters = vec![self.cluster.ref_()];
        props.tracing = tracing_of(&here, &props.tracing);
        let empty = TracingProps { services: Vec::new(), ..props.tracing.clone() };
        let regional = RegionalMonitoring::new(&self.stack, id, props);
        let service_stacks = self
            .service_stacks
            .iter()
            .map(|stack| {
                let services = self.services_in(stack);
                let metrics: Vec<ServiceMetrics> = services.iter().filter_map(|s| s.metrics()).collect();
                regional.watch_services(stack, id, &metrics, &tracing_of(&services, &empty))
            })
            .collect();
        ApiMonitoring { regional, service_stacks }
    }

    /// An availability SLO of `objective` percent per service (5xx over requests: summed over
    /// both target groups of a blue/green service; for a Cloud-Map-only one, its calls as its
    /// callers' Service Connect proxies count them, [`Service::connect_availability_sli`], none
    /// without Service Connect), as `<service>Availability` in the service's
    /// stack, and one of the public load balancer, its own 5xx included
    /// ([`load_balancer_availability_sli`](crate::metrics::load_balancer_availability_sli)), as
    /// `PublicAlbAvailability` in the API's stack (first in the list), all alarming to `actions`.
    pub fn availability_slos(&self, objective: f64, actions: &[Value<String>]) -> Vec<Slo> {
        let entry = self.public_alb.as_ref().map(|alb| {
            let sli =
                crate::metrics::load_balancer_availability_sli(&[alb.load_balancer.attr_load_balancer_full_name()]);
            let props = SloProps::new(objective, sli).with_actions(actions.to_vec()).with_runbook(Runbook::RegionDown);
            Slo::new(&self.stack, "PublicAlbAvailability", props)
        });
        // The public canary sees what users see, the edge and DNS included.
        let canary = self.public_canary_slo(objective, actions);
        entry
            .into_iter()
            .chain(self.services.iter().filter_map(|s| {
                let sli = s.metrics().map(|m| m.availability_sli()).or_else(|| s.connect_availability_sli())?;
                let props = SloProps::new(objective, sli).with_actions(actions.to_vec());
                Some(Slo::new(&s.stack(), &format!("{}Availability", s.name), props))
            }))
            .chain(canary)
            .collect()
    }

    /// The SLO of the public canary ([`ApiProps::canaries`]), `PublicCanaryAvailability` beside
    /// it: failed runs over all runs.
    fn public_canary_slo(&self, objective: f64, actions: &[Value<String>]) -> Option<Slo> {
        let (canaries, home) = (self.canaries.as_ref()?, self.health_stack.as_ref()?);
        let public = canaries.canaries.get(1)?;
        let metric =
            crate::metrics::MetricRef::new("CloudWatchSynthetics", "SuccessPercent", [("CanaryName", public.ref_())]);
        let props = SloProps::new(objective, crate::metrics::Sli::Success { metric })
            .with_actions(actions.to_vec())
            .with_runbook(Runbook::RegionDown);
        Some(Slo::new(home, "PublicCanaryAvailability", props))
    }

    /// A latency SLO of the public load balancer, as `PublicAlbLatency` in the API's stack: at
    /// least `objective` percent of requests answered within `threshold_ms` (its targets'
    /// `TargetResponseTime`, every service together), alarming to `actions`. None without a
    /// public load balancer.
    pub fn latency_slo(&self, objective: f64, threshold_ms: f64, actions: &[Value<String>]) -> Option<Slo> {
        let alb = self.public_alb.as_ref()?;
        let metric = crate::metrics::MetricRef::new(
            "AWS/ApplicationELB",
            "TargetResponseTime",
            [("LoadBalancer", alb.load_balancer.attr_load_balancer_full_name())],
        );
        let sli = crate::metrics::Sli::Latency {
            metrics: vec![metric],
            threshold_ms,
            unit: crate::metrics::TimeUnit::Seconds,
        };
        let props = SloProps::new(objective, sli).with_actions(actions.to_vec()).with_runbook(Runbook::RegionDown);
        Some(Slo::new(&self.stack, "PublicAlbLatency", props))
    }

    /// A latency SLO of `objective` percent per service (for a Cloud-Map-only one, its calls as
    /// its callers' Service Connect proxies time them, [`Service::connect_latency_sli`]; none
    /// without Service Connect), as `<service>Latency` in the service's stack: at least `objective`
    /// percent of its requests answered within `threshold_ms`, from its own target groups'
    /// `TargetResponseTime` (the slower of a blue/green service's two groups,
    /// [`ServiceMetrics::latency_sli`]), alarming to `actions`. Beside
    /// [`MultiRegionApi::latency_slo`], which sees every service of the load balancer together:
    /// a slow service with little traffic is lost in that one.
    pub fn service_latency_slos(&self, objective: f64, threshold_ms: f64, actions: &[Value<String>]) -> Vec<Slo> {
        self.services
            .iter()
            .filter_map(|s| {
                let sli =
                    s.metrics().map(|m| m.latency_sli(threshold_ms)).or_else(|| s.connect_latency_sli(threshold_ms))?;
                let props = SloProps::new(objective, sli).with_actions(actions.to_vec());
                Some(Slo::new(&s.stack(), &format!("{}Latency", s.name), props))
            })
            .collect()
    }

    /// Makes the region's health ([`MultiRegionApi::region_health_check`], what Route 53 and the
    /// edge follow) also depend on another tier of the region, such as the WebSocket API
    /// ([`RealtimeApi::health_signals`](crate::websocket::RealtimeApi::health_signals)): a check
    /// per alarm of `signals` and one per other check, under `<health stack>/<id>`, each a child
    /// of the calculated check, which then needs them healthy too. The alarms are plain metric
    /// alarms of the API's stack (or the health stack); the checks are not calculated ones (a
    /// calculated check cannot have calculated children).
    ///
    /// An error when the API has no region health check (not fronted by CloudFront: Route 53
    /// then checks each load balancer directly, and another tier has records of its own).
    pub fn watch_in_region_health(&self, id: &str, signals: &HealthSignals) {
        let (Some(health), Some(home)) = (&self.region_health, &self.health_stack) else {
            self.stack.error(format!(
                "{id}: the region's health check exists only when the API is fronted by CloudFront \
                 (fronted_by_cloudfront)"
            ));
            return;
        };
        let scope = home.child(id);
        // The tier is one part of the region: its checks fail together when it fails alone.
        let mut added: Vec<Value<String>> = signals
            .alarms
            .iter()
            .enumerate()
            .map(|(i, a)| services::part_check(&scope, &format!("AlarmCheck{i}"), services::alarm_check_props(a), id))
            .collect();
        for (i, c) in signals.checks.iter().enumerate() {
            if matches!(c, HealthCheckProps::Calculated { .. } | HealthCheckProps::Alarms { .. }) {
                scope.error(format!(
                    "check {i}: give alarms as alarms; a calculated check cannot be the child of the region's"
                ));
                continue;
            }
            added.push(services::part_check(&scope, &format!("Check{i}"), c.clone(), id));
        }
        if added.is_empty() {
            return;
        }
        let mut h = health.borrow_mut();
        // A check on one alarm becomes a calculated one over that alarm's check and the new ones.
        if let Some((part, one)) = h.single.take() {
            let first = services::part_check(&h.scope, "AlarmCheck0", services::alarm_check_props(&one), &part);
            h.children = vec![first];
            h.needed = 1;
        }
        h.needed += added.len();
        h.children.extend(added);
        let config = crate::health_check::calculated(h.children.clone(), h.needed);
        h.scope.update(h.check.handle, |r| *r = config);
    }

    /// The load-balanced services as chaos experiment targets, in the order given, each stopped by its own
    /// critical alarms in `monitoring`.
    pub fn chaos_services(&self, monitoring: &ApiMonitoring) -> Vec<ChaosService> {
        self.metrics()
            .iter()
            .map(|m| ChaosService { stop_alarm_arns: monitoring.service_critical_alarm_arns(&m.name), ..m.into() })
            .collect()
    }

    /// Chaos experiments on every service and the network of the private subnets, as `id`:
    /// `props.services`, `props.private_subnet_ids` and (with a public load balancer, for the
    /// ALB-isolation experiment) `props.public_subnet_ids` are the API's, each service stopped by
    /// its critical alarms in `monitoring`, the network experiment by the error-rate alarm of the
    /// API's load balancers there, the region-isolation experiment (when
    /// [`ChaosProps::region_isolation`] is asked) by the public canary's alarm
    /// ([`ApiProps::canaries`]), and all by `props.stop_alarm_arns`. They read every service,
    /// so with service stacks they go in a stack set of their own after them all,
    /// `<api id><id>` over the same regions; else in the API's stack.
    pub fn chaos(&self, id: &str, monitoring: &ApiMonitoring, mut props: ChaosProps) -> ChaosExperiments {
        props.services = self.chaos_services(monitoring);
        props.network_stop_alarm_arns = monitoring.regional.load_balancer_alarm.iter().map(|a| a.attr_arn()).collect();
        props.private_subnet_ids = self.network.private_subnets.iter().map(|s| s.ref_()).collect();
        if self.public_alb.is_some() {
            props.public_subnet_ids = self.network.public_subnets.iter().map(|s| s.ref_()).collect();
        }
        if props.region_isolation
            && let Some(public) = self.canaries.as_ref().and_then(|c| c.alarms.get(1))
        {
            props.region_isolation_stop_alarm_arns.push(public.attr_arn());
        }
        let home = services::after_services(&self.stack, &self.service_stacks, id);
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

    /// The ARNs of the critical alarms of the service named `service` (none for an unknown name).
    pub fn service_critical_alarm_arns(&self, service: &str) -> Vec<Value<String>> {
        std::iter::once(&self.regional.service_critical_alarms)
            .chain(self.service_stacks.iter().map(|s| &s.service_critical_alarms))
            .filter_map(|by_name| by_name.get(service))
            .flatten()
            .map(|a| a.attr_arn())
            .collect()
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
