//! [`RealtimeApi`]: the regional half of the real-time tier, in each region of a stack set.
//!
//! - `$connect` is authorized by a Lambda `REQUEST` authorizer that verifies a JWT of the
//!   environment's issuer and audience ([`RealtimeAuth::Jwt`]). API Gateway runs an authorizer
//!   on `$connect` only: "You can only use a Lambda authorizer function for the $connect route"
//!   (<https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html>);
//!   later messages travel on the connection it let in (HAP044 refuses an authorizer elsewhere).
//! - `$connect` and `$disconnect` go to one function that writes the connection registry (a
//!   DynamoDB global table: connection id, user, region, `expiresAt` for TTL), with exactly
//!   `PutItem`/`DeleteItem` on the table's replica in its region.
//! - `$default` goes straight to an SQS queue of the region (an `AWS` integration: API Gateway
//!   calls `SendMessage` with a role that may send to exactly that queue and use its key), with
//!   the connection id and user as message attributes; a dead-letter queue keeps what the
//!   workers fail ([`WorkQueue`]). The workers ([`RealtimeWorkers`](super::RealtimeWorkers))
//!   reply through the `@connections` API.
//! - Throttling per stage (the default route settings) and per route (`RouteSettings`):
//!   AWS WAF cannot be associated with a WebSocket API (its regional resources are REST APIs,
//!   ALBs, AppSync, Cognito, App Runner, Verified Access, Amplify:
//!   <https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-associating-aws-resource.html>),
//!   so the throttles and the authorizer are the API's protection (HAP046 wants the throttles).
//! - A custom domain in each region ([`RealtimeDomain`]): a regional ACM certificate of the
//!   stack's region for `ws.<domain>` and `<region>.ws.<domain>` ("For an API Gateway Regional
//!   custom domain name, you must request or import the certificate in the same Region as your
//!   API", <https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-custom-domains-prerequisites.html>;
//!   HAP045), the `REGIONAL` domain name and its API mapping; [`RealtimeApi::endpoints`] gives
//!   the Route 53 records of a [`FailoverDns`](crate::dns::FailoverDns) what to alias.

use std::collections::BTreeMap;

use haplat_core::resources::apigatewayv2::api::Api;
use haplat_core::resources::apigatewayv2::api_mapping::ApiMapping;
use haplat_core::resources::apigatewayv2::domain_name::{DomainName, DomainNameConfiguration};
use haplat_core::resources::apigatewayv2::integration::Integration;
use haplat_core::resources::apigatewayv2::route::Route;
use haplat_core::resources::apigatewayv2::stage::Stage;
use haplat_core::resources::cloudwatch::alarm::{
    Alarm, ComparisonOperator, MetricDataQuery, Statistic, TreatMissingData,
};
use haplat_core::resources::iam::role::{Policy, Role};
use haplat_core::resources::lambda::function::{
    Code, Environment, Function, LogFormat, LoggingConfig, Mode, Runtime, TracingConfig,
};
use haplat_core::resources::lambda::permission::Permission as LambdaPermission;
use haplat_core::value::{Expr, List, Value};
use haplat_core::{Handle, Scope, expr_map};

use super::{
    NO_VPC_REASON, PERMISSION_SOURCE_REASON, StageAlarmQueries, StageProps, code, connect_authorizer, lambda_uri,
    stage_alarm_queries, stage_metric, websocket_stage,
};
use crate::alarm::{AlarmSpec, Alarms, Runbook, metric_alarm};
use crate::certificate::{Certificate, CertificateProps};
use crate::global_table::GlobalTable;
use crate::health_check::{HealthCheckProps, HealthSignals};
use crate::kms::{KeyUser, KmsKey};
use crate::logs::{LogGroupProps, check_retention};
use crate::metrics::{MetricRef, Severity, Sli};
use crate::platform::{RegionRole, RegionSpec, RegionalEndpoint};
use crate::queue::{WorkQueue, WorkQueueProps};
use crate::security::{Permission, policy_document, trust_policy, unscoped_statement};
use crate::slo::{Slo, SloProps};
use crate::zone::HostedZone;

