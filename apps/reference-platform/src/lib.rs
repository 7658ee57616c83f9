//! The reference platform: the same API in every region of an environment, a DynamoDB global
//! table, CloudFront + WAF with origin failover, Route 53 health-checked records, backups copied
//! across regions, alarms, SLOs, chaos experiments and a WebSocket API — built from a typed
//! environment file (`environments/<name>.yaml`, see [`config`]).
//!
//! The stacks, in the waves their references put them in:
//!
//! 1. `Data` (stack set over every region): a KMS key per region, AWS Backup vaults and plans
//!    with cross-region copies, the ECR repository creation templates (the replicas' key and
//!    settings) and pull-through cache rules; and `Baseline` (stack set) where the environment
//!    asks for the account's security baseline (`security.account_baseline`);
//! 2. `Global` (the primary region): the DynamoDB global table, encrypted with each region's
//!    key, the CloudFront origin secret replicated to every region, and the services' ECR
//!    repositories with the registry's replication to every other region;
//! 3. `Api` (stack set): VPC, ECS Fargate services behind the ALB (calling each other through
//!    ECS Service Connect where the environment says so), autoscaling, blue/green deployments, the Aurora global database where asked, monitoring, SLOs, chaos experiments,
//!    the WebSocket API (dev: one function; staging, prod: the real-time tier);
//! 4. `Realtime` (stack set, staging and prod): the real-time tier's workers, which read every
//!    region's WebSocket API (the API itself, its registry handler, authorizer, queue and
//!    `ws.<domain>` custom domain are in `Api`; the registry in `Global`; docs/realtime.md);
//! 5. `Edge` (us-east-1): CloudFront, WAF, Shield, the Route 53 records and health checks
//!    (`ws.<domain>` too).
//!
//! With `services_per_stack` set in the environment, the services go in groups into stack sets
//! of their own (`ApiServices1` …, with each service's alarms, SLO and X-Ray rules), deployed
//! after `Api`, and the chaos experiments into `ApiChaos` after them.
//!
//! It wires the constructs by hand rather than with `haplat_constructs::composition::Platform`:
//! its stacks interleave what the composition makes in one call (the `Baseline` stack set between
//! `Data` and `Global`, the ECR repositories and the registry table in `Global`, Aurora between the
//! API and its monitoring, the `Realtime` stack set before `Edge`, the ARC routing controls and the
//! platform dashboard in `Edge`), so moving to it would reorder the pinned templates and manifest.
//! The checks across constructs (`haplat_constructs::platform::disagreements`) run over it all the
//! same.
//!
//! ```
//! let env = reference_platform::config::load("prod").unwrap();
//! let assembly = reference_platform::platform(&env).synth().unwrap();
//! assert_eq!(assembly.manifest.waves.len(), 5);
//! assert_eq!(assembly.manifest.stack("shop-prod-Api").unwrap().target.regions(), ["us-east-1", "us-west-2", "eu-west-1"]);
//! ```

pub mod config;

use std::collections::{BTreeMap, BTreeSet};

use haplat_constructs::api::{ApiCertificate, ApiProps, MultiRegionApi};
use haplat_constructs::aurora::{AuroraGlobal, AuroraGlobalProps, PointInTimeRecovery, SecondaryWrites};
use haplat_constructs::backup::{BackupPlan, BackupPlanProps, BackupSelection, CopyTo};
use haplat_constructs::baseline::{AccountBaseline, AccountBaselineProps};
use haplat_constructs::chaos::ChaosProps;
use haplat_constructs::dns::{FailoverDns, FailoverDnsProps};
use haplat_constructs::ecr::{
    ImageLifecycle, ImageRepositories, ImageRepositoriesProps, PullThroughCache, Replication, RepositoryTemplates,
    Upstream,
};
use haplat_constructs::edge::{EdgeDistribution, EdgeDistributionProps, OriginSecret, OriginSecretProps};
use haplat_constructs::fargate::RunAs;
use haplat_constructs::global_table::{GlobalTable, GlobalTableProps, KeyAttr, TableEncryption, TableIndex};
use haplat_constructs::image::Image;
use haplat_constructs::kms::RegionalKeys;
use haplat_constructs::monitoring::{
    AlarmTopic, PlatformDashboard, PlatformDashboardProps, RegionView, RegionalMonitoringProps,
};
use haplat_constructs::network::NatMode;
use haplat_constructs::recovery_control::{RecoveryControl, RecoveryControlProps};
use haplat_constructs::security::{Grantable, SecretRef};
use haplat_constructs::service::ServiceProps;
use haplat_constructs::websocket::{
    LambdaCode, RealtimeApi, RealtimeAuth, RealtimeDomain, RealtimeProps, RealtimeWorkers, RouteThrottle, WebSocketApi,
    WebSocketApiProps, WorkerProps,
};
use haplat_constructs::zone::HostedZone;
use haplat_constructs::{DrMode, RegionRole, RegionSpec};
use haplat_core::App;
use haplat_core::manifest::Objectives;

