//! Progressive rollout: `deploy --dry-run --canary-region R --bake-time D` shows each stack
//! set's stages (the first region alone, the bake watching the stack set's alarms, then the
//! others); the executor runs them against the fake (a failed bake stops the rollout with the
//! other regions untouched); the health bake against the fake of the operators' calls (an
//! alarm in ALARM in the first region stops it, one elsewhere does not); bad flags are usage
//! errors.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use haplat_cli::assembly::Assembly;
use haplat_cli::events::Collect;
use haplat_cli::executor::Executor;
use haplat_cli::failure::ExecError;
use haplat_cli::health::Retry;
use haplat_cli::plan::{PlanOptions, plan_deploy};
use haplat_cli::rollout::{Bake, HealthBake, RolloutPolicy};
use haplat_core::manifest::Deployment;

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
        accounts: &'a [String],
        bake: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>> {
        let account = if accounts.is_empty() { String::new() } else { format!(" of {}", accounts.join(",")) };
        self.asked.lock().unwrap().push(format!("{stack} {region}{account} {}s", bake.as_secs()));
        let r = match self.fail {
            Some(why) if stack == "Data" => Err(why.to_owned()),
            _ => Ok(()),
        };
        Box::pin(async move { r })
    }
}

async fn staged(fake: &Fake, bake: &Scripted) -> Result<(), ExecError> {
    let assembly = Assembly::load(&fixture("basic")).unwrap();
    staged_with(fake, bake, &assembly, &RolloutPolicy::given("us-west-2".into(), None, Duration::from_secs(600))).await
}

async fn staged_with(
    fake: &Fake,
    bake: &Scripted,
    assembly: &Assembly,
    policy: &RolloutPolicy,
) -> Result<(), ExecError> {
    let plan = plan_deploy(assembly, &PlanOptions::default()).unwrap();
    let sink = Collect::default();
    Executor::new(fake, &sink, waits()).with_rollout(policy, bake).deploy(assembly, &plan, &bootstrap()).await
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
    assert_eq!(*bake.asked.lock().unwrap(), ["Data us-west-2 600s", "Network us-west-2 600s", "App us-west-2 600s"]);
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
        caller: "111111111111".into(),
        accounts: BTreeMap::new(),
        assembly: &a,
        poll: Duration::from_secs(30),
        retry: Retry::default(),
    };
    let start = tokio::time::Instant::now();
    bake.bake("Api", "us-west-2", &[], Duration::from_secs(600)).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(600), "it waits the whole bake");

    // In the first region it stops the rollout, naming the alarm.
    obs.with(|s| {
        let alarm = s.alarms.get_mut("us-west-2-CatalogErrorRate").unwrap();
        alarm.state = "ALARM".into();
        alarm.reason = "Threshold Crossed: 1 datapoint [12.0] > 5.0".into();
    });
    let why = bake.bake("Api", "us-west-2", &[], Duration::from_secs(600)).await.unwrap_err();
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

/// The `basic` fixture with `Data` deployed to two accounts and the app's rollout `rollout`.
fn two_accounts(rollout: serde_json::Value) -> tempfile::TempDir {
    let dir = with_alarm();
    let mpath = dir.path().join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&mpath).unwrap()).unwrap();
    for s in m["stacks"].as_array_mut().unwrap() {
        if s["name"] == "Data" {
            s["deployment"] = serde_json::to_value(Deployment::Accounts {
                accounts: vec!["222222222222".into(), "333333333333".into(), "444444444444".into()],
            })
            .unwrap();
        }
    }
    m["rollout"] = rollout;
    std::fs::write(&mpath, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    dir
}

