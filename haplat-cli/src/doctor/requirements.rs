//! What the account must already have for this assembly, read from the manifest and the
//! templates alone (no AWS): which regions log API Gateway stages, whether a Shield protection is
//! declared, the Aurora global clusters' engine and version and their regions, the zones the VPCs
//! take from `Fn::GetAZs`, Backup selections of DynamoDB tables with cross-region copies, the
//! Route 53 hosted zones used (by id or by name, by records and by DNS-validated certificates),
//! and the counts that meet service quotas.
//!
//! A template is read as deployed to every region of its stack: conditions are not evaluated, so
//! a resource that only one region creates counts in each (a requirement too many, never one
//! too few).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::assembly::Assembly;

/// An Aurora global cluster: what every region of it must offer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuroraNeed {
    /// The construct path of the global cluster.
    pub path: String,
    /// `aurora-postgresql`, `aurora-mysql`.
    pub engine: String,
    /// The pinned version (`17.7`).
    pub version: String,
    /// Whether a cluster of it runs Serverless v2 (`ServerlessV2ScalingConfiguration`).
    pub serverless_v2: bool,
    /// The regions of its stack.
    pub regions: BTreeSet<String>,
}

/// The zones a region's VPCs take: by name from `Fn::GetAZs`, or by zone ID.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ZoneNeed {
    /// The `Fn::Select` indexes into `Fn::GetAZs` (0 = the first zone name).
    pub indexes: BTreeSet<usize>,
    /// The zone IDs subnets name (`AvailabilityZoneId`, a literal or the region's value of the
    /// template's mapping).
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub ids: BTreeSet<String>,
    /// Whether Fargate tasks run in that region.
    pub fargate: bool,
    /// The interface endpoints' service names (`com.amazonaws.<region>.logs`).
    pub interface_endpoints: BTreeSet<String>,
}

/// What one region will hold that counts against a quota.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// `AWS::EC2::VPC`.
    pub vpcs: u32,
    /// `AWS::EC2::EIP` (the NAT gateways' addresses).
    pub elastic_ips: u32,
    /// Application load balancers.
    pub albs: u32,
}

/// Everything the checks of `haplat doctor` need from the assembly.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Requirements {
    /// Every region of the assembly.
    pub regions: BTreeSet<String>,
    /// Region → the API Gateway stages there that write access or execution logs.
    pub api_logs: BTreeMap<String, Vec<String>>,
    /// The `AWS::Shield::Protection`s declared (construct paths).
    pub shield: Vec<String>,
    /// The Aurora global clusters.
    pub aurora: Vec<AuroraNeed>,
    /// Region → the zones its VPCs use.
    pub zones: BTreeMap<String, ZoneNeed>,
    /// Region → the Backup selections there that pick DynamoDB tables for a plan with a
    /// cross-region copy.
    pub backup_dynamodb: BTreeMap<String, Vec<String>>,
    /// Hosted zone id → the records (and DNS-validated certificates) that use it.
    pub hosted_zones: BTreeMap<String, Vec<String>>,
    /// Hosted zone name (with its trailing dot) → the records that name their zone by
    /// `HostedZoneName`, which CloudFormation resolves at create time.
    pub hosted_zone_names: BTreeMap<String, Vec<String>>,
    /// Region → what counts against its quotas.
    pub counts: BTreeMap<String, Counts>,
    /// The service-managed stack sets, with the `CallAs` their environment names.
    pub service_managed: Vec<(String, haplat_core::manifest::CallAs)>,
}

/// One resource as the extraction sees it.
struct Res<'a> {
    path: String,
    kind: &'a str,
    props: &'a Value,
}

fn resources<'a>(assembly: &'a Assembly, stack: &'a haplat_core::manifest::StackManifest) -> Vec<Res<'a>> {
    let Some(t) = assembly.templates.get(&stack.name) else { return Vec::new() };
    let Some(map) = t.json.get("Resources").and_then(Value::as_object) else { return Vec::new() };
    map.iter()
        .map(|(id, r)| Res {
            path: stack.resources.get(id).map(|m| m.path.clone()).unwrap_or_else(|| format!("{}/{id}", stack.id)),
            kind: r.get("Type").and_then(Value::as_str).unwrap_or(""),
            props: r.get("Properties").unwrap_or(&Value::Null),
        })
        .collect()
}

