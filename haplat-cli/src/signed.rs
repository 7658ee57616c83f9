//! AWS calls made here rather than through a service crate of the AWS SDK: the request is built
//! in the service's protocol (Query, EC2 Query, JSON, REST-JSON, REST-XML), signed with
//! Signature Version 4 by `aws-sigv4` (the SDK's own signer) with the credentials of the SDK
//! configuration, and sent by the same HTTPS client. A service crate costs minutes of a clean
//! build for every operation it generates; haplat calls a handful of each (docs/build-cost.md).
//!
//! Like the SDK: the endpoint is `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL` (or the
//! `--endpoint-url` of the tests), else the service's regional endpoint; a call is tried three
//! times when it is throttled, the service fails (HTTP 500, 502, 503, 504) or the connection
//! does; every attempt is bounded by the configured timeout. An answer is read whole or refused
//! (XML whose root never closes, JSON that does not parse), and every failure is one
//! [`CfnError`], sorted by the same rules as the SDK's ([`service_error`]).

use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings, UriPathNormalizationMode,
    sign,
};
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use serde_json::Value;

use crate::cfn::{CfnError, CfnResult};

/// How a service is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `Action` and parameters form-encoded, an XML answer (IAM, RDS): its API version.
    Query(&'static str),
    /// EC2's variant of Query: its API version.
    Ec2(&'static str),
    /// A JSON body to `/`, the operation in `X-Amz-Target` (`<prefix>.<operation>`): the JSON
    /// version (`1.0`, `1.1`) and the target prefix.
    Json(&'static str, &'static str),
    /// REST with JSON bodies (API Gateway, AWS Backup).
    RestJson,
    /// REST with XML bodies (S3).
    RestXml,
}

/// A service haplat calls without its SDK crate.
#[derive(Clone, Copy, Debug)]
pub struct Service {
    /// The signing name, which is also the endpoint's first label.
    pub name: &'static str,
    /// The suffix of its own endpoint variable, `AWS_ENDPOINT_URL_<env>`.
    pub env: &'static str,
    /// How it is called.
    pub protocol: Protocol,
    /// One endpoint per partition (IAM, Route 53) rather than one per region.
    pub global: bool,
}

const fn regional(name: &'static str, env: &'static str, protocol: Protocol) -> Service {
    Service { name, env, protocol, global: false }
}

/// AWS CloudFormation (stack sets, stacks; every deploy).
pub const CLOUDFORMATION: Service = regional("cloudformation", "CLOUDFORMATION", Protocol::Query("2010-05-15"));
/// Amazon EC2.
pub const EC2: Service = regional("ec2", "EC2", Protocol::Ec2("2016-11-15"));
/// Amazon RDS.
pub const RDS: Service = regional("rds", "RDS", Protocol::Query("2014-10-31"));
/// AWS IAM (a global endpoint per partition).
pub const IAM: Service = Service { name: "iam", env: "IAM", protocol: Protocol::Query("2010-05-08"), global: true };
/// Amazon S3.
pub const S3: Service = regional("s3", "S3", Protocol::RestXml);
/// Amazon API Gateway.
pub const APIGATEWAY: Service = regional("apigateway", "API_GATEWAY", Protocol::RestJson);
/// AWS Backup.
pub const BACKUP: Service = regional("backup", "BACKUP", Protocol::RestJson);
/// Amazon DynamoDB.
pub const DYNAMODB: Service = regional("dynamodb", "DYNAMODB", Protocol::Json("1.0", "DynamoDB_20120810"));

/// Amazon Route 53 (a global endpoint per partition).
pub const ROUTE53: Service = Service { name: "route53", env: "ROUTE_53", protocol: Protocol::RestXml, global: true };
/// Amazon CloudWatch, in its Query protocol.
pub const CLOUDWATCH: Service = regional("monitoring", "CLOUDWATCH", Protocol::Query("2010-08-01"));
/// Elastic Load Balancing (version 2).
pub const ELBV2: Service = regional("elasticloadbalancing", "ELASTIC_LOAD_BALANCING_V2", Protocol::Query("2015-12-01"));
/// AWS Fault Injection Service.
pub const FIS: Service = regional("fis", "FIS", Protocol::RestJson);
/// AWS Shield (in its partition's global region).
pub const SHIELD: Service = regional("shield", "SHIELD", Protocol::Json("1.1", "AWSShield_20160616"));
/// Service Quotas.
pub const SERVICE_QUOTAS: Service =
    regional("servicequotas", "SERVICE_QUOTAS", Protocol::Json("1.1", "ServiceQuotasV20190624"));
/// Route 53 ARC's recovery control configuration (in us-west-2).
pub const RECOVERY_CONTROL_CONFIG: Service =
    regional("route53-recovery-control-config", "ROUTE53_RECOVERY_CONTROL_CONFIG", Protocol::RestJson);
/// Route 53 ARC's routing control data plane (on a cluster's own endpoints: [`Call::url`]).
pub const RECOVERY_CLUSTER: Service =
    regional("route53-recovery-cluster", "ROUTE53_RECOVERY_CLUSTER", Protocol::Json("1.0", "ToggleCustomerAPI"));

/// One request, before it is signed.
#[derive(Debug)]
pub struct Call<'a> {
    /// The service.
    pub service: Service,
    /// The region it is made in.
    pub region: &'a str,
    /// The HTTP method.
    pub method: &'static str,
    /// The path, its segments already encoded ([`encode`]); starts with `/`.
    pub path: String,
    /// The query string's pairs, not yet encoded.
    pub query: Vec<(String, String)>,
    /// Headers beyond the ones signing adds.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// The host's first label instead of the service's (S3's bucket, virtual-hosted).
    pub host_prefix: Option<String>,
    /// An endpoint of the call's own (a Route 53 ARC cluster's), unless one is given.
    pub url: Option<String>,
}

