//! The systematic hostile pass over the constructs' public API (issue 14), by construct.
//!
//! The list: `grep -rn "pub fn" haplat-core/src haplat-constructs/src`, without haplat-core's
//! generated resources (`src/resources/`): 405 functions (counted again after the third pass). Each that takes a caller's value is fed
//! hostile ones — empty, whitespace, 10,000 characters, non-ASCII, hyphens and dots in ids,
//! non-finite, negative and zero numbers, duplicates, empty lists, regions that do not exist —
//! and must either fail synthesis with one line naming the construct path (and the field), or
//! produce templates `haplat check` passes: never a panic, never a silently wrong template.
//!
//! Covered here: the id cases on `KmsKey`, `RegionalKeys`, `WorkQueue`, `LogGroup`,
//! `HostedZone`, `GlobalTable` and a stack (every other construct's id goes through the same
//! check in haplat-core's `Scope::child`/`Scope::add`; one that only prefixes ids with it calls
//! `Scope::check_id`), and by construct the fields of: `App::new`/`stack_set` (names, regions),
//! `App::tag`, `KmsKey`, `WorkQueue`, `LogGroup`/`check_retention`, `HostedZone`, `AlarmTopic`,
//! `GlobalTable` (`KeyAttr`, `Capacity`, `TableIndex`), `AccountBaseline`, `RecoveryControl`,
//! `ImageRepositories`, `Slo` (`BurnWindow`), `WebAcl`, `HealthCheck`, `Network`, `Certificate`,
//! `BackupPlan`, `cidr` (`Ipv4Cidr`, `allocate`, `subnet_bits`), `dns`'s name helpers,
//! `network::usable_azs`. haplat-core's own hostile cases (duplicate outputs, region values and
//! mappings, NaN, empty stacks, handles of another app) are in haplat-core/tests/it/hostile.rs.
//!
//! Lists of regions go through one check (`validate::region_list_problems`: each real, none
//! twice), used by `GlobalTable`, `ImageRepositories`, `RecoveryControl`, `BackupPlan`'s copy
//! targets and `RegionalMonitoring`'s platform regions (the constructs of these passes that take
//! one; the stacks' own regions are checked by haplat-core).
//!
//! Not taken here: pure getters (`arn()`, `metrics()`, `*_metric()`, `name()`, `id()`,
//! `path_of()`…: they take no value of the caller's, or only a handle).
//!
//! Second pass (the large compositions), by construct below: `ServiceProps` through a
//! `MultiRegionApi` (name, Fargate size, ports, counts, log retention, health path, path
//! patterns, environment names, callers, connect timeouts, `Deployment`, `Scaling` with its
//! step scaling, the Cloud-Map-only and read-only contradictions; `FargateService`'s numbers
//! are these, checked by `fargate_size_problem` and `Deployment::problem`), `Canaries`,
//! `ChaosExperiments`, `RegionalMonitoring` (`Thresholds::problems`, platform regions, service
//! and traced-service names, sampling), `PullThroughCache` (upstreams, credentials, images), the
//! load balancers' `TargetGroup` and `ListenerRule`, `RealtimeApi` (throttles, stage name, JWT
//! issuer, routes, connection TTL, retention; through `it::realtime`'s build) and
//! `WebSocketApi` (throttling, memory, timeout, stage name, handler, concurrency). Names that
//! only prefix ids (chaos `StopTasks<name>`, monitoring `<name>Service`, tracing `<Name>Group`)
//! go through `Scope::check_id`. `HOSTILE_SURVEY=1 … -- --nocapture` prints every failing case
//! at once.
//!
//! Third pass: `AuroraGlobal` (ACUs, instance class, version, names, retentions, tags),
//! `EdgeDistribution` (viewer names, origin label, rate limit, retentions, endpoints' regions,
//! read-only paths), `Alb` (`alb_problems`: subnets, certificate, VPC), `composition::Platform`
//! (regions, services, names, SLO, zones, edge alarm thresholds, secret, e-mails),
//! `RealtimeApi::alarms`' thresholds and `RealtimeWorkers`' counts and queue age (through
//! `it::realtime::build_with`).
//!
//! Not taken: the WAF-delivery and aurora-access id prefixes (built from ids already checked),
//! `Image::Uri` (taken as given, by design), the character set of health check paths, and
//! `TargetGroup`'s own health path check (the service's check reports it: one line per
//! problem).

use std::panic::AssertUnwindSafe;

use haplat_constructs::cidr::{self, Ipv4Cidr};
use haplat_constructs::global_table::{Billing, Capacity, GlobalTable, GlobalTableProps, KeyAttr, TableIndex};
use haplat_constructs::kms::{KeyUser, KmsKey, RegionalKeys};
use haplat_constructs::logs::{LogGroup, LogGroupProps, check_retention};
use haplat_constructs::queue::{WorkQueue, WorkQueueProps};
use haplat_constructs::zone::HostedZone;
use haplat_core::App;

/// What a hostile build gave.
#[derive(Debug)]
enum Outcome {
    /// Synthesis failed: its error lines.
    Refused(Vec<String>),
    /// Synthesis succeeded and `haplat check` found no error.
    Passed,
}

/// Builds in a fresh app, synthesizes, and checks: no panic; an error is short lines; a template
/// passes `haplat check`.
fn outcome(case: &str, build: impl FnOnce(&App)) -> Outcome {
    let app = App::new("hostile");
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        build(&app);
        app.synth()
    }));
    match result {
        Err(p) => {
            let why = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
            panic!("{case}: panicked: {why:?}")
        }
        Ok(Err(errors)) => {
            // What the user reads: a header, then one line per problem, each bounded.
            let text = errors.to_string();
            let lines: Vec<String> = text.lines().skip(1).map(str::to_owned).collect();
            assert_eq!(lines.len(), errors.0.len(), "{case}: one line per problem:\n{text}");
            for l in &lines {
                assert!(l.chars().count() < 1_100, "{case}: not one short line: {} characters", l.chars().count());
            }
            Outcome::Refused(lines)
        }
        Ok(Ok(assembly)) => {
            let report = haplat_check::check_assembly(&assembly).unwrap_or_else(|e| panic!("{case}: {e}"));
            // Only the errors: the warnings every platform template has would drown them.
            let errors: Vec<String> = report
                .findings
                .iter()
                .filter(|f| f.severity == haplat_check::Severity::Error && f.suppressed.is_none())
                .map(|f| format!("{} {}: {}", f.rule, f.path, f.message))
                .collect();
            assert!(errors.is_empty(), "{case}: synthesized, but haplat check finds: {errors:#?}");
            Outcome::Passed
        }
    }
}

/// Refused with an error containing every one of `needles` (in any case). With `HOSTILE_SURVEY`
/// set, a failing case is printed (`SURVEY …`, run with `--nocapture`) instead of stopping the
/// test: how a new pass lists every finding at once.
fn refused(case: &str, build: impl FnOnce(&App), needles: &[&str]) {
    if std::env::var("HOSTILE_SURVEY").is_ok() {
        let r = std::panic::catch_unwind(AssertUnwindSafe(|| refused_(case, build, needles)));
        if let Err(p) = r {
            let why = p.downcast_ref::<String>().cloned().unwrap_or_default();
            eprintln!("SURVEY {}", why.chars().take(400).collect::<String>().replace('\n', " | "));
        }
        return;
    }
    refused_(case, build, needles)
}
/// What [`refused`] checks.
fn refused_(case: &str, build: impl FnOnce(&App), needles: &[&str]) {
    match outcome(case, build) {
        Outcome::Refused(lines) => assert!(
            lines.iter().any(|l| needles.iter().all(|n| l.to_lowercase().contains(&n.to_lowercase()))),
            "{case}: no error with {needles:?} in {lines:#?}"
        ),
        Outcome::Passed => panic!("{case}: synthesized, but should be refused with {needles:?}"),
    }
}

fn long() -> String {
    "a".repeat(10_000)
}

/// Ids nobody should pass, and what the refusal says.
fn hostile_ids() -> Vec<(String, &'static str)> {
    vec![
        (String::new(), "empty"),
        ("  ".into(), ""),
        ("a/b".into(), ""),
        ("日本".into(), ""),
        ("a\nb".into(), ""),
        (long(), "128"),
    ]
}

/// Ids that look odd but are fine: hyphens and dots (the logical id is made alphanumeric); a
/// stack's id, which is part of its CloudFormation name, takes no dot and says so.
const ODD_BUT_FINE_IDS: &[&str] = &["with-hyphen", "with.dot", "Trailing-", "x"];

mod ids {
    use super::*;

