//! `haplat restore-test` against a fake of the `Recovery` trait: a restore that passes, one
//! whose job fails, one that times out, throttled calls, access denied before and after the
//! job starts, an invalid restored table, an RTO missed: the scratch table is deleted in every
//! case where it exists.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use haplat_cli::cfn::{CfnError, CfnResult};
use haplat_cli::commands::args::parse_duration;
use haplat_cli::ops::restore_test::{assembly_table, report_text, scratch_name};
use haplat_cli::ops::{RestoreSettings, RestoreTarget, report_exit, run_restore_test};
use haplat_cli::recovery::{Recovery, RecoveryPoint, RestoreJob, RestoreRequest, RestoreStatus, TableInfo};

use crate::harness::{Project, Source, real_app, run};

const REGION: &str = "us-east-1";
const SOURCE: &str = "shop-prod-Orders-1A2B3C";
const ROLE: &str = "arn:aws:iam::111122223333:role/backup";

/// The fake's state: tables, recovery points, the restore job's script of statuses, errors to
/// answer per call, and every call made.
#[derive(Default)]
struct State {
    tables: BTreeMap<String, TableInfo>,
    points: Vec<RecoveryPoint>,
    /// The statuses the job goes through, one per read; the last one stays.
    job_script: VecDeque<RestoreStatus>,
    job_message: Option<String>,
    /// The restored table's key (default: the source's) and whether the job creates it.
    restored_key: Option<Vec<(String, String)>>,
    creates_table: bool,
    /// The restored table holds no item (its backup restored the schema only).
    restored_empty: bool,
    /// The status the restored table has for its first reads.
    restored_status: VecDeque<String>,
    errors: BTreeMap<&'static str, VecDeque<CfnError>>,
    requests: Vec<RestoreRequest>,
    calls: Vec<String>,
}

struct Fake(Mutex<State>);

fn key() -> Vec<(String, String)> {
    vec![("pk".into(), "HASH".into()), ("sk".into(), "RANGE".into())]
}

impl Fake {
    fn new() -> Fake {
        let mut s = State { creates_table: true, ..Default::default() };
        s.tables.insert(
            SOURCE.into(),
            TableInfo {
                arn: format!("arn:aws:dynamodb:{REGION}:111122223333:table/{SOURCE}"),
                status: "ACTIVE".into(),
                item_count: 42,
                key_schema: key(),
            },
        );
        for (arn, created, status) in [
            ("rp-old", "2026-12-02T03:00:00Z", "COMPLETED"),
            ("rp-new", "2026-12-04T03:00:00Z", "COMPLETED"),
            ("rp-partial", "2026-12-04T09:00:00Z", "PARTIAL"),
        ] {
            s.points.push(RecoveryPoint {
                arn: format!("arn:aws:backup:{REGION}:111122223333:recovery-point:{arn}"),
                created: created.into(),
                status: status.into(),
                iam_role_arn: Some(ROLE.into()),
            });
        }
        s.job_script = [RestoreStatus::Pending, RestoreStatus::Running, RestoreStatus::Completed].into();
        Fake(Mutex::new(s))
    }

    fn fail(&self, call: &'static str, e: CfnError, times: usize) {
        let mut s = self.0.lock().unwrap();
        for _ in 0..times {
            s.errors.entry(call).or_default().push_back(e.clone());
        }
    }

    fn error(&self, call: &'static str) -> CfnResult<()> {
        let mut s = self.0.lock().unwrap();
        s.calls.push(call.to_owned());
        match s.errors.get_mut(call).and_then(VecDeque::pop_front) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn calls(&self, call: &str) -> usize {
        self.0.lock().unwrap().calls.iter().filter(|c| *c == call).count()
    }

    fn tables(&self) -> Vec<String> {
        self.0.lock().unwrap().tables.keys().cloned().collect()
    }
}

impl Recovery for Fake {
    async fn stack_resource(&self, _: &str, _: &str, _: &str) -> CfnResult<Option<String>> {
        self.error("stack_resource")?;
        Ok(Some(SOURCE.into()))
    }