impl<'a> Call<'a> {
    /// A call with no query, header or body.
    pub fn new(service: Service, region: &'a str, method: &'static str, path: String) -> Call<'a> {
        Call {
            service,
            region,
            method,
            path,
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
            host_prefix: None,
            url: None,
        }
    }
}

/// Sends signed calls with one configuration's credentials, endpoint and timeout.
#[derive(Debug)]
pub struct Signed {
    config: SdkConfig,
    connector: aws_smithy_http_client::Connector,
    timeout: Duration,
    /// Held while credentials are fetched, so that calls in many regions at once fetch them once.
    credentials: tokio::sync::Mutex<Option<Credentials>>,
}

/// How many times a call is tried.
const ATTEMPTS: u32 = 3;

impl Signed {
    /// The same calls with another configuration's credentials (an assumed role's).
    pub fn for_config(&self, config: SdkConfig) -> Signed {
        Signed::new(config, self.timeout)
    }

    /// Calls with `config`'s credentials and endpoint, each attempt bounded by `timeout`.
    pub fn new(config: SdkConfig, timeout: Duration) -> Signed {
        // A connection is given at most 5 s (or the attempt's time, when shorter), as the SDK's
        // configuration says (`sdk::Aws::connect`): an endpoint that never answers a connection
        // fails its three attempts in seconds, not minutes.
        let settings = aws_smithy_runtime_api::client::http::HttpConnectorSettings::builder()
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .build();
        let connector = aws_smithy_http_client::Connector::builder()
            .connector_settings(settings)
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
            ))
            .build();
        Signed { config, connector, timeout, credentials: tokio::sync::Mutex::new(None) }
    }

    /// The endpoint's base URL for `service` in `region` (no trailing `/`), whether it is one
    /// given (path-style for S3), and the region the request is signed for.
    fn endpoint(
        &self,
        service: Service,
        region: &str,
        host_prefix: Option<&str>,
        url: Option<&str>,
    ) -> (String, bool, String) {
        let given = std::env::var(format!("AWS_ENDPOINT_URL_{}", service.env))
            .ok()
            .filter(|e| !e.is_empty())
            .or_else(|| self.config.endpoint_url().map(str::to_owned));
        if let Some(url) = given {
            return (url.trim_end_matches('/').to_owned(), true, region.to_owned());
        }
        if let Some(url) = url {
            return (url.trim_end_matches('/').to_owned(), false, region.to_owned());
        }
        let suffix = dns_suffix(region);
        if service.global {
            // One endpoint per partition, signed for the partition's global region.
            let name = service.name;
            let (host, signing) = if region.starts_with("cn-") {
                match name {
                    "iam" => ("iam.cn-north-1.amazonaws.com.cn".to_owned(), "cn-north-1"),
                    _ => (format!("{name}.amazonaws.com.cn"), "cn-northwest-1"),
                }
            } else if region.starts_with("us-gov-") {
                (format!("{name}.us-gov.amazonaws.com"), "us-gov-west-1")
            } else if suffix == "amazonaws.com" {
                (format!("{name}.amazonaws.com"), "us-east-1")
            } else if name == "route53" {
                // The other partitions' Route 53: one host, signed for the partition's region.
                let signing = match suffix {
                    "amazonaws.eu" => "eusc-de-east-1",
                    "sc2s.sgov.gov" => "us-isob-east-1",
                    "csp.hci.ic.gov" => "us-isof-south-1",
                    "cloud.adc-e.uk" => "eu-isoe-west-1",
                    _ => "us-iso-east-1",
                };
                (format!("route53.{suffix}"), signing)
            } else {
                (format!("{name}.{region}.{suffix}"), region)
            };
            return (format!("https://{host}"), false, signing.to_owned());
        }
        let host = match host_prefix {
            Some(p) => format!("{p}.{}.{region}.{suffix}", service.name),
            None => format!("{}.{region}.{suffix}", service.name),
        };
        (format!("https://{host}"), false, region.to_owned())
    }

    /// The credentials, read once and again when they are about to expire.
    async fn credentials(&self) -> CfnResult<Credentials> {
        let fresh = |c: &Credentials| c.expiry().is_none_or(|e| e > SystemTime::now() + Duration::from_secs(60));
        let mut cached = self.credentials.lock().await;
        if let Some(c) = cached.as_ref().filter(|c| fresh(c)) {
            return Ok(c.clone());
        }
        let Some(provider) = self.config.credentials_provider() else {
            return Err(CfnError::NoCredentials("none in the environment, the profiles or SSO".into()));
        };
        let credentials = provider.provide_credentials().await.map_err(|e| {
            let text = aws_smithy_types::error::display::DisplayErrorContext(&e).to_string();
            CfnError::NoCredentials(credentials_detail(&text))
        })?;
        *cached = Some(credentials.clone());
        Ok(credentials)
    }

    /// Sends `call`, retrying what the SDK retries: the answer's body, whole; a failure is
    /// sorted into one [`CfnError`].
    pub async fn send(&self, call: &Call<'_>) -> CfnResult<Vec<u8>> {
        let (base, given, signing_region) =
            self.endpoint(call.service, call.region, call.host_prefix.as_deref(), call.url.as_deref());
        let path = match (&call.host_prefix, given) {
            // An endpoint given is addressed path-style (an emulator answers nothing else).
            (Some(prefix), true) => format!("/{prefix}{}", call.path),
            _ => call.path.clone(),
        };
        let mut uri = format!("{base}{path}");
        if !call.query.is_empty() {
            uri = format!("{uri}?{}", form(call.query.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
        }
        let place = if given { base.clone() } else { format!("AWS in {}", call.region) };
        // A URL without a host cannot be signed (nor sent): said once, never tried.
        let url: Option<http::Uri> = uri.parse().ok();
        if url.as_ref().is_none_or(|u| u.host().is_none() || !matches!(u.scheme_str(), Some("http" | "https"))) {
            let message = format!("{uri} is not an http(s) URL with a host (check the endpoint)");
            return Err(CfnError::Unreachable { endpoint: place, message });
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let credentials = self.credentials().await?;
            let outcome = self.attempt(call, &uri, &signing_region, credentials).await;
            let retry = match &outcome {
                Ok(_) => false,
                Err(Failure::Transport(_)) => true,
                Err(Failure::Service { status, code, .. }) => {
                    matches!(status, 500 | 502 | 503 | 504) || throttled(code) || code == "RequestTimeout"
                }
            };
            if !retry || attempt == ATTEMPTS {
                return outcome.map_err(|f| f.into_error(&place, call.region));
            }
            tokio::time::sleep(backoff(attempt)).await;
        }
    }

    async fn attempt(
        &self,
        call: &Call<'_>,
        uri: &str,
        signing_region: &str,
        credentials: Credentials,
    ) -> Result<Vec<u8>, Failure> {
        let mut request = http::Request::builder().method(call.method).uri(uri);
        for (name, value) in &call.headers {
            request = request.header(*name, value);
        }
        let mut request = request
            .header("content-length", call.body.len().to_string())
            .body(SdkBody::from(call.body.clone()))
            .map_err(|e| Failure::Transport(format!("the request to {uri} cannot be made: {e}")))?;
        let mut settings = SigningSettings::default();
        if call.service.name == S3.name {
            // S3 signs its payload's hash in a header and the path as sent.
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
            settings.percent_encoding_mode = PercentEncodingMode::Single;
            settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        }
        let identity = Identity::from(credentials);
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(signing_region)
            .name(call.service.name)
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| Failure::Transport(format!("cannot sign the request: {e}")))?
            .into();
        let headers: Vec<(String, String)> = request
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let signable = SignableRequest::new(
            call.method,
            uri,
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(&call.body),
        )
        .map_err(|e| Failure::Transport(format!("cannot sign the request: {e}")))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| Failure::Transport(format!("cannot sign the request: {e}")))?
            .into_parts();
        instructions.apply_to_request_http1x(&mut request);
        let request = aws_smithy_runtime_api::http::Request::try_from(request)
            .map_err(|e| Failure::Transport(format!("the request to {uri} cannot be made: {e}")))?;
        let exchange = async {
            let response = self.connector.call(request).await.map_err(|e| Failure::Transport(transport(&e)))?;
            let status = response.status().as_u16();
            let error_type = response.headers().get("x-amzn-errortype").map(str::to_owned);
            let body = ByteStream::new(response.into_body())
                .collect()
                .await
                .map_err(|e| Failure::Transport(format!("the answer could not be read whole: {e}")))?
                .into_bytes()
                .to_vec();
            Ok::<_, Failure>((status, error_type, body))
        };
        let (status, error_type, body) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| Failure::Transport(TIMED_OUT.to_owned()))??;
        // A body cut short with its length kept is refused where it is read: an XML answer
        // whose root never closes by `Xml::parse`, JSON by its parser.
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let (code, message) = error_of(call.service.protocol, error_type.as_deref(), &body);
        Err(Failure::Service { status, code, message })
    }

    /// A Query or EC2 Query call: `action` with `params`, its XML answer.
    pub async fn query(&self, service: Service, region: &str, action: &str, params: &[(&str, &str)]) -> CfnResult<Xml> {
        let version = match service.protocol {
            Protocol::Query(v) | Protocol::Ec2(v) => v,
            other => unreachable!("{} is not a Query service ({other:?})", service.name),
        };
        let mut call = Call::new(service, region, "POST", "/".into());
        call.headers.push(("content-type", "application/x-www-form-urlencoded; charset=utf-8".into()));
        call.body =
            form([("Action", action), ("Version", version)].into_iter().chain(params.iter().copied())).into_bytes();
        let body = self.send(&call).await?;
        Xml::parse(&body)
            .map_err(|e| CfnError::service("InvalidResponse", &format!("{action}: {}", cut_short(&body).unwrap_or(e))))
    }

    /// A REST-XML call (Route 53): its XML answer.
    pub async fn xml(&self, call: &Call<'_>) -> CfnResult<Xml> {
        let body = self.send(call).await?;
        Xml::parse(&body).map_err(|e| {
            CfnError::service(
                "InvalidResponse",
                &format!("{} {}: {}", call.method, call.path, cut_short(&body).unwrap_or(e)),
            )
        })
    }

    /// Every page of a Query listing: the answer's `token` (`Marker`, `NextToken`; EC2 answers
    /// it in camel case) sent back until an answer has none; at most [`MAX_LISTED`] pages.
    pub async fn pages(
        &self,
        service: Service,
        region: &str,
        action: &str,
        params: &[(&str, &str)],
        token_name: &str,
    ) -> CfnResult<Vec<Xml>> {
        let (send, read) = match service.protocol {
            Protocol::Ec2(_) => (token_name, format!("{}{}", token_name[..1].to_lowercase(), &token_name[1..])),
            _ => (token_name, token_name.to_owned()),
        };
        let mut pages = Vec::new();
        let mut token: Option<String> = None;
        let mut count = 0;
        loop {
            next_page(&mut count, action)?;
            let mut all = params.to_vec();
            if let Some(t) = &token {
                all.push((send, t));
            }
            let page = self.query(service, region, action, &all).await?;
            token = page.find(&read).map(|t| t.text.trim().to_owned()).filter(|t| !t.is_empty());
            pages.push(page);
            if token.is_none() {
                return Ok(pages);
            }
        }
    }

    /// A JSON call: `operation` with `input`, its JSON answer.
    pub async fn json(&self, service: Service, region: &str, operation: &str, input: Value) -> CfnResult<Value> {
        self.json_call(Call::new(service, region, "POST", "/".into()), operation, input).await
    }

    /// [`Signed::json`] for a call made already (one with its own endpoint).
    pub async fn json_call(&self, mut call: Call<'_>, operation: &str, input: Value) -> CfnResult<Value> {
        let Protocol::Json(version, prefix) = call.service.protocol else {
            unreachable!("{} is not a JSON service", call.service.name)
        };
        call.headers.push(("content-type", format!("application/x-amz-json-{version}")));
        call.headers.push(("x-amz-target", format!("{prefix}.{operation}")));
        call.body = input.to_string().into_bytes();
        let body = self.send(&call).await?;
        json_of(operation, &body)
    }

    /// A REST-JSON call: `method` on `path` (encoded) with `query` and a JSON body, its answer.
    pub async fn rest_json(
        &self,
        service: Service,
        region: &str,
        method: &'static str,
        path: String,
        query: Vec<(String, String)>,
        input: Option<Value>,
    ) -> CfnResult<Value> {
        let what = format!("{method} {path}");
        let mut call = Call::new(service, region, method, path);
        call.query = query;
        call.headers.push(("accept", "application/json".into()));
        if let Some(input) = input {
            call.headers.push(("content-type", "application/json".into()));
            call.body = input.to_string().into_bytes();
        }
        let body = self.send(&call).await?;
        json_of(&what, &body)
    }
}

