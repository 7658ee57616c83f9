//! CloudWatch Logs log groups: [`LogGroup`], encrypted with a customer managed [`KmsKey`] and kept
//! for a retention CloudWatch Logs accepts ([`LOG_RETENTION_DAYS`], checked by
//! [`check_retention`]). Every log group of the crate is made here: the services' container
//! logs, VPC flow logs, Container Insights, Aurora's exported logs, the WebSocket API's access
//! and function logs, FIS experiment logs and WAF logs.
//!
//! ```
//! use haplat_core::App;
//! use haplat_constructs::kms::{KeyUser, KmsKey};
//! use haplat_constructs::logs::{LogGroup, LogGroupProps};
//!
//! let app = App::new("demo");
//! let stack = app.stack("Logs", "us-east-1");
//! let key = KmsKey::new(&stack, "LogsKey", "encrypts the logs", &[KeyUser::CloudWatchLogs]);
//! LogGroup::new(&stack, "Logs", LogGroupProps { name: None, retention_days: 90, key: &key });
//! let assembly = app.synth().unwrap();
//! let t = assembly.template("demo-Logs").unwrap();
//! let (_, logs) = t["Resources"].as_object().unwrap().iter()
//!     .find(|(_, r)| r["Type"] == "AWS::Logs::LogGroup").unwrap();
//! assert_eq!(logs["Properties"]["RetentionInDays"], 90);
//! assert!(logs["Properties"]["KmsKeyId"]["Fn::GetAtt"].is_array());
//! ```

use haplat_core::resources::logs::log_group::LogGroup as CfnLogGroup;
use haplat_core::resources::s3::bucket::{
    Bucket, BucketEncryption, LifecycleConfiguration, ObjectOwnership, OwnershipControls, OwnershipControlsRule,
    PublicAccessBlockConfiguration, Rule as LifecycleRule, RuleStatus, ServerSideEncryptionByDefault,
    ServerSideEncryptionRule, SseAlgorithm, VersioningConfiguration, VersioningConfigurationStatus,
};
use haplat_core::resources::s3::bucket_policy::BucketPolicy;
use haplat_core::value::{Expr, List, Value};
use haplat_core::{Handle, Scope, expr_list, expr_map};

use crate::kms::KmsKey;

/// The retention periods CloudWatch Logs accepts, in days.
pub const LOG_RETENTION_DAYS: &[i64] =
    &[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/// Checks a log retention against [`LOG_RETENTION_DAYS`], reporting misuse at `scope` (the
/// construct whose props carry the retention: [`LogGroup::new`] does not check it again).
pub fn check_retention(scope: &Scope, days: i64) {
    if !LOG_RETENTION_DAYS.contains(&days) {
        scope.error(format!(
            "log retention of {days} days is not one CloudWatch Logs accepts; use one of {}",
            LOG_RETENTION_DAYS.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
        ));
    }
}

/// What a [`LogGroup`] is.
#[derive(Clone, Debug)]
pub struct LogGroupProps<'a> {
    /// The group's name. Default (`None`): a name CloudFormation generates.
    pub name: Option<Value<String>>,
    /// Days the events are kept, one of [`LOG_RETENTION_DAYS`].
    pub retention_days: i64,
    /// The key that encrypts the events; its policy must allow
    /// [`KeyUser::CloudWatchLogs`](crate::kms::KeyUser::CloudWatchLogs).
    pub key: &'a KmsKey,
}

/// An encrypted log group with a retention (`AWS::Logs::LogGroup`).
#[derive(Clone, Copy, Debug)]
pub struct LogGroup {
    /// The log group resource.
    pub handle: Handle<CfnLogGroup>,
}

impl LogGroup {
    /// Adds the log group as `scope/id`.
    pub fn new(scope: &Scope, id: &str, props: LogGroupProps<'_>) -> LogGroup {
        let handle = scope.add(
            id,
            CfnLogGroup {
                log_group_name: props.name,
                retention_in_days: Some(props.retention_days.into()),
                kms_key_id: Some(props.key.arn()),
                ..Default::default()
            },
        );
        LogGroup { handle }
    }

