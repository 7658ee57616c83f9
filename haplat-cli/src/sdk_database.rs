//! [`Database`] over AWS as signed calls ([`crate::signed`]): RDS's `DescribeGlobalClusters`,
//! `SwitchoverGlobalCluster` and `FailoverGlobalCluster`, and CloudWatch's
//! `AuroraGlobalDBReplicationLag`, with the configuration, endpoint and error sorting of [`Aws`].

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use crate::cfn::{CfnError, CfnResult};
use crate::database::{Database, FailoverState, GlobalCluster, GlobalMember, Promotion};
use crate::sdk::Aws;
use crate::signed::{CLOUDWATCH, RDS, Xml};

/// A `GlobalCluster` element of RDS's answer.
fn global(g: &Xml) -> GlobalCluster {
    let text = |e: &Xml, name: &str| e.text_at(&[name]).map(str::to_owned);
    GlobalCluster {
        id: text(g, "GlobalClusterIdentifier").unwrap_or_default(),
        status: text(g, "Status").unwrap_or_default(),
        endpoint: text(g, "Endpoint").filter(|e| !e.is_empty()),
        members: g
            .list(&["GlobalClusterMembers"])
            .iter()
            .map(|m| GlobalMember {
                arn: text(m, "DBClusterArn").unwrap_or_default(),
                is_writer: m.bool_at(&["IsWriter"]).unwrap_or(false),
                synchronization: text(m, "SynchronizationStatus"),
                write_forwarding: text(m, "GlobalWriteForwardingStatus"),
            })
            .collect(),
        failover: g.child("FailoverState").and_then(|f| {
            Some(FailoverState {
                status: text(f, "Status")?,
                from_arn: text(f, "FromDbClusterArn"),
                to_arn: text(f, "ToDbClusterArn"),
                data_loss_allowed: f.bool_at(&["IsDataLossAllowed"]).unwrap_or(false),
            })
        }),
    }
}

impl Database for Aws {
    async fn global_cluster(&self, region: &str, id: &str) -> CfnResult<Option<GlobalCluster>> {
        match self.signed.query(RDS, region, "DescribeGlobalClusters", &[("GlobalClusterIdentifier", id)]).await {
            Ok(out) => Ok(out.list(&["DescribeGlobalClustersResult", "GlobalClusters"]).first().map(global)),
            Err(CfnError::Service { code, .. }) if code == "GlobalClusterNotFoundFault" => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn promote(&self, region: &str, id: &str, target_arn: &str, how: Promotion) -> CfnResult<()> {
        let target = [("GlobalClusterIdentifier", id), ("TargetDbClusterIdentifier", target_arn)];
        match how {
            Promotion::Switchover => self.signed.query(RDS, region, "SwitchoverGlobalCluster", &target).await?,
            Promotion::Failover => {
                let params = [&target[..], &[("AllowDataLoss", "true")]].concat();
                self.signed.query(RDS, region, "FailoverGlobalCluster", &params).await?
            }
        };
        Ok(())
    }

    async fn replication_lag_ms(&self, region: &str, cluster_id: &str) -> CfnResult<Option<f64>> {
        let (start, end) = crate::sdk_observe::window(300);
        let params = [
            ("Namespace", "AWS/RDS"),
            ("MetricName", "AuroraGlobalDBReplicationLag"),
            ("Dimensions.member.1.Name", "DBClusterIdentifier"),
            ("Dimensions.member.1.Value", cluster_id),
            ("StartTime", &start),
            ("EndTime", &end),
            ("Period", "60"),
            ("Statistics.member.1", "Maximum"),
        ];
        let out = self.signed.query(CLOUDWATCH, region, "GetMetricStatistics", &params).await?;
        let time =
            |d: &Xml| d.text_at(&["Timestamp"]).and_then(|t| DateTime::from_str(t.trim(), Format::DateTime).ok());
        let latest = out
            .list(&["GetMetricStatisticsResult", "Datapoints"])
            .iter()
            .filter_map(|d| Some((time(d)?, d)))
            .max_by(|(a, _), (b, _)| (a.secs(), a.subsec_nanos()).cmp(&(b.secs(), b.subsec_nanos())));
        Ok(latest.and_then(|(_, d)| d.text_at(&["Maximum"])?.trim().parse().ok()))
    }
}
