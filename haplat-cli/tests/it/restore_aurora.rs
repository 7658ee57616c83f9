//! `haplat restore-test --resource aurora` against a fake of the `Recovery` and
//! `ClusterRecovery` traits: a restore that passes, a failed job, timeouts, throttled calls,
//! access denied before and after the job starts, a region that does not answer, a cleanup that
//! fails (the scratch names printed), an engine that does not match; the scratch identifiers; the
//! reference platform's cluster from its assembly; the binary's usage errors.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use haplat_cli::cfn::{CfnError, CfnResult};
use haplat_cli::ops::{ClusterTarget, RestoreSettings, cluster_report_exit, run_aurora_restore_test};
use haplat_cli::recovery::{
    ClusterInfo, ClusterRecovery, InstanceInfo, InstanceRequest, Recovery, RecoveryPoint, RestoreJob, RestoreRequest,
    RestoreStatus, TableInfo,
};
use haplat_cli::restore::{
    assembly_cluster, cluster_report_text, is_db_identifier, scratch_cluster_name, scratch_instance_name,
};

use crate::harness::{Project, Source, real_app, run};

const REGION: &str = "us-east-1";
const SOURCE: &str = "shop-prod-api-db";
const WRITER: &str = "shop-prod-api-db-writer";
const ROLE: &str = "arn:aws:iam::111122223333:role/backup";
const SCRATCH: &str = "shop-prod-api-db-rt-1765000000";

/// The fake's state: clusters and instances, recovery points, the job's statuses, the scratch
/// instance's statuses, errors to answer per call, a region that does not answer, every call.
struct State {
    clusters: BTreeMap<String, ClusterInfo>,
    instances: BTreeMap<String, InstanceInfo>,
    points: Vec<RecoveryPoint>,
    /// The statuses the job goes through, one per read; the last one stays.
    job_script: VecDeque<RestoreStatus>,
    job_message: Option<String>,
    /// Whether the job creates the cluster once it runs, and with which engine version.
    creates_cluster: bool,
    restored_version: String,
    /// The scratch instance's statuses, one per read; the last one stays.
    instance_script: VecDeque<String>,
    errors: BTreeMap<&'static str, VecDeque<CfnError>>,
    /// Calls from which on the region does not answer (after that many calls in all).
    down_after: Option<usize>,
    requests: Vec<RestoreRequest>,
    instance_requests: Vec<InstanceRequest>,
    calls: Vec<String>,
}

struct Fake(Mutex<State>);

impl Fake {
    fn new() -> Fake {
        let source = ClusterInfo {
            id: SOURCE.into(),
            arn: format!("arn:aws:rds:{REGION}:111122223333:cluster:{SOURCE}"),
            status: "available".into(),
            engine: "aurora-postgresql".into(),
            engine_version: "17.7".into(),
            deletion_protection: true,
            subnet_group: Some("shop-prod-db-subnets".into()),
            security_groups: vec!["sg-0db".into()],
            members: vec![WRITER.into(), "shop-prod-api-db-reader1".into()],
        };
        let writer = InstanceInfo { id: WRITER.into(), status: "available".into(), class: "db.serverless".into() };
        let mut points = Vec::new();
        for (id, created, status) in [
            ("rp-old", "2026-12-02T03:00:00Z", "COMPLETED"),
            ("rp-new", "2026-12-04T03:00:00Z", "COMPLETED"),
            ("rp-running", "2026-12-04T09:00:00Z", "CREATING"),
        ] {
            points.push(RecoveryPoint {
                arn: format!("arn:aws:backup:{REGION}:111122223333:recovery-point:{id}"),
                created: created.into(),
                status: status.into(),
                iam_role_arn: Some(ROLE.into()),
            });
        }
        Fake(Mutex::new(State {
            clusters: BTreeMap::from([(SOURCE.to_owned(), source)]),
            instances: BTreeMap::from([(WRITER.to_owned(), writer)]),
            points,
            job_script: [RestoreStatus::Pending, RestoreStatus::Running, RestoreStatus::Completed].into(),
            job_message: None,
            creates_cluster: true,
            restored_version: "17.7".into(),
            instance_script: ["creating".to_owned(), "available".to_owned()].into(),
            errors: BTreeMap::new(),
            down_after: None,
            requests: Vec::new(),
            instance_requests: Vec::new(),
            calls: Vec::new(),
        }))
    }

    fn fail(&self, call: &'static str, e: CfnError, times: usize) {
        let mut s = self.0.lock().unwrap();
        for _ in 0..times {
            s.errors.entry(call).or_default().push_back(e.clone());
        }
    }

