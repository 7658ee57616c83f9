//! The command line: one module per subcommand, each turning its arguments into options and
//! calling the library (cargo's `commands/` → `ops/` shape).

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::assembly::Assembly;
use crate::error::{EXIT_CODES_HELP, Error};
use crate::project::Project;
use crate::sdk::{Aws, AwsOptions};
use crate::synth::SynthOptions;

pub mod bootstrap;
pub mod deploy;
pub mod destroy;
pub mod diff;
pub mod list;
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
    /// Run the app and write the cloud assembly (templates + manifest.json).
    #[command(after_help = EXIT_CODES_HELP)]
    Synth(synth::SynthArgs),
    /// List the stacks of the assembly, with their regions and waves.
    #[command(after_help = EXIT_CODES_HELP)]
    List(list::ListArgs),
    /// Show what would change, per stack set and region (or against another assembly).
    #[command(after_help = EXIT_CODES_HELP)]
    Diff(diff::DiffArgs),
    /// Create the StackSet roles and the template bucket (idempotent).
    #[command(after_help = EXIT_CODES_HELP)]
    Bootstrap(bootstrap::BootstrapArgs),
    /// Deploy the waves of stack sets, with per-region parameters.
    #[command(after_help = EXIT_CODES_HELP)]
    Deploy(deploy::DeployArgs),
    /// Delete the stack instances and stack sets, waves in reverse.
    #[command(after_help = EXIT_CODES_HELP)]
    Destroy(destroy::DestroyArgs),
    /// Each stack set's last operation and each instance's status per region.
    #[command(after_help = EXIT_CODES_HELP)]
    Status(status::StatusArgs),
}

/// Where the assembly comes from.
#[derive(Debug, Clone, Args, Default)]
pub struct AssemblyArgs {
    /// The app command (default: `app` in haplat.toml). When there is one, commands synthesize
    /// first.
    #[arg(long, value_name = "CMD")]
    pub app: Option<String>,
    /// The assembly directory (default: haplat.out at the project root).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The environment name passed to the app (HAPLAT_ENV).
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// Context for the app, `key=value` (repeatable; HAPLAT_CONTEXT).
    #[arg(long = "context", short = 'c', value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub context: Vec<(String, String)>,
    /// Use the assembly already in the directory; do not run the app.
    #[arg(long)]
    pub no_synth: bool,
}

/// How to reach AWS.
#[derive(Debug, Clone, Args, Default)]
pub struct AwsArgs {
    /// The AWS profile (default: the standard chain: AWS_PROFILE, environment, SSO…).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// The administration region, where the stack sets live (default: AWS_REGION or the
    /// profile's).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

fn parse_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("expected key=value, got {s:?}")),
    }
}

impl AssemblyArgs {
    /// The synth options these arguments give, if there is an app to run.
    pub fn synth_options(&self, yaml: bool) -> Result<(Project, Option<SynthOptions>), Error> {
        let cwd = std::env::current_dir().map_err(|e| Error::Usage(format!("no current directory: {e}")))?;
        let project = Project::find(&cwd)?;
        let out = project.out_dir(self.out.as_deref());
        let app = self.app.clone().or_else(|| project.file.app.clone());
        let mut context: BTreeMap<String, String> = project.file.context.clone();
        context.extend(self.context.iter().cloned());
        let opts =
            app.map(|app| SynthOptions { app, root: project.root.clone(), out, env: self.env.clone(), context, yaml });
        Ok((project, opts))
    }

    /// The assembly: synthesized when an app is configured (and `--no-synth` is not given),
    /// read from the directory otherwise.
    pub fn load(&self) -> Result<Assembly, Error> {
        let (project, opts) = self.synth_options(false)?;
        match opts {
            Some(o) if !self.no_synth => {
                crate::errln!("synthesizing: {}", o.app);
                crate::synth::synth(&o)
            }
            _ => Assembly::load(&project.out_dir(self.out.as_deref())),
        }
    }
}

impl AwsArgs {
    /// Connects (loads the configuration; no call yet).
    pub async fn connect(&self) -> Result<Aws, Error> {
        Aws::connect(&AwsOptions { profile: self.profile.clone(), region: self.region.clone(), ..Default::default() })
            .await
            .map_err(Error::Usage)
    }
}

/// Asks a yes/no question on the terminal; without a terminal, refuses with `flag` named.
pub fn confirm(question: &str, flag: &str) -> Result<(), Error> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Refused(format!("{question}: not confirmed (no terminal to ask on); pass {flag}")));
    }
    crate::err!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    if matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
        Ok(())
    } else {
        Err(Error::Refused(format!("{question}: not confirmed; nothing was changed")))
    }
}

/// Runs a parsed command line; returns the exit code.
pub async fn run(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        Command::Synth(a) => synth::run(a),
        Command::List(a) => list::run(a),
        Command::Diff(a) => diff::run(a).await,
        Command::Bootstrap(a) => bootstrap::run(a).await,
        Command::Deploy(a) => deploy::run(a).await,
        Command::Destroy(a) => destroy::run(a).await,
        Command::Status(a) => status::run(a).await,
    }
}
