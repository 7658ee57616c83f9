//! The objectives an app declares against what its templates allow (HAP025–HAP027,
//! `haplat_check::availability`), on small assemblies and on the reference platform's prod.

use haplat_check::availability::{availability, summary};
use haplat_check::{Assembly, check};
use haplat_core::manifest::Objectives;
use haplat_tests::{build, synth};
use serde_json::{Value as Json, json};

use crate::support::*;

fn with_objectives(stacks: Vec<S>, objectives: Objectives) -> Assembly {
    let mut m = manifest(&stacks);
    m.objectives = Some(objectives);
    let templates = stacks
        .iter()
        .map(|s| (format!("{}.template.json", s.name), serde_json::to_string_pretty(&s.template).unwrap()))
        .collect();
    Assembly::from_parts(&serde_json::to_string(&m).unwrap(), templates).unwrap()
}

fn failover(seconds: u32) -> Objectives {
    Objectives { app_failover_seconds: Some(seconds), ..Default::default() }
}

/// A region whose record follows an alarm on a target group's healthy hosts (30 s × 3 + 5 s
/// target health, 2 × 60 s alarm), with `probe` as a second child of a calculated check.
fn region(probe: bool) -> Json {
    let mut r = json!({
        "Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {}},
        "Group": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Metadata": {"haplat:path": "Api/Group"},
            "Properties": {"HealthCheckIntervalSeconds": 30, "UnhealthyThresholdCount": 3, "HealthCheckTimeoutSeconds": 5}},
        "NoTargets": {"Type": "AWS::CloudWatch::Alarm", "Metadata": {"haplat:path": "Api/NoTargets"}, "Properties": {
            "MetricName": "HealthyHostCount", "Namespace": "AWS/ApplicationELB", "Period": 60, "EvaluationPeriods": 2,
            "Statistic": "Minimum", "Threshold": 1, "ComparisonOperator": "LessThanThreshold",
            "Dimensions": [{"Name": "TargetGroup", "Value": {"Fn::GetAtt": ["Group", "TargetGroupFullName"]}}]}},
        "AlarmCheck": {"Type": "AWS::Route53::HealthCheck", "Metadata": {"haplat:path": "Api/AlarmCheck"}, "Properties": {
            "HealthCheckConfig": {"Type": "CLOUDWATCH_METRIC",
                "AlarmIdentifier": {"Name": {"Ref": "NoTargets"}, "Region": "us-east-1"}}}},
        "Record": {"Type": "AWS::Route53::RecordSet", "Metadata": {"haplat:path": "Edge/Routed"}, "Properties": {
            "Name": "origin.example.com.", "Type": "A", "Region": "us-east-1", "SetIdentifier": "us-east-1",
            "HealthCheckId": {"Ref": "AlarmCheck"},
            "AliasTarget": {"DNSName": {"Fn::GetAtt": ["Alb", "DNSName"]}, "HostedZoneId": "Z1", "EvaluateTargetHealth": true}}},
    });
    if probe {
        r["Probe"] = json!({"Type": "AWS::Route53::HealthCheck", "Metadata": {"haplat:path": "Api/Probe"}, "Properties": {
            "HealthCheckConfig": {"Type": "HTTPS", "FullyQualifiedDomainName": "example.com", "RequestInterval": 10,
                "FailureThreshold": 2, "ResourcePath": "/_haplat/probe/us-east-1/health"}}});
        r["Region"] = json!({"Type": "AWS::Route53::HealthCheck", "Metadata": {"haplat:path": "Api/Region"}, "Properties": {
            "HealthCheckConfig": {"Type": "CALCULATED", "HealthThreshold": 2,
                "ChildHealthChecks": [{"Ref": "AlarmCheck"}, {"Ref": "Probe"}]}}});
        r["Record"]["Properties"]["HealthCheckId"] = json!({"Ref": "Region"});
    }
    resources(r)
}

#[test]
fn the_failover_chain_is_computed_link_by_link_from_the_settings() {
    let a = with_objectives(vec![stack("Api", &["us-east-1"], region(false))], failover(120));
    let figures = availability(&a);
    let chain = figures.worst_failover().expect("a chain");
    let seconds: Vec<f64> = chain.links.iter().map(|l| l.seconds).collect();
    // Target health 30 × 3 + 5, the alarm's 2 periods, the metric's delay, the alias TTL.
    assert_eq!(seconds, vec![95.0, 120.0, 60.0, 60.0]);
    assert_eq!(chain.label, "origin.example.com (us-east-1)");
    assert!(summary(&a)[0].contains("objective 120 s, at worst 335 s"), "{:?}", summary(&a));
}