/// Who may open a connection.
#[derive(Clone, Debug, PartialEq)]
pub enum RealtimeAuth {
    /// A JWT (RS256) of `issuer` for `audience`, in the `token` query parameter of `$connect`,
    /// verified against the issuer's JWKS (`<issuer>/.well-known/jwks.json` unless `jwks_url`).
    Jwt {
        /// The `iss` the token must carry (`https://auth.example.com/`).
        issuer: String,
        /// The `aud` the token must name.
        audience: String,
        /// Where the signing keys are. Default: `None`, the issuer's `/.well-known/jwks.json`.
        jwks_url: Option<String>,
    },
}

/// The custom domain of the API in each region.
#[derive(Clone, Debug, PartialEq)]
pub struct RealtimeDomain {
    /// The routed name (`ws.example.com`); each region also answers `<region>.ws.example.com`.
    pub name: String,
    /// The zone the certificate is validated in.
    pub zone: HostedZone,
}

/// Requests per second and burst of one route.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RouteThrottle {
    /// Steady-state requests per second.
    pub rate: f64,
    /// Burst.
    pub burst: i64,
}

/// What a [`RealtimeApi`] is made of.
#[derive(Clone, Debug)]
pub struct RealtimeProps<'a> {
    /// The connection registry (a global table with partition key `connectionId` and a replica
    /// in every region of the API).
    pub registry: &'a GlobalTable,
    /// Who may connect.
    pub auth: RealtimeAuth,
    /// The custom domain. Default: `None`, the `execute-api` name only.
    pub domain: Option<RealtimeDomain>,
    /// The regions of the stack set and their roles (for [`RealtimeApi::endpoints`]).
    pub regions: Vec<RegionSpec>,
    /// The stage's throttle (every route without its own). Default: 500 rps, burst 1000.
    pub stage_throttle: RouteThrottle,
    /// Per-route throttles (route key → throttle). Default: `$connect` 50 rps, burst 100 (a
    /// reconnect storm after a regional failover must not take the registry's whole capacity).
    pub route_throttles: BTreeMap<String, RouteThrottle>,
    /// The stage name. Default: `live`.
    pub stage_name: String,
    /// Seconds a registry entry lives (`expiresAt`): API Gateway closes a connection after 2
    /// hours, so an entry whose `$disconnect` was lost is cleaned by TTL after this. Default: 7200.
    pub connection_ttl_seconds: i64,
    /// Days logs are kept. Default: 365.
    pub log_retention_days: i64,
}

impl<'a> RealtimeProps<'a> {
    /// Defaults around the registry, the authorization and the regions.
    pub fn new(registry: &'a GlobalTable, auth: RealtimeAuth, regions: Vec<RegionSpec>) -> Self {
        RealtimeProps {
            registry,
            auth,
            domain: None,
            regions,
            stage_throttle: RouteThrottle { rate: 500.0, burst: 1000 },
            route_throttles: BTreeMap::from([("$connect".to_owned(), RouteThrottle { rate: 50.0, burst: 100 })]),
            stage_name: "live".into(),
            connection_ttl_seconds: 7200,
            log_retention_days: 365,
        }
    }
}

/// The API, its functions, queue, domain (see the [module](self) docs).
#[derive(Clone, Debug)]
pub struct RealtimeApi {
    /// The API.
    pub api: Handle<Api>,
    /// The stage.
    pub stage: Handle<Stage>,
    /// The stage's name.
    pub stage_name: String,
    /// The messages of `$default` and their dead-letter queue.
    pub queue: WorkQueue,
    /// The key of the logs, the functions' environment and the queues.
    pub key: KmsKey,
    /// The `$connect`/`$disconnect` function.
    pub connections: Handle<Function>,
    /// The authorizer's function.
    pub authorizer: Handle<Function>,
    /// The custom domain, when there is one.
    pub domain: Option<Handle<DomainName>>,
    domain_name: Option<String>,
    regions: Vec<RegionSpec>,
}

