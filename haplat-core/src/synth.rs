//! Synthesis: the construct tree becomes one CloudFormation template per stack and the
//! assembly's manifest, deterministically (ordered maps, no time, no randomness).
//!
//! A reference from one stack to a node of another becomes an Output of the producer, a
//! Parameter of the consumer and a [`Binding`] in the manifest that the CLI fills at deploy time
//! from the producer's stack in the right region. Bindings order the stacks into waves.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Map, Value as Json, json};

use crate::app::{App, CheckRule, NodeKind, Parameter, Policy, Tree};
use crate::error::{Error, Errors};
use crate::logical_id::{logical_id, pascal};
use crate::manifest::{
    Binding, BindingRegion, INLINE_TEMPLATE_LIMIT, MANIFEST_FILE, MANIFEST_VERSION, Manifest, ResourceManifest,
    StackManifest, Target,
};
use crate::node::NodeId;
use crate::resource::{AttrType, TagStyle, Validator};
use crate::validate::{self, limits};
use crate::value::{Expr, NameUse, NodeRef};

/// A synthesized cloud assembly: the manifest and every template's text.
#[derive(Clone, Debug, PartialEq)]
pub struct Assembly {
    /// The manifest.
    pub manifest: Manifest,
    /// Template file name → pretty-printed JSON (with a final newline).
    pub templates: BTreeMap<String, String>,
}

impl Assembly {
    /// The manifest's text, pretty-printed.
    pub fn manifest_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.manifest).expect("the manifest serializes");
        s.push('\n');
        s
    }

    /// The parsed template of a stack, by stack name.
    pub fn template(&self, stack_name: &str) -> Option<Json> {
        let file = &self.manifest.stack(stack_name)?.template;
        serde_json::from_str(self.templates.get(file)?).ok()
    }

    /// Writes the assembly into `dir`: the manifest and the templates. Template files of an
    /// earlier assembly that this one lacks are removed, so the directory is exactly this
    /// assembly.
    pub fn write_to(&self, dir: &Path) -> Result<(), Error> {
        let io = |e: std::io::Error| Error::Io { dir: dir.display().to_string(), message: e.to_string() };
        std::fs::create_dir_all(dir).map_err(io)?;
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".template.json") && !self.templates.contains_key(&name) {
                std::fs::remove_file(entry.path()).map_err(io)?;
            }
        }
        for (name, text) in &self.templates {
            write_if_changed(&dir.join(name), text).map_err(io)?;
        }
        write_if_changed(&dir.join(MANIFEST_FILE), &self.manifest_json()).map_err(io)
    }
}

fn write_if_changed(path: &Path, text: &str) -> std::io::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == text.as_bytes()) {
        return Ok(());
    }
    std::fs::write(path, text)
}

/// Where a node of the tree ends up.
struct Placed {
    stack: NodeId,
    logical_id: String,
    path: String,
}

/// A cross-stack value the producer must output.
struct Export {
    value: Json,
    source: String,
}

struct StackOut {
    node: NodeId,
    id: String,
    name: String,
    regions: Vec<String>,
    stack_set: bool,
    parameters: Map<String, Json>,
    conditions: Map<String, Json>,
    resources: Map<String, Json>,
    outputs: Map<String, Json>,
    bindings: BTreeMap<String, Binding>,
    param_values: BTreeMap<String, BTreeMap<String, String>>,
    manifest_resources: BTreeMap<String, ResourceManifest>,
    /// Edges inside the stack: resource logical id → logical ids it needs, with the path.
    deps: BTreeMap<String, BTreeSet<String>>,
}

