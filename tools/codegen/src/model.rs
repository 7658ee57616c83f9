//! From one resource-type schema to the types of its Rust module.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use heck::{ToSnakeCase, ToUpperCamelCase};
use serde_json::Value as Json;

/// The Rust shape of a schema node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ty {
    Str,
    Int,
    Num,
    Bool,
    Json,
    Enum(String),
    Struct(String),
    List(Box<Ty>),
    Map(Box<Ty>),
}

/// Constraints checked by `validate()`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checks {
    pub min_len: Option<u64>,
    pub max_len: Option<u64>,
    pub pattern: Option<String>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct Field {
    pub rust: String,
    pub key: String,
    pub doc: Option<String>,
    pub ty: Ty,
    pub required: bool,
    pub boxed: bool,
    pub checks: Checks,
    pub create_only: bool,
    /// Nested `createOnlyProperties` that end at this field, as `A.B` paths from the resource
    /// (the struct may be used elsewhere too, so the doc names the path).
    pub create_only_at: Vec<String>,
    /// Checks of the string properties of each item of a list of structs (`CloudFormation name
    /// → checks`), moved here from the item type so that items differing only in their checks
    /// share one type (see `share.rs`).
    pub item_checks: Vec<(String, Checks)>,
}

#[derive(Clone, Debug)]
pub struct StructDef {
    pub name: String,
    pub doc: Option<String>,
    pub fields: Vec<Field>,
    /// `oneOf` groups of single required properties: exactly one must be set.
    pub one_of: Vec<Vec<String>>,
}

#[derive(Clone, Debug)]
pub struct EnumDef {
    pub name: String,
    pub doc: Option<String>,
    pub values: Vec<String>,
}

#[derive(Clone, Debug)]
pub enum Item {
    Struct(StructDef),
    Enum(EnumDef),
}

/// The type of an attribute, as the `Resource` trait spells it, plus integer-ness for the typed
/// accessor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrKind {
    String,
    Integer,
    Number,
    Boolean,
    ListOfString,
    Other,
}

#[derive(Clone, Debug)]
pub struct Module {
    pub type_name: String,
    pub service: String,
    pub struct_name: String,
    pub file_stem: String,
    pub schema_file: String,
    pub doc: Option<String>,
    /// The resource struct first, then nested types in order of discovery.
    pub items: Vec<Item>,
    pub attributes: Vec<(String, AttrKind)>,
    pub ref_returns: String,
    pub create_only: Vec<String>,
    pub stateful: bool,
    pub tags: TagsKind,
    /// Patterns that the `regex` crate does not accept (look-around, back-references …).
    pub dropped_patterns: usize,
    /// Nested types of `items` written once in the service's `types.rs` and re-exported here
    /// ([`crate::share`]); empty until [`crate::share::plan`] runs.
    pub shared: Vec<String>,
    /// The module's `Tag` is the one `Tag` of `resources/types.rs`, re-exported here.
    pub uses_tag: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagsKind {
    None,
    List,
    Map,
}

/// Names the generated files import or use unqualified: a schema definition of that name gets
/// a suffix.
const RESERVED: &[&str] = &[
    "AttrType",
    "Attribute",
    "BTreeMap",
    "Box",
    "Clone",
    "Debug",
    "Default",
    "Eq",
    "Err",
    "Expr",
    "From",
    "Handle",
    "Hash",
    "Into",
    "JsonValue",
    "List",
    "None",
    "Ok",
    "Option",
    "PartialEq",
    "PropMap",
    "Resource",
    "Result",
    "Self",
    "Some",
    "String",
    "TagStyle",
    "ToExpr",
    "UnknownValue",
    "Validate",
    "Validator",
    "Value",
    "Vec",
];

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut", "priv", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof", "unsafe",
    "unsized", "use", "virtual", "where", "while", "yield", "abstract", "become", "do", "final", "override",
];

/// A snake_case identifier: heck, then keywords and leading digits escaped.
pub fn snake_ident(name: &str) -> String {
    let mut s = plural_acronyms(name).to_snake_case();
    s.retain(|c| c.is_ascii_alphanumeric() || c == '_');
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s = format!("n{s}");
    }
    if KEYWORDS.contains(&s.as_str()) {
        s.push('_');
    }
    s
}

