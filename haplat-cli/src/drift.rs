//! Drift: stack-set drift detection (`DetectStackSetDrift`), waited for like any
//! operation of haplat's (the retry/wait client: throttling backs off, another operation in
//! progress is waited out, an operation still RUNNING at the deadline is an error), then per
//! region each instance's drift status (`ListStackInstances`) and, for a DRIFTED instance, its
//! stack's MODIFIED and DELETED resources with their property differences
//! (`DescribeStackResourceDrifts`), named by construct path. The last run's result is kept beside
//! the assembly directory (`haplat.out.drift.json`, which a synth does not replace) for
//! `haplat diff` to mention. `haplat drift` is `crate::ops::drift()`.
//!
//! AWS: <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-drift.html>,
//! <https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DetectStackSetDrift.html>,
//! <https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackResourceDrifts.html>.
//!
//! Uses [`crate::client`] (retries and waits), [`crate::cfn`], [`crate::template_diff`] (construct
//! paths of deployed resources) and [`crate::assembly`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::assembly::Assembly;
use crate::cfn::{CloudFormation, Preferences};
use crate::client::Client;
use crate::error::Error;
use crate::failure::ExecError;
use crate::template_diff::ResourceFacts;

/// The version of the JSON document's shape (`haplat drift --format json`).
pub const JSON_VERSION: u32 = 1;

/// The drift of the stack sets checked.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftReport {
    /// [`JSON_VERSION`].
    pub version: u32,
    /// When the check ran (RFC 3339, UTC).
    pub checked_at: String,
    /// Whether any resource drifted (what exit code 9 says).
    pub drifted: bool,
    /// Counts.
    pub summary: DriftSummary,
    /// One entry per stack set, in the order checked.
    pub stack_sets: Vec<StackSetDrift>,
}

/// Counts over every stack set.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftSummary {
    /// Stack sets checked.
    pub stack_sets: usize,
    /// Stack sets with a drifted resource.
    pub drifted_stack_sets: usize,
    /// Resources MODIFIED or DELETED outside CloudFormation.
    pub drifted_resources: usize,
    /// The regions where something drifted.
    pub regions: Vec<String>,
}

/// One stack set.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StackSetDrift {
    /// Its name.
    pub name: String,
    /// Whether it exists (a stack set not deployed is not checked).
    pub deployed: bool,
    /// The drift detection operation.
    pub operation_id: Option<String>,
    /// Its instances, the app's regions first.
    pub instances: Vec<InstanceDrift>,
}

/// One stack instance.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceDrift {
    /// The region.
    pub region: String,
    /// The account.
    pub account: String,
    /// `DRIFTED`, `IN_SYNC`, `NOT_CHECKED` or `UNKNOWN`.
    pub drift_status: String,
    /// Its drifted resources.
    pub resources: Vec<DriftedResource>,
}

/// A resource changed outside CloudFormation.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftedResource {
    /// The logical id.
    pub logical_id: String,
    /// The construct path, when known.
    pub path: Option<String>,
    /// The CloudFormation type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The physical id, when it has one.
    pub physical_id: Option<String>,
    /// `MODIFIED` or `DELETED`.
    pub status: String,
    /// The properties that differ.
    pub differences: Vec<Difference>,
}

/// A property that differs.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    /// Where (a JSON pointer into the properties).
    pub property_path: String,
    /// What the template and parameters give.
    pub expected_value: String,
    /// What the resource has.
    pub actual_value: String,
    /// `ADD`, `REMOVE` or `NOT_EQUAL`.
    pub difference_type: String,
}

impl DriftReport {
    /// The regions where something drifted, the stack sets' order.
    fn drifted_regions(sets: &[StackSetDrift]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in sets {
            for i in s.instances.iter().filter(|i| !i.resources.is_empty() || i.drift_status == "DRIFTED") {
                if !out.contains(&i.region) {
                    out.push(i.region.clone());
                }
            }
        }
        out
    }

    fn new(checked_secs: i64, stack_sets: Vec<StackSetDrift>) -> DriftReport {
        let drifted_resources = stack_sets.iter().flat_map(|s| &s.instances).map(|i| i.resources.len()).sum();
        let drifted_stack_sets = stack_sets
            .iter()
            .filter(|s| s.instances.iter().any(|i| !i.resources.is_empty() || i.drift_status == "DRIFTED"))
            .count();
        let regions = DriftReport::drifted_regions(&stack_sets);
        DriftReport {
            version: JSON_VERSION,
            checked_at: rfc3339(checked_secs),
            drifted: drifted_stack_sets > 0,
            summary: DriftSummary { stack_sets: stack_sets.len(), drifted_stack_sets, drifted_resources, regions },
            stack_sets,
        }
    }
}

