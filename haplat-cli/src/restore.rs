//! What `haplat restore-test` does below the command: the settings, retries, cleanup record and
//! vault that the DynamoDB table's test (`ops::restore_test`, with the `aws` feature) and the Aurora
//! cluster's share, and the Aurora cluster's restore test itself (`--resource aurora`).
//!
//! **Aurora.** The latest completed recovery point of the cluster in the backup vault is
//! restored with AWS Backup (`StartRestoreJob`, resource type `Aurora`) into a scratch cluster
//! (`<cluster>-rt-<time>`, a valid `DBClusterIdentifier`), from the recovery point's restore
//! metadata with `DBClusterIdentifier` set to the scratch name, `DeletionProtection` off, no
//! `GlobalClusterIdentifier` (the scratch copy never joins the source's global database), and the
//! source's subnet group and security groups where the metadata has none.
//!
//! AWS Backup restores the cluster only, with no DB instance (AWS Backup developer guide,
//! "Restoring an Amazon Aurora cluster"), so validating it takes one: once the job is
//! `COMPLETED` and the cluster `available` with the source's engine and engine version,
//! `CreateDBInstance` adds an instance (the source writer's class, or `--instance-class`) and the
//! test waits for it to be `available`. The time from `StartRestoreJob` to that instance is
//! measured against the RTO.
//!
//! Whatever happened once the job started, the cleanup deletes the scratch instance
//! (`DeleteDBInstance`) and then the scratch cluster (`DeleteDBCluster` with
//! `SkipFinalSnapshot`, after `ModifyDBCluster` turns deletion protection off if it is on); what
//! it cannot delete is named in the report with the command that deletes it.
//!
//! Uses [`crate::recovery`] ([`Recovery`](crate::recovery::Recovery)'s AWS Backup calls and
//! [`ClusterRecovery`]'s RDS calls), [`crate::assembly`] and `haplat-check` (the clusters'
//! conditions).

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::assembly::Assembly;
use crate::cfn::{CfnError, CfnResult};
use crate::error::Error;
use crate::recovery::{ClusterInfo, ClusterRecovery, InstanceInfo, InstanceRequest, RecoveryPoint, RestoreRequest};

const DB_CLUSTER: &str = "AWS::RDS::DBCluster";
const GLOBAL_CLUSTER: &str = "AWS::RDS::GlobalCluster";
/// RDS's limit on a DB cluster or instance identifier.
const MAX_IDENTIFIER: usize = 63;

/// The timing of a restore test.
#[derive(Clone, Debug)]
pub struct RestoreSettings {
    /// The recovery time objective the restore is measured against.
    pub rto: Duration,
    /// How long to wait for the restore job and the table before giving up.
    pub timeout: Duration,
    /// Between two reads of the job.
    pub poll: Duration,
    /// The first wait after a throttled call (doubled each time, 5 tries).
    pub backoff: Duration,
    /// Makes the scratch table's name unique (`<table>-restore-test-<stamp>`).
    pub stamp: String,
}

impl RestoreSettings {
    /// An RTO of `rto`, waiting up to an hour, polling every 15 s, the stamp from the clock.
    pub fn new(rto: Duration) -> Self {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        RestoreSettings {
            rto,
            timeout: Duration::from_secs(3600),
            poll: Duration::from_secs(15),
            backoff: Duration::from_secs(1),
            stamp: secs.to_string(),
        }
    }
}

/// What happened to the scratch copy (a table, or a cluster and its instance) at the end.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cleanup {
    /// Whether haplat deleted it (false when there was nothing to delete, or it could not).
    pub deleted: bool,
    /// Whether a scratch copy is left behind.
    pub left_behind: bool,
    /// What was done.
    pub message: String,
}

