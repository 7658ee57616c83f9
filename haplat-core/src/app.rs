//! The construct tree: an [`App`] owns stacks; a stack is a tree of [`Scope`]s holding
//! resources, parameters and outputs, each addressed by a path of ids
//! (`Platform/Api/Service/TaskRole`).
//!
//! The tree is shared (`Rc<RefCell<…>>`): scopes and stacks are cheap handles that constructs
//! pass around, and resource [`Handle`]s are plain copyable ids.
//!
//! ```
//! use haplat_core::app::App;
//! use haplat_core::resource::{Attribute, Resource, TagStyle};
//! use haplat_core::value::{Expr, PropMap, Value};
//! use std::collections::BTreeMap;
//!
//! // A hand-written resource type (the generated ones under `resources` look the same).
//! #[derive(Clone, Default)]
//! struct Topic { name: Option<Value<String>> }
//! impl Resource for Topic {
//!     const TYPE_NAME: &'static str = "AWS::SNS::Topic";
//!     const ATTRIBUTES: &'static [Attribute] = &[];
//!     const REF_RETURNS: &'static str = "TopicArn";
//!     const CREATE_ONLY: &'static [&'static str] = &["TopicName"];
//!     const STATEFUL: bool = false;
//!     const TAGS: TagStyle = TagStyle::List("Tags");
//!     fn properties(&self) -> BTreeMap<String, Expr> {
//!         let mut m = PropMap::new();
//!         m.opt("TopicName", &self.name);
//!         m.build()
//!     }
//! }
//!
//! let app = App::new("demo");
//! let stack = app.stack("Alerts", "us-east-1");
//! let ops = stack.child("Ops");
//! ops.tag("team", "sre");
//! let topic = ops.add("Topic", Topic { name: Some("alerts".into()) });
//! stack.add_output("TopicArn", topic.ref_(), "Where alarms go");
//!
//! let assembly = app.synth().unwrap();
//! let template = &assembly.templates["demo-Alerts.template.json"];
//! let json: serde_json::Value = serde_json::from_str(template).unwrap();
//! let id = assembly.manifest.stacks[0].resources.keys().next().unwrap().clone();
//! assert_eq!(json["Resources"][&id]["Properties"]["Tags"], serde_json::json!([{"Key": "team", "Value": "sre"}]));
//! assert_eq!(json["Outputs"]["TopicArn"]["Value"], serde_json::json!({"Ref": id}));
//! ```

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::error::Error;
use crate::manifest::OperationPreferences;
pub use crate::node::NodeId;
use crate::resource::{AnyResource, Handle, Resource};
use crate::value::{Cond, Expr, NodeRef, RefTarget, Value};

/// What CloudFormation does with a resource when it is deleted from the stack or replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Delete it (CloudFormation's default).
    Delete,
    /// Keep it (haplat's default for stateful resources).
    Retain,
    /// Keep a snapshot, then delete it (for types that support snapshots).
    Snapshot,
    /// Keep it when the stack is deleted, but delete it on a rollback of its creation.
    RetainExceptOnCreate,
}

impl Policy {
    /// The name CloudFormation uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Delete => "Delete",
            Policy::Retain => "Retain",
            Policy::Snapshot => "Snapshot",
            Policy::RetainExceptOnCreate => "RetainExceptOnCreate",
        }
    }
}

/// A template parameter, with CloudFormation's constraints.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parameter {
    /// `String` (default), `Number`, `CommaDelimitedList`, `List<Number>`, an AWS-specific type
    /// (`AWS::EC2::VPC::Id`) or an SSM parameter type.
    pub type_: Option<String>,
    /// The default value.
    pub default: Option<String>,
    /// What the parameter is for.
    pub description: Option<String>,
    /// The only values allowed.
    pub allowed_values: Vec<String>,
    /// A regular expression the value must match.
    pub allowed_pattern: Option<String>,
    /// What to say when a constraint is not met.
    pub constraint_description: Option<String>,
    /// Minimum length of a string value.
    pub min_length: Option<u32>,
    /// Maximum length of a string value.
    pub max_length: Option<u32>,
    /// Minimum of a number value.
    pub min_value: Option<f64>,
    /// Maximum of a number value.
    pub max_value: Option<f64>,
    /// Hide the value in the console and API answers.
    pub no_echo: bool,
    /// Known values per region, passed as parameter overrides at deploy (`*` for every region).
    pub values: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct ResourceOptions {
    pub depends_on: Vec<NodeId>,
    pub condition: Option<String>,
    pub deletion_policy: Option<Policy>,
    pub update_replace_policy: Option<Policy>,
    pub update_policy: Option<Expr>,
    pub creation_policy: Option<Expr>,
    pub metadata: BTreeMap<String, Expr>,
    pub logical_id: Option<String>,
}

pub(crate) enum NodeKind {
    Stack(StackData),
    Scope,
    Resource(Box<dyn AnyResource>, ResourceOptions),
    Parameter(Parameter),
}

pub(crate) struct StackData {
    pub name: String,
    pub regions: Vec<String>,
    pub stack_set: bool,
    pub description: Option<String>,
    pub transforms: Vec<String>,
    pub conditions: BTreeMap<String, Expr>,
    pub mappings: BTreeMap<String, BTreeMap<String, BTreeMap<String, Expr>>>,
    pub outputs: BTreeMap<String, (Expr, Option<String>, Option<String>)>,
    pub preferences: OperationPreferences,
    pub deployment: crate::manifest::Deployment,
}

