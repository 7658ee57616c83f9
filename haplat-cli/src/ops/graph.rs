//! `haplat graph`: the platform as a picture (Mermaid, DOT or SVG, see [`crate::graph`]), or
//! one stack's resources and their references.

use crate::error::Error;
use crate::graph;
use crate::ops::input::AssemblySource;

/// The picture's format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GraphFormat {
    /// Mermaid, which GitHub renders in markdown.
    #[default]
    Mermaid,
    /// Graphviz DOT.
    Dot,
    /// A self-contained SVG.
    Svg,
}

/// What `graph` draws.
#[derive(Clone, Debug, Default)]
pub struct GraphOptions {
    /// Where the assembly comes from.
    pub source: AssemblySource,
    /// The format.
    pub format: GraphFormat,
    /// Draw this stack's resources (its construct id or stack name) instead of the platform.
    pub resources: Option<String>,
}

/// Draws the graph on stdout.
pub fn graph(opts: &GraphOptions) -> Result<(), Error> {
    let assembly = opts.source.load()?;
    let g = match &opts.resources {
        None => graph::platform(&assembly.manifest),
        Some(stack) => {
            let Some(s) = assembly.manifest.stacks.iter().find(|s| &s.id == stack || &s.name == stack) else {
                let known: Vec<&str> = assembly.manifest.stacks.iter().map(|s| s.id.as_str()).collect();
                return Err(Error::Usage(format!(
                    "--resources {stack}: no such stack (the stacks: {})",
                    known.join(", ")
                )));
            };
            graph::resources(&s.name, &assembly.template(&s.name).json)
                .ok_or_else(|| Error::Failed(format!("stack {}: its template has no Resources", s.name)))?
        }
    };
    let text = match opts.format {
        GraphFormat::Mermaid => graph::mermaid(&g),
        GraphFormat::Dot => graph::dot(&g),
        GraphFormat::Svg => graph::svg(&g),
    };
    crate::out!("{text}");
    Ok(())
}