    /// Every construct that takes an id, built with each hostile id: refused, naming the
    /// id; each odd-but-fine id: templates that pass `haplat check`.
    #[allow(clippy::type_complexity)]
    fn constructs() -> Vec<(&'static str, Box<dyn Fn(&App, &str)>)> {
        vec![
            (
                "KmsKey",
                Box::new(|app: &App, id: &str| {
                    KmsKey::new(&app.stack("S", "us-east-1"), id, "a key", &[KeyUser::CloudWatchLogs]);
                }),
            ),
            (
                "RegionalKeys",
                Box::new(|app: &App, id: &str| {
                    RegionalKeys::new(&app.stack_set("S", &["us-east-1", "eu-west-1"]), id);
                }),
            ),
            (
                "WorkQueue",
                Box::new(|app: &App, id: &str| {
                    let s = app.stack("S", "us-east-1");
                    let key = KmsKey::new(&s, "Key", "k", &[KeyUser::EventBridge]);
                    WorkQueue::new(&s, id, WorkQueueProps::new(&key));
                }),
            ),
            (
                "LogGroup",
                Box::new(|app: &App, id: &str| {
                    let s = app.stack("S", "us-east-1");
                    let key = KmsKey::new(&s, "Key", "k", &[KeyUser::CloudWatchLogs]);
                    LogGroup::new(&s, id, LogGroupProps { name: None, retention_days: 30, key: &key });
                }),
            ),
            (
                "HostedZone",
                Box::new(|app: &App, id: &str| {
                    HostedZone::new(&app.stack("S", "us-east-1"), id, "example.com");
                }),
            ),
            (
                "GlobalTable",
                Box::new(|app: &App, id: &str| {
                    GlobalTable::new(
                        &app.stack("S", "us-east-1"),
                        id,
                        GlobalTableProps::new(KeyAttr::string("pk"), &["us-east-1", "eu-west-1"]),
                    );
                }),
            ),
            (
                "stack",
                Box::new(|app: &App, id: &str| {
                    let s = app.stack(id, "us-east-1");
                    KmsKey::new(&s, "Key", "k", &[KeyUser::CloudWatchLogs]);
                }),
            ),
        ]
    }

    #[test]
    fn hostile_ids_are_refused_naming_the_id_and_odd_ones_pass_haplat_check() {
        for (name, build) in constructs() {
            for (id, says) in hostile_ids() {
                let case = format!("{name} with id {:?}", id.chars().take(20).collect::<String>());
                refused(&case, |app| build(app, &id), &["id", says]);
            }
            for id in ODD_BUT_FINE_IDS {
                let case = format!("{name} with id {id:?}");
                // Templates that pass, or (a stack's name takes no dot) refused naming the id.
                if let Outcome::Refused(lines) = outcome(&case, |app| build(app, id)) {
                    assert!(lines.iter().all(|l| l.contains(id)), "{case}: {lines:#?}");
                }
            }
        }
    }

    #[test]
    fn a_construct_added_twice_with_the_same_id_is_refused() {
        refused(
            "two keys",
            |app| {
                let s = app.stack("S", "us-east-1");
                KmsKey::new(&s, "Key", "k", &[KeyUser::CloudWatchLogs]);
                KmsKey::new(&s, "Key", "k", &[KeyUser::CloudWatchLogs]);
            },
            &["Key"],
        );
    }
}

mod app {
    use super::*;

    fn with_key(app: &App, regions: &[&str]) {
        let s = app.stack_set("S", regions);
        KmsKey::new(&s, "Key", "k", &[KeyUser::CloudWatchLogs]);
    }

    #[test]
    fn regions() {
        refused("no region", |app| with_key(app, &[]), &["S"]);
        refused("a region that does not exist", |app| with_key(app, &["us-east-1", "mars-north-1"]), &["mars-north-1"]);
        refused("an empty region", |app| with_key(app, &["us-east-1", ""]), &["S"]);
        refused("a region twice", |app| with_key(app, &["us-east-1", "us-east-1"]), &["us-east-1"]);
        refused("a region in capitals", |app| with_key(app, &["US-EAST-1"]), &["US-EAST-1"]);
        refused("a 10k region", |app| with_key(app, &[&long()]), &["S"]);
    }

    #[test]
    fn app_names() {
        for name in ["", "with space", "日本", "-leading", &long()] {
            let app = App::new(name);
            let s = app.stack("S", "us-east-1");
            KmsKey::new(&s, "Key", "k", &[KeyUser::CloudWatchLogs]);
            let e = std::panic::catch_unwind(AssertUnwindSafe(|| app.synth())).expect("no panic");
            let e = e.expect_err(name).to_string();
            assert!(e.contains("app name") || e.contains("name"), "{name:?}: {e}");
        }
    }

    #[test]
    fn tags() {
        for (k, v, says) in
            [("", "v", "tag"), ("aws:owner", "v", "aws:"), (&long() as &str, "v", "tag"), ("k", &long(), "tag")]
        {
            let case = format!("tag {:?}={:?}", &k[..k.len().min(10)], &v[..v.len().min(10)]);
            refused(
                &case,
                |app| {
                    app.tag(k, v);
                    with_key(app, &["us-east-1"]);
                },
                &[says],
            );
        }
    }
}

mod kms {
    use super::*;

    #[test]
    fn description_and_users() {
        // An empty user list and an empty description are a key only the account uses.
        assert!(matches!(
            outcome("no users", |app| {
                KmsKey::new(&app.stack("S", "us-east-1"), "Key", "", &[]);
            }),
            Outcome::Passed
        ));
        // The same user twice is the same key policy.
        assert!(matches!(
            outcome("a user twice", |app| {
                KmsKey::new(&app.stack("S", "us-east-1"), "Key", "k", &[KeyUser::EventBridge, KeyUser::EventBridge]);
            }),
            Outcome::Passed
        ));
        refused(
            "a 10k description",
            |app| {
                KmsKey::new(&app.stack("S", "us-east-1"), "Key", &long(), &[KeyUser::EventBridge]);
            },
            &["S/Key", "description"],
        );
    }
}

mod queue {
    use super::*;

    fn with(case: &str, f: impl FnOnce(&mut WorkQueueProps<'_>), needles: &[&str]) {
        refused(
            case,
            |app| {
                let s = app.stack("S", "us-east-1");
                let key = KmsKey::new(&s, "Key", "k", &[KeyUser::EventBridge]);
                let mut p = WorkQueueProps::new(&key);
                f(&mut p);
                WorkQueue::new(&s, "Jobs", p);
            },
            needles,
        );
    }

    #[test]
    fn numbers_out_of_range() {
        for v in [-1, 43_201, i64::MIN, i64::MAX] {
            with(&format!("visibility {v}"), |p| p.visibility_timeout_seconds = v, &["Jobs", "visibility"]);
        }
        for v in [0, 59, -1, 1_209_601, i64::MAX] {
            with(&format!("retention {v}"), |p| p.retention_seconds = v, &["Jobs", "retention"]);
        }
        for v in [0, -1, 1_001, i64::MAX] {
            with(&format!("max receives {v}"), |p| p.max_receives = v, &["Jobs", "receive"]);
        }
    }

    #[test]
    fn names() {
        for name in ["", " ", "with.dot", "日本", &long()] {
            with(&format!("name {:?}", &name[..name.len().min(10)]), |p| p.name = Some(name.into()), &["Jobs", "name"]);
        }
    }
}

mod logs {
    use super::*;

    #[test]
    fn retention() {
        for days in [0, -1, 2, 10_000, i64::MIN] {
            refused(
                &format!("retention {days}"),
                |app| {
                    let s = app.stack("S", "us-east-1");
                    let key = KmsKey::new(&s, "Key", "k", &[KeyUser::CloudWatchLogs]);
                    let group = s.child("Group");
                    check_retention(&group, days);
                    LogGroup::new(&s, "Group", LogGroupProps { name: None, retention_days: days, key: &key });
                },
                &["S/Group", "retention"],
            );
        }
    }

    #[test]
    fn names() {
        for name in ["", "with space", "日本", &long()] {
            refused(
                &format!("log group name {:?}", &name[..name.len().min(10)]),
                |app| {
                    let s = app.stack("S", "us-east-1");
                    let key = KmsKey::new(&s, "Key", "k", &[KeyUser::CloudWatchLogs]);
                    LogGroup::new(
                        &s,
                        "Group",
                        LogGroupProps { name: Some(name.into()), retention_days: 30, key: &key },
                    );
                },
                &["S/Group", "name"],
            );
        }
    }
}

mod zone {
    use super::*;

    #[test]
    fn domains() {
        for domain in ["", " ", ".", "no_dots", "a..b.com", "-a.com", "日本.com", &format!("{}.com", long())] {
            refused(
                &format!("domain {:?}", &domain[..domain.len().min(12)]),
                |app| {
                    HostedZone::new(&app.stack("S", "us-east-1"), "Zone", domain);
                },
                &["Zone"],
            );
        }
        // Capitals and a trailing dot are the same domain.
        assert!(matches!(
            outcome("EXAMPLE.com.", |app| {
                let z = HostedZone::new(&app.stack("S", "us-east-1"), "Zone", "EXAMPLE.com.");
                assert_eq!(z.name, "example.com");
            }),
            Outcome::Passed
        ));
    }
}

mod alarm {
    use super::*;
    use haplat_constructs::monitoring::AlarmTopic;

    #[test]
    fn contacts() {
        for email in ["", "@", "a@", "@b", "no-at", " "] {
            refused(
                &format!("email {email:?}"),
                |app| {
                    AlarmTopic::new(&app.stack("S", "us-east-1").child("Alarms"), &[email.to_owned()]);
                },
                &["S/Alarms", "email"],
            );
        }
        refused(
            "an email twice",
            |app| {
                AlarmTopic::new(&app.stack("S", "us-east-1").child("Alarms"), &["a@b.c".into(), "a@b.c".into()]);
            },
            &["S/Alarms", "a@b.c"],
        );
        // No contact: a topic with no subscription (alarms still go to the topic).
        assert!(matches!(
            outcome("no contact", |app| {
                AlarmTopic::new(&app.stack("S", "us-east-1").child("Alarms"), &[]);
            }),
            Outcome::Passed
        ));
    }
}

mod global_table {
    use super::*;

