//! WebSocket APIs: the real-time tier ([`realtime::RealtimeApi`] and
//! [`workers::RealtimeWorkers`]: a connection registry, JWT authorization on `$connect`, per-route
//! throttles, a custom domain per region, a queue and ECS workers that reply through
//! `@connections`, across regions; docs/realtime.md), and the simpler [`WebSocketApi`] below.
//!
//! [`WebSocketApi`]: API Gateway v2 (`WEBSOCKET`) with `$connect`, `$disconnect` and `$default`
//! routes to one Lambda function (inline code or a zip in S3), a stage with throttling and JSON
//! access logs in a KMS-encrypted log group, the function's own encrypted log group, X-Ray
//! tracing, a least-privilege execution role (its log group, replying on this API's
//! connections, X-Ray) and the permission for this API alone to invoke the function.
//!
//! API Gateway writes WebSocket access logs with the account's API Gateway CloudWatch role
//! (the account setting `cloudwatchRoleArn`, one per account and region): without it, creating
//! the stage fails ("CloudWatch Logs role ARN must be set in account settings to enable
//! logging", <https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html>).
//! The construct does not declare it (an `AWS::ApiGateway::Account` would overwrite a role the
//! account already uses, and would be one per region for every stack set sharing the account):
//! `haplat doctor`, which `haplat deploy` runs first, checks it in every region of the stage's
//! stack, and `haplat bootstrap --apigateway-logs-role` sets it where it is unset. The stage
//! carries that reason as its suppression of HAP004.
//!
//! ```
//! use haplat_core::App;
//! use haplat_constructs::websocket::{WebSocketApi, WebSocketApiProps, LambdaCode};
//!
//! let app = App::new("chat");
//! let api = app.stack_set("Realtime", &["us-east-1", "eu-west-1"]);
//! let ws = WebSocketApi::new(&api, "Chat", WebSocketApiProps::new(LambdaCode::inline_echo()));
//! let t = app.synth().unwrap().template("chat-Realtime").unwrap();
//! let routes: Vec<&str> = t["Resources"].as_object().unwrap().values()
//!     .filter(|r| r["Type"] == "AWS::ApiGatewayV2::Route")
//!     .map(|r| r["Properties"]["RouteKey"].as_str().unwrap()).collect();
//! assert_eq!(routes.len(), 3);
//! # let _ = ws;
//! ```

mod code;
pub mod realtime;
pub mod workers;

pub use realtime::{RealtimeApi, RealtimeAuth, RealtimeDomain, RealtimeProps, RouteThrottle};
pub use workers::{RealtimeWorkers, WorkerProps};

use std::collections::BTreeMap;

use haplat_core::resources::apigatewayv2::api::Api;
use haplat_core::resources::apigatewayv2::authorizer::Authorizer;
use haplat_core::resources::apigatewayv2::integration::Integration;
use haplat_core::resources::apigatewayv2::route::Route;
use haplat_core::resources::apigatewayv2::stage::{AccessLogSettings, RouteSettings, Stage};
use haplat_core::resources::cloudwatch::alarm::{Alarm, MetricDataQuery};
use haplat_core::resources::iam::role::{Policy, Role};
use haplat_core::resources::lambda::function::{
    Code, Environment, Function, LogFormat, LoggingConfig, Mode, Runtime, TracingConfig,
};
use haplat_core::resources::lambda::permission::Permission as LambdaPermission;
use haplat_core::resources::logs::log_group::LogGroup;
use haplat_core::value::{Expr, List, Value};
use haplat_core::{Handle, Scope, expr_list, expr_map};

use crate::health_check::{HealthCheckProps, HealthSignals};

use crate::alarm::{AlarmSpec, Alarms, Runbook};
use crate::kms::{KeyUser, KmsKey};
use crate::logs::{LogGroupProps, check_retention};
use crate::metrics::{MetricRef, Severity, expression};
use crate::security::{trust_policy, unscoped_statement};

