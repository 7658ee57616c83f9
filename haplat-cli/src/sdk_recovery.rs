//! [`Recovery`] over AWS: AWS Backup (recovery points, restore jobs) and DynamoDB
//! (`DescribeTable`, `Scan`, `DeleteTable`) and CloudFormation (`DescribeStackResource`) as
//! signed calls ([`crate::signed`]); and [`ClusterRecovery`] over Amazon RDS
//! (`DescribeDBClusters`, `DescribeDBInstances`, `CreateDBInstance`, `ModifyDBCluster`,
//! `DeleteDBInstance`, `DeleteDBCluster`); with the configuration, endpoint and error sorting of
//! [`Aws`].

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::cfn::{CfnError, CfnResult, CloudFormation};
use crate::recovery::{
    ClusterInfo, ClusterRecovery, InstanceInfo, InstanceRequest, Recovery, RecoveryPoint, RestoreJob, RestoreRequest,
    RestoreStatus, TableInfo,
};
use crate::sdk::{Aws, Form, does_not_exist};
use crate::signed::{BACKUP, DYNAMODB, RDS, Xml, encode};

impl Recovery for Aws {
    async fn stack_resource(&self, stack_set: &str, region: &str, logical_id: &str) -> CfnResult<Option<String>> {
        let instances = self.list_stack_instances(stack_set).await?;
        let Some(instance) = instances.into_iter().find(|i| i.region == region) else { return Ok(None) };
        let Some(stack) = self.instance_stack(stack_set, &instance).await? else { return Ok(None) };
        let mut form = Form::new();
        form.set("StackName", stack.id.as_str()).set("LogicalResourceId", logical_id);
        match self.cfn(region, "DescribeStackResource", &form).await {
            Ok(out) => Ok(out.text_at(&["StackResourceDetail", "PhysicalResourceId"]).map(str::to_owned)),
            Err(e) if does_not_exist(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn recovery_points(&self, region: &str, vault: &str, resource_arn: &str) -> CfnResult<Vec<RecoveryPoint>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            crate::signed::next_page(&mut pages, "ListRecoveryPointsByBackupVault")?;
            let mut query = vec![("resourceArn".to_owned(), resource_arn.to_owned())];
            if let Some(t) = token.take() {
                query.push(("nextToken".to_owned(), t));
            }
            let path = format!("/backup-vaults/{}/recovery-points", encode(vault));
            let page = self.signed.rest_json(BACKUP, region, "GET", path, query, None).await?;
            for p in page["RecoveryPoints"].as_array().into_iter().flatten() {
                out.push(RecoveryPoint {
                    arn: string(p, "RecoveryPointArn").unwrap_or_default(),
                    created: p["CreationDate"].as_f64().map(date_time).unwrap_or_default(),
                    status: string(p, "Status").unwrap_or_default(),
                    iam_role_arn: string(p, "IamRoleArn"),
                });
            }
            match page["NextToken"].as_str() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        out.sort_by(|a, b| b.created.cmp(&a.created));
        Ok(out)
    }

    async fn restore_metadata(&self, region: &str, vault: &str, arn: &str) -> CfnResult<BTreeMap<String, String>> {
        let path = format!("/backup-vaults/{}/recovery-points/{}/restore-metadata", encode(vault), encode(arn));
        let out = self.signed.rest_json(BACKUP, region, "GET", path, vec![], None).await?;
        Ok(out["RestoreMetadata"]
            .as_object()
            .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect())
            .unwrap_or_default())
    }

    async fn start_restore(&self, region: &str, request: &RestoreRequest) -> CfnResult<String> {
        let input = json!({
            "RecoveryPointArn": request.recovery_point_arn,
            "IamRoleArn": request.iam_role_arn,
            "Metadata": request.metadata,
            "IdempotencyToken": request.idempotency_token,
            "ResourceType": request.resource_type,
        });
        let out = self.signed.rest_json(BACKUP, region, "PUT", "/restore-jobs".into(), vec![], Some(input)).await?;
        string(&out, "RestoreJobId")
            .ok_or_else(|| CfnError::service("InvalidResponse", "StartRestoreJob answered no job id"))
    }

    async fn restore_job(&self, region: &str, job_id: &str) -> CfnResult<RestoreJob> {
        let path = format!("/restore-jobs/{}", encode(job_id));
        let out = self.signed.rest_json(BACKUP, region, "GET", path, vec![], None).await?;
        Ok(RestoreJob {
            status: RestoreStatus::parse(out["Status"].as_str().unwrap_or("PENDING")),
            message: string(&out, "StatusMessage").filter(|m| !m.is_empty()),
            created_resource_arn: string(&out, "CreatedResourceArn"),
        })
    }

    async fn table(&self, region: &str, name: &str) -> CfnResult<Option<TableInfo>> {
        match self.signed.json(DYNAMODB, region, "DescribeTable", json!({"TableName": name})).await {
            Ok(out) => Ok(out.get("Table").map(|t| TableInfo {
                arn: string(t, "TableArn").unwrap_or_default(),
                status: string(t, "TableStatus").unwrap_or_default(),
                item_count: t["ItemCount"].as_i64().unwrap_or(0),
                key_schema: t["KeySchema"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|k| (string(k, "AttributeName").unwrap_or_default(), string(k, "KeyType").unwrap_or_default()))
                    .collect(),
            })),
            Err(CfnError::Service { code, .. }) if code == "ResourceNotFoundException" => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn delete_table(&self, region: &str, name: &str) -> CfnResult<()> {
        self.signed.json(DYNAMODB, region, "DeleteTable", json!({"TableName": name})).await?;
        Ok(())
    }

    async fn has_items(&self, region: &str, name: &str) -> CfnResult<bool> {
        let scan = json!({"TableName": name, "Limit": 1, "ConsistentRead": true, "Select": "COUNT"});
        let out = self.signed.json(DYNAMODB, region, "Scan", scan).await?;
        // A page may end before it counts anything and say where to go on: that is more to read.
        Ok(out["Count"].as_i64().unwrap_or(0) > 0 || out.get("LastEvaluatedKey").is_some())
    }
}

/// A string field of a JSON answer.
fn string(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// A JSON timestamp (seconds since the epoch) as RFC 3339, as the SDK formats it.
fn date_time(seconds: f64) -> String {
    aws_smithy_types::DateTime::from_secs_f64(seconds)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// A `DBCluster` element of RDS's answer.
fn cluster_info(c: &Xml) -> ClusterInfo {
    let text = |path: &[&str]| c.text_at(path).unwrap_or_default().to_owned();
    let mut members: Vec<(bool, String)> = c
        .list(&["DBClusterMembers"])
        .iter()
        .filter_map(|m| {
            Some((!m.bool_at(&["IsClusterWriter"]).unwrap_or(false), m.text_at(&["DBInstanceIdentifier"])?.to_owned()))
        })
        .collect();
    // The writer first.
    members.sort();
    ClusterInfo {
        id: text(&["DBClusterIdentifier"]),
        arn: text(&["DBClusterArn"]),
        status: text(&["Status"]),
        engine: text(&["Engine"]),
        engine_version: text(&["EngineVersion"]),
        deletion_protection: c.bool_at(&["DeletionProtection"]).unwrap_or(false),
        subnet_group: c.text_at(&["DBSubnetGroup"]).filter(|g| !g.is_empty()).map(str::to_owned),
        security_groups: c
            .list(&["VpcSecurityGroups"])
            .iter()
            .filter_map(|g| g.text_at(&["VpcSecurityGroupId"]).map(str::to_owned))
            .collect(),
        members: members.into_iter().map(|(_, id)| id).collect(),
    }
}

impl ClusterRecovery for Aws {
    async fn cluster(&self, region: &str, id: &str) -> CfnResult<Option<ClusterInfo>> {
        match self.signed.query(RDS, region, "DescribeDBClusters", &[("DBClusterIdentifier", id)]).await {
            Ok(out) => Ok(out.list(&["DescribeDBClustersResult", "DBClusters"]).first().map(cluster_info)),
            Err(CfnError::Service { code, .. }) if code == "DBClusterNotFoundFault" => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn instance(&self, region: &str, id: &str) -> CfnResult<Option<InstanceInfo>> {
        match self.signed.query(RDS, region, "DescribeDBInstances", &[("DBInstanceIdentifier", id)]).await {
            Ok(out) => Ok(out.list(&["DescribeDBInstancesResult", "DBInstances"]).first().map(|i| InstanceInfo {
                id: i.text_at(&["DBInstanceIdentifier"]).unwrap_or_default().to_owned(),
                status: i.text_at(&["DBInstanceStatus"]).unwrap_or_default().to_owned(),
                class: i.text_at(&["DBInstanceClass"]).unwrap_or_default().to_owned(),
            })),
            Err(CfnError::Service { code, .. }) if code == "DBInstanceNotFound" => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn create_instance(&self, region: &str, request: &InstanceRequest) -> CfnResult<()> {
        let params = [
            ("DBInstanceIdentifier", request.instance_id.as_str()),
            ("DBClusterIdentifier", &request.cluster_id),
            ("DBInstanceClass", &request.class),
            ("Engine", &request.engine),
        ];
        self.signed.query(RDS, region, "CreateDBInstance", &params).await?;
        Ok(())
    }

    async fn unprotect_cluster(&self, region: &str, id: &str) -> CfnResult<()> {
        let params = [("DBClusterIdentifier", id), ("DeletionProtection", "false"), ("ApplyImmediately", "true")];
        self.signed.query(RDS, region, "ModifyDBCluster", &params).await?;
        Ok(())
    }

    async fn delete_instance(&self, region: &str, id: &str) -> CfnResult<()> {
        self.signed.query(RDS, region, "DeleteDBInstance", &[("DBInstanceIdentifier", id)]).await?;
        Ok(())
    }

    async fn delete_cluster(&self, region: &str, id: &str) -> CfnResult<()> {
        let params = [("DBClusterIdentifier", id), ("SkipFinalSnapshot", "true")];
        self.signed.query(RDS, region, "DeleteDBCluster", &params).await?;
        Ok(())
    }
}
