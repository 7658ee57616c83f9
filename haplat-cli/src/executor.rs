//! The deploy executor: runs a [`DeployPlan`] (or a destroy) against a [`CloudFormation`],
//! wave after wave: stack sets created or updated, instances created, updated or deleted with
//! per-region parameters. What to do is decided by the plan's pure parameter arithmetic
//! ([`crate::plan::params`]) from what is deployed; every call goes through the retry/wait
//! [`Client`]; bound parameters are read by [`Outputs`]. Every step is reported as an
//! [`Event`]; what was completed is kept ([`Executor::completed`]) so that a failure can say
//! what had been done before it ([`crate::failure::DeployFailure`]).
//!
//! Uses [`crate::client`], [`crate::bindings`], [`crate::plan`], [`crate::bootstrap`] (the
//! bootstrap stack's outputs), [`crate::assembly`] and [`crate::failure`].

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Mutex;

use serde_json::Value;
use sha2::{Digest, Sha256};

use haplat_core::manifest::Deployment;

use crate::assembly::Assembly;
use crate::bindings::Outputs;
use crate::bootstrap::Bootstrap;
use crate::cfn::{CloudFormation, InstanceInfo, Preferences, StackSetInfo, StackSetInput, TemplateSource};
use crate::client::{Client, Waits};
use crate::events::{Event, Sink};
use crate::failure::{Done, ExecError};
use crate::plan::params::{self, StackSetParameters};
use crate::plan::{DeployPlan, StackPlan};
use crate::rollout::{Bake, RolloutPolicy, Stage};

/// Runs plans against `cfn`, reporting to `sink`.
pub struct Executor<'a, C> {
    /// The retry/wait client all calls go through.
    client: Client<'a, C>,
    /// How many stack sets of one wave run at once.
    concurrency: usize,
    /// Deploy over stack sets without haplat's ownership tag (or another app's).
    adopt: bool,
    /// What has been done so far, for the failure report.
    done: Mutex<Vec<Done>>,
    /// Producer outputs read so far.
    outputs: Outputs,
    /// Progressive rollout: each stack set goes to its first stage alone (the policy's first
    /// region, of its first account), then waits for the bake to pass before the others.
    rollout: Option<(RolloutPolicy, &'a dyn Bake)>,
}

/// How a stack set is deployed: its stages (the rollout's, [`RolloutPolicy::stages_of`], or
/// one), its accounts grouped by what they have deployed ([`account_groups`]), and what bakes
/// the first stage, for how long, when it is a rollout.
struct Staged<'a> {
    stages: Vec<Stage>,
    groups: Vec<Vec<String>>,
    bake: Option<(&'a dyn Bake, std::time::Duration)>,
}

/// Instances of regions a stack set no longer lists, deleted after every wave
/// ([`Executor::prune`]).
struct Prune {
    stack: String,
    regions: Vec<String>,
    accounts: Vec<String>,
    preferences: Preferences,
}

/// Where a stack set deploys and where its producers are read.
#[derive(Clone)]
struct Reach {
    /// Its deployment target.
    deployment: Deployment,
    /// The accounts of this deploy, when it is a rollout stage of some of a self-managed
    /// stack set's accounts; empty: all of them.
    only: Vec<String>,
    /// Whether this deploy is a stage of a rollout (the regions it leaves are a later stage's).
    staged: bool,
    /// Producer → the account its outputs are read in.
    producers: BTreeMap<String, String>,
}

/// What is deployed of a stack set, for the executor's decisions.
struct Current {
    /// The stack set and its template, when it exists.
    set: Option<(StackSetInfo, Value)>,
    /// Region → instance (with overrides).
    instances: BTreeMap<String, InstanceInfo>,
}

impl<'a, C: CloudFormation> Executor<'a, C> {
    /// A new executor.
    pub fn new(cfn: &'a C, sink: &'a dyn Sink, waits: Waits) -> Self {
        Executor {
            client: Client::new(cfn, sink, waits),
            concurrency: 1,
            adopt: false,
            done: Mutex::new(Vec::new()),
            outputs: Outputs::default(),
            rollout: None,
        }
    }

    /// Progressive rollout: every stack set the policy stages ([`RolloutPolicy::stages_of`])
    /// goes to its first stage alone, then `bake` decides whether the other stages follow. When
    /// it says no, the deploy stops there ([`ExecError::RolloutStopped`]): the other regions and
    /// accounts keep what they had.
    pub fn with_rollout(mut self, policy: &RolloutPolicy, bake: &'a dyn Bake) -> Self {
        self.rollout = Some((policy.clone(), bake));
        self
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

    /// What has been completed so far, in order.
    pub fn completed(&self) -> Vec<Done> {
        lock(&self.done).clone()
    }

    /// [`Executor::completed`], one line each (`Data: stack set created`).
    pub fn done(&self) -> Vec<String> {
        self.completed().iter().map(Done::to_string).collect()
    }

    fn record(&self, stack: &str, what: impl Into<String>) {
        lock(&self.done).push(Done::new(stack, what));
    }

    fn sink(&self) -> &dyn Sink {
        self.client.sink
    }

    fn cfn(&self) -> &'a C {
        self.client.cfn
    }

