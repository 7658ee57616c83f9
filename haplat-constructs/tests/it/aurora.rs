//! AuroraGlobal in the regional stack set: the primary/secondary split, encryption with each
//! region's key, protection and backups, the network lock, IAM database authentication, the
//! deploy order, misuse errors, and cfn-lint over every region.

use haplat_constructs::RegionSpec;
use haplat_constructs::api::{ApiCertificate, ApiProps, MultiRegionApi};
use haplat_constructs::aurora::{
    AuroraGlobal, AuroraGlobalProps, Capacity, PointInTimeRecovery, SecondaryWrites, forwards_writes,
};
use haplat_constructs::service::ServiceProps;
use haplat_constructs::zone::HostedZone;
use haplat_core::App;
use haplat_core::value::Value;
use serde_json::{Value as Json, json};

fn regions() -> Vec<RegionSpec> {
    vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("us-west-2"), RegionSpec::secondary("eu-west-1")]
}

fn api(app: &App, regions: Vec<RegionSpec>) -> MultiRegionApi {
    let props = ApiProps {
        services: vec![
            ServiceProps::new("Orders", "public.ecr.aws/nginx/nginx:1.27", 8080),
            ServiceProps {
                path_patterns: vec!["/web/*".into()],
                ..ServiceProps::new("Web", "public.ecr.aws/nginx/nginx:1.27", 8081)
            },
        ],
        ..ApiProps::new(
            regions,
            "api.example.com",
            ApiCertificate::DnsValidated { zone: HostedZone::existing("Z0123456789ABCDEFGHIJ", "example.com") },
        )
    };
    MultiRegionApi::new_stack_set(app, "Api", props)
}

/// The API over three regions with a database the Orders service connects to.
fn platform(tweak: impl FnOnce(&mut AuroraGlobalProps)) -> (App, MultiRegionApi, AuroraGlobal) {
    let app = App::new("shop");
    let api = api(&app, regions());
    let mut props = AuroraGlobalProps::for_api(&api);
    tweak(&mut props);
    let db = AuroraGlobal::new(api.stack(), "Db", props);
    db.grant_connect(api.service("Orders").unwrap(), "orders");
    (app, api, db)
}

fn template(app: &App) -> Json {
    app.synth().unwrap_or_else(|e| panic!("synth failed:\n{e}")).template("shop-Api").unwrap()
}

fn errors(app: &App) -> String {
    match app.synth() {
        Ok(_) => panic!("synth should have failed"),
        Err(e) => e.to_string(),
    }
}

fn of_type<'a>(t: &'a Json, ty: &str) -> Vec<(&'a String, &'a Json)> {
    t["Resources"].as_object().unwrap().iter().filter(|(_, r)| r["Type"] == ty).collect()
}

fn one<'a>(t: &'a Json, ty: &str, path_ends: &str) -> (&'a String, &'a Json) {
    let found: Vec<_> = of_type(t, ty)
        .into_iter()
        .filter(|(_, r)| r["Metadata"]["haplat:path"].as_str().is_some_and(|p| p.ends_with(path_ends)))
        .collect();
    assert_eq!(found.len(), 1, "one {ty} at …{path_ends}");
    found[0]
}

fn id_of(t: &Json, ty: &str, path_ends: &str) -> String {
    one(t, ty, path_ends).0.clone()
}

