//! The parts of the database: the role conditions, each region's key, log groups, subnet group
//! and security group, the global cluster and the two clusters with their instances.

use haplat_core::manifest::OperationPreferences;
use haplat_core::resources::ec2;
use haplat_core::resources::logs::log_group::LogGroup;
use haplat_core::resources::rds::db_cluster::{DbCluster, ServerlessV2ScalingConfiguration};
use haplat_core::resources::rds::db_instance::DbInstance;
use haplat_core::resources::rds::db_subnet_group::DbSubnetGroup;
use haplat_core::resources::rds::global_cluster::{Engine, GlobalCluster};
use haplat_core::resources::secretsmanager::secret::{GenerateSecretString, Secret};
use haplat_core::resources::secretsmanager::secret_target_attachment::SecretTargetAttachment;
use haplat_core::value::{Cond, List, Value};
use haplat_core::{Handle, Policy, Scope, Stack};

use super::{AuroraGlobalProps, Capacity, LOG_EXPORTS, PORT, PointInTimeRecovery, SecondaryWrites};
use crate::kms::{KeyUser, KmsKey};
use crate::logs::LogGroupProps;
use crate::naming::pascal;
use crate::network::no_egress;

/// The conditions `<Id>IsPrimary` and `<Id>IsSecondary` over the region's `<Id>Role` of the
/// `RegionConfig` mapping, and the stack set's sequential deployment.
pub(super) fn roles(scope: &Scope, stack: &Stack, props: &AuroraGlobalProps) -> (String, String) {
    let stack_regions = stack.regions();
    // Conditions: the region's role, from RegionConfig.
    let prefix: String =
        scope.path().split('/').skip(1).flat_map(|s| s.chars()).filter(char::is_ascii_alphanumeric).collect();
    let role = stack.region_value(
        &format!("{prefix}Role"),
        props.regions.iter().filter(|r| stack_regions.contains(&r.region)).map(|r| (r.region.clone(), r.role.as_str())),
    );
    let primary = stack.add_condition(&format!("{prefix}IsPrimary"), Cond::equals(role, "primary".into()));
    let secondary = stack.add_condition(&format!("{prefix}IsSecondary"), Cond::not(Cond::named(&primary)));

    // The primary region deploys first; a failure there stops the operation.
    stack.set_operation_preferences(OperationPreferences {
        region_concurrency: Some("SEQUENTIAL".to_owned()),
        max_concurrent_count: None,
        failure_tolerance_count: Some(0),
    });
    (primary, secondary)
}

/// What every region has: the key, the log groups, the subnet group and the security group.
pub(super) struct Regional {
    pub key: KmsKey,
    pub log_groups: Vec<Handle<LogGroup>>,
    pub subnet_group: Handle<DbSubnetGroup>,
    pub security_group: Handle<ec2::SecurityGroup>,
}

/// Adds the parts every region has.
pub(super) fn regional(scope: &Scope, props: &AuroraGlobalProps, global_cluster_identifier: &str) -> Regional {
    // Every region: key, log groups, network.
    let key = KmsKey::new(
        scope,
        "Key",
        &format!("Encrypts the Aurora global database {global_cluster_identifier} in this region"),
        &[KeyUser::CloudWatchLogs],
    );
    // The region's cluster (primary or secondary: one of them exists) has a fixed identifier,
    // so the log groups RDS writes to can exist before it, encrypted and retained.
    let cluster_identifier = global_cluster_identifier.to_ascii_lowercase();
    let log_groups: Vec<Handle<LogGroup>> = LOG_EXPORTS
        .iter()
        .map(|log| {
            let name = format!("/aws/rds/cluster/{cluster_identifier}/{log}");
            let id = format!("{}Logs", pascal(log));
            let props = LogGroupProps { name: Some(name.into()), retention_days: props.log_retention_days, key: &key };
            let handle = crate::logs::LogGroup::new(scope, &id, props).handle;
            // Deleted with the stack, after the cluster that writes to it: its fixed name would
            // otherwise block the next deploy (HAP003), and the database's data outlives the
            // stack in the cluster's final snapshot, not in its server log.
            scope.options(handle).deletion_policy(Policy::Delete);
            handle
        })
        .collect();
    let subnet_group = scope.add(
        "SubnetGroup",
        DbSubnetGroup {
            db_subnet_group_description: format!(
                "Private subnets of the Aurora global database {global_cluster_identifier}"
            )
            .into(),
            subnet_ids: List::items(props.subnet_ids.clone()),
            ..Default::default()
        },
    );
    let security_group = scope.add(
        "SecurityGroup",
        ec2::SecurityGroup {
            group_description: format!("Aurora {global_cluster_identifier}: PostgreSQL from its clients only").into(),
            vpc_id: Some(props.vpc_id.clone()),
            security_group_ingress: None,
            security_group_egress: Some(List::items(vec![no_egress()])),
            ..Default::default()
        },
    );

    Regional { key, log_groups, subnet_group, security_group }
}

