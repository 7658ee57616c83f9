//! Why running a plan stopped, as data: [`ExecError`] (a call, an operation, a timeout, a
//! refusal, a binding), [`OperationFailure`] with each failed region's reason and failed
//! resources, and [`DeployFailure`]: what was done, what failed and what never started. Each
//! has a `Display` that says it in words. A plain stack (the bootstrap stack) that ends badly
//! is a [`StackFailure`]. Uses only the plain types of [`crate::cfn`].

use std::fmt;
use std::time::Duration;

use crate::cfn::{CfnError, OperationStatus, RegionStatus, StackEvent, StackStatus};

/// Why execution stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// A call failed for good.
    #[error("{stack}: {what}: {source}")]
    Call {
        /// The stack set.
        stack: String,
        /// The call.
        what: String,
        /// The error.
        #[source]
        source: CfnError,
    },
    /// An operation ended FAILED or STOPPED (or SUCCEEDED with regions failed, untolerated).
    #[error("{0}")]
    Operation(Box<OperationFailure>),
    /// An operation did not end in time.
    #[error(
        "{stack}: operation {id} ({action}) is still {status} after {waited:?}; it keeps running in CloudFormation: check `haplat status`"
    )]
    Timeout {
        /// The stack set.
        stack: String,
        /// The operation.
        id: String,
        /// What it does.
        action: String,
        /// Its last status.
        status: OperationStatus,
        /// How long haplat waited.
        waited: Duration,
    },
    /// More than one stack set of a wave failed.
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Several(Vec<ExecError>),
    /// Progressive rollout: the first stage's bake failed; the other stages were not touched.
    #[error("{stack}: rollout stopped after {region}: {why}; left as they were: {}", untouched.join("; "))]
    RolloutStopped {
        /// The stack set.
        stack: String,
        /// The first stage's region (`us-west-2`, or `us-west-2 of account …`), deployed.
        region: String,
        /// What the bake saw.
        why: String,
        /// The stages not deployed.
        untouched: Vec<String>,
    },
    /// haplat refuses to go on (nothing of this stack set was changed).
    #[error("{stack}: {message}")]
    Refused {
        /// The stack set.
        stack: String,
        /// Why.
        message: String,
    },
    /// A parameter bound to another stack's output cannot be read.
    #[error(
        "{stack}: parameter {parameter} in {region} takes output {output} of stack set {producer} in {producer_region} (from {source_path}), but {problem}"
    )]
    Binding {
        /// The consumer.
        stack: String,
        /// Its parameter.
        parameter: String,
        /// The consumer's region.
        region: String,
        /// The producer.
        producer: String,
        /// Its output.
        output: String,
        /// The producer's region.
        producer_region: String,
        /// The construct path of the value.
        source_path: String,
        /// What is wrong.
        problem: String,
    },
}

impl ExecError {
    /// Whether AWS could not be used at all.
    pub fn is_access(&self) -> bool {
        match self {
            ExecError::Call { source, .. } => source.is_access(),
            ExecError::Several(all) => all.iter().any(ExecError::is_access),
            _ => false,
        }
    }

    /// The first call that failed for want of AWS access: (stack set, call, error).
    pub fn first_access(&self) -> Option<(&str, &str, &CfnError)> {
        match self {
            ExecError::Call { stack, what, source } if source.is_access() => Some((stack, what, source)),
            ExecError::Several(all) => all.iter().find_map(ExecError::first_access),
            _ => None,
        }
    }

    /// The failed operations, each with its failed regions, their reasons and their failed
    /// resources.
    pub fn operation_failures(&self) -> Vec<&OperationFailure> {
        match self {
            ExecError::Operation(f) => vec![f],
            ExecError::Several(all) => all.iter().flat_map(ExecError::operation_failures).collect(),
            _ => Vec::new(),
        }
    }

    /// Whether a progressive rollout stopped on a failed bake (alone or among a wave's failures).
    pub fn is_rollout_stopped(&self) -> bool {
        match self {
            ExecError::RolloutStopped { .. } => true,
            ExecError::Several(all) => all.iter().any(ExecError::is_rollout_stopped),
            _ => false,
        }
    }

