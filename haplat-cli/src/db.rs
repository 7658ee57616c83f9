//! `haplat db`: the Aurora global database of the assembly as AWS sees it, and moving its
//! writer to another region.
//!
//! **Where it is.** The assembly's `AWS::RDS::GlobalCluster` (haplat-constructs'
//! `aurora::AuroraGlobal`) names the global database; the template's primary region is the one
//! where the global cluster's `Condition` holds (the `RegionConfig` mapping), and each region's
//! cluster is the `AWS::RDS::DBCluster` of the global database whose condition holds there. The
//! identifiers are the deployed physical ids (`ListStackResources` of each region's stack,
//! [`discover`]), else the template's literal identifiers when a region does not answer.
//!
//! **What AWS says.** `DescribeGlobalClusters`, asked in the regions of the stack set in turn
//! (the primary's may be down), gives each member cluster (its ARN, whether it is the writer,
//! its synchronization) and any switchover or failover under way; CloudWatch's
//! `AuroraGlobalDBReplicationLag` gives each secondary's lag.
//!
//! **Moving the writer** is `SwitchoverGlobalCluster` (planned, no data lost) or
//! `FailoverGlobalCluster` with `AllowDataLoss` (unplanned), asked in the target's region with
//! the target cluster's ARN
//! (<https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_SwitchoverGlobalCluster.html>,
//! <https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_FailoverGlobalCluster.html>),
//! then `DescribeGlobalClusters` is read until the target is the writer and the global cluster is
//! `available` with no failover state, bounded by a timeout, onto a [`Timeline`].
//!
//! **The template's primary** does not follow: the template keeps its primary, which is where
//! the global cluster's resource lives. [`preflight`] makes `haplat deploy` refuse to update the
//! database's stack set while the writer is elsewhere (docs/decisions.md, "Aurora: the writer
//! moves outside the template").

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::assembly::Assembly;
use crate::cfn::{CfnError, CloudFormation};
use crate::database::{Database, GlobalCluster, Promotion};
use crate::error::Error;
use crate::failover::Step;
use crate::health::{Only, Retry, discover, is_unreachable};
use crate::observe::Observe;

const GLOBAL_CLUSTER: &str = "AWS::RDS::GlobalCluster";
const DB_CLUSTER: &str = "AWS::RDS::DBCluster";

/// Where the assembly's global database is, from the template and the deployed stacks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Layout {
    /// The stack set holding it.
    pub stack: String,
    /// The global cluster's construct path.
    pub path: String,
    /// The global cluster's identifier.
    pub id: String,
    /// The template's primary region.
    pub template_primary: String,
    /// The stack set's regions, in the app's order.
    pub regions: Vec<String>,
    /// Each region's cluster identifier.
    pub clusters: BTreeMap<String, String>,
    /// Whether the global cluster's resource is deployed (found in its region's stack).
    pub deployed: bool,
}

/// A `Ref` or `Fn::GetAtt` target, or the literal.
fn ref_or_literal(v: Option<&Value>) -> Option<(bool, &str)> {
    let v = v?;
    if let Some(s) = v.as_str() {
        return Some((false, s));
    }
    v.get("Ref")
        .and_then(Value::as_str)
        .or_else(|| v.pointer("/Fn::GetAtt/0").and_then(Value::as_str))
        .map(|r| (true, r))
}

/// The stack set holding the assembly's global database (the first), and its regions: read from
/// the assembly alone, so that a bad `--to` is refused before AWS is called.
pub fn database_stack(assembly: &Assembly) -> Option<(String, Vec<String>)> {
    assembly
        .manifest
        .stacks
        .iter()
        .find(|s| {
            assembly
                .template(&s.name)
                .json
                .get("Resources")
                .and_then(Value::as_object)
                .is_some_and(|rs| rs.values().any(|r| r.get("Type").and_then(Value::as_str) == Some(GLOBAL_CLUSTER)))
        })
        .map(|s| (s.name.clone(), s.target.regions()))
}