/// The clusters, their instances and the master secret.
pub(super) struct Clusters {
    pub master_secret: Handle<Secret>,
    pub global_cluster: Handle<GlobalCluster>,
    pub primary_cluster: Handle<DbCluster>,
    pub secondary_cluster: Handle<DbCluster>,
    pub instances: Vec<Handle<DbInstance>>,
}

/// Adds the global cluster and the primary cluster with its secret under `primary`, the
/// secondary cluster under `secondary`, and the writer and readers in every region.
pub(super) fn clusters(
    scope: &Scope,
    props: &AuroraGlobalProps,
    parts: &Regional,
    (primary, secondary): (&str, &str),
    (global_cluster_identifier, instance_class): (&str, &str),
) -> Clusters {
    let Regional { key, log_groups, subnet_group, security_group } = parts;
    let cluster_identifier = global_cluster_identifier.to_ascii_lowercase();
    // Primary region: master secret, global cluster, primary cluster.
    let master_secret = scope.add(
        "MasterSecret",
        Secret {
            description: Some(format!("Master user of the Aurora global database {global_cluster_identifier}").into()),
            kms_key_id: Some(key.arn()),
            generate_secret_string: Some(GenerateSecretString {
                secret_string_template: Some(format!("{{\"username\":\"{}\"}}", props.master_username).into()),
                generate_string_key: Some("password".into()),
                password_length: Some(32.into()),
                exclude_characters: Some("\"@/\\ '`".into()),
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    scope.options(master_secret).condition(primary);
    let global_cluster = scope.add(
        "GlobalCluster",
        GlobalCluster {
            global_cluster_identifier: Some(global_cluster_identifier.into()),
            engine: Some(Engine::AuroraPostgresql.into()),
            engine_version: Some(props.engine_version.clone().into()),
            storage_encrypted: Some(true.into()),
            deletion_protection: Some(crate::protection::on(scope)),
            ..Default::default()
        },
    );
    // The global cluster holds no data of its own (its clusters do) and RDS deletes it only
    // once no cluster is a member: deleted with the primary region's stack, after the primary
    // cluster, so its fixed identifier is free for the next deploy.
    // https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-deleting.html
    scope.options(global_cluster).condition(primary).deletion_policy(Policy::Delete).suppress(
        "HAP011",
        "`haplat doctor` (run by `haplat deploy` first) checks that every region of the environment offers this \
         engine version with global-database and Serverless v2 support",
    );

    let cluster = |global: Value<String>| DbCluster {
        db_cluster_identifier: Some(cluster_identifier.clone().into()),
        engine: Some(props.engine.clone().into()),
        engine_version: Some(props.engine_version.clone().into()),
        global_cluster_identifier: Some(global),
        storage_encrypted: Some(true.into()),
        kms_key_id: Some(key.arn()),
        db_subnet_group_name: Some(subnet_group.ref_()),
        vpc_security_group_ids: Some(List::items(vec![security_group.attr_group_id()])),
        port: Some(i64::from(PORT).into()),
        // Point-in-time recovery: RDS keeps it for the days given, or AWS Backup manages it and
        // the template says nothing (RDS refuses another value than the current one).
        backup_retention_period: match props.point_in_time_recovery {
            PointInTimeRecovery::Rds { retention_days } => Some(retention_days.into()),
            PointInTimeRecovery::AwsBackup => None,
        },
        deletion_protection: Some(crate::protection::on(scope)),
        copy_tags_to_snapshot: Some(true.into()),
        enable_iam_database_authentication: Some(true.into()),
        enable_cloudwatch_logs_exports: Some(List::items(LOG_EXPORTS.iter().map(|l| (*l).into()).collect())),
        serverless_v2_scaling_configuration: match &props.capacity {
            Capacity::ServerlessV2 { min_acu, max_acu } => Some(ServerlessV2ScalingConfiguration {
                min_capacity: Some((*min_acu).into()),
                max_capacity: Some((*max_acu).into()),
                ..Default::default()
            }),
            Capacity::Provisioned { .. } => None,
        },
        ..Default::default()
    };
    let primary_cluster = scope.add(
        "PrimaryCluster",
        DbCluster {
            master_username: Some(props.master_username.clone().into()),
            master_user_password: Some(Value::sub_with(
                "{{resolve:secretsmanager:${Secret}:SecretString:password}}",
                [("Secret", master_secret.ref_())],
            )),
            database_name: props.database_name.as_ref().map(|d| d.into()),
            ..cluster(global_cluster.ref_())
        },
    );
    // Deleted by `haplat destroy` with a final snapshot (kept, encrypted with the region's
    // retained key): nothing of the cluster stays to hold the subnet group and security group
    // the stack deletes, and no identifier stays to collide with the next deploy.
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html
    scope.options(primary_cluster).condition(primary).deletion_policy(Policy::Snapshot);
    crate::protection::suppress_scanner_rule(scope, primary_cluster, "CT.RDS.PR.3");
    for g in log_groups {
        scope.options(primary_cluster).depends_on(*g);
    }
    let attachment = scope.add(
        "MasterSecretAttachment",
        SecretTargetAttachment {
            secret_id: master_secret.ref_(),
            target_id: primary_cluster.ref_(),
            target_type: "AWS::RDS::DBCluster".into(),
        },
    );
    scope.options(attachment).condition(primary);

    // Secondary regions: a cluster joining the global cluster by its identifier.
    let secondary_cluster = scope.add(
        "SecondaryCluster",
        DbCluster {
            enable_global_write_forwarding: (props.secondary_writes == SecondaryWrites::Forward).then(|| true.into()),
            ..cluster(global_cluster_identifier.into())
        },
    );
    // The same: CloudFormation's DBCluster handler removes a member from its global cluster
    // before deleting it, so the detached secondary is deleted as a standalone cluster with its
    // final snapshot. `haplat destroy` deletes the secondary regions before the primary (RDS
    // refuses to delete a primary that still has secondaries).
    scope.options(secondary_cluster).condition(secondary).deletion_policy(Policy::Snapshot);
    crate::protection::suppress_scanner_rule(scope, secondary_cluster, "CT.RDS.PR.3");
    for g in log_groups {
        scope.options(secondary_cluster).depends_on(*g);
    }

    // Enhanced monitoring: RDS publishes the instances' OS metrics every minute through this role.
    let monitoring_role = scope.add(
        "MonitoringRole",
        haplat_core::resources::iam::Role {
            description: Some("Publishes the database instances' enhanced monitoring (OS) metrics".into()),
            assume_role_policy_document: crate::security::trust_policy("monitoring.rds.amazonaws.com"),
            managed_policy_arns: Some(List::items(vec![Value::sub(
                "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
            )])),
            ..Default::default()
        },
    );
    // Every region: the writer and the readers of the region's cluster.
    let cluster_id = Value::if_(primary, primary_cluster.ref_(), secondary_cluster.ref_());
    let instances: Vec<Handle<DbInstance>> = (0..=props.readers)
        .map(|i| {
            let name = if i == 0 { "Writer".to_owned() } else { format!("Reader{i}") };
            scope.add(
                &name,
                DbInstance {
                    engine: Some(props.engine.clone().into()),
                    db_cluster_identifier: Some(cluster_id.clone()),
                    db_instance_class: Some(instance_class.into()),
                    publicly_accessible: Some(false.into()),
                    promotion_tier: Some(i64::from(i.min(15)).into()),
                    enable_performance_insights: Some(true.into()),
                    performance_insights_kms_key_id: Some(key.arn()),
                    performance_insights_retention_period: Some(props.performance_insights_retention_days.into()),
                    // Automatic minor version upgrades do not apply to clusters of an Aurora global
                    // database (AWS Config rds-automatic-minor-version-upgrade-enabled; Aurora
                    // user guide, "Upgrading an Amazon Aurora global database"): say so.
                    auto_minor_version_upgrade: Some(false.into()),
                    monitoring_interval: Some(60.into()),
                    monitoring_role_arn: Some(monitoring_role.attr_arn()),
                    ..Default::default()
                },
            )
        })
        .collect::<Vec<_>>();
    // The data is the cluster's, kept in its final snapshot: an instance kept after its cluster
    // would stop the cluster's delete (HAP024).
    for i in &instances {
        scope.options(*i).deletion_policy(Policy::Delete).update_replace_policy(Policy::Delete).suppress(
            "CT.RDS.PR.5",
            "automatic minor version upgrades do not apply to the clusters of an Aurora global database (Aurora user \
             guide, upgrading a global database): the engine version is the props' and upgrades are deployed",
        );
    }
    Clusters { master_secret, global_cluster, primary_cluster, secondary_cluster, instances }
}
