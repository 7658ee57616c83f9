//! Every rule with a minimal template that breaks it and one that passes.

use serde_json::json;

use crate::support::*;

fn one(rule: &str, regions: &'static [&'static str], res: serde_json::Value) -> Vec<haplat_check::Finding> {
    of(&run(vec![stack("S", regions, resources(res))]), rule)
}

#[test]
fn hap001_deletion_protection_with_a_policy_that_deletes() {
    let alb = |policy: Option<&str>| {
        let mut r = json!({
            "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "Metadata": {"haplat:path": "S/Alb"},
            "Properties": {"LoadBalancerAttributes": [{"Key": "deletion_protection.enabled", "Value": "true"}]}
        });
        if let Some(p) = policy {
            r["DeletionPolicy"] = json!(p);
        }
        json!({ "Alb": r })
    };
    let found = one("HAP001", &["us-east-1"], alb(None));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "S/Alb");
    assert!(found[0].message.contains("DELETE_FAILED"), "{}", found[0].message);
    assert_eq!(one("HAP001", &["us-east-1"], alb(Some("Delete"))).len(), 1);
    assert!(one("HAP001", &["us-east-1"], alb(Some("Retain"))).is_empty());

    // RDS: Snapshot still deletes; DynamoDB global tables per replica.
    let db = json!({
        "Db": {"Type": "AWS::RDS::DBCluster", "DeletionPolicy": "Snapshot", "Properties": {"DeletionProtection": true}},
        "Off": {"Type": "AWS::RDS::DBCluster", "Properties": {"DeletionProtection": false}},
        "Table": {"Type": "AWS::DynamoDB::GlobalTable", "Properties": {"Replicas": [
            {"Region": "us-east-1", "DeletionProtectionEnabled": true}, {"Region": "eu-west-1"}]}}
    });
    let found = one("HAP001", &["us-east-1"], db);
    let ids: Vec<&str> = found.iter().map(|f| f.logical_id.as_str()).collect();
    assert_eq!(ids, ["Db", "Table"]);
    assert_eq!(found[1].regions, ["us-east-1"]);
}

/// Protection bound to the parameter `haplat destroy` lifts first passes; protection hard-coded,
/// or bound to anything else, with a policy that deletes is still found.
#[test]
fn hap001_accepts_protection_that_destroy_lifts() {
    let template = |protection: serde_json::Value, with_parameter: bool| {
        let mut t = resources(json!({
            "Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Metadata": {"haplat:path": "S/Alb"},
                    "Properties": {"LoadBalancerAttributes": [
                        {"Key": "deletion_protection.enabled", "Value": protection.clone()}]}},
            "Db": {"Type": "AWS::RDS::DBCluster", "DeletionPolicy": "Snapshot", "Metadata": {"haplat:path": "S/Db"},
                   "Properties": {"DeletionProtection": protection}}
        }));
        t["Conditions"] = json!({
            "HaplatDeletionProtectionOn": {"Fn::Equals": [{"Ref": "HaplatDeletionProtection"}, "true"]},
            "Other": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}
        });
        if with_parameter {
            t["Parameters"] = json!({"HaplatDeletionProtection": {"Type": "String", "Default": "true",
                                     "AllowedValues": ["true", "false"]}});
        }
        of(&run(vec![stack("S", &["us-east-1"], t)]), "HAP001")
    };
    let lifted = json!({"Fn::If": ["HaplatDeletionProtectionOn", true, false]});
    assert!(template(lifted.clone(), true).is_empty());
    assert!(template(json!({"Ref": "HaplatDeletionProtection"}), true).is_empty());
    // Without the parameter declared, nothing lifts it.
    assert_eq!(template(lifted, false).len(), 2);
    // Hard-coded, or on under another condition: destroy cannot lift it.
    assert_eq!(template(json!(true), true).len(), 2);
    assert_eq!(template(json!({"Fn::If": ["Other", true, false]}), true).len(), 2);
    assert_eq!(template(json!({"Fn::If": ["HaplatDeletionProtectionOn", true, true]}), true).len(), 2);
}

#[test]
fn hap002_retained_database_in_network_the_stack_deletes() {
    let template = |network_policy: Option<&str>| {
        let mut sg = json!({"Type": "AWS::EC2::SecurityGroup", "Metadata": {"haplat:path": "S/Sg"}});
        let mut group = json!({"Type": "AWS::RDS::DBSubnetGroup", "Metadata": {"haplat:path": "S/Subnets"}});
        if let Some(p) = network_policy {
            sg["DeletionPolicy"] = json!(p);
            group["DeletionPolicy"] = json!(p);
        }
        json!({
            "Sg": sg,
            "Subnets": group,
            "Db": {"Type": "AWS::RDS::DBCluster", "DeletionPolicy": "Retain", "Metadata": {"haplat:path": "S/Db"},
                   "Properties": {"DBSubnetGroupName": {"Ref": "Subnets"},
                                  "VpcSecurityGroupIds": [{"Fn::GetAtt": ["Sg", "GroupId"]}]}}
        })
    };
    let found = one("HAP002", &["us-east-1"], template(None));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].path, "S/Db");
    assert!(found[0].message.contains("S/Sg (AWS::EC2::SecurityGroup) and S/Subnets"), "{}", found[0].message);
    assert!(one("HAP002", &["us-east-1"], template(Some("Retain"))).is_empty());
}

#[test]
fn hap003_retained_fixed_names_collide_on_redeploy() {
    let vault = |name: serde_json::Value, policy: &str| {
        json!({"Vault": {"Type": "AWS::Backup::BackupVault", "DeletionPolicy": policy,
                         "Properties": {"BackupVaultName": name}}})
    };
    let found = one("HAP003", &["us-east-1", "eu-west-1"], vault(json!("shop-prod"), "Retain"));
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("\"shop-prod\""), "{}", found[0].message);
    assert_eq!(found[0].regions, ["us-east-1", "eu-west-1"]);
    // Per region is still fixed; per stack instance is not (stack set instance names are unique).
    assert_eq!(one("HAP003", &["us-east-1"], vault(json!({"Fn::Sub": "shop-${AWS::Region}"}), "Retain")).len(), 1);
    assert!(one("HAP003", &["us-east-1"], vault(json!({"Fn::Sub": "${AWS::StackName}-v"}), "Retain")).is_empty());
    assert!(one("HAP003", &["us-east-1"], vault(json!("shop-prod"), "Delete")).is_empty());
    // A secret's name also lives in its replica regions.
    let secret = json!({"Secret": {"Type": "AWS::SecretsManager::Secret", "DeletionPolicy": "Retain",
        "Properties": {"Name": "shop/x", "ReplicaRegions": [{"Region": "us-west-2"}]}}});
    assert_eq!(one("HAP003", &["us-east-1"], secret)[0].regions, ["us-east-1", "us-west-2"]);
}

#[test]
fn hap004_websocket_stage_logs_need_the_account_role() {
    let api = |protocol: &str| {
        json!({
            "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": protocol}},
            "Stage": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {"ApiId": {"Ref": "Api"},
                      "AccessLogSettings": {"DestinationArn": "arn", "Format": "$context.requestId"}}}
        })
    };
    let found = one("HAP004", &["us-east-1", "eu-west-1"], api("WEBSOCKET"));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].regions, ["us-east-1", "eu-west-1"]);
    assert!(found[0].message.contains("CloudWatch Logs role ARN must be set"), "{}", found[0].message);
    assert!(one("HAP004", &["us-east-1"], api("HTTP")).is_empty());
    // The assembly sets the role itself in that region.
    let mut with_account = api("WEBSOCKET");
    with_account["Account"] =
        json!({"Type": "AWS::ApiGateway::Account", "Properties": {"CloudWatchRoleArn": "arn:role"}});
    assert!(one("HAP004", &["us-east-1"], with_account).is_empty());
    // A REST stage with execution logs.
    let rest = json!({"Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {
        "MethodSettings": [{"HttpMethod": "*", "ResourcePath": "/*", "LoggingLevel": "INFO"}]}}});
    assert_eq!(one("HAP004", &["us-east-1"], rest).len(), 1);
}

fn backup_stack(continuous: bool, selection: serde_json::Value) -> S {
    stack(
        "Data",
        &["us-east-1", "eu-west-1"],
        resources(json!({
            "Plan": {"Type": "AWS::Backup::BackupPlan", "Metadata": {"haplat:path": "Data/Plan"}, "Properties": {
                "BackupPlan": {"BackupPlanName": "p", "BackupPlanRule": [
                    {"RuleName": "Daily", "TargetBackupVault": "v", "EnableContinuousBackup": continuous,
                     "Lifecycle": {"DeleteAfterDays": 35}}]}}},
            "Selection": {"Type": "AWS::Backup::BackupSelection", "Properties": {
                "BackupPlanId": {"Ref": "Plan"}, "BackupSelection": selection}}
        })),
    )
}

fn cluster_stack(retention: Option<u32>) -> S {
    let mut props = json!({"Engine": "aurora-postgresql", "DBClusterIdentifier": "orders",
                           "Tags": [{"Key": "backup", "Value": "daily"}]});
    if let Some(r) = retention {
        props["BackupRetentionPeriod"] = json!(r);
    }
    stack("Api", &["us-east-1"], resources(json!({"Db": {"Type": "AWS::RDS::DBCluster", "Properties": props}})))
}

