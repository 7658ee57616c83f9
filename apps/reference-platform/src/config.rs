//! The typed configuration of one environment (`environments/<name>.yaml`).
//!
//! The files deserialize into [`Environment`]; an unknown field, a wrong type or a value outside
//! the allowed set is an error naming the file, the line and the field. Their JSON Schema
//! (`environments/schema.json`, for editors) is generated from these types and committed; a test
//! fails when it is stale. The mode and the regions are haplat-constructs' own [`DrMode`] and
//! [`RegionSpec`] (its `serde` feature), handed to the constructs as they are.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use haplat_constructs::{DrMode, RegionRole, RegionSpec};
use schemars::JsonSchema;
use serde::Deserialize;

/// One environment of the platform.
#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// The environment's name; it is part of every stack name (`shop-<name>-Api`).
    pub name: String,
    /// The product's name, the first part of every stack name.
    pub product: String,
    /// A production environment: each service's task definition is marked so, and `haplat
    /// check` warns (HAP030) when a service's image is named by a tag instead of a digest.
    #[serde(default)]
    pub production: bool,
    /// How the regions share traffic.
    pub mode: DrMode,
    /// The regions, exactly one of them primary.
    pub regions: Vec<RegionSpec>,
    /// The public domain: CloudFront answers on it (and `www.<domain>`), and each region's load
    /// balancer has a certificate for `origin.<domain>` and `<region>.origin.<domain>`.
    pub domain: Domain,
    /// The services of the API, each behind the regional load balancers.
    pub services: Vec<Service>,
    /// Put the services in groups of this many, each group in a stack set of its own
    /// (`ApiServices1`, `ApiServices2` …, by position), instead of all in the `Api` stack: needed from about
    /// a dozen services (CloudFormation's 500 resources per stack). Add new services at the end
    /// of the list: removing or inserting one before the end, or changing this number, moves
    /// services to another stack, which replaces them.
    #[serde(default)]
    pub services_per_stack: Option<u8>,
    /// Who is told when an alarm fires.
    pub alarms: Alarms,
    /// Choices that trade resilience for cost.
    #[serde(default)]
    pub cost: Cost,
    /// The global entry point.
    #[serde(default)]
    pub edge: Edge,
    /// The data layer.
    #[serde(default)]
    pub data: Data,
    /// Operations: SLOs, chaos experiments, the WebSocket API.
    #[serde(default)]
    pub operations: Operations,
    /// What the platform promises; `haplat check` proves the settings meet each one given and
    /// `haplat synth` prints the computed figures beside them (docs/availability.md).
    #[serde(default)]
    pub objectives: Objectives,
    /// How `haplat deploy` rolls a change out (its `--canary-region`/`--bake-time` flags
    /// override it, `--no-rollout` turns it off). Default: none, every region of a stack set at
    /// once.
    #[serde(default)]
    pub rollout: Option<Rollout>,
    /// Services call each other through ECS Service Connect (`http://<name>:<port>`, a namespace
    /// per region); who may call whom is still each service's `callers`.
    #[serde(default)]
    pub service_connect: bool,
    /// Container images: the platform's ECR repositories and the pull-through cache.
    #[serde(default)]
    pub images: Images,
    /// The account's security settings.
    #[serde(default)]
    pub security: Security,
    /// The real-time tier: a WebSocket API per region at `ws.<domain>` with a connection
    /// registry, JWT authorization on `$connect`, a queue and ECS workers (docs/realtime.md).
    /// Replaces `operations.websocket`'s single-function API. Default: none.
    #[serde(default)]
    pub realtime: Option<Realtime>,
    /// Tags on every resource.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// How traffic is moved between regions by hand.
    #[serde(default)]
    pub routing: Routing,
    /// Where every stack set deploys (docs/cli.md, "Many accounts"): absent, the account that
    /// deploys; `kind: accounts` with `accounts: [ids]` (self-managed; one account when stacks
    /// bind to each other, as the platform's do); `kind: organizationalUnits`.
    #[serde(default)]
    pub deployment: haplat_core::manifest::Deployment,
}

