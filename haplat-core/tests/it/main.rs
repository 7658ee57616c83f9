//! haplat-core's integration tests: one binary, a module per area.

mod support;

mod accounts;
mod assembly;
mod hostile;
mod model;
mod names;
mod references;
mod resources;
mod suppress;
mod validation;
