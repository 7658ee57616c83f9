//! The template diff: the differences between two versions of a stack's template (resources
//! with property paths, replacements from create-only properties, IAM and security-group
//! changes, deletion policies), and their rendering. Pure: no AWS, nothing of the crate; the
//! stack-diff reader ([`crate::stack_diff`]) adds regions and per-region parameters.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use haplat_core::manifest::ResourceManifest;
use serde::Serialize;
use serde_json::Value;

/// Resource types that hold data, used when the manifest does not say (a resource that only
/// exists in the deployed template).
pub const STATEFUL_TYPES: &[&str] = &[
    "AWS::Backup::BackupVault",
    "AWS::DocDB::DBCluster",
    "AWS::DynamoDB::GlobalTable",
    "AWS::DynamoDB::Table",
    "AWS::EC2::Volume",
    "AWS::EFS::FileSystem",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::KMS::Key",
    "AWS::Logs::LogGroup",
    "AWS::Neptune::DBCluster",
    "AWS::RDS::DBCluster",
    "AWS::RDS::DBInstance",
    "AWS::Route53::HostedZone",
    "AWS::S3::Bucket",
    "AWS::SecretsManager::Secret",
];

/// What the diff knows about a resource: from the manifest, or guessed from the template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceFacts {
    /// The CloudFormation type.
    pub type_name: String,
    /// The construct path, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Whether it holds data.
    pub stateful: bool,
    /// Create-only properties (dotted paths below `Properties`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub create_only: Vec<String>,
    /// Its deletion policy (`Delete` when the template says nothing).
    pub deletion_policy: String,
}

impl ResourceFacts {
    fn from_manifest(r: &ResourceManifest) -> ResourceFacts {
        ResourceFacts {
            type_name: r.type_name.clone(),
            path: Some(r.path.clone()),
            stateful: r.stateful,
            create_only: r.create_only.iter().map(|p| normalize_property_path(p)).collect(),
            deletion_policy: r.deletion_policy.clone(),
        }
    }

    fn from_template(resource: &Value) -> ResourceFacts {
        let type_name = resource.get("Type").and_then(Value::as_str).unwrap_or("").to_owned();
        ResourceFacts {
            stateful: STATEFUL_TYPES.contains(&type_name.as_str()),
            type_name,
            path: resource
                .pointer("/Metadata/haplat:path")
                .or_else(|| resource.pointer("/Metadata/aws:cdk:path"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            create_only: Vec::new(),
            deletion_policy: resource.get("DeletionPolicy").and_then(Value::as_str).unwrap_or("Delete").to_owned(),
        }
    }

    /// A deployed resource: its policies from the deployed template (what CloudFormation will
    /// apply), its construct path from the template's `haplat:path` metadata or else the
    /// manifest (which may no longer know it).
    pub fn of_deployed(
        logical_id: &str,
        deployed: &Value,
        manifest: Option<&BTreeMap<String, ResourceManifest>>,
    ) -> ResourceFacts {
        let mut f = ResourceFacts::from_template(deployed);
        if let Some(m) = manifest.and_then(|m| m.get(logical_id)).filter(|m| m.type_name == f.type_name) {
            f.path = f.path.or_else(|| Some(m.path.clone()));
            f.stateful |= m.stateful;
        }
        f
    }

    /// Whether deleting it keeps its data: the resource itself (`Retain`,
    /// `RetainExceptOnCreate`) or a snapshot of it (`Snapshot`: the resource is deleted).
    pub fn is_retained(&self) -> bool {
        matches!(self.deletion_policy.as_str(), "Retain" | "RetainExceptOnCreate" | "Snapshot")
    }

    /// What deleting it does, in words: `kept`, `deleted, snapshot kept` or `deleted`.
    pub fn on_delete(&self) -> &'static str {
        match self.deletion_policy.as_str() {
            "Retain" | "RetainExceptOnCreate" => "kept",
            "Snapshot" => "deleted, snapshot kept",
            _ => "deleted",
        }
    }

    /// The construct path, or `logical id` when unknown.
    pub fn display_path(&self, logical_id: &str) -> String {
        self.path.clone().unwrap_or_else(|| logical_id.to_owned())
    }
}

/// `/properties/A/B`, `A/B`, `A.B` → `A.B`.
fn normalize_property_path(p: &str) -> String {
    let p = p.strip_prefix("/properties/").unwrap_or(p);
    p.trim_start_matches('/').replace('/', ".")
}

/// One change to a value, at a dotted path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyChange {
    /// `Properties.KeySchema[0].AttributeName`, `DeletionPolicy`…
    pub path: String,
    /// The old value (JSON), `None` when added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    /// The new value (JSON), `None` when removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
    /// The create-only property this change touches, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_only: Option<String>,
}