/// The global database of the assembly, `None` when it has none. Refuses an assembly with
/// several (name the stack sets): one global database per app is what `haplat db` handles.
pub async fn locate<C: CloudFormation, O: Observe>(
    cfn: &C,
    obs: &O,
    assembly: &Assembly,
    retry: &Retry,
) -> Result<Option<Layout>, Error> {
    let mut found: Vec<(&haplat_core::manifest::StackManifest, String, &Value)> = Vec::new();
    for stack in &assembly.manifest.stacks {
        let t = &assembly.template(&stack.name).json;
        for (id, r) in t.get("Resources").and_then(Value::as_object).into_iter().flatten() {
            if r.get("Type").and_then(Value::as_str) == Some(GLOBAL_CLUSTER) {
                found.push((stack, id.clone(), r));
            }
        }
    }
    let (stack, logical, resource) = match found.len() {
        0 => return Ok(None),
        1 => found.remove(0),
        _ => {
            return Err(Error::Failed(format!(
                "the assembly has {} Aurora global databases ({}); haplat db handles one",
                found.len(),
                found.iter().map(|(s, id, _)| format!("{id} in {}", s.name)).collect::<Vec<_>>().join(", ")
            )));
        }
    };
    let template = &assembly.template(&stack.name).json;
    let checked =
        haplat_check::StackTemplate { manifest: stack.clone(), template: template.clone(), text: String::new() };
    let regions = stack.target.regions();
    let holds = |r: &Value, region: &str| match r.get("Condition").and_then(Value::as_str) {
        Some(c) => checked.condition_holds(c, region) == Some(true),
        None => true,
    };
    let path = stack.resources.get(&logical).map(|m| m.path.clone()).unwrap_or_else(|| logical.clone());
    let primaries: Vec<&String> = regions.iter().filter(|r| holds(resource, r)).collect();
    let [template_primary] = primaries[..] else {
        return Err(Error::Failed(format!(
            "{path} ({}): the template's primary region cannot be told from its condition (regions where it holds: {})",
            stack.name,
            if primaries.is_empty() {
                "none".to_owned()
            } else {
                primaries.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
            }
        )));
    };
    let literal_id =
        resource.pointer("/Properties/GlobalClusterIdentifier").and_then(Value::as_str).map(str::to_ascii_lowercase);
    // Each region's cluster: a DBCluster of this global database whose condition holds there.
    let members: Vec<(&String, &Value)> = template
        .get("Resources")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(DB_CLUSTER))
        .filter(|(_, r)| match ref_or_literal(r.pointer("/Properties/GlobalClusterIdentifier")) {
            Some((true, target)) => target == logical,
            Some((false, id)) => literal_id.as_deref() == Some(id.to_ascii_lowercase().as_str()),
            None => false,
        })
        .collect();
    let only = Only { stacks: vec![stack.name.clone()], ..Only::default() };
    let deployed = discover(cfn, obs, assembly, &only, &[GLOBAL_CLUSTER, DB_CLUSTER], retry).await?;
    let physical = |region: &str, logical: &str| {
        deployed
            .iter()
            .find(|r| r.region == region)
            .and_then(|r| r.by_logical(&stack.name, logical))
            .and_then(|l| l.physical_id.clone())
    };
    let deployed_id = physical(template_primary, &logical);
    let Some(id) = deployed_id.clone().or(literal_id) else {
        return Err(Error::Failed(format!(
            "{path} ({}): not deployed, and the template gives no literal GlobalClusterIdentifier",
            stack.name
        )));
    };
    let mut clusters = BTreeMap::new();
    for region in &regions {
        let Some((logical, r)) = members.iter().find(|(_, r)| holds(r, region)) else { continue };
        let literal = r.pointer("/Properties/DBClusterIdentifier").and_then(Value::as_str).map(str::to_ascii_lowercase);
        if let Some(cluster) = physical(region, logical).or(literal) {
            clusters.insert(region.clone(), cluster);
        }
    }
    Ok(Some(Layout {
        stack: stack.name.clone(),
        path,
        id,
        template_primary: template_primary.clone(),
        regions,
        clusters,
        deployed: deployed_id.is_some(),
    }))
}

