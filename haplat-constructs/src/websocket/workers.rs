//! [`RealtimeWorkers`]: the ECS service that consumes the real-time API's queue in each region
//! and replies through the `@connections` API, in a stack set of its own after the API's.
//!
//! A message for a connection held in another region (the registry's `region`) is posted to
//! that region's `@connections` endpoint, signed (SigV4) for that region: the worker may
//! `execute-api:ManageConnections` on exactly the `…/<stage>/POST/@connections/*` ARN of each
//! region's API, which this stack set reads from the API's stack set in every region (a stack
//! set instance cannot read another region of its own stack set, hence the stack set of its
//! own). Why not a queue in the other region: docs/decisions.md, "Real-time replies across
//! regions".
//!
//! The tasks get, as environment: `QUEUE_URL`, `REGISTRY_TABLE` (the registry's name, the same
//! in every region), `CONNECTIONS_ENDPOINTS` (a JSON object, region → management endpoint) and
//! `AWS_REGION`; they listen on no port and call out on HTTPS only.

use std::collections::BTreeMap;

use haplat_core::resources::cloudwatch::alarm::{Alarm, ComparisonOperator, Statistic, TreatMissingData};
use haplat_core::resources::{ec2, ecs};
use haplat_core::value::{List, Value};
use haplat_core::{Handle, Pseudo, Stack};

use super::realtime::{RealtimeApi, connections_arn};
use crate::alarm::{Runbook, metric_alarm};
use crate::fargate::{Deployment, FargateService, FargateServiceProps, RunAs, TaskDefinition, TaskDefinitionProps};
use crate::global_table::GlobalTable;
use crate::health_check::{HealthCheck, HealthCheckProps};
use crate::image::Image;
use crate::kms::{KeyUser, KmsKey};
use crate::metrics::MetricRef;
use crate::network::Network;
use crate::scaling::{Scaling, ScalingTarget, autoscale};
use crate::security::{Grantable, Grantee, Permission};

/// What the workers run and where.
#[derive(Clone, Debug)]
pub struct WorkerProps<'a> {
    /// The image.
    pub image: Image,
    /// Fargate CPU units. Default: 256.
    pub cpu: u32,
    /// Fargate memory, MiB. Default: 512.
    pub memory: u32,
    /// Fewest tasks (per region). Default: 1.
    pub min: Value<i64>,
    /// Most tasks. Default: 10.
    pub max: u32,
    /// The cluster (the API's).
    pub cluster: Handle<ecs::Cluster>,
    /// The network (the API's).
    pub network: &'a Network,
    /// The registry.
    pub registry: &'a GlobalTable,
    /// Who the container runs as. Default: user 1000, read-only root.
    pub run_as: RunAs,
    /// Marks the task definition as production (HAP030 warns on a mutable tag). Default: `false`.
    pub production: bool,
    /// Who the critical alarm "no worker runs in this region" pages (the region's topic, an
    /// ARN of the workers' own region). Empty: nobody directly, Route 53 alone reads it (and the
    /// real-time records' health alarm pages, naming the region only).
    pub alarm_actions: Vec<Value<String>>,
}

/// The workers and the region's real-time health check.
#[derive(Clone, Debug)]
pub struct RealtimeWorkers {
    /// The task definition (a [`Grantee`]: grant more on it).
    pub task: TaskDefinition,
    /// The ECS service.
    pub service: Handle<ecs::Service>,
    /// Critical: no worker task running in the region.
    pub running_alarm: Handle<Alarm>,
    /// The region's Route 53 health check: healthy while API Gateway's regional endpoint of the
    /// custom domain accepts TCP on 443 (checked every 10 s), a worker runs, and the queue's
    /// oldest message is younger than the limit (plain metric alarms, which is what Route 53
    /// accepts).
    pub health_check: HealthCheck,
    regions: Vec<String>,
}

