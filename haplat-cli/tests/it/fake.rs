//! A fake CloudFormation with real StackSet semantics: every operation walks through a script
//! of statuses (QUEUED → RUNNING → SUCCEEDED by default; FAILED, STOPPING → STOPPED on
//! demand), regions can fail with a reason and resource events, and errors (throttling,
//! OperationInProgress, a network failure, a 5xx) can be injected per call, reads included
//! (`instance_stack`: a binding producer's outputs).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use haplat_cli::cfn::*;

/// One operation.
#[derive(Clone, Debug)]
pub struct FakeOp {
    pub set: String,
    pub action: String,
    pub statuses: VecDeque<OperationStatus>,
    pub current: OperationStatus,
    pub regions: Vec<String>,
    pub failed: BTreeMap<String, String>,
    pub seq: u32,
}

/// The fake's state.
#[derive(Default, Debug)]
pub struct State {
    pub sets: BTreeMap<String, StackSetInfo>,
    pub instances: BTreeMap<(String, String), InstanceInfo>,
    pub ops: BTreeMap<String, FakeOp>,
    pub seq: u32,
    /// Status scripts for the next operations, in order.
    pub scripts: VecDeque<Vec<OperationStatus>>,
    /// Regions that fail in the next operation (with a reason).
    pub fail_next: BTreeMap<String, String>,
    /// Regions that fail in the next operation of a given stack set (with a reason).
    pub fail_next_of: BTreeMap<String, BTreeMap<String, String>>,
    /// Operations not yet ended, now and at most.
    pub running: (usize, usize),
    /// Errors to answer, per call name, before answering normally.
    pub errors: BTreeMap<&'static str, VecDeque<CfnError>>,
    /// Answers lost after the call did its work (a timeout, an SDK retry refused), per call.
    pub lost_answers: BTreeMap<&'static str, VecDeque<CfnError>>,
    /// The operation id the next operation takes (the caller's, as CloudFormation does).
    pub next_id: Option<String>,
    /// Every mutating call, in order.
    pub calls: Vec<String>,
    /// The roles assumed to read another account's stacks, in order.
    pub assumed: Vec<String>,
    /// What each create/update of a stack set was given, in order.
    pub set_inputs: Vec<StackSetInput>,
    /// The targets (account or OU ids) of each instance call and stack-set update, in order:
    /// (call, stack set, targets).
    pub targets: Vec<(String, String, Vec<String>)>,
    /// Failure events of the stacks.
    pub events: Vec<StackEvent>,
    /// IAM roles that exist.
    pub roles: std::collections::BTreeSet<String>,
    /// S3 objects written with `put_if_absent`, by `bucket/key`.
    pub objects: BTreeMap<String, String>,
    /// The parameter values each instance's stack last received (set-level values, the
    /// template's defaults where the set gives none, the instance's overrides on top), as
    /// CloudFormation computes them.
    pub applied: BTreeMap<(String, String), BTreeMap<String, String>>,
    /// Plain stacks, by (region, name) (the bootstrap stack).
    pub stacks: BTreeMap<(String, String), StackInfo>,
    /// What the account has beyond CloudFormation (`haplat doctor`).
    pub account: FakeAccount,
    /// The resources changed outside CloudFormation, per (stack set, region): what drift
    /// detection finds there (errors per call name `detect_stack_set_drift`,
    /// `stack_resource_drifts` in `errors`).
    pub drift: BTreeMap<(String, String), Vec<ResourceDrift>>,
}

