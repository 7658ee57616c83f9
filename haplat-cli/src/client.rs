//! The retry/wait client: every CloudFormation call of a deploy, destroy or diff goes through
//! [`Client`], which retries throttling with backoff, waits out another operation in progress,
//! polls an operation until QUEUED/RUNNING/STOPPING give way to SUCCEEDED, FAILED or STOPPED, and
//! turns a failed operation into an [`OperationFailure`] with each failed region's reason and
//! failed resources. Every wait and retry is reported as an [`Event`]. It knows nothing of plans.
//!
//! Uses [`crate::cfn`] (the calls), [`crate::events`] (reports) and [`crate::failure`] (errors).

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use crate::cfn::{CfnError, CloudFormation, OperationInfo, OperationStatus, RegionResult, RegionStatus};
use crate::events::{Event, Sink};
use crate::failure::{ExecError, OperationFailure, RegionFailure};

/// How long to wait and how often to retry.
#[derive(Clone, Debug)]
pub struct Waits {
    /// The first pause between two polls of an operation.
    pub first_poll: Duration,
    /// The longest pause between two polls (the pause doubles up to this).
    pub max_poll: Duration,
    /// How long one operation may take before haplat gives up waiting.
    pub timeout: Duration,
    /// How many times a throttled call or one refused because another operation runs is retried.
    pub retries: u32,
}

impl Default for Waits {
    fn default() -> Waits {
        Waits {
            first_poll: Duration::from_secs(2),
            max_poll: Duration::from_secs(30),
            timeout: Duration::from_secs(3 * 3600),
            retries: 10,
        }
    }
}

/// Calls CloudFormation for one command: retries, waits, reports.
pub struct Client<'a, C> {
    /// The service.
    pub cfn: &'a C,
    /// Where events go.
    pub sink: &'a dyn Sink,
    /// Timing.
    pub waits: Waits,
}

impl<'a, C: CloudFormation> Client<'a, C> {
    /// A client of `cfn` that reports to `sink`.
    pub fn new(cfn: &'a C, sink: &'a dyn Sink, waits: Waits) -> Self {
        Client { cfn, sink, waits }
    }

    /// Calls `f`, retrying throttling only (for reads, which never meet another operation).
    pub async fn read<T, F, Fut>(&self, stack: &str, what: &str, f: F) -> Result<T, ExecError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, CfnError>>,
    {
        self.retrying(stack, what, false, f).await
    }

    /// Calls `f`, retrying throttling and waiting out another operation in progress.
    pub async fn call<T, F, Fut>(&self, stack: &str, what: &str, f: F) -> Result<T, ExecError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, CfnError>>,
    {
        self.retrying(stack, what, true, f).await
    }

    /// The one retry loop: throttling backs off (doubling up to `max_poll`); with `others`, a
    /// call refused because another operation runs (or a stale request) waits for it, then
    /// retries. At most `retries` retries.
    async fn retrying<T, F, Fut>(&self, stack: &str, what: &str, others: bool, f: F) -> Result<T, ExecError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, CfnError>>,
    {
        let mut delay = self.waits.first_poll;
        let mut attempt = 0;
        loop {
            let err = match f().await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            let retryable = match &err {
                CfnError::Throttled(_) => true,
                CfnError::OperationInProgress { .. } => others,
                _ => false,
            };
            if !retryable || attempt >= self.waits.retries {
                return Err(ExecError::Call { stack: stack.into(), what: what.into(), source: err });
            }
            attempt += 1;
            match err {
                CfnError::Throttled(reason) => {
                    self.sink.emit(Event::Retry { stack: stack.into(), what: what.into(), reason, delay });
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(self.waits.max_poll);
                }
                _ => Box::pin(self.wait_for_others(stack)).await?,
            }
        }
    }

    /// Waits until no operation of the stack set is QUEUED, RUNNING or STOPPING.
    async fn wait_for_others(&self, stack: &str) -> Result<(), ExecError> {
        let ops = self.read(stack, "list operations", || self.cfn.list_operations(stack)).await?;
        match ops.into_iter().find(|o| !o.status.is_terminal() && !o.id.is_empty()) {
            Some(op) => {
                self.sink.emit(Event::WaitingForOther { stack: stack.into(), id: op.id.clone() });
                // Its outcome is not ours: wait for the end, whatever it is.
                let _ = self.wait(stack, &op.id, &op.action.to_lowercase(), false).await?;
            }
            None => tokio::time::sleep(self.waits.first_poll).await,
        }
        Ok(())
    }

    /// Polls an operation with backoff until it ends. With `ours`, FAILED and STOPPED are errors
    /// that carry each failed region's reason and failed resource events.
    pub async fn wait(&self, stack: &str, id: &str, action: &str, ours: bool) -> Result<OperationStatus, ExecError> {
        self.wait_results(stack, id, action, ours).await.map(|(status, _, _)| status)
    }

