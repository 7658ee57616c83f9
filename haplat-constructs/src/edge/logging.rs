//! The edge's logs: the web ACL's log group and the access log bucket.

use haplat_core::resources::s3::bucket::{Bucket, ObjectOwnership};
use haplat_core::value::Value;
use haplat_core::{Handle, Scope};

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

/// The bucket of CloudFront's standard logs as `scope/id`, with a policy (`<id>Policy`) refusing
/// plain HTTP ([`crate::logs::log_bucket`]). CloudFront writes them with ACLs, so the bucket is
/// SSE-S3 encrypted and lets the bucket owner prefer ownership; objects expire after
/// `retention_days`.
pub(super) fn access_log_bucket(scope: &Scope, id: &str, retention_days: i64) -> Handle<Bucket> {
    crate::logs::log_bucket(
        scope,
        id,
        crate::logs::LogBucketProps {
            retention_days,
            object_ownership: ObjectOwnership::BucketOwnerPreferred,
            writers: Vec::new(),
            encryption: crate::logs::LogEncryption::S3 {
                reason: "CloudFront's standard logs are delivered with ACLs by its log-delivery account, which the \
                         bucket's SSE-S3 encryption serves with no key policy to open to it",
            },
        },
    )
    .bucket
}
