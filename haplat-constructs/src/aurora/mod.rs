//! [`AuroraGlobal`]: an Aurora PostgreSQL global database spread over the regions of one
//! regional stack set (usually [`crate::api::MultiRegionApi::stack`]), so ONE template serves
//! every region.
//!
//! ## One template, two roles
//!
//! A global database is one global resource (`AWS::RDS::GlobalCluster`) with one primary
//! cluster that takes writes and secondary clusters that replicate it. In the template:
//!
//! - the `GlobalCluster` (engine, version, encrypted storage, deletion protection and a fixed
//!   identifier), the **primary** `DBCluster` (which joins it through `GlobalClusterIdentifier`)
//!   and the generated master secret exist only under the `<Id>IsPrimary` condition;
//! - a **secondary** `DBCluster` (the same `GlobalClusterIdentifier`, no master credentials, the
//!   region's own KMS key) exists only under the opposite condition `<Id>IsSecondary`;
//! - the conditions compare the region's `<Id>Role` entry of the `RegionConfig` mapping with
//!   `primary`, so which region is primary is visible in the template;
//! - everything else is in every region: a KMS key (each region's cluster, Performance Insights,
//!   the secret and the log groups are encrypted with that region's key), the log groups of the
//!   exported logs (see [Logs](#logs)), the subnet group over the private
//!   subnets, the security group, and the writer and reader instances, whose
//!   `DBClusterIdentifier` is an `Fn::If` over the two clusters.
//!
//! ## Order and credentials
//!
//! The stack set deploys region by region (`SEQUENTIAL`, failure tolerance 0) and the primary
//! must be its first region; do not deploy it with `haplat deploy --parallel`, or to a secondary
//! region alone (`--regions`), before the primary's database exists. Applications connect with
//! IAM database authentication ([`AuroraGlobal::grant_connect`]); the master password is a
//! generated secret of the primary region passed as a dynamic reference. Why: see
//! `docs/decisions.md`, "Aurora global database in the regional stack set".
//!
//! ## Logs
//!
//! The clusters export their PostgreSQL log to CloudWatch Logs, into
//! `/aws/rds/cluster/<cluster identifier>/postgresql`. RDS would create that group on first use,
//! outside the template: unencrypted, kept forever and never deleted with the stack. The
//! construct creates it first instead, in every region, encrypted with the region's key, kept
//! [`AuroraGlobalProps::log_retention_days`]; the clusters depend on it. Unlike the crate's
//! other log groups it is deleted with the stack (after the cluster): its name is fixed, so a
//! kept group would block the next deploy, and the data outlives the stack in the clusters'
//! final snapshots. For that the clusters' identifier is fixed: the global cluster's identifier
//! (in lower case, as RDS stores it), the same in every region, since a region holds one of the
//! two clusters.
//!
//! ## Backups
//!
//! Automated backups keep point-in-time recovery in each region for the days of
//! [`PointInTimeRecovery::Rds`]. For AWS Backup copies to another region, tag the database
//! ([`AuroraGlobalProps::tags`]) with what a [`crate::backup::BackupPlan`] selects; when that
//! plan's rule has continuous backup, choose [`PointInTimeRecovery::AwsBackup`] so that the
//! template leaves the retention to AWS Backup.
//!
//! ## Destroy
//!
//! Deletion protection is on (bound to the stack parameter of [`crate::protection`], which
//! `haplat destroy` lifts first). The clusters have `DeletionPolicy: Snapshot`: destroy
//! deletes them with a final snapshot (kept, under a generated name, encrypted with the
//! region's retained key), then the subnet group and security group they used; the global
//! cluster and the log groups are deleted. Secondary regions go first, the primary last.
//!
//! ## Changing the primary
//!
//! Fail over or switch over with RDS (`haplat db switchover`/`failover`) and leave the
//! template's primary alone; `haplat deploy` refuses this stack set until the writer is back in
//! the template's primary (see `docs/decisions.md`, "Aurora: the writer moves outside the
//! template", which also says why the services get no global writer endpoint).
//!
//! See [`AuroraGlobal`] for an example.

