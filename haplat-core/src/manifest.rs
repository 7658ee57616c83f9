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
    /// How `haplat deploy` rolls a change out ([`App::rollout`](crate::App::rollout)), unless its
    /// flags say otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<Rollout>,
}

/// A progressive rollout: every stack set deployed to `first_region` goes there alone first, its
/// alarms are watched for `bake_seconds`, and its other regions follow only if they stayed OK.
/// With `first_account`, a stack set deployed to that account and to others goes to that
/// account alone first (its first region, then its other regions), and to the other accounts
/// after the bake. `stacks` gives a stack set its own policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rollout {
    /// The region deployed first, alone.
    pub first_region: String,
    /// The account deployed first, alone (one of a self-managed stack set's `accounts`);
    /// `None`: stages by region only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_account: Option<String>,
    /// How long, in seconds, its alarms must stay OK before the other regions.
    pub bake_seconds: u64,
    /// Stack sets with a policy of their own, by name (the others: `bake_seconds`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stacks: BTreeMap<String, StackRollout>,
}

impl Rollout {
    /// `first_region` first, then the other regions after `bake_seconds`.
    pub fn new(first_region: &str, bake_seconds: u64) -> Self {
        Rollout { first_region: first_region.to_owned(), first_account: None, bake_seconds, stacks: BTreeMap::new() }
    }

    /// Also `account` first, alone, before a stack set's other accounts.
    pub fn first_account(mut self, account: &str) -> Self {
        self.first_account = Some(account.to_owned());
        self
    }

    /// The stack set `stack`'s own policy.
    pub fn stack(mut self, stack: &str, policy: StackRollout) -> Self {
        self.stacks.insert(stack.to_owned(), policy);
        self
    }

    /// The bake time of `stack`, in seconds; `None`: it is deployed in one stage.
    pub fn bake_seconds_of(&self, stack: &str) -> Option<u64> {
        match self.stacks.get(stack) {
            Some(StackRollout::AllAtOnce) => None,
            Some(StackRollout::BakeSeconds(s)) => Some(*s),
            None => Some(self.bake_seconds),
        }
    }
}

/// A stack set's own rollout policy ([`Rollout::stacks`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum StackRollout {
    /// Every region and account at once, with no bake (e.g. a stack set whose alarms say nothing
    /// about a change of its own).
    AllAtOnce,
    /// Staged like the others, with this bake time in seconds.
    BakeSeconds(u64),
}

/// The objectives an environment declares: the longest outage and data loss it accepts, and its
/// service level objectives.
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
    /// The longest time, in seconds, that moving an Aurora global database's writer to another
    /// region may take (`haplat db switchover`/`failover` measure it against this).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_failover_seconds: Option<u32>,
    /// The longest time, in seconds, from a region's failure until the surviving regions run the
    /// capacity it ran at rest besides their own, with no one acting: traffic moved, then their
    /// services scaled out (the region's recovery, `haplat check` HAP059).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_recovery_seconds: Option<u32>,
    /// The availability SLO: the percentage of requests answered without a server error over
    /// 30 days (99.95 leaves about 21.6 minutes of errors). Every availability SLO of the
    /// assembly must be at least this strict, and there must be one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_percent: Option<f64>,
    /// The latency SLO: 99% of requests answered within this many milliseconds. Every latency
    /// SLO of the assembly must be at least this strict, and there must be one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_p99_ms: Option<u32>,
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

/// Which accounts a stack set deploys to, and with which StackSets permission model.
///
/// AWS: a stack set is either `SELF_MANAGED` (the administration role in the calling account
/// assumes the execution role in each target account, instances are created per account id) or
/// `SERVICE_MANAGED` (Organizations: instances are created per organizational unit, automatic
/// deployment adds and removes accounts as they join and leave the OUs, from the management
/// account or a delegated administrator calling with `CallAs DELEGATED_ADMIN`)
/// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-concepts.html>,
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStackSet.html>,
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-delegated-admin.html>).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Deployment {
    /// Self-managed, in the account that deploys (haplat's model before accounts existed).
    #[default]
    ThisAccount,
    /// Self-managed, in each of these accounts (each has the execution role, trusting the
    /// administration account: `haplat bootstrap --account`).
    #[serde(rename_all = "camelCase")]
    Accounts {
        /// The 12-digit account ids.
        accounts: Vec<String>,
    },
    /// Service-managed, to every account of these organizational units, with automatic
    /// deployment enabled.
    #[serde(rename_all = "camelCase")]
    OrganizationalUnits {
        /// The OU ids (`ou-` followed by 4–32 lowercase letters or digits, a dash, and 8–32
        /// more) or the root id (`r-` and 4–32).
        organizational_units: Vec<String>,
        /// Whether an account's stacks are kept when it leaves the OUs (AutoDeployment's
        /// `RetainStacksOnAccountRemoval`); chosen explicitly, no default.
        retain_stacks_on_account_removal: bool,
        /// `SELF` (from the management account) or `DELEGATED_ADMIN` (from a delegated
        /// administrator; sent as `CallAs` on every StackSets call).
        call_as: CallAs,
    },
}