/// A distribution in front of `origin.example.com`, with its connection settings when given.
fn edge(connection: Option<(u32, u32)>) -> Json {
    let mut origin = json!({"Id": "routed", "DomainName": "origin.example.com",
        "CustomOriginConfig": {"OriginProtocolPolicy": "https-only"}});
    if let Some((attempts, timeout)) = connection {
        origin["ConnectionAttempts"] = json!(attempts);
        origin["ConnectionTimeout"] = json!(timeout);
    }
    resources(json!({"Cdn": {"Type": "AWS::CloudFront::Distribution", "Metadata": {"haplat:path": "Edge/Cdn"},
        "Properties": {"DistributionConfig": {"Enabled": true, "Origins": [origin]}}}}))
}

#[test]
fn a_cloudfront_origin_at_the_routed_name_adds_its_connection_attempts_to_the_chain() {
    let chain_with = |connection| {
        let a = with_objectives(
            vec![stack("Api", &["us-east-1"], region(false)), stack("Edge", &["us-east-1"], edge(connection))],
            failover(120),
        );
        availability(&a).worst_failover().cloned().expect("a chain")
    };
    // CloudFront's defaults: 3 attempts of 10 s, after the alias's TTL.
    let chain = chain_with(None);
    let last = chain.links.last().unwrap();
    assert_eq!((last.seconds, last.path.as_str()), (30.0, "Edge/Cdn"), "{chain:?}");
    assert!(last.what.contains("3 connection attempts of 10 s"), "{}", last.what);
    assert_eq!(chain.seconds(), 365.0);
    // Its own settings are read.
    let chain = chain_with(Some((2, 4)));
    assert_eq!(chain.links.last().unwrap().seconds, 8.0);
    // A distribution with no origin at the routed name adds nothing.
    let other = edge(None).to_string().replace("origin.example.com", "elsewhere.example.com");
    let a = with_objectives(
        vec![
            stack("Api", &["us-east-1"], region(false)),
            stack("Edge", &["us-east-1"], serde_json::from_str(&other).unwrap()),
        ],
        failover(120),
    );
    assert_eq!(availability(&a).worst_failover().unwrap().seconds(), 335.0);
}

#[test]
fn one_part_of_a_region_failing_alone_is_timed_beside_the_region_failing() {
    // The probe takes the whole region out in 26 s; the service's alarm, failing alone while the
    // probe passes, in 95 + 120 + 60 s: both then wait the alias's 60 s.
    let a = with_objectives(vec![stack("Api", &["us-east-1"], region(true))], failover(120));
    let chain = availability(&a).worst_failover().cloned().unwrap();
    assert_eq!(chain.seconds(), 86.0);
    let part: f64 = chain.part.as_ref().expect("a part failing alone").iter().map(|l| l.seconds).sum();
    assert_eq!(part, 335.0);
    assert_eq!(chain.part.as_ref().unwrap()[0].path, "Api/Group");
    let lines = summary(&a);
    assert!(
        lines.contains(
            &"  one part of origin.example.com (us-east-1) failing alone, its other checks passing: at worst 335 s \
              (slowest part: Api/Group): NOT MET (HAP058, a warning)"
                .to_owned()
        ),
        "{lines:?}"
    );
    // A region failing is within the objective (HAP025); the part is not, a warning that names it.
    let findings = check(&a);
    assert!(of(&findings, "HAP025").is_empty());
    let hap058 = of(&findings, "HAP058");
    assert_eq!(hap058.len(), 1, "{findings:?}");
    assert!(hap058[0].message.contains("one part of the region failing alone (Api/Group)"), "{}", hap058[0].message);
    assert!(hap058[0].message.contains("up to 335 s, over the objective of 120 s"), "{}", hap058[0].message);
    // Accepted with a reason (HAP058 suppressed on the record): said so, not hidden.
    let mut accepted = region(true);
    accepted["Resources"]["Record"]["Metadata"]["haplat:suppress"] =
        json!([{"id": "HAP058", "reason": "the part is watched by its alarm only"}]);
    let a = with_objectives(vec![stack("Api", &["us-east-1"], accepted)], failover(120));
    assert!(
        summary(&a).iter().any(|l| l
            .ends_with("(slowest part: Api/Group): over the objective, accepted (HAP058 suppressed with its reason)")),
        "{:?}",
        summary(&a)
    );
    // The probe and the alarm watching the same part (haplat:part): the part fails when its
    // fastest child sees it, as the region does.
    let mut same = region(true);
    for child in ["AlarmCheck", "Probe"] {
        same["Resources"][child]["Metadata"]["haplat:part"] = json!("orders");
    }
    let a = with_objectives(vec![stack("Api", &["us-east-1"], same)], failover(120));
    let chain = availability(&a).worst_failover().cloned().unwrap();
    let part: f64 = chain.part.as_ref().unwrap().iter().map(|l| l.seconds).sum();
    assert_eq!((part, chain.part.as_ref().unwrap()[0].path.as_str()), (86.0, "Api/Probe"));
    assert!(of(&check(&a), "HAP058").is_empty());
    // Two parts: the slower one's fastest child.
    let mut two = region(true);
    two["Resources"]["AlarmCheck"]["Metadata"]["haplat:part"] = json!("catalog");
    two["Resources"]["Probe"]["Metadata"]["haplat:part"] = json!("orders");
    let a = with_objectives(vec![stack("Api", &["us-east-1"], two)], failover(120));
    let part: f64 = availability(&a).worst_failover().unwrap().part.as_ref().unwrap().iter().map(|l| l.seconds).sum();
    assert_eq!(part, 335.0);
    // A check that tolerates one failed child: a part failing alone never takes the region out.
    let mut tolerant = region(true);
    tolerant["Resources"]["Region"]["Properties"]["HealthCheckConfig"]["HealthThreshold"] = json!(1);
    let a = with_objectives(vec![stack("Api", &["us-east-1"], tolerant)], failover(120));
    assert!(availability(&a).worst_failover().unwrap().part.is_none());
}

