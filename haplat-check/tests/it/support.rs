//! Minimal assemblies built in memory: stacks with their regions, templates and bindings.

use std::collections::BTreeMap;

use haplat_check::{Assembly, Finding, Report, check};
use haplat_core::manifest::{Binding, BindingRegion, MANIFEST_VERSION, Manifest, StackManifest, Target};
use serde_json::Value as Json;

/// One stack of a test assembly.
pub struct S {
    pub name: &'static str,
    pub regions: &'static [&'static str],
    pub template: Json,
    pub bindings: Vec<Binding>,
}

pub fn stack(name: &'static str, regions: &'static [&'static str], template: Json) -> S {
    S { name, regions, template, bindings: Vec::new() }
}

impl S {
    /// A parameter of this stack filled from another stack's output.
    pub fn binding(mut self, parameter: &str, producer: &str, output: &str) -> S {
        self.bindings.push(Binding {
            parameter: parameter.into(),
            producer: producer.into(),
            output: output.into(),
            region: BindingRegion::SameRegion,
            source: format!("{producer}.{output}"),
        });
        self
    }
}

pub fn manifest(stacks: &[S]) -> Manifest {
    Manifest {
        objectives: None,
        rollout: None,
        version: MANIFEST_VERSION.into(),
        app: "test".into(),
        stacks: stacks
            .iter()
            .map(|s| StackManifest {
                id: s.name.into(),
                name: s.name.into(),
                template: format!("{}.template.json", s.name),
                template_bytes: 0,
                requires_upload: false,
                target: Target::StackSet { regions: s.regions.iter().map(|r| r.to_string()).collect() },
                wave: 0,
                capabilities: vec![],
                operation_preferences: Default::default(),
                deployment: Default::default(),
                parameters: BTreeMap::new(),
                bindings: s.bindings.clone(),
                resources: BTreeMap::new(),
                tags: BTreeMap::new(),
            })
            .collect(),
        waves: vec![stacks.iter().map(|s| s.name.to_string()).collect()],
    }
}

pub fn assembly(stacks: Vec<S>) -> Assembly {
    let manifest = serde_json::to_string(&manifest(&stacks)).unwrap();
    let templates = stacks
        .iter()
        .map(|s| (format!("{}.template.json", s.name), serde_json::to_string_pretty(&s.template).unwrap()))
        .collect();
    Assembly::from_parts(&manifest, templates).unwrap()
}

pub fn run(stacks: Vec<S>) -> Report {
    check(&assembly(stacks))
}

/// The findings of one rule.
pub fn of(report: &Report, rule: &str) -> Vec<Finding> {
    report.findings.iter().filter(|f| f.rule == rule).cloned().collect()
}

/// A one-stack template with these resources.
pub fn resources(resources: Json) -> Json {
    serde_json::json!({ "AWSTemplateFormatVersion": "2010-09-09", "Resources": resources })
}