pub(crate) fn synthesize(t: &Tree) -> Result<Assembly, Errors> {
    let mut errors: Vec<Error> = t.errors.clone();
    check_stacks(t, &mut errors);
    let placed = place(t, &mut errors);

    // Exports per producer stack, keyed by output name.
    let mut exports: BTreeMap<NodeId, BTreeMap<String, Export>> = BTreeMap::new();
    let mut outs: Vec<StackOut> = Vec::new();
    for &stack in &t.stacks {
        outs.push(render_stack(t, stack, &placed, &mut exports, &mut errors));
    }
    for out in &mut outs {
        if let Some(ex) = exports.remove(&out.node) {
            for (name, e) in ex {
                if out.outputs.contains_key(&name) {
                    errors.push(Error::Reference {
                        path: e.source,
                        message: format!(
                            "the output {name} it needs clashes with an output of the same name in the stack"
                        ),
                    });
                    continue;
                }
                out.outputs
                    .insert(name, json!({ "Value": e.value, "Description": format!("haplat binding: {}", e.source) }));
            }
        }
        check_internal_cycles(out, &mut errors);
    }

    let waves = waves(t, &outs, &mut errors);
    let mut templates = BTreeMap::new();
    let mut stacks = Vec::new();
    for out in outs {
        let data = t.stack(out.node);
        let mut doc = Map::new();
        doc.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
        let description = data.description.clone().unwrap_or_else(|| format!("{} (haplat)", out.name));
        doc.insert("Description".into(), json!(description));
        if !data.transforms.is_empty() {
            doc.insert("Transform".into(), json!(data.transforms));
        }
        let sections = [
            ("Parameters", out.parameters.clone(), limits::PARAMETERS),
            ("Mappings", render_mappings(t, out.node), limits::MAPPINGS),
            ("Conditions", out.conditions.clone(), usize::MAX),
            ("Resources", out.resources.clone(), limits::RESOURCES),
            ("Outputs", out.outputs.clone(), limits::OUTPUTS),
        ];
        for (name, section, limit) in sections {
            if section.len() > limit {
                errors.push(Error::Limit {
                    stack: out.id.clone(),
                    what: section_what(name),
                    actual: section.len(),
                    limit,
                });
            }
            if !section.is_empty() {
                doc.insert(name.into(), Json::Object(section));
            }
        }
        let mut text = serde_json::to_string_pretty(&Json::Object(doc)).expect("templates serialize");
        text.push('\n');
        if text.len() > limits::TEMPLATE_BYTES {
            errors.push(Error::Limit {
                stack: out.id.clone(),
                what: "the template's size in bytes",
                actual: text.len(),
                limit: limits::TEMPLATE_BYTES,
            });
        }
        let file = format!("{}.template.json", out.name);
        let mut capabilities = BTreeSet::new();
        if out.manifest_resources.values().any(|r| r.type_name.starts_with("AWS::IAM::")) {
            capabilities.insert("CAPABILITY_IAM".to_owned());
            capabilities.insert("CAPABILITY_NAMED_IAM".to_owned());
        }
        if !data.transforms.is_empty() {
            capabilities.insert("CAPABILITY_AUTO_EXPAND".to_owned());
        }
        let mut tags = t.app_tags.clone();
        tags.extend(t.nodes[out.node.index()].tags.clone());
        // Deploy adds haplat's ownership tag (unless the app set it): it counts too.
        let counted = tags.len() + usize::from(!tags.contains_key(crate::manifest::OWNER_TAG));
        if counted > limits::STACK_TAGS {
            errors.push(Error::Limit {
                stack: out.id.clone(),
                what: "the number of stack tags (the app's and the stack's, and haplat's ownership tag haplat:app)",
                actual: counted,
                limit: limits::STACK_TAGS,
            });
        }
        let target = if out.stack_set {
            Target::StackSet { regions: out.regions.clone() }
        } else {
            Target::Region { region: out.regions.first().cloned().unwrap_or_default() }
        };
        stacks.push(StackManifest {
            id: out.id.clone(),
            name: out.name.clone(),
            template: file.clone(),
            template_bytes: text.len(),
            requires_upload: text.len() > INLINE_TEMPLATE_LIMIT,
            target,
            wave: waves.get(&out.name).copied().unwrap_or(0),
            capabilities: capabilities.into_iter().collect(),
            operation_preferences: data.preferences.clone(),
            deployment: data.deployment.clone(),
            parameters: out.param_values,
            bindings: out.bindings.into_values().collect(),
            resources: out.manifest_resources,
            tags,
        });
        templates.insert(file, text);
    }
    let rollout = t.rollout.as_ref().map(|r| {
        let (rollout, problems) = checked_rollout(r, &stacks);
        errors.extend(
            problems
                .into_iter()
                .map(|message| Error::Construct { path: t.name.clone(), message: format!("rollout: {message}") }),
        );
        rollout
    });
    if !errors.is_empty() {
        return Err(Errors(dedup(errors)));
    }
    stacks.sort_by(|a, b| (a.wave, &a.name).cmp(&(b.wave, &b.name)));
    let max_wave = stacks.iter().map(|s| s.wave).max().map_or(0, |w| w + 1);
    let mut wave_list = vec![Vec::new(); max_wave];
    for s in &stacks {
        wave_list[s.wave].push(s.name.clone());
    }
    let objectives = t.objectives.clone().filter(|o| !o.is_empty());
    let manifest = Manifest {
        version: MANIFEST_VERSION.into(),
        app: t.name.clone(),
        stacks,
        waves: wave_list,
        objectives,
        rollout,
    };
    Ok(Assembly { manifest, templates })
}

fn dedup(errors: Vec<Error>) -> Vec<Error> {
    let mut seen = Vec::new();
    for e in errors {
        if !seen.contains(&e) {
            seen.push(e);
        }
    }
    seen
}

fn section_what(section: &str) -> &'static str {
    match section {
        "Parameters" => "the number of parameters",
        "Mappings" => "the number of mappings",
        "Resources" => "the number of resources",
        "Outputs" => "the number of outputs",
        _ => "the number of entries",
    }
}

/// The property paths (`A.0.B`) of every `null` in a rendered value.
/// Calls `f` with every value of `v` and its path (keys and indexes joined by `.`).
fn visit(v: &Json, f: &mut dyn FnMut(&str, &Json)) {
    fn walk(v: &Json, at: &mut Vec<String>, f: &mut dyn FnMut(&str, &Json)) {
        f(&at.join("."), v);
        match v {
            Json::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    at.push(i.to_string());
                    walk(x, at, f);
                    at.pop();
                }
            }
            Json::Object(m) => {
                for (k, x) in m {
                    at.push(k.clone());
                    walk(x, at, f);
                    at.pop();
                }
            }
            _ => {}
        }
    }
    walk(v, &mut Vec::new(), f);
}

fn null_paths(v: &Json) -> Vec<String> {
    let mut out = Vec::new();
    visit(v, &mut |at, x| {
        if x.is_null() {
            out.push(at.to_owned());
        }
    });
    out
}

