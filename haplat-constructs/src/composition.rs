//! [`Platform`]: a whole multi-region platform from facts stated once — the regions and their
//! roles, the disaster-recovery mode, the hosted zone and the viewers' names, the edge on or off,
//! who hears the alarms, the services, tables, backups and SLOs — made of the same constructs an
//! app can wire by hand, in the stacks of the [crate overview](crate):
//!
//! | stack | where | what [`Platform::new`] puts there |
//! | --- | --- | --- |
//! | `Data` | a stack set over every region | a key per region ([`RegionalKeys`]), the backup plan |
//! | `Global` | the primary region | the global tables (each region's key), the origin secret (edge on); no stack when neither |
//! | `Api` | a stack set over every region | [`MultiRegionApi`] (locked to the origin secret when the edge is on), its monitoring (each region's topic mailing the recipients), SLOs, chaos experiments |
//! | `Edge` | us-east-1 | a topic mailing the recipients, for the CloudFront and Route 53 alarms; CloudFront + WAF ([`EdgeDistribution`], edge on); the Route 53 records ([`FailoverDns`]) |
//!
//! What wiring by hand must repeat is said once here: the regions (the stack sets, the tables'
//! replicas, the secret's replicas, the monitoring), the mode (API, edge, DNS), the zone (the
//! API's certificate, the edge's, the records), the viewer names (the distribution's aliases and
//! the records), the origin secret (the edge sends it, the API requires it). The handles stay
//! open: add constructs to [`Platform::api`]'s stacks, [`Platform::global`] or
//! [`Platform::edge`] after `new`.
//!
//! ```
//! use haplat_constructs::composition::{Platform, PlatformProps, PlatformTable};
//! use haplat_constructs::global_table::KeyAttr;
//! use haplat_constructs::service::ServiceProps;
//! use haplat_constructs::zone::HostedZone;
//! use haplat_constructs::{DrMode, RegionSpec};
//! use haplat_core::App;
//!
//! let app = App::new("shop");
//! let mut props = PlatformProps::new(
//!     vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("eu-west-1")],
//!     HostedZone::existing("Z0123456789ABCDEFGHIJ", "example.com"),
//!     &["shop.example.com"],
//!     &["oncall@example.com"],
//! );
//! props.mode = DrMode::ActivePassive;
//! props.services = vec![ServiceProps::new("Orders", "public.ecr.aws/nginx/nginx:1.27", 8080)];
//! props.tables = vec![PlatformTable::new("Orders", KeyAttr::string("pk")).read_write(&["Orders"])];
//! let platform = Platform::new(&app, props);
//! assert_eq!(platform.routed_regions(), ["us-east-1", "eu-west-1"]);
//! let assembly = app.synth().unwrap();
//! assert_eq!(assembly.manifest.waves.len(), 4);
//! ```
//!
//! ## Stages
//!
//! [`Platform::new`] is the chain of six stages, each making its stack (or its part of one)
//! from the facts and handing everything made so far back, open to more, before the next is
//! made: [`Platform::stages`] (`Data`) → [`DataStage::global`] (`Global`) →
//! [`GlobalStage::api`] (`Api`) → [`ApiStage::monitor`] (its monitoring, SLOs, chaos) →
//! [`MonitoredStage::edge`] (`Edge`: topic, CloudFront, WAF) → [`EdgeStage::dns`] (the records),
//! which returns the [`Platform`]. An app whose stacks interleave with the platform's (a stack
//! set between `Data` and `Global`, repositories in `Global` its services' images come from, a
//! database the monitoring watches, a stack set the edge comes after, routing controls the
//! records use) calls the stages itself and adds its part in between; `apps/reference-platform`
//! is written so. A stage whose construct takes more than the facts say gets a closure that
//! adjusts the props the facts imply: the API's services, endpoints and canaries, databases to
//! monitor, the routing controls of the records. What several constructs must agree on (the
//! regions, the mode, the zone and names, the origin secret, the recipients) stays the facts':
//! an adjustment that changes it is an error at the stage's stack, naming the field.
//!
//! ```
//! use haplat_constructs::baseline::{AccountBaseline, AccountBaselineProps};
//! use haplat_constructs::composition::{Platform, PlatformProps};
//! use haplat_constructs::service::ServiceProps;
//! use haplat_constructs::zone::HostedZone;
//! use haplat_constructs::RegionSpec;
//! use haplat_core::App;
//!
//! let app = App::new("shop");
//! let props = PlatformProps::new(
//!     vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("eu-west-1")],
//!     HostedZone::existing("Z0123456789ABCDEFGHIJ", "example.com"),
//!     &["shop.example.com"],
//!     &["oncall@example.com"],
//! );
//! let data = Platform::stages(&app, props);
//! // A stack set of the app's own, made between `Data` and `Global`.
//! let baseline = app.stack_set("Baseline", &["us-east-1", "eu-west-1"]);
//! AccountBaseline::new(&baseline, "Account", AccountBaselineProps::new("us-east-1"));
//! let global = data.global();
//! let api = global.api(|api| {
//!     api.services = vec![ServiceProps::new("Orders", "public.ecr.aws/nginx/nginx:1.27", 8080)];
//!     api.canaries = true;
//! });
//! let platform = api.monitor(|_| {}).edge(|_| {}).dns(|_| {});
//! assert_eq!(platform.routed_regions(), ["us-east-1", "eu-west-1"]);
//! let assembly = app.synth().unwrap();
//! // The manifest lists the stacks by wave, then name: the baseline deploys beside `Data`.
//! let stacks: Vec<&str> = assembly.manifest.stacks.iter().map(|s| s.name.as_str()).collect();
//! assert_eq!(stacks, ["shop-Baseline", "shop-Data", "shop-Global", "shop-Api", "shop-Edge"]);
//! ```

