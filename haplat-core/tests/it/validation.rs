//! Every validation error, reported together and naming the construct path.

use haplat_core::App;
use haplat_core::app::Parameter;
use haplat_core::value::Value;

use crate::support::*;

#[test]
fn ids_and_names() {
    let app = App::new("demo");
    let s = app.stack("Data", "us-east-1");
    s.add("Jobs", queue("jobs"));
    s.add("Jobs", queue("jobs2"));
    s.child("a/b");
    s.child("");
    app.stack("Data", "us-east-1");
    let bad = app.stack("Bad_Name", "us-east-1");
    bad.add("X", queue("x"));
    let errs = errors(&app).join("\n");
    for want in [
        "Data/Jobs: duplicate id",
        "Data/a/b: invalid id: an id cannot contain '/'",
        "Data/: invalid id: an id cannot be empty",
        "Data: duplicate id",
        "stack Bad_Name: name \"demo-Bad_Name\" is invalid: contains '_'",
    ] {
        assert!(errs.contains(want), "missing {want:?} in:\n{errs}");
    }
    let errs = errors(&App::new("9lives"));
    assert!(errs[0].contains("app name \"9lives\" is invalid: must start with an ASCII letter"), "{errs:?}");
}

#[test]
fn regions() {
    let app = App::new("demo");
    app.stack_set("Api", &["us-east-1", "us-east-1", "us-best-1"]);
    app.stack_set::<&str>("Empty", &[]);
    let errs = errors(&app).join("\n");
    for want in [
        "stack Api: region us-east-1 is listed twice",
        "stack Api: unknown region \"us-best-1\" (known regions like it: us-east-1, us-east-2, us-gov-east-1",
        "stack Empty: no regions",
    ] {
        assert!(errs.contains(want), "missing {want:?} in:\n{errs}");
    }
}

#[test]
fn region_values_must_cover_exactly_the_stack_regions() {
    let app = App::new("demo");
    let s = app.stack_set("Api", &["us-east-1", "us-west-2"]);
    s.region_value("Cidr", [("us-east-1", "10.0.0.0/16"), ("eu-west-1", "10.2.0.0/16")]);
    let errs = errors(&app).join("\n");
    assert!(errs.contains("Api: region value \"Cidr\" has no value for us-west-2"), "{errs}");
    assert!(
        errs.contains("Api: region value \"Cidr\" names regions the stack is not deployed to: eu-west-1"),
        "{errs}"
    );
}

#[test]
fn properties_are_checked_with_the_path_of_the_resource_and_property() {
    let app = App::new("demo");
    let s = app.stack("Data", "us-east-1");
    s.child("Api")
        .add("Jobs", crate::support::Queue { name: "".into(), delay: Some(901.into()), ..Default::default() });
    s.add("Named", queue("Not_Valid"));
    // An intrinsic is not checked against a pattern: its value is only known at deploy.
    s.add("Sub", crate::support::Queue { name: Value::sub("${AWS::StackName}-q"), ..Default::default() });
    let errs = errors(&app).join("\n");
    for want in [
        "Data/Api/Jobs (AWS::Test::Queue): property QueueName: is required but was left empty",
        "Data/Api/Jobs (AWS::Test::Queue): property DelaySeconds: is 901; allowed: 0 to 900",
        "Data/Named (AWS::Test::Queue): property QueueName: \"Not_Valid\" does not match the pattern ^[a-z][a-z0-9-]*$",
    ] {
        assert!(errs.contains(want), "missing {want:?} in:\n{errs}");
    }
    assert!(!errs.contains("Data/Sub"), "{errs}");
}

#[test]
fn logical_ids_written_by_hand() {
    let app = App::new("demo");
    let s = app.stack("Data", "us-east-1");
    let a = s.add("A", queue("a"));
    let b = s.add("B", queue("b"));
    s.options(a).logical_id("Same");
    s.options(b).logical_id("Same");
    let c = s.add("C", queue("c"));
    s.options(c).logical_id("not-valid");
    s.add_output("bad-output", "x", "");
    let errs = errors(&app).join("\n");
    assert!(errs.contains("Data/B: logical id \"Same\" is also used by Data/A"), "{errs}");
    assert!(errs.contains("Data/C: logical id \"not-valid\" is invalid"), "{errs}");
    assert!(errs.contains("Data (output): logical id \"bad-output\" is invalid"), "{errs}");
}

#[test]
fn cloudformation_limits() {
    let app = App::new("demo");
    let s = app.stack("Big", "us-east-1");
    for i in 0..501 {
        s.add(&format!("Q{i}"), queue("q"));
    }
    for i in 0..201 {
        s.add_parameter(&format!("P{i}"), Parameter::default());
        s.add_output(&format!("O{i}"), "x", "");
    }
    let m = app.stack("Maps", "us-east-1");
    for i in 0..201 {
        m.add_mapping(&format!("M{i}"), [("k".to_owned(), [("v".to_owned(), "x".into())].into())].into());
    }
    let huge = app.stack("Huge", "us-east-1");
    huge.add(
        "Q",
        crate::support::Queue { name: "q".into(), policy: Some("x".repeat(1_000_001).into()), ..Default::default() },
    );
    let errs = errors(&app).join("\n");
    for want in [
        "stack Big: the number of resources is 501, over CloudFormation's limit of 500",
        "stack Big: the number of parameters is 201, over CloudFormation's limit of 200",
        "stack Big: the number of outputs is 201, over CloudFormation's limit of 200",
        "stack Maps: the number of mappings is 201, over CloudFormation's limit of 200",
        "stack Huge: the template's size in bytes is 1000",
    ] {
        assert!(errs.contains(want), "missing {want:?} in:\n{errs}");
    }
}