/// The requirements of an assembly.
pub fn extract(assembly: &Assembly) -> Requirements {
    let mut req = Requirements { regions: assembly.regions(), ..Default::default() };
    for stack in &assembly.manifest.stacks {
        if let haplat_core::manifest::Deployment::OrganizationalUnits { call_as, .. } = &stack.deployment {
            req.service_managed.push((stack.name.clone(), *call_as));
        }
        let regions: BTreeSet<String> = stack.target.regions().into_iter().collect();
        let res = resources(assembly, stack);
        let mut counts = Counts::default();
        let mut zones = ZoneNeed::default();
        let mut has_vpc_zones = false;
        // Region → the zone IDs its subnets name.
        let mut zone_ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mappings = assembly.templates.get(&stack.name).and_then(|t| t.json.get("Mappings")).cloned();
        let mut plans_with_copy: BTreeSet<String> = BTreeSet::new();
        let logical: BTreeMap<&str, &str> = assembly
            .templates
            .get(&stack.name)
            .and_then(|t| t.json.get("Resources"))
            .and_then(Value::as_object)
            .map(|m| {
                m.iter().map(|(id, r)| (id.as_str(), r.get("Type").and_then(Value::as_str).unwrap_or(""))).collect()
            })
            .unwrap_or_default();
        for r in &res {
            let p = r.props;
            match r.kind {
                "AWS::ApiGatewayV2::Stage" | "AWS::ApiGateway::Stage" if logs(p) => {
                    for region in &regions {
                        req.api_logs.entry(region.clone()).or_default().push(r.path.clone());
                    }
                }
                "AWS::Shield::Protection" | "AWS::Shield::ProtectionGroup" => req.shield.push(r.path.clone()),
                "AWS::RDS::GlobalCluster" => req.aurora.push(AuroraNeed {
                    path: r.path.clone(),
                    engine: text(&p["Engine"]),
                    version: text(&p["EngineVersion"]),
                    serverless_v2: false,
                    regions: regions.clone(),
                }),
                "AWS::EC2::VPC" => counts.vpcs += 1,
                "AWS::EC2::EIP" => counts.elastic_ips += 1,
                "AWS::ElasticLoadBalancingV2::LoadBalancer"
                    if p.get("Type").and_then(Value::as_str).is_none_or(|t| t == "application") =>
                {
                    counts.albs += 1;
                }
                "AWS::EC2::Subnet" => {
                    if let Some(i) = get_azs_index(&p["AvailabilityZone"]) {
                        zones.indexes.insert(i);
                        has_vpc_zones = true;
                    }
                    for region in &regions {
                        if let Some(id) = in_region(&p["AvailabilityZoneId"], region, mappings.as_ref()) {
                            zone_ids.entry(region.clone()).or_default().insert(id);
                            has_vpc_zones = true;
                        }
                    }
                }
                "AWS::EC2::VPCEndpoint" => {
                    let interface = match p.get("VpcEndpointType").and_then(Value::as_str) {
                        Some(t) => t == "Interface",
                        None => p.get("SubnetIds").is_some(),
                    };
                    if interface {
                        zones.interface_endpoints.insert(text(&p["ServiceName"]));
                    }
                }
                "AWS::ECS::Service" | "AWS::ECS::TaskDefinition" | "AWS::ECS::TaskSet"
                    if p.to_string().contains("\"FARGATE") =>
                {
                    zones.fargate = true;
                }
                "AWS::Backup::BackupPlan" => {
                    let rules = p["BackupPlan"]["BackupPlanRule"].as_array().cloned().unwrap_or_default();
                    if rules.iter().any(|rule| rule["CopyActions"].as_array().is_some_and(|c| !c.is_empty())) {
                        let id = res_id(&logical, &r.path, stack);
                        plans_with_copy.insert(id);
                    }
                }
                "AWS::Route53::RecordSet" | "AWS::Route53::RecordSetGroup" => {
                    if let Some(id) = p.get("HostedZoneId").and_then(Value::as_str) {
                        req.hosted_zones.entry(id.to_owned()).or_default().push(r.path.clone());
                    }
                    if let Some(name) = p.get("HostedZoneName").and_then(Value::as_str) {
                        let name = format!("{}.", name.trim_end_matches('.'));
                        req.hosted_zone_names.entry(name).or_default().push(r.path.clone());
                    }
                }
                // DNS validation writes its CNAME into the zone named by id.
                "AWS::CertificateManager::Certificate" => {
                    let ids: BTreeSet<&str> = p["DomainValidationOptions"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|o| o.get("HostedZoneId").and_then(Value::as_str))
                        .collect();
                    for id in ids {
                        req.hosted_zones.entry(id.to_owned()).or_default().push(r.path.clone());
                    }
                }
                _ => {}
            }
        }
        // Serverless v2 clusters of a global cluster in the same stack.
        let serverless = res
            .iter()
            .any(|r| r.kind == "AWS::RDS::DBCluster" && r.props.get("ServerlessV2ScalingConfiguration").is_some());
        if serverless {
            for a in req.aurora.iter_mut().filter(|a| a.regions == regions) {
                a.serverless_v2 = true;
            }
        }
        // Backup selections of this stack's plans with a copy that pick DynamoDB tables: by
        // ARN, or by a tag a table carries (the tables of every stack in these regions).
        for r in res.iter().filter(|r| r.kind == "AWS::Backup::BackupSelection") {
            let plan = r.props["BackupPlanId"]["Ref"].as_str().unwrap_or("");
            if !plans_with_copy.contains(plan) {
                continue;
            }
            let sel = &r.props["BackupSelection"];
            let by_arn =
                sel["Resources"].to_string().contains("dynamodb") || sel["Resources"].to_string().contains("\"*\"");
            let wanted = tags_of_selection(sel);
            let all_tags = table_tags(assembly, &regions);
            let by_tag = !wanted.is_empty() && wanted.iter().any(|t| all_tags.contains(t));
            if by_arn || by_tag {
                for region in &regions {
                    req.backup_dynamodb.entry(region.clone()).or_default().push(r.path.clone());
                }
            }
        }
        for region in &regions {
            let c = req.counts.entry(region.clone()).or_default();
            c.vpcs += counts.vpcs;
            c.elastic_ips += counts.elastic_ips;
            c.albs += counts.albs;
            if has_vpc_zones || !zones.interface_endpoints.is_empty() {
                let z = req.zones.entry(region.clone()).or_default();
                z.indexes.extend(zones.indexes.iter().copied());
                z.ids.extend(zone_ids.get(region).into_iter().flatten().cloned());
                z.fargate |= zones.fargate;
                z.interface_endpoints
                    .extend(zones.interface_endpoints.iter().map(|s| s.replace("${AWS::Region}", region)));
            }
        }
    }
    req.counts.retain(|_, c| *c != Counts::default());
    req
}