#[test]
fn primary_and_secondary_clusters_are_split_by_the_region_role() {
    let (app, _, db) = platform(|_| {});
    let t = template(&app);
    // Roles in RegionConfig; the conditions read them.
    let config = &t["Mappings"]["RegionConfig"];
    assert_eq!(config["us-east-1"]["DbRole"], "primary");
    assert_eq!(config["us-west-2"]["DbRole"], "secondary");
    assert_eq!(config["eu-west-1"]["DbRole"], "secondary");
    assert_eq!(
        t["Conditions"]["DbIsPrimary"],
        json!({"Fn::Equals": [{"Fn::FindInMap": ["RegionConfig", {"Ref": "AWS::Region"}, "DbRole"]}, "primary"]})
    );
    assert_eq!(t["Conditions"]["DbIsSecondary"], json!({"Fn::Not": [{"Condition": "DbIsPrimary"}]}));
    assert_eq!((db.primary_condition(), db.secondary_condition()), ("DbIsPrimary", "DbIsSecondary"));

    // The global cluster, the primary cluster and the secret only in the primary region.
    let (global_id, global) = one(&t, "AWS::RDS::GlobalCluster", "Db/GlobalCluster");
    assert_eq!(global["Condition"], "DbIsPrimary");
    assert_eq!(global["Properties"]["GlobalClusterIdentifier"], "shop-api-db");
    assert_eq!(global["Properties"]["Engine"], "aurora-postgresql");
    assert_eq!(global["Properties"]["StorageEncrypted"], true);
    assert_eq!(global["Properties"]["DeletionProtection"], lifted_by_destroy(true));
    let (primary_id, primary) = one(&t, "AWS::RDS::DBCluster", "Db/PrimaryCluster");
    let (secondary_id, secondary) = one(&t, "AWS::RDS::DBCluster", "Db/SecondaryCluster");
    assert_eq!(primary["Condition"], "DbIsPrimary");
    assert_eq!(secondary["Condition"], "DbIsSecondary");
    assert_eq!(primary["Properties"]["GlobalClusterIdentifier"], json!({"Ref": global_id}));
    // A secondary joins by the identifier (the global cluster is not in its region's stack)
    // and has no master credentials.
    assert_eq!(secondary["Properties"]["GlobalClusterIdentifier"], "shop-api-db");
    for p in ["MasterUsername", "MasterUserPassword", "ManageMasterUserPassword", "DatabaseName"] {
        assert!(secondary["Properties"].get(p).is_none(), "secondary has {p}");
    }
    for (_, c) in [(&primary_id, primary), (&secondary_id, secondary)] {
        assert_eq!(c["Properties"]["EngineVersion"], global["Properties"]["EngineVersion"]);
    }

    // Instances in every region, on the region's cluster.
    let instances = of_type(&t, "AWS::RDS::DBInstance");
    assert_eq!(instances.len(), 2, "a writer and one reader");
    for (_, i) in &instances {
        assert!(i.get("Condition").is_none());
        assert_eq!(
            i["Properties"]["DBClusterIdentifier"],
            json!({"Fn::If": ["DbIsPrimary", {"Ref": primary_id}, {"Ref": secondary_id}]})
        );
        assert_eq!(i["Properties"]["PubliclyAccessible"], false);
        assert_eq!(i["Properties"]["DBInstanceClass"], "db.serverless");
        // The data is the cluster's (deleted with a snapshot): a kept instance would stop the
        // cluster's delete (HAP024).
        assert_eq!((&i["DeletionPolicy"], &i["UpdateReplacePolicy"]), (&json!("Delete"), &json!("Delete")));
    }

    // The primary region deploys first, and alone.
    let a = app.synth().unwrap();
    let stack = a.manifest.stacks.iter().find(|s| s.name == "shop-Api").unwrap();
    assert_eq!(stack.target.regions()[0], "us-east-1");
    assert_eq!(stack.operation_preferences.region_concurrency.as_deref(), Some("SEQUENTIAL"));
    assert_eq!(stack.operation_preferences.failure_tolerance_count, Some(0));
}

#[test]
fn storage_secret_and_insights_are_encrypted_with_the_regions_key() {
    let (app, _, _) = platform(|_| {});
    let t = template(&app);
    let key_id = id_of(&t, "AWS::KMS::Key", "Db/Key");
    let key_arn = json!({"Fn::GetAtt": [key_id, "Arn"]});
    let (_, key) = one(&t, "AWS::KMS::Key", "Db/Key");
    assert!(key.get("Condition").is_none(), "a key in every region");
    assert_eq!(key["Properties"]["EnableKeyRotation"], true);
    for (_, c) in of_type(&t, "AWS::RDS::DBCluster") {
        assert_eq!(c["Properties"]["StorageEncrypted"], true);
        assert_eq!(c["Properties"]["KmsKeyId"], key_arn);
    }
    for (_, i) in of_type(&t, "AWS::RDS::DBInstance") {
        assert_eq!(i["Properties"]["EnablePerformanceInsights"], true);
        assert_eq!(i["Properties"]["PerformanceInsightsKMSKeyId"], key_arn);
        // A global database gets no automatic minor upgrades: the template says so.
        assert_eq!(i["Properties"]["AutoMinorVersionUpgrade"], false);
    }
    let (secret_id, secret) = one(&t, "AWS::SecretsManager::Secret", "Db/MasterSecret");
    assert_eq!(secret["Properties"]["KmsKeyId"], key_arn);
    assert_eq!(secret["Condition"], "DbIsPrimary");
    // The master password is generated and resolved at deploy: never in the template.
    let (_, primary) = one(&t, "AWS::RDS::DBCluster", "Db/PrimaryCluster");
    assert_eq!(
        primary["Properties"]["MasterUserPassword"],
        json!({"Fn::Sub": ["{{resolve:secretsmanager:${Secret}:SecretString:password}}", {"Secret": {"Ref": secret_id}}]})
    );
    assert_eq!(primary["Properties"]["MasterUsername"], "dbadmin");
    assert_eq!(secret["Properties"]["GenerateSecretString"]["SecretStringTemplate"], "{\"username\":\"dbadmin\"}");
    let (_, attachment) = one(&t, "AWS::SecretsManager::SecretTargetAttachment", "Db/MasterSecretAttachment");
    assert_eq!(attachment["Condition"], "DbIsPrimary");
}

