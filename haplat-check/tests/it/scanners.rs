//! The scanners platform teams run over CloudFormation — checkov (`--framework cloudformation`)
//! and cfn-guard with the AWS Control Tower proactive-control rules — over every template of
//! every app × environment of `apps/`, synthesized as `haplat synth` does (issue 11).
//!
//! A finding passes when the resource carries a suppression with its reason (written by
//! `scope.suppress(..)`: `Metadata.checkov.skip` for checkov, `Metadata.guard.SuppressedRules`
//! and `Metadata.guard.Reasons` for guard), or when an entry of the allowlist
//! `haplat-check/tests/scanner-allowlist.txt` names it with the reason it is still open. Every
//! other finding is listed, one per line, and fails the test; so does an allowlist entry that
//! no longer matches anything (it must be deleted once fixed).
//!
//! One run of each scanner over the folder of all the assemblies, the two at the same time;
//! cfn-guard is given the rules that report on a resource type the templates have (the others
//! would only say SKIP).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use haplat_tests::{apps, build, synth};
use serde_json::Value as Json;

/// One finding of a scanner on one resource.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Finding {
    /// `app/env/stack`: the stack is the template's file name without `.template.json`.
    place: String,
    logical_id: String,
    /// checkov's check id (`CKV_AWS_18`) or the Control Tower control id (`CT.S3.PR.2`).
    rule: String,
    message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {} {}", self.place, self.logical_id, self.rule, self.message)
    }
}

/// An allowlist entry: `rule | app/env/stack glob | logical id glob | reason`.
#[derive(Debug)]
struct Allowed {
    line: usize,
    rule: String,
    place: String,
    logical_id: String,
}

const ALLOWLIST: &str = "haplat-check/tests/scanner-allowlist.txt";

fn allowlist() -> Vec<Allowed> {
    let path = haplat_tests::root().join(ALLOWLIST);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.splitn(4, '|').map(str::trim).collect();
        let [rule, place, logical_id, reason] = fields[..] else {
            panic!("{ALLOWLIST}:{}: want `rule | app/env/stack | logical id | reason`, got {line:?}", i + 1)
        };
        assert!(reason.len() > 10, "{ALLOWLIST}:{}: an entry needs the reason it is still open", i + 1);
        entries.push(Allowed { line: i + 1, rule: rule.into(), place: place.into(), logical_id: logical_id.into() });
    }
    entries
}

/// `*` matches any run of characters, everything else itself.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(text) = text.strip_prefix(head) else { return false };
            (0..=text.len()).filter(|&i| text.is_char_boundary(i)).any(|i| glob(rest, &text[i..]))
        }
    }
}

/// `app/env/stack` of a template path under the scan root.
fn place(root: &Path, file: &str) -> String {
    let file = Path::new(file);
    let rel = file.strip_prefix(root).unwrap_or(file);
    let rel = rel.to_string_lossy();
    rel.trim_start_matches('/').trim_end_matches(".template.json").to_owned()
}

fn spawn(cmd: &mut Command) -> std::process::Child {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap_or_else(|e| panic!("{cmd:?} did not start: {e}"))
}

fn output(what: &str, child: std::process::Child) -> (Option<i32>, String, String) {
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{what}: {e}"));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// checkov's failed checks (findings) and skipped ones (suppressed in the template, with the
/// comment checkov read). A skip with an empty comment counts as a finding.
fn checkov_findings(root: &Path, stdout: &str, stderr: &str) -> (Vec<Finding>, usize) {
    let json: Json = serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("checkov's output is not JSON ({e}):\n{stdout}\n{stderr}"));
    let reports = match json {
        Json::Array(list) => list,
        one => vec![one],
    };
    let mut findings = Vec::new();
    let mut suppressed = 0;
    for report in &reports {
        let results = &report["results"];
        let finding = |c: &Json, message: String| {
            let resource = c["resource"].as_str().unwrap_or_default();
            Finding {
                place: place(root, c["file_path"].as_str().unwrap_or_default()),
                logical_id: resource.rsplit_once('.').map_or(resource, |(_, id)| id).to_owned(),
                rule: c["check_id"].as_str().unwrap_or_default().to_owned(),
                message,
            }
        };
        for c in results["failed_checks"].as_array().into_iter().flatten() {
            findings.push(finding(c, c["check_name"].as_str().unwrap_or_default().to_owned()));
        }
        for c in results["skipped_checks"].as_array().into_iter().flatten() {
            let comment = c["check_result"]["suppress_comment"].as_str().unwrap_or_default().trim();
            if comment.is_empty() || comment == "No comment provided" {
                findings.push(finding(c, "suppressed without a reason".into()));
            } else {
                suppressed += 1;
            }
        }
    }
    (findings, suppressed)
}

