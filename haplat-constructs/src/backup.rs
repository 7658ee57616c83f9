//! AWS Backup for every region of a stack set: a KMS-encrypted vault (retained), a plan with a
//! daily rule (continuous backup, point-in-time restore, for the resource types that support
//! it) and a weekly rule, each copying its recovery points to the vault of the same name in
//! another region, a selection by tag or by ARN, and the role AWS Backup uses (the AWS managed
//! backup and restore policies).
//!
//! The vault has the same name in every region, so the copy destination of a region is an ARN
//! built from the destination region and the account. By default each region copies to the
//! next region of the stack set (the last to the first); with one region, a copy region must be
//! given.
//!
//! ```
//! use haplat_core::App;
//! use haplat_constructs::backup::{BackupPlan, BackupPlanProps, BackupSelection};
//!
//! let app = App::new("shop");
//! let data = app.stack_set("Data", &["us-east-1", "us-west-2"]);
//! let props = BackupPlanProps::new("shop-backups", BackupSelection::Tag("backup".into(), "daily".into()));
//! let plan = BackupPlan::new(&data, "Backup", props);
//! let t = app.synth().unwrap().template("shop-Data").unwrap();
//! let vault = t["Resources"].as_object().unwrap().values()
//!     .find(|r| r["Type"] == "AWS::Backup::BackupVault").unwrap();
//! assert_eq!(vault["DeletionPolicy"], "Retain");
//! assert_eq!(t["Mappings"]["RegionConfig"]["us-east-1"]["BackupCopyRegion"], "us-west-2");
//! # let _ = plan;
//! ```

use std::collections::BTreeMap;

use haplat_core::resources::backup::backup_plan::{
    BackupPlan as CfnBackupPlan, BackupPlanResourceType, BackupRuleResourceType, CopyActionResourceType,
    LifecycleResourceType,
};
use haplat_core::resources::backup::backup_selection::{
    BackupSelection as CfnBackupSelection, BackupSelectionResourceType, ConditionResourceType,
};
use haplat_core::resources::backup::backup_vault::BackupVault;
use haplat_core::resources::iam::role::Role;
use haplat_core::value::{List, Value};
use haplat_core::{Handle, Scope};

use crate::kms::KmsKey;
use crate::security::trust_policy;

/// Which resources the plan backs up.
#[derive(Clone, Debug, PartialEq)]
pub enum BackupSelection {
    /// Every resource of the region with this tag key and value.
    Tag(String, String),
    /// These ARNs.
    Resources(Vec<Value<String>>),
}

/// Where each region's recovery points are copied.
#[derive(Clone, Debug, PartialEq)]
pub enum CopyTo {
    /// The next region of the stack set (the last region copies to the first).
    NextRegion,
    /// Region → destination region, for every region of the stack set.
    Regions(BTreeMap<String, String>),
    /// No copies (not recommended: a region's loss takes its backups with it).
    Nowhere,
}

/// How a [`BackupPlan`] keeps recovery points.
#[derive(Clone, Debug, PartialEq)]
pub struct BackupPlanProps {
    /// The vault's name, the same in every region (2–50 of `A-Za-z0-9-_`).
    pub vault_name: String,
    /// What is backed up.
    pub selection: BackupSelection,
    /// Where copies go. Default: [`CopyTo::NextRegion`].
    pub copy_to: CopyTo,
    /// Days daily recovery points are kept (continuous backups keep at most 35). Default: 35.
    pub daily_retention_days: i64,
    /// Days weekly recovery points are kept. Default: 365.
    pub weekly_retention_days: i64,
    /// Continuous backup for point-in-time restore where the resource type supports it.
    /// Default: `true`.
    pub continuous: bool,
}

impl BackupPlanProps {
    /// Daily (35 days, continuous) and weekly (a year) backups of `selection` into
    /// `vault_name`, copied to the next region.
    pub fn new(vault_name: &str, selection: BackupSelection) -> Self {
        BackupPlanProps {
            vault_name: vault_name.to_owned(),
            selection,
            copy_to: CopyTo::NextRegion,
            daily_retention_days: 35,
            weekly_retention_days: 365,
            continuous: true,
        }
    }
}

/// A vault, plan, selection and role in each region (see the [module](self) docs).
#[derive(Clone, Debug)]
pub struct BackupPlan {
    /// The vault's key.
    pub key: KmsKey,
    /// The vault.
    pub vault: Handle<BackupVault>,
    /// The plan.
    pub plan: Handle<CfnBackupPlan>,
    /// The selection.
    pub selection: Handle<CfnBackupSelection>,
    /// The role AWS Backup assumes.
    pub role: Handle<Role>,
}

