//! haplat-constructs: the highly available, multi-region platform as typed constructs, secure by
//! default, built only from the generated L1 types of haplat-core.
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
pub mod scaling;
pub mod security;
pub mod service;
pub mod slo;
pub mod waf;
pub mod websocket;
pub mod zone;

pub use metrics::ServiceMetrics;
pub use platform::{DrMode, OriginVerify, RegionRole, RegionSpec, RegionalEndpoint, SecretSource};
