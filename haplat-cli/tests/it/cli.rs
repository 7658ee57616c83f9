//! The binary offline: no AWS is configured, none is needed.

use std::process::Command;

use crate::harness::{Project, Source, fixture, install_tools, run};
use crate::snap;

#[test]
fn synth_summarizes_and_writes_yaml_that_yaml_11_readers_read_back() {
    let p = Project::new(Source::Fixture("basic"));
    let r = run(&mut p.haplat(&["synth", "--format", "yaml"]));
    snap!("synth_yaml", r.snapshot(p.path()));
    let out = p.path().join("haplat.out");
    // PyYAML (YAML 1.1, what the AWS CLI uses) reads every YAML template back as its JSON.
    let bin = install_tools();
    for stack in ["Network", "Data", "App"] {
        let check = Command::new(bin.join("python"))
            .args([
                "-c",
                "import json,sys,yaml; y=yaml.safe_load(open(sys.argv[1])); j=json.load(open(sys.argv[2])); sys.exit(0 if y==j else 'differ')",
            ])
            .arg(out.join(format!("{stack}.template.yaml")))
            .arg(out.join(format!("{stack}.template.json")))
            .output()
            .unwrap();
        assert!(check.status.success(), "{stack}: {}", String::from_utf8_lossy(&check.stderr));
    }
    // And cfn-lint accepts them.
    let lint = Command::new(bin.join("cfn-lint")).arg(out.join("App.template.yaml")).output().unwrap();
    assert!(lint.status.success(), "{}", String::from_utf8_lossy(&lint.stdout));
}

#[test]
fn synth_passes_env_and_context_to_the_app() {
    let p = Project::new(Source::App(format!(
        "cp '{}'/* \"$HAPLAT_OUTDIR\"/ && printf '%s|%s' \"$HAPLAT_ENV\" \"$HAPLAT_CONTEXT\" > seen",
        fixture("basic").display()
    )));
    let r = run(&mut p.haplat(&["synth", "--env", "prod", "-c", "stage=blue", "-c", "x=1=2"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(p.path().join("seen")).unwrap(), r#"prod|{"stage":"blue","x":"1=2"}"#);
}

#[test]
fn synth_failures_are_one_clear_error() {
    let p = Project::new(Source::App("echo boom >&2; exit 7".into()));
    snap!("synth_app_fails", run(&mut p.haplat(&["synth"])).snapshot(p.path()));
    let p = Project::new(Source::App("echo '{\"version\": \"1\"}' > \"$HAPLAT_OUTDIR/manifest.json\"".into()));
    snap!("synth_bad_manifest", run(&mut p.haplat(&["synth"])).snapshot(p.path()));
    std::fs::remove_file(p.path().join("haplat.toml")).unwrap();
    snap!("synth_no_app", run(&mut p.haplat(&["synth"])).snapshot(p.path()));
}

#[test]
fn a_stale_assembly_is_reported_with_every_problem() {
    let p = Project::new(Source::Fixture("basic"));
    let dir = p.path().join("broken");
    std::fs::create_dir(&dir).unwrap();
    for f in std::fs::read_dir(fixture("basic")).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), dir.join(f.file_name())).unwrap();
    }
    std::fs::write(dir.join("Data.template.json"), "{\"Resources\": {}}").unwrap();
    snap!("list_stale", run(&mut p.haplat(&["list", "--no-synth", "--out", "broken"])).snapshot(p.path()));
}

#[test]
fn list_shows_stacks_regions_and_waves() {
    let p = Project::new(Source::Fixture("basic"));
    snap!("list", run(&mut p.haplat(&["list"])).snapshot(p.path()));
}

#[test]
fn deploy_dry_run_prints_the_plan_without_aws() {
    let p = Project::new(Source::Fixture("basic"));
    snap!("deploy_dry_run", run(&mut p.haplat(&["deploy", "--dry-run"])).snapshot(p.path()));
    snap!(
        "deploy_dry_run_filtered",
        run(&mut p.haplat(&[
            "deploy",
            "--dry-run",
            "App",
            "--regions",
            "us-west-2",
            "--regions",
            "eu-west-1",
            "--parallel",
            "--max-concurrent",
            "2",
            "--failure-tolerance",
            "1"
        ]))
        .snapshot(p.path())
    );
    snap!("deploy_unknown_stack", run(&mut p.haplat(&["deploy", "--dry-run", "Nope"])).snapshot(p.path()));
    snap!(
        "deploy_unknown_region",
        run(&mut p.haplat(&["deploy", "--dry-run", "--regions", "ap-south-1"])).snapshot(p.path())
    );
}