/// How a resource changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ChangeKind {
    /// New.
    Added,
    /// Gone (deleted unless its deletion policy retains it).
    Removed,
    /// Updated in place.
    Modified,
    /// Replaced: a new physical resource, the old one deleted.
    Replaced,
}

/// Why a resource is called out for security review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Security {
    /// IAM roles, policies, resource policies, key policies.
    Iam,
    /// Security groups and their rules.
    SecurityGroup,
}

/// One resource that changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceChange {
    /// The logical id.
    pub logical_id: String,
    /// What is known about it (the new version's facts when it has one).
    pub facts: ResourceFacts,
    /// How it changes.
    pub kind: ChangeKind,
    /// Why it is replaced (create-only properties, or a type change).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replaced_because: Vec<String>,
    /// Changed values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<PropertyChange>,
    /// Security call-out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security: Option<Security>,
    /// The whole `Properties` of an IAM or security-group resource that is added or removed:
    /// a reviewer must read the permissions or rules it grants, not only its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<Value>,
}

impl ResourceChange {
    /// Whether this change destroys the resource's data: replacing or deleting a stateful
    /// resource whose deletion policy does not keep it. Replacement counts even when retained,
    /// since the stack then points at a new, empty resource.
    pub fn loses_data(&self) -> bool {
        self.facts.stateful
            && match self.kind {
                ChangeKind::Replaced => true,
                ChangeKind::Removed => !self.facts.is_retained(),
                _ => false,
            }
    }

    /// Whether `name` (a construct path, a prefix of one at a `/`, or the logical id) names
    /// this resource.
    pub fn is_named_by(&self, name: &str) -> bool {
        let name = name.trim_end_matches('/');
        name == self.logical_id
            || self
                .facts
                .path
                .as_deref()
                .is_some_and(|p| p == name || (p.starts_with(name) && p[name.len()..].starts_with('/')))
    }
}

/// A change to a named entry of another template section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryChange {
    /// `Outputs`, `Parameters`, `Mappings`, `Conditions`, `Description`…
    pub section: String,
    /// The entry's name (empty for scalar sections).
    pub name: String,
    /// How it changes.
    pub kind: ChangeKind,
}

/// The differences between two templates of a stack.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateDiff {
    /// Resources, by logical id.
    pub resources: Vec<ResourceChange>,
    /// Other sections.
    pub other: Vec<EntryChange>,
}

impl TemplateDiff {
    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.other.is_empty()
    }
}

/// Facts about the resources of one side, from its manifest when there is one.
pub type FactsSource<'a> = Option<&'a BTreeMap<String, ResourceManifest>>;