    /// Records the call; answers the error queued for it, or `Unreachable` once the region is
    /// down.
    fn error(&self, call: &'static str) -> CfnResult<()> {
        let mut s = self.0.lock().unwrap();
        s.calls.push(call.to_owned());
        if s.down_after.is_some_and(|n| s.calls.len() > n) {
            return Err(CfnError::Unreachable {
                endpoint: format!("https://rds.{REGION}.amazonaws.com"),
                message: "operation timed out".into(),
            });
        }
        match s.errors.get_mut(call).and_then(VecDeque::pop_front) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn calls(&self, call: &str) -> usize {
        self.0.lock().unwrap().calls.iter().filter(|c| *c == call).count()
    }

    /// The deletions, in order.
    fn deletions(&self) -> Vec<String> {
        self.0.lock().unwrap().calls.iter().filter(|c| c.starts_with("delete_")).cloned().collect()
    }

    fn clusters(&self) -> Vec<String> {
        self.0.lock().unwrap().clusters.keys().cloned().collect()
    }

    fn instances(&self) -> Vec<String> {
        self.0.lock().unwrap().instances.keys().cloned().collect()
    }

    fn request(&self) -> RestoreRequest {
        self.0.lock().unwrap().requests[0].clone()
    }
}

impl Recovery for Fake {
    async fn stack_resource(&self, _: &str, _: &str, _: &str) -> CfnResult<Option<String>> {
        self.error("stack_resource")?;
        Ok(Some(SOURCE.into()))
    }

    async fn recovery_points(&self, _: &str, _: &str, resource_arn: &str) -> CfnResult<Vec<RecoveryPoint>> {
        self.error("recovery_points")?;
        assert!(resource_arn.ends_with(&format!(":cluster:{SOURCE}")), "{resource_arn}");
        Ok(self.0.lock().unwrap().points.clone())
    }

    async fn restore_metadata(&self, _: &str, _: &str, _: &str) -> CfnResult<BTreeMap<String, String>> {
        self.error("restore_metadata")?;
        Ok(BTreeMap::from([
            ("DBClusterIdentifier".into(), SOURCE.into()),
            ("Engine".into(), "aurora-postgresql".into()),
            ("EngineVersion".into(), "17.7".into()),
            ("deletionProtection".into(), "true".into()),
            ("GlobalClusterIdentifier".into(), SOURCE.into()),
            ("DBSubnetGroupName".into(), "shop-prod-db-subnets".into()),
            ("StorageEncrypted".into(), "true".into()),
        ]))
    }

    async fn start_restore(&self, _: &str, request: &RestoreRequest) -> CfnResult<String> {
        self.error("start_restore")?;
        self.0.lock().unwrap().requests.push(request.clone());
        Ok("job-1".into())
    }

    async fn restore_job(&self, _: &str, _: &str) -> CfnResult<RestoreJob> {
        self.error("restore_job")?;
        let mut s = self.0.lock().unwrap();
        let status = match s.job_script.len() {
            0 => RestoreStatus::Completed,
            1 => s.job_script[0].clone(),
            _ => s.job_script.pop_front().unwrap_or(RestoreStatus::Completed),
        };
        let request = s.requests.last().cloned();
        // The cluster appears once the job runs (a failed job may leave one).
        if let Some(r) = request
            && status != RestoreStatus::Pending
            && s.creates_cluster
        {
            let id = r.metadata["DBClusterIdentifier"].clone();
            if !s.clusters.contains_key(&id) {
                let protected =
                    r.metadata.iter().any(|(k, v)| k.eq_ignore_ascii_case("DeletionProtection") && v == "true");
                let cluster = ClusterInfo {
                    id: id.clone(),
                    arn: format!("arn:aws:rds:{REGION}:111122223333:cluster:{id}"),
                    status: "creating".into(),
                    engine: r.metadata["Engine"].clone(),
                    engine_version: s.restored_version.clone(),
                    deletion_protection: protected,
                    ..Default::default()
                };
                s.clusters.insert(id, cluster);
            }
        }
        Ok(RestoreJob { status, message: s.job_message.clone(), created_resource_arn: None })
    }

    async fn table(&self, _: &str, _: &str) -> CfnResult<Option<TableInfo>> {
        unreachable!("an Aurora restore test reads no table")
    }

    async fn delete_table(&self, _: &str, _: &str) -> CfnResult<()> {
        unreachable!("an Aurora restore test deletes no table")
    }

    async fn has_items(&self, _: &str, _: &str) -> CfnResult<bool> {
        unreachable!("an Aurora restore test reads no table")
    }
}

impl ClusterRecovery for Fake {
    async fn cluster(&self, _: &str, id: &str) -> CfnResult<Option<ClusterInfo>> {
        self.error("cluster")?;
        let mut s = self.0.lock().unwrap();
        let instances: Vec<String> =
            s.instances.keys().filter(|i| i.starts_with(id) && id != SOURCE).cloned().collect();
        Ok(s.clusters.get_mut(id).map(|c| {
            let out = c.clone();
            // A restored cluster becomes available on the read after the one that saw it created.
            if c.status == "creating" {
                c.status = "available".into();
            }
            if id != SOURCE {
                c.members = instances;
            }
            out
        }))
    }

