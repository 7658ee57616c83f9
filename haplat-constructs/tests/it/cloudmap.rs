//! Cloud-Map-only internal services ([`InternalAccess::CloudMapOnly`]): reached through Service
//! Connect / Cloud Map only, with no internal ALB, target group or listener rule; admitted only
//! from their declared callers; rolled out by ECS rolling deployments with the circuit breaker;
//! scaled on CPU and memory; watched by their running tasks when the region's health needs a
//! signal; and the combinations that cannot work are errors naming the service.

use std::collections::BTreeMap;

use haplat_constructs::RegionSpec;
use haplat_constructs::api::{ApiCertificate, ApiProps, MultiRegionApi};
use haplat_constructs::service::{Deployment, InternalAccess, ServiceProps};
use haplat_constructs::zone::HostedZone;
use haplat_core::App;
use serde_json::{Value as Json, json};

const IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.2.0";

/// Orders (public) calls Catalog (Cloud-Map-only).
fn props(connect: bool) -> ApiProps {
    let orders = ServiceProps::new("Orders", IMAGE, 8080);
    let mut catalog = ServiceProps::new("Catalog", IMAGE, 8081).cloud_map_only();
    catalog.callers = vec!["Orders".into()];
    ApiProps {
        services: vec![orders, catalog],
        service_connect: connect,
        ..ApiProps::new(
            vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("eu-west-1")],
            "api.example.com",
            ApiCertificate::DnsValidated { zone: HostedZone::existing("Z0123456789ABCDEFGHIJ", "example.com") },
        )
    }
}

fn synth(p: ApiProps) -> Json {
    let app = App::new("shop");
    MultiRegionApi::new_stack_set(&app, "Api", p);
    app.synth().unwrap_or_else(|e| panic!("{e}")).template("shop-Api").expect("the Api template")
}

fn synth_err(p: ApiProps) -> String {
    let app = App::new("shop");
    MultiRegionApi::new_stack_set(&app, "Api", p);
    match app.synth() {
        Ok(_) => panic!("synth should have failed"),
        Err(e) => e.to_string(),
    }
}

fn of_type<'a>(t: &'a Json, ty: &str) -> Vec<(&'a String, &'a Json)> {
    t["Resources"].as_object().expect("resources").iter().filter(|(_, r)| r["Type"] == ty).collect()
}

fn reference(v: &Json) -> Option<&str> {
    v.get("Ref").and_then(Json::as_str).or_else(|| v.get("Fn::GetAtt").and_then(|a| a[0].as_str()))
}

/// Service name (from its logical id) → the ECS service.
fn services(t: &Json) -> BTreeMap<String, &Json> {
    of_type(t, "AWS::ECS::Service")
        .into_iter()
        .map(|(id, s)| (id.split("Service").next().unwrap_or_default().to_owned(), s))
        .collect()
}

/// The logical id of the security group of `service`'s tasks.
fn security_group(t: &Json, service: &str) -> String {
    let groups: Vec<&String> = of_type(t, "AWS::EC2::SecurityGroup")
        .into_iter()
        .map(|(id, _)| id)
        .filter(|id| id.starts_with(&format!("{service}SecurityGroup")))
        .collect();
    assert_eq!(groups.len(), 1, "{groups:?}");
    groups[0].clone()
}

