//! Hostile and careless input: whatever would silently replace, render nonsense, or panic is
//! one clear synthesis error naming the stack or construct path.
//!
//! haplat-core's public functions outside the generated `resources/` (`grep -rn "pub fn"
//! haplat-core/src`), by what they take from the caller:
//! - names and ids (`App::new`, `stack`, `stack_set`, `Scope::child`/`add`/`check_id`, outputs,
//!   mappings, region values, conditions, parameters, tags): here and in `validation.rs`;
//! - numbers (any `Value<f64>`): not finite is an error naming the property;
//! - handles (`Handle`, `Scope::options`): a handle of another app is an error;
//! - the stack's own settings (`set_description`, `add_transform`, `set_operation_preferences`,
//!   `set_deployment`, `suppress`): here and in `accounts.rs`, `suppress.rs`;
//! - intrinsics with literal arguments (`Value::select`, `List::cidr`): refused at synthesis
//!   when CloudFormation would refuse them in every region;
//! - `Options` (`depends_on`, `condition`, `metadata`, policies): a dependency or condition
//!   that does not exist is an error (`validation.rs`); metadata and policies take any JSON.
//!
//! Not taken: getters (`name`, `regions`, `path`, `ref_`, `attr_*`…) and the renderers, which
//! take nothing of the caller's.

use std::collections::BTreeMap;

use haplat_core::App;
use haplat_core::value::{Expr, Value};

use crate::support::{Queue, errors, queue, template};

fn one_error_containing(app: &App, needle: &str) {
    let errs = errors(app);
    assert!(errs.iter().any(|e| e.contains(needle)), "no error containing {needle:?} in {errs:#?}");
}

#[test]
fn a_second_definition_of_a_name_with_another_value_is_an_error_not_a_silent_replace() {
    let app = App::new("demo");
    let s = app.stack_set("Api", &["us-east-1", "eu-west-1"]);
    s.add("Jobs", queue("jobs"));
    s.add_output("Url", "a", "");
    s.add_output("Url", "b", "");
    one_error_containing(&app, "Api: output \"Url\" is defined twice with different values");

    // Two regions on one VPC CIDR through a second region_value under the same key.
    let app = App::new("demo");
    let s = app.stack_set("Api", &["us-east-1", "eu-west-1"]);
    s.add("Jobs", queue("jobs"));
    s.region_value("VpcCidr", [("us-east-1", "10.0.0.0/16"), ("eu-west-1", "10.1.0.0/16")]);
    s.region_value("VpcCidr", [("us-east-1", "10.0.0.0/16"), ("eu-west-1", "10.0.0.0/16")]);
    one_error_containing(&app, "region value \"VpcCidr\" is defined twice");
    // The mapping haplat writes cannot be replaced by hand either.
    let app = App::new("demo");
    let s = app.stack("Api", "us-east-1");
    s.add("Jobs", queue("jobs"));
    s.add_mapping("RegionConfig", BTreeMap::new());
    one_error_containing(&app, "mapping \"RegionConfig\" is haplat's");

    // The same fact stated twice is fine.
    let app = App::new("demo");
    let s = app.stack_set("Api", &["us-east-1", "eu-west-1"]);
    s.add("Jobs", queue("jobs"));
    for _ in 0..2 {
        s.region_value("Role", [("us-east-1", "primary"), ("eu-west-1", "secondary")]);
        s.add_output("Url", "a", "");
    }
    let t = template(&app, "demo-Api");
    assert_eq!(t["Mappings"]["RegionConfig"]["eu-west-1"]["Role"], "secondary");
}

#[test]
fn names_cloudformation_takes_only_alphanumeric_are_checked_where_they_are_given() {
    let app = App::new("demo");
    let s = app.stack("Api", "us-east-1");
    s.add("Jobs", queue("jobs"));
    s.region_value("orders-api-MinCount", [("us-east-1", "1")]);
    one_error_containing(&app, "region value \"orders-api-MinCount\": CloudFormation takes only letters and digits");
    let app = App::new("demo");
    let s = app.stack("Api", "us-east-1");
    s.add("Jobs", queue("jobs"));
    s.add_output("queue-url", "a", "");
    one_error_containing(&app, "output \"queue-url\"");
}

#[test]
fn a_number_that_is_not_finite_is_an_error_naming_the_property_not_a_null() {
    let app = App::new("demo");
    let s = app.stack("Api", "us-east-1");
    s.add(
        "Jobs",
        Queue { name: "jobs".into(), policy: Some(Expr::from(Value::<f64>::from(f64::NAN))), ..Default::default() },
    );
    one_error_containing(&app, "Api/Jobs (AWS::Test::Queue): property Policy: is null");
    let app = App::new("demo");
    let s = app.stack("Api", "us-east-1");
    let inf = Value::<f64>::from(f64::INFINITY);
    s.add(
        "Jobs",
        Queue {
            name: "jobs".into(),
            policy: Some(Expr::Map([("Limit".to_owned(), Expr::from(inf))].into())),
            ..Default::default()
        },
    );
    one_error_containing(&app, "property Policy.Limit: is null");
}

#[test]
fn a_stack_without_resources_is_an_error() {
    let app = App::new("demo");
    app.stack("Empty", "us-east-1");
    app.stack("Api", "us-east-1").add("Jobs", queue("jobs"));
    one_error_containing(&app, "Empty: the stack has no resources");
}

