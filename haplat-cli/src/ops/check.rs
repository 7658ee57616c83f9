//! `haplat check`: haplat's rules of what AWS requires at create, update and delete, run over
//! the whole assembly by `haplat-check` (docs/checks.md lists them).

use crate::error::{Error, exit};
use crate::ops::input::AssemblySource;

/// What `check` does.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// Where the assembly comes from.
    pub source: AssemblySource,
    /// The report's format.
    pub format: haplat_check::Format,
    /// Print this rule instead of checking.
    pub explain: Option<String>,
    /// List the rules instead of checking.
    pub rules: bool,
    /// Another assembly (what is deployed, a previous synth) for the rules about changes.
    pub baseline: Option<std::path::PathBuf>,
}

/// Checks the assembly, or explains a rule; returns the exit code: [`exit::FINDINGS`] (8) when an
/// error is left that no suppression covers.
pub fn check(opts: &CheckOptions) -> Result<u8, Error> {
    if let Some(id) = &opts.explain {
        let text = haplat_check::explain(id)
            .ok_or_else(|| Error::Usage(format!("--explain {id}: no such rule (`haplat check --rules` lists them)")))?;
        crate::outln!("{text}");
        return Ok(exit::OK);
    }
    if opts.rules {
        for rule in haplat_check::RULES {
            crate::outln!("{}  {:<7}  {}", rule.id, rule.severity.as_str(), rule.title);
        }
        return Ok(exit::OK);
    }
    let assembly = opts.source.load()?;
    let problem = |dir: &std::path::Path, e: haplat_check::Error| Error::Assembly {
        dir: dir.to_owned(),
        problems: vec![e.to_string()],
    };
    let mut checked = haplat_check::Assembly::load(&assembly.dir).map_err(|e| problem(&assembly.dir, e))?;
    if let Some(dir) = &opts.baseline {
        checked = checked.with_baseline(haplat_check::Assembly::baseline_from_dir(dir).map_err(|e| problem(dir, e))?);
    }
    let report = haplat_check::check(&checked);
    crate::out!("{}", report.render(opts.format));
    Ok(if report.has_errors() { exit::FINDINGS } else { exit::OK })
}