/// Intrinsic functions CloudFormation refuses whatever the region, once their literal arguments
/// are known: `Fn::Select` past the end of a literal list, `Fn::Cidr` asking for a count
/// outside 1..=256 or bits outside 1..=128 (its documented ranges). By property path.
fn intrinsic_problems(v: &Json) -> Vec<(String, String)> {
    let mut out = Vec::new();
    visit(v, &mut |at, x| {
        let Some(m) = x.as_object().filter(|m| m.len() == 1) else { return };
        let args = |name: &str| m.get(name).and_then(Json::as_array).map(Vec::as_slice);
        if let Some([index, list]) = args("Fn::Select")
            && let (Some(i), Some(l)) = (index.as_i64(), list.as_array())
            && (i < 0 || i as usize >= l.len())
        {
            out.push((at.to_owned(), format!("Fn::Select takes item {i} of a list of {}", l.len())));
        }
        if let Some([_, count, bits]) = args("Fn::Cidr") {
            if let Some(c) = count.as_i64().filter(|c| !(1..=256).contains(c)) {
                out.push((at.to_owned(), format!("Fn::Cidr asks for {c} blocks: CloudFormation takes 1 to 256")));
            }
            if let Some(b) = bits.as_i64().filter(|b| !(1..=128).contains(b)) {
                out.push((at.to_owned(), format!("Fn::Cidr asks for {b} host bits: CloudFormation takes 1 to 128")));
            }
        }
    });
    out
}

fn check_stacks(t: &Tree, errors: &mut Vec<Error>) {
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for &s in &t.stacks {
        let data = t.stack(s);
        let id = t.nodes[s.index()].id.clone();
        if let Err(why) = validate::check_stack_name(&data.name) {
            errors.push(Error::InvalidStackName { stack: id.clone(), name: data.name.clone(), why });
        }
        if let Some(other) = names.insert(data.name.to_ascii_lowercase(), id.clone()) {
            errors.push(Error::InvalidStackName {
                stack: id.clone(),
                name: data.name.clone(),
                why: format!("stack {other} has the same name; stack set names are unique per account and ignore case"),
            });
        }
        let mut nodes = Vec::new();
        collect(t, s, &mut nodes);
        if !nodes.iter().any(|n| matches!(t.nodes[n.index()].kind, NodeKind::Resource(..))) {
            errors.push(Error::Construct {
                path: id.clone(),
                message: "the stack has no resources, and CloudFormation refuses a template without one: add a \
                          resource or drop the stack"
                    .into(),
            });
        }
        if data.regions.is_empty() {
            errors.push(Error::Region {
                stack: id.clone(),
                message: "no regions: a stack set needs at least one".into(),
            });
        }
        let mut seen = BTreeSet::new();
        for r in &data.regions {
            if let Err(message) = validate::check_region(r) {
                errors.push(Error::Region { stack: id.clone(), message });
            }
            if !seen.insert(r) {
                errors.push(Error::Region { stack: id.clone(), message: format!("region {r} is listed twice") });
            }
        }
    }
    for (i, n) in t.nodes.iter().enumerate() {
        let keys = if i == 0 || n.parent.is_some() || t.stacks.contains(&t.id_at(i)) { &n.tags } else { continue };
        for (k, v) in keys {
            if let Err(why) = validate::check_tag(k, v) {
                errors.push(Error::Tag { path: t.path(t.id_at(i)), key: k.clone(), why });
            }
        }
    }
    for (k, v) in &t.app_tags {
        if let Err(why) = validate::check_tag(k, v) {
            errors.push(Error::Tag { path: t.name.clone(), key: k.clone(), why });
        }
    }
}

/// Gives every resource and parameter its logical id; checks clashes.
fn place(t: &Tree, errors: &mut Vec<Error>) -> BTreeMap<NodeId, Placed> {
    let mut placed = BTreeMap::new();
    for &stack in &t.stacks {
        let mut used: BTreeMap<String, String> = BTreeMap::new();
        let mut stack_nodes = Vec::new();
        collect(t, stack, &mut stack_nodes);
        for node in stack_nodes {
            let n = &t.nodes[node.index()];
            let fixed = match &n.kind {
                NodeKind::Resource(_, o) => o.logical_id.clone(),
                NodeKind::Parameter(_) => None,
                _ => continue,
            };
            let path = t.path(node);
            let parts: Vec<&str> = path.split('/').skip(1).collect();
            let id = match fixed {
                Some(id) => {
                    if !validate::is_valid_logical_id(&id) {
                        errors.push(Error::InvalidLogicalId { path: path.clone(), logical_id: id.clone() });
                    }
                    id
                }
                None => logical_id(&parts),
            };
            if let Some(other) = used.insert(id.clone(), path.clone()) {
                errors.push(Error::LogicalIdClash { path: path.clone(), other, logical_id: id.clone() });
            }
            placed.insert(node, Placed { stack, logical_id: id, path });
        }
    }
    placed
}

/// The nodes below `node`, depth first in id order.
fn collect(t: &Tree, node: NodeId, out: &mut Vec<NodeId>) {
    for &child in t.nodes[node.index()].children.values() {
        out.push(child);
        collect(t, child, out);
    }
}