/// The account settings `haplat doctor` reads; errors per call name go in `State::errors`
/// (`apigateway_cloudwatch_role`, `shield_subscription_active`, `engine_versions`, `zones`,
/// `endpoint_service_zones`, `backup_dynamodb_advanced`, `hosted_zone_exists`, `hosted_zones_named`, `quota`, `usage`).
#[derive(Default, Debug)]
pub struct FakeAccount {
    /// Region → API Gateway's CloudWatch role.
    pub apigateway_role: BTreeMap<String, String>,
    /// Whether Shield Advanced is subscribed.
    pub shield: bool,
    /// Whether StackSets' trusted access with Organizations is enabled.
    pub organizations_access: bool,
    /// The `CallAs` of each DescribeOrganizationsAccess call.
    pub organizations_access_calls: Vec<Option<haplat_core::manifest::CallAs>>,
    /// (region, engine) → the versions offered.
    pub engines: BTreeMap<(String, String), Vec<haplat_cli::account::EngineVersion>>,
    /// Region → its zones in name order.
    pub zones: BTreeMap<String, Vec<haplat_cli::account::Zone>>,
    /// (region, service) → the zone names it is offered in.
    pub endpoint_zones: BTreeMap<(String, String), Vec<String>>,
    /// Region → DynamoDB's advanced Backup features on or off.
    pub backup: BTreeMap<String, bool>,
    /// The hosted zone ids.
    pub hosted_zones: std::collections::BTreeSet<String>,
    /// Zone name (with its trailing dot) → the ids of the zones so named.
    pub zone_names: BTreeMap<String, Vec<String>>,
    /// (region, quota code) → the quota.
    pub quotas: BTreeMap<(String, String), f64>,
    /// (region, quota code) → in use.
    pub usage: BTreeMap<(String, String), u32>,
}

/// What an instance's stack receives: like CloudFormation, the template's defaults, the
/// stack set's values, then the instance's overrides. An override of a parameter the stack
/// set's template does not declare is refused, as CloudFormation does.
fn apply(s: &mut State, set: &str, region: &str) -> CfnResult<()> {
    let info = &s.sets[set];
    let t: serde_json::Value = serde_json::from_str(&info.template_body).unwrap_or_default();
    let declared = haplat_cli::plan::template_parameters(&t);
    let overrides =
        s.instances.get(&(set.to_owned(), region.to_owned())).map(|i| i.overrides.clone()).unwrap_or_default();
    if let Some(k) = overrides.keys().find(|k| !declared.contains_key(*k)) {
        return Err(CfnError::service("ValidationError", &format!("parameter {k} is not in the stack set")));
    }
    let mut values: BTreeMap<String, String> =
        declared.iter().filter_map(|(k, d)| Some((k.clone(), d.clone()?))).collect();
    values
        .extend(info.parameters.iter().filter(|(k, _)| declared.contains_key(*k)).map(|(k, v)| (k.clone(), v.clone())));
    values.extend(overrides);
    s.applied.insert((set.to_owned(), region.to_owned()), values);
    Ok(())
}

/// Why deleting a region's stack fails, as CloudFormation and the services would: a resource
/// that CloudFormation deletes still has deletion protection on (a literal `true`, or bound to
/// `HaplatDeletionProtection` while the stack's value is not `false`); or the primary cluster of
/// an Aurora global database is deleted while another region's cluster is still a member.
fn delete_fails(s: &State, set: &str, region: &str) -> Option<String> {
    let info = s.sets.get(set)?;
    let t: serde_json::Value = serde_json::from_str(&info.template_body).ok()?;
    let applied = s.applied.get(&(set.to_owned(), region.to_owned()));
    let lifted = applied.and_then(|a| a.get("HaplatDeletionProtection")).is_some_and(|v| v == "false");
    let on = |v: &serde_json::Value| match v.get("Fn::If").and_then(|a| a.as_array()) {
        Some(a) if a[0] == "HaplatDeletionProtectionOn" => {
            let branch = if lifted { &a[2] } else { &a[1] };
            branch == true || branch == "true"
        }
        _ => v == true || v == "true",
    };
    for (id, r) in t["Resources"].as_object()? {
        let kept = matches!(r["DeletionPolicy"].as_str(), Some("Retain" | "RetainExceptOnCreate"));
        let p = &r["Properties"];
        let lb = p["LoadBalancerAttributes"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["Key"] == "deletion_protection.enabled" && on(&x["Value"])));
        if !kept && (lb || on(&p["DeletionProtection"])) {
            return Some(format!("DELETE_FAILED: {id} has deletion protection on"));
        }
    }
    let global = t["Resources"].as_object()?.values().any(|r| r["Type"] == "AWS::RDS::GlobalCluster");
    let primary = t["Mappings"]["RegionConfig"][region]
        .as_object()
        .is_some_and(|m| m.iter().any(|(k, v)| k.ends_with("Role") && v == "primary"));
    let others = s.instances.keys().any(|(n, r)| n == set && r != region);
    (global && primary && others).then(|| {
        "InvalidGlobalClusterStateFault: Unable to delete cluster that is a primary member of global cluster while there \
         are other global cluster members"
            .to_owned()
    })
}

