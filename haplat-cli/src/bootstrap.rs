//! `haplat bootstrap`: one CloudFormation stack, `HaplatBootstrap`, in the administration
//! region, holding what StackSets need in a self-managed account: the administration role
//! `AWSCloudFormationStackSetAdministrationRole`, the execution role
//! `AWSCloudFormationStackSetExecutionRole`, and an encrypted, versioned, public-access-blocked
//! S3 bucket for templates over the inline limit. Creating or updating the stack is
//! idempotent; the regions it covers are recorded in its `Regions` output.
//!
//! Many accounts have the two roles already (made by hand, by the console's StackSets page or by
//! another tool). Creating them again would fail (`EntityAlreadyExists`), so each role is a
//! resource under a condition (`CreateAdministrationRole`, `CreateExecutionRole`): before
//! creating or updating the stack, haplat asks IAM whether the role exists and, if it does and
//! the bootstrap stack does not own it, **adopts** it: the stack leaves it alone (never updates
//! or deletes it) and its outputs name it all the same. A role the stack created stays the
//! stack's, whatever IAM says.
//!
//! With `--apigateway-logs-role`, the stack also makes the role API Gateway needs to write stage
//! logs (trusting `apigateway.amazonaws.com`, with the AWS managed policy
//! `AmazonAPIGatewayPushToCloudWatchLogs`), and [`set_apigateway_logs_role`] sets it in each
//! region's API Gateway account settings where none is set (a role already set is kept).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{Value, json};

use crate::account::Account;
use crate::cfn::{CloudFormation, StackEvent, StackInfo, StackInput, StackStatus};
use crate::error::Error;
use crate::failure::StackFailure;

/// What the bootstrap stack provides.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bootstrap {
    /// The account the instances go to.
    pub account: String,
    /// The administration region (where the stack sets live).
    pub region: String,
    /// The administration role's ARN.
    pub admin_role_arn: String,
    /// The execution role's name.
    pub execution_role_name: String,
    /// The template bucket.
    pub bucket: String,
    /// The regions bootstrapped.
    pub regions: Vec<String>,
    /// The API Gateway CloudWatch Logs role the stack made, if it made one.
    pub apigateway_logs_role: Option<String>,
}

/// The bootstrap stack's name.
pub const STACK_NAME: &str = "HaplatBootstrap";
/// The administration role's name.
pub const ADMIN_ROLE: &str = "AWSCloudFormationStackSetAdministrationRole";
/// The execution role's name.
pub const EXECUTION_ROLE: &str = "AWSCloudFormationStackSetExecutionRole";
/// The parameter that says whether the stack creates the administration role (`true`) or
/// adopts the one already in the account (`false`).
pub const CREATE_ADMIN_PARAM: &str = "CreateAdministrationRole";
/// The same for the execution role.
pub const CREATE_EXECUTION_PARAM: &str = "CreateExecutionRole";
/// The parameter that says whether the stack makes the API Gateway CloudWatch Logs role
/// (`haplat bootstrap --apigateway-logs-role`; `false` by default).
pub const CREATE_APIGW_PARAM: &str = "CreateApiGatewayLogsRole";
/// The output naming that role's ARN (when the stack makes it).
pub const APIGW_ROLE_OUTPUT: &str = "ApiGatewayLogsRoleArn";
/// What the read role in a target account may do, all reads: a producer's outputs
/// (`DescribeStacks`) for bindings, and what `haplat health` reads of a stack set's instance
/// for a rollout's bake there (its resources, alarms, metrics, target health, health checks).
pub const READ_ROLE_ACTIONS: [&str; 6] = [
    "cloudformation:DescribeStacks",
    "cloudformation:ListStackResources",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:GetMetricData",
    "elasticloadbalancing:DescribeTargetHealth",
    "route53:GetHealthCheck",
];
/// The bootstrap template's version (its `Version` output).
pub const VERSION: &str = "3";

