//! haplat-core: the model layer of haplat.
//!
//! - [`value`]: typed values, literals or intrinsic functions, never string tokens;
//! - [`resource`]: the [`Resource`](resource::Resource) trait every L1 type implements, and
//!   typed [`Handle`](resource::Handle)s;
//! - [`app`]: the construct tree — an [`App`](app::App) of stacks, each a tree of scopes and
//!   resources addressed by a path of ids;
//! - [`synth`]: deterministic synthesis of templates and the cloud assembly, with cross-stack
//!   references turned into outputs, parameters and deploy-time bindings;
//! - [`manifest`]: the assembly's `manifest.json`, read by the CLI;
//! - [`resources`]: the L1 resource types generated from the CloudFormation registry schemas.
//!
//! No AWS SDK, no async, no I/O beyond writing the assembly.

pub mod app;
pub mod manifest;
pub mod resource;
pub mod value;

pub use resource::{Handle, Resource};
pub use value::{Expr, List, Pseudo, Value};
