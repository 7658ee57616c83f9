//! [`WorkQueue`]: an SQS standard queue encrypted with a customer managed KMS key, with a
//! dead-letter queue (same key) that receives a message after `max_receives` failed receives
//! (the redrive policy). A [`Grantable`]: `read` is what a consumer needs (receive, delete,
//! change visibility), `read_write` adds sending; [`WorkQueue::key_use`] is the key permission
//! either also needs (SQS encrypts and decrypts with the caller's permissions).
//!
//! The dead-letter queue keeps messages longer than the queue: SQS keeps a message's original
//! enqueue time when it moves to a dead-letter queue of a standard queue, so a dead-letter queue
//! whose retention is not longer would drop failed messages soon after they arrive (HAP047,
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html>).
//!
//! ```
//! use haplat_core::App;
//! use haplat_constructs::kms::KmsKey;
//! use haplat_constructs::queue::{WorkQueue, WorkQueueProps};
//!
//! let app = App::new("demo");
//! let stack = app.stack("Work", "us-east-1");
//! let key = KmsKey::new(&stack, "Key", "queues", &[]);
//! let q = WorkQueue::new(&stack, "Jobs", WorkQueueProps::new(&key));
//! let t = app.synth().unwrap().template("demo-Work").unwrap();
//! let queue = &t["Resources"]["JobsQueue"]["Properties"];
//! assert_eq!(queue["RedrivePolicy"]["maxReceiveCount"], 5);
//! assert_eq!(t["Resources"]["JobsDeadLetters"]["Properties"]["MessageRetentionPeriod"], 1_209_600);
//! # let _ = q;
//! ```

use haplat_core::resources::sqs;
use haplat_core::value::Value;
use haplat_core::{Handle, Scope, expr_map};

use crate::kms::KmsKey;
use crate::metrics::MetricRef;
use crate::security::{Grantable, Permission};

/// SQS's longest retention, 14 days (seconds).
pub const MAX_RETENTION_SECONDS: i64 = 1_209_600;

/// What a [`WorkQueue`] keeps and for how long.
#[derive(Clone, Debug)]
pub struct WorkQueueProps<'a> {
    /// The key both queues are encrypted with.
    pub key: &'a KmsKey,
    /// The queue's name. Default: `None`, CloudFormation names it.
    pub name: Option<Value<String>>,
    /// Seconds a received message stays invisible to other consumers. Default: 60.
    pub visibility_timeout_seconds: i64,
    /// Seconds the queue keeps a message. Default: 4 days (345600).
    pub retention_seconds: i64,
    /// Receives before a message moves to the dead-letter queue. Default: 5.
    pub max_receives: i64,
}

impl<'a> WorkQueueProps<'a> {
    /// A queue encrypted with `key`: 60 s visibility, 4 days retention, 5 receives.
    pub fn new(key: &'a KmsKey) -> Self {
        WorkQueueProps { key, name: None, visibility_timeout_seconds: 60, retention_seconds: 345_600, max_receives: 5 }
    }
}

/// The queue and its dead-letter queue (see the [module](self) docs).
#[derive(Clone, Debug)]
pub struct WorkQueue {
    /// The queue.
    pub queue: Handle<sqs::Queue>,
    /// Its dead-letter queue (kept 14 days).
    pub dead_letters: Handle<sqs::Queue>,
    /// The key's ARN.
    pub key_arn: Value<String>,
}

impl WorkQueue {
    /// Adds `<id>Queue` and `<id>DeadLetters` in `scope`.
    pub fn new(scope: &Scope, id: &str, props: WorkQueueProps<'_>) -> WorkQueue {
        // The id only prefixes the queues' ids: checked as the construct's own.
        scope.check_id(id);
        if !(0..=43_200).contains(&props.visibility_timeout_seconds) {
            scope.error(format!(
                "queue {id}: visibility timeout {} s; SQS takes 0 to 43200",
                props.visibility_timeout_seconds
            ));
        }
        if !(60..MAX_RETENTION_SECONDS).contains(&props.retention_seconds) {
            scope.error(format!(
                "queue {id}: retention {} s; use 60 to {} so that the dead-letter queue (14 days) keeps messages longer",
                props.retention_seconds,
                MAX_RETENTION_SECONDS - 1
            ));
        }
        // SQS: 1 to 80 of A-Z a-z 0-9 - _ (a literal name; one made by an intrinsic is AWS's to check).
        if let Some(haplat_core::value::Expr::String(name)) = props.name.as_ref().map(|n| n.expr())
            && !(name.chars().count() <= 80
                && !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        {
            scope.error(format!(
                "queue {id}: name of {} characters; SQS takes 1 to 80 of A-Z a-z 0-9 - _",
                name.chars().count()
            ));
        }
        if !(1..=1000).contains(&props.max_receives) {
            scope.error(format!("queue {id}: max receives {}; SQS takes 1 to 1000", props.max_receives));
        }
        let dead_letters = scope.add(
            &format!("{id}DeadLetters"),
            sqs::Queue {
                kms_master_key_id: Some(props.key.arn()),
                message_retention_period: Some(MAX_RETENTION_SECONDS.into()),
                ..Default::default()
            },
        );
        let queue = scope.add(
            &format!("{id}Queue"),
            sqs::Queue {
                queue_name: props.name,
                kms_master_key_id: Some(props.key.arn()),
                message_retention_period: Some(props.retention_seconds.into()),
                visibility_timeout: Some(props.visibility_timeout_seconds.into()),
                receive_message_wait_time_seconds: Some(20.into()),
                redrive_policy: Some(expr_map! {
                    "deadLetterTargetArn" => dead_letters.attr_arn(),
                    "maxReceiveCount" => props.max_receives,
                }),
                ..Default::default()
            },
        );
        scope.options(dead_letters).suppress(
            "CT.SQS.PR.1",
            "this is the dead-letter queue: a message that fails here stays 14 days for inspection and redrive, \
             a dead-letter queue of its own would only move it again",
        );
        WorkQueue { queue, dead_letters, key_arn: props.key.arn() }
    }

    /// The queue's `ApproximateAgeOfOldestMessage` (seconds): how long the oldest message has
    /// waited.
    pub fn age_metric(&self) -> MetricRef {
        MetricRef::new("AWS/SQS", "ApproximateAgeOfOldestMessage", [("QueueName", self.queue.attr_queue_name())])
    }

    /// The dead-letter queue's `ApproximateNumberOfMessagesVisible`: messages that failed.
    pub fn dead_letter_depth_metric(&self) -> MetricRef {
        MetricRef::new(
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            [("QueueName", self.dead_letters.attr_queue_name())],
        )
    }

    /// Sending only: what a producer needs (with [`WorkQueue::key_use`]).
    pub fn send(&self) -> Permission {
        Permission::new(["sqs:SendMessage"], [self.queue.attr_arn()])
    }

    /// The key permissions a producer or consumer of the encrypted queue needs: `kms:GenerateDataKey`
    /// to send, `kms:Decrypt` to send and receive
    /// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html>).
    pub fn key_use(&self) -> Permission {
        Permission::new(["kms:Decrypt", "kms:GenerateDataKey"], [self.key_arn.clone()])
    }
}

impl Grantable for WorkQueue {
    fn read(&self) -> Permission {
        Permission::new(
            ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
            [self.queue.attr_arn()],
        )
    }

    fn read_write(&self) -> Permission {
        self.read().and(self.send())
    }
}
