//! Where a resource may be created: global tables created once, from a region among their
//! replicas (HAP014); what CloudFront uses must be in us-east-1 (HAP015); account-wide names in a
//! stack set deployed to several regions (HAP016); a global table changed by more than one replica
//! in one update (HAP019).

use serde_json::Value as Json;

use crate::assembly::{Assembly, fixed_text, list};
use crate::rule::Findings;

pub(crate) fn global_table_regions(a: &Assembly, f: &mut Findings) {
    for t in a.of_type("AWS::DynamoDB::GlobalTable") {
        let replicas: Vec<String> = t
            .prop("Replicas")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("Region").and_then(Json::as_str).map(str::to_owned))
            .collect();
        let regions = t.regions();
        if regions.len() > 1 {
            f.at(
                &t,
                regions.clone(),
                format!(
                    "the global table is declared in a stack set deployed to {}: each stack instance creates the \
                     same table with all its replicas, so every instance after the first fails (the table \
                     exists); declare it in a stack deployed to one region, with the others as replicas",
                    list(&regions)
                ),
            );
            continue;
        }
        let missing: Vec<String> = regions.into_iter().filter(|r| !replicas.contains(r)).collect();
        if !missing.is_empty() && !replicas.is_empty() {
            f.at(
                &t,
                missing.clone(),
                format!(
                    "the stack is deployed to {} but the replicas are {}: CloudFormation refuses it (\"The \
                     Replicas section must contain an entry for the current region\")",
                    list(&missing),
                    list(&replicas)
                ),
            );
        }
    }
}

/// The replica regions of a global table's `Properties`.
fn replica_regions(props: Option<&Json>) -> std::collections::BTreeSet<String> {
    props
        .and_then(|p| p.get("Replicas"))
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("Region").and_then(Json::as_str).map(str::to_owned))
        .collect()
}

pub(crate) fn global_table_replica_changes(a: &Assembly, f: &mut Findings) {
    for t in a.of_type("AWS::DynamoDB::GlobalTable") {
        let Some(deployed) = a.deployed(&t) else { continue };
        let before = replica_regions(deployed.get("Properties"));
        let after = replica_regions(Some(t.props()));
        let added: Vec<String> = after.difference(&before).cloned().collect();
        let removed: Vec<String> = before.difference(&after).cloned().collect();
        if added.len() + removed.len() <= 1 {
            continue;
        }
        let mut what = Vec::new();
        if !added.is_empty() {
            what.push(format!("adds {}", list(&added)));
        }
        if !removed.is_empty() {
            what.push(format!("removes {}", list(&removed)));
        }
        f.at(
            &t,
            vec![],
            format!(
                "this update {} at once, and CloudFormation adds or removes only one replica of a global table \
                 per update: the stack update fails (and may leave a replica to delete by hand); change one \
                 region per deploy",
                what.join(" and ")
            ),
        );
    }
}

const US_EAST_1: &str = "us-east-1";

pub(crate) fn cloudfront_us_east_1(a: &Assembly, f: &mut Findings) {
    for acl in a.of_type("AWS::WAFv2::WebACL") {
        if acl.prop_str("Scope") != Some("CLOUDFRONT") {
            continue;
        }
        let elsewhere: Vec<String> = acl.regions().into_iter().filter(|r| r != US_EAST_1).collect();
        if !elsewhere.is_empty() {
            f.at(
                &acl,
                elsewhere.clone(),
                format!(
                    "a web ACL with Scope CLOUDFRONT can only be created in us-east-1; this stack also creates it \
                     in {}, where the create fails",
                    list(&elsewhere)
                ),
            );
        }
    }
    for d in a.of_type("AWS::CloudFront::Distribution") {
        let config = d.prop("DistributionConfig");
        let cert = config.and_then(|c| c.get("ViewerCertificate")).and_then(|v| v.get("AcmCertificateArn"));
        if let Some(cert) = cert.and_then(|v| a.target(d.stack, v)) {
            let elsewhere: Vec<String> = cert.regions().into_iter().filter(|r| r != US_EAST_1).collect();
            if !elsewhere.is_empty() {
                f.at(
                    &d,
                    vec![],
                    format!(
                        "uses the certificate {} made in {}: CloudFront accepts only ACM certificates from us-east-1",
                        cert.path(),
                        list(&elsewhere)
                    ),
                );
            }
        }
        let mut behaviours: Vec<&Json> =
            config.and_then(|c| c.get("CacheBehaviors")).and_then(Json::as_array).into_iter().flatten().collect();
        behaviours.extend(config.and_then(|c| c.get("DefaultCacheBehavior")));
        for b in behaviours {
            for assoc in b.get("LambdaFunctionAssociations").and_then(Json::as_array).into_iter().flatten() {
                let Some(func) = assoc.get("LambdaFunctionARN").and_then(|v| a.target(d.stack, v)) else { continue };
                let elsewhere: Vec<String> = func.regions().into_iter().filter(|r| r != US_EAST_1).collect();
                if !elsewhere.is_empty() {
                    f.at(
                        &d,
                        vec![],
                        format!(
                            "associates {} (made in {}) with a cache behaviour: Lambda@Edge functions must be \
                             created in us-east-1",
                            func.path(),
                            list(&elsewhere)
                        ),
                    );
                }
            }
        }
    }
}

/// Name properties that are unique per account (IAM) or globally (S3), not per region.
const ACCOUNT_WIDE: &[(&str, &str)] = &[
    ("AWS::IAM::Role", "RoleName"),
    ("AWS::IAM::ManagedPolicy", "ManagedPolicyName"),
    ("AWS::IAM::User", "UserName"),
    ("AWS::IAM::Group", "GroupName"),
    ("AWS::IAM::InstanceProfile", "InstanceProfileName"),
    ("AWS::S3::Bucket", "BucketName"),
    ("AWS::RDS::GlobalCluster", "GlobalClusterIdentifier"),
];

pub(crate) fn account_wide_names(a: &Assembly, f: &mut Findings) {
    for r in a.resources() {
        let Some((_, prop)) = ACCOUNT_WIDE.iter().find(|(t, _)| *t == r.type_name()) else { continue };
        let regions = r.regions();
        if regions.len() < 2 {
            continue;
        }
        let Some(name) = r.prop(prop).and_then(fixed_text) else { continue };
        if name.contains("${AWS::Region}") || name.contains("${RegionConfig value}") {
            continue;
        }
        f.at(
            &r,
            regions.clone(),
            format!(
                "{prop} {name:?} is unique across the account (or, for buckets, all of AWS), but the stack set \
                 creates it in each of {}: the instance after the first fails because the name exists; put the \
                 region in the name or let CloudFormation name it",
                list(&regions)
            ),
        );
    }
}
