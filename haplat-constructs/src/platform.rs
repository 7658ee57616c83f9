//! The vocabulary the constructs share: regions and their roles, the disaster-recovery mode,
//! and what a regional API exposes to the global constructs (CloudFront, Route 53, monitoring).

use haplat_core::resources::cloudwatch::alarm::Alarm;
use haplat_core::resources::secretsmanager::Secret;
use haplat_core::value::{Expr, RefTarget};
use haplat_core::{App, Handle, Stack, Value};

/// The role of a region in the platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum RegionRole {
    /// Serves traffic; the home of global tables, and the region traffic fails over from.
    Primary,
    /// Serves traffic too (active-active), or stands by scaled down (active-passive).
    Secondary,
}

impl RegionRole {
    /// `primary` or `secondary`.
    pub fn as_str(self) -> &'static str {
        match self {
            RegionRole::Primary => "primary",
            RegionRole::Secondary => "secondary",
        }
    }
}

/// How the regions share traffic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum DrMode {
    /// Every region serves; Route 53 latency records and a latency-routed origin.
    #[default]
    ActiveActive,
    /// The primary serves; secondaries stand by scaled down; Route 53 failover records and a
    /// CloudFront origin group that fails over on 5xx. Cheaper.
    ActivePassive,
}

/// One region of the platform.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct RegionSpec {
    /// The AWS region (`us-east-1`).
    pub region: String,
    /// Its role.
    pub role: RegionRole,
    /// The VPC CIDR (`10.1.0.0/16`); when left out (`None`), one is allocated without overlap.
    #[cfg_attr(feature = "serde", serde(default))]
    pub cidr: Option<String>,
    /// The availability zone IDs (`use1-az1`) the subnets go to, one per zone the network
    /// uses, in order. Zone IDs name the same physical zone in every account, unlike zone
    /// names, so the zones can be chosen where Fargate and the interface endpoints run
    /// (`AvailabilityZoneId` on each subnet). Empty: the first zones of `Fn::GetAZs`, whose
    /// zone IDs `haplat doctor` checks in the account. Give them for every region of a stack
    /// set or for none.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub zone_ids: Vec<String>,
}

impl RegionSpec {
    /// The primary region.
    pub fn primary(region: &str) -> Self {
        RegionSpec { region: region.to_owned(), role: RegionRole::Primary, cidr: None, zone_ids: Vec::new() }
    }

    /// A secondary region.
    pub fn secondary(region: &str) -> Self {
        RegionSpec { region: region.to_owned(), role: RegionRole::Secondary, cidr: None, zone_ids: Vec::new() }
    }

    /// With an explicit VPC CIDR.
    #[must_use]
    pub fn with_cidr(mut self, cidr: &str) -> Self {
        self.cidr = Some(cidr.to_owned());
        self
    }

    /// With the availability zone IDs of its subnets (`["use1-az1", "use1-az2", "use1-az4"]`).
    #[must_use]
    pub fn with_zone_ids(mut self, ids: &[&str]) -> Self {
        self.zone_ids = ids.iter().map(|s| (*s).to_owned()).collect();
        self
    }
}

/// What one region's public entry point looks like to the global constructs. Values are
/// pinned to their region (`Value::in_region`), so a us-east-1 stack can read them.
#[derive(Clone, Debug)]
pub struct RegionalEndpoint {
    /// The region.
    pub region: String,
    /// Its role.
    pub role: RegionRole,
    /// The load balancer's DNS name.
    pub dns_name: Value<String>,
    /// The load balancer's canonical hosted zone id (for Route 53 alias records).
    pub hosted_zone_id: Value<String>,
    /// The path health checks request.
    pub health_check_path: String,
    /// The API's domain name (`origin.example.com`): the load balancer's certificate covers it
    /// and `<region>.<domain_name>`, so CloudFront and Route 53 must address the region by
    /// these names (the edge constructs check it).
    pub domain_name: String,
    /// The id of a Route 53 health check, made in the region's own stack, that says whether the
    /// region can serve, pinned to the region like the other values: a CloudFront-fronted load
    /// balancer refuses Route 53's checkers, so the API follows CloudWatch alarms on its
    /// services' healthy targets instead ([`MultiRegionApi::region_health_check`](crate::api::MultiRegionApi::region_health_check)).
    /// `None`: the DNS makes an HTTPS check of `health_check_path`.
    pub health_check_id: Option<Value<String>>,
    /// What the API that exposes this endpoint states, for the checks across constructs
    /// ([`disagreements`]): set by [`MultiRegionApi::endpoints`](crate::api::MultiRegionApi::endpoints).
    /// `None` for an endpoint made by hand, which those checks leave alone.
    pub api: Option<ApiFacts>,
}

