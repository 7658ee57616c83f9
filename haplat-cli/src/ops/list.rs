//! `haplat list`: the stacks of the assembly, with their regions and waves.

use crate::error::Error;
use crate::ops::input::AssemblySource;

/// What `list` does.
#[derive(Clone, Debug, Default)]
pub struct ListOptions {
    /// Where the assembly comes from.
    pub source: AssemblySource,
    /// Print JSON instead of text.
    pub json: bool,
}

/// Lists.
pub fn list(opts: &ListOptions) -> Result<(), Error> {
    let assembly = opts.source.load()?;
    if opts.json {
        let mut text = serde_json::to_string_pretty(&assembly.summary_json()).expect("a summary serializes");
        text.push('\n');
        crate::out!("{text}");
    } else {
        crate::out!("{}", assembly.summary());
    }
    Ok(())
}
