//! `haplat db` against the fakes (`fixtures/aurora`: an Aurora global database in the
//! constructs' shape, primary us-east-1, in a stack set over three regions) and a fake of
//! [`Database`]: the status agreeing and disagreeing with the template's primary, a switchover
//! waited for and measured against `dbFailoverSeconds`, a timeout, the refusals (failover
//! without `--allow-data-loss`, an unknown region, a region without a member, the writer
//! already there, a busy global cluster) with nothing changed, and deploy's preflight.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use haplat_cli::assembly::Assembly;
use haplat_cli::cfn::{CfnError, CfnResult};
use haplat_cli::database::{Database, FailoverState, GlobalCluster, GlobalMember, Promotion};
use haplat_cli::db::{Change, Layout, Wait, locate, preflight, promote, status};
use haplat_cli::exit;
use haplat_cli::health::Retry;

use crate::fake::Fake;
use crate::harness::{Project, Source, fixture, run};
use crate::observe_fake::{FakeObserve, physical};

const REGIONS: [&str; 3] = ["us-east-1", "us-west-2", "eu-west-1"];

/// The global cluster's identifier: the deployed physical id the fakes give it.
fn gid() -> String {
    physical("us-east-1", "DbGlobalCluster", "AWS::RDS::GlobalCluster")
}

fn cluster_id(region: &str) -> String {
    let logical = if region == "us-east-1" { "DbPrimaryCluster" } else { "DbSecondaryCluster" };
    physical(region, logical, "AWS::RDS::DBCluster")
}

fn arn(region: &str) -> String {
    format!("arn:aws:rds:{region}:111111111111:cluster:{}", cluster_id(region))
}

/// A fake RDS: one global cluster whose members are the three regions' clusters; a promotion
/// takes `reads` reads of `DescribeGlobalClusters` (switching over, then done), or never ends
/// (`stuck`).
#[derive(Debug)]
struct Rds {
    cluster: GlobalCluster,
    /// (target ARN, reads left, data loss allowed) of the move under way.
    moving: Option<(String, u32, bool)>,
    reads: u32,
    stuck: bool,
    lag: BTreeMap<String, f64>,
    errors: BTreeMap<&'static str, VecDeque<CfnError>>,
    calls: Vec<String>,
}

#[derive(Debug)]
struct FakeRds(Mutex<Rds>);

impl FakeRds {
    /// Writer in `writer`, every region a member, available.
    fn with_writer(writer: &str) -> FakeRds {
        let members = REGIONS
            .iter()
            .map(|r| GlobalMember {
                arn: arn(r),
                is_writer: *r == writer,
                synchronization: Some("connected".into()),
                write_forwarding: (*r != writer).then(|| "enabled".into()),
            })
            .collect();
        FakeRds(Mutex::new(Rds {
            cluster: GlobalCluster {
                id: gid(),
                status: "available".into(),
                endpoint: Some(format!("{}.global-abc123.global.rds.amazonaws.com", gid())),
                members,
                failover: None,
            },
            moving: None,
            reads: 2,
            stuck: false,
            lag: BTreeMap::from([(cluster_id("us-west-2"), 42.0)]),
            errors: BTreeMap::new(),
            calls: Vec::new(),
        }))
    }
    fn with<R>(&self, f: impl FnOnce(&mut Rds) -> R) -> R {
        f(&mut self.0.lock().unwrap())
    }
    fn calls(&self) -> Vec<String> {
        self.with(|s| s.calls.clone())
    }
    fn changes(&self) -> Vec<String> {
        self.calls().into_iter().filter(|c| !c.starts_with("describe") && !c.starts_with("lag")).collect()
    }
}

