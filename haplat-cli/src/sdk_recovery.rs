//! [`Recovery`] over the AWS SDK: AWS Backup (recovery points, restore jobs), DynamoDB
//! (`DescribeTable`, `DeleteTable`) and CloudFormation (`DescribeStackResource`); and
//! [`ClusterRecovery`] over Amazon RDS (`DescribeDBClusters`, `DescribeDBInstances`,
//! `CreateDBInstance`, `ModifyDBCluster`, `DeleteDBInstance`, `DeleteDBCluster`); with the
//! configuration, endpoint and error sorting of [`Aws`].

use std::collections::{BTreeMap, HashMap};

use aws_sdk_backup as backup;
use aws_sdk_dynamodb as dynamodb;
use aws_sdk_rds as rds;

use crate::cfn::{CfnError, CfnResult, CloudFormation};
use crate::recovery::{
    ClusterInfo, ClusterRecovery, InstanceInfo, InstanceRequest, Recovery, RecoveryPoint, RestoreJob, RestoreRequest,
    RestoreStatus, TableInfo,
};
use crate::sdk::Aws;

impl Recovery for Aws {
    async fn stack_resource(&self, stack_set: &str, region: &str, logical_id: &str) -> CfnResult<Option<String>> {
        let instances = self.list_stack_instances(stack_set).await?;
        let Some(instance) = instances.into_iter().find(|i| i.region == region) else { return Ok(None) };
        let Some(stack) = self.instance_stack(stack_set, &instance).await? else { return Ok(None) };
        match self
            .client(region)
            .describe_stack_resource()
            .stack_name(&stack.id)
            .logical_resource_id(logical_id)
            .send()
            .await
        {
            Ok(out) => Ok(out.stack_resource_detail().and_then(|d| d.physical_resource_id()).map(str::to_owned)),
            Err(e) => match self.err(region, e) {
                CfnError::Service { code, message }
                    if code == "ValidationError" && message.contains("does not exist") =>
                {
                    Ok(None)
                }
                other => Err(other),
            },
        }
    }

    async fn recovery_points(&self, region: &str, vault: &str, resource_arn: &str) -> CfnResult<Vec<RecoveryPoint>> {
        let c = backup::Client::new(&self.conf_in(region));
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            crate::sdk::next_page(&mut pages, "ListRecoveryPointsByBackupVault")?;
            let page = c
                .list_recovery_points_by_backup_vault()
                .backup_vault_name(vault)
                .by_resource_arn(resource_arn)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| self.err(region, e))?;
            for p in page.recovery_points() {
                out.push(RecoveryPoint {
                    arn: p.recovery_point_arn().unwrap_or_default().to_owned(),
                    created: p
                        .creation_date()
                        .and_then(|d| d.fmt(backup::primitives::DateTimeFormat::DateTime).ok())
                        .unwrap_or_default(),
                    status: p.status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                    iam_role_arn: p.iam_role_arn().map(str::to_owned),
                });
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        out.sort_by(|a, b| b.created.cmp(&a.created));
        Ok(out)
    }

    async fn restore_metadata(&self, region: &str, vault: &str, arn: &str) -> CfnResult<BTreeMap<String, String>> {
        let c = backup::Client::new(&self.conf_in(region));
        let out = c
            .get_recovery_point_restore_metadata()
            .backup_vault_name(vault)
            .recovery_point_arn(arn)
            .send()
            .await
            .map_err(|e| self.err(region, e))?;
        Ok(out.restore_metadata().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default())
    }

    async fn start_restore(&self, region: &str, request: &RestoreRequest) -> CfnResult<String> {
        let c = backup::Client::new(&self.conf_in(region));
        let metadata: HashMap<String, String> = request.metadata.clone().into_iter().collect();
        let out = c
            .start_restore_job()
            .recovery_point_arn(&request.recovery_point_arn)
            .iam_role_arn(&request.iam_role_arn)
            .set_metadata(Some(metadata))
            .idempotency_token(&request.idempotency_token)
            .resource_type(&request.resource_type)
            .send()
            .await
            .map_err(|e| self.err(region, e))?;
        out.restore_job_id()
            .map(str::to_owned)
            .ok_or_else(|| CfnError::service("InvalidResponse", "StartRestoreJob answered no job id"))
    }

    async fn restore_job(&self, region: &str, job_id: &str) -> CfnResult<RestoreJob> {
        let c = backup::Client::new(&self.conf_in(region));
        let out = c.describe_restore_job().restore_job_id(job_id).send().await.map_err(|e| self.err(region, e))?;
        Ok(RestoreJob {
            status: RestoreStatus::parse(out.status().map(|s| s.as_str()).unwrap_or("PENDING")),
            message: out.status_message().filter(|m| !m.is_empty()).map(str::to_owned),
            created_resource_arn: out.created_resource_arn().map(str::to_owned),
        })
    }

