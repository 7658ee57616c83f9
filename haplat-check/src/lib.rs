//! haplat-check: the rules of `haplat check`, run over a synthesized assembly.
//!
//! Each rule encodes something AWS does at create, update or delete that no schema check sees
//! (a deletion-protected load balancer that `destroy` cannot delete, a continuous-backup rule
//! that makes RDS refuse updates, a cache behaviour that refuses an API's writes …). A rule is
//! data ([`Rule`]): id, severity, title, the AWS behaviour, the documentation page it comes from,
//! and the fix. Some rules read one template, others the whole assembly (the edge's behaviours
//! against the API's routes, a backup plan against the clusters it selects in other stacks).
//!
//! A finding on a resource whose `Metadata."haplat:suppress"` names the rule (written by
//! [`haplat_core::Scope::suppress`]) is reported as suppressed, with its reason, and does not
//! fail the run.
//!
//! Pure: no SDK, no async; the only I/O is reading the assembly in [`check_dir`].
//!
//! ```
//! use haplat_check::{Format, check_assembly};
//! use haplat_core::App;
//! use haplat_core::resources::elasticloadbalancingv2::LoadBalancer;
//! use haplat_core::resources::elasticloadbalancingv2::load_balancer::LoadBalancerAttribute;
//!
//! let app = App::new("demo");
//! let stack = app.stack("Api", "us-east-1");
//! let protect = LoadBalancerAttribute {
//!     key: Some("deletion_protection.enabled".into()),
//!     value: Some("true".into()),
//! };
//! stack.add("Alb", LoadBalancer { load_balancer_attributes: Some(vec![protect].into()), ..Default::default() });
//! let report = check_assembly(&app.synth().unwrap()).unwrap();
//! assert!(report.has_errors());
//! assert!(report.render(Format::Text).starts_with("error[HAP001] Api/Alb (stack demo-Api)"));
//! ```

#![deny(missing_docs)]

mod assembly;
pub mod availability;
mod error;
mod report;
mod rule;
mod rules;

use std::path::Path;

pub use assembly::{Assembly, MAX_FILE_BYTES, Res, StackTemplate, refs_in};
pub use error::Error;
pub use report::{Format, Report};
pub use rule::{Finding, Findings, Rule, Severity};
pub use rules::{DELETION_PROTECTION_PARAMETER, DEPRECATED_RUNTIMES, RULES, deprecated_runtime, fixed_name};

/// Runs every rule over an assembly.
pub fn check(assembly: &Assembly) -> Report {
    let mut findings = Vec::new();
    for rule in RULES {
        let mut f = Findings::new(rule);
        (rule.check)(assembly, &mut f);
        findings.extend(f.into_vec());
    }
    Report::new(assembly.manifest.app.clone(), findings, RULES)
}

/// Reads the assembly in `dir` (`manifest.json` and its templates) and runs every rule. A
/// missing or malformed file is an error naming it.
pub fn check_dir(dir: &Path) -> Result<Report, Error> {
    Ok(check(&Assembly::load(dir)?))
}

/// Runs every rule over an assembly synthesized in memory (`App::synth`).
pub fn check_assembly(assembly: &haplat_core::Assembly) -> Result<Report, Error> {
    Ok(check(&Assembly::from_synth(assembly)?))
}

/// A rule by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id.eq_ignore_ascii_case(id))
}

/// What `haplat check --explain HAP…` prints: the rule, the AWS behaviour, where AWS documents
/// it, the fix and how to suppress it; `None` for an unknown id.
pub fn explain(id: &str) -> Option<String> {
    let r = rule(id)?;
    Some(format!(
        "{id} ({severity}): {title}\n\nAWS: {aws}\n\nDocumentation: {docs}\n\nFix: {fix}\n\nSuppress, with a reason a \
         reviewer can judge: scope.suppress(\"{id}\", \"why\") on the construct, or \
         scope.options(handle).suppress(\"{id}\", \"why\") on one resource.\n",
        id = r.id,
        severity = r.severity.as_str(),
        title = r.title,
        aws = r.aws_rule,
        docs = r.docs,
        fix = r.fix,
    ))
}