use haplat_core::value::Value;
use haplat_core::{App, Stack};

use crate::api::{ApiCertificate, ApiMonitoring, ApiProps, MultiRegionApi};
use crate::backup::{BackupPlan, BackupPlanProps};
use crate::chaos::{ChaosExperiments, ChaosProps};
use crate::dns::{FailoverDns, FailoverDnsProps};
use crate::edge::{EdgeAlarms, EdgeDistribution, EdgeDistributionProps, OriginSecret, OriginSecretProps};
use crate::global_table::{GlobalTable, GlobalTableProps, KeyAttr, TableEncryption};
use crate::kms::RegionalKeys;
use crate::monitoring::{AlarmTopic, RegionalMonitoringProps, Thresholds};
use crate::network::NatMode;
use crate::platform::{DrMode, RegionRole, RegionSpec};
use crate::security::Grantable;
use crate::service::ServiceProps;
use crate::slo::Slo;
use crate::zone::HostedZone;

/// Where CloudFront, its certificate and WAF, and Route 53's health-check metrics live.
const EDGE_REGION: &str = "us-east-1";

/// A DynamoDB global table of a [`Platform`]: replicated to every region of the platform and
/// encrypted with each region's key of the `Data` stack, whatever `props` say of those two.
#[derive(Clone, Debug, PartialEq)]
pub struct PlatformTable {
    /// The construct id in the `Global` stack (`Orders`).
    pub id: String,
    /// The table's keys, indexes, TTL, tags …; `regions` and `encryption` are the platform's.
    pub props: GlobalTableProps,
    /// The services (by name) granted read and write. Default: none.
    pub read_write: Vec<String>,
}

impl PlatformTable {
    /// A table `id` with this partition key, granted to no service yet.
    pub fn new(id: &str, partition_key: KeyAttr) -> Self {
        PlatformTable {
            id: id.to_owned(),
            props: GlobalTableProps::new(partition_key, &[] as &[&str]),
            read_write: Vec::new(),
        }
    }

    /// Granting read and write to these services.
    #[must_use]
    pub fn read_write(mut self, services: &[&str]) -> Self {
        self.read_write = services.iter().map(|s| (*s).to_owned()).collect();
        self
    }
}