/// Why the stage's HAP004 (access logs need the account's API Gateway role) is suppressed.
pub const APIGATEWAY_LOGS_ROLE_REASON: &str = "the account's API Gateway CloudWatch Logs role is an account setting per \
     region, not declared here: `haplat deploy` runs `haplat doctor` first, which checks it in every region of this \
     stage's stack and stops the deploy where it is unset; `haplat bootstrap --apigateway-logs-role` sets it";

/// Where the function's code comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum LambdaCode {
    /// Source inline in the template (at most 4 KB), Python.
    Inline(String),
    /// A zip in S3.
    S3 {
        /// The bucket.
        bucket: Value<String>,
        /// The key.
        key: Value<String>,
    },
}

impl LambdaCode {
    /// A Python handler that accepts connections and echoes every message back to its sender.
    pub fn inline_echo() -> Self {
        LambdaCode::Inline(
            r#"import json, os, boto3

def handler(event, context):
    ctx = event["requestContext"]
    if ctx["routeKey"] in ("$connect", "$disconnect"):
        return {"statusCode": 200}
    api = boto3.client("apigatewaymanagementapi", endpoint_url=os.environ["CALLBACK_URL"])
    api.post_to_connection(ConnectionId=ctx["connectionId"], Data=(event.get("body") or "").encode())
    return {"statusCode": 200}
"#
            .to_owned(),
        )
    }
}

/// Who may open a connection (`$connect`, the one route of a WebSocket API that API Gateway
/// authorizes: later messages travel on the connection it let in).
#[derive(Clone, Debug, PartialEq)]
pub enum ConnectAuth {
    /// IAM: the `$connect` request is signed (SigV4) by a principal allowed `execute-api:Invoke`
    /// on it. Needs nothing else in the template.
    Iam,
    /// A Lambda `REQUEST` authorizer (`CUSTOM`): API Gateway calls `function_arn` with
    /// `identity_sources` (`route.request.querystring.token`, `route.request.header.Authorization`)
    /// and lets in what it allows; the function checks the token against the issuer the
    /// environment names. The construct adds the authorizer and API Gateway's permission to call
    /// the function.
    Lambda {
        /// The authorizer function's ARN.
        function_arn: Value<String>,
        /// Where the identity is read; a request without it is refused before the function runs.
        identity_sources: Vec<String>,
    },
    /// Anyone may connect; `reason` says why, and is written as the suppression of Control
    /// Tower's CT.APIGATEWAY.PR.5 on `$connect`. An empty reason is a synthesis error.
    Open {
        /// Why the API is open.
        reason: String,
    },
}

/// What a [`WebSocketApi`] runs.
#[derive(Clone, Debug, PartialEq)]
pub struct WebSocketApiProps {
    /// The function's code.
    pub code: LambdaCode,
    /// The handler. Default: `index.handler` (for inline code).
    pub handler: String,
    /// Memory, MB. Default: 256.
    pub memory_mb: i64,
    /// Timeout, seconds. Default: 29 (API Gateway's own limit).
    pub timeout_seconds: i64,
    /// Extra environment variables. Default: none.
    pub environment: BTreeMap<String, String>,
    /// Steady-state requests per second of the stage. Default: 500.
    pub throttling_rate: f64,
    /// Burst of the stage. Default: 1000.
    pub throttling_burst: i64,
    /// The stage name. Default: `live`.
    pub stage_name: String,
    /// Days logs are kept. Default: 365 (a year, what Control Tower's CT.CLOUDWATCH.PR.2 asks).
    pub log_retention_days: i64,
    /// Who may connect. Default: [`ConnectAuth::Iam`].
    pub connect_auth: ConnectAuth,
    /// Concurrency reserved for the function (`ReservedConcurrentExecutions`): at most this many
    /// run at once, and the account's other functions cannot take them. Default: `None`, not
    /// reserved (the stage's throttling bounds the function), since a reservation is carved out
    /// of the account's concurrency and fails the deploy where the account's quota cannot spare
    /// it; the template then says so to checkov (CKV_AWS_115).
    pub reserved_concurrency: Option<i64>,
}