#[test]
fn tags_cloudformation_would_reject() {
    let app = App::new("demo");
    app.tag("aws:owner", "x");
    let s = app.stack("Data", "us-east-1");
    s.child("Api").tag("k", "v".repeat(300));
    s.add("Q", queue("q"));
    let errs = errors(&app).join("\n");
    assert!(errs.contains("demo: tag \"aws:owner\": keys starting with \"aws:\" are reserved"), "{errs}");
    assert!(errs.contains("Data/Api: tag \"k\": values are at most 256 characters"), "{errs}");
}

#[test]
fn constructs_report_their_own_problems_and_all_problems_come_together() {
    let app = App::new("demo");
    let s = app.stack_set("Api", &["us-east-1", "mars-1"]);
    s.child("Service").error("cpu 300 is not a Fargate size; use one of 256, 512, 1024, 2048, 4096");
    s.add("Jobs", queue("Bad_Name"));
    let e = app.synth().unwrap_err();
    assert_eq!(e.0.len(), 3, "{e}");
    let text = e.to_string();
    assert!(text.starts_with("haplat: the app has 3 problems; nothing was written:\n"), "{text}");
    assert!(text.contains("  - Api/Service: cpu 300 is not a Fargate size"), "{text}");
}

#[test]
fn two_stacks_may_not_share_a_name() {
    let app = App::new("demo");
    app.stack("A", "us-east-1").add("Q", queue("q"));
    let b = app.stack("B", "us-east-1");
    b.set_name("demo-a");
    let errs = errors(&app).join("\n");
    assert!(errs.contains("stack B: name \"demo-a\" is invalid: stack A has the same name"), "{errs}");
}

#[test]
fn an_undefined_mapping_names_the_path() {
    let app = App::new("demo");
    let s = app.stack("Data", "us-east-1");
    s.add(
        "Q",
        crate::support::Queue {
            name: Value::find_in_map("Nowhere", haplat_core::Pseudo::Region.value(), "Key".into()),
            ..Default::default()
        },
    );
    let errs = errors(&app).join("\n");
    assert!(errs.contains("Data/Q: mapping \"Nowhere\" is not defined in stack Data"), "{errs}");
}

#[test]
fn an_assembly_that_cannot_be_written_is_an_io_error_naming_the_directory() {
    let app = App::new("demo");
    app.stack("Data", "us-east-1").add("Q", queue("q"));
    let file = tempfile::NamedTempFile::new().unwrap();
    let e = app.synth_to(file.path()).unwrap_err();
    assert!(matches!(&e.0[..], [haplat_core::Error::Io { .. }]), "{e}");
    assert!(e.to_string().contains(&format!("cannot write the assembly to {}", file.path().display())), "{e}");
}

#[test]
fn the_shared_tag_keeps_each_schemas_rules_where_it_is_used() {
    use haplat_core::resources::{ecr, sqs, types::Tag};
    // ECR's schema allows keys up to 127 and values of 1 to 255 characters; its `Tag` is the
    // one shared `Tag`, whose own checks are only that both are set.
    let tag = |k: usize, v: usize| Tag { key: "k".repeat(k).into(), value: "v".repeat(v).into() };
    let app = App::new("demo");
    let s = app.stack("Data", "us-east-1");
    let tags = vec![tag(127, 255), tag(128, 1), tag(1, 256), tag(1, 0)];
    s.add("Repo", ecr::repository::Repository { tags: Some(tags.into()), ..Default::default() });
    let tags = vec![tag(128, 256), tag(1, 0)];
    s.add("Queue", sqs::queue::Queue { tags: Some(tags.into()), ..Default::default() });
    let q = vec![Tag { key: "a,b".into(), value: "".into() }];
    s.add("Q2", sqs::queue::Queue { tags: Some(q.into()), ..Default::default() });
    let errs = errors(&app).join("\n");
    for want in [
        "Data/Repo (AWS::ECR::Repository): property Tags.1.Key: has 128 characters; allowed: 1 to 127",
        "Data/Repo (AWS::ECR::Repository): property Tags.2.Value: has 256 characters; allowed: 1 to 255",
        "Data/Repo (AWS::ECR::Repository): property Tags.3.Value: has 0 characters; allowed: 1 to 255",
        "Data/Q2 (AWS::SQS::Queue): property Tags.0.Key: \"a,b\" does not match the pattern",
    ] {
        assert!(errs.contains(want), "missing {want:?} in:\n{errs}");
    }
    assert!(!errs.contains("Tags.0.Key: has") && !errs.contains("Data/Queue"), "{errs}");
}
