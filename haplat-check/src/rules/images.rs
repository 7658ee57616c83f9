//! Container images: pinned in production (HAP030), one replication configuration per registry
//! (HAP031).

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::assembly::{Assembly, is_true};
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