/// The answer of `what` as JSON (an empty body is `{}`); JSON that does not parse, one cut
/// short among it, is refused.
fn json_of(what: &str, body: &[u8]) -> CfnResult<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(body).map_err(|e| {
        CfnError::service(
            "InvalidResponse",
            &format!("{what}: the answer is not whole JSON ({} bytes: {e}); nothing of it was used", body.len()),
        )
    })
}

const TIMED_OUT: &str = "no answer in time (HAPLAT_HTTP_TIMEOUT sets the limit in seconds)";

/// What went wrong with one attempt.
#[derive(Debug)]
enum Failure {
    /// No answer: the connection, a timeout, the request itself.
    Transport(String),
    /// The service answered an error.
    Service { status: u16, code: String, message: String },
}

impl Failure {
    fn into_error(self, place: &str, region: &str) -> CfnError {
        match self {
            Failure::Transport(message) => CfnError::Unreachable { endpoint: place.to_owned(), message },
            Failure::Service { status, code, message } => service_error(region, status, code, message),
        }
    }
}

/// One line for a connection failure, worded as the SDK's are sorted.
fn transport(e: &aws_smithy_runtime_api::client::result::ConnectorError) -> String {
    let text = aws_smithy_types::error::display::DisplayErrorContext(e).to_string();
    if e.is_timeout() {
        TIMED_OUT.to_owned()
    } else if text.contains("Connection refused") {
        "connection refused".into()
    } else if text.contains("dns error") || text.contains("failed to lookup") {
        "unknown host".into()
    } else {
        text.lines().next().unwrap_or("").chars().take(300).collect()
    }
}

