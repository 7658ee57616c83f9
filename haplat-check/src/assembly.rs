//! An assembly as the rules read it: the manifest (stacks, their regions, the bindings between
//! them) and every template parsed, with helpers to walk resources and follow references, also
//! across stacks through the manifest's bindings.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use haplat_core::manifest::{MANIFEST_FILE, Manifest, StackManifest};
use serde_json::{Map, Value as Json};

use crate::error::Error;

/// A synthesized assembly: the manifest and each stack's template.
#[derive(Clone, Debug)]
pub struct Assembly {
    /// The manifest.
    pub manifest: Manifest,
    /// The stacks, in the manifest's order.
    pub stacks: Vec<StackTemplate>,
    /// What is deployed (or was synthesized before), by stack name: the templates the rules
    /// about changes compare with ([`Assembly::with_baseline`]). Empty: no such rule can tell.
    pub baseline: BTreeMap<String, Json>,
}

#[derive(PartialEq)]
enum Val {
    Str(String),
    Bool(bool),
}

/// One stack with its parsed template.
#[derive(Clone, Debug)]
pub struct StackTemplate {
    /// What the manifest says about it.
    pub manifest: StackManifest,
    /// The parsed template.
    pub template: Json,
    /// The template's text (for line numbers in reports).
    pub text: String,
}

impl StackTemplate {
    /// The stack set name.
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    /// Every region the stack is deployed to.
    pub fn regions(&self) -> Vec<String> {
        self.manifest.target.regions()
    }

    /// The template's `Resources`.
    pub fn resources(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.template
            .get("Resources")
            .and_then(Json::as_object)
            .into_iter()
            .flat_map(|m| m.iter().map(|(k, v)| (k.as_str(), v)))
    }

    /// A resource by logical id.
    pub fn resource(&self, logical_id: &str) -> Option<&Json> {
        self.template.get("Resources")?.get(logical_id)
    }

    /// Whether a named condition of the template holds in a region: `None` when it depends on
    /// something only known at deploy (a parameter).
    pub fn condition_holds(&self, name: &str, region: &str) -> Option<bool> {
        let cond = self.template.get("Conditions")?.get(name)?;
        match self.eval(cond, region, 0)? {
            Val::Bool(b) => Some(b),
            Val::Str(_) => None,
        }
    }

    fn eval(&self, v: &Json, region: &str, depth: usize) -> Option<Val> {
        if depth > 16 {
            return None;
        }
        let args = |k: &str| v.get(k).and_then(Json::as_array);
        match v {
            Json::String(s) => return Some(Val::Str(s.clone())),
            Json::Bool(b) => return Some(Val::Bool(*b)),
            Json::Number(n) => return Some(Val::Str(n.to_string())),
            _ => {}
        }
        if let Some(Json::String(name)) = v.get("Condition") {
            return self.condition_holds(name, region).map(Val::Bool);
        }
        if v.get("Ref").and_then(Json::as_str) == Some("AWS::Region") {
            return Some(Val::Str(region.to_owned()));
        }
        if let Some(a) = args("Fn::Equals") {
            let (x, y) = (self.eval(a.first()?, region, depth + 1)?, self.eval(a.get(1)?, region, depth + 1)?);
            return Some(Val::Bool(x == y));
        }
        if let Some(a) = args("Fn::Not") {
            let Val::Bool(b) = self.eval(a.first()?, region, depth + 1)? else { return None };
            return Some(Val::Bool(!b));
        }
        for (key, all) in [("Fn::And", true), ("Fn::Or", false)] {
            if let Some(a) = args(key) {
                let mut unknown = false;
                for c in a {
                    match self.eval(c, region, depth + 1) {
                        Some(Val::Bool(b)) if b != all => return Some(Val::Bool(b)),
                        Some(Val::Bool(_)) => {}
                        _ => unknown = true,
                    }
                }
                return if unknown { None } else { Some(Val::Bool(all)) };
            }
        }
        if let Some(a) = args("Fn::FindInMap") {
            let key = |i: usize| match self.eval(a.get(i)?, region, depth + 1)? {
                Val::Str(s) => Some(s),
                Val::Bool(_) => None,
            };
            let found = self.template.get("Mappings")?.get(key(0)?)?.get(key(1)?)?.get(key(2)?)?;
            return self.eval(found, region, depth + 1);
        }
        None
    }

