//! The account's security baseline, where the environment asks for it: a multi-region CloudTrail
//! trail with log-file validation into a KMS-encrypted, retained bucket; GuardDuty; Security Hub
//! with the AWS Foundational Security Best Practices standard; and the AWS Config recorder with
//! its delivery channel. These are what AWS Control Tower's detective controls look for at
//! account level, and what no template of an application can turn on for itself.
//!
//! [`AccountBaseline`] goes into a stack set over the platform's regions (one per account):
//! - **in every region**: a GuardDuty detector with S3 protection, the Security Hub hub with the foundational
//!   standard (and not AWS's other default standards), a Config recorder of every supported
//!   resource type and its delivery channel into a bucket of the region, encrypted with a key of
//!   the region;
//! - **in the home region only** (a condition on `AWS::Region`): the multi-region trail, which
//!   records every region from there, its bucket, a copy of its events in an encrypted log group
//!   (for metric filters and alarms), and the recording of IAM's global resource types by
//!   Config, which would otherwise be recorded once per region.
//!
//! Each of these services allows **one per account and region**: creating a second detector,
//! hub, recorder or delivery channel fails (`haplat check` refuses two in the same region of one
//! app: HAP051). An account that already has one, from Control Tower or an organization's
//! delegated administrator, leaves that part off ([`AccountBaselineProps`]'s switches). Config's
//! recorder starts only once its delivery channel exists, and the channel can be created only
//! once a recorder exists: the two are created side by side, with no dependency either way
//! (HAP052), the channel after its bucket's policy.
//!
//! Deleting the stack set turns the services off (GuardDuty's and Security Hub's findings go with
//! them); the buckets and keys, which hold the trail and the configuration history, are retained
//! like every bucket and key of haplat.
//!
//! ```
//! use haplat_core::App;
//! use haplat_constructs::baseline::{AccountBaseline, AccountBaselineProps};
//!
//! let app = App::new("shop");
//! let stack = app.stack_set("Baseline", &["us-east-1", "eu-west-1"]);
//! let baseline = AccountBaseline::new(&stack, "Account", AccountBaselineProps::new("us-east-1"));
//! assert!(baseline.trail.is_some() && baseline.detector.is_some());
//! let t = app.synth().unwrap().template("shop-Baseline").unwrap();
//! let trail = t["Resources"].as_object().unwrap().values()
//!     .find(|r| r["Type"] == "AWS::CloudTrail::Trail").unwrap();
//! assert_eq!(trail["Condition"], "AccountIsHomeRegion");
//! ```

use haplat_core::resources::cloudtrail::trail::Trail;
use haplat_core::resources::config::configuration_recorder::{ConfigurationRecorder, RecordingGroup};
use haplat_core::resources::config::delivery_channel::{
    ConfigSnapshotDeliveryProperties, DeliveryChannel, DeliveryFrequency,
};
use haplat_core::resources::guardduty::detector::{
    CfnFeatureConfiguration, Detector, FindingPublishingFrequency, Name, Status,
};
use haplat_core::resources::iam::role::{Policy, Role};
use haplat_core::resources::s3::bucket::ObjectOwnership;
use haplat_core::resources::securityhub::hub::Hub;
use haplat_core::resources::securityhub::standard::Standard;
use haplat_core::value::{Cond, List, Pseudo, Value};
use haplat_core::{Handle, Scope, expr_list, expr_map};

use crate::kms::{KeyUser, KmsKey};
use crate::logs::{LogBucketProps, LogEncryption, LogGroup, LogGroupProps, LogWriter, check_retention, log_bucket};
use crate::security::{Grantable, policy_document, trust_policy};

