//! What happens at delete: deletion protection against a policy that deletes (HAP001), retained
//! resources whose network CloudFormation then tries to delete (HAP002), and retained resources
//! whose fixed names collide on the next deploy (HAP003).

use serde_json::Value as Json;

use crate::assembly::{Assembly, Res, fixed_text, is_true, list, refs_in};
use crate::rule::Findings;

/// The stack parameter `haplat destroy` sets to `false` (with the previous template, every other
/// parameter kept) and waits for before it deletes a stack set's instances; `haplat deploy`
/// passes its Default, `true`. Protection bound to it is lifted before the delete.
pub const DELETION_PROTECTION_PARAMETER: &str = "HaplatDeletionProtection";

/// Whether a deletion-protection value is, or may be, on when the stack is deleted: a literal
/// `true`, or an intrinsic that may give `true`, unless it is bound to
/// [`DELETION_PROTECTION_PARAMETER`] (`Ref` to it, or `Fn::If` over a condition that reads it
/// with `false` as the other branch), which destroy lifts first.
fn on_at_delete(t: &Json, v: Option<&Json>) -> bool {
    let Some(v) = v else { return false };
    if is_true(Some(v)) {
        return true;
    }
    let Some(obj) = v.as_object().filter(|o| o.len() == 1) else { return false };
    let declared = t.get("Parameters").and_then(|p| p.get(DELETION_PROTECTION_PARAMETER)).is_some();
    if let Some(Json::String(name)) = obj.get("Ref") {
        return !(declared && name == DELETION_PROTECTION_PARAMETER);
    }
    if let Some(Json::Array(args)) = obj.get("Fn::If")
        && let [Json::String(cond), then, otherwise] = args.as_slice()
    {
        let reads_it = t
            .get("Conditions")
            .and_then(|c| c.get(cond))
            .is_some_and(|c| refs_in(c).contains(DELETION_PROTECTION_PARAMETER));
        if declared && reads_it && !on_at_delete(t, Some(otherwise)) {
            return false;
        }
        return on_at_delete(t, Some(then)) || on_at_delete(t, Some(otherwise));
    }
    // Any other intrinsic (a parameter, a mapping) may give true: only destroy's parameter is lifted.
    true
}

/// What deletion protection a resource has on, if any (as the property that turns it on).
fn protection(r: &Res<'_>) -> Option<(String, Vec<String>)> {
    let t = &r.stack_t.template;
    let is_true = |v: Option<&Json>| on_at_delete(t, v);
    match r.type_name() {
        "AWS::ElasticLoadBalancingV2::LoadBalancer" => {
            let attrs = r.prop("LoadBalancerAttributes")?.as_array()?;
            attrs
                .iter()
                .any(|a| {
                    a.get("Key").and_then(Json::as_str) == Some("deletion_protection.enabled")
                        && is_true(a.get("Value"))
                })
                .then(|| {
                    (
                        "LoadBalancerAttributes deletion_protection.enabled=true (not bound to the parameter `haplat \
                      destroy` lifts)"
                            .to_owned(),
                        vec![],
                    )
                })
        }
        "AWS::RDS::DBCluster"
        | "AWS::RDS::DBInstance"
        | "AWS::RDS::GlobalCluster"
        | "AWS::DocDB::DBCluster"
        | "AWS::Neptune::DBCluster" => is_true(r.prop("DeletionProtection")).then(|| {
            ("DeletionProtection: true (not bound to the parameter `haplat destroy` lifts)".to_owned(), vec![])
        }),
        "AWS::DynamoDB::Table" => {
            is_true(r.prop("DeletionProtectionEnabled")).then(|| ("DeletionProtectionEnabled: true".to_owned(), vec![]))
        }
        "AWS::DynamoDB::GlobalTable" => {
            let regions: Vec<String> = r
                .prop("Replicas")?
                .as_array()?
                .iter()
                .filter(|rep| is_true(rep.get("DeletionProtectionEnabled")))
                .map(|rep| rep.get("Region").and_then(Json::as_str).unwrap_or("a replica").to_owned())
                .collect();
            (!regions.is_empty())
                .then(|| (format!("DeletionProtectionEnabled: true on the replicas in {}", list(&regions)), regions))
        }
        "AWS::Cognito::UserPool" => (r.prop_str("DeletionProtection") == Some("ACTIVE"))
            .then(|| ("DeletionProtection: ACTIVE".to_owned(), vec![])),
        "AWS::EC2::Instance" => {
            is_true(r.prop("DisableApiTermination")).then(|| ("DisableApiTermination: true".to_owned(), vec![]))
        }
        _ => None,
    }
}

pub(crate) fn deletion_protection(a: &Assembly, f: &mut Findings) {
    for r in a.resources() {
        let Some((what, regions)) = protection(&r) else { continue };
        if !r.deleted_with_stack() {
            continue;
        }
        f.at(
            &r,
            regions,
            format!(
                "{} has {what} and {}: deleting the stack (`haplat destroy`), or an update that removes it, \
                 ends in DELETE_FAILED, and the subnets, security groups and VPC it sits in fail behind it",
                r.type_name(),
                r.policy_text()
            ),
        );
    }
}

/// Network resources that cannot be deleted while something retained still uses them.
const NETWORK: &[&str] = &[
    "AWS::EC2::Subnet",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::VPC",
    "AWS::RDS::DBSubnetGroup",
    "AWS::ElastiCache::SubnetGroup",
    "AWS::DocDB::DBSubnetGroup",
    "AWS::Neptune::DBSubnetGroup",
];