/// `VPCs` → `Vpcs`, `NotificationARNs` → `NotificationArns`: heck would split the plural `s`
/// off an acronym (`vp_cs`).
fn plural_acronyms(name: &str) -> String {
    static RE: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"([A-Z])([A-Z]+)s([A-Z]|$)").expect("regex"));
    RE.replace_all(name, |c: &regex::Captures<'_>| format!("{}{}s{}", &c[1], c[2].to_lowercase(), &c[3])).into_owned()
}

/// An UpperCamelCase type name.
pub fn camel_ident(name: &str) -> String {
    let mut s = name.to_upper_camel_case();
    s.retain(|c| c.is_ascii_alphanumeric());
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s = format!("T{s}");
    }
    s
}

struct Resolver<'a> {
    defs: &'a serde_json::Map<String, Json>,
    used: BTreeSet<String>,
    /// Definition name → its reserved Rust name.
    def_names: BTreeMap<String, String>,
    /// Definition name → resolved type (filled before a struct's fields, for recursion).
    def_types: BTreeMap<String, Ty>,
    enums: BTreeMap<String, Vec<String>>,
    inline_structs: BTreeMap<String, String>,
    pending: VecDeque<(String, Json)>,
    items: Vec<Item>,
    dropped_patterns: usize,
}

impl<'a> Resolver<'a> {
    fn alloc(&mut self, candidates: &[String]) -> String {
        for c in candidates {
            if !self.used.contains(c) {
                self.used.insert(c.clone());
                return c.clone();
            }
        }
        let base = candidates.last().expect("a candidate");
        (2..)
            .map(|n| format!("{base}{n}"))
            .find(|c| !self.used.contains(c))
            .inspect(|c| {
                self.used.insert(c.clone());
            })
            .expect("a free name")
    }