impl WebSocketApiProps {
    /// Python 3.12, 256 MB, 29 s, 500 rps / 1000 burst, stage `live`.
    pub fn new(code: LambdaCode) -> Self {
        WebSocketApiProps {
            code,
            handler: "index.handler".into(),
            memory_mb: 256,
            timeout_seconds: 29,
            environment: BTreeMap::new(),
            throttling_rate: 500.0,
            throttling_burst: 1000,
            stage_name: "live".into(),
            log_retention_days: 365,
            connect_auth: ConnectAuth::Iam,
            reserved_concurrency: None,
        }
    }
}

/// Why a permission for API Gateway passes Control Tower's CT.LAMBDA.PR.2 in fact.
const PERMISSION_SOURCE_REASON: &str = "only API Gateway may invoke, and only for this API in this account and region: \
                                        SourceArn is the API's ARN, an Fn::Sub the rule does not read as a local reference";

/// Why the function is outside the VPC.
const NO_VPC_REASON: &str = "the function reaches only API Gateway's connection endpoint, CloudWatch Logs and X-Ray, \
                             public AWS endpoints; in the VPC it would need NAT or endpoints for nothing it reads there";

/// `arn:…:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations`: what an
/// integration or authorizer calls a Lambda function by.
fn lambda_uri(function_arn: Value<String>) -> Value<String> {
    Value::sub_with(
        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Function}/invocations",
        [("Function", function_arn)],
    )
}

/// A Lambda `REQUEST` authorizer of `$connect` as `scope/ConnectAuthorizer` (named
/// `<stack>-<id>-connect`), calling the function of `function_arn` with `identity_sources`, and
/// the permission `scope/<permission_id>` for API Gateway to invoke `function_name` for this
/// authorizer only.
fn connect_authorizer(
    scope: &Scope,
    id: &str,
    api: Handle<Api>,
    (function_arn, function_name): (Value<String>, Value<String>),
    identity_sources: Vec<Value<String>>,
    permission_id: &str,
) -> Handle<Authorizer> {
    let authorizer = scope.add(
        "ConnectAuthorizer",
        Authorizer {
            api_id: api.ref_(),
            authorizer_type: "REQUEST".into(),
            authorizer_uri: Some(lambda_uri(function_arn)),
            identity_source: Some(List::items(identity_sources)),
            name: Value::sub(format!("${{AWS::StackName}}-{id}-connect")),
            ..Default::default()
        },
    );
    let permission = scope.add(
        permission_id,
        LambdaPermission {
            action: "lambda:InvokeFunction".into(),
            function_name,
            principal: "apigateway.amazonaws.com".into(),
            source_arn: Some(Value::sub_with(
                "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/authorizers/${Authorizer}",
                [("Api", api.ref_()), ("Authorizer", authorizer.ref_())],
            )),
            ..Default::default()
        },
    );
    scope.options(permission).suppress("CT.LAMBDA.PR.2", PERMISSION_SOURCE_REASON);
    authorizer
}

/// The fields of a WebSocket stage's JSON access log lines, before the integration's error
/// message: who asked, when, which route, with what status, on which connection.
const ACCESS_LOG_FIELDS: &str = concat!(
    r#""requestId":"$context.requestId","ip":"$context.identity.sourceIp","#,
    r#""requestTime":"$context.requestTime","eventType":"$context.eventType","#,
    r#""routeKey":"$context.routeKey","status":"$context.status","#,
    r#""connectionId":"$context.connectionId""#
);

/// What a [`websocket_stage`] is made of.
struct StageProps<'a> {
    /// The stage's name.
    name: &'a str,
    /// The default throttle: steady requests per second and burst.
    throttle: (f64, i64),
    /// Per-route settings (`RouteSettings`), when any route has its own.
    route_settings: Option<Expr>,
    /// The log group of the access logs.
    access_logs: Handle<LogGroup>,
    /// More fields of the access log lines, after [`ACCESS_LOG_FIELDS`] (`,"user":…`), if any.
    extra_log_fields: &'a str,
    /// The routes it deploys (it waits for them).
    routes: &'a [Handle<Route>],
}

