//! The one error type of haplat-core. Every variant names the construct path (or stack) it is
//! about and says what would be right; [`Errors`] carries all the problems of one synthesis.

use std::fmt;

/// A problem found while building or synthesizing an app.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum Error {
    /// The app's name cannot prefix CloudFormation stack names.
    #[error("app name {name:?} is invalid: {why}")]
    InvalidAppName {
        /// The name given.
        name: String,
        /// What is wrong and what would be right.
        why: String,
    },
    /// A construct id that cannot be used.
    #[error("{path}: invalid id: {why}")]
    InvalidId {
        /// The path the id would have made.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// Two children of one parent with the same id.
    #[error("{path}: duplicate id: another construct under the same parent already has this id; choose a unique one")]
    DuplicateId {
        /// The duplicated path.
        path: String,
    },
    /// A stack's name is not one CloudFormation accepts.
    #[error("stack {stack}: name {name:?} is invalid: {why}")]
    InvalidStackName {
        /// The stack's construct id.
        stack: String,
        /// The name.
        name: String,
        /// What is wrong.
        why: String,
    },
    /// A region that does not exist, or a stack with none.
    #[error("stack {stack}: {message}")]
    Region {
        /// The stack's construct id.
        stack: String,
        /// What is wrong with its regions.
        message: String,
    },
    /// A resource's properties break a rule of its type.
    #[error("{path} ({type_name}): property {property}: {message}")]
    Property {
        /// The construct path of the resource.
        path: String,
        /// Its CloudFormation type.
        type_name: String,
        /// The property path (`LoadBalancerAttributes.0.Key`).
        property: String,
        /// What is wrong.
        message: String,
    },
    /// `Fn::GetAtt` with an attribute the type does not have.
    #[error("{path}: {type_name} has no attribute {attribute:?} (it has: {known})")]
    UnknownAttribute {
        /// The path of the resource read.
        path: String,
        /// Its type.
        type_name: String,
        /// The attribute asked for.
        attribute: String,
        /// The attributes it has.
        known: String,
    },
    /// A reference that cannot be made.
    #[error("{path}: {message}")]
    Reference {
        /// The path of the node that holds the reference.
        path: String,
        /// What is wrong and what would be right.
        message: String,
    },
    /// Stacks whose references form a cycle.
    #[error("reference cycle between stacks: {cycle}; move one of these resources so that references go one way")]
    Cycle {
        /// The references on the cycle, `consumer path -> producer path` each.
        cycle: String,
    },
    /// Two resources of one stack would get the same logical id.
    #[error("{path}: logical id {logical_id:?} is also used by {other}; give one of them another id")]
    LogicalIdClash {
        /// One path.
        path: String,
        /// The other path.
        other: String,
        /// The logical id.
        logical_id: String,
    },
    /// A logical id written by hand that CloudFormation would reject.
    #[error("{path}: logical id {logical_id:?} is invalid: use 1 to 255 ASCII letters and digits")]
    InvalidLogicalId {
        /// The path.
        path: String,
        /// The id.
        logical_id: String,
    },
    /// A template over one of CloudFormation's limits.
    #[error("stack {stack}: {what} is {actual}, over CloudFormation's limit of {limit}; split the stack")]
    Limit {
        /// The stack's construct id.
        stack: String,
        /// What is counted.
        what: &'static str,
        /// How many there are.
        actual: usize,
        /// The limit.
        limit: usize,
    },
    /// A name used by `Ref`, `Fn::If`, `Condition` or `Fn::FindInMap` that the template lacks.
    #[error("{path}: {kind} {name:?} is not defined in stack {stack}")]
    UndefinedName {
        /// The path of the node that uses it.
        path: String,
        /// The stack.
        stack: String,
        /// `logical name`, `condition` or `mapping`.
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// A problem a construct reported about its own inputs.
    #[error("{path}: {message}")]
    Construct {
        /// The construct's path.
        path: String,
        /// What is wrong and what would be right.
        message: String,
    },
    /// A tag CloudFormation or the service would reject.
    #[error("{path}: tag {key:?}: {why}")]
    Tag {
        /// Where it was set.
        path: String,
        /// The key.
        key: String,
        /// What is wrong.
        why: String,
    },
    /// The assembly could not be written.
    #[error("cannot write the assembly to {dir}: {message}")]
    Io {
        /// The directory.
        dir: String,
        /// The operating system's message.
        message: String,
    },
}

/// Every problem of one synthesis, in a stable order.
#[derive(Debug, Clone, PartialEq)]
pub struct Errors(pub Vec<Error>);

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        if let [e @ Error::Io { .. }] = &self.0[..] {
            return writeln!(f, "haplat: {e}");
        }
        writeln!(f, "haplat: the app has {n} problem{}; nothing was written:", if n == 1 { "" } else { "s" })?;
        for e in &self.0 {
            writeln!(f, "  - {}", clip(&e.to_string()))?;
        }
        Ok(())
    }
}

/// A problem's text on one line of at most [`MAX_PROBLEM`] characters: a huge value given to a
/// construct is named, never echoed whole, and a control character in it (a newline in an id)
/// is escaped, so that every problem stays one line.
fn clip(text: &str) -> String {
    let text: String =
        text.chars().flat_map(|c| if c.is_control() { c.escape_default().collect() } else { vec![c] }).collect();
    let n = text.chars().count();
    if n <= MAX_PROBLEM {
        return text;
    }
    // The head names the construct, the tail often says why: both kept, the middle cut.
    let (head, tail) = (MAX_PROBLEM * 3 / 4, MAX_PROBLEM / 4);
    let end: String = text.chars().skip(n - tail).collect();
    format!("{}… ({} more characters) …{end}", text.chars().take(head).collect::<String>(), n - head - tail)
}

/// The longest problem line of a synthesis.
const MAX_PROBLEM: usize = 1_000;

impl std::error::Error for Errors {}

impl Errors {
    /// Whether any problem matches.
    pub fn any(&self, f: impl Fn(&Error) -> bool) -> bool {
        self.0.iter().any(f)
    }
}
