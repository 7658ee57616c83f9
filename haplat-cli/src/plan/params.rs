//! The parameter arithmetic of deploying one stack set, as pure data: which values the stack
//! set itself carries, what each region's stack ends up with (set-level values, overridden by
//! the instance's own), which regions a stack-set update may reach without giving a region
//! another region's values, and which instances need an operation, grouped by identical
//! overrides (an operation takes one override list). The executor ([`crate::executor`]) reads
//! what is deployed, asks these functions what to do, and makes the calls.
//!
//! Uses the plain types of [`crate::cfn`] only; no I/O.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::cfn::InstanceInfo;

/// Parameter values: name → value.
pub type Values = BTreeMap<String, String>;

/// A template's parameters (names) with their `Default`, as CloudFormation passes it (a
/// string; a list joined by commas), or `None` when there is none.
pub fn template_parameters(template: &Value) -> BTreeMap<String, Option<String>> {
    let Some(params) = template.get("Parameters").and_then(Value::as_object) else {
        return BTreeMap::new();
    };
    params
        .iter()
        .map(|(name, p)| {
            let default = p.get("Default").map(|d| match d {
                Value::String(s) => s.clone(),
                Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned).unwrap_or_else(|| i.to_string()))
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            });
            (name.clone(), default)
        })
        .collect()
}

/// One stack set's parameters for a deploy: the template's, each region's wanted values, and
/// the stack-set-level values derived from them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackSetParameters {
    /// The template's parameters and their `Default`.
    pub declared: BTreeMap<String, Option<String>>,
    /// Each region's wanted values (bindings resolved).
    pub wanted: BTreeMap<String, Values>,
    /// The stack-set-level values: a parameter's template `Default` when it has one (a region
    /// that gives it no value gets the Default, never another region's value); else the value
    /// of the first region the stack-set update reaches (`touched` first, then `regions`).
    pub set_level: Values,
}

impl StackSetParameters {
    /// The parameters of a stack set whose template declares `declared`, for the regions
    /// `regions` of the deploy, of which `touched` already have an instance.
    pub fn new(
        declared: BTreeMap<String, Option<String>>,
        wanted: BTreeMap<String, Values>,
        touched: &[String],
        regions: &[String],
    ) -> StackSetParameters {
        let set_level = declared
            .iter()
            .filter_map(|(n, default)| {
                let v = default
                    .clone()
                    .or_else(|| touched.iter().chain(regions).find_map(|r| wanted.get(r)?.get(n).cloned()));
                Some((n.clone(), v?))
            })
            .collect();
        StackSetParameters { declared, wanted, set_level }
    }

    /// A region's wanted values (none when the plan has none for it).
    pub fn wanted_in(&self, region: &str) -> &Values {
        static NONE: Values = BTreeMap::new();
        self.wanted.get(region).unwrap_or(&NONE)
    }