/// What a [`Platform`] is made of: each fact once.
#[derive(Clone, Debug, PartialEq)]
pub struct PlatformProps {
    /// The regions, exactly one primary (the home of the `Global` stack).
    pub regions: Vec<RegionSpec>,
    /// How the regions share traffic, for the API, the edge and the DNS alike. Default:
    /// [`DrMode::ActiveActive`].
    pub mode: DrMode,
    /// The hosted zone (an existing, shared one is fine: only the names below and the origin
    /// names are written to it).
    pub zone: HostedZone,
    /// The names viewers use, served by the distribution and aliased to it. haplat takes none by
    /// itself, not the zone's apex nor `www`: a shared zone keeps its other names. Required with
    /// the edge on; none with it off.
    pub viewer_names: Vec<String>,
    /// The label of the origin name under the zone: the API answers as `<label>.<zone>` and
    /// `<region>.<label>.<zone>`. Default: `origin`.
    pub origin_label: String,
    /// CloudFront with WAF in front of the API; the origin secret is then made, replicated to
    /// every region, sent by the edge and required by the API. Off: the API answers on the origin
    /// name itself, routed by Route 53. Default: `true`.
    pub edge: bool,
    /// The name of the origin secret. Default: `None`, `<app name>/origin-verify`.
    pub origin_secret_name: Option<String>,
    /// Who hears the alarms: each region's topic and the edge's us-east-1 topic (for the
    /// CloudFront and Route 53 alarms) mail these addresses. At least one.
    pub alarm_emails: Vec<String>,
    /// Why the mail subscriptions pass `haplat check` (HAP023: a subscription waits for its
    /// confirmation), recorded on each. Default: `None`, HAP023 reports them.
    pub confirm_mails: Option<String>,
    /// The services. At least one, here or set by the adjustment of [`GlobalStage::api`] (when
    /// their images come from repositories the app adds to an earlier stage's stacks).
    pub services: Vec<ServiceProps>,
    /// The global tables, in the `Global` stack. Default: none.
    pub tables: Vec<PlatformTable>,
    /// The backup plan in every region (`Data`). Default: `None`, no backups.
    pub backup: Option<BackupPlanProps>,
    /// The availability SLO, percent, per service and of the public load balancer
    /// ([`MultiRegionApi::availability_slos`]), alarming to the region's topic. Default: 99.9.
    pub availability_slo: Option<f64>,
    /// Chaos experiments ([`MultiRegionApi::chaos`]). Default: `None`.
    pub chaos: Option<ChaosProps>,
    /// The alarms' thresholds. Default: [`Thresholds::default`].
    pub thresholds: Thresholds,
    /// NAT per zone or one shared. Default: [`NatMode::PerAz`].
    pub nat: NatMode,
    /// Availability zones per region. Default: 3.
    pub azs: usize,
    /// Services call each other through ECS Service Connect ([`ApiProps::service_connect`]).
    /// Default: `false`.
    pub service_connect: bool,
    /// Requests per IP per 5 minutes over which WAF blocks. Default: 2000.
    pub rate_limit: i64,
    /// Shield Advanced on the distribution (needs a subscription). Default: `false`.
    pub shield_advanced: bool,
    /// The percentage of the edge's responses that are 5xx over which it pages. Default: 5.
    pub edge_error_rate_percent: f64,
    /// The percentage of requests WAF blocks over which it warns. Default: 20.
    pub edge_blocked_percent: f64,
}

impl PlatformProps {
    /// A platform over `regions` in `zone`, viewers at `viewer_names`, alarms mailed to
    /// `alarm_emails`: active-active, the edge on, no services or tables yet, a 99.9 %
    /// availability SLO, no backups.
    pub fn new<S: AsRef<str>, E: AsRef<str>>(
        regions: Vec<RegionSpec>,
        zone: HostedZone,
        viewer_names: &[S],
        alarm_emails: &[E],
    ) -> Self {
        PlatformProps {
            regions,
            mode: DrMode::ActiveActive,
            zone,
            viewer_names: viewer_names.iter().map(|n| n.as_ref().to_owned()).collect(),
            origin_label: "origin".to_owned(),
            edge: true,
            origin_secret_name: None,
            alarm_emails: alarm_emails.iter().map(|e| e.as_ref().to_owned()).collect(),
            confirm_mails: None,
            services: Vec::new(),
            tables: Vec::new(),
            backup: None,
            availability_slo: Some(99.9),
            chaos: None,
            thresholds: Thresholds::default(),
            nat: NatMode::PerAz,
            azs: 3,
            service_connect: false,
            rate_limit: 2000,
            shield_advanced: false,
            edge_error_rate_percent: 5.0,
            edge_blocked_percent: 20.0,
        }
    }
}