    async fn table(&self, region: &str, name: &str) -> CfnResult<Option<TableInfo>> {
        let c = dynamodb::Client::new(&self.conf_in(region));
        match c.describe_table().table_name(name).send().await {
            Ok(out) => Ok(out.table().map(|t| TableInfo {
                arn: t.table_arn().unwrap_or_default().to_owned(),
                status: t.table_status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                item_count: t.item_count().unwrap_or(0),
                key_schema: t
                    .key_schema()
                    .iter()
                    .map(|k| (k.attribute_name().to_owned(), k.key_type().as_str().to_owned()))
                    .collect(),
            })),
            Err(e) => match self.err(region, e) {
                CfnError::Service { code, .. } if code == "ResourceNotFoundException" => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn delete_table(&self, region: &str, name: &str) -> CfnResult<()> {
        let c = dynamodb::Client::new(&self.conf_in(region));
        c.delete_table().table_name(name).send().await.map_err(|e| self.err(region, e))?;
        Ok(())
    }

    async fn has_items(&self, region: &str, name: &str) -> CfnResult<bool> {
        let c = dynamodb::Client::new(&self.conf_in(region));
        let out = c
            .scan()
            .table_name(name)
            .limit(1)
            .consistent_read(true)
            .select(dynamodb::types::Select::Count)
            .send()
            .await
            .map_err(|e| self.err(region, e))?;
        Ok(out.count() > 0)
    }
}

fn cluster_info(c: &rds::types::DbCluster) -> ClusterInfo {
    let mut members: Vec<(bool, String)> = c
        .db_cluster_members()
        .iter()
        .filter_map(|m| Some((!m.is_cluster_writer().unwrap_or(false), m.db_instance_identifier()?.to_owned())))
        .collect();
    // The writer first.
    members.sort();
    ClusterInfo {
        id: c.db_cluster_identifier().unwrap_or_default().to_owned(),
        arn: c.db_cluster_arn().unwrap_or_default().to_owned(),
        status: c.status().unwrap_or_default().to_owned(),
        engine: c.engine().unwrap_or_default().to_owned(),
        engine_version: c.engine_version().unwrap_or_default().to_owned(),
        deletion_protection: c.deletion_protection().unwrap_or(false),
        subnet_group: c.db_subnet_group().filter(|g| !g.is_empty()).map(str::to_owned),
        security_groups: c
            .vpc_security_groups()
            .iter()
            .filter_map(|g| g.vpc_security_group_id().map(str::to_owned))
            .collect(),
        members: members.into_iter().map(|(_, id)| id).collect(),
    }
}

impl ClusterRecovery for Aws {
    async fn cluster(&self, region: &str, id: &str) -> CfnResult<Option<ClusterInfo>> {
        let c = rds::Client::new(&self.conf_in(region));
        match c.describe_db_clusters().db_cluster_identifier(id).send().await {
            Ok(out) => Ok(out.db_clusters().first().map(cluster_info)),
            Err(e) => match self.err(region, e) {
                CfnError::Service { code, .. } if code == "DBClusterNotFoundFault" => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn instance(&self, region: &str, id: &str) -> CfnResult<Option<InstanceInfo>> {
        let c = rds::Client::new(&self.conf_in(region));
        match c.describe_db_instances().db_instance_identifier(id).send().await {
            Ok(out) => Ok(out.db_instances().first().map(|i| InstanceInfo {
                id: i.db_instance_identifier().unwrap_or_default().to_owned(),
                status: i.db_instance_status().unwrap_or_default().to_owned(),
                class: i.db_instance_class().unwrap_or_default().to_owned(),
            })),
            Err(e) => match self.err(region, e) {
                CfnError::Service { code, .. } if code == "DBInstanceNotFound" => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn create_instance(&self, region: &str, request: &InstanceRequest) -> CfnResult<()> {
        let c = rds::Client::new(&self.conf_in(region));
        c.create_db_instance()
            .db_instance_identifier(&request.instance_id)
            .db_cluster_identifier(&request.cluster_id)
            .db_instance_class(&request.class)
            .engine(&request.engine)
            .send()
            .await
            .map_err(|e| self.err(region, e))?;
        Ok(())
    }

    async fn unprotect_cluster(&self, region: &str, id: &str) -> CfnResult<()> {
        let c = rds::Client::new(&self.conf_in(region));
        c.modify_db_cluster()
            .db_cluster_identifier(id)
            .deletion_protection(false)
            .apply_immediately(true)
            .send()
            .await
            .map_err(|e| self.err(region, e))?;
        Ok(())
    }

    async fn delete_instance(&self, region: &str, id: &str) -> CfnResult<()> {
        let c = rds::Client::new(&self.conf_in(region));
        c.delete_db_instance().db_instance_identifier(id).send().await.map_err(|e| self.err(region, e))?;
        Ok(())
    }

    async fn delete_cluster(&self, region: &str, id: &str) -> CfnResult<()> {
        let c = rds::Client::new(&self.conf_in(region));
        c.delete_db_cluster()
            .db_cluster_identifier(id)
            .skip_final_snapshot(true)
            .send()
            .await
            .map_err(|e| self.err(region, e))?;
        Ok(())
    }
}
