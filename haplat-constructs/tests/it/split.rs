//! Services in stacks of their own (`ApiProps::services_per_stack`): groups by position, no
//! reference cycle, same-region bindings and waves from the API's stack to the service stacks,
//! listener priorities unique over one ALB, stability when a service is added at the end,
//! monitoring and database grants in the service's stack, and cfn-lint over every template.

use std::collections::{BTreeMap, BTreeSet};

use haplat_constructs::api::{ApiProps, MultiRegionApi};
use haplat_constructs::aurora::{AuroraGlobal, AuroraGlobalProps};
use haplat_constructs::chaos::ChaosService;
use haplat_constructs::monitoring::{RegionalMonitoring, RegionalMonitoringProps, TracingProps};
use haplat_constructs::service::ServiceProps;
use haplat_constructs::{DrMode, RegionSpec};
use haplat_core::manifest::BindingRegion;
use haplat_core::{App, Assembly};
use serde_json::{Value as Json, json};

use super::regional::{fronted, props, resources};

const REGIONS: [&str; 3] = ["us-east-1", "us-west-2", "eu-west-1"];

fn regions() -> Vec<RegionSpec> {
    vec![RegionSpec::primary(REGIONS[0]), RegionSpec::secondary(REGIONS[1]), RegionSpec::secondary(REGIONS[2])]
}

/// The three services of the regional tests (Orders, Web, Admin), then `extra` more, in
/// groups of `per_stack`.
fn split_props(extra: usize, per_stack: usize) -> ApiProps {
    let mut p = props(regions());
    for i in 0..extra {
        let mut s = ServiceProps::new(&format!("Svc{i}"), "public.ecr.aws/nginx/nginx:1.27", 8100 + i as u16);
        s.path_patterns = vec![format!("/svc{i}/*")];
        p.services.push(s);
    }
    p.services_per_stack = Some(per_stack);
    p
}

fn synth(app: &App) -> Assembly {
    app.synth().unwrap_or_else(|e| panic!("synth failed:\n{e}"))
}

/// The stack id holding each service (by the paths of its resources).
fn stack_of_services(a: &Assembly, names: &[&str]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for s in &a.manifest.stacks {
        for r in s.resources.values() {
            let mut parts = r.path.split('/');
            let (Some(stack), Some(construct)) = (parts.next(), parts.next()) else { continue };
            if names.contains(&construct) {
                let previous = out.insert(construct.to_owned(), stack.to_owned());
                assert!(
                    previous.as_deref().is_none_or(|p| p == stack),
                    "{construct} is in {p:?} and {stack}",
                    p = previous
                );
            }
        }
    }
    out
}

#[test]
fn services_go_in_groups_by_position_into_stack_sets_over_the_same_regions() {
    let app = App::new("shop");
    let api = MultiRegionApi::new_stack_set(&app, "Api", split_props(4, 3));
    let ids: Vec<String> = api.service_stacks().iter().map(|s| s.id()).collect();
    assert_eq!(ids, ["ApiServices1", "ApiServices2", "ApiServices3"]);
    assert_eq!(api.service_stack("Admin").unwrap().id(), "ApiServices1");
    assert_eq!(api.service_stack("Svc0").unwrap().id(), "ApiServices2");
    assert_eq!(api.service("Svc3").unwrap().stack().id(), "ApiServices3");
    let a = synth(&app);
    let names = ["Orders", "Web", "Admin", "Svc0", "Svc1", "Svc2", "Svc3"];
    let expected: BTreeMap<String, String> =
        names.iter().enumerate().map(|(i, n)| ((*n).to_owned(), format!("ApiServices{}", i / 3 + 1))).collect();
    assert_eq!(stack_of_services(&a, &names), expected);
    for id in &ids {
        let s = a.manifest.stacks.iter().find(|s| &s.id == id).unwrap();
        assert_eq!(s.target.regions(), REGIONS);
    }
    // The shared parts stay in the API's stack; the per-region task counts move with the service.
    let main = a.template("shop-Api").unwrap();
    for ty in [
        "AWS::EC2::VPC",
        "AWS::ECS::Cluster",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::KMS::Key",
        "AWS::ServiceDiscovery::PrivateDnsNamespace",
    ] {
        assert!(!resources(&main, ty).is_empty(), "{ty} in Api");
    }
    assert!(resources(&main, "AWS::ECS::Service").is_empty());
    assert!(resources(&main, "AWS::ElasticLoadBalancingV2::ListenerRule").is_empty());
    assert!(resources(&main, "AWS::EC2::SecurityGroupEgress").is_empty());
    let g2 = a.template("shop-ApiServices2").unwrap();
    assert_eq!(g2["Mappings"]["RegionConfig"]["us-east-1"]["Svc0MinCount"], 2);
    assert!(main["Mappings"]["RegionConfig"]["us-east-1"].get("Svc0MinCount").is_none());

    // None keeps everything in one stack; 0 is an error.
    let app = App::new("shop");
    let api = MultiRegionApi::new_stack_set(&app, "Api", props(regions()));
    assert!(api.service_stacks().is_empty());
    assert_eq!(api.service_stack("Orders").unwrap().id(), "Api");
    let app = App::new("shop");
    MultiRegionApi::new_stack_set(&app, "Api", ApiProps { services_per_stack: Some(0), ..props(regions()) });
    let e = app.synth().unwrap_err().to_string();
    assert!(e.contains("services_per_stack must be at least 1"), "{e}");
}

