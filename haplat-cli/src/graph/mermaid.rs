//! Mermaid (`flowchart LR`): GitHub renders it in markdown files and pull-request comments. One
//! box per stack instance, in a subgraph per region; a stack set's instances share a style.

use super::model::{Graph, PALETTE, ident};

/// The graph as a Mermaid flowchart.
pub fn mermaid(g: &Graph) -> String {
    let mut out = format!("flowchart LR\n  %% {} (haplat graph)\n", text(&g.title));
    for (row, name) in g.rows.iter().enumerate() {
        let indent = if name.is_empty() { "  " } else { "    " };
        if !name.is_empty() {
            out.push_str(&format!("  subgraph {}[\"{}\"]\n", ident(&format!("row {name}")), text(name)));
        }
        for n in g.nodes.iter().filter(|n| n.rows.contains(&row)) {
            out.push_str(&format!(
                "{indent}{}[\"{}<br/><small>{}</small>\"]:::g{}\n",
                instance(&n.key, g, row),
                text(&n.title),
                text(&n.detail),
                n.group % PALETTE.len()
            ));
        }
        if !name.is_empty() {
            out.push_str("  end\n");
        }
    }
    for e in &g.edges {
        let from = instance(&e.from.0, g, e.from.1);
        let to = instance(&e.to.0, g, e.to.1);
        if e.labels.is_empty() {
            out.push_str(&format!("  {from} --> {to}\n"));
        } else {
            out.push_str(&format!("  {from} -- \"{}\" --> {to}\n", text(&e.labels.join(", "))));
        }
    }
    for (i, (fill, stroke)) in PALETTE.iter().enumerate() {
        out.push_str(&format!("  classDef g{i} fill:{fill},stroke:{stroke},color:#111\n"));
    }
    out
}

/// A node's id in one row: a stack set's instances are one box per region here.
fn instance(key: &str, g: &Graph, row: usize) -> String {
    match g.rows.get(row) {
        Some(r) if !r.is_empty() => ident(&format!("{key} {r}")),
        _ => ident(key),
    }
}

/// Text inside Mermaid's quotes: `"` and `<`, `>` as entities.
fn text(s: &str) -> String {
    s.replace('"', "#quot;").replace('<', "#lt;").replace('>', "#gt;")
}