/// What an API states that the constructs in front of it must agree with (see [`disagreements`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiFacts {
    /// The API's construct path (`Api`).
    pub path: String,
    /// Its disaster-recovery mode.
    pub mode: DrMode,
    /// The name of the origin secret its load balancers require
    /// ([`ApiProps::fronted_by_cloudfront`](crate::api::ApiProps::fronted_by_cloudfront)); `None`
    /// when they admit anyone.
    pub origin_lock: Option<String>,
    /// Every region of the API, in order.
    pub regions: Vec<String>,
}

impl RegionalEndpoint {
    /// Why CloudFront or Route 53 cannot call this endpoint as `origin` and
    /// `<region>.<origin>`: its load balancer's certificate covers only
    /// [`RegionalEndpoint::domain_name`] and `<region>.<domain_name>`, so TLS to any other
    /// name fails (a 502 from CloudFront, a failing HTTPS health check).
    ///
    /// ```
    /// use haplat_constructs::{RegionRole, RegionalEndpoint};
    /// let e = RegionalEndpoint {
    ///     region: "us-east-1".into(), role: RegionRole::Primary, dns_name: "alb".into(),
    ///     hosted_zone_id: "Z1".into(), health_check_path: "/health".into(),
    ///     domain_name: "api.example.com".into(), health_check_id: None, api: None,
    /// };
    /// assert!(e.origin_problem("api.example.com").is_none());
    /// assert!(e.origin_problem("origin.example.com").unwrap().contains("api.example.com"));
    /// ```
    pub fn origin_problem(&self, origin: &str) -> Option<String> {
        (origin != self.domain_name).then(|| {
            format!(
                "the load balancer of {r} has a certificate for {d} and {r}.{d}, but would be called as \
                    {origin} and {r}.{origin}; give the API the domain name {origin}, or choose the origin \
                    label that makes the origin {d}",
                r = self.region,
                d = self.domain_name
            )
        })
    }
}

/// The path prefix of the edge's region probes: `https://<edge name>/_haplat/probe/<region><path>`
/// reaches `<path>` on that region's origin ([`EdgeDistribution`](crate::edge::EdgeDistribution)
/// adds the route), so a Route 53 check can request a region through CloudFront, which its
/// origin lock admits (docs/availability.md).
pub const PROBE_PREFIX: &str = "/_haplat/probe/";

/// The secret header CloudFront adds to every origin request and the regional load balancers
/// require: the second lock (after the CloudFront origin-facing prefix list) that keeps a
/// fronted API closed to everyone but the distribution.
///
/// The edge constructs create the secret (a random string, replicated to every region of the
/// API) and send its value as the `header_name` header; the load balancers forward only
/// requests whose header equals the secret, read at deploy time through a Secrets Manager
/// dynamic reference (`{{resolve:secretsmanager:<secret_name>}}`) so the value never appears
/// in a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginVerify {
    /// The header CloudFront sends (`X-Origin-Verify`).
    pub header_name: String,
    /// The name of the Secrets Manager secret holding the header's value, the same in every
    /// region (replicas keep the name).
    pub secret_name: String,
    /// The secret resource when haplat made it (`edge::OriginSecret` sets it): whoever takes
    /// this `OriginVerify` binds to it ([`OriginVerify::bind`]). Default: `None`, a secret
    /// made outside the app.
    pub source: Option<SecretSource>,
}

/// The secret of an [`OriginVerify`] made in this app, and the id of the output by which a
/// stack that reads it names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretSource {
    /// The secret.
    pub secret: Handle<Secret>,
    /// The id of the output (`OriginVerifySecretArn`).
    pub output_id: String,
}

