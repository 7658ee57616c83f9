//! `haplat synth`: runs the app with `HAPLAT_OUTDIR`, `HAPLAT_ENV` and `HAPLAT_CONTEXT` set,
//! then loads and checks the assembly it wrote; optionally writes YAML beside the JSON.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::assembly::Assembly;
use crate::error::Error;

/// The environment variable that names the assembly directory (read by `App::synth`).
pub const OUTDIR_ENV: &str = "HAPLAT_OUTDIR";
/// The environment variable with `--env`.
pub const ENV_ENV: &str = "HAPLAT_ENV";
/// The environment variable with the context, a JSON object of strings.
pub const CONTEXT_ENV: &str = "HAPLAT_CONTEXT";

/// What `synth` runs: the app, where, and with what.
#[derive(Clone, Debug, Default)]
pub struct AppRun {
    /// The app command (run with `sh -c`).
    pub app: String,
    /// The directory it runs in.
    pub root: PathBuf,
    /// The assembly directory.
    pub out: PathBuf,
    /// `--env`.
    pub env: Option<String>,
    /// `-c key=value` pairs.
    pub context: BTreeMap<String, String>,
    /// Also write `<stack>.template.yaml`.
    pub yaml: bool,
}

/// Runs the app and loads what it wrote. The app writes into a fresh directory beside `out`,
/// swapped in only when it succeeded: a failed run leaves the previous assembly as it was, and
/// a run never deletes files another run is writing.
pub fn synth(opts: &AppRun) -> Result<Assembly, Error> {
    let out = if opts.out.is_absolute() { opts.out.clone() } else { opts.root.join(&opts.out) };
    let fresh = sibling(&out, "new");
    let result = run_app(opts, &fresh).and_then(|()| swap_in(&fresh, &out));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&fresh);
    }
    result?;
    let assembly = Assembly::load(&out)?;
    if opts.yaml {
        write_yaml(&assembly)?;
    }
    Ok(assembly)
}

/// `.<name>.<what>-<pid>` beside `dir`: this process's own.
fn sibling(dir: &Path, what: &str) -> PathBuf {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "haplat.out".into());
    dir.with_file_name(format!(".{name}.{what}-{}", std::process::id()))
}

/// Replaces `out` with `fresh`: the old one is renamed away, the fresh one renamed in, the old
/// one removed. Another run swapping at the same moment makes the second rename fail (the name
/// is taken again): then the swap starts over, a few times.
fn swap_in(fresh: &Path, out: &Path) -> Result<(), Error> {
    let old = sibling(out, "old");
    let mut attempt = 0;
    loop {
        let had_old = out.exists();
        if had_old {
            std::fs::rename(out, &old).map_err(|source| Error::Write { path: out.to_owned(), source })?;
        }
        let moved = std::fs::rename(fresh, out);
        if had_old {
            let _ = std::fs::remove_dir_all(&old);
        }
        match moved {
            Ok(()) => return Ok(()),
            Err(_) if attempt < 5 && out.exists() => attempt += 1,
            Err(source) => return Err(Error::Write { path: out.to_owned(), source }),
        }
    }
}

/// Runs the app with `HAPLAT_OUTDIR=dir` (made empty first).
fn run_app(opts: &AppRun, out: &Path) -> Result<(), Error> {
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out).map_err(|source| Error::Write { path: out.to_owned(), source })?;
    let context = serde_json::to_string(&opts.context)
        .map_err(|e| Error::App { command: opts.app.clone(), message: format!("context: {e}") })?;
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(&opts.app)
        .current_dir(&opts.root)
        .env(OUTDIR_ENV, out)
        .env(CONTEXT_ENV, context)
        .stdin(Stdio::null())
        // The app's output goes to stderr: stdout is haplat's (summaries, plans, diffs).
        .stdout(Stdio::from(std::io::stderr()));
    match &opts.env {
        Some(e) => cmd.env(ENV_ENV, e),
        None => cmd.env_remove(ENV_ENV),
    };
    let status =
        cmd.status().map_err(|e| Error::App { command: opts.app.clone(), message: format!("could not start: {e}") })?;
    if !status.success() {
        let how = match status.code() {
            Some(c) => format!("exited with status {c}"),
            None => "was killed by a signal".to_owned(),
        };
        return Err(Error::App { command: opts.app.clone(), message: format!("{how} (its output is above)") });
    }
    Ok(())
}