/// The fake.
#[derive(Default, Debug)]
pub struct Fake {
    pub state: Mutex<State>,
}

impl Fake {
    pub fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }

    pub fn calls(&self) -> Vec<String> {
        self.with(|s| s.calls.clone())
    }

    /// An operation id already used is refused, as CloudFormation does.
    fn check_id(&self, id: &str) -> CfnResult<()> {
        assert!(!id.is_empty(), "an operation id is always given");
        if self.with(|s| s.ops.contains_key(id)) {
            return Err(CfnError::service("OperationIdAlreadyExistsException", &format!("operation {id} exists")));
        }
        Ok(())
    }

    fn inject(&self, call: &'static str) -> CfnResult<()> {
        self.with(|s| match s.errors.get_mut(call).and_then(VecDeque::pop_front) {
            Some(e) => Err(e),
            None => Ok(()),
        })
    }

    /// A stack set deployed with `template` in `regions` (set-level values: each parameter's
    /// Default, else `"x"`), every instance CURRENT.
    pub fn deployed(&self, name: &str, template: &str, regions: &[String]) {
        self.with(|s| {
            let t: serde_json::Value = serde_json::from_str(template).unwrap();
            let parameters = haplat_cli::plan::template_parameters(&t)
                .into_iter()
                .map(|(k, d)| (k, d.unwrap_or_else(|| "x".to_owned())))
                .collect();
            s.sets.insert(
                name.into(),
                StackSetInfo {
                    name: name.into(),
                    status: "ACTIVE".into(),
                    template_body: template.into(),
                    parameters,
                    ..Default::default()
                },
            );
            for r in regions {
                s.instances.insert(
                    (name.into(), r.clone()),
                    InstanceInfo {
                        region: r.clone(),
                        account: "111111111111".into(),
                        status: "CURRENT".into(),
                        stack_id: Some(format!("arn:stack/{name}/{r}")),
                        ..Default::default()
                    },
                );
                apply(s, name, r).unwrap();
            }
        });
    }

    /// Adds an operation already running on a stack set (another user's deploy).
    pub fn running_op(&self, set: &str, id: &str, statuses: &[OperationStatus]) {
        self.with(|s| {
            s.seq += 1;
            let seq = s.seq;
            s.ops.insert(
                id.into(),
                FakeOp {
                    set: set.into(),
                    action: "UPDATE".into(),
                    statuses: statuses.iter().cloned().collect(),
                    current: OperationStatus::Queued,
                    regions: vec![],
                    failed: BTreeMap::new(),
                    seq,
                },
            );
        });
    }
}

fn new_op(s: &mut State, set: &str, action: &str, regions: &[String]) -> String {
    s.seq += 1;
    let id = s.next_id.take().unwrap_or_else(|| format!("op-{}", s.seq));
    let failed = match s.fail_next_of.remove(set) {
        Some(f) => f,
        None => std::mem::take(&mut s.fail_next),
    };
    // By default an operation succeeds, or fails when a region fails (no failure tolerance).
    let end = if failed.is_empty() { OperationStatus::Succeeded } else { OperationStatus::Failed };
    let statuses: VecDeque<OperationStatus> = s
        .scripts
        .pop_front()
        .unwrap_or_else(|| vec![OperationStatus::Queued, OperationStatus::Running, end])
        .into_iter()
        .collect();
    s.running.0 += 1;
    s.running.1 = s.running.1.max(s.running.0);
    s.ops.insert(
        id.clone(),
        FakeOp {
            set: set.into(),
            action: action.into(),
            statuses,
            current: OperationStatus::Queued,
            regions: regions.to_vec(),
            failed,
            seq: s.seq,
        },
    );
    id
}