    fn deref<'n>(&self, node: &'n Json) -> (&'n Json, Option<String>)
    where
        'a: 'n,
    {
        let mut node = node;
        let mut name = None;
        for _ in 0..16 {
            match node.get("$ref").and_then(Json::as_str).and_then(|r| r.strip_prefix("#/definitions/")) {
                Some(d) => match self.defs.get(d) {
                    Some(n) => {
                        name = Some(d.to_owned());
                        node = n;
                    }
                    None => break,
                },
                None => break,
            }
        }
        (node, name)
    }

    /// The type of `node`; `hint` names an inline struct or enum, `parent` disambiguates it.
    fn resolve(&mut self, node: &Json, hint: &str, parent: &str) -> Ty {
        if let Some(d) = node.get("$ref").and_then(Json::as_str).and_then(|r| r.strip_prefix("#/definitions/")) {
            if let Some(t) = self.def_types.get(d) {
                return t.clone();
            }
            let Some(def) = self.defs.get(d) else { return Ty::Json };
            let def = def.clone();
            let name = self.def_names.get(d).cloned().unwrap_or_else(|| camel_ident(d));
            if is_struct(&def) {
                let t = Ty::Struct(name.clone());
                self.def_types.insert(d.to_owned(), t.clone());
                self.pending.push_back((name, def));
                return t;
            }
            // Guard against a definition that refers to itself through arrays or maps only.
            self.def_types.insert(d.to_owned(), Ty::Json);
            let t = self.resolve_with_name(&def, Some(name), hint, parent);
            self.def_types.insert(d.to_owned(), t.clone());
            return t;
        }
        self.resolve_with_name(node, None, hint, parent)
    }

    fn resolve_with_name(&mut self, node: &Json, def_name: Option<String>, hint: &str, parent: &str) -> Ty {
        let ty = match node.get("type") {
            Some(Json::String(t)) => Some(t.as_str()),
            Some(Json::Array(a)) if a.len() == 1 => a[0].as_str(),
            Some(Json::Array(_)) => return Ty::Json,
            _ => None,
        };
        let ty = ty.or_else(|| {
            if node.get("properties").is_some() {
                Some("object")
            } else if node.get("items").is_some() {
                Some("array")
            } else if node.get("enum").and_then(Json::as_array).is_some_and(|e| e.iter().all(Json::is_string))
                || ["pattern", "minLength", "maxLength"].iter().any(|k| node.get(*k).is_some())
            {
                Some("string")
            } else {
                None
            }
        });
        match ty {
            Some("string") => {
                let values: Option<Vec<String>> = node
                    .get("enum")
                    .and_then(Json::as_array)
                    .and_then(|e| e.iter().map(|v| v.as_str().map(str::to_owned)).collect());
                match values {
                    Some(values) if !values.is_empty() => {
                        let doc = node.get("description").and_then(Json::as_str).map(str::to_owned);
                        Ty::Enum(self.enum_type(def_name, hint, parent, values, doc))
                    }
                    _ => Ty::Str,
                }
            }
            Some("integer") => Ty::Int,
            Some("number") => Ty::Num,
            Some("boolean") => Ty::Bool,
            Some("array") => match node.get("items") {
                Some(items) if items.is_object() => match def_name {
                    // A list definition with inline items: the items take the definition's name.
                    Some(n) if items.get("$ref").is_none() => {
                        Ty::List(Box::new(self.resolve_with_name(items, Some(n), hint, parent)))
                    }
                    _ => Ty::List(Box::new(self.resolve(items, hint, parent))),
                },
                _ => Ty::List(Box::new(Ty::Json)),
            },
            Some("object") => {
                if is_struct(node) {
                    // The same inline object in several places is one type.
                    let key = node.to_string();
                    if let Some(n) = self.inline_structs.get(&key) {
                        return Ty::Struct(n.clone());
                    }
                    let name = match def_name {
                        Some(n) => n,
                        None => self.alloc(&[camel_ident(hint), format!("{parent}{}", camel_ident(hint))]),
                    };
                    self.inline_structs.insert(key, name.clone());
                    self.pending.push_back((name.clone(), node.clone()));
                    Ty::Struct(name)
                } else if let Some(pp) = node.get("patternProperties").and_then(Json::as_object) {
                    let tys: Vec<Ty> = pp.values().map(|v| self.resolve(v, hint, parent)).collect();
                    match tys.first() {
                        Some(t) if tys.iter().all(|x| x == t) => Ty::Map(Box::new(t.clone())),
                        _ => Ty::Map(Box::new(Ty::Json)),
                    }
                } else if let Some(ap) = node.get("additionalProperties").filter(|a| a.is_object()) {
                    Ty::Map(Box::new(self.resolve(ap, hint, parent)))
                } else {
                    Ty::Json
                }
            }
            _ => {
                // No type: a `oneOf`/`anyOf` of one primitive type, or anything.
                let branches = node.get("oneOf").or_else(|| node.get("anyOf")).and_then(Json::as_array);
                if let Some(b) = branches {
                    // A typed form next to a legacy "JSON as string or object" form: the typed
                    // one is what users write (DynamoDB `KeySchema`).
                    let typed: Vec<&Json> = b.iter().filter(|x| x.get("format").is_none_or(|f| f != "json")).collect();
                    if typed.len() == 1 && b.len() == 2 {
                        return self.resolve(typed[0], hint, parent);
                    }
                    let types: BTreeSet<&str> = b.iter().filter_map(|x| x.get("type").and_then(Json::as_str)).collect();
                    if types.len() == 1 && b.iter().all(|x| x.get("type").is_some()) {
                        match types.first().copied() {
                            Some("string") => return Ty::Str,
                            Some("integer") => return Ty::Int,
                            Some("number") => return Ty::Num,
                            Some("boolean") => return Ty::Bool,
                            _ => {}
                        }
                    }
                }
                Ty::Json
            }
        }
    }

    fn enum_type(
        &mut self,
        def_name: Option<String>,
        hint: &str,
        parent: &str,
        values: Vec<String>,
        doc: Option<String>,
    ) -> String {
        let name = match def_name {
            Some(n) => n,
            None => {
                let c1 = camel_ident(hint);
                let c2 = format!("{parent}{c1}");
                for c in [&c1, &c2] {
                    if self.enums.get(c) == Some(&values) {
                        return c.clone();
                    }
                }
                self.alloc(&[c1, c2])
            }
        };
        if self.enums.contains_key(&name) {
            return name;
        }
        self.enums.insert(name.clone(), values.clone());
        self.items.push(Item::Enum(EnumDef { name: name.clone(), doc, values }));
        name
    }

    fn build_struct(
        &mut self,
        name: &str,
        node: &Json,
        exclude: &BTreeSet<String>,
        create_only: &BTreeSet<String>,
    ) -> StructDef {
        let required: BTreeSet<&str> = node
            .get("required")
            .and_then(Json::as_array)
            .map(|r| r.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        let mut fields = Vec::new();
        let mut rust_names = BTreeSet::new();
        if let Some(props) = node.get("properties").and_then(Json::as_object) {
            for (key, p) in props {
                if exclude.contains(key) {
                    continue;
                }
                let ty = self.resolve(p, key, name);
                let mut checks = Checks::default();
                let (target, _) = self.deref(p);
                // Constraints of the referenced definition first, the property's own win.
                for n in [target, p] {
                    self.collect_checks(n, &ty, &mut checks);
                }
                let doc = self.description(p);
                let mut rust = snake_ident(key);
                while !rust_names.insert(rust.clone()) {
                    rust.push('_');
                }
                fields.push(Field {
                    rust,
                    key: key.clone(),
                    doc,
                    ty,
                    required: required.contains(key.as_str()),
                    boxed: false,
                    checks,
                    create_only: create_only.contains(key),
                    create_only_at: Vec::new(),
                    item_checks: Vec::new(),
                });
            }
        }
        let one_of = simple_one_of(node, &fields);
        StructDef {
            name: name.to_owned(),
            doc: node.get("description").and_then(Json::as_str).map(str::to_owned),
            fields,
            one_of,
        }
    }

    /// A property's description: its own, else that of the definition it refers to, else that
    /// of the one `oneOf`/`anyOf` branch that has one. Blank ones do not count.
    fn description(&self, p: &Json) -> Option<String> {
        let text =
            |n: &Json| n.get("description").and_then(Json::as_str).filter(|d| !d.trim().is_empty()).map(str::to_owned);
        let (target, _) = self.deref(p);
        text(p).or_else(|| text(target)).or_else(|| {
            let branches = target.get("oneOf").or_else(|| target.get("anyOf")).and_then(Json::as_array)?;
            let found: Vec<String> = branches.iter().filter_map(|b| text(self.deref(b).0)).collect();
            match found.as_slice() {
                [one] => Some(one.clone()),
                _ => None,
            }
        })
    }

    fn collect_checks(&mut self, n: &Json, ty: &Ty, c: &mut Checks) {
        let u = |k: &str| n.get(k).and_then(Json::as_u64);
        let f = |k: &str| n.get(k).and_then(Json::as_f64);
        match ty {
            Ty::Str => {
                c.min_len = u("minLength").filter(|m| *m > 0).or(c.min_len);
                c.max_len = u("maxLength").or(c.max_len);
                if let Some(p) = n.get("pattern").and_then(Json::as_str) {
                    if regex::Regex::new(p).is_ok() {
                        c.pattern = Some(p.to_owned());
                    } else {
                        self.dropped_patterns += 1;
                        if std::env::var_os("HAPLAT_CODEGEN_SHOW_DROPPED").is_some() {
                            eprintln!("dropped pattern: {p}");
                        }
                    }
                }
            }
            Ty::Int | Ty::Num => {
                c.minimum = f("minimum").or(c.minimum);
                c.maximum = f("maximum").or(c.maximum);
            }
            Ty::List(_) => {
                c.min_items = u("minItems").filter(|m| *m > 0).or(c.min_items);
                c.max_items = u("maxItems").or(c.max_items);
            }
            _ => {}
        }
    }
}

/// An object with named properties becomes a struct; anything else is a map or free JSON.
fn is_struct(node: &Json) -> bool {
    node.get("properties").and_then(Json::as_object).is_some_and(|p| !p.is_empty())
        && node.get("type").is_none_or(|t| t == "object")
}

/// `oneOf: [{required: [A]}, {required: [B]}]` over optional fields of this struct.
fn simple_one_of(node: &Json, fields: &[Field]) -> Vec<Vec<String>> {
    let Some(branches) = node.get("oneOf").and_then(Json::as_array) else { return Vec::new() };
    let mut names = Vec::new();
    for b in branches {
        let Some(obj) = b.as_object() else { return Vec::new() };
        if obj.len() != 1 {
            return Vec::new();
        }
        let Some([Json::String(name)]) = obj.get("required").and_then(Json::as_array).map(Vec::as_slice) else {
            return Vec::new();
        };
        if !fields.iter().any(|f| &f.key == name && !f.required) {
            return Vec::new();
        }
        names.push(name.clone());
    }
    if names.len() < 2 { Vec::new() } else { vec![names] }
}

fn paths(schema: &Json, key: &str) -> Vec<Vec<String>> {
    schema
        .get(key)
        .and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Json::as_str)
                .filter_map(|p| p.strip_prefix("/properties/"))
                .map(|p| p.split('/').map(str::to_owned).collect())
                .collect()
        })
        .unwrap_or_default()
}