/// Runs `haplat check`'s rules over the assembly, as `synth` and `deploy` do: warnings are
/// printed on stderr, one line each; an error no suppression covers fails with every such line
/// ([`Error::Findings`], exit 8), so nothing is deployed.
pub fn enforce_checks(assembly: &Assembly) -> Result<(), Error> {
    let report = haplat_check::check_dir(&assembly.dir)
        .map_err(|e| Error::Assembly { dir: assembly.dir.clone(), problems: vec![e.to_string()] })?;
    refuse_errors(&report)?;
    for line in report.active_lines() {
        crate::errln!("{line}");
    }
    Ok(())
}

/// The rules again, with what is deployed (stack name → template) as the baseline, as `deploy`
/// runs them once it has read the deployed stacks and before it changes anything: only the
/// rules about changes can find more, so only errors are reported (the warnings were printed).
pub fn enforce_checks_against(
    assembly: &Assembly,
    deployed: std::collections::BTreeMap<String, serde_json::Value>,
) -> Result<(), Error> {
    let checked = haplat_check::Assembly::load(&assembly.dir)
        .map_err(|e| Error::Assembly { dir: assembly.dir.clone(), problems: vec![e.to_string()] })?;
    refuse_errors(&haplat_check::check(&checked.with_baseline(deployed)))
}

/// [`Error::Findings`] with every unsuppressed finding when an error is among them.
fn refuse_errors(report: &haplat_check::Report) -> Result<(), Error> {
    let lines = report.active_lines();
    if report.has_errors() {
        return Err(Error::Findings(format!(
            "haplat check {}: {} (`haplat check --explain ID` says why and how to fix; a deliberate exception \
             is `scope.suppress(ID, reason)` in the app)\n{}",
            report.app,
            report.summary(),
            lines.join("\n")
        )));
    }
    Ok(())
}

/// A template as YAML that YAML 1.1 readers (the AWS CLI, cfn-lint, PyYAML) read back as the
/// same JSON: serde-saphyr quotes `yes`, `NO`, `2010-09-09`, `1:20`, `~`… Long-form `Fn::`
/// keys, as in the JSON.
pub fn to_yaml(template: &Value) -> Result<String, String> {
    let yaml = serde_saphyr::to_string(template).map_err(|e| e.to_string())?;
    let back: Value = serde_saphyr::from_str(&yaml).map_err(|e| format!("YAML does not read back: {e}"))?;
    if &back != template {
        return Err("YAML does not read back as the same template".into());
    }
    Ok(yaml)
}

/// Writes `<stack>.template.yaml` beside each JSON template.
pub fn write_yaml(assembly: &Assembly) -> Result<Vec<PathBuf>, Error> {
    let mut written = Vec::new();
    for s in &assembly.manifest.stacks {
        let t = assembly.template(&s.name);
        let name = s.template.strip_suffix(".json").unwrap_or(&s.template);
        let path = assembly.dir.join(format!("{name}.yaml"));
        let yaml = to_yaml(&t.json).map_err(|e| Error::Failed(format!("stack {}: {e}", s.name)))?;
        std::fs::write(&path, yaml).map_err(|source| Error::Write { path: path.clone(), source })?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_11_lookalikes_stay_strings() {
        let t = json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Mappings": {"M": {"us-east-1": {"a": "yes", "b": "NO", "c": "on", "d": "1:20", "e": "~", "f": "null",
                "g": "0x1F", "h": "1e3", "i": "012", "j": "", "k": "Off", "l": "y", "m": ".inf", "n": "- x", "o": "a: b", "p": "#c"}}},
            "Resources": {"T": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Sub": "${AWS::StackName}-t"}, "N": 3, "B": true}}}
        });
        let y = to_yaml(&t).unwrap();
        for plain in ["a: yes", "b: NO", "c: on", "AWSTemplateFormatVersion: 2010-09-09", "e: ~", "l: y"] {
            assert!(!y.contains(&format!("{plain}\n")), "{plain} must be quoted:\n{y}");
        }
        assert!(y.contains("Fn::Sub"));
    }
}
