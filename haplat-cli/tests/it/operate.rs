//! The operators' commands against the fakes (`fixtures/ops`: one stack set in three regions
//! with a region health check, a blue/green service, alarms, an SLO and an FIS template):
//! `haplat health` healthy and unhealthy, throttling retried, a denied call, a region that does
//! not answer; `failover` refusing to take the last healthy region out, its timeline, its
//! timeout, `--to`, and `failback`; `drill` listing, stopped at its longest duration, objective
//! met and missed.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use haplat_cli::assembly::Assembly;
use haplat_cli::cfn::CfnError;
use haplat_cli::drill::{DrillOptions, drill, list};
use haplat_cli::exit;
use haplat_cli::failover::{Move, Wait, run as move_traffic};
use haplat_cli::health::{Only, Retry, health, text};
use haplat_cli::observe::Target;

use crate::fake::Fake;
use crate::harness::{Project, Source, fixture, run};
use crate::observe_fake::{FakeObserve, physical};

const REGIONS: [&str; 3] = ["us-east-1", "us-west-2", "eu-west-1"];
const CHECK: &str = "RegionHealthCheck";

fn assembly() -> Assembly {
    Assembly::load(&fixture("ops")).unwrap()
}

fn deployed() -> (Fake, FakeObserve, Assembly) {
    let a = assembly();
    let cfn = Fake::default();
    let regions: Vec<String> = REGIONS.iter().map(|r| r.to_string()).collect();
    cfn.deployed("Api", &a.template("Api").body, &regions);
    let obs = FakeObserve::deployed(&a);
    (cfn, obs, a)
}

fn region_check(region: &str) -> String {
    physical(region, CHECK, "AWS::Route53::HealthCheck")
}

fn retry() -> Retry {
    Retry { first: Duration::from_secs(1), max: Duration::from_secs(4), retries: 3 }
}

fn denied() -> CfnError {
    CfnError::service(
        "AccessDenied",
        "User: arn:aws:iam::1:user/x is not authorized to perform: elasticloadbalancing:DescribeTargetHealth",
    )
}

#[tokio::test(start_paused = true)]
async fn a_healthy_platform_is_healthy_everywhere() {
    let (cfn, obs, a) = deployed();
    // The idle target group's region-health alarm is in ALARM at rest: it does not page.
    obs.with(|s| s.alarms.get_mut("us-east-1-CatalogAlternateTargets").unwrap().state = "ALARM".into());
    let report = health(&cfn, &obs, &a, &Only::default(), &retry()).await.unwrap();
    assert!(report.healthy, "{}", text(&report));
    assert_eq!(report.regions.len(), 3);
    let east = report.regions.iter().find(|r| r.region == "us-east-1").unwrap();
    assert_eq!(east.stack_sets[0].status, "CURRENT");
    assert_eq!(east.health_checks.iter().filter(|c| c.role == "region").count(), 1);
    assert_eq!(east.health_checks.iter().filter(|c| c.role == "child").count(), 3);
    assert_eq!(east.services.len(), 1);
    assert_eq!(east.services[0].service, "Api/catalog");
    assert!(east.services[0].healthy);
    assert_eq!(east.alarms.len(), 1);
    assert!(!east.alarms[0].pages);
    assert_eq!(east.slos.len(), 1);
    assert_eq!(east.slos[0].objective_percent, 99.95);
    assert_eq!(east.slos[0].window_minutes, 60);
    assert_eq!(east.slos[0].burn_rate, Some(0.0));
    assert_eq!(east.slos[0].budget_remaining, Some(1.0));
    let t = text(&report);
    assert!(t.ends_with("ops-fixture: healthy in 3 region(s)\n"), "{t}");
    assert!(t.contains("alarm Api/CatalogRegionHealth/AlternateTargets ALARM (does not page)"), "{t}");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["regions"][0]["healthChecks"][0]["role"], "region");
    assert_eq!(json["regions"][0]["slos"][0]["budgetRemaining"], 1.0);
}

