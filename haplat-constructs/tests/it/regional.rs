//! The regional half (MultiRegionApi and its parts): behaviours asserted on synthesized
//! templates, misuse reported with construct paths, and cfn-lint over every region.

use std::collections::{BTreeMap, BTreeSet};

use haplat_constructs::api::{ApiCertificate, ApiProps, MultiRegionApi};
use haplat_constructs::cidr::Ipv4Cidr;
use haplat_constructs::fargate::RunAs;
use haplat_constructs::scaling::StepScaling;
use haplat_constructs::security::{Grantable, Grantee, Permission, SecretRef, UNSCOPED_ACTIONS};
use haplat_constructs::service::{Deployment, ServiceProps};
use haplat_constructs::zone::HostedZone;
use haplat_constructs::{DrMode, OriginVerify, RegionSpec};
use haplat_core::App;
use serde_json::{Value as Json, json};

const ZONE: &str = "Z0123456789ABCDEFGHIJ";

pub(crate) fn services() -> Vec<ServiceProps> {
    let mut orders = ServiceProps::new("Orders", "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:1.2.0", 8080);
    orders.path_patterns = vec!["/orders/*".into()];
    orders.xray = true;
    orders.cpu = 512;
    orders.memory = 2048;
    orders.secrets.insert("DB_PASSWORD".into(), SecretRef::new("shop/db-password"));
    orders.environment.insert("MODE".into(), "prod".into());
    orders.scaling.step = Some(StepScaling {
        namespace: "Shop".into(),
        metric_name: "QueueDepth".into(),
        dimensions: [("Queue".to_owned(), "orders".to_owned())].into(),
        statistic: "Average".into(),
        threshold: 100.0,
        steps: vec![(0.0, Some(100.0), 1), (100.0, None, 3)],
    });
    let mut web = ServiceProps::new("Web", "public.ecr.aws/nginx/nginx:1.27", 8081);
    web.deployment = Deployment::Linear { step_percent: 20.0, step_minutes: 2 };
    let mut admin = ServiceProps::new("Admin", "public.ecr.aws/nginx/nginx:1.27", 9000);
    admin.internal = true;
    admin.deployment = Deployment::Rolling;
    vec![orders, web, admin]
}

pub(crate) fn props(regions: Vec<RegionSpec>) -> ApiProps {
    ApiProps {
        services: services(),
        interface_endpoints: true,
        ..ApiProps::new(
            regions,
            "api.example.com",
            ApiCertificate::DnsValidated { zone: HostedZone::existing(ZONE, "example.com") },
        )
    }
}

fn two_regions() -> Vec<RegionSpec> {
    vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("us-west-2")]
}

pub(crate) fn fronted(mut p: ApiProps) -> ApiProps {
    p.fronted_by_cloudfront = Some(OriginVerify::new("shop/origin-verify"));
    p
}

fn synth(p: ApiProps) -> Json {
    let app = App::new("shop");
    MultiRegionApi::new_stack_set(&app, "Api", p);
    let assembly = app.synth().unwrap_or_else(|e| panic!("synth failed:\n{e}"));
    assembly.template("shop-Api").expect("the Api template")
}

fn synth_err(p: ApiProps) -> String {
    let app = App::new("shop");
    MultiRegionApi::new_stack_set(&app, "Api", p);
    match app.synth() {
        Ok(_) => panic!("synth should have failed"),
        Err(e) => e.to_string(),
    }
}

pub(crate) fn resources<'a>(t: &'a Json, type_: &str) -> Vec<(&'a String, &'a Json)> {
    t["Resources"].as_object().unwrap().iter().filter(|(_, r)| r["Type"] == type_).collect()
}

fn reference(v: &Json) -> Option<&str> {
    v.get("Ref").and_then(Json::as_str).or_else(|| v.get("Fn::GetAtt").and_then(|a| a[0].as_str()))
}

// ---------------------------------------------------------------- regions and CIDRs

#[test]
fn cidrs_never_overlap_whether_allocated_or_given() {
    let regions = vec![
        RegionSpec::primary("us-east-1"),
        RegionSpec::secondary("us-west-2").with_cidr("10.0.0.0/16"),
        RegionSpec::secondary("eu-west-1"),
        RegionSpec::secondary("eu-central-1").with_cidr("10.2.0.0/20"),
    ];
    let t = synth(props(regions));
    let config = t["Mappings"]["RegionConfig"].as_object().unwrap();
    let cidrs: Vec<(String, Ipv4Cidr)> =
        config.iter().map(|(r, c)| (r.clone(), c["VpcCidr"].as_str().unwrap().parse().unwrap())).collect();
    assert_eq!(cidrs.len(), 4);
    assert_eq!(config["us-west-2"]["VpcCidr"], "10.0.0.0/16");
    assert_eq!(config["eu-central-1"]["VpcCidr"], "10.2.0.0/20");
    for (i, (ra, a)) in cidrs.iter().enumerate() {
        for (rb, b) in &cidrs[i + 1..] {
            assert!(!a.overlaps(b), "{ra} {a} overlaps {rb} {b}");
        }
    }
    // The smaller VPC gets smaller subnets: 6 subnets of a /20 are /23s (9 host bits).
    assert_eq!(config["eu-central-1"]["SubnetBits"], 9);
    assert_eq!(config["us-east-1"]["SubnetBits"], 13);
    // The VPC takes its CIDR from the mapping; subnets are carved with Fn::Cidr in Fn::GetAZs zones.
    let (_, vpc) = resources(&t, "AWS::EC2::VPC")[0];
    assert_eq!(
        vpc["Properties"]["CidrBlock"],
        json!({"Fn::FindInMap": ["RegionConfig", {"Ref": "AWS::Region"}, "VpcCidr"]})
    );
    for (_, s) in resources(&t, "AWS::EC2::Subnet") {
        assert_eq!(s["Properties"]["CidrBlock"]["Fn::Select"][1]["Fn::Cidr"][0], vpc["Properties"]["CidrBlock"]);
        assert_eq!(s["Properties"]["AvailabilityZone"]["Fn::Select"][1], json!({"Fn::GetAZs": ""}));
    }
}

#[test]
fn overlapping_or_invalid_cidrs_are_errors_naming_the_path() {
    let err = synth_err(props(vec![
        RegionSpec::primary("us-east-1").with_cidr("10.0.0.0/16"),
        RegionSpec::secondary("us-west-2").with_cidr("10.0.128.0/17"),
    ]));
    assert!(err.contains("Api: region us-west-2: VPC CIDR 10.0.128.0/17 overlaps 10.0.0.0/16"), "{err}");
    let err = synth_err(props(vec![RegionSpec::primary("us-east-1").with_cidr("10.0.0.1/16")]));
    assert!(err.contains("Api: region us-east-1: \"10.0.0.1/16\" is not an IPv4 CIDR block"), "{err}");
    let err = synth_err(props(vec![RegionSpec::primary("us-east-1").with_cidr("8.8.0.0/16")]));
    assert!(err.contains("not a private range"), "{err}");
}

#[test]
fn region_misuse_is_reported_with_the_path() {
    let err = synth_err(props(vec![RegionSpec::secondary("us-east-1"), RegionSpec::secondary("us-west-2")]));
    assert!(err.contains("Api: exactly one region must be primary; 0 are"), "{err}");
    let err = synth_err(props(vec![RegionSpec::primary("us-east-1"), RegionSpec::primary("us-west-2")]));
    assert!(err.contains("Api: exactly one region must be primary; 2 are (us-east-1, us-west-2)"), "{err}");
    let err = synth_err(props(vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("us-east-1")]));
    assert!(err.contains("Api: region us-east-1 is listed more than once"), "{err}");
    let err = synth_err(props(vec![]));
    assert!(err.contains("Api: a MultiRegionApi needs at least one region"), "{err}");
    for azs in [1, 7] {
        let err = synth_err(ApiProps { azs, ..props(two_regions()) });
        assert!(err.contains(&format!("Api/Network: {azs} availability zones asked; use 2 to 6")), "{err}");
    }
}

#[test]
fn more_zones_than_a_region_has_is_an_error_naming_the_region() {
    let regions = vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("us-west-1")];
    let err = synth_err(props(regions.clone()));
    assert!(
        err.contains("Api/Network: 3 availability zones asked, but Fn::GetAZs has fewer in a region of the stack (us-west-1 has 2, for most accounts); use at most 2"),
        "{err}"
    );
    let t = synth(ApiProps { azs: 2, ..props(regions.clone()) });
    assert_eq!(resources(&t, "AWS::EC2::Subnet").len(), 4);
    // Unknown regions count as 3; us-west-2 has 4, us-east-1 6.
    synth(ApiProps { azs: 3, ..props(vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("mx-central-1")]) });
    synth(ApiProps { azs: 4, ..props(two_regions()) });
    let err = synth_err(ApiProps { azs: 5, ..props(two_regions()) });
    assert!(err.contains("(us-west-2 has 4, for most accounts); use at most 4"), "{err}");
    // An account that sees a third zone in us-west-1 says so.
    let az_counts = [("us-west-1".to_owned(), 3)].into();
    synth(ApiProps { az_counts, ..props(regions) });
}

#[test]
fn zone_ids_place_subnets_by_id_and_names_are_suppressed_with_the_doctor_s_check() {
    let by_id = vec![
        RegionSpec::primary("us-east-1").with_zone_ids(&["use1-az1", "use1-az2", "use1-az4"]),
        RegionSpec::secondary("us-west-2").with_zone_ids(&["usw2-az1", "usw2-az2", "usw2-az3"]),
    ];
    let t = synth(props(by_id.clone()));
    let subnets = resources(&t, "AWS::EC2::Subnet");
    assert_eq!(subnets.len(), 6);
    for (id, s) in &subnets {
        let p = &s["Properties"];
        assert!(p.get("AvailabilityZone").is_none(), "{id}: {p:#}");
        assert_eq!(p["AvailabilityZoneId"]["Fn::FindInMap"][0], "RegionConfig", "{id}: {p:#}");
        assert!(s["Metadata"].get("haplat:suppress").is_none(), "{id}: nothing to suppress");
    }
    assert_eq!(t["Mappings"]["RegionConfig"]["us-east-1"]["ZoneId3"], "use1-az4");
    assert_eq!(t["Mappings"]["RegionConfig"]["us-west-2"]["ZoneId1"], "usw2-az1");
    // By name: each subnet says why HAP012 is left to `haplat doctor`.
    let t = synth(props(two_regions()));
    for (id, s) in resources(&t, "AWS::EC2::Subnet") {
        assert!(s["Properties"]["AvailabilityZone"]["Fn::Select"].is_array(), "{id}");
        let sup = &s["Metadata"]["haplat:suppress"][0];
        assert_eq!(sup["id"], "HAP012", "{id}");
        assert!(sup["reason"].as_str().unwrap().contains("haplat doctor"), "{id}");
    }
    // Misuse: one line each, naming the path and the region.
    let mut some = by_id.clone();
    some[1].zone_ids.clear();
    let err = synth_err(props(some));
    assert!(err.contains("Api: zone_ids are given for some regions but not for us-west-2"), "{err}");
    let mut short = by_id.clone();
    short[0].zone_ids.pop();
    let err = synth_err(props(short));
    assert!(err.contains("region us-east-1: 2 zone_ids given for 3 availability zones"), "{err}");
    let mut bad = by_id.clone();
    bad[0].zone_ids[1] = "us-east-1b".into();
    let err = synth_err(props(bad));
    assert!(err.contains("region us-east-1: zone_ids[1] \"us-east-1b\" is not a zone ID"), "{err}");
    let mut twice = by_id;
    twice[1].zone_ids[2] = "usw2-az1".into();
    let err = synth_err(props(twice));
    assert!(err.contains("region us-west-2: zone_ids[2] usw2-az1 is listed twice"), "{err}");
}

#[test]
fn azs_and_nat_mode_shape_the_network() {
    use haplat_constructs::network::NatMode;
    let t = synth(ApiProps { azs: 2, nat: NatMode::Single, ..props(two_regions()) });
    assert_eq!(resources(&t, "AWS::EC2::Subnet").len(), 4);
    assert_eq!(resources(&t, "AWS::EC2::NatGateway").len(), 1);
    let t = synth(ApiProps { azs: 6, ..props(vec![RegionSpec::primary("us-east-1")]) });
    assert_eq!(resources(&t, "AWS::EC2::Subnet").len(), 12);
    assert_eq!(resources(&t, "AWS::EC2::NatGateway").len(), 6);
    let t = synth(props(two_regions()));
    let endpoints: BTreeSet<String> = resources(&t, "AWS::EC2::VPCEndpoint")
        .iter()
        .map(|(_, e)| {
            e["Properties"]["ServiceName"]["Fn::Sub"].as_str().unwrap().replace("com.amazonaws.${AWS::Region}.", "")
        })
        .collect();
    assert_eq!(endpoints, ["dynamodb", "ecr.api", "ecr.dkr", "logs", "s3", "secretsmanager"].map(String::from).into());
    let (_, vpc) = resources(&t, "AWS::EC2::VPC")[0];
    assert_eq!(vpc["Properties"]["EnableDnsHostnames"], true);
    assert_eq!(vpc["Properties"]["EnableDnsSupport"], true);
    assert_eq!(resources(&t, "AWS::EC2::FlowLog").len(), 1);
}