#[test]
fn diff_against_another_assembly_offline() {
    let p = Project::new(Source::Fixture("changed"));
    let basic = fixture("basic").display().to_string();
    snap!("diff_against_changed", run(&mut p.haplat(&["diff", "--against", &basic, "--fail"])).snapshot(p.path()));
    p.switch(Source::Fixture("renamed"));
    snap!("diff_against_renamed", run(&mut p.haplat(&["diff", "--against", &basic])).snapshot(p.path()));
    p.switch(Source::Fixture("basic"));
    let r = run(&mut p.haplat(&["diff", "--against", &basic, "--fail"]));
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (
            0,
            "stack set Data: no differences\nstack set Network: no differences\nstack set App: no differences\nno differences\n"
        )
    );
}

#[test]
fn help_documents_exit_codes_and_commands() {
    let p = Project::new(Source::Fixture("basic"));
    snap!("help", run(&mut p.haplat(&["--help"])).snapshot(p.path()));
    let r = run(&mut p.haplat(&["deploy", "--help"]));
    assert!(r.stdout.contains("--allow-replace <PATH>") && r.stdout.contains("5  refused"), "{}", r.stdout);
    let r = run(&mut p.haplat(&["deploy", "--bogus"]));
    assert_eq!(r.code, 2);
}

