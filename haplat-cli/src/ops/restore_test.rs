//! `haplat restore-test`: proves that the app's DynamoDB table restores from its backups.
//!
//! The latest completed recovery point of the table in the backup vault is restored into a
//! scratch table (`<table>-restore-test-<time>`) with AWS Backup
//! (`ListRecoveryPointsByBackupVault`, `GetRecoveryPointRestoreMetadata`, `StartRestoreJob`,
//! `DescribeRestoreJob` until it ends), validated (`DescribeTable`: the table exists, is
//! `ACTIVE`, has the source's key schema; its item count is shown beside the source's; `Scan`:
//! when the source holds items, an item of the scratch table reads back), and
//! deleted (`DeleteTable`) whatever happened after the job started. The time from
//! `StartRestoreJob` to the validated table is compared with the RTO.
//!
//! Why a direct restore rather than an AWS Backup restore testing plan: a plan runs on its own
//! schedule and has no call to start it now, so a command cannot run one on demand, time it
//! against the RTO or report on it when it ends (docs/runbooks/restore.md).
//!
//! The Aurora case (`--resource aurora`, [`restore_test_aurora`]) checks its flags and finds the
//! cluster here, and runs [`crate::restore`]'s test, with the same settings, retries, cleanup
//! shape and exit codes.
//!
//! Uses [`crate::recovery`] (the calls), [`crate::assembly`] (where the table and vault are),
//! [`crate::ops::input`] and [`crate::output`].

use std::time::{Duration, Instant};

use crate::assembly::Assembly;
use crate::error::Error;
use crate::ops::input::{AssemblySource, AwsAccess};
use crate::recovery::{ClusterRecovery, Recovery, RecoveryPoint, RestoreRequest, RestoreStatus, TableInfo};
use crate::restore::{
    AssemblyCluster, ClusterRestoreReport, ClusterTarget, assembly_cluster, assembly_vault, cluster_report_text,
    is_db_identifier, retry, run_aurora_restore_test,
};
pub use crate::restore::{Cleanup, RestoreSettings};

/// What `restore-test` restores and how long it waits.
#[derive(Clone, Debug)]
pub struct RestoreTestOptions {
    /// Where the assembly comes from (to find the table and the vault).
    pub source: AssemblySource,
    /// How to reach AWS.
    pub aws: AwsAccess,
    /// What to restore: the app's DynamoDB table or its Aurora cluster.
    pub resource: RestoreResource,
    /// The table's name (default: the assembly's only DynamoDB table, as deployed).
    pub table: Option<String>,
    /// With [`RestoreResource::Aurora`]: the cluster's identifier (default: the assembly's Aurora
    /// cluster in the region, as deployed).
    pub cluster: Option<String>,
    /// With [`RestoreResource::Aurora`]: the scratch instance's class (default: the source
    /// writer's).
    pub instance_class: Option<String>,
    /// The region to restore in (default: the first region of the table's stack).
    pub region: Option<String>,
    /// The backup vault (default: the assembly's only vault name).
    pub vault: Option<String>,
    /// The role AWS Backup restores with (default: the role that made the recovery point).
    pub role_arn: Option<String>,
    /// How the restore is timed.
    pub settings: RestoreSettings,
    /// Print JSON instead of text.
    pub json: bool,
}

/// What `restore-test` restores.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RestoreResource {
    /// The app's DynamoDB table, into a scratch table.
    #[default]
    Table,
    /// The app's Aurora cluster, into a scratch cluster with one instance
    /// ([`crate::restore`]).
    Aurora,
}

/// What is restored, and from where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoreTarget {
    /// The region.
    pub region: String,
    /// The source table's name.
    pub table: String,
    /// The backup vault's name.
    pub vault: String,
    /// The restore role, when given.
    pub role_arn: Option<String>,
}

/// The table of the assembly as a stack set resource, and the vault name there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssemblyTable {
    /// The stack set holding the table.
    pub stack_set: String,
    /// The table's logical id.
    pub logical_id: String,
    /// Its construct path.
    pub path: String,
    /// The region to restore in.
    pub region: String,
    /// The vault name, when the assembly names exactly one.
    pub vault: Option<String>,
}