/// The logical id of a plan, for matching `BackupPlanId: {Ref: …}`.
fn res_id(logical: &BTreeMap<&str, &str>, path: &str, stack: &haplat_core::manifest::StackManifest) -> String {
    stack
        .resources
        .iter()
        .find(|(_, m)| m.path == path)
        .map(|(id, _)| id.clone())
        .or_else(|| path.rsplit('/').next().filter(|id| logical.contains_key(id)).map(str::to_owned))
        .unwrap_or_default()
}

/// Whether a stage writes access logs or execution logs.
fn logs(p: &Value) -> bool {
    let level = |v: &Value| v.get("LoggingLevel").and_then(Value::as_str).is_some_and(|l| l != "OFF");
    p.get("AccessLogSettings").is_some()
        || p.get("AccessLogSetting").is_some()
        || p.get("DefaultRouteSettings").is_some_and(level)
        || p["MethodSettings"].as_array().is_some_and(|m| m.iter().any(level))
        || p["RouteSettings"].as_object().is_some_and(|m| m.values().any(level))
}

/// A string property (`Fn::Sub` without variables other than pseudo parameters is read as its
/// text).
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(m) => m.get("Fn::Sub").and_then(Value::as_str).map(str::to_owned).unwrap_or_default(),
        _ => String::new(),
    }
}

