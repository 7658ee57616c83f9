//! What haplat needs from CloudFormation (and S3 and IAM), as a trait over plain types, so that the
//! executor runs against the AWS SDK (`crate::sdk::Aws`) or a fake in tests.

use std::collections::BTreeMap;
use std::future::Future;

pub use crate::status::{
    DetailedStatus, InstanceStatus, OperationStatus, RegionStatus, ResourceStatus, StackSetStatus, StackStatus,
};

/// A stack set as deployed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StackSetInfo {
    /// Its name.
    pub name: String,
    /// `ACTIVE` or `DELETED`.
    pub status: StackSetStatus,
    /// The template it holds.
    pub template_body: String,
    /// Stack-set-level parameter values.
    pub parameters: BTreeMap<String, String>,
    /// Its capabilities.
    pub capabilities: Vec<String>,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
    /// Its `PermissionModel` (`SELF_MANAGED`, `SERVICE_MANAGED`), when AWS gives one.
    pub permission_model: Option<String>,
}

impl StackSetInfo {
    /// The template it holds, parsed: JSON, or YAML (long-form intrinsic functions only). An
    /// error rather than an empty template: the data-safety checks depend on it.
    pub fn parsed_template(&self) -> Result<serde_json::Value, String> {
        parse_template(&self.template_body)
    }
}

/// A deployed template's text, parsed: JSON, or YAML (long-form intrinsic functions only).
pub fn parse_template(body: &str) -> Result<serde_json::Value, String> {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) => Ok(v),
        Err(json) => match serde_saphyr::from_str::<serde_json::Value>(body) {
            Ok(v) if v.is_object() => Ok(v),
            Ok(_) => Err(format!("neither a JSON object nor a YAML mapping: {json}")),
            Err(yaml) => Err(format!("neither JSON ({json}) nor YAML ({yaml})")),
        },
    }
}

/// A stack instance (one region of a stack set).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InstanceInfo {
    /// The region.
    pub region: String,
    /// The account.
    pub account: String,
    /// `CURRENT`, `OUTDATED` or `INOPERABLE`.
    pub status: InstanceStatus,
    /// `PENDING`, `RUNNING`, `SUCCEEDED`, `FAILED`, `CANCELLED`, `INOPERABLE`…
    pub detailed_status: Option<DetailedStatus>,
    /// Why it is not current.
    pub status_reason: Option<String>,
    /// The id of its stack in `region`, when it has one.
    pub stack_id: Option<String>,
    /// Its parameter overrides (only filled by `describe_stack_instance`).
    pub overrides: BTreeMap<String, String>,
    /// Its drift status after the last completed drift detection: `DRIFTED`, `IN_SYNC`,
    /// `NOT_CHECKED` or `UNKNOWN` (`None` when AWS gives none).
    pub drift_status: Option<String>,
}

/// A resource of a stack that drift detection found MODIFIED or DELETED
/// (`DescribeStackResourceDrifts`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceDrift {
    /// Its logical id.
    pub logical_id: String,
    /// Its physical id, when it has one.
    pub physical_id: Option<String>,
    /// Its CloudFormation type.
    pub resource_type: String,
    /// `MODIFIED` or `DELETED`.
    pub status: String,
    /// The properties that differ (none for a DELETED resource).
    pub differences: Vec<PropertyDifference>,
}

/// One property of a drifted resource (`PropertyDifference`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PropertyDifference {
    /// Where, as a JSON pointer into the resource's properties (`/BillingMode`).
    pub path: String,
    /// The value the template and parameters give.
    pub expected: String,
    /// The value the resource has.
    pub actual: String,
    /// `ADD`, `REMOVE` or `NOT_EQUAL`.
    pub kind: String,
}

/// A stack set operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperationInfo {
    /// Its id.
    pub id: String,
    /// `CREATE`, `UPDATE`, `DELETE`, `DETECT_DRIFT`.
    pub action: String,
    /// Its status.
    pub status: OperationStatus,
    /// Why it ended as it did.
    pub status_reason: Option<String>,
    /// When it started (RFC 3339), if known.
    pub created: Option<String>,
    /// When it started, in seconds since the epoch, if known.
    pub created_secs: Option<i64>,
}

/// What one region did in an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionResult {
    /// The region.
    pub region: String,
    /// The account.
    pub account: String,
    /// `PENDING`, `RUNNING`, `SUCCEEDED`, `FAILED`, `CANCELLED`.
    pub status: RegionStatus,
    /// Why.
    pub reason: Option<String>,
}

