//! The "payments" platform of issue 15, written twice: wired by hand from the constructs, and
//! with [`Platform`]. Three regions, active-passive (eu-west-1 primary, eu-central-1 and us-east-1
//! standing by), a public service and the internal one it calls, a global table, CloudFront +
//! WAF, failover records in an existing shared zone, an availability SLO, alarms by mail, daily
//! backups copied to another region. The hand-wired version then makes each mistake the
//! composition rules out, on purpose, and synthesis names the constructs that disagree.

use haplat_constructs::api::{ApiCertificate, ApiProps, MultiRegionApi};
use haplat_constructs::backup::{BackupPlan, BackupPlanProps, BackupSelection, CopyTo};
use haplat_constructs::composition::{Platform, PlatformProps, PlatformTable};
use haplat_constructs::dns::{FailoverDns, FailoverDnsProps};
use haplat_constructs::edge::{EdgeDistribution, EdgeDistributionProps, OriginSecret, OriginSecretProps};
use haplat_constructs::global_table::{GlobalTable, GlobalTableProps, KeyAttr, TableEncryption};
use haplat_constructs::kms::RegionalKeys;
use haplat_constructs::monitoring::{AlarmTopic, RegionalMonitoringProps};
use haplat_constructs::security::Grantable;
use haplat_constructs::service::ServiceProps;
use haplat_constructs::zone::HostedZone;
use haplat_constructs::{DrMode, RegionSpec};
use haplat_core::App;
use serde_json::Value as Json;

/// The shared zone of `example.com`: the platform writes only its own names there.
const ZONE_ID: &str = "Z0123456789ABCDEFGHIJ";

/// The services, the same in both versions: the public API and the internal ledger it calls.
fn services() -> Vec<ServiceProps> {
    let image = |name: &str| format!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments/{name}:1.0");
    vec![
        ServiceProps { path_patterns: vec!["/*".into()], ..ServiceProps::new("Payments", image("api"), 8080) },
        ServiceProps {
            internal: true,
            callers: vec!["Payments".into()],
            ..ServiceProps::new("Ledger", image("ledger"), 8081)
        },
    ]
}

/// A mistake made on purpose in the hand-wired version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mistake {
    /// The API is not locked to the origin secret the edge sends.
    NotLocked,
    /// The DNS routes active-active over an active-passive API and edge.
    ModesDisagree,
    /// The edge left on its default, active-active, over an active-passive API and DNS (the
    /// issue's own case: latency routing would send users to standbys running one task).
    EdgeModeDefault,
    /// us-east-1 is left out of the endpoints given to the edge and the DNS.
    Unrouted,
    /// The Route 53 alarms notify a topic of eu-west-1 from us-east-1.
    AlarmElsewhere,
    /// The DNS aliases the apex and www, which the distribution does not serve.
    ViewerNames,
    /// The origin secret is not replicated to every region of the API.
    SecretNotReplicated,
}

