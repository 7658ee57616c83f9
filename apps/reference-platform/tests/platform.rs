//! The reference platform per environment, asserted on its assembly, and the binary's contract
//! with `haplat synth` (`HAPLAT_ENV`, `HAPLAT_OUTDIR`, exit codes).

use std::process::Command;

use haplat_core::manifest::Target;
use reference_platform::config;
use serde_json::Value as Json;

fn synth(env: &str) -> haplat_core::Assembly {
    let env = config::load(env).unwrap();
    reference_platform::platform(&env).synth().unwrap_or_else(|e| panic!("{e}"))
}

fn resources_of<'a>(t: &'a Json, ty: &str) -> Vec<&'a Json> {
    t["Resources"].as_object().unwrap().values().filter(|r| r["Type"] == ty).collect()
}

#[test]
fn stacks_carry_the_environment_and_deploy_in_waves() {
    for (env, regions) in [
        ("dev", vec!["us-east-1", "us-west-2"]),
        ("staging", vec!["us-east-1", "eu-west-1"]),
        ("prod", vec!["us-east-1", "us-west-2", "eu-west-1"]),
    ] {
        let a = synth(env);
        let names: Vec<&str> = a.manifest.stacks.iter().map(|s| s.name.as_str()).collect();
        // The real-time workers (staging, prod) read every region's API: a stack set after it.
        let realtime = env != "dev";
        // Prod's account gets the security baseline, beside the data in the first wave.
        let mut expected = Vec::new();
        if env == "prod" {
            expected.push(format!("shop-{env}-Baseline"));
        }
        expected.extend([format!("shop-{env}-Data"), format!("shop-{env}-Global"), format!("shop-{env}-Api")]);
        if realtime {
            expected.push(format!("shop-{env}-Realtime"));
        }
        expected.push(format!("shop-{env}-Edge"));
        assert_eq!(names, expected);
        let api = a.manifest.stack(&format!("shop-{env}-Api")).unwrap();
        assert_eq!(api.target, Target::StackSet { regions: regions.iter().map(|r| r.to_string()).collect() });
        assert_eq!(
            a.manifest.stack(&format!("shop-{env}-Edge")).unwrap().target,
            Target::Region { region: "us-east-1".into() }
        );
        assert_eq!(a.manifest.waves.len(), if realtime { 5 } else { 4 }, "{env}");
    }
}

#[test]
fn services_images_are_in_ecr_in_every_region_and_prod_is_pinned_by_digest() {
    for (env, repos, others) in [
        ("prod", vec!["shop-prod/catalog", "shop-prod/orders", "shop-prod/realtime"], vec!["us-west-2", "eu-west-1"]),
        ("staging", vec!["shop-staging/catalog", "shop-staging/orders", "shop-staging/realtime"], vec!["eu-west-1"]),
    ] {
        let a = synth(env);
        let global = a.template(&format!("shop-{env}-Global")).unwrap();
        let names: Vec<&str> = resources_of(&global, "AWS::ECR::Repository")
            .iter()
            .map(|r| r["Properties"]["RepositoryName"].as_str().unwrap())
            .collect();
        assert_eq!(names, repos, "{env}");
        let rc = resources_of(&global, "AWS::ECR::ReplicationConfiguration");
        let rule = &rc[0]["Properties"]["ReplicationConfiguration"]["Rules"][0];
        let dest: Vec<&str> =
            rule["Destinations"].as_array().unwrap().iter().map(|d| d["Region"].as_str().unwrap()).collect();
        assert_eq!(dest, others, "{env}: replicated to every other region of the platform");
        assert_eq!(rule["RepositoryFilters"][0]["Filter"], format!("shop-{env}/"));
        // Each region's replicas get its key: a creation template in every region of Data.
        let data = a.template(&format!("shop-{env}-Data")).unwrap();
        let templates = resources_of(&data, "AWS::ECR::RepositoryCreationTemplate");
        assert!(templates.iter().any(|t| t["Properties"]["Prefix"] == format!("shop-{env}/")), "{env}");
        let api = a.template(&format!("shop-{env}-Api")).unwrap();
        for td in resources_of(&api, "AWS::ECS::TaskDefinition") {
            let image = td["Properties"]["ContainerDefinitions"][0]["Image"]["Fn::Sub"].as_str().unwrap();
            assert!(image.starts_with("${AWS::AccountId}.dkr.ecr.${AWS::Region}."), "{image}");
            assert_eq!(image.contains("@sha256:"), env == "prod", "{env}: {image}");
            assert_eq!(td["Metadata"]["haplat:production"] == true, env == "prod");
        }
    }
    // dev keeps the public placeholder, through each region's pull-through cache.
    let a = synth("dev");
    assert!(resources_of(&a.template("shop-dev-Global").unwrap(), "AWS::ECR::Repository").is_empty());
    let api = a.template("shop-dev-Api").unwrap();
    let td = resources_of(&api, "AWS::ECS::TaskDefinition")[0];
    assert_eq!(
        td["Properties"]["ContainerDefinitions"][0]["Image"]["Fn::Sub"],
        "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/ecr-public/nginx/nginx:1.27"
    );
    let data = a.template("shop-dev-Data").unwrap();
    assert_eq!(resources_of(&data, "AWS::ECR::PullThroughCacheRule").len(), 3);
}

