//! The CLI's errors and the exit codes they map to.

use std::path::PathBuf;

use crate::cfn::CfnError;
use crate::failure::{DeployFailure, Done, ExecError, StackFailure};

/// Exit codes of the `haplat` binary (also in `haplat --help` and docs/cli.md).
pub mod exit {
    /// Success (`diff`: no differences, or differences without `--fail`).
    pub const OK: u8 = 0;
    /// Something failed: the app, the assembly, a CloudFormation operation, a rejected request.
    pub const FAILED: u8 = 1;
    /// The command line is wrong (unknown flag, unknown stack, bad `-c` pair…).
    pub const USAGE: u8 = 2;
    /// `diff --fail` found differences.
    pub const DIFFERENCES: u8 = 3;
    /// AWS cannot be used: no credentials, expired or rejected credentials, endpoint unreachable.
    pub const ACCESS: u8 = 4;
    /// Refused before changing anything: data safety (`--allow-replace`), or not confirmed.
    pub const REFUSED: u8 = 5;
    /// The account or region is not bootstrapped (`haplat bootstrap`).
    pub const NOT_BOOTSTRAPPED: u8 = 6;
    /// `doctor` (or deploy's checks before it changes anything): the account lacks something
    /// the app needs, or (`doctor`) a check could not run.
    pub const NOT_READY: u8 = 7;
    /// `haplat check` found an error that no suppression covers (`synth` and `deploy` too:
    /// they run the same rules).
    pub const FINDINGS: u8 = 8;
    /// `drift`: a resource of a deployed stack set was changed outside CloudFormation; `db
    /// status`: the Aurora writer is not the template's primary.
    pub const DRIFTED: u8 = 9;
    /// `health` (and `deploy`'s health check after it succeeded): something is unhealthy;
    /// `failover`/`failback`: Route 53 did not reach the states expected within `--timeout`;
    /// `drill`: the region did not recover; `deploy` with a progressive rollout: a first
    /// region's bake saw an alarm or an unhealthy check, and the other regions were left as
    /// they were; `db switchover`/`failover`: the target was not the writer within `--timeout`.
    pub const UNHEALTHY: u8 = 10;
    /// `drill`: failover took longer than the app's `appFailoverSeconds`; `db switchover`/
    /// `failover`: longer than `dbFailoverSeconds`.
    pub const OBJECTIVE_MISSED: u8 = 11;
}

/// Text for `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success (diff: nothing differs, or --fail not given)
  1  failed: app, assembly, a CloudFormation operation or request
  2  usage: bad flags or arguments
  3  diff --fail: differences found
  4  AWS unusable: no or expired credentials, endpoint unreachable
  5  refused: would replace/delete stateful data, or not confirmed
  6  not bootstrapped: run `haplat bootstrap`
  7  doctor: the account lacks what the app needs (or a check could not run)
  8  check (and synth, deploy): an error no suppression covers (haplat check --explain ID)
  9  drift: a deployed resource was changed outside CloudFormation; db status: the Aurora
     writer is not the template's primary
 10  health (and deploy's check after it): something is unhealthy; failover/failback: Route 53
     did not agree within --timeout; drill: the region did not recover; deploy --canary-region:
     the first region's bake failed, the other regions left as they were; db switchover/failover:
     the target was not the writer within --timeout
 11  drill: failover took longer than the app's appFailoverSeconds; db switchover/failover:
     longer than dbFailoverSeconds";

/// Everything that ends a `haplat` command early.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad command-line input that clap could not catch.
    #[error("{0}")]
    Usage(String),
    /// A project file (`haplat.toml`) is unreadable or wrong.
    #[error("{path}: {message}")]
    Project {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The app command failed or could not run.
    #[error("the app `{command}` {message}")]
    App {
        /// The command line.
        command: String,
        /// How it failed.
        message: String,
    },
    /// The assembly is missing or inconsistent.
    #[error("invalid assembly in {}:\n  {}", dir.display(), problems.join("\n  "))]
    Assembly {
        /// The assembly directory.
        dir: PathBuf,
        /// One line per problem.
        problems: Vec<String>,
    },
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A CloudFormation/S3 call failed.
    #[error("{context}: {source}")]
    Cloud {
        /// What haplat was doing.
        context: String,
        /// The service's answer.
        #[source]
        source: CfnError,
    },
    /// The bootstrap stack is missing or does not cover a region.
    #[error("{0}")]
    NotBootstrapped(String),
    /// Refused before changing anything.
    #[error("{0}")]
    Refused(String),
    /// The account lacks what the deploy needs (`haplat doctor`'s findings).
    #[error("{0}")]
    NotReady(String),
    /// `haplat check`'s rules found an error no suppression covers (synth, deploy).
    #[error("{0}")]
    Findings(String),
    /// Something else failed (a YAML template that does not read back, a stack that vanished).
    #[error("{0}")]
    Failed(String),
    /// A plain stack (the bootstrap stack) ended badly.
    #[error("{0}")]
    Stack(Box<StackFailure>),
    /// A deploy or destroy (or a diff's reads) failed part-way: what was done, what failed,
    /// what never started.
    #[error("{0}")]
    Deploy(Box<DeployFailure>),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => exit::USAGE,
            Error::Cloud { source, .. } if source.is_access() => exit::ACCESS,
            Error::NotBootstrapped(_) => exit::NOT_BOOTSTRAPPED,
            Error::Refused(_) => exit::REFUSED,
            Error::NotReady(_) => exit::NOT_READY,
            Error::Findings(_) => exit::FINDINGS,
            Error::Deploy(f) if f.failed.is_rollout_stopped() => exit::UNHEALTHY,
            _ => exit::FAILED,
        }
    }

    /// The error of `verb` (`deploy`, `destroy`, `diff`) over the stack sets `all` that
    /// stopped with `e` after `done`: AWS unusable (credentials, endpoint) in any stack set is
    /// an access error; a refusal before anything changed is a refusal; anything else a
    /// [`DeployFailure`].
    pub fn from_exec(verb: &str, e: ExecError, done: Vec<Done>, all: &[String]) -> Error {
        if let Some((stack, what, source)) = e.first_access() {
            return Error::cloud(format!("{stack}: {what}"), source.clone());
        }
        if let ExecError::Refused { .. } = &e
            && done.is_empty()
        {
            return Error::Refused(format!("{verb} refused: {e}"));
        }
        Error::Deploy(Box::new(DeployFailure::new(verb, e, done, all)))
    }

    /// Wraps a service error with what haplat was doing.
    pub fn cloud(context: impl Into<String>, source: CfnError) -> Error {
        Error::Cloud { context: context.into(), source }
    }
}
