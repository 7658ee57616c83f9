//! Deletion protection that `haplat destroy` can lift: one stack parameter,
//! [`PARAMETER`] (`true` by default, so every deploy turns protection back on), and the
//! condition [`CONDITION`] over it, which every protected resource of the stack reads through
//! [`on`] / [`on_text`].
//!
//! Deletion protection stays on while the stack lives (scanners such as checkov and Control
//! Tower require it on load balancers and databases). `haplat destroy` first updates the stack
//! set with its previous template and this parameter `false` (every other parameter keeps its
//! deployed value), waits for that operation, then deletes the instances: the resources are no
//! longer protected when CloudFormation deletes them. A protected resource that CloudFormation
//! deletes (no `DeletionPolicy`, `Delete` or `Snapshot`) otherwise ends in `DELETE_FAILED`
//! (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html>);
//! `haplat check` (HAP001) accepts protection bound to this parameter and flags protection
//! written as a literal `true`.
//!
//! Leaf module: uses haplat-core only.

use haplat_core::value::{Cond, Value};
use haplat_core::{Parameter, Scope};

/// Why a scanner's deletion-protection rule (Control Tower's CT.ELASTICLOADBALANCING.PR.5 and
/// CT.RDS.PR.3, which compare the property with a literal `true`) is suppressed on a resource
/// protected through [`on`] / [`on_text`].
pub const SCANNER_REASON: &str = "deletion protection is on while the stack lives, through the \
     HaplatDeletionProtection parameter (default true) that only `haplat destroy` sets false; the rule reads a \
     literal true only";

/// Suppresses, with [`SCANNER_REASON`], a scanner's deletion-protection rule on a resource
/// protected through [`on`] / [`on_text`].
pub fn suppress_scanner_rule(scope: &Scope, resource: impl Into<haplat_core::app::NodeId>, rule: &str) {
    scope.options(resource).suppress(rule, SCANNER_REASON);
}

/// The stack parameter `haplat destroy` sets to `false` before deleting the instances.
pub const PARAMETER: &str = "HaplatDeletionProtection";

/// The condition that holds while deletion protection is on (`PARAMETER` is `true`).
pub const CONDITION: &str = "HaplatDeletionProtectionOn";

/// Adds the parameter and the condition to the scope's stack, once.
fn ensure(scope: &Scope) {
    let stack = scope.stack();
    if stack.has_child(PARAMETER) {
        return;
    }
    let param = stack.add_parameter(
        PARAMETER,
        Parameter {
            type_: Some("String".to_owned()),
            default: Some("true".to_owned()),
            description: Some(
                "Deletion protection of the stack's load balancers and databases: true while the stack lives; \
                 `haplat destroy` sets false just before deleting the stack"
                    .to_owned(),
            ),
            allowed_values: vec!["true".to_owned(), "false".to_owned()],
            ..Default::default()
        },
    );
    stack.add_condition(CONDITION, Cond::equals(param, "true".into()));
}

/// A boolean deletion-protection property (`DeletionProtection` of a DB cluster): `true` unless
/// `haplat destroy` lifted it.
pub fn on(scope: &Scope) -> Value<bool> {
    ensure(scope);
    Value::if_(CONDITION, true.into(), false.into())
}

/// A deletion-protection attribute written as text (a load balancer's
/// `deletion_protection.enabled`): `"true"` unless `haplat destroy` lifted it.
pub fn on_text(scope: &Scope) -> Value<String> {
    ensure(scope);
    Value::if_(CONDITION, "true".into(), "false".into())
}