// BEGIN hand-wired
fn hand_wired(mistakes: &[Mistake]) -> App {
    let app = App::new("payments");
    let regions = ["eu-west-1", "eu-central-1", "us-east-1"];
    let specs = vec![
        RegionSpec::primary("eu-west-1"),
        RegionSpec::secondary("eu-central-1"),
        RegionSpec::secondary("us-east-1"),
    ];
    let mode = DrMode::ActivePassive;
    let zone = HostedZone::existing(ZONE_ID, "example.com");
    let emails = vec!["payments-oncall@example.com".to_owned()];

    // Data: a key per region, daily backups copied to the next region.
    let data = app.stack_set("Data", &regions);
    let keys = RegionalKeys::new(&data, "Keys");
    let mut backup = BackupPlanProps::new("payments-backups", BackupSelection::Tag("backup".into(), "daily".into()));
    backup.copy_to = CopyTo::NextRegion;
    BackupPlan::new(&data, "Backup", backup);

    // Global: the table and the origin secret, in the primary region.
    let global = app.stack("Global", "eu-west-1");
    let mut table = GlobalTableProps::new(KeyAttr::string("pk"), &regions);
    table.encryption = TableEncryption::CustomerManaged(keys.arns());
    table.tags = vec![("backup".into(), "daily".into())];
    let ledger = GlobalTable::new(&global, "Ledger", table);
    let replicas: &[&str] = if mistakes.contains(&Mistake::SecretNotReplicated) { &["us-east-1"] } else { &regions };
    let mut secret = OriginSecretProps::new("payments/origin-verify", replicas);
    secret.keys = keys.arns();
    let secret = OriginSecret::new(&global, "OriginVerify", secret);

    // Api: both services in every region, locked to the edge, monitored, with an SLO.
    let mut api = ApiProps::new(specs, "origin.example.com", ApiCertificate::DnsValidated { zone: zone.clone() });
    api.mode = mode;
    api.services = services();
    api.fronted_by_cloudfront = Some(secret.verify.clone());
    api.fronted_by_cloudfront = api.fronted_by_cloudfront.filter(|_| !mistakes.contains(&Mistake::NotLocked));
    api.edge_probe_domain = Some("pay.example.com".into());
    let api = MultiRegionApi::new_stack_set(&app, "Api", api);
    if let Some(service) = api.service("Ledger") {
        ledger.grant_read_write(service);
    }
    let mut monitoring = RegionalMonitoringProps::new(&regions);
    monitoring.alarm_emails = emails.clone();
    monitoring.tables = vec![ledger.metrics()];
    let monitoring = api.monitor("Monitoring", monitoring);
    api.availability_slos(99.9, &[monitoring.topic_arn()]);

    // Edge, in us-east-1: a topic there, CloudFront with WAF, the failover records.
    let edge = app.stack("Edge", "us-east-1");
    let topic = AlarmTopic::new(&edge.child("Alarms"), &emails);
    let mut endpoints = api.endpoints();
    endpoints.retain(|e| e.region != "us-east-1" || !mistakes.contains(&Mistake::Unrouted));
    let mut cdn = EdgeDistributionProps::new(zone.clone(), &["pay.example.com"], endpoints.clone());
    cdn.mode = if mistakes.contains(&Mistake::EdgeModeDefault) { DrMode::ActiveActive } else { mode };
    cdn.read_only_paths = api.read_only_paths();
    cdn.origin_secret = Some(secret);
    let cdn = EdgeDistribution::new(&edge, "Cdn", cdn);
    cdn.alarms(&edge, "EdgeAlarms", &[topic.arn()], 5.0, 20.0);
    let mut dns = FailoverDnsProps::new(zone, endpoints);
    dns.mode = mode;
    dns.mode = if mistakes.contains(&Mistake::ModesDisagree) { DrMode::ActiveActive } else { dns.mode };
    dns.aliased_names = vec!["pay.example.com".into()];
    dns.aliased_names.extend(mistakes.contains(&Mistake::ViewerNames).then(|| "www.example.com".to_owned()));
    dns.distribution_domain = Some(cdn.domain_name());
    dns.alarm_actions = vec![topic.arn()];
    dns.alarm_actions
        .extend(mistakes.contains(&Mistake::AlarmElsewhere).then(|| monitoring.topic_arn().in_region("eu-west-1")));
    FailoverDns::new(&edge, "Dns", dns);
    app
}
// END hand-wired

// BEGIN composed
fn composed() -> App {
    let app = App::new("payments");
    let regions = vec![
        RegionSpec::primary("eu-west-1"),
        RegionSpec::secondary("eu-central-1"),
        RegionSpec::secondary("us-east-1"),
    ];
    let zone = HostedZone::existing(ZONE_ID, "example.com");
    let mut props = PlatformProps::new(regions, zone, &["pay.example.com"], &["payments-oncall@example.com"]);
    props.mode = DrMode::ActivePassive;
    props.services = services();
    let mut ledger = PlatformTable::new("Ledger", KeyAttr::string("pk")).read_write(&["Ledger"]);
    ledger.props.tags = vec![("backup".into(), "daily".into())];
    props.tables = vec![ledger];
    let mut backup = BackupPlanProps::new("payments-backups", BackupSelection::Tag("backup".into(), "daily".into()));
    backup.copy_to = CopyTo::NextRegion;
    props.backup = Some(backup);
    Platform::new(&app, props);
    app
}
// END composed