    /// The stack sets that failed.
    pub fn stacks(&self) -> Vec<&str> {
        match self {
            ExecError::Call { stack, .. }
            | ExecError::Timeout { stack, .. }
            | ExecError::Binding { stack, .. }
            | ExecError::Refused { stack, .. }
            | ExecError::RolloutStopped { stack, .. } => {
                vec![stack.as_str()]
            }
            ExecError::Operation(f) => vec![f.stack.as_str()],
            ExecError::Several(all) => all.iter().flat_map(ExecError::stacks).collect(),
        }
    }
}

/// Why a producer's outputs cannot be read.
#[derive(Debug)]
pub enum OutputError {
    /// Not deployed there, not CURRENT, no stack: said in the binding error.
    Problem(String),
    /// A call failed (kept typed: an access error stays one).
    Exec(ExecError),
}

/// A failed operation, with what each failed region says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationFailure {
    /// The stack set.
    pub stack: String,
    /// The operation.
    pub id: String,
    /// What it did.
    pub action: String,
    /// FAILED or STOPPED (or SUCCEEDED, with regions failed).
    pub status: OperationStatus,
    /// The operation's status reason.
    pub reason: Option<String>,
    /// The regions that failed.
    pub regions: Vec<RegionFailure>,
}

/// One failed region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionFailure {
    /// The region.
    pub region: String,
    /// Its status in the operation.
    pub status: RegionStatus,
    /// Why.
    pub reason: Option<String>,
    /// The failed events of its stack, newest first.
    pub events: Vec<StackEvent>,
}

impl fmt::Display for OperationFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} (operation {}) {}", self.stack, self.action, self.id, self.status)?;
        if let Some(r) = &self.reason {
            write!(f, ": {r}")?;
        }
        for r in &self.regions {
            write!(f, "\n  {} {}", r.region, r.status)?;
            if let Some(reason) = &r.reason {
                write!(f, ": {reason}")?;
            }
            for e in &r.events {
                write!(f, "\n    {} {} {}", e.logical_id, e.resource_type, e.status)?;
                if let Some(reason) = &e.reason {
                    write!(f, ": {reason}")?;
                }
                if let Some(hint) = network_in_use_hint(e, &r.region) {
                    write!(f, "\n      {hint}")?;
                }
            }
            if r.events.is_empty() && r.status == RegionStatus::Failed {
                f.write_str("\n    (the region's stack reports no failed resource events)")?;
            }
        }
        Ok(())
    }
}

/// What to look for when the delete of a VPC, subnet or security group fails because something
/// still uses it (EC2's `DependencyViolation`): network interfaces the stack did not create. The
/// usual one is GuardDuty Runtime Monitoring's automated agent for Fargate, which adds a VPC
/// endpoint and a security group to every VPC with an ECS cluster (docs/aws-review.md, finding 6).
fn network_in_use_hint(e: &StackEvent, region: &str) -> Option<String> {
    let network = matches!(e.resource_type.as_str(), "AWS::EC2::VPC" | "AWS::EC2::Subnet" | "AWS::EC2::SecurityGroup");
    let reason = e.reason.as_deref().unwrap_or_default();
    let in_use = reason.contains("DependencyViolation") || reason.contains("has dependencies");
    if !(e.status.as_str() == "DELETE_FAILED" && network && in_use) {
        return None;
    }
    Some(format!(
        "something the stack did not create still uses it: list the VPC's endpoints and network interfaces \
         (`aws ec2 describe-vpc-endpoints --region {region} --filters Name=vpc-id,Values=VPC_ID`); GuardDuty Runtime \
         Monitoring adds a `com.amazonaws.{region}.guardduty-data` endpoint and a GuardDutyManagedSecurityGroup to \
         every VPC with an ECS cluster. Delete those (`aws ec2 delete-vpc-endpoints`, then the security group), \
         then run `haplat destroy` again"
    ))
}

/// One thing a deploy or destroy completed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Done {
    /// The stack set.
    pub stack: String,
    /// What was done: `stack set created`, `instances updated in eu-west-1`, `unchanged`…
    pub what: String,
}