pub(crate) struct Node {
    pub id: String,
    pub parent: Option<NodeId>,
    pub children: BTreeMap<String, NodeId>,
    pub kind: NodeKind,
    pub tags: BTreeMap<String, String>,
    /// Suppressions set on this node, for every resource at or below it.
    pub suppressions: Vec<(CheckRule, String)>,
}

pub(crate) struct Tree {
    /// This app's number, in every [`NodeId`] it makes.
    pub app: u32,
    pub name: String,
    pub nodes: Vec<Node>,
    /// Top-level stacks in the order they were added.
    pub stacks: Vec<NodeId>,
    pub app_tags: BTreeMap<String, String>,
    pub objectives: Option<crate::manifest::Objectives>,
    pub rollout: Option<crate::manifest::Rollout>,
    pub errors: Vec<Error>,
    /// The state libraries keep per app ([`App::extension`]), by type.
    pub extensions: BTreeMap<TypeId, Rc<dyn Any>>,
    /// The checks run at each synthesis ([`App::add_check`]), by name, in the order added.
    pub checks: Vec<(&'static str, Check)>,
}

/// A check of the whole app run at each synthesis ([`App::add_check`]).
pub(crate) type Check = fn(&App);

/// What a node of another app is called in errors.
pub(crate) const FOREIGN: &str =
    "a resource of another App (a handle is valid only in the app that made it; build every construct in one App)";

impl Tree {
    /// Whether `id` is a node of this app.
    pub(crate) fn owns(&self, id: NodeId) -> bool {
        id.app == self.app && id.index() < self.nodes.len()
    }

    /// The id of this app's node at `index`.
    pub(crate) fn id_at(&self, index: usize) -> NodeId {
        NodeId { app: self.app, index: u32::try_from(index).expect("fewer than 2^32 constructs") }
    }

    /// Records that `at` was given a node of another app.
    pub(crate) fn foreign(&mut self, at: NodeId, what: &str) {
        let path = self.path(at);
        self.errors.push(Error::Reference { path, message: format!("{what}: {FOREIGN}") });
    }

    pub(crate) fn path(&self, mut id: NodeId) -> String {
        let mut parts = Vec::new();
        loop {
            let n = &self.nodes[id.index()];
            parts.push(n.id.as_str());
            match n.parent {
                Some(p) => id = p,
                None => break,
            }
        }
        parts.reverse();
        parts.join("/")
    }

    /// The stack a node belongs to.
    pub(crate) fn stack_of(&self, mut id: NodeId) -> NodeId {
        while let Some(p) = self.nodes[id.index()].parent {
            id = p;
        }
        id
    }

    pub(crate) fn stack(&self, id: NodeId) -> &StackData {
        match &self.nodes[id.index()].kind {
            NodeKind::Stack(s) => s,
            _ => unreachable!("node {} is not a stack", id.index()),
        }
    }

    fn stack_mut(&mut self, id: NodeId) -> &mut StackData {
        match &mut self.nodes[id.index()].kind {
            NodeKind::Stack(s) => s,
            _ => unreachable!("node {} is not a stack", id.index()),
        }
    }

    fn add_node(&mut self, parent: Option<NodeId>, id: &str, kind: NodeKind) -> NodeId {
        let node = self.id_at(self.nodes.len());
        let mut key = id.to_owned();
        if let Some(p) = parent {
            if let Err(why) = check_id(id) {
                self.errors.push(Error::InvalidId { path: format!("{}/{id}", self.path(p)), why });
            }
            if self.nodes[p.index()].children.contains_key(id) {
                self.errors.push(Error::DuplicateId { path: format!("{}/{id}", self.path(p)) });
                // Keep the tree usable so that every other problem is reported in the same run.
                key = format!("{id}\u{0}{}", node.index);
            }
            self.nodes[p.index()].children.insert(key, node);
        }
        self.nodes.push(Node {
            id: id.to_owned(),
            parent,
            children: BTreeMap::new(),
            kind,
            tags: BTreeMap::new(),
            suppressions: Vec::new(),
        });
        node
    }
}

/// Construct ids: not empty, no `/`, printable, at most 128 characters.
fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("an id cannot be empty".into());
    }
    if id.contains('/') {
        return Err("an id cannot contain '/', which separates the parts of a path".into());
    }
    if id.chars().any(|c| c.is_control()) {
        return Err("an id cannot contain control characters".into());
    }
    if !id.chars().any(|c| c.is_ascii_alphanumeric()) {
        return Err("an id needs at least one ASCII letter or digit to make a logical id from".into());
    }
    if id.chars().count() > 128 {
        return Err("an id is at most 128 characters".into());
    }
    Ok(())
}

/// The root of a haplat program: a named set of stacks.
#[derive(Clone)]
pub struct App {
    pub(crate) tree: Rc<RefCell<Tree>>,
}