#[test]
fn the_exported_log_is_written_to_a_log_group_of_the_template_encrypted_and_retained() {
    let (app, _, db) = platform(|p| {
        p.global_cluster_identifier = Some("Shop-Orders".into());
        p.log_retention_days = 90;
    });
    let t = template(&app);
    let key_arn = json!({"Fn::GetAtt": [id_of(&t, "AWS::KMS::Key", "Db/Key"), "Arn"]});
    // Every log group of the stack is encrypted, not only the database's.
    let groups = of_type(&t, "AWS::Logs::LogGroup");
    assert!(!groups.is_empty());
    for (id, g) in &groups {
        assert!(g["Properties"]["KmsKeyId"].is_object(), "{id} is not encrypted");
    }
    // The one RDS writes the PostgreSQL log to, named after the cluster's fixed identifier
    // (RDS keeps identifiers in lower case), in every region.
    let (logs_id, logs) = one(&t, "AWS::Logs::LogGroup", "Db/PostgresqlLogs");
    assert_eq!(db.log_groups.len(), 1);
    assert!(logs.get("Condition").is_none());
    assert_eq!(logs["Properties"]["LogGroupName"], "/aws/rds/cluster/shop-orders/postgresql");
    assert_eq!(logs["Properties"]["KmsKeyId"], key_arn);
    assert_eq!(logs["Properties"]["RetentionInDays"], 90);
    assert_eq!(logs["UpdateReplacePolicy"], "Retain");
    // Deleted with the stack (after the cluster): its fixed name must not block the next deploy.
    assert_eq!(logs["DeletionPolicy"], "Delete");
    for (id, c) in of_type(&t, "AWS::RDS::DBCluster") {
        assert_eq!(c["Properties"]["DBClusterIdentifier"], "shop-orders", "{id}");
        assert_eq!(c["Properties"]["EnableCloudwatchLogsExports"], json!(["postgresql"]), "{id}");
        let deps = c["DependsOn"].as_array().map(|d| d.to_vec()).unwrap_or_else(|| vec![c["DependsOn"].clone()]);
        assert!(deps.contains(&json!(logs_id)), "{id} must wait for {logs_id}: {deps:?}");
    }
    // The key lets CloudWatch Logs of this account and region use it.
    let (_, key) = one(&t, "AWS::KMS::Key", "Db/Key");
    let policy = key["Properties"]["KeyPolicy"]["Statement"].to_string();
    assert!(policy.contains("logs.${AWS::Region}.amazonaws.com"), "{policy}");
}

