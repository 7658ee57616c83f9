//! `haplat destroy`: lists what stays in the account, what is deleted with its data, and which
//! kept names would block the next deploy (read from the deployed templates), asks, then, stack
//! set by stack set (waves in reverse), lifts the deletion protection bound to the stack
//! parameter `HaplatDeletionProtection` and deletes the instances, the app's regions last to
//! first (secondaries of an Aurora global database before its primary), then the stack set.
//!
//! [`survey`] and [`execute`] are the two halves, over any [`CloudFormation`] (tests use a fake).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::assembly::Assembly;
use crate::cfn::CloudFormation;
use crate::client::Waits;
use crate::error::Error;
use crate::events::{Event, Sink};
use crate::executor::{DestroyOrder, Executor};
use crate::health::Retry;
use crate::lock::SharedLock;
use crate::ops::input::{AssemblySource, AwsAccess, confirm};
use crate::plan::plan_destroy;
use crate::progress::Progress;
use crate::sdk::Aws;
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
    /// Remove a lock left in the bootstrap bucket by a run that is gone.
    pub force_unlock: bool,
    /// Where the assembly comes from.
    pub source: AssemblySource,
    /// How to reach AWS.
    pub aws: AwsAccess,
}

/// A kept resource whose fixed name creating it again would collide with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptName {
    /// The stack set.
    pub stack: String,
    /// The regions the name is kept in.
    pub regions: Vec<String>,
    /// The kind of name (`backup vault`, `secret` …).
    pub what: String,
    /// The name.
    pub name: String,
    /// The construct path (or logical id).
    pub path: String,
}

/// What destroy will do, read from what is deployed before anything is deleted.
#[derive(Clone, Debug, Default)]
pub struct Survey {
    /// The stack sets, in the order they are deleted.
    pub order: Vec<String>,
    /// Per deployed stack set: its regions and the resources its DeletionPolicy keeps
    /// (`Retain`, or `Snapshot`: deleted with a snapshot kept).
    pub retained: Vec<(String, Vec<String>, Retained)>,
    /// Per stack set: the stateful resources deleted with their data.
    pub lost: BTreeMap<String, Retained>,
    /// The kept names that block the next deploy.
    pub kept_names: Vec<KeptName>,
    /// (stack set, logical id) → the regions a conditioned resource exists in (its condition
    /// holds there, or cannot be told); resources without a condition are in every region.
    pub conditioned: BTreeMap<(String, String), Vec<String>>,
    /// How instances are deleted (regions per stack set, the StackSet roles).
    pub destroy_order: DestroyOrder,
    /// DNS validation records ACM's certificates leave in hosted zones: (stack set, zone, the
    /// names validated). CloudFormation writes them and never deletes them.
    pub validation_records: Vec<(String, String, Vec<String>)>,
}

impl Survey {
    /// The regions a resource of a stack set exists in, of the stack set's `regions`.
    pub fn regions_of<'a>(&'a self, stack: &str, logical_id: &str, regions: &'a [String]) -> &'a [String] {
        self.conditioned.get(&(stack.to_owned(), logical_id.to_owned())).map_or(regions, Vec::as_slice)
    }

    /// The lines printed before asking: what is deleted with its data, what stays, and which
    /// kept names would block the next deploy.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, regions, _) in &self.retained {
            for (id, r) in self.lost.get(name.as_str()).into_iter().flatten() {
                out.push(format!(
                    "{name} [{}]: deleted with its data: {id} ({}, {})",
                    self.regions_of(name, id, regions).join(", "),
                    r.type_name,
                    r.display_path(id)
                ));
            }
        }
        for (name, regions, resources) in &self.retained {
            for (id, r) in resources {
                out.push(format!(
                    "{name} [{}]: {}: {id} ({}, {}; DeletionPolicy {})",
                    self.regions_of(name, id, regions).join(", "),
                    r.on_delete(),
                    r.type_name,
                    r.display_path(id),
                    r.deletion_policy
                ));
            }
        }
        out.extend(self.kept_name_lines());
        out.extend(self.validation_record_lines());
        out
    }

    /// One line per hosted zone where certificates leave their DNS validation records.
    pub fn validation_record_lines(&self) -> Vec<String> {
        self.validation_records
            .iter()
            .map(|(stack, zone, names)| {
                format!(
                    "{stack}: the DNS validation records (CNAME _…) of {} stay in hosted zone {zone}: CloudFormation \
                     creates them and does not delete them; ACM reuses them for the same names, delete them by hand \
                     if no certificate will",
                    names.join(", ")
                )
            })
            .collect()
    }

    /// One line per kept name that blocks the next deploy.
    pub fn kept_name_lines(&self) -> Vec<String> {
        self.kept_names
            .iter()
            .map(|k| {
                format!(
                    "{} [{}]: the kept {} {:?} ({}) blocks the next deploy there (AlreadyExists): delete or import it first",
                    k.stack,
                    k.regions.join(", "),
                    k.what,
                    k.name,
                    k.path
                )
            })
            .collect()
    }

    /// How many stateful resources are deleted with their data.
    pub fn lost_count(&self) -> usize {
        self.retained.iter().map(|(n, _, _)| self.lost.get(n.as_str()).map_or(0, Vec::len)).sum()
    }
}

