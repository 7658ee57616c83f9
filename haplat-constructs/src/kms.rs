//! Customer managed KMS keys: [`KmsKey`], the crate's one key helper (rotation, `Retain`, a
//! policy for the account and the [`KeyUser`] services), and [`RegionalKeys`], one such key in
//! every region of a stack set for data that lives in every region (global table replicas,
//! secret replicas, backup vaults). A key is a [`Grantable`]: granting on data encrypted with it
//! also grants the key.

use std::collections::BTreeMap;

use haplat_core::resources::kms;
use haplat_core::value::{Expr, Pseudo, Value};
use haplat_core::{Handle, Scope};

use crate::security::{Grantable, Permission, policy_document};

/// An AWS service that encrypts with a [`KmsKey`] on behalf of the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyUser {
    /// CloudWatch Logs of the stack's region (`logs.<region>.amazonaws.com`), only for log
    /// groups of this account and region (the `kms:EncryptionContext:aws:logs:arn` condition).
    CloudWatchLogs,
    /// CloudWatch alarms publishing to an SNS topic encrypted with the key
    /// (`cloudwatch.amazonaws.com` may `kms:Decrypt` and `kms:GenerateDataKey`, nothing else),
    /// only for alarms of this account (`aws:SourceAccount`).
    CloudWatchAlarms,
    /// EventBridge rules publishing to an SNS topic encrypted with the key
    /// (`events.amazonaws.com` may `kms:Decrypt` and `kms:GenerateDataKey`, nothing else), only
    /// for rules of this account (`aws:SourceAccount`).
    EventBridge,
    /// CloudTrail writing the log files of this account's trails (`cloudtrail.amazonaws.com` may
    /// `kms:GenerateDataKey*` for a trail of this account, the
    /// `kms:EncryptionContext:aws:cloudtrail:arn` condition, and `kms:DescribeKey`, which carries no
    /// encryption context, in a statement of its own), as
    /// <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html>
    /// gives it. Reading the logs back goes through IAM (the account statement).
    CloudTrail,
    /// AWS Config delivering configuration history to a bucket encrypted with the key, when it
    /// delivers as its service principal rather than with the recorder's role
    /// (`config.amazonaws.com` may `kms:Decrypt` and `kms:GenerateDataKey` for this account:
    /// <https://docs.aws.amazon.com/config/latest/developerguide/s3-kms-key-policy.html>).
    Config,
}

