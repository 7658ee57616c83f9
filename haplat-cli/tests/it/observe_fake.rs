//! A fake of [`Observe`]: the deployed resources of an assembly with made-up physical ids,
//! Route 53 health checks whose status follows their settings (a calculated check with a
//! threshold above its children's count is unhealthy, as Route 53 does) after a scripted lag,
//! scripted base statuses, target health, alarms, metric values and an FIS experiment whose
//! states are scripted. Errors are injected per call name; a region can stop answering.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Mutex;

use haplat_cli::assembly::Assembly;
use haplat_cli::cfn::{CfnError, CfnResult};
use haplat_cli::observe::*;

/// The fake's state.
#[derive(Default, Debug)]
pub struct ObsState {
    /// (region, stack id) → resources.
    pub stacks: BTreeMap<(String, String), Vec<StackResource>>,
    /// Health checks by id.
    pub checks: BTreeMap<String, HealthCheck>,
    /// The status each check has from its children (before its own settings apply).
    pub base: BTreeMap<String, Option<bool>>,
    /// Base statuses applied one per status read (drills: the region going down, coming back).
    pub base_script: VecDeque<BTreeMap<String, Option<bool>>>,
    /// After an update, how many status reads still give the status from before.
    pub lag: u32,
    /// id → (status before the update, reads left).
    pub stale: BTreeMap<String, (Option<bool>, u32)>,
    /// Target group ARN → targets.
    pub targets: BTreeMap<String, Vec<Target>>,
    /// Alarm name → alarm.
    pub alarms: BTreeMap<String, Alarm>,
    /// Window in seconds → the `ratio` value.
    pub ratios: BTreeMap<u32, Option<f64>>,
    /// The experiment's states, one per `GetExperiment` (the last one stays).
    pub experiment_script: VecDeque<String>,
    /// The experiment's state now.
    pub experiment_state: String,
    /// Errors to answer, per call name, before answering normally.
    pub errors: BTreeMap<&'static str, VecDeque<CfnError>>,
    /// Regions whose endpoint does not answer.
    pub unreachable: BTreeSet<String>,
    /// Every change, in order.
    pub calls: Vec<String>,
}

/// The fake.
#[derive(Default, Debug)]
pub struct FakeObserve {
    pub state: Mutex<ObsState>,
}

/// The physical id the fake gives a resource in a region.
pub fn physical(region: &str, logical: &str, resource_type: &str) -> String {
    match resource_type {
        "AWS::Route53::HealthCheck" => format!("hc-{region}-{logical}"),
        "AWS::ElasticLoadBalancingV2::TargetGroup" => {
            format!("arn:aws:elasticloadbalancing:{region}:1:targetgroup/{logical}")
        }
        "AWS::FIS::ExperimentTemplate" => format!("EXT{region}{logical}"),
        _ => format!("{region}-{logical}"),
    }
}

impl FakeObserve {
    pub fn with<R>(&self, f: impl FnOnce(&mut ObsState) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }

