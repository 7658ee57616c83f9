//! `haplat doctor`.

use clap::{Args, ValueEnum};

use super::args::{AssemblyArgs, AwsArgs};
#[cfg(feature = "aws")]
use crate::error::{Error, exit};
#[cfg(feature = "aws")]
use crate::ops::{DoctorFormat, DoctorOptions, Verdict, doctor};

/// Output format.
#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum Format {
    /// One line a check, the fix below.
    #[default]
    Text,
    /// The requirements and the findings as JSON.
    Json,
}

/// `haplat doctor [--format text|json]`
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Where the assembly comes from.
    #[command(flatten)]
    pub assembly: AssemblyArgs,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Runs `doctor`: exit 0 when the account is ready, 7 when something is missing or could not
/// be checked.
#[cfg(feature = "aws")]
pub async fn run(args: DoctorArgs) -> Result<u8, Error> {
    let format = match args.format {
        Format::Text => DoctorFormat::Text,
        Format::Json => DoctorFormat::Json,
    };
    let verdict = doctor(&DoctorOptions { format, source: args.assembly.source(), aws: args.aws.access() }).await?;
    Ok(match verdict {
        Verdict::Ready => exit::OK,
        Verdict::NotReady => exit::NOT_READY,
    })
}
