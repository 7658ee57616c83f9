//! The executor against a fake with real StackSet semantics: QUEUED, RUNNING, STOPPING,
//! SUCCEEDED, FAILED, STOPPED, throttling, an operation already in progress. Time is paused,
//! so backoff costs nothing.

use std::time::Duration;

use haplat_cli::assembly::Assembly;
use haplat_cli::cfn::InstanceStatus;
use haplat_cli::cfn::{CfnError, OperationStatus::*, StackEvent};
use haplat_cli::client::Waits;
use haplat_cli::events::{Collect, Event};
use haplat_cli::executor::Executor;
use haplat_cli::failure::ExecError;
use haplat_cli::plan::{PlanOptions, plan_deploy};

use crate::fake::Fake;
use crate::harness::{bootstrap, fixture, waits};

async fn deploy(fake: &Fake, name: &str, stacks: &[&str]) -> (Result<(), ExecError>, Vec<Event>, Vec<String>) {
    let assembly = Assembly::load(&fixture(name)).unwrap();
    let plan = plan_deploy(
        &assembly,
        &PlanOptions { stacks: stacks.iter().map(|s| s.to_string()).collect(), ..Default::default() },
    )
    .unwrap();
    let sink = Collect::default();
    let exec = Executor::new(fake, &sink, waits());
    let r = exec.deploy(&assembly, &plan, &bootstrap()).await;
    (r, sink.events(), exec.done())
}

fn statuses(events: &[Event], stack: &str) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::OperationStatus { stack: s, status, .. } if s == stack => Some(status.to_string()),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn operations_walk_queued_running_succeeded_in_waves_with_bound_parameters() {
    let fake = Fake::default();
    let (r, events, _) = deploy(&fake, "basic", &[]).await;
    r.unwrap();
    assert_eq!(
        fake.calls(),
        vec![
            "create_stack_set Data",
            "create_stack_instances Data us-east-1,us-west-2,eu-west-1",
            "create_stack_set Network",
            // Per-region parameters: one operation per distinct override set.
            "create_stack_instances Network us-east-1",
            "create_stack_instances Network us-west-2",
            "create_stack_instances Network eu-west-1",
            "create_stack_set App",
            "create_stack_instances App us-east-1",
            "create_stack_instances App us-west-2",
            "create_stack_instances App eu-west-1",
        ]
    );
    assert_eq!(statuses(&events, "Data"), vec!["QUEUED", "RUNNING", "SUCCEEDED"]);
    // App's parameters: VpcId from Network in the same region, TopicArn from us-east-1.
    let app = fake.with(|s| s.instances[&("App".to_string(), "eu-west-1".to_string())].overrides.clone());
    assert_eq!(app["VpcId"], "Network.VpcId@eu-west-1");
    assert_eq!(app["TopicArn"], "Network.TopicArn@us-east-1");
    assert_eq!(app["Stage"], "prod");
    // Region lines for the display.
    assert!(events.contains(&Event::Region {
        stack: "Data".into(),
        region: "us-west-2".into(),
        status: "SUCCEEDED".into(),
        reason: None
    }));

    // Deploying again changes nothing.
    let before = fake.calls().len();
    let (r, events, _) = deploy(&fake, "basic", &[]).await;
    r.unwrap();
    assert_eq!(fake.calls().len(), before);
    assert!(events.contains(&Event::StackDone { stack: "App".into(), summary: "unchanged".into() }));

    // A changed template: the stack set is updated, once.
    let (r, _, done) = deploy(&fake, "changed", &[]).await;
    r.unwrap();
    assert_eq!(
        fake.calls()[before..],
        [
            "update_stack_set Network us-east-1,us-west-2,eu-west-1",
            "update_stack_set App us-east-1,us-west-2,eu-west-1"
        ]
    );
    assert!(done.contains(&"Network: stack set updated in us-east-1, us-west-2, eu-west-1".to_string()), "{done:?}");
}