/// The database and restore commands say their flags and exit codes, and refuse a failover
/// that would lose data unless it is accepted, with one line naming the flag.
#[test]
fn db_and_restore_test_document_their_flags_and_exit_codes() {
    let p = Project::new(Source::Fixture("basic"));
    let help = |args: &[&str]| {
        let r = run(&mut p.haplat(args));
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        r.stdout
    };
    let restore = help(&["restore-test", "--help"]);
    for want in ["--resource <RESOURCE>", "aurora", "--instance-class", "Exit codes:", "into a scratch cluster", "RTO"]
    {
        assert!(restore.contains(want), "restore-test --help lacks {want:?}: {restore}");
    }
    let db = help(&["db", "--help"]);
    for want in ["status", "switchover", "failover", "db status: the Aurora", "longer than dbFailoverSeconds"] {
        assert!(db.contains(want), "db --help lacks {want:?}: {db}");
    }
    assert!(help(&["db", "switchover", "--help"]).contains("--to <REGION>"));
    let failover = help(&["db", "failover", "--help"]);
    assert!(failover.contains("--allow-data-loss") && failover.contains("--timeout <DURATION>"), "{failover}");
    let r = run(&mut p.haplat(&["db", "failover", "--to", "us-west-2", "--no-synth"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("pass --allow-data-loss to accept that"), "{}", r.stderr);
    let r = run(&mut p.haplat(&["restore-test", "--resource", "bogus"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("invalid value 'bogus' for '--resource <RESOURCE>'"), "{}", r.stderr);
}

/// `haplat list | head -1` and the like: a reader that has gone (stdout's pipe closed before
/// haplat writes, so the write always fails with EPIPE) ends the command quietly with code 0.
#[test]
fn a_closed_stdout_ends_read_only_commands_quietly() {
    let p = Project::new(Source::Fixture("basic"));
    let basic = fixture("basic").display().to_string();
    for args in [
        &["list"][..],
        &["synth"],
        &["deploy", "--dry-run"],
        &["diff", "--against", &basic],
        &["--help"],
        &["list", "--help"],
    ] {
        let mut cmd = p.haplat(args);
        let out = cmd.stdout(crate::harness::closed_pipe()).stderr(std::process::Stdio::piped()).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
    // Through a shell, as a user types it, with pipefail so that haplat's own status counts.
    let bin = env!("CARGO_BIN_EXE_haplat");
    let mut cmd = Command::new("bash");
    cmd.args(["-c", &format!("set -o pipefail; for i in 1 2 3; do '{bin}' list; done | head -1")]);
    crate::harness::isolate(&mut cmd, p.path());
    let r = run(cmd.current_dir(p.path()));
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "app fixture: 3 stacks, 3 regions, 4 resources, 2 waves\n"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

#[test]
fn an_unknown_profile_or_a_bad_timeout_is_a_usage_error_naming_it() {
    let p = Project::new(Source::Fixture("basic"));
    let config = p.path().join("aws-config");
    std::fs::write(&config, "[default]\nregion = us-east-1\n[profile work]\nregion = eu-west-1\n").unwrap();
    let r = run(p
        .haplat(&["status", "--profile", "nosuch"])
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", p.path().join("none")));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--profile nosuch: no such profile in"), "{}", r.stderr);
    assert!(r.stderr.contains("(profiles: default, work)"), "{}", r.stderr);
    let r = run(p.haplat(&["status", "--region", "us-east-1"]).env("HAPLAT_HTTP_TIMEOUT", "0"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("HAPLAT_HTTP_TIMEOUT=\"0\": must be above zero"), "{}", r.stderr);
}

#[test]
fn check_reports_one_line_per_finding_and_fails_only_on_errors() {
    // The fixture has a warning (a retained table with a fixed name) and no error.
    let p = Project::new(Source::Fixture("basic"));
    let r = run(&mut p.haplat(&["check"]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("warning[HAP003] Table (stack Data"), "{}", r.stdout);
    assert!(r.stdout.contains("0 errors, 1 warnings, 0 suppressed"), "{}", r.stdout);

    // An ALB with deletion protection that the stack deletes: `destroy` would fail.
    let dir = broken_fixture();
    p.switch(Source::Dir(dir.path().to_owned()));
    let r = run(&mut p.haplat(&["check"]));
    assert_eq!(r.code, 8, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("error[HAP001] Web/Lb (stack App)"), "{}", r.stdout);
    let r = run(&mut p.haplat(&["check", "--format", "sarif"]));
    assert_eq!(r.code, 8, "{}", r.stderr);
    let sarif: serde_json::Value = serde_json::from_str(&r.stdout).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["runs"][0]["results"].as_array().unwrap().iter().any(|x| x["ruleId"] == "HAP001"));
}

#[test]
fn check_explains_a_rule_and_names_an_unknown_one() {
    let p = Project::new(Source::Fixture("basic"));
    let r = run(&mut p.haplat(&["check", "--explain", "HAP001"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("HAP001 (error): "), "{}", r.stdout);
    assert!(r.stdout.contains("Documentation: https://docs.aws.amazon.com/"), "{}", r.stdout);
    let r = run(&mut p.haplat(&["check", "--explain", "HAP999"]));
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.trim(), "error: --explain HAP999: no such rule (`haplat check --rules` lists them)");
    let r = run(&mut p.haplat(&["check", "--rules"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.lines().any(|l| l.starts_with("HAP007  error")), "{}", r.stdout);
}

/// The `basic` fixture plus an ALB with deletion protection that the stack deletes (HAP001, an
/// error: `destroy` would fail), its manifest kept true to the changed template.
fn broken_fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(fixture("basic")).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), dir.path().join(f.file_name())).unwrap();
    }
    let path = dir.path().join("App.template.json");
    let mut t: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    t["Resources"]["Lb"] = serde_json::json!({
        "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "Metadata": { "haplat:path": "Web/Lb" },
        "Properties": {
            "Subnets": ["subnet-1", "subnet-2"],
            "LoadBalancerAttributes": [{ "Key": "deletion_protection.enabled", "Value": "true" }]
        }
    });
    let text = serde_json::to_string_pretty(&t).unwrap();
    std::fs::write(&path, &text).unwrap();
    // The manifest lists each template's size and resources: keep it true to the changed file.
    let manifest_path = dir.path().join("manifest.json");
    let manifest = std::fs::read_to_string(&manifest_path).unwrap();
    let mut m: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    for s in m["stacks"].as_array_mut().unwrap() {
        if s["template"] == "App.template.json" {
            s["templateBytes"] = serde_json::json!(text.len());
            s["resources"]["Lb"] = serde_json::json!({
                "type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
                "path": "Web/Lb",
                "stateful": false,
                "createOnly": [],
                "deletionPolicy": "Delete"
            });
        }
    }
    std::fs::write(&manifest_path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    dir
}

#[test]
fn synth_and_deploy_run_the_checks_errors_fail_and_warnings_are_printed() {
    // A warning (the fixture's retained table with a fixed name) is printed; synth succeeds.
    let p = Project::new(Source::Fixture("basic"));
    let r = run(&mut p.haplat(&["synth"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.lines().any(|l| l.starts_with("warning[HAP003] Table (stack Data")), "{}", r.stderr);
    // An error fails synth with its line, and deploy before it plans or calls AWS.
    let dir = broken_fixture();
    let p = Project::new(Source::App(format!("cp '{}'/* \"$HAPLAT_OUTDIR\"/", dir.path().display())));
    let r = run(&mut p.haplat(&["synth"]));
    assert_eq!(r.code, 8, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("error[HAP001] Web/Lb (stack App)"), "{}", r.stderr);
    assert!(r.stderr.contains("1 errors, 1 warnings, 0 suppressed"), "{}", r.stderr);
    assert!(!r.stdout.contains("assembly written"), "{}", r.stdout);
    let r = run(&mut p.haplat(&["deploy", "--dry-run"]));
    assert_eq!(r.code, 8, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("error[HAP001] Web/Lb (stack App)"), "{}", r.stderr);
    assert!(r.stdout.is_empty(), "no plan is printed: {}", r.stdout);
}

#[test]
fn completions_and_man_pages_come_from_the_command_line_definition() {
    let p = Project::new(Source::Fixture("basic"));
    for shell in ["bash", "zsh", "fish"] {
        let r = run(&mut p.haplat(&["completions", shell]));
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stdout.contains("haplat") && r.stdout.contains("graph") && r.stdout.contains("no-synth"), "{shell}");
    }
    let r = run(&mut p.haplat(&["completions", "tcsh"]));
    assert_eq!(r.code, 2, "an unknown shell is a usage error");
    let dir = tempfile::tempdir().unwrap();
    let r = run(&mut p.haplat(&["man", "--dir", dir.path().to_str().unwrap()]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for page in ["haplat.1", "haplat-synth.1", "haplat-deploy.1", "haplat-graph.1", "haplat-completions.1"] {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.starts_with(".ie") && text.contains(".SH NAME"), "{page}");
    }
    let deploy = std::fs::read_to_string(dir.path().join("haplat-deploy.1")).unwrap();
    assert!(deploy.contains("haplat\\-deploy") && deploy.contains("\\-\\-dry\\-run"), "{deploy}");
}

#[test]
fn a_failed_synth_keeps_the_previous_assembly_and_concurrent_synths_do_not_collide() {
    let p = Project::new(Source::Fixture("basic"));
    assert_eq!(run(&mut p.haplat(&["synth"])).code, 0);
    let manifest = p.path().join("haplat.out/manifest.json");
    let before = std::fs::read_to_string(&manifest).unwrap();
    // The app fails half-way, after writing a file: the previous assembly is untouched.
    p.switch(Source::App("echo '{}' > \"$HAPLAT_OUTDIR/manifest.json\"; exit 3".into()));
    let r = run(&mut p.haplat(&["synth"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&manifest).unwrap(), before);
    // Two runs at once, each writing slowly: both succeed and the assembly is whole.
    p.switch(Source::App(format!(
        "for f in '{}'/*; do cp \"$f\" \"$HAPLAT_OUTDIR\"/; sleep 0.1; done",
        fixture("basic").display()
    )));
    let spawn = || {
        p.haplat(&["synth"]).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()).spawn().unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(run(&mut p.haplat(&["list", "--no-synth"])).code, 0);
    let leftovers: Vec<_> = std::fs::read_dir(p.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".haplat.out."))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn list_as_json_gives_the_waves_stacks_and_regions() {
    let p = Project::new(Source::Fixture("basic"));
    let r = run(&mut p.haplat(&["list", "--format", "json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(v["app"].is_string());
    let waves = v["waves"].as_array().unwrap();
    assert!(!waves.is_empty());
    let first = &waves[0][0];
    for key in ["name", "id", "regions", "stackSet", "resources", "templateBytes", "uploaded"] {
        assert!(!first[key].is_null(), "{key}: {first}");
    }
}

#[test]
fn check_with_a_baseline_refuses_a_change_to_a_listener_rule_ecs_blue_green_manages() {
    let exes = haplat_tests::build(&["reference-platform"]);
    let work = tempfile::tempdir().unwrap();
    let (now, before) = (work.path().join("now"), work.path().join("before"));
    haplat_tests::synth(&exes["reference-platform"], "dev", &now).unwrap();
    haplat_tests::synth(&exes["reference-platform"], "dev", &before).unwrap();
    let p = Project::new(Source::Dir(now.clone()));
    let check = |baseline: Option<&std::path::Path>| {
        let mut args = vec!["check".to_owned()];
        if let Some(b) = baseline {
            args.extend(["--baseline".to_owned(), b.display().to_string()]);
        }
        run(&mut p.haplat(&args.iter().map(String::as_str).collect::<Vec<_>>()))
    };
    // Nothing changed: clean.
    let r = check(Some(&before));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // What is deployed had another priority: this deploy would write the rule, and its weights.
    let file = before.join("shop-dev-Api.template.json");
    let mut t: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let rule = t["Resources"]
        .as_object_mut()
        .unwrap()
        .values_mut()
        .find(|r| r["Metadata"]["haplat:path"] == "Api/PublicAlb/ordersRule443")
        .expect("the orders rule");
    rule["Properties"]["Priority"] = serde_json::json!(99);
    std::fs::write(&file, serde_json::to_string_pretty(&t).unwrap()).unwrap();
    let r = check(Some(&before));
    assert_eq!(r.code, 8, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("error[HAP007] Api/PublicAlb/ordersRule443 (stack shop-dev-Api)"), "{}", r.stdout);
    assert!(r.stdout.contains("(Priority)"), "{}", r.stdout);
    // Without a baseline the rule cannot tell.
    assert!(!check(None).stdout.contains("HAP007"));
    // A baseline that cannot be read is one clear line.
    let r = check(Some(&work.path().join("nowhere")));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("nowhere"), "{}", r.stderr);
}

/// `diff --format markdown|json` offline: the marker, a table per stack set, the replacement
/// first, the JSON document's shape, and `--fail`'s exit code in every format.
#[test]
fn diff_reports_as_markdown_and_json_keep_the_exit_code() {
    let p = Project::new(Source::Fixture("renamed"));
    let basic = fixture("basic").display().to_string();
    let md = run(&mut p.haplat(&["diff", "--against", &basic, "--format", "markdown", "--fail"]));
    assert_eq!(md.code, 3, "{}", md.stderr);
    let out = &md.stdout;
    assert!(
        out.starts_with("<!-- haplat-diff -->\n### haplat diff: 3 of 3 stack sets differ, 3 resources changed\n"),
        "{out}"
    );
    assert!(out.contains("**Review:** 1 replacement."), "{out}");
    assert!(
        out.contains("#### Stack set `Data`")
            && out.contains("| **replace** | `Table` | `Data/Orders` | `AWS::DynamoDB::Table` |"),
        "{out}"
    );
    assert!(out.contains("<details><summary>Property changes") && out.contains("```diff\n"), "{out}");
    assert!(out.contains("- Properties.TableName: \"orders\"  # create-only: forces replacement"), "{out}");
    assert!(out.contains("+ Properties.TableName: \"orders-v2\"  # create-only: forces replacement"), "{out}");
    assert!(!out.contains("Truncated"), "{out}");
    let md = run(&mut p.haplat(&["diff", "--against", &basic, "--format", "markdown"]));
    assert_eq!(md.code, 0, "without --fail");

    let js = run(&mut p.haplat(&["diff", "--against", &basic, "--format", "json", "--fail"]));
    assert_eq!(js.code, 3, "{}", js.stderr);
    let j: serde_json::Value = serde_json::from_str(&js.stdout).unwrap();
    assert_eq!(
        (j["version"].as_u64(), j["comparedWith"].as_str(), j["differ"].as_bool()),
        (Some(1), Some("assembly"), Some(true))
    );
    assert_eq!(j["summary"]["replacements"], 1);
    let data = j["stackSets"].as_array().unwrap().iter().find(|s| s["name"] == "Data").unwrap();
    assert_eq!(data["resources"][0]["action"], "replace");
    assert_eq!(data["resources"][0]["path"], "Data/Orders");
    assert_eq!(data["resources"][0]["changes"][0]["createOnly"], "TableName");

    // The same assembly: nothing differs, exit 0 with --fail, in both formats.
    p.switch(Source::Fixture("basic"));
    let md = run(&mut p.haplat(&["diff", "--against", &basic, "--format", "markdown", "--fail"]));
    assert_eq!((md.code, md.stdout.lines().nth(1)), (0, Some("### haplat diff: no differences (3 stack sets)")));
    let js = run(&mut p.haplat(&["diff", "--against", &basic, "--format", "json", "--fail"]));
    let j: serde_json::Value = serde_json::from_str(&js.stdout).unwrap();
    assert_eq!((js.code, j["differ"].as_bool()), (0, Some(false)));
}

/// A diff too big for one GitHub comment: the Markdown stays within 65,536 bytes, keeps the
/// marker and the resource tables, leaves out the property changes and says so.
#[test]
fn a_markdown_diff_too_big_for_a_comment_is_cut_and_says_what_was_cut() {
    let p = Project::new(Source::Fixture("basic"));
    // The basic assembly with 300 more queues in App, whose long property differs between the two.
    let write = |dir: &str, fill: char| {
        let dir = p.path().join(dir);
        std::fs::create_dir(&dir).unwrap();
        for f in std::fs::read_dir(fixture("basic")).unwrap() {
            let f = f.unwrap();
            std::fs::copy(f.path(), dir.join(f.file_name())).unwrap();
        }
        let mut t: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("App.template.json")).unwrap()).unwrap();
        let mut m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
        let app = m["stacks"].as_array_mut().unwrap().iter_mut().find(|s| s["name"] == "App").unwrap();
        for i in 0..300 {
            let id = format!("Queue{i:03}");
            t["Resources"][&id] = serde_json::json!({"Type": "AWS::SQS::Queue", "Properties": {
                "Tags": [{"Key": "note", "Value": fill.to_string().repeat(250)}]}});
            app["resources"][&id] = serde_json::json!({"type": "AWS::SQS::Queue", "path": format!("App/Queues/{i}"),
                "stateful": false, "createOnly": ["QueueName", "FifoQueue"], "deletionPolicy": "Delete"});
        }
        let body = serde_json::to_string_pretty(&t).unwrap() + "\n";
        app["templateBytes"] = body.len().into();
        std::fs::write(dir.join("App.template.json"), body).unwrap();
        std::fs::write(dir.join("manifest.json"), serde_json::to_string_pretty(&m).unwrap()).unwrap();
    };
    write("old", 'a');
    write("new", 'b');
    let r = run(&mut p.haplat(&[
        "diff",
        "--no-synth",
        "--out",
        "new",
        "--against",
        "old",
        "--format",
        "markdown",
        "--fail",
    ]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    let md = &r.stdout;
    assert!(md.len() <= 65_536, "{} bytes", md.len());
    assert!(
        md.starts_with("<!-- haplat-diff -->\n### haplat diff: 1 of 3 stack sets differs, 300 resources changed\n")
    );
    assert!(md.contains("| modify | `Queue299` | `App/Queues/299` | `AWS::SQS::Queue` |"), "every row is kept");
    assert!(!md.contains("<details>"), "the property changes are cut");
    assert!(
        md.trim_end().ends_with(
            "**Truncated** to stay within GitHub's 65536-character limit: the property changes of `App` left out; run `haplat diff` for the whole diff."
        ),
        "{}",
        &md[md.len().saturating_sub(400)..]
    );
}

/// A task role's policy change is shown whole, in the text diff and the pull-request comment:
/// the part of an ARN that changed must not be cut off (issue 15).
#[test]
fn a_task_role_policy_change_shows_the_whole_statement_difference() {
    let role = |table: &str, actions: serde_json::Value| {
        serde_json::json!({"Resources": {"OrdersTaskRole": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "Policies": [{"PolicyName": "orders", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": actions,
            "Resource": {"Fn::Sub": format!("arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/${{TablesPrefix}}-{table}")}
        }]}}]}}}})
    };
    let old = role("orders", serde_json::json!(["dynamodb:GetItem", "dynamodb:Query"]));
    let new = role("orders-archive", serde_json::json!(["dynamodb:GetItem", "dynamodb:Query", "dynamodb:DeleteItem"]));
    let (text, md) = text_and_markdown_of(&old, &new);
    assert!(text.contains("${TablesPrefix}-orders-archive"), "{text}");
    assert!(md.contains("${TablesPrefix}-orders-archive"), "{md}");
    snap!("diff_task_role_policy_change", text);
}

/// The pull-request comment for a change with a replacement, an IAM change and a per-region
/// parameter change, pinned whole: replacements and IAM first, property changes fenced, the
/// parameters per region (issue 13).
#[test]
fn diff_markdown_with_a_replacement_an_iam_change_and_a_parameter_change() {
    use haplat_cli::diff_report::{GITHUB_COMMENT_LIMIT, markdown};
    use haplat_cli::stack_diff::{ParamChange, StackDiff};
    use haplat_cli::template_diff::diff_templates;
    let template = |table: &str, actions: serde_json::Value| {
        serde_json::json!({"Resources": {
            "OrdersTable": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": table,
                "BillingMode": "PAY_PER_REQUEST"}},
            "OrdersTaskRole": {"Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                "Policies": [{"PolicyName": "orders", "PolicyDocument": {"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}}]}}
        }})
    };
    let old = template("orders", serde_json::json!(["dynamodb:GetItem"]));
    let new = template("orders-v2", serde_json::json!(["dynamodb:GetItem", "dynamodb:PutItem"]));
    let manifest = std::collections::BTreeMap::from([(
        "OrdersTable".to_string(),
        haplat_core::manifest::ResourceManifest {
            type_name: "AWS::DynamoDB::Table".into(),
            path: "Api/Orders/Table".into(),
            stateful: true,
            create_only: vec!["TableName".into()],
            deletion_policy: "Retain".into(),
        },
    )]);
    let md = markdown(
        &[StackDiff {
            name: "Api".into(),
            regions: vec!["us-east-1".into(), "eu-west-1".into()],
            deployed: true,
            template: diff_templates(Some(&old), None, Some(&new), Some(&manifest)),
            parameters: vec![ParamChange {
                region: "eu-west-1".into(),
                name: "OrdersDesiredCount".into(),
                old: Some("2".into()),
                new: Some("3".into()),
            }],
            ..Default::default()
        }],
        GITHUB_COMMENT_LIMIT,
    );
    snap!("diff_markdown_replacement_iam_parameter", md);
}