/// Every logical id (`/Resources/<id>/…` paths) and the Control Tower control id and title
/// (`[CT.S3.PR.2]: Require …` in the rule's message) found in one guard rule's report.
fn walk_guard(x: &Json, ids: &mut BTreeSet<String>, control: &mut Option<(String, String)>) {
    match x {
        Json::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("path", Json::String(p)) if p.starts_with("/Resources/") => {
                        if let Some(id) = p.split('/').nth(2) {
                            ids.insert(id.to_owned());
                        }
                    }
                    ("custom_message", Json::String(m)) if control.is_none() => {
                        if let Some((id, title)) = m.split_once("[CT.").and_then(|(_, rest)| rest.split_once("]:")) {
                            let title = title.lines().next().unwrap_or_default().trim();
                            *control = Some((format!("CT.{id}"), title.to_owned()));
                        }
                    }
                    _ => walk_guard(v, ids, control),
                }
            }
        }
        Json::Array(list) => list.iter().for_each(|v| walk_guard(v, ids, control)),
        _ => {}
    }
}

/// cfn-guard's non-compliant rules, per resource. cfn-guard does not read `Metadata` and the
/// Control Tower rules do not compare it, so a finding is suppressed here when the resource's
/// `Metadata.guard.SuppressedRules` names the control id or the rule's name (any case) and
/// `Metadata.guard.Reasons` gives the reason.
fn guard_findings(root: &Path, stdout: &str, stderr: &str) -> (Vec<Finding>, usize) {
    let json: Json = serde_json::from_str(stdout).unwrap_or_else(|e| {
        panic!("cfn-guard's output is not JSON ({e}):\n{}\n{stderr}", &stdout[..stdout.len().min(2000)])
    });
    let mut findings = Vec::new();
    let mut suppressed = 0;
    let mut templates: BTreeMap<String, Json> = BTreeMap::new();
    for file in json.as_array().expect("cfn-guard --structured writes a list, one entry per file") {
        let name = file["name"].as_str().unwrap_or_default();
        for rule in file["not_compliant"].as_array().into_iter().flatten() {
            let rule = &rule["Rule"];
            let rule_name = rule["name"].as_str().unwrap_or_default();
            let mut ids = BTreeSet::new();
            let mut control = None;
            walk_guard(rule, &mut ids, &mut control);
            let (rule_id, title) = control.unwrap_or_else(|| (rule_name.to_owned(), String::new()));
            if ids.is_empty() {
                ids.insert("-".into());
            }
            let template = templates.entry(name.to_owned()).or_insert_with(|| {
                serde_json::from_str(&std::fs::read_to_string(name).unwrap_or_default()).unwrap_or(Json::Null)
            });
            for id in ids {
                let guard = &template["Resources"][&id]["Metadata"]["guard"];
                let named = guard["SuppressedRules"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Json::as_str)
                    .find(|s| s.eq_ignore_ascii_case(&rule_id) || s.eq_ignore_ascii_case(rule_name));
                let reason = named.and_then(|n| guard["Reasons"][n].as_str()).unwrap_or_default().trim();
                let message = match named {
                    Some(_) if !reason.is_empty() => {
                        suppressed += 1;
                        continue;
                    }
                    Some(_) => format!("suppressed without a reason in Metadata.guard.Reasons ({title})"),
                    None => format!("{title} ({rule_name})"),
                };
                findings.push(Finding { place: place(root, name), logical_id: id, rule: rule_id.clone(), message });
            }
        }
    }
    (findings, suppressed)
}

