//! The construct tree, logical ids, template sections and tags.

use haplat_core::app::{Parameter, Policy};
use haplat_core::value::{Cond, Pseudo, Value};
use haplat_core::{App, expr_map};
use serde_json::json;

use crate::support::*;

#[test]
fn logical_ids_come_from_paths_and_are_stable_when_constructs_are_added() {
    let build = |extra: bool| {
        let app = App::new("demo");
        let s = app.stack("Data", "us-east-1");
        let api = s.child("Api");
        if extra {
            // Added before and between the others: must not rename anything.
            s.add("Alpha", queue("alpha"));
            api.add("Aaa", queue("aaa"));
        }
        s.add("Orders", Table::default());
        api.add("Jobs", queue("jobs"));
        api.child("Worker").add("Dlq", queue("dlq"));
        template(&app, "demo-Data")
    };
    let ids = |t: &serde_json::Value| -> Vec<(String, String)> {
        t["Resources"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, r)| (r["Metadata"]["haplat:path"].as_str().unwrap().to_owned(), k.clone()))
            .collect()
    };
    let before = ids(&build(false));
    let after = ids(&build(true));
    for pair in &before {
        assert!(after.contains(pair), "{pair:?} was renamed when constructs were added: {after:?}");
    }
    assert_eq!(logical_id_of(&build(false), "Data/Orders"), "Orders");
    let jobs = logical_id_of(&build(false), "Data/Api/Jobs");
    assert!(jobs.starts_with("ApiJobs") && jobs.len() == 15, "{jobs}");
}

#[test]
fn every_resource_carries_its_path_and_stateful_ones_are_retained() {
    let app = App::new("demo");
    let s = app.stack("Data", "us-east-1");
    let t = s.add("Orders", Table::default());
    let q = s.add("Jobs", queue("jobs"));
    s.options(q).deletion_policy(Policy::Delete).depends_on(t);
    let tpl = template(&app, "demo-Data");
    assert_eq!(
        tpl["Resources"]["Orders"],
        json!({"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
               "Metadata": {"haplat:path": "Data/Orders"}})
    );
    assert_eq!(tpl["Resources"]["Jobs"]["DeletionPolicy"], "Delete");
    assert_eq!(tpl["Resources"]["Jobs"]["DependsOn"], json!(["Orders"]));
    assert!(tpl["Resources"]["Jobs"].get("UpdateReplacePolicy").is_none());
}

#[test]
fn every_template_section() {
    let app = App::new("demo");
    let s = app.stack_set("Api", &["us-east-1", "eu-west-1"]);
    s.set_description("the API");
    s.add_transform("AWS::LanguageExtensions");
    let size = s.add_parameter(
        "Size",
        Parameter {
            type_: Some("Number".into()),
            default: Some("2".into()),
            min_value: Some(1.0),
            max_value: Some(10.0),
            description: Some("tasks".into()),
            ..Default::default()
        },
    );
    let env = s.add_parameter(
        "Env",
        Parameter {
            allowed_values: vec!["dev".into(), "prod".into()],
            allowed_pattern: Some("^[a-z]+$".into()),
            constraint_description: Some("lower case".into()),
            min_length: Some(2),
            max_length: Some(8),
            no_echo: true,
            values: [("*".to_owned(), "prod".to_owned())].into(),
            ..Default::default()
        },
    );
    let is_prod = s.add_condition("IsProd", Cond::equals(env.clone(), "prod".into()));
    s.add_condition(
        "IsUsProd",
        Cond::and([Cond::named(&is_prod), Cond::equals(Pseudo::Region.value(), "us-east-1".into())]),
    );
    let cidr = s.region_value("VpcCidr", [("us-east-1", "10.0.0.0/16"), ("eu-west-1", "10.1.0.0/16")]);
    let q = s.add(
        "Jobs",
        crate::support::Queue {
            name: Value::sub("jobs-${AWS::Region}"),
            delay: Some(Value::if_(&is_prod, 5.into(), Value::no_value())),
            policy: Some(expr_map! { "Cidr" => cidr, "Size" => size }),
            ..Default::default()
        },
    );
    s.options(q)
        .condition(&is_prod)
        .update_policy(json!({"AutoScalingReplacingUpdate": {"WillReplace": true}}))
        .creation_policy(json!({"ResourceSignal": {"Count": 1}}))
        .metadata("owner", "sre");
    s.add_output("JobsUrl", q.ref_(), "the queue");
    let assembly = app.synth().unwrap();
    let t = assembly.template("demo-Api").unwrap();
    assert_eq!(t["AWSTemplateFormatVersion"], "2010-09-09");
    assert_eq!(t["Description"], "the API");
    assert_eq!(t["Transform"], json!(["AWS::LanguageExtensions"]));
    assert_eq!(
        t["Parameters"]["Size"],
        json!({"Type": "Number", "Default": "2", "Description": "tasks", "MinValue": 1.0, "MaxValue": 10.0})
    );
    assert_eq!(
        t["Parameters"]["Env"],
        json!({"Type": "String", "AllowedValues": ["dev", "prod"], "AllowedPattern": "^[a-z]+$",
               "ConstraintDescription": "lower case", "MinLength": 2, "MaxLength": 8, "NoEcho": true})
    );
    assert_eq!(
        t["Mappings"]["RegionConfig"],
        json!({"eu-west-1": {"VpcCidr": "10.1.0.0/16"}, "us-east-1": {"VpcCidr": "10.0.0.0/16"}})
    );
    assert_eq!(t["Conditions"]["IsProd"], json!({"Fn::Equals": [{"Ref": "Env"}, "prod"]}));
    assert_eq!(
        t["Conditions"]["IsUsProd"],
        json!({"Fn::And": [{"Condition": "IsProd"}, {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}]})
    );
    let jobs = &t["Resources"]["Jobs"];
    assert_eq!(jobs["Condition"], "IsProd");
    assert_eq!(jobs["Properties"]["DelaySeconds"], json!({"Fn::If": ["IsProd", 5, {"Ref": "AWS::NoValue"}]}));
    assert_eq!(jobs["Properties"]["Policy"]["Size"], json!({"Ref": "Size"}));
    assert_eq!(
        jobs["Properties"]["Policy"]["Cidr"],
        json!({"Fn::FindInMap": ["RegionConfig", {"Ref": "AWS::Region"}, "VpcCidr"]})
    );
    assert_eq!(jobs["UpdatePolicy"], json!({"AutoScalingReplacingUpdate": {"WillReplace": true}}));
    assert_eq!(jobs["CreationPolicy"], json!({"ResourceSignal": {"Count": 1}}));
    assert_eq!(jobs["Metadata"], json!({"haplat:path": "Api/Jobs", "owner": "sre"}));
    assert_eq!(t["Outputs"]["JobsUrl"], json!({"Description": "the queue", "Value": {"Ref": "Jobs"}}));
    let m = &assembly.manifest.stacks[0];
    assert_eq!(m.parameters["Env"]["*"], "prod");
    assert!(m.capabilities.contains(&"CAPABILITY_AUTO_EXPAND".to_owned()));
    // Section order is CloudFormation's documented order.
    let keys: Vec<&String> = t.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "AWSTemplateFormatVersion",
            "Description",
            "Transform",
            "Parameters",
            "Mappings",
            "Conditions",
            "Resources",
            "Outputs"
        ]
    );
}