/// The platform's stacks and constructs (see the [module](self) docs), open to more.
#[derive(Clone)]
pub struct Platform {
    /// The `Data` stack set.
    pub data: Stack,
    /// A key per region.
    pub keys: RegionalKeys,
    /// The backup plan, when asked for.
    pub backup: Option<BackupPlan>,
    /// The `Global` stack in the primary region: made when the platform puts something there (a
    /// table, the origin secret) or the app asks for it ([`GlobalStage::global_stack`]).
    pub global: Option<Stack>,
    /// The global tables, in the order given.
    pub tables: Vec<GlobalTable>,
    /// The origin secret, with the edge on.
    pub origin_secret: Option<OriginSecret>,
    /// The regional API (the `Api` stack set and its service stacks).
    pub api: MultiRegionApi,
    /// Its monitoring: each region's topic and alarms.
    pub monitoring: ApiMonitoring,
    /// The availability SLOs.
    pub slos: Vec<Slo>,
    /// The chaos experiments, when asked for.
    pub chaos: Option<ChaosExperiments>,
    /// The `Edge` stack, in us-east-1.
    pub edge: Stack,
    /// The us-east-1 topic of the CloudFront and Route 53 alarms.
    pub edge_topic: AlarmTopic,
    /// CloudFront and WAF, with the edge on.
    pub distribution: Option<EdgeDistribution>,
    /// The edge's alarms, with the edge on.
    pub edge_alarms: Option<EdgeAlarms>,
    /// The Route 53 records and health checks.
    pub dns: FailoverDns,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform").field("api", &self.api).field("dns", &self.dns.origin_name).finish()
    }
}

impl Platform {
    /// The platform in `app`: the stacks `Data`, `Global`, `Api` (with its service stacks) and
    /// `Edge`, in that order. Misuse is reported as construct errors naming the path (the
    /// composition's own at the stack it concerns); synthesis fails with all of them.
    ///
    /// Exactly the chain of the [stages](Platform::stages), adjusting nothing.
    pub fn new(app: &App, props: PlatformProps) -> Platform {
        Platform::stages(app, props).global().api(|_| {}).monitor(|_| {}).edge(|_| {}).dns(|_| {})
    }

    /// The first stage of the platform in `app`: the `Data` stack set, its keys and backup plan.
    /// Each stage makes its stack (or its part of one) from the facts and hands it back, open for
    /// the app to add to before the next is made; [`Platform::new`] is the chain
    /// `stages(…).global().api(…).monitor(…).edge(…).dns(…)`. A stage that makes a construct
    /// whose props say more than the facts ([`GlobalStage::api`], [`ApiStage::monitor`],
    /// [`MonitoredStage::edge`], [`EdgeStage::dns`]) lets the app adjust the props the facts
    /// imply. What several constructs must agree on (regions, mode, zone, names, origin secret,
    /// recipients) stays the facts': an adjustment that changes it is an error at the stage's
    /// stack, naming the field.
    pub fn stages(app: &App, props: PlatformProps) -> DataStage {
        let regions: Vec<String> = props.regions.iter().map(|r| r.region.clone()).collect();
        let primary = props
            .regions
            .iter()
            .find(|r| r.role == RegionRole::Primary)
            .or(props.regions.first())
            .map_or(EDGE_REGION.to_owned(), |r| r.region.clone());
        let data = app.stack_set("Data", &regions);
        let keys = RegionalKeys::new(&data, "Keys");
        let backup = props.backup.clone().map(|b| BackupPlan::new(&data, "Backup", b));
        DataStage { facts: Facts { app: app.clone(), props, regions, primary }, data, keys, backup }
    }

    /// A table by its id.
    pub fn table(&self, id: &str) -> Option<&GlobalTable> {
        table(&self.tables, id)
    }

    /// The ARN of each region's alarm topic (a value of the `Api` stack set's own region), for
    /// alarms added to the API's stacks.
    pub fn alarm_topic(&self) -> Value<String> {
        self.monitoring.topic_arn()
    }

    /// The regions the DNS routes the origin name to, in the order given: every region of the
    /// platform (active-passive fails over to its standbys through a latency set).
    pub fn routed_regions(&self) -> Vec<String> {
        let regions = self.api.regions().iter().map(|r| r.region.clone());
        regions.filter(|r| self.dns.health_checks.contains_key(r)).collect()
    }
}

/// What every stage reads: the app and the facts, with the region names and the primary region
/// worked out once.
struct Facts {
    app: App,
    props: PlatformProps,
    /// Every region's name, in the order given.
    regions: Vec<String>,
    /// The home of the `Global` stack.
    primary: String,
}

impl Facts {
    /// Reports at `stack` each field of `construct`'s props that a stage's adjustment changed
    /// though a fact owns it: what several constructs must agree on (regions, mode, zone, names,
    /// origin secret, recipients) is stated once, in [`PlatformProps`]. The props of the one
    /// construct alone (the API's services, NAT and endpoints, the edge's rate limit …) start
    /// from the facts and are the adjustment's to change.
    fn keep(stack: &Stack, construct: &str, changed: &[(&str, bool)]) {
        for (field, _) in changed.iter().filter(|(_, changed)| *changed) {
            stack.error(format!(
                "{construct}::{field} was adjusted away from the platform's facts: it is what several constructs \
                 agree on, state it in PlatformProps instead"
            ));
        }
    }
}

