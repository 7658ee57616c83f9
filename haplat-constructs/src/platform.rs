//! The vocabulary the constructs share: regions and their roles, the disaster-recovery mode,
//! and what a regional API exposes to the global constructs (CloudFront, Route 53, monitoring).

use haplat_core::resources::secretsmanager::Secret;
use haplat_core::{Handle, Stack, Value};

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
    ///     domain_name: "api.example.com".into(), health_check_id: None,
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