/// The lines of the function between `// BEGIN <name>` and `// END <name>` in this file that
/// carry code: blank lines, comments and the lines that make a [`Mistake`] are left out.
fn lines_of(name: &str) -> usize {
    let source = include_str!("payments.rs");
    let (begin, end) = (format!("// BEGIN {name}\n"), format!("// END {name}\n"));
    let start = source.find(&begin).map(|i| i + begin.len()).unwrap_or_default();
    let body = &source[start..];
    let body = &body[..body.find(&end).unwrap_or(body.len())];
    body.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("//") && !l.contains("Mistake::")).count()
}

fn synth_err(mistakes: &[Mistake]) -> String {
    match hand_wired(mistakes).synth() {
        Ok(_) => panic!("{mistakes:?} synthesized"),
        Err(e) => e.to_string(),
    }
}

/// The line of `err` that starts with `path: ` and contains every one of `words`.
fn line_at<'a>(err: &'a str, path: &str, words: &[&str]) -> &'a str {
    err.lines()
        .find(|l| {
            l.trim_start().trim_start_matches("- ").starts_with(&format!("{path}: "))
                && words.iter().all(|w| l.contains(w))
        })
        .unwrap_or_else(|| panic!("no error at {path} naming {words:?} in:\n{err}"))
}

fn templates(app: &App) -> Vec<(String, Json)> {
    let a = app.synth().unwrap_or_else(|e| panic!("synth failed:\n{e}"));
    a.manifest.stacks.iter().map(|s| (s.name.clone(), a.template(&s.name).unwrap())).collect()
}

#[test]
fn the_composition_is_at_most_half_the_lines_of_the_hand_wiring() {
    let (hand, composed) = (lines_of("hand-wired"), lines_of("composed"));
    assert!(hand > 40, "read the hand-wired function: {hand} lines");
    assert!(composed * 2 <= hand, "composed {composed} lines, hand-wired {hand}");
}

#[test]
fn the_hand_wiring_without_mistakes_synthesizes_the_same_templates_as_the_composition() {
    assert_eq!(templates(&hand_wired(&[])), templates(&composed()));
}

#[test]
fn the_composition_makes_the_stacks_routes_every_region_and_locks_the_api() {
    let app = App::new("payments");
    let regions = vec![
        RegionSpec::primary("eu-west-1"),
        RegionSpec::secondary("eu-central-1"),
        RegionSpec::secondary("us-east-1"),
    ];
    let mut props = PlatformProps::new(
        regions,
        HostedZone::existing(ZONE_ID, "example.com"),
        &["pay.example.com"],
        &["payments-oncall@example.com"],
    );
    props.mode = DrMode::ActivePassive;
    props.services = services();
    let platform = Platform::new(&app, props);
    assert_eq!(platform.routed_regions(), ["eu-west-1", "eu-central-1", "us-east-1"]);
    assert!(
        platform
            .api
            .endpoints()
            .iter()
            .all(|e| e.api.as_ref().and_then(|a| a.origin_lock.as_deref()) == Some("payments/origin-verify"))
    );
    let t = templates(&app);
    let names: Vec<&str> = t.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["payments-Data", "payments-Global", "payments-Api", "payments-Edge"]);
    let api = &t[2].1.to_string();
    // The public load balancer forwards only requests carrying the origin secret.
    assert!(api.contains("{{resolve:secretsmanager:payments/origin-verify}}"), "the origin lock");
    let edge = &t[3].1;
    let records: Vec<&Json> = edge["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::Route53::RecordSet")
        .map(|r| &r["Properties"])
        .collect();
    let routed = |name: &str| records.iter().filter(|r| r["Name"] == name).count();
    // The primary's failover record and the standbys' latency set behind one SECONDARY.
    assert_eq!(routed("origin.example.com."), 2);
    assert_eq!(routed("standby.origin.example.com."), 2);
    assert_eq!(routed("pay.example.com."), 2, "A and AAAA to the distribution, nothing else of the zone");
    assert!(records.iter().all(|r| r["Name"] != "example.com." && r["Name"] != "www.example.com."));
}