/// The auto-deployed stage `scope/Stage` of `api`: throttled, detailed metrics, no data traces,
/// JSON access logs; created after its routes. API Gateway writes the logs with the account's
/// CloudWatch role, which doctor checks: the stage's suppression of HAP004 says so.
fn websocket_stage(scope: &Scope, api: Handle<Api>, props: StageProps<'_>) -> Handle<Stage> {
    let stage = scope.add(
        "Stage",
        Stage {
            api_id: api.ref_(),
            stage_name: props.name.into(),
            auto_deploy: Some(true.into()),
            default_route_settings: Some(RouteSettings {
                throttling_rate_limit: Some(props.throttle.0.into()),
                throttling_burst_limit: Some(props.throttle.1.into()),
                detailed_metrics_enabled: Some(true.into()),
                data_trace_enabled: Some(false.into()),
                ..Default::default()
            }),
            route_settings: props.route_settings,
            access_log_settings: Some(AccessLogSettings {
                destination_arn: Some(props.access_logs.attr_arn()),
                format: Some(
                    format!(
                        r#"{{{ACCESS_LOG_FIELDS}{},"integrationError":"$context.integrationErrorMessage"}}"#,
                        props.extra_log_fields
                    )
                    .into(),
                ),
            }),
            ..Default::default()
        },
    );
    for r in props.routes {
        scope.options(stage).depends_on(*r);
    }
    scope.options(stage).suppress("HAP004", APIGATEWAY_LOGS_ROLE_REASON);
    stage
}

/// An API Gateway WebSocket stage's metric `name` (`AWS/ApiGateway`, per `ApiId` and `Stage`).
fn stage_metric(api: Handle<Api>, stage: Handle<Stage>, name: &str) -> MetricRef {
    MetricRef::new("AWS/ApiGateway", name, [("ApiId", api.ref_()), ("Stage", stage.ref_())])
}

/// The queries of a WebSocket stage's alarms: `errors`, the share (%) of connections and
/// messages that failed in the integration or its execution; `clients`, the share refused (4xx);
/// `latency`, the p99 integration latency (ms).
struct StageAlarmQueries {
    errors: Vec<MetricDataQuery>,
    clients: Vec<MetricDataQuery>,
    latency: Vec<MetricDataQuery>,
}

fn stage_alarm_queries(api: Handle<Api>, stage: Handle<Stage>) -> StageAlarmQueries {
    let metric = |name: &str| stage_metric(api, stage, name);
    let traffic = "(FILL(connects, 0) + FILL(messages, 0))";
    let ratio = |bad: &str| format!("IF({traffic} > 0, 100 * ({bad}) / {traffic}, 0)");
    let base = || {
        vec![metric("ConnectCount").query("connects", "Sum", 60), metric("MessageCount").query("messages", "Sum", 60)]
    };
    let mut errors = base();
    errors.push(metric("IntegrationError").query("integration", "Sum", 60));
    errors.push(metric("ExecutionError").query("execution", "Sum", 60));
    errors.push(expression("rate", &ratio("FILL(integration, 0) + FILL(execution, 0)"), "Errors (%)"));
    let mut clients = base();
    clients.push(metric("ClientError").query("client", "Sum", 60));
    clients.push(expression("rate", &ratio("FILL(client, 0)"), "Client errors (%)"));
    let latency = vec![
        metric("IntegrationLatency").query("p99", "p99", 60),
        expression("latency", "FILL(p99, 0)", "p99 integration latency (ms)"),
    ];
    StageAlarmQueries { errors, clients, latency }
}

/// The API, its function and logs (see the [module](self) docs).
#[derive(Clone, Debug)]
pub struct WebSocketApi {
    /// The API.
    pub api: Handle<Api>,
    /// The stage.
    pub stage: Handle<Stage>,
    /// The function.
    pub function: Handle<Function>,
    /// Its execution role.
    pub role: Handle<Role>,
    /// The access log group.
    pub access_logs: Handle<LogGroup>,
    /// The function's log group.
    pub function_logs: Handle<LogGroup>,
}