/// Calls `f` again while it is throttled: 5 tries, waits of `backoff`, doubling.
pub async fn retry<T, F, Fut>(backoff: Duration, mut f: F) -> CfnResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = CfnResult<T>>,
{
    let mut wait = backoff;
    for _ in 0..4 {
        match f().await {
            Err(CfnError::Throttled(_)) => {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            other => return other,
        }
    }
    f().await
}

/// The backup vault name of the assembly, when it names exactly one (`BackupVaultName` of its
/// `AWS::Backup::BackupVault`s).
pub fn assembly_vault(a: &Assembly) -> Option<String> {
    let mut vaults = std::collections::BTreeSet::new();
    for s in &a.manifest.stacks {
        for (id, _) in s.resources.iter().filter(|(_, r)| r.type_name == "AWS::Backup::BackupVault") {
            let name = a
                .templates
                .get(&s.name)
                .and_then(|t| t.json["Resources"][id]["Properties"]["BackupVaultName"].as_str());
            if let Some(name) = name {
                vaults.insert(name.to_owned());
            }
        }
    }
    if vaults.len() == 1 { vaults.into_iter().next() } else { None }
}

/// What an Aurora restore test restores, and from where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterTarget {
    /// The region.
    pub region: String,
    /// The source cluster's identifier.
    pub cluster: String,
    /// The backup vault's name.
    pub vault: String,
    /// The restore role, when given.
    pub role_arn: Option<String>,
    /// The scratch instance's class, when given (default: the source writer's).
    pub instance_class: Option<String>,
}

/// The assembly's Aurora cluster in a region, as a stack set resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssemblyCluster {
    /// The stack set holding it.
    pub stack_set: String,
    /// Its logical id.
    pub logical_id: String,
    /// Its construct path.
    pub path: String,
    /// The region to restore in.
    pub region: String,
    /// The template's literal `DBClusterIdentifier` (lower case, as RDS keeps it), if any.
    pub literal_id: Option<String>,
    /// The vault name, when the assembly names exactly one.
    pub vault: Option<String>,
}

/// How the scratch cluster was validated.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterValidation {
    /// The scratch cluster as last read.
    pub cluster: Option<ClusterInfo>,
    /// The scratch instance as last read.
    pub instance: Option<InstanceInfo>,
    /// The source's engine.
    pub source_engine: String,
    /// The source's engine version.
    pub source_engine_version: String,
    /// Whether the scratch cluster has the source's engine and engine version.
    pub same_engine: bool,
}

/// The report of an Aurora restore test (`--format json` prints it).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterRestoreReport {
    /// `passed` or `failed`.
    pub result: String,
    /// What was restored: `aurora`.
    pub resource: String,
    /// The region.
    pub region: String,
    /// The source cluster.
    pub source_cluster: String,
    /// The vault.
    pub vault: String,
    /// The recovery point restored.
    pub recovery_point: RecoveryPoint,
    /// The restore job's id.
    pub restore_job_id: String,
    /// Its last status.
    pub restore_job_status: String,
    /// The scratch cluster's identifier.
    pub scratch_cluster: String,
    /// The scratch instance's identifier.
    pub scratch_instance: String,
    /// The scratch instance's class.
    pub instance_class: String,
    /// Seconds from `StartRestoreJob` to the validated cluster and its available instance (none
    /// when it did not get there).
    pub restore_seconds: Option<f64>,
    /// The RTO, in seconds.
    pub rto_seconds: f64,
    /// Whether the restore took at most the RTO (none when it did not finish).
    pub rto_met: Option<bool>,
    /// The validation.
    pub validation: ClusterValidation,
    /// The cleanup.
    pub cleanup: Cleanup,
    /// Why the test failed, in one line.
    pub failure: Option<String>,
}

impl ClusterRestoreReport {
    /// Whether the cluster restored, validated, within the RTO, and the scratch copy is gone.
    pub fn passed(&self) -> bool {
        self.result == "passed"
    }
}

/// Whether `id` is a valid DB cluster (or instance) identifier: 1 to 63 letters, digits or
/// hyphens, the first a letter, no two hyphens in a row, not ending with a hyphen.
pub fn is_db_identifier(id: &str) -> bool {
    id.len() <= MAX_IDENTIFIER
        && id.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !id.contains("--")
        && !id.ends_with('-')
}

