//! The [`RoutingControls`] trait: the Route 53 Application Recovery Controller calls of
//! `haplat failover` and `failback` (the cluster's endpoints, a routing control's state, changing
//! states) and Route 53's `TestDNSAnswer`, over plain types: implemented as signed calls in
//! `sdk_routing`, by a fake in tests. Errors are [`CfnError`]s, sorted like every other call.
//!
//! ARC's routing control data plane is a cluster of five regional endpoints; AWS recommends
//! trying them in turn, since any one of them may be unavailable
//! ([get and update routing control states](https://docs.aws.amazon.com/r53recovery/latest/dg/routing-control.update.api.html)).
//! [`on_any_endpoint`] does that.

use std::future::Future;

use crate::cfn::{CfnError, CfnResult};

/// One of an ARC cluster's endpoints (`DescribeCluster`'s `ClusterEndpoints`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterEndpoint {
    /// The region to sign for.
    pub region: String,
    /// The endpoint's URL.
    pub url: String,
}

/// The ARC and Route 53 calls of a failover with routing controls.
pub trait RoutingControls: Sync {
    /// The cluster's endpoints (the recovery control configuration API, which answers in
    /// us-west-2 only).
    fn cluster_endpoints(&self, cluster_arn: &str) -> impl Future<Output = CfnResult<Vec<ClusterEndpoint>>> + Send;
    /// Whether a routing control is on (`GetRoutingControlState` on one endpoint).
    fn routing_control_state(
        &self,
        endpoint: &ClusterEndpoint,
        control_arn: &str,
    ) -> impl Future<Output = CfnResult<bool>> + Send;
    /// Sets routing controls on or off in one transaction (`UpdateRoutingControlStates` on one
    /// endpoint); the control panel's safety rules are evaluated over the whole change.
    fn update_routing_control_states(
        &self,
        endpoint: &ClusterEndpoint,
        changes: &[(String, bool)],
    ) -> impl Future<Output = CfnResult<()>> + Send;
    /// What Route 53's own name servers answer for `name` (type `A`) in the zone
    /// (`TestDNSAnswer`): the record data, and the response code.
    fn test_dns_answer(
        &self,
        zone_id: &str,
        name: &str,
    ) -> impl Future<Output = CfnResult<(Vec<String>, String)>> + Send;
}

/// Whether an endpoint's failure means "try the next one": it did not answer, said it is
/// temporarily unavailable, or failed inside.
pub fn try_next(e: &CfnError) -> bool {
    match e {
        CfnError::Unreachable { .. } => true,
        CfnError::Service { code, .. } => {
            matches!(code.as_str(), "EndpointTemporarilyUnavailableException" | "InternalServerException")
        }
        _ => false,
    }
}

/// Calls `f` on each endpoint in turn until one answers; the last failure when none does. Any
/// other failure (a safety rule refusing the change, a denied call) is final.
pub async fn on_any_endpoint<'a, T, F, Fut>(
    endpoints: &'a [ClusterEndpoint],
    f: F,
) -> CfnResult<(T, &'a ClusterEndpoint)>
where
    F: Fn(&'a ClusterEndpoint) -> Fut,
    Fut: Future<Output = CfnResult<T>>,
{
    let mut last = CfnError::Service { code: "NoEndpoint".into(), message: "the cluster has no endpoint".into() };
    for e in endpoints {
        match f(e).await {
            Ok(v) => return Ok((v, e)),
            Err(err) if try_next(&err) => last = err,
            Err(err) => return Err(err),
        }
    }
    Err(last)
}

/// For an app without routing controls: every call fails (never made).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoRoutingControls;

impl RoutingControls for NoRoutingControls {
    async fn cluster_endpoints(&self, _: &str) -> CfnResult<Vec<ClusterEndpoint>> {
        Err(CfnError::service("Unsupported", "no Route 53 ARC client was given"))
    }
    async fn routing_control_state(&self, _: &ClusterEndpoint, _: &str) -> CfnResult<bool> {
        Err(CfnError::service("Unsupported", "no Route 53 ARC client was given"))
    }
    async fn update_routing_control_states(&self, _: &ClusterEndpoint, _: &[(String, bool)]) -> CfnResult<()> {
        Err(CfnError::service("Unsupported", "no Route 53 ARC client was given"))
    }
    async fn test_dns_answer(&self, _: &str, _: &str) -> CfnResult<(Vec<String>, String)> {
        Err(CfnError::service("Unsupported", "no Route 53 client was given"))
    }
}
