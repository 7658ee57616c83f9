//! The edge's logs: the web ACL's log group and the access log bucket.

use haplat_core::resources::s3::bucket::{
    Bucket, BucketEncryption, LifecycleConfiguration, ObjectOwnership, OwnershipControls, OwnershipControlsRule,
    PublicAccessBlockConfiguration, Rule as LifecycleRule, RuleStatus, ServerSideEncryptionByDefault,
    ServerSideEncryptionRule, SseAlgorithm, VersioningConfiguration, VersioningConfigurationStatus,
};
use haplat_core::resources::s3::bucket_policy::BucketPolicy;
use haplat_core::value::{List, Value};
use haplat_core::{Handle, Scope, expr_list, expr_map};

use crate::kms::{KeyUser, KmsKey};
use crate::logs::{LogGroup, LogGroupProps};
use crate::waf::WebAcl;

/// The web ACL's logs: a key (`LogKey`), the log group `aws-waf-logs-<stack>-<id>` (`WafLogs`)
/// and the logging configuration (`WafLogging`), in `scope`.
pub(super) fn waf_logs(scope: &Scope, id: &str, web_acl: &WebAcl, retention_days: i64) -> LogGroup {
    let key = KmsKey::new(scope, "LogKey", "Encrypts the WAF logs of the distribution", &[KeyUser::CloudWatchLogs]);
    let logs = LogGroup::new(
        scope,
        "WafLogs",
        LogGroupProps {
            name: Some(Value::sub(format!("aws-waf-logs-${{AWS::StackName}}-{}", id.to_ascii_lowercase()))),
            retention_days,
            key: &key,
        },
    );
    web_acl.log_to(scope, "WafLogging", &logs);
    logs
}

const LOG_BUCKET_NOT_LOGGED: &str =
    "the bucket holds access logs: logging its own access would need another log bucket, logged in turn";

/// The bucket of CloudFront's standard logs as `scope/id`, with a policy (`<id>Policy`) refusing
/// plain HTTP. CloudFront writes them with ACLs, so the bucket is SSE-S3 encrypted and lets the
/// bucket owner prefer ownership; objects expire after `retention_days`.
pub(super) fn access_log_bucket(scope: &Scope, id: &str, retention_days: i64) -> Handle<Bucket> {
    let bucket = scope.add(
        id,
        Bucket {
            bucket_encryption: Some(BucketEncryption {
                server_side_encryption_configuration: List::items(vec![ServerSideEncryptionRule {
                    server_side_encryption_by_default: Some(ServerSideEncryptionByDefault {
                        sse_algorithm: SseAlgorithm::Aes256.into(),
                        kms_master_key_id: None,
                    }),
                    ..Default::default()
                }]),
            }),
            ownership_controls: Some(OwnershipControls {
                rules: List::items(vec![OwnershipControlsRule {
                    object_ownership: Some(ObjectOwnership::BucketOwnerPreferred.into()),
                }]),
            }),
            public_access_block_configuration: Some(PublicAccessBlockConfiguration {
                block_public_acls: Some(true.into()),
                block_public_policy: Some(true.into()),
                ignore_public_acls: Some(true.into()),
                restrict_public_buckets: Some(true.into()),
            }),
            versioning_configuration: Some(VersioningConfiguration {
                status: VersioningConfigurationStatus::Enabled.into(),
            }),
            lifecycle_configuration: Some(LifecycleConfiguration {
                rules: List::items(vec![LifecycleRule {
                    id: Some("ExpireAccessLogs".into()),
                    status: RuleStatus::Enabled.into(),
                    expiration_in_days: Some(retention_days.into()),
                    noncurrent_version_expiration_in_days: Some(30.into()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    scope
        .options(bucket)
        .suppress(
            "CT.S3.PR.10",
            "CloudFront's standard logs are delivered with ACLs by its log-delivery account, which the bucket's SSE-S3 \
             encryption serves with no key policy to open to it",
        )
        .suppress("CKV_AWS_18", LOG_BUCKET_NOT_LOGGED)
        .suppress("CT.S3.PR.2", LOG_BUCKET_NOT_LOGGED)
        .suppress(
            "CT.S3.PR.4",
            "nothing reacts to a new log object: the logs are read on demand and expire by the lifecycle rule",
        )
        .suppress(
            "CT.S3.PR.9",
            "the logs expire by the lifecycle rule after their retention; object lock would keep them past it",
        );
    scope.add(
        &format!("{id}Policy"),
        BucketPolicy {
            bucket: bucket.ref_(),
            policy_document: expr_map! {
                "Version" => "2012-10-17",
                "Statement" => expr_list![expr_map! {
                    "Sid" => "DenyInsecureTransport",
                    "Effect" => "Deny",
                    "Principal" => "*",
                    "Action" => "s3:*",
                    "Resource" => expr_list![
                        bucket.attr_arn(),
                        // `Fn::Join`, the form Control Tower's CT.S3.PR.8 rule recognizes.
                        Value::join("", [bucket.attr_arn(), Value::from("/*")]),
                    ],
                    "Condition" => expr_map! { "Bool" => expr_map! { "aws:SecureTransport" => "false" } },
                }],
            },
        },
    );
    bucket
}