use config::Environment;

/// CloudFront, its certificate and WAF must be in us-east-1.
const EDGE_REGION: &str = "us-east-1";

/// Why the alarm mail subscriptions are left to the on-call team (HAP023).
const CONFIRM_MAILS: &str = "the on-call team confirms each region's subscription mail within 48 hours of its \
     first deploy (docs/first-deploy.md, section 2)";

/// The platform of one environment. Problems of the environment that only the constructs can
/// see (an invalid Fargate size, say) are synthesis errors naming the construct path.
pub fn platform(env: &Environment) -> App {
    let app = App::new(format!("{}-{}", env.product, env.name));
    app.tag("product", &env.product);
    app.tag("environment", &env.name);
    for (k, v) in &env.tags {
        app.tag(k, v);
    }
    let objectives = &env.objectives;
    app.objectives(Objectives {
        app_failover_seconds: objectives.app_failover_seconds,
        data_loss_ms: objectives.data_loss_ms,
        db_failover_seconds: objectives.db_failover_seconds,
        availability_percent: objectives.availability_slo,
        latency_p99_ms: objectives.latency_p99_ms,
    });
    if let Some(r) = &env.rollout {
        app.rollout(r.to_app());
    }
    let regions: Vec<&str> = env.regions.iter().map(|r| r.region.as_str()).collect();
    let primary = env.regions.iter().find(|r| r.role == RegionRole::Primary).map_or(regions[0], |r| r.region.as_str());
    let zone = HostedZone::existing(env.domain.hosted_zone_id.as_str(), &env.domain.name);

    // 1. A key per region, backups copied to another region.
    let data = app.stack_set("Data", &regions);
    let keys = RegionalKeys::new(&data, "Keys");
    let mut backup = BackupPlanProps::new(
        &format!("{}-{}", env.product, env.name),
        BackupSelection::Tag("backup".into(), "daily".into()),
    );
    backup.copy_to = backup_copies(env);
    BackupPlan::new(&data, "Backup", backup);
    let prefix = format!("{}-{}", env.product, env.name);
    let lifecycle = ImageLifecycle { keep_images: env.images.keep_images, ..ImageLifecycle::default() };
    let repositories: BTreeSet<String> = env
        .services
        .iter()
        .map(|s| s.image.as_str())
        .chain(env.realtime.iter().map(|rt| rt.worker.image.as_str()))
        .filter_map(|image| match Image::parse(image) {
            Ok(Image::Repository { name, .. }) => Some(name),
            _ => None,
        })
        .collect();
    let cache = env.images.pull_through_cache.then(|| {
        PullThroughCache::new(&data, "ImageCache", vec![Upstream::EcrPublic, Upstream::Quay, Upstream::Kubernetes])
    });
    {
        use haplat_constructs::ecr::AppliedFor;
        let mut prefixes = Vec::new();
        if !repositories.is_empty() {
            prefixes.push((format!("{prefix}/"), AppliedFor::Replication));
        }
        for p in cache.iter().flat_map(PullThroughCache::prefixes) {
            prefixes.push((format!("{p}/"), AppliedFor::PullThroughCache));
        }
        if !prefixes.is_empty() {
            RepositoryTemplates::new(&data, "ImageTemplates", &prefixes, keys.key.arn(), &lifecycle);
        }
    }

    // The account's security baseline, beside the data (it refers to nothing of the platform).
    if env.security.account_baseline {
        let baseline = app.stack_set("Baseline", &regions);
        AccountBaseline::new(&baseline, "Account", AccountBaselineProps::new(primary));
    }

    // 2. The global table and the origin secret, in the primary region.
    let global = app.stack("Global", primary);
    let mut table = GlobalTableProps::new(KeyAttr::string("pk"), &regions);
    table.sort_key = Some(KeyAttr::string("sk"));
    table.indexes =
        vec![TableIndex::new("byCustomer", KeyAttr::string("customerId"), Some(KeyAttr::number("createdAt")))];
    table.ttl_attribute = Some("expiresAt".into());
    table.encryption = TableEncryption::CustomerManaged(keys.arns());
    table.tags = vec![("backup".into(), "daily".into())];
    let orders = GlobalTable::new(&global, "Orders", table);
    // The real-time tier's connection registry: who is connected where, cleaned by TTL.
    let registry = env.realtime.as_ref().map(|_| {
        let mut t = GlobalTableProps::new(KeyAttr::string("connectionId"), &regions);
        t.indexes = vec![TableIndex {
            projection: Some(vec!["region".into()]),
            ..TableIndex::new("byUser", KeyAttr::string("userId"), None)
        }];
        t.ttl_attribute = Some("expiresAt".into());
        t.encryption = TableEncryption::CustomerManaged(keys.arns());
        GlobalTable::new(&global, "Connections", t)
    });
    let mut secret = OriginSecretProps::new(&format!("{}/{}/origin-verify", env.product, env.name), &regions);
    secret.keys = keys.arns();
    let secret = OriginSecret::new(&global, "OriginVerify", secret);
    let names: Vec<&str> = repositories.iter().map(String::as_str).collect();
    let others: Vec<&str> = regions.iter().copied().filter(|r| *r != primary).collect();
    let mut images = ImageRepositoriesProps::new(&prefix, &names, &others);
    images.key = Some(keys.arn(primary));
    images.replication = if env.images.own_replication { Replication::Owned } else { Replication::External };
    images.lifecycle = lifecycle;
    let images = (!names.is_empty()).then(|| ImageRepositories::new(&global, "Images", images));

    // 3. The API in every region, answering as origin.<domain> and <region>.origin.<domain>.
    let mut api = ApiProps::new(
        env.regions.clone(),
        &format!("origin.{}", env.domain.name),
        ApiCertificate::DnsValidated {
            zone: HostedZone::existing(env.domain.hosted_zone_id.as_str(), &env.domain.name),
        },
    );
    api.mode = env.mode;
    api.services = env.services.iter().map(|s| service_props(env, s, images.as_ref(), cache.as_ref())).collect();
    api.nat = if env.cost.single_nat_gateway { NatMode::Single } else { NatMode::PerAz };
    api.azs = usize::from(env.cost.availability_zones);
    api.interface_endpoints = env.cost.interface_endpoints;
    api.fronted_by_cloudfront = Some(secret.verify.clone());
    // Route 53 also checks each region through the edge: about 90 s to fail over, not 5 minutes.
    api.edge_probe_domain = Some(env.domain.name.clone());
    api.cloudfront_prefix_lists = env.edge.cloudfront_prefix_lists.clone();
    api.services_per_stack = env.services_per_stack.map(usize::from);
    api.service_connect = env.service_connect;
    api.canaries = env.operations.canaries;
    let api = MultiRegionApi::new_stack_set(&app, "Api", api);
    for service in &api.services {
        orders.grant_read_write(service);
    }
    let mut databases = Vec::new();
    if env.data.aurora {
        let mut db = AuroraGlobalProps::for_api(&api);
        // backup=daily selects the clusters into the plan's continuous-backup rule: AWS Backup
        // manages their point-in-time recovery, so the template leaves the retention out.
        db.tags = vec![("backup".into(), "daily".into())];
        db.point_in_time_recovery = PointInTimeRecovery::AwsBackup;
        db.secondary_writes = match env.data.aurora_secondary_writes {
            config::SecondaryWrites::ReadOnly => SecondaryWrites::ReadOnly,
            config::SecondaryWrites::Forward => SecondaryWrites::Forward,
        };
        let db = AuroraGlobal::new(api.stack(), "Db", db);
        for service in &api.services {
            db.grant_connect(service, "app");
        }
        databases.push(db.metrics());
    }

    // What watches a service lives in the service's stack: the API puts it there.
    let mut monitoring = RegionalMonitoringProps::new(&regions);
    monitoring.alarm_emails = env.alarms.emails.clone();
    monitoring.tables = std::iter::once(orders.metrics()).chain(registry.iter().map(GlobalTable::metrics)).collect();
    monitoring.databases = databases;
    if let Some(ms) = objectives.data_loss_ms {
        monitoring.thresholds.replication_latency_ms = f64::from(ms);
    }
    if let Some(ms) = env.objectives.latency_p99_ms {
        monitoring.thresholds.latency_p99_ms = f64::from(ms);
    }
    let monitoring = api.monitor("Monitoring", monitoring);
    for s in &monitoring.regional.subscriptions {
        api.stack().options(*s).suppress("HAP023", CONFIRM_MAILS);
    }
    api.availability_slos(env.objectives.availability_percent(), &[monitoring.topic_arn()]);
    if let Some(ms) = env.objectives.latency_p99_ms {
        api.latency_slo(99.0, f64::from(ms), &[monitoring.topic_arn()]);
        // And each service's own: a slow service with little traffic is lost in the whole.
        api.service_latency_slos(99.0, f64::from(ms), &[monitoring.topic_arn()]);
    }
    if env.operations.chaos_experiments {
        let mut chaos = ChaosProps::new(vec![]);
        // Isolating a region needs an alarm on what users see to stop it: the public canary's.
        chaos.region_isolation = env.operations.canaries;
        api.chaos("Chaos", &monitoring, chaos);
    }
    if env.operations.websocket {
        let live = WebSocketApi::new(api.stack(), "Live", WebSocketApiProps::new(LambdaCode::inline_echo()));
        live.alarms(api.stack(), "LiveAlarms", &[monitoring.topic_arn()]);
        api.watch_in_region_health("LiveHealth", &live.health_signals());
    }
    let realtime =
        env.realtime.as_ref().zip(registry.as_ref()).map(|(rt, registry)| {
            realtime_tier(&app, env, rt, registry, &api, images.as_ref(), &monitoring.topic_arn())
        });

    // 4. The edge: CloudFront with WAF, and Route 53.
    let edge = app.stack("Edge", EDGE_REGION);
    // The Route 53 health alarms live in us-east-1 and notify a topic there.
    let alarms = AlarmTopic::new(&edge.child("Alarms"), &env.alarms.emails);
    for s in &alarms.subscriptions {
        edge.options(*s).suppress("HAP023", CONFIRM_MAILS);
    }
    // The viewers' names: the domain and www.<domain>, the records below alias them.
    let viewer_names = [env.domain.name.clone(), format!("www.{}", env.domain.name)];
    let names: Vec<&str> = viewer_names.iter().map(String::as_str).collect();
    let mut cdn = EdgeDistributionProps::new(zone.clone(), &names, api.endpoints());
    cdn.mode = env.mode;
    if env.mode == DrMode::ActivePassive {
        // CloudFront fails over only reads: the read-only services' paths go through the origin
        // group; everything else (writes included) through the failover DNS name.
        cdn.read_only_paths = api.read_only_paths();
    }
    cdn.origin_secret = Some(secret);
    cdn.rate_limit = i64::from(env.edge.rate_limit);
    cdn.shield_advanced = env.edge.shield_advanced;
    let cdn = EdgeDistribution::new(&edge, "Cdn", cdn);
    // CloudFront's 5xx rate pages at the services' threshold; WAF blocking a fifth of the
    // requests is worth a look in working hours.
    cdn.alarms(&edge, "EdgeAlarms", &[alarms.arn()], 5.0, 20.0);
    // One dashboard over every region and the edge (CloudWatch dashboards are global).
    if let Some(alb) = &api.public_alb {
        let views = regions
            .iter()
            .map(|r| RegionView { region: (*r).to_owned(), load_balancer: alb.full_name().in_region(*r) })
            .collect();
        let props = PlatformDashboardProps {
            regions: views,
            availability_objective: env.objectives.availability_percent(),
            tables: vec![orders.table_name()],
            distribution_id: Some(cdn.distribution.ref_()),
        };
        PlatformDashboard::new(&edge, "Platform", props);
    }
    let mut dns = FailoverDnsProps::new(zone, api.endpoints());
    dns.mode = env.mode;
    dns.aliased_names = viewer_names.to_vec();
    dns.distribution_domain = Some(cdn.domain_name());
    dns.alarm_actions = vec![alarms.arn()];
    // Route 53 ARC: a routing control per region gates its routed records (docs/operations.md).
    if env.routing.recovery_control {
        let arc = RecoveryControl::new(&edge, "RecoveryControl", RecoveryControlProps::new(&prefix, &regions));
        dns.routing_controls = arc.controls;
    }
    FailoverDns::new(&edge, "Dns", dns);
    // ws.<domain>: latency or failover records over each region's real-time domain, each
    // following its region's worker health.
    if let Some((tier, workers)) = &realtime {
        let mut ws = FailoverDnsProps::new(
            HostedZone::existing(env.domain.hosted_zone_id.as_str(), &env.domain.name),
            tier.endpoints(&workers.health_checks()),
        );
        ws.mode = env.mode;
        ws.origin_label = "ws".into();
        ws.alarm_actions = vec![alarms.arn()];
        let ws = FailoverDns::new(&edge, "RealtimeDns", ws);
        for r in ws.records.iter().filter(|r| edge.read(**r, |r| r.health_check_id.is_some())) {
            edge.options(*r).suppress("HAP058", WORKERS_DETECTION);
        }
    }
    if !env.deployment.is_this_account() {
        for stack in app.stacks() {
            stack.set_deployment(env.deployment.clone());
        }
    }

    app
}

