//! The checks of [`AuroraGlobalProps`] against the stack, reported as construct errors.

use std::collections::BTreeSet;

use haplat_core::{Scope, Stack};

use super::{AuroraGlobalProps, Capacity, DEFAULT_ENGINE_VERSION, ENGINE, OLDEST_MAJOR_VERSION, SecondaryWrites};
use crate::logs::check_retention;
use crate::platform::{RegionRole, RegionSpec};

/// What is wrong with an identifier RDS accepts (1–63 letters, digits or hyphens, starting
/// with a letter, no `--`, no trailing hyphen), if anything.
pub fn identifier_problem(id: &str) -> Option<String> {
    let ok = (1..=63).contains(&id.len())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && id.starts_with(|c: char| c.is_ascii_alphabetic())
        && !id.contains("--")
        && !id.ends_with('-');
    (!ok).then(|| {
        format!("identifier {id:?} is invalid: use 1 to 63 letters, digits or hyphens, starting with a letter, without two hyphens in a row or a hyphen at the end")
    })
}

/// The identifier derived from a stack name and a construct id (`shop-Api` + `Db` →
/// `shop-api-db`).
fn derive_identifier(stack_name: &str, id: &str) -> String {
    let mut out = String::new();
    for c in format!("{stack_name}-{id}").chars() {
        let c = if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' };
        if !(c == '-' && (out.is_empty() || out.ends_with('-'))) {
            out.push(c);
        }
    }
    let mut out: String = out.trim_start_matches(|c: char| !c.is_ascii_alphabetic()).chars().take(63).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() { "aurora".to_owned() } else { out }
}

/// Whether this Aurora PostgreSQL version (`<major>.<minor>`) supports global write forwarding:
/// every 16 and later, 15.4 and later, 14.9 and later.
pub fn forwards_writes(version: &str) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    major >= 16 || (major == 15 && minor >= 4) || (major == 14 && minor >= 9)
}