/// The bootstrap template.
pub fn template() -> Value {
    let assume = |principal: Value| {
        json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]
        })
    };
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "haplat bootstrap: StackSet administration and execution roles, and the bucket for large templates",
        "Parameters": {
            "Regions": {
                "Type": "String",
                "Description": "The regions haplat deploys stack instances to, comma-separated"
            },
            CREATE_ADMIN_PARAM: {
                "Type": "String",
                "AllowedValues": ["true", "false"],
                "Default": "true",
                "Description": format!("false: {ADMIN_ROLE} existed before haplat and is adopted, not managed")
            },
            CREATE_EXECUTION_PARAM: {
                "Type": "String",
                "AllowedValues": ["true", "false"],
                "Default": "true",
                "Description": format!("false: {EXECUTION_ROLE} existed before haplat and is adopted, not managed")
            },
            CREATE_APIGW_PARAM: {
                "Type": "String",
                "AllowedValues": ["true", "false"],
                "Default": "false",
                "Description": "true: a role API Gateway uses to write stage logs to CloudWatch Logs (set per region in API Gateway's account settings by haplat bootstrap)"
            }
        },
        "Conditions": {
            "MakeAdministrationRole": {"Fn::Equals": [{"Ref": CREATE_ADMIN_PARAM}, "true"]},
            "MakeExecutionRole": {"Fn::Equals": [{"Ref": CREATE_EXECUTION_PARAM}, "true"]},
            "MakeApiGatewayLogsRole": {"Fn::Equals": [{"Ref": CREATE_APIGW_PARAM}, "true"]}
        },
        "Resources": {
            "AdministrationRole": {
                "Type": "AWS::IAM::Role",
                "Condition": "MakeAdministrationRole",
                "Properties": {
                    "RoleName": ADMIN_ROLE,
                    // Only CloudFormation acting for this account's stack sets (the confused-deputy
                    // guard of the StackSets self-managed permissions guide).
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudformation.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                                "StringLike": {"aws:SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stackset/*"}}
                            }
                        }]
                    },
                    "Policies": [{
                        "PolicyName": "AssumeStackSetExecutionRole",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [{
                                "Effect": "Allow",
                                "Action": "sts:AssumeRole",
                                "Resource": {"Fn::Sub": format!("arn:${{AWS::Partition}}:iam::*:role/{EXECUTION_ROLE}")}
                            }]
                        }
                    }]
                }
            },
            "ExecutionRole": {
                "Type": "AWS::IAM::Role",
                "Condition": "MakeExecutionRole",
                "Properties": {
                    "RoleName": EXECUTION_ROLE,
                    // Trusts the administration role only, not the whole account: the role the
                    // stack makes (its ARN, which also orders the two), or the adopted one.
                    "AssumeRolePolicyDocument": assume(json!({"AWS": {"Fn::If": [
                        "MakeAdministrationRole",
                        {"Fn::GetAtt": ["AdministrationRole", "Arn"]},
                        {"Fn::Sub": format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{ADMIN_ROLE}")}
                    ]}})),
                    "ManagedPolicyArns": [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"}]
                }
            },
            // IAM is global: one role serves API Gateway in every region.
            "ApiGatewayLogsRole": {
                "Type": "AWS::IAM::Role",
                "Condition": "MakeApiGatewayLogsRole",
                "Properties": {
                    "AssumeRolePolicyDocument": assume(json!({"Service": "apigateway.amazonaws.com"})),
                    "ManagedPolicyArns": [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"}]
                }
            },
            "TemplateBucket": {
                "Type": "AWS::S3::Bucket",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {
                    "BucketEncryption": {
                        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                    },
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": true,
                        "BlockPublicPolicy": true,
                        "IgnorePublicAcls": true,
                        "RestrictPublicBuckets": true
                    },
                    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                    "LifecycleConfiguration": {
                        "Rules": [{"Id": "ExpireOldTemplates", "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]
                    }
                }
            },
            "TemplateBucketPolicy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": {"Ref": "TemplateBucket"},
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Sid": "DenyInsecureTransport",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [
                                {"Fn::GetAtt": ["TemplateBucket", "Arn"]},
                                {"Fn::Sub": "${TemplateBucket.Arn}/*"}
                            ],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
                        }]
                    }
                }
            }
        },
        "Outputs": {
            "BucketName": {"Value": {"Ref": "TemplateBucket"}},
            "AdministrationRoleArn": {"Value": {"Fn::If": [
                "MakeAdministrationRole",
                {"Fn::GetAtt": ["AdministrationRole", "Arn"]},
                {"Fn::Sub": format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{ADMIN_ROLE}")}
            ]}},
            "ExecutionRoleName": {"Value": {"Fn::If": ["MakeExecutionRole", {"Ref": "ExecutionRole"}, EXECUTION_ROLE]}},
            APIGW_ROLE_OUTPUT: {"Condition": "MakeApiGatewayLogsRole", "Value": {"Fn::GetAtt": ["ApiGatewayLogsRole", "Arn"]}},
            "Regions": {"Value": {"Ref": "Regions"}},
            "AccountId": {"Value": {"Ref": "AWS::AccountId"}},
            "Version": {"Value": VERSION}
        }
    })
}