    /// Refuses (unless adopting) a stack set that lacks haplat's ownership tag or carries
    /// another app's.
    fn owner_problem(&self, s: &StackPlan, set: &StackSetInfo) -> Option<ExecError> {
        crate::plan::ownership_problem(s, &set.tags, self.adopt)
            .map(|message| ExecError::Refused { stack: s.name.clone(), message })
    }

    /// Checks, before anything changes, that every existing stack set of the plan is haplat's
    /// (see [`Executor::with_adopt`]).
    pub async fn check_owners(&self, plan: &DeployPlan) -> Result<(), ExecError> {
        for s in plan.stacks() {
            let name = s.name.as_str();
            let set = self.client.call(name, "describe stack set", || self.cfn().describe_stack_set(name)).await?;
            if let Some(e) = set.and_then(|set| self.owner_problem(s, &set)) {
                return Err(e);
            }
        }
        Ok(())
    }

    /// Runs the plan, wave after wave. The stack sets of a wave do not depend on each other, so
    /// up to [`Executor::with_concurrency`] of them run at once; a wave starts when the one
    /// before it has finished. When a stack set fails, the others of its wave still run to their
    /// end (their outcome is reported) and no later wave starts.
    pub async fn deploy(&self, assembly: &Assembly, plan: &DeployPlan, bootstrap: &Bootstrap) -> Result<(), ExecError> {
        let mut prunes = Vec::new();
        for wave in &plan.waves {
            self.sink()
                .emit(Event::Wave { wave: wave.wave, stacks: wave.stacks.iter().map(|s| s.name.clone()).collect() });
            let permits = tokio::sync::Semaphore::new(self.concurrency);
            let permits = &permits;
            let jobs: Vec<Job<'_>> = wave
                .stacks
                .iter()
                .map(|s| {
                    Box::pin(async move {
                        // The semaphore lives as long as the wave and is never closed.
                        let _permit = permits.acquire().await.ok();
                        let all_regions = assembly
                            .manifest
                            .stack(&s.name)
                            .map(|m| m.target.regions())
                            .unwrap_or_else(|| s.regions.clone());
                        let template = assembly.template(&s.name);
                        let deployment =
                            assembly.manifest.stack(&s.name).map(|m| m.deployment.clone()).unwrap_or_default();
                        let producers = match producer_accounts(assembly, s, &bootstrap.account) {
                            Ok(p) => p,
                            Err(message) => return Err(ExecError::Refused { stack: s.name.clone(), message }),
                        };
                        // The stages: the rollout's, else one of every region (of the listed
                        // accounts, where the deployment lists them).
                        let rollout = self.rollout.as_ref().and_then(|(policy, bake)| {
                            let (stages, time) = policy.stages_of(&s.name, &s.regions, &deployment).ok()?;
                            Some((stages, Some((*bake, time))))
                        });
                        let (stages, bake) = rollout.unwrap_or_else(|| {
                            let accounts = match &deployment {
                                Deployment::Accounts { accounts } => accounts.clone(),
                                _ => Vec::new(),
                            };
                            (vec![Stage { accounts, regions: s.regions.clone() }], None)
                        });
                        let groups = self.account_groups(s, &deployment).await?;
                        let reach = Reach { deployment, only: Vec::new(), staged: false, producers };
                        let (body, json) = (&template.body, &template.json);
                        let staged = Staged { stages, groups, bake };
                        let r = self.deploy_stages(s, &reach, &staged, body, json, &all_regions, bootstrap).await;
                        self.outputs.forget(&s.name);
                        r
                    }) as Job<'_>
                })
                .collect();
            let mut failures = Vec::new();
            for r in join_all(jobs).await {
                match r {
                    Ok(prune) => prunes.extend(prune),
                    Err(e) => failures.push(e),
                }
            }
            match failures.len() {
                0 => {}
                1 => return Err(failures.remove(0)),
                _ => return Err(ExecError::Several(failures)),
            }
        }
        self.prune(&prunes).await
    }

