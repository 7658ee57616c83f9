//! A DynamoDB global table (`AWS::DynamoDB::GlobalTable`) in its home region's stack with a
//! replica in every other region of the platform: keys and global secondary indexes, on-demand
//! by default or provisioned with autoscaling, point-in-time recovery, KMS encryption, streams
//! (`NEW_AND_OLD_IMAGES`, which global tables need), TTL, deletion protection and `Retain`.
//!
//! ## Encryption
//!
//! Every replica is encrypted with KMS. By default ([`TableEncryption::AwsManagedKey`]) that is
//! the AWS managed key `alias/aws/dynamodb` of each region: nothing to deploy first, but its
//! policy cannot be changed and its use is not separately auditable. A customer managed key in
//! each region ([`TableEncryption::CustomerManaged`]) needs the keys to exist before the table:
//! [`RegionalKeys`](crate::kms::RegionalKeys) adds one rotating key to a stack set, and the table's stack reads each
//! region's key ARN from it through a cross-stack binding, so the keys' stack set deploys in an
//! earlier wave.
//!
//! ## Access
//!
//! [`GlobalTable`] implements [`Grantable`]: `read` and `read_write` name the table and each of
//! its indexes by ARN, built with `Fn::Sub` over the grantee's own region, account and
//! partition, so a task role in any region of the platform is granted on its own replica only.
//!
//! ```
//! use haplat_core::App;
//! use haplat_constructs::global_table::{GlobalTable, GlobalTableProps, KeyAttr, TableEncryption};
//! use haplat_constructs::kms::RegionalKeys;
//! use haplat_constructs::security::Grantable;
//!
//! let app = App::new("shop");
//! let regions = ["us-east-1", "us-west-2"];
//! let keys = RegionalKeys::new(&app.stack_set("Keys", &regions), "TableKeys");
//! let data = app.stack("Data", "us-east-1");
//! let mut props = GlobalTableProps::new(KeyAttr::string("pk"), &regions);
//! props.sort_key = Some(KeyAttr::string("sk"));
//! props.ttl_attribute = Some("expiresAt".into());
//! props.encryption = TableEncryption::CustomerManaged(keys.arns());
//! let table = GlobalTable::new(&data, "Orders", props);
//! assert_eq!(table.read_write().actions.len(), 10);
//!
//! let assembly = app.synth().unwrap();
//! let t = assembly.template("shop-Data").unwrap();
//! let (_, res) = t["Resources"].as_object().unwrap().iter()
//!     .find(|(_, r)| r["Type"] == "AWS::DynamoDB::GlobalTable").unwrap();
//! assert_eq!(res["DeletionPolicy"], "Retain");
//! assert_eq!(res["Properties"]["Replicas"].as_array().unwrap().len(), 2);
//! assert_eq!(res["Properties"]["StreamSpecification"]["StreamViewType"], "NEW_AND_OLD_IMAGES");
//! ```

use std::collections::BTreeMap;

use haplat_core::resources::dynamodb::global_table::{
    AttributeDefinition, AttributeType, BillingMode, CapacityAutoScalingSettings, GlobalSecondaryIndex,
    GlobalTable as CfnGlobalTable, KeySchema, KeyType, PointInTimeRecoverySpecification, Projection, ProjectionType,
    ReadProvisionedThroughputSettings, ReplicaGlobalSecondaryIndexSpecification, ReplicaSpecification,
    ReplicaSseSpecification, SseSpecification, SseType, StreamSpecification, StreamViewType, Tag,
    TargetTrackingScalingPolicyConfiguration, TimeToLiveSpecification, WriteProvisionedThroughputSettings,
};
use haplat_core::value::{List, Value};
use haplat_core::{Handle, Scope};

use crate::metrics::TableMetrics;
use crate::security::{Grantable, Permission};

/// The type of a key attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum KeyAttrType {
    /// `S`
    String,
    /// `N`
    Number,
    /// `B`
    Binary,
}