/// A table of `tables` by its id.
fn table<'a>(tables: &'a [GlobalTable], id: &str) -> Option<&'a GlobalTable> {
    tables.iter().find(|t| t.path.rsplit('/').next() == Some(id))
}

/// The platform after its first stage ([`Platform::stages`]): the `Data` stack set, open to
/// more (the app's own regional data, made before `Global`, or stacks of its own in between).
pub struct DataStage {
    facts: Facts,
    /// The `Data` stack set.
    pub data: Stack,
    /// A key per region.
    pub keys: RegionalKeys,
    /// The backup plan, when asked for.
    pub backup: Option<BackupPlan>,
}

impl DataStage {
    /// The next stage: the `Global` stack in the primary region, with the tables (replicated to
    /// every region, each region's key) and the origin secret (edge on).
    pub fn global(self) -> GlobalStage {
        let DataStage { facts, data, keys, backup } = self;
        let (app, props) = (&facts.app, &facts.props);
        // CloudFormation refuses a stack without resources: no table and the edge off, no stack.
        let global = (!props.tables.is_empty() || props.edge).then(|| app.stack("Global", &facts.primary));
        let tables: Vec<GlobalTable> = global
            .iter()
            .flat_map(|g| {
                props.tables.iter().map(|t| {
                    let table = GlobalTableProps {
                        regions: facts.regions.clone(),
                        encryption: TableEncryption::CustomerManaged(keys.arns()),
                        ..t.props.clone()
                    };
                    GlobalTable::new(g, &t.id, table)
                })
            })
            .collect();
        let origin_secret = global.as_ref().filter(|_| props.edge).map(|g| {
            let name = props.origin_secret_name.clone().unwrap_or_else(|| format!("{}/origin-verify", app.name()));
            let mut secret = OriginSecretProps::new(&name, &facts.regions);
            secret.keys = keys.arns();
            OriginSecret::new(g, "OriginVerify", secret)
        });
        GlobalStage { facts, data, keys, backup, global, tables, origin_secret }
    }
}

/// The platform after [`DataStage::global`]: the `Global` stack, open to more.
pub struct GlobalStage {
    facts: Facts,
    /// The `Data` stack set.
    pub data: Stack,
    /// A key per region.
    pub keys: RegionalKeys,
    /// The backup plan, when asked for.
    pub backup: Option<BackupPlan>,
    /// The `Global` stack in the primary region: made when the platform puts something there (a
    /// table, the origin secret) or the app asks for it ([`GlobalStage::global_stack`]).
    pub global: Option<Stack>,
    /// The global tables, in the order given.
    pub tables: Vec<GlobalTable>,
    /// The origin secret, with the edge on.
    pub origin_secret: Option<OriginSecret>,
}

impl GlobalStage {
    /// The `Global` stack, made now if the platform had nothing to put there (no table, the edge
    /// off): for what the app keeps in the primary region.
    pub fn global_stack(&mut self) -> Stack {
        let (app, primary) = (&self.facts.app, &self.facts.primary);
        self.global.get_or_insert_with(|| app.stack("Global", primary)).clone()
    }

    /// A table by its id.
    pub fn table(&self, id: &str) -> Option<&GlobalTable> {
        table(&self.tables, id)
    }

