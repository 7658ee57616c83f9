//! The deploy plan, as data: waves of stack sets, each with its regions, template, capabilities,
//! operation preferences and per-region parameters (literal or bound to another stack's
//! output). Computed from the assembly and the command line only; `haplat deploy --dry-run`
//! prints it and the executor ([`crate::executor`]) runs it. The parameter arithmetic of a
//! deploy (set-level values, overrides, which regions an operation reaches) is pure data too,
//! in [`params`].
//!
//! Uses [`crate::assembly`], the plain types of [`crate::cfn`] and [`crate::error`]; no I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use haplat_core::manifest::{BindingRegion, StackManifest};
use serde::Serialize;

use crate::assembly::Assembly;
use crate::cfn::Preferences;
use crate::error::Error;

pub mod params;

pub use params::template_parameters;

/// Flags that shape the plan.
#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    /// Only these stacks (by name or id); all when empty.
    pub stacks: Vec<String>,
    /// Only these regions; all of each stack's regions when empty.
    pub regions: Vec<String>,
    /// Run regions in parallel (`RegionConcurrencyType` `PARALLEL`).
    pub parallel: bool,
    /// `MaxConcurrentCount`.
    pub max_concurrent: Option<u32>,
    /// `FailureToleranceCount`.
    pub failure_tolerance: Option<u32>,
}

/// A parameter's value for one region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", untagged)]
pub enum ParamValue {
    /// Known at synth.
    Literal(String),
    /// Read at deploy time from the producer's stack instance in `region`.
    Output {
        /// The producer stack (set).
        stack: String,
        /// Its output.
        output: String,
        /// The producer instance's region.
        region: String,
        /// The construct path the value comes from.
        source: String,
    },
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Literal(v) => write!(f, "{v:?}"),
            ParamValue::Output { stack, output, region, .. } => write!(f, "<{stack}.{output} in {region}>"),
        }
    }
}

/// One stack set of the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StackPlan {
    /// The stack set's name.
    pub name: String,
    /// The template file in the assembly.
    pub template: String,
    /// Its size.
    pub template_bytes: usize,
    /// Whether it goes through the bootstrap bucket.
    pub upload: bool,
    /// Capabilities.
    pub capabilities: Vec<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// The regions this deploy touches, in the manifest's order.
    pub regions: Vec<String>,
    /// Whether instances in regions the manifest no longer lists are deleted (not when
    /// `--regions` narrows the deploy).
    pub prune: bool,
    /// Operation preferences.
    pub preferences: Preferences,
    /// Parameters per region.
    pub parameters: BTreeMap<String, BTreeMap<String, ParamValue>>,
    /// What the plan did not do as the command line asked, and why (a `--failure-tolerance`
    /// above the stack set's own tolerance).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One wave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WavePlan {
    /// Its index in the manifest.
    pub wave: usize,
    /// Its stack sets, by name.
    pub stacks: Vec<StackPlan>,
}

/// The whole plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeployPlan {
    /// The app.
    pub app: String,
    /// The waves, in order; empty waves are left out.
    pub waves: Vec<WavePlan>,
}

impl DeployPlan {
    /// Every stack of the plan, in order.
    pub fn stacks(&self) -> impl Iterator<Item = &StackPlan> {
        self.waves.iter().flat_map(|w| &w.stacks)
    }

    /// Every region the plan touches.
    pub fn regions(&self) -> BTreeSet<String> {
        self.stacks().flat_map(|s| s.regions.iter().cloned()).collect()
    }

