//! The edge of the platform: a CloudFront distribution in front of the regional load balancers,
//! with its ACM certificate, a WAFv2 web ACL, access logs and the secret origin header that the
//! load balancers check.
//!
//! The parts, each in `edge/`: the certificate, a [`WebAcl`](crate::waf::WebAcl) with its logs
//! and the access log bucket (`logging.rs`), the origins and behaviors (`origins.rs`).
//!
//! - Active-active: one origin, the routed name `origin.<zone>` that [`FailoverDns`] serves with
//!   latency records.
//! - Active-passive: the routed name (failover records), plus an origin group of
//!   `<primary>.origin.<zone>` and `<secondary>.origin.<zone>` that fails over per request on
//!   500, 502, 503 and 504, serving the `read_only_paths` (GET, HEAD and OPTIONS). With several
//!   standbys the group's second origin is their latency set, `standby.origin.<zone>`, which
//!   [`FailoverDns`] answers with the nearest healthy standby (a CloudFront origin group holds
//!   exactly two origins), and whose name the API's certificate covers; the routed name fails
//!   over to the same set.
//!
//! Every behavior is HTTPS only, caches nothing and forwards every viewer header but `Host`;
//! viewers get TLS 1.2 at least, HTTP/2 and HTTP/3. The web ACL is a per-IP rate limit and the
//! managed rule groups of [`MANAGED_RULE_GROUPS`]. [`OriginSecret`] is the replicated secret of
//! the origin header; [`OriginSecret::bind`] orders a consumer stack after it. Why: see
//! `docs/decisions.md`, "The edge: origins and web ACL".
//!
//! [`FailoverDns`]: crate::dns::FailoverDns
//!
//! ```
//! use haplat_core::{App, Value};
//! use haplat_constructs::zone::HostedZone;
//! use haplat_constructs::edge::{EdgeDistribution, EdgeDistributionProps, OriginSecret, OriginSecretProps};
//! use haplat_constructs::{DrMode, RegionRole, RegionalEndpoint};
//!
//! let app = App::new("shop");
//! let shared = app.stack("Shared", "us-east-1");
//! let secret = OriginSecret::new(&shared, "OriginVerify", OriginSecretProps::new("shop/origin-verify", &["us-west-2"]));
//! let edge = app.stack("Edge", "us-east-1");
//! let endpoint = |region: &str, role| RegionalEndpoint {
//!     region: region.into(), role, dns_name: "alb.example".into(), hosted_zone_id: "Z1".into(),
//!     health_check_path: "/health".into(), domain_name: "origin.example.com".into(),
//!     health_check_id: None, api: None,
//! };
//! let mut props = EdgeDistributionProps::new(
//!     HostedZone::existing("Z0123456789", "example.com"),
//!     &["api.example.com"],
//!     vec![endpoint("us-east-1", RegionRole::Primary), endpoint("us-west-2", RegionRole::Secondary)],
//! );
//! props.mode = DrMode::ActivePassive;
//! props.read_only_paths = vec!["/catalog/*".into()];
//! props.origin_secret = Some(secret);
//! let cdn = EdgeDistribution::new(&edge, "Cdn", props);
//! let assembly = app.synth().unwrap();
//! // The edge waits for the stack of the secret.
//! assert!(assembly.manifest.waves.len() >= 2);
//! let t = assembly.template("shop-Edge").unwrap();
//! let d = t["Resources"].as_object().unwrap().values()
//!     .find(|r| r["Type"] == "AWS::CloudFront::Distribution").unwrap();
//! let config = &d["Properties"]["DistributionConfig"];
//! assert_eq!(config["ViewerCertificate"]["MinimumProtocolVersion"], "TLSv1.2_2021");
//! assert_eq!(config["OriginGroups"]["Quantity"], 1);
//! # let _ = cdn;
//! ```

mod logging;
mod origins;

use std::collections::BTreeMap;

