//! Integration tests of haplat-constructs: constructs synthesized into templates, asserted on
//! and linted.

mod aurora;
mod baseline;
mod cloudmap;
mod connect;
mod global;
mod hostile;
mod images;
mod layers;
mod payments;
mod realtime;
mod regional;
mod split;
#[cfg(feature = "serde")]
mod vocabulary;