/// A function with its role and log group: Python 3.12, inline code, X-Ray, JSON logs in a
/// log group of `key`, its environment encrypted with `key`, outside the VPC.
struct FunctionSpec<'a> {
    /// Its construct id (`<id>Logs`, `<id>Role` beside it).
    id: &'a str,
    /// What it is, for the descriptions.
    what: &'a str,
    /// The inline source.
    source: &'a str,
    /// Its environment variables.
    environment: BTreeMap<String, Expr>,
    /// Its role's statements beyond logs, X-Ray and the key.
    statements: Vec<Expr>,
}

/// Adds the function (see [`FunctionSpec`]).
fn function(scope: &Scope, key: &KmsKey, retention_days: i64, spec: FunctionSpec<'_>) -> Handle<Function> {
    let FunctionSpec { id, what, source, environment, statements } = spec;
    let logs =
        crate::logs::LogGroup::new(scope, &format!("{id}Logs"), LogGroupProps { name: None, retention_days, key });
    let mut all = vec![
        Permission::new(["logs:CreateLogStream", "logs:PutLogEvents"], [logs.streams_arn()]).statement(),
        unscoped_statement(&["xray:PutTelemetryRecords", "xray:PutTraceSegments"]),
        Permission::new(["kms:Decrypt"], [key.arn()]).statement(),
    ];
    all.extend(statements);
    let role = scope.add(
        &format!("{id}Role"),
        Role {
            description: Some(format!("Runs the {what}").into()),
            assume_role_policy_document: trust_policy("lambda.amazonaws.com"),
            policies: Some(List::items(vec![Policy { policy_name: id.into(), policy_document: policy_document(all) }])),
            ..Default::default()
        },
    );
    let f = scope.add(
        id,
        Function {
            description: Some(format!("The {what}").into()),
            runtime: Some(Runtime::Python312.into()),
            handler: Some("index.handler".into()),
            code: Code { zip_file: Some(source.into()), ..Default::default() },
            role: role.attr_arn(),
            memory_size: Some(256.into()),
            timeout: Some(10.into()),
            tracing_config: Some(TracingConfig { mode: Some(Mode::Active.into()) }),
            logging_config: Some(LoggingConfig {
                log_group: Some(logs.handle.ref_()),
                log_format: Some(LogFormat::Json.into()),
                ..Default::default()
            }),
            environment: Some(Environment { variables: Some(environment) }),
            kms_key_arn: Some(key.arn()),
            ..Default::default()
        },
    );
    scope
        .options(f)
        .suppress(
            "CKV_AWS_115",
            "no concurrency reserved: the stage's per-route throttles bound the function, and a reservation is carved \
             out of the account's concurrency, failing the deploy where its quota cannot spare it",
        )
        .suppress(
            "CKV_AWS_116",
            "API Gateway invokes the function synchronously and returns its errors to the caller; a dead-letter \
             queue only ever receives asynchronous invocations",
        )
        .suppress("CKV_AWS_117", NO_VPC_REASON)
        .suppress("CT.LAMBDA.PR.3", NO_VPC_REASON);
    f
}