#[test]
fn service_stacks_read_the_api_stack_in_their_own_region_one_wave_later_and_never_the_reverse() {
    let app = App::new("shop");
    MultiRegionApi::new_stack_set(&app, "Api", fronted(split_props(4, 3)));
    let a = synth(&app);
    let main = a.manifest.stack("shop-Api").unwrap();
    assert!(main.bindings.is_empty(), "the API's stack reads nothing of the service stacks: {:?}", main.bindings);
    let mut sources = BTreeSet::new();
    for k in 1..=3 {
        let s = a.manifest.stack(&format!("shop-ApiServices{k}")).unwrap();
        assert_eq!(s.wave, main.wave + 1);
        assert!(!s.bindings.is_empty());
        for b in &s.bindings {
            assert_eq!(b.producer, "shop-Api", "{b:?}");
            assert_eq!(b.region, BindingRegion::SameRegion, "{b:?}");
            sources.insert(b.source.split(['/', '.']).nth(1).unwrap().to_owned());
        }
    }
    // What the services read: the network, cluster, ALBs (security group, listener, name), key, namespace.
    for part in ["Network", "Cluster", "PublicAlb", "InternalAlb", "Key", "Namespace"] {
        assert!(sources.contains(part), "{part} not read: {sources:?}");
    }
}

#[test]
fn listener_priorities_are_unique_over_every_service_stack_of_one_alb() {
    let app = App::new("shop");
    MultiRegionApi::new_stack_set(&app, "Api", split_props(9, 2));
    let a = synth(&app);
    let mut seen: BTreeMap<(String, i64), String> = BTreeMap::new();
    let mut rules = 0;
    for s in &a.manifest.stacks {
        let t = a.template(&s.name).unwrap();
        for (id, r) in resources(&t, "AWS::ElasticLoadBalancingV2::ListenerRule") {
            rules += 1;
            let param = r["Properties"]["ListenerArn"]["Ref"].as_str().unwrap();
            let listener = s.bindings.iter().find(|b| b.parameter == param).map(|b| b.source.clone()).unwrap();
            let priority = r["Properties"]["Priority"].as_i64().unwrap();
            if let Some(other) = seen.insert((listener.clone(), priority), format!("{}/{id}", s.id)) {
                panic!("priority {priority} on {listener} used by {other} and {}/{id}", s.id);
            }
        }
    }
    assert_eq!(rules, 12);
}