    /// What a region's stack gets: the set-level values `base`, overridden by the region's
    /// `overrides`, both limited to the parameters the template declares.
    pub fn effective_on(&self, base: &Values, overrides: &Values) -> Values {
        let declared = |k: &String| self.declared.contains_key(k);
        let mut e: Values = base.iter().filter(|(k, _)| declared(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
        e.extend(overrides.iter().filter(|(k, _)| declared(k)).map(|(k, v)| (k.clone(), v.clone())));
        e
    }

    /// [`StackSetParameters::effective_on`] this deploy's set-level values.
    pub fn effective(&self, overrides: &Values) -> Values {
        self.effective_on(&self.set_level, overrides)
    }

    /// Whether a region's stack, with `overrides`, gets exactly its wanted values from this
    /// deploy's set-level values.
    pub fn settles(&self, region: &str, overrides: &Values) -> bool {
        self.effective(overrides) == self.effective(self.wanted_in(region))
    }

    /// Whether the deployed stack set's values differ from this deploy's: other parameters,
    /// or another value of a parameter with a Default (the others are overridden per region).
    pub fn set_level_changed(&self, deployed: &Values) -> bool {
        deployed.keys().ne(self.set_level.keys())
            || self.declared.iter().any(|(n, d)| d.is_some() && deployed.get(n) != self.set_level.get(n))
    }

    /// The regions among `touched` whose instances (with their current overrides, in
    /// `instances`) get exactly their wanted values from a stack-set update: the update may
    /// reach them and leave nothing more to do there.
    pub fn safe_regions(&self, touched: &[String], instances: &BTreeMap<String, InstanceInfo>) -> Vec<String> {
        touched.iter().filter(|r| instances.get(*r).is_some_and(|i| self.settles(r, &i.overrides))).cloned().collect()
    }

    /// The instances that need an operation, grouped by identical overrides: new regions are
    /// created; existing ones are updated when the template changed, when their effective
    /// values on `base` (the set-level values the instances now see) differ from the wanted
    /// ones, or when they are not CURRENT. `settled` regions are done already.
    pub fn instance_changes(
        &self,
        regions: &[String],
        instances: &BTreeMap<String, InstanceInfo>,
        settled: &BTreeSet<String>,
        template_changed: bool,
        base: &Values,
    ) -> InstanceChanges {
        let mut changes = InstanceChanges::default();
        for region in regions {
            let want = self.wanted_in(region);
            let group = match instances.get(region) {
                None => &mut changes.create,
                Some(_) if settled.contains(region) => continue,
                Some(_) if template_changed => &mut changes.update,
                Some(i)
                    if self.effective_on(base, &i.overrides) != self.effective_on(base, want)
                        || !i.status.is_current() =>
                {
                    &mut changes.update
                }
                Some(_) => continue,
            };
            match group.iter_mut().find(|g| &g.overrides == want) {
                Some(g) => g.regions.push(region.clone()),
                None => group.push(OverrideGroup { overrides: want.clone(), regions: vec![region.clone()] }),
            }
        }
        changes
    }
}

/// A parameter whose value changes in a region's stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueChange {
    /// The parameter.
    pub name: String,
    /// The value the stack has (set-level, overridden by the instance's own).
    pub old: Option<String>,
    /// The value it gets (`None`: none, or only known at deploy time).
    pub new: Option<String>,
}

/// The parameters whose value changes in a deployed region: what its stack has (the deployed
/// set-level values `deployed`, overridden by the instance's `overrides`) against what it
/// gets (`wanted`; a parameter the region gives no value gets its template `Default` from
/// `declared`). A wanted value of `None` is a bound value that cannot be read yet: not a
/// difference that can be shown.
pub fn value_changes(
    declared: &BTreeMap<String, Option<String>>,
    deployed: &Values,
    overrides: &Values,
    wanted: &BTreeMap<String, Option<String>>,
) -> Vec<ValueChange> {
    let mut has = deployed.clone();
    has.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
    let names: BTreeSet<&String> = has.keys().chain(wanted.keys()).collect();
    names
        .into_iter()
        .filter_map(|k| {
            let old = has.get(k).cloned();
            let new = match wanted.get(k) {
                None => declared.get(k).cloned().flatten(),
                Some(v) => v.clone(),
            };
            let unreadable = matches!(wanted.get(k), Some(None));
            (old != new && !unreadable).then(|| ValueChange { name: k.clone(), old, new })
        })
        .collect()
}

/// Regions that take the same overrides: one operation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OverrideGroup {
    /// The overrides.
    pub overrides: Values,
    /// The regions, in the plan's order.
    pub regions: Vec<String>,
}

/// The instance operations a deploy of one stack set needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InstanceChanges {
    /// Instances to create.
    pub create: Vec<OverrideGroup>,
    /// Instances to update.
    pub update: Vec<OverrideGroup>,
}

/// The regions a stack-set update is scoped to. Without instances, none (the update reaches
/// every instance, of which there is none). Else the `safe` regions (see
/// [`StackSetParameters::safe_regions`]), in the order of `all`; without one, the first
/// touched region (its overrides are its own previous values; new parameters get its values).
/// `None` when no region of the deploy has an instance: the template cannot change without
/// updating one.
pub fn update_scope(has_instances: bool, safe: &[String], touched: &[String], all: &[String]) -> Option<Vec<String>> {
    match (has_instances, safe.is_empty(), touched.first()) {
        (false, _, _) => Some(Vec::new()),
        (true, false, _) => Some(order(safe, all)),
        (true, true, Some(first)) => Some(vec![first.clone()]),
        (true, true, None) => None,
    }
}

/// The regions with an instance that are outside this deploy's `regions` but still in the
/// stack's `all` regions: a template update leaves them OUTDATED.
pub fn left_outdated(instances: &BTreeMap<String, InstanceInfo>, regions: &[String], all: &[String]) -> Vec<String> {
    instances.keys().filter(|r| !regions.contains(r) && all.contains(r)).cloned().collect()
}

/// The regions with an instance that the stack no longer lists: pruned.
pub fn pruned(instances: &BTreeMap<String, InstanceInfo>, all: &[String]) -> Vec<String> {
    instances.keys().filter(|r| !all.contains(r)).cloned().collect()
}