#[test]
fn staging_and_prod_services_call_each_other_through_service_connect() {
    for env in ["staging", "prod"] {
        let a = synth(env);
        let api = a.template(&format!("shop-{env}-Api")).unwrap();
        assert_eq!(resources_of(&api, "AWS::ServiceDiscovery::HttpNamespace").len(), 1, "{env}");
        let services = resources_of(&api, "AWS::ECS::Service");
        let published: Vec<&str> = services
            .iter()
            .map(|s| s["Properties"]["ServiceConnectConfiguration"]["Services"][0]["DiscoveryName"].as_str().unwrap())
            .collect();
        assert_eq!(published, ["catalog", "orders"], "{env}");
        let catalog = services.iter().find(|s| s["Metadata"]["haplat:path"] == "Api/catalog/Service").unwrap();
        let sc = &catalog["Properties"]["ServiceConnectConfiguration"]["Services"][0];
        assert_eq!(sc["Timeout"]["PerRequestTimeoutSeconds"], 5);
        // Task to task: exactly orders -> catalog, on catalog's port.
        let ingress: Vec<&Json> = resources_of(&api, "AWS::EC2::SecurityGroupIngress")
            .into_iter()
            .filter(|r| {
                r["Properties"].get("SourceSecurityGroupId").is_some_and(|s| {
                    s.get("Fn::GetAtt").is_some_and(|g| g[0].as_str().unwrap().starts_with("OrdersSecurityGroup"))
                })
            })
            .collect();
        assert_eq!(ingress.len(), 1, "{env}");
        assert_eq!(ingress[0]["Properties"]["FromPort"], 8080);
        assert!(ingress[0]["Metadata"]["haplat:path"].as_str().unwrap().starts_with("Api/catalog"), "{env}");
    }
    let dev = synth("dev");
    assert!(resources_of(&dev.template("shop-dev-Api").unwrap(), "AWS::ServiceDiscovery::HttpNamespace").is_empty());
}

/// staging with a third service, `ledger`, that only orders calls, through Service Connect.
fn staging_with_ledger(access: &str) -> Result<config::Environment, String> {
    let text = std::fs::read_to_string(config::environments_dir().join("staging.yaml")).unwrap();
    let ledger = format!(
        "  - name: ledger\n    image: ledger:1.0.0\n    port: 8080\n    cpu: 256\n    memory: 512\n    \
         min: 1\n    max: 2\n    callers: [orders]\n    access: {access}\n"
    );
    let marker = "# Services call each other through ECS Service Connect";
    assert!(text.contains(marker));
    config::parse(&text.replacen(marker, &format!("{ledger}{marker}"), 1), std::path::Path::new("staging.yaml"))
}