#[test]
fn adding_a_service_at_the_end_leaves_every_existing_resource_where_and_as_it_was() {
    let before_app = App::new("shop");
    MultiRegionApi::new_stack_set(&before_app, "Api", fronted(split_props(4, 3)));
    let before = synth(&before_app);
    let after_app = App::new("shop");
    MultiRegionApi::new_stack_set(&after_app, "Api", fronted(split_props(5, 3)));
    let after = synth(&after_app);
    let mut compared = 0;
    for s in &before.manifest.stacks {
        let old = before.template(&s.name).unwrap();
        let new = after.template(&s.name).unwrap_or_else(|| panic!("stack {} is gone", s.name));
        for (id, r) in old["Resources"].as_object().unwrap() {
            // The region's health check counts every service: it gains the new one's alarms (an
            // update in place), and nothing else changes.
            if r["Metadata"]["haplat:path"] == "ApiHealth/RegionHealth/Check" {
                assert_eq!(new["Resources"][id]["Type"], "AWS::Route53::HealthCheck");
                continue;
            }
            assert_eq!(Some(r), new["Resources"].get(id), "{}: {id} changed or moved", s.id);
            compared += 1;
        }
    }
    assert!(compared > 150, "{compared}");
    let after_ids: Vec<&str> = after.manifest.stacks.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(after_ids, ["Api", "ApiServices1", "ApiServices2", "ApiServices3", "ApiHealth"]);
    assert_eq!(stack_of_services(&after, &["Svc4"])["Svc4"], "ApiServices3");
}

#[test]
fn calls_between_service_stacks_in_both_directions_make_no_cycle() {
    // One service per stack: Orders (ApiServices1), Web (2), Admin (3, internal on 8443).
    let mut p = split_props(0, 1);
    p.services[0].callers = vec!["Web".into()];
    p.services[1].callers = vec!["Orders".into()];
    p.services[2].callers = vec!["Orders".into()];
    p.services[2].listener_port = 8443;
    let app = App::new("shop");
    let api = MultiRegionApi::new_stack_set(&app, "Api", p);
    let a = synth(&app);
    let stack = |k: usize| a.manifest.stack(&format!("shop-ApiServices{k}")).unwrap();
    let producers = |k: usize| stack(k).bindings.iter().map(|b| b.producer.clone()).collect::<BTreeSet<_>>();
    // Both pairs' rules live in the later stack, which reads the earlier one in its own region.
    assert_eq!(producers(1), ["shop-Api".to_owned()].into());
    assert_eq!(producers(2), ["shop-Api".to_owned(), "shop-ApiServices1".to_owned()].into());
    assert_eq!(producers(3), ["shop-Api".to_owned(), "shop-ApiServices1".to_owned()].into());
    assert!(stack(2).wave > stack(1).wave && stack(3).wave > stack(1).wave);
    assert!(stack(2).bindings.iter().all(|b| b.region == BindingRegion::SameRegion));
    let rules = |k: usize, ty: &str| {
        let t = a.template(&format!("shop-ApiServices{k}")).unwrap();
        resources(&t, ty).len()
    };
    // Web's stack: the ALB's egress to Web, Web <-> Orders both ways (2 egress, 2 ingress + ALB's).
    assert_eq!(rules(2, "AWS::EC2::SecurityGroupEgress"), 3);
    assert_eq!(rules(2, "AWS::EC2::SecurityGroupIngress"), 3);
    // Orders' stack: its ALB rules, and its egress to the internal ALB on 8443 and the internal
    // ALB's ingress from it (the ALB admits declared callers only).
    assert_eq!(rules(1, "AWS::EC2::SecurityGroupEgress"), 2);
    assert_eq!(rules(1, "AWS::EC2::SecurityGroupIngress"), 2);
    assert_eq!(api.service("Admin").unwrap().stack().id(), "ApiServices3");
    let templates: Vec<(String, Json)> =
        a.manifest.stacks.iter().map(|s| (s.id.clone(), a.template(&s.name).unwrap())).collect();
    let lint = haplat_tests::lint_templates(&templates, &REGIONS);
    assert!(lint.is_clean(), "{lint}");
}

/// The API fronted by CloudFront, in groups of two, with monitoring per service stack, an
/// Aurora database in the API's stack every service may connect to, and a global stack reading
/// the endpoints.
fn monitored() -> (App, MultiRegionApi) {
    let app = App::new("shop");
    let api = MultiRegionApi::new_stack_set(
        &app,
        "Api",
        ApiProps { mode: DrMode::ActivePassive, ..fronted(split_props(1, 2)) },
    );
    let mut props = RegionalMonitoringProps::new(&REGIONS);
    props.alarm_emails = vec!["oncall@example.com".into()];
    let monitoring = RegionalMonitoring::new(api.stack(), "Monitoring", props);
    for stack in api.service_stacks() {
        let services: Vec<_> = api.services.iter().filter(|s| s.stack().id() == stack.id()).collect();
        let traced: Vec<String> = services.iter().filter(|s| s.xray).map(|s| s.name.clone()).collect();
        let metrics: Vec<_> = services.iter().filter_map(|s| s.metrics()).collect();
        let m = monitoring.watch_services(stack, "Monitoring", &metrics, &TracingProps::new(&traced));
        assert_eq!(m.critical_alarms.len(), services.len());
    }
    let db = AuroraGlobal::new(api.stack(), "Db", AuroraGlobalProps::for_api(&api));
    for s in &api.services {
        db.grant_connect(s, "app");
    }
    let edge = app.stack("Edge", "us-east-1");
    // A template needs a resource; this one only reads values.
    edge.add("Handle", haplat_core::resources::cloudformation::WaitConditionHandle::default());
    for e in api.endpoints() {
        edge.add_output(&format!("Check{}", e.region.replace('-', "")), e.health_check_id.clone().unwrap(), "");
    }
    (app, api)
}

