//! `haplat diff`: the stack diff of the assembly against what is deployed (read through the
//! stack-diff reader, [`crate::stack_diff`]) or against another assembly, printed.

use std::path::PathBuf;

use crate::assembly::Assembly;
use crate::client::{Client, Waits};
use crate::error::Error;
use crate::events::Collect;
use crate::ops::input::{AssemblySource, AwsAccess};
use crate::plan::{PlanOptions, plan_deploy};
use crate::{diff_report, stack_diff};

/// How `diff` prints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DiffFormat {
    /// Text for a terminal.
    #[default]
    Text,
    /// Markdown for a pull-request comment or a job summary, within GitHub's comment limit.
    Markdown,
    /// The documented JSON document (docs/cli.md).
    Json,
}

/// What `diff` compares.
#[derive(Clone, Debug, Default)]
pub struct DiffOptions {
    /// How to print.
    pub format: DiffFormat,
    /// Only these stacks (all when none).
    pub stacks: Vec<String>,
    /// Compare with this assembly directory instead of what is deployed (offline).
    pub against: Option<PathBuf>,
    /// Only these regions.
    pub regions: Vec<String>,
    /// Where the assembly comes from.
    pub source: AssemblySource,
    /// How to reach AWS.
    pub aws: AwsAccess,
}

/// Prints the differences; returns whether anything differs.
pub async fn diff(opts: &DiffOptions) -> Result<bool, Error> {
    let assembly = opts.source.load()?;
    let diffs = match &opts.against {
        Some(dir) => {
            let old = Assembly::load(dir)?;
            assembly.select(&opts.stacks)?;
            stack_diff::between_assemblies(&old, &assembly, &opts.stacks)
        }
        None => {
            let plan = plan_deploy(
                &assembly,
                &PlanOptions { stacks: opts.stacks.clone(), regions: opts.regions.clone(), ..Default::default() },
            )?;
            let aws = opts.aws.connect().await?;
            let bootstrap = crate::bootstrap::read(&aws, aws.region()).await?;
            let sink = Collect::default();
            let client = Client::new(&aws, &sink, Waits::default());
            stack_diff::against_deployed(&client, &assembly, &plan, bootstrap.as_ref().map(|b| b.account.as_str()))
                .await
                .map_err(|e| Error::from_exec("diff", e, Vec::new(), &[]))?
        }
    };
    let (text, differ) = stack_diff::report(&diffs);
    // The last `haplat drift` run, kept beside the assembly directory: one line when it found
    // drift in the stack sets diffed (what is deployed may differ from its template too).
    let (project, _) = opts.source.app_run(false)?;
    let drift = match crate::drift::last_record(&project.out_dir(opts.source.out.as_deref())) {
        Ok(record) => record.and_then(|r| r.note(&opts.stacks)),
        Err(e) => {
            crate::errln!("warning: {e}");
            None
        }
    };
    match opts.format {
        DiffFormat::Text => {
            crate::out!("{text}");
            if let Some(note) = &drift {
                crate::outln!("{note}");
            }
        }
        DiffFormat::Markdown => {
            let note = drift.as_ref().map(|n| format!("\n> **Drift**: {n}\n")).unwrap_or_default();
            let limit = diff_report::GITHUB_COMMENT_LIMIT - note.len();
            crate::out!("{}{note}", diff_report::markdown(&diffs, limit));
        }
        DiffFormat::Json => {
            let mut doc = serde_json::to_value(diff_report::json(&diffs, opts.against.is_some()))
                .map_err(|e| Error::Failed(format!("writing the diff as JSON: {e}")))?;
            if let (Some(note), Some(map)) = (&drift, doc.as_object_mut()) {
                map.insert("lastDrift".into(), serde_json::Value::String(note.clone()));
            }
            crate::outln!(
                "{}",
                serde_json::to_string_pretty(&doc)
                    .map_err(|e| Error::Failed(format!("writing the diff as JSON: {e}")))?
            );
        }
    }
    Ok(differ)
}
