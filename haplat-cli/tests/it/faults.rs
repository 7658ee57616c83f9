//! Faults: each gives one clear error and leaves nothing half-done unreported.

use std::net::TcpListener;

use haplat_cli::cfn::CloudFormation;
use serde_json::Value;

use crate::harness::{Moto, Project, Source, fixture, free_port, run};
use crate::snap;

/// A copy of a fixture with one template changed (sizes in the manifest kept right).
fn changed_fixture(
    dir: &std::path::Path,
    name: &str,
    stack: &str,
    change: impl FnOnce(&mut Value),
) -> std::path::PathBuf {
    let out = dir.join("assembly-src");
    std::fs::create_dir_all(&out).unwrap();
    for f in std::fs::read_dir(fixture(name)).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), out.join(f.file_name())).unwrap();
    }
    let tpath = out.join(format!("{stack}.template.json"));
    let mut t: Value = serde_json::from_str(&std::fs::read_to_string(&tpath).unwrap()).unwrap();
    change(&mut t);
    let body = serde_json::to_string_pretty(&t).unwrap() + "\n";
    std::fs::write(&tpath, &body).unwrap();
    let mpath = out.join("manifest.json");
    let mut m: Value = serde_json::from_str(&std::fs::read_to_string(&mpath).unwrap()).unwrap();
    for s in m["stacks"].as_array_mut().unwrap() {
        if s["name"] == stack {
            s["templateBytes"] = body.len().into();
            s["requiresUpload"] = (body.len() > haplat_core::manifest::INLINE_TEMPLATE_LIMIT).into();
        }
    }
    std::fs::write(&mpath, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_rejected_template_says_where_and_what_was_done() {
    let moto = Moto::start();
    let p = Project::new(Source::Fixture("basic"));
    let src = changed_fixture(p.path(), "basic", "Network", |t| {
        t["Resources"]["AlertsTopic"]["Properties"]["TopicName"] = "not:valid".into();
    });
    p.switch(Source::Dir(src));
    let haplat = |args: &[&str]| {
        let mut cmd = p.haplat(args);
        moto.env(&mut cmd);
        run(&mut cmd)
    };
    assert_eq!(haplat(&["bootstrap"]).code, 0);
    // One stack set at a time: the snapshot's lines keep one order.
    let r = haplat(&["deploy", "--yes", "--plain", "--concurrency", "1"]);
    snap!("fault_rejected_template", r.snapshot(p.path()));
    assert_eq!(r.code, 1);
    // Data was deployed and is said to be; App was not started.
    let aws = moto.aws().await;
    assert_eq!(aws.list_stack_instances("Data").await.unwrap().len(), 3);
    assert!(aws.describe_stack_set("App").await.unwrap().is_none());
    moto.reset();
    assert!(aws.list_stack_sets().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_large_template_goes_through_the_bootstrap_bucket() {
    let moto = Moto::start();
    let p = Project::new(Source::Fixture("basic"));
    let src = changed_fixture(p.path(), "basic", "Data", |t| {
        t["Metadata"] = serde_json::json!({ "Padding": "x".repeat(60_000) });
    });
    p.switch(Source::Dir(src));
    let haplat = |args: &[&str]| {
        let mut cmd = p.haplat(args);
        moto.env(&mut cmd);
        run(&mut cmd)
    };
    assert_eq!(haplat(&["bootstrap"]).code, 0);
    let plan = haplat(&["deploy", "--dry-run", "Data"]);
    assert!(plan.stdout.contains("bytes, uploaded to the bootstrap bucket)"), "{}", plan.stdout);
    let r = haplat(&["deploy", "--yes", "--plain", "Data"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("Data: upload template to s3://haplatbootstrap-templatebucket-"), "{}", r.stderr);
    let aws = moto.aws().await;
    let set = aws.describe_stack_set("Data").await.unwrap().unwrap();
    assert!(set.template_body.len() > 60_000);
    assert_eq!(haplat(&["diff", "--fail", "Data"]).code, 0);
}

#[test]
fn no_credentials_is_one_line_and_exit_4() {
    let p = Project::new(Source::Fixture("basic"));
    // An endpoint on 127.0.0.1 that nobody listens on: credentials fail first, nothing leaves.
    let mut cmd = p.haplat(&["status", "--region", "us-east-1"]);
    cmd.env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{}", free_port()));
    let r = run(&mut cmd);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "error: listing stack sets: no AWS credentials found (none in the environment, the profiles \
            or SSO); set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or log in with `aws \
            sso login`\n"
    );
}

#[test]
fn no_region_is_a_usage_error() {
    let p = Project::new(Source::Fixture("basic"));
    let r = run(&mut p.haplat(&["status"]));
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (2, "error: no administration region: pass --region or set AWS_REGION (or a region in your AWS profile)\n")
    );
}

#[test]
fn an_endpoint_that_refuses_or_does_not_answer_is_one_line_and_exit_4() {
    let p = Project::new(Source::Fixture("basic"));
    let with = |endpoint: String| {
        let mut cmd = p.haplat(&["diff", "--region", "us-east-1"]);
        cmd.env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("HAPLAT_HTTP_TIMEOUT", "0.5")
            .env("AWS_MAX_ATTEMPTS", "1");
        run(&mut cmd)
    };
    // Nobody listens.
    let r = with(format!("http://127.0.0.1:{}", free_port()));
    assert_eq!(r.code, 4, "{}", r.stderr);
    let last = r.stderr.lines().last().unwrap();
    assert!(
        last.starts_with(
            "error: reading the bootstrap stack HaplatBootstrap in us-east-1: cannot reach http://127.0.0.1:"
        ),
        "{}",
        r.stderr
    );
    assert!(last.ends_with(": connection refused"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().filter(|l| l.starts_with("error")).count(), 1, "{}", r.stderr);
    // Someone listens and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let start = std::time::Instant::now();
    let r = with(format!("http://127.0.0.1:{port}"));
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.lines().last().unwrap().contains("no answer in time"), "{}", r.stderr);
    assert!(start.elapsed().as_secs() < 20);
    drop(silent);
}
