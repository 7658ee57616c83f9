//! The shared harness of the workspace tests: finding the apps, building and running them as
//! `haplat synth` would, and linting templates with the pinned cfn-lint.

use std::path::{Path, PathBuf};
use std::process::Command;

use haplat_core::manifest::{MANIFEST_FILE, Manifest};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the workspace").to_path_buf()
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
            .find_map(|l| l.trim().strip_prefix("name").map(|r| r.trim_start_matches([' ', '=']).trim().trim_matches('"').to_owned()))
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

/// Builds the binaries of these packages and returns package → executable.
pub fn build(packages: &[&str]) -> std::collections::BTreeMap<String, PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root()).args(["build", "--quiet", "--message-format=json-render-diagnostics"]);
    for p in packages {
        cmd.args(["-p", p]);
    }
    let out = cmd.output().expect("cargo runs");
    assert!(out.status.success(), "building the apps failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let mut exes = std::collections::BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        if let (Some(exe), Some(name)) = (msg["executable"].as_str(), msg["target"]["name"].as_str()) {
            exes.insert(name.to_owned(), PathBuf::from(exe));
        }
    }
    exes
}

/// Runs an app as `haplat synth` does (`HAPLAT_OUTDIR`, `HAPLAT_ENV`) and reads its manifest.
pub fn synth(exe: &Path, env: &str, out: &Path) -> Result<Manifest, String> {
    let mut cmd = Command::new(exe);
    cmd.env(haplat_core::OUTDIR_ENV, out).env_remove(haplat_core::CONTEXT_ENV);
    if env == "default" {
        cmd.env_remove(haplat_core::ENV_ENV);
    } else {
        cmd.env(haplat_core::ENV_ENV, env);
    }
    let o = cmd.output().map_err(|e| format!("{} did not start: {e}", exe.display()))?;
    if !o.status.success() {
        return Err(format!("{} ({env}) failed:\n{}", exe.display(), String::from_utf8_lossy(&o.stderr)));
    }
    let text = std::fs::read_to_string(out.join(MANIFEST_FILE)).map_err(|e| format!("no manifest: {e}"))?;
    Manifest::from_json(&text)
}

/// The pinned cfn-lint, installed by `scripts/install-tools.sh` when missing.
pub fn cfn_lint() -> PathBuf {
    let exe = root().join(".tools/venv/bin/cfn-lint");
    if !exe.exists() {
        let status = Command::new(root().join("scripts/install-tools.sh")).status();
        assert!(
            matches!(status, Ok(s) if s.success()),
            "cfn-lint is not installed and scripts/install-tools.sh could not install it ({status:?}); \
             it needs python3 and access to PyPI"
        );
    }
    exe
}

/// Lints templates with cfn-lint for every region given. Returns its report when it finds an
/// error or a warning (informational findings pass).
pub fn lint(templates: &[PathBuf], regions: &[String]) -> Result<(), String> {
    let out = Command::new(cfn_lint())
        .arg("--regions")
        .args(regions)
        .arg("--format")
        .arg("parseable")
        .arg("--")
        .args(templates)
        .output()
        .map_err(|e| format!("cfn-lint did not run: {e}"))?;
    // cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational.
    let code = out.status.code().unwrap_or(1);
    if code & !8 != 0 {
        return Err(format!(
            "cfn-lint (exit {code}) over {} for {}:\n{}{}",
            templates.iter().map(|t| t.display().to_string()).collect::<Vec<_>>().join(", "),
            regions.join(","),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}
