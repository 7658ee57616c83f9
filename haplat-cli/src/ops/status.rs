//! `haplat status`: each stack set's last operation and each instance's status per region.

use crate::assembly::Assembly;
use crate::cfn::CloudFormation;
use crate::error::Error;
use crate::ops::input::{AssemblySource, AwsAccess};

/// What `status` shows.
#[derive(Clone, Debug, Default)]
pub struct StatusOptions {
    /// Only these stack sets (default: the assembly's, or every stack set when there is no
    /// assembly).
    pub stacks: Vec<String>,
    /// Where the assembly comes from (never synthesized here).
    pub source: AssemblySource,
    /// How to reach AWS.
    pub aws: AwsAccess,
    /// Print JSON instead of text.
    pub json: bool,
}

/// Prints the status, as text or JSON.
pub async fn status(opts: &StatusOptions) -> Result<(), Error> {
    let aws = opts.aws.connect().await?;
    let mut names = opts.stacks.clone();
    if names.is_empty() {
        let (project, _) = opts.source.app_run(false)?;
        match Assembly::load(&project.out_dir(opts.source.out.as_deref())) {
            Ok(a) => names = a.manifest.stacks.iter().map(|s| s.name.clone()).collect(),
            Err(_) => names = aws.list_stack_sets().await.map_err(|e| Error::cloud("listing stack sets", e))?,
        }
    }
    let report = status_report(&aws, &names).await?;
    if opts.json {
        let mut text = serde_json::to_string_pretty(&report).expect("a status serializes");
        text.push('\n');
        crate::out!("{text}");
    } else {
        crate::out!("{}", status_text(&report));
    }
    Ok(())
}

/// One stack set's status.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StackSetStatus {
    /// The stack set.
    pub name: String,
    /// Whether it exists.
    pub deployed: bool,
    /// Its last operation.
    pub last_operation: Option<OperationStatus>,
    /// Its instances, by region.
    pub instances: Vec<InstanceStatus>,
}

/// A stack set operation's status.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationStatus {
    /// `CREATE`, `UPDATE`, `DELETE`…
    pub action: String,
    /// `SUCCEEDED`, `FAILED`, `RUNNING`…
    pub status: String,
    /// The operation id.
    pub id: String,
    /// Why it ended so, when AWS says.
    pub reason: Option<String>,
}

/// A stack instance's status.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceStatus {
    /// The region.
    pub region: String,
    /// `CURRENT`, `OUTDATED`, `INOPERABLE`.
    pub status: String,
    /// The detailed status (`SUCCEEDED`, `FAILED`…), when AWS gives one.
    pub detailed: Option<String>,
    /// Why, when AWS says.
    pub reason: Option<String>,
}

/// Reads the status of the stack sets named.
pub async fn status_report<C: CloudFormation>(cfn: &C, names: &[String]) -> Result<Vec<StackSetStatus>, Error> {
    let mut out = Vec::new();
    for name in names {
        let ctx = |what: &str| format!("{what} of stack set {name}");
        let Some(_) = cfn.describe_stack_set(name).await.map_err(|e| Error::cloud(ctx("reading"), e))? else {
            out.push(StackSetStatus {
                name: name.clone(),
                deployed: false,
                last_operation: None,
                instances: Vec::new(),
            });
            continue;
        };
        let ops = cfn.list_operations(name).await.map_err(|e| Error::cloud(ctx("listing operations"), e))?;
        let last_operation = ops.first().map(|o| OperationStatus {
            action: o.action.to_string(),
            status: o.status.to_string(),
            id: o.id.clone(),
            reason: o.status_reason.clone(),
        });
        let instances = cfn
            .list_stack_instances(name)
            .await
            .map_err(|e| Error::cloud(ctx("listing instances"), e))?
            .into_iter()
            .map(|i| InstanceStatus {
                region: i.region,
                status: i.status.to_string(),
                detailed: i.detailed_status.map(|d| d.to_string()),
                reason: i.status_reason,
            })
            .collect();
        out.push(StackSetStatus { name: name.clone(), deployed: true, last_operation, instances });
    }
    Ok(out)
}

/// The status as text: a block per stack set.
pub fn status_text(report: &[StackSetStatus]) -> String {
    let mut out = String::new();
    for s in report {
        let name = &s.name;
        if !s.deployed {
            out.push_str(&format!("stack set {name}: not deployed\n"));
            continue;
        }
        out.push_str(&format!("stack set {name}\n"));
        match &s.last_operation {
            Some(o) => out.push_str(&format!(
                "  last operation: {} {} ({}){}\n",
                o.action,
                o.status,
                o.id,
                o.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
            )),
            None => out.push_str("  no operation yet\n"),
        }
        if s.instances.is_empty() {
            out.push_str("  no stack instances\n");
        }
        for i in &s.instances {
            out.push_str(&format!(
                "  {:<16} {:<10} {}{}\n",
                i.region,
                i.status,
                i.detailed.clone().unwrap_or_default(),
                i.reason.as_deref().map(|r| format!("  {r}")).unwrap_or_default()
            ));
        }
    }
    out
}