/// A key attribute: name and type.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct KeyAttr {
    /// The attribute name.
    pub name: String,
    /// Its type.
    #[cfg_attr(feature = "serde", serde(rename = "type"))]
    pub ty: KeyAttrType,
}

impl KeyAttr {
    /// A string attribute.
    pub fn string(name: &str) -> Self {
        KeyAttr { name: name.to_owned(), ty: KeyAttrType::String }
    }
    /// A number attribute.
    pub fn number(name: &str) -> Self {
        KeyAttr { name: name.to_owned(), ty: KeyAttrType::Number }
    }
    /// A binary attribute.
    pub fn binary(name: &str) -> Self {
        KeyAttr { name: name.to_owned(), ty: KeyAttrType::Binary }
    }
    fn attribute_type(&self) -> AttributeType {
        match self.ty {
            KeyAttrType::String => AttributeType::S,
            KeyAttrType::Number => AttributeType::N,
            KeyAttrType::Binary => AttributeType::B,
        }
    }
}

/// A global secondary index.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct TableIndex {
    /// The index name.
    pub name: String,
    /// Its partition key.
    pub partition_key: KeyAttr,
    /// Its sort key.
    pub sort_key: Option<KeyAttr>,
    /// Non-key attributes projected into the index; `None` projects all attributes, an empty
    /// list only the keys.
    pub projection: Option<Vec<String>>,
}

impl TableIndex {
    /// An index projecting every attribute.
    pub fn new(name: &str, partition_key: KeyAttr, sort_key: Option<KeyAttr>) -> Self {
        TableIndex { name: name.to_owned(), partition_key, sort_key, projection: None }
    }
}

/// Autoscaled capacity of one kind (reads or writes).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Capacity {
    /// Fewest capacity units.
    pub min: i64,
    /// Most capacity units.
    pub max: i64,
    /// Target utilization, percent (70).
    pub target_utilization: f64,
}

impl Capacity {
    /// Between `min` and `max` units at 70 % utilization.
    pub fn new(min: i64, max: i64) -> Self {
        Capacity { min, max, target_utilization: 70.0 }
    }
    fn settings(&self) -> CapacityAutoScalingSettings {
        CapacityAutoScalingSettings {
            min_capacity: self.min.into(),
            max_capacity: self.max.into(),
            seed_capacity: None,
            target_tracking_scaling_policy_configuration: TargetTrackingScalingPolicyConfiguration {
                target_value: self.target_utilization.into(),
                ..Default::default()
            },
        }
    }
}

/// How the table pays for capacity.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Billing {
    /// On demand (`PAY_PER_REQUEST`).
    #[default]
    OnDemand,
    /// Provisioned with target-tracking autoscaling (applied to the table and every index; reads
    /// per replica, writes shared by all replicas).
    Provisioned {
        /// Read capacity of each replica.
        read: Capacity,
        /// Write capacity of the table.
        write: Capacity,
    },
}

/// Which KMS key encrypts each replica.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum TableEncryption {
    /// The AWS managed key `alias/aws/dynamodb` of each region.
    #[default]
    AwsManagedKey,
    /// A customer managed key per region: region → key ARN (or id, or alias). Every replica
    /// region needs one. See [`RegionalKeys`](crate::kms::RegionalKeys).
    CustomerManaged(BTreeMap<String, Value<String>>),
}

/// What a [`GlobalTable`] holds and where.
#[derive(Clone, Debug, PartialEq)]
pub struct GlobalTableProps {
    /// The partition key.
    pub partition_key: KeyAttr,
    /// The sort key. Default: none.
    pub sort_key: Option<KeyAttr>,
    /// Global secondary indexes. Default: none.
    pub indexes: Vec<TableIndex>,
    /// Every region with a replica, the home region (the stack's) included.
    pub regions: Vec<String>,
    /// Capacity. Default: [`Billing::OnDemand`].
    pub billing: Billing,
    /// Encryption. Default: [`TableEncryption::AwsManagedKey`].
    pub encryption: TableEncryption,
    /// The TTL attribute (epoch seconds), if items expire. Default: none.
    pub ttl_attribute: Option<String>,
    /// The table's name. Default: `None`, a name CloudFormation makes.
    pub table_name: Option<String>,
    /// Deletion protection on every replica. Default: `true`.
    pub deletion_protection: bool,
    /// Tags of every replica (`backup` = `daily`, say, for a backup plan selecting by tag).
    /// Default: none.
    pub tags: Vec<(String, String)>,
}

