//! `haplat graph`.

use clap::{Args, ValueEnum};

use super::args::AssemblyArgs;
use crate::error::{Error, exit};
use crate::ops::{GraphFormat, GraphOptions, graph};

/// Picture formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Mermaid (`flowchart LR`), which GitHub renders in markdown and pull-request comments.
    #[default]
    Mermaid,
    /// Graphviz DOT.
    Dot,
    /// A self-contained SVG (no Graphviz needed).
    Svg,
}

/// `haplat graph [--format mermaid|dot|svg] [--resources STACK]`
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Where the assembly comes from.
    #[command(flatten)]
    pub assembly: AssemblyArgs,
    /// The picture's format (written to stdout).
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Draw one stack's resources and their references (its id, `Api`, or name).
    #[arg(long, value_name = "STACK")]
    pub resources: Option<String>,
}

/// Runs `graph`.
pub fn run(args: GraphArgs) -> Result<u8, Error> {
    let format = match args.format {
        Format::Mermaid => GraphFormat::Mermaid,
        Format::Dot => GraphFormat::Dot,
        Format::Svg => GraphFormat::Svg,
    };
    graph(&GraphOptions { source: args.assembly.source(), format, resources: args.resources })?;
    Ok(exit::OK)
}