/// Compares two templates. `None` is a stack that does not exist on that side.
pub fn diff_templates(
    old: Option<&Value>,
    old_facts: FactsSource<'_>,
    new: Option<&Value>,
    new_facts: FactsSource<'_>,
) -> TemplateDiff {
    let empty = Value::Object(Default::default());
    let old = old.unwrap_or(&empty);
    let new = new.unwrap_or(&empty);
    let section = |t: &Value, name: &str| t.get(name).and_then(Value::as_object).cloned().unwrap_or_default();
    let old_res = section(old, "Resources");
    let new_res = section(new, "Resources");
    let facts = |id: &str, side: FactsSource<'_>, r: &Value| {
        side.and_then(|m| m.get(id))
            .map(ResourceFacts::from_manifest)
            .unwrap_or_else(|| ResourceFacts::from_template(r))
    };
    let ids: BTreeSet<&String> = old_res.keys().chain(new_res.keys()).collect();
    let mut resources = Vec::new();
    for id in ids {
        match (old_res.get(id), new_res.get(id)) {
            (None, Some(n)) => {
                let security = security_of(&type_of(n), &[]);
                resources.push(ResourceChange {
                    logical_id: id.clone(),
                    properties: security.and(whole_properties(n)),
                    security,
                    facts: facts(id, new_facts, n),
                    kind: ChangeKind::Added,
                    replaced_because: vec![],
                    changes: vec![],
                })
            }
            (Some(o), None) => {
                let security = security_of(&type_of(o), &[]);
                resources.push(ResourceChange {
                    logical_id: id.clone(),
                    properties: security.and(whole_properties(o)),
                    security,
                    facts: facts(id, old_facts, o),
                    kind: ChangeKind::Removed,
                    replaced_because: vec![],
                    changes: vec![],
                })
            }
            (Some(o), Some(n)) if o != n => {
                let f = facts(id, new_facts, n);
                let mut changes = Vec::new();
                diff_values("", o, n, &mut changes);
                let mut because = Vec::new();
                if type_of(o) != type_of(n) {
                    because.push(format!("its type changes from {}", type_of(o)));
                }
                // `Properties` added or removed as a whole: a create-only property whose value
                // differs between the two (absent on one side) forces the replacement.
                let at = |v: &Value, co: &str| {
                    strip_indices(co).split('.').try_fold(v.get("Properties")?, |cur, seg| cur.get(seg)).cloned()
                };
                for c in &mut changes {
                    let co = match c.path.strip_prefix("Properties.") {
                        Some(prop) => f.create_only.iter().find(|co| touches(prop, co)),
                        None if c.path == "Properties" => f.create_only.iter().find(|co| at(o, co) != at(n, co)),
                        None => None,
                    };
                    if let Some(co) = co {
                        c.create_only = Some(co.clone());
                        let why = format!("{co} is create-only");
                        if !because.contains(&why) {
                            because.push(why);
                        }
                    }
                }
                let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
                resources.push(ResourceChange {
                    logical_id: id.clone(),
                    security: security_of(&f.type_name, &paths),
                    kind: if because.is_empty() { ChangeKind::Modified } else { ChangeKind::Replaced },
                    facts: f,
                    replaced_because: because,
                    changes,
                    properties: None,
                });
            }
            _ => {}
        }
    }
    let mut other = Vec::new();
    for name in ["Parameters", "Mappings", "Conditions", "Outputs", "Rules"] {
        let (o, n) = (section(old, name), section(new, name));
        let keys: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
        for k in keys {
            let kind = match (o.get(k), n.get(k)) {
                (None, Some(_)) => ChangeKind::Added,
                (Some(_), None) => ChangeKind::Removed,
                (Some(a), Some(b)) if a != b => ChangeKind::Modified,
                _ => continue,
            };
            other.push(EntryChange { section: name.to_owned(), name: k.clone(), kind });
        }
    }
    for name in ["Description", "Transform", "Metadata"] {
        let kind = match (old.get(name), new.get(name)) {
            (None, Some(_)) => ChangeKind::Added,
            (Some(_), None) => ChangeKind::Removed,
            (Some(a), Some(b)) if a != b => ChangeKind::Modified,
            _ => continue,
        };
        other.push(EntryChange { section: name.to_owned(), name: String::new(), kind });
    }
    TemplateDiff { resources, other }
}

/// A resource's `Properties` (an empty object when it has none, so that a reviewer still
/// sees that it has none).
fn whole_properties(r: &Value) -> Option<Value> {
    Some(r.get("Properties").cloned().unwrap_or_else(|| Value::Object(Default::default())))
}

fn type_of(r: &Value) -> String {
    r.get("Type").and_then(Value::as_str).unwrap_or("").to_owned()
}

/// Whether a change at `prop` (below `Properties`) touches the create-only property `co`.
fn touches(prop: &str, co: &str) -> bool {
    let base = |p: &str| p.split('[').next().unwrap_or(p).to_owned();
    let prop_plain = strip_indices(prop);
    let co = strip_indices(co);
    prop_plain == co
        || prop_plain.starts_with(&format!("{co}."))
        || co.starts_with(&format!("{prop_plain}."))
        || base(&prop_plain) == co
}

fn strip_indices(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let mut depth = 0;
    for ch in p.chars() {
        match ch {
            '[' => depth += 1,
            ']' => depth -= 1,
            '*' => {}
            _ if depth == 0 => out.push(ch),
            _ => {}
        }
    }
    out.replace("..", ".").trim_end_matches('.').to_owned()
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() { key.to_owned() } else { format!("{prefix}.{key}") }
}

/// Lists whose order AWS ignores, compared as sets (see [`diff_values`]): a policy's
/// statements (in any policy document: inline role policies, managed policies, bucket, queue,
/// topic and key policies), a role's inline policies, a security group's rules. Compared by
/// index, one statement gained or lost shifts every following one and shows them all as
/// changed. Other lists (key schemas, container definitions…) keep their order, which may
/// mean something, and are compared by index.
const UNORDERED_LISTS: &[&str] = &["Statement", "Policies", "SecurityGroupIngress", "SecurityGroupEgress"];

/// Fields that name an element of an unordered list: a statement's `Sid`, an inline policy's
/// `PolicyName`. Two elements with the same name are the same element, changed.
const ELEMENT_NAMES: &[&str] = &["Sid", "PolicyName"];

