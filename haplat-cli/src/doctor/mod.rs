//! `haplat doctor`: read-only checks that the account already has what the assembly needs, per
//! region, each finding with the one command or console step that fixes it. What to check comes
//! from the assembly alone ([`requirements`]); the checks ask the account through the
//! [`CloudFormation`] and [`Account`] traits. A call that is denied or cannot reach AWS is a
//! finding of its own ("not checked", with why), never an OK.
//!
//! Uses [`crate::bootstrap`] (the StackSet roles and the bucket: the same check deploy makes),
//! [`crate::account`], [`crate::cfn`], [`crate::assembly`] (through [`requirements`]) and
//! [`crate::error`].

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::account::{Account, Quota};
use crate::cfn::{CfnError, CloudFormation};
use crate::error::Error;

pub mod requirements;

pub use requirements::{Requirements, extract};

/// How a check ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// The account has it.
    Ok,
    /// It may not be enough (a quota the deploy may reach); the deploy goes on.
    Warning,
    /// It is missing: the deploy would fail.
    Missing,
    /// The check could not run (denied, unreachable): nothing is known.
    NotChecked,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Warning => "WARNING",
            Outcome::Missing => "MISSING",
            Outcome::NotChecked => "NOT CHECKED",
        }
    }
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The check (`stackset-roles`, `apigateway-logs-role`, …).
    pub check: &'static str,
    /// The region, or `None` for an account-wide check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// What was found (or why it could not be checked).
    pub message: String,
    /// The one command or console step that fixes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    fn new(check: &'static str, region: Option<&str>, outcome: Outcome, message: impl Into<String>) -> Finding {
        Finding { check, region: region.map(str::to_owned), outcome, message: message.into(), fix: None }
    }

    fn fix(mut self, fix: impl Into<String>) -> Finding {
        self.fix = Some(fix.into());
        self
    }

    /// The finding of a call that failed: a check that could not run, and why.
    fn failed(check: &'static str, region: Option<&str>, call: &str, e: &CfnError) -> Finding {
        let text = short(e);
        let why = if is_denied(e) {
            format!("{call} was denied ({text}); allow it to the caller to run this check")
        } else {
            format!("{call} failed: {text}")
        };
        Finding::new(check, region, Outcome::NotChecked, format!("could not check: {why}"))
    }
}

/// An error on one line: an answer no AWS error describes (an emulator without the API) carries
/// the whole raw response; keep what it says, not the response, with line breaks folded.
pub fn short(e: &CfnError) -> String {
    let text = e.to_string();
    let text = text.split(" (ServiceError").next().unwrap_or(&text);
    // One line, whatever the service or the transport put in the message.
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > 240 { text.chars().take(240).chain("…".chars()).collect() } else { text.to_owned() }
}

/// Whether a service error says the caller may not make the call.
pub fn is_denied(e: &CfnError) -> bool {
    matches!(e, CfnError::Service { code, .. } if code.contains("AccessDenied") || code.contains("Unauthorized") || code == "AuthorizationError" || code == "AuthorizationErrorException")
}

/// Fargate's zone restrictions: region → the only zone IDs Fargate runs in (the ECS developer
/// guide, "Supported Regions for Amazon ECS on AWS Fargate", Linux containers:
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AWS_Fargate-Regions.html>).
/// A region not listed runs Fargate in every zone.
const FARGATE_ONLY: &[(&str, &[&str])] = &[
    ("us-west-1", &["usw1-az1", "usw1-az3"]),
    ("ap-northeast-1", &["apne1-az1", "apne1-az2", "apne1-az4"]),
    ("cn-north-1", &["cnn1-az1", "cnn1-az2"]),
];

/// Constrained zone IDs: the ECS guide does not restrict Fargate there (us-east-1 is listed
/// without zones), but newer services and instance types leave them out (the EFS guide's
/// One Zone list for us-east-1 is use1-az1, -az2, -az4, -az5, -az6:
/// <https://docs.aws.amazon.com/efs/latest/ug/OneZoneAZs.html>). A warning, not a refusal.
const CONSTRAINED: &[&str] = &["use1-az3"];