    async fn recovery_points(&self, _: &str, _: &str, resource_arn: &str) -> CfnResult<Vec<RecoveryPoint>> {
        self.error("recovery_points")?;
        assert!(resource_arn.ends_with(SOURCE), "{resource_arn}");
        Ok(self.0.lock().unwrap().points.clone())
    }

    async fn restore_metadata(&self, _: &str, _: &str, _: &str) -> CfnResult<BTreeMap<String, String>> {
        self.error("restore_metadata")?;
        Ok(BTreeMap::from([("encryptionType".into(), "Default".into()), ("targetTableName".into(), SOURCE.into())]))
    }

    async fn start_restore(&self, _: &str, request: &RestoreRequest) -> CfnResult<String> {
        self.error("start_restore")?;
        self.0.lock().unwrap().requests.push(request.clone());
        Ok("job-1".into())
    }

    async fn restore_job(&self, _: &str, _: &str) -> CfnResult<RestoreJob> {
        self.error("restore_job")?;
        let mut s = self.0.lock().unwrap();
        let status = if s.job_script.len() > 1 { s.job_script.pop_front().unwrap() } else { s.job_script[0].clone() };
        let target = s.requests.last().map(|r| r.metadata["targetTableName"].clone()).unwrap_or_default();
        // The table appears once the job runs (a failed job may leave nothing, or a table).
        if status != RestoreStatus::Pending && s.creates_table && !s.tables.contains_key(&target) {
            let key = s.restored_key.clone().unwrap_or_else(key);
            let status = s.restored_status.pop_front().unwrap_or_else(|| "ACTIVE".into());
            s.tables.insert(
                target.clone(),
                TableInfo {
                    arn: format!("arn:aws:dynamodb:{REGION}:111122223333:table/{target}"),
                    status,
                    item_count: 0,
                    key_schema: key,
                },
            );
        }
        Ok(RestoreJob { status, message: s.job_message.clone(), created_resource_arn: None })
    }

    async fn table(&self, _: &str, name: &str) -> CfnResult<Option<TableInfo>> {
        self.error("table")?;
        let mut s = self.0.lock().unwrap();
        let next = if name != SOURCE { s.restored_status.pop_front() } else { None };
        let t = s.tables.get_mut(name);
        Ok(t.map(|t| {
            if let Some(status) = next {
                t.status = status;
            } else if t.status == "CREATING" && name != SOURCE {
                t.status = "ACTIVE".into();
            }
            t.clone()
        }))
    }

    async fn delete_table(&self, _: &str, name: &str) -> CfnResult<()> {
        self.error("delete_table")?;
        self.0.lock().unwrap().tables.remove(name);
        Ok(())
    }

