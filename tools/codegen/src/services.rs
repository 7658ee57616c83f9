//! What is generated: the services, and the facts the schemas do not carry.

/// The AWS services whose resource types are generated, by the second segment of the type name
/// (`AWS::<Service>::<Type>`). Adding a service is one line here, then
/// `scripts/refresh-schemas.sh` and `cargo run -p haplat-codegen -- generate`.
pub const SERVICES: &[&str] = &[
    "ApiGatewayV2",
    "ApplicationAutoScaling",
    "Backup",
    "CertificateManager",
    "CloudFormation",
    "CloudFront",
    "CloudTrail",
    "CloudWatch",
    "CodeDeploy",
    "Config",
    "DynamoDB",
    "EC2",
    "ECR",
    "ECS",
    "ElasticLoadBalancingV2",
    "Events",
    "FIS",
    "GuardDuty",
    "IAM",
    "KMS",
    "Lambda",
    "Logs",
    "RDS",
    "Route53",
    "Route53RecoveryControl",
    "Route53RecoveryReadiness",
    "S3",
    "SNS",
    "SQS",
    "SSM",
    "SecretsManager",
    "SecurityHub",
    "ServiceDiscovery",
    "Shield",
    "Synthetics",
    "WAFv2",
    "XRay",
];

/// Resource types that hold data deleting them would lose: they default to `DeletionPolicy` and
/// `UpdateReplacePolicy` `Retain` (docs/decisions.md, "Stateful resources are retained").
pub const STATEFUL: &[&str] = &[
    "AWS::Backup::BackupVault",
    "AWS::Backup::LogicallyAirGappedBackupVault",
    "AWS::DynamoDB::GlobalTable",
    "AWS::DynamoDB::Table",
    "AWS::EC2::Volume",
    "AWS::ECR::Repository",
    "AWS::KMS::Key",
    "AWS::KMS::ReplicaKey",
    "AWS::Logs::LogGroup",
    "AWS::RDS::DBCluster",
    "AWS::RDS::DBInstance",
    "AWS::RDS::GlobalCluster",
    "AWS::Route53::HostedZone",
    "AWS::S3::Bucket",
    "AWS::SecretsManager::Secret",
    "AWS::SQS::Queue",
    "AWS::SSM::Parameter",
];

/// The module (and cargo feature) name of a service.
pub fn module(service: &str) -> String {
    service.to_lowercase()
}

/// The vendored file name of a type's schema: `AWS::EC2::VPC` → `aws-ec2-vpc.json`.
pub fn schema_file(type_name: &str) -> String {
    format!("{}.json", type_name.to_lowercase().replace("::", "-"))
}
