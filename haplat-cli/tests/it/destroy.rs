//! `haplat destroy` of the reference platform (prod: three regions, an Aurora global database)
//! against the fake, whose stacks fail to delete as AWS's would: a resource CloudFormation
//! deletes with deletion protection still on, or the primary cluster of a global database while
//! a secondary is still a member. Destroy lifts the protection first, deletes the secondaries
//! before the primary, leaves nothing but what it listed as kept, and names the kept names
//! that would block the next deploy.

use std::collections::{BTreeMap, BTreeSet};

use haplat_cli::assembly::Assembly;
use haplat_cli::bootstrap::{STACK_NAME, VERSION};
use haplat_cli::cfn::{StackInfo, StackStatus};
use haplat_cli::events::{Collect, Event};
use haplat_cli::ops::destroy::{execute, survey};

use crate::fake::Fake;
use crate::harness::{Project, Source, real_app, run};

const ADMIN: &str = "us-east-1";

/// The reference platform's prod assembly, synthesized by the app through `haplat synth`.
fn reference_prod() -> (Project, Assembly) {
    let app = real_app();
    let p = Project::new(Source::App(format!("'{}'", app.exe.display())));
    let r = run(&mut p.haplat(&["synth", "--env", app.env, "--out", "out"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let assembly = Assembly::load(&p.path().join("out")).unwrap();
    (p, assembly)
}

/// Every stack set of the assembly deployed in its regions, and the bootstrap stack.
fn deployed(fake: &Fake, assembly: &Assembly) {
    for s in &assembly.manifest.stacks {
        fake.deployed(&s.name, &assembly.template(&s.name).body, &s.target.regions());
    }
    fake.with(|s| {
        s.stacks.insert(
            (ADMIN.into(), STACK_NAME.into()),
            StackInfo {
                id: "id".into(),
                name: STACK_NAME.into(),
                status: StackStatus::parse("CREATE_COMPLETE"),
                outputs: BTreeMap::from([
                    ("AccountId".into(), "111111111111".into()),
                    ("AdministrationRoleArn".into(), "arn:aws:iam::111111111111:role/Admin".into()),
                    ("ExecutionRoleName".into(), "Exec".into()),
                    ("BucketName".into(), "bucket".into()),
                    ("Regions".into(), "us-east-1,us-west-2,eu-west-1".into()),
                    ("Version".into(), VERSION.into()),
                ]),
                ..Default::default()
            },
        )
    });
}

#[tokio::test(start_paused = true)]
async fn destroying_the_reference_platform_leaves_only_what_it_lists_as_kept() {
    let (_p, assembly) = reference_prod();
    let fake = Fake::default();
    deployed(&fake, &assembly);
    let before: BTreeMap<String, serde_json::Value> =
        assembly.manifest.stacks.iter().map(|s| (s.name.clone(), assembly.template(&s.name).json.clone())).collect();

    let survey = survey(&fake, ADMIN, &assembly, &[]).await.unwrap();
    let listed = survey.lines().join("\n");
    let sink = Collect::default();
    let closing = execute(&fake, &survey, &sink).await.unwrap_or_else(|e| panic!("{e}\ncalls: {:#?}", fake.calls()));
    let closing = closing.join("\n");

    // Nothing of CloudFormation is left.
    fake.with(|s| {
        assert!(s.sets.is_empty(), "{:?}", s.sets.keys());
        assert!(s.instances.is_empty(), "{:?}", s.instances.keys());
    });

    // Every stack set that binds deletion protection to the parameter had it lifted (with its
    // previous template) before its instances were deleted; the Api stack set has some.
    let calls = fake.calls();
    let at = |c: &str| calls.iter().position(|x| x.starts_with(c)).unwrap_or_else(|| panic!("{c} in {calls:#?}"));
    let mut lifted = 0;
    for (name, t) in &before {
        if t["Parameters"].get("HaplatDeletionProtection").is_some() {
            lifted += 1;
            assert!(
                at(&format!("update_stack_set {name}")) < at(&format!("delete_stack_instances {name} ")),
                "{calls:#?}"
            );
        }
    }
    assert!(lifted >= 1, "no stack set binds deletion protection to the parameter");
    let api = before.keys().find(|n| n.ends_with("-Api")).unwrap();
    assert!(before[api]["Parameters"].get("HaplatDeletionProtection").is_some());
    // The Aurora global database: secondaries first, the primary (us-east-1) last.
    assert!(calls.contains(&format!("delete_stack_instances {api} eu-west-1,us-west-2,us-east-1")), "{calls:#?}");

    // What stays is exactly what the templates keep (Retain, or a Snapshot), and destroy
    // reported each of them; nothing else has a retaining policy.
    let mut kept_by_template = BTreeSet::new();
    for (name, t) in &before {
        for (id, r) in t["Resources"].as_object().unwrap() {
            if matches!(r["DeletionPolicy"].as_str(), Some("Retain" | "RetainExceptOnCreate" | "Snapshot")) {
                kept_by_template.insert((name.clone(), id.clone()));
            }
        }
    }
    let reported: BTreeSet<(String, String)> = sink
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Kept { stack, logical_id, .. } => Some((stack, logical_id)),
            _ => None,
        })
        .collect();
    assert_eq!(reported, kept_by_template);
    for (stack, id) in &kept_by_template {
        assert!(
            listed.contains(&format!("{id} (")) && listed.contains(stack.as_str()),
            "{stack}/{id} not listed:\n{listed}"
        );
    }

    // The Aurora clusters go with a final snapshot, each only where its condition holds; their
    // global cluster and log groups go.
    let id_at = |path: &str| {
        before[api]["Resources"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(_, r)| r["Metadata"]["haplat:path"] == path)
            .unwrap()
            .0
            .clone()
    };
    for (path, regions) in [("Api/Db/PrimaryCluster", "us-east-1"), ("Api/Db/SecondaryCluster", "us-west-2, eu-west-1")]
    {
        let line = format!(
            "{api} [{regions}]: deleted, snapshot kept: {} (AWS::RDS::DBCluster, {path}; DeletionPolicy Snapshot)",
            id_at(path)
        );
        assert!(listed.contains(&line), "{line} in\n{listed}");
    }
    let snapshots: Vec<(String, String)> = sink
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Kept { region, path, outcome, .. } if outcome != "kept" => Some((path, region)),
            _ => None,
        })
        .collect();
    assert_eq!(
        snapshots,
        [
            ("Api/Db/PrimaryCluster".to_owned(), "us-east-1".to_owned()),
            ("Api/Db/SecondaryCluster".to_owned(), "us-west-2".to_owned()),
            ("Api/Db/SecondaryCluster".to_owned(), "eu-west-1".to_owned())
        ]
    );
    for r in before[api]["Resources"].as_object().unwrap().values() {
        match r["Type"].as_str().unwrap() {
            "AWS::RDS::DBCluster" => assert_eq!(r["DeletionPolicy"], "Snapshot"),
            "AWS::RDS::GlobalCluster" => assert_eq!(r["DeletionPolicy"], "Delete"),
            _ => {}
        }
    }

    // The global table is kept in every region of its replicas, not only its stack's.
    let global = before.keys().find(|n| n.ends_with("-Global")).unwrap();
    let table = before[global]["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, r)| r["Type"] == "AWS::DynamoDB::GlobalTable")
        .unwrap()
        .0;
    assert!(
        listed.contains(&format!("{global} [us-east-1, us-west-2, eu-west-1]: kept: {table} (")),
        "{table} in\n{listed}"
    );

    // The kept names that block the next deploy are named, before asking and at the end: the
    // backup vault in each region; no cluster, global cluster or log group identifier.
    let data = before.keys().find(|n| n.ends_with("-Data")).unwrap();
    let vault = format!(
        "{data} [us-east-1, us-west-2, eu-west-1]: the kept backup vault \"shop-prod\" (Data/Backup/Vault) blocks the next deploy there"
    );
    assert!(listed.contains(&vault), "{listed}");
    assert!(closing.contains("block the next deploy until deleted or imported: "), "{closing}");
    assert!(closing.contains("backup vault \"shop-prod\" [us-east-1, us-west-2, eu-west-1]"), "{closing}");
    for never in ["DB cluster identifier", "global cluster identifier", "log group"] {
        assert!(!listed.contains(never) && !closing.contains(never), "{never}:\n{listed}\n{closing}");
    }
    // What CloudFormation leaves outside any stack is said too: the certificates' DNS
    // validation records in the hosted zone.
    let edge = before.keys().find(|n| n.ends_with("-Edge")).unwrap();
    let records = format!("{edge}: the DNS validation records (CNAME _…) of ");
    assert!(listed.contains(&records) && closing.contains(&records), "{listed}\n{closing}");
    assert!(listed.contains("stay in hosted zone Z"), "{listed}");
}