/// The error codes AWS answers when a caller goes too fast (the SDK's standard retry list).
fn throttled(code: &str) -> bool {
    matches!(
        code,
        "Throttling"
            | "ThrottlingException"
            | "ThrottledException"
            | "RequestThrottledException"
            | "TooManyRequestsException"
            | "ProvisionedThroughputExceededException"
            | "TransactionInProgressException"
            | "RequestLimitExceeded"
            | "BandwidthLimitExceeded"
            | "LimitExceededException"
            | "RequestThrottled"
            | "SlowDown"
            | "PriorRequestNotComplete"
            | "EC2ThrottledException"
    )
}

/// The wait before attempt `attempt + 1`, as the SDK's standard retries wait ("full jitter"):
/// anything up to 1 s, then up to 2 s (doubling, at most 20 s), at random, so that clients
/// throttled together do not come back together.
fn backoff(attempt: u32) -> Duration {
    let ceiling = Duration::from_secs(1 << (attempt - 1).min(5)).min(Duration::from_secs(20));
    let jitter = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    ceiling.mul_f64(f64::from(jitter % 1000) / 1000.0)
}

/// The error code and message of an error answer in `protocol` (`Unknown` without a code, as
/// the SDK says: [`service_error`] then names the HTTP status).
fn error_of(protocol: Protocol, error_type: Option<&str>, body: &[u8]) -> (String, String) {
    let (code, message) = match protocol {
        Protocol::Query(_) | Protocol::Ec2(_) | Protocol::RestXml => match Xml::parse(body) {
            Ok(xml) => (
                xml.find("Code").map(|c| c.text.clone()),
                xml.find("Message").map(|m| m.text.clone()).unwrap_or_default(),
            ),
            Err(_) => (None, String::new()),
        },
        Protocol::Json(..) | Protocol::RestJson => {
            let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let field =
                |names: &[&str]| names.iter().find_map(|n| json.get(*n).and_then(Value::as_str).map(str::to_owned));
            let code = error_type
                .map(str::to_owned)
                .or_else(|| field(&["__type", "code", "Code"]))
                // `aws.protocols#…:http://…` or `namespace#Code`: the code alone.
                .map(|c| c.split(':').next().unwrap_or("").rsplit('#').next().unwrap_or("").to_owned());
            (code, field(&["message", "Message", "errorMessage"]).unwrap_or_default())
        }
    };
    (code.filter(|c| !c.is_empty()).unwrap_or_else(|| "Unknown".to_owned()), message)
}

