//! `haplat diff`'s reports for reviewers and tools: Markdown for a pull-request comment or a
//! GitHub job summary (size-bounded, with a marker a workflow finds its comment by) and a stable
//! JSON document. Both are drawn from the stack diffs of [`crate::stack_diff`]; the text report
//! is [`crate::stack_diff::report`].
//!
//! Uses [`crate::stack_diff`] and [`crate::template_diff`].

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::stack_diff::StackDiff;
use crate::template_diff::{ChangeKind, EntryChange, ResourceChange, Security, whole_lines, whole_value};

/// The first line of every Markdown report: an HTML comment GitHub does not show, by which a
/// workflow finds the one pull-request comment it updates.
pub const MARKER: &str = "<!-- haplat-diff -->";

/// GitHub's limit on a comment's body (65,536 characters); the Markdown report stays within it
/// (counted in bytes, which are never fewer than characters).
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// The version of the JSON document's shape; raised when a field changes meaning or goes.
pub const JSON_VERSION: u32 = 1;

/// A value in a `diff` block: longer than the text report's, still bounded.
const VALUE_CHARS: usize = 300;

/// The action on a resource, as the reports spell it.
pub fn action(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => "add",
        ChangeKind::Removed => "remove",
        ChangeKind::Modified => "modify",
        ChangeKind::Replaced => "replace",
    }
}

/// The whole diff as JSON (documented in docs/cli.md, `haplat diff --format json`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonReport {
    /// [`JSON_VERSION`].
    pub version: u32,
    /// `deployed` (what is deployed) or `assembly` (`--against DIR`).
    pub compared_with: &'static str,
    /// Whether anything differs (what `--fail` exits 3 on).
    pub differ: bool,
    /// Counts.
    pub summary: JsonSummary,
    /// One entry per stack set, in the order compared.
    pub stack_sets: Vec<JsonStackSet>,
}

/// Counts over every stack set.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonSummary {
    /// Stack sets compared.
    pub stack_sets: usize,
    /// Stack sets that differ.
    pub stack_sets_changed: usize,
    /// Resources that change (in the template).
    pub resources_changed: usize,
    /// Resources replaced (in the template, or in a region by a parameter).
    pub replacements: usize,
    /// Resources with IAM or security-group changes.
    pub security_changes: usize,
    /// Per-region parameter values that change.
    pub parameter_changes: usize,
}

/// One stack set.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonStackSet {
    /// Its name.
    pub name: String,
    /// Its regions (as far as the command touches them).
    pub regions: Vec<String>,
    /// Whether it exists on the other side (false: every resource is added).
    pub deployed: bool,
    /// Whether it differs.
    pub changed: bool,
    /// Resources that change, replacements and IAM/security-group changes first.
    pub resources: Vec<JsonResource>,
    /// Other template sections that change (`Outputs`, `Parameters`…).
    pub other: Vec<JsonEntry>,
    /// Regions that get a new instance.
    pub regions_added: Vec<String>,
    /// Regions whose instance (and its stack) is deleted.
    pub regions_removed: Vec<String>,
    /// Stateful resources deleted with those regions' stacks.
    pub removed_with_regions: Vec<JsonResource>,
    /// Parameter values that change, per region.
    pub parameters: Vec<JsonParameter>,
    /// Resources replaced in one region because a parameter a create-only property takes
    /// changes there.
    pub replaced_by_parameters: Vec<JsonRegionResource>,
    /// Instances that are not CURRENT.
    pub not_current: Vec<JsonInstance>,
}

/// A resource that changes.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonResource {
    /// The logical id.
    pub logical_id: String,
    /// The construct path, when known (`null` otherwise).
    pub path: Option<String>,
    /// The CloudFormation type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// `add`, `modify`, `remove` or `replace`.
    pub action: &'static str,
    /// Whether it holds data.
    pub stateful: bool,
    /// Whether this change loses its data (a stateful resource replaced, or deleted without a
    /// retaining deletion policy).
    pub loses_data: bool,
    /// Its deletion policy.
    pub deletion_policy: String,
    /// `iam`, `securityGroup`, or `null`.
    pub security: Option<Security>,
    /// Why it is replaced.
    pub replaced_because: Vec<String>,
    /// The values that change.
    pub changes: Vec<JsonChange>,
    /// The whole `Properties` of an IAM or security-group resource added or removed (its
    /// statements or rules), `null` for any other.
    pub properties: Option<Value>,
}

