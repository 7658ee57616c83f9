//! Graphviz DOT: a cluster per region, a box per stack instance, arrows labelled with what they
//! carry.

use super::model::{Graph, PALETTE, ident};

/// The graph in DOT.
pub fn dot(g: &Graph) -> String {
    let mut out = format!(
        "digraph {} {{\n  label={};\n  labelloc=t;\n  rankdir=LR;\n  fontname=\"Helvetica\";\n  \
         node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11];\n  \
         edge [fontname=\"Helvetica\", fontsize=9];\n",
        quote(&g.title),
        quote(&g.title)
    );
    for (row, name) in g.rows.iter().enumerate() {
        let indent = if name.is_empty() { "  " } else { "    " };
        if !name.is_empty() {
            out.push_str(&format!(
                "  subgraph {} {{\n    label={};\n    style=dashed;\n",
                quote(&format!("cluster_{name}")),
                quote(name)
            ));
        }
        for n in g.nodes.iter().filter(|n| n.rows.contains(&row)) {
            let (fill, stroke) = PALETTE[n.group % PALETTE.len()];
            out.push_str(&format!(
                "{indent}{} [label={}, fillcolor={}, color={}];\n",
                instance(&n.key, g, row),
                quote(&format!("{}\n{}", n.title, n.detail)),
                quote(fill),
                quote(stroke)
            ));
        }
        if !name.is_empty() {
            out.push_str("  }\n");
        }
    }
    for e in &g.edges {
        let label =
            if e.labels.is_empty() { String::new() } else { format!(" [label={}]", quote(&e.labels.join("\n"))) };
        out.push_str(&format!("  {} -> {}{label};\n", instance(&e.from.0, g, e.from.1), instance(&e.to.0, g, e.to.1)));
    }
    out.push_str("}\n");
    out
}

fn instance(key: &str, g: &Graph, row: usize) -> String {
    match g.rows.get(row) {
        Some(r) if !r.is_empty() => ident(&format!("{key} {r}")),
        _ => ident(key),
    }
}

/// A DOT string: quoted, `"` and `\` escaped, new lines as `\n`.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n"))
}