mod access;
mod checks;
mod cluster;

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use haplat_core::resources::ec2;
use haplat_core::resources::logs::log_group::LogGroup;
use haplat_core::resources::rds::db_cluster::DbCluster;
use haplat_core::resources::rds::db_instance::DbInstance;
use haplat_core::resources::rds::db_subnet_group::DbSubnetGroup;
use haplat_core::resources::rds::global_cluster::GlobalCluster;
use haplat_core::resources::secretsmanager::secret::Secret;
use haplat_core::resources::ssm::parameter as ssm;
use haplat_core::value::Value;
use haplat_core::{Handle, Scope};

use crate::kms::KmsKey;
use crate::platform::RegionSpec;

pub use checks::{forwards_writes, identifier_problem};

/// The only engine supported: Aurora PostgreSQL.
pub const ENGINE: &str = "aurora-postgresql";

/// The default engine version (a current Aurora PostgreSQL 17 minor version; minor upgrades are
/// applied automatically in the maintenance window).
pub const DEFAULT_ENGINE_VERSION: &str = "17.7";

/// The PostgreSQL port.
pub const PORT: u16 = 5432;

/// The logs each cluster exports to CloudWatch Logs, each into the log group
/// `/aws/rds/cluster/<cluster identifier>/<log>` that the construct creates.
pub const LOG_EXPORTS: &[&str] = &["postgresql"];

/// The oldest Aurora PostgreSQL major version accepted (older ones are past standard support).
pub const OLDEST_MAJOR_VERSION: u32 = 13;

/// How the cluster's instances get their compute.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Capacity {
    /// Aurora Serverless v2 (`db.serverless` instances) scaling between `min_acu` and `max_acu`
    /// Aurora capacity units (0.5 to 256, in steps of 0.5).
    ServerlessV2 {
        /// Fewest ACUs of each instance.
        min_acu: f64,
        /// Most ACUs of each instance.
        max_acu: f64,
    },
    /// Provisioned instances of this class (`db.r7g.large`).
    Provisioned {
        /// The DB instance class.
        instance_class: String,
    },
}

/// Aurora PostgreSQL's default `max_connections` of an instance of this capacity:
/// `LEAST(DBInstanceClassMemory / 9531392, 5000)` (the default parameter group's formula), over
/// the instance's memory: for Serverless v2 that of its maximum ACUs (2 GiB each; Aurora sizes
/// `max_connections` by the maximum capacity, so it does not move as the instance scales), for a
/// provisioned instance that of its class, known here for the memory-optimized `db.r*` classes
/// (8 GiB per vCPU, 2 vCPUs for `large`, 4 for `xlarge`, 4·n for `nxlarge`) and the burstable
/// `db.t*.medium` and `db.t*.large` (4 and 8 GiB). The memory is the class's nominal one, a little
/// more than `DBInstanceClassMemory` (which leaves out what the OS and RDS keep), so this is an
/// upper estimate. `None` for a class not listed: no connections alarm then.
///
/// ```
/// use haplat_constructs::aurora::{Capacity, max_connections};
///
/// let serverless = Capacity::ServerlessV2 { min_acu: 0.5, max_acu: 16.0 };
/// assert_eq!(max_connections(&serverless), Some(3604.0));
/// let large = Capacity::Provisioned { instance_class: "db.r7g.large".into() };
/// assert_eq!(max_connections(&large), Some(1802.0));
/// let big = Capacity::ServerlessV2 { min_acu: 0.5, max_acu: 64.0 };
/// assert_eq!(max_connections(&big), Some(5000.0));
/// let unknown = Capacity::Provisioned { instance_class: "db.x2g.large".into() };
/// assert_eq!(max_connections(&unknown), None);
/// ```
pub fn max_connections(capacity: &Capacity) -> Option<f64> {
    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
    let memory_gib = match capacity {
        Capacity::ServerlessV2 { max_acu, .. } => 2.0 * max_acu,
        Capacity::Provisioned { instance_class } => {
            let mut parts = instance_class.split('.');
            let (Some("db"), Some(family), Some(size), None) = (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return None;
            };
            let generation = family.get(1..2).is_some_and(|c| c.chars().all(|c| c.is_ascii_digit()));
            match (family.chars().next(), size) {
                (Some('t'), "medium") if generation => 4.0,
                (Some('t'), "large") if generation => 8.0,
                (Some('r'), "large") if generation => 16.0,
                (Some('r'), "xlarge") if generation => 32.0,
                (Some('r'), n) if generation => 32.0 * n.strip_suffix("xlarge")?.parse::<f64>().ok()?,
                _ => return None,
            }
        }
    };
    Some((memory_gib * GIB / 9_531_392.0).floor().min(5000.0))
}

