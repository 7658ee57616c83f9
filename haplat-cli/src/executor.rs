//! Runs a [`DeployPlan`] (or a destroy) against a [`CloudFormation`]: stack sets created or
//! updated, instances created, updated or deleted with per-region parameters, every operation
//! waited for with backoff until QUEUED/RUNNING/STOPPING give way to SUCCEEDED, FAILED or
//! STOPPED. Throttling is retried; an operation already in progress is waited out. Every step
//! is reported as an [`Event`]; a failure says which region, why, the failed resources, and
//! what had been done before it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::assembly::Assembly;
use crate::cfn::{
    CfnError, CloudFormation, InstanceInfo, OperationInfo, OperationStatus, Preferences, RegionResult, StackEvent,
    StackSetInput, TemplateSource,
};
use crate::events::{Event, Sink};
use crate::plan::{DeployPlan, ParamValue, StackPlan};

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

/// What the bootstrap stack provides.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bootstrap {
    /// The account the instances go to.
    pub account: String,
    /// The administration region (where the stack sets live).
    pub region: String,
    /// The administration role's ARN.
    pub admin_role_arn: String,
    /// The execution role's name.
    pub execution_role_name: String,
    /// The template bucket.
    pub bucket: String,
    /// The regions bootstrapped.
    pub regions: Vec<String>,
}

/// Why execution stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// A call failed for good.
    #[error("{stack}: {what}: {source}")]
    Call {
        /// The stack set.
        stack: String,
        /// The call.
        what: String,
        /// The error.
        #[source]
        source: CfnError,
    },
    /// An operation ended FAILED or STOPPED.
    #[error("{}", render_failure(.0))]
    Operation(Box<OperationFailure>),
    /// An operation did not end in time.
    #[error(
        "{stack}: operation {id} ({action}) is still {status} after {waited:?}; it keeps running in CloudFormation: check `haplat status`"
    )]
    Timeout {
        /// The stack set.
        stack: String,
        /// The operation.
        id: String,
        /// What it does.
        action: String,
        /// Its last status.
        status: OperationStatus,
        /// How long haplat waited.
        waited: Duration,
    },
    /// More than one stack set of a wave failed.
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Several(Vec<ExecError>),
    /// haplat refuses to go on (nothing of this stack set was changed).
    #[error("{stack}: {message}")]
    Refused {
        /// The stack set.
        stack: String,
        /// Why.
        message: String,
    },
    /// A parameter bound to another stack's output cannot be read.
    #[error(
        "{stack}: parameter {parameter} in {region} takes output {output} of stack set {producer} in {producer_region} (from {source_path}), but {problem}"
    )]
    Binding {
        /// The consumer.
        stack: String,
        /// Its parameter.
        parameter: String,
        /// The consumer's region.
        region: String,
        /// The producer.
        producer: String,
        /// Its output.
        output: String,
        /// The producer's region.
        producer_region: String,
        /// The construct path of the value.
        source_path: String,
        /// What is wrong.
        problem: String,
    },
}

impl ExecError {
    /// Whether AWS could not be used at all.
    pub fn is_access(&self) -> bool {
        match self {
            ExecError::Call { source, .. } => source.is_access(),
            ExecError::Several(all) => all.iter().any(ExecError::is_access),
            _ => false,
        }
    }

    /// The stack sets that failed.
    pub fn stacks(&self) -> Vec<&str> {
        match self {
            ExecError::Call { stack, .. }
            | ExecError::Timeout { stack, .. }
            | ExecError::Binding { stack, .. }
            | ExecError::Refused { stack, .. } => {
                vec![stack.as_str()]
            }
            ExecError::Operation(f) => vec![f.stack.as_str()],
            ExecError::Several(all) => all.iter().flat_map(ExecError::stacks).collect(),
        }
    }
}

/// Why a producer's outputs cannot be read.
#[derive(Debug)]
pub enum OutputError {
    /// Not deployed there, not CURRENT, no stack: said in the binding error.
    Problem(String),
    /// A call failed (kept typed: an access error stays one).
    Exec(ExecError),
}

