//! Typed values: a literal or a CloudFormation intrinsic function, never a string that secretly
//! encodes a token.
//!
//! [`Expr`] is the untyped tree every property renders to; [`Value<T>`] wraps it with the type
//! CloudFormation expects at that place, so a `Value<i64>` cannot receive a `Fn::Join`.
//! Rendering to JSON happens at synthesis, where references to resources become logical ids
//! (or, across stacks, parameters — see [`crate::synth`]).
//!
//! ```
//! use haplat_core::value::{Value, Pseudo};
//! use serde_json::json;
//!
//! let name: Value<String> = Value::sub("${AWS::StackName}-api");
//! assert_eq!(name.to_json(), json!({"Fn::Sub": "${AWS::StackName}-api"}));
//! assert_eq!(Pseudo::Region.value().to_json(), json!({"Ref": "AWS::Region"}));
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde_json::Value as Json;

use crate::node::NodeId;

/// A pseudo parameter CloudFormation defines in every template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pseudo {
    /// `AWS::AccountId`
    AccountId,
    /// `AWS::NotificationARNs` (a list)
    NotificationArns,
    /// `AWS::NoValue`: removes the property where it is used (inside `Fn::If`).
    NoValue,
    /// `AWS::Partition`
    Partition,
    /// `AWS::Region`
    Region,
    /// `AWS::StackId`
    StackId,
    /// `AWS::StackName`
    StackName,
    /// `AWS::URLSuffix`
    UrlSuffix,
}

impl Pseudo {
    /// Every pseudo parameter.
    pub const ALL: [Pseudo; 8] = [
        Pseudo::AccountId,
        Pseudo::NotificationArns,
        Pseudo::NoValue,
        Pseudo::Partition,
        Pseudo::Region,
        Pseudo::StackId,
        Pseudo::StackName,
        Pseudo::UrlSuffix,
    ];

    /// The name CloudFormation uses for it.
    ///
    /// ```
    /// use haplat_core::value::Pseudo;
    /// use serde_json::json;
    /// let rendered: Vec<_> = Pseudo::ALL.iter().map(|p| p.expr().to_json()).collect();
    /// assert_eq!(rendered, vec![
    ///     json!({"Ref": "AWS::AccountId"}), json!({"Ref": "AWS::NotificationARNs"}),
    ///     json!({"Ref": "AWS::NoValue"}), json!({"Ref": "AWS::Partition"}),
    ///     json!({"Ref": "AWS::Region"}), json!({"Ref": "AWS::StackId"}),
    ///     json!({"Ref": "AWS::StackName"}), json!({"Ref": "AWS::URLSuffix"}),
    /// ]);
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Pseudo::AccountId => "AWS::AccountId",
            Pseudo::NotificationArns => "AWS::NotificationARNs",
            Pseudo::NoValue => "AWS::NoValue",
            Pseudo::Partition => "AWS::Partition",
            Pseudo::Region => "AWS::Region",
            Pseudo::StackId => "AWS::StackId",
            Pseudo::StackName => "AWS::StackName",
            Pseudo::UrlSuffix => "AWS::URLSuffix",
        }
    }

    /// The untyped `{"Ref": …}` expression.
    pub fn expr(self) -> Expr {
        Expr::Ref(RefTarget::Pseudo(self))
    }

    /// The pseudo parameter as a string value (all but `NotificationARNs` are strings).
    pub fn value(self) -> Value<String> {
        Value::from_expr(self.expr())
    }
}

/// A reference to a node of the construct tree (a resource or a parameter), possibly pinned to
/// one region of a stack set.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeRef {
    /// The node referred to.
    pub node: NodeId,
    /// When the node lives in a stack set and the reference comes from another stack: the region
    /// whose stack instance is read. `None` means "the consumer's own region" (only valid from a
    /// stack set with the same regions) or "the only region" of a single-region stack.
    pub region: Option<String>,
}

/// What a `Ref` points to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RefTarget {
    /// A resource or parameter of the construct tree.
    Node(NodeRef),
    /// A pseudo parameter.
    Pseudo(Pseudo),
    /// A logical name written by hand (a parameter or resource of the same template that the
    /// construct tree does not own). Checked at synthesis against the template's names.
    Name(String),
}