#[test]
fn tags_reach_resources_below_with_closer_tags_winning() {
    let app = App::new("demo");
    app.tag("owner", "platform");
    app.tag("env", "dev");
    let s = app.stack("Data", "us-east-1");
    s.tag("env", "prod");
    let api = s.child("Api");
    api.tag("team", "api");
    api.add("Orders", Table::default());
    let own = crate::support::Queue {
        name: "jobs".into(),
        tags: Some([("team".to_owned(), Value::from("jobs-team"))].into()),
        ..Default::default()
    };
    api.add("Jobs", own);
    let t = template(&app, "demo-Data");
    let orders = logical_id_of(&t, "Data/Api/Orders");
    assert_eq!(
        t["Resources"][&orders]["Properties"]["Tags"],
        json!([{"Key": "env", "Value": "prod"}, {"Key": "owner", "Value": "platform"}, {"Key": "team", "Value": "api"}])
    );
    let jobs = logical_id_of(&t, "Data/Api/Jobs");
    // Map-style tags; the resource's own tag wins over the propagated one.
    assert_eq!(
        t["Resources"][&jobs]["Properties"]["Tags"],
        json!({"env": "prod", "owner": "platform", "team": "jobs-team"})
    );
    let m = app.synth().unwrap().manifest;
    assert_eq!(
        m.stacks[0].tags,
        [("env".to_owned(), "prod".to_owned()), ("owner".to_owned(), "platform".to_owned())].into()
    );
}

#[test]
fn resources_can_be_read_and_updated_through_their_handles() {
    let app = App::new("demo");
    let s = app.stack("Data", "us-east-1");
    let q = s.add("Jobs", queue("jobs"));
    s.update(q, |q| q.delay = Some(30.into()));
    assert_eq!(s.read(q, |q| q.delay.clone()), Some(30.into()));
    let t = template(&app, "demo-Data");
    assert_eq!(t["Resources"]["Jobs"]["Properties"]["DelaySeconds"], 30);
    assert_eq!(s.path_of(q), "Data/Jobs");
}

#[test]
fn hand_written_names_and_fixed_logical_ids() {
    let app = App::new("demo");
    let s = app.stack("Data", "us-east-1");
    let t = s.add("Orders", Table::default());
    s.options(t).logical_id("LegacyOrdersTable");
    s.add(
        "Jobs",
        crate::support::Queue { name: Value::get_att_name("LegacyOrdersTable", "Arn"), ..Default::default() },
    );
    let tpl = template(&app, "demo-Data");
    assert!(tpl["Resources"].get("LegacyOrdersTable").is_some());
    assert_eq!(
        tpl["Resources"]["Jobs"]["Properties"]["QueueName"],
        json!({"Fn::GetAtt": ["LegacyOrdersTable", "Arn"]})
    );
}

#[test]
fn context_comes_from_the_environment_variable() {
    // Only this test touches HAPLAT_CONTEXT.
    unsafe { std::env::set_var(haplat_core::CONTEXT_ENV, r#"{"size": "large"}"#) };
    assert_eq!(haplat_core::context("size").unwrap(), Some("large".into()));
    assert_eq!(haplat_core::context("other").unwrap(), None);
    unsafe { std::env::set_var(haplat_core::CONTEXT_ENV, "size=large") };
    assert!(haplat_core::context("size").unwrap_err().contains("HAPLAT_CONTEXT must be a JSON object"));
    unsafe { std::env::remove_var(haplat_core::CONTEXT_ENV) };
}
