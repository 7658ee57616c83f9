//! The global, data and operations constructs: GlobalTable, EdgeDistribution, FailoverDns,
//! backup, monitoring, SLOs, chaos experiments and the WebSocket API, asserted on their
//! synthesized templates and linted by cfn-lint.

use std::collections::BTreeMap;

use haplat_constructs::api::{ApiCertificate, ApiProps, MultiRegionApi};
use haplat_constructs::backup::{BackupPlan, BackupPlanProps, BackupSelection, CopyTo};
use haplat_constructs::chaos::{ChaosExperiments, ChaosProps, ChaosService};
use haplat_constructs::dns::{FailoverDns, FailoverDnsProps, Routing};
use haplat_constructs::edge::{
    EdgeDistribution, EdgeDistributionProps, MANAGED_RULE_GROUPS, OriginSecret, OriginSecretProps,
};
use haplat_constructs::global_table::{
    Billing, Capacity, GlobalTable, GlobalTableProps, KeyAttr, TableEncryption, TableIndex,
};
use haplat_constructs::kms::RegionalKeys;
use haplat_constructs::metrics::{MetricRef, Sli};
use haplat_constructs::monitoring::{RegionalMonitoring, RegionalMonitoringProps, Sampling, TracingProps};
use haplat_constructs::recovery_control::{RecoveryControl, RecoveryControlProps};
use haplat_constructs::security::{Grantable, Grantee, Permission, UNSCOPED_ACTIONS};
use haplat_constructs::service::{Deployment, ServiceProps};
use haplat_constructs::slo::{BurnWindow, Slo, SloProps};
use haplat_constructs::websocket::{LambdaCode, WebSocketApi, WebSocketApiProps};
use haplat_constructs::zone::HostedZone;
use haplat_constructs::{DrMode, OriginVerify, RegionRole, RegionSpec, RegionalEndpoint, ServiceMetrics};
use haplat_core::{App, Assembly, Value};
use serde_json::Value as Json;

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

pub(crate) fn endpoint(region: &str, role: RegionRole) -> RegionalEndpoint {
    RegionalEndpoint {
        region: region.into(),
        role,
        dns_name: format!("api-123.{region}.elb.amazonaws.com").into(),
        hosted_zone_id: "Z35SXDOTRQ7X7K".into(),
        health_check_path: "/health".into(),
        domain_name: "origin.example.com".into(),
        health_check_id: None,
        api: None,
    }
}

fn endpoints() -> Vec<RegionalEndpoint> {
    vec![endpoint("us-east-1", RegionRole::Primary), endpoint("eu-west-1", RegionRole::Secondary)]
}

/// Every global construct over two regions, in the stacks and waves an app would use.
fn platform(mode: DrMode) -> App {
    let app = App::new("globaltest");
    // Wave 1: per-region keys and backups.
    let keys_stack = app.stack_set("Data", &REGIONS);
    let keys = RegionalKeys::new(&keys_stack, "Keys");
    BackupPlan::new(
        &keys_stack,
        "Backup",
        BackupPlanProps::new("globaltest-backups", BackupSelection::Tag("backup".into(), "daily".into())),
    );
    // Wave 2: the global table and the origin secret in the primary region.
    let global = app.stack("Global", "us-east-1");
    let mut props = GlobalTableProps::new(KeyAttr::string("pk"), &REGIONS);
    props.sort_key = Some(KeyAttr::string("sk"));
    props.indexes =
        vec![TableIndex::new("byCustomer", KeyAttr::string("customer"), Some(KeyAttr::number("createdAt")))];
    props.ttl_attribute = Some("expiresAt".into());
    props.encryption = TableEncryption::CustomerManaged(keys.arns());
    props.tags = vec![("backup".into(), "daily".into())];
    let table = GlobalTable::new(&global, "Orders", props);
    let mut sp = OriginSecretProps::new("globaltest/origin-verify", &REGIONS);
    sp.keys = keys.arns();
    let secret = OriginSecret::new(&global, "OriginVerify", sp);
    // Wave 3: what runs in every region next to the API.
    let api = app.stack_set("Ops", &REGIONS);
    secret.bind(&api);
    let svc = ServiceMetrics {
        name: "Web".into(),
        cluster_name: "web-cluster".into(),
        service_name: "web".into(),
        load_balancer_full_name: "app/api/0123456789abcdef".into(),
        target_group_full_name: "targetgroup/web/0123456789abcdef".into(),
        alternate_target_group_full_name: None,
        connect_discovery_name: None,
    };
    let mut mp = RegionalMonitoringProps::new(&REGIONS);
    mp.alarm_emails = vec!["oncall@example.com".into()];
    mp.services = vec![svc.clone()];
    mp.tables = vec![table.metrics()];
    mp.tracing = TracingProps::new(&["Web"]);
    let mon = RegionalMonitoring::new(&api, "Monitoring", mp);
    let lb = ("LoadBalancer", svc.load_balancer_full_name.clone());
    let mut windows = BurnWindow::page_defaults();
    windows.push(BurnWindow::ticket_default());
    let mut slo = SloProps::new(99.9, svc.availability_sli()).with_actions(vec![mon.topic_arn()]);
    slo.windows = windows;
    Slo::new(&api, "Availability", slo);
    Slo::new(
        &api,
        "Latency",
        SloProps::new(
            99.0,
            Sli::Latency {
                metrics: vec![MetricRef::new("AWS/ApplicationELB", "TargetResponseTime", [lb])],
                threshold_ms: 300.0,
                unit: haplat_constructs::metrics::TimeUnit::Seconds,
            },
        ),
    );
    let mut cp = ChaosProps::new(vec![]);
    cp.services = vec![ChaosService {
        name: "Web".into(),
        cluster_name: svc.cluster_name.clone(),
        service_name: svc.service_name.clone(),
        stop_alarm_arns: mon.service_critical_alarms["Web"].iter().map(|a| a.attr_arn()).collect(),
    }];
    cp.private_subnet_ids = vec!["subnet-0aaa".into(), "subnet-0bbb".into()];
    ChaosExperiments::new(&api, "Chaos", cp);
    WebSocketApi::new(&api, "Chat", WebSocketApiProps::new(LambdaCode::inline_echo()));
    // Wave 4: the edge in us-east-1.
    let edge = app.stack("Edge", "us-east-1");
    let zone = HostedZone::new(&edge, "Zone", "example.com");
    let mut ep = EdgeDistributionProps::new(zone.clone(), &["example.com", "www.example.com"], endpoints());
    ep.mode = mode;
    if mode == DrMode::ActivePassive {
        ep.read_only_paths = vec!["/catalog/*".into()];
    }
    ep.origin_secret = Some(secret);
    let cdn = EdgeDistribution::new(&edge, "Cdn", ep);
    let mut dp = FailoverDnsProps::new(zone, endpoints());
    dp.mode = mode;
    dp.alarm_actions = vec!["arn:aws:sns:us-east-1:123456789012:alarms".into()];
    dp.distribution_domain = Some(cdn.domain_name());
    dp.aliased_names = vec!["example.com".into(), "www.example.com".into()];
    FailoverDns::new(&edge, "Dns", dp);
    app
}

fn synth(app: &App) -> Assembly {
    app.synth().unwrap_or_else(|e| panic!("synth failed:\n{e}"))
}

/// Every resource of a type in every template: (stack, logical id, resource).
fn resources<'a>(templates: &'a [(String, Json)], ty: &str) -> Vec<(&'a str, &'a str, &'a Json)> {
    let mut out = Vec::new();
    for (stack, t) in templates {
        for (id, r) in t["Resources"].as_object().unwrap() {
            if r["Type"] == ty {
                out.push((stack.as_str(), id.as_str(), r));
            }
        }
    }
    out
}

fn templates(a: &Assembly) -> Vec<(String, Json)> {
    a.manifest.stacks.iter().map(|s| (s.name.clone(), a.template(&s.name).unwrap())).collect()
}

#[test]
fn stateful_resources_are_retained() {
    let a = synth(&platform(DrMode::ActiveActive));
    let t = templates(&a);
    for ty in [
        "AWS::DynamoDB::GlobalTable",
        "AWS::KMS::Key",
        "AWS::Logs::LogGroup",
        "AWS::Backup::BackupVault",
        "AWS::S3::Bucket",
        "AWS::Route53::HostedZone",
    ] {
        let found = resources(&t, ty);
        assert!(!found.is_empty(), "no {ty} in the templates");
        for (stack, id, r) in found {
            assert_eq!(r["DeletionPolicy"], "Retain", "{stack}/{id} ({ty})");
            assert_eq!(r["UpdateReplacePolicy"], "Retain", "{stack}/{id} ({ty})");
        }
    }
}

#[test]
fn every_kms_key_comes_from_the_one_helper_rotating_and_used_only_by_named_services() {
    let a = synth(&platform(DrMode::ActiveActive));
    let t = templates(&a);
    let keys = resources(&t, "AWS::KMS::Key");
    // Regional data, backup vault, alarm topic, chaos and WebSocket logs, WAF logs.
    assert_eq!(keys.len(), 6, "{:?}", keys.iter().map(|k| k.1).collect::<Vec<_>>());
    let mut sids = Vec::new();
    for (stack, id, k) in &keys {
        let p = &k["Properties"];
        assert_eq!(p["EnableKeyRotation"], true, "{stack}/{id}");
        assert_eq!(p["PendingWindowInDays"], 30, "{stack}/{id}");
        let statements = p["KeyPolicy"]["Statement"].as_array().unwrap();
        assert_eq!(statements[0]["Sid"], "AccountAdministers", "{stack}/{id}");
        // Last, in the form Control Tower's CT.KMS.PR.3 reads: no grant but for AWS resources.
        let (deny, services) = statements[1..].split_last().unwrap();
        assert_eq!(
            deny,
            &serde_json::json!({
                "Sid": "CreateGrantOnlyForAwsResources",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": ["kms:CreateGrant"],
                "Resource": "*",
                "Condition": {"BoolIfExists": {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}}
            }),
            "{stack}/{id}"
        );
        for st in services {
            assert!(
                st["Principal"]["Service"].is_string() || st["Principal"]["Service"].is_object(),
                "{stack}/{id}: {st}"
            );
            assert!(st["Condition"].is_object(), "{stack}/{id}: a service uses the key only for this account: {st}");
            for action in st["Action"].as_array().unwrap() {
                assert!(!action.as_str().unwrap().contains('*'), "{stack}/{id}: {action}");
            }
            sids.push(st["Sid"].as_str().unwrap().to_owned());
        }
    }
    sids.sort();
    assert_eq!(
        sids,
        [
            "CloudWatchAlarmsPublish",
            "CloudWatchLogsOfThisAccount",
            "CloudWatchLogsOfThisAccount",
            "CloudWatchLogsOfThisAccount",
            "EventBridgeRulesPublish"
        ]
    );
    let (_, _, topic_key) = keys.iter().find(|(_, id, _)| id.starts_with("Monitoring")).unwrap();
    let publish = &topic_key["Properties"]["KeyPolicy"]["Statement"][1];
    assert_eq!(publish["Principal"]["Service"], "cloudwatch.amazonaws.com");
    assert_eq!(publish["Action"], serde_json::json!(["kms:Decrypt", "kms:GenerateDataKey"]));
    assert_eq!(publish["Condition"]["StringEquals"]["aws:SourceAccount"], serde_json::json!({"Ref": "AWS::AccountId"}));
}