/// Builds the module of one resource type from its (fixed-up) schema.
/// `extra_get_atts`: property paths `Fn::GetAtt` accepts besides the `readOnlyProperties`
/// ([`crate::fixups::GET_ATT_FIXUPS`]); they follow them in `Module::attributes`, so that the
/// accessors of the read-only ones keep their names.
pub fn build(
    schema: &Json,
    service: &str,
    schema_file: &str,
    stateful: bool,
    extra_get_atts: &[Vec<String>],
) -> anyhow::Result<Module> {
    let type_name = schema
        .get("typeName")
        .and_then(Json::as_str)
        .ok_or_else(|| anyhow::anyhow!("{schema_file}: no typeName"))?
        .to_owned();
    let last = type_name.rsplit("::").next().unwrap_or_default();
    let struct_name = camel_ident(last);
    let file_stem = snake_ident(last);
    let empty = serde_json::Map::new();
    let defs = schema.get("definitions").and_then(Json::as_object).unwrap_or(&empty);
    let mut r = Resolver {
        defs,
        used: RESERVED.iter().map(|s| (*s).to_owned()).collect(),
        def_names: BTreeMap::new(),
        def_types: BTreeMap::new(),
        enums: BTreeMap::new(),
        inline_structs: BTreeMap::new(),
        pending: VecDeque::new(),
        items: Vec::new(),
        dropped_patterns: 0,
    };
    r.used.insert(struct_name.clone());
    for d in defs.keys() {
        let c = camel_ident(d);
        let name = r.alloc(&[c.clone(), format!("{c}Property")]);
        r.def_names.insert(d.clone(), name);
    }

    let read_only = paths(schema, "readOnlyProperties");
    let create_only_paths = paths(schema, "createOnlyProperties");
    let props = schema.get("properties").and_then(Json::as_object).unwrap_or(&empty);
    // Read-only top-level properties are attributes, not inputs.
    let mut exclude = BTreeSet::new();
    for (key, p) in props {
        let whole = read_only.iter().any(|ro| ro.len() == 1 && &ro[0] == key);
        let (target, _) = r.deref(p);
        let all_nested = target.get("properties").and_then(Json::as_object).is_some_and(|sub| {
            !sub.is_empty()
                && sub.keys().all(|k| read_only.iter().any(|ro| ro.len() == 2 && &ro[0] == key && &ro[1] == k))
        });
        if whole || all_nested {
            exclude.insert(key.clone());
        }
    }
    let top_create_only: BTreeSet<String> =
        create_only_paths.iter().filter(|p| p.len() == 1).map(|p| p[0].clone()).collect();

    let mut resource = r.build_struct(&struct_name, schema, &exclude, &top_create_only);
    resource.doc = schema.get("description").and_then(Json::as_str).map(str::to_owned);
    let mut structs = vec![resource];
    let none = BTreeSet::new();
    while let Some((name, node)) = r.pending.pop_front() {
        if structs.iter().any(|s| s.name == name) {
            continue;
        }
        let s = r.build_struct(&name, &node, &none, &none);
        structs.push(s);
    }
    // Order: resource struct, then nested structs and enums by name (stable across schema
    // reorderings).
    let mut items: Vec<Item> = Vec::new();
    let mut rest: Vec<Item> = structs.drain(1..).map(Item::Struct).collect();
    rest.append(&mut r.items);
    rest.sort_by(|a, b| item_name(a).cmp(item_name(b)));
    items.push(Item::Struct(structs.pop().expect("resource struct")));
    items.extend(rest);
    box_recursion(&mut items);
    for path in create_only_paths.iter().filter(|p| p.len() > 1) {
        mark_nested_create_only(&mut items, path);
    }

    let mut attributes: Vec<(String, AttrKind)> = read_only
        .iter()
        .filter(|p| !p.iter().any(|s| s == "*"))
        .map(|p| (p.join("."), attr_kind(&r, props, p)))
        .collect();
    for p in extra_get_atts {
        let name = p.join(".");
        if !attributes.iter().any(|(n, _)| *n == name) {
            attributes.push((name, attr_kind(&r, props, p)));
        }
    }
    let ref_returns = paths(schema, "primaryIdentifier").iter().map(|p| p.join(".")).collect::<Vec<_>>().join("|");
    let create_only = create_only_paths.iter().map(|p| p.join("/")).collect();
    let tags = match props.get("Tags") {
        Some(_) if !exclude.contains("Tags") => {
            match items.iter().find_map(|i| match i {
                Item::Struct(s) if s.name == struct_name => {
                    s.fields.iter().find(|f| f.key == "Tags").map(|f| f.ty.clone())
                }
                _ => None,
            }) {
                Some(Ty::List(inner)) => match *inner {
                    Ty::Struct(ref n) if struct_has_key_value(&items, n) => TagsKind::List,
                    _ => TagsKind::None,
                },
                Some(Ty::Map(inner)) if *inner == Ty::Str => TagsKind::Map,
                _ => TagsKind::None,
            }
        }
        _ => TagsKind::None,
    };
    Ok(Module {
        type_name: type_name.clone(),
        service: service.to_owned(),
        struct_name,
        file_stem,
        schema_file: schema_file.to_owned(),
        doc: schema.get("description").and_then(Json::as_str).map(str::to_owned),
        items,
        attributes,
        ref_returns,
        create_only,
        stateful,
        tags,
        dropped_patterns: r.dropped_patterns,
        shared: Vec::new(),
        uses_tag: false,
    })
}

