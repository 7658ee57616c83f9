//! The shared harness of haplat's tests: the pinned tools (cfn-lint, moto's server, checkov,
//! cfn-guard with the Control Tower rules) installed by `scripts/install-tools.sh`, cfn-lint over
//! templates with its findings by severity, and finding, building and running the apps of
//! `apps/` as `haplat synth` would.
//!
//! Every crate's tests use it (as a dev-dependency), so there is one way to install the tools
//! and one reading of cfn-lint's exit code. It does not depend on haplat-core, so haplat-core's
//! own tests can use it without building the generated resources twice.

pub mod layers_check;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value as Json;

/// Every file below `dir` (in every folder) whose extension is `ext` (`rs`, `guard`), sorted.
pub fn files_with_extension(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("cannot list {}: {e}", d.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == ext) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the workspace").to_path_buf()
}

/// Where the tools are installed: `HAPLAT_TOOLS_DIR`, or `.tools` in the workspace.
pub fn tools_dir() -> PathBuf {
    std::env::var_os("HAPLAT_TOOLS_DIR").map(PathBuf::from).unwrap_or_else(|| root().join(".tools"))
}

/// Runs `scripts/install-tools.sh` once per test binary (it does nothing when the pinned
/// versions are there) and returns the folder of the tools' executables. Panics with the
/// script's output when it cannot install them.
pub fn tools_bin() -> PathBuf {
    static DONE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DONE.get_or_init(|| {
        let script = root().join("scripts/install-tools.sh");
        let out =
            Command::new("bash").arg(&script).output().map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{} failed ({}); it needs python3 and PyPI:\n{}{}",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(tools_dir().join("venv/bin"))
    })
    .clone()
    .unwrap_or_else(|e| panic!("the Python tools the tests need are not installed: {e}"))
}

/// The pinned cfn-lint.
pub fn cfn_lint() -> PathBuf {
    tools_bin().join("cfn-lint")
}

/// The pinned checkov (in its own venv: its pins of boto3 differ from moto's).
pub fn checkov() -> PathBuf {
    tools_bin();
    tools_dir().join("checkov/bin/checkov")
}

/// The pinned cfn-guard (the binary the npm package `@cdklabs/cdk-validator-cfnguard` bundles
/// for this platform).
pub fn cfn_guard() -> PathBuf {
    tools_bin();
    tools_dir().join("bin/cfn-guard")
}

/// The folder of the AWS Control Tower proactive-control rules (`.guard` files, one per control)
/// from the same npm package.
pub fn control_tower_rules() -> PathBuf {
    tools_bin();
    tools_dir().join("guard-rules")
}

/// What cfn-lint said about some templates.
#[derive(Clone, Debug)]
pub struct Lint {
    /// cfn-lint's exit code: a bit mask of 2 (errors), 4 (warnings), 8 (informational); 1 when
    /// it failed to run.
    pub code: i32,
    /// Its findings, one per line (`--format parseable`), and anything it wrote on stderr.
    pub report: String,
}

impl Lint {
    /// Errors, or cfn-lint failing to run.
    pub fn has_errors(&self) -> bool {
        self.code & 3 != 0 || self.code < 0
    }

    /// Neither errors nor warnings (informational findings pass).
    pub fn is_clean(&self) -> bool {
        !self.has_errors() && self.code & 4 == 0
    }
}

impl std::fmt::Display for Lint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cfn-lint exit {}:\n{}", self.code, self.report)
    }
}

/// Lints template files for every region given.
pub fn lint<R: AsRef<str>>(templates: &[PathBuf], regions: &[R]) -> Lint {
    let out = Command::new(cfn_lint())
        .arg("--regions")
        .args(regions.iter().map(AsRef::as_ref))
        .args(["--format", "parseable", "--"])
        .args(templates)
        .output()
        .unwrap_or_else(|e| panic!("cfn-lint did not run: {e}"));
    Lint {
        code: out.status.code().unwrap_or(-1),
        report: format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    }
}

/// Lints template files, each over its regions: the files that share a region set in one
/// cfn-lint run (its report names each file). What each region set's run said, by region set.
pub fn lint_by_region_set(templates: impl IntoIterator<Item = (Vec<String>, PathBuf)>) -> BTreeMap<Vec<String>, Lint> {
    let mut by_regions: BTreeMap<Vec<String>, Vec<PathBuf>> = BTreeMap::new();
    for (regions, template) in templates {
        by_regions.entry(regions).or_default().push(template);
    }
    by_regions
        .into_iter()
        .map(|(regions, files)| {
            let lint = lint(&files, &regions);
            (regions, lint)
        })
        .collect()
}

/// Lints templates held in memory (name → template), written to a temporary folder first.
pub fn lint_templates<R: AsRef<str>>(templates: &[(String, Json)], regions: &[R]) -> Lint {
    let dir = std::env::temp_dir().join(format!("haplat-lint-{}-{}", std::process::id(), unique()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let files: Vec<PathBuf> = templates
        .iter()
        .map(|(name, t)| {
            let file = dir.join(format!("{name}.template.json"));
            std::fs::write(&file, serde_json::to_string_pretty(t).expect("templates serialize"))
                .expect("write a template");
            file
        })
        .collect();
    let lint = lint(&files, regions);
    let _ = std::fs::remove_dir_all(&dir);
    lint
}

fn unique() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// An app under `apps/`.
#[derive(Clone, Debug)]
pub struct AppDir {
    /// The folder name.
    pub dir: String,
    /// The cargo package (and binary) name.
    pub package: String,
    /// Its environments (`environments/*.yaml` stems), or `["default"]` when it has none.
    pub environments: Vec<String>,
}

/// Every app under `apps/`, sorted.
pub fn apps() -> Vec<AppDir> {
    let mut apps = Vec::new();
    let dir = root().join("apps");
    let Ok(entries) = std::fs::read_dir(&dir) else { return apps };
    for entry in entries.flatten() {
        let manifest = entry.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else { continue };
        let package = text
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("name")
                    .map(|r| r.trim_start_matches([' ', '=']).trim().trim_matches('"').to_owned())
            })
            .unwrap_or_else(|| panic!("{}: no package name", manifest.display()));
        let mut environments: Vec<String> = std::fs::read_dir(entry.path().join("environments"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".yaml")).map(str::to_owned))
            .collect();
        environments.sort();
        if environments.is_empty() {
            environments.push("default".into());
        }
        apps.push(AppDir { dir: entry.file_name().to_string_lossy().into_owned(), package, environments });
    }
    apps.sort_by(|a, b| a.dir.cmp(&b.dir));
    apps
}

