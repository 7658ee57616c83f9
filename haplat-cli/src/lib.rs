//! haplat's command-line tool as a library, in layers that depend downward only:
//!
//! - [`commands`]: clap arguments → an options struct → one call into [`ops`];
//! - [`ops`]: one operation per command (synth, list, diff, bootstrap, deploy, destroy, status,
//!   drift, health, failover, failback, drill, db);
//! - below them: the deploy plan as data ([`plan`], with its pure parameter arithmetic in
//!   [`plan::params`]), the stack-diff reader ([`stack_diff`]), the deploy executor
//!   ([`executor`]) and bound-parameter reads ([`bindings`]) over the retry/wait client
//!   ([`client`]), the bootstrap stack ([`bootstrap`]), stack-set drift detection and its
//!   record ([`drift`]), the operators' reads and moves ([`health`], [`failover`], [`drill`],
//!   the Aurora global database's writer in [`db`]);
//! - the service: the [`cfn::CloudFormation`] trait over plain types and typed [`status`]es,
//!   implemented by the AWS SDK in `sdk::Aws` (and by a fake in tests); the
//!   [`observe::Observe`] trait (Route 53, CloudWatch, ELB, FIS) likewise, in `sdk_observe`; the
//!   [`database::Database`] trait (RDS global clusters) in `sdk_database`.
//!
//! The `sdk*` modules and the commands that call AWS are the cargo feature `aws`: without it
//! the tool synthesizes, lists, checks and draws but builds no AWS SDK (docs/build-cost.md).
//!
//! The plan is computed from the assembly alone ([`plan::plan_deploy`]) and printed by
//! `haplat deploy --dry-run`; the [`executor::Executor`] runs it and reports typed
//! [`events::Event`]s that [`progress::Progress`] draws; a failure is a
//! [`failure::DeployFailure`]. docs/architecture.md draws the layers.

pub mod account;
pub mod assembly;
pub mod bindings;
pub mod bootstrap;
pub mod cfn;
pub mod client;
pub mod commands;
pub mod database;
pub mod db;
pub mod diff_report;
pub mod doctor;
pub mod drift;
pub mod drill;
pub mod error;
pub mod events;
pub mod executor;
pub mod failover;
pub mod failure;
pub mod files;
pub mod graph;
pub mod health;
pub mod lock;
pub mod observe;
pub mod ops;
pub mod output;
pub mod plan;
pub mod progress;
pub mod project;
pub mod recovery;
pub mod restore;
pub mod rollout;
pub mod routing;
#[cfg(feature = "aws")]
pub mod sdk;
#[cfg(feature = "aws")]
pub mod sdk_database;
#[cfg(feature = "aws")]
pub mod sdk_observe;
#[cfg(feature = "aws")]
pub mod sdk_recovery;
#[cfg(feature = "aws")]
pub mod sdk_routing;
#[cfg(feature = "aws")]
pub mod signed;
pub mod stack_diff;
pub mod status;
pub mod synth;
pub mod template_diff;

pub use error::{Error, exit};