use haplat_core::resources::cloudfront::distribution::{
    Distribution, DistributionConfig, HttpVersion, Logging, MinimumProtocolVersion, PriceClass, SslSupportMethod,
    ViewerCertificate,
};
use haplat_core::resources::cloudfront::function::{Function, FunctionConfig, Runtime};
use haplat_core::resources::cloudwatch::alarm::{Alarm, Statistic};
use haplat_core::resources::logs::log_group::LogGroup;
use haplat_core::resources::s3::bucket::Bucket;
use haplat_core::resources::secretsmanager::secret::{GenerateSecretString, ReplicaRegion, Secret};
use haplat_core::resources::shield::protection::Protection;
use haplat_core::resources::wafv2::web_acl::WebAcl;
use haplat_core::value::{List, Value};
use haplat_core::{Handle, Policy, Scope, Stack};

use crate::alarm::{AlarmSpec, Alarms, Runbook};
use crate::certificate::{Certificate, CertificateProps};
use crate::dns::origin_name;
use crate::kms::KmsKey;
use crate::logs::check_retention;
use crate::metrics::{MetricRef, Severity, expression, summed};
use crate::naming::pascal;
use crate::platform::{DrMode, EdgeFacts, OriginVerify, RegionRole, RegionalEndpoint, SecretFacts, SecretSource};
use crate::security::SecretRef;
use crate::waf::WebAclProps;
use crate::zone::{HostedZone, domain_problem};

pub use crate::waf::MANAGED_RULE_GROUPS;
pub use origins::{ALL_VIEWER_EXCEPT_HOST_HEADER, CACHING_DISABLED, SECURITY_HEADERS};

/// The origin secret's name and where it is replicated.
#[derive(Clone, Debug, PartialEq)]
pub struct OriginSecretProps {
    /// The secret's name, the same in every region (`shop/origin-verify`).
    pub name: String,
    /// Regions that get a replica (the stack's own region is left out if listed): every region
    /// of the API. us-east-1, where CloudFront resolves it, always has it.
    pub replica_regions: Vec<String>,
    /// Region → customer managed KMS key, for the primary and the replicas (see
    /// [`RegionalKeys`](crate::kms::RegionalKeys)). Default: none; the primary then gets a key
    /// of its own, and a replica without one uses `aws/secretsmanager`.
    pub keys: BTreeMap<String, Value<String>>,
    /// The header CloudFront sends. Default: `X-Origin-Verify`.
    pub header_name: String,
}

impl OriginSecretProps {
    /// The secret of this name, replicated to these regions.
    pub fn new<S: AsRef<str>>(name: &str, replica_regions: &[S]) -> Self {
        OriginSecretProps {
            name: name.to_owned(),
            replica_regions: replica_regions.iter().map(|r| r.as_ref().to_owned()).collect(),
            keys: BTreeMap::new(),
            header_name: "X-Origin-Verify".into(),
        }
    }
}

/// The secret value of the origin header (see the [module](self) docs).
#[derive(Clone, Debug)]
pub struct OriginSecret {
    /// The secret.
    pub secret: Handle<Secret>,
    /// Header name and secret name, for the load balancers and CloudFront.
    pub verify: OriginVerify,
    /// The key of the primary when the construct made one.
    pub key: Option<KmsKey>,
}

/// Where CloudFront takes its certificate, web ACL and dynamic references from.
const CLOUDFRONT_REGION: &str = "us-east-1";