/// Why a region whose real-time workers all stop leaves `ws.<domain>` after about 5 minutes, not 2
/// (HAP058).
const WORKERS_DETECTION: &str = "a worker serves no request a Route 53 checker could make: Container Insights' \
     one-minute RunningTaskCount is the fastest signal that none runs; meanwhile connections stay open, their \
     messages wait in the region's queue, and Realtime/Workers/NotRunning pages (docs/realtime.md)";

/// The real-time tier: the WebSocket API in the API's stack set (registry writes, JWT on
/// `$connect`, throttles, `ws.<domain>` and `<region>.ws.<domain>`, the queue, alarms), the
/// workers in a stack set `Realtime` after it (they read every region's API).
fn realtime_tier(
    app: &App,
    env: &Environment,
    rt: &config::Realtime,
    registry: &GlobalTable,
    api: &MultiRegionApi,
    images: Option<&ImageRepositories>,
    topic: &haplat_core::Value<String>,
) -> (RealtimeApi, RealtimeWorkers) {
    let auth =
        RealtimeAuth::Jwt { issuer: rt.issuer.clone(), audience: rt.audience.clone(), jwks_url: rt.jwks_url.clone() };
    let mut props = RealtimeProps::new(registry, auth, env.regions.clone());
    props.domain = Some(RealtimeDomain {
        name: format!("ws.{}", env.domain.name),
        zone: HostedZone::existing(env.domain.hosted_zone_id.as_str(), &env.domain.name),
    });
    props.stage_throttle = RouteThrottle { rate: f64::from(rt.message_rate), burst: i64::from(rt.message_rate) * 2 };
    props.route_throttles.insert(
        "$connect".into(),
        RouteThrottle { rate: f64::from(rt.connect_rate), burst: i64::from(rt.connect_rate) * 2 },
    );
    let tier = RealtimeApi::new(api.stack(), "Realtime", props);
    let max_age = f64::from(rt.max_queue_age_seconds);
    tier.alarms(api.stack(), "RealtimeAlarms", std::slice::from_ref(topic), f64::from(rt.connect_rate) * 60.0, max_age);
    // The region's health (what Route 53 and the edge follow) covers the real-time tier too.
    api.watch_in_region_health("RealtimeHealth", &tier.health_signals(api.stack(), "RealtimeSignals", max_age));
    tier.availability_slo(
        api.stack(),
        "RealtimeAvailability",
        env.objectives.availability_percent(),
        std::slice::from_ref(topic),
    );

    let names: Vec<String> = env.regions.iter().map(|r| r.region.clone()).collect();
    let stack = app.stack_set("Realtime", &names);
    stack.set_description("the real-time workers: consume each region's queue, reply through @connections");
    let image = match Image::parse(&rt.worker.image) {
        Ok(Image::Repository { name, reference }) => {
            images.and_then(|r| r.image(&name, reference)).unwrap_or_else(|| Image::Uri(rt.worker.image.clone()))
        }
        _ => Image::Uri(rt.worker.image.clone()),
    };
    let standby = |r: &RegionSpec| env.mode == DrMode::ActivePassive && r.role == RegionRole::Secondary;
    let min = stack.region_value(
        "WorkersMinCount",
        env.regions.iter().map(|r| {
            (r.region.clone(), haplat_core::value::Expr::from(if standby(r) { 1 } else { i64::from(rt.worker.min) }))
        }),
    );
    let props = WorkerProps {
        image,
        cpu: rt.worker.cpu,
        memory: rt.worker.memory,
        min: haplat_core::Value::from_expr(min.into_expr()),
        max: rt.worker.max,
        cluster: api.cluster,
        network: &api.network,
        registry,
        run_as: RunAs::default(),
        production: env.production,
        alarm_actions: vec![topic.clone()],
    };
    let workers = RealtimeWorkers::new(&stack, "Workers", &tier, props, max_age);
    (tier, workers)
}