/// The error of a drift run: AWS unusable (credentials, endpoint) is an access error (exit 4);
/// anything else (a denied or rejected call, a failed or timed-out operation) a failure (exit 1).
pub fn error(e: ExecError) -> Error {
    if let Some((stack, what, source)) = e.first_access() {
        return Error::cloud(format!("{stack}: {what}"), source.clone());
    }
    Error::Failed(format!("drift detection failed: {e}"))
}

/// Detects the drift of the stack sets `names` (of `assembly`), one after another: starts
/// `DetectStackSetDrift`, waits for it, then reads each instance's drift status and a drifted
/// instance's MODIFIED and DELETED resources.
pub async fn detect<C: CloudFormation>(
    client: &Client<'_, C>,
    assembly: &Assembly,
    names: &[String],
    checked_secs: i64,
) -> Result<DriftReport, ExecError> {
    let mut sets = Vec::new();
    for name in names {
        let cfn = client.cfn;
        let Some(info) = client.read(name, "describe stack set", || cfn.describe_stack_set(name)).await? else {
            sets.push(StackSetDrift { name: name.clone(), deployed: false, operation_id: None, instances: Vec::new() });
            continue;
        };
        // Every region at once: detection changes nothing.
        let prefs = Preferences { region_concurrency: Some("PARALLEL".into()), ..Default::default() };
        let id = uuid::Uuid::new_v4().to_string();
        let answered = client.call(name, "detect drift", || cfn.detect_stack_set_drift(name, &prefs, &id)).await?;
        let id = if answered.is_empty() { id } else { answered };
        client.wait(name, &id, "detect drift", true).await?;
        let deployed = info.parsed_template().unwrap_or(Value::Null);
        let manifest = assembly.manifest.stack(name);
        let known = manifest.map(|s| s.target.regions()).unwrap_or_default();
        let mut instances = client.read(name, "list stack instances", || cfn.list_stack_instances(name)).await?;
        instances.sort_by_key(|i| (known.iter().position(|k| *k == i.region).unwrap_or(usize::MAX), i.region.clone()));
        let mut out = Vec::new();
        for i in instances {
            let status = i.drift_status.clone().unwrap_or_else(|| "UNKNOWN".into());
            let mut resources = Vec::new();
            if status == "DRIFTED" {
                let what = format!("read the stack of the instance in {}", i.region);
                let stack = client.read(name, &what, || cfn.instance_stack(name, &i)).await?;
                if let Some(stack) = stack {
                    let what = format!("read the resource drifts in {}", i.region);
                    let drifts = client.read(name, &what, || cfn.stack_resource_drifts(&i.region, &stack.id)).await?;
                    for d in drifts.into_iter().filter(|d| matches!(d.status.as_str(), "MODIFIED" | "DELETED")) {
                        let in_template = deployed.pointer(&format!("/Resources/{}", d.logical_id));
                        let facts = ResourceFacts::of_deployed(
                            &d.logical_id,
                            in_template.unwrap_or(&Value::Null),
                            manifest.map(|m| &m.resources),
                        );
                        let path = facts
                            .path
                            .or_else(|| manifest.and_then(|m| m.resources.get(&d.logical_id)).map(|r| r.path.clone()));
                        resources.push(DriftedResource {
                            logical_id: d.logical_id,
                            path,
                            type_name: d.resource_type,
                            physical_id: d.physical_id,
                            status: d.status,
                            differences: d
                                .differences
                                .into_iter()
                                .map(|p| Difference {
                                    property_path: p.path,
                                    expected_value: p.expected,
                                    actual_value: p.actual,
                                    difference_type: p.kind,
                                })
                                .collect(),
                        });
                    }
                }
            }
            out.push(InstanceDrift { region: i.region, account: i.account, drift_status: status, resources });
        }
        sets.push(StackSetDrift { name: name.clone(), deployed: true, operation_id: Some(id), instances: out });
    }
    Ok(DriftReport::new(checked_secs, sets))
}

/// A value in the text report: at most 120 characters, on one line.
fn short(v: &str) -> String {
    let one: String = v.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if one.chars().count() > 120 { format!("{}…", one.chars().take(119).collect::<String>()) } else { one }
}

/// The report as text: a block per stack set, a line per region, the drifted resources by
/// construct path with their property differences, and a summary line.
pub fn text(report: &DriftReport) -> String {
    let mut out = String::new();
    for s in &report.stack_sets {
        if !s.deployed {
            out.push_str(&format!("stack set {}: not deployed (not checked)\n", s.name));
            continue;
        }
        out.push_str(&format!("stack set {}\n", s.name));
        if s.instances.is_empty() {
            out.push_str("  no stack instances\n");
        }
        for i in &s.instances {
            out.push_str(&format!("  {:<16} {}\n", i.region, i.drift_status));
            for r in &i.resources {
                let name = r.path.as_deref().unwrap_or(&r.logical_id);
                out.push_str(&format!("    {} {name} ({}, logical id {})\n", r.status, r.type_name, r.logical_id));
                for d in &r.differences {
                    out.push_str(&format!(
                        "      {}: expected {}, actual {} ({})\n",
                        d.property_path,
                        short(&d.expected_value),
                        short(&d.actual_value),
                        d.difference_type
                    ));
                }
            }
        }
    }
    let sum = &report.summary;
    if report.drifted {
        out.push_str(&format!(
            "drift: {} resource(s) drifted in {} of {} stack set(s), in {}\n",
            sum.drifted_resources,
            sum.drifted_stack_sets,
            sum.stack_sets,
            sum.regions.join(", ")
        ));
    } else {
        out.push_str(&format!("no drift in {} stack set(s)\n", sum.stack_sets));
    }
    out
}