/// Reads what is deployed: the stack sets to delete (of `stacks`, all when empty), what their
/// DeletionPolicy keeps, what is lost, and the kept fixed names. What stays is what is deployed
/// with a retaining DeletionPolicy, in the regions that have an instance: read before deleting
/// (the app may have changed since the last deploy, so the assembly is not the authority).
/// Construct paths come from the deployed template's `haplat:path` metadata, else the manifest.
pub async fn survey<C: CloudFormation>(
    aws: &C,
    admin_region: &str,
    assembly: &Assembly,
    stacks: &[String],
) -> Result<Survey, Error> {
    let order = plan_destroy(assembly, stacks)?;
    let mut s = Survey { order: order.clone(), ..Survey::default() };
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
        s.destroy_order.regions.insert(name.clone(), known);
        if let Some(haplat_core::manifest::Deployment::OrganizationalUnits { organizational_units, .. }) =
            assembly.manifest.stack(name).map(|s| &s.deployment)
        {
            s.destroy_order.targets.insert(name.clone(), organizational_units.clone());
        }
        let deployed: Value = set.parsed_template().map_err(|e| {
            Error::Refused(format!(
                "the deployed template of stack set {name} cannot be read ({e}): the resources it retains cannot be listed; nothing was deleted"
            ))
        })?;
        let manifest = assembly.manifest.stack(name).map(|s| &s.resources);
        // A resource under a condition exists only where it holds (the primary region's
        // database, say); a condition that depends on a parameter counts as holding.
        if let Some(stack_manifest) = assembly.manifest.stack(name) {
            let t = haplat_check::StackTemplate {
                manifest: stack_manifest.clone(),
                template: deployed.clone(),
                text: String::new(),
            };
            for (id, r) in deployed.get("Resources").and_then(Value::as_object).into_iter().flatten() {
                let Some(cond) = r.get("Condition").and_then(Value::as_str) else { continue };
                let holds: Vec<String> =
                    regions.iter().filter(|rg| t.condition_holds(cond, rg) != Some(false)).cloned().collect();
                s.conditioned.insert((name.clone(), id.clone()), holds);
            }
        }
        // A resource that one stack makes in several regions (a global table's replicas) exists,
        // and is kept, in each of them.
        for (id, r) in deployed.get("Resources").and_then(Value::as_object).into_iter().flatten() {
            if let Some(spans) = replica_regions(r) {
                s.conditioned.insert((name.clone(), id.clone()), spans);
            }
        }
        let retained = retained_resources(&deployed, manifest);
        for (id, r) in retained.iter().filter(|(_, r)| r.on_delete() == "kept") {
            let props = deployed.get("Resources").and_then(|rs| rs.get(id)).and_then(|r| r.get("Properties"));
            if let Some((what, _, kept)) = props.and_then(|p| haplat_check::fixed_name(&r.type_name, p)) {
                s.kept_names.push(KeptName {
                    stack: name.clone(),
                    regions: s.regions_of(name, id, &regions).to_vec(),
                    what: what.to_owned(),
                    name: kept,
                    path: r.display_path(id),
                });
            }
        }
        s.validation_records.extend(validation_records(name, &deployed));
        s.lost.insert(name.clone(), lost_resources(&deployed, manifest));
        s.retained.push((name.clone(), regions, retained));
    }
    // A stack-set update (lifting deletion protection) needs the StackSet roles.
    // Unreadable is not fatal here: destroy refuses later, naming the stack set, only if it needs them.
    if let Ok(Some(b)) = crate::bootstrap::read(aws, admin_region).await {
        s.destroy_order.roles = Some((b.admin_role_arn, b.execution_role_name));
    }
    Ok(s)
}

/// The regions a resource of a single-region stack also lives in, when its template says so
/// literally: a DynamoDB global table's `Replicas`.
fn replica_regions(r: &Value) -> Option<Vec<String>> {
    let props = r.get("Properties")?;
    let regions = |list: &Value| -> Vec<String> {
        list.as_array().into_iter().flatten().filter_map(|x| x.get("Region")?.as_str().map(str::to_owned)).collect()
    };
    match r.get("Type")?.as_str()? {
        "AWS::DynamoDB::GlobalTable" => Some(regions(props.get("Replicas")?)).filter(|v| !v.is_empty()),
        _ => None,
    }
}

