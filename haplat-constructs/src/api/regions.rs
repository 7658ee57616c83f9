//! The regions of the API: checks, and the region values (VPC CIDR, subnet bits, role) of the
//! template's `RegionConfig` mapping.

use std::collections::BTreeSet;

use haplat_core::Stack;
use haplat_core::value::{Expr, Value};

use super::ApiProps;
use crate::cidr;
use crate::platform::{DrMode, RegionRole};

pub(super) fn int_region_value(stack: &Stack, key: &str, values: Vec<(String, i64)>) -> Value<i64> {
    Value::from_expr(stack.region_value(key, values.into_iter().map(|(r, v)| (r, Expr::from(v)))).into_expr())
}

/// Reports on `stack` what is wrong with the regions and the services' names.
pub(super) fn check(stack: &Stack, props: &ApiProps) {
    // Regions.
    if props.regions.is_empty() {
        stack.error("a MultiRegionApi needs at least one region");
    }
    let primaries = props.regions.iter().filter(|r| r.role == RegionRole::Primary).count();
    if !props.regions.is_empty() && primaries != 1 {
        stack.error(format!(
            "exactly one region must be primary; {} are ({})",
            primaries,
            props
                .regions
                .iter()
                .filter(|r| r.role == RegionRole::Primary)
                .map(|r| r.region.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut seen = BTreeSet::new();
    for r in &props.regions {
        if !seen.insert(r.region.as_str()) {
            stack.error(format!("region {} is listed more than once", r.region));
        }
    }
    if props.services.is_empty() {
        stack.error("a MultiRegionApi needs at least one service");
    }
    let mut service_names = BTreeSet::new();
    for s in &props.services {
        if !service_names.insert(s.name.to_lowercase()) {
            stack.error(format!(
                "service name {} is used twice (names are compared without case for Cloud Map)",
                s.name
            ));
        }
    }
}

/// The VPC CIDR and subnet bits of each region (explicit CIDRs checked, the others allocated
/// around them), and the region's role, as region values.
pub(super) fn network_values(stack: &Stack, props: &ApiProps) -> (Value<String>, Value<i64>) {
    // CIDRs: explicit ones checked, the others allocated around them.
    let explicit: Vec<Option<&str>> = props.regions.iter().map(|r| r.cidr.as_deref()).collect();
    let cidrs = match cidr::allocate(&explicit) {
        Ok(c) => c,
        Err(problems) => {
            for (i, why) in &problems {
                stack.error(format!("region {}: {why}", props.regions[*i].region));
            }
            (0..props.regions.len())
                .map(|i| format!("10.{}.0.0/16", i.min(255)).parse().expect("a valid CIDR"))
                .collect()
        }
    };
    let azs = props.azs;
    let subnet_count = 2 * azs.clamp(2, 6);
    let cidr =
        stack.region_value("VpcCidr", props.regions.iter().zip(&cidrs).map(|(r, c)| (r.region.clone(), c.to_string())));
    let subnet_bits = int_region_value(
        stack,
        "SubnetBits",
        props
            .regions
            .iter()
            .zip(&cidrs)
            .map(|(r, c)| (r.region.clone(), i64::from(cidr::subnet_bits(c, subnet_count))))
            .collect(),
    );
    stack.region_value("Role", props.regions.iter().map(|r| (r.region.clone(), r.role.as_str())));
    (cidr, subnet_bits)
}

/// The task counts of each region: `standby` in the secondaries of an active-passive API,
/// `serving` elsewhere.
pub(super) fn counts(props: &ApiProps, serving: u32, standby: u32) -> Vec<(String, i64)> {
    props
        .regions
        .iter()
        .map(|r| {
            let standby_region = props.mode == DrMode::ActivePassive && r.role == RegionRole::Secondary;
            (r.region.clone(), i64::from(if standby_region { standby } else { serving }))
        })
        .collect()
}
