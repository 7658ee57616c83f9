//! The module map of haplat-constructs (`docs/architecture.md`, section haplat-constructs): no
//! two modules import each other, leaf modules import nothing of the crate, and a module uses
//! only modules of its own layer or below. The graph is read from the sources by
//! `haplat_tests::layers_check` (code only: doc links and messages do not count).

use std::collections::BTreeSet;
use std::path::Path;

use haplat_tests::layers_check::{ModuleGraph, find_cycle, module_graph};

/// The layers, bottom up: every module of `src/` is in exactly one.
const LAYERS: &[(&str, &[&str])] = &[
    ("leaf", &["cidr", "image", "metrics", "naming", "platform", "protection", "scaling", "security", "zone"]),
    ("building block", &["alarm", "kms", "logs"]),
    (
        "middle layer",
        &[
            "backup",
            "baseline",
            "canary",
            "certificate",
            "ecr",
            "fargate",
            "global_table",
            "health_check",
            "load_balancer",
            "monitoring",
            "network",
            "queue",
            "recovery_control",
            "slo",
            "waf",
        ],
    ),
    ("platform construct", &["api", "aurora", "chaos", "dns", "edge", "service", "websocket"]),
    ("composition", &["composition"]),
];

fn graph() -> ModuleGraph {
    module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

fn layer_of(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|(_, ms)| ms.contains(&module))
        .unwrap_or_else(|| panic!("module {module} is in no layer: add it to LAYERS here and to docs/architecture.md"))
}

#[test]
fn no_two_modules_import_each_other() {
    let graph = graph();
    assert!(graph.len() > 10, "read the modules of src/: {graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!("modules import each other: {}", cycle.join(" → "));
    }
}

#[test]
fn modules_use_their_layer_or_the_ones_below() {
    let mut wrong = Vec::new();
    for (module, uses) in graph() {
        let layer = layer_of(&module);
        for used in uses {
            let below = layer_of(&used);
            if below > layer || (layer == 0 && below == 0) {
                wrong.push(format!("{module} ({}) uses {used} ({})", LAYERS[layer].0, LAYERS[below].0));
            }
        }
    }
    assert!(wrong.is_empty(), "against the layers:\n{}", wrong.join("\n"));
}

#[test]
fn every_layer_names_only_modules_that_exist() {
    let modules: BTreeSet<String> = graph().into_keys().collect();
    for (layer, ms) in LAYERS {
        for m in *ms {
            assert!(modules.contains(*m), "{layer} {m} is not a module of src/");
        }
    }
}