impl RealtimeApi {
    /// Adds the API under `scope.child(id)`, in a stack set over `props.regions`.
    pub fn new(scope: &Scope, id: &str, props: RealtimeProps<'_>) -> RealtimeApi {
        let scope = scope.child(id);
        check(&scope, &props);
        let key = KmsKey::new(
            &scope,
            "Key",
            "Encrypts the real-time API's logs, its functions' environment and its queues",
            &[KeyUser::CloudWatchLogs],
        );
        let access_logs = crate::logs::LogGroup::new(
            &scope,
            "AccessLogs",
            LogGroupProps { name: None, retention_days: props.log_retention_days, key: &key },
        )
        .handle;
        let api = scope.add(
            "Api",
            Api {
                name: Some(Value::sub(format!("${{AWS::StackName}}-{id}"))),
                protocol_type: Some("WEBSOCKET".into()),
                route_selection_expression: Some("$request.body.action".into()),
                ..Default::default()
            },
        );

        // $connect and $disconnect: the registry.
        let registry_write = Permission::new(["dynamodb:DeleteItem", "dynamodb:PutItem"], [props.registry.arn()]);
        let connections = function(
            &scope,
            &key,
            props.log_retention_days,
            FunctionSpec {
                id: "Connections",
                what: "real-time API's $connect/$disconnect handler (the connection registry)",
                source: code::CONNECTIONS,
                environment: BTreeMap::from([
                    ("TABLE".to_owned(), props.registry.table_name().into()),
                    ("TTL_SECONDS".to_owned(), props.connection_ttl_seconds.to_string().into()),
                ]),
                statements: vec![registry_write.statement()],
            },
        );
        let connections_integration = scope.add(
            "ConnectionsIntegration",
            Integration {
                api_id: api.ref_(),
                integration_type: "AWS_PROXY".into(),
                integration_method: Some("POST".into()),
                integration_uri: Some(lambda_uri(connections.attr_arn())),
                ..Default::default()
            },
        );
        let invoke = scope.add(
            "ConnectionsPermission",
            LambdaPermission {
                action: "lambda:InvokeFunction".into(),
                function_name: connections.ref_(),
                principal: "apigateway.amazonaws.com".into(),
                source_arn: Some(Value::sub_with(
                    "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*",
                    [("Api", api.ref_())],
                )),
                ..Default::default()
            },
        );
        scope.options(invoke).suppress("CT.LAMBDA.PR.2", PERMISSION_SOURCE_REASON);

        // The $connect authorizer.
        let RealtimeAuth::Jwt { issuer, audience, jwks_url } = &props.auth;
        let mut env: BTreeMap<String, Expr> = BTreeMap::from([
            ("ISSUER".to_owned(), issuer.as_str().into()),
            ("AUDIENCE".to_owned(), audience.as_str().into()),
        ]);
        if let Some(url) = jwks_url {
            env.insert("JWKS_URL".into(), url.as_str().into());
        }
        let authorizer_fn = function(
            &scope,
            &key,
            props.log_retention_days,
            FunctionSpec {
                id: "Authorizer",
                what: "real-time API's $connect authorizer (JWT)",
                source: code::AUTHORIZER,
                environment: env,
                statements: Vec::new(),
            },
        );
        let authorizer = connect_authorizer(
            &scope,
            id,
            api,
            (authorizer_fn.attr_arn(), authorizer_fn.ref_()),
            vec!["route.request.querystring.token".into()],
            "AuthorizerPermission",
        );

        // $default: the region's queue.
        let queue = WorkQueue::new(&scope, "Messages", WorkQueueProps::new(&key));
        let send_role = scope.add(
            "QueueRole",
            Role {
                description: Some("API Gateway sends $default messages to exactly this queue".into()),
                assume_role_policy_document: trust_policy("apigateway.amazonaws.com"),
                policies: Some(List::items(vec![Policy {
                    policy_name: "SendMessages".into(),
                    policy_document: policy_document(vec![queue.send().statement(), queue.key_use().statement()]),
                }])),
                ..Default::default()
            },
        );
        // SendMessage as a form POST to the queue's path; the body URL-encoded, the connection
        // and the user as message attributes the workers reply with.
        let template = concat!(
            "Action=SendMessage&MessageBody=$util.urlEncode($input.body)",
            "&MessageAttribute.1.Name=connectionId&MessageAttribute.1.Value.DataType=String",
            "&MessageAttribute.1.Value.StringValue=$context.connectionId",
            "&MessageAttribute.2.Name=userId&MessageAttribute.2.Value.DataType=String",
            "&MessageAttribute.2.Value.StringValue=$util.urlEncode($context.authorizer.principalId)"
        );
        let queue_integration = scope.add(
            "QueueIntegration",
            Integration {
                api_id: api.ref_(),
                integration_type: "AWS".into(),
                integration_method: Some("POST".into()),
                integration_uri: Some(Value::sub_with(
                    "arn:${AWS::Partition}:apigateway:${AWS::Region}:sqs:path/${AWS::AccountId}/${Queue}",
                    [("Queue", queue.queue.attr_queue_name())],
                )),
                credentials_arn: Some(send_role.attr_arn()),
                passthrough_behavior: Some("NEVER".into()),
                request_parameters: Some(BTreeMap::from([(
                    "integration.request.header.Content-Type".to_owned(),
                    "'application/x-www-form-urlencoded'".into(),
                )])),
                template_selection_expression: Some("\\$default".into()),
                request_templates: Some(BTreeMap::from([("$default".to_owned(), template.into())])),
                ..Default::default()
            },
        );

        let target = |i: Handle<Integration>| Value::sub_with("integrations/${I}", [("I", i.ref_())]);
        let reason = "a WebSocket API authorizes only $connect: this route's messages travel on a connection $connect \
                      let in";
        let connect = scope.add(
            "ConnectRoute",
            Route {
                api_id: api.ref_(),
                route_key: "$connect".into(),
                operation_name: Some("Connect".into()),
                target: Some(target(connections_integration)),
                authorization_type: Some("CUSTOM".into()),
                authorizer_id: Some(authorizer.ref_()),
                ..Default::default()
            },
        );
        let mut routes = vec![connect];
        for (rid, key_, integration) in [
            ("DisconnectRoute", "$disconnect", connections_integration),
            ("DefaultRoute", "$default", queue_integration),
        ] {
            let r = scope.add(
                rid,
                Route {
                    api_id: api.ref_(),
                    route_key: key_.into(),
                    operation_name: Some(rid.trim_end_matches("Route").into()),
                    target: Some(target(integration)),
                    ..Default::default()
                },
            );
            scope.options(r).suppress("CT.APIGATEWAY.PR.5", reason);
            routes.push(r);
        }

        let route_settings: Vec<(String, Expr)> = props
            .route_throttles
            .iter()
            .map(|(route, t)| {
                (
                    route.clone(),
                    expr_map! {
                        "ThrottlingRateLimit" => Value::<f64>::from(t.rate).into_expr(),
                        "ThrottlingBurstLimit" => t.burst,
                        "DetailedMetricsEnabled" => true,
                        "DataTraceEnabled" => false,
                    },
                )
            })
            .collect();
        let stage = websocket_stage(
            &scope,
            api,
            StageProps {
                name: &props.stage_name,
                throttle: (props.stage_throttle.rate, props.stage_throttle.burst),
                route_settings: (!route_settings.is_empty()).then(|| Expr::Map(route_settings.into_iter().collect())),
                access_logs,
                extra_log_fields: r#","user":"$context.authorizer.principalId""#,
                routes: &routes,
            },
        );

        let domain = props.domain.as_ref().map(|d| {
            let certificate = Certificate::dns_validated(
                &scope,
                "Certificate",
                CertificateProps {
                    alternative_names: vec![Value::sub(format!("${{AWS::Region}}.{}", d.name))],
                    ..CertificateProps::new(d.name.clone(), &d.zone)
                },
            );
            let domain = scope.add(
                "Domain",
                DomainName {
                    domain_name: d.name.clone().into(),
                    domain_name_configurations: Some(List::items(vec![DomainNameConfiguration {
                        certificate_arn: Some(certificate.arn.clone()),
                        endpoint_type: Some("REGIONAL".into()),
                        security_policy: Some("TLS_1_2".into()),
                        ..Default::default()
                    }])),
                    ..Default::default()
                },
            );
            let mapping = scope.add(
                "DomainMapping",
                ApiMapping {
                    api_id: api.ref_(),
                    domain_name: domain.ref_(),
                    stage: stage.ref_(),
                    ..Default::default()
                },
            );
            let _ = mapping;
            domain
        });

        RealtimeApi {
            api,
            stage,
            stage_name: props.stage_name.clone(),
            queue,
            key,
            connections,
            authorizer: authorizer_fn,
            domain,
            domain_name: props.domain.as_ref().map(|d| d.name.clone()),
            regions: props.regions.clone(),
        }
    }

