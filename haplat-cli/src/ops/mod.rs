//! The operations behind the commands, one module each (cargo's `ops/`): each takes an options
//! struct, does the work and prints what the command prints. A command ([`crate::commands`])
//! only turns its arguments into options and calls one of these. Operations do not call each
//! other; what they share is in [`input`].
//!
//! Uses everything below: the assembly and synth, the plan, the stack-diff reader, the
//! executor and its client, bootstrap, the SDK, progress and output.

pub mod bootstrap;
pub mod check;
pub mod deploy;
pub mod destroy;
pub mod diff;
pub mod doctor;
pub mod drift;
pub mod drill;
pub mod failover;
pub mod graph;
pub mod health;
pub mod init;
pub mod input;
pub mod list;
pub mod restore_test;
pub mod shell;
pub mod status;
pub mod synth;

pub use bootstrap::{BootstrapOptions, bootstrap};
pub use check::{CheckOptions, check};
pub use deploy::{DeployOptions, PlanOptions, RolloutPolicy, deploy, parse_bake};
pub use destroy::{DestroyOptions, destroy};
pub use diff::{DiffFormat, DiffOptions, diff};
pub use doctor::{DoctorFormat, DoctorOptions, Verdict, doctor};
pub use drift::{DriftOptions, drift};
pub use drill::{DrillOptions, drill};
pub use failover::{FailoverOptions, failover};
pub use graph::{GraphFormat, GraphOptions, graph};
pub use health::{HealthOptions, health};
pub use init::{HaplatSource, InitOptions, init};
pub use input::{AssemblySource, AwsAccess, confirm};
pub use list::{ListOptions, list};
pub use restore_test::{
    RestoreReport, RestoreSettings, RestoreTarget, RestoreTestOptions, parse_duration, report_exit, restore_test,
    run_restore_test,
};
pub use shell::{CompletionsOptions, ManOptions, completions, man};
pub use status::{StatusOptions, status};
pub use synth::{SynthOptions, synth};