#[tokio::test(start_paused = true)]
async fn a_paging_alarm_no_healthy_target_and_a_spent_budget_are_unhealthy() {
    let (cfn, obs, a) = deployed();
    obs.with(|s| {
        let alarm = s.alarms.get_mut("us-west-2-CatalogErrorRate").unwrap();
        alarm.state = "ALARM".into();
        alarm.reason = "Threshold Crossed: 1 datapoint [12.0] > 5.0".into();
        s.targets.insert(
            physical("us-west-2", "CatalogTargetGroup", "AWS::ElasticLoadBalancingV2::TargetGroup"),
            vec![Target {
                id: "10.1.1.10:8080".into(),
                state: "unhealthy".into(),
                reason: Some("Target.Timeout".into()),
            }],
        );
        s.base.insert(region_check("us-west-2"), Some(false));
        // 0.1% bad events over 30 days: twice the 0.05% budget.
        s.ratios.insert(30 * 24 * 3600, Some(0.001));
    });
    let report = health(&cfn, &obs, &a, &Only::default(), &retry()).await.unwrap();
    assert!(!report.healthy);
    let west = report.regions.iter().find(|r| r.region == "us-west-2").unwrap();
    assert!(!west.healthy);
    let live = west.services[0].target_groups.iter().find(|g| g.path == "Api/catalog/TargetGroup").unwrap();
    let p = west.problems.join("\n");
    assert!(p.contains("Route 53 reports the region unhealthy (Api/RegionHealth/Check"), "{p}");
    assert!(p.contains("Api/catalog: 0 healthy and 1 unhealthy target(s)"), "{p}");
    assert!(p.contains("alarm Api/Monitoring/catalogService/ErrorRate is in ALARM: Threshold Crossed"), "{p}");
    assert!(p.contains("Api/catalogAvailability: the 30-day error budget is spent"), "{p}");
    assert_eq!(live.reasons, vec!["10.1.1.10:8080: Target.Timeout".to_owned()]);
    assert!(
        report.regions.iter().filter(|r| r.region != "us-west-2").all(|r| !r.healthy),
        "the budget is spent everywhere"
    );
    assert!(text(&report).ends_with("ops-fixture: UNHEALTHY in eu-west-1, us-east-1, us-west-2\n"));
}

#[tokio::test(start_paused = true)]
async fn throttled_reads_are_retried() {
    let (cfn, obs, a) = deployed();
    obs.with(|s| {
        s.errors.insert("alarms", vec![CfnError::Throttled("Rate exceeded".into()); 2].into());
        s.errors.insert("health_check_status", vec![CfnError::Throttled("Rate exceeded".into())].into());
    });
    let report = health(&cfn, &obs, &a, &Only::default(), &retry()).await.unwrap();
    assert!(report.healthy);
    assert!(obs.with(|s| s.errors.values().all(|q| q.is_empty())));
}

#[tokio::test(start_paused = true)]
async fn throttling_past_the_retries_fails_with_one_line() {
    let (cfn, obs, a) = deployed();
    obs.with(|s| s.errors.insert("alarms", vec![CfnError::Throttled("Rate exceeded".into()); 10].into()));
    let e = health(&cfn, &obs, &a, &Only::default(), &retry()).await.unwrap_err().to_string();
    assert!(e.starts_with("reading the alarms (DescribeAlarms) in "), "{e}");
    assert!(e.contains("throttled: Rate exceeded") && !e.contains('\n'), "{e}");
}

#[tokio::test(start_paused = true)]
async fn a_denied_call_is_one_clear_line() {
    let (cfn, obs, a) = deployed();
    obs.with(|s| s.errors.insert("target_health", vec![denied()].into()));
    let e = health(&cfn, &obs, &a, &Only::default(), &retry()).await.unwrap_err();
    assert_eq!(e.exit_code(), exit::FAILED);
    let line = e.to_string();
    assert!(
        line.starts_with("reading the targets of Api/catalog/") && line.contains(" in eu-west-1: AccessDenied: User: "),
        "{line}"
    );
    assert!(!line.contains('\n'));
}

#[tokio::test(start_paused = true)]
async fn expired_credentials_are_an_access_error() {
    let (cfn, obs, a) = deployed();
    let expired = CfnError::BadCredentials { code: "ExpiredToken".into(), message: "expired".into() };
    obs.with(|s| s.errors.insert("health_check_status", vec![expired].into()));
    let e = health(&cfn, &obs, &a, &Only::default(), &retry()).await.unwrap_err();
    assert_eq!(e.exit_code(), exit::ACCESS, "{e}");
}