    async fn has_items(&self, _: &str, name: &str) -> CfnResult<bool> {
        self.error("has_items")?;
        let s = self.0.lock().unwrap();
        Ok(name == SOURCE || !s.restored_empty)
    }
}

fn target() -> RestoreTarget {
    RestoreTarget { region: REGION.into(), table: SOURCE.into(), vault: "shop-prod".into(), role_arn: None }
}

fn settings() -> RestoreSettings {
    RestoreSettings {
        rto: Duration::from_secs(900),
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
        "AccessDeniedException",
        &format!("User: arn:aws:iam::111122223333:user/ci is not authorized to perform: {what}"),
    )
}

#[tokio::test]
async fn the_latest_completed_recovery_point_restores_validates_and_is_deleted() {
    let fake = Fake::new();
    let report = run_restore_test(&fake, &target(), &settings()).await.unwrap();
    assert!(report.passed(), "{}", report_text(&report));
    assert_eq!(report_exit(&report), 0);
    // The newest COMPLETED point, not the newer PARTIAL one; the plan's role; the scratch name.
    assert!(report.recovery_point.arn.ends_with("rp-new"), "{report:?}");
    let request = fake.0.lock().unwrap().requests[0].clone();
    assert_eq!(request.iam_role_arn, ROLE);
    assert_eq!(request.metadata["targetTableName"], format!("{SOURCE}-restore-test-1765000000"));
    assert_eq!(request.metadata["encryptionType"], "Default", "the recovery point's metadata is kept");
    assert_eq!(report.restore_job_status, "COMPLETED");
    assert!(report.validation.same_key_schema);
    assert_eq!(report.validation.has_items, Some(true));
    assert_eq!(report.validation.source_item_count, 42);
    assert!(report.cleanup.deleted && !report.cleanup.left_behind);
    assert_eq!(report.rto_met, Some(true));
    assert_eq!(fake.tables(), vec![SOURCE.to_owned()], "only the source is left");
    let text = report_text(&report);
    assert!(text.contains("RTO") && text.contains("of 900 s: met") && text.ends_with("result: passed\n"), "{text}");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["result"], "passed");
    assert_eq!(json["scratchTable"], format!("{SOURCE}-restore-test-1765000000"));
    assert_eq!(json["cleanup"]["deleted"], true);
}

#[tokio::test]
async fn a_failed_restore_job_fails_the_test_and_cleans_up_what_it_left() {
    let fake = Fake::new();
    {
        let mut s = fake.0.lock().unwrap();
        s.job_script = [RestoreStatus::Running, RestoreStatus::Failed].into();
        s.job_message = Some("Insufficient permissions to restore the table".into());
    }
    let report = run_restore_test(&fake, &target(), &settings()).await.unwrap();
    assert!(!report.passed());
    assert_eq!(report_exit(&report), 1);
    let failure = report.failure.clone().unwrap();
    assert!(failure.contains("job-1 ended FAILED: Insufficient permissions"), "{failure}");
    assert!(report.cleanup.deleted, "the partial table the job made is deleted: {:?}", report.cleanup);
    assert_eq!(fake.tables(), vec![SOURCE.to_owned()]);
    assert_eq!(report.rto_met, None);

    // A job that fails before making a table: nothing to delete, nothing left.
    let fake = Fake::new();
    {
        let mut s = fake.0.lock().unwrap();
        s.job_script = [RestoreStatus::Pending, RestoreStatus::Aborted].into();
        s.creates_table = false;
    }
    let report = run_restore_test(&fake, &target(), &settings()).await.unwrap();
    assert!(report.failure.unwrap().contains("ended ABORTED"));
    assert!(!report.cleanup.deleted && !report.cleanup.left_behind, "{:?}", report.cleanup);
    assert_eq!(fake.calls("delete_table"), 0);
}

#[tokio::test]
async fn a_restore_that_does_not_end_in_time_times_out_and_still_cleans_up() {
    let fake = Fake::new();
    fake.0.lock().unwrap().job_script = [RestoreStatus::Running].into();
    let mut s = settings();
    s.timeout = Duration::from_millis(30);
    s.poll = Duration::from_millis(5);
    let report = run_restore_test(&fake, &target(), &s).await.unwrap();
    let failure = report.failure.clone().unwrap();
    assert!(failure.starts_with("timed out after 0 s: restore job job-1 is still RUNNING"), "{failure}");
    assert!(fake.calls("restore_job") > 1, "it polled");
    // The job had made the table (still restoring): the cleanup deletes it.
    assert!(report.cleanup.deleted, "{:?}", report.cleanup);
    assert_eq!(report.restore_job_status, "RUNNING");
}

