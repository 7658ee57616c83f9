//! Hand-written resource types and helpers shared by the tests, so that the model is tested
//! apart from the generated L1 types.

use std::collections::BTreeMap;

use haplat_core::resource::{AttrType, Attribute, Resource, TagStyle, Validator};
use haplat_core::value::{Expr, PropMap, Value};

/// A table-like stateful resource.
#[derive(Clone, Default)]
pub struct Table {
    pub name: Option<Value<String>>,
    pub stream: Option<Value<String>>,
}

impl Resource for Table {
    const TYPE_NAME: &'static str = "AWS::DynamoDB::Table";
    const ATTRIBUTES: &'static [Attribute] =
        &[Attribute { name: "Arn", ty: AttrType::String }, Attribute { name: "StreamArn", ty: AttrType::String }];
    const REF_RETURNS: &'static str = "TableName";
    const CREATE_ONLY: &'static [&'static str] = &["TableName", "KeySchema"];
    const STATEFUL: bool = true;
    const TAGS: TagStyle = TagStyle::List("Tags");
    fn properties(&self) -> BTreeMap<String, Expr> {
        let mut m = PropMap::new();
        m.opt("TableName", &self.name).opt("StreamSpecification", &self.stream);
        m.build()
    }
}

/// A stateless resource with a required property, a pattern and list attributes.
#[derive(Clone, Default)]
pub struct Queue {
    pub name: Value<String>,
    pub delay: Option<Value<i64>>,
    pub tags: Option<BTreeMap<String, Value<String>>>,
    pub policy: Option<Expr>,
}

impl Resource for Queue {
    const TYPE_NAME: &'static str = "AWS::Test::Queue";
    const ATTRIBUTES: &'static [Attribute] = &[
        Attribute { name: "Arn", ty: AttrType::String },
        Attribute { name: "Endpoints", ty: AttrType::ListOfString },
        Attribute { name: "Config", ty: AttrType::Other },
    ];
    const REF_RETURNS: &'static str = "QueueUrl";
    const CREATE_ONLY: &'static [&'static str] = &["QueueName"];
    const STATEFUL: bool = false;
    const TAGS: TagStyle = TagStyle::Map("Tags");
    fn properties(&self) -> BTreeMap<String, Expr> {
        let mut m = PropMap::new();
        m.req("QueueName", &self.name)
            .opt("DelaySeconds", &self.delay)
            .opt("Tags", &self.tags)
            .opt("Policy", &self.policy);
        m.build()
    }
    fn validate(&self, v: &mut Validator<'_>) {
        v.required("QueueName", &self.name);
        v.at("QueueName", |v| v.pattern(&self.name, "^[a-z][a-z0-9-]*$"));
        if let Some(d) = &self.delay {
            v.at("DelaySeconds", |v| v.range(d, Some(0.0), Some(900.0)));
        }
    }
}

pub fn queue(name: &str) -> Queue {
    Queue { name: name.into(), ..Default::default() }
}

/// The parsed template of a stack of a synthesized app.
pub fn template(app: &haplat_core::App, stack_name: &str) -> serde_json::Value {
    let assembly = app.synth().unwrap_or_else(|e| panic!("{e}"));
    assembly.template(stack_name).unwrap_or_else(|| panic!("no stack {stack_name}"))
}

/// The rendered error messages of a failed synthesis.
pub fn errors(app: &haplat_core::App) -> Vec<String> {
    match app.synth() {
        Ok(_) => panic!("synthesis succeeded, but errors were expected"),
        Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
    }
}

/// The logical id of the resource at `path` in a stack's template.
pub fn logical_id_of(t: &serde_json::Value, path: &str) -> String {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, r)| r["Metadata"]["haplat:path"] == path)
        .map(|(k, _)| k.clone())
        .unwrap_or_else(|| panic!("no resource at {path}"))
}

/// insta settings that write snapshots under the workspace's `snapshots/core`.
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots/core"));
    s.set_prepend_module_to_snapshot(false);
    s
}
