//! haplat-core: the model layer of haplat.
//!
//! - [`value`]: typed values, literals or intrinsic functions, never string tokens;
//! - [`resource`]: the [`Resource`] trait every L1 type implements, and
//!   typed [`Handle`]s;
//! - [`app`]: the construct tree — an [`App`] of stacks, each a tree of scopes and
//!   resources addressed by a path of ids;
//! - [`synth`]: deterministic synthesis of templates and the cloud assembly, with cross-stack
//!   references turned into outputs, parameters and deploy-time bindings;
//! - [`manifest`]: the assembly's `manifest.json`, read by the CLI;
//! - [`resources`]: the L1 resource types generated from the CloudFormation registry schemas.
//!
//! No AWS SDK, no async, no I/O beyond writing the assembly.

#![deny(missing_docs)]

pub mod app;
pub mod error;
pub mod logical_id;
pub mod manifest;
mod node;
pub mod resource;
// Generated code is laid out by its generator; rustfmt would only make it differ from the
// generator's output, which the staleness test compares byte for byte.
#[rustfmt::skip]
pub mod resources;
pub mod synth;
pub mod validate;
pub mod value;

pub use app::{App, CheckRule, Parameter, Policy, Scope, Stack};
pub use error::{Error, Errors};
pub use resource::{Handle, Resource};
pub use synth::Assembly;
pub use value::{Cond, Expr, List, Pseudo, Value};

/// The environment variable naming the directory an app writes its assembly to
/// (`haplat synth` sets it; default `haplat.out`).
pub const OUTDIR_ENV: &str = "HAPLAT_OUTDIR";

/// The environment variable naming the environment to synthesize (`dev`, `staging`, `prod`);
/// `haplat synth --env` sets it.
pub const ENV_ENV: &str = "HAPLAT_ENV";

/// The environment variable holding the context of `haplat synth -c key=value` as a JSON object
/// of strings.
pub const CONTEXT_ENV: &str = "HAPLAT_CONTEXT";

/// The mapping that [`Stack::region_value`] fills, keyed by region.
pub const REGION_MAPPING: &str = "RegionConfig";

/// A context value given with `haplat synth -c key=value` (or `HAPLAT_CONTEXT`). A malformed
/// `HAPLAT_CONTEXT` is reported as an error naming the variable.
pub fn context(key: &str) -> Result<Option<String>, String> {
    let Some(raw) = std::env::var_os(CONTEXT_ENV) else { return Ok(None) };
    let raw = raw.to_string_lossy();
    let map: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&raw).map_err(|e| format!("{CONTEXT_ENV} must be a JSON object of strings: {e}"))?;
    Ok(map.get(key).cloned())
}
