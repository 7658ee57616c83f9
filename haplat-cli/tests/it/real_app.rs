//! End to end with the app users deploy: the reference platform's dev, staging and prod (two and
//! three regions, four to six stack sets in four or five waves) through the `haplat` binary
//! against the emulator, moto with the repo's patches for the moto bugs the platform meets
//! (tools/emulator/launch.py; docs/cli.md, "The emulator").
//!
//! Each environment bootstraps, deploys every wave with every binding resolved from its
//! producer's outputs, and then `diff --fail` finds nothing; a value of dev's environment file
//! changes, `diff` shows it, it deploys, and nothing differs again; each environment is destroyed
//! with what it keeps listed. The hosted zones are the emulator's (`HAPLAT_ENVIRONMENTS_DIR`
//! names a copy of the environment files with their ids). What the emulator cannot show:
//! `haplat doctor` misses the API Gateway logs role and answers nothing for several checks, so
//! the deploys pass `--skip-doctor`; its Route 53 checks publish no status and its alarms never evaluate, so `--no-health`; and
//! the resources moto does not provision stand in as placeholders, so the values are made up.

use std::collections::BTreeMap;

use haplat_cli::cfn::{CloudFormation, InstanceStatus, StackStatus};
use haplat_cli::sdk::Aws;
use serde_json::Value;

use crate::harness::{Moto, Project, Source, real_app, run};
use crate::snap;

/// Region → outputs of a stack set's instances, each CURRENT with a stack.
async fn outputs(aws: &Aws, set: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for i in aws.list_stack_instances(set).await.unwrap() {
        assert_eq!(i.status, InstanceStatus::Current, "{set} in {}", i.region);
        let full = aws.describe_stack_instance(set, &i.account, &i.region).await.unwrap();
        let stack = aws
            .instance_stack(set, &full)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{set} has no stack in {}", i.region));
        assert_eq!(stack.status, StackStatus::CreateComplete, "{set} in {}", i.region);
        out.insert(i.region.clone(), stack.outputs);
    }
    out
}

/// Sizes and resource counts redacted: the app's own snapshots (snapshots/apps) pin those, and
/// the app changes often; the plan's shape is what these snapshots are about. So are the values
/// the emulator makes up.
fn shape(s: String) -> String {
    let s = regex::Regex::new(r"\(\d+ bytes").unwrap().replace_all(&s, "([N] bytes").into_owned();
    let s = regex::Regex::new(r"\d+ resources").unwrap().replace_all(&s, "[N] resources").into_owned();
    // What the emulator makes up: hosted zone ids (and so the hashes of the templates that name
    // them), and the suffix of a generated physical name.
    let s = regex::Regex::new(r"\bZ[0-9A-Z]{21}\b").unwrap().replace_all(&s, "[ZONE]").into_owned();
    let s = regex::Regex::new(r"/[0-9a-f]{64}\.json").unwrap().replace_all(&s, "/[HASH].json").into_owned();
    regex::Regex::new(r"-[0-9A-Z]{12}\b").unwrap().replace_all(&s, "-[SUFFIX]").into_owned()
}

/// The stack sets of one wave deploy side by side, so their progress lines interleave in any
/// order: each run of lines about stack sets is ordered by stack set, each one's own lines kept
/// in their order.
fn by_stack_set(s: &str) -> String {
    let name = |l: &str| -> Option<String> {
        let t = l.trim_start();
        t.starts_with("shop-").then(|| t.split([':', ' ']).next().unwrap_or_default().to_owned())
    };
    let mut out: Vec<String> = Vec::new();
    let mut run: Vec<(String, String)> = Vec::new();
    let flush = |run: &mut Vec<(String, String)>, out: &mut Vec<String>| {
        run.sort_by(|a, b| a.0.cmp(&b.0));
        out.extend(run.drain(..).map(|(_, l)| l));
    };
    for l in s.lines() {
        match name(l) {
            Some(n) => run.push((n, l.to_owned())),
            None => {
                flush(&mut run, &mut out);
                out.push(l.to_owned());
            }
        }
    }
    flush(&mut run, &mut out);
    out.join("\n") + if s.ends_with('\n') { "\n" } else { "" }
}

