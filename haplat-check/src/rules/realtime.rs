//! The real-time tier: WebSocket APIs (authorizers only on `$connect`, HAP044; regional custom
//! domains with a certificate of their region and TLS 1.2, HAP045; throttled stages, HAP046;
//! `@connections` permissions on named APIs, HAP048, in the `@connections` ARN form, HAP049) and SQS dead-letter queues that keep
//! messages longer than their source (HAP047).

use serde_json::Value as Json;

use crate::assembly::{Assembly, Res, list, strings_in};
use crate::rule::Findings;

/// Whether `r` (a route, stage, authorizer, mapping) belongs to a `WEBSOCKET` API.
fn on_websocket_api(a: &Assembly, r: &Res<'_>) -> bool {
    r.prop("ApiId").and_then(|v| a.target(r.stack, v)).is_some_and(|api| {
        api.type_name() == "AWS::ApiGatewayV2::Api" && api.prop_str("ProtocolType") == Some("WEBSOCKET")
    })
}

pub(crate) fn authorizer_outside_connect(a: &Assembly, f: &mut Findings) {
    for r in a.of_type("AWS::ApiGatewayV2::Route") {
        if !on_websocket_api(a, &r) {
            continue;
        }
        let key = r.prop_str("RouteKey").unwrap_or_default();
        let custom = r.prop_str("AuthorizationType") == Some("CUSTOM") || r.prop("AuthorizerId").is_some();
        if key != "$connect" && custom {
            f.at(
                &r,
                vec![],
                format!(
                    "route {key} of a WebSocket API names an authorizer: API Gateway runs a Lambda authorizer only on \
                     $connect, so creating the route fails; authorize the connection on $connect"
                ),
            );
        }
    }
    for r in a.of_type("AWS::ApiGatewayV2::Authorizer") {
        if on_websocket_api(a, &r) && r.prop_str("AuthorizerType") == Some("JWT") {
            f.at(
                &r,
                vec![],
                "a JWT authorizer on a WebSocket API: JWT authorizers exist for HTTP APIs only; verify the token in a \
                 Lambda REQUEST authorizer on $connect",
            );
        }
    }
}

/// The region of a literal ACM certificate ARN.
fn arn_region(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    (parts.nth(2)? == "acm").then_some(())?;
    parts.next()
}

pub(crate) fn websocket_domain_not_regional(a: &Assembly, f: &mut Findings) {
    for m in a.of_type("AWS::ApiGatewayV2::ApiMapping") {
        if !on_websocket_api(a, &m) {
            continue;
        }
        let Some(d) = m.prop("DomainName").and_then(|v| a.target(m.stack, v)) else { continue };
        if d.type_name() != "AWS::ApiGatewayV2::DomainName" {
            continue;
        }
        let configs: Vec<&Json> =
            d.prop("DomainNameConfigurations").and_then(Json::as_array).into_iter().flatten().collect();
        if configs.is_empty() {
            f.at(
                &d,
                vec![],
                "a WebSocket API's custom domain without DomainNameConfigurations: it needs a regional certificate",
            );
        }
        for c in configs {
            let endpoint = c.get("EndpointType").and_then(Json::as_str).unwrap_or("REGIONAL");
            if endpoint != "REGIONAL" {
                f.at(
                    &d,
                    vec![],
                    format!("EndpointType {endpoint}: WebSocket APIs support only Regional custom domain names"),
                );
            }
            let policy = c.get("SecurityPolicy").and_then(Json::as_str).unwrap_or("TLS_1_2");
            if policy != "TLS_1_2" {
                f.at(
                    &d,
                    vec![],
                    format!("SecurityPolicy {policy}: a WebSocket API's custom domain supports only TLS_1_2"),
                );
            }
            let Some(cert) = c.get("CertificateArn") else {
                f.at(&d, vec![], "no CertificateArn: a Regional custom domain needs an ACM certificate of its region");
                continue;
            };
            let here = d.regions();
            let elsewhere: Vec<String> = match (cert.as_str(), a.target(d.stack, cert)) {
                (Some(arn), _) => match arn_region(arn) {
                    Some(region) => here.iter().filter(|r| r.as_str() != region).cloned().collect(),
                    None => Vec::new(),
                },
                (None, Some(c)) if c.type_name() == "AWS::CertificateManager::Certificate" => {
                    let there = c.regions();
                    if c.stack == d.stack {
                        Vec::new()
                    } else {
                        here.into_iter().filter(|r| there != [r.clone()]).collect()
                    }
                }
                _ => Vec::new(),
            };
            if !elsewhere.is_empty() {
                f.at(
                    &d,
                    elsewhere.clone(),
                    format!(
                        "the certificate is not of the custom domain's region in {}: a Regional custom domain takes only \
                         an ACM certificate of the API's own region",
                        list(&elsewhere)
                    ),
                );
            }
        }
    }
}

pub(crate) fn websocket_stage_unthrottled(a: &Assembly, f: &mut Findings) {
    for r in a.of_type("AWS::ApiGatewayV2::Stage") {
        if !on_websocket_api(a, &r) {
            continue;
        }
        let d = r.prop("DefaultRouteSettings");
        let missing: Vec<String> = ["ThrottlingRateLimit", "ThrottlingBurstLimit"]
            .iter()
            .filter(|k| d.and_then(|d| d.get(**k)).is_none())
            .map(|k| (*k).to_owned())
            .collect();
        if !missing.is_empty() {
            f.at(
                &r,
                vec![],
                format!(
                    "the WebSocket stage sets no {} in DefaultRouteSettings: AWS WAF cannot protect a WebSocket API, so \
                     the stage's throttles (and the $connect authorizer) are all that bound a flood, and the account's \
                     regional limit is shared by every API",
                    list(&missing)
                ),
            );
        }
    }
}