/// How the scratch table was validated.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Validation {
    /// The scratch table as restored.
    pub table: Option<TableInfo>,
    /// The source table's item count (both counts are refreshed by DynamoDB about every six
    /// hours: shown, not compared).
    pub source_item_count: i64,
    /// Whether the key schema is the source's.
    pub same_key_schema: bool,
    /// Whether the scratch table holds an item (a `Scan` of one): a table whose source held
    /// items must, or its backup restored nothing. `None` when not read.
    pub has_items: Option<bool>,
}

/// The report of a restore test (`--format json` prints it).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreReport {
    /// `passed` or `failed`.
    pub result: String,
    /// What was restored: `table`.
    pub resource: String,
    /// The region.
    pub region: String,
    /// The source table.
    pub source_table: String,
    /// The vault.
    pub vault: String,
    /// The recovery point restored.
    pub recovery_point: RecoveryPoint,
    /// The restore job's id.
    pub restore_job_id: String,
    /// Its last status.
    pub restore_job_status: String,
    /// The scratch table's name.
    pub scratch_table: String,
    /// Seconds from `StartRestoreJob` to the validated table (none when it did not get there).
    pub restore_seconds: Option<f64>,
    /// The RTO, in seconds.
    pub rto_seconds: f64,
    /// Whether the restore took at most the RTO (none when it did not finish).
    pub rto_met: Option<bool>,
    /// The validation.
    pub validation: Validation,
    /// The cleanup.
    pub cleanup: Cleanup,
    /// Why the test failed, in one line.
    pub failure: Option<String>,
}

impl RestoreReport {
    /// Whether the table restored, validated, within the RTO, and the scratch table is gone.
    pub fn passed(&self) -> bool {
        self.result == "passed"
    }
}

/// Runs `restore-test`: finds the target, restores, prints the report; `Ok(report)` whether it
/// passed or not (the command turns a failed report into exit 1).
pub async fn restore_test(opts: &RestoreTestOptions) -> Result<RestoreReport, Error> {
    let aws = opts.aws.connect().await?;
    let target = resolve_target(&aws, opts).await?;
    let report = run_restore_test(&aws, &target, &opts.settings).await?;
    if opts.json {
        let mut text = serde_json::to_string_pretty(&report).expect("a report serializes");
        text.push('\n');
        crate::out!("{text}");
    } else {
        crate::out!("{}", report_text(&report));
    }
    Ok(report)
}

/// The table, region and vault: the options', else the assembly's.
async fn resolve_target<R: Recovery>(rec: &R, opts: &RestoreTestOptions) -> Result<RestoreTarget, Error> {
    if let (Some(table), Some(region), Some(vault)) = (&opts.table, &opts.region, &opts.vault) {
        return Ok(RestoreTarget {
            region: region.clone(),
            table: table.clone(),
            vault: vault.clone(),
            role_arn: opts.role_arn.clone(),
        });
    }
    let assembly = opts.source.load()?;
    let found = assembly_table(&assembly, opts.region.as_deref())?;
    let vault = opts.vault.clone().or(found.vault.clone()).ok_or_else(|| {
        Error::Usage("the assembly names no single backup vault (AWS::Backup::BackupVault): pass --vault".into())
    })?;
    let table = match &opts.table {
        Some(t) => t.clone(),
        None => rec
            .stack_resource(&found.stack_set, &found.region, &found.logical_id)
            .await
            .map_err(|e| Error::cloud(format!("finding {} in stack set {}", found.path, found.stack_set), e))?
            .ok_or_else(|| {
                Error::Failed(format!(
                    "{} ({}) is not deployed in {}: deploy first, or pass --table",
                    found.path, found.stack_set, found.region
                ))
            })?,
    };
    Ok(RestoreTarget { region: found.region, table, vault, role_arn: opts.role_arn.clone() })
}

/// The tag pairs the assembly's AWS Backup selections choose resources by (`ListOfTags`).
fn backed_up_tags(a: &Assembly) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for t in a.templates.values() {
        let Some(resources) = t.json["Resources"].as_object() else { continue };
        for r in resources.values().filter(|r| r["Type"] == "AWS::Backup::BackupSelection") {
            let tags = r["Properties"]["BackupSelection"]["ListOfTags"].as_array().into_iter().flatten();
            for c in tags {
                if let (Some(k), Some(v)) = (c["ConditionKey"].as_str(), c["ConditionValue"].as_str()) {
                    out.push((k.to_owned(), v.to_owned()));
                }
            }
        }
    }
    out
}

