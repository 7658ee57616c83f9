//! [`Database`] over the AWS SDK: RDS's `DescribeGlobalClusters`, `SwitchoverGlobalCluster`
//! and `FailoverGlobalCluster`, and CloudWatch's `AuroraGlobalDBReplicationLag`, with the
//! configuration, endpoint and error sorting of [`Aws`].

use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types as cw;
use aws_sdk_rds as rds;

use crate::cfn::{CfnError, CfnResult};
use crate::database::{Database, FailoverState, GlobalCluster, GlobalMember, Promotion};
use crate::sdk::Aws;

fn global(g: &rds::types::GlobalCluster) -> GlobalCluster {
    GlobalCluster {
        id: g.global_cluster_identifier().unwrap_or_default().to_owned(),
        status: g.status().unwrap_or_default().to_owned(),
        endpoint: g.endpoint().filter(|e| !e.is_empty()).map(str::to_owned),
        members: g
            .global_cluster_members()
            .iter()
            .map(|m| GlobalMember {
                arn: m.db_cluster_arn().unwrap_or_default().to_owned(),
                is_writer: m.is_writer().unwrap_or(false),
                synchronization: m.synchronization_status().map(|s| s.as_str().to_owned()),
                write_forwarding: m.global_write_forwarding_status().map(|s| s.as_str().to_owned()),
            })
            .collect(),
        failover: g.failover_state().and_then(|f| {
            Some(FailoverState {
                status: f.status()?.as_str().to_owned(),
                from_arn: f.from_db_cluster_arn().map(str::to_owned),
                to_arn: f.to_db_cluster_arn().map(str::to_owned),
                data_loss_allowed: f.is_data_loss_allowed().unwrap_or(false),
            })
        }),
    }
}

impl Database for Aws {
    async fn global_cluster(&self, region: &str, id: &str) -> CfnResult<Option<GlobalCluster>> {
        let c = rds::Client::new(&self.conf_in(region));
        match c.describe_global_clusters().global_cluster_identifier(id).send().await {
            Ok(out) => Ok(out.global_clusters().first().map(global)),
            Err(e) => match self.err(region, e) {
                CfnError::Service { code, .. } if code == "GlobalClusterNotFoundFault" => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn promote(&self, region: &str, id: &str, target_arn: &str, how: Promotion) -> CfnResult<()> {
        let c = rds::Client::new(&self.conf_in(region));
        match how {
            Promotion::Switchover => c
                .switchover_global_cluster()
                .global_cluster_identifier(id)
                .target_db_cluster_identifier(target_arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.err(region, e)),
            Promotion::Failover => c
                .failover_global_cluster()
                .global_cluster_identifier(id)
                .target_db_cluster_identifier(target_arn)
                .allow_data_loss(true)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.err(region, e)),
        }
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
