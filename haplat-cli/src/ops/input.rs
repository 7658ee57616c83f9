//! What every operation starts from: where the assembly comes from ([`AssemblySource`]: synthesized
//! by the app, or read from its directory), how to reach AWS ([`AwsAccess`]), and the user's
//! confirmation before a change ([`confirm`]).
//!
//! Uses [`crate::project`], [`crate::synth`], [`crate::assembly`], `crate::sdk` and
//! [`crate::output`].

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use crate::assembly::Assembly;
use crate::error::Error;
use crate::project::Project;
#[cfg(feature = "aws")]
use crate::sdk::{Aws, AwsOptions};
use crate::synth::AppRun;

/// Where the assembly comes from.
#[derive(Clone, Debug, Default)]
pub struct AssemblySource {
    /// The app command (default: `app` in haplat.toml). When there is one, operations
    /// synthesize first.
    pub app: Option<String>,
    /// The assembly directory (default: haplat.out at the project root).
    pub out: Option<PathBuf>,
    /// The environment name passed to the app (HAPLAT_ENV).
    pub env: Option<String>,
    /// Context for the app, `key=value` (HAPLAT_CONTEXT), over the project file's.
    pub context: Vec<(String, String)>,
    /// Use the assembly already in the directory; do not run the app.
    pub no_synth: bool,
}

impl AssemblySource {
    /// The project (found from the current directory), and the app run these settings give,
    /// if there is an app.
    pub fn app_run(&self, yaml: bool) -> Result<(Project, Option<AppRun>), Error> {
        let cwd = std::env::current_dir().map_err(|e| Error::Usage(format!("no current directory: {e}")))?;
        let project = Project::find(&cwd)?;
        let out = project.out_dir(self.out.as_deref());
        let app = self.app.clone().or_else(|| project.file.app.clone());
        let mut context: BTreeMap<String, String> = project.file.context.clone();
        context.extend(self.context.iter().cloned());
        let run = app.map(|app| AppRun { app, root: project.root.clone(), out, env: self.env.clone(), context, yaml });
        Ok((project, run))
    }

    /// The assembly: synthesized when an app is configured (and `no_synth` is not set), read
    /// from the directory otherwise.
    pub fn load(&self) -> Result<Assembly, Error> {
        let (project, run) = self.app_run(false)?;
        match run {
            Some(o) if !self.no_synth => {
                crate::errln!("synthesizing: {}", o.app);
                crate::synth::synth(&o)
            }
            _ => Assembly::load(&project.out_dir(self.out.as_deref())),
        }
    }
}

/// How to reach AWS.
#[derive(Clone, Debug, Default)]
pub struct AwsAccess {
    /// The AWS profile (default: the standard chain).
    pub profile: Option<String>,
    /// The administration region (default: AWS_REGION or the profile's).
    pub region: Option<String>,
    /// `CallAs` on every StackSets call (`--call-as`).
    pub call_as: Option<haplat_core::manifest::CallAs>,
}

#[cfg(feature = "aws")]
impl AwsAccess {
    /// With `--call-as` defaulted from the assembly: `DELEGATED_ADMIN` when its service-managed
    /// stack sets name it (all must agree: one run calls as one principal). The flag wins.
    pub fn for_manifest(&self, manifest: &haplat_core::manifest::Manifest) -> Result<AwsAccess, Error> {
        use haplat_core::manifest::Deployment;
        if self.call_as.is_some() {
            return Ok(self.clone());
        }
        let named: std::collections::BTreeMap<&str, &str> = manifest
            .stacks
            .iter()
            .filter_map(|s| match &s.deployment {
                Deployment::OrganizationalUnits { call_as, .. } => Some((s.name.as_str(), call_as.as_str())),
                _ => None,
            })
            .collect();
        let kinds: std::collections::BTreeSet<&str> = named.values().copied().collect();
        if kinds.len() > 1 {
            return Err(Error::Usage(format!(
                "the service-managed stack sets disagree on callAs ({}): one run calls as one principal; pass --call-as or deploy them separately",
                named.iter().map(|(n, c)| format!("{n}: {c}")).collect::<Vec<_>>().join(", ")
            )));
        }
        let call_as =
            kinds.first().map(|c| haplat_core::manifest::CallAs::parse(c)).transpose().map_err(Error::Usage)?;
        Ok(AwsAccess { call_as, ..self.clone() })
    }

    /// Connects (loads the configuration; no call yet).
    pub async fn connect(&self) -> Result<Aws, Error> {
        Aws::connect(&AwsOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            call_as: self.call_as,
            ..Default::default()
        })
        .await
        .map_err(Error::Usage)
    }
}

/// Asks a yes/no question on the terminal; without a terminal, refuses with `flag` named.
pub fn confirm(question: &str, flag: &str) -> Result<(), Error> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Refused(format!("{question}: not confirmed (no terminal to ask on); pass {flag}")));
    }
    crate::err!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    if matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
        Ok(())
    } else {
        Err(Error::Refused(format!("{question}: not confirmed; nothing was changed")))
    }
}
