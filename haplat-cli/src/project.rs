//! The project: `haplat.toml` at its root (found from the current directory upwards).
//!
//! ```toml
//! app = "cargo run -q -p reference-platform"   # the command that writes the assembly
//! out = "haplat.out"                            # optional: the assembly directory
//! [context]                                     # optional: defaults for `-c key=value`
//! stage = "dev"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::Error;
use crate::files::{self, FileError, Kind};

/// The project file's name.
pub const PROJECT_FILE: &str = "haplat.toml";

/// `haplat.toml`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    /// The app command.
    pub app: Option<String>,
    /// The assembly directory, relative to the project root.
    pub out: Option<PathBuf>,
    /// Context defaults.
    #[serde(default)]
    pub context: BTreeMap<String, String>,
}

/// A project: its root and its file (default when there is none).
#[derive(Clone, Debug)]
pub struct Project {
    /// The directory commands run in (where `haplat.toml` is, or the current directory).
    pub root: PathBuf,
    /// The file's contents.
    pub file: ProjectFile,
}

/// A TOML error as one line: where (line and column) and what (the key or value at fault named
/// by the parser), never the snippet of the file the parser quotes.
fn toml_error(path: &Path, text: &str, e: &toml::de::Error) -> FileError {
    let at = e.span().map(|span| {
        let before = &text[..span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("line {line}, column {column}: ")
    });
    FileError::parse(path, format!("{}{}", at.unwrap_or_default(), e.message()))
}

impl Project {
    /// Finds `haplat.toml` from `start` upwards; without one, `start` is the root.
    pub fn find(start: &Path) -> Result<Project, Error> {
        for dir in start.ancestors() {
            let path = dir.join(PROJECT_FILE);
            // Anything of that name is the project's (a directory or a dangling link is an
            // error naming it, not a reason to look further up).
            if path.symlink_metadata().is_ok() {
                let project = |e: FileError| Error::Project { path: e.path, message: e.problem };
                let text = files::read_text(&path, Kind::Project).map_err(project)?;
                let file: ProjectFile = toml::from_str(&text).map_err(|e| project(toml_error(&path, &text, &e)))?;
                return Ok(Project { root: dir.to_owned(), file });
            }
        }
        Ok(Project { root: start.to_owned(), file: ProjectFile::default() })
    }

    /// The assembly directory: `--out`, else the file's `out`, else `haplat.out`, relative to
    /// the root.
    pub fn out_dir(&self, flag: Option<&Path>) -> PathBuf {
        match flag {
            Some(p) => p.to_owned(),
            None => self.root.join(self.file.out.clone().unwrap_or_else(|| "haplat.out".into())),
        }
    }
}
