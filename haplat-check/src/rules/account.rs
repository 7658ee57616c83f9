//! What the account or the region must already have, which no template can show: API Gateway's
//! CloudWatch Logs role (HAP004), a Shield Advanced subscription (HAP010), an Aurora engine
//! version with global-database support in every region (HAP011), availability zones chosen by
//! name (HAP012), WAF logs that grow the account's shared log policy (HAP022), e-mail alarm
//! subscriptions that someone must confirm in every region (HAP023), one of each account-level
//! security service per region (HAP051), Config's recorder and channel created side by side
//! (HAP052).

use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::assembly::{Assembly, Res, is_true, list, refs_in, strings_in};
use crate::rule::Findings;

/// The regions where the assembly itself sets API Gateway's account role.
fn account_role_regions(a: &Assembly) -> BTreeSet<String> {
    a.of_type("AWS::ApiGateway::Account")
        .filter(|r| r.prop("CloudWatchRoleArn").is_some())
        .flat_map(|r| r.regions())
        .collect()
}

fn logs_execution(settings: Option<&Json>) -> bool {
    let Some(s) = settings else { return false };
    let level = s.get("LoggingLevel").and_then(Json::as_str).unwrap_or("OFF");
    !level.eq_ignore_ascii_case("OFF") || is_true(s.get("DataTraceEnabled"))
}

pub(crate) fn api_gateway_logging_role(a: &Assembly, f: &mut Findings) {
    let covered = account_role_regions(a);
    let mut report = |r: &Res<'_>, what: &str| {
        let missing: Vec<String> = r.regions().into_iter().filter(|x| !covered.contains(x)).collect();
        if missing.is_empty() {
            return;
        }
        f.at(
            r,
            missing.clone(),
            format!(
                "{what}: API Gateway writes these logs with the account's CloudWatch Logs role, so \
                 creating the stage fails (\"CloudWatch Logs role ARN must be set in account settings to \
                 enable logging\") in any of {} where it is not set; `haplat doctor` checks it",
                list(&missing)
            ),
        );
    };
    for r in a.of_type("AWS::ApiGatewayV2::Stage") {
        // HTTP APIs deliver access logs without the account role; WebSocket APIs need it.
        let protocol = r
            .prop("ApiId")
            .and_then(|v| a.target(r.stack, v))
            .and_then(|api| api.prop_str("ProtocolType").map(str::to_owned));
        if protocol.as_deref() == Some("HTTP") {
            continue;
        }
        let route_logs = r
            .prop("RouteSettings")
            .and_then(Json::as_object)
            .is_some_and(|m| m.values().any(|s| logs_execution(Some(s))));
        if r.prop("AccessLogSettings").is_some() {
            report(&r, "the WebSocket stage writes access logs (AccessLogSettings)");
        } else if logs_execution(r.prop("DefaultRouteSettings")) || route_logs {
            report(&r, "the WebSocket stage writes execution logs (LoggingLevel or DataTraceEnabled)");
        }
    }
    for r in a.of_type("AWS::ApiGateway::Stage") {
        let method_logs = r
            .prop("MethodSettings")
            .and_then(Json::as_array)
            .is_some_and(|m| m.iter().any(|s| logs_execution(Some(s))));
        if r.prop("AccessLogSetting").is_some() || method_logs {
            report(&r, "the REST API stage writes access or execution logs");
        }
    }
    for r in a.of_type("AWS::ApiGateway::Deployment") {
        let Some(d) = r.prop("StageDescription") else { continue };
        let method_logs =
            d.get("MethodSettings").and_then(Json::as_array).is_some_and(|m| m.iter().any(|s| logs_execution(Some(s))));
        if d.get("AccessLogSetting").is_some() || logs_execution(Some(d)) || method_logs {
            report(&r, "the REST API deployment's stage writes access or execution logs");
        }
    }
}

pub(crate) fn shield_subscription(a: &Assembly, f: &mut Findings) {
    for r in a.of_type("AWS::Shield::Protection") {
        f.at(
            &r,
            vec![],
            "a Shield Advanced protection is created only when the account has an active Shield Advanced \
             subscription (a one-year commitment with a monthly fee); without one the stack fails: \
             `haplat doctor` checks the subscription before the deploy",
        );
    }
}