#[tokio::test(start_paused = true)]
async fn a_region_that_does_not_answer_is_unhealthy_and_the_others_are_read() {
    let (cfn, obs, a) = deployed();
    obs.with(|s| s.unreachable.insert("eu-west-1".into()));
    let report = health(&cfn, &obs, &a, &Only::default(), &retry()).await.unwrap();
    assert!(!report.healthy);
    let eu = report.regions.iter().find(|r| r.region == "eu-west-1").unwrap();
    assert!(eu.unreachable.as_deref().is_some_and(|u| u.contains("cannot reach AWS in eu-west-1")), "{eu:?}");
    assert!(report.regions.iter().filter(|r| r.region != "eu-west-1").all(|r| r.healthy));
    assert!(text(&report).contains("eu-west-1: UNHEALTHY\n  did not answer: cannot reach AWS in eu-west-1"));
}

fn wait() -> Wait {
    Wait { timeout: Duration::from_secs(300), poll: Duration::from_secs(15) }
}

#[tokio::test(start_paused = true)]
async fn failover_refuses_to_take_the_last_healthy_region_out() {
    let (cfn, obs, a) = deployed();
    obs.with(|s| {
        s.base.insert(region_check("us-east-1"), Some(false));
        s.base.insert(region_check("eu-west-1"), None);
    });
    let e = move_traffic(&cfn, &obs, &a, &Move::Out(vec!["us-west-2".into()]), &wait(), &retry()).await.unwrap_err();
    assert_eq!(e.exit_code(), exit::REFUSED);
    let line = e.to_string();
    assert!(line.starts_with("taking us-west-2 out would leave no region that Route 53 reports healthy"), "{line}");
    assert!(line.contains("us-east-1 unhealthy") && line.contains("eu-west-1 without data"), "{line}");
    assert!(obs.calls().is_empty(), "nothing changed: {:?}", obs.calls());
}

#[tokio::test(start_paused = true)]
async fn failover_prints_a_timeline_until_route_53_agrees() {
    let (cfn, obs, a) = deployed();
    obs.with(|s| s.lag = 3);
    let t = move_traffic(&cfn, &obs, &a, &Move::Out(vec!["us-west-2".into()]), &wait(), &retry()).await.unwrap();
    assert!(t.settled);
    assert_eq!(
        obs.calls(),
        vec![format!("update_health_check {} threshold=Some(4) inverted=None", region_check("us-west-2"))]
    );
    let text = t.text();
    assert!(text.contains("[   0 s] us-west-2: set HealthThreshold of Api/RegionHealth/Check to 4 (above its children's count: always unhealthy)"), "{text}");
    assert!(text.contains("[   0 s] us-west-2: Route 53 reports healthy\n"), "{text}");
    assert!(text.contains("[  45 s] us-west-2: Route 53 reports unhealthy\n"), "{text}");
    assert!(text.contains("[  45 s] Route 53 agrees"), "{text}");
    // The others stay in; health says the region was taken out on purpose.
    let report = health(&cfn, &obs, &a, &Only::default(), &retry()).await.unwrap();
    let west = report.regions.iter().find(|r| r.region == "us-west-2").unwrap();
    assert!(west.health_checks[0].forced_out);
    assert!(west.healthy, "taken out on purpose: {:?}", west.problems);
    assert!(west.problems[0].contains("`haplat failback us-west-2` puts it back"));
}

#[tokio::test(start_paused = true)]
async fn failover_gives_up_waiting_at_the_timeout() {
    let (cfn, obs, a) = deployed();
    obs.with(|s| s.lag = 1000);
    let wait = Wait { timeout: Duration::from_secs(60), poll: Duration::from_secs(15) };
    let t = move_traffic(&cfn, &obs, &a, &Move::Out(vec!["eu-west-1".into()]), &wait, &retry()).await.unwrap();
    assert!(!t.settled);
    assert!(
        t.text().contains("[  60 s] gave up waiting after 60 s (--timeout); the change stays made"),
        "{}",
        t.text()
    );
}