    fn table(case: &str, f: impl FnOnce(&mut GlobalTableProps), needles: &[&str]) {
        refused(
            case,
            |app| {
                let mut p = GlobalTableProps::new(KeyAttr::string("pk"), &["us-east-1", "eu-west-1"]);
                f(&mut p);
                GlobalTable::new(&app.stack("S", "us-east-1"), "Orders", p);
            },
            needles,
        );
    }

    #[test]
    fn regions() {
        table("no replica", |p| p.regions.clear(), &["S/Orders", "us-east-1"]);
        table("a region twice", |p| p.regions.push("eu-west-1".into()), &["S/Orders", "eu-west-1", "twice"]);
        table("a region that does not exist", |p| p.regions.push("mars-north-1".into()), &["S/Orders", "mars-north-1"]);
        table("an empty region", |p| p.regions.push(String::new()), &["S/Orders", "region"]);
    }

    #[test]
    fn names_and_keys() {
        for name in ["", "ab", "with space", "日本", &long()] {
            table(
                &format!("table name {:?}", &name[..name.len().min(10)]),
                |p| p.table_name = Some(name.into()),
                &["S/Orders", "table name"],
            );
        }
        table("an empty TTL attribute", |p| p.ttl_attribute = Some(String::new()), &["S/Orders", "TTL"]);
        for attr in ["", &long()] {
            table(
                &format!("a partition key {:?}", &attr[..attr.len().min(10)]),
                |p| p.partition_key = KeyAttr::string(attr),
                &["S/Orders", "key"],
            );
        }
        table(
            "an index twice",
            |p| {
                let index = TableIndex::new("ByDate", KeyAttr::string("d"), None);
                p.indexes = vec![index.clone(), index];
            },
            &["S/Orders", "ByDate"],
        );
        table(
            "an index without a name",
            |p| p.indexes = vec![TableIndex::new("", KeyAttr::string("d"), None)],
            &["S/Orders", "index"],
        );
    }

    #[test]
    fn capacity() {
        for (read, why) in [
            (Capacity::new(0, 10), "min"),
            (Capacity::new(-5, 10), "min"),
            (Capacity::new(10, 5), "max"),
            (Capacity { target_utilization: f64::NAN, ..Capacity::new(1, 10) }, "utilization"),
            (Capacity { target_utilization: f64::INFINITY, ..Capacity::new(1, 10) }, "utilization"),
            (Capacity { target_utilization: 0.0, ..Capacity::new(1, 10) }, "utilization"),
            (Capacity { target_utilization: 150.0, ..Capacity::new(1, 10) }, "utilization"),
        ] {
            table(
                &format!("capacity {read:?}"),
                |p| p.billing = Billing::Provisioned { read, write: Capacity::new(1, 10) },
                &["S/Orders", why],
            );
        }
    }
}

mod cidrs {
    use super::*;

    #[test]
    fn parse_refuses_what_is_not_a_cidr() {
        for s in ["", " ", "10.0.0.0", "10.0.0.0/33", "10.0.0.256/16", "10.0.0/16", "a.b.c.d/8", "10.0.0.0/-1", "日本"]
        {
            let r = std::panic::catch_unwind(|| s.parse::<Ipv4Cidr>()).unwrap_or_else(|_| panic!("{s:?}: panicked"));
            assert!(r.is_err(), "{s:?} parsed as {r:?}");
        }
        let long = format!("10.0.0.0/{}", "1".repeat(10_000));
        let e = long.parse::<Ipv4Cidr>().unwrap_err().to_string();
        assert!(e.chars().count() < 300, "a 10k value is cut, not echoed: {} chars", e.chars().count());
    }

    #[test]
    fn allocate_and_subnet_bits_never_panic() {
        for explicit in [vec![], vec![None; 300], vec![Some("garbage")], vec![Some("10.0.0.0/16"), Some("10.0.0.0/16")]]
        {
            let r = std::panic::catch_unwind(|| cidr::allocate(&explicit));
            assert!(r.is_ok(), "allocate({explicit:?}) panicked");
        }
        let vpc: Ipv4Cidr = "10.0.0.0/28".parse().unwrap();
        for count in [0, 1, 1_000, usize::MAX] {
            let r = std::panic::catch_unwind(|| cidr::subnet_bits(&vpc, count));
            assert!(r.is_ok(), "subnet_bits({count}) panicked");
        }
    }
}

mod names {
    use haplat_constructs::dns;
    use haplat_constructs::network::usable_azs;

    #[test]
    fn dns_name_helpers_and_zone_counts_never_panic() {
        let long = "a".repeat(10_000);
        for s in ["", ".", "日本", "a..b", long.as_str()] {
            assert!(std::panic::catch_unwind(|| dns::standby_origin_name(s)).is_ok(), "{s:?}");
            assert!(std::panic::catch_unwind(|| dns::origin_name(s, s)).is_ok(), "{s:?}");
            assert!(std::panic::catch_unwind(|| dns::checked_origin_name(s, s)).is_ok(), "{s:?}");
            assert!(std::panic::catch_unwind(|| dns::regional_origin_name(s, s)).is_ok(), "{s:?}");
            assert!(std::panic::catch_unwind(|| usable_azs(s)).is_ok(), "{s:?}");
        }
    }
}

mod baseline {
    use super::*;
    use haplat_constructs::baseline::{AccountBaseline, AccountBaselineProps};

    #[test]
    fn home_region_and_retention() {
        for home in ["", "mars-north-1", "US-EAST-1", " us-east-1", &long()] {
            refused(
                &format!("home region {:?}", &home[..home.len().min(12)]),
                |app| {
                    let s = app.stack_set("Baseline", &["us-east-1", "eu-west-1"]);
                    AccountBaseline::new(&s, "Account", AccountBaselineProps::new(home));
                },
                &["Account"],
            );
        }
        for days in [0, -1, i64::MIN] {
            refused(
                &format!("retention {days}"),
                |app| {
                    let s = app.stack_set("Baseline", &["us-east-1", "eu-west-1"]);
                    let mut p = AccountBaselineProps::new("us-east-1");
                    p.retention_days = days;
                    AccountBaseline::new(&s, "Account", p);
                },
                &["Account", "retention"],
            );
        }
    }
}

mod recovery_control {
    use super::*;
    use haplat_constructs::recovery_control::{RecoveryControl, RecoveryControlProps};

    fn control(case: &str, p: RecoveryControlProps, needles: &[&str]) {
        refused(
            case,
            |app| {
                RecoveryControl::new(&app.stack("Arc", "us-west-2"), "Arc", p);
            },
            needles,
        );
    }

    #[test]
    fn names_regions_and_wait() {
        let regions = ["us-east-1", "eu-west-1"];
        for name in ["", " ", "a b", &long()] {
            control(
                &format!("name {:?}", &name[..name.len().min(10)]),
                RecoveryControlProps::new(name, &regions),
                &["Arc", "name"],
            );
        }
        control("one region", RecoveryControlProps::new("shop", &["us-east-1"]), &["Arc", "region"]);
        control("no region", RecoveryControlProps::new("shop", &[]), &["Arc", "region"]);
        control(
            "a region twice",
            RecoveryControlProps::new("shop", &["us-east-1", "us-east-1"]),
            &["Arc", "us-east-1"],
        );
        control(
            "a region that does not exist",
            RecoveryControlProps::new("shop", &["us-east-1", "mars-1"]),
            &["Arc", "mars-1"],
        );
        for wait in [-1, i64::MIN] {
            let mut p = RecoveryControlProps::new("shop", &regions);
            p.wait_period_ms = wait;
            control(&format!("wait {wait}"), p, &["Arc", "wait"]);
        }
    }
}

mod ecr {
    use super::*;
    use haplat_constructs::ecr::{ImageRepositories, ImageRepositoriesProps};

    fn repos(case: &str, p: ImageRepositoriesProps, needles: &[&str]) {
        refused(
            case,
            |app| {
                ImageRepositories::new(&app.stack("Images", "us-east-1"), "Images", p);
            },
            needles,
        );
    }

    #[test]
    fn prefixes_names_and_regions() {
        for prefix in ["", "UPPER", "with space", "日本", &long()] {
            repos(
                &format!("prefix {:?}", &prefix[..prefix.len().min(10)]),
                ImageRepositoriesProps::new(prefix, &["api"], &["eu-west-1"]),
                &["Images"],
            );
        }
        for name in ["", "UPPER", "a b", &long()] {
            repos(
                &format!("name {:?}", &name[..name.len().min(10)]),
                ImageRepositoriesProps::new("shop", &[name], &["eu-west-1"]),
                &["Images"],
            );
        }
        // No repository: only the registry's settings, which pass haplat check.
        let none = outcome("no repository", |app| {
            ImageRepositories::new(
                &app.stack("Images", "us-east-1"),
                "Images",
                ImageRepositoriesProps::new("shop", &[], &["eu-west-1"]),
            );
        });
        assert!(matches!(none, Outcome::Passed), "{none:?}");
        repos("a name twice", ImageRepositoriesProps::new("shop", &["api", "api"], &["eu-west-1"]), &["Images", "api"]);
        repos(
            "a replica region that does not exist",
            ImageRepositoriesProps::new("shop", &["api"], &["mars-north-1"]),
            &["Images", "mars-north-1"],
        );
        repos(
            "a replica region twice",
            ImageRepositoriesProps::new("shop", &["api"], &["eu-west-1", "eu-west-1"]),
            &["Images", "eu-west-1"],
        );
    }
}

mod slo {
    use super::*;
    use haplat_constructs::metrics::{MetricRef, Sli};
    use haplat_constructs::slo::{BurnWindow, Slo, SloProps};

