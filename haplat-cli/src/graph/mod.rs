//! `haplat graph`: the platform as a picture. [`Graph`] is what is drawn — boxes grouped in
//! rows, placed in columns, and labelled arrows between them — built from the manifest (every
//! stack instance in its region row and wave column, a stack set spanning its regions, the
//! bindings as arrows labelled with what they carry) or from one template (its resources in
//! columns by reference depth, their `Ref`/`Fn::GetAtt`/`Fn::Sub`/`DependsOn` as arrows). Three
//! renderers draw it: [`mermaid`] (GitHub renders it in markdown and pull-request comments),
//! [`dot`] (Graphviz) and [`svg`] (self-contained, laid out here, no Graphviz needed).

mod dot;
mod mermaid;
mod model;
mod svg;

pub use dot::dot;
pub use mermaid::mermaid;
pub use model::{Edge, End, Graph, Node, platform, resources};
pub use svg::svg;