#[test]
fn an_environment_declares_a_cloud_map_only_service_that_its_callers_reach_by_name() {
    let env = staging_with_ledger("cloud-map-only").unwrap();
    let a = reference_platform::platform(&env).synth().unwrap_or_else(|e| panic!("{e}"));
    let api = a.template("shop-staging-Api").unwrap();
    let under = |ty: &str, prefix: &str| -> usize {
        resources_of(&api, ty)
            .iter()
            .filter(|r| r["Metadata"]["haplat:path"].as_str().is_some_and(|p| p.starts_with(prefix)))
            .count()
    };
    // No load balancer of its own, nothing routed to it: orders reaches it by name.
    assert_eq!(under("AWS::ElasticLoadBalancingV2::TargetGroup", "Api/ledger"), 0);
    assert_eq!(under("AWS::ElasticLoadBalancingV2::ListenerRule", "Api/ledger"), 0);
    let ledger = resources_of(&api, "AWS::ECS::Service")
        .into_iter()
        .find(|s| s["Metadata"]["haplat:path"] == "Api/ledger/Service")
        .expect("the ledger service");
    assert!(ledger["Properties"].get("LoadBalancers").is_none());
    assert_eq!(ledger["Properties"]["DeploymentConfiguration"]["DeploymentCircuitBreaker"]["Rollback"], true);
    let orders_env = resources_of(&api, "AWS::ECS::TaskDefinition")
        .into_iter()
        .find(|t| t["Metadata"]["haplat:path"].as_str().is_some_and(|p| p.starts_with("Api/orders/")))
        .map(|t| t["Properties"]["ContainerDefinitions"][0]["Environment"].clone())
        .expect("orders' task definition");
    assert!(
        orders_env.as_array().unwrap().iter().any(|v| v["Name"] == "LEDGER_URL" && v["Value"] == "http://ledger:8080"),
        "{orders_env}"
    );
    // Its region health follows its running tasks, and the whole app passes haplat check.
    let running = resources_of(&api, "AWS::CloudWatch::Alarm")
        .into_iter()
        .filter(|a| a["Properties"]["MetricName"] == "RunningTaskCount")
        .filter(|a| a["Properties"]["AlarmDescription"].as_str().is_some_and(|d| d.contains("ledger: no running task")))
        .count();
    assert_eq!(running, 1);
    // Its SLOs count its calls as orders' Service Connect proxy sees them.
    for (slo, metric) in [
        ("Api/ledgerAvailability/Burn1hLong", "HTTPCode_Target_5XX_Count"),
        ("Api/ledgerLatency/Burn1hLong", "TargetResponseTime"),
    ] {
        let alarm = resources_of(&api, "AWS::CloudWatch::Alarm")
            .into_iter()
            .find(|a| a["Metadata"]["haplat:path"] == slo)
            .unwrap_or_else(|| panic!("no {slo}"));
        let stat = alarm["Properties"]["Metrics"].as_array().unwrap().iter().find_map(|q| q.get("MetricStat")).unwrap();
        assert_eq!(stat["Metric"]["Namespace"], "AWS/ECS", "{slo}");
        assert_eq!(stat["Metric"]["MetricName"], metric, "{slo}");
        assert_eq!(
            stat["Metric"]["Dimensions"],
            serde_json::json!([{"Name": "TargetDiscoveryName", "Value": "ledger"}]),
            "{slo}"
        );
    }
    let report = haplat_check::check(&haplat_check::Assembly::from_synth(&a).unwrap());
    let errors: Vec<_> = report.active(haplat_check::Severity::Error).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // The environment file refuses what such a service cannot have, naming the field.
    let text = std::fs::read_to_string(config::environments_dir().join("staging.yaml")).unwrap();
    let parse = |t: String| config::parse(&t, std::path::Path::new("staging.yaml")).unwrap_err();
    let e =
        parse(text.replacen("    read_only: true\n", "    read_only: true\n    access: cloud-map-only\n", 1).replacen(
            "service_connect: true",
            "service_connect: false",
            1,
        ));
    for want in [
        "services[1].access: cloud-map-only needs service_connect: true",
        "services[1].access: cloud-map-only has no load balancer to route path_patterns or read_only on",
    ] {
        assert!(e.contains(want), "missing {want:?} in {e}");
    }
    let e = parse(text.replacen("  - name: orders\n", "  - name: orders\n    access: internal\n", 1));
    assert!(e.contains("services[0].access: orders must be public"), "{e}");
    let e = staging_with_ledger("internal").map(|_| ()).and(staging_with_ledger("everyone")).unwrap_err();
    assert!(e.contains("unknown variant `everyone`, expected one of public, internal, cloud-map-only"), "{e}");
}