impl OriginSecret {
    /// Adds the secret at `scope/id` (a single-region stack that deploys before the API).
    pub fn new(scope: &Scope, id: &str, props: OriginSecretProps) -> OriginSecret {
        let stack = scope.stack();
        let scope = scope.child(id);
        if stack.regions().len() != 1 {
            scope.error(
                "the origin secret is replicated by Secrets Manager; put it in a single-region stack, not a stack set",
            );
        }
        let home = stack.regions().first().cloned().unwrap_or_default();
        if let Some(why) = SecretRef::new(&props.name).name_problem() {
            scope.error(why);
        }
        if props.header_name.is_empty() || !props.header_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            scope.error(format!("header name {:?}: use letters, digits and hyphens", props.header_name));
        }
        let mut key = None;
        let kms_key_id = match props.keys.get(&home) {
            Some(k) => k.clone(),
            None => {
                let k = KmsKey::new(&scope, "Key", "Encrypts the CloudFront origin secret", &[]);
                let arn = k.arn();
                key = Some(k);
                arn
            }
        };
        // The distribution resolves the secret in us-east-1 (CloudFront's region), whatever the
        // API's regions: it is always there.
        let mut replicas: Vec<String> = props
            .replica_regions
            .iter()
            .cloned()
            .chain([CLOUDFRONT_REGION.to_owned()])
            .filter(|r| *r != home)
            .collect();
        replicas.sort();
        replicas.dedup();
        crate::platform::record(&stack.app(), |f| {
            f.secrets.push(SecretFacts {
                path: scope.path(),
                name: props.name.clone(),
                regions: std::iter::once(home.clone()).chain(replicas.iter().cloned()).collect(),
            });
        });
        let secret = scope.add(
            "Secret",
            Secret {
                name: Some(props.name.clone().into()),
                description: Some("The value of the header CloudFront sends to the regional load balancers".into()),
                kms_key_id: Some(kms_key_id),
                generate_secret_string: Some(GenerateSecretString {
                    password_length: Some(48.into()),
                    exclude_punctuation: Some(true.into()),
                    ..Default::default()
                }),
                replica_regions: (!replicas.is_empty()).then(|| {
                    List::items(
                        replicas
                            .iter()
                            .map(|r| ReplicaRegion { region: r.into(), kms_key_id: props.keys.get(r).cloned() })
                            .collect(),
                    )
                }),
                ..Default::default()
            },
        );
        // A random header value: nothing to keep. CloudFormation deletes a secret without a
        // recovery window, so its fixed name is free again for the next deploy (a retained one
        // would block it).
        scope.options(secret).deletion_policy(Policy::Delete);
        OriginSecret {
            secret,
            verify: OriginVerify {
                header_name: props.header_name.clone(),
                secret_name: props.name.clone(),
                source: Some(SecretSource { secret, output_id: format!("{}SecretArn", pascal(id)) }),
            },
            key,
        }
    }

    /// Makes `consumer` reference the secret (an output naming its ARN), so that the consumer
    /// deploys in a later wave than the secret's stack: call it for every stack that reads the
    /// secret through a dynamic reference (the API's stack set, the edge).
    pub fn bind(&self, consumer: &Stack) {
        self.verify.bind(consumer);
    }
}

/// What [`EdgeDistribution`] serves and how.
#[derive(Clone, Debug)]
pub struct EdgeDistributionProps {
    /// The zone of the viewers' names (for DNS validation of the certificate).
    pub zone: HostedZone,
    /// The names viewers use (given to [`EdgeDistributionProps::new`]).
    pub domain_names: Vec<String>,
    /// The regional endpoints (for the regions and their roles).
    pub endpoints: Vec<RegionalEndpoint>,
    /// Active-active or active-passive. Default: [`DrMode::ActiveActive`].
    pub mode: DrMode,
    /// The label of the routed origin name under the zone. Default: `origin`.
    pub origin_label: String,
    /// Path patterns served through the failover origin group in active-passive mode (GET, HEAD
    /// and OPTIONS only). Default: none.
    pub read_only_paths: Vec<String>,
    /// The secret origin header. Default: none (the origins get no header).
    pub origin_secret: Option<OriginSecret>,
    /// Requests per IP per 5 minutes over which WAF blocks. Default: 2000.
    pub rate_limit: i64,
    /// Let `AWSManagedRulesCommonRuleSet` block request bodies over 8 KB (its rule
    /// `SizeRestrictions_BODY`); when `false` that one rule only counts (see docs/decisions.md,
    /// "The edge: origins and web ACL"). Default: `false`.
    pub block_large_bodies: bool,
    /// Protect the distribution with Shield Advanced (needs a subscription). Default: `false`.
    pub shield_advanced: bool,
    /// Edge locations used. Default: `PriceClass_100` (North America and Europe).
    pub price_class: PriceClass,
    /// Days WAF logs are kept. Default: 365.
    pub waf_log_retention_days: i64,
    /// Days access logs are kept. Default: 365.
    pub access_log_retention_days: i64,
}

