//! What every CloudFormation resource type knows about itself, and the typed handle a resource
//! gets when it is added to the construct tree.
//!
//! The L1 types under [`crate::resources`] implement [`Resource`]; they are generated from the
//! CloudFormation registry schemas by `tools/codegen`.

use std::any::Any;
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::{Mutex, OnceLock};

use crate::node::NodeId;
use crate::value::{Expr, NodeRef, RefTarget, Value};

/// The CloudFormation type of an attribute (`Fn::GetAtt`) or of what `Ref` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrType {
    /// A string.
    String,
    /// A number (integer or not).
    Number,
    /// A boolean.
    Boolean,
    /// A list of strings.
    ListOfString,
    /// Anything else (objects, lists of objects): usable inside the same template only.
    Other,
}

/// One attribute a resource type returns through `Fn::GetAtt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// The name given to `Fn::GetAtt` (`Arn`, `Endpoint.Address`).
    pub name: &'static str,
    /// Its type.
    pub ty: AttrType,
}

/// How a resource type takes tags, so that tags set on a construct reach it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagStyle {
    /// Not taggable through a property.
    None,
    /// `Tags: [{Key, Value}]` under the given property name.
    List(&'static str),
    /// `Tags: {key: value}` under the given property name.
    Map(&'static str),
}

/// Facts about a CloudFormation resource type and how to render its properties.
///
/// Implemented by the generated L1 types; a hand-written type may implement it too.
pub trait Resource: Any + Clone {
    /// The CloudFormation type name, e.g. `AWS::DynamoDB::GlobalTable`.
    const TYPE_NAME: &'static str;
    /// Every attribute `Fn::GetAtt` accepts.
    const ATTRIBUTES: &'static [Attribute];
    /// What `Ref` returns, in the words of the schema (its primary identifier).
    const REF_RETURNS: &'static str;
    /// Properties whose change replaces the resource (`createOnlyProperties`), by top-level
    /// property name or slash path (`KeySchema`, `SSESpecification/KMSMasterKeyId`).
    const CREATE_ONLY: &'static [&'static str];
    /// Whether the resource holds data that deleting it would lose (tables, buckets, keys, log
    /// groups, vaults, hosted zones, DB clusters): such resources default to `Retain`.
    const STATEFUL: bool;
    /// How tags reach it.
    const TAGS: TagStyle;

    /// The `Properties` of the resource, keys ordered.
    fn properties(&self) -> BTreeMap<String, Expr>;

    /// Checks what the types cannot express (required values left empty, patterns, lengths,
    /// ranges). Reports every problem to `v`.
    fn validate(&self, v: &mut Validator<'_>) {
        let _ = v;
    }
}

/// Validation of a nested property type (generated for every one; the default checks nothing).
/// [`Resource::validate`] calls it for the nested values it holds directly.
pub trait Validate {
    /// Reports every problem of this value to `v`, at `v`'s current property path.
    fn validate(&self, v: &mut Validator<'_>) {
        let _ = v;
    }
}

/// A resource type behind a trait object, as the construct tree stores it.
pub trait AnyResource: Any {
    /// [`Resource::TYPE_NAME`].
    fn type_name(&self) -> &'static str;
    /// [`Resource::ATTRIBUTES`].
    fn attributes(&self) -> &'static [Attribute];
    /// [`Resource::CREATE_ONLY`].
    fn create_only(&self) -> &'static [&'static str];
    /// [`Resource::STATEFUL`].
    fn stateful(&self) -> bool;
    /// [`Resource::TAGS`].
    fn tag_style(&self) -> TagStyle;
    /// [`Resource::properties`].
    fn properties(&self) -> BTreeMap<String, Expr>;
    /// [`Resource::validate`].
    fn validate(&self, v: &mut Validator<'_>);
    /// For downcasting.
    fn as_any(&self) -> &dyn Any;
    /// For downcasting.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<R: Resource> AnyResource for R {
    fn type_name(&self) -> &'static str {
        R::TYPE_NAME
    }
    fn attributes(&self) -> &'static [Attribute] {
        R::ATTRIBUTES
    }
    fn create_only(&self) -> &'static [&'static str] {
        R::CREATE_ONLY
    }
    fn stateful(&self) -> bool {
        R::STATEFUL
    }
    fn tag_style(&self) -> TagStyle {
        R::TAGS
    }
    fn properties(&self) -> BTreeMap<String, Expr> {
        Resource::properties(self)
    }
    fn validate(&self, v: &mut Validator<'_>) {
        Resource::validate(self, v)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// The handle of a resource in the construct tree: cheap to copy, gives typed `Ref` and
/// attribute values. Generated code adds one `attr_*` method per attribute.
pub struct Handle<R> {
    node: NodeId,
    _r: PhantomData<fn() -> R>,
}

impl<R> Clone for Handle<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for Handle<R> {}
impl<R> PartialEq for Handle<R> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}
impl<R> Eq for Handle<R> {}
impl<R> std::fmt::Debug for Handle<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Handle({})", self.node.index())
    }
}