    fn sli() -> Sli {
        let lb = ("LoadBalancer", haplat_core::Value::from("app/api/123"));
        Sli::ErrorRatio {
            bad: vec![MetricRef::new("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", [lb.clone()])],
            total: vec![MetricRef::new("AWS/ApplicationELB", "RequestCount", [lb])],
        }
    }

    fn slo(case: &str, f: impl FnOnce(&mut SloProps), needles: &[&str]) {
        refused(
            case,
            |app| {
                let mut p = SloProps::new(99.9, sli());
                f(&mut p);
                Slo::new(&app.stack_set("Api", &["us-east-1", "us-west-2"]), "Availability", p);
            },
            needles,
        );
    }

    #[test]
    fn objectives_and_windows() {
        for objective in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -1.0, 100.0, 150.0] {
            slo(&format!("objective {objective}"), |p| p.objective_percent = objective, &["Availability", "objective"]);
        }
        slo("no window", |p| p.windows.clear(), &["Availability", "window"]);
        for (name, w) in [
            ("a NaN burn rate", BurnWindow { burn_rate: f64::NAN, ..BurnWindow::ticket_default() }),
            ("a zero burn rate", BurnWindow { burn_rate: 0.0, ..BurnWindow::ticket_default() }),
            ("a negative window", BurnWindow { long_seconds: -60, ..BurnWindow::ticket_default() }),
            (
                "a short window longer than the long",
                BurnWindow { short_seconds: 90_000, ..BurnWindow::ticket_default() },
            ),
        ] {
            slo(name, |p| p.windows = vec![w], &["Availability"]);
        }
    }
}

mod waf {
    use super::*;
    use haplat_constructs::waf::{WebAcl, WebAclProps};

    fn acl(case: &str, f: impl FnOnce(&mut WebAclProps), needles: &[&str]) {
        refused(
            case,
            |app| {
                let mut p = WebAclProps::new("edge", "the edge");
                f(&mut p);
                WebAcl::new(&app.stack("Edge", "us-east-1"), "Acl", p);
            },
            needles,
        );
    }

    #[test]
    fn names_limits_and_rule_groups() {
        for name in ["", "with space", "日本", &long()] {
            acl(&format!("metric name {:?}", &name[..name.len().min(10)]), |p| p.metric_name = name.into(), &["Acl"]);
        }
        acl("a 10k description", |p| p.description = long(), &["Acl", "description"]);
        for limit in [0, 99, -1, i64::MAX] {
            acl(&format!("rate limit {limit}"), |p| p.rate_limit = limit, &["Acl", "limit"]);
        }
        acl("a rule group twice", |p| p.managed_rule_groups.push(p.managed_rule_groups[0].clone()), &["Acl"]);
        acl("an empty rule group", |p| p.managed_rule_groups.push(String::new()), &["Acl"]);
    }
}

mod health_check {
    use super::*;
    use haplat_constructs::health_check::{HealthCheck, HealthCheckProps};

    fn check(case: &str, p: HealthCheckProps) -> Outcome {
        outcome(case, |app| {
            HealthCheck::new(&app.stack("Dns", "us-east-1"), "Check", p);
        })
    }

    #[test]
    fn thresholds_lists_and_names() {
        let v = |s: &str| haplat_core::Value::from(s);
        for (case, p) in [
            ("no child", HealthCheckProps::Calculated { children: vec![], healthy_needed: 1 }),
            ("needs more than there are", HealthCheckProps::Calculated { children: vec![v("a")], healthy_needed: 2 }),
            ("needs 0 of 1", HealthCheckProps::Calculated { children: vec![v("a")], healthy_needed: 0 }),
            ("a huge threshold", HealthCheckProps::Calculated { children: vec![v("a")], healthy_needed: usize::MAX }),
            ("no alarm", HealthCheckProps::Alarms { region: v("us-east-1"), alarm_names: vec![], healthy_needed: 1 }),
            (
                "needs 3 of 2 alarms",
                HealthCheckProps::Alarms {
                    region: v("us-east-1"),
                    alarm_names: vec![v("a"), v("b")],
                    healthy_needed: 3,
                },
            ),
            ("an empty domain", HealthCheckProps::Tcp { domain_name: v("") }),
            ("a 10k domain", HealthCheckProps::Https { domain_name: v(&long()), path: v("/health") }),
            ("an empty path", HealthCheckProps::Https { domain_name: v("api.example.com"), path: v("") }),
        ] {
            match check(case, p) {
                Outcome::Refused(lines) => assert!(lines.iter().any(|l| l.contains("Check")), "{case}: {lines:#?}"),
                Outcome::Passed => panic!("{case}: synthesized"),
            }
        }
    }
}

mod network {
    use super::*;
    use haplat_constructs::network::{Network, NetworkProps};

    fn net(case: &str, f: impl FnOnce(&mut NetworkProps), needles: &[&str]) {
        refused(
            case,
            |app| {
                let s = app.stack("Net", "us-east-1");
                let key = KmsKey::new(&s, "Key", "k", &[KeyUser::CloudWatchLogs]);
                let mut p = NetworkProps::new(&key);
                f(&mut p);
                Network::new(&s, "Vpc", p);
            },
            needles,
        );
    }

    #[test]
    fn cidrs_zones_and_retention() {
        for cidr in ["", "garbage", "10.0.0.0/33", "10.0.0.1/16", "8.8.0.0/16", "10.0.0.0/8", &long()] {
            net(&format!("cidr {:?}", &cidr[..cidr.len().min(12)]), |p| p.cidr = cidr.into(), &["Vpc"]);
        }
        for bits in [0, -1, 32, i64::MAX] {
            net(&format!("subnet bits {bits}"), |p| p.subnet_bits = bits.into(), &["Vpc"]);
        }
        for azs in [0, 7, usize::MAX] {
            net(&format!("{azs} zones"), |p| p.azs = azs, &["Vpc"]);
        }
        for days in [0, -1, 2] {
            net(&format!("flow log retention {days}"), |p| p.flow_log_retention_days = days, &["retention"]);
        }
    }
}

mod certificate {
    use super::*;
    use haplat_constructs::certificate::{Certificate, CertificateProps};

    #[test]
    fn domain_names() {
        for (case, domain, extra) in [
            ("an empty domain", String::new(), vec![]),
            ("a 10k domain", format!("{}.example.com", long()), vec![]),
            ("another zone's domain", "api.other.org".to_owned(), vec![]),
            ("a name twice", "api.example.com".to_owned(), vec!["api.example.com"]),
            ("an empty alternative", "api.example.com".to_owned(), vec![""]),
        ] {
            refused(
                case,
                |app| {
                    let s = app.stack("Edge", "us-east-1");
                    let zone = HostedZone::new(&s, "Zone", "example.com");
                    let mut p = CertificateProps::new(domain.as_str(), &zone);
                    p.alternative_names = extra.iter().map(|n| (*n).into()).collect();
                    Certificate::dns_validated(&s, "Cert", p);
                },
                &["Cert"],
            );
        }
    }
}

mod backup {
    use super::*;
    use haplat_constructs::backup::{BackupPlan, BackupPlanProps, BackupSelection, CopyTo};

    fn plan(case: &str, f: impl FnOnce(&mut BackupPlanProps), needles: &[&str]) {
        refused(
            case,
            |app| {
                let mut p = BackupPlanProps::new("orders", BackupSelection::Tag("backup".into(), "daily".into()));
                f(&mut p);
                BackupPlan::new(&app.stack_set("Data", &["us-east-1", "eu-west-1"]), "Backup", p);
            },
            needles,
        );
    }

    #[test]
    fn names_retention_selection_and_copies() {
        for name in ["", "a", "with space", "日本", &long()] {
            plan(
                &format!("vault {:?}", &name[..name.len().min(10)]),
                |p| p.vault_name = name.into(),
                &["Backup", "vault"],
            );
        }
        for days in [0, -1, 36, i64::MIN] {
            plan(&format!("daily {days}"), |p| p.daily_retention_days = days, &["Backup"]);
        }
        plan("an empty tag key", |p| p.selection = BackupSelection::Tag(String::new(), "x".into()), &["Backup", "tag"]);
        plan("no resource", |p| p.selection = BackupSelection::Resources(vec![]), &["Backup", "resources"]);
        let regions = |pairs: &[(&str, &str)]| {
            CopyTo::Regions(pairs.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect())
        };
        plan(
            "a copy to itself",
            |p| p.copy_to = regions(&[("us-east-1", "us-east-1"), ("eu-west-1", "us-east-1")]),
            &["Backup", "itself"],
        );
        plan(
            "a copy to a region that does not exist",
            |p| p.copy_to = regions(&[("us-east-1", "mars-north-1"), ("eu-west-1", "us-east-1")]),
            &["Backup", "mars-north-1"],
        );
        plan("a region without a copy", |p| p.copy_to = regions(&[("us-east-1", "eu-west-1")]), &["eu-west-1"]);
    }
}

mod service {
    use super::*;
    use haplat_constructs::RegionSpec;
    use haplat_constructs::api::{ApiCertificate, ApiProps, MultiRegionApi};
    use haplat_constructs::scaling::StepScaling;
    use haplat_constructs::service::{ConnectTimeouts, ServiceProps};