/// `s` in lower case with every run of characters other than letters and digits made one hyphen,
/// and no hyphen at either end.
fn identifier_part(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// The scratch cluster's identifier: `<cluster>-rt-<stamp>`, the source's part shortened so that
/// the whole, and the scratch instance's `<scratch>-1`, are valid identifiers (at most 63
/// characters, starting with a letter, no double or trailing hyphen).
pub fn scratch_cluster_name(cluster: &str, stamp: &str) -> String {
    let stamp = identifier_part(stamp);
    let suffix = if stamp.is_empty() { "rt".to_owned() } else { format!("rt-{stamp}") };
    let mut base = identifier_part(cluster);
    if !base.starts_with(|c: char| c.is_ascii_alphabetic()) {
        base = if base.is_empty() { "db".to_owned() } else { format!("db-{base}") };
    }
    // Room for "-<suffix>" and the instance's "-1".
    let keep = (MAX_IDENTIFIER - 2).saturating_sub(suffix.len() + 1).max(1);
    let base: String = base.chars().take(keep).collect();
    let name = format!("{}-{suffix}", base.trim_end_matches('-'));
    name.chars().take(MAX_IDENTIFIER - 2).collect::<String>().trim_end_matches('-').to_owned()
}

/// The scratch instance's identifier in the scratch cluster `scratch`.
pub fn scratch_instance_name(scratch: &str) -> String {
    format!("{scratch}-1")
}

/// The stack's regions where a resource's `Condition` holds (all of them without one).
fn holding_regions(checked: &haplat_check::StackTemplate, resource: &Value, regions: &[String]) -> Vec<String> {
    match resource.get("Condition").and_then(Value::as_str) {
        Some(c) => regions.iter().filter(|r| checked.condition_holds(c, r) == Some(true)).cloned().collect(),
        None => regions.to_vec(),
    }
}

/// The assembly's Aurora cluster (`AWS::RDS::DBCluster`) in `region`, or by default in the
/// region of its global database's primary (where the `AWS::RDS::GlobalCluster`'s condition
/// holds), else its stack set's first region; with the vault name when the assembly names one.
/// Read from the assembly alone, so a bad `--in` or an app without Aurora is refused before AWS
/// is called.
pub fn assembly_cluster(a: &Assembly, region: Option<&str>) -> Result<AssemblyCluster, Error> {
    struct Found {
        stack: String,
        regions: Vec<String>,
        logical: String,
        path: String,
        literal: Option<String>,
        holds: Vec<String>,
        primary: Option<String>,
    }
    let mut found = Vec::new();
    for stack in &a.manifest.stacks {
        let Some(t) = a.templates.get(&stack.name) else { continue };
        let Some(resources) = t.json.get("Resources").and_then(Value::as_object) else { continue };
        let regions = stack.target.regions();
        let checked =
            haplat_check::StackTemplate { manifest: stack.clone(), template: t.json.clone(), text: String::new() };
        let primary = resources
            .values()
            .filter(|r| r.get("Type").and_then(Value::as_str) == Some(GLOBAL_CLUSTER))
            .find_map(|r| holding_regions(&checked, r, &regions).into_iter().next());
        for (logical, r) in resources.iter().filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(DB_CLUSTER))
        {
            found.push(Found {
                stack: stack.name.clone(),
                regions: regions.clone(),
                logical: logical.clone(),
                path: stack.resources.get(logical).map_or_else(|| logical.clone(), |m| m.path.clone()),
                literal: r
                    .pointer("/Properties/DBClusterIdentifier")
                    .and_then(Value::as_str)
                    .map(str::to_ascii_lowercase),
                holds: holding_regions(&checked, r, &regions),
                primary: primary.clone(),
            });
        }
    }
    let Some(first) = found.first() else {
        return Err(Error::Usage(
            "--resource aurora: the assembly has no Aurora cluster (AWS::RDS::DBCluster); pass --cluster ID --in REGION --vault NAME to name one".into(),
        ));
    };
    let region = match region {
        Some(r) => {
            if !found.iter().any(|f| f.regions.iter().any(|x| x == r)) {
                return Err(Error::Usage(format!(
                    "--in {r}: {} is in stack set {} in {}, not in {r}",
                    first.path,
                    first.stack,
                    first.regions.join(", ")
                )));
            }
            r.to_owned()
        }
        None => first.primary.clone().or_else(|| first.holds.first().cloned()).ok_or_else(|| {
            Error::Usage(format!("stack set {} has no region where {} exists", first.stack, first.path))
        })?,
    };
    let here: Vec<&Found> = found.iter().filter(|f| f.holds.contains(&region)).collect();
    let [cluster] = here.as_slice() else {
        return Err(Error::Usage(format!(
            "the assembly has {} Aurora clusters in {region}{}: pass --cluster ID --in REGION",
            here.len(),
            if here.is_empty() {
                String::new()
            } else {
                format!(" ({})", here.iter().map(|f| f.path.as_str()).collect::<Vec<_>>().join(", "))
            }
        )));
    };
    Ok(AssemblyCluster {
        stack_set: cluster.stack.clone(),
        logical_id: cluster.logical.clone(),
        path: cluster.path.clone(),
        region,
        literal_id: cluster.literal.clone(),
        vault: assembly_vault(a),
    })
}