/// Moving traffic by hand.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Routing {
    /// Add Route 53 Application Recovery Controller in the edge stack: a cluster, a routing
    /// control per region gating its routed records, and a safety rule that keeps at least one
    /// region on; `haplat failover` then flips the controls. The cluster is billed per hour
    /// (docs/decisions.md, "Route 53 ARC in prod only"). Default: off.
    #[serde(default)]
    pub recovery_control: bool,
}

/// Security at account level (docs/security.md).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Security {
    /// Deploy the account's security baseline (a `Baseline` stack set over the environment's
    /// regions): a multi-region CloudTrail trail, GuardDuty, Security Hub with the AWS
    /// Foundational Security Best Practices standard and the AWS Config recorder. One
    /// environment per account turns it on, in an account where none of these is enabled yet.
    #[serde(default)]
    pub account_baseline: bool,
}

/// The real-time tier (docs/realtime.md).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Realtime {
    /// The JWT issuer `$connect` tokens must come from (`iss`, an https:// URL; its keys are
    /// read from `<issuer>/.well-known/jwks.json` unless `jwks_url` says otherwise).
    pub issuer: String,
    /// The audience the tokens must name (`aud`).
    pub audience: String,
    /// Where the issuer's signing keys are. Default: the issuer's `/.well-known/jwks.json`.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// `$connect` requests per second per region (the stage's throttle for that route; a
    /// reconnect storm after a failover waits here). Default: 50.
    #[serde(default = "default_connect_rate")]
    pub connect_rate: u32,
    /// Messages per second per region (every other route). Default: 500.
    #[serde(default = "default_message_rate")]
    pub message_rate: u32,
    /// The oldest a queued message may get, in seconds, before the region's real-time name
    /// leaves DNS and the on-call is paged. Default: 60.
    #[serde(default = "default_queue_age")]
    pub max_queue_age_seconds: u32,
    /// The workers that answer the messages.
    pub worker: Worker,
}

/// The real-time workers: an ECS service with no load balancer, per region.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Worker {
    /// The image: `<name>@sha256:<digest>` or `<name>:<tag>` of the platform's repositories
    /// (as for services).
    pub image: String,
    /// Fargate CPU units.
    #[serde(default = "default_worker_cpu")]
    pub cpu: u32,
    /// Fargate memory, MiB.
    #[serde(default = "default_worker_memory")]
    pub memory: u32,
    /// Fewest tasks per serving region (a standby region of active-passive keeps 1).
    #[serde(default = "default_worker_min")]
    pub min: u32,
    /// Most tasks.
    #[serde(default = "default_worker_max")]
    pub max: u32,
}

fn default_connect_rate() -> u32 {
    50
}
fn default_message_rate() -> u32 {
    500
}
fn default_queue_age() -> u32 {
    60
}
fn default_worker_cpu() -> u32 {
    256
}
fn default_worker_memory() -> u32 {
    512
}
fn default_worker_min() -> u32 {
    2
}
fn default_worker_max() -> u32 {
    10
}

/// Where the services' images come from (docs/images.md).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Images {
    /// This environment owns the ECR replication configuration of its account's registry in the
    /// primary region (one per registry: deploying it replaces any other). When false, the
    /// registry's owner must replicate `<product>-<name>/` to every region of the environment.
    #[serde(default = "yes")]
    pub own_replication: bool,
    /// Cache public images (ECR Public, Quay, registry.k8s.io) in every region's registry
    /// through pull-through cache rules, and pull the services' public images from there.
    #[serde(default)]
    pub pull_through_cache: bool,
    /// The newest images each repository keeps (a pinned digest must stay among them).
    #[serde(default = "default_keep_images")]
    pub keep_images: u32,
}

fn yes() -> bool {
    true
}

fn default_keep_images() -> u32 {
    100
}

impl Default for Images {
    fn default() -> Self {
        Images { own_replication: true, pull_through_cache: false, keep_images: default_keep_images() }
    }
}

/// The public domain.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    /// The domain name (`shop.example.com`).
    pub name: String,
    /// The Route 53 hosted zone of the domain. It must exist and be delegated: the regional
    /// certificates and the CloudFront certificate are validated by DNS records in it.
    pub hosted_zone_id: String,
}