    /// [`Client::wait`], with the last results per region (with `ours`).
    pub async fn wait_results(
        &self,
        stack: &str,
        id: &str,
        action: &str,
        ours: bool,
    ) -> Result<(OperationStatus, Vec<RegionResult>, Option<i64>), ExecError> {
        let start = tokio::time::Instant::now();
        let mut delay = self.waits.first_poll;
        let mut last: Option<OperationStatus> = None;
        let mut regions: BTreeMap<String, RegionStatus> = BTreeMap::new();
        loop {
            let op = self.read(stack, "describe operation", || self.cfn.describe_operation(stack, id)).await?;
            if last.as_ref() != Some(&op.status) {
                self.sink.emit(Event::OperationStatus {
                    stack: stack.into(),
                    id: id.into(),
                    status: op.status.clone(),
                });
                last = Some(op.status.clone());
            }
            let results = if ours {
                self.read(stack, "list operation results", || self.cfn.list_operation_results(stack, id)).await?
            } else {
                Vec::new()
            };
            for r in &results {
                if regions.get(&r.region) != Some(&r.status) {
                    regions.insert(r.region.clone(), r.status.clone());
                    self.sink.emit(Event::Region {
                        stack: stack.into(),
                        region: r.region.clone(),
                        status: r.status.clone(),
                        reason: r.reason.clone(),
                    });
                }
            }
            if let OperationStatus::Unknown(status) = &op.status {
                // Not a status haplat can wait through: say so now rather than poll for hours.
                return Err(ExecError::Call {
                    stack: stack.into(),
                    what: format!("operation {id} ({action})"),
                    source: CfnError::service(
                        "UnknownOperationStatus",
                        &format!("status {status:?} is not one haplat knows; check `haplat status`"),
                    ),
                });
            }
            if op.status.is_terminal() {
                if ours && op.status != OperationStatus::Succeeded {
                    return Err(self.failure(stack, action, op, &results).await);
                }
                return Ok((op.status, results, op.created_secs));
            }
            let waited = start.elapsed();
            if waited >= self.waits.timeout {
                return Err(ExecError::Timeout {
                    stack: stack.into(),
                    id: id.into(),
                    action: action.into(),
                    status: op.status,
                    waited,
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(self.waits.max_poll);
        }
    }

    /// Starts an operation of ours (`start` answers its id), reports it and waits for its end.
    /// A SUCCEEDED operation can hold FAILED regions when failures are tolerated: with
    /// `tolerated`, they come back as warnings (for the summary), else they are an error like a
    /// failed operation.
    pub async fn run_op<F, Fut>(
        &self,
        stack: &str,
        action: &str,
        regions: &[String],
        tolerated: bool,
        start: F,
    ) -> Result<Vec<String>, ExecError>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<String, CfnError>>,
    {
        let what = if regions.is_empty() { action.to_owned() } else { format!("{action} in {}", regions.join(", ")) };
        // haplat names the operation, and says so before asking: every retry of the call is the
        // same operation, and one whose answer was lost (a timeout) can still be waited for.
        let id = uuid::Uuid::new_v4().to_string();
        self.sink.emit(Event::Operation {
            stack: stack.into(),
            id: id.clone(),
            action: action.into(),
            regions: regions.to_vec(),
        });
        let mut id = id;
        match self.call(stack, &what, || start(id.clone())).await {
            Ok(answered) if answered.is_empty() || answered == id => {}
            // An emulator that ignores OperationId (moto) names the operation itself: its
            // status lines then carry that name.
            Ok(answered) => id = answered,
            Err(ExecError::Call { source, stack: st, what: w })
                if matches!(&source, CfnError::Unreachable { .. })
                    || matches!(&source, CfnError::Service { code, .. } if code == "OperationIdAlreadyExistsException") =>
            {
                // The request may have reached CloudFormation: if the operation exists, it is ours.
                if self.read(stack, "describe operation", || self.cfn.describe_operation(stack, &id)).await.is_err() {
                    return Err(ExecError::Call { stack: st, what: w, source });
                }
            }
            Err(e) => return Err(e),
        }
        let (status, results, created) = self.wait_results(stack, &id, action, true).await?;
        let failed: Vec<&RegionResult> = results.iter().filter(|r| !r.status.is_success()).collect();
        if !failed.is_empty() && !tolerated {
            let op = OperationInfo {
                id,
                action: action.to_owned(),
                status,
                status_reason: Some("the operation succeeded, but regions failed".to_owned()),
                created: None,
                created_secs: created,
            };
            return Err(self.failure(stack, action, op, &results).await);
        }
        Ok(failed
            .iter()
            .map(|r| {
                format!(
                    "{} {} in {} (tolerated){}",
                    action,
                    r.status,
                    r.region,
                    r.reason.as_deref().map(|x| format!(": {x}")).unwrap_or_default()
                )
            })
            .collect())
    }

    /// The error for operation `op` (ours) that ended with failed regions: each with its
    /// reason and its stack's failure events since the operation started.
    async fn failure(&self, stack: &str, action: &str, op: OperationInfo, results: &[RegionResult]) -> ExecError {
        let since = op.created_secs;
        let mut regions = Vec::new();
        for r in results.iter().filter(|r| !r.status.is_success()) {
            let mut events = Vec::new();
            // Best effort: the failure is reported even if its details cannot be read.
            if let Ok(instance) = self.cfn.describe_stack_instance(stack, &r.account, &r.region).await
                && let Ok(Some(s)) = self.cfn.instance_stack(stack, &instance).await
                && let Ok(evs) = self.cfn.stack_events(&r.region, &s.id).await
            {
                // Only this operation's failures: not those of an earlier update of the stack.
                events = evs
                    .into_iter()
                    .filter(|e| e.is_failure() && !matches!((e.time, since), (Some(t), Some(s)) if t < s))
                    .take(10)
                    .collect();
            }
            regions.push(RegionFailure {
                region: r.region.clone(),
                status: r.status.clone(),
                reason: r.reason.clone(),
                events,
            });
        }
        ExecError::Operation(Box::new(OperationFailure {
            stack: stack.into(),
            id: op.id,
            action: action.into(),
            status: op.status,
            reason: op.status_reason,
            regions,
        }))
    }
}
