//! `haplat completions` and `haplat man`: what users of cargo-style tools expect from a command
//! line, generated from its clap definition (so they cannot drift from it).

use std::path::PathBuf;

use clap_complete::Shell;

use crate::error::Error;

/// What `completions` writes.
#[derive(Clone, Debug)]
pub struct CompletionsOptions {
    /// The command line's definition.
    pub command: clap::Command,
    /// The shell.
    pub shell: Shell,
}

/// Writes the completion script for a shell on stdout.
pub fn completions(opts: &CompletionsOptions) -> Result<(), Error> {
    let mut command = opts.command.clone();
    let name = command.get_name().to_owned();
    let mut buf = Vec::new();
    clap_complete::generate(opts.shell, &mut command, name, &mut buf);
    crate::out!("{}", String::from_utf8_lossy(&buf));
    Ok(())
}

/// What `man` writes.
#[derive(Clone, Debug)]
pub struct ManOptions {
    /// The command line's definition.
    pub command: clap::Command,
    /// The directory to write `haplat.1` and `haplat-<command>.1` into.
    pub dir: PathBuf,
}

/// Writes a man page for `haplat` and one per subcommand; returns the files written.
pub fn man(opts: &ManOptions) -> Result<Vec<PathBuf>, Error> {
    std::fs::create_dir_all(&opts.dir).map_err(|source| Error::Write { path: opts.dir.clone(), source })?;
    let mut command = opts.command.clone();
    command.build();
    let mut pages = vec![(command.get_name().to_owned(), command.clone())];
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("{}-{}", command.get_name(), sub.get_name());
        pages.push((name.clone(), sub.clone().display_name(name)));
    }
    let mut written = Vec::new();
    for (name, page) in pages {
        let path = opts.dir.join(format!("{name}.1"));
        let mut buf = Vec::new();
        clap_mangen::Man::new(page)
            .title(name.to_uppercase())
            .render(&mut buf)
            .map_err(|source| Error::Write { path: path.clone(), source })?;
        std::fs::write(&path, buf).map_err(|source| Error::Write { path: path.clone(), source })?;
        crate::outln!("{}", path.display());
        written.push(path);
    }
    Ok(written)
}