/// Each call of stack set `stack` with the accounts it targeted, in order.
fn targeted(fake: &Fake, stack: &str) -> Vec<String> {
    let s = fake.state.lock().unwrap();
    let calls: Vec<&String> =
        s.calls.iter().filter(|c| c.ends_with(stack) || c.contains(&format!(" {stack} "))).collect();
    let targets: Vec<&(String, String, Vec<String>)> = s.targets.iter().filter(|(_, n, _)| n == stack).collect();
    let mut t = targets.iter();
    calls
        .iter()
        .map(|c| match c.starts_with("create_stack_instances") || c.starts_with("update_stack_set") {
            true => format!("{c} [{}]", t.next().map(|(_, _, a)| a.join(",")).unwrap_or_default()),
            false => c.to_string(),
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_first_account_goes_alone_first_then_its_other_regions_then_the_other_accounts() {
    let dir = two_accounts(serde_json::json!({"firstRegion": "us-west-2", "bakeSeconds": 600}));
    let assembly = Assembly::load(dir.path()).unwrap();
    let policy = RolloutPolicy::given("us-west-2".into(), Some("333333333333".into()), Duration::from_secs(600));
    let fake = Fake::default();
    let bake = Scripted { fail: None, asked: Mutex::new(Vec::new()) };
    staged_with(&fake, &bake, &assembly, &policy).await.unwrap();
    assert_eq!(
        targeted(&fake, "Data"),
        [
            "create_stack_set Data",
            "create_stack_instances Data us-west-2 [333333333333]",
            "create_stack_instances Data us-east-1,eu-west-1 [333333333333]",
            "create_stack_instances Data us-east-1,us-west-2,eu-west-1 [222222222222,444444444444]",
        ]
    );
    // Data's bake was in the first account; the other stack sets (this account) by region.
    assert_eq!(
        *bake.asked.lock().unwrap(),
        ["Data us-west-2 of 333333333333 600s", "Network us-west-2 600s", "App us-west-2 600s"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_bake_in_the_first_account_leaves_its_other_regions_and_the_other_accounts_untouched() {
    let dir = two_accounts(serde_json::json!({"firstRegion": "us-west-2", "bakeSeconds": 600}));
    let assembly = Assembly::load(dir.path()).unwrap();
    let policy = RolloutPolicy::given("us-west-2".into(), Some("333333333333".into()), Duration::from_secs(600));
    let fake = Fake::default();
    let bake = Scripted { fail: Some("alarm Data/Orders/ThrottleAlarm is in ALARM"), asked: Mutex::new(Vec::new()) };
    let e = staged_with(&fake, &bake, &assembly, &policy).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "Data: rollout stopped after us-west-2 of account 333333333333: alarm Data/Orders/ThrottleAlarm is in ALARM; \
         left as they were: us-east-1, eu-west-1 of account 333333333333; us-east-1, us-west-2, eu-west-1 of accounts \
         222222222222, 444444444444"
    );
    assert_eq!(
        targeted(&fake, "Data"),
        ["create_stack_set Data", "create_stack_instances Data us-west-2 [333333333333]"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_stack_set_of_its_own_policy_has_its_bake_time_or_goes_at_once() {
    let assembly = Assembly::load(&fixture("basic")).unwrap();
    let mut policy = RolloutPolicy::given("us-west-2".into(), None, Duration::from_secs(600));
    policy.stacks.insert("Data".into(), None);
    policy.stacks.insert("Network".into(), Some(Duration::from_secs(60)));
    let fake = Fake::default();
    let bake = Scripted { fail: None, asked: Mutex::new(Vec::new()) };
    staged_with(&fake, &bake, &assembly, &policy).await.unwrap();
    let calls = fake.calls();
    assert_eq!(
        calls.iter().filter(|c| c.contains(" Data")).collect::<Vec<_>>(),
        ["create_stack_set Data", "create_stack_instances Data us-east-1,us-west-2,eu-west-1"],
    );
    assert_eq!(*bake.asked.lock().unwrap(), ["Network us-west-2 60s", "App us-west-2 600s"]);
}

#[test]
fn the_dry_run_shows_the_apps_first_account_and_each_stack_sets_policy() {
    let dir = two_accounts(serde_json::json!({
        "firstRegion": "us-west-2", "firstAccount": "333333333333", "bakeSeconds": 600,
        "stacks": {"Network": "allAtOnce", "App": {"bakeSeconds": 60}}
    }));
    let p = Project::new(Source::Dir(dir.path().to_owned()));
    let r = run(&mut p.haplat(&["deploy", "--dry-run"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = &r.stdout;
    assert!(out.contains("us-west-2 of account 333333333333 first, bake 600s"), "{out}");
    assert!(
        out.contains(
            "  stack set Data\n    stage 1: us-west-2 of account 333333333333\n    bake 600s watching 1 alarm(s) in \
             us-west-2 of account 333333333333:\n      Data/Orders/ThrottleAlarm (orders-throttles-${AWS::Region})\n    \
             stage 2: us-east-1, eu-west-1 of account 333333333333 (only if every alarm stayed OK; else stop, this \
             stage and the later ones untouched)\n    stage 3: us-east-1, us-west-2, eu-west-1 of accounts \
             222222222222, 444444444444\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("  stack set Network\n    one stage: us-east-1, us-west-2, eu-west-1 (its own policy deploys it all at once)\n"),
        "{out}"
    );
    assert!(out.contains("  stack set App\n    stage 1: us-west-2\n    bake 60s: no alarm"), "{out}");
    // A malformed --canary-account is a usage error naming the flag.
    let r = run(&mut p.haplat(&["deploy", "--dry-run", "--canary-region", "us-west-2", "--canary-account", "33"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("--canary-account") && r.stderr.contains("not a 12-digit AWS account id"),
        "{}",
        r.stderr
    );
}

#[tokio::test(start_paused = true)]
async fn the_health_bake_in_another_account_reads_it_through_its_read_role() {
    let (cfn, caller_obs, a) = ops_deployed();
    // The first account's instances (the fake's are all of 111111111111), read with its own
    // observer: an alarm in ALARM there stops the bake; the caller's observer is not read.
    let other = FakeObserve::deployed(&a);
    other.with(|s| s.alarms.get_mut("us-west-2-CatalogErrorRate").unwrap().state = "ALARM".into());
    let bake = HealthBake {
        cfn: &cfn,
        obs: &caller_obs,
        caller: "999999999999".into(),
        accounts: BTreeMap::from([("111111111111".to_owned(), other)]),
        assembly: &a,
        poll: Duration::from_secs(30),
        retry: Retry::default(),
    };
    let why = bake.bake("Api", "us-west-2", &["111111111111".into()], Duration::from_secs(600)).await.unwrap_err();
    assert!(why.starts_with("unhealthy in us-west-2 of account 111111111111 0 s into the 600 s bake: "), "{why}");
    assert!(
        cfn.state.lock().unwrap().assumed.iter().all(|r| r == "arn:aws:iam::111111111111:role/haplat-outputs-reader"),
        "the stack is read through the read role"
    );
    assert!(!cfn.state.lock().unwrap().assumed.is_empty());
    // An account with no reader is one line, not a guess.
    let why = bake.bake("Api", "us-west-2", &["555555555555".into()], Duration::from_secs(600)).await.unwrap_err();
    assert_eq!(why, "its health in account 555555555555 cannot be read: no reader for that account");
}

/// The `basic` fixture with Data in three accounts, and Data's output `Version` `description`.
fn data_in_three_accounts(dir: &std::path::Path, description: &str) -> Assembly {
    for f in std::fs::read_dir(fixture("basic")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dir.join(f.file_name().unwrap())).unwrap();
    }
    let path = dir.join("Data.template.json");
    let mut t: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    t["Description"] = format!("haplat fixture: data {description}").into();
    t["Outputs"]["Version"] = serde_json::json!({"Value": description});
    std::fs::write(&path, serde_json::to_string_pretty(&t).unwrap()).unwrap();
    let mpath = dir.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&mpath).unwrap()).unwrap();
    for s in m["stacks"].as_array_mut().unwrap() {
        if s["name"] == "Data" {
            s["templateBytes"] = std::fs::metadata(&path).unwrap().len().into();
            s["deployment"] = serde_json::to_value(Deployment::Accounts {
                accounts: vec!["222222222222".into(), "333333333333".into(), "444444444444".into()],
            })
            .unwrap();
        }
    }
    std::fs::write(&mpath, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    Assembly::load(dir).unwrap()
}

/// End to end on moto: a change of a stack set in three accounts, rolled out to a first
/// account. Its bake fails: the first account's us-west-2 has the change, every other instance
/// is still on the old template; the next deploy (bake passing) brings every instance to it.
#[tokio::test]
async fn a_first_account_rollout_on_moto_stops_with_the_other_accounts_on_the_old_template() {
    use haplat_cli::cfn::CloudFormation;

    let moto = crate::harness::Moto::start();
    let aws = moto.aws().await;
    let boot = haplat_cli::bootstrap::Bootstrap { account: "123456789012".into(), ..bootstrap() };
    let policy = RolloutPolicy::given("us-west-2".into(), Some("333333333333".into()), Duration::from_secs(60));
    let deploy = |assembly: Assembly, fail: Option<&'static str>| {
        let (aws, boot, policy) = (&aws, &boot, &policy);
        async move {
            let plan =
                plan_deploy(&assembly, &PlanOptions { stacks: vec!["Data".into()], ..Default::default() }).unwrap();
            let bake = Scripted { fail, asked: Mutex::new(Vec::new()) };
            let sink = Collect::default();
            let r = Executor::new(aws, &sink, waits()).with_rollout(policy, &bake).deploy(&assembly, &plan, boot).await;
            (r, bake.asked.into_inner().unwrap())
        }
    };
    // Each instance, by account and region, with its status and its stack's `Version` output
    // (read in its account through the read role, as bindings do; moto gives the assumed
    // credentials the role's account).
    let described = || async {
        let mut out = Vec::new();
        for i in aws.list_stack_instances("Data").await.unwrap() {
            let full = aws.describe_stack_instance("Data", &i.account, &i.region).await.unwrap();
            let role = haplat_cli::bindings::read_role_arn(&i.account, &i.region);
            let stack = aws.instance_stack_as("Data", &full, &role).await.unwrap().expect("its stack");
            out.push(format!("{} {} {}", i.account, i.region, stack.outputs["Version"]));
        }
        out.sort();
        out
    };
    let v1 = tempfile::tempdir().unwrap();
    let (r, asked) = deploy(data_in_three_accounts(v1.path(), "v1"), None).await;
    r.unwrap();
    assert_eq!(asked, ["Data us-west-2 of 333333333333 60s"]);
    let all = described().await;
    assert_eq!(all.len(), 9, "{all:?}");
    assert!(all.iter().all(|i| i.ends_with(" v1")), "{all:?}");

    let v2 = tempfile::tempdir().unwrap();
    let (r, _) = deploy(data_in_three_accounts(v2.path(), "v2"), Some("alarm in ALARM")).await;
    let e = r.unwrap_err();
    assert!(
        e.to_string().starts_with("Data: rollout stopped after us-west-2 of account 333333333333: alarm in ALARM"),
        "{e}"
    );
    let all = described().await;
    let changed: Vec<&String> = all.iter().filter(|i| i.ends_with(" v2")).collect();
    assert_eq!(changed, ["333333333333 us-west-2 v2"], "{all:?}");

    let (r, asked) = deploy(data_in_three_accounts(v2.path(), "v2"), None).await;
    r.unwrap();
    assert_eq!(asked, ["Data us-west-2 of 333333333333 60s"]);
    let all = described().await;
    assert!(all.iter().all(|i| i.ends_with(" v2")), "{all:?}");
}