// ---------------------------------------------------------------- placement

/// Subnets whose default route goes to the internet gateway.
fn public_subnets(t: &Json) -> BTreeSet<String> {
    let igw_tables: BTreeSet<&str> = resources(t, "AWS::EC2::Route")
        .iter()
        .filter(|(_, r)| r["Properties"].get("GatewayId").is_some())
        .map(|(_, r)| reference(&r["Properties"]["RouteTableId"]).unwrap())
        .collect();
    resources(t, "AWS::EC2::SubnetRouteTableAssociation")
        .iter()
        .filter(|(_, a)| igw_tables.contains(reference(&a["Properties"]["RouteTableId"]).unwrap()))
        .map(|(_, a)| reference(&a["Properties"]["SubnetId"]).unwrap().to_owned())
        .collect()
}

fn refs_in(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::Object(m) => {
            if let Some(r) = reference(v) {
                out.push(r.to_owned());
            }
            m.values().for_each(|x| refs_in(x, out));
        }
        Json::Array(a) => a.iter().for_each(|x| refs_in(x, out)),
        _ => {}
    }
}

#[test]
fn tasks_run_only_in_private_subnets_and_only_albs_and_nat_in_public_ones() {
    let t = synth(props(two_regions()));
    let public = public_subnets(&t);
    assert_eq!(public.len(), 3);
    let all: BTreeSet<String> = resources(&t, "AWS::EC2::Subnet").iter().map(|(id, _)| (*id).clone()).collect();
    assert_eq!(all.len(), 6);
    for (_, s) in resources(&t, "AWS::EC2::Subnet") {
        assert_eq!(s["Properties"]["MapPublicIpOnLaunch"], false);
    }
    let services = resources(&t, "AWS::ECS::Service");
    assert_eq!(services.len(), 3);
    for (id, s) in services {
        let vpc = &s["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"];
        assert_eq!(vpc["AssignPublicIp"], "DISABLED", "{id}");
        let subnets: Vec<&str> = vpc["Subnets"].as_array().unwrap().iter().map(|s| reference(s).unwrap()).collect();
        assert_eq!(subnets.len(), 3);
        for sn in subnets {
            assert!(all.contains(sn) && !public.contains(sn), "{id} runs in {sn}, a public subnet");
        }
        assert_eq!(s["Properties"]["LaunchType"], "FARGATE");
    }
    // Whatever refers to a public subnet is a NAT gateway, an internet-facing ALB or a route table association.
    for (id, r) in t["Resources"].as_object().unwrap() {
        let mut refs = Vec::new();
        refs_in(&r["Properties"], &mut refs);
        if refs.iter().any(|x| public.contains(x)) {
            let ty = r["Type"].as_str().unwrap();
            let ok = match ty {
                "AWS::EC2::NatGateway" | "AWS::EC2::SubnetRouteTableAssociation" => true,
                "AWS::ElasticLoadBalancingV2::LoadBalancer" => r["Properties"]["Scheme"] == "internet-facing",
                _ => false,
            };
            assert!(ok, "{id} ({ty}) is placed in a public subnet");
        }
    }
    // The internal ALB lives in the private subnets.
    let internal: Vec<_> = resources(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
        .into_iter()
        .filter(|(_, l)| l["Properties"]["Scheme"] == "internal")
        .collect();
    assert_eq!(internal.len(), 1);
}

// ---------------------------------------------------------------- security groups

/// Every ingress rule of the template: (security group logical id, rule).
fn ingress_rules(t: &Json) -> Vec<(String, Json)> {
    let mut out = Vec::new();
    for (id, sg) in resources(t, "AWS::EC2::SecurityGroup") {
        for r in sg["Properties"]["SecurityGroupIngress"].as_array().into_iter().flatten() {
            out.push((id.clone(), r.clone()));
        }
    }
    for (_, r) in resources(t, "AWS::EC2::SecurityGroupIngress") {
        out.push((reference(&r["Properties"]["GroupId"]).unwrap().to_owned(), r["Properties"].clone()));
    }
    out
}

#[test]
fn security_groups_open_only_the_ports_in_use() {
    let t = synth(props(two_regions()));
    let container_ports: BTreeSet<i64> = [8080, 8081, 9000].into();
    let task_sgs: BTreeSet<String> = resources(&t, "AWS::ECS::Service")
        .iter()
        .map(|(_, s)| {
            reference(&s["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"][0])
                .unwrap()
                .to_owned()
        })
        .collect();
    let alb_sgs: BTreeSet<String> = resources(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
        .iter()
        .map(|(_, l)| reference(&l["Properties"]["SecurityGroups"][0]).unwrap().to_owned())
        .collect();
    let rules = ingress_rules(&t);
    assert!(!rules.is_empty());
    for (sg, r) in &rules {
        let (from, to) = (r["FromPort"].as_i64().unwrap(), r["ToPort"].as_i64().unwrap());
        assert_eq!(from, to, "{sg}: port ranges are never opened");
        assert_eq!(r["IpProtocol"], "tcp");
        if task_sgs.contains(sg) {
            assert!(container_ports.contains(&from), "{sg} opens {from}");
            let src = reference(&r["SourceSecurityGroupId"]).expect("tasks admit a security group, not addresses");
            assert!(alb_sgs.contains(src), "{sg} admits {src}, not an ALB");
        } else if alb_sgs.contains(sg) {
            assert!(from == 443 || from == 80, "{sg} opens {from}");
        } else {
            assert_eq!(from, 443, "{sg} (endpoints) opens {from}");
            assert!(
                r.get("CidrIp").is_some_and(|c| c.get("Fn::FindInMap").is_some()),
                "endpoints admit the VPC only: {r}"
            );
        }
    }
    // Every task port is open to exactly its ALB, and the ALBs reach tasks only on those ports.
    for (_, e) in resources(&t, "AWS::EC2::SecurityGroupEgress") {
        assert!(container_ports.contains(&e["Properties"]["FromPort"].as_i64().unwrap()));
        assert!(task_sgs.contains(reference(&e["Properties"]["DestinationSecurityGroupId"]).unwrap()));
    }
    // Tasks only call out on HTTPS.
    for sg in &task_sgs {
        let egress = &t["Resources"][sg]["Properties"]["SecurityGroupEgress"];
        assert_eq!(egress.as_array().unwrap().len(), 1);
        assert_eq!(egress[0]["FromPort"], 443);
    }
}

/// The task security group of each service, by service name (from the ECS services).
fn task_security_groups(t: &Json) -> BTreeMap<String, String> {
    resources(t, "AWS::ECS::Service")
        .iter()
        .map(|(id, s)| {
            let sg = &s["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"][0];
            (id.split("Service").next().unwrap().to_owned(), reference(sg).unwrap().to_owned())
        })
        .collect()
}

#[test]
fn only_named_callers_reach_a_service_and_only_on_its_port() {
    let mut p = props(two_regions());
    p.services[0].callers = vec!["Web".into()]; // Web -> Orders (8080)
    p.services[2].callers = vec!["Orders".into(), "Orders".into()]; // Orders -> Admin (9000), internal
    p.services[2].listener_port = 8443;
    let t = synth(p);
    let sgs = task_security_groups(&t);
    let name_of = |sg: &str| sgs.iter().find(|(_, g)| *g == sg).map(|(n, _)| n.clone());
    let alb_sgs: BTreeSet<String> = resources(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
        .iter()
        .map(|(_, l)| reference(&l["Properties"]["SecurityGroups"][0]).unwrap().to_owned())
        .collect();
    // Task-to-task ingress: exactly the named pairs, on the callee's container port.
    let mut ingress: Vec<(String, String, i64)> = Vec::new();
    for (_, r) in resources(&t, "AWS::EC2::SecurityGroupIngress") {
        let p = &r["Properties"];
        let (Some(to), Some(from)) = (name_of(reference(&p["GroupId"]).unwrap()), p.get("SourceSecurityGroupId"))
        else {
            continue;
        };
        if let Some(from) = name_of(reference(from).unwrap()) {
            assert_eq!(p["FromPort"], p["ToPort"]);
            ingress.push((from, to, p["FromPort"].as_i64().unwrap()));
        }
    }
    ingress.sort();
    assert_eq!(ingress, [("Orders".into(), "Admin".into(), 9000), ("Web".into(), "Orders".into(), 8080)]);
    // Egress beyond HTTPS: the matching pairs, and Orders to the internal ALB on its port 8443.
    let mut egress: Vec<(String, String, i64)> = Vec::new();
    for (_, r) in resources(&t, "AWS::EC2::SecurityGroupEgress") {
        let p = &r["Properties"];
        let Some(from) = name_of(reference(&p["GroupId"]).unwrap()) else { continue };
        let dest = reference(&p["DestinationSecurityGroupId"]).unwrap();
        let to = name_of(dest).unwrap_or_else(|| {
            assert!(alb_sgs.contains(dest), "{from} egress to {dest}");
            "InternalAlb".into()
        });
        egress.push((from, to, p["FromPort"].as_i64().unwrap()));
    }
    egress.sort();
    assert_eq!(
        egress,
        [
            ("Orders".into(), "Admin".into(), 9000),
            ("Orders".into(), "InternalAlb".into(), 8443),
            ("Web".into(), "Orders".into(), 8080)
        ]
    );
    // The internal ALB admits its declared caller only, on that port: no address range.
    let internal: Vec<Json> = ingress_rules(&t)
        .into_iter()
        .filter(|(sg, _)| alb_sgs.contains(sg) && sg != &public_alb_sg(&t))
        .map(|(_, r)| r)
        .collect();
    assert!(internal.iter().all(|r| r.get("CidrIp").is_none()), "{internal:?}");
    let admitted: Vec<(Option<String>, i64)> = internal
        .iter()
        .map(|r| (name_of(reference(&r["SourceSecurityGroupId"]).unwrap()), r["FromPort"].as_i64().unwrap()))
        .collect();
    assert_eq!(admitted, [(Some("Orders".to_owned()), 8443)]);

    // An unknown caller, or a service calling itself, is an error naming the callee.
    let mut p = props(two_regions());
    p.services[0].callers = vec!["Billing".into()];
    p.services[1].callers = vec!["Web".into()];
    let err = synth_err(p);
    assert!(
        err.contains("Api/Orders: caller Billing is not a service of this API (services: Orders, Web, Admin)"),
        "{err}"
    );
    assert!(err.contains("Api/Web: a service cannot be its own caller"), "{err}");
}

/// The security group of the internet-facing ALB.
fn public_alb_sg(t: &Json) -> String {
    let (_, l) = resources(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
        .into_iter()
        .find(|(_, l)| l["Properties"]["Scheme"] == "internet-facing")
        .unwrap();
    reference(&l["Properties"]["SecurityGroups"][0]).unwrap().to_owned()
}

#[test]
fn the_alb_is_closed_to_the_internet_when_fronted_by_cloudfront() {
    let t = synth(fronted(props(two_regions())));
    for (sg, r) in ingress_rules(&t) {
        assert_ne!(r.get("CidrIp"), Some(&json!("0.0.0.0/0")), "{sg} is open to the internet");
        assert!(r.get("CidrIp").is_none() || r["FromPort"] != 80, "{sg} opens port 80 to an address range: {r}");
    }
    let public_alb = resources(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
        .into_iter()
        .find(|(_, l)| l["Properties"]["Scheme"] == "internet-facing")
        .unwrap();
    let alb_sg = reference(&public_alb.1["Properties"]["SecurityGroups"][0]).unwrap();
    let from_cloudfront: Vec<Json> =
        ingress_rules(&t).into_iter().filter(|(sg, _)| sg == alb_sg).map(|(_, r)| r).collect();
    assert_eq!(from_cloudfront.len(), 1);
    assert_eq!(
        from_cloudfront[0]["SourcePrefixListId"],
        json!({"Fn::FindInMap": ["RegionConfig", {"Ref": "AWS::Region"}, "CloudFrontPrefixList"]})
    );
    let config = &t["Mappings"]["RegionConfig"];
    assert_eq!(config["us-east-1"]["CloudFrontPrefixList"], "pl-3b927c52");
    assert_eq!(config["us-west-2"]["CloudFrontPrefixList"], "pl-82a045eb");
    // No plain-HTTP listener on the public ALB; its HTTPS listener answers 403 unless a rule
    // matches, and every rule of the public ALB requires the secret origin header.
    let listeners = resources(&t, "AWS::ElasticLoadBalancingV2::Listener");
    let on_public: Vec<_> = listeners
        .iter()
        .filter(|(_, l)| reference(&l["Properties"]["LoadBalancerArn"]) == Some(public_alb.0))
        .collect();
    assert!(on_public.iter().all(|(_, l)| l["Properties"]["Protocol"] == "HTTPS"));
    let public_listener =
        listeners.iter().find(|(_, l)| reference(&l["Properties"]["LoadBalancerArn"]) == Some(public_alb.0)).unwrap();
    assert_eq!(public_listener.1["Properties"]["DefaultActions"][0]["FixedResponseConfig"]["StatusCode"], "403");
    let rules: Vec<_> = resources(&t, "AWS::ElasticLoadBalancingV2::ListenerRule")
        .into_iter()
        .filter(|(_, r)| reference(&r["Properties"]["ListenerArn"]) == Some(public_listener.0.as_str()))
        .collect();
    assert_eq!(rules.len(), 2);
    for (id, r) in rules {
        let header = r["Properties"]["Conditions"].as_array().unwrap().iter().find(|c| c["Field"] == "http-header");
        let header = header.unwrap_or_else(|| panic!("{id} does not check the origin header"));
        assert_eq!(header["HttpHeaderConfig"]["HttpHeaderName"], "X-Origin-Verify");
        assert_eq!(header["HttpHeaderConfig"]["Values"], json!(["{{resolve:secretsmanager:shop/origin-verify}}"]));
    }
}

#[test]
fn a_fronted_alb_listens_on_443_only() {
    let mut p = fronted(props(two_regions()));
    p.services[1].listener_port = 8443;
    let err = synth_err(p);
    assert!(
        err.contains("Api/PublicAlb: listener port 8443: an ALB fronted by CloudFront listens on 443 only"),
        "{err}"
    );
    // The internal ALB is not fronted: other ports stay fine there.
    let mut p = fronted(props(two_regions()));
    p.services[2].listener_port = 8443;
    let t = synth(p);
    let ports: BTreeSet<i64> = resources(&t, "AWS::ElasticLoadBalancingV2::Listener")
        .iter()
        .map(|(_, l)| l["Properties"]["Port"].as_i64().unwrap())
        .collect();
    assert_eq!(ports, [80, 443, 8443].into(), "public: 443; internal: 80 (redirect) and 8443");
}

#[test]
fn an_unfronted_alb_redirects_http_and_speaks_tls_1_2_and_1_3_only() {
    let t = synth(props(two_regions()));
    let listeners = resources(&t, "AWS::ElasticLoadBalancingV2::Listener");
    let http: Vec<_> = listeners.iter().filter(|(_, l)| l["Properties"]["Protocol"] == "HTTP").collect();
    assert_eq!(http.len(), 2, "one redirect per ALB");
    for (_, l) in http {
        assert_eq!(l["Properties"]["DefaultActions"][0]["RedirectConfig"]["Protocol"], "HTTPS");
        assert_eq!(l["Properties"]["DefaultActions"][0]["RedirectConfig"]["StatusCode"], "HTTP_301");
    }
    for (_, l) in listeners.iter().filter(|(_, l)| l["Properties"]["Protocol"] == "HTTPS") {
        assert_eq!(l["Properties"]["SslPolicy"], "ELBSecurityPolicy-TLS13-1-2-2021-06");
        assert!(reference(&l["Properties"]["Certificates"][0]["CertificateArn"]).is_some());
    }
    for (_, lb) in resources(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer") {
        let attrs: BTreeMap<&str, &Json> = lb["Properties"]["LoadBalancerAttributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["Key"].as_str().unwrap(), &a["Value"]))
            .collect();
        // On while the stack lives, bound to the parameter `haplat destroy` lifts first.
        assert_eq!(
            attrs["deletion_protection.enabled"],
            &json!({"Fn::If": ["HaplatDeletionProtectionOn", "true", "false"]})
        );
        assert_eq!(t["Parameters"]["HaplatDeletionProtection"]["Default"], "true");
        assert_eq!(attrs["routing.http.drop_invalid_header_fields.enabled"], &"true");
    }
    // A created certificate is DNS-validated in the zone, for the domain and its regional name.
    let (_, cert) = resources(&t, "AWS::CertificateManager::Certificate")[0];
    assert_eq!(cert["Properties"]["ValidationMethod"], "DNS");
    assert_eq!(cert["Properties"]["DomainValidationOptions"][0]["HostedZoneId"], ZONE);
}

#[test]
fn given_certificates_are_looked_up_per_region() {
    let arns: BTreeMap<String, String> = [
        ("us-east-1".to_owned(), "arn:aws:acm:us-east-1:111111111111:certificate/a".to_owned()),
        ("us-west-2".to_owned(), "arn:aws:acm:us-west-2:111111111111:certificate/b".to_owned()),
    ]
    .into();
    let t = synth(ApiProps { certificate: ApiCertificate::Arns(arns.clone()), ..props(two_regions()) });
    assert!(resources(&t, "AWS::CertificateManager::Certificate").is_empty());
    assert_eq!(t["Mappings"]["RegionConfig"]["us-west-2"]["CertificateArn"], arns["us-west-2"].as_str());
    let mut wrong = arns.clone();
    wrong.insert("us-west-2".into(), "arn:aws:acm:us-east-1:111111111111:certificate/b".into());
    let err = synth_err(ApiProps { certificate: ApiCertificate::Arns(wrong), ..props(two_regions()) });
    assert!(err.contains("Api: certificate") && err.contains("is not an ACM certificate ARN of that region"), "{err}");
    let mut missing = arns;
    missing.remove("us-west-2");
    let err = synth_err(ApiProps { certificate: ApiCertificate::Arns(missing), ..props(two_regions()) });
    assert!(err.contains("Api: region value \"CertificateArn\" has no value for us-west-2"), "{err}");
}

// ---------------------------------------------------------------- IAM and encryption

fn statements(t: &Json) -> Vec<(String, Json)> {
    let mut out = Vec::new();
    for (id, role) in resources(t, "AWS::IAM::Role") {
        for p in role["Properties"]["Policies"].as_array().into_iter().flatten() {
            for s in p["PolicyDocument"]["Statement"].as_array().unwrap() {
                out.push((id.clone(), s.clone()));
            }
        }
    }
    out
}

#[test]
fn iam_policies_name_concrete_resources() {
    let t = synth(fronted(props(two_regions())));
    let st = statements(&t);
    assert!(st.len() > 8);
    for (role, s) in &st {
        assert_eq!(s["Effect"], "Allow");
        let actions: Vec<&str> = match &s["Action"] {
            Json::String(a) => vec![a.as_str()],
            Json::Array(a) => a.iter().map(|x| x.as_str().unwrap()).collect(),
            other => panic!("{role}: odd Action {other}"),
        };
        for a in &actions {
            assert!(!a.contains('*'), "{role}: wildcard action {a}");
        }
        if s["Resource"] == "*" {
            for a in &actions {
                assert!(UNSCOPED_ACTIONS.contains(a), "{role}: {a} on every resource");
            }
        } else {
            for r in s["Resource"].as_array().unwrap() {
                assert_ne!(r, "*", "{role}");
            }
        }
    }
    // Trust policies are limited to the account wherever the service sends aws:SourceAccount.
    for (id, role) in resources(&t, "AWS::IAM::Role") {
        let trust = &role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
        let service = trust["Principal"]["Service"].as_str().unwrap();
        if haplat_constructs::security::SOURCE_ACCOUNT_SERVICES.contains(&service) {
            assert_eq!(
                trust["Condition"]["StringEquals"]["aws:SourceAccount"],
                json!({"Ref": "AWS::AccountId"}),
                "{id}"
            );
        } else {
            assert!(trust.get("Condition").is_none(), "{id}: {service} does not send aws:SourceAccount");
        }
    }
}

#[test]
fn the_execution_role_reads_exactly_the_service_secrets_and_image() {
    let t = synth(props(two_regions()));
    let st = statements(&t);
    let orders_exec: Vec<&Json> =
        st.iter().filter(|(r, _)| r.starts_with("OrdersExecutionRole")).map(|(_, s)| s).collect();
    let secrets = orders_exec.iter().find(|s| s["Action"] == json!(["secretsmanager:GetSecretValue"])).unwrap();
    assert_eq!(
        secrets["Resource"],
        json!([{"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:shop/db-password-??????"}])
    );
    let pull = orders_exec.iter().find(|s| s["Action"][0] == "ecr:BatchCheckLayerAvailability").unwrap();
    assert_eq!(
        pull["Resource"],
        json!([{"Fn::Sub": "arn:${AWS::Partition}:ecr:us-east-1:123456789012:repository/orders"}])
    );
    // A public image needs no ECR permission at all.
    assert!(!st.iter().any(|(r, s)| r.starts_with("WebExecutionRole") && s.to_string().contains("ecr:")));
    // The X-Ray daemon runs beside Orders only, and only Orders' task role may send traces.
    let (_, td) =
        resources(&t, "AWS::ECS::TaskDefinition").into_iter().find(|(id, _)| id.starts_with("Orders")).unwrap();
    let names: Vec<&str> = td["Properties"]["ContainerDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["app", "xray-daemon"]);
    assert_eq!(td["Properties"]["Cpu"], "512");
    assert_eq!(td["Properties"]["Memory"], "2048");
    let tracing: Vec<&String> =
        st.iter().filter(|(_, s)| s.to_string().contains("xray:PutTraceSegments")).map(|(r, _)| r).collect();
    assert_eq!(tracing.len(), 1);
    assert!(tracing[0].starts_with("OrdersTaskRole"));
    // ECS takes the secret's (partial) ARN: a bare name would be read as an SSM parameter.
    assert_eq!(
        td["Properties"]["ContainerDefinitions"][0]["Secrets"],
        json!([{"Name": "DB_PASSWORD", "ValueFrom": {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:shop/db-password"}}])
    );
    // No customer key, no KMS permission.
    assert!(!orders_exec.iter().any(|s| s.to_string().contains("kms:")));
}

#[test]
fn a_secret_under_a_customer_key_lets_the_execution_role_decrypt_with_exactly_that_key() {
    // A multi-Region key: each region decrypts with its replica (the same id).
    let key = "arn:aws:kms:us-east-1:111111111111:key/mrk-1234abcd12ab34cd56ef1234567890ab";
    let mut p = props(two_regions());
    let orders = &mut p.services[0];
    orders.secrets.insert("API_KEY".into(), SecretRef::new("shop/api-key").with_key(key.into()));
    orders.secrets.insert("TOKEN".into(), SecretRef::new("shop/token").with_key(key.into()));
    let t = synth(p);
    let st = statements(&t);
    let kms: Vec<&Json> = st
        .iter()
        .filter(|(_, s)| s.to_string().contains("kms:"))
        .map(|(r, s)| {
            assert!(r.starts_with("OrdersExecutionRole"), "{r}");
            s
        })
        .collect();
    assert_eq!(kms.len(), 1);
    assert_eq!(kms[0]["Action"], json!(["kms:Decrypt"]));
    assert_eq!(
        kms[0]["Resource"],
        json!([{"Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:111111111111:key/mrk-1234abcd12ab34cd56ef1234567890ab"}]),
        "the key once, in the reader's region"
    );
    let (_, exec) =
        resources(&t, "AWS::IAM::Role").into_iter().find(|(id, _)| id.starts_with("OrdersExecutionRole")).unwrap();
    let read = exec["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Action"] == json!(["secretsmanager:GetSecretValue"]))
        .unwrap()
        .clone();
    assert_eq!(read["Resource"].as_array().unwrap().len(), 3, "{read}");

    // A single-Region key read in two regions: the replica in the other region has another key.
    let mut p = props(two_regions());
    let single = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    p.services[0].secrets.insert("API_KEY".into(), SecretRef::new("shop/api-key").with_key(single.into()));
    let err = synth_err(p);
    assert!(
        err.contains(&format!("Api/Orders: secret of API_KEY: the secret's key {single} is a key of one region")),
        "{err}"
    );

    // A name ending in a hyphen and six characters cannot be found by partial ARN.
    let mut p = props(two_regions());
    p.services[1].secrets.insert("X".into(), SecretRef::new("shop/db-secret"));
    let err = synth_err(p);
    assert!(
        err.contains("Api/Web: secret of X: secret name \"shop/db-secret\" ends with a hyphen and six characters"),
        "{err}"
    );
}

#[test]
fn grants_add_concrete_statements_to_the_task_role_and_refuse_wildcards() {
    let app = App::new("shop");
    let api = MultiRegionApi::new_stack_set(&app, "Api", props(two_regions()));
    let web = api.service("Web").unwrap();
    web.grant(&SecretRef::new("shop/api-key").read());
    api.key.grant_read_write(web);
    web.grant(&SecretRef::new("shop/api-key").read()); // twice is once
    let t = app.synth().unwrap().template("shop-Api").unwrap();
    let st: Vec<Json> =
        statements(&t).into_iter().filter(|(r, _)| r.starts_with("WebTaskRole")).map(|(_, s)| s).collect();
    assert_eq!(st.len(), 2);
    assert_eq!(st[0]["Action"], json!(["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]));
    assert_eq!(st[1]["Resource"][0]["Fn::GetAtt"][1], "Arn");

    let app = App::new("shop");
    let api = MultiRegionApi::new_stack_set(&app, "Api", props(two_regions()));
    api.service("Orders").unwrap().grant(&Permission::new(["dynamodb:*"], ["*".into()]));
    let err = app.synth().unwrap_err().to_string();
    assert!(err.contains("Api/Orders: grant refused: action \"dynamodb:*\" is a wildcard"), "{err}");
    assert!(err.contains("Api/Orders: grant refused: permission dynamodb:* is on every resource"), "{err}");
}

#[test]
fn every_log_group_is_encrypted_and_retained() {
    let t = synth(props(two_regions()));
    let groups = resources(&t, "AWS::Logs::LogGroup");
    assert_eq!(groups.len(), 5, "flow logs, Container Insights and one per service");
    // The group Container Insights writes to is the template's, named after the cluster, which
    // is created after it.
    let (insights_id, insights) = groups
        .iter()
        .find(|(_, g)| g["Properties"].get("LogGroupName").is_some())
        .expect("the Container Insights log group");
    assert_eq!(
        insights["Properties"]["LogGroupName"],
        json!({"Fn::Sub": "/aws/ecs/containerinsights/${AWS::StackName}/performance"})
    );
    assert_eq!(insights["Properties"]["RetentionInDays"], 30);
    let (_, cluster) = resources(&t, "AWS::ECS::Cluster")[0];
    assert_eq!(cluster["Properties"]["ClusterName"], json!({"Fn::Sub": "${AWS::StackName}"}));
    assert!(cluster["DependsOn"].to_string().contains(insights_id.as_str()), "{cluster}");
    let (key_id, key) = resources(&t, "AWS::KMS::Key")[0];
    assert_eq!(key["Properties"]["EnableKeyRotation"], true);
    assert_eq!(key["DeletionPolicy"], "Retain");
    let logs_use = key["Properties"]["KeyPolicy"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "CloudWatchLogsOfThisAccount")
        .unwrap();
    assert_eq!(logs_use["Principal"]["Service"], json!({"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}));
    assert!(logs_use["Action"].as_array().unwrap().iter().all(|a| !a.as_str().unwrap().contains('*')), "{logs_use}");
    assert!(logs_use["Condition"]["ArnLike"].get("kms:EncryptionContext:aws:logs:arn").is_some());
    for (id, g) in groups {
        assert_eq!(g["Properties"]["KmsKeyId"], json!({"Fn::GetAtt": [key_id, "Arn"]}), "{id}");
        assert!(g["Properties"]["RetentionInDays"].as_i64().unwrap() > 0, "{id}");
        assert_eq!(g["DeletionPolicy"], "Retain", "{id}");
        assert_eq!(g["UpdateReplacePolicy"], "Retain", "{id}");
    }
}

// ---------------------------------------------------------------- services

#[test]
fn invalid_fargate_sizes_are_errors_listing_the_allowed_ones() {
    let mut p = props(two_regions());
    p.services[1].cpu = 1024;
    p.services[1].memory = 1024;
    let err = synth_err(p);
    assert!(
        err.contains(
            "Api/Web: 1024 CPU units with 1024 MiB is not a Fargate size; allowed: 256 CPU units take \
        512, 1024 or 2048 MiB; 512 take 1024 to 4096 MiB in steps of 1024; 1024 take 2048 to 8192"
        ),
        "{err}"
    );
    let mut p = props(two_regions());
    p.services[0].cpu = 300;
    let err = synth_err(p);
    assert!(err.contains("Api/Orders: 300 CPU units is not a Fargate size"), "{err}");
}

#[test]
fn a_port_clash_on_one_alb_is_an_error_naming_it() {
    let mut p = props(two_regions());
    p.services[1].path_patterns = vec!["/orders/*".into()];
    let err = synth_err(p);
    assert!(
        err.contains("Api/PublicAlb: port clash on listener port 443: services Orders and Web both route /orders/*"),
        "{err}"
    );
    // Two catch-all services on one listener clash too; on different listener ports they do not.
    let mut p = props(two_regions());
    p.services[0].path_patterns.clear();
    let err = synth_err(p.clone());
    assert!(err.contains("services Orders and Web both route /*"), "{err}");
    p.services[1].listener_port = 8443;
    let t = synth(p);
    let ports: BTreeSet<i64> = resources(&t, "AWS::ElasticLoadBalancingV2::Listener")
        .iter()
        .map(|(_, l)| l["Properties"]["Port"].as_i64().unwrap())
        .collect();
    assert_eq!(ports, [80, 443, 8443].into());
}

#[test]
fn deployments_roll_back_and_shift_traffic_gradually() {
    let t = synth(props(two_regions()));
    let svc = |name: &str| {
        resources(&t, "AWS::ECS::Service").into_iter().find(|(id, _)| id.starts_with(name)).unwrap().1.clone()
    };
    let orders = svc("Orders");
    let dc = &orders["Properties"]["DeploymentConfiguration"];
    assert_eq!(dc["Strategy"], "CANARY");
    assert_eq!(dc["DeploymentCircuitBreaker"], json!({"Enable": true, "Rollback": true}));
    assert_eq!(dc["Alarms"]["Rollback"], true);
    assert_eq!(dc["Alarms"]["AlarmNames"].as_array().unwrap().len(), 2);
    assert_eq!(orders["Properties"]["DeploymentController"]["Type"], "ECS");
    let lb = &orders["Properties"]["LoadBalancers"][0];
    assert!(
        reference(&lb["AdvancedConfiguration"]["AlternateTargetGroupArn"])
            .unwrap()
            .starts_with("OrdersAlternateTargetGroup")
    );
    assert!(reference(&lb["AdvancedConfiguration"]["ProductionListenerRule"]).is_some());
    assert_eq!(svc("Web")["Properties"]["DeploymentConfiguration"]["Strategy"], "LINEAR");
    let admin = svc("Admin");
    assert_eq!(admin["Properties"]["DeploymentConfiguration"]["Strategy"], "ROLLING");
    assert!(admin["Properties"]["LoadBalancers"][0].get("AdvancedConfiguration").is_none());
    // Service discovery.
    assert_eq!(orders["Properties"]["ServiceRegistries"][0]["RegistryArn"]["Fn::GetAtt"][1], "Arn");
    assert_eq!(resources(&t, "AWS::ServiceDiscovery::PrivateDnsNamespace").len(), 1);
    // Container Insights.
    let (_, cluster) = resources(&t, "AWS::ECS::Cluster")[0];
    assert_eq!(cluster["Properties"]["ClusterSettings"], json!([{"Name": "containerInsights", "Value": "enabled"}]));
}

#[test]
fn autoscaling_tracks_cpu_memory_and_requests_and_steps_on_custom_metrics() {
    let t = synth(props(two_regions()));
    let policies = resources(&t, "AWS::ApplicationAutoScaling::ScalingPolicy");
    let kinds: Vec<String> = policies
        .iter()
        .map(|(_, p)| {
            let c = &p["Properties"]["TargetTrackingScalingPolicyConfiguration"];
            match (
                c["PredefinedMetricSpecification"]["PredefinedMetricType"].as_str(),
                c.get("CustomizedMetricSpecification"),
            ) {
                (Some(kind), _) => kind.to_owned(),
                (None, Some(_)) => "custom".to_owned(),
                (None, None) => "step".to_owned(),
            }
        })
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "ECSServiceAverageCPUUtilization").count(), 3);
    assert_eq!(kinds.iter().filter(|k| *k == "ECSServiceAverageMemoryUtilization").count(), 3);
    // Blue/green services track requests per target over both target groups, as metric math,
    // not the predefined metric of one group (HAP021); the rolling one has one group.
    assert_eq!(kinds.iter().filter(|k| *k == "ALBRequestCountPerTarget").count(), 1);
    assert_eq!(kinds.iter().filter(|k| *k == "custom").count(), 2);
    assert_eq!(kinds.iter().filter(|k| *k == "step").count(), 1);
    let (_, requests) =
        policies.iter().find(|(id, _)| id.starts_with("OrdersScalingRequests")).expect("the request policy of Orders");
    let queries =
        requests["Properties"]["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"]["Metrics"]
            .as_array()
            .unwrap();
    let groups: Vec<&str> = queries
        .iter()
        .filter(|q| q["MetricStat"]["Metric"]["MetricName"] == "RequestCount")
        .filter_map(|q| q["MetricStat"]["Metric"]["Dimensions"][1]["Value"]["Fn::GetAtt"][0].as_str())
        .collect();
    assert_eq!(groups.len(), 2, "both target groups: {groups:?}");
    assert!(groups.iter().any(|g| g.starts_with("OrdersAlternateTargetGroup")), "{groups:?}");
    let returned: Vec<&serde_json::Value> = queries.iter().filter(|q| q["ReturnData"] == true).collect();
    assert_eq!(returned.len(), 1);
    assert_eq!(
        returned[0]["Expression"],
        "(FILL(requests0, 0) + FILL(requests1, 0)) / (FILL(healthy0, 0) + FILL(healthy1, 0))"
    );
    let step_alarm = resources(&t, "AWS::CloudWatch::Alarm")
        .into_iter()
        .find(|(_, a)| a["Properties"]["MetricName"] == "QueueDepth")
        .unwrap();
    assert_eq!(
        reference(&step_alarm.1["Properties"]["AlarmActions"][0]).map(|r| r.starts_with("OrdersScalingStep")),
        Some(true)
    );
}

#[test]
fn a_standby_region_runs_fewer_tasks_in_active_passive_only() {
    let passive = synth(ApiProps { mode: DrMode::ActivePassive, ..props(two_regions()) });
    let c = &passive["Mappings"]["RegionConfig"];
    assert_eq!(
        (c["us-east-1"]["OrdersMinCount"].as_i64(), c["us-west-2"]["OrdersMinCount"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(c["us-west-2"]["Role"], "secondary");
    let active = synth(props(two_regions()));
    let c = &active["Mappings"]["RegionConfig"];
    assert_eq!(c["us-west-2"]["OrdersMinCount"], 2);
    // One template: the floor is looked up, not written per region; autoscaling owns the count,
    // so the service gives none (an update would reset the scaled count to it: HAP020).
    let (_, s) = resources(&active, "AWS::ECS::Service").into_iter().find(|(id, _)| id.starts_with("Orders")).unwrap();
    assert!(s["Properties"].get("DesiredCount").is_none(), "{s}");
    let (_, target) = resources(&active, "AWS::ApplicationAutoScaling::ScalableTarget")
        .into_iter()
        .find(|(id, _)| id.starts_with("Orders"))
        .unwrap();
    assert_eq!(
        target["Properties"]["MinCapacity"],
        json!({"Fn::FindInMap": ["RegionConfig", {"Ref": "AWS::Region"}, "OrdersMinCount"]})
    );
}

#[test]
fn endpoints_are_pinned_to_their_region_and_readable_from_a_global_stack() {
    let app = App::new("shop");
    let api = MultiRegionApi::new_stack_set(&app, "Api", fronted(props(two_regions())));
    let endpoints = api.endpoints();
    assert_eq!(endpoints.iter().map(|e| e.region.as_str()).collect::<Vec<_>>(), ["us-east-1", "us-west-2"]);
    assert_eq!(endpoints[0].health_check_path, "/health");
    // Fronted: Route 53 cannot reach the ALB, so each region offers a health check of its own
    // over the alarms of its services' target groups.
    assert!(endpoints.iter().all(|e| e.health_check_id.is_some()));
    let global = app.stack("Edge", "us-east-1");
    // A template needs a resource; this one only reads values.
    global.add("Handle", haplat_core::resources::cloudformation::WaitConditionHandle::default());
    for e in &endpoints {
        let r = e.region.replace('-', "");
        global.add_output(&format!("Origin{r}"), e.dns_name.clone(), "");
        global.add_output(&format!("Zone{r}"), e.hosted_zone_id.clone(), "");
        global.add_output(&format!("Check{r}"), e.health_check_id.clone().unwrap(), "");
    }
    let assembly = app.synth().unwrap_or_else(|e| panic!("{e}"));
    let edge = assembly.template("shop-Edge").unwrap();
    assert_eq!(edge["Parameters"].as_object().unwrap().len(), 6, "one parameter per region and value");
    let metrics = api.metrics();
    assert_eq!(metrics.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["Orders", "Web", "Admin"]);

    // The alarms: HealthyHostCount of every target group of every service.
    let t = assembly.template("shop-Api").unwrap();
    let mut groups = Vec::new();
    let mut alarm_ids = Vec::new();
    for (id, a) in resources(&t, "AWS::CloudWatch::Alarm").into_iter().filter(|(id, _)| id.contains("RegionHealth")) {
        let p = &a["Properties"];
        assert_eq!(p["MetricName"], "HealthyHostCount", "{id}");
        assert_eq!(p["TreatMissingData"], "breaching", "{id}");
        assert!(p["AlarmName"].as_str().unwrap().contains("-no-healthy-targets"), "{id}");
        let tg = p["Dimensions"].as_array().unwrap().iter().find(|d| d["Name"] == "TargetGroup").unwrap();
        groups.push(reference(&tg["Value"]).unwrap().to_owned());
        alarm_ids.push(id.to_owned());
    }
    groups.sort();
    let mut expected = Vec::new();
    for (_, s) in resources(&t, "AWS::ECS::Service") {
        let lb = &s["Properties"]["LoadBalancers"][0];
        expected.push(reference(&lb["TargetGroupArn"]).unwrap().to_owned());
        if let Some(alt) = reference(&lb["AdvancedConfiguration"]["AlternateTargetGroupArn"]) {
            expected.push(alt.to_owned());
        }
    }
    expected.sort();
    assert_eq!(groups, expected);
    // One check per alarm, in the region of the stack instance, and a calculated check that
    // needs as many healthy as there are services (each service's live target group).
    let checks = resources(&t, "AWS::Route53::HealthCheck");
    let children: Vec<_> =
        checks.iter().filter(|(_, c)| c["Properties"]["HealthCheckConfig"]["Type"] == "CLOUDWATCH_METRIC").collect();
    assert_eq!(children.len(), alarm_ids.len());
    for (id, c) in &children {
        let alarm = &c["Properties"]["HealthCheckConfig"]["AlarmIdentifier"];
        assert_eq!(alarm["Region"], json!({"Ref": "AWS::Region"}), "{id}");
        assert!(alarm_ids.iter().any(|a| Some(a.as_str()) == reference(&alarm["Name"])), "{id}");
    }
    let (_, calculated) =
        checks.iter().find(|(_, c)| c["Properties"]["HealthCheckConfig"]["Type"] == "CALCULATED").unwrap();
    let config = &calculated["Properties"]["HealthCheckConfig"];
    assert_eq!(config["HealthThreshold"], 3);
    assert_eq!(config["ChildHealthChecks"].as_array().unwrap().len(), alarm_ids.len());

    // Not fronted: Route 53 can request the health path itself; no alarm or check is offered.
    let app = App::new("shop");
    let api = MultiRegionApi::new_stack_set(&app, "Api", props(two_regions()));
    assert!(api.endpoints().iter().all(|e| e.health_check_id.is_none()));
    assert!(api.health_alarms.is_empty());
}

/// The path patterns of each listener rule, by the target group logical id it forwards to first.
fn rule_paths(t: &Json) -> BTreeMap<String, Vec<String>> {
    resources(t, "AWS::ElasticLoadBalancingV2::ListenerRule")
        .iter()
        .map(|(_, r)| {
            let p = &r["Properties"];
            let tg = reference(&p["Actions"][0]["ForwardConfig"]["TargetGroups"][0]["TargetGroupArn"]).unwrap();
            let paths = p["Conditions"].as_array().unwrap().iter().find(|c| c["Field"] == "path-pattern").unwrap();
            let paths = paths["PathPatternConfig"]["Values"].as_array().unwrap();
            (tg.to_owned(), paths.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
        })
        .collect()
}

#[test]
fn the_health_check_path_reaches_the_default_service_when_no_catch_all_covers_it() {
    // No catch-all: Orders (/orders/*, the first public service) answers the health checks, so
    // its rule also routes /health; Web's and Admin's rules are unchanged.
    let mut p = props(two_regions());
    p.services[1].path_patterns = vec!["/web/*".into()];
    let app = App::new("shop");
    let api = MultiRegionApi::new_stack_set(&app, "Api", p.clone());
    assert_eq!(api.endpoints()[0].health_check_path, "/health");
    let t = app.synth().unwrap().template("shop-Api").unwrap();
    let paths: Vec<Vec<String>> = rule_paths(&t).into_values().collect();
    assert!(paths.contains(&vec!["/orders/*".to_owned(), "/health".to_owned()]), "{paths:?}");
    assert!(paths.contains(&vec!["/web/*".to_owned()]), "{paths:?}");
    assert!(paths.contains(&vec!["/*".to_owned()]), "{paths:?}");
    // A pattern that covers the path already: nothing added.
    p.services[0].path_patterns = vec!["/orders/*".into(), "/heal*".into()];
    let t = synth(p.clone());
    assert!(rule_paths(&t).values().any(|v| *v == ["/orders/*", "/heal*"]));
    // A catch-all default service: unchanged.
    let t = synth(props(two_regions()));
    assert!(rule_paths(&t).values().any(|v| *v == ["/orders/*"]));
    // Fronted, Route 53 watches alarms, not the path: unchanged.
    let t = synth(fronted(ApiProps { services: p.services.clone(), ..props(two_regions()) }));
    assert!(!rule_paths(&t).values().flatten().any(|v| v == "/health"));
    // No room left in the rule: an error that says what to do.
    p.services[0].path_patterns = (1..=5).map(|i| format!("/o{i}/*")).collect();
    let err = synth_err(p);
    assert!(err.contains("Api: service Orders: Route 53 requests its probed path /health on the public ALB, but none of its path patterns covers it"), "{err}");
}

#[test]
fn the_edge_and_dns_refuse_an_origin_name_the_api_certificate_does_not_cover() {
    use haplat_constructs::dns::{FailoverDns, FailoverDnsProps};
    use haplat_constructs::edge::{EdgeDistribution, EdgeDistributionProps};
    use haplat_constructs::zone::HostedZone;
    let build = |domain: &str| {
        let app = App::new("shop");
        let api = MultiRegionApi::new_stack_set(
            &app,
            "Api",
            ApiProps {
                services: services(),
                ..ApiProps::new(
                    two_regions(),
                    domain,
                    ApiCertificate::DnsValidated { zone: HostedZone::existing(ZONE, "example.com") },
                )
            },
        );
        assert!(api.endpoints().iter().all(|e| e.domain_name == domain));
        let edge = app.stack("Edge", "us-east-1");
        let zone = HostedZone::existing(ZONE, "example.com");
        EdgeDistribution::new(
            &edge,
            "Cdn",
            EdgeDistributionProps::new(zone.clone(), &["example.com", "www.example.com"], api.endpoints()),
        );
        let mut dns = FailoverDnsProps::new(zone, api.endpoints());
        dns.alarm_actions = vec!["arn:aws:sns:us-east-1:123456789012:alarms".into()];
        FailoverDns::new(&edge, "Dns", dns);
        app.synth().map(|_| ()).map_err(|e| e.to_string())
    };
    // The certificate covers origin.example.com and <region>.origin.example.com: what both call.
    build("origin.example.com").unwrap_or_else(|e| panic!("{e}"));
    let err = build("api.example.com").unwrap_err();
    for path in ["Edge/Cdn", "Edge/Dns"] {
        assert!(
            err.contains(&format!(
                "{path}: the load balancer of us-west-2 has a certificate for api.example.com and \
                us-west-2.api.example.com, but would be called as origin.example.com and \
                us-west-2.origin.example.com"
            )),
            "{err}"
        );
    }
}

#[test]
fn traced_services_send_their_name_to_xray_and_are_listed_for_tracing() {
    let app = App::new("shop");
    let api = MultiRegionApi::new_stack_set(&app, "Api", props(two_regions()));
    assert_eq!(api.traced_services(), ["Orders"]);
    let t = app.synth().unwrap().template("shop-Api").unwrap();
    let (_, task) =
        resources(&t, "AWS::ECS::TaskDefinition").into_iter().find(|(id, _)| id.starts_with("Orders")).unwrap();
    let env = &task["Properties"]["ContainerDefinitions"][0]["Environment"];
    assert!(env.as_array().unwrap().contains(&json!({"Name": "AWS_XRAY_TRACING_NAME", "Value": "Orders"})), "{env}");
    assert!(
        env.as_array().unwrap().contains(&json!({"Name": "AWS_XRAY_DAEMON_ADDRESS", "Value": "localhost:2000"})),
        "{env}"
    );
}

// ---------------------------------------------------------------- cfn-lint

#[test]
fn cfn_lint_passes_over_every_region_of_the_stack_set_with_no_warning() {
    let regions = vec![
        RegionSpec::primary("us-east-1"),
        RegionSpec::secondary("us-west-2"),
        RegionSpec::secondary("eu-west-1").with_cidr("172.16.0.0/16"),
    ];
    let mut templates = Vec::new();
    for (name, p) in [
        ("plain", props(regions.clone())),
        ("fronted-passive", ApiProps { mode: DrMode::ActivePassive, ..fronted(props(regions.clone())) }),
        (
            "fronted-canaries",
            ApiProps {
                edge_probe_domain: Some("example.com".into()),
                canaries: true,
                ..fronted(props(regions.clone()))
            },
        ),
        (
            "single-nat-2az",
            ApiProps {
                azs: 2,
                nat: haplat_constructs::network::NatMode::Single,
                interface_endpoints: false,
                ..props(regions.clone())
            },
        ),
    ] {
        templates.push((name.to_owned(), synth(p)));
    }
    let regions: Vec<&str> = regions.iter().map(|r| r.region.as_str()).collect();
    let lint = haplat_tests::lint_templates(&templates, &regions);
    assert!(lint.is_clean(), "{lint}");
}

#[test]
fn a_service_name_with_a_hyphen_makes_alphanumeric_mapping_keys() {
    let app = App::new("shop");
    let mut p = props(two_regions());
    let mut s = ServiceProps::new("orders-api", "public.ecr.aws/nginx/nginx:1.27", 80);
    s.path_patterns = vec!["/orders-api/*".into()];
    p.services.push(s);
    MultiRegionApi::new_stack_set(&app, "Api", p);
    let a = app.synth().unwrap_or_else(|e| panic!("{e}"));
    let t = a.template("shop-Api").unwrap();
    let keys = t["Mappings"]["RegionConfig"]["us-east-1"].as_object().unwrap();
    assert!(keys.contains_key("OrdersApiMinCount"), "{keys:?}");
    assert!(keys.keys().all(|k| k.chars().all(|c| c.is_ascii_alphanumeric())));
}

#[test]
fn containers_run_as_a_user_on_a_read_only_root_with_a_memory_limit_unless_told_why_not() {
    let mut p = props(two_regions());
    p.services[1].run_as = RunAs::image_default("the image binds port 80 as root");
    p.services[2].run_as =
        RunAs::User { user: "app:app".into(), writable: vec!["/tmp".into(), "/var/cache/app".into()] };
    let t = synth(p);
    let td = |prefix: &str| {
        resources(&t, "AWS::ECS::TaskDefinition").into_iter().find(|(id, _)| id.starts_with(prefix)).unwrap().1.clone()
    };
    // By default: user 1000, read-only root, /tmp on a volume of the task; the X-Ray daemon's
    // memory taken off the app's hard limit (2048 - 256).
    let orders = td("Orders");
    let app = &orders["Properties"]["ContainerDefinitions"][0];
    assert_eq!(app["User"], "1000");
    assert_eq!(app["ReadonlyRootFilesystem"], true);
    assert_eq!(app["Memory"], 1792);
    assert_eq!(app["MountPoints"], json!([{"ContainerPath": "/tmp", "ReadOnly": false, "SourceVolume": "writable0"}]));
    assert_eq!(orders["Properties"]["Volumes"], json!([{"Name": "writable0"}]));
    assert_eq!(orders["Properties"]["ContainerDefinitions"][1]["Memory"], 256);
    assert!(orders["Metadata"]["guard"].is_null());
    // Opted out: the image's user, a writable root, and the reason for the two controls.
    let web = td("Web");
    let app = &web["Properties"]["ContainerDefinitions"][0];
    assert!(app["User"].is_null() && app["ReadonlyRootFilesystem"].is_null() && app["MountPoints"].is_null());
    assert_eq!(app["Memory"], 512);
    assert_eq!(web["Metadata"]["guard"]["SuppressedRules"], json!(["CT.ECS.PR.3", "CT.ECS.PR.6"]));
    assert_eq!(web["Metadata"]["guard"]["Reasons"]["CT.ECS.PR.6"], "the image binds port 80 as root");
    let admin = td("Admin");
    let app = &admin["Properties"]["ContainerDefinitions"][0];
    assert_eq!(app["User"], "app:app");
    assert_eq!(
        app["MountPoints"][1],
        json!({"ContainerPath": "/var/cache/app", "ReadOnly": false, "SourceVolume": "writable1"})
    );

    // Root, a relative path or an opt-out without a reason: errors naming the service.
    let mut p = props(two_regions());
    p.services[0].run_as = RunAs::User { user: "0:0".into(), writable: vec!["tmp".into()] };
    p.services[1].run_as = RunAs::image_default(" ");
    let err = synth_err(p);
    assert!(err.contains("run_as user \"0:0\" is root"), "{err}");
    assert!(err.contains("writable path \"tmp\" is not absolute"), "{err}");
    assert!(err.contains("RunAs::ImageDefault needs the reason"), "{err}");
}

#[test]
fn albs_log_access_to_a_tls_only_bucket_the_regions_elb_writer_may_write() {
    use haplat_constructs::load_balancer::{Alb, AlbProps, ELB_LOG_DELIVERY_SERVICE};
    let alb_props = || AlbProps {
        vpc_id: "vpc-1234".into(),
        subnets: vec!["subnet-1".into(), "subnet-2".into()],
        certificate_arn: "arn:aws:acm:us-east-1:111111111111:certificate/abc".into(),
        internal: false,
        fronting: None,
    };
    let app = App::new("lb");
    // One region with an ELB account, one opened since August 2022 (service principal).
    let mixed = app.stack_set("Mixed", &["us-east-1", "mx-central-1"]);
    Alb::new(&mixed, "Alb", alb_props());
    let single = app.stack("Single", "eu-west-1");
    Alb::new(&single, "Alb", alb_props());
    let a = app.synth().unwrap_or_else(|e| panic!("{e}"));
    let writer = |t: &Json| {
        let (_, policy) = resources(t, "AWS::S3::BucketPolicy").into_iter().next().unwrap();
        let statements = policy["Properties"]["PolicyDocument"]["Statement"].clone();
        assert_eq!(statements[0]["Sid"], "DenyInsecureTransport");
        assert_eq!(statements[0]["Condition"], json!({"Bool": {"aws:SecureTransport": "false"}}));
        assert_eq!(statements[1]["Action"], "s3:PutObject");
        statements[1]["Principal"].clone()
    };
    let t = a.template("lb-Mixed").unwrap();
    let (_, lb) = resources(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer").into_iter().next().unwrap();
    let attrs = lb["Properties"]["LoadBalancerAttributes"].as_array().unwrap();
    assert!(attrs.contains(&json!({"Key": "access_logs.s3.enabled", "Value": "true"})));
    assert!(attrs.iter().any(|a| a["Key"] == "access_logs.s3.bucket" && a["Value"]["Ref"].is_string()));
    assert_eq!(lb["DependsOn"].as_array().unwrap().len(), 1);
    assert_eq!(t["Mappings"]["RegionConfig"]["us-east-1"]["ElbLogWriter"], "127311923021");
    assert_eq!(t["Mappings"]["RegionConfig"]["mx-central-1"]["ElbLogWriter"], "service");
    let principal = writer(&t);
    assert_eq!(principal["Fn::If"][0], "ElbLogsByServicePrincipal");
    assert_eq!(principal["Fn::If"][1], json!({"Service": ELB_LOG_DELIVERY_SERVICE}));
    let t = a.template("lb-Single").unwrap();
    assert_eq!(
        writer(&t),
        json!({"AWS": {"Fn::Sub": ["arn:${AWS::Partition}:iam::${Account}:root", {"Account": "156460612806"}]}})
    );
}

#[test]
fn a_websocket_api_authorizes_connect_with_iam_by_default_a_lambda_or_an_open_reason() {
    use haplat_constructs::websocket::{ConnectAuth, LambdaCode, WebSocketApi, WebSocketApiProps};
    let app = App::new("ws");
    let s = app.stack_set("Rt", &["us-east-1", "eu-west-1"]);
    WebSocketApi::new(&s, "Iam", WebSocketApiProps::new(LambdaCode::inline_echo()));
    let mut lambda = WebSocketApiProps::new(LambdaCode::inline_echo());
    lambda.connect_auth = ConnectAuth::Lambda {
        function_arn: "arn:aws:lambda:us-east-1:111111111111:function:auth".into(),
        identity_sources: vec!["route.request.querystring.token".into()],
    };
    WebSocketApi::new(&s, "Custom", lambda);
    let mut open = WebSocketApiProps::new(LambdaCode::inline_echo());
    open.connect_auth = ConnectAuth::Open { reason: "a public demo feed".into() };
    WebSocketApi::new(&s, "Open", open);
    let t = app.synth().unwrap_or_else(|e| panic!("{e}")).template("ws-Rt").unwrap();
    let route = |prefix: &str, key: &str| {
        resources(&t, "AWS::ApiGatewayV2::Route")
            .into_iter()
            .find(|(id, r)| id.starts_with(prefix) && r["Properties"]["RouteKey"] == key)
            .unwrap()
            .1
            .clone()
    };
    assert_eq!(route("Iam", "$connect")["Properties"]["AuthorizationType"], "AWS_IAM");
    let custom = route("Custom", "$connect");
    assert_eq!(custom["Properties"]["AuthorizationType"], "CUSTOM");
    let authorizer = custom["Properties"]["AuthorizerId"]["Ref"].as_str().unwrap();
    assert_eq!(t["Resources"][authorizer]["Properties"]["AuthorizerType"], "REQUEST");
    assert_eq!(t["Resources"][authorizer]["Properties"]["IdentitySource"], json!(["route.request.querystring.token"]));
    let open = route("Open", "$connect");
    assert!(open["Properties"]["AuthorizationType"].is_null());
    assert_eq!(open["Metadata"]["guard"]["Reasons"]["CT.APIGATEWAY.PR.5"], "a public demo feed");
    // The other routes ride the connection $connect let in.
    let disconnect = route("Iam", "$disconnect");
    assert!(disconnect["Properties"]["AuthorizationType"].is_null());
    assert!(disconnect["Metadata"]["guard"]["Reasons"]["CT.APIGATEWAY.PR.5"].is_string());
}

#[test]
fn the_websocket_function_reserves_concurrency_only_when_asked_and_says_why_not() {
    use haplat_constructs::websocket::{LambdaCode, WebSocketApi, WebSocketApiProps};
    let app = App::new("ws");
    let s = app.stack_set("Rt", &["us-east-1"]);
    WebSocketApi::new(&s, "Plain", WebSocketApiProps::new(LambdaCode::inline_echo()));
    let mut reserved = WebSocketApiProps::new(LambdaCode::inline_echo());
    reserved.reserved_concurrency = Some(20);
    WebSocketApi::new(&s, "Reserved", reserved);
    let t = app.synth().unwrap_or_else(|e| panic!("{e}")).template("ws-Rt").unwrap();
    let function = |prefix: &str| {
        resources(&t, "AWS::Lambda::Function").into_iter().find(|(id, _)| id.starts_with(prefix)).unwrap().1.clone()
    };
    let plain = function("Plain");
    assert!(plain["Properties"]["ReservedConcurrentExecutions"].is_null());
    assert_eq!(plain["Metadata"]["checkov"]["skip"][0]["id"], "CKV_AWS_115");
    let reserved = function("Reserved");
    assert_eq!(reserved["Properties"]["ReservedConcurrentExecutions"], 20);
    assert!(reserved["Metadata"]["checkov"]["skip"].as_array().unwrap().iter().all(|s| s["id"] != "CKV_AWS_115"));
}

#[test]
fn a_fronted_api_with_an_edge_probe_checks_each_region_through_the_edge_too() {
    let mut p = fronted(props(two_regions()));
    p.edge_probe_domain = Some("example.com".into());
    let t = synth(p);
    let checks = resources(&t, "AWS::Route53::HealthCheck");
    let (_, probe) = checks.iter().find(|(_, c)| c["Properties"]["HealthCheckConfig"]["Type"] == "HTTPS").unwrap();
    let config = &probe["Properties"]["HealthCheckConfig"];
    assert_eq!(config["FullyQualifiedDomainName"], "example.com");
    // The default public service's health path, behind the edge's route to this region.
    assert_eq!(config["ResourcePath"], json!({"Fn::Sub": "/_haplat/probe/${AWS::Region}/health"}));
    assert_eq!((config["RequestInterval"].clone(), config["FailureThreshold"].clone()), (json!(10), json!(2)));
    // One more healthy child needed: the probe beside each service's live target group.
    let (_, calculated) =
        checks.iter().find(|(_, c)| c["Properties"]["HealthCheckConfig"]["Type"] == "CALCULATED").unwrap();
    let config = &calculated["Properties"]["HealthCheckConfig"];
    assert_eq!(config["HealthThreshold"], 4);
    assert!(config["ChildHealthChecks"].as_array().unwrap().iter().any(|c| reference(c) == Some(probe_id(&checks))));

    // Not fronted, Route 53 checks the load balancers directly: a probe is a mistake.
    let mut p = props(two_regions());
    p.edge_probe_domain = Some("example.com".into());
    assert!(synth_err(p).contains("edge_probe_domain is set but the API is not fronted_by_cloudfront"));
}

/// A public service whose health path its own patterns cover gets a probe of its own through
/// the edge, a child of the region's check; each child names the part of the region it watches.
#[test]
fn a_service_whose_health_path_it_routes_is_probed_through_the_edge_on_its_own() {
    let with = |edit: &dyn Fn(&mut ApiProps)| {
        let mut p = fronted(props(two_regions()));
        p.edge_probe_domain = Some("example.com".into());
        edit(&mut p);
        synth(p)
    };
    let t = with(&|p| p.services[0].health_check_path = "/orders/health".into());
    let checks = resources(&t, "AWS::Route53::HealthCheck");
    let (orders_probe, probe) = checks.iter().find(|(id, _)| id.starts_with("RegionHealthOrdersProbe")).unwrap();
    let config = &probe["Properties"]["HealthCheckConfig"];
    assert_eq!(config["ResourcePath"], json!({"Fn::Sub": "/_haplat/probe/${AWS::Region}/orders/health"}));
    assert_eq!(config["FullyQualifiedDomainName"], "example.com");
    assert_eq!(probe["Metadata"]["haplat:part"], "Orders");
    let (_, calculated) =
        checks.iter().find(|(_, c)| c["Properties"]["HealthCheckConfig"]["Type"] == "CALCULATED").unwrap();
    let config = &calculated["Properties"]["HealthCheckConfig"];
    assert_eq!(config["HealthThreshold"], 5, "3 services' live groups, the region probe and Orders' own");
    assert!(
        config["ChildHealthChecks"].as_array().unwrap().iter().any(|c| reference(c) == Some(orders_probe.as_str()))
    );
    // Every child names its part: a service's alarms and probe by the service, the region probe
    // by the default public service (Web, the catch-all), whose health path it requests.
    let part = |prefix: &str| -> Vec<String> {
        checks
            .iter()
            .filter(|(id, c)| id.starts_with(prefix) && c["Properties"]["HealthCheckConfig"]["Type"] != "CALCULATED")
            .map(|(_, c)| c["Metadata"]["haplat:part"].as_str().unwrap_or("none").to_owned())
            .collect()
    };
    assert_eq!(part("RegionHealthProbe"), ["Web"]);
    let mut alarm_parts = part("RegionHealthAlarmCheck");
    alarm_parts.sort();
    alarm_parts.dedup();
    assert_eq!(alarm_parts, ["Admin", "Orders", "Web"]);

    // A probe path (a real request) instead of the health path: the target groups keep
    // checking the shallow one, Route 53 requests the deep one; the default service's goes to
    // the region probe.
    let t = with(&|p| {
        p.services[0].probe_path = Some("/orders/ready?deep=1".into());
        p.services[1].probe_path = Some("/ready".into());
    });
    let checks = resources(&t, "AWS::Route53::HealthCheck");
    let path_of = |prefix: &str| {
        checks.iter().find(|(id, _)| id.starts_with(prefix)).unwrap().1["Properties"]["HealthCheckConfig"]["ResourcePath"]
            .clone()
    };
    assert_eq!(
        path_of("RegionHealthOrdersProbe"),
        json!({"Fn::Sub": "/_haplat/probe/${AWS::Region}/orders/ready?deep=1"})
    );
    assert_eq!(path_of("RegionHealthProbe"), json!({"Fn::Sub": "/_haplat/probe/${AWS::Region}/ready"}));
    let groups = resources(&t, "AWS::ElasticLoadBalancingV2::TargetGroup");
    assert!(groups.iter().all(|(_, g)| g["Properties"]["HealthCheckPath"] == "/health"), "{groups:?}");
    // A probe path Route 53 cannot request is an error naming the service.
    let mut p = fronted(props(two_regions()));
    p.services[0].probe_path = Some("orders ready".into());
    assert!(synth_err(p).contains("probe_path \"orders ready\" must start with /"));

    // No probe of its own: a health path its patterns miss (the default `/health`), one an
    // earlier rule takes, an internal service's.
    let own_probes = |t: &Json| -> Vec<String> {
        resources(t, "AWS::Route53::HealthCheck")
            .iter()
            .filter(|(id, _)| {
                id.starts_with("RegionHealth") && id.contains("Probe") && !id.starts_with("RegionHealthProbe")
            })
            .map(|(_, c)| c["Metadata"]["haplat:path"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(own_probes(&with(&|_| {})).is_empty());
    let t = with(&|p| {
        p.services[0].health_check_path = "/orders/health".into();
        let mut early = ServiceProps::new("Status", "public.ecr.aws/nginx/nginx:1.27", 8082);
        early.path_patterns = vec!["*/health".into()];
        p.services.insert(0, early);
    });
    // Status's rule comes first and takes /orders/health; its own /health it routes to itself.
    assert_eq!(own_probes(&t), ["Api/RegionHealth/StatusProbe"]);
    let t = with(&|p| {
        p.services[2].path_patterns = vec!["/admin/*".into()];
        p.services[2].health_check_path = "/admin/health".into();
    });
    assert!(own_probes(&t).is_empty(), "Route 53 cannot request an internal service");
}

/// Canaries: the origin one through the edge's route to the region, a child of the region's
/// health check; the public one on the public name; artifacts in a TLS-only bucket; a role that
/// writes only its prefix, its logs and the Synthetics namespace.
#[test]
fn canaries_request_the_region_and_the_public_name_and_feed_region_health() {
    let mut p = fronted(props(two_regions()));
    p.edge_probe_domain = Some("example.com".into());
    p.canaries = true;
    let t = synth(p);
    let canaries = resources(&t, "AWS::Synthetics::Canary");
    assert_eq!(canaries.len(), 2);
    let url = |id: &str| {
        canaries.iter().find(|(i, _)| i.contains(id)).unwrap().1["Properties"]["RunConfig"]
        ["EnvironmentVariables"]["HAPLAT_URL"]
        .clone()
    };
    assert_eq!(url("Origin"), json!({"Fn::Sub": "https://example.com/_haplat/probe/${AWS::Region}/health"}));
    assert_eq!(url("Public"), json!("https://example.com/health"));
    for (id, c) in &canaries {
        let p = &c["Properties"];
        assert_eq!(p["StartCanaryAfterCreation"], true, "{id}");
        assert_eq!(p["RuntimeVersion"], haplat_constructs::canary::CANARY_RUNTIME);
        assert!(p.get("VpcConfig").is_none(), "{id}: calls public names, outside the VPC");
        assert_eq!(p["ArtifactConfig"]["S3Encryption"]["EncryptionMode"], "SSE_S3");
        assert!(p["Name"].as_str().unwrap().len() <= 21, "{id}");
        assert!(p["Code"]["Script"].as_str().unwrap().contains("executeHttpStep"));
    }
    // The region's calculated check needs the canary's alarm check healthy as well.
    let checks = resources(&t, "AWS::Route53::HealthCheck");
    let (_, calculated) =
        checks.iter().find(|(_, c)| c["Properties"]["HealthCheckConfig"]["Type"] == "CALCULATED").unwrap();
    let config = &calculated["Properties"]["HealthCheckConfig"];
    assert_eq!(config["HealthThreshold"], 5, "3 target-group alarms, the probe and the canary");
    let (canary_check, _) = checks.iter().find(|(id, _)| id.contains("Canary")).expect("the canary's check");
    assert!(
        config["ChildHealthChecks"].as_array().unwrap().iter().any(|c| reference(c) == Some(canary_check.as_str()))
    );
    let alarms = resources(&t, "AWS::CloudWatch::Alarm");
    let (_, origin_alarm) = alarms.iter().find(|(id, _)| id.contains("OriginAlarm")).unwrap();
    assert_eq!(origin_alarm["Properties"]["MetricName"], "SuccessPercent");
    assert_eq!(origin_alarm["Properties"]["TreatMissingData"], "notBreaching");
    // The artifacts bucket refuses plain HTTP and expires its objects.
    let policies = resources(&t, "AWS::S3::BucketPolicy");
    let (_, policy) = policies.iter().find(|(id, _)| id.contains("Canaries")).unwrap();
    assert_eq!(policy["Properties"]["PolicyDocument"]["Statement"][0]["Sid"], "DenyInsecureTransport");
    let roles = resources(&t, "AWS::IAM::Role");
    let (_, role) = roles.iter().find(|(id, _)| id.contains("Canaries")).unwrap();
    let statements = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].as_array().unwrap();
    for st in statements.iter().filter(|s| s["Resource"] == "*") {
        for a in st["Action"].as_array().unwrap() {
            assert!(UNSCOPED_ACTIONS.contains(&a.as_str().unwrap()), "{a}");
        }
    }
    let metrics = statements.iter().find(|s| s["Action"][0] == "cloudwatch:PutMetricData").unwrap();
    assert_eq!(metrics["Condition"]["StringEquals"]["cloudwatch:namespace"], "CloudWatchSynthetics");

    // Canaries request the region through the edge: without the probe domain, an error.
    let mut p = fronted(props(two_regions()));
    p.canaries = true;
    assert!(synth_err(p).contains("canaries need edge_probe_domain"));
}

fn probe_id<'a>(checks: &[(&'a String, &'a Json)]) -> &'a str {
    checks.iter().find(|(_, c)| c["Properties"]["HealthCheckConfig"]["Type"] == "HTTPS").unwrap().0
}

#[test]
fn the_load_balancers_slos_count_its_own_5xx_and_its_latency() {
    let app = App::new("shop");
    let api = MultiRegionApi::new_stack_set(&app, "Api", fronted(props(two_regions())));
    let slos = api.availability_slos(99.9, &[]);
    assert_eq!(slos.len(), 4, "the load balancer's, then one per service");
    assert!(api.latency_slo(99.0, 300.0, &[]).is_some());
    let t = app.synth().unwrap_or_else(|e| panic!("{e}")).template("shop-Api").unwrap();
    let alarms = resources(&t, "AWS::CloudWatch::Alarm");
    let entry: Vec<_> = alarms.iter().filter(|(id, _)| id.starts_with("PublicAlbAvailability")).collect();
    assert!(!entry.is_empty());
    for (id, a) in &entry {
        let body = a["Properties"]["Metrics"].to_string();
        assert!(body.contains("HTTPCode_ELB_5XX_Count") && body.contains("HTTPCode_Target_5XX_Count"), "{id}");
    }
    let latency: Vec<_> = alarms.iter().filter(|(id, _)| id.starts_with("PublicAlbLatency")).collect();
    assert!(!latency.is_empty());
    for (id, a) in &latency {
        let body = a["Properties"]["Metrics"].to_string();
        assert!(body.contains("TargetResponseTime") && body.contains("PR(:0.3)"), "{id}: {body}");
    }
}

#[test]
fn the_apis_monitoring_sends_deployments_service_warnings_scaling_to_max_and_failed_backups_to_its_topic() {
    let app = App::new("shop");
    let api = MultiRegionApi::new_stack_set(&app, "Api", props(two_regions()));
    let monitoring = api.monitor(
        "Monitoring",
        haplat_constructs::monitoring::RegionalMonitoringProps::new(&["us-east-1", "us-west-2"]),
    );
    assert_eq!(monitoring.regional.event_rules.len(), 5);
    let t = app.synth().unwrap_or_else(|e| panic!("{e}")).template("shop-Api").unwrap();
    let rules = resources(&t, "AWS::Events::Rule");
    let (topic_id, _) = resources(&t, "AWS::SNS::Topic")[0];
    let patterns: Vec<String> = rules.iter().map(|(_, r)| r["Properties"]["EventPattern"].to_string()).collect();
    assert!(patterns.iter().any(|p| p.contains("ECS Deployment State Change") && p.contains(":service/${Cluster}/")));
    assert!(patterns.iter().any(|p| p.contains("ECS Service Action") && p.contains("\"WARN\"")));
    // Autoscaling's "scaled to max" of the cluster's services.
    assert!(patterns.iter().any(|p| p.contains("Application Auto Scaling Scaling Activity State Change")
        && p.contains("\"serviceNamespace\":[\"ecs\"]")
        && p.contains("service/${Cluster}/")));
    assert!(patterns.iter().any(|p| p.contains("Copy Job State Change") && p.contains("\"state\"")));
    // Restore jobs report `status`, not `state`.
    assert!(patterns.iter().any(|p| p.contains("Restore Job State Change") && p.contains("\"status\"")));
    for (id, r) in &rules {
        assert_eq!(reference(&r["Properties"]["Targets"][0]["Arn"]), Some(topic_id.as_str()), "{id}");
    }
    // The topic lets these rules publish and keeps the account's and CloudWatch's access.
    let (_, policy) = resources(&t, "AWS::SNS::TopicPolicy")[0];
    let statements = policy["Properties"]["PolicyDocument"]["Statement"].as_array().unwrap();
    let sids: Vec<&str> = statements.iter().map(|s| s["Sid"].as_str().unwrap()).collect();
    assert_eq!(sids, ["AccountAdministers", "CloudWatchAlarmsOfThisAccount", "TheseEventRules"]);
    let events = &statements[2];
    assert_eq!(events["Principal"]["Service"], "events.amazonaws.com");
    assert_eq!(events["Condition"]["ArnEquals"]["aws:SourceArn"].as_array().unwrap().len(), 5);
    // The topic's key lets EventBridge encrypt, and nothing more.
    let key = resources(&t, "AWS::KMS::Key")
        .into_iter()
        .find(|(_, k)| k["Properties"]["KeyPolicy"].to_string().contains("CloudWatchAlarmsPublish"))
        .unwrap()
        .1;
    let eb = key["Properties"]["KeyPolicy"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "EventBridgeRulesPublish")
        .expect("EventBridge may use the topic's key");
    assert_eq!(eb["Action"], json!(["kms:Decrypt", "kms:GenerateDataKey"]));
}

#[test]
fn a_secret_by_arn_is_read_exactly_in_every_region_it_is_replicated_to() {
    let arn = "arn:aws:secretsmanager:us-east-1:111111111111:secret:shop/db-AbC123";
    let mut p = props(two_regions());
    let regions: Vec<String> = p.regions.iter().map(|r| r.region.clone()).collect();
    let others: Vec<&str> = regions.iter().skip(1).map(String::as_str).collect();
    p.services[1].secrets.insert("DB".into(), SecretRef::new(arn).replicated_to(&others));
    let t = synth(p);
    let exact =
        json!({"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:111111111111:secret:shop/db-AbC123"});
    let (_, td) = resources(&t, "AWS::ECS::TaskDefinition")
        .into_iter()
        .find(|(id, _)| id.starts_with("WebTaskDefinition"))
        .unwrap();
    assert_eq!(td["Properties"]["ContainerDefinitions"][0]["Secrets"], json!([{"Name": "DB", "ValueFrom": exact}]));
    let (_, exec) =
        resources(&t, "AWS::IAM::Role").into_iter().find(|(id, _)| id.starts_with("WebExecutionRole")).unwrap();
    assert!(exec.to_string().contains("secret:shop/db-AbC123\""), "{exec}");

    // Not replicated to a region of the service: an error naming it.
    let mut p = props(two_regions());
    p.services[1].secrets.insert("DB".into(), SecretRef::new(arn));
    let err = synth_err(p);
    assert!(
        err.contains(&format!(
            "Api/Web: secret of DB: shop/db exists only in us-east-1, not in {}, where this service runs",
            others.join(", ")
        )),
        "{err}"
    );
    // A malformed ARN is one line too.
    let mut p = props(two_regions());
    p.services[1].secrets.insert("DB".into(), SecretRef::new("arn:aws:secretsmanager:us-east-1:1:secret:db"));
    let err = synth_err(p);
    assert!(err.contains("Api/Web: secret of DB: \"arn:aws:secretsmanager:us-east-1:1:secret:db\" is not the ARN of a Secrets Manager secret"), "{err}");
}

// ---------------------------------------------------------------- the whole outage, per service

/// The metric queries of an alarm, by id.
fn queries(alarm: &Json) -> BTreeMap<String, Json> {
    alarm["Properties"]["Metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (q["Id"].as_str().unwrap().to_owned(), q.clone()))
        .collect()
}

/// The dimension names of a metric query.
fn dimension_names(q: &Json) -> Vec<&str> {
    q["MetricStat"]["Metric"]["Dimensions"].as_array().unwrap().iter().map(|d| d["Name"].as_str().unwrap()).collect()
}

#[test]
fn each_services_error_rate_and_availability_slo_count_its_load_balancers_own_5xx() {
    let app = App::new("shop");
    let api = MultiRegionApi::new_stack_set(&app, "Api", fronted(props(two_regions())));
    api.monitor("Monitoring", haplat_constructs::monitoring::RegionalMonitoringProps::new(&["us-east-1", "us-west-2"]));
    api.availability_slos(99.9, &[]);
    let t = app.synth().unwrap_or_else(|e| panic!("{e}")).template("shop-Api").unwrap();
    // Orders (blue/green: two target groups) behind the public load balancer, Admin (rolling:
    // one) behind the internal one.
    for (service, groups, alb) in [("Orders", 2, "PublicAlb"), ("Admin", 1, "InternalAlb")] {
        let alarm = crate::realtime::at(&t, &format!("Api/Monitoring/{service}Service/ErrorRate"));
        let p = &alarm["Properties"];
        assert_eq!(p["Threshold"], 5.0);
        assert_eq!((p["EvaluationPeriods"].as_i64(), p["DatapointsToAlarm"].as_i64()), (Some(5), Some(3)));
        let description = p["AlarmDescription"].as_str().unwrap();
        assert!(description.starts_with(&format!("[critical] {service}: more than 5% of responses are 5xx")));
        assert!(description.contains("load balancer's own") && description.contains("docs/runbooks/rollback.md"));
        // Its warnings name the runbook for warnings.
        let cpu =
            crate::realtime::at(&t, &format!("Api/Monitoring/{service}Service/Cpu"))["Properties"]["AlarmDescription"]
                .as_str()
                .unwrap()
                .to_owned();
        assert!(
            cpu.starts_with("[warning]") && cpu.ends_with("(runbook: haplat docs/runbooks/performance.md)"),
            "{cpu}"
        );
        let q = queries(alarm);
        let metric = |name: &str| -> Vec<&Json> {
            q.values().filter(|q| q["MetricStat"]["Metric"]["MetricName"] == name).collect()
        };
        // The targets' 5xx and requests: per target group.
        for name in ["HTTPCode_Target_5XX_Count", "RequestCount"] {
            let found = metric(name);
            assert_eq!(found.len(), groups, "{service} {name}");
            for m in found {
                assert_eq!(dimension_names(m), ["TargetGroup", "LoadBalancer"], "{service} {name}");
                assert_eq!(m["MetricStat"]["Stat"], "Sum");
            }
        }
        // The load balancer's own 5xx: per load balancer only (CloudWatch has no TargetGroup
        // dimension for them), the service's own load balancer.
        let elb = &q["elbErrors"];
        assert_eq!(elb["MetricStat"]["Metric"]["MetricName"], "HTTPCode_ELB_5XX_Count");
        assert_eq!(dimension_names(elb), ["LoadBalancer"]);
        assert_eq!((elb["MetricStat"]["Stat"].as_str(), elb["MetricStat"]["Period"].as_i64()), (Some("Sum"), Some(60)));
        assert_eq!(elb["ReturnData"], false);
        let lb = &elb["MetricStat"]["Metric"]["Dimensions"][0]["Value"];
        assert_eq!(lb["Fn::GetAtt"][1], "LoadBalancerFullName", "{service}: {lb}");
        assert!(reference(lb).unwrap().starts_with(alb), "{service}: {lb}");
        for m in metric("RequestCount") {
            assert_eq!(&m["MetricStat"]["Metric"]["Dimensions"][1]["Value"], lb);
        }
        // 5xx over responses, the load balancer's own counted on both sides.
        let rate = q["rate"]["Expression"].as_str().unwrap();
        let (errors, requests) = if groups == 2 {
            ("(FILL(errors0, 0) + FILL(errors1, 0))", "(FILL(requests0, 0) + FILL(requests1, 0))")
        } else {
            ("FILL(errors, 0)", "FILL(requests, 0)")
        };
        let all = format!("({requests} + FILL(elbErrors, 0))");
        assert_eq!(rate, format!("IF({all} > 0, 100 * ({errors} + FILL(elbErrors, 0)) / {all}, 0)"));
        assert_eq!(q["rate"]["ReturnData"], true);

        // The service's availability SLO: the same 5xx, in each window's alarms.
        for window in ["Burn1hLong", "Burn1hShort", "Burn6hLong", "Burn6hShort"] {
            let q = queries(crate::realtime::at(&t, &format!("Api/{service}Availability/{window}")));
            let elb: Vec<(&String, &Json)> =
                q.iter().filter(|(_, q)| q["MetricStat"]["Metric"]["MetricName"] == "HTTPCode_ELB_5XX_Count").collect();
            let ids: Vec<&str> = elb.iter().map(|(id, _)| id.as_str()).collect();
            assert_eq!(ids, [format!("bad{groups}"), format!("total{groups}")], "{service} {window}");
            for (_, m) in elb {
                assert_eq!(dimension_names(m), ["LoadBalancer"]);
            }
            let ratio = q["ratio"]["Expression"].as_str().unwrap();
            assert!(
                ratio.contains(&format!("FILL(bad{groups}, 0)")) && ratio.contains(&format!("FILL(total{groups}, 0)"))
            );
        }
    }
}

#[test]
fn each_service_has_a_latency_slo_over_its_own_target_groups() {
    let app = App::new("shop");
    let api = MultiRegionApi::new_stack_set(&app, "Api", fronted(props(two_regions())));
    let slos = api.service_latency_slos(99.0, 300.0, &[]);
    assert_eq!(slos.len(), 3, "Orders, Web and Admin");
    let t = app.synth().unwrap_or_else(|e| panic!("{e}")).template("shop-Api").unwrap();
    for (service, groups) in [("Orders", 2), ("Web", 2), ("Admin", 1)] {
        for window in ["Burn1hLong", "Burn1hShort", "Burn6hLong", "Burn6hShort"] {
            let q = queries(crate::realtime::at(&t, &format!("Api/{service}Latency/{window}")));
            let latency: Vec<&Json> =
                q.values().filter(|q| q["MetricStat"]["Metric"]["MetricName"] == "TargetResponseTime").collect();
            assert_eq!(latency.len(), groups, "{service} {window}");
            for m in latency {
                assert_eq!(dimension_names(m), ["TargetGroup", "LoadBalancer"]);
                // The share of requests within 300 ms, as CloudWatch's percentile rank.
                assert_eq!(m["MetricStat"]["Stat"], "PR(:0.3)");
            }
            let ratio = q["ratio"]["Expression"].as_str().unwrap();
            if groups == 2 {
                // The slower group: the fewer fast requests (the idle group counts as all fast).
                assert_eq!(ratio, "(100 - MIN([FILL(fast0, 100), FILL(fast1, 100)])) / 100");
            } else {
                assert_eq!(ratio, "(100 - FILL(fast, 100)) / 100");
            }
        }
        // 14.4 × 1% of the requests slower than 300 ms for an hour pages.
        let long = crate::realtime::at(&t, &format!("Api/{service}Latency/Burn1hLong"));
        assert!((long["Properties"]["Threshold"].as_f64().unwrap() - 0.144).abs() < 1e-9);
    }
}

#[test]
fn the_region_health_covers_the_websocket_api_its_endpoint_and_its_queue() {
    use haplat_constructs::global_table::{GlobalTable, GlobalTableProps, KeyAttr};
    use haplat_constructs::health_check::{HealthCheckProps, HealthSignals};
    use haplat_constructs::websocket::{RealtimeApi, RealtimeAuth, RealtimeDomain, RealtimeProps};
    // With and without the edge probe: the calculated check over the services' alarms (and the
    // probe) needs the tier's checks healthy as well.
    for probe in [false, true] {
        let app = App::new("shop");
        let global = app.stack("Global", "us-east-1");
        let registry = GlobalTable::new(
            &global,
            "Connections",
            GlobalTableProps::new(KeyAttr::string("connectionId"), &["us-east-1", "us-west-2"]),
        );
        let mut p = fronted(props(two_regions()));
        if probe {
            p.edge_probe_domain = Some("example.com".into());
        }
        let api = MultiRegionApi::new_stack_set(&app, "Api", p);
        let auth =
            RealtimeAuth::Jwt { issuer: "https://auth.example.com/".into(), audience: "chat".into(), jwks_url: None };
        let mut rt = RealtimeProps::new(&registry, auth, two_regions());
        rt.domain =
            Some(RealtimeDomain { name: "ws.example.com".into(), zone: HostedZone::existing(ZONE, "example.com") });
        let tier = RealtimeApi::new(api.stack(), "Chat", rt);
        let signals = tier.health_signals(api.stack(), "ChatSignals", 60.0);
        assert_eq!((signals.alarms.len(), signals.checks.len()), (1, 1));
        api.watch_in_region_health("ChatHealth", &signals);
        // The simpler WebSocket API: its regional endpoint, checked over TCP.
        let live = haplat_constructs::websocket::WebSocketApi::new(
            api.stack(),
            "Live",
            haplat_constructs::websocket::WebSocketApiProps::new(
                haplat_constructs::websocket::LambdaCode::inline_echo(),
            ),
        );
        api.watch_in_region_health("LiveHealth", &live.health_signals());
        let t = app.synth().unwrap_or_else(|e| panic!("{e}")).template("shop-Api").unwrap();

        // The queue alarm: a plain metric alarm, as Route 53 reads it, without actions.
        let stalled = &crate::realtime::at(&t, "Api/ChatSignals/QueueStalled")["Properties"];
        assert_eq!(
            (stalled["Namespace"].as_str(), stalled["MetricName"].as_str(), stalled["Statistic"].as_str()),
            (Some("AWS/SQS"), Some("ApproximateAgeOfOldestMessage"), Some("Maximum"))
        );
        assert_eq!((stalled["Threshold"].as_f64(), stalled["Period"].as_i64()), (Some(60.0), Some(60)));
        assert!(stalled.get("Metrics").is_none() && stalled.get("AlarmActions").is_none());
        // Its check, and the TCP check of the region's WebSocket endpoint.
        let alarm_check = &crate::realtime::at(&t, "Api/ChatHealth/AlarmCheck0")["Properties"]["HealthCheckConfig"];
        assert_eq!(alarm_check["Type"], "CLOUDWATCH_METRIC");
        assert_eq!(
            reference(&alarm_check["AlarmIdentifier"]["Name"]),
            Some(logical_id(&t, "Api/ChatSignals/QueueStalled"))
        );
        let tcp = &crate::realtime::at(&t, "Api/ChatHealth/Check0")["Properties"]["HealthCheckConfig"];
        assert_eq!((tcp["Type"].as_str(), tcp["Port"].as_i64()), (Some("TCP"), Some(443)));
        assert_eq!(tcp["FullyQualifiedDomainName"]["Fn::GetAtt"][1], "RegionalDomainName");

        // The region's check follows them, and needs them healthy.
        let check = &crate::realtime::at(&t, "Api/RegionHealth/Check")["Properties"]["HealthCheckConfig"];
        assert_eq!(check["Type"], "CALCULATED");
        let children: Vec<&str> = check["ChildHealthChecks"].as_array().unwrap().iter().filter_map(reference).collect();
        // Five target-group alarms (Orders and Web: two each; Admin: one), the probe, the tier's
        // two, the simpler API's one.
        assert_eq!(children.len(), 5 + usize::from(probe) + 3);
        for path in ["Api/ChatHealth/AlarmCheck0", "Api/ChatHealth/Check0", "Api/LiveHealth/Check0"] {
            assert!(children.contains(&logical_id(&t, path)), "{path} in {children:?}");
        }
        assert_eq!(
            check["HealthThreshold"],
            3 + i64::from(probe) + 3,
            "a target group per service, the probe, the tiers"
        );
        let live = &crate::realtime::at(&t, "Api/LiveHealth/Check0")["Properties"]["HealthCheckConfig"];
        assert_eq!(live["Type"], "TCP");
        assert_eq!(
            live["FullyQualifiedDomainName"]["Fn::Sub"][0],
            "${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
        );
    }

    // A calculated check or an alarm among the checks, or an API without a region health check:
    // errors naming the path.
    let app = App::new("shop");
    let api = MultiRegionApi::new_stack_set(&app, "Api", fronted(props(two_regions())));
    let nested = HealthCheckProps::Calculated { children: vec!["abc".into()], healthy_needed: 1 };
    api.watch_in_region_health("Bad", &HealthSignals { alarms: vec![], checks: vec![nested] });
    let err = app.synth().unwrap_err().to_string();
    assert!(err.contains("Api/Bad") && err.contains("a calculated check cannot be the child"), "{err}");
    let app = App::new("shop");
    let api = MultiRegionApi::new_stack_set(&app, "Api", props(two_regions()));
    api.watch_in_region_health("Tier", &HealthSignals::default());
    let err = app.synth().unwrap_err().to_string();
    assert!(err.contains("only when the API is fronted by CloudFront"), "{err}");
}

/// The logical id of the resource at `path`.
fn logical_id<'a>(t: &'a Json, path: &str) -> &'a str {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, r)| r["Metadata"]["haplat:path"] == path)
        .map(|(id, _)| id.as_str())
        .unwrap_or_else(|| panic!("nothing at {path}"))
}