    /// The next stage: the API in every region (the `Api` stack set and its service stacks),
    /// locked to the origin secret with the edge on, the tables granted to their services.
    /// `adjust` gets the props the facts imply (regions, mode, the origin name and its
    /// certificate, the secret and the edge's probe name, which stay the facts'; the services,
    /// NAT, zones and Service Connect of [`PlatformProps`], which are its to change) and sets
    /// what the facts do not say.
    pub fn api(self, adjust: impl FnOnce(&mut ApiProps)) -> ApiStage {
        let GlobalStage { facts, data, keys, backup, global, tables, origin_secret } = self;
        let props = &facts.props;
        let implied = api_props(props, origin_secret.as_ref());
        let mut adjusted = implied.clone();
        adjust(&mut adjusted);
        let api = MultiRegionApi::new_stack_set(&facts.app, "Api", adjusted.clone());
        Facts::keep(
            api.stack(),
            "ApiProps",
            &[
                ("regions", adjusted.regions != implied.regions),
                ("mode", adjusted.mode != implied.mode),
                ("domain_name", adjusted.domain_name != implied.domain_name),
                ("certificate", adjusted.certificate != implied.certificate),
                ("fronted_by_cloudfront", adjusted.fronted_by_cloudfront != implied.fronted_by_cloudfront),
                ("edge_probe_domain", adjusted.edge_probe_domain != implied.edge_probe_domain),
            ],
        );
        for (spec, table) in props.tables.iter().zip(&tables) {
            for name in &spec.read_write {
                match api.service(name) {
                    Some(service) => table.grant_read_write(service),
                    None => {
                        let message = format!(
                            "table {} is granted to the service {name}, which the platform does not have",
                            spec.id
                        );
                        // A table means a Global stack.
                        if let Some(g) = &global {
                            g.error(message);
                        }
                    }
                }
            }
        }
        ApiStage { facts, data, keys, backup, global, tables, origin_secret, api }
    }
}

/// The platform after [`GlobalStage::api`]: the API, open to more (constructs in its stacks
/// whose metrics the monitoring should watch, a database say).
pub struct ApiStage {
    facts: Facts,
    /// The `Data` stack set.
    pub data: Stack,
    /// A key per region.
    pub keys: RegionalKeys,
    /// The backup plan, when asked for.
    pub backup: Option<BackupPlan>,
    /// The `Global` stack in the primary region: made when the platform puts something there (a
    /// table, the origin secret) or the app asks for it ([`GlobalStage::global_stack`]).
    pub global: Option<Stack>,
    /// The global tables, in the order given.
    pub tables: Vec<GlobalTable>,
    /// The origin secret, with the edge on.
    pub origin_secret: Option<OriginSecret>,
    /// The regional API (the `Api` stack set and its service stacks).
    pub api: MultiRegionApi,
}

impl ApiStage {
    /// The next stage: the API's monitoring (each region's topic mailing the recipients, the
    /// tables watched), the availability SLOs and the chaos experiments. `adjust` gets the
    /// monitoring props the facts imply (the regions and recipients stay the facts'; the tables
    /// and thresholds start from them) and adds what the facts do not say: databases, more
    /// tables or load balancers.
    pub fn monitor(self, adjust: impl FnOnce(&mut RegionalMonitoringProps)) -> MonitoredStage {
        let ApiStage { facts, data, keys, backup, global, tables, origin_secret, api } = self;
        let props = &facts.props;
        let mut implied = RegionalMonitoringProps::new(&facts.regions);
        implied.alarm_emails = props.alarm_emails.clone();
        implied.tables = tables.iter().map(GlobalTable::metrics).collect();
        implied.thresholds = props.thresholds.clone();
        let mut adjusted = implied.clone();
        adjust(&mut adjusted);
        Facts::keep(
            api.stack(),
            "RegionalMonitoringProps",
            &[
                ("platform_regions", adjusted.platform_regions != implied.platform_regions),
                ("alarm_emails", adjusted.alarm_emails != implied.alarm_emails),
            ],
        );
        let monitoring = api.monitor("Monitoring", adjusted);
        if let Some(why) = &props.confirm_mails {
            for s in &monitoring.regional.subscriptions {
                api.stack().options(*s).suppress("HAP023", why);
            }
        }
        let topic = monitoring.topic_arn();
        let slos = props.availability_slo.map(|o| api.availability_slos(o, std::slice::from_ref(&topic)));
        let chaos = props.chaos.clone().map(|c| api.chaos("Chaos", &monitoring, c));
        MonitoredStage {
            facts,
            data,
            keys,
            backup,
            global,
            tables,
            origin_secret,
            api,
            monitoring,
            slos: slos.unwrap_or_default(),
            chaos,
        }
    }
}

/// The platform after [`ApiStage::monitor`]: every regional part made, open to more (SLOs,
/// alarms to [`MonitoredStage::alarm_topic`], stack sets of the app's own that the edge comes
/// after).
pub struct MonitoredStage {
    facts: Facts,
    /// The `Data` stack set.
    pub data: Stack,
    /// A key per region.
    pub keys: RegionalKeys,
    /// The backup plan, when asked for.
    pub backup: Option<BackupPlan>,
    /// The `Global` stack in the primary region: made when the platform puts something there (a
    /// table, the origin secret) or the app asks for it ([`GlobalStage::global_stack`]).
    pub global: Option<Stack>,
    /// The global tables, in the order given.
    pub tables: Vec<GlobalTable>,
    /// The origin secret, with the edge on.
    pub origin_secret: Option<OriginSecret>,
    /// The regional API (the `Api` stack set and its service stacks).
    pub api: MultiRegionApi,
    /// Its monitoring: each region's topic and alarms.
    pub monitoring: ApiMonitoring,
    /// The availability SLOs.
    pub slos: Vec<Slo>,
    /// The chaos experiments, when asked for.
    pub chaos: Option<ChaosExperiments>,
}