impl EdgeDistributionProps {
    /// The distribution answering on `domain_names` (names of `zone`, stated by the caller:
    /// haplat assumes none, so a shared zone's apex is never taken over by default) in front of
    /// `endpoints`: active-active, 2000 requests per IP per 5 minutes, North America and Europe
    /// edges, logs kept a year.
    pub fn new(zone: HostedZone, domain_names: &[&str], endpoints: Vec<RegionalEndpoint>) -> Self {
        let domain_names = domain_names.iter().map(|n| (*n).to_owned()).collect();
        EdgeDistributionProps {
            zone,
            domain_names,
            endpoints,
            mode: DrMode::ActiveActive,
            origin_label: "origin".into(),
            read_only_paths: Vec::new(),
            origin_secret: None,
            rate_limit: 2000,
            block_large_bodies: false,
            shield_advanced: false,
            price_class: PriceClass::PriceClass100,
            waf_log_retention_days: 365,
            access_log_retention_days: 365,
        }
    }
}

/// CloudFront, WAF, certificate and logs (see the [module](self) docs).
#[derive(Clone, Debug)]
pub struct EdgeDistribution {
    /// The distribution.
    pub distribution: Handle<Distribution>,
    /// Its certificate.
    pub certificate: Certificate,
    /// The web ACL.
    pub web_acl: Handle<WebAcl>,
    /// The WAF log group.
    pub waf_logs: Handle<LogGroup>,
    /// The access log bucket.
    pub access_logs: Handle<Bucket>,
    /// The Shield Advanced protection, when asked for.
    pub shield: Option<Handle<Protection>>,
    /// The web ACL's metric name (the `WebACL` dimension of its `AWS/WAFV2` metrics).
    pub waf_metric_name: String,
}

/// The edge's alarms ([`EdgeDistribution::alarms`]).
#[derive(Clone, Debug)]
pub struct EdgeAlarms {
    /// Paging: more than the threshold of viewers' responses are 5xx.
    pub error_rate: Handle<Alarm>,
    /// For working hours: WAF blocks an unusual share of requests (an attack, or a managed
    /// rule refusing legitimate traffic).
    pub blocked_rate: Handle<Alarm>,
}