impl Database for FakeRds {
    async fn global_cluster(&self, region: &str, id: &str) -> CfnResult<Option<GlobalCluster>> {
        self.with(|s| {
            s.calls.push(format!("describe {region}"));
            if let Some(e) = s.errors.get_mut("global_cluster").and_then(VecDeque::pop_front) {
                return Err(e);
            }
            if id != s.cluster.id {
                return Ok(None);
            }
            let stuck = s.stuck;
            if let Some((target, left, loss)) = s.moving.clone() {
                if left == 0 && !stuck {
                    for m in &mut s.cluster.members {
                        m.is_writer = m.arn == target;
                    }
                    s.cluster.status = "available".into();
                    s.cluster.failover = None;
                    s.moving = None;
                } else {
                    let from = s.cluster.writer().map(|m| m.arn.clone());
                    s.cluster.status = if loss { "failing-over" } else { "switching-over" }.into();
                    s.cluster.failover = Some(FailoverState {
                        status: "failing-over".into(),
                        from_arn: from,
                        to_arn: Some(target.clone()),
                        data_loss_allowed: loss,
                    });
                    s.moving = Some((target, left.saturating_sub(1), loss));
                }
            }
            Ok(Some(s.cluster.clone()))
        })
    }
    async fn promote(&self, region: &str, id: &str, target_arn: &str, how: Promotion) -> CfnResult<()> {
        self.with(|s| {
            s.calls.push(format!("{} {region} {id} {target_arn}", how.as_str()));
            if let Some(e) = s.errors.get_mut("promote").and_then(VecDeque::pop_front) {
                return Err(e);
            }
            s.moving = Some((target_arn.to_owned(), s.reads, how == Promotion::Failover));
            Ok(())
        })
    }
    async fn replication_lag_ms(&self, region: &str, cluster_id: &str) -> CfnResult<Option<f64>> {
        self.with(|s| {
            s.calls.push(format!("lag {region} {cluster_id}"));
            Ok(s.lag.get(cluster_id).copied())
        })
    }
}

fn retry() -> Retry {
    Retry { first: Duration::from_secs(1), max: Duration::from_secs(4), retries: 3 }
}

fn wait() -> Wait {
    Wait { timeout: Duration::from_secs(300), poll: Duration::from_secs(15) }
}

/// The fixture deployed in its three regions, and where the database is.
async fn deployed() -> (Fake, FakeObserve, Assembly, Layout) {
    let a = Assembly::load(&fixture("aurora")).unwrap();
    let cfn = Fake::default();
    let regions: Vec<String> = REGIONS.iter().map(|r| r.to_string()).collect();
    cfn.deployed("Api", &a.template("Api").body, &regions);
    let obs = FakeObserve::deployed(&a);
    let layout = locate(&cfn, &obs, &a, &retry()).await.unwrap().expect("the fixture has a global database");
    (cfn, obs, a, layout)
}

#[tokio::test(start_paused = true)]
async fn the_layout_comes_from_the_template_and_the_deployed_stacks() {
    let (_, _, _, layout) = deployed().await;
    assert_eq!(layout.stack, "Api");
    assert_eq!(layout.path, "Api/Db/GlobalCluster");
    assert_eq!(layout.id, gid());
    assert_eq!(layout.template_primary, "us-east-1");
    assert!(layout.deployed);
    for r in REGIONS {
        assert_eq!(layout.clusters[r], cluster_id(r), "{r}");
    }
}

#[tokio::test(start_paused = true)]
async fn the_status_agrees_when_the_writer_is_the_templates_primary() {
    let (_, _, _, layout) = deployed().await;
    let rds = FakeRds::with_writer("us-east-1");
    let s = status(&rds, &layout, &retry()).await.unwrap();
    assert!(s.agrees);
    assert_eq!(s.writer.as_deref(), Some("us-east-1"));
    let roles: Vec<(&str, &str, &str)> =
        s.regions.iter().map(|r| (r.region.as_str(), r.role.as_str(), r.template_role.as_str())).collect();
    assert_eq!(
        roles,
        [
            ("us-east-1", "writer", "primary"),
            ("us-west-2", "reader", "secondary"),
            ("eu-west-1", "reader", "secondary")
        ]
    );
    assert_eq!(s.regions[1].lag_ms, Some(42.0));
    assert_eq!(s.regions[2].lag_ms, None, "no datapoint");
    let t = s.text();
    assert!(t.contains("us-west-2       reader       template: secondary  cluster us-west-2-DbSecondaryCluster, connected, write forwarding enabled, lag 42 ms"), "{t}");
    assert!(t.ends_with("the writer is us-east-1, the template's primary: they agree\n"), "{t}");
    // Only reads: the primary's region first, each reader's lag.
    assert_eq!(rds.changes(), Vec::<String>::new());
    assert_eq!(rds.calls()[0], "describe us-east-1");
}

