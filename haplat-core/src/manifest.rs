//! The cloud assembly's `manifest.json`: what the CLI needs to plan a deploy without running
//! the app again. Its JSON Schema (`haplat-core/manifest.schema.json`) is generated from these
//! types and committed; a test fails when it is stale.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The version of the manifest format this crate writes and reads.
pub const MANIFEST_VERSION: &str = "1";

/// The file name of the manifest inside the assembly directory.
pub const MANIFEST_FILE: &str = "manifest.json";

/// CloudFormation's limit for a template passed inline (`TemplateBody`), in bytes; larger ones
/// go through the bootstrap bucket (`TemplateURL`).
pub const INLINE_TEMPLATE_LIMIT: usize = 51_200;

/// The whole assembly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Manifest {
    /// Format version ([`MANIFEST_VERSION`]).
    pub version: String,
    /// The app's name.
    pub app: String,
    /// The stacks, in wave order then by name.
    pub stacks: Vec<StackManifest>,
    /// Stack names per deploy wave: every binding goes from an earlier wave to a later one.
    pub waves: Vec<Vec<String>>,
    /// What the platform promises ([`App::objectives`](crate::App::objectives)), which `haplat
    /// check` compares with what the templates' settings allow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objectives: Option<Objectives>,
}

/// The objectives an environment declares: the longest outage and data loss it accepts.
/// `haplat check` computes, from the templates, the worst case the settings allow for each one
/// given and fails when an objective cannot be met (docs/availability.md). `None`: not declared.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Objectives {
    /// The longest time, in seconds, from a region's failure until the entry point stops sending
    /// it traffic, with no one acting (the application's automatic failover).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_failover_seconds: Option<u32>,
    /// The most recent writes, in milliseconds, that a region's loss may lose (the RPO of the
    /// replicated data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_loss_ms: Option<u32>,
}

impl Objectives {
    /// Whether no objective is declared.
    pub fn is_empty(&self) -> bool {
        self == &Objectives::default()
    }
}

/// The stack-set tag that marks a stack set as haplat's (its value: the app's name); `deploy`
/// adds it, and it counts toward the stack set's limit of tags.
pub const OWNER_TAG: &str = "haplat:app";

/// Where a stack is deployed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Target {
    /// One stack set, one instance per region.
    #[serde(rename_all = "camelCase")]
    StackSet {
        /// The regions, in the order given (the first is the primary unless roles say otherwise).
        regions: Vec<String>,
    },
    /// One stack in one region (deployed as a stack set with a single instance, so every stack
    /// goes through the same path).
    #[serde(rename_all = "camelCase")]
    Region {
        /// The region.
        region: String,
    },
}

impl Target {
    /// Every region of the target.
    pub fn regions(&self) -> Vec<String> {
        match self {
            Target::StackSet { regions } => regions.clone(),
            Target::Region { region } => vec![region.clone()],
        }
    }
}

/// How a stack set operation runs across regions (CloudFormation's `OperationPreferences`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OperationPreferences {
    /// `PARALLEL` or `SEQUENTIAL` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_concurrency: Option<String>,
    /// How many regions at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_count: Option<u32>,
    /// How many regions may fail before the operation stops.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_tolerance_count: Option<u32>,
}

/// One stack of the assembly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StackManifest {
    /// The construct id of the stack (first segment of its construct paths).
    pub id: String,
    /// The CloudFormation stack set name (and, for a single-region stack, the stack's).
    pub name: String,
    /// The template file, relative to the assembly directory.
    pub template: String,
    /// The template's size in bytes.
    pub template_bytes: usize,
    /// Whether the template is over [`INLINE_TEMPLATE_LIMIT`] and must be uploaded.
    pub requires_upload: bool,
    /// Where it is deployed.
    pub target: Target,
    /// The deploy wave (0 first).
    pub wave: usize,
    /// Capabilities the template needs (`CAPABILITY_NAMED_IAM` …).
    pub capabilities: Vec<String>,
    /// Stack set operation preferences.
    #[serde(default)]
    pub operation_preferences: OperationPreferences,
    /// Parameters with a value known at synth, per region (a value under `*` is for every
    /// region).
    pub parameters: BTreeMap<String, BTreeMap<String, String>>,
    /// Parameters filled at deploy time from another stack's outputs.
    pub bindings: Vec<Binding>,
    /// Every resource: logical id → facts the CLI needs for diff and data safety.
    pub resources: BTreeMap<String, ResourceManifest>,
    /// Stack-level tags.
    pub tags: BTreeMap<String, String>,
}

/// What the region of a binding's producer is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum BindingRegion {
    /// The producer's instance in this region, for every region of the consumer.
    #[serde(rename_all = "camelCase")]
    Fixed {
        /// The region.
        region: String,
    },
    /// The producer's instance in the consumer's own region (both are stack sets).
    SameRegion,
}

/// A parameter of a consumer stack that receives an output of a producer stack at deploy time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Binding {
    /// The consumer's parameter.
    pub parameter: String,
    /// The producer stack's name.
    pub producer: String,
    /// The producer's output.
    pub output: String,
    /// Which region's instance of the producer is read.
    pub region: BindingRegion,
    /// The construct path (and attribute) the value comes from, for messages.
    pub source: String,
}

/// A resource of a stack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceManifest {
    /// The CloudFormation type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The construct path.
    pub path: String,
    /// Whether it holds data.
    pub stateful: bool,
    /// The properties whose change replaces it.
    pub create_only: Vec<String>,
    /// Its `DeletionPolicy`.
    pub deletion_policy: String,
}

impl Manifest {
    /// Reads a manifest, checking its version.
    pub fn from_json(text: &str) -> Result<Manifest, String> {
        let m: Manifest = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if m.version != MANIFEST_VERSION {
            return Err(format!(
                "manifest version {} is not supported (this haplat reads version {MANIFEST_VERSION})",
                m.version
            ));
        }
        Ok(m)
    }

    /// The stack of that name.
    pub fn stack(&self, name: &str) -> Option<&StackManifest> {
        self.stacks.iter().find(|s| s.name == name)
    }

    /// The JSON Schema of the manifest, pretty-printed (what is committed).
    pub fn json_schema() -> String {
        let schema = schemars::schema_for!(Manifest);
        let mut s = serde_json::to_string_pretty(&schema).expect("schema serializes");
        s.push('\n');
        s
    }
}
