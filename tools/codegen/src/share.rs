//! Which nested property types are written once instead of once per resource module.
//!
//! Two kinds of sharing, both decided on the *shape* of a type, never on its docs:
//!
//! - **The one `Tag`** (`resources/types.rs`): the plain `Key`/`Value` string pair. The checks of
//!   a tag with both required move to the module's `List<Tag>` fields first (see
//!   `move_tag_checks`), so such tags have one shape; the one `Tag` is the most frequent shape of a
//!   struct named `Tag` with exactly the string fields `Key` and `Value` over all services, and
//!   every module whose `Tag` has that shape re-exports it. Its docs
//!   are the neutral ones of [`TAG_DOC`], not those of any one schema.
//! - **A service's shared shapes** (`resources/<service>/types.rs`): a nested struct or enum of
//!   the same name and the same shape in two or more resource modules of one service. When a
//!   name has several shapes in a service, the shape most modules have is shared (ties: the one
//!   the alphabetically first module has); the others stay in their modules. The docs are those
//!   of the alphabetically first module that shares the shape.
//!
//! The shape of a struct is its name, its `oneOf` groups and, for every field, the Rust and
//! CloudFormation names, the type, required-ness, boxing, the checks of `validate()` and the
//! create-only notes; the shape of an enum is its name and values. A shared struct refers to
//! other nested types by name, so it is shared only by modules in which every type it refers to
//! is shared as well (the dependency closure, computed as a fixpoint); a module where that does
//! not hold keeps its own copy.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::model::{Checks, EnumDef, Field, Item, Module, StructDef, Ty, item_name};

/// The docs of the one shared `Tag` (the schemas word it in about forty ways).
pub const TAG_DOC: [&str; 3] =
    ["A tag: a key-value pair attached to a resource.", "The tag's key, its name.", "The tag's value."];

/// The sharing decided for every service.
#[derive(Debug, Default)]
pub struct Plan {
    /// The one `Tag` of `resources/types.rs`, if any module uses it.
    pub tag: Option<StructDef>,
    /// Service module → the items of its `types.rs`, by name.
    pub service_types: BTreeMap<String, Vec<Item>>,
}

/// The shape of an item, docs left out, as text (equal text, equal shape).
pub fn shape(i: &Item) -> String {
    let mut out = String::new();
    match i {
        Item::Struct(s) => {
            let _ = write!(out, "struct {} {:?}", s.name, s.one_of);
            for f in &s.fields {
                let Field { rust, key, doc: _, ty, required, boxed, checks, create_only, create_only_at, item_checks } =
                    f;
                let _ = write!(
                    out,
                    "|{rust} {key} {ty:?} {required} {boxed} {checks:?} {create_only} {create_only_at:?} {item_checks:?}"
                );
            }
        }
        Item::Enum(EnumDef { name, doc: _, values }) => {
            let _ = write!(out, "enum {name} {values:?}");
        }
    }
    out
}

