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
pub const FIXUPS: &[Fixup] = &[];

/// Applies the fixups of `type_name` to its schema.
pub fn apply(type_name: &str, schema: &mut Json) -> anyhow::Result<()> {
    for f in FIXUPS.iter().filter(|f| f.type_name == type_name) {
        if !(f.apply)(schema) {
            anyhow::bail!("fixup {} no longer matches the schema of {type_name}: remove or update it", f.name);
        }
    }
    Ok(())
}

/// The node at a JSON pointer, mutably.
#[allow(dead_code)]
fn at<'a>(schema: &'a mut Json, pointer: &str) -> Option<&'a mut Json> {
    schema.pointer_mut(pointer)
}