    fn build(app: &App, f: impl FnOnce(&mut ServiceProps)) {
        let image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:1.4.2";
        let mut orders = ServiceProps::new("Orders", image, 8080);
        f(&mut orders);
        MultiRegionApi::new_stack_set(
            app,
            "Api",
            ApiProps {
                services: vec![orders],
                ..ApiProps::new(
                    vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("us-west-2")],
                    "api.example.com",
                    ApiCertificate::DnsValidated { zone: HostedZone::existing("Z0123456789ABCDEFGHIJ", "example.com") },
                )
            },
        );
    }

    fn svc(case: &str, f: impl FnOnce(&mut ServiceProps), needles: &[&str]) {
        refused(case, |app| build(app, f), needles);
    }

    #[test]
    fn names() {
        for name in ["", " ", "a/b", "日本", "a\nb", &long()] {
            svc(&format!("name {:?}", name.chars().take(10).collect::<String>()), |p| p.name = name.into(), &["Api"]);
        }
    }

    #[test]
    fn sizes_counts_and_ports() {
        for (cpu, memory) in [(0, 0), (256, 0), (0, 512), (u32::MAX, u32::MAX), (256, 30_720), (3, 512)] {
            svc(&format!("size {cpu}/{memory}"), |p| (p.cpu, p.memory) = (cpu, memory), &["Api/Orders"]);
        }
        svc("port 0", |p| p.port = 0, &["Api/Orders", "port"]);
        svc("listener port 0", |p| p.listener_port = 0, &["Api/PublicAlb", "port 0"]);
        svc("min over max", |p| (p.min_count, p.max_count) = (5, 2), &["Api/Orders", "min"]);
        svc("max 0", |p| (p.min_count, p.max_count, p.standby_count) = (0, 0, 0), &["Api/Orders", "max"]);
        svc("standby over max", |p| p.standby_count = 11, &["Api/Orders", "standby"]);
        for days in [0, -1, 2, i64::MIN] {
            svc(&format!("log retention {days}"), |p| p.log_retention_days = days, &["Api/Orders", "retention"]);
        }
    }

    #[test]
    fn paths_environment_and_callers() {
        for path in ["", "health", &format!("/{}", long())] {
            svc(
                &format!("health path {:?}", path.chars().take(10).collect::<String>()),
                |p| p.health_check_path = path.into(),
                &["Api/Orders", "health"],
            );
        }
        for pattern in ["", &format!("/{}", long())] {
            svc(
                &format!("path pattern {:?}", pattern.chars().take(10).collect::<String>()),
                |p| p.path_patterns = vec![pattern.into()],
                &["Api/Orders", "path"],
            );
        }
        svc(
            "a path pattern twice",
            |p| p.path_patterns = vec!["/a/*".into(), "/a/*".into()],
            &["Api/PublicAlb", "/a/*"],
        );
        for var in ["", "A=B", "a\nb"] {
            svc(
                &format!("environment variable {:?}", var.chars().take(10).collect::<String>()),
                |p| {
                    p.environment.insert(var.into(), "v".into());
                },
                &["Api/Orders", "environment"],
            );
        }
        svc("an unknown caller", |p| p.callers = vec!["Nobody".into()], &["Api", "Nobody"]);
        svc("an empty caller", |p| p.callers = vec![String::new()], &["Api", "caller"]);
        svc("a caller twice", |p| p.callers = vec!["Orders".into(), "Orders".into()], &["Api", "Orders"]);
        svc(
            "huge connect timeouts",
            |p| p.connect_timeouts = Some(ConnectTimeouts { per_request_seconds: u32::MAX, idle_seconds: 0 }),
            &["Api/Orders", "timeout"],
        );
    }

    #[test]
    fn deployments() {
        use haplat_constructs::service::Deployment;
        for d in [
            Deployment::Canary { percent: f64::NAN, bake_minutes: 5 },
            Deployment::Canary { percent: 0.0, bake_minutes: 5 },
            Deployment::Canary { percent: 101.0, bake_minutes: 5 },
            Deployment::Canary { percent: 10.0, bake_minutes: -1 },
            Deployment::Canary { percent: 10.0, bake_minutes: i64::MAX },
            Deployment::Linear { step_percent: 2.0, step_minutes: 1 },
            Deployment::Linear { step_percent: f64::INFINITY, step_minutes: 1 },
            Deployment::Linear { step_percent: 10.0, step_minutes: 1_441 },
        ] {
            svc(&format!("deployment {d:?}"), |p| p.deployment = d, &["Api/Orders"]);
        }
        // A Cloud-Map-only service that is public, or goes blue/green: contradictions.
        svc(
            "a public Cloud-Map-only service",
            |p| {
                *p = p.clone().cloud_map_only();
                p.internal = false;
            },
            &["Api/Orders", "internal"],
        );
        svc(
            "a blue/green Cloud-Map-only service",
            |p| {
                *p = p.clone().cloud_map_only();
                p.deployment = Deployment::default();
            },
            &["Api/Orders", "Rolling"],
        );
        svc("read-only without paths", |p| p.read_only = true, &["Api/Orders", "read-only"]);
    }

    #[test]
    fn scaling() {
        for v in [f64::NAN, f64::INFINITY, 0.0, -1.0, 101.0] {
            svc(&format!("cpu target {v}"), |p| p.scaling.cpu_target = v, &["Api/Orders", "cpu_target"]);
            svc(&format!("memory target {v}"), |p| p.scaling.memory_target = v, &["Api/Orders", "memory_target"]);
            if v > 100.0 {
                continue; // 101 requests per target a minute is a fine target.
            }
            svc(
                &format!("requests per target {v}"),
                |p| p.scaling.requests_per_target = Some(v),
                &["Api/Orders", "requests"],
            );
        }
        for v in [-1, i64::MIN, i64::MAX] {
            svc(&format!("scale-in cooldown {v}"), |p| p.scaling.scale_in_cooldown = v, &["Api/Orders", "cooldown"]);
            svc(&format!("scale-out cooldown {v}"), |p| p.scaling.scale_out_cooldown = v, &["Api/Orders", "cooldown"]);
        }
        let step = |threshold: f64, steps: Vec<(f64, Option<f64>, i64)>| StepScaling {
            namespace: "Shop/Orders".into(),
            metric_name: "QueueDepth".into(),
            dimensions: Default::default(),
            statistic: "Average".into(),
            threshold,
            steps,
        };
        for (case, s) in [
            ("a NaN threshold", step(f64::NAN, vec![(0.0, None, 1)])),
            ("a NaN step bound", step(10.0, vec![(f64::NAN, None, 1)])),
            ("a step that adds no task", step(10.0, vec![(0.0, None, 0)])),
            ("a step upper under its lower", step(10.0, vec![(5.0, Some(1.0), 1)])),
            ("an empty metric name", StepScaling { metric_name: String::new(), ..step(10.0, vec![(0.0, None, 1)]) }),
        ] {
            svc(case, |p| p.scaling.step = Some(s), &["Api/Orders"]);
        }
    }
}

mod canary {
    use super::*;
    use haplat_constructs::canary::{Canaries, CanariesProps, CanaryCheck};

    fn check(id: &str, kind: &str, url: &str) -> CanaryCheck {
        CanaryCheck::new(id, kind, haplat_core::Value::from(url))
    }

    fn canaries(case: &str, f: impl FnOnce(&mut CanariesProps), needles: &[&str]) {
        refused(
            case,
            |app| {
                let mut p = CanariesProps::new(vec![check("Home", "home", "https://example.com/")]);
                f(&mut p);
                Canaries::new(&app.stack("Probe", "us-east-1"), "Canaries", p);
            },
            needles,
        );
    }

    #[test]
    fn checks_schedules_and_timeouts() {
        canaries("no check", |p| p.checks.clear(), &["Canaries", "check"]);
        for kind in ["", "UPPER", "toolong", "日本", &long()] {
            canaries(
                &format!("kind {:?}", kind.chars().take(10).collect::<String>()),
                |p| p.checks = vec![check("Home", kind, "https://example.com/")],
                &["Canaries", "kind"],
            );
        }
        for (id, says) in hostile_ids() {
            canaries(
                &format!("check id {:?}", id.chars().take(10).collect::<String>()),
                |p| p.checks = vec![check(&id, "home", "https://example.com/")],
                &["Canaries", says],
            );
        }
        canaries(
            "a check twice",
            |p| p.checks.push(check("Home", "home", "https://example.com/")),
            &["Canaries", "Home"],
        );
        for url in ["", "http://example.com/", "example.com", &format!("https://{}", long())] {
            canaries(
                &format!("url {:?}", url.chars().take(12).collect::<String>()),
                |p| p.checks = vec![check("Home", "home", url)],
                &["Canaries"],
            );
        }
        for m in [0, 61, u32::MAX] {
            canaries(&format!("every {m} minutes"), |p| p.every_minutes = m, &["Canaries", "minutes"]);
        }
        for s in [0, 61, u32::MAX] {
            canaries(&format!("request timeout {s}"), |p| p.request_timeout_seconds = s, &["Canaries", "timeout"]);
        }
        for s in [0, 10, 841, u32::MAX] {
            canaries(&format!("run timeout {s}"), |p| p.run_timeout_seconds = s, &["Canaries", "timeout"]);
        }
        for n in [0, 1_441, u32::MAX] {
            canaries(&format!("{n} alarm periods"), |p| p.alarm_periods = n, &["Canaries", "period"]);
        }
        for d in [0, -1, 456, i64::MIN] {
            canaries(&format!("artifacts {d} days"), |p| p.artifact_retention_days = d, &["Canaries", "days"]);
        }
        for v in ["", "no-such-runtime", &long()] {
            canaries(
                &format!("runtime {:?}", v.chars().take(10).collect::<String>()),
                |p| p.runtime_version = v.into(),
                &["Canaries", "runtime"],
            );
        }
    }
}