#[tokio::test(start_paused = true)]
async fn failed_operation_names_region_reason_and_failed_resources() {
    let fake = Fake::default();
    fake.with(|s| {
        s.scripts.extend([vec![Queued, Running, Succeeded], vec![Running, Running, Failed]]);
        s.events = vec![
            StackEvent {
                logical_id: "Vpc".into(),
                resource_type: "AWS::EC2::VPC".into(),
                status: "CREATE_FAILED".into(),
                reason: Some("The CIDR '10.1.0.0/16' conflicts".into()),
                time: Some(2500),
            },
            // A failure of an earlier operation on the stack (before this one's start): not shown.
            StackEvent {
                logical_id: "OldQueue".into(),
                resource_type: "AWS::SQS::Queue".into(),
                status: "UPDATE_FAILED".into(),
                reason: Some("an earlier failure".into()),
                time: Some(1500),
            },
            StackEvent {
                logical_id: "AlertsTopic".into(),
                resource_type: "AWS::SNS::Topic".into(),
                status: "CREATE_COMPLETE".into(),
                reason: None,
                time: Some(2600),
            },
        ];
    });
    // Fail Network's first instance operation (us-east-1).
    let assembly = Assembly::load(&fixture("basic")).unwrap();
    let plan = plan_deploy(&assembly, &PlanOptions::default()).unwrap();
    let sink = Collect::default();
    let exec = Executor::new(&fake, &sink, waits());
    // Data's create succeeds (script 1); Network's first operation, in us-east-1, fails (script 2).
    let data_only = plan_deploy(&assembly, &PlanOptions { stacks: vec!["Data".into()], ..Default::default() }).unwrap();
    exec.deploy(&assembly, &data_only, &bootstrap()).await.unwrap();
    fake.with(|s| {
        s.fail_next.insert(
            "us-east-1".into(),
            "ResourceLogicalId:Vpc, ResourceType:AWS::EC2::VPC, ResourceStatusReason:conflict".into(),
        );
    });
    let err = exec.deploy(&assembly, &plan, &bootstrap()).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ExecError::Operation(_)));
    assert!(text.starts_with("Network: create stack instances (operation "), "{text}");
    assert!(text.contains(") FAILED: too many regions failed"), "{text}");
    assert!(text.contains("\n  us-east-1 FAILED: ResourceLogicalId:Vpc"), "{text}");
    assert!(text.contains("\n    Vpc AWS::EC2::VPC CREATE_FAILED: The CIDR '10.1.0.0/16' conflicts"), "{text}");
    assert!(!text.contains("AlertsTopic"), "only failed events: {text}");
    assert!(!text.contains("OldQueue"), "only this operation's events: {text}");
    assert_eq!(
        exec.done(),
        vec![
            "Data: stack set created",
            "Data: instances created in us-east-1, us-west-2, eu-west-1",
            "Data: unchanged",
            "Network: stack set created"
        ]
    );
    // App was never started.
    assert!(!fake.calls().iter().any(|c| c.contains("App")));
}

