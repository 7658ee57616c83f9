//! `haplat status`.

use clap::Args;

use super::{AssemblyArgs, AwsArgs};
use crate::cfn::CloudFormation;
use crate::error::{Error, exit};

/// `haplat status [STACK…]`
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Only these stack sets (default: the assembly's, or every stack set when there is no
    /// assembly).
    pub stacks: Vec<String>,
    /// Where the assembly comes from (never synthesized here).
    #[command(flatten)]
    pub assembly: AssemblyArgs,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Runs `status`.
pub async fn run(args: StatusArgs) -> Result<u8, Error> {
    let aws = args.aws.connect().await?;
    let mut names = args.stacks.clone();
    if names.is_empty() {
        let (project, _) = args.assembly.synth_options(false)?;
        match crate::assembly::Assembly::load(&project.out_dir(args.assembly.out.as_deref())) {
            Ok(a) => names = a.manifest.stacks.iter().map(|s| s.name.clone()).collect(),
            Err(_) => names = aws.list_stack_sets().await.map_err(|e| Error::cloud("listing stack sets", e))?,
        }
    }
    crate::out!("{}", status(&aws, &names).await?);
    Ok(exit::OK)
}

/// The status text of the stack sets named.
pub async fn status<C: CloudFormation>(cfn: &C, names: &[String]) -> Result<String, Error> {
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
                i.detailed_status.unwrap_or_default(),
                i.status_reason.map(|r| format!("  {r}")).unwrap_or_default()
            ));
        }
    }
    Ok(out)
}