#[test]
fn hap005_continuous_backup_contradicts_the_clusters_retention() {
    let by_tag = json!({"SelectionName": "s", "IamRoleArn": "r",
        "ListOfTags": [{"ConditionKey": "backup", "ConditionType": "STRINGEQUALS", "ConditionValue": "daily"}]});
    let found = of(&run(vec![backup_stack(true, by_tag.clone()), cluster_stack(Some(14))]), "HAP005");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].stack, "Api");
    assert_eq!(found[0].regions, ["us-east-1"]);
    assert!(found[0].message.contains("BackupRetentionPeriod 14"), "{}", found[0].message);
    // No continuous backup, no retention set, or not selected: fine.
    assert!(of(&run(vec![backup_stack(false, by_tag.clone()), cluster_stack(Some(14))]), "HAP005").is_empty());
    assert!(of(&run(vec![backup_stack(true, by_tag), cluster_stack(None)]), "HAP005").is_empty());
    let other_tag = json!({"SelectionName": "s", "IamRoleArn": "r",
        "Conditions": {"StringEquals": [{"ConditionKey": "aws:ResourceTag/backup", "ConditionValue": "weekly"}]}});
    assert!(of(&run(vec![backup_stack(true, other_tag), cluster_stack(Some(14))]), "HAP005").is_empty());
    // By ARN.
    let by_arn = json!({"SelectionName": "s", "IamRoleArn": "r", "Resources": ["arn:aws:rds:*:*:cluster:ord*"]});
    assert_eq!(of(&run(vec![backup_stack(true, by_arn), cluster_stack(Some(7))]), "HAP005").len(), 1);
}

fn edge(methods: &[&str], pattern: &str) -> S {
    stack(
        "Edge",
        &["us-east-1"],
        resources(json!({"Cdn": {"Type": "AWS::CloudFront::Distribution", "Metadata": {"haplat:path": "Edge/Cdn"},
            "Properties": {"DistributionConfig": {
                "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "https-only"},
                "CacheBehaviors": [{"PathPattern": pattern, "AllowedMethods": methods, "TargetOriginId": "o",
                                    "ViewerProtocolPolicy": "https-only"}]}}}})),
    )
}

fn api_routes(conditions: serde_json::Value) -> S {
    stack(
        "Api",
        &["us-east-1", "eu-west-1"],
        resources(json!({"Rule": {"Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
            "Metadata": {"haplat:path": "Api/OrdersRule"},
            "Properties": {"Priority": 10, "ListenerArn": "l", "Conditions": conditions,
                           "Actions": [{"Type": "forward", "TargetGroupArn": "tg"}]}}})),
    )
}