fn outputs_of(s: &State, set: &str, region: &str) -> BTreeMap<String, String> {
    let Some(info) = s.sets.get(set) else { return BTreeMap::new() };
    let t: serde_json::Value = serde_json::from_str(&info.template_body).unwrap_or_default();
    t.get("Outputs")
        .and_then(|o| o.as_object())
        .map(|o| o.keys().map(|k| (k.clone(), format!("{set}.{k}@{region}"))).collect())
        .unwrap_or_default()
}

impl CloudFormation for Fake {
    async fn describe_stack_set(&self, name: &str) -> CfnResult<Option<StackSetInfo>> {
        self.inject("describe_stack_set")?;
        Ok(self.with(|s| s.sets.get(name).cloned()))
    }
    async fn list_stack_sets(&self) -> CfnResult<Vec<String>> {
        Ok(self.with(|s| s.sets.keys().cloned().collect()))
    }
    async fn create_stack_set(&self, input: &StackSetInput) -> CfnResult<()> {
        self.inject("create_stack_set")?;
        self.with(|s| {
            s.calls.push(format!("create_stack_set {}", input.name));
            s.set_inputs.push(input.clone());
            let TemplateSource::Body(body) = &input.template else { panic!("inline expected") };
            s.sets.insert(
                input.name.clone(),
                StackSetInfo {
                    name: input.name.clone(),
                    status: "ACTIVE".into(),
                    template_body: body.clone(),
                    parameters: input.parameters.clone(),
                    capabilities: input.capabilities.clone(),
                    tags: input.tags.clone(),
                    permission_model: Some(input.deployment.permission_model().to_owned()),
                },
            );
        });
        Ok(())
    }
    async fn update_stack_set(
        &self,
        input: &StackSetInput,
        accounts: &[String],
        regions: &[String],
        _: &Preferences,
        operation_id: &str,
    ) -> CfnResult<String> {
        self.inject("update_stack_set")?;
        self.with(|s| {
            s.set_inputs.push(input.clone());
            s.targets.push(("update_stack_set".into(), input.name.clone(), accounts.to_vec()));
        });
        self.check_id(operation_id)?;
        self.with(|s| s.next_id = Some(operation_id.to_owned()));
        self.with(|s| {
            let name = input.name.clone();
            s.calls.push(if regions.is_empty() {
                format!("update_stack_set {name}")
            } else {
                format!("update_stack_set {name} {}", regions.join(","))
            });
            let set = s.sets.get_mut(&name).expect("exists");
            if let TemplateSource::Body(b) = &input.template {
                set.template_body = b.clone();
            }
            set.parameters = input.parameters.clone();
            set.tags = input.tags.clone();
            set.capabilities = input.capabilities.clone();
            // Without regions every instance is updated; with regions only those, the others
            // become OUTDATED.
            let all: Vec<String> = s.instances.keys().filter(|(set, _)| set == &name).map(|(_, r)| r.clone()).collect();
            let scope: Vec<String> = if regions.is_empty() { all.clone() } else { regions.to_vec() };
            for r in &all {
                if !scope.contains(r) {
                    s.instances.get_mut(&(name.clone(), r.clone())).expect("listed").status = "OUTDATED".into();
                }
            }
            for r in &scope {
                apply(s, &name, r)?;
                s.instances.get_mut(&(name.clone(), r.clone())).expect("instance in scope").status = "CURRENT".into();
            }
            Ok(new_op(s, &name, "UPDATE", &scope))
        })
    }
    async fn delete_stack_set(&self, name: &str) -> CfnResult<()> {
        self.inject("delete_stack_set")?;
        self.with(|s| {
            s.calls.push(format!("delete_stack_set {name}"));
            s.sets.remove(name);
        });
        Ok(())
    }
    async fn list_stack_instances(&self, name: &str) -> CfnResult<Vec<InstanceInfo>> {
        Ok(self.with(|s| {
            s.instances
                .iter()
                .filter(|((set, _), _)| set == name)
                .map(|(_, i)| InstanceInfo { overrides: BTreeMap::new(), ..i.clone() })
                .collect()
        }))
    }
    async fn describe_stack_instance(&self, name: &str, _: &str, region: &str) -> CfnResult<InstanceInfo> {
        self.with(|s| {
            if !s.sets.contains_key(name) {
                return Err(CfnError::StackSetNotFound { name: Some(name.into()), message: String::new() });
            }
            s.instances
                .get(&(name.to_owned(), region.to_owned()))
                .cloned()
                .ok_or_else(|| CfnError::service("StackInstanceNotFoundException", "no such instance"))
        })
    }
    async fn create_stack_instances(
        &self,
        name: &str,
        accounts: &[String],
        regions: &[String],
        overrides: &BTreeMap<String, String>,
        _: &Preferences,
        operation_id: &str,
    ) -> CfnResult<String> {
        self.inject("create_stack_instances")?;
        self.check_id(operation_id)?;
        self.with(|s| s.next_id = Some(operation_id.to_owned()));
        self.with(|s| {
            s.calls.push(format!("create_stack_instances {name} {}", regions.join(",")));
            s.targets.push(("create_stack_instances".into(), name.to_owned(), accounts.to_vec()));
            let id = new_op(s, name, "CREATE", regions);
            let failed = s.ops[&id].failed.clone();
            for r in regions {
                s.instances.insert(
                    (name.into(), r.clone()),
                    InstanceInfo {
                        region: r.clone(),
                        account: accounts[0].clone(),
                        status: if failed.contains_key(r) { "OUTDATED".into() } else { "CURRENT".into() },
                        detailed_status: None,
                        status_reason: failed.get(r).cloned(),
                        stack_id: Some(format!("arn:stack/{name}/{r}")),
                        overrides: overrides.clone(),
                        drift_status: None,
                    },
                );
                apply(s, name, r)?;
            }
            Ok(id)
        })
        .and_then(|id| {
            match self.with(|s| s.lost_answers.get_mut("create_stack_instances").and_then(VecDeque::pop_front)) {
                Some(e) => Err(e),
                None => Ok(id),
            }
        })
    }
    async fn update_stack_instances(
        &self,
        name: &str,
        _: &[String],
        regions: &[String],
        overrides: &BTreeMap<String, String>,
        _: &Preferences,
        operation_id: &str,
    ) -> CfnResult<String> {
        self.inject("update_stack_instances")?;
        self.check_id(operation_id)?;
        self.with(|s| s.next_id = Some(operation_id.to_owned()));
        self.with(|s| {
            s.calls.push(format!("update_stack_instances {name} {}", regions.join(",")));
            for r in regions {
                if let Some(i) = s.instances.get_mut(&(name.to_owned(), r.clone())) {
                    i.overrides = overrides.clone();
                    i.status = "CURRENT".into();
                }
                apply(s, name, r)?;
            }
            Ok(new_op(s, name, "UPDATE", regions))
        })
    }
    async fn delete_stack_instances(
        &self,
        name: &str,
        accounts: &[String],
        regions: &[String],
        prefs: &Preferences,
        operation_id: &str,
    ) -> CfnResult<String> {
        self.inject("delete_stack_instances")?;
        self.with(|s| s.targets.push(("delete_stack_instances".into(), name.to_owned(), accounts.to_vec())));
        self.check_id(operation_id)?;
        self.with(|s| s.next_id = Some(operation_id.to_owned()));
        Ok(self.with(|s| {
            // Regions one after the other in the operation's order, as CloudFormation does.
            let order: Vec<String> =
                if prefs.region_order.is_empty() { regions.to_vec() } else { prefs.region_order.clone() };
            s.calls.push(format!("delete_stack_instances {name} {}", order.join(",")));
            let mut failed = BTreeMap::new();
            for r in &order {
                match delete_fails(s, name, r) {
                    Some(reason) => {
                        failed.insert(r.clone(), reason.clone());
                        let i = s.instances.get_mut(&(name.to_owned(), r.clone())).expect("instance");
                        i.status = "OUTDATED".into();
                        i.status_reason = Some(reason);
                    }
                    None => {
                        s.instances.remove(&(name.to_owned(), r.clone()));
                    }
                }
            }
            if !failed.is_empty() {
                s.fail_next_of.insert(name.to_owned(), failed);
            }
            new_op(s, name, "DELETE", &order)
        }))
    }
    async fn detect_stack_set_drift(&self, name: &str, _: &Preferences, operation_id: &str) -> CfnResult<String> {
        self.inject("detect_stack_set_drift")?;
        self.check_id(operation_id)?;
        self.with(|s| {
            if !s.sets.contains_key(name) {
                return Err(CfnError::StackSetNotFound { name: Some(name.into()), message: String::new() });
            }
            s.next_id = Some(operation_id.to_owned());
            s.calls.push(format!("detect_stack_set_drift {name}"));
            let regions: Vec<String> = s.instances.keys().filter(|(n, _)| n == name).map(|(_, r)| r.clone()).collect();
            let id = new_op(s, name, "DETECT_DRIFT", &regions);
            for r in &regions {
                let drifted = s.drift.get(&(name.to_owned(), r.clone())).is_some_and(|d| !d.is_empty());
                let i = s.instances.get_mut(&(name.to_owned(), r.clone())).unwrap();
                i.drift_status = Some(if drifted { "DRIFTED" } else { "IN_SYNC" }.into());
            }
            Ok(id)
        })
    }
    async fn stack_resource_drifts(&self, region: &str, stack_id: &str) -> CfnResult<Vec<ResourceDrift>> {
        self.inject("stack_resource_drifts")?;
        self.with(|s| {
            let set = s
                .instances
                .iter()
                .find(|((_, r), i)| r == region && i.stack_id.as_deref() == Some(stack_id))
                .map(|((n, _), _)| n.clone())
                .ok_or_else(|| CfnError::service("ValidationError", &format!("Stack {stack_id} does not exist")))?;
            Ok(s.drift.get(&(set, region.to_owned())).cloned().unwrap_or_default())
        })
    }
    async fn describe_operation(&self, name: &str, id: &str) -> CfnResult<OperationInfo> {
        self.inject("describe_operation")?;
        self.with(|s| {
            let op = s.ops.get_mut(id).ok_or_else(|| CfnError::service("OperationNotFoundException", id))?;
            assert_eq!(op.set, name);
            let was_running = !op.current.is_terminal();
            if let Some(next) = op.statuses.pop_front() {
                op.current = next;
            }
            let ended = was_running && op.current.is_terminal();
            let reason =
                (!op.failed.is_empty() && op.current.is_terminal()).then(|| "too many regions failed".to_owned());
            let info = OperationInfo {
                id: id.into(),
                action: op.action.clone(),
                status: op.current.clone(),
                status_reason: reason,
                created: None,
                // Operation n starts at n × 1000 s: stack events can be older or newer.
                created_secs: Some(i64::from(op.seq) * 1000),
            };
            if ended {
                s.running.0 = s.running.0.saturating_sub(1);
            }
            Ok(info)
        })
    }
    async fn list_operations(&self, name: &str) -> CfnResult<Vec<OperationInfo>> {
        Ok(self.with(|s| {
            let mut ops: Vec<&FakeOp> = s.ops.values().filter(|o| o.set == name).collect();
            ops.sort_by_key(|o| std::cmp::Reverse(o.seq));
            ops.iter()
                .map(|o| OperationInfo {
                    id: s.ops.iter().find(|(_, v)| v.seq == o.seq).unwrap().0.clone(),
                    action: o.action.clone(),
                    status: if o.statuses.is_empty() { o.current.clone() } else { OperationStatus::Running },
                    status_reason: None,
                    created: None,
                    created_secs: Some(i64::from(o.seq) * 1000),
                })
                .collect()
        }))
    }
    async fn list_operation_results(&self, _: &str, id: &str) -> CfnResult<Vec<RegionResult>> {
        Ok(self.with(|s| {
            let op = &s.ops[id];
            op.regions
                .iter()
                .map(|r| RegionResult {
                    region: r.clone(),
                    account: "111111111111".into(),
                    status: match (&op.current, op.failed.get(r)) {
                        (OperationStatus::Queued, _) => "PENDING".into(),
                        (st, Some(_)) if st.is_terminal() => "FAILED".into(),
                        (OperationStatus::Stopped, None) => "CANCELLED".into(),
                        (st, None) if st.is_terminal() => "SUCCEEDED".into(),
                        _ => "RUNNING".into(),
                    },
                    reason: op.failed.get(r).filter(|_| op.current.is_terminal()).cloned(),
                })
                .collect()
        }))
    }
    async fn instance_stack(&self, stack_set: &str, instance: &InstanceInfo) -> CfnResult<Option<StackInfo>> {
        self.inject("instance_stack")?;
        Ok(self.with(|s| {
            Some(StackInfo {
                id: instance.stack_id.clone().unwrap_or_default(),
                name: format!("StackSet-{stack_set}"),
                status: "CREATE_COMPLETE".into(),
                status_reason: None,
                outputs: outputs_of(s, stack_set, &instance.region),
                parameters: BTreeMap::new(),
            })
        }))
    }
    async fn instance_stack_as(
        &self,
        stack_set: &str,
        instance: &InstanceInfo,
        role_arn: &str,
    ) -> CfnResult<Option<StackInfo>> {
        self.inject("instance_stack_as")?;
        self.with(|s| s.assumed.push(role_arn.to_owned()));
        self.instance_stack(stack_set, instance).await
    }
    async fn describe_stack(&self, region: &str, name: &str) -> CfnResult<Option<StackInfo>> {
        self.inject("describe_stack")?;
        Ok(self.with(|s| s.stacks.get(&(region.to_owned(), name.to_owned())).cloned()))
    }
    async fn stack_events(&self, _: &str, _: &str) -> CfnResult<Vec<StackEvent>> {
        Ok(self.with(|s| s.events.clone()))
    }
    async fn create_stack(&self, region: &str, input: &StackInput) -> CfnResult<String> {
        self.inject("create_stack")?;
        let id = format!("arn:stack/{}/{region}", input.name);
        self.with(|s| {
            s.calls.push(format!("create_stack {} {region}", input.name));
            s.stacks.insert(
                (region.to_owned(), input.name.clone()),
                StackInfo {
                    id: id.clone(),
                    name: input.name.clone(),
                    status: "CREATE_COMPLETE".into(),
                    parameters: input.parameters.clone(),
                    ..Default::default()
                },
            );
        });
        Ok(id)
    }
    /// Plain stacks: "no updates" when the parameters are the same (the fake keeps no template).
    async fn update_stack(&self, region: &str, input: &StackInput) -> CfnResult<bool> {
        self.inject("update_stack")?;
        self.with(|s| {
            let stack = s.stacks.get_mut(&(region.to_owned(), input.name.clone())).expect("exists");
            if stack.parameters == input.parameters {
                return Ok(false);
            }
            s.calls.push(format!("update_stack {} {region}", input.name));
            stack.parameters = input.parameters.clone();
            stack.status = "UPDATE_COMPLETE".into();
            Ok(true)
        })
    }
    async fn role_exists(&self, name: &str) -> CfnResult<bool> {
        Ok(self.with(|s| s.roles.contains(name)))
    }
    async fn upload_template(&self, _: &str, bucket: &str, key: &str, _: &str) -> CfnResult<String> {
        Ok(format!("https://{bucket}.s3.amazonaws.com/{key}"))
    }
    async fn put_if_absent(&self, _: &str, bucket: &str, key: &str, body: &str) -> CfnResult<bool> {
        self.inject("put_if_absent")?;
        self.with(|s| {
            let k = format!("{bucket}/{key}");
            if s.objects.contains_key(&k) {
                return Ok(false);
            }
            s.objects.insert(k, body.to_owned());
            Ok(true)
        })
    }
    async fn read_object(&self, _: &str, bucket: &str, key: &str) -> CfnResult<Option<String>> {
        self.inject("read_object")?;
        Ok(self.with(|s| s.objects.get(&format!("{bucket}/{key}")).cloned()))
    }
    async fn delete_object(&self, _: &str, bucket: &str, key: &str) -> CfnResult<()> {
        self.inject("delete_object")?;
        self.with(|s| s.objects.remove(&format!("{bucket}/{key}")));
        Ok(())
    }
}