/// The untyped tree of a CloudFormation value: JSON plus every intrinsic function.
///
/// Maps are ordered, so rendering is deterministic.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// JSON `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number, kept exactly as JSON would.
    Number(serde_json::Number),
    /// A string.
    String(String),
    /// A list.
    List(Vec<Expr>),
    /// An object with ordered keys.
    Map(BTreeMap<String, Expr>),
    /// `Ref`.
    Ref(RefTarget),
    /// `Fn::GetAtt` on a node of the tree, by attribute name.
    GetAtt(NodeRef, String),
    /// `Fn::GetAtt` on a logical name written by hand.
    GetAttName(String, String),
    /// `Fn::Sub` with an optional variable map.
    Sub(String, BTreeMap<String, Expr>),
    /// `Fn::Join`.
    Join(String, Box<Expr>),
    /// `Fn::Select`.
    Select(Box<Expr>, Box<Expr>),
    /// `Fn::Split`.
    Split(String, Box<Expr>),
    /// `Fn::GetAZs`.
    GetAzs(Box<Expr>),
    /// `Fn::FindInMap`.
    FindInMap(String, Box<Expr>, Box<Expr>),
    /// `Fn::If` on a named condition.
    If(String, Box<Expr>, Box<Expr>),
    /// `Fn::Equals`.
    Equals(Box<Expr>, Box<Expr>),
    /// `Fn::And`.
    And(Vec<Expr>),
    /// `Fn::Or`.
    Or(Vec<Expr>),
    /// `Fn::Not`.
    Not(Box<Expr>),
    /// `Condition`: a reference to a named condition inside a condition expression.
    Condition(String),
    /// `Fn::ImportValue` (offered for interoperability; haplat's own cross-stack references never
    /// use exports).
    ImportValue(Box<Expr>),
    /// `Fn::Base64`.
    Base64(Box<Expr>),
    /// `Fn::Cidr`: ip block, count, cidr bits.
    Cidr(Box<Expr>, Box<Expr>, Box<Expr>),
}

impl Expr {
    /// Renders the expression without a construct tree. References to nodes render as
    /// `{"Ref": "<node N>"}`; synthesis renders them properly. Meant for tests and docs.
    pub fn to_json(&self) -> Json {
        self.render(&mut |r: &NodeRef, attr: Option<&str>| {
            let name = format!("<node {}>", r.node.index());
            match attr {
                None => serde_json::json!({ "Ref": name }),
                Some(a) => serde_json::json!({ "Fn::GetAtt": [name, a] }),
            }
        })
    }