/// One service of the API.
#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// The service's name (a construct id: letters, digits and `-`).
    pub name: String,
    /// The container image: `name:tag` or `name@sha256:<64 hex digits>` is the platform's ECR
    /// repository `<product>-<environment>/name`, replicated to every region and pulled from the
    /// task's own region (CI writes the digest, docs/images.md); a URI with a registry host
    /// (`public.ecr.aws/nginx/nginx:1.27`) is pulled from there, or through the region's
    /// pull-through cache when `images.pull_through_cache` is on.
    pub image: String,
    /// The container port.
    #[serde(default = "default_port")]
    pub port: u16,
    /// Fargate CPU units (256, 512, 1024, 2048, 4096, 8192, 16384).
    pub cpu: u32,
    /// Fargate memory in MiB (must fit the CPU: see the Fargate task sizes).
    pub memory: u32,
    /// The autoscaling floor: the tasks a serving region starts with and never goes below.
    /// (There is no desired count: a count in the template would reset the scaled count at
    /// every update; autoscaling owns it.)
    pub min: u32,
    /// The autoscaling ceiling.
    pub max: u32,
    /// The path the load balancer's target groups check (default `/health`). Route 53 also
    /// requests it through the edge every 10 s when the load balancer routes it to this service:
    /// the first service's always, another's when one of its `path_patterns` covers it
    /// (`/catalog/health` under `/catalog/*`). A region where that service fails alone then
    /// leaves DNS in about 100 s; otherwise its target-group alarm takes about 5 minutes.
    #[serde(default = "default_health")]
    pub health_check_path: String,
    /// The path Route 53 requests instead of the health check path to see the service serve
    /// (`/orders/ready`, which reads what a request needs): a region whose tasks pass their
    /// health check but fail their requests then leaves DNS. The same routing rule applies: the
    /// first service's always, another's when its `path_patterns` cover it. Default: the health
    /// check path.
    #[serde(default)]
    pub probe_path: Option<String>,
    /// The paths routed to this service (`/orders/*`); the first service also takes the rest.
    #[serde(default)]
    pub path_patterns: Vec<String>,
    /// Environment variables.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Environment variables read from Secrets Manager: variable → secret name. The task's
    /// execution role may read exactly these secrets.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// Run the X-Ray daemon beside the container.
    #[serde(default)]
    pub xray: bool,
    /// The service answers only GET, HEAD and OPTIONS (its load balancer rules match only those):
    /// in active-passive mode CloudFront serves its paths through the failover origin group,
    /// which fails over reads only. A service that takes writes must not be read-only.
    #[serde(default)]
    pub read_only: bool,
    /// The services that call this one (their names): only their tasks may connect to this
    /// service's tasks, on its port.
    #[serde(default)]
    pub callers: Vec<String>,
    /// Timeouts of calls to this service through Service Connect (ECS's when left out: 15
    /// seconds a request).
    #[serde(default)]
    pub timeouts: Option<Timeouts>,
    /// Who reaches the service and how. Default: `public`.
    #[serde(default)]
    pub access: Access,
}

/// How a service is reached.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// Through the public load balancer (and the edge), on its `path_patterns`.
    #[default]
    Public,
    /// Through the internal load balancer, by its declared `callers` only.
    Internal,
    /// By its declared `callers` only, through Cloud Map and Service Connect (`service_connect`
    /// on): no load balancer, rolling deployments with the circuit breaker's rollback, scaled on
    /// CPU and memory, in region health by its running tasks (docs/security.md).
    CloudMapOnly,
}

/// Timeouts of calls through Service Connect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    /// Seconds a request may take (0: no limit).
    pub per_request_seconds: u32,
    /// Seconds a connection may stay idle (0: no limit).
    pub idle_seconds: u32,
}

fn default_port() -> u16 {
    8080
}

fn default_health() -> String {
    "/health".into()
}

/// Who is told when an alarm fires.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Alarms {
    /// E-mail addresses subscribed to the alarm topic of every region.
    pub emails: Vec<String>,
}