#[tokio::test(start_paused = true)]
async fn the_status_disagrees_after_a_switchover_and_says_the_remedy() {
    let (_, _, _, layout) = deployed().await;
    let rds = FakeRds::with_writer("us-west-2");
    let s = status(&rds, &layout, &retry()).await.unwrap();
    assert!(!s.agrees);
    assert_eq!(s.writer.as_deref(), Some("us-west-2"));
    let t = s.text();
    let last = t.lines().last().unwrap();
    assert_eq!(
        last,
        format!(
            "DISAGREE: the writer of global database {} is us-west-2, the template's primary is us-east-1: switch back \
             before deploying stack set Api (`haplat db switchover --to us-east-1`), or deploy only the other stack \
             sets (`haplat deploy STACK…`)",
            gid()
        )
    );
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["agrees"], false);
    assert_eq!(json["layout"]["templatePrimary"], "us-east-1");
    assert_eq!(json["regions"][0]["role"], "reader");
}

#[tokio::test(start_paused = true)]
async fn the_status_asks_another_region_when_the_primarys_does_not_answer() {
    let (_, _, _, layout) = deployed().await;
    let rds = FakeRds::with_writer("us-east-1");
    rds.with(|s| {
        s.errors.insert(
            "global_cluster",
            VecDeque::from([CfnError::Unreachable {
                endpoint: "AWS in us-east-1".into(),
                message: "timed out".into(),
            }]),
        )
    });
    let s = status(&rds, &layout, &retry()).await.unwrap();
    assert!(s.agrees);
    assert_eq!(&rds.calls()[..2], ["describe us-east-1", "describe us-west-2"]);
}

#[tokio::test(start_paused = true)]
async fn a_switchover_waits_for_the_new_writer_and_meets_the_objective() {
    let (_, _, a, layout) = deployed().await;
    let rds = FakeRds::with_writer("us-east-1");
    let objective = a.manifest.objectives.as_ref().and_then(|o| o.db_failover_seconds);
    assert_eq!(objective, Some(120));
    let t = promote(&rds, &layout, "us-west-2", Promotion::Switchover, &wait(), objective, &retry()).await.unwrap();
    assert!(t.settled, "{}", t.text());
    assert_eq!(t.elapsed_seconds, Some(45), "three reads 15 s apart: {}", t.text());
    assert!(!t.objective_missed);
    assert_eq!(rds.changes(), [format!("switchover us-west-2 {} {}", gid(), arn("us-west-2"))]);
    let text = t.text();
    assert!(text.contains("SwitchoverGlobalCluster to arn:aws:rds:us-west-2:"), "{text}");
    assert!(text.contains("status switching-over, writer us-east-1, failover state failing-over"), "{text}");
    assert!(text.contains("us-west-2 is the writer; the switchover took 45 s"), "{text}");
    assert!(text.contains("objective dbFailoverSeconds 120 s: met"), "{text}");
    // The template's primary is now stale: the timeline ends with what to do before a deploy.
    assert!(text.trim_end().ends_with("or deploy only the other stack sets (`haplat deploy STACK…`)"), "{text}");
    // Asked in the target's region.
    assert!(rds.calls().iter().all(|c| !c.starts_with("describe") || c == "describe us-west-2"), "{:?}", rds.calls());
}

#[tokio::test(start_paused = true)]
async fn a_failover_allows_data_loss_and_can_miss_the_objective() {
    let (_, _, _, layout) = deployed().await;
    let rds = FakeRds::with_writer("us-east-1");
    rds.with(|s| s.reads = 10);
    let t = promote(&rds, &layout, "eu-west-1", Promotion::Failover, &wait(), Some(120), &retry()).await.unwrap();
    assert!(t.settled);
    assert!(t.objective_missed, "{}", t.text());
    assert!(t.text().contains("objective dbFailoverSeconds 120 s: missed"), "{}", t.text());
    assert_eq!(rds.changes(), [format!("failover eu-west-1 {} {}", gid(), arn("eu-west-1"))]);
    assert!(t.text().contains("FailoverGlobalCluster with AllowDataLoss"), "{}", t.text());
}