    /// The `@connections` ARN of the API in the stack's own region (what a worker may
    /// `execute-api:ManageConnections` on to reply): `…:<api>/<stage>/POST/@connections/*`.
    pub fn connections_arn(&self) -> Value<String> {
        connections_arn(self.api.ref_(), "${AWS::Region}", &self.stage_name)
    }

    /// The management endpoint of the API (`https://<api>.execute-api.<region>.<suffix>/<stage>`),
    /// where a worker posts to a connection.
    pub fn management_endpoint(&self) -> Value<String> {
        management_endpoint(self.api.ref_(), "${AWS::Region}", &self.stage_name)
    }

    /// The custom domain of each region for the Route 53 records of a
    /// [`FailoverDns`](crate::dns::FailoverDns) (origin label `ws`), each with `health_check`
    /// (a Route 53 health check id of its region, pinned by the caller); empty without a domain.
    pub fn endpoints(&self, health_checks: &BTreeMap<String, Value<String>>) -> Vec<RegionalEndpoint> {
        let (Some(domain), Some(name)) = (self.domain, &self.domain_name) else { return Vec::new() };
        self.regions
            .iter()
            .map(|r| RegionalEndpoint {
                region: r.region.clone(),
                role: r.role,
                dns_name: domain.attr_regional_domain_name().in_region(&r.region),
                hosted_zone_id: domain.attr_regional_hosted_zone_id().in_region(&r.region),
                health_check_path: "/".into(),
                domain_name: name.clone(),
                health_check_id: health_checks.get(&r.region).cloned(),
                api: None,
            })
            .collect()
    }

