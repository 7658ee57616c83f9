//! ECS Service Connect in a MultiRegionApi: the namespace per region, each service's port
//! published and every service a client, timeouts, security groups that still admit only the
//! declared callers, and cfn-lint over every region.

use std::collections::BTreeMap;

use haplat_constructs::RegionSpec;
use haplat_constructs::api::{ApiCertificate, ApiProps, MultiRegionApi};
use haplat_constructs::service::{ConnectTimeouts, ServiceProps, TargetProtocol};
use haplat_constructs::zone::HostedZone;
use haplat_core::App;
use serde_json::{Value as Json, json};

fn props(connect: bool) -> ApiProps {
    let mut orders = ServiceProps::new("Orders", "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:1.2.0", 8080);
    orders.path_patterns = vec!["/orders/*".into()];
    let mut catalog = ServiceProps::new("Catalog", "123456789012.dkr.ecr.us-east-1.amazonaws.com/catalog:1.2.0", 8081);
    catalog.path_patterns = vec!["/catalog/*".into()];
    catalog.callers = vec!["Orders".into()];
    catalog.connect_timeouts = Some(ConnectTimeouts { per_request_seconds: 5, idle_seconds: 60 });
    let mut web = ServiceProps::new("Web", "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.2.0", 8082);
    web.path_patterns = vec!["/web/*".into()];
    ApiProps {
        services: vec![orders, catalog, web],
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
    app.synth().unwrap_or_else(|e| panic!("{e}")).template("shop-Api").unwrap()
}

fn of_type<'a>(t: &'a Json, ty: &str) -> Vec<(&'a String, &'a Json)> {
    t["Resources"].as_object().unwrap().iter().filter(|(_, r)| r["Type"] == ty).collect()
}

fn reference(v: &Json) -> Option<&str> {
    v.get("Ref").and_then(Json::as_str).or_else(|| v.get("Fn::GetAtt").and_then(|a| a[0].as_str()))
}

/// Service name (from its logical id) → the ECS service.
fn services(t: &Json) -> BTreeMap<String, &Json> {
    of_type(t, "AWS::ECS::Service")
        .into_iter()
        .map(|(id, s)| (id.split("Service").next().unwrap().to_owned(), s))
        .collect()
}

#[test]
fn a_namespace_per_region_is_the_clusters_default_and_every_service_publishes_its_port() {
    let t = synth(props(true));
    let ns = of_type(&t, "AWS::ServiceDiscovery::HttpNamespace");
    assert_eq!(ns.len(), 1);
    assert_eq!(ns[0].1["Properties"]["Name"], json!({"Fn::Sub": "${AWS::StackName}"}));
    let (_, cluster) = of_type(&t, "AWS::ECS::Cluster")[0];
    assert_eq!(reference(&cluster["Properties"]["ServiceConnectDefaults"]["Namespace"]), Some(ns[0].0.as_str()));
    for (name, port) in [("Orders", 8080), ("Catalog", 8081), ("Web", 8082)] {
        let sc = &services(&t)[name]["Properties"]["ServiceConnectConfiguration"];
        assert_eq!(sc["Enabled"], true, "{name}");
        assert_eq!(reference(&sc["Namespace"]), Some(ns[0].0.as_str()));
        let published = &sc["Services"][0];
        assert_eq!(published["PortName"], "http");
        assert_eq!(published["DiscoveryName"], name.to_lowercase());
        assert_eq!(published["ClientAliases"], json!([{"DnsName": name.to_lowercase(), "Port": port}]));
        assert_eq!(sc["LogConfiguration"]["Options"]["awslogs-stream-prefix"], "service-connect");
    }
    // The callee's timeouts; the others keep ECS's.
    assert_eq!(
        services(&t)["Catalog"]["Properties"]["ServiceConnectConfiguration"]["Services"][0]["Timeout"],
        json!({"IdleTimeoutSeconds": 60, "PerRequestTimeoutSeconds": 5})
    );
    assert!(
        services(&t)["Orders"]["Properties"]["ServiceConnectConfiguration"]["Services"][0].get("Timeout").is_none()
    );
    // The published port is named, with HTTP as its protocol.
    for (_, td) in of_type(&t, "AWS::ECS::TaskDefinition") {
        let pm = &td["Properties"]["ContainerDefinitions"][0]["PortMappings"][0];
        assert_eq!((pm["Name"].as_str(), pm["AppProtocol"].as_str()), (Some("http"), Some("http")));
    }
    // Still ECS deployments (HAP034).
    for s in services(&t).values() {
        assert_eq!(s["Properties"]["DeploymentController"]["Type"], "ECS");
    }
}

