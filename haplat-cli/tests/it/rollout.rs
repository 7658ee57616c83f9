//! Progressive rollout, the plan part: `deploy --dry-run --canary-region R --bake-time D` shows
//! each stack set's stages (the first region alone, the bake watching the stack set's alarms,
//! then the others); a deploy with a rollout policy is refused before any AWS call (haplat-cli
//! cannot read the alarms' states); bad flags are usage errors.

use crate::harness::{Project, Source, fixture, run};

/// The basic fixture with a CloudWatch alarm in the Data stack set.
fn with_alarm() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(fixture("basic")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dir.path().join(f.file_name().unwrap())).unwrap();
    }
    let path = dir.path().join("Data.template.json");
    let mut t: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    t["Resources"]["ThrottleAlarm"] = serde_json::json!({
        "Type": "AWS::CloudWatch::Alarm",
        "Metadata": {"haplat:path": "Data/Orders/ThrottleAlarm"},
        "Properties": {"AlarmName": {"Fn::Sub": "orders-throttles-${AWS::Region}"}, "MetricName": "ThrottledRequests",
                       "Namespace": "AWS/DynamoDB", "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1,
                       "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold"}
    });
    std::fs::write(&path, serde_json::to_string_pretty(&t).unwrap()).unwrap();
    // The manifest pins each template's size.
    let mpath = dir.path().join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&mpath).unwrap()).unwrap();
    let bytes = std::fs::metadata(&path).unwrap().len();
    for s in m["stacks"].as_array_mut().unwrap() {
        if s["name"] == "Data" {
            s["templateBytes"] = bytes.into();
            s["resources"]["ThrottleAlarm"] = serde_json::json!({
                "type": "AWS::CloudWatch::Alarm", "path": "Data/Orders/ThrottleAlarm", "stateful": false,
                "createOnly": ["AlarmName"], "deletionPolicy": "Delete"
            });
        }
    }
    std::fs::write(&mpath, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    dir
}

#[test]
fn the_dry_run_shows_the_canary_stage_the_bake_and_the_rest() {
    let dir = with_alarm();
    let p = Project::new(Source::Dir(dir.path().to_owned()));
    let r = run(&mut p.haplat(&["deploy", "--dry-run", "--canary-region", "us-west-2", "--bake-time", "20m"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = &r.stdout;
    assert!(out.contains("progressive rollout: us-west-2 first, bake 1200s"), "{out}");
    let data = &out[out.find("  stack set Data\n    stage 1").expect(out)..];
    assert!(
        data.starts_with(
            "  stack set Data\n    stage 1: us-west-2\n    bake 1200s watching 1 alarm(s) in us-west-2:\n      \
             Data/Orders/ThrottleAlarm (orders-throttles-${AWS::Region})\n    stage 2: us-east-1, eu-west-1 (only if \
             every alarm stayed OK; else stop, these regions untouched)\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("  stack set App\n    stage 1: us-west-2\n    bake 1200s: no alarm in this stack set to watch\n"),
        "{out}"
    );
}

#[test]
fn a_deploy_with_a_rollout_policy_is_refused_before_any_change() {
    let p = Project::new(Source::Fixture("basic"));
    // No AWS endpoint is reachable: the refusal comes before any call.
    let r = run(p
        .haplat(&["deploy", "--yes", "--canary-region", "us-east-1"])
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9"));
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr.contains("--canary-region us-east-1: progressive rollout needs the alarms' states"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("nothing was changed"), "{}", r.stderr);
}

#[test]
fn bad_rollout_flags_are_usage_errors() {
    let p = Project::new(Source::Fixture("basic"));
    let r = run(&mut p.haplat(&["deploy", "--dry-run", "--canary-region", "ap-south-1"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--canary-region ap-south-1: the plan deploys no stack set there"), "{}", r.stderr);
    let r = run(&mut p.haplat(&["deploy", "--dry-run", "--canary-region", "us-east-1", "--bake-time", "5d"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("unit must be s, m or h"), "{}", r.stderr);
    let r = run(&mut p.haplat(&["deploy", "--dry-run", "--bake-time", "5m"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
}
