//! [`CloudFormation`] over the AWS SDK for Rust, and [`Account`] as signed calls
//! ([`crate::signed`]) with the same configuration. Credentials, region and profile come from
//! the standard chain (environment, profiles, SSO…); the endpoint from `AWS_ENDPOINT_URL` like
//! every AWS SDK. Errors are sorted into [`CfnError`] so that a missing credential, an expired
//! token or an endpoint that does not answer end in one clear line.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::sync::Mutex;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudformation as cf;
use aws_sdk_cloudformation::config::http::HttpResponse;
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use cf::types::{Capability, Parameter, RegionConcurrencyType, StackSetOperationPreferences, Tag};

use crate::account::{Account, EngineVersion, Quota, Zone};
use crate::cfn::*;
use crate::signed::{self, credentials_detail, cut_short, dns_suffix, first_line, service_error};

/// How to reach AWS.
#[derive(Clone, Debug, Default)]
pub struct AwsOptions {
    /// A named profile (`--profile`).
    pub profile: Option<String>,
    /// The administration region (`--region`); else the chain's.
    pub region: Option<String>,
    /// Per-attempt timeout (`HAPLAT_HTTP_TIMEOUT` seconds; 60 by default).
    pub attempt_timeout: Option<Duration>,
    /// An endpoint instead of `AWS_ENDPOINT_URL` (tests, emulators).
    pub endpoint_url: Option<String>,
    /// Static credentials (access key id, secret) instead of the chain (tests, emulators).
    pub static_credentials: Option<(String, String)>,
    /// `CallAs` on every StackSets call (`--call-as`: `SELF` or `DELEGATED_ADMIN`); none: not
    /// sent (the management account or self-managed stack sets).
    pub call_as: Option<haplat_core::manifest::CallAs>,
}

/// The SDK-backed service.
pub struct Aws {
    config: SdkConfig,
    region: String,
    endpoint: Option<String>,
    clients: Mutex<HashMap<String, cf::Client>>,
    call_as: Option<cf::types::CallAs>,
    /// The services called without their SDK crate.
    pub(crate) signed: crate::signed::Signed,
}

impl Aws {
    /// Loads the configuration. Fails (usage) when no administration region is known.
    pub async fn connect(opts: &AwsOptions) -> Result<Aws, String> {
        let timeout = match opts.attempt_timeout {
            Some(t) => t,
            None => match std::env::var("HAPLAT_HTTP_TIMEOUT") {
                Ok(s) => http_timeout(&s)?,
                Err(_) => Duration::from_secs(60),
            },
        };
        if let Some(p) = &opts.profile {
            check_profile(p)?;
        }
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(https_client()).timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(timeout.min(Duration::from_secs(5)))
                .read_timeout(timeout)
                .operation_attempt_timeout(timeout)
                .build(),
        );
        if let Some(p) = &opts.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &opts.region {
            loader = loader.region(Region::new(r.clone()));
        }
        if let Some(e) = &opts.endpoint_url {
            loader = loader.endpoint_url(e);
        }
        if let Some((id, secret)) = &opts.static_credentials {
            loader = loader.credentials_provider(cf::config::Credentials::new(id, secret, None, None, "haplat-static"));
        }
        let config = loader.load().await;
        let Some(region) = config.region().map(|r| r.to_string()) else {
            return Err(
                "no administration region: pass --region or set AWS_REGION (or a region in your AWS profile)".into()
            );
        };
        let endpoint = config.endpoint_url().map(str::to_owned);
        let call_as = opts.call_as.map(|c| cf::types::CallAs::from(c.as_str()));
        let signed = crate::signed::Signed::new(config.clone(), timeout);
        Ok(Aws { config, region, endpoint, clients: Mutex::new(HashMap::new()), call_as, signed })
    }

    /// The same service with the credentials of `role_arn`, assumed with these credentials
    /// (a session named `session`): what it reads is read in the role's account.
    pub async fn assuming(&self, role_arn: &str, session: &str) -> Aws {
        let provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
            .session_name(session)
            .configure(&self.conf_in(&self.region))
            .build()
            .await;
        let config =
            self.config.to_builder().credentials_provider(cf::config::SharedCredentialsProvider::new(provider)).build();
        Aws {
            signed: self.signed.for_config(config.clone()),
            config,
            region: self.region.clone(),
            endpoint: self.endpoint.clone(),
            clients: Mutex::new(HashMap::new()),
            call_as: self.call_as.clone(),
        }
    }

    /// The administration region.
    pub fn region(&self) -> &str {
        &self.region
    }

    pub(crate) fn client(&self, region: &str) -> cf::Client {
        let mut clients = self.clients.lock().expect("clients lock");
        clients
            .entry(region.to_owned())
            .or_insert_with(|| {
                cf::Client::from_conf(
                    cf::config::Builder::from(&self.config)
                        .region(Region::new(region.to_owned()))
                        .interceptor(WholeAnswers)
                        .build(),
                )
            })
            .clone()
    }

    fn admin(&self) -> cf::Client {
        self.client(&self.region.clone())
    }

    /// An SDK error of a call in `region`, sorted by [`classify`].
    pub(crate) fn err<E>(&self, region: &str, e: SdkError<E, HttpResponse>) -> CfnError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let endpoint = self.endpoint.clone().unwrap_or_else(|| format!("AWS in {region}"));
        classify(&endpoint, region, e)
    }
}