impl GlobalTableProps {
    /// On demand, AWS managed key, protected, with a replica in each region.
    pub fn new<S: AsRef<str>>(partition_key: KeyAttr, regions: &[S]) -> Self {
        GlobalTableProps {
            partition_key,
            sort_key: None,
            indexes: Vec::new(),
            regions: regions.iter().map(|r| r.as_ref().to_owned()).collect(),
            billing: Billing::OnDemand,
            encryption: TableEncryption::AwsManagedKey,
            ttl_attribute: None,
            table_name: None,
            deletion_protection: true,
            tags: Vec::new(),
        }
    }
}

/// A DynamoDB global table (see the [module](self) docs).
#[derive(Clone, Debug)]
pub struct GlobalTable {
    /// The L1 resource.
    pub table: Handle<CfnGlobalTable>,
    /// The regions of its replicas.
    pub regions: Vec<String>,
    /// The index names.
    pub index_names: Vec<String>,
    /// The construct path.
    pub path: String,
    /// Its logical id in the construct tree (`Data/Orders`).
    id: String,
}

impl GlobalTable {
    /// Adds the table at `scope/id`. The stack must be a single-region stack in one of the
    /// replica regions (the home region).
    pub fn new(scope: &Scope, id: &str, props: GlobalTableProps) -> GlobalTable {
        let stack = scope.stack();
        let scope = scope.child(id);
        let home = stack.regions();
        if stack.is_stack_set() || home.len() != 1 {
            scope.error(format!(
                "a global table lives in one region's stack; {} is a stack set over {}: put the table in a stack of its home region",
                stack.id(),
                home.join(", ")
            ));
        }
        let mut regions = props.regions.clone();
        if let Some(h) = home.first() {
            if !regions.contains(h) {
                scope.error(format!(
                    "the table's stack is in {h}, which is not among its replica regions ({}); the home region needs a replica",
                    regions.join(", ")
                ));
            }
            // The home replica first.
            regions.sort_by_key(|r| r != h);
        }
        for p in haplat_core::validate::region_list_problems("replica regions", &regions) {
            scope.error(p);
        }
        if let Some(name) = &props.table_name {
            let ok =
                (3..=255).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
            if !ok {
                scope.error(format!("table name {name:?}: use 3 to 255 of A-Z a-z 0-9 _ . -"));
            }
        }
        if let Some(ttl) = &props.ttl_attribute
            && ttl.is_empty()
        {
            scope.error("the TTL attribute name is empty");
        }
        if let TableEncryption::CustomerManaged(keys) = &props.encryption {
            let missing: Vec<&str> = regions.iter().filter(|r| !keys.contains_key(*r)).map(String::as_str).collect();
            if !missing.is_empty() {
                scope.error(format!("no customer managed key given for the replica in {}", missing.join(", ")));
            }
        }
        if let Billing::Provisioned { read, write } = &props.billing {
            for (what, c) in [("read", read), ("write", write)] {
                if c.min < 1 || c.max < c.min {
                    scope.error(format!("{what} capacity {}..{} : need 1 <= min <= max", c.min, c.max));
                }
                if !(20.0..=90.0).contains(&c.target_utilization) {
                    scope.error(format!("{what} target utilization {}% : use 20 to 90", c.target_utilization));
                }
            }
        }

        // Attribute definitions: every key attribute of the table and its indexes, once.
        let mut attrs: Vec<KeyAttr> = Vec::new();
        let mut define = |a: &KeyAttr, scope: &Scope| {
            // DynamoDB: a key attribute's name is 1 to 255 bytes.
            if !(1..=255).contains(&a.name.len()) {
                scope.error(format!("key attribute name of {} bytes; DynamoDB takes 1 to 255", a.name.len()));
            }
            match attrs.iter().find(|x| x.name == a.name) {
                Some(x) if x.ty != a.ty => scope.error(format!("attribute {} is used as two types", a.name)),
                Some(_) => {}
                None => attrs.push(a.clone()),
            }
        };
        define(&props.partition_key, &scope);
        if let Some(s) = &props.sort_key {
            define(s, &scope);
        }
        let mut index_names = Vec::new();
        for ix in &props.indexes {
            // DynamoDB: 3 to 255 of A-Z a-z 0-9 _ . -
            let ok = (3..=255).contains(&ix.name.len())
                && ix.name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
            if !ok {
                scope.error(format!(
                    "index name {:?}: use 3 to 255 of A-Z a-z 0-9 _ . -",
                    ix.name.chars().take(64).collect::<String>()
                ));
            }
            if index_names.contains(&ix.name) {
                scope.error(format!("index {} is defined twice", ix.name));
            }
            index_names.push(ix.name.clone());
            define(&ix.partition_key, &scope);
            if let Some(s) = &ix.sort_key {
                define(s, &scope);
            }
        }

        let provisioned = match &props.billing {
            Billing::OnDemand => None,
            Billing::Provisioned { read, write } => Some((read.clone(), write.clone())),
        };
        let write_settings = |w: &Capacity| WriteProvisionedThroughputSettings {
            write_capacity_auto_scaling_settings: Some(w.settings()),
        };
        let read_settings = |r: &Capacity| ReadProvisionedThroughputSettings {
            read_capacity_auto_scaling_settings: Some(r.settings()),
            ..Default::default()
        };

        let mut key_schema =
            vec![KeySchema { attribute_name: props.partition_key.name.clone().into(), key_type: KeyType::Hash.into() }];
        if let Some(s) = &props.sort_key {
            key_schema.push(KeySchema { attribute_name: s.name.clone().into(), key_type: KeyType::Range.into() });
        }
        let gsis: Vec<GlobalSecondaryIndex> = props
            .indexes
            .iter()
            .map(|ix| {
                let mut ks = vec![KeySchema {
                    attribute_name: ix.partition_key.name.clone().into(),
                    key_type: KeyType::Hash.into(),
                }];
                if let Some(s) = &ix.sort_key {
                    ks.push(KeySchema { attribute_name: s.name.clone().into(), key_type: KeyType::Range.into() });
                }
                let projection = match &ix.projection {
                    None => Projection { projection_type: Some(ProjectionType::All.into()), non_key_attributes: None },
                    Some(a) if a.is_empty() => {
                        Projection { projection_type: Some(ProjectionType::KeysOnly.into()), non_key_attributes: None }
                    }
                    Some(a) => Projection {
                        projection_type: Some(ProjectionType::Include.into()),
                        non_key_attributes: Some(List::items(a.iter().map(|s| Value::from(s.as_str())).collect())),
                    },
                };
                GlobalSecondaryIndex {
                    index_name: ix.name.clone().into(),
                    key_schema: List::items(ks),
                    projection,
                    write_provisioned_throughput_settings: provisioned.as_ref().map(|(_, w)| write_settings(w)),
                    ..Default::default()
                }
            })
            .collect();

        let tags: Vec<Tag> = props.tags.iter().map(|(k, v)| Tag { key: k.into(), value: v.into() }).collect();
        let replicas: Vec<ReplicaSpecification> = regions
            .iter()
            .map(|region| ReplicaSpecification {
                region: region.into(),
                point_in_time_recovery_specification: Some(PointInTimeRecoverySpecification {
                    point_in_time_recovery_enabled: Some(true.into()),
                    ..Default::default()
                }),
                deletion_protection_enabled: Some(props.deletion_protection.into()),
                sse_specification: match &props.encryption {
                    TableEncryption::AwsManagedKey => None,
                    TableEncryption::CustomerManaged(keys) => {
                        keys.get(region).map(|k| ReplicaSseSpecification { kms_master_key_id: k.clone() })
                    }
                },
                read_provisioned_throughput_settings: provisioned.as_ref().map(|(r, _)| read_settings(r)),
                global_secondary_indexes: match &provisioned {
                    Some((r, _)) if !props.indexes.is_empty() => Some(List::items(
                        props
                            .indexes
                            .iter()
                            .map(|ix| ReplicaGlobalSecondaryIndexSpecification {
                                index_name: ix.name.clone().into(),
                                read_provisioned_throughput_settings: Some(read_settings(r)),
                                ..Default::default()
                            })
                            .collect(),
                    )),
                    _ => None,
                },
                tags: (!tags.is_empty()).then(|| List::items(tags.clone())),
                ..Default::default()
            })
            .collect();

        let table = scope.add(
            "Table",
            CfnGlobalTable {
                table_name: props.table_name.as_ref().map(|n| n.into()),
                attribute_definitions: Some(List::items(
                    attrs
                        .iter()
                        .map(|a| AttributeDefinition {
                            attribute_name: a.name.clone().into(),
                            attribute_type: a.attribute_type().into(),
                        })
                        .collect(),
                )),
                key_schema: Some(List::items(key_schema)),
                global_secondary_indexes: (!gsis.is_empty()).then(|| List::items(gsis)),
                billing_mode: Some(match provisioned {
                    None => BillingMode::PayPerRequest.into(),
                    Some(_) => BillingMode::Provisioned.into(),
                }),
                write_provisioned_throughput_settings: provisioned.as_ref().map(|(_, w)| write_settings(w)),
                stream_specification: Some(StreamSpecification {
                    stream_view_type: StreamViewType::NewAndOldImages.into(),
                }),
                sse_specification: Some(SseSpecification {
                    sse_enabled: true.into(),
                    sse_type: Some(SseType::Kms.into()),
                }),
                time_to_live_specification: props
                    .ttl_attribute
                    .as_ref()
                    .map(|a| TimeToLiveSpecification { attribute_name: Some(a.into()), enabled: true.into() }),
                replicas: List::items(replicas),
                ..Default::default()
            },
        );
        GlobalTable { table, regions, index_names, path: scope.path(), id: id.to_owned() }
    }