impl EdgeDistribution {
    /// Adds the distribution and its parts under `scope.child(id)` (a us-east-1 stack): the
    /// certificate, the web ACL and its logs, the access log bucket, the distribution over the
    /// origins and, when asked for, its Shield Advanced protection.
    pub fn new(scope: &Scope, id: &str, props: EdgeDistributionProps) -> EdgeDistribution {
        let stack = scope.stack();
        let scope = scope.child(id);
        let failover = check(&scope, &stack, &props);
        let routed_name = origin_name(&props.zone.name, &props.origin_label);
        for e in &props.endpoints {
            if let Some(why) = e.origin_problem(&routed_name) {
                scope.error(why);
            }
        }

        let certificate = certificate(&scope, &props);
        let waf_metric_name = format!("{}WebAcl", pascal(id));
        let web_acl = crate::waf::WebAcl::new(
            &scope,
            "WebAcl",
            WebAclProps {
                rate_limit: props.rate_limit,
                // See the field's docs.
                counted_rules: if props.block_large_bodies {
                    Vec::new()
                } else {
                    vec![("AWSManagedRulesCommonRuleSet".into(), "SizeRestrictions_BODY".into())]
                },
                ..WebAclProps::new(&waf_metric_name, "Managed rule groups and a per-IP rate limit in front of the API")
            },
        );
        let waf_logs = logging::waf_logs(&scope, id, &web_acl, props.waf_log_retention_days);
        let access_logs = logging::access_log_bucket(&scope, "AccessLogs", props.access_log_retention_days);

        let verify = props.origin_secret.as_ref().map(|s| {
            s.bind(&stack);
            &s.verify
        });
        let has_failover = failover.is_some();
        let standbys = props.endpoints.iter().filter(|e| e.role == RegionRole::Secondary).count() > 1;
        let failover = failover.map(|(primary, secondary)| origins::Failover {
            primary,
            secondary,
            standbys,
            read_only_paths: &props.read_only_paths,
        });
        let probes = (!props.endpoints.is_empty()).then(|| origins::Probes {
            regions: props.endpoints.iter().map(|e| e.region.as_str()).collect(),
            probe_function: probe_function(&scope, &stack),
        });
        let o = origins::origins(&routed_name, verify, failover, probes);
        let distribution = scope.add(
            "Distribution",
            Distribution {
                distribution_config: DistributionConfig {
                    enabled: true.into(),
                    comment: Some(format!("{} API edge ({})", props.zone.name, mode_name(props.mode)).into()),
                    aliases: Some(List::items(props.domain_names.iter().map(Value::from).collect())),
                    origins: Some(List::items(o.origins)),
                    origin_groups: o.groups,
                    default_cache_behavior: o.default_behavior,
                    cache_behaviors: (!o.behaviors.is_empty()).then(|| List::items(o.behaviors)),
                    viewer_certificate: Some(ViewerCertificate {
                        acm_certificate_arn: Some(certificate.arn.clone()),
                        minimum_protocol_version: Some(MinimumProtocolVersion::TlSv122021.into()),
                        ssl_support_method: Some(SslSupportMethod::SniOnly.into()),
                        ..Default::default()
                    }),
                    http_version: Some(HttpVersion::Http2and3.into()),
                    ipv6_enabled: Some(true.into()),
                    price_class: Some(props.price_class.clone().into()),
                    web_acl_id: Some(web_acl.arn()),
                    logging: Some(Logging {
                        bucket: Some(access_logs.attr_domain_name()),
                        prefix: Some("cloudfront/".into()),
                        include_cookies: Some(false.into()),
                    }),
                    ..Default::default()
                },
                tags: None,
            },
        );
        crate::platform::record(&stack.app(), |f| {
            f.edges.push(EdgeFacts {
                path: scope.path(),
                mode: props.mode,
                secret: props.origin_secret.as_ref().map(|s| s.verify.secret_name.clone()),
                endpoints: props.endpoints.clone(),
                domain: distribution.attr_domain_name(),
                names: props.domain_names.clone(),
            });
        });
        let options = scope.options(distribution);
        options.suppress(
            "CT.CLOUDFRONT.PR.1",
            "an API distribution: every path goes to the API origin, so there is no root object to serve",
        );
        if !has_failover {
            options.suppress(
                "CT.CLOUDFRONT.PR.4",
                "active-active: every region serves behind one latency-routed origin name whose Route 53 health \
                 checks take a failed region out; an origin group would pin one region as the primary",
            );
        }
        let shield = props.shield_advanced.then(|| {
            let protection = scope.add(
                "Shield",
                Protection {
                    name: format!("{}-{id}", stack.name()).into(),
                    resource_arn: Value::sub_with(
                        "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}",
                        [("Distribution", distribution.ref_())],
                    ),
                    ..Default::default()
                },
            );
            scope.options(protection).suppress(
                "HAP010",
                "an account prerequisite, not a template choice: `haplat deploy` runs `haplat doctor` first, which \
                 refuses without an active Shield Advanced subscription",
            );
            protection
        });
        EdgeDistribution {
            distribution,
            certificate,
            web_acl: web_acl.handle,
            waf_logs: waf_logs.handle,
            access_logs,
            shield,
            waf_metric_name,
        }
    }