#[tokio::test(start_paused = true)]
async fn stopping_then_stopped_is_a_failure() {
    let fake = Fake::default();
    fake.with(|s| s.scripts.push_back(vec![Running, Stopping, Stopping, Stopped]));
    let (r, events, _) = deploy(&fake, "basic", &["Data"]).await;
    let err = r.unwrap_err().to_string();
    assert!(err.contains("create stack instances") && err.contains("STOPPED"), "{err}");
    assert_eq!(statuses(&events, "Data"), vec!["RUNNING", "STOPPING", "STOPPED"]);
    assert!(err.contains("us-east-1 CANCELLED"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn throttling_is_retried_with_backoff() {
    let fake = Fake::default();
    fake.with(|s| {
        s.errors.insert(
            "create_stack_instances",
            [CfnError::Throttled("Rate exceeded".into()), CfnError::Throttled("Rate exceeded".into())].into(),
        );
        s.errors.insert("describe_operation", [CfnError::Throttled("Rate exceeded".into())].into());
    });
    let start = tokio::time::Instant::now();
    let (r, events, _) = deploy(&fake, "basic", &["Data"]).await;
    r.unwrap();
    let retries: Vec<Duration> = events
        .iter()
        .filter_map(|e| match e {
            Event::Retry { delay, .. } => Some(*delay),
            _ => None,
        })
        .collect();
    assert_eq!(retries, vec![Duration::from_secs(1), Duration::from_secs(2), Duration::from_secs(1)]);
    assert!(start.elapsed() >= Duration::from_secs(4));
}

#[tokio::test(start_paused = true)]
async fn throttling_gives_up_after_the_retries() {
    let fake = Fake::default();
    fake.with(|s| {
        s.errors
            .insert("create_stack_set", std::iter::repeat_n(CfnError::Throttled("Rate exceeded".into()), 10).collect());
    });
    let (r, _, _) = deploy(&fake, "basic", &["Data"]).await;
    let err = r.unwrap_err().to_string();
    assert_eq!(err, "Data: create stack set: throttled: Rate exceeded");
}

#[tokio::test(start_paused = true)]
async fn an_operation_in_progress_is_waited_out() {
    let fake = Fake::default();
    let (r, _, _) = deploy(&fake, "basic", &["Data"]).await;
    r.unwrap();
    // Someone else's operation runs on Data; our update is refused once.
    fake.running_op("Data", "theirs", &[Running, Running, Running, Succeeded]);
    fake.with(|s| {
        s.errors.insert(
            "update_stack_instances",
            [CfnError::OperationInProgress {
                name: None,
                message: "Another Operation on StackSet Data is in progress".into(),
            }]
            .into(),
        )
    });
    fake.with(|s| {
        // Make the instance OUTDATED so that deploy updates it.
        s.instances.get_mut(&("Data".to_string(), "us-west-2".to_string())).unwrap().status = "OUTDATED".into();
    });
    let (r, events, _) = deploy(&fake, "basic", &["Data"]).await;
    r.unwrap();
    assert!(events.contains(&Event::WaitingForOther { stack: "Data".into(), id: "theirs".into() }), "{events:#?}");
    let theirs: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::OperationStatus { id, status, .. } if id == "theirs" => Some(status.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(theirs, vec!["RUNNING", "SUCCEEDED"]);
    assert_eq!(fake.calls().last().unwrap(), "update_stack_instances Data us-west-2");
}

#[tokio::test(start_paused = true)]
async fn an_operation_that_never_ends_times_out_with_advice() {
    let fake = Fake::default();
    fake.with(|s| s.scripts.push_back(vec![Queued, Running]));
    let assembly = Assembly::load(&fixture("basic")).unwrap();
    let plan = plan_deploy(&assembly, &PlanOptions { stacks: vec!["Data".into()], ..Default::default() }).unwrap();
    let sink = Collect::default();
    let exec = Executor::new(&fake, &sink, Waits { timeout: Duration::from_secs(120), ..waits() });
    let err = exec.deploy(&assembly, &plan, &bootstrap()).await.unwrap_err();
    assert!(matches!(err, ExecError::Timeout { .. }));
    assert!(err.to_string().contains("is still RUNNING after"), "{err}");
    assert!(err.to_string().contains("haplat status"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_missing_producer_is_a_clear_binding_error() {
    let fake = Fake::default();
    let (r, _, done) = deploy(&fake, "basic", &["App"]).await;
    let err = r.unwrap_err().to_string();
    assert!(done.is_empty());
    assert!(
        err.starts_with("App: parameter TopicArn in us-east-1 takes output TopicArn of stack set Network in us-east-1 (from Network/Alerts.TopicArn), but stack set Network is not deployed"),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn destroy_deletes_instances_then_the_stack_set() {
    let fake = Fake::default();
    deploy(&fake, "basic", &[]).await.0.unwrap();
    let sink = Collect::default();
    let exec = Executor::new(&fake, &sink, waits());
    let absent = exec.destroy(&["App".into(), "Network".into(), "Data".into(), "Nope".into()]).await.unwrap();
    assert_eq!(absent, vec!["Nope"]);
    let calls = fake.calls();
    assert_eq!(
        calls[calls.len() - 6..],
        [
            "delete_stack_instances App eu-west-1,us-east-1,us-west-2",
            "delete_stack_set App",
            "delete_stack_instances Network eu-west-1,us-east-1,us-west-2",
            "delete_stack_set Network",
            "delete_stack_instances Data eu-west-1,us-east-1,us-west-2",
            "delete_stack_set Data",
        ]
    );
}

/// The stack sets of one wave deploy at once, each one's events in its own order.
#[tokio::test(start_paused = true)]
async fn stack_sets_of_one_wave_deploy_concurrently() {
    let fake = Fake::default();
    let assembly = Assembly::load(&fixture("basic")).unwrap();
    let plan = plan_deploy(&assembly, &PlanOptions::default()).unwrap();
    let sink = Collect::default();
    let exec = Executor::new(&fake, &sink, waits()).with_concurrency(4);
    let start = tokio::time::Instant::now();
    exec.deploy(&assembly, &plan, &bootstrap()).await.unwrap();
    let concurrent = start.elapsed();
    let events = sink.events();
    let at = |e: &Event| events.iter().position(|x| x == e).unwrap_or_else(|| panic!("{e:?} in {events:#?}"));
    let started = |s: &str| {
        at(&Event::StackStarted {
            stack: s.into(),
            regions: vec!["us-east-1".into(), "us-west-2".into(), "eu-west-1".into()],
        })
    };
    let done = |s: &str| events.iter().position(|e| matches!(e, Event::StackDone { stack, .. } if stack == s)).unwrap();
    // Wave 0 (Data, Network) overlaps; App (wave 1) starts after both are done.
    assert!(started("Network") < done("Data") && started("Data") < done("Network"), "{events:#?}");
    assert!(started("App") > done("Data").max(done("Network")), "{events:#?}");
    assert!(fake.with(|s| s.running.1) >= 2, "two operations ran at the same time");
    // Each stack set's own operation statuses stay in order, whatever the interleaving.
    assert_eq!(statuses(&events, "Data"), vec!["QUEUED", "RUNNING", "SUCCEEDED"]);
    for s in ["Data", "Network", "App"] {
        let own: Vec<&Event> = events
            .iter()
            .filter(|e| matches!(e, Event::StackStarted { stack, .. } | Event::StackDone { stack, .. } if stack == s))
            .collect();
        assert!(matches!(own[..], [Event::StackStarted { .. }, Event::StackDone { .. }]), "{s}: {own:#?}");
    }
    // Same result as one at a time, in less (paused) time.
    let app = fake.with(|s| s.instances[&("App".to_string(), "eu-west-1".to_string())].overrides.clone());
    assert_eq!(app["VpcId"], "Network.VpcId@eu-west-1");
    let fake1 = Fake::default();
    let sink1 = Collect::default();
    let exec1 = Executor::new(&fake1, &sink1, waits());
    let start = tokio::time::Instant::now();
    exec1.deploy(&assembly, &plan, &bootstrap()).await.unwrap();
    assert!(concurrent < start.elapsed(), "{concurrent:?} vs {:?}", start.elapsed());
    assert_eq!(fake1.with(|s| s.running.1), 1);
}

/// A failure in one stack set of a wave lets the others finish and be reported; the next wave
/// does not start.
#[tokio::test(start_paused = true)]
async fn a_failure_in_one_stack_set_still_reports_the_others_of_its_wave() {
    let fake = Fake::default();
    fake.with(|s| {
        s.fail_next_of.insert(
            "Data".into(),
            [("us-west-2".to_string(), "ResourceLogicalId:Orders, ResourceStatusReason:limit exceeded".to_string())]
                .into(),
        );
    });
    let assembly = Assembly::load(&fixture("basic")).unwrap();
    let plan = plan_deploy(&assembly, &PlanOptions::default()).unwrap();
    let sink = Collect::default();
    let exec = Executor::new(&fake, &sink, waits()).with_concurrency(4);
    let err = exec.deploy(&assembly, &plan, &bootstrap()).await.unwrap_err();
    assert_eq!(err.stacks(), vec!["Data"]);
    let text = err.to_string();
    assert!(text.starts_with("Data: create stack instances (operation "), "{text}");
    assert!(text.contains("\n  us-west-2 FAILED: ResourceLogicalId:Orders"), "{text}");
    // Network, in the same wave, finished and says so.
    let events = sink.events();
    assert!(events.iter().any(|e| matches!(e, Event::StackDone { stack, summary } if stack == "Network" && summary.contains("instances created in eu-west-1"))), "{events:#?}");
    let done = exec.done();
    assert!(done.contains(&"Network: instances created in eu-west-1".to_string()), "{done:?}");
    assert!(!done.iter().any(|d| d.starts_with("Data: instances")), "{done:?}");
    // App (wave 1) never started.
    assert!(!fake.calls().iter().any(|c| c.contains("App")));
    assert!(!events.iter().any(|e| matches!(e, Event::StackStarted { stack, .. } if stack == "App")));
    // The CLI's report: what was done, and what was not started.
    let msg =
        haplat_cli::Error::from_exec("deploy", err, exec.completed(), &["Data".into(), "Network".into(), "App".into()]);
    assert!(matches!(&msg, haplat_cli::Error::Deploy(f) if f.not_started == ["App"]), "{msg}");
    let msg = msg.to_string();
    assert!(
        msg.contains("\n  Network: instances created in us-east-1")
            && msg.ends_with("not started: App\nrun `haplat status` to see every instance"),
        "{msg}"
    );
}

/// Two failures in one wave are both reported.
#[tokio::test(start_paused = true)]
async fn two_failures_in_one_wave_are_both_reported() {
    let fake = Fake::default();
    fake.with(|s| {
        s.fail_next_of.insert("Data".into(), [("us-east-1".to_string(), "boom".to_string())].into());
        s.fail_next_of.insert("Network".into(), [("us-east-1".to_string(), "bang".to_string())].into());
    });
    let (r, _, _) = {
        let assembly = Assembly::load(&fixture("basic")).unwrap();
        let plan = plan_deploy(&assembly, &PlanOptions::default()).unwrap();
        let sink = Collect::default();
        let exec = Executor::new(&fake, &sink, waits()).with_concurrency(2);
        let r = exec.deploy(&assembly, &plan, &bootstrap()).await;
        (r, sink.events(), exec.done())
    };
    let err = r.unwrap_err();
    assert!(matches!(err, ExecError::Several(_)));
    assert_eq!(err.stacks(), vec!["Data", "Network"]);
    let text = err.to_string();
    assert!(text.contains("us-east-1 FAILED: boom") && text.contains("us-east-1 FAILED: bang"), "{text}");
}

/// A copy of the `basic` fixture to change.
fn basic_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(fixture("basic")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dir.path().join(f.file_name().unwrap())).unwrap();
    }
    dir
}

/// `basic` with two new parameters on Network: `Tier` (Default `small`, valued in us-west-2
/// only) and `Zone` (no Default, a value per region), so that the stack-set update has no
/// single right set of set-level values.
fn with_new_parameters() -> tempfile::TempDir {
    let dir = basic_copy();
    let path = dir.path().join("Network.template.json");
    let mut t: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    t["Parameters"]["Tier"] = serde_json::json!({"Type": "String", "Default": "small"});
    t["Parameters"]["Zone"] = serde_json::json!({"Type": "String"});
    let body = serde_json::to_string_pretty(&t).unwrap();
    std::fs::write(&path, &body).unwrap();
    let mpath = dir.path().join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&mpath).unwrap()).unwrap();
    let net = m["stacks"].as_array_mut().unwrap().iter_mut().find(|s| s["name"] == "Network").unwrap();
    net["templateBytes"] = body.len().into();
    net["parameters"]["Tier"] = serde_json::json!({"us-west-2": "large"});
    net["parameters"]["Zone"] = serde_json::json!({"us-east-1": "a", "us-west-2": "b", "eu-west-1": "c"});
    std::fs::write(&mpath, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    dir
}

async fn deploy_dir(fake: &Fake, dir: &std::path::Path, regions: &[&str]) -> (Result<(), ExecError>, Vec<String>) {
    let assembly = Assembly::load(dir).unwrap();
    let plan = plan_deploy(
        &assembly,
        &PlanOptions {
            stacks: vec!["Network".into()],
            regions: regions.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        },
    )
    .unwrap();
    let sink = Collect::default();
    let exec = Executor::new(fake, &sink, waits());
    let r = exec.deploy(&assembly, &plan, &bootstrap()).await;
    (r, exec.done())
}

fn applied(fake: &Fake, region: &str) -> Vec<(String, String)> {
    fake.with(|s| s.applied[&("Network".to_string(), region.to_string())].clone().into_iter().collect())
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[tokio::test(start_paused = true)]
async fn a_template_update_gives_every_region_its_own_values_and_defaults() {
    let fake = Fake::default();
    deploy(&fake, "basic", &[]).await.0.unwrap();
    let before = fake.calls().len();
    let dir = with_new_parameters();
    let (r, done) = deploy_dir(&fake, dir.path(), &[]).await;
    r.unwrap();
    // The stack-set update reaches only the region whose values it carries; the others get
    // theirs from their own update (never us-east-1's Zone, never a Tier that is not theirs).
    assert_eq!(
        fake.calls()[before..],
        [
            "update_stack_set Network us-east-1",
            "update_stack_instances Network us-west-2",
            "update_stack_instances Network eu-west-1"
        ],
        "{done:?}"
    );
    assert_eq!(applied(&fake, "us-east-1"), pairs(&[("Cidr", "10.0.0.0/16"), ("Tier", "small"), ("Zone", "a")]));
    assert_eq!(applied(&fake, "us-west-2"), pairs(&[("Cidr", "10.1.0.0/16"), ("Tier", "large"), ("Zone", "b")]));
    assert_eq!(applied(&fake, "eu-west-1"), pairs(&[("Cidr", "10.2.0.0/16"), ("Tier", "small"), ("Zone", "c")]));
    // Nothing left to do.
    let before = fake.calls().len();
    deploy_dir(&fake, dir.path(), &[]).await.0.unwrap();
    assert_eq!(fake.calls()[before..], [] as [&str; 0]);
}

#[tokio::test(start_paused = true)]
async fn regions_limit_a_template_update() {
    let fake = Fake::default();
    deploy(&fake, "basic", &[]).await.0.unwrap();
    let before = fake.calls().len();
    let dir = with_new_parameters();
    let (r, done) = deploy_dir(&fake, dir.path(), &["us-west-2"]).await;
    r.unwrap();
    assert_eq!(
        fake.calls()[before..],
        ["update_stack_set Network us-west-2", "update_stack_instances Network us-west-2"],
        "{done:?}"
    );
    assert_eq!(applied(&fake, "us-west-2"), pairs(&[("Cidr", "10.1.0.0/16"), ("Tier", "large"), ("Zone", "b")]));
    // The other regions keep what they had, OUTDATED until deployed.
    assert_eq!(applied(&fake, "us-east-1"), pairs(&[("Cidr", "10.0.0.0/16")]));
    let status = fake.with(|s| s.instances[&("Network".to_string(), "eu-west-1".to_string())].status.clone());
    assert_eq!(status, InstanceStatus::Outdated);
}

async fn deploy_data_with(fake: &Fake, tolerance: Option<u32>) -> (Result<(), ExecError>, Vec<Event>) {
    let assembly = Assembly::load(&fixture("basic")).unwrap();
    let opts = PlanOptions { stacks: vec!["Data".into()], ..Default::default() };
    let mut plan = plan_deploy(&assembly, &opts).unwrap();
    // The fixture's Data declares a tolerance of 0, which `--failure-tolerance` cannot raise
    // (plan::failure_tolerance); these tests set the plan's own.
    plan.waves[0].stacks[0].preferences.failure_tolerance_count = tolerance;
    let sink = Collect::default();
    let exec = Executor::new(fake, &sink, waits());
    let r = exec.deploy(&assembly, &plan, &bootstrap()).await;
    (r, sink.events())
}

/// With failures tolerated, CloudFormation ends an operation SUCCEEDED although a region FAILED.
fn succeeded_with_a_failed_region(fake: &Fake) {
    fake.with(|s| {
        s.scripts.push_back(vec![Queued, Running, Succeeded]);
        s.fail_next.insert("us-west-2".into(), "Resource limit exceeded".into());
    });
}

#[tokio::test(start_paused = true)]
async fn a_failed_region_in_a_succeeded_operation_is_an_error_without_tolerance() {
    let fake = Fake::default();
    succeeded_with_a_failed_region(&fake);
    let (r, _) = deploy_data_with(&fake, None).await;
    let e = r.unwrap_err().to_string();
    assert!(e.contains("us-west-2 FAILED: Resource limit exceeded"), "{e}");
    assert!(e.contains("regions failed"), "{e}");
}

#[tokio::test(start_paused = true)]
async fn a_tolerated_failed_region_is_reported_in_the_summary() {
    let fake = Fake::default();
    succeeded_with_a_failed_region(&fake);
    let (r, events) = deploy_data_with(&fake, Some(1)).await;
    r.unwrap();
    let summary = events
        .iter()
        .find_map(|e| match e {
            Event::StackDone { stack, summary } if stack == "Data" => Some(summary.clone()),
            _ => None,
        })
        .unwrap();
    assert!(summary.contains("FAILED in us-west-2 (tolerated): Resource limit exceeded"), "{summary}");
}

#[tokio::test(start_paused = true)]
async fn a_binding_to_an_instance_not_current_is_refused() {
    let fake = Fake::default();
    deploy(&fake, "basic", &["Data", "Network"]).await.0.unwrap();
    fake.with(|s| {
        let i = s.instances.get_mut(&("Network".to_string(), "us-west-2".to_string())).unwrap();
        i.status = "OUTDATED".into();
        i.status_reason = Some("update failed".into());
    });
    let (r, _, _) = deploy(&fake, "basic", &["App"]).await;
    let e = r.unwrap_err();
    assert!(matches!(e, ExecError::Binding { .. }), "{e}");
    assert!(e.to_string().contains("its instance in us-west-2 is OUTDATED (update failed)"), "{e}");
}

#[tokio::test(start_paused = true)]
async fn a_stack_set_without_haplat_s_tag_is_refused_unless_adopted() {
    let fake = Fake::default();
    deploy(&fake, "basic", &["Data"]).await.0.unwrap();
    fake.with(|s| s.sets.get_mut("Data").unwrap().tags.clear());
    let before = fake.calls().len();
    let e = deploy(&fake, "basic", &["Data"]).await.0.unwrap_err();
    assert!(matches!(e, ExecError::Refused { .. }), "{e}");
    assert!(e.to_string().contains("lacks haplat's tag haplat:app"), "{e}");
    assert_eq!(fake.calls().len(), before);

    let assembly = Assembly::load(&fixture("basic")).unwrap();
    let plan = plan_deploy(&assembly, &PlanOptions { stacks: vec!["Data".into()], ..Default::default() }).unwrap();
    let sink = Collect::default();
    let exec = Executor::new(&fake, &sink, waits()).with_adopt(true);
    exec.check_owners(&plan).await.unwrap();
    exec.deploy(&assembly, &plan, &bootstrap()).await.unwrap();
    assert_eq!(fake.with(|s| s.sets["Data"].tags["haplat:app"].clone()), "fixture");
}

#[tokio::test(start_paused = true)]
async fn an_operation_whose_answer_is_lost_is_waited_for_by_its_id() {
    for lost in [
        CfnError::Unreachable { endpoint: "AWS in us-east-1".into(), message: "no answer in time".into() },
        CfnError::service("OperationIdAlreadyExistsException", "exists"),
    ] {
        let fake = Fake::default();
        fake.with(|s| s.lost_answers.insert("create_stack_instances", [lost.clone()].into()));
        let (r, events) = deploy_data_with(&fake, None).await;
        r.unwrap();
        // One operation, named by haplat before the call, and waited for.
        assert_eq!(
            fake.calls(),
            ["create_stack_set Data", "create_stack_instances Data us-east-1,us-west-2,eu-west-1"]
        );
        let id = events
            .iter()
            .find_map(|e| match e {
                Event::Operation { id, .. } => Some(id.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(id.len(), 36, "{id}");
        assert!(fake.with(|s| s.ops.contains_key(&id)));
        assert_eq!(statuses(&events, "Data").last().map(String::as_str), Some("SUCCEEDED"));
    }
}

#[tokio::test(start_paused = true)]
async fn an_unknown_operation_status_fails_at_once() {
    let fake = Fake::default();
    fake.with(|s| s.scripts.push_back(vec![Queued, Unknown("PAUSED".into()), Running, Succeeded]));
    let start = tokio::time::Instant::now();
    let (r, _) = deploy_data_with(&fake, None).await;
    let e = r.unwrap_err().to_string();
    assert!(e.contains("status \"PAUSED\" is not one haplat knows"), "{e}");
    assert!(start.elapsed() < Duration::from_secs(60), "{:?}", start.elapsed());
}

#[tokio::test(start_paused = true)]
async fn a_template_change_limited_to_regions_not_yet_deployed_is_refused() {
    let fake = Fake::default();
    deploy(&fake, "basic", &["Data"]).await.0.unwrap();
    deploy_dir(&fake, &fixture("basic"), &["us-east-1"]).await.0.unwrap();
    let before = fake.calls().len();
    let dir = with_new_parameters();
    let e = deploy_dir(&fake, dir.path(), &["us-west-2"]).await.0.unwrap_err();
    assert!(matches!(e, ExecError::Refused { .. }), "{e}");
    assert!(e.to_string().contains("the regions deployed (us-east-1) are outside --regions us-west-2"), "{e}");
    assert_eq!(fake.calls().len(), before, "nothing changed");
}

/// `basic` without eu-west-1 anywhere, Network's template declaring the deletion-protection
/// parameter (bound by its resources, as haplat's constructs do).
fn without_eu_west_1() -> tempfile::TempDir {
    let dir = basic_copy();
    let path = dir.path().join("Network.template.json");
    let mut t: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    t["Parameters"][haplat_check::DELETION_PROTECTION_PARAMETER] =
        serde_json::json!({"Type": "String", "Default": "true", "AllowedValues": ["true", "false"]});
    let body = serde_json::to_string_pretty(&t).unwrap();
    std::fs::write(&path, &body).unwrap();
    let mpath = dir.path().join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&mpath).unwrap()).unwrap();
    for s in m["stacks"].as_array_mut().unwrap() {
        s["target"]["regions"] = serde_json::json!(["us-east-1", "us-west-2"]);
        if s["name"] == "Network" {
            s["templateBytes"] = body.len().into();
            s["parameters"]["Cidr"].as_object_mut().unwrap().remove("eu-west-1");
        }
    }
    std::fs::write(&mpath, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    dir
}

#[tokio::test(start_paused = true)]
async fn a_region_no_longer_listed_is_unprotected_first_and_deleted_after_every_wave_last_wave_first() {
    let fake = Fake::default();
    let dir = without_eu_west_1();
    // Deployed in three regions, with the protection parameter already in Network's template.
    deploy(&fake, "basic", &[]).await.0.unwrap();
    let network = std::fs::read_to_string(dir.path().join("Network.template.json")).unwrap();
    fake.with(|s| {
        let set = s.sets.get_mut("Network").unwrap();
        set.template_body = network.clone();
        set.parameters.insert(haplat_check::DELETION_PROTECTION_PARAMETER.into(), "true".into());
    });
    let before = fake.calls().len();
    let assembly = Assembly::load(dir.path()).unwrap();
    let plan = plan_deploy(&assembly, &PlanOptions::default()).unwrap();
    let sink = Collect::default();
    let exec = Executor::new(&fake, &sink, waits());
    exec.deploy(&assembly, &plan, &bootstrap()).await.unwrap();
    let calls: Vec<String> = fake.calls()[before..].to_vec();
    let at = |call: &str| calls.iter().position(|c| c == call).unwrap_or_else(|| panic!("no {call} in {calls:?}"));
    // Network's eu-west-1 instance loses its protection, with its own CIDR kept, before the stack
    // set changes; every instance of eu-west-1 goes after every wave, the last wave first.
    let lift = at("update_stack_instances Network eu-west-1");
    let (app, network_del, data) = (
        at("delete_stack_instances App eu-west-1"),
        at("delete_stack_instances Network eu-west-1"),
        at("delete_stack_instances Data eu-west-1"),
    );
    assert!(calls[..lift].iter().all(|c| !c.starts_with("update_stack_set Network")), "{calls:?}");
    let last_deploy = calls.iter().rposition(|c| !c.starts_with("delete_stack_instances")).unwrap();
    assert!(last_deploy < app && app < network_del.min(data), "{calls:?}");
    let overrides =
        fake.with(|s| s.instances.get(&("Network".to_string(), "eu-west-1".to_string())).map(|i| i.overrides.clone()));
    // The instance is gone; what it was updated with is what the fake applied.
    assert!(overrides.is_none());
    let lifted = fake.with(|s| s.applied[&("Network".to_string(), "eu-west-1".to_string())].clone());
    assert_eq!(lifted.get("Cidr").map(String::as_str), Some("10.2.0.0/16"), "{lifted:?}");
    assert_eq!(lifted.get(haplat_check::DELETION_PROTECTION_PARAMETER).map(String::as_str), Some("false"));
    // us-east-1 and us-west-2 keep their protection.
    for r in ["us-east-1", "us-west-2"] {
        let applied = fake.with(|s| s.applied[&("Network".to_string(), r.to_string())].clone());
        assert_ne!(applied.get(haplat_check::DELETION_PROTECTION_PARAMETER).map(String::as_str), Some("false"), "{r}");
    }
}

/// A producer's stack that cannot be read (the network, throttling past the retries, a 5xx)
/// stops the deploy before its consumer: one line naming the producer and the region, the exit
/// code of that failure (4: AWS unusable; 1: a call failed), never "no stack", and nothing
/// downstream deployed. The next run, with the reads answering, converges.
#[tokio::test(start_paused = true)]
async fn a_producer_stack_that_cannot_be_read_stops_before_its_consumer() {
    let unreachable = || CfnError::Unreachable {
        endpoint: "AWS in us-east-1".into(),
        message: "dispatch failure: io error: connection reset by peer".into(),
    };
    let five_hundred = || CfnError::Service {
        code: "Unknown".into(),
        message: "HTTP 500 without an error message (a fault on AWS's side; run the command again)".into(),
    };
    let cases: [(&str, Vec<CfnError>, u8, &str); 3] = [
        ("network", vec![unreachable()], haplat_cli::exit::ACCESS, "cannot reach AWS in us-east-1: dispatch failure"),
        (
            "throttling",
            vec![CfnError::Throttled("Rate exceeded".into()); 10],
            haplat_cli::exit::FAILED,
            "throttled: Rate exceeded",
        ),
        ("5xx", vec![five_hundred()], haplat_cli::exit::FAILED, "Unknown: HTTP 500 without an error message"),
    ];
    for (name, errors, code, says) in cases {
        let fake = Fake::default();
        deploy(&fake, "basic", &["Data", "Network"]).await.0.unwrap();
        fake.with(|s| s.errors.insert("instance_stack", errors.into()));
        let before = fake.calls().len();
        let (r, _, done) = deploy(&fake, "basic", &["App"]).await;
        let e = r.unwrap_err();
        assert!(done.is_empty(), "{name}: {done:?}");
        let error = haplat_cli::Error::from_exec("deploy", e, Vec::new(), &["App".into()]);
        let text = error.to_string();
        assert_eq!(error.exit_code(), code, "{name}: {text}");
        // One line says what failed (a deploy failure adds its summary: nothing changed, App
        // not started).
        let failed: Vec<&str> = text.lines().filter(|l| l.contains("Network")).collect();
        let [line] = failed[..] else { panic!("{name}: one line names the producer: {text}") };
        let line = line.trim_start_matches("deploy failed: ");
        assert!(line.starts_with("Network: read its stack's outputs in us-east-1: "), "{name}: {text}");
        assert!(line.contains(says) && !text.contains("no stack"), "{name}: {text}");
        assert!(!text.contains('{') && text.lines().count() <= 4, "{name}: {text}");
        assert_eq!(fake.calls().len(), before, "{name}: nothing deployed: {:?}", &fake.calls()[before..]);

        deploy(&fake, "basic", &["App"]).await.0.unwrap();
        assert!(fake.calls().contains(&"create_stack_set App".to_owned()), "{name}");
    }
}