/// The text diff and the pull-request comment of one stack set `Api` going from `old` to
/// `new`, one after the other (what the issue-15 snapshots pin).
fn text_and_markdown(old: &serde_json::Value, new: &serde_json::Value) -> String {
    let (text, md) = text_and_markdown_of(old, new);
    format!("----- text -----\n{text}----- markdown -----\n{md}")
}

/// The text diff and the pull-request comment of one stack set `Api` going from `old` to `new`.
fn text_and_markdown_of(old: &serde_json::Value, new: &serde_json::Value) -> (String, String) {
    use haplat_cli::diff_report::{GITHUB_COMMENT_LIMIT, markdown};
    use haplat_cli::stack_diff::StackDiff;
    use haplat_cli::template_diff::{diff_templates, render_template_diff};
    let diff = diff_templates(Some(old), None, Some(new), None);
    let mut text = String::new();
    render_template_diff(&diff, 2, &mut text);
    let md = markdown(
        &[StackDiff {
            name: "Api".into(),
            regions: vec!["us-east-1".into()],
            deployed: true,
            template: diff,
            ..Default::default()
        }],
        GITHUB_COMMENT_LIMIT,
    );
    (text, md)
}

/// A task role whose inline policy has `statements`.
fn task_role(statements: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"Resources": {"OrdersTaskRole": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "Policies": [{"PolicyName": "orders", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}]}}}})
}