/// The resource types (`AWS::S3::Bucket`) a rule file names, and whether every `AWS::` in it is
/// one: a pattern (`AWS::S3::*`, a regex) makes the file's types unknown.
fn named_types(text: &str) -> (BTreeSet<String>, bool) {
    let word = |s: &str| s.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(s.len());
    let mut types = BTreeSet::new();
    let mut all_known = true;
    for (at, _) in text.match_indices("AWS::") {
        let rest = &text[at + 5..];
        let service = word(rest);
        let ty = rest[service..].strip_prefix("::").map(word).unwrap_or(0);
        if service == 0 || ty == 0 {
            all_known = false;
        } else {
            types.insert(text[at..at + 5 + service + 2 + ty].to_owned());
        }
    }
    (types, all_known)
}

/// Copies into `into` the `.guard` files of `rules` (keeping their folders) that can report on
/// the templates: each Control Tower rule names the resource types it reports on and answers
/// SKIP on a template without them, while cfn-guard's time grows with rules × resources, whether
/// they apply or not (docs/build-cost.md has the figures). A file whose types are not all
/// spelled out is kept. Returns how many were kept, of how many.
fn rules_for(rules: &Path, types: &BTreeSet<String>, into: &Path) -> (usize, usize) {
    let files = haplat_tests::files_with_extension(rules, "guard");
    let mut kept = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (named, all_known) = named_types(&text);
        if all_known && !named.is_empty() && named.is_disjoint(types) {
            continue;
        }
        kept += 1;
        let dest = into.join(path.strip_prefix(rules).expect("a file below the rules"));
        std::fs::create_dir_all(dest.parent().expect("under into")).unwrap();
        std::fs::write(&dest, text).unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
    }
    (kept, files.len())
}

#[test]
fn checkov_and_the_control_tower_guard_rules_find_nothing_unsuppressed_in_any_app() {
    let apps = apps();
    assert!(!apps.is_empty(), "no apps under apps/");
    let (checkov, guard, rules) =
        (haplat_tests::checkov(), haplat_tests::cfn_guard(), haplat_tests::control_tower_rules());
    let exes = build(&apps.iter().map(|a| a.package.as_str()).collect::<Vec<_>>());
    let work = tempfile::tempdir().unwrap();
    // The templates only: both scanners skip other JSON, but the manifest is not theirs to read.
    let root: PathBuf = work.path().join("templates");
    let mut templates = 0;
    let mut types = BTreeSet::new();
    for app in &apps {
        let exe = exes.get(&app.package).unwrap_or_else(|| panic!("no binary named {} was built", app.package));
        for env in &app.environments {
            let out = work.path().join("synth").join(&app.dir).join(env);
            let stacks = synth(exe, env, &out).unwrap_or_else(|e| panic!("{e}"));
            let dest = root.join(&app.dir).join(env);
            std::fs::create_dir_all(&dest).unwrap();
            for stack in stacks {
                let text = std::fs::read_to_string(out.join(&stack.template)).unwrap();
                let template: Json = serde_json::from_str(&text).unwrap();
                let resources = template["Resources"].as_object().into_iter().flatten();
                types.extend(resources.filter_map(|(_, r)| r["Type"].as_str()).map(str::to_owned));
                std::fs::write(dest.join(&stack.template), text).unwrap();
                templates += 1;
            }
        }
    }

    let applicable = work.path().join("rules");
    let (rules_kept, rules_all) = rules_for(&rules, &types, &applicable);

    let checkov_run = spawn(
        Command::new(&checkov)
            .args(["--framework", "cloudformation", "--output", "json", "--compact", "--skip-download", "--directory"])
            .arg(&root)
            .env("BC_SKIP_MAPPING", "TRUE")
            .env("CHECKOV_RUN_SCA_PACKAGE_SCAN_V2", "false"),
    );
    let guard_run = spawn(
        Command::new(&guard)
            .args(["validate", "--output-format", "json", "--structured", "--show-summary", "none", "--rules"])
            .arg(&applicable)
            .arg("--data")
            .arg(&root),
    );
    let (code, stdout, stderr) = output("checkov", checkov_run);
    // checkov: 0 clean, 1 failed checks; anything else is checkov failing to run.
    assert!(matches!(code, Some(0 | 1)), "checkov exit {code:?}:\n{stderr}");
    let (mut findings, checkov_suppressed) = checkov_findings(&root, &stdout, &stderr);
    let (code, stdout, stderr) = output("cfn-guard", guard_run);
    // cfn-guard: 0 pass, 19 some rule failed; 5 is a parse error of a template or a rule.
    assert!(matches!(code, Some(0 | 19)), "cfn-guard exit {code:?}:\n{stderr}");
    let (guard, guard_suppressed) = guard_findings(&root, &stdout, &stderr);
    findings.extend(guard);
    findings.sort();
    findings.dedup();

    let allowed = allowlist();
    let mut used = vec![0usize; allowed.len()];
    let mut open = Vec::new();
    for f in &findings {
        match allowed
            .iter()
            .position(|a| a.rule == f.rule && glob(&a.place, &f.place) && glob(&a.logical_id, &f.logical_id))
        {
            Some(i) => used[i] += 1,
            None => open.push(f.to_string()),
        }
    }
    println!(
        "{templates} templates: checkov {checkov_suppressed} suppressed, cfn-guard ({rules_kept} of {rules_all} rule \
         files apply) {guard_suppressed} suppressed, {} allowlisted, {} open",
        used.iter().sum::<usize>(),
        open.len()
    );
    let stale: Vec<String> = allowed
        .iter()
        .zip(&used)
        .filter(|(_, n)| **n == 0)
        .map(|(a, _)| format!("{ALLOWLIST}:{} {} {} {}", a.line, a.rule, a.place, a.logical_id))
        .collect();
    assert!(
        open.is_empty(),
        "{} scanner findings without a suppression (fix them in the construct, or suppress with the reason \
         there); app/env/stack, logical id, rule, message:\n  {}",
        open.len(),
        open.join("\n  ")
    );
    assert!(
        stale.is_empty(),
        "allowlist entries that match no finding any more; delete them:\n  {}",
        stale.join("\n  ")
    );
}

