//! The cloud assembly on disk: `manifest.json` plus one `<stack>.template.json` per stack,
//! loaded, checked for consistency and summarized.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use haplat_core::manifest::{BindingRegion, MANIFEST_FILE, Manifest, StackManifest};
use serde_json::Value;

use crate::error::Error;
use crate::files::{self, Kind};

/// A loaded, checked assembly.
#[derive(Clone, Debug)]
pub struct Assembly {
    /// The directory it was read from.
    pub dir: PathBuf,
    /// The manifest.
    pub manifest: Manifest,
    /// Each stack's template: stack name → (raw text, parsed JSON).
    pub templates: BTreeMap<String, Template>,
}

/// One template as written by the app.
#[derive(Clone, Debug)]
pub struct Template {
    /// The file's text, sent to CloudFormation as is.
    pub body: String,
    /// The parsed template.
    pub json: Value,
}

impl Template {
    /// The names of the template's `Parameters`.
    pub fn parameter_names(&self) -> BTreeSet<String> {
        keys(&self.json, "Parameters")
    }

    /// The names of the template's `Outputs`.
    pub fn output_names(&self) -> BTreeSet<String> {
        keys(&self.json, "Outputs")
    }

    /// Whether the parameter has a `Default`.
    pub fn parameter_has_default(&self, name: &str) -> bool {
        self.json.pointer(&format!("/Parameters/{name}/Default")).is_some()
    }
}

fn keys(v: &Value, section: &str) -> BTreeSet<String> {
    v.get(section).and_then(Value::as_object).map(|m| m.keys().cloned().collect()).unwrap_or_default()
}

