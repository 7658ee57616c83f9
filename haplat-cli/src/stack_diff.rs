//! The stack-diff reader: how each stack set of the assembly differs, per region, from what
//! is deployed (what `haplat diff` shows, and the data-safety check `haplat deploy` makes
//! before changing anything), or from another assembly (`haplat diff --against`). It only
//! reads: every call is a read through the retry/wait [`Client`]; bound parameters are read by
//! [`Outputs`]. Template comparison itself is [`crate::template_diff`].
//!
//! Uses [`crate::client`], [`crate::bindings`], [`crate::template_diff`], [`crate::plan`],
//! [`crate::assembly`] and [`crate::failure`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::assembly::Assembly;
use crate::bindings::Outputs;
use crate::cfn::{CloudFormation, InstanceStatus};
use crate::client::Client;
use crate::failure::ExecError;
use crate::plan::{DeployPlan, ParamValue, params};
use crate::template_diff::{
    ChangeKind, ResourceChange, ResourceFacts, TemplateDiff, diff_templates, render_template_diff, short,
};

/// A parameter whose value changes in a region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParamChange {
    /// The region.
    pub region: String,
    /// The parameter.
    pub name: String,
    /// The deployed value.
    pub old: Option<String>,
    /// The new value (`None`: only known at deploy time).
    pub new: Option<String>,
}

/// How one stack set differs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StackDiff {
    /// The stack set.
    pub name: String,
    /// The regions of the assembly (as far as the command touches them).
    pub regions: Vec<String>,
    /// Whether it exists on the other side.
    pub deployed: bool,
    /// Its template.
    pub template: TemplateDiff,
    /// Regions that get a new instance.
    pub regions_added: Vec<String>,
    /// Regions whose instance is deleted.
    pub regions_removed: Vec<String>,
    /// Stateful resources deleted with the removed regions' stacks.
    pub removed_with_regions: Vec<ResourceChange>,
    /// Parameter values that change.
    pub parameters: Vec<ParamChange>,
    /// Instances that are not CURRENT: (region, status, reason).
    pub not_current: Vec<(String, InstanceStatus, Option<String>)>,
    /// Stateful resources replaced in one region because a parameter that a create-only
    /// property takes changes value there: (region, change).
    pub replaced_by_parameters: Vec<(String, ResourceChange)>,
    /// The deployed template, when there is one (what `haplat check`'s rules about changes
    /// compare with).
    #[serde(skip)]
    pub deployed_template: Option<serde_json::Value>,
}

impl StackDiff {
    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.deployed
            && self.template.is_empty()
            && self.regions_added.is_empty()
            && self.regions_removed.is_empty()
            && self.parameters.is_empty()
            && self.not_current.is_empty()
    }

    /// The text `haplat diff` prints for it.
    pub fn render(&self, out: &mut String) {
        if self.is_empty() {
            let _ = writeln!(out, "stack set {}: no differences", self.name);
            return;
        }
        let what = if self.deployed { "" } else { " (new)" };
        let _ = writeln!(out, "stack set {}{what}  [{}]", self.name, self.regions.join(", "));
        if !self.template.is_empty() {
            let scope = if self.deployed { "every region" } else { "template" };
            let _ = writeln!(out, "  {scope}:");
            render_template_diff(&self.template, 4, out);
        }
        for r in &self.regions_added {
            let _ = writeln!(out, "  + region {r}: new stack instance");
        }
        for r in &self.regions_removed {
            let _ = writeln!(out, "  - region {r}: stack instance and its stack deleted");
        }
        for r in &self.removed_with_regions {
            let _ = writeln!(
                out,
                "      {} {} {} would be DELETED with it [stateful]",
                r.logical_id,
                r.facts.type_name,
                r.facts.display_path(&r.logical_id)
            );
        }
        for (region, r) in &self.replaced_by_parameters {
            let _ = writeln!(
                out,
                "  ! {region} {} {} {}  [REPLACE: {}; stateful]",
                r.logical_id,
                r.facts.type_name,
                r.facts.display_path(&r.logical_id),
                r.replaced_because.join(", ")
            );
        }
        for p in &self.parameters {
            let _ = writeln!(
                out,
                "  ~ {} parameter {}: {} -> {}",
                p.region,
                p.name,
                p.old.as_deref().map(|s| format!("{s:?}")).unwrap_or_else(|| "(none)".into()),
                p.new.as_deref().map(|s| format!("{s:?}")).unwrap_or_else(|| "(read at deploy)".into()),
            );
        }
        for (region, status, reason) in &self.not_current {
            let _ = writeln!(
                out,
                "  ! {region}: instance is {status}{}; deploy brings it up to date",
                reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
            );
        }
    }

    /// Every change that loses data: stateful resources replaced or deleted.
    pub fn data_losses(&self) -> Vec<(String, &ResourceChange)> {
        let mut out: Vec<(String, &ResourceChange)> = Vec::new();
        // A template change reaches the instances deployed in the regions of this deploy (with
        // `--regions`, only those); a region whose instance is new loses nothing.
        let affected: Vec<&str> =
            self.regions.iter().filter(|r| !self.regions_added.contains(r)).map(String::as_str).collect();
        if !affected.is_empty() {
            for r in self.template.resources.iter().filter(|r| r.loses_data()) {
                out.push((format!("in {}", affected.join(", ")), r));
            }
        }
        for r in &self.removed_with_regions {
            out.push((format!("in {} (instance deleted)", self.regions_removed.join(", ")), r));
        }
        for (region, r) in &self.replaced_by_parameters {
            out.push((format!("in {region}"), r));
        }
        out
    }
}