/// `region(true)` over two regions with an ECS service behind `Group` that scales between `min`
/// and `max` tasks on these target tracking policies (`(predefined metric, target)`).
fn scaling(min: u32, max: u32, policies: &[(&str, f64)]) -> Json {
    let mut r = region(true);
    let res = r["Resources"].as_object_mut().unwrap();
    res.insert("Service".into(), json!({"Type": "AWS::ECS::Service", "Metadata": {"haplat:path": "Api/orders/Service"},
        "Properties": {"LoadBalancers": [{"TargetGroupArn": {"Ref": "Group"}, "ContainerName": "app", "ContainerPort": 8080}]}}));
    res.insert("Target".into(), json!({"Type": "AWS::ApplicationAutoScaling::ScalableTarget",
        "Metadata": {"haplat:path": "Api/orders/Scaling/Target"}, "Properties": {
        "MinCapacity": min, "MaxCapacity": max, "ScalableDimension": "ecs:service:DesiredCount", "ServiceNamespace": "ecs",
        "ResourceId": {"Fn::Sub": ["service/${Cluster}/${Service}", {"Cluster": "c", "Service": {"Fn::GetAtt": ["Service", "Name"]}}]}}}));
    for (i, (metric, target)) in policies.iter().enumerate() {
        res.insert(
            format!("Policy{i}"),
            json!({"Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
            "Metadata": {"haplat:path": format!("Api/orders/Scaling/Policy{i}")}, "Properties": {
            "PolicyType": "TargetTrackingScaling", "ScalingTargetId": {"Ref": "Target"},
            "TargetTrackingScalingPolicyConfiguration": {"TargetValue": target, "ScaleOutCooldown": 60,
                "PredefinedMetricSpecification": {"PredefinedMetricType": metric}}}}),
        );
    }
    r
}

fn recovery_of(template: Json, objective: u32) -> (Assembly, haplat_check::availability::Recovery) {
    let objectives = Objectives { region_recovery_seconds: Some(objective), ..failover(120) };
    let a = with_objectives(vec![stack("Api", &["us-east-1", "us-west-2"], template)], objectives);
    let r = availability(&a).recovery.expect("a service scales");
    (a, r)
}

#[test]
fn a_regions_recovery_is_the_failover_then_the_slowest_scale_out_of_the_others() {
    // On requests per target: one scale-out carries the load. The chain (86 s), the scale-out
    // alarm (180 s), the metric's delay (60 s), a task's start (120 s), target health (2 × 30 s
    // by the ALB's defaults: 5 checks 30 s apart).
    let (a, r) = recovery_of(scaling(2, 10, &[("ALBRequestCountPerTarget", 1000.0)]), 900);
    assert_eq!(r.unknown, None);
    let scale: Vec<f64> = r.links.iter().skip(2).map(|l| l.seconds).collect();
    assert_eq!(scale, vec![180.0, 60.0, 120.0, 150.0]);
    assert_eq!(r.seconds(), 86.0 + 510.0);
    assert_eq!((r.service.as_str(), r.failed.as_str(), r.survivor.as_str()), ("Api/orders", "us-east-1", "us-west-2"));
    assert!(of(&check(&a), "HAP059").is_empty());
    let lines = summary(&a);
    assert!(
        lines.contains(
            &"region recovery: objective 900 s, at worst 596 s (Api/orders carries us-east-1's load in us-west-2): met"
                .to_owned()
        ),
        "{lines:?}"
    );

    // On utilization only, at most 100 / 80 = 1.25 times the count per scale-out: from 2 to 4
    // tasks takes 4, the 3 more each after the 60-s cooldown.
    let (a, r) = recovery_of(scaling(2, 10, &[("ECSServiceAverageCPUUtilization", 80.0)]), 600);
    let more = r.links.iter().find(|l| l.what.contains("more scale-out")).expect("more scale-outs");
    assert_eq!(more.seconds, 180.0, "{}", more.what);
    assert!(more.what.contains("3 more scale-out(s)") && more.what.contains("from 2 to 4 tasks"), "{}", more.what);
    assert_eq!(r.seconds(), 776.0);
    let found = of(&check(&a), "HAP059");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].path, "objectives.regionRecoverySeconds");
    assert!(found[0].message.contains("when us-east-1 fails, Api/orders in us-west-2 carries its load after up to 776 s, over the objective of 600 s"), "{}", found[0].message);

    // Cannot recover, or cannot be timed: unproven, and said why.
    for (template, why) in [
        (
            scaling(2, 3, &[("ALBRequestCountPerTarget", 1000.0)]),
            "runs at most 3 tasks (MaxCapacity), fewer than the 4 it needs",
        ),
        (scaling(0, 10, &[("ALBRequestCountPerTarget", 1000.0)]), "runs no task at rest in us-west-2"),
        (scaling(2, 10, &[]), "has no target tracking policy"),
    ] {
        let (a, r) = recovery_of(template, 900);
        assert!(r.unknown.as_deref().is_some_and(|u| u.contains(why)), "{:?}", r.unknown);
        let found = of(&check(&a), "HAP059");
        assert_eq!(found.len(), 1, "{why}");
        assert!(
            found[0].message.starts_with("cannot prove a region's recovery within 900 s: "),
            "{}",
            found[0].message
        );
    }
}

