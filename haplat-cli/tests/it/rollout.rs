//! Progressive rollout: `deploy --dry-run --canary-region R --bake-time D` shows each stack
//! set's stages (the first region alone, the bake watching the stack set's alarms, then the
//! others); the executor runs them against the fake (a failed bake stops the rollout with the
//! other regions untouched); the health bake against the fake of the operators' calls (an
//! alarm in ALARM in the first region stops it, one elsewhere does not); bad flags are usage
//! errors.

use std::sync::Mutex;
use std::time::Duration;

use haplat_cli::assembly::Assembly;
use haplat_cli::events::Collect;
use haplat_cli::executor::Executor;
use haplat_cli::failure::ExecError;
use haplat_cli::health::Retry;
use haplat_cli::plan::{PlanOptions, plan_deploy};
use haplat_cli::rollout::{Bake, HealthBake};

use crate::fake::Fake;
use crate::harness::{Project, Source, bootstrap, fixture, run, waits};
use crate::observe_fake::FakeObserve;

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

/// A bake that answers from a script and records what it was asked.
struct Scripted {
    fail: Option<&'static str>,
    asked: Mutex<Vec<String>>,
}

impl Bake for Scripted {
    fn bake<'a>(
        &'a self,
        stack: &'a str,
        region: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>> {
        self.asked.lock().unwrap().push(format!("{stack} {region}"));
        let r = match self.fail {
            Some(why) if stack == "Data" => Err(why.to_owned()),
            _ => Ok(()),
        };
        Box::pin(async move { r })
    }
}

async fn staged(fake: &Fake, bake: &Scripted) -> Result<(), ExecError> {
    let assembly = Assembly::load(&fixture("basic")).unwrap();
    let plan = plan_deploy(&assembly, &PlanOptions::default()).unwrap();
    let sink = Collect::default();
    Executor::new(fake, &sink, waits()).with_rollout("us-west-2", bake).deploy(&assembly, &plan, &bootstrap()).await
}

#[tokio::test(start_paused = true)]
async fn each_stack_set_goes_to_the_first_region_alone_then_the_rest_after_its_bake() {
    let fake = Fake::default();
    let bake = Scripted { fail: None, asked: Mutex::new(Vec::new()) };
    staged(&fake, &bake).await.unwrap();
    let calls = fake.calls();
    let data: Vec<&String> = calls.iter().filter(|c| c.contains(" Data")).collect();
    assert_eq!(
        data,
        [
            "create_stack_set Data",
            "create_stack_instances Data us-west-2",
            "create_stack_instances Data us-east-1,eu-west-1"
        ],
        "{calls:?}"
    );
    // Every stack set deployed to us-west-2 and elsewhere was baked there, in wave order.
    assert_eq!(*bake.asked.lock().unwrap(), ["Data us-west-2", "Network us-west-2", "App us-west-2"]);
}