/// Whether Fargate runs in the zone ID `id` of `region`, per the ECS guide.
pub fn fargate_supports(region: &str, id: &str) -> bool {
    FARGATE_ONLY.iter().find(|(r, _)| *r == region).is_none_or(|(_, only)| only.contains(&id))
}

/// Runs every check the requirements call for; `admin_region` is where the stack sets live.
pub async fn run<C: CloudFormation + Account>(aws: &C, admin_region: &str, req: &Requirements) -> Vec<Finding> {
    let mut out = Vec::new();
    out.push(stackset_roles(aws, admin_region, req).await);
    if !req.service_managed.is_empty() {
        out.push(organizations_access(aws, admin_region, &req.service_managed).await);
    }
    for (region, stages) in &req.api_logs {
        out.push(apigateway_role(aws, region, stages).await);
    }
    if !req.shield.is_empty() {
        out.push(shield(aws, &req.shield).await);
    }
    for need in &req.aurora {
        for region in &need.regions {
            out.push(aurora(aws, region, need).await);
        }
    }
    for (region, need) in &req.zones {
        out.extend(zones(aws, region, need).await);
    }
    for (region, selections) in &req.backup_dynamodb {
        out.push(backup(aws, region, selections).await);
    }
    for (id, records) in &req.hosted_zones {
        out.push(hosted_zone(aws, id, records).await);
    }
    for (name, records) in &req.hosted_zone_names {
        out.push(hosted_zone_named(aws, name, records).await);
    }
    for (region, counts) in &req.counts {
        for (quota, planned) in
            [(Quota::Vpcs, counts.vpcs), (Quota::ElasticIps, counts.elastic_ips), (Quota::Albs, counts.albs)]
        {
            if planned > 0 {
                out.push(quota_check(aws, region, quota, planned).await);
            }
        }
    }
    out
}

async fn stackset_roles<C: CloudFormation>(aws: &C, admin_region: &str, req: &Requirements) -> Finding {
    const CHECK: &str = "stackset-roles";
    match crate::bootstrap::require(aws, admin_region, &req.regions).await {
        Ok(b) => Finding::new(
            CHECK,
            Some(admin_region),
            Outcome::Ok,
            format!(
                "bootstrap stack: administration role, execution role {}, template bucket {}",
                b.execution_role_name, b.bucket
            ),
        ),
        Err(Error::NotBootstrapped(m)) => {
            let fix = m.split_once(": run ").map(|(_, f)| format!("run {f}"));
            let mut f = Finding::new(CHECK, Some(admin_region), Outcome::Missing, m.clone());
            f.fix = fix.or(Some("run `haplat bootstrap`".to_owned()));
            f
        }
        Err(Error::Cloud { context, source }) => Finding::failed(CHECK, Some(admin_region), &context, &source),
        Err(e) => {
            Finding::new(CHECK, Some(admin_region), Outcome::Missing, e.to_string()).fix("run `haplat bootstrap` again")
        }
    }
}

/// Service-managed stack sets need StackSets' trusted access with Organizations enabled
/// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-activate-trusted-access.html>),
/// asked as the environment's `CallAs`: from a delegated administrator (`DELEGATED_ADMIN`) the
/// call is refused unless the account is registered
/// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeOrganizationsAccess.html>),
/// which then shows as a check that could not run, with AWS's reason.
async fn organizations_access<A: Account>(
    aws: &A,
    admin_region: &str,
    sets: &[(String, haplat_core::manifest::CallAs)],
) -> Finding {
    const CHECK: &str = "stacksets-trusted-access";
    let names = sets.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ");
    let delegated = sets.iter().any(|(_, c)| *c == haplat_core::manifest::CallAs::DelegatedAdmin);
    let call_as = delegated.then_some(haplat_core::manifest::CallAs::DelegatedAdmin);
    match aws.stacksets_organizations_access(call_as).await {
        Ok(true) => Finding::new(
            CHECK,
            Some(admin_region),
            Outcome::Ok,
            format!("trusted access with Organizations is enabled (service-managed: {names})"),
        ),
        Ok(false) => Finding::new(
            CHECK,
            Some(admin_region),
            Outcome::Missing,
            format!("trusted access between StackSets and Organizations is not enabled; service-managed stack sets {names} cannot deploy"),
        )
        .fix("from the management account: `aws cloudformation activate-organizations-access`"),
        Err(e) => {
            let mut f = Finding::failed(CHECK, Some(admin_region), "cloudformation:DescribeOrganizationsAccess", &e);
            if delegated {
                f.fix = Some(
                    "register this account as delegated administrator from the management account: \
                     `aws organizations register-delegated-administrator --service-principal member.org.stacksets.cloudformation.amazonaws.com --account-id <this account>`"
                        .to_owned(),
                );
            }
            f
        }
    }
}