#[test]
fn a_handle_of_another_app_is_an_error_never_a_panic_or_another_resource() {
    let other = App::new("other");
    let os = other.stack("Data", "us-east-1");
    // Enough resources that the foreign index exists in `app` too.
    for i in 0..4 {
        os.add(&format!("Q{i}"), queue("q"));
    }
    let foreign = os.add("Q4", queue("q"));

    let app = App::new("demo");
    let s = app.stack("Api", "us-east-1");
    for i in 0..8 {
        s.add(&format!("Q{i}"), queue("q"));
    }
    let jobs = s.add("Jobs", Queue { name: "jobs".into(), policy: Some(foreign.ref_().into()), ..Default::default() });
    one_error_containing(&app, "Api/Jobs: refers to a resource of another App");

    let app = App::new("demo");
    let s = app.stack("Api", "us-east-1");
    s.add("Jobs", queue("jobs"));
    s.update(foreign, |q| q.delay = Some(1.into()));
    assert_eq!(s.read(foreign, |q| q.delay.clone()), None);
    s.options(foreign).depends_on(jobs).suppress("HAP003", "x");
    let errs = errors(&app);
    for verb in ["update", "read", "options"] {
        assert!(
            errs.iter().any(|e| e.contains(&format!("Api: {verb}: a resource of another App"))),
            "{verb}: {errs:#?}"
        );
    }
}

#[test]
fn a_huge_value_in_an_error_is_cut_not_echoed_whole() {
    let app = App::new("demo");
    let s = app.stack("Api", "us-east-1");
    s.add("Jobs", queue("jobs"));
    s.add_output(&"o".repeat(5 << 20), "a", "");
    let text = app.synth().err().unwrap().to_string();
    assert!(text.len() < 2_000 && text.contains("more characters)"), "{} characters", text.len());
}

#[test]
fn stack_tags_count_haplats_ownership_tag_toward_the_limit_of_50() {
    let app = App::new("demo");
    for i in 0..49 {
        app.tag(format!("k{i}"), "v");
    }
    app.stack("Api", "us-east-1").add("Jobs", queue("jobs"));
    assert!(app.synth().is_ok(), "49 of the app's and haplat's own make 50");
    app.tag("k49", "v");
    one_error_containing(
        &app,
        "stack Api: the number of stack tags (the app's and the stack's, and haplat's ownership tag haplat:app) is 51, over CloudFormation's limit of 50",
    );
}

#[test]
fn a_stacks_own_settings_are_checked_where_they_are_given() {
    let app = App::new("demo");
    let s = app.stack("Api", "us-east-1");
    s.add("Jobs", queue("jobs"));
    s.set_description("é".repeat(600));
    one_error_containing(&app, "description of 1200 bytes: CloudFormation takes at most 1024");
    let app = App::new("demo");
    let s = app.stack("Api", "us-east-1");
    s.add("Jobs", queue("jobs"));
    s.add_transform("");
    s.add_transform("AWS::Serverless 2016");
    let errs = errors(&app);
    assert_eq!(errs.iter().filter(|e| e.contains("transform")).count(), 2, "{errs:#?}");
    let app = App::new("demo");
    let s = app.stack_set("Api", &["us-east-1", "eu-west-1"]);
    s.add("Jobs", queue("jobs"));
    s.set_operation_preferences(haplat_core::manifest::OperationPreferences {
        region_concurrency: Some("FAST".into()),
        max_concurrent_count: Some(0),
        failure_tolerance_count: None,
    });
    one_error_containing(&app, "region concurrency \"FAST\" is not PARALLEL or SEQUENTIAL");
    one_error_containing(&app, "a maximum concurrent count of 0 runs nothing");
}

#[test]
fn intrinsics_cloudformation_would_refuse_everywhere_are_errors_naming_the_property() {
    let app = App::new("demo");
    let s = app.stack("Api", "us-east-1");
    let two = haplat_core::value::List::items(vec![Value::from("a"), Value::from("b")]);
    s.add("Jobs", Queue { name: Value::select(5, two.clone()), ..Default::default() });
    one_error_containing(&app, "property QueueName: Fn::Select takes item 5 of a list of 2");
    let app = App::new("demo");
    let s = app.stack("Api", "us-east-1");
    let cidr = |count: i64, bits: i64| haplat_core::value::List::cidr("10.0.0.0/16".into(), count.into(), bits.into());
    s.add("Jobs", Queue { name: Value::select(0, cidr(0, 129)), ..Default::default() });
    one_error_containing(&app, "Fn::Cidr asks for 0 blocks: CloudFormation takes 1 to 256");
    one_error_containing(&app, "Fn::Cidr asks for 129 host bits: CloudFormation takes 1 to 128");
    // Within range, and an index into a list known only at deploy: left to CloudFormation.
    let app = App::new("demo");
    let s = app.stack("Api", "us-east-1");
    s.add("Jobs", Queue { name: Value::select(1, two), ..Default::default() });
    s.add("Other", Queue { name: Value::select(3, cidr(4, 8)), ..Default::default() });
    app.synth().unwrap_or_else(|e| panic!("{e}"));
}
