//! [`ApiMonitoring`]: the monitoring of a [`MultiRegionApi`], each part in the stack that may
//! read what it watches: the [`RegionalMonitoring`] of the API's stack (topic, the alarms and
//! dashboard of its services and tables, X-Ray), the alarms of each service group in the group's
//! stack ([`RegionalMonitoring::watch_services`]), and an availability [`Slo`] per service in the
//! service's stack. Why a service's watchers live in its stack: see `docs/decisions.md`,
//! "Services in stacks of their own".
//!
//! ```
//! use haplat_core::App;
//! use haplat_constructs::api::{ApiCertificate, ApiProps, MultiRegionApi};
//! use haplat_constructs::api_monitoring::{ApiMonitoring, ApiMonitoringProps};
//! use haplat_constructs::service::ServiceProps;
//! use haplat_constructs::RegionSpec;
//!
//! let app = App::new("shop");
//! let mut carts = ServiceProps::new("Carts", "public.ecr.aws/nginx/nginx:1.27", 8080);
//! carts.path_patterns = vec!["/carts/*".into()];
//! let api = MultiRegionApi::new(&app, "Api", ApiProps {
//!     services: vec![ServiceProps::new("Orders", "public.ecr.aws/nginx/nginx:1.27", 8080), carts],
//!     services_per_stack: Some(1),
//!     ..ApiProps::new(
//!         vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("eu-west-1")],
//!         "api.example.com",
//!         ApiCertificate::DnsValidated { hosted_zone_id: "Z0123456789ABCDEFGHIJ".into() },
//!     )
//! });
//! let mut props = ApiMonitoringProps::new();
//! props.availability_slo_percent = Some(99.9);
//! let monitoring = ApiMonitoring::new(&api, "Monitoring", props);
//! // Each service group's alarms are in its own stack.
//! assert_eq!(monitoring.service_groups.len(), 2);
//! assert_eq!(monitoring.slos.len(), 2);
//! app.synth().unwrap();
//! ```

use haplat_core::value::Value;

use crate::api::MultiRegionApi;
use crate::metrics::{ServiceMetrics, TableMetrics};
use crate::monitoring::{
    RegionalMonitoring, RegionalMonitoringProps, Sampling, ServiceMonitoring, Thresholds, TracingProps,
};
use crate::service::Service;
use crate::slo::{Slo, SloProps};

/// What [`ApiMonitoring`] watches besides the API's services, and whom it tells.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiMonitoringProps {
    /// Email addresses subscribed to the alarm topic. Default: none.
    pub alarm_emails: Vec<String>,
    /// Tables whose replicas live in the API's regions. Default: none.
    pub tables: Vec<TableMetrics>,
    /// The alarms' thresholds. Default: [`Thresholds::default`].
    pub thresholds: Thresholds,
    /// The X-Ray sampling rule of each traced service (those with `xray`); `None` leaves X-Ray's
    /// default rule in charge. Default: [`Sampling::default`].
    pub sampling: Option<Sampling>,
    /// The availability objective of every service, percent of non-5xx responses: an [`Slo`]
    /// per service paging through the topic. Default: `None`, no SLO.
    pub availability_slo_percent: Option<f64>,
}

impl ApiMonitoringProps {
    /// The defaults of every field.
    pub fn new() -> Self {
        ApiMonitoringProps {
            alarm_emails: Vec::new(),
            tables: Vec::new(),
            thresholds: Thresholds::default(),
            sampling: Some(Sampling::default()),
            availability_slo_percent: None,
        }
    }
}

impl Default for ApiMonitoringProps {
    fn default() -> Self {
        ApiMonitoringProps::new()
    }
}

/// The monitoring of an API over its stacks (see the [module](self) docs).
#[derive(Clone, Debug)]
pub struct ApiMonitoring {
    /// The monitoring of the API's stack (topic, alarms, dashboard, X-Ray).
    pub regional: RegionalMonitoring,
    /// The monitoring of each service group, in the order of
    /// [`MultiRegionApi::service_stacks`].
    pub service_groups: Vec<ServiceMonitoring>,
    /// The availability SLO of each service, in the API's order.
    pub slos: Vec<Slo>,
}

impl ApiMonitoring {
    /// Adds the monitoring of `api` as `<stack>/id` in the API's stack and in each of its
    /// service stacks, and the SLOs as `<service stack>/<Service>Availability`.
    pub fn new(api: &MultiRegionApi, id: &str, props: ApiMonitoringProps) -> ApiMonitoring {
        let in_stack = |stack: &haplat_core::Stack| -> Vec<&Service> {
            api.services.iter().filter(|s| s.stack().id() == stack.id()).collect()
        };
        let metrics = |services: &[&Service]| -> Vec<ServiceMetrics> { services.iter().map(|s| s.metrics()).collect() };
        let tracing = |services: &[&Service]| TracingProps {
            sampling: props.sampling.clone(),
            ..TracingProps::new(&services.iter().filter(|s| s.xray).map(|s| s.name.clone()).collect::<Vec<_>>())
        };
        let regions: Vec<&str> = api.regions().iter().map(|r| r.region.as_str()).collect();
        let own = in_stack(api.stack());
        let regional = RegionalMonitoring::new(
            api.stack(),
            id,
            RegionalMonitoringProps {
                alarm_emails: props.alarm_emails.clone(),
                services: metrics(&own),
                tables: props.tables.clone(),
                thresholds: props.thresholds.clone(),
                tracing: tracing(&own),
                ..RegionalMonitoringProps::new(&regions)
            },
        );
        let service_groups = api
            .service_stacks()
            .iter()
            .map(|stack| {
                let services = in_stack(stack);
                regional.watch_services(stack, id, &metrics(&services), &tracing(&services))
            })
            .collect();
        let slos = match props.availability_slo_percent {
            None => Vec::new(),
            Some(objective) => api
                .services
                .iter()
                .map(|s| {
                    let slo = SloProps::new(objective, s.metrics().availability_sli())
                        .with_actions(vec![regional.topic_arn()]);
                    Slo::new(&s.stack(), &format!("{}Availability", s.name), slo)
                })
                .collect(),
        };
        ApiMonitoring { regional, service_groups, slos }
    }

    /// The ARNs of the critical alarms, the service groups' first, then the API stack's (stop
    /// conditions of chaos experiments).
    pub fn critical_alarm_arns(&self) -> Vec<Value<String>> {
        let mut arns: Vec<Value<String>> =
            self.service_groups.iter().flat_map(ServiceMonitoring::critical_alarm_arns).collect();
        arns.extend(self.regional.critical_alarm_arns());
        arns
    }

    /// The alarm topic's ARN (in the API's stack).
    pub fn topic_arn(&self) -> Value<String> {
        self.regional.topic_arn()
    }
}