impl App {
    /// A new app. Its name prefixes every stack name (`<app>-<stack id>`), so put the
    /// environment in it (`shop-prod`).
    pub fn new(name: impl Into<String>) -> App {
        // Each app numbers its nodes apart from every other app's in the process.
        static APPS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let name = name.into();
        let tree = Tree {
            app: APPS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            name: name.clone(),
            nodes: Vec::new(),
            stacks: Vec::new(),
            app_tags: BTreeMap::new(),
            objectives: None,
            rollout: None,
            errors: Vec::new(),
            extensions: BTreeMap::new(),
            checks: Vec::new(),
        };
        let app = App { tree: Rc::new(RefCell::new(tree)) };
        if let Err(why) = crate::validate::check_stack_name(&name) {
            app.tree.borrow_mut().errors.push(Error::InvalidAppName { name, why });
        }
        app
    }

    /// The app's name.
    pub fn name(&self) -> String {
        self.tree.borrow().name.clone()
    }

    /// A stack deployed to one region (as a stack set with one instance).
    pub fn stack(&self, id: &str, region: &str) -> Stack {
        self.add_stack(id, vec![region.to_owned()], false)
    }

    /// A stack deployed to every region given: one template, one stack set, one instance per
    /// region. What differs per region comes from [`Stack::region_value`].
    pub fn stack_set<S: AsRef<str>>(&self, id: &str, regions: &[S]) -> Stack {
        self.add_stack(id, regions.iter().map(|r| r.as_ref().to_owned()).collect(), true)
    }

    fn add_stack(&self, id: &str, regions: Vec<String>, stack_set: bool) -> Stack {
        let mut t = self.tree.borrow_mut();
        let name = format!("{}-{id}", t.name);
        let data = StackData {
            name,
            regions,
            stack_set,
            description: None,
            transforms: Vec::new(),
            conditions: BTreeMap::new(),
            mappings: BTreeMap::new(),
            outputs: BTreeMap::new(),
            preferences: OperationPreferences::default(),
            deployment: crate::manifest::Deployment::default(),
        };
        if let Err(why) = check_id(id) {
            t.errors.push(Error::InvalidId { path: id.to_owned(), why });
        }
        let duplicate = t.stacks.iter().any(|s| t.nodes[s.index()].id == id);
        if duplicate {
            t.errors.push(Error::DuplicateId { path: id.to_owned() });
        }
        let node = t.add_node(None, id, NodeKind::Stack(data));
        t.stacks.push(node);
        drop(t);
        Stack { scope: Scope { tree: self.tree.clone(), node } }
    }

    /// Sets a tag on every taggable resource of every stack (closer tags win, see
    /// [`Scope::tag`]).
    pub fn tag(&self, key: impl Into<String>, value: impl Into<String>) {
        self.tree.borrow_mut().app_tags.insert(key.into(), value.into());
    }

    /// Declares what the platform promises (written to the manifest; `haplat check` proves the
    /// templates' settings can meet it). Stating other objectives a second time is an error.
    pub fn objectives(&self, objectives: crate::manifest::Objectives) {
        let mut t = self.tree.borrow_mut();
        let path = t.name.clone();
        if let Some(p) = objectives.availability_percent
            && !(p > 0.0 && p < 100.0)
        {
            let message = format!("objectives: availability_percent {p} must be above 0 and below 100");
            t.errors.push(Error::Construct { path: path.clone(), message });
        }
        if objectives.latency_p99_ms == Some(0) {
            let message = "objectives: latency_p99_ms must be above 0".to_owned();
            t.errors.push(Error::Construct { path: path.clone(), message });
        }
        match t.objectives.clone() {
            Some(before) if before != objectives => {
                let message = "objectives declared twice, with different values; declare them once".to_owned();
                t.errors.push(Error::Construct { path, message });
            }
            _ => t.objectives = Some(objectives),
        }
    }

    /// Declares how `haplat deploy` rolls changes out (written to the manifest; its flags
    /// override it): every stack set deployed to the rollout's first region goes there alone
    /// first, and its other regions follow after its bake time of its alarms staying OK
    /// ([`Rollout`](crate::manifest::Rollout): a first account too, a policy per stack set). The
    /// first region must be a region of a stack set of the app, the first account an account of
    /// one, and each stack set named a stack set of the app; declaring another rollout a second
    /// time is an error.
    pub fn rollout(&self, rollout: crate::manifest::Rollout) {
        let mut t = self.tree.borrow_mut();
        match t.rollout.clone() {
            Some(before) if before != rollout => {
                let path = t.name.clone();
                let message = format!(
                    "rollout declared twice ({} first, then {} first); declare it once",
                    before.first_region, rollout.first_region
                );
                t.errors.push(Error::Construct { path, message });
            }
            _ => t.rollout = Some(rollout),
        }
    }

    /// Every stack, in the order added.
    pub fn stacks(&self) -> Vec<Stack> {
        let t = self.tree.borrow();
        t.stacks.iter().map(|&node| Stack { scope: Scope { tree: self.tree.clone(), node } }).collect()
    }

