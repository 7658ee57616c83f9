//! Rules about requests reaching a service: cache behaviours that refuse the methods an API
//! route needs (HAP006), a blue/green production listener rule that the template also writes
//! (HAP007), a container port or health check the image cannot serve (HAP013), a routed alias that
//! evaluates a load balancer with an idle target group (HAP035), a calculated health check whose
//! threshold fixes its status (HAP036), Route 53 ARC routing controls that can all be turned off
//! (HAP054) or that move no traffic (HAP055), a deployment that shifts traffic with nothing to
//! shift it on (HAP056).

use serde_json::Value as Json;

use crate::assembly::{Assembly, Res, list};
use crate::rule::Findings;

/// Whether two path patterns (`*` any run, `?` one character) match at least one common path.
pub(crate) fn patterns_overlap(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut memo = vec![vec![None; b.len() + 1]; a.len() + 1];
    fn go(a: &[char], b: &[char], i: usize, j: usize, memo: &mut Vec<Vec<Option<bool>>>) -> bool {
        if let Some(v) = memo[i][j] {
            return v;
        }
        let v = if i == a.len() && j == b.len() {
            true
        } else if i < a.len() && a[i] == '*' {
            go(a, b, i + 1, j, memo) || (j < b.len() && go(a, b, i, j + 1, memo))
        } else if j < b.len() && b[j] == '*' {
            go(a, b, i, j + 1, memo) || (i < a.len() && go(a, b, i + 1, j, memo))
        } else if i < a.len() && j < b.len() {
            (a[i] == b[j] || a[i] == '?' || b[j] == '?') && go(a, b, i + 1, j + 1, memo)
        } else {
            false
        };
        memo[i][j] = Some(v);
        v
    }
    go(&a, &b, 0, 0, &mut memo)
}

fn strings(v: Option<&Json>) -> Vec<&str> {
    v.and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str).collect()
}

/// The path patterns and HTTP methods of a listener rule's conditions.
fn rule_paths(r: &Res<'_>) -> (Vec<String>, Option<Vec<String>>) {
    let mut paths = Vec::new();
    let mut methods = None;
    for c in r.prop("Conditions").and_then(Json::as_array).into_iter().flatten() {
        match c.get("Field").and_then(Json::as_str) {
            Some("path-pattern") => {
                let mut v = strings(c.get("PathPatternConfig").and_then(|p| p.get("Values")));
                v.extend(strings(c.get("Values")));
                paths.extend(v.into_iter().map(str::to_owned));
            }
            Some("http-request-method") => {
                let mut v = strings(c.get("HttpRequestMethodConfig").and_then(|p| p.get("Values")));
                v.extend(strings(c.get("Values")));
                methods = Some(v.into_iter().map(str::to_ascii_uppercase).collect());
            }
            _ => {}
        }
    }
    (paths, methods)
}

fn forwards(r: &Res<'_>) -> bool {
    r.prop("Actions")
        .and_then(Json::as_array)
        .is_some_and(|a| a.iter().any(|x| x.get("Type").and_then(Json::as_str) == Some("forward")))
}

const READ_ONLY: &[&str] = &["GET", "HEAD", "OPTIONS"];