impl MonitoredStage {
    /// The ARN of each region's alarm topic (a value of the `Api` stack set's own region), for
    /// alarms added to the API's stacks.
    pub fn alarm_topic(&self) -> Value<String> {
        self.monitoring.topic_arn()
    }

    /// The next stage: the `Edge` stack in us-east-1, its topic mailing the recipients (for the
    /// CloudFront and Route 53 alarms), and with the edge on CloudFront with WAF and its alarms.
    /// `adjust` (called with the edge on) gets the distribution's props the facts imply (zone,
    /// viewer names, mode, origin label and secret stay the facts'; the rate limit and Shield
    /// start from them) and sets what the facts do not say.
    pub fn edge(self, adjust: impl FnOnce(&mut EdgeDistributionProps)) -> EdgeStage {
        let MonitoredStage { facts, data, keys, backup, global, tables, origin_secret, api, monitoring, slos, chaos } =
            self;
        let props = &facts.props;
        let edge = facts.app.stack("Edge", EDGE_REGION);
        check(&edge, props);
        let edge_topic = AlarmTopic::new(&edge.child("Alarms"), &props.alarm_emails);
        if let Some(why) = &props.confirm_mails {
            for s in &edge_topic.subscriptions {
                edge.options(*s).suppress("HAP023", why);
            }
        }
        let distribution = origin_secret.clone().map(|secret| {
            let names: Vec<&str> = props.viewer_names.iter().map(String::as_str).collect();
            let mut implied = EdgeDistributionProps::new(props.zone.clone(), &names, api.endpoints());
            implied.mode = props.mode;
            implied.origin_label = props.origin_label.clone();
            if props.mode == DrMode::ActivePassive {
                implied.read_only_paths = api.read_only_paths();
            }
            implied.origin_secret = Some(secret);
            implied.rate_limit = props.rate_limit;
            implied.shield_advanced = props.shield_advanced;
            let mut adjusted = implied.clone();
            adjust(&mut adjusted);
            let verify = |p: &EdgeDistributionProps| p.origin_secret.as_ref().map(|s| s.verify.clone());
            Facts::keep(
                &edge,
                "EdgeDistributionProps",
                &[
                    ("zone", adjusted.zone != implied.zone),
                    ("domain_names", adjusted.domain_names != implied.domain_names),
                    ("mode", adjusted.mode != implied.mode),
                    ("origin_label", adjusted.origin_label != implied.origin_label),
                    ("origin_secret", verify(&adjusted) != verify(&implied)),
                ],
            );
            EdgeDistribution::new(&edge, "Cdn", adjusted)
        });
        let edge_alarms = distribution.as_ref().map(|cdn| {
            let actions = [edge_topic.arn()];
            cdn.alarms(&edge, "EdgeAlarms", &actions, props.edge_error_rate_percent, props.edge_blocked_percent)
        });
        EdgeStage {
            facts,
            data,
            keys,
            backup,
            global,
            tables,
            origin_secret,
            api,
            monitoring,
            slos,
            chaos,
            edge,
            edge_topic,
            distribution,
            edge_alarms,
        }
    }
}

/// The platform after [`MonitoredStage::edge`]: the `Edge` stack, open to more (what the
/// records need, routing controls say, or a dashboard of the distribution).
pub struct EdgeStage {
    facts: Facts,
    /// The `Data` stack set.
    pub data: Stack,
    /// A key per region.
    pub keys: RegionalKeys,
    /// The backup plan, when asked for.
    pub backup: Option<BackupPlan>,
    /// The `Global` stack in the primary region: made when the platform puts something there (a
    /// table, the origin secret) or the app asks for it ([`GlobalStage::global_stack`]).
    pub global: Option<Stack>,
    /// The global tables, in the order given.
    pub tables: Vec<GlobalTable>,
    /// The origin secret, with the edge on.
    pub origin_secret: Option<OriginSecret>,
    /// The regional API (the `Api` stack set and its service stacks).
    pub api: MultiRegionApi,
    /// Its monitoring: each region's topic and alarms.
    pub monitoring: ApiMonitoring,
    /// The availability SLOs.
    pub slos: Vec<Slo>,
    /// The chaos experiments, when asked for.
    pub chaos: Option<ChaosExperiments>,
    /// The `Edge` stack, in us-east-1.
    pub edge: Stack,
    /// The us-east-1 topic of the CloudFront and Route 53 alarms.
    pub edge_topic: AlarmTopic,
    /// CloudFront and WAF, with the edge on.
    pub distribution: Option<EdgeDistribution>,
    /// The edge's alarms, with the edge on.
    pub edge_alarms: Option<EdgeAlarms>,
}

