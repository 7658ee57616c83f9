//! `haplat list`.

use clap::Args;

use super::args::AssemblyArgs;
use crate::error::{Error, exit};
use crate::ops::{ListOptions, list};

/// `haplat list`
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Where the assembly comes from.
    #[command(flatten)]
    pub assembly: AssemblyArgs,
}

/// Runs `list`.
pub fn run(args: ListArgs) -> Result<u8, Error> {
    list(&ListOptions { source: args.assembly.source() })?;
    Ok(exit::OK)
}
