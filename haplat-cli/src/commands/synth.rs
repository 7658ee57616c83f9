//! `haplat synth`.

use clap::{Args, ValueEnum};

use super::args::AssemblyArgs;
use crate::error::{Error, exit};
use crate::ops::{SynthOptions, synth};

/// Template formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// JSON only (canonical).
    #[default]
    Json,
    /// JSON, and YAML beside it that YAML 1.1 readers read back unchanged.
    Yaml,
}

/// `haplat synth [--app CMD] [--out DIR] [--env NAME] [-c k=v]… [--format json|yaml]`
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Where the assembly comes from.
    #[command(flatten)]
    pub assembly: AssemblyArgs,
    /// Also write YAML templates.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Runs `synth`.
pub fn run(args: SynthArgs) -> Result<u8, Error> {
    synth(&SynthOptions { source: args.assembly.source(), yaml: args.format == Format::Yaml })?;
    Ok(exit::OK)
}
