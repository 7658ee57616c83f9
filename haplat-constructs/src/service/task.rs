//! The service's checks and its task definition.

use haplat_core::Scope;

use super::ServiceProps;
use crate::fargate::{TaskDefinition, TaskDefinitionProps, fargate_size_problem};
use crate::kms::KmsKey;
use crate::load_balancer::TargetProtocol;

/// Reports what is wrong with `props` on `scope`.
pub(super) fn check(scope: &Scope, props: &ServiceProps) {
    if let Some(why) = fargate_size_problem(props.cpu, props.memory) {
        scope.error(why);
    }
    if props.port == 0 {
        scope.error("the container port cannot be 0");
    }
    if props.min_count > props.max_count {
        scope.error(format!("counts must satisfy min <= max; got min {}, max {}", props.min_count, props.max_count));
    }
    if props.max_count == 0 {
        scope.error("max count is 0: the service would never run a task; use at least 1");
    }
    if props.standby_count > props.max_count {
        scope.error(format!("standby count {} is over the max count {}", props.standby_count, props.max_count));
    }
    if props.read_only && props.path_patterns.is_empty() {
        scope.error(
            "a read-only service needs path patterns: they are what its listener rules match and what the edge may fail over",
        );
    }
    if props.internal_access == super::InternalAccess::CloudMapOnly {
        if !props.internal {
            scope.error(
                "a Cloud-Map-only service must be internal: a public service is served by the public ALB \
                 (set internal: true, or use ServiceProps::cloud_map_only)",
            );
        }
        if props.deployment.is_blue_green() {
            scope.error(
                "a Cloud-Map-only service has no load balancer, and haplat's canary and linear deployments shift \
                 traffic on its ALB listener rule; use Deployment::Rolling (the circuit breaker rolls a failed \
                 deployment back)",
            );
        }
        if props.read_only || !props.path_patterns.is_empty() {
            scope.error(
                "a Cloud-Map-only service has no listener rule: path patterns and read_only apply to ALB routes only",
            );
        }
    }
    crate::logs::check_retention(scope, props.log_retention_days);
    for pattern in &props.path_patterns {
        // An ALB path-pattern condition value: 1 to 128 characters.
        if pattern.trim().is_empty() || pattern.chars().count() > 128 {
            scope.error(format!(
                "path pattern {:?} must be 1 to 128 characters (an ALB path-pattern condition)",
                pattern.chars().take(64).collect::<String>()
            ));
        }
    }
    for var in props.environment.keys() {
        if var.is_empty() || var.contains('=') || var.chars().any(char::is_control) {
            scope.error(format!(
                "environment variable name {:?} must be non-empty, without = or control characters",
                var.chars().take(64).collect::<String>()
            ));
        }
    }
    if !props.health_check_path.starts_with('/') {
        scope.error(format!("health check path {:?} must start with /", props.health_check_path));
    }
    if let Some(path) = &props.probe_path {
        // Route 53's ResourcePath: up to 255 characters; a request line takes no blank.
        if !path.starts_with('/')
            || path.chars().count() > 255
            || path.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            scope.error(format!(
                "probe_path {:?} must start with /, have at most 255 characters and no blank or control character",
                path.chars().take(64).collect::<String>()
            ));
        }
    }
    for (var, secret) in &props.secrets {
        if let Some(why) = secret.name_problem().or_else(|| secret.partial_arn_problem()) {
            scope.error(format!("secret of {var}: {why}"));
        }
        if let Some(why) = secret.key_problem(&scope.stack().regions()) {
            scope.error(format!("secret of {var}: {why}"));
        }
        let missing = secret.missing_in(&scope.stack().regions());
        if !missing.is_empty() {
            scope.error(format!(
                "secret of {var}: {} exists only in {}, not in {}, where this service runs: replicate it there \
                 and say so with SecretRef::replicated_to",
                secret.name,
                secret.regions.as_deref().unwrap_or_default().join(", "),
                missing.join(", ")
            ));
        }
        if props.environment.contains_key(var) {
            scope.error(format!("{var} is both an environment variable and a secret"));
        }
    }
    if let Some(why) = props.deployment.problem() {
        scope.error(why);
    }
    if let Some(t) = props.connect_timeouts
        && t.per_request_seconds != 0
        && props.target_protocol == TargetProtocol::Https
    {
        scope.error(
            "connect timeouts: per_request_seconds must be 0 with TargetProtocol::Https: Service Connect passes TLS \
             through as TCP, and ECS takes only an idle timeout for a TCP port",
        );
    }
    if let Some(t) = props.connect_timeouts
        && (t.per_request_seconds > 2_147_483_647 || t.idle_seconds > 2_147_483_647)
    {
        scope.error("connect timeouts: seconds must be at most 2147483647");
    }
    if let Some(why) = props.image.problem() {
        scope.error(format!("image: {why}"));
    }
}

/// The task definition, its roles and log group, with the service's ids.
pub(super) fn task_definition(scope: &Scope, props: &ServiceProps, key: &KmsKey, connect: bool) -> TaskDefinition {
    let td = TaskDefinition::new(
        scope,
        "TaskDefinition",
        TaskDefinitionProps {
            name: props.name.clone(),
            image: props.image.clone(),
            port: Some(props.port),
            cpu: props.cpu,
            memory: props.memory,
            environment: props.environment.clone(),
            environment_values: std::collections::BTreeMap::new(),
            secrets: props.secrets.clone(),
            xray: props.xray,
            log_retention_days: props.log_retention_days,
            key,
            run_as: props.run_as.clone(),
            port_name: connect.then(|| super::deploy::CONNECT_PORT_NAME.to_owned()),
            port_http: props.target_protocol == TargetProtocol::Http,
        },
    );
    if props.production {
        scope.options(td.resource).metadata(PRODUCTION_METADATA, true);
    }
    td
}

/// The task definition's metadata key that marks a production service (HAP030 reads it).
pub(super) const PRODUCTION_METADATA: &str = "haplat:production";