#[test]
fn every_log_group_and_table_is_kms_encrypted_and_tables_recover_to_a_point_in_time() {
    let a = synth(&platform(DrMode::ActiveActive));
    let t = templates(&a);
    for (stack, id, r) in resources(&t, "AWS::Logs::LogGroup") {
        assert!(r["Properties"]["KmsKeyId"].is_object(), "{stack}/{id} has no KMS key");
    }
    let tables = resources(&t, "AWS::DynamoDB::GlobalTable");
    assert_eq!(tables.len(), 1);
    let p = &tables[0].2["Properties"];
    assert_eq!(p["SSESpecification"], serde_json::json!({"SSEEnabled": true, "SSEType": "KMS"}));
    assert_eq!(p["StreamSpecification"]["StreamViewType"], "NEW_AND_OLD_IMAGES");
    assert_eq!(p["TimeToLiveSpecification"], serde_json::json!({"AttributeName": "expiresAt", "Enabled": true}));
    let replicas = p["Replicas"].as_array().unwrap();
    let regions: Vec<&str> = replicas.iter().map(|r| r["Region"].as_str().unwrap()).collect();
    assert_eq!(regions, ["us-east-1", "eu-west-1"], "home replica first");
    for r in replicas {
        assert_eq!(r["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true);
        assert_eq!(r["DeletionProtectionEnabled"], true);
        // The customer managed key of the replica's own region, read from the keys' stack set.
        assert!(r["SSESpecification"]["KMSMasterKeyId"]["Ref"].is_string(), "{r}");
    }
    // The keys' stack set deploys before the table's stack.
    let wave = |name: &str| a.manifest.waves.iter().position(|w| w.iter().any(|s| s == name)).unwrap();
    assert!(wave("globaltest-Data") < wave("globaltest-Global"));
    assert!(wave("globaltest-Global") < wave("globaltest-Ops"));
    assert!(wave("globaltest-Global") < wave("globaltest-Edge"));
}

#[test]
fn provisioned_tables_autoscale_reads_per_replica_and_writes_per_table() {
    let app = App::new("prov");
    let s = app.stack("Data", "us-east-1");
    let mut props = GlobalTableProps::new(KeyAttr::string("pk"), &REGIONS);
    props.indexes = vec![TableIndex::new("byKind", KeyAttr::string("kind"), None)];
    props.billing = Billing::Provisioned { read: Capacity::new(5, 100), write: Capacity::new(5, 50) };
    GlobalTable::new(&s, "T", props);
    let t = synth(&app).template("prov-Data").unwrap();
    let one = [("prov-Data".to_owned(), t)];
    let p = &resources(&one, "AWS::DynamoDB::GlobalTable")[0].2["Properties"];
    assert_eq!(p["BillingMode"], "PROVISIONED");
    assert_eq!(p["WriteProvisionedThroughputSettings"]["WriteCapacityAutoScalingSettings"]["MaxCapacity"], 50);
    assert_eq!(
        p["GlobalSecondaryIndexes"][0]["WriteProvisionedThroughputSettings"]["WriteCapacityAutoScalingSettings"]["MinCapacity"],
        5
    );
    for r in p["Replicas"].as_array().unwrap() {
        assert_eq!(r["ReadProvisionedThroughputSettings"]["ReadCapacityAutoScalingSettings"]["MaxCapacity"], 100);
        assert_eq!(r["GlobalSecondaryIndexes"][0]["IndexName"], "byKind");
    }
}

/// A grantee that records what it is granted.
struct Recorder(std::cell::RefCell<Vec<Permission>>);
impl Grantee for Recorder {
    fn grant(&self, p: &Permission) {
        self.0.borrow_mut().push(p.clone());
    }
}

#[test]
fn table_grants_name_the_table_and_its_indexes_in_the_grantees_region() {
    let app = App::new("grants");
    let s = app.stack("Data", "us-east-1");
    let mut props = GlobalTableProps::new(KeyAttr::string("pk"), &REGIONS);
    props.indexes = vec![TableIndex::new("byKind", KeyAttr::string("kind"), None)];
    let table = GlobalTable::new(&s, "T", props);
    let r = Recorder(Default::default());
    table.grant_read(&r);
    table.grant_read_write(&r);
    let granted = r.0.borrow();
    assert!(granted[0].problems().is_empty());
    assert!(!granted[0].actions.contains(&"dynamodb:PutItem".to_owned()));
    assert!(granted[1].actions.contains(&"dynamodb:PutItem".to_owned()));
    let arns: Vec<Json> = granted[1].resources.iter().map(|v| v.to_json()).collect();
    assert_eq!(arns.len(), 2);
    let tmpl = |j: &Json| j["Fn::Sub"][0].as_str().unwrap().to_owned();
    assert_eq!(tmpl(&arns[0]), "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Table}");
    assert_eq!(
        tmpl(&arns[1]),
        "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Table}/index/byKind"
    );
    for p in granted.iter() {
        assert!(p.actions.iter().all(|a| !a.contains('*')));
    }
}

#[test]
fn a_table_is_granted_only_to_services_in_its_replica_regions_and_replicas_are_real_regions() {
    let app = App::new("grants");
    let data = app.stack("Data", "us-east-1");
    // Replicas in us-east-1 only; the API also runs in eu-west-1.
    let table = GlobalTable::new(&data, "Orders", GlobalTableProps::new(KeyAttr::string("pk"), &["us-east-1"]));
    let api = MultiRegionApi::new_stack_set(
        &app,
        "Api",
        ApiProps {
            services: vec![ServiceProps::new("Web", "public.ecr.aws/nginx/nginx:1.27", 80)],
            ..ApiProps::new(
                vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("eu-west-1")],
                "api.example.com",
                ApiCertificate::DnsValidated { zone: HostedZone::existing("Z0123456789ABCDEFGHIJ", "example.com") },
            )
        },
    );
    table.grant_read_write(api.service("Web").unwrap());
    let e = app.synth().unwrap_err().to_string();
    assert!(e.contains("Api/Web") && e.contains("do not exist in eu-west-1 (they are in us-east-1 only)"), "{e}");

    let app = App::new("regions");
    let data = app.stack("Data", "us-east-1");
    GlobalTable::new(&data, "Orders", GlobalTableProps::new(KeyAttr::string("pk"), &["us-east-1", "us-west-9"]));
    let e = app.synth().unwrap_err().to_string();
    assert!(e.contains("Data/Orders") && e.contains("replica region") && e.contains("us-west-9"), "{e}");
}

#[test]
fn the_web_acl_has_the_managed_groups_and_a_rate_limit_and_logs() {
    let a = synth(&platform(DrMode::ActiveActive));
    let t = templates(&a);
    let acls = resources(&t, "AWS::WAFv2::WebACL");
    assert_eq!(acls.len(), 1);
    let p = &acls[0].2["Properties"];
    assert_eq!(p["Scope"], "CLOUDFRONT");
    let rules = p["Rules"].as_array().unwrap();
    for g in MANAGED_RULE_GROUPS {
        assert!(
            rules.iter().any(|r| r["Statement"]["ManagedRuleGroupStatement"]["Name"] == g
                && r["Statement"]["ManagedRuleGroupStatement"]["VendorName"] == "AWS"),
            "no rule for {g}"
        );
    }
    let rate = rules.iter().find(|r| r["Statement"]["RateBasedStatement"].is_object()).expect("a rate limit rule");
    assert_eq!(rate["Statement"]["RateBasedStatement"]["AggregateKeyType"], "IP");
    assert_eq!(rate["Statement"]["RateBasedStatement"]["Limit"], 2000);
    assert!(rate["Action"]["Block"].is_object());
    // API bodies over 8 KB are counted, not blocked: only that rule of the common rule set.
    let common = |rules: &[Json]| {
        rules
            .iter()
            .find(|r| r["Name"] == "AWSManagedRulesCommonRuleSet")
            .map(|r| r["Statement"]["ManagedRuleGroupStatement"].clone())
            .unwrap()
    };
    assert_eq!(
        common(rules)["RuleActionOverrides"],
        serde_json::json!([{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}])
    );
    for r in rules.iter().filter(|r| r["Name"] != "AWSManagedRulesCommonRuleSet") {
        assert!(r["Statement"]["ManagedRuleGroupStatement"].get("RuleActionOverrides").is_none(), "{}", r["Name"]);
    }
    assert_eq!(resources(&t, "AWS::WAFv2::LoggingConfiguration").len(), 1);
    let groups = resources(&t, "AWS::Logs::LogGroup");
    assert!(groups.iter().any(|(_, _, g)| {
        g["Properties"]["LogGroupName"]["Fn::Sub"].as_str().is_some_and(|n| n.starts_with("aws-waf-logs-"))
    }));
}

#[test]
fn the_web_acl_blocks_large_bodies_only_when_asked() {
    let app = App::new("bodies");
    let edge = app.stack("Edge", "us-east-1");
    let mut ep = EdgeDistributionProps::new(
        HostedZone::existing("Z0123456789", "example.com"),
        &["example.com", "www.example.com"],
        endpoints(),
    );
    ep.block_large_bodies = true;
    EdgeDistribution::new(&edge, "Cdn", ep);
    let a = synth(&app);
    let t = templates(&a);
    let acls = resources(&t, "AWS::WAFv2::WebACL");
    for r in acls[0].2["Properties"]["Rules"].as_array().unwrap() {
        assert!(r["Statement"]["ManagedRuleGroupStatement"].get("RuleActionOverrides").is_none(), "{}", r["Name"]);
    }
}

#[test]
fn cloudfront_is_https_only_with_modern_tls_and_api_policies() {
    for mode in [DrMode::ActiveActive, DrMode::ActivePassive] {
        let a = synth(&platform(mode));
        let t = templates(&a);
        let d = resources(&t, "AWS::CloudFront::Distribution");
        assert_eq!(d.len(), 1);
        let c = &d[0].2["Properties"]["DistributionConfig"];
        assert_eq!(c["ViewerCertificate"]["MinimumProtocolVersion"], "TLSv1.2_2021");
        assert_eq!(c["ViewerCertificate"]["SslSupportMethod"], "sni-only");
        assert_eq!(c["HttpVersion"], "http2and3");
        let mut behaviors = vec![c["DefaultCacheBehavior"].clone()];
        behaviors.extend(c["CacheBehaviors"].as_array().cloned().unwrap_or_default());
        for b in &behaviors {
            assert_eq!(b["ViewerProtocolPolicy"], "https-only");
            assert_eq!(b["CachePolicyId"], "4135ea2d-6df8-44a3-9df3-4b5a84be39ad");
            assert_eq!(b["OriginRequestPolicyId"], "b689b0a8-53d0-40ab-baf2-68738e2966ac");
        }
        for o in c["Origins"].as_array().unwrap() {
            assert_eq!(o["CustomOriginConfig"]["OriginProtocolPolicy"], "https-only");
            assert_eq!(o["OriginCustomHeaders"][0]["HeaderName"], "X-Origin-Verify");
            assert_eq!(
                o["OriginCustomHeaders"][0]["HeaderValue"],
                "{{resolve:secretsmanager:globaltest/origin-verify}}"
            );
        }
        match mode {
            DrMode::ActiveActive => {
                assert!(c["OriginGroups"].is_null());
                assert_eq!(c["Origins"][0]["DomainName"], "origin.example.com");
            }
            DrMode::ActivePassive => {
                let g = &c["OriginGroups"]["Items"][0];
                assert_eq!(g["FailoverCriteria"]["StatusCodes"]["Items"], serde_json::json!([500, 502, 503, 504]));
                let members: Vec<&str> =
                    g["Members"]["Items"].as_array().unwrap().iter().map(|m| m["OriginId"].as_str().unwrap()).collect();
                assert_eq!(members, ["primary-us-east-1", "secondary-eu-west-1"]);
                // The probe routes come first (one per region), then the read-only paths.
                let read_only = c["CacheBehaviors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|b| b["TargetOriginId"] == "failover")
                    .expect("a read-only behaviour");
                assert_eq!(c["CacheBehaviors"][0]["TargetOriginId"], "probe-us-east-1");
                assert_eq!(read_only["AllowedMethods"], serde_json::json!(["GET", "HEAD", "OPTIONS"]));
            }
        }
        let bucket = resources(&t, "AWS::S3::Bucket");
        let bp = &bucket[0].2["Properties"];
        assert_eq!(bp["PublicAccessBlockConfiguration"]["BlockPublicAcls"], true);
        assert_eq!(bp["OwnershipControls"]["Rules"][0]["ObjectOwnership"], "BucketOwnerPreferred");
        assert!(bp["BucketEncryption"].is_object());
    }
}

#[test]
fn records_follow_the_mode_with_a_health_check_and_alarm_per_region() {
    for (mode, routing_key) in [(DrMode::ActiveActive, "Region"), (DrMode::ActivePassive, "Failover")] {
        let a = synth(&platform(mode));
        let t = templates(&a);
        let records = resources(&t, "AWS::Route53::RecordSet");
        let routed: Vec<&Json> =
            records.iter().map(|r| &r.2["Properties"]).filter(|p| p["Name"] == "origin.example.com.").collect();
        assert_eq!(routed.len(), 2, "{mode:?}");
        for p in &routed {
            assert!(p[routing_key].is_string(), "{mode:?}: {p}");
            assert!(p["HealthCheckId"]["Ref"].is_string());
            assert!(p.get(if routing_key == "Region" { "Failover" } else { "Region" }).is_none());
        }
        if mode == DrMode::ActivePassive {
            let mut f: Vec<(&str, &str)> = routed
                .iter()
                .map(|p| (p["SetIdentifier"].as_str().unwrap(), p["Failover"].as_str().unwrap()))
                .collect();
            f.sort();
            assert_eq!(f, [("eu-west-1", "SECONDARY"), ("us-east-1", "PRIMARY")]);
        }
        for name in ["example.com.", "www.example.com."] {
            let aliases: Vec<&Json> =
                records.iter().map(|r| &r.2["Properties"]).filter(|p| p["Name"] == name).collect();
            assert_eq!(aliases.len(), 2, "A and AAAA for {name}");
            for p in aliases {
                assert_eq!(p["AliasTarget"]["HostedZoneId"], "Z2FDTNDATAQYW2");
            }
        }
        let checks = resources(&t, "AWS::Route53::HealthCheck");
        assert_eq!(checks.len(), 2);
        for (_, _, c) in &checks {
            let cfg = &c["Properties"]["HealthCheckConfig"];
            assert_eq!(cfg["Type"], "HTTPS");
            assert_eq!(cfg["ResourcePath"], "/health");
        }
        let hc_alarms: Vec<_> = resources(&t, "AWS::CloudWatch::Alarm")
            .into_iter()
            .filter(|(_, _, a)| a["Properties"]["Namespace"] == "AWS/Route53")
            .collect();
        assert_eq!(hc_alarms.len(), 2);
        for (stack, _, _) in hc_alarms {
            assert_eq!(stack, "globaltest-Edge");
        }
    }
}

/// A real API over [`REGIONS`], fronted by CloudFront or not, its services deployed blue/green
/// (the default) or rolling, and FailoverDns over its endpoints in us-east-1.
fn dns_over_api(fronted: bool, deployment: Deployment) -> App {
    let app = App::new("dnstest");
    let mut svc = ServiceProps::new("Web", "public.ecr.aws/nginx/nginx:1.27", 8080);
    svc.deployment = deployment;
    let api = MultiRegionApi::new_stack_set(
        &app,
        "Api",
        ApiProps {
            mode: DrMode::ActivePassive,
            services: vec![svc],
            fronted_by_cloudfront: fronted.then(|| OriginVerify::new("dnstest/origin-verify")),
            ..ApiProps::new(
                vec![RegionSpec::primary(REGIONS[0]), RegionSpec::secondary(REGIONS[1])],
                "origin.example.com",
                ApiCertificate::DnsValidated { zone: HostedZone::existing("Z0123456789ABCDEFGHIJ", "example.com") },
            )
        },
    );
    let edge = app.stack("Edge", "us-east-1");
    let mut dp = FailoverDnsProps::new(HostedZone::existing("Z0123456789ABCDEFGHIJ", "example.com"), api.endpoints());
    dp.alarm_actions = vec!["arn:aws:sns:us-east-1:123456789012:alarms".into()];
    dp.mode = DrMode::ActivePassive;
    FailoverDns::new(&edge, "Dns", dp);
    app
}

#[test]
fn a_fronted_api_is_health_checked_through_each_regions_alarms_and_an_unfronted_one_over_https() {
    // Fronted, blue/green: in each region's own stack, a CLOUDWATCH_METRIC check per target
    // group's alarm and a CALCULATED check (healthy while the one service has a healthy group)
    // that the records use.
    let a = synth(&dns_over_api(true, Deployment::default()));
    let api = a.template("dnstest-Api").unwrap();
    let alarms: BTreeMap<&str, &Json> = api["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(id, r)| r["Type"] == "AWS::CloudWatch::Alarm" && id.starts_with("WebRegionHealth"))
        .map(|(id, r)| (id.as_str(), r))
        .collect();
    assert_eq!(alarms.len(), 2, "one per target group: {:?}", alarms.keys());
    let mut names: Vec<&str> = alarms.values().map(|r| r["Properties"]["AlarmName"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["dnstest-Api-Web-no-healthy-targets", "dnstest-Api-Web-no-healthy-targets-alternate"]);
    for r in alarms.values() {
        let p = &r["Properties"];
        assert_eq!(p["Namespace"], "AWS/ApplicationELB");
        assert_eq!(p["MetricName"], "HealthyHostCount");
        assert_eq!(p["Statistic"], "Minimum");
        assert_eq!((p["Period"].as_i64(), p["EvaluationPeriods"].as_i64()), (Some(60), Some(2)));
        assert_eq!(p["ComparisonOperator"], "LessThanThreshold");
        assert_eq!(p["Threshold"], 1.0);
        assert_eq!(p["TreatMissingData"], "breaching");
        // A plain metric alarm: Route 53 accepts neither metric math nor M out of N.
        assert!(p.get("Metrics").is_none() && p.get("DatapointsToAlarm").is_none(), "{p}");
    }
    let checks: Vec<(&String, &Json)> = api["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Route53::HealthCheck")
        .collect();
    assert_eq!(checks.len(), 3, "two alarm checks and one calculated, in each region's instance");
    for (id, c) in &checks {
        let cfg = &c["Properties"]["HealthCheckConfig"];
        match cfg["Type"].as_str().unwrap() {
            "CLOUDWATCH_METRIC" => {
                assert_eq!(cfg["InsufficientDataHealthStatus"], "Unhealthy", "{id}");
                // The alarm of the same stack instance, in its region.
                assert_eq!(cfg["AlarmIdentifier"]["Region"], serde_json::json!({"Ref": "AWS::Region"}), "{id}");
                let alarm = cfg["AlarmIdentifier"]["Name"]["Ref"].as_str().unwrap();
                assert!(alarms.contains_key(alarm), "{id} watches {alarm}");
            }
            "CALCULATED" => {
                assert_eq!(cfg["HealthThreshold"], 1, "{id}: one service");
                assert_eq!(cfg["ChildHealthChecks"].as_array().unwrap().len(), 2, "{id}");
            }
            other => panic!("{id}: a fronted API gets no {other} health check"),
        }
    }
    // The edge makes no check: its records and alarms use each region's, read in that region.
    let edge = a.template("dnstest-Edge").unwrap();
    let edge_stack = a.manifest.stacks.iter().find(|s| s.name == "dnstest-Edge").unwrap();
    assert!(!edge["Resources"].as_object().unwrap().values().any(|r| r["Type"] == "AWS::Route53::HealthCheck"));
    let mut used = Vec::new();
    for (_, r) in edge["Resources"].as_object().unwrap().iter().filter(|(_, r)| r["Type"] == "AWS::Route53::RecordSet")
    {
        if let Some(param) = r["Properties"]["HealthCheckId"]["Ref"].as_str() {
            let b = edge_stack.bindings.iter().find(|b| b.parameter == param).unwrap();
            assert_eq!((b.producer.as_str(), b.source.as_str()), ("dnstest-Api", "Api/RegionHealth/Check"));
            let haplat_core::manifest::BindingRegion::Fixed { region } = &b.region else { panic!("{b:?}") };
            used.push(region.clone());
        }
    }
    used.sort();
    let mut regions: Vec<String> = REGIONS.iter().map(|r| r.to_string()).collect();
    regions.sort();
    assert_eq!(used, regions, "each region's record uses that region's check");
    let wave = |name: &str| a.manifest.waves.iter().position(|w| w.iter().any(|s| s == name)).unwrap();
    assert!(wave("dnstest-Api") < wave("dnstest-Edge"));

    // Fronted, rolling: one target group, one alarm, the region's check is on it directly.
    let a = synth(&dns_over_api(true, Deployment::Rolling));
    let api = a.template("dnstest-Api").unwrap();
    let types: Vec<&str> = api["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::Route53::HealthCheck")
        .map(|r| r["Properties"]["HealthCheckConfig"]["Type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["CLOUDWATCH_METRIC"]);

    // Not fronted: Route 53 requests the health path over HTTPS, and the API has no health alarms.
    let a = synth(&dns_over_api(false, Deployment::default()));
    let api = a.template("dnstest-Api").unwrap();
    assert!(!api["Resources"].as_object().unwrap().keys().any(|id| id.contains("RegionHealth")));
    let edge = a.template("dnstest-Edge").unwrap();
    let checks: Vec<&Json> =
        edge["Resources"].as_object().unwrap().values().filter(|r| r["Type"] == "AWS::Route53::HealthCheck").collect();
    assert_eq!(checks.len(), 2);
    for c in checks {
        let cfg = &c["Properties"]["HealthCheckConfig"];
        assert_eq!(cfg["Type"], "HTTPS");
        assert_eq!(cfg["ResourcePath"], "/health");
        assert!(cfg.get("AlarmIdentifier").is_none());
    }
}

#[test]
fn weighted_records_carry_the_weights() {
    let app = App::new("weights");
    let edge = app.stack("Edge", "us-east-1");
    let mut p = FailoverDnsProps::new(HostedZone::existing("Z123", "example.com"), endpoints());
    p.alarm_actions = vec!["arn:aws:sns:us-east-1:123456789012:alarms".into()];
    p.routing = Routing::Weighted(BTreeMap::from([("us-east-1".into(), 90), ("eu-west-1".into(), 10)]));
    FailoverDns::new(&edge, "Dns", p);
    let t = synth(&app).template("weights-Edge").unwrap();
    let mut weights: Vec<i64> =
        t["Resources"].as_object().unwrap().values().filter_map(|r| r["Properties"]["Weight"].as_i64()).collect();
    weights.sort();
    assert_eq!(weights, [10, 90]);
}

#[test]
fn iam_policies_name_concrete_resources_and_actions() {
    let a = synth(&platform(DrMode::ActiveActive));
    let t = templates(&a);
    let roles = resources(&t, "AWS::IAM::Role");
    assert!(roles.len() >= 3);
    for (stack, id, role) in roles {
        for policy in role["Properties"]["Policies"].as_array().into_iter().flatten() {
            for st in policy["PolicyDocument"]["Statement"].as_array().unwrap() {
                let actions: Vec<&str> = st["Action"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
                for a in &actions {
                    assert!(!a.contains('*'), "{stack}/{id}: wildcard action {a}");
                }
                if st["Resource"] == "*" {
                    for a in &actions {
                        assert!(UNSCOPED_ACTIONS.contains(a), "{stack}/{id}: {a} on every resource");
                    }
                } else {
                    for r in st["Resource"].as_array().unwrap() {
                        assert_ne!(r, "*", "{stack}/{id}");
                    }
                }
            }
        }
    }
}

#[test]
fn every_role_trusts_its_service_only_for_this_account_where_the_service_allows() {
    let a = synth(&platform(DrMode::ActiveActive));
    let t = templates(&a);
    let roles = resources(&t, "AWS::IAM::Role");
    let mut services: Vec<&str> = Vec::new();
    for (stack, id, role) in roles {
        for st in role["Properties"]["AssumeRolePolicyDocument"]["Statement"].as_array().unwrap() {
            let service = st["Principal"]["Service"].as_str().unwrap();
            services.push(service);
            let guard = &st["Condition"]["StringEquals"]["aws:SourceAccount"];
            if haplat_constructs::security::SOURCE_ACCOUNT_SERVICES.contains(&service) {
                assert_eq!(
                    guard,
                    &serde_json::json!({"Ref": "AWS::AccountId"}),
                    "{stack}/{id}: no confused-deputy guard"
                );
            } else {
                assert!(st.get("Condition").is_none(), "{stack}/{id}: {service} does not send aws:SourceAccount");
            }
        }
    }
    services.sort();
    services.dedup();
    for s in ["backup.amazonaws.com", "fis.amazonaws.com", "lambda.amazonaws.com"] {
        assert!(services.contains(&s), "{services:?}");
    }
}

#[test]
fn monitoring_alarms_on_the_platform_thresholds_to_an_encrypted_topic() {
    let a = synth(&platform(DrMode::ActiveActive));
    let t = a.template("globaltest-Ops").unwrap();
    let one = [("globaltest-Ops".to_owned(), t.clone())];
    let topic = &resources(&one, "AWS::SNS::Topic")[0].2;
    assert!(topic["Properties"]["KmsMasterKeyId"].is_object());
    assert_eq!(resources(&one, "AWS::SNS::Subscription")[0].2["Properties"]["Protocol"], "email");
    let alarms = resources(&one, "AWS::CloudWatch::Alarm");
    let described = |needle: &str| {
        alarms
            .iter()
            .filter(|(_, _, a)| a["Properties"]["AlarmDescription"].as_str().is_some_and(|d| d.contains(needle)))
            .map(|(_, _, a)| &a["Properties"])
            .collect::<Vec<_>>()
    };
    let rate = described("5xx");
    assert_eq!(rate[0]["Threshold"], 5.0);
    assert!(rate[0]["AlarmDescription"].as_str().unwrap().starts_with("[critical]"));
    assert!(rate[0]["Metrics"].as_array().unwrap().iter().any(|m| m["Expression"].is_string()));
    for what in ["CPU", "memory"] {
        let a = described(what);
        assert_eq!(a[0]["Threshold"], 80.0, "{what}");
        assert!(a[0]["AlarmDescription"].as_str().unwrap().starts_with("[warning]"));
    }
    assert_eq!(described("targets failing").len(), 1);
    assert_eq!(described("throttled").len(), 1);
    let replication = described("replication to");
    assert_eq!(replication.len(), 2);
    // Each replication alarm exists only in the region it does not point at.
    for (_, _, a) in &alarms {
        if a["Properties"]["MetricName"] == "ReplicationLatency" {
            let cond = a["Condition"].as_str().unwrap();
            assert!(t["Conditions"][cond]["Fn::Not"].is_array());
        }
    }
    assert_eq!(resources(&one, "AWS::CloudWatch::Dashboard").len(), 1);
    // Burn-rate alarms: two per window, joined by a composite.
    let composites = resources(&one, "AWS::CloudWatch::CompositeAlarm");
    assert_eq!(composites.len(), 3 + 2);
    assert!(
        composites
            .iter()
            .any(|(_, _, c)| c["Properties"]["AlarmRule"]["Fn::Sub"][0].as_str().is_some_and(|r| r.contains(" AND ")))
    );
}

/// Monitoring and an availability SLO of a blue/green service, whose live tasks move between
/// its two target groups with every deployment.
fn blue_green_monitoring() -> App {
    let app = App::new("bluegreen");
    let ops = app.stack_set("Ops", &REGIONS);
    let svc = ServiceMetrics {
        name: "Web".into(),
        cluster_name: "web-cluster".into(),
        service_name: "web".into(),
        load_balancer_full_name: "app/api/0123456789abcdef".into(),
        target_group_full_name: "targetgroup/web-blue/0123456789abcdef".into(),
        alternate_target_group_full_name: Some("targetgroup/web-green/0123456789abcdef".into()),
        connect_discovery_name: None,
    };
    let mut mp = RegionalMonitoringProps::new(&REGIONS);
    mp.services = vec![svc.clone()];
    let mon = RegionalMonitoring::new(&ops, "Monitoring", mp);
    Slo::new(&ops, "Availability", SloProps::new(99.9, svc.availability_sli()).with_actions(vec![mon.topic_arn()]));
    app
}

/// The target groups a list of metric queries reads.
fn target_groups(metrics: &Json) -> Vec<String> {
    let mut out: Vec<String> = metrics
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|q| q["MetricStat"]["Metric"]["Dimensions"].as_array().cloned().unwrap_or_default())
        .filter(|d| d["Name"] == "TargetGroup")
        .map(|d| d["Value"].as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn a_blue_green_services_error_rate_alarm_dashboard_and_slo_sum_both_target_groups() {
    let a = synth(&blue_green_monitoring());
    let t = a.template("bluegreen-Ops").unwrap();
    let one = [("bluegreen-Ops".to_owned(), t.clone())];
    let both = ["targetgroup/web-blue/0123456789abcdef", "targetgroup/web-green/0123456789abcdef"];
    let alarms = resources(&one, "AWS::CloudWatch::Alarm");
    let rate = alarms
        .iter()
        .find(|(_, _, a)| a["Properties"]["AlarmDescription"].as_str().is_some_and(|d| d.contains("5xx")))
        .map(|(_, _, a)| &a["Properties"]["Metrics"])
        .unwrap();
    assert_eq!(target_groups(rate), both);
    let returned: Vec<&Json> = rate.as_array().unwrap().iter().filter(|q| q["ReturnData"] == true).collect();
    assert_eq!(returned.len(), 1);
    // The load balancer's own 5xx count on both sides (they have no target group).
    assert_eq!(
        returned[0]["Expression"],
        "IF(((FILL(requests0, 0) + FILL(requests1, 0)) + FILL(elbErrors, 0)) > 0, \
         100 * ((FILL(errors0, 0) + FILL(errors1, 0)) + FILL(elbErrors, 0)) / \
         ((FILL(requests0, 0) + FILL(requests1, 0)) + FILL(elbErrors, 0)), 0)"
    );
    // Every burn-rate alarm of the SLO reads both groups too.
    let burn: Vec<_> = alarms.iter().filter(|(_, id, _)| id.contains("Availability")).collect();
    assert_eq!(burn.len(), 4);
    for (_, id, a) in burn {
        assert_eq!(target_groups(&a["Properties"]["Metrics"]), both, "{id}");
    }
    // The dashboard plots the sums over both groups.
    let dashboard = &resources(&one, "AWS::CloudWatch::Dashboard")[0].2["Properties"]["DashboardBody"]["Fn::Sub"];
    let body = dashboard[0].as_str().unwrap();
    assert!(body.contains("FILL(errors0, 0) + FILL(errors1, 0)"), "{body}");
    assert!(body.contains("${AltTg0}"), "{body}");
    assert_eq!(dashboard[1]["AltTg0"], both[1]);
    let widgets: Json = serde_json::from_str(body).unwrap();
    // The load balancer's own 5xx beside the targets', as the alarm counts them.
    let requests = widgets["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["properties"]["title"] == "Web: requests and 5xx (both target groups)")
        .expect("a requests widget");
    let elb = requests["properties"]["metrics"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (elb[1].as_str(), elb[2].as_str(), elb[3].as_str()),
        (Some("HTTPCode_ELB_5XX_Count"), Some("LoadBalancer"), Some("${Lb0}"))
    );
    assert_eq!(elb.as_array().unwrap().len(), 5, "no TargetGroup dimension: {elb}");
    // Healthy targets: the minimum of each group, summed over both.
    let healthy = widgets["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["properties"]["title"] == "Web: healthy targets")
        .expect("a healthy-targets widget");
    let lines = healthy["properties"]["metrics"].as_array().unwrap();
    let counts: Vec<(&str, &str, &str)> = lines
        .iter()
        .filter(|m| m[1] == "HealthyHostCount")
        .map(|m| (m[3].as_str().unwrap(), m[5].as_str().unwrap(), m[6]["stat"].as_str().unwrap()))
        .collect();
    assert_eq!(counts, [("${Tg0}", "${Lb0}", "Minimum"), ("${AltTg0}", "${Lb0}", "Minimum")]);
    assert!(lines.iter().any(|m| m[0]["expression"] == "FILL(healthy0, 0) + FILL(healthy1, 0)"));
    // A rolling service's alarm reads its one target group, as before.
    let rolling = synth(&platform(DrMode::ActiveActive));
    let t = rolling.template("globaltest-Ops").unwrap();
    let one = [("globaltest-Ops".to_owned(), t.clone())];
    let rate = resources(&one, "AWS::CloudWatch::Alarm")
        .into_iter()
        .find(|(_, _, a)| a["Properties"]["AlarmDescription"].as_str().is_some_and(|d| d.contains("5xx")))
        .map(|(_, _, a)| a["Properties"]["Metrics"].clone())
        .unwrap();
    assert_eq!(target_groups(&rate), ["targetgroup/web/0123456789abcdef"]);
    assert_eq!(rate[2]["MetricStat"]["Metric"]["MetricName"], "HTTPCode_ELB_5XX_Count");
    assert_eq!(
        rate[3]["Expression"],
        "IF((FILL(requests, 0) + FILL(elbErrors, 0)) > 0, 100 * (FILL(errors, 0) + FILL(elbErrors, 0)) / \
         (FILL(requests, 0) + FILL(elbErrors, 0)), 0)"
    );
}

#[test]
fn traced_services_get_an_xray_group_and_sampling_rule_each() {
    let a = synth(&platform(DrMode::ActiveActive));
    let t = templates(&a);
    let groups = resources(&t, "AWS::XRay::Group");
    assert_eq!(groups.len(), 1);
    let (stack, _, g) = groups[0];
    assert_eq!(stack, "globaltest-Ops", "in the stack set, next to the services");
    assert_eq!(g["Properties"]["GroupName"], "globaltest-Ops-Web");
    assert_eq!(g["Properties"]["FilterExpression"], r#"service("Web")"#);
    assert_eq!(g["Properties"]["InsightsConfiguration"]["InsightsEnabled"], false);
    let rules = resources(&t, "AWS::XRay::SamplingRule");
    assert_eq!(rules.len(), 1);
    let rule = &rules[0].2["Properties"]["SamplingRule"];
    assert_eq!(rule["RuleName"], "globaltest-Ops-Web");
    assert_eq!(rule["ServiceName"], "Web");
    assert_eq!((rule["ReservoirSize"].as_i64(), rule["FixedRate"].as_f64()), (Some(1), Some(0.05)));
    assert!(rule["Priority"].as_i64().unwrap() < 10000, "before X-Ray's default rule");
    for any in ["Host", "HTTPMethod", "URLPath", "ServiceType", "ResourceARN"] {
        assert_eq!(rule[any], "*", "{any}");
    }

    // Custom rates, insights, names shortened to X-Ray's 32 characters; no sampling rule when
    // X-Ray's default should apply; nothing at all without a traced service.
    let app = App::new("tracing-with-a-long-application-name");
    let s = app.stack_set("Ops", &REGIONS);
    let mut p = RegionalMonitoringProps::new(&REGIONS);
    p.tracing = TracingProps::new(&["Orders", "Payments"]);
    p.tracing.sampling = Some(Sampling { reservoir_size: 5, fixed_rate: 0.1 });
    p.tracing.insights = true;
    let m = RegionalMonitoring::new(&s, "Monitoring", p);
    assert_eq!((m.trace_groups.len(), m.sampling_rules.len()), (2, 2));
    let s2 = app.stack_set("Other", &REGIONS);
    let mut p = RegionalMonitoringProps::new(&REGIONS);
    p.tracing = TracingProps { sampling: None, ..TracingProps::new(&["Orders"]) };
    let m = RegionalMonitoring::new(&s2, "Monitoring", p);
    assert_eq!((m.trace_groups.len(), m.sampling_rules.len()), (1, 0));
    let s3 = app.stack_set("Untraced", &REGIONS);
    let m = RegionalMonitoring::new(&s3, "Monitoring", RegionalMonitoringProps::new(&REGIONS));
    assert!(m.trace_groups.is_empty() && m.sampling_rules.is_empty());
    let a = synth(&app);
    let t = a.template("tracing-with-a-long-application-name-Ops").unwrap();
    let mut names = Vec::new();
    for r in t["Resources"].as_object().unwrap().values() {
        let name = match r["Type"].as_str().unwrap() {
            "AWS::XRay::Group" => r["Properties"]["GroupName"].as_str().unwrap(),
            "AWS::XRay::SamplingRule" => {
                assert_eq!(r["Properties"]["SamplingRule"]["ReservoirSize"], 5);
                assert_eq!(r["Properties"]["SamplingRule"]["FixedRate"], 0.1);
                r["Properties"]["SamplingRule"]["RuleName"].as_str().unwrap()
            }
            _ => continue,
        };
        assert!(name.len() <= 32 && name.starts_with("tracing-with-a-long-app"), "{name}");
        names.push(name.to_owned());
    }
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 2, "one name per service, shared by its group and rule: {names:?}");
    let untraced = a.template("tracing-with-a-long-application-name-Untraced").unwrap();
    assert!(
        !untraced["Resources"]
            .as_object()
            .unwrap()
            .values()
            .any(|r| r["Type"].as_str().unwrap().starts_with("AWS::XRay"))
    );

    // Misuse: a rate that is no share, a reservoir below zero, a name given twice.
    let app = App::new("misuse");
    let s = app.stack_set("Ops", &REGIONS);
    let mut p = RegionalMonitoringProps::new(&REGIONS);
    p.tracing = TracingProps::new(&["Orders", "Orders"]);
    p.tracing.sampling = Some(Sampling { reservoir_size: -1, fixed_rate: 5.0 });
    RegionalMonitoring::new(&s, "Monitoring", p);
    let e = errors_of(&app);
    assert!(e.contains("Ops/Monitoring/Tracing") && e.contains("sampling rate 5"), "{e}");
    assert!(e.contains("reservoir of -1"), "{e}");
    assert!(e.contains("\"Orders\" is empty or given twice"), "{e}");
}

#[test]
fn chaos_experiments_stop_on_the_critical_alarm_and_log() {
    let a = synth(&platform(DrMode::ActiveActive));
    let t = templates(&a);
    let ex = resources(&t, "AWS::FIS::ExperimentTemplate");
    assert_eq!(ex.len(), 2);
    for (_, _, e) in ex {
        let p = &e["Properties"];
        assert_eq!(p["StopConditions"][0]["Source"], "aws:cloudwatch:alarm");
        assert!(p["StopConditions"][0]["Value"]["Fn::GetAtt"].is_array());
        assert_eq!(p["LogConfiguration"]["LogSchemaVersion"], 2);
    }
}

/// The region-isolation experiment cuts every private subnet (no zone filter), stops only on
/// the alarms given for it (never the region's own, which it trips), and is named for `haplat drill`.
#[test]
fn region_isolation_cuts_every_private_subnet_and_stops_on_outside_alarms() {
    let app = App::new("shop");
    let api = app.stack_set("Api", &REGIONS);
    let mut cp = ChaosProps::new(vec![]);
    cp.private_subnet_ids = vec!["subnet-0aaa".into(), "subnet-0bbb".into(), "subnet-0ccc".into()];
    cp.network_stop_alarm_arns = vec!["arn:aws:cloudwatch:us-east-1:111122223333:alarm:lb-5xx".into()];
    cp.region_isolation = true;
    cp.region_isolation_stop_alarm_arns = vec!["arn:aws:cloudwatch:us-east-1:111122223333:alarm:public-canary".into()];
    let chaos = ChaosExperiments::new(&api, "Chaos", cp);
    assert_eq!(chaos.experiments.len(), 2);
    let a = synth(&app);
    let t = templates(&a);
    let ex = resources(&t, "AWS::FIS::ExperimentTemplate");
    let names: Vec<&str> = ex.iter().map(|(_, _, e)| e["Properties"]["Tags"]["Name"].as_str().unwrap()).collect();
    assert_eq!(names, ["az-network-disruption", "region-isolation"]);
    let (_, _, iso) = ex.iter().find(|(_, id, _)| id.contains("RegionIsolation")).expect("the experiment");
    let p = &iso["Properties"];
    let target = &p["Targets"]["Subnets"];
    assert_eq!(target["SelectionMode"], "ALL");
    assert_eq!(target["ResourceArns"].as_array().unwrap().len(), 3);
    assert!(target.get("Filters").is_none(), "{target:#}");
    let action = &p["Actions"]["DisruptConnectivity"];
    assert_eq!(action["ActionId"], "aws:network:disrupt-connectivity");
    assert_eq!(action["Parameters"]["scope"], "all");
    let stops: Vec<&Json> = p["StopConditions"].as_array().unwrap().iter().map(|c| &c["Value"]).collect();
    assert_eq!(stops, [&Json::from("arn:aws:cloudwatch:us-east-1:111122223333:alarm:public-canary")]);

    // With the load balancer's public subnets, the ALB-isolation experiment beside it: those
    // subnets only, the same stop alarms, and the role may re-associate them.
    let app = App::new("shop");
    let api = app.stack_set("Api", &REGIONS);
    let mut cp = ChaosProps::new(vec![]);
    cp.private_subnet_ids = vec!["subnet-0aaa".into(), "subnet-0bbb".into()];
    cp.public_subnet_ids = vec!["subnet-0pub1".into(), "subnet-0pub2".into()];
    cp.network_stop_alarm_arns = vec!["arn:aws:cloudwatch:us-east-1:111122223333:alarm:lb-5xx".into()];
    cp.region_isolation = true;
    cp.region_isolation_stop_alarm_arns = vec!["arn:aws:cloudwatch:us-east-1:111122223333:alarm:public-canary".into()];
    ChaosExperiments::new(&api, "Chaos", cp);
    let a = synth(&app);
    let t = templates(&a);
    let ex = resources(&t, "AWS::FIS::ExperimentTemplate");
    let names: Vec<&str> = ex.iter().map(|(_, _, e)| e["Properties"]["Tags"]["Name"].as_str().unwrap()).collect();
    assert_eq!(names, ["alb-isolation", "az-network-disruption", "region-isolation"]);
    let (_, _, alb) = ex.iter().find(|(_, id, _)| id.contains("AlbIsolation")).expect("the experiment");
    let p = &alb["Properties"];
    let subnets = serde_json::to_string(&p["Targets"]["Subnets"]["ResourceArns"]).unwrap();
    assert!(
        subnets.contains("subnet-0pub1") && subnets.contains("subnet-0pub2") && !subnets.contains("subnet-0aaa"),
        "{subnets}"
    );
    assert_eq!(p["Actions"]["DisruptConnectivity"]["Parameters"]["scope"], "all");
    let stops: Vec<&Json> = p["StopConditions"].as_array().unwrap().iter().map(|c| &c["Value"]).collect();
    assert_eq!(stops, [&Json::from("arn:aws:cloudwatch:us-east-1:111122223333:alarm:public-canary")]);
    let roles = resources(&t, "AWS::IAM::Role");
    let policy = serde_json::to_string(&roles[0].2["Properties"]["Policies"]).unwrap();
    assert!(policy.contains("subnet-0pub1"), "the role may re-associate the public subnets: {policy}");
    // Without region isolation, the public subnets add nothing.
    let app = App::new("shop");
    let api = app.stack_set("Api", &REGIONS);
    let mut cp = ChaosProps::new(vec!["arn:aws:cloudwatch:us-east-1:111122223333:alarm:x".into()]);
    cp.private_subnet_ids = vec!["subnet-0aaa".into()];
    cp.public_subnet_ids = vec!["subnet-0pub1".into()];
    assert_eq!(ChaosExperiments::new(&api, "Chaos", cp).experiments.len(), 1);

    // Without an alarm from outside the region, or without subnets: an error naming the path.
    let app = App::new("shop");
    let api = app.stack_set("Api", &REGIONS);
    let mut cp = ChaosProps::new(vec![]);
    cp.private_subnet_ids = vec!["subnet-0aaa".into()];
    cp.network_stop_alarm_arns = vec!["arn:aws:cloudwatch:us-east-1:111122223333:alarm:lb-5xx".into()];
    cp.region_isolation = true;
    ChaosExperiments::new(&api, "Chaos", cp);
    let e = errors_of(&app);
    assert!(e.contains("Api/Chaos") && e.contains("experiment RegionIsolation has no stop alarm"), "{e}");
    let app = App::new("shop");
    let api = app.stack_set("Api", &REGIONS);
    let mut cp = ChaosProps::new(vec!["arn:aws:cloudwatch:us-east-1:111122223333:alarm:x".into()]);
    cp.services = vec![ChaosService {
        name: "Web".into(),
        cluster_name: "web".into(),
        service_name: "web".into(),
        stop_alarm_arns: vec![],
    }];
    cp.region_isolation = true;
    ChaosExperiments::new(&api, "Chaos", cp);
    let e = errors_of(&app);
    assert!(e.contains("Api/Chaos") && e.contains("region_isolation needs the region's private subnets"), "{e}");
}

#[test]
fn websocket_api_traces_logs_and_is_invoked_by_its_api_only() {
    let a = synth(&platform(DrMode::ActiveActive));
    let t = templates(&a);
    let f = &resources(&t, "AWS::Lambda::Function")[0].2["Properties"];
    assert_eq!(f["TracingConfig"]["Mode"], "Active");
    assert!(f["LoggingConfig"]["LogGroup"]["Ref"].is_string());
    let perm = &resources(&t, "AWS::Lambda::Permission")[0].2["Properties"];
    assert_eq!(perm["Principal"], "apigateway.amazonaws.com");
    assert!(perm["SourceArn"]["Fn::Sub"].is_array());
    // A WebSocket API's Lambda integration must say POST.
    let integration = &resources(&t, "AWS::ApiGatewayV2::Integration")[0].2["Properties"];
    assert_eq!(integration["IntegrationType"], "AWS_PROXY");
    assert_eq!(integration["IntegrationMethod"], "POST");
    let stage = &resources(&t, "AWS::ApiGatewayV2::Stage")[0].2["Properties"];
    assert!(stage["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"].is_array());
    assert_eq!(stage["DefaultRouteSettings"]["ThrottlingBurstLimit"], 1000);
    // The account-level logging role is checked by `haplat doctor`, not declared: the stage says so.
    let stage = &resources(&t, "AWS::ApiGatewayV2::Stage")[0].2;
    let suppressed = &stage["Metadata"]["haplat:suppress"];
    assert_eq!(suppressed[0]["id"], "HAP004", "{stage:#}");
    assert!(suppressed[0]["reason"].as_str().unwrap().contains("haplat doctor"), "{stage:#}");
}

fn errors_of(app: &App) -> String {
    match app.synth() {
        Ok(_) => panic!("synth should fail"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn misuse_is_an_error_naming_the_construct_path() {
    // Failover asked over an API with one region.
    let app = App::new("misuse");
    let edge = app.stack("Edge", "us-east-1");
    let mut p = EdgeDistributionProps::new(
        HostedZone::existing("Z1", "example.com"),
        &["example.com", "www.example.com"],
        vec![endpoint("us-east-1", RegionRole::Primary)],
    );
    p.mode = DrMode::ActivePassive;
    EdgeDistribution::new(&edge, "Cdn", p);
    let e = errors_of(&app);
    assert!(e.contains("Edge/Cdn") && e.contains("failover"), "{e}");

    // A FailoverDns with no primary.
    let app = App::new("misuse");
    let edge = app.stack("Edge", "us-east-1");
    let p = FailoverDnsProps::new(
        HostedZone::existing("Z1", "example.com"),
        vec![endpoint("us-east-1", RegionRole::Secondary), endpoint("eu-west-1", RegionRole::Secondary)],
    );
    FailoverDns::new(&edge, "Dns", p);
    let e = errors_of(&app);
    assert!(e.contains("Edge/Dns") && e.contains("no primary"), "{e}");
    // Its health alarms are critical: without a topic they tell nobody.
    assert!(e.contains("Edge/Dns: the health alarms are critical and tell nobody"), "{e}");

    // Edge and DNS outside us-east-1.
    let app = App::new("misuse");
    let s = app.stack("Edge", "eu-west-1");
    EdgeDistribution::new(
        &s,
        "Cdn",
        EdgeDistributionProps::new(
            HostedZone::existing("Z1", "example.com"),
            &["example.com", "www.example.com"],
            endpoints(),
        ),
    );
    FailoverDns::new(&s, "Dns", FailoverDnsProps::new(HostedZone::existing("Z1", "example.com"), endpoints()));
    let e = errors_of(&app);
    assert!(e.contains("Edge/Cdn") && e.contains("Edge/Dns") && e.contains("us-east-1"), "{e}");

    // A global table in a stack set, or away from its replicas.
    let app = App::new("misuse");
    let s = app.stack_set("Data", &REGIONS);
    GlobalTable::new(&s, "Orders", GlobalTableProps::new(KeyAttr::string("pk"), &REGIONS));
    let s2 = app.stack("Other", "ap-southeast-2");
    let mut p = GlobalTableProps::new(KeyAttr::string("pk"), &REGIONS);
    p.encryption = TableEncryption::CustomerManaged(BTreeMap::from([("us-east-1".into(), Value::from("k"))]));
    GlobalTable::new(&s2, "Orders", p);
    let e = errors_of(&app);
    assert!(e.contains("Data/Orders") && e.contains("stack set"), "{e}");
    assert!(e.contains("Other/Orders") && e.contains("home region needs a replica"), "{e}");
    assert!(e.contains("no customer managed key given for the replica in eu-west-1"), "{e}");

    // Backups copied to the next region of a one-region stack; an SLO of 100%.
    let app = App::new("misuse");
    let s = app.stack("Data", "us-east-1");
    BackupPlan::new(&s, "Backup", BackupPlanProps::new("vault", BackupSelection::Tag("backup".into(), "daily".into())));
    let mut bp = BackupPlanProps::new("vault2", BackupSelection::Resources(vec![]));
    bp.copy_to = CopyTo::Nowhere;
    BackupPlan::new(&s, "Backup2", bp);
    let lb = ("LoadBalancer", Value::from("x"));
    let m = MetricRef::new("AWS/ApplicationELB", "RequestCount", [lb]);
    Slo::new(&s, "Slo", SloProps::new(100.0, Sli::ErrorRatio { bad: vec![m.clone()], total: vec![m.clone()] }));
    Slo::new(&s, "NoBad", SloProps::new(99.9, Sli::ErrorRatio { bad: vec![], total: vec![m.clone()] }));
    Slo::new(&s, "TooMany", SloProps::new(99.9, Sli::ErrorRatio { bad: vec![m.clone(); 6], total: vec![m; 5] }));
    let e = errors_of(&app);
    assert!(e.contains("Data/NoBad") && e.contains("at least one metric of bad events"), "{e}");
    assert!(e.contains("Data/TooMany") && e.contains("over 11 metrics"), "{e}");
    assert!(e.contains("Data/Backup") && e.contains("no next region"), "{e}");
    assert!(e.contains("Data/Backup2") && e.contains("names no resources"), "{e}");
    assert!(e.contains("Data/Slo") && e.contains("between 0 and 100"), "{e}");
}

#[test]
fn global_templates_pass_cfn_lint_in_every_region() {
    let dir = std::env::temp_dir().join(format!("haplat-global-lint-{}", std::process::id()));
    let mut failures = Vec::new();
    let apps = [
        ("ActiveActive", platform(DrMode::ActiveActive)),
        ("ActivePassive", platform(DrMode::ActivePassive)),
        // Alarm-based (CLOUDWATCH_METRIC and CALCULATED) health checks over a fronted API.
        ("FrontedApiDns", dns_over_api(true, Deployment::default())),
        ("BlueGreenMonitoring", blue_green_monitoring()),
        ("RecoveryControl", arc_edge(DrMode::ActiveActive, "us-east-1")),
    ];
    let mut templates = Vec::new();
    for (mode, app) in apps {
        let out = dir.join(mode);
        let a = app.synth_to(&out).unwrap_or_else(|e| panic!("{e}"));
        templates.extend(a.manifest.stacks.iter().map(|stack| (stack.target.regions(), out.join(&stack.template))));
    }
    for (regions, lint) in haplat_tests::lint_by_region_set(templates) {
        if !lint.is_clean() {
            failures.push(format!("over {}: {lint}", regions.join(",")));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "cfn-lint found problems:\n{}", failures.join("\n"));
}

#[test]
fn the_origin_secret_is_always_in_us_east_1_and_deleted_with_its_stack() {
    // An API without us-east-1: CloudFront still resolves the secret there.
    let app = App::new("eu");
    let global = app.stack("Global", "eu-west-1");
    let secret =
        OriginSecret::new(&global, "OriginVerify", OriginSecretProps::new("eu/origin-verify", &["eu-central-1"]));
    let _ = secret;
    let t = app.synth().unwrap().template("eu-Global").unwrap();
    let s = t["Resources"].as_object().unwrap().values().find(|r| r["Type"] == "AWS::SecretsManager::Secret").unwrap();
    let regions: Vec<&str> =
        s["Properties"]["ReplicaRegions"].as_array().unwrap().iter().map(|r| r["Region"].as_str().unwrap()).collect();
    assert_eq!(regions, ["eu-central-1", "us-east-1"]);
    // A random header value: nothing to keep, and its fixed name is free again after destroy.
    assert_eq!(s["DeletionPolicy"], "Delete");
}

#[test]
fn logs_are_kept_a_year_and_the_websocket_function_s_environment_is_under_its_key() {
    let a = synth(&platform(DrMode::ActiveActive));
    let t = templates(&a);
    for (stack, id, r) in resources(&t, "AWS::Logs::LogGroup") {
        let days = r["Properties"]["RetentionInDays"].as_i64().unwrap_or(0);
        // Below a year only where the template says why (Container Insights' raw events) or the
        // FIS experiments' logs (docs/security.md, still open).
        if days < 365 {
            let why = &r["Metadata"]["guard"]["Reasons"]["CT.CLOUDWATCH.PR.2"];
            assert!(why.is_string() || id.starts_with("Chaos"), "{stack}/{id}: {days} days");
        }
    }
    let (_, _, f) =
        resources(&t, "AWS::Lambda::Function").into_iter().find(|(_, id, _)| id.starts_with("Chat")).unwrap();
    assert!(f["Properties"]["KmsKeyArn"]["Fn::GetAtt"][0].as_str().unwrap().starts_with("ChatLogKey"));
    assert_eq!(f["Metadata"]["guard"]["SuppressedRules"], serde_json::json!(["CT.LAMBDA.PR.3"]));
}

#[test]
fn a_blue_green_services_p99_alarm_reads_the_slower_of_its_groups() {
    let a = synth(&blue_green_monitoring());
    let one = [("bluegreen-Ops".to_owned(), a.template("bluegreen-Ops").unwrap())];
    let (_, _, alarm) = resources(&one, "AWS::CloudWatch::Alarm")
        .into_iter()
        .find(|(_, id, _)| id.contains("LatencyP99"))
        .expect("a p99 alarm");
    let p = &alarm["Properties"];
    assert_eq!(p["Threshold"], 1000.0);
    assert!(p["AlarmDescription"].as_str().unwrap().starts_with("[warning] Web: p99 response time above 1000 ms"));
    let metrics = &p["Metrics"];
    assert_eq!(target_groups(metrics).len(), 2);
    assert!(
        metrics
            .as_array()
            .unwrap()
            .iter()
            .filter(|q| q["MetricStat"].is_object())
            .all(|q| q["MetricStat"]["Stat"] == "p99")
    );
    let returned: Vec<&Json> = metrics.as_array().unwrap().iter().filter(|q| q["ReturnData"] == true).collect();
    assert_eq!(returned[0]["Expression"], "1000 * MAX([FILL(p99g0, 0), FILL(p99g1, 0)])");
}

#[test]
fn the_edge_pages_on_cloudfronts_5xx_rate_and_warns_on_wafs_blocked_share() {
    let app = platform(DrMode::ActiveActive);
    let edge = app.stacks().into_iter().find(|s| s.id() == "Edge").unwrap();
    let zone = HostedZone::existing("Z0EXAMPLE00000000001", "example.com");
    let cdn = EdgeDistribution::new(
        &edge,
        "Cdn2",
        EdgeDistributionProps::new(zone, &["example.com", "www.example.com"], endpoints()),
    );
    cdn.alarms(&edge, "Cdn2Alarms", &["arn:aws:sns:us-east-1:123456789012:alarms".into()], 5.0, 20.0);
    let a = synth(&app);
    let t = a.template("globaltest-Edge").unwrap();
    let one = [("globaltest-Edge".to_owned(), t)];
    let found = resources(&one, "AWS::CloudWatch::Alarm");
    let (_, _, errors) = found.iter().find(|(_, id, _)| id.starts_with("Cdn2AlarmsErrorRate")).unwrap();
    let p = &errors["Properties"];
    assert_eq!(
        (p["Namespace"].clone(), p["MetricName"].clone()),
        (serde_json::json!("AWS/CloudFront"), serde_json::json!("5xxErrorRate"))
    );
    assert!(p["Dimensions"].as_array().unwrap().contains(&serde_json::json!({"Name": "Region", "Value": "Global"})));
    assert!(p["AlarmDescription"].as_str().unwrap().starts_with("[critical]"));
    assert!(p["AlarmDescription"].as_str().unwrap().contains("docs/runbooks/region-down.md"));
    assert_eq!(p["AlarmActions"], serde_json::json!(["arn:aws:sns:us-east-1:123456789012:alarms"]));
    let (_, _, blocked) = found.iter().find(|(_, id, _)| id.starts_with("Cdn2AlarmsBlockedRate")).unwrap();
    let body = blocked["Properties"]["Metrics"].to_string();
    assert!(body.contains("\"WebACL\"") && body.contains("Cdn2WebAcl") && body.contains("BlockedRequests"), "{body}");
    // The probe routes: one behaviour per endpoint's region to its own origin.
    let cdn = &one[0].1["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(id, _)| id.starts_with("Cdn2Distribution"))
        .unwrap()
        .1;
    let behaviours = cdn["Properties"]["DistributionConfig"]["CacheBehaviors"].as_array().unwrap();
    for e in endpoints() {
        let b = behaviours.iter().find(|b| b["PathPattern"] == format!("/_haplat/probe/{}/*", e.region)).unwrap();
        assert_eq!(b["TargetOriginId"], format!("probe-{}", e.region));
    }
}

#[test]
fn no_name_of_the_zone_is_taken_unless_stated() {
    let app = App::new("names");
    let edge = app.stack("Edge", "us-east-1");
    let zone = HostedZone::existing("Z0123456789", "example.com");
    EdgeDistribution::new(&edge, "Cdn", EdgeDistributionProps::new(zone.clone(), &[], endpoints()));
    let mut dns = FailoverDnsProps::new(zone, endpoints());
    dns.distribution_domain = Some("d111111abcdef8.cloudfront.net".into());
    dns.alarm_actions = vec!["arn:aws:sns:us-east-1:123456789012:alarms".into()];
    FailoverDns::new(&edge, "Dns", dns);
    let err = app.synth().unwrap_err().to_string();
    assert!(err.contains("Edge/Cdn: a distribution needs at least one domain name"), "{err}");
    assert!(err.contains("Edge/Dns: distribution_domain is set but aliased_names is empty"), "{err}");
}

#[test]
fn the_platform_dashboard_shows_every_region_and_the_edge_each_graph_in_its_region() {
    use haplat_constructs::monitoring::{PlatformDashboard, PlatformDashboardProps, RegionView};
    let app = App::new("dash");
    let edge = app.stack("Edge", "us-east-1");
    let regions = ["us-east-1", "eu-west-1"];
    let props = PlatformDashboardProps {
        regions: regions
            .iter()
            .map(|r| RegionView { region: (*r).into(), load_balancer: format!("app/api-{r}/0123456789abcdef").into() })
            .collect(),
        availability_objective: 99.95,
        tables: vec!["orders".into()],
        distribution_id: Some("E2EXAMPLE".into()),
    };
    PlatformDashboard::new(&edge, "Platform", props);
    let t = app.synth().unwrap_or_else(|e| panic!("{e}")).template("dash-Edge").unwrap();
    let one = [("dash-Edge".to_owned(), t)];
    let (_, _, d) = resources(&one, "AWS::CloudWatch::Dashboard")[0];
    let sub = &d["Properties"]["DashboardBody"]["Fn::Sub"];
    let body: Json = serde_json::from_str(sub[0].as_str().unwrap()).unwrap();
    let widgets = body["widgets"].as_array().unwrap();
    // The edge, then per region requests, latency, error ratio, replication, healthy targets,
    // burn rate and budget left.
    assert_eq!(widgets.len(), 1 + 2 * 7);
    assert_eq!(widgets[0]["properties"]["region"], "us-east-1");
    for r in regions {
        let mine: Vec<&Json> =
            widgets.iter().filter(|w| w["properties"]["title"].as_str().unwrap().starts_with(r)).collect();
        assert_eq!(mine.len(), 7, "{r}");
        assert!(mine.iter().all(|w| w["properties"]["region"] == r), "{r}");
        let titled = |what: &str| -> &Json {
            let w = mine.iter().find(|w| w["properties"]["title"].as_str().unwrap().contains(what));
            &w.unwrap_or_else(|| panic!("{r}: no {what} widget"))["properties"]
        };
        let metrics = |p: &Json| p["metrics"].as_array().unwrap().clone();
        // Healthy targets: every target group of the region's load balancer, by a search (no
        // parameter per service in the edge stack).
        let healthy = metrics(titled("healthy targets per target group"));
        let search = healthy[0][0]["expression"].as_str().unwrap();
        assert_eq!(
            search,
            format!(
                "SEARCH('{{AWS/ApplicationELB,LoadBalancer,TargetGroup}} MetricName=\"HealthyHostCount\" \
                 LoadBalancer=\"${{Lb{}}}\"', 'Minimum', 60)",
                if r == "us-east-1" { "UsEast1" } else { "EuWest1" }
            )
        );
        // Burn rate: the load balancer's error ratio (its own 5xx included) over each page
        // window, in budgets of 99.95%, marked at the burn rates that page.
        let burn = titled("SLO burn rate");
        let lines = metrics(burn);
        let periods: Vec<i64> = lines
            .iter()
            .filter(|m| m[1] == "RequestCount")
            .map(|m| m.as_array().unwrap().last().unwrap()["period"].as_i64().unwrap())
            .collect();
        assert_eq!(periods, [3600, 21600]);
        assert!(lines.iter().any(|m| m[1] == "HTTPCode_ELB_5XX_Count"));
        let burns: Vec<&str> = lines.iter().filter_map(|m| m[0]["expression"].as_str()).collect();
        assert!(burns.contains(&"ratio0 / 0.0005") && burns.contains(&"ratio1 / 0.0005"), "{burns:?}");
        let marks: Vec<f64> = burn["annotations"]["horizontal"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["value"].as_f64().unwrap())
            .collect();
        assert_eq!(marks, [14.4, 6.0]);
        // The budget left: one value over the 30 days of the budget.
        let left = titled("error budget left over 30 days");
        assert_eq!((left["view"].as_str(), left["start"].as_str()), (Some("singleValue"), Some("-P30D")));
        assert_eq!(left["setPeriodToTimeRange"], true);
        let lines = metrics(left);
        assert!(lines.iter().any(|m| m[0]["expression"] == "100 * (1 - ratio / 0.0005)"));
        assert!(
            lines
                .iter()
                .filter(|m| m[0].is_string())
                .all(|m| m.as_array().unwrap().last().unwrap()["period"] == 2_592_000)
        );
    }
    let text = sub[0].as_str().unwrap();
    assert!(text.contains("HTTPCode_ELB_5XX_Count") && text.contains("\"p99\"") && text.contains("error budget"));
    assert!(text.contains("\"value\":0.0005"), "the budget of 99.95%: {text}");
    assert_eq!(sub[1]["LbEuWest1"], "app/api-eu-west-1/0123456789abcdef");
}

#[test]
fn active_passive_with_two_standbys_fails_over_to_the_nearest_healthy_standby() {
    let app = App::new("standbys");
    let edge = app.stack("Edge", "us-east-1");
    let zone = HostedZone::existing("Z0123456789", "example.com");
    let mut eps = endpoints();
    eps.push(endpoint("eu-central-1", RegionRole::Secondary));
    let mut cdn = EdgeDistributionProps::new(zone.clone(), &["example.com"], eps.clone());
    cdn.mode = DrMode::ActivePassive;
    cdn.read_only_paths = vec!["/catalog/*".into()];
    EdgeDistribution::new(&edge, "Cdn", cdn);
    let mut dns = FailoverDnsProps::new(zone, eps);
    dns.mode = DrMode::ActivePassive;
    dns.alarm_actions = vec!["arn:aws:sns:us-east-1:123456789012:alarms".into()];
    dns.distribution_domain = Some("d111111abcdef8.cloudfront.net".into());
    dns.aliased_names = vec!["example.com".into()];
    FailoverDns::new(&edge, "Dns", dns);
    let a = synth(&app);
    let t = templates(&a);
    let records = resources(&t, "AWS::Route53::RecordSet");
    let props = |path: &str| {
        &records.iter().find(|(_, _, r)| r["Metadata"]["haplat:path"] == path).unwrap_or_else(|| panic!("{path}")).2["Properties"]
    };
    // The primary's failover record, and the standbys' latency set behind one SECONDARY record.
    assert_eq!(props("Edge/Dns/UsEast1/Routed")["Failover"], "PRIMARY");
    for (path, region) in [("Edge/Dns/EuWest1/Routed", "eu-west-1"), ("Edge/Dns/EuCentral1/Routed", "eu-central-1")] {
        assert_eq!(props(path)["Name"], "standby.origin.example.com.");
        assert_eq!(props(path)["Region"], region);
        assert!(props(path)["HealthCheckId"].is_object(), "{path} follows its health check");
    }
    let standbys = props("Edge/Dns/Standbys");
    assert_eq!(standbys["Failover"], "SECONDARY");
    assert_eq!(standbys["Name"], "origin.example.com.");
    assert_eq!(standbys["AliasTarget"]["DNSName"], "standby.origin.example.com.");
    assert_eq!(standbys["AliasTarget"]["EvaluateTargetHealth"], true);
    // The origin group holds two origins: the primary, and the standbys' latency set (the nearest
    // healthy standby), so a read fails over to either standby.
    let d = &resources(&t, "AWS::CloudFront::Distribution")[0].2["Properties"]["DistributionConfig"];
    let members = &d["OriginGroups"]["Items"][0]["Members"]["Items"];
    assert_eq!(members[0]["OriginId"], "primary-us-east-1");
    assert_eq!(members[1]["OriginId"], "standbys");
    let origin = d["Origins"].as_array().unwrap().iter().find(|o| o["Id"] == "standbys").unwrap();
    assert_eq!(origin["DomainName"], "standby.origin.example.com");
    assert!(d["Origins"].as_array().unwrap().iter().all(|o| o["Id"] != "secondary-eu-west-1"));
}

/// The API's certificate covers the standbys' latency set's name, which the edge's origin group
/// requests, only when active-passive has several standbys.
#[test]
fn the_apis_certificate_names_the_standby_set_with_several_standbys() {
    use haplat_constructs::service::ServiceProps;
    let names = |regions: Vec<RegionSpec>, mode: DrMode| {
        let app = App::new("standbys");
        let mut p = ApiProps::new(
            regions,
            "origin.example.com",
            ApiCertificate::DnsValidated { zone: HostedZone::existing("Z0123456789", "example.com") },
        );
        p.mode = mode;
        p.services = vec![ServiceProps::new("Web", "public.ecr.aws/nginx/nginx:1.27", 8080)];
        MultiRegionApi::new_stack_set(&app, "Api", p);
        let t = app.synth().unwrap_or_else(|e| panic!("{e}")).template("standbys-Api").unwrap();
        let certs = t["Resources"]
            .as_object()
            .unwrap()
            .values()
            .filter(|r| r["Type"] == "AWS::CertificateManager::Certificate");
        certs.map(|c| c["Properties"]["SubjectAlternativeNames"].clone()).next().unwrap()
    };
    let three = vec![
        RegionSpec::primary("us-east-1"),
        RegionSpec::secondary("eu-west-1"),
        RegionSpec::secondary("eu-central-1"),
    ];
    let sans = names(three.clone(), DrMode::ActivePassive);
    assert!(sans.as_array().unwrap().iter().any(|n| n == "standby.origin.example.com"), "{sans}");
    for (regions, mode) in [
        (three, DrMode::ActiveActive),
        (vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("eu-west-1")], DrMode::ActivePassive),
    ] {
        let sans = names(regions, mode);
        assert!(sans.as_array().unwrap().iter().all(|n| n != "standby.origin.example.com"), "{sans}");
    }
}

#[test]
fn the_websocket_api_pages_on_integration_errors_and_warns_on_refusals_latency_and_throttles() {
    let app = App::new("ws");
    let api = app.stack_set("Realtime", &["us-east-1", "eu-west-1"]);
    let ws = WebSocketApi::new(&api, "Chat", WebSocketApiProps::new(LambdaCode::inline_echo()));
    let alarms = ws.alarms(&api, "ChatAlarms", &["arn:aws:sns:us-east-1:123456789012:alarms".into()]);
    assert_eq!(alarms.len(), 4);
    let t = app.synth().unwrap_or_else(|e| panic!("{e}")).template("ws-Realtime").unwrap();
    let one = [("ws-Realtime".to_owned(), t)];
    let found = resources(&one, "AWS::CloudWatch::Alarm");
    let by = |id: &str| found.iter().find(|(_, i, _)| i.starts_with(id)).map(|(_, _, a)| &a["Properties"]).unwrap();
    let errors = by("ChatAlarmsErrors");
    let d = errors["AlarmDescription"].as_str().unwrap();
    assert!(d.starts_with("[critical]") && d.contains("runbook:"), "{d}");
    let body = errors["Metrics"].to_string();
    assert!(
        body.contains("IntegrationError") && body.contains("ExecutionError") && body.contains("\"ApiId\""),
        "{body}"
    );
    assert!(by("ChatAlarmsClientErrors")["AlarmDescription"].as_str().unwrap().starts_with("[warning]"));
    assert!(by("ChatAlarmsLatency")["Metrics"].to_string().contains("IntegrationLatency"));
    assert!(by("ChatAlarmsThrottles")["Metrics"].to_string().contains("AWS/Lambda"));
}

/// Route 53 ARC in a stack of `region`, gating FailoverDns's records in us-east-1.
fn arc_edge(mode: DrMode, region: &str) -> App {
    let app = App::new("arctest");
    let edge = app.stack("Edge", "us-east-1");
    let home = if region == "us-east-1" { edge.clone() } else { app.stack("Arc", region) };
    let arc = RecoveryControl::new(&home, "Arc", RecoveryControlProps::new("arctest", &REGIONS));
    let mut dp = FailoverDnsProps::new(HostedZone::new(&edge, "Zone", "example.com"), endpoints());
    dp.mode = mode;
    dp.alarm_actions = vec!["arn:aws:sns:us-east-1:123456789012:alarms".into()];
    if region == "us-east-1" {
        dp.routing_controls = arc.controls;
    }
    FailoverDns::new(&edge, "Dns", dp);
    app
}

#[test]
fn routing_controls_gate_each_regions_record_and_the_regions_check_still_counts() {
    for mode in [DrMode::ActiveActive, DrMode::ActivePassive] {
        let a = synth(&arc_edge(mode, "us-east-1"));
        let t = a.template("arctest-Edge").unwrap();
        let r = &t["Resources"];
        let by_path = |path: &str| {
            r.as_object()
                .unwrap()
                .iter()
                .find(|(_, v)| v["Metadata"]["haplat:path"] == path)
                .map(|(k, v)| (k.clone(), v))
        };
        for region in REGIONS {
            let rid = haplat_constructs::naming::pascal(region);
            let (control_id, _) = by_path(&format!("Edge/Arc/{rid}Control")).expect("a routing control per region");
            let (check_id, check) = by_path(&format!("Edge/Dns/{rid}/ControlCheck")).expect("a RECOVERY_CONTROL check");
            assert_eq!(check["Properties"]["HealthCheckConfig"]["Type"], "RECOVERY_CONTROL");
            assert_eq!(check["Properties"]["HealthCheckConfig"]["RoutingControlArn"]["Fn::GetAtt"][0], control_id);
            let (checked_id, checked) =
                by_path(&format!("Edge/Dns/{rid}/Checked")).expect("the record on the region's check");
            let (own_id, _) = by_path(&format!("Edge/Dns/{rid}/HealthCheck")).expect("the region's own check");
            assert_eq!(checked["Properties"]["HealthCheckId"]["Ref"], own_id);
            assert_eq!(checked["Properties"]["Weight"], 1);
            assert_eq!(checked["Properties"]["Name"], format!("{region}.checked.origin.example.com."));
            let (_, routed) = by_path(&format!("Edge/Dns/{rid}/Routed")).unwrap();
            assert_eq!(routed["Properties"]["HealthCheckId"]["Ref"], check_id);
            assert_eq!(routed["Properties"]["AliasTarget"]["DNSName"], format!("{region}.checked.origin.example.com."));
            assert_eq!(routed["Properties"]["AliasTarget"]["EvaluateTargetHealth"], true);
            assert_eq!(routed["DependsOn"][0], checked_id);
        }
        let (_, rule) = by_path("Edge/Arc/AtLeastOneRegion").unwrap();
        assert_eq!(rule["Properties"]["RuleConfig"]["Type"], "ATLEAST");
        assert_eq!(rule["Properties"]["RuleConfig"]["Threshold"], 1);
        assert_eq!(rule["Properties"]["RuleConfig"]["Inverted"], false);
        let report = haplat_check::check(&haplat_check::Assembly::from_synth(&a).unwrap());
        let errors: Vec<_> = report.active(haplat_check::Severity::Error).collect();
        assert!(errors.is_empty(), "{errors:?}");
    }
}

#[test]
fn recovery_control_misuse_names_the_construct() {
    // eu-west-1: CloudFormation has no ARC types there.
    let e = arc_edge(DrMode::ActiveActive, "eu-west-1").synth().unwrap_err().to_string();
    assert!(e.contains("Arc/Arc") && e.contains("only in us-east-1 and us-west-2"), "{e}");
    // A control for one region of two.
    let app = App::new("arcpartial");
    let edge = app.stack("Edge", "us-east-1");
    let arc = RecoveryControl::new(&edge, "Arc", RecoveryControlProps::new("p", &["us-east-1", "ap-south-1"]));
    let mut dp = FailoverDnsProps::new(HostedZone::new(&edge, "Zone", "example.com"), endpoints());
    dp.alarm_actions = vec!["arn:aws:sns:us-east-1:123456789012:alarms".into()];
    dp.routing_controls = arc.controls;
    FailoverDns::new(&edge, "Dns", dp);
    let e = app.synth().unwrap_err().to_string();
    assert!(e.contains("routing control given for ap-south-1, which has no endpoint"), "{e}");
    assert!(e.contains("not eu-west-1"), "{e}");
    // One region: nowhere to go.
    let app = App::new("arcone");
    let edge = app.stack("Edge", "us-east-1");
    RecoveryControl::new(&edge, "Arc", RecoveryControlProps::new("p", &["us-east-1"]));
    let e = app.synth().unwrap_err().to_string();
    assert!(e.contains("Arc") && e.contains("over 1 region(s)"), "{e}");
}