    /// Adds the edge's alarms under `scope.child(id)` (in a us-east-1 stack: CloudFront and WAF
    /// publish a distribution's metrics there), notifying `actions`: critical when more than
    /// `error_rate_percent` of responses are 5xx for 3 of 5 minutes (CloudFront's
    /// `5xxErrorRate`, every region and the edge's own errors together), warning when WAF
    /// blocks more than `blocked_percent` of requests for 5 minutes.
    pub fn alarms(
        &self,
        scope: &Scope,
        id: &str,
        actions: &[Value<String>],
        error_rate_percent: f64,
        blocked_percent: f64,
    ) -> EdgeAlarms {
        let scope = scope.child(id);
        for (what, percent) in [("error rate", error_rate_percent), ("blocked rate", blocked_percent)] {
            if !(percent > 0.0 && percent <= 100.0) {
                scope.error(format!("the {what} of {percent}% it alarms above must be above 0 and at most 100"));
            }
        }
        let mut alarms = Alarms { actions: actions.to_vec(), critical: Vec::new(), warning: Vec::new() };
        let errors = MetricRef::new(
            "AWS/CloudFront",
            "5xxErrorRate",
            [("DistributionId", self.distribution.ref_()), ("Region", "Global".into())],
        );
        let error_rate = alarms.add(
            &scope,
            AlarmSpec {
                id: "ErrorRate".into(),
                description: format!(
                    "more than {error_rate_percent}% of the edge's responses are 5xx: a region failing behind it or \
                     the origins unreachable"
                ),
                severity: Severity::Critical,
                metrics: vec![],
                single: Some((&errors, Statistic::Average)),
                threshold: error_rate_percent,
                periods: 5,
                datapoints: 3,
                runbook: Some(Runbook::RegionDown),
            },
            None,
        );
        let waf = |name: &str| {
            MetricRef::new("AWS/WAFV2", name, [("WebACL", self.waf_metric_name.clone().into()), ("Rule", "ALL".into())])
        };
        let (mut metrics, blocked) = summed("blocked", &[waf("BlockedRequests")], "Sum", 60);
        let (allowed_q, allowed) = summed("allowed", &[waf("AllowedRequests")], "Sum", 60);
        metrics.extend(allowed_q);
        let all = format!("({} + {})", blocked.filled, allowed.filled);
        metrics.push(expression(
            "rate",
            &format!("IF({all} > 0, 100 * {} / {all}, 0)", blocked.filled),
            "Requests WAF blocks (%)",
        ));
        let blocked_rate = alarms.add(
            &scope,
            AlarmSpec {
                id: "BlockedRate".into(),
                description: format!(
                    "WAF blocks more than {blocked_percent}% of the edge's requests: an attack, or a managed rule \
                     refusing legitimate traffic"
                ),
                severity: Severity::Warning,
                metrics,
                single: None,
                threshold: blocked_percent,
                periods: 5,
                datapoints: 5,
                runbook: Some(Runbook::WafEmergency),
            },
            None,
        );
        EdgeAlarms { error_rate, blocked_rate }
    }

    /// The distribution's domain name (`d111111abcdef8.cloudfront.net`), for alias records.
    pub fn domain_name(&self) -> Value<String> {
        self.distribution.attr_domain_name()
    }
}

/// The function that strips the probe prefix (see [`origins::probe_function_code`]), published.
fn probe_function(scope: &Scope, stack: &Stack) -> Value<String> {
    let name = format!("{}-probe", stack.name());
    if name.len() > 64 {
        scope.error(format!(
            "the probe routes' CloudFront Function would be named {name:?}, over CloudFront's 64 characters: \
             shorten the app or stack name"
        ));
    }
    let function = scope.add(
        "ProbeRewrite",
        Function {
            name: name.into(),
            auto_publish: Some(true.into()),
            function_code: origins::probe_function_code().into(),
            function_config: FunctionConfig {
                comment: "Route 53 region probes: strips /_haplat/probe/<region>".into(),
                runtime: Runtime::CloudfrontJs20.into(),
                ..Default::default()
            },
            tags: None,
        },
    );
    function.attr_function_arn()
}