/// The DNS suffix of a region's partition (for S3 URLs).
pub fn dns_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else if region.starts_with("eusc-") {
        "amazonaws.eu"
    } else if region.starts_with("us-isob-") {
        "sc2s.sgov.gov"
    } else if region.starts_with("us-isof-") {
        "csp.hci.ic.gov"
    } else if region.starts_with("us-iso-") {
        "c2s.ic.gov"
    } else if region.starts_with("eu-isoe-") {
        "cloud.adc-e.uk"
    } else {
        "amazonaws.com"
    }
}

/// Why an XML body is not whole (its root element does not close at its end), naming the root
/// and the length read; `None` when it is, or when it is not XML at all ([`Xml::parse`] refuses
/// that).
pub fn cut_short(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?.trim();
    let mut rest = text;
    // Past the prolog and comments to the root element's start tag.
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        if !rest.starts_with('?') && !rest.starts_with('!') {
            break;
        }
    }
    if rest.len() == text.len() {
        return None;
    }
    let root: String = rest.chars().take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/').collect();
    if root.is_empty() {
        return None;
    }
    let whole = text.ends_with(&format!("</{root}>")) || (text.ends_with("/>") && text.matches('<').count() == 1);
    (!whole).then(|| format!("the answer was cut short ({} bytes, and its <{root}> never closes)", body.len()))
}