    /// Every resource of the assembly's stacks deployed in each of their regions (stack id as
    /// the fake CloudFormation gives it), everything healthy: checks healthy, one healthy
    /// target in each service's first target group, alarms OK, SLO ratio 0.
    pub fn deployed(assembly: &Assembly) -> FakeObserve {
        let fake = FakeObserve::default();
        fake.with(|s| {
            s.experiment_state = "running".into();
            for stack in &assembly.manifest.stacks {
                let t = &assembly.template(&stack.name).json;
                for region in stack.target.regions() {
                    let mut list = Vec::new();
                    for (logical, r) in &stack.resources {
                        let id = physical(&region, logical, &r.type_name);
                        list.push(StackResource {
                            logical_id: logical.clone(),
                            physical_id: Some(id.clone()),
                            resource_type: r.type_name.clone(),
                            status: "CREATE_COMPLETE".into(),
                        });
                        let props = &t["Resources"][logical]["Properties"];
                        match r.type_name.as_str() {
                            "AWS::Route53::HealthCheck" => {
                                let c = &props["HealthCheckConfig"];
                                let children = c["ChildHealthChecks"]
                                    .as_array()
                                    .map(|a| {
                                        a.iter()
                                            .map(|v| physical(&region, v["Ref"].as_str().unwrap(), &r.type_name))
                                            .collect()
                                    })
                                    .unwrap_or_default();
                                s.checks.insert(
                                    id.clone(),
                                    HealthCheck {
                                        id: id.clone(),
                                        kind: c["Type"].as_str().unwrap_or_default().into(),
                                        inverted: false,
                                        disabled: false,
                                        health_threshold: c["HealthThreshold"].as_u64().map(|n| n as u32),
                                        children,
                                        version: Some(1),
                                    },
                                );
                                s.base.insert(id.clone(), Some(true));
                            }
                            "AWS::ElasticLoadBalancingV2::TargetGroup" => {
                                let targets = if logical.contains("Alternate") {
                                    Vec::new()
                                } else {
                                    vec![Target { id: "10.0.1.10:8080".into(), state: "healthy".into(), reason: None }]
                                };
                                s.targets.insert(id.clone(), targets);
                            }
                            "AWS::CloudWatch::Alarm" | "AWS::CloudWatch::CompositeAlarm" => {
                                let metrics = props["Metrics"]
                                    .as_array()
                                    .map(|a| {
                                        a.iter()
                                            .map(|q| MetricQuery {
                                                id: q["Id"].as_str().unwrap().into(),
                                                expression: q["Expression"].as_str().map(str::to_owned),
                                                metric: q.get("MetricStat").map(|m| MetricStat {
                                                    namespace: m["Metric"]["Namespace"].as_str().unwrap().into(),
                                                    name: m["Metric"]["MetricName"].as_str().unwrap().into(),
                                                    dimensions: vec![],
                                                    period: m["Period"].as_u64().unwrap() as u32,
                                                    stat: m["Stat"].as_str().unwrap().into(),
                                                }),
                                                label: None,
                                                return_data: q["ReturnData"].as_bool().unwrap_or(true),
                                                period: None,
                                            })
                                            .collect()
                                    })
                                    .unwrap_or_default();
                                s.alarms.insert(
                                    id.clone(),
                                    Alarm {
                                        name: id.clone(),
                                        composite: r.type_name.contains("Composite"),
                                        state: "OK".into(),
                                        reason: "Threshold Crossed: no datapoint above".into(),
                                        pages: props.get("AlarmActions").is_some(),
                                        description: props["AlarmDescription"].as_str().map(str::to_owned),
                                        threshold: props["Threshold"].as_f64(),
                                        metrics,
                                    },
                                );
                            }
                            _ => {}
                        }
                    }
                    s.stacks.insert((region.clone(), format!("arn:stack/{}/{region}", stack.name)), list);
                }
            }
            s.ratios.insert(3600, Some(0.0));
            s.ratios.insert(30 * 24 * 3600, Some(0.0));
        });
        fake
    }

    fn inject(&self, call: &'static str, region: Option<&str>) -> CfnResult<()> {
        self.with(|s| {
            if let Some(r) = region
                && s.unreachable.contains(r)
            {
                return Err(CfnError::Unreachable {
                    endpoint: format!("AWS in {r}"),
                    message: "no answer in time (HAPLAT_HTTP_TIMEOUT sets the limit in seconds)".into(),
                });
            }
            match s.errors.get_mut(call).and_then(VecDeque::pop_front) {
                Some(e) => Err(e),
                None => Ok(()),
            }
        })
    }

    /// A check's status as Route 53 computes it from its settings and its base status.
    fn computed(s: &ObsState, id: &str) -> Option<bool> {
        let base = s.base.get(id).copied().flatten();
        let Some(c) = s.checks.get(id) else { return base };
        if c.kind == "CALCULATED" && c.health_threshold.is_some_and(|t| t as usize > c.children.len()) {
            return Some(c.inverted);
        }
        if c.inverted { base.map(|b| !b) } else { base }
    }

    pub fn calls(&self) -> Vec<String> {
        self.with(|s| s.calls.clone())
    }
}

impl Observe for FakeObserve {
    async fn stack_resources(&self, region: &str, stack: &str) -> CfnResult<Vec<StackResource>> {
        self.inject("stack_resources", Some(region))?;
        self.with(|s| {
            s.stacks
                .get(&(region.to_owned(), stack.to_owned()))
                .cloned()
                .ok_or_else(|| CfnError::service("ValidationError", &format!("Stack with id {stack} does not exist")))
        })
    }