/// Lifting protection is a stack-set update, which needs the StackSet roles: without the
/// bootstrap stack destroy refuses, naming the parameter and the fix, and deletes nothing there.
#[tokio::test(start_paused = true)]
async fn destroy_without_the_stackset_roles_refuses_before_deleting_anything() {
    let (_p, assembly) = reference_prod();
    let fake = Fake::default();
    for s in &assembly.manifest.stacks {
        fake.deployed(&s.name, &assembly.template(&s.name).body, &s.target.regions());
    }
    let survey = survey(&fake, ADMIN, &assembly, &[]).await.unwrap();
    assert!(survey.destroy_order.roles.is_none());
    let err = execute(&fake, &survey, &Collect::default()).await.unwrap_err().to_string();
    assert!(err.contains("HaplatDeletionProtection") && err.contains("haplat bootstrap"), "{err}");
    // Stack sets after the refusal were not touched; the one refused still has its instances.
    fake.with(|s| assert!(s.instances.keys().any(|(n, _)| n.ends_with("-Api")), "{:?}", s.instances.keys()));
}

/// A deploy after a destroy that stopped half-way (the parameter left `false`) turns protection
/// back on: the parameter has a Default, so the stack set's value is the Default and differs.
#[test]
fn deploy_sets_deletion_protection_back_on() {
    use haplat_cli::plan::params::StackSetParameters;
    let declared = BTreeMap::from([("HaplatDeletionProtection".to_owned(), Some("true".to_owned()))]);
    let params = StackSetParameters::new(declared, BTreeMap::new(), &[], &["us-east-1".to_owned()]);
    assert_eq!(params.set_level["HaplatDeletionProtection"], "true");
    let lifted = BTreeMap::from([("HaplatDeletionProtection".to_owned(), "false".to_owned())]);
    assert!(params.set_level_changed(&lifted));
}