/// SQS's default retention, 4 days.
const DEFAULT_RETENTION: i64 = 345_600;

fn retention(r: &Res<'_>) -> Option<i64> {
    match r.prop("MessageRetentionPeriod") {
        None => Some(DEFAULT_RETENTION),
        Some(v) => v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())),
    }
}

pub(crate) fn dead_letters_expire_first(a: &Assembly, f: &mut Findings) {
    for q in a.of_type("AWS::SQS::Queue") {
        if q.prop_str("FifoQueue") == Some("true") || q.prop("FifoQueue").and_then(Json::as_bool) == Some(true) {
            continue;
        }
        let Some(target) = q.prop("RedrivePolicy").and_then(|p| p.get("deadLetterTargetArn")) else { continue };
        let Some(dlq) = a.target(q.stack, target) else { continue };
        let (Some(src), Some(dead)) = (retention(&q), retention(&dlq)) else { continue };
        if dead <= src {
            f.at(
                &q,
                vec![],
                format!(
                    "its dead-letter queue {} keeps messages {dead} s, the queue {src} s: a standard queue's message keeps \
                     its original enqueue time in the dead-letter queue, so failed messages expire there at once or soon",
                    dlq.path()
                ),
            );
        }
    }
}

/// The statements of every IAM policy in `r` (a role's `Policies`, a `Policy`/`ManagedPolicy`).
fn statements<'a>(r: &Res<'a>) -> Vec<&'a Json> {
    let docs: Vec<&Json> = match r.type_name() {
        "AWS::IAM::Role" => r
            .prop("Policies")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| p.get("PolicyDocument"))
            .collect(),
        _ => r.prop("PolicyDocument").into_iter().collect(),
    };
    docs.into_iter()
        .filter_map(|d| d.get("Statement"))
        .flat_map(|s| match s {
            Json::Array(a) => a.iter().collect::<Vec<_>>(),
            other => vec![other],
        })
        .collect()
}

pub(crate) fn manage_connections_on_any_api(a: &Assembly, f: &mut Findings) {
    for ty in ["AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"] {
        for r in a.of_type(ty) {
            for s in statements(&r) {
                if s.get("Effect").and_then(Json::as_str) != Some("Allow") {
                    continue;
                }
                let actions = s.get("Action").map(strings_in).unwrap_or_default();
                let manages = actions.iter().any(|x| {
                    let x = x.to_ascii_lowercase();
                    x == "execute-api:*" || x == "execute-api:manageconnections"
                });
                if !manages {
                    continue;
                }
                // A resource whose API id is a wildcard: `*`, or `…:execute-api:<region>:<account>:*…`.
                let resources = s.get("Resource").map(strings_in).unwrap_or_default();
                let wide: Vec<String> = resources
                    .iter()
                    .filter(|res| {
                        let api_id = res.split('/').next().and_then(|head| head.rsplit(':').next()).unwrap_or_default();
                        **res == "*" || (res.contains("execute-api") && api_id.starts_with('*'))
                    })
                    .map(|s| (*s).to_owned())
                    .collect();
                if !wide.is_empty() {
                    f.at(
                        &r,
                        vec![],
                        format!(
                            "allows execute-api:ManageConnections on {}: every WebSocket API of the account, not the \
                             @connections of the one it replies on; name the API (…:<api-id>/<stage>/POST/@connections/*)",
                            list(&wide)
                        ),
                    );
                }
            }
        }
    }
}

/// The `Allow` statements granting `execute-api:ManageConnections` in a role or policy, with
/// their resources' texts.
fn manage_connections_resources<'a>(r: &Res<'a>) -> Vec<&'a str> {
    statements(r)
        .into_iter()
        .filter(|s| s.get("Effect").and_then(Json::as_str) == Some("Allow"))
        .filter(|s| {
            s.get("Action")
                .map(strings_in)
                .unwrap_or_default()
                .iter()
                .any(|x| x.eq_ignore_ascii_case("execute-api:ManageConnections"))
        })
        .flat_map(|s| s.get("Resource").map(strings_in).unwrap_or_default())
        .collect()
}

pub(crate) fn manage_connections_wrong_arn(a: &Assembly, f: &mut Findings) {
    for ty in ["AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"] {
        for r in a.of_type(ty) {
            let wrong: Vec<String> = manage_connections_resources(&r)
                .into_iter()
                .filter(|res| res.contains("execute-api"))
                .filter(|res| {
                    // What follows the API id: `<stage>/<method>/@connections/…` is the form.
                    let path = res.split_once('/').map(|(_, p)| p).unwrap_or_default();
                    !path.contains("@connections") && !path.contains('*')
                })
                .map(str::to_owned)
                .collect();
            if !wrong.is_empty() {
                f.at(
                    &r,
                    vec![],
                    format!(
                        "allows execute-api:ManageConnections on {}, which is not the @connections API's ARN \
                         (…:<api-id>/<stage>/POST/@connections/<id>; a route's ARN <api-id>/<stage>/<route-key> is \
                         for Invoke): posting to a connection is refused (403)",
                        list(&wrong)
                    ),
                );
            }
        }
    }
}