/// The HTTP client of every SDK client: rustls with ring, so that no C crypto library is built
/// (the SDK's default, aws-lc, is; docs/build-cost.md).
pub fn https_client() -> cf::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// `HAPLAT_HTTP_TIMEOUT`: seconds, a finite number above zero.
pub fn http_timeout(s: &str) -> Result<Duration, String> {
    let bad = |why: &str| format!("HAPLAT_HTTP_TIMEOUT={s:?}: {why} (seconds, e.g. 60 or 2.5)");
    let secs: f64 = s.trim().parse().map_err(|_| bad("not a number"))?;
    if secs.is_nan() || secs <= 0.0 {
        return Err(bad("must be above zero"));
    }
    Duration::try_from_secs_f64(secs).map_err(|_| bad("out of range"))
}

/// A `--profile` that no AWS config or credentials file defines is an error naming it (the SDK
/// would fall back silently and fail later with a message about credentials).
fn check_profile(profile: &str) -> Result<(), String> {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from).unwrap_or_default();
    let config = std::env::var_os("AWS_CONFIG_FILE").map(Into::into).unwrap_or_else(|| home.join(".aws/config"));
    let creds = std::env::var_os("AWS_SHARED_CREDENTIALS_FILE")
        .map(Into::into)
        .unwrap_or_else(|| home.join(".aws/credentials"));
    let sections = |path: &std::path::Path, prefixed: bool| -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().strip_prefix('[')?.strip_suffix(']').map(str::trim).map(str::to_owned))
            .filter_map(|n| {
                if !prefixed || n == "default" {
                    Some(n)
                } else {
                    n.strip_prefix("profile").map(|p| p.trim().to_owned())
                }
            })
            .collect()
    };
    let known: Vec<String> = sections(&config, true).into_iter().chain(sections(&creds, false)).collect();
    if known.iter().any(|k| k == profile) {
        return Ok(());
    }
    Err(format!(
        "--profile {profile}: no such profile in {} or {} (profiles: {})",
        config.display(),
        creds.display(),
        if known.is_empty() { "none".to_owned() } else { known.join(", ") }
    ))
}

/// Refuses a CloudFormation answer cut short. The SDK's XML reader takes a body that ends before
/// its root element closes, so a page cut in the middle (a proxy, a dropped connection that kept
/// the length) would come back with fewer stack sets or instances, silently.
#[derive(Debug)]
struct WholeAnswers;

impl cf::config::Intercept for WholeAnswers {
    fn name(&self) -> &'static str {
        "WholeAnswers"
    }

    fn read_after_deserialization(
        &self,
        context: &cf::config::interceptors::AfterDeserializationInterceptorContextRef<'_>,
        _: &cf::config::RuntimeComponents,
        _: &mut cf::config::ConfigBag,
    ) -> Result<(), cf::error::BoxError> {
        let response = context.response();
        match response.body().bytes().filter(|_| response.status().is_success()).and_then(cut_short) {
            Some(why) => Err(why.into()),
            None => Ok(()),
        }
    }
}

/// Collects a paginator's stream (`….into_paginator().items().send()`, or `.send()` for pages)
/// into a `CfnResult<Vec<_>>`, at most [`MAX_LISTED`] entries; `$err` maps the SDK's error and
/// `$what` names the call.
macro_rules! listed {
    ($stream:expr, $what:expr, $err:expr) => {{
        let mut stream = $stream;
        let mut out = Vec::new();
        loop {
            match stream.next().await {
                None => break Ok(out),
                Some(Err(e)) => break Err($err(e)),
                Some(Ok(_)) if out.len() == $crate::signed::MAX_LISTED => break Err($crate::signed::endless($what)),
                Some(Ok(item)) => out.push(item),
            }
        }
    }};
}
pub(crate) use listed;

/// Sorts an SDK error of a call to `region` (through `endpoint`: `AWS in <region>`, or the
/// endpoint URL given) into one clear line: never the SDK's debug output (an answer without an
/// error message, a 500 with an empty body, says its HTTP status).
pub fn classify<E>(endpoint: &str, region: &str, e: SdkError<E, HttpResponse>) -> CfnError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let text = DisplayErrorContext(&e).to_string();
    let about_credentials = {
        let t = text.to_lowercase();
        t.contains("credential") || t.contains("no token") || t.contains("sso")
    };
    match &e {
        SdkError::ServiceError(se) => {
            let err = se.err();
            let code = err.code().unwrap_or("Unknown").to_owned();
            service_error(region, se.raw().status().as_u16(), code, err.message().unwrap_or("").to_owned())
        }
        SdkError::TimeoutError(_) => CfnError::Unreachable {
            endpoint: endpoint.to_owned(),
            message: "no answer in time (HAPLAT_HTTP_TIMEOUT sets the limit in seconds)".into(),
        },
        SdkError::DispatchFailure(d) if about_credentials && !d.is_io() => {
            CfnError::NoCredentials(credentials_detail(&text))
        }
        SdkError::DispatchFailure(d) => CfnError::Unreachable {
            endpoint: endpoint.to_owned(),
            message: if d.is_timeout() {
                "no answer in time (HAPLAT_HTTP_TIMEOUT sets the limit in seconds)".into()
            } else if text.contains("Connection refused") {
                "connection refused".into()
            } else if text.contains("dns error") || text.contains("failed to lookup") {
                "unknown host".into()
            } else {
                first_line(&text)
            },
        },
        _ if about_credentials => CfnError::NoCredentials(credentials_detail(&text)),
        _ => CfnError::Service { code: "ClientError".into(), message: first_line(&text) },
    }
}

fn params(m: &BTreeMap<String, String>) -> Vec<Parameter> {
    m.iter().map(|(k, v)| Parameter::builder().parameter_key(k).parameter_value(v).build()).collect()
}

