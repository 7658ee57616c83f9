//! CloudWatch Synthetics canaries: [`Canaries`], HTTPS checks run from the region on a
//! schedule, each with an alarm on its `SuccessPercent`, sharing an artifacts bucket and an
//! execution role.
//!
//! - **Script**: inline Node.js on [`CANARY_RUNTIME`] (the most recent Node.js runtime of
//!   Synthetics, `@aws/synthetics-puppeteer` namespace from `syn-nodejs-puppeteer-13.1` on), one
//!   `executeHttpStep` per canary: a `GET` of the URL that fails unless the answer is a 2xx
//!   within [`CanariesProps::request_timeout_seconds`]
//!   (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Library_function_Nodejs.html>,
//!   <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Library_nodejs_puppeteer.html>).
//!   `haplat check` refuses a deprecated runtime (HAP040: AWS does not create canaries on
//!   one, <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Runtime_Support_Policy.html>).
//! - **Not in a VPC**: they call public names (the edge), as users do, from Synthetics' own
//!   Lambda network; no NAT or endpoint is needed.
//! - **Started** when created (`StartCanaryAfterCreation`; else it waits, `READY`, and never runs:
//!   HAP041) and run every [`CanariesProps::every_minutes`] minutes without end.
//! - **Artifacts**: a bucket of their own (SSE-S3, public access blocked, TLS only, versioned,
//!   expiring after [`CanariesProps::artifact_retention_days`]); `SSE_S3` in `ArtifactConfig`.
//!   The run records Synthetics keeps are kept as long.
//! - **Role**: what the Synthetics documentation lists for a canary
//!   (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_Roles.html>):
//!   `s3:PutObject` under the canaries' prefix of the bucket and `s3:GetBucketLocation` on it,
//!   `s3:ListAllMyBuckets`, its Lambda's log groups (`/aws/lambda/cwsyn-*`), and
//!   `cloudwatch:PutMetricData` to the `CloudWatchSynthetics` namespace only.
//! - **Alarm**: `SuccessPercent` (`CloudWatchSynthetics`, dimension `CanaryName`, Average over
//!   60 s) below 100 for [`CanariesProps::alarm_periods`] periods; missing data is not
//!   breaching, so a canary that does not run (a Lambda outage of the region) cannot take the
//!   region out of DNS by itself
//!   (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_metrics.html>).
//!
//! Its Lambda function and log group are Synthetics' own (`cwsyn-<name>-<id>`, deleted with the
//! canary: `ProvisionedResourceCleanup` `AUTOMATIC`); the log group is not encrypted with the
//! platform's key nor given a retention, which a template cannot set before the name exists.
//!
//! ```
//! use haplat_core::{App, Value};
//! use haplat_constructs::canary::{Canaries, CanariesProps, CanaryCheck};
//!
//! let app = App::new("shop");
//! let api = app.stack_set("Api", &["us-east-1", "us-west-2"]);
//! let check = CanaryCheck::new("Public", "public", Value::from("https://example.com/health"));
//! let canaries = Canaries::new(&api, "Canaries", CanariesProps::new(vec![check]));
//! assert_eq!(canaries.canaries.len(), 1);
//! let t = app.synth().unwrap().template("shop-Api").unwrap();
//! let canary = t["Resources"].as_object().unwrap().values()
//!     .find(|r| r["Type"] == "AWS::Synthetics::Canary").unwrap();
//! assert_eq!(canary["Properties"]["StartCanaryAfterCreation"], true);
//! assert_eq!(canary["Properties"]["Schedule"]["Expression"], "rate(1 minute)");
//! ```

use std::collections::BTreeMap;

use haplat_core::resources::cloudwatch::alarm::{Alarm, ComparisonOperator, Statistic, TreatMissingData};
use haplat_core::resources::iam::role::{Policy, Role};
use haplat_core::resources::s3::bucket::{Bucket, ObjectOwnership};
use haplat_core::resources::synthetics::canary::{
    ArtifactConfig, Canary as CfnCanary, Code, EncryptionMode, ProvisionedResourceCleanup, RunConfig, S3Encryption,
    Schedule,
};
use haplat_core::value::{Expr, List, Value};
use haplat_core::{Handle, Scope, expr_list, expr_map};

