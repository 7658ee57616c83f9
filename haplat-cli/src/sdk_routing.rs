//! [`RoutingControls`] over the AWS SDK: Route 53 ARC's recovery control configuration
//! (`DescribeCluster`, in us-west-2) and routing control data plane (`GetRoutingControlState`,
//! `UpdateRoutingControlStates`, on the cluster's own endpoints), and Route 53's `TestDNSAnswer`,
//! with the configuration and error sorting of [`Aws`]. With an endpoint override (an emulator),
//! every call goes there.

use aws_config::Region;
use aws_sdk_route53recoverycluster as cluster;
use aws_sdk_route53recoverycontrolconfig as config;

use crate::cfn::{CfnError, CfnResult};
use crate::routing::{ClusterEndpoint, RoutingControls};
use crate::sdk::Aws;

/// The region of the recovery control configuration API ("you must specify the US West (Oregon)
/// Region", <https://docs.aws.amazon.com/recovery-cluster/latest/api/what-is-recovery-control.html>).
pub const CONTROL_CONFIG_REGION: &str = "us-west-2";

impl Aws {
    fn cluster_client(&self, endpoint: &ClusterEndpoint) -> cluster::Client {
        let conf = self.conf_in(&endpoint.region);
        let mut b = cluster::config::Builder::from(&conf).region(Region::new(endpoint.region.clone()));
        if conf.endpoint_url().is_none() {
            b = b.endpoint_url(&endpoint.url);
        }
        cluster::Client::from_conf(b.build())
    }
}

impl RoutingControls for Aws {
    async fn cluster_endpoints(&self, cluster_arn: &str) -> CfnResult<Vec<ClusterEndpoint>> {
        let c = config::Client::new(&self.conf_in(CONTROL_CONFIG_REGION));
        let out = c
            .describe_cluster()
            .cluster_arn(cluster_arn)
            .send()
            .await
            .map_err(|e| self.err(CONTROL_CONFIG_REGION, e))?;
        Ok(out
            .cluster()
            .map(|c| {
                c.cluster_endpoints()
                    .iter()
                    .filter_map(|e| {
                        Some(ClusterEndpoint { region: e.region()?.to_owned(), url: e.endpoint()?.to_owned() })
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn routing_control_state(&self, endpoint: &ClusterEndpoint, control_arn: &str) -> CfnResult<bool> {
        let out = self
            .cluster_client(endpoint)
            .get_routing_control_state()
            .routing_control_arn(control_arn)
            .send()
            .await
            .map_err(|e| self.err(&endpoint.region, e))?;
        Ok(*out.routing_control_state() == cluster::types::RoutingControlState::On)
    }

    async fn update_routing_control_states(
        &self,
        endpoint: &ClusterEndpoint,
        changes: &[(String, bool)],
    ) -> CfnResult<()> {
        let mut call = self.cluster_client(endpoint).update_routing_control_states();
        for (arn, on) in changes {
            let state =
                if *on { cluster::types::RoutingControlState::On } else { cluster::types::RoutingControlState::Off };
            let entry = cluster::types::UpdateRoutingControlStateEntry::builder()
                .routing_control_arn(arn)
                .routing_control_state(state)
                .build()
                .map_err(|e| CfnError::service("InvalidRequest", &e.to_string()))?;
            call = call.update_routing_control_state_entries(entry);
        }
        call.send().await.map(|_| ()).map_err(|e| self.err(&endpoint.region, e))
    }

    async fn test_dns_answer(&self, zone_id: &str, name: &str) -> CfnResult<(Vec<String>, String)> {
        let region = self.global_region();
        let c = aws_sdk_route53::Client::new(&self.conf_in(&region));
        let out = c
            .test_dns_answer()
            .hosted_zone_id(zone_id)
            .record_name(name)
            .record_type(aws_sdk_route53::types::RrType::A)
            .send()
            .await
            .map_err(|e| self.err(&region, e))?;
        Ok((out.record_data().to_vec(), out.response_code().to_owned()))
    }
}