#[test]
fn an_edge_sending_a_secret_to_an_api_not_locked_to_it_is_an_error_naming_both() {
    let err = synth_err(&[Mistake::NotLocked]);
    line_at(&err, "Edge/Cdn", &["payments/origin-verify", "the API Api", "fronted_by_cloudfront"]);
}

#[test]
fn modes_that_disagree_are_an_error_naming_the_dns_and_the_api() {
    let err = synth_err(&[Mistake::ModesDisagree]);
    line_at(&err, "Edge/Dns", &["active-active", "the API Api", "active-passive"]);
    line_at(&err, "Edge/Dns", &["the edge Edge/Cdn"]);
}

#[test]
fn an_edge_left_active_active_over_an_active_passive_api_is_an_error_naming_both() {
    let err = synth_err(&[Mistake::EdgeModeDefault]);
    line_at(&err, "Edge/Cdn", &["active-active", "the API Api", "active-passive"]);
}

#[test]
fn a_region_nothing_routes_to_is_an_error_naming_the_api_the_edge_and_the_dns() {
    let err = synth_err(&[Mistake::Unrouted]);
    line_at(&err, "Api", &["us-east-1 would get no traffic", "Edge/Cdn", "Edge/Dns"]);
}

#[test]
fn an_alarm_notifying_a_topic_of_another_region_is_an_error_naming_alarm_and_topic() {
    let err = synth_err(&[Mistake::AlarmElsewhere]);
    line_at(&err, "Edge/Dns/EuWest1/HealthAlarm", &["Api/Monitoring", "in eu-west-1", "alarm in us-east-1"]);
}

#[test]
fn viewer_names_the_distribution_does_not_serve_are_an_error_naming_dns_and_edge() {
    let err = synth_err(&[Mistake::ViewerNames]);
    line_at(&err, "Edge/Dns", &["www.example.com", "Edge/Cdn", "does not serve it"]);
}

#[test]
fn an_origin_secret_missing_from_a_region_of_the_api_is_an_error_naming_both() {
    let err = synth_err(&[Mistake::SecretNotReplicated]);
    line_at(&err, "Global/OriginVerify", &["eu-central-1", "the API Api"]);
}

#[test]
fn every_mistake_is_reported_in_one_synthesis() {
    let all = [
        Mistake::NotLocked,
        Mistake::ModesDisagree,
        Mistake::EdgeModeDefault,
        Mistake::Unrouted,
        Mistake::AlarmElsewhere,
        Mistake::ViewerNames,
        Mistake::SecretNotReplicated,
    ];
    let err = synth_err(&all);
    for (path, word) in [
        ("Edge/Cdn", "fronted_by_cloudfront"),
        ("Edge/Dns", "active-active"),
        ("Edge/Cdn", "active-active"),
        ("Api", "would get no traffic"),
        ("Edge/Dns/EuWest1/HealthAlarm", "Api/Monitoring"),
        ("Edge/Dns", "www.example.com"),
        ("Global/OriginVerify", "eu-central-1"),
    ] {
        line_at(&err, path, &[word]);
    }
}