    async fn instance(&self, _: &str, id: &str) -> CfnResult<Option<InstanceInfo>> {
        self.error("instance")?;
        let mut s = self.0.lock().unwrap();
        if id == WRITER {
            return Ok(s.instances.get(id).cloned());
        }
        let next = match s.instance_script.len() {
            0 => None,
            1 => s.instance_script.front().cloned(),
            _ => s.instance_script.pop_front(),
        };
        Ok(s.instances.get_mut(id).map(|i| {
            if i.status != "deleting"
                && let Some(status) = next
            {
                i.status = status;
            }
            i.clone()
        }))
    }

    async fn create_instance(&self, _: &str, request: &InstanceRequest) -> CfnResult<()> {
        self.error("create_instance")?;
        let mut s = self.0.lock().unwrap();
        assert!(s.clusters.contains_key(&request.cluster_id), "the instance's cluster exists");
        s.instance_requests.push(request.clone());
        s.instances.insert(
            request.instance_id.clone(),
            InstanceInfo { id: request.instance_id.clone(), status: "creating".into(), class: request.class.clone() },
        );
        Ok(())
    }

    async fn unprotect_cluster(&self, _: &str, id: &str) -> CfnResult<()> {
        self.error("unprotect_cluster")?;
        if let Some(c) = self.0.lock().unwrap().clusters.get_mut(id) {
            c.deletion_protection = false;
        }
        Ok(())
    }

    async fn delete_instance(&self, _: &str, id: &str) -> CfnResult<()> {
        self.error("delete_instance")?;
        assert_ne!(id, WRITER, "never the source's instance");
        self.0.lock().unwrap().instances.remove(id);
        Ok(())
    }