    /// The text a value has in one region, when the template alone decides it: literals,
    /// `AWS::Region`, `Fn::FindInMap` over the template's mappings, `Fn::Sub` and `Fn::Join`
    /// over such values. Other pseudo parameters stay as `${AWS::AccountId}`; `None` when it
    /// depends on a resource or a parameter.
    pub fn text_in(&self, v: &Json, region: &str) -> Option<String> {
        match v {
            Json::String(s) => Some(s.clone()),
            Json::Number(n) => Some(n.to_string()),
            Json::Object(m) if m.len() == 1 => {
                let (k, arg) = m.iter().next()?;
                match k.as_str() {
                    "Ref" => match arg.as_str()? {
                        "AWS::Region" => Some(region.to_owned()),
                        n if n.starts_with("AWS::") => Some(format!("${{{n}}}")),
                        _ => None,
                    },
                    "Fn::FindInMap" => match self.eval(v, region, 0)? {
                        Val::Str(s) => Some(s),
                        Val::Bool(b) => Some(b.to_string()),
                    },
                    "Fn::Sub" => {
                        let (text, vars) = sub_args(arg)?;
                        let mut out = text.to_owned();
                        for var in sub_vars(text) {
                            let value = match vars.get(&var) {
                                Some(val) => self.text_in(val, region)?,
                                None if var == "AWS::Region" => region.to_owned(),
                                None if var.starts_with("AWS::") => continue,
                                None => return None,
                            };
                            out = out.replace(&format!("${{{var}}}"), &value);
                        }
                        Some(out)
                    }
                    "Fn::Join" => {
                        let a = arg.as_array()?;
                        let sep = a.first()?.as_str()?;
                        let parts: Option<Vec<String>> =
                            a.get(1)?.as_array()?.iter().map(|p| self.text_in(p, region)).collect();
                        Some(parts?.join(sep))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The line (1-based) where a resource starts in the template file.
    pub fn line_of(&self, logical_id: &str) -> Option<usize> {
        let needle = format!("\"{logical_id}\": {{");
        let resources = self.text.find("\"Resources\"")?;
        let at = resources + self.text[resources..].find(&needle)?;
        Some(self.text[..at].lines().count().max(1))
    }
}

/// The largest assembly file [`Assembly::load`] reads (a template CloudFormation takes is at most
/// 1 MB; a manifest of a thousand stacks is a few MB).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

impl Assembly {
    /// Reads an assembly directory (`manifest.json` and the templates it lists).
    /// A file over [`MAX_FILE_BYTES`], a template named outside the directory (absolute, or
    /// through `..`) or one that is not UTF-8 is refused, naming the file.
    pub fn load(dir: &Path) -> Result<Assembly, Error> {
        let read = |file: &Path| {
            let refuse = |message: String| Error::Read { file: file.to_owned(), message };
            let len = std::fs::metadata(file).map_err(|e| refuse(e.to_string()))?.len();
            if len > MAX_FILE_BYTES {
                return Err(refuse(format!("{len} bytes, over the {MAX_FILE_BYTES} an assembly file may have")));
            }
            std::fs::read_to_string(file).map_err(|e| refuse(e.to_string()))
        };
        let manifest_file = dir.join(MANIFEST_FILE);
        let manifest_text = read(&manifest_file)?;
        let manifest = Manifest::from_json(&manifest_text)
            .map_err(|message| Error::Manifest { file: manifest_file.clone(), message })?;
        let mut templates = BTreeMap::new();
        for s in &manifest.stacks {
            let inside = Path::new(&s.template)
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_) | std::path::Component::CurDir));
            if !inside {
                return Err(Error::Manifest {
                    file: manifest_file.clone(),
                    message: format!("stack {} names a template outside the assembly directory", s.name),
                });
            }
            let file = dir.join(&s.template);
            templates.insert(s.template.clone(), read(&file)?);
        }
        Assembly::build(manifest, templates, dir)
    }

    /// An assembly held in memory: the manifest's text and template file name → text.
    pub fn from_parts(manifest: &str, templates: BTreeMap<String, String>) -> Result<Assembly, Error> {
        let manifest =
            Manifest::from_json(manifest).map_err(|message| Error::Manifest { file: MANIFEST_FILE.into(), message })?;
        Assembly::build(manifest, templates, Path::new(""))
    }

    /// The assembly `App::synth` returned.
    pub fn from_synth(assembly: &haplat_core::Assembly) -> Result<Assembly, Error> {
        Assembly::build(assembly.manifest.clone(), assembly.templates.clone(), Path::new(""))
    }

    fn build(manifest: Manifest, mut templates: BTreeMap<String, String>, dir: &Path) -> Result<Assembly, Error> {
        let mut stacks = Vec::new();
        for s in &manifest.stacks {
            let file = dir.join(&s.template);
            let text = templates.remove(&s.template).ok_or_else(|| Error::Read {
                file: file.clone(),
                message: format!("the manifest lists it for stack {} but it is not in the assembly", s.name),
            })?;
            let template: Json = serde_json::from_str(&text)
                .map_err(|e| Error::Template { file: file.clone(), message: e.to_string() })?;
            let Some(doc) = template.as_object() else {
                return Err(Error::Template { file, message: "the top level is not a JSON object".into() });
            };
            if !doc.get("Resources").is_some_and(Json::is_object) {
                return Err(Error::Template { file, message: "it has no Resources object".into() });
            }
            stacks.push(StackTemplate { manifest: s.clone(), template, text });
        }
        Ok(Assembly { manifest, stacks, baseline: BTreeMap::new() })
    }

    /// The same assembly, with what is deployed: stack name → its template.
    pub fn with_baseline(mut self, baseline: BTreeMap<String, Json>) -> Assembly {
        self.baseline = baseline;
        self
    }

    /// The baseline from another assembly directory (a previous synth): its templates by stack
    /// name.
    pub fn baseline_from_dir(dir: &Path) -> Result<BTreeMap<String, Json>, Error> {
        let before = Assembly::load(dir)?;
        Ok(before.stacks.into_iter().map(|s| (s.manifest.name, s.template)).collect())
    }

    /// A resource of the baseline: the deployed version of `r`, when its stack is deployed and
    /// has it.
    pub fn deployed<'a>(&'a self, r: &Res<'_>) -> Option<&'a Json> {
        self.baseline.get(self.stacks[r.stack].name())?.get("Resources")?.get(r.id)
    }

    /// Every resource of every stack.
    pub fn resources(&self) -> impl Iterator<Item = Res<'_>> {
        self.stacks
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.resources().map(move |(id, json)| Res { stack: i, stack_t: s, id, json }))
    }

