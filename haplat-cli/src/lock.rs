//! One `deploy` or `destroy` of an assembly at a time on this machine: a lock file beside the
//! assembly directory (`haplat.out.lock`), created exclusively, naming its holder (process,
//! command, start time). A second run refuses with that name; a lock whose process is gone is
//! taken over. Released when the run ends, however it ends (dropped).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::Error;

/// A held lock; removed on drop.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
}

/// What the lock file says.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Holder {
    pid: u32,
    command: String,
    started: u64,
}

impl RunLock {
    /// Takes the lock of the assembly in `dir` for `command` (`deploy`, `destroy`), or refuses
    /// ([`Error::Refused`]) naming the run that holds it.
    pub fn acquire(dir: &Path, command: &str) -> Result<RunLock, Error> {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "haplat.out".into());
        let path = dir.with_file_name(format!("{name}.lock"));
        let me = Holder {
            pid: std::process::id(),
            command: command.to_owned(),
            started: SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        };
        for _ in 0..3 {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    let text = serde_json::to_string(&me).unwrap_or_default();
                    f.write_all(text.as_bytes()).map_err(|source| Error::Write { path: path.clone(), source })?;
                    return Ok(RunLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder =
                        std::fs::read_to_string(&path).ok().and_then(|t| serde_json::from_str::<Holder>(&t).ok());
                    match holder {
                        Some(h) if alive(h.pid) => {
                            return Err(Error::Refused(format!(
                                "haplat {} of this assembly is already running (process {}, started {}s ago, lock {}): \
                                 wait for it to finish; if that process is gone, remove the lock file",
                                h.command,
                                h.pid,
                                me.started.saturating_sub(h.started),
                                path.display()
                            )));
                        }
                        // A lock left by a process that is gone (or unreadable, half-written by one
                        // that died): take it over.
                        _ => {
                            let _ = std::fs::remove_file(&path);
                        }
                    }
                }
                Err(source) => return Err(Error::Write { path, source }),
            }
        }
        Err(Error::Refused(format!("could not take the lock {} (another run keeps taking it)", path.display())))
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether a process runs: `/proc/<pid>` where there is a `/proc`; elsewhere assumed alive (a
/// stale lock is then removed by hand, as the refusal says).
fn alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if proc.join("self").exists() { proc.join(pid.to_string()).exists() } else { true }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_run_is_refused_naming_the_holder_and_a_dead_holder_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("haplat.out");
        let first = RunLock::acquire(&out, "deploy").unwrap();
        let e = RunLock::acquire(&out, "destroy").unwrap_err().to_string();
        assert!(
            e.starts_with(&format!(
                "haplat deploy of this assembly is already running (process {}",
                std::process::id()
            )),
            "{e}"
        );
        drop(first);
        let again = RunLock::acquire(&out, "destroy").unwrap();
        drop(again);
        // A lock left by a process that no longer exists.
        std::fs::write(dir.path().join("haplat.out.lock"), r#"{"pid": 4294967295, "command": "deploy", "started": 0}"#)
            .unwrap();
        let taken = RunLock::acquire(&out, "deploy").unwrap();
        assert!(
            std::fs::read_to_string(dir.path().join("haplat.out.lock"))
                .unwrap()
                .contains(&std::process::id().to_string())
        );
        drop(taken);
        assert!(!dir.path().join("haplat.out.lock").exists());
    }
}