#[test]
fn hap025_a_failover_slower_than_the_objective_names_its_slowest_links() {
    let found =
        of(&check(&with_objectives(vec![stack("Api", &["us-east-1"], region(false))], failover(120))), "HAP025");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "Edge/Routed");
    let m = &found[0].message;
    assert!(m.contains("up to 335 s, over the objective of 120 s"), "{m}");
    assert!(m.contains("120 s alarm: 2 breaching period(s) of 60 s (Api/NoTargets)"), "{m}");
    assert!(m.contains("95 s target health") && m.contains("(Api/Group)"), "{m}");
    // A looser objective is met; none declared, nothing to check.
    assert!(
        of(&check(&with_objectives(vec![stack("Api", &["us-east-1"], region(false))], failover(400))), "HAP025")
            .is_empty()
    );
    assert!(of(&run(vec![stack("Api", &["us-east-1"], region(false))]), "HAP025").is_empty());
}

#[test]
fn hap025_a_probe_beside_the_alarms_takes_the_region_out_first() {
    let a = with_objectives(vec![stack("Api", &["us-east-1"], region(true))], failover(120));
    // The probe (10 s × 2 + 6 s) decides once either child fails: 26 + 60 s.
    assert_eq!(availability(&a).worst_failover().unwrap().seconds(), 86.0);
    assert!(of(&check(&a), "HAP025").is_empty());
}

/// A canary's alarm as the record's health: the schedule and the run's timeout, then the
/// alarm's periods and the metric's delay; a cron schedule cannot be timed.
#[test]
fn hap025_a_canary_alarm_is_timed_by_its_schedule_and_run_timeout() {
    let mut t = region(false);
    t["Resources"]["Canary"] = json!({"Type": "AWS::Synthetics::Canary", "Metadata": {"haplat:path": "Api/Canaries/Origin"},
        "Properties": {"Name": "origin-1a2b3c4d", "Schedule": {"Expression": "rate(2 minutes)"},
            "RunConfig": {"TimeoutInSeconds": 30}}});
    let alarm = &mut t["Resources"]["NoTargets"]["Properties"];
    alarm["Namespace"] = json!("CloudWatchSynthetics");
    alarm["MetricName"] = json!("SuccessPercent");
    alarm["Threshold"] = json!(100);
    alarm["Dimensions"] = json!([{"Name": "CanaryName", "Value": {"Ref": "Canary"}}]);
    let a = with_objectives(vec![stack("Api", &["us-east-1"], t.clone())], failover(400));
    let chain = availability(&a).worst_failover().cloned().expect("a chain");
    let seconds: Vec<f64> = chain.links.iter().map(|l| l.seconds).collect();
    // The next run 120 s on, failing at the latest after 30 s; 2 periods; the delay; the TTL.
    assert_eq!(seconds, vec![150.0, 120.0, 60.0, 60.0]);
    assert_eq!(chain.links[0].path, "Api/Canaries/Origin");
    assert!(of(&check(&a), "HAP025").is_empty());
    // Without a run timeout, a run may last the schedule's interval.
    let mut untimed = t.clone();
    untimed["Resources"]["Canary"]["Properties"].as_object_mut().unwrap().remove("RunConfig");
    let a = with_objectives(vec![stack("Api", &["us-east-1"], untimed)], failover(400));
    assert_eq!(availability(&a).worst_failover().unwrap().links[0].seconds, 240.0);
    t["Resources"]["Canary"]["Properties"]["Schedule"]["Expression"] = json!("cron(0/5 * * * ? *)");
    let found = of(&check(&with_objectives(vec![stack("Api", &["us-east-1"], t)], failover(400))), "HAP025");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("which haplat cannot time"), "{}", found[0].message);
}

