//! `haplat drill`: the AWS FIS experiment templates of a region's stacks, listed; one started
//! (`StartExperiment`), watched (`GetExperiment`) with the region's health check and the app's
//! paging alarms while it runs, stopped (`StopExperiment`) on an interrupt or after the longest
//! duration allowed; and the time from its start until Route 53 reported the region unhealthy,
//! and until it reported it healthy again, compared with the app's objective
//! (`objectives.appFailoverSeconds` in the assembly's manifest).
//!
//! The failover time measured is the start-to-unhealthy time plus the routed records' TTL that
//! `haplat check` computes for the app (resolvers keep the old answer that long; a drill cannot
//! observe every resolver). Route 53's status is read from CloudWatch's one-minute
//! `HealthCheckStatus` datapoints, so the measure is up to a minute late at worst.
//! <https://docs.aws.amazon.com/fis/latest/userguide/experiments.html> (experiment states).

use std::future::Future;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::assembly::Assembly;
use crate::cfn::CloudFormation;
use crate::error::Error;
use crate::failover::Timeline;
use crate::health::{Located, Only, Retry, discover, region_checks};
use crate::observe::Observe;

/// An experiment template of the region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentTemplate {
    /// Its `Name` tag (how `haplat drill NAME` finds it).
    pub name: Option<String>,
    /// Its logical id.
    pub logical_id: String,
    /// Its construct path.
    pub path: String,
    /// Its description.
    pub description: Option<String>,
    /// Its id (`EXT…`).
    pub id: Option<String>,
}

fn template_of(l: &Located) -> ExperimentTemplate {
    ExperimentTemplate {
        name: l.properties.pointer("/Tags/Name").and_then(Value::as_str).map(str::to_owned),
        logical_id: l.logical_id.clone(),
        path: l.path.clone(),
        description: l.properties.get("Description").and_then(Value::as_str).map(str::to_owned),
        id: l.physical_id.clone(),
    }
}

/// The experiment templates deployed in `region`.
pub async fn list<C: CloudFormation, O: Observe>(
    cfn: &C,
    obs: &O,
    assembly: &Assembly,
    region: &str,
    retry: &Retry,
) -> Result<Vec<ExperimentTemplate>, Error> {
    check_region(assembly, region)?;
    let regions = discover(cfn, obs, assembly, &Only::default(), &["AWS::FIS::ExperimentTemplate"], retry).await?;
    let r = regions.iter().find(|r| r.region == region).expect("the region is the assembly's");
    if let Some(why) = &r.unreachable {
        return Err(Error::Failed(format!("{region}: the region did not answer ({why})")));
    }
    Ok(r.of_type("AWS::FIS::ExperimentTemplate").map(template_of).collect())
}

fn check_region(assembly: &Assembly, region: &str) -> Result<(), Error> {
    let known = assembly.regions();
    if known.contains(region) {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "--region {region}: not a region of the assembly (regions: {})",
        known.into_iter().collect::<Vec<_>>().join(", ")
    )))
}

/// The templates as text.
pub fn list_text(region: &str, templates: &[ExperimentTemplate]) -> String {
    if templates.is_empty() {
        return format!("{region}: no FIS experiment template deployed\n");
    }
    let mut out = format!("{region}: {} experiment template(s)\n", templates.len());
    for t in templates {
        out.push_str(&format!(
            "  {:<24} {:<40} {}\n",
            t.name.as_deref().unwrap_or(&t.logical_id),
            t.path,
            t.description.as_deref().unwrap_or("")
        ));
    }
    out
}

/// How a drill runs.
#[derive(Clone, Debug)]
pub struct DrillOptions {
    /// The region.
    pub region: String,
    /// The experiment: its `Name` tag, logical id or construct path.
    pub experiment: String,
    /// Stop the experiment after this long.
    pub max_duration: Duration,
    /// Between two looks.
    pub poll: Duration,
    /// After the experiment ends, how long to wait for the region to be healthy again.
    pub recovery: Duration,
}

