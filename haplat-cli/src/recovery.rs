//! The [`Recovery`] trait: the AWS Backup and DynamoDB calls of `haplat restore-test`, and its
//! sibling [`ClusterRecovery`], the Amazon RDS calls of an Aurora restore test, over plain types
//! (implemented by the AWS SDK in `sdk_recovery`, by a fake in tests). Errors are
//! [`CfnError`](crate::cfn::CfnError)s, sorted like every other call (throttling, credentials, access denied).

use std::collections::BTreeMap;
use std::future::Future;

use crate::cfn::CfnResult;

/// A completed recovery point of a resource in a backup vault
/// (`ListRecoveryPointsByBackupVault`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryPoint {
    /// Its ARN.
    pub arn: String,
    /// When it was created, RFC 3339 in UTC (`2026-12-04T03:00:00Z`: sorts as text).
    pub created: String,
    /// `COMPLETED`, `PARTIAL`, `EXPIRED`…
    pub status: String,
    /// The role that created it (the backup plan's, which may also restore).
    pub iam_role_arn: Option<String>,
}

/// What a restore job is doing (`DescribeRestoreJob`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RestoreStatus {
    /// `PENDING`.
    Pending,
    /// `RUNNING`.
    Running,
    /// `COMPLETED`.
    Completed,
    /// `ABORTED`.
    Aborted,
    /// `FAILED`.
    Failed,
    /// A status this version of haplat does not know.
    Other(String),
}

impl RestoreStatus {
    /// The status AWS names so.
    pub fn parse(s: &str) -> RestoreStatus {
        match s {
            "PENDING" => RestoreStatus::Pending,
            "RUNNING" => RestoreStatus::Running,
            "COMPLETED" => RestoreStatus::Completed,
            "ABORTED" => RestoreStatus::Aborted,
            "FAILED" => RestoreStatus::Failed,
            other => RestoreStatus::Other(other.to_owned()),
        }
    }

    /// Whether the job has ended.
    pub fn is_settled(&self) -> bool {
        matches!(self, RestoreStatus::Completed | RestoreStatus::Aborted | RestoreStatus::Failed)
    }
}

impl std::fmt::Display for RestoreStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RestoreStatus::Pending => "PENDING",
            RestoreStatus::Running => "RUNNING",
            RestoreStatus::Completed => "COMPLETED",
            RestoreStatus::Aborted => "ABORTED",
            RestoreStatus::Failed => "FAILED",
            RestoreStatus::Other(s) => s,
        })
    }
}

/// A restore job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoreJob {
    /// Its status.
    pub status: RestoreStatus,
    /// Why, when AWS says (a failure's message).
    pub message: Option<String>,
    /// The ARN of what it created, once known.
    pub created_resource_arn: Option<String>,
}

/// What `StartRestoreJob` is asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoreRequest {
    /// The recovery point.
    pub recovery_point_arn: String,
    /// The role AWS Backup restores with.
    pub iam_role_arn: String,
    /// The restore metadata (the recovery point's, with `targetTableName`).
    pub metadata: BTreeMap<String, String>,
    /// So that a retried call starts one job.
    pub idempotency_token: String,
    /// AWS Backup's resource type: `DynamoDB` or `Aurora`.
    pub resource_type: String,
}

/// A DynamoDB table as `DescribeTable` shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TableInfo {
    /// Its ARN.
    pub arn: String,
    /// `CREATING`, `ACTIVE`, `DELETING`…
    pub status: String,
    /// Its item count (DynamoDB refreshes it about every six hours).
    pub item_count: i64,
    /// Its key: (attribute, `HASH` or `RANGE`), in order.
    pub key_schema: Vec<(String, String)>,
}