impl OriginVerify {
    /// The header `X-Origin-Verify` with the value of the named secret.
    pub fn new(secret_name: impl Into<String>) -> Self {
        OriginVerify { header_name: "X-Origin-Verify".to_owned(), secret_name: secret_name.into(), source: None }
    }

    /// Makes `consumer` reference the secret of [`OriginVerify::source`] (an output naming its
    /// ARN), so that the consumer deploys in a later wave than the secret's stack; nothing when
    /// the secret is not made in this app or lives in `consumer` itself. The constructs that
    /// take an `OriginVerify` call it for their stack.
    pub fn bind(&self, consumer: &Stack) {
        let Some(source) = &self.source else { return };
        let path = consumer.path_of(source.secret);
        if path.split('/').next() == Some(consumer.id().as_str()) {
            return;
        }
        consumer.add_output(
            &source.output_id,
            source.secret.ref_(),
            "The origin secret this stack reads (the reference orders the deploy waves)",
        );
    }

    /// The dynamic reference that resolves to the secret's value at deploy time.
    ///
    /// ```
    /// use haplat_constructs::platform::OriginVerify;
    /// let ov = OriginVerify::new("shop/origin-verify");
    /// assert_eq!(ov.header_name, "X-Origin-Verify");
    /// assert_eq!(ov.dynamic_reference(), "{{resolve:secretsmanager:shop/origin-verify}}");
    /// ```
    pub fn dynamic_reference(&self) -> String {
        format!("{{{{resolve:secretsmanager:{}}}}}", self.secret_name)
    }
}

/// One problem between constructs that each look right alone: where it is (`path`) and what is
/// wrong, naming the other constructs' paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disagreement {
    /// The construct path the problem is reported at.
    pub path: String,
    /// What is wrong, naming the other constructs, and what would be right.
    pub message: String,
}

/// What the edge, DNS and origin-secret constructs state, kept per app
/// ([`App::extension`]) for [`disagreements`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Facts {
    pub edges: Vec<EdgeFacts>,
    pub dns: Vec<DnsFacts>,
    pub secrets: Vec<SecretFacts>,
}

/// An [`EdgeDistribution`](crate::edge::EdgeDistribution).
#[derive(Clone, Debug)]
pub(crate) struct EdgeFacts {
    pub path: String,
    pub mode: DrMode,
    /// The name of the origin secret it sends.
    pub secret: Option<String>,
    pub endpoints: Vec<RegionalEndpoint>,
    /// The distribution's domain name, to know the DNS that aliases it.
    pub domain: Value<String>,
    /// The viewers' names.
    pub names: Vec<String>,
}

/// A [`FailoverDns`](crate::dns::FailoverDns).
#[derive(Clone, Debug)]
pub(crate) struct DnsFacts {
    pub path: String,
    /// The mode its records follow; `None` with weighted routing, which follows none.
    pub mode: Option<DrMode>,
    pub endpoints: Vec<RegionalEndpoint>,
    pub distribution: Option<Value<String>>,
    pub aliased: Vec<String>,
}

/// An [`OriginSecret`](crate::edge::OriginSecret).
#[derive(Clone, Debug)]
pub(crate) struct SecretFacts {
    pub path: String,
    pub name: String,
    /// Its home region and every replica's.
    pub regions: Vec<String>,
}

/// Records what a construct states for the checks across constructs, which synthesis then runs
/// once over the whole app.
pub(crate) fn record(app: &App, f: impl FnOnce(&mut Facts)) {
    f(&mut app.extension::<Facts>().borrow_mut());
    app.add_check("haplat-constructs: platform disagreements", report);
}

/// Reports every [`disagreements`] of `app` as a synthesis error at its path.
fn report(app: &App) {
    for d in disagreements(app) {
        app.error_at(&d.path, d.message);
    }
}

