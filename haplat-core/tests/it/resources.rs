//! The generated L1 types: for every service, a resource built with a struct literal renders the
//! properties CloudFormation expects; type facts come from the schemas; a template holding a
//! sample of every service passes cfn-lint.

use std::collections::BTreeMap;

use haplat_core::app::App;
use haplat_core::resource::{AttrType, Attribute, Resource, TagStyle, Validator};
use haplat_core::resources::*;
use haplat_core::value::{Expr, List, Pseudo, Value};
use serde_json::{Value as Json, json};

fn problems<R: Resource>(r: &R) -> Vec<(String, String)> {
    let mut out = Vec::new();
    r.validate(&mut Validator::new(&mut out));
    out
}

fn json_expr(j: Json) -> Expr {
    match j {
        Json::Null => Expr::Null,
        Json::Bool(b) => Expr::Bool(b),
        Json::Number(n) => Expr::Number(n),
        Json::String(s) => Expr::String(s),
        Json::Array(a) => Expr::List(a.into_iter().map(json_expr).collect()),
        Json::Object(o) => Expr::Map(o.into_iter().map(|(k, v)| (k, json_expr(v))).collect()),
    }
}

fn strs(items: &[&str]) -> List<Value<String>> {
    items.to_vec().into()
}

fn string_map(items: &[(&str, &str)]) -> BTreeMap<String, Value<String>> {
    items.iter().map(|(k, v)| ((*k).to_owned(), (*v).into())).collect()
}