fn tags(m: &BTreeMap<String, String>) -> Vec<Tag> {
    m.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

fn prefs(p: &Preferences) -> StackSetOperationPreferences {
    StackSetOperationPreferences::builder()
        .set_region_concurrency_type(p.region_concurrency.as_deref().map(RegionConcurrencyType::from))
        .set_max_concurrent_count(p.max_concurrent_count.map(|n| n as i32))
        .set_failure_tolerance_count(p.failure_tolerance_count.map(|n| n as i32))
        .set_region_order(if p.region_order.is_empty() { None } else { Some(p.region_order.clone()) })
        .set_concurrency_mode(p.concurrency_mode().map(cf::types::ConcurrencyMode::from))
        .build()
}

fn instance(i: &cf::types::StackInstanceSummary) -> InstanceInfo {
    InstanceInfo {
        region: i.region().unwrap_or_default().to_owned(),
        account: i.account().unwrap_or_default().to_owned(),
        status: InstanceStatus::parse(i.status().map(|s| s.as_str()).unwrap_or_default()),
        detailed_status: i
            .stack_instance_status()
            .and_then(|s| s.detailed_status())
            .map(|s| DetailedStatus::parse(s.as_str())),
        status_reason: i.status_reason().map(str::to_owned),
        stack_id: i.stack_id().map(str::to_owned),
        overrides: BTreeMap::new(),
        drift_status: i.drift_status().map(|d| d.as_str().to_owned()),
    }
}

fn stack_info(s: &cf::types::Stack) -> StackInfo {
    StackInfo {
        id: s.stack_id().unwrap_or_default().to_owned(),
        name: s.stack_name().unwrap_or_default().to_owned(),
        status: StackStatus::parse(s.stack_status().map(|s| s.as_str()).unwrap_or_default()),
        status_reason: s.stack_status_reason().map(str::to_owned),
        outputs: s
            .outputs()
            .iter()
            .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value().unwrap_or_default().to_owned())))
            .collect(),
        parameters: s
            .parameters()
            .iter()
            .filter_map(|p| Some((p.parameter_key()?.to_owned(), p.parameter_value().unwrap_or_default().to_owned())))
            .collect(),
    }
}

fn operation(
    id: Option<&str>,
    action: Option<&cf::types::StackSetOperationAction>,
    status: Option<&cf::types::StackSetOperationStatus>,
    reason: Option<&str>,
    created: Option<&aws_sdk_cloudformation::primitives::DateTime>,
) -> OperationInfo {
    OperationInfo {
        id: id.unwrap_or_default().to_owned(),
        action: action.map(|a| a.as_str().to_owned()).unwrap_or_default(),
        status: OperationStatus::parse(status.map(|s| s.as_str()).unwrap_or("UNKNOWN")),
        status_reason: reason.map(str::to_owned),
        created: created.map(|d| d.to_string()),
        created_secs: created.map(|d| d.secs()),
    }
}

/// The `Accounts` of an instance call: the targets when they are account ids.
fn account_ids(targets: &[String]) -> Option<Vec<String>> {
    (!crate::cfn::are_organizational_units(targets)).then(|| targets.to_vec())
}

/// The `DeploymentTargets` of an instance call on a service-managed stack set: the targets when
/// they are OU ids (`DeploymentTargets.OrganizationalUnitIds`,
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeploymentTargets.html>).
fn ou_targets(targets: &[String]) -> Option<cf::types::DeploymentTargets> {
    crate::cfn::are_organizational_units(targets)
        .then(|| cf::types::DeploymentTargets::builder().set_organizational_unit_ids(Some(targets.to_vec())).build())
}

/// A role field, sent only for a self-managed stack set: a service-managed one uses the
/// service-linked roles Organizations trusted access creates
/// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-activate-trusted-access.html>).
fn self_managed(input: &StackSetInput, value: &str) -> Option<String> {
    (input.deployment.permission_model() == "SELF_MANAGED").then(|| value.to_owned())
}

/// `AutoDeployment` of a service-managed stack set: enabled, `RetainStacksOnAccountRemoval` as
/// the environment chose (<https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_AutoDeployment.html>).
fn auto_deployment(input: &StackSetInput) -> Option<cf::types::AutoDeployment> {
    match &input.deployment {
        // Without OUs (destroy keeping the stack set as it is), AutoDeployment is left alone.
        haplat_core::manifest::Deployment::OrganizationalUnits {
            organizational_units,
            retain_stacks_on_account_removal,
            ..
        } if !organizational_units.is_empty() => Some(
            cf::types::AutoDeployment::builder()
                .enabled(true)
                .retain_stacks_on_account_removal(*retain_stacks_on_account_removal)
                .build(),
        ),
        _ => None,
    }
}