fn is_unordered(prefix: &str) -> bool {
    let last = prefix.rsplit('.').next().unwrap_or(prefix);
    UNORDERED_LISTS.contains(&last)
}

fn element_name(v: &Value) -> Option<(&'static str, &Value)> {
    ELEMENT_NAMES.iter().find_map(|k| v.get(*k).map(|name| (*k, name)))
}

/// An unordered list's differences: an element equal to one on the other side (wherever it
/// is) is unchanged and not shown; one named like one on the other side (`Sid`,
/// `PolicyName`) is that element changed, its inner differences at its new index; every
/// other element is removed (at its old index) or added (at its new one), whole.
fn diff_unordered(prefix: &str, x: &[Value], y: &[Value], out: &mut Vec<PropertyChange>) {
    let mut old_used = vec![false; x.len()];
    let mut old_of: Vec<Option<usize>> = vec![None; y.len()];
    for (j, b) in y.iter().enumerate() {
        if let Some(i) = (0..x.len()).find(|&i| !old_used[i] && x[i] == *b) {
            old_used[i] = true;
            old_of[j] = Some(i);
        }
    }
    for (j, b) in y.iter().enumerate() {
        let Some(name) = element_name(b).filter(|_| old_of[j].is_none()) else { continue };
        if let Some(i) = (0..x.len()).find(|&i| !old_used[i] && element_name(&x[i]) == Some(name)) {
            old_used[i] = true;
            old_of[j] = Some(i);
        }
    }
    for (i, a) in x.iter().enumerate().filter(|(i, _)| !old_used[*i]) {
        out.push(PropertyChange { path: format!("{prefix}[{i}]"), old: Some(a.clone()), new: None, create_only: None });
    }
    for (j, b) in y.iter().enumerate() {
        let path = format!("{prefix}[{j}]");
        match old_of[j] {
            Some(i) => diff_values(&path, &x[i], b, out),
            None => out.push(PropertyChange { path, old: None, new: Some(b.clone()), create_only: None }),
        }
    }
}

/// Every leaf difference between `a` and `b`, as dotted paths. Lists are compared by index,
/// except the unordered ones (policy statements, inline policies, security-group rules),
/// compared as sets of elements.
pub fn diff_values(prefix: &str, a: &Value, b: &Value, out: &mut Vec<PropertyChange>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let path = join(prefix, k);
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => diff_values(&path, va, vb, out),
                    (va, vb) => {
                        out.push(PropertyChange { path, old: va.cloned(), new: vb.cloned(), create_only: None })
                    }
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if is_unordered(prefix) => diff_unordered(prefix, x, y, out),
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                diff_values(&format!("{prefix}[{i}]"), va, vb, out);
            }
        }
        _ if a != b => out.push(PropertyChange {
            path: prefix.to_owned(),
            old: Some(a.clone()),
            new: Some(b.clone()),
            create_only: None,
        }),
        _ => {}
    }
}

fn security_of(type_name: &str, paths: &[&str]) -> Option<Security> {
    let iam_props = [
        "PolicyDocument",
        "Policies",
        "ManagedPolicyArns",
        "AssumeRolePolicyDocument",
        "KeyPolicy",
        "PermissionsBoundary",
    ];
    let sg_props = ["SecurityGroupIngress", "SecurityGroupEgress", "SecurityGroupIds", "SecurityGroups"];
    if type_name.starts_with("AWS::IAM::")
        || type_name.ends_with("Policy")
        || type_name == "AWS::Lambda::Permission"
        || paths.iter().any(|p| iam_props.iter().any(|k| p.contains(k)))
    {
        Some(Security::Iam)
    } else if type_name.starts_with("AWS::EC2::SecurityGroup")
        || paths.iter().any(|p| sg_props.iter().any(|k| p.contains(k)))
    {
        Some(Security::SecurityGroup)
    } else {
        None
    }
}

/// A compact, bounded rendering of a JSON value.
pub fn short(v: &Option<Value>) -> String {
    value_text(v, Some(80))
}

/// A JSON value as one line, cut to `limit` characters when given. IAM and security-group changes
/// are shown whole: a reviewer must see the part of an ARN or a statement that changed, which a
/// cut hides (`…:table/${Tabl... -> …:table/${Tabl...`).
pub fn value_text(v: &Option<Value>, limit: Option<usize>) -> String {
    match v {
        None => "(none)".to_owned(),
        Some(v) => {
            let s = v.to_string();
            match limit {
                Some(limit) if s.chars().count() > limit => {
                    let cut: String = s.chars().take(limit.saturating_sub(3)).collect();
                    format!("{cut}...")
                }
                _ => s,
            }
        }
    }
}