/// Choices that trade resilience for cost.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    /// One NAT gateway per region instead of one per availability zone.
    #[serde(default)]
    pub single_nat_gateway: bool,
    /// Interface endpoints for ECR, CloudWatch Logs and Secrets Manager, so these calls do not
    /// go through NAT. X-Ray, STS, KMS, CloudWatch metrics and images from public.ecr.aws still
    /// do (S3 and DynamoDB have gateway endpoints in every environment).
    #[serde(default)]
    pub interface_endpoints: bool,
    /// Availability zones per region (2 to 6).
    #[serde(default = "default_azs")]
    pub availability_zones: u8,
}

fn default_azs() -> u8 {
    3
}

impl Default for Cost {
    fn default() -> Self {
        Cost { single_nat_gateway: false, interface_endpoints: false, availability_zones: default_azs() }
    }
}

/// The global entry point.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    /// Requests per 5 minutes one IP may make before WAF blocks it.
    #[serde(default = "default_rate_limit")]
    pub rate_limit: u32,
    /// Protect the distribution with Shield Advanced (a subscription is needed).
    #[serde(default)]
    pub shield_advanced: bool,
    /// CloudFront's origin-facing prefix list id (`pl-…`) for regions haplat does not know
    /// (`aws ec2 describe-managed-prefix-lists --filters
    /// Name=prefix-list-name,Values=com.amazonaws.global.cloudfront.origin-facing` in the region).
    #[serde(default)]
    pub cloudfront_prefix_lists: BTreeMap<String, String>,
}

fn default_rate_limit() -> u32 {
    2000
}

impl Default for Edge {
    fn default() -> Self {
        Edge { rate_limit: default_rate_limit(), shield_advanced: false, cloudfront_prefix_lists: BTreeMap::new() }
    }
}

/// The data layer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Data {
    /// Add an Aurora global database beside the DynamoDB global table.
    #[serde(default)]
    pub aurora: bool,
    /// With `aurora`: what the secondary regions' clusters do with a write. `read-only`: they
    /// refuse it, the app writes in the primary region; `forward`: Aurora forwards it to the
    /// primary (global write forwarding, no downtime to turn on or off). Default: `read-only`.
    #[serde(default)]
    pub aurora_secondary_writes: SecondaryWrites,
    /// The region AWS Backup copies each region's recovery points to; the next region of the
    /// list when left out.
    #[serde(default)]
    pub backup_copy_region: Option<String>,
}

/// What a secondary region's Aurora cluster does with a write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SecondaryWrites {
    /// Refused: the app writes in the primary region.
    #[default]
    ReadOnly,
    /// Forwarded to the primary (Aurora global write forwarding).
    Forward,
}

/// Operations.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Operations {
    /// Add AWS FIS experiment templates.
    #[serde(default)]
    pub chaos_experiments: bool,
    /// Add the WebSocket API (API Gateway + Lambda).
    #[serde(default)]
    pub websocket: bool,
    /// Add CloudWatch Synthetics canaries in every region: one through the edge to the region's
    /// own origin, a child of the region's health check, and one on the public name, in an SLO
    /// and stopping the region-isolation chaos experiment (added with `chaos_experiments`).
    /// Each runs every minute (Synthetics bills per run).
    #[serde(default)]
    pub canaries: bool,
}

/// The environment's objectives (none by default).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Objectives {
    /// The longest time, in seconds, until traffic leaves a failed region with no one acting.
    #[serde(default)]
    pub app_failover_seconds: Option<u32>,
    /// The most recent writes, in milliseconds, that losing a region may lose (the replicated
    /// data's RPO); the replication-latency alarms fire above it.
    #[serde(default)]
    pub data_loss_ms: Option<u32>,
    /// The longest time, in seconds, that moving the Aurora global database's writer to another
    /// region may take (`haplat db switchover`/`failover` report against it).
    #[serde(default)]
    pub db_failover_seconds: Option<u32>,
    /// The longest time, in seconds, from a region's failure until the other regions serve its
    /// load at the capacity it ran, with no one acting: traffic moved, then their services
    /// scaled out (`haplat check` computes it from the settings, HAP059).
    #[serde(default)]
    pub region_recovery_seconds: Option<u32>,
    /// The availability SLO, in percent of requests answered without a server error over 30
    /// days: the objective of every service's, the entry point's and the real-time tier's SLO.
    /// Default: SLOs at 99.9, no objective declared.
    #[serde(default)]
    pub availability_slo: Option<f64>,
    /// The latency SLO: 99% of requests answered within this many milliseconds (latency SLOs
    /// at it) and each service's p99 alarm at it. Default: none (the p99 alarms at 1000 ms, no
    /// latency SLO).
    #[serde(default)]
    pub latency_p99_ms: Option<u32>,
}