    /// Reads what is deployed of the stack set: its template and its instances with their
    /// overrides (those of the accounts `only`, when it names some).
    async fn current(&self, s: &StackPlan, only: &[String]) -> Result<Current, ExecError> {
        let (name, cfn, client) = (s.name.as_str(), self.cfn(), &self.client);
        let Some(set) = client.call(name, "describe stack set", || cfn.describe_stack_set(name)).await? else {
            return Ok(Current { set: None, instances: BTreeMap::new() });
        };
        let template = set.parsed_template().map_err(|e| ExecError::Refused {
            stack: name.into(),
            message: format!("the deployed template of stack set {name} cannot be read ({e}); nothing was changed"),
        })?;
        let mut instances = BTreeMap::new();
        for i in client.call(name, "list stack instances", || cfn.list_stack_instances(name)).await? {
            if !only.is_empty() && !only.contains(&i.account) {
                continue;
            }
            let full = client
                .call(name, "describe stack instance", || cfn.describe_stack_instance(name, &i.account, &i.region))
                .await?;
            // With several accounts, a region is as current as its least current instance.
            let keep = instances.get(&i.region).is_some_and(|prev: &InstanceInfo| !prev.status.is_current());
            if !keep {
                instances.insert(i.region.clone(), full);
            }
        }
        Ok(Current { set: Some((set, template)), instances })
    }

    /// Starts an operation of ours and waits for it; records `done` when it succeeded.
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
        Fut: Future<Output = Result<String, crate::cfn::CfnError>>,
    {
        let warnings = self.client.run_op(stack, action, regions, tolerated, start).await?;
        self.record(stack, done);
        Ok(warnings)
    }

    /// A stack set's stages in order, each in one deploy per group of its accounts that have
    /// the same instances ([`account_groups`]), the bake after the first when it is a rollout.
    /// Regions no longer listed are pruned once per set of accounts, in the last stage of those
    /// accounts.
    #[allow(clippy::too_many_arguments)]
    async fn deploy_stages(
        &self,
        s: &StackPlan,
        reach: &Reach,
        staged: &Staged<'_>,
        body: &str,
        template: &Value,
        all_regions: &[String],
        bootstrap: &Bootstrap,
    ) -> Result<Vec<Prune>, ExecError> {
        let stages = &staged.stages;
        let mut prunes = Vec::new();
        for (i, stage) in stages.iter().enumerate() {
            for part in split(&stage.accounts, &staged.groups) {
                let later = stages[i + 1..]
                    .iter()
                    .any(|t| (part.is_empty() && t.accounts.is_empty()) || part.iter().any(|a| t.accounts.contains(a)));
                let plan = StackPlan { regions: stage.regions.clone(), prune: s.prune && !later, ..s.clone() };
                let reach = Reach { only: part, staged: stages.len() > 1, ..reach.clone() };
                prunes.extend(self.deploy_stack(&plan, &reach, body, template, all_regions, bootstrap).await?);
                self.outputs.forget(&s.name);
            }
            let Some((bake, time)) = staged.bake.filter(|_| i == 0 && stages.len() > 1) else { continue };
            let rest: Vec<String> = stages[1..].iter().map(ToString::to_string).collect();
            let region = &stage.regions[0];
            let first = Stage { accounts: stage.accounts.clone(), regions: vec![region.clone()] };
            self.sink().emit(Event::Step {
                stack: s.name.clone(),
                what: format!("bake in {first}: watching its alarms before {}", rest.join("; ")),
            });
            if let Err(why) = bake.bake(&s.name, region, &stage.accounts, time).await {
                return Err(ExecError::RolloutStopped {
                    stack: s.name.clone(),
                    region: first.to_string(),
                    why,
                    untouched: rest,
                });
            }
            self.record(&s.name, format!("bake passed in {first}"));
        }
        Ok(prunes)
    }

    /// The accounts of a self-managed stack set of several accounts, grouped by the instances
    /// they have (their regions and statuses): one deploy per group, so that an account added to
    /// the list, or one whose instances failed, gets what the others have. One group of no
    /// account (no narrowing) otherwise.
    async fn account_groups(&self, s: &StackPlan, deployment: &Deployment) -> Result<Vec<Vec<String>>, ExecError> {
        let Deployment::Accounts { accounts } = deployment else { return Ok(vec![Vec::new()]) };
        if accounts.len() < 2 {
            return Ok(vec![accounts.clone()]);
        }
        let (name, cfn) = (s.name.as_str(), self.cfn());
        let instances = match self.client.call(name, "list stack instances", || cfn.list_stack_instances(name)).await {
            Err(ExecError::Call { source: crate::cfn::CfnError::StackSetNotFound { .. }, .. }) => Vec::new(),
            other => other?,
        };
        let stray: BTreeSet<&str> =
            instances.iter().filter(|i| !accounts.contains(&i.account)).map(|i| i.account.as_str()).collect();
        if !stray.is_empty() {
            self.sink().emit(Event::Step {
                stack: name.into(),
                what: format!(
                    "account(s) {} no longer listed keep their instances: haplat does not delete them",
                    stray.into_iter().collect::<Vec<_>>().join(", ")
                ),
            });
        }
        Ok(account_groups(&instances, accounts))
    }