/// The global database as AWS sees it, asked in `first` and then the layout's other regions
/// until one answers; with the region that answered.
async fn read<D: Database>(
    db: &D,
    layout: &Layout,
    first: &str,
    retry: &Retry,
) -> Result<(GlobalCluster, String), Error> {
    let mut order: Vec<&str> = vec![first];
    order.extend(layout.regions.iter().map(String::as_str).filter(|r| *r != first));
    let mut unreachable = Vec::new();
    let mut last = None;
    for region in order {
        match retry.call(|| db.global_cluster(region, &layout.id)).await {
            Ok(Some(g)) => return Ok((g, region.to_owned())),
            Ok(None) => {
                return Err(Error::Failed(format!(
                    "global database {} ({}) does not exist in AWS (DescribeGlobalClusters in {region}): not deployed?",
                    layout.id, layout.path
                )));
            }
            Err(e) if is_unreachable(&e) => {
                unreachable.push(format!("{region}: {e}"));
                last = Some(e);
            }
            Err(e) => {
                return Err(Error::cloud(
                    format!("reading global database {} (DescribeGlobalClusters in {region})", layout.id),
                    e,
                ));
            }
        }
    }
    let context = format!(
        "global database {}: no region of {} answered DescribeGlobalClusters ({})",
        layout.id,
        layout.stack,
        unreachable.join("; ")
    );
    // The last failure keeps its kind (a network failure exits 4); every region's is in the text.
    Err(match last {
        Some(e) => Error::cloud(context, e),
        None => Error::Failed(context),
    })
}

/// One region's cluster in `haplat db status`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionDb {
    /// The region.
    pub region: String,
    /// `primary` or `secondary`, as the template says.
    pub template_role: String,
    /// `writer`, `reader`, or `not a member` (AWS).
    pub role: String,
    /// The cluster identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The member's synchronization status, when AWS gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub synchronization: Option<String>,
    /// Global write forwarding, when AWS gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_forwarding: Option<String>,
    /// A reader's replication lag in milliseconds (`AuroraGlobalDBReplicationLag`), when
    /// CloudWatch has a datapoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_ms: Option<f64>,
}

/// `haplat db status`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DbStatus {
    /// Where the database is.
    pub layout: Layout,
    /// The global cluster's status (`available`, `switching-over`…).
    pub status: String,
    /// The global writer endpoint, when AWS gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// The writer's region (AWS).
    pub writer: Option<String>,
    /// Whether the writer is the template's primary.
    pub agrees: bool,
    /// A switchover or failover under way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failover: Option<crate::database::FailoverState>,
    /// Per region of the stack set, and any member outside them.
    pub regions: Vec<RegionDb>,
}

/// What is about to change the database's stack set, for [`preflight`] and [`remedy`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// `haplat deploy`: the template would act on the old primary's cluster as the writer.
    Deploy,
    /// `haplat destroy`: it deletes the template's secondaries first, and RDS refuses to delete
    /// a writer that still has secondaries.
    Destroy,
}

/// What to do when the writer is not the template's primary: one line.
pub fn remedy(layout: &Layout, writer: &str, change: Change) -> String {
    let switch = format!("`haplat db switchover --to {}`", layout.template_primary);
    let head = format!(
        "the writer of global database {} is {writer}, the template's primary is {}",
        layout.id, layout.template_primary
    );
    match change {
        Change::Deploy => format!(
            "{head}: switch back before deploying stack set {} ({switch}), or deploy only the other stack sets (`haplat deploy STACK…`)",
            layout.stack
        ),
        Change::Destroy => format!(
            "{head}: switch back before destroying stack set {} ({switch}); destroy deletes the template's secondaries first and RDS refuses to delete a writer that still has secondaries",
            layout.stack
        ),
    }
}

