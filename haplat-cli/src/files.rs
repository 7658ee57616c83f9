//! The one way haplat reads its files (`haplat.toml`, the assembly's manifest and templates, the
//! lock beside the assembly, the drift record): bounded in size, UTF-8 or refused, a directory
//! named as such, and every problem — including a parser's — one short line naming the file.
//! Nothing a file holds is echoed at length.

use std::io::Read;
use std::path::{Path, PathBuf};

/// At most this much of a parser's message is kept (it may quote the file).
const MESSAGE_CHARS: usize = 300;

/// What a file may weigh, by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `haplat.toml`.
    Project,
    /// The lock beside the assembly.
    Lock,
    /// The assembly's manifest.
    Manifest,
    /// A template of the assembly (CloudFormation takes at most 1 MB, from S3).
    Template,
    /// The last drift run's record.
    DriftRecord,
}

impl Kind {
    /// The largest file of this kind haplat reads.
    pub fn limit(self) -> u64 {
        const MB: u64 = 1 << 20;
        match self {
            Kind::Project => MB,
            Kind::Lock => 64 << 10,
            Kind::Manifest => 16 * MB,
            Kind::Template => 4 * MB,
            Kind::DriftRecord => 16 * MB,
        }
    }

    fn what(self) -> &'static str {
        match self {
            Kind::Project => "a project file",
            Kind::Lock => "a lock file",
            Kind::Manifest => "an assembly manifest",
            Kind::Template => "a template",
            Kind::DriftRecord => "a drift record",
        }
    }
}

/// A file that could not be read, or whose text is not what it should be: one line.
#[derive(Debug, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct FileError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong, on one line.
    pub problem: String,
    /// Whether the file is not there at all.
    pub missing: bool,
}

impl FileError {
    /// A problem with the text of `path` (a parser's message, made one bounded line).
    pub fn parse(path: &Path, message: impl std::fmt::Display) -> FileError {
        FileError { path: path.to_owned(), problem: one_line(&message.to_string()), missing: false }
    }
}

/// The text of `path`, a file of `kind`: refused when it is not there, is a directory, cannot
/// be read, is larger than the kind allows, or is not UTF-8.
pub fn read_text(path: &Path, kind: Kind) -> Result<String, FileError> {
    let fail = |problem: String, missing: bool| FileError { path: path.to_owned(), problem, missing };
    let io = |e: std::io::Error| fail(one_line(&e.to_string()), e.kind() == std::io::ErrorKind::NotFound);
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(fail(format!("is a directory, where {} should be", kind.what()), false));
    }
    let limit = kind.limit();
    let mut bytes = Vec::new();
    std::fs::File::open(path).map_err(io)?.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(fail(format!("is larger than {} ({} at most)", size(limit), kind.what()), false));
    }
    String::from_utf8(bytes).map_err(|e| {
        fail(format!("is not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()), false)
    })
}

/// `text` on one line, at most `MESSAGE_CHARS` characters (a parser's message may hold a
/// snippet of the file, or a whole value).
pub fn one_line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match joined.char_indices().nth(MESSAGE_CHARS) {
        Some((i, _)) => format!("{}…", &joined[..i]),
        None => joined,
    }
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 { format!("{} MB", bytes >> 20) } else { format!("{} KB", bytes >> 10) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_one_bounded_line() {
        assert_eq!(one_line("expected `=`\n  |\n1 | a b\n  |   ^\n"), "expected `=` | 1 | a b | ^");
        let long = one_line(&"x".repeat(10_000));
        assert_eq!(long.chars().count(), MESSAGE_CHARS + 1);
    }
}
