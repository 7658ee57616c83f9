//! [`CloudFormation`] and [`Account`] over AWS, as signed calls ([`crate::signed`]) with one SDK
//! configuration: credentials, region and profile come from the standard chain (environment,
//! profiles, SSO…); the endpoint from `AWS_ENDPOINT_URL` like every AWS SDK. Errors are sorted
//! into [`CfnError`] so that a missing credential, an expired token or an endpoint that does not
//! answer end in one clear line.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use crate::account::{Account, EngineVersion, Quota, Zone};
use crate::cfn::*;
use crate::signed::{self, CLOUDFORMATION, Xml, dns_suffix};

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

/// AWS, with one configuration.
pub struct Aws {
    config: SdkConfig,
    region: String,
    call_as: Option<haplat_core::manifest::CallAs>,
    /// Every call, signed with the configuration's credentials.
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
            loader = loader.credentials_provider(Credentials::new(id, secret, None, None, "haplat-static"));
        }
        let config = loader.load().await;
        let Some(region) = config.region().map(|r| r.to_string()) else {
            return Err(
                "no administration region: pass --region or set AWS_REGION (or a region in your AWS profile)".into()
            );
        };
        let signed = crate::signed::Signed::new(config.clone(), timeout);
        Ok(Aws { config, region, call_as: opts.call_as, signed })
    }

    /// The same service with the credentials of `role_arn`, assumed with these credentials
    /// (a session named `session`): what it reads is read in the role's account.
    pub async fn assuming(&self, role_arn: &str, session: &str) -> Aws {
        let provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
            .session_name(session)
            .configure(&self.conf_in(&self.region))
            .build()
            .await;
        let config = self.config.to_builder().credentials_provider(SharedCredentialsProvider::new(provider)).build();
        Aws {
            signed: self.signed.for_config(config.clone()),
            config,
            region: self.region.clone(),
            call_as: self.call_as,
        }
    }

    /// The administration region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// A CloudFormation call in `region`: the `<Action>Result` element of its answer (empty
    /// when the answer has none).
    pub(crate) async fn cfn(&self, region: &str, action: &str, form: &Form) -> CfnResult<Xml> {
        let answer = self.signed.query(CLOUDFORMATION, region, action, &form.pairs()).await?;
        result_of(answer, action)
    }

    /// The members of the list `list` of every page of a CloudFormation listing in `region`
    /// (`NextToken` sent back until an answer has none); past [`signed::MAX_LISTED`] members or
    /// pages, an error that says so.
    pub(crate) async fn cfn_list(&self, region: &str, action: &str, form: &Form, list: &str) -> CfnResult<Vec<Xml>> {
        let mut members = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            signed::next_page(&mut pages, action)?;
            let mut params = form.pairs();
            if let Some(t) = &token {
                params.push(("NextToken", t));
            }
            let answer = self.signed.query(CLOUDFORMATION, region, action, &params).await?;
            let mut page = result_of(answer, action)?;
            let next = page.text_at(&["NextToken"]).map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
            // The same token again ends the listing, as the SDK's paginators end it.
            token = next.filter(|n| token.as_ref() != Some(n));
            if let Some(l) = page.children.iter_mut().find(|c| c.name == list) {
                members.append(&mut l.children);
            }
            if members.len() > signed::MAX_LISTED {
                return Err(signed::endless(action));
            }
            if token.is_none() {
                return Ok(members);
            }
        }
    }

    /// A StackSets call in the administration region, with `CallAs` when one is set.
    async fn stack_sets(&self, action: &str, mut form: Form) -> CfnResult<Xml> {
        form.opt("CallAs", self.call_as.map(|c| c.as_str()));
        self.cfn(&self.region, action, &form).await
    }

    /// A StackSets call that starts operation `operation_id` on stack set `name`: the id
    /// CloudFormation answers (the one sent, when it answers none); an error names the stack set.
    async fn start_operation(&self, action: &str, name: &str, mut form: Form, operation_id: &str) -> CfnResult<String> {
        form.set("OperationId", operation_id);
        let out = self.stack_sets(action, form).await.map_err(|e| e.with_stack(name))?;
        Ok(text(&out, "OperationId").unwrap_or_else(|| operation_id.to_owned()))
    }

    /// A StackSets listing in the administration region, with `CallAs` when one is set: the
    /// `Summaries` of every page.
    async fn stack_set_summaries(&self, action: &str, mut form: Form) -> CfnResult<Vec<Xml>> {
        form.opt("CallAs", self.call_as.map(|c| c.as_str()));
        self.cfn_list(&self.region, action, &form, "Summaries").await
    }
}