/// Reads the global database's members and compares the writer with the template's primary.
pub async fn status<D: Database>(db: &D, layout: &Layout, retry: &Retry) -> Result<DbStatus, Error> {
    let (g, _) = read(db, layout, &layout.template_primary, retry).await?;
    let writer = g.writer().and_then(|m| m.region()).map(str::to_owned);
    let mut regions = Vec::new();
    let mut seen = Vec::new();
    for region in &layout.regions {
        let member = g.member_in(region);
        seen.push(region.clone());
        let cluster = member
            .and_then(|m| m.cluster_identifier())
            .map(str::to_owned)
            .or_else(|| layout.clusters.get(region).cloned());
        let role = match member {
            Some(m) if m.is_writer => "writer",
            Some(_) => "reader",
            None => "not a member",
        };
        // A reader's lag; a failed read is no datapoint, not a failure of the command.
        let lag_ms = match (member, &cluster) {
            (Some(m), Some(c)) if !m.is_writer => retry.call(|| db.replication_lag_ms(region, c)).await.ok().flatten(),
            _ => None,
        };
        regions.push(RegionDb {
            region: region.clone(),
            template_role: if *region == layout.template_primary { "primary" } else { "secondary" }.to_owned(),
            role: role.to_owned(),
            cluster,
            synchronization: member.and_then(|m| m.synchronization.clone()),
            write_forwarding: member.and_then(|m| m.write_forwarding.clone()),
            lag_ms,
        });
    }
    for m in &g.members {
        let Some(region) = m.region() else { continue };
        if seen.iter().any(|r| r == region) {
            continue;
        }
        regions.push(RegionDb {
            region: region.to_owned(),
            template_role: "not in the app".to_owned(),
            role: if m.is_writer { "writer" } else { "reader" }.to_owned(),
            cluster: m.cluster_identifier().map(str::to_owned),
            synchronization: m.synchronization.clone(),
            write_forwarding: m.write_forwarding.clone(),
            lag_ms: None,
        });
    }
    Ok(DbStatus {
        agrees: writer.as_deref() == Some(layout.template_primary.as_str()),
        layout: layout.clone(),
        status: g.status.clone(),
        endpoint: g.endpoint.clone(),
        writer,
        failover: g.failover.clone(),
        regions,
    })
}

impl DbStatus {
    /// As text: a line per region, then the verdict.
    pub fn text(&self) -> String {
        let mut out = format!(
            "global database {} ({}, stack set {}): {}\n",
            self.layout.id, self.layout.path, self.layout.stack, self.status
        );
        if let Some(e) = &self.endpoint {
            out.push_str(&format!("  writer endpoint {e}\n"));
        }
        if let Some(f) = &self.failover {
            out.push_str(&format!(
                "  {} under way ({}): {} → {}\n",
                if f.data_loss_allowed { "failover" } else { "switchover" },
                f.status,
                f.from_arn.as_deref().unwrap_or("?"),
                f.to_arn.as_deref().unwrap_or("?")
            ));
        }
        for r in &self.regions {
            let mut line = format!("  {:<15} {:<12} template: {:<10}", r.region, r.role, r.template_role);
            if let Some(c) = &r.cluster {
                line.push_str(&format!(" cluster {c}"));
            }
            if let Some(s) = &r.synchronization {
                line.push_str(&format!(", {s}"));
            }
            if let Some(w) = &r.write_forwarding {
                line.push_str(&format!(", write forwarding {w}"));
            }
            if let Some(l) = r.lag_ms {
                line.push_str(&format!(", lag {l:.0} ms"));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        match (&self.writer, self.agrees) {
            (Some(w), true) => out.push_str(&format!("the writer is {w}, the template's primary: they agree\n")),
            (Some(w), false) => out.push_str(&format!("DISAGREE: {}\n", remedy(&self.layout, w, Change::Deploy))),
            (None, _) => out.push_str(&format!(
                "DISAGREE: global database {} has no writer now (a failover under way?); the template's primary is {}\n",
                self.layout.id, self.layout.template_primary
            )),
        }
        out
    }
}

/// A switchover's or failover's steps and outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timeline {
    /// The steps.
    pub steps: Vec<Step>,
    /// Whether the target became the writer, `available`, before the timeout.
    pub settled: bool,
    /// Seconds from the request to the target being the writer (when it was).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_seconds: Option<u64>,
    /// The environment's `dbFailoverSeconds`, when it declares one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objective_seconds: Option<u32>,
    /// Whether the move took longer than the objective.
    pub objective_missed: bool,
}

impl Timeline {
    fn push(&mut self, start: tokio::time::Instant, what: impl Into<String>) {
        Step::record(&mut self.steps, start, what);
    }