    /// The app's one value of type `T`, made by `T::default()` on first use: state a library
    /// keeps across its constructs, such as the facts a cross-construct check reads
    /// ([`App::add_check`]).
    ///
    /// ```
    /// let app = haplat_core::App::new("shop");
    /// app.extension::<Vec<String>>().borrow_mut().push("Api".into());
    /// assert_eq!(app.extension::<Vec<String>>().borrow().len(), 1);
    /// ```
    pub fn extension<T: Default + 'static>(&self) -> Rc<RefCell<T>> {
        let existing = self.tree.borrow().extensions.get(&TypeId::of::<T>()).cloned();
        if let Some(Ok(state)) = existing.map(|any| any.downcast::<RefCell<T>>()) {
            return state;
        }
        let state = Rc::new(RefCell::new(T::default()));
        self.tree.borrow_mut().extensions.insert(TypeId::of::<T>(), state.clone());
        state
    }

    /// Runs `check` at each synthesis, before anything is rendered, so that it can look at
    /// every construct at once and report with [`App::error_at`]; a check of the same `name`
    /// added again is ignored (each construct that needs it can add it). Its errors join the
    /// others of that synthesis.
    pub fn add_check(&self, name: &'static str, check: fn(&App)) {
        let mut t = self.tree.borrow_mut();
        if !t.checks.iter().any(|(n, _)| *n == name) {
            t.checks.push((name, check));
        }
    }

    /// Reports a problem of the construct at `path` (as [`Scope::error`] does for its own).
    pub fn error_at(&self, path: &str, message: impl Into<String>) {
        self.tree.borrow_mut().errors.push(Error::Construct { path: path.to_owned(), message: message.into() });
    }

    /// Every resource of type `R` in the app, in the order added.
    pub fn resources<R: Resource>(&self) -> Vec<Handle<R>> {
        let t = self.tree.borrow();
        (0..t.nodes.len())
            .filter(|&i| matches!(&t.nodes[i].kind, NodeKind::Resource(r, _) if r.as_any().is::<R>()))
            .map(|i| Handle::new(t.id_at(i)))
            .collect()
    }

    /// The path of a node of this app (`Api/Orders/Service`); `?` for a node of another app.
    pub fn path_of(&self, node: impl Into<NodeId>) -> String {
        let t = self.tree.borrow();
        let node = node.into();
        if t.owns(node) { t.path(node) } else { "?".to_owned() }
    }

    /// The regions of the stack a node of this app belongs to (none for a node of another app).
    pub fn regions_of(&self, node: impl Into<NodeId>) -> Vec<String> {
        let t = self.tree.borrow();
        let node = node.into();
        if t.owns(node) { t.stack(t.stack_of(node)).regions.clone() } else { Vec::new() }
    }

    /// Reads the properties of a resource of this app (`f` reads the type's defaults for a
    /// handle of another app).
    pub fn read<R: Resource + Default, T>(&self, handle: Handle<R>, f: impl FnOnce(&R) -> T) -> T {
        let t = self.tree.borrow();
        if !t.owns(handle.node()) {
            return f(&R::default());
        }
        match &t.nodes[handle.node().index()].kind {
            NodeKind::Resource(r, _) => f(r.as_any().downcast_ref::<R>().unwrap_or(&R::default())),
            _ => f(&R::default()),
        }
    }
}

/// A scope of the construct tree: the place where constructs add children.
#[derive(Clone)]
pub struct Scope {
    tree: Rc<RefCell<Tree>>,
    node: NodeId,
}

impl Scope {
    /// A child scope (a construct) with this id.
    pub fn child(&self, id: &str) -> Scope {
        let node = self.tree.borrow_mut().add_node(Some(self.node), id, NodeKind::Scope);
        Scope { tree: self.tree.clone(), node }
    }

    /// Adds a resource with this id; its logical id comes from its path.
    pub fn add<R: Resource>(&self, id: &str, props: R) -> Handle<R> {
        let kind = NodeKind::Resource(Box::new(props), ResourceOptions::default());
        Handle::new(self.tree.borrow_mut().add_node(Some(self.node), id, kind))
    }

    /// Changes the properties of a resource already added (a construct adding a statement to a
    /// policy, say).
    pub fn update<R: Resource>(&self, handle: Handle<R>, f: impl FnOnce(&mut R)) {
        let mut t = self.tree.borrow_mut();
        if !t.owns(handle.node()) {
            return t.foreign(self.node, "update");
        }
        if let NodeKind::Resource(r, _) = &mut t.nodes[handle.node().index()].kind
            && let Some(r) = r.as_any_mut().downcast_mut::<R>()
        {
            f(r);
        }
    }

    /// Reads the properties of a resource already added (a handle of another app is an error,
    /// and `f` reads the type's defaults).
    pub fn read<R: Resource + Default, T>(&self, handle: Handle<R>, f: impl FnOnce(&R) -> T) -> T {
        if !self.tree.borrow().owns(handle.node()) {
            self.tree.borrow_mut().foreign(self.node, "read");
            return f(&R::default());
        }
        let t = self.tree.borrow();
        match &t.nodes[handle.node().index()].kind {
            NodeKind::Resource(r, _) => f(r.as_any().downcast_ref::<R>().expect("handle type matches its node")),
            _ => unreachable!("a handle always points at a resource"),
        }
    }

    /// The options of a resource (`DependsOn`, `Condition`, policies, metadata).
    pub fn options(&self, resource: impl Into<NodeId>) -> Options {
        let node = resource.into();
        if !self.tree.borrow().owns(node) {
            // Recorded once here; setting the options then does nothing.
            self.tree.borrow_mut().foreign(self.node, "options");
        }
        Options { tree: self.tree.clone(), node }
    }