impl<R> Handle<R> {
    pub(crate) fn new(node: NodeId) -> Self {
        Handle { node, _r: PhantomData }
    }

    /// The node of the construct tree.
    pub fn node(&self) -> NodeId {
        self.node
    }

    /// `Ref` of the resource (what it returns depends on the type: see
    /// [`Resource::REF_RETURNS`]). Inside its own stack it renders as `Ref` of the logical id;
    /// from another stack it becomes a binding parameter (see [`crate::synth`]).
    ///
    /// ```
    /// use haplat_core::App;
    /// use haplat_core::resources::sqs::Queue;
    /// use serde_json::json;
    /// let app = App::new("demo");
    /// let s = app.stack("Jobs", "us-east-1");
    /// let q = s.add("Queue", Queue::default());
    /// s.add_output("Url", q.ref_(), "");
    /// s.add_output("Arn", q.get_att::<String>("Arn"), "");
    /// let t = app.synth().unwrap().template("demo-Jobs").unwrap();
    /// assert_eq!(t["Outputs"]["Url"]["Value"], json!({"Ref": "Queue"}));
    /// assert_eq!(t["Outputs"]["Arn"]["Value"], json!({"Fn::GetAtt": ["Queue", "Arn"]}));
    /// ```
    pub fn ref_(&self) -> Value<String> {
        Value::from_expr(Expr::Ref(RefTarget::Node(NodeRef { node: self.node, region: None })))
    }

    /// `Fn::GetAtt` by name, for attributes without a typed accessor. An unknown name is a
    /// synthesis error naming the construct path.
    pub fn get_att<T>(&self, attribute: &str) -> Value<T> {
        Value::from_expr(Expr::GetAtt(NodeRef { node: self.node, region: None }, attribute.to_owned()))
    }

    /// The handle as a dependency target (for `DependsOn`).
    pub fn dep(&self) -> NodeId {
        self.node
    }
}

/// Collects the problems of one resource's properties, with the path of the property.
pub struct Validator<'a> {
    path: Vec<String>,
    problems: &'a mut Vec<(String, String)>,
}

impl<'a> Validator<'a> {
    /// A validator that appends `(property path, message)` pairs to `problems`.
    pub fn new(problems: &'a mut Vec<(String, String)>) -> Self {
        Validator { path: Vec::new(), problems }
    }

    /// Runs `f` with `segment` appended to the property path.
    pub fn at(&mut self, segment: &str, f: impl FnOnce(&mut Validator<'_>)) {
        self.path.push(segment.to_owned());
        f(self);
        self.path.pop();
    }

    /// Records a problem at the current property path.
    pub fn problem(&mut self, message: impl Into<String>) {
        self.problems.push((self.path.join("."), message.into()));
    }

    /// A required string or list left empty.
    pub fn required<T>(&mut self, name: &str, v: &Value<T>) {
        let empty = match v.expr() {
            Expr::String(s) => s.is_empty(),
            Expr::List(l) => l.is_empty(),
            Expr::Null => true,
            _ => false,
        };
        if empty {
            self.at(name, |v| v.problem("is required but was left empty"));
        }
    }

    /// A required free-form JSON property left `null`.
    pub fn required_expr(&mut self, name: &str, e: &Expr) {
        if matches!(e, Expr::Null) {
            self.at(name, |v| v.problem("is required but was left empty"));
        }
    }

    /// A literal string's length in characters.
    pub fn length(&mut self, v: &Value<String>, min: Option<usize>, max: Option<usize>) {
        if let Expr::String(s) = v.expr() {
            let n = s.chars().count();
            if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                self.problem(format!(
                    "has {n} characters; allowed: {}",
                    range_text(min.map(|m| m as f64), max.map(|m| m as f64))
                ));
            }
        }
    }

