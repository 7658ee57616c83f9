//! Names the constructs derive from user input: the crate's one PascalCase conversion.
//!
//! haplat-core has its own, [`haplat_core::logical_id::pascal`], which re-cases words
//! (`ordersAPI` → `OrdersApi`); this one only capitalizes the first letter of each part and drops
//! separators (`ordersAPI` → `OrdersAPI`). Both are in deployed logical ids and condition names,
//! so neither may change and they must not be merged: see "Two PascalCase conversions, on
//! purpose" in `docs/decisions.md`.

/// `us-east-1` → `UsEast1`, `ordersAPI` → `OrdersAPI`: a region, service or log name as a part of
/// a construct id or condition name. Splits at every character that is not ASCII alphanumeric,
/// upper-cases the first letter of each part and keeps the rest as written.
///
/// Changing it renames the logical ids of deployed resources (CloudFormation replaces them).
///
/// ```
/// use haplat_constructs::naming::pascal;
/// assert_eq!(pascal("us-east-1"), "UsEast1");
/// assert_eq!(pascal("ordersAPI"), "OrdersAPI");
/// assert_eq!(pascal("secretsmanager"), "Secretsmanager");
/// assert_eq!(pascal(".api.example.com"), "ApiExampleCom");
/// // haplat-core's conversion re-cases words: not interchangeable.
/// assert_eq!(haplat_core::logical_id::pascal("ordersAPI"), "OrdersApi");
/// ```
pub fn pascal(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}