/// A task role's policy losing its first statement and gaining one at the end: the two shown
/// whole, the statements in between (shifted by one) not at all (issue 15).
#[test]
fn a_policy_statement_gained_and_another_lost_are_shown_whole() {
    let read_bucket = serde_json::json!({"Effect": "Allow", "Action": ["s3:GetObject"],
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${AssetsBucket}/*"}});
    let read_orders = serde_json::json!({"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"],
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders"}});
    let send = serde_json::json!({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": ["Queue", "Arn"]}});
    let publish = serde_json::json!({"Effect": "Allow", "Action": "sns:Publish", "Resource": {"Ref": "AlertsTopic"},
        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}});
    let out = text_and_markdown(
        &task_role(serde_json::json!([read_bucket, read_orders, send])),
        &task_role(serde_json::json!([read_orders, send, publish])),
    );
    assert!(!out.contains("dynamodb:Query"), "unchanged statements are not shown:\n{out}");
    snap!("diff_policy_statement_gained_and_lost", out);
}

/// A statement named by a `Sid` and changed where it moved: matched to its old self, its inner
/// differences shown (a condition added whole) (issue 15).
#[test]
fn a_policy_statement_changed_in_place_shows_its_inner_differences() {
    let keys = |actions: serde_json::Value| {
        serde_json::json!({"Sid": "UseOrdersKey", "Effect": "Allow",
        "Action": actions, "Resource": {"Fn::GetAtt": ["OrdersKey", "Arn"]}})
    };
    let send = serde_json::json!({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": ["Queue", "Arn"]}});
    let mut changed = keys(serde_json::json!(["kms:Decrypt", "kms:GenerateDataKey"]));
    changed["Condition"] =
        serde_json::json!({"StringEquals": {"kms:ViaService": {"Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"}}});
    let out = text_and_markdown(
        &task_role(serde_json::json!([keys(serde_json::json!(["kms:Decrypt"])), send])),
        &task_role(serde_json::json!([send, changed])),
    );
    snap!("diff_policy_statement_changed_by_sid", out);
}

/// A security group gaining an ingress rule: the new rule whole, the others not shown
/// (issue 15).
#[test]
fn a_security_group_rule_gained_is_shown_whole() {
    let sg = |ingress: serde_json::Value| {
        serde_json::json!({"Resources": {"ServiceSg": {"Type": "AWS::EC2::SecurityGroup",
        "Properties": {"GroupDescription": "orders service", "VpcId": {"Ref": "VpcId"},
            "SecurityGroupIngress": ingress,
            "SecurityGroupEgress": [{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}]}}}})
    };
    let https = serde_json::json!({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "SourceSecurityGroupId": {"Ref": "LoadBalancerSg"}});
    let ssh = serde_json::json!({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0",
        "Description": "debugging"});
    let out = text_and_markdown(&sg(serde_json::json!([https])), &sg(serde_json::json!([ssh, https])));
    snap!("diff_security_group_rule_gained", out);
}

/// An `AWS::IAM::Policy` added: its properties (statements, roles) shown whole, not only its
/// name (issue 15).
#[test]
fn an_added_iam_policy_is_shown_whole() {
    let topic = serde_json::json!({"AlertsTopic": {"Type": "AWS::SNS::Topic"}});
    let mut new = serde_json::json!({"Resources": topic});
    new["Resources"]["PublishAlertsPolicy"] = serde_json::json!({"Type": "AWS::IAM::Policy", "Properties": {
        "PolicyName": "publish-alerts", "Roles": [{"Ref": "OrdersTaskRole"}],
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sns:Publish",
            "Resource": {"Ref": "AlertsTopic"}}]}}});
    let out = text_and_markdown(&serde_json::json!({"Resources": topic}), &new);
    snap!("diff_iam_policy_added", out);
}
