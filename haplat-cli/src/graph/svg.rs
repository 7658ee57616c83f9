//! A self-contained SVG, laid out here: no Graphviz needed. Columns left to right (waves,
//! reference depth), rows top to bottom (regions); a node that spans rows (a stack set) is one
//! tall box across them; nodes that share a cell are stacked in lanes. Arrows are curves from the
//! provider's right edge to the user's left edge, in the rows the value leaves and arrives.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::model::{Graph, PALETTE};

const BOX_W: f64 = 220.0;
const BOX_H: f64 = 46.0;
const LANE: f64 = 56.0;
const GAP_X: f64 = 120.0;
const GAP_Y: f64 = 22.0;
const TOP: f64 = 64.0;
const MARGIN: f64 = 20.0;

/// The graph as an SVG document.
pub fn svg(g: &Graph) -> String {
    let named_rows = g.rows.iter().any(|r| !r.is_empty());
    let left = if named_rows { 110.0 } else { MARGIN };
    // Lanes: in each column, a node takes the first lane no node overlapping its rows has.
    let mut lane_of: BTreeMap<&str, usize> = BTreeMap::new();
    let mut lanes_in_row = vec![1usize; g.rows.len().max(1)];
    for column in 0..g.columns.len().max(1) {
        let mut placed: Vec<(&[usize], usize)> = Vec::new();
        let mut in_column: Vec<_> = g.nodes.iter().filter(|n| n.column == column).collect();
        in_column.sort_by_key(|n| (n.rows.first().copied(), n.key.clone()));
        for n in in_column {
            let lane = (0..)
                .find(|l| !placed.iter().any(|(rows, pl)| pl == l && rows.iter().any(|r| n.rows.contains(r))))
                .unwrap_or(0);
            placed.push((&n.rows, lane));
            lane_of.insert(&n.key, lane);
            for &r in &n.rows {
                if let Some(x) = lanes_in_row.get_mut(r) {
                    *x = (*x).max(lane + 1);
                }
            }
        }
    }
    // Where each row starts.
    let mut row_y = Vec::new();
    let mut y = TOP;
    for lanes in &lanes_in_row {
        row_y.push(y);
        y += *lanes as f64 * LANE - (LANE - BOX_H) + GAP_Y;
    }
    let height = y + MARGIN;
    let width = left + g.columns.len().max(1) as f64 * (BOX_W + GAP_X) - GAP_X + MARGIN;
    let col_x = |c: usize| left + c as f64 * (BOX_W + GAP_X);
    let anchor = |key: &str, row: usize| -> f64 {
        row_y.get(row).copied().unwrap_or(TOP) + lane_of.get(key).copied().unwrap_or(0) as f64 * LANE + BOX_H / 2.0
    };

    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"Helvetica, Arial, sans-serif\">\n\
         <title>{}</title>\n\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" \
         orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#475569\"/></marker></defs>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n\
         <text x=\"{MARGIN}\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{}</text>\n",
        esc(&g.title),
        esc(&g.title)
    );
    for (c, name) in g.columns.iter().enumerate() {
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#64748b\" text-anchor=\"middle\">{}</text>",
            col_x(c) + BOX_W / 2.0,
            TOP - 14.0,
            esc(name)
        );
    }
    for (r, name) in g.rows.iter().enumerate().filter(|(_, n)| !n.is_empty()) {
        let bottom = row_y.get(r + 1).copied().unwrap_or(height - MARGIN + GAP_Y) - GAP_Y;
        let _ = writeln!(
            s,
            "<rect x=\"8\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#f8fafc\" stroke=\"#e2e8f0\"/>\n\
             <text x=\"16\" y=\"{:.1}\" font-size=\"12\" font-weight=\"bold\" fill=\"#334155\">{}</text>",
            row_y[r] - 8.0,
            width - 16.0,
            bottom - row_y[r] + 16.0,
            row_y[r] + BOX_H / 2.0 + 4.0,
            esc(name)
        );
    }
    for n in &g.nodes {
        let (fill, stroke) = PALETTE[n.group % PALETTE.len()];
        let lane = lane_of.get(n.key.as_str()).copied().unwrap_or(0) as f64 * LANE;
        let first = n.rows.iter().min().copied().unwrap_or(0);
        let last = n.rows.iter().max().copied().unwrap_or(0);
        let (x, y0) = (col_x(n.column), row_y.get(first).copied().unwrap_or(TOP) + lane);
        let y1 = row_y.get(last).copied().unwrap_or(TOP) + lane + BOX_H;
        let _ = writeln!(
            s,
            "<g><title>{}</title><rect x=\"{x:.1}\" y=\"{y0:.1}\" width=\"{BOX_W}\" height=\"{:.1}\" rx=\"8\" \
             fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" font-weight=\"bold\" fill=\"#0f172a\">{}</text>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#334155\">{}</text></g>",
            esc(&format!("{} ({})", n.title, n.detail)),
            y1 - y0,
            x + 10.0,
            y0 + 19.0,
            esc(&clip(&n.title, 30)),
            x + 10.0,
            y0 + 35.0,
            esc(&clip(&n.detail, 38)),
        );
    }
    let mut labelled = std::collections::BTreeSet::new();
    for e in &g.edges {
        let (Some(from), Some(to)) = (g.node(&e.from.0), g.node(&e.to.0)) else { continue };
        let (x0, y0) = (col_x(from.column) + BOX_W, anchor(&from.key, e.from.1));
        let (x1, y1) = (col_x(to.column), anchor(&to.key, e.to.1));
        let bend = ((x1 - x0).abs() / 2.0).max(30.0);
        let _ = writeln!(
            s,
            "<path d=\"M {x0:.1} {y0:.1} C {:.1} {y0:.1}, {:.1} {y1:.1}, {x1:.1} {y1:.1}\" fill=\"none\" \
             stroke=\"#475569\" stroke-width=\"1.2\" marker-end=\"url(#arrow)\"/>",
            x0 + bend,
            x1 - bend
        );
        if !e.labels.is_empty() {
            // In the gap after the provider (so never over a box the arrow passes), once per
            // provider, row and text.
            let all = e.labels.join(", ");
            let adjacent = to.column == from.column + 1;
            let (lx, ly) =
                if adjacent { ((x0 + x1) / 2.0, (y0 + y1) / 2.0 - 4.0) } else { (x0 + GAP_X / 2.0, y0 - 14.0) };
            if labelled.insert((from.key.clone(), format!("{lx:.0} {ly:.0}"), all.clone())) {
                for halo in [true, false] {
                    let paint = if halo {
                        "fill=\"#ffffff\" stroke=\"#ffffff\" stroke-width=\"3\""
                    } else {
                        "fill=\"#1e293b\""
                    };
                    let _ = writeln!(
                        s,
                        "<text x=\"{lx:.1}\" y=\"{ly:.1}\" font-size=\"9\" text-anchor=\"middle\" {paint}><title>{}</title>{}</text>",
                        esc(&all),
                        esc(&clip(&all, 30))
                    );
                }
            }
        }
    }
    s.push_str("</svg>\n");
    s
}

/// At most `n` characters, `…` when cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { s.chars().take(n - 1).chain(['…']).collect() }
}

/// XML text and attribute escaping.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