#[tokio::test(start_paused = true)]
async fn failover_to_one_region_takes_the_others_out_and_failback_puts_them_back() {
    let (cfn, obs, a) = deployed();
    let others = haplat_cli::ops::failover::regions_out(
        &REGIONS.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
        &[],
        Some("us-east-1"),
    );
    assert_eq!(others, vec!["us-west-2".to_owned(), "eu-west-1".to_owned()]);
    let t = move_traffic(&cfn, &obs, &a, &Move::Out(others), &wait(), &retry()).await.unwrap();
    assert!(t.settled, "{}", t.text());
    assert_eq!(obs.calls().len(), 2);
    // Taking the last one out is refused.
    let e = move_traffic(&cfn, &obs, &a, &Move::Out(vec!["us-east-1".into()]), &wait(), &retry()).await.unwrap_err();
    assert_eq!(e.exit_code(), exit::REFUSED, "{e}");
    // Failback: both back to the template's threshold.
    let t = move_traffic(&cfn, &obs, &a, &Move::Back(vec![]), &wait(), &retry()).await.unwrap();
    assert!(t.settled, "{}", t.text());
    let calls = obs.calls();
    assert_eq!(calls.len(), 4, "{calls:?}");
    assert!(calls[2..].iter().all(|c| c.ends_with("threshold=Some(2) inverted=None")), "{calls:?}");
    assert!(
        t.text().contains("set HealthThreshold of Api/RegionHealth/Check to 2 (the template's value)"),
        "{}",
        t.text()
    );
    // Nothing left to undo.
    let t = move_traffic(&cfn, &obs, &a, &Move::Back(vec!["us-west-2".into()]), &wait(), &retry()).await.unwrap();
    assert!(t.text().contains("us-west-2: not taken out; nothing to undo"));
}

#[tokio::test(start_paused = true)]
async fn failback_undoes_an_inversion_made_by_hand() {
    let (cfn, obs, a) = deployed();
    obs.with(|s| s.checks.get_mut(&region_check("us-west-2")).unwrap().inverted = true);
    let t = move_traffic(&cfn, &obs, &a, &Move::Back(vec!["us-west-2".into()]), &wait(), &retry()).await.unwrap();
    assert!(t.settled, "{}", t.text());
    assert_eq!(
        obs.calls(),
        vec![format!("update_health_check {} threshold=Some(2) inverted=Some(false)", region_check("us-west-2"))]
    );
}

#[tokio::test(start_paused = true)]
async fn failover_names_an_unknown_region() {
    let (cfn, obs, a) = deployed();
    let e = move_traffic(&cfn, &obs, &a, &Move::Out(vec!["ap-south-1".into()]), &wait(), &retry()).await.unwrap_err();
    assert_eq!(e.exit_code(), exit::USAGE);
    assert_eq!(e.to_string(), "no region ap-south-1 in the assembly (regions: eu-west-1, us-east-1, us-west-2)");
}

fn drill_opts(max: u64) -> DrillOptions {
    DrillOptions {
        region: "us-west-2".into(),
        experiment: "stop-tasks-catalog".into(),
        max_duration: Duration::from_secs(max),
        poll: Duration::from_secs(10),
        recovery: Duration::from_secs(300),
    }
}

#[tokio::test(start_paused = true)]
async fn drill_lists_the_region_s_experiments() {
    let (cfn, obs, a) = deployed();
    let t = list(&cfn, &obs, &a, "us-west-2", &retry()).await.unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].name.as_deref(), Some("stop-tasks-catalog"));
    assert_eq!(t[0].path, "Api/Chaos/StopTaskscatalog");
    let e = list(&cfn, &obs, &a, "mars-1", &retry()).await.unwrap_err();
    assert_eq!(e.exit_code(), exit::USAGE);
}

#[tokio::test(start_paused = true)]
async fn drill_stops_the_experiment_at_its_longest_duration() {
    let (cfn, obs, a) = deployed();
    let r = drill(&cfn, &obs, &a, &drill_opts(60), Some(60.0), std::future::pending(), &retry()).await.unwrap();
    assert!(r.stopped_by_haplat);
    assert_eq!(r.final_state, "stopped");
    assert_eq!(r.verdict, "no failover");
    let calls = obs.calls();
    assert_eq!(
        calls[0],
        format!(
            "start_experiment us-west-2 {}",
            physical("us-west-2", "ChaosStopTaskscatalog", "AWS::FIS::ExperimentTemplate")
        )
    );
    assert_eq!(calls[1], "stop_experiment us-west-2 EXP1");
    assert!(
        r.timeline.text().contains("[  60 s] --max-duration reached: StopExperiment sent"),
        "{}",
        r.timeline.text()
    );
}

#[tokio::test(start_paused = true)]
async fn drill_stops_the_experiment_on_an_interrupt() {
    let (cfn, obs, a) = deployed();
    let interrupt = tokio::time::sleep(Duration::from_secs(25));
    let r = drill(&cfn, &obs, &a, &drill_opts(900), None, interrupt, &retry()).await.unwrap();
    assert!(r.stopped_by_haplat);
    assert!(r.timeline.text().contains("[  25 s] interrupted: StopExperiment sent"), "{}", r.timeline.text());
}