impl RealtimeWorkers {
    /// Adds the workers of `api` under `stack.child(id)`: `stack` is a stack set over the API's
    /// regions deployed after the API's. `max_queue_age_seconds` is the queue age the region's
    /// health check tolerates.
    pub fn new(
        stack: &Stack,
        id: &str,
        api: &RealtimeApi,
        props: WorkerProps<'_>,
        max_queue_age_seconds: f64,
    ) -> RealtimeWorkers {
        let scope = stack.child(id);
        let regions: Vec<String> = api.regions().iter().map(|r| r.region.clone()).collect();
        if stack.regions() != regions || !stack.is_stack_set() {
            scope.error(format!(
                "the workers go in a stack set over the API's regions ({}), deployed after the API's; {} is over {}",
                regions.join(", "),
                stack.id(),
                stack.regions().join(", ")
            ));
        }
        if let Some(why) = crate::fargate::fargate_size_problem(props.cpu, props.memory) {
            scope.error(why);
        }
        if let Some(why) = props.image.problem() {
            scope.error(format!("image: {why}"));
        }
        let min = match props.min.expr() {
            haplat_core::value::Expr::Number(n) => n.as_i64(),
            _ => None,
        };
        if props.max == 0 || min.is_some_and(|m| m < 0 || m > i64::from(props.max)) {
            scope.error(format!(
                "workers min {} and max {}: 0 <= min <= max and max >= 1 must hold",
                min.map_or("(a parameter)".to_owned(), |m| m.to_string()),
                props.max
            ));
        }
        if !(max_queue_age_seconds.is_finite() && max_queue_age_seconds > 0.0) {
            scope.error(format!("the queue age it alarms above ({max_queue_age_seconds} s) must be a number above 0"));
        }
        // Region → management endpoint, and the exact @connections ARN of each region's API.
        let mut names = Vec::new();
        let mut json = Vec::new();
        let mut arns = Vec::new();
        for (i, r) in regions.iter().enumerate() {
            let api_id = api.api.ref_().in_region(r);
            let var = format!("Api{i}");
            json.push(format!("\"{r}\":\"https://${{{var}}}.execute-api.{r}.${{AWS::URLSuffix}}/{}\"", api.stage_name));
            names.push((var, api_id.clone()));
            arns.push(connections_arn(api_id, r, &api.stage_name));
        }
        let endpoints = Value::sub_with(format!("{{{}}}", json.join(",")), names);
        let environment_values = BTreeMap::from([
            ("QUEUE_URL".to_owned(), api.queue.queue.attr_queue_url()),
            ("REGISTRY_TABLE".to_owned(), props.registry.table_name()),
            ("CONNECTIONS_ENDPOINTS".to_owned(), endpoints),
        ]);
        // A key of the stack's own for the log group (a key read from the API's stack would reach
        // the log group as a parameter, which Control Tower's CT.CLOUDWATCH.PR.3 cannot follow).
        let key = KmsKey::new(&scope, "LogKey", &format!("Encrypts the logs of {id}"), &[KeyUser::CloudWatchLogs]);
        let task = TaskDefinition::new(
            &scope,
            "TaskDefinition",
            TaskDefinitionProps {
                name: id.to_owned(),
                image: props.image.clone(),
                port: None,
                cpu: props.cpu,
                memory: props.memory,
                environment: BTreeMap::new(),
                environment_values,
                secrets: BTreeMap::new(),
                xray: false,
                log_retention_days: 365,
                key: &key,
                run_as: props.run_as.clone(),
                port_name: None,
                port_http: false,
            },
        );
        if props.production {
            scope.options(task.resource).metadata("haplat:production", true);
        }
        api.queue.grant_read(&task);
        task.grant(&api.queue.key_use());
        props.registry.grant_read(&task);
        task.grant(&Permission::new(["execute-api:ManageConnections"], arns));

        let security_group = scope.add(
            "SecurityGroup",
            ec2::SecurityGroup {
                group_description: format!("{id} tasks: no inbound, HTTPS out").into(),
                vpc_id: Some(props.network.vpc.ref_()),
                security_group_egress: Some(List::items(vec![ec2::security_group::Egress {
                    cidr_ip: Some("0.0.0.0/0".into()),
                    description: Some("HTTPS to SQS, DynamoDB and the @connections APIs of every region".into()),
                    from_port: Some(443.into()),
                    to_port: Some(443.into()),
                    ip_protocol: "tcp".into(),
                    ..Default::default()
                }])),
                ..Default::default()
            },
        );
        let service = FargateService::new(
            &scope,
            "Service",
            FargateServiceProps {
                name: id.to_owned(),
                cluster: props.cluster,
                task_definition: task.resource,
                container: (task.container_name.clone(), 0),
                desired_count: None,
                subnets: props.network.private_subnet_ids(),
                security_group: security_group.attr_group_id(),
                target_group: None,
                discovery_arn: None,
                deployment: Deployment::Rolling,
                deployment_alarms: Vec::new(),
                blue_green: None,
                service_connect: None,
            },
        )
        .resource;
        autoscale(
            &scope,
            "Scaling",
            &ScalingTarget {
                cluster_name: props.cluster.ref_(),
                service_name: service.attr_name(),
                min: props.min.clone(),
                max: i64::from(props.max).into(),
                requests: None,
            },
            &Scaling::default(),
        );

        // The region's health: a worker runs, and the queue drains.
        let running_alarm = scope.add(
            "NotRunning",
            Alarm {
                alarm_description: Some(
                    Runbook::RegionDown
                        .describe(&format!(
                            "[critical] {id}: no worker task runs in this region; Route 53 takes the region's real-time \
                             name out"
                        ))
                        .into(),
                ),
                alarm_actions: (!props.alarm_actions.is_empty()).then(|| List::items(props.alarm_actions.clone())),
                evaluation_periods: Some(2.into()),
                threshold: Some(1.into()),
                comparison_operator: Some(ComparisonOperator::LessThanThreshold.into()),
                treat_missing_data: Some(TreatMissingData::Breaching.into()),
                ..metric_alarm(
                    &MetricRef::new(
                        "ECS/ContainerInsights",
                        "RunningTaskCount",
                        [("ClusterName", props.cluster.ref_()), ("ServiceName", service.attr_name())],
                    ),
                    Statistic::Minimum,
                    60,
                )
            },
        );
        let age_alarm = scope.add(
            "QueueStalled",
            Alarm {
                alarm_description: Some(
                    format!("[critical] {id}: the real-time queue's oldest message is older than {max_queue_age_seconds} s; Route 53 takes the region's real-time name out").into(),
                ),
                evaluation_periods: Some(3.into()),
                threshold: Some(max_queue_age_seconds.into()),
                comparison_operator: Some(ComparisonOperator::GreaterThanThreshold.into()),
                treat_missing_data: Some(TreatMissingData::NotBreaching.into()),
                ..metric_alarm(&api.queue.age_metric(), Statistic::Maximum, 60)
            },
        );
        let silent = if props.alarm_actions.is_empty() { vec![running_alarm, age_alarm] } else { vec![age_alarm] };
        for a in silent {
            scope.options(a).suppress(
                "CT.CLOUDWATCH.PR.1",
                "Route 53's health check reads this alarm's state and takes the region's real-time name out of DNS, \
                 which is its action; the API's queue-age alarm pages",
            );
        }
        // Unhealthy as soon as any of: API Gateway's regional endpoint refuses TCP (about 30 s),
        // no worker runs, the queue stalls. Route 53 accepts only plain metric alarms.
        let health = scope.child("Health");
        let mut children: Vec<Value<String>> = [running_alarm, age_alarm]
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let one = HealthCheckProps::Alarms {
                    region: Pseudo::Region.value(),
                    alarm_names: vec![a.ref_()],
                    healthy_needed: 1,
                };
                HealthCheck::new(&health, &format!("AlarmCheck{i}"), one).id()
            })
            .collect();
        if let Some(domain) = api.domain {
            let tcp = HealthCheckProps::Tcp { domain_name: domain.attr_regional_domain_name() };
            children.push(HealthCheck::new(&health, "Endpoint", tcp).id());
        }
        let needed = children.len();
        let health_check =
            HealthCheck::new(&health, "Check", HealthCheckProps::Calculated { children, healthy_needed: needed });
        RealtimeWorkers { task, service, running_alarm, health_check, regions }
    }

    /// Region → the region's health check id, pinned to the region (for
    /// [`RealtimeApi::endpoints`]).
    pub fn health_checks(&self) -> BTreeMap<String, Value<String>> {
        self.regions.iter().map(|r| (r.clone(), self.health_check.id().in_region(r))).collect()
    }
}
