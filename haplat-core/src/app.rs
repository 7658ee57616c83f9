//! The construct tree.

/// A node of the construct tree: a stack, a scope, a resource or a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub(crate) u32);

impl NodeId {
    /// The node's index in its app (stable for one run of one program).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}