impl Assembly {
    /// Reads and checks the assembly in `dir`.
    pub fn load(dir: &Path) -> Result<Assembly, Error> {
        let manifest_path = dir.join(MANIFEST_FILE);
        let text = files::read_text(&manifest_path, Kind::Manifest).map_err(|e| Error::Assembly {
            dir: dir.to_owned(),
            problems: vec![if e.missing {
                format!("{e} (run `haplat synth` first, or pass --out/--assembly)")
            } else {
                e.to_string()
            }],
        })?;
        let manifest = Manifest::from_json(&text).map_err(|e| Error::Assembly {
            dir: dir.to_owned(),
            problems: vec![files::FileError::parse(&manifest_path, e).to_string()],
        })?;
        let mut problems = Vec::new();
        let mut templates = BTreeMap::new();
        for stack in &manifest.stacks {
            // A template is a file of the assembly directory, never a path out of it.
            let inside = Path::new(&stack.template)
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_) | std::path::Component::CurDir));
            if !inside || stack.template.is_empty() {
                problems.push(format!(
                    "stack {}: template {:?} is not a file name of the assembly directory",
                    stack.name,
                    files::one_line(&stack.template)
                ));
                continue;
            }
            let path = dir.join(&stack.template);
            match files::read_text(&path, Kind::Template) {
                Err(e) => problems.push(format!("stack {}: cannot read template {e}", stack.name)),
                Ok(body) => match serde_json::from_str::<Value>(&body) {
                    Err(e) => problems.push(format!(
                        "stack {}: template {} is not JSON: {}",
                        stack.name,
                        stack.template,
                        files::one_line(&e.to_string())
                    )),
                    Ok(json) => {
                        templates.insert(stack.name.clone(), Template { body, json });
                    }
                },
            }
        }
        let assembly = Assembly { dir: dir.to_owned(), manifest, templates };
        if problems.is_empty() {
            problems = assembly.check();
        }
        if problems.is_empty() { Ok(assembly) } else { Err(Error::Assembly { dir: dir.to_owned(), problems }) }
    }

    /// The template of a stack of the manifest.
    pub fn template(&self, stack: &str) -> &Template {
        &self.templates[stack]
    }

    /// Every inconsistency between the manifest and the templates, one line each.
    fn check(&self) -> Vec<String> {
        let m = &self.manifest;
        let mut problems = Vec::new();
        let mut seen = BTreeSet::new();
        for stack in &m.stacks {
            if !seen.insert(stack.name.as_str()) {
                problems.push(format!("stack {} appears twice in the manifest", stack.name));
            }
        }
        // Waves: every stack exactly once, in the wave it says.
        let mut in_wave = BTreeMap::new();
        for (i, wave) in m.waves.iter().enumerate() {
            for name in wave {
                if in_wave.insert(name.as_str(), i).is_some() {
                    problems.push(format!("stack {name} is in more than one wave"));
                }
                if m.stack(name).is_none() {
                    problems.push(format!("wave {i} names stack {name}, which is not in the manifest"));
                }
            }
        }
        for stack in &m.stacks {
            let t = &self.templates[&stack.name];
            match in_wave.get(stack.name.as_str()) {
                None => problems.push(format!("stack {} is in no wave", stack.name)),
                Some(&w) if w != stack.wave => {
                    problems.push(format!("stack {} says wave {} but is listed in wave {w}", stack.name, stack.wave))
                }
                _ => {}
            }
            if stack.template_bytes != t.body.len() {
                problems.push(format!(
                    "stack {}: manifest says the template has {} bytes, {} has {} (stale assembly? run `haplat synth`)",
                    stack.name,
                    stack.template_bytes,
                    stack.template,
                    t.body.len()
                ));
            }
            let regions = stack.target.regions();
            if regions.is_empty() {
                problems.push(format!("stack {} has no region", stack.name));
            }
            let unique: BTreeSet<_> = regions.iter().collect();
            if unique.len() != regions.len() {
                problems.push(format!("stack {} names a region twice", stack.name));
            }
            let resources = keys(&t.json, "Resources");
            let declared: BTreeSet<String> = stack.resources.keys().cloned().collect();
            for missing in resources.difference(&declared) {
                problems.push(format!(
                    "stack {}: resource {missing} is in the template but not in the manifest",
                    stack.name
                ));
            }
            for extra in declared.difference(&resources) {
                problems
                    .push(format!("stack {}: resource {extra} is in the manifest but not in the template", stack.name));
            }
            let params = t.parameter_names();
            for p in stack.parameters.keys() {
                if !params.contains(p) {
                    problems.push(format!(
                        "stack {}: parameter {p} has values but is not a template parameter",
                        stack.name
                    ));
                }
            }
            let bound: BTreeSet<&str> = stack.bindings.iter().map(|b| b.parameter.as_str()).collect();
            for p in &params {
                let has_value = bound.contains(p.as_str())
                    || stack.parameters.get(p).is_some_and(|by_region| {
                        by_region.contains_key("*") || regions.iter().all(|r| by_region.contains_key(r))
                    })
                    || t.parameter_has_default(p);
                if !has_value {
                    problems.push(format!(
                        "stack {}: parameter {p} has no value for some region, no binding and no default",
                        stack.name
                    ));
                }
            }
            for b in &stack.bindings {
                let what = format!("stack {} parameter {} (from {})", stack.name, b.parameter, b.source);
                if !params.contains(&b.parameter) {
                    problems.push(format!("{what}: the template has no such parameter"));
                }
                let Some(producer) = m.stack(&b.producer) else {
                    problems.push(format!("{what}: producer stack {} is not in the manifest", b.producer));
                    continue;
                };
                if producer.wave >= stack.wave {
                    problems.push(format!(
                        "{what}: producer {} is in wave {}, not before wave {}",
                        b.producer, producer.wave, stack.wave
                    ));
                }
                if let Some(pt) = self.templates.get(&producer.name)
                    && !pt.output_names().contains(&b.output)
                {
                    problems.push(format!("{what}: producer {} has no output {}", b.producer, b.output));
                }
                let producer_regions = producer.target.regions();
                match &b.region {
                    BindingRegion::Fixed { region } => {
                        if !producer_regions.contains(region) {
                            problems.push(format!("{what}: producer {} is not deployed in {region}", b.producer));
                        }
                    }
                    BindingRegion::SameRegion => {
                        for r in &regions {
                            if !producer_regions.contains(r) {
                                problems.push(format!("{what}: producer {} is not deployed in {r}", b.producer));
                            }
                        }
                    }
                }
            }
        }
        problems
    }

    /// Every region of every stack, sorted.
    pub fn regions(&self) -> BTreeSet<String> {
        self.manifest.stacks.iter().flat_map(|s| s.target.regions()).collect()
    }

    /// The stacks named (all when `names` is empty), in wave order; unknown names are an error.
    pub fn select(&self, names: &[String]) -> Result<Vec<&StackManifest>, Error> {
        for n in names {
            if self.manifest.stack(n).is_none() && !self.manifest.stacks.iter().any(|s| &s.id == n) {
                let known: Vec<&str> = self.manifest.stacks.iter().map(|s| s.name.as_str()).collect();
                return Err(Error::Usage(format!("no stack named {n} in the assembly (stacks: {})", known.join(", "))));
            }
        }
        let mut out: Vec<&StackManifest> = self
            .manifest
            .stacks
            .iter()
            .filter(|s| names.is_empty() || names.iter().any(|n| n == &s.name || n == &s.id))
            .collect();
        out.sort_by(|a, b| (a.wave, &a.name).cmp(&(b.wave, &b.name)));
        Ok(out)
    }

    /// The human summary `haplat synth` and `haplat list` print.
    pub fn summary(&self) -> String {
        let m = &self.manifest;
        let resources: usize = m.stacks.iter().map(|s| s.resources.len()).sum();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "app {}: {} stack{}, {} region{}, {} resource{}, {} wave{}",
            m.app,
            m.stacks.len(),
            plural(m.stacks.len()),
            self.regions().len(),
            plural(self.regions().len()),
            resources,
            plural(resources),
            m.waves.len(),
            plural(m.waves.len()),
        );
        let width = m.stacks.iter().map(|s| s.name.len()).max().unwrap_or(0);
        for (i, wave) in m.waves.iter().enumerate() {
            let _ = writeln!(out, "wave {i}");
            for name in wave {
                let Some(s) = m.stack(name) else { continue };
                let upload = if s.requires_upload { ", uploaded" } else { "" };
                let _ = writeln!(
                    out,
                    "  {:width$}  {:>3} resource{}  {:>7} bytes{upload}  {}",
                    s.name,
                    s.resources.len(),
                    if s.resources.len() == 1 { " " } else { "s" },
                    s.template_bytes,
                    s.target.regions().join(", "),
                );
            }
        }
        out
    }
}

impl Assembly {
    /// What [`Assembly::summary`] says, as JSON (`haplat list --format json`): the app, its
    /// regions, and per wave the stacks with their regions, resources and template size.
    pub fn summary_json(&self) -> serde_json::Value {
        let m = &self.manifest;
        let waves: Vec<serde_json::Value> = m
            .waves
            .iter()
            .map(|wave| {
                serde_json::Value::Array(
                    wave.iter()
                        .filter_map(|name| m.stack(name))
                        .map(|s| {
                            serde_json::json!({
                                "name": s.name,
                                "id": s.id,
                                "regions": s.target.regions(),
                                "stackSet": matches!(s.target, haplat_core::manifest::Target::StackSet { .. }),
                                "resources": s.resources.len(),
                                "templateBytes": s.template_bytes,
                                "uploaded": s.requires_upload,
                            })
                        })
                        .collect(),
                )
            })
            .collect();
        serde_json::json!({ "app": m.app, "regions": self.regions(), "waves": waves })
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
