//! `haplat completions` and `haplat man`.

use std::path::PathBuf;

use clap::Args;
use clap_complete::Shell;

use crate::error::{Error, exit};
use crate::ops::{CompletionsOptions, ManOptions, completions, man};

/// `haplat completions bash|zsh|fish|elvish|powershell`
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell (e.g. `haplat completions bash > ~/.local/share/bash-completion/completions/haplat`).
    #[arg(value_enum)]
    pub shell: Shell,
}

/// `haplat man [--dir DIR]`
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Where to write `haplat.1` and one `haplat-<command>.1` per command.
    #[arg(long, value_name = "DIR", default_value = "man")]
    pub dir: PathBuf,
}

/// Runs `completions` for the command line `command` (the caller's: this module does not
/// import the one above it).
pub fn run_completions(args: CompletionsArgs, command: clap::Command) -> Result<u8, Error> {
    completions(&CompletionsOptions { command, shell: args.shell })?;
    Ok(exit::OK)
}

/// Runs `man` for the command line `command`.
pub fn run_man(args: ManArgs, command: clap::Command) -> Result<u8, Error> {
    man(&ManOptions { command, dir: args.dir })?;
    Ok(exit::OK)
}