/// A string as deployed to `region`: a literal, or `Fn::FindInMap [map, {Ref: AWS::Region}, key]`
/// read from the template's `Mappings`.
fn in_region(v: &Value, region: &str, mappings: Option<&Value>) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(m) => {
            let args = m.get("Fn::FindInMap")?.as_array()?;
            let (map, key) = (args.first()?.as_str()?, args.get(2)?.as_str()?);
            if args.get(1)?.get("Ref").and_then(Value::as_str) != Some("AWS::Region") {
                return None;
            }
            mappings?.get(map)?.get(region)?.get(key)?.as_str().map(str::to_owned)
        }
        _ => None,
    }
}

/// `{"Fn::Select": [i, {"Fn::GetAZs": …}]}` → `i`.
fn get_azs_index(v: &Value) -> Option<usize> {
    let sel = v.get("Fn::Select")?.as_array()?;
    if sel.len() != 2 || sel[1].get("Fn::GetAZs").is_none() {
        return None;
    }
    match &sel[0] {
        Value::Number(n) => n.as_u64().map(|n| n as usize),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn tags(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| Some((t.get("Key")?.as_str()?.to_owned(), t.get("Value")?.as_str()?.to_owned())))
        .collect()
}

fn tags_of_selection(sel: &Value) -> Vec<(String, String)> {
    sel["ListOfTags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some((t.get("ConditionKey")?.as_str()?.to_owned(), t.get("ConditionValue")?.as_str()?.to_owned()))
        })
        .collect()
}

