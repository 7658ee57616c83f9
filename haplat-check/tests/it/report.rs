//! The report's formats (text, JSON, SARIF 2.1.0) and `--explain`.

use std::path::PathBuf;
use std::process::Command;

use haplat_check::{Format, RULES, Severity, explain};
use serde_json::{Value as Json, json};

use crate::support::*;

fn sample() -> haplat_check::Report {
    run(vec![stack(
        "Api",
        &["us-east-1", "eu-west-1"],
        resources(json!({
            "Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Metadata": {"haplat:path": "Api/Alb"},
                    "Properties": {"LoadBalancerAttributes": [{"Key": "deletion_protection.enabled", "Value": "true"}]}},
            "Shield": {"Type": "AWS::Shield::Protection",
                       "Metadata": {"haplat:path": "Api/Shield", "haplat:suppress": [{"id": "HAP010", "reason": "subscribed"}]},
                       "Properties": {"Name": "p", "ResourceArn": "a"}}
        })),
    )])
}

#[test]
fn text_is_one_line_per_finding_naming_the_path_and_stack() {
    let text = sample().render(Format::Text);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("error[HAP001] Api/Alb (stack Api): "), "{text}");
    assert!(lines[1].starts_with("suppressed warning[HAP010] Api/Shield (stack Api): "), "{text}");
    assert!(lines[1].ends_with("[reason: subscribed]"), "{text}");
    assert_eq!(lines[2], "haplat check test: 1 errors, 0 warnings, 1 suppressed");
    assert_eq!(sample().exit_code(), 1);
}

#[test]
fn json_holds_every_field_of_a_finding() {
    let j: Json = serde_json::from_str(&sample().render(Format::Json)).unwrap();
    assert_eq!(j["summary"], json!({"errors": 1, "warnings": 0, "suppressed": 1}));
    let f = &j["findings"][0];
    assert_eq!(f["rule"], "HAP001");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["stack"], "Api");
    assert_eq!(f["template"], "Api.template.json");
    assert_eq!(f["logical_id"], "Alb");
    assert_eq!(f["path"], "Api/Alb");
    assert!(f["line"].as_u64().unwrap() > 1);
    assert_eq!(j["findings"][1]["suppressed"], "subscribed");
}

#[test]
fn sarif_has_the_rules_results_locations_and_suppressions() {
    let s = sample().sarif();
    assert_eq!(s["version"], "2.1.0");
    let run = &s["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), RULES.len());
    for (r, rule) in rules.iter().zip(RULES) {
        assert_eq!(r["id"], rule.id);
        for key in ["name", "shortDescription", "fullDescription", "helpUri", "help"] {
            assert!(!r[key].is_null(), "{key} missing in {r}");
        }
        assert!(r["helpUri"].as_str().unwrap().starts_with("https://docs.aws.amazon.com/"), "{r}");
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let r = &results[0];
    assert_eq!(r["ruleId"], "HAP001");
    assert_eq!(r["level"], "error");
    assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"], "HAP001");
    let loc = &r["locations"][0];
    assert_eq!(loc["physicalLocation"]["artifactLocation"]["uri"], "Api.template.json");
    assert!(loc["physicalLocation"]["region"]["startLine"].as_u64().unwrap() > 1);
    assert_eq!(loc["logicalLocations"][0]["fullyQualifiedName"], "Api/Alb");
    assert!(r.get("suppressions").is_none());
    assert_eq!(results[1]["suppressions"], json!([{"kind": "inSource", "justification": "subscribed"}]));
}

/// The official SARIF 2.1.0 schema ships in the npm package of Microsoft's SARIF multitool;
/// `scripts/install-sarif-schema.sh` fetches it into the tools folder, and the Python
/// `jsonschema` that cfn-lint installs validates against it.
#[test]
fn sarif_validates_against_the_official_schema() {
    let script = haplat_tests::root().join("scripts/install-sarif-schema.sh");
    let out = Command::new("bash").arg(&script).output().expect("bash runs");
    assert!(out.status.success(), "{} failed:\n{}", script.display(), String::from_utf8_lossy(&out.stderr));
    let schema = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("report.sarif");
    // Also the log of a real app's findings, with every rule in use.
    std::fs::write(&log, sample().render(Format::Sarif)).unwrap();
    let python = haplat_tests::tools_bin().join("python");
    let code = "import json,sys,jsonschema\n\
                schema=json.load(open(sys.argv[1]))\n\
                jsonschema.validators.validator_for(schema)(schema).validate(json.load(open(sys.argv[2])))\n\
                print('valid')";
    let out = Command::new(&python).args(["-c", code]).arg(&schema).arg(&log).output().expect("python runs");
    assert!(
        out.status.success(),
        "the SARIF log does not validate against {}:\n{}",
        schema.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn explain_prints_a_rule_and_how_to_suppress_it() {
    let text = explain("hap005").unwrap();
    assert!(text.starts_with("HAP005 (error): "), "{text}");
    assert!(text.contains("https://docs.aws.amazon.com/aws-backup/"), "{text}");
    assert!(text.contains("scope.suppress(\"HAP005\", \"why\")"), "{text}");
    assert!(explain("HAP999").is_none());
}

#[test]
fn rules_are_well_formed() {
    // Ids increase in the list; ranges are handed out to parallel work, so gaps may stay until
    // the others land.
    let mut last = 0;
    for r in RULES {
        let n: u32 = r.id.strip_prefix("HAP").and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{}", r.id));
        assert!(r.id.len() == 6 && n > last, "{}: ids are HAPnnn, increasing", r.id);
        last = n;
        assert!(r.docs.starts_with("https://docs.aws.amazon.com/"), "{}: {}", r.id, r.docs);
        assert!(!r.title.ends_with('.') && !r.title.contains('\n'), "{}: one line, no period", r.id);
        assert!(!r.fix.is_empty() && !r.aws_rule.is_empty());
        let _ = matches!(r.severity, Severity::Error | Severity::Warning);
    }
    assert_eq!("sarif".parse::<Format>(), Ok(Format::Sarif));
    assert!("xml".parse::<Format>().unwrap_err().contains("text, json or sarif"));
}