#[tokio::test(start_paused = true)]
async fn a_move_that_does_not_end_in_time_is_reported_not_settled() {
    let (_, _, _, layout) = deployed().await;
    let rds = FakeRds::with_writer("us-east-1");
    rds.with(|s| s.stuck = true);
    let wait = Wait { timeout: Duration::from_secs(60), poll: Duration::from_secs(15) };
    let t = promote(&rds, &layout, "us-west-2", Promotion::Switchover, &wait, Some(120), &retry()).await.unwrap();
    assert!(!t.settled);
    assert_eq!(t.elapsed_seconds, None);
    let last = &t.steps.last().unwrap().what;
    assert!(last.starts_with("gave up waiting after 60 s (--timeout): us-west-2 is not the writer yet"), "{last}");
    assert_eq!(rds.changes().len(), 1, "asked once");
}

#[tokio::test(start_paused = true)]
async fn bad_targets_are_refused_before_anything_changes() {
    let (_, _, _, layout) = deployed().await;
    // A region the stack set does not have: refused before RDS is asked anything.
    let rds = FakeRds::with_writer("us-east-1");
    let e = promote(&rds, &layout, "ap-south-1", Promotion::Switchover, &wait(), None, &retry()).await.unwrap_err();
    assert_eq!(e.exit_code(), exit::USAGE);
    assert_eq!(
        e.to_string(),
        "--to ap-south-1: not a region of stack set Api, which holds global database us-east-1-DbGlobalCluster (regions: us-east-1, us-west-2, eu-west-1)"
    );
    assert!(rds.calls().is_empty(), "{:?}", rds.calls());

    // The writer already there.
    let e = promote(&rds, &layout, "us-east-1", Promotion::Switchover, &wait(), None, &retry()).await.unwrap_err();
    assert_eq!(e.exit_code(), exit::REFUSED);
    assert!(e.to_string().contains("us-east-1 is already the writer of global database"), "{e}");

    // A region without a member cluster (removed from the global database by hand).
    rds.with(|s| s.cluster.members.retain(|m| !m.arn.contains(":eu-west-1:")));
    let e = promote(&rds, &layout, "eu-west-1", Promotion::Failover, &wait(), None, &retry()).await.unwrap_err();
    assert_eq!(e.exit_code(), exit::REFUSED);
    assert!(e.to_string().contains("has no member cluster in eu-west-1 (members: us-east-1, us-west-2)"), "{e}");

    // Busy: a switchover already under way.
    let rds = FakeRds::with_writer("us-east-1");
    rds.with(|s| {
        s.cluster.status = "switching-over".into();
        s.cluster.failover = Some(FailoverState { status: "pending".into(), ..Default::default() });
    });
    let e = promote(&rds, &layout, "us-west-2", Promotion::Switchover, &wait(), None, &retry()).await.unwrap_err();
    assert_eq!(e.exit_code(), exit::REFUSED);
    assert!(e.to_string().contains("is busy (status switching-over, writer us-east-1, failover state pending)"), "{e}");
    assert_eq!(rds.changes(), Vec::<String>::new());

    // RDS's own refusal is one line, nothing changed.
    let rds = FakeRds::with_writer("us-east-1");
    rds.with(|s| {
        s.errors.insert(
            "promote",
            VecDeque::from([CfnError::service("InvalidGlobalClusterStateFault", "the secondary is not synchronized")]),
        )
    });
    let e = promote(&rds, &layout, "us-west-2", Promotion::Switchover, &wait(), None, &retry()).await.unwrap_err();
    assert_eq!(e.exit_code(), exit::REFUSED);
    assert!(e.to_string().starts_with("RDS refused the switchover of global database"), "{e}");
}