    async fn deploy_stack(
        &self,
        s: &StackPlan,
        reach: &Reach,
        body: &str,
        template: &Value,
        all_regions: &[String],
        bootstrap: &Bootstrap,
    ) -> Result<Option<Prune>, ExecError> {
        let (name, cfn) = (s.name.as_str(), self.cfn());
        let (deployment, producers) = (&reach.deployment, &reach.producers);
        self.sink().emit(Event::StackStarted { stack: name.into(), regions: s.regions.clone() });
        let values = self.outputs.resolve(&self.client, &bootstrap.account, producers, s).await?;
        let declared = crate::plan::template_parameters(template);
        let current = self.current(s, &reach.only).await?;
        // A stage of some of the stack set's accounts deploys to those.
        let narrowed = match deployment {
            Deployment::Accounts { .. } if !reach.only.is_empty() => {
                Deployment::Accounts { accounts: reach.only.clone() }
            }
            _ => deployment.clone(),
        };
        let deployment = &narrowed;
        if let Some(e) = current.set.as_ref().and_then(|(set, _)| self.owner_problem(s, set)) {
            return Err(e);
        }
        if let Some(message) = current.set.as_ref().and_then(|(set, _)| permission_model_change(set, deployment)) {
            return Err(ExecError::Refused { stack: name.into(), message });
        }
        // The existing instances this deploy may touch (with `--regions`, only those).
        let touched: Vec<String> = s.regions.iter().filter(|r| current.instances.contains_key(*r)).cloned().collect();
        let params = StackSetParameters::new(declared, values, &touched, &s.regions);
        let needs_update = current.set.as_ref().is_some_and(|(set, deployed)| {
            let caps = |v: &[String]| v.iter().cloned().collect::<BTreeSet<_>>();
            deployed != template
                || caps(&set.capabilities) != caps(&s.capabilities)
                || set.tags != s.tags
                || params.set_level_changed(&set.parameters)
        });
        let mut did = Vec::new();
        // Regions no longer listed: their deletion protection is lifted now, while the stack
        // set still has the template they were deployed with.
        let accounts = targets(deployment, &bootstrap.account);
        let gone = if s.prune { params::pruned(&current.instances, all_regions) } else { Vec::new() };
        did.extend(self.lift_for_prune(name, &current, &gone, &accounts, &s.preferences).await?);
        let source = if s.upload && (current.set.is_none() || needs_update) {
            let key = format!("templates/{name}/{}.json", hex(&Sha256::digest(body.as_bytes())));
            self.sink().emit(Event::Step {
                stack: name.into(),
                what: format!("upload template to s3://{}/{key}", bootstrap.bucket),
            });
            let url = self
                .client
                .call(name, "upload template", || cfn.upload_template(&bootstrap.region, &bootstrap.bucket, &key, body))
                .await?;
            TemplateSource::Url(url)
        } else {
            TemplateSource::Body(body.to_owned())
        };
        let input = StackSetInput {
            name: name.into(),
            template: source,
            parameters: params.set_level.clone(),
            capabilities: s.capabilities.clone(),
            tags: s.tags.clone(),
            admin_role_arn: bootstrap.admin_role_arn.clone(),
            execution_role_name: bootstrap.execution_role_name.clone(),
            deployment: deployment.clone(),
        };
        let tolerated = s.preferences.tolerates_failures();
        // Regions the stack-set update brought to their wanted values: nothing more to do there.
        let mut settled: BTreeSet<String> = BTreeSet::new();
        if current.set.is_none() {
            self.sink().emit(Event::Step { stack: name.into(), what: "create stack set".into() });
            self.client.call(name, "create stack set", || cfn.create_stack_set(&input)).await?;
            self.record(name, "stack set created");
            did.push("stack set created".to_owned());
        } else if needs_update {
            // Scoped to the regions whose stacks get exactly their wanted values from it (their
            // overrides with the new set-level values); every other instance becomes OUTDATED and
            // is updated below with its own values.
            let safe = params.safe_regions(&touched, &current.instances);
            let Some(scope) = params::update_scope(!current.instances.is_empty(), &safe, &touched, all_regions) else {
                return Err(ExecError::Refused {
                    stack: name.into(),
                    message: format!(
                        "its template changed, and the regions deployed ({}) are outside --regions {}: the stack set's template cannot change without updating one of them; add one to --regions",
                        current.instances.keys().cloned().collect::<Vec<_>>().join(", "),
                        s.regions.join(",")
                    ),
                });
            };
            let prefs = Preferences { region_order: scope.clone(), ..s.preferences.clone() };
            let done = if scope.is_empty() {
                "stack set updated".to_owned()
            } else {
                format!("stack set updated in {}", scope.join(", "))
            };
            let warnings = self
                .run_op(name, "update stack set", &scope, tolerated, done, |op: String| {
                    let (input, accounts, scope, prefs) = (&input, &accounts, &scope, &prefs);
                    async move { cfn.update_stack_set(input, accounts, scope, prefs, &op).await }
                })
                .await?;
            if scope.is_empty() {
                did.push("stack set updated".to_owned());
            } else {
                did.push(format!("template updated in {}", scope.join(", ")));
            }
            did.extend(warnings);
            // A settled region is read again: its overrides must still be its own (moto 5.2.5
            // replaces them with the set-level values unless the emulator's launcher patches it).
            for r in scope.iter().filter(|r| safe.contains(r)) {
                let after = self
                    .client
                    .call(name, "describe stack instance", || {
                        let account =
                            current.instances.get(r).map_or(bootstrap.account.as_str(), |i| i.account.as_str());
                        cfn.describe_stack_instance(name, account, r)
                    })
                    .await?;
                if params.settles(r, &after.overrides) && after.status.is_current() {
                    settled.insert(r.clone());
                }
            }
            let outdated = params::left_outdated(&current.instances, &s.regions, all_regions);
            if !outdated.is_empty() && !s.prune {
                let until = if reach.staged { "until their rollout stage" } else { "outside --regions" };
                did.push(format!("left OUTDATED in {} ({until})", outdated.join(", ")));
            }
        }
        // The set-level values the instances now see.
        let base_now = match &current.set {
            Some((set, _)) if !needs_update => &set.parameters,
            _ => &params.set_level,
        };
        // New regions, and regions whose parameters changed or that are not CURRENT, grouped
        // by identical overrides (one operation each: an operation takes one override list).
        let changes = params.instance_changes(&s.regions, &current.instances, &settled, needs_update, base_now);
        for group in &changes.create {
            let (overrides, regions) = (&group.overrides, &group.regions);
            let prefs = Preferences { region_order: regions.clone(), ..s.preferences.clone() };
            let done = format!("instances created in {}", regions.join(", "));
            let warnings = self
                .run_op(name, "create stack instances", regions, tolerated, done, |op: String| {
                    let (accounts, prefs) = (&accounts, &prefs);
                    async move { cfn.create_stack_instances(name, accounts, regions, overrides, prefs, &op).await }
                })
                .await?;
            did.push(format!("instances created in {}", regions.join(", ")));
            did.extend(warnings);
        }
        for group in &changes.update {
            let (overrides, regions) = (&group.overrides, &group.regions);
            let prefs = Preferences { region_order: regions.clone(), ..s.preferences.clone() };
            let done = format!("instances updated in {}", regions.join(", "));
            let warnings = self
                .run_op(name, "update stack instances", regions, tolerated, done, |op: String| {
                    let (accounts, prefs) = (&accounts, &prefs);
                    async move { cfn.update_stack_instances(name, accounts, regions, overrides, prefs, &op).await }
                })
                .await?;
            did.push(format!("parameters updated in {}", regions.join(", ")));
            did.extend(warnings);
        }
        // Regions no longer listed are removed after every wave has deployed (see
        // [`Executor::prune`]): what reads or routes to them is updated first.
        let prune = (!gone.is_empty()).then(|| {
            did.push(format!("instances in {} to delete once every wave has deployed", gone.join(", ")));
            Prune {
                stack: name.to_owned(),
                regions: gone,
                accounts: accounts.clone(),
                preferences: s.preferences.clone(),
            }
        });
        let summary = if did.is_empty() { "unchanged".to_owned() } else { did.join("; ") };
        if did.is_empty() {
            self.record(name, "unchanged");
        }
        self.sink().emit(Event::StackDone { stack: name.into(), summary });
        Ok(prune)
    }