/// Who calls StackSets for a service-managed stack set (`CallAs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CallAs {
    /// The organization's management account.
    #[default]
    #[serde(rename = "SELF")]
    SelfAccount,
    /// A member account registered as delegated administrator for StackSets.
    DelegatedAdmin,
}

impl CallAs {
    /// The API value (`SELF`, `DELEGATED_ADMIN`).
    pub fn as_str(self) -> &'static str {
        match self {
            CallAs::SelfAccount => "SELF",
            CallAs::DelegatedAdmin => "DELEGATED_ADMIN",
        }
    }

    /// Parses the API value (`--call-as`).
    pub fn parse(s: &str) -> Result<CallAs, String> {
        match s {
            "SELF" => Ok(CallAs::SelfAccount),
            "DELEGATED_ADMIN" => Ok(CallAs::DelegatedAdmin),
            other => Err(format!("call-as {other:?} is neither SELF nor DELEGATED_ADMIN")),
        }
    }
}

impl Deployment {
    /// Whether this is the default (self-managed, this account).
    pub fn is_this_account(&self) -> bool {
        matches!(self, Deployment::ThisAccount)
    }

    /// The StackSets `PermissionModel`.
    pub fn permission_model(&self) -> &'static str {
        match self {
            Deployment::ThisAccount | Deployment::Accounts { .. } => "SELF_MANAGED",
            Deployment::OrganizationalUnits { .. } => "SERVICE_MANAGED",
        }
    }

    /// The `CallAs` to send, when any (service-managed from a delegated administrator).
    pub fn call_as(&self) -> Option<CallAs> {
        match self {
            Deployment::OrganizationalUnits { call_as: CallAs::DelegatedAdmin, .. } => Some(CallAs::DelegatedAdmin),
            _ => None,
        }
    }

    /// The self-managed target accounts: the ones listed, or `this_account`.
    pub fn accounts(&self, this_account: &str) -> Vec<String> {
        match self {
            Deployment::ThisAccount => vec![this_account.to_owned()],
            Deployment::Accounts { accounts } => accounts.clone(),
            Deployment::OrganizationalUnits { .. } => Vec::new(),
        }
    }

    /// The problems of the ids, one line each, naming `field` (`environments/prod.yaml:
    /// deployment.accounts[1]`): malformed account or OU ids, duplicates, an empty list.
    pub fn problems(&self, field: &str) -> Vec<String> {
        let mut out = Vec::new();
        let (what, ids, ok): (&str, &Vec<String>, fn(&str) -> bool) = match self {
            Deployment::ThisAccount => return out,
            Deployment::Accounts { accounts } => ("accounts", accounts, is_account_id),
            Deployment::OrganizationalUnits { organizational_units, .. } => {
                ("organizationalUnits", organizational_units, is_ou_id)
            }
        };
        if ids.is_empty() {
            out.push(format!("{field}.{what}: empty; name at least one"));
        }
        for (i, id) in ids.iter().enumerate() {
            if !ok(id) {
                let want = if what == "accounts" {
                    "a 12-digit AWS account id"
                } else {
                    "an organizational unit id (ou-xxxx-xxxxxxxx) or a root id (r-xxxx)"
                };
                out.push(format!("{field}.{what}[{i}]: {:?} is not {want}", clip(id)));
            } else if ids[..i].contains(id) {
                out.push(format!("{field}.{what}[{i}]: {id} is listed twice"));
            }
        }
        out
    }
}

/// At most 40 characters of a bad value, for messages.
fn clip(s: &str) -> String {
    if s.chars().count() <= 40 { s.to_owned() } else { format!("{}…", s.chars().take(40).collect::<String>()) }
}

/// Whether `s` is an AWS account id: 12 digits
/// (<https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html>).
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `s` is an organizational unit id (`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`) or a root
/// id (`^r-[0-9a-z]{4,32}$`), the patterns of `DeploymentTargets.OrganizationalUnitIds`
/// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeploymentTargets.html>).
pub fn is_ou_id(s: &str) -> bool {
    let part = |p: &str, min: usize| {
        (min..=32).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    };
    if let Some(rest) = s.strip_prefix("ou-") {
        matches!(rest.split_once('-'), Some((a, b)) if part(a, 4) && part(b, 8))
    } else if let Some(rest) = s.strip_prefix("r-") {
        part(rest, 4)
    } else {
        false
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
    /// The accounts it deploys to and the permission model (absent: this account).
    #[serde(default, skip_serializing_if = "Deployment::is_this_account")]
    pub deployment: Deployment,
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
