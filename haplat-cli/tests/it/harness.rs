//! The shared harness: moto's server on 127.0.0.1 (installed by the repo's own script, started
//! on a free port with a bounded lifetime, reset, killed on drop), a project directory whose
//! assembly source can be switched, and a runner for the `haplat` binary whose output is
//! snapshotted with what varies redacted.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use haplat_cli::sdk::{Aws, AwsOptions};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("crate is in the repo").to_owned()
}

/// The fixture assembly directory of that name.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// The folder of the pinned Python tools' executables (`scripts/install-tools.sh`, once per
/// test binary; panics with its output if it fails).
pub fn install_tools() -> PathBuf {
    haplat_tests::tools_bin()
}

/// A real app of the workspace, built once per test binary.
#[derive(Clone, Debug)]
pub struct RealApp {
    /// Its package.
    pub package: &'static str,
    /// The environment passed with `--env` (the app may ignore it).
    pub env: &'static str,
    /// Its executable (honours HAPLAT_OUTDIR and HAPLAT_ENV).
    pub exe: PathBuf,
}

/// The reference platform's prod environment (three regions), built once per test binary
/// ([`haplat_tests::build`]: as the tests were built, so nothing but the binary is built).
pub fn real_app() -> RealApp {
    static APP: OnceLock<RealApp> = OnceLock::new();
    APP.get_or_init(|| {
        let package = "reference-platform";
        let exe = haplat_tests::build(&[package]).remove(package).expect("build names every package's binary");
        RealApp { package, env: "prod", exe }
    })
    .clone()
}

/// `apps/emulator-demo`'s executable (the README's emulator deploy), built once per test binary.
pub fn demo_app() -> PathBuf {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| haplat_tests::build(&["emulator-demo"]).remove("emulator-demo").expect("build names it")).clone()
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0").local_addr().expect("local addr").port()
}

