//! `haplat drill`: the region's FIS experiment templates listed, or one run and measured
//! against the app's failover objective ([`crate::drill`]).

use std::time::Duration;

use crate::drill::{DrillOptions as Run, DrillReport, drill as run, list, list_text, routing_seconds, text};
use crate::error::Error;
use crate::health::Retry;
use crate::ops::input::{AssemblySource, AwsAccess};

/// What `drill` does.
#[derive(Clone, Debug, Default)]
pub struct DrillOptions {
    /// The experiment (its `Name` tag, logical id or construct path); none lists them.
    pub experiment: Option<String>,
    /// The region.
    pub region: String,
    /// Stop the experiment after this long.
    pub max_duration: Duration,
    /// After the experiment ends, how long to wait for the region to recover.
    pub recovery: Duration,
    /// Where the assembly comes from.
    pub source: AssemblySource,
    /// How to reach AWS.
    pub aws: AwsAccess,
    /// Print JSON instead of text.
    pub json: bool,
}

/// Lists the experiments (`None`) or runs one (its report).
pub async fn drill(opts: &DrillOptions) -> Result<Option<DrillReport>, Error> {
    let assembly = opts.source.load()?;
    let aws = opts.aws.connect().await?;
    let retry = Retry::default();
    let Some(experiment) = &opts.experiment else {
        let templates = list(&aws, &aws, &assembly, &opts.region, &retry).await?;
        if opts.json {
            crate::outln!("{}", serde_json::to_string_pretty(&templates).expect("templates serialize"));
        } else {
            crate::out!("{}", list_text(&opts.region, &templates));
        }
        return Ok(None);
    };
    // An experiment runs: a closed stdout must not leave it running unwatched.
    crate::output::finish_on_broken_pipe();
    let run_opts = Run {
        region: opts.region.clone(),
        experiment: experiment.clone(),
        max_duration: opts.max_duration,
        poll: Duration::from_secs(10),
        recovery: opts.recovery,
    };
    let interrupt = async {
        // Ctrl-C stops the experiment (StopExperiment), then the drill reports.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let report = run(&aws, &aws, &assembly, &run_opts, routing_seconds(&assembly), interrupt, &retry).await?;
    if opts.json {
        crate::outln!("{}", serde_json::to_string_pretty(&report).expect("a drill report serializes"));
    } else {
        crate::out!("{}", text(&report));
    }
    Ok(Some(report))
}
