//! An example platform over two regions, active-passive: the API on ECS Fargate in us-east-1
//! (primary) and eu-west-1 (standby), a DynamoDB global table, CloudFront with WAF in front,
//! Route 53 failover, backups copied across regions, alarms, SLOs, chaos experiments and a
//! WebSocket API. `haplat synth` runs it. Written with [`Platform`], each fact stated once; the
//! WebSocket API is added by hand beside it.
//!
//! Stacks and the waves their references put them in:
//! 1. `Data` (stack set): a KMS key per region and the backup plans;
//! 2. `Global` (us-east-1): the global table (encrypted with each region's key) and the
//!    CloudFront origin secret, replicated to every region;
//! 3. `Api` (stack set): the regional API, its monitoring, SLOs, chaos experiments, WebSockets;
//! 4. `Edge` (us-east-1): CloudFront, WAF and the Route 53 records and health checks.

use std::process::ExitCode;

use haplat_constructs::backup::{BackupPlanProps, BackupSelection};
use haplat_constructs::chaos::ChaosProps;
use haplat_constructs::composition::{Platform, PlatformProps, PlatformTable};
use haplat_constructs::fargate::RunAs;
use haplat_constructs::global_table::{KeyAttr, TableIndex};
use haplat_constructs::service::ServiceProps;
use haplat_constructs::websocket::{LambdaCode, WebSocketApi, WebSocketApiProps};
use haplat_constructs::zone::HostedZone;
use haplat_constructs::{DrMode, RegionSpec};
use haplat_core::App;

const DOMAIN: &str = "example.com";
/// The hosted zone of `example.com` (it exists already: the ALB certificates validate in it).
const ZONE_ID: &str = "Z0123456789ABCDEFGHIJ";

/// Why the alarm mail subscriptions pass `haplat check` (HAP023).
const CONFIRM_MAILS: &str =
    "the on-call address confirms each region's subscription mail within 48 hours (docs/first-deploy.md, section 2)";

/// Why the service runs as its image's user with a writable root filesystem.
const NGINX_RUNS_AS_ROOT: &str = "the NGINX image starts as root to bind port 80 and writes /var/cache/nginx and \
                                  /var/run; an application image runs as its own user with RunAs::User";

fn main() -> ExitCode {
    let app = App::new("shop");
    app.tag("app", "shop");

    // The viewers' names are stated: the zone's apex and www (haplat takes neither by itself).
    let mut props = PlatformProps::new(
        vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("eu-west-1")],
        HostedZone::existing(ZONE_ID, DOMAIN),
        &[DOMAIN.to_owned(), format!("www.{DOMAIN}")],
        &["oncall@example.com"],
    );
    props.mode = DrMode::ActivePassive;
    // Each topic mails the address a confirmation link (`haplat check --explain HAP023`).
    props.confirm_mails = Some(CONFIRM_MAILS.into());
    props.backup = Some(BackupPlanProps::new("shop-backups", BackupSelection::Tag("backup".into(), "daily".into())));
    props.services = vec![ServiceProps {
        health_check_path: "/".into(),
        run_as: RunAs::image_default(NGINX_RUNS_AS_ROOT),
        ..ServiceProps::new("Orders", "public.ecr.aws/nginx/nginx:1.27", 80)
    }];
    let mut orders = PlatformTable::new("Orders", KeyAttr::string("pk")).read_write(&["Orders"]);
    orders.props.sort_key = Some(KeyAttr::string("sk"));
    orders.props.indexes =
        vec![TableIndex::new("byCustomer", KeyAttr::string("customerId"), Some(KeyAttr::number("createdAt")))];
    orders.props.ttl_attribute = Some("expiresAt".into());
    orders.props.tags = vec![("backup".into(), "daily".into())];
    props.tables = vec![orders];
    props.chaos = Some(ChaosProps::new(vec![]));
    let platform = Platform::new(&app, props);

    // Added by hand beside the platform: a WebSocket API in every region, alarming to its topic.
    let api = platform.api.stack();
    let live = WebSocketApi::new(api, "Live", WebSocketApiProps::new(LambdaCode::inline_echo()));
    live.alarms(api, "LiveAlarms", &[platform.alarm_topic()]);

    app.run()
}