/// The tags of every DynamoDB table deployed to one of `regions`.
fn table_tags(assembly: &Assembly, regions: &BTreeSet<String>) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for stack in &assembly.manifest.stacks {
        if !stack.target.regions().iter().any(|r| regions.contains(r)) {
            continue;
        }
        for r in resources(assembly, stack) {
            if matches!(r.kind, "AWS::DynamoDB::Table" | "AWS::DynamoDB::GlobalTable") {
                out.extend(tags(&r.props["Tags"]));
                for replica in r.props["Replicas"].as_array().into_iter().flatten() {
                    out.extend(tags(&replica["Tags"]));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use haplat_core::manifest::Manifest;
    use serde_json::json;

    use super::*;
    use crate::assembly::Template;

    /// An assembly of `stacks`: (name, regions, resources) each, without touching the disk.
    fn assembly(stacks: &[(&str, &[&str], Value)]) -> Assembly {
        let mut manifest_stacks = Vec::new();
        let mut templates = BTreeMap::new();
        for (name, regions, resources) in stacks {
            let template = json!({"Resources": resources});
            let resource_map: serde_json::Map<String, Value> = resources
                .as_object()
                .unwrap()
                .iter()
                .map(|(id, r)| {
                    (id.clone(), json!({"type": r["Type"], "path": format!("{name}/{id}"), "stateful": false, "createOnly": [], "deletionPolicy": "Delete"}))
                })
                .collect();
            manifest_stacks.push(json!({
                "id": name, "name": name, "template": format!("{name}.template.json"), "templateBytes": 0,
                "requiresUpload": false, "target": {"kind": "stackSet", "regions": regions}, "wave": 0,
                "capabilities": [], "parameters": {}, "bindings": [], "resources": resource_map, "tags": {}
            }));
            templates.insert(name.to_string(), Template { body: template.to_string(), json: template });
        }
        let names: Vec<&str> = stacks.iter().map(|s| s.0).collect();
        let m = json!({"version": "1", "app": "t", "stacks": manifest_stacks, "waves": [names]});
        Assembly { dir: PathBuf::new(), manifest: Manifest::from_json(&m.to_string()).unwrap(), templates }
    }

    #[test]
    fn an_empty_assembly_needs_nothing_but_its_regions() {
        let r = extract(&assembly(&[("A", &["us-east-1"], json!({"Q": {"Type": "AWS::SQS::Queue"}}))]));
        assert_eq!(r.regions.iter().collect::<Vec<_>>(), ["us-east-1"]);
        assert!(r.api_logs.is_empty() && r.shield.is_empty() && r.aurora.is_empty() && r.zones.is_empty());
        assert!(r.backup_dynamodb.is_empty() && r.hosted_zones.is_empty() && r.counts.is_empty());
        assert!(r.hosted_zone_names.is_empty());
    }

    #[test]
    fn logging_stages_shield_and_hosted_zones_are_found_per_region() {
        let r = extract(&assembly(&[
            (
                "Api",
                &["us-east-1", "eu-west-1"],
                json!({
                    "Logged": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {"AccessLogSettings": {"Format": "x"}}},
                    "Quiet": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {"StageName": "q"}},
                    "Rest": {"Type": "AWS::ApiGateway::Stage", "Properties": {"MethodSettings": [{"LoggingLevel": "INFO"}]}}
                }),
            ),
            (
                "Edge",
                &["us-east-1"],
                json!({
                    "Shield": {"Type": "AWS::Shield::Protection", "Properties": {}},
                    "Rec": {"Type": "AWS::Route53::RecordSet", "Properties": {"HostedZoneId": "Z123"}},
                    "ByName": {"Type": "AWS::Route53::RecordSet", "Properties": {"HostedZoneName": "example.com"}},
                    "Group": {"Type": "AWS::Route53::RecordSetGroup", "Properties": {"HostedZoneName": "example.com."}},
                    "Cert": {"Type": "AWS::CertificateManager::Certificate", "Properties": {"DomainValidationOptions": [
                        {"DomainName": "a.example.com", "HostedZoneId": "Z123"},
                        {"DomainName": "b.example.com", "HostedZoneId": "Z123"}
                    ]}}
                }),
            ),
        ]));
        assert_eq!(r.api_logs["eu-west-1"], ["Api/Logged", "Api/Rest"]);
        assert_eq!(r.api_logs["us-east-1"], ["Api/Logged", "Api/Rest"]);
        assert_eq!(r.shield, ["Edge/Shield"]);
        assert_eq!(r.hosted_zones["Z123"], ["Edge/Rec", "Edge/Cert"]);
        // A zone named with or without its trailing dot is one zone.
        assert_eq!(r.hosted_zone_names["example.com."], ["Edge/ByName", "Edge/Group"]);
    }

    #[test]
    fn aurora_global_clusters_carry_engine_version_regions_and_serverless_v2() {
        let r = extract(&assembly(&[(
            "Db",
            &["us-east-1", "us-west-2"],
            json!({
                "Global": {"Type": "AWS::RDS::GlobalCluster", "Properties": {"Engine": "aurora-postgresql", "EngineVersion": "17.7"}},
                "Cluster": {"Type": "AWS::RDS::DBCluster", "Properties": {"ServerlessV2ScalingConfiguration": {"MinCapacity": 0.5}}}
            }),
        )]));
        assert_eq!(r.aurora.len(), 1);
        let a = &r.aurora[0];
        assert_eq!((a.engine.as_str(), a.version.as_str(), a.serverless_v2), ("aurora-postgresql", "17.7", true));
        assert_eq!(a.regions.iter().collect::<Vec<_>>(), ["us-east-1", "us-west-2"]);
    }

    #[test]
    fn zones_fargate_interface_endpoints_and_quota_counts_per_region() {
        let subnet = |i: u64| json!({"Type": "AWS::EC2::Subnet", "Properties": {"AvailabilityZone": {"Fn::Select": [i, {"Fn::GetAZs": ""}]}}});
        let r = extract(&assembly(&[(
            "Net",
            &["us-east-1", "us-west-1"],
            json!({
                "Vpc": {"Type": "AWS::EC2::VPC"},
                "S0": subnet(0), "S1": subnet(1), "S2": subnet(2),
                "Eip1": {"Type": "AWS::EC2::EIP"}, "Eip2": {"Type": "AWS::EC2::EIP"},
                "Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {}},
                "Nlb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Type": "network"}},
                "Svc": {"Type": "AWS::ECS::Service", "Properties": {"LaunchType": "FARGATE"}},
                "Logs": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"ServiceName": {"Fn::Sub": "com.amazonaws.${AWS::Region}.logs"}, "SubnetIds": []}},
                "S3": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"ServiceName": {"Fn::Sub": "com.amazonaws.${AWS::Region}.s3"}, "RouteTableIds": []}}
            }),
        )]));
        let z = &r.zones["us-west-1"];
        assert_eq!(z.indexes.iter().collect::<Vec<_>>(), [&0, &1, &2]);
        assert!(z.ids.is_empty());
        assert!(z.fargate);
        assert_eq!(z.interface_endpoints.iter().collect::<Vec<_>>(), ["com.amazonaws.us-west-1.logs"]);
        assert_eq!(r.counts["us-east-1"], Counts { vpcs: 1, elastic_ips: 2, albs: 1 });
    }

    #[test]
    fn zone_ids_are_read_per_region_from_the_mapping() {
        let mut a = assembly(&[(
            "Net",
            &["us-east-1", "eu-west-1"],
            json!({
                "S1": {"Type": "AWS::EC2::Subnet", "Properties": {"AvailabilityZoneId": {"Fn::FindInMap": ["RegionConfig", {"Ref": "AWS::Region"}, "ZoneId1"]}}},
                "S2": {"Type": "AWS::EC2::Subnet", "Properties": {"AvailabilityZoneId": {"Fn::FindInMap": ["RegionConfig", {"Ref": "AWS::Region"}, "ZoneId2"]}}},
                "S3": {"Type": "AWS::EC2::Subnet", "Properties": {"AvailabilityZoneId": "use1-az6"}}
            }),
        )]);
        let t = a.templates.get_mut("Net").unwrap();
        t.json["Mappings"] = json!({"RegionConfig": {
            "us-east-1": {"ZoneId1": "use1-az1", "ZoneId2": "use1-az4"},
            "eu-west-1": {"ZoneId1": "euw1-az1", "ZoneId2": "euw1-az2"}
        }});
        let r = extract(&a);
        assert_eq!(r.zones["us-east-1"].ids.iter().collect::<Vec<_>>(), ["use1-az1", "use1-az4", "use1-az6"]);
        assert!(r.zones["us-east-1"].indexes.is_empty());
        assert_eq!(r.zones["eu-west-1"].ids.iter().collect::<Vec<_>>(), ["euw1-az1", "euw1-az2", "use1-az6"]);
    }

    #[test]
    fn backup_selections_of_tagged_dynamodb_tables_with_a_copy_are_found() {
        let plan = |copy: bool| {
            let actions = if copy { json!([{"DestinationBackupVaultArn": "arn"}]) } else { json!([]) };
            json!({"Type": "AWS::Backup::BackupPlan", "Properties": {"BackupPlan": {"BackupPlanRule": [{"CopyActions": actions}]}}})
        };
        let selection = |plan: &str| json!({"Type": "AWS::Backup::BackupSelection", "Properties": {"BackupPlanId": {"Ref": plan}, "BackupSelection": {"ListOfTags": [{"ConditionKey": "backup", "ConditionValue": "daily", "ConditionType": "STRINGEQUALS"}]}}});
        let r = extract(&assembly(&[
            (
                "Data",
                &["us-east-1"],
                json!({"Copy": plan(true), "Sel": selection("Copy"), "Local": plan(false), "LocalSel": selection("Local")}),
            ),
            (
                "Global",
                &["us-east-1"],
                json!({"Orders": {"Type": "AWS::DynamoDB::GlobalTable", "Properties": {"Replicas": [{"Region": "us-east-1", "Tags": [{"Key": "backup", "Value": "daily"}]}]}}}),
            ),
        ]));
        assert_eq!(r.backup_dynamodb["us-east-1"], ["Data/Sel"]);
        // Without a table carrying the tag, the selection picks no DynamoDB table.
        let r = extract(&assembly(&[("Data", &["us-east-1"], json!({"Copy": plan(true), "Sel": selection("Copy")}))]));
        assert!(r.backup_dynamodb.is_empty());
    }
}