/// The message deploy refuses with, or `None` when every loss is allowed.
pub fn refuse_data_loss(diffs: &[StackDiff], allow: &[String]) -> Option<String> {
    let mut lines = Vec::new();
    for d in diffs {
        for (where_, r) in d.data_losses() {
            if allow.iter().any(|a| r.is_named_by(a)) {
                continue;
            }
            let path = r.facts.display_path(&r.logical_id);
            let what = match r.kind {
                ChangeKind::Replaced => {
                    let props: Vec<String> = r
                        .changes
                        .iter()
                        .filter(|c| c.create_only.is_some())
                        .map(|c| format!("{}: {} -> {}", c.path, short(&c.old), short(&c.new)))
                        .collect();
                    format!(
                        "would be replaced because {}{}",
                        r.replaced_because.join(" and "),
                        if props.is_empty() { String::new() } else { format!(" ({})", props.join("; ")) }
                    )
                }
                _ => format!("would be deleted (DeletionPolicy {})", r.facts.deletion_policy),
            };
            lines.push(format!(
                "  {path} ({}, logical id {}) in stack set {} {where_} {what}",
                r.facts.type_name, r.logical_id, d.name
            ));
        }
    }
    if lines.is_empty() {
        return None;
    }
    Some(format!(
        "refusing to deploy: it would lose the data of stateful resources:\n{}\nnothing was changed; to accept, name each one: --allow-replace <construct path>",
        lines.join("\n")
    ))
}

/// The text `haplat diff` (and `haplat deploy`, before asking) prints for the stack sets, and
/// whether anything differs.
pub fn report(diffs: &[StackDiff]) -> (String, bool) {
    let mut out = String::new();
    for d in diffs {
        d.render(&mut out);
    }
    let differ = diffs.iter().filter(|d| !d.is_empty()).count();
    if differ == 0 {
        out.push_str("no differences\n");
    } else {
        out.push_str(&format!("{differ} of {} stack set(s) differ\n", diffs.len()));
    }
    (out, differ > 0)
}

