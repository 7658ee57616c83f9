//! The [`Database`] trait: the Amazon RDS calls of `haplat db` (an Aurora global database's
//! members as `DescribeGlobalClusters` gives them, `SwitchoverGlobalCluster`,
//! `FailoverGlobalCluster`), over plain types: implemented over the AWS SDK in `sdk_database`, by
//! a fake in tests. Errors are [`CfnError`](crate::cfn::CfnError)s, sorted like every other call.
//!
//! The calls are made in a region: a global cluster answers in every region that holds one of
//! its members, so a command can ask a region that is up when the primary's is not.

use std::future::Future;

use serde::Serialize;

use crate::cfn::CfnResult;

/// One member cluster of a global database (`GlobalClusterMembers`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GlobalMember {
    /// The cluster's ARN (`arn:aws:rds:<region>:<account>:cluster:<id>`).
    pub arn: String,
    /// Whether it is the primary (the writer) of the global database.
    pub is_writer: bool,
    /// `SynchronizationStatus` (`connected`, `pending-resync`), when AWS gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub synchronization: Option<String>,
    /// `GlobalWriteForwardingStatus` (`enabled`, `disabled`…), when AWS gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_forwarding: Option<String>,
}

impl GlobalMember {
    /// The region in the cluster's ARN.
    pub fn region(&self) -> Option<&str> {
        self.arn.split(':').nth(3).filter(|r| !r.is_empty())
    }

    /// The cluster identifier in the ARN (after `:cluster:`).
    pub fn cluster_identifier(&self) -> Option<&str> {
        self.arn.rsplit_once(":cluster:").map(|(_, id)| id)
    }
}

/// A switchover or failover under way (`FailoverState`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailoverState {
    /// `pending`, `failing-over` or `cancelling`.
    pub status: String,
    /// The cluster it moves from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_arn: Option<String>,
    /// The cluster it moves to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_arn: Option<String>,
    /// Whether it is a failover (data loss allowed) rather than a switchover.
    pub data_loss_allowed: bool,
}

/// A global database as `DescribeGlobalClusters` shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GlobalCluster {
    /// Its identifier.
    pub id: String,
    /// `available`, `modifying`, `failing-over`, `switching-over`…
    pub status: String,
    /// The global writer endpoint, when AWS gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Its member clusters.
    pub members: Vec<GlobalMember>,
    /// The switchover or failover under way, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failover: Option<FailoverState>,
}

impl GlobalCluster {
    /// The writer member.
    pub fn writer(&self) -> Option<&GlobalMember> {
        self.members.iter().find(|m| m.is_writer)
    }

    /// The member in a region.
    pub fn member_in(&self, region: &str) -> Option<&GlobalMember> {
        self.members.iter().find(|m| m.region() == Some(region))
    }

    /// Whether nothing is under way: `available` and no failover state.
    pub fn is_settled(&self) -> bool {
        self.status == "available" && self.failover.is_none()
    }
}

/// How the primary moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Promotion {
    /// `SwitchoverGlobalCluster`: planned, the secondaries synchronized first, no data lost.
    Switchover,
    /// `FailoverGlobalCluster` with `AllowDataLoss`: unplanned, what the target has not
    /// replicated yet is lost.
    Failover,
}

impl Promotion {
    /// `switchover` or `failover`.
    pub fn as_str(self) -> &'static str {
        match self {
            Promotion::Switchover => "switchover",
            Promotion::Failover => "failover",
        }
    }
}

/// The RDS calls of `haplat db`, each in the region given.
pub trait Database: Sync {
    /// The global database, or `None` when it does not exist (`GlobalClusterNotFoundFault`).
    fn global_cluster(&self, region: &str, id: &str) -> impl Future<Output = CfnResult<Option<GlobalCluster>>> + Send;
    /// Starts moving the primary to the cluster `target_arn` (`SwitchoverGlobalCluster`, or
    /// `FailoverGlobalCluster` with `AllowDataLoss`).
    fn promote(
        &self,
        region: &str,
        id: &str,
        target_arn: &str,
        how: Promotion,
    ) -> impl Future<Output = CfnResult<()>> + Send;
    /// The cluster's `AuroraGlobalDBReplicationLag` (milliseconds, the last minute's maximum)
    /// from CloudWatch in its region; `None` without a datapoint.
    fn replication_lag_ms(&self, region: &str, cluster_id: &str)
    -> impl Future<Output = CfnResult<Option<f64>>> + Send;
}