#[tokio::test]
async fn throttled_calls_are_retried() {
    let fake = Fake::new();
    for call in ["table", "recovery_points", "restore_metadata", "start_restore", "restore_job", "delete_table"] {
        fake.fail(call, throttled(), 2);
    }
    let report = run_restore_test(&fake, &target(), &settings()).await.unwrap();
    assert!(report.passed(), "{}", report_text(&report));
    assert_eq!(fake.calls("start_restore"), 3);
    assert_eq!(fake.0.lock().unwrap().requests.len(), 1, "one job started");

    // Throttled past the retries before the job: an error naming what was done.
    let fake = Fake::new();
    fake.fail("recovery_points", throttled(), 5);
    let e = run_restore_test(&fake, &target(), &settings()).await.unwrap_err();
    assert!(e.to_string().starts_with("listing the recovery points of"), "{e}");
    assert!(e.to_string().contains("throttled"), "{e}");
}

#[tokio::test]
async fn access_denied_is_one_line_and_cleanup_runs_after_the_job_started() {
    // Before the job: nothing to clean, one line naming the call and the region.
    let fake = Fake::new();
    fake.fail("start_restore", denied("backup:StartRestoreJob"), 1);
    let e = run_restore_test(&fake, &target(), &settings()).await.unwrap_err();
    let line = e.to_string();
    assert!(!line.contains('\n'), "{line}");
    assert!(
        line.starts_with("starting the restore of") && line.contains("(us-east-1): AccessDeniedException:"),
        "{line}"
    );
    assert_eq!(e.exit_code(), 1);
    assert_eq!(fake.calls("delete_table"), 0);

    // After it (the validating read of the scratch table denied): the report fails in one
    // line, and the scratch table is still deleted.
    let fake = Fake::new();
    let report = run_restore_test(&DenyValidation(&fake), &target(), &settings()).await.unwrap();
    let failure = report.failure.clone().unwrap();
    assert!(failure.contains("AccessDeniedException") && !failure.contains('\n'), "{failure}");
    assert!(report.cleanup.deleted, "{:?}", report.cleanup);
    assert_eq!(fake.tables(), vec![SOURCE.to_owned()]);

    // A denied DeleteTable leaves the table: the report fails and says how to delete it.
    let fake = Fake::new();
    fake.fail("delete_table", denied("dynamodb:DeleteTable"), 1);
    let report = run_restore_test(&fake, &target(), &settings()).await.unwrap();
    assert!(!report.passed());
    assert!(report.cleanup.left_behind);
    assert!(report.cleanup.message.contains("aws dynamodb delete-table --table-name"), "{}", report.cleanup.message);
    assert!(report.failure.unwrap().contains("left behind"));
}

/// The fake, with the validating read of the scratch table denied (the first after the job
/// completes), and every other call as the fake answers.
struct DenyValidation<'a>(&'a Fake);

impl Recovery for DenyValidation<'_> {
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
        self.0.start_restore(a, r).await
    }
    async fn restore_job(&self, a: &str, b: &str) -> CfnResult<RestoreJob> {
        self.0.restore_job(a, b).await
    }
    async fn table(&self, region: &str, name: &str) -> CfnResult<Option<TableInfo>> {
        let denied_once = {
            let mut s = self.0.0.lock().unwrap();
            let first = name != SOURCE && !s.calls.iter().any(|c| c == "denied");
            if first {
                s.calls.push("denied".into());
            }
            first
        };
        if denied_once {
            return Err(denied("dynamodb:DescribeTable"));
        }
        self.0.table(region, name).await
    }
    async fn delete_table(&self, a: &str, b: &str) -> CfnResult<()> {
        self.0.delete_table(a, b).await
    }
    async fn has_items(&self, a: &str, b: &str) -> CfnResult<bool> {
        self.0.has_items(a, b).await
    }
}

#[tokio::test]
async fn an_invalid_restored_table_fails_and_is_deleted() {
    let fake = Fake::new();
    fake.0.lock().unwrap().restored_key = Some(vec![("id".into(), "HASH".into())]);
    let report = run_restore_test(&fake, &target(), &settings()).await.unwrap();
    let failure = report.failure.clone().unwrap();
    assert!(failure.contains("has the key id HASH, the source pk HASH, sk RANGE"), "{failure}");
    assert!(!report.validation.same_key_schema);
    assert!(report.cleanup.deleted);
    assert_eq!(fake.tables(), vec![SOURCE.to_owned()]);

    // The job says COMPLETED but no table exists: a failure, nothing to delete.
    let fake = Fake::new();
    fake.0.lock().unwrap().creates_table = false;
    let report = run_restore_test(&fake, &target(), &settings()).await.unwrap();
    assert!(report.failure.unwrap().contains("completed, but table"), "no table");
}

