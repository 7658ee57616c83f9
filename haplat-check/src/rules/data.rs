//! Rules across stacks about data: a backup plan's continuous backup against the retention the
//! clusters it selects set themselves (HAP005), and secrets resolved by name in regions where
//! the assembly does not put them (HAP008), write forwarding an Aurora version lacks (HAP070).

use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::assembly::{Assembly, Res, list, strings_in};
use crate::rule::Findings;

/// A glob with `*` (any run of characters) and `?` (one character), as AWS Backup and the
/// load balancer path patterns use.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Whether a backup selection picks this resource.
fn selects(selection: &Json, r: &Res<'_>) -> bool {
    let tags = r.tags();
    let arn_kind = if r.type_name() == "AWS::RDS::DBCluster" { "cluster" } else { "db" };
    let id_prop = if arn_kind == "cluster" { "DBClusterIdentifier" } else { "DBInstanceIdentifier" };
    let identifier = r.prop_str(id_prop);
    let arn_matches = |pattern: &str| {
        if pattern == "*" {
            return true;
        }
        let Some(id) = identifier else { return false };
        let arn = format!("arn:aws:rds:*:*:{arn_kind}:{id}");
        pattern.starts_with("arn:") && glob_match(pattern, &arn)
            || pattern.rsplit_once(&format!(":{arn_kind}:")).is_some_and(|(_, p)| glob_match(p, id))
    };
    let strings = |key: &str| -> Vec<&str> {
        selection.get(key).and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str).collect()
    };
    let resources = strings("Resources");
    let not_resources = strings("NotResources");
    if !resources.is_empty() && !resources.iter().any(|p| arn_matches(p)) {
        return false;
    }
    if not_resources.iter().any(|p| arn_matches(p)) {
        return false;
    }
    let tag_matches = |key: &str, value: &str, kind: &str| {
        let key = key.strip_prefix("aws:ResourceTag/").unwrap_or(key);
        match (tags.get(key), kind) {
            (Some(v), "STRINGEQUALS" | "StringEquals") => *v == value,
            (Some(v), "StringLike") => glob_match(value, v),
            (v, "StringNotEquals") => v.is_none_or(|v| *v != value),
            (v, "StringNotLike") => v.is_none_or(|v| !glob_match(value, v)),
            _ => false,
        }
    };
    let list_of_tags: Vec<&Json> = selection.get("ListOfTags").and_then(Json::as_array).into_iter().flatten().collect();
    // ListOfTags: any one matches (OR).
    let by_list = list_of_tags.iter().any(|c| {
        let k = c.get("ConditionKey").and_then(Json::as_str).unwrap_or_default();
        let v = c.get("ConditionValue").and_then(Json::as_str).unwrap_or_default();
        tag_matches(k, v, c.get("ConditionType").and_then(Json::as_str).unwrap_or("STRINGEQUALS"))
    });
    // Conditions: every one matches (AND).
    let mut conditions = Vec::new();
    if let Some(Json::Object(c)) = selection.get("Conditions") {
        for (kind, items) in c {
            for item in items.as_array().into_iter().flatten() {
                let k = item.get("ConditionKey").and_then(Json::as_str).unwrap_or_default();
                let v = item.get("ConditionValue").and_then(Json::as_str).unwrap_or_default();
                conditions.push(tag_matches(k, v, kind));
            }
        }
    }
    let by_conditions = !conditions.is_empty() && conditions.iter().all(|x| *x);
    if list_of_tags.is_empty() && conditions.is_empty() {
        return !resources.is_empty();
    }
    by_list || by_conditions
}