#[test]
fn security_groups_still_admit_only_the_declared_callers() {
    let t = synth(props(true));
    let sg_of: BTreeMap<String, String> = services(&t)
        .into_iter()
        .map(|(n, s)| {
            let sg = &s["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"][0];
            (reference(sg).unwrap().to_owned(), n)
        })
        .collect();
    let mut pairs = Vec::new();
    for (_, r) in of_type(&t, "AWS::EC2::SecurityGroupIngress") {
        let p = &r["Properties"];
        let (Some(to), Some(from)) = (sg_of.get(reference(&p["GroupId"]).unwrap()), p.get("SourceSecurityGroupId"))
        else {
            continue;
        };
        if let Some(from) = sg_of.get(reference(from).unwrap()) {
            pairs.push((from.clone(), to.clone(), p["FromPort"].as_i64().unwrap(), p["ToPort"].as_i64().unwrap()));
        }
    }
    assert_eq!(pairs, [("Orders".to_owned(), "Catalog".to_owned(), 8081, 8081)]);
}

#[test]
fn without_service_connect_nothing_changes() {
    let t = synth(props(false));
    assert!(of_type(&t, "AWS::ServiceDiscovery::HttpNamespace").is_empty());
    assert!(of_type(&t, "AWS::ECS::Cluster")[0].1["Properties"].get("ServiceConnectDefaults").is_none());
    for s in services(&t).values() {
        assert!(s["Properties"].get("ServiceConnectConfiguration").is_none());
    }
    for (_, td) in of_type(&t, "AWS::ECS::TaskDefinition") {
        assert!(td["Properties"]["ContainerDefinitions"][0]["PortMappings"][0].get("Name").is_none());
    }
}

#[test]
fn service_connect_templates_pass_haplat_check_and_cfn_lint_in_every_region() {
    let app = App::new("shop");
    MultiRegionApi::new_stack_set(&app, "Api", props(true));
    let assembly = app.synth().unwrap();
    let report = haplat_check::check_assembly(&assembly).unwrap();
    assert!(!report.has_errors(), "{:?}", report.findings);
    let t = assembly.template("shop-Api").unwrap();
    let lint =
        haplat_tests::lint_templates(&[("api".to_owned(), t)], &["us-east-1".to_owned(), "eu-west-1".to_owned()]);
    assert!(lint.is_clean(), "{lint}");
}

/// Target group logical id prefix (the service name) → the target group.
fn target_groups(t: &Json) -> BTreeMap<String, &Json> {
    of_type(t, "AWS::ElasticLoadBalancingV2::TargetGroup")
        .into_iter()
        .map(|(id, g)| (id.split("TargetGroup").next().unwrap().to_owned(), g))
        .collect()
}

#[test]
fn tls_to_the_tasks_makes_the_target_groups_https_and_the_published_port_tcp() {
    let mut p = props(true);
    p.services[1].target_protocol = TargetProtocol::Https;
    p.services[1].connect_timeouts = Some(ConnectTimeouts { per_request_seconds: 0, idle_seconds: 60 });
    let t = synth(p);
    for (id, g) in of_type(&t, "AWS::ElasticLoadBalancingV2::TargetGroup") {
        let https = id.starts_with("Catalog");
        let want = if https { "HTTPS" } else { "HTTP" };
        assert_eq!(g["Properties"]["Protocol"], want, "{id}");
        assert_eq!(g["Properties"]["HealthCheckProtocol"], want, "{id}");
    }
    assert!(target_groups(&t).keys().any(|k| k.starts_with("Catalog")));
    // Service Connect passes the TLS through: no HTTP application protocol, no per-request timeout.
    for (id, td) in of_type(&t, "AWS::ECS::TaskDefinition") {
        let pm = &td["Properties"]["ContainerDefinitions"][0]["PortMappings"][0];
        assert_eq!(pm["Name"], "http", "{id}");
        assert_eq!(pm.get("AppProtocol").is_none(), id.starts_with("Catalog"), "{id}");
    }
    assert_eq!(
        services(&t)["Catalog"]["Properties"]["ServiceConnectConfiguration"]["Services"][0]["Timeout"],
        json!({"IdleTimeoutSeconds": 60})
    );
}

