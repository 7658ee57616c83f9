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
//! **One fact, one place.** [`composition::Platform`] makes all of the above from facts stated
//! once — the regions and their roles, the mode, the zone and the viewers' names, the edge on or
//! off, who hears the alarms, the services, tables, backups and SLOs — and returns the handles to
//! add more by hand. Wired by hand instead, the constructs are checked against each other at
//! synthesis ([`platform::disagreements`]): an edge sending a secret the API does not require,
//! modes that differ, a region nothing routes to, an alarm notifying a topic of another region,
//! viewer names served but not aliased (or the reverse), an origin secret missing from a region.
//!
//! One complete platform, two regions, active-passive behind CloudFront:
//!
//! ```
//! use haplat_constructs::composition::{Platform, PlatformProps, PlatformTable};
//! use haplat_constructs::global_table::KeyAttr;
//! use haplat_constructs::service::ServiceProps;
//! use haplat_constructs::zone::HostedZone;
//! use haplat_constructs::{DrMode, RegionSpec};
//! use haplat_core::App;
//!
//! let app = App::new("shop");
//! let mut shop = PlatformProps::new(
//!     vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("eu-west-1")],
//!     HostedZone::existing("Z0123456789ABCDEFGHIJ", "example.com"),
//!     &["shop.example.com"],   // the viewers' names: the zone's apex and www stay untouched
//!     &["oncall@example.com"], // each region's topic, and us-east-1's for CloudFront and Route 53
//! );
//! shop.mode = DrMode::ActivePassive;
//! shop.services = vec![ServiceProps::new("Orders", "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:1.0", 8080)];
//! shop.tables = vec![PlatformTable::new("Orders", KeyAttr::string("pk")).read_write(&["Orders"])];
//! let platform = Platform::new(&app, shop);
//!
//! // Data (keys), Global (table, origin secret), Api (locked to the secret), Edge (CloudFront,
//! // WAF, the failover records): four waves.
//! let assembly = app.synth().unwrap();
//! assert_eq!(assembly.manifest.waves.len(), 4);
//! assert!(platform.distribution.is_some());
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
pub mod composition;
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
pub use platform::{ApiFacts, DrMode, OriginVerify, RegionRole, RegionSpec, RegionalEndpoint, SecretSource};