pub(super) fn pg_name_ok(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks the regions and roles against the stack's; the primary region.
pub(super) fn regions(scope: &Scope, stack: &Stack, props: &AuroraGlobalProps) -> String {
    // Regions and roles.
    let stack_regions = stack.regions();
    let primaries: Vec<&RegionSpec> = props.regions.iter().filter(|r| r.role == RegionRole::Primary).collect();
    match primaries.len() {
        0 => scope.error("no primary region: exactly one region of an Aurora global database must be primary"),
        1 => {}
        _ => scope.error(format!(
            "exactly one region must be primary; {} are ({})",
            primaries.len(),
            primaries.iter().map(|r| r.region.as_str()).collect::<Vec<_>>().join(", ")
        )),
    }
    let primary_region = primaries.first().map(|r| r.region.clone()).unwrap_or_default();
    let mut seen = BTreeSet::new();
    for r in &props.regions {
        if !seen.insert(r.region.as_str()) {
            scope.error(format!("region {} is listed more than once", r.region));
        }
        if !stack_regions.contains(&r.region) {
            scope.error(format!(
                "region {} is not a region of the stack {} ({})",
                r.region,
                stack.id(),
                stack_regions.join(", ")
            ));
        }
    }
    let missing: Vec<&str> = stack_regions.iter().filter(|r| !seen.contains(r.as_str())).map(String::as_str).collect();
    if !missing.is_empty() {
        scope.error(format!(
            "no role given for the stack's region(s) {}: give every region of the stack set",
            missing.join(", ")
        ));
    }
    if primaries.len() == 1
        && stack_regions.first().is_some_and(|first| *first != primary_region)
        && stack_regions.contains(&primary_region)
    {
        scope.error(format!(
            "the primary region {primary_region} must be the first region of the stack set (it is {}): \
                stack set instances deploy in that order, and secondary clusters can only join after the \
                primary exists",
            stack_regions[0]
        ));
    }

    primary_region
}

/// Checks the engine, capacity, retentions, subnets and names; the instance class and the global
/// cluster's identifier.
pub(super) fn settings(scope: &Scope, stack: &Stack, id: &str, props: &AuroraGlobalProps) -> (String, String) {
    // Engine, capacity, backups, names.
    if props.engine != ENGINE {
        scope.error(format!("unknown engine {:?}: AuroraGlobal supports {ENGINE}", props.engine));
    }
    let version_ok = props.engine_version.split_once('.').is_some_and(|(major, minor)| {
        major.parse::<u32>().is_ok_and(|m| m >= OLDEST_MAJOR_VERSION)
            && !minor.is_empty()
            && minor.chars().all(|c| c.is_ascii_digit())
    });
    if !version_ok {
        scope.error(format!(
            "unknown {ENGINE} version {:?}: give <major>.<minor> with a major version of at least {OLDEST_MAJOR_VERSION} ({DEFAULT_ENGINE_VERSION}, say)",
            props.engine_version
        ));
    }
    if props.secondary_writes == SecondaryWrites::Forward && version_ok && !forwards_writes(&props.engine_version) {
        scope.error(format!(
            "secondary_writes Forward: {ENGINE} {} cannot forward writes from a secondary region (16 or later, 15.4 or later, 14.9 or later can: https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-write-forwarding-apg.html)",
            props.engine_version
        ));
    }
    let instance_class = match &props.capacity {
        Capacity::ServerlessV2 { min_acu, max_acu } => {
            let step = |v: f64| (v * 2.0).fract() == 0.0;
            if !(0.5..=256.0).contains(min_acu)
                || !(0.5..=256.0).contains(max_acu)
                || !step(*min_acu)
                || !step(*max_acu)
            {
                scope.error(format!("ACU range {min_acu}..{max_acu}: each bound must be 0.5 to 256 in steps of 0.5"));
            } else if min_acu > max_acu {
                scope.error(format!("ACU range {min_acu}..{max_acu}: the minimum is above the maximum"));
            }
            "db.serverless".to_owned()
        }
        Capacity::Provisioned { instance_class } => {
            if !instance_class.starts_with("db.") || instance_class == "db.serverless" || instance_class.len() < 5 {
                scope.error(format!(
                    "instance class {instance_class:?} is not a provisioned DB instance class (db.r7g.large, say); use Capacity::ServerlessV2 for db.serverless"
                ));
            }
            instance_class.clone()
        }
    };
    if props.readers > 15 {
        scope.error(format!("{} readers asked; an Aurora cluster has at most 15", props.readers));
    }
    if let super::PointInTimeRecovery::Rds { retention_days } = props.point_in_time_recovery
        && !(1..=35).contains(&retention_days)
    {
        scope.error(format!(
            "backup retention of {retention_days} days: use 1 to 35 (7 or more for point-in-time recovery worth having)"
        ));
    }
    let pi = props.performance_insights_retention_days;
    if !(pi == 7 || pi == 731 || (pi % 31 == 0 && (31..=713).contains(&pi))) {
        scope.error(format!("Performance Insights retention of {pi} days: use 7, a multiple of 31 up to 713, or 731"));
    }
    check_retention(scope, props.log_retention_days);
    if props.subnet_ids.is_empty() {
        scope
            .error("no subnets: give the private subnets of the network (at least 2, in different availability zones)");
    } else if props.subnet_ids.len() < 2 {
        scope.error("one subnet given: a DB subnet group needs at least 2, in different availability zones");
    }
    let global_cluster_identifier = match &props.global_cluster_identifier {
        Some(given) => {
            if let Some(why) = identifier_problem(given) {
                scope.error(format!("global cluster {why}"));
            }
            given.clone()
        }
        None => derive_identifier(&stack.name(), id),
    };
    if !pg_name_ok(&props.master_username)
        || ["rdsadmin", "postgres", "admin"].contains(&props.master_username.as_str())
    {
        scope.error(format!(
            "master username {:?}: use 1 to 63 letters, digits or underscores starting with a letter, and not a reserved name (rdsadmin, postgres, admin)",
            props.master_username
        ));
    }
    if let Some(db) = &props.database_name
        && !pg_name_ok(db)
    {
        scope.error(format!("database name {db:?}: use 1 to 63 letters, digits or underscores starting with a letter"));
    }
    (instance_class, global_cluster_identifier)
}