impl haplat_cli::account::Account for Fake {
    async fn apigateway_cloudwatch_role(&self, region: &str) -> CfnResult<Option<String>> {
        self.inject("apigateway_cloudwatch_role")?;
        Ok(self.with(|s| s.account.apigateway_role.get(region).cloned()))
    }
    async fn set_apigateway_cloudwatch_role(&self, region: &str, arn: &str) -> CfnResult<()> {
        self.inject("set_apigateway_cloudwatch_role")?;
        self.with(|s| {
            s.calls.push(format!("set_apigateway_cloudwatch_role {region}"));
            s.account.apigateway_role.insert(region.to_owned(), arn.to_owned());
        });
        Ok(())
    }
    async fn stacksets_organizations_access(&self, call_as: Option<haplat_core::manifest::CallAs>) -> CfnResult<bool> {
        self.inject("stacksets_organizations_access")?;
        Ok(self.with(|s| {
            s.account.organizations_access_calls.push(call_as);
            s.account.organizations_access
        }))
    }
    async fn shield_subscription_active(&self) -> CfnResult<bool> {
        self.inject("shield_subscription_active")?;
        Ok(self.with(|s| s.account.shield))
    }
    async fn engine_versions(
        &self,
        region: &str,
        engine: &str,
        version: &str,
    ) -> CfnResult<Vec<haplat_cli::account::EngineVersion>> {
        self.inject("engine_versions")?;
        Ok(self.with(|s| {
            s.account
                .engines
                .get(&(region.to_owned(), engine.to_owned()))
                .into_iter()
                .flatten()
                .filter(|v| version.is_empty() || v.version == version)
                .cloned()
                .collect()
        }))
    }
    async fn zones(&self, region: &str) -> CfnResult<Vec<haplat_cli::account::Zone>> {
        self.inject("zones")?;
        Ok(self.with(|s| s.account.zones.get(region).cloned().unwrap_or_default()))
    }
    async fn endpoint_service_zones(&self, region: &str, service: &str) -> CfnResult<Option<Vec<String>>> {
        self.inject("endpoint_service_zones")?;
        Ok(self.with(|s| s.account.endpoint_zones.get(&(region.to_owned(), service.to_owned())).cloned()))
    }
    async fn backup_dynamodb_advanced(&self, region: &str) -> CfnResult<Option<bool>> {
        self.inject("backup_dynamodb_advanced")?;
        Ok(self.with(|s| s.account.backup.get(region).copied()))
    }
    async fn hosted_zone_exists(&self, id: &str) -> CfnResult<bool> {
        self.inject("hosted_zone_exists")?;
        Ok(self.with(|s| s.account.hosted_zones.contains(id)))
    }
    async fn hosted_zones_named(&self, name: &str) -> CfnResult<Vec<String>> {
        self.inject("hosted_zones_named")?;
        let name = format!("{}.", name.trim_end_matches('.'));
        Ok(self.with(|s| s.account.zone_names.get(&name).cloned().unwrap_or_default()))
    }
    async fn quota(&self, region: &str, quota: haplat_cli::account::Quota) -> CfnResult<Option<f64>> {
        self.inject("quota")?;
        Ok(self.with(|s| s.account.quotas.get(&(region.to_owned(), quota.codes().1.to_owned())).copied()))
    }
    async fn usage(&self, region: &str, quota: haplat_cli::account::Quota) -> CfnResult<Option<u32>> {
        self.inject("usage")?;
        Ok(self.with(|s| s.account.usage.get(&(region.to_owned(), quota.codes().1.to_owned())).copied()))
    }
}
