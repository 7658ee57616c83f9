//! The README's first deploy: a small multi-region app that moto, the CloudFormation emulator,
//! provisions in full, so that `haplat deploy` runs every wave on a laptop. Three stacks, three waves:
//! 1. `Regional` (stack set, 3 regions): a VPC and a subnet whose CIDRs differ per region
//!    (`region_value`), a DynamoDB table, an encrypted S3 bucket, a log group, a dead-letter queue;
//! 2. `Workers` (stack set): a jobs queue that redrives to its own region's dead letters and a
//!    security group in its own region's VPC (same-region bindings);
//! 3. `Global` (us-east-1): an SSM parameter per region holding that region's jobs queue ARN.
//!
//! Stateful resources are retained (`destroy` lists them as kept). `-c visibility-timeout=N` sets
//! the jobs queue's (default 30 s). It leaves out what moto 5.2.5 cannot run (docs/cli.md):
//! KMS keys with tags and SSM parameters with tags (HTTP 500; only the stack sets are tagged),
//! `Fn::Cidr`, global tables and secrets (skipped, their outputs dropped), and so the
//! haplat-constructs built on them. Names are explicit: moto derives default ones from its stack
//! names (`StackSet:…`), which SQS refuses.
use haplat_core::resources::{
    dynamodb::table::*,
    ec2::{SecurityGroup, Subnet, Vpc},
    logs::LogGroup,
    s3::bucket::*,
    sqs::Queue,
    ssm::parameter::{Parameter, Type},
};
use haplat_core::{App, List, Value, expr_map};
use std::process::ExitCode;

const REGIONS: [&str; 3] = ["us-east-1", "us-west-2", "eu-west-1"];

/// Why a retained resource keeps its explicit name (`haplat check`'s HAP003).
const KEPT_NAME: &str = "emulator demo: names are explicit because moto derives default ones from its stack names, which \
                         SQS refuses; `haplat destroy` lists each kept name that blocks the next deploy, to delete first";

/// Why the demo encrypts with AWS owned or managed keys, not a customer managed one.
const NO_KMS_KEY: &str = "emulator demo: encrypted with the AWS owned or managed key, since moto 5.2.5 cannot create the \
                          tagged KMS key a customer managed key would be (the module docs)";

/// Why the demo's queues pass checkov's encryption check in fact.
const SQS_MANAGED_SSE: &str = "encrypted at rest with SQS-managed keys (SqsManagedSseEnabled: true); no customer \
                               managed key, since moto 5.2.5 cannot create a tagged KMS key";

/// Why the demo's bucket has no logging, versioning, lifecycle, events or object lock.
const DEMO_BUCKET: &str = "emulator demo: the bucket shows a regional resource the emulator provisions and holds no data; \
                           the platform constructs' buckets are the pattern to copy";

