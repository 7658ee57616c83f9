//! `haplat list`: the stacks of the assembly, with their regions and waves.

use crate::error::Error;
use crate::ops::input::AssemblySource;

/// What `list` does.
#[derive(Clone, Debug, Default)]
pub struct ListOptions {
    /// Where the assembly comes from.
    pub source: AssemblySource,
}

/// Lists.
pub fn list(opts: &ListOptions) -> Result<(), Error> {
    let assembly = opts.source.load()?;
    crate::out!("{}", assembly.summary());
    Ok(())
}
