//! Logical ids derived from construct paths.
//!
//! A resource directly under its stack keeps its id in PascalCase (`Table`); deeper resources
//! get the PascalCase of every part of their path plus the first 8 hex digits of a SHA-256 of
//! the whole path (`ApiServiceTaskRole1A2B3C4D`). The id depends on nothing but the path, so
//! adding or removing a construct never renames another one; the hash keeps `A/BC` and `AB/C`
//! apart.

use heck::ToUpperCamelCase;
use sha2::{Digest, Sha256};

use crate::validate::limits::LOGICAL_ID;

/// The logical id of the node at `parts` (its path below the stack).
///
/// ```
/// use haplat_core::logical_id::logical_id;
/// assert_eq!(logical_id(&["Table"]), "Table");
/// assert_eq!(logical_id(&["orders-table"]), "OrdersTable8CDD281A");
/// let deep = logical_id(&["Api", "Service", "TaskRole"]);
/// assert!(deep.starts_with("ApiServiceTaskRole") && deep.len() == "ApiServiceTaskRole".len() + 8);
/// ```
pub fn logical_id(parts: &[&str]) -> String {
    let readable: String = parts.iter().map(|p| pascal(p)).collect();
    let clean = parts.len() == 1 && readable == parts[0] && readable.starts_with(|c: char| c.is_ascii_alphabetic());
    if clean && readable.len() <= LOGICAL_ID {
        return readable;
    }
    let hash = short_hash(&parts.join("/"));
    let room = LOGICAL_ID - hash.len();
    let mut readable: String = readable.chars().take(room).collect();
    if !readable.starts_with(|c: char| c.is_ascii_alphabetic()) {
        readable.insert(0, 'R');
        readable.truncate(room);
    }
    readable + &hash
}

/// PascalCase with only ASCII letters and digits.
pub fn pascal(s: &str) -> String {
    let camel = if s.chars().all(|c| c.is_ascii_alphanumeric()) && s.starts_with(|c: char| c.is_ascii_uppercase()) {
        s.to_owned()
    } else {
        s.to_upper_camel_case()
    };
    camel.chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

/// The first 8 hex digits of SHA-256 of `s`, upper case.
pub fn short_hash(s: &str) -> String {
    let digest = Sha256::digest(s.as_bytes());
    digest.iter().take(4).map(|b| format!("{b:02X}")).collect()
}