/// The most pages or items haplat reads from one listing: an answer whose pages never end (a
/// fault of the service, or an endpoint that is not AWS) stops with an error, not a loop.
pub const MAX_LISTED: usize = 10_000;

/// The error of a listing past [`MAX_LISTED`]; `what` names the call.
pub fn endless(what: &str) -> CfnError {
    CfnError::Service {
        code: "EndlessListing".into(),
        message: format!(
            "{what} still had a next page after {MAX_LISTED} pages or items; stopped (is the endpoint AWS?)"
        ),
    }
}

/// Counts one more page of a listing read page by page: [`endless`] past [`MAX_LISTED`].
pub fn next_page(pages: &mut usize, what: &str) -> CfnResult<()> {
    *pages += 1;
    if *pages > MAX_LISTED { Err(endless(what)) } else { Ok(()) }
}

/// Sorts an error answer of a call to `region` (its HTTP status, code and message), whether the
/// SDK or [`crate::signed`] made the call.
pub fn service_error(region: &str, status: u16, code: String, message: String) -> CfnError {
    match code.as_str() {
        "StackSetNotFoundException" | "StackSetNotFound" => CfnError::StackSetNotFound { name: None, message },
        // A stale request (the stack set changed since) is retried like one refused because
        // another operation runs: re-read, then retry.
        "OperationInProgressException" | "OperationInProgress" | "StaleRequestException" | "StaleRequest" => {
            CfnError::OperationInProgress { name: None, message }
        }
        "Throttling" | "ThrottlingException" | "TooManyRequestsException" | "RequestLimitExceeded" | "SlowDown" => {
            CfnError::Throttled(message)
        }
        // What a region not enabled in the account answers too (an opt-in region).
        "InvalidClientTokenId" | "UnrecognizedClientException" => {
            let message = format!(
                "{message}; if other regions accept these credentials, the region {region} is not enabled in this account (an opt-in region: `aws account enable-region --region-name {region}`)"
            );
            CfnError::BadCredentials { code, message }
        }
        "ExpiredToken"
        | "ExpiredTokenException"
        | "TokenRefreshRequired"
        | "InvalidToken"
        | "SignatureDoesNotMatch"
        | "InvalidSignatureException"
        | "IncompleteSignature"
        | "InvalidAccessKeyId"
        | "AuthFailure" => CfnError::BadCredentials { code, message },
        // A signature too old or from the future: the machine's clock.
        "RequestExpired" | "RequestTimeTooSkewed" => CfnError::BadCredentials {
            code,
            message: format!("{message}; check this machine's clock (the request's time is signed)"),
        },
        _ if message.is_empty() => {
            CfnError::Service { code, message: format!("HTTP {status} without an AWS error message") }
        }
        _ => CfnError::Service { code, message },
    }
}

/// What to say about missing credentials beyond the standard advice.
pub fn credentials_detail(text: &str) -> String {
    if text.contains("no credentials found in chain") || text.contains("provider was not enabled") {
        "none in the environment, the profiles or SSO".to_owned()
    } else {
        first_line(text)
    }
}

pub(crate) fn first_line(s: &str) -> String {
    // DisplayErrorContext gives "a: b: c (Cause…)"; keep it on one line, bounded.
    let one: String = s.lines().next().unwrap_or("").chars().take(300).collect();
    one
}

/// Percent-encodes all but the unreserved characters (RFC 3986), as AWS signs them.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Pairs as a query string or a form body: `k=v&…`, each side [`encode`]d.
fn form<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    pairs.map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