/// What a drill measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DrillReport {
    /// The region.
    pub region: String,
    /// The experiment template's name.
    pub experiment: String,
    /// The experiment's id.
    pub experiment_id: String,
    /// Its last state.
    pub final_state: String,
    /// Whether haplat stopped it (interrupt or `--max-duration`).
    pub stopped_by_haplat: bool,
    /// Seconds from start until Route 53 reported the region unhealthy (`None`: it never did).
    pub unhealthy_after: Option<u64>,
    /// Seconds from start until it reported it healthy again.
    pub recovered_after: Option<u64>,
    /// What follows Route 53's decision, counted on top: the routed record's TTL and CloudFront's
    /// connection attempts (from the assembly).
    pub routing_seconds: Option<f64>,
    /// `unhealthy_after` + `routing_seconds`.
    pub failover_seconds: Option<f64>,
    /// The app's `appFailoverSeconds`.
    pub objective_seconds: Option<u32>,
    /// The paging alarms that went to ALARM while it ran (construct paths).
    pub alarms: Vec<String>,
    /// Every step.
    pub timeline: Timeline,
    /// The verdict: `met`, `missed`, `no failover` (the region stayed healthy), `not recovered`.
    pub verdict: String,
}

/// What follows Route 53's decision in the app's slowest failover chain, in seconds: the routed
/// record's TTL and CloudFront's connection attempts to the failed origin (`haplat check`'s
/// computation, docs/availability.md), when there is a chain.
pub fn routing_seconds(assembly: &Assembly) -> Option<f64> {
    let checked = haplat_check::Assembly::load(&assembly.dir).ok()?;
    let figures = haplat_check::availability::availability(&checked);
    figures.worst_failover().map(|c| c.routing_seconds())
}

/// Runs the drill: start, watch, stop on `interrupt` or after `max_duration`, report.
pub async fn drill<C: CloudFormation, O: Observe, I: Future<Output = ()>>(
    cfn: &C,
    obs: &O,
    assembly: &Assembly,
    opts: &DrillOptions,
    routing: Option<f64>,
    interrupt: I,
    retry: &Retry,
) -> Result<DrillReport, Error> {
    let region = opts.region.as_str();
    check_region(assembly, region)?;
    let regions = discover(
        cfn,
        obs,
        assembly,
        &Only::default(),
        &[
            "AWS::FIS::ExperimentTemplate",
            "AWS::Route53::HealthCheck",
            "AWS::CloudWatch::Alarm",
            "AWS::CloudWatch::CompositeAlarm",
        ],
        retry,
    )
    .await?;
    let r = regions.iter().find(|r| r.region == region).expect("the region is the assembly's");
    if let Some(why) = &r.unreachable {
        return Err(Error::Failed(format!("{region}: the region did not answer ({why}); no experiment started")));
    }
    let templates: Vec<ExperimentTemplate> = r.of_type("AWS::FIS::ExperimentTemplate").map(template_of).collect();
    let want = opts.experiment.as_str();
    let Some(t) = templates.iter().find(|t| t.name.as_deref() == Some(want) || t.logical_id == want || t.path == want)
    else {
        let names: Vec<&str> = templates.iter().map(|t| t.name.as_deref().unwrap_or(&t.logical_id)).collect();
        return Err(Error::Usage(format!(
            "no experiment {want} in {region} (experiments: {})",
            if names.is_empty() { "none".to_owned() } else { names.join(", ") }
        )));
    };
    let Some(template_id) = t.id.clone() else {
        return Err(Error::Failed(format!("{region}: {} has no id (not created?)", t.path)));
    };
    let check = region_checks(r).into_iter().next().and_then(|c| c.check.physical_id.map(|id| (c.check.path, id)));
    let alarms: Vec<(String, String)> = r
        .of_type("AWS::CloudWatch::Alarm")
        .chain(r.of_type("AWS::CloudWatch::CompositeAlarm"))
        .filter_map(|a| Some((a.physical_id.clone()?, a.path.clone())))
        .collect();
    let mut report = DrillReport {
        region: region.to_owned(),
        experiment: t.name.clone().unwrap_or_else(|| t.logical_id.clone()),
        routing_seconds: routing,
        objective_seconds: assembly.manifest.objectives.as_ref().and_then(|o| o.app_failover_seconds),
        ..Default::default()
    };
    let start = tokio::time::Instant::now();
    let id = retry
        .call(|| obs.start_experiment(region, &template_id))
        .await
        .map_err(|e| Error::cloud(format!("starting experiment {} ({template_id}) in {region}", t.path), e))?;
    report.experiment_id = id.clone();
    push(
        &mut report.timeline,
        start,
        format!("started {} ({id}): {}", report.experiment, t.description.clone().unwrap_or_default()),
    );
    let watched = Watch { obs, region, id: &id, check: check.as_ref(), alarms: &alarms, opts, start, retry }
        .run(&mut report, interrupt)
        .await;
    if let Err(e) = watched {
        return Err(stop_after(obs, region, &id, &report, retry, e).await);
    }
    report.failover_seconds = report.unhealthy_after.map(|t| t as f64 + routing.unwrap_or(0.0));
    report.verdict =
        match (report.unhealthy_after, report.recovered_after, report.failover_seconds, report.objective_seconds) {
            (None, _, _, _) => "no failover".into(),
            (Some(_), None, _, _) => "not recovered".into(),
            (Some(_), Some(_), Some(f), Some(o)) if f > o as f64 => "missed".into(),
            (Some(_), Some(_), _, Some(_)) => "met".into(),
            (Some(_), Some(_), _, None) => "no objective".into(),
        };
    Ok(report)
}

