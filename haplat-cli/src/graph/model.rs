//! What is drawn: the [`Graph`] of boxes, rows, columns and arrows, built from the manifest
//! ([`platform`]) or one template ([`resources`]); the renderers read it.

use std::collections::{BTreeMap, BTreeSet};

use haplat_core::manifest::{BindingRegion, Manifest, Target};
use serde_json::Value;

/// A box: one stack instance (or a stack set's instances, spanning rows), or one resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// A key unique in the graph (`Api@us-east-1`, a logical id).
    pub key: String,
    /// The first line of its label (the stack's construct id, the resource's path).
    pub title: String,
    /// The second line (`stack set · wave 2`, the resource type).
    pub detail: String,
    /// The rows it spans, as indexes into [`Graph::rows`] (one, or a stack set's regions).
    pub rows: Vec<usize>,
    /// Its column (the wave, or the reference depth).
    pub column: usize,
    /// Nodes of one group (a stack set's instances) share it, and so their colour.
    pub group: usize,
}

/// One end of an arrow: a node's key and the row it leaves or arrives in.
pub type End = (String, usize);

/// An arrow from the node that provides a value to the node that uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// The provider's key, and the row it leaves from.
    pub from: End,
    /// The user's key, and the row it arrives at.
    pub to: End,
    /// What it carries (construct paths of bound values, attributes).
    pub labels: Vec<String>,
}

/// What is drawn.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Graph {
    /// The title (the app's name, or `stack <name>`).
    pub title: String,
    /// Row names (regions), top to bottom; one unnamed row for a resource graph.
    pub rows: Vec<String>,
    /// Column names (`wave 0`…, `depth 0`…), left to right.
    pub columns: Vec<String>,
    /// The boxes, by column then row.
    pub nodes: Vec<Node>,
    /// The arrows.
    pub edges: Vec<Edge>,
}

impl Graph {
    /// The node with this key.
    pub fn node(&self, key: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.key == key)
    }
}

/// The stacks of an assembly by region and wave, the bindings between them.
pub fn platform(manifest: &Manifest) -> Graph {
    // Regions in the order the stacks first name them, so a stack set's regions stay together.
    let mut rows: Vec<String> = Vec::new();
    for s in &manifest.stacks {
        for r in s.target.regions() {
            if !rows.contains(&r) {
                rows.push(r);
            }
        }
    }
    let row = |r: &str| rows.iter().position(|x| x == r).unwrap_or(0);
    let mut nodes = Vec::new();
    // Stack name → (node key per region).
    let mut keys: BTreeMap<&str, BTreeMap<String, String>> = BTreeMap::new();
    for (group, s) in manifest.stacks.iter().enumerate() {
        let regions = s.target.regions();
        let mut indexes: Vec<usize> = regions.iter().map(|r| row(r)).collect();
        indexes.sort_unstable();
        let contiguous = indexes.windows(2).all(|w| w[1] == w[0] + 1);
        let detail = match &s.target {
            Target::StackSet { regions } => format!("stack set · {} regions · wave {}", regions.len(), s.wave),
            Target::Region { .. } => format!("stack · wave {}", s.wave),
        };
        let stack_keys = keys.entry(s.name.as_str()).or_default();
        if contiguous {
            let key = s.id.clone();
            for r in &regions {
                stack_keys.insert(r.clone(), key.clone());
            }
            nodes.push(Node { key, title: s.id.clone(), detail, rows: indexes, column: s.wave, group });
        } else {
            for r in &regions {
                let key = format!("{}@{r}", s.id);
                stack_keys.insert(r.clone(), key.clone());
                let rows = vec![row(r)];
                nodes.push(Node { key, title: s.id.clone(), detail: detail.clone(), rows, column: s.wave, group });
            }
        }
    }
    // One arrow per (producer instance, consumer instance), labelled with every value it carries.
    let mut arrows: BTreeMap<(End, End), BTreeSet<String>> = BTreeMap::new();
    for s in &manifest.stacks {
        for b in &s.bindings {
            let Some(producer) = manifest.stacks.iter().find(|p| p.name == b.producer) else { continue };
            let what = b.source.strip_prefix(&format!("{}/", producer.id)).unwrap_or(&b.source).to_owned();
            for r in s.target.regions() {
                let from_region = match &b.region {
                    BindingRegion::Fixed { region } => region.clone(),
                    BindingRegion::SameRegion => r.clone(),
                };
                let (Some(from), Some(to)) = (
                    keys.get(producer.name.as_str()).and_then(|k| k.get(&from_region)),
                    keys.get(s.name.as_str()).and_then(|k| k.get(&r)),
                ) else {
                    continue;
                };
                arrows
                    .entry(((from.clone(), row(&from_region)), (to.clone(), row(&r))))
                    .or_default()
                    .insert(what.clone());
            }
        }
    }
    let edges = arrows.into_iter().map(|((from, to), l)| Edge { from, to, labels: l.into_iter().collect() }).collect();
    let waves = manifest.waves.len().max(manifest.stacks.iter().map(|s| s.wave + 1).max().unwrap_or(0));
    Graph {
        title: manifest.app.clone(),
        rows,
        columns: (0..waves).map(|w| format!("wave {w}")).collect(),
        nodes,
        edges,
    }
}

