//! End to end against moto: bootstrap, deploy to three regions, check every instance and its
//! stack's outputs, diff clean, change the app, diff shows it, deploy, data safety, destroy.

use std::collections::BTreeMap;

use haplat_cli::cfn::{CloudFormation, InstanceStatus};
use haplat_cli::sdk::Aws;

use crate::harness::{Moto, Project, Source, run, run_without_reader};
use crate::snap;

const REGIONS: [&str; 3] = ["us-east-1", "us-west-2", "eu-west-1"];

/// Each region's outputs of a stack set's instances.
async fn outputs(aws: &Aws, set: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for i in aws.list_stack_instances(set).await.unwrap() {
        assert_eq!(i.status, InstanceStatus::Current, "{set} in {}", i.region);
        let full = aws.describe_stack_instance(set, &i.account, &i.region).await.unwrap();
        let stack = aws
            .instance_stack(set, &full)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{set} has no stack in {}", i.region));
        out.insert(i.region.clone(), stack.outputs);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn bootstrap_deploy_diff_change_deploy_destroy() {
    let moto = Moto::start();
    let p = Project::new(Source::Fixture("basic"));
    let haplat = |args: &[&str]| {
        let mut cmd = p.haplat(args);
        moto.env(&mut cmd);
        run(&mut cmd)
    };

    // Missing bootstrap: said clearly, nothing deployed.
    snap!("e2e_0_not_bootstrapped", haplat(&["deploy", "--yes"]).snapshot(p.path()));
    let aws = moto.aws().await;
    assert!(aws.list_stack_sets().await.unwrap().is_empty());

    // Bootstrap, twice: the second run changes nothing.
    snap!(
        "e2e_1_bootstrap",
        haplat(&["bootstrap", "--regions", "us-east-1,us-west-2", "--regions", "eu-west-1"]).snapshot(p.path())
    );
    let again = haplat(&["bootstrap"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("already up to date"), "{}", again.stdout);

    // Deploy to three regions, one stack set at a time so that the snapshot's lines have one
    // order (by default the stack sets of a wave deploy concurrently: tests/it/executor.rs).
    snap!("e2e_2_deploy", haplat(&["deploy", "--yes", "--concurrency", "1"]).snapshot(p.path()));
    let network = outputs(&aws, "Network").await;
    let app = outputs(&aws, "App").await;
    assert_eq!(network.keys().collect::<Vec<_>>(), ["eu-west-1", "us-east-1", "us-west-2"]);
    for region in REGIONS {
        let vpc = &network[region]["VpcId"];
        assert!(vpc.starts_with("vpc-"), "{region}: {vpc}");
        // Bindings: the same region's VPC, us-east-1's topic, a literal.
        assert_eq!(&app[region]["SeenVpc"], vpc, "{region}");
        assert_eq!(app[region]["SeenTopic"], network["us-east-1"]["TopicArn"], "{region}");
        assert_eq!(app[region]["SeenStage"], "prod");
        assert_eq!(app[region]["QueueName"], "orders");
    }
    // Every region's VPC is its own.
    let vpcs: std::collections::BTreeSet<_> = network.values().map(|o| &o["VpcId"]).collect();
    assert_eq!(vpcs.len(), 3);
    snap!("e2e_3_status", haplat(&["status"]).snapshot(p.path()));
    // The same as JSON, for tools.
    let json: serde_json::Value = serde_json::from_str(&haplat(&["status", "--format", "json"]).stdout).unwrap();
    let sets = json.as_array().unwrap();
    assert_eq!(sets.len(), 3);
    assert!(sets.iter().all(|s| s["deployed"] == true && s["instances"].as_array().is_some_and(|i| !i.is_empty())));
    assert!(sets.iter().all(|s| s["lastOperation"]["status"] == "SUCCEEDED"), "{json}");

    // Nothing differs.
    let clean = haplat(&["diff", "--fail"]);
    assert_eq!(
        (clean.code, clean.stdout.as_str()),
        (
            0,
            "stack set Data: no differences\nstack set Network: no differences\nstack set App: no differences\nno differences\n"
        ),
        "{}",
        clean.stderr
    );

    // The app changes: diff shows it and --fail says so.
    p.switch(Source::Fixture("changed"));
    snap!("e2e_4_diff_changed", haplat(&["diff", "--fail"]).snapshot(p.path()));
    snap!("e2e_5_deploy_changed", haplat(&["deploy", "--yes", "--concurrency", "1"]).snapshot(p.path()));
    let set = aws.describe_stack_set("App").await.unwrap().unwrap();
    assert!(set.template_body.contains("DeadLetters"));
    assert_eq!(haplat(&["diff", "--fail"]).code, 0);

    // Renaming the table would replace it: refused, then allowed by name.
    p.switch(Source::Fixture("renamed"));
    snap!("e2e_6_refused", haplat(&["deploy", "--yes"]).snapshot(p.path()));
    assert!(!aws.describe_stack_set("Data").await.unwrap().unwrap().template_body.contains("orders-v2"));
    // Nobody reads stdout any more (`haplat deploy … | head -1` after the first line): the
    // deploy still runs to its end and says so with its exit code.
    let mut cmd = p.haplat(&["deploy", "--yes", "--plain", "--allow-replace", "Data/Orders"]);
    moto.env(&mut cmd);
    let allowed = run_without_reader(&mut cmd);
    assert_eq!(allowed.code, 0, "{}", allowed.stderr);
    assert!(
        allowed.stderr.contains("Data: stack set updated in us-east-1, us-west-2, eu-west-1")
            || allowed.stderr.contains("Data: template updated"),
        "{}",
        allowed.stderr
    );
    assert!(!allowed.stderr.contains("panicked"), "{}", allowed.stderr);
    assert!(aws.describe_stack_set("Data").await.unwrap().unwrap().template_body.contains("orders-v2"));

    // Destroy: waves in reverse, the retained table listed as kept, every instance's stack gone.
    let mut app_stacks = Vec::new();
    for i in aws.list_stack_instances("App").await.unwrap() {
        let full = aws.describe_stack_instance("App", &i.account, &i.region).await.unwrap();
        app_stacks.push((i.region.clone(), full.stack_id.clone().expect("the instance names its stack")));
    }
    assert_eq!(app_stacks.len(), REGIONS.len());
    snap!("e2e_7_destroy", haplat(&["destroy", "--yes"]).snapshot(p.path()));
    assert!(aws.list_stack_sets().await.unwrap().is_empty());
    for (region, id) in &app_stacks {
        assert!(aws.describe_stack(region, id).await.unwrap().is_none(), "{region}");
    }
    let status = haplat(&["status"]);
    assert_eq!(
        status.stdout,
        "stack set Data: not deployed\nstack set Network: not deployed\nstack set App: not deployed\n"
    );
}