mod chaos {
    use super::*;
    use haplat_constructs::chaos::{ChaosExperiments, ChaosProps, ChaosService};
    use haplat_core::Value;

    fn service(name: &str) -> ChaosService {
        ChaosService {
            name: name.into(),
            cluster_name: Value::from("shop"),
            service_name: Value::from("orders"),
            stop_alarm_arns: vec![],
        }
    }

    fn chaos(case: &str, f: impl FnOnce(&mut ChaosProps), needles: &[&str]) {
        refused(
            case,
            |app| {
                let alarm = Value::from("arn:aws:cloudwatch:us-east-1:123456789012:alarm:critical");
                let mut p = ChaosProps::new(vec![alarm]);
                p.services = vec![service("Orders")];
                p.private_subnet_ids = vec![Value::from("subnet-0123456789abcdef0")];
                f(&mut p);
                ChaosExperiments::new(&app.stack("Chaos", "us-east-1"), "Chaos", p);
            },
            needles,
        );
    }

    #[test]
    fn percentages_durations_and_targets() {
        for pct in [0, 101, u8::MAX] {
            chaos(&format!("stop {pct} %"), |p| p.stop_task_percent = pct, &["Chaos", "percent"]);
        }
        for d in ["", "PT", "PTabc", "PT0M", "PT-5M", "5M", "PT13H", &format!("PT{}M", "9".repeat(10_000))] {
            chaos(
                &format!("duration {:?}", d.chars().take(10).collect::<String>()),
                |p| p.disruption_duration = d.into(),
                &["Chaos", "duration"],
            );
        }
        for d in ["PT1H30M", "PT90S", "PT12H"] {
            let ok = outcome(d, |app| {
                let mut p = ChaosProps::new(vec![Value::from("arn:aws:cloudwatch:us-east-1:123456789012:alarm:a")]);
                p.services = vec![service("Orders")];
                p.disruption_duration = d.into();
                ChaosExperiments::new(&app.stack("Chaos", "us-east-1"), "Chaos", p);
            });
            assert!(matches!(ok, Outcome::Passed), "{d}: {ok:?}");
        }
        chaos(
            "nothing to experiment on",
            |p| (p.services, p.private_subnet_ids) = (vec![], vec![]),
            &["Chaos", "nothing"],
        );
        chaos("a service twice", |p| p.services.push(service("Orders")), &["Chaos", "Orders"]);
        for (name, says) in hostile_ids() {
            chaos(
                &format!("service name {:?}", name.chars().take(10).collect::<String>()),
                |p| p.services = vec![service(&name)],
                &["Chaos", says],
            );
        }
        for days in [0, -1, 2] {
            chaos(&format!("retention {days}"), |p| p.log_retention_days = days, &["Chaos", "retention"]);
        }
        chaos(
            "region isolation without subnets",
            |p| (p.region_isolation, p.private_subnet_ids) = (true, vec![]),
            &["Chaos", "subnets"],
        );
    }
}

mod monitoring {
    use super::*;
    use haplat_constructs::metrics::ServiceMetrics;
    use haplat_constructs::monitoring::{RegionalMonitoring, RegionalMonitoringProps, Sampling, Thresholds};
    use haplat_core::Value;

    fn service(name: &str) -> ServiceMetrics {
        ServiceMetrics {
            name: name.into(),
            cluster_name: Value::from("shop"),
            service_name: Value::from("orders"),
            load_balancer_full_name: Value::from("app/api/123"),
            target_group_full_name: Value::from("targetgroup/orders/123"),
            alternate_target_group_full_name: None,
            connect_discovery_name: None,
        }
    }

    fn monitoring(case: &str, f: impl FnOnce(&mut RegionalMonitoringProps), needles: &[&str]) {
        refused(
            case,
            |app| {
                let mut p = RegionalMonitoringProps::new(&["us-east-1", "eu-west-1"]);
                p.services = vec![service("Orders")];
                p.load_balancers = vec![Value::from("app/api/123")];
                f(&mut p);
                RegionalMonitoring::new(&app.stack_set("Ops", &["us-east-1", "eu-west-1"]), "Monitoring", p);
            },
            needles,
        );
    }

    #[test]
    fn thresholds() {
        type Field = fn(&mut Thresholds) -> &mut f64;
        let fields: [(&str, Field); 7] = [
            ("error_rate_percent", |t| &mut t.error_rate_percent),
            ("cpu_percent", |t| &mut t.cpu_percent),
            ("memory_percent", |t| &mut t.memory_percent),
            ("throttled_events_per_minute", |t| &mut t.throttled_events_per_minute),
            ("replication_latency_ms", |t| &mut t.replication_latency_ms),
            ("latency_p99_ms", |t| &mut t.latency_p99_ms),
            ("database_connections_percent", |t| &mut t.database_connections_percent),
        ];
        for (name, field) in fields {
            let mut bad = vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0, 0.0];
            if name.ends_with("percent") {
                bad.push(100.5);
            }
            for v in bad {
                monitoring(&format!("{name} {v}"), |p| *field(&mut p.thresholds) = v, &["Monitoring", name]);
            }
        }
    }

    #[test]
    fn regions_services_and_tracing() {
        monitoring("a region twice", |p| p.platform_regions.push("eu-west-1".into()), &["Monitoring", "eu-west-1"]);
        monitoring(
            "a region that does not exist",
            |p| p.platform_regions.push("mars-north-1".into()),
            &["Monitoring", "mars-north-1"],
        );
        monitoring("an empty region", |p| p.platform_regions.push(String::new()), &["Monitoring", "region"]);
        monitoring("a service twice", |p| p.services.push(service("Orders")), &["Monitoring", "Orders"]);
        for (name, says) in hostile_ids() {
            monitoring(
                &format!("service name {:?}", name.chars().take(10).collect::<String>()),
                |p| p.services = vec![service(&name)],
                &["Monitoring", says],
            );
            monitoring(
                &format!("traced service {:?}", name.chars().take(10).collect::<String>()),
                |p| p.tracing.services = vec![name.clone()],
                &["Monitoring"],
            );
        }
        monitoring("a bad email", |p| p.alarm_emails = vec!["no-at".into()], &["Monitoring", "email"]);
        for (reservoir_size, fixed_rate) in [(-1, 0.05), (1, f64::NAN), (1, -0.1), (1, 1.5), (i64::MIN, 0.0)] {
            monitoring(
                &format!("sampling {reservoir_size}/{fixed_rate}"),
                |p| {
                    p.tracing.services = vec!["orders".into()];
                    p.tracing.sampling = Some(Sampling { reservoir_size, fixed_rate });
                },
                &["Monitoring", "sampling"],
            );
        }
    }
}

mod pull_through_cache {
    use super::*;
    use haplat_constructs::ecr::{PullThroughCache, Upstream};

    #[test]
    fn upstreams_credentials_and_images() {
        refused(
            "an upstream twice",
            |app| {
                PullThroughCache::new(&app.stack("S", "us-east-1"), "Cache", vec![Upstream::Quay, Upstream::Quay]);
            },
            &["S/Cache", "quay.io"],
        );
        for arn in ["", "not-an-arn", &long()] {
            refused(
                &format!("a Docker Hub credential {:?}", arn.chars().take(10).collect::<String>()),
                |app| {
                    let credential_arn = haplat_core::Value::from(arn);
                    PullThroughCache::new(
                        &app.stack("S", "us-east-1"),
                        "Cache",
                        vec![Upstream::DockerHub { credential_arn }],
                    );
                },
                &["S/Cache", "credential"],
            );
        }
        // No upstream: no rule, templates that pass.
        let none = outcome("no upstream", |app| {
            let s = app.stack("S", "us-east-1");
            PullThroughCache::new(&s, "Cache", vec![]);
            KmsKey::new(&s, "Key", "k", &[KeyUser::CloudWatchLogs]);
        });
        assert!(matches!(none, Outcome::Passed), "{none:?}");
        // Images: whatever the URI, no panic; one the cache takes is checked as its repository.
        let app = App::new("hostile");
        let cache =
            PullThroughCache::new(&app.stack("S", "us-east-1"), "Cache", vec![Upstream::Quay, Upstream::EcrPublic]);
        for uri in ["", "quay.io/", "quay.io/a:", "quay.io/a@sha256:zz", "quay.io/A_", &format!("quay.io/{}", long())] {
            let r = std::panic::catch_unwind(AssertUnwindSafe(|| cache.image(uri)));
            let image = r.unwrap_or_else(|_| panic!("image({uri:?}) panicked"));
            if matches!(image, haplat_constructs::image::Image::Cached { .. }) && uri.len() > 10 {
                assert!(image.problem().is_some(), "{uri:?}: {image:?}");
            }
        }
        let bad = cache.image("quay.io/a@sha256:zz");
        assert!(bad.problem().is_some(), "{bad:?}");
        // A cached image written by hand is checked as the repository the rule creates.
        let by_hand = haplat_constructs::image::Image::Cached {
            prefix: "quay".into(),
            path: "Not Lowercase".into(),
            reference: haplat_constructs::image::ImageRef::Tag("1".into()),
        };
        assert!(by_hand.problem().is_some_and(|p| p.contains("repository")), "{by_hand:?}");
    }
}