    /// The group's ARN (`Fn::GetAtt Arn`, `…:log-group:<name>:*`).
    pub fn arn(&self) -> Value<String> {
        self.handle.attr_arn()
    }

    /// The group's name (`Ref`).
    pub fn name(&self) -> Value<String> {
        self.handle.ref_()
    }

    /// The ARN of the group's streams (`…:log-group:<name>:*`, built from the name): what
    /// `logs:CreateLogStream` and `logs:PutLogEvents` are granted on, and FIS logs to.
    pub fn streams_arn(&self) -> Value<String> {
        Value::sub_with(
            "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Group}:*",
            [("Group", self.name())],
        )
    }
}

/// What [`log_bucket`] makes.
#[derive(Clone, Debug)]
pub struct LogBucketProps {
    /// Days the logs are kept (the lifecycle rule's expiration).
    pub retention_days: i64,
    /// Who owns the objects the service writes (`BucketOwnerPreferred` for a writer that sets
    /// ACLs, `BucketOwnerEnforced` otherwise).
    pub object_ownership: ObjectOwnership,
    /// Who writes the logs, besides the TLS-only statement.
    pub writers: Vec<LogWriter>,
    /// Why the bucket is SSE-S3, not SSE-KMS: the suppression of Control Tower's CT.S3.PR.10.
    pub no_kms_reason: &'static str,
}

/// A service that writes logs to a [`log_bucket`]: `s3:PutObject` for `principal` on the
/// bucket's objects matching `objects` (a `Fn::Sub` pattern, `AWSLogs/${AWS::AccountId}/*`).
#[derive(Clone, Debug)]
pub struct LogWriter {
    /// The statement's `Sid`.
    pub sid: &'static str,
    /// The statement's `Principal`.
    pub principal: Expr,
    /// The object keys it may write.
    pub objects: &'static str,
}

/// Why a log bucket has no access logging of its own.
const LOG_BUCKET_NOT_LOGGED: &str =
    "the bucket holds access logs: logging its own access would need another log bucket, logged in turn";

/// A bucket a service delivers logs to, as `scope/id`, and its policy `<id>Policy`: SSE-S3
/// (the encryption AWS log delivery supports), public access blocked, versioned, objects
/// expiring after `retention_days` (overwritten versions after 30), and a policy that denies
/// every request without TLS (in the `Fn::Join` form Control Tower's CT.S3.PR.8 reads) and lets
/// `writers` write. The choices of a log bucket are suppressed with their reasons: no KMS
/// (`no_kms_reason`), no access logging of the log bucket, no event notifications, no object
/// lock. Its `DeletionPolicy` is haplat's for buckets (retained).
pub fn log_bucket(scope: &Scope, id: &str, props: LogBucketProps) -> LogBucket {
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
                    object_ownership: Some(props.object_ownership.into()),
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
                    expiration_in_days: Some(props.retention_days.into()),
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
        .suppress("CT.S3.PR.10", props.no_kms_reason)
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
    let mut statements = vec![expr_map! {
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
    }];
    statements.extend(props.writers.into_iter().map(|w| {
        expr_map! {
            "Sid" => w.sid,
            "Effect" => "Allow",
            "Principal" => w.principal,
            "Action" => "s3:PutObject",
            "Resource" => Value::<String>::sub_with(format!("${{Bucket}}/{}", w.objects), [("Bucket", bucket.attr_arn())]),
        }
    }));
    let policy = scope.add(
        &format!("{id}Policy"),
        BucketPolicy {
            bucket: bucket.ref_(),
            policy_document: expr_map! {
                "Version" => "2012-10-17",
                "Statement" => Expr::List(statements),
            },
        },
    );
    LogBucket { bucket, policy }
}

/// A [`log_bucket`]: the bucket and its policy (which a writer that checks its permission when
/// configured, such as a load balancer, depends on).
#[derive(Clone, Copy, Debug)]
pub struct LogBucket {
    /// The bucket.
    pub bucket: Handle<Bucket>,
    /// Its policy.
    pub policy: Handle<BucketPolicy>,
}