use crate::alarm::metric_alarm;
use crate::logs::{LogBucketProps, log_bucket};
use crate::metrics::MetricRef;
use crate::security::{policy_document, trust_policy, unscoped_statement};

/// The Synthetics runtime of the canaries: the most recent Node.js (Puppeteer) runtime
/// (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Library_nodejs_puppeteer.html>).
pub const CANARY_RUNTIME: &str = "syn-nodejs-puppeteer-15.0";

/// The canaries' script: one HTTPS `GET` step, of `HAPLAT_URL` named `HAPLAT_STEP`, that fails
/// unless a 2xx answers within `HAPLAT_TIMEOUT_MS`.
const SCRIPT: &str = r#"const synthetics = require('@aws/synthetics-puppeteer');

exports.handler = async () => {
  const url = new URL(process.env.HAPLAT_URL);
  const request = {
    hostname: url.hostname,
    method: 'GET',
    path: url.pathname + url.search,
    port: 443,
    protocol: 'https:',
    headers: { 'User-Agent': synthetics.getCanaryUserAgentString() },
    timeout: Number(process.env.HAPLAT_TIMEOUT_MS),
  };
  const validate = (res) => new Promise((resolve, reject) => {
    if (res.statusCode < 200 || res.statusCode > 299) {
      reject(new Error(res.statusCode + ' ' + res.statusMessage));
      return;
    }
    res.on('data', () => {});
    res.on('end', () => resolve());
  });
  await synthetics.executeHttpStep(process.env.HAPLAT_STEP, request, validate);
};
"#;

/// One canary: the URL it requests.
#[derive(Clone, Debug, PartialEq)]
pub struct CanaryCheck {
    /// The construct id of the canary and its alarm (`<id>`, `<id>Alarm`).
    pub id: String,
    /// What the canary is for, in its name (`origin`, `public`): 1 to 6 of `a-z0-9`.
    pub kind: String,
    /// The `https://` URL requested.
    pub url: Value<String>,
    /// What a failure means, in the alarm's description. Default: "the canary's requests fail".
    pub meaning: String,
}

impl CanaryCheck {
    /// A check of `url`.
    pub fn new(id: &str, kind: &str, url: Value<String>) -> Self {
        CanaryCheck { id: id.into(), kind: kind.into(), url, meaning: "the canary's requests fail".into() }
    }

    /// Says what a failure means in the alarm's description.
    #[must_use]
    pub fn meaning(mut self, meaning: &str) -> Self {
        self.meaning = meaning.into();
        self
    }
}

/// What [`Canaries`] makes.
#[derive(Clone, Debug, PartialEq)]
pub struct CanariesProps {
    /// The canaries, at least one.
    pub checks: Vec<CanaryCheck>,
    /// Minutes between runs, 1 to 60. Default: 1 (Synthetics bills each run).
    pub every_minutes: u32,
    /// How long a request may take before the step fails, in seconds, 1 to 60. Default: 10.
    pub request_timeout_seconds: u32,
    /// How long a run may take, in seconds: at least 15 (Lambda's cold start and Synthetics'
    /// instrumentation), more than the request timeout, at most the schedule. Default: 30.
    pub run_timeout_seconds: u32,
    /// Consecutive failing minutes before a canary's alarm fires. Default: 2.
    pub alarm_periods: u32,
    /// Days artifacts and run records are kept, 1 to 455. Default: 30.
    pub artifact_retention_days: i64,
    /// The runtime. Default: [`CANARY_RUNTIME`].
    pub runtime_version: String,
}

impl CanariesProps {
    /// Every minute, 10-s requests, 30-s runs, alarms after 2 failing minutes, artifacts kept 30 days.
    pub fn new(checks: Vec<CanaryCheck>) -> Self {
        CanariesProps {
            checks,
            every_minutes: 1,
            request_timeout_seconds: 10,
            run_timeout_seconds: 30,
            alarm_periods: 2,
            artifact_retention_days: 30,
            runtime_version: CANARY_RUNTIME.into(),
        }
    }
}

/// The canaries (see the [module](self) docs).
#[derive(Clone, Debug)]
pub struct Canaries {
    /// The artifacts bucket.
    pub bucket: Handle<Bucket>,
    /// The execution role.
    pub role: Handle<Role>,
    /// The canaries, in the order of the checks.
    pub canaries: Vec<Handle<CfnCanary>>,
    /// Each canary's `SuccessPercent` alarm, in the same order.
    pub alarms: Vec<Handle<Alarm>>,
}