#[test]
fn globs_match_runs_of_characters() {
    assert!(glob("*", ""));
    assert!(glob("reference-platform/*/shop-*-Api", "reference-platform/prod/shop-prod-Api"));
    assert!(!glob("reference-platform/*/shop-*-Api", "hello-api/default/hello-Api"));
    assert!(glob("Db*", "DbWriterE056D9D7"));
    assert!(!glob("Db", "DbWriter"));
}

#[test]
fn a_rule_file_is_left_out_only_when_every_type_it_names_is_absent() {
    let text = "let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]\n# Reports on: AWS::S3::BucketPolicy\n";
    let (types, known) = named_types(text);
    assert!(known);
    assert_eq!(types.into_iter().collect::<Vec<_>>(), ["AWS::S3::Bucket", "AWS::S3::BucketPolicy"]);
    assert!(!named_types("Type == /AWS::S3::.*/").1, "a pattern makes the types unknown");
    assert!(!named_types("AWS::").1);

    let rules = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(rules.path().join("s3")).unwrap();
    std::fs::write(rules.path().join("s3/bucket.guard"), "Type == 'AWS::S3::Bucket'").unwrap();
    std::fs::write(rules.path().join("s3/any.guard"), "Type == /AWS::S3::.*/").unwrap();
    std::fs::write(rules.path().join("queue.guard"), "Type == 'AWS::SQS::Queue' or 'AWS::SNS::Topic'").unwrap();
    std::fs::write(rules.path().join("none.guard"), "rule x { true }").unwrap();
    std::fs::write(rules.path().join("README.md"), "AWS::SQS::Queue").unwrap();
    let into = tempfile::tempdir().unwrap();
    let types = BTreeSet::from(["AWS::SNS::Topic".to_owned()]);
    assert_eq!(rules_for(rules.path(), &types, into.path()), (3, 4));
    let kept = |rel: &str| into.path().join(rel).is_file();
    assert!(kept("s3/any.guard") && kept("queue.guard") && kept("none.guard"));
    assert!(!kept("s3/bucket.guard") && !kept("README.md"));
}