/// Reads the bootstrap stack; `Ok(None)` when the account is not bootstrapped there.
pub async fn read<C: CloudFormation>(cfn: &C, region: &str) -> Result<Option<Bootstrap>, Error> {
    let stack = cfn
        .describe_stack(region, STACK_NAME)
        .await
        .map_err(|e| Error::cloud(format!("reading the bootstrap stack {STACK_NAME} in {region}"), e))?;
    let Some(stack) = stack else { return Ok(None) };
    if !stack.status.is_usable() {
        return Err(Error::NotBootstrapped(format!(
            "the bootstrap stack {STACK_NAME} in {region} is {}{}; fix it and run `haplat bootstrap` again",
            stack.status,
            stack.status_reason.map(|r| format!(" ({r})")).unwrap_or_default()
        )));
    }
    let o = &stack.outputs;
    let get = |k: &str| o.get(k).cloned().unwrap_or_default();
    Ok(Some(Bootstrap {
        account: get("AccountId"),
        region: region.to_owned(),
        admin_role_arn: get("AdministrationRoleArn"),
        execution_role_name: o.get("ExecutionRoleName").cloned().unwrap_or_else(|| EXECUTION_ROLE.to_owned()),
        bucket: get("BucketName"),
        regions: get("Regions").split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        apigateway_logs_role: o.get(APIGW_ROLE_OUTPUT).filter(|a| !a.is_empty()).cloned(),
    }))
}

/// Reads the bootstrap stack and checks it covers `regions`: the error deploy shows otherwise.
pub async fn require<C: CloudFormation>(cfn: &C, region: &str, regions: &BTreeSet<String>) -> Result<Bootstrap, Error> {
    let all: Vec<&str> = regions.iter().map(String::as_str).collect();
    let Some(b) = read(cfn, region).await? else {
        return Err(Error::NotBootstrapped(format!(
            "this account is not bootstrapped in {region} (no stack {STACK_NAME}): run `haplat bootstrap --region {region} --regions {}`",
            all.join(",")
        )));
    };
    let missing: Vec<&str> = regions.iter().filter(|r| !b.regions.contains(r)).map(String::as_str).collect();
    if !missing.is_empty() {
        let mut want: BTreeSet<&str> = b.regions.iter().map(String::as_str).collect();
        want.extend(all);
        return Err(Error::NotBootstrapped(format!(
            "region(s) {} are not bootstrapped (bootstrapped: {}): run `haplat bootstrap --region {region} --regions {}`",
            missing.join(", "),
            if b.regions.is_empty() { "none".to_owned() } else { b.regions.join(", ") },
            want.into_iter().collect::<Vec<_>>().join(",")
        )));
    }
    if b.account.is_empty() || b.admin_role_arn.is_empty() {
        return Err(Error::NotBootstrapped(format!(
            "the bootstrap stack {STACK_NAME} in {region} lacks outputs (AccountId, AdministrationRoleArn): run `haplat bootstrap` again"
        )));
    }
    Ok(b)
}

/// What bootstrap did about API Gateway's CloudWatch Logs role in one region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiGatewayRole {
    /// A role was set already (by hand, another tool or an earlier bootstrap): kept as it is.
    Kept(String),
    /// Set to the bootstrap stack's role.
    Set(String),
}

