//! [`RoutingControls`] over AWS as signed calls ([`crate::signed`]): Route 53 ARC's recovery
//! control configuration (`DescribeCluster`, in us-west-2) and routing control data plane
//! (`GetRoutingControlState`, `UpdateRoutingControlStates`, on the cluster's own endpoints), and
//! Route 53's `TestDNSAnswer`, with the configuration and error sorting of [`Aws`]. With an
//! endpoint override (an emulator), every call goes there.

use serde_json::json;

use crate::cfn::CfnResult;
use crate::routing::{ClusterEndpoint, RoutingControls};
use crate::sdk::Aws;
use crate::signed::{Call, RECOVERY_CLUSTER, RECOVERY_CONTROL_CONFIG, ROUTE53, encode};

/// The region of the recovery control configuration API ("you must specify the US West (Oregon)
/// Region", <https://docs.aws.amazon.com/recovery-cluster/latest/api/what-is-recovery-control.html>).
pub const CONTROL_CONFIG_REGION: &str = "us-west-2";

impl Aws {
    /// A routing control call on one of the cluster's endpoints.
    async fn on_cluster(
        &self,
        endpoint: &ClusterEndpoint,
        operation: &str,
        input: serde_json::Value,
    ) -> CfnResult<serde_json::Value> {
        let mut call = Call::new(RECOVERY_CLUSTER, &endpoint.region, "POST", "/".into());
        call.url = Some(endpoint.url.clone());
        self.signed.json_call(call, operation, input).await
    }
}

impl RoutingControls for Aws {
    async fn cluster_endpoints(&self, cluster_arn: &str) -> CfnResult<Vec<ClusterEndpoint>> {
        let path = format!("/cluster/{}", encode(cluster_arn));
        let out =
            self.signed.rest_json(RECOVERY_CONTROL_CONFIG, CONTROL_CONFIG_REGION, "GET", path, vec![], None).await?;
        Ok(out["Cluster"]["ClusterEndpoints"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| {
                Some(ClusterEndpoint {
                    region: e["Region"].as_str()?.to_owned(),
                    url: e["Endpoint"].as_str()?.to_owned(),
                })
            })
            .collect())
    }

    async fn routing_control_state(&self, endpoint: &ClusterEndpoint, control_arn: &str) -> CfnResult<bool> {
        let out =
            self.on_cluster(endpoint, "GetRoutingControlState", json!({"RoutingControlArn": control_arn})).await?;
        Ok(out["RoutingControlState"] == "On")
    }

    async fn update_routing_control_states(
        &self,
        endpoint: &ClusterEndpoint,
        changes: &[(String, bool)],
    ) -> CfnResult<()> {
        let entries: Vec<serde_json::Value> = changes
            .iter()
            .map(|(arn, on)| json!({"RoutingControlArn": arn, "RoutingControlState": if *on { "On" } else { "Off" }}))
            .collect();
        self.on_cluster(endpoint, "UpdateRoutingControlStates", json!({"UpdateRoutingControlStateEntries": entries}))
            .await?;
        Ok(())
    }

    async fn test_dns_answer(&self, zone_id: &str, name: &str) -> CfnResult<(Vec<String>, String)> {
        let region = self.global_region();
        let mut call = Call::new(ROUTE53, &region, "GET", "/2013-04-01/testdnsanswer".into());
        call.query = vec![
            ("hostedzoneid".into(), zone_id.trim_start_matches("/hostedzone/").to_owned()),
            ("recordname".into(), name.to_owned()),
            ("recordtype".into(), "A".into()),
        ];
        let out = self.signed.xml(&call).await?;
        let records = out.list(&["RecordData"]).iter().map(|r| r.text.clone()).collect();
        Ok((records, out.text_at(&["ResponseCode"]).unwrap_or_default().to_owned()))
    }
}