/// The problems between the constructs of `app` that each look right alone, all of them; synthesis
/// reports them as errors at their paths (the constructs that state these facts add the check):
///
/// - an edge sending an origin secret to an API not locked to that secret
///   ([`ApiProps::fronted_by_cloudfront`](crate::api::ApiProps::fronted_by_cloudfront)), or an API
///   locked to a secret the edge in front of it does not send;
/// - disaster-recovery modes that differ between the API, the edge and the DNS over it;
/// - a region of an API that neither a record nor an origin routes to, when DNS or an edge is in
///   front of it;
/// - an alarm notifying an SNS topic of another region (CloudWatch notifies only topics of the
///   alarm's own region);
/// - viewer names aliased to a distribution that does not serve them, or served but aliased by
///   none (state them, the same, in both: haplat takes no name, not the apex nor `www`, by itself);
/// - an origin secret required in regions it is not replicated to.
pub fn disagreements(app: &App) -> Vec<Disagreement> {
    let facts = app.extension::<Facts>().borrow().clone();
    let mut out = Vec::new();
    let mut say = |path: &str, message: String| out.push(Disagreement { path: path.to_owned(), message });
    for edge in &facts.edges {
        for api in apis_of(&edge.endpoints) {
            match (&edge.secret, &api.origin_lock) {
                (Some(secret), None) => say(
                    &edge.path,
                    format!(
                        "sends the origin secret {secret} to the API {}, which is not locked to it: anyone can call \
                         its load balancers directly; set ApiProps::fronted_by_cloudfront to the secret's verify",
                        api.path
                    ),
                ),
                (Some(secret), Some(lock)) if secret != lock => say(
                    &edge.path,
                    format!(
                        "sends the origin secret {secret}, but the API {} requires {lock}: every request would be \
                         refused; give both the same OriginSecret",
                        api.path
                    ),
                ),
                (None, Some(lock)) => say(
                    &edge.path,
                    format!(
                        "sends no origin secret, but the API {} admits only requests carrying {lock}: every request \
                         would be refused; set EdgeDistributionProps::origin_secret",
                        api.path
                    ),
                ),
                _ => {}
            }
            if api.mode != edge.mode {
                say(&edge.path, mode_problem("the edge", edge.mode, api));
            }
        }
    }
    for dns in &facts.dns {
        for api in apis_of(&dns.endpoints) {
            if let Some(mode) = dns.mode
                && mode != api.mode
            {
                say(&dns.path, mode_problem("the DNS", mode, api));
            }
        }
        let Some(domain) = &dns.distribution else { continue };
        for edge in facts.edges.iter().filter(|e| &e.domain == domain) {
            if let Some(mode) = dns.mode
                && mode != edge.mode
            {
                say(
                    &dns.path,
                    format!(
                        "routes {} while the edge {} in front of it is {}; state one DrMode for both",
                        mode_name(mode),
                        edge.path,
                        mode_name(edge.mode)
                    ),
                );
            }
            for name in dns.aliased.iter().filter(|n| !edge.names.contains(n)) {
                say(
                    &dns.path,
                    format!(
                        "aliases {name} to the distribution {}, which does not serve it (its names: {}): viewers \
                         would get a CloudFront error; state the viewer names, the same, in both",
                        edge.path,
                        edge.names.join(", ")
                    ),
                );
            }
            for name in edge.names.iter().filter(|n| !dns.aliased.contains(n)) {
                say(
                    &edge.path,
                    format!(
                        "serves {name}, but the DNS {} over it aliases only {}: nothing sends viewers there; state \
                         the viewer names, the same, in both",
                        dns.path,
                        if dns.aliased.is_empty() { "nothing".to_owned() } else { dns.aliased.join(", ") }
                    ),
                );
            }
        }
    }
    // Regions nothing routes to.
    let fronts =
        facts.edges.iter().map(|e| (&e.path, &e.endpoints)).chain(facts.dns.iter().map(|d| (&d.path, &d.endpoints)));
    let mut apis: Vec<(&ApiFacts, Vec<&String>, Vec<&str>)> = Vec::new();
    for (path, endpoints) in fronts {
        for e in endpoints {
            let Some(api) = &e.api else { continue };
            let i = match apis.iter().position(|(a, ..)| a.path == api.path) {
                Some(i) => i,
                None => {
                    apis.push((api, Vec::new(), Vec::new()));
                    apis.len() - 1
                }
            };
            if !apis[i].1.contains(&path) {
                apis[i].1.push(path);
            }
            apis[i].2.push(e.region.as_str());
        }
    }
    for (api, fronts, routed) in apis {
        let missing: Vec<&str> = api.regions.iter().map(String::as_str).filter(|r| !routed.contains(r)).collect();
        if !missing.is_empty() {
            let fronts: Vec<&str> = fronts.iter().map(|p| p.as_str()).collect();
            say(
                &api.path,
                format!(
                    "{} would get no traffic: no record or origin of {} routes to it; give them every endpoint of \
                     the API (MultiRegionApi::endpoints)",
                    missing.join(", "),
                    fronts.join(", ")
                ),
            );
        }
    }
    // The origin secret where it is required.
    for edge in &facts.edges {
        let Some(name) = &edge.secret else { continue };
        let Some(secret) = facts.secrets.iter().find(|s| &s.name == name) else { continue };
        for api in apis_of(&edge.endpoints) {
            let missing: Vec<&str> =
                api.regions.iter().map(String::as_str).filter(|r| !secret.regions.iter().any(|s| s == r)).collect();
            if !missing.is_empty() {
                say(
                    &secret.path,
                    format!(
                        "is not replicated to {}, where the API {} requires it: its load balancers there could not \
                         read it; add the regions to OriginSecretProps::replica_regions",
                        missing.join(", "),
                        api.path
                    ),
                );
            }
        }
    }
    out.extend(alarm_actions_elsewhere(app));
    out
}

