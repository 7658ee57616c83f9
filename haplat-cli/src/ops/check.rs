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
    let report = haplat_check::check_dir(&assembly.dir)
        .map_err(|e| Error::Assembly { dir: assembly.dir.clone(), problems: vec![e.to_string()] })?;
    crate::out!("{}", report.render(opts.format));
    Ok(if report.has_errors() { exit::FINDINGS } else { exit::OK })
}
