//! `haplat failover` and `failback` with Route 53 ARC (`fixtures/ops-arc`: the `ops` API and an
//! `Edge` with a cluster, a routing control per region gating its routed record, and the safety
//! rule), against the fakes and a fake of [`RoutingControls`]: the flip in one transaction,
//! refusing to turn the last region off, ARC's own refusal, an endpoint that does not answer,
//! throttling, the wait for Route 53's name servers (`TestDNSAnswer`) and its timeout, failback.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use haplat_cli::assembly::Assembly;
use haplat_cli::cfn::{CfnError, CfnResult};
use haplat_cli::exit;
use haplat_cli::failover::{Move, Wait, run_with};
use haplat_cli::health::Retry;
use haplat_cli::routing::{ClusterEndpoint, RoutingControls};

use crate::fake::Fake;
use crate::harness::fixture;
use crate::observe_fake::{FakeObserve, physical};

const REGIONS: [&str; 3] = ["us-east-1", "us-west-2", "eu-west-1"];
const ORIGIN: &str = "origin.shop.example.com.";

fn pascal(r: &str) -> String {
    r.split('-').map(|p| p[..1].to_uppercase() + &p[1..]).collect()
}

/// The ARN the fakes give a region's routing control (its physical id).
fn control(region: &str) -> String {
    physical("us-east-1", &format!("{}Control", pascal(region)), "AWS::Route53RecoveryControl::RoutingControl")
}

fn address(region: &str) -> String {
    format!("10.{}.0.1", REGIONS.iter().position(|r| *r == region).unwrap() + 1)
}

/// A fake ARC cluster (five endpoints, an ATLEAST-1 safety rule over the controls) and Route 53's
/// name servers: `origin.shop.example.com` answers with the first region (in `REGIONS` order)
/// whose control is on, `dns_lag` reads behind the states.
#[derive(Default, Debug)]
struct Arc {
    states: BTreeMap<String, bool>,
    /// The states Route 53's name servers still answer from, and for how many more reads.
    stale: Option<(BTreeMap<String, bool>, u32)>,
    dns_lag: u32,
    /// Endpoint URL → the error it answers with.
    down: BTreeMap<String, CfnError>,
    errors: BTreeMap<&'static str, VecDeque<CfnError>>,
    calls: Vec<String>,
}

#[derive(Default, Debug)]
struct FakeArc(Mutex<Arc>);

impl FakeArc {
    fn all_on() -> FakeArc {
        let f = FakeArc::default();
        f.with(|s| s.states = REGIONS.iter().map(|r| (control(r), true)).collect());
        f
    }
    fn with<R>(&self, f: impl FnOnce(&mut Arc) -> R) -> R {
        f(&mut self.0.lock().unwrap())
    }
    fn calls(&self) -> Vec<String> {
        self.with(|s| s.calls.clone())
    }
    fn inject(&self, call: &'static str, endpoint: Option<&ClusterEndpoint>) -> CfnResult<()> {
        self.with(|s| {
            if let Some(e) = endpoint.and_then(|e| s.down.get(&e.url)) {
                return Err(e.clone());
            }
            match s.errors.get_mut(call).and_then(VecDeque::pop_front) {
                Some(e) => Err(e),
                None => Ok(()),
            }
        })
    }
}

fn endpoints() -> Vec<ClusterEndpoint> {
    ["us-east-1", "ap-northeast-1", "ap-southeast-2", "eu-west-1", "us-west-2"]
        .iter()
        .map(|r| ClusterEndpoint {
            region: (*r).into(),
            url: format!("https://host-{r}.route53-recovery-cluster.example/v1"),
        })
        .collect()
}

impl RoutingControls for FakeArc {
    async fn cluster_endpoints(&self, cluster_arn: &str) -> CfnResult<Vec<ClusterEndpoint>> {
        self.inject("cluster_endpoints", None)?;
        assert_eq!(cluster_arn, physical("us-east-1", "Cluster", "AWS::Route53RecoveryControl::Cluster"));
        Ok(endpoints())
    }
    async fn routing_control_state(&self, endpoint: &ClusterEndpoint, arn: &str) -> CfnResult<bool> {
        self.inject("routing_control_state", Some(endpoint))?;
        self.with(|s| s.states.get(arn).copied().ok_or_else(|| CfnError::service("ResourceNotFoundException", arn)))
    }
    async fn update_routing_control_states(
        &self,
        endpoint: &ClusterEndpoint,
        changes: &[(String, bool)],
    ) -> CfnResult<()> {
        self.inject("update_routing_control_states", Some(endpoint))?;
        self.with(|s| {
            let mut after = s.states.clone();
            for (arn, on) in changes {
                after.insert(arn.clone(), *on);
            }
            if !after.values().any(|on| *on) {
                return Err(CfnError::service(
                    "ValidationException",
                    "the change violates safety rule arn:aws:route53-recovery-control::1:controlpanel/p/safetyrule/r",
                ));
            }
            s.calls.push(format!(
                "update {} via {}",
                changes.iter().map(|(a, on)| format!("{a}={on}")).collect::<Vec<_>>().join(","),
                endpoint.region
            ));
            s.stale = Some((s.states.clone(), s.dns_lag));
            s.states = after;
            Ok(())
        })
    }
    async fn test_dns_answer(&self, zone_id: &str, name: &str) -> CfnResult<(Vec<String>, String)> {
        self.inject("test_dns_answer", None)?;
        assert_eq!(zone_id, "Z0OPS");
        self.with(|s| {
            if let Some(r) = REGIONS.iter().find(|r| name == format!("{r}.checked.{ORIGIN}")) {
                return Ok((vec![address(r)], "NOERROR".into()));
            }
            assert_eq!(name, ORIGIN);
            let states = match &mut s.stale {
                Some((old, left)) if *left > 0 => {
                    *left -= 1;
                    old.clone()
                }
                _ => s.states.clone(),
            };
            let first = REGIONS.iter().find(|r| states.get(&control(r)).copied().unwrap_or(false));
            Ok((first.map(|r| vec![address(r)]).unwrap_or_default(), "NOERROR".into()))
        })
    }
}

