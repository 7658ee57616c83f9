//! Named corrections of upstream schema mistakes, applied before generation. Each one says what
//! is wrong and why the fix is right; the generated output is never edited by hand.

use serde_json::Value as Json;

/// One correction: the resource type it applies to, and the change.
pub struct Fixup {
    /// A short name, for the generator's report.
    pub name: &'static str,
    /// The CloudFormation type it applies to.
    pub type_name: &'static str,
    /// The change. Returns whether the schema still looked as expected (a fixup that no longer
    /// matches fails generation, so that it is removed once upstream is fixed).
    pub apply: fn(&mut Json) -> bool,
}

/// Every fixup, applied in this order.
pub const FIXUPS: &[Fixup] = &[
    Fixup {
        name: "logs_log_group_python_end_anchors",
        type_name: "AWS::Logs::LogGroup",
        apply: logs_log_group_python_end_anchors,
    },
    Fixup {
        name: "ssm_cloud_connector_role_arn_class",
        type_name: "AWS::SSM::CloudConnector",
        apply: ssm_cloud_connector_role_arn_class,
    },
];

/// `AWS::Logs::LogGroup`: `LogGroupName` and `KmsKeyId` end their patterns with `\Z`, Python's
/// "end of text", which JSON Schema (ECMA-262) does not have and the `regex` crate rejects, so
/// both checks were dropped. Rust spells it `\z`.
fn logs_log_group_python_end_anchors(schema: &mut Json) -> bool {
    ["/properties/LogGroupName/pattern", "/properties/KmsKeyId/pattern"]
        .iter()
        .all(|p| replace_in(schema, p, "\\Z", "\\z"))
}

/// `AWS::SSM::CloudConnector`: the `RoleArn` pattern has the class `[\w-/.@+=,]`, where `-`
/// between `\w` and `/` reads as a range with a class as its start — an error in ECMA-262
/// `u` mode and in the `regex` crate. The IAM role path it means allows a literal `-`.
fn ssm_cloud_connector_role_arn_class(schema: &mut Json) -> bool {
    replace_in(schema, "/properties/RoleArn/pattern", "[\\w-/.@+=,]", "[\\w\\-/.@+=,]")
}

/// Replaces `from` by `to` in the string at `pointer`; false when it is not there.
fn replace_in(schema: &mut Json, pointer: &str, from: &str, to: &str) -> bool {
    match schema.pointer_mut(pointer) {
        Some(Json::String(s)) if s.contains(from) => {
            *s = s.replace(from, to);
            true
        }
        _ => false,
    }
}

/// Which `Fn::GetAtt` names a [`GetAttFixup`] adds.
#[derive(Clone, Copy, Debug)]
pub enum ExtraGetAtts {
    /// Every property, the way cfn-lint walks them: scalars and lists of scalars by name,
    /// nested objects by their properties joined with `.`, never into a list of objects.
    AllProperties,
    /// These top-level properties.
    Only(&'static [&'static str]),
}

/// `Fn::GetAtt` names CloudFormation accepts beyond a type's `readOnlyProperties`.
pub struct GetAttFixup {
    /// A short name, for the generator's report.
    pub name: &'static str,
    /// The CloudFormation type it applies to.
    pub type_name: &'static str,
    /// The names added.
    pub extra: ExtraGetAtts,
}

const LEGACY_ALL: &str = "legacy_type_get_att_every_property";
const LEGACY_SOME: &str = "legacy_type_get_att_exception";