/// A value that changes, at a dotted path (`Properties.Tags[0].Value`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonChange {
    /// The path.
    pub path: String,
    /// The old value (`null`: added).
    pub old: Option<Value>,
    /// The new value (`null`: removed).
    pub new: Option<Value>,
    /// The create-only property this change touches (forcing a replacement), or `null`.
    pub create_only: Option<String>,
}

/// An entry of another template section.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonEntry {
    /// The section.
    pub section: String,
    /// The entry (empty for scalar sections such as `Description`).
    pub name: String,
    /// `add`, `modify` or `remove`.
    pub action: &'static str,
}

/// A parameter value that changes in a region.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonParameter {
    /// The region.
    pub region: String,
    /// The parameter.
    pub name: String,
    /// The deployed value (`null`: none).
    pub old: Option<String>,
    /// The new value (`null`: read from a producer at deploy time).
    pub new: Option<String>,
}

/// A resource change in one region.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonRegionResource {
    /// The region.
    pub region: String,
    /// The change.
    pub resource: JsonResource,
}

/// An instance that is not CURRENT.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonInstance {
    /// The region.
    pub region: String,
    /// `OUTDATED`, `INOPERABLE`…
    pub status: String,
    /// Why, when AWS says.
    pub reason: Option<String>,
}

fn json_resource(r: &ResourceChange) -> JsonResource {
    JsonResource {
        logical_id: r.logical_id.clone(),
        path: r.facts.path.clone(),
        type_name: r.facts.type_name.clone(),
        action: action(r.kind),
        stateful: r.facts.stateful,
        loses_data: r.loses_data(),
        deletion_policy: r.facts.deletion_policy.clone(),
        security: r.security,
        replaced_because: r.replaced_because.clone(),
        changes: r
            .changes
            .iter()
            .map(|c| JsonChange {
                path: c.path.clone(),
                old: c.old.clone(),
                new: c.new.clone(),
                create_only: c.create_only.clone(),
            })
            .collect(),
        properties: r.properties.clone(),
    }
}

fn json_entry(e: &EntryChange) -> JsonEntry {
    JsonEntry { section: e.section.clone(), name: e.name.clone(), action: action(e.kind) }
}

/// Replacements first, then IAM and security-group changes, then the rest in logical-id order.
fn review_order(resources: &[ResourceChange]) -> Vec<&ResourceChange> {
    let mut v: Vec<&ResourceChange> = resources.iter().collect();
    v.sort_by_key(|r| (r.kind != ChangeKind::Replaced, r.security.is_none()));
    v
}

/// The JSON document. `against_assembly`: the diff is against another assembly (`--against`).
pub fn json(diffs: &[StackDiff], against_assembly: bool) -> JsonReport {
    let stack_sets: Vec<JsonStackSet> = diffs
        .iter()
        .map(|d| JsonStackSet {
            name: d.name.clone(),
            regions: d.regions.clone(),
            deployed: d.deployed,
            changed: !d.is_empty(),
            resources: review_order(&d.template.resources).into_iter().map(json_resource).collect(),
            other: d.template.other.iter().map(json_entry).collect(),
            regions_added: d.regions_added.clone(),
            regions_removed: d.regions_removed.clone(),
            removed_with_regions: d.removed_with_regions.iter().map(json_resource).collect(),
            parameters: d
                .parameters
                .iter()
                .map(|p| JsonParameter {
                    region: p.region.clone(),
                    name: p.name.clone(),
                    old: p.old.clone(),
                    new: p.new.clone(),
                })
                .collect(),
            replaced_by_parameters: d
                .replaced_by_parameters
                .iter()
                .map(|(region, r)| JsonRegionResource { region: region.clone(), resource: json_resource(r) })
                .collect(),
            not_current: d
                .not_current
                .iter()
                .map(|(region, status, reason)| JsonInstance {
                    region: region.clone(),
                    status: status.to_string(),
                    reason: reason.clone(),
                })
                .collect(),
        })
        .collect();
    let summary = summary(diffs);
    JsonReport {
        version: JSON_VERSION,
        compared_with: if against_assembly { "assembly" } else { "deployed" },
        differ: summary.stack_sets_changed > 0,
        summary,
        stack_sets,
    }
}