/// What the baseline turns on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountBaselineProps {
    /// The region of the account-wide parts: the multi-region trail and its bucket, and the
    /// recording of IAM's global resource types. One of the stack set's regions.
    pub home_region: String,
    /// The multi-region CloudTrail trail. Default: `true`.
    pub trail: bool,
    /// A GuardDuty detector in every region. Default: `true`.
    pub guardduty: bool,
    /// Security Hub with the AWS Foundational Security Best Practices standard in every region.
    /// Security Hub's controls read AWS Config's recording: keep `config` on, or have Config
    /// recording in the account already. Default: `true`.
    pub security_hub: bool,
    /// The AWS Config recorder and delivery channel in every region. Default: `true`.
    pub config: bool,
    /// Days the trail's log files and Config's history are kept. Default: 365.
    pub retention_days: i64,
}

impl AccountBaselineProps {
    /// Everything on, its account-wide parts in `home_region`, a year of history.
    pub fn new(home_region: &str) -> Self {
        AccountBaselineProps {
            home_region: home_region.to_owned(),
            trail: true,
            guardduty: true,
            security_hub: true,
            config: true,
            retention_days: 365,
        }
    }
}

/// The baseline (see the [module](self) docs); a part that is off is `None`.
#[derive(Clone, Debug)]
pub struct AccountBaseline {
    /// The key of the region's buckets (and of the trail's log files in the home region).
    pub key: KmsKey,
    /// The multi-region trail (in the home region only).
    pub trail: Option<Handle<Trail>>,
    /// The region's GuardDuty detector.
    pub detector: Option<Handle<Detector>>,
    /// The region's Security Hub.
    pub hub: Option<Handle<Hub>>,
    /// The region's Config recorder.
    pub recorder: Option<Handle<ConfigurationRecorder>>,
    /// Its delivery channel.
    pub delivery_channel: Option<Handle<DeliveryChannel>>,
}

/// The object keys AWS services deliver account logs under.
const ACCOUNT_LOGS: &str = "AWSLogs/${AWS::AccountId}/*";

impl AccountBaseline {
    /// The baseline as `scope/id`, in a stack set over the platform's regions.
    pub fn new(scope: &Scope, id: &str, props: AccountBaselineProps) -> AccountBaseline {
        let scope = scope.child(id);
        let regions = scope.stack().regions();
        if !regions.contains(&props.home_region) {
            scope.error(format!(
                "home region {} is not one of the stack's regions ({}): the trail would be created nowhere",
                props.home_region,
                regions.join(", ")
            ));
        }
        if props.trail {
            // The trail's log group keeps its events as long as the buckets keep theirs.
            check_retention(&scope, props.retention_days);
        } else if props.retention_days < 1 {
            scope.error(format!("retention_days must be at least 1; got {}", props.retention_days));
        }
        let stack = scope.stack();
        let home = stack.add_condition(
            &format!("{id}IsHomeRegion"),
            Cond::equals(Pseudo::Region.value(), props.home_region.clone().into()),
        );
        let key = KmsKey::new(
            &scope,
            "Key",
            "Encrypts the account's trail log files and AWS Config history",
            &[KeyUser::CloudTrail, KeyUser::CloudWatchLogs, KeyUser::Config],
        );
        let trail = props.trail.then(|| account_trail(&scope, &key, &home, props.retention_days));
        let detector = props.guardduty.then(|| {
            let detector = scope.add(
                "Detector",
                Detector {
                    enable: true.into(),
                    // S3 protection: data events on the account's buckets, through Features (the
                    // API's replacement of the deprecated DataSources; the two cannot be mixed).
                    // https://docs.aws.amazon.com/guardduty/latest/APIReference/API_CreateDetector.html
                    features: Some(List::items(vec![CfnFeatureConfiguration {
                        name: Name::S3DataEvents.into(),
                        status: Status::Enabled.into(),
                        additional_configuration: None,
                    }])),
                    finding_publishing_frequency: Some(FindingPublishingFrequency::FifteenMinutes.into()),
                    ..Default::default()
                },
            );
            scope.options(detector).suppress(
                "CT.GUARDDUTY.PR.1",
                "S3 protection is on through Features (S3_DATA_EVENTS), the API's replacement of the deprecated \
                 DataSources.S3Logs that the rule reads; a detector cannot set both",
            );
            detector
        });
        let hub = props.security_hub.then(|| {
            let hub = scope.add(
                "SecurityHub",
                Hub {
                    // Only the standard below, not every standard AWS enables by default.
                    enable_default_standards: Some(false.into()),
                    auto_enable_controls: Some(true.into()),
                    control_finding_generator: Some("SECURITY_CONTROL".into()),
                    ..Default::default()
                },
            );
            let standard = scope.add(
                "FoundationalBestPractices",
                Standard {
                    standards_arn: Value::sub(
                        "arn:${AWS::Partition}:securityhub:${AWS::Region}::standards/aws-foundational-security-best-practices/v/1.0.0",
                    ),
                    ..Default::default()
                },
            );
            scope.options(standard).depends_on(hub);
            hub
        });
        let (recorder, delivery_channel) = if props.config {
            let (r, c) = config_recording(&scope, &key, &home, props.retention_days);
            (Some(r), Some(c))
        } else {
            (None, None)
        };
        AccountBaseline { key, trail, detector, hub, recorder, delivery_channel }
    }
}