/// A short hash of `s` (FNV-1a, 32 bits), for names that must be unique and short.
fn short_hash(s: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

impl Canaries {
    /// Adds the canaries under `scope.child(id)`.
    pub fn new(scope: &Scope, id: &str, props: CanariesProps) -> Canaries {
        let scope = scope.child(id);
        check(&scope, &props);
        let artifacts = log_bucket(
            &scope,
            "Artifacts",
            LogBucketProps {
                retention_days: props.artifact_retention_days,
                object_ownership: ObjectOwnership::BucketOwnerEnforced,
                writers: Vec::new(),
                encryption: crate::logs::LogEncryption::S3 {
                    reason: "canary artifacts are the records of health requests, no user data; Synthetics' SSE_S3 \
                             mode needs no key grant for its Lambda",
                },
            },
        );
        let bucket = artifacts.bucket;
        let mut put_metrics = unscoped_statement(&["cloudwatch:PutMetricData"]);
        if let Expr::Map(m) = &mut put_metrics {
            m.insert(
                "Condition".into(),
                expr_map! { "StringEquals" => expr_map! { "cloudwatch:namespace" => "CloudWatchSynthetics" } },
            );
        }
        let statements = vec![
            expr_map! {
                "Effect" => "Allow",
                "Action" => expr_list!["s3:PutObject"],
                "Resource" => expr_list![Value::<String>::sub_with("${Bucket}/canary/*", [("Bucket", bucket.attr_arn())])],
            },
            expr_map! {
                "Effect" => "Allow",
                "Action" => expr_list!["s3:GetBucketLocation"],
                "Resource" => expr_list![bucket.attr_arn()],
            },
            unscoped_statement(&["s3:ListAllMyBuckets"]),
            expr_map! {
                "Effect" => "Allow",
                "Action" => expr_list!["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource" => expr_list![Value::<String>::sub(
                    "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/cwsyn-*"
                )],
            },
            put_metrics,
        ];
        let role = scope.add(
            "Role",
            Role {
                description: Some("Runs the platform's Synthetics canaries: artifacts, logs and metrics only".into()),
                assume_role_policy_document: trust_policy("lambda.amazonaws.com"),
                policies: Some(List::items(vec![Policy {
                    policy_name: "Canary".into(),
                    policy_document: policy_document(statements),
                }])),
                ..Default::default()
            },
        );
        let schedule = if props.every_minutes == 1 {
            "rate(1 minute)".to_owned()
        } else {
            format!("rate({} minutes)", props.every_minutes)
        };
        let app_name = scope.app().name();
        let mut canaries = Vec::new();
        let mut alarms = Vec::new();
        for c in &props.checks {
            // Unique in the account and region (one per stack and check), 21 characters at most.
            let name = format!("{}-{}", c.kind, short_hash(&format!("{app_name}/{}/{}", scope.path(), c.id)));
            let canary = scope.add(
                &c.id,
                CfnCanary {
                    name: name.clone().into(),
                    runtime_version: props.runtime_version.clone().into(),
                    code: Code {
                        handler: Some("index.handler".into()),
                        script: Some(SCRIPT.into()),
                        ..Default::default()
                    },
                    execution_role_arn: role.attr_arn(),
                    artifact_s3_location: Value::sub_with("s3://${Bucket}/canary", [("Bucket", bucket.ref_())]),
                    artifact_config: Some(ArtifactConfig {
                        s3_encryption: Some(S3Encryption {
                            encryption_mode: Some(EncryptionMode::SseS3.into()),
                            kms_key_arn: None,
                        }),
                    }),
                    schedule: Schedule { expression: schedule.clone().into(), ..Default::default() },
                    run_config: Some(RunConfig {
                        timeout_in_seconds: Some(i64::from(props.run_timeout_seconds).into()),
                        environment_variables: Some(BTreeMap::from([
                            ("HAPLAT_URL".to_owned(), c.url.clone()),
                            ("HAPLAT_STEP".to_owned(), Value::from(c.kind.as_str())),
                            (
                                "HAPLAT_TIMEOUT_MS".to_owned(),
                                Value::from((u64::from(props.request_timeout_seconds) * 1000).to_string()),
                            ),
                        ])),
                        ..Default::default()
                    }),
                    start_canary_after_creation: Some(true.into()),
                    provisioned_resource_cleanup: Some(ProvisionedResourceCleanup::Automatic.into()),
                    success_retention_period: Some(props.artifact_retention_days.into()),
                    failure_retention_period: Some(props.artifact_retention_days.into()),
                    ..Default::default()
                },
            );
            let alarm = scope.add(
                &format!("{}Alarm", c.id),
                Alarm {
                    alarm_description: Some(
                        format!(
                            "{}: {} (canary {name}, every {} min, {} failing min)",
                            c.id, c.meaning, props.every_minutes, props.alarm_periods
                        )
                        .into(),
                    ),
                    evaluation_periods: Some(i64::from(props.alarm_periods).into()),
                    threshold: Some(100.into()),
                    comparison_operator: Some(ComparisonOperator::LessThanThreshold.into()),
                    treat_missing_data: Some(TreatMissingData::NotBreaching.into()),
                    ..metric_alarm(
                        &MetricRef::new("CloudWatchSynthetics", "SuccessPercent", [("CanaryName", canary.ref_())]),
                        Statistic::Average,
                        60,
                    )
                },
            );
            scope.options(alarm).suppress(
                "CT.CLOUDWATCH.PR.1",
                "what reads this alarm acts on it (a Route 53 health check, a FIS stop condition); the SLO over the \
                 canary's SuccessPercent pages",
            );
            canaries.push(canary);
            alarms.push(alarm);
        }
        Canaries { bucket, role, canaries, alarms }
    }
}

/// Reports what Synthetics or the schedule cannot take.
fn check(scope: &Scope, props: &CanariesProps) {
    if props.checks.is_empty() {
        scope.error("Canaries needs at least one check");
    }
    let mut ids = std::collections::BTreeSet::new();
    for c in &props.checks {
        if c.kind.is_empty()
            || c.kind.len() > 6
            || !c.kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            scope.error(format!("canary kind {:?}: use 1 to 6 of a-z and 0-9 (it starts the canary's name)", c.kind));
        }
        if !ids.insert(c.id.as_str()) {
            scope.error(format!("canary id {} is given twice", c.id));
        }
        if let Some(url) = c.url.to_json().as_str().map(str::to_owned)
            && (!url.starts_with("https://") || url.len() > 2_048)
        {
            scope.error(format!(
                "canary {}: URL {:?} ({} characters) is not an https:// URL of at most 2048",
                c.id,
                url.chars().take(64).collect::<String>(),
                url.chars().count()
            ));
        }
    }
    if !(1..=60).contains(&props.every_minutes) {
        scope.error(format!("canaries every {} minutes: use 1 to 60", props.every_minutes));
    }
    if !(1..=60).contains(&props.request_timeout_seconds) {
        scope.error(format!("request timeout of {} s: use 1 to 60", props.request_timeout_seconds));
    }
    let schedule_seconds = props.every_minutes.saturating_mul(60);
    if props.run_timeout_seconds < 15
        || props.run_timeout_seconds <= props.request_timeout_seconds
        || props.run_timeout_seconds > schedule_seconds.min(840)
    {
        scope.error(format!(
            "run timeout of {} s: use at least 15 s, more than the request timeout ({} s) and at most the schedule ({} s, \
             840 at most)",
            props.run_timeout_seconds,
            props.request_timeout_seconds,
            schedule_seconds.min(840)
        ));
    }
    // The alarm's periods are a minute each, and CloudWatch evaluates at most a day.
    if !(1..=1_440).contains(&props.alarm_periods) {
        scope.error(format!("alarm_periods is {}: use 1 to 1440 (minutes, a day at most)", props.alarm_periods));
    }
    // The script is inline Node.js: a Node.js runtime of Synthetics.
    if !props.runtime_version.starts_with("syn-nodejs-") || props.runtime_version.len() > 64 {
        scope.error(format!(
            "runtime {:?}: the canaries' script is Node.js; use a syn-nodejs-* runtime (default {CANARY_RUNTIME})",
            props.runtime_version.chars().take(64).collect::<String>()
        ));
    }
    // Synthetics keeps run records 1 to 455 days.
    if !(1..=455).contains(&props.artifact_retention_days) {
        scope.error(format!("artifacts kept {} days: use 1 to 455", props.artifact_retention_days));
    }
}
