//! `haplat synth`.

use clap::{Args, ValueEnum};

use super::AssemblyArgs;
use crate::error::{Error, exit};

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
    let (_, opts) = args.assembly.synth_options(args.format == Format::Yaml)?;
    let Some(opts) = opts else {
        return Err(Error::Usage(
            "no app to run: pass --app \"<command>\" or add `app = \"<command>\"` to haplat.toml".into(),
        ));
    };
    let assembly = crate::synth::synth(&opts)?;
    crate::out!("{}", assembly.summary());
    crate::outln!("assembly written to {}", assembly.dir.display());
    Ok(exit::OK)
}
