//! The cloud assembly: determinism, the manifest and its schema, writing it, the snapshot of a
//! small app.

use haplat_core::App;
use haplat_core::manifest::{Deployment, INLINE_TEMPLATE_LIMIT, Manifest, Objectives, Rollout, StackRollout, Target};
use haplat_core::value::Value;

use crate::support::*;

/// A small app with every kind of binding.
fn small_app() -> App {
    let app = App::new("shop-dev");
    app.tag("env", "dev");
    let data = app.stack("Data", "us-east-1");
    let table = data.add("Orders", Table { stream: Some("NEW_AND_OLD_IMAGES".into()), ..Default::default() });
    let api = app.stack_set("Api", &["us-east-1", "eu-west-1"]);
    let cidr = api.region_value("VpcCidr", [("us-east-1", "10.0.0.0/16"), ("eu-west-1", "10.1.0.0/16")]);
    let lb = api.child("Service").add(
        "Lb",
        crate::support::Queue {
            name: Value::sub("lb-${AWS::Region}"),
            policy: Some(haplat_core::expr_map! { "Table" => table.get_att::<String>("Arn"), "Cidr" => cidr }),
            ..Default::default()
        },
    );
    let edge = app.stack("Edge", "us-east-1");
    for region in ["us-east-1", "eu-west-1"] {
        edge.add(
            &format!("Origin-{region}"),
            crate::support::Queue { name: lb.get_att::<String>("Arn").in_region(region), ..Default::default() },
        );
    }
    edge.add_output("Primary", lb.ref_().in_region("us-east-1"), "the primary load balancer");
    app
}

#[test]
fn the_assembly_of_a_small_app() {
    let a = small_app().synth().unwrap();
    let settings = snapshot_settings();
    settings.bind(|| {
        insta::assert_snapshot!("small_app_manifest", a.manifest_json());
        for (file, text) in &a.templates {
            insta::assert_snapshot!(format!("small_app_{file}"), text);
        }
    });
}

#[test]
fn synthesis_is_byte_identical_across_runs() {
    let first = small_app().synth().unwrap();
    let second = small_app().synth().unwrap();
    assert_eq!(first, second);
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    small_app().synth_to(d1.path()).unwrap();
    small_app().synth_to(d2.path()).unwrap();
    let files = |d: &std::path::Path| {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap())
            .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(files(d1.path()), files(d2.path()));
    assert_eq!(files(d1.path()).len(), 4);
}

#[test]
fn writing_replaces_an_older_assembly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("shop-dev-Old.template.json"), "{}").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    small_app().synth_to(dir.path()).unwrap();
    assert!(!dir.path().join("shop-dev-Old.template.json").exists());
    assert!(dir.path().join("notes.txt").exists(), "files haplat did not write are left alone");
    let text = std::fs::read_to_string(dir.path().join("manifest.json")).unwrap();
    let m = Manifest::from_json(&text).unwrap();
    assert_eq!(m.stacks.len(), 3);
    assert_eq!(
        m.stack("shop-dev-Api").unwrap().target,
        Target::StackSet { regions: vec!["us-east-1".into(), "eu-west-1".into()] }
    );
    assert_eq!(m.stack("shop-dev-Edge").unwrap().target, Target::Region { region: "us-east-1".into() });
}

#[test]
fn the_manifest_records_what_the_cli_needs() {
    let a = small_app().synth().unwrap();
    let data = a.manifest.stack("shop-dev-Data").unwrap();
    let orders = &data.resources["Orders"];
    assert!(orders.stateful);
    assert_eq!(orders.deletion_policy, "Retain");
    assert_eq!(orders.create_only, ["TableName", "KeySchema"]);
    assert_eq!(orders.path, "Data/Orders");
    assert_eq!(data.wave, 0);
    assert!(!data.requires_upload);
    assert_eq!(a.manifest.stack("shop-dev-Edge").unwrap().bindings.len(), 3);
}

#[test]
fn large_templates_are_marked_for_upload() {
    let app = App::new("demo");
    let s = app.stack("Big", "us-east-1");
    s.add(
        "Q",
        crate::support::Queue {
            name: "q".into(),
            policy: Some("x".repeat(INLINE_TEMPLATE_LIMIT).into()),
            ..Default::default()
        },
    );
    let m = app.synth().unwrap().manifest;
    assert!(m.stacks[0].requires_upload);
    assert!(m.stacks[0].template_bytes > INLINE_TEMPLATE_LIMIT);
}

#[test]
fn a_manifest_of_another_version_is_refused() {
    let a = small_app().synth().unwrap();
    let text = a.manifest_json().replacen("\"version\": \"1\"", "\"version\": \"9\"", 1);
    let e = Manifest::from_json(&text).unwrap_err();
    assert!(e.contains("manifest version 9 is not supported (this haplat reads version 1)"), "{e}");
}