    async fn health_check(&self, id: &str) -> CfnResult<HealthCheck> {
        self.inject("health_check", None)?;
        self.with(|s| s.checks.get(id).cloned().ok_or_else(|| CfnError::service("NoSuchHealthCheck", id)))
    }

    async fn update_health_check(&self, id: &str, update: &HealthCheckUpdate) -> CfnResult<()> {
        self.inject("update_health_check", None)?;
        self.with(|s| {
            let before = FakeObserve::computed(s, id);
            let c = s.checks.get_mut(id).ok_or_else(|| CfnError::service("NoSuchHealthCheck", id))?;
            if update.version.is_some() && update.version != c.version {
                return Err(CfnError::service(
                    "HealthCheckVersionMismatch",
                    "the health check changed since it was read",
                ));
            }
            if let Some(t) = update.health_threshold {
                c.health_threshold = Some(t);
            }
            if let Some(i) = update.inverted {
                c.inverted = i;
            }
            c.version = c.version.map(|v| v + 1);
            s.calls.push(format!(
                "update_health_check {id} threshold={:?} inverted={:?}",
                update.health_threshold, update.inverted
            ));
            let lag = s.lag;
            s.stale.insert(id.to_owned(), (before, lag));
            Ok(())
        })
    }

    async fn health_check_status(&self, ids: &[String]) -> CfnResult<BTreeMap<String, Option<bool>>> {
        self.inject("health_check_status", None)?;
        Ok(self.with(|s| {
            if let Some(next) = s.base_script.pop_front() {
                s.base.extend(next);
            }
            let mut out = BTreeMap::new();
            for id in ids {
                let now = FakeObserve::computed(s, id);
                let v = match s.stale.get_mut(id) {
                    Some((before, left)) if *left > 0 => {
                        *left -= 1;
                        *before
                    }
                    _ => now,
                };
                out.insert(id.clone(), v);
            }
            out
        }))
    }

    async fn target_health(&self, region: &str, arn: &str) -> CfnResult<Vec<Target>> {
        self.inject("target_health", Some(region))?;
        Ok(self.with(|s| s.targets.get(arn).cloned().unwrap_or_default()))
    }

    async fn alarms(&self, region: &str, names: &[String]) -> CfnResult<Vec<Alarm>> {
        self.inject("alarms", Some(region))?;
        Ok(self.with(|s| names.iter().filter_map(|n| s.alarms.get(n).cloned()).collect()))
    }

    async fn metric_data(
        &self,
        region: &str,
        queries: &[MetricQuery],
        window_seconds: u32,
    ) -> CfnResult<BTreeMap<String, Option<f64>>> {
        self.inject("metric_data", Some(region))?;
        Ok(self.with(|s| {
            queries
                .iter()
                .filter(|q| q.return_data)
                .map(|q| (q.id.clone(), s.ratios.get(&window_seconds).copied().flatten()))
                .collect()
        }))
    }

    async fn start_experiment(&self, region: &str, template_id: &str) -> CfnResult<String> {
        self.inject("start_experiment", Some(region))?;
        self.with(|s| {
            s.calls.push(format!("start_experiment {region} {template_id}"));
            s.experiment_state = "initiating".into();
        });
        Ok("EXP1".into())
    }

    async fn experiment(&self, region: &str, id: &str) -> CfnResult<Experiment> {
        self.inject("experiment", Some(region))?;
        Ok(self.with(|s| {
            if let Some(next) = s.experiment_script.pop_front() {
                s.experiment_state = next;
            }
            Experiment { id: id.to_owned(), state: s.experiment_state.clone(), reason: None }
        }))
    }

    async fn stop_experiment(&self, region: &str, id: &str) -> CfnResult<()> {
        self.inject("stop_experiment", Some(region))?;
        self.with(|s| {
            s.calls.push(format!("stop_experiment {region} {id}"));
            s.experiment_script = VecDeque::from(["stopping".to_owned(), "stopped".to_owned()]);
        });
        Ok(())
    }
}