/// A failed operation, with what each failed region says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationFailure {
    /// The stack set.
    pub stack: String,
    /// The operation.
    pub id: String,
    /// What it did.
    pub action: String,
    /// FAILED or STOPPED.
    pub status: OperationStatus,
    /// The operation's status reason.
    pub reason: Option<String>,
    /// The regions that failed.
    pub regions: Vec<RegionFailure>,
}

/// One failed region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionFailure {
    /// The region.
    pub region: String,
    /// Its status in the operation.
    pub status: String,
    /// Why.
    pub reason: Option<String>,
    /// The failed events of its stack, newest first.
    pub events: Vec<StackEvent>,
}

fn render_failure(f: &OperationFailure) -> String {
    let mut s = format!("{}: {} (operation {}) {}", f.stack, f.action, f.id, f.status);
    if let Some(r) = &f.reason {
        let _ = write!(s, ": {r}");
    }
    for r in &f.regions {
        let _ = write!(s, "\n  {} {}", r.region, r.status);
        if let Some(reason) = &r.reason {
            let _ = write!(s, ": {reason}");
        }
        for e in &r.events {
            let _ = write!(s, "\n    {} {} {}", e.logical_id, e.resource_type, e.status);
            if let Some(reason) = &e.reason {
                let _ = write!(s, ": {reason}");
            }
        }
        if r.events.is_empty() && r.status == "FAILED" {
            s.push_str("\n    (the region's stack reports no failed resource events)");
        }
    }
    s
}

/// Runs plans against `cfn`, reporting to `sink`.
pub struct Executor<'a, C> {
    /// The service.
    pub cfn: &'a C,
    /// Where events go.
    pub sink: &'a dyn Sink,
    /// Timing.
    pub waits: Waits,
    /// How many stack sets of one wave run at once.
    concurrency: usize,
    /// Deploy over stack sets without haplat's ownership tag (or another app's).
    adopt: bool,
    /// What has been done so far, for the failure report.
    done: Mutex<Vec<String>>,
    /// Producer outputs read so far: (stack set, region) → outputs.
    outputs: Mutex<HashMap<(String, String), BTreeMap<String, String>>>,
}

/// How a stack set differs from the plan, for the executor's decisions.
struct Current {
    /// The stack set and its template, when it exists.
    set: Option<(crate::cfn::StackSetInfo, Value)>,
    /// Region → instance (with overrides).
    instances: BTreeMap<String, InstanceInfo>,
}

impl<'a, C: CloudFormation> Executor<'a, C> {
    /// A new executor.
    pub fn new(cfn: &'a C, sink: &'a dyn Sink, waits: Waits) -> Self {
        Executor {
            cfn,
            sink,
            waits,
            concurrency: 1,
            adopt: false,
            done: Mutex::new(Vec::new()),
            outputs: Mutex::new(HashMap::new()),
        }
    }

    /// What has been completed so far.
    pub fn done(&self) -> Vec<String> {
        self.done.lock().expect("lock").clone()
    }

    fn record(&self, line: String) {
        self.done.lock().expect("lock").push(line);
    }

    /// Calls `f`, retrying throttling only (for reads, which never meet another operation).
    async fn read<T, F, Fut>(&self, stack: &str, what: &str, f: F) -> Result<T, ExecError>
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

