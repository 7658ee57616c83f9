//! `haplat list`.

use clap::Args;

use super::AssemblyArgs;
use crate::error::{Error, exit};

/// `haplat list`
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Where the assembly comes from.
    #[command(flatten)]
    pub assembly: AssemblyArgs,
}

/// Runs `list`.
pub fn run(args: ListArgs) -> Result<u8, Error> {
    let assembly = args.assembly.load()?;
    crate::out!("{}", assembly.summary());
    Ok(exit::OK)
}