    /// The table's name (the same in every region), as a value other stacks can use.
    pub fn table_name(&self) -> Value<String> {
        self.table.ref_()
    }

    /// The table's ARN in the region of the stack that uses it.
    pub fn arn(&self) -> Value<String> {
        Value::sub_with(
            "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Table}",
            [("Table", self.table_name())],
        )
    }

    /// The ARN of one index in the region of the stack that uses it.
    pub fn index_arn(&self, index: &str) -> Value<String> {
        Value::sub_with(
            format!(
                "arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/${{Table}}/index/{index}"
            ),
            [("Table", self.table_name())],
        )
    }

    fn resources(&self) -> Vec<Value<String>> {
        let mut r = vec![self.arn()];
        r.extend(self.index_names.iter().map(|i| self.index_arn(i)));
        r
    }

    /// What monitoring needs to watch the table's replicas.
    pub fn metrics(&self) -> TableMetrics {
        TableMetrics { name: self.id.clone(), table_name: self.table_name() }
    }
}

impl Grantable for GlobalTable {
    fn read(&self) -> Permission {
        Permission::new(
            [
                "dynamodb:BatchGetItem",
                "dynamodb:ConditionCheckItem",
                "dynamodb:DescribeTable",
                "dynamodb:GetItem",
                "dynamodb:Query",
                "dynamodb:Scan",
            ],
            self.resources(),
        )
        .only_in(&self.regions)
    }

    fn read_write(&self) -> Permission {
        self.read().and(Permission::new(
            ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            self.resources(),
        ))
    }
}
