//! Two real `haplat deploy` processes of the same app at once, against moto: one proceeds, the
//! other refuses at once (exit 5) with one line naming the holder, the assembly directory stays
//! whole, and once the first has finished a rerun converges.
//!
//! Which run wins is made certain, not left to timing: the first is started, and once it holds
//! the lock (the lock file beside the assembly, or the lock object in the bootstrap bucket) it is
//! paused (SIGSTOP) while the second runs, then resumed (SIGCONT).
//!
//! - on one machine: the same project directory, the lock beside the assembly (`lock::RunLock`);
//! - from two machines: two project directories of the same app, the lock object in the
//!   bootstrap bucket (`lock::SharedLock`, S3 conditional writes: moto 5.2.5 implements
//!   `If-None-Match: *` on `PutObject`, answering 412 when the object exists, but not atomically:
//!   of simultaneous writes two could succeed, which the launcher's `conditional_writes_atomic`
//!   patch fixes and the last test here checks).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use haplat_cli::assembly::Assembly;
use haplat_cli::cfn::CloudFormation;

use crate::harness::{Moto, Project, Run, Source, run};

/// A `haplat` process the test started: its output in files, killed (by its id) if still
/// running when dropped.
struct Running {
    child: Child,
    out: PathBuf,
    err: PathBuf,
    _dir: tempfile::TempDir,
}

impl Running {
    fn start(mut cmd: Command) -> Running {
        let dir = tempfile::tempdir().expect("tempdir");
        let (out, err) = (dir.path().join("stdout"), dir.path().join("stderr"));
        let child = cmd
            .stdout(std::fs::File::create(&out).expect("stdout file"))
            .stderr(std::fs::File::create(&err).expect("stderr file"))
            .spawn()
            .expect("start haplat");
        Running { child, out, err, _dir: dir }
    }

    fn signal(&self, signal: &str) {
        let ok = Command::new("kill").args([signal, &self.child.id().to_string()]).status().expect("kill");
        assert!(ok.success(), "kill {signal} {}", self.child.id());
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }

    /// Waits for the end (at most `limit`), and what it gave.
    fn wait(mut self, limit: Duration) -> Run {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            assert!(Instant::now() < deadline, "haplat did not end within {limit:?}:\n{}", self.stderr());
            std::thread::sleep(Duration::from_millis(50));
        };
        Run {
            code: status.code().unwrap_or(-1),
            stdout: std::fs::read_to_string(&self.out).unwrap_or_default(),
            stderr: self.stderr(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill").args(["-CONT", &self.child.id().to_string()]).status();
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits (at most a minute) until `held` says the first run holds its lock; panics with its
/// stderr if it ends before.
fn until_held(first: &mut Running, mut held: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !held() {
        if let Ok(Some(status)) = first.child.try_wait() {
            panic!("the first deploy ended ({status}) before it was seen holding the lock:\n{}", first.stderr());
        }
        assert!(Instant::now() < deadline, "the first deploy never took the lock:\n{}", first.stderr());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn haplat(p: &Project, moto: &Moto, args: &[&str]) -> Command {
    let mut cmd = p.haplat(args);
    moto.env(&mut cmd);
    cmd.stdin(Stdio::null());
    cmd
}

/// The assembly directory whole: it loads, and no fresh synthesis directory is left beside it.
fn assembly_whole(project: &Path) {
    Assembly::load(&project.join("haplat.out")).unwrap_or_else(|e| panic!("the assembly does not load: {e}"));
    let left: Vec<String> = std::fs::read_dir(project)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(".haplat.out.new") || n.ends_with(".lock"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// The refused run: exit 5, promptly, one line naming the holder, and it deployed nothing.
fn refused(second: Run, first_pid: u32, says: &str) {
    assert_eq!(second.code, 5, "{second:?}");
    let lines: Vec<&str> = second.stderr.lines().filter(|l| l.contains("lock")).collect();
    let [line] = lines[..] else { panic!("one line about the lock: {}", second.stderr) };
    assert!(line.contains(says), "{line}");
    assert!(line.contains(&format!("process {first_pid}")), "names the holder's process: {line}");
    assert!(!second.stdout.contains("deployed"), "{second:?}");
}

fn bootstrap(p: &Project, moto: &Moto) {
    let b = run(&mut haplat(p, moto, &["bootstrap", "--regions", "us-east-1,us-west-2,eu-west-1"]));
    assert_eq!(b.code, 0, "{b:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn two_deploys_in_one_project_one_proceeds_the_other_names_the_holder() {
    let moto = Moto::start();
    let p = Project::new(Source::Fixture("basic"));
    bootstrap(&p, &moto);
    let lock = p.path().join("haplat.out.lock");

    let mut first = Running::start(haplat(&p, &moto, &["deploy", "--yes", "--skip-doctor", "--no-health"]));
    until_held(&mut first, || lock.exists());
    first.signal("-STOP");
    let started = Instant::now();
    let second = Running::start(haplat(&p, &moto, &["deploy", "--yes", "--skip-doctor", "--no-health"]))
        .wait(Duration::from_secs(60));
    let took = started.elapsed();
    first.signal("-CONT");
    refused(second, first.child.id(), "haplat deploy of this assembly is already running");
    assert!(took < Duration::from_secs(30), "the second run waited {took:?} instead of refusing");

    let first = first.wait(Duration::from_secs(240));
    assert_eq!(first.code, 0, "{first:?}");
    assert_whole_and_converged(&p, &moto).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn two_deploys_from_two_machines_one_proceeds_the_other_names_the_holder() {
    let moto = Moto::start();
    // Two clones of the same app (the same app name) on two machines.
    let (laptop, ci) = (Project::new(Source::Fixture("basic")), Project::new(Source::Fixture("basic")));
    bootstrap(&laptop, &moto);
    let aws = moto.aws().await;
    let b = haplat_cli::bootstrap::read(&aws, "us-east-1").await.unwrap().expect("bootstrapped");
    let app = Assembly::load(&crate::harness::fixture("basic")).unwrap().manifest.app;
    let key = format!("locks/{app}.json");

    let mut first = Running::start(haplat(&laptop, &moto, &["deploy", "--yes", "--skip-doctor", "--no-health"]));
    let rt = tokio::runtime::Handle::current();
    until_held(&mut first, || {
        tokio::task::block_in_place(|| rt.block_on(aws.read_object("us-east-1", &b.bucket, &key)))
            .ok()
            .flatten()
            .is_some()
    });
    first.signal("-STOP");
    let started = Instant::now();
    let second = Running::start(haplat(&ci, &moto, &["deploy", "--yes", "--skip-doctor", "--no-health"]))
        .wait(Duration::from_secs(60));
    let took = started.elapsed();
    first.signal("-CONT");
    refused(second, first.child.id(), &format!("{app} is locked by haplat deploy on "));
    assert!(took < Duration::from_secs(30), "the second run waited {took:?} instead of refusing");
    // The refused run touched neither lock: the first's is still there, its own is gone.
    assert!(!ci.path().join("haplat.out.lock").exists());

    let first = first.wait(Duration::from_secs(240));
    assert_eq!(first.code, 0, "{first:?}");
    assert!(aws.read_object("us-east-1", &b.bucket, &key).await.unwrap().is_none(), "released");
    // The other machine's rerun converges on what the first deployed.
    assert_whole_and_converged(&ci, &moto).await;
    assert_whole_and_converged(&laptop, &moto).await;
}

/// A rerun deploys nothing new and `diff --fail` is clean; the assembly is whole.
async fn assert_whole_and_converged(p: &Project, moto: &Moto) {
    let again = run(&mut haplat(p, moto, &["deploy", "--yes", "--skip-doctor", "--no-health"]));
    assert_eq!(again.code, 0, "{again:?}");
    let diff = run(&mut haplat(p, moto, &["diff", "--fail"]));
    assert_eq!(diff.code, 0, "{diff:?}");
    assembly_whole(p.path());
    let sets = moto.aws().await.list_stack_sets().await.unwrap();
    assert_eq!(sets.len(), 3, "{sets:?}");
}

/// The emulator's conditional write is what the shared lock rests on: of many writes of the same
/// new object at the same moment, exactly one succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_simultaneous_conditional_writes_exactly_one_succeeds() {
    let moto = Moto::start();
    let p = Project::new(Source::Fixture("basic"));
    bootstrap(&p, &moto);
    let aws = std::sync::Arc::new(moto.aws().await);
    let bucket = haplat_cli::bootstrap::read(&*aws, "us-east-1").await.unwrap().expect("bootstrapped").bucket;
    for round in 0..200 {
        let key = format!("locks/race-{round}.json");
        let writers: Vec<_> = (0..8)
            .map(|w| {
                let (aws, bucket, key) = (aws.clone(), bucket.clone(), key.clone());
                tokio::spawn(async move { aws.put_if_absent("us-east-1", &bucket, &key, &format!("{w}")).await })
            })
            .collect();
        let mut won = 0;
        for w in writers {
            if w.await.unwrap().unwrap() {
                won += 1;
            }
        }
        assert_eq!(won, 1, "round {round}: {won} writers were told they wrote the object first");
    }
}