/// Sets a restore metadata key, replacing any spelling of it in another case (AWS Backup reads
/// the keys without regard to case).
fn set_key(metadata: &mut BTreeMap<String, String>, key: &str, value: String) {
    metadata.retain(|k, _| !k.eq_ignore_ascii_case(key));
    metadata.insert(key.to_owned(), value);
}

fn has_key(metadata: &BTreeMap<String, String>, key: &str) -> bool {
    metadata.iter().any(|(k, v)| k.eq_ignore_ascii_case(key) && !v.is_empty())
}

/// The restore metadata of the scratch cluster: the recovery point's, renamed, unprotected, out
/// of any global database, in the source's network when the metadata does not say.
pub fn scratch_metadata(
    mut metadata: BTreeMap<String, String>,
    scratch: &str,
    source: &ClusterInfo,
) -> BTreeMap<String, String> {
    set_key(&mut metadata, "DBClusterIdentifier", scratch.to_owned());
    set_key(&mut metadata, "DeletionProtection", "false".to_owned());
    metadata.retain(|k, _| !k.eq_ignore_ascii_case("GlobalClusterIdentifier"));
    if !has_key(&metadata, "Engine") && !source.engine.is_empty() {
        set_key(&mut metadata, "Engine", source.engine.clone());
    }
    if !has_key(&metadata, "DBSubnetGroupName")
        && let Some(group) = &source.subnet_group
    {
        set_key(&mut metadata, "DBSubnetGroupName", group.clone());
    }
    if !has_key(&metadata, "VpcSecurityGroupIds") && !source.security_groups.is_empty() {
        set_key(&mut metadata, "VpcSecurityGroupIds", Value::from(source.security_groups.clone()).to_string());
    }
    metadata
}