#[tokio::test(start_paused = true)]
async fn deploy_and_destroy_refuse_the_database_stack_set_while_the_writer_is_elsewhere() {
    let (cfn, obs, a, _) = deployed().await;
    let api = vec!["Api".to_owned()];
    let agreeing = FakeRds::with_writer("us-east-1");
    assert_eq!(preflight(&cfn, &obs, &agreeing, &a, &api, Change::Deploy, &|_| false, &retry()).await.unwrap(), None);
    let moved = FakeRds::with_writer("us-west-2");
    let refusal =
        preflight(&cfn, &obs, &moved, &a, &api, Change::Deploy, &|_| false, &retry()).await.unwrap().expect("refused");
    assert!(refusal.contains("is us-west-2, the template's primary is us-east-1"), "{refusal}");
    assert!(refusal.ends_with("; nothing was changed"), "{refusal}");
    // Destroy too: it would delete the writer's region before its secondaries.
    let refusal =
        preflight(&cfn, &obs, &moved, &a, &api, Change::Destroy, &|_| false, &retry()).await.unwrap().expect("refused");
    assert!(
        refusal.contains("switch back before destroying stack set Api (`haplat db switchover --to us-east-1`)"),
        "{refusal}"
    );
    // A deploy of other stack sets is not concerned, and asks RDS nothing.
    let other = FakeRds::with_writer("us-west-2");
    assert_eq!(
        preflight(&cfn, &obs, &other, &a, &["Edge".to_owned()], Change::Deploy, &|_| false, &retry()).await.unwrap(),
        None
    );
    assert!(other.calls().is_empty());
    // A deploy that leaves the database's resources as deployed goes ahead (a note names the
    // writer); a destroy never does.
    let leaves = |stack: &str| stack == "Api";
    assert_eq!(preflight(&cfn, &obs, &moved, &a, &api, Change::Deploy, &leaves, &retry()).await.unwrap(), None);
    assert!(preflight(&cfn, &obs, &moved, &a, &api, Change::Destroy, &leaves, &retry()).await.unwrap().is_some());
    // Not deployed yet: nothing to compare.
    let fresh = Fake::default();
    let none = FakeObserve::default();
    assert_eq!(preflight(&fresh, &none, &moved, &a, &api, Change::Deploy, &|_| false, &retry()).await.unwrap(), None);
}

/// The writer cannot be read (denied, throttled past the retries, no region answering): a change
/// that touches the database's resources stops with that error, naming what was not checked; one
/// that leaves them alone goes ahead with a warning.
#[tokio::test(start_paused = true)]
async fn a_writer_that_cannot_be_read_stops_a_change_to_the_database_and_nothing_else() {
    let (cfn, obs, a, _) = deployed().await;
    let api = vec!["Api".to_owned()];
    let failing = |errors: Vec<CfnError>| {
        let rds = FakeRds::with_writer("us-east-1");
        rds.with(|s| s.errors.insert("global_cluster", VecDeque::from(errors)));
        rds
    };
    let denied = || CfnError::service("AccessDenied", "not authorized to perform rds:DescribeGlobalClusters");
    let unreachable = |r: &str| CfnError::Unreachable { endpoint: format!("AWS in {r}"), message: "timed out".into() };
    let cases: Vec<(&str, Vec<CfnError>, u8)> = vec![
        ("denied", vec![denied()], exit::FAILED),
        (
            "throttled past the retries",
            (0..4).map(|_| CfnError::Throttled("Rate exceeded".into())).collect(),
            exit::FAILED,
        ),
        (
            "no region answering",
            REGIONS.iter().flat_map(|r| (0..4).map(move |_| unreachable(r))).collect(),
            exit::ACCESS,
        ),
    ];
    for (case, errors, code) in cases {
        for change in [Change::Deploy, Change::Destroy] {
            let rds = failing(errors.clone());
            let e = preflight(&cfn, &obs, &rds, &a, &api, change, &|_| false, &retry()).await.unwrap_err();
            assert_eq!(e.exit_code(), code, "{case}, {change:?}: {e}");
            let text = e.to_string();
            assert!(text.contains("the Aurora writer was not checked"), "{case}: {text}");
            assert!(text.contains("nothing was changed"), "{case}: {text}");
            assert_eq!(text.lines().count(), 1, "{case}: {text}");
            assert!(rds.changes().is_empty());
        }
        // A deploy that leaves the database's resources alone, or other stack sets: a warning.
        let rds = failing(errors.clone());
        assert_eq!(preflight(&cfn, &obs, &rds, &a, &api, Change::Deploy, &|_| true, &retry()).await.unwrap(), None);
        let rds = failing(errors);
        let other = ["Edge".to_owned()];
        assert_eq!(preflight(&cfn, &obs, &rds, &a, &other, Change::Deploy, &|_| false, &retry()).await.unwrap(), None);
    }
}