/// Sets API Gateway's CloudWatch Logs role (`apigateway:UpdateAccount`) to `role` in each of
/// `regions` that has none; a region that has one keeps it (adopted, never overwritten).
pub async fn set_apigateway_logs_role<A: Account>(
    account: &A,
    regions: &BTreeSet<String>,
    role: &str,
) -> Result<Vec<(String, ApiGatewayRole)>, Error> {
    let mut out = Vec::new();
    for region in regions {
        let current = account.apigateway_cloudwatch_role(region).await.map_err(|e| {
            Error::cloud(format!("reading API Gateway's account settings in {region} (apigateway:GetAccount)"), e)
        })?;
        let done = match current {
            Some(arn) => ApiGatewayRole::Kept(arn),
            None => {
                account.set_apigateway_cloudwatch_role(region, role).await.map_err(|e| {
                    Error::cloud(
                        format!("setting API Gateway's CloudWatch Logs role in {region} (apigateway:UpdateAccount)"),
                        e,
                    )
                })?;
                ApiGatewayRole::Set(role.to_owned())
            }
        };
        out.push((region.clone(), done));
    }
    Ok(out)
}

/// Where a StackSet role comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleOrigin {
    /// The bootstrap stack created it and manages it.
    Created,
    /// It was in the account before; the bootstrap stack uses it and leaves it alone.
    Adopted,
}

impl RoleOrigin {
    fn from_param(v: Option<&String>) -> RoleOrigin {
        // Stacks of template version 1 have no such parameter: they created both roles.
        if v.is_some_and(|v| v == "false") { RoleOrigin::Adopted } else { RoleOrigin::Created }
    }

    fn param(self) -> &'static str {
        match self {
            RoleOrigin::Created => "true",
            RoleOrigin::Adopted => "false",
        }
    }
}

/// Where the two roles come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Roles {
    /// `AWSCloudFormationStackSetAdministrationRole`.
    pub administration: RoleOrigin,
    /// `AWSCloudFormationStackSetExecutionRole`.
    pub execution: RoleOrigin,
}

/// Decides whether the stack creates `role` or adopts it. A role the existing stack created stays
/// its own (asking IAM would find it and wrongly "adopt" it, and the update would delete it);
/// otherwise the role is adopted exactly when IAM has it.
async fn role_origin<C: CloudFormation>(
    cfn: &C,
    existing: Option<&StackInfo>,
    param: &str,
    role: &str,
) -> Result<RoleOrigin, Error> {
    if let Some(s) = existing
        && RoleOrigin::from_param(s.parameters.get(param)) == RoleOrigin::Created
    {
        return Ok(RoleOrigin::Created);
    }
    let exists = cfn
        .role_exists(role)
        .await
        .map_err(|e| Error::cloud(format!("checking whether the IAM role {role} already exists (iam:GetRole)"), e))?;
    Ok(if exists { RoleOrigin::Adopted } else { RoleOrigin::Created })
}

/// Where the roles of an existing bootstrap stack come from.
pub fn roles_of(stack: &StackInfo) -> Roles {
    Roles {
        administration: RoleOrigin::from_param(stack.parameters.get(CREATE_ADMIN_PARAM)),
        execution: RoleOrigin::from_param(stack.parameters.get(CREATE_EXECUTION_PARAM)),
    }
}

/// What `bootstrap` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Created the stack.
    Created,
    /// Updated it.
    Updated,
    /// Nothing to do.
    Unchanged,
}