impl Objectives {
    /// The availability SLO's objective: the declared one, or 99.9.
    pub fn availability_percent(&self) -> f64 {
        self.availability_slo.unwrap_or(99.9)
    }
}

/// A progressive rollout: each stack set deployed to `first_region` goes there alone first,
/// and to its other regions only after `bake_minutes` of its alarms staying OK.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rollout {
    /// The region deployed first (one of `regions`).
    pub first_region: String,
    /// The account deployed first, alone, before the others (one of `deployment.accounts`,
    /// when it lists several). Default: by region only.
    #[serde(default)]
    pub first_account: Option<String>,
    /// Minutes its alarms must stay OK, 1 to 720.
    pub bake_minutes: u64,
    /// Stack sets with a policy of their own, by name (`Network`, `Data`, ...): `all_at_once`,
    /// or `{bake_minutes: N}`. Default: none, every stack set as above.
    #[serde(default)]
    pub stacks: BTreeMap<String, StackRollout>,
}

/// A stack set's own rollout policy.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum StackRollout {
    /// Every region and account at once, no bake.
    AllAtOnce,
    /// Its own bake time.
    BakeMinutes(u64),
}

impl Rollout {
    /// The rollout as the app declares it.
    pub fn to_app(&self) -> haplat_core::manifest::Rollout {
        let mut r = haplat_core::manifest::Rollout::new(&self.first_region, self.bake_minutes * 60);
        if let Some(a) = &self.first_account {
            r = r.first_account(a);
        }
        for (stack, policy) in &self.stacks {
            let policy = match policy {
                StackRollout::AllAtOnce => haplat_core::manifest::StackRollout::AllAtOnce,
                StackRollout::BakeMinutes(m) => haplat_core::manifest::StackRollout::BakeSeconds(m * 60),
            };
            r = r.stack(stack, policy);
        }
        r
    }
}

/// Where the environment files live: the directory `HAPLAT_ENVIRONMENTS_DIR` names when it is set
/// (a copy with one account's own values: its hosted zone, its images), else the app's
/// `environments/`.
pub fn environments_dir() -> PathBuf {
    match std::env::var_os("HAPLAT_ENVIRONMENTS_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("environments"),
    }
}

/// Reads `environments/<name>.yaml` and checks it.
pub fn load(name: &str) -> Result<Environment, String> {
    let dir = environments_dir();
    let path = dir.join(format!("{name}.yaml"));
    let text = std::fs::read_to_string(&path).map_err(|e| {
        let known = known_environments(&dir);
        format!("environment {name:?}: cannot read {}: {e} (environments: {})", path.display(), known.join(", "))
    })?;
    parse(&text, &path)
}

/// Parses and checks one environment file's text; `path` names it in errors.
pub fn parse(text: &str, path: &Path) -> Result<Environment, String> {
    let env: Environment = serde_saphyr::from_str(text).map_err(|e| clip_lines(&format!("{}: {e}", path.display())))?;
    let problems = env.check();
    if !problems.is_empty() {
        return Err(clip_lines(&format!("{}:\n  - {}", path.display(), problems.join("\n  - "))));
    }
    Ok(env)
}

