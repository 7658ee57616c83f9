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
    /// How the objects are encrypted at rest.
    pub encryption: LogEncryption,
}

/// How a [`log_bucket`] encrypts its objects.
#[derive(Clone, Debug)]
pub enum LogEncryption {
    /// SSE-S3, for a service that cannot write to a bucket under a customer managed key; the
    /// reason is the suppression of Control Tower's CT.S3.PR.10.
    S3 {
        /// Why not KMS.
        reason: &'static str,
    },
    /// SSE-KMS with this key (its ARN); the writers need the key's use (through its policy or
    /// their role).
    Kms {
        /// The key's ARN.
        key: Value<String>,
        /// With an S3 Bucket Key (fewer KMS calls). Off for a writer that must then be allowed
        /// `kms:Decrypt` as well, such as CloudTrail
        /// (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html>).
        bucket_key: bool,
    },
}

/// A service that writes logs to a [`log_bucket`]: `s3:PutObject` for `principal` on the
/// bucket's objects matching `objects` (a `Fn::Sub` pattern, `AWSLogs/${AWS::AccountId}/*`),
/// under `object_condition`, and `bucket_actions` on the bucket itself (the ACL and existence
/// checks some services make before they deliver) under `bucket_condition`.
#[derive(Clone, Debug)]
pub struct LogWriter {
    /// The statement's `Sid` (the bucket statement's is `<sid>BucketCheck`).
    pub sid: &'static str,
    /// The statement's `Principal`.
    pub principal: Expr,
    /// The object keys it may write.
    pub objects: &'static str,
    /// Actions on the bucket (`s3:GetBucketAcl`), none for most writers.
    pub bucket_actions: &'static [&'static str],
    /// The `Condition` of the bucket statement (the confused-deputy guard of a service principal).
    pub bucket_condition: Option<Expr>,
    /// The `Condition` of the `s3:PutObject` statement (the guard, and the canned ACL a writer
    /// must set).
    pub object_condition: Option<Expr>,
}

/// Why a log bucket has no access logging of its own.
const LOG_BUCKET_NOT_LOGGED: &str =
    "the bucket holds access logs: logging its own access would need another log bucket, logged in turn";

/// A bucket a service delivers logs to, as `scope/id`, and its policy `<id>Policy`: SSE-S3
/// (the encryption most AWS log delivery supports) or SSE-KMS, public access blocked, versioned, objects
/// expiring after `retention_days` (overwritten versions after 30), and a policy that denies
/// every request without TLS (in the `Fn::Join` form Control Tower's CT.S3.PR.8 reads) and lets
/// `writers` write. The choices of a log bucket are suppressed with their reasons: no KMS
/// (the reason of [`LogEncryption::S3`]), no access logging of the log bucket, no event notifications, no object
/// lock. Its `DeletionPolicy` is haplat's for buckets (retained).
pub fn log_bucket(scope: &Scope, id: &str, props: LogBucketProps) -> LogBucket {
    let bucket = scope.add(
        id,
        Bucket {
            bucket_encryption: Some(BucketEncryption {
                server_side_encryption_configuration: List::items(vec![match &props.encryption {
                    LogEncryption::S3 { .. } => ServerSideEncryptionRule {
                        server_side_encryption_by_default: Some(ServerSideEncryptionByDefault {
                            sse_algorithm: SseAlgorithm::Aes256.into(),
                            kms_master_key_id: None,
                        }),
                        ..Default::default()
                    },
                    LogEncryption::Kms { key, bucket_key } => ServerSideEncryptionRule {
                        server_side_encryption_by_default: Some(ServerSideEncryptionByDefault {
                            sse_algorithm: SseAlgorithm::AwsKms.into(),
                            kms_master_key_id: Some(key.clone()),
                        }),
                        bucket_key_enabled: Some((*bucket_key).into()),
                        ..Default::default()
                    },
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
    if let LogEncryption::S3 { reason } = props.encryption {
        scope.options(bucket).suppress("CT.S3.PR.10", reason);
    }
    scope
        .options(bucket)
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
    for w in props.writers {
        let with_condition = |mut statement: Expr, condition: &Option<Expr>| {
            if let (Some(c), Expr::Map(m)) = (condition, &mut statement) {
                m.insert("Condition".into(), c.clone());
            }
            statement
        };
        if !w.bucket_actions.is_empty() {
            statements.push(with_condition(
                expr_map! {
                    "Sid" => format!("{}BucketCheck", w.sid),
                    "Effect" => "Allow",
                    "Principal" => w.principal.clone(),
                    "Action" => Expr::List(w.bucket_actions.iter().map(|a| Expr::from(*a)).collect()),
                    "Resource" => bucket.attr_arn(),
                },
                &w.bucket_condition,
            ));
        }
        statements.push(with_condition(expr_map! {
            "Sid" => w.sid,
            "Effect" => "Allow",
            "Principal" => w.principal.clone(),
            "Action" => "s3:PutObject",
            "Resource" => Value::<String>::sub_with(format!("${{Bucket}}/{}", w.objects), [("Bucket", bucket.attr_arn())]),
        }, &w.object_condition));
    }
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