    /// The regions.
    pub fn regions(&self) -> &[RegionSpec] {
        &self.regions
    }

    /// The primary region.
    pub fn primary(&self) -> Option<&str> {
        self.regions.iter().find(|r| r.role == RegionRole::Primary).map(|r| r.region.as_str())
    }

    /// The tier's availability SLO in the region, as `scope/id`: connections and messages that
    /// failed in the integration (API Gateway's `IntegrationError` and `ExecutionError`) over all
    /// of them (`ConnectCount` and `MessageCount`), with the burn-rate alarms of [`Slo`] to
    /// `actions`. Refusals (4xx: authorization, throttling) spend no error budget.
    pub fn availability_slo(&self, scope: &Scope, id: &str, objective: f64, actions: &[Value<String>]) -> Slo {
        let metric = |name: &str| stage_metric(self.api, self.stage, name);
        let sli = Sli::ErrorRatio {
            bad: vec![metric("IntegrationError"), metric("ExecutionError")],
            total: vec![metric("ConnectCount"), metric("MessageCount")],
        };
        Slo::new(scope, id, SloProps::new(objective, sli).with_actions(actions.to_vec()))
    }

    /// What says the tier is down in a region, for the region's health check
    /// ([`MultiRegionApi::watch_in_region_health`](crate::api::MultiRegionApi::watch_in_region_health)),
    /// with `scope.child(id)` in the API's stack holding its alarm:
    ///
    /// - a TCP check of the region's custom domain (API Gateway's regional endpoint, every 10
    ///   s), when there is one: clients cannot connect;
    /// - `QueueStalled`, a plain alarm on the queue's oldest message (`ApproximateAgeOfOldestMessage`,
    ///   the `Maximum` of a minute, 3 minutes) older than `max_queue_age_seconds`: the workers
    ///   are down or behind, so no reply reaches a client.
    ///
    /// Route 53 reads only plain metric alarms (standard statistics, no metric math), so the
    /// integration error rate (the `Errors` alarm of [`RealtimeApi::alarms`] and the SLO) pages
    /// but cannot take the region out; the workers' own running-task alarm is in their stack,
    /// deployed after the API's, which the API's region health cannot read (a stalled queue is
    /// what a region without workers shows once a message arrives).
    pub fn health_signals(&self, scope: &Scope, id: &str, max_queue_age_seconds: f64) -> HealthSignals {
        let scope = scope.child(id);
        let stalled = scope.add(
            "QueueStalled",
            Alarm {
                alarm_description: Some(
                    format!(
                        "[critical] WebSocket API: the queue's oldest message is older than {max_queue_age_seconds} s \
                         (the workers are down or behind); the region's health check fails, Route 53 takes the \
                         region out"
                    )
                    .into(),
                ),
                evaluation_periods: Some(3.into()),
                threshold: Some(max_queue_age_seconds.into()),
                comparison_operator: Some(ComparisonOperator::GreaterThanThreshold.into()),
                treat_missing_data: Some(TreatMissingData::NotBreaching.into()),
                ..metric_alarm(&self.queue.age_metric(), Statistic::Maximum, 60)
            },
        );
        scope.options(stalled).suppress(
            "CT.CLOUDWATCH.PR.1",
            "Route 53's health check reads this alarm's state and takes the region out of DNS, which is its action; \
             the API's QueueAge alarm pages",
        );
        let checks = self
            .domain
            .map(|d| HealthCheckProps::Tcp { domain_name: d.attr_regional_domain_name() })
            .into_iter()
            .collect();
        HealthSignals { alarms: vec![stalled], checks }
    }