/// A stack, as `DescribeStacks` shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StackInfo {
    /// Its id (ARN).
    pub id: String,
    /// Its name.
    pub name: String,
    /// `CREATE_COMPLETE`…
    pub status: StackStatus,
    /// Why.
    pub status_reason: Option<String>,
    /// Its outputs.
    pub outputs: BTreeMap<String, String>,
    /// Its parameter values.
    pub parameters: BTreeMap<String, String>,
}

/// An event of a stack.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StackEvent {
    /// The resource's logical id (the stack's name for stack events).
    pub logical_id: String,
    /// The resource type.
    pub resource_type: String,
    /// `CREATE_FAILED`…
    pub status: ResourceStatus,
    /// Why.
    pub reason: Option<String>,
    /// When, in seconds since the epoch, if known.
    pub time: Option<i64>,
}

impl StackEvent {
    /// Whether this event is a failure.
    pub fn is_failure(&self) -> bool {
        self.status.is_failure()
    }
}

/// Where a template comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateSource {
    /// Sent in the request (`TemplateBody`).
    Body(String),
    /// Uploaded; the URL (`TemplateURL`).
    Url(String),
    /// The template the stack set already holds (`UsePreviousTemplate`): `haplat destroy`
    /// changes only a parameter.
    Previous,
}

/// What a stack set is created or updated with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackSetInput {
    /// The name.
    pub name: String,
    /// The template.
    pub template: TemplateSource,
    /// Stack-set-level parameter values.
    pub parameters: BTreeMap<String, String>,
    /// Capabilities.
    pub capabilities: Vec<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// The administration role's ARN.
    pub admin_role_arn: String,
    /// The execution role's name.
    pub execution_role_name: String,
    /// The permission model and, for a service-managed stack set, its automatic deployment
    /// (the role fields are then not sent: Organizations' service-linked roles are used).
    pub deployment: haplat_core::manifest::Deployment,
}

/// The target ids of instance calls: account ids (self-managed, `Accounts`) or, for a
/// service-managed stack set, organizational unit ids (`DeploymentTargets.OrganizationalUnitIds`).
/// The two never look alike (12 digits; `ou-…`/`r-…`, see [`haplat_core::manifest::is_ou_id`]).
pub fn are_organizational_units(targets: &[String]) -> bool {
    !targets.is_empty() && targets.iter().all(|t| haplat_core::manifest::is_ou_id(t))
}

/// `OperationPreferences`. CloudFormation counts `MaxConcurrentCount` and
/// `FailureToleranceCount` in **accounts per region** (how many accounts of one region at once;
/// how many accounts of one region may fail before the operation stops in that region and the
/// regions after it), not in regions. haplat deploys to one account, so a count of 1 lets a region
/// fail without stopping the operation, and `RegionConcurrencyType` (with `RegionOrder`) decides
/// how regions follow each other.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preferences {
    /// `PARALLEL` or `SEQUENTIAL`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_concurrency: Option<String>,
    /// Accounts at once in each region (haplat has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_concurrent_count: Option<u32>,
    /// Accounts per region that may fail before the operation stops (with one account: 0, no
    /// region may fail; 1 or more, failed regions are tolerated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_tolerance_count: Option<u32>,
    /// The order of regions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub region_order: Vec<String>,
}

impl Preferences {
    /// `SOFT_FAILURE_TOLERANCE` when `MaxConcurrentCount` exceeds `FailureToleranceCount + 1`,
    /// which CloudFormation refuses under its default `STRICT_FAILURE_TOLERANCE`; else none.
    pub fn concurrency_mode(&self) -> Option<&'static str> {
        let max = self.max_concurrent_count?;
        (max > self.failure_tolerance_count.unwrap_or(0) + 1).then_some("SOFT_FAILURE_TOLERANCE")
    }

    /// Whether failed regions are tolerated (an operation can then succeed with some of them
    /// FAILED).
    pub fn tolerates_failures(&self) -> bool {
        self.failure_tolerance_count.unwrap_or(0) > 0
    }
}

/// A plain stack (the bootstrap stack).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackInput {
    /// The name.
    pub name: String,
    /// The template body.
    pub body: String,
    /// Parameter values.
    pub parameters: BTreeMap<String, String>,
    /// Capabilities.
    pub capabilities: Vec<String>,
}