#[test]
fn hap025_a_check_haplat_cannot_time_is_reported_not_guessed() {
    let mut t = region(false);
    t["Resources"]["NoTargets"]["Properties"]["MetricName"] = json!("CPUUtilization");
    let found = of(&check(&with_objectives(vec![stack("Api", &["us-east-1"], t)], failover(120))), "HAP025");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.starts_with("cannot prove app failover ≤ 120 s"), "{}", found[0].message);
}

fn table(consistency: Option<&str>, alarm: Option<(&str, f64, bool)>) -> Json {
    let mut r = json!({
        "Table": {"Type": "AWS::DynamoDB::GlobalTable", "Metadata": {"haplat:path": "Global/Orders"}, "Properties": {
            "TableName": "orders", "Replicas": [{"Region": "us-east-1"}, {"Region": "eu-west-1"}]}},
    });
    if let Some(c) = consistency {
        r["Table"]["Properties"]["MultiRegionConsistency"] = json!(c);
    }
    if let Some((statistic, threshold, actions)) = alarm {
        r["Lag"] = json!({"Type": "AWS::CloudWatch::Alarm", "Metadata": {"haplat:path": "Api/Lag"}, "Properties": {
            "MetricName": "ReplicationLatency", "Namespace": "AWS/DynamoDB", "Statistic": statistic, "Threshold": threshold,
            "Period": 60, "EvaluationPeriods": 5, "ComparisonOperator": "GreaterThanThreshold",
            "Dimensions": [{"Name": "TableName", "Value": {"Ref": "Table"}}, {"Name": "ReceivingRegion", "Value": "eu-west-1"}]}});
        if actions {
            r["Lag"]["Properties"]["AlarmActions"] = json!(["arn:aws:sns:us-east-1:111122223333:oncall"]);
        }
    }
    resources(r)
}

#[test]
fn hap026_replication_lag_must_be_paged_at_the_data_loss_objective() {
    let rpo = Objectives { data_loss_ms: Some(1000), ..Default::default() };
    let found = |t: Json| of(&check(&with_objectives(vec![stack("Global", &["us-east-1"], t)], rpo.clone())), "HAP026");
    let m = |t: Json| found(t).into_iter().map(|f| f.message).collect::<Vec<_>>();
    assert!(m(table(None, None))[0].contains("no alarm watches its replication lag"));
    assert!(
        m(table(None, Some(("Maximum", 60000.0, true))))[0]
            .contains("fires above 60000 ms, over the data-loss objective of 1000 ms")
    );
    assert!(m(table(None, Some(("Average", 1000.0, true))))[0].contains("the Average statistic"));
    assert!(m(table(None, Some(("Maximum", 1000.0, false))))[0].contains("notifies no one"));
    assert!(found(table(None, Some(("Maximum", 1000.0, true)))).is_empty());
    assert!(found(table(None, Some(("p99", 500.0, true)))).is_empty());
    // Strong consistency replicates synchronously: nothing to lose.
    assert!(found(table(Some("STRONG"), None)).is_empty());
}

#[test]
fn hap027_a_probe_needs_the_edges_route_to_its_region() {
    let probe = json!({"Type": "AWS::Route53::HealthCheck", "Metadata": {"haplat:path": "Api/RegionHealth/Probe"},
        "Properties": {"HealthCheckConfig": {"Type": "HTTPS", "FullyQualifiedDomainName": "example.com",
            "ResourcePath": {"Fn::Sub": "/_haplat/probe/${AWS::Region}/health"}}}});
    let edge = |regions: &[&str]| {
        let behaviors: Vec<Json> = regions
            .iter()
            .map(|r| json!({"PathPattern": format!("/_haplat/probe/{r}/*"), "TargetOriginId": r}))
            .collect();
        resources(json!({"Cdn": {"Type": "AWS::CloudFront::Distribution", "Metadata": {"haplat:path": "Edge/Cdn"},
            "Properties": {"DistributionConfig": {"Aliases": ["example.com"], "CacheBehaviors": behaviors}}}}))
    };
    let stacks = |routed: &[&str]| {
        vec![
            stack("Api", &["us-east-1", "eu-west-1"], resources(json!({"Probe": probe.clone()}))),
            stack("Edge", &["us-east-1"], edge(routed)),
        ]
    };
    let found = of(&run(stacks(&["us-east-1"])), "HAP027");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].regions, vec!["eu-west-1".to_string()]);
    assert!(found[0].message.contains("no behaviour for /_haplat/probe/eu-west-1/*"), "{}", found[0].message);
    assert!(of(&run(stacks(&["us-east-1", "eu-west-1"])), "HAP027").is_empty());
}

