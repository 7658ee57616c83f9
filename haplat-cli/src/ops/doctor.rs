//! `haplat doctor`: what the assembly needs from the account ([`crate::doctor::extract`]),
//! checked read-only against it ([`crate::doctor::run`]), printed as text or JSON. Deploy runs
//! the same checks through [`crate::doctor::preflight`] before it changes anything.

use crate::doctor::Outcome;
use crate::error::Error;
use crate::ops::input::{AssemblySource, AwsAccess};

/// How `doctor` prints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DoctorFormat {
    /// One line a finding, the fix below.
    #[default]
    Text,
    /// `{"requirements": …, "findings": […]}`.
    Json,
}

/// What `doctor` checks.
#[derive(Clone, Debug, Default)]
pub struct DoctorOptions {
    /// How to print.
    pub format: DoctorFormat,
    /// Where the assembly comes from.
    pub source: AssemblySource,
    /// How to reach AWS.
    pub aws: AwsAccess,
}

/// What `doctor` found: whether anything is missing (or could not be checked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every check passed (warnings allowed).
    Ready,
    /// Something is missing or a check could not run.
    NotReady,
}

/// Checks the account.
pub async fn doctor(opts: &DoctorOptions) -> Result<Verdict, Error> {
    let assembly = opts.source.load()?;
    let req = crate::doctor::extract(&assembly);
    let aws = opts.aws.for_manifest(&assembly.manifest)?.connect().await?;
    let findings = crate::doctor::run(&aws, aws.region(), &req).await;
    match opts.format {
        DoctorFormat::Text => crate::out!("{}", crate::doctor::render(&findings)),
        DoctorFormat::Json => {
            let doc = serde_json::json!({"requirements": req, "findings": findings});
            crate::outln!("{}", serde_json::to_string_pretty(&doc).expect("findings serialize"));
        }
    }
    let bad = findings.iter().any(|f| matches!(f.outcome, Outcome::Missing | Outcome::NotChecked));
    Ok(if bad { Verdict::NotReady } else { Verdict::Ready })
}