/// A failed call, sorted by what the caller does about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CfnError {
    /// The stack set does not exist.
    #[error("stack set {}does not exist{}", name_of(.name), message_of(.message))]
    StackSetNotFound {
        /// The stack set, when the caller knows it.
        name: Option<String>,
        /// The service's message.
        message: String,
    },
    /// Another operation runs on the stack set (or the request is stale: re-read, retry).
    #[error("another operation is in progress{}{}", .name.as_ref().map(|n| format!(" on stack set {n}")).unwrap_or_default(), message_of(.message))]
    OperationInProgress {
        /// The stack set, when the caller knows it.
        name: Option<String>,
        /// The service's message.
        message: String,
    },
    /// The service asked us to slow down.
    #[error("throttled: {0}")]
    Throttled(String),
    /// No credentials were found.
    #[error(
        "no AWS credentials found ({0}); set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or log in with `aws sso login`"
    )]
    NoCredentials(String),
    /// The credentials were refused (expired token, unknown key).
    #[error("AWS refused the credentials ({code}: {message}); refresh them (e.g. `aws sso login`)")]
    BadCredentials {
        /// The error code.
        code: String,
        /// The message.
        message: String,
    },
    /// The endpoint did not answer.
    #[error("cannot reach {endpoint}: {message}")]
    Unreachable {
        /// The endpoint (or the service and region).
        endpoint: String,
        /// What happened.
        message: String,
    },
    /// Any other error the service returned.
    #[error("{code}: {message}")]
    Service {
        /// The error code.
        code: String,
        /// The message.
        message: String,
    },
}

fn name_of(name: &Option<String>) -> String {
    name.as_ref().map(|n| format!("{n} ")).unwrap_or_default()
}

fn message_of(message: &str) -> String {
    if message.is_empty() { String::new() } else { format!(" ({message})") }
}

impl CfnError {
    /// Names the stack set in an error that concerns one.
    pub fn with_stack(self, stack: &str) -> CfnError {
        match self {
            CfnError::StackSetNotFound { name: None, message } => {
                CfnError::StackSetNotFound { name: Some(stack.to_owned()), message }
            }
            CfnError::OperationInProgress { name: None, message } => {
                CfnError::OperationInProgress { name: Some(stack.to_owned()), message }
            }
            other => other,
        }
    }

    /// Whether AWS could not be used at all (credentials, network): exit code 4.
    pub fn is_access(&self) -> bool {
        matches!(self, CfnError::NoCredentials(_) | CfnError::BadCredentials { .. } | CfnError::Unreachable { .. })
    }

    /// A service error with that code and message.
    pub fn service(code: &str, message: &str) -> CfnError {
        CfnError::Service { code: code.to_owned(), message: message.to_owned() }
    }

    /// Whether this is CloudFormation's "No updates are to be performed".
    pub fn is_no_updates(&self) -> bool {
        matches!(self, CfnError::Service { message, .. } if message.contains("No updates are to be performed"))
    }
}

/// Result of a CloudFormation call.
pub type CfnResult<T> = Result<T, CfnError>;