/// [`encode`] for a path: each segment encoded, the `/` between them kept.
pub fn encode_path(path: &str) -> String {
    path.split('/').map(encode).collect::<Vec<_>>().join("/")
}

/// An XML element: its local name, its text and its child elements.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Xml {
    /// The local name (no namespace prefix).
    pub name: String,
    /// The text directly inside it, unescaped.
    pub text: String,
    /// Its child elements in order.
    pub children: Vec<Xml>,
}

/// The deepest XML answer read (AWS's are a few levels deep).
const MAX_DEPTH: usize = 64;

impl Xml {
    /// Parses a whole document into its root element.
    pub fn parse(body: &[u8]) -> Result<Xml, String> {
        use xmlparser::{ElementEnd, Token, Tokenizer};
        let text = std::str::from_utf8(body).map_err(|_| "the answer is not UTF-8".to_owned())?;
        let mut stack: Vec<Xml> = Vec::new();
        let mut root = None;
        for token in Tokenizer::from(text) {
            match token.map_err(|e| format!("the answer is not XML ({e})"))? {
                Token::ElementStart { local, .. } => {
                    if stack.len() == MAX_DEPTH {
                        return Err(format!("the answer nests deeper than {MAX_DEPTH} elements"));
                    }
                    stack.push(Xml { name: local.as_str().to_owned(), ..Xml::default() });
                }
                Token::ElementEnd { end: ElementEnd::Open, .. } => {}
                Token::ElementEnd { end: ElementEnd::Close(..) | ElementEnd::Empty, .. } => {
                    let done = stack.pop().ok_or("the answer closes an element it never opened")?;
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => root = Some(done),
                    }
                }
                Token::Text { text } => {
                    if let Some(open) = stack.last_mut() {
                        open.text.push_str(&unescape(text.as_str())?);
                    }
                }
                Token::Cdata { text, .. } => {
                    if let Some(open) = stack.last_mut() {
                        open.text.push_str(text.as_str());
                    }
                }
                _ => {}
            }
        }
        match (root, stack.is_empty()) {
            (Some(root), true) => Ok(root),
            _ => Err("the answer was cut short (an element never closes)".into()),
        }
    }

    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Xml> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The element at `path` of child names below this one.
    pub fn at(&self, path: &[&str]) -> Option<&Xml> {
        path.iter().try_fold(self, |e, name| e.child(name))
    }

    /// The text at `path`, if the element is there.
    pub fn text_at(&self, path: &[&str]) -> Option<&str> {
        self.at(path).map(|e| e.text.as_str())
    }

    /// The text at `path` read as `true`/`false`.
    pub fn bool_at(&self, path: &[&str]) -> Option<bool> {
        self.text_at(path).map(|t| t.trim() == "true")
    }

    /// The members of the list at `path` (every child element, whatever the member's name).
    pub fn list(&self, path: &[&str]) -> &[Xml] {
        self.at(path).map(|e| e.children.as_slice()).unwrap_or(&[])
    }

    /// The first element named `name` here or below, depth first.
    pub fn find(&self, name: &str) -> Option<&Xml> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }
}