/// A table's literal tags: its own (`AWS::DynamoDB::Table`) or its replicas' (a global table).
fn table_tags(r: &serde_json::Value) -> Vec<(String, String)> {
    let p = &r["Properties"];
    let lists = std::iter::once(&p["Tags"]).chain(p["Replicas"].as_array().into_iter().flatten().map(|x| &x["Tags"]));
    lists
        .flat_map(|l| l.as_array().into_iter().flatten())
        .filter_map(|t| Some((t["Key"].as_str()?.to_owned(), t["Value"].as_str()?.to_owned())))
        .collect()
}

/// The assembly's one DynamoDB table (a global table or a table) and its region (`region`, or
/// its stack's first), with the vault name when the assembly names exactly one. With several
/// tables, the one the backup plans select by tag.
pub fn assembly_table(a: &Assembly, region: Option<&str>) -> Result<AssemblyTable, Error> {
    let mut tables = Vec::new();
    for s in &a.manifest.stacks {
        for (id, r) in &s.resources {
            if matches!(r.type_name.as_str(), "AWS::DynamoDB::GlobalTable" | "AWS::DynamoDB::Table") {
                tables.push((s, id.clone(), r.path.clone()));
            }
        }
    }
    // Several tables: the ones the app's backup plans select by tag (a table that is never backed
    // up has no recovery point to restore).
    if tables.len() > 1 {
        let selected = backed_up_tags(a);
        let backed_up: Vec<_> = tables
            .iter()
            .filter(|(s, id, _)| {
                a.templates
                    .get(&s.name)
                    .is_some_and(|t| table_tags(&t.json["Resources"][id]).iter().any(|kv| selected.contains(kv)))
            })
            .cloned()
            .collect();
        if !backed_up.is_empty() {
            tables = backed_up;
        }
    }
    if tables.is_empty() {
        return Err(Error::Usage(
            "the assembly has no DynamoDB table: pass --table NAME --in REGION (or --resource aurora for its Aurora cluster)"
                .into(),
        ));
    }
    let [(stack, logical_id, path)] = tables.as_slice() else {
        return Err(Error::Usage(format!(
            "the assembly has {} DynamoDB tables ({}): pass --table NAME --in REGION",
            tables.len(),
            tables.iter().map(|(_, _, p)| p.as_str()).collect::<Vec<_>>().join(", ")
        )));
    };
    let regions: Vec<String> = match &stack.target {
        haplat_core::manifest::Target::StackSet { regions } => regions.clone(),
        haplat_core::manifest::Target::Region { region } => vec![region.clone()],
    };
    let region = match region {
        Some(r) if regions.iter().any(|x| x == r) => r.to_owned(),
        Some(r) => {
            return Err(Error::Usage(format!(
                "{path} is in stack set {} in {}, not in {r}",
                stack.name,
                regions.join(", ")
            )));
        }
        None => {
            regions.first().cloned().ok_or_else(|| Error::Usage(format!("stack set {} has no region", stack.name)))?
        }
    };
    let vault = assembly_vault(a);
    Ok(AssemblyTable {
        stack_set: stack.name.clone(),
        logical_id: logical_id.clone(),
        path: path.clone(),
        region,
        vault,
    })
}

/// The name of the scratch table: `<table>-restore-test-<stamp>`, within DynamoDB's 255
/// characters.
pub fn scratch_name(table: &str, stamp: &str) -> String {
    let suffix = format!("-restore-test-{stamp}");
    let keep = 255usize.saturating_sub(suffix.len());
    let base: String = table.chars().take(keep).collect();
    format!("{base}{suffix}")
}

