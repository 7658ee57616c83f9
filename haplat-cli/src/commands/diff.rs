//! `haplat diff`.

use std::path::PathBuf;

use clap::Args;

use super::{AssemblyArgs, AwsArgs};
use crate::assembly::Assembly;
use crate::error::{Error, exit};
use crate::events::Collect;
use crate::executor::{Executor, Waits};
use crate::plan::{PlanOptions, plan_deploy};
use crate::state::{StackDiff, diff_assemblies, diff_deployed};

/// `haplat diff [STACK…] [--fail] [--against DIR]`
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Only these stacks (all when none).
    pub stacks: Vec<String>,
    /// Exit with code 3 when anything differs.
    #[arg(long)]
    pub fail: bool,
    /// Compare with another assembly directory instead of what is deployed (offline).
    #[arg(long, value_name = "DIR")]
    pub against: Option<PathBuf>,
    /// Only these regions (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "REGION")]
    pub regions: Vec<String>,
    /// Where the assembly comes from.
    #[command(flatten)]
    pub assembly: AssemblyArgs,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// The diff as text, and whether anything differs.
pub fn render(diffs: &[StackDiff]) -> (String, bool) {
    let mut out = String::new();
    for d in diffs {
        d.render(&mut out);
    }
    let differ = diffs.iter().filter(|d| !d.is_empty()).count();
    if differ == 0 {
        out.push_str("no differences\n");
    } else {
        out.push_str(&format!("{differ} of {} stack set(s) differ\n", diffs.len()));
    }
    (out, differ > 0)
}

/// Runs `diff`.
pub async fn run(args: DiffArgs) -> Result<u8, Error> {
    let assembly = args.assembly.load()?;
    let diffs = match &args.against {
        Some(dir) => {
            let old = Assembly::load(dir)?;
            assembly.select(&args.stacks)?;
            diff_assemblies(&old, &assembly, &args.stacks)
        }
        None => {
            let plan = plan_deploy(
                &assembly,
                &PlanOptions { stacks: args.stacks.clone(), regions: args.regions.clone(), ..Default::default() },
            )?;
            let aws = args.aws.connect().await?;
            let bootstrap = crate::bootstrap::read(&aws, aws.region()).await?;
            let sink = Collect::default();
            let exec = Executor::new(&aws, &sink, Waits::default());
            diff_deployed(&exec, &assembly, &plan, bootstrap.as_ref())
                .await
                .map_err(|e| super::deploy::exec_error("diff", e, &exec, &[]))?
        }
    };
    let (text, differ) = render(&diffs);
    crate::out!("{text}");
    Ok(if differ && args.fail { exit::DIFFERENCES } else { exit::OK })
}