pub(crate) fn aurora_global_version(a: &Assembly, f: &mut Findings) {
    let mut clusters: Vec<Res<'_>> = a.of_type("AWS::RDS::GlobalCluster").collect();
    clusters.extend(a.of_type("AWS::RDS::DBCluster").filter(|r| r.prop("GlobalClusterIdentifier").is_some()));
    let mut seen = BTreeSet::new();
    for r in clusters {
        let Some(version) = r.prop_str("EngineVersion") else { continue };
        let engine = r.prop_str("Engine").unwrap_or("aurora");
        // One finding per stack and version: the global cluster and its members say the same.
        if !seen.insert((r.stack, version.to_owned())) {
            continue;
        }
        let serverless = a.stacks[r.stack]
            .resources()
            .any(|(_, x)| x.get("Properties").and_then(|p| p.get("ServerlessV2ScalingConfiguration")).is_some());
        // Every region of the global database, whichever cluster a region's condition creates.
        let regions = r.stack_t.regions();
        f.at(
            &r,
            regions.clone(),
            format!(
                "{engine} {version} is pinned for an Aurora global database{}: every region of it ({}) must \
                 offer that version with global-database support{}, or the secondary cluster fails to \
                 create; `haplat doctor` checks the versions each region offers",
                if serverless { " with Serverless v2" } else { "" },
                list(&regions),
                if serverless { " and Serverless v2" } else { "" }
            ),
        );
    }
}

/// Whether a stack runs something that is offered only in some zone IDs (Fargate tasks,
/// interface endpoints).
fn zone_sensitive(a: &Assembly, stack: usize) -> Option<&'static str> {
    let s = &a.stacks[stack];
    let mut fargate = false;
    let mut endpoints = false;
    for (_, r) in s.resources() {
        let ty = r.get("Type").and_then(Json::as_str).unwrap_or_default();
        let p = r.get("Properties");
        if ty == "AWS::ECS::Service" && p.and_then(|p| p.get("LaunchType")).and_then(Json::as_str) == Some("FARGATE") {
            fargate = true;
        }
        if ty == "AWS::EC2::VPCEndpoint"
            && p.and_then(|p| p.get("VpcEndpointType")).and_then(Json::as_str) == Some("Interface")
        {
            endpoints = true;
        }
    }
    match (fargate, endpoints) {
        (true, true) => Some("Fargate tasks and interface endpoints"),
        (true, false) => Some("Fargate tasks"),
        (false, true) => Some("interface endpoints"),
        _ => None,
    }
}

fn az_by_name(v: &Json) -> bool {
    match v {
        Json::String(_) => true,
        Json::Object(m) => match m.get("Fn::Select") {
            Some(Json::Array(a)) => a.get(1).is_some_and(|l| l.get("Fn::GetAZs").is_some()),
            _ => false,
        },
        _ => false,
    }
}

pub(crate) fn zone_names(a: &Assembly, f: &mut Findings) {
    for r in a.of_type("AWS::EC2::Subnet") {
        let Some(az) = r.prop("AvailabilityZone") else { continue };
        if !az_by_name(az) {
            continue;
        }
        let Some(what) = zone_sensitive(a, r.stack) else { continue };
        f.at(
            &r,
            vec![],
            format!(
                "the subnet's zone is chosen by name (AvailabilityZone, Fn::GetAZs), and zone names map to \
                 different zone IDs in each account: it may land in a zone ID without {what}; use \
                 AvailabilityZoneId, or let `haplat doctor` check the zone IDs behind the names"
            ),
        );
    }
}

pub(crate) fn waf_log_delivery_policy(a: &Assembly, f: &mut Findings) {
    // The log groups a CloudWatch Logs resource policy of the assembly grants to the log
    // delivery service (by the construct that names the group in its document).
    let mut granted: BTreeSet<(usize, String)> = BTreeSet::new();
    for p in a.of_type("AWS::Logs::ResourcePolicy") {
        let Some(doc) = p.prop("PolicyDocument") else { continue };
        if !strings_in(doc).iter().any(|s| s.contains("delivery.logs.amazonaws.com")) {
            continue;
        }
        for name in refs_in(doc) {
            granted.insert((p.stack, name));
        }
    }
    for l in a.of_type("AWS::WAFv2::LoggingConfiguration") {
        let Some(dest) = l.prop("LogDestinationConfigs") else { continue };
        if !strings_in(dest).iter().any(|s| s.contains(":logs:") || s.contains("log-group:")) {
            continue;
        }
        if refs_in(dest).iter().any(|group| granted.contains(&(l.stack, group.clone()))) {
            continue;
        }
        f.at(
            &l,
            vec![],
            "sends WAF logs to a CloudWatch Logs group that no resource policy of the stack grants to \
             delivery.logs.amazonaws.com: WAF then adds the group to the account's shared AWSWAF-LOGS policy of the \
             region, which every web ACL and log group makes longer until it passes CloudWatch Logs' 5,120-character \
             limit and WAF refuses the logging configuration; declare an AWS::Logs::ResourcePolicy for the group \
             and make the logging configuration depend on it",
        );
    }
}