    async fn delete_cluster(&self, _: &str, id: &str) -> CfnResult<()> {
        self.error("delete_cluster")?;
        assert_ne!(id, SOURCE, "never the source cluster");
        let mut s = self.0.lock().unwrap();
        if s.instances.keys().any(|i| i.starts_with(id)) {
            return Err(CfnError::service(
                "InvalidDBClusterStateFault",
                "Cluster cannot be deleted, it still contains DB instances in non-deleting state.",
            ));
        }
        match s.clusters.get(id) {
            Some(c) if c.deletion_protection => Err(CfnError::service(
                "InvalidParameterCombination",
                "Cannot delete protected Cluster, please disable deletion protection and try again.",
            )),
            Some(_) => {
                s.clusters.remove(id);
                Ok(())
            }
            None => Err(CfnError::service("DBClusterNotFoundFault", &format!("DBCluster {id} not found."))),
        }
    }
}

fn target() -> ClusterTarget {
    ClusterTarget {
        region: REGION.into(),
        cluster: SOURCE.into(),
        vault: "shop-prod".into(),
        role_arn: None,
        instance_class: None,
    }
}

fn settings() -> RestoreSettings {
    RestoreSettings {
        rto: Duration::from_secs(3600),
        timeout: Duration::from_secs(3600),
        poll: Duration::ZERO,
        backoff: Duration::ZERO,
        stamp: "1765000000".into(),
    }
}

fn throttled() -> CfnError {
    CfnError::Throttled("Rate exceeded".into())
}

fn denied(what: &str) -> CfnError {
    CfnError::service(
        "AccessDenied",
        &format!("User: arn:aws:iam::111122223333:user/ci is not authorized to perform: {what}"),
    )
}

#[tokio::test]
async fn the_latest_completed_recovery_point_restores_into_a_scratch_cluster_with_an_instance_then_both_are_deleted() {
    let fake = Fake::new();
    let report = run_aurora_restore_test(&fake, &target(), &settings()).await.unwrap();
    assert!(report.passed(), "{}", cluster_report_text(&report));
    assert_eq!(cluster_report_exit(&report), 0);
    assert!(report.recovery_point.arn.ends_with("rp-new"), "the newest COMPLETED point: {report:?}");

    // The restore: Aurora, the plan's role, the scratch name, no deletion protection, out of the
    // global database, the source's security groups where the metadata has none.
    let request = fake.request();
    assert_eq!(request.resource_type, "Aurora");
    assert_eq!(request.iam_role_arn, ROLE);
    assert_eq!(request.metadata["DBClusterIdentifier"], SCRATCH);
    assert_eq!(request.metadata["DeletionProtection"], "false");
    assert!(!request.metadata.contains_key("deletionProtection"), "one spelling: {:?}", request.metadata);
    assert!(!request.metadata.keys().any(|k| k.eq_ignore_ascii_case("GlobalClusterIdentifier")));
    assert_eq!(request.metadata["DBSubnetGroupName"], "shop-prod-db-subnets");
    assert_eq!(request.metadata["VpcSecurityGroupIds"], r#"["sg-0db"]"#);
    assert_eq!(request.metadata["StorageEncrypted"], "true", "the recovery point's metadata is kept");

    // The instance: in the scratch cluster, the source writer's class.
    let created = fake.0.lock().unwrap().instance_requests.clone();
    assert_eq!(
        created,
        vec![InstanceRequest {
            instance_id: format!("{SCRATCH}-1"),
            cluster_id: SCRATCH.into(),
            class: "db.serverless".into(),
            engine: "aurora-postgresql".into(),
        }]
    );
    assert_eq!(report.restore_job_status, "COMPLETED");
    assert!(report.validation.same_engine);
    assert_eq!(report.validation.cluster.as_ref().map(|c| c.status.as_str()), Some("available"));
    assert_eq!(report.validation.instance.as_ref().map(|i| i.status.as_str()), Some("available"));
    assert_eq!(report.rto_met, Some(true));

    // Cleanup: the instance, then the cluster; only the source is left.
    assert_eq!(fake.deletions(), ["delete_instance", "delete_cluster"]);
    assert!(report.cleanup.deleted && !report.cleanup.left_behind, "{:?}", report.cleanup);
    assert_eq!(fake.clusters(), [SOURCE]);
    assert_eq!(fake.instances(), [WRITER]);

    let text = cluster_report_text(&report);
    assert!(
        text.starts_with("restore test of Aurora cluster shop-prod-api-db in us-east-1 (vault shop-prod)\n"),
        "{text}"
    );
    assert!(text.contains("available, aurora-postgresql 17.7 as the source"), "{text}");
    assert!(text.contains("of 3600 s: met") && text.ends_with("result: passed\n"), "{text}");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["result"], "passed");
    assert_eq!(json["resource"], "aurora");
    assert_eq!(json["scratchCluster"], SCRATCH);
    assert_eq!(json["scratchInstance"], format!("{SCRATCH}-1"));
    assert_eq!(json["validation"]["sameEngine"], true);
    assert_eq!(json["cleanup"]["deleted"], true);
    assert!(json["restoreSeconds"].is_number());
}

#[tokio::test]
async fn a_failed_restore_job_fails_the_test_and_deletes_the_cluster_it_left() {
    let fake = Fake::new();
    {
        let mut s = fake.0.lock().unwrap();
        s.job_script = [RestoreStatus::Running, RestoreStatus::Failed].into();
        s.job_message = Some("DBSubnetGroup shop-prod-db-subnets does not exist".into());
    }
    let report = run_aurora_restore_test(&fake, &target(), &settings()).await.unwrap();
    assert!(!report.passed());
    assert_eq!(cluster_report_exit(&report), 1);
    let failure = report.failure.clone().unwrap();
    assert!(failure.contains("job-1 ended FAILED: DBSubnetGroup"), "{failure}");
    assert_eq!(fake.calls("create_instance"), 0, "no instance in a cluster that did not restore");
    assert_eq!(fake.deletions(), ["delete_cluster"], "the partial cluster is deleted");
    assert_eq!(fake.clusters(), [SOURCE]);
    assert_eq!(report.rto_met, None);
    assert!(cluster_report_text(&report).contains("not measured"));

    // A job that ends before making a cluster: nothing to delete, nothing left.
    let fake = Fake::new();
    {
        let mut s = fake.0.lock().unwrap();
        s.job_script = [RestoreStatus::Pending, RestoreStatus::Aborted].into();
        s.creates_cluster = false;
    }
    let report = run_aurora_restore_test(&fake, &target(), &settings()).await.unwrap();
    assert!(report.failure.unwrap().contains("ended ABORTED"));
    assert!(!report.cleanup.deleted && !report.cleanup.left_behind, "{:?}", report.cleanup);
    assert!(fake.deletions().is_empty());
}

#[tokio::test]
async fn an_instance_that_is_not_available_in_time_times_out_and_the_instance_then_the_cluster_are_deleted() {
    let fake = Fake::new();
    fake.0.lock().unwrap().instance_script = ["creating".to_owned()].into();
    let mut s = settings();
    s.timeout = Duration::from_millis(200);
    s.poll = Duration::from_millis(5);
    let report = run_aurora_restore_test(&fake, &target(), &s).await.unwrap();
    let failure = report.failure.clone().unwrap();
    assert!(
        failure.starts_with("timed out after 0 s: DB instance shop-prod-api-db-rt-1765000000-1 is still creating"),
        "{failure}"
    );
    assert!(fake.calls("instance") > 2, "it polled");
    assert_eq!(fake.deletions(), ["delete_instance", "delete_cluster"]);
    assert!(report.cleanup.deleted && !report.cleanup.left_behind, "{:?}", report.cleanup);
    assert_eq!(fake.clusters(), [SOURCE]);
    assert_eq!(fake.instances(), [WRITER]);
    assert_eq!(report.rto_met, None);

    // A job still running at the timeout that has not made the cluster yet: nothing to delete
    // now, but the report says it may appear and how to delete it.
    let fake = Fake::new();
    {
        let mut st = fake.0.lock().unwrap();
        st.job_script = [RestoreStatus::Running].into();
        st.creates_cluster = false;
    }
    let report = run_aurora_restore_test(&fake, &target(), &s).await.unwrap();
    assert!(report.failure.clone().unwrap().contains("restore job job-1 is still RUNNING"), "{:?}", report.failure);
    assert!(report.cleanup.left_behind);
    assert!(
        report.cleanup.message.contains(&format!(
            "aws rds delete-db-cluster --db-cluster-identifier {SCRATCH} --skip-final-snapshot --region us-east-1"
        )),
        "{}",
        report.cleanup.message
    );
}

#[tokio::test]
async fn throttled_calls_are_retried_and_one_job_is_started() {
    let fake = Fake::new();
    for call in [
        "cluster",
        "instance",
        "recovery_points",
        "restore_metadata",
        "start_restore",
        "restore_job",
        "create_instance",
        "delete_instance",
        "delete_cluster",
    ] {
        fake.fail(call, throttled(), 2);
    }
    let report = run_aurora_restore_test(&fake, &target(), &settings()).await.unwrap();
    assert!(report.passed(), "{}", cluster_report_text(&report));
    assert_eq!(fake.calls("start_restore"), 3);
    assert_eq!(fake.0.lock().unwrap().requests.len(), 1, "one job started");
    assert_eq!(fake.0.lock().unwrap().instance_requests.len(), 1, "one instance created");
    assert_eq!(fake.clusters(), [SOURCE]);

    // Throttled past the retries before the job: an error naming what was done.
    let fake = Fake::new();
    fake.fail("recovery_points", throttled(), 5);
    let e = run_aurora_restore_test(&fake, &target(), &settings()).await.unwrap_err();
    assert!(e.to_string().starts_with("listing the recovery points of shop-prod-api-db in vault shop-prod"), "{e}");
    assert!(e.to_string().contains("throttled"), "{e}");
    assert_eq!(fake.calls("start_restore"), 0);
}

#[tokio::test]
async fn access_denied_is_one_line_and_after_the_job_started_the_cluster_is_still_deleted() {
    // Before the job: one line naming the call and the region, exit 1, nothing to clean.
    let fake = Fake::new();
    fake.fail("start_restore", denied("backup:StartRestoreJob"), 1);
    let e = run_aurora_restore_test(&fake, &target(), &settings()).await.unwrap_err();
    let line = e.to_string();
    assert!(!line.contains('\n'), "{line}");
    assert!(
        line.starts_with("starting the restore of")
            && line.contains(&format!("into {SCRATCH} (us-east-1): AccessDenied:")),
        "{line}"
    );
    assert_eq!(e.exit_code(), 1);
    assert!(fake.deletions().is_empty());

    // After it: CreateDBInstance denied fails the report in one line; the cluster is deleted.
    let fake = Fake::new();
    fake.fail("create_instance", denied("rds:CreateDBInstance"), 1);
    let report = run_aurora_restore_test(&fake, &target(), &settings()).await.unwrap();
    let failure = report.failure.clone().unwrap();
    assert!(
        failure.starts_with(&format!("creating DB instance {SCRATCH}-1 (db.serverless) in {SCRATCH}: AccessDenied:"))
            && !failure.contains('\n'),
        "{failure}"
    );
    assert_eq!(fake.deletions(), ["delete_cluster"]);
    assert_eq!(fake.clusters(), [SOURCE]);
}

#[tokio::test]
async fn a_region_that_does_not_answer_is_one_line_before_the_job_and_a_named_leftover_after() {
    // Down from the first call: exit 4, one line, no job.
    let fake = Fake::new();
    fake.0.lock().unwrap().down_after = Some(0);
    let e = run_aurora_restore_test(&fake, &target(), &settings()).await.unwrap_err();
    let line = e.to_string();
    assert!(
        line.starts_with("reading Aurora cluster shop-prod-api-db in us-east-1: cannot reach https://rds."),
        "{line}"
    );
    assert!(!line.contains('\n'));
    assert_eq!(e.exit_code(), 4);
    assert_eq!(fake.calls("start_restore"), 0);

    // Down once the job has started (after the job's first reads made the cluster): the report
    // fails, and the cleanup, which cannot reach the region either, names both scratch copies
    // and how to delete them.
    let fake = Fake::new();
    // Answered: the source, its writer, the points, the metadata, the start, three job reads.
    fake.0.lock().unwrap().down_after = Some(8);
    let report = run_aurora_restore_test(&fake, &target(), &settings()).await.unwrap();
    assert!(!report.passed());
    assert!(report.failure.clone().unwrap().contains("cannot reach"), "{:?}", report.failure);
    assert!(report.cleanup.left_behind);
    let m = &report.cleanup.message;
    assert!(
        m.contains(&format!("aws rds delete-db-instance --db-instance-identifier {SCRATCH}-1 --region us-east-1")),
        "{m}"
    );
    assert!(
        m.contains(&format!("aws rds delete-db-cluster --db-cluster-identifier {SCRATCH} --skip-final-snapshot")),
        "{m}"
    );
    assert_eq!(cluster_report_exit(&report), 1);
}

#[tokio::test]
async fn a_cleanup_that_fails_is_reported_with_the_scratch_name_and_the_command() {
    let fake = Fake::new();
    fake.fail("delete_cluster", denied("rds:DeleteDBCluster"), 1);
    let report = run_aurora_restore_test(&fake, &target(), &settings()).await.unwrap();
    assert!(!report.passed());
    assert_eq!(cluster_report_exit(&report), 1);
    assert!(report.cleanup.left_behind);
    let failure = report.failure.clone().unwrap();
    assert!(failure.starts_with(&format!("the scratch cluster {SCRATCH} is left behind:")), "{failure}");
    assert!(failure.contains("AccessDenied") && failure.contains("aws rds delete-db-cluster"), "{failure}");
    assert!(cluster_report_text(&report).contains(SCRATCH));
    assert_eq!(fake.clusters(), [SOURCE.to_owned(), SCRATCH.to_owned()], "left, as reported");
    assert_eq!(fake.instances(), [WRITER], "the instance went first");

    // A scratch cluster restored with deletion protection on (the metadata's override not
    // honoured): the cleanup turns it off, then deletes.
    let fake = Fake::new();
    let report = run_aurora_restore_test(&ProtectedRestore(&fake), &target(), &settings()).await.unwrap();
    assert!(report.passed(), "{}", cluster_report_text(&report));
    assert_eq!(fake.calls("unprotect_cluster"), 1);
    assert_eq!(fake.clusters(), [SOURCE]);
}

/// The fake, with the restore metadata's `DeletionProtection` turned back on as the job reads
/// it (as if AWS Backup kept the source's).
struct ProtectedRestore<'a>(&'a Fake);