async fn apigateway_role<A: Account>(aws: &A, region: &str, stages: &[String]) -> Finding {
    const CHECK: &str = "apigateway-logs-role";
    match aws.apigateway_cloudwatch_role(region).await {
        Ok(Some(arn)) => Finding::new(CHECK, Some(region), Outcome::Ok, format!("API Gateway writes logs with {arn}")),
        Ok(None) => Finding::new(
            CHECK,
            Some(region),
            Outcome::Missing,
            format!(
                "no CloudWatch Logs role in API Gateway's account settings: {} would fail to deploy (\"CloudWatch Logs role ARN must be set in account settings to enable logging\")",
                stages.join(", ")
            ),
        )
        .fix(format!("run `haplat bootstrap --apigateway-logs-role --regions {region}` (or set one: API Gateway console → Settings → CloudWatch log role ARN)")),
        Err(e) => Finding::failed(CHECK, Some(region), "apigateway:GetAccount", &e),
    }
}

async fn shield<A: Account>(aws: &A, protections: &[String]) -> Finding {
    const CHECK: &str = "shield-subscription";
    match aws.shield_subscription_active().await {
        Ok(true) => Finding::new(CHECK, None, Outcome::Ok, "Shield Advanced subscription active"),
        Ok(false) => Finding::new(
            CHECK,
            None,
            Outcome::Missing,
            format!("no active Shield Advanced subscription; {} cannot be created", protections.join(", ")),
        )
        .fix("subscribe (a one-year commitment billed monthly): `aws shield create-subscription`, or Shield console → Subscribe to Shield Advanced; or drop the protection from the environment"),
        Err(e) => Finding::failed(CHECK, None, "shield:GetSubscriptionState", &e),
    }
}

async fn aurora<A: Account>(aws: &A, region: &str, need: &requirements::AuroraNeed) -> Finding {
    const CHECK: &str = "aurora-engine-version";
    let what = format!("{} {}", need.engine, need.version);
    let fix = format!(
        "pick a version every region offers with global databases{}: `aws rds describe-db-engine-versions --region {region} --engine {} --query \"DBEngineVersions[?SupportsGlobalDatabases].EngineVersion\"`, and set it in the app",
        if need.serverless_v2 { " and Serverless v2" } else { "" },
        need.engine
    );
    match aws.engine_versions(region, &need.engine, &need.version).await {
        Ok(vs) => match vs.iter().find(|v| v.version == need.version) {
            None => Finding::new(
                CHECK,
                Some(region),
                Outcome::Missing,
                format!("{what} ({}) is not offered in {region}", need.path),
            )
            .fix(fix),
            Some(v) if !v.global_databases => Finding::new(
                CHECK,
                Some(region),
                Outcome::Missing,
                format!("{what} ({}) is offered in {region} without global database support", need.path),
            )
            .fix(fix),
            Some(v) if need.serverless_v2 && !v.serverless_v2 => Finding::new(
                CHECK,
                Some(region),
                Outcome::Missing,
                format!("{what} ({}) is offered in {region} without Serverless v2", need.path),
            )
            .fix(fix),
            Some(_) => Finding::new(
                CHECK,
                Some(region),
                Outcome::Ok,
                format!(
                    "{what} offered with global databases{}",
                    if need.serverless_v2 { " and Serverless v2" } else { "" }
                ),
            ),
        },
        Err(e) => Finding::failed(CHECK, Some(region), "rds:DescribeDBEngineVersions", &e),
    }
}