/// Restores the latest completed recovery point of `target.cluster` into a scratch cluster, adds
/// an instance, validates both, deletes both. An error before the restore job starts (no
/// cluster, no recovery point, access denied, a region that does not answer) is an `Err`; after
/// it, a failed report (the scratch instance and cluster are cleaned up in every case).
pub async fn run_aurora_restore_test<R: ClusterRecovery>(
    rec: &R,
    target: &ClusterTarget,
    settings: &RestoreSettings,
) -> Result<ClusterRestoreReport, Error> {
    let (region, cluster, vault) = (&target.region, &target.cluster, &target.vault);
    let b = settings.backoff;
    let source = retry(b, || rec.cluster(region, cluster))
        .await
        .map_err(|e| Error::cloud(format!("reading Aurora cluster {cluster} in {region}"), e))?
        .ok_or_else(|| Error::Failed(format!("Aurora cluster {cluster} does not exist in {region}")))?;
    let class = match &target.instance_class {
        Some(c) => c.clone(),
        None => {
            let Some(writer) = source.members.first() else {
                return Err(Error::Usage(format!(
                    "Aurora cluster {cluster} has no DB instance to take the scratch instance's class from: pass --instance-class"
                )));
            };
            retry(b, || rec.instance(region, writer))
                .await
                .map_err(|e| Error::cloud(format!("reading DB instance {writer} in {region}"), e))?
                .map(|i| i.class)
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    Error::Failed(format!(
                        "DB instance {writer} of {cluster} does not exist in {region}: pass --instance-class"
                    ))
                })?
        }
    };
    let points = retry(b, || rec.recovery_points(region, vault, &source.arn)).await.map_err(|e| {
        Error::cloud(format!("listing the recovery points of {cluster} in vault {vault} ({region})"), e)
    })?;
    let point = points
        .into_iter()
        .filter(|p| p.status == "COMPLETED")
        .max_by(|a, b| a.created.cmp(&b.created))
        .ok_or_else(|| {
            Error::Failed(format!(
                "no completed recovery point of Aurora cluster {cluster} in vault {vault} ({region}): has the backup plan run yet?"
            ))
        })?;
    let role = target.role_arn.clone().or_else(|| point.iam_role_arn.clone()).ok_or_else(|| {
        Error::Usage(format!("recovery point {} names no role to restore with: pass --role-arn", point.arn))
    })?;
    let metadata = retry(b, || rec.restore_metadata(region, vault, &point.arn))
        .await
        .map_err(|e| Error::cloud(format!("reading the restore metadata of {}", point.arn), e))?;
    let scratch = scratch_cluster_name(cluster, &settings.stamp);
    let instance = scratch_instance_name(&scratch);
    let request = RestoreRequest {
        recovery_point_arn: point.arn.clone(),
        iam_role_arn: role,
        metadata: scratch_metadata(metadata, &scratch, &source),
        idempotency_token: format!("haplat-restore-test-{}", settings.stamp),
        resource_type: "Aurora".into(),
    };
    let started = Instant::now();
    let job_id = retry(b, || rec.start_restore(region, &request))
        .await
        .map_err(|e| Error::cloud(format!("starting the restore of {} into {scratch} ({region})", point.arn), e))?;

    let mut report = ClusterRestoreReport {
        result: "failed".into(),
        resource: "aurora".into(),
        region: region.clone(),
        source_cluster: cluster.clone(),
        vault: vault.clone(),
        recovery_point: point,
        restore_job_id: job_id.clone(),
        scratch_cluster: scratch.clone(),
        scratch_instance: instance.clone(),
        instance_class: class.clone(),
        rto_seconds: settings.rto.as_secs_f64(),
        validation: ClusterValidation {
            source_engine: source.engine.clone(),
            source_engine_version: source.engine_version.clone(),
            ..Default::default()
        },
        ..Default::default()
    };
    let run = Run { rec, region, job_id: &job_id, scratch: &scratch, instance: &instance, settings, started };
    let outcome = run.wait_and_validate(&source, &class, &mut report).await;
    // Whatever happened once the job started, the scratch instance and cluster do not stay.
    // (A job never read, or still running, may yet create the cluster.)
    let job_ended = crate::recovery::RestoreStatus::parse(&report.restore_job_status).is_settled();
    report.cleanup = run.cleanup(job_ended, &report.restore_job_status).await;
    match outcome {
        Ok(seconds) => {
            report.restore_seconds = Some(seconds);
            let met = seconds <= settings.rto.as_secs_f64();
            report.rto_met = Some(met);
            if !met {
                report.failure = Some(format!(
                    "the restore took {seconds:.0} s, over the RTO of {:.0} s",
                    settings.rto.as_secs_f64()
                ));
            }
        }
        Err(why) => report.failure = Some(why),
    }
    if report.cleanup.left_behind && report.failure.is_none() {
        report.failure = Some(format!("the scratch cluster {scratch} is left behind: {}", report.cleanup.message));
    }
    if report.failure.is_none() {
        report.result = "passed".into();
    }
    Ok(report)
}

/// One restore test under way: what the waits and the cleanup share.
struct Run<'a, R> {
    rec: &'a R,
    region: &'a str,
    job_id: &'a str,
    scratch: &'a str,
    instance: &'a str,
    settings: &'a RestoreSettings,
    started: Instant,
}