/// The nested types an item refers to by name.
pub fn refs(i: &Item) -> BTreeSet<String> {
    fn walk(t: &Ty, out: &mut BTreeSet<String>) {
        match t {
            Ty::Struct(n) | Ty::Enum(n) => {
                out.insert(n.clone());
            }
            Ty::List(i) | Ty::Map(i) => walk(i, out),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    if let Item::Struct(s) = i {
        for f in &s.fields {
            walk(&f.ty, &mut out);
        }
    }
    out
}

fn is_plain_tag(i: &Item) -> bool {
    let Item::Struct(s) = i else { return false };
    let mut keys: Vec<&str> = s.fields.iter().map(|f| f.key.as_str()).collect();
    keys.sort_unstable();
    s.name == "Tag" && keys == ["Key", "Value"] && s.fields.iter().all(|f| f.ty == Ty::Str) && s.one_of.is_empty()
}

/// Moves the checks of a required `Key`/`Value` tag to where the module uses it: every
/// `List<Tag>` field gets them as [`Field::item_checks`] and the tag keeps none, so tags that
/// differ only in their schema's length and pattern rules have one shape (the one `Tag`) and
/// the parent's `validate()` still applies each schema's rules to every item. Left alone when
/// the module uses its tag other than as a list (none of the vendored schemas does).
fn move_tag_checks(m: &mut Module) {
    let Some(k) = (1..m.items.len()).find(|k| is_plain_tag(&m.items[*k])) else { return };
    let Item::Struct(tag) = &m.items[k] else { return };
    if !tag.fields.iter().all(|f| f.required) {
        return;
    }
    let tag_ty = Ty::Struct("Tag".into());
    let list_ty = Ty::List(Box::new(tag_ty.clone()));
    let only_lists = m.items.iter().all(|i| {
        let Item::Struct(s) = i else { return true };
        s.fields.iter().all(|f| f.ty == list_ty || !mentions(&f.ty, &tag_ty))
    });
    if !only_lists {
        return;
    }
    let Item::Struct(tag) = &mut m.items[k] else { return };
    let moved: Vec<(String, Checks)> = tag
        .fields
        .iter_mut()
        .filter(|f| f.checks != Checks::default())
        .map(|f| (f.key.clone(), std::mem::take(&mut f.checks)))
        .collect();
    if moved.is_empty() {
        return;
    }
    for i in &mut m.items {
        if let Item::Struct(s) = i {
            for f in s.fields.iter_mut().filter(|f| f.ty == list_ty) {
                f.item_checks.clone_from(&moved);
            }
        }
    }
}

fn mentions(t: &Ty, target: &Ty) -> bool {
    t == target || matches!(t, Ty::List(i) | Ty::Map(i) if mentions(i, target))
}

/// The shape most modules have (at least two); ties go to the shape whose first module comes
/// first. `counts`: shape → the indexes of its modules, ascending.
fn most_frequent<'a>(counts: &BTreeMap<&'a str, Vec<usize>>) -> Option<&'a str> {
    let mut best: Option<(&str, usize, usize)> = None;
    for (shape, members) in counts {
        let (n, first) = (members.len(), members[0]);
        if n >= 2 && best.is_none_or(|(_, bn, bf)| n > bn || (n == bn && first < bf)) {
            best = Some((shape, n, first));
        }
    }
    best.map(|(s, _, _)| s)
}

/// Decides the sharing, and marks in every module what it re-exports
/// ([`Module::shared`], [`Module::uses_tag`]). `services`: service module → its modules,
/// sorted by file stem.
pub fn plan(services: &mut BTreeMap<String, Vec<Module>>) -> Plan {
    let mut plan = Plan::default();
    for ms in services.values_mut() {
        ms.iter_mut().for_each(move_tag_checks);
    }

    // The one Tag, over every module of every service, in (service, file stem) order.
    let mut tags: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut n = 0;
    for ms in services.values() {
        for m in ms {
            if let Some(t) = m.items[1..].iter().find(|i| is_plain_tag(i)) {
                tags.entry(shape(t)).or_default().push(n);
            }
            n += 1;
        }
    }
    let tag_counts: BTreeMap<&str, Vec<usize>> = tags.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let tag_shape = most_frequent(&tag_counts).map(str::to_owned);
    if let Some(ts) = &tag_shape {
        for ms in services.values_mut() {
            for m in ms.iter_mut() {
                let found = m.items[1..].iter().find(|i| item_name(i) == "Tag" && shape(i) == *ts).cloned();
                if let Some(Item::Struct(mut s)) = found {
                    m.uses_tag = true;
                    if plan.tag.is_none() {
                        s.doc = Some(TAG_DOC[0].to_owned());
                        for f in &mut s.fields {
                            f.doc = Some(if f.key == "Key" { TAG_DOC[1] } else { TAG_DOC[2] }.to_owned());
                        }
                        plan.tag = Some(s);
                    }
                }
            }
        }
    }

    for (service, ms) in services.iter_mut() {
        let items = share_service(ms);
        if !items.is_empty() {
            plan.service_types.insert(service.clone(), items);
        }
    }
    plan
}