/// A backup that restores the table's schema but none of its data fails; a denied read of the
/// data is one line; both leave nothing behind.
#[tokio::test]
async fn a_restored_table_without_the_sources_data_fails_and_is_deleted() {
    let fake = Fake::new();
    fake.0.lock().unwrap().restored_empty = true;
    let report = run_restore_test(&fake, &target(), &settings()).await.unwrap();
    let failure = report.failure.clone().unwrap();
    assert!(failure.contains("holds no item (Scan), while the source holds about 42"), "{failure}");
    assert_eq!(report.validation.has_items, Some(false));
    assert_eq!(report_exit(&report), 1, "{}", report_text(&report));
    assert!(report_text(&report).contains("data            no item read back (Scan)"));
    assert!(report.cleanup.deleted);
    assert_eq!(fake.tables(), vec![SOURCE.to_owned()]);

    // An empty source restores into an empty table: nothing to read back, and it passes.
    let fake = Fake::new();
    {
        let mut s = fake.0.lock().unwrap();
        s.restored_empty = true;
        s.tables.get_mut(SOURCE).unwrap().item_count = 0;
    }
    let report = run_restore_test(&fake, &target(), &settings()).await.unwrap();
    assert!(report.passed(), "{}", report_text(&report));

    // The Scan denied: one line naming the call and the table, and the cleanup still runs.
    let fake = Fake::new();
    fake.fail("has_items", denied("dynamodb:Scan"), 1);
    let report = run_restore_test(&fake, &target(), &settings()).await.unwrap();
    let failure = report.failure.clone().unwrap();
    assert!(failure.starts_with("reading an item of table") && failure.contains("dynamodb:Scan"), "{failure}");
    assert_eq!(failure.lines().count(), 1);
    assert!(report.cleanup.deleted);
}

#[tokio::test]
async fn a_restore_slower_than_the_rto_fails_with_the_figures() {
    let fake = Fake::new();
    let mut s = settings();
    s.rto = Duration::from_millis(1);
    s.poll = Duration::from_millis(5);
    let report = run_restore_test(&fake, &target(), &s).await.unwrap();
    assert_eq!(report.rto_met, Some(false));
    assert!(report.failure.clone().unwrap().contains("over the RTO of 0 s"), "{:?}", report.failure);
    assert!(report.cleanup.deleted);
    assert!(report_text(&report).contains("NOT MET"));
}

#[tokio::test]
async fn no_table_or_no_completed_recovery_point_is_an_error_before_any_restore() {
    let fake = Fake::new();
    let mut t = target();
    t.table = "missing".into();
    let e = run_restore_test(&fake, &t, &settings()).await.unwrap_err();
    assert_eq!(e.to_string(), "table missing does not exist in us-east-1");
    let fake = Fake::new();
    fake.0.lock().unwrap().points.retain(|p| p.status != "COMPLETED");
    let e = run_restore_test(&fake, &target(), &settings()).await.unwrap_err();
    assert!(e.to_string().contains("no completed recovery point") && e.to_string().contains("backup plan run"), "{e}");
    assert_eq!(fake.calls("start_restore"), 0);
}