/// `Fn::GetAZs[1] = us-east-1b is use1-az3`, `zone ID use1-az3 (us-east-1b)`.
fn describe(how: &str, z: &crate::account::Zone) -> String {
    if how.starts_with("zone ID") { format!("{how} ({})", z.name) } else { format!("{how} is {}", z.id) }
}

async fn zones<A: Account>(aws: &A, region: &str, need: &requirements::ZoneNeed) -> Vec<Finding> {
    const CHECK: &str = "availability-zones";
    let listed = match aws.zones(region).await {
        Ok(z) => z,
        Err(e) => return vec![Finding::failed(CHECK, Some(region), "ec2:DescribeAvailabilityZones", &e)],
    };
    let mut out = Vec::new();
    // (how the template names the zone, the zone) for every zone the subnets use.
    let mut used: Vec<(String, crate::account::Zone)> = need
        .indexes
        .iter()
        .filter_map(|i| listed.get(*i).map(|z| (format!("Fn::GetAZs[{i}] = {}", z.name), z.clone())))
        .collect();
    let wanted = need.indexes.iter().next_back().map_or(0, |i| i + 1);
    if wanted > listed.len() {
        out.push(
            Finding::new(
                CHECK,
                Some(region),
                Outcome::Missing,
                format!(
                    "the VPC takes zone {wanted} of Fn::GetAZs; the account has {} available zone(s) in {region}",
                    listed.len()
                ),
            )
            .fix(format!("use at most {} zones in {region} (the app's environment file)", listed.len())),
        );
    }
    let mut bad = Vec::new();
    for id in &need.ids {
        match listed.iter().find(|z| &z.id == id) {
            Some(z) => used.push((format!("zone ID {id}"), z.clone())),
            None => bad.push(format!(
                "zone ID {id} is not an available zone of {region} in this account (it has {})",
                listed.iter().map(|z| z.id.as_str()).collect::<Vec<_>>().join(", ")
            )),
        }
    }
    if need.fargate {
        for (how, z) in &used {
            if !fargate_supports(region, &z.id) {
                bad.push(format!("{}, where Fargate does not run", describe(how, z)));
            }
        }
    }
    for service in &need.interface_endpoints {
        match aws.endpoint_service_zones(region, service).await {
            Ok(None) => bad.push(format!("{service} is not offered in {region}")),
            Ok(Some(offered)) => {
                for (how, z) in &used {
                    if !offered.contains(&z.name) {
                        bad.push(format!("{service} is not offered in {}", describe(how, z)));
                    }
                }
            }
            Err(e) => out.push(Finding::failed(CHECK, Some(region), "ec2:DescribeVpcEndpointServices", &e)),
        }
    }
    let constrained: Vec<String> =
        used.iter().filter(|(_, z)| CONSTRAINED.contains(&z.id.as_str())).map(|(how, z)| describe(how, z)).collect();
    let fix = format!(
        "name zone IDs for {region} in the app's environment file (`zone_ids`; `aws ec2 describe-availability-zones --region {region}` lists them) where Fargate and the endpoints run"
    );
    if !bad.is_empty() {
        out.push(Finding::new(CHECK, Some(region), Outcome::Missing, bad.join("; ")).fix(fix));
    } else if !constrained.is_empty() {
        out.push(
            Finding::new(
                CHECK,
                Some(region),
                Outcome::Warning,
                format!(
                    "{}: a constrained zone, where newer services and instance types are not offered",
                    constrained.join("; ")
                ),
            )
            .fix(fix),
        );
    } else if out.is_empty() {
        let names: Vec<String> = used.iter().map(|(_, z)| format!("{} ({})", z.name, z.id)).collect();
        let endpoints = need.interface_endpoints.len();
        out.push(Finding::new(
            CHECK,
            Some(region),
            Outcome::Ok,
            format!(
                "zones {}{}{}",
                names.join(", "),
                if need.fargate { "; Fargate runs there" } else { "" },
                if endpoints == 0 {
                    String::new()
                } else {
                    format!("; {endpoints} interface endpoint service(s) offered there")
                }
            ),
        ));
    }
    out
}