/// The `<action>Result` child of a Query answer (empty when the answer has none, as
/// `DeleteStackSet`'s may); an answer whose root is not `<action>Response` is refused, as the
/// SDK refused it, rather than read as an empty result (no stack set, no stack).
fn result_of(mut answer: Xml, action: &str) -> CfnResult<Xml> {
    if answer.name != format!("{action}Response") {
        return Err(CfnError::service(
            "InvalidResponse",
            &format!("{action}: the answer is <{}>, not <{action}Response>", answer.name),
        ));
    }
    let name = format!("{action}Result");
    Ok(match answer.children.iter().position(|c| c.name == name) {
        Some(i) => answer.children.swap_remove(i),
        None => Xml { name, ..Xml::default() },
    })
}

/// The parameters of one CloudFormation call in the Query protocol's shape: a structure's
/// field is `Name.Field`, a list's item `Name.member.N` (from 1); an empty list is sent as
/// `Name=` (as the SDK sends it: for `Tags`, it removes them all; left out, they stay).
#[derive(Debug, Default)]
pub(crate) struct Form(Vec<(String, String)>);

impl Form {
    pub(crate) fn new() -> Form {
        Form::default()
    }

    pub(crate) fn set(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Form {
        self.0.push((key.into(), value.into()));
        self
    }

    pub(crate) fn opt(&mut self, key: &str, value: Option<impl Into<String>>) -> &mut Form {
        if let Some(v) = value {
            self.set(key, v);
        }
        self
    }

    /// A list of strings.
    pub(crate) fn list<S: AsRef<str>>(&mut self, key: &str, items: &[S]) -> &mut Form {
        if items.is_empty() {
            return self.set(key, "");
        }
        for (i, item) in items.iter().enumerate() {
            self.set(format!("{key}.member.{}", i + 1), item.as_ref());
        }
        self
    }

    /// A list of key/value structures (`Parameters`: `ParameterKey`/`ParameterValue`; `Tags`:
    /// `Key`/`Value`).
    fn entries(&mut self, key: &str, (k_name, v_name): (&str, &str), map: &BTreeMap<String, String>) -> &mut Form {
        if map.is_empty() {
            return self.set(key, "");
        }
        for (i, (k, v)) in map.iter().enumerate() {
            self.set(format!("{key}.member.{}.{k_name}", i + 1), k.as_str());
            self.set(format!("{key}.member.{}.{v_name}", i + 1), v.as_str());
        }
        self
    }

    fn parameters(&mut self, key: &str, map: &BTreeMap<String, String>) -> &mut Form {
        self.entries(key, ("ParameterKey", "ParameterValue"), map)
    }

    /// `OperationPreferences` (only the fields set).
    fn preferences(&mut self, p: &Preferences) -> &mut Form {
        let field = |name: &str| format!("OperationPreferences.{name}");
        self.opt(&field("RegionConcurrencyType"), p.region_concurrency.as_deref());
        self.opt(&field("MaxConcurrentCount"), p.max_concurrent_count.map(|n| n.to_string()));
        self.opt(&field("FailureToleranceCount"), p.failure_tolerance_count.map(|n| n.to_string()));
        if !p.region_order.is_empty() {
            self.list(&field("RegionOrder"), &p.region_order);
        }
        self.opt(&field("ConcurrencyMode"), p.concurrency_mode())
    }

    /// The targets of an instance call: `Accounts` when they are account ids, else
    /// `DeploymentTargets.OrganizationalUnitIds` (a service-managed stack set's OUs,
    /// <https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeploymentTargets.html>).
    fn targets(&mut self, targets: &[String]) -> &mut Form {
        if crate::cfn::are_organizational_units(targets) {
            self.list("DeploymentTargets.OrganizationalUnitIds", targets)
        } else {
            self.list("Accounts", targets)
        }
    }

    /// What a stack set is created and updated with.
    fn stack_set(&mut self, input: &StackSetInput) -> &mut Form {
        self.set("StackSetName", input.name.as_str());
        self.parameters("Parameters", &input.parameters);
        self.list("Capabilities", &input.capabilities);
        self.entries("Tags", ("Key", "Value"), &input.tags);
        // Role fields only for a self-managed stack set: a service-managed one uses the
        // service-linked roles Organizations trusted access creates
        // (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-activate-trusted-access.html>).
        if input.deployment.permission_model() == "SELF_MANAGED" {
            self.set("AdministrationRoleARN", input.admin_role_arn.as_str());
            self.set("ExecutionRoleName", input.execution_role_name.as_str());
        }
        // `AutoDeployment` of a service-managed stack set: enabled, `RetainStacksOnAccountRemoval`
        // as the environment chose (<https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_AutoDeployment.html>).
        // Without OUs (destroy keeping the stack set as it is), it is left alone.
        if let haplat_core::manifest::Deployment::OrganizationalUnits {
            organizational_units,
            retain_stacks_on_account_removal,
            ..
        } = &input.deployment
            && !organizational_units.is_empty()
        {
            self.set("AutoDeployment.Enabled", "true");
            self.set("AutoDeployment.RetainStacksOnAccountRemoval", retain_stacks_on_account_removal.to_string());
        }
        self
    }

    fn pairs(&self) -> Vec<(&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }
}

/// The HTTP client of every call: rustls with ring, so that no C crypto library is built (the
/// SDK's default, aws-lc, is; docs/build-cost.md).
pub fn https_client() -> SharedHttpClient {
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

/// What a stack is created and updated with.
fn stack_form(input: &StackInput) -> Form {
    let mut form = Form::new();
    form.set("StackName", input.name.as_str())
        .set("TemplateBody", input.body.as_str())
        .parameters("Parameters", &input.parameters)
        .list("Capabilities", &input.capabilities);
    form
}

/// The text of `x`'s child `name`, if there.
fn text(x: &Xml, name: &str) -> Option<String> {
    x.text_at(&[name]).map(str::to_owned)
}

/// The key/value members of the list `list` (`Parameters`, `Outputs`, `Tags`…) of `x`.
fn entries(x: &Xml, list: &str, (k_name, v_name): (&str, &str)) -> BTreeMap<String, String> {
    x.list(&[list])
        .iter()
        .filter_map(|m| Some((m.text_at(&[k_name])?.to_owned(), m.text_at(&[v_name]).unwrap_or_default().to_owned())))
        .collect()
}

fn parameters(x: &Xml, list: &str) -> BTreeMap<String, String> {
    entries(x, list, ("ParameterKey", "ParameterValue"))
}

/// A CloudFormation timestamp (`2026-12-04T19:45:00.123Z`).
fn timestamp(x: &Xml, name: &str) -> Option<DateTime> {
    x.text_at(&[name]).and_then(|t| DateTime::from_str(t.trim(), Format::DateTime).ok())
}

/// A stack instance (`StackInstanceSummary` or `StackInstance`).
fn instance(i: &Xml) -> InstanceInfo {
    InstanceInfo {
        region: text(i, "Region").unwrap_or_default(),
        account: text(i, "Account").unwrap_or_default(),
        status: InstanceStatus::parse(i.text_at(&["Status"]).unwrap_or_default()),
        detailed_status: i.text_at(&["StackInstanceStatus", "DetailedStatus"]).map(DetailedStatus::parse),
        status_reason: text(i, "StatusReason"),
        stack_id: text(i, "StackId"),
        overrides: parameters(i, "ParameterOverrides"),
        drift_status: text(i, "DriftStatus"),
    }
}

fn stack_info(s: &Xml) -> StackInfo {
    StackInfo {
        id: text(s, "StackId").unwrap_or_default(),
        name: text(s, "StackName").unwrap_or_default(),
        status: StackStatus::parse(s.text_at(&["StackStatus"]).unwrap_or_default()),
        status_reason: text(s, "StackStatusReason"),
        outputs: entries(s, "Outputs", ("OutputKey", "OutputValue")),
        parameters: parameters(s, "Parameters"),
    }
}

/// A stack set operation (`StackSetOperation` or its summary).
fn operation(o: &Xml) -> OperationInfo {
    let created = timestamp(o, "CreationTimestamp");
    OperationInfo {
        id: text(o, "OperationId").unwrap_or_default(),
        action: text(o, "Action").unwrap_or_default(),
        status: OperationStatus::parse(o.text_at(&["Status"]).unwrap_or("UNKNOWN")),
        status_reason: text(o, "StatusReason"),
        created: created.map(|d| d.to_string()),
        created_secs: created.map(|d| d.secs()),
    }
}

/// `ValidationError … does not exist`: what CloudFormation answers for a stack (or one of its
/// resources) that is not there.
pub(crate) fn does_not_exist(e: &CfnError) -> bool {
    matches!(e, CfnError::Service { code, message } if code == "ValidationError" && message.contains("does not exist"))
}

impl CloudFormation for Aws {
    async fn describe_stack_set(&self, name: &str) -> CfnResult<Option<StackSetInfo>> {
        let mut form = Form::new();
        form.set("StackSetName", name);
        let out = match self.stack_sets("DescribeStackSet", form).await {
            Ok(out) => out,
            Err(CfnError::StackSetNotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(s) = out.child("StackSet") else { return Ok(None) };
        let status = StackSetStatus::parse(s.text_at(&["Status"]).unwrap_or_default());
        if status == StackSetStatus::Deleted {
            return Ok(None);
        }
        Ok(Some(StackSetInfo {
            name: text(s, "StackSetName").unwrap_or_else(|| name.to_owned()),
            status,
            template_body: text(s, "TemplateBody").unwrap_or_default(),
            parameters: parameters(s, "Parameters"),
            capabilities: s.list(&["Capabilities"]).iter().map(|c| c.text.clone()).collect(),
            tags: entries(s, "Tags", ("Key", "Value")),
            permission_model: text(s, "PermissionModel"),
        }))
    }

    async fn list_stack_sets(&self) -> CfnResult<Vec<String>> {
        let mut form = Form::new();
        form.set("Status", "ACTIVE");
        let mut names: Vec<String> = self
            .stack_set_summaries("ListStackSets", form)
            .await?
            .iter()
            .filter(|s| s.text_at(&["Status"]).map(StackSetStatus::parse) != Some(StackSetStatus::Deleted))
            .filter_map(|s| text(s, "StackSetName"))
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    async fn create_stack_set(&self, input: &StackSetInput) -> CfnResult<()> {
        // One token for the call's attempts (as the SDK made one): an attempt retried after its
        // answer was lost is the same request, not a second stack set of the same name.
        let token = uuid::Uuid::new_v4().to_string();
        let mut form = Form::new();
        form.stack_set(input)
            .set("PermissionModel", input.deployment.permission_model())
            .set("ClientRequestToken", token);
        match &input.template {
            TemplateSource::Body(b) => form.set("TemplateBody", b.as_str()),
            TemplateSource::Url(u) => form.set("TemplateURL", u.as_str()),
            // A stack set is created with a template; never with the previous one.
            TemplateSource::Previous => {
                return Err(CfnError::service("ValidationError", "a stack set is created with a template")
                    .with_stack(&input.name));
            }
        };
        self.stack_sets("CreateStackSet", form).await.map(|_| ()).map_err(|e| e.with_stack(&input.name))
    }

    async fn update_stack_set(
        &self,
        input: &StackSetInput,
        accounts: &[String],
        regions: &[String],
        p: &Preferences,
        operation_id: &str,
    ) -> CfnResult<String> {
        let mut form = Form::new();
        form.stack_set(input).preferences(p);
        if !regions.is_empty() {
            // Only these instances are updated; the others become OUTDATED.
            form.targets(accounts).list("Regions", regions);
        }
        match &input.template {
            TemplateSource::Body(b) => form.set("TemplateBody", b.as_str()),
            TemplateSource::Url(u) => form.set("TemplateURL", u.as_str()),
            TemplateSource::Previous => form.set("UsePreviousTemplate", "true"),
        };
        self.start_operation("UpdateStackSet", &input.name, form, operation_id).await
    }

    async fn delete_stack_set(&self, name: &str) -> CfnResult<()> {
        let mut form = Form::new();
        form.set("StackSetName", name);
        self.stack_sets("DeleteStackSet", form).await.map(|_| ()).map_err(|e| e.with_stack(name))
    }

    async fn list_stack_instances(&self, name: &str) -> CfnResult<Vec<InstanceInfo>> {
        let mut form = Form::new();
        form.set("StackSetName", name);
        let items = self.stack_set_summaries("ListStackInstances", form).await.map_err(|e| e.with_stack(name))?;
        let mut out: Vec<InstanceInfo> = items.iter().map(instance).collect();
        out.sort_by(|a, b| (&a.region, &a.account).cmp(&(&b.region, &b.account)));
        Ok(out)
    }

    async fn describe_stack_instance(&self, name: &str, account: &str, region: &str) -> CfnResult<InstanceInfo> {
        let mut form = Form::new();
        form.set("StackSetName", name).set("StackInstanceAccount", account).set("StackInstanceRegion", region);
        let out = self.stack_sets("DescribeStackInstance", form).await.map_err(|e| e.with_stack(name))?;
        let Some(i) = out.child("StackInstance") else {
            return Err(CfnError::service(
                "StackInstanceNotFoundException",
                &format!("no instance of {name} in {region}"),
            ));
        };
        let mut info = instance(i);
        if info.region.is_empty() {
            info.region = region.to_owned();
        }
        if info.account.is_empty() {
            info.account = account.to_owned();
        }
        Ok(info)
    }

    async fn detect_stack_set_drift(&self, name: &str, p: &Preferences, operation_id: &str) -> CfnResult<String> {
        let mut form = Form::new();
        form.set("StackSetName", name).preferences(p);
        self.start_operation("DetectStackSetDrift", name, form, operation_id).await
    }

    async fn stack_resource_drifts(&self, region: &str, stack_id: &str) -> CfnResult<Vec<ResourceDrift>> {
        let mut form = Form::new();
        form.set("StackName", stack_id).list("StackResourceDriftStatusFilters", &["MODIFIED", "DELETED"]);
        let drifts = self.cfn_list(region, "DescribeStackResourceDrifts", &form, "StackResourceDrifts").await?;
        Ok(drifts
            .iter()
            .map(|d| ResourceDrift {
                logical_id: text(d, "LogicalResourceId").unwrap_or_default(),
                physical_id: text(d, "PhysicalResourceId"),
                resource_type: text(d, "ResourceType").unwrap_or_default(),
                status: text(d, "StackResourceDriftStatus").unwrap_or_default(),
                differences: d
                    .list(&["PropertyDifferences"])
                    .iter()
                    .map(|p| PropertyDifference {
                        path: text(p, "PropertyPath").unwrap_or_default(),
                        expected: text(p, "ExpectedValue").unwrap_or_default(),
                        actual: text(p, "ActualValue").unwrap_or_default(),
                        kind: text(p, "DifferenceType").unwrap_or_default(),
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
        let mut form = Form::new();
        form.set("StackSetName", name).targets(accounts).list("Regions", regions);
        if !overrides.is_empty() {
            form.parameters("ParameterOverrides", overrides);
        }
        form.preferences(p);
        self.start_operation("CreateStackInstances", name, form, operation_id).await
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
        // Every override is sent (none: `ParameterOverrides=`): an override left out goes back
        // to the stack set's value.
        let mut form = Form::new();
        form.set("StackSetName", name)
            .targets(accounts)
            .list("Regions", regions)
            .parameters("ParameterOverrides", overrides)
            .preferences(p);
        self.start_operation("UpdateStackInstances", name, form, operation_id).await
    }

    async fn delete_stack_instances(
        &self,
        name: &str,
        accounts: &[String],
        regions: &[String],
        p: &Preferences,
        operation_id: &str,
    ) -> CfnResult<String> {
        let mut form = Form::new();
        form.set("StackSetName", name)
            .targets(accounts)
            .list("Regions", regions)
            .set("RetainStacks", "false")
            .preferences(p);
        self.start_operation("DeleteStackInstances", name, form, operation_id).await
    }

    async fn describe_operation(&self, name: &str, id: &str) -> CfnResult<OperationInfo> {
        if id.is_empty() {
            return Err(CfnError::service("OperationNotFoundException", &format!("no operation id for {name}")));
        }
        let mut form = Form::new();
        form.set("StackSetName", name).set("OperationId", id);
        let out = self.stack_sets("DescribeStackSetOperation", form).await.map_err(|e| e.with_stack(name))?;
        let Some(o) = out.child("StackSetOperation") else {
            return Err(CfnError::service("OperationNotFoundException", &format!("no operation {id} on {name}")));
        };
        Ok(operation(o))
    }

    async fn list_operations(&self, name: &str) -> CfnResult<Vec<OperationInfo>> {
        let mut form = Form::new();
        form.set("StackSetName", name);
        let items = self.stack_set_summaries("ListStackSetOperations", form).await.map_err(|e| e.with_stack(name))?;
        let mut ops: Vec<(Option<DateTime>, OperationInfo)> =
            items.iter().map(|o| (timestamp(o, "CreationTimestamp"), operation(o))).collect();
        // Newest first, whatever order the service used.
        ops.sort_by(|a, b| b.0.map(|d| (d.secs(), d.subsec_nanos())).cmp(&a.0.map(|d| (d.secs(), d.subsec_nanos()))));
        Ok(ops.into_iter().map(|(_, o)| o).collect())
    }

    async fn list_operation_results(&self, name: &str, id: &str) -> CfnResult<Vec<RegionResult>> {
        let mut form = Form::new();
        form.set("StackSetName", name).set("OperationId", id);
        let items =
            self.stack_set_summaries("ListStackSetOperationResults", form).await.map_err(|e| e.with_stack(name))?;
        Ok(items
            .iter()
            .map(|r| RegionResult {
                region: text(r, "Region").unwrap_or_default(),
                account: text(r, "Account").unwrap_or_default(),
                status: RegionStatus::parse(r.text_at(&["Status"]).unwrap_or_default()),
                reason: text(r, "StatusReason"),
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
        let mut form = Form::new();
        form.set("StackName", name);
        match self.cfn(region, "DescribeStacks", &form).await {
            Ok(out) => Ok(out
                .list(&["Stacks"])
                .iter()
                .find(|s| s.text_at(&["StackStatus"]).map(StackStatus::parse) != Some(StackStatus::DeleteComplete))
                .map(stack_info)),
            Err(e) if does_not_exist(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn stack_events(&self, region: &str, stack_id: &str) -> CfnResult<Vec<StackEvent>> {
        // The first page: the newest events.
        let mut form = Form::new();
        form.set("StackName", stack_id);
        let out = self.cfn(region, "DescribeStackEvents", &form).await?;
        Ok(out
            .list(&["StackEvents"])
            .iter()
            .map(|e| StackEvent {
                logical_id: text(e, "LogicalResourceId").unwrap_or_default(),
                resource_type: text(e, "ResourceType").unwrap_or_default(),
                status: ResourceStatus::parse(e.text_at(&["ResourceStatus"]).unwrap_or_default()),
                reason: text(e, "ResourceStatusReason"),
                time: timestamp(e, "Timestamp").map(|t| t.secs()),
            })
            .collect())
    }

    async fn create_stack(&self, region: &str, input: &StackInput) -> CfnResult<String> {
        let out = self.cfn(region, "CreateStack", &stack_form(input)).await?;
        Ok(text(&out, "StackId").unwrap_or_default())
    }

    async fn update_stack(&self, region: &str, input: &StackInput) -> CfnResult<bool> {
        match self.cfn(region, "UpdateStack", &stack_form(input)).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_no_updates() => Ok(false),
            Err(e) => Err(e),
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
        let mut form = Form::new();
        form.opt("CallAs", call_as.map(|c| c.as_str()));
        let out = self.cfn(&self.region, "DescribeOrganizationsAccess", &form).await?;
        Ok(out.text_at(&["Status"]).map(str::trim) == Some("ENABLED"))
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

    /// The Query shape of CloudFormation's parameters, as its API reference spells them.
    #[test]
    fn stack_set_calls_are_written_in_the_query_shape() {
        use haplat_core::manifest::{CallAs, Deployment};
        let text = |f: &Form| f.pairs().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>();
        let mut input = StackSetInput {
            name: "shop-prod-Api".into(),
            template: TemplateSource::Body("{}".into()),
            parameters: BTreeMap::from([("Env".to_owned(), "prod".to_owned())]),
            capabilities: vec!["CAPABILITY_IAM".into(), "CAPABILITY_NAMED_IAM".into()],
            tags: BTreeMap::new(),
            admin_role_arn: "arn:aws:iam::111111111111:role/Admin".into(),
            execution_role_name: "Exec".into(),
            deployment: Deployment::ThisAccount,
        };
        assert_eq!(
            text(Form::new().stack_set(&input)),
            [
                "StackSetName=shop-prod-Api",
                "Parameters.member.1.ParameterKey=Env",
                "Parameters.member.1.ParameterValue=prod",
                "Capabilities.member.1=CAPABILITY_IAM",
                "Capabilities.member.2=CAPABILITY_NAMED_IAM",
                // An empty list is sent: no tags left on the stack set, not "keep them".
                "Tags=",
                "AdministrationRoleARN=arn:aws:iam::111111111111:role/Admin",
                "ExecutionRoleName=Exec",
            ]
        );
        // Service-managed: no role fields; automatic deployment as chosen.
        input.deployment = Deployment::OrganizationalUnits {
            organizational_units: vec!["ou-ab12-cdefgh34".into()],
            retain_stacks_on_account_removal: false,
            call_as: CallAs::DelegatedAdmin,
        };
        let shape = text(Form::new().stack_set(&input));
        assert!(!shape.iter().any(|p| p.starts_with("AdministrationRoleARN") || p.starts_with("ExecutionRoleName")));
        assert!(shape.ends_with(&[
            "AutoDeployment.Enabled=true".to_owned(),
            "AutoDeployment.RetainStacksOnAccountRemoval=false".to_owned()
        ]));

        let p = Preferences {
            region_concurrency: Some("PARALLEL".into()),
            max_concurrent_count: Some(2),
            failure_tolerance_count: Some(0),
            region_order: vec!["us-east-1".into(), "eu-west-1".into()],
        };
        assert_eq!(
            text(Form::new().targets(&["ou-ab12-cdefgh34".into()]).list("Regions", &["us-east-1"]).preferences(&p)),
            [
                "DeploymentTargets.OrganizationalUnitIds.member.1=ou-ab12-cdefgh34",
                "Regions.member.1=us-east-1",
                "OperationPreferences.RegionConcurrencyType=PARALLEL",
                "OperationPreferences.MaxConcurrentCount=2",
                "OperationPreferences.FailureToleranceCount=0",
                "OperationPreferences.RegionOrder.member.1=us-east-1",
                "OperationPreferences.RegionOrder.member.2=eu-west-1",
                "OperationPreferences.ConcurrencyMode=SOFT_FAILURE_TOLERANCE",
            ]
        );
        assert_eq!(
            text(Form::new().targets(&["111111111111".into()]).parameters("ParameterOverrides", &BTreeMap::new())),
            ["Accounts.member.1=111111111111", "ParameterOverrides="]
        );
        assert!(text(Form::new().preferences(&Preferences::default())).is_empty());
    }

    #[test]
    fn answers_are_read_from_their_result_element() {
        let answer = Xml::parse(
            br#"<DescribeStackSetOperationResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
              <DescribeStackSetOperationResult><StackSetOperation>
                <OperationId>op-1</OperationId><Action>UPDATE</Action><Status>SUCCEEDED</Status>
                <CreationTimestamp>2026-12-04T19:45:00.250Z</CreationTimestamp>
              </StackSetOperation></DescribeStackSetOperationResult>
              <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>
            </DescribeStackSetOperationResponse>"#,
        )
        .unwrap();
        let result = result_of(answer.clone(), "DescribeStackSetOperation").unwrap();
        let refused = result_of(answer, "DescribeStackSet").unwrap_err().to_string();
        assert!(refused.contains("the answer is <DescribeStackSetOperationResponse>, not <DescribeStackSetResponse>"));
        let op = operation(result.child("StackSetOperation").unwrap());
        assert_eq!((op.id.as_str(), op.action.as_str(), op.status), ("op-1", "UPDATE", OperationStatus::Succeeded));
        assert_eq!(op.created.as_deref(), Some("2026-12-04T19:45:00.25Z"));
        assert_eq!(op.created_secs, Some(1_796_413_500));
        let empty = Xml { name: "DeleteStackSetResponse".into(), ..Xml::default() };
        assert_eq!(result_of(empty, "DeleteStackSet").unwrap().name, "DeleteStackSetResult");
        assert!(does_not_exist(&CfnError::service("ValidationError", "Stack with id x does not exist")));
    }

    #[test]
    fn errors_name_the_stack_set_and_keep_the_message() {
        let e = CfnError::StackSetNotFound { name: None, message: "StackSet Data not found".into() }.with_stack("Data");
        assert_eq!(e.to_string(), "stack set Data does not exist (StackSet Data not found)");
        let e = CfnError::OperationInProgress { name: Some("App".into()), message: String::new() };
        assert_eq!(e.to_string(), "another operation is in progress on stack set App");
    }
}