/// The value of a change shown whole, as indented JSON over several lines, with its sign: an
/// object or list added (`+`) or removed (`-`), such as a policy statement or a security-group
/// rule. `None` for a value that changes in place, shown on one line `old -> new`.
pub fn whole_value(c: &PropertyChange) -> Option<(char, &Value)> {
    let container = |v: &Value| v.is_object() || v.is_array();
    match (&c.old, &c.new) {
        (Some(v), None) if container(v) => Some(('-', v)),
        (None, Some(v)) if container(v) => Some(('+', v)),
        _ => None,
    }
}

/// `v` as indented JSON after `{sign} {label}: `, every further line marked with `sign` too
/// (so that a `diff` block colours it whole); `note` ends the first line. Never cut.
pub fn whole_lines(sign: char, label: &str, v: &Value, note: &str) -> Vec<String> {
    let pretty = serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string());
    let mut lines = pretty.lines();
    let first = lines.next().unwrap_or_default();
    let mut out = vec![format!("{sign} {label}: {first}{note}")];
    out.extend(lines.map(|l| format!("{sign} {l}")));
    out
}

/// Renders a template diff, indented by `indent` spaces.
pub fn render_template_diff(d: &TemplateDiff, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for r in &d.resources {
        let sign = match r.kind {
            ChangeKind::Added => "+",
            ChangeKind::Removed => "-",
            ChangeKind::Modified => "~",
            ChangeKind::Replaced => "!",
        };
        let mut notes = Vec::new();
        if r.kind == ChangeKind::Replaced {
            notes.push(format!("REPLACE: {}", r.replaced_because.join(", ")));
        }
        if r.kind == ChangeKind::Removed {
            notes.push(if r.facts.deletion_policy == "Snapshot" {
                "deleted, snapshot kept (DeletionPolicy Snapshot)".to_owned()
            } else if r.facts.is_retained() {
                format!("kept in the account (DeletionPolicy {})", r.facts.deletion_policy)
            } else {
                "DELETED".to_owned()
            });
        }
        if r.facts.stateful {
            notes.push("stateful".to_owned());
        }
        match r.security {
            Some(Security::Iam) => notes.push("IAM".to_owned()),
            Some(Security::SecurityGroup) => notes.push("security group".to_owned()),
            None => {}
        }
        let path = r.facts.path.as_deref().map(|p| format!(" {p}")).unwrap_or_default();
        let notes = if notes.is_empty() { String::new() } else { format!("  [{}]", notes.join("; ")) };
        let _ = writeln!(out, "{pad}{sign} {} {}{path}{notes}", r.logical_id, r.facts.type_name);
        if let Some(props) = &r.properties {
            let sign = if r.kind == ChangeKind::Removed { '-' } else { '+' };
            for l in whole_lines(sign, "Properties", props, "") {
                let _ = writeln!(out, "{pad}    {l}");
            }
        }
        let limit = if r.security.is_some() { None } else { Some(80) };
        for c in &r.changes {
            let co = if c.create_only.is_some() { "  (create-only: forces replacement)" } else { "" };
            // An IAM statement or a security-group rule added or removed: whole and readable,
            // not one long line of JSON.
            if let Some((sign, v)) = whole_value(c).filter(|_| r.security.is_some()) {
                for l in whole_lines(sign, &c.path, v, co) {
                    let _ = writeln!(out, "{pad}    {l}");
                }
                continue;
            }
            let (old, new) = (value_text(&c.old, limit), value_text(&c.new, limit));
            let _ = writeln!(out, "{pad}    {}: {old} -> {new}{co}", c.path);
        }
    }
    for e in &d.other {
        let sign = match e.kind {
            ChangeKind::Added => "+",
            ChangeKind::Removed => "-",
            _ => "~",
        };
        if e.name.is_empty() {
            let _ = writeln!(out, "{pad}{sign} {}", e.section);
        } else {
            let _ = writeln!(out, "{pad}{sign} {} {}", e.section, e.name);
        }
    }
    let iam: Vec<&str> =
        d.resources.iter().filter(|r| r.security == Some(Security::Iam)).map(|r| r.logical_id.as_str()).collect();
    let sg: Vec<&str> = d
        .resources
        .iter()
        .filter(|r| r.security == Some(Security::SecurityGroup))
        .map(|r| r.logical_id.as_str())
        .collect();
    if !iam.is_empty() {
        let _ = writeln!(out, "{pad}IAM changes (review): {}", iam.join(", "));
    }
    if !sg.is_empty() {
        let _ = writeln!(out, "{pad}security group changes (review): {}", sg.join(", "));
    }
}