    /// Sets [`haplat_check::DELETION_PROTECTION_PARAMETER`] to `false` on the instances of
    /// `gone` (regions the app no longer lists) when the deployed template declares it and it is
    /// not `false` there yet: an override on exactly those instances, so that the regions that
    /// stay keep their protection, each with its other overrides as they are. It runs before the
    /// stack set changes: an instance update applies the stack set's template, and the new one
    /// may not know the region any more (its `RegionConfig` mapping). Returns what it did.
    ///
    /// AWS: in UpdateStackInstances' `ParameterOverrides`, "to set an overridden parameter back
    /// to the value specified in the stack set, specify a parameter list but don't include the
    /// parameter in the list", hence every override of the instance is given again
    /// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStackInstances.html>).
    async fn lift_for_prune(
        &self,
        name: &str,
        current: &Current,
        gone: &[String],
        accounts: &[String],
        preferences: &Preferences,
    ) -> Result<Vec<String>, ExecError> {
        let cfn = self.cfn();
        let param = haplat_check::DELETION_PROTECTION_PARAMETER;
        let Some((set, deployed)) = &current.set else { return Ok(Vec::new()) };
        if deployed.get("Parameters").and_then(|p| p.get(param)).is_none() {
            return Ok(Vec::new());
        }
        let mut did = Vec::new();
        for region in gone {
            let Some(instance) = current.instances.get(region) else { continue };
            let value = instance.overrides.get(param).or_else(|| set.parameters.get(param));
            if value.map(String::as_str) == Some("false") {
                continue;
            }
            let mut overrides = instance.overrides.clone();
            overrides.insert(param.to_owned(), "false".to_owned());
            let one = std::slice::from_ref(region);
            let prefs = Preferences { region_order: one.to_vec(), ..preferences.clone() };
            let done = format!("deletion protection lifted in {region}, which the app no longer lists");
            self.run_op(name, "update stack instances", one, false, done.clone(), |op: String| {
                let (prefs, overrides) = (&prefs, &overrides);
                async move { cfn.update_stack_instances(name, accounts, one, overrides, prefs, &op).await }
            })
            .await?;
            did.push(done);
        }
        Ok(did)
    }