#[test]
fn clusters_are_protected_backed_up_audited_and_authenticate_with_iam() {
    let (app, _, _) = platform(|p| {
        p.point_in_time_recovery = PointInTimeRecovery::Rds { retention_days: 21 };
        p.tags = vec![("backup".into(), "daily".into())];
    });
    let t = template(&app);
    for (_, c) in of_type(&t, "AWS::RDS::DBCluster") {
        let p = &c["Properties"];
        assert_eq!(p["DeletionProtection"], lifted_by_destroy(true));
        assert_eq!(p["BackupRetentionPeriod"], 21);
        assert_eq!(p["CopyTagsToSnapshot"], true);
        assert_eq!(p["EnableIAMDatabaseAuthentication"], true);
        assert_eq!(p["EnableCloudwatchLogsExports"], json!(["postgresql"]));
        assert_eq!(p["ServerlessV2ScalingConfiguration"], json!({"MinCapacity": 0.5, "MaxCapacity": 16.0}));
        assert_eq!(p["Port"], 5432);
        // Deleted by destroy with a final snapshot: nothing keeps the subnet group, the
        // security group or the identifier.
        assert_eq!(c["DeletionPolicy"], "Snapshot");
        assert_eq!(c["UpdateReplacePolicy"], "Retain");
        assert!(p["Tags"].as_array().unwrap().contains(&json!({"Key": "backup", "Value": "daily"})), "{}", p["Tags"]);
    }
    let (_, g) = one(&t, "AWS::RDS::GlobalCluster", "Db/GlobalCluster");
    assert_eq!(g["DeletionPolicy"], "Delete");
    // The parameter destroy lifts, true by default.
    let p = &t["Parameters"]["HaplatDeletionProtection"];
    assert_eq!(p["Default"], "true");
    assert_eq!(p["AllowedValues"], json!(["true", "false"]));
    assert_eq!(
        t["Conditions"]["HaplatDeletionProtectionOn"],
        json!({"Fn::Equals": [{"Ref": "HaplatDeletionProtection"}, "true"]})
    );
}

/// Deletion protection bound to the parameter `haplat destroy` sets to false first.
fn lifted_by_destroy(v: bool) -> Json {
    json!({"Fn::If": ["HaplatDeletionProtectionOn", v, !v]})
}

#[test]
fn with_aws_backup_managing_point_in_time_recovery_no_retention_is_written() {
    let (app, _, _) = platform(|p| {
        p.point_in_time_recovery = PointInTimeRecovery::AwsBackup;
        p.tags = vec![("backup".into(), "daily".into())];
    });
    let t = template(&app);
    for (id, c) in of_type(&t, "AWS::RDS::DBCluster") {
        assert!(c["Properties"].get("BackupRetentionPeriod").is_none(), "{id}: {}", c["Properties"]);
    }
}

#[test]
fn instances_live_in_the_private_subnets_behind_a_group_open_only_to_the_clients() {
    let (app, api, db) = platform(|p| p.client_security_groups = vec!["sg-0123456789abcdef0".into()]);
    let t = template(&app);

    // The subnet group: the private subnets, none of the public ones.
    let (group_id, group) = one(&t, "AWS::RDS::DBSubnetGroup", "Db/SubnetGroup");
    let subnets = |kind: &str| -> Vec<Json> {
        let mut v: Vec<(String, Json)> = of_type(&t, "AWS::EC2::Subnet")
            .into_iter()
            .map(|(id, s)| (s["Metadata"]["haplat:path"].as_str().unwrap().to_owned(), json!({"Ref": id})))
            .filter(|(path, _)| path.contains(kind))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v.into_iter().map(|(_, r)| r).collect()
    };
    assert_eq!(api.network.private_subnets.len(), 3);
    assert_eq!(group["Properties"]["SubnetIds"], Json::Array(subnets("Network/PrivateSubnet")));
    for public in subnets("Network/PublicSubnet") {
        assert!(!group["Properties"]["SubnetIds"].as_array().unwrap().contains(&public));
    }
    for (_, c) in of_type(&t, "AWS::RDS::DBCluster") {
        assert_eq!(c["Properties"]["DBSubnetGroupName"], json!({"Ref": group_id}));
    }

    // 5432 from the given group and the Orders tasks, nothing else; no egress.
    let (sg_id, sg) = one(&t, "AWS::EC2::SecurityGroup", "Db/SecurityGroup");
    let orders_sg = id_of(&t, "AWS::EC2::SecurityGroup", "Orders/SecurityGroup");
    let ingress = sg["Properties"]["SecurityGroupIngress"].as_array().unwrap();
    let sources: Vec<&Json> = ingress.iter().map(|r| &r["SourceSecurityGroupId"]).collect();
    assert_eq!(sources, [&json!("sg-0123456789abcdef0"), &json!({"Fn::GetAtt": [orders_sg, "GroupId"]})]);
    for r in ingress {
        assert_eq!(
            (r["IpProtocol"].as_str(), r["FromPort"].as_i64(), r["ToPort"].as_i64()),
            (Some("tcp"), Some(5432), Some(5432))
        );
        assert!(r.get("CidrIp").is_none() && r.get("CidrIpv6").is_none());
    }
    assert_eq!(sg["Properties"]["SecurityGroupEgress"][0]["CidrIp"], "255.255.255.255/32", "no egress");
    let ingress_resources = of_type(&t, "AWS::EC2::SecurityGroupIngress");
    assert!(
        ingress_resources.iter().all(|(_, r)| r["Properties"]["GroupId"] != json!({"Fn::GetAtt": [sg_id, "GroupId"]})),
        "no other ingress rule on the database's group"
    );
    // The Orders tasks may reach the database (their group otherwise allows only HTTPS out).
    let (_, egress) = one(&t, "AWS::EC2::SecurityGroupEgress", "Db/OrdersEgress");
    assert_eq!(egress["Properties"]["GroupId"], json!({"Fn::GetAtt": [orders_sg, "GroupId"]}));
    assert_eq!(egress["Properties"]["DestinationSecurityGroupId"], json!({"Fn::GetAtt": [sg_id, "GroupId"]}));
    assert_eq!(egress["Properties"]["FromPort"], 5432);
    // Web was not granted: not admitted.
    let web_sg = id_of(&t, "AWS::EC2::SecurityGroup", "Web/SecurityGroup");
    assert!(!ingress.iter().any(|r| r["SourceSecurityGroupId"] == json!({"Fn::GetAtt": [web_sg, "GroupId"]})));
    let _ = db;
}