#[test]
fn the_reference_platforms_prod_meets_its_objectives_and_a_tighter_one_names_the_slowest_links() {
    let exes = build(&["reference-platform"]);
    let dir = tempfile::tempdir().unwrap();
    synth(&exes["reference-platform"], "prod", dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let a = Assembly::load(dir.path()).unwrap();
    assert_eq!(
        a.manifest.objectives,
        Some(Objectives {
            app_failover_seconds: Some(120),
            data_loss_ms: Some(1000),
            db_failover_seconds: Some(60),
            region_recovery_seconds: Some(900),
            availability_percent: Some(99.95),
            latency_p99_ms: Some(300),
        })
    );
    let recovery = availability(&a).recovery.expect("prod's services scale");
    assert!(recovery.unknown.is_none() && recovery.seconds() <= 900.0, "{recovery:?}");
    let worst = availability(&a).worst_failover().cloned().expect("prod fails over on health checks");
    assert!(worst.seconds() <= 120.0, "{worst:?}");
    assert!(of(&check(&a), "HAP025").is_empty() && of(&check(&a), "HAP026").is_empty());
    assert!(of(&check(&a), "HAP059").is_empty());

    // Lower the objective below what the settings allow.
    let manifest_path = dir.path().join("manifest.json");
    let mut manifest: Json = serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    manifest["objectives"]["appFailoverSeconds"] = json!(60);
    std::fs::write(&manifest_path, serde_json::to_string(&manifest).unwrap()).unwrap();
    let all = of(&check(&Assembly::load(dir.path()).unwrap()), "HAP025");
    // The real-time name ws.<domain> (docs/realtime.md) follows a TCP check of each region's
    // WebSocket endpoint: 10 s × 2 + 10 s, and the alias's 60 s.
    let (found, ws): (Vec<_>, Vec<_>) = all.into_iter().partition(|f| f.path.starts_with("Edge/Dns/"));
    assert_eq!(ws.len(), 3, "one per region: {ws:?}");
    for f in &ws {
        assert!(f.path.starts_with("Edge/RealtimeDns/"), "{}", f.path);
        assert!(f.message.contains("up to 90 s") && f.message.contains("Route 53 TCP check"), "{}", f.message);
    }
    assert_eq!(found.len(), 3, "one per region: {found:?}");
    for f in &found {
        assert!(f.message.contains("over the objective of 60 s"), "{}", f.message);
        assert!(
            f.message.contains("Route 53 HTTPS check") && f.message.contains("(Api/RegionHealth/Probe)"),
            "{}",
            f.message
        );
        assert!(f.message.contains("DNS: alias to a load balancer, TTL 60 s"), "{}", f.message);
        // The distribution's origin at the routed name: 3 attempts of 5 s.
        assert!(f.message.contains("15 s CloudFront: a request sent on the old answer"), "{}", f.message);
    }
}

#[test]
fn hap026_an_aurora_global_databases_lag_is_watched_too() {
    let rpo = Objectives { data_loss_ms: Some(1000), ..Default::default() };
    let db = |threshold: Option<f64>| {
        let mut r = json!({"Global": {"Type": "AWS::RDS::GlobalCluster", "Metadata": {"haplat:path": "Api/Db/GlobalCluster"},
            "Properties": {"Engine": "aurora-postgresql"}}});
        if let Some(t) = threshold {
            r["Lag"] = json!({"Type": "AWS::CloudWatch::Alarm", "Metadata": {"haplat:path": "Api/Monitoring/DbDatabase/ReplicationLag"},
                "Properties": {"MetricName": "AuroraGlobalDBReplicationLag", "Namespace": "AWS/RDS", "Statistic": "Maximum",
                    "Threshold": t, "Period": 60, "EvaluationPeriods": 5, "ComparisonOperator": "GreaterThanThreshold",
                    "AlarmActions": ["arn:aws:sns:us-east-1:111122223333:oncall"],
                    "Dimensions": [{"Name": "DBClusterIdentifier", "Value": "db"}]}});
        }
        resources(r)
    };
    let found = |t: Json| {
        of(&check(&with_objectives(vec![stack("Api", &["us-east-1", "eu-west-1"], t)], rpo.clone())), "HAP026")
    };
    assert_eq!(found(db(None)).len(), 1);
    assert!(found(db(Some(60000.0)))[0].message.contains("fires above 60000 ms"));
    assert!(found(db(Some(1000.0))).is_empty());
}

#[test]
fn a_record_gated_by_a_routing_control_is_timed_through_the_record_it_aliases() {
    // The routed record follows a RECOVERY_CONTROL check and aliases, evaluating its health, a
    // weighted record on the region's check: the chain is that record's, counted once.
    let mut t = region(true);
    let r = &mut t["Resources"];
    let inner = r["Record"].clone();
    r["Checked"] = inner;
    let p = &mut r["Checked"]["Properties"];
    p["Name"] = json!("us-east-1.checked.origin.example.com.");
    p.as_object_mut().unwrap().remove("Region");
    p["Weight"] = json!(1);
    r["Checked"]["Metadata"]["haplat:path"] = json!("Edge/Checked");
    r["Control"] = json!({"Type": "AWS::Route53RecoveryControl::RoutingControl", "Properties": {"Name": "c"}});
    r["ControlCheck"] = json!({"Type": "AWS::Route53::HealthCheck", "Properties": {"HealthCheckConfig": {
        "Type": "RECOVERY_CONTROL", "RoutingControlArn": {"Fn::GetAtt": ["Control", "RoutingControlArn"]}}}});
    r["Record"]["Properties"]["HealthCheckId"] = json!({"Ref": "ControlCheck"});
    r["Record"]["Properties"]["AliasTarget"] =
        json!({"DNSName": "us-east-1.checked.origin.example.com.", "HostedZoneId": "Z0", "EvaluateTargetHealth": true});
    let a = with_objectives(vec![stack("Api", &["us-east-1"], t)], failover(120));
    let figures = availability(&a);
    assert_eq!(figures.failover.len(), 1, "{:?}", figures.failover);
    let chain = figures.worst_failover().unwrap();
    assert_eq!(chain.label, "origin.example.com (us-east-1)");
    assert_eq!(chain.seconds(), 86.0, "{chain:?}");
    assert!(chain.links.last().unwrap().what.contains("alias to a load balancer"), "{chain:?}");
    assert!(of(&check(&a), "HAP025").is_empty());
}

/// An SLO's window: the composite alarm with its `haplat:slo` metadata, notifying `topic`.
fn slo(path: &str, indicator: &str, objective: f64, threshold_ms: Option<u32>, topic: bool) -> (String, Json) {
    let mut meta = json!({"objectivePercent": objective, "indicator": indicator, "burnRate": 14.4});
    if let Some(ms) = threshold_ms {
        meta["thresholdMs"] = json!(ms);
    }
    let mut props = json!({"AlarmRule": "ALARM(\"a\") AND ALARM(\"b\")"});
    if topic {
        props["AlarmActions"] = json!(["arn:aws:sns:us-east-1:111111111111:page"]);
    }
    let id = path.replace('/', "");
    (
        id,
        json!({"Type": "AWS::CloudWatch::CompositeAlarm",
        "Metadata": {"haplat:path": format!("{path}/Burn1h"), "haplat:slo": meta}, "Properties": props}),
    )
}

fn slos(windows: Vec<(String, Json)>, objectives: Objectives) -> Assembly {
    let r: serde_json::Map<String, Json> = windows.into_iter().collect();
    with_objectives(vec![stack("Api", &["us-east-1"], resources(Json::Object(r)))], objectives)
}

#[test]
fn hap057_declared_slos_need_an_slo_at_least_as_strict_that_pages() {
    let declared = Objectives { availability_percent: Some(99.95), latency_p99_ms: Some(300), ..Default::default() };
    // Every SLO at the objective or stricter, paging: nothing to report, and synth says met.
    let good = slos(
        vec![
            slo("Api/OrdersAvailability", "availability", 99.95, None, true),
            slo("Api/Entry", "availability", 99.99, None, true),
            slo("Api/PublicAlbLatency", "latency", 99.0, Some(250), true),
        ],
        declared.clone(),
    );
    assert!(of(&check(&good), "HAP057").is_empty(), "{:?}", of(&check(&good), "HAP057"));
    let lines = summary(&good);
    assert!(
        lines.contains(
            &"availability SLO: objective 99.95 % (21.6 min of errors per 30 days), 2 SLO(s) alarm on its error \
              budget's burn: met"
                .to_owned()
        ),
        "{lines:?}"
    );
    assert!(
        lines.contains(
            &"latency SLO: objective p99 within 300 ms, 1 SLO(s) alarm on its error budget's burn: met".to_owned()
        ),
        "{lines:?}"
    );

    // A looser availability SLO, a slower latency threshold, one that pages no one.
    let bad = slos(
        vec![
            slo("Api/OrdersAvailability", "availability", 99.9, None, true),
            slo("Api/CatalogAvailability", "availability", 99.95, None, false),
            slo("Api/PublicAlbLatency", "latency", 99.0, Some(500), true),
        ],
        declared.clone(),
    );
    let found = of(&check(&bad), "HAP057");
    let messages: Vec<&str> = found.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(found.len(), 3, "{messages:?}");
    assert!(
        messages.contains(&"Api/OrdersAvailability aims at 99.9 %, looser than the availability objective of 99.95 %")
    );
    assert!(messages.contains(&"the burn-rate alarms of Api/CatalogAvailability notify no one"));
    assert!(
        messages.iter().any(|m| m.contains("within 500 ms, looser than the latency objective of p99 within 300 ms"))
    );
    assert!(found.iter().any(|f| f.path == "Api/OrdersAvailability/Burn1h"), "{found:?}");
    let lines = summary(&bad);
    assert!(lines.iter().any(|l| l.starts_with("availability SLO: objective 99.95 %") && l.ends_with(": NOT MET")));
    assert!(lines.contains(
        &"  Api/OrdersAvailability aims at 99.9 %, looser than the availability objective of 99.95 %".to_owned()
    ));

    // Declared, but nothing watches it: one finding on the manifest's field, and synth says so.
    let none = slos(vec![slo("Api/OrdersAvailability", "availability", 99.95, None, true)], declared);
    let found = of(&check(&none), "HAP057");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].path.as_str(), found[0].template.as_str()), ("objectives.latencyP99Ms", "manifest.json"));
    assert_eq!(
        found[0].message,
        "the latency objective of p99 within 300 ms is declared, but no latency SLO alarms on its error budget"
    );
    assert!(summary(&none).contains(
        &"latency SLO: objective p99 within 300 ms, 0 SLO(s) alarm on its error budget's burn: NOT MET".to_owned()
    ));

    // SLOs with no objective declared: listed, not judged.
    let undeclared =
        slos(vec![slo("Api/OrdersAvailability", "availability", 99.9, None, false)], Objectives::default());
    assert!(of(&check(&undeclared), "HAP057").is_empty());
}