pub(crate) fn cache_methods_vs_routes(a: &Assembly, f: &mut Findings) {
    let routes: Vec<(Res<'_>, Vec<String>, Option<Vec<String>>)> = a
        .of_type("AWS::ElasticLoadBalancingV2::ListenerRule")
        .filter(forwards)
        .map(|r| {
            let (paths, methods) = rule_paths(&r);
            (r, paths, methods)
        })
        .filter(|(_, paths, _)| !paths.is_empty())
        .collect();
    for d in a.of_type("AWS::CloudFront::Distribution") {
        let behaviours = d.prop("DistributionConfig").and_then(|c| c.get("CacheBehaviors")).and_then(Json::as_array);
        for b in behaviours.into_iter().flatten() {
            let Some(pattern) = b.get("PathPattern").and_then(Json::as_str) else { continue };
            // Without AllowedMethods CloudFront allows GET and HEAD only.
            let allowed: Vec<String> = match b.get("AllowedMethods").and_then(Json::as_array) {
                Some(m) => m.iter().filter_map(Json::as_str).map(str::to_ascii_uppercase).collect(),
                None => vec!["GET".into(), "HEAD".into()],
            };
            if !allowed.iter().all(|m| READ_ONLY.contains(&m.as_str())) {
                continue;
            }
            let pattern = if pattern.starts_with('/') { pattern.to_owned() } else { format!("/{pattern}") };
            let mut hits = Vec::new();
            for (rule, paths, methods) in &routes {
                // A route that only answers read methods is served.
                if methods.as_ref().is_some_and(|m| m.iter().all(|x| allowed.contains(x))) {
                    continue;
                }
                for p in paths {
                    // A catch-all route says nothing about which paths take writes.
                    if p == "*" || p == "/*" {
                        continue;
                    }
                    if patterns_overlap(&pattern, p) {
                        hits.push(format!("{} ({p}, stack {})", rule.path(), rule.stack_t.name()));
                    }
                }
            }
            if hits.is_empty() {
                continue;
            }
            hits.sort();
            hits.dedup();
            f.at(
                &d,
                vec![],
                format!(
                    "the cache behaviour {pattern} allows only {}, but {} route{} requests under it to a service: \
                     CloudFront answers 403 to every POST, PUT, PATCH and DELETE there; allow all seven methods \
                     in that behaviour, or narrow its path pattern to what is read-only",
                    allowed.join(", "),
                    list(&hits),
                    if hits.len() == 1 { "s" } else { "" }
                ),
            );
        }
    }
}

pub(crate) fn blue_green_listener_rule(a: &Assembly, f: &mut Findings) {
    for svc in a.of_type("AWS::ECS::Service") {
        for lb in svc.prop("LoadBalancers").and_then(Json::as_array).into_iter().flatten() {
            let Some(adv) = lb.get("AdvancedConfiguration") else { continue };
            for key in ["ProductionListenerRule", "TestListenerRule"] {
                let Some(target) = adv.get(key).and_then(|v| a.target(svc.stack, v)) else { continue };
                if !matches!(
                    target.type_name(),
                    "AWS::ElasticLoadBalancingV2::ListenerRule" | "AWS::ElasticLoadBalancingV2::Listener"
                ) {
                    continue;
                }
                // Only a change sends the rule again: compare with what is deployed.
                let Some(deployed) = a.deployed(&target) else { continue };
                let now = a.stacks[target.stack].resource(target.id);
                let changed: Vec<&str> = ["Properties", "Condition"]
                    .into_iter()
                    .filter(|k| deployed.get(*k) != now.and_then(|r| r.get(*k)))
                    .collect();
                if changed.is_empty() {
                    continue;
                }
                let what = properties_changed(deployed.get("Properties"), now.and_then(|r| r.get("Properties")));
                f.at(
                    &target,
                    vec![],
                    format!(
                        "is the {} of {}, whose forward weights ECS blue/green moves on every deployment, and \
                         this change ({}) makes CloudFormation write the whole rule again with the template's \
                         weights: after an odd number of deployments that puts all traffic on the group ECS \
                         drained; deploy the change only when the live weights equal the template's (then \
                         suppress HAP007 on the rule for that deploy, with that reason), or give the route a \
                         new rule",
                        key.trim_end_matches("ListenerRule").to_ascii_lowercase() + " listener rule",
                        svc.path(),
                        what
                    ),
                );
            }
        }
    }
}

pub(crate) fn deployment_without_load_balancer(a: &Assembly, f: &mut Findings) {
    for svc in a.of_type("AWS::ECS::Service") {
        let load_balanced = svc.prop("LoadBalancers").and_then(Json::as_array).is_some_and(|l| !l.is_empty());
        if load_balanced {
            continue;
        }
        let controller = svc.prop("DeploymentController").and_then(|d| d.get("Type")).and_then(Json::as_str);
        if controller == Some("CODE_DEPLOY") {
            f.at(
                &svc,
                vec![],
                "has the CODE_DEPLOY deployment controller and no LoadBalancers: CodeDeploy blue/green shifts \
                 traffic between two target groups of a load balancer, and ECS refuses the service without one; \
                 deploy it with the ECS controller's rolling deployments (circuit breaker with rollback)",
            );
            continue;
        }
        let strategy = svc
            .prop("DeploymentConfiguration")
            .and_then(|d| d.get("Strategy"))
            .and_then(Json::as_str)
            .filter(|s| matches!(*s, "BLUE_GREEN" | "CANARY" | "LINEAR"));
        let connected = svc.prop("ServiceConnectConfiguration").is_some();
        if let (Some(strategy), false) = (strategy, connected) {
            f.at(
                &svc,
                vec![],
                format!(
                    "deploys with the {strategy} strategy but has neither LoadBalancers nor Service Connect: ECS has \
                     no traffic to shift, so the new revision takes all traffic at once with none of the strategy's \
                     safety; deploy it ROLLING with the circuit breaker's rollback"
                ),
            );
        }
    }
}

/// The top-level properties that differ between two `Properties` objects, named.
fn properties_changed(old: Option<&Json>, new: Option<&Json>) -> String {
    let empty = serde_json::Map::new();
    let old = old.and_then(Json::as_object).unwrap_or(&empty);
    let new = new.and_then(Json::as_object).unwrap_or(&empty);
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let changed: Vec<&str> = keys.into_iter().filter(|k| old.get(*k) != new.get(*k)).map(String::as_str).collect();
    if changed.is_empty() { "its condition".to_owned() } else { changed.join(", ") }
}

/// Images whose defaults haplat knows: (repository suffix, port it listens on, paths it serves).
const IMAGES: &[(&str, u64, &[&str])] = &[
    ("nginx/nginx", 80, &["/", "/index.html"]),
    ("docker/library/nginx", 80, &["/", "/index.html"]),
    ("library/nginx", 80, &["/", "/index.html"]),
    ("nginx", 80, &["/", "/index.html"]),
    ("docker/library/httpd", 80, &["/", "/index.html"]),
    ("library/httpd", 80, &["/", "/index.html"]),
    ("httpd", 80, &["/", "/index.html"]),
];

fn known_image(image: &str) -> Option<(u64, &'static [&'static str])> {
    let repo = image.split(['@']).next()?;
    let repo = match repo.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => r,
        _ => repo,
    };
    // Through a pull-through cache rule (haplat's prefixes): <registry>/ecr-public/… or /docker-hub/….
    let repo = match repo.split_once('/') {
        Some((host, path)) if host.contains(".dkr.ecr.") => {
            path.strip_prefix("ecr-public/").or_else(|| path.strip_prefix("docker-hub/")).unwrap_or(repo)
        }
        _ => repo,
    };
    let repo = repo.strip_prefix("public.ecr.aws/").or_else(|| repo.strip_prefix("docker.io/")).unwrap_or(repo);
    IMAGES.iter().find(|(name, _, _)| *name == repo).map(|(_, port, paths)| (*port, *paths))
}

