//! `haplat destroy`: lists what stays in the account and what is deleted with its data (read
//! from the deployed templates), asks, then deletes the stack instances and stack sets, waves
//! in reverse, with progress.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::cfn::CloudFormation;
use crate::client::Waits;
use crate::error::Error;
use crate::events::{Event, Sink};
use crate::executor::Executor;
use crate::ops::input::{AssemblySource, AwsAccess, confirm};
use crate::plan::plan_destroy;
use crate::progress::Progress;
use crate::template_diff::{Retained, lost_resources, retained_resources};

/// What `destroy` deletes.
#[derive(Clone, Debug, Default)]
pub struct DestroyOptions {
    /// Only these stacks (all when none).
    pub stacks: Vec<String>,
    /// Do not ask for confirmation.
    pub yes: bool,
    /// Plain progress lines even on a terminal.
    pub plain: bool,
    /// Where the assembly comes from.
    pub source: AssemblySource,
    /// How to reach AWS.
    pub aws: AwsAccess,
}

/// Destroys.
pub async fn destroy(opts: &DestroyOptions) -> Result<(), Error> {
    // A closed stdout must not stop the destroy half-way.
    crate::output::finish_on_broken_pipe();
    let assembly = opts.source.load()?;
    let order = plan_destroy(&assembly, &opts.stacks)?;
    let _lock = crate::lock::RunLock::acquire(&assembly.dir, "destroy")?;
    let aws = opts.aws.connect().await?;
    // What stays in the account is what is deployed with a retaining DeletionPolicy, in the
    // regions that have an instance: read before deleting (the app may have changed since the
    // last deploy, so the assembly is not the authority). Construct paths come from the deployed
    // template's `haplat:path` metadata, else the manifest.
    let mut retained: Vec<(String, Vec<String>, Retained)> = Vec::new();
    let mut stateful_lost: BTreeMap<String, Retained> = BTreeMap::new();
    for name in &order {
        let Some(set) =
            aws.describe_stack_set(name).await.map_err(|e| Error::cloud(format!("reading stack set {name}"), e))?
        else {
            continue;
        };
        let mut regions: Vec<String> = aws
            .list_stack_instances(name)
            .await
            .map_err(|e| Error::cloud(format!("listing the instances of stack set {name}"), e))?
            .into_iter()
            .map(|i| i.region)
            .collect();
        // The app's order of regions, then any others.
        let known = assembly.manifest.stack(name).map(|s| s.target.regions()).unwrap_or_default();
        regions.sort_by_key(|r| (known.iter().position(|k| k == r).unwrap_or(usize::MAX), r.clone()));
        let deployed: Value = set.parsed_template().map_err(|e| {
            Error::Refused(format!(
                "the deployed template of stack set {name} cannot be read ({e}): the resources it retains cannot be listed; nothing was deleted"
            ))
        })?;
        let manifest = assembly.manifest.stack(name).map(|s| &s.resources);
        stateful_lost.insert(name.clone(), lost_resources(&deployed, manifest));
        retained.push((name.clone(), regions, retained_resources(&deployed, manifest)));
    }
    // Before asking: what stays (kept, or deleted with a snapshot kept) and which stateful
    // resources are deleted with their data.
    let mut lost = 0;
    for (name, regions, _) in &retained {
        for (id, r) in &stateful_lost.get(name.as_str()).cloned().unwrap_or_default() {
            lost += 1;
            crate::outln!(
                "{name} [{}]: deleted with its data: {id} ({}, {})",
                regions.join(", "),
                r.type_name,
                r.display_path(id)
            );
        }
    }
    for (name, regions, resources) in &retained {
        for (id, r) in resources {
            crate::outln!(
                "{name} [{}]: {}: {id} ({}, {}; DeletionPolicy {})",
                regions.join(", "),
                r.on_delete(),
                r.type_name,
                r.display_path(id),
                r.deletion_policy
            );
        }
    }
    if !opts.yes {
        let what = if lost > 0 {
            format!(
                "delete stack sets {} and every instance, with {lost} stateful resource(s) and their data",
                order.join(", ")
            )
        } else {
            format!("delete stack sets {} and every instance", order.join(", "))
        };
        confirm(&what, "--yes")?;
    }
    let progress = Progress::new(opts.plain);
    let exec = Executor::new(&aws, &progress, Waits::default());
    let result = exec.destroy(&order).await;
    // Retained resources stay in the account: say so, per region (also after a failure, for the
    // stack sets whose instances were deleted).
    let touched: Vec<String> = exec.completed().into_iter().map(|d| d.stack).collect();
    let absent = result.as_ref().cloned().unwrap_or_default();
    let (mut kept, mut snapshots) = (0, 0);
    for (name, regions, resources) in
        retained.iter().filter(|(n, _, _)| !absent.contains(n) && (result.is_ok() || touched.contains(n)))
    {
        for (id, r) in resources {
            for region in regions {
                if r.on_delete() == "kept" {
                    kept += 1;
                } else {
                    snapshots += 1;
                }
                progress.emit(Event::Kept {
                    stack: name.clone(),
                    region: region.clone(),
                    logical_id: id.clone(),
                    type_name: r.type_name.clone(),
                    path: r.display_path(id),
                    outcome: r.on_delete().to_owned(),
                });
            }
        }
    }
    let absent = result.map_err(|e| Error::from_exec("destroy", e, exec.completed(), &order))?;
    drop(progress);
    let deleted = order.len() - absent.len();
    crate::outln!(
        "destroyed {deleted} stack set(s){}",
        if absent.is_empty() { String::new() } else { format!("; not deployed: {}", absent.join(", ")) }
    );
    if kept > 0 {
        crate::outln!(
            "{kept} retained resource(s) kept in the account (listed above); delete them by hand when no longer needed"
        );
    }
    if snapshots > 0 {
        crate::outln!("{snapshots} resource(s) deleted with a snapshot kept (listed above)");
    }
    Ok(())
}
