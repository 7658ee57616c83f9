//! Container images and service-to-service traffic: images pinned in production (HAP030), one
//! replication configuration per registry (HAP031), replicas' creation templates (HAP032, HAP033),
//! Service Connect only with ECS deployments (HAP034), per-request timeouts only on ports with an
//! application protocol (HAP050), that protocol never changed in place (HAP053).

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::assembly::{Assembly, Res, is_true};
use crate::rule::Findings;

/// The task definition metadata key haplat-constructs writes on a production service.
const PRODUCTION: &str = "haplat:production";

/// The text of an image: a literal, or the template of an `Fn::Sub`.
fn image_text(v: &Json) -> Option<&str> {
    match v {
        Json::String(s) => Some(s),
        Json::Object(o) => match o.get("Fn::Sub")? {
            Json::String(s) => Some(s),
            Json::Array(a) => a.first()?.as_str(),
            _ => None,
        },
        _ => None,
    }
}

pub(crate) fn mutable_tag_in_production(a: &Assembly, f: &mut Findings) {
    for td in a.of_type("AWS::ECS::TaskDefinition") {
        if !is_true(td.json.get("Metadata").and_then(|m| m.get(PRODUCTION))) {
            continue;
        }
        for c in td.prop("ContainerDefinitions").and_then(Json::as_array).into_iter().flatten() {
            // Essential defaults to true; a non-essential sidecar does not stop the task.
            if c.get("Essential").is_some_and(|e| !is_true(Some(e))) {
                continue;
            }
            let Some(image) = c.get("Image").and_then(image_text) else { continue };
            if image.contains("@sha256:") {
                continue;
            }
            let name = c.get("Name").and_then(Json::as_str).unwrap_or("?");
            f.at(
                &td,
                vec![],
                format!(
                    "container {name} of a production service runs {image}, named by a tag: a tag can be moved to \
                     another image (or, mutable, be pushed again), so a region that starts tasks later (scaling, a \
                     failover, a replaced task) may run other code than the others; name it by digest \
                     (name@sha256:…)"
                ),
            );
        }
    }
}

pub(crate) fn replication_owned_twice(a: &Assembly, f: &mut Findings) {
    let mut owners: BTreeMap<String, String> = BTreeMap::new();
    for r in a.of_type("AWS::ECR::ReplicationConfiguration") {
        for region in r.regions() {
            match owners.get(&region) {
                Some(first) => f.at(
                    &r,
                    vec![region.clone()],
                    format!(
                        "is a second replication configuration of the registry in {region} (the first is {first}): \
                         a registry has one, each deploy replaces the other's rules and deleting either stack \
                         deletes the registry's replication; keep one, with a rule per prefix"
                    ),
                ),
                None => {
                    owners.insert(region, r.path().to_owned());
                }
            }
        }
    }
}

/// The repository creation templates for replication in each region: (prefix, the template's path).
fn replication_templates(a: &Assembly) -> BTreeMap<String, Vec<(String, String)>> {
    let mut by_region: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for t in a.of_type("AWS::ECR::RepositoryCreationTemplate") {
        let applies = t
            .prop("AppliedFor")
            .and_then(Json::as_array)
            .is_some_and(|l| l.iter().any(|x| x.as_str() == Some("REPLICATION")));
        let Some(prefix) = t.prop_str("Prefix") else { continue };
        if !applies {
            continue;
        }
        for region in t.regions() {
            by_region.entry(region).or_default().push((prefix.to_owned(), t.path().to_owned()));
        }
    }
    by_region
}

/// Whether a template's prefix covers repositories matched by a replication filter (`""`: all).
fn covers(template_prefix: &str, filter: &str) -> bool {
    template_prefix == "ROOT" || (!filter.is_empty() && filter.starts_with(template_prefix.trim_end_matches('/')))
}

pub(crate) fn replicas_without_template(a: &Assembly, f: &mut Findings) {
    let templates = replication_templates(a);
    for r in a.of_type("AWS::ECR::ReplicationConfiguration") {
        let rules = r.prop("ReplicationConfiguration").and_then(|c| c.get("Rules")).and_then(Json::as_array);
        for rule in rules.into_iter().flatten() {
            let filters: Vec<&str> = match rule.get("RepositoryFilters").and_then(Json::as_array) {
                Some(l) if !l.is_empty() => l.iter().filter_map(|x| x.get("Filter").and_then(Json::as_str)).collect(),
                _ => vec![""],
            };
            for d in rule.get("Destinations").and_then(Json::as_array).into_iter().flatten() {
                // Cross-account destinations are the other account's templates: not in this app.
                let own = match d.get("RegistryId") {
                    Some(Json::Object(o)) => o.get("Ref").and_then(Json::as_str) == Some("AWS::AccountId"),
                    _ => false,
                };
                let Some(region) = d.get("Region").and_then(Json::as_str) else { continue };
                if !own {
                    continue;
                }
                let here = templates.get(region).map(Vec::as_slice).unwrap_or_default();
                for filter in &filters {
                    if here.iter().any(|(p, _)| covers(p, filter)) {
                        continue;
                    }
                    let what = if filter.is_empty() {
                        "every repository".to_owned()
                    } else {
                        format!("repositories under {filter}")
                    };
                    f.at(
                        &r,
                        vec![region.to_owned()],
                        format!(
                            "replicates {what} to {region}, where no repository creation template for replication \
                             covers them: ECR creates those replicas with its defaults (AES256 encryption, mutable \
                             tags, no lifecycle policy), not the source repository's settings; add a template for \
                             the prefix in {region} (haplat-constructs' RepositoryTemplates)"
                        ),
                    );
                }
            }
        }
    }
}