pub(crate) fn image_port_and_health(a: &Assembly, f: &mut Findings) {
    for td in a.of_type("AWS::ECS::TaskDefinition") {
        for c in td.prop("ContainerDefinitions").and_then(Json::as_array).into_iter().flatten() {
            // A literal, or the text of an Fn::Sub (an image in the region's own registry).
            let image = match c.get("Image") {
                Some(Json::Object(o)) => o.get("Fn::Sub").and_then(Json::as_str),
                other => other.and_then(Json::as_str),
            };
            let Some(image) = image else { continue };
            let Some((port, paths)) = known_image(image) else { continue };
            // A command of its own may change what the image serves.
            if c.get("Command").is_some() || c.get("EntryPoint").is_some() {
                continue;
            }
            let name = c.get("Name").and_then(Json::as_str).unwrap_or("?");
            let mut problems = Vec::new();
            let ports: Vec<u64> = c
                .get("PortMappings")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .filter_map(|m| m.get("ContainerPort").and_then(Json::as_u64))
                .collect();
            let wrong_ports: Vec<String> = ports.iter().filter(|p| **p != port).map(u64::to_string).collect();
            if !wrong_ports.is_empty() {
                problems.push(format!("maps port {} where it listens on {port}", wrong_ports.join(", ")));
            }
            // The target groups of services that run this task definition, for this container.
            for svc in a.of_type("AWS::ECS::Service").filter(|s| s.stack == td.stack) {
                let runs =
                    svc.prop("TaskDefinition").and_then(|v| a.target(svc.stack, v)).is_some_and(|t| t.id == td.id);
                if !runs {
                    continue;
                }
                for lb in svc.prop("LoadBalancers").and_then(Json::as_array).into_iter().flatten() {
                    if lb.get("ContainerName").and_then(Json::as_str) != Some(name) {
                        continue;
                    }
                    let mut groups = vec![lb.get("TargetGroupArn")];
                    groups.push(lb.get("AdvancedConfiguration").and_then(|x| x.get("AlternateTargetGroupArn")));
                    for tg in groups.into_iter().flatten().filter_map(|v| a.target(svc.stack, v)) {
                        let path = tg.prop_str("HealthCheckPath").unwrap_or("/");
                        let msg = format!("{} checks {path}, which the image does not serve", tg.path());
                        if !paths.contains(&path) && !problems.contains(&msg) {
                            problems.push(msg);
                        }
                    }
                }
            }
            if problems.is_empty() {
                continue;
            }
            f.at(
                &td,
                vec![],
                format!(
                    "container {name} runs {image}, which listens on port {port} and serves only {}: it {}; no \
                     target ever passes its health check, the deployment circuit breaker rolls the service \
                     back and the stack with it",
                    paths.join(" and "),
                    list(&problems)
                ),
            );
        }
    }
}