/// The cargo running the tests (`CARGO`, else `cargo` on the PATH), for a build inside a test,
/// without the variables cargo sets for the test binary it runs (`CARGO_MANIFEST_DIR`,
/// `CARGO_PKG_NAME`, …): some build scripts (ring's) ask to rerun when those change, so a build
/// that inherits them builds ring, rustls and every crate above them again, and the next build
/// outside the tests once more.
pub fn cargo() -> Command {
    let mut cmd = Command::new(cargo_program());
    without_cargo_run_vars(&mut cmd);
    cmd
}

fn cargo_program() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Removes from a command's environment what cargo sets for a binary it runs (see [`cargo`]), for
/// a command that runs cargo in turn (`haplat synth` with `cargo run` as its app).
pub fn without_cargo_run_vars(cmd: &mut Command) -> &mut Command {
    const SET_BY_CARGO: &[&str] = &[
        "CARGO_MANIFEST_",
        "CARGO_PKG_",
        "CARGO_BIN_",
        "CARGO_CRATE_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
    ];
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(|k| SET_BY_CARGO.iter().any(|p| k.starts_with(p))) {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// The packages and features `scripts/test.sh` builds every test with. The apps' binaries are
/// built with the same (see [`build`]), so cargo resolves every dependency's features as it did
/// for the tests and reuses what it built: `cargo build -p reference-platform` alone resolves
/// fewer features of syn, indexmap or serde, and builds them, serde and haplat-core again
/// (docs/build-cost.md).
pub const WORKSPACE_BUILD: &[&str] = &["--workspace", "--features", "haplat-cli/aws"];

/// Builds the binaries of these packages and returns package → executable. Every binary of the
/// workspace is built, as [`WORKSPACE_BUILD`] selects them, with the dev-dependencies' features
/// too (`--examples` asks for them as the tests do; the workspace has no examples): after the
/// tests' build this links the apps it had not linked, and builds nothing else.
///
/// Bounded (coreutils `timeout`): another build may hold the target directory's lock a while.
pub fn build(packages: &[&str]) -> BTreeMap<String, PathBuf> {
    let mut cmd = Command::new("timeout");
    cmd.arg("600").arg(cargo_program());
    let out = without_cargo_run_vars(&mut cmd)
        .current_dir(root())
        .args(["build", "--quiet", "--message-format=json-render-diagnostics", "--bins", "--examples"])
        .args(WORKSPACE_BUILD)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "building the apps failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut exes = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<Json>(line) else { continue };
        let (Some(exe), Some(name)) = (msg["executable"].as_str(), msg["target"]["name"].as_str()) else { continue };
        if msg["target"]["kind"][0] == "bin" && packages.contains(&name) {
            exes.insert(name.to_owned(), PathBuf::from(exe));
        }
    }
    for p in packages {
        assert!(exes.contains_key(*p), "cargo build named no binary {p} (a package of apps/ has a binary of its name)");
    }
    exes
}

/// One stack of an assembly, as its manifest lists it.
#[derive(Clone, Debug)]
pub struct StackFile {
    /// The stack set name.
    pub name: String,
    /// The template file, relative to the assembly.
    pub template: String,
    /// Every region it is deployed to.
    pub regions: Vec<String>,
}

/// Runs an app as `haplat synth` does (`HAPLAT_OUTDIR`, `HAPLAT_ENV`) and lists its stacks from
/// the manifest it wrote.
pub fn synth(exe: &Path, env: &str, out: &Path) -> Result<Vec<StackFile>, String> {
    let mut cmd = Command::new(exe);
    cmd.env("HAPLAT_OUTDIR", out).env_remove("HAPLAT_CONTEXT");
    if env == "default" {
        cmd.env_remove("HAPLAT_ENV");
    } else {
        cmd.env("HAPLAT_ENV", env);
    }
    let o = cmd.output().map_err(|e| format!("{} did not start: {e}", exe.display()))?;
    if !o.status.success() {
        return Err(format!("{} ({env}) failed:\n{}", exe.display(), String::from_utf8_lossy(&o.stderr)));
    }
    let text = std::fs::read_to_string(out.join("manifest.json")).map_err(|e| format!("no manifest: {e}"))?;
    let manifest: Json = serde_json::from_str(&text).map_err(|e| format!("manifest.json: {e}"))?;
    let stacks = manifest["stacks"].as_array().ok_or("manifest.json has no stacks")?;
    Ok(stacks
        .iter()
        .map(|s| {
            let target = &s["target"];
            let regions = match target["regions"].as_array() {
                Some(list) => list.iter().filter_map(|r| r.as_str().map(str::to_owned)).collect(),
                None => target["region"].as_str().map(|r| vec![r.to_owned()]).unwrap_or_default(),
            };
            StackFile {
                name: s["name"].as_str().unwrap_or_default().to_owned(),
                template: s["template"].as_str().unwrap_or_default().to_owned(),
                regions,
            }
        })
        .collect())
}