    /// Adds the API's alarms under `scope.child(id)` (in the API's stack), notifying `actions`,
    /// and returns the critical ones (they belong in the region's health and paging):
    ///
    /// - critical: integration and execution errors (5xx) above 5% of connections and messages;
    ///   the oldest queued message older than `max_queue_age_seconds` (the workers are not
    ///   keeping up or are down);
    /// - warning: clients refused (4xx, `$connect` authorization and throttling included) above
    ///   20%; p99 integration latency above 1 s; connections per minute above 80% of the
    ///   `$connect` throttle (`connect_throttle_per_minute`); any message in the dead-letter
    ///   queue.
    pub fn alarms(
        &self,
        scope: &Scope,
        id: &str,
        actions: &[Value<String>],
        connect_throttle_per_minute: f64,
        max_queue_age_seconds: f64,
    ) -> Vec<Handle<Alarm>> {
        let scope = scope.child(id);
        for (what, v) in
            [("connect throttle per minute", connect_throttle_per_minute), ("queue age", max_queue_age_seconds)]
        {
            if !(v.is_finite() && v > 0.0) {
                scope.error(format!("the {what} it alarms above ({v}) must be a number above 0"));
            }
        }
        let mut alarms = Alarms { actions: actions.to_vec(), critical: Vec::new(), warning: Vec::new() };
        let StageAlarmQueries { errors, clients, latency } = stage_alarm_queries(self.api, self.stage);
        let connects = stage_metric(self.api, self.stage, "ConnectCount");
        let age = self.queue.age_metric();
        let dead = self.queue.dead_letter_depth_metric();
        type Single<'m> = Option<(&'m MetricRef, Statistic)>;
        struct Spec<'m>(&'static str, String, Severity, Vec<MetricDataQuery>, Single<'m>, f64);
        let specs = vec![
            Spec(
                "Errors",
                "more than 5% of connections and messages fail in the integration (5xx)".into(),
                Severity::Critical,
                errors,
                None,
                5.0,
            ),
            Spec(
                "QueueAge",
                format!(
                    "the oldest queued message is older than {max_queue_age_seconds} s: the workers are down or behind"
                ),
                Severity::Critical,
                Vec::new(),
                Some((&age, Statistic::Maximum)),
                max_queue_age_seconds,
            ),
            Spec(
                "ClientErrors",
                "more than 20% of requests refused (4xx: $connect authorization and throttling included)".into(),
                Severity::Warning,
                clients,
                None,
                20.0,
            ),
            Spec("Latency", "p99 integration latency above 1000 ms".into(), Severity::Warning, latency, None, 1000.0),
            Spec(
                "Connections",
                format!(
                    "more than {} connections a minute, 80% of the $connect throttle",
                    0.8 * connect_throttle_per_minute
                ),
                Severity::Warning,
                Vec::new(),
                Some((&connects, Statistic::Sum)),
                0.8 * connect_throttle_per_minute,
            ),
            Spec(
                "DeadLetters",
                "messages the workers failed are in the dead-letter queue".into(),
                Severity::Warning,
                Vec::new(),
                Some((&dead, Statistic::Maximum)),
                0.0,
            ),
        ];
        for Spec(aid, what, severity, metrics, single, threshold) in specs {
            let runbook = (severity == Severity::Critical).then_some(Runbook::RegionDown);
            let spec = AlarmSpec {
                id: aid.into(),
                description: format!("WebSocket API: {what}"),
                severity,
                metrics,
                single,
                threshold,
                periods: 5,
                datapoints: 3,
                runbook,
            };
            alarms.add(&scope, spec, None);
        }
        alarms.critical
    }
}