impl Done {
    /// `what` was done to stack set `stack`.
    pub fn new(stack: &str, what: impl Into<String>) -> Done {
        Done { stack: stack.to_owned(), what: what.into() }
    }
}

impl fmt::Display for Done {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.stack, self.what)
    }
}

/// A deploy (or destroy, or the reads of a diff) that failed part-way: what was done before
/// the failure, what failed (the stack sets, with their regions, resources and reasons), and
/// the stack sets that were never started.
#[derive(Debug)]
pub struct DeployFailure {
    /// The command: `deploy`, `destroy`, `diff`.
    pub verb: String,
    /// What failed.
    pub failed: ExecError,
    /// What was completed before, in order.
    pub done: Vec<Done>,
    /// The stack sets of the plan that were neither touched nor failed.
    pub not_started: Vec<String>,
}

impl DeployFailure {
    /// The failure of `verb` over the stack sets `all` (in plan order), given what was done.
    pub fn new(verb: &str, failed: ExecError, done: Vec<Done>, all: &[String]) -> DeployFailure {
        let failed_stacks = failed.stacks();
        let not_started = all
            .iter()
            .filter(|s| !done.iter().any(|d| &d.stack == *s) && !failed_stacks.contains(&s.as_str()))
            .cloned()
            .collect();
        DeployFailure { verb: verb.to_owned(), failed, done, not_started }
    }
}

impl fmt::Display for DeployFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: {}", self.verb, self.failed)?;
        if self.done.is_empty() {
            f.write_str("\nnothing was changed before the failure")?;
        } else {
            f.write_str("\ndone before the failure:")?;
            for d in &self.done {
                write!(f, "\n  {d}")?;
            }
        }
        if !self.not_started.is_empty() {
            write!(f, "\nnot started: {}", self.not_started.join(", "))?;
        }
        f.write_str("\nrun `haplat status` to see every instance")
    }
}

impl std::error::Error for DeployFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.failed)
    }
}

/// A plain stack (the bootstrap stack) whose create or update ended in another status than
/// `CREATE_COMPLETE` or `UPDATE_COMPLETE`: the status, its reason and the failed resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackFailure {
    /// The stack.
    pub stack: String,
    /// Its region.
    pub region: String,
    /// The status it ended in.
    pub status: StackStatus,
    /// The stack's status reason.
    pub reason: Option<String>,
    /// Its failed resource events, newest first.
    pub events: Vec<StackEvent>,
}

impl fmt::Display for StackFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stack {} in {} ended {}", self.stack, self.region, self.status)?;
        if let Some(r) = &self.reason {
            write!(f, ": {r}")?;
        }
        for e in &self.events {
            write!(f, "\n  {} {} {}: {}", e.logical_id, e.resource_type, e.status, e.reason.as_deref().unwrap_or(""))?;
        }
        Ok(())
    }
}

impl std::error::Error for StackFailure {}

#[cfg(test)]
mod tests {
    use super::*;

    fn region_failure() -> ExecError {
        ExecError::Operation(Box::new(OperationFailure {
            stack: "Network".into(),
            id: "op-1".into(),
            action: "create stack instances".into(),
            status: OperationStatus::Failed,
            reason: Some("too many regions failed".into()),
            regions: vec![
                RegionFailure {
                    region: "us-east-1".into(),
                    status: RegionStatus::Failed,
                    reason: Some("ResourceLogicalId:Vpc".into()),
                    events: vec![StackEvent {
                        logical_id: "Vpc".into(),
                        resource_type: "AWS::EC2::VPC".into(),
                        status: "CREATE_FAILED".into(),
                        reason: Some("The CIDR conflicts".into()),
                        time: None,
                    }],
                },
                RegionFailure {
                    region: "eu-west-1".into(),
                    status: RegionStatus::Failed,
                    reason: None,
                    events: vec![],
                },
                RegionFailure {
                    region: "us-west-2".into(),
                    status: RegionStatus::Cancelled,
                    reason: None,
                    events: vec![],
                },
            ],
        }))
    }