/// What the drill watches once its experiment runs: the experiment, the region's health check,
/// its paging alarms.
struct Watch<'a, O> {
    obs: &'a O,
    region: &'a str,
    id: &'a str,
    check: Option<&'a (String, String)>,
    alarms: &'a [(String, String)],
    opts: &'a DrillOptions,
    start: tokio::time::Instant,
    retry: &'a Retry,
}

impl<O: Observe> Watch<'_, O> {
    /// Polls until the experiment has ended and the region recovered (or the recovery time is
    /// over), stopping the experiment on `interrupt` or after the longest duration.
    async fn run<I: Future<Output = ()>>(self, report: &mut DrillReport, interrupt: I) -> Result<(), Error> {
        let Watch { obs, region, id, check, alarms, opts, start, retry } = self;
        let alarm_names: Vec<String> = alarms.iter().map(|(n, _)| n.clone()).collect();
        tokio::pin!(interrupt);
        let mut interrupted = false;
        let mut ended_at: Option<tokio::time::Instant> = None;
        let mut last_state = String::new();
        let mut last_health: Option<Option<bool>> = None;
        loop {
            // The experiment.
            let e = retry
                .call(|| obs.experiment(region, id))
                .await
                .map_err(|e| Error::cloud(format!("reading experiment {id} in {region}"), e))?;
            if e.state != last_state {
                push(
                    &mut report.timeline,
                    start,
                    format!(
                        "experiment {}{}",
                        e.state,
                        e.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
                    ),
                );
                last_state = e.state.clone();
            }
            if e.ended() && ended_at.is_none() {
                ended_at = Some(tokio::time::Instant::now());
            }
            report.final_state = e.state.clone();
            // The region's health check.
            if let Some((path, hid)) = &check {
                let s = retry.call(|| obs.health_check_status(std::slice::from_ref(hid))).await.map_err(|e| {
                    Error::cloud("reading the region's health check status (CloudWatch, AWS/Route53)", e)
                })?;
                let now = s.get(hid).copied().flatten();
                if last_health != Some(now) {
                    let elapsed = start.elapsed().as_secs();
                    match now {
                        Some(false) if report.unhealthy_after.is_none() => report.unhealthy_after = Some(elapsed),
                        Some(true) if report.unhealthy_after.is_some() && report.recovered_after.is_none() => {
                            report.recovered_after = Some(elapsed)
                        }
                        _ => {}
                    }
                    let label = match now {
                        Some(true) => "healthy",
                        Some(false) => "UNHEALTHY",
                        None => "without data",
                    };
                    push(&mut report.timeline, start, format!("Route 53: {path} {label}"));
                    last_health = Some(now);
                }
            }
            // The paging alarms.
            if !alarm_names.is_empty() {
                let states = retry
                    .call(|| obs.alarms(region, &alarm_names))
                    .await
                    .map_err(|e| Error::cloud(format!("reading the alarms in {region}"), e))?;
                for a in states.iter().filter(|a| a.pages && a.state == "ALARM") {
                    let path = alarms.iter().find(|(n, _)| n == &a.name).map(|(_, p)| p.clone()).unwrap_or_default();
                    if !report.alarms.contains(&path) {
                        push(&mut report.timeline, start, format!("alarm {path} in ALARM"));
                        report.alarms.push(path);
                    }
                }
            }
            // Done: the experiment ended, and the region is healthy again or never went out (or
            // the time allowed for recovery is over).
            if let Some(at) = ended_at {
                let recovered = report.unhealthy_after.is_none() || report.recovered_after.is_some();
                if recovered || at.elapsed() >= opts.recovery {
                    break;
                }
            }
            // Stop on an interrupt, or after the longest duration.
            if ended_at.is_none() && !report.stopped_by_haplat && (interrupted || start.elapsed() >= opts.max_duration)
            {
                let why = if interrupted { "interrupted" } else { "--max-duration reached" };
                retry.call(|| obs.stop_experiment(region, id)).await.map_err(|e| {
                    Error::cloud(format!("stopping experiment {id} in {region} (stop it in the FIS console)"), e)
                })?;
                report.stopped_by_haplat = true;
                push(&mut report.timeline, start, format!("{why}: StopExperiment sent"));
            }
            tokio::select! {
                _ = tokio::time::sleep(opts.poll) => {}
                _ = &mut interrupt, if !interrupted => { interrupted = true; }
            }
        }

        Ok(())
    }
}