/// Restores the latest completed recovery point of `target.table` into a scratch table,
/// validates it, deletes it. An error before the restore job starts (no table, no recovery
/// point, access denied) is an `Err`; after it, a failed report (the scratch table is cleaned
/// up in every case).
pub async fn run_restore_test<R: Recovery>(
    rec: &R,
    target: &RestoreTarget,
    settings: &RestoreSettings,
) -> Result<RestoreReport, Error> {
    let (region, table, vault) = (&target.region, &target.table, &target.vault);
    let b = settings.backoff;
    let source = retry(b, || rec.table(region, table))
        .await
        .map_err(|e| Error::cloud(format!("reading table {table} in {region}"), e))?
        .ok_or_else(|| Error::Failed(format!("table {table} does not exist in {region}")))?;
    let points = retry(b, || rec.recovery_points(region, vault, &source.arn))
        .await
        .map_err(|e| Error::cloud(format!("listing the recovery points of {table} in vault {vault} ({region})"), e))?;
    let point = points
        .into_iter()
        .filter(|p| p.status == "COMPLETED")
        .max_by(|a, b| a.created.cmp(&b.created))
        .ok_or_else(|| {
            Error::Failed(format!(
                "no completed recovery point of table {table} in vault {vault} ({region}): has the backup plan run yet?"
            ))
        })?;
    let role = target.role_arn.clone().or_else(|| point.iam_role_arn.clone()).ok_or_else(|| {
        Error::Usage(format!("recovery point {} names no role to restore with: pass --role-arn", point.arn))
    })?;
    let mut metadata = retry(b, || rec.restore_metadata(region, vault, &point.arn))
        .await
        .map_err(|e| Error::cloud(format!("reading the restore metadata of {}", point.arn), e))?;
    let scratch = scratch_name(table, &settings.stamp);
    metadata.insert("targetTableName".into(), scratch.clone());
    let request = RestoreRequest {
        recovery_point_arn: point.arn.clone(),
        iam_role_arn: role,
        metadata,
        idempotency_token: format!("haplat-restore-test-{}", settings.stamp),
        resource_type: "DynamoDB".into(),
    };
    let started = Instant::now();
    let job_id = retry(b, || rec.start_restore(region, &request))
        .await
        .map_err(|e| Error::cloud(format!("starting the restore of {} into {scratch} ({region})", point.arn), e))?;

    let mut report = RestoreReport {
        result: "failed".into(),
        resource: "table".into(),
        region: region.clone(),
        source_table: table.clone(),
        vault: vault.clone(),
        recovery_point: point,
        restore_job_id: job_id.clone(),
        scratch_table: scratch.clone(),
        rto_seconds: settings.rto.as_secs_f64(),
        validation: Validation { source_item_count: source.item_count, ..Default::default() },
        ..Default::default()
    };
    let outcome = wait_and_validate(rec, region, &job_id, &scratch, &source, settings, started, &mut report).await;
    // Whatever happened once the job started, the scratch table does not stay.
    report.cleanup = cleanup(rec, region, &scratch, b).await;
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
        report.failure = Some(format!("the scratch table {scratch} is left behind: {}", report.cleanup.message));
    }
    if report.failure.is_none() {
        report.result = "passed".into();
    }
    Ok(report)
}