fn mode_name(mode: DrMode) -> &'static str {
    match mode {
        DrMode::ActiveActive => "active-active",
        DrMode::ActivePassive => "active-passive",
    }
}

/// Reports misuse of `props` at `scope`; the primary and secondary endpoints when the mode is
/// active-passive and both exist.
fn check<'a>(
    scope: &Scope,
    stack: &Stack,
    props: &'a EdgeDistributionProps,
) -> Option<(&'a RegionalEndpoint, &'a RegionalEndpoint)> {
    if stack.regions() != ["us-east-1"] {
        scope.error(format!(
            "CloudFront takes its certificate and web ACL from us-east-1, but stack {} is deployed to {}; put EdgeDistribution in a us-east-1 stack",
            stack.id(),
            stack.regions().join(", ")
        ));
    }
    let primary = props.endpoints.iter().find(|e| e.role == RegionRole::Primary);
    let secondary = props.endpoints.iter().find(|e| e.role == RegionRole::Secondary);
    if props.endpoints.is_empty() {
        scope.error("no regional endpoints to serve");
    }
    if primary.is_none() && !props.endpoints.is_empty() {
        scope.error("no primary region among the endpoints; mark exactly one RegionRole::Primary");
    }
    if props.mode == DrMode::ActivePassive && secondary.is_none() {
        scope.error(format!(
            "failover (DrMode::ActivePassive) asked over an API in {} region(s) with no secondary; add a secondary region or use DrMode::ActiveActive",
            props.endpoints.len()
        ));
    }
    if props.mode == DrMode::ActiveActive && !props.read_only_paths.is_empty() {
        scope.error("read_only_paths are for the failover origin group of DrMode::ActivePassive");
    }
    if props.domain_names.is_empty() {
        scope.error("a distribution needs at least one domain name: name them in EdgeDistributionProps::new (haplat assumes none, not even the zone's apex)");
    }
    for name in &props.domain_names {
        if let Some(why) = domain_problem(name) {
            scope.error(why);
        } else if name != &props.zone.name && !name.ends_with(&format!(".{}", props.zone.name)) {
            scope.error(format!(
                "{name} is not in the zone {}, so its certificate cannot be validated there",
                props.zone.name
            ));
        }
    }
    check_retention(scope, props.waf_log_retention_days);
    if props.access_log_retention_days < 1 {
        scope.error(format!(
            "access log retention of {} days: the bucket's lifecycle expires logs after 1 day or more",
            props.access_log_retention_days
        ));
    }
    let regions: Vec<&str> = props.endpoints.iter().map(|e| e.region.as_str()).collect();
    for problem in haplat_core::validate::region_list_problems("endpoints", &regions) {
        scope.error(problem);
    }
    for path in &props.read_only_paths {
        if path.is_empty() || path.chars().count() > 255 {
            scope.error(format!(
                "read_only_paths: a path pattern of {} characters; CloudFront takes 1 to 255",
                path.chars().count()
            ));
        }
    }
    match (props.mode, primary, secondary) {
        (DrMode::ActivePassive, Some(p), Some(s)) => Some((p, s)),
        _ => None,
    }
}

/// The distribution's certificate (`Certificate`), validated by DNS in the zone.
fn certificate(scope: &Scope, props: &EdgeDistributionProps) -> Certificate {
    let mut names = props.domain_names.iter().map(Value::from);
    let mut cert = CertificateProps::new(names.next().unwrap_or_default(), &props.zone);
    cert.alternative_names = names.collect();
    Certificate::dns_validated(scope, "Certificate", cert)
}