/// The region goes out after `down` seconds of drill and comes back `up` seconds in; the
/// experiment completes by itself after 120 s.
fn outage(obs: &FakeObserve, down: u64, up: u64) {
    let id = region_check("us-west-2");
    obs.with(|s| {
        let polls = 30;
        s.base_script = (0..polls)
            .map(|i| {
                let t = i * 10;
                BTreeMap::from([(id.clone(), Some(!(t >= down && t < up)))])
            })
            .collect();
        s.experiment_script = (0..polls)
            .map(|i| {
                if i == 0 {
                    "initiating"
                } else if i * 10 < 120 {
                    "running"
                } else {
                    "completed"
                }
                .to_owned()
            })
            .collect();
    });
}

#[tokio::test(start_paused = true)]
async fn drill_reports_the_objective_met() {
    let (cfn, obs, a) = deployed();
    outage(&obs, 40, 150);
    let r = drill(&cfn, &obs, &a, &drill_opts(900), Some(60.0), std::future::pending(), &retry()).await.unwrap();
    assert_eq!(r.unhealthy_after, Some(40));
    assert_eq!(r.recovered_after, Some(150));
    assert_eq!(r.failover_seconds, Some(100.0));
    assert_eq!(r.objective_seconds, Some(120));
    assert_eq!(r.verdict, "met");
    assert!(!r.stopped_by_haplat);
    let t = haplat_cli::drill::text(&r);
    assert!(
        t.contains("failover: 100 s (40 s until Route 53 marked it unhealthy + 60 s for DNS and the edge to follow)"),
        "{t}"
    );
    assert!(t.contains("objective appFailoverSeconds: 120 s: met"), "{t}");
}

#[tokio::test(start_paused = true)]
async fn drill_reports_the_objective_missed() {
    let (cfn, obs, a) = deployed();
    outage(&obs, 90, 200);
    obs.with(|s| s.alarms.get_mut("us-west-2-CatalogErrorRate").unwrap().state = "ALARM".into());
    let r = drill(&cfn, &obs, &a, &drill_opts(900), Some(60.0), std::future::pending(), &retry()).await.unwrap();
    assert_eq!(r.failover_seconds, Some(150.0));
    assert_eq!(r.verdict, "missed");
    assert_eq!(r.alarms, vec!["Api/Monitoring/catalogService/ErrorRate".to_owned()]);
}

#[tokio::test(start_paused = true)]
async fn drill_names_an_unknown_experiment() {
    let (cfn, obs, a) = deployed();
    let mut o = drill_opts(60);
    o.experiment = "region-isolation".into();
    let e = drill(&cfn, &obs, &a, &o, None, std::future::pending(), &retry()).await.unwrap_err();
    assert_eq!(e.exit_code(), exit::USAGE);
    assert_eq!(e.to_string(), "no experiment region-isolation in us-west-2 (experiments: stop-tasks-catalog)");
    assert!(obs.calls().is_empty());
}

#[tokio::test(start_paused = true)]
async fn drill_retries_throttled_calls_and_still_times_the_failover() {
    let (cfn, obs, a) = deployed();
    outage(&obs, 40, 150);
    obs.with(|s| {
        for call in ["start_experiment", "experiment", "alarms", "health_check_status"] {
            s.errors.insert(call, vec![CfnError::Throttled("Rate exceeded".into()); 2].into());
        }
    });
    let r = drill(&cfn, &obs, &a, &drill_opts(900), Some(60.0), std::future::pending(), &retry()).await.unwrap();
    // The backoff delays the polls (the outage is scripted per poll), never loses them.
    assert!(r.unhealthy_after.is_some_and(|t| t >= 40), "{:?}", r.unhealthy_after);
    assert_eq!(r.verdict, "met");
    assert!(obs.with(|s| s.errors.values().all(|q| q.is_empty())));
}

#[tokio::test(start_paused = true)]
async fn drill_a_denied_start_is_one_line_and_starts_nothing() {
    let (cfn, obs, a) = deployed();
    obs.with(|s| s.errors.insert("start_experiment", vec![denied()].into()));
    let e = drill(&cfn, &obs, &a, &drill_opts(900), None, std::future::pending(), &retry()).await.unwrap_err();
    assert_eq!(e.exit_code(), exit::FAILED);
    let line = e.to_string();
    assert!(line.starts_with("starting experiment Api/Chaos/StopTaskscatalog ("), "{line}");
    assert!(line.contains(" in us-west-2: AccessDenied: User: ") && !line.contains('\n'), "{line}");
    assert!(obs.calls().is_empty(), "{:?}", obs.calls());
}