#[test]
fn hap006_read_only_cache_behaviour_over_api_routes() {
    let orders = json!([{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/orders/*"]}}]);
    let found = of(&run(vec![edge(&["GET", "HEAD", "OPTIONS"], "/orders/*"), api_routes(orders.clone())]), "HAP006");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].path, "Edge/Cdn");
    assert!(found[0].message.contains("Api/OrdersRule (/orders/*, stack Api)"), "{}", found[0].message);
    // Overlapping but different patterns.
    assert_eq!(of(&run(vec![edge(&["GET", "HEAD"], "orders/2024*"), api_routes(orders.clone())]), "HAP006").len(), 1);
    // All methods allowed, a disjoint path, or a route that only serves reads: fine.
    let all = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"];
    assert!(of(&run(vec![edge(&all, "/orders/*"), api_routes(orders.clone())]), "HAP006").is_empty());
    assert!(of(&run(vec![edge(&["GET", "HEAD"], "/static/*"), api_routes(orders)]), "HAP006").is_empty());
    let reads = json!([{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/orders/*"]}},
                       {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET"]}}]);
    assert!(of(&run(vec![edge(&["GET", "HEAD"], "/orders/*"), api_routes(reads)]), "HAP006").is_empty());
}

#[test]
fn hap007_a_change_to_a_listener_rule_that_ecs_blue_green_manages() {
    let template = |priority: i64, path: &str| {
        json!({
            "Rule": {"Type": "AWS::ElasticLoadBalancingV2::ListenerRule", "Metadata": {"haplat:path": "S/Rule"},
                     "Properties": {"Priority": priority, "ListenerArn": "l",
                        "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": [path]}}],
                        "Actions": [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
                            {"TargetGroupArn": {"Ref": "Blue"}, "Weight": 100},
                            {"TargetGroupArn": {"Ref": "Green"}, "Weight": 0}]}}]}},
            "Service": {"Type": "AWS::ECS::Service", "Metadata": {"haplat:path": "S/Service"}, "Properties": {
                "LoadBalancers": [{"ContainerName": "app", "ContainerPort": 80, "TargetGroupArn": {"Ref": "Blue"},
                    "AdvancedConfiguration": {"AlternateTargetGroupArn": {"Ref": "Green"},
                        "ProductionListenerRule": {"Ref": "Rule"}, "RoleArn": "r"}}]}}
        })
    };
    let with_baseline = |deployed: serde_json::Value, now: serde_json::Value| {
        let a = assembly(vec![stack("S", &["us-east-1"], resources(now))])
            .with_baseline([("S".to_owned(), resources(deployed))].into());
        of(&haplat_check::check(&a), "HAP007")
    };
    // The priority or a condition changes: CloudFormation sends the template's 100/0 again.
    let found = with_baseline(template(10, "/orders/*"), template(20, "/orders/*"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "S/Rule");
    assert!(found[0].message.contains("S/Service") && found[0].message.contains("(Priority)"), "{}", found[0].message);
    let found = with_baseline(template(10, "/orders/*"), template(10, "/orders/v2/*"));
    assert!(found[0].message.contains("(Conditions)"), "{}", found[0].message);
    // Unchanged, newly created, or nothing deployed to compare with: CloudFormation leaves the
    // live rule as ECS set it.
    assert!(with_baseline(template(10, "/orders/*"), template(10, "/orders/*")).is_empty());
    assert!(with_baseline(json!({}), template(10, "/orders/*")).is_empty());
    assert!(one("HAP007", &["us-east-1"], template(10, "/orders/*")).is_empty());
}

#[test]
fn hap008_secret_resolved_by_name_where_it_does_not_exist() {
    let global = |replicas: serde_json::Value| {
        stack(
            "Global",
            &["us-west-2"],
            resources(
                json!({"Secret": {"Type": "AWS::SecretsManager::Secret", "Metadata": {"haplat:path": "Global/Secret"},
                "Properties": {"Name": "shop/origin", "ReplicaRegions": replicas}}}),
            ),
        )
    };
    let edge = || {
        stack(
            "Edge",
            &["us-east-1"],
            resources(json!({"Cdn": {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
                "Origins": [{"Id": "o", "DomainName": "x", "OriginCustomHeaders": [{"HeaderName": "X-Origin-Verify",
                    "HeaderValue": "{{resolve:secretsmanager:shop/origin:SecretString:value}}"}]}]}}}})),
        )
    };
    let found = of(&run(vec![global(json!([{"Region": "eu-west-1"}])), edge()]), "HAP008");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].regions, ["us-east-1"]);
    assert!(found[0].message.contains("Global/Secret exists only in us-west-2 and eu-west-1"), "{}", found[0].message);
    assert!(of(&run(vec![global(json!([{"Region": "us-east-1"}])), edge()]), "HAP008").is_empty());
}

#[test]
fn hap009_critical_alarm_without_actions() {
    let alarm = |extra: serde_json::Value| {
        let mut props = json!({"AlarmDescription": "[critical] the API is down", "MetricName": "m",
                               "Namespace": "n", "Threshold": 1, "EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanThreshold"});
        for (k, v) in extra.as_object().unwrap() {
            props[k] = v.clone();
        }
        json!({"Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": props}})
    };
    assert_eq!(one("HAP009", &["us-east-1"], alarm(json!({}))).len(), 1);
    assert_eq!(one("HAP009", &["us-east-1"], alarm(json!({"AlarmActions": ["t"], "ActionsEnabled": false}))).len(), 1);
    assert!(one("HAP009", &["us-east-1"], alarm(json!({"AlarmActions": [{"Ref": "Topic"}]}))).is_empty());
    assert!(one("HAP009", &["us-east-1"], alarm(json!({"AlarmDescription": "cpu is high"}))).is_empty());
    // Read by a composite alarm that notifies.
    let mut composite = alarm(json!({}));
    composite["Any"] = json!({"Type": "AWS::CloudWatch::CompositeAlarm", "Properties": {"AlarmName": "any",
        "AlarmRule": {"Fn::Sub": "ALARM(${Alarm})"}, "AlarmActions": ["t"]}});
    assert!(one("HAP009", &["us-east-1"], composite).is_empty());
    // Watched by a Route 53 health check in another stack (through a binding): Route 53 acts on it.
    let mut api = alarm(json!({}));
    let api = stack(
        "Api",
        &["us-east-1"],
        json!({"Resources": api.take(), "Outputs": {"AlarmRef": {"Value": {"Ref": "Alarm"}}}}),
    );
    let edge = stack("Edge", &["us-east-1"], json!({
        "Parameters": {"ApiAlarmRef": {"Type": "String"}},
        "Resources": {"Check": {"Type": "AWS::Route53::HealthCheck", "Properties": {"HealthCheckConfig": {
            "Type": "CLOUDWATCH_METRIC", "AlarmIdentifier": {"Name": {"Ref": "ApiAlarmRef"}, "Region": "us-east-1"}}}}}
    }))
    .binding("ApiAlarmRef", "Api", "AlarmRef");
    assert!(of(&run(vec![api, edge]), "HAP009").is_empty());
}

#[test]
fn hap010_shield_advanced_protection() {
    let found = one(
        "HAP010",
        &["us-east-1"],
        json!({"P": {"Type": "AWS::Shield::Protection", "Properties": {"Name": "p", "ResourceArn": "a"}}}),
    );
    assert_eq!(found.len(), 1);
    assert!(one("HAP010", &["us-east-1"], json!({"W": {"Type": "AWS::WAFv2::WebACL", "Properties": {}}})).is_empty());
}

#[test]
fn hap011_aurora_global_engine_version() {
    let found = one(
        "HAP011",
        &["us-east-1", "eu-west-1"],
        json!({"G": {"Type": "AWS::RDS::GlobalCluster", "Properties": {"Engine": "aurora-postgresql", "EngineVersion": "17.7"}}}),
    );
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("aurora-postgresql 17.7"), "{}", found[0].message);
    let single = json!({"C": {"Type": "AWS::RDS::DBCluster", "Properties": {"Engine": "aurora-postgresql", "EngineVersion": "17.7"}}});
    assert!(one("HAP011", &["us-east-1"], single).is_empty());
}

#[test]
fn hap012_subnets_by_zone_name_where_fargate_runs() {
    let template = |az: serde_json::Value| {
        json!({
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": "v", "CidrBlock": "10.0.0.0/24", "AvailabilityZone": az}},
            "Service": {"Type": "AWS::ECS::Service", "Properties": {"LaunchType": "FARGATE"}}
        })
    };
    let by_name = json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]});
    assert_eq!(one("HAP012", &["us-east-1"], template(by_name)).len(), 1);
    let mut by_id = template(json!("x"));
    by_id["Subnet"]["Properties"] = json!({"VpcId": "v", "CidrBlock": "10.0.0.0/24", "AvailabilityZoneId": "use1-az1"});
    assert!(one("HAP012", &["us-east-1"], by_id).is_empty());
}

#[test]
fn hap013_image_that_cannot_serve_the_port_or_health_check() {
    let template = |image: &str, port: u32, path: &str| {
        json!({
            "Task": {"Type": "AWS::ECS::TaskDefinition", "Metadata": {"haplat:path": "S/Task"}, "Properties": {
                "ContainerDefinitions": [{"Name": "app", "Image": image, "PortMappings": [{"ContainerPort": port}]}]}},
            "Group": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Metadata": {"haplat:path": "S/Group"},
                      "Properties": {"HealthCheckPath": path, "Port": port, "Protocol": "HTTP"}},
            "Service": {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": {"Ref": "Task"},
                "LoadBalancers": [{"ContainerName": "app", "ContainerPort": port, "TargetGroupArn": {"Ref": "Group"}}]}}
        })
    };
    let found = one("HAP013", &["us-east-1"], template("public.ecr.aws/docker/library/nginx:1.27", 8080, "/health"));
    assert_eq!(found.len(), 1);
    let m = &found[0].message;
    assert!(m.contains("maps port 8080 where it listens on 80") && m.contains("S/Group checks /health"), "{m}");
    assert!(one("HAP013", &["us-east-1"], template("nginx:1.27", 80, "/")).is_empty());
    // An image haplat knows nothing about is not judged.
    assert!(one("HAP013", &["us-east-1"], template("example.com/orders:1", 8080, "/health")).is_empty());
}

/// A public image pulled through the region's pull-through cache is still the image HAP013 knows.
#[test]
fn hap013_sees_through_the_pull_through_cache() {
    let template = |image: serde_json::Value| {
        json!({
            "Task": {"Type": "AWS::ECS::TaskDefinition", "Metadata": {"haplat:path": "S/Task"}, "Properties": {
                "ContainerDefinitions": [{"Name": "app", "Image": image, "PortMappings": [{"ContainerPort": 8080}]}]}}
        })
    };
    let cached = "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/ecr-public/nginx/nginx:1.27";
    let found = one("HAP013", &["us-east-1"], template(json!({"Fn::Sub": cached})));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("maps port 8080 where it listens on 80"), "{}", found[0].message);
    let hub = "123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub/library/nginx:1.27";
    assert_eq!(one("HAP013", &["us-east-1"], template(json!(hub))).len(), 1);
    let own = "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/shop-prod/nginx:1";
    assert!(one("HAP013", &["us-east-1"], template(json!({"Fn::Sub": own}))).is_empty());
}

#[test]
fn a_suppressed_finding_is_reported_with_its_reason_and_does_not_fail() {
    let report = run(vec![stack(
        "S",
        &["us-east-1"],
        resources(json!({"P": {"Type": "AWS::Shield::Protection",
            "Metadata": {"haplat:path": "S/P", "haplat:suppress": [{"id": "HAP010", "reason": "subscribed since 2025"}]},
            "Properties": {"Name": "p", "ResourceArn": "a"}}})),
    )]);
    let found = of(&report, "HAP010");
    assert_eq!(found[0].suppressed.as_deref(), Some("subscribed since 2025"));
    assert!(!report.has_errors());
    assert_eq!(report.summary(), "0 errors, 0 warnings, 1 suppressed");
}

#[test]
fn a_suppression_written_by_haplat_core_silences_the_finding() {
    use haplat_core::App;
    use haplat_core::resources::shield::Protection;
    let app = App::new("demo");
    let edge = app.stack("Edge", "us-east-1");
    let p = edge.add(
        "Shield",
        Protection {
            name: "p".into(),
            resource_arn: "arn:aws:cloudfront::123456789012:distribution/E1".into(),
            ..Default::default()
        },
    );
    edge.options(p).suppress("HAP010", "the account is subscribed");
    let report = haplat_check::check_assembly(&app.synth().unwrap()).unwrap();
    assert_eq!(of(&report, "HAP010")[0].suppressed.as_deref(), Some("the account is subscribed"));
}

#[test]
fn hap014_global_table_created_once_from_a_replica_region() {
    let table = json!({"T": {"Type": "AWS::DynamoDB::GlobalTable", "Properties": {
        "Replicas": [{"Region": "us-east-1"}, {"Region": "eu-west-1"}]}}});
    assert!(one("HAP014", &["us-east-1"], table.clone()).is_empty());
    let found = one("HAP014", &["us-west-2"], table.clone());
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("must contain an entry for the current region"), "{}", found[0].message);
    let found = one("HAP014", &["us-east-1", "eu-west-1"], table);
    assert!(found[0].message.contains("stack set deployed to us-east-1 and eu-west-1"), "{}", found[0].message);
}

#[test]
fn hap015_cloudfront_parts_outside_us_east_1() {
    let certs = |region: &'static [&'static str]| {
        stack(
            "Certs",
            region,
            json!({"Resources": {"Cert": {"Type": "AWS::CertificateManager::Certificate",
            "Metadata": {"haplat:path": "Certs/Cert"}, "Properties": {"DomainName": "x.example.com"}}},
            "Outputs": {"CertRef": {"Value": {"Ref": "Cert"}}}}),
        )
    };
    let edge = || {
        stack(
            "Edge",
            &["us-east-1"],
            json!({"Parameters": {"CertsCertRef": {"Type": "String"}}, "Resources": {
            "Cdn": {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
                "ViewerCertificate": {"AcmCertificateArn": {"Ref": "CertsCertRef"}}}}}}}),
        )
        .binding("CertsCertRef", "Certs", "CertRef")
    };
    let found = of(&run(vec![certs(&["eu-west-1"]), edge()]), "HAP015");
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("Certs/Cert made in eu-west-1"), "{}", found[0].message);
    assert!(of(&run(vec![certs(&["us-east-1"]), edge()]), "HAP015").is_empty());
    let acl = json!({"Acl": {"Type": "AWS::WAFv2::WebACL", "Properties": {"Scope": "CLOUDFRONT"}}});
    assert_eq!(one("HAP015", &["us-east-1", "eu-west-1"], acl.clone())[0].regions, ["eu-west-1"]);
    assert!(one("HAP015", &["us-east-1"], acl).is_empty());
}

#[test]
fn hap016_account_wide_names_in_a_stack_set_over_several_regions() {
    let role = |name: serde_json::Value| json!({"Role": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": name}}});
    assert_eq!(one("HAP016", &["us-east-1", "eu-west-1"], role(json!("shop-deployer"))).len(), 1);
    assert!(one("HAP016", &["us-east-1"], role(json!("shop-deployer"))).is_empty());
    assert!(one("HAP016", &["us-east-1", "eu-west-1"], role(json!({"Fn::Sub": "shop-${AWS::Region}"}))).is_empty());
}

#[test]
fn hap017_backup_copy_to_a_vault_missing_in_the_destination_region() {
    let data = |regions: &'static [&'static str]| {
        stack(
            "Data",
            regions,
            json!({
                "Mappings": {"RegionConfig": {"us-east-1": {"Copy": "eu-west-1"}, "eu-west-1": {"Copy": "us-east-1"}}},
                "Resources": {
                    "Vault": {"Type": "AWS::Backup::BackupVault", "Properties": {"BackupVaultName": "shop"}},
                    "Plan": {"Type": "AWS::Backup::BackupPlan", "Metadata": {"haplat:path": "Data/Plan"}, "Properties": {
                        "BackupPlan": {"BackupPlanName": "p", "BackupPlanRule": [{"RuleName": "Daily", "TargetBackupVault": "shop",
                            "CopyActions": [{"DestinationBackupVaultArn": {"Fn::Sub": [
                                "arn:${AWS::Partition}:backup:${Dest}:${AWS::AccountId}:backup-vault:shop",
                                {"Dest": {"Fn::FindInMap": ["RegionConfig", {"Ref": "AWS::Region"}, "Copy"]}}]}}]}]}}}
                }
            }),
        )
    };
    assert!(of(&run(vec![data(&["us-east-1", "eu-west-1"])]), "HAP017").is_empty());
    let found = of(&run(vec![data(&["us-east-1"])]), "HAP017");
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("us-east-1 → vault \"shop\" in eu-west-1"), "{}", found[0].message);
}

#[test]
fn hap018_health_check_looks_for_its_alarm_in_another_region() {
    let api = || {
        stack(
            "Api",
            &["us-east-1", "eu-west-1"],
            json!({"Resources": {"Alarm": {"Type": "AWS::CloudWatch::Alarm",
            "Properties": {"AlarmActions": ["t"]}}}, "Outputs": {"AlarmRef": {"Value": {"Ref": "Alarm"}}}}),
        )
    };
    let edge =
        |read_from: &str, says: &str| {
            let mut s = stack("Edge", &["us-east-1"], json!({
            "Parameters": {"ApiAlarmRef": {"Type": "String"}},
            "Resources": {"Check": {"Type": "AWS::Route53::HealthCheck", "Metadata": {"haplat:path": "Edge/Check"},
                "Properties": {"HealthCheckConfig": {"Type": "CLOUDWATCH_METRIC",
                    "AlarmIdentifier": {"Name": {"Ref": "ApiAlarmRef"}, "Region": says}}}}}
        }))
        .binding("ApiAlarmRef", "Api", "AlarmRef");
            s.bindings[0].region = haplat_core::manifest::BindingRegion::Fixed { region: read_from.into() };
            s
        };
    assert!(of(&run(vec![api(), edge("eu-west-1", "eu-west-1")]), "HAP018").is_empty());
    let found = of(&run(vec![api(), edge("eu-west-1", "us-east-1")]), "HAP018");
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("alarm in us-east-1") && found[0].message.contains("created in eu-west-1"));
}

#[test]
fn hap019_more_than_one_global_table_replica_changed_in_one_update() {
    let table = |regions: &[&str]| {
        let replicas: Vec<serde_json::Value> = regions.iter().map(|r| json!({"Region": r})).collect();
        json!({"Table": {"Type": "AWS::DynamoDB::GlobalTable", "Metadata": {"haplat:path": "G/Table"},
            "Properties": {"Replicas": replicas}}})
    };
    let check = |deployed: &[&str], now: &[&str]| {
        let a = assembly(vec![stack("G", &["us-east-1"], resources(table(now)))])
            .with_baseline([("G".to_owned(), resources(table(deployed)))].into());
        of(&haplat_check::check(&a), "HAP019")
    };
    let found = check(&["us-east-1"], &["us-east-1", "us-west-2", "eu-west-1"]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "G/Table");
    assert!(
        found[0].message.contains("adds us-west-2 and eu-west-1")
            || found[0].message.contains("adds eu-west-1 and us-west-2"),
        "{}",
        found[0].message
    );
    // A swap is one add and one remove: two changes.
    assert_eq!(check(&["us-east-1", "us-west-2"], &["us-east-1", "eu-west-1"]).len(), 1);
    // One region at a time, nothing changed, or nothing deployed: fine.
    assert!(check(&["us-east-1"], &["us-east-1", "us-west-2"]).is_empty());
    assert!(check(&["us-east-1", "us-west-2"], &["us-east-1", "us-west-2"]).is_empty());
    assert!(one("HAP019", &["us-east-1"], table(&["us-east-1", "us-west-2", "eu-west-1"])).is_empty());
}

/// An ECS service (blue/green when `alternate`), its scalable target, and a policy on requests
/// of `metric` (`None`: CPU only).
fn scaled_service(desired: Option<u32>, alternate: bool, metric: Option<serde_json::Value>) -> serde_json::Value {
    let mut lb = json!({"ContainerName": "app", "ContainerPort": 80, "TargetGroupArn": {"Ref": "Tg"}});
    if alternate {
        lb["AdvancedConfiguration"] = json!({"AlternateTargetGroupArn": {"Ref": "TgAlt"}});
    }
    let mut service = json!({"Type": "AWS::ECS::Service", "Metadata": {"haplat:path": "Api/Orders/Service"},
        "Properties": {"LoadBalancers": [lb]}});
    if let Some(n) = desired {
        service["Properties"]["DesiredCount"] = json!(n);
    }
    let mut r = json!({
        "Service": service,
        "Target": {"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Metadata": {"haplat:path": "Api/Orders/Scaling/Target"},
            "Properties": {"ScalableDimension": "ecs:service:DesiredCount", "ServiceNamespace": "ecs",
                "MinCapacity": 2, "MaxCapacity": 10,
                "ResourceId": {"Fn::Sub": ["service/${Cluster}/${Service}",
                    {"Cluster": {"Ref": "Cluster"}, "Service": {"Fn::GetAtt": ["Service", "Name"]}}]}}},
    });
    if let Some(spec) = metric {
        r["Requests"] = json!({"Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
            "Metadata": {"haplat:path": "Api/Orders/Scaling/Requests"},
            "Properties": {"PolicyType": "TargetTrackingScaling", "ScalingTargetId": {"Ref": "Target"},
                "TargetTrackingScalingPolicyConfiguration": spec}});
    }
    r
}

#[test]
fn hap020_desired_count_on_an_autoscaled_service() {
    let found = one("HAP020", &["us-east-1"], scaled_service(Some(4), false, None));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "Api/Orders/Service");
    assert!(found[0].message.contains("Api/Orders/Scaling/Target"), "{}", found[0].message);
    assert!(one("HAP020", &["us-east-1"], scaled_service(None, false, None)).is_empty());
}

#[test]
fn hap021_request_scaling_on_one_target_group_of_a_blue_green_service() {
    let predefined = json!({"TargetValue": 1000, "PredefinedMetricSpecification": {
        "PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": "app/a/1/targetgroup/t/2"}});
    let found = one("HAP021", &["us-east-1"], scaled_service(None, true, Some(predefined.clone())));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "Api/Orders/Scaling/Requests");
    // Rolling services have one target group; metric math over both groups is what to do.
    assert!(one("HAP021", &["us-east-1"], scaled_service(None, false, Some(predefined))).is_empty());
    let math = json!({"TargetValue": 1000, "CustomizedMetricSpecification": {"Metrics": [
        {"Id": "perTarget", "Expression": "(FILL(requests0, 0) + FILL(requests1, 0)) / (FILL(healthy0, 0) + FILL(healthy1, 0))"}]}});
    assert!(one("HAP021", &["us-east-1"], scaled_service(None, true, Some(math))).is_empty());
}

#[test]
fn hap022_waf_logs_without_a_delivery_policy_of_their_own() {
    let resources = |with_policy: bool| {
        let mut r = json!({
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "aws-waf-logs-edge"}},
            "Logging": {"Type": "AWS::WAFv2::LoggingConfiguration", "Metadata": {"haplat:path": "Edge/WafLogging"},
                "Properties": {"ResourceArn": {"Fn::GetAtt": ["Acl", "Arn"]}, "LogDestinationConfigs": [
                    {"Fn::Sub": ["arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Group}",
                        {"Group": {"Ref": "Logs"}}]}]}},
        });
        if with_policy {
            r["Delivery"] = json!({"Type": "AWS::Logs::ResourcePolicy", "Properties": {"PolicyName": "edge-waf",
                "PolicyDocument": {"Fn::Sub": [
                    "{\"Statement\":[{\"Principal\":{\"Service\":\"delivery.logs.amazonaws.com\"},\"Resource\":\"arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Group}:log-stream:*\"}]}",
                    {"Group": {"Ref": "Logs"}}]}}});
        }
        r
    };
    let found = one("HAP022", &["us-east-1"], resources(false));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("AWSWAF-LOGS"), "{}", found[0].message);
    assert!(one("HAP022", &["us-east-1"], resources(true)).is_empty());
}

#[test]
fn hap023_email_subscriptions_to_confirm_in_every_region() {
    let sub = |protocol: &str| {
        json!({"Contact": {"Type": "AWS::SNS::Subscription", "Metadata": {"haplat:path": "Api/Monitoring/Contact0"},
            "Properties": {"Protocol": protocol, "Endpoint": "oncall@example.com", "TopicArn": {"Ref": "Topic"}}}})
    };
    let found = one("HAP023", &["us-east-1", "eu-west-1"], sub("email"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("2 region(s) (us-east-1 and eu-west-1)"), "{}", found[0].message);
    assert!(one("HAP023", &["us-east-1"], sub("https")).is_empty());
}

#[test]
fn hap024_a_retained_instance_stops_its_clusters_delete() {
    let db = |instance_policy: &str, cluster_policy: &str| {
        json!({
            "Cluster": {"Type": "AWS::RDS::DBCluster", "DeletionPolicy": cluster_policy,
                "Metadata": {"haplat:path": "Api/Db/PrimaryCluster"}, "Properties": {"Engine": "aurora-postgresql"}},
            "Writer": {"Type": "AWS::RDS::DBInstance", "DeletionPolicy": instance_policy,
                "Metadata": {"haplat:path": "Api/Db/Writer"},
                "Properties": {"DBClusterIdentifier": {"Ref": "Cluster"}, "DBInstanceClass": "db.serverless"}},
        })
    };
    let found = one("HAP024", &["us-east-1"], db("Retain", "Snapshot"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "Api/Db/Writer");
    assert!(found[0].message.contains("Api/Db/PrimaryCluster (Snapshot)"), "{}", found[0].message);
    // Deleted with the cluster, or both kept: fine.
    assert!(one("HAP024", &["us-east-1"], db("Delete", "Snapshot")).is_empty());
    assert!(one("HAP024", &["us-east-1"], db("Retain", "Retain")).is_empty());
}

#[test]
fn hap028_a_paging_alarm_names_its_runbook() {
    let alarm = |description: &str, actions: bool| {
        let mut a = json!({"Type": "AWS::CloudWatch::Alarm", "Metadata": {"haplat:path": "Api/ErrorRate"},
            "Properties": {"AlarmDescription": description, "MetricName": "HTTPCode_ELB_5XX_Count",
                "Namespace": "AWS/ApplicationELB", "Threshold": 1, "EvaluationPeriods": 1,
                "ComparisonOperator": "GreaterThanThreshold", "Period": 60, "Statistic": "Sum"}});
        if actions {
            a["Properties"]["AlarmActions"] = json!(["arn:aws:sns:us-east-1:111122223333:oncall"]);
        }
        resources(json!({ "Alarm": a }))
    };
    let found = of(&run(vec![stack("Api", &["us-east-1"], alarm("[critical] 5xx above 5%", true))]), "HAP028");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "Api/ErrorRate");
    let none = |t| of(&run(vec![stack("Api", &["us-east-1"], t)]), "HAP028").is_empty();
    assert!(none(alarm("[critical] 5xx above 5% (runbook: haplat docs/runbooks/region-down.md)", true)));
    // A warning, or an alarm that tells no one (HAP009's business), is not paging.
    assert!(none(alarm("[warning] CPU above 80%", true)));
    assert!(none(alarm("[critical] 5xx above 5%", false)));
}

#[test]
fn hap029_an_alarm_notifies_only_a_topic_of_its_region() {
    let alarm = |action: serde_json::Value| {
        resources(json!({"Alarm": {"Type": "AWS::CloudWatch::Alarm", "Metadata": {"haplat:path": "Edge/HealthAlarm"},
            "Properties": {"AlarmDescription": "[critical] x (runbook: r)", "MetricName": "HealthCheckStatus",
                "Namespace": "AWS/Route53", "Threshold": 1, "EvaluationPeriods": 1, "Period": 60, "Statistic": "Minimum",
                "ComparisonOperator": "LessThanThreshold", "AlarmActions": [action]}}}))
    };
    // A literal ARN of another region.
    let found = of(
        &run(vec![stack("Edge", &["us-east-1"], alarm(json!("arn:aws:sns:eu-west-1:111122223333:alarms")))]),
        "HAP029",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("notifies a topic of eu-west-1"), "{}", found[0].message);
    // A topic read from one region's instance of a stack set (the issue 15 hint's trap).
    let producer = stack(
        "Api",
        &["us-east-1", "eu-west-1"],
        resources(json!({"Topic": {"Type": "AWS::SNS::Topic", "Properties": {}}})),
    );
    let read = |region: &str| {
        let mut s =
            stack("Edge", &["us-east-1"], alarm(json!({"Ref": "ApiTopic"}))).binding("ApiTopic", "Api", "Topic");
        s.bindings[0].region = haplat_core::manifest::BindingRegion::Fixed { region: region.into() };
        s
    };
    let found = of(
        &run(vec![
            stack(
                "Api",
                &["us-east-1", "eu-west-1"],
                resources(json!({"Topic": {"Type": "AWS::SNS::Topic", "Properties": {}}})),
            ),
            read("eu-west-1"),
        ]),
        "HAP029",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(of(&run(vec![producer, read("us-east-1")]), "HAP029").is_empty());
    assert!(
        of(
            &run(vec![stack("Edge", &["us-east-1"], alarm(json!("arn:aws:sns:us-east-1:111122223333:alarms")))]),
            "HAP029"
        )
        .is_empty()
    );
}

fn task_definition(production: bool, image: serde_json::Value) -> serde_json::Value {
    let mut td = json!({
        "Type": "AWS::ECS::TaskDefinition",
        "Metadata": {"haplat:path": "S/Orders/TaskDefinition"},
        "Properties": {"ContainerDefinitions": [
            {"Name": "app", "Image": image, "Essential": true},
            {"Name": "xray-daemon", "Image": "public.ecr.aws/xray/aws-xray-daemon:3.3.14", "Essential": false}
        ]}
    });
    if production {
        td["Metadata"]["haplat:production"] = json!(true);
    }
    json!({ "Td": td })
}

#[test]
fn hap030_a_production_image_named_by_tag() {
    let tagged =
        json!({"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/shop-prod/orders:1.4.2"});
    let found = one("HAP030", &["us-east-1"], task_definition(true, tagged.clone()));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "S/Orders/TaskDefinition");
    assert!(
        found[0].message.contains("container app") && found[0].message.contains("orders:1.4.2"),
        "{}",
        found[0].message
    );
    // A digest passes, in a Sub or literal; a tag outside production too; the sidecar is not essential.
    let pinned = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-prod/orders@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945";
    assert!(one("HAP030", &["us-east-1"], task_definition(true, json!(pinned))).is_empty());
    assert!(one("HAP030", &["us-east-1"], task_definition(false, tagged)).is_empty());
    assert_eq!(one("HAP030", &["us-east-1"], task_definition(true, json!("public.ecr.aws/nginx/nginx:1.27"))).len(), 1);
}

#[test]
fn hap031_two_replication_configurations_for_one_registry() {
    let rc = |path: &str| {
        json!({"Type": "AWS::ECR::ReplicationConfiguration", "Metadata": {"haplat:path": path},
               "Properties": {"ReplicationConfiguration": {"Rules": [{"Destinations": [
                   {"Region": "us-west-2", "RegistryId": {"Ref": "AWS::AccountId"}}]}]}}})
    };
    let found = of(
        &run(vec![
            stack("A", &["us-east-1"], resources(json!({"Replication": rc("A/Images/Replication")}))),
            stack("B", &["us-east-1", "eu-west-1"], resources(json!({"Replication": rc("B/Replication")}))),
        ]),
        "HAP031",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "B/Replication");
    assert_eq!(found[0].regions, ["us-east-1"]);
    assert!(found[0].message.contains("A/Images/Replication"), "{}", found[0].message);
    assert!(one("HAP031", &["us-east-1"], json!({"Replication": rc("A/Replication")})).is_empty());
}

fn replication(filter: &str, regions: &[&str]) -> serde_json::Value {
    let dest: Vec<_> = regions.iter().map(|r| json!({"Region": r, "RegistryId": {"Ref": "AWS::AccountId"}})).collect();
    json!({"Type": "AWS::ECR::ReplicationConfiguration", "Metadata": {"haplat:path": "G/Images/Replication"},
           "Properties": {"ReplicationConfiguration": {"Rules": [{"Destinations": dest,
               "RepositoryFilters": [{"Filter": filter, "FilterType": "PREFIX_MATCH"}]}]}}})
}

fn creation_template(prefix: &str, applied: &str, role: bool) -> serde_json::Value {
    let mut t = json!({"Type": "AWS::ECR::RepositoryCreationTemplate", "Metadata": {"haplat:path": "D/Templates/Shop"},
        "Properties": {"Prefix": prefix, "AppliedFor": [applied],
            "EncryptionConfiguration": {"EncryptionType": "KMS", "KmsKey": {"Fn::GetAtt": ["Key", "Arn"]}}}});
    if role {
        t["Properties"]["CustomRoleArn"] = json!({"Fn::GetAtt": ["Role", "Arn"]});
    }
    t
}

#[test]
fn hap032_replicas_in_a_region_without_a_creation_template() {
    let run_with = |template: Option<serde_json::Value>, template_regions: &'static [&'static str]| {
        let mut stacks = vec![stack(
            "G",
            &["us-east-1"],
            resources(json!({"Replication": replication("shop/", &["us-west-2", "eu-west-1"])})),
        )];
        if let Some(t) = template {
            stacks.push(stack("D", template_regions, resources(json!({"Shop": t}))));
        }
        of(&run(stacks), "HAP032")
    };
    let found = run_with(None, &[]);
    assert_eq!(found.len(), 2, "{found:?}");
    let mut regions: Vec<&str> = found.iter().flat_map(|f| f.regions.iter().map(String::as_str)).collect();
    regions.sort_unstable();
    assert_eq!(regions, ["eu-west-1", "us-west-2"]);
    assert!(found[0].message.contains("AES256") && found[0].message.contains("shop/"), "{}", found[0].message);
    // A template in only one destination, or one for the pull-through cache, leaves the other.
    assert_eq!(run_with(Some(creation_template("shop/", "REPLICATION", true)), &["us-east-1", "us-west-2"]).len(), 1);
    assert_eq!(
        run_with(Some(creation_template("shop/", "PULL_THROUGH_CACHE", true)), &["us-west-2", "eu-west-1"]).len(),
        2
    );
    assert!(
        run_with(Some(creation_template("shop/", "REPLICATION", true)), &["us-east-1", "us-west-2", "eu-west-1"])
            .is_empty()
    );
    assert!(run_with(Some(creation_template("ROOT", "REPLICATION", true)), &["us-west-2", "eu-west-1"]).is_empty());
}

#[test]
fn hap033_a_creation_template_with_a_key_and_no_role() {
    let found = one("HAP033", &["us-east-1"], json!({"Shop": creation_template("shop/", "REPLICATION", false)}));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "D/Templates/Shop");
    assert!(found[0].message.contains("a KMS key but no CustomRoleArn"), "{}", found[0].message);
    assert!(one("HAP033", &["us-east-1"], json!({"Shop": creation_template("shop/", "REPLICATION", true)})).is_empty());
}

#[test]
fn hap034_service_connect_with_a_controller_ecs_does_not_run() {
    let service = |controller: &str, connect: bool| {
        json!({"Svc": {"Type": "AWS::ECS::Service", "Metadata": {"haplat:path": "S/Orders/Service"}, "Properties": {
            "DeploymentController": {"Type": controller},
            "ServiceConnectConfiguration": {"Enabled": connect, "Namespace": "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-1"}}}})
    };
    for c in ["CODE_DEPLOY", "EXTERNAL"] {
        let found = one("HAP034", &["us-east-1"], service(c, true));
        assert_eq!(found.len(), 1, "{c}: {found:?}");
        assert!(found[0].message.contains(c), "{}", found[0].message);
    }
    assert!(one("HAP034", &["us-east-1"], service("ECS", true)).is_empty());
    assert!(one("HAP034", &["us-east-1"], service("CODE_DEPLOY", false)).is_empty());
}

#[test]
fn hap035_a_routed_alias_does_not_evaluate_a_load_balancer_with_an_idle_target_group() {
    let api = |alternate_weight: i64, evaluate: bool| {
        json!({
            "Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Metadata": {"haplat:path": "Api/Alb"}, "Properties": {}},
            "Blue": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Metadata": {"haplat:path": "Api/Blue"}, "Properties": {}},
            "Green": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Metadata": {"haplat:path": "Api/Green"}, "Properties": {}},
            "Rule": {"Type": "AWS::ElasticLoadBalancingV2::ListenerRule", "Properties": {"Priority": 1, "ListenerArn": "l",
                "Conditions": [], "Actions": [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
                    {"TargetGroupArn": {"Ref": "Blue"}, "Weight": 100},
                    {"TargetGroupArn": {"Ref": "Green"}, "Weight": alternate_weight}]}}]}},
            "Routed": {"Type": "AWS::Route53::RecordSet", "Metadata": {"haplat:path": "Edge/Routed"}, "Properties": {
                "Name": "origin.example.com.", "Type": "A", "Region": "us-east-1", "SetIdentifier": "us-east-1",
                "HealthCheckId": "abc", "AliasTarget": {"DNSName": {"Fn::GetAtt": ["Alb", "DNSName"]}, "HostedZoneId": "Z1",
                    "EvaluateTargetHealth": evaluate}}},
        })
    };
    let found = one("HAP035", &["us-east-1"], api(0, true));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("Api/Green"), "{}", found[0].message);
    assert!(one("HAP035", &["us-east-1"], api(0, false)).is_empty());
    assert!(one("HAP035", &["us-east-1"], api(50, true)).is_empty());
}

#[test]
fn hap036_a_calculated_check_s_threshold_does_not_fix_its_status() {
    let check = |threshold: u64, children: usize| {
        let kids: Vec<serde_json::Value> = (0..children).map(|i| json!({"Ref": format!("Child{i}")})).collect();
        json!({
            "Region": {"Type": "AWS::Route53::HealthCheck", "Metadata": {"haplat:path": "Api/RegionHealth/Check"},
                "Properties": {"HealthCheckConfig": {"Type": "CALCULATED", "HealthThreshold": threshold, "ChildHealthChecks": kids}}},
        })
    };
    let found = one("HAP036", &["us-east-1"], check(4, 3));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "Api/RegionHealth/Check");
    assert!(found[0].message.contains("always considers it unhealthy"), "{}", found[0].message);
    assert!(one("HAP036", &["us-east-1"], check(0, 3))[0].message.contains("always considers it healthy"));
    assert!(one("HAP036", &["us-east-1"], check(3, 3)).is_empty());
    assert!(one("HAP036", &["us-east-1"], check(1, 3)).is_empty());
}

#[test]
fn hap050_a_per_request_timeout_on_a_port_published_as_tcp() {
    let app = |app_protocol: Option<&str>, per_request: bool| {
        let mut mapping = json!({"ContainerPort": 8443, "Name": "http"});
        if let Some(p) = app_protocol {
            mapping["AppProtocol"] = json!(p);
        }
        let mut timeout = json!({"IdleTimeoutSeconds": 60});
        if per_request {
            timeout["PerRequestTimeoutSeconds"] = json!(5);
        }
        json!({
            "Task": {"Type": "AWS::ECS::TaskDefinition", "Metadata": {"haplat:path": "S/Orders/TaskDefinition"},
                "Properties": {"ContainerDefinitions": [{"Name": "app", "Image": "x", "PortMappings": [mapping]}]}},
            "Svc": {"Type": "AWS::ECS::Service", "Metadata": {"haplat:path": "S/Orders/Service"}, "Properties": {
                "TaskDefinition": {"Ref": "Task"},
                "ServiceConnectConfiguration": {"Enabled": true, "Services": [{"PortName": "http", "Timeout": timeout}]}}},
        })
    };
    let found = one("HAP050", &["us-east-1"], app(None, true));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "S/Orders/Service");
    assert!(found[0].message.contains("without an AppProtocol (TCP)"), "{}", found[0].message);
    assert!(one("HAP050", &["us-east-1"], app(Some("http"), true)).is_empty());
    assert!(one("HAP050", &["us-east-1"], app(None, false)).is_empty());
}

#[test]
fn hap051_a_second_account_level_security_service_in_a_region() {
    let detector = || json!({"D": {"Type": "AWS::GuardDuty::Detector", "Metadata": {"haplat:path": "X/Detector"}, "Properties": {"Enable": true}}});
    let r = run(vec![
        stack("Baseline", &["us-east-1", "eu-west-1"], resources(detector())),
        stack("Other", &["eu-west-1", "us-west-2"], resources(detector())),
    ]);
    let found = of(&r, "HAP051");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].regions, ["eu-west-1"]);
    assert!(found[0].message.contains("one detector per account and region"), "{}", found[0].message);
    let apart = run(vec![
        stack("Baseline", &["us-east-1"], resources(detector())),
        stack("Other", &["us-west-2"], resources(detector())),
    ]);
    assert!(of(&apart, "HAP051").is_empty());
}

#[test]
fn hap052_a_config_recorder_and_its_channel_wait_for_each_other() {
    let pair = |channel_depends: bool, recorder_refers: bool, started: Option<bool>| {
        let mut recorder = json!({"Type": "AWS::Config::ConfigurationRecorder", "Metadata": {"haplat:path": "B/Recorder"},
            "Properties": {"RoleARN": "arn:aws:iam::123456789012:role/config"}});
        if let Some(s) = started {
            recorder["Properties"]["StartedOnCreate"] = json!(s);
        }
        if recorder_refers {
            recorder["Properties"]["Name"] = json!({"Ref": "Channel"});
        }
        let mut channel = json!({"Type": "AWS::Config::DeliveryChannel", "Metadata": {"haplat:path": "B/Channel"},
            "Properties": {"S3BucketName": "logs"}});
        if channel_depends {
            channel["DependsOn"] = json!(["Recorder"]);
        }
        json!({"Recorder": recorder, "Channel": channel})
    };
    let found = one("HAP052", &["us-east-1"], pair(true, false, None));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("NoAvailableDeliveryChannelException"), "{}", found[0].message);
    assert_eq!(one("HAP052", &["us-east-1"], pair(false, true, None)).len(), 1);
    assert!(one("HAP052", &["us-east-1"], pair(false, false, None)).is_empty());
    assert!(one("HAP052", &["us-east-1"], pair(true, false, Some(false))).is_empty());
}

#[test]
fn hap053_a_service_connect_ports_application_protocol_changed_on_a_deployed_service() {
    let template = |app_protocol: Option<&str>| {
        let mut mapping = json!({"ContainerPort": 8080, "Name": "http"});
        if let Some(p) = app_protocol {
            mapping["AppProtocol"] = json!(p);
        }
        json!({
            "Task": {"Type": "AWS::ECS::TaskDefinition", "Metadata": {"haplat:path": "S/Orders/TaskDefinition"},
                "Properties": {"ContainerDefinitions": [{"Name": "app", "Image": "x", "PortMappings": [mapping]}]}},
            "Svc": {"Type": "AWS::ECS::Service", "Metadata": {"haplat:path": "S/Orders/Service"}, "Properties": {
                "TaskDefinition": {"Ref": "Task"},
                "ServiceConnectConfiguration": {"Enabled": true, "Services": [{"PortName": "http"}]}}},
        })
    };
    let with_baseline = |deployed: serde_json::Value, now: serde_json::Value| {
        let a = assembly(vec![stack("S", &["us-east-1"], resources(now))])
            .with_baseline([("S".to_owned(), resources(deployed))].into());
        of(&haplat_check::check(&a), "HAP053")
    };
    let found = with_baseline(template(Some("http")), template(None));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "S/Orders/Service");
    assert!(found[0].message.contains("from http to none (TCP)"), "{}", found[0].message);
    assert!(with_baseline(template(Some("http")), template(Some("http"))).is_empty());
    assert!(with_baseline(json!({}), template(None)).is_empty());
}

fn websocket(extra: serde_json::Value) -> serde_json::Value {
    let mut res = json!({
        "Api": {"Type": "AWS::ApiGatewayV2::Api", "Metadata": {"haplat:path": "Rt/Api"},
            "Properties": {"Name": "rt", "ProtocolType": "WEBSOCKET", "RouteSelectionExpression": "$request.body.action"}},
    });
    for (k, v) in extra.as_object().unwrap() {
        res[k] = v.clone();
    }
    res
}

#[test]
fn hap044_a_websocket_authorizer_only_on_connect() {
    let route = |key: &str| {
        websocket(json!({"Route": {"Type": "AWS::ApiGatewayV2::Route", "Metadata": {"haplat:path": "Rt/Route"},
            "Properties": {"ApiId": {"Ref": "Api"}, "RouteKey": key, "AuthorizationType": "CUSTOM", "AuthorizerId": "abc"}}}))
    };
    let found = one("HAP044", &["us-east-1"], route("$default"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("$default"), "{}", found[0].message);
    assert!(one("HAP044", &["us-east-1"], route("$connect")).is_empty());
    let jwt =
        websocket(json!({"Auth": {"Type": "AWS::ApiGatewayV2::Authorizer", "Metadata": {"haplat:path": "Rt/Auth"},
        "Properties": {"ApiId": {"Ref": "Api"}, "AuthorizerType": "JWT", "Name": "jwt"}}}));
    assert_eq!(one("HAP044", &["us-east-1"], jwt).len(), 1);
}

#[test]
fn hap045_a_websocket_domain_is_regional_tls12_with_a_certificate_of_its_region() {
    let domain = |endpoint: &str, policy: &str, cert: serde_json::Value| {
        websocket(json!({
            "Cert": {"Type": "AWS::CertificateManager::Certificate", "Properties": {"DomainName": "ws.example.com"}},
            "Domain": {"Type": "AWS::ApiGatewayV2::DomainName", "Metadata": {"haplat:path": "Rt/Domain"},
                "Properties": {"DomainName": "ws.example.com", "DomainNameConfigurations": [
                    {"EndpointType": endpoint, "SecurityPolicy": policy, "CertificateArn": cert}]}},
            "Mapping": {"Type": "AWS::ApiGatewayV2::ApiMapping", "Properties": {"ApiId": {"Ref": "Api"},
                "DomainName": {"Ref": "Domain"}, "Stage": "live"}},
        }))
    };
    assert!(one("HAP045", &["us-west-2"], domain("REGIONAL", "TLS_1_2", json!({"Ref": "Cert"}))).is_empty());
    let edge = one("HAP045", &["us-west-2"], domain("EDGE", "TLS_1_2", json!({"Ref": "Cert"})));
    assert_eq!(edge.len(), 1, "{edge:?}");
    assert_eq!(one("HAP045", &["us-west-2"], domain("REGIONAL", "TLS_1_0", json!({"Ref": "Cert"}))).len(), 1);
    let other = one(
        "HAP045",
        &["us-west-2"],
        domain("REGIONAL", "TLS_1_2", json!("arn:aws:acm:us-east-1:111111111111:certificate/abc")),
    );
    assert_eq!(other.len(), 1, "{other:?}");
    assert!(other[0].message.contains("us-west-2"), "{}", other[0].message);
}

#[test]
fn hap046_a_websocket_stage_sets_its_throttles() {
    let stage = |settings: serde_json::Value| {
        websocket(json!({"Stage": {"Type": "AWS::ApiGatewayV2::Stage", "Metadata": {"haplat:path": "Rt/Stage"},
            "Properties": {"ApiId": {"Ref": "Api"}, "StageName": "live", "DefaultRouteSettings": settings}}}))
    };
    let found = one("HAP046", &["us-east-1"], stage(json!({"DetailedMetricsEnabled": true})));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("ThrottlingRateLimit"), "{}", found[0].message);
    assert!(
        one("HAP046", &["us-east-1"], stage(json!({"ThrottlingRateLimit": 100.0, "ThrottlingBurstLimit": 200})))
            .is_empty()
    );
}

#[test]
fn hap047_a_dead_letter_queue_outlives_its_queue() {
    let queues = |dead: Option<i64>| {
        let mut dlq = json!({"Type": "AWS::SQS::Queue", "Metadata": {"haplat:path": "Q/Dead"}, "Properties": {}});
        if let Some(d) = dead {
            dlq["Properties"]["MessageRetentionPeriod"] = json!(d);
        }
        json!({
            "Dead": dlq,
            "Work": {"Type": "AWS::SQS::Queue", "Metadata": {"haplat:path": "Q/Work"}, "Properties": {
                "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["Dead", "Arn"]}, "maxReceiveCount": 5}}},
        })
    };
    // Both at SQS's default of 4 days.
    let found = one("HAP047", &["us-east-1"], queues(None));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("Q/Dead"), "{}", found[0].message);
    assert!(one("HAP047", &["us-east-1"], queues(Some(1_209_600))).is_empty());
}

#[test]
fn hap048_manage_connections_names_the_api() {
    let role = |resource: serde_json::Value| {
        json!({"Role": {"Type": "AWS::IAM::Role", "Metadata": {"haplat:path": "W/Role"}, "Properties": {
            "AssumeRolePolicyDocument": {}, "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
                {"Effect": "Allow", "Action": ["execute-api:ManageConnections"], "Resource": [resource]}]}}]}}})
    };
    assert_eq!(one("HAP048", &["us-east-1"], role(json!("*"))).len(), 1);
    assert_eq!(
        one(
            "HAP048",
            &["us-east-1"],
            role(json!("arn:aws:execute-api:us-east-1:111111111111:*/live/POST/@connections/*"))
        )
        .len(),
        1
    );
    let exact = json!({"Fn::Sub": ["arn:${AWS::Partition}:execute-api:us-east-1:${AWS::AccountId}:${Api}/live/POST/@connections/*",
        {"Api": "abc123"}]});
    assert!(one("HAP048", &["us-east-1"], role(exact)).is_empty());
}

#[test]
fn hap049_manage_connections_is_on_the_connections_arn() {
    let role = |resource: &str| {
        json!({"Role": {"Type": "AWS::IAM::Role", "Metadata": {"haplat:path": "W/Role"}, "Properties": {
            "AssumeRolePolicyDocument": {}, "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
                {"Effect": "Allow", "Action": "execute-api:ManageConnections", "Resource": {"Fn::Sub": [resource, {"Api": "abc"}]}}]}}]}}})
    };
    let found = one(
        "HAP049",
        &["us-east-1"],
        role("arn:${AWS::Partition}:execute-api:us-east-1:${AWS::AccountId}:${Api}/live/$default"),
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("/live/$default"), "{}", found[0].message);
    assert!(
        one(
            "HAP049",
            &["us-east-1"],
            role("arn:${AWS::Partition}:execute-api:us-east-1:${AWS::AccountId}:${Api}/live/POST/@connections/*")
        )
        .is_empty()
    );
}

fn canary(runtime: &str, start: Option<bool>) -> serde_json::Value {
    let mut props = json!({"Name": "origin-1a2b3c4d", "RuntimeVersion": runtime, "ArtifactS3Location": "s3://b/canary",
        "ExecutionRoleArn": "arn:aws:iam::111122223333:role/c", "Schedule": {"Expression": "rate(1 minute)"},
        "Code": {"Handler": "index.handler", "Script": "exports.handler = async () => {};"}});
    if let Some(start) = start {
        props["StartCanaryAfterCreation"] = json!(start);
    }
    json!({
        "Canary": {"Type": "AWS::Synthetics::Canary", "Metadata": {"haplat:path": "Api/Canaries/Origin"}, "Properties": props},
        "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Namespace": "CloudWatchSynthetics",
            "MetricName": "SuccessPercent", "Dimensions": [{"Name": "CanaryName", "Value": {"Ref": "Canary"}}],
            "Statistic": "Average", "Period": 60, "EvaluationPeriods": 2, "Threshold": 100,
            "ComparisonOperator": "LessThanThreshold"}},
    })
}

#[test]
fn hap040_a_canary_on_a_deprecated_runtime() {
    for old in
        ["syn-nodejs-puppeteer-7.0", "syn-nodejs-puppeteer-3.5", "syn-python-selenium-1.0", "syn-nodejs-2.2", "syn-1.0"]
    {
        let found = one("HAP040", &["us-east-1"], canary(old, Some(true)));
        assert_eq!(found.len(), 1, "{old}: {found:?}");
        assert!(found[0].message.contains(old) && found[0].path == "Api/Canaries/Origin", "{found:?}");
    }
    for current in
        ["syn-nodejs-puppeteer-15.0", "syn-nodejs-puppeteer-9.1", "syn-nodejs-3.1", "syn-python-selenium-6.0"]
    {
        assert!(one("HAP040", &["us-east-1"], canary(current, Some(true))).is_empty(), "{current}");
    }
    assert_eq!(haplat_check::deprecated_runtime("syn-nodejs-puppeteer-6.2"), Some("2026-01-22"));
}

#[test]
fn hap041_a_canary_created_stopped_never_runs() {
    for start in [None, Some(false)] {
        let found = one("HAP041", &["us-east-1"], canary("syn-nodejs-puppeteer-15.0", start));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("an alarm watches it"), "{}", found[0].message);
    }
    assert!(one("HAP041", &["us-east-1"], canary("syn-nodejs-puppeteer-15.0", Some(true))).is_empty());
}

/// A control panel, routing controls for `regions`, and `rule` (a SafetyRule's properties) if any.
fn arc(regions: &[&str], rule: Option<serde_json::Value>) -> serde_json::Value {
    let mut t = json!({
        "Cluster": {"Type": "AWS::Route53RecoveryControl::Cluster", "Metadata": {"haplat:path": "Edge/Arc/Cluster"},
            "Properties": {"Name": "c"}},
        "Panel": {"Type": "AWS::Route53RecoveryControl::ControlPanel", "Metadata": {"haplat:path": "Edge/Arc/Panel"},
            "Properties": {"Name": "p", "ClusterArn": {"Fn::GetAtt": ["Cluster", "ClusterArn"]}}},
    });
    for (i, r) in regions.iter().enumerate() {
        t[format!("Control{i}")] = json!({"Type": "AWS::Route53RecoveryControl::RoutingControl",
            "Metadata": {"haplat:path": format!("Edge/Arc/{r}")},
            "Properties": {"Name": r, "ControlPanelArn": {"Fn::GetAtt": ["Panel", "ControlPanelArn"]}}});
    }
    if let Some(rule) = rule {
        t["Rule"] = json!({"Type": "AWS::Route53RecoveryControl::SafetyRule",
            "Metadata": {"haplat:path": "Edge/Arc/Rule"}, "Properties": rule});
    }
    t
}

fn assertion(controls: usize, ty: &str, threshold: i64, inverted: bool) -> serde_json::Value {
    let asserted: Vec<serde_json::Value> =
        (0..controls).map(|i| json!({"Fn::GetAtt": [format!("Control{i}"), "RoutingControlArn"]})).collect();
    json!({"Name": "r", "ControlPanelArn": {"Fn::GetAtt": ["Panel", "ControlPanelArn"]},
        "AssertionRule": {"AssertedControls": asserted, "WaitPeriodMs": 5000},
        "RuleConfig": {"Type": ty, "Threshold": threshold, "Inverted": inverted}})
}

#[test]
fn hap054_routing_controls_need_a_rule_that_keeps_one_on() {
    let found = one("HAP054", &["us-east-1"], arc(&["us-east-1", "us-west-2"], None));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "Edge/Arc/Panel");
    assert!(found[0].message.contains("every region can be turned off"), "{}", found[0].message);
    // A rule over only one of the two controls, a threshold of 0, an inverted rule: all fail.
    for rule in [assertion(1, "ATLEAST", 1, false), assertion(2, "ATLEAST", 0, false), assertion(2, "ATLEAST", 1, true)]
    {
        assert_eq!(one("HAP054", &["us-east-1"], arc(&["us-east-1", "us-west-2"], Some(rule))).len(), 1);
    }
    assert!(
        one("HAP054", &["us-east-1"], arc(&["us-east-1", "us-west-2"], Some(assertion(2, "ATLEAST", 1, false))))
            .is_empty()
    );
    assert!(
        one("HAP054", &["us-east-1"], arc(&["us-east-1", "us-west-2"], Some(assertion(2, "OR", 1, false)))).is_empty()
    );
    // A panel without routing controls needs none.
    assert!(one("HAP054", &["us-east-1"], arc(&[], None)).is_empty());
}

#[test]
fn hap055_a_routing_control_moves_traffic_and_keeps_the_automatic_failover() {
    let template = |control_check: bool, gated: bool| {
        let mut t = arc(&["us-west-2"], Some(assertion(1, "ATLEAST", 1, false)));
        t["RegionCheck"] = json!({"Type": "AWS::Route53::HealthCheck", "Metadata": {"haplat:path": "Edge/Probe"},
            "Properties": {"HealthCheckConfig": {"Type": "HTTPS", "FullyQualifiedDomainName": "x.example.com"}}});
        t["Checked"] = json!({"Type": "AWS::Route53::RecordSet", "Metadata": {"haplat:path": "Edge/Dns/UsWest2/Checked"},
            "Properties": {"Name": "us-west-2.checked.origin.example.com.", "Type": "A", "Weight": 1,
                "SetIdentifier": "us-west-2", "HealthCheckId": {"Ref": "RegionCheck"},
                "AliasTarget": {"DNSName": "alb.example.com", "HostedZoneId": "Z1", "EvaluateTargetHealth": false}}});
        if control_check {
            t["ControlCheck"] = json!({"Type": "AWS::Route53::HealthCheck",
                "Metadata": {"haplat:path": "Edge/Dns/UsWest2/ControlCheck"},
                "Properties": {"HealthCheckConfig": {"Type": "RECOVERY_CONTROL",
                    "RoutingControlArn": {"Fn::GetAtt": ["Control0", "RoutingControlArn"]}}}});
            let alias = if gated {
                json!({"DNSName": "us-west-2.checked.origin.example.com.", "HostedZoneId": "Z0", "EvaluateTargetHealth": true})
            } else {
                json!({"DNSName": "alb.example.com", "HostedZoneId": "Z1", "EvaluateTargetHealth": false})
            };
            t["Routed"] = json!({"Type": "AWS::Route53::RecordSet", "Metadata": {"haplat:path": "Edge/Dns/UsWest2/Routed"},
                "Properties": {"Name": "origin.example.com.", "Type": "A", "Region": "us-west-2",
                    "SetIdentifier": "us-west-2", "HealthCheckId": {"Ref": "ControlCheck"}, "AliasTarget": alias}});
        }
        t
    };
    let found = one("HAP055", &["us-east-1"], template(false, false));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "Edge/Arc/us-west-2");
    assert!(found[0].message.contains("moves no traffic"), "{}", found[0].message);
    let found = one("HAP055", &["us-east-1"], template(true, false));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "Edge/Dns/UsWest2/Routed");
    assert!(found[0].message.contains("no longer takes it out"), "{}", found[0].message);
    assert!(one("HAP055", &["us-east-1"], template(true, true)).is_empty());
}

#[test]
fn hap070_write_forwarding_needs_a_version_that_has_it() {
    let cluster = |version: &str, forward: bool| {
        json!({"Db": {"Type": "AWS::RDS::DBCluster", "Metadata": {"haplat:path": "Api/Db/SecondaryCluster"},
            "Properties": {"Engine": "aurora-postgresql", "EngineVersion": version,
                "EnableGlobalWriteForwarding": forward}}})
    };
    let found = one("HAP070", &["eu-west-1"], cluster("15.3", true));
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("aurora-postgresql 15.3"), "{}", found[0].message);
    assert!(one("HAP070", &["eu-west-1"], cluster("15.4", true)).is_empty());
    assert!(one("HAP070", &["eu-west-1"], cluster("17.7", true)).is_empty());
    assert!(one("HAP070", &["eu-west-1"], cluster("14.8", false)).is_empty());
}

#[test]
fn hap056_a_deployment_that_shifts_traffic_with_no_load_balancer() {
    let service = |controller: &str, strategy: &str, load_balanced: bool, connected: bool| {
        let mut props = json!({"DeploymentController": {"Type": controller},
            "DeploymentConfiguration": {"Strategy": strategy,
                "DeploymentCircuitBreaker": {"Enable": true, "Rollback": true}}});
        if load_balanced {
            props["LoadBalancers"] =
                json!([{"ContainerName": "app", "ContainerPort": 80, "TargetGroupArn": {"Ref": "Tg"}}]);
        }
        if connected {
            props["ServiceConnectConfiguration"] = json!({"Enabled": true, "Namespace": "ns"});
        }
        json!({"Service": {"Type": "AWS::ECS::Service", "Metadata": {"haplat:path": "Api/Catalog/Service"},
            "Properties": props}})
    };
    let found = one("HAP056", &["us-east-1"], service("CODE_DEPLOY", "ROLLING", false, false));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "Api/Catalog/Service");
    assert!(found[0].message.contains("CODE_DEPLOY"), "{}", found[0].message);
    let found = one("HAP056", &["us-east-1"], service("ECS", "CANARY", false, false));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("CANARY strategy"), "{}", found[0].message);
    // Behind a load balancer, through Service Connect, or rolling: fine.
    assert!(one("HAP056", &["us-east-1"], service("CODE_DEPLOY", "ROLLING", true, false)).is_empty());
    assert!(one("HAP056", &["us-east-1"], service("ECS", "CANARY", true, false)).is_empty());
    assert!(one("HAP056", &["us-east-1"], service("ECS", "LINEAR", false, true)).is_empty());
    assert!(one("HAP056", &["us-east-1"], service("ECS", "ROLLING", false, false)).is_empty());
}
