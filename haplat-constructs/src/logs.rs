//! CloudWatch Logs log groups: [`LogGroup`], encrypted with a customer managed [`KmsKey`] and kept
//! for a retention CloudWatch Logs accepts ([`LOG_RETENTION_DAYS`], checked by
//! [`check_retention`]). Every log group of the crate is made here: the services' container
//! logs, VPC flow logs, Container Insights, Aurora's exported logs, the WebSocket API's access
//! and function logs, FIS experiment logs and WAF logs.
//!
//! ```
//! use haplat_core::App;
//! use haplat_constructs::kms::{KeyUser, KmsKey};
//! use haplat_constructs::logs::{LogGroup, LogGroupProps};
//!
//! let app = App::new("demo");
//! let stack = app.stack("Logs", "us-east-1");
//! let key = KmsKey::new(&stack, "LogsKey", "encrypts the logs", &[KeyUser::CloudWatchLogs]);
//! LogGroup::new(&stack, "Logs", LogGroupProps { name: None, retention_days: 90, key: &key });
//! let assembly = app.synth().unwrap();
//! let t = assembly.template("demo-Logs").unwrap();
//! let (_, logs) = t["Resources"].as_object().unwrap().iter()
//!     .find(|(_, r)| r["Type"] == "AWS::Logs::LogGroup").unwrap();
//! assert_eq!(logs["Properties"]["RetentionInDays"], 90);
//! assert!(logs["Properties"]["KmsKeyId"]["Fn::GetAtt"].is_array());
//! ```

use haplat_core::resources::logs::log_group::LogGroup as CfnLogGroup;
use haplat_core::value::Value;
use haplat_core::{Handle, Scope};

use crate::kms::KmsKey;

/// The retention periods CloudWatch Logs accepts, in days.
pub const LOG_RETENTION_DAYS: &[i64] =
    &[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/// Checks a log retention against [`LOG_RETENTION_DAYS`], reporting misuse at `scope` (the
/// construct whose props carry the retention: [`LogGroup::new`] does not check it again).
pub fn check_retention(scope: &Scope, days: i64) {
    if !LOG_RETENTION_DAYS.contains(&days) {
        scope.error(format!(
            "log retention of {days} days is not one CloudWatch Logs accepts; use one of {}",
            LOG_RETENTION_DAYS.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
        ));
    }
}

/// What a [`LogGroup`] is.
#[derive(Clone, Debug)]
pub struct LogGroupProps<'a> {
    /// The group's name. Default (`None`): a name CloudFormation generates.
    pub name: Option<Value<String>>,
    /// Days the events are kept, one of [`LOG_RETENTION_DAYS`].
    pub retention_days: i64,
    /// The key that encrypts the events; its policy must allow
    /// [`KeyUser::CloudWatchLogs`](crate::kms::KeyUser::CloudWatchLogs).
    pub key: &'a KmsKey,
}

/// An encrypted log group with a retention (`AWS::Logs::LogGroup`).
#[derive(Clone, Copy, Debug)]
pub struct LogGroup {
    /// The log group resource.
    pub handle: Handle<CfnLogGroup>,
}

impl LogGroup {
    /// Adds the log group as `scope/id`.
    pub fn new(scope: &Scope, id: &str, props: LogGroupProps<'_>) -> LogGroup {
        let handle = scope.add(
            id,
            CfnLogGroup {
                log_group_name: props.name,
                retention_in_days: Some(props.retention_days.into()),
                kms_key_id: Some(props.key.arn()),
                ..Default::default()
            },
        );
        LogGroup { handle }
    }

    /// The group's ARN (`Fn::GetAtt Arn`, `…:log-group:<name>:*`).
    pub fn arn(&self) -> Value<String> {
        self.handle.attr_arn()
    }

    /// The group's name (`Ref`).
    pub fn name(&self) -> Value<String> {
        self.handle.ref_()
    }

    /// The ARN of the group's streams (`…:log-group:<name>:*`, built from the name): what
    /// `logs:CreateLogStream` and `logs:PutLogEvents` are granted on, and FIS logs to.
    pub fn streams_arn(&self) -> Value<String> {
        Value::sub_with(
            "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Group}:*",
            [("Group", self.name())],
        )
    }
}