    /// [`Executor::wait`], with the last results per region (with `ours`).
    async fn wait_results(
        &self,
        stack: &str,
        id: &str,
        action: &str,
        ours: bool,
    ) -> Result<(OperationStatus, Vec<RegionResult>, Option<i64>), ExecError> {
        let start = tokio::time::Instant::now();
        let mut delay = self.waits.first_poll;
        let mut last: Option<OperationStatus> = None;
        let mut regions: BTreeMap<String, String> = BTreeMap::new();
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

    /// Starts an operation of ours (`start` answers its id), reports it, waits for its end and
    /// records `done` when it succeeded. A SUCCEEDED operation can hold FAILED regions when
    /// failures are tolerated: with `tolerated`, they come back (for the summary), else they are
    /// an error like a failed operation.
    async fn run_op<F, Fut>(
        &self,
        stack: &str,
        action: &str,
        regions: &[String],
        tolerated: bool,
        done: String,
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
        let failed: Vec<&RegionResult> = results.iter().filter(|r| r.status != "SUCCEEDED").collect();
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
        self.record(done);
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
        for r in results.iter().filter(|r| r.status != "SUCCEEDED") {
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

    /// Reads an output of a stack set's instance in a region, through the retrying read path.
    /// Only a CURRENT instance is read: another one's outputs may be stale or half-made.
    pub async fn output(
        &self,
        bootstrap: &Bootstrap,
        producer: &str,
        region: &str,
    ) -> Result<BTreeMap<String, String>, OutputError> {
        let key = (producer.to_owned(), region.to_owned());
        if let Some(o) = self.outputs.lock().expect("lock").get(&key) {
            return Ok(o.clone());
        }
        let instance = match self
            .read(producer, "describe stack instance", || {
                self.cfn.describe_stack_instance(producer, &bootstrap.account, region)
            })
            .await
        {
            Ok(i) => i,
            Err(ExecError::Call { source: CfnError::StackSetNotFound { .. }, .. }) => {
                return Err(OutputError::Problem(format!("stack set {producer} is not deployed")));
            }
            Err(ExecError::Call { source: CfnError::Service { code, .. }, .. })
                if code == "StackInstanceNotFoundException" =>
            {
                return Err(OutputError::Problem(format!("stack set {producer} has no instance in {region}")));
            }
            Err(e) => return Err(OutputError::Exec(e)),
        };
        if instance.status != "CURRENT" {
            return Err(OutputError::Problem(format!(
                "its instance in {region} is {}{}: its outputs may be stale; deploy {producer} there first",
                instance.status,
                instance.status_reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
            )));
        }
        let stack = match self.read(producer, "describe stack", || self.cfn.instance_stack(producer, &instance)).await {
            Ok(Some(s)) => s,
            Ok(None) => {
                return Err(OutputError::Problem(format!(
                    "its instance in {region} has no stack (status {})",
                    instance.status
                )));
            }
            Err(e) => return Err(OutputError::Exec(e)),
        };
        self.outputs.lock().expect("lock").insert(key, stack.outputs.clone());
        Ok(stack.outputs)
    }

    /// Resolves every parameter of a stack plan, per region.
    pub async fn resolve(
        &self,
        bootstrap: &Bootstrap,
        s: &StackPlan,
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>, ExecError> {
        let mut out = BTreeMap::new();
        for region in &s.regions {
            let params = &s.parameters[region];
            let mut values = BTreeMap::new();
            for (name, v) in params {
                let value = match v {
                    ParamValue::Literal(v) => v.clone(),
                    ParamValue::Output { stack, output, region: pr, source } => {
                        let err = |problem: String| ExecError::Binding {
                            stack: s.name.clone(),
                            parameter: name.clone(),
                            region: region.clone(),
                            producer: stack.clone(),
                            output: output.clone(),
                            producer_region: pr.clone(),
                            source_path: source.clone(),
                            problem,
                        };
                        let outputs = match self.output(bootstrap, stack, pr).await {
                            Ok(o) => o,
                            Err(OutputError::Problem(p)) => return Err(err(p)),
                            Err(OutputError::Exec(e)) => return Err(e),
                        };
                        match outputs.get(output) {
                            Some(v) => v.clone(),
                            None => {
                                let have: Vec<&str> = outputs.keys().map(String::as_str).collect();
                                return Err(err(format!(
                                    "its stack in {pr} has no such output (outputs: {})",
                                    if have.is_empty() { "none".to_owned() } else { have.join(", ") }
                                )));
                            }
                        }
                    }
                };
                values.insert(name.clone(), value);
            }
            out.insert(region.clone(), values);
        }
        Ok(out)
    }

    /// Refuses (unless adopting) a stack set that lacks haplat's ownership tag or carries
    /// another app's.
    fn owner_problem(&self, s: &StackPlan, set: &crate::cfn::StackSetInfo) -> Option<ExecError> {
        let tag = crate::plan::OWNER_TAG;
        let have = set.tags.get(tag);
        if self.adopt || (have.is_some() && have == s.tags.get(tag)) {
            return None;
        }
        let whose = match have {
            Some(h) => format!("belongs to app {h:?} (tag {tag})"),
            None => format!("lacks haplat's tag {tag}"),
        };
        Some(ExecError::Refused {
            stack: s.name.clone(),
            message: format!(
                "stack set {} exists but {whose}: haplat does not deploy over a stack set it did not make; `--adopt` takes it over (and tags it)",
                s.name
            ),
        })
    }

    /// Checks, before anything changes, that every existing stack set of the plan is haplat's
    /// (see [`Executor::with_adopt`]).
    pub async fn check_owners(&self, plan: &DeployPlan) -> Result<(), ExecError> {
        for s in plan.stacks() {
            let name = s.name.as_str();
            let set = self.call(name, "describe stack set", || self.cfn.describe_stack_set(name)).await?;
            if let Some(e) = set.and_then(|set| self.owner_problem(s, &set)) {
                return Err(e);
            }
        }
        Ok(())
    }

    /// Deploys over existing stack sets that lack haplat's ownership tag (`--adopt`).
    pub fn with_adopt(mut self, adopt: bool) -> Self {
        self.adopt = adopt;
        self
    }

    /// At most this many stack sets of one wave are deployed at once (at least 1).
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Runs the plan, wave after wave. The stack sets of a wave do not depend on each other, so
    /// up to [`Executor::with_concurrency`] of them run at once; a wave starts when the one
    /// before it has finished. When a stack set fails, the others of its wave still run to their
    /// end (their outcome is reported) and no later wave starts.
    pub async fn deploy(&self, assembly: &Assembly, plan: &DeployPlan, bootstrap: &Bootstrap) -> Result<(), ExecError> {
        for wave in &plan.waves {
            self.sink
                .emit(Event::Wave { wave: wave.wave, stacks: wave.stacks.iter().map(|s| s.name.clone()).collect() });
            let permits = tokio::sync::Semaphore::new(self.concurrency);
            let permits = &permits;
            let jobs: Vec<Job<'_>> = wave
                .stacks
                .iter()
                .map(|s| {
                    Box::pin(async move {
                        let _permit = permits.acquire().await.expect("the semaphore is never closed");
                        let all_regions = assembly
                            .manifest
                            .stack(&s.name)
                            .map(|m| m.target.regions())
                            .unwrap_or_else(|| s.regions.clone());
                        let template = assembly.template(&s.name);
                        let r = self.deploy_stack(s, &template.body, &template.json, &all_regions, bootstrap).await;
                        self.outputs.lock().expect("lock").retain(|(stack, _), _| stack != &s.name);
                        r
                    }) as Job<'_>
                })
                .collect();
            let mut failures: Vec<ExecError> = join_all(jobs).await.into_iter().filter_map(Result::err).collect();
            match failures.len() {
                0 => {}
                1 => return Err(failures.remove(0)),
                _ => return Err(ExecError::Several(failures)),
            }
        }
        Ok(())
    }

    async fn current(&self, s: &StackPlan) -> Result<Current, ExecError> {
        let name = s.name.as_str();
        let Some(set) = self.call(name, "describe stack set", || self.cfn.describe_stack_set(name)).await? else {
            return Ok(Current { set: None, instances: BTreeMap::new() });
        };
        let template = crate::state::parse_template(&set.template_body).map_err(|e| ExecError::Refused {
            stack: name.into(),
            message: format!("the deployed template of stack set {name} cannot be read ({e}); nothing was changed"),
        })?;
        let mut instances = BTreeMap::new();
        for i in self.call(name, "list stack instances", || self.cfn.list_stack_instances(name)).await? {
            let full = self
                .call(name, "describe stack instance", || self.cfn.describe_stack_instance(name, &i.account, &i.region))
                .await?;
            instances.insert(i.region.clone(), full);
        }
        Ok(Current { set: Some((set, template)), instances })
    }

    async fn deploy_stack(
        &self,
        s: &StackPlan,
        body: &str,
        template: &Value,
        all_regions: &[String],
        bootstrap: &Bootstrap,
    ) -> Result<(), ExecError> {
        let name = s.name.as_str();
        self.sink.emit(Event::StackStarted { stack: name.into(), regions: s.regions.clone() });
        let values = self.resolve(bootstrap, s).await?;
        let declared = crate::plan::template_parameters(template);
        let current = self.current(s).await?;
        if let Some(e) = current.set.as_ref().and_then(|(set, _)| self.owner_problem(s, set)) {
            return Err(e);
        }
        // The existing instances this deploy may touch (with `--regions`, only those).
        let touched: Vec<String> = s.regions.iter().filter(|r| current.instances.contains_key(*r)).cloned().collect();
        // Stack-set-level values: a parameter's template Default when it has one (a region that
        // gives it no value gets the Default, never another region's value); else the value of
        // the first region the stack-set update reaches (every region has one: the assembly check).
        let set_params: BTreeMap<String, String> = declared
            .iter()
            .filter_map(|(n, default)| {
                let v = default
                    .clone()
                    .or_else(|| touched.iter().chain(&s.regions).find_map(|r| values[r].get(n).cloned()));
                Some((n.clone(), v?))
            })
            .collect();
        // What a region's stack gets: set-level values, overridden by the region's own.
        let effective_on = |base: &BTreeMap<String, String>, overrides: &BTreeMap<String, String>| {
            let mut e: BTreeMap<String, String> =
                base.iter().filter(|(k, _)| declared.contains_key(*k)).map(|(k, v)| (k.clone(), v.clone())).collect();
            e.extend(overrides.iter().filter(|(k, _)| declared.contains_key(*k)).map(|(k, v)| (k.clone(), v.clone())));
            e
        };
        let effective = |overrides: &BTreeMap<String, String>| effective_on(&set_params, overrides);
        let needs_update = current.set.as_ref().is_some_and(|(set, deployed)| {
            let caps = |v: &[String]| v.iter().cloned().collect::<BTreeSet<_>>();
            deployed != template
                || caps(&set.capabilities) != caps(&s.capabilities)
                || set.tags != s.tags
                || set.parameters.keys().ne(set_params.keys())
                || declared.iter().any(|(n, d)| d.is_some() && set.parameters.get(n) != set_params.get(n))
        });
        let mut did = Vec::new();
        let source = if s.upload && (current.set.is_none() || needs_update) {
            let key = format!("templates/{name}/{}.json", hex(&Sha256::digest(body.as_bytes())));
            self.sink.emit(Event::Step {
                stack: name.into(),
                what: format!("upload template to s3://{}/{key}", bootstrap.bucket),
            });
            let url = self
                .call(name, "upload template", || {
                    self.cfn.upload_template(&bootstrap.region, &bootstrap.bucket, &key, body)
                })
                .await?;
            TemplateSource::Url(url)
        } else {
            TemplateSource::Body(body.to_owned())
        };
        let input = StackSetInput {
            name: name.into(),
            template: source,
            parameters: set_params.clone(),
            capabilities: s.capabilities.clone(),
            tags: s.tags.clone(),
            admin_role_arn: bootstrap.admin_role_arn.clone(),
            execution_role_name: bootstrap.execution_role_name.clone(),
        };
        let accounts = vec![bootstrap.account.clone()];
        let tolerated = s.preferences.tolerates_failures();
        // Regions the stack-set update brought to their wanted values: nothing more to do there.
        let mut settled: BTreeSet<String> = BTreeSet::new();
        if current.set.is_none() {
            self.sink.emit(Event::Step { stack: name.into(), what: "create stack set".into() });
            self.call(name, "create stack set", || self.cfn.create_stack_set(&input)).await?;
            self.record(format!("{name}: stack set created"));
            did.push("stack set created".to_owned());
        } else if needs_update {
            // Scoped to the regions whose stacks get exactly their wanted values from it (their
            // overrides with the new set-level values); every other instance becomes OUTDATED and
            // is updated below with its own values. Without such a region, the first one (its
            // overrides are its own previous values; new parameters get its values).
            let safe: Vec<String> = touched
                .iter()
                .filter(|r| effective(&current.instances[*r].overrides) == effective(&values[*r]))
                .cloned()
                .collect();
            let scope: Vec<String> = match (current.instances.is_empty(), safe.is_empty(), touched.first()) {
                (true, _, _) => Vec::new(),
                (false, false, _) => order(&safe, all_regions),
                (false, true, Some(first)) => vec![first.clone()],
                (false, true, None) => {
                    return Err(ExecError::Refused {
                        stack: name.into(),
                        message: format!(
                            "its template changed, and the regions deployed ({}) are outside --regions {}: the stack set's template cannot change without updating one of them; add one to --regions",
                            current.instances.keys().cloned().collect::<Vec<_>>().join(", "),
                            s.regions.join(",")
                        ),
                    });
                }
            };
            let prefs = Preferences { region_order: scope.clone(), ..s.preferences.clone() };
            let done = if scope.is_empty() {
                format!("{name}: stack set updated")
            } else {
                format!("{name}: stack set updated in {}", scope.join(", "))
            };
            let warnings = self
                .run_op(name, "update stack set", &scope, tolerated, done, |op: String| {
                    let (input, accounts, scope, prefs) = (&input, &accounts, &scope, &prefs);
                    async move { self.cfn.update_stack_set(input, accounts, scope, prefs, &op).await }
                })
                .await?;
            if scope.is_empty() {
                did.push("stack set updated".to_owned());
            } else {
                did.push(format!("template updated in {}", scope.join(", ")));
            }
            did.extend(warnings);
            // A settled region is read again: its overrides must still be its own (moto, unlike
            // CloudFormation, replaces them with the set-level values).
            for r in scope.iter().filter(|r| safe.contains(r)) {
                let after = self
                    .call(name, "describe stack instance", || {
                        self.cfn.describe_stack_instance(name, &bootstrap.account, r)
                    })
                    .await?;
                if effective(&after.overrides) == effective(&values[r]) && after.status == "CURRENT" {
                    settled.insert(r.clone());
                }
            }
            let outdated: Vec<String> = current
                .instances
                .keys()
                .filter(|r| !s.regions.contains(r) && all_regions.contains(r))
                .cloned()
                .collect();
            if !outdated.is_empty() && !s.prune {
                did.push(format!("left OUTDATED in {} (outside --regions)", outdated.join(", ")));
            }
        }
        let template_changed = needs_update;
        // The set-level values the instances now see.
        let base_now = match &current.set {
            Some((set, _)) if !needs_update => &set.parameters,
            _ => &set_params,
        };
        // New regions, and regions whose parameters changed or that are not CURRENT, grouped
        // by identical overrides (one operation each: an operation takes one override list).
        let mut create: Vec<(&BTreeMap<String, String>, Vec<String>)> = Vec::new();
        let mut update: Vec<(&BTreeMap<String, String>, Vec<String>)> = Vec::new();
        for region in &s.regions {
            let want = &values[region];
            let group = match current.instances.get(region) {
                None => &mut create,
                Some(_) if settled.contains(region) => continue,
                Some(_) if template_changed => &mut update,
                Some(i)
                    if effective_on(base_now, &i.overrides) != effective_on(base_now, want)
                        || i.status != "CURRENT" =>
                {
                    &mut update
                }
                Some(_) => continue,
            };
            match group.iter_mut().find(|(o, _)| *o == want) {
                Some((_, regions)) => regions.push(region.clone()),
                None => group.push((want, vec![region.clone()])),
            }
        }
        for (overrides, regions) in create {
            let prefs = Preferences { region_order: regions.clone(), ..s.preferences.clone() };
            let done = format!("{name}: instances created in {}", regions.join(", "));
            let warnings = self
                .run_op(name, "create stack instances", &regions, tolerated, done, |op: String| {
                    let (name, accounts, regions, overrides, prefs) = (name, &accounts, &regions, overrides, &prefs);
                    async move { self.cfn.create_stack_instances(name, accounts, regions, overrides, prefs, &op).await }
                })
                .await?;
            did.push(format!("instances created in {}", regions.join(", ")));
            did.extend(warnings);
        }
        for (overrides, regions) in update {
            let prefs = Preferences { region_order: regions.clone(), ..s.preferences.clone() };
            let done = format!("{name}: instances updated in {}", regions.join(", "));
            let warnings = self
                .run_op(name, "update stack instances", &regions, tolerated, done, |op: String| {
                    let (name, accounts, regions, overrides, prefs) = (name, &accounts, &regions, overrides, &prefs);
                    async move { self.cfn.update_stack_instances(name, accounts, regions, overrides, prefs, &op).await }
                })
                .await?;
            did.push(format!("parameters updated in {}", regions.join(", ")));
            did.extend(warnings);
        }
        if s.prune {
            let gone: Vec<String> = current.instances.keys().filter(|r| !all_regions.contains(r)).cloned().collect();
            if !gone.is_empty() {
                let prefs = Preferences { region_order: gone.clone(), ..s.preferences.clone() };
                let done = format!("{name}: instances deleted in {}", gone.join(", "));
                let warnings = self
                    .run_op(name, "delete stack instances", &gone, tolerated, done, |op: String| {
                        let (name, accounts, gone, prefs) = (name, &accounts, &gone, &prefs);
                        async move { self.cfn.delete_stack_instances(name, accounts, gone, prefs, &op).await }
                    })
                    .await?;
                did.push(format!("instances deleted in {}", gone.join(", ")));
                did.extend(warnings);
            }
        }
        let summary = if did.is_empty() { "unchanged".to_owned() } else { did.join("; ") };
        if did.is_empty() {
            self.record(format!("{name}: unchanged"));
        }
        self.sink.emit(Event::StackDone { stack: name.into(), summary });
        Ok(())
    }

    /// Deletes the stack sets named, in the order given: instances first, then the stack set.
    /// Returns the stack sets that were not deployed.
    pub async fn destroy(&self, stacks: &[String]) -> Result<Vec<String>, ExecError> {
        let mut absent = Vec::new();
        for name in stacks {
            let name = name.as_str();
            let Some(_) = self.call(name, "describe stack set", || self.cfn.describe_stack_set(name)).await? else {
                self.sink.emit(Event::StackDone { stack: name.into(), summary: "not deployed".into() });
                absent.push(name.to_owned());
                continue;
            };
            let instances = self.call(name, "list stack instances", || self.cfn.list_stack_instances(name)).await?;
            let regions: Vec<String> =
                instances.iter().map(|i| i.region.clone()).collect::<BTreeSet<_>>().into_iter().collect();
            self.sink.emit(Event::StackStarted { stack: name.into(), regions: regions.clone() });
            if !instances.is_empty() {
                let accounts: Vec<String> =
                    instances.iter().map(|i| i.account.clone()).collect::<BTreeSet<_>>().into_iter().collect();
                let prefs = Preferences { region_order: regions.clone(), ..Default::default() };
                let done = format!("{name}: instances deleted in {}", regions.join(", "));
                self.run_op(name, "delete stack instances", &regions, false, done, |op: String| {
                    let (name, accounts, regions, prefs) = (name, &accounts, &regions, &prefs);
                    async move { self.cfn.delete_stack_instances(name, accounts, regions, prefs, &op).await }
                })
                .await?;
            }
            self.call(name, "delete stack set", || self.cfn.delete_stack_set(name)).await?;
            self.record(format!("{name}: stack set deleted"));
            self.sink.emit(Event::StackDone { stack: name.into(), summary: "deleted".into() });
        }
        Ok(absent)
    }
}

/// One stack set's deploy within a wave.
type Job<'a> = std::pin::Pin<Box<dyn Future<Output = Result<(), ExecError>> + Send + 'a>>;

/// Runs futures concurrently on the current task; their outputs in the order given.
async fn join_all<T>(mut futures: Vec<std::pin::Pin<Box<dyn Future<Output = T> + Send + '_>>>) -> Vec<T> {
    let mut out: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in futures.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    out.into_iter().map(|v| v.expect("every future finished")).collect()
}

/// `regions` in the order of `all`.
fn order(regions: &[String], all: &[String]) -> Vec<String> {
    let mut out: Vec<String> = all.iter().filter(|r| regions.contains(r)).cloned().collect();
    out.extend(regions.iter().filter(|r| !all.contains(r)).cloned());
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
