//! haplat-constructs: the highly available, multi-region platform as typed constructs, secure by
//! default, built only from the generated L1 types of haplat-core.
//!
//! # How the pieces fit
//!
//! A platform is a few stacks, each in the place AWS requires of what it holds; haplat orders
//! them into deploy waves by their references (docs/architecture.md):
//!
//! | stack | where | constructs |
//! | --- | --- | --- |
//! | data | a stack set over every region | [`kms::RegionalKeys`] (a key per region), [`backup::BackupPlan`], [`ecr::RepositoryTemplates`], [`baseline::AccountBaseline`] (one per account) |
//! | global | one region, the primary | [`global_table::GlobalTable`] (its replicas in every region), [`edge::OriginSecret`] (replicated to every region and us-east-1), [`ecr::ImageRepositories`] |
//! | api | a stack set over every region | [`api::MultiRegionApi`] (network, cluster, load balancers, [`service`]s), then on it `monitor`, `availability_slos`, `chaos`; [`aurora::AuroraGlobal`]; [`websocket::WebSocketApi`] |
//! | edge | us-east-1 (CloudFront, its certificate, WAF and Route 53 health-check alarms live there) | [`edge::EdgeDistribution`], [`dns::FailoverDns`], [`monitoring::AlarmTopic`] for the edge's alarms |
//!
//! **The origin secret.** CloudFront proves itself to the load balancers with a header whose
//! value is an [`edge::OriginSecret`]: the API is locked to it with
//! [`api::ApiProps::fronted_by_cloudfront`] (its load balancers admit only CloudFront's addresses
//! carrying the header) and the edge sends it
//! ([`edge::EdgeDistributionProps::origin_secret`]). The API's domain is then the origin name,
//! `<origin label>.<zone>`, and each region answers as `<region>.<origin label>.<zone>`.
//!
//! **How alarms reach people.** Each region's alarms notify that region's topic
//! ([`monitoring::RegionalMonitoringProps::alarm_emails`], made by `MultiRegionApi::monitor`): a
//! CloudWatch alarm can notify only a topic of its own region, which `haplat check` enforces
//! (HAP029). The edge's alarms, and Route 53's health-check alarms, are in us-east-1 and notify a
//! topic there ([`monitoring::AlarmTopic`]). Paging alarms name their runbook.
//!
//! **Grants.** Data constructs are [`security::Grantable`] and services are
//! [`security::Grantee`]s: `table.grant_read_write(service)` writes exactly the actions and ARNs,
//! in the regions where the data exists.
//!
//! One complete platform, two regions, active-passive behind CloudFront:
//!
//! ```
//! use haplat_constructs::api::{ApiCertificate, ApiProps, MultiRegionApi};
//! use haplat_constructs::dns::{FailoverDns, FailoverDnsProps};
//! use haplat_constructs::edge::{EdgeDistribution, EdgeDistributionProps, OriginSecret, OriginSecretProps};
//! use haplat_constructs::global_table::{GlobalTable, GlobalTableProps, KeyAttr, TableEncryption};
//! use haplat_constructs::kms::RegionalKeys;
//! use haplat_constructs::monitoring::AlarmTopic;
//! use haplat_constructs::security::Grantable;
//! use haplat_constructs::service::ServiceProps;
//! use haplat_constructs::zone::HostedZone;
//! use haplat_constructs::{DrMode, RegionSpec};
//! use haplat_core::App;
//!
//! let regions = ["us-east-1", "eu-west-1"];
//! let zone = HostedZone::existing("Z0123456789ABCDEFGHIJ", "example.com");
//! let app = App::new("shop");
//!
//! // Data: a key per region.
//! let data = app.stack_set("Data", &regions);
//! let keys = RegionalKeys::new(&data, "Keys");
//!
//! // Global: the table and the origin secret, in the primary region.
//! let global = app.stack("Global", "us-east-1");
//! let mut table = GlobalTableProps::new(KeyAttr::string("pk"), &regions);
//! table.encryption = TableEncryption::CustomerManaged(keys.arns());
//! let orders = GlobalTable::new(&global, "Orders", table);
//! let mut secret = OriginSecretProps::new("shop/origin-verify", &regions);
//! secret.keys = keys.arns();
//! let secret = OriginSecret::new(&global, "OriginVerify", secret);
//!
//! // Api: the service in both regions, locked to CloudFront, answering as origin.example.com.
//! let mut api = ApiProps::new(
//!     vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("eu-west-1")],
//!     "origin.example.com",
//!     ApiCertificate::DnsValidated { zone: zone.clone() },
//! );
//! api.mode = DrMode::ActivePassive;
//! api.services = vec![ServiceProps::new("Orders", "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:1.0", 8080)];
//! api.fronted_by_cloudfront = Some(secret.verify.clone());
//! let api = MultiRegionApi::new_stack_set(&app, "Api", api);
//! orders.grant_read_write(api.service("Orders").unwrap());
//!
//! // Edge, in us-east-1: CloudFront with WAF, then the failover records, whose health alarms
//! // page the on-call through a topic of the edge's region.
//! let edge = app.stack("Edge", "us-east-1");
//! let oncall = AlarmTopic::new(&edge.child("Alarms"), &["oncall@example.com".to_owned()]);
//! let mut cdn = EdgeDistributionProps::new(zone.clone(), &["shop.example.com"], api.endpoints());
//! cdn.mode = DrMode::ActivePassive;
//! cdn.origin_secret = Some(secret);
//! let cdn = EdgeDistribution::new(&edge, "Cdn", cdn);
//! let mut dns = FailoverDnsProps::new(zone, api.endpoints());
//! dns.mode = DrMode::ActivePassive;
//! dns.aliased_names = vec!["shop.example.com".into()];
//! dns.distribution_domain = Some(cdn.domain_name());
//! dns.alarm_actions = vec![oncall.arn()];
//! FailoverDns::new(&edge, "Dns", dns);
//!
//! let assembly = app.synth().unwrap();
//! assert_eq!(assembly.manifest.waves.len(), 4);
//! ```
//!
//! With the `serde` feature, the vocabulary an app writes in its configuration — [`RegionSpec`],
//! [`RegionRole`], [`DrMode`], [`network::NatMode`], [`service::Deployment`],
//! [`aurora::Capacity`], the key attributes, indexes and billing of [`global_table`] — is
//! `Serialize`, `Deserialize` and `JsonSchema`, spelled as in YAML (`active-active`, `primary`,
//! `per-az`); structs reject unknown fields.

#![deny(missing_docs)]

mod alarm;
pub mod api;
pub mod aurora;
pub mod backup;
pub mod baseline;
pub mod canary;
pub mod certificate;
pub mod chaos;
pub mod cidr;
pub mod dns;
pub mod ecr;
pub mod edge;
pub mod fargate;
pub mod global_table;
pub mod health_check;
pub mod image;
pub mod kms;
pub mod load_balancer;
pub mod logs;
pub mod metrics;
pub mod monitoring;
pub mod naming;
pub mod network;
pub mod platform;
pub mod protection;
pub mod queue;
pub mod recovery_control;
pub mod scaling;
pub mod security;
pub mod service;
pub mod slo;
pub mod waf;
pub mod websocket;
pub mod zone;

pub use metrics::ServiceMetrics;
pub use platform::{DrMode, OriginVerify, RegionRole, RegionSpec, RegionalEndpoint, SecretSource};