/// The multi-region trail of the home region, its bucket and the bucket's policy.
fn account_trail(scope: &Scope, key: &KmsKey, home: &str, retention_days: i64) -> Handle<Trail> {
    // The trail's name is fixed (the stack's) so that the bucket policy can name its ARN before
    // the trail exists: CloudTrail checks the policy when the trail is created.
    let trail_arn = Value::<String>::sub(
        "arn:${AWS::Partition}:cloudtrail:${AWS::Region}:${AWS::AccountId}:trail/${AWS::StackName}",
    );
    let from_trail = || expr_map! { "StringEquals" => expr_map! { "aws:SourceArn" => trail_arn.clone() } };
    let logs = log_bucket(
        scope,
        "TrailBucket",
        LogBucketProps {
            retention_days,
            object_ownership: ObjectOwnership::BucketOwnerEnforced,
            writers: vec![LogWriter {
                sid: "CloudTrailDelivery",
                principal: expr_map! { "Service" => "cloudtrail.amazonaws.com" },
                objects: ACCOUNT_LOGS,
                bucket_actions: &["s3:GetBucketAcl"],
                bucket_condition: Some(from_trail()),
                object_condition: Some(expr_map! {
                    "StringEquals" => expr_map! {
                        "aws:SourceArn" => trail_arn.clone(),
                        "s3:x-amz-acl" => "bucket-owner-full-control",
                    },
                }),
            }],
            encryption: LogEncryption::Kms { key: key.arn(), bucket_key: false },
        },
    );
    scope.options(logs.bucket).condition(home);
    scope.options(logs.policy).condition(home);
    // A copy of the events in CloudWatch Logs (CT.CLOUDTRAIL.PR.3), for metric filters and
    // alarms on them, written by CloudTrail with a role limited to the group's streams.
    // https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html
    let group = LogGroup::new(scope, "TrailEvents", LogGroupProps { name: None, retention_days, key });
    let writer = scope.add(
        "TrailEventsRole",
        Role {
            description: Some("Lets CloudTrail write the trail's events to its log group".into()),
            assume_role_policy_document: trust_policy("cloudtrail.amazonaws.com"),
            policies: Some(List::items(vec![Policy {
                policy_name: "Events".into(),
                policy_document: policy_document(vec![expr_map! {
                    "Effect" => "Allow",
                    "Action" => expr_list!["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource" => group.streams_arn(),
                }]),
            }])),
            ..Default::default()
        },
    );
    scope.options(group.handle).condition(home);
    scope.options(writer).condition(home);
    let trail = scope.add(
        "Trail",
        Trail {
            cloud_watch_logs_log_group_arn: Some(group.arn()),
            cloud_watch_logs_role_arn: Some(writer.attr_arn()),
            trail_name: Some(Value::sub("${AWS::StackName}")),
            s3_bucket_name: logs.bucket.ref_(),
            is_logging: true.into(),
            is_multi_region_trail: Some(true.into()),
            include_global_service_events: Some(true.into()),
            enable_log_file_validation: Some(true.into()),
            kms_key_id: Some(key.arn()),
            ..Default::default()
        },
    );
    scope.options(trail).condition(home).depends_on(logs.policy);
    trail
}

/// The region's Config recorder, its delivery channel, the bucket they deliver to and the
/// recorder's role.
fn config_recording(
    scope: &Scope,
    key: &KmsKey,
    home: &str,
    retention_days: i64,
) -> (Handle<ConfigurationRecorder>, Handle<DeliveryChannel>) {
    let from_account = || expr_map! { "StringEquals" => expr_map! { "aws:SourceAccount" => Pseudo::AccountId.expr() } };
    let logs = log_bucket(
        scope,
        "ConfigBucket",
        LogBucketProps {
            retention_days,
            object_ownership: ObjectOwnership::BucketOwnerEnforced,
            writers: vec![LogWriter {
                sid: "ConfigDelivery",
                principal: expr_map! { "Service" => "config.amazonaws.com" },
                objects: "AWSLogs/${AWS::AccountId}/Config/*",
                bucket_actions: &["s3:GetBucketAcl", "s3:ListBucket"],
                bucket_condition: Some(from_account()),
                object_condition: Some(expr_map! {
                    "StringEquals" => expr_map! {
                        "aws:SourceAccount" => Pseudo::AccountId.expr(),
                        "s3:x-amz-acl" => "bucket-owner-full-control",
                    },
                }),
            }],
            encryption: LogEncryption::Kms { key: key.arn(), bucket_key: true },
        },
    );
    // The recorder's role: AWS's managed policy for reading configurations (the list of
    // Describe/Get calls AWS keeps current as services are added), and delivery to this bucket
    // under this key.
    // https://docs.aws.amazon.com/config/latest/developerguide/iamrole-permissions.html
    let kms = key.read_write();
    let role = scope.add(
        "ConfigRole",
        Role {
            description: Some("Lets AWS Config record this region's resources and deliver to its bucket".into()),
            assume_role_policy_document: trust_policy("config.amazonaws.com"),
            managed_policy_arns: Some(List::items(vec![Value::sub(
                "arn:${AWS::Partition}:iam::aws:policy/service-role/AWS_ConfigRole",
            )])),
            policies: Some(List::items(vec![Policy {
                policy_name: "Delivery".into(),
                policy_document: policy_document(vec![
                    expr_map! {
                        "Effect" => "Allow",
                        "Action" => "s3:PutObject",
                        "Resource" => Value::<String>::sub_with(
                            "${Bucket}/AWSLogs/${AWS::AccountId}/Config/*",
                            [("Bucket", logs.bucket.attr_arn())],
                        ),
                        "Condition" => expr_map! {
                            "StringEquals" => expr_map! { "s3:x-amz-acl" => "bucket-owner-full-control" },
                        },
                    },
                    expr_map! {
                        "Effect" => "Allow",
                        "Action" => "s3:GetBucketAcl",
                        "Resource" => logs.bucket.attr_arn(),
                    },
                    kms.statement(),
                ]),
            }])),
            ..Default::default()
        },
    );
    let recorder = scope.add(
        "ConfigRecorder",
        ConfigurationRecorder {
            role_arn: role.attr_arn(),
            recording_group: Some(RecordingGroup {
                all_supported: Some(true.into()),
                // IAM's resources are global: recorded once, in the home region.
                include_global_resource_types: Some(Value::if_(home, true.into(), false.into())),
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    let channel = scope.add(
        "ConfigDeliveryChannel",
        DeliveryChannel {
            s3_bucket_name: logs.bucket.ref_(),
            s3_kms_key_arn: Some(key.arn()),
            config_snapshot_delivery_properties: Some(ConfigSnapshotDeliveryProperties {
                delivery_frequency: Some(DeliveryFrequency::TwentyFourHours.into()),
            }),
            ..Default::default()
        },
    );
    // Config checks that it may write to the bucket when the channel is created.
    scope.options(channel).depends_on(logs.policy);
    (recorder, channel)
}
