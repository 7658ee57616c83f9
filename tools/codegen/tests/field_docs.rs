//! Every field of the generated structs has a doc comment, and create-only properties say that
//! changing them replaces the resource, nested ones by their path.

use std::fs;

use haplat_codegen::{emit, fixups, model, services};

fn module_file(type_name: &str) -> String {
    let file = services::schema_file(type_name);
    let text = fs::read_to_string(haplat_codegen::schemas_dir().join(&file)).expect("vendored schema");
    let mut schema: serde_json::Value = serde_json::from_str(&text).expect("schema JSON");
    fixups::apply(type_name, &mut schema).expect("fixups apply");
    let extra = fixups::extra_get_atts(type_name, &schema).expect("get-att fixups apply");
    let service = type_name.split("::").nth(1).expect("service");
    emit::module_file(&model::build(&schema, service, &file, false, &extra).expect("model"))
}

fn undocumented_fields(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    lines
        .windows(2)
        .filter(|w| w[1].starts_with("    pub ") && w[1].contains(": ") && !w[0].trim_start().starts_with("///"))
        .map(|w| w[1].trim().to_owned())
        .collect()
}

#[test]
fn every_field_is_documented() {
    for t in ["AWS::EC2::VPC", "AWS::EC2::SpotFleet", "AWS::ECS::TaskDefinition", "AWS::DynamoDB::GlobalTable"] {
        let text = module_file(t);
        assert_eq!(undocumented_fields(&text), Vec::<String>::new(), "{t}");
    }
    let vpc = module_file("AWS::EC2::VPC");
    assert!(vpc.contains(
        "    /// CloudFormation property `LambdaExclusion`; the schema does not describe it.\n    pub lambda_exclusion:"
    ));
}

#[test]
fn create_only_fields_say_so() {
    let vpc = module_file("AWS::EC2::VPC");
    assert!(vpc.contains("    /// Changing it replaces the resource.\n    pub cidr_block:"));
    let fleet = module_file("AWS::EC2::SpotFleet");
    assert!(fleet.contains("    /// Changing it (as `SpotFleetRequestConfigData.IamFleetRole`) replaces the resource.\n    pub iam_fleet_role:"));
}

#[test]
fn placeholder_version_is_not_in_the_header() {
    let table = module_file("AWS::DynamoDB::GlobalTable");
    assert!(!table.contains("Version: None"));
    assert!(table.contains("/// Resource Type definition for AWS::DynamoDB::GlobalTable"));
}