/// Resources that stay in the account, by logical id.
pub type Retained = Vec<(String, ResourceFacts)>;

/// The resources of a deployed template that its DeletionPolicy keeps, by logical id.
pub fn retained_resources(deployed: &Value, manifest: Option<&BTreeMap<String, ResourceManifest>>) -> Retained {
    let Some(resources) = deployed.get("Resources").and_then(Value::as_object) else { return Vec::new() };
    resources
        .iter()
        .map(|(id, r)| (id.clone(), ResourceFacts::of_deployed(id, r, manifest)))
        .filter(|(_, f)| f.is_retained())
        .collect()
}

/// The stateful resources of a deployed template deleted with their data (no retaining
/// DeletionPolicy), by logical id.
pub fn lost_resources(deployed: &Value, manifest: Option<&BTreeMap<String, ResourceManifest>>) -> Retained {
    let Some(resources) = deployed.get("Resources").and_then(Value::as_object) else { return Vec::new() };
    resources
        .iter()
        .map(|(id, r)| (id.clone(), ResourceFacts::of_deployed(id, r, manifest)))
        .filter(|(_, f)| f.stateful && !f.is_retained())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn facts(type_name: &str, stateful: bool, create_only: &[&str]) -> ResourceManifest {
        ResourceManifest {
            type_name: type_name.into(),
            path: "Data/Table".into(),
            stateful,
            create_only: create_only.iter().map(|s| s.to_string()).collect(),
            deletion_policy: "Retain".into(),
        }
    }

    #[test]
    fn create_only_change_is_a_replacement_with_its_path() {
        let old = json!({"Resources": {"T": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "a", "BillingMode": "PAY_PER_REQUEST"}}}});
        let new = json!({"Resources": {"T": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "b", "BillingMode": "PAY_PER_REQUEST"}}}});
        let m = BTreeMap::from([(
            "T".to_string(),
            facts("AWS::DynamoDB::Table", true, &["TableName", "/properties/KeySchema"]),
        )]);
        let d = diff_templates(Some(&old), None, Some(&new), Some(&m));
        assert_eq!(d.resources.len(), 1);
        let r = &d.resources[0];
        assert_eq!(r.kind, ChangeKind::Replaced);
        assert_eq!(r.replaced_because, vec!["TableName is create-only"]);
        assert_eq!(r.changes[0].path, "Properties.TableName");
        assert!(r.loses_data());
        assert!(r.is_named_by("Data/Table"));
        assert!(r.is_named_by("Data"));
        assert!(r.is_named_by("T"));
        assert!(!r.is_named_by("Dat"));
    }

    #[test]
    fn nested_create_only_and_in_place_changes() {
        let old = json!({"Resources": {"T": {"Type": "X::Y::Z", "Properties": {"KeySchema": [{"AttributeName": "pk"}], "Tags": [{"Key": "a", "Value": "1"}]}}}});
        let new = json!({"Resources": {"T": {"Type": "X::Y::Z", "Properties": {"KeySchema": [{"AttributeName": "id"}], "Tags": [{"Key": "a", "Value": "2"}]}}}});
        let m = BTreeMap::from([("T".to_string(), facts("X::Y::Z", false, &["KeySchema"]))]);
        let d = diff_templates(Some(&old), None, Some(&new), Some(&m));
        let r = &d.resources[0];
        assert_eq!(r.kind, ChangeKind::Replaced);
        let paths: Vec<_> = r.changes.iter().map(|c| (c.path.as_str(), c.create_only.is_some())).collect();
        assert_eq!(paths, vec![("Properties.KeySchema[0].AttributeName", true), ("Properties.Tags[0].Value", false)]);
        assert!(!r.loses_data(), "not stateful");
    }

    #[test]
    fn removed_stateful_without_retain_loses_data_and_iam_is_called_out() {
        let old = json!({"Resources": {
            "B": {"Type": "AWS::S3::Bucket"},
            "K": {"Type": "AWS::KMS::Key", "DeletionPolicy": "Retain"},
            "R": {"Type": "AWS::IAM::Role", "Properties": {"Path": "/"}},
            "S": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": []}}
        }, "Outputs": {"O": {"Value": "x"}}});
        let new = json!({"Resources": {
            "R": {"Type": "AWS::IAM::Role", "Properties": {"Path": "/x/"}},
            "S": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": [{"CidrIp": "0.0.0.0/0"}]}}
        }});
        let d = diff_templates(Some(&old), None, Some(&new), None);
        let by: BTreeMap<_, _> = d.resources.iter().map(|r| (r.logical_id.as_str(), r)).collect();
        assert!(by["B"].loses_data());
        assert!(!by["K"].loses_data());
        assert_eq!(by["R"].security, Some(Security::Iam));
        assert_eq!(by["S"].security, Some(Security::SecurityGroup));
        assert_eq!(
            d.other,
            vec![EntryChange { section: "Outputs".into(), name: "O".into(), kind: ChangeKind::Removed }]
        );
        let mut s = String::new();
        render_template_diff(&d, 2, &mut s);
        assert!(s.contains("- B AWS::S3::Bucket  [DELETED; stateful]"), "{s}");
        assert!(s.contains("IAM changes (review): R"), "{s}");
    }

    #[test]
    fn resources_the_manifest_no_longer_knows_are_named_by_their_deployed_construct_path() {
        let deployed = json!({"Resources": {
            "OrdersTable1A2B3C4D": {"Type": "AWS::DynamoDB::Table", "Metadata": {"haplat:path": "Data/Orders/Table"}},
            "AuditBucket9F8E7D6C": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "Metadata": {"haplat:path": "Data/Audit/Bucket"}},
            "Legacy": {"Type": "AWS::SNS::Topic"}
        }});
        let new = json!({"Resources": {}});
        let m = BTreeMap::new();
        let d = diff_templates(Some(&deployed), None, Some(&new), Some(&m));
        let mut s = String::new();
        render_template_diff(&d, 0, &mut s);
        assert_eq!(
            s,
            "- AuditBucket9F8E7D6C AWS::S3::Bucket Data/Audit/Bucket  [kept in the account (DeletionPolicy Retain); stateful]\n\
             - Legacy AWS::SNS::Topic  [DELETED]\n\
             - OrdersTable1A2B3C4D AWS::DynamoDB::Table Data/Orders/Table  [DELETED; stateful]\n"
        );
        let table = d.resources.iter().find(|r| r.logical_id == "OrdersTable1A2B3C4D").unwrap();
        assert!(table.loses_data() && table.is_named_by("Data/Orders"));
        // What destroy lists as kept: the deployed policy, the deployed path, else the manifest's.
        let m = BTreeMap::from([(
            "Legacy".to_string(),
            ResourceManifest { deletion_policy: "Delete".into(), ..facts("AWS::SNS::Topic", false, &[]) },
        )]);
        let f = ResourceFacts::of_deployed("Legacy", &deployed["Resources"]["Legacy"], Some(&m));
        assert_eq!((f.path.as_deref(), f.is_retained()), (Some("Data/Table"), false));
        let f =
            ResourceFacts::of_deployed("AuditBucket9F8E7D6C", &deployed["Resources"]["AuditBucket9F8E7D6C"], Some(&m));
        assert_eq!((f.display_path("AuditBucket9F8E7D6C").as_str(), f.is_retained()), ("Data/Audit/Bucket", true));
    }

    #[test]
    fn adding_a_create_only_property_to_a_resource_without_properties_replaces_it() {
        let old = json!({"Resources": {"B": {"Type": "AWS::S3::Bucket"}}});
        let new = json!({"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "x"}}}});
        let m = BTreeMap::from([("B".to_string(), facts("AWS::S3::Bucket", true, &["BucketName"]))]);
        let d = diff_templates(Some(&old), Some(&m), Some(&new), Some(&m));
        assert_eq!(d.resources[0].kind, ChangeKind::Replaced, "{:?}", d.resources[0]);
        assert_eq!(d.resources[0].replaced_because, ["BucketName is create-only"]);
        // And removing them; a non-create-only property alone does not.
        let d = diff_templates(Some(&new), Some(&m), Some(&old), Some(&m));
        assert_eq!(d.resources[0].kind, ChangeKind::Replaced);
        let tags = json!({"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": []}}}});
        let d = diff_templates(Some(&old), Some(&m), Some(&tags), Some(&m));
        assert_eq!(d.resources[0].kind, ChangeKind::Modified);
    }

    #[test]
    fn a_snapshot_policy_deletes_the_resource_and_keeps_a_snapshot() {
        let db = json!({"Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Snapshot"});
        let f = ResourceFacts::of_deployed("Db", &db, None);
        assert_eq!(f.on_delete(), "deleted, snapshot kept");
        assert!(f.is_retained(), "its data survives");
        let kept = json!({"Type": "AWS::S3::Bucket", "DeletionPolicy": "RetainExceptOnCreate"});
        assert_eq!(ResourceFacts::of_deployed("B", &kept, None).on_delete(), "kept");
        let old = json!({"Resources": {"Db": db}});
        let d = diff_templates(Some(&old), None, Some(&json!({"Resources": {}})), None);
        let mut out = String::new();
        render_template_diff(&d, 0, &mut out);
        assert!(out.contains("[deleted, snapshot kept (DeletionPolicy Snapshot)"), "{out}");
    }

    #[test]
    fn statements_and_rules_are_compared_as_sets_and_statements_by_sid() {
        let stmt = |sid: Option<&str>, action: &str| {
            let mut s = json!({"Effect": "Allow", "Action": action, "Resource": "*"});
            if let Some(sid) = sid {
                s["Sid"] = json!(sid);
            }
            s
        };
        let doc = |stmts: Vec<Value>| json!({"Version": "2012-10-17", "Statement": stmts});
        // One statement lost at the front, one gained at the end, one changed in place by Sid.
        let old =
            doc(vec![stmt(None, "s3:GetObject"), stmt(None, "sqs:SendMessage"), stmt(Some("Keys"), "kms:Decrypt")]);
        let new = doc(vec![stmt(None, "sqs:SendMessage"), stmt(Some("Keys"), "kms:*"), stmt(None, "sns:Publish")]);
        let mut out = Vec::new();
        diff_values("PolicyDocument", &old, &new, &mut out);
        let got: Vec<_> = out.iter().map(|c| (c.path.as_str(), c.old.clone(), c.new.clone())).collect();
        assert_eq!(
            got,
            vec![
                ("PolicyDocument.Statement[0]", Some(stmt(None, "s3:GetObject")), None),
                ("PolicyDocument.Statement[1].Action", Some(json!("kms:Decrypt")), Some(json!("kms:*"))),
                ("PolicyDocument.Statement[2]", None, Some(stmt(None, "sns:Publish"))),
            ]
        );
        // Without a Sid, a changed statement is the old one removed and the new one added.
        let mut out = Vec::new();
        diff_values("PolicyDocument", &doc(vec![stmt(None, "a:B")]), &doc(vec![stmt(None, "a:C")]), &mut out);
        let signs: Vec<_> = out.iter().map(|c| (c.old.is_some(), c.new.is_some())).collect();
        assert_eq!(signs, vec![(true, false), (false, true)]);
        // Rules repeated: only the extra copy is new. Ordered lists keep comparing by index.
        let rule = json!({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/8"});
        let mut out = Vec::new();
        diff_values("SecurityGroupIngress", &json!([rule]), &json!([rule, rule]), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].path.as_str(), out[0].old.is_none()), ("SecurityGroupIngress[1]", true));
        let mut out = Vec::new();
        diff_values("KeySchema", &json!([{"A": 1}, {"B": 2}]), &json!([{"B": 2}, {"A": 1}]), &mut out);
        assert_eq!(out.len(), 4, "{out:?}");
    }

    #[test]
    fn added_and_removed_iam_and_security_group_resources_carry_their_properties() {
        let policy = json!({"Type": "AWS::IAM::Policy", "Properties": {"PolicyName": "p", "PolicyDocument": {
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}}});
        let old = json!({"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup"}, "T": {"Type": "AWS::SNS::Topic"}}});
        let new = json!({"Resources": {"P": policy}});
        let d = diff_templates(Some(&old), None, Some(&new), None);
        let by: BTreeMap<_, _> = d.resources.iter().map(|r| (r.logical_id.as_str(), r)).collect();
        assert_eq!(by["P"].properties.as_ref(), Some(&policy["Properties"]));
        assert_eq!(by["Sg"].properties, Some(json!({})), "no properties is shown as none");
        assert_eq!(by["T"].properties, None, "not IAM nor a security group");
        let mut s = String::new();
        render_template_diff(&d, 0, &mut s);
        assert!(
            s.contains("+ P AWS::IAM::Policy  [IAM]\n    + Properties: {\n    +   \"PolicyName\": \"p\",\n"),
            "{s}"
        );
        assert!(s.contains("- Sg AWS::EC2::SecurityGroup  [DELETED; security group]\n    - Properties: {}\n"), "{s}");
    }

    #[test]
    fn same_templates_have_no_diff() {
        let t = json!({"Resources": {"A": {"Type": "AWS::SNS::Topic"}}});
        assert!(diff_templates(Some(&t), None, Some(&t), None).is_empty());
    }
}