#[test]
fn a_cloud_map_only_service_has_no_internal_alb_target_group_or_listener_rule() {
    let t = synth(props(true));
    let albs = of_type(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer");
    assert_eq!(albs.len(), 1, "only the public ALB");
    assert!(albs[0].0.starts_with("PublicAlb"), "{}", albs[0].0);
    assert!(!t["Resources"].as_object().expect("resources").keys().any(|id| id.starts_with("InternalAlb")));
    for (id, _) in of_type(&t, "AWS::ElasticLoadBalancingV2::TargetGroup")
        .into_iter()
        .chain(of_type(&t, "AWS::ElasticLoadBalancingV2::ListenerRule"))
    {
        assert!(!id.contains("Catalog"), "{id}");
    }
    let catalog = &services(&t)["Catalog"]["Properties"];
    assert!(catalog.get("LoadBalancers").is_none(), "{catalog}");
    assert!(catalog.get("HealthCheckGracePeriodSeconds").is_none(), "{catalog}");
    // No 5xx deployment alarms without target groups.
    assert!(catalog["DeploymentConfiguration"].get("Alarms").is_none(), "{catalog}");
    assert!(!of_type(&t, "AWS::CloudWatch::Alarm").iter().any(|(id, _)| id.starts_with("CatalogTarget5xx")));
}

#[test]
fn it_rolls_out_with_the_circuit_breaker_rolling_back_and_the_ecs_controller() {
    let t = synth(props(true));
    let catalog = &services(&t)["Catalog"]["Properties"];
    assert_eq!(catalog["DeploymentController"], json!({"Type": "ECS"}));
    let deployment = &catalog["DeploymentConfiguration"];
    assert_eq!(deployment["Strategy"], "ROLLING");
    assert_eq!(deployment["DeploymentCircuitBreaker"], json!({"Enable": true, "Rollback": true}));
    assert!(deployment.get("CanaryConfiguration").is_none());
    // The public service keeps its blue/green canary.
    assert_eq!(services(&t)["Orders"]["Properties"]["DeploymentConfiguration"]["Strategy"], "CANARY");
}

#[test]
fn it_is_registered_in_cloud_map_and_published_in_service_connect() {
    let t = synth(props(true));
    let catalog = &services(&t)["Catalog"]["Properties"];
    let registry = reference(&catalog["ServiceRegistries"][0]["RegistryArn"]).expect("a Cloud Map registry");
    let discovery = &t["Resources"][registry];
    assert_eq!(discovery["Type"], "AWS::ServiceDiscovery::Service");
    assert_eq!(discovery["Properties"]["Name"], "catalog");
    let sc = &catalog["ServiceConnectConfiguration"];
    assert_eq!(sc["Enabled"], true);
    assert_eq!(sc["Services"][0]["DiscoveryName"], "catalog");
    assert_eq!(sc["Services"][0]["ClientAliases"], json!([{"DnsName": "catalog", "Port": 8081}]));
}

#[test]
fn the_caller_finds_it_by_name_through_service_connect_or_cloud_map() {
    for (connect, url) in [(true, "http://catalog:8081"), (false, "http://catalog.internal.local:8081")] {
        let t = synth(props(connect));
        let orders = of_type(&t, "AWS::ECS::TaskDefinition")
            .into_iter()
            .find(|(id, _)| id.starts_with("Orders"))
            .expect("the Orders task definition")
            .1;
        let env = &orders["Properties"]["ContainerDefinitions"][0]["Environment"];
        let catalog_url = env
            .as_array()
            .expect("an environment")
            .iter()
            .find(|v| v["Name"] == "CATALOG_URL")
            .unwrap_or_else(|| panic!("no CATALOG_URL: {env}"));
        assert_eq!(catalog_url["Value"], url);
    }
}

#[test]
fn only_the_declared_callers_reach_it_on_its_port() {
    let t = synth(props(true));
    let (catalog, orders) = (security_group(&t, "Catalog"), security_group(&t, "Orders"));
    let into_catalog: Vec<&Json> = of_type(&t, "AWS::EC2::SecurityGroupIngress")
        .into_iter()
        .map(|(_, r)| &r["Properties"])
        .filter(|p| reference(&p["GroupId"]) == Some(catalog.as_str()))
        .collect();
    assert_eq!(into_catalog.len(), 1, "{into_catalog:?}");
    assert_eq!(reference(&into_catalog[0]["SourceSecurityGroupId"]), Some(orders.as_str()));
    assert_eq!((&into_catalog[0]["FromPort"], &into_catalog[0]["ToPort"]), (&json!(8081), &json!(8081)));
    // Nothing inline either: the group itself admits nobody.
    let group = &t["Resources"][catalog.as_str()]["Properties"];
    assert!(group.get("SecurityGroupIngress").is_none(), "{group}");
    // The caller may open connections to it, on exactly that port.
    let egress: Vec<&Json> = of_type(&t, "AWS::EC2::SecurityGroupEgress")
        .into_iter()
        .map(|(_, r)| &r["Properties"])
        .filter(|p| reference(&p["DestinationSecurityGroupId"]) == Some(catalog.as_str()))
        .collect();
    assert_eq!(egress.len(), 1, "{egress:?}");
    assert_eq!(reference(&egress[0]["GroupId"]), Some(orders.as_str()));
    assert_eq!((&egress[0]["FromPort"], &egress[0]["ToPort"]), (&json!(8081), &json!(8081)));
}

#[test]
fn it_scales_on_cpu_and_memory_only() {
    let t = synth(props(true));
    let metrics: Vec<String> = of_type(&t, "AWS::ApplicationAutoScaling::ScalingPolicy")
        .into_iter()
        .filter(|(id, _)| id.starts_with("Catalog"))
        .map(|(_, p)| p["Properties"]["TargetTrackingScalingPolicyConfiguration"].to_string())
        .collect();
    assert!(!metrics.is_empty());
    assert!(
        metrics.iter().all(|m| !m.contains("ALBRequestCountPerTarget") && !m.contains("RequestCount")),
        "{metrics:?}"
    );
    assert!(metrics.iter().any(|m| m.contains("ECSServiceAverageCPUUtilization")), "{metrics:?}");
}

#[test]
fn fronted_its_region_health_alarm_watches_its_running_tasks() {
    let mut p = props(true);
    p.fronted_by_cloudfront = Some(haplat_constructs::OriginVerify::new("shop/origin-verify"));
    let t = synth(p);
    let alarms = of_type(&t, "AWS::CloudWatch::Alarm");
    let health: Vec<&Json> =
        alarms.iter().filter(|(id, _)| id.starts_with("CatalogRegionHealth")).map(|(_, a)| &a["Properties"]).collect();
    assert_eq!(health.len(), 1, "{health:?}");
    assert_eq!(health[0]["Namespace"], "ECS/ContainerInsights");
    assert_eq!(health[0]["MetricName"], "RunningTaskCount");
    assert_eq!(health[0]["ComparisonOperator"], "LessThanThreshold");
    assert_eq!(health[0]["Threshold"], 1);
    assert_eq!(health[0]["TreatMissingData"], "breaching");
    let dimensions: Vec<&Json> =
        health[0]["Dimensions"].as_array().expect("dimensions").iter().map(|d| &d["Name"]).collect();
    assert_eq!(dimensions, [&json!("ClusterName"), &json!("ServiceName")]);
    // The region health check counts it beside the Orders target groups' alarms.
    let checks = of_type(&t, "AWS::Route53::HealthCheck");
    assert!(checks.iter().any(|(_, c)| c.to_string().contains("HealthThreshold\":2")), "{checks:?}");
}

#[test]
fn the_internal_alb_stays_for_the_internal_services_that_use_it() {
    let mut p = props(true);
    let mut admin = ServiceProps::new("Admin", IMAGE, 8082);
    admin.internal = true;
    admin.callers = vec!["Orders".into()];
    p.services.push(admin);
    let t = synth(p);
    let albs: Vec<&String> =
        of_type(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer").into_iter().map(|(id, _)| id).collect();
    assert_eq!(albs.len(), 2, "{albs:?}");
    assert!(albs.iter().any(|id| id.starts_with("InternalAlb")), "{albs:?}");
    assert!(services(&t)["Admin"]["Properties"].get("LoadBalancers").is_some());
    assert!(services(&t)["Catalog"]["Properties"].get("LoadBalancers").is_none());
    // It answers on a name of its own in the API's zone, which the certificate names: callers
    // outside ECS verify its TLS.
    let records = of_type(&t, "AWS::Route53::RecordSet");
    let (_, record) =
        records.iter().find(|(id, _)| id.starts_with("InternalAlbName")).expect("the internal ALB's name");
    let r = &record["Properties"];
    assert_eq!(r["Name"], json!({"Fn::Sub": "${AWS::Region}.internal.api.example.com."}));
    assert_eq!(r["HostedZoneId"], "Z0123456789ABCDEFGHIJ");
    let internal = albs.iter().find(|id| id.starts_with("InternalAlb")).unwrap();
    assert_eq!(r["AliasTarget"]["DNSName"], json!({"Fn::GetAtt": [internal, "DNSName"]}));
    let (_, cert) = of_type(&t, "AWS::CertificateManager::Certificate").into_iter().next().expect("a certificate");
    let names = &cert["Properties"]["SubjectAlternativeNames"];
    assert!(
        names.as_array().unwrap().contains(&json!({"Fn::Sub": "${AWS::Region}.internal.api.example.com"})),
        "{names}"
    );
    // Without an internal ALB, neither.
    let t = synth(props(true));
    assert!(of_type(&t, "AWS::Route53::RecordSet").iter().all(|(id, _)| !id.starts_with("InternalAlbName")));
    let (_, cert) = of_type(&t, "AWS::CertificateManager::Certificate").into_iter().next().expect("a certificate");
    assert!(!cert["Properties"]["SubjectAlternativeNames"].to_string().contains("internal."));
}

#[test]
fn a_public_or_blue_green_or_routed_cloud_map_only_service_is_an_error_naming_it() {
    let mut p = props(true);
    p.services[1].internal = false;
    let err = synth_err(p);
    assert!(err.contains("Api/Catalog: a Cloud-Map-only service must be internal"), "{err}");

    let mut p = props(true);
    p.services[1].deployment = Deployment::default();
    let err = synth_err(p);
    assert!(err.contains("Api/Catalog: a Cloud-Map-only service has no load balancer"), "{err}");
    assert!(err.contains("Deployment::Rolling"), "{err}");

    let mut p = props(true);
    p.services[1].path_patterns = vec!["/catalog/*".into()];
    let err = synth_err(p);
    assert!(err.contains("Api/Catalog: a Cloud-Map-only service has no listener rule"), "{err}");
}

#[test]
fn the_option_is_off_by_default() {
    let s = ServiceProps::new("Orders", IMAGE, 8080);
    assert_eq!(s.internal_access, InternalAccess::Alb);
    assert!(s.load_balanced());
}

#[test]
fn cloud_map_only_and_internal_alb_templates_pass_haplat_check_and_cfn_lint_in_every_region() {
    let app = App::new("shop");
    let mut p = props(true);
    p.fronted_by_cloudfront = Some(haplat_constructs::OriginVerify::new("shop/origin-verify"));
    // Beside an internal service on the internal ALB, with its name in the zone.
    let mut admin = ServiceProps::new("Admin", IMAGE, 8082);
    admin.internal = true;
    admin.callers = vec!["Orders".into()];
    p.services.push(admin);
    MultiRegionApi::new_stack_set(&app, "Api", p);
    let assembly = app.synth().unwrap_or_else(|e| panic!("{e}"));
    let report = haplat_check::check_assembly(&assembly).expect("a report");
    assert!(!report.has_errors(), "{:?}", report.findings);
    let t = assembly.template("shop-Api").expect("the Api template");
    let lint =
        haplat_tests::lint_templates(&[("api".to_owned(), t)], &["us-east-1".to_owned(), "eu-west-1".to_owned()]);
    assert!(lint.is_clean(), "{lint}");
}

#[test]
fn the_platform_composition_passes_the_option_through_with_its_monitoring_slos_and_chaos() {
    use haplat_constructs::composition::{Platform, PlatformProps};
    let app = App::new("shop");
    let mut props = PlatformProps::new(
        vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("eu-west-1")],
        HostedZone::existing("Z0123456789ABCDEFGHIJ", "example.com"),
        &["shop.example.com"],
        &["oncall@example.com"],
    );
    let mut catalog = ServiceProps::new("Catalog", IMAGE, 8081).cloud_map_only();
    catalog.callers = vec!["Orders".into()];
    props.services = vec![ServiceProps::new("Orders", IMAGE, 8080), catalog];
    let platform = Platform::new(&app, props);
    assert_eq!(platform.api.metrics().len(), 1, "only Orders has ALB metrics");
    let assembly = app.synth().unwrap_or_else(|e| panic!("{e}"));
    let report = haplat_check::check_assembly(&assembly).expect("a report");
    assert!(!report.has_errors(), "{:?}", report.findings);
    let templates: Vec<Json> =
        assembly.templates.values().map(|t| serde_json::from_str(t).expect("a JSON template")).collect();
    let with_catalog: Vec<&Json> = templates.iter().filter(|t| services(t).contains_key("Catalog")).collect();
    assert_eq!(with_catalog.len(), 1);
    let t = with_catalog[0];
    assert!(services(t)["Catalog"]["Properties"].get("LoadBalancers").is_none());
    assert!(!t["Resources"].as_object().expect("resources").keys().any(|id| id.starts_with("InternalAlb")));
    // Fronted by the edge: the region's health watches Catalog's running tasks.
    let health = templates
        .iter()
        .flat_map(|t| of_type(t, "AWS::CloudWatch::Alarm"))
        .filter(|(_, a)| a["Properties"]["MetricName"] == "RunningTaskCount")
        .count();
    assert_eq!(health, 1);
}