pub(crate) fn continuous_backup_retention(a: &Assembly, f: &mut Findings) {
    for plan in a.of_type("AWS::Backup::BackupPlan") {
        let rules: Vec<&Json> = plan
            .prop("BackupPlan")
            .and_then(|p| p.get("BackupPlanRule"))
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter(|r| crate::assembly::is_true(r.get("EnableContinuousBackup")))
            .collect();
        if rules.is_empty() {
            continue;
        }
        let rule_names: Vec<String> =
            rules.iter().map(|r| r.get("RuleName").and_then(Json::as_str).unwrap_or("?").to_owned()).collect();
        let plan_regions: BTreeSet<String> = plan.regions().into_iter().collect();
        for selection in a.of_type("AWS::Backup::BackupSelection") {
            let picks_plan = selection
                .prop("BackupPlanId")
                .and_then(|v| a.target(selection.stack, v))
                .is_some_and(|p| p.stack == plan.stack && p.id == plan.id);
            if !picks_plan {
                continue;
            }
            let Some(body) = selection.prop("BackupSelection") else { continue };
            for db in a.resources() {
                let is_db = match db.type_name() {
                    "AWS::RDS::DBCluster" => true,
                    // An instance of a cluster takes its backups from the cluster.
                    "AWS::RDS::DBInstance" => db.prop("DBClusterIdentifier").is_none(),
                    _ => false,
                };
                let Some(retention) = db.prop("BackupRetentionPeriod").filter(|_| is_db) else { continue };
                let regions: Vec<String> = db.regions().into_iter().filter(|r| plan_regions.contains(r)).collect();
                if regions.is_empty() || !selects(body, &db) {
                    continue;
                }
                f.at(
                    &db,
                    regions.clone(),
                    format!(
                        "sets BackupRetentionPeriod {retention} while {} (selected by {}) runs continuous backup \
                         ({}) in {}: once AWS Backup manages point-in-time recovery, RDS refuses any update that \
                         sends another retention, and CloudFormation sends it on every update of the cluster; \
                         leave BackupRetentionPeriod out (AWS Backup sets it)",
                        plan.path(),
                        selection.path(),
                        list(&rule_names),
                        list(&regions)
                    ),
                );
            }
        }
    }
}

pub(crate) fn backup_copy_vaults(a: &Assembly, f: &mut Findings) {
    // Vaults the assembly creates: (name, region).
    let mut vaults: BTreeSet<(String, String)> = BTreeSet::new();
    for v in a.of_type("AWS::Backup::BackupVault") {
        for region in v.regions() {
            if let Some(name) = v.prop("BackupVaultName").and_then(|n| v.stack_t.text_in(n, &region)) {
                vaults.insert((name, region));
            }
        }
    }
    for plan in a.of_type("AWS::Backup::BackupPlan") {
        let rules = plan.prop("BackupPlan").and_then(|p| p.get("BackupPlanRule")).and_then(Json::as_array);
        let mut missing: Vec<String> = Vec::new();
        for rule in rules.into_iter().flatten() {
            let copies = rule.get("CopyActions").and_then(Json::as_array);
            for copy in copies.into_iter().flatten() {
                let Some(dest) = copy.get("DestinationBackupVaultArn") else { continue };
                for region in plan.regions() {
                    let Some(arn) = plan.stack_t.text_in(dest, &region) else { continue };
                    // arn:<partition>:backup:<region>:<account>:backup-vault:<name>, this account's
                    // (copies to another account's vault are not the assembly's to check).
                    let arn = arn.replace("${AWS::Partition}", "aws").replace("${AWS::AccountId}", "self");
                    let parts: Vec<&str> = arn.splitn(7, ':').collect();
                    let [_, _, "backup", to, "self", "backup-vault", name] = parts[..] else { continue };
                    if to.contains("${") || name.contains("${") {
                        continue;
                    }
                    if !vaults.contains(&(name.to_owned(), to.to_owned())) {
                        missing.push(format!("{region} → vault {name:?} in {to}"));
                    }
                }
            }
        }
        missing.sort();
        missing.dedup();
        if missing.is_empty() {
            continue;
        }
        f.at(
            &plan,
            vec![],
            format!(
                "copies recovery points to vaults the assembly does not create ({}): each copy job fails, so \
                 the cross-region copies a restore would rely on never exist; create the vault in that region \
                 (the backup stack set deployed there) or copy to a region that has it",
                missing.join("; ")
            ),
        );
    }
}