/// The name of a struct or enum.
pub fn item_name(i: &Item) -> &str {
    match i {
        Item::Struct(s) => &s.name,
        Item::Enum(e) => &e.name,
    }
}

fn struct_has_key_value(items: &[Item], name: &str) -> bool {
    items.iter().any(|i| match i {
        Item::Struct(s) if s.name == name => {
            s.fields.iter().any(|f| f.key == "Key" && f.ty == Ty::Str)
                && s.fields.iter().any(|f| f.key == "Value" && f.ty == Ty::Str)
        }
        _ => false,
    })
}

fn attr_kind(r: &Resolver<'_>, props: &serde_json::Map<String, Json>, path: &[String]) -> AttrKind {
    let mut node = match props.get(&path[0]) {
        Some(n) => r.deref(n).0,
        None => return AttrKind::String,
    };
    for seg in &path[1..] {
        node = match node.get("properties").and_then(|p| p.get(seg)) {
            Some(n) => r.deref(n).0,
            None => return AttrKind::String,
        };
    }
    match node.get("type") {
        Some(Json::String(t)) => match t.as_str() {
            "string" => AttrKind::String,
            "integer" => AttrKind::Integer,
            "number" => AttrKind::Number,
            "boolean" => AttrKind::Boolean,
            "array" => {
                let items = node.get("items").map(|i| r.deref(i).0);
                if items.and_then(|i| i.get("type")).is_some_and(|t| t == "string") {
                    AttrKind::ListOfString
                } else {
                    AttrKind::Other
                }
            }
            _ => AttrKind::Other,
        },
        Some(_) => AttrKind::Other,
        None if node.get("properties").is_some() => AttrKind::Other,
        None => AttrKind::String,
    }
}