#[tokio::test(start_paused = true)]
async fn an_alarm_in_the_first_region_stops_the_rollout_and_leaves_the_others_untouched() {
    let fake = Fake::default();
    let bake = Scripted {
        fail: Some("alarm Data/Orders/ThrottleAlarm is in ALARM: Threshold Crossed"),
        asked: Mutex::new(Vec::new()),
    };
    let e = staged(&fake, &bake).await.unwrap_err();
    assert!(matches!(e, ExecError::RolloutStopped { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "Data: rollout stopped after us-west-2: alarm Data/Orders/ThrottleAlarm is in ALARM: Threshold Crossed; \
         left as they were: us-east-1, eu-west-1"
    );
    // Data: us-west-2 has the new version, no other region was touched. Network, of the same
    // wave, passed its own bake and ran to its end (a wave's stack sets finish what they
    // started); no later wave (App) started.
    let calls = fake.calls();
    assert_eq!(
        calls.iter().filter(|c| c.contains(" Data")).collect::<Vec<_>>(),
        ["create_stack_set Data", "create_stack_instances Data us-west-2"]
    );
    assert!(calls.iter().any(|c| c == "create_stack_instances Network eu-west-1"), "{calls:?}");
    assert!(!calls.iter().any(|c| c.contains(" App")), "{calls:?}");
    let error = haplat_cli::Error::from_exec("deploy", e, Vec::new(), &["Data".into(), "Network".into()]);
    assert_eq!(error.exit_code(), haplat_cli::exit::UNHEALTHY);
}

/// The ops fixture (one stack set, `Api`, in three regions) deployed on both fakes.
fn ops_deployed() -> (Fake, FakeObserve, Assembly) {
    let a = Assembly::load(&fixture("ops")).unwrap();
    let cfn = Fake::default();
    let regions: Vec<String> = ["us-east-1", "us-west-2", "eu-west-1"].iter().map(|r| r.to_string()).collect();
    cfn.deployed("Api", &a.template("Api").body, &regions);
    let obs = FakeObserve::deployed(&a);
    (cfn, obs, a)
}

#[tokio::test(start_paused = true)]
async fn the_health_bake_watches_the_first_region_for_the_whole_bake() {
    let (cfn, obs, a) = ops_deployed();
    // An alarm in ALARM in another region does not stop a bake in us-west-2.
    obs.with(|s| s.alarms.get_mut("eu-west-1-CatalogErrorRate").unwrap().state = "ALARM".into());
    let bake = HealthBake {
        cfn: &cfn,
        obs: &obs,
        assembly: &a,
        bake: Duration::from_secs(600),
        poll: Duration::from_secs(30),
        retry: Retry::default(),
    };
    let start = tokio::time::Instant::now();
    bake.bake("Api", "us-west-2").await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(600), "it waits the whole bake");

    // In the first region it stops the rollout, naming the alarm.
    obs.with(|s| {
        let alarm = s.alarms.get_mut("us-west-2-CatalogErrorRate").unwrap();
        alarm.state = "ALARM".into();
        alarm.reason = "Threshold Crossed: 1 datapoint [12.0] > 5.0".into();
    });
    let why = bake.bake("Api", "us-west-2").await.unwrap_err();
    assert!(why.starts_with("unhealthy in us-west-2 0 s into the 600 s bake: "), "{why}");
    assert!(why.contains("alarm Api/Monitoring/catalogService/ErrorRate is in ALARM: Threshold Crossed"), "{why}");
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

#[test]
fn the_apps_rollout_applies_unless_the_flags_say_otherwise() {
    let dir = with_alarm();
    let mpath = dir.path().join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&mpath).unwrap()).unwrap();
    m["rollout"] = serde_json::json!({"firstRegion": "eu-west-1", "bakeSeconds": 900});
    std::fs::write(&mpath, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    let p = Project::new(Source::Dir(dir.path().to_owned()));
    let dry = |args: &[&str]| {
        let mut all = vec!["deploy", "--dry-run"];
        all.extend(args);
        let r = run(&mut p.haplat(&all));
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
    };
    // The app's, from the manifest.
    let out = dry(&[]);
    assert!(
        out.contains(
            "progressive rollout (the app's; --no-rollout deploys every region at once): eu-west-1 first, bake 900s"
        ),
        "{out}"
    );
    assert!(out.contains("  stack set Data\n    stage 1: eu-west-1\n"), "{out}");
    // The flags win; --no-rollout turns it off.
    let out = dry(&["--canary-region", "us-west-2", "--bake-time", "2m"]);
    assert!(out.contains("progressive rollout: us-west-2 first, bake 120s"), "{out}");
    assert!(!dry(&["--no-rollout"]).contains("progressive rollout"));
    // A deploy that does not touch the first region is not a rollout.
    let out = dry(&["--regions", "us-east-1"]);
    assert!(!out.contains("progressive rollout"), "{out}");
    let r = run(&mut p.haplat(&["deploy", "--dry-run", "--no-rollout", "--canary-region", "us-west-2"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
}