    /// Runs `f` on every item of a literal list, with the item's index appended to the path.
    pub fn each<T>(&mut self, v: &Value<Vec<T>>, mut f: impl FnMut(&mut Validator<'_>, &Expr)) {
        if let Expr::List(l) = v.expr() {
            for (i, e) in l.iter().enumerate() {
                self.at(&i.to_string(), |v| f(v, e));
            }
        }
    }

    /// A literal string property `key` of a list item, checked like [`Validator::length`] and
    /// [`Validator::pattern`]: the rules a schema puts on a type that the generated code shares
    /// with schemas of other rules (the one `Tag`), applied where the type is used.
    pub fn item_str(
        &mut self,
        item: &Expr,
        key: &str,
        min: Option<usize>,
        max: Option<usize>,
        pattern: Option<&'static str>,
    ) {
        if let Expr::Map(m) = item
            && let Some(e @ Expr::String(_)) = m.get(key)
        {
            let s: Value<String> = Value::from_expr(e.clone());
            self.at(key, |v| {
                v.length(&s, min, max);
                if let Some(p) = pattern {
                    v.pattern(&s, p);
                }
            });
        }
    }

    /// A literal list's length.
    pub fn items<T>(&mut self, v: &Value<Vec<T>>, min: Option<usize>, max: Option<usize>) {
        if let Expr::List(l) = v.expr() {
            let n = l.len();
            if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                self.problem(format!(
                    "has {n} items; allowed: {}",
                    range_text(min.map(|m| m as f64), max.map(|m| m as f64))
                ));
            }
        }
    }

    /// A literal number's range.
    pub fn range<T>(&mut self, v: &Value<T>, min: Option<f64>, max: Option<f64>) {
        if let Expr::Number(n) = v.expr()
            && let Some(x) = n.as_f64()
            && (min.is_some_and(|m| x < m) || max.is_some_and(|m| x > m))
        {
            self.problem(format!("is {n}; allowed: {}", range_text(min, max)));
        }
    }

    /// A literal string against the schema's pattern (compiled once per pattern).
    pub fn pattern(&mut self, v: &Value<String>, pattern: &'static str) {
        if let Expr::String(s) = v.expr()
            && let Some(re) = compiled(pattern)
            && !re.is_match(s)
        {
            self.problem(format!("{s:?} does not match the pattern {pattern}"));
        }
    }

    /// Exactly one (or at most one, when `optional`) of a group of properties is set
    /// (`oneOf` in the schemas).
    pub fn one_of(&mut self, names: &[&str], set: &[bool], optional: bool) {
        let n = set.iter().filter(|s| **s).count();
        if n > 1 || (n == 0 && !optional) {
            self.problem(format!("exactly one of {} must be set ({n} are)", names.join(", ")));
        }
    }
}

fn range_text(min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        (Some(a), None) => format!("at least {a}"),
        (None, Some(b)) => format!("at most {b}"),
        (None, None) => "any".into(),
    }
}

fn compiled(pattern: &'static str) -> Option<regex::Regex> {
    static CACHE: OnceLock<Mutex<BTreeMap<&'static str, Option<regex::Regex>>>> = OnceLock::new();
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    cache.entry(pattern).or_insert_with(|| regex::Regex::new(pattern).ok()).clone()
}

impl<R> From<Handle<R>> for NodeId {
    fn from(h: Handle<R>) -> Self {
        h.node()
    }
}
