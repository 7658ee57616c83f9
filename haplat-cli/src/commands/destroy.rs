//! `haplat destroy`.

use clap::Args;

use super::{AssemblyArgs, AwsArgs, confirm};
use crate::error::{Error, exit};
use crate::events::{Event, Sink};
use crate::executor::{Executor, Waits};
use crate::plan::plan_destroy;
use crate::progress::Progress;

/// `haplat destroy [STACK…] [--yes]`
#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Only these stacks (all when none).
    pub stacks: Vec<String>,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Plain progress lines even on a terminal.
    #[arg(long)]
    pub plain: bool,
    /// Where the assembly comes from.
    #[command(flatten)]
    pub assembly: AssemblyArgs,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Runs `destroy`.
pub async fn run(args: DestroyArgs) -> Result<u8, Error> {
    // A closed stdout must not stop the destroy half-way.
    crate::output::finish_on_broken_pipe();
    let assembly = args.assembly.load()?;
    let order = plan_destroy(&assembly, &args.stacks)?;
    let aws = args.aws.connect().await?;
    if !args.yes {
        confirm(&format!("delete stack sets {} and every instance", order.join(", ")), "--yes")?;
    }
    let progress = Progress::new(args.plain);
    let exec = Executor::new(&aws, &progress, Waits::default());
    let absent = exec.destroy(&order).await.map_err(|e| super::deploy::exec_error("destroy", e, &exec, &[]))?;
    // Retained resources stay in the account: say so, per region.
    let mut kept = 0;
    for name in order.iter().filter(|n| !absent.contains(n)) {
        let s = assembly.manifest.stack(name).expect("planned");
        for (id, r) in s.resources.iter().filter(|(_, r)| matches!(r.deletion_policy.as_str(), "Retain" | "RetainExceptOnCreate" | "Snapshot")) {
            for region in s.target.regions() {
                kept += 1;
                progress.emit(Event::Kept {
                    stack: name.clone(),
                    region,
                    logical_id: id.clone(),
                    type_name: r.type_name.clone(),
                    path: r.path.clone(),
                });
            }
        }
    }
    drop(progress);
    let deleted = order.len() - absent.len();
    crate::outln!("destroyed {deleted} stack set(s){}", if absent.is_empty() { String::new() } else { format!("; not deployed: {}", absent.join(", ")) });
    if kept > 0 {
        crate::outln!("{kept} retained resource(s) kept in the account (listed above); delete them by hand when no longer needed");
    }
    Ok(exit::OK)
}
