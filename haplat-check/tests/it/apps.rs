//! `haplat check` over every app × environment of `apps/`, synthesized as `haplat synth` does:
//! none may leave an error, and every warning left must carry a suppression with its reason in
//! the template (issue 10: the shipped apps deploy, update and destroy on a real account).

use haplat_tests::{apps, build, synth};

#[test]
fn every_app_and_environment_checks_clean_every_warning_left_is_suppressed_with_a_reason() {
    let apps = apps();
    assert!(!apps.is_empty(), "no apps under apps/");
    let exes = build(&apps.iter().map(|a| a.package.as_str()).collect::<Vec<_>>());
    let work = tempfile::tempdir().unwrap();
    let mut unclean = Vec::new();
    for app in &apps {
        let exe = exes.get(&app.package).unwrap_or_else(|| panic!("no binary named {} was built", app.package));
        for env in &app.environments {
            let out = work.path().join(&app.dir).join(env);
            synth(exe, env, &out).unwrap_or_else(|e| panic!("{e}"));
            let report = haplat_check::check_dir(&out).unwrap_or_else(|e| panic!("{}/{env}: {e}", app.dir));
            println!("== {} ({env})\n{}", app.dir, report.render(haplat_check::Format::Text));
            // The other formats render for every app too.
            serde_json::from_str::<serde_json::Value>(&report.render(haplat_check::Format::Sarif)).unwrap();
            for f in &report.findings {
                match &f.suppressed {
                    None => unclean.push(format!("{}/{env}: {}[{}] {}", app.dir, f.severity.as_str(), f.rule, f.path)),
                    Some(reason) => assert!(!reason.trim().is_empty(), "{}/{env}: {} at {}", app.dir, f.rule, f.path),
                }
            }
        }
    }
    assert!(
        unclean.is_empty(),
        "findings no suppression covers (fix them in the construct, or suppress with a reason there):\n  {}",
        unclean.join("\n  ")
    );
}