impl Recovery for ProtectedRestore<'_> {
    async fn stack_resource(&self, a: &str, b: &str, c: &str) -> CfnResult<Option<String>> {
        self.0.stack_resource(a, b, c).await
    }
    async fn recovery_points(&self, a: &str, b: &str, c: &str) -> CfnResult<Vec<RecoveryPoint>> {
        self.0.recovery_points(a, b, c).await
    }
    async fn restore_metadata(&self, a: &str, b: &str, c: &str) -> CfnResult<BTreeMap<String, String>> {
        self.0.restore_metadata(a, b, c).await
    }
    async fn start_restore(&self, a: &str, r: &RestoreRequest) -> CfnResult<String> {
        let mut r = r.clone();
        r.metadata.insert("DeletionProtection".into(), "true".into());
        self.0.start_restore(a, &r).await
    }
    async fn restore_job(&self, a: &str, b: &str) -> CfnResult<RestoreJob> {
        self.0.restore_job(a, b).await
    }
    async fn table(&self, a: &str, b: &str) -> CfnResult<Option<TableInfo>> {
        self.0.table(a, b).await
    }
    async fn delete_table(&self, a: &str, b: &str) -> CfnResult<()> {
        self.0.delete_table(a, b).await
    }
    async fn has_items(&self, a: &str, b: &str) -> CfnResult<bool> {
        self.0.has_items(a, b).await
    }
}