/// Compares the plan's stacks with what is deployed, reading through `client`. `account` is
/// the bootstrap stack's account (the account of the producers that bound parameters are read
/// from); without it, that of the stack set's first instance.
pub async fn against_deployed<C: CloudFormation>(
    client: &Client<'_, C>,
    assembly: &Assembly,
    plan: &DeployPlan,
    account: Option<&str>,
) -> Result<Vec<StackDiff>, ExecError> {
    let (cfn, outputs) = (client.cfn, Outputs::default());
    let mut out = Vec::new();
    for s in plan.stacks() {
        let name = s.name.as_str();
        // Planned stacks come from the manifest; one that is not there has nothing to compare.
        let Some(m) = assembly.manifest.stack(name) else { continue };
        let new = &assembly.template(name).json;
        let set = client.call(name, "describe stack set", || cfn.describe_stack_set(name)).await?;
        let Some(set) = set else {
            out.push(StackDiff {
                name: name.to_owned(),
                regions: s.regions.clone(),
                deployed: false,
                template: diff_templates(None, None, Some(new), Some(&m.resources)),
                regions_added: s.regions.clone(),
                ..Default::default()
            });
            continue;
        };
        let old = set.parsed_template().map_err(|e| ExecError::Refused {
            stack: name.into(),
            message: format!(
                "the deployed template of stack set {name} cannot be read ({e}); no data-safety check is possible"
            ),
        })?;
        let template = diff_templates(Some(&old), None, Some(new), Some(&m.resources));
        let instances = client.call(name, "list stack instances", || cfn.list_stack_instances(name)).await?;
        let deployed_regions: BTreeSet<&str> = instances.iter().map(|i| i.region.as_str()).collect();
        let all = m.target.regions();
        let regions_added: Vec<String> =
            s.regions.iter().filter(|r| !deployed_regions.contains(r.as_str())).cloned().collect();
        let regions_removed: Vec<String> = if s.prune {
            deployed_regions.iter().filter(|r| !all.iter().any(|a| a == *r)).map(|r| r.to_string()).collect()
        } else {
            Vec::new()
        };
        let removed_with_regions = if regions_removed.is_empty() {
            Vec::new()
        } else {
            diff_templates(Some(&old), Some(&m.resources), None, None)
                .resources
                .into_iter()
                .filter(|r| r.loses_data())
                .collect()
        };
        // Bound values are read from the producers; one that cannot be read is "read at deploy".
        let declared = crate::plan::template_parameters(new);
        let mut parameters = Vec::new();
        let mut not_current = Vec::new();
        let account = account.map(str::to_owned).or_else(|| instances.first().map(|i| i.account.clone()));
        for i in instances.iter().filter(|i| s.regions.contains(&i.region)) {
            if !i.status.is_current() {
                not_current.push((i.region.clone(), i.status.clone(), i.status_reason.clone()));
            }
            let full = client
                .call(name, "describe stack instance", || cfn.describe_stack_instance(name, &i.account, &i.region))
                .await?;
            // The region's new values: literals, and bound values read from the producers
            // (`None`: not readable yet, "read at deploy").
            let mut wanted: BTreeMap<String, Option<String>> = BTreeMap::new();
            for (k, v) in s.parameters.get(&i.region).into_iter().flatten() {
                let value = match v {
                    ParamValue::Literal(v) => Some(v.clone()),
                    ParamValue::Output { stack, output, region, .. } => {
                        match outputs.output(client, account.as_deref().unwrap_or_default(), stack, region).await {
                            Ok(o) => o.get(output).cloned(),
                            Err(_) => None,
                        }
                    }
                };
                wanted.insert(k.clone(), value);
            }
            for c in params::value_changes(&declared, &set.parameters, &full.overrides, &wanted) {
                parameters.push(ParamChange { region: i.region.clone(), name: c.name, old: c.old, new: c.new });
            }
        }
        let replaced_by_parameters = replaced_by_parameters(new, &m.resources, &parameters);
        out.push(StackDiff {
            name: name.to_owned(),
            regions: s.regions.clone(),
            deployed: true,
            replaced_by_parameters,
            template,
            regions_added,
            regions_removed,
            removed_with_regions,
            parameters,
            not_current,
            deployed_template: Some(old),
        });
    }
    Ok(out)
}

/// Compares two assemblies offline: `old` (e.g. the last release's) against `new`.
pub fn between_assemblies(old: &Assembly, new: &Assembly, stacks: &[String]) -> Vec<StackDiff> {
    // The new assembly's wave order, then stacks only the old one has.
    let mut names: Vec<&str> = Vec::new();
    for s in new.manifest.waves.iter().flatten().chain(old.manifest.waves.iter().flatten()) {
        if !names.contains(&s.as_str()) && (stacks.is_empty() || stacks.iter().any(|x| x == s)) {
            names.push(s.as_str());
        }
    }
    let mut out = Vec::new();
    for name in names {
        let (o, n) = (old.manifest.stack(name), new.manifest.stack(name));
        let old_regions = o.map(|s| s.target.regions()).unwrap_or_default();
        let new_regions = n.map(|s| s.target.regions()).unwrap_or_default();
        let template = diff_templates(
            o.map(|_| &old.template(name).json),
            o.map(|s| &s.resources),
            n.map(|_| &new.template(name).json),
            n.map(|s| &s.resources),
        );
        let regions_removed: Vec<String> = old_regions.iter().filter(|r| !new_regions.contains(r)).cloned().collect();
        let removed_with_regions = match (o, regions_removed.is_empty()) {
            (Some(os), false) => diff_templates(Some(&old.template(name).json), Some(&os.resources), None, None)
                .resources
                .into_iter()
                .filter(|r| r.loses_data())
                .collect(),
            _ => Vec::new(),
        };
        let mut parameters = Vec::new();
        if let (Some(os), Some(ns)) = (o, n) {
            for region in new_regions.iter().filter(|r| old_regions.contains(r)) {
                let a = crate::plan::parameters_for(os, region);
                let b = crate::plan::parameters_for(ns, region);
                let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
                for k in keys {
                    if a.get(k) != b.get(k) {
                        parameters.push(ParamChange {
                            region: region.clone(),
                            name: k.clone(),
                            old: a.get(k).map(|v| v.to_string()),
                            new: b.get(k).map(|v| v.to_string()),
                        });
                    }
                }
            }
        }
        let replaced_by_parameters = match n {
            Some(ns) if o.is_some() => replaced_by_parameters(&new.template(name).json, &ns.resources, &parameters),
            _ => Vec::new(),
        };
        out.push(StackDiff {
            name: name.to_owned(),
            regions: new_regions.clone(),
            deployed: o.is_some(),
            replaced_by_parameters,
            template,
            regions_added: new_regions.iter().filter(|r| !old_regions.contains(r)).cloned().collect(),
            regions_removed,
            removed_with_regions,
            parameters,
            not_current: Vec::new(),
            deployed_template: o.map(|_| old.template(name).json.clone()),
        });
    }
    out
}