    /// The text `--dry-run` prints.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let stacks = self.stacks().count();
        let instances: usize = self.stacks().map(|s| s.regions.len()).sum();
        let _ = writeln!(
            out,
            "deploy plan for app {}: {} wave(s), {stacks} stack set(s), {instances} stack instance(s)",
            self.app,
            self.waves.len()
        );
        for w in &self.waves {
            let _ = writeln!(out, "wave {}", w.wave);
            for s in &w.stacks {
                let how = if s.upload { "uploaded to the bootstrap bucket" } else { "inline" };
                let _ = writeln!(out, "  stack set {}", s.name);
                let _ = writeln!(
                    out,
                    "    1. create or update stack set from {} ({} bytes, {how})",
                    s.template, s.template_bytes
                );
                if !s.capabilities.is_empty() {
                    let _ = writeln!(out, "       capabilities: {}", s.capabilities.join(", "));
                }
                let _ = writeln!(out, "    2. create or update stack instances in {}", s.regions.join(", "));
                let _ = writeln!(out, "       preferences: {}", render_prefs(&s.preferences));
                for n in &s.notes {
                    let _ = writeln!(out, "       note: {n}");
                }
                // Each region's parameter values belong to its instance: under step 2.
                for region in &s.regions {
                    let params = &s.parameters[region];
                    if params.is_empty() {
                        continue;
                    }
                    let _ = writeln!(out, "       {region}:");
                    for (k, v) in params {
                        let _ = writeln!(out, "         {k} = {v}");
                    }
                }
                if s.prune {
                    let _ = writeln!(
                        out,
                        "    3. regions no longer listed: lift {} there first, delete their instances after every wave (last wave first)",
                        haplat_check::DELETION_PROTECTION_PARAMETER
                    );
                }
            }
        }
        out
    }
}

/// Operation preferences as one line.
pub fn render_prefs(p: &Preferences) -> String {
    let mut parts = vec![p.region_concurrency.clone().unwrap_or_else(|| "SEQUENTIAL".to_owned())];
    if let Some(n) = p.max_concurrent_count {
        parts.push(format!("max {n} concurrent"));
    }
    if let Some(n) = p.failure_tolerance_count {
        parts.push(format!("tolerate {n} failure(s)"));
    }
    if let Some(mode) = p.concurrency_mode() {
        parts.push(mode.to_owned());
    }
    parts.join(", ")
}

pub use haplat_core::manifest::OWNER_TAG;