/// The calls haplat makes. Stack-set calls go to the administration region; calls that take a
/// `region` go to that region.
pub trait CloudFormation: Sync {
    /// The stack set, or `None` if it does not exist (or was deleted).
    fn describe_stack_set(&self, name: &str) -> impl Future<Output = CfnResult<Option<StackSetInfo>>> + Send;
    /// The names of the active stack sets.
    fn list_stack_sets(&self) -> impl Future<Output = CfnResult<Vec<String>>> + Send;
    /// Creates a stack set (no instances; no operation).
    fn create_stack_set(&self, input: &StackSetInput) -> impl Future<Output = CfnResult<()>> + Send;
    /// Updates a stack set as operation `operation_id` (haplat's, so that a retry after a
    /// timeout is the same operation); returns the operation id. With `regions` (and `accounts`), only
    /// the instances there are updated (the others become OUTDATED); with none, every instance.
    fn update_stack_set(
        &self,
        input: &StackSetInput,
        accounts: &[String],
        regions: &[String],
        prefs: &Preferences,
        operation_id: &str,
    ) -> impl Future<Output = CfnResult<String>> + Send;
    /// Deletes an empty stack set.
    fn delete_stack_set(&self, name: &str) -> impl Future<Output = CfnResult<()>> + Send;
    /// The instances of a stack set (without overrides).
    fn list_stack_instances(&self, name: &str) -> impl Future<Output = CfnResult<Vec<InstanceInfo>>> + Send;
    /// One instance, with its overrides.
    fn describe_stack_instance(
        &self,
        name: &str,
        account: &str,
        region: &str,
    ) -> impl Future<Output = CfnResult<InstanceInfo>> + Send;
    /// Creates instances; returns the operation id.
    fn create_stack_instances(
        &self,
        name: &str,
        accounts: &[String],
        regions: &[String],
        overrides: &BTreeMap<String, String>,
        prefs: &Preferences,
        operation_id: &str,
    ) -> impl Future<Output = CfnResult<String>> + Send;
    /// Sets instances' overrides; returns the operation id.
    fn update_stack_instances(
        &self,
        name: &str,
        accounts: &[String],
        regions: &[String],
        overrides: &BTreeMap<String, String>,
        prefs: &Preferences,
        operation_id: &str,
    ) -> impl Future<Output = CfnResult<String>> + Send;
    /// Deletes instances (and their stacks); returns the operation id.
    fn delete_stack_instances(
        &self,
        name: &str,
        accounts: &[String],
        regions: &[String],
        prefs: &Preferences,
        operation_id: &str,
    ) -> impl Future<Output = CfnResult<String>> + Send;
    /// Starts drift detection on every instance of a stack set as operation `operation_id`
    /// (`DetectStackSetDrift`); returns the operation id.
    fn detect_stack_set_drift(
        &self,
        name: &str,
        prefs: &Preferences,
        operation_id: &str,
    ) -> impl Future<Output = CfnResult<String>> + Send;
    /// The resources of the stack `stack_id` in `region` that the last drift detection found
    /// MODIFIED or DELETED (`DescribeStackResourceDrifts`, every page).
    fn stack_resource_drifts(
        &self,
        region: &str,
        stack_id: &str,
    ) -> impl Future<Output = CfnResult<Vec<ResourceDrift>>> + Send;
    /// An operation.
    fn describe_operation(&self, name: &str, id: &str) -> impl Future<Output = CfnResult<OperationInfo>> + Send;
    /// The stack set's operations, newest first.
    fn list_operations(&self, name: &str) -> impl Future<Output = CfnResult<Vec<OperationInfo>>> + Send;
    /// What each region did in an operation.
    fn list_operation_results(&self, name: &str, id: &str)
    -> impl Future<Output = CfnResult<Vec<RegionResult>>> + Send;
    /// The stack of a stack instance, found from the instance's `StackId`.
    fn instance_stack(
        &self,
        stack_set: &str,
        instance: &InstanceInfo,
    ) -> impl Future<Output = CfnResult<Option<StackInfo>>> + Send;
    /// [`CloudFormation::instance_stack`] of an instance in another account, read there with the
    /// credentials of `role_arn` (STS `AssumeRole`, the role [`crate::bindings::READ_ROLE_NAME`]).
    fn instance_stack_as(
        &self,
        stack_set: &str,
        instance: &InstanceInfo,
        role_arn: &str,
    ) -> impl Future<Output = CfnResult<Option<StackInfo>>> + Send;
    /// A stack in a region, or `None`.
    fn describe_stack(&self, region: &str, name: &str) -> impl Future<Output = CfnResult<Option<StackInfo>>> + Send;
    /// A stack's events, newest first.
    fn stack_events(&self, region: &str, stack_id: &str) -> impl Future<Output = CfnResult<Vec<StackEvent>>> + Send;
    /// Creates a plain stack in `region`.
    fn create_stack(&self, region: &str, input: &StackInput) -> impl Future<Output = CfnResult<String>> + Send;
    /// Updates a plain stack; `Ok(false)` when there was nothing to update.
    fn update_stack(&self, region: &str, input: &StackInput) -> impl Future<Output = CfnResult<bool>> + Send;
    /// Whether an IAM role of that name exists in the account (`iam:GetRole`).
    fn role_exists(&self, name: &str) -> impl Future<Output = CfnResult<bool>> + Send;
    /// Uploads a template to the bucket (in `region`); returns its URL.
    fn upload_template(
        &self,
        region: &str,
        bucket: &str,
        key: &str,
        body: &str,
    ) -> impl Future<Output = CfnResult<String>> + Send;
    /// Writes `body` at `key` only when no object is there (`PutObject` with `If-None-Match:
    /// *`, S3 conditional writes); `Ok(false)` when one is (412 Precondition Failed).
    fn put_if_absent(
        &self,
        region: &str,
        bucket: &str,
        key: &str,
        body: &str,
    ) -> impl Future<Output = CfnResult<bool>> + Send;
    /// An object's text, `None` when there is none.
    fn read_object(
        &self,
        region: &str,
        bucket: &str,
        key: &str,
    ) -> impl Future<Output = CfnResult<Option<String>>> + Send;
    /// Deletes an object (nothing when there is none).
    fn delete_object(&self, region: &str, bucket: &str, key: &str) -> impl Future<Output = CfnResult<()>> + Send;
}
