//! Typed events of a deploy or destroy, from which the progress display and logs are drawn.

use std::sync::Mutex;
use std::time::Duration;

use crate::status::{OperationStatus, RegionStatus};

/// Something that happened while executing a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A wave starts.
    Wave {
        /// Its index.
        wave: usize,
        /// Its stack sets.
        stacks: Vec<String>,
    },
    /// A stack set is being worked on.
    StackStarted {
        /// The stack set.
        stack: String,
        /// The regions concerned.
        regions: Vec<String>,
    },
    /// A step of a stack set that is not an operation (create the stack set, upload…).
    Step {
        /// The stack set.
        stack: String,
        /// What.
        what: String,
    },
    /// A stack set operation was started.
    Operation {
        /// The stack set.
        stack: String,
        /// The operation id.
        id: String,
        /// What it does, e.g. `create stack instances`.
        action: String,
        /// The regions it concerns.
        regions: Vec<String>,
    },
    /// An operation's status changed.
    OperationStatus {
        /// The stack set.
        stack: String,
        /// The operation id.
        id: String,
        /// The status.
        status: OperationStatus,
    },
    /// A region's status in an operation changed.
    Region {
        /// The stack set.
        stack: String,
        /// The region.
        region: String,
        /// `PENDING`, `RUNNING`, `SUCCEEDED`, `FAILED`, `CANCELLED`.
        status: RegionStatus,
        /// Why.
        reason: Option<String>,
    },
    /// Another operation runs on the stack set; waiting for it.
    WaitingForOther {
        /// The stack set.
        stack: String,
        /// The other operation's id.
        id: String,
    },
    /// A call is retried.
    Retry {
        /// The stack set.
        stack: String,
        /// The call.
        what: String,
        /// Why.
        reason: String,
        /// After how long.
        delay: Duration,
    },
    /// A stack set is done.
    StackDone {
        /// The stack set.
        stack: String,
        /// What was done, e.g. `unchanged`, `created in 3 regions`, `deleted`.
        summary: String,
    },
    /// A resource stays in the account after destroy.
    Kept {
        /// The stack set.
        stack: String,
        /// The region.
        region: String,
        /// The logical id.
        logical_id: String,
        /// The type.
        type_name: String,
        /// The construct path.
        path: String,
        /// What its DeletionPolicy does: `kept` or `deleted, snapshot kept`.
        outcome: String,
    },
}

impl Event {
    /// One plain line for logs and non-terminal output.
    pub fn line(&self) -> String {
        match self {
            Event::Wave { wave, stacks } => format!("wave {wave}: {}", stacks.join(", ")),
            Event::StackStarted { stack, regions } => format!("{stack}: start ({})", regions.join(", ")),
            Event::Step { stack, what } => format!("{stack}: {what}"),
            Event::Operation { stack, id, action, regions } => {
                format!("{stack}: {action} in {} (operation {id})", regions.join(", "))
            }
            Event::OperationStatus { stack, id, status } => format!("{stack}: operation {id} {status}"),
            Event::Region { stack, region, status, reason } => match reason {
                Some(r) if !r.is_empty() => format!("{stack} {region}: {status}: {r}"),
                _ => format!("{stack} {region}: {status}"),
            },
            Event::WaitingForOther { stack, id } => {
                format!("{stack}: another operation ({id}) is in progress; waiting for it to finish")
            }
            Event::Retry { stack, what, reason, delay } => {
                format!("{stack}: {what}: {reason}; retrying in {:.1}s", delay.as_secs_f32())
            }
            Event::StackDone { stack, summary } => format!("{stack}: {summary}"),
            Event::Kept { stack, region, logical_id, type_name, path, outcome } if outcome == "kept" => {
                format!("{stack} {region}: kept {logical_id} ({type_name}, {path}): its DeletionPolicy retains it")
            }
            Event::Kept { stack, region, logical_id, type_name, path, outcome } => {
                format!("{stack} {region}: {outcome} {logical_id} ({type_name}, {path}): DeletionPolicy Snapshot")
            }
        }
    }
}

/// Where events go.
pub trait Sink: Sync {
    /// Receives one event.
    fn emit(&self, event: Event);
}

/// Collects events (tests, logs).
#[derive(Debug, Default)]
pub struct Collect(pub Mutex<Vec<Event>>);

impl Sink for Collect {
    fn emit(&self, event: Event) {
        self.0.lock().expect("events lock").push(event);
    }
}

impl Collect {
    /// The events so far.
    pub fn events(&self) -> Vec<Event> {
        self.0.lock().expect("events lock").clone()
    }
}