pub(crate) fn alias_evaluates_idle_group(a: &Assembly, f: &mut Findings) {
    for r in a.of_type("AWS::Route53::RecordSet") {
        let Some(alias) = r.prop("AliasTarget") else { continue };
        if !crate::assembly::is_true(alias.get("EvaluateTargetHealth")) {
            continue;
        }
        let routed = ["Region", "Failover", "Weight", "GeoLocation"].iter().any(|p| r.prop(p).is_some());
        let Some(lb) = alias.get("DNSName").and_then(|v| a.target(r.stack, v)) else { continue };
        if !routed || lb.type_name() != "AWS::ElasticLoadBalancingV2::LoadBalancer" {
            continue;
        }
        // The target groups the load balancer's listeners forward to, idle at rest.
        let idle: Vec<String> = a
            .of_type("AWS::ElasticLoadBalancingV2::TargetGroup")
            .filter(|g| g.stack == lb.stack && crate::availability::idle_group(a, g))
            .map(|g| g.path().to_owned())
            .collect();
        if !idle.is_empty() {
            f.at(
                &r,
                vec![],
                format!(
                    "evaluates the target health of {}, whose target group(s) {} have no targets at rest (blue/green \
                     alternates): the record is unhealthy in every region and Route 53 answers with all of them",
                    lb.path(),
                    list(&idle)
                ),
            );
        }
    }
}

/// HAP036: a calculated health check whose literal `HealthThreshold` is above its number of
/// children (always unhealthy) or 0 (always healthy).
pub(crate) fn calculated_threshold_fixed(a: &Assembly, f: &mut Findings) {
    for r in a.of_type("AWS::Route53::HealthCheck") {
        let Some(config) = r.prop("HealthCheckConfig") else { continue };
        if config.get("Type").and_then(Json::as_str) != Some("CALCULATED") {
            continue;
        }
        let Some(threshold) = config.get("HealthThreshold").and_then(Json::as_u64) else { continue };
        let Some(children) = config.get("ChildHealthChecks").and_then(Json::as_array).map(Vec::len) else { continue };
        let what = if threshold as usize > children {
            format!(
                "HealthThreshold {threshold} is above its {children} child check(s): Route 53 always considers it unhealthy"
            )
        } else if threshold == 0 {
            "HealthThreshold 0: Route 53 always considers it healthy, whatever its children say".to_owned()
        } else {
            continue;
        };
        f.at(&r, vec![], what);
    }
}

/// Whether `v` (a `Ref` or `Fn::GetAtt`) names the resource `r`.
fn names(a: &Assembly, stack: usize, v: Option<&Json>, r: &Res<'_>) -> bool {
    v.and_then(|v| a.target(stack, v)).is_some_and(|t| t.stack == r.stack && t.id == r.id)
}