/// `arn:…:execute-api:<region>:<account>:<api>/<stage>/POST/@connections/*`.
pub(super) fn connections_arn(api: Value<String>, region: &str, stage: &str) -> Value<String> {
    Value::sub_with(
        format!(
            "arn:${{AWS::Partition}}:execute-api:{region}:${{AWS::AccountId}}:${{Api}}/{stage}/POST/@connections/*"
        ),
        [("Api", api)],
    )
}

/// `https://<api>.execute-api.<region>.<suffix>/<stage>`.
pub(super) fn management_endpoint(api: Value<String>, region: &str, stage: &str) -> Value<String> {
    Value::sub_with(format!("https://${{Api}}.execute-api.{region}.${{AWS::URLSuffix}}/{stage}"), [("Api", api)])
}

/// At most 64 characters of a caller's value, for an error line.
fn cut(s: &str) -> String {
    s.chars().take(64).collect()
}

/// Misuse of the props, reported on `scope`.
fn check(scope: &Scope, props: &RealtimeProps<'_>) {
    check_retention(scope, props.log_retention_days);
    if props.stage_name.is_empty()
        || props.stage_name.len() > 128
        || !props.stage_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        scope.error(format!("stage name {:?}: use letters, digits, - and _", cut(&props.stage_name)));
    }
    let RealtimeAuth::Jwt { issuer, audience, jwks_url } = &props.auth;
    if !issuer.starts_with("https://") {
        scope.error(format!(
            "JWT issuer {:?}: the issuer is an https:// URL (its JWKS is fetched from it)",
            cut(issuer)
        ));
    }
    if audience.trim().is_empty() {
        scope.error("JWT audience is empty: name the audience the tokens must carry");
    }
    if let Some(url) = jwks_url
        && !url.starts_with("https://")
    {
        scope.error(format!("JWKS URL {:?} must be https://", cut(url)));
    }
    for (route, t) in std::iter::once(("stage", &props.stage_throttle))
        .chain(props.route_throttles.iter().map(|(r, t)| (r.as_str(), t)))
    {
        if !(t.rate.is_finite() && t.rate > 0.0) || t.burst < 1 {
            scope.error(format!(
                "throttle of {route}: rate and burst must be positive (got {} rps, {})",
                t.rate, t.burst
            ));
        }
    }
    for route in props.route_throttles.keys() {
        if !["$connect", "$disconnect", "$default"].contains(&route.as_str()) {
            scope.error(format!(
                "throttle for route {:?}: the API's routes are $connect, $disconnect, $default",
                cut(route)
            ));
        }
    }
    if !(60..=86_400 * 7).contains(&props.connection_ttl_seconds) {
        scope.error(format!(
            "connection TTL {} s: use 60 s to 7 days (API Gateway closes a connection after 2 hours)",
            props.connection_ttl_seconds
        ));
    }
    if let Some(d) = &props.domain {
        if let Some(why) = crate::zone::domain_problem(&d.name) {
            scope.error(why);
        }
        if d.name != d.zone.name && !d.name.ends_with(&format!(".{}", d.zone.name)) {
            scope.error(format!("custom domain {} is not in the zone {}", d.name, d.zone.name));
        }
    }
}
