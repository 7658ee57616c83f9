//! References inside and across stacks, bindings and deploy waves.

use haplat_core::manifest::{Binding, BindingRegion};
use haplat_core::value::Value;
use haplat_core::{App, expr_map};
use serde_json::json;

use crate::support::*;

#[test]
fn same_stack_references_are_ref_and_getatt() {
    let app = App::new("demo");
    let s = app.stack("Data", "us-east-1");
    let t = s.add("Orders", Table::default());
    s.add(
        "Jobs",
        crate::support::Queue {
            name: t.ref_(),
            policy: Some(expr_map! { "Arn" => t.get_att::<String>("Arn") }),
            ..Default::default()
        },
    );
    let tpl = template(&app, "demo-Data");
    assert_eq!(tpl["Resources"]["Jobs"]["Properties"]["QueueName"], json!({"Ref": "Orders"}));
    assert_eq!(tpl["Resources"]["Jobs"]["Properties"]["Policy"], json!({"Arn": {"Fn::GetAtt": ["Orders", "Arn"]}}));
    assert!(app.synth().unwrap().manifest.stacks[0].bindings.is_empty());
}

#[test]
fn a_cross_stack_reference_becomes_output_parameter_and_binding() {
    let app = App::new("demo");
    let data = app.stack("Data", "us-east-1");
    let table = data.add("Orders", Table::default());
    let api = app.stack("Api", "us-east-1");
    api.add("Jobs", crate::support::Queue { name: table.get_att("Arn"), ..Default::default() });
    let a = app.synth().unwrap();
    let producer = a.template("demo-Data").unwrap();
    let consumer = a.template("demo-Api").unwrap();
    assert_eq!(producer["Outputs"]["OrdersArn"]["Value"], json!({"Fn::GetAtt": ["Orders", "Arn"]}));
    assert_eq!(
        consumer["Parameters"]["DataOrdersArnUsEast1"],
        json!({"Type": "String", "Description": "haplat binding: Data/Orders.Arn"})
    );
    assert_eq!(consumer["Resources"]["Jobs"]["Properties"]["QueueName"], json!({"Ref": "DataOrdersArnUsEast1"}));
    assert!(
        producer.get("Outputs").unwrap().as_object().unwrap().values().all(|o| o.get("Export").is_none()),
        "no exports"
    );
    let api_m = a.manifest.stack("demo-Api").unwrap();
    assert_eq!(
        api_m.bindings,
        vec![Binding {
            parameter: "DataOrdersArnUsEast1".into(),
            producer: "demo-Data".into(),
            output: "OrdersArn".into(),
            region: BindingRegion::Fixed { region: "us-east-1".into() },
            source: "Data/Orders.Arn".into(),
        }]
    );
    assert_eq!(a.manifest.waves, vec![vec!["demo-Data".to_owned()], vec!["demo-Api".to_owned()]]);
}

#[test]
fn a_global_stack_gathers_one_value_per_region_of_a_stack_set() {
    let app = App::new("demo");
    let regions = ["us-east-1", "us-west-2", "eu-west-1"];
    let api = app.stack_set("Api", &regions);
    let lb = api.add("Lb", queue("lb"));
    let edge = app.stack("Edge", "us-east-1");
    let origins: Vec<Value<String>> = regions.iter().map(|r| lb.get_att::<String>("Arn").in_region(*r)).collect();
    edge.add(
        "Dist",
        crate::support::Queue {
            name: "dist".into(),
            policy: Some(haplat_core::value::List::items(origins).into()),
            ..Default::default()
        },
    );
    let a = app.synth().unwrap();
    let m = a.manifest.stack("demo-Edge").unwrap();
    let regions_read: Vec<_> = m.bindings.iter().map(|b| b.region.clone()).collect();
    assert_eq!(
        regions_read,
        vec![
            BindingRegion::Fixed { region: "eu-west-1".into() },
            BindingRegion::Fixed { region: "us-east-1".into() },
            BindingRegion::Fixed { region: "us-west-2".into() },
        ]
    );
    // One output in the producer serves every region.
    let producer = a.template("demo-Api").unwrap();
    assert_eq!(producer["Outputs"].as_object().unwrap().len(), 1);
    let t = a.template("demo-Edge").unwrap();
    assert_eq!(
        t["Resources"]["Dist"]["Properties"]["Policy"],
        json!([{"Ref": "ApiLbArnUsEast1"}, {"Ref": "ApiLbArnUsWest2"}, {"Ref": "ApiLbArnEuWest1"}])
    );
}

#[test]
fn a_stack_set_reads_its_own_region_from_another_stack_set() {
    let app = App::new("demo");
    let net = app.stack_set("Net", &["us-east-1", "eu-west-1"]);
    let vpc = net.add("Vpc", queue("vpc"));
    let api = app.stack_set("Api", &["us-east-1", "eu-west-1"]);
    api.add("Svc", crate::support::Queue { name: vpc.ref_(), ..Default::default() });
    let a = app.synth().unwrap();
    let b = &a.manifest.stack("demo-Api").unwrap().bindings[0];
    assert_eq!(b.region, BindingRegion::SameRegion);
    assert_eq!(b.parameter, "NetVpcRef");
}

#[test]
fn list_attributes_cross_stacks_as_comma_delimited_lists() {
    let app = App::new("demo");
    let a1 = app.stack("A", "us-east-1");
    let q = a1.add("Q", queue("q"));
    let b = app.stack("B", "us-east-1");
    b.add(
        "R",
        crate::support::Queue {
            name: "r".into(),
            policy: Some(q.get_att::<Vec<String>>("Endpoints").into()),
            ..Default::default()
        },
    );
    let a = app.synth().unwrap();
    assert_eq!(
        a.template("demo-A").unwrap()["Outputs"]["QEndpoints"]["Value"],
        json!({"Fn::Join": [",", {"Fn::GetAtt": ["Q", "Endpoints"]}]})
    );
    assert_eq!(a.template("demo-B").unwrap()["Parameters"]["AQEndpointsUsEast1"]["Type"], "CommaDelimitedList");
}

