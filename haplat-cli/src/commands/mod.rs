//! The command line: one module per subcommand, each turning its arguments into an options
//! struct and calling one operation of [`crate::ops`] (cargo's `commands/` → `ops/` shape).
//! Commands do not import each other; the arguments they share are in [`args`].

use clap::{CommandFactory, Parser, Subcommand};

use crate::error::{EXIT_CODES_HELP, Error};

pub mod args;
pub mod bootstrap;
pub mod check;
pub mod db;
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
pub mod list;
pub mod restore_test;
pub mod shell;
pub mod status;
pub mod synth;

/// haplat: typed Rust constructs → CloudFormation templates → StackSets in every region.
#[derive(Debug, Parser)]
#[command(name = "haplat", version, after_help = EXIT_CODES_HELP, propagate_version = true)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new infrastructure project (Cargo crate, environments, tests, CI workflows).
    #[command(after_help = EXIT_CODES_HELP)]
    Init(init::InitArgs),
    /// Run the app and write the cloud assembly (templates + manifest.json).
    #[command(after_help = EXIT_CODES_HELP)]
    Synth(synth::SynthArgs),
    /// List the stacks of the assembly, with their regions and waves.
    #[command(after_help = EXIT_CODES_HELP)]
    List(list::ListArgs),
    /// Check the assembly against what AWS requires at create, update and delete.
    #[command(after_help = EXIT_CODES_HELP)]
    Check(check::CheckArgs),
    /// Draw the platform (stacks by region and wave, bindings) or one stack's resources.
    #[command(after_help = EXIT_CODES_HELP)]
    Graph(graph::GraphArgs),
    /// Show what would change, per stack set and region (or against another assembly).
    #[command(after_help = EXIT_CODES_HELP)]
    Diff(diff::DiffArgs),
    /// Detect resources changed outside CloudFormation, per stack set and region (exit 9 when any).
    #[command(after_help = EXIT_CODES_HELP)]
    Drift(drift::DriftArgs),
    /// Per region: stack instances, Route 53 health checks, targets, alarms in ALARM, SLO burn
    /// (exit 10 when anything is unhealthy).
    #[command(after_help = EXIT_CODES_HELP)]
    Health(health::HealthArgs),
    /// Take a region out of DNS (its Route 53 region health check forced unhealthy) and wait
    /// until Route 53 agrees; refuses to leave no healthy region.
    #[command(after_help = EXIT_CODES_HELP)]
    Failover(failover::FailoverArgs),
    /// Undo `failover`: the region health check back to the template's settings.
    #[command(after_help = EXIT_CODES_HELP)]
    Failback(failover::FailbackArgs),
    /// The Aurora global database: its writer per region as AWS sees it (`status`), and moving
    /// the writer to another region (`switchover`, planned; `failover`, unplanned).
    #[command(after_help = EXIT_CODES_HELP)]
    Db(db::DbArgs),
    /// List a region's FIS experiments, or run one and measure failover against the objective.
    #[command(after_help = EXIT_CODES_HELP)]
    Drill(drill::DrillArgs),
    /// Create the StackSet roles and the template bucket (idempotent).
    #[command(after_help = EXIT_CODES_HELP)]
    Bootstrap(bootstrap::BootstrapArgs),
    /// Check read-only that the account has what the app needs (roles, settings, quotas…).
    #[command(after_help = EXIT_CODES_HELP)]
    Doctor(doctor::DoctorArgs),
    /// Deploy the waves of stack sets, with per-region parameters.
    #[command(after_help = EXIT_CODES_HELP)]
    Deploy(deploy::DeployArgs),
    /// Delete the stack instances and stack sets, waves in reverse.
    #[command(after_help = EXIT_CODES_HELP)]
    Destroy(destroy::DestroyArgs),
    /// Each stack set's last operation and each instance's status per region.
    #[command(after_help = EXIT_CODES_HELP)]
    Status(status::StatusArgs),
    /// Restore the latest backup of the app's DynamoDB table (or its Aurora cluster) into a
    /// scratch copy, validate it, delete it, and time it against the RTO.
    #[command(after_help = restore_test::RESTORE_TEST_EXIT_CODES)]
    RestoreTest(restore_test::RestoreTestArgs),
    /// Print the shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(shell::CompletionsArgs),
    /// Write the man pages (`haplat.1`, one per command).
    Man(shell::ManArgs),
}

/// Runs a command that calls AWS; without the `aws` feature it is still listed (help,
/// completions and man pages are the same in every build) and says how to get it.
macro_rules! with_aws {
    ($name:literal, $run:path, $args:expr) => {{
        #[cfg(feature = "aws")]
        let done = $run($args).await;
        #[cfg(not(feature = "aws"))]
        let done = {
            let _ = $args;
            Err(built_without_aws($name))
        };
        done
    }};
}

/// What a command that calls AWS answers in a build without the `aws` feature. Compiled in
/// that build and in every test build, so that the tests of the build with AWS check it too.
#[cfg(any(test, not(feature = "aws")))]
fn built_without_aws(name: &str) -> Error {
    Error::Usage(format!(
        "`haplat {name}` calls AWS, and this haplat was built without it: install it with `cargo install haplat-cli --features aws` (in this repository: `cargo run -p haplat-cli --features aws -- {name}`)"
    ))
}

/// Runs a parsed command line; returns the exit code.
pub async fn run(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        Command::Init(a) => init::run(a),
        Command::Synth(a) => synth::run(a),
        Command::List(a) => list::run(a),
        Command::Check(a) => check::run(a),
        Command::Graph(a) => graph::run(a),
        Command::Diff(a) => with_aws!("diff", diff::run, a),
        Command::Drift(a) => with_aws!("drift", drift::run, a),
        Command::Health(a) => with_aws!("health", health::run, a),
        Command::Failover(a) => with_aws!("failover", failover::run, a),
        Command::Failback(a) => with_aws!("failback", failover::run_failback, a),
        Command::Db(a) => with_aws!("db", db::run, a),
        Command::Drill(a) => with_aws!("drill", drill::run, a),
        Command::Bootstrap(a) => with_aws!("bootstrap", bootstrap::run, a),
        Command::Doctor(a) => with_aws!("doctor", doctor::run, a),
        Command::Deploy(a) => with_aws!("deploy", deploy::run, a),
        Command::Destroy(a) => with_aws!("destroy", destroy::run, a),
        Command::Status(a) => with_aws!("status", status::run, a),
        Command::RestoreTest(a) => with_aws!("restore-test", restore_test::run, a),
        Command::Completions(a) => shell::run_completions(a, Cli::command()),
        Command::Man(a) => shell::run_man(a, Cli::command()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_aws_the_aws_commands_are_listed_and_say_how_to_get_them() {
        for args in [&["haplat", "deploy", "--yes"][..], &["haplat", "restore-test"], &["haplat", "failback"]] {
            Cli::try_parse_from(args).expect("the command is listed in every build");
            let name = args[1];
            let e = built_without_aws(name);
            assert_eq!(e.exit_code(), crate::exit::USAGE, "{e}");
            assert!(e.to_string().starts_with(&format!("`haplat {name}` calls AWS")), "{e}");
            assert!(e.to_string().contains("cargo install haplat-cli --features aws"), "{e}");
            assert!(e.to_string().ends_with(&format!("--features aws -- {name}`)")), "{e}");
        }
    }
}