/// The APIs behind `endpoints`, each once.
fn apis_of(endpoints: &[RegionalEndpoint]) -> Vec<&ApiFacts> {
    let mut apis: Vec<&ApiFacts> = Vec::new();
    for api in endpoints.iter().filter_map(|e| e.api.as_ref()) {
        if !apis.iter().any(|a| a.path == api.path) {
            apis.push(api);
        }
    }
    apis
}

fn mode_problem(what: &str, mode: DrMode, api: &ApiFacts) -> String {
    format!(
        "{what} is {} but the API {} behind it is {}; state one DrMode for the API, the edge and the DNS",
        mode_name(mode),
        api.path,
        mode_name(api.mode)
    )
}

/// `active-active` or `active-passive`.
pub(crate) fn mode_name(mode: DrMode) -> &'static str {
    match mode {
        DrMode::ActiveActive => "active-active",
        DrMode::ActivePassive => "active-passive",
    }
}

/// Alarms whose actions name an SNS topic of another region than the alarm's.
fn alarm_actions_elsewhere(app: &App) -> Vec<Disagreement> {
    let mut out = Vec::new();
    for alarm in app.resources::<Alarm>() {
        let regions = app.regions_of(alarm);
        let actions = app.read(alarm, |a| {
            let list = |l: &Option<haplat_core::value::List<Value<String>>>| {
                l.iter().map(|v| v.expr().clone()).collect::<Vec<_>>()
            };
            [list(&a.alarm_actions), list(&a.ok_actions), list(&a.insufficient_data_actions)]
        });
        let mut elsewhere: Vec<(String, String)> = Vec::new();
        for expr in actions.iter().flatten() {
            let items = match expr {
                Expr::List(items) => items.clone(),
                other => vec![other.clone()],
            };
            for item in &items {
                match item {
                    Expr::String(arn) => {
                        let mut parts = arn.split(':');
                        if parts.nth(2) == Some("sns")
                            && let Some(region) = parts.next()
                            && regions != [region]
                        {
                            elsewhere.push((arn.clone(), region.to_owned()));
                        }
                    }
                    Expr::Ref(RefTarget::Node(r)) | Expr::GetAtt(r, _) => {
                        let home = app.regions_of(r.node);
                        let region = r.region.clone().or_else(|| (home.len() == 1).then(|| home[0].clone()));
                        if let Some(region) = region
                            && regions != [region.as_str()]
                        {
                            elsewhere.push((app.path_of(r.node), region));
                        }
                    }
                    _ => {}
                }
            }
        }
        for (topic, region) in elsewhere {
            out.push(Disagreement {
                path: app.path_of(alarm),
                message: format!(
                    "the alarm in {} notifies {topic} in {region}: CloudWatch notifies only a topic of the alarm's own \
                     region, so nobody would hear of it; use a topic of {} (each region's from \
                     MultiRegionApi::monitor, monitoring::AlarmTopic in a us-east-1 stack for the edge's and Route 53's)",
                    regions.join(", "),
                    regions.join(", ")
                ),
            });
        }
    }
    out
}
