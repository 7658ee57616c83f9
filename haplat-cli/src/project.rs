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

impl Project {
    /// Finds `haplat.toml` from `start` upwards; without one, `start` is the root.
    pub fn find(start: &Path) -> Result<Project, Error> {
        for dir in start.ancestors() {
            let path = dir.join(PROJECT_FILE);
            if path.is_file() {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| Error::Project { path: path.clone(), message: e.to_string() })?;
                let file: ProjectFile = toml::from_str(&text)
                    .map_err(|e| Error::Project { path: path.clone(), message: e.to_string().trim().to_owned() })?;
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