/// Computes the plan.
pub fn plan_deploy(assembly: &Assembly, opts: &PlanOptions) -> Result<DeployPlan, Error> {
    let selected = assembly.select(&opts.stacks)?;
    let known = assembly.regions();
    for r in &opts.regions {
        if !known.contains(r) {
            return Err(Error::Usage(format!(
                "--regions {r}: no stack of the assembly is deployed there (regions: {})",
                known.into_iter().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    let mut waves: BTreeMap<usize, Vec<StackPlan>> = BTreeMap::new();
    for s in selected {
        let regions: Vec<String> =
            s.target.regions().into_iter().filter(|r| opts.regions.is_empty() || opts.regions.contains(r)).collect();
        if regions.is_empty() {
            continue;
        }
        let (preferences, notes) = preferences(s, opts, &regions);
        let plan = StackPlan {
            name: s.name.clone(),
            template: s.template.clone(),
            template_bytes: s.template_bytes,
            upload: s.requires_upload,
            capabilities: s.capabilities.clone(),
            tags: {
                // haplat's ownership marker: deploy refuses a stack set without it (`--adopt`).
                let mut t = s.tags.clone();
                t.entry(OWNER_TAG.to_owned()).or_insert_with(|| assembly.manifest.app.clone());
                t
            },
            prune: opts.regions.is_empty(),
            preferences,
            notes,
            parameters: regions.iter().map(|r| (r.clone(), parameters_for(s, r))).collect(),
            regions,
        };
        waves.entry(s.wave).or_default().push(plan);
    }
    Ok(DeployPlan {
        app: assembly.manifest.app.clone(),
        waves: waves.into_iter().map(|(wave, stacks)| WavePlan { wave, stacks }).collect(),
    })
}

/// The stack set's operation preferences: the manifest's, overridden by the command line, and
/// the notes on what the command line could not change.
///
/// `--failure-tolerance` may only **lower** a tolerance the stack set declares: a stack set whose
/// manifest says `FailureToleranceCount` 0 (the database stack: after a failed primary region, no
/// secondary may be tried) keeps 0 whatever the flag says. A stack set that declares no tolerance
/// takes the flag's. docs/cli.md (Deploy, failure tolerance) states the rule.
fn preferences(s: &StackManifest, opts: &PlanOptions, regions: &[String]) -> (Preferences, Vec<String>) {
    let m = &s.operation_preferences;
    let (failure_tolerance_count, notes) = failure_tolerance(m.failure_tolerance_count, opts.failure_tolerance);
    let prefs = Preferences {
        region_concurrency: if opts.parallel { Some("PARALLEL".to_owned()) } else { m.region_concurrency.clone() },
        max_concurrent_count: opts.max_concurrent.or(m.max_concurrent_count),
        failure_tolerance_count,
        region_order: regions.to_vec(),
    };
    (prefs, notes)
}

/// The failure tolerance of a stack set that declares `declared`, when the command line asks for
/// `flag`: the flag when the stack set declares none or more, else the stack set's own (with a
/// note saying the flag was not applied).
pub fn failure_tolerance(declared: Option<u32>, flag: Option<u32>) -> (Option<u32>, Vec<String>) {
    match (declared, flag) {
        (Some(d), Some(f)) if f > d => (
            Some(d),
            vec![format!(
                "--failure-tolerance {f} not applied: this stack set declares a failure tolerance of {d}, which the flag may lower but not raise"
            )],
        ),
        (d, f) => (f.or(d), Vec::new()),
    }
}

/// A stack's parameters in one region: literals from the manifest, then bindings.
pub fn parameters_for(s: &StackManifest, region: &str) -> BTreeMap<String, ParamValue> {
    let mut out = BTreeMap::new();
    for (name, by_region) in &s.parameters {
        if let Some(v) = by_region.get(region).or_else(|| by_region.get("*")) {
            out.insert(name.clone(), ParamValue::Literal(v.clone()));
        }
    }
    for b in &s.bindings {
        let producer_region = match &b.region {
            BindingRegion::Fixed { region } => region.clone(),
            BindingRegion::SameRegion => region.to_owned(),
        };
        out.insert(
            b.parameter.clone(),
            ParamValue::Output {
                stack: b.producer.clone(),
                output: b.output.clone(),
                region: producer_region,
                source: b.source.clone(),
            },
        );
    }
    out
}

/// The destroy plan: stack names in reverse wave order.
pub fn plan_destroy(assembly: &Assembly, stacks: &[String]) -> Result<Vec<String>, Error> {
    let mut selected = assembly.select(stacks)?;
    selected.reverse();
    Ok(selected.into_iter().map(|s| s.name.clone()).collect())
}

/// Why haplat will not deploy over an existing stack set of `s` whose tags are `tags`: it lacks
/// haplat's ownership tag or carries another app's (`None` when it is ours, or when adopting).
pub fn ownership_problem(s: &StackPlan, tags: &BTreeMap<String, String>, adopt: bool) -> Option<String> {
    let have = tags.get(OWNER_TAG);
    if adopt || (have.is_some() && have == s.tags.get(OWNER_TAG)) {
        return None;
    }
    let whose = match have {
        Some(h) => format!("belongs to app {h:?} (tag {OWNER_TAG})"),
        None => format!("lacks haplat's tag {OWNER_TAG}"),
    };
    Some(format!(
        "stack set {} exists but {whose}: haplat does not deploy over a stack set it did not make; `--adopt` takes it over (and tags it)",
        s.name
    ))
}

#[cfg(test)]
mod tests {
    use super::failure_tolerance;

    #[test]
    fn the_failure_tolerance_flag_lowers_but_never_raises_a_declared_one() {
        // The database stack declares 0: the flag cannot raise it.
        let (t, notes) = failure_tolerance(Some(0), Some(2));
        assert_eq!(t, Some(0));
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("--failure-tolerance 2 not applied") && notes[0].contains("of 0"), "{notes:?}");
        // Lowering (or equal) is applied silently.
        assert_eq!(failure_tolerance(Some(3), Some(1)), (Some(1), vec![]));
        assert_eq!(failure_tolerance(Some(1), Some(1)), (Some(1), vec![]));
        // Nothing declared: the flag decides; no flag: the manifest's.
        assert_eq!(failure_tolerance(None, Some(2)), (Some(2), vec![]));
        assert_eq!(failure_tolerance(Some(0), None), (Some(0), vec![]));
        assert_eq!(failure_tolerance(None, None), (None, vec![]));
    }
}