pub(crate) fn retained_network(a: &Assembly, f: &mut Findings) {
    for r in a.resources() {
        if !r.retained() || NETWORK.contains(&r.type_name()) {
            continue;
        }
        let mut blocked = Vec::new();
        for name in refs_in(r.props()) {
            let Some(dep) = a.res(r.stack, &name) else { continue };
            if NETWORK.contains(&dep.type_name()) && dep.deleted_with_stack() {
                blocked.push(format!("{} ({})", dep.path(), dep.type_name()));
            }
        }
        if blocked.is_empty() {
            continue;
        }
        blocked.sort();
        f.at(
            &r,
            vec![],
            format!(
                "{} is kept ({}) but uses {}, which CloudFormation deletes with the stack: while the kept \
                 resource holds them (network interfaces, subnet group membership) those deletes fail \
                 (DependencyViolation, InvalidDBSubnetGroupStateFault) and the stack ends in DELETE_FAILED",
                r.type_name(),
                r.policy_text(),
                list(&blocked)
            ),
        );
    }
}

/// Members that a container cannot be deleted with: (member type, the property naming its
/// container, container type, what the service says).
const MEMBERS: &[(&str, &str, &str, &str)] = &[
    (
        "AWS::RDS::DBInstance",
        "DBClusterIdentifier",
        "AWS::RDS::DBCluster",
        "a DB cluster that still contains DB instances cannot be deleted (InvalidDBClusterStateFault)",
    ),
    (
        "AWS::RDS::DBCluster",
        "GlobalClusterIdentifier",
        "AWS::RDS::GlobalCluster",
        "a global cluster that still has member clusters cannot be deleted (InvalidGlobalClusterStateFault)",
    ),
];

pub(crate) fn retained_member(a: &Assembly, f: &mut Findings) {
    for &(member, property, container, why) in MEMBERS {
        for r in a.of_type(member) {
            if !r.retained() {
                continue;
            }
            let Some(v) = r.prop(property) else { continue };
            let deleted: Vec<String> = refs_in(v)
                .iter()
                .filter_map(|name| a.res(r.stack, name))
                .filter(|c| c.type_name() == container && c.deleted_with_stack())
                .map(|c| format!("{} ({})", c.path(), c.deletion_policy().unwrap_or("Delete")))
                .collect();
            if deleted.is_empty() {
                continue;
            }
            f.at(
                &r,
                vec![],
                format!(
                    "is kept ({}) but belongs to {}, which CloudFormation deletes with the stack: {why}, so that \
                     delete fails and the stack ends in DELETE_FAILED; delete the member with its container (its data \
                     is the container's), or keep both",
                    r.policy_text(),
                    list(&deleted)
                ),
            );
        }
    }
}

/// Name properties whose value, kept after a destroy, blocks creating the resource again.
const NAMES: &[(&str, &str, &str)] = &[
    ("AWS::Backup::BackupVault", "BackupVaultName", "backup vault"),
    ("AWS::SecretsManager::Secret", "Name", "secret"),
    ("AWS::Logs::LogGroup", "LogGroupName", "log group"),
    ("AWS::RDS::DBCluster", "DBClusterIdentifier", "DB cluster identifier"),
    ("AWS::RDS::GlobalCluster", "GlobalClusterIdentifier", "global cluster identifier"),
    ("AWS::RDS::DBInstance", "DBInstanceIdentifier", "DB instance identifier"),
    ("AWS::DynamoDB::Table", "TableName", "table"),
    ("AWS::DynamoDB::GlobalTable", "TableName", "global table"),
    ("AWS::S3::Bucket", "BucketName", "bucket"),
    ("AWS::SQS::Queue", "QueueName", "queue"),
    ("AWS::SNS::Topic", "TopicName", "topic"),
    ("AWS::ECR::Repository", "RepositoryName", "repository"),
    ("AWS::KMS::Alias", "AliasName", "key alias"),
    ("AWS::SSM::Parameter", "Name", "parameter"),
    ("AWS::IAM::Role", "RoleName", "role"),
    ("AWS::Cognito::UserPool", "UserPoolName", "user pool"),
];

/// A kept resource's fixed name that creating it again would collide with: (the kind of name,
/// the name property, the name), or `None` when the type has no such name or the template lets
/// CloudFormation generate it. `haplat destroy` uses it to say which kept names block the next
/// deploy.
pub fn fixed_name(type_name: &str, properties: &Json) -> Option<(&'static str, &'static str, String)> {
    let (_, prop, what) = NAMES.iter().find(|(t, _, _)| *t == type_name)?;
    let name = properties.get(*prop).and_then(fixed_text)?;
    Some((what, prop, name))
}

pub(crate) fn retained_fixed_names(a: &Assembly, f: &mut Findings) {
    for r in a.resources() {
        if !r.retained() {
            continue;
        }
        let Some((what, prop, name)) = fixed_name(r.type_name(), r.props()) else { continue };
        let mut regions = r.regions();
        // A secret's replicas hold the name in their regions too.
        if let Some(Json::Array(replicas)) = r.prop("ReplicaRegions") {
            for rep in replicas {
                if let Some(region) = rep.get("Region").and_then(Json::as_str)
                    && !regions.iter().any(|x| x == region)
                {
                    regions.push(region.to_owned());
                }
            }
        }
        // A global table's replicas are tables of the same name in each replica region.
        if let Some(Json::Array(replicas)) = r.prop("Replicas") {
            for rep in replicas {
                if let Some(region) = rep.get("Region").and_then(Json::as_str)
                    && !regions.iter().any(|x| x == region)
                {
                    regions.push(region.to_owned());
                }
            }
        }
        f.at(
            &r,
            regions.clone(),
            format!(
                "the {what} {name:?} ({prop}) is kept after destroy ({}); deploying the stack again, or \
                 adding a region, fails in {} because a {what} of that name already exists: delete or \
                 import it first, or let CloudFormation name it",
                r.policy_text(),
                list(&regions)
            ),
        );
    }
}
