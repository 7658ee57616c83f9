//! `haplat drift` against the fake (moto 5.2.5 implements no drift detection: no
//! `DetectStackSetDrift`, no `DescribeStackResourceDrifts`): scripted resource drifts per region,
//! throttling, an operation that stays RUNNING, a denied call, expired credentials; and the line
//! `haplat diff` prints after a drift run that found drift.

use std::time::Duration;

use haplat_cli::assembly::Assembly;
use haplat_cli::cfn::{CfnError, OperationStatus::*, PropertyDifference, ResourceDrift};
use haplat_cli::client::{Client, Waits};
use haplat_cli::drift::{DriftRecord, DriftReport, detect, error, last_record, record, text};
use haplat_cli::events::Collect;
use haplat_cli::exit;

use crate::fake::Fake;
use crate::harness::{Project, Source, fixture, run, waits};

const REGIONS: [&str; 3] = ["us-east-1", "us-west-2", "eu-west-1"];

/// The basic fixture's stack sets deployed in their three regions.
fn deployed(fake: &Fake, assembly: &Assembly) {
    let regions: Vec<String> = REGIONS.iter().map(|r| r.to_string()).collect();
    for s in &assembly.manifest.stacks {
        fake.deployed(&s.name, &assembly.template(&s.name).body, &regions);
    }
}

/// The Data table's billing mode changed by hand in us-west-2, and the App queue deleted there.
fn drifted_in_us_west_2(fake: &Fake) {
    fake.with(|s| {
        s.drift.insert(
            ("Data".into(), "us-west-2".into()),
            vec![ResourceDrift {
                logical_id: "Table".into(),
                physical_id: Some("orders".into()),
                resource_type: "AWS::DynamoDB::Table".into(),
                status: "MODIFIED".into(),
                differences: vec![PropertyDifference {
                    path: "/BillingMode".into(),
                    expected: "PAY_PER_REQUEST".into(),
                    actual: "PROVISIONED".into(),
                    kind: "NOT_EQUAL".into(),
                }],
            }],
        );
    });
}

async fn check(fake: &Fake, stacks: &[&str], waits: Waits) -> Result<DriftReport, haplat_cli::failure::ExecError> {
    let assembly = Assembly::load(&fixture("basic")).unwrap();
    let sink = Collect::default();
    let client = Client::new(fake, &sink, waits);
    let names: Vec<String> = stacks.iter().map(|s| s.to_string()).collect();
    detect(&client, &assembly, &names, 1_796_413_500).await
}

fn assembly() -> Assembly {
    Assembly::load(&fixture("basic")).unwrap()
}

#[tokio::test(start_paused = true)]
async fn nothing_drifted_is_in_sync_everywhere() {
    let fake = Fake::default();
    deployed(&fake, &assembly());
    let report = check(&fake, &["Network", "Data", "App"], waits()).await.unwrap();
    assert!(!report.drifted);
    assert_eq!(report.summary.drifted_resources, 0);
    assert!(report.stack_sets.iter().all(|s| s.instances.len() == 3));
    assert!(report.stack_sets.iter().flat_map(|s| &s.instances).all(|i| i.drift_status == "IN_SYNC"));
    let t = text(&report);
    assert!(t.ends_with("no drift in 3 stack set(s)\n"), "{t}");
    assert_eq!(
        fake.calls().iter().filter(|c| c.starts_with("detect_stack_set_drift")).count(),
        3,
        "one detection per stack set"
    );
    assert!(DriftRecord::of(&report).note(&[]).is_none());
}

#[tokio::test(start_paused = true)]
async fn drift_in_one_region_names_the_construct_path_and_the_property() {
    let fake = Fake::default();
    deployed(&fake, &assembly());
    drifted_in_us_west_2(&fake);
    let report = check(&fake, &["Data", "App"], waits()).await.unwrap();
    assert!(report.drifted);
    assert_eq!(report.summary.drifted_resources, 1);
    assert_eq!(report.summary.regions, vec!["us-west-2".to_string()]);
    let t = text(&report);
    assert!(t.contains("  us-west-2        DRIFTED\n"), "{t}");
    assert!(t.contains("    MODIFIED Data/Orders (AWS::DynamoDB::Table, logical id Table)\n"), "{t}");
    assert!(t.contains("      /BillingMode: expected PAY_PER_REQUEST, actual PROVISIONED (NOT_EQUAL)\n"), "{t}");
    assert!(t.contains("  us-east-1        IN_SYNC\n"), "{t}");
    assert!(t.ends_with("drift: 1 resource(s) drifted in 1 of 2 stack set(s), in us-west-2\n"), "{t}");
    // The app's order of regions.
    let regions: Vec<&str> = report.stack_sets[0].instances.iter().map(|i| i.region.as_str()).collect();
    assert_eq!(regions, REGIONS);
}

