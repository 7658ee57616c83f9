//! `haplat list`.

use clap::Args;

use super::args::{AssemblyArgs, OutputFormat};
use crate::error::{Error, exit};
use crate::ops::{ListOptions, list};

/// `haplat list`
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Where the assembly comes from.
    #[command(flatten)]
    pub assembly: AssemblyArgs,
    /// The output's format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// Runs `list`.
pub fn run(args: ListArgs) -> Result<u8, Error> {
    list(&ListOptions { source: args.assembly.source(), json: args.format == OutputFormat::Json })?;
    Ok(exit::OK)
}