/// Notes a nested create-only path (`A/B`, `A/*/B`) on the field it ends at, when the path
/// goes through struct fields only (lists and maps of structs by `*`).
fn mark_nested_create_only(items: &mut [Item], path: &[String]) {
    let Some(Item::Struct(resource)) = items.first() else { return };
    let mut current = resource.name.clone();
    let mut segments = path.iter().peekable();
    while let Some(seg) = segments.next() {
        let Some(s) = items.iter_mut().find_map(|i| match i {
            Item::Struct(s) if s.name == current => Some(s),
            _ => None,
        }) else {
            return;
        };
        let Some(f) = s.fields.iter_mut().find(|f| &f.key == seg) else { return };
        if segments.peek().is_none() {
            let at = path.join(".");
            if !f.create_only_at.contains(&at) {
                f.create_only_at.push(at);
            }
            return;
        }
        current = match &f.ty {
            Ty::Struct(n) => n.clone(),
            Ty::List(t) | Ty::Map(t) if segments.peek().is_some_and(|s| *s == "*") => {
                segments.next();
                match &**t {
                    Ty::Struct(n) => n.clone(),
                    _ => return,
                }
            }
            _ => return,
        };
    }
}

/// Boxes every direct struct field whose type can contain the struct itself.
fn box_recursion(items: &mut [Item]) {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for i in items.iter() {
        if let Item::Struct(s) = i {
            let e = edges.entry(s.name.clone()).or_default();
            for f in &s.fields {
                if let Ty::Struct(t) = &f.ty {
                    e.insert(t.clone());
                }
            }
        }
    }
    let reaches = |from: &str, to: &str| -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if seen.insert(n.clone()) {
                stack.extend(edges.get(&n).into_iter().flatten().cloned());
            }
        }
        false
    };
    for i in items.iter_mut() {
        if let Item::Struct(s) = i {
            let name = s.name.clone();
            for f in &mut s.fields {
                if let Ty::Struct(t) = &f.ty {
                    f.boxed = reaches(t, &name);
                }
            }
        }
    }
}