impl ClusterRecovery for ProtectedRestore<'_> {
    async fn cluster(&self, a: &str, b: &str) -> CfnResult<Option<ClusterInfo>> {
        self.0.cluster(a, b).await
    }
    async fn instance(&self, a: &str, b: &str) -> CfnResult<Option<InstanceInfo>> {
        self.0.instance(a, b).await
    }
    async fn create_instance(&self, a: &str, r: &InstanceRequest) -> CfnResult<()> {
        self.0.create_instance(a, r).await
    }
    async fn unprotect_cluster(&self, a: &str, b: &str) -> CfnResult<()> {
        self.0.unprotect_cluster(a, b).await
    }
    async fn delete_instance(&self, a: &str, b: &str) -> CfnResult<()> {
        self.0.delete_instance(a, b).await
    }
    async fn delete_cluster(&self, a: &str, b: &str) -> CfnResult<()> {
        self.0.delete_cluster(a, b).await
    }
}

#[tokio::test]
async fn a_cluster_with_another_engine_version_fails_validation_and_is_deleted() {
    let fake = Fake::new();
    fake.0.lock().unwrap().restored_version = "16.4".into();
    let report = run_aurora_restore_test(&fake, &target(), &settings()).await.unwrap();
    let failure = report.failure.clone().unwrap();
    assert_eq!(failure, format!("cluster {SCRATCH} runs aurora-postgresql 16.4, the source aurora-postgresql 17.7"));
    assert!(!report.validation.same_engine);
    assert_eq!(fake.calls("create_instance"), 0);
    assert_eq!(fake.clusters(), [SOURCE]);
    assert!(cluster_report_text(&report).contains("NOT the source's aurora-postgresql 17.7"));

    // The job completes but no cluster exists: a failure, nothing to delete.
    let fake = Fake::new();
    fake.0.lock().unwrap().creates_cluster = false;
    let report = run_aurora_restore_test(&fake, &target(), &settings()).await.unwrap();
    assert!(report.failure.unwrap().contains("completed, but cluster"));
    assert!(fake.deletions().is_empty());
}

