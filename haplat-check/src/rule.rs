//! A rule is data: an id, a severity, a one-line title, the AWS behaviour it encodes, the page
//! of the AWS documentation that says so, and the fix; plus the function that looks for it in an
//! assembly. A [`Finding`] is one place where a rule is broken.

use serde::Serialize;

use crate::assembly::{Assembly, Res};

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A deploy, update or destroy fails, or the platform misbehaves: `haplat synth` fails.
    Error,
    /// Something the account must have, or a risk a reviewer should accept: printed.
    Warning,
}

impl Severity {
    /// `error` or `warning` (also SARIF's `level`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One rule of `haplat check`.
#[derive(Debug)]
pub struct Rule {
    /// `HAP001` …
    pub id: &'static str,
    /// A short PascalCase name (SARIF's `name`).
    pub name: &'static str,
    /// How bad breaking it is.
    pub severity: Severity,
    /// One line: what is wrong.
    pub title: &'static str,
    /// What AWS does (at create, update or delete) that makes it wrong.
    pub aws_rule: &'static str,
    /// The AWS documentation page the rule comes from.
    pub docs: &'static str,
    /// How to fix it (or why and how to suppress it).
    pub fix: &'static str,
    /// Looks for it; may read one template or the whole assembly.
    pub check: fn(&Assembly, &mut Findings),
}

/// A place where a rule is broken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's id.
    pub rule: &'static str,
    /// The rule's severity.
    pub severity: Severity,
    /// The stack set name.
    pub stack: String,
    /// The template file, relative to the assembly.
    pub template: String,
    /// The line of the resource in the template file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The regions where it bites (empty: wherever the stack is).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// The resource's logical id.
    pub logical_id: String,
    /// The resource's construct path.
    pub path: String,
    /// What is wrong there, and what AWS will do.
    pub message: String,
    /// The reason given when the finding is suppressed (`scope.suppress(id, reason)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
}

/// The assembly's manifest, as a finding's `template` when a field of it breaks a rule.
pub const MANIFEST: &str = "manifest.json";

/// Where a rule's check function puts its findings.
pub struct Findings {
    rule: &'static Rule,
    out: Vec<Finding>,
}

impl Findings {
    pub(crate) fn new(rule: &'static Rule) -> Findings {
        Findings { rule, out: Vec::new() }
    }

    pub(crate) fn into_vec(self) -> Vec<Finding> {
        self.out
    }

    /// Reports the rule broken by a field of the assembly's manifest (`objectives.latencyP99Ms`),
    /// not by a resource.
    pub fn manifest(&mut self, a: &Assembly, field: &str, message: impl Into<String>) {
        let finding = Finding {
            rule: self.rule.id,
            severity: self.rule.severity,
            stack: a.manifest.app.clone(),
            template: MANIFEST.to_owned(),
            line: None,
            regions: Vec::new(),
            logical_id: String::new(),
            path: field.to_owned(),
            message: message.into(),
            suppressed: None,
        };
        if !self.out.contains(&finding) {
            self.out.push(finding);
        }
    }

    /// Reports the rule broken at a resource, in some regions (empty: all of its stack's).
    pub fn at(&mut self, r: &Res<'_>, regions: Vec<String>, message: impl Into<String>) {
        let finding = Finding {
            rule: self.rule.id,
            severity: self.rule.severity,
            stack: r.stack_t.name().to_owned(),
            template: r.stack_t.manifest.template.clone(),
            line: r.stack_t.line_of(r.id),
            regions,
            logical_id: r.id.to_owned(),
            path: r.path().to_owned(),
            message: message.into(),
            suppressed: r.suppression(self.rule.id),
        };
        if !self.out.contains(&finding) {
            self.out.push(finding);
        }
    }
}