#[test]
fn durations_names_and_the_assemblys_table() {
    // (The reference platform's prod is built and synthesized through `haplat synth`.)
    assert_eq!(parse_duration("900"), Ok(Duration::from_secs(900)));
    assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
    assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
    assert!(parse_duration("15 minutes").unwrap_err().contains("the unit must be s, m or h"));
    assert!(parse_duration("soon").unwrap_err().contains("expected a duration such as 90s, 10m or 1h"));
    assert!(parse_duration("0").is_err());
    let long = "t".repeat(300);
    assert_eq!(scratch_name(&long, "1").len(), 255);

    // The reference platform's prod: its one global table, in the primary region, and its vault.
    let app = real_app();
    let p = Project::new(Source::App(format!("'{}'", app.exe.display())));
    let r = run(&mut p.haplat(&["synth", "--env", app.env, "--out", "out"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = haplat_cli::assembly::Assembly::load(&p.path().join("out")).unwrap();
    let found = assembly_table(&a, None).unwrap();
    assert_eq!(found.path, "Global/Orders/Table");
    assert_eq!(found.region, "us-east-1");
    assert_eq!(found.vault.as_deref(), Some("shop-prod"));
    let e = assembly_table(&a, Some("ap-south-1")).unwrap_err();
    assert!(e.to_string().contains("not in ap-south-1"), "{e}");
}

/// The binary: an endpoint nobody listens on is one line and exit 4; a bad `--rto` is a usage
/// error naming the flag (exit 2).
#[test]
fn the_command_says_what_failed_in_one_line_with_its_exit_code() {
    let p = Project::new(Source::Fixture("basic"));
    let mut cmd = p.haplat(&[
        "restore-test",
        "--table",
        "orders",
        "--in",
        "us-east-1",
        "--vault",
        "shop",
        "--region",
        "us-east-1",
    ]);
    cmd.env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{}", crate::harness::free_port()))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("HAPLAT_HTTP_TIMEOUT", "0.5")
        .env("AWS_MAX_ATTEMPTS", "1");
    let r = run(&mut cmd);
    assert_eq!(r.code, 4, "{}", r.stderr);
    let errors: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{}", r.stderr);
    assert!(
        errors[0].starts_with("error: reading table orders in us-east-1: cannot reach http://127.0.0.1:"),
        "{}",
        r.stderr
    );

    let r = run(&mut p.haplat(&["restore-test", "--rto", "soon"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("--rto") && r.stderr.contains("expected a duration such as 90s, 10m or 1h"),
        "{}",
        r.stderr
    );
}

/// The SDK implementation of the table calls against the emulator, where moto implements them
/// (DynamoDB; not AWS Backup's recovery points or restore jobs, which the fake covers): a missing
/// table is `None`; a table reads back `ACTIVE` with its key schema; the data check's `Scan`
/// finds no item in an empty table and one after a write; the cleanup's `DeleteTable` leaves
/// nothing.
#[tokio::test]
async fn the_sdk_table_calls_on_the_emulator() {
    use haplat_cli::signed::DYNAMODB;
    use serde_json::json;
    let moto = crate::harness::Moto::start();
    let dynamodb = moto.signed().await;
    let scratch = "shop-orders-restore-test-1";
    let table = json!({
        "TableName": scratch,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"}
        ],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    });
    dynamodb.json(DYNAMODB, REGION, "CreateTable", table).await.unwrap();
    let aws = moto.aws().await;
    assert_eq!(aws.table(REGION, "missing").await.unwrap(), None);
    let t = aws.table(REGION, scratch).await.unwrap().expect("the table");
    assert_eq!(t.status, "ACTIVE");
    assert_eq!(t.key_schema, key());
    assert!(t.arn.ends_with(&format!(":table/{scratch}")), "{}", t.arn);
    assert!(!aws.has_items(REGION, scratch).await.unwrap(), "an empty table holds no item");
    let item = json!({"TableName": scratch, "Item": {"pk": {"S": "order#1"}, "sk": {"S": "v1"}}});
    dynamodb.json(DYNAMODB, REGION, "PutItem", item).await.unwrap();
    assert!(aws.has_items(REGION, scratch).await.unwrap(), "one item reads back");
    aws.delete_table(REGION, scratch).await.unwrap();
    assert_eq!(aws.table(REGION, scratch).await.unwrap(), None);
}