/// Waits for the job and the scratch table, and validates the table; the seconds it took.
#[allow(clippy::too_many_arguments)]
async fn wait_and_validate<R: Recovery>(
    rec: &R,
    region: &str,
    job_id: &str,
    scratch: &str,
    source: &TableInfo,
    settings: &RestoreSettings,
    started: Instant,
    report: &mut RestoreReport,
) -> Result<f64, String> {
    let b = settings.backoff;
    let timed_out = |what: &str| {
        format!("timed out after {:.0} s: {what} (--timeout-minutes sets the wait)", settings.timeout.as_secs_f64())
    };
    let job = loop {
        let job = retry(b, || rec.restore_job(region, job_id))
            .await
            .map_err(|e| format!("reading restore job {job_id}: {e}"))?;
        report.restore_job_status = job.status.to_string();
        if job.status.is_settled() {
            break job;
        }
        if started.elapsed() >= settings.timeout {
            return Err(timed_out(&format!("restore job {job_id} is still {}", job.status)));
        }
        tokio::time::sleep(settings.poll).await;
    };
    if job.status != RestoreStatus::Completed {
        return Err(format!(
            "restore job {job_id} ended {}{}",
            job.status,
            job.message.map(|m| format!(": {m}")).unwrap_or_default()
        ));
    }
    let restored = loop {
        let t = retry(b, || rec.table(region, scratch)).await.map_err(|e| format!("reading table {scratch}: {e}"))?;
        match t {
            Some(t) if t.status == "ACTIVE" => break t,
            Some(t) if started.elapsed() >= settings.timeout => {
                report.validation.table = Some(t.clone());
                return Err(timed_out(&format!("table {scratch} is still {}", t.status)));
            }
            None => {
                return Err(format!("restore job {job_id} completed, but table {scratch} does not exist in {region}"));
            }
            Some(_) => tokio::time::sleep(settings.poll).await,
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    report.validation.same_key_schema = restored.key_schema == source.key_schema;
    report.validation.table = Some(restored.clone());
    if !report.validation.same_key_schema {
        return Err(format!(
            "table {scratch} has the key {}, the source {}",
            key_text(&restored.key_schema),
            key_text(&source.key_schema)
        ));
    }
    // The data itself: a source that held items (by DynamoDB's count, refreshed about every six
    // hours) restores into a table that holds some.
    let has_items = retry(b, || rec.has_items(region, scratch))
        .await
        .map_err(|e| format!("reading an item of table {scratch} (Scan): {e}"))?;
    report.validation.has_items = Some(has_items);
    if !has_items && source.item_count > 0 {
        return Err(format!(
            "table {scratch} holds no item (Scan), while the source holds about {} (DescribeTable's count): the \
             backup restored its schema, not its data",
            source.item_count
        ));
    }
    Ok(seconds)
}

fn key_text(key: &[(String, String)]) -> String {
    key.iter().map(|(a, t)| format!("{a} {t}")).collect::<Vec<_>>().join(", ")
}

/// Deletes the scratch table if it exists.
async fn cleanup<R: Recovery>(rec: &R, region: &str, scratch: &str, b: Duration) -> Cleanup {
    let by_hand = format!("aws dynamodb delete-table --table-name {scratch} --region {region}");
    match retry(b, || rec.table(region, scratch)).await {
        Ok(None) => Cleanup { deleted: false, left_behind: false, message: format!("no table {scratch} to delete") },
        Ok(Some(t)) if t.status == "DELETING" => {
            Cleanup { deleted: false, left_behind: false, message: format!("{scratch} is already being deleted") }
        }
        Ok(Some(t)) => match retry(b, || rec.delete_table(region, scratch)).await {
            Ok(()) => Cleanup { deleted: true, left_behind: false, message: format!("deleted {scratch}") },
            Err(e) => Cleanup {
                deleted: false,
                left_behind: true,
                message: format!("could not delete {scratch} ({}): {e}; delete it with `{by_hand}`", t.status),
            },
        },
        Err(e) => Cleanup {
            deleted: false,
            left_behind: true,
            message: format!("could not read {scratch}: {e}; if it exists, delete it with `{by_hand}`"),
        },
    }
}

/// The report as text.
pub fn report_text(r: &RestoreReport) -> String {
    let mut out = format!("restore test of table {} in {} (vault {})\n", r.source_table, r.region, r.vault);
    out.push_str(&format!("  recovery point  {} (created {})\n", r.recovery_point.arn, r.recovery_point.created));
    out.push_str(&format!("  restore job     {}: {}\n", r.restore_job_id, r.restore_job_status));
    match &r.validation.table {
        Some(t) => out.push_str(&format!(
            "  scratch table   {}: {}, {} items (source: {}; DynamoDB refreshes item counts about every six hours), \
             key {}{}\n",
            r.scratch_table,
            t.status,
            t.item_count,
            r.validation.source_item_count,
            key_text(&t.key_schema),
            if r.validation.same_key_schema { " as the source" } else { ", NOT the source's" }
        )),
        None => out.push_str(&format!("  scratch table   {}: not restored\n", r.scratch_table)),
    }
    match r.validation.has_items {
        Some(true) => out.push_str("  data            an item read back (Scan)\n"),
        Some(false) => out.push_str("  data            no item read back (Scan)\n"),
        None => {}
    }
    out.push_str(&format!("  cleanup         {}\n", r.cleanup.message));
    match (r.restore_seconds, r.rto_met) {
        (Some(s), Some(met)) => out.push_str(&format!(
            "  RTO             {s:.0} s of {:.0} s: {}\n",
            r.rto_seconds,
            if met { "met" } else { "NOT MET" }
        )),
        _ => out.push_str(&format!("  RTO             {:.0} s: not measured (no restored table)\n", r.rto_seconds)),
    }
    match &r.failure {
        Some(f) => out.push_str(&format!("result: failed: {f}\n")),
        None => out.push_str("result: passed\n"),
    }
    out
}

/// The exit code of a report: 0 passed, 1 failed.
pub fn report_exit(r: &RestoreReport) -> u8 {
    if r.passed() { crate::error::exit::OK } else { crate::error::exit::FAILED }
}

/// Checks the Aurora flags before anything is read: one line naming the flag.
pub fn check_cluster_flags(opts: &RestoreTestOptions) -> Result<(), Error> {
    if let Some(t) = &opts.table {
        return Err(Error::Usage(format!(
            "--table {t}: names a DynamoDB table, and --resource aurora restores an Aurora cluster (name it with --cluster)"
        )));
    }
    if let Some(c) = &opts.cluster
        && !is_db_identifier(c)
    {
        return Err(Error::Usage(format!(
            "--cluster {c}: not a DB cluster identifier (1 to 63 letters, digits or hyphens, starting with a letter, \
             no two hyphens in a row, not ending with a hyphen)"
        )));
    }
    if let Some(c) = &opts.instance_class
        && (!c.starts_with("db.") || c.len() <= 3 || c.contains(char::is_whitespace))
    {
        return Err(Error::Usage(format!(
            "--instance-class {c}: not a DB instance class (such as db.serverless or db.r6g.large)"
        )));
    }
    Ok(())
}

/// Runs `restore-test --resource aurora`: checks the flags, finds the cluster, restores, prints
/// the report; `Ok(report)` whether it passed or not (the command turns a failed report into
/// exit 1).
pub async fn restore_test_aurora(opts: &RestoreTestOptions) -> Result<ClusterRestoreReport, Error> {
    check_cluster_flags(opts)?;
    // The assembly is read before AWS is asked anything: an app with no Aurora cluster, or a
    // region it is not in, is a usage error with no call made.
    // With --cluster and --in, the cluster need not be the assembly's (the assembly is read
    // only for the vault, when --vault is not given).
    let found = match (&opts.cluster, &opts.region) {
        (Some(_), Some(_)) => None,
        _ => Some(assembly_cluster(&opts.source.load()?, opts.region.as_deref())?),
    };
    let vault = match (&opts.vault, &found) {
        (Some(v), _) => Some(v.clone()),
        (None, Some(f)) => f.vault.clone(),
        (None, None) => assembly_vault(&opts.source.load()?),
    };
    let Some(vault) = vault else {
        return Err(Error::Usage(
            "the assembly names no single backup vault (AWS::Backup::BackupVault): pass --vault".into(),
        ));
    };
    let aws = opts.aws.connect().await?;
    let target = resolve_cluster(&aws, opts, found, vault).await?;
    let report = run_aurora_restore_test(&aws, &target, &opts.settings).await?;
    if opts.json {
        let mut text = serde_json::to_string_pretty(&report).expect("a report serializes");
        text.push('\n');
        crate::out!("{text}");
    } else {
        crate::out!("{}", cluster_report_text(&report));
    }
    Ok(report)
}

/// The cluster's identifier and region: the options', else the deployed stack's (its physical
/// id), else the template's literal identifier.
async fn resolve_cluster<R: ClusterRecovery>(
    rec: &R,
    opts: &RestoreTestOptions,
    found: Option<AssemblyCluster>,
    vault: String,
) -> Result<ClusterTarget, Error> {
    let target = |region: String, cluster: String| ClusterTarget {
        region,
        cluster,
        vault: vault.clone(),
        role_arn: opts.role_arn.clone(),
        instance_class: opts.instance_class.clone(),
    };
    let Some(found) = found else {
        // `restore_test_aurora` looks the cluster up in the assembly unless both are given.
        let (Some(cluster), Some(region)) = (&opts.cluster, &opts.region) else {
            return Err(Error::Usage("pass --cluster ID --in REGION".into()));
        };
        return Ok(target(region.clone(), cluster.clone()));
    };
    if let Some(cluster) = &opts.cluster {
        return Ok(target(found.region, cluster.clone()));
    }
    let deployed =
        retry(opts.settings.backoff, || rec.stack_resource(&found.stack_set, &found.region, &found.logical_id))
            .await
            .map_err(|e| Error::cloud(format!("finding {} in stack set {}", found.path, found.stack_set), e))?;
    let cluster = deployed.or(found.literal_id.clone()).ok_or_else(|| {
        Error::Failed(format!(
            "{} ({}) is not deployed in {}: deploy first, or pass --cluster",
            found.path, found.stack_set, found.region
        ))
    })?;
    Ok(target(found.region, cluster))
}
