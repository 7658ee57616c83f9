//! [`Database`] over the AWS SDK: RDS's `DescribeGlobalClusters`, `SwitchoverGlobalCluster`
//! and `FailoverGlobalCluster`, and CloudWatch's `AuroraGlobalDBReplicationLag`, with the
//! configuration, endpoint and error sorting of [`Aws`].

use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types as cw;

use crate::cfn::{CfnError, CfnResult};
use crate::database::{Database, FailoverState, GlobalCluster, GlobalMember, Promotion};
use crate::sdk::Aws;
use crate::signed::{RDS, Xml};

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
            Err(e) => match e {
                CfnError::Service { code, .. } if code == "GlobalClusterNotFoundFault" => Ok(None),
                other => Err(other),
            },
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
        let c = aws_sdk_cloudwatch::Client::new(&self.conf_in(region));
        let now = SystemTime::now();
        let start = now.checked_sub(Duration::from_secs(300)).unwrap_or(SystemTime::UNIX_EPOCH);
        let out = c
            .get_metric_statistics()
            .namespace("AWS/RDS")
            .metric_name("AuroraGlobalDBReplicationLag")
            .dimensions(cw::Dimension::builder().name("DBClusterIdentifier").value(cluster_id).build())
            .start_time(DateTime::from(start))
            .end_time(DateTime::from(now))
            .period(60)
            .statistics(cw::Statistic::Maximum)
            .send()
            .await
            .map_err(|e| self.err(region, e))?;
        let latest = out.datapoints().iter().filter(|d| d.timestamp().is_some()).max_by(|a, b| {
            a.timestamp()
                .map(|t| (t.secs(), t.subsec_nanos()))
                .cmp(&b.timestamp().map(|t| (t.secs(), t.subsec_nanos())))
        });
        Ok(latest.and_then(|d| d.maximum()))
    }
}
