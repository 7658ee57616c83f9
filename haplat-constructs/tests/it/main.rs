//! Integration tests of haplat-constructs: constructs synthesized into templates, asserted on
//! and linted.

mod global;
mod regional;