    /// Every resource of one CloudFormation type.
    pub fn of_type<'a>(&'a self, type_name: &'a str) -> impl Iterator<Item = Res<'a>> + 'a {
        self.resources().filter(move |r| r.type_name() == type_name)
    }

    /// A resource of a stack by logical id.
    pub fn res(&self, stack: usize, id: &str) -> Option<Res<'_>> {
        let s = self.stacks.get(stack)?;
        let (id, json) = s.template.get("Resources")?.as_object()?.get_key_value(id)?;
        Some(Res { stack, stack_t: s, id, json })
    }

    /// The resource a value points at: `Ref`/`Fn::GetAtt` of a resource of the stack, or of a
    /// parameter that a binding fills from another stack's output (followed to the producer).
    pub fn target(&self, stack: usize, v: &Json) -> Option<Res<'_>> {
        self.target_depth(stack, v, 0)
    }

    fn target_depth(&self, stack: usize, v: &Json, depth: usize) -> Option<Res<'_>> {
        if depth > 8 {
            return None;
        }
        let obj = v.as_object()?;
        if let Some(Json::String(name)) = obj.get("Ref") {
            if let Some(r) = self.res(stack, name) {
                return Some(r);
            }
            let s = &self.stacks[stack];
            let b = s.manifest.bindings.iter().find(|b| &b.parameter == name)?;
            let producer = self.stacks.iter().position(|p| p.manifest.name == b.producer)?;
            let value = self.stacks[producer].template.get("Outputs")?.get(&b.output)?.get("Value")?;
            return self.target_depth(producer, value, depth + 1);
        }
        if let Some(Json::Array(a)) = obj.get("Fn::GetAtt") {
            return self.res(stack, a.first()?.as_str()?);
        }
        // A list output crosses stacks as Fn::Join [",", value].
        if let Some(Json::Array(a)) = obj.get("Fn::Join") {
            return self.target_depth(stack, a.get(1)?, depth + 1);
        }
        None
    }

    /// The index of a stack by name.
    pub fn stack_index(&self, name: &str) -> Option<usize> {
        self.stacks.iter().position(|s| s.manifest.name == name)
    }
}