async fn backup<A: Account>(aws: &A, region: &str, selections: &[String]) -> Finding {
    const CHECK: &str = "backup-dynamodb-advanced";
    let fix = format!(
        "`aws backup update-region-settings --region {region} --resource-type-opt-in-preference DynamoDB=true --resource-type-management-preference DynamoDB=true` (or AWS Backup console → Settings → Advanced features for Amazon DynamoDB backups → Enable)"
    );
    match aws.backup_dynamodb_advanced(region).await {
        Ok(Some(true)) => {
            Finding::new(CHECK, Some(region), Outcome::Ok, "AWS Backup's advanced DynamoDB features are on")
        }
        Ok(Some(false)) => Finding::new(
            CHECK,
            Some(region),
            Outcome::Missing,
            format!(
                "AWS Backup's advanced DynamoDB features are off, so {} cannot copy DynamoDB backups to another region",
                selections.join(", ")
            ),
        )
        .fix(fix),
        Ok(None) => Finding::new(
            CHECK,
            Some(region),
            Outcome::NotChecked,
            "could not check: backup:DescribeRegionSettings did not say how DynamoDB is managed",
        )
        .fix(fix),
        Err(e) => Finding::failed(CHECK, Some(region), "backup:DescribeRegionSettings", &e),
    }
}

async fn hosted_zone<A: Account>(aws: &A, id: &str, records: &[String]) -> Finding {
    const CHECK: &str = "hosted-zone";
    match aws.hosted_zone_exists(id).await {
        Ok(true) => Finding::new(CHECK, None, Outcome::Ok, format!("hosted zone {id} exists")),
        Ok(false) => Finding::new(
            CHECK,
            None,
            Outcome::Missing,
            format!("hosted zone {id} does not exist in this account ({} use it)", records.join(", ")),
        )
        .fix("create the zone (`aws route53 create-hosted-zone --name <domain> --caller-reference <unique>`) or put the right zone id in the environment file"),
        Err(e) => Finding::failed(CHECK, None, "route53:GetHostedZone", &e),
    }
}

/// A record that names its zone by `HostedZoneName`: CloudFormation looks the name up when it
/// creates the stack and refuses it if no zone or more than one zone has that name
/// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-route53-recordsetgroup.html>,
/// `HostedZoneName`).
async fn hosted_zone_named<A: Account>(aws: &A, name: &str, records: &[String]) -> Finding {
    const CHECK: &str = "hosted-zone";
    match aws.hosted_zones_named(name).await {
        Ok(ids) if ids.len() == 1 => {
            Finding::new(CHECK, None, Outcome::Ok, format!("hosted zone {name} is {}", ids[0]))
        }
        Ok(ids) if ids.is_empty() => Finding::new(
            CHECK,
            None,
            Outcome::Missing,
            format!("no hosted zone is named {name} in this account ({} name it)", records.join(", ")),
        )
        .fix(format!("create it (`aws route53 create-hosted-zone --name {name} --caller-reference <unique>`) or correct the zone name in the environment file")),
        Ok(ids) => Finding::new(
            CHECK,
            None,
            Outcome::Missing,
            format!(
                "{} hosted zones are named {name} ({}): CloudFormation refuses a HostedZoneName that matches more than one ({} name it)",
                ids.len(),
                ids.join(", "),
                records.join(", ")
            ),
        )
        .fix("give the zone by id (HostedZoneId) in the environment file, or delete the zones that are not in use"),
        Err(e) => Finding::failed(CHECK, None, "route53:ListHostedZonesByName", &e),
    }
}