/// Every line of an error at most [`MAX_LINE`] characters: a huge value in a file is named,
/// never echoed whole.
fn clip_lines(text: &str) -> String {
    text.lines()
        .map(|l| {
            let n = l.chars().count();
            if n <= MAX_LINE {
                l.to_owned()
            } else {
                format!("{}… ({} more characters)", l.chars().take(MAX_LINE).collect::<String>(), n - MAX_LINE)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The longest line of an error about an environment file.
const MAX_LINE: usize = 500;

fn known_environments(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".yaml")).map(str::to_owned))
        .collect();
    v.sort();
    v
}

impl Environment {
    /// What the types cannot say: every problem, each naming its field.
    pub fn check(&self) -> Vec<String> {
        let mut p = Vec::new();
        for (field, value) in [("name", &self.name), ("product", &self.product)] {
            if haplat_core::validate::check_stack_name(value).is_err() || value.len() > 40 {
                p.push(format!("{field}: {value:?} must be 1 to 40 letters, digits or '-', starting with a letter"));
            }
        }
        if self.regions.is_empty() {
            p.push("regions: at least one region is needed".into());
        }
        p.extend(self.deployment.problems("deployment"));
        if let Some(r) = &self.rollout {
            if !self.regions.iter().any(|g| g.region == r.first_region) {
                let known: Vec<&str> = self.regions.iter().map(|g| g.region.as_str()).collect();
                p.push(format!(
                    "rollout.first_region: {} is not one of regions ({})",
                    r.first_region,
                    known.join(", ")
                ));
            }
            if !(1..=720).contains(&r.bake_minutes) {
                p.push(format!("rollout.bake_minutes: {} is not 1 to 720", r.bake_minutes));
            }
            for (stack, policy) in &r.stacks {
                if let StackRollout::BakeMinutes(m) = policy
                    && !(1..=720).contains(m)
                {
                    p.push(format!("rollout.stacks.{stack}.bake_minutes: {m} is not 1 to 720"));
                }
            }
            if let Some(a) = &r.first_account {
                match &self.deployment {
                    haplat_core::manifest::Deployment::Accounts { accounts } if accounts.contains(a) => {}
                    haplat_core::manifest::Deployment::Accounts { accounts } => p.push(format!(
                        "rollout.first_account: {a} is not one of deployment.accounts ({})",
                        accounts.join(", ")
                    )),
                    _ => p.push(format!(
                        "rollout.first_account: {a} needs deployment.kind: accounts listing it (a first account stages a self-managed stack set's accounts)"
                    )),
                }
            }
        }
        let primaries = self.regions.iter().filter(|r| r.role == RegionRole::Primary).count();
        if !self.regions.is_empty() && primaries != 1 {
            p.push(format!("regions: exactly one region must have role primary ({primaries} do)"));
        }
        for (i, r) in self.regions.iter().enumerate() {
            if let Err(e) = haplat_core::validate::check_region(&r.region) {
                p.push(format!("regions[{i}].region: {e}"));
            }
            if self.regions[..i].iter().any(|o| o.region == r.region) {
                p.push(format!("regions[{i}].region: {} is listed twice", r.region));
            }
        }
        if self.mode == DrMode::ActivePassive && self.regions.len() < 2 {
            p.push("mode: active-passive needs a second region to fail over to".into());
        }
        if !self.data.aurora && self.data.aurora_secondary_writes != SecondaryWrites::ReadOnly {
            p.push("data.aurora_secondary_writes: needs data.aurora: true (there is no Aurora database)".into());
        }
        if self.services.is_empty() {
            p.push("services: at least one service is needed".into());
        }
        for (i, s) in self.services.iter().enumerate() {
            if s.min > s.max {
                p.push(format!("services[{i}] ({}): min {} <= max {} must hold", s.name, s.min, s.max));
            }
            if !s.health_check_path.starts_with('/') {
                p.push(format!("services[{i}].health_check_path: {:?} must start with '/'", s.health_check_path));
            }
            if let Some(path) = s.probe_path.as_ref().filter(|p| !p.starts_with('/')) {
                p.push(format!("services[{i}].probe_path: {path:?} must start with '/'"));
            }
            if let Err(e) = haplat_constructs::image::Image::parse(&s.image) {
                p.push(format!("services[{i}].image: {e}"));
            }
            for c in &s.callers {
                if c == &s.name || !self.services.iter().any(|o| &o.name == c) {
                    p.push(format!("services[{i}].callers: {c:?} is not another service of the environment"));
                }
            }
            if s.timeouts.is_some() && !self.service_connect {
                p.push(format!("services[{i}].timeouts: calls have timeouts only through service_connect"));
            }
            match s.access {
                Access::Public => {}
                _ if i == 0 => p.push(format!(
                    "services[0].access: {} must be public: the first service takes every path the others do not",
                    s.name
                )),
                Access::Internal => {}
                Access::CloudMapOnly => {
                    if !self.service_connect {
                        p.push(format!("services[{i}].access: cloud-map-only needs service_connect: true"));
                    }
                    if !s.path_patterns.is_empty() || s.read_only {
                        p.push(format!(
                            "services[{i}].access: cloud-map-only has no load balancer to route path_patterns or \
                             read_only on"
                        ));
                    }
                }
            }
            if s.access != Access::Public && s.callers.is_empty() {
                p.push(format!("services[{i}].callers: an internal service needs the services that call it"));
            }
            if self.services[..i].iter().any(|o| o.name == s.name) {
                p.push(format!("services[{i}].name: {} is used twice", s.name));
            }
        }
        if !self.domain.hosted_zone_id.starts_with('Z')
            || !self.domain.hosted_zone_id.chars().all(|c| c.is_ascii_alphanumeric())
        {
            p.push(format!("domain.hosted_zone_id: {:?} is not a Route 53 zone id (Z…)", self.domain.hosted_zone_id));
        }
        if self.alarms.emails.iter().any(|e| !e.contains('@')) {
            p.push("alarms.emails: every entry must be an e-mail address".into());
        }
        if !(2..=6).contains(&self.cost.availability_zones) {
            p.push(format!("cost.availability_zones: {} is not between 2 and 6", self.cost.availability_zones));
        }
        if !(100..=2_000_000_000).contains(&self.edge.rate_limit) {
            p.push(format!(
                "edge.rate_limit: {} is not between 100 and 2000000000 (WAF's limits)",
                self.edge.rate_limit
            ));
        }
        if let Some(slo) = self.objectives.availability_slo
            && !(50.0..100.0).contains(&slo)
        {
            p.push(format!("objectives.availability_slo: {slo} must be at least 50 and below 100"));
        }
        if self.objectives.latency_p99_ms == Some(0) {
            p.push("objectives.latency_p99_ms: must be above 0".to_owned());
        }
        if let Some(rt) = &self.realtime {
            if !rt.issuer.starts_with("https://") {
                p.push(format!("realtime.issuer: {:?} must be an https:// URL", rt.issuer));
            }
            if rt.audience.trim().is_empty() {
                p.push("realtime.audience: must not be empty".into());
            }
            if rt.connect_rate == 0 || rt.message_rate == 0 {
                p.push("realtime.connect_rate, message_rate: must be at least 1".into());
            }
            if rt.max_queue_age_seconds < 10 {
                p.push("realtime.max_queue_age_seconds: must be at least 10".into());
            }
            if rt.worker.min > rt.worker.max || rt.worker.max == 0 {
                p.push(format!(
                    "realtime.worker: min {} <= max {} (and max >= 1) must hold",
                    rt.worker.min, rt.worker.max
                ));
            }
            match haplat_constructs::image::Image::parse(&rt.worker.image) {
                Err(e) => p.push(format!("realtime.worker.image: {e}")),
                Ok(haplat_constructs::image::Image::Repository { .. }) => {}
                Ok(_) => p.push(format!(
                    "realtime.worker.image: {:?} must be one of the platform's repositories (<name>@sha256:… or <name>:<tag>)",
                    rt.worker.image
                )),
            }
            if self.operations.websocket {
                p.push(
                    "operations.websocket: the real-time tier replaces the single-function WebSocket API; set one"
                        .into(),
                );
            }
        }
        if self.images.keep_images == 0 {
            p.push("images.keep_images: must be at least 1".into());
        }
        if let Some(r) = &self.data.backup_copy_region
            && !self.regions.iter().any(|x| &x.region == r)
        {
            p.push(format!("data.backup_copy_region: {r} is not one of the platform's regions"));
        }
        p
    }

    /// The JSON Schema of the environment files, pretty-printed (what is committed).
    pub fn json_schema() -> String {
        let schema = schemars::schema_for!(Environment);
        let mut s = serde_json::to_string_pretty(&schema).expect("schema serializes");
        s.push('\n');
        s
    }
}
