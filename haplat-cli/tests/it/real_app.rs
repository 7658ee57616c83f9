//! End to end with a real app of the workspace (the reference platform's prod environment:
//! three regions, four stacks in four waves) through the `haplat` binary against moto.
//!
//! moto cannot run this app all the way, and the test shows what a user sees at each limit
//! (moto 5.2.5; the emulator notes in docs/cli.md):
//!
//! 0. `haplat doctor` finds the API Gateway logs role and the prod hosted zone missing (moto
//!    answers both calls) and says which checks moto cannot answer; deploy stops there (exit 7),
//!    so the deploys below pass `--skip-doctor`.
//! 1. `AWS::KMS::Key` with `Tags` (every haplat key is tagged): moto's KMS model reads CloudFormation
//!    tags as `TagKey`/`TagValue` and fails with `KeyError: 'TagKey'`, an HTTP 500 in the middle of
//!    CreateStackInstances. The SDK retries the 500 (a real CloudFormation would have the call's
//!    idempotency token), and the retry finds the half-made stack: the user sees
//!    `AlreadyExistsException: Stack StackSet:<name> already exists` on the first wave.
//!    The rest of the test deploys the app's own assembly with only those `Tags` removed.
//! 2. Outputs of resources moto skips are dropped: the `Global` stack's global table
//!    (`AWS::DynamoDB::GlobalTable`) and origin secret (`AWS::SecretsManager::Secret`) are skipped,
//!    so its outputs `…TableRef` and `…SecretRef` do not exist and the `Api` stack's bindings cannot
//!    be resolved: deploy stops before `Api` with the binding error, naming the parameter, the
//!    producer, its region and the outputs it does have (none).
//! 3. Beyond that (not reached): the `Api` template's subnets use `Fn::Cidr`, which moto does not
//!    implement (`KeyError` in `Fn::Select`, HTTP 500), and `Edge` binds `Api`'s load balancer
//!    outputs. The fixture test (e2e.rs) covers the whole flow, bindings included, on resources
//!    moto provisions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use haplat_cli::cfn::{CloudFormation, InstanceStatus, StackStatus};
use haplat_cli::sdk::Aws;
use serde_json::Value;

use crate::harness::{Moto, Project, RealApp, Source, real_app, run};
use crate::snap;