/// Stateful resources whose create-only property takes a parameter (`Ref`, or `${Name}` in
/// `Fn::Sub`) whose value changes in a region: CloudFormation replaces them there. (Values
/// reached through `Fn::FindInMap` or conditions are not followed: see docs/cli.md, Limits.)
fn replaced_by_parameters(
    template: &Value,
    manifest: &BTreeMap<String, haplat_core::manifest::ResourceManifest>,
    changes: &[ParamChange],
) -> Vec<(String, ResourceChange)> {
    fn takes(v: &Value, param: &str) -> bool {
        match v {
            Value::Object(o) => {
                o.get("Ref").and_then(Value::as_str) == Some(param)
                    || o.get("Fn::Sub").is_some_and(|s| {
                        let text = s.as_str().or_else(|| s.get(0).and_then(Value::as_str)).unwrap_or("");
                        text.contains(&format!("${{{param}}}"))
                    })
                    || o.values().any(|x| takes(x, param))
            }
            Value::Array(a) => a.iter().any(|x| takes(x, param)),
            _ => false,
        }
    }
    let mut out = Vec::new();
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else { return out };
    for c in changes.iter().filter(|c| c.old.is_some() && c.new.is_some()) {
        for (id, r) in resources {
            let Some(m) = manifest.get(id).filter(|m| m.stateful) else { continue };
            let Some(props) = r.get("Properties") else { continue };
            let forced: Vec<String> = m
                .create_only
                .iter()
                .filter(|co| {
                    let top = co.split(['.', '[', '/']).next().unwrap_or(co);
                    props.get(top).is_some_and(|v| takes(v, &c.name))
                })
                .map(|co| format!("{co} is create-only and takes parameter {}, which changes", c.name))
                .collect();
            if !forced.is_empty() {
                out.push((
                    c.region.clone(),
                    ResourceChange {
                        logical_id: id.clone(),
                        facts: ResourceFacts::of_deployed(id, r, Some(manifest)),
                        kind: ChangeKind::Replaced,
                        replaced_because: forced,
                        changes: Vec::new(),
                        security: None,
                        properties: None,
                    },
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use haplat_core::manifest::ResourceManifest;
    use serde_json::json;

    #[test]
    fn a_parameter_taken_by_a_create_only_property_replaces_the_resource_where_it_changes() {
        let t = json!({"Resources": {
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": {"Fn::Sub": "orders-${Stage}"}}},
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "Stage"}}}
        }});
        let m = BTreeMap::from([
            (
                "Table".to_string(),
                ResourceManifest {
                    type_name: "AWS::DynamoDB::Table".into(),
                    path: "Data/Orders".into(),
                    stateful: true,
                    create_only: vec!["TableName".into()],
                    deletion_policy: "Retain".into(),
                },
            ),
            (
                "Queue".to_string(),
                ResourceManifest {
                    type_name: "AWS::SQS::Queue".into(),
                    path: "Data/Queue".into(),
                    stateful: false,
                    create_only: vec!["QueueName".into()],
                    deletion_policy: "Delete".into(),
                },
            ),
        ]);
        let change = |name: &str| ParamChange {
            region: "eu-west-1".into(),
            name: name.into(),
            old: Some("a".into()),
            new: Some("b".into()),
        };
        let r = replaced_by_parameters(&t, &m, &[change("Stage")]);
        assert_eq!(r.len(), 1, "only the stateful one: {r:?}");
        assert_eq!(r[0].0, "eu-west-1");
        assert_eq!(r[0].1.logical_id, "Table");
        assert!(r[0].1.loses_data());
        assert_eq!(r[0].1.replaced_because, ["TableName is create-only and takes parameter Stage, which changes"]);
        assert!(replaced_by_parameters(&t, &m, &[change("Other")]).is_empty());
    }
}
