//! haplat-codegen: generates `haplat-core/src/resources/` from the CloudFormation registry
//! schemas vendored in `tools/codegen/schemas/`.
//!
//! - [`services`]: the services generated, the stateful types;
//! - [`fixups`]: named corrections of schema mistakes;
//! - [`model`]: schema → Rust types; [`emit`]: Rust types → source text;
//! - [`share`]: which nested types are written once per service (and the one `Tag`);
//! - [`docs`]: schema descriptions → doc comments rustdoc accepts.

pub mod docs;
pub mod emit;
pub mod fixups;
pub mod model;
pub mod services;
pub mod share;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde_json::Value as Json;

/// The cfn-lint release the vendored schemas come from.
pub const CFN_LINT_VERSION: &str = "1.58.0";

/// Where the generated files go, relative to the workspace root.
pub const RESOURCES_DIR: &str = "haplat-core/src/resources";
/// The manifest whose feature block the generator owns.
pub const CORE_MANIFEST: &str = "haplat-core/Cargo.toml";
const BEGIN: &str = "# @generated begin: one feature per service (tools/codegen). Do not edit.";
const END: &str = "# @generated end";

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

/// The vendored schemas.
pub fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

/// The key of [`Output::stats`] for `resources/types.rs` (the one `Tag`, `UnknownValue`).
pub const SHARED_STATS: &str = "(all services) types.rs";

/// What a service produced, for the build-cost note.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub resources: usize,
    pub structs: usize,
    pub enums: usize,
    pub lines: usize,
    pub dropped_patterns: usize,
}

/// Every generated file (path relative to the workspace root → content), plus stats.
pub struct Output {
    pub files: BTreeMap<PathBuf, String>,
    pub stats: BTreeMap<String, Stats>,
}

fn service_of(type_name: &str) -> Option<&str> {
    let mut parts = type_name.split("::");
    match (parts.next(), parts.next()) {
        (Some("AWS"), Some(s)) => services::SERVICES.iter().copied().find(|x| *x == s),
        _ => None,
    }
}