    /// As text.
    pub fn text(&self) -> String {
        Step::lines(&self.steps)
    }
}

/// How long to wait for the new writer, and how often to look.
#[derive(Clone, Debug)]
pub struct Wait {
    /// The longest wait.
    pub timeout: Duration,
    /// Between two reads.
    pub poll: Duration,
}

impl Default for Wait {
    fn default() -> Wait {
        Wait { timeout: Duration::from_secs(1800), poll: Duration::from_secs(15) }
    }
}

fn describe(g: &GlobalCluster) -> String {
    let writer = g.writer().and_then(|m| m.region()).unwrap_or("none");
    match &g.failover {
        Some(f) => format!("status {}, writer {writer}, failover state {}", g.status, f.status),
        None => format!("status {}, writer {writer}", g.status),
    }
}

/// Moves the writer to `to`: checks (region of the stack set, a member there, not the writer
/// already, nothing under way), asks RDS, waits until `to` is the writer and the global cluster
/// is settled, and measures it against `objective_seconds`. Nothing is asked of RDS but reads
/// when a check refuses.
pub async fn promote<D: Database>(
    db: &D,
    layout: &Layout,
    to: &str,
    how: Promotion,
    wait: &Wait,
    objective_seconds: Option<u32>,
    retry: &Retry,
) -> Result<Timeline, Error> {
    let start = tokio::time::Instant::now();
    if !layout.regions.iter().any(|r| r == to) {
        return Err(Error::Usage(format!(
            "--to {to}: not a region of stack set {}, which holds global database {} (regions: {})",
            layout.stack,
            layout.id,
            layout.regions.join(", ")
        )));
    }
    let (g, _) = read(db, layout, to, retry).await?;
    let Some(target) = g.member_in(to).cloned() else {
        return Err(Error::Refused(format!(
            "--to {to}: global database {} has no member cluster in {to} (members: {}); nothing was changed",
            layout.id,
            g.members.iter().filter_map(|m| m.region()).collect::<Vec<_>>().join(", ")
        )));
    };
    if target.is_writer {
        return Err(Error::Refused(format!(
            "--to {to}: {to} is already the writer of global database {}; nothing was changed",
            layout.id
        )));
    }
    if !g.is_settled() {
        return Err(Error::Refused(format!(
            "global database {} is busy ({}); nothing was changed: wait until it is available and retry",
            layout.id,
            describe(&g)
        )));
    }
    let mut timeline = Timeline { objective_seconds, ..Timeline::default() };
    timeline.push(start, format!("global database {}: {}", layout.id, describe(&g)));
    let call = match how {
        Promotion::Switchover => "SwitchoverGlobalCluster",
        Promotion::Failover => "FailoverGlobalCluster with AllowDataLoss",
    };
    match retry.call(|| db.promote(to, &layout.id, &target.arn, how)).await {
        Ok(()) => {}
        Err(CfnError::Service { code, message })
            if code == "InvalidGlobalClusterStateFault" || code == "InvalidDBClusterStateFault" =>
        {
            return Err(Error::Refused(format!(
                "RDS refused the {} of global database {} to {to}: {code}: {message}; nothing was changed",
                how.as_str(),
                layout.id
            )));
        }
        Err(e) => return Err(Error::cloud(format!("{call} of global database {} to {to} (in {to})", layout.id), e)),
    }
    let asked = tokio::time::Instant::now();
    timeline.push(start, format!("{call} to {} ({to}) requested", target.arn));
    let mut last = String::new();
    loop {
        tokio::time::sleep(wait.poll).await;
        match read(db, layout, to, retry).await {
            Ok((g, _)) => {
                let now = describe(&g);
                if now != last {
                    timeline.push(start, format!("global database {}: {now}", layout.id));
                    last = now;
                }
                if g.writer().and_then(|m| m.region()) == Some(to) && g.is_settled() {
                    let took = asked.elapsed().as_secs();
                    timeline.settled = true;
                    timeline.elapsed_seconds = Some(took);
                    timeline.push(start, format!("{to} is the writer; the {} took {took} s", how.as_str()));
                    if let Some(o) = objective_seconds {
                        timeline.objective_missed = took > u64::from(o);
                        timeline.push(
                            start,
                            format!(
                                "objective dbFailoverSeconds {o} s: {}",
                                if timeline.objective_missed { "missed" } else { "met" }
                            ),
                        );
                    }
                    if to != layout.template_primary {
                        timeline.push(start, remedy(layout, to, Change::Deploy));
                    }
                    return Ok(timeline);
                }
            }
            Err(e) => timeline.push(start, format!("could not read the global database: {e}")),
        }
        if asked.elapsed() + wait.poll > wait.timeout {
            timeline.push(
                start,
                format!(
                    "gave up waiting after {} s (--timeout): {to} is not the writer yet; the {} goes on in RDS \
                     (`haplat db status`)",
                    wait.timeout.as_secs(),
                    how.as_str()
                ),
            );
            return Ok(timeline);
        }
    }
}

/// Before a deploy or destroy that changes the database's stack set: the refusal (one line) when
/// the writer is not the template's primary; `None` when they agree, when the global database is
/// not deployed yet, when `stacks` leave its stack set alone, or for a deploy when
/// `leaves_database` says the change to its stack set sends no database resource anything (a
/// note on stderr names the writer then). A read of AWS that fails (denied, throttled past the
/// retries, unreachable) is that error when the change touches the database's resources (the
/// writer may have moved, and the change would move it back) and a warning on stderr otherwise;
/// what cannot be told without AWS (the database not deployed yet) is a warning.
#[allow(clippy::too_many_arguments)]
pub async fn preflight<C: CloudFormation, O: Observe, D: Database>(
    cfn: &C,
    obs: &O,
    db: &D,
    assembly: &Assembly,
    stacks: &[String],
    change: Change,
    leaves_database: &dyn Fn(&str) -> bool,
    retry: &Retry,
) -> Result<Option<String>, Error> {
    // Whether this change sends the database's resources anything: without the writer, only a
    // change that does not may go ahead.
    let touched = database_stack(assembly)
        .is_some_and(|(stack, _)| stacks.contains(&stack) && !(change == Change::Deploy && leaves_database(&stack)));
    let unchecked = |e: Error| match e {
        Error::Cloud { context, source } if touched => Err(Error::Cloud {
            context: format!(
                "{context}; the Aurora writer was not checked, and this {} changes the global database's stack \
                 set, which would move the writer back if it has moved: nothing was changed, run it again",
                match change {
                    Change::Deploy => "deploy",
                    Change::Destroy => "destroy",
                }
            ),
            source,
        }),
        e => {
            crate::errln!("warning: the Aurora writer was not checked: {e}");
            Ok(None)
        }
    };
    let layout = match locate(cfn, obs, assembly, retry).await {
        Ok(Some(l)) if l.deployed && stacks.contains(&l.stack) => l,
        Ok(_) => return Ok(None),
        Err(e) => return unchecked(e),
    };
    match status(db, &layout, retry).await {
        Ok(s) if s.agrees => Ok(None),
        // A deploy that leaves every database resource as deployed sends RDS nothing: it goes
        // ahead, and says where the writer is.
        Ok(s) if change == Change::Deploy && s.writer.is_some() && leaves_database(&layout.stack) => {
            let writer = s.writer.as_deref().unwrap_or_default();
            crate::errln!(
                "note: the writer of global database {} is {writer}, the template's primary is {}; this deploy \
                 leaves the database's resources of stack set {} as they are (switch back with `haplat db \
                 switchover --to {}`)",
                layout.id,
                layout.template_primary,
                layout.stack,
                layout.template_primary
            );
            Ok(None)
        }
        Ok(s) => Ok(Some(match &s.writer {
            Some(w) => format!("{}; nothing was changed", remedy(&layout, w, change)),
            None => format!(
                "global database {} has no writer now ({}); nothing was changed: wait for it (`haplat db status`)",
                layout.id, s.status
            ),
        })),
        Err(e) => unchecked(e),
    }
}