pub(crate) fn template_key_without_role(a: &Assembly, f: &mut Findings) {
    for t in a.of_type("AWS::ECR::RepositoryCreationTemplate") {
        let kms_key = t.prop("EncryptionConfiguration").and_then(|e| e.get("KmsKey")).is_some();
        let tags = t.prop("ResourceTags").and_then(Json::as_array).is_some_and(|l| !l.is_empty());
        if (kms_key || tags) && t.prop("CustomRoleArn").is_none() {
            let what = match (kms_key, tags) {
                (true, true) => "a KMS key and resource tags",
                (true, false) => "a KMS key",
                _ => "resource tags",
            };
            f.at(
                &t,
                vec![],
                format!(
                    "names {what} but no CustomRoleArn: ECR needs a role it assumes (trusting ecr.amazonaws.com, \
                     allowed ecr:CreateRepository, ecr:ReplicateImage, ecr:TagResource and the key's \
                     kms:CreateGrant, kms:RetireGrant, kms:DescribeKey) to create repositories with them"
                ),
            );
        }
    }
}

pub(crate) fn service_connect_needs_ecs_deployments(a: &Assembly, f: &mut Findings) {
    for s in a.of_type("AWS::ECS::Service") {
        let on = s.prop("ServiceConnectConfiguration").is_some_and(|c| is_true(c.get("Enabled")));
        let controller = s.prop("DeploymentController").and_then(|d| d.get("Type")).and_then(Json::as_str);
        if let (true, Some(c @ ("CODE_DEPLOY" | "EXTERNAL"))) = (on, controller) {
            f.at(
                &s,
                vec![],
                format!(
                    "uses ECS Service Connect with the {c} deployment controller: Service Connect takes part only \
                     in deployments ECS runs (rolling, or ECS blue/green with its managed traffic shifting); use \
                     the ECS controller, or leave Service Connect off for this service and call it through its \
                     load balancer"
                ),
            );
        }
    }
}

/// The `AppProtocol` of the port mapping named `port` in a task definition's containers:
/// `Some(None)` when the port is there without one (TCP), `None` when no port has that name.
fn app_protocol<'a>(td: &Res<'a>, port: &str) -> Option<Option<&'a str>> {
    td.prop("ContainerDefinitions")?.as_array()?.iter().find_map(|c| {
        c.get("PortMappings")?
            .as_array()?
            .iter()
            .find(|m| m.get("Name").and_then(Json::as_str) == Some(port))
            .map(|m| m.get("AppProtocol").and_then(Json::as_str))
    })
}

pub(crate) fn per_request_timeout_on_tcp_port(a: &Assembly, f: &mut Findings) {
    for s in a.of_type("AWS::ECS::Service") {
        let Some(sc) = s.prop("ServiceConnectConfiguration") else { continue };
        let Some(td) = s.prop("TaskDefinition").and_then(|v| a.target(s.stack, v)) else { continue };
        for (i, svc) in sc.get("Services").and_then(Json::as_array).into_iter().flatten().enumerate() {
            let per_request = svc.get("Timeout").and_then(|t| t.get("PerRequestTimeoutSeconds"));
            let Some(port) = svc.get("PortName").and_then(Json::as_str) else { continue };
            if per_request.is_none() || app_protocol(&td, port) != Some(None) {
                continue;
            }
            f.at(
                &s,
                vec![
                    "ServiceConnectConfiguration".into(),
                    "Services".into(),
                    i.to_string(),
                    "Timeout".into(),
                    "PerRequestTimeoutSeconds".into(),
                ],
                format!(
                    "sets a Service Connect per-request timeout on port {port:?}, which task definition {} \
                     publishes without an AppProtocol (TCP): ECS takes only an idle timeout for a TCP port",
                    td.id
                ),
            );
        }
    }
}

/// The `AppProtocol` of the port mapping named `port` in a task definition's template entry.
fn app_protocol_in(td: &Json, port: &str) -> Option<Option<String>> {
    td.get("Properties")?.get("ContainerDefinitions")?.as_array()?.iter().find_map(|c| {
        c.get("PortMappings")?
            .as_array()?
            .iter()
            .find(|m| m.get("Name").and_then(Json::as_str) == Some(port))
            .map(|m| m.get("AppProtocol").and_then(Json::as_str).map(str::to_owned))
    })
}

pub(crate) fn app_protocol_changed(a: &Assembly, f: &mut Findings) {
    for s in a.of_type("AWS::ECS::Service") {
        let Some(sc) = s.prop("ServiceConnectConfiguration") else { continue };
        if !is_true(sc.get("Enabled")) {
            continue;
        }
        let Some(td) = s.prop("TaskDefinition").and_then(|v| a.target(s.stack, v)) else { continue };
        let Some(deployed) = a.deployed(&td) else { continue };
        for svc in sc.get("Services").and_then(Json::as_array).into_iter().flatten() {
            let Some(port) = svc.get("PortName").and_then(Json::as_str) else { continue };
            let (Some(was), Some(now)) = (app_protocol_in(deployed, port), app_protocol_in(td.json, port)) else {
                continue;
            };
            if was == now {
                continue;
            }
            let name = |p: &Option<String>| p.clone().unwrap_or_else(|| "none (TCP)".to_owned());
            f.at(
                &s,
                vec![],
                format!(
                    "changes the application protocol of its Service Connect port {port:?} from {} to {} \
                     (task definition {}): ECS refuses to change it on an existing service; deploy it as a new \
                     service (another name), or keep the protocol",
                    name(&was),
                    name(&now),
                    td.id
                ),
            );
        }
    }
}