/// A moto server (through the repo's launcher, which patches the moto bugs the reference platform
/// meets: tools/emulator/launch.py), stopped on drop. It also dies by itself after `LIFETIME`
/// seconds, so a test binary killed mid-run leaves nothing behind for long.
pub struct Moto {
    /// The server's process (a child of the [`Pool`], not of this one).
    pid: u32,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

const LIFETIME: u32 = 300;
/// The pool's own bound, past any test binary's run.
const POOL_LIFETIME: &str = "3600";

/// The launcher as a pool of servers (`launch.py --pool`): moto and its patches are imported
/// once per test binary, and each server is forked from it, instead of a new Python importing
/// them for each (about 1.5 s of CPU each, twenty times). It ends when its stdin closes, that
/// is when this process ends, stopping its servers; or after `POOL_LIFETIME` seconds.
struct Pool {
    _child: Child,
    stdin: std::process::ChildStdin,
    stdout: std::io::BufReader<std::process::ChildStdout>,
}

fn pool() -> std::sync::MutexGuard<'static, Pool> {
    static POOL: OnceLock<std::sync::Mutex<Pool>> = OnceLock::new();
    POOL.get_or_init(|| {
        let python = install_tools().join("python");
        let launcher = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/emulator/launch.py");
        let mut child = Command::new("timeout")
            .args(["--signal=TERM", "--kill-after=5", POOL_LIFETIME])
            .arg(&python)
            .arg(launcher)
            .arg("--pool")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // What the pool itself says (it refuses a moto other than the pinned one) goes to
            // this binary's output; each server writes its own log.
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the emulator pool with {}: {e}", python.display()));
        let stdin = child.stdin.take().expect("piped");
        let stdout = std::io::BufReader::new(child.stdout.take().expect("piped"));
        std::sync::Mutex::new(Pool { _child: child, stdin, stdout })
    })
    .lock()
    .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether process `pid` is still there (`kill -0`).
fn alive(pid: u32) -> bool {
    Command::new("kill").args(["-0", &pid.to_string()]).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

impl Moto {
    /// Starts a server and waits until it answers; panics saying why when it cannot.
    pub fn start() -> Moto {
        use std::io::{BufRead, Write};
        let port = free_port();
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("moto.log");
        let pid = {
            let mut pool = pool();
            let mut answer = String::new();
            let asked = writeln!(pool.stdin, "{port} {LIFETIME} {}", log.display()).and_then(|()| pool.stdin.flush());
            let read = asked.and_then(|()| pool.stdout.read_line(&mut answer));
            match (read, answer.trim().parse::<u32>()) {
                (Ok(_), Ok(pid)) => pid,
                (read, _) => panic!(
                    "the emulator pool did not start a server ({read:?}, answered {answer:?}); its output is above"
                ),
            }
        };
        let moto = Moto { pid, endpoint: format!("http://127.0.0.1:{port}"), log, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if moto.post("/moto-api/reset").is_ok() {
                return moto;
            }
            if !alive(moto.pid) {
                panic!("the emulator exited before answering:\n{}", moto.log_text());
            }
            if Instant::now() > deadline {
                panic!("the emulator did not answer on {} within 30 s:\n{}", moto.endpoint, moto.log_text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn post(&self, path: &str) -> std::io::Result<String> {
        use std::io::Write;
        let addr = self.endpoint.trim_start_matches("http://");
        let mut s = TcpStream::connect(addr)?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(s, "POST {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: 0\r\n\r\n")?;
        let mut out = String::new();
        s.read_to_string(&mut out)?;
        if out.starts_with("HTTP/1.1 200") || out.starts_with("HTTP/1.0 200") {
            Ok(out)
        } else {
            Err(std::io::Error::other(out))
        }
    }

    /// Wipes every resource (`POST /moto-api/reset`).
    pub fn reset(&self) {
        self.post("/moto-api/reset").unwrap_or_else(|e| panic!("moto reset failed: {e}"));
    }

    /// Environment for the binary to talk to this server.
    pub fn env(&self, cmd: &mut Command) {
        cmd.env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1");
    }

    /// The SDK's configuration for this server (us-east-1, test credentials), for the clients of
    /// other services that tests use to arrange or check things.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .http_client(haplat_cli::sdk::https_client())
            .credentials_provider(aws_credential_types::Credentials::new("testing", "testing", None, None, "test"))
            .load()
            .await
    }

    /// Signed calls to the emulator, to set up what an account admin would have made.
    pub async fn signed(&self) -> haplat_cli::signed::Signed {
        haplat_cli::signed::Signed::new(self.sdk_config().await, std::time::Duration::from_secs(30))
    }

    /// A Route 53 `POST` to the emulator of `request`'s XML (`<Create…Request>`'s content) at
    /// `path` under `/2013-04-01/`; its answer.
    pub async fn route53(&self, path: &str, root: &str, request: &str) -> haplat_cli::signed::Xml {
        use haplat_cli::signed::{Call, ROUTE53};
        let mut call = Call::new(ROUTE53, "us-east-1", "POST", format!("/2013-04-01/{path}"));
        call.body =
            format!(r#"<{root} xmlns="https://route53.amazonaws.com/doc/2013-04-01/">{request}</{root}>"#).into_bytes();
        self.signed().await.xml(&call).await.unwrap()
    }

    /// The SDK-backed service, in-process, for checks.
    pub async fn aws(&self) -> Aws {
        Aws::connect(&AwsOptions {
            region: Some("us-east-1".into()),
            endpoint_url: Some(self.endpoint.clone()),
            static_credentials: Some(("testing".into(), "testing".into())),
            ..Default::default()
        })
        .await
        .expect("connect")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // TERM, then KILL if it is still there after 5 s (the pool reaps it).
        let pid = self.pid.to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).stderr(Stdio::null()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !alive(self.pid) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-KILL", &pid]).stderr(Stdio::null()).status();
    }
}

/// Where a project's assembly comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// A fixture assembly copied by a one-line shell app.
    Fixture(&'static str),
    /// A directory copied the same way (e.g. a fixture changed by a test).
    Dir(PathBuf),
    /// A real app command (e.g. `cargo run -q -p reference-platform`).
    #[allow(dead_code)]
    App(String),
}

impl Source {
    fn command(&self) -> String {
        let copy = |d: &Path| format!("cp '{}'/* \"$HAPLAT_OUTDIR\"/", d.display());
        match self {
            Source::Fixture(name) => copy(&fixture(name)),
            Source::Dir(d) => copy(d),
            Source::App(cmd) => cmd.clone(),
        }
    }
}

/// A project directory with a `haplat.toml`.
pub struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    /// A project whose app produces `source`.
    pub fn new(source: Source) -> Project {
        let p = Project { dir: tempfile::tempdir().expect("tempdir") };
        p.switch(source);
        p
    }

    /// Its directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Changes the app (the user changed their code).
    pub fn switch(&self, source: Source) {
        let toml = format!("app = {}\n", toml_string(&source.command()));
        std::fs::write(self.path().join("haplat.toml"), toml).expect("write haplat.toml");
    }

    /// `haplat ARGS` in the project, with no AWS configuration at all.
    pub fn haplat(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_haplat"));
        cmd.args(args).current_dir(self.path());
        isolate(&mut cmd, self.path());
        cmd
    }
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Removes every AWS setting the developer's environment may have, so that tests never reach
/// a real account and never leave 127.0.0.1.
pub fn isolate(cmd: &mut Command, home: &Path) {
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k.starts_with("HAPLAT_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", home)
        .env("AWS_CONFIG_FILE", home.join("no-aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("no-aws-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
}

/// What a run of the binary gave.
#[derive(Debug)]
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// Stdout.
    pub stdout: String,
    /// Stderr.
    pub stderr: String,
}

impl Run {
    /// Exit code, stdout and stderr in one text, with what varies redacted.
    pub fn snapshot(&self, root: &Path) -> String {
        redact(
            &format!(
                "exit code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
                self.code, self.stdout, self.stderr
            ),
            root,
        )
    }
}

/// Runs a command, bounded in time.
pub fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("run haplat");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The write end of a pipe whose reader has gone: `true` held the read end and has exited.
pub fn closed_pipe() -> Stdio {
    let mut reader = Command::new("true").stdin(Stdio::piped()).spawn().expect("run true");
    let writer = reader.stdin.take().expect("piped stdin");
    reader.wait().expect("true exits");
    writer.into()
}

/// Runs a command whose stdout reader has gone (the pipe's read end closed before it starts,
/// so every write to stdout fails with EPIPE), bounded in time.
pub fn run_without_reader(cmd: &mut Command) -> Run {
    let out = cmd.stdout(closed_pipe()).stderr(Stdio::piped()).output().expect("run haplat");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Replaces paths, operation ids, ports and bucket names by placeholders.
pub fn redact(s: &str, root: &Path) -> String {
    let mut s = s.replace(&root.display().to_string(), "[PROJECT]");
    s = s.replace(&fixture("").display().to_string(), "[FIXTURES]/");
    // Where cargo put the app binaries differs per machine and clone.
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        s = s.replace(&Path::new(&target).display().to_string(), "[TARGET]");
    }
    s = s.replace(&repo_root().join("target").display().to_string(), "[TARGET]");
    s = s.replace(&repo_root().display().to_string(), "[REPO]");
    for (pat, rep) in [
        (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[ID]"),
        (r"127\.0\.0\.1:[0-9]+", "127.0.0.1:[PORT]"),
        (r"haplatbootstrap-templatebucket-[a-z0-9]+", "[BUCKET]"),
    ] {
        s = regex::Regex::new(pat).expect("pattern").replace_all(&s, rep).into_owned();
    }
    s
}

/// Settings for insta: snapshots under `<repo>/snapshots/cli`.
#[macro_export]
macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => $crate::harness::repo_root().join("snapshots/cli"), prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!($name, $value);
        });
    };
}

/// The bootstrap the executor tests deploy with: account 111111111111, administration region
/// us-east-1, three regions.
pub fn bootstrap() -> haplat_cli::bootstrap::Bootstrap {
    haplat_cli::bootstrap::Bootstrap {
        account: "111111111111".into(),
        region: "us-east-1".into(),
        admin_role_arn: "arn:aws:iam::111111111111:role/AWSCloudFormationStackSetAdministrationRole".into(),
        execution_role_name: "AWSCloudFormationStackSetExecutionRole".into(),
        bucket: "bucket".into(),
        regions: vec!["us-east-1".into(), "us-west-2".into(), "eu-west-1".into()],
        apigateway_logs_role: None,
    }
}

/// The waits of tests against the fake, whose clock is paused: polls from 1 s to 8 s, 10
/// minutes at most, 5 retries.
pub fn waits() -> haplat_cli::client::Waits {
    haplat_cli::client::Waits {
        first_poll: std::time::Duration::from_secs(1),
        max_poll: std::time::Duration::from_secs(8),
        timeout: std::time::Duration::from_secs(600),
        retries: 5,
    }
}
