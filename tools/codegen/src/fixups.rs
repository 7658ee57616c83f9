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
    Fixup { name: "logs_log_group_python_end_anchors", type_name: "AWS::Logs::LogGroup", apply: logs_log_group_python_end_anchors },
    Fixup { name: "ssm_cloud_connector_role_arn_class", type_name: "AWS::SSM::CloudConnector", apply: ssm_cloud_connector_role_arn_class },
];

/// `AWS::Logs::LogGroup`: `LogGroupName` and `KmsKeyId` end their patterns with `\Z`, Python's
/// "end of text", which JSON Schema (ECMA-262) does not have and the `regex` crate rejects, so
/// both checks were dropped. Rust spells it `\z`.
fn logs_log_group_python_end_anchors(schema: &mut Json) -> bool {
    ["/properties/LogGroupName/pattern", "/properties/KmsKeyId/pattern"].iter().all(|p| {
        replace_in(schema, p, "\\Z", "\\z")
    })
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

/// Applies the fixups of `type_name` to its schema.
pub fn apply(type_name: &str, schema: &mut Json) -> anyhow::Result<()> {
    for f in FIXUPS.iter().filter(|f| f.type_name == type_name) {
        if !(f.apply)(schema) {
            anyhow::bail!("fixup {} no longer matches the schema of {type_name}: remove or update it", f.name);
        }
    }
    Ok(())
}