fn deployed() -> (Fake, FakeObserve, FakeArc, Assembly) {
    let a = Assembly::load(&fixture("ops-arc")).unwrap();
    let cfn = Fake::default();
    let regions: Vec<String> = REGIONS.iter().map(|r| r.to_string()).collect();
    cfn.deployed("Api", &a.template("Api").body, &regions);
    cfn.deployed("Edge", &a.template("Edge").body, &["us-east-1".to_owned()]);
    let obs = FakeObserve::deployed(&a);
    (cfn, obs, FakeArc::all_on(), a)
}

fn retry() -> Retry {
    Retry { first: Duration::from_secs(1), max: Duration::from_secs(4), retries: 3 }
}

fn wait() -> Wait {
    Wait { timeout: Duration::from_secs(600), poll: Duration::from_secs(15) }
}

fn out(region: &str) -> Move {
    Move::Out(vec![region.to_owned()])
}

#[tokio::test(start_paused = true)]
async fn failover_flips_the_routing_control_and_waits_until_dns_agrees() {
    let (cfn, obs, arc, a) = deployed();
    arc.with(|s| s.dns_lag = 2);
    let t = run_with(&cfn, &obs, &arc, &a, &out("us-east-1"), &wait(), &retry()).await.unwrap();
    assert!(t.settled, "{}", t.text());
    assert_eq!(arc.calls(), vec![format!("update {}=false via us-east-1", control("us-east-1"))]);
    assert!(obs.calls().is_empty(), "no health check changed: {:?}", obs.calls());
    let text = t.text();
    assert!(
        text.contains("us-west-2: routing control Edge/Arc/UsWest2Control On (cluster endpoint in us-east-1)"),
        "{text}"
    );
    assert!(text.contains("us-east-1: routing control(s) set Off in one transaction"), "{text}");
    assert!(
        text.contains(
            "[   0 s] DNS: Route 53 answers origin.shop.example.com. with 10.1.0.1 (still a region taken out)"
        ),
        "{text}"
    );
    assert!(
        text.contains("[  30 s] DNS: Route 53 answers origin.shop.example.com. with 10.2.0.1 (a region kept in)"),
        "{text}"
    );
    assert!(text.contains("[  30 s] DNS agrees"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn failover_refuses_to_turn_the_last_control_off() {
    let (cfn, obs, arc, a) = deployed();
    arc.with(|s| {
        s.states.insert(control("us-east-1"), false);
        s.states.insert(control("eu-west-1"), false);
    });
    let e = run_with(&cfn, &obs, &arc, &a, &out("us-west-2"), &wait(), &retry()).await.unwrap_err();
    assert_eq!(e.exit_code(), exit::REFUSED);
    assert!(e.to_string().starts_with("taking us-west-2 out would turn every routing control off"), "{e}");
    assert!(arc.calls().is_empty() && obs.calls().is_empty());
    // Nor onto a region Route 53 reports unhealthy.
    let (cfn, obs, arc, a) = deployed();
    obs.with(|s| {
        s.base.insert(physical("us-west-2", "RegionHealthCheck", "AWS::Route53::HealthCheck"), Some(false));
        s.base.insert(physical("eu-west-1", "RegionHealthCheck", "AWS::Route53::HealthCheck"), None);
    });
    let e = run_with(&cfn, &obs, &arc, &a, &out("us-east-1"), &wait(), &retry()).await.unwrap_err();
    assert_eq!(e.exit_code(), exit::REFUSED);
    assert!(e.to_string().contains("which Route 53 does not report healthy"), "{e}");
    assert!(arc.calls().is_empty());
}

#[tokio::test(start_paused = true)]
async fn arcs_safety_rule_refusal_is_one_line() {
    let (cfn, obs, arc, a) = deployed();
    arc.with(|s| {
        s.errors.insert(
            "update_routing_control_states",
            vec![CfnError::service(
                "ValidationException",
                "blocked by safety rule arn:aws:route53-recovery-control::1:x",
            )]
            .into(),
        )
    });
    let e = run_with(&cfn, &obs, &arc, &a, &out("eu-west-1"), &wait(), &retry()).await.unwrap_err();
    assert_eq!(e.exit_code(), exit::REFUSED);
    let line = e.to_string();
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.starts_with("ARC refused to set eu-west-1 Off: ValidationException: blocked by safety rule"),
        "{line}"
    );
    assert!(line.ends_with("nothing was changed"), "{line}");
}

#[tokio::test(start_paused = true)]
async fn endpoints_that_do_not_answer_are_skipped_in_turn() {
    let (cfn, obs, arc, a) = deployed();
    let eps = endpoints();
    arc.with(|s| {
        s.down.insert(
            eps[0].url.clone(),
            CfnError::Unreachable { endpoint: eps[0].url.clone(), message: "no answer in time".into() },
        );
        s.down.insert(eps[1].url.clone(), CfnError::service("EndpointTemporarilyUnavailableException", "try another"));
    });
    let t = run_with(&cfn, &obs, &arc, &a, &out("us-west-2"), &wait(), &retry()).await.unwrap();
    assert!(t.settled);
    assert_eq!(arc.calls(), vec![format!("update {}=false via ap-southeast-2", control("us-west-2"))]);
    assert!(t.text().contains("(cluster endpoint in ap-southeast-2)"), "{}", t.text());
    // Every endpoint down: one line, nothing changed.
    let (cfn, obs, arc, a) = deployed();
    arc.with(|s| {
        for e in endpoints() {
            s.down
                .insert(e.url.clone(), CfnError::Unreachable { endpoint: e.url, message: "no answer in time".into() });
        }
    });
    let e = run_with(&cfn, &obs, &arc, &a, &out("us-west-2"), &wait(), &retry()).await.unwrap_err();
    assert_eq!(e.exit_code(), exit::ACCESS);
    assert!(e.to_string().contains("on every cluster endpoint"), "{e}");
}

#[tokio::test(start_paused = true)]
async fn throttled_flips_are_retried() {
    let (cfn, obs, arc, a) = deployed();
    arc.with(|s| {
        s.errors.insert("update_routing_control_states", vec![CfnError::Throttled("Rate exceeded".into()); 2].into())
    });
    let t = run_with(&cfn, &obs, &arc, &a, &out("us-west-2"), &wait(), &retry()).await.unwrap();
    assert!(t.settled);
    assert_eq!(arc.calls().len(), 1);
    // Past the retries: one line.
    let (cfn, obs, arc, a) = deployed();
    arc.with(|s| {
        s.errors.insert("update_routing_control_states", vec![CfnError::Throttled("Rate exceeded".into()); 10].into())
    });
    let e = run_with(&cfn, &obs, &arc, &a, &out("us-west-2"), &wait(), &retry()).await.unwrap_err();
    assert!(e.to_string().contains("throttled"), "{e}");
    assert!(arc.calls().is_empty());
}

#[tokio::test(start_paused = true)]
async fn the_dns_wait_gives_up_at_the_timeout() {
    let (cfn, obs, arc, a) = deployed();
    arc.with(|s| s.dns_lag = 1000);
    let w = Wait { timeout: Duration::from_secs(60), poll: Duration::from_secs(15) };
    let t = run_with(&cfn, &obs, &arc, &a, &out("us-east-1"), &w, &retry()).await.unwrap();
    assert!(!t.settled);
    assert!(
        t.text().contains("[  60 s] gave up waiting for DNS after 60 s (--timeout); the change stays made"),
        "{}",
        t.text()
    );
    assert_eq!(arc.calls().len(), 1, "the change stays made");
}

#[tokio::test(start_paused = true)]
async fn failback_turns_every_control_that_is_off_back_on() {
    let (cfn, obs, arc, a) = deployed();
    arc.with(|s| {
        s.states.insert(control("us-west-2"), false);
        s.states.insert(control("eu-west-1"), false);
    });
    let t = run_with(&cfn, &obs, &arc, &a, &Move::Back(vec![]), &wait(), &retry()).await.unwrap();
    assert!(t.settled);
    let mut want: BTreeSet<String> = BTreeSet::new();
    want.insert(format!("update {}=true,{}=true via us-east-1", control("us-west-2"), control("eu-west-1")));
    want.insert(format!("update {}=true,{}=true via us-east-1", control("eu-west-1"), control("us-west-2")));
    assert_eq!(arc.calls().len(), 1);
    assert!(want.contains(&arc.calls()[0]), "{:?}", arc.calls());
    assert!(arc.with(|s| s.states.values().all(|on| *on)));
    // Nothing off: nothing to change.
    let t = run_with(&cfn, &obs, &arc, &a, &Move::Back(vec![]), &wait(), &retry()).await.unwrap();
    assert!(t.settled && t.text().contains("nothing to change"), "{}", t.text());
}
