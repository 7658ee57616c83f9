//! An example platform over two regions, active-passive: the API on ECS Fargate in us-east-1
//! (primary) and eu-west-1 (standby), a DynamoDB global table, CloudFront with WAF in front,
//! Route 53 failover, backups copied across regions, alarms, SLOs, chaos experiments and a
//! WebSocket API. `haplat synth` runs it.
//!
//! Stacks and the waves their references put them in:
//! 1. `Data` (stack set): a KMS key per region and the backup plans;
//! 2. `Global` (us-east-1): the global table (encrypted with each region's key) and the
//!    CloudFront origin secret, replicated to every region;
//! 3. `Api` (stack set): the regional API, its monitoring, SLOs, chaos experiments, WebSockets;
//! 4. `Edge` (us-east-1): CloudFront, WAF and the Route 53 records and health checks.

use std::process::ExitCode;

use haplat_constructs::api::{ApiCertificate, ApiProps, MultiRegionApi};
use haplat_constructs::backup::{BackupPlan, BackupPlanProps, BackupSelection};
use haplat_constructs::chaos::ChaosProps;
use haplat_constructs::dns::{FailoverDns, FailoverDnsProps};
use haplat_constructs::edge::{EdgeDistribution, EdgeDistributionProps, OriginSecret, OriginSecretProps};
use haplat_constructs::fargate::RunAs;
use haplat_constructs::global_table::{GlobalTable, GlobalTableProps, KeyAttr, TableEncryption, TableIndex};
use haplat_constructs::kms::RegionalKeys;
use haplat_constructs::monitoring::{AlarmTopic, RegionalMonitoringProps};
use haplat_constructs::security::Grantable;
use haplat_constructs::service::ServiceProps;
use haplat_constructs::websocket::{LambdaCode, WebSocketApi, WebSocketApiProps};
use haplat_constructs::zone::HostedZone;
use haplat_constructs::{DrMode, RegionSpec};
use haplat_core::App;

const DOMAIN: &str = "example.com";
/// The hosted zone of `example.com` (it exists already: the ALB certificates validate in it).
const ZONE_ID: &str = "Z0123456789ABCDEFGHIJ";
const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

/// Why the alarm mail subscriptions pass `haplat check` (HAP023).
const CONFIRM_MAILS: &str =
    "the on-call address confirms each region's subscription mail within 48 hours (docs/first-deploy.md, section 2)";

/// Why the service runs as its image's user with a writable root filesystem.
const NGINX_RUNS_AS_ROOT: &str = "the NGINX image starts as root to bind port 80 and writes /var/cache/nginx and \
                                  /var/run; an application image runs as its own user with RunAs::User";

fn main() -> ExitCode {
    let app = App::new("shop");
    app.tag("app", "shop");
    let mode = DrMode::ActivePassive;

    // 1. Keys and backups in every region.
    let data = app.stack_set("Data", &REGIONS);
    let keys = RegionalKeys::new(&data, "Keys");
    BackupPlan::new(
        &data,
        "Backup",
        BackupPlanProps::new("shop-backups", BackupSelection::Tag("backup".into(), "daily".into())),
    );

    // 2. The global table and the origin secret, in the primary region.
    let global = app.stack("Global", "us-east-1");
    let mut table = GlobalTableProps::new(KeyAttr::string("pk"), &REGIONS);
    table.sort_key = Some(KeyAttr::string("sk"));
    table.indexes =
        vec![TableIndex::new("byCustomer", KeyAttr::string("customerId"), Some(KeyAttr::number("createdAt")))];
    table.ttl_attribute = Some("expiresAt".into());
    table.encryption = TableEncryption::CustomerManaged(keys.arns());
    table.tags = vec![("backup".into(), "daily".into())];
    let orders = GlobalTable::new(&global, "Orders", table);
    let mut secret = OriginSecretProps::new("shop/origin-verify", &REGIONS);
    secret.keys = keys.arns();
    let secret = OriginSecret::new(&global, "OriginVerify", secret);

    // 3. The API in every region, answering as origin.example.com and <region>.origin.example.com.
    let zone = HostedZone::existing(ZONE_ID, DOMAIN);
    let api = MultiRegionApi::new_stack_set(
        &app,
        "Api",
        ApiProps {
            mode,
            services: vec![ServiceProps {
                health_check_path: "/".into(),
                run_as: RunAs::image_default(NGINX_RUNS_AS_ROOT),
                ..ServiceProps::new("Orders", "public.ecr.aws/nginx/nginx:1.27", 80)
            }],
            fronted_by_cloudfront: Some(secret.verify.clone()),
            // Route 53 also checks each region through the edge's probe route (docs/availability.md).
            edge_probe_domain: Some(DOMAIN.into()),
            ..ApiProps::new(
                vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("eu-west-1")],
                &format!("origin.{DOMAIN}"),
                ApiCertificate::DnsValidated { zone: HostedZone::existing(ZONE_ID, DOMAIN) },
            )
        },
    );
    if let Some(service) = api.service("Orders") {
        orders.grant_read_write(service);
    }
    let mut monitoring = RegionalMonitoringProps::new(&REGIONS);
    monitoring.alarm_emails = vec!["oncall@example.com".into()];
    monitoring.tables = vec![orders.metrics()];
    // Alarms, dashboard and X-Ray rules of every service, where it lives.
    let monitoring = api.monitor("Monitoring", monitoring);
    // Each region's topic mails the address a confirmation link (`haplat check --explain HAP023`).
    for s in &monitoring.regional.subscriptions {
        api.stack().options(*s).suppress("HAP023", CONFIRM_MAILS);
    }
    api.availability_slos(99.9, &[monitoring.topic_arn()]);
    api.chaos("Chaos", &monitoring, ChaosProps::new(vec![]));
    let live = WebSocketApi::new(api.stack(), "Live", WebSocketApiProps::new(LambdaCode::inline_echo()));
    live.alarms(api.stack(), "LiveAlarms", &[monitoring.topic_arn()]);

    // 4. The edge: CloudFront, WAF, Route 53.
    let edge = app.stack("Edge", "us-east-1");
    let alarms = AlarmTopic::new(&edge.child("Alarms"), &["oncall@example.com".to_owned()]);
    for s in &alarms.subscriptions {
        edge.options(*s).suppress("HAP023", CONFIRM_MAILS);
    }
    let names = [DOMAIN.to_owned(), format!("www.{DOMAIN}")];
    let mut cdn = EdgeDistributionProps::new(
        zone.clone(),
        &names.iter().map(String::as_str).collect::<Vec<_>>(),
        api.endpoints(),
    );
    cdn.mode = mode;
    cdn.read_only_paths = api.read_only_paths();
    cdn.origin_secret = Some(secret);
    let cdn = EdgeDistribution::new(&edge, "Cdn", cdn);
    cdn.alarms(&edge, "EdgeAlarms", &[alarms.arn()], 5.0, 20.0);
    let mut dns = FailoverDnsProps::new(zone, api.endpoints());
    dns.mode = mode;
    dns.aliased_names = names.to_vec();
    dns.distribution_domain = Some(cdn.domain_name());
    dns.alarm_actions = vec![alarms.arn()];
    FailoverDns::new(&edge, "Dns", dns);

    app.run()
}