/// What a secondary region's cluster does with a write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SecondaryWrites {
    /// A secondary cluster refuses writes (PostgreSQL's read-only transaction error); the app
    /// writes through the primary region, or waits for a switchover or failover.
    #[default]
    ReadOnly,
    /// Global write forwarding: a secondary cluster forwards writes to the primary
    /// (`EnableGlobalWriteForwarding`), so a service in any region can write, paying the
    /// round trip to the primary. Needs Aurora PostgreSQL 16 or later, 15.4 or later, or 14.9
    /// or later; the session chooses its consistency with `apg_write_forward.consistency_mode`.
    /// Turning it on or off causes no downtime.
    /// <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-write-forwarding-apg.html>
    Forward,
}

/// Who manages a cluster's point-in-time recovery (its automated backups).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointInTimeRecovery {
    /// RDS keeps automated backups this many days (1 to 35): `BackupRetentionPeriod`.
    Rds {
        /// Days kept.
        retention_days: i64,
    },
    /// A continuous-backup rule of AWS Backup selects the clusters and manages their retention:
    /// the template leaves `BackupRetentionPeriod` out. Once AWS Backup manages it, RDS accepts
    /// only a blank or the current value, and CloudFormation would send the template's value on
    /// every update of the cluster
    /// (<https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery.html>).
    /// `haplat check` (HAP005) flags a cluster that gives a retention while such a rule selects it.
    AwsBackup,
}

/// What an [`AuroraGlobal`] is made of.
#[derive(Clone, Debug, PartialEq)]
pub struct AuroraGlobalProps {
    /// The regions and their roles, exactly one primary: the regions of the stack set (give the
    /// API's, [`crate::api::MultiRegionApi::regions`]).
    pub regions: Vec<RegionSpec>,
    /// The VPC of the security group (the same template, so usually `network.vpc.ref_()`).
    pub vpc_id: Value<String>,
    /// The private subnets the instances live in (at least 2, in different zones).
    pub subnet_ids: Vec<Value<String>>,
    /// Security groups admitted on 5432 (besides services given to
    /// [`AuroraGlobal::grant_connect`]). Their own egress must allow 5432 to the database.
    /// Default: none.
    pub client_security_groups: Vec<Value<String>>,
    /// The engine, the only one supported. Default: [`ENGINE`] (`aurora-postgresql`).
    pub engine: String,
    /// The engine version, the same in every region. Default: [`DEFAULT_ENGINE_VERSION`].
    pub engine_version: String,
    /// Serverless v2 or provisioned instances. Default: Serverless v2, 0.5 to 16 ACUs.
    pub capacity: Capacity,
    /// Reader instances per region besides the writer (0 to 15). In a secondary region every
    /// instance reads; the "writer" is the one promoted first. Default: 1.
    pub readers: u32,
    /// Who keeps point-in-time recovery: RDS for some days, or AWS Backup (when the database is
    /// tagged for a [`crate::backup::BackupPlan`] whose rule has continuous backup). Default:
    /// RDS, 14 days.
    pub point_in_time_recovery: PointInTimeRecovery,
    /// The global cluster's identifier, the same in every region; derived from the stack name
    /// and the construct id when `None`. Default: `None`.
    pub global_cluster_identifier: Option<String>,
    /// The master user's name. Default: `dbadmin`.
    pub master_username: String,
    /// A database created in the primary cluster. Default: none.
    pub database_name: Option<String>,
    /// Days Performance Insights keeps data: 7 (free), a multiple of 31 up to 713, or 731.
    /// Default: 7.
    pub performance_insights_retention_days: i64,
    /// Days the exported PostgreSQL logs are kept, one of the retentions CloudWatch Logs
    /// accepts. Default: 365.
    pub log_retention_days: i64,
    /// Tags of every resource of the construct (`backup` = `daily`, say, for a
    /// [`crate::backup::BackupPlan`] selecting by tag). Default: none.
    pub tags: Vec<(String, String)>,
    /// What the secondary regions' clusters do with a write. Default: [`SecondaryWrites::ReadOnly`].
    pub secondary_writes: SecondaryWrites,
}