/// One resource of one stack.
#[derive(Clone, Copy, Debug)]
pub struct Res<'a> {
    /// The index of its stack in [`Assembly::stacks`].
    pub stack: usize,
    /// Its stack.
    pub stack_t: &'a StackTemplate,
    /// Its logical id.
    pub id: &'a str,
    /// Its template entry.
    pub json: &'a Json,
}

impl<'a> Res<'a> {
    /// Its CloudFormation type.
    pub fn type_name(&self) -> &'a str {
        self.json.get("Type").and_then(Json::as_str).unwrap_or_default()
    }

    /// Its construct path (`Metadata."haplat:path"`), or the logical id for a resource written
    /// by hand.
    pub fn path(&self) -> &'a str {
        self.json.get("Metadata").and_then(|m| m.get("haplat:path")).and_then(Json::as_str).unwrap_or(self.id)
    }

    /// A `Metadata` entry.
    pub fn metadata(&self, key: &str) -> Option<&'a Json> {
        self.json.get("Metadata").and_then(|m| m.get(key))
    }

    /// Its properties (an empty object when it has none).
    pub fn props(&self) -> &'a Json {
        static EMPTY: Json = Json::Null;
        self.json.get("Properties").unwrap_or(&EMPTY)
    }

    /// A property.
    pub fn prop(&self, name: &str) -> Option<&'a Json> {
        self.props().get(name)
    }

    /// A property that is a literal string.
    pub fn prop_str(&self, name: &str) -> Option<&'a str> {
        self.prop(name).and_then(Json::as_str)
    }

    /// Its `DeletionPolicy` as written (`None` when absent).
    pub fn deletion_policy(&self) -> Option<&'a str> {
        self.json.get("DeletionPolicy").and_then(Json::as_str)
    }

    /// Whether deleting the stack (or removing the resource) deletes it: `Delete`, `Snapshot`
    /// (a snapshot, then delete) or no policy (CloudFormation's default is to delete).
    pub fn deleted_with_stack(&self) -> bool {
        !self.retained()
    }

    /// `DeletionPolicy: Retain` or `RetainExceptOnCreate`.
    pub fn retained(&self) -> bool {
        matches!(self.deletion_policy(), Some("Retain" | "RetainExceptOnCreate"))
    }

    /// The policy as a phrase for messages.
    pub fn policy_text(&self) -> String {
        match self.deletion_policy() {
            Some(p) => format!("DeletionPolicy {p}"),
            None => "no DeletionPolicy (CloudFormation then deletes it)".into(),
        }
    }

    /// Its `Condition`, if any.
    pub fn condition(&self) -> Option<&'a str> {
        self.json.get("Condition").and_then(Json::as_str)
    }

    /// Its regions: those of its stack where its `Condition` (if any) may hold.
    pub fn regions(&self) -> Vec<String> {
        let all = self.stack_t.regions();
        match self.condition() {
            None => all,
            Some(c) => all.into_iter().filter(|r| self.stack_t.condition_holds(c, r) != Some(false)).collect(),
        }
    }

    /// Its tags as a map, from a `Tags` list (`[{Key, Value}]`) or map; only literal values.
    pub fn tags(&self) -> BTreeMap<&'a str, &'a str> {
        let mut out = BTreeMap::new();
        match self.prop("Tags") {
            Some(Json::Array(items)) => {
                for i in items {
                    if let (Some(k), Some(v)) =
                        (i.get("Key").and_then(Json::as_str), i.get("Value").and_then(Json::as_str))
                    {
                        out.insert(k, v);
                    }
                }
            }
            Some(Json::Object(m)) => {
                for (k, v) in m {
                    if let Some(v) = v.as_str() {
                        out.insert(k.as_str(), v);
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// The reasons given in `Metadata."haplat:suppress"` for this rule id.
    pub fn suppression(&self, rule: &str) -> Option<String> {
        let list = self.json.get("Metadata")?.get(haplat_core::app::HAPLAT_SUPPRESS)?.as_array()?;
        list.iter()
            .find(|s| s.get("id").and_then(Json::as_str) == Some(rule))
            .map(|s| s.get("reason").and_then(Json::as_str).unwrap_or_default().to_owned())
    }
}

/// A value that is `true` or `"true"` (CloudFormation accepts both for booleans).
pub fn is_true(v: Option<&Json>) -> bool {
    match v {
        Some(Json::Bool(b)) => *b,
        Some(Json::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// Every logical name a value refers to (`Ref`, `Fn::GetAtt`, `${Name}` in `Fn::Sub`), pseudo
/// parameters left out.
pub fn refs_in(v: &Json) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    collect_refs(v, &mut out);
    out
}

fn collect_refs(v: &Json, out: &mut BTreeSet<String>) {
    match v {
        Json::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        Json::Object(m) => {
            if let Some(Json::String(n)) = m.get("Ref")
                && !n.starts_with("AWS::")
            {
                out.insert(n.clone());
            }
            if let Some(Json::Array(a)) = m.get("Fn::GetAtt")
                && let Some(n) = a.first().and_then(Json::as_str)
            {
                out.insert(n.to_owned());
            }
            if let Some(sub) = m.get("Fn::Sub") {
                let text = match sub {
                    Json::String(s) => Some(s.as_str()),
                    Json::Array(a) => a.first().and_then(Json::as_str),
                    _ => None,
                };
                let vars: BTreeSet<String> = match sub {
                    Json::Array(a) => a.get(1).and_then(Json::as_object).map(|m| m.keys().cloned().collect()),
                    _ => None,
                }
                .unwrap_or_default();
                for var in text.map(sub_vars).unwrap_or_default() {
                    let name = var.split('.').next().unwrap_or_default().to_owned();
                    if !name.starts_with("AWS::") && !vars.contains(&name) {
                        out.insert(name);
                    }
                }
            }
            m.values().for_each(|x| collect_refs(x, out));
        }
        _ => {}
    }
}

/// The `${…}` variables of an `Fn::Sub` string (`${!Literal}` is not one).
pub fn sub_vars(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let var = &after[..end];
        if !var.starts_with('!') {
            out.push(var.to_owned());
        }
        rest = &after[end + 1..];
    }
    out
}

/// Every string inside a value, with `Fn::Sub` strings included as written.
pub fn strings_in(v: &Json) -> Vec<&str> {
    let mut out = Vec::new();
    fn walk<'a>(v: &'a Json, out: &mut Vec<&'a str>) {
        match v {
            Json::String(s) => out.push(s),
            Json::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Json::Object(m) => m.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(v, &mut out);
    out
}

/// Pseudo parameters that differ for each stack created: haplat deploys every stack as a stack
/// set instance, whose stack name is `StackSet-<set>-<uuid>`, so `AWS::StackName` is as unique
/// as `AWS::StackId` (see `haplat-core/src/manifest.rs`, `Target`).
const UNIQUE_PSEUDO: &[&str] = &["AWS::StackId", "AWS::StackName", "AWS::NoValue"];

/// The text a name property will have on every deploy of the same stack, when it does not
/// depend on anything created by the deploy: a literal, or `Fn::Sub`/`Fn::Join` over literals
/// and pseudo parameters (other than those of [`UNIQUE_PSEUDO`]). `None` when CloudFormation
/// or a resource makes it unique.
pub fn fixed_text(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Object(m) if m.len() == 1 => {
            let (k, arg) = m.iter().next()?;
            match k.as_str() {
                "Ref" => {
                    let n = arg.as_str()?;
                    (n.starts_with("AWS::") && !UNIQUE_PSEUDO.contains(&n)).then(|| format!("${{{n}}}"))
                }
                "Fn::Sub" => {
                    let (text, vars) = sub_args(arg)?;
                    let mut out = text.to_owned();
                    for var in sub_vars(text) {
                        if let Some(val) = vars.get(&var) {
                            out = out.replace(&format!("${{{var}}}"), &fixed_text(val)?);
                        } else if !var.starts_with("AWS::") || UNIQUE_PSEUDO.contains(&var.as_str()) {
                            return None;
                        }
                    }
                    Some(out)
                }
                "Fn::Join" => {
                    let a = arg.as_array()?;
                    let sep = a.first()?.as_str()?;
                    let parts: Option<Vec<String>> = a.get(1)?.as_array()?.iter().map(fixed_text).collect();
                    Some(parts?.join(sep))
                }
                "Fn::FindInMap" => Some("${RegionConfig value}".into()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Joins a list for messages: `a, b and c`.
pub fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The text and variables of an `Fn::Sub` (its short form has no variables).
fn sub_args(arg: &Json) -> Option<(&str, Map<String, Json>)> {
    match arg {
        Json::String(t) => Some((t.as_str(), Map::new())),
        Json::Array(a) => Some((a.first()?.as_str()?, a.get(1)?.as_object()?.clone())),
        _ => None,
    }
}