fn render_stack(
    t: &Tree,
    stack: NodeId,
    placed: &BTreeMap<NodeId, Placed>,
    exports: &mut BTreeMap<NodeId, BTreeMap<String, Export>>,
    errors: &mut Vec<Error>,
) -> StackOut {
    let data = t.stack(stack);
    let id = t.nodes[stack.index()].id.clone();
    let mut out = StackOut {
        node: stack,
        id: id.clone(),
        name: data.name.clone(),
        regions: data.regions.clone(),
        stack_set: data.stack_set,
        parameters: Map::new(),
        conditions: Map::new(),
        resources: Map::new(),
        outputs: Map::new(),
        bindings: BTreeMap::new(),
        param_values: BTreeMap::new(),
        manifest_resources: BTreeMap::new(),
        deps: BTreeMap::new(),
    };
    let mut nodes = Vec::new();
    collect(t, stack, &mut nodes);
    // Names a hand-written Ref may use in this stack.
    let local_names: BTreeSet<&str> =
        nodes.iter().filter_map(|n| placed.get(n)).map(|p| p.logical_id.as_str()).collect();
    let ctx = Ctx { t, stack, placed, local_names: &local_names };

    for &node in &nodes {
        let n = &t.nodes[node.index()];
        let Some(p) = placed.get(&node) else { continue };
        match &n.kind {
            NodeKind::Parameter(param) => {
                out.parameters.insert(p.logical_id.clone(), render_parameter(param));
                if !param.values.is_empty() {
                    out.param_values.insert(p.logical_id.clone(), param.values.clone());
                }
            }
            NodeKind::Resource(r, opts) => {
                let mut props = r.properties();
                apply_tags(t, node, r.tag_style(), &mut props);
                let mut problems = Vec::new();
                r.validate(&mut Validator::new(&mut problems));
                for (property, message) in problems {
                    errors.push(Error::Property {
                        path: p.path.clone(),
                        type_name: r.type_name().into(),
                        property,
                        message,
                    });
                }
                let mut needs = BTreeSet::new();
                let before = errors.len();
                let props_json = ctx.render(&Expr::Map(props), &p.path, &mut out, exports, &mut needs, errors);
                // CloudFormation refuses `null` anywhere in a template; a reference that failed
                // renders as null too, but its error is reported already.
                if errors.len() == before {
                    for property in null_paths(&props_json) {
                        errors.push(Error::Property {
                            path: p.path.clone(),
                            type_name: r.type_name().into(),
                            property,
                            message: "is null, which CloudFormation refuses (\"'null' values are not allowed in \
                                      templates\"): a number that is not finite (NaN, infinity), or a value left \
                                      empty; give it a value or leave the property out"
                                .into(),
                        });
                    }
                    for (property, message) in intrinsic_problems(&props_json) {
                        errors.push(Error::Property {
                            path: p.path.clone(),
                            type_name: r.type_name().into(),
                            property,
                            message,
                        });
                    }
                }
                let mut res = Map::new();
                res.insert("Type".into(), json!(r.type_name()));
                if let Some(c) = &opts.condition {
                    if !data.conditions.contains_key(c) {
                        errors.push(Error::UndefinedName {
                            path: p.path.clone(),
                            stack: id.clone(),
                            kind: "condition",
                            name: c.clone(),
                        });
                    }
                    res.insert("Condition".into(), json!(c));
                }
                let mut depends = Vec::new();
                for d in &opts.depends_on {
                    match placed.get(d) {
                        Some(dp) if dp.stack == stack => {
                            needs.insert(dp.logical_id.clone());
                            if !depends.contains(&dp.logical_id) {
                                depends.push(dp.logical_id.clone());
                            }
                        }
                        Some(dp) => errors.push(Error::Reference {
                            path: p.path.clone(),
                            message: format!(
                                "DependsOn {} is in another stack; stacks are ordered by their references, so drop the DependsOn or reference a value of it",
                                dp.path
                            ),
                        }),
                        None => errors.push(Error::Reference {
                            path: p.path.clone(),
                            message: format!("DependsOn {} is not a resource", t.path(*d)),
                        }),
                    }
                }
                depends.sort();
                if !depends.is_empty() {
                    res.insert("DependsOn".into(), json!(depends));
                }
                let stateful = r.stateful();
                let default_policy = if stateful { Some(Policy::Retain) } else { None };
                let deletion = opts.deletion_policy.or(default_policy);
                if let Some(d) = deletion {
                    res.insert("DeletionPolicy".into(), json!(d.as_str()));
                }
                if let Some(u) = opts.update_replace_policy.or(default_policy) {
                    res.insert("UpdateReplacePolicy".into(), json!(u.as_str()));
                }
                let mut metadata = Map::new();
                metadata.insert("haplat:path".into(), json!(p.path));
                for (k, v) in &opts.metadata {
                    metadata.insert(k.clone(), ctx.render(v, &p.path, &mut out, exports, &mut needs, errors));
                }
                apply_suppressions(t, node, &mut metadata);
                res.insert("Metadata".into(), Json::Object(metadata));
                if !props_json.as_object().is_some_and(|m| m.is_empty()) {
                    res.insert("Properties".into(), props_json);
                }
                if let Some(u) = &opts.update_policy {
                    let v = ctx.render(u, &p.path, &mut out, exports, &mut needs, errors);
                    res.insert("UpdatePolicy".into(), v);
                }
                if let Some(c) = &opts.creation_policy {
                    let v = ctx.render(c, &p.path, &mut out, exports, &mut needs, errors);
                    res.insert("CreationPolicy".into(), v);
                }
                out.resources.insert(p.logical_id.clone(), Json::Object(res));
                out.deps.insert(p.logical_id.clone(), needs);
                out.manifest_resources.insert(
                    p.logical_id.clone(),
                    ResourceManifest {
                        type_name: r.type_name().into(),
                        path: p.path.clone(),
                        stateful,
                        create_only: r.create_only().iter().map(|s| s.to_string()).collect(),
                        deletion_policy: deletion.unwrap_or(Policy::Delete).as_str().into(),
                    },
                );
            }
            NodeKind::Stack(_) | NodeKind::Scope => {}
        }
    }
    let stack_path = id.clone();
    for (name, cond) in &data.conditions {
        let mut needs = BTreeSet::new();
        let v = ctx.render(cond, &format!("{stack_path} (condition {name})"), &mut out, exports, &mut needs, errors);
        out.conditions.insert(name.clone(), v);
    }
    for (name, (value, description, _)) in &data.outputs {
        if !validate::is_valid_logical_id(name) {
            errors.push(Error::InvalidLogicalId { path: format!("{stack_path} (output)"), logical_id: name.clone() });
        }
        let mut needs = BTreeSet::new();
        let v = ctx.render(value, &format!("{stack_path} (output {name})"), &mut out, exports, &mut needs, errors);
        let mut o = Map::new();
        if let Some(d) = description {
            o.insert("Description".into(), json!(d));
        }
        o.insert("Value".into(), v);
        out.outputs.insert(name.clone(), Json::Object(o));
    }
    out
}