/// XML text with its five entities and character references replaced.
fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').ok_or("the answer has an unterminated entity")? + i;
        let entity = &rest[i + 1..end];
        let c = match entity {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = entity.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = entity.strip_prefix('#') {
                    dec.parse().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32).ok_or_else(|| format!("the answer has an unknown entity &{entity};"))?
            }
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_answers_are_read_into_elements_and_lists() {
        let xml = Xml::parse(
            br#"<?xml version="1.0"?><DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
            <vpcSet><item><vpcId>vpc-1</vpcId></item><item><vpcId>vpc-&amp;2&#x41;</vpcId></item></vpcSet>
            <nextToken/></DescribeVpcsResponse>"#,
        )
        .unwrap();
        assert_eq!(xml.name, "DescribeVpcsResponse");
        let ids: Vec<_> = xml.list(&["vpcSet"]).iter().filter_map(|i| i.text_at(&["vpcId"])).collect();
        assert_eq!(ids, ["vpc-1", "vpc-&2A"]);
        assert_eq!(xml.text_at(&["nextToken"]), Some(""));
        assert_eq!(xml.list(&["missing"]), &[]);
    }

    #[test]
    fn xml_cut_short_or_not_xml_is_refused() {
        for bad in [&b"<A><B>1</B>"[..], b"<A><B></A>", b"not xml", b"", b"<A>&bogus;</A>"] {
            assert!(Xml::parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        assert!(Xml::parse(deep.as_bytes()).unwrap_err().contains("deeper"));
    }

    #[test]
    fn error_codes_are_read_in_each_protocol() {
        let query = br#"<ErrorResponse><Error><Type>Sender</Type><Code>DBClusterNotFoundFault</Code><Message>none</Message></Error></ErrorResponse>"#;
        assert_eq!(error_of(RDS.protocol, None, query), ("DBClusterNotFoundFault".into(), "none".into()));
        let ec2 = br#"<Response><Errors><Error><Code>InvalidServiceName</Code><Message>bad</Message></Error></Errors></Response>"#;
        assert_eq!(error_of(EC2.protocol, None, ec2), ("InvalidServiceName".into(), "bad".into()));
        let json = br#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"gone"}"#;
        assert_eq!(error_of(DYNAMODB.protocol, None, json), ("ResourceNotFoundException".into(), "gone".into()));
        let typed = error_of(BACKUP.protocol, Some("AccessDeniedException:http://internal.amazon.com/"), b"{}");
        assert_eq!(typed, ("AccessDeniedException".into(), String::new()));
        assert_eq!(error_of(S3.protocol, None, b""), ("Unknown".into(), String::new()));
        assert_eq!(error_of(APIGATEWAY.protocol, None, b"<html>"), ("Unknown".into(), String::new()));
    }

    #[test]
    fn json_cut_short_is_refused_and_empty_is_an_empty_object() {
        assert_eq!(json_of("GET /account", b" ").unwrap(), serde_json::json!({}));
        let e = json_of("DescribeTable", br#"{"Table":{"TableName":"t""#).unwrap_err().to_string();
        assert!(e.starts_with("InvalidResponse: DescribeTable: the answer is not whole JSON"), "{e}");
    }

    #[test]
    fn encoding_keeps_only_unreserved_characters() {
        assert_eq!(encode("a b/c:d~e_f.g-h"), "a%20b%2Fc%3Ad~e_f.g-h");
        assert_eq!(encode_path("haplat/templates/Data v1.json"), "haplat/templates/Data%20v1.json");
    }

    #[test]
    fn endpoints_are_regional_iam_is_per_partition_and_a_given_one_wins() {
        let config = SdkConfig::builder().build();
        let s = Signed::new(config, Duration::from_secs(1));
        assert_eq!(
            s.endpoint(EC2, "eu-west-1", None, None),
            ("https://ec2.eu-west-1.amazonaws.com".into(), false, "eu-west-1".into())
        );
        assert_eq!(
            s.endpoint(IAM, "eu-west-1", None, None),
            ("https://iam.amazonaws.com".into(), false, "us-east-1".into())
        );
        assert_eq!(s.endpoint(IAM, "cn-north-1", None, None).0, "https://iam.cn-north-1.amazonaws.com.cn");
        assert_eq!(s.endpoint(S3, "us-west-2", Some("b"), None).0, "https://b.s3.us-west-2.amazonaws.com");
        assert_eq!(s.endpoint(ROUTE53, "cn-north-1", None, None).2, "cn-northwest-1");
        assert_eq!(s.endpoint(ROUTE53, "us-gov-east-1", None, None).0, "https://route53.us-gov.amazonaws.com");
        assert_eq!(s.endpoint(ROUTE53, "eusc-de-east-1", None, None).0, "https://route53.amazonaws.eu");
        assert_eq!(s.endpoint(IAM, "eusc-de-east-1", None, None).0, "https://iam.eusc-de-east-1.amazonaws.eu");
        let cluster = s.endpoint(RECOVERY_CLUSTER, "ap-southeast-2", None, Some("https://host.example/v1/"));
        assert_eq!(cluster, ("https://host.example/v1".into(), false, "ap-southeast-2".into()));
        let given =
            Signed::new(SdkConfig::builder().endpoint_url("http://127.0.0.1:5000/").build(), Duration::from_secs(1));
        assert_eq!(
            given.endpoint(S3, "us-west-2", Some("b"), None),
            ("http://127.0.0.1:5000".into(), true, "us-west-2".into())
        );
    }

    #[tokio::test]
    async fn an_endpoint_without_a_host_is_one_line_and_never_sent() {
        let config = SdkConfig::builder().endpoint_url("localhost:4566").build();
        let s = Signed::new(config, Duration::from_secs(1));
        let e = s.send(&Call::new(EC2, "us-east-1", "POST", "/".into())).await.unwrap_err().to_string();
        assert!(e.contains("is not an http(s) URL with a host (check the endpoint)"), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn throttling_and_backoff() {
        assert!(throttled("ThrottlingException") && throttled("SlowDown") && !throttled("AccessDenied"));
        assert!(backoff(1) < Duration::from_secs(1) && backoff(2) < Duration::from_secs(2));
        assert!(backoff(9) < Duration::from_secs(20));
    }
}