#[tokio::test]
async fn no_cluster_no_recovery_point_or_no_instance_class_is_an_error_before_any_restore() {
    let fake = Fake::new();
    let mut t = target();
    t.cluster = "missing".into();
    let e = run_aurora_restore_test(&fake, &t, &settings()).await.unwrap_err();
    assert_eq!(e.to_string(), "Aurora cluster missing does not exist in us-east-1");

    let fake = Fake::new();
    fake.0.lock().unwrap().points.retain(|p| p.status != "COMPLETED");
    let e = run_aurora_restore_test(&fake, &target(), &settings()).await.unwrap_err();
    assert!(e.to_string().contains("no completed recovery point of Aurora cluster"), "{e}");

    // A source with no instance: its class cannot be copied; --instance-class names one.
    let fake = Fake::new();
    fake.0.lock().unwrap().clusters.get_mut(SOURCE).unwrap().members.clear();
    let e = run_aurora_restore_test(&fake, &target(), &settings()).await.unwrap_err();
    assert!(e.to_string().ends_with("pass --instance-class"), "{e}");
    assert_eq!(e.exit_code(), 2);
    let mut t = target();
    t.instance_class = Some("db.r6g.large".into());
    let report = run_aurora_restore_test(&fake, &t, &settings()).await.unwrap();
    assert!(report.passed(), "{}", cluster_report_text(&report));
    assert_eq!(fake.0.lock().unwrap().instance_requests[0].class, "db.r6g.large");
    assert_eq!(fake.calls("start_restore"), 1);
}

#[test]
fn scratch_identifiers_are_valid_db_cluster_identifiers() {
    assert_eq!(scratch_cluster_name(SOURCE, "1765000000"), SCRATCH);
    let cases = [
        SOURCE.to_owned(),
        "a".repeat(63),
        "x".repeat(300),
        "Shop_Prod--Db".into(),
        "9lives".into(),
        "-".into(),
        String::new(),
        "ends-with-hyphen-".into(),
        format!("{}-{}", "a".repeat(30), "b".repeat(30)),
    ];
    let mut seen = BTreeSet::new();
    for source in &cases {
        for stamp in ["1765000000", "", "a--b-"] {
            let name = scratch_cluster_name(source, stamp);
            assert!(is_db_identifier(&name), "{source:?} {stamp:?} -> {name:?}");
            assert!(is_db_identifier(&scratch_instance_name(&name)), "{name:?}");
            assert!(scratch_instance_name(&name).len() <= 63);
            seen.insert(name);
        }
    }
    assert!(seen.len() > cases.len(), "the stamp makes names differ");
    // Cut at a hyphen: no trailing hyphen.
    let name = scratch_cluster_name(&format!("{}-{}", "a".repeat(45), "b".repeat(10)), "1765000000");
    assert!(is_db_identifier(&name) && name.ends_with("-rt-1765000000"), "{name}");

    for bad in ["", "1abc", "a--b", "a-", "a_b", "a.b", &"a".repeat(64)] {
        assert!(!is_db_identifier(bad), "{bad:?}");
    }
    for good in ["a", "my-cluster1", &"a".repeat(63)] {
        assert!(is_db_identifier(good), "{good:?}");
    }
}