    /// Deletes the instances of regions the app no longer lists, stack set by stack set in the
    /// reverse of the waves (the edge stops routing to a region before its API goes, its API
    /// before its data), after every wave has deployed; their deletion protection was lifted
    /// before their stack set changed ([`Executor::lift_for_prune`]).
    async fn prune(&self, prunes: &[Prune]) -> Result<(), ExecError> {
        let cfn = self.cfn();
        for p in prunes.iter().rev() {
            let (name, regions, accounts) = (p.stack.as_str(), &p.regions, &p.accounts);
            self.sink().emit(Event::StackStarted { stack: name.into(), regions: regions.clone() });
            let prefs = Preferences { region_order: regions.clone(), ..p.preferences.clone() };
            let mut did = Vec::new();
            let done = format!("instances deleted in {}", regions.join(", "));
            let warnings = self
                .run_op(name, "delete stack instances", regions, false, done.clone(), |op: String| {
                    let (accounts, prefs) = (accounts, &prefs);
                    async move { cfn.delete_stack_instances(name, accounts, regions, prefs, &op).await }
                })
                .await?;
            did.push(done);
            did.extend(warnings);
            self.sink().emit(Event::StackDone { stack: name.into(), summary: did.join("; ") });
        }
        Ok(())
    }

    /// Deletes the stack sets named, in the order given: instances first, then the stack set.
    /// Returns the stack sets that were not deployed. See [`Executor::destroy_with`].
    pub async fn destroy(&self, stacks: &[String]) -> Result<Vec<String>, ExecError> {
        self.destroy_with(stacks, &DestroyOrder::default()).await
    }

