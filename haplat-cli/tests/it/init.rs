//! `haplat init`: a project of the user's own, outside this repository, whose tests and `haplat
//! synth` pass (built against this checkout with `--haplat-path`, sharing the workspace's target
//! directory and lock file so that haplat is not rebuilt); its workflows are YAML GitHub reads;
//! and what it refuses.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::harness::{install_tools, repo_root, run};

fn haplat(dir: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_haplat"));
    cmd.current_dir(dir).args(args);
    cmd
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo_root().join("target"))
}

#[test]
fn init_makes_a_project_whose_tests_and_synth_pass() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("shop-infra");
    let root = repo_root();
    let r = run(&mut haplat(work.path(), &["init", "shop-infra", "--haplat-path", root.to_str().unwrap()]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    for f in [
        "Cargo.toml",
        "src/lib.rs",
        "haplat.toml",
        "environments/dev.yaml",
        "environments/prod.yaml",
        "environments/schema.json",
        "tests/templates.rs",
        ".gitignore",
        "README.md",
        ".github/workflows/pull-request.yml",
        ".github/workflows/deploy.yml",
    ] {
        assert!(dir.join(f).is_file(), "{f} is missing");
    }
    let cargo_toml = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(cargo_toml.contains(&format!("path = \"{}/haplat-core\"", root.display())), "{cargo_toml}");

    // The workflows are YAML, with what GitHub needs and what the PR flow promises.
    for (file, jobs) in [("pull-request.yml", vec!["review"]), ("deploy.yml", vec!["dev", "prod"])] {
        let text = std::fs::read_to_string(dir.join(".github/workflows").join(file)).unwrap();
        let w: Value = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(w["name"].is_string() && w["on"].is_object(), "{file}");
        for job in jobs {
            assert!(w["jobs"][job]["steps"].as_array().is_some_and(|s| !s.is_empty()), "{file}: job {job}");
        }
    }
    // And valid against GitHub's workflow schema (vendored: haplat-cli/tests/schemas/README.md),
    // with the pinned tools' jsonschema and PyYAML (which reads the key `on` as true: put back).
    let schema = root.join("haplat-cli/tests/schemas/github-workflow.json");
    for file in ["pull-request.yml", "deploy.yml"] {
        let out = Command::new(install_tools().join("python"))
            .args([
                "-c",
                "import json,sys,yaml,jsonschema\n\
                 d=yaml.safe_load(open(sys.argv[2]))\n\
                 d['on']=d.pop(True,d.get('on'))\n\
                 jsonschema.validate(d,json.load(open(sys.argv[1])))",
            ])
            .arg(&schema)
            .arg(dir.join(".github/workflows").join(file))
            .output()
            .unwrap();
        assert!(out.status.success(), "{file} against the workflow schema:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    let pr = std::fs::read_to_string(dir.join(".github/workflows/pull-request.yml")).unwrap();
    for needed in [
        "cargo test",
        "haplat check --env prod --format sarif",
        "upload-sarif",
        "haplat diff --env prod --format markdown > haplat-diff.md",
        "GITHUB_STEP_SUMMARY",
        "<!-- haplat-diff -->",
        "vars.HAPLAT_DIFF_ROLE_ARN != ''",
        "updateComment",
        "id-token: write",
    ] {
        assert!(pr.contains(needed), "pull-request.yml lacks {needed:?}");
    }
    let deploy: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(dir.join(".github/workflows/deploy.yml")).unwrap()).unwrap();
    assert_eq!(deploy["jobs"]["prod"]["environment"], "prod");
    assert_eq!(deploy["jobs"]["prod"]["needs"], "dev");

    // Its tests pass: the first run pins the snapshots, the second checks against them.
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let tools = install_tools();
    let path = format!("{}:{}", tools.display(), std::env::var("PATH").unwrap_or_default());
    // The schema template is what the project's own types generate: regenerate it with
    // `UPDATE_DOCS=1 cargo test -p haplat-cli --test it init` (the project's test then says it is fresh).
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let out = haplat_tests::cargo()
            .current_dir(&dir)
            .args(["test", "--quiet", "--offline", "--test", "templates", "the_environment_schema_is_fresh"])
            .env("CARGO_TARGET_DIR", target_dir())
            .env("UPDATE_SCHEMA", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let schema = std::fs::read_to_string(dir.join("environments/schema.json")).unwrap();
        let template = schema.replace("`shop-infra-<name>-Api`", "`{{name}}-<name>-Api`");
        std::fs::write(root.join("haplat-cli/templates/init/schema.json.tmpl"), template).unwrap();
    }
    // The first run lints too (cfn-lint required); the second only checks the pinned snapshots.
    for update in ["always", "no"] {
        let mut test = haplat_tests::cargo();
        test.current_dir(&dir).args(["test", "--quiet", "--offline"]).env("CARGO_TARGET_DIR", target_dir());
        test.env("INSTA_UPDATE", update);
        if update == "always" {
            test.env("HAPLAT_REQUIRE_LINT", "1").env("PATH", &path);
        }
        let out = test.output().unwrap();
        assert!(
            out.status.success(),
            "cargo test (INSTA_UPDATE={update}):\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(dir.join("tests/snapshots").read_dir().unwrap().count() >= 4, "the templates are pinned");

    // And `haplat synth` in it.
    // (Its app is `cargo run`: without the variables cargo set for this test, as for the builds.)
    let mut synth = haplat(&dir, &["synth", "--env", "prod"]);
    let r = run(haplat_tests::without_cargo_run_vars(&mut synth).env("CARGO_TARGET_DIR", target_dir()));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(dir.join("haplat.out/manifest.json").is_file());
}

#[test]
fn init_refuses_a_non_empty_directory_a_bad_name_and_a_bad_checkout() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("taken");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let r = run(&mut haplat(work.path(), &["init", "taken"]));
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr.contains("is not empty: haplat init writes a new project into a new or empty directory"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "nothing was written");
    assert_eq!(std::fs::read_to_string(dir.join("notes.txt")).unwrap(), "mine");

    let r = run(&mut haplat(work.path(), &["init", "My_Project"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("project name \"My_Project\" is invalid"), "{}", r.stderr);
    assert!(!work.path().join("My_Project").exists());

    let r = run(&mut haplat(work.path(), &["init", "ok-name", "--haplat-path", work.path().to_str().unwrap()]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a haplat checkout"), "{}", r.stderr);
}
