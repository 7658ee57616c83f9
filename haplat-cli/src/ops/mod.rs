//! The operations behind the commands, one module each (cargo's `ops/`): each takes an options
//! struct, does the work and prints what the command prints. A command ([`crate::commands`])
//! only turns its arguments into options and calls one of these. Operations do not call each
//! other; what they share is in [`input`].
//!
//! Uses everything below: the assembly and synth, the plan, the stack-diff reader, the
//! executor and its client, bootstrap, the SDK, progress and output.

#[cfg(feature = "aws")]
pub mod bootstrap;
pub mod check;
#[cfg(feature = "aws")]
pub mod db;
#[cfg(feature = "aws")]
pub mod deploy;
#[cfg(feature = "aws")]
pub mod destroy;
#[cfg(feature = "aws")]
pub mod diff;
#[cfg(feature = "aws")]
pub mod doctor;
#[cfg(feature = "aws")]
pub mod drift;
#[cfg(feature = "aws")]
pub mod drill;
#[cfg(feature = "aws")]
pub mod failover;
pub mod graph;
#[cfg(feature = "aws")]
pub mod health;
pub mod init;
pub mod input;
pub mod list;
#[cfg(feature = "aws")]
pub mod restore_test;
pub mod shell;
#[cfg(feature = "aws")]
pub mod status;
pub mod synth;

#[cfg(feature = "aws")]
pub use crate::restore::{ClusterRestoreReport, ClusterTarget, cluster_report_exit, run_aurora_restore_test};
#[cfg(feature = "aws")]
pub use bootstrap::{BootstrapOptions, bootstrap};
pub use check::{CheckOptions, check};
#[cfg(feature = "aws")]
pub use deploy::{DeployOptions, PlanOptions, RolloutPolicy, deploy};
#[cfg(feature = "aws")]
pub use destroy::{DestroyOptions, destroy};
#[cfg(feature = "aws")]
pub use diff::{DiffFormat, DiffOptions, diff};
#[cfg(feature = "aws")]
pub use doctor::{DoctorFormat, DoctorOptions, Verdict, doctor};
#[cfg(feature = "aws")]
pub use drift::{DriftOptions, drift};
#[cfg(feature = "aws")]
pub use drill::{DrillOptions, drill};
#[cfg(feature = "aws")]
pub use failover::{FailoverOptions, failover};
pub use graph::{GraphFormat, GraphOptions, graph};
#[cfg(feature = "aws")]
pub use health::{HealthOptions, health};
pub use init::{HaplatSource, InitOptions, init};
pub use input::{AssemblySource, AwsAccess, confirm};
pub use list::{ListOptions, list};
#[cfg(feature = "aws")]
pub use restore_test::{
    RestoreReport, RestoreResource, RestoreSettings, RestoreTarget, RestoreTestOptions, report_exit, restore_test,
    restore_test_aurora, run_restore_test,
};
pub use shell::{CompletionsOptions, ManOptions, completions, man};
#[cfg(feature = "aws")]
pub use status::{StatusOptions, status};
pub use synth::{SynthOptions, synth};