/// `regions` in the order of `all` (those not in `all` last).
pub fn order(regions: &[String], all: &[String]) -> Vec<String> {
    let mut out: Vec<String> = all.iter().filter(|r| regions.contains(r)).cloned().collect();
    out.extend(regions.iter().filter(|r| !all.contains(r)).cloned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::InstanceStatus;
    use serde_json::json;

    fn values(pairs: &[(&str, &str)]) -> Values {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    fn instance(overrides: &[(&str, &str)], status: InstanceStatus) -> InstanceInfo {
        InstanceInfo { overrides: values(overrides), status, ..Default::default() }
    }

    /// `Tier` has a Default and a value in us-west-2 only; `Zone` a value per region; `Cidr` too.
    fn network() -> StackSetParameters {
        let template = json!({"Parameters": {
            "Cidr": {"Type": "String"},
            "Tier": {"Type": "String", "Default": "small"},
            "Zone": {"Type": "String"},
            "Subnets": {"Type": "CommaDelimitedList", "Default": ["a", "b"]}
        }});
        let wanted = BTreeMap::from([
            ("us-east-1".to_string(), values(&[("Cidr", "10.0.0.0/16"), ("Zone", "a")])),
            ("us-west-2".to_string(), values(&[("Cidr", "10.1.0.0/16"), ("Zone", "b"), ("Tier", "large")])),
            ("eu-west-1".to_string(), values(&[("Cidr", "10.2.0.0/16"), ("Zone", "c"), ("Stale", "x")])),
        ]);
        let regions = strings(&["us-east-1", "us-west-2", "eu-west-1"]);
        StackSetParameters::new(template_parameters(&template), wanted, &strings(&["us-west-2"]), &regions)
    }

    #[test]
    fn template_defaults_are_passed_as_cloudformation_does() {
        let p = network();
        assert_eq!(p.declared["Subnets"].as_deref(), Some("a,b"));
        assert_eq!(p.declared["Cidr"], None);
    }

    #[test]
    fn set_level_values_are_defaults_else_the_first_touched_region_s() {
        let p = network();
        assert_eq!(
            p.set_level,
            values(&[("Cidr", "10.1.0.0/16"), ("Subnets", "a,b"), ("Tier", "small"), ("Zone", "b")])
        );
        // Without touched regions, the first region of the deploy.
        let q = StackSetParameters::new(p.declared.clone(), p.wanted.clone(), &[], &strings(&["eu-west-1"]));
        assert_eq!(q.set_level["Zone"], "c");
    }

    #[test]
    fn a_region_s_stack_gets_set_level_values_overridden_by_its_own_and_only_declared_ones() {
        let p = network();
        let e = p.effective(p.wanted_in("eu-west-1"));
        assert_eq!(
            e,
            values(&[("Cidr", "10.2.0.0/16"), ("Subnets", "a,b"), ("Tier", "small"), ("Zone", "c")]),
            "Stale is not declared"
        );
        assert!(p.settles("us-west-2", &values(&[("Tier", "large")])));
        assert!(!p.settles("us-east-1", &values(&[("Cidr", "10.0.0.0/16")])), "Zone would be us-west-2's");
        assert_eq!(p.wanted_in("ap-south-1"), &Values::new());
    }

    #[test]
    fn the_stack_set_changes_when_its_parameters_or_a_defaulted_value_change() {
        let p = network();
        assert!(!p.set_level_changed(&p.set_level.clone()));
        let mut other_zone = p.set_level.clone();
        other_zone.insert("Zone".into(), "a".into());
        assert!(!p.set_level_changed(&other_zone), "Zone has no Default: overridden per region");
        let mut other_tier = p.set_level.clone();
        other_tier.insert("Tier".into(), "large".into());
        assert!(p.set_level_changed(&other_tier));
        let mut fewer = p.set_level.clone();
        fewer.remove("Zone");
        assert!(p.set_level_changed(&fewer));
    }

    #[test]
    fn an_update_reaches_only_the_regions_it_settles_else_the_first_touched() {
        let p = network();
        let all = strings(&["us-east-1", "us-west-2", "eu-west-1"]);
        let instances = BTreeMap::from([
            ("us-east-1".to_string(), instance(&[("Cidr", "10.0.0.0/16")], InstanceStatus::Current)),
            ("us-west-2".to_string(), instance(&[("Cidr", "10.1.0.0/16"), ("Tier", "large")], InstanceStatus::Current)),
        ]);
        let touched = strings(&["us-east-1", "us-west-2"]);
        let safe = p.safe_regions(&touched, &instances);
        assert_eq!(safe, ["us-west-2"], "us-west-2's Zone comes from the set level, us-east-1's would not");
        assert_eq!(update_scope(true, &safe, &touched, &all), Some(strings(&["us-west-2"])));
        assert_eq!(update_scope(true, &[], &touched, &all), Some(strings(&["us-east-1"])));
        assert_eq!(update_scope(false, &[], &[], &all), Some(vec![]));
        assert_eq!(update_scope(true, &[], &[], &all), None, "refused: no region of the deploy is deployed");
        assert_eq!(order(&strings(&["x", "eu-west-1", "us-east-1"]), &all), ["us-east-1", "eu-west-1", "x"]);
    }

    #[test]
    fn instances_are_created_or_updated_in_groups_of_identical_overrides() {
        let template = json!({"Parameters": {"Stage": {"Type": "String"}}});
        let same = values(&[("Stage", "prod")]);
        let wanted = BTreeMap::from([
            ("a".to_string(), same.clone()),
            ("b".to_string(), same.clone()),
            ("c".to_string(), values(&[("Stage", "dev")])),
            ("d".to_string(), same.clone()),
            ("e".to_string(), same.clone()),
        ]);
        let regions = strings(&["a", "b", "c", "d", "e"]);
        let p = StackSetParameters::new(template_parameters(&template), wanted, &[], &regions);
        let instances = BTreeMap::from([
            ("c".to_string(), instance(&[("Stage", "test")], InstanceStatus::Current)),
            ("d".to_string(), instance(&[("Stage", "prod")], InstanceStatus::Outdated)),
            ("e".to_string(), instance(&[("Stage", "prod")], InstanceStatus::Current)),
        ]);
        let base = p.set_level.clone();
        let changes = p.instance_changes(&regions, &instances, &BTreeSet::new(), false, &base);
        assert_eq!(changes.create, [OverrideGroup { overrides: same.clone(), regions: strings(&["a", "b"]) }]);
        assert_eq!(
            changes.update,
            [
                OverrideGroup { overrides: values(&[("Stage", "dev")]), regions: strings(&["c"]) },
                OverrideGroup { overrides: same.clone(), regions: strings(&["d"]) },
            ],
            "e is CURRENT with its values: nothing to do"
        );
        // A template change updates every existing instance not settled by the stack-set update.
        let settled = BTreeSet::from(["c".to_string()]);
        let changes = p.instance_changes(&regions, &instances, &settled, true, &base);
        assert_eq!(changes.update, [OverrideGroup { overrides: same, regions: strings(&["d", "e"]) }]);
    }

    #[test]
    fn regions_outside_the_deploy_stay_outdated_and_regions_no_longer_listed_are_pruned() {
        let instances = BTreeMap::from([
            ("a".to_string(), InstanceInfo::default()),
            ("b".to_string(), InstanceInfo::default()),
            ("gone".to_string(), InstanceInfo::default()),
        ]);
        let all = strings(&["a", "b"]);
        assert_eq!(left_outdated(&instances, &strings(&["a"]), &all), ["b"]);
        assert_eq!(pruned(&instances, &all), ["gone"]);
    }

    #[test]
    fn value_changes_compare_the_stack_s_values_with_the_wanted_ones() {
        let declared = template_parameters(&json!({"Parameters": {
            "Stage": {"Type": "String"},
            "Tier": {"Type": "String", "Default": "small"},
            "VpcId": {"Type": "String"},
            "Gone": {"Type": "String"}
        }}));
        let deployed = values(&[("Stage", "dev"), ("Tier", "large"), ("Gone", "x")]);
        let overrides = values(&[("Stage", "prod"), ("VpcId", "vpc-1")]);
        let wanted = BTreeMap::from([
            ("Stage".to_string(), Some("prod".to_string())),
            ("VpcId".to_string(), None),
            ("Gone".to_string(), Some("y".to_string())),
        ]);
        let change = |name: &str, old: Option<&str>, new: Option<&str>| ValueChange {
            name: name.into(),
            old: old.map(str::to_owned),
            new: new.map(str::to_owned),
        };
        assert_eq!(
            value_changes(&declared, &deployed, &overrides, &wanted),
            [
                change("Gone", Some("x"), Some("y")),
                // No value in the region: the template's Default.
                change("Tier", Some("large"), Some("small")),
            ],
            "Stage is overridden to its wanted value; VpcId is bound and not readable yet"
        );
        let read = BTreeMap::from([("VpcId".to_string(), Some("vpc-2".to_string()))]);
        assert!(value_changes(&declared, &deployed, &overrides, &read).contains(&change(
            "VpcId",
            Some("vpc-1"),
            Some("vpc-2")
        )));
    }
}