/// The app's assembly, synthesized by the app through `haplat synth`.
fn synth(p: &Project, app: &RealApp, out: &str) -> PathBuf {
    let r = run(&mut p.haplat(&["synth", "--env", app.env, "--out", out]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    p.path().join(out)
}

/// Copies an assembly, changing its templates with `change(stack id, template, manifest
/// resources)`; the manifest's sizes are kept right.
fn rewrite(from: &Path, to: &Path, mut change: impl FnMut(&str, &mut Value, &mut Value)) -> PathBuf {
    std::fs::create_dir_all(to).unwrap();
    let mut m: Value = serde_json::from_str(&std::fs::read_to_string(from.join("manifest.json")).unwrap()).unwrap();
    for s in m["stacks"].as_array_mut().unwrap() {
        let file = s["template"].as_str().unwrap().to_owned();
        let mut t: Value = serde_json::from_str(&std::fs::read_to_string(from.join(&file)).unwrap()).unwrap();
        let id = s["id"].as_str().unwrap().to_owned();
        change(&id, &mut t, &mut s["resources"]);
        let body = serde_json::to_string_pretty(&t).unwrap() + "\n";
        s["templateBytes"] = body.len().into();
        s["requiresUpload"] = (body.len() > haplat_core::manifest::INLINE_TEMPLATE_LIMIT).into();
        std::fs::write(to.join(&file), body).unwrap();
    }
    std::fs::write(to.join("manifest.json"), serde_json::to_string_pretty(&m).unwrap() + "\n").unwrap();
    to.to_owned()
}

/// moto limitation 1: no `Tags` on KMS keys.
fn without_kms_tags(_: &str, t: &mut Value, _: &mut Value) {
    for r in t["Resources"].as_object_mut().unwrap().values_mut() {
        if r["Type"] == "AWS::KMS::Key" {
            r["Properties"].as_object_mut().unwrap().remove("Tags");
        }
    }
}

/// The logical id of the resource at a construct path.
fn logical_id(t: &Value, path: &str) -> String {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, r)| r["Metadata"]["haplat:path"] == path)
        .unwrap_or_else(|| panic!("no resource at {path}"))
        .0
        .clone()
}

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
/// the app changes often; the plan's shape is what these snapshots are about.
fn shape(s: String) -> String {
    let s = regex::Regex::new(r"\(\d+ bytes").unwrap().replace_all(&s, "([N] bytes").into_owned();
    regex::Regex::new(r"\d+ resources").unwrap().replace_all(&s, "[N] resources").into_owned()
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

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn real_app_bootstrap_deploy_diff_change_deploy_destroy_on_moto() {
    let app = real_app();
    let moto = Moto::start();
    let aws = moto.aws().await;
    let p = Project::new(Source::App(format!("'{}'", app.exe.display())));
    let haplat = |args: &[&str]| {
        let mut args = args.to_vec();
        args.extend(["--env", app.env]);
        let mut cmd = p.haplat(&args);
        moto.env(&mut cmd);
        run(&mut cmd)
    };
    let assembly = synth(&p, &app, "as-written");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(assembly.join("manifest.json")).unwrap()).unwrap();
    let name = |id: &str| {
        manifest["stacks"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap()["name"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (data, global, api, edge) = (name("Data"), name("Global"), name("Api"), name("Edge"));
    // The stack sets between the API and the edge (the real-time workers), listed as in the
    // deploy's "not started" line.
    let between: String = manifest["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["id"] == "Realtime")
        .map(|s| format!("{}, ", s["name"].as_str().unwrap()))
        .collect();
    let regions: Vec<String> =
        manifest["stacks"].as_array().unwrap().iter().find(|s| s["id"] == "Data").unwrap()["target"]["regions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_owned())
            .collect();
    let regions: Vec<&str> = regions.iter().map(String::as_str).collect();
    if app.package == "reference-platform" {
        assert_eq!(regions, ["us-east-1", "us-west-2", "eu-west-1"]);
    }
    let primary =
        manifest["stacks"].as_array().unwrap().iter().find(|s| s["id"] == "Global").unwrap()["target"]["region"]
            .as_str()
            .unwrap()
            .to_owned();

    // Bootstrap covers every region of the app.
    let b = haplat(&["bootstrap"]);
    assert_eq!(b.code, 0, "{}", b.stderr);
    let mut sorted = regions.clone();
    sorted.sort();
    assert!(b.stdout.contains(&format!("  regions:              {}\n", sorted.join(", "))), "{}", b.stdout);

    // The account checks: on moto, the API Gateway logs role and the hosted zone are missing
    // (what moto does not implement is "not checked"); deploy would stop here (exit 7).
    let d = haplat(&["doctor"]);
    assert_eq!(d.code, 7, "{}", d.stderr);
    crate::snap!(format!("real_app_{}_doctor_on_moto", app.package), d.snapshot(p.path()));
    let r = haplat(&["deploy", "--yes", "--plain"]);
    assert_eq!(r.code, 7, "{}", r.stderr);
    assert!(r.stderr.contains("MISSING      apigateway-logs-role"), "{}", r.stderr);

    // The app as written: moto limitation 1 stops the first wave (see the module's doc).
    let r = haplat(&["deploy", "--yes", "--plain", "--skip-doctor"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "{data}: create stack instances in {}: AlreadyExistsException: Stack StackSet:{data} already exists",
            regions.join(", ")
        )),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(&format!("not started: {global}, {api}, {between}{edge}")), "{}", r.stderr);

    // From here on, the app's own assembly without KMS tags, on a fresh emulator.
    moto.reset();
    let compat = rewrite(&assembly, &p.path().join("moto-compatible"), without_kms_tags);
    p.switch(Source::Dir(compat.clone()));
    assert_eq!(haplat(&["bootstrap"]).code, 0);

    // Deploy all waves: Data and Global deploy; moto limitation 2 stops Api at its bindings.
    let r = haplat(&["deploy", "--yes", "--plain", "--skip-doctor"]);
    // stdout holds the diff of all 4 stack sets (every resource added): the plan snapshot pins
    // what is deployed; here the progress and the error are what matter.
    let differ = r.stdout.lines().last().unwrap_or_default().to_owned();
    let progress = crate::harness::Run { stdout: format!("[the diff, ending: {differ}]\n"), ..r };
    snap!(format!("real_app_{}_deploy_on_moto", app.package), by_stack_set(&shape(progress.snapshot(p.path()))));
    let r = progress;
    assert_eq!(r.code, 1, "{}", r.stderr);
    let table = logical_id(
        &serde_json::from_str(&std::fs::read_to_string(compat.join(format!("{global}.template.json"))).unwrap())
            .unwrap(),
        "Global/Orders/Table",
    );
    assert!(
        r.stderr.contains(&format!("of stack set {global} in {primary} (from Global/"))
            && r.stderr.contains(&format!("but its stack in {primary} has no such output (outputs: none)")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(&format!("not started: {between}{edge}")), "{}", r.stderr);

    // Every instance exists in every region, and its stack has the outputs the bindings need.
    let data_out = outputs(&aws, &data).await;
    assert_eq!(data_out.keys().map(String::as_str).collect::<Vec<_>>(), {
        let mut r = regions.clone();
        r.sort();
        r
    });
    let key = logical_id(
        &serde_json::from_str(&std::fs::read_to_string(compat.join(format!("{data}.template.json"))).unwrap()).unwrap(),
        "Data/Keys/Key",
    );
    let mut arns = Vec::new();
    for region in &regions {
        let arn = &data_out[*region][&format!("{key}Arn")];
        assert!(arn.starts_with(&format!("arn:aws:kms:{region}:123456789012:key/")), "{region}: {arn}");
        arns.push(arn.clone());
    }
    // Global, in the primary region, got each region's key ARN as a parameter override.
    let global_out = outputs(&aws, &global).await;
    assert_eq!(global_out.keys().collect::<Vec<_>>(), [&primary]);
    let instance = aws.describe_stack_instance(&global, "123456789012", &primary).await.unwrap();
    let mut passed: Vec<&String> = instance.overrides.values().collect();
    passed.sort();
    arns.sort();
    assert_eq!(passed, arns.iter().collect::<Vec<_>>());
    // moto limitation 2, as the user's deployed stack shows it: no outputs at all.
    assert_eq!(global_out[&primary], BTreeMap::new());
    assert!(aws.describe_stack_set(&api).await.unwrap().is_none());
    assert!(aws.describe_stack_set(&edge).await.unwrap().is_none());

    // What is deployed does not differ.
    let clean = haplat(&["diff", "--fail", &data, &global]);
    assert_eq!(
        (clean.code, clean.stdout.as_str()),
        (0, format!("stack set {data}: no differences\nstack set {global}: no differences\nno differences\n").as_str()),
        "{}",
        clean.stderr
    );

    // The app changes: the backup selection goes (the new manifest no longer knows it: diff
    // names it by the deployed template's haplat:path) and the key's description changes.
    let changed = rewrite(&compat, &p.path().join("changed"), |id, t, resources| {
        if id == "Data" {
            let selection = logical_id(t, "Data/Backup/Selection");
            t["Resources"].as_object_mut().unwrap().remove(&selection);
            resources.as_object_mut().unwrap().remove(&selection);
            let key = logical_id(t, "Data/Keys/Key");
            t["Resources"][&key]["Properties"]["Description"] = "data key (rotated yearly)".into();
        }
    });
    p.switch(Source::Dir(changed));
    let diff = haplat(&["diff", "--fail", &data, &global]);
    snap!(format!("real_app_{}_diff_changed", app.package), shape(diff.snapshot(p.path())));
    assert_eq!(diff.code, 3);
    assert!(diff.stdout.contains("AWS::Backup::BackupSelection Data/Backup/Selection  [DELETED]"), "{}", diff.stdout);

    // Deploy it: the stack set's template changes in every region; then nothing differs.
    let r = haplat(&["deploy", "--yes", "--plain", "--skip-doctor", &data]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains(&format!("{data}: template updated in {}", regions.join(", "))), "{}", r.stderr);
    let set = aws.describe_stack_set(&data).await.unwrap().unwrap();
    assert!(
        set.template_body.contains("data key (rotated yearly)") && !set.template_body.contains("Data/Backup/Selection")
    );
    assert_eq!(haplat(&["diff", "--fail", &data, &global]).code, 0);

    // Destroy: waves in reverse, what was never deployed said so, retained resources kept.
    let r = haplat(&["destroy", "--yes", "--plain"]);
    snap!(format!("real_app_{}_destroy", app.package), by_stack_set(&shape(r.snapshot(p.path()))));
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Deployed: the data (and prod's baseline) and the global stack; the rest was never started.
    let deployed = 2 + usize::from(manifest["stacks"].as_array().unwrap().iter().any(|s| s["id"] == "Baseline"));
    let later: String = between.split(", ").filter(|s| !s.is_empty()).map(|s| format!("{s}, ")).collect();
    assert!(
        r.stdout.contains(&format!("\ndestroyed {deployed} stack set(s); not deployed: {edge}, {later}{api}\n")),
        "{}",
        r.stdout
    );
    for region in &regions {
        assert!(
            r.stderr.contains(&format!(
                "{data} {region}: kept {key} (AWS::KMS::Key, Data/Keys/Key): its DeletionPolicy retains it"
            )),
            "{}",
            r.stderr
        );
    }
    assert!(
        r.stderr
            .contains(&format!("{global} {primary}: kept {table} (AWS::DynamoDB::GlobalTable, Global/Orders/Table)")),
        "{}",
        r.stderr
    );
    assert!(aws.list_stack_sets().await.unwrap().is_empty());
}
