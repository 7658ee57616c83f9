//! `haplat synth`: runs the app, writes the assembly (and YAML beside it when asked), runs
//! `haplat check`'s rules over it (errors fail, warnings are printed), prints its summary.

use crate::error::Error;
use crate::ops::input::AssemblySource;

/// What `synth` does.
#[derive(Clone, Debug, Default)]
pub struct SynthOptions {
    /// The app and the assembly directory.
    pub source: AssemblySource,
    /// Also write YAML templates.
    pub yaml: bool,
}

/// Synthesizes.
pub fn synth(opts: &SynthOptions) -> Result<(), Error> {
    let (_, run) = opts.source.app_run(opts.yaml)?;
    let Some(run) = run else {
        return Err(Error::Usage(
            "no app to run: pass --app \"<command>\" or add `app = \"<command>\"` to haplat.toml".into(),
        ));
    };
    let assembly = crate::synth::synth(&run)?;
    crate::synth::enforce_checks(&assembly)?;
    crate::out!("{}", assembly.summary());
    let checked = haplat_check::Assembly::load(&assembly.dir)
        .map_err(|e| Error::Assembly { dir: assembly.dir.clone(), problems: vec![e.to_string()] })?;
    for line in haplat_check::availability::summary(&checked) {
        crate::outln!("{line}");
    }
    crate::outln!("assembly written to {}", assembly.dir.display());
    Ok(())
}