impl AuroraGlobalProps {
    /// Aurora PostgreSQL 17 on Serverless v2 (0.5 to 16 ACUs), a writer and one reader per
    /// region, backups kept 14 days, master user `dbadmin`, Performance Insights kept 7 days,
    /// logs kept a year, secondary regions read-only.
    pub fn new(regions: &[RegionSpec], vpc_id: Value<String>, subnet_ids: Vec<Value<String>>) -> Self {
        AuroraGlobalProps {
            regions: regions.to_vec(),
            vpc_id,
            subnet_ids,
            client_security_groups: Vec::new(),
            engine: ENGINE.to_owned(),
            engine_version: DEFAULT_ENGINE_VERSION.to_owned(),
            capacity: Capacity::ServerlessV2 { min_acu: 0.5, max_acu: 16.0 },
            readers: 1,
            point_in_time_recovery: PointInTimeRecovery::Rds { retention_days: 14 },
            global_cluster_identifier: None,
            master_username: "dbadmin".to_owned(),
            database_name: None,
            performance_insights_retention_days: 7,
            log_retention_days: 365,
            tags: Vec::new(),
            secondary_writes: SecondaryWrites::ReadOnly,
        }
    }

    /// The defaults over the regions, VPC and private subnets of a [`crate::api::MultiRegionApi`]
    /// (the database goes into [`crate::api::MultiRegionApi::stack`]).
    pub fn for_api(api: &crate::api::MultiRegionApi) -> Self {
        AuroraGlobalProps::new(
            api.regions(),
            api.network.vpc.ref_(),
            api.network.private_subnets.iter().map(|s| s.ref_()).collect(),
        )
    }
}