/// The committed schema is what the types generate; regenerate with
/// `UPDATE_SCHEMAS=1 cargo test -p haplat-core manifest_schema`.
#[test]
fn manifest_schema_is_fresh() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/manifest.schema.json");
    let fresh = Manifest::json_schema();
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == fresh,
        "haplat-core/manifest.schema.json is stale: run `UPDATE_SCHEMAS=1 cargo test -p haplat-core manifest_schema` and commit it"
    );
}

#[test]
fn the_rollout_is_in_the_manifest_and_its_first_region_is_one_of_the_app() {
    let app = small_app();
    app.rollout(Rollout::new("eu-west-1", 1800));
    let m = app.synth().unwrap().manifest;
    assert_eq!(m.rollout, Some(Rollout::new("eu-west-1", 1800)));
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["rollout"], serde_json::json!({"firstRegion": "eu-west-1", "bakeSeconds": 1800}));
    assert!(small_app().synth().unwrap().manifest.rollout.is_none());

    let app = small_app();
    app.rollout(Rollout::new("ap-south-1", 60));
    let e = app.synth().unwrap_err().to_string();
    assert!(
        e.contains(
            "rollout: the first region ap-south-1 is a region of no stack of the app (regions: eu-west-1, us-east-1)"
        ),
        "{e}"
    );
    let app = small_app();
    app.rollout(Rollout::new("eu-west-1", 60));
    app.rollout(Rollout::new("us-east-1", 60));
    let e = app.synth().unwrap_err().to_string();
    assert!(e.contains("rollout declared twice (eu-west-1 first, then us-east-1 first)"), "{e}");
}

#[test]
fn objectives_are_in_the_manifest_and_an_slo_outside_0_to_100_is_an_error() {
    let slo = Objectives { availability_percent: Some(99.95), latency_p99_ms: Some(300), ..Default::default() };
    let app = small_app();
    app.objectives(slo.clone());
    let json = serde_json::to_value(app.synth().unwrap().manifest).unwrap();
    assert_eq!(json["objectives"], serde_json::json!({"availabilityPercent": 99.95, "latencyP99Ms": 300}));
    for (bad, want) in [
        (Objectives { availability_percent: Some(f64::NAN), ..Default::default() }, "availability_percent NaN must be"),
        (Objectives { availability_percent: Some(100.0), ..Default::default() }, "availability_percent 100 must be"),
        (Objectives { latency_p99_ms: Some(0), ..Default::default() }, "latency_p99_ms must be above 0"),
    ] {
        let app = small_app();
        app.objectives(bad);
        let e = app.synth().unwrap_err().to_string();
        assert!(e.contains(want) && e.matches("objectives").count() == 1, "{e}");
    }
    let app = small_app();
    app.objectives(slo);
    app.objectives(Objectives::default());
    let e = app.synth().unwrap_err().to_string();
    assert!(e.contains("objectives declared twice, with different values"), "{e}");
}

#[test]
fn a_rollout_names_a_first_account_and_stack_sets_of_the_app() {
    let app = small_app();
    let accounts = vec!["111111111111".to_owned(), "222222222222".to_owned()];
    for s in app.stacks() {
        s.set_deployment(Deployment::Accounts { accounts: accounts.clone() });
    }
    app.rollout(
        Rollout::new("eu-west-1", 1800)
            .first_account("222222222222")
            .stack("Edge", StackRollout::AllAtOnce)
            .stack("Data", StackRollout::BakeSeconds(300)),
    );
    let m = app.synth().unwrap().manifest;
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(
        json["rollout"],
        serde_json::json!({"firstRegion": "eu-west-1", "firstAccount": "222222222222", "bakeSeconds": 1800,
                           "stacks": {"shop-dev-Data": {"bakeSeconds": 300}, "shop-dev-Edge": "allAtOnce"}})
    );
    let r = m.rollout.unwrap();
    assert_eq!(
        (r.bake_seconds_of("shop-dev-Api"), r.bake_seconds_of("shop-dev-Data"), r.bake_seconds_of("shop-dev-Edge")),
        (Some(1800), Some(300), None)
    );

    // An account no stack set deploys to, a malformed one, a stack set the app lacks: each named.
    let app = small_app();
    app.rollout(Rollout::new("eu-west-1", 60).first_account("333333333333").stack("Dta", StackRollout::AllAtOnce));
    let e = app.synth().unwrap_err().to_string();
    assert!(
        e.contains("rollout: the first account 333333333333 is an account of no stack set of the app (accounts listed: none, every stack set deploys to this account or to OUs)"),
        "{e}"
    );
    assert!(
        e.contains("rollout: stacks.Dta: no stack of the app has this id or name (stacks: Data, Api, Edge)"),
        "{e}"
    );
    let app = small_app();
    app.rollout(Rollout::new("eu-west-1", 60).first_account("12345"));
    let e = app.synth().unwrap_err().to_string();
    assert!(e.contains("rollout: the first account \"12345\" is not a 12-digit AWS account id"), "{e}");
}