/// Issue 12's acceptance over prod's templates: the load balancer's own 5xx in every error-rate
/// alarm and availability SLO of a service or load balancer; every target group in the region's
/// health; a latency SLO per service and the entry's; canaries; every critical alarm reaching
/// someone (its own actions, or through a composite alarm or the Route 53 check that reads it).
#[test]
fn prod_sees_and_pages_the_whole_outage() {
    let a = synth("prod");
    let api = a.template("shop-prod-Api").unwrap();
    let all: Vec<(&String, &Json)> = api["Resources"].as_object().unwrap().iter().collect();
    let path = |r: &Json| r["Metadata"]["haplat:path"].as_str().unwrap_or_default().to_owned();
    let of = |ty: &str| all.iter().filter(move |(_, r)| r["Type"] == ty).copied().collect::<Vec<_>>();
    let alarms = of("AWS::CloudWatch::Alarm");
    let services = ["orders", "catalog"];
    // 5xx the load balancer answers itself, wherever 5xx are counted against a service or the entry.
    let counted: Vec<(String, bool)> = alarms
        .iter()
        .map(|(_, r)| (path(r), r["Properties"]["Metrics"].to_string().contains("HTTPCode_ELB_5XX_Count")))
        .filter(|(p, _)| {
            p.ends_with("/ErrorRate")
                || p.starts_with("Api/PublicAlbAvailability/")
                || services.iter().any(|s| p.starts_with(&format!("Api/{s}Availability/")))
        })
        .collect();
    // The load balancers' and each service's ErrorRate, the four windows of the entry's SLO and of each service's.
    assert_eq!(counted.len(), 3 + 4 + 2 * 4, "{counted:?}");
    assert!(counted.iter().all(|(_, elb)| *elb), "{counted:?}");
    // Every target group's healthy hosts feed the region's calculated check.
    let region = all.iter().find(|(_, r)| path(r) == "Api/RegionHealth/Check").expect("the region's check").1;
    let children = region["Properties"]["HealthCheckConfig"]["ChildHealthChecks"].to_string();
    for (tg, _) in of("AWS::ElasticLoadBalancingV2::TargetGroup") {
        let alarm = alarms
            .iter()
            .find(|(_, r)| {
                r["Properties"]["MetricName"] == "HealthyHostCount"
                    && r["Properties"]["Dimensions"].to_string().contains(&format!("\"{tg}\""))
            })
            .unwrap_or_else(|| panic!("no healthy-hosts alarm on {tg}"))
            .0;
        let check = of("AWS::Route53::HealthCheck")
            .into_iter()
            .find(|(_, c)| {
                c["Properties"]["HealthCheckConfig"]["AlarmIdentifier"].to_string().contains(&format!("\"{alarm}\""))
            })
            .unwrap_or_else(|| panic!("no check reads {alarm}"))
            .0;
        assert!(children.contains(&format!("\"{check}\"")), "{check} is not a child of the region's check");
    }
    // Latency SLOs: the entry's and each service's; two canaries per region.
    let composites = of("AWS::CloudWatch::CompositeAlarm");
    for slo in ["Api/PublicAlbLatency/Burn1h", "Api/ordersLatency/Burn1h", "Api/catalogLatency/Burn1h"] {
        assert!(composites.iter().any(|(_, c)| path(c) == slo), "no {slo}");
    }
    assert_eq!(of("AWS::Synthetics::Canary").len(), 2);
    // Every critical alarm reaches someone.
    let readers: String =
        composites.iter().chain(of("AWS::Route53::HealthCheck").iter()).map(|(_, r)| r.to_string()).collect();
    for (id, r) in alarms.iter().chain(composites.iter()) {
        let critical = r["Properties"]["AlarmDescription"].to_string().contains("[critical]");
        let actions = r["Properties"]["AlarmActions"].as_array().is_some_and(|a| !a.is_empty());
        assert!(!critical || actions || readers.contains(&format!("\"{id}\"")), "{} pages no one", path(r));
    }
}