fn main() -> ExitCode {
    let timeout = haplat_core::context("visibility-timeout")
        .and_then(|v| v.map_or(Ok(30), |v| v.parse().map_err(|e| format!("-c visibility-timeout={v}: {e}"))));
    let Ok(timeout) = timeout.inspect_err(|e| eprintln!("error: {e}")) else { return ExitCode::FAILURE };
    let app = App::new("demo");

    let regional = app.stack_set("Regional", &REGIONS);
    regional.tag("app", "demo");
    let vpc_cidr = regional.region_value(
        "VpcCidr",
        [("us-east-1", "10.10.0.0/16"), ("us-west-2", "10.11.0.0/16"), ("eu-west-1", "10.12.0.0/16")],
    );
    let subnet_cidr = regional.region_value(
        "SubnetCidr",
        [("us-east-1", "10.10.0.0/24"), ("us-west-2", "10.11.0.0/24"), ("eu-west-1", "10.12.0.0/24")],
    );
    let vpc = regional.add("Vpc", Vpc { cidr_block: Some(vpc_cidr), ..Default::default() });
    let subnet =
        regional.add("Subnet", Subnet { vpc_id: vpc.ref_(), cidr_block: Some(subnet_cidr), ..Default::default() });
    let orders = regional.add(
        "Orders",
        Table {
            table_name: Some("demo-orders".into()),
            attribute_definitions: Some(List::items(vec![AttributeDefinition {
                attribute_name: "id".into(),
                attribute_type: AttributeType::S.into(),
            }])),
            key_schema: List::items(vec![KeySchema { attribute_name: "id".into(), key_type: "HASH".into() }]),
            billing_mode: Some(BillingMode::PayPerRequest.into()),
            point_in_time_recovery_specification: Some(
                haplat_core::resources::dynamodb::types::PointInTimeRecoverySpecification {
                    point_in_time_recovery_enabled: Some(true.into()),
                    ..Default::default()
                },
            ),
            ..Default::default()
        },
    );
    regional.options(orders).suppress("HAP003", KEPT_NAME);
    regional.options(orders).suppress("CKV_AWS_119", NO_KMS_KEY).suppress("CT.DYNAMODB.PR.2", NO_KMS_KEY);
    let sse = ServerSideEncryptionByDefault { sse_algorithm: SseAlgorithm::Aes256.into(), kms_master_key_id: None };
    let encryption = BucketEncryption {
        server_side_encryption_configuration: List::items(vec![ServerSideEncryptionRule {
            server_side_encryption_by_default: Some(sse),
            ..Default::default()
        }]),
    };
    let uploads = regional.add(
        "Uploads",
        Bucket {
            bucket_name: Some(Value::sub("demo-uploads-${AWS::AccountId}-${AWS::Region}")),
            bucket_encryption: Some(encryption),
            public_access_block_configuration: Some(
                haplat_core::resources::s3::types::PublicAccessBlockConfiguration {
                    block_public_acls: Some(true.into()),
                    block_public_policy: Some(true.into()),
                    ignore_public_acls: Some(true.into()),
                    restrict_public_buckets: Some(true.into()),
                },
            ),
            ..Default::default()
        },
    );
    // What the demo's bucket leaves out, for what it shows (the emulator provisioning every wave).
    regional
        .options(uploads)
        .suppress("CT.S3.PR.10", NO_KMS_KEY)
        .suppress("CKV_AWS_18", DEMO_BUCKET)
        .suppress("CT.S3.PR.2", DEMO_BUCKET)
        .suppress("CKV_AWS_21", DEMO_BUCKET)
        .suppress("CT.S3.PR.11", DEMO_BUCKET)
        .suppress("CT.S3.PR.4", DEMO_BUCKET)
        .suppress("CT.S3.PR.6", DEMO_BUCKET)
        .suppress("CT.S3.PR.9", DEMO_BUCKET);
    let logs = regional.add(
        "Logs",
        LogGroup {
            log_group_name: Some("/demo/app".into()),
            retention_in_days: Some(365.into()),
            ..Default::default()
        },
    );
    regional.options(logs).suppress("CKV_AWS_158", NO_KMS_KEY).suppress("CT.CLOUDWATCH.PR.3", NO_KMS_KEY);
    let dead_letters = regional.add(
        "DeadLetters",
        Queue {
            queue_name: Some("demo-dead-letters".into()),
            sqs_managed_sse_enabled: Some(true.into()),
            // Longer than the jobs queues' 4 days: a message keeps its enqueue time here (HAP047).
            message_retention_period: Some(1_209_600.into()),
            ..Default::default()
        },
    );
    regional.options(uploads).suppress("HAP003", KEPT_NAME);
    regional.options(logs).suppress("HAP003", KEPT_NAME);
    regional.options(dead_letters).suppress("HAP003", KEPT_NAME);
    regional
        .options(dead_letters)
        .suppress("CKV_AWS_27", SQS_MANAGED_SSE)
        .suppress("CT.SQS.PR.1", "this queue is the dead-letter queue of the jobs queues");
    regional.add_output("SubnetId", subnet.ref_(), "The region's subnet");
    regional.add_output("TableName", orders.ref_(), "The region's orders table");

    let workers = app.stack_set("Workers", &REGIONS);
    workers.tag("app", "demo");
    let jobs = workers.add(
        "Jobs",
        Queue {
            queue_name: Some("demo-jobs".into()),
            visibility_timeout: Some(timeout.into()),
            redrive_policy: Some(
                expr_map! { "deadLetterTargetArn" => dead_letters.attr_arn(), "maxReceiveCount" => 5 },
            ),
            sqs_managed_sse_enabled: Some(true.into()),
            ..Default::default()
        },
    );
    workers.options(jobs).suppress("HAP003", KEPT_NAME);
    workers.options(jobs).suppress("CKV_AWS_27", SQS_MANAGED_SSE).suppress(
        "CT.SQS.PR.1",
        "redrives to its region's DeadLetters queue: the RedrivePolicy's target is the stack parameter bound to that \
         queue's ARN, which the rule does not resolve",
    );
    workers.add(
        "SecurityGroup",
        SecurityGroup {
            group_description: "Workers (no ingress)".into(),
            vpc_id: Some(vpc.ref_()),
            ..Default::default()
        },
    );

    let global = app.stack("Global", "us-east-1");
    for region in REGIONS {
        let name = format!("/demo/jobs-queue/{region}");
        let value = jobs.attr_arn().in_region(region);
        let param = global.add(
            &format!("JobsQueue-{region}"),
            Parameter { name: Some(name.into()), type_: Type::String.into(), value, ..Default::default() },
        );
        global.options(param).suppress("HAP003", KEPT_NAME);
        global.add_output(
            &format!("JobsQueue{}", region.replace('-', "")),
            param.ref_(),
            "The SSM parameter naming this region's jobs queue",
        );
    }
    app.run()
}