impl WebSocketApi {
    /// Adds the API under `scope.child(id)`.
    pub fn new(scope: &Scope, id: &str, props: WebSocketApiProps) -> WebSocketApi {
        let scope = scope.child(id);
        if let LambdaCode::Inline(src) = &props.code
            && src.len() > 4096
        {
            scope.error(format!(
                "inline code is {} bytes; Lambda takes at most 4096 inline: use LambdaCode::S3",
                src.len()
            ));
        }
        if !(128..=10240).contains(&props.memory_mb) {
            scope.error(format!("memory {} MB: use 128 to 10240", props.memory_mb));
        }
        if !(1..=29).contains(&props.timeout_seconds) {
            scope.error(format!("timeout {} s: API Gateway waits at most 29 s", props.timeout_seconds));
        }
        if props.stage_name.is_empty()
            || props.stage_name.len() > 128
            || !props.stage_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            scope.error(format!(
                "stage name {:?}: use 1 to 128 letters, digits, - and _",
                props.stage_name.chars().take(64).collect::<String>()
            ));
        }
        if !(props.throttling_rate.is_finite() && props.throttling_rate > 0.0) || props.throttling_burst < 1 {
            scope.error(format!(
                "throttling: rate and burst must be positive (got {} rps, {})",
                props.throttling_rate, props.throttling_burst
            ));
        }
        check_retention(&scope, props.log_retention_days);
        let key = KmsKey::new(
            &scope,
            "LogKey",
            "Encrypts the WebSocket API's logs and its function's environment",
            &[KeyUser::CloudWatchLogs],
        );
        let log_group = |id: &str| {
            let props = LogGroupProps { name: None, retention_days: props.log_retention_days, key: &key };
            crate::logs::LogGroup::new(&scope, id, props)
        };
        let access_logs = log_group("AccessLogs").handle;
        let function_log_group = log_group("FunctionLogs");
        let function_logs = function_log_group.handle;

