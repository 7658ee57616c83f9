//! `haplat init`.

use std::path::PathBuf;

use clap::Args;

use crate::error::{Error, exit};
use crate::ops::{HaplatSource, InitOptions, init};

/// `haplat init [DIR] [--name NAME] [--haplat-path PATH | --haplat-git URL]`
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The new project's directory (new or empty; default: the current directory).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The project's name (default: the directory's name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Depend on a local checkout of haplat instead of its git repository.
    #[arg(long, value_name = "PATH", conflicts_with = "haplat_git")]
    pub haplat_path: Option<PathBuf>,
    /// Depend on this git repository of haplat (default: the one this binary was built from).
    #[arg(long, value_name = "URL")]
    pub haplat_git: Option<String>,
}

/// Runs `init`.
pub fn run(args: InitArgs) -> Result<u8, Error> {
    let haplat = match (args.haplat_path, args.haplat_git) {
        (Some(p), _) => HaplatSource::Path(std::path::absolute(&p).unwrap_or(p)),
        (None, Some(url)) => HaplatSource::Git(url),
        (None, None) => HaplatSource::Git(crate::ops::init::HAPLAT_GIT.to_owned()),
    };
    let dir = std::path::absolute(&args.dir).unwrap_or(args.dir);
    init(&InitOptions { dir, name: args.name, haplat })?;
    Ok(exit::OK)
}