/// `{{resolve:secretsmanager:ID…}}` references in a string: the secret ids.
fn secret_refs(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("{{resolve:secretsmanager:") {
        let after = &rest[at + "{{resolve:secretsmanager:".len()..];
        let end = after.find("}}").unwrap_or(after.len());
        let body = &after[..end];
        // An ARN holds colons of its own; a name ends at the first colon.
        let id = if body.starts_with("arn:") {
            body.splitn(8, ':').take(7).collect::<Vec<_>>().join(":").len()
        } else {
            body.find(':').unwrap_or(body.len())
        };
        out.push(&body[..id]);
        rest = &after[end..];
    }
    out
}

pub(crate) fn secret_regions(a: &Assembly, f: &mut Findings) {
    // Secrets the assembly creates, by literal name, with the regions they exist in.
    let mut secrets: Vec<(String, Vec<String>, String)> = Vec::new();
    for s in a.of_type("AWS::SecretsManager::Secret") {
        let Some(name) = s.prop_str("Name") else { continue };
        let mut regions = s.regions();
        for rep in s.prop("ReplicaRegions").and_then(Json::as_array).into_iter().flatten() {
            if let Some(r) = rep.get("Region").and_then(Json::as_str)
                && !regions.iter().any(|x| x == r)
            {
                regions.push(r.to_owned());
            }
        }
        secrets.push((name.to_owned(), regions, s.path().to_owned()));
    }
    for r in a.resources() {
        let mut ids: Vec<&str> = strings_in(r.props()).into_iter().flat_map(secret_refs).collect();
        ids.sort();
        ids.dedup();
        for id in ids {
            let Some((name, regions, path)) = secrets.iter().find(|(n, _, _)| n == id) else { continue };
            let missing: Vec<String> = r.regions().into_iter().filter(|x| !regions.contains(x)).collect();
            if missing.is_empty() {
                continue;
            }
            f.at(
                &r,
                missing.clone(),
                format!(
                    "resolves the secret {name:?} by name, but {path} exists only in {}: CloudFormation resolves \
                     a dynamic reference in the stack's own region, so the stack fails in {}; replicate the \
                     secret there (ReplicaRegions) or deploy the stack only where it exists",
                    list(regions),
                    list(&missing)
                ),
            );
        }
    }
}

/// HAP070.
pub(crate) fn write_forwarding_version(a: &Assembly, f: &mut Findings) {
    for c in a.of_type("AWS::RDS::DBCluster") {
        if !crate::assembly::is_true(c.prop("EnableGlobalWriteForwarding"))
            || c.prop("Engine").and_then(Json::as_str) != Some("aurora-postgresql")
        {
            continue;
        }
        let Some(version) = c.prop("EngineVersion").and_then(Json::as_str) else { continue };
        let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
        let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        if major >= 16 || (major == 15 && minor >= 4) || (major == 14 && minor >= 9) {
            continue;
        }
        f.at(
            &c,
            c.regions(),
            format!(
                "global write forwarding on aurora-postgresql {version}: only 16 and later, 15.4+ and 14.9+ have it"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{glob_match, secret_refs};

    #[test]
    fn globs_and_secret_ids() {
        assert!(glob_match("arn:aws:rds:*:*:cluster:ord*", "arn:aws:rds:*:*:cluster:orders"));
        assert!(glob_match("*", "anything"));
        assert!(!glob_match("ord?", "orders"));
        assert_eq!(secret_refs("a {{resolve:secretsmanager:shop/x:SecretString:k}} b"), ["shop/x"]);
        assert_eq!(secret_refs("{{resolve:secretsmanager:shop/y}}"), ["shop/y"]);
        assert_eq!(
            secret_refs("{{resolve:secretsmanager:arn:aws:secretsmanager:us-east-1:1:secret:s-AbCd:SecretString:k}}"),
            ["arn:aws:secretsmanager:us-east-1:1:secret:s-AbCd"]
        );
    }
}