impl<R: ClusterRecovery> Run<'_, R> {
    fn timed_out(&self, what: &str) -> String {
        format!(
            "timed out after {:.0} s: {what} (--timeout-minutes sets the wait)",
            self.settings.timeout.as_secs_f64()
        )
    }

    fn over_time(&self) -> bool {
        self.started.elapsed() >= self.settings.timeout
    }

    /// Waits for the job, the scratch cluster and then its new instance, and validates them; the
    /// seconds it took.
    async fn wait_and_validate(
        &self,
        source: &ClusterInfo,
        class: &str,
        report: &mut ClusterRestoreReport,
    ) -> Result<f64, String> {
        let (rec, region, job_id, scratch, instance) =
            (self.rec, self.region, self.job_id, self.scratch, self.instance);
        let (b, poll) = (self.settings.backoff, self.settings.poll);
        let job = loop {
            let job = retry(b, || rec.restore_job(region, job_id))
                .await
                .map_err(|e| format!("reading restore job {job_id}: {e}"))?;
            report.restore_job_status = job.status.to_string();
            if job.status.is_settled() {
                break job;
            }
            if self.over_time() {
                return Err(self.timed_out(&format!("restore job {job_id} is still {}", job.status)));
            }
            tokio::time::sleep(poll).await;
        };
        if job.status != crate::recovery::RestoreStatus::Completed {
            return Err(format!(
                "restore job {job_id} ended {}{}",
                job.status,
                job.message.map(|m| format!(": {m}")).unwrap_or_default()
            ));
        }
        let restored = loop {
            let c = retry(b, || rec.cluster(region, scratch))
                .await
                .map_err(|e| format!("reading cluster {scratch}: {e}"))?;
            match c {
                Some(c) if c.status == "available" => break c,
                Some(c) if self.over_time() => {
                    let status = c.status.clone();
                    report.validation.cluster = Some(c);
                    return Err(self.timed_out(&format!("cluster {scratch} is still {status}")));
                }
                None => {
                    return Err(format!(
                        "restore job {job_id} completed, but cluster {scratch} does not exist in {region}"
                    ));
                }
                Some(_) => tokio::time::sleep(poll).await,
            }
        };
        report.validation.same_engine =
            restored.engine == source.engine && restored.engine_version == source.engine_version;
        report.validation.cluster = Some(restored.clone());
        if !report.validation.same_engine {
            return Err(format!(
                "cluster {scratch} runs {} {}, the source {} {}",
                restored.engine, restored.engine_version, source.engine, source.engine_version
            ));
        }
        let request = InstanceRequest {
            instance_id: instance.to_owned(),
            cluster_id: scratch.to_owned(),
            class: class.to_owned(),
            engine: restored.engine.clone(),
        };
        retry(b, || rec.create_instance(region, &request))
            .await
            .map_err(|e| format!("creating DB instance {instance} ({class}) in {scratch}: {e}"))?;
        loop {
            let i = retry(b, || rec.instance(region, instance))
                .await
                .map_err(|e| format!("reading DB instance {instance}: {e}"))?;
            if let Some(i) = &i {
                report.validation.instance = Some(i.clone());
                if i.status == "available" {
                    break;
                }
                if i.status == "failed" || i.status.starts_with("incompatible") {
                    return Err(format!("DB instance {instance} in {scratch} is {}", i.status));
                }
            }
            if self.over_time() {
                let status = i.map_or_else(|| "not visible".to_owned(), |i| format!("still {}", i.status));
                return Err(self.timed_out(&format!("DB instance {instance} is {status}")));
            }
            tokio::time::sleep(poll).await;
        }
        Ok(self.started.elapsed().as_secs_f64())
    }

    /// Deletes the scratch instance, then the scratch cluster (deletion protection off, no
    /// final snapshot), if they exist.
    async fn cleanup(&self, job_ended: bool, job_status: &str) -> Cleanup {
        let (rec, region, scratch, instance) = (self.rec, self.region, self.scratch, self.instance);
        let b = self.settings.backoff;
        let delete_instance =
            format!("aws rds delete-db-instance --db-instance-identifier {instance} --region {region}");
        let delete_cluster = format!(
            "aws rds delete-db-cluster --db-cluster-identifier {scratch} --skip-final-snapshot --region {region}"
        );
        let mut out = Cleanup::default();
        let mut notes = Vec::new();
        match retry(b, || rec.instance(region, instance)).await {
            Ok(None) => {}
            Ok(Some(i)) if i.status == "deleting" => {
                notes.push(format!("instance {instance} is already being deleted"))
            }
            Ok(Some(_)) => match retry(b, || rec.delete_instance(region, instance)).await {
                Ok(()) => {
                    out.deleted = true;
                    notes.push(format!("deleted instance {instance}"));
                }
                Err(e) => {
                    out.left_behind = true;
                    notes
                        .push(format!("could not delete instance {instance}: {e}; delete it with `{delete_instance}`"));
                }
            },
            Err(e) => {
                out.left_behind = true;
                notes.push(format!(
                    "could not read instance {instance}: {e}; if it exists, delete it with `{delete_instance}`"
                ));
            }
        }
        match retry(b, || rec.cluster(region, scratch)).await {
            Ok(None) if job_ended => notes.push(format!("no cluster {scratch} to delete")),
            Ok(None) => {
                out.left_behind = true;
                notes.push(format!(
                    "no cluster {scratch} yet, but restore job {} is still {job_status} and may create it: once it \
                     ends, delete it with `{delete_cluster}`",
                    self.job_id
                ));
            }
            Ok(Some(c)) if c.status == "deleting" => notes.push(format!("cluster {scratch} is already being deleted")),
            Ok(Some(c)) => match self.delete_cluster(c.deletion_protection).await {
                Ok(()) => {
                    out.deleted = true;
                    notes.push(format!("deleted cluster {scratch}"));
                }
                Err(e) => {
                    out.left_behind = true;
                    notes.push(format!(
                        "could not delete cluster {scratch} ({}): {e}; delete it with `{delete_cluster}`",
                        c.status
                    ));
                }
            },
            Err(e) => {
                out.left_behind = true;
                notes.push(format!(
                    "could not read cluster {scratch}: {e}; if it exists, delete it with `{delete_cluster}`"
                ));
            }
        }
        out.message = notes.join("; ");
        out
    }

    /// Turns deletion protection off if it is on, then deletes the cluster; while RDS still
    /// refuses because the instance is not yet deleting (`InvalidDBClusterStateFault`), tries
    /// again after a poll, up to 20 times.
    async fn delete_cluster(&self, protected: bool) -> Result<(), CfnError> {
        let (rec, region, scratch, b) = (self.rec, self.region, self.scratch, self.settings.backoff);
        if protected {
            retry(b, || rec.unprotect_cluster(region, scratch)).await?;
        }
        let mut tries = 0;
        loop {
            tries += 1;
            match retry(b, || rec.delete_cluster(region, scratch)).await {
                Err(CfnError::Service { code, .. }) if code == "InvalidDBClusterStateFault" && tries < 20 => {
                    tokio::time::sleep(self.settings.poll).await;
                }
                other => return other,
            }
        }
    }
}