#[tokio::test(start_paused = true)]
async fn drill_a_failure_after_the_start_stops_the_experiment_and_says_so() {
    let (cfn, obs, a) = deployed();
    // Reading the alarms is denied once the experiment runs: the drill cannot watch it, so it
    // stops it before failing.
    obs.with(|s| s.errors.insert("alarms", vec![denied()].into()));
    let e = drill(&cfn, &obs, &a, &drill_opts(900), None, std::future::pending(), &retry()).await.unwrap_err();
    let line = e.to_string();
    assert!(line.starts_with("reading the alarms in us-west-2 (experiment EXP1 stopped): AccessDenied"), "{line}");
    assert_eq!(obs.calls().last().map(String::as_str), Some("stop_experiment us-west-2 EXP1"));
}

#[tokio::test(start_paused = true)]
async fn drill_a_region_that_stops_answering_names_the_experiment_left_running() {
    let (cfn, obs, a) = deployed();
    let down = || CfnError::Unreachable { endpoint: "AWS in us-west-2".into(), message: "no answer in time".into() };
    obs.with(|s| {
        s.errors.insert("experiment", vec![down(); 10].into());
        s.errors.insert("stop_experiment", vec![down(); 10].into());
    });
    let e = drill(&cfn, &obs, &a, &drill_opts(900), None, std::future::pending(), &retry()).await.unwrap_err();
    let line = e.to_string();
    assert!(line.starts_with("reading experiment EXP1 in us-west-2 (experiment EXP1 may still be running ("), "{line}");
    assert!(line.contains("stop it with `aws fis stop-experiment --id EXP1 --region us-west-2`"), "{line}");
    assert!(!line.contains('\n'), "{line}");
    // A region that does not answer before the start: nothing is started.
    let (cfn, obs, a) = deployed();
    obs.with(|s| s.unreachable.insert("us-west-2".into()));
    let e = drill(&cfn, &obs, &a, &drill_opts(900), None, std::future::pending(), &retry()).await.unwrap_err();
    assert!(e.to_string().starts_with("us-west-2: the region did not answer ("), "{e}");
    assert!(e.to_string().ends_with("no experiment started"), "{e}");
    assert!(obs.calls().is_empty());
}

#[test]
fn the_commands_say_their_usage_and_exit_codes() {
    let p = Project::new(Source::Fixture("ops"));
    let r = run(p.haplat(&["failover"]).arg("--no-synth"));
    assert_eq!(r.code, i32::from(exit::USAGE), "{r:?}");
    assert!(r.stderr.contains("--from <REGION>|--to <REGION>"), "{}", r.stderr);
    for cmd in ["health", "failover", "failback", "drill"] {
        let r = run(&mut p.haplat(&[cmd, "--help"]));
        assert_eq!(r.code, 0, "{r:?}");
        assert!(r.stdout.contains("10  health"), "{cmd}: {}", r.stdout);
        assert!(r.stdout.contains("--format"), "{cmd}: {}", r.stdout);
    }
}

