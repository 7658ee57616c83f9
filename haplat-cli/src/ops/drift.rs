//! `haplat drift`: detects the drift of the assembly's stack sets ([`crate::drift`]), prints it
//! as text or JSON, and keeps the result beside the assembly directory for `haplat diff`.

use crate::client::{Client, Waits};
use crate::drift::{detect, error, record, text};
use crate::error::Error;
use crate::ops::input::{AssemblySource, AwsAccess};
use crate::progress::Progress;

/// What `drift` checks.
#[derive(Clone, Debug, Default)]
pub struct DriftOptions {
    /// Only these stack sets (all of the assembly's when none).
    pub stacks: Vec<String>,
    /// Where the assembly comes from.
    pub source: AssemblySource,
    /// How to reach AWS.
    pub aws: AwsAccess,
    /// Print JSON instead of text.
    pub json: bool,
    /// How long to wait for each detection (default: [`Waits::default`]).
    pub waits: Option<Waits>,
}

/// Runs drift detection, prints the report and records it; returns whether anything drifted.
pub async fn drift(opts: &DriftOptions) -> Result<bool, Error> {
    let assembly = opts.source.load()?;
    let names: Vec<String> = assembly.select(&opts.stacks)?.iter().map(|s| s.name.clone()).collect();
    let aws = opts.aws.for_manifest(&assembly.manifest)?.connect().await?;
    crate::errln!("detecting drift of {} stack set(s): {}", names.len(), names.join(", "));
    let report = {
        // Each detection's progress on stderr (a live line per stack set on a terminal), gone
        // before the report.
        let progress = Progress::new(false);
        let client = Client::new(&aws, &progress, opts.waits.clone().unwrap_or_default());
        detect(&client, &assembly, &names, crate::drift::now_secs()).await.map_err(error)?
    };
    let (project, _) = opts.source.app_run(false)?;
    record(&project.out_dir(opts.source.out.as_deref()), &report)?;
    if opts.json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Error::Failed(format!("writing the drift report as JSON: {e}")))?;
        crate::outln!("{text}");
    } else {
        crate::out!("{}", text(&report));
    }
    Ok(report.drifted)
}