    #[test]
    fn an_operation_failure_names_each_region_its_reason_and_failed_resources() {
        assert_eq!(
            region_failure().to_string(),
            "Network: create stack instances (operation op-1) FAILED: too many regions failed\n  \
             us-east-1 FAILED: ResourceLogicalId:Vpc\n    Vpc AWS::EC2::VPC CREATE_FAILED: The CIDR conflicts\n  \
             eu-west-1 FAILED\n    (the region's stack reports no failed resource events)\n  \
             us-west-2 CANCELLED"
        );
    }

    #[test]
    fn a_network_delete_blocked_by_an_outside_dependency_says_what_to_look_for() {
        let failure = OperationFailure {
            stack: "Api".into(),
            id: "op-2".into(),
            action: "delete stack instances".into(),
            status: OperationStatus::Failed,
            reason: None,
            regions: vec![RegionFailure {
                region: "eu-west-1".into(),
                status: RegionStatus::Failed,
                reason: None,
                events: vec![StackEvent {
                    logical_id: "NetworkPrivateSubnet1".into(),
                    resource_type: "AWS::EC2::Subnet".into(),
                    status: "DELETE_FAILED".into(),
                    reason: Some(
                        "The subnet 'subnet-1' has dependencies and cannot be deleted. (Service: Ec2, Status Code: \
                         400, Error Code: DependencyViolation)"
                            .into(),
                    ),
                    time: None,
                }],
            }],
        };
        let text = failure.to_string();
        assert!(text.contains("com.amazonaws.eu-west-1.guardduty-data"), "{text}");
        assert!(text.contains("then run `haplat destroy` again"), "{text}");
        // Any other failure keeps its line alone.
        assert!(!region_failure().to_string().contains("guardduty"));
    }

    #[test]
    fn a_deploy_failure_says_what_was_done_what_failed_and_what_never_started() {
        let all = ["Data".to_string(), "Network".into(), "App".into()];
        let f = DeployFailure::new("deploy", region_failure(), vec![Done::new("Data", "stack set created")], &all);
        assert_eq!(f.not_started, ["App"]);
        let failed = f.failed.operation_failures();
        let regions: Vec<(&str, &RegionStatus)> =
            failed[0].regions.iter().map(|r| (r.region.as_str(), &r.status)).collect();
        assert_eq!(
            regions,
            [
                ("us-east-1", &RegionStatus::Failed),
                ("eu-west-1", &RegionStatus::Failed),
                ("us-west-2", &RegionStatus::Cancelled)
            ]
        );
        assert_eq!(failed[0].regions[0].events[0].logical_id, "Vpc");
        let text = f.to_string();
        assert!(text.starts_with("deploy failed: Network: create stack instances (operation op-1) FAILED"), "{text}");
        assert!(
            text.ends_with(
                "\ndone before the failure:\n  Data: stack set created\nnot started: App\nrun `haplat status` to see every instance"
            ),
            "{text}"
        );
        let f = DeployFailure::new("destroy", region_failure(), vec![], &[]);
        assert!(
            f.to_string()
                .ends_with("\nnothing was changed before the failure\nrun `haplat status` to see every instance")
        );
    }

    #[test]
    fn a_stack_failure_names_its_status_reason_and_failed_resources() {
        let f = StackFailure {
            stack: "HaplatBootstrap".into(),
            region: "eu-west-1".into(),
            status: StackStatus::RollbackComplete,
            reason: Some("The following resource(s) failed to create: [TemplateBucket]".into()),
            events: vec![StackEvent {
                logical_id: "TemplateBucket".into(),
                resource_type: "AWS::S3::Bucket".into(),
                status: "CREATE_FAILED".into(),
                reason: None,
                time: None,
            }],
        };
        assert_eq!(
            f.to_string(),
            "stack HaplatBootstrap in eu-west-1 ended ROLLBACK_COMPLETE: The following resource(s) failed to create: \
             [TemplateBucket]\n  TemplateBucket AWS::S3::Bucket CREATE_FAILED: "
        );
    }
}