impl EdgeStage {
    /// The last stage: the Route 53 records and health checks of the origin name (and the
    /// viewer names aliased to the distribution, edge on), alarming to the edge's topic.
    /// `adjust` gets the props the facts imply (zone, mode, origin label and aliased names stay
    /// the facts') and sets what the facts do not say (routing controls, more alarm actions).
    pub fn dns(self, adjust: impl FnOnce(&mut FailoverDnsProps)) -> Platform {
        let EdgeStage {
            facts,
            data,
            keys,
            backup,
            global,
            tables,
            origin_secret,
            api,
            monitoring,
            slos,
            chaos,
            edge,
            edge_topic,
            distribution,
            edge_alarms,
        } = self;
        let props = &facts.props;
        let mut implied = FailoverDnsProps::new(props.zone.clone(), api.endpoints());
        implied.mode = props.mode;
        implied.origin_label = props.origin_label.clone();
        if let Some(cdn) = &distribution {
            implied.aliased_names = props.viewer_names.clone();
            implied.distribution_domain = Some(cdn.domain_name());
        }
        implied.alarm_actions = vec![edge_topic.arn()];
        let mut adjusted = implied.clone();
        adjust(&mut adjusted);
        Facts::keep(
            &edge,
            "FailoverDnsProps",
            &[
                ("zone", adjusted.zone != implied.zone),
                ("mode", adjusted.mode != implied.mode),
                ("origin_label", adjusted.origin_label != implied.origin_label),
                ("aliased_names", adjusted.aliased_names != implied.aliased_names),
                ("distribution_domain", adjusted.distribution_domain != implied.distribution_domain),
            ],
        );
        let dns = FailoverDns::new(&edge, "Dns", adjusted);
        Platform {
            data,
            keys,
            backup,
            global,
            tables,
            origin_secret,
            api,
            monitoring,
            slos,
            chaos,
            edge,
            edge_topic,
            distribution,
            edge_alarms,
            dns,
        }
    }
}

/// The API's props: the platform's regions, mode and services, the origin name in the zone,
/// locked to `secret` and probed through the first viewer name when the edge is on.
fn api_props(props: &PlatformProps, secret: Option<&OriginSecret>) -> ApiProps {
    let domain = format!("{}.{}", props.origin_label, props.zone.name);
    let mut api =
        ApiProps::new(props.regions.clone(), &domain, ApiCertificate::DnsValidated { zone: props.zone.clone() });
    api.mode = props.mode;
    api.services = props.services.clone();
    api.nat = props.nat;
    api.azs = props.azs;
    api.service_connect = props.service_connect;
    api.fronted_by_cloudfront = secret.map(|s| s.verify.clone());
    // Route 53 also checks each region through the edge's probe route (docs/availability.md).
    api.edge_probe_domain = secret.and(props.viewer_names.first().cloned());
    api
}

/// Reports at `edge` what the composition itself can see is wrong with `props`.
fn check(edge: &Stack, props: &PlatformProps) {
    if props.edge && props.viewer_names.is_empty() {
        edge.error(
            "the edge is on but PlatformProps::viewer_names is empty: state the names viewers use (haplat takes none \
             by itself, not the zone's apex nor www)",
        );
    }
    if !props.edge && !props.viewer_names.is_empty() {
        edge.error(format!(
            "viewer names {} are given but the edge is off: without CloudFront the API answers on {}.{} only; turn \
             the edge on, or leave the viewer names out",
            props.viewer_names.join(", "),
            props.origin_label,
            props.zone.name
        ));
    }
    if props.alarm_emails.is_empty() {
        edge.error("PlatformProps::alarm_emails is empty: the alarms would tell nobody; give at least one address");
    }
}