/// With the edge off: no distribution, no origin secret, an API not locked to one, and the
/// origin name itself routed by Route 53 to every region; viewer names then are a mistake.
#[test]
fn the_composition_with_the_edge_off_routes_the_origin_name_to_every_region_unlocked() {
    let app = App::new("payments");
    let mut props = composed_props();
    props.edge = false;
    props.viewer_names = Vec::new();
    let platform = Platform::new(&app, props);
    assert!(platform.distribution.is_none() && platform.origin_secret.is_none() && platform.edge_alarms.is_none());
    assert_eq!(platform.routed_regions(), ["eu-west-1", "eu-central-1", "us-east-1"]);
    assert!(platform.api.endpoints().iter().all(|e| e.api.as_ref().is_some_and(|a| a.origin_lock.is_none())));
    let t = templates(&app);
    let all: String = t.iter().map(|(_, j)| j.to_string()).collect();
    assert!(!all.contains("AWS::CloudFront::Distribution") && !all.contains("origin-verify"), "no edge, no secret");
    let edge = &t.iter().find(|(n, _)| n == "payments-Edge").unwrap().1;
    let records: Vec<&Json> = edge["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::Route53::RecordSet")
        .map(|r| &r["Properties"])
        .collect();
    let named = |name: &str| records.iter().filter(|r| r["Name"] == name).count();
    assert_eq!(named("origin.example.com."), 2, "the primary's failover record and the standbys' SECONDARY");
    assert_eq!(named("standby.origin.example.com."), 2);
    assert!(records.iter().all(|r| r["Name"] != "pay.example.com."), "no viewer name without the edge");

    // Viewer names with the edge off: an error at the edge stack saying why.
    let app = App::new("payments");
    let mut props = composed_props();
    props.edge = false;
    Platform::new(&app, props);
    let err = app.synth().map(|_| ()).unwrap_err().to_string();
    line_at(&err, "Edge", &["pay.example.com", "the edge is off"]);
}

/// The composed platform's props, for the stage tests.
fn composed_props() -> PlatformProps {
    let regions = vec![
        RegionSpec::primary("eu-west-1"),
        RegionSpec::secondary("eu-central-1"),
        RegionSpec::secondary("us-east-1"),
    ];
    let zone = HostedZone::existing(ZONE_ID, "example.com");
    let mut props = PlatformProps::new(regions, zone, &["pay.example.com"], &["payments-oncall@example.com"]);
    props.mode = DrMode::ActivePassive;
    props.services = services();
    props
}

#[test]
fn the_composition_is_the_chain_of_its_stages_each_open_before_the_next() {
    let chained = App::new("payments");
    Platform::new(&chained, composed_props());
    let staged = App::new("payments");
    let data = Platform::stages(&staged, composed_props());
    let global = data.global();
    assert_eq!(global.tables.len(), 0);
    let api = global.api(|_| {});
    let monitored = api.monitor(|_| {});
    let edge = monitored.edge(|_| {});
    assert!(edge.distribution.is_some());
    edge.dns(|_| {});
    assert_eq!(templates(&chained), templates(&staged));
}

#[test]
fn a_stage_adjusting_a_fact_of_the_composition_is_an_error_naming_the_stack_and_the_field() {
    let app = App::new("payments");
    let api = Platform::stages(&app, composed_props()).global().api(|api| {
        api.mode = DrMode::ActiveActive;
        // The API's own settings are the adjustment's: no error for these.
        api.canaries = true;
        api.services.truncate(1);
    });
    let edge = api.monitor(|m| m.alarm_emails.clear()).edge(|cdn| cdn.domain_names.push("www.example.com".into()));
    edge.dns(|dns| dns.origin_label = "api".into());
    let err = match app.synth() {
        Ok(_) => panic!("the adjusted facts synthesized"),
        Err(e) => e.to_string(),
    };
    line_at(&err, "Api", &["ApiProps::mode", "PlatformProps"]);
    line_at(&err, "Api", &["RegionalMonitoringProps::alarm_emails"]);
    line_at(&err, "Edge", &["EdgeDistributionProps::domain_names"]);
    line_at(&err, "Edge", &["FailoverDnsProps::origin_label"]);
    assert!(!err.contains("canaries") && !err.contains("ApiProps::services"), "{err}");
}