#[test]
fn dev_saves_on_nat_and_prod_has_one_per_zone() {
    let nats = |env: &str| {
        let a = synth(env);
        let t = a.template(&format!("shop-{env}-Api")).unwrap();
        resources_of(&t, "AWS::EC2::NatGateway").len()
    };
    assert_eq!(nats("dev"), 1);
    assert_eq!(nats("prod"), 3);
}

#[test]
fn active_active_uses_latency_records_and_active_passive_failover() {
    let records = |env: &str| {
        let a = synth(env);
        let t = a.template(&format!("shop-{env}-Edge")).unwrap();
        resources_of(&t, "AWS::Route53::RecordSet")
            .into_iter()
            .map(|r| (r["Properties"]["Region"].is_string(), r["Properties"]["Failover"].as_str().map(str::to_owned)))
            .collect::<Vec<_>>()
    };
    let prod = records("prod");
    // origin.<domain> and ws.<domain>, each a latency record per region.
    assert_eq!(prod.iter().filter(|(latency, _)| *latency).count(), 6, "{prod:?}");
    let staging = records("staging");
    let failover: Vec<_> = staging.iter().filter_map(|(_, f)| f.clone()).collect();
    assert!(failover.contains(&"PRIMARY".to_owned()) && failover.contains(&"SECONDARY".to_owned()), "{staging:?}");
}

#[test]
fn the_table_is_global_over_every_region_and_retained() {
    let a = synth("prod");
    let t = a.template("shop-prod-Global").unwrap();
    // The orders and the real-time tier's connection registry.
    let mut tables = resources_of(&t, "AWS::DynamoDB::GlobalTable");
    assert_eq!(tables.len(), 2);
    tables.retain(|t| t["Metadata"]["haplat:path"] == "Global/Orders/Table");
    assert_eq!(tables.len(), 1);
    let replicas: Vec<&str> =
        tables[0]["Properties"]["Replicas"].as_array().unwrap().iter().map(|r| r["Region"].as_str().unwrap()).collect();
    assert_eq!(replicas.len(), 3);
    assert_eq!(tables[0]["DeletionPolicy"], "Retain");
}