async fn quota_check<A: Account>(aws: &A, region: &str, quota: Quota, planned: u32) -> Finding {
    const CHECK: &str = "service-quota";
    let (service, code) = quota.codes();
    let name = quota.name();
    let limit = match aws.quota(region, quota).await {
        Ok(Some(v)) => v,
        Ok(None) => {
            return Finding::new(
                CHECK,
                Some(region),
                Outcome::NotChecked,
                format!("could not check: Service Quotas does not know {name} ({service} {code})"),
            );
        }
        Err(e) => return Finding::failed(CHECK, Some(region), "servicequotas:GetServiceQuota", &e),
    };
    let increase = |want: f64| {
        format!(
            "`aws service-quotas request-service-quota-increase --region {region} --service-code {service} --quota-code {code} --desired-value {want}`"
        )
    };
    if f64::from(planned) > limit {
        return Finding::new(
            CHECK,
            Some(region),
            Outcome::Missing,
            format!("the app declares {planned} of {name}; the quota is {limit}"),
        )
        .fix(increase(f64::from(planned)));
    }
    match aws.usage(region, quota).await {
        Ok(Some(used)) if f64::from(used + planned) > limit => Finding::new(
            CHECK,
            Some(region),
            Outcome::Warning,
            format!(
                "{name}: {used} in use, the app declares {planned}, the quota is {limit}: a first deploy would exceed it (an update reuses what it made)"
            ),
        )
        .fix(increase(f64::from(used + planned))),
        Ok(Some(used)) => Finding::new(CHECK, Some(region), Outcome::Ok, format!("{name}: {used} in use + {planned} declared ≤ {limit}")),
        Ok(None) => Finding::new(CHECK, Some(region), Outcome::Ok, format!("{name}: {planned} declared ≤ {limit} (usage not counted)")),
        Err(e) => Finding::failed(CHECK, Some(region), "the usage count", &e),
    }
}

/// Findings as text: one line each (outcome, check, region, message) and the fix below it.
pub fn render(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let _ = writeln!(
            out,
            "{:<11}  {:<24}  {:<14}  {}",
            f.outcome.label(),
            f.check,
            f.region.as_deref().unwrap_or("(account)"),
            f.message
        );
        if f.outcome != Outcome::Ok
            && let Some(fix) = &f.fix
        {
            let _ = writeln!(out, "{:<11}  fix: {fix}", "");
        }
    }
    let counts = tally(findings);
    let _ = writeln!(
        out,
        "doctor: {} ok, {} warning(s), {} missing, {} not checked",
        counts.get(&Outcome::Ok).unwrap_or(&0),
        counts.get(&Outcome::Warning).unwrap_or(&0),
        counts.get(&Outcome::Missing).unwrap_or(&0),
        counts.get(&Outcome::NotChecked).unwrap_or(&0)
    );
    out
}

/// How many findings ended each way.
pub fn tally(findings: &[Finding]) -> BTreeMap<Outcome, usize> {
    let mut m = BTreeMap::new();
    for f in findings {
        *m.entry(f.outcome).or_insert(0) += 1;
    }
    m
}

/// The checks deploy runs before it changes anything: missing requirements stop it
/// ([`Error::NotReady`], exit 7); checks that could not run and warnings are printed on stderr
/// and the deploy goes on.
pub async fn preflight<C: CloudFormation + Account>(
    aws: &C,
    admin_region: &str,
    req: &Requirements,
) -> Result<(), Error> {
    let findings = run(aws, admin_region, req).await;
    let (missing, others): (Vec<Finding>, Vec<Finding>) =
        findings.into_iter().filter(|f| f.outcome != Outcome::Ok).partition(|f| f.outcome == Outcome::Missing);
    if !others.is_empty() {
        crate::err!("{}", render(&others));
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::NotReady(format!(
        "the account lacks what this deploy needs (nothing was changed; `haplat doctor` checks again, `--skip-doctor` deploys anyway):\n{}",
        render(&missing).trim_end()
    )))
}