    /// Deletes the stack sets named, in the order given. For each: when its deployed template
    /// declares [`haplat_check::DELETION_PROTECTION_PARAMETER`] and it is not `false` yet, the
    /// stack set is first updated with its previous template and that parameter `false`, every
    /// other set-level parameter passed with its deployed value (a parameter left out would get
    /// the template's Default; instances' overrides are kept by a stack-set update), and the
    /// operation is waited for, so that nothing is protected when CloudFormation deletes it;
    /// then the instances are deleted, one region after the other in the order of
    /// [`DestroyOrder::regions`] (the app's regions reversed: secondaries before the primary),
    /// then the stack set. Returns the stack sets that were not deployed.
    ///
    /// AWS: UpdateStackSet takes `UsePreviousTemplate`
    /// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStackSet.html>);
    /// a parameter given no value gets the template's Default
    /// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-cloudformation-stackset-parameter.html>),
    /// hence every value is passed; "during StackSet updates, any parameter values overridden for
    /// a stack instance aren't updated"
    /// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStackInstances.html>).
    /// RDS refuses to delete the primary cluster of a global database while other clusters are
    /// members, and CloudFormation's DBCluster handler removes a cluster from its global cluster
    /// before deleting it
    /// (<https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-deleting.html>,
    /// <https://github.com/aws-cloudformation/aws-cloudformation-resource-providers-rds/issues/25>).
    pub async fn destroy_with(&self, stacks: &[String], order: &DestroyOrder) -> Result<Vec<String>, ExecError> {
        let (cfn, client) = (self.cfn(), &self.client);
        let mut absent = Vec::new();
        for name in stacks {
            let name = name.as_str();
            let Some(set) = client.call(name, "describe stack set", || cfn.describe_stack_set(name)).await? else {
                self.sink().emit(Event::StackDone { stack: name.into(), summary: "not deployed".into() });
                absent.push(name.to_owned());
                continue;
            };
            let instances = client.call(name, "list stack instances", || cfn.list_stack_instances(name)).await?;
            let mut regions: Vec<String> =
                instances.iter().map(|i| i.region.clone()).collect::<BTreeSet<_>>().into_iter().collect();
            if let Some(app_order) = order.regions.get(name) {
                // Regions the app does not know first, then the app's regions last to first.
                regions.sort_by_key(|r| std::cmp::Reverse(app_order.iter().position(|k| k == r).map(|p| p + 1)));
            }
            self.sink().emit(Event::StackStarted { stack: name.into(), regions: regions.clone() });
            if !instances.is_empty() {
                let accounts: Vec<String> = match order.targets.get(name) {
                    Some(ous) => ous.clone(),
                    None => instances.iter().map(|i| i.account.clone()).collect::<BTreeSet<_>>().into_iter().collect(),
                };
                self.lift_deletion_protection(&set, &regions, &accounts, order).await?;
                let prefs = Preferences {
                    region_order: regions.clone(),
                    region_concurrency: order.regions.contains_key(name).then(|| "SEQUENTIAL".to_owned()),
                    ..Default::default()
                };
                let done = format!("instances deleted in {}", regions.join(", "));
                self.run_op(name, "delete stack instances", &regions, false, done, |op: String| {
                    let (accounts, regions, prefs) = (&accounts, &regions, &prefs);
                    async move { cfn.delete_stack_instances(name, accounts, regions, prefs, &op).await }
                })
                .await?;
            }
            client.call(name, "delete stack set", || cfn.delete_stack_set(name)).await?;
            self.record(name, "stack set deleted");
            self.sink().emit(Event::StackDone { stack: name.into(), summary: "deleted".into() });
        }
        Ok(absent)
    }
}

/// How `destroy` deletes: each stack set's regions in the app's order (deleted last to first)
/// and the roles a stack-set update needs (to lift deletion protection).
#[derive(Clone, Debug, Default)]
pub struct DestroyOrder {
    /// Stack set → the app's regions, primary first.
    pub regions: BTreeMap<String, Vec<String>>,
    /// The administration role's ARN and the execution role's name (from the bootstrap stack).
    pub roles: Option<(String, String)>,
    /// Stack set → the OU ids of a service-managed one: its instances are deleted through
    /// `DeploymentTargets.OrganizationalUnitIds` (`Accounts` is for self-managed stack sets,
    /// <https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeleteStackInstances.html>).
    pub targets: BTreeMap<String, Vec<String>>,
}

impl<C: CloudFormation> Executor<'_, C> {
    /// Sets [`haplat_check::DELETION_PROTECTION_PARAMETER`] to `false` on a stack set that
    /// declares it, and waits for the update of every instance.
    async fn lift_deletion_protection(
        &self,
        set: &StackSetInfo,
        regions: &[String],
        accounts: &[String],
        order: &DestroyOrder,
    ) -> Result<(), ExecError> {
        let (cfn, name) = (self.cfn(), set.name.as_str());
        let param = haplat_check::DELETION_PROTECTION_PARAMETER;
        let declared = set.parsed_template().ok().and_then(|t| t.get("Parameters")?.get(param).cloned()).is_some();
        if !declared || set.parameters.get(param).map(String::as_str) == Some("false") {
            return Ok(());
        }
        let Some((admin_role_arn, execution_role_name)) = order.roles.clone() else {
            return Err(ExecError::Refused {
                stack: name.into(),
                message: format!(
                    "its resources are deletion-protected through parameter {param}, which destroy lifts with a stack-set update, \
                     but the bootstrap stack (its StackSet roles) was not found: run `haplat bootstrap`; nothing was deleted"
                ),
            });
        };
        let mut parameters = set.parameters.clone();
        parameters.insert(param.to_owned(), "false".to_owned());
        let input = StackSetInput {
            name: name.to_owned(),
            template: TemplateSource::Previous,
            parameters,
            capabilities: set.capabilities.clone(),
            tags: set.tags.clone(),
            admin_role_arn,
            execution_role_name,
            // Destroy keeps the stack set's model (UpdateStackSet cannot change it).
            deployment: deployment_of(set),
        };
        // Every instance at once: turning protection off changes nothing else.
        let prefs = Preferences { region_order: regions.to_vec(), ..Default::default() };
        self.sink().emit(Event::Step { stack: name.into(), what: "lift deletion protection".into() });
        let done = format!("deletion protection lifted in {}", regions.join(", "));
        self.run_op(name, "lift deletion protection", regions, false, done, |op: String| {
            let (input, prefs) = (&input, &prefs);
            async move { cfn.update_stack_set(input, accounts, &[], prefs, &op).await }
        })
        .await?;
        Ok(())
    }
}