/// What `haplat diff` needs of the last drift run: when, and what drifted where.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftRecord {
    /// When the check ran (RFC 3339, UTC).
    pub checked_at: String,
    /// Stack set → region → drifted resources (only those with drift).
    pub drifted: BTreeMap<String, BTreeMap<String, usize>>,
    /// The stack sets checked.
    pub checked: BTreeSet<String>,
}

impl DriftRecord {
    /// The record of a report.
    pub fn of(report: &DriftReport) -> DriftRecord {
        let mut drifted: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        for s in &report.stack_sets {
            for i in s.instances.iter().filter(|i| !i.resources.is_empty() || i.drift_status == "DRIFTED") {
                drifted.entry(s.name.clone()).or_default().insert(i.region.clone(), i.resources.len());
            }
        }
        DriftRecord {
            checked_at: report.checked_at.clone(),
            drifted,
            checked: report.stack_sets.iter().map(|s| s.name.clone()).collect(),
        }
    }

    /// The line `haplat diff` prints when the last check found drift in the stack sets
    /// `stacks` (all when empty); `None` when it found none there.
    pub fn note(&self, stacks: &[String]) -> Option<String> {
        let selected = |n: &String| stacks.is_empty() || stacks.contains(n);
        let mut count = 0;
        let mut regions = BTreeSet::new();
        for (set, by_region) in self.drifted.iter().filter(|(n, _)| selected(n)) {
            let _ = set;
            for (region, n) in by_region {
                count += n;
                regions.insert(region.as_str());
            }
        }
        if regions.is_empty() {
            return None;
        }
        Some(format!(
            "last drift check {}: {count} resource(s) drifted in {}; run haplat drift",
            self.checked_at,
            regions.into_iter().collect::<Vec<_>>().join(", ")
        ))
    }
}

/// Where the last drift run is kept for the assembly directory `out_dir`: beside it
/// (`haplat.out.drift.json`), so that a synth, which replaces the directory, keeps it.
pub fn record_path(out_dir: &Path) -> PathBuf {
    let name = out_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "haplat.out".into());
    out_dir.with_file_name(format!("{name}.drift.json"))
}

/// Keeps the result of a drift run beside the assembly directory `out_dir`.
pub fn record(out_dir: &Path, report: &DriftReport) -> Result<(), Error> {
    let path = record_path(out_dir);
    let text = serde_json::to_string_pretty(&DriftRecord::of(report)).unwrap_or_default();
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(|source| Error::Write { path: tmp.clone(), source })?;
    std::fs::rename(&tmp, &path).map_err(|source| Error::Write { path: path.clone(), source })
}

/// The last drift run's record for the assembly directory `out_dir`: `Ok(None)` when there is
/// none; an error line naming the file when it cannot be read.
pub fn last_record(out_dir: &Path) -> Result<Option<DriftRecord>, String> {
    let path = record_path(out_dir);
    match crate::files::read_text(&path, crate::files::Kind::DriftRecord) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            format!(
                "{}: not a drift record ({}); run haplat drift",
                path.display(),
                crate::files::one_line(&e.to_string())
            )
        }),
        Err(e) if e.missing => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Now, in seconds since the epoch.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
        .unwrap_or(0)
}

/// Seconds since the epoch as RFC 3339 in UTC (`2026-12-04T19:55:00Z`).
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_413_500), "2026-12-04T19:45:00Z");
    }

    #[test]
    fn the_record_sits_beside_the_assembly_directory() {
        assert_eq!(record_path(Path::new("/p/haplat.out")), Path::new("/p/haplat.out.drift.json"));
    }

    #[test]
    fn the_note_counts_only_the_stack_sets_diffed() {
        let r = DriftRecord {
            checked_at: "2026-12-04T19:45:00Z".into(),
            drifted: BTreeMap::from([("Data".into(), BTreeMap::from([("us-east-1".into(), 2)]))]),
            checked: BTreeSet::from(["Data".into(), "Edge".into()]),
        };
        assert_eq!(
            r.note(&[]).unwrap(),
            "last drift check 2026-12-04T19:45:00Z: 2 resource(s) drifted in us-east-1; run haplat drift"
        );
        assert_eq!(r.note(&["Edge".into()]), None);
    }
}
