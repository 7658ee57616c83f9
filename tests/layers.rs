//! The layering rules of `docs/architecture.md`, checked on the sources: no two modules of a
//! library crate import each other (directly or around a longer loop), and no command of the
//! CLI imports another command.

use haplat_tests::layers_check::{find_cycle, module_graph};
use haplat_tests::root;

fn assert_acyclic(krate: &str) {
    let graph = module_graph(&root().join(krate).join("src"));
    assert!(graph.len() > 1, "{krate}: no modules found");
    if let Some(cycle) = find_cycle(&graph) {
        panic!("{krate}: modules import each other: {}", cycle.join(" → "));
    }
}

#[test]
fn haplat_core_modules_depend_one_way() {
    assert_acyclic("haplat-core");
}

#[test]
fn haplat_check_modules_depend_one_way() {
    assert_acyclic("haplat-check");
}

#[test]
fn haplat_constructs_modules_depend_one_way() {
    assert_acyclic("haplat-constructs");
}

#[test]
fn codegen_modules_depend_one_way() {
    assert_acyclic("tools/codegen");
}