impl CloudFormation for Aws {
    async fn describe_stack_set(&self, name: &str) -> CfnResult<Option<StackSetInfo>> {
        match self.admin().describe_stack_set().set_call_as(self.call_as.clone()).stack_set_name(name).send().await {
            Ok(out) => {
                let Some(s) = out.stack_set() else { return Ok(None) };
                let status = StackSetStatus::parse(s.status().map(|s| s.as_str()).unwrap_or_default());
                if status == StackSetStatus::Deleted {
                    return Ok(None);
                }
                Ok(Some(StackSetInfo {
                    name: s.stack_set_name().unwrap_or(name).to_owned(),
                    status,
                    template_body: s.template_body().unwrap_or_default().to_owned(),
                    parameters: s
                        .parameters()
                        .iter()
                        .filter_map(|p| {
                            Some((p.parameter_key()?.to_owned(), p.parameter_value().unwrap_or_default().to_owned()))
                        })
                        .collect(),
                    capabilities: s.capabilities().iter().map(|c| c.as_str().to_owned()).collect(),
                    tags: s.tags().iter().filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned()))).collect(),
                    permission_model: s.permission_model().map(|m| m.as_str().to_owned()),
                }))
            }
            Err(e) => match self.err(&self.region, e) {
                CfnError::StackSetNotFound { .. } => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn list_stack_sets(&self) -> CfnResult<Vec<String>> {
        let items: CfnResult<Vec<_>> = listed!(
            self.admin()
                .list_stack_sets()
                .set_call_as(self.call_as.clone())
                .status(cf::types::StackSetStatus::Active)
                .into_paginator()
                .items()
                .send(),
            "ListStackSets",
            |e| self.err(&self.region, e)
        );
        let mut names: Vec<String> = items?
            .iter()
            .filter(|s| s.status().map(|s| StackSetStatus::parse(s.as_str())) != Some(StackSetStatus::Deleted))
            .filter_map(|s| s.stack_set_name().map(str::to_owned))
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    async fn create_stack_set(&self, input: &StackSetInput) -> CfnResult<()> {
        let mut req = self
            .admin()
            .create_stack_set()
            .set_call_as(self.call_as.clone())
            .stack_set_name(&input.name)
            .set_parameters(Some(params(&input.parameters)))
            .set_capabilities(Some(input.capabilities.iter().map(|c| Capability::from(c.as_str())).collect()))
            .set_tags(Some(tags(&input.tags)))
            .set_administration_role_arn(self_managed(input, &input.admin_role_arn))
            .set_execution_role_name(self_managed(input, &input.execution_role_name))
            .permission_model(cf::types::PermissionModels::from(input.deployment.permission_model()))
            .set_auto_deployment(auto_deployment(input));
        req = match &input.template {
            TemplateSource::Body(b) => req.template_body(b),
            TemplateSource::Url(u) => req.template_url(u),
            // A stack set is created with a template; never with the previous one.
            TemplateSource::Previous => {
                return Err(CfnError::service("ValidationError", "a stack set is created with a template")
                    .with_stack(&input.name));
            }
        };
        req.send().await.map(|_| ()).map_err(|e| self.err(&self.region, e).with_stack(&input.name))
    }

    async fn update_stack_set(
        &self,
        input: &StackSetInput,
        accounts: &[String],
        regions: &[String],
        p: &Preferences,
        operation_id: &str,
    ) -> CfnResult<String> {
        let mut req = self
            .admin()
            .update_stack_set()
            .set_call_as(self.call_as.clone())
            .stack_set_name(&input.name)
            .set_parameters(Some(params(&input.parameters)))
            .set_capabilities(Some(input.capabilities.iter().map(|c| Capability::from(c.as_str())).collect()))
            .set_tags(Some(tags(&input.tags)))
            .set_administration_role_arn(self_managed(input, &input.admin_role_arn))
            .set_execution_role_name(self_managed(input, &input.execution_role_name))
            .set_auto_deployment(auto_deployment(input))
            .operation_preferences(prefs(p))
            .operation_id(operation_id);
        if !regions.is_empty() {
            // Only these instances are updated; the others become OUTDATED.
            req = req
                .set_accounts(account_ids(accounts))
                .set_deployment_targets(ou_targets(accounts))
                .set_regions(Some(regions.to_vec()));
        }
        req = match &input.template {
            TemplateSource::Body(b) => req.template_body(b),
            TemplateSource::Url(u) => req.template_url(u),
            TemplateSource::Previous => req.use_previous_template(true),
        };
        let out = req.send().await.map_err(|e| self.err(&self.region, e).with_stack(&input.name))?;
        Ok(out.operation_id().unwrap_or(operation_id).to_owned())
    }

    async fn delete_stack_set(&self, name: &str) -> CfnResult<()> {
        self.admin()
            .delete_stack_set()
            .set_call_as(self.call_as.clone())
            .stack_set_name(name)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.err(&self.region, e).with_stack(name))
    }

    async fn list_stack_instances(&self, name: &str) -> CfnResult<Vec<InstanceInfo>> {
        let items: CfnResult<Vec<_>> = listed!(
            self.admin()
                .list_stack_instances()
                .set_call_as(self.call_as.clone())
                .stack_set_name(name)
                .into_paginator()
                .items()
                .send(),
            "ListStackInstances",
            |e| self.err(&self.region, e)
        );
        let mut out: Vec<InstanceInfo> = items.map_err(|e| e.with_stack(name))?.iter().map(instance).collect();
        out.sort_by(|a, b| (&a.region, &a.account).cmp(&(&b.region, &b.account)));
        Ok(out)
    }

    async fn describe_stack_instance(&self, name: &str, account: &str, region: &str) -> CfnResult<InstanceInfo> {
        let out = self
            .admin()
            .describe_stack_instance()
            .set_call_as(self.call_as.clone())
            .stack_set_name(name)
            .stack_instance_account(account)
            .stack_instance_region(region)
            .send()
            .await
            .map_err(|e| self.err(&self.region, e).with_stack(name))?;
        let Some(i) = out.stack_instance() else {
            return Err(CfnError::service(
                "StackInstanceNotFoundException",
                &format!("no instance of {name} in {region}"),
            ));
        };
        Ok(InstanceInfo {
            region: i.region().unwrap_or(region).to_owned(),
            account: i.account().unwrap_or(account).to_owned(),
            status: InstanceStatus::parse(i.status().map(|s| s.as_str()).unwrap_or_default()),
            detailed_status: i
                .stack_instance_status()
                .and_then(|s| s.detailed_status())
                .map(|s| DetailedStatus::parse(s.as_str())),
            status_reason: i.status_reason().map(str::to_owned),
            stack_id: i.stack_id().map(str::to_owned),
            overrides: i
                .parameter_overrides()
                .iter()
                .filter_map(|p| {
                    Some((p.parameter_key()?.to_owned(), p.parameter_value().unwrap_or_default().to_owned()))
                })
                .collect(),
            drift_status: i.drift_status().map(|d| d.as_str().to_owned()),
        })
    }

    async fn detect_stack_set_drift(&self, name: &str, p: &Preferences, operation_id: &str) -> CfnResult<String> {
        let out = self
            .admin()
            .detect_stack_set_drift()
            .set_call_as(self.call_as.clone())
            .stack_set_name(name)
            .operation_preferences(prefs(p))
            .operation_id(operation_id)
            .send()
            .await
            .map_err(|e| self.err(&self.region, e).with_stack(name))?;
        Ok(out.operation_id().unwrap_or(operation_id).to_owned())
    }

    async fn stack_resource_drifts(&self, region: &str, stack_id: &str) -> CfnResult<Vec<ResourceDrift>> {
        use cf::types::StackResourceDriftStatus as S;
        let pages: CfnResult<Vec<_>> = listed!(
            self.client(region)
                .describe_stack_resource_drifts()
                .stack_name(stack_id)
                .stack_resource_drift_status_filters(S::Modified)
                .stack_resource_drift_status_filters(S::Deleted)
                .into_paginator()
                .send(),
            "DescribeStackResourceDrifts",
            |e| self.err(region, e)
        );
        Ok(pages?
            .iter()
            .flat_map(|p| p.stack_resource_drifts())
            .map(|d| ResourceDrift {
                logical_id: d.logical_resource_id().unwrap_or_default().to_owned(),
                physical_id: d.physical_resource_id().map(str::to_owned),
                resource_type: d.resource_type().unwrap_or_default().to_owned(),
                status: d.stack_resource_drift_status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                differences: d
                    .property_differences()
                    .iter()
                    .map(|p| PropertyDifference {
                        path: p.property_path().unwrap_or_default().to_owned(),
                        expected: p.expected_value().unwrap_or_default().to_owned(),
                        actual: p.actual_value().unwrap_or_default().to_owned(),
                        kind: p.difference_type().map(|k| k.as_str().to_owned()).unwrap_or_default(),
                    })
                    .collect(),
            })
            .collect())
    }

    async fn create_stack_instances(
        &self,
        name: &str,
        accounts: &[String],
        regions: &[String],
        overrides: &BTreeMap<String, String>,
        p: &Preferences,
        operation_id: &str,
    ) -> CfnResult<String> {
        let out = self
            .admin()
            .create_stack_instances()
            .set_call_as(self.call_as.clone())
            .stack_set_name(name)
            .set_accounts(account_ids(accounts))
            .set_deployment_targets(ou_targets(accounts))
            .set_regions(Some(regions.to_vec()))
            .set_parameter_overrides(if overrides.is_empty() { None } else { Some(params(overrides)) })
            .operation_preferences(prefs(p))
            .operation_id(operation_id)
            .send()
            .await
            .map_err(|e| self.err(&self.region, e).with_stack(name))?;
        Ok(out.operation_id().unwrap_or(operation_id).to_owned())
    }

    async fn update_stack_instances(
        &self,
        name: &str,
        accounts: &[String],
        regions: &[String],
        overrides: &BTreeMap<String, String>,
        p: &Preferences,
        operation_id: &str,
    ) -> CfnResult<String> {
        let out = self
            .admin()
            .update_stack_instances()
            .set_call_as(self.call_as.clone())
            .stack_set_name(name)
            .set_accounts(account_ids(accounts))
            .set_deployment_targets(ou_targets(accounts))
            .set_regions(Some(regions.to_vec()))
            .set_parameter_overrides(Some(params(overrides)))
            .operation_preferences(prefs(p))
            .operation_id(operation_id)
            .send()
            .await
            .map_err(|e| self.err(&self.region, e).with_stack(name))?;
        Ok(out.operation_id().unwrap_or(operation_id).to_owned())
    }

    async fn delete_stack_instances(
        &self,
        name: &str,
        accounts: &[String],
        regions: &[String],
        p: &Preferences,
        operation_id: &str,
    ) -> CfnResult<String> {
        let out = self
            .admin()
            .delete_stack_instances()
            .set_call_as(self.call_as.clone())
            .stack_set_name(name)
            .set_accounts(account_ids(accounts))
            .set_deployment_targets(ou_targets(accounts))
            .set_regions(Some(regions.to_vec()))
            .retain_stacks(false)
            .operation_preferences(prefs(p))
            .operation_id(operation_id)
            .send()
            .await
            .map_err(|e| self.err(&self.region, e).with_stack(name))?;
        Ok(out.operation_id().unwrap_or(operation_id).to_owned())
    }

    async fn describe_operation(&self, name: &str, id: &str) -> CfnResult<OperationInfo> {
        if id.is_empty() {
            return Err(CfnError::service("OperationNotFoundException", &format!("no operation id for {name}")));
        }
        let out = self
            .admin()
            .describe_stack_set_operation()
            .set_call_as(self.call_as.clone())
            .stack_set_name(name)
            .operation_id(id)
            .send()
            .await
            .map_err(|e| self.err(&self.region, e).with_stack(name))?;
        let Some(o) = out.stack_set_operation() else {
            return Err(CfnError::service("OperationNotFoundException", &format!("no operation {id} on {name}")));
        };
        Ok(operation(o.operation_id(), o.action(), o.status(), o.status_reason(), o.creation_timestamp()))
    }

    async fn list_operations(&self, name: &str) -> CfnResult<Vec<OperationInfo>> {
        let items: CfnResult<Vec<_>> = listed!(
            self.admin()
                .list_stack_set_operations()
                .set_call_as(self.call_as.clone())
                .stack_set_name(name)
                .into_paginator()
                .items()
                .send(),
            "ListStackSetOperations",
            |e| self.err(&self.region, e)
        );
        let mut ops: Vec<(Option<aws_sdk_cloudformation::primitives::DateTime>, OperationInfo)> = items
            .map_err(|e| e.with_stack(name))?
            .iter()
            .map(|o| {
                (
                    o.creation_timestamp().cloned(),
                    operation(o.operation_id(), o.action(), o.status(), o.status_reason(), o.creation_timestamp()),
                )
            })
            .collect();
        // Newest first, whatever order the service used.
        ops.sort_by(|a, b| b.0.map(|d| (d.secs(), d.subsec_nanos())).cmp(&a.0.map(|d| (d.secs(), d.subsec_nanos()))));
        Ok(ops.into_iter().map(|(_, o)| o).collect())
    }

    async fn list_operation_results(&self, name: &str, id: &str) -> CfnResult<Vec<RegionResult>> {
        let items: CfnResult<Vec<_>> = listed!(
            self.admin()
                .list_stack_set_operation_results()
                .set_call_as(self.call_as.clone())
                .stack_set_name(name)
                .operation_id(id)
                .into_paginator()
                .items()
                .send(),
            "ListStackSetOperationResults",
            |e| self.err(&self.region, e)
        );
        Ok(items
            .map_err(|e| e.with_stack(name))?
            .iter()
            .map(|r| RegionResult {
                region: r.region().unwrap_or_default().to_owned(),
                account: r.account().unwrap_or_default().to_owned(),
                status: RegionStatus::parse(r.status().map(|s| s.as_str()).unwrap_or_default()),
                reason: r.status_reason().map(str::to_owned),
            })
            .collect())
    }

    async fn instance_stack(&self, _stack_set: &str, instance: &InstanceInfo) -> CfnResult<Option<StackInfo>> {
        match &instance.stack_id {
            Some(id) => self.describe_stack(&instance.region, id).await,
            None => Ok(None),
        }
    }

    async fn instance_stack_as(
        &self,
        _stack_set: &str,
        instance: &InstanceInfo,
        role_arn: &str,
    ) -> CfnResult<Option<StackInfo>> {
        let Some(id) = &instance.stack_id else { return Ok(None) };
        self.assuming(role_arn, "haplat-read-outputs").await.describe_stack(&instance.region, id).await
    }

    /// The stack `name` (or id) in `region`, unless deleted: `None` when it does not exist.
    async fn describe_stack(&self, region: &str, name: &str) -> CfnResult<Option<StackInfo>> {
        match self.client(region).describe_stacks().stack_name(name).send().await {
            Ok(out) => Ok(out
                .stacks()
                .iter()
                .find(|s| s.stack_status().map(|s| StackStatus::parse(s.as_str())) != Some(StackStatus::DeleteComplete))
                .map(stack_info)),
            Err(e) => match self.err(region, e) {
                CfnError::Service { code, message }
                    if code == "ValidationError" && message.contains("does not exist") =>
                {
                    Ok(None)
                }
                other => Err(other),
            },
        }
    }

    async fn stack_events(&self, region: &str, stack_id: &str) -> CfnResult<Vec<StackEvent>> {
        let out = self
            .client(region)
            .describe_stack_events()
            .stack_name(stack_id)
            .send()
            .await
            .map_err(|e| self.err(region, e))?;
        Ok(out
            .stack_events()
            .iter()
            .map(|e| StackEvent {
                logical_id: e.logical_resource_id().unwrap_or_default().to_owned(),
                resource_type: e.resource_type().unwrap_or_default().to_owned(),
                status: ResourceStatus::parse(e.resource_status().map(|s| s.as_str()).unwrap_or_default()),
                reason: e.resource_status_reason().map(str::to_owned),
                time: e.timestamp().map(|t| t.secs()),
            })
            .collect())
    }

    async fn create_stack(&self, region: &str, input: &StackInput) -> CfnResult<String> {
        let out = self
            .client(region)
            .create_stack()
            .stack_name(&input.name)
            .template_body(&input.body)
            .set_parameters(Some(params(&input.parameters)))
            .set_capabilities(Some(input.capabilities.iter().map(|c| Capability::from(c.as_str())).collect()))
            .send()
            .await
            .map_err(|e| self.err(region, e))?;
        Ok(out.stack_id().unwrap_or_default().to_owned())
    }

    async fn update_stack(&self, region: &str, input: &StackInput) -> CfnResult<bool> {
        match self
            .client(region)
            .update_stack()
            .stack_name(&input.name)
            .template_body(&input.body)
            .set_parameters(Some(params(&input.parameters)))
            .set_capabilities(Some(input.capabilities.iter().map(|c| Capability::from(c.as_str())).collect()))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) => match self.err(region, e) {
                e if e.is_no_updates() => Ok(false),
                other => Err(other),
            },
        }
    }

    async fn role_exists(&self, name: &str) -> CfnResult<bool> {
        // IAM is global: its partition's endpoint answers (AWS_ENDPOINT_URL applies as everywhere).
        match self.signed.query(signed::IAM, &self.region, "GetRole", &[("RoleName", name)]).await {
            Ok(_) => Ok(true),
            Err(CfnError::Service { code, .. }) if code == "NoSuchEntity" || code == "NoSuchEntityException" => {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    async fn upload_template(&self, region: &str, bucket: &str, key: &str, body: &str) -> CfnResult<String> {
        self.signed.send(&object(region, "PUT", bucket, key, Some(body))).await?;
        Ok(format!("https://{bucket}.s3.{region}.{}/{key}", dns_suffix(region)))
    }

    async fn put_if_absent(&self, region: &str, bucket: &str, key: &str, body: &str) -> CfnResult<bool> {
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html: 412
        // when the key exists; 409 ConditionalRequestConflict when a write races, to be retried.
        for _ in 0..3 {
            let mut put = object(region, "PUT", bucket, key, Some(body));
            put.headers.push(("if-none-match", "*".into()));
            match self.signed.send(&put).await {
                Ok(_) => return Ok(true),
                Err(CfnError::Service { code, .. }) if code == "PreconditionFailed" => return Ok(false),
                Err(CfnError::Service { code, .. }) if code == "ConditionalRequestConflict" => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(false)
    }

    async fn read_object(&self, region: &str, bucket: &str, key: &str) -> CfnResult<Option<String>> {
        match self.signed.send(&object(region, "GET", bucket, key, None)).await {
            Ok(body) => Ok(Some(String::from_utf8_lossy(&body).into_owned())),
            Err(CfnError::Service { code, .. }) if code == "NoSuchKey" => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn delete_object(&self, region: &str, bucket: &str, key: &str) -> CfnResult<()> {
        self.signed.send(&object(region, "DELETE", bucket, key, None)).await?;
        Ok(())
    }
}

/// An S3 object call: virtual-hosted (`<bucket>.s3.<region>…`), path-style against an endpoint
/// given (an emulator answers nothing else); a body is JSON.
fn object<'a>(region: &'a str, method: &'static str, bucket: &str, key: &str, body: Option<&str>) -> signed::Call<'a> {
    let mut call = signed::Call::new(signed::S3, region, method, format!("/{}", signed::encode_path(key)));
    call.host_prefix = Some(bucket.to_owned());
    if let Some(body) = body {
        call.headers.push(("content-type", "application/json".into()));
        call.body = body.as_bytes().to_vec();
    }
    call
}

impl Aws {
    /// The SDK configuration for `region` (every service client is made from it, so the
    /// endpoint, credentials, timeouts and the SDK's bounded retries are the same as
    /// CloudFormation's).
    pub(crate) fn conf_in(&self, region: &str) -> SdkConfig {
        self.config.to_builder().region(Region::new(region.to_owned())).build()
    }

    /// Shield and Route 53 answer in us-east-1 (their global endpoint) in the commercial
    /// partition; in China and GovCloud, in the partition's region; in the other partitions,
    /// the administration region stands for its partition.
    pub(crate) fn global_region(&self) -> String {
        if self.region.starts_with("cn-") {
            "cn-northwest-1".to_owned()
        } else if self.region.starts_with("us-gov-") {
            "us-gov-west-1".to_owned()
        } else if dns_suffix(&self.region) == "amazonaws.com" {
            "us-east-1".to_owned()
        } else {
            self.region.clone()
        }
    }
}

impl Account for Aws {
    async fn apigateway_cloudwatch_role(&self, region: &str) -> CfnResult<Option<String>> {
        let out = self.signed.rest_json(signed::APIGATEWAY, region, "GET", "/account".into(), vec![], None).await?;
        Ok(out["cloudwatchRoleArn"].as_str().filter(|a| !a.is_empty()).map(str::to_owned))
    }

    async fn set_apigateway_cloudwatch_role(&self, region: &str, arn: &str) -> CfnResult<()> {
        let patch =
            serde_json::json!({"patchOperations": [{"op": "replace", "path": "/cloudwatchRoleArn", "value": arn}]});
        self.signed.rest_json(signed::APIGATEWAY, region, "PATCH", "/account".into(), vec![], Some(patch)).await?;
        Ok(())
    }

    async fn stacksets_organizations_access(&self, call_as: Option<haplat_core::manifest::CallAs>) -> CfnResult<bool> {
        let out = self
            .admin()
            .describe_organizations_access()
            .set_call_as(call_as.map(|c| cf::types::CallAs::from(c.as_str())))
            .send()
            .await
            .map_err(|e| self.err(&self.region, e))?;
        Ok(out.status() == Some(&cf::types::OrganizationStatus::Enabled))
    }

    async fn shield_subscription_active(&self) -> CfnResult<bool> {
        let region = self.global_region();
        let out = self.signed.json(signed::SHIELD, &region, "GetSubscriptionState", serde_json::json!({})).await?;
        Ok(out["SubscriptionState"] == "ACTIVE")
    }

    async fn engine_versions(&self, region: &str, engine: &str, version: &str) -> CfnResult<Vec<EngineVersion>> {
        let mut params = vec![("Engine", engine)];
        if !version.is_empty() {
            params.push(("EngineVersion", version));
        }
        let pages = self.signed.pages(signed::RDS, region, "DescribeDBEngineVersions", &params, "Marker").await?;
        Ok(pages
            .iter()
            .flat_map(|page| page.list(&["DescribeDBEngineVersionsResult", "DBEngineVersions"]))
            .map(|v| EngineVersion {
                version: v.text_at(&["EngineVersion"]).unwrap_or_default().to_owned(),
                global_databases: v.bool_at(&["SupportsGlobalDatabases"]).unwrap_or(false),
                serverless_v2: v.child("ServerlessV2FeaturesSupport").is_some(),
            })
            .collect())
    }

    async fn zones(&self, region: &str) -> CfnResult<Vec<Zone>> {
        let out = self.signed.query(signed::EC2, region, "DescribeAvailabilityZones", &[]).await?;
        let mut zones: Vec<Zone> = out
            .list(&["availabilityZoneInfo"])
            .iter()
            // Fn::GetAZs lists the region's available Availability Zones (no Local or
            // Wavelength Zones).
            .filter(|z| z.text_at(&["zoneType"]).is_none_or(|t| t == "availability-zone"))
            .filter(|z| z.text_at(&["zoneState"]).is_none_or(|s| s == "available"))
            .map(|z| Zone {
                name: z.text_at(&["zoneName"]).unwrap_or_default().to_owned(),
                id: z.text_at(&["zoneId"]).unwrap_or_default().to_owned(),
            })
            .collect();
        zones.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(zones)
    }

    async fn endpoint_service_zones(&self, region: &str, service: &str) -> CfnResult<Option<Vec<String>>> {
        match self.signed.query(signed::EC2, region, "DescribeVpcEndpointServices", &[("ServiceName.1", service)]).await
        {
            Ok(out) => Ok(out
                .list(&["serviceDetailSet"])
                .iter()
                .find(|d| d.text_at(&["serviceName"]) == Some(service))
                .map(|d| d.list(&["availabilityZoneSet"]).iter().map(|z| z.text.clone()).collect())),
            Err(CfnError::Service { code, .. }) if code.contains("InvalidServiceName") => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn backup_dynamodb_advanced(&self, region: &str) -> CfnResult<Option<bool>> {
        let out =
            self.signed.rest_json(signed::BACKUP, region, "GET", "/account-settings".into(), vec![], None).await?;
        Ok(out["ResourceTypeManagementPreference"]["DynamoDB"].as_bool())
    }

    async fn hosted_zone_exists(&self, id: &str) -> CfnResult<bool> {
        let region = self.global_region();
        let path = format!("/2013-04-01/hostedzone/{}", signed::encode(id.trim_start_matches("/hostedzone/")));
        match self.signed.send(&signed::Call::new(signed::ROUTE53, &region, "GET", path)).await {
            Ok(_) => Ok(true),
            Err(CfnError::Service { code, .. }) if code == "NoSuchHostedZone" => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn hosted_zones_named(&self, name: &str) -> CfnResult<Vec<String>> {
        let region = self.global_region();
        let want = format!("{}.", name.trim_end_matches('.')).to_ascii_lowercase();
        // Zones come in name order from `DnsName` on: the ones named `want` are first, then
        // others; one page of 100 holds every zone of that name an account can sensibly have.
        let mut call = signed::Call::new(signed::ROUTE53, &region, "GET", "/2013-04-01/hostedzonesbyname".into());
        call.query = vec![("dnsname".into(), want.clone()), ("maxitems".into(), "100".into())];
        let out = self.signed.xml(&call).await?;
        Ok(out
            .list(&["HostedZones"])
            .iter()
            .filter(|z| z.text_at(&["Name"]).is_some_and(|n| n.eq_ignore_ascii_case(&want)))
            .map(|z| z.text_at(&["Id"]).unwrap_or_default().trim_start_matches("/hostedzone/").to_owned())
            .collect())
    }

    async fn quota(&self, region: &str, quota: Quota) -> CfnResult<Option<f64>> {
        let (service, code) = quota.codes();
        let input = serde_json::json!({"ServiceCode": service, "QuotaCode": code});
        match self.signed.json(signed::SERVICE_QUOTAS, region, "GetServiceQuota", input).await {
            Ok(out) => Ok(out["Quota"]["Value"].as_f64()),
            Err(CfnError::Service { code, .. }) if code == "NoSuchResourceException" => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn usage(&self, region: &str, quota: Quota) -> CfnResult<Option<u32>> {
        match quota {
            Quota::Vpcs => {
                let pages = self.signed.pages(signed::EC2, region, "DescribeVpcs", &[], "NextToken").await?;
                Ok(Some(pages.iter().map(|p| p.list(&["vpcSet"]).len() as u32).sum()))
            }
            Quota::ElasticIps => {
                let out = self.signed.query(signed::EC2, region, "DescribeAddresses", &[]).await?;
                Ok(Some(out.list(&["addressesSet"]).len() as u32))
            }
            // Load balancers are not counted (haplat does not call DescribeLoadBalancers).
            Quota::Albs => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_timeout_is_a_positive_finite_number_of_seconds() {
        assert_eq!(http_timeout("2.5"), Ok(Duration::from_millis(2500)));
        for bad in ["0", "-1", "nan", "inf", "1e300", "soon"] {
            let e = http_timeout(bad).unwrap_err();
            assert!(e.starts_with(&format!("HAPLAT_HTTP_TIMEOUT={bad:?}")), "{e}");
        }
    }

    #[test]
    fn template_urls_use_the_partition_s_dns_suffix() {
        assert_eq!(dns_suffix("cn-north-1"), "amazonaws.com.cn");
        assert_eq!(dns_suffix("eu-west-1"), "amazonaws.com");
        assert_eq!(dns_suffix("us-iso-east-1"), "c2s.ic.gov");
        assert_eq!(dns_suffix("eusc-de-east-1"), "amazonaws.eu");
    }

    #[test]
    fn an_answer_without_a_message_is_its_http_status_on_one_line() {
        use aws_sdk_cloudformation::error::ErrorMetadata;
        use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksError;
        use aws_smithy_types::body::SdkBody;
        for (status, code, want) in [
            (500, None, "Unknown: HTTP 500 without an AWS error message"),
            (403, Some("AccessDenied"), "AccessDenied: HTTP 403 without an AWS error message"),
        ] {
            let mut meta = ErrorMetadata::builder();
            if let Some(c) = code {
                meta = meta.code(c);
            }
            let raw = HttpResponse::new(status.try_into().unwrap(), SdkBody::empty());
            let e = SdkError::service_error(DescribeStacksError::generic(meta.build()), raw);
            let text = classify("AWS in eu-west-1", "eu-west-1", e).to_string();
            assert_eq!(text, want);
            assert!(!text.contains('{') && text.len() < 120, "{text}");
        }
    }

    #[test]
    fn errors_name_the_stack_set_and_keep_the_message() {
        let e = CfnError::StackSetNotFound { name: None, message: "StackSet Data not found".into() }.with_stack("Data");
        assert_eq!(e.to_string(), "stack set Data does not exist (StackSet Data not found)");
        let e = CfnError::OperationInProgress { name: Some("App".into()), message: String::new() };
        assert_eq!(e.to_string(), "another operation is in progress on stack set App");
    }
}