#[test]
fn the_reference_platforms_aurora_cluster_is_found_in_its_assembly() {
    let app = real_app();
    let p = Project::new(Source::App(format!("'{}'", app.exe.display())));
    let r = run(&mut p.haplat(&["synth", "--env", app.env, "--out", "out"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = haplat_cli::assembly::Assembly::load(&p.path().join("out")).unwrap();
    // By default: the primary's cluster, in the primary region.
    let found = assembly_cluster(&a, None).unwrap();
    assert_eq!(found.path, "Api/Db/PrimaryCluster");
    assert_eq!(found.region, "us-east-1");
    assert_eq!(found.literal_id.as_deref(), Some(SOURCE));
    assert_eq!(found.vault.as_deref(), Some("shop-prod"));
    // In a secondary region: that region's cluster.
    let found = assembly_cluster(&a, Some("us-west-2")).unwrap();
    assert_eq!(found.path, "Api/Db/SecondaryCluster");
    assert_eq!(found.region, "us-west-2");
    let e = assembly_cluster(&a, Some("ap-south-1")).unwrap_err();
    assert!(e.to_string().starts_with("--in ap-south-1: Api/Db/PrimaryCluster"), "{e}");
    assert_eq!(e.exit_code(), 2);
}

/// The binary: bad input is one line naming the flag, exit 2, before any AWS call (no
/// endpoint is reachable: a call would be exit 4); an endpoint nobody listens on is exit 4.
#[test]
fn the_command_refuses_bad_aurora_input_in_one_line_naming_the_flag() {
    let p = Project::new(Source::Fixture("basic"));
    let port = crate::harness::free_port();
    let haplat = |args: &[&str]| {
        let mut cmd = p.haplat(args);
        cmd.env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("HAPLAT_HTTP_TIMEOUT", "0.5")
            .env("AWS_MAX_ATTEMPTS", "1");
        run(&mut cmd)
    };
    let one_error = |stderr: &str| -> String {
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
        assert_eq!(errors.len(), 1, "{stderr}");
        errors[0].to_owned()
    };
    for (args, flag) in [
        (vec!["restore-test", "--resource", "aurora", "--cluster", "Bad_Name"], "--cluster Bad_Name"),
        (vec!["restore-test", "--resource", "aurora", "--cluster", "a--b"], "--cluster a--b"),
        (vec!["restore-test", "--resource", "aurora", "--table", "orders"], "--table orders"),
        (vec!["restore-test", "--resource", "aurora", "--instance-class", "large"], "--instance-class large"),
        (vec!["restore-test", "--cluster", "shop-db"], "--cluster"),
        (vec!["restore-test", "--instance-class", "db.r6g.large"], "--instance-class"),
        (vec!["restore-test", "--resource", "database"], "--resource"),
        // The basic fixture has no Aurora cluster.
        (vec!["restore-test", "--resource", "aurora"], "--resource aurora"),
        // A named cluster need not be the assembly's, but the vault must be known.
        (vec!["restore-test", "--resource", "aurora", "--cluster", "shop-db", "--in", "us-east-1"], "--vault"),
    ] {
        let r = haplat(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        let line = one_error(&r.stderr);
        assert!(line.contains(flag), "{args:?}: {line}");
        assert!(!r.stderr.contains("cannot reach"), "no AWS call: {}", r.stderr);
    }

    let r = haplat(&[
        "restore-test",
        "--resource",
        "aurora",
        "--cluster",
        SOURCE,
        "--in",
        "us-east-1",
        "--vault",
        "shop",
        "--region",
        "us-east-1",
    ]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    let line = one_error(&r.stderr);
    assert!(
        line.starts_with(&format!(
            "error: reading Aurora cluster {SOURCE} in us-east-1: cannot reach http://127.0.0.1:"
        )),
        "{line}"
    );
}

/// The SDK implementation of `ClusterRecovery` against the emulator, where moto implements the
/// calls (RDS; not AWS Backup's recovery points or restore jobs, which the fake covers): a
/// missing cluster or instance is `None`, a cluster reads back with its engine, version,
/// protection and members, and the cleanup's order (instance, protection off, cluster with no
/// final snapshot) leaves nothing.
#[tokio::test]
async fn the_sdk_cluster_calls_on_the_emulator() {
    let moto = crate::harness::Moto::start();
    let made = [
        ("DBClusterIdentifier", "shop-db-rt-1"),
        ("Engine", "aurora-postgresql"),
        ("EngineVersion", "16.4"),
        ("MasterUsername", "haplat"),
        ("MasterUserPassword", "not-a-secret-1"),
        ("DeletionProtection", "true"),
    ];
    moto.signed().await.query(haplat_cli::signed::RDS, REGION, "CreateDBCluster", &made).await.unwrap();
    let aws = moto.aws().await;
    assert_eq!(aws.cluster(REGION, "missing").await.unwrap(), None);
    assert_eq!(aws.instance(REGION, "missing").await.unwrap(), None);
    let c = aws.cluster(REGION, "shop-db-rt-1").await.unwrap().expect("the cluster");
    assert_eq!((c.engine.as_str(), c.engine_version.as_str()), ("aurora-postgresql", "16.4"));
    assert!(c.deletion_protection);
    assert!(c.arn.ends_with(":cluster:shop-db-rt-1"), "{}", c.arn);

    let request = InstanceRequest {
        instance_id: "shop-db-rt-1-1".into(),
        cluster_id: "shop-db-rt-1".into(),
        class: "db.r6g.large".into(),
        engine: "aurora-postgresql".into(),
    };
    aws.create_instance(REGION, &request).await.unwrap();
    let i = aws.instance(REGION, "shop-db-rt-1-1").await.unwrap().expect("the instance");
    assert_eq!(i.class, "db.r6g.large");
    let c = aws.cluster(REGION, "shop-db-rt-1").await.unwrap().expect("the cluster");
    assert_eq!(c.members, ["shop-db-rt-1-1"]);

    aws.delete_instance(REGION, "shop-db-rt-1-1").await.unwrap();
    aws.unprotect_cluster(REGION, "shop-db-rt-1").await.unwrap();
    assert!(!aws.cluster(REGION, "shop-db-rt-1").await.unwrap().expect("the cluster").deletion_protection);
    aws.delete_cluster(REGION, "shop-db-rt-1").await.unwrap();
    assert_eq!(aws.instance(REGION, "shop-db-rt-1-1").await.unwrap(), None);
    assert_eq!(aws.cluster(REGION, "shop-db-rt-1").await.unwrap(), None);
}