/// Creates or updates the bootstrap stack so that it covers `regions` (added to those already
/// covered), adopting StackSet roles that exist already, and waits for it.
pub async fn bootstrap<C: CloudFormation>(
    cfn: &C,
    region: &str,
    regions: &BTreeSet<String>,
    apigateway_logs_role: bool,
    poll: Duration,
) -> Result<(Outcome, Bootstrap, Roles), Error> {
    let existing = cfn
        .describe_stack(region, STACK_NAME)
        .await
        .map_err(|e| Error::cloud(format!("reading the bootstrap stack in {region}"), e))?;
    let mut all: BTreeSet<String> = regions.clone();
    if let Some(s) = &existing
        && let Some(r) = s.outputs.get("Regions")
    {
        all.extend(r.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned));
    }
    if let Some(s) = &existing
        && s.status == StackStatus::RollbackComplete
    {
        return Err(Error::Failed(format!(
            "the bootstrap stack {STACK_NAME} in {region} failed to create earlier (ROLLBACK_COMPLETE); delete it and run `haplat bootstrap` again"
        )));
    }
    let roles = Roles {
        administration: role_origin(cfn, existing.as_ref(), CREATE_ADMIN_PARAM, ADMIN_ROLE).await?,
        execution: role_origin(cfn, existing.as_ref(), CREATE_EXECUTION_PARAM, EXECUTION_ROLE).await?,
    };
    let input = StackInput {
        name: STACK_NAME.into(),
        body: serde_json::to_string_pretty(&template()).expect("template serializes"),
        parameters: BTreeMap::from([
            ("Regions".to_owned(), all.iter().cloned().collect::<Vec<_>>().join(",")),
            (CREATE_ADMIN_PARAM.to_owned(), roles.administration.param().to_owned()),
            (CREATE_EXECUTION_PARAM.to_owned(), roles.execution.param().to_owned()),
            // Once made, the role stays (a later bootstrap without the flag does not delete it).
            (CREATE_APIGW_PARAM.to_owned(), {
                let had = existing
                    .as_ref()
                    .is_some_and(|s| s.parameters.get(CREATE_APIGW_PARAM).is_some_and(|v| v == "true"));
                (apigateway_logs_role || had).to_string()
            }),
        ]),
        capabilities: vec!["CAPABILITY_NAMED_IAM".into()],
    };
    let outcome = match existing {
        None => {
            cfn.create_stack(region, &input)
                .await
                .map_err(|e| Error::cloud(format!("creating the bootstrap stack in {region}"), e))?;
            Outcome::Created
        }
        Some(_) => match cfn.update_stack(region, &input).await {
            Ok(true) => Outcome::Updated,
            Ok(false) => Outcome::Unchanged,
            Err(e) => return Err(Error::cloud(format!("updating the bootstrap stack in {region}"), e)),
        },
    };
    if outcome != Outcome::Unchanged {
        wait_stack(cfn, region, STACK_NAME, poll).await?;
    }
    let b =
        read(cfn, region).await?.ok_or_else(|| Error::Failed(format!("the bootstrap stack vanished from {region}")))?;
    Ok((outcome, b, roles))
}

/// The stack `haplat bootstrap --admin-account ID` makes in a target account of a self-managed
/// stack set deployed from another (the administration) account.
pub const TARGET_STACK_NAME: &str = "HaplatTarget";

/// The template of [`TARGET_STACK_NAME`]: the execution role, trusting the administration
/// account's `AWSCloudFormationStackSetAdministrationRole` (the StackSets self-managed model:
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-prereqs-self-managed.html>),
/// and the read role [`crate::bindings::READ_ROLE_NAME`], trusting the administration account
/// and allowed [`READ_ROLE_ACTIONS`] only, through which a binding reads a producer's outputs in
/// this account and a rollout's bake reads the health of the account's first stage. `adopt_execution`: the execution role exists already (left alone).
pub fn target_template(admin_account: &str, adopt_execution: bool) -> Value {
    let admin_role = format!("arn:${{AWS::Partition}}:iam::{admin_account}:role/{ADMIN_ROLE}");
    let mut resources = serde_json::Map::new();
    if !adopt_execution {
        resources.insert(
            "ExecutionRole".into(),
            json!({
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": EXECUTION_ROLE,
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Principal": {"AWS": {"Fn::Sub": admin_role}}, "Action": "sts:AssumeRole"}]
                    },
                    "ManagedPolicyArns": [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"}]
                }
            }),
        );
    }
    resources.insert(
        "OutputsReaderRole".into(),
        json!({
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": crate::bindings::READ_ROLE_NAME,
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Principal": {"AWS": {"Fn::Sub": format!("arn:${{AWS::Partition}}:iam::{admin_account}:root")}},
                        "Action": "sts:AssumeRole"
                    }]
                },
                "Policies": [{
                    "PolicyName": "ReadOutputsAndHealth",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": READ_ROLE_ACTIONS, "Resource": "*"}]
                    }
                }]
            }
        }),
    );
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!("haplat bootstrap of a target account: StackSet execution role and outputs reader, trusting administration account {admin_account}"),
        "Resources": resources,
        "Outputs": {
            "AdministrationAccount": {"Value": admin_account},
            "ReadRoleArn": {"Value": {"Fn::GetAtt": ["OutputsReaderRole", "Arn"]}},
            "Version": {"Value": VERSION}
        }
    })
}