/// The statement letting `service` of this account encrypt what it writes with the key (messages
/// to an SNS topic, objects to a bucket): `kms:Decrypt` and `kms:GenerateDataKey`, nothing else.
fn publishes_to_a_topic(sid: &str, service: &str) -> Expr {
    use haplat_core::expr_map;
    expr_map! {
        "Sid" => sid,
        "Effect" => "Allow",
        "Principal" => expr_map! { "Service" => service },
        "Action" => haplat_core::expr_list!["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource" => "*",
        "Condition" => expr_map! {
            "StringEquals" => expr_map! { "aws:SourceAccount" => Pseudo::AccountId.expr() },
        },
    }
}

/// A customer-managed KMS key with yearly rotation, `Retain`ed, a 30-day deletion window, whose
/// policy lets the account administer it (and delegate use through IAM policies: the account root statement is what
/// makes IAM grants such as [`Grantable::read`] effective), lets the named services use it, and
/// denies `kms:CreateGrant` unless the grant is for an AWS resource (`kms:GrantIsForAWSResource`)
/// or an AWS service asks.
///
/// The one KMS key helper of the crate: every construct that encrypts with a key of its own (log
/// groups, the alarm topic, backup vaults, regional data keys, the origin secret) makes it here.
///
/// ```
/// use haplat_core::App;
/// use haplat_constructs::kms::{KeyUser, KmsKey};
/// use haplat_constructs::security::Grantable;
///
/// let app = App::new("demo");
/// let stack = app.stack("Keys", "us-east-1");
/// let key = KmsKey::new(&stack, "LogsKey", "encrypts the logs", &[KeyUser::CloudWatchLogs]);
/// assert_eq!(key.read().actions, vec!["kms:Decrypt", "kms:DescribeKey"]);
/// let assembly = app.synth().unwrap();
/// let t = assembly.template("demo-Keys").unwrap();
/// let (_, k) = t["Resources"].as_object().unwrap().iter().next().unwrap();
/// assert_eq!(k["Properties"]["EnableKeyRotation"], true);
/// assert_eq!(k["DeletionPolicy"], "Retain");
/// ```
#[derive(Clone, Debug)]
pub struct KmsKey {
    /// The key.
    pub key: Handle<kms::Key>,
}

impl KmsKey {
    /// A key in `scope` used by `users`.
    pub fn new(scope: &Scope, id: &str, description: &str, users: &[KeyUser]) -> KmsKey {
        use haplat_core::expr_map;
        let mut statements = vec![expr_map! {
            "Sid" => "AccountAdministers",
            "Effect" => "Allow",
            "Principal" => expr_map! { "AWS" => Value::<String>::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root") },
            "Action" => "kms:*",
            "Resource" => "*",
        }];
        // The cryptographic operations a service needs to encrypt with the key, named one by
        // one: no wildcard that would also allow GenerateDataKeyPair and the like.
        let use_actions = || {
            haplat_core::expr_list![
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey",
                "kms:GenerateDataKeyWithoutPlaintext",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo"
            ]
        };
        for u in users {
            statements.extend(match u {
                KeyUser::CloudWatchLogs => vec![expr_map! {
                    "Sid" => "CloudWatchLogsOfThisAccount",
                    "Effect" => "Allow",
                    "Principal" => expr_map! { "Service" => Value::<String>::sub("logs.${AWS::Region}.amazonaws.com") },
                    "Action" => use_actions(),
                    "Resource" => "*",
                    "Condition" => expr_map! {
                        "ArnLike" => expr_map! {
                            "kms:EncryptionContext:aws:logs:arn" =>
                                Value::<String>::sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"),
                        },
                    },
                }],
                KeyUser::CloudWatchAlarms => {
                    vec![publishes_to_a_topic("CloudWatchAlarmsPublish", "cloudwatch.amazonaws.com")]
                }
                KeyUser::EventBridge => vec![publishes_to_a_topic("EventBridgeRulesPublish", "events.amazonaws.com")],
                KeyUser::Config => vec![publishes_to_a_topic("ConfigDelivers", "config.amazonaws.com")],
                KeyUser::CloudTrail => vec![
                    expr_map! {
                    "Sid" => "CloudTrailDescribesTheKey",
                    "Effect" => "Allow",
                    "Principal" => expr_map! { "Service" => "cloudtrail.amazonaws.com" },
                    "Action" => "kms:DescribeKey",
                    "Resource" => "*",
                    "Condition" => expr_map! {
                        "StringEquals" => expr_map! { "aws:SourceAccount" => Pseudo::AccountId.expr() },
                    },
                    },
                    expr_map! {
                    "Sid" => "CloudTrailEncryptsThisAccountsTrails",
                    "Effect" => "Allow",
                    "Principal" => expr_map! { "Service" => "cloudtrail.amazonaws.com" },
                    "Action" => "kms:GenerateDataKey*",
                    "Resource" => "*",
                    "Condition" => expr_map! {
                        "StringEquals" => expr_map! { "aws:SourceAccount" => Pseudo::AccountId.expr() },
                        "StringLike" => expr_map! {
                            "kms:EncryptionContext:aws:cloudtrail:arn" =>
                                Value::<String>::sub("arn:${AWS::Partition}:cloudtrail:*:${AWS::AccountId}:trail/*"),
                        },
                    },
                    },
                ],
            });
        }
        // Grants only for AWS resources: a service that encrypts on the account's behalf (Aurora,
        // DynamoDB, Backup, Secrets Manager) creates its grants with `kms:GrantIsForAWSResource`;
        // no principal may create one for itself otherwise (Control Tower's CT.KMS.PR.3, in the
        // exact form its rule reads).
        statements.push(expr_map! {
            "Sid" => "CreateGrantOnlyForAwsResources",
            "Effect" => "Deny",
            "Principal" => expr_map! { "AWS" => "*" },
            "Action" => haplat_core::expr_list!["kms:CreateGrant"],
            "Resource" => "*",
            "Condition" => expr_map! {
                "BoolIfExists" => expr_map! {
                    "kms:GrantIsForAWSResource" => "false",
                    "aws:PrincipalIsAWSService" => "false",
                },
            },
        });
        let key = scope.add(
            id,
            kms::Key {
                description: Some(description.into()),
                enable_key_rotation: Some(true.into()),
                key_policy: Some(policy_document(statements)),
                pending_window_in_days: Some(30.into()),
                ..Default::default()
            },
        );
        KmsKey { key }
    }

    /// The key's ARN.
    pub fn arn(&self) -> Value<String> {
        self.key.attr_arn()
    }
}

impl Grantable for KmsKey {
    fn read(&self) -> Permission {
        Permission::new(["kms:Decrypt", "kms:DescribeKey"], [self.arn()])
    }
    fn read_write(&self) -> Permission {
        self.read().and(Permission::new(
            ["kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"],
            [self.arn()],
        ))
    }
}

/// One customer managed KMS key (rotating, retained) in each region of a stack set, for data
/// that lives in every region: global table replicas, secret replicas, backup vaults.
#[derive(Clone, Debug)]
pub struct RegionalKeys {
    /// The key (one per stack instance).
    pub key: KmsKey,
    /// The regions of the stack set.
    pub regions: Vec<String>,
}

impl RegionalKeys {
    /// Adds the key under `scope.child(id)`, in every region of its stack.
    pub fn new(scope: &Scope, id: &str) -> RegionalKeys {
        let regions = scope.stack().regions();
        let scope = scope.child(id);
        let key = KmsKey::new(&scope, "Key", "Encrypts the platform's regional data (tables, secrets)", &[]);
        RegionalKeys { key, regions }
    }

    /// The key ARN of one region, readable from any other stack.
    pub fn arn(&self, region: &str) -> Value<String> {
        self.key.arn().in_region(region)
    }

    /// Every region's key ARN (for
    /// [`TableEncryption::CustomerManaged`](crate::global_table::TableEncryption::CustomerManaged)).
    pub fn arns(&self) -> BTreeMap<String, Value<String>> {
        self.regions.iter().map(|r| (r.clone(), self.arn(r))).collect()
    }
}