    /// Renders the expression, asking `node` how to render each reference to the tree (`attr`
    /// is `None` for `Ref`).
    pub fn render(&self, node: &mut dyn FnMut(&NodeRef, Option<&str>) -> Json) -> Json {
        use serde_json::json;
        match self {
            Expr::Null => Json::Null,
            Expr::Bool(b) => Json::Bool(*b),
            Expr::Number(n) => Json::Number(n.clone()),
            Expr::String(s) => Json::String(s.clone()),
            Expr::List(items) => Json::Array(items.iter().map(|e| e.render(node)).collect()),
            Expr::Map(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), v.render(node))).collect()),
            Expr::Ref(RefTarget::Node(r)) => node(r, None),
            Expr::Ref(RefTarget::Pseudo(p)) => json!({ "Ref": p.name() }),
            Expr::Ref(RefTarget::Name(n)) => json!({ "Ref": n }),
            Expr::GetAtt(r, a) => node(r, Some(a)),
            Expr::GetAttName(n, a) => json!({ "Fn::GetAtt": [n, a] }),
            Expr::Sub(s, vars) if vars.is_empty() => json!({ "Fn::Sub": s }),
            Expr::Sub(s, vars) => {
                let vars: serde_json::Map<String, Json> =
                    vars.iter().map(|(k, v)| (k.clone(), v.render(node))).collect();
                json!({ "Fn::Sub": [s, vars] })
            }
            Expr::Join(d, l) => json!({ "Fn::Join": [d, l.render(node)] }),
            Expr::Select(i, l) => json!({ "Fn::Select": [i.render(node), l.render(node)] }),
            Expr::Split(d, s) => json!({ "Fn::Split": [d, s.render(node)] }),
            Expr::GetAzs(r) => json!({ "Fn::GetAZs": r.render(node) }),
            Expr::FindInMap(m, a, b) => json!({ "Fn::FindInMap": [m, a.render(node), b.render(node)] }),
            Expr::If(c, a, b) => json!({ "Fn::If": [c, a.render(node), b.render(node)] }),
            Expr::Equals(a, b) => json!({ "Fn::Equals": [a.render(node), b.render(node)] }),
            Expr::And(l) => json!({ "Fn::And": l.iter().map(|e| e.render(node)).collect::<Vec<_>>() }),
            Expr::Or(l) => json!({ "Fn::Or": l.iter().map(|e| e.render(node)).collect::<Vec<_>>() }),
            Expr::Not(e) => json!({ "Fn::Not": [e.render(node)] }),
            Expr::Condition(c) => json!({ "Condition": c }),
            Expr::ImportValue(e) => json!({ "Fn::ImportValue": e.render(node) }),
            Expr::Base64(e) => json!({ "Fn::Base64": e.render(node) }),
            Expr::Cidr(a, b, c) => json!({ "Fn::Cidr": [a.render(node), b.render(node), c.render(node)] }),
        }
    }

    /// Calls `f` on every node reference inside the expression, depth first.
    pub fn visit_refs(&self, f: &mut dyn FnMut(&NodeRef, Option<&str>)) {
        match self {
            Expr::Null | Expr::Bool(_) | Expr::Number(_) | Expr::String(_) | Expr::Condition(_) => {}
            Expr::Ref(RefTarget::Node(r)) => f(r, None),
            Expr::Ref(_) | Expr::GetAttName(..) => {}
            Expr::GetAtt(r, a) => f(r, Some(a)),
            Expr::List(l) | Expr::And(l) | Expr::Or(l) => l.iter().for_each(|e| e.visit_refs(f)),
            Expr::Map(m) => m.values().for_each(|e| e.visit_refs(f)),
            Expr::Sub(_, vars) => vars.values().for_each(|e| e.visit_refs(f)),
            Expr::Join(_, e)
            | Expr::Split(_, e)
            | Expr::GetAzs(e)
            | Expr::Not(e)
            | Expr::ImportValue(e)
            | Expr::Base64(e) => e.visit_refs(f),
            Expr::Select(a, b) | Expr::Equals(a, b) => {
                a.visit_refs(f);
                b.visit_refs(f);
            }
            Expr::FindInMap(_, a, b) | Expr::If(_, a, b) => {
                a.visit_refs(f);
                b.visit_refs(f);
            }
            Expr::Cidr(a, b, c) => {
                a.visit_refs(f);
                b.visit_refs(f);
                c.visit_refs(f);
            }
        }
    }

    /// Calls `f` on every hand-written logical name (`Ref` or `Fn::GetAtt` by name, and the
    /// `${Name}` or `${Name.Attribute}` of an `Fn::Sub` string that its variable map does not
    /// define), on every condition name used by `Fn::If` or `Condition`, and on every mapping
    /// name of `Fn::FindInMap`.
    ///
    /// ```
    /// use haplat_core::value::{NameUse, Value};
    /// let v = Value::sub_with("${Bucket.Arn}/${Key}-${AWS::Region}-${!Literal}", [("Key", "k".into())]);
    /// let mut names = Vec::new();
    /// v.expr().visit_names(&mut |n| if let NameUse::Logical(l) = n { names.push(l.to_owned()) });
    /// assert_eq!(names, ["Bucket"]);
    /// ```
    pub fn visit_names(&self, f: &mut dyn FnMut(NameUse<'_>)) {
        match self {
            Expr::Ref(RefTarget::Name(n)) => f(NameUse::Logical(n)),
            Expr::GetAttName(n, _) => f(NameUse::Logical(n)),
            Expr::Condition(c) => f(NameUse::Condition(c)),
            Expr::FindInMap(m, a, b) => {
                f(NameUse::Mapping(m));
                a.visit_names(f);
                b.visit_names(f);
            }
            Expr::If(c, a, b) => {
                f(NameUse::Condition(c));
                a.visit_names(f);
                b.visit_names(f);
            }
            Expr::Null | Expr::Bool(_) | Expr::Number(_) | Expr::String(_) | Expr::Ref(_) | Expr::GetAtt(..) => {}
            Expr::List(l) | Expr::And(l) | Expr::Or(l) => l.iter().for_each(|e| e.visit_names(f)),
            Expr::Map(m) => m.values().for_each(|e| e.visit_names(f)),
            Expr::Sub(template, vars) => {
                for name in sub_names(template) {
                    if !vars.contains_key(name) && !name.starts_with("AWS::") {
                        f(NameUse::Logical(name.split('.').next().unwrap_or(name)));
                    }
                }
                vars.values().for_each(|e| e.visit_names(f))
            }
            Expr::Join(_, e)
            | Expr::Split(_, e)
            | Expr::GetAzs(e)
            | Expr::Not(e)
            | Expr::ImportValue(e)
            | Expr::Base64(e) => e.visit_names(f),
            Expr::Select(a, b) | Expr::Equals(a, b) => {
                a.visit_names(f);
                b.visit_names(f);
            }
            Expr::Cidr(a, b, c) => {
                a.visit_names(f);
                b.visit_names(f);
                c.visit_names(f);
            }
        }
    }

    /// Rewrites every node reference inside the expression.
    pub fn map_refs(&mut self, f: &mut dyn FnMut(&mut NodeRef)) {
        match self {
            Expr::Null | Expr::Bool(_) | Expr::Number(_) | Expr::String(_) | Expr::Condition(_) => {}
            Expr::Ref(RefTarget::Node(r)) | Expr::GetAtt(r, _) => f(r),
            Expr::Ref(_) | Expr::GetAttName(..) => {}
            Expr::List(l) | Expr::And(l) | Expr::Or(l) => l.iter_mut().for_each(|e| e.map_refs(f)),
            Expr::Map(m) => m.values_mut().for_each(|e| e.map_refs(f)),
            Expr::Sub(_, vars) => vars.values_mut().for_each(|e| e.map_refs(f)),
            Expr::Join(_, e)
            | Expr::Split(_, e)
            | Expr::GetAzs(e)
            | Expr::Not(e)
            | Expr::ImportValue(e)
            | Expr::Base64(e) => e.map_refs(f),
            Expr::Select(a, b) | Expr::Equals(a, b) | Expr::FindInMap(_, a, b) | Expr::If(_, a, b) => {
                a.map_refs(f);
                b.map_refs(f);
            }
            Expr::Cidr(a, b, c) => {
                a.map_refs(f);
                b.map_refs(f);
                c.map_refs(f);
            }
        }
    }

    /// Whether the expression is a plain literal (no intrinsic anywhere inside).
    pub fn is_literal(&self) -> bool {
        match self {
            Expr::Null | Expr::Bool(_) | Expr::Number(_) | Expr::String(_) => true,
            Expr::List(l) => l.iter().all(Expr::is_literal),
            Expr::Map(m) => m.values().all(Expr::is_literal),
            _ => false,
        }
    }
}