/// What a change to the database's stack set sends its `AWS::RDS::*` resources: nothing when only
/// other resources, or parameters they do not read, change.
#[test]
fn a_change_leaves_the_database_alone_only_when_no_rds_resource_or_what_it_reads_changes() {
    use haplat_cli::ops::deploy::leaves_database;
    use haplat_cli::stack_diff::{ParamChange, StackDiff};
    use serde_json::json;
    let with_group = |image: &str, instance_class: &str, group: &str| {
        json!({"Parameters": {"Image": {"Type": "String"}, "DbClass": {"Type": "String"}},
            "Resources": {
                "Db": {"Type": "AWS::RDS::DBInstance", "Properties": {"DBInstanceClass": {"Ref": "DbClass"}, "Engine": instance_class,
                    "VPCSecurityGroups": [{"Fn::GetAtt": ["DbGroup", "GroupId"]}]}},
                "DbGroup": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": group}},
                "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"Image": {"Ref": "Image"}, "Tag": image}}}})
    };
    let template = |image: &str, instance_class: &str| with_group(image, instance_class, "db");
    let diff = |old: &serde_json::Value, new: &serde_json::Value, params: &[&str]| StackDiff {
        name: "Api".into(),
        deployed: true,
        template: haplat_cli::template_diff::diff_templates(Some(old), None, Some(new), None),
        parameters: params
            .iter()
            .map(|p| ParamChange {
                region: "us-east-1".into(),
                name: (*p).into(),
                old: Some("a".into()),
                new: Some("b".into()),
            })
            .collect(),
        ..Default::default()
    };
    let before = template("v1", "aurora-postgresql");
    // A new image: only the task definition changes.
    let image = template("v2", "aurora-postgresql");
    assert!(leaves_database(&diff(&before, &image, &["Image"]), &image));
    // The database's own property, or a parameter it reads.
    let engine = template("v1", "aurora-mysql");
    assert!(!leaves_database(&diff(&before, &engine, &[]), &engine));
    assert!(!leaves_database(&diff(&before, &before, &["DbClass"]), &before));
    // A resource it reads (its security group, replaced: a new id reaches the cluster).
    let group = with_group("v1", "aurora-postgresql", "the database's");
    assert!(!leaves_database(&diff(&before, &group, &[]), &group));
    // A region added (a new secondary cluster), or a stack set not deployed yet.
    let added = StackDiff { regions_added: vec!["eu-west-1".into()], ..diff(&before, &image, &[]) };
    assert!(!leaves_database(&added, &image));
    let fresh = StackDiff { deployed: false, ..diff(&before, &image, &[]) };
    assert!(!leaves_database(&fresh, &image));
}

#[test]
fn the_command_refuses_bad_input_before_calling_aws() {
    let p = Project::new(Source::Fixture("aurora"));
    // No credentials and no endpoint in the test's environment: any AWS call would fail with 4.
    let r = run(&mut p.haplat(&["db", "failover", "--to", "us-west-2", "--no-synth"]));
    assert_eq!(r.code, i32::from(exit::USAGE), "{r:?}");
    assert_eq!(r.stderr.lines().filter(|l| !l.trim().is_empty()).count(), 1, "one line: {}", r.stderr);
    assert!(r.stderr.contains("pass --allow-data-loss"), "{}", r.stderr);
    let r = run(&mut p.haplat(&["db", "switchover", "--to", "ap-south-1"]));
    assert_eq!(r.code, i32::from(exit::USAGE), "{r:?}");
    assert!(r.stderr.contains("--to ap-south-1: not a region of stack set Api"), "{}", r.stderr);
    let r = run(&mut p.haplat(&["db", "switchover", "--to", "us-west-2", "--timeout", "0m", "--no-synth"]));
    assert_eq!(r.code, i32::from(exit::USAGE), "{r:?}");
    assert!(r.stderr.contains("--timeout"), "{}", r.stderr);
    let r = run(&mut p.haplat(&["db", "switchover", "--no-synth"]));
    assert_eq!(r.code, i32::from(exit::USAGE), "{r:?}");
    assert!(r.stderr.contains("--to <REGION>"), "{}", r.stderr);
}