#[test]
fn monitoring_health_alarms_and_database_access_of_a_service_live_in_its_stack() {
    let (app, api) = monitored();
    let a = synth(&app);
    // Each service's alarms and dashboard are in its stack, notifying the API stack's topic.
    for s in &api.services {
        let stack = s.stack().id();
        let t = a.template(&s.stack().name()).unwrap();
        let m = a.manifest.stack(&s.stack().name()).unwrap();
        let alarms: Vec<&str> = m
            .resources
            .values()
            .filter(|r| {
                r.type_name == "AWS::CloudWatch::Alarm"
                    && r.path.starts_with(&format!("{stack}/Monitoring/{}Service/", s.name))
            })
            .map(|r| r.path.as_str())
            .collect();
        assert_eq!(alarms.len(), 5, "{}: {alarms:?}", s.name);
        assert!(!resources(&t, "AWS::CloudWatch::Dashboard").is_empty());
        let topic = m.bindings.iter().find(|b| b.source == "Api/Monitoring/Topic").expect("the topic is read");
        assert_eq!(topic.region, BindingRegion::SameRegion);
    }
    // X-Ray rules of the traced service (Orders) beside it.
    let orders = a.template(&api.service("Orders").unwrap().stack().name()).unwrap();
    assert_eq!(resources(&orders, "AWS::XRay::Group").len(), 1);
    assert!(resources(&a.template("shop-Api").unwrap(), "AWS::XRay::Group").is_empty());

    // Each service's health alarms are in its stack; the region's health check over them all is
    // in a stack set after them (the API's stack cannot read the service stacks), and the edge
    // reads it there, in each region.
    let mut alarms = 0;
    for s in &api.services {
        let t = a.template(&s.stack().name()).unwrap();
        let here = resources(&t, "AWS::CloudWatch::Alarm")
            .iter()
            .filter(|(id, _)| id.starts_with(&format!("{}RegionHealth", s.name)))
            .count();
        assert_eq!(here, if s.alternate_target_group.is_some() { 2 } else { 1 }, "{}", s.name);
        alarms += here;
    }
    assert_eq!(api.health_alarms.len(), alarms);
    let health = a.template("shop-ApiHealth").unwrap();
    assert_eq!(resources(&health, "AWS::Route53::HealthCheck").len(), alarms + 1);
    let health_wave = a.manifest.stack("shop-ApiHealth").unwrap().wave;
    for s in &api.services {
        assert!(health_wave > a.manifest.stack(&s.stack().name()).unwrap().wave);
    }
    let edge = a.manifest.stack("shop-Edge").unwrap();
    assert_eq!(edge.bindings.len(), REGIONS.len());
    assert!(
        edge.bindings.iter().all(|b| b.producer == "shop-ApiHealth" && matches!(b.region, BindingRegion::Fixed { .. }))
    );
    assert!(edge.wave > health_wave);

    // Database access: the rules and the grant are in the service's stack.
    for s in &api.services {
        let t = a.template(&s.stack().name()).unwrap();
        let ingress: Vec<_> = resources(&t, "AWS::EC2::SecurityGroupIngress")
            .into_iter()
            .filter(|(id, _)| id.contains("DbIngress"))
            .collect();
        assert!(
            ingress.iter().any(|(id, r)| id.starts_with(&s.name) && r["Properties"]["FromPort"] == 5432),
            "{}",
            s.name
        );
    }
    let main = a.template("shop-Api").unwrap();
    assert_eq!(resources(&main, "AWS::SSM::Parameter").len(), 1);
}