impl BackupPlan {
    /// Adds the vault, plan, selection and role under `scope.child(id)`.
    pub fn new(scope: &Scope, id: &str, props: BackupPlanProps) -> BackupPlan {
        let stack = scope.stack();
        let regions = stack.regions();
        let scope = scope.child(id);
        let n = &props.vault_name;
        if !(2..=50).contains(&n.len()) || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            scope.error(format!("vault name {n:?}: use 2 to 50 of A-Z a-z 0-9 - _"));
        }
        if props.continuous && !(1..=35).contains(&props.daily_retention_days) {
            scope.error(format!(
                "continuous backups are kept 1 to 35 days, not {}; shorten daily_retention_days or turn continuous off",
                props.daily_retention_days
            ));
        }
        for d in [props.daily_retention_days, props.weekly_retention_days] {
            if d < 1 {
                scope.error(format!("retention of {d} days: keep recovery points at least a day"));
            }
        }
        match &props.selection {
            BackupSelection::Tag(k, _) if k.is_empty() => scope.error("the selection tag key is empty"),
            BackupSelection::Resources(r) if r.is_empty() => scope.error("the selection names no resources"),
            _ => {}
        }
        let copy: Option<Value<String>> = match &props.copy_to {
            CopyTo::Nowhere => None,
            CopyTo::NextRegion if regions.len() < 2 => {
                scope.error(format!(
                    "the stack is deployed to {} only, so there is no next region to copy backups to; give CopyTo::Regions or CopyTo::Nowhere",
                    regions.join(", ")
                ));
                None
            }
            CopyTo::NextRegion => {
                let pairs: Vec<(String, String)> = regions
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (r.clone(), regions[(i + 1) % regions.len()].clone()))
                    .collect();
                Some(stack.region_value("BackupCopyRegion", pairs.iter().map(|(a, b)| (a.as_str(), b.as_str()))))
            }
            CopyTo::Regions(map) => {
                let targets: Vec<&String> = map.values().collect();
                for p in haplat_core::validate::region_list_problems("copy_to", &targets)
                    .into_iter()
                    .filter(|p| !p.contains("listed twice"))
                {
                    scope.error(p);
                }
                for (from, to) in map {
                    if from == to {
                        scope.error(format!("{from} copies its backups to itself; choose another region"));
                    }
                }
                Some(stack.region_value("BackupCopyRegion", map.iter().map(|(a, b)| (a.as_str(), b.as_str()))))
            }
        };

        let key = KmsKey::new(&scope, "Key", "Encrypts the backup vault", &[]);
        let vault = scope.add(
            "Vault",
            BackupVault { backup_vault_name: n.into(), encryption_key_arn: Some(key.arn()), ..Default::default() },
        );
        // Kept on purpose, under its fixed name (the other regions' copy rules address it by
        // name, so CloudFormation cannot name it). `haplat destroy` names it among the kept names
        // that block the next deploy.
        scope.options(vault).suppress(
            "HAP003",
            "the vault holds the recovery points, which must outlive the stack; its name is fixed because the \
             other regions' copy rules address it by name. `haplat destroy` lists it as a kept name: delete it \
             once empty, or import it, before deploying again",
        );
        let copy_action = |days: i64| {
            copy.as_ref().map(|dest| {
                List::items(vec![CopyActionResourceType {
                    destination_backup_vault_arn: Value::sub_with(
                        format!("arn:${{AWS::Partition}}:backup:${{Dest}}:${{AWS::AccountId}}:backup-vault:{n}"),
                        [("Dest", dest.clone())],
                    ),
                    lifecycle: Some(LifecycleResourceType {
                        delete_after_days: Some(days.into()),
                        ..Default::default()
                    }),
                }])
            })
        };
        let plan = scope.add(
            "Plan",
            CfnBackupPlan {
                backup_plan: BackupPlanResourceType {
                    backup_plan_name: Value::sub(format!("${{AWS::StackName}}-{id}")),
                    backup_plan_rule: List::items(vec![
                        BackupRuleResourceType {
                            rule_name: "Daily".into(),
                            target_backup_vault: vault.ref_(),
                            schedule_expression: Some("cron(0 3 * * ? *)".into()),
                            start_window_minutes: Some(60.into()),
                            completion_window_minutes: Some(480.into()),
                            enable_continuous_backup: Some(props.continuous.into()),
                            lifecycle: Some(LifecycleResourceType {
                                delete_after_days: Some(props.daily_retention_days.into()),
                                ..Default::default()
                            }),
                            copy_actions: copy_action(props.daily_retention_days),
                            ..Default::default()
                        },
                        BackupRuleResourceType {
                            rule_name: "Weekly".into(),
                            target_backup_vault: vault.ref_(),
                            schedule_expression: Some("cron(0 4 ? * SUN *)".into()),
                            start_window_minutes: Some(60.into()),
                            completion_window_minutes: Some(480.into()),
                            lifecycle: Some(LifecycleResourceType {
                                delete_after_days: Some(props.weekly_retention_days.into()),
                                ..Default::default()
                            }),
                            copy_actions: copy_action(props.weekly_retention_days),
                            ..Default::default()
                        },
                    ]),
                    ..Default::default()
                },
                backup_plan_tags: None,
            },
        );
        let role = scope.add(
            "Role",
            Role {
                description: Some("Lets AWS Backup back up and restore the selected resources".into()),
                assume_role_policy_document: trust_policy("backup.amazonaws.com"),
                managed_policy_arns: Some(List::items(vec![
                    Value::sub(
                        "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
                    ),
                    Value::sub(
                        "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
                    ),
                ])),
                ..Default::default()
            },
        );
        let selection = scope.add(
            "Selection",
            CfnBackupSelection {
                backup_plan_id: plan.ref_(),
                backup_selection: BackupSelectionResourceType {
                    selection_name: "Selected".into(),
                    iam_role_arn: role.attr_arn(),
                    list_of_tags: match &props.selection {
                        BackupSelection::Tag(k, v) => Some(List::items(vec![ConditionResourceType {
                            condition_type: "STRINGEQUALS".into(),
                            condition_key: k.into(),
                            condition_value: v.into(),
                        }])),
                        BackupSelection::Resources(_) => None,
                    },
                    resources: match &props.selection {
                        BackupSelection::Resources(r) => Some(List::items(r.clone())),
                        BackupSelection::Tag(..) => None,
                    },
                    ..Default::default()
                },
            },
        );
        BackupPlan { key, vault, plan, selection, role }
    }
}
