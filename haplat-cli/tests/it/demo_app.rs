//! The README's emulator deploy, end to end: `apps/emulator-demo` (three stacks in three waves
//! over three regions, built for what moto provisions) through the `haplat` binary against moto.
//! `haplat doctor` finds the account ready (the bootstrap, and the VPC quota moto answers).
//! Unlike the reference platform (real_app.rs), every wave deploys: bootstrap, deploy, every
//! instance and its outputs in every region, the bindings' values as the stacks received them,
//! diff clean, a change given with `-c`, diff shows it, deploy, status, destroy with the retained
//! resources listed as kept in every region.

use std::collections::BTreeMap;

use haplat_cli::cfn::{CloudFormation, InstanceStatus, StackInfo, StackStatus};
use haplat_cli::sdk::Aws;

use crate::harness::{Moto, Project, Source, demo_app, run};
use crate::snap;

const REGIONS: [&str; 3] = ["us-east-1", "us-west-2", "eu-west-1"];
const ACCOUNT: &str = "123456789012";

/// Region → the stack of each instance of a stack set, every instance CURRENT and its stack
/// created.
async fn stacks(aws: &Aws, set: &str) -> BTreeMap<String, StackInfo> {
    let mut out = BTreeMap::new();
    for i in aws.list_stack_instances(set).await.unwrap() {
        assert_eq!(i.status, InstanceStatus::Current, "{set} in {}", i.region);
        let full = aws.describe_stack_instance(set, &i.account, &i.region).await.unwrap();
        let stack = aws
            .instance_stack(set, &full)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{set} has no stack in {}", i.region));
        assert_eq!(stack.status, StackStatus::CreateComplete, "{set} in {}", i.region);
        out.insert(i.region.clone(), stack);
    }
    out
}