/// CloudFormation's pre-registry resource types return their properties through `Fn::GetAtt`,
/// not only what their registry schema lists as `readOnlyProperties` (`Fn::GetAtt` of a VPC's
/// `CidrBlock` works, and templates use it). The registry schemas do not say so; cfn-lint
/// 1.58.0 knows it from `cfnlint/schema/_getatts.py`: `_all_property_types` (every property)
/// and `_exceptions` (a few named properties). These are its entries of our services
/// (`services::SERVICES`); a listed type without a schema, or a listed property the schema no
/// longer has, fails generation. Keep it in step with cfn-lint when re-vendoring the schemas.
pub const GET_ATT_FIXUPS: &[GetAttFixup] = &[
    GetAttFixup { name: LEGACY_ALL, type_name: "AWS::Backup::BackupSelection", extra: ExtraGetAtts::AllProperties },
    GetAttFixup { name: LEGACY_ALL, type_name: "AWS::Backup::BackupVault", extra: ExtraGetAtts::AllProperties },
    GetAttFixup {
        name: LEGACY_ALL,
        type_name: "AWS::Backup::LogicallyAirGappedBackupVault",
        extra: ExtraGetAtts::AllProperties,
    },
    GetAttFixup { name: LEGACY_ALL, type_name: "AWS::EC2::CapacityReservation", extra: ExtraGetAtts::AllProperties },
    GetAttFixup { name: LEGACY_ALL, type_name: "AWS::EC2::Instance", extra: ExtraGetAtts::AllProperties },
    GetAttFixup { name: LEGACY_ALL, type_name: "AWS::EC2::SecurityGroup", extra: ExtraGetAtts::AllProperties },
    GetAttFixup { name: LEGACY_ALL, type_name: "AWS::EC2::Subnet", extra: ExtraGetAtts::AllProperties },
    GetAttFixup { name: LEGACY_ALL, type_name: "AWS::EC2::VPC", extra: ExtraGetAtts::AllProperties },
    GetAttFixup {
        name: LEGACY_ALL,
        type_name: "AWS::ElasticLoadBalancingV2::LoadBalancer",
        extra: ExtraGetAtts::AllProperties,
    },
    GetAttFixup { name: LEGACY_ALL, type_name: "AWS::Events::EventBus", extra: ExtraGetAtts::AllProperties },
    GetAttFixup { name: LEGACY_ALL, type_name: "AWS::RDS::DBInstance", extra: ExtraGetAtts::AllProperties },
    GetAttFixup { name: LEGACY_ALL, type_name: "AWS::RDS::DBParameterGroup", extra: ExtraGetAtts::AllProperties },
    GetAttFixup { name: LEGACY_ALL, type_name: "AWS::S3::AccessPoint", extra: ExtraGetAtts::AllProperties },
    GetAttFixup { name: LEGACY_ALL, type_name: "AWS::SNS::Topic", extra: ExtraGetAtts::AllProperties },
    GetAttFixup { name: LEGACY_ALL, type_name: "AWS::SQS::Queue", extra: ExtraGetAtts::AllProperties },
    GetAttFixup { name: LEGACY_ALL, type_name: "AWS::SSM::Parameter", extra: ExtraGetAtts::AllProperties },
    GetAttFixup {
        name: LEGACY_SOME,
        type_name: "AWS::CloudWatch::InsightRule",
        extra: ExtraGetAtts::Only(&["RuleName"]),
    },
    GetAttFixup {
        name: LEGACY_SOME,
        type_name: "AWS::ServiceDiscovery::Service",
        extra: ExtraGetAtts::Only(&["Name"]),
    },
];

/// The `Fn::GetAtt` names [`GET_ATT_FIXUPS`] adds to `type_name`, as property paths, in schema
/// order (duplicates of `readOnlyProperties` included; the model skips them).
pub fn extra_get_atts(type_name: &str, schema: &Json) -> anyhow::Result<Vec<Vec<String>>> {
    let mut out = Vec::new();
    let empty = serde_json::Map::new();
    let props = schema.get("properties").and_then(Json::as_object).unwrap_or(&empty);
    for f in GET_ATT_FIXUPS.iter().filter(|f| f.type_name == type_name) {
        match f.extra {
            ExtraGetAtts::AllProperties => {
                for (name, p) in props {
                    every_property(schema, p, &mut vec![name.clone()], &mut out, 0);
                }
            }
            ExtraGetAtts::Only(names) => {
                for n in names {
                    if !props.contains_key(*n) {
                        anyhow::bail!(
                            "fixup {} no longer matches the schema of {type_name}: it has no property {n}",
                            f.name
                        );
                    }
                    out.push(vec![(*n).to_owned()]);
                }
            }
        }
    }
    Ok(out)
}

/// cfn-lint's `GetAtts._process_schema`: an object contributes its properties, a list
/// itself unless its inline `items` are an object or a list, a `$ref` what it refers to,
/// anything else itself. (Like cfn-lint, a list whose items are a `$ref` to an object is kept:
/// its attribute type is then `Other`, which gets no typed accessor.)
fn every_property(schema: &Json, node: &Json, path: &mut Vec<String>, out: &mut Vec<Vec<String>>, depth: usize) {
    let types: Vec<&str> = match node.get("type") {
        Some(Json::String(t)) => vec![t.as_str()],
        Some(Json::Array(a)) => a.iter().filter_map(Json::as_str).collect(),
        _ => Vec::new(),
    };
    if types.contains(&"object") {
        if let Some(sub) = node.get("properties").and_then(Json::as_object) {
            for (name, p) in sub {
                path.push(name.clone());
                every_property(schema, p, path, out, depth);
                path.pop();
            }
        }
    } else if types.contains(&"array") {
        let items = node.get("items").and_then(|i| i.get("type")).and_then(Json::as_str);
        if !matches!(items, Some("object" | "array")) {
            out.push(path.clone());
        }
    } else if let Some(r) = node.get("$ref").and_then(Json::as_str) {
        // A recursive definition would loop; cfn-lint's schemas have none on these types.
        let target = r.strip_prefix("#/definitions/").and_then(|d| schema.get("definitions")?.get(d));
        if let Some(t) = target.filter(|_| depth < 16) {
            every_property(schema, t, path, out, depth + 1);
        }
    } else {
        out.push(path.clone());
    }
}

/// Applies the fixups of `type_name` to its schema.
pub fn apply(type_name: &str, schema: &mut Json) -> anyhow::Result<()> {
    for f in FIXUPS.iter().filter(|f| f.type_name == type_name) {
        if !(f.apply)(schema) {
            anyhow::bail!("fixup {} no longer matches the schema of {type_name}: remove or update it", f.name);
        }
    }
    Ok(())
}