    /// Sets a tag on every taggable resource below this scope. A tag set on a closer scope wins
    /// over one set further up; a tag written in a resource's own `Tags` wins over all.
    pub fn tag(&self, key: impl Into<String>, value: impl Into<String>) {
        self.tree.borrow_mut().nodes[self.node.index()].tags.insert(key.into(), value.into());
    }

    /// Suppresses a check on every resource at or below this scope, with the reason a reviewer
    /// reads. The reason must not be empty (an empty one is a synthesis error naming this path).
    ///
    /// The suppression is written into each resource's `Metadata` in the form the scanner reads
    /// (see [`CheckRule`]): `haplat check` shows it next to the finding it silences.
    ///
    /// ```
    /// use haplat_core::app::{App, CheckRule};
    /// let app = App::new("demo");
    /// let data = app.stack("Data", "us-east-1");
    /// data.suppress("HAP003", "the vault is adopted by name on the next deploy");
    /// data.suppress(CheckRule::Checkov("CKV_AWS_119".into()), "encrypted with the AWS owned key on purpose");
    /// ```
    pub fn suppress(&self, rule: impl Into<CheckRule>, reason: &str) {
        add_suppression(&self.tree, self.node, rule.into(), reason);
    }

    /// Checks `id` as a construct id under this scope (as [`Scope::child`] and [`Scope::add`]
    /// do), recording an error at `<path>/<id>` when it is not one: for a construct that uses
    /// its id only as the prefix of the ids of what it adds (`<id>Queue`, `<id>DeadLetters`),
    /// so that an empty or hostile id is refused, not silently a prefix of nothing.
    pub fn check_id(&self, id: &str) {
        if let Err(why) = check_id(id) {
            let path = format!("{}/{id}", self.path());
            self.tree.borrow_mut().errors.push(Error::InvalidId { path, why });
        }
    }

    /// Whether this scope already has a child (construct, resource or parameter) of that id: for
    /// a construct that adds one shared part per stack on first use.
    pub fn has_child(&self, id: &str) -> bool {
        self.tree.borrow().nodes[self.node.index()].children.contains_key(id)
    }

    /// Adds a parameter to the stack of this scope; its logical id comes from its path.
    pub fn add_parameter(&self, id: &str, parameter: Parameter) -> Value<String> {
        let node = self.tree.borrow_mut().add_node(Some(self.node), id, NodeKind::Parameter(parameter));
        Value::from_expr(Expr::Ref(RefTarget::Node(NodeRef { node, region: None })))
    }

    /// Reports a problem of the construct at this scope: synthesis fails and names the path.
    /// Constructs use it to check their inputs without panicking, so that every problem of a
    /// program is reported in one run.
    pub fn error(&self, message: impl Into<String>) {
        let path = self.path();
        self.tree.borrow_mut().errors.push(Error::Construct { path, message: message.into() });
    }

    /// The construct path of this scope (`Stack/Api/Service`).
    pub fn path(&self) -> String {
        self.tree.borrow().path(self.node)
    }

    /// The path of any node.
    pub fn path_of(&self, node: impl Into<NodeId>) -> String {
        let node = node.into();
        let t = self.tree.borrow();
        if t.owns(node) { t.path(node) } else { FOREIGN.to_owned() }
    }

    /// The node of this scope.
    pub fn node(&self) -> NodeId {
        self.node
    }

    /// The stack this scope belongs to.
    pub fn stack(&self) -> Stack {
        let node = self.tree.borrow().stack_of(self.node);
        Stack { scope: Scope { tree: self.tree.clone(), node } }
    }

    /// The app.
    pub fn app(&self) -> App {
        App { tree: self.tree.clone() }
    }
}

/// A stack: a scope at the top of the tree, deployed as one stack set.
#[derive(Clone)]
pub struct Stack {
    scope: Scope,
}

impl std::ops::Deref for Stack {
    type Target = Scope;
    fn deref(&self) -> &Scope {
        &self.scope
    }
}

impl Stack {
    /// The stack's construct id.
    pub fn id(&self) -> String {
        self.scope.tree.borrow().nodes[self.scope.node.index()].id.clone()
    }

    /// The CloudFormation stack set name (`<app>-<id>` unless set).
    pub fn name(&self) -> String {
        self.data(|s| s.name.clone())
    }

    /// Names the stack set.
    pub fn set_name(&self, name: impl Into<String>) {
        self.data_mut(|s| s.name = name.into());
    }

    /// The regions the stack is deployed to.
    pub fn regions(&self) -> Vec<String> {
        self.data(|s| s.regions.clone())
    }

    /// Whether this is a multi-region stack set (as opposed to a single-region stack).
    pub fn is_stack_set(&self) -> bool {
        self.data(|s| s.stack_set)
    }

    /// The template's description (at most 1024 bytes, CloudFormation's limit: an error naming
    /// the stack otherwise).
    pub fn set_description(&self, description: impl Into<String>) {
        let description = description.into();
        if description.len() > 1024 {
            self.error(format!("description of {} bytes: CloudFormation takes at most 1024", description.len()));
        }
        self.data_mut(|s| s.description = Some(description));
    }