#[test]
fn grant_connect_allows_rds_db_connect_on_the_regions_cluster_for_one_user() {
    let (app, _, _) = platform(|_| {});
    let t = template(&app);
    let primary = id_of(&t, "AWS::RDS::DBCluster", "Db/PrimaryCluster");
    let secondary = id_of(&t, "AWS::RDS::DBCluster", "Db/SecondaryCluster");
    let (_, role) = one(&t, "AWS::IAM::Role", "Orders/TaskRole");
    let statements = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].as_array().unwrap();
    let connect: Vec<&Json> = statements.iter().filter(|s| s["Action"] == json!(["rds-db:connect"])).collect();
    assert_eq!(connect.len(), 1);
    assert_eq!(
        connect[0]["Resource"],
        json!([{"Fn::Sub": [
            "arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:${ClusterResourceId}/orders",
            {"ClusterResourceId": {"Fn::If": ["DbIsPrimary",
                {"Fn::GetAtt": [primary, "DBClusterResourceId"]},
                {"Fn::GetAtt": [secondary, "DBClusterResourceId"]}]}}
        ]}])
    );
    let (_, web_role) = one(&t, "AWS::IAM::Role", "Web/TaskRole");
    assert!(!web_role.to_string().contains("rds-db:connect"));
}

#[test]
fn provisioned_instances_and_readers_follow_the_props() {
    let (app, _, _) = platform(|p| {
        p.capacity = Capacity::Provisioned { instance_class: "db.r7g.large".into() };
        p.readers = 2;
        p.database_name = Some("shop".into());
        p.global_cluster_identifier = Some("shop-prod-orders".into());
    });
    let t = template(&app);
    let instances = of_type(&t, "AWS::RDS::DBInstance");
    assert_eq!(instances.len(), 3);
    let tiers: Vec<i64> = {
        let mut v: Vec<i64> =
            instances.iter().map(|(_, i)| i["Properties"]["PromotionTier"].as_i64().unwrap()).collect();
        v.sort();
        v
    };
    assert_eq!(tiers, [0, 1, 2]);
    assert!(instances.iter().all(|(_, i)| i["Properties"]["DBInstanceClass"] == "db.r7g.large"));
    for (_, c) in of_type(&t, "AWS::RDS::DBCluster") {
        assert!(c["Properties"].get("ServerlessV2ScalingConfiguration").is_none());
    }
    let (_, primary) = one(&t, "AWS::RDS::DBCluster", "Db/PrimaryCluster");
    assert_eq!(primary["Properties"]["DatabaseName"], "shop");
    let (_, secondary) = one(&t, "AWS::RDS::DBCluster", "Db/SecondaryCluster");
    assert_eq!(secondary["Properties"]["GlobalClusterIdentifier"], "shop-prod-orders");
}

