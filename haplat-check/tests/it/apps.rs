//! `haplat check` over every app × environment of `apps/`, synthesized as `haplat synth` does:
//! the engine runs on each and prints what it finds. The apps are not fixed yet (issue 10), so
//! this asserts only that the known issues of the reference platform are found; when a fix
//! lands, its line below is removed on purpose.

use haplat_tests::{apps, build, synth};

/// (environment, rule, construct path) the reference platform is known to break.
const KNOWN: &[(&str, &str, &str)] = &[
    // ECS blue/green manages the production listener rules the template writes with 100/0.
    ("prod", "HAP007", "Api/PublicAlb/ordersRule443"),
    ("prod", "HAP007", "Api/PublicAlb/catalogRule443"),
    // Route 53 health alarms labelled critical tell nobody.
    ("prod", "HAP009", "Edge/Dns/UsEast1/HealthAlarm"),
    // nginx listens on 80 and has no /health.
    ("prod", "HAP013", "Api/orders/TaskDefinition"),
    // read_only_paths covers every service's path: writes get 403 at the edge.
    ("staging", "HAP006", "Edge/Cdn/Distribution"),
];

#[test]
fn the_checker_runs_over_every_app_and_environment_and_finds_the_known_issues() {
    let apps = apps();
    assert!(!apps.is_empty(), "no apps under apps/");
    let exes = build(&apps.iter().map(|a| a.package.as_str()).collect::<Vec<_>>());
    let work = tempfile::tempdir().unwrap();
    let mut missing = Vec::new();
    for app in &apps {
        let exe = exes.get(&app.package).unwrap_or_else(|| panic!("no binary named {} was built", app.package));
        for env in &app.environments {
            let out = work.path().join(&app.dir).join(env);
            synth(exe, env, &out).unwrap_or_else(|e| panic!("{e}"));
            let report = haplat_check::check_dir(&out).unwrap_or_else(|e| panic!("{}/{env}: {e}", app.dir));
            println!("== {} ({env})\n{}", app.dir, report.render(haplat_check::Format::Text));
            // The other formats render for every app too.
            serde_json::from_str::<serde_json::Value>(&report.render(haplat_check::Format::Sarif)).unwrap();
            if app.dir != "reference-platform" {
                continue;
            }
            for (known_env, rule, path) in KNOWN.iter().filter(|(e, _, _)| e == env) {
                let _ = known_env;
                if !report.findings.iter().any(|f| f.rule == *rule && f.path == *path) {
                    missing.push(format!("{env}: {rule} at {path}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "these known issues of the reference platform were not found (if a fix removed one, remove its line \
         from KNOWN in haplat-check/tests/it/apps.rs):\n  {}",
        missing.join("\n  ")
    );
}