#[test]
fn every_environment_option_reaches_the_templates() {
    let prod = synth("prod");
    let edge = prod.template("shop-prod-Edge").unwrap();
    assert_eq!(resources_of(&edge, "AWS::Shield::Protection").len(), 1, "shield_advanced: true");
    let dev = synth("dev");
    assert!(resources_of(&dev.template("shop-dev-Edge").unwrap(), "AWS::Shield::Protection").is_empty());
    let prod_api = prod.template("shop-prod-Api").unwrap();
    assert_eq!(resources_of(&prod_api, "AWS::RDS::GlobalCluster").len(), 1, "data.aurora: true");
    let dev_api = dev.template("shop-dev-Api").unwrap();
    assert!(resources_of(&dev_api, "AWS::RDS::GlobalCluster").is_empty());
    assert!(resources_of(&dev_api, "AWS::FIS::ExperimentTemplate").is_empty(), "chaos off in dev");
    assert!(resources_of(&dev_api, "AWS::ApiGatewayV2::Api").is_empty(), "websocket off in dev");
    assert!(resources_of(&dev_api, "AWS::XRay::SamplingRule").is_empty(), "no service traces in dev");
    assert_eq!(resources_of(&prod_api, "AWS::XRay::SamplingRule").len(), 2, "both prod services trace");
    let staging_api = synth("staging").template("shop-staging-Api").unwrap();
    assert!(!resources_of(&staging_api, "AWS::FIS::ExperimentTemplate").is_empty());
    assert!(!resources_of(&staging_api, "AWS::ApiGatewayV2::Api").is_empty());
    let tags = &prod.manifest.stack("shop-prod-Api").unwrap().tags;
    assert_eq!(tags.get("environment").map(String::as_str), Some("prod"));
    assert_eq!(tags.get("cost-center").map(String::as_str), Some("shop-prod"));
}

#[test]
fn generated_environments_scale_regions_and_services() {
    let env = reference_platform::synthetic_environment(4, 4).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((env.regions.len(), env.services.len()), (4, 4));
    let a = reference_platform::platform(&env).synth().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.manifest.stack("shop-r4s4-Api").unwrap().target.regions().len(), 4);
}

