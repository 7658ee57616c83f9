//! [`NodeId`]: the index of a node of the construct tree. A module of its own, below
//! [`crate::value`], [`crate::resource`] and [`crate::app`], so that each of them can name
//! nodes without importing the one above it.

/// A node of the construct tree: a stack, a scope, a resource or a parameter, of one app. A
/// node of another [`App`](crate::app::App) is told apart by its app, so a handle passed to the
/// wrong app is an error naming it, never another app's resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId {
    pub(crate) app: u32,
    pub(crate) index: u32,
}

impl NodeId {
    /// The node's index in its app (stable for one run of one program).
    pub fn index(self) -> usize {
        self.index as usize
    }
}