/// How a module resolves a nested type name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Resolved {
    Local,
    Service,
    Tag,
}

fn share_service(ms: &mut [Module]) -> Vec<Item> {
    // name → shape → modules (indexes into `ms`) that have that item with that shape.
    let mut by_name: BTreeMap<String, BTreeMap<String, Vec<usize>>> = BTreeMap::new();
    for (k, m) in ms.iter().enumerate() {
        for i in &m.items[1..] {
            if m.uses_tag && item_name(i) == "Tag" {
                continue;
            }
            by_name.entry(item_name(i).to_owned()).or_default().entry(shape(i)).or_default().push(k);
        }
    }
    // Candidates: name → the modules sharing its most frequent shape.
    let mut members: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (name, shapes) in &by_name {
        let counts: BTreeMap<&str, Vec<usize>> = shapes.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        if let Some(s) = most_frequent(&counts) {
            members.insert(name.clone(), counts[s].clone());
        }
    }
    let find = |m: &Module, name: &str| m.items[1..].iter().find(|i| item_name(i) == name).cloned();
    // The dependency closure: drop a module from a name when a type the item refers to is not
    // resolved the same way (shared, or the one Tag) as in the first member; a name with fewer
    // than two members is not shared. Repeat until nothing changes.
    loop {
        let resolve = |members: &BTreeMap<String, Vec<usize>>, k: usize, n: &str| {
            if n == "Tag" && ms[k].uses_tag {
                Resolved::Tag
            } else if members.get(n).is_some_and(|v| v.contains(&k)) {
                Resolved::Service
            } else {
                Resolved::Local
            }
        };
        let mut next = BTreeMap::new();
        for (name, ks) in &members {
            let item = find(&ms[ks[0]], name).expect("member has the item");
            let wanted: Vec<(String, Resolved)> = refs(&item)
                .into_iter()
                .map(|r| {
                    let how = ks.iter().map(|k| resolve(&members, *k, &r)).find(|h| *h != Resolved::Local);
                    (r, how.unwrap_or(Resolved::Local))
                })
                .collect();
            // A shared struct cannot refer to the one Tag next to a service `Tag` of another
            // shape (both would be `Tag` in `types.rs`): it stays in its modules.
            if members.contains_key("Tag") && wanted.iter().any(|(r, how)| r == "Tag" && *how == Resolved::Tag) {
                continue;
            }
            let kept: Vec<usize> = ks
                .iter()
                .copied()
                .filter(|k| wanted.iter().all(|(r, how)| *how != Resolved::Local && resolve(&members, *k, r) == *how))
                .collect();
            if kept.len() >= 2 {
                next.insert(name.clone(), kept);
            }
        }
        if next == members {
            break;
        }
        members = next;
    }
    // A shared struct that refers to the one Tag cannot sit next to a service `Tag` of
    // another shape (none of the vendored schemas need that; renaming would).
    let mut items = Vec::new();
    for (name, ks) in &members {
        let item = find(&ms[ks[0]], name).expect("member has the item");
        assert!(
            !(members.contains_key("Tag") && refs(&item).contains("Tag") && ms[ks[0]].uses_tag),
            "{name}: refers to the one Tag next to a service Tag of another shape; teach share.rs to rename one"
        );
        items.push(item);
        for k in ks {
            ms[*k].shared.push(name.clone());
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TagsKind;

    fn field(key: &str, ty: Ty, required: bool, doc: &str) -> Field {
        Field {
            rust: crate::model::snake_ident(key),
            key: key.into(),
            doc: Some(doc.into()),
            ty,
            required,
            boxed: false,
            checks: Checks::default(),
            create_only: false,
            create_only_at: Vec::new(),
            item_checks: Vec::new(),
        }
    }

    fn st(name: &str, fields: Vec<Field>) -> Item {
        Item::Struct(StructDef { name: name.into(), doc: Some(format!("{name} doc")), fields, one_of: Vec::new() })
    }

    fn module(stem: &str, nested: Vec<Item>) -> Module {
        let mut items = vec![st("Res", Vec::new())];
        items.extend(nested);
        Module {
            type_name: format!("AWS::X::{stem}"),
            service: "X".into(),
            struct_name: "Res".into(),
            file_stem: stem.into(),
            schema_file: format!("{stem}.json"),
            doc: None,
            items,
            attributes: Vec::new(),
            ref_returns: String::new(),
            create_only: Vec::new(),
            stateful: false,
            tags: TagsKind::None,
            dropped_patterns: 0,
            shared: Vec::new(),
            uses_tag: false,
        }
    }

    fn tag(required: bool) -> Item {
        st("Tag", vec![field("Key", Ty::Str, required, "k"), field("Value", Ty::Str, required, "v")])
    }

    #[test]
    fn shares_identical_shapes_with_their_closure_and_keeps_the_rest() {
        let inner = |ty: Ty| st("Inner", vec![field("A", ty, false, "a")]);
        let outer = || st("Outer", vec![field("In", Ty::Struct("Inner".into()), false, "in")]);
        let mut services = BTreeMap::from([
            (
                "X".to_owned(),
                vec![
                    module("a", vec![inner(Ty::Str), outer(), tag(true)]),
                    module("b", vec![inner(Ty::Str), outer(), tag(true)]),
                    // Same names, but its Inner differs: Outer must stay local too.
                    module("c", vec![inner(Ty::Int), outer(), tag(false)]),
                ],
            ),
            ("Y".to_owned(), vec![module("d", vec![tag(true)])]),
        ]);
        let plan = plan(&mut services);
        let x = &services["X"];
        assert_eq!(x[0].shared, ["Inner", "Outer"]);
        assert_eq!(x[1].shared, ["Inner", "Outer"]);
        assert!(x[2].shared.is_empty());
        // The one Tag: the shape three modules have, with neutral docs.
        assert!(x[0].uses_tag && x[1].uses_tag && !x[2].uses_tag && services["Y"][0].uses_tag);
        assert_eq!(plan.tag.as_ref().and_then(|t| t.doc.as_deref()), Some(TAG_DOC[0]));
        let names: Vec<&str> = plan.service_types["X"].iter().map(item_name).collect();
        assert_eq!(names, ["Inner", "Outer"]);
        assert!(!plan.service_types.contains_key("Y"));
    }

    #[test]
    fn tags_differing_only_in_checks_share_and_keep_their_checks_at_the_use_site() {
        let strict = |max: u64| {
            let mut t = tag(true);
            if let Item::Struct(s) = &mut t {
                s.fields[0].checks.max_len = Some(max);
            }
            t
        };
        let with_tags = |stem: &str, t: Item| {
            let mut m = module(stem, vec![t]);
            let list = Ty::List(Box::new(Ty::Struct("Tag".into())));
            if let Item::Struct(s) = &mut m.items[0] {
                s.fields.push(field("Tags", list, false, "tags"));
            }
            m
        };
        let mut services =
            BTreeMap::from([("X".to_owned(), vec![with_tags("a", strict(127)), with_tags("b", strict(128))])]);
        let plan = plan(&mut services);
        assert!(services["X"].iter().all(|m| m.uses_tag));
        let Some(Item::Struct(t)) = plan.tag.map(Item::Struct) else { panic!("a shared Tag") };
        assert!(t.fields.iter().all(|f| f.checks == Checks::default()));
        let Item::Struct(res) = &services["X"][0].items[0] else { panic!("a struct") };
        assert_eq!(res.fields[0].item_checks[0].1.max_len, Some(127));
    }

    #[test]
    fn docs_do_not_count_and_come_from_the_first_module() {
        let with_doc = |d: &str| st("Thing", vec![field("A", Ty::Str, false, d)]);
        let mut services = BTreeMap::from([(
            "X".to_owned(),
            vec![module("a", vec![with_doc("first")]), module("b", vec![with_doc("second")])],
        )]);
        let plan = plan(&mut services);
        let Item::Struct(s) = &plan.service_types["X"][0] else { panic!("a struct") };
        assert_eq!(s.fields[0].doc.as_deref(), Some("first"));
    }
}