#[tokio::test(start_paused = true)]
async fn the_json_report_has_a_stable_shape() {
    let fake = Fake::default();
    deployed(&fake, &assembly());
    drifted_in_us_west_2(&fake);
    let report = check(&fake, &["Data"], waits()).await.unwrap();
    let v = serde_json::to_value(&report).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["checkedAt"], "2026-12-04T19:45:00Z");
    assert_eq!(v["drifted"], true);
    assert_eq!(
        v["summary"],
        serde_json::json!({"stackSets": 1, "driftedStackSets": 1, "driftedResources": 1, "regions": ["us-west-2"]})
    );
    let west = &v["stackSets"][0]["instances"][1];
    assert_eq!(west["region"], "us-west-2");
    assert_eq!(west["account"], "111111111111");
    assert_eq!(west["driftStatus"], "DRIFTED");
    assert_eq!(
        west["resources"][0],
        serde_json::json!({
            "logicalId": "Table", "path": "Data/Orders", "type": "AWS::DynamoDB::Table", "physicalId": "orders",
            "status": "MODIFIED",
            "differences": [{"propertyPath": "/BillingMode", "expectedValue": "PAY_PER_REQUEST",
                             "actualValue": "PROVISIONED", "differenceType": "NOT_EQUAL"}]
        })
    );
    assert_eq!(v["stackSets"][0]["name"], "Data");
    assert_eq!(v["stackSets"][0]["deployed"], true);
    assert!(v["stackSets"][0]["operationId"].is_string());
}

#[tokio::test(start_paused = true)]
async fn a_stack_set_not_deployed_is_not_checked() {
    let fake = Fake::default();
    let report = check(&fake, &["Data"], waits()).await.unwrap();
    assert!(!report.drifted);
    assert!(!report.stack_sets[0].deployed);
    assert!(text(&report).contains("stack set Data: not deployed (not checked)\n"));
    assert!(fake.calls().is_empty());
}

#[tokio::test(start_paused = true)]
async fn throttling_is_retried() {
    let fake = Fake::default();
    deployed(&fake, &assembly());
    drifted_in_us_west_2(&fake);
    fake.with(|s| {
        s.errors.insert("detect_stack_set_drift", vec![CfnError::Throttled("Rate exceeded".into()); 2].into());
        s.errors.insert("stack_resource_drifts", vec![CfnError::Throttled("Rate exceeded".into())].into());
    });
    let report = check(&fake, &["Data"], waits()).await.unwrap();
    assert_eq!(report.summary.drifted_resources, 1);
}

#[tokio::test(start_paused = true)]
async fn an_operation_that_stays_running_is_a_clear_error() {
    let fake = Fake::default();
    deployed(&fake, &assembly());
    fake.with(|s| s.scripts.push_back(vec![Queued, Running]));
    let e = check(&fake, &["Data"], Waits { timeout: Duration::from_secs(120), ..waits() }).await.unwrap_err();
    let e = error(e);
    assert_eq!(e.exit_code(), exit::FAILED);
    let line = e.to_string();
    assert!(!line.contains('\n'), "{line}");
    assert!(line.contains("Data: operation") && line.contains("(detect drift) is still RUNNING after"), "{line}");
}

#[tokio::test(start_paused = true)]
async fn a_denied_detection_is_one_line_and_exit_1() {
    let fake = Fake::default();
    deployed(&fake, &assembly());
    let denied =
        "User: arn:aws:iam::111111111111:user/ci is not authorized to perform: cloudformation:DetectStackSetDrift";
    fake.with(|s| s.errors.insert("detect_stack_set_drift", vec![CfnError::service("AccessDenied", denied)].into()));
    let e = error(check(&fake, &["Data"], waits()).await.unwrap_err());
    assert_eq!(e.exit_code(), exit::FAILED);
    assert_eq!(e.to_string(), format!("drift detection failed: Data: detect drift: AccessDenied: {denied}"));
}

#[tokio::test(start_paused = true)]
async fn expired_credentials_are_exit_4() {
    let fake = Fake::default();
    deployed(&fake, &assembly());
    fake.with(|s| {
        s.errors.insert(
            "detect_stack_set_drift",
            vec![CfnError::BadCredentials { code: "ExpiredToken".into(), message: "expired".into() }].into(),
        )
    });
    let e = error(check(&fake, &["Data"], waits()).await.unwrap_err());
    assert_eq!(e.exit_code(), exit::ACCESS);
    assert!(!e.to_string().contains('\n'));
}

#[tokio::test(start_paused = true)]
async fn diff_mentions_the_last_drift_check_that_found_drift() {
    let fake = Fake::default();
    deployed(&fake, &assembly());
    drifted_in_us_west_2(&fake);
    let report = check(&fake, &["Data"], waits()).await.unwrap();
    let p = Project::new(Source::Fixture("changed"));
    let out = p.path().join("haplat.out");
    record(&out, &report).unwrap();
    // It survives a synth: it is beside the assembly directory, not in it.
    let basic = fixture("basic").display().to_string();
    let line = "last drift check 2026-12-04T19:45:00Z: 1 resource(s) drifted in us-west-2; run haplat drift";
    let r = run(&mut p.haplat(&["diff", "--against", &basic]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.ends_with(&format!("{line}\n")), "{}", r.stdout);
    assert_eq!(last_record(&out).unwrap().unwrap(), DriftRecord::of(&report));
    let r = run(&mut p.haplat(&["diff", "--against", &basic, "--format", "markdown"]));
    assert!(r.stdout.contains(&format!("> **Drift**: {line}")), "{}", r.stdout);
    let r = run(&mut p.haplat(&["diff", "--against", &basic, "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["lastDrift"], line);
    // Not for a stack set that did not drift.
    let r = run(&mut p.haplat(&["diff", "App", "--against", &basic]));
    assert!(!r.stdout.contains("last drift check"), "{}", r.stdout);
    // A record that does not read is one warning line, not a failure.
    std::fs::write(p.path().join("haplat.out.drift.json"), "{").unwrap();
    let r = run(&mut p.haplat(&["diff", "--against", &basic]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("haplat.out.drift.json: not a drift record"), "{}", r.stderr);
}