/// The report as text.
pub fn cluster_report_text(r: &ClusterRestoreReport) -> String {
    let mut out = format!("restore test of Aurora cluster {} in {} (vault {})\n", r.source_cluster, r.region, r.vault);
    out.push_str(&format!("  recovery point    {} (created {})\n", r.recovery_point.arn, r.recovery_point.created));
    out.push_str(&format!("  restore job       {}: {}\n", r.restore_job_id, r.restore_job_status));
    let v = &r.validation;
    match &v.cluster {
        Some(c) => out.push_str(&format!(
            "  scratch cluster   {}: {}, {} {}{}\n",
            r.scratch_cluster,
            c.status,
            c.engine,
            c.engine_version,
            if v.same_engine {
                " as the source".to_owned()
            } else {
                format!(", NOT the source's {} {}", v.source_engine, v.source_engine_version)
            }
        )),
        None => out.push_str(&format!("  scratch cluster   {}: not restored\n", r.scratch_cluster)),
    }
    match &v.instance {
        Some(i) => out.push_str(&format!("  scratch instance  {} ({}): {}\n", r.scratch_instance, i.class, i.status)),
        None => {
            out.push_str(&format!("  scratch instance  {} ({}): not created\n", r.scratch_instance, r.instance_class))
        }
    }
    out.push_str(&format!("  cleanup           {}\n", r.cleanup.message));
    match (r.restore_seconds, r.rto_met) {
        (Some(s), Some(met)) => out.push_str(&format!(
            "  RTO               {s:.0} s of {:.0} s: {}\n",
            r.rto_seconds,
            if met { "met" } else { "NOT MET" }
        )),
        _ => out.push_str(&format!(
            "  RTO               {:.0} s: not measured (no restored cluster with an available instance)\n",
            r.rto_seconds
        )),
    }
    match &r.failure {
        Some(f) => out.push_str(&format!("result: failed: {f}\n")),
        None => out.push_str("result: passed\n"),
    }
    out
}

/// The exit code of a report: 0 passed, 1 failed.
pub fn cluster_report_exit(r: &ClusterRestoreReport) -> u8 {
    if r.passed() { crate::error::exit::OK } else { crate::error::exit::FAILED }
}