/// An Aurora PostgreSQL global database over the regions of a stack set (see the
/// [module](self) docs).
///
/// ```
/// use haplat_core::App;
/// use haplat_constructs::api::{ApiCertificate, ApiProps, MultiRegionApi};
/// use haplat_constructs::zone::HostedZone;
/// use haplat_constructs::aurora::{AuroraGlobal, AuroraGlobalProps, Capacity};
/// use haplat_constructs::service::ServiceProps;
/// use haplat_constructs::RegionSpec;
///
/// let app = App::new("shop");
/// let api = MultiRegionApi::new_stack_set(&app, "Api", ApiProps {
///     services: vec![ServiceProps::new("Orders", "public.ecr.aws/nginx/nginx:1.27", 8080)],
///     ..ApiProps::new(
///         vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("eu-west-1")],
///         "api.example.com",
///         ApiCertificate::DnsValidated { zone: HostedZone::existing("Z0123456789ABCDEFGHIJ", "example.com") },
///     )
/// });
/// let mut props = AuroraGlobalProps::for_api(&api);
/// props.capacity = Capacity::ServerlessV2 { min_acu: 0.5, max_acu: 8.0 };
/// let db = AuroraGlobal::new(api.stack(), "Db", props);
/// // IAM authentication as the database user `orders`, and 5432 from the Orders tasks.
/// db.grant_connect(api.service("Orders").unwrap(), "orders");
/// assert_eq!(db.global_cluster_identifier, "shop-api-db");
///
/// let assembly = app.synth().unwrap();
/// let t = assembly.template("shop-Api").unwrap();
/// assert_eq!(t["Mappings"]["RegionConfig"]["us-east-1"]["DbRole"], "primary");
/// assert_eq!(t["Mappings"]["RegionConfig"]["eu-west-1"]["DbRole"], "secondary");
/// let of_type = |ty: &str| t["Resources"].as_object().unwrap().values()
///     .filter(|r| r["Type"] == ty).cloned().collect::<Vec<_>>();
/// // The global cluster only in the primary region; a cluster of each role.
/// assert_eq!(of_type("AWS::RDS::GlobalCluster")[0]["Condition"], "DbIsPrimary");
/// let clusters = of_type("AWS::RDS::DBCluster");
/// let mut conditions: Vec<_> = clusters.iter().map(|c| c["Condition"].as_str().unwrap()).collect();
/// conditions.sort();
/// assert_eq!(conditions, ["DbIsPrimary", "DbIsSecondary"]);
/// for c in &clusters {
///     assert_eq!(c["Properties"]["StorageEncrypted"], true);
///     assert_eq!(c["Properties"]["DeletionProtection"]["Fn::If"][0], "HaplatDeletionProtectionOn");
///     assert_eq!(c["DeletionPolicy"], "Snapshot");
/// }
/// // The primary region deploys first, and alone.
/// let api_stack = assembly.manifest.stacks.iter().find(|s| s.name == "shop-Api").unwrap();
/// assert_eq!(api_stack.operation_preferences.region_concurrency.as_deref(), Some("SEQUENTIAL"));
/// ```
#[derive(Clone)]
pub struct AuroraGlobal {
    scope: Scope,
    /// The global cluster (primary region only: condition [`AuroraGlobal::primary_condition`]).
    pub global_cluster: Handle<GlobalCluster>,
    /// The primary region's cluster (condition [`AuroraGlobal::primary_condition`]).
    pub primary_cluster: Handle<DbCluster>,
    /// The secondary regions' cluster (condition [`AuroraGlobal::secondary_condition`]).
    pub secondary_cluster: Handle<DbCluster>,
    /// The writer, then the readers (every region; in secondaries all of them read).
    pub instances: Vec<Handle<DbInstance>>,
    /// The key of each region (storage, Performance Insights, the master secret).
    pub key: KmsKey,
    /// The security group of the instances.
    pub security_group: Handle<ec2::SecurityGroup>,
    /// The subnet group.
    pub subnet_group: Handle<DbSubnetGroup>,
    /// The generated master credentials (primary region only).
    pub master_secret: Handle<Secret>,
    /// The log group of each of [`LOG_EXPORTS`], in that order (every region).
    pub log_groups: Vec<Handle<LogGroup>>,
    /// The global cluster's identifier.
    pub global_cluster_identifier: String,
    /// The primary region.
    pub primary_region: String,
    primary: String,
    secondary: String,
    stack_id: String,
    /// Ingress rules of the security group and the services given egress so far.
    admitted: Rc<RefCell<(Vec<ec2::security_group::Ingress>, BTreeSet<String>)>>,
    /// The SSM parameter holding the region's cluster resource id, made on the first grant to a
    /// service of another stack.
    shared_resource_id: Rc<RefCell<Option<Handle<ssm::Parameter>>>>,
    /// [`max_connections`] of the capacity.
    max_connections: Option<f64>,
}

impl std::fmt::Debug for AuroraGlobal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuroraGlobal")
            .field("path", &self.scope.path())
            .field("global_cluster_identifier", &self.global_cluster_identifier)
            .field("primary_region", &self.primary_region)
            .finish()
    }
}