#[test]
fn misuse_is_reported_with_the_construct_path() {
    let case = |regions: Vec<RegionSpec>, tweak: &dyn Fn(&mut AuroraGlobalProps)| -> String {
        let app = App::new("shop");
        let stack = app.stack_set("Data", &regions.iter().map(|r| r.region.clone()).collect::<Vec<_>>());
        let mut p = AuroraGlobalProps::new(&regions, Value::from("vpc-1"), vec!["subnet-1".into(), "subnet-2".into()]);
        tweak(&mut p);
        AuroraGlobal::new(&stack, "Db", p);
        errors(&app)
    };
    let two = || vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("eu-west-1")];

    let e = case(vec![RegionSpec::secondary("us-east-1"), RegionSpec::secondary("eu-west-1")], &|_| {});
    assert!(e.contains("Data/Db") && e.contains("no primary region"), "{e}");
    let e = case(vec![RegionSpec::primary("us-east-1"), RegionSpec::primary("eu-west-1")], &|_| {});
    assert!(e.contains("exactly one region must be primary; 2 are (us-east-1, eu-west-1)"), "{e}");
    let e = case(vec![RegionSpec::secondary("eu-west-1"), RegionSpec::primary("us-east-1")], &|_| {});
    assert!(
        e.contains("the primary region us-east-1 must be the first region of the stack set (it is eu-west-1)"),
        "{e}"
    );

    for (min, max, why) in [
        (0.0, 8.0, "must be 0.5 to 256"),
        (1.0, 512.0, "must be 0.5 to 256"),
        (0.75, 8.0, "in steps of 0.5"),
        (16.0, 8.0, "the minimum is above the maximum"),
    ] {
        let e = case(two(), &|p| p.capacity = Capacity::ServerlessV2 { min_acu: min, max_acu: max });
        assert!(e.contains("Data/Db") && e.contains(&format!("ACU range {min}..{max}")) && e.contains(why), "{e}");
    }
    let e = case(two(), &|p| p.engine = "aurora-mysql".into());
    assert!(e.contains("Data/Db") && e.contains("unknown engine \"aurora-mysql\""), "{e}");
    let e = case(two(), &|p| p.engine_version = "9.6".into());
    assert!(e.contains("unknown aurora-postgresql version \"9.6\""), "{e}");
    for days in [0, 36] {
        let e = case(two(), &|p| p.point_in_time_recovery = PointInTimeRecovery::Rds { retention_days: days });
        assert!(e.contains("Data/Db") && e.contains(&format!("backup retention of {days} days: use 1 to 35")), "{e}");
    }
    let e = case(two(), &|p| p.log_retention_days = 100);
    assert!(e.contains("Data/Db") && e.contains("log retention of 100 days"), "{e}");
    let e = case(two(), &|p| p.subnet_ids.clear());
    assert!(e.contains("Data/Db") && e.contains("no subnets"), "{e}");
    let e = case(two(), &|p| p.subnet_ids.truncate(1));
    assert!(e.contains("needs at least 2"), "{e}");
    let e = case(two(), &|p| p.global_cluster_identifier = Some("Shop--db".into()));
    assert!(e.contains("global cluster identifier \"Shop--db\" is invalid"), "{e}");
    let e = case(two(), &|p| p.master_username = "postgres".into());
    assert!(e.contains("master username \"postgres\""), "{e}");
    let e = case(two(), &|p| p.capacity = Capacity::Provisioned { instance_class: "r7g.large".into() });
    assert!(e.contains("instance class \"r7g.large\""), "{e}");
    let e = case(two(), &|p| p.readers = 16);
    assert!(e.contains("16 readers asked"), "{e}");
    let e = case(two(), &|p| p.performance_insights_retention_days = 30);
    assert!(e.contains("Performance Insights retention of 30 days"), "{e}");
    let e = case(two(), &|p| p.regions.push(RegionSpec::secondary("ap-south-1")));
    assert!(e.contains("region ap-south-1 is not a region of the stack Data"), "{e}");
    let e = case(two(), &|p| p.regions.truncate(1));
    assert!(e.contains("no role given for the stack's region(s) eu-west-1"), "{e}");

    // A service of another stack, a bad user name.
    let app = App::new("shop");
    let api = api(&app, two());
    let data = app.stack_set("Data", &["us-east-1", "eu-west-1"]);
    let db = AuroraGlobal::new(
        &data,
        "Db",
        AuroraGlobalProps::new(&two(), "vpc-1".into(), vec!["subnet-1".into(), "subnet-2".into()]),
    );
    db.grant_connect(api.service("Orders").unwrap(), "orders");
    db.grant_connect(api.service("Orders").unwrap(), "bad-user");
    let e = errors(&app);
    assert!(
        e.contains("Data/Db") && e.contains("service Orders is in the stack Api, not in the database's stack Data"),
        "{e}"
    );
    assert!(e.contains("database user \"bad-user\""), "{e}");
}