/// The SDK implementation of the operators' calls against moto, where moto implements them:
/// Route 53 `GetHealthCheck`/`UpdateHealthCheck`, CloudWatch `DescribeAlarms`/`GetMetricData`,
/// ELBv2 `DescribeTargetHealth`, FIS `StartExperiment`/`GetExperiment`/`StopExperiment`.
#[tokio::test]
async fn the_sdk_calls_work_against_moto() {
    use haplat_cli::observe::{HealthCheckUpdate, Observe};
    use haplat_cli::signed::{CLOUDWATCH, ELBV2, FIS};
    let moto = crate::harness::Moto::start();
    let aws = moto.aws().await;
    let signed = moto.signed().await;
    // Route 53: a calculated check over two children; failover's update, read back.
    let mut children = Vec::new();
    for i in 0..2 {
        let config = "<Port>443</Port><Type>HTTPS</Type><ResourcePath>/health</ResourcePath><FullyQualifiedDomainName>shop.example.com</FullyQualifiedDomainName>";
        let request =
            format!("<CallerReference>child{i}</CallerReference><HealthCheckConfig>{config}</HealthCheckConfig>");
        let out = moto.route53("healthcheck", "CreateHealthCheckRequest", &request).await;
        children.push(out.text_at(&["HealthCheck", "Id"]).unwrap().to_owned());
    }
    let listed: String = children.iter().map(|c| format!("<ChildHealthCheck>{c}</ChildHealthCheck>")).collect();
    let request = format!(
        "<CallerReference>region</CallerReference><HealthCheckConfig><Type>CALCULATED</Type><HealthThreshold>1</HealthThreshold><ChildHealthChecks>{listed}</ChildHealthChecks></HealthCheckConfig>"
    );
    let out = moto.route53("healthcheck", "CreateHealthCheckRequest", &request).await;
    let id = out.text_at(&["HealthCheck", "Id"]).unwrap().to_owned();
    let hc = aws.health_check(&id).await.unwrap();
    assert_eq!(hc.kind, "CALCULATED");
    assert_eq!(hc.health_threshold, Some(1));
    assert_eq!(hc.children, children);
    aws.update_health_check(&id, &HealthCheckUpdate { health_threshold: Some(3), inverted: None, version: hc.version })
        .await
        .unwrap();
    assert_eq!(aws.health_check(&id).await.unwrap().health_threshold, Some(3));
    let missing = aws.health_check("no-such-check").await.unwrap_err().to_string();
    assert!(missing.starts_with("NoSuchHealthCheck"), "{missing}");
    // CloudWatch: the checks' status (no data yet in the emulator), and an alarm read back.
    let status = aws.health_check_status(std::slice::from_ref(&id)).await.unwrap();
    assert_eq!(status.get(&id), Some(&None));
    let alarm = [
        ("AlarmName", "shop-5xx"),
        ("Namespace", "AWS/ApplicationELB"),
        ("MetricName", "HTTPCode_Target_5XX_Count"),
        ("Dimensions.member.1.Name", "LoadBalancer"),
        ("Dimensions.member.1.Value", "app/shop/1"),
        ("Statistic", "Sum"),
        ("Period", "60"),
        ("EvaluationPeriods", "3"),
        ("Threshold", "5"),
        ("ComparisonOperator", "GreaterThanThreshold"),
        ("AlarmActions.member.1", "arn:aws:sns:us-east-1:123456789012:page"),
    ];
    signed.query(CLOUDWATCH, "us-east-1", "PutMetricAlarm", &alarm).await.unwrap();
    let alarms = aws.alarms("us-east-1", &["shop-5xx".to_owned(), "missing".to_owned()]).await.unwrap();
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    assert_eq!((alarms[0].name.as_str(), alarms[0].composite, alarms[0].pages), ("shop-5xx", false, true));
    assert_eq!(alarms[0].threshold, Some(5.0));
    assert!(!alarms[0].state.is_empty(), "{alarms:?}");

    // ELBv2: a target group with one registered target (its VPC needs the EC2 API).
    {
        let vpc = signed.query(haplat_cli::signed::EC2, "us-east-1", "CreateVpc", &[("CidrBlock", "10.9.0.0/16")]);
        let vpc_id = vpc.await.unwrap().text_at(&["vpc", "vpcId"]).unwrap().to_owned();
        let group = [
            ("Name", "catalog"),
            ("Protocol", "HTTP"),
            ("Port", "8080"),
            ("VpcId", vpc_id.as_str()),
            ("TargetType", "ip"),
        ];
        let tg = signed.query(ELBV2, "us-east-1", "CreateTargetGroup", &group).await.unwrap();
        let groups = tg.list(&["CreateTargetGroupResult", "TargetGroups"]);
        let arn = groups[0].text_at(&["TargetGroupArn"]).unwrap().to_owned();
        assert!(aws.target_health("us-east-1", &arn).await.unwrap().is_empty());
        let target =
            [("TargetGroupArn", arn.as_str()), ("Targets.member.1.Id", "10.9.1.10"), ("Targets.member.1.Port", "8080")];
        signed.query(ELBV2, "us-east-1", "RegisterTargets", &target).await.unwrap();
        let targets = aws.target_health("us-east-1", &arn).await.unwrap();
        assert_eq!(targets.len(), 1, "{targets:?}");
        assert_eq!(targets[0].id, "10.9.1.10:8080");
        assert!(!targets[0].state.is_empty());
    }

    // FIS: an experiment started, read, stopped.
    let template = serde_json::json!({
        "clientToken": "t1",
        "description": "stop tasks",
        "roleArn": "arn:aws:iam::123456789012:role/fis",
        "stopConditions": [{"source": "none"}],
        "actions": {"Wait": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT5M"}}},
    });
    let t = signed.rest_json(FIS, "us-east-1", "POST", "/experimentTemplates".into(), vec![], Some(template));
    let t = t.await.unwrap();
    let template_id = t["experimentTemplate"]["id"].as_str().unwrap().to_owned();
    let id = aws.start_experiment("us-east-1", &template_id).await.unwrap();
    assert!(!id.is_empty());
    let e = aws.experiment("us-east-1", &id).await.unwrap();
    assert!(!e.state.is_empty() && e.state != "unknown", "{e:?}");
    aws.stop_experiment("us-east-1", &id).await.unwrap();
    let e = aws.experiment("us-east-1", &id).await.unwrap();
    assert!(matches!(e.state.as_str(), "stopping" | "stopped"), "{e:?}");
    let missing = aws.start_experiment("us-east-1", "EXTnope").await.unwrap_err().to_string();
    assert!(missing.contains("EXTnope"), "{missing}");
}

/// The reference platform (prod, three regions) as the commands find it: each region's check
/// is `Api/RegionHealth/Check` with its alarm children and the edge probe; every service's
/// targets; the SLOs; the FIS templates; failover sets the threshold one above the children.
#[tokio::test(start_paused = true)]
async fn the_reference_platform_is_read_and_moved() {
    let app = crate::harness::real_app();
    let p = Project::new(Source::App(format!("'{}'", app.exe.display())));
    let r = run(&mut p.haplat(&["synth", "--env", app.env, "--out", "out"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = Assembly::load(&p.path().join("out")).unwrap();
    let cfn = Fake::default();
    for s in &a.manifest.stacks {
        cfn.deployed(&s.name, &a.template(&s.name).body, &s.target.regions());
    }
    let obs = FakeObserve::deployed(&a);
    // At rest, the idle blue/green groups' region-health alarms are in ALARM (they page nobody).
    obs.with(|s| {
        for (name, alarm) in s.alarms.iter_mut() {
            if name.contains("RegionHealthAlternateTargets") {
                alarm.state = "ALARM".into();
            }
        }
    });
    let report = health(&cfn, &obs, &a, &Only::default(), &retry()).await.unwrap();
    assert!(report.healthy, "{}", text(&report));
    assert_eq!(report.regions.len(), 3);
    for r in &report.regions {
        let region: Vec<_> = r.health_checks.iter().filter(|c| c.role == "region").collect();
        // The API's region check, and the real-time tier's.
        let paths: Vec<&str> = region.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            ["Api/RegionHealth/Check", "Realtime/Workers/Health/Check"],
            "{}: {:?}",
            r.region,
            r.health_checks
        );
        let services: Vec<&str> = r.services.iter().map(|s| s.service.as_str()).collect();
        assert!(services.contains(&"Api/catalog") && services.contains(&"Api/orders"), "{services:?}");
        assert!(
            r.slos.iter().any(|s| s.path == "Api/PublicAlbAvailability" && s.objective_percent == 99.95),
            "{:?}",
            r.slos
        );
        assert!(r.alarms.iter().all(|a| !a.pages), "{:?}", r.alarms);
    }
    let t = list(&cfn, &obs, &a, "us-west-2", &retry()).await.unwrap();
    assert!(t.iter().any(|t| t.name.as_deref() == Some("stop-tasks-catalog")), "{t:?}");
    assert!(t.iter().any(|t| t.name.as_deref() == Some("az-network-disruption")), "{t:?}");
    // Failover: every region check of the region (the API's and the real-time tier's), the
    // threshold above its children's count.
    let expected: BTreeSet<String> = obs.with(|s| {
        s.checks
            .values()
            .filter(|c| {
                c.id.starts_with("hc-us-west-2-RegionHealthCheck")
                    || c.id.starts_with("hc-us-west-2-WorkersHealthCheck")
            })
            .map(|c| format!("update_health_check {} threshold=Some({}) inverted=None", c.id, c.children.len() + 1))
            .collect()
    });
    assert_eq!(expected.len(), 2);
    let moved = move_traffic(&cfn, &obs, &a, &Move::Out(vec!["us-west-2".into()]), &wait(), &retry()).await.unwrap();
    assert!(moved.settled, "{}", moved.text());
    assert_eq!(obs.calls().into_iter().collect::<BTreeSet<_>>(), expected);
    // What drills add to the measure: the routed records' TTL and CloudFront's attempts.
    assert_eq!(haplat_cli::drill::routing_seconds(&a), Some(75.0));
}