fn map(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn demo_app_deploys_every_wave_on_moto() {
    let exe = demo_app();
    let moto = Moto::start();
    let aws = moto.aws().await;
    let p = Project::new(Source::App(format!("'{}'", exe.display())));
    let shot = |r: &crate::harness::Run| r.snapshot(p.path());
    let haplat = |args: &[&str]| {
        let mut cmd = p.haplat(args);
        moto.env(&mut cmd);
        run(&mut cmd)
    };

    let b = haplat(&["bootstrap"]);
    assert_eq!(b.code, 0, "{}", b.stderr);
    assert!(b.stdout.contains("  regions:              eu-west-1, us-east-1, us-west-2\n"), "{}", b.stdout);

    // The README's `haplat doctor`: the bootstrap and the VPC quota (moto answers both), ready.
    let d = haplat(&["doctor"]);
    assert_eq!(d.code, 0, "{}\n{}", d.stdout, d.stderr);
    snap!("demo_app_doctor", shot(&d));

    // Every wave deploys.
    let r = haplat(&["deploy", "--yes", "--plain"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for line in [
        "wave 0: demo-Regional\n",
        "demo-Regional: stack set created; instances created in us-east-1, us-west-2, eu-west-1\n",
        "wave 1: demo-Workers\n",
        "wave 2: demo-Global\n",
        "demo-Global: stack set created; instances created in us-east-1\n",
    ] {
        assert!(r.stderr.contains(line), "no {line:?} in:\n{}", r.stderr);
    }
    assert!(
        r.stdout.contains("3 of 3 stack set(s) differ\ndeployed 3 stack set(s) to eu-west-1, us-east-1, us-west-2\n"),
        "{}",
        r.stdout
    );
    // Then `haplat health` over what was deployed (moto: every instance CURRENT).
    assert!(r.stdout.ends_with(": healthy in 3 region(s)\n"), "{}", r.stdout);
    assert!(r.stdout.contains("us-east-1: ok\n  stack set demo-Regional"), "{}", r.stdout);

    // Every instance in every region, with its outputs; per-region values from the mapping.
    let regional = stacks(&aws, "demo-Regional").await;
    let workers = stacks(&aws, "demo-Workers").await;
    let global = stacks(&aws, "demo-Global").await;
    assert_eq!(regional.keys().collect::<Vec<_>>(), ["eu-west-1", "us-east-1", "us-west-2"]);
    assert_eq!(workers.keys().collect::<Vec<_>>(), ["eu-west-1", "us-east-1", "us-west-2"]);
    assert_eq!(global.keys().collect::<Vec<_>>(), ["us-east-1"]);
    let mut vpcs = std::collections::BTreeSet::new();
    for region in REGIONS {
        let out = &regional[region].outputs;
        assert_eq!(out.keys().collect::<Vec<_>>(), ["DeadLettersArn", "SubnetId", "TableName", "VpcRef"], "{region}");
        assert!(out["VpcRef"].starts_with("vpc-") && out["SubnetId"].starts_with("subnet-"), "{region}: {out:?}");
        assert_eq!(out["TableName"], "demo-orders");
        assert_eq!(out["DeadLettersArn"], format!("arn:aws:sqs:{region}:{ACCOUNT}:demo-dead-letters"));
        vpcs.insert(out["VpcRef"].clone());
        // Same-region bindings: Workers got its own region's dead-letter queue and VPC.
        let w = &workers[region];
        assert_eq!(w.outputs, map(&[("JobsArn", format!("arn:aws:sqs:{region}:{ACCOUNT}:demo-jobs"))]), "{region}");
        assert_eq!(
            w.parameters,
            map(&[
                ("RegionalDeadLettersArn", out["DeadLettersArn"].clone()),
                ("RegionalVpcRef", out["VpcRef"].clone())
            ]),
            "{region}"
        );
    }
    assert_eq!(vpcs.len(), 3, "every region has its own VPC");
    // The single-region Global stack got every region's jobs queue, and made an SSM parameter of each.
    let g = &global["us-east-1"];
    let arn = |r: &str| workers[r].outputs["JobsArn"].clone();
    assert_eq!(
        g.parameters,
        map(&[
            ("WorkersJobsArnEuWest1", arn("eu-west-1")),
            ("WorkersJobsArnUsEast1", arn("us-east-1")),
            ("WorkersJobsArnUsWest2", arn("us-west-2"))
        ])
    );
    let names = |r: &str| format!("/demo/jobs-queue/{r}");
    assert_eq!(
        g.outputs,
        map(&[
            ("JobsQueueeuwest1", names("eu-west-1")),
            ("JobsQueueuseast1", names("us-east-1")),
            ("JobsQueueuswest2", names("us-west-2"))
        ])
    );

    let clean = haplat(&["diff", "--fail"]);
    assert_eq!(
        (clean.code, clean.stdout.as_str()),
        (
            0,
            "stack set demo-Regional: no differences\nstack set demo-Workers: no differences\nstack set demo-Global: no differences\nno differences\n"
        ),
        "{}",
        clean.stderr
    );

    // A change through the app's context knob: one property of one stack set, in every region.
    let changed = ["-c", "visibility-timeout=45"];
    let diff = haplat(&["diff", "--fail", changed[0], changed[1]]);
    snap!("demo_app_diff_changed", shot(&diff));
    assert_eq!(diff.code, 3);
    assert!(diff.stdout.contains("Properties.VisibilityTimeout: 30 -> 45"), "{}", diff.stdout);
    let r = haplat(&["deploy", "--yes", "--plain", changed[0], changed[1]]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("demo-Workers: template updated in us-east-1, us-west-2, eu-west-1"), "{}", r.stderr);
    assert!(
        r.stderr.contains("demo-Regional: unchanged\n") && r.stderr.contains("demo-Global: unchanged\n"),
        "{}",
        r.stderr
    );
    assert!(
        aws.describe_stack_set("demo-Workers")
            .await
            .unwrap()
            .unwrap()
            .template_body
            .contains("\"VisibilityTimeout\": 45")
    );
    let d = haplat(&["diff", "--fail", changed[0], changed[1]]);
    assert_eq!(d.code, 0, "{}{}", d.stdout, d.stderr);

    let status = haplat(&["status"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    snap!("demo_app_status", shot(&status));

    // Destroy: waves in reverse; every retained resource kept, per region.
    let r = haplat(&["destroy", "--yes", "--plain"]);
    snap!("demo_app_destroy", shot(&r));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for region in REGIONS {
        for kept in [
            "demo-Regional {r}: kept Orders (AWS::DynamoDB::Table, Regional/Orders)",
            "demo-Regional {r}: kept Uploads (AWS::S3::Bucket, Regional/Uploads)",
            "demo-Regional {r}: kept Logs (AWS::Logs::LogGroup, Regional/Logs)",
            "demo-Regional {r}: kept DeadLetters (AWS::SQS::Queue, Regional/DeadLetters)",
            "demo-Workers {r}: kept Jobs (AWS::SQS::Queue, Workers/Jobs)",
        ] {
            let kept = kept.replace("{r}", region);
            assert!(r.stderr.contains(&kept), "no {kept:?} in:\n{}", r.stderr);
        }
        assert!(r.stderr.contains(&format!("(AWS::SSM::Parameter, Global/JobsQueue-{region})")), "{}", r.stderr);
    }
    assert!(!r.stderr.contains("kept Vpc") && !r.stderr.contains("kept Subnet"), "{}", r.stderr);
    // Before the confirmation: what is kept, per stack set and regions.
    assert!(
        r.stdout.starts_with("demo-Global [us-east-1]: kept: JobsQueueEuWest1FDB1D694 (AWS::SSM::Parameter"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "destroyed 3 stack set(s)\n18 retained resource(s) kept in the account (listed above); delete them by hand when no longer needed\n"
        ),
        "{}",
        r.stdout
    );
    // And which kept names block the next deploy.
    assert!(
        r.stdout.ends_with("; table \"demo-orders\" [us-east-1, us-west-2, eu-west-1]; bucket \"demo-uploads-${AWS::AccountId}-${AWS::Region}\" [us-east-1, us-west-2, eu-west-1]\n"),
        "{}",
        r.stdout
    );
    assert!(aws.list_stack_sets().await.unwrap().is_empty());
    // And every instance's stack with them.
    for (region, stack) in &regional {
        assert!(aws.describe_stack(region, &stack.id).await.unwrap().is_none(), "{region}");
    }
}