// ---------------------------------------------------------------- cfn-lint

#[test]
fn cfn_lint_passes_over_every_region_with_no_warning() {
    let mut templates = Vec::new();
    type Tweak = Box<dyn FnOnce(&mut AuroraGlobalProps)>;
    let variants: [(&str, Tweak); 2] = [
        (
            "serverless",
            Box::new(|p: &mut AuroraGlobalProps| p.client_security_groups = vec!["sg-0123456789abcdef0".into()]),
        ),
        (
            "provisioned",
            Box::new(|p: &mut AuroraGlobalProps| {
                p.capacity = Capacity::Provisioned { instance_class: "db.r7g.large".into() };
                p.readers = 2;
                p.database_name = Some("shop".into());
            }),
        ),
    ];
    for (name, tweak) in variants {
        let (app, _, _) = platform(tweak);
        templates.push((name.to_owned(), template(&app)));
    }
    let regions: Vec<String> = regions().iter().map(|r| r.region.clone()).collect();
    let lint = haplat_tests::lint_templates(&templates, &regions);
    assert!(lint.is_clean(), "{lint}");
}

#[test]
fn instances_publish_enhanced_monitoring_through_their_role() {
    let (app, _, _) = platform(|_| {});
    let t = template(&app);
    let role = id_of(&t, "AWS::IAM::Role", "Db/MonitoringRole");
    let (_, r) = one(&t, "AWS::IAM::Role", "Db/MonitoringRole");
    assert_eq!(
        r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
        "monitoring.rds.amazonaws.com"
    );
    let instances = of_type(&t, "AWS::RDS::DBInstance");
    assert!(!instances.is_empty());
    for (id, i) in instances {
        assert_eq!(i["Properties"]["MonitoringInterval"], 60, "{id}");
        assert_eq!(i["Properties"]["MonitoringRoleArn"], serde_json::json!({"Fn::GetAtt": [role, "Arn"]}), "{id}");
        assert_eq!(i["Metadata"]["guard"]["SuppressedRules"], serde_json::json!(["CT.RDS.PR.5"]), "{id}");
    }
}

/// Secondary regions read-only by default; `Forward` turns on global write forwarding on the
/// secondary cluster only, and a version that cannot forward is a synth error naming the versions
/// that can.
#[test]
fn secondary_writes_are_refused_by_default_or_forwarded_to_the_primary() {
    let (app, _, _) = platform(|_| {});
    let t = template(&app);
    for (_, c) in of_type(&t, "AWS::RDS::DBCluster") {
        assert!(c["Properties"].get("EnableGlobalWriteForwarding").is_none(), "{c}");
    }
    let (app, _, _) = platform(|p| p.secondary_writes = SecondaryWrites::Forward);
    let t = template(&app);
    let (_, secondary) = one(&t, "AWS::RDS::DBCluster", "Db/SecondaryCluster");
    assert_eq!(secondary["Properties"]["EnableGlobalWriteForwarding"], json!(true));
    let (_, primary) = one(&t, "AWS::RDS::DBCluster", "Db/PrimaryCluster");
    assert!(primary["Properties"].get("EnableGlobalWriteForwarding").is_none(), "{primary}");

    let (app, _, _) = platform(|p| {
        p.secondary_writes = SecondaryWrites::Forward;
        p.engine_version = "15.3".into();
    });
    let e = errors(&app);
    assert!(e.contains("secondary_writes Forward: aurora-postgresql 15.3 cannot forward writes from a secondary region (16 or later, 15.4 or later, 14.9 or later can"), "{e}");
    for (v, ok) in [
        ("17.7", true),
        ("16.1", true),
        ("15.4", true),
        ("15.3", false),
        ("14.9", true),
        ("14.8", false),
        ("13.12", false),
    ] {
        assert_eq!(forwards_writes(v), ok, "{v}");
    }
}