pub(crate) fn email_subscriptions(a: &Assembly, f: &mut Findings) {
    for s in a.of_type("AWS::SNS::Subscription") {
        if !matches!(s.prop_str("Protocol"), Some("email" | "email-json")) {
            continue;
        }
        let regions = s.regions();
        f.at(
            &s,
            vec![],
            format!(
                "subscribes an e-mail address in {} region(s) ({}): each region's topic sends its own confirmation \
                 mail, and SNS deletes a subscription left unconfirmed for 48 hours while CloudFormation keeps \
                 reporting it created; until someone confirms every mail, the alarms of that region reach nobody",
                regions.len(),
                list(&regions)
            ),
        );
    }
}

/// The resource types an account may hold once per region, with what the service answers a
/// second one.
const ONE_PER_REGION: &[(&str, &str)] = &[
    ("AWS::GuardDuty::Detector", "GuardDuty allows one detector per account and region"),
    ("AWS::SecurityHub::Hub", "an account subscribes to Security Hub once per region"),
    (
        "AWS::Config::ConfigurationRecorder",
        "AWS Config allows one customer managed recorder per account and region (MaxNumberOfConfigurationRecordersExceededException)",
    ),
    (
        "AWS::Config::DeliveryChannel",
        "AWS Config allows one delivery channel per account and region (MaxNumberOfDeliveryChannelsExceededException)",
    ),
];

pub(crate) fn one_per_region(a: &Assembly, f: &mut Findings) {
    for (ty, why) in ONE_PER_REGION {
        let all: Vec<Res<'_>> = a.of_type(ty).collect();
        for (i, r) in all.iter().enumerate() {
            let regions = r.regions();
            let Some(first) = all[..i].iter().find(|o| o.regions().iter().any(|x| regions.contains(x))) else {
                continue;
            };
            let twice: Vec<String> = regions.iter().filter(|x| first.regions().contains(x)).cloned().collect();
            f.at(
                r,
                twice.clone(),
                format!(
                    "is a second {ty} in {} after {}: {why}, so creating this one fails; keep one (an \
                     account baseline's switch leaves a part off)",
                    list(&twice),
                    first.path()
                ),
            );
        }
    }
}

/// Whether `r` names `other` in a reference or in its `DependsOn`.
fn waits_for(r: &Res<'_>, other: &str) -> bool {
    let depends = match r.json.get("DependsOn") {
        Some(Json::String(s)) => s == other,
        Some(Json::Array(a)) => a.iter().any(|d| d.as_str() == Some(other)),
        _ => false,
    };
    depends || r.json.get("Properties").is_some_and(|p| refs_in(p).contains(other))
}

pub(crate) fn config_recorder_and_channel(a: &Assembly, f: &mut Findings) {
    for recorder in a.of_type("AWS::Config::ConfigurationRecorder") {
        if recorder.prop("StartedOnCreate").is_some_and(|v| v == &Json::Bool(false)) {
            continue;
        }
        let channels = a.of_type("AWS::Config::DeliveryChannel").filter(|c| c.stack == recorder.stack);
        for channel in channels {
            let message = if waits_for(&channel, recorder.id) {
                format!(
                    "the delivery channel {} waits for this recorder, which starts recording when it is created \
                     and cannot start without a delivery channel (NoAvailableDeliveryChannelException): let \
                     them be created side by side",
                    channel.path()
                )
            } else if waits_for(&recorder, channel.id) {
                format!(
                    "waits for the delivery channel {}, which AWS Config creates only once a recorder exists: \
                     let them be created side by side",
                    channel.path()
                )
            } else {
                continue;
            };
            f.at(&recorder, vec![], message);
        }
    }
}