fn summary(diffs: &[StackDiff]) -> JsonSummary {
    let all = || diffs.iter().flat_map(|d| &d.template.resources);
    JsonSummary {
        stack_sets: diffs.len(),
        stack_sets_changed: diffs.iter().filter(|d| !d.is_empty()).count(),
        resources_changed: all().count(),
        replacements: all().filter(|r| r.kind == ChangeKind::Replaced).count()
            + diffs.iter().map(|d| d.replaced_by_parameters.len()).sum::<usize>(),
        security_changes: all().filter(|r| r.security.is_some()).count(),
        parameter_changes: diffs.iter().map(|d| d.parameters.len()).sum(),
    }
}

/// Text for a Markdown table cell: one line, pipes escaped, inside a code span.
fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ").replace('|', "\\|");
    if s.contains('`') { format!("`` {s} ``") } else { format!("`{s}`") }
}

/// Text for Markdown outside code: one line, what Markdown or HTML would read escaped.
fn plain(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\n' | '\r' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' | '*' | '_' | '`' | '[' | ']' | '\\' | '#' => {
                out.push('\\');
                out.push(ch);
            }
            _ => out.push(ch),
        }
    }
    out
}

fn bounded(v: &Option<Value>, security: bool) -> String {
    // IAM and security-group changes whole (see `template_diff::value_text`).
    crate::template_diff::value_text(v, (!security).then_some(VALUE_CHARS))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What to flag for review on a resource: data loss, stateful, IAM, security group.
fn review_notes(r: &ResourceChange) -> String {
    let mut notes = Vec::new();
    if r.loses_data() {
        notes.push("**data loss**".to_owned());
    } else if r.facts.stateful {
        notes.push("stateful".to_owned());
    }
    if r.kind == ChangeKind::Removed {
        notes.push(r.facts.on_delete().to_owned());
    }
    match r.security {
        Some(Security::Iam) => notes.push("**IAM**".to_owned()),
        Some(Security::SecurityGroup) => notes.push("**security group**".to_owned()),
        None => {}
    }
    notes.join(", ")
}

fn resource_row(out: &mut String, region: Option<&str>, r: &ResourceChange) {
    let act = if r.kind == ChangeKind::Replaced { "**replace**".to_owned() } else { action(r.kind).to_owned() };
    let region = region.map(|g| format!(" ({})", plain(g))).unwrap_or_default();
    let _ = writeln!(
        out,
        "| {act}{region} | {} | {} | {} | {} |",
        code(&r.logical_id),
        r.facts.path.as_deref().map(code).unwrap_or_else(|| "—".to_owned()),
        code(&r.facts.type_name),
        review_notes(r)
    );
}

/// The fence for a code block holding `body`: longer than any run of backticks in it.
fn fence(body: &str) -> String {
    let (mut longest, mut run) = (0, 0);
    for ch in body.chars() {
        run = if ch == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

/// Whether the resource has lines in the property block: changes, a replacement's reasons, or
/// the whole properties of an IAM or security-group resource added or removed.
fn has_details(r: &ResourceChange) -> bool {
    !r.changes.is_empty() || !r.replaced_because.is_empty() || r.properties.is_some()
}

/// The property changes of the resources, as a `diff` block: `-` the deployed value, `+` the
/// new one, each resource headed by its logical id and construct path. IAM and
/// security-group resources added or removed, and their statements or rules added or removed,
/// are shown whole as indented JSON, every line marked.
fn property_block(resources: &[&ResourceChange]) -> Option<String> {
    let mut body = String::new();
    for r in resources.iter().filter(|r| has_details(r)) {
        let path = r.facts.path.as_deref().map(|p| format!(" ({p})")).unwrap_or_default();
        let _ = writeln!(body, "@@ {} {}{path} @@", r.logical_id, r.facts.type_name);
        if !r.replaced_because.is_empty() {
            let _ = writeln!(body, "! replaced: {}", r.replaced_because.join("; "));
        }
        if let Some(props) = &r.properties {
            let sign = if r.kind == ChangeKind::Removed { '-' } else { '+' };
            for l in whole_lines(sign, "Properties", props, "") {
                let _ = writeln!(body, "{l}");
            }
        }
        let security = r.security.is_some();
        for c in &r.changes {
            let co = if c.create_only.is_some() { "  # create-only: forces replacement" } else { "" };
            if let Some((sign, v)) = whole_value(c).filter(|_| security) {
                for l in whole_lines(sign, &c.path, v, co) {
                    let _ = writeln!(body, "{l}");
                }
                continue;
            }
            if c.old.is_some() {
                let _ = writeln!(body, "- {}: {}{co}", c.path, bounded(&c.old, security));
            }
            if c.new.is_some() {
                let _ = writeln!(body, "+ {}: {}{co}", c.path, bounded(&c.new, security));
            }
        }
    }
    if body.is_empty() {
        return None;
    }
    let f = fence(&body);
    Some(format!("{f}diff\n{body}{f}\n"))
}

/// How much of a stack set's section is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// Tables and the property changes.
    Full,
    /// Tables only (the property changes cut for size).
    Tables,
}

fn section(d: &StackDiff, detail: Detail) -> String {
    let mut out = String::new();
    let state = if d.deployed { "" } else { " (new)" };
    let regions = d.regions.iter().map(|r| plain(r)).collect::<Vec<_>>().join(", ");
    let _ = writeln!(out, "#### Stack set {}{state}\n", code(&d.name));
    let n = d.template.resources.len();
    let mut facts = vec![format!("regions: {regions}")];
    if n > 0 {
        facts.push(plural(n, "resource changes", "resources change"));
    }
    if !d.parameters.is_empty() {
        facts.push(plural(d.parameters.len(), "parameter value changes", "parameter values change"));
    }
    let _ = writeln!(out, "{}\n", facts.join(" · "));
    let ordered = review_order(&d.template.resources);
    let region_rows = !d.replaced_by_parameters.is_empty() || !d.removed_with_regions.is_empty();
    if !ordered.is_empty() || region_rows {
        out.push_str("| action | logical id | construct path | type | review |\n|---|---|---|---|---|\n");
        for (region, r) in &d.replaced_by_parameters {
            resource_row(&mut out, Some(region), r);
        }
        for r in &ordered {
            resource_row(&mut out, None, r);
        }
        let removed = d.regions_removed.join(", ");
        for r in &d.removed_with_regions {
            resource_row(&mut out, Some(&format!("with {removed}")), r);
        }
        out.push('\n');
    }
    if detail == Detail::Full {
        let mut with_changes: Vec<&ResourceChange> = ordered.clone();
        with_changes.extend(d.replaced_by_parameters.iter().map(|(_, r)| r));
        if let Some(block) = property_block(&with_changes) {
            let changed = with_changes.iter().filter(|r| has_details(r));
            let _ = writeln!(
                out,
                "<details><summary>Property changes ({})</summary>\n\n{block}\n</details>\n",
                plural(changed.count(), "resource", "resources")
            );
        }
    }
    if !d.parameters.is_empty() {
        out.push_str("| region | parameter | deployed | new |\n|---|---|---|---|\n");
        for p in &d.parameters {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                plain(&p.region),
                code(&p.name),
                p.old.as_deref().map(code).unwrap_or_else(|| "(none)".to_owned()),
                p.new.as_deref().map(code).unwrap_or_else(|| "(read at deploy)".to_owned())
            );
        }
        out.push('\n');
    }
    let mut lines = Vec::new();
    for e in &d.template.other {
        let name = if e.name.is_empty() { String::new() } else { format!(" {}", code(&e.name)) };
        lines.push(format!("- {} {}{name}", action(e.kind), plain(&e.section)));
    }
    for r in &d.regions_added {
        lines.push(format!("- region {}: new stack instance", plain(r)));
    }
    for r in &d.regions_removed {
        lines.push(format!("- region {}: stack instance and its stack **deleted**", plain(r)));
    }
    for (region, status, reason) in &d.not_current {
        let why = reason.as_deref().map(|r| format!(" ({})", plain(r))).unwrap_or_default();
        lines.push(format!("- region {}: instance is {status}{why}; deploy brings it up to date", plain(region)));
    }
    if !lines.is_empty() {
        let _ = writeln!(out, "{}\n", lines.join("\n"));
    }
    out
}

/// The Markdown report, at most `limit` bytes: the marker, a summary line, a section per stack
/// set that differs (a table of its resources, replacements and IAM/security-group changes
/// first; the property changes in a collapsed `diff` block; per-region parameter values), and
/// the stack sets without differences in one line. When it does not fit, property changes are
/// cut first, then whole stack sets, last first; a closing line says what was cut.
pub fn markdown(diffs: &[StackDiff], limit: usize) -> String {
    let s = summary(diffs);
    let mut head = format!("{MARKER}\n");
    if s.stack_sets_changed == 0 {
        let _ =
            writeln!(head, "### haplat diff: no differences ({})\n", plural(s.stack_sets, "stack set", "stack sets"));
    } else {
        let _ = writeln!(
            head,
            "### haplat diff: {} of {} {}, {} changed\n",
            s.stack_sets_changed,
            plural(s.stack_sets, "stack set", "stack sets"),
            if s.stack_sets_changed == 1 { "differs" } else { "differ" },
            plural(s.resources_changed, "resource", "resources"),
        );
        let mut review = Vec::new();
        if s.replacements > 0 {
            review.push(plural(s.replacements, "replacement", "replacements"));
        }
        if s.security_changes > 0 {
            review.push(plural(s.security_changes, "IAM or security-group change", "IAM or security-group changes"));
        }
        if s.parameter_changes > 0 {
            review.push(plural(s.parameter_changes, "parameter value change", "parameter value changes"));
        }
        if !review.is_empty() {
            let _ = writeln!(head, "**Review:** {}.\n", review.join(", "));
        }
    }
    let same: Vec<String> = diffs.iter().filter(|d| d.is_empty()).map(|d| code(&d.name)).collect();
    let tail = if same.is_empty() { String::new() } else { format!("No differences: {}.\n", same.join(", ")) };
    let changed: Vec<&StackDiff> = diffs.iter().filter(|d| !d.is_empty()).collect();
    // The longest closing line a cut can need (every stack set named), kept free from the start.
    let every: Vec<String> = changed.iter().map(|d| code(&d.name)).collect();
    let reserve = truncation_line(limit, &[], &every).len();
    let budget = limit.saturating_sub(head.len() + tail.len() + reserve);
    let (mut body, mut used) = (String::new(), 0);
    let (mut cut_details, mut cut_whole) = (Vec::new(), Vec::new());
    for d in &changed {
        let full = section(d, Detail::Full);
        if used + full.len() <= budget {
            used += full.len();
            body.push_str(&full);
            continue;
        }
        let tables = section(d, Detail::Tables);
        if used + tables.len() <= budget && tables.len() < full.len() {
            used += tables.len();
            body.push_str(&tables);
            cut_details.push(code(&d.name));
        } else {
            cut_whole.push(code(&d.name));
        }
    }
    let mut out = head;
    out.push_str(&body);
    out.push_str(&tail);
    if !cut_details.is_empty() || !cut_whole.is_empty() {
        out.push_str(&truncation_line(limit, &cut_details, &cut_whole));
    }
    // A limit smaller than the head itself: cut rather than exceed it.
    if out.len() > limit {
        let mut end = limit;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
    }
    out
}

/// The closing line of a cut report: the property changes and the stack sets left out.
fn truncation_line(limit: usize, cut_details: &[String], cut_whole: &[String]) -> String {
    let mut what = Vec::new();
    if !cut_details.is_empty() {
        what.push(format!("the property changes of {}", cut_details.join(", ")));
    }
    if !cut_whole.is_empty() {
        what.push(format!("the stack sets {}", cut_whole.join(", ")));
    }
    format!(
        "\n**Truncated** to stay within GitHub's {limit}-character limit: {} left out; run `haplat diff` for the whole diff.\n",
        what.join(" and ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack_diff::ParamChange;
    use crate::template_diff::diff_templates;
    use serde_json::json;

    fn sample() -> Vec<StackDiff> {
        let old = json!({"Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"Path": "/"}},
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "a|b"}},
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "x"}}
        }});
        let new = json!({"Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"Path": "/x/"}},
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "c"}},
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "```y"}}
        }});
        let m = std::collections::BTreeMap::from([(
            "Table".to_string(),
            haplat_core::manifest::ResourceManifest {
                type_name: "AWS::DynamoDB::Table".into(),
                path: "Data/Orders".into(),
                stateful: true,
                create_only: vec!["TableName".into()],
                deletion_policy: "Retain".into(),
            },
        )]);
        vec![
            StackDiff {
                name: "Data".into(),
                regions: vec!["us-east-1".into(), "eu-west-1".into()],
                deployed: true,
                template: diff_templates(Some(&old), None, Some(&new), Some(&m)),
                parameters: vec![ParamChange {
                    region: "eu-west-1".into(),
                    name: "Cidr".into(),
                    old: Some("10.2.0.0/16".into()),
                    new: Some("10.3.0.0/16".into()),
                }],
                ..Default::default()
            },
            StackDiff { name: "Quiet".into(), regions: vec!["us-east-1".into()], deployed: true, ..Default::default() },
        ]
    }

    #[test]
    fn markdown_puts_replacements_and_iam_first_and_fences_what_it_quotes() {
        let md = markdown(&sample(), GITHUB_COMMENT_LIMIT);
        assert!(
            md.starts_with("<!-- haplat-diff -->\n### haplat diff: 1 of 2 stack sets differs, 3 resources changed\n"),
            "{md}"
        );
        assert!(
            md.contains("**Review:** 1 replacement, 1 IAM or security-group change, 1 parameter value change."),
            "{md}"
        );
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ") && l.contains("`AWS::")).collect();
        assert_eq!(rows.len(), 3, "{md}");
        assert!(rows[0].starts_with("| **replace** | `Table` | `Data/Orders`"), "{rows:?}");
        assert!(rows[1].starts_with("| modify | `Role` | — | `AWS::IAM::Role` | **IAM** |"), "{rows:?}");
        // A value holding backticks cannot close the block early.
        assert!(md.contains("````diff\n") && md.contains("+ Properties.DisplayName: \"```y\"\n"), "{md}");
        assert!(md.contains("- Properties.TableName: \"a|b\"  # create-only: forces replacement"), "{md}");
        assert!(md.contains("| eu-west-1 | `Cidr` | `10.2.0.0/16` | `10.3.0.0/16` |"), "{md}");
        assert!(md.contains("No differences: `Quiet`."), "{md}");
        assert!(!md.contains("Truncated"), "{md}");
    }

    #[test]
    fn markdown_cuts_property_changes_then_stack_sets_and_says_so() {
        let diffs = sample();
        let full = markdown(&diffs, GITHUB_COMMENT_LIMIT);
        let small = full.len() - 100;
        let md = markdown(&diffs, small);
        assert!(md.len() <= small, "{} > {small}", md.len());
        assert!(!md.contains("<details>") && md.contains("| **replace** | `Table`"), "{md}");
        assert!(md.contains("**Truncated** to stay within GitHub's"), "{md}");
        assert!(md.contains("the property changes of `Data` left out"), "{md}");
        let md = markdown(&diffs, 700);
        assert!(md.len() <= 700 && md.starts_with(MARKER), "{md}");
        assert!(md.contains("the stack sets `Data` left out") && !md.contains("| **replace**"), "{md}");
    }

    #[test]
    fn json_is_the_documented_shape() {
        let j = serde_json::to_value(json(&sample(), false)).unwrap();
        assert_eq!(j["version"], 1);
        assert_eq!(j["comparedWith"], "deployed");
        assert_eq!(j["differ"], true);
        assert_eq!(
            j["summary"],
            json!({"stackSets": 2, "stackSetsChanged": 1, "resourcesChanged": 3, "replacements": 1, "securityChanges": 1, "parameterChanges": 1})
        );
        let r = &j["stackSets"][0]["resources"][0];
        assert_eq!(
            (r["logicalId"].as_str(), r["action"].as_str(), r["type"].as_str()),
            (Some("Table"), Some("replace"), Some("AWS::DynamoDB::Table"))
        );
        assert_eq!(r["path"], "Data/Orders");
        assert_eq!(
            r["changes"][0],
            json!({"path": "Properties.TableName", "old": "a|b", "new": "c", "createOnly": "TableName"})
        );
        assert_eq!(j["stackSets"][0]["resources"][1]["security"], "iam");
        assert_eq!(j["stackSets"][0]["resources"][1]["properties"], Value::Null, "modified: its changes say it");
        assert_eq!(j["stackSets"][1]["changed"], false);
    }

    #[test]
    fn an_added_security_group_carries_its_properties_in_json_and_its_rules_in_markdown() {
        let props = json!({"GroupDescription": "web", "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443,
            "ToPort": 443, "CidrIp": "0.0.0.0/0"}]});
        let new = json!({"Resources": {"Web": {"Type": "AWS::EC2::SecurityGroup", "Properties": props}}});
        let diffs = [StackDiff {
            name: "Edge".into(),
            deployed: true,
            template: diff_templates(Some(&json!({"Resources": {}})), None, Some(&new), None),
            ..Default::default()
        }];
        let j = serde_json::to_value(json(&diffs, false)).unwrap();
        let r = &j["stackSets"][0]["resources"][0];
        assert_eq!((r["action"].as_str(), &r["properties"]), (Some("add"), &props));
        let md = markdown(&diffs, GITHUB_COMMENT_LIMIT);
        assert!(md.contains("<details><summary>Property changes (1 resource)</summary>"), "{md}");
        assert!(md.contains("@@ Web AWS::EC2::SecurityGroup @@\n+ Properties: {\n"), "{md}");
        assert!(md.contains("\n+       \"CidrIp\": \"0.0.0.0/0\"\n"), "{md}");
    }
}