/// Another tier's alarm that haplat cannot time (a queue's age builds up with traffic) beside a
/// blue/green service's idle group: every child healthy at rest is needed, so the untimed one
/// can only take the region out sooner, and the probe still bounds the detection.
#[test]
fn hap025_an_untimed_child_beside_an_idle_group_only_makes_detection_sooner() {
    let mut t = region(true);
    let r = &mut t["Resources"];
    // The alternate group: weight 0 at the listener, so no target and its alarm in ALARM at rest.
    r["Alternate"] = json!({"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Metadata": {"haplat:path": "Api/Alternate"},
        "Properties": {"HealthCheckIntervalSeconds": 30, "UnhealthyThresholdCount": 3, "HealthCheckTimeoutSeconds": 5}});
    r["Listener"] = json!({"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {"DefaultActions": [{"Type": "forward",
        "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": {"Ref": "Group"}, "Weight": 1},
            {"TargetGroupArn": {"Ref": "Alternate"}, "Weight": 0}]}}]}});
    let mut idle = r["NoTargets"].clone();
    idle["Properties"]["Dimensions"][0]["Value"] = json!({"Fn::GetAtt": ["Alternate", "TargetGroupFullName"]});
    r["NoAlternateTargets"] = idle;
    r["IdleCheck"] = json!({"Type": "AWS::Route53::HealthCheck", "Metadata": {"haplat:path": "Api/IdleCheck"}, "Properties": {
        "HealthCheckConfig": {"Type": "CLOUDWATCH_METRIC", "AlarmIdentifier": {"Name": {"Ref": "NoAlternateTargets"}, "Region": "us-east-1"}}}});
    r["QueueStalled"] = json!({"Type": "AWS::CloudWatch::Alarm", "Metadata": {"haplat:path": "Api/QueueStalled"}, "Properties": {
        "MetricName": "ApproximateAgeOfOldestMessage", "Namespace": "AWS/SQS", "Period": 60, "EvaluationPeriods": 3,
        "Statistic": "Maximum", "Threshold": 60, "ComparisonOperator": "GreaterThanThreshold"}});
    r["QueueCheck"] = json!({"Type": "AWS::Route53::HealthCheck", "Metadata": {"haplat:path": "Api/QueueCheck"}, "Properties": {
        "HealthCheckConfig": {"Type": "CLOUDWATCH_METRIC", "AlarmIdentifier": {"Name": {"Ref": "QueueStalled"}, "Region": "us-east-1"}}}});
    let children = json!([{"Ref": "AlarmCheck"}, {"Ref": "IdleCheck"}, {"Ref": "Probe"}, {"Ref": "QueueCheck"}]);
    r["Region"]["Properties"]["HealthCheckConfig"]["ChildHealthChecks"] = children;
    // Healthy at rest: the live group's alarm, the probe and the queue's (the idle group's is not).
    r["Region"]["Properties"]["HealthCheckConfig"]["HealthThreshold"] = json!(3);
    let a = with_objectives(vec![stack("Api", &["us-east-1"], t.clone())], failover(120));
    assert_eq!(availability(&a).worst_failover().unwrap().seconds(), 86.0, "the probe's 26 s and the TTL");
    assert!(of(&check(&a), "HAP025").is_empty());
    // Needing fewer than all of them, the queue's alarm could be the one that stays healthy while
    // the region is down: not timed, and said so.
    t["Resources"]["Region"]["Properties"]["HealthCheckConfig"]["HealthThreshold"] = json!(2);
    let found = of(&check(&with_objectives(vec![stack("Api", &["us-east-1"], t)], failover(120))), "HAP025");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].message.contains("ApproximateAgeOfOldestMessage") || found[0].message.contains("QueueStalled"),
        "{}",
        found[0].message
    );
}