/// `deploy --dry-run` of the real app, offline: the plan (waves, operations, per-region
/// parameters read from producers) is pinned.
#[test]
fn real_app_plan_is_pinned() {
    let app = real_app();
    let p = Project::new(Source::App(format!("'{}'", app.exe.display())));
    let r = run(&mut p.haplat(&["deploy", "--dry-run", "--env", app.env]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    snap!(format!("real_app_{}_dry_run", app.package), shape(r.snapshot(p.path())));
}

/// `synth` prints, after the waves, each environment's declared objectives beside what its
/// templates allow (docs/availability.md): failover with its slowest chain link by link, the
/// SLOs watching each objective, the data-loss window. Pinned for every environment.
#[test]
fn real_app_synth_prints_its_objectives_beside_what_the_settings_allow() {
    let app = real_app();
    let p = Project::new(Source::App(format!("'{}'", app.exe.display())));
    for env in ["dev", "staging", "prod"] {
        let r = run(&mut p.haplat(&["synth", "--env", env]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let figures: Vec<&str> = r
            .stdout
            .lines()
            .skip_while(|l| !l.starts_with("app failover"))
            .take_while(|l| !l.starts_with("assembly written"))
            .collect();
        assert!(figures.iter().any(|l| l.starts_with("availability SLO: objective")), "{env}: {figures:?}");
        assert!(figures.iter().all(|l| !l.contains("NOT MET")), "{env}: {figures:?}");
        snap!(format!("real_app_{}_{env}_objectives", app.package), figures.join("\n") + "\n");
    }
}

/// The reference platform's environment files, copied with each hosted zone made in the emulator.
async fn environments_on(moto: &Moto, envs: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = crate::harness::repo_root().join("apps/reference-platform/environments");
    std::fs::copy(from.join("schema.json"), dir.path().join("schema.json")).unwrap();
    for env in envs {
        let text = std::fs::read_to_string(from.join(format!("{env}.yaml"))).unwrap();
        let field = |key: &str| {
            text.lines().find_map(|l| l.trim().strip_prefix(key)).unwrap_or_else(|| panic!("{env}: no {key}")).trim()
        };
        let (domain, old) = (field("name: ").to_owned(), field("hosted_zone_id: "));
        let request = format!("<Name>{domain}</Name><CallerReference>{env}</CallerReference>");
        let zone = moto.route53("hostedzone", "CreateHostedZoneRequest", &request).await;
        let id = zone.text_at(&["HostedZone", "Id"]).unwrap().trim_start_matches("/hostedzone/").to_owned();
        std::fs::write(dir.path().join(format!("{env}.yaml")), text.replace(old, &id)).unwrap();
    }
    dir
}

/// Every instance of every stack set is CURRENT in each target region with its stack created, and
/// every binding's parameter holds its producer's output in the producer's region.
async fn check_deployed(aws: &Aws, manifest: &Value) {
    let mut outs = BTreeMap::new();
    for s in manifest["stacks"].as_array().unwrap() {
        let name = s["name"].as_str().unwrap();
        let out = outputs(aws, name).await;
        let mut want: Vec<String> = match s["target"]["kind"].as_str() {
            Some("stackSet") => {
                s["target"]["regions"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_owned()).collect()
            }
            _ => vec![s["target"]["region"].as_str().unwrap().to_owned()],
        };
        want.sort();
        assert_eq!(out.keys().cloned().collect::<Vec<_>>(), want, "{name}");
        for b in s["bindings"].as_array().into_iter().flatten() {
            for region in &want {
                let from = b["region"]["region"].as_str().unwrap_or(region);
                let producer: &BTreeMap<String, BTreeMap<String, String>> = &outs[b["producer"].as_str().unwrap()];
                let value = &producer[from][b["output"].as_str().unwrap()];
                let instance = aws.describe_stack_instance(name, "123456789012", region).await.unwrap();
                let parameter = b["parameter"].as_str().unwrap();
                assert_eq!(instance.overrides.get(parameter), Some(value), "{name} {region} {parameter}");
            }
        }
        outs.insert(name.to_owned(), out);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn reference_platform_dev_staging_prod_deploy_diff_change_destroy_on_moto() {
    const ENVS: [&str; 3] = ["dev", "staging", "prod"];
    let app = real_app();
    assert_eq!(app.package, "reference-platform");
    let moto = Moto::start();
    let aws = moto.aws().await;
    let envs = environments_on(&moto, &ENVS).await;
    let p = Project::new(Source::App(format!("'{}'", app.exe.display())));
    let haplat = |env: &str, args: &[&str]| {
        let mut args = args.to_vec();
        args.extend(["--env", env]);
        let mut cmd = p.haplat(&args);
        moto.env(&mut cmd);
        cmd.env("HAPLAT_ENVIRONMENTS_DIR", envs.path());
        run(&mut cmd)
    };
    // Prod's rollout bakes 30 minutes watching CloudWatch, which moto does not speak: off here
    // (tests/it/rollout.rs runs rollouts against the fake).
    let deploy = ["deploy", "--yes", "--plain", "--skip-doctor", "--no-health", "--no-rollout"];
    let mut manifests = BTreeMap::new();
    for env in ENVS {
        let r = haplat(env, &["synth", "--out", env]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let manifest: Value =
            serde_json::from_str(&std::fs::read_to_string(p.path().join(env).join("manifest.json")).unwrap()).unwrap();

        // Bootstrap covers every region of the environment.
        let b = haplat(env, &["bootstrap"]);
        assert_eq!(b.code, 0, "{}", b.stderr);
        if env == "prod" {
            assert!(b.stdout.contains("  regions:              eu-west-1, us-east-1, us-west-2\n"), "{}", b.stdout);
            // The account checks: on moto the API Gateway logs role is missing, and what moto
            // does not implement is "not checked"; deploy would stop there (exit 7).
            let d = haplat(env, &["doctor"]);
            assert_eq!(d.code, 7, "{}", d.stderr);
            snap!(format!("real_app_{}_doctor_on_moto", app.package), shape(d.snapshot(p.path())));
        }

        // Every wave, every stack set, every region.
        let r = haplat(env, &deploy);
        assert_eq!(r.code, 0, "{env}: {}", r.stderr);
        let sets: Vec<&str> =
            manifest["stacks"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
        for set in &sets {
            assert!(
                r.stderr.contains(&format!("{set}: stack set created; instances created in ")),
                "{set}: {}",
                r.stderr
            );
        }
        if env == "prod" {
            let differ = r.stdout.lines().last().unwrap_or_default().to_owned();
            let progress = crate::harness::Run { stdout: format!("[the diff, ending: {differ}]\n"), ..r };
            snap!(
                format!("real_app_{}_deploy_on_moto", app.package),
                by_stack_set(&shape(progress.snapshot(p.path())))
            );
        }
        check_deployed(&aws, &manifest).await;

        // What is deployed is what the app says.
        let clean = haplat(env, &["diff", "--fail"]);
        assert_eq!(clean.code, 0, "{env}: {}{}", clean.stdout, clean.stderr);
        assert!(clean.stdout.ends_with("\nno differences\n"), "{}", clean.stdout);
        manifests.insert(env, manifest);
    }

    // dev's environment file changes a service's environment variable: the task definition is
    // replaced in every region, and the deploy updates the API's stack set.
    let file = envs.path().join("dev.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("LOG_LEVEL: debug"));
    std::fs::write(&file, text.replace("LOG_LEVEL: debug", "LOG_LEVEL: info")).unwrap();
    let diff = haplat("dev", &["diff", "--fail"]);
    assert_eq!(diff.code, 3, "{}", diff.stderr);
    snap!(format!("real_app_{}_diff_changed", app.package), shape(diff.snapshot(p.path())));
    let r = haplat("dev", &deploy);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("shop-dev-Api: template updated in us-east-1, us-west-2"), "{}", r.stderr);
    for unchanged in ["Data", "Global", "Edge"] {
        assert!(r.stderr.contains(&format!("shop-dev-{unchanged}: unchanged")), "{}", r.stderr);
    }
    let set = aws.describe_stack_set("shop-dev-Api").await.unwrap().unwrap();
    assert!(set.template_body.contains("\"Value\": \"info\""), "the new value is not in the template");
    assert_eq!(haplat("dev", &["diff", "--fail"]).code, 0);

    // Destroy, waves in reverse: every stack set goes, what is retained is listed as kept.
    for env in ENVS {
        let r = haplat(env, &["destroy", "--yes", "--plain"]);
        assert_eq!(r.code, 0, "{env}: {}", r.stderr);
        let count = manifests[env]["stacks"].as_array().unwrap().len();
        assert!(r.stdout.contains(&format!("\ndestroyed {count} stack set(s)")), "{env}: {}", r.stdout);
        assert!(
            r.stderr.contains("(AWS::KMS::Key, Data/Keys/Key): its DeletionPolicy retains it"),
            "{env}: {}",
            r.stderr
        );
        assert!(r.stderr.contains("(AWS::DynamoDB::GlobalTable, Global/Orders/Table)"), "{env}: {}", r.stderr);
        if env == "prod" {
            snap!(format!("real_app_{}_destroy", app.package), by_stack_set(&shape(r.snapshot(p.path()))));
        }
    }
    assert!(aws.list_stack_sets().await.unwrap().is_empty());
}