/// A service of the environment: its own image from the platform's repository (pulled in each
/// region from the replica), a public one through the cache when there is one.
fn service_props(
    env: &Environment,
    s: &config::Service,
    images: Option<&ImageRepositories>,
    cache: Option<&PullThroughCache>,
) -> ServiceProps {
    // The environment's check parsed every image: an error here is the check's, left to it.
    let image = match Image::parse(&s.image) {
        Ok(Image::Repository { name, reference }) => {
            images.and_then(|r| r.image(&name, reference)).unwrap_or_else(|| Image::Uri(s.image.clone()))
        }
        Ok(Image::Uri(uri)) => cache.map_or(Image::Uri(uri.clone()), |c| c.image(&uri)),
        _ => Image::Uri(s.image.clone()),
    };
    let own = matches!(image, Image::Repository { .. });
    let mut p = ServiceProps::new(&s.name, image, s.port);
    p.production = env.production;
    p.cpu = s.cpu;
    p.memory = s.memory;
    p.read_only = s.read_only;
    p.min_count = s.min;
    p.max_count = s.max;
    p.standby_count = s.min.min(1);
    p.health_check_path = s.health_check_path.clone();
    p.path_patterns = s.path_patterns.clone();
    p.environment = s.environment.clone();
    p.secrets = s.secrets.iter().map(|(var, name)| (var.clone(), SecretRef::new(name))).collect();
    p.xray = s.xray;
    p.callers = s.callers.clone();
    p.connect_timeouts = s.timeouts.map(|t| haplat_constructs::service::ConnectTimeouts {
        per_request_seconds: t.per_request_seconds,
        idle_seconds: t.idle_seconds,
    });
    if !own {
        p.run_as = RunAs::image_default(PLACEHOLDER_IMAGE_RUNS_AS_ROOT);
    }
    match s.access {
        config::Access::Public => p,
        config::Access::Internal => {
            p.internal = true;
            p
        }
        config::Access::CloudMapOnly => p.cloud_map_only(),
    }
}