/// Generates every file from the schemas in `schemas`; the manifest's feature block is
/// rewritten from `core_manifest` (the current text of haplat-core/Cargo.toml).
pub fn generate(schemas: &Path, core_manifest: &str) -> anyhow::Result<Output> {
    let mut modules: BTreeMap<String, Vec<model::Module>> = BTreeMap::new();
    let mut entries: Vec<PathBuf> = fs::read_dir(schemas)
        .with_context(|| format!("reading {}", schemas.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    entries.sort();
    let mut seen_stateful = Vec::new();
    let mut seen_types = Vec::new();
    for path in entries {
        let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let mut schema: Json = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let type_name = schema.get("typeName").and_then(Json::as_str).unwrap_or_default().to_owned();
        let Some(service) = service_of(&type_name) else {
            bail!("{}: {type_name} is not of a listed service; run scripts/refresh-schemas.sh", path.display());
        };
        fixups::apply(&type_name, &mut schema)?;
        let file = path.file_name().and_then(|f| f.to_str()).unwrap_or_default().to_owned();
        let stateful = services::STATEFUL.contains(&type_name.as_str());
        if stateful {
            seen_stateful.push(type_name.clone());
        }
        let extra_get_atts = fixups::extra_get_atts(&type_name, &schema)?;
        seen_types.push(type_name.clone());
        let m = model::build(&schema, service, &file, stateful, &extra_get_atts)?;
        modules.entry(service.to_owned()).or_default().push(m);
    }
    for s in services::STATEFUL {
        if !seen_stateful.iter().any(|x| x == s) {
            bail!("services::STATEFUL names {s}, which has no schema");
        }
    }
    for f in fixups::GET_ATT_FIXUPS {
        if !seen_types.iter().any(|x| x == f.type_name) {
            bail!("fixup {} names {}, which has no schema", f.name, f.type_name);
        }
    }
    for service in services::SERVICES {
        let Some(ms) = modules.get_mut(*service) else {
            bail!("no schemas for service {service}; run scripts/refresh-schemas.sh");
        };
        ms.sort_by(|a, b| a.file_stem.cmp(&b.file_stem));
        for w in ms.windows(2) {
            if w[0].file_stem == w[1].file_stem {
                bail!("{} and {} map to the same module name", w[0].type_name, w[1].type_name);
            }
        }
    }
    let plan = share::plan(&mut modules);
    let mut files = BTreeMap::new();
    let mut stats = BTreeMap::new();
    let root = PathBuf::from(RESOURCES_DIR);
    let mut service_list = Vec::new();
    let count = |st: &mut Stats, i: &model::Item| match i {
        model::Item::Struct(_) => st.structs += 1,
        model::Item::Enum(_) => st.enums += 1,
    };
    for service in services::SERVICES {
        let ms = &modules[*service];
        let module = services::module(service);
        let dir = root.join(&module);
        let mut st = Stats { resources: ms.len(), ..Stats::default() };
        for m in ms.iter() {
            let text = emit::module_file(m);
            st.lines += text.lines().count();
            st.dropped_patterns += m.dropped_patterns;
            for i in &m.items {
                let n = model::item_name(i);
                if !(m.shared.iter().any(|s| s == n) || (m.uses_tag && n == "Tag")) || n == m.struct_name {
                    count(&mut st, i);
                }
            }
            files.insert(dir.join(format!("{}.rs", m.file_stem)), text);
        }
        let shared = plan.service_types.get(*service);
        if let Some(items) = shared {
            let text = emit::types_file(service, items, plan.tag.as_ref());
            st.lines += text.lines().count();
            items.iter().for_each(|i| count(&mut st, i));
            files.insert(dir.join("types.rs"), text);
        }
        let refs: Vec<&model::Module> = ms.iter().collect();
        let text = emit::service_mod(service, &refs, shared.is_some());
        st.lines += text.lines().count();
        files.insert(dir.join("mod.rs"), text);
        service_list.push((module.clone(), ms.len()));
        stats.insert(module, st);
    }
    let text = emit::root_types(plan.tag.as_ref());
    let mut st = Stats { lines: text.lines().count(), ..Stats::default() };
    if let Some(t) = &plan.tag {
        count(&mut st, &model::Item::Struct(t.clone()));
    }
    st.structs += 1; // UnknownValue
    files.insert(root.join("types.rs"), text);
    stats.insert(SHARED_STATS.to_owned(), st);
    files.insert(root.join("mod.rs"), emit::resources_mod(&service_list));
    files.insert(PathBuf::from(CORE_MANIFEST), features_block(core_manifest, &service_list)?);
    Ok(Output { files, stats })
}

/// The manifest with its generated feature block replaced (or added after `[features]`).
fn features_block(manifest: &str, services: &[(String, usize)]) -> anyhow::Result<String> {
    let names: Vec<String> = services.iter().map(|(m, _)| format!("\"{m}\"")).collect();
    let mut block = format!("{BEGIN}\nall = [{}]\n", names.join(", "));
    for (m, _) in services {
        block.push_str(&format!("{m} = []\n"));
    }
    block.push_str(END);
    if let (Some(b), Some(e)) = (manifest.find(BEGIN), manifest.find(END)) {
        return Ok(format!("{}{block}{}", &manifest[..b], &manifest[e + END.len()..]));
    }
    // First run: replace the placeholder `all = []` of the [features] table.
    let Some(f) = manifest.find("[features]") else { bail!("{CORE_MANIFEST} has no [features] table") };
    let Some(a) = manifest[f..].find("\nall = []\n").map(|a| a + f + 1) else {
        bail!("{CORE_MANIFEST}: neither the generated block nor `all = []` found under [features]")
    };
    Ok(format!("{}{block}{}", &manifest[..a], &manifest[a + "all = []".len()..]))
}

/// Writes `out` under `root`, removing generated files that are no longer produced.
pub fn write(root: &Path, out: &Output) -> anyhow::Result<()> {
    let res = root.join(RESOURCES_DIR);
    if res.exists() {
        for f in list_files(&res)? {
            let rel = f.strip_prefix(root).expect("under root").to_path_buf();
            if !out.files.contains_key(&rel) {
                fs::remove_file(&f)?;
            }
        }
    }
    for (rel, text) in &out.files {
        let path = root.join(rel);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        if fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    // Remove service folders left empty.
    if res.exists() {
        for e in fs::read_dir(&res)? {
            let p = e?.path();
            if p.is_dir() && fs::read_dir(&p)?.next().is_none() {
                fs::remove_dir(&p)?;
            }
        }
    }
    Ok(())
}

/// Every file under `dir`, recursively, sorted.
pub fn list_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d)? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Copies the schemas of the listed services from cfn-lint's `data/schemas` folder (its
/// `providers/us-east-1.json` index and `resources/<hash>.json` files) into `dest`, named by
/// type; removes vendored schemas of types no longer listed. Returns how many were written.
pub fn refresh_schemas(from: &Path, dest: &Path) -> anyhow::Result<usize> {
    let index_path = from.join("providers/us-east-1.json");
    let index: BTreeMap<String, String> = serde_json::from_str(
        &fs::read_to_string(&index_path).with_context(|| format!("reading {}", index_path.display()))?,
    )?;
    fs::create_dir_all(dest)?;
    let mut wanted = BTreeMap::new();
    for (type_name, hash) in &index {
        if service_of(type_name).is_some() {
            wanted.insert(services::schema_file(type_name), from.join("resources").join(format!("{hash}.json")));
        }
    }
    for f in list_files(dest)? {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        if name.ends_with(".json") && !wanted.contains_key(&name) {
            fs::remove_file(&f)?;
        }
    }
    for (name, src) in &wanted {
        let text = fs::read(src).with_context(|| format!("reading {}", src.display()))?;
        fs::write(dest.join(name), text)?;
    }
    for s in services::SERVICES {
        let prefix = format!("aws-{}-", s.to_lowercase());
        if !wanted.keys().any(|k| k.starts_with(&prefix)) {
            bail!("cfn-lint has no resource type of service {s}");
        }
    }
    Ok(wanted.len())
}
