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
//! It is written with the composition's stages ([`Platform::stages`]):
//! the facts (regions, mode, zone, viewer names, recipients, tables, backups, SLOs, chaos) are
//! stated once, and each stage's stacks take what the composition does not make before the next
//! stage is made: the ECR repository templates and pull-through cache in `Data`, then the
//! `Baseline` stack set, the ECR repositories in `Global` (the services' images come from them,
//! set as the API stage's services), Aurora in `Api` before the monitoring watches it, the latency
//! SLOs, the WebSocket API and the `Realtime` stack set before `Edge`, the platform dashboard and
//! the ARC routing controls in `Edge` before its records, and the `ws.<domain>` records after
//! them. The checks across constructs (`haplat_constructs::platform::disagreements`) run over it
//! all the same.
//!
//! ```
//! let env = reference_platform::config::load("prod").unwrap();
//! let assembly = reference_platform::platform(&env).synth().unwrap();
//! assert_eq!(assembly.manifest.waves.len(), 5);
//! assert_eq!(assembly.manifest.stack("shop-prod-Api").unwrap().target.regions(), ["us-east-1", "us-west-2", "eu-west-1"]);
//! ```

pub mod config;

use std::collections::{BTreeMap, BTreeSet};

use haplat_constructs::api::MultiRegionApi;
use haplat_constructs::aurora::{AuroraGlobal, AuroraGlobalProps, PointInTimeRecovery, SecondaryWrites};
use haplat_constructs::backup::{BackupPlanProps, BackupSelection, CopyTo};
use haplat_constructs::baseline::{AccountBaseline, AccountBaselineProps};
use haplat_constructs::chaos::ChaosProps;
use haplat_constructs::composition::{Platform, PlatformProps, PlatformTable};
use haplat_constructs::dns::{FailoverDns, FailoverDnsProps};
use haplat_constructs::ecr::{
    AppliedFor, ImageLifecycle, ImageRepositories, ImageRepositoriesProps, PullThroughCache, Replication,
    RepositoryTemplates, Upstream,
};
use haplat_constructs::fargate::RunAs;
use haplat_constructs::global_table::{GlobalTable, KeyAttr, TableIndex};
use haplat_constructs::image::Image;
use haplat_constructs::monitoring::{PlatformDashboard, PlatformDashboardProps, RegionView};
use haplat_constructs::network::NatMode;
use haplat_constructs::recovery_control::{RecoveryControl, RecoveryControlProps};
use haplat_constructs::security::SecretRef;
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
        region_recovery_seconds: objectives.region_recovery_seconds,
        availability_percent: objectives.availability_slo,
        latency_p99_ms: objectives.latency_p99_ms,
    });
    if let Some(r) = &env.rollout {
        app.rollout(r.to_app());
    }
    let regions: Vec<&str> = env.regions.iter().map(|r| r.region.as_str()).collect();
    let primary = env.regions.iter().find(|r| r.role == RegionRole::Primary).map_or(regions[0], |r| r.region.as_str());
    let prefix = format!("{}-{}", env.product, env.name);
    let zone = HostedZone::existing(env.domain.hosted_zone_id.as_str(), &env.domain.name);
    // The viewers' names: the domain and www.<domain>, the records alias them.
    let viewer_names = [env.domain.name.clone(), format!("www.{}", env.domain.name)];
    let mut props = PlatformProps::new(env.regions.clone(), zone.clone(), &viewer_names, &env.alarms.emails);
    props.mode = env.mode;
    props.origin_secret_name = Some(format!("{}/{}/origin-verify", env.product, env.name));
    props.confirm_mails = Some(CONFIRM_MAILS.into());
    // Backups copied to another region.
    let mut backup = BackupPlanProps::new(&prefix, BackupSelection::Tag("backup".into(), "daily".into()));
    backup.copy_to = backup_copies(env);
    props.backup = Some(backup);
    let mut orders = PlatformTable::new("Orders", KeyAttr::string("pk"));
    orders.props.sort_key = Some(KeyAttr::string("sk"));
    orders.props.indexes =
        vec![TableIndex::new("byCustomer", KeyAttr::string("customerId"), Some(KeyAttr::number("createdAt")))];
    orders.props.ttl_attribute = Some("expiresAt".into());
    orders.props.tags = vec![("backup".into(), "daily".into())];
    orders.read_write = env.services.iter().map(|s| s.name.clone()).collect();
    props.tables = vec![orders];
    // The real-time tier's connection registry: who is connected where, cleaned by TTL.
    if env.realtime.is_some() {
        let mut connections = PlatformTable::new("Connections", KeyAttr::string("connectionId"));
        connections.props.indexes = vec![TableIndex {
            projection: Some(vec!["region".into()]),
            ..TableIndex::new("byUser", KeyAttr::string("userId"), None)
        }];
        connections.props.ttl_attribute = Some("expiresAt".into());
        props.tables.push(connections);
    }
    props.nat = if env.cost.single_nat_gateway { NatMode::Single } else { NatMode::PerAz };
    props.azs = usize::from(env.cost.availability_zones);
    props.service_connect = env.service_connect;
    props.availability_slo = Some(objectives.availability_percent());
    props.chaos = env.operations.chaos_experiments.then(|| {
        let mut chaos = ChaosProps::new(vec![]);
        // Isolating a region needs an alarm on what users see to stop it: the public canary's.
        chaos.region_isolation = env.operations.canaries;
        chaos
    });
    if let Some(ms) = objectives.data_loss_ms {
        props.thresholds.replication_latency_ms = f64::from(ms);
    }
    if let Some(ms) = objectives.latency_p99_ms {
        props.thresholds.latency_p99_ms = f64::from(ms);
    }
    props.rate_limit = i64::from(env.edge.rate_limit);
    props.shield_advanced = env.edge.shield_advanced;

    // 1. A key per region, backups; the images' repository templates and pull-through cache.
    let data = Platform::stages(&app, props);
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
        PullThroughCache::new(&data.data, "ImageCache", vec![Upstream::EcrPublic, Upstream::Quay, Upstream::Kubernetes])
    });
    let mut prefixes = Vec::new();
    if !repositories.is_empty() {
        prefixes.push((format!("{prefix}/"), AppliedFor::Replication));
    }
    for p in cache.iter().flat_map(PullThroughCache::prefixes) {
        prefixes.push((format!("{p}/"), AppliedFor::PullThroughCache));
    }
    if !prefixes.is_empty() {
        RepositoryTemplates::new(&data.data, "ImageTemplates", &prefixes, data.keys.key.arn(), &lifecycle);
    }

    // The account's security baseline, beside the data (it refers to nothing of the platform).
    if env.security.account_baseline {
        let baseline = app.stack_set("Baseline", &regions);
        AccountBaseline::new(&baseline, "Account", AccountBaselineProps::new(primary));
    }

    // 2. The global tables and the origin secret in the primary region; the services' ECR
    // repositories, replicated to every other region.
    let mut global = data.global();
    let names: Vec<&str> = repositories.iter().map(String::as_str).collect();
    let others: Vec<&str> = regions.iter().copied().filter(|r| *r != primary).collect();
    let mut images = ImageRepositoriesProps::new(&prefix, &names, &others);
    images.key = Some(global.keys.arn(primary));
    images.replication = if env.images.own_replication { Replication::Owned } else { Replication::External };
    images.lifecycle = lifecycle;
    let images = (!names.is_empty()).then(|| ImageRepositories::new(&global.global_stack(), "Images", images));
    let orders = global.table("Orders").cloned();
    let registry = global.table("Connections").cloned();

    // 3. The API in every region, answering as origin.<domain> and <region>.origin.<domain>;
    // Aurora where asked, watched by the monitoring with the tables. The services are the API
    // stage's, not facts: their images come from the repositories above and the cache in Data.
    let api = global.api(|api| {
        api.services = env.services.iter().map(|s| service_props(env, s, images.as_ref(), cache.as_ref())).collect();
        api.interface_endpoints = env.cost.interface_endpoints;
        api.cloudfront_prefix_lists = env.edge.cloudfront_prefix_lists.clone();
        api.services_per_stack = env.services_per_stack.map(usize::from);
        api.canaries = env.operations.canaries;
    });
    let database = env.data.aurora.then(|| {
        let mut db = AuroraGlobalProps::for_api(&api.api);
        // backup=daily selects the clusters into the plan's continuous-backup rule: AWS Backup
        // manages their point-in-time recovery, so the template leaves the retention out.
        db.tags = vec![("backup".into(), "daily".into())];
        db.point_in_time_recovery = PointInTimeRecovery::AwsBackup;
        db.secondary_writes = match env.data.aurora_secondary_writes {
            config::SecondaryWrites::ReadOnly => SecondaryWrites::ReadOnly,
            config::SecondaryWrites::Forward => SecondaryWrites::Forward,
        };
        let db = AuroraGlobal::new(api.api.stack(), "Db", db);
        for service in &api.api.services {
            db.grant_connect(service, "app");
        }
        db.metrics()
    });
    // What watches a service lives in the service's stack: the API puts it there.
    let regional = api.monitor(|monitoring| monitoring.databases.extend(database));
    let (api, topic) = (&regional.api, regional.alarm_topic());
    if let Some(ms) = objectives.latency_p99_ms {
        api.latency_slo(99.0, f64::from(ms), std::slice::from_ref(&topic));
        // And each service's own: a slow service with little traffic is lost in the whole.
        api.service_latency_slos(99.0, f64::from(ms), std::slice::from_ref(&topic));
    }
    if env.operations.websocket {
        let live = WebSocketApi::new(api.stack(), "Live", WebSocketApiProps::new(LambdaCode::inline_echo()));
        live.alarms(api.stack(), "LiveAlarms", std::slice::from_ref(&topic));
        api.watch_in_region_health("LiveHealth", &live.health_signals());
    }
    let realtime = env
        .realtime
        .as_ref()
        .zip(registry.as_ref())
        .map(|(rt, registry)| realtime_tier(&app, env, rt, registry, api, images.as_ref(), &topic));

    // 4. The edge: CloudFront with WAF, one dashboard, the routing controls, and Route 53.
    let edge = regional.edge(|_| {});
    // One dashboard over every region and the edge (CloudWatch dashboards are global).
    if let (Some(alb), Some(cdn), Some(orders)) = (&edge.api.public_alb, &edge.distribution, &orders) {
        let views = regions
            .iter()
            .map(|r| RegionView { region: (*r).to_owned(), load_balancer: alb.full_name().in_region(*r) })
            .collect();
        let props = PlatformDashboardProps {
            regions: views,
            availability_objective: objectives.availability_percent(),
            tables: vec![orders.table_name()],
            distribution_id: Some(cdn.distribution.ref_()),
        };
        PlatformDashboard::new(&edge.edge, "Platform", props);
    }
    // Route 53 ARC: a routing control per region gates its routed records (docs/operations.md).
    let arc = env
        .routing
        .recovery_control
        .then(|| RecoveryControl::new(&edge.edge, "RecoveryControl", RecoveryControlProps::new(&prefix, &regions)));
    let platform = edge.dns(|dns| {
        if let Some(arc) = arc {
            dns.routing_controls = arc.controls;
        }
    });
    // ws.<domain>: latency or failover records over each region's real-time domain, each
    // following its region's worker health.
    if let Some((tier, workers)) = &realtime {
        let mut ws = FailoverDnsProps::new(zone, tier.endpoints(&workers.health_checks()));
        ws.mode = env.mode;
        ws.origin_label = "ws".into();
        ws.alarm_actions = vec![platform.edge_topic.arn()];
        let edge = &platform.edge;
        let ws = FailoverDns::new(edge, "RealtimeDns", ws);
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
    p.probe_path = s.probe_path.clone();
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
