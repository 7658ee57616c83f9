//! The name rules of `haplat_core::validate` (regions, stack names, tags) and the logical ids of
//! `haplat_core::logical_id`: stable, unique, PascalCase, within CloudFormation's limit.

use haplat_core::logical_id::logical_id;
use haplat_core::validate::{self, check_region, check_stack_name, check_tag};

#[test]
fn regions_are_known_ones_and_a_wrong_one_lists_its_neighbours() {
    assert!(check_region("eu-west-1").is_ok());
    let e = check_region("eu-west-9").unwrap_err();
    assert!(e.contains("eu-central-1, eu-central-2, eu-north-1"), "{e}");
    assert!(check_region("mars-1").unwrap_err().contains("e.g. us-east-1"));
}

#[test]
fn stack_names_follow_cloudformation_s_rules() {
    assert!(check_stack_name("shop-prod-Api").is_ok());
    assert!(check_stack_name("1shop").is_err());
    assert!(check_stack_name("shop_prod").unwrap_err().contains("'_'"));
    assert!(check_stack_name(&"a".repeat(129)).is_err());
}

#[test]
fn tags_follow_aws_s_rules() {
    assert!(check_tag("team", "sre").is_ok());
    assert!(check_tag("aws:x", "y").is_err());
    assert!(check_tag("", "y").is_err());
    assert!(check_tag("k", &"v".repeat(257)).is_err());
}

#[test]
fn stable_and_unique() {
    assert_eq!(logical_id(&["Vpc"]), "Vpc");
    assert_ne!(logical_id(&["A", "BC"]), logical_id(&["AB", "C"]));
    assert_eq!(logical_id(&["Api", "Service"]), logical_id(&["Api", "Service"]));
    // Ids of different case still differ in the hash.
    assert_ne!(logical_id(&["api", "x"]), logical_id(&["Api", "x"]));
}

#[test]
fn keeps_pascal_case_words() {
    assert!(logical_id(&["Network", "PublicSubnet1"]).starts_with("NetworkPublicSubnet1"));
    assert!(logical_id(&["net", "public-subnet-1"]).starts_with("NetPublicSubnet1"));
}

#[test]
fn fits_the_limit() {
    let long = "x".repeat(300);
    let id = logical_id(&[&long, "y"]);
    assert_eq!(id.len(), 255);
    assert!(validate::is_valid_logical_id(&id));
    assert!(validate::is_valid_logical_id(&logical_id(&["9lives"])));
    assert!(validate::is_valid_logical_id(&logical_id(&["--"])));
}
