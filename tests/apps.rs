//! Every app in `apps/`, for every environment of it: synthesized as `haplat synth` would,
//! every template and the manifest snapshotted under `snapshots/apps/<app>/<env>/`, and every
//! template linted by cfn-lint over every region of its stack set with zero errors and zero
//! warnings.
//!
//! Reviewing an infrastructure change means reading these snapshot diffs:
//! `cargo insta test -p haplat-tests --review` (or `cargo insta review` after a failing run).

use std::panic::{AssertUnwindSafe, catch_unwind};

use haplat_tests::{apps, build, lint_by_region_set, synth};

#[test]
fn every_app_synthesizes_and_its_templates_are_pinned_and_lint_clean() {
    let apps = apps();
    assert!(!apps.is_empty(), "no apps under apps/");
    let exes = build(&apps.iter().map(|a| a.package.as_str()).collect::<Vec<_>>());
    let work = tempfile::tempdir().unwrap();
    let mut lint_failures = Vec::new();
    let mut snapshot_failures = Vec::new();
    // Every snapshot is checked, so one run writes every `.snap.new` to review.
    let mut check = |what: String, f: &dyn Fn()| {
        if catch_unwind(AssertUnwindSafe(f)).is_err() {
            snapshot_failures.push(what);
        }
    };
    for app in &apps {
        let exe = exes.get(&app.package).unwrap_or_else(|| panic!("no binary named {} was built", app.package));
        for env in &app.environments {
            let out = work.path().join(&app.dir).join(env);
            let stacks = synth(exe, env, &out).unwrap_or_else(|e| panic!("{e}"));
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_path(haplat_tests::root().join("snapshots/apps").join(&app.dir).join(env));
            settings.set_prepend_module_to_snapshot(false);
            settings.set_omit_expression(true);
            settings.set_input_file(haplat_tests::root().join("apps").join(&app.dir).join("src/main.rs"));
            let text = std::fs::read_to_string(out.join("manifest.json")).unwrap();
            check(format!("{}/{env}/manifest.json", app.dir), &|| {
                settings.bind(|| insta::assert_snapshot!("manifest.json", text))
            });
            for stack in &stacks {
                let text = std::fs::read_to_string(out.join(&stack.template)).unwrap();
                check(format!("{}/{env}/{}", app.dir, stack.template), &|| {
                    settings.bind(|| insta::assert_snapshot!(stack.template.clone(), text))
                });
            }
            let templates = stacks.iter().map(|s| (s.regions.clone(), out.join(&s.template)));
            for (regions, lint) in lint_by_region_set(templates) {
                if !lint.is_clean() {
                    lint_failures.push(format!("{} ({env}) over {}: {lint}", app.dir, regions.join(",")));
                }
            }
        }
    }
    assert!(
        snapshot_failures.is_empty(),
        "these templates changed; review the .snap.new files under snapshots/apps (`cargo insta review`), \
         accept what you meant:\n  {}",
        snapshot_failures.join("\n  ")
    );
    assert!(lint_failures.is_empty(), "cfn-lint found problems:\n{}", lint_failures.join("\n"));
}

/// `build` selects what scripts/test.sh builds the tests with: otherwise cargo resolves other
/// features and builds serde, syn and haplat-core again for the apps.
#[test]
fn the_apps_are_built_with_the_selection_the_tests_are_built_with() {
    let script = std::fs::read_to_string(haplat_tests::root().join("scripts/test.sh")).unwrap();
    let tests_build = format!("cargo test {}", haplat_tests::WORKSPACE_BUILD.join(" "));
    assert!(script.contains(&tests_build), "scripts/test.sh does not build with `{tests_build}`");
}