/// One sample resource per service, with the JSON its properties must render to.
fn samples() -> Vec<(&'static str, Box<dyn haplat_core::resource::AnyResource>, Json)> {
    use haplat_core::resources as r;
    let role_policy = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    });
    vec![
        (
            "apigatewayv2",
            Box::new(r::apigatewayv2::Api {
                name: Some("api".into()),
                protocol_type: Some("HTTP".into()),
                ..Default::default()
            }),
            json!({"Name": "api", "ProtocolType": "HTTP"}),
        ),
        (
            "applicationautoscaling",
            Box::new(r::applicationautoscaling::ScalableTarget {
                max_capacity: 4.into(),
                min_capacity: 1.into(),
                resource_id: "service/cluster/web".into(),
                scalable_dimension:
                    r::applicationautoscaling::scalable_target::ScalableDimension::EcsServiceDesiredCount.into(),
                service_namespace: r::applicationautoscaling::scalable_target::ServiceNamespace::Ecs.into(),
                ..Default::default()
            }),
            json!({"MaxCapacity": 4, "MinCapacity": 1, "ResourceId": "service/cluster/web",
                   "ScalableDimension": "ecs:service:DesiredCount", "ServiceNamespace": "ecs"}),
        ),
        (
            "backup",
            Box::new(r::backup::BackupVault {
                backup_vault_name: "vault".into(),
                backup_vault_tags: Some(string_map(&[("team", "platform")])),
                ..Default::default()
            }),
            json!({"BackupVaultName": "vault", "BackupVaultTags": {"team": "platform"}}),
        ),
        (
            "certificatemanager",
            Box::new(r::certificatemanager::Certificate {
                domain_name: "example.com".into(),
                validation_method: Some("DNS".into()),
                subject_alternative_names: Some(strs(&["*.example.com"])),
                ..Default::default()
            }),
            json!({"DomainName": "example.com", "SubjectAlternativeNames": ["*.example.com"], "ValidationMethod": "DNS"}),
        ),
        ("cloudformation", Box::new(r::cloudformation::WaitConditionHandle::default()), json!({})),
        (
            "cloudfront",
            Box::new(r::cloudfront::OriginAccessControl {
                origin_access_control_config: r::cloudfront::origin_access_control::OriginAccessControlConfig {
                    name: "oac".into(),
                    origin_access_control_origin_type: "s3".into(),
                    signing_behavior: "always".into(),
                    signing_protocol: "sigv4".into(),
                    ..Default::default()
                },
            }),
            json!({"OriginAccessControlConfig": {"Name": "oac", "OriginAccessControlOriginType": "s3",
                   "SigningBehavior": "always", "SigningProtocol": "sigv4"}}),
        ),
        (
            "cloudtrail",
            Box::new(r::cloudtrail::Trail {
                is_logging: true.into(),
                s3_bucket_name: "trail-bucket".into(),
                is_multi_region_trail: Some(true.into()),
                ..Default::default()
            }),
            json!({"IsLogging": true, "IsMultiRegionTrail": true, "S3BucketName": "trail-bucket"}),
        ),
        (
            "cloudwatch",
            Box::new(r::cloudwatch::Alarm {
                comparison_operator: Some(r::cloudwatch::alarm::ComparisonOperator::GreaterThanThreshold.into()),
                evaluation_periods: Some(1.into()),
                metric_name: Some("Errors".into()),
                namespace: Some("AWS/Lambda".into()),
                period: Some(60.into()),
                statistic: Some(r::cloudwatch::alarm::Statistic::Sum.into()),
                threshold: Some(1.into()),
                ..Default::default()
            }),
            json!({"ComparisonOperator": "GreaterThanThreshold", "EvaluationPeriods": 1, "MetricName": "Errors",
                   "Namespace": "AWS/Lambda", "Period": 60, "Statistic": "Sum", "Threshold": 1}),
        ),
        (
            "codedeploy",
            Box::new(r::codedeploy::Application {
                compute_platform: Some(r::codedeploy::application::ComputePlatform::Lambda.into()),
                ..Default::default()
            }),
            json!({"ComputePlatform": "Lambda"}),
        ),
        (
            "dynamodb",
            Box::new(r::dynamodb::Table {
                attribute_definitions: Some(
                    vec![r::dynamodb::table::AttributeDefinition {
                        attribute_name: "pk".into(),
                        attribute_type: r::dynamodb::table::AttributeType::S.into(),
                    }]
                    .into(),
                ),
                key_schema: vec![r::dynamodb::table::KeySchema {
                    attribute_name: "pk".into(),
                    key_type: "HASH".into(),
                }]
                .into(),
                billing_mode: Some(r::dynamodb::table::BillingMode::PayPerRequest.into()),
                ..Default::default()
            }),
            json!({"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                   "BillingMode": "PAY_PER_REQUEST", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}),
        ),
        (
            "ec2",
            Box::new(r::ec2::Vpc {
                cidr_block: Some(Value::find_in_map("RegionConfig", Pseudo::Region.value(), "VpcCidr".into())),
                enable_dns_hostnames: Some(true.into()),
                tags: Some(vec![r::ec2::vpc::Tag { key: "Name".into(), value: "main".into() }].into()),
                ..Default::default()
            }),
            json!({"CidrBlock": {"Fn::FindInMap": ["RegionConfig", {"Ref": "AWS::Region"}, "VpcCidr"]},
                   "EnableDnsHostnames": true, "Tags": [{"Key": "Name", "Value": "main"}]}),
        ),
        (
            "ecr",
            Box::new(r::ecr::Repository {
                image_scanning_configuration: Some(r::ecr::repository::ImageScanningConfiguration {
                    scan_on_push: Some(true.into()),
                }),
                image_tag_mutability: Some(r::ecr::repository::ImageTagMutability::Immutable.into()),
                ..Default::default()
            }),
            json!({"ImageScanningConfiguration": {"ScanOnPush": true}, "ImageTagMutability": "IMMUTABLE"}),
        ),
        (
            "ecs",
            Box::new(r::ecs::Cluster {
                cluster_settings: Some(
                    vec![r::ecs::cluster::ClusterSettings {
                        name: Some("containerInsights".into()),
                        value: Some("enabled".into()),
                    }]
                    .into(),
                ),
                ..Default::default()
            }),
            json!({"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]}),
        ),
        (
            "elasticloadbalancingv2",
            Box::new(r::elasticloadbalancingv2::TargetGroup {
                port: Some(8080.into()),
                protocol: Some(r::elasticloadbalancingv2::target_group::Protocol::Http.into()),
                target_type: Some(r::elasticloadbalancingv2::target_group::TargetType::Ip.into()),
                health_check_path: Some("/health".into()),
                vpc_id: Some(Value::ref_name("Vpc")),
                ..Default::default()
            }),
            json!({"HealthCheckPath": "/health", "Port": 8080, "Protocol": "HTTP", "TargetType": "ip", "VpcId": {"Ref": "Vpc"}}),
        ),
        ("events", Box::new(r::events::EventBus { name: "bus".into(), ..Default::default() }), json!({"Name": "bus"})),
        (
            "fis",
            Box::new(r::fis::ExperimentTemplate {
                description: "stop one task".into(),
                role_arn: Value::get_att_name("Role", "Arn"),
                stop_conditions: vec![r::fis::experiment_template::ExperimentTemplateStopCondition {
                    source: "none".into(),
                    ..Default::default()
                }]
                .into(),
                targets: BTreeMap::from([(
                    "tasks".to_owned(),
                    r::fis::experiment_template::ExperimentTemplateTarget {
                        resource_type: "aws:ecs:task".into(),
                        selection_mode: "COUNT(1)".into(),
                        resource_tags: Some(string_map(&[("app", "web")])),
                        ..Default::default()
                    },
                )]),
                actions: Some(BTreeMap::from([(
                    "stop".to_owned(),
                    r::fis::experiment_template::ExperimentTemplateAction {
                        action_id: "aws:ecs:stop-task".into(),
                        targets: Some(string_map(&[("Tasks", "tasks")])),
                        ..Default::default()
                    },
                )])),
                tags: Some(string_map(&[("Name", "chaos")])),
                ..Default::default()
            }),
            json!({"Actions": {"stop": {"ActionId": "aws:ecs:stop-task", "Targets": {"Tasks": "tasks"}}},
                   "Description": "stop one task", "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                   "StopConditions": [{"Source": "none"}], "Tags": {"Name": "chaos"},
                   "Targets": {"tasks": {"ResourceTags": {"app": "web"}, "ResourceType": "aws:ecs:task", "SelectionMode": "COUNT(1)"}}}),
        ),
        (
            "iam",
            Box::new(r::iam::Role {
                assume_role_policy_document: json_expr(role_policy.clone()),
                managed_policy_arns: Some(
                    vec![Value::sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")]
                        .into(),
                ),
                ..Default::default()
            }),
            json!({"AssumeRolePolicyDocument": role_policy,
                   "ManagedPolicyArns": [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}]}),
        ),
        (
            "kms",
            Box::new(r::kms::Key { enable_key_rotation: Some(true.into()), ..Default::default() }),
            json!({"EnableKeyRotation": true}),
        ),
        (
            "lambda",
            Box::new(r::lambda::Function {
                code: r::lambda::function::Code {
                    zip_file: Some("def handler(e, c): return 1".into()),
                    ..Default::default()
                },
                handler: Some("index.handler".into()),
                role: Value::get_att_name("Role", "Arn"),
                runtime: Some(r::lambda::function::Runtime::Python312.into()),
                ..Default::default()
            }),
            json!({"Code": {"ZipFile": "def handler(e, c): return 1"}, "Handler": "index.handler",
                   "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Runtime": "python3.12"}),
        ),
        (
            "logs",
            Box::new(r::logs::LogGroup { retention_in_days: Some(30.into()), ..Default::default() }),
            json!({"RetentionInDays": 30}),
        ),
        (
            "rds",
            Box::new(r::rds::DbSubnetGroup {
                db_subnet_group_description: "db".into(),
                subnet_ids: vec![Value::ref_name("SubnetA"), Value::ref_name("SubnetB")].into(),
                ..Default::default()
            }),
            json!({"DBSubnetGroupDescription": "db", "SubnetIds": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}]}),
        ),
        (
            "route53",
            Box::new(r::route53::HostedZone { name: Some("example.com".into()), ..Default::default() }),
            json!({"Name": "example.com"}),
        ),
        (
            "route53recoverycontrol",
            Box::new(r::route53recoverycontrol::Cluster { name: "arc".into(), ..Default::default() }),
            json!({"Name": "arc"}),
        ),
        (
            "route53recoveryreadiness",
            Box::new(r::route53recoveryreadiness::Cell { cell_name: Some("cell-1".into()), ..Default::default() }),
            json!({"CellName": "cell-1"}),
        ),
        (
            "s3",
            Box::new(r::s3::Bucket {
                bucket_encryption: Some(r::s3::bucket::BucketEncryption {
                    server_side_encryption_configuration: vec![r::s3::bucket::ServerSideEncryptionRule {
                        server_side_encryption_by_default: Some(r::s3::bucket::ServerSideEncryptionByDefault {
                            sse_algorithm: r::s3::bucket::SseAlgorithm::AwsKms.into(),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }]
                    .into(),
                }),
                versioning_configuration: Some(r::s3::bucket::VersioningConfiguration {
                    status: r::s3::bucket::VersioningConfigurationStatus::Enabled.into(),
                }),
                ..Default::default()
            }),
            json!({"BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]},
                   "VersioningConfiguration": {"Status": "Enabled"}}),
        ),
        (
            "secretsmanager",
            Box::new(r::secretsmanager::Secret {
                generate_secret_string: Some(r::secretsmanager::secret::GenerateSecretString {
                    password_length: Some(32.into()),
                    exclude_punctuation: Some(true.into()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            json!({"GenerateSecretString": {"ExcludePunctuation": true, "PasswordLength": 32}}),
        ),
        (
            "servicediscovery",
            Box::new(r::servicediscovery::HttpNamespace { name: "internal".into(), ..Default::default() }),
            json!({"Name": "internal"}),
        ),
        (
            "shield",
            Box::new(r::shield::ProtectionGroup {
                aggregation: r::shield::protection_group::Aggregation::Sum.into(),
                pattern: r::shield::protection_group::Pattern::Arbitrary.into(),
                protection_group_id: "edge".into(),
                members: Some(strs(&["arn:aws:cloudfront::123456789012:distribution/E1"])),
                ..Default::default()
            }),
            json!({"Aggregation": "SUM", "Members": ["arn:aws:cloudfront::123456789012:distribution/E1"],
                   "Pattern": "ARBITRARY", "ProtectionGroupId": "edge"}),
        ),
        (
            "sns",
            Box::new(r::sns::Topic { topic_name: Some("alarms".into()), ..Default::default() }),
            json!({"TopicName": "alarms"}),
        ),
        (
            "sqs",
            Box::new(r::sqs::Queue { visibility_timeout: Some(60.into()), ..Default::default() }),
            json!({"VisibilityTimeout": 60}),
        ),
        (
            "ssm",
            Box::new(r::ssm::Parameter {
                type_: r::ssm::parameter::Type::String.into(),
                value: "v1".into(),
                tier: Some(r::ssm::parameter::Tier::Standard.into()),
                ..Default::default()
            }),
            json!({"Tier": "Standard", "Type": "String", "Value": "v1"}),
        ),
        (
            "wafv2",
            Box::new(r::wafv2::IpSet {
                addresses: strs(&["192.0.2.0/24"]),
                ip_address_version: r::wafv2::ip_set::IpAddressVersion::Ipv4.into(),
                scope: r::wafv2::ip_set::Scope::Regional.into(),
                ..Default::default()
            }),
            json!({"Addresses": ["192.0.2.0/24"], "IPAddressVersion": "IPV4", "Scope": "REGIONAL"}),
        ),
        (
            "xray",
            Box::new(r::xray::Group {
                group_name: "errors".into(),
                filter_expression: Some("fault = true".into()),
                ..Default::default()
            }),
            json!({"FilterExpression": "fault = true", "GroupName": "errors"}),
        ),
    ]
}

#[test]
fn every_service_renders_the_properties_cloudformation_expects() {
    let samples = samples();
    let services: Vec<&str> = samples.iter().map(|(s, _, _)| *s).collect();
    let mut expected = services.clone();
    expected.sort_unstable();
    expected.dedup();
    assert_eq!(services.len(), 33, "one sample per generated service: {services:?}");
    assert_eq!(expected.len(), 33);
    for (service, res, want) in &samples {
        let got = Expr::Map(res.properties()).to_json();
        assert_eq!(&got, want, "{service} ({})", res.type_name());
        let mut found = Vec::new();
        res.validate(&mut Validator::new(&mut found));
        assert!(found.is_empty(), "{service} ({}) is valid, but: {found:?}", res.type_name());
    }
}

#[test]
fn type_facts_come_from_the_schemas() {
    use haplat_core::resources::{
        dynamodb::Table, ec2::Vpc, elasticloadbalancingv2::LoadBalancer, rds::DbCluster, s3::Bucket, sqs::Queue,
    };
    assert_eq!(Vpc::TYPE_NAME, "AWS::EC2::VPC");
    assert_eq!(Vpc::REF_RETURNS, "VpcId");
    assert!(Vpc::CREATE_ONLY.contains(&"CidrBlock"));
    assert!(Vpc::ATTRIBUTES.contains(&Attribute { name: "CidrBlockAssociations", ty: AttrType::ListOfString }));
    assert_eq!(Vpc::TAGS, TagStyle::List("Tags"));
    let stateful = [Vpc::STATEFUL, Table::STATEFUL, Bucket::STATEFUL, Queue::STATEFUL, DbCluster::STATEFUL];
    assert_eq!(stateful, [false, true, true, true, true]);
    assert!(Table::CREATE_ONLY.contains(&"TableName"));
    assert!(DbCluster::ATTRIBUTES.iter().any(|a| a.name == "Endpoint.Address"));
    assert!(LoadBalancer::ATTRIBUTES.contains(&Attribute { name: "DNSName", ty: AttrType::String }));
    assert_eq!(haplat_core::resources::ssm::Parameter::TAGS, TagStyle::Map("Tags"));
}

#[test]
fn enums_keep_an_escape_hatch_for_values_aws_adds_later() {
    use haplat_core::resources::elasticloadbalancingv2::target_group::Protocol;
    assert_eq!(Protocol::Https.as_str(), "HTTPS");
    assert!(Protocol::VALUES.contains(&"GENEVE"));
    // Any string builds a value: a known one its variant, another an opaque `Unknown`.
    assert_eq!(Protocol::from("HTTPS"), Protocol::Https);
    let next = Protocol::from(String::from("QUIC2"));
    assert!(matches!(next, Protocol::Unknown(_)));
    assert_eq!(next.as_str(), "QUIC2");
    let later: Value<Protocol> = next.into();
    assert_eq!(later.to_json(), json!("QUIC2"));
    let from_parameter: Value<Protocol> = Value::ref_name("Protocol").cast();
    assert_eq!(from_parameter.to_json(), json!({"Ref": "Protocol"}));
}

#[test]
fn shared_shapes_are_one_type_under_every_path() {
    use haplat_core::resources::{ec2, s3, types, wafv2};
    // The one Tag, re-exported by every module whose tag has its shape.
    let tag = types::Tag { key: "team".into(), value: "core".into() };
    let bucket_tag: s3::bucket::Tag = tag.clone();
    let key_pair_tag: ec2::key_pair::Tag = bucket_tag;
    assert_eq!(key_pair_tag, tag);
    // A shape several resource types of a service share, written once in its `types` module.
    let visibility = wafv2::types::VisibilityConfig::default();
    let acl: wafv2::web_acl::VisibilityConfig = visibility.clone();
    let group: wafv2::rule_group::VisibilityConfig = acl;
    assert_eq!(group, visibility);
    // Shapes that differ keep their own type per resource module.
    let _: wafv2::web_acl::Statement = wafv2::web_acl::Statement::default();
    let _: wafv2::rule_group::Statement = wafv2::rule_group::Statement::default();
}

#[test]
fn typed_attributes_render_get_att() {
    let app = App::new("attrs");
    let stack = app.stack("Main", "us-east-1");
    let vpc = stack.add("Vpc", ec2::Vpc { cidr_block: Some("10.0.0.0/16".into()), ..Default::default() });
    let subnet = ec2::Subnet {
        vpc_id: vpc.attr_vpc_id(),
        cidr_block: Some(Value::select(0, List::cidr("10.0.0.0/16".into(), 4.into(), 8.into()))),
        ..Default::default()
    };
    let subnet = stack.add("Subnet", subnet);
    let ids: List<Value<String>> = vpc.attr_ipv6_cidr_blocks();
    let _ = (subnet, ids);
    let assembly = app.synth().expect("synthesizes");
    let t = assembly.template("attrs-Main").expect("template");
    let subnet = t["Resources"].as_object().unwrap().values().find(|r| r["Type"] == "AWS::EC2::Subnet").unwrap();
    assert_eq!(subnet["Properties"]["VpcId"]["Fn::GetAtt"][1], "VpcId");
}

#[test]
fn pre_registry_types_return_their_properties_through_get_att() {
    use haplat_core::resources::{ec2::SecurityGroup, ec2::Vpc, elasticloadbalancingv2::LoadBalancer};
    // CloudFormation (and cfn-lint) accept these though the schemas do not list them as
    // read-only: tools/codegen/src/fixups.rs, GET_ATT_FIXUPS.
    assert!(Vpc::ATTRIBUTES.contains(&Attribute { name: "CidrBlock", ty: AttrType::String }));
    assert!(Vpc::ATTRIBUTES.contains(&Attribute { name: "EnableDnsSupport", ty: AttrType::Boolean }));
    assert!(SecurityGroup::ATTRIBUTES.contains(&Attribute { name: "VpcId", ty: AttrType::String }));
    assert!(LoadBalancer::ATTRIBUTES.contains(&Attribute { name: "SecurityGroups", ty: AttrType::ListOfString }));

    let app = App::new("legacy");
    let stack = app.stack("Main", "us-east-1");
    let vpc = stack.add("Vpc", ec2::Vpc { cidr_block: Some("10.0.0.0/16".into()), ..Default::default() });
    let subnet = ec2::Subnet {
        vpc_id: vpc.attr_vpc_id(),
        cidr_block: Some(Value::select(0, List::cidr(vpc.attr_cidr_block(), 4.into(), 8.into()))),
        ..Default::default()
    };
    stack.add("Subnet", subnet);
    let sg = stack.add(
        "Sg",
        ec2::SecurityGroup { group_description: "web".into(), vpc_id: Some(vpc.attr_vpc_id()), ..Default::default() },
    );
    let rule = ec2::SecurityGroupIngress {
        group_id: Some(sg.attr_group_id()),
        ip_protocol: "tcp".into(),
        cidr_ip: Some(vpc.attr_cidr_block()),
        from_port: Some(443.into()),
        to_port: Some(443.into()),
        ..Default::default()
    };
    stack.add("Rule", rule);
    let assembly = app.synth().expect("GetAtt CidrBlock of a VPC synthesizes");
    let t = assembly.template("legacy-Main").expect("template");
    let of_type = |ty: &str| t["Resources"].as_object().unwrap().values().find(|r| r["Type"] == ty).unwrap().clone();
    let subnet = of_type("AWS::EC2::Subnet");
    assert_eq!(subnet["Properties"]["CidrBlock"]["Fn::Select"][1]["Fn::Cidr"][0]["Fn::GetAtt"][1], "CidrBlock");
    let rule = of_type("AWS::EC2::SecurityGroupIngress");
    assert_eq!(rule["Properties"]["CidrIp"]["Fn::GetAtt"][1], "CidrBlock");
    assert_eq!(rule["Properties"]["GroupId"]["Fn::GetAtt"][1], "GroupId");
}

#[test]
fn validation_names_the_property() {
    let role = iam::Role::default();
    assert_eq!(
        problems(&role),
        vec![("AssumeRolePolicyDocument".to_owned(), "is required but was left empty".to_owned())]
    );
    let group = logs::LogGroup { log_group_name: Some("bad name!".into()), ..Default::default() };
    let found = problems(&group);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "LogGroupName");
    let bucket = s3::Bucket { bucket_encryption: Some(s3::bucket::BucketEncryption::default()), ..Default::default() };
    assert_eq!(problems(&bucket)[0].0, "BucketEncryption.ServerSideEncryptionConfiguration");
}

#[test]
fn a_template_with_a_sample_of_every_service_passes_cfn_lint() {
    // Built by hand from `properties()`: the samples refer to resources by logical name.
    let samples = samples();
    // Resources the samples refer to by name.
    let extra = json!({
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "SubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24", "AvailabilityZone": {"Fn::Select": [0, {"Fn::GetAZs": ""}]}}},
        "SubnetB": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24", "AvailabilityZone": {"Fn::Select": [1, {"Fn::GetAZs": ""}]}}},
    });
    let mut resources = extra.as_object().unwrap().clone();
    for (service, res, _) in &samples {
        let name = format!("Sample{}", service.replace(|c: char| !c.is_ascii_alphanumeric(), ""));
        resources.insert(name, json!({"Type": res.type_name(), "Properties": Expr::Map(res.properties()).to_json()}));
    }
    resources.insert("Role".into(), resources["Sampleiam"].clone());
    let template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Mappings": {"RegionConfig": {"us-east-1": {"VpcCidr": "10.1.0.0/16"}}},
        "Resources": resources,
    });
    // Zero errors; the samples are minimal, so cfn-lint may suggest things (warnings) about them.
    let lint = haplat_tests::lint_templates(&[("samples".to_owned(), template)], &["us-east-1"]);
    assert!(!lint.has_errors(), "{lint}");
}