#[test]
fn a_per_request_timeout_with_tls_to_the_tasks_is_an_error_naming_the_service() {
    let mut p = props(true);
    p.services[1].target_protocol = TargetProtocol::Https;
    let app = App::new("shop");
    MultiRegionApi::new_stack_set(&app, "Api", p);
    let err = app.synth().unwrap_err().to_string();
    let problems: Vec<&str> = err.lines().filter(|l| l.contains("per_request_seconds")).collect();
    assert_eq!(problems.len(), 1, "{err}");
    assert!(
        problems[0].contains("Api/Catalog: connect timeouts: per_request_seconds must be 0 with TargetProtocol::Https"),
        "{err}"
    );
}

/// The environment of a service's application container, by variable.
fn environment(t: &Json, service: &str) -> BTreeMap<String, String> {
    let (_, td) = of_type(t, "AWS::ECS::TaskDefinition").into_iter().find(|(id, _)| id.starts_with(service)).unwrap();
    td["Properties"]["ContainerDefinitions"][0]["Environment"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|kv| (kv["Name"].as_str().unwrap().to_owned(), kv["Value"].as_str().unwrap_or_default().to_owned()))
        .collect()
}

#[test]
fn each_caller_finds_the_address_of_what_it_may_call_in_its_environment() {
    let t = synth(props(true));
    assert_eq!(environment(&t, "Orders").get("CATALOG_URL").map(String::as_str), Some("http://catalog:8081"));
    // Only callers: the callee and the others get nothing.
    for s in ["Catalog", "Web"] {
        assert!(!environment(&t, s).contains_key("CATALOG_URL"), "{s}");
    }
    // Without Service Connect, the Cloud Map name.
    let t = synth(props(false));
    assert_eq!(
        environment(&t, "Orders").get("CATALOG_URL").map(String::as_str),
        Some("http://catalog.internal.local:8081")
    );
    // TLS to the callee: https; a value the caller sets itself is kept.
    let mut p = props(true);
    p.services[1].target_protocol = TargetProtocol::Https;
    p.services[1].connect_timeouts = None;
    let t = synth(p);
    assert_eq!(environment(&t, "Orders").get("CATALOG_URL").map(String::as_str), Some("https://catalog:8081"));
    let mut p = props(true);
    p.services[0].environment.insert("CATALOG_URL".into(), "http://catalog.example:80".into());
    let t = synth(p);
    assert_eq!(environment(&t, "Orders").get("CATALOG_URL").map(String::as_str), Some("http://catalog.example:80"));
}

#[test]
fn the_dashboard_shows_the_calls_each_service_receives_through_service_connect() {
    use haplat_constructs::monitoring::RegionalMonitoringProps;
    let dashboard = |connect: bool| {
        let app = App::new("shop");
        let api = MultiRegionApi::new_stack_set(&app, "Api", props(connect));
        let mut m = RegionalMonitoringProps::new(&["us-east-1", "eu-west-1"]);
        m.alarm_emails = vec!["oncall@example.com".into()];
        api.monitor("Monitoring", m);
        let t = app.synth().unwrap_or_else(|e| panic!("{e}")).template("shop-Api").unwrap();
        let (_, d) = of_type(&t, "AWS::CloudWatch::Dashboard")[0];
        d["Properties"]["DashboardBody"].to_string()
    };
    let body = dashboard(true);
    for name in ["orders", "catalog", "web"] {
        assert!(
            body.contains(&format!(r#"\"DiscoveryName\",\"{name}\""#)),
            "{name}: no RequestCount per DiscoveryName in {body}"
        );
        assert!(body.contains(&format!(r#"\"TargetDiscoveryName\",\"{name}\""#)), "{name}");
    }
    assert!(body.contains("calls through Service Connect") && body.contains("TargetResponseTime"));
    assert!(!dashboard(false).contains("Service Connect"));
}