/// One stack's resources, in columns by how deep their references go, and the references
/// between them (`Ref`, `Fn::GetAtt`, `${…}` in `Fn::Sub`, `DependsOn`). `None` when the
/// template has no `Resources`.
pub fn resources(stack_name: &str, template: &Value) -> Option<Graph> {
    let resources = template.get("Resources")?.as_object()?;
    // Who each resource uses.
    let mut uses: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (id, r) in resources {
        let mut refs = haplat_check::refs_in(r.get("Properties").unwrap_or(&Value::Null));
        match r.get("DependsOn") {
            Some(Value::String(d)) => {
                refs.insert(d.clone());
            }
            Some(Value::Array(a)) => refs.extend(a.iter().filter_map(Value::as_str).map(str::to_owned)),
            _ => {}
        }
        refs.retain(|x| x != id && resources.contains_key(x));
        uses.insert(id, refs);
    }
    // Depth: 0 for a resource that uses none, else one more than the deepest it uses. A cycle
    // (CloudFormation refuses one) stops at the resources count.
    let mut depth: BTreeMap<&str, usize> = BTreeMap::new();
    for _ in 0..=resources.len() {
        let mut changed = false;
        for (id, refs) in &uses {
            let d = refs.iter().map(|x| depth.get(x.as_str()).map_or(1, |d| d + 1)).max().unwrap_or(0);
            let d = d.min(resources.len());
            if depth.get(id) != Some(&d) {
                depth.insert(id, d);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let columns = depth.values().max().map_or(0, |d| d + 1);
    let nodes = resources
        .iter()
        .map(|(id, r)| {
            let path = r.pointer("/Metadata/haplat:path").and_then(Value::as_str).unwrap_or(id);
            let type_name = r.get("Type").and_then(Value::as_str).unwrap_or("?");
            Node {
                key: id.clone(),
                title: path.to_owned(),
                detail: type_name.to_owned(),
                rows: vec![0],
                column: depth.get(id.as_str()).copied().unwrap_or(0),
                group: 0,
            }
        })
        .collect();
    let edges = uses
        .iter()
        .flat_map(|(id, refs)| {
            refs.iter().map(move |x| Edge { from: (x.clone(), 0), to: ((*id).to_owned(), 0), labels: Vec::new() })
        })
        .collect();
    Some(Graph {
        title: format!("stack {stack_name}"),
        rows: vec![String::new()],
        columns: (0..columns).map(|d| format!("depth {d}")).collect(),
        nodes,
        edges,
    })
}

/// Fill and stroke colours, one pair per group (a stack and its instances).
pub(crate) const PALETTE: &[(&str, &str)] = &[
    ("#dbeafe", "#1d4ed8"),
    ("#dcfce7", "#15803d"),
    ("#fef3c7", "#b45309"),
    ("#fce7f3", "#be185d"),
    ("#ede9fe", "#6d28d9"),
    ("#e0f2fe", "#0369a1"),
];

/// A node key as an identifier every renderer accepts (letters, digits, `_`).
pub(crate) fn ident(key: &str) -> String {
    let mut s: String = key.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    if s.starts_with(|c: char| c.is_ascii_digit()) || s.is_empty() {
        s.insert(0, 'n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resources_take_columns_by_depth_and_arrows_from_what_they_use() {
        let t = json!({"Resources": {
            "Key": {"Type": "AWS::KMS::Key"},
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"Sse": {"Key": {"Fn::GetAtt": ["Key", "Arn"]}}}},
            "Role": {"Type": "AWS::IAM::Role", "DependsOn": "Table",
                     "Properties": {"Policy": {"Fn::Sub": "${Table.Arn}/${Key}/${AWS::Region}"}}}
        }});
        let g = resources("s", &t).unwrap();
        assert_eq!(g.node("Key").unwrap().column, 0);
        assert_eq!(g.node("Table").unwrap().column, 1);
        assert_eq!(g.node("Role").unwrap().column, 2);
        assert_eq!(g.edges.len(), 3);
        assert_eq!(g.columns, ["depth 0", "depth 1", "depth 2"]);
        assert_eq!(ident("9-a.b"), "n9_a_b");
    }
}
