//! One `deploy` or `destroy` of an app at a time:
//! - on this machine, [`RunLock`]: a lock file beside the assembly directory
//!   (`haplat.out.lock`) held with the operating system's file lock and naming its holder
//!   (process, command, start time). A second run refuses with that name; a lock file left by
//!   a run that is gone is not locked, and is taken over. Released when the run ends, however
//!   it ends (dropped; the OS releases the file lock of a killed process).
//! - on every machine, [`SharedLock`]: an object in the bootstrap bucket written only when
//!   absent, so two runs of the same app from two machines (a laptop and CI) never operate on
//!   its stack sets together.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::cfn::{CfnError, CloudFormation};
use crate::error::Error;

/// A held lock: the lock file, locked by the operating system (`flock`) as long as this run
/// lives; removed, then unlocked, on drop.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
    file: std::fs::File,
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
    ///
    /// Who holds it is the operating system's file lock, not the file's text: a run that died
    /// left its file unlocked, so it is taken over; a run that holds it is refused, even when
    /// its text cannot be read (half-written, or not a haplat lock at all), with one line naming
    /// the file. A file whose text is not a haplat lock and that no run holds is not overwritten:
    /// it is named, to be removed by hand. Something other than a file there (a directory) is an
    /// error naming it.
    pub fn acquire(dir: &Path, command: &str) -> Result<RunLock, Error> {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "haplat.out".into());
        let path = dir.with_file_name(format!("{name}.lock"));
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let me = Holder { pid: std::process::id(), command: command.to_owned(), started: now };
        let refused = |what: String| Error::Refused(format!("{}: {what}", path.display()));
        for _ in 0..3 {
            if path.is_dir() {
                return Err(refused("is a directory, where haplat's lock file should be: remove it".into()));
            }
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|source| Error::Write { path: path.clone(), source })?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    let holder = crate::files::read_text(&path, crate::files::Kind::Lock)
                        .ok()
                        .and_then(|t| serde_json::from_str::<Holder>(&t).ok());
                    let who = match holder {
                        Some(h) => format!(
                            "haplat {} of this assembly is already running (process {}, started {}s ago, lock {})",
                            h.command,
                            h.pid,
                            now.saturating_sub(h.started),
                            path.display()
                        ),
                        None => format!("a run whose lock {} does not say who it is holds it", path.display()),
                    };
                    return Err(Error::Refused(format!("{who}: wait for it to finish")));
                }
                Err(std::fs::TryLockError::Error(source)) => return Err(Error::Write { path, source }),
            }
            // Locked, but perhaps a file a finishing run removed meanwhile: then again.
            if !same_file(&file, &path) {
                continue;
            }
            match crate::files::read_text(&path, crate::files::Kind::Lock) {
                Ok(t) if t.trim().is_empty() || serde_json::from_str::<Holder>(&t).is_ok() => {}
                Ok(_) => return Err(refused("is not a haplat lock; no run holds it: remove it".into())),
                Err(e) => return Err(refused(format!("{}; no run holds it: remove it", e.problem))),
            }
            let text = serde_json::to_string(&me).unwrap_or_default();
            let write = |mut f: &std::fs::File| -> std::io::Result<()> {
                f.set_len(0)?;
                f.write_all(text.as_bytes())?;
                f.flush()
            };
            write(&file).map_err(|source| Error::Write { path: path.clone(), source })?;
            return Ok(RunLock { path, file });
        }
        Err(Error::Refused(format!("could not take the lock {} (another run keeps taking it)", path.display())))
    }
}

/// Whether the open `file` is still the one at `path` (not removed, or replaced, since it was
/// opened).
fn same_file(file: &std::fs::File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        path.is_file()
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Removed while still locked: a run waiting on this file then sees it gone.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
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