mod load_balancer {
    use super::*;
    use haplat_constructs::load_balancer::{
        ListenerRule, ListenerRuleProps, TargetGroup, TargetGroupProps, TargetProtocol,
    };
    use haplat_core::Value;
    use haplat_core::resources::elasticloadbalancingv2 as elb;

    fn target_group(case: &str, port: u16, path: &str, needles: &[&str]) {
        refused(
            case,
            |app| {
                let props = TargetGroupProps {
                    vpc_id: Value::from("vpc-0123456789abcdef0"),
                    port,
                    health_check_path: path.into(),
                    protocol: TargetProtocol::Http,
                };
                TargetGroup::new(&app.stack("S", "us-east-1"), "Targets", &props);
            },
            needles,
        );
    }

    fn rule(case: &str, f: impl FnOnce(&mut ListenerRuleProps), needles: &[&str]) {
        refused(
            case,
            |app| {
                let s = app.stack("S", "us-east-1");
                let listener = s.add("Listener", elb::Listener::default());
                let mut p = ListenerRuleProps {
                    listener,
                    priority: 10,
                    path_patterns: vec!["/orders/*".into()],
                    header: None,
                    target_groups: vec![(Value::from("arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/a/1"), 1)],
                    methods: None,
                };
                f(&mut p);
                ListenerRule::new(&s, "Rule", p);
            },
            needles,
        );
    }

    fn alb(case: &str, f: impl FnOnce(&mut haplat_constructs::load_balancer::AlbProps), needles: &[&str]) {
        refused(
            case,
            |app| {
                let s = app.stack("S", "us-east-1");
                let mut p = haplat_constructs::load_balancer::AlbProps {
                    vpc_id: Value::from("vpc-0123456789abcdef0"),
                    subnets: vec!["subnet-1".into(), "subnet-2".into()],
                    certificate_arn: Value::from("arn:aws:acm:us-east-1:111111111111:certificate/abc"),
                    internal: false,
                    fronting: None,
                };
                f(&mut p);
                haplat_constructs::load_balancer::Alb::new(&s, "Alb", p);
            },
            &[&["S/Alb"], needles].concat(),
        );
    }

    #[test]
    fn load_balancers() {
        alb("no subnet", |p| p.subnets.clear(), &["subnet"]);
        alb("one subnet", |p| p.subnets.truncate(1), &["subnet"]);
        alb("the same subnet twice", |p| p.subnets = vec!["subnet-1".into(), "subnet-1".into()], &["subnet-1"]);
        alb("an empty certificate", |p| p.certificate_arn = Value::from(""), &["certificate"]);
        alb("a certificate that is no ARN", |p| p.certificate_arn = Value::from("my-cert"), &["certificate"]);
        alb("an empty VPC", |p| p.vpc_id = Value::from(""), &["vpc"]);
    }

    #[test]
    fn target_groups() {
        target_group("port 0", 0, "/health", &["S/Targets", "port"]);
        // A path that does not start with / (ALB refuses it) is refused by the service's check
        // (`ServiceProps::health_check_path`), not yet by `TargetGroup` itself.
        for path in ["", &format!("/{}", long())] {
            target_group(
                &format!("health path {:?}", path.chars().take(10).collect::<String>()),
                8080,
                path,
                &["S/Targets", "health"],
            );
        }
    }

    #[test]
    fn listener_rules() {
        for priority in [0, -1, 50_001, i64::MAX] {
            rule(&format!("priority {priority}"), |p| p.priority = priority, &["S/Rule", "priority"]);
        }
        // The rule is a resource of `S`: its problems are reported at `S`, naming the rule.
        rule("no target group", |p| p.target_groups.clear(), &["S:", "Rule", "target"]);
        for w in [-1, 1_000, i64::MAX] {
            rule(&format!("weight {w}"), |p| p.target_groups[0].1 = w, &["S:", "Rule", "weight"]);
        }
        rule("no method", |p| p.methods = Some(vec![]), &["S:", "Rule", "method"]);
        rule("an empty method", |p| p.methods = Some(vec![String::new()]), &["S:", "Rule", "method"]);
    }
}

mod realtime {
    use haplat_constructs::websocket::{RealtimeAuth, RealtimeProps, RouteThrottle};

    /// The realtime tier of `it::realtime`, with `tweak`: refused, each line short and one naming
    /// `Api/Chat` and every needle.
    fn refused(case: &str, tweak: impl FnOnce(&mut RealtimeProps<'_>), needles: &[&str]) {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| super::super::realtime::build(tweak)));
        let errors =
            r.unwrap_or_else(|_| panic!("{case}: panicked")).err().unwrap_or_else(|| panic!("{case}: synthesized"));
        let text = errors.to_string();
        assert!(text.lines().all(|l| l.chars().count() < 1_100), "{case}: a line is too long");
        assert!(
            text.lines().any(|l| l.contains("Api/Chat") && needles.iter().all(|n| l.to_lowercase().contains(n))),
            "{case}: no line with {needles:?} in {text}"
        );
    }

    /// The tier with other numbers for its alarms and workers: refused, a short line naming
    /// `path` and every needle.
    fn knobs(case: &str, knobs: super::super::realtime::Knobs, path: &str, needles: &[&str]) {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            super::super::realtime::build_with(|_| {}, knobs)
        }));
        let errors =
            r.unwrap_or_else(|_| panic!("{case}: panicked")).err().unwrap_or_else(|| panic!("{case}: synthesized"));
        let text = errors.to_string();
        assert!(text.lines().all(|l| l.chars().count() < 1_100), "{case}: a line is too long");
        assert!(
            text.lines().any(|l| l.contains(path) && needles.iter().all(|n| l.to_lowercase().contains(n))),
            "{case}: no line with {path} and {needles:?} in {text}"
        );
    }

    #[test]
    fn alarm_thresholds_and_worker_counts() {
        use super::super::realtime::Knobs;
        for v in [f64::NAN, 0.0, -1.0] {
            let k = Knobs { connect_throttle_per_minute: v, ..Knobs::default() };
            knobs(&format!("throttle {v}"), k, "Api/ChatAlarms", &["connect throttle"]);
            let k = Knobs { max_queue_age_seconds: v, ..Knobs::default() };
            knobs(&format!("queue age {v}"), k, "Workers/Workers", &["queue age"]);
        }
        knobs("max 0", Knobs { workers_max: 0, workers_min: 0, ..Knobs::default() }, "Workers/Workers", &["max 0"]);
        knobs("min above max", Knobs { workers_min: 9, ..Knobs::default() }, "Workers/Workers", &["min 9"]);
        knobs("negative min", Knobs { workers_min: -1, ..Knobs::default() }, "Workers/Workers", &["min -1"]);
    }

    #[test]
    fn throttles_stage_names_and_auth() {
        for rate in [f64::NAN, f64::INFINITY, 0.0, -1.0] {
            refused(
                &format!("stage rate {rate}"),
                |p| p.stage_throttle = RouteThrottle { rate, burst: 10 },
                &["throttle"],
            );
        }
        refused("burst 0", |p| p.stage_throttle = RouteThrottle { rate: 10.0, burst: 0 }, &["throttle"]);
        let long = "a".repeat(10_000);
        for name in ["", "a b", "日本", long.as_str()] {
            refused(
                &format!("stage {:?}", name.chars().take(8).collect::<String>()),
                |p| p.stage_name = name.into(),
                &["stage"],
            );
        }
        for issuer in ["", "http://a", long.as_str()] {
            refused(
                &format!("issuer {:?}", issuer.chars().take(8).collect::<String>()),
                |p| p.auth = RealtimeAuth::Jwt { issuer: issuer.into(), audience: "chat".into(), jwks_url: None },
                &["issuer"],
            );
        }
        refused(
            "an unknown route",
            |p| {
                p.route_throttles.insert(long.clone(), RouteThrottle { rate: 1.0, burst: 1 });
            },
            &["route"],
        );
        for ttl in [0, 59, 86_400 * 7 + 1, i64::MAX] {
            refused(&format!("ttl {ttl}"), |p| p.connection_ttl_seconds = ttl, &["ttl"]);
        }
        for days in [0, -1, 2] {
            refused(&format!("retention {days}"), |p| p.log_retention_days = days, &["retention"]);
        }
    }
}

mod websocket {
    use super::*;
    use haplat_constructs::websocket::{LambdaCode, WebSocketApi, WebSocketApiProps};

    fn ws(case: &str, f: impl FnOnce(&mut WebSocketApiProps), needles: &[&str]) {
        refused(
            case,
            |app| {
                let mut p = WebSocketApiProps::new(LambdaCode::inline_echo());
                f(&mut p);
                WebSocketApi::new(&app.stack_set("Rt", &["us-east-1", "eu-west-1"]), "Ws", p);
            },
            needles,
        );
    }

