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
}

/// Prints the status.
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
    crate::out!("{}", status_text(&aws, &names).await?);
    Ok(())
}

/// The status text of the stack sets named.
pub async fn status_text<C: CloudFormation>(cfn: &C, names: &[String]) -> Result<String, Error> {
    let mut out = String::new();
    for name in names {
        let ctx = |what: &str| format!("{what} of stack set {name}");
        let Some(_) = cfn.describe_stack_set(name).await.map_err(|e| Error::cloud(ctx("reading"), e))? else {
            out.push_str(&format!("stack set {name}: not deployed\n"));
            continue;
        };
        out.push_str(&format!("stack set {name}\n"));
        let ops = cfn.list_operations(name).await.map_err(|e| Error::cloud(ctx("listing operations"), e))?;
        match ops.first() {
            Some(o) => out.push_str(&format!(
                "  last operation: {} {} ({}){}\n",
                o.action,
                o.status,
                o.id,
                o.status_reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
            )),
            None => out.push_str("  no operation yet\n"),
        }
        let instances = cfn.list_stack_instances(name).await.map_err(|e| Error::cloud(ctx("listing instances"), e))?;
        if instances.is_empty() {
            out.push_str("  no stack instances\n");
        }
        for i in instances {
            out.push_str(&format!(
                "  {:<16} {:<10} {}{}\n",
                i.region,
                i.status,
                i.detailed_status.map(|d| d.to_string()).unwrap_or_default(),
                i.status_reason.map(|r| format!("  {r}")).unwrap_or_default()
            ));
        }
    }
    Ok(out)
}