/// `accounts` grouped by the instances each has (their regions and statuses), in the order of
/// `accounts`.
pub fn account_groups(instances: &[InstanceInfo], accounts: &[String]) -> Vec<Vec<String>> {
    // What an account has: (region, status) of each of its instances.
    type Has = BTreeSet<(String, String)>;
    let mut groups: Vec<(Has, Vec<String>)> = Vec::new();
    for a in accounts {
        let has: Has =
            instances.iter().filter(|i| &i.account == a).map(|i| (i.region.clone(), i.status.to_string())).collect();
        match groups.iter_mut().find(|(h, _)| *h == has) {
            Some((_, members)) => members.push(a.clone()),
            None => groups.push((has, vec![a.clone()])),
        }
    }
    groups.into_iter().map(|(_, members)| members).collect()
}

/// A stage's accounts split along `groups` (in the groups' order); no account: one part of none.
fn split(accounts: &[String], groups: &[Vec<String>]) -> Vec<Vec<String>> {
    if accounts.is_empty() {
        return vec![Vec::new()];
    }
    let mut parts: Vec<Vec<String>> = groups
        .iter()
        .map(|g| g.iter().filter(|a| accounts.contains(a)).cloned().collect::<Vec<_>>())
        .filter(|p| !p.is_empty())
        .collect();
    let grouped: BTreeSet<&String> = groups.iter().flatten().collect();
    let rest: Vec<String> = accounts.iter().filter(|a| !grouped.contains(a)).cloned().collect();
    if !rest.is_empty() {
        parts.push(rest);
    }
    parts
}

/// The account of each producer `s` binds from (see [`crate::bindings::producer_account`]).
fn producer_accounts(assembly: &Assembly, s: &StackPlan, caller: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    let Some(m) = assembly.manifest.stack(&s.name) else { return Ok(out) };
    for b in &m.bindings {
        let Some(p) = assembly.manifest.stack(&b.producer) else { continue };
        out.insert(b.producer.clone(), crate::bindings::producer_account(&p.deployment, &b.producer, caller)?);
    }
    Ok(out)
}

/// The target ids of a stack set's instance calls: the accounts of a self-managed stack set
/// (this account by default), the organizational units of a service-managed one (see
/// [`crate::cfn::are_organizational_units`]).
pub fn targets(deployment: &Deployment, this_account: &str) -> Vec<String> {
    match deployment {
        Deployment::OrganizationalUnits { organizational_units, .. } => organizational_units.clone(),
        other => other.accounts(this_account),
    }
}

/// Why a deployed stack set cannot take this deployment: its permission model differs.
/// UpdateStackSet takes a `PermissionModel`, but its reference does not say what happens to the
/// existing instances (self-managed ones are per account, service-managed ones per OU, with
/// other roles), and the documented way to bring self-managed stacks under Organizations is an
/// import into a new service-managed stack set
/// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStackSet.html>,
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-associate-stackset-with-org.html>).
/// haplat does not migrate: it refuses, in one line, before anything changes.
pub fn permission_model_change(set: &StackSetInfo, deployment: &Deployment) -> Option<String> {
    let deployed = set.permission_model.as_deref().unwrap_or("SELF_MANAGED");
    let wanted = deployment.permission_model();
    (deployed != wanted).then(|| {
        format!(
            "stack set {} is {deployed} and the environment now asks for {wanted}: haplat does not change a stack set's permission model; \
             destroy it and deploy again, or deploy it under a new name; nothing was changed",
            set.name
        )
    })
}

/// The deployment a deployed stack set has, as far as its permission model tells (for calls that
/// keep it as it is).
fn deployment_of(set: &StackSetInfo) -> Deployment {
    match set.permission_model.as_deref() {
        Some("SERVICE_MANAGED") => Deployment::OrganizationalUnits {
            organizational_units: Vec::new(),
            retain_stacks_on_account_removal: true,
            call_as: Default::default(),
        },
        _ => Deployment::ThisAccount,
    }
}

/// One stack set's deploy within a wave.
type Job<'a> = std::pin::Pin<Box<dyn Future<Output = Result<Vec<Prune>, ExecError>> + Send + 'a>>;

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
    // Every future has finished when poll_fn returns: each slot is filled.
    out.into_iter().flatten().collect()
}

/// The record of what was done, even after a panic elsewhere poisoned its lock.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