    #[test]
    fn numbers_names_and_handler() {
        for rate in [f64::NAN, f64::INFINITY, 0.0, -1.0] {
            ws(&format!("rate {rate}"), |p| p.throttling_rate = rate, &["Rt/Ws", "throttl"]);
        }
        for burst in [0, -1, i64::MIN] {
            ws(&format!("burst {burst}"), |p| p.throttling_burst = burst, &["Rt/Ws", "throttl"]);
        }
        for m in [0, 127, 10_241, i64::MIN] {
            ws(&format!("memory {m}"), |p| p.memory_mb = m, &["Rt/Ws", "memory"]);
        }
        for t in [0, 30, -1] {
            ws(&format!("timeout {t}"), |p| p.timeout_seconds = t, &["Rt/Ws", "timeout"]);
        }
        for name in ["", "a b", "日本", &long()] {
            ws(
                &format!("stage {:?}", name.chars().take(8).collect::<String>()),
                |p| p.stage_name = name.into(),
                &["Rt/Ws", "stage"],
            );
        }
        ws("an empty handler", |p| p.handler = String::new(), &["Rt/Ws", "handler"]);
        for c in [-1, i64::MIN] {
            ws(&format!("reserved concurrency {c}"), |p| p.reserved_concurrency = Some(c), &["Rt/Ws", "concurrency"]);
        }
        for days in [0, -1, 2] {
            ws(&format!("retention {days}"), |p| p.log_retention_days = days, &["Rt/Ws", "retention"]);
        }
    }
}

mod aurora {
    use super::*;
    use haplat_constructs::RegionSpec;
    use haplat_constructs::aurora::{AuroraGlobal, AuroraGlobalProps, Capacity as Acu, PointInTimeRecovery};
    use haplat_core::value::Value;

    fn regions() -> Vec<RegionSpec> {
        vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("eu-west-1")]
    }

    /// A global database over two regions, `f` applied to its props.
    fn db(case: &str, f: impl FnOnce(&mut AuroraGlobalProps), needles: &[&str]) {
        let build = |app: &App| {
            let stack = app.stack_set("Data", &["us-east-1", "eu-west-1"]);
            let mut p =
                AuroraGlobalProps::new(&regions(), Value::from("vpc-1"), vec!["subnet-1".into(), "subnet-2".into()]);
            f(&mut p);
            AuroraGlobal::new(&stack, "Db", p);
        };
        refused(case, build, &[&["Data/Db"], needles].concat());
    }

    #[test]
    fn capacity_names_and_retentions() {
        for (min, max) in [(f64::NAN, 8.0), (1.0, f64::INFINITY), (-1.0, 8.0)] {
            db(
                &format!("ACU {min}..{max}"),
                |p| p.capacity = Acu::ServerlessV2 { min_acu: min, max_acu: max },
                &["ACU"],
            );
        }
        db(
            "empty instance class",
            |p| p.capacity = Acu::Provisioned { instance_class: String::new() },
            &["instance class"],
        );
        db("10k instance class", |p| p.capacity = Acu::Provisioned { instance_class: long() }, &["instance class"]);
        db("empty version", |p| p.engine_version = String::new(), &["version"]);
        db("empty user", |p| p.master_username = String::new(), &["master username"]);
        db("10k user", |p| p.master_username = long(), &["master username"]);
        db("non-ASCII user", |p| p.master_username = "日本".into(), &["master username"]);
        db("empty database name", |p| p.database_name = Some(String::new()), &["database name"]);
        db("10k database name", |p| p.database_name = Some(long()), &["database name"]);
        db("database name with a space", |p| p.database_name = Some("my db".into()), &["database name"]);
        db("database name from a digit", |p| p.database_name = Some("1shop".into()), &["database name"]);
        db("empty global identifier", |p| p.global_cluster_identifier = Some(String::new()), &["identifier"]);
        db("10k global identifier", |p| p.global_cluster_identifier = Some(long()), &["identifier"]);
        db("negative insights", |p| p.performance_insights_retention_days = -1, &["Performance Insights"]);
        db("negative log retention", |p| p.log_retention_days = -1, &["log retention"]);
        db(
            "negative backups",
            |p| p.point_in_time_recovery = PointInTimeRecovery::Rds { retention_days: -1 },
            &["retention"],
        );
        db("empty tag key", |p| p.tags = vec![(String::new(), "v".into())], &["tag"]);
        db("10k tag value", |p| p.tags = vec![("backup".into(), long())], &["tag"]);
    }
}

mod edge {
    use super::*;
    use haplat_constructs::edge::{EdgeDistribution, EdgeDistributionProps};
    use haplat_constructs::platform::RegionRole;

    use crate::global::endpoint;

    /// A distribution in front of two regions, `f` applied to its props.
    fn cdn(case: &str, f: impl FnOnce(&mut EdgeDistributionProps), needles: &[&str]) {
        let build = |app: &App| {
            let edge = app.stack("Edge", "us-east-1");
            let mut p = EdgeDistributionProps::new(
                HostedZone::existing("Z0123456789ABCDEFGHIJ", "example.com"),
                &["www.example.com"],
                vec![endpoint("us-east-1", RegionRole::Primary), endpoint("eu-west-1", RegionRole::Secondary)],
            );
            f(&mut p);
            EdgeDistribution::new(&edge, "Cdn", p);
        };
        refused(case, build, &[&["Edge/Cdn"], needles].concat());
    }

    #[test]
    fn names_limits_retentions_and_endpoints() {
        cdn("no viewer name", |p| p.domain_names.clear(), &["name"]);
        cdn("a name outside the zone", |p| p.domain_names = vec!["www.other.org".into()], &["www.other.org"]);
        cdn("a 10k name", |p| p.domain_names = vec![format!("{}.example.com", long())], &["name"]);
        cdn("the same name twice", |p| p.domain_names.push("www.example.com".into()), &["www.example.com"]);
        cdn("an empty origin label", |p| p.origin_label = String::new(), &["origin"]);
        cdn("a dotted origin label", |p| p.origin_label = "a.b".into(), &["origin"]);
        cdn("rate limit 0", |p| p.rate_limit = 0, &["rate"]);
        cdn("negative rate limit", |p| p.rate_limit = -5, &["rate"]);
        cdn("WAF logs kept 0 days", |p| p.waf_log_retention_days = 0, &["retention"]);
        cdn("access logs kept -1 days", |p| p.access_log_retention_days = -1, &["access log"]);
        cdn("no endpoint", |p| p.endpoints.clear(), &["region"]);
        cdn("an endpoint twice", |p| p.endpoints.push(endpoint("eu-west-1", RegionRole::Secondary)), &["eu-west-1"]);
        cdn(
            "an endpoint in no real region",
            |p| p.endpoints.push(endpoint("mars-1", RegionRole::Secondary)),
            &["mars-1"],
        );
        for (case, path) in [("an empty read-only path", String::new()), ("a 10k read-only path", long())] {
            let f = |p: &mut EdgeDistributionProps| {
                p.mode = haplat_constructs::DrMode::ActivePassive;
                p.read_only_paths = vec![path.clone()];
            };
            cdn(case, f, &["read_only_paths"]);
        }
    }
}

mod platform {
    use super::*;
    use haplat_constructs::RegionSpec;
    use haplat_constructs::composition::{Platform, PlatformProps};
    use haplat_constructs::service::ServiceProps;

    /// The composition over two regions with one service, `f` applied to its props.
    fn platform(case: &str, f: impl FnOnce(&mut PlatformProps), needles: &[&str]) {
        let build = |app: &App| {
            let mut p = PlatformProps::new(
                vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("eu-west-1")],
                HostedZone::existing("Z0123456789ABCDEFGHIJ", "example.com"),
                &["www.example.com"],
                &["oncall@example.com"],
            );
            p.confirm_mails = Some("the on-call address confirms".into());
            p.services = vec![ServiceProps {
                health_check_path: "/".into(),
                run_as: haplat_constructs::fargate::RunAs::image_default("NGINX binds port 80 as root"),
                ..ServiceProps::new("Orders", "public.ecr.aws/nginx/nginx:1.27", 80)
            }];
            f(&mut p);
            Platform::new(app, p);
        };
        refused(case, build, needles);
    }

    #[test]
    fn facts_stated_once() {
        platform("no region", |p| p.regions.clear(), &["region"]);
        platform("a region twice", |p| p.regions.push(RegionSpec::secondary("eu-west-1")), &["eu-west-1"]);
        platform("a region that does not exist", |p| p.regions.push(RegionSpec::secondary("mars-1")), &["mars-1"]);
        platform("no service", |p| p.services.clear(), &["service"]);
        platform("no viewer name", |p| p.viewer_names.clear(), &["name"]);
        platform("a NaN SLO", |p| p.availability_slo = Some(f64::NAN), &["objective"]);
        platform("an SLO of 100", |p| p.availability_slo = Some(100.0), &["objective"]);
        platform("0 zones", |p| p.azs = 0, &["zone"]);
        platform("9 zones", |p| p.azs = 9, &["zone"]);
        platform("a NaN edge error rate", |p| p.edge_error_rate_percent = f64::NAN, &["error rate"]);
        platform("an edge blocked rate over 100", |p| p.edge_blocked_percent = 150.0, &["blocked"]);
        platform("an empty secret name", |p| p.origin_secret_name = Some(String::new()), &["secret"]);
        platform("an e-mail that is no address", |p| p.alarm_emails = vec!["oncall".into()], &["oncall"]);
        platform("no e-mail", |p| p.alarm_emails.clear(), &["nobody"]);
        platform("a 10k origin label", |p| p.origin_label = long(), &["10012 characters"]);
    }
}