/// The error of a drill whose watching failed after its experiment started: the experiment is
/// stopped first unless it has ended, and the error says whether it was, never leaving it
/// running unsaid.
async fn stop_after<O: Observe>(
    obs: &O,
    region: &str,
    id: &str,
    report: &DrillReport,
    retry: &Retry,
    e: Error,
) -> Error {
    if crate::observe::has_ended(&report.final_state) || report.stopped_by_haplat {
        return e;
    }
    let note = match retry.call(|| obs.stop_experiment(region, id)).await {
        Ok(()) => format!("experiment {id} stopped"),
        Err(stop) => format!(
            "experiment {id} may still be running ({stop}): stop it with `aws fis stop-experiment --id {id} --region \
             {region}`"
        ),
    };
    match e {
        Error::Cloud { context, source } => Error::Cloud { context: format!("{context} ({note})"), source },
        other => Error::Failed(format!("{other} ({note})")),
    }
}

fn push(t: &mut Timeline, start: tokio::time::Instant, what: String) {
    crate::failover::Step::record(&mut t.steps, start, what);
}

/// The report as text.
pub fn text(r: &DrillReport) -> String {
    let mut out = r.timeline.text();
    let secs = |s: Option<u64>| s.map(|s| format!("{s} s")).unwrap_or_else(|| "never".into());
    out.push_str(&format!(
        "drill {} in {}: experiment {}{}\n",
        r.experiment,
        r.region,
        r.final_state,
        if r.stopped_by_haplat { " (stopped by haplat)" } else { "" }
    ));
    out.push_str(&format!("  region unhealthy after: {}\n", secs(r.unhealthy_after)));
    out.push_str(&format!("  healthy again after:    {}\n", secs(r.recovered_after)));
    if let Some(f) = r.failover_seconds {
        out.push_str(&format!(
            "  failover: {f} s ({} s until Route 53 marked it unhealthy + {} s for DNS and the edge to follow)\n",
            r.unhealthy_after.unwrap_or(0),
            r.routing_seconds.unwrap_or(0.0)
        ));
    }
    match r.objective_seconds {
        Some(o) => out.push_str(&format!("  objective appFailoverSeconds: {o} s: {}\n", r.verdict)),
        None => out.push_str(&format!("  no appFailoverSeconds objective declared: {}\n", r.verdict)),
    }
    if !r.alarms.is_empty() {
        out.push_str(&format!("  paging alarms that fired: {}\n", r.alarms.join(", ")));
    }
    out
}