/// `docs/checks.md`, generated from [`RULES`] (a test keeps the committed file in step).
pub fn rules_markdown() -> String {
    let mut s = String::from(
        "# haplat check: the rules\n\n\
         <!-- Generated from haplat-check/src/rules/mod.rs by \
         `UPDATE_DOCS=1 cargo test -p haplat-check --test it docs`; do not edit. -->\n\n\
         `haplat check` runs these rules over the synthesized assembly (`manifest.json` and every template), \
         several of them across stacks. An error fails the command (exit 8) and names the \
         construct path; a warning is printed. `haplat synth` and `haplat deploy` run the same rules: an \
         error fails synth and stops a deploy before it plans or calls AWS; warnings are printed on stderr. `haplat check --explain HAP001` prints one rule; `--format json` \
         and `--format sarif` (SARIF 2.1.0, for code-scanning tools in CI) write the report as data.\n\n\
         | id | severity | title |\n| --- | --- | --- |\n",
    );
    for r in RULES {
        s.push_str(&format!(
            "| [{}](#{}) | {} | {} |\n",
            r.id,
            r.id.to_ascii_lowercase(),
            r.severity.as_str(),
            r.title
        ));
    }
    for r in RULES {
        s.push_str(&format!(
            "\n## {}\n\n**{}** ({}): {}\n\n- AWS: {}\n- Documentation: <{}>\n- Fix: {}\n",
            r.id,
            r.name,
            r.severity.as_str(),
            r.title,
            r.aws_rule,
            r.docs,
            r.fix
        ));
    }
    s.push_str(
        "\n## Suppressing a finding\n\n\
         A suppression names the rule and carries a reason a reviewer can judge; an empty reason is a synthesis \
         error naming the construct path. It applies to every resource at or below the node it is set on:\n\n\
         ```rust\n\
         // a construct and everything below it\n\
         platform.child(\"Backup\").suppress(\"HAP003\", \"the vault is kept and adopted by name on the next deploy\");\n\
         // one resource\n\
         scope.options(vault).suppress(\"HAP003\", \"…\");\n\
         ```\n\n\
         It is written into the resource's `Metadata` (`\"haplat:suppress\": [{\"id\", \"reason\"}]`), and `haplat \
         check` shows the finding as suppressed with its reason (SARIF: a suppression of kind `inSource` with the \
         reason as justification). The same call writes the forms other scanners read, told apart by the id's \
         shape (`haplat_core::app::CheckRule`):\n\n\
         | id | scanner | written as |\n| --- | --- | --- |\n\
         | `HAP…` | haplat check | `Metadata.\"haplat:suppress\": [{id, reason}]` |\n\
         | `CKV_…`, `CKV2_…` | checkov | `Metadata.checkov.skip: [{id, comment}]` |\n\
         | `W…`, `F…` and digits | cfn_nag | `Metadata.cfn_nag.rules_to_suppress: [{id, reason}]` |\n\
         | `UPPER_SNAKE` names, Control Tower ids (`CT.S3.PR.2`) | cfn-guard | `Metadata.guard.SuppressedRules: [id]` \
         and `Metadata.guard.Reasons: {id: reason}` |\n\n\
         cfn-guard itself does not read `Metadata`: the guard rules registry's rules compare \
         `SuppressedRules` themselves, and for the Control Tower rules (which do not) haplat's scanner test \
         reads it (docs/security.md).\n\n\
         An id of no known shape is rejected at synthesis (a typo must not become another scanner's \
         suppression); `CheckRule::Checkov(..)`, `CheckRule::Guard(..)` and `CheckRule::CfnNag(..)` name a rule \
         explicitly.\n",
    );
    s
}
