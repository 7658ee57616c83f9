//! The `serde` feature: the vocabulary types read from a config file as an app writes it, and
//! reject what they do not know.

use haplat_constructs::aurora;
use haplat_constructs::global_table::{Billing, Capacity, KeyAttr, TableIndex};
use haplat_constructs::network::NatMode;
use haplat_constructs::service::Deployment;
use haplat_constructs::{DrMode, RegionRole, RegionSpec};
use serde_json::json;

fn from<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, String> {
    serde_json::from_value(v).map_err(|e| e.to_string())
}

#[test]
fn regions_and_modes_read_in_kebab_case() {
    let regions: Vec<RegionSpec> = from(json!([
        { "region": "us-east-1", "role": "primary" },
        { "region": "eu-west-1", "role": "secondary", "cidr": "10.1.0.0/16" },
    ]))
    .unwrap();
    assert_eq!(
        regions,
        [RegionSpec::primary("us-east-1"), RegionSpec::secondary("eu-west-1").with_cidr("10.1.0.0/16")]
    );
    assert_eq!(from::<DrMode>(json!("active-passive")).unwrap(), DrMode::ActivePassive);
    assert_eq!(from::<RegionRole>(json!("secondary")).unwrap(), RegionRole::Secondary);
    assert_eq!(from::<NatMode>(json!("per-az")).unwrap(), NatMode::PerAz);
    // What serializes reads back.
    let back = serde_json::to_value(&regions).unwrap();
    assert_eq!(back[1], json!({ "region": "eu-west-1", "role": "secondary", "cidr": "10.1.0.0/16" }));
    assert_eq!(serde_json::to_value(DrMode::ActiveActive).unwrap(), json!("active-active"));
}

#[test]
fn unknown_values_and_fields_are_rejected() {
    let e = from::<DrMode>(json!("sideways")).unwrap_err();
    assert!(e.contains("unknown variant `sideways`, expected `active-active` or `active-passive`"), "{e}");
    let e = from::<RegionSpec>(json!({ "region": "us-east-1", "role": "leader" })).unwrap_err();
    assert!(e.contains("unknown variant `leader`"), "{e}");
    let e = from::<RegionSpec>(json!({ "region": "us-east-1", "role": "primary", "vpc": "x" })).unwrap_err();
    assert!(e.contains("unknown field `vpc`"), "{e}");
    let e = from::<RegionSpec>(json!({ "region": "us-east-1" })).unwrap_err();
    assert!(e.contains("missing field `role`"), "{e}");
}

#[test]
fn tables_capacities_and_deployments_read_as_written() {
    let index: TableIndex = from(json!({
        "name": "byCustomer",
        "partition_key": { "name": "customerId", "type": "string" },
        "sort_key": { "name": "createdAt", "type": "number" },
    }))
    .unwrap();
    assert_eq!(index, TableIndex::new("byCustomer", KeyAttr::string("customerId"), Some(KeyAttr::number("createdAt"))));
    let billing: Billing = from(json!({ "provisioned": {
        "read": { "min": 5, "max": 50, "target_utilization": 70.0 },
        "write": { "min": 5, "max": 20, "target_utilization": 70.0 },
    }}))
    .unwrap();
    assert_eq!(billing, Billing::Provisioned { read: Capacity::new(5, 50), write: Capacity::new(5, 20) });
    assert_eq!(from::<Billing>(json!("on-demand")).unwrap(), Billing::OnDemand);
    assert_eq!(
        from::<aurora::Capacity>(json!({ "serverless-v2": { "min_acu": 0.5, "max_acu": 8.0 } })).unwrap(),
        aurora::Capacity::ServerlessV2 { min_acu: 0.5, max_acu: 8.0 }
    );
    assert_eq!(
        from::<Deployment>(json!({ "linear": { "step_percent": 10.0, "step_minutes": 3 } })).unwrap(),
        Deployment::Linear { step_percent: 10.0, step_minutes: 3 }
    );
    assert_eq!(from::<Deployment>(json!("rolling")).unwrap(), Deployment::Rolling);
}

#[test]
fn the_schema_describes_the_yaml_spelling() {
    let schema = serde_json::to_value(schemars::schema_for!(RegionSpec)).unwrap();
    assert_eq!(schema["additionalProperties"], json!(false));
    assert_eq!(schema["required"], json!(["region", "role"]));
    let roles = serde_json::to_string(&schema["$defs"]["RegionRole"]).unwrap();
    assert!(roles.contains("\"primary\"") && roles.contains("\"secondary\""), "{roles}");
    assert!(roles.contains("the region traffic fails over from"), "doc comments describe the values: {roles}");
}