/// The names an `Fn::Sub` string refers to: the inside of every `${…}` that is not a literal
/// `${!…}`.
fn sub_names(template: &str) -> impl Iterator<Item = &str> {
    template.split("${").skip(1).filter_map(|rest| {
        let name = &rest[..rest.find('}')?];
        (!name.starts_with('!')).then_some(name.trim())
    })
}

/// A name an expression uses that must exist in its template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameUse<'a> {
    /// A resource or parameter logical name.
    Logical(&'a str),
    /// A condition name.
    Condition(&'a str),
    /// A mapping name.
    Mapping(&'a str),
}

impl From<&Json> for Expr {
    fn from(j: &Json) -> Self {
        match j {
            Json::Null => Expr::Null,
            Json::Bool(b) => Expr::Bool(*b),
            Json::Number(n) => Expr::Number(n.clone()),
            Json::String(s) => Expr::String(s.clone()),
            Json::Array(a) => Expr::List(a.iter().map(Expr::from).collect()),
            Json::Object(o) => Expr::Map(o.iter().map(|(k, v)| (k.clone(), Expr::from(v))).collect()),
        }
    }
}

impl From<Json> for Expr {
    fn from(j: Json) -> Self {
        Expr::from(&j)
    }
}

impl From<&str> for Expr {
    fn from(s: &str) -> Self {
        Expr::String(s.to_owned())
    }
}

impl From<String> for Expr {
    fn from(s: String) -> Self {
        Expr::String(s)
    }
}

impl From<bool> for Expr {
    fn from(b: bool) -> Self {
        Expr::Bool(b)
    }
}

impl From<i64> for Expr {
    fn from(n: i64) -> Self {
        Expr::Number(n.into())
    }
}

impl<T> From<Value<T>> for Expr {
    fn from(v: Value<T>) -> Self {
        v.expr
    }
}

impl<T> From<&Value<T>> for Expr {
    fn from(v: &Value<T>) -> Self {
        v.expr.clone()
    }
}

/// Builds an [`Expr::Map`] from `key => value` pairs whose values convert into [`Expr`]:
/// the way to write a free-form JSON property (a policy document, say) that holds intrinsics.
///
/// ```
/// use haplat_core::{expr_map, value::{Expr, Pseudo}};
/// use serde_json::json;
/// let doc = expr_map! { "Region" => Pseudo::Region.expr(), "Enabled" => true };
/// assert_eq!(doc.to_json(), json!({"Enabled": true, "Region": {"Ref": "AWS::Region"}}));
/// ```
#[macro_export]
macro_rules! expr_map {
    ($($k:expr => $v:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut m = ::std::collections::BTreeMap::<String, $crate::value::Expr>::new();
        $( m.insert(($k).to_string(), $crate::value::Expr::from($v)); )*
        $crate::value::Expr::Map(m)
    }};
}

/// Builds an [`Expr::List`] from items that convert into [`Expr`].
#[macro_export]
macro_rules! expr_list {
    ($($v:expr),* $(,)?) => {
        $crate::value::Expr::List(vec![$($crate::value::Expr::from($v)),*])
    };
}

/// A value of CloudFormation type `T`: a literal or an intrinsic function that yields a `T`.
///
/// `T` is a marker of what CloudFormation expects (`String`, `i64`, `f64`, `bool`, `Vec<…>`);
/// the value is kept as an [`Expr`] tree.
///
/// ```
/// use haplat_core::value::Value;
/// use serde_json::json;
/// let port: Value<i64> = 443.into();
/// let name: Value<String> = "api".into();
/// let on: Value<bool> = true.into();
/// assert_eq!((port.to_json(), name.to_json(), on.to_json()), (json!(443), json!("api"), json!(true)));
/// ```
pub struct Value<T> {
    expr: Expr,
    _t: PhantomData<fn() -> T>,
}

/// A list value: a literal list of items, or an intrinsic that yields a list (`Fn::GetAZs`,
/// `Fn::Split`, `Fn::Cidr`, a list attribute). `T` is the item's own field type, so a list of
/// strings is `List<Value<String>>` and a list of rules is `List<Rule>`.
pub type List<T> = Value<Vec<T>>;

impl<T> Clone for Value<T> {
    fn clone(&self) -> Self {
        Value { expr: self.expr.clone(), _t: PhantomData }
    }
}

impl<T> PartialEq for Value<T> {
    fn eq(&self, other: &Self) -> bool {
        self.expr == other.expr
    }
}

impl<T> fmt::Debug for Value<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

impl<T> Value<T> {
    /// Wraps an untyped expression. The caller vouches that it yields a `T`.
    pub fn from_expr(expr: Expr) -> Self {
        Value { expr, _t: PhantomData }
    }

    /// The untyped expression.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// Consumes the value into its expression.
    pub fn into_expr(self) -> Expr {
        self.expr
    }

    /// Renders without a construct tree (see [`Expr::to_json`]).
    pub fn to_json(&self) -> Json {
        self.expr.to_json()
    }

    /// Whether the value is a literal.
    pub fn is_literal(&self) -> bool {
        self.expr.is_literal()
    }

    /// Pins every cross-stack reference inside this value to `region`: used from outside a stack
    /// set to read one region's instance (the ALB of us-west-2, say).
    pub fn in_region(mut self, region: impl Into<String>) -> Self {
        let region = region.into();
        self.expr.map_refs(&mut |r| r.region = Some(region.clone()));
        self
    }

    /// `Fn::If`: `then` when the named condition holds, else `otherwise`.
    ///
    /// ```
    /// use haplat_core::value::Value;
    /// use serde_json::json;
    /// let v: Value<i64> = Value::if_("IsProd", 3.into(), 1.into());
    /// assert_eq!(v.to_json(), json!({"Fn::If": ["IsProd", 3, 1]}));
    /// ```
    pub fn if_(condition: impl Into<String>, then: Value<T>, otherwise: Value<T>) -> Self {
        Self::from_expr(Expr::If(condition.into(), Box::new(then.expr), Box::new(otherwise.expr)))
    }

    /// Reinterprets the value as another type, keeping its expression: the escape hatch for
    /// feeding a `Value<String>` (a parameter, a `Fn::Sub`) to a field of an enum type.
    ///
    /// ```
    /// use haplat_core::value::Value;
    /// use serde_json::json;
    /// let mode: Value<String> = Value::ref_name("Mode");
    /// let as_other: Value<bool> = mode.cast();
    /// assert_eq!(as_other.to_json(), json!({"Ref": "Mode"}));
    /// ```
    pub fn cast<U>(self) -> Value<U> {
        Value::from_expr(self.expr)
    }

    /// `{"Ref": "AWS::NoValue"}`: the property is left out (use inside [`Value::if_`]).
    pub fn no_value() -> Self {
        Self::from_expr(Pseudo::NoValue.expr())
    }

    /// `Fn::FindInMap`: a value from a mapping of the template.
    ///
    /// ```
    /// use haplat_core::value::{Value, Pseudo};
    /// use serde_json::json;
    /// let cidr: Value<String> = Value::find_in_map("RegionConfig", Pseudo::Region.value(), "VpcCidr".into());
    /// assert_eq!(cidr.to_json(), json!({"Fn::FindInMap": ["RegionConfig", {"Ref": "AWS::Region"}, "VpcCidr"]}));
    /// ```
    pub fn find_in_map(map: impl Into<String>, top: Value<String>, second: Value<String>) -> Self {
        Self::from_expr(Expr::FindInMap(map.into(), Box::new(top.expr), Box::new(second.expr)))
    }

    /// `Fn::Select`: item `index` of a list.
    ///
    /// ```
    /// use haplat_core::value::{Value, List};
    /// use serde_json::json;
    /// let az: Value<String> = Value::select(0, List::get_azs(""));
    /// assert_eq!(az.to_json(), json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]}));
    /// ```
    pub fn select(index: impl Into<Value<i64>>, list: List<Value<T>>) -> Self {
        Self::from_expr(Expr::Select(Box::new(index.into().expr), Box::new(list.expr)))
    }
}

impl<T: Into<Expr>> Value<T> {
    /// A literal.
    pub fn literal(v: T) -> Self {
        Self::from_expr(v.into())
    }
}

impl Value<String> {
    /// `Fn::Sub` with the template's own names (`${AWS::Region}`, `${MyParam}`).
    pub fn sub(template: impl Into<String>) -> Self {
        Self::from_expr(Expr::Sub(template.into(), BTreeMap::new()))
    }

    /// `Fn::Sub` with a variable map.
    ///
    /// ```
    /// use haplat_core::value::{Value, Pseudo};
    /// use serde_json::json;
    /// let v = Value::sub_with("arn:${P}:s3:::${B}/*", [("P", Pseudo::Partition.value()), ("B", "logs".into())]);
    /// assert_eq!(v.to_json(), json!({"Fn::Sub": ["arn:${P}:s3:::${B}/*", {"B": "logs", "P": {"Ref": "AWS::Partition"}}]}));
    /// ```
    pub fn sub_with<K: Into<String>>(
        template: impl Into<String>,
        vars: impl IntoIterator<Item = (K, Value<String>)>,
    ) -> Self {
        let vars = vars.into_iter().map(|(k, v)| (k.into(), v.expr)).collect();
        Self::from_expr(Expr::Sub(template.into(), vars))
    }

    /// `Fn::Join` of string values.
    ///
    /// ```
    /// use haplat_core::value::{Value, Pseudo};
    /// use serde_json::json;
    /// let v = Value::join("-", [Pseudo::StackName.value(), "web".into()]);
    /// assert_eq!(v.to_json(), json!({"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, "web"]]}));
    /// ```
    pub fn join(delimiter: impl Into<String>, parts: impl IntoIterator<Item = Value<String>>) -> Self {
        let parts = Expr::List(parts.into_iter().map(|p| p.expr).collect());
        Self::from_expr(Expr::Join(delimiter.into(), Box::new(parts)))
    }

    /// `Fn::Join` of a list value.
    pub fn join_list(delimiter: impl Into<String>, list: List<Value<String>>) -> Self {
        Self::from_expr(Expr::Join(delimiter.into(), Box::new(list.expr)))
    }

    /// `Fn::Base64`.
    ///
    /// ```
    /// use haplat_core::value::Value;
    /// use serde_json::json;
    /// assert_eq!(Value::base64("echo hi".into()).to_json(), json!({"Fn::Base64": "echo hi"}));
    /// ```
    pub fn base64(v: Value<String>) -> Self {
        Self::from_expr(Expr::Base64(Box::new(v.expr)))
    }

    /// `Fn::ImportValue` (interoperability with stacks haplat did not make).
    ///
    /// ```
    /// use haplat_core::value::Value;
    /// use serde_json::json;
    /// assert_eq!(Value::import_value("shared-vpc-id".into()).to_json(), json!({"Fn::ImportValue": "shared-vpc-id"}));
    /// ```
    pub fn import_value(name: Value<String>) -> Self {
        Self::from_expr(Expr::ImportValue(Box::new(name.expr)))
    }

    /// `Ref` to a logical name of the same template that the construct tree does not own.
    ///
    /// ```
    /// use haplat_core::value::Value;
    /// use serde_json::json;
    /// assert_eq!(Value::ref_name("Env").to_json(), json!({"Ref": "Env"}));
    /// ```
    pub fn ref_name(name: impl Into<String>) -> Self {
        Self::from_expr(Expr::Ref(RefTarget::Name(name.into())))
    }

    /// `Fn::GetAtt` on a logical name of the same template that the construct tree does not own.
    ///
    /// ```
    /// use haplat_core::value::Value;
    /// use serde_json::json;
    /// assert_eq!(Value::get_att_name("Db", "Endpoint.Address").to_json(), json!({"Fn::GetAtt": ["Db", "Endpoint.Address"]}));
    /// ```
    pub fn get_att_name(name: impl Into<String>, attribute: impl Into<String>) -> Self {
        Self::from_expr(Expr::GetAttName(name.into(), attribute.into()))
    }
}

impl List<Value<String>> {
    /// `Fn::GetAZs` for a region (`""` is the stack's own region).
    ///
    /// ```
    /// use haplat_core::value::List;
    /// use serde_json::json;
    /// assert_eq!(List::get_azs("").to_json(), json!({"Fn::GetAZs": ""}));
    /// ```
    pub fn get_azs(region: impl Into<Value<String>>) -> Self {
        Self::from_expr(Expr::GetAzs(Box::new(region.into().expr)))
    }

    /// `Fn::Split`.
    ///
    /// ```
    /// use haplat_core::value::List;
    /// use serde_json::json;
    /// assert_eq!(List::split(",", "a,b".into()).to_json(), json!({"Fn::Split": [",", "a,b"]}));
    /// ```
    pub fn split(delimiter: impl Into<String>, source: Value<String>) -> Self {
        Self::from_expr(Expr::Split(delimiter.into(), Box::new(source.expr)))
    }

    /// `Fn::Cidr`: `count` blocks of `cidr_bits` host bits carved from `ip_block`.
    ///
    /// ```
    /// use haplat_core::value::List;
    /// use serde_json::json;
    /// let v = List::cidr("10.0.0.0/16".into(), 6.into(), 8.into());
    /// assert_eq!(v.to_json(), json!({"Fn::Cidr": ["10.0.0.0/16", 6, 8]}));
    /// ```
    pub fn cidr(ip_block: Value<String>, count: Value<i64>, cidr_bits: Value<i64>) -> Self {
        Self::from_expr(Expr::Cidr(Box::new(ip_block.expr), Box::new(count.expr), Box::new(cidr_bits.expr)))
    }
}

impl<T> Value<Vec<T>>
where
    T: ToExpr,
{
    /// A literal list of items (each may itself be an intrinsic).
    ///
    /// ```
    /// use haplat_core::value::{List, Value, Pseudo};
    /// use serde_json::json;
    /// let l: List<Value<String>> = List::items(vec!["a".into(), Pseudo::Region.value()]);
    /// assert_eq!(l.to_json(), json!(["a", {"Ref": "AWS::Region"}]));
    /// ```
    pub fn items(items: Vec<T>) -> Self {
        Self::from_expr(Expr::List(items.iter().map(ToExpr::to_expr).collect()))
    }
}

/// A condition expression (`Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not`, `Condition`), used in
/// a template's `Conditions` section.
///
/// ```
/// use haplat_core::value::{Cond, Pseudo};
/// use serde_json::json;
/// let c = Cond::or([
///     Cond::equals(Pseudo::Region.value(), "us-east-1".into()),
///     Cond::not(Cond::and([Cond::named("IsProd"), Cond::named("IsBig")])),
/// ]);
/// assert_eq!(c.to_json(), json!({"Fn::Or": [
///     {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
///     {"Fn::Not": [{"Fn::And": [{"Condition": "IsProd"}, {"Condition": "IsBig"}]}]}
/// ]}));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Cond(pub(crate) Expr);

impl Cond {
    /// `Fn::Equals`.
    pub fn equals(a: Value<String>, b: Value<String>) -> Self {
        Cond(Expr::Equals(Box::new(a.expr), Box::new(b.expr)))
    }
    /// `Fn::And` (2 to 10 conditions).
    pub fn and(conds: impl IntoIterator<Item = Cond>) -> Self {
        Cond(Expr::And(conds.into_iter().map(|c| c.0).collect()))
    }
    /// `Fn::Or` (2 to 10 conditions).
    pub fn or(conds: impl IntoIterator<Item = Cond>) -> Self {
        Cond(Expr::Or(conds.into_iter().map(|c| c.0).collect()))
    }
    /// `Fn::Not` (named after the intrinsic; `!cond` works too).
    #[allow(clippy::should_implement_trait)]
    pub fn not(cond: Cond) -> Self {
        Cond(Expr::Not(Box::new(cond.0)))
    }
    /// Another condition of the template, by name.
    pub fn named(name: impl Into<String>) -> Self {
        Cond(Expr::Condition(name.into()))
    }
    /// The expression.
    pub fn expr(&self) -> &Expr {
        &self.0
    }
    /// Renders without a construct tree.
    pub fn to_json(&self) -> Json {
        self.0.to_json()
    }
}

impl std::ops::Not for Cond {
    type Output = Cond;
    fn not(self) -> Cond {
        Cond::not(self)
    }
}

impl From<&str> for Value<String> {
    fn from(s: &str) -> Self {
        Value::from_expr(Expr::String(s.to_owned()))
    }
}
impl From<String> for Value<String> {
    fn from(s: String) -> Self {
        Value::from_expr(Expr::String(s))
    }
}
impl From<&String> for Value<String> {
    fn from(s: &String) -> Self {
        Value::from_expr(Expr::String(s.clone()))
    }
}
impl From<bool> for Value<bool> {
    fn from(b: bool) -> Self {
        Value::from_expr(Expr::Bool(b))
    }
}
macro_rules! int_value {
    ($($t:ty),*) => {$(
        impl From<$t> for Value<i64> {
            fn from(n: $t) -> Self {
                Value::from_expr(Expr::Number(serde_json::Number::from(n)))
            }
        }
    )*};
}
int_value!(i64, i32, u32, u16, u8, usize);
impl From<f64> for Value<f64> {
    fn from(n: f64) -> Self {
        Value::from_expr(serde_json::Number::from_f64(n).map(Expr::Number).unwrap_or(Expr::Null))
    }
}
impl From<i64> for Value<f64> {
    fn from(n: i64) -> Self {
        Value::from_expr(Expr::Number(n.into()))
    }
}
impl From<i32> for Value<f64> {
    fn from(n: i32) -> Self {
        Value::from_expr(Expr::Number(n.into()))
    }
}
impl<T: ToExpr> From<Vec<T>> for Value<Vec<T>> {
    fn from(items: Vec<T>) -> Self {
        Value::items(items)
    }
}
impl From<Vec<&str>> for Value<Vec<Value<String>>> {
    fn from(items: Vec<&str>) -> Self {
        Value::from_expr(Expr::List(items.into_iter().map(Expr::from).collect()))
    }
}

macro_rules! default_value {
    ($($t:ty => $e:expr),*) => {$(
        impl Default for Value<$t> {
            fn default() -> Self {
                Value::from_expr($e)
            }
        }
    )*};
}
default_value!(String => Expr::String(String::new()), bool => Expr::Bool(false),
    i64 => Expr::Number(0.into()), f64 => Expr::Number(0.into()));

impl<T> Default for Value<Vec<T>> {
    fn default() -> Self {
        Value::from_expr(Expr::List(Vec::new()))
    }
}

/// `Expr::Null`: the default of a required free-form JSON field, reported by
/// [`Validator::required_expr`](crate::resource::Validator::required_expr) when left so.
impl Default for Expr {
    fn default() -> Self {
        Expr::Null
    }
}

/// Anything a property can hold renders to an [`Expr`]. Generated property structs implement
/// this by hand (from the generator), not by serde derive, to keep compile times low.
pub trait ToExpr {
    /// The expression of this value.
    fn to_expr(&self) -> Expr;
}

impl<T> ToExpr for Value<T> {
    fn to_expr(&self) -> Expr {
        self.expr.clone()
    }
}

impl ToExpr for Expr {
    fn to_expr(&self) -> Expr {
        self.clone()
    }
}

impl<T: ToExpr> ToExpr for Vec<T> {
    fn to_expr(&self) -> Expr {
        Expr::List(self.iter().map(ToExpr::to_expr).collect())
    }
}

impl<T: ToExpr> ToExpr for BTreeMap<String, T> {
    fn to_expr(&self) -> Expr {
        Expr::Map(self.iter().map(|(k, v)| (k.clone(), v.to_expr())).collect())
    }
}

impl<T: ToExpr> ToExpr for Box<T> {
    fn to_expr(&self) -> Expr {
        (**self).to_expr()
    }
}

/// A free-form JSON property (`Json` in the schemas: policy documents, dashboards bodies …).
/// It may hold intrinsics anywhere; build it with [`expr_map!`](crate::expr_map) or from
/// `serde_json::json!`.
pub type JsonValue = Expr;

/// A builder for the property map of a generated struct: keeps keys ordered, leaves out unset
/// options.
#[derive(Default)]
pub struct PropMap(BTreeMap<String, Expr>);

impl PropMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }
    /// A required property.
    pub fn req(&mut self, key: &str, v: &impl ToExpr) -> &mut Self {
        self.0.insert(key.to_owned(), v.to_expr());
        self
    }
    /// An optional property: left out when `None`.
    pub fn opt<V: ToExpr>(&mut self, key: &str, v: &Option<V>) -> &mut Self {
        if let Some(v) = v {
            self.0.insert(key.to_owned(), v.to_expr());
        }
        self
    }
    /// The finished map.
    pub fn build(self) -> BTreeMap<String, Expr> {
        self.0
    }
    /// The finished map as an expression.
    pub fn into_expr(self) -> Expr {
        Expr::Map(self.0)
    }
}