/// The DNS validation records the deployed template's certificates leave: per hosted zone (its
/// id, or what the template refers to it by), the names validated there.
fn validation_records(stack: &str, deployed: &Value) -> Vec<(String, String, Vec<String>)> {
    let mut by_zone: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in deployed.get("Resources").and_then(Value::as_object).into_iter().flat_map(|m| m.values()) {
        if r.get("Type").and_then(Value::as_str) != Some("AWS::CertificateManager::Certificate") {
            continue;
        }
        let options = r.pointer("/Properties/DomainValidationOptions").and_then(Value::as_array);
        for o in options.into_iter().flatten() {
            let (Some(zone), Some(name)) = (o.get("HostedZoneId"), o.get("DomainName").and_then(Value::as_str)) else {
                continue;
            };
            let zone = match zone {
                Value::String(z) => z.clone(),
                other => format!("given by {other}"),
            };
            let names = by_zone.entry(zone).or_default();
            if !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
    }
    by_zone.into_iter().map(|(zone, names)| (stack.to_owned(), zone, names)).collect()
}

/// Deletes what [`survey`] found, reporting progress to `sink`; returns the closing lines
/// (stack sets destroyed, resources kept, kept names that block the next deploy). Retained
/// resources are reported per region as [`Event::Kept`], also after a failure, for the stack
/// sets whose instances were deleted.
pub async fn execute<C: CloudFormation>(aws: &C, survey: &Survey, sink: &dyn Sink) -> Result<Vec<String>, Error> {
    let exec = Executor::new(aws, sink, Waits::default());
    let result = exec.destroy_with(&survey.order, &survey.destroy_order).await;
    let touched: Vec<String> = exec.completed().into_iter().map(|d| d.stack).collect();
    let absent = result.as_ref().cloned().unwrap_or_default();
    let (mut kept, mut snapshots) = (0, 0);
    for (name, regions, resources) in
        survey.retained.iter().filter(|(n, _, _)| !absent.contains(n) && (result.is_ok() || touched.contains(n)))
    {
        for (id, r) in resources {
            for region in survey.regions_of(name, id, regions) {
                if r.on_delete() == "kept" {
                    kept += 1;
                } else {
                    snapshots += 1;
                }
                sink.emit(Event::Kept {
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
    let absent = result.map_err(|e| Error::from_exec("destroy", e, exec.completed(), &survey.order))?;
    let deleted = survey.order.len() - absent.len();
    let mut out = vec![format!(
        "destroyed {deleted} stack set(s){}",
        if absent.is_empty() { String::new() } else { format!("; not deployed: {}", absent.join(", ")) }
    )];
    if kept > 0 {
        out.push(format!(
            "{kept} retained resource(s) kept in the account (listed above); delete them by hand when no longer needed"
        ));
    }
    if snapshots > 0 {
        out.push(format!("{snapshots} resource(s) deleted with a snapshot kept (listed above)"));
    }
    out.extend(survey.validation_record_lines());
    let names: Vec<&KeptName> = survey.kept_names.iter().filter(|k| !absent.contains(&k.stack)).collect();
    if !names.is_empty() {
        out.push(format!(
            "{} kept name(s) block the next deploy until deleted or imported: {}",
            names.len(),
            names
                .iter()
                .map(|k| format!("{} {:?} [{}]", k.what, k.name, k.regions.join(", ")))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    Ok(out)
}

/// Destroys.
pub async fn destroy(opts: &DestroyOptions) -> Result<(), Error> {
    // A closed stdout must not stop the destroy half-way.
    crate::output::finish_on_broken_pipe();
    let assembly = opts.source.load()?;
    // The stacks are checked before connecting: a wrong name is an error without AWS.
    plan_destroy(&assembly, &opts.stacks)?;
    // One deploy or destroy of this assembly at a time (on this machine).
    let _lock = crate::lock::RunLock::acquire(&assembly.dir, "destroy")?;
    let aws = opts.aws.for_manifest(&assembly.manifest)?.connect().await?;
    // One deploy or destroy of this app at a time on every machine (where haplat bootstrapped).
    let shared = match crate::bootstrap::read(&aws, aws.region()).await? {
        Some(b) => Some(
            SharedLock::acquire(&aws, &b.region, &b.bucket, &assembly.manifest.app, "destroy", opts.force_unlock)
                .await?,
        ),
        None => None,
    };
    let outcome = destroy_locked(opts, &assembly, &aws).await;
    if let Some(lock) = shared {
        lock.release(&aws).await;
    }
    outcome
}

/// The destroy once both locks are held.
async fn destroy_locked(opts: &DestroyOptions, assembly: &Assembly, aws: &Aws) -> Result<(), Error> {
    let survey = survey(aws, aws.region(), assembly, &opts.stacks).await?;
    // The Aurora writer where the template puts its primary, or the regions go in the wrong order.
    if let Some(refusal) = crate::db::preflight(
        aws,
        aws,
        aws,
        assembly,
        &survey.order,
        crate::db::Change::Destroy,
        &|_| false,
        &Retry::default(),
    )
    .await?
    {
        return Err(Error::Refused(refusal));
    }
    // Before asking: what is lost, what stays, which kept names collide.
    for line in survey.lines() {
        crate::outln!("{line}");
    }
    if !opts.yes {
        let lost = survey.lost_count();
        let order = survey.order.join(", ");
        let what = if lost > 0 {
            format!("delete stack sets {order} and every instance, with {lost} stateful resource(s) and their data")
        } else {
            format!("delete stack sets {order} and every instance")
        };
        confirm(&what, "--yes")?;
    }
    let progress = Progress::new(opts.plain);
    let lines = execute(aws, &survey, &progress).await?;
    drop(progress);
    for line in lines {
        crate::outln!("{line}");
    }
    Ok(())
}
