//! The one error type of haplat-check: an assembly that cannot be read. Every variant names the
//! file, so the CLI prints one line and stops.

use std::path::PathBuf;

/// An assembly file that is missing or malformed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read (missing, unreadable).
    #[error("{}: cannot read: {message}", file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// What the system said.
        message: String,
    },
    /// `manifest.json` is not a manifest this haplat reads.
    #[error("{}: not a haplat manifest: {message}", file.display())]
    Manifest {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A template is not a JSON object with a `Resources` object.
    #[error("{}: not a CloudFormation template: {message}", file.display())]
    Template {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
}
