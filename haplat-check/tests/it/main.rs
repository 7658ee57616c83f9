//! haplat-check's integration tests: one binary, a module per area.

mod support;

mod apps;
mod docs;
mod load;
mod objectives;
mod report;
mod rules;
mod scanners;