#[test]
fn waves_follow_the_bindings() {
    let app = App::new("demo");
    let shared = app.stack("Shared", "us-east-1");
    let key = shared.add("Key", queue("key"));
    let data = app.stack_set("Data", &["us-east-1", "us-west-2"]);
    let table = data.add("Table", crate::support::Queue { name: key.ref_(), ..Default::default() });
    let api = app.stack_set("Api", &["us-east-1", "us-west-2"]);
    let lb = api.add("Lb", crate::support::Queue { name: table.ref_(), ..Default::default() });
    let dns = app.stack("Dns", "us-east-1");
    dns.add("Rec", crate::support::Queue { name: lb.ref_().in_region("us-west-2"), ..Default::default() });
    let unrelated = app.stack("Logs", "eu-west-1");
    unrelated.add("L", queue("l"));
    let m = app.synth().unwrap().manifest;
    assert_eq!(
        m.waves,
        vec![
            vec!["demo-Logs".to_owned(), "demo-Shared".to_owned()],
            vec!["demo-Data".to_owned()],
            vec!["demo-Api".to_owned()],
            vec!["demo-Dns".to_owned()],
        ]
    );
    let order: Vec<&str> = m.stacks.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(order, ["demo-Logs", "demo-Shared", "demo-Data", "demo-Api", "demo-Dns"]);
}

#[test]
fn a_cycle_between_stacks_names_the_paths_on_it() {
    let app = App::new("demo");
    let a = app.stack("A", "us-east-1");
    let b = app.stack("B", "us-east-1");
    let qa = a.add("Qa", queue("qa"));
    let qb = b.add("Qb", crate::support::Queue { name: qa.ref_(), ..Default::default() });
    a.update(qa, |q| q.policy = Some(qb.get_att::<String>("Arn").into()));
    let errs = errors(&app);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("reference cycle between stacks"), "{}", errs[0]);
    assert!(errs[0].contains("reads B/Qb.Arn") && errs[0].contains("reads A/Qa"), "{}", errs[0]);
}

#[test]
fn a_cycle_inside_a_stack_names_the_paths_on_it() {
    let app = App::new("demo");
    let s = app.stack("A", "us-east-1");
    let x = s.add("X", queue("x"));
    let y = s.add("Y", crate::support::Queue { name: x.ref_(), ..Default::default() });
    s.options(x).depends_on(y);
    let errs = errors(&app);
    assert!(errs.iter().any(|e| e.contains("reference cycle") && e.contains("A/X") && e.contains("A/Y")), "{errs:?}");
}

#[test]
fn bad_references_are_errors_naming_the_path() {
    let app = App::new("demo");
    let api = app.stack_set("Api", &["us-east-1", "us-west-2"]);
    let lb = api.add("Lb", queue("lb"));
    let edge = app.stack("Edge", "us-east-1");
    // No region named for a multi-region producer.
    edge.add("NoRegion", crate::support::Queue { name: lb.ref_(), ..Default::default() });
    // A region the producer is not in.
    edge.add("WrongRegion", crate::support::Queue { name: lb.ref_().in_region("eu-west-1"), ..Default::default() });
    // Another region's instance of the same stack set.
    api.add("Peer", crate::support::Queue { name: lb.ref_().in_region("us-west-2"), ..Default::default() });
    // An attribute of a non-scalar type across stacks, and an unknown attribute.
    edge.add(
        "Obj",
        crate::support::Queue { name: lb.get_att::<String>("Config").in_region("us-east-1"), ..Default::default() },
    );
    edge.add(
        "Unknown",
        crate::support::Queue { name: lb.get_att::<String>("Nope").in_region("us-east-1"), ..Default::default() },
    );
    // A hand-written name that does not exist, and a condition that does not.
    edge.add(
        "Ghost",
        crate::support::Queue {
            name: Value::ref_name("Phantom"),
            delay: Some(Value::if_("Nope", 1.into(), 2.into())),
            ..Default::default()
        },
    );
    // A name in an Fn::Sub string that the stack does not have.
    edge.add(
        "Subbed",
        crate::support::Queue { name: Value::sub("${Missing.Arn}-${AWS::Region}"), ..Default::default() },
    );
    // DependsOn across stacks.
    let d = edge.add("Dep", queue("dep"));
    edge.options(d).depends_on(lb);
    let errs = errors(&app).join("\n");
    for want in [
        "Edge/NoRegion: reads Api/Lb from stack set Api (us-east-1, us-west-2) without naming a region; use `.in_region(\"us-east-1\")`",
        "Edge/WrongRegion: reads Api/Lb in eu-west-1, but its stack Api is deployed to us-east-1, us-west-2 only",
        "Api/Peer: reads Api/Lb in us-west-2, but it is in the same stack set",
        "Edge/Obj: Fn::GetAtt Config of Api/Lb is not a string, number or list of strings",
        "Api/Lb: AWS::Test::Queue has no attribute \"Nope\" (it has: Arn, Endpoints, Config)",
        "Edge/Ghost: logical name \"Phantom\" is not defined in stack Edge",
        "Edge/Ghost: condition \"Nope\" is not defined in stack Edge",
        "Edge/Dep: DependsOn Api/Lb is in another stack",
        "Edge/Subbed: logical name \"Missing\" is not defined in stack Edge",
    ] {
        assert!(errs.contains(want), "missing {want:?} in:\n{errs}");
    }
}