/// Why a service on a public image runs as the image's user: the environments' placeholder image.
/// A service's own image (from the platform's repository) runs as user 1000 with a read-only root.
const PLACEHOLDER_IMAGE_RUNS_AS_ROOT: &str = "the environments' placeholder image, NGINX, starts as root to bind port 80 \
     and writes /var/cache/nginx and /var/run; a service's own image runs as its user with RunAs::User";

/// Every region copies its backups to `backup_copy_region`, which copies to the next region of
/// the list; without it, each region copies to the next. A single-region platform has nowhere
/// to copy to.
fn backup_copies(env: &Environment) -> CopyTo {
    let regions: Vec<&String> = env.regions.iter().map(|r| &r.region).collect();
    if regions.len() < 2 {
        return CopyTo::Nowhere;
    }
    let Some(target) = &env.data.backup_copy_region else { return CopyTo::NextRegion };
    let next = |r: &String| {
        let i = regions.iter().position(|x| *x == r).unwrap_or(0);
        regions[(i + 1) % regions.len()].clone()
    };
    let map: BTreeMap<String, String> =
        regions.iter().map(|r| ((*r).clone(), if *r == target { next(r) } else { target.clone() })).collect();
    CopyTo::Regions(map)
}

/// The regions generated platforms use, in order (CloudFront's prefix list is known for the
/// first ten; the benchmark gives placeholders for the others).
const SYNTHETIC_REGIONS: [&str; 16] = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-northeast-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "us-east-2",
    "us-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "ca-central-1",
    "sa-east-1",
    "ap-south-1",
    "ap-northeast-2",
];