struct Ctx<'a> {
    t: &'a Tree,
    stack: NodeId,
    placed: &'a BTreeMap<NodeId, Placed>,
    local_names: &'a BTreeSet<&'a str>,
}

impl Ctx<'_> {
    /// Renders `expr` as it appears in the stack at `path`: local references by logical id,
    /// references into other stacks through a binding parameter.
    fn render(
        &self,
        expr: &Expr,
        path: &str,
        out: &mut StackOut,
        exports: &mut BTreeMap<NodeId, BTreeMap<String, Export>>,
        needs: &mut BTreeSet<String>,
        errors: &mut Vec<Error>,
    ) -> Json {
        let data = self.t.stack(self.stack);
        expr.visit_names(&mut |u| {
            let (kind, name, ok) = match u {
                NameUse::Logical(n) => ("logical name", n, self.local_names.contains(n)),
                NameUse::Condition(c) => ("condition", c, data.conditions.contains_key(c)),
                NameUse::Mapping(m) => ("mapping", m, data.mappings.contains_key(m)),
            };
            if !ok {
                errors.push(Error::UndefinedName { path: path.into(), stack: out.id.clone(), kind, name: name.into() });
            } else if kind == "logical name" {
                needs.insert(name.to_owned());
            }
        });
        expr.render(&mut |r: &NodeRef, attr: Option<&str>| {
            self.reference(r, attr, path, out, exports, needs, errors).unwrap_or(Json::Null)
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn reference(
        &self,
        r: &NodeRef,
        attr: Option<&str>,
        path: &str,
        out: &mut StackOut,
        exports: &mut BTreeMap<NodeId, BTreeMap<String, Export>>,
        needs: &mut BTreeSet<String>,
        errors: &mut Vec<Error>,
    ) -> Option<Json> {
        let t = self.t;
        if !t.owns(r.node) {
            errors.push(Error::Reference { path: path.into(), message: format!("refers to {}", crate::app::FOREIGN) });
            return None;
        }
        let Some(target) = self.placed.get(&r.node) else {
            errors.push(Error::Reference {
                path: path.into(),
                message: format!("refers to {}, which is not a resource or parameter", t.path(r.node)),
            });
            return None;
        };
        // The attribute's type, checked against the resource type.
        let attr_type = match (&t.nodes[r.node.index()].kind, attr) {
            (_, None) => AttrType::String,
            (NodeKind::Resource(res, _), Some(a)) => match res.attributes().iter().find(|x| x.name == a) {
                Some(x) => x.ty,
                None => {
                    let known: Vec<&str> = res.attributes().iter().map(|x| x.name).collect();
                    errors.push(Error::UnknownAttribute {
                        path: target.path.clone(),
                        type_name: res.type_name().into(),
                        attribute: a.into(),
                        known: if known.is_empty() { "none".into() } else { known.join(", ") },
                    });
                    return None;
                }
            },
            (_, Some(a)) => {
                errors.push(Error::Reference {
                    path: path.into(),
                    message: format!("Fn::GetAtt {a} on the parameter {}: parameters have no attributes", target.path),
                });
                return None;
            }
        };
        let local = match attr {
            None => json!({ "Ref": target.logical_id }),
            Some(a) => json!({ "Fn::GetAtt": [target.logical_id, a] }),
        };
        let producer = t.stack(target.stack);
        if target.stack == self.stack {
            if let Some(region) = &r.region
                && (producer.regions.len() > 1 || !producer.regions.contains(region))
            {
                errors.push(Error::Reference {
                        path: path.into(),
                        message: format!(
                            "reads {} in {region}, but it is in the same stack set; a stack instance can only read its own region's resources",
                            target.path
                        ),
                    });
            }
            needs.insert(target.logical_id.clone());
            return Some(local);
        }
        // Across stacks: which region's instance of the producer?
        let consumer = t.stack(self.stack);
        let region = match &r.region {
            Some(region) if producer.regions.contains(region) => BindingRegion::Fixed { region: region.clone() },
            Some(region) => {
                errors.push(Error::Reference {
                    path: path.into(),
                    message: format!(
                        "reads {} in {region}, but its stack {} is deployed to {} only",
                        target.path,
                        t.nodes[target.stack.index()].id,
                        producer.regions.join(", ")
                    ),
                });
                return None;
            }
            None if producer.regions.len() == 1 => BindingRegion::Fixed { region: producer.regions[0].clone() },
            None if consumer.stack_set && consumer.regions.iter().all(|c| producer.regions.contains(c)) => {
                BindingRegion::SameRegion
            }
            None => {
                // Suggest the consumer's own region when the producer is there: most values (an
                // alarm's topic, a key, a role) must be read in the region that uses them.
                let suggestion = match consumer.regions.as_slice() {
                    [own] if producer.regions.contains(own) => {
                        format!(
                            "use `.in_region(\"{own}\")` on the value to read the instance of this stack's own region"
                        )
                    }
                    _ => format!(
                        "use `.in_region(REGION)` on the value to say which instance to read (one of {}); many \
                         resources accept only a value of their own region (an alarm notifies only a topic of its \
                         region)",
                        producer.regions.join(", ")
                    ),
                };
                errors.push(Error::Reference {
                    path: path.into(),
                    message: format!(
                        "reads {} from stack set {} ({}) without naming a region; {suggestion}",
                        target.path,
                        t.nodes[target.stack.index()].id,
                        producer.regions.join(", "),
                    ),
                });
                return None;
            }
        };
        let (value, param_type) = match attr_type {
            AttrType::ListOfString => (json!({ "Fn::Join": [",", local] }), "CommaDelimitedList"),
            AttrType::Other => {
                errors.push(Error::Reference {
                    path: path.into(),
                    message: format!(
                        "Fn::GetAtt {} of {} is not a string, number or list of strings, so it cannot cross stacks",
                        attr.unwrap_or_default(),
                        target.path
                    ),
                });
                return None;
            }
            _ => (local, "String"),
        };
        let output = format!("{}{}", target.logical_id, attr.map(pascal).unwrap_or_else(|| "Ref".into()));
        let output: String = output.chars().take(limits::LOGICAL_ID).collect();
        let region_tag = match &region {
            BindingRegion::Fixed { region } => pascal(region),
            BindingRegion::SameRegion => String::new(),
        };
        let mut parameter = format!("{}{output}{region_tag}", pascal(&t.nodes[target.stack.index()].id));
        if parameter.len() > limits::LOGICAL_ID {
            let hash = crate::logical_id::short_hash(&parameter);
            parameter = parameter.chars().take(limits::LOGICAL_ID - 8).collect::<String>() + &hash;
        }
        let source = match attr {
            Some(a) => format!("{}.{a}", target.path),
            None => target.path.clone(),
        };
        exports
            .entry(target.stack)
            .or_default()
            .entry(output.clone())
            .or_insert_with(|| Export { value, source: source.clone() });
        out.parameters.insert(
            parameter.clone(),
            json!({ "Type": param_type, "Description": format!("haplat binding: {source}") }),
        );
        out.bindings.insert(
            parameter.clone(),
            Binding { parameter: parameter.clone(), producer: producer.name.clone(), output, region, source },
        );
        Some(json!({ "Ref": parameter }))
    }
}

fn render_parameter(p: &Parameter) -> Json {
    let mut m = Map::new();
    m.insert("Type".into(), json!(p.type_.clone().unwrap_or_else(|| "String".into())));
    let mut put = |k: &str, v: Option<Json>| {
        if let Some(v) = v {
            m.insert(k.into(), v);
        }
    };
    put("Default", p.default.clone().map(Json::from));
    put("Description", p.description.clone().map(Json::from));
    put("AllowedValues", (!p.allowed_values.is_empty()).then(|| json!(p.allowed_values)));
    put("AllowedPattern", p.allowed_pattern.clone().map(Json::from));
    put("ConstraintDescription", p.constraint_description.clone().map(Json::from));
    put("MinLength", p.min_length.map(Json::from));
    put("MaxLength", p.max_length.map(Json::from));
    put("MinValue", p.min_value.map(|v| json!(v)));
    put("MaxValue", p.max_value.map(|v| json!(v)));
    put("NoEcho", p.no_echo.then_some(json!(true)));
    Json::Object(m)
}

fn render_mappings(t: &Tree, stack: NodeId) -> Map<String, Json> {
    t.stack(stack)
        .mappings
        .iter()
        .map(|(name, top)| {
            let top: Map<String, Json> = top
                .iter()
                .map(|(k, second)| {
                    (k.clone(), Json::Object(second.iter().map(|(k2, v)| (k2.clone(), v.to_json())).collect()))
                })
                .collect();
            (name.clone(), Json::Object(top))
        })
        .collect()
}

/// The tags that reach `node`: the app's, then every scope's from the stack down; closer wins.
fn effective_tags(t: &Tree, node: NodeId) -> BTreeMap<String, String> {
    let mut chain = Vec::new();
    let mut cur = Some(node);
    while let Some(n) = cur {
        chain.push(n);
        cur = t.nodes[n.index()].parent;
    }
    let mut tags = t.app_tags.clone();
    for n in chain.into_iter().rev() {
        tags.extend(t.nodes[n.index()].tags.clone());
    }
    tags
}

/// Writes the suppressions that reach `node` (its own and every scope's above it; the closest
/// reason wins) into its `Metadata`, in the form each scanner reads. A resource without any is
/// left exactly as before; with some, the keys after `haplat:path` are sorted and so is every
/// list, so the output stays deterministic.
fn apply_suppressions(t: &Tree, node: NodeId, metadata: &mut Map<String, Json>) {
    let mut rules: BTreeMap<CheckRule, String> = BTreeMap::new();
    let mut cur = Some(node);
    while let Some(n) = cur {
        for (rule, reason) in &t.nodes[n.index()].suppressions {
            rules.entry(rule.clone()).or_insert_with(|| reason.clone());
        }
        cur = t.nodes[n.index()].parent;
    }
    if rules.is_empty() {
        return;
    }
    for (rule, reason) in rules {
        let id = rule.id().to_owned();
        let key = rule.metadata_key();
        let (list_key, entry) = match &rule {
            CheckRule::Haplat(_) => (None, json!({ "id": id, "reason": reason })),
            CheckRule::Checkov(_) => (Some("skip"), json!({ "id": id, "comment": reason })),
            CheckRule::Guard(_) => (Some("SuppressedRules"), json!(id)),
            CheckRule::CfnNag(_) => (Some("rules_to_suppress"), json!({ "id": id, "reason": reason })),
        };
        let slot = metadata.entry(key.to_owned()).or_insert_with(|| match list_key {
            None => json!([]),
            Some(_) => json!({}),
        });
        let list = match list_key {
            None => slot,
            Some(k) => match slot.as_object_mut() {
                Some(m) => m.entry(k.to_owned()).or_insert_with(|| json!([])),
                None => continue,
            },
        };
        if let Some(items) = list.as_array_mut() {
            if !items.contains(&entry) {
                items.push(entry);
            }
            items.sort_by_key(|i| i.get("id").and_then(Json::as_str).or(i.as_str()).unwrap_or_default().to_owned());
        }
        // Guard's list holds bare names (what guard rules compare against), so the reason a
        // reviewer reads goes beside it, keyed by the same name.
        if let CheckRule::Guard(_) = rule
            && let Some(m) = metadata.get_mut(key).and_then(Json::as_object_mut)
            && let Some(reasons) = m.entry("Reasons").or_insert_with(|| json!({})).as_object_mut()
        {
            reasons.entry(id.clone()).or_insert_with(|| json!(reason));
            let mut sorted: Vec<(String, Json)> = std::mem::take(reasons).into_iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            reasons.extend(sorted);
        }
    }
    let path = metadata.remove("haplat:path");
    let mut rest: Vec<(String, Json)> = std::mem::take(metadata).into_iter().collect();
    rest.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(p) = path {
        metadata.insert("haplat:path".into(), p);
    }
    metadata.extend(rest);
}

fn apply_tags(t: &Tree, node: NodeId, style: TagStyle, props: &mut BTreeMap<String, Expr>) {
    let tags = effective_tags(t, node);
    if tags.is_empty() {
        return;
    }
    match style {
        TagStyle::None => {}
        TagStyle::List(key) => {
            let entry = props.entry(key.to_owned()).or_insert_with(|| Expr::List(Vec::new()));
            let Expr::List(items) = entry else { return };
            let own: BTreeSet<String> = items
                .iter()
                .filter_map(|i| match i {
                    Expr::Map(m) => match m.get("Key") {
                        Some(Expr::String(k)) => Some(k.clone()),
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            for (k, v) in tags {
                if !own.contains(&k) {
                    items.push(crate::expr_map! { "Key" => k, "Value" => v });
                }
            }
            items.sort_by_key(|i| match i {
                Expr::Map(m) => match m.get("Key") {
                    Some(Expr::String(k)) => k.clone(),
                    _ => String::new(),
                },
                _ => String::new(),
            });
        }
        TagStyle::Map(key) => {
            let entry = props.entry(key.to_owned()).or_insert_with(|| Expr::Map(BTreeMap::new()));
            let Expr::Map(m) = entry else { return };
            for (k, v) in tags {
                m.entry(k).or_insert(Expr::String(v));
            }
        }
    }
}

/// A dependency cycle among the resources of one stack (through references or DependsOn).
fn check_internal_cycles(out: &StackOut, errors: &mut Vec<Error>) {
    let graph: BTreeMap<&str, Vec<&str>> = out
        .deps
        .iter()
        .map(|(k, v)| (k.as_str(), v.iter().map(String::as_str).filter(|d| out.deps.contains_key(*d)).collect()))
        .collect();
    if let Some(cycle) = find_cycle(&graph) {
        let path_of =
            |id: &str| out.manifest_resources.get(id).map(|r| r.path.clone()).unwrap_or_else(|| id.to_owned());
        let text: Vec<String> = cycle.iter().map(|id| path_of(id)).collect();
        errors.push(Error::Cycle { cycle: text.join(" -> ") });
    }
}

/// A cycle in a graph of `node → nodes it needs`, as the list of nodes on it (first repeated at
/// the end), or `None`.
fn find_cycle<'a>(graph: &BTreeMap<&'a str, Vec<&'a str>>) -> Option<Vec<&'a str>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    fn visit<'a>(
        n: &'a str,
        graph: &BTreeMap<&'a str, Vec<&'a str>>,
        marks: &mut BTreeMap<&'a str, Mark>,
        stack: &mut Vec<&'a str>,
    ) -> Option<Vec<&'a str>> {
        marks.insert(n, Mark::Active);
        stack.push(n);
        for &d in graph.get(n).map(Vec::as_slice).unwrap_or_default() {
            match marks.get(d).copied().unwrap_or(Mark::New) {
                Mark::Active => {
                    let start = stack.iter().position(|x| *x == d).unwrap_or(0);
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(d);
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(c) = visit(d, graph, marks, stack) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks.insert(n, Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for &n in graph.keys() {
        if marks.get(n).copied().unwrap_or(Mark::New) == Mark::New
            && let Some(c) = visit(n, graph, &mut marks, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

/// Deploy waves: a stack's wave is one more than the latest wave of the stacks it reads from.
fn waves(t: &Tree, outs: &[StackOut], errors: &mut Vec<Error>) -> BTreeMap<String, usize> {
    let graph: BTreeMap<&str, Vec<&str>> = outs
        .iter()
        .map(|o| {
            let mut producers: Vec<&str> = o.bindings.values().map(|b| b.producer.as_str()).collect();
            producers.sort();
            producers.dedup();
            (o.name.as_str(), producers)
        })
        .collect();
    if let Some(cycle) = find_cycle(&graph) {
        // Name the references on the cycle: consumer path -> producer path.
        let mut steps = Vec::new();
        for pair in cycle.windows(2) {
            let consumer = outs.iter().find(|o| o.name == pair[0]);
            let binding = consumer.and_then(|o| o.bindings.values().find(|b| b.producer == pair[1]));
            match binding {
                Some(b) => steps.push(format!("stack {} reads {}", pair[0], b.source)),
                None => steps.push(format!("{} -> {}", pair[0], pair[1])),
            }
        }
        let _ = t;
        errors.push(Error::Cycle { cycle: steps.join("; ") });
        return BTreeMap::new();
    }
    let mut wave: BTreeMap<String, usize> = BTreeMap::new();
    fn depth<'a>(n: &'a str, graph: &BTreeMap<&'a str, Vec<&'a str>>, memo: &mut BTreeMap<String, usize>) -> usize {
        if let Some(&d) = memo.get(n) {
            return d;
        }
        let d = graph.get(n).map(|ps| ps.iter().map(|p| depth(p, graph, memo) + 1).max().unwrap_or(0)).unwrap_or(0);
        memo.insert(n.to_owned(), d);
        d
    }
    for n in graph.keys() {
        depth(n, &graph, &mut wave);
    }
    wave
}

/// Synthesis, the entry points of an app: here rather than in [`crate::app`], so that the tree
/// does not import its synthesizer.
impl App {
    /// Synthesizes the assembly in memory, with every check of [`crate::validate`] and of this
    /// module (limits, names, references, cycles, construct errors); all problems
    /// are reported together.
    pub fn synth(&self) -> Result<Assembly, Errors> {
        // The checks of `App::add_check` first; their errors are this synthesis' only, so a
        // second one reports them once again, not twice.
        let checks: Vec<fn(&App)> = self.tree.borrow().checks.iter().map(|(_, c)| *c).collect();
        let before = self.tree.borrow().errors.len();
        for check in checks {
            check(self);
        }
        let result = synthesize(&self.tree.borrow());
        self.tree.borrow_mut().errors.truncate(before);
        result
    }

    /// Synthesizes and writes the assembly into `dir` (created if missing). Files of an earlier
    /// assembly that this one does not contain are removed.
    pub fn synth_to(&self, dir: &std::path::Path) -> Result<Assembly, Errors> {
        let assembly = self.synth()?;
        assembly.write_to(dir).map_err(|e| Errors(vec![e]))?;
        Ok(assembly)
    }

    /// The entry point of an app's `main`: synthesizes into `$HAPLAT_OUTDIR` (default
    /// `haplat.out`), prints a one-line summary or every error on stderr, and returns the exit
    /// code (`0` written, `1` invalid app, `2` could not write).
    pub fn run(&self) -> std::process::ExitCode {
        let given = std::env::var_os(crate::OUTDIR_ENV).map(std::path::PathBuf::from);
        let dir = given.clone().unwrap_or_else(|| "haplat.out".into());
        match self.synth_to(&dir) {
            Ok(a) => {
                let resources: usize = a.manifest.stacks.iter().map(|s| s.resources.len()).sum();
                // Under `haplat synth` the directory is a fresh one the CLI swaps in and names
                // itself; run alone, the app says where it wrote.
                let place = if given.is_some() { String::new() } else { format!(" written to {}", dir.display()) };
                eprintln!(
                    "haplat: {} stacks, {} resources, {} waves{place}",
                    a.manifest.stacks.len(),
                    resources,
                    a.manifest.waves.len(),
                );
                std::process::ExitCode::SUCCESS
            }
            Err(errors) => {
                eprintln!("{errors}");
                let io = errors.0.iter().any(|e| matches!(e, Error::Io { .. }));
                std::process::ExitCode::from(if io { 2 } else { 1 })
            }
        }
    }
}

/// `rollout` with its stack sets named as deployed (a stack's construct id, `Data`, becomes its
/// stack set name), and what is wrong with it for these stacks: a first region or account that
/// no stack set deploys to, a policy for a stack set the app does not have.
fn checked_rollout(
    r: &crate::manifest::Rollout,
    stacks: &[crate::manifest::StackManifest],
) -> (crate::manifest::Rollout, Vec<String>) {
    let mut problems = Vec::new();
    let mut regions: Vec<String> = stacks.iter().flat_map(|s| s.target.regions()).collect();
    regions.sort();
    regions.dedup();
    if !regions.contains(&r.first_region) {
        problems.push(format!(
            "the first region {} is a region of no stack of the app (regions: {})",
            r.first_region,
            regions.join(", ")
        ));
    }
    if let Some(a) = &r.first_account {
        let listed: std::collections::BTreeSet<&str> = stacks
            .iter()
            .flat_map(|s| match &s.deployment {
                crate::manifest::Deployment::Accounts { accounts } => accounts.iter().map(String::as_str).collect(),
                _ => Vec::new(),
            })
            .collect();
        if !crate::manifest::is_account_id(a) {
            problems.push(format!("the first account {a:?} is not a 12-digit AWS account id"));
        } else if !listed.contains(a.as_str()) {
            let listed = match listed.is_empty() {
                true => "none, every stack set deploys to this account or to OUs".to_owned(),
                false => listed.into_iter().collect::<Vec<_>>().join(", "),
            };
            problems.push(format!(
                "the first account {a} is an account of no stack set of the app (accounts listed: {listed})"
            ));
        }
    }
    let mut named = r.clone();
    named.stacks.clear();
    for (key, policy) in &r.stacks {
        match stacks.iter().find(|s| &s.id == key || &s.name == key) {
            Some(s) => {
                named.stacks.insert(s.name.clone(), policy.clone());
            }
            None => {
                let ids: Vec<&str> = stacks.iter().map(|s| s.id.as_str()).collect();
                problems.push(format!(
                    "stacks.{key}: no stack of the app has this id or name (stacks: {})",
                    ids.join(", ")
                ));
            }
        }
    }
    (named, problems)
}
