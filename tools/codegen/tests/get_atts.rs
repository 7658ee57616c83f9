//! The `Fn::GetAtt` names of pre-registry types agree with cfn-lint 1.58.0: the lists below are
//! what `PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", T).get_atts` returns for
//! them (run with the cfn-lint of `scripts/install-tools.sh`).

use std::collections::BTreeSet;
use std::fs;

use haplat_codegen::model::{self, AttrKind, Module};
use haplat_codegen::{emit, fixups, services};

fn module(type_name: &str) -> Module {
    let file = services::schema_file(type_name);
    let text = fs::read_to_string(haplat_codegen::schemas_dir().join(&file)).expect("vendored schema");
    let mut schema: serde_json::Value = serde_json::from_str(&text).expect("schema JSON");
    fixups::apply(type_name, &mut schema).expect("fixups apply");
    let extra = fixups::extra_get_atts(type_name, &schema).expect("get-att fixups apply");
    let service = type_name.split("::").nth(1).expect("service");
    model::build(&schema, service, &file, false, &extra).expect("model")
}

fn names(m: &Module) -> BTreeSet<&str> {
    m.attributes.iter().map(|(n, _)| n.as_str()).collect()
}

fn kind(m: &Module, name: &str) -> AttrKind {
    m.attributes.iter().find(|(n, _)| n == name).map(|(_, k)| *k).unwrap_or_else(|| panic!("no attribute {name}"))
}

#[test]
fn security_group_and_load_balancer_match_cfn_lint() {
    let sg = module("AWS::EC2::SecurityGroup");
    let cfn_lint = [
        "GroupDescription",
        "GroupId",
        "GroupName",
        "Id",
        "SecurityGroupEgress",
        "SecurityGroupIngress",
        "Tags",
        "VpcId",
    ];
    assert_eq!(names(&sg), cfn_lint.into_iter().collect());
    assert_eq!(kind(&sg, "GroupId"), AttrKind::String);
    // A list of objects: accepted by `Fn::GetAtt`, but no typed accessor.
    assert_eq!(kind(&sg, "SecurityGroupIngress"), AttrKind::Other);

    let lb = module("AWS::ElasticLoadBalancingV2::LoadBalancer");
    let cfn_lint = [
        "CanonicalHostedZoneID",
        "DNSName",
        "EnableCapacityReservationProvisionStabilize",
        "EnablePrefixForIpv6SourceNat",
        "EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic",
        "IpAddressType",
        "Ipv4IpamPoolId",
        "LoadBalancerArn",
        "LoadBalancerAttributes",
        "LoadBalancerFullName",
        "LoadBalancerName",
        "Name",
        "Scheme",
        "SecurityGroups",
        "SubnetMappings",
        "Subnets",
        "Tags",
        "Type",
    ];
    assert_eq!(names(&lb), cfn_lint.into_iter().collect());
    assert_eq!(kind(&lb, "SecurityGroups"), AttrKind::ListOfString);
}

#[test]
fn vpc_matches_cfn_lint_plus_its_read_only_objects() {
    let vpc = module("AWS::EC2::VPC");
    let cfn_lint = [
        "CidrBlock",
        "CidrBlockAssociations",
        "DefaultNetworkAcl",
        "DefaultSecurityGroup",
        "EnableDnsHostnames",
        "EnableDnsSupport",
        "InstanceTenancy",
        "Ipv4IpamPoolId",
        "Ipv4NetmaskLength",
        "Ipv6CidrBlocks",
        "Tags",
        "VpcEncryptionControl.EgressOnlyInternetGatewayExclusion",
        "VpcEncryptionControl.ElasticFileSystemExclusion",
        "VpcEncryptionControl.InternetGatewayExclusion",
        "VpcEncryptionControl.LambdaExclusion",
        "VpcEncryptionControl.Mode",
        "VpcEncryptionControl.NatGatewayExclusion",
        "VpcEncryptionControl.ResourceExclusions.EgressOnlyInternetGateway.State",
        "VpcEncryptionControl.ResourceExclusions.EgressOnlyInternetGateway.StateMessage",
        "VpcEncryptionControl.ResourceExclusions.ElasticFileSystem.State",
        "VpcEncryptionControl.ResourceExclusions.ElasticFileSystem.StateMessage",
        "VpcEncryptionControl.ResourceExclusions.InternetGateway.State",
        "VpcEncryptionControl.ResourceExclusions.InternetGateway.StateMessage",
        "VpcEncryptionControl.ResourceExclusions.Lambda.State",
        "VpcEncryptionControl.ResourceExclusions.Lambda.StateMessage",
        "VpcEncryptionControl.ResourceExclusions.NatGateway.State",
        "VpcEncryptionControl.ResourceExclusions.NatGateway.StateMessage",
        "VpcEncryptionControl.ResourceExclusions.VirtualPrivateGateway.State",
        "VpcEncryptionControl.ResourceExclusions.VirtualPrivateGateway.StateMessage",
        "VpcEncryptionControl.ResourceExclusions.VpcLattice.State",
        "VpcEncryptionControl.ResourceExclusions.VpcLattice.StateMessage",
        "VpcEncryptionControl.ResourceExclusions.VpcPeering.State",
        "VpcEncryptionControl.ResourceExclusions.VpcPeering.StateMessage",
        "VpcEncryptionControl.State",
        "VpcEncryptionControl.StateMessage",
        "VpcEncryptionControl.VirtualPrivateGatewayExclusion",
        "VpcEncryptionControl.VpcEncryptionControlId",
        "VpcEncryptionControl.VpcId",
        "VpcEncryptionControl.VpcLatticeExclusion",
        "VpcEncryptionControl.VpcPeeringExclusion",
        "VpcId",
    ];
    let ours = names(&vpc);
    let cfn_lint: BTreeSet<&str> = cfn_lint.into_iter().collect();
    assert!(cfn_lint.is_subset(&ours), "missing: {:?}", cfn_lint.difference(&ours).collect::<Vec<_>>());
    // Beyond cfn-lint: the object-valued `readOnlyProperties` the generator always listed.
    for extra in ours.difference(&cfn_lint) {
        assert!(extra.starts_with("VpcEncryptionControl.ResourceExclusions"), "{extra}");
        assert_eq!(kind(&vpc, extra), AttrKind::Other, "{extra}");
    }
    assert_eq!(kind(&vpc, "CidrBlock"), AttrKind::String);
    assert_eq!(kind(&vpc, "EnableDnsSupport"), AttrKind::Boolean);
    assert_eq!(kind(&vpc, "Ipv4NetmaskLength"), AttrKind::Integer);

    // The read-only attributes come first, so their accessors keep their names.
    assert_eq!(vpc.attributes[0].0, "CidrBlockAssociations");
    let text = emit::module_file(&vpc);
    assert!(text.contains("pub fn attr_cidr_block(&self) -> Value<String> {"));
    assert!(text.contains("pub fn attr_vpc_id(&self) -> Value<String> {"));
    assert!(!text.contains("pub fn attr_tags("), "lists of objects get no typed accessor");
}

#[test]
fn types_outside_the_fixups_keep_their_read_only_attributes() {
    let subnet_route = module("AWS::EC2::SubnetRouteTableAssociation");
    assert_eq!(names(&subnet_route), ["Id"].into_iter().collect());
}