impl AuroraGlobal {
    /// Adds the database at `scope/id`, in every region of the scope's stack. Misuse (no or two
    /// primary regions, regions that are not the stack's, a primary that is not the stack's
    /// first region, an unknown engine or version, an ACU range outside 0.5–256 or inverted, a
    /// retention outside 1–35 days, fewer than two subnets …) is reported as construct errors
    /// naming the path.
    pub fn new(parent: &Scope, id: &str, props: AuroraGlobalProps) -> AuroraGlobal {
        let stack = parent.stack();
        let scope = parent.child(id);
        for (k, v) in &props.tags {
            scope.tag(k.clone(), v.clone());
        }
        let primary_region = checks::regions(&scope, &stack, &props);
        let (instance_class, global_cluster_identifier) = checks::settings(&scope, &stack, id, &props);
        let (primary, secondary) = cluster::roles(&scope, &stack, &props);
        let parts = cluster::regional(&scope, &props, &global_cluster_identifier);
        let clusters = cluster::clusters(
            &scope,
            &props,
            &parts,
            (&primary, &secondary),
            (&global_cluster_identifier, &instance_class),
        );
        let cluster::Regional { key, log_groups, subnet_group, security_group } = parts;
        let cluster::Clusters { master_secret, global_cluster, primary_cluster, secondary_cluster, instances } =
            clusters;
        let db = AuroraGlobal {
            scope,
            global_cluster,
            primary_cluster,
            secondary_cluster,
            instances,
            key,
            security_group,
            subnet_group,
            master_secret,
            log_groups,
            global_cluster_identifier,
            primary_region,
            primary,
            secondary,
            stack_id: stack.id(),
            admitted: Rc::default(),
            shared_resource_id: Rc::default(),
            max_connections: max_connections(&props.capacity),
        };
        for (i, sg) in props.client_security_groups.iter().enumerate() {
            db.admit(sg.clone(), &format!("client security group {}", i + 1));
        }
        db
    }

    /// The name of the condition that holds in the primary region.
    pub fn primary_condition(&self) -> &str {
        &self.primary
    }

    /// The name of the condition that holds in the secondary regions.
    pub fn secondary_condition(&self) -> &str {
        &self.secondary
    }

    /// The construct scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    fn local<T>(&self, on_primary: Value<T>, on_secondary: Value<T>) -> Value<T> {
        Value::if_(&self.primary, on_primary, on_secondary)
    }

    /// What [`RegionalMonitoringProps::databases`](crate::monitoring::RegionalMonitoringProps::databases)
    /// watches of it: the region's own cluster, named after the construct's id.
    pub fn metrics(&self) -> crate::metrics::DatabaseMetrics {
        crate::metrics::DatabaseMetrics {
            name: self.scope.path().rsplit('/').next().unwrap_or_default().to_owned(),
            cluster_identifier: self.cluster_identifier(),
            global: true,
            max_connections: self.max_connections,
        }
    }

    /// The region's cluster identifier (`Ref`).
    pub fn cluster_identifier(&self) -> Value<String> {
        self.local(self.primary_cluster.ref_(), self.secondary_cluster.ref_())
    }

    /// The region's cluster resource id (`cluster-ABC…`), which IAM database authentication
    /// ARNs name.
    pub fn cluster_resource_id(&self) -> Value<String> {
        self.local(
            self.primary_cluster.attr_db_cluster_resource_id(),
            self.secondary_cluster.attr_db_cluster_resource_id(),
        )
    }

    /// The region's cluster ARN.
    pub fn cluster_arn(&self) -> Value<String> {
        self.local(self.primary_cluster.attr_db_cluster_arn(), self.secondary_cluster.attr_db_cluster_arn())
    }

    /// The region's cluster endpoint: the writer in the primary region (in a secondary region it
    /// answers only after a failover or switchover made it the primary).
    pub fn endpoint(&self) -> Value<String> {
        self.local(self.primary_cluster.attr_endpoint_address(), self.secondary_cluster.attr_endpoint_address())
    }

    /// The region's reader endpoint (local reads in every region).
    pub fn reader_endpoint(&self) -> Value<String> {
        self.local(
            self.primary_cluster.attr_read_endpoint_address(),
            self.secondary_cluster.attr_read_endpoint_address(),
        )
    }
}