/// HAP054.
pub(crate) fn routing_controls_without_safety_rule(a: &Assembly, f: &mut Findings) {
    for panel in a.of_type("AWS::Route53RecoveryControl::ControlPanel") {
        let controls: Vec<Res<'_>> = a
            .of_type("AWS::Route53RecoveryControl::RoutingControl")
            .filter(|c| names(a, c.stack, c.prop("ControlPanelArn"), &panel))
            .collect();
        if controls.is_empty() {
            continue;
        }
        let keeps_one_on = a.of_type("AWS::Route53RecoveryControl::SafetyRule").any(|rule| {
            if !names(a, rule.stack, rule.prop("ControlPanelArn"), &panel) {
                return false;
            }
            let Some(asserted) = rule.prop("AssertionRule").and_then(|x| x.get("AssertedControls")) else {
                return false;
            };
            let asserted: Vec<&Json> = asserted.as_array().map(|v| v.iter().collect()).unwrap_or_default();
            let config = rule.prop("RuleConfig");
            let get = |k: &str| config.and_then(|c| c.get(k));
            let inverted = get("Inverted").is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true"));
            let threshold = get("Threshold").and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
            let at_least_one = match get("Type").and_then(Json::as_str) {
                Some("ATLEAST") => threshold.is_some_and(|t| t >= 1),
                Some("OR") => true,
                _ => false,
            };
            !inverted
                && at_least_one
                && controls.iter().all(|c| asserted.iter().any(|v| names(a, rule.stack, Some(v), c)))
        });
        if !keeps_one_on {
            f.at(
                &panel,
                vec![],
                format!(
                    "no assertion safety rule keeps at least one of its {} routing control(s) on ({}): every region \
                     can be turned off at once",
                    controls.len(),
                    controls.iter().map(Res::path).collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }
}

/// HAP055.
pub(crate) fn routed_record_ignores_routing_control(a: &Assembly, f: &mut Findings) {
    let records: Vec<Res<'_>> = a.of_type("AWS::Route53::RecordSet").collect();
    let checks: Vec<Res<'_>> = a
        .of_type("AWS::Route53::HealthCheck")
        .filter(|c| {
            c.prop("HealthCheckConfig").and_then(|x| x.get("Type")).and_then(Json::as_str) == Some("RECOVERY_CONTROL")
        })
        .collect();
    for control in a.of_type("AWS::Route53RecoveryControl::RoutingControl") {
        let mine: Vec<&Res<'_>> = checks
            .iter()
            .filter(|c| {
                names(a, c.stack, c.prop("HealthCheckConfig").and_then(|x| x.get("RoutingControlArn")), &control)
            })
            .collect();
        let followed = mine.iter().any(|c| records.iter().any(|r| names(a, r.stack, r.prop("HealthCheckId"), c)));
        // A routing control in a gating rule is a switch, not a route (no health check by design).
        let gating = a.of_type("AWS::Route53RecoveryControl::SafetyRule").any(|rule| {
            rule.prop("GatingRule")
                .and_then(|g| g.get("GatingControls"))
                .and_then(Json::as_array)
                .is_some_and(|g| g.iter().any(|v| names(a, rule.stack, Some(v), &control)))
        });
        if !followed && !gating {
            f.at(
                &control,
                vec![],
                "no routed record follows a RECOVERY_CONTROL health check of this routing control: turning it off \
                 moves no traffic",
            );
        }
    }
    for r in &records {
        let Some(check) = r.prop("HealthCheckId").and_then(|v| a.target(r.stack, v)) else { continue };
        if !checks.iter().any(|c| c.stack == check.stack && c.id == check.id) {
            continue;
        }
        let backed = crate::availability::gated_target(a, r).is_some_and(|name| {
            records.iter().any(|t| {
                t.stack == r.stack && t.prop_str("Name") == Some(name.as_str()) && t.prop("HealthCheckId").is_some()
            })
        });
        if !backed {
            f.at(
                r,
                vec![],
                format!(
                    "follows the routing control check {} only: it is not an alias evaluating the health of a record \
                     that follows the region's own health check, so the region failing no longer takes it out",
                    check.path()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::patterns_overlap;

    #[test]
    fn path_patterns_overlap_when_one_path_matches_both() {
        assert!(patterns_overlap("/orders/*", "/orders/*"));
        assert!(patterns_overlap("/orders/2024*", "/orders/*"));
        assert!(patterns_overlap("/*/items", "/orders/*"));
        assert!(patterns_overlap("/order?/x", "/orders/*"));
        assert!(!patterns_overlap("/static/*", "/orders/*"));
        assert!(!patterns_overlap("/orders", "/orders/*"));
    }
}