#[test]
fn blue_green_services_alarm_on_unhealthy_hosts_in_both_target_groups() {
    let (app, _api) = monitored();
    let a = synth(&app);
    let find = |stack: &str, service: &str| {
        let m = a.manifest.stack(&format!("shop-{stack}")).unwrap();
        let path = format!("{stack}/Monitoring/{service}Service/UnhealthyHosts");
        let (id, _) = m.resources.iter().find(|(_, r)| r.path == path).unwrap_or_else(|| panic!("no {path}"));
        a.template(&m.name).unwrap()["Resources"][id]["Properties"].clone()
    };
    // Orders deploys blue/green (a canary): its alarm sums both target groups.
    let orders = find("ApiServices1", "Orders");
    let queries = orders["Metrics"].as_array().unwrap();
    assert_eq!(queries.len(), 3);
    let groups: BTreeSet<String> = queries[..2]
        .iter()
        .map(|q| {
            assert_eq!(q["MetricStat"]["Metric"]["MetricName"], "UnHealthyHostCount");
            let dims = q["MetricStat"]["Metric"]["Dimensions"].as_array().unwrap();
            dims.iter().find(|d| d["Name"] == "TargetGroup").unwrap()["Value"].to_string()
        })
        .collect();
    assert_eq!(groups.len(), 2, "two different target groups");
    assert_eq!(queries[2]["Expression"], "(FILL(unhealthy0, 0) + FILL(unhealthy1, 0))");
    assert_eq!(queries[2]["ReturnData"], true);
    // Admin rolls in place: one target group, one plain metric.
    let admin = find("ApiServices2", "Admin");
    assert_eq!(admin["MetricName"], "UnHealthyHostCount");
    assert_eq!(admin.get("Metrics"), None);
    assert_eq!(admin["Statistic"], json!("Maximum"));
}

#[test]
fn every_log_group_of_every_stack_is_encrypted_expires_and_is_retained() {
    let (app, _api) = monitored();
    let a = synth(&app);
    let mut groups = 0;
    for s in &a.manifest.stacks {
        let t = a.template(&s.name).unwrap();
        if t.get("Resources").is_none() {
            continue;
        }
        for (id, g) in resources(&t, "AWS::Logs::LogGroup") {
            groups += 1;
            assert!(g["Properties"].get("KmsKeyId").is_some(), "{}/{id} is not encrypted", s.id);
            assert!(g["Properties"]["RetentionInDays"].as_i64().is_some_and(|d| d > 0), "{}/{id} never expires", s.id);
            // Except the database's server log: its name is fixed by RDS, so it is deleted with
            // the stack (after the cluster) rather than block the next deploy.
            let fixed_name = g["Properties"]["LogGroupName"].as_str().is_some_and(|n| n.starts_with("/aws/rds/"));
            let want = if fixed_name { "Delete" } else { "Retain" };
            assert_eq!(g["DeletionPolicy"], want, "{}/{id}", s.id);
        }
    }
    // Flow logs and Container Insights in Api, one per service in the service stacks.
    assert!(groups >= 6, "{groups}");
    let main = a.template("shop-Api").unwrap();
    let insights = resources(&main, "AWS::Logs::LogGroup")
        .into_iter()
        .filter(|(_, g)| g["Properties"]["LogGroupName"].to_string().contains("containerinsights"))
        .count();
    assert_eq!(insights, 1);
}

#[test]
fn cfn_lint_passes_over_the_api_and_every_service_stack_in_every_region() {
    let (app, _api) = monitored();
    let a = synth(&app);
    let templates: Vec<(String, Json)> = a
        .manifest
        .stacks
        .iter()
        .filter(|s| s.id.starts_with("Api"))
        .map(|s| (s.id.clone(), a.template(&s.name).unwrap()))
        .collect();
    assert_eq!(templates.len(), 4, "Api, two service stacks, ApiHealth");
    let lint = haplat_tests::lint_templates(&templates, &REGIONS);
    assert!(lint.is_clean(), "{lint}");
}

