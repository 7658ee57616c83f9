//! The crate's layering, checked on its source (docs/architecture.md, haplat-cli): no cycle in
//! the import graph (no two modules import each other, a leaf never imports its parent),
//! commands import no other command, only commands use the operations, operations do not call
//! each other, only the operations touch the SDK, and only the SDK's modules sign calls. The
//! graph is read by `haplat_tests::layers_check`.

use std::path::Path;

use haplat_tests::layers_check::{ModuleGraph, find_cycle, in_layer, nested_graph};

/// Paths through the crate root that name no module: the macros of `output` and the root's
/// re-exports of `error`.
const ROOT_ALIASES: &[(&str, &str)] = &[
    ("out", "output"),
    ("outln", "output"),
    ("err", "output"),
    ("errln", "output"),
    ("Error", "error"),
    ("exit", "error"),
];

fn graph() -> (ModuleGraph, Vec<String>) {
    nested_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), ROOT_ALIASES)
}

#[test]
fn every_crate_path_names_a_module() {
    let (_, unresolved) = graph();
    assert!(unresolved.is_empty(), "paths to no module: {unresolved:#?}");
}

#[test]
fn no_two_modules_import_each_other() {
    let (edges, _) = graph();
    assert!(edges.len() > 20, "the source was read: {edges:#?}");
    assert_eq!(find_cycle(&edges), None, "a cycle in the import graph");
}

#[test]
fn commands_import_no_other_command_and_call_operations() {
    let (edges, _) = graph();
    for (module, uses) in edges.iter().filter(|(m, _)| m.starts_with("commands::") && *m != "commands::args") {
        let others: Vec<&String> = uses.iter().filter(|u| in_layer(u, "commands") && *u != "commands::args").collect();
        assert!(others.is_empty(), "{module} imports {others:?}");
        assert!(uses.iter().any(|u| in_layer(u, "ops")), "{module} calls no operation: {uses:?}");
        let below: Vec<&String> =
            uses.iter().filter(|u| !["ops", "commands::args", "error"].iter().any(|l| in_layer(u, l))).collect();
        assert!(below.is_empty(), "{module} reaches past the operations: {below:?}");
    }
}

#[test]
fn layers_point_down_only() {
    let (edges, _) = graph();
    for (module, uses) in &edges {
        for u in uses {
            if in_layer(u, "commands") {
                assert!(in_layer(module, "commands"), "{module} uses {u}: nothing uses the command line");
            }
            if in_layer(u, "ops") {
                assert!(
                    in_layer(module, "commands") || in_layer(module, "ops"),
                    "{module} uses {u}: only commands call operations"
                );
            }
            if module.starts_with("ops::") && in_layer(u, "ops") {
                assert!(u == "ops::input", "{module} uses {u}: operations do not call each other");
            }
            if u == "signed" {
                assert!(module.starts_with("sdk"), "{module} uses signed: only the AWS implementations sign calls");
            }
            if u == "sdk" {
                // The SDK implementations of other traits (`sdk_observe`, `sdk_recovery`) build on
                // `sdk`'s configuration.
                assert!(
                    module.starts_with("ops::") || module.starts_with("sdk_"),
                    "{module} uses the SDK: only operations connect to AWS"
                );
            }
        }
    }
}