#[test]
fn the_binary_writes_the_environment_named_by_haplat_env() {
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_reference-platform"))
        .env("HAPLAT_ENV", "prod")
        .env("HAPLAT_OUTDIR", out.path())
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let m =
        haplat_core::manifest::Manifest::from_json(&std::fs::read_to_string(out.path().join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(m.app, "shop-prod");
    assert!(out.path().join("shop-prod-Api.template.json").exists());
}

#[test]
fn an_unknown_environment_is_exit_1_and_writes_nothing() {
    let out = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_reference-platform"))
        .env("HAPLAT_ENV", "qa")
        .env("HAPLAT_OUTDIR", out.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("haplat: environment \"qa\": cannot read") && err.contains("(environments: dev, prod, staging)"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn sixteen_regions_of_sixteen_services_fit_cloudformation_limits_in_service_stacks() {
    let env = reference_platform::synthetic_environment(16, 16).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(env.services_per_stack, Some(4));
    let a = reference_platform::platform(&env).synth().unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<&str> = a.manifest.stacks.iter().map(|s| s.id.as_str()).collect();
    for k in 1..=4 {
        assert!(ids.contains(&format!("ApiServices{k}").as_str()), "{ids:?}");
    }
    assert!(ids.contains(&"ApiChaos"), "{ids:?}");
    for s in &a.manifest.stacks {
        let t = a.template(&s.name).unwrap();
        let count = |k: &str| t[k].as_object().map_or(0, |m| m.len());
        eprintln!(
            "{:<14} wave {} resources {:>3} parameters {:>3} outputs {:>3} bytes {:>7}",
            s.id,
            s.wave,
            s.resources.len(),
            count("Parameters"),
            count("Outputs"),
            s.template_bytes
        );
        assert!(
            s.resources.len() <= 500
                && count("Parameters") <= 200
                && count("Outputs") <= 200
                && s.template_bytes <= 1_000_000,
            "{}",
            s.id
        );
    }
    let wave = |id: &str| a.manifest.stacks.iter().find(|s| s.id == id).unwrap().wave;
    for k in 1..=4 {
        assert!(wave(&format!("ApiServices{k}")) > wave("Api"));
        assert!(wave("ApiChaos") > wave(&format!("ApiServices{k}")));
    }
}

/// The resource of `ty` whose construct path ends with `path`.
fn at<'a>(t: &'a Json, ty: &str, path: &str) -> &'a Json {
    t["Resources"]
        .as_object()
        .unwrap()
        .values()
        .find(|r| r["Type"] == ty && r["Metadata"]["haplat:path"].as_str().is_some_and(|p| p.ends_with(path)))
        .unwrap_or_else(|| panic!("no {ty} at …{path}"))
}

#[test]
fn staging_and_prod_run_the_real_time_tier_end_to_end() {
    for (env, regions, failover) in [
        ("staging", vec!["us-east-1", "eu-west-1"], true),
        ("prod", vec!["us-east-1", "us-west-2", "eu-west-1"], false),
    ] {
        let a = synth(env);
        let domain = if env == "prod" { "shop.example.com" } else { "staging.shop.example.com" };
        // The registry: a global table over every region, TTL on, keyed by connection.
        let global = a.template(&format!("shop-{env}-Global")).unwrap();
        let registry = at(&global, "AWS::DynamoDB::GlobalTable", "Connections/Table");
        assert_eq!(registry["Properties"]["KeySchema"][0]["AttributeName"], "connectionId");
        assert_eq!(registry["Properties"]["TimeToLiveSpecification"]["AttributeName"], "expiresAt");
        assert_eq!(registry["Properties"]["Replicas"].as_array().unwrap().len(), regions.len());

        let api = a.template(&format!("shop-{env}-Api")).unwrap();
        // The authorizer on $connect only, the JWT issuer and audience from the environment file.
        let connect = at(&api, "AWS::ApiGatewayV2::Route", "Realtime/ConnectRoute");
        assert_eq!(connect["Properties"]["AuthorizationType"], "CUSTOM");
        for r in ["DisconnectRoute", "DefaultRoute"] {
            assert!(at(&api, "AWS::ApiGatewayV2::Route", r)["Properties"].get("AuthorizerId").is_none());
        }
        let authorizer = at(&api, "AWS::Lambda::Function", "Realtime/Authorizer");
        let vars = &authorizer["Properties"]["Environment"]["Variables"];
        assert!(vars["ISSUER"].as_str().unwrap().starts_with("https://auth."), "{vars}");
        assert_eq!(vars["AUDIENCE"], "shop-realtime");
        // Throttles on the stage and on $connect.
        let stage = at(&api, "AWS::ApiGatewayV2::Stage", "Realtime/Stage");
        assert_eq!(stage["Properties"]["DefaultRouteSettings"]["ThrottlingRateLimit"], 500.0);
        assert_eq!(stage["Properties"]["RouteSettings"]["$connect"]["ThrottlingRateLimit"], 50.0);
        // The registry function writes exactly the table's replica in its region.
        let role = at(&api, "AWS::IAM::Role", "Realtime/ConnectionsRole");
        let statements = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].as_array().unwrap();
        let dynamo: Vec<&Json> =
            statements.iter().filter(|s| s["Action"][0].as_str().unwrap().starts_with("dynamodb:")).collect();
        assert_eq!(dynamo.len(), 1);
        assert_eq!(dynamo[0]["Action"], serde_json::json!(["dynamodb:DeleteItem", "dynamodb:PutItem"]));
        let arn = dynamo[0]["Resource"][0]["Fn::Sub"][0].as_str().unwrap();
        assert!(arn.contains(":dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Table}"), "{arn}");
        // $default → the region's queue, KMS-encrypted, with a dead-letter queue.
        let integration = at(&api, "AWS::ApiGatewayV2::Integration", "Realtime/QueueIntegration");
        assert_eq!(integration["Properties"]["IntegrationType"], "AWS");
        let queue = at(&api, "AWS::SQS::Queue", "Realtime/MessagesQueue");
        assert!(queue["Properties"]["KmsMasterKeyId"].is_object());
        assert!(queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"].is_object());
        // The custom domain: regional, TLS 1.2, a certificate of the region for both names.
        let cert = at(&api, "AWS::CertificateManager::Certificate", "Realtime/Certificate");
        assert_eq!(cert["Properties"]["DomainName"], format!("ws.{domain}"));
        assert_eq!(
            cert["Properties"]["SubjectAlternativeNames"][0]["Fn::Sub"],
            format!("${{AWS::Region}}.ws.{domain}")
        );
        let d = at(&api, "AWS::ApiGatewayV2::DomainName", "Realtime/Domain");
        assert_eq!(d["Properties"]["DomainNameConfigurations"][0]["EndpointType"], "REGIONAL");
        at(&api, "AWS::ApiGatewayV2::ApiMapping", "Realtime/DomainMapping");
        // Alarms: the paging ones carry the region-down runbook.
        for (id, critical) in [
            ("Errors", true),
            ("QueueAge", true),
            ("ClientErrors", false),
            ("Latency", false),
            ("Connections", false),
            ("DeadLetters", false),
        ] {
            let alarm = at(&api, "AWS::CloudWatch::Alarm", &format!("RealtimeAlarms/{id}"));
            let text = alarm["Properties"]["AlarmDescription"].as_str().unwrap();
            assert_eq!(text.starts_with("[critical]"), critical, "{text}");
            assert!(alarm["Properties"]["AlarmActions"].is_array(), "{id} notifies the topic");
        }

        // The workers: an ECS service with no load balancer, exactly @connections of each region's API.
        let realtime = a.template(&format!("shop-{env}-Realtime")).unwrap();
        let service = at(&realtime, "AWS::ECS::Service", "Workers/Service");
        assert!(service["Properties"].get("LoadBalancers").is_none());
        assert!(service["Properties"].get("HealthCheckGracePeriodSeconds").is_none());
        let task_role = at(&realtime, "AWS::IAM::Role", "Workers/TaskRole");
        let text = task_role.to_string();
        let manage: Vec<&Json> = task_role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["Action"] == serde_json::json!(["execute-api:ManageConnections"]))
            .collect();
        assert_eq!(manage.len(), 1, "{text}");
        let arns = manage[0]["Resource"].as_array().unwrap();
        assert_eq!(arns.len(), regions.len());
        for (arn, region) in arns.iter().zip(&regions) {
            let sub = arn["Fn::Sub"][0].as_str().unwrap();
            assert_eq!(
                sub,
                format!(
                    "arn:${{AWS::Partition}}:execute-api:{region}:${{AWS::AccountId}}:${{Api}}/live/POST/@connections/*"
                )
            );
        }
        assert!(text.contains("sqs:ReceiveMessage") && text.contains("sqs:DeleteMessage"), "{text}");

        // ws.<domain>: one routed record per region, health-checked, latency or failover.
        let edge = a.template(&format!("shop-{env}-Edge")).unwrap();
        let routed: Vec<&Json> = resources_of(&edge, "AWS::Route53::RecordSet")
            .into_iter()
            .filter(|r| r["Properties"]["Name"] == format!("ws.{domain}."))
            .collect();
        assert_eq!(routed.len(), regions.len());
        for r in &routed {
            assert!(r["Properties"]["HealthCheckId"].is_object());
            assert_eq!(r["Properties"].get("Failover").is_some(), failover);
            assert_eq!(r["Properties"].get("Region").is_some(), !failover);
        }
    }
    // dev keeps the single-function WebSocket API off (and no real-time tier).
    assert!(synth("dev").template("shop-dev-Realtime").is_none());
}

/// Every generated environment the benchmark measures synthesizes (one region has no routing
/// controls: there is nowhere to move traffic to).
#[test]
fn every_benchmarked_shape_synthesizes() {
    for regions in [1, 4, 16] {
        let env = reference_platform::synthetic_environment(regions, 1).unwrap_or_else(|e| panic!("{e}"));
        let dir = tempfile::tempdir().unwrap();
        reference_platform::platform(&env).synth_to(dir.path()).unwrap_or_else(|e| panic!("{regions} region(s): {e}"));
    }
}