#[test]
fn the_regions_monitoring_watches_the_database_lag_cpu_capacity_and_connections() {
    use haplat_constructs::monitoring::RegionalMonitoringProps;
    let alarms_of = |capacity: Capacity| {
        let (app, api, db) = platform(|p| p.capacity = capacity);
        let metrics = db.metrics();
        let mut props = RegionalMonitoringProps::new(&["us-east-1", "us-west-2", "eu-west-1"]);
        props.databases = vec![metrics];
        props.thresholds.replication_latency_ms = 1000.0;
        let monitoring = api.monitor("Monitoring", props);
        let topic = monitoring.topic_arn();
        let t = template(&app);
        let found: Vec<(String, Json)> = of_type(&t, "AWS::CloudWatch::Alarm")
            .into_iter()
            .filter_map(|(_, r)| {
                let path = r["Metadata"]["haplat:path"].as_str()?;
                let id = path.strip_prefix("Api/Monitoring/DbDatabase/")?;
                Some((id.to_owned(), r["Properties"].clone()))
            })
            .collect();
        (found, topic)
    };
    let (found, _) = alarms_of(Capacity::ServerlessV2 { min_acu: 0.5, max_acu: 16.0 });
    let mut ids: Vec<&str> = found.iter().map(|(id, _)| id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["Capacity", "Connections", "Cpu", "ReplicationLag"]);
    let by_id = |id: &str| &found.iter().find(|(i, _)| i == id).unwrap().1;
    fn metric(p: &Json) -> (&str, &str, &str, Vec<&str>) {
        let dims: Vec<&str> = p["Dimensions"].as_array().unwrap().iter().map(|d| d["Name"].as_str().unwrap()).collect();
        (p["Namespace"].as_str().unwrap(), p["MetricName"].as_str().unwrap(), p["Statistic"].as_str().unwrap(), dims)
    }
    // Each watches the region's own cluster (primary or secondary).
    for (_, p) in &found {
        let cluster = &p["Dimensions"][0]["Value"];
        assert!(cluster["Fn::If"].is_array(), "the region's cluster: {cluster}");
        assert_eq!(p["AlarmActions"].as_array().unwrap().len(), 1);
    }
    let cpu = by_id("Cpu");
    assert_eq!(metric(cpu), ("AWS/RDS", "CPUUtilization", "Average", vec!["DBClusterIdentifier"]));
    assert_eq!(cpu["Threshold"], 80.0);
    assert!(cpu["AlarmDescription"].as_str().unwrap().starts_with("[warning] Db: average CPU utilization above 80%"));
    assert_eq!(metric(by_id("Capacity")).1, "ACUUtilization");
    // Connections: the busiest instance against 80% of max_connections, which Aurora
    // PostgreSQL derives from the memory of the maximum ACUs (16 ACUs, 32 GiB: 3604).
    let connections = by_id("Connections");
    assert_eq!(metric(connections), ("AWS/RDS", "DatabaseConnections", "Maximum", vec!["DBClusterIdentifier"]));
    assert_eq!(connections["Threshold"], 2883.0);
    assert_eq!(
        (connections["EvaluationPeriods"].as_i64(), connections["DatapointsToAlarm"].as_i64()),
        (Some(5), Some(5))
    );
    let what = connections["AlarmDescription"].as_str().unwrap();
    assert!(
        what.starts_with(
            "[warning] Db: an instance holds more than 2883 connections, 80% of its max_connections (3604)"
        ),
        "{what}"
    );
    // Replica lag pages at the data-loss threshold and names the Aurora failover runbook.
    let lag = by_id("ReplicationLag");
    assert_eq!(metric(lag), ("AWS/RDS", "AuroraGlobalDBReplicationLag", "Maximum", vec!["DBClusterIdentifier"]));
    assert_eq!(lag["Threshold"], 1000.0);
    let what = lag["AlarmDescription"].as_str().unwrap();
    assert!(what.starts_with("[critical]") && what.contains("docs/runbooks/aurora-failover.md"), "{what}");

    // A provisioned class: max_connections of its memory (db.r7g.large, 16 GiB: 1802).
    let (found, _) = alarms_of(Capacity::Provisioned { instance_class: "db.r7g.large".into() });
    let connections = &found.iter().find(|(i, _)| i == "Connections").unwrap().1;
    assert_eq!(connections["Threshold"], 1441.0);
    // A class whose memory haplat does not know: no connections alarm, the others stay.
    let (found, _) = alarms_of(Capacity::Provisioned { instance_class: "db.x2g.large".into() });
    let mut ids: Vec<&str> = found.iter().map(|(id, _)| id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["Capacity", "Cpu", "ReplicationLag"]);
}