/// Creates or updates [`TARGET_STACK_NAME`] in `region` of the account `cfn` reaches (the
/// operator's credentials for that account, e.g. `--profile`), and waits for it. An execution
/// role that exists already and that the stack does not own is adopted (left alone).
pub async fn bootstrap_target<C: CloudFormation>(
    cfn: &C,
    region: &str,
    admin_account: &str,
    poll: Duration,
) -> Result<Outcome, Error> {
    if !haplat_core::manifest::is_account_id(admin_account) {
        return Err(Error::Usage(format!("--admin-account {admin_account:?} is not a 12-digit AWS account id")));
    }
    let existing = cfn
        .describe_stack(region, TARGET_STACK_NAME)
        .await
        .map_err(|e| Error::cloud(format!("reading the target bootstrap stack in {region}"), e))?;
    let owns_execution =
        existing.as_ref().is_some_and(|s| s.parameters.get("OwnsExecutionRole").is_some_and(|v| v == "true"));
    let adopt = !owns_execution
        && cfn.role_exists(EXECUTION_ROLE).await.map_err(|e| {
            Error::cloud(format!("checking whether the IAM role {EXECUTION_ROLE} already exists (iam:GetRole)"), e)
        })?;
    let mut template = target_template(admin_account, adopt);
    // Recorded so that a later run knows the role is the stack's (IAM would find it and adopt it).
    template["Parameters"] = json!({"OwnsExecutionRole": {"Type": "String", "AllowedValues": ["true", "false"]}});
    let input = StackInput {
        name: TARGET_STACK_NAME.into(),
        body: serde_json::to_string_pretty(&template).expect("template serializes"),
        parameters: BTreeMap::from([("OwnsExecutionRole".to_owned(), (!adopt).to_string())]),
        capabilities: vec!["CAPABILITY_NAMED_IAM".into()],
    };
    let outcome = match existing {
        None => {
            cfn.create_stack(region, &input)
                .await
                .map_err(|e| Error::cloud(format!("creating the target bootstrap stack in {region}"), e))?;
            Outcome::Created
        }
        Some(_) => match cfn.update_stack(region, &input).await {
            Ok(true) => Outcome::Updated,
            Ok(false) => Outcome::Unchanged,
            Err(e) => return Err(Error::cloud(format!("updating the target bootstrap stack in {region}"), e)),
        },
    };
    if outcome != Outcome::Unchanged {
        wait_stack(cfn, region, TARGET_STACK_NAME, poll).await?;
    }
    Ok(outcome)
}

async fn wait_stack<C: CloudFormation>(cfn: &C, region: &str, name: &str, poll: Duration) -> Result<(), Error> {
    let mut delay = poll;
    loop {
        let s = cfn
            .describe_stack(region, name)
            .await
            .map_err(|e| Error::cloud(format!("waiting for stack {name} in {region}"), e))?
            .ok_or_else(|| Error::Failed(format!("stack {name} in {region} disappeared")))?;
        if s.status.is_settled() {
            if s.status.is_success() {
                return Ok(());
            }
            let events = cfn.stack_events(region, &s.id).await.unwrap_or_default();
            return Err(Error::Stack(Box::new(StackFailure {
                stack: name.to_owned(),
                region: region.to_owned(),
                status: s.status,
                reason: s.status_reason,
                events: events.into_iter().filter(StackEvent::is_failure).take(10).collect(),
            })));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(30));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_execution_role_trusts_the_administration_role_not_the_account_root() {
        let t = template();
        let trust = &t["Resources"]["ExecutionRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
        let principal = trust["Principal"]["AWS"].to_string();
        assert!(!principal.contains(":root"), "{principal}");
        assert!(principal.contains("AdministrationRole") && principal.contains(ADMIN_ROLE), "{principal}");
        let admin = &t["Resources"]["AdministrationRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
        assert_eq!(admin["Principal"]["Service"], "cloudformation.amazonaws.com");
        assert_eq!(admin["Condition"]["StringEquals"]["aws:SourceAccount"], json!({"Ref": "AWS::AccountId"}));
    }
}
