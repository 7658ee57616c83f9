//! One `deploy` or `destroy` of an app at a time:
//! - on this machine, [`RunLock`]: a lock file beside the assembly directory
//!   (`haplat.out.lock`), created exclusively, naming its holder (process, command, start
//!   time). A second run refuses with that name; a lock whose process is gone is taken over.
//!   Released when the run ends, however it ends (dropped).
//! - on every machine, [`SharedLock`]: an object in the bootstrap bucket written only when
//!   absent, so two runs of the same app from two machines (a laptop and CI) never operate on
//!   its stack sets together.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::cfn::{CfnError, CloudFormation};
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

/// The lock of an app's deploys and destroys on every machine: `locks/<app>.json` in the
/// bootstrap bucket, written with S3 conditional writes (`PutObject` with `If-None-Match: *`,
/// which S3 refuses with 412 when the object exists:
/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html>). It names
/// its holder (host, process, command, start). A second run anywhere refuses naming it. Released
/// by [`SharedLock::release`] when the run ends; a run killed before that leaves it, and
/// `--force-unlock` removes it (after printing whose it was): another machine's process cannot
/// be checked, so a lock is never taken over silently.
#[derive(Debug)]
pub struct SharedLock {
    region: String,
    bucket: String,
    key: String,
}

/// Who holds the shared lock.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct SharedHolder {
    host: String,
    pid: u32,
    command: String,
    started: u64,
}

impl SharedLock {
    /// Takes the lock of `app` for `command` in the bootstrap bucket (`bucket`, in `region`), or
    /// refuses ([`Error::Refused`]) naming the holder. With `force`, a lock held already is
    /// removed first, its holder printed.
    pub async fn acquire<C: CloudFormation>(
        cfn: &C,
        region: &str,
        bucket: &str,
        app: &str,
        command: &str,
        force: bool,
    ) -> Result<SharedLock, Error> {
        let lock =
            SharedLock { region: region.to_owned(), bucket: bucket.to_owned(), key: format!("locks/{app}.json") };
        let started = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let me = SharedHolder { host: host(), pid: std::process::id(), command: command.to_owned(), started };
        let body = serde_json::to_string(&me).unwrap_or_default();
        let cloud = |what: &str, e: CfnError| Error::cloud(format!("{what} s3://{bucket}/{}", lock.key), e);
        for attempt in 0..2 {
            if cfn.put_if_absent(region, bucket, &lock.key, &body).await.map_err(|e| cloud("taking the lock", e))? {
                return Ok(lock);
            }
            let text = cfn.read_object(region, bucket, &lock.key).await.map_err(|e| cloud("reading the lock", e))?;
            let Some(text) = text else { continue }; // released meanwhile: try again
            let who = match serde_json::from_str::<SharedHolder>(&text) {
                Ok(h) => format!(
                    "haplat {} on {} (process {}, started {}s ago)",
                    h.command,
                    h.host,
                    h.pid,
                    started.saturating_sub(h.started)
                ),
                Err(_) => "an unreadable holder".to_owned(),
            };
            if force && attempt == 0 {
                crate::errln!("--force-unlock: removing the lock of {who} (s3://{bucket}/{})", lock.key);
                cfn.delete_object(region, bucket, &lock.key).await.map_err(|e| cloud("removing the lock", e))?;
                continue;
            }
            return Err(Error::Refused(format!(
                "{app} is locked by {who}: wait for it to finish; if that run is gone, rerun with --force-unlock \
                 (lock s3://{bucket}/{})",
                lock.key
            )));
        }
        Err(Error::Refused(format!("could not take the lock s3://{bucket}/{} (another run keeps taking it)", lock.key)))
    }

    /// Releases the lock; a failure is said, not fatal (the run's own result stands).
    pub async fn release<C: CloudFormation>(self, cfn: &C) {
        if let Err(e) = cfn.delete_object(&self.region, &self.bucket, &self.key).await {
            crate::errln!(
                "warning: the lock s3://{}/{} could not be removed ({e}); the next run needs --force-unlock",
                self.bucket,
                self.key
            );
        }
    }
}

/// This machine's name, for the lock's holder.
fn host() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "an unnamed host".to_owned())
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