/// `MultiRegionApi::monitor`, `availability_slos` and `chaos` write what an app used to route by
/// hand (the regional monitoring with the API stack's services, `watch_services` per service
/// stack, each SLO in its service's stack, the experiments in a stack set after them all), byte
/// for byte.
#[test]
fn the_api_places_monitoring_slos_and_chaos_as_hand_routing_did() {
    use haplat_constructs::chaos::{ChaosExperiments, ChaosProps};
    use haplat_constructs::service::Service;
    use haplat_constructs::slo::{Slo, SloProps};

    let base = || {
        let mut p = split_props(4, 3);
        p.services[0].xray = true;
        p.services[5].xray = true;
        p
    };
    let monitoring_props = || {
        let mut m = RegionalMonitoringProps::new(&REGIONS);
        m.alarm_emails = vec!["oncall@example.com".into()];
        m
    };

    let by_hand = App::new("shop");
    let api = MultiRegionApi::new_stack_set(&by_hand, "Api", base());
    let in_stack = |stack: &haplat_core::Stack| -> Vec<&Service> {
        api.services.iter().filter(|s| s.stack().id() == stack.id()).collect()
    };
    let traced = |services: &[&Service]| {
        TracingProps::new(&services.iter().filter(|s| s.xray).map(|s| s.name.clone()).collect::<Vec<_>>())
    };
    let mut m = monitoring_props();
    m.services = in_stack(api.stack()).iter().filter_map(|s| s.metrics()).collect();
    m.load_balancers = api.public_alb.iter().chain(&api.internal_alb).map(|a| a.full_name()).collect();
    m.ecs_clusters = vec![api.cluster.ref_()];
    m.tracing = traced(&in_stack(api.stack()));
    let monitoring = RegionalMonitoring::new(api.stack(), "Monitoring", m);
    // Each service's own critical alarms, wherever its stack put them.
    let mut by_service = monitoring.service_critical_alarms.clone();
    for stack in api.service_stacks() {
        let services = in_stack(stack);
        let metrics: Vec<_> = services.iter().filter_map(|s| s.metrics()).collect();
        by_service.extend(
            monitoring.watch_services(stack, "Monitoring", &metrics, &traced(&services)).service_critical_alarms,
        );
    }
    let alb = api.public_alb.as_ref().expect("a public load balancer");
    let entry =
        haplat_constructs::metrics::load_balancer_availability_sli(&[alb.load_balancer.attr_load_balancer_full_name()]);
    Slo::new(
        api.stack(),
        "PublicAlbAvailability",
        SloProps::new(99.5, entry)
            .with_actions(vec![monitoring.topic_arn()])
            .with_runbook(haplat_constructs::monitoring::Runbook::RegionDown),
    );
    for s in &api.services {
        let slo = SloProps::new(99.5, s.metrics().expect("every service here is load-balanced").availability_sli())
            .with_actions(vec![monitoring.topic_arn()]);
        Slo::new(&s.stack(), &format!("{}Availability", s.name), slo);
    }
    let mut chaos = ChaosProps::new(vec![]);
    chaos.services = api
        .metrics()
        .iter()
        .map(|m| ChaosService {
            stop_alarm_arns: by_service[&m.name].iter().map(|a| a.attr_arn()).collect(),
            ..m.into()
        })
        .collect();
    chaos.private_subnet_ids = api.network.private_subnets.iter().map(|s| s.ref_()).collect();
    chaos.network_stop_alarm_arns = monitoring.load_balancer_alarm.iter().map(|a| a.attr_arn()).collect();
    ChaosExperiments::new(&by_hand.stack_set("ApiChaos", &REGIONS), "Chaos", chaos);

    let by_api = App::new("shop");
    let api = MultiRegionApi::new_stack_set(&by_api, "Api", base());
    let monitoring = api.monitor("Monitoring", monitoring_props());
    api.availability_slos(99.5, &[monitoring.topic_arn()]);
    api.chaos("Chaos", &monitoring, ChaosProps::new(vec![]));

    let (a, b) = (synth(&by_hand), synth(&by_api));
    assert_eq!(a.templates.keys().collect::<Vec<_>>(), b.templates.keys().collect::<Vec<_>>());
    assert!(a.templates.len() >= 5, "Api, three service stacks, ApiChaos: {:?}", a.templates.keys());
    for (name, text) in &a.templates {
        assert!(text == &b.templates[name], "{name} differs");
    }
    assert_eq!(a.manifest_json(), b.manifest_json());
}