/// The calls of `haplat restore-test`, each in the region given.
pub trait Recovery: Sync {
    /// The physical id of `logical_id` in the stack of stack set `stack_set` in `region` (a
    /// table's name), or `None` when the stack or resource does not exist.
    fn stack_resource(
        &self,
        stack_set: &str,
        region: &str,
        logical_id: &str,
    ) -> impl Future<Output = CfnResult<Option<String>>> + Send;
    /// The recovery points of `resource_arn` in `vault`, newest first.
    fn recovery_points(
        &self,
        region: &str,
        vault: &str,
        resource_arn: &str,
    ) -> impl Future<Output = CfnResult<Vec<RecoveryPoint>>> + Send;
    /// The metadata of the resource at backup time (`GetRecoveryPointRestoreMetadata`).
    fn restore_metadata(
        &self,
        region: &str,
        vault: &str,
        recovery_point_arn: &str,
    ) -> impl Future<Output = CfnResult<BTreeMap<String, String>>> + Send;
    /// Starts a restore job; returns its id.
    fn start_restore(&self, region: &str, request: &RestoreRequest) -> impl Future<Output = CfnResult<String>> + Send;
    /// A restore job.
    fn restore_job(&self, region: &str, job_id: &str) -> impl Future<Output = CfnResult<RestoreJob>> + Send;
    /// A table, or `None` when it does not exist.
    fn table(&self, region: &str, name: &str) -> impl Future<Output = CfnResult<Option<TableInfo>>> + Send;
    /// Deletes a table.
    fn delete_table(&self, region: &str, name: &str) -> impl Future<Output = CfnResult<()>> + Send;
    /// Whether a table holds at least one item: a `Scan` of one item, consistent, counting only.
    fn has_items(&self, region: &str, name: &str) -> impl Future<Output = CfnResult<bool>> + Send;
}

/// An Aurora DB cluster as `DescribeDBClusters` shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterInfo {
    /// Its identifier.
    pub id: String,
    /// Its ARN (what AWS Backup's recovery points name).
    pub arn: String,
    /// `creating`, `available`, `deleting`…
    pub status: String,
    /// `aurora-postgresql`, `aurora-mysql`.
    pub engine: String,
    /// The engine version (`17.7`).
    pub engine_version: String,
    /// Whether deletion protection is on.
    pub deletion_protection: bool,
    /// Its DB subnet group, when AWS gives it.
    pub subnet_group: Option<String>,
    /// Its VPC security groups.
    pub security_groups: Vec<String>,
    /// Its DB instances' identifiers (writer first).
    pub members: Vec<String>,
}

/// A DB instance as `DescribeDBInstances` shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceInfo {
    /// Its identifier.
    pub id: String,
    /// `creating`, `available`, `failed`, `deleting`…
    pub status: String,
    /// Its class (`db.serverless`, `db.r6g.large`).
    pub class: String,
}

/// What `CreateDBInstance` is asked: an instance in a cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceRequest {
    /// The instance's identifier.
    pub instance_id: String,
    /// The cluster it joins.
    pub cluster_id: String,
    /// Its class.
    pub class: String,
    /// The cluster's engine.
    pub engine: String,
}

/// The RDS calls of an Aurora restore test, each in the region given (beside [`Recovery`]'s AWS
/// Backup calls).
pub trait ClusterRecovery: Recovery {
    /// A DB cluster, or `None` when it does not exist (`DBClusterNotFoundFault`).
    fn cluster(&self, region: &str, id: &str) -> impl Future<Output = CfnResult<Option<ClusterInfo>>> + Send;
    /// A DB instance, or `None` when it does not exist (`DBInstanceNotFound`).
    fn instance(&self, region: &str, id: &str) -> impl Future<Output = CfnResult<Option<InstanceInfo>>> + Send;
    /// Creates a DB instance in a cluster (`CreateDBInstance`).
    fn create_instance(&self, region: &str, request: &InstanceRequest) -> impl Future<Output = CfnResult<()>> + Send;
    /// Turns a cluster's deletion protection off, at once (`ModifyDBCluster`).
    fn unprotect_cluster(&self, region: &str, id: &str) -> impl Future<Output = CfnResult<()>> + Send;
    /// Deletes a DB instance (`DeleteDBInstance`).
    fn delete_instance(&self, region: &str, id: &str) -> impl Future<Output = CfnResult<()>> + Send;
    /// Deletes a DB cluster with no final snapshot (`DeleteDBCluster`, `SkipFinalSnapshot`).
    fn delete_cluster(&self, region: &str, id: &str) -> impl Future<Output = CfnResult<()>> + Send;
}