/// A generated environment of `regions` regions (1 to 16) and `services` services, for the
/// benchmark: the prod environment's shape, scaled, with the services in stacks of 4 when there
/// are more than 8. Regions whose CloudFront prefix list haplat
/// does not know get a placeholder id (fine for synthesis, not for a deploy). Fails only when
/// `environments/prod.yaml` does not load.
pub fn synthetic_environment(regions: usize, services: usize) -> Result<Environment, String> {
    let mut env = config::load("prod")?;
    env.name = format!("r{regions}s{services}");
    env.mode = if regions > 1 { DrMode::ActiveActive } else { DrMode::ActivePassive };
    env.regions = SYNTHETIC_REGIONS
        .iter()
        .take(regions.clamp(1, SYNTHETIC_REGIONS.len()))
        .enumerate()
        .map(|(i, r)| if i == 0 { RegionSpec::primary(r) } else { RegionSpec::secondary(r) })
        .collect();
    if regions == 1 {
        env.mode = DrMode::ActiveActive;
    }
    env.data.backup_copy_region = None;
    // Routing controls need a second region to move traffic to (the construct refuses one).
    env.routing.recovery_control &= env.regions.len() > 1;
    // The rollout's first region, where the generated regions have it (one region: no rollout).
    env.rollout =
        env.rollout.filter(|r| env.regions.len() > 1 && env.regions.iter().any(|g| g.region == r.first_region));
    // No more zones than the smallest region offers (us-west-1 has 2).
    let fewest = env.regions.iter().map(|r| haplat_constructs::network::usable_azs(&r.region)).min().unwrap_or(3);
    env.cost.availability_zones = env.cost.availability_zones.min(u8::try_from(fewest).unwrap_or(u8::MAX));
    for r in &env.regions {
        if haplat_constructs::load_balancer::cloudfront_prefix_list(&r.region).is_none() {
            env.edge.cloudfront_prefix_lists.insert(r.region.clone(), "pl-00000000".into());
        }
    }
    let template = env.services[0].clone();
    env.services = (0..services)
        .map(|i| config::Service {
            name: format!("svc{i}"),
            port: 8080 + i as u16,
            path_patterns: vec![format!("/svc{i}/*")],
            ..template.clone()
        })
        .collect();
    // About 30 resources a service: past 8, groups of 4 keep every stack far from 500.
    env.services_per_stack = (services > 8).then_some(4);
    Ok(env)
}
