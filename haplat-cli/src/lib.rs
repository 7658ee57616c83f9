//! haplat's command-line tool as a library: the assembly, the deploy plan (data), the diff,
//! the executor that runs a plan against CloudFormation StackSets, and the commands.
//!
//! The plan is computed from the assembly alone ([`plan::plan_deploy`]) and printed by
//! `haplat deploy --dry-run`; the [`executor::Executor`] runs it against anything that
//! implements [`cfn::CloudFormation`] (the AWS SDK in [`sdk::Aws`], a fake in tests) and reports
//! typed [`events::Event`]s that [`progress::Progress`] draws.

pub mod assembly;
pub mod bootstrap;
pub mod cfn;
pub mod commands;
pub mod diff;
pub mod error;
pub mod events;
pub mod executor;
pub mod output;
pub mod plan;
pub mod progress;
pub mod project;
pub mod sdk;
pub mod state;
pub mod synth;

pub use error::{Error, exit};
