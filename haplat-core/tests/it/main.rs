//! haplat-core's integration tests: one binary, a module per area.

mod support;

mod assembly;
mod model;
mod references;
mod resources;
mod suppress;
mod validation;