        let api = scope.add(
            "Api",
            Api {
                name: Some(Value::sub(format!("${{AWS::StackName}}-{id}"))),
                protocol_type: Some("WEBSOCKET".into()),
                route_selection_expression: Some("$request.body.action".into()),
                ..Default::default()
            },
        );
        let role = scope.add(
            "FunctionRole",
            Role {
                description: Some("Runs the WebSocket handler: its logs, replies on this API's connections, X-Ray".into()),
                assume_role_policy_document: trust_policy("lambda.amazonaws.com"),
                policies: Some(List::items(vec![Policy {
                    policy_name: "Handler".into(),
                    policy_document: expr_map! {
                        "Version" => "2012-10-17",
                        "Statement" => expr_list![
                            expr_map! {
                                "Effect" => "Allow",
                                "Action" => expr_list!["logs:CreateLogStream", "logs:PutLogEvents"],
                                "Resource" => expr_list![function_log_group.streams_arn()],
                            },
                            expr_map! {
                                "Effect" => "Allow",
                                "Action" => expr_list!["execute-api:ManageConnections"],
                                "Resource" => expr_list![Value::sub_with(
                                    format!("arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{Api}}/{}/POST/@connections/*", props.stage_name),
                                    [("Api", api.ref_())],
                                )],
                            },
                            unscoped_statement(&["xray:PutTelemetryRecords", "xray:PutTraceSegments"]),
                            // The environment is encrypted with the key: the function decrypts it.
                            expr_map! {
                                "Effect" => "Allow",
                                "Action" => expr_list!["kms:Decrypt"],
                                "Resource" => expr_list![key.arn()],
                            },
                        ],
                    },
                }])),
                ..Default::default()
            },
        );
        let mut variables: BTreeMap<String, Expr> =
            props.environment.iter().map(|(k, v)| (k.clone(), Expr::from(v.as_str()))).collect();
        variables.insert(
            "CALLBACK_URL".into(),
            Value::sub_with(
                format!("https://${{Api}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{}", props.stage_name),
                [("Api", api.ref_())],
            )
            .into(),
        );
        let function = scope.add(
            "Function",
            Function {
                description: Some(format!("Handles the {id} WebSocket routes").into()),
                runtime: Some(Runtime::Python312.into()),
                handler: Some(props.handler.clone().into()),
                code: match &props.code {
                    LambdaCode::Inline(src) => Code { zip_file: Some(src.clone().into()), ..Default::default() },
                    LambdaCode::S3 { bucket, key } => {
                        Code { s3_bucket: Some(bucket.clone()), s3_key: Some(key.clone()), ..Default::default() }
                    }
                },
                role: role.attr_arn(),
                memory_size: Some(props.memory_mb.into()),
                timeout: Some(props.timeout_seconds.into()),
                tracing_config: Some(TracingConfig { mode: Some(Mode::Active.into()) }),
                logging_config: Some(LoggingConfig {
                    log_group: Some(function_logs.ref_()),
                    log_format: Some(LogFormat::Json.into()),
                    ..Default::default()
                }),
                environment: Some(Environment { variables: Some(variables) }),
                kms_key_arn: Some(key.arn()),
                reserved_concurrent_executions: props.reserved_concurrency.map(Into::into),
                ..Default::default()
            },
        );
        match props.reserved_concurrency {
            Some(n) if n < 1 => scope.error(format!("reserved concurrency {n}: reserve at least 1, or None")),
            Some(_) => {}
            None => {
                scope.options(function).suppress(
                    "CKV_AWS_115",
                    "no concurrency reserved by default: the stage's throttling (WebSocketApiProps::throttling_rate and \
                     throttling_burst) bounds the function, and a reservation would be carved out of the account's \
                     concurrency, failing the deploy where its quota cannot spare it; reserved_concurrency sets one",
                );
            }
        }
        scope
            .options(function)
            .suppress(
                "CKV_AWS_116",
                "API Gateway invokes the function synchronously and returns its errors to the caller; a dead-letter \
                 queue only ever receives asynchronous invocations",
            )
            .suppress("CKV_AWS_117", NO_VPC_REASON)
            .suppress("CT.LAMBDA.PR.3", NO_VPC_REASON);
        let integration = scope.add(
            "Integration",
            Integration {
                api_id: api.ref_(),
                integration_type: "AWS_PROXY".into(),
                // "For WebSocket APIs, if you use a Lambda integration, you must set the
                // integration method to POST" (AWS::ApiGatewayV2::Integration, IntegrationMethod).
                integration_method: Some("POST".into()),
                integration_uri: Some(lambda_uri(function.attr_arn())),
                ..Default::default()
            },
        );
        let (connect_type, authorizer) = match &props.connect_auth {
            ConnectAuth::Iam => (Some("AWS_IAM"), None),
            ConnectAuth::Lambda { function_arn, identity_sources } => {
                let authorizer = connect_authorizer(
                    &scope,
                    id,
                    api,
                    (function_arn.clone(), function_arn.clone()),
                    identity_sources.iter().map(|s| s.as_str().into()).collect(),
                    "ConnectAuthorizerPermission",
                );
                (Some("CUSTOM"), Some(authorizer))
            }
            ConnectAuth::Open { reason } => {
                if reason.trim().is_empty() {
                    scope.error("ConnectAuth::Open needs the reason anyone may connect");
                }
                (None, None)
            }
        };
        let mut routes = Vec::new();
        for (rid, key) in
            [("ConnectRoute", "$connect"), ("DisconnectRoute", "$disconnect"), ("DefaultRoute", "$default")]
        {
            let connect = key == "$connect";
            let route = scope.add(
                rid,
                Route {
                    api_id: api.ref_(),
                    route_key: key.into(),
                    operation_name: Some(rid.trim_end_matches("Route").into()),
                    target: Some(Value::sub_with("integrations/${Integration}", [("Integration", integration.ref_())])),
                    authorization_type: connect.then_some(connect_type).flatten().map(Into::into),
                    authorizer_id: connect.then_some(authorizer).flatten().map(|a| a.ref_()),
                    ..Default::default()
                },
            );
            match (&props.connect_auth, connect) {
                (ConnectAuth::Open { reason }, true) if !reason.trim().is_empty() => {
                    scope.options(route).suppress("CT.APIGATEWAY.PR.5", reason);
                }
                (_, false) => {
                    scope.options(route).suppress(
                        "CT.APIGATEWAY.PR.5",
                        "a WebSocket API authorizes only $connect: this route's messages travel on a connection \
                         $connect let in",
                    );
                }
                _ => {}
            }
            routes.push(route);
        }
        let stage = websocket_stage(
            &scope,
            api,
            StageProps {
                name: &props.stage_name,
                throttle: (props.throttling_rate, props.throttling_burst),
                route_settings: None,
                access_logs,
                extra_log_fields: "",
                routes: &routes,
            },
        );
        let permission = scope.add(
            "InvokePermission",
            LambdaPermission {
                action: "lambda:InvokeFunction".into(),
                function_name: function.ref_(),
                principal: "apigateway.amazonaws.com".into(),
                source_arn: Some(Value::sub_with(
                    "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*",
                    [("Api", api.ref_())],
                )),
                ..Default::default()
            },
        );
        scope.options(permission).suppress("CT.LAMBDA.PR.2", PERMISSION_SOURCE_REASON);
        WebSocketApi { api, stage, function, role, access_logs, function_logs }
    }

    /// Adds the API's alarms under `scope.child(id)` (in the API's stack), notifying `actions`:
    /// critical when integration and execution errors pass 5% of connections and messages (3
    /// minutes of 5; API Gateway counts them per API and stage), warnings for clients refused
    /// (4xx, `$connect` authorization included) above 20%, p99 integration latency above 1 s, and
    /// the function throttled. AWS WAF cannot protect a WebSocket API: these, the stage throttling
    /// and the `$connect` authorizer are its protection (docs/security.md).
    pub fn alarms(&self, scope: &Scope, id: &str, actions: &[Value<String>]) -> Vec<Handle<Alarm>> {
        let scope = scope.child(id);
        let mut alarms = Alarms { actions: actions.to_vec(), critical: Vec::new(), warning: Vec::new() };
        let StageAlarmQueries { errors, clients, latency } = stage_alarm_queries(self.api, self.stage);
        let throttles = vec![
            MetricRef::new("AWS/Lambda", "Throttles", [("FunctionName", self.function.ref_())]).query("t", "Sum", 60),
            expression("throttled", "FILL(t, 0)", "Throttled invocations"),
        ];
        let specs = [
            (
                "Errors",
                "more than 5% of connections and messages fail in the integration",
                Severity::Critical,
                errors,
                5.0,
            ),
            (
                "ClientErrors",
                "more than 20% of requests refused (4xx, $connect authorization included)",
                Severity::Warning,
                clients,
                20.0,
            ),
            ("Latency", "p99 integration latency above 1000 ms", Severity::Warning, latency, 1000.0),
            (
                "Throttles",
                "its function is throttled (reserved concurrency reached)",
                Severity::Warning,
                throttles,
                0.0,
            ),
        ];
        specs
            .into_iter()
            .map(|(id, what, severity, metrics, threshold)| {
                let runbook = (severity == Severity::Critical).then_some(Runbook::Rollback);
                let spec = AlarmSpec {
                    id: id.into(),
                    description: format!("WebSocket API: {what}"),
                    severity,
                    metrics,
                    single: None,
                    threshold,
                    periods: 5,
                    datapoints: 3,
                    runbook,
                };
                alarms.add(&scope, spec, None)
            })
            .collect()
    }

    /// What says the API is down in a region, for the region's health check
    /// ([`MultiRegionApi::watch_in_region_health`](crate::api::MultiRegionApi::watch_in_region_health)):
    /// a TCP check of its regional endpoint (`<api>.execute-api.<region>.<suffix>`, port 443,
    /// every 10 s). Its error rate (the `Errors` alarm of [`WebSocketApi::alarms`]) is metric
    /// math, which Route 53 does not read: it pages instead.
    pub fn health_signals(&self) -> HealthSignals {
        let domain_name =
            Value::sub_with("${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}", [("Api", self.api.ref_())]);
        HealthSignals { alarms: Vec::new(), checks: vec![HealthCheckProps::Tcp { domain_name }] }
    }

    /// The `wss://` URL of the stage.
    pub fn url(&self) -> Value<String> {
        Value::sub_with(
            "wss://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}",
            [("Api", self.api.ref_()), ("Stage", self.stage.ref_())],
        )
    }
}