    /// Adds a transform (`AWS::Serverless-2016-10-31`, `AWS::LanguageExtensions`, or a macro
    /// of the account): a name without whitespace, or an error naming the stack.
    pub fn add_transform(&self, name: impl Into<String>) {
        let name = name.into();
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            self.error(format!("transform {name:?}: a transform or macro name has no whitespace and is not empty"));
        }
        self.data_mut(|s| {
            if !s.transforms.contains(&name) {
                s.transforms.push(name)
            }
        });
    }

    /// Stack set operation preferences for deploys of this stack. A region concurrency other
    /// than `PARALLEL` or `SEQUENTIAL`, or a maximum concurrent count of 0, is an error naming the
    /// stack (StackSets refuses both).
    pub fn set_operation_preferences(&self, p: OperationPreferences) {
        if let Some(c) = p.region_concurrency.as_deref()
            && c != "PARALLEL"
            && c != "SEQUENTIAL"
        {
            self.error(format!("operation preferences: region concurrency {c:?} is not PARALLEL or SEQUENTIAL"));
        }
        if p.max_concurrent_count == Some(0) {
            self.error("operation preferences: a maximum concurrent count of 0 runs nothing; use 1 or more");
        }
        self.data_mut(|s| s.preferences = p);
    }

    /// The accounts (or organizational units) the stack set deploys to and its permission model
    /// (default: self-managed, this account). Malformed ids are reported at synth, one line
    /// each naming the stack.
    pub fn set_deployment(&self, deployment: crate::manifest::Deployment) {
        for problem in deployment.problems("deployment") {
            self.error(problem);
        }
        self.data_mut(|s| s.deployment = deployment);
    }

    /// Adds a named condition to the template; returns its name for [`Value::if_`] and
    /// [`Options::condition`].
    pub fn add_condition(&self, name: &str, condition: Cond) -> String {
        self.name_check("condition", name);
        let clash = self.data_mut(|s| insert_once(&mut s.conditions, name, condition.0));
        self.clash(clash, "condition", name);
        name.to_owned()
    }

    /// Adds a mapping (`top key → second key → value`) to the template; returns its name for
    /// [`Value::find_in_map`].
    pub fn add_mapping(&self, name: &str, map: BTreeMap<String, BTreeMap<String, Expr>>) -> String {
        self.name_check("mapping", name);
        if name == crate::REGION_MAPPING {
            self.error(format!("mapping {name:?} is haplat's (region_value writes it); choose another name"));
            return name.to_owned();
        }
        for key in map.values().flat_map(BTreeMap::keys) {
            self.name_check(&format!("mapping {name:?} key"), key);
        }
        let clash = self.data_mut(|s| insert_once(&mut s.mappings, name, map));
        self.clash(clash, "mapping", name);
        name.to_owned()
    }

    /// A value that differs per region of the stack set, looked up at deploy from the
    /// `RegionConfig` mapping by `AWS::Region`. Every region of the stack needs a value; a missing
    /// one is a synthesis error naming the path.
    ///
    /// ```
    /// use haplat_core::app::App;
    /// use serde_json::json;
    /// let app = App::new("demo");
    /// let api = app.stack_set("Api", &["us-east-1", "eu-west-1"]);
    /// let cidr = api.region_value("VpcCidr", [("us-east-1", "10.0.0.0/16"), ("eu-west-1", "10.1.0.0/16")]);
    /// assert_eq!(cidr.to_json(), json!({"Fn::FindInMap": ["RegionConfig", {"Ref": "AWS::Region"}, "VpcCidr"]}));
    /// ```
    pub fn region_value<K: AsRef<str>, V: Into<Expr>>(
        &self,
        key: &str,
        values: impl IntoIterator<Item = (K, V)>,
    ) -> Value<String> {
        let values: BTreeMap<String, Expr> =
            values.into_iter().map(|(r, v)| (r.as_ref().to_owned(), v.into())).collect();
        self.name_check("region value", key);
        let regions = self.regions();
        let missing: Vec<&String> = regions.iter().filter(|r| !values.contains_key(*r)).collect();
        if !missing.is_empty() {
            self.error(format!(
                "region value {key:?} has no value for {}",
                missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        let extra: Vec<&String> = values.keys().filter(|r| !regions.contains(r)).collect();
        if !extra.is_empty() {
            self.error(format!(
                "region value {key:?} names regions the stack is not deployed to: {}",
                extra.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        let clash = self.data_mut(|s| {
            let map = s.mappings.entry(crate::REGION_MAPPING.to_owned()).or_default();
            let mut clash = false;
            for (region, v) in values {
                clash |= insert_once(map.entry(region).or_default(), key, v);
            }
            clash
        });
        self.clash(clash, "region value", key);
        Value::find_in_map(crate::REGION_MAPPING, crate::value::Pseudo::Region.value(), key.into())
    }

    /// Adds an output to the template.
    pub fn add_output(&self, id: &str, value: impl Into<Expr>, description: &str) {
        self.name_check("output", id);
        let value = value.into();
        let description = (!description.is_empty()).then(|| description.to_owned());
        let clash = self.data_mut(|s| insert_once(&mut s.outputs, id, (value, description, None)));
        self.clash(clash, "output", id);
    }

    /// A name CloudFormation takes only alphanumeric (logical names, mapping keys): anything else
    /// is an error naming it.
    fn name_check(&self, what: &str, name: &str) {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            self.error(format!("{what} {name:?}: CloudFormation takes only letters and digits (A-Z, a-z, 0-9) here"));
        }
    }

    fn clash(&self, clash: bool, what: &str, name: &str) {
        if clash {
            self.error(format!(
                "{what} {name:?} is defined twice with different values; the second would silently replace the first: \
                 give it another name"
            ));
        }
    }

    fn data<T>(&self, f: impl FnOnce(&StackData) -> T) -> T {
        f(self.scope.tree.borrow().stack(self.scope.node))
    }

    fn data_mut<T>(&self, f: impl FnOnce(&mut StackData) -> T) -> T {
        f(self.scope.tree.borrow_mut().stack_mut(self.scope.node))
    }
}

/// The options of one resource, set in place.
pub struct Options {
    tree: Rc<RefCell<Tree>>,
    node: NodeId,
}

impl Options {
    fn with(&self, f: impl FnOnce(&mut ResourceOptions)) -> &Self {
        let mut t = self.tree.borrow_mut();
        if !t.owns(self.node) {
            return self;
        }
        let path = t.path(self.node);
        match &mut t.nodes[self.node.index()].kind {
            NodeKind::Resource(_, o) => f(o),
            _ => t.errors.push(Error::Construct {
                path,
                message: "resource options set on a node that is not a resource".into(),
            }),
        }
        self
    }

    /// `DependsOn`: create this resource after `other` (same stack only).
    pub fn depends_on(&self, other: impl Into<NodeId>) -> &Self {
        let other = other.into();
        let (owns_self, owns_other) = {
            let t = self.tree.borrow();
            (t.owns(self.node), t.owns(other))
        };
        if !owns_self {
            return self;
        }
        if !owns_other {
            self.tree.borrow_mut().foreign(self.node, "depends_on");
            return self;
        }
        self.with(|o| {
            if !o.depends_on.contains(&other) {
                o.depends_on.push(other)
            }
        })
    }

    /// `Condition`: create the resource only when the named condition holds.
    pub fn condition(&self, name: impl Into<String>) -> &Self {
        let name = name.into();
        self.with(|o| o.condition = Some(name))
    }

    /// `DeletionPolicy` (stateful resources default to `Retain`).
    pub fn deletion_policy(&self, p: Policy) -> &Self {
        self.with(|o| o.deletion_policy = Some(p))
    }

    /// `UpdateReplacePolicy` (stateful resources default to `Retain`).
    pub fn update_replace_policy(&self, p: Policy) -> &Self {
        self.with(|o| o.update_replace_policy = Some(p))
    }

    /// `UpdatePolicy`.
    pub fn update_policy(&self, p: impl Into<Expr>) -> &Self {
        let p = p.into();
        self.with(|o| o.update_policy = Some(p))
    }

    /// `CreationPolicy`.
    pub fn creation_policy(&self, p: impl Into<Expr>) -> &Self {
        let p = p.into();
        self.with(|o| o.creation_policy = Some(p))
    }

    /// A `Metadata` entry (`haplat:path` is always written).
    pub fn metadata(&self, key: impl Into<String>, value: impl Into<Expr>) -> &Self {
        let (key, value) = (key.into(), value.into());
        self.with(|o| {
            o.metadata.insert(key, value);
        })
    }

    /// Suppresses a check on this resource only, with a non-empty reason (see
    /// [`Scope::suppress`]).
    pub fn suppress(&self, rule: impl Into<CheckRule>, reason: &str) -> &Self {
        add_suppression(&self.tree, self.node, rule.into(), reason);
        self
    }

    /// Fixes the logical id instead of deriving it from the path (to adopt a resource of a
    /// stack written by hand). Must be unique in the stack and alphanumeric.
    pub fn logical_id(&self, id: impl Into<String>) -> &Self {
        let id = id.into();
        self.with(|o| o.logical_id = Some(id))
    }
}

/// A check that a suppression names: one of haplat's own rules (`haplat check`) or a rule of
/// another scanner that reads CloudFormation templates.
///
/// `From<&str>` tells them apart by the shape of the id, because the four scanners' ids do not
/// overlap: haplat's are `HAP` and digits, checkov's start with `CKV_` or `CKV2_`, cfn_nag's are
/// `W` or `F` and digits, and cfn-guard's rule names are upper-case words joined by `_`
/// (`S3_BUCKET_SSL_REQUESTS_ONLY`, the guard rules registry's) or AWS Control Tower control ids
/// (`CT.S3.PR.2`, the proactive controls'). So one call serves all four. An id of no known shape is
/// taken as haplat's and rejected at synthesis (a typo must not silently become another
/// scanner's suppression); write a variant out to be explicit.
///
/// ```
/// use haplat_core::app::CheckRule;
/// assert_eq!(CheckRule::from("HAP003"), CheckRule::Haplat("HAP003".into()));
/// assert_eq!(CheckRule::from("CKV_AWS_91"), CheckRule::Checkov("CKV_AWS_91".into()));
/// assert_eq!(CheckRule::from("W28"), CheckRule::CfnNag("W28".into()));
/// assert_eq!(CheckRule::from("S3_BUCKET_SSL_REQUESTS_ONLY"), CheckRule::Guard("S3_BUCKET_SSL_REQUESTS_ONLY".into()));
/// assert_eq!(CheckRule::from("CT.S3.PR.2"), CheckRule::Guard("CT.S3.PR.2".into()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CheckRule {
    /// A rule of `haplat check` (`HAP003`): `Metadata."haplat:suppress": [{id, reason}]`.
    Haplat(String),
    /// A checkov check (`CKV_AWS_91`): `Metadata.checkov.skip: [{id, comment}]`.
    Checkov(String),
    /// A cfn-guard rule (`S3_BUCKET_SSL_REQUESTS_ONLY`) or Control Tower control (`CT.S3.PR.2`):
    /// `Metadata.guard.SuppressedRules: [id]`, the list of names guard rules compare against,
    /// and the reason beside it in `Metadata.guard.Reasons: {id: reason}`.
    Guard(String),
    /// A cfn_nag rule (`W28`): `Metadata.cfn_nag.rules_to_suppress: [{id, reason}]`.
    CfnNag(String),
}

impl CheckRule {
    /// The rule's id as its scanner writes it.
    pub fn id(&self) -> &str {
        match self {
            CheckRule::Haplat(id) | CheckRule::Checkov(id) | CheckRule::Guard(id) | CheckRule::CfnNag(id) => id,
        }
    }

    /// The `Metadata` key the scanner reads (`haplat:suppress`, `checkov`, `guard`, `cfn_nag`).
    pub fn metadata_key(&self) -> &'static str {
        match self {
            CheckRule::Haplat(_) => HAPLAT_SUPPRESS,
            CheckRule::Checkov(_) => "checkov",
            CheckRule::Guard(_) => "guard",
            CheckRule::CfnNag(_) => "cfn_nag",
        }
    }

    fn check(&self) -> Result<(), String> {
        let id = self.id();
        let ok = match self {
            CheckRule::Haplat(id) => {
                id.len() > 3 && id.starts_with("HAP") && id[3..].chars().all(|c| c.is_ascii_digit())
            }
            _ => !id.is_empty() && !id.chars().any(|c| c.is_whitespace() || c.is_control()),
        };
        match (ok, self) {
            (true, _) => Ok(()),
            (false, CheckRule::Haplat(_)) => Err(format!(
                "{id:?} is not a haplat rule id (HAP and digits), nor a checkov (CKV_…), cfn_nag (W or F and \
                 digits) or cfn-guard (UPPER_SNAKE) one; write the CheckRule variant to name another scanner's rule"
            )),
            (false, _) => Err(format!("{id:?} is not a rule id of {}", self.metadata_key())),
        }
    }
}

impl From<&str> for CheckRule {
    fn from(id: &str) -> CheckRule {
        let digits_after =
            |prefix: &[char]| id.len() > 1 && id.starts_with(prefix) && id[1..].chars().all(|c| c.is_ascii_digit());
        if id.starts_with("HAP") {
            CheckRule::Haplat(id.to_owned())
        } else if id.starts_with("CKV_") || id.starts_with("CKV2_") {
            CheckRule::Checkov(id.to_owned())
        } else if digits_after(&['W', 'F']) {
            CheckRule::CfnNag(id.to_owned())
        } else if is_control_tower_id(id)
            || (id.contains('_')
                && id.starts_with(|c: char| c.is_ascii_uppercase())
                && id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
        {
            CheckRule::Guard(id.to_owned())
        } else {
            CheckRule::Haplat(id.to_owned())
        }
    }
}

/// An AWS Control Tower control id: `CT.`, the service, `.PR.` and digits (`CT.S3.PR.2`).
fn is_control_tower_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('.').collect();
    matches!(parts.as_slice(), ["CT", service, "PR", n]
        if !service.is_empty()
            && service.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && !n.is_empty()
            && n.chars().all(|c| c.is_ascii_digit()))
}

impl From<String> for CheckRule {
    fn from(id: String) -> CheckRule {
        CheckRule::from(id.as_str())
    }
}

/// Inserts `value` under `key` unless the key holds another value already: `true` (a clash, the
/// first value kept) when it does. The same value twice is no clash (a construct may state a
/// fact two of its parts need).
fn insert_once<V: PartialEq>(map: &mut BTreeMap<String, V>, key: &str, value: V) -> bool {
    match map.get(key) {
        Some(old) => *old != value,
        None => {
            map.insert(key.to_owned(), value);
            false
        }
    }
}

/// The `Metadata` key of haplat's own suppressions: `[{"id": "HAP003", "reason": "…"}]`.
pub const HAPLAT_SUPPRESS: &str = "haplat:suppress";

fn add_suppression(tree: &Rc<RefCell<Tree>>, node: NodeId, rule: CheckRule, reason: &str) {
    let mut t = tree.borrow_mut();
    if !t.owns(node) {
        // `Scope::options` recorded the error already.
        return;
    }
    let path = t.path(node);
    if reason.trim().is_empty() {
        t.errors.push(Error::Construct {
            path,
            message: format!("the suppression of {} needs a reason a reviewer can judge", rule.id()),
        });
        return;
    }
    if let Err(why) = rule.check() {
        t.errors.push(Error::Construct { path, message: format!("cannot suppress: {why}") });
        return;
    }
    let list = &mut t.nodes[node.index()].suppressions;
    list.retain(|(r, _)| r != &rule);
    list.push((rule, reason.to_owned()));
}
