//! A report: every finding of every rule, and its output as text (one line per finding), JSON
//! or SARIF 2.1.0 (what code-scanning tools in CI read).

use std::str::FromStr;

use serde_json::{Value as Json, json};

use crate::rule::{Finding, Rule, Severity};

/// An output format of `haplat check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// One line per finding, then a summary.
    #[default]
    Text,
    /// The findings and the summary as JSON.
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            other => Err(format!("unknown format {other:?}: use text, json or sarif")),
        }
    }
}

/// The findings of one run over an assembly.
#[derive(Clone, Debug)]
pub struct Report {
    /// The app's name.
    pub app: String,
    /// Every finding, suppressed ones included, sorted by stack, path and rule.
    pub findings: Vec<Finding>,
    rules: &'static [Rule],
}

impl Report {
    pub(crate) fn new(app: String, mut findings: Vec<Finding>, rules: &'static [Rule]) -> Report {
        findings.sort_by(|a, b| (&a.stack, &a.path, a.rule, &a.message).cmp(&(&b.stack, &b.path, b.rule, &b.message)));
        Report { app, findings, rules }
    }

    /// Findings not suppressed, of one severity.
    pub fn active(&self, severity: Severity) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.suppressed.is_none() && f.severity == severity)
    }

    /// Whether an error is left that no suppression covers: `haplat check` and `haplat synth`
    /// fail then.
    pub fn has_errors(&self) -> bool {
        self.active(Severity::Error).next().is_some()
    }

    /// The process exit code: `0` without errors, `1` with.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.has_errors())
    }

    /// `N errors, N warnings, N suppressed`.
    pub fn summary(&self) -> String {
        let suppressed = self.findings.iter().filter(|f| f.suppressed.is_some()).count();
        format!(
            "{} errors, {} warnings, {suppressed} suppressed",
            self.active(Severity::Error).count(),
            self.active(Severity::Warning).count()
        )
    }

    /// The report in a format.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Text => self.text(),
            Format::Json => {
                let mut s = serde_json::to_string_pretty(&self.json()).expect("a report serializes");
                s.push('\n');
                s
            }
            Format::Sarif => {
                let mut s = serde_json::to_string_pretty(&self.sarif()).expect("a report serializes");
                s.push('\n');
                s
            }
        }
    }

    /// One line per finding: `error[HAP001] Api/PublicAlb/LoadBalancer (stack shop-prod-Api): …`.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            out.push_str(&text_line(f));
            out.push('\n');
        }
        out.push_str(&format!("haplat check {}: {}\n", self.app, self.summary()));
        out
    }

    /// One line per finding no suppression covers, errors first: what `haplat synth` and
    /// `haplat deploy` print (suppressed findings are `haplat check`'s to show).
    pub fn active_lines(&self) -> Vec<String> {
        let errors = self.active(Severity::Error);
        errors.chain(self.active(Severity::Warning)).map(text_line).collect()
    }

    /// The findings and a summary as JSON.
    pub fn json(&self) -> Json {
        json!({
            "app": self.app,
            "summary": {
                "errors": self.active(Severity::Error).count(),
                "warnings": self.active(Severity::Warning).count(),
                "suppressed": self.findings.iter().filter(|f| f.suppressed.is_some()).count(),
            },
            "findings": self.findings,
        })
    }

    /// The report as a SARIF 2.1.0 log: the rules in `tool.driver.rules`, one result per finding
    /// located in its template file (physical) and at its construct path (logical), suppressed
    /// findings with an in-source suppression and its justification.
    pub fn sarif(&self) -> Json {
        let rules: Vec<Json> = self
            .rules
            .iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "name": r.name,
                    "shortDescription": { "text": r.title },
                    "fullDescription": { "text": r.aws_rule },
                    "helpUri": r.docs,
                    "help": {
                        "text": format!("{}\nFix: {}", r.aws_rule, r.fix),
                        "markdown": format!("{}\n\n**Fix:** {}\n\n[AWS documentation]({})", r.aws_rule, r.fix, r.docs),
                    },
                    "defaultConfiguration": { "level": r.severity.as_str() },
                })
            })
            .collect();
        let results: Vec<Json> = self
            .findings
            .iter()
            .map(|f| {
                let mut physical = json!({ "artifactLocation": { "uri": f.template, "uriBaseId": "ASSEMBLY" } });
                if let Some(line) = f.line {
                    physical["region"] = json!({ "startLine": line });
                }
                let mut result = json!({
                    "ruleId": f.rule,
                    "ruleIndex": self.rules.iter().position(|r| r.id == f.rule).unwrap_or(0),
                    "level": f.severity.as_str(),
                    "message": { "text": format!("{} ({}): {}", f.path, place(f), f.message) },
                    "locations": [{
                        "physicalLocation": physical,
                        "logicalLocations": [{
                            "name": f.logical_id,
                            "fullyQualifiedName": f.path,
                            "kind": "resource",
                        }],
                    }],
                    "partialFingerprints": { "haplatPath/v1": format!("{}:{}:{}", f.rule, f.stack, f.path) },
                });
                if let Some(reason) = &f.suppressed {
                    result["suppressions"] = json!([{ "kind": "inSource", "justification": reason }]);
                }
                result
            })
            .collect();
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {
                    "driver": {
                        "name": "haplat check",
                        "version": env!("CARGO_PKG_VERSION"),
                        "informationUri": "https://example.invalid/haplat/docs/checks.md",
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {
                    "ASSEMBLY": { "description": { "text": "The assembly directory haplat synth wrote (haplat.out)" } }
                },
                "automationDetails": { "id": format!("haplat-check/{}", self.app) },
                "results": results,
            }]
        })
    }
}

/// Where a finding is: `stack <name>[, regions]`, or the manifest for one of its fields.
fn place(f: &Finding) -> String {
    if f.template == crate::rule::MANIFEST {
        return f.template.clone();
    }
    let regions = if f.regions.is_empty() { String::new() } else { format!(", {}", f.regions.join(", ")) };
    format!("stack {}{regions}", f.stack)
}

fn text_line(f: &Finding) -> String {
    let head = format!("{}[{}] {} ({})", f.severity.as_str(), f.rule, f.path, place(f));
    match &f.suppressed {
        Some(reason) => format!("suppressed {head}: {} [reason: {reason}]", f.message),
        None => format!("{head}: {}", f.message),
    }
}
