//! AWS FIS experiment templates that test the platform's resilience in one region: stop a share
//! of a service's ECS tasks, cut the network of the private subnets of one availability
//! zone, and (asked for, [`ChaosProps::region_isolation`]) cut the network of every private
//! subnet of the region, which leaves its load balancer no healthy task, so that the region's
//! health check fails and Route 53 takes the region out of DNS. Every experiment stops when an alarm on what it targets fires (a service's own critical
//! alarms for its tasks; for the zone's network, which every service of the region uses, the
//! alarms given for the region, such as its load balancers' error rate, or else every service's)
//! or one of the alarms given for all, logs to an encrypted log group, and runs with a role that may
//! touch only its targets. The region-isolation experiment must not stop on the region's own
//! alarms, which it trips by design: it stops on alarms that watch what users see from outside
//! the region ([`ChaosProps::region_isolation_stop_alarm_arns`], such as the canary of the
//! public domain, [`crate::canary`]), which fire only when failover did not hold.
//!
//! With region isolation and the load balancer's public subnets
//! ([`ChaosProps::public_subnet_ids`]), a second isolation experiment cuts those subnets instead:
//! the tasks keep running and the load balancer answers nobody.
//!
//! Every template has a `Name` tag (`stop-tasks-<service>`, `az-network-disruption`,
//! `region-isolation`, `alb-isolation`), by which `haplat drill` finds it in the region's stacks.
//!
//! `aws:network:disrupt-connectivity` with `scope` `all` denies every traffic of the target
//! subnets by associating them with a network ACL FIS creates, for `duration`, then restores
//! the original association
//! (<https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html#network-actions-reference>).
//!
//! The role is granted what FIS needs for these actions: `ecs:StopTask`/`ecs:DescribeTasks` on
//! the tasks of the named clusters and `ecs:ListTasks` on their container instances; for the
//! network disruption the network ACL actions FIS documents, scoped to the VPC's subnets and to
//! network ACLs FIS creates (tagged `managedByFIS`), and `GetManagedPrefixListEntries` on the
//! region's prefix lists. EC2 `Describe*` are the only actions on `*` (through
//! [`unscoped_statement`]): IAM has no resource for them.
//! Whoever starts an experiment needs `logs:CreateLogDelivery` for its log configuration.
//!
//! ```
//! use haplat_core::{App, Value};
//! use haplat_constructs::chaos::{ChaosExperiments, ChaosProps, ChaosService};
//!
//! let app = App::new("shop");
//! let api = app.stack_set("Api", &["us-east-1", "us-west-2"]);
//! let mut props = ChaosProps::new(vec![]);
//! props.services = vec![ChaosService {
//!     name: "Web".into(),
//!     cluster_name: "web".into(),
//!     service_name: "web".into(),
//!     stop_alarm_arns: vec![Value::from("arn:aws:cloudwatch:us-east-1:1:alarm:web-5xx")],
//! }];
//! props.private_subnet_ids = vec!["subnet-1".into(), "subnet-2".into()];
//! let chaos = ChaosExperiments::new(&api, "Chaos", props);
//! assert_eq!(chaos.experiments.len(), 2);
//! app.synth().unwrap();
//! ```

use std::collections::BTreeMap;

use haplat_core::resources::fis::experiment_template::{
    CloudWatchLogsConfiguration, ExperimentTemplate, ExperimentTemplateAction, ExperimentTemplateLogConfiguration,
    ExperimentTemplateStopCondition, ExperimentTemplateTarget, ExperimentTemplateTargetFilter,
};
use haplat_core::resources::iam::role::{Policy, Role};
use haplat_core::resources::logs::log_group::LogGroup;
use haplat_core::value::{Expr, List, Value};
use haplat_core::{Handle, Scope, expr_list, expr_map};

use crate::kms::{KeyUser, KmsKey};
use crate::logs::{LogGroupProps, check_retention};
use crate::metrics::ServiceMetrics;
use crate::security::{policy_document, trust_policy, unscoped_statement};

/// An ECS service whose tasks an experiment stops.
#[derive(Clone, Debug, PartialEq)]
pub struct ChaosService {
    /// An id for the experiment's construct path.
    pub name: String,
    /// The cluster's name.
    pub cluster_name: Value<String>,
    /// The service's name.
    pub service_name: Value<String>,
    /// The service's critical alarms: they stop the experiment on its tasks, and the one on the
    /// network of its subnets (FIS watches only the alarms an experiment lists).
    pub stop_alarm_arns: Vec<Value<String>>,
}

impl From<&ServiceMetrics> for ChaosService {
    /// The service measured by these metrics (`MultiRegionApi::metrics` gives every service's),
    /// with no stop alarms of its own yet.
    fn from(m: &ServiceMetrics) -> Self {
        ChaosService {
            name: m.name.clone(),
            cluster_name: m.cluster_name.clone(),
            service_name: m.service_name.clone(),
            stop_alarm_arns: Vec::new(),
        }
    }
}

/// The experiments of one region.
#[derive(Clone, Debug, PartialEq)]
pub struct ChaosProps {
    /// Alarms that stop every experiment, besides those of the services it targets (a region
    /// health alarm, a table's). Each experiment needs one alarm at least and FIS takes five.
    pub stop_alarm_arns: Vec<Value<String>>,
    /// Services whose tasks to stop. Default: none.
    pub services: Vec<ChaosService>,
    /// Percent of a service's tasks stopped. Default: 25.
    pub stop_task_percent: u8,
    /// The private subnets whose network the AZ experiment cuts (those of the first AZ of
    /// the region are selected); none, no network experiment. Default: none.
    pub private_subnet_ids: Vec<Value<String>>,
    /// How long the network stays cut (ISO 8601). Default: `PT5M`.
    pub disruption_duration: String,
    /// Alarms that stop the network experiment, which every service of the zone feels, instead
    /// of every service's own alarms (which FIS's five stop conditions may not hold): the
    /// region's load-balancer error rate
    /// ([`RegionalMonitoring::load_balancer_alarm`](crate::monitoring::RegionalMonitoring::load_balancer_alarm)).
    /// Default: none.
    pub network_stop_alarm_arns: Vec<Value<String>>,
    /// Days experiment logs are kept. Default: 365 (a year, as the platform's other logs).
    pub log_retention_days: i64,
    /// Adds the region-isolation experiment (`RegionIsolation`, tag `Name` `region-isolation`):
    /// the network of **every** private subnet cut for [`ChaosProps::disruption_duration`], so
    /// the region's tasks are unreachable, its load balancer has no healthy target and the
    /// region's health check fails. Needs `private_subnet_ids` and a stop alarm that watches
    /// from outside the region (`stop_alarm_arns` or `region_isolation_stop_alarm_arns`).
    /// Default: `false`.
    pub region_isolation: bool,
    /// Alarms that stop the region-isolation experiment (with `stop_alarm_arns`): alarms on what
    /// users see, such as the public-domain canary's, never the region's own load-balancer or
    /// service alarms, which the experiment trips by design. Default: none.
    pub region_isolation_stop_alarm_arns: Vec<Value<String>>,
    /// The public subnets of the region's internet-facing load balancer. With
    /// [`ChaosProps::region_isolation`], adds the ALB-isolation experiment (`AlbIsolation`, tag
    /// `Name` `alb-isolation`): the network of every one of these subnets cut for
    /// [`ChaosProps::disruption_duration`], so the load balancer answers nobody (CloudFront, the
    /// probe) while the tasks keep running, and Route 53 must fail over. The region's NAT gateways
    /// live there too: the tasks also lose their way out for the duration. Stopped like the
    /// region-isolation experiment. Default: none.
    pub public_subnet_ids: Vec<Value<String>>,
}

impl ChaosProps {
    /// Stops at these alarms (and the services' own); 25 % of tasks; 5 minutes of network loss.
    pub fn new(stop_alarm_arns: Vec<Value<String>>) -> Self {
        ChaosProps {
            stop_alarm_arns,
            services: Vec::new(),
            stop_task_percent: 25,
            private_subnet_ids: Vec::new(),
            disruption_duration: "PT5M".into(),
            network_stop_alarm_arns: Vec::new(),
            log_retention_days: 365,
            region_isolation: false,
            region_isolation_stop_alarm_arns: Vec::new(),
            public_subnet_ids: Vec::new(),
        }
    }
}

/// FIS experiment templates, their role and log group (see the [module](self) docs).
#[derive(Clone, Debug)]
pub struct ChaosExperiments {
    /// The role FIS assumes.
    pub role: Handle<Role>,
    /// The experiment log group.
    pub logs: Handle<LogGroup>,
    /// Every experiment template.
    pub experiments: Vec<Handle<ExperimentTemplate>>,
}

impl ChaosExperiments {
    /// Adds the experiments under `scope.child(id)`.
    pub fn new(scope: &Scope, id: &str, props: ChaosProps) -> ChaosExperiments {
        let scope = scope.child(id);
        if !(1..=100).contains(&props.stop_task_percent) {
            scope.error(format!("stop_task_percent {}: use 1 to 100", props.stop_task_percent));
        }
        if props.services.is_empty() && props.private_subnet_ids.is_empty() {
            scope.error("no services and no subnets: nothing to experiment on");
        }
        match duration_seconds(&props.disruption_duration) {
            Some(1..=MAX_DISRUPTION_SECONDS) => {}
            _ => scope.error(format!(
                "duration {:?}: use an ISO 8601 duration of hours, minutes and seconds (PT5M, PT1H30M) from 1 second \
                 to 12 hours",
                props.disruption_duration.chars().take(64).collect::<String>()
            )),
        }
        for s in &props.services {
            // The name prefixes the ids of its experiment (`StopTasks<name>`).
            scope.check_id(&s.name);
        }
        if props.region_isolation && props.private_subnet_ids.is_empty() {
            scope.error("region_isolation needs the region's private subnets (private_subnet_ids)");
        }
        check_retention(&scope, props.log_retention_days);
        let key = KmsKey::new(&scope, "LogKey", "Encrypts the chaos experiment logs", &[KeyUser::CloudWatchLogs]);
        let log_group = crate::logs::LogGroup::new(
            &scope,
            "Logs",
            LogGroupProps { name: None, retention_days: props.log_retention_days, key: &key },
        );
        let logs = log_group.handle;
        let log_arn = log_group.streams_arn();
        // The subnets the network experiment targets, and its role may re-associate.
        let arns = |ids: &[Value<String>]| -> Vec<Value<String>> {
            ids.iter()
                .map(|s| {
                    Value::sub_with(
                        "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:subnet/${Subnet}",
                        [("Subnet", s.clone())],
                    )
                })
                .collect()
        };
        let subnet_arns = arns(&props.private_subnet_ids);
        // The ALB's subnets, cut only by the ALB-isolation experiment (with region_isolation).
        let alb_isolation = props.region_isolation && !props.public_subnet_ids.is_empty();
        let public_arns = if alb_isolation { arns(&props.public_subnet_ids) } else { Vec::new() };

        let mut statements: Vec<Expr> = Vec::new();
        if !props.services.is_empty() {
            let tasks: Vec<Expr> = props
                .services
                .iter()
                .map(|s| {
                    Value::sub_with(
                        "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task/${Cluster}/*",
                        [("Cluster", s.cluster_name.clone())],
                    )
                    .into()
                })
                .collect();
            let instances: Vec<Expr> = props
                .services
                .iter()
                .map(|s| {
                    Value::sub_with(
                        "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:container-instance/${Cluster}/*",
                        [("Cluster", s.cluster_name.clone())],
                    )
                    .into()
                })
                .collect();
            statements.push(expr_map! {
                "Effect" => "Allow",
                "Action" => expr_list!["ecs:DescribeTasks", "ecs:StopTask"],
                "Resource" => Expr::List(tasks),
            });
            statements.push(expr_map! {
                "Effect" => "Allow",
                "Action" => expr_list!["ecs:ListTasks"],
                "Resource" => Expr::List(instances),
            });
        }
        if !props.private_subnet_ids.is_empty() {
            let ec2 = |what: &str| {
                Value::sub(format!("arn:${{AWS::Partition}}:ec2:${{AWS::Region}}:${{AWS::AccountId}}:{what}"))
            };
            statements.push(expr_map! {
                "Effect" => "Allow",
                "Action" => expr_list!["ec2:CreateNetworkAcl"],
                "Resource" => expr_list![ec2("network-acl/*"), ec2("vpc/*")],
                "Condition" => expr_map! { "StringEquals" => expr_map! { "aws:RequestTag/managedByFIS" => "true" } },
            });
            statements.push(expr_map! {
                "Effect" => "Allow",
                "Action" => expr_list!["ec2:CreateTags"],
                "Resource" => expr_list![ec2("network-acl/*")],
                "Condition" => expr_map! { "StringEquals" => expr_map! { "ec2:CreateAction" => "CreateNetworkAcl" } },
            });
            statements.push(expr_map! {
                "Effect" => "Allow",
                "Action" => expr_list!["ec2:CreateNetworkAclEntry", "ec2:DeleteNetworkAcl", "ec2:DeleteNetworkAclEntry"],
                "Resource" => expr_list![ec2("network-acl/*")],
                "Condition" => expr_map! { "StringEquals" => expr_map! { "ec2:ResourceTag/managedByFIS" => "true" } },
            });
            let mut assoc: Vec<Expr> = subnet_arns.iter().chain(&public_arns).map(Expr::from).collect();
            assoc.push(ec2("network-acl/*").into());
            statements.push(expr_map! {
                "Effect" => "Allow",
                "Action" => expr_list!["ec2:ReplaceNetworkAclAssociation"],
                "Resource" => Expr::List(assoc),
            });
            statements.push(unscoped_statement(&[
                "ec2:DescribeManagedPrefixLists",
                "ec2:DescribeNetworkAcls",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
            ]));
            // Prefix lists have an ARN: the region's, whoever owns them (AWS owns the managed ones).
            statements.push(expr_map! {
                "Effect" => "Allow",
                "Action" => expr_list!["ec2:GetManagedPrefixListEntries"],
                "Resource" => expr_list![Value::sub("arn:${AWS::Partition}:ec2:${AWS::Region}:*:prefix-list/*")],
            });
        }
        statements.push(expr_map! {
            "Effect" => "Allow",
            "Action" => expr_list!["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource" => expr_list![log_arn.clone()],
        });
        let role = scope.add(
            "Role",
            Role {
                description: Some("Lets AWS FIS run the platform's chaos experiments on their targets only".into()),
                assume_role_policy_document: trust_policy("fis.amazonaws.com"),
                policies: Some(List::items(vec![Policy {
                    policy_name: "Experiments".into(),
                    policy_document: policy_document(statements),
                }])),
                ..Default::default()
            },
        );
        // An experiment's stop conditions: the alarms given for all, and those of its targets.
        let stop_conditions = |experiment: &str, targeted: Vec<&Value<String>>| {
            let alarms: Vec<&Value<String>> = props.stop_alarm_arns.iter().chain(targeted).collect();
            if alarms.is_empty() {
                scope.error(format!(
                    "experiment {experiment} has no stop alarm; give its services' critical alarms (ChaosService::stop_alarm_arns) \
                     or alarms for every experiment (ChaosProps::stop_alarm_arns)"
                ));
            }
            if alarms.len() > 5 {
                scope.error(format!(
                    "experiment {experiment} would stop on {} alarms; FIS takes at most 5 stop conditions",
                    alarms.len()
                ));
            }
            List::items(
                alarms
                    .into_iter()
                    .map(|a| ExperimentTemplateStopCondition {
                        source: "aws:cloudwatch:alarm".into(),
                        value: Some(a.clone()),
                    })
                    .collect(),
            )
        };
        let log_configuration = ExperimentTemplateLogConfiguration {
            log_schema_version: 2.into(),
            cloud_watch_logs_configuration: Some(CloudWatchLogsConfiguration { log_group_arn: log_arn }),
            s3_configuration: None,
        };
        let mut experiments = Vec::new();
        for s in &props.services {
            let target = ExperimentTemplateTarget {
                resource_type: "aws:ecs:task".into(),
                selection_mode: format!("PERCENT({})", props.stop_task_percent).into(),
                parameters: Some(BTreeMap::from([
                    ("cluster".to_owned(), s.cluster_name.clone()),
                    ("service".to_owned(), s.service_name.clone()),
                ])),
                ..Default::default()
            };
            experiments.push(scope.add(
                &format!("StopTasks{}", s.name),
                ExperimentTemplate {
                    description: format!("Stop {}% of the tasks of {}", props.stop_task_percent, s.name).into(),
                    role_arn: role.attr_arn(),
                    stop_conditions: stop_conditions(
                        &format!("StopTasks{}", s.name),
                        s.stop_alarm_arns.iter().collect(),
                    ),
                    targets: BTreeMap::from([("Tasks".to_owned(), target)]),
                    actions: Some(BTreeMap::from([(
                        "StopTasks".to_owned(),
                        ExperimentTemplateAction {
                            action_id: "aws:ecs:stop-task".into(),
                            targets: Some(BTreeMap::from([("Tasks".to_owned(), Value::from("Tasks"))])),
                            ..Default::default()
                        },
                    )])),
                    log_configuration: Some(log_configuration.clone()),
                    tags: Some(BTreeMap::from([(
                        "Name".to_owned(),
                        Value::from(format!("stop-tasks-{}", s.name.to_lowercase())),
                    )])),
                    ..Default::default()
                },
            ));
        }
        // Both network experiments cut every kind of traffic of their subnets for the duration.
        let disrupt_subnets = || {
            BTreeMap::from([(
                "DisruptConnectivity".to_owned(),
                ExperimentTemplateAction {
                    action_id: "aws:network:disrupt-connectivity".into(),
                    parameters: Some(BTreeMap::from([
                        ("duration".to_owned(), Value::from(props.disruption_duration.as_str())),
                        ("scope".to_owned(), Value::from("all")),
                    ])),
                    targets: Some(BTreeMap::from([("Subnets".to_owned(), Value::from("Subnets"))])),
                    ..Default::default()
                },
            )])
        };
        if !props.private_subnet_ids.is_empty() {
            let target = ExperimentTemplateTarget {
                resource_type: "aws:ec2:subnet".into(),
                selection_mode: "ALL".into(),
                resource_arns: Some(List::items(subnet_arns.clone())),
                filters: Some(List::items(vec![ExperimentTemplateTargetFilter {
                    path: "AvailabilityZone".into(),
                    values: List::items(vec![Value::select(0, List::get_azs(""))]),
                }])),
                ..Default::default()
            };
            experiments.push(
                scope.add(
                    "AzNetworkDisruption",
                    ExperimentTemplate {
                        description: format!(
                            "Cut all traffic of the private subnets of the first availability zone for {}",
                            props.disruption_duration
                        )
                        .into(),
                        role_arn: role.attr_arn(),
                        stop_conditions: stop_conditions(
                            "AzNetworkDisruption",
                            if props.network_stop_alarm_arns.is_empty() {
                                props.services.iter().flat_map(|s| &s.stop_alarm_arns).collect()
                            } else {
                                props.network_stop_alarm_arns.iter().collect()
                            },
                        ),
                        targets: BTreeMap::from([("Subnets".to_owned(), target)]),
                        actions: Some(disrupt_subnets()),
                        log_configuration: Some(log_configuration.clone()),
                        tags: Some(BTreeMap::from([("Name".to_owned(), Value::from("az-network-disruption"))])),
                        ..Default::default()
                    },
                ),
            );
        }
        if props.region_isolation && !props.private_subnet_ids.is_empty() {
            // Every private subnet, no zone filter: the whole region's tasks lose their network.
            let target = ExperimentTemplateTarget {
                resource_type: "aws:ec2:subnet".into(),
                selection_mode: "ALL".into(),
                resource_arns: Some(List::items(subnet_arns.clone())),
                ..Default::default()
            };
            experiments.push(
                scope.add(
                    "RegionIsolation",
                    ExperimentTemplate {
                        description: format!(
                            "Cut all traffic of every private subnet of the region for {}: the region's tasks are \
                         unreachable and Route 53 must fail over",
                            props.disruption_duration
                        )
                        .into(),
                        role_arn: role.attr_arn(),
                        stop_conditions: stop_conditions(
                            "RegionIsolation",
                            props.region_isolation_stop_alarm_arns.iter().collect(),
                        ),
                        targets: BTreeMap::from([("Subnets".to_owned(), target)]),
                        actions: Some(disrupt_subnets()),
                        log_configuration: Some(log_configuration.clone()),
                        tags: Some(BTreeMap::from([("Name".to_owned(), Value::from("region-isolation"))])),
                        ..Default::default()
                    },
                ),
            );
        }
        if alb_isolation && !props.private_subnet_ids.is_empty() {
            // Every public subnet: the load balancer's nodes (and the NAT gateways) lose their
            // network; the tasks in the private subnets keep running.
            let target = ExperimentTemplateTarget {
                resource_type: "aws:ec2:subnet".into(),
                selection_mode: "ALL".into(),
                resource_arns: Some(List::items(public_arns.clone())),
                ..Default::default()
            };
            experiments.push(
                scope.add(
                    "AlbIsolation",
                    ExperimentTemplate {
                        description: format!(
                            "Cut all traffic of every public (load balancer) subnet of the region for {}: the load \
                         balancer answers nobody while the tasks run, and Route 53 must fail over",
                            props.disruption_duration
                        )
                        .into(),
                        role_arn: role.attr_arn(),
                        stop_conditions: stop_conditions(
                            "AlbIsolation",
                            props.region_isolation_stop_alarm_arns.iter().collect(),
                        ),
                        targets: BTreeMap::from([("Subnets".to_owned(), target)]),
                        actions: Some(disrupt_subnets()),
                        log_configuration: Some(log_configuration.clone()),
                        tags: Some(BTreeMap::from([("Name".to_owned(), Value::from("alb-isolation"))])),
                        ..Default::default()
                    },
                ),
            );
        }
        ChaosExperiments { role, logs, experiments }
    }
}

/// The longest disruption FIS's network actions take (`aws:network:disrupt-connectivity`: 12 hours).
const MAX_DISRUPTION_SECONDS: u64 = 12 * 3_600;

/// The seconds of an ISO 8601 duration of hours, minutes and seconds (`PT1H30M`), or `None`
/// when it is not one.
fn duration_seconds(d: &str) -> Option<u64> {
    let rest = d.strip_prefix("PT")?;
    if rest.is_empty() {
        return None;
    }
    let (mut total, mut digits, mut units) = (0u64, String::new(), "HMS".chars());
    for c in rest.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        // Each unit once, in order (H, M, S), after its digits.
        let scale = match units.by_ref().find(|u| *u == c)? {
            'H' => 3_600,
            'M' => 60,
            _ => 1,
        };
        let n: u64 = std::mem::take(&mut digits).parse().ok()?;
        total = total.checked_add(n.checked_mul(scale)?)?;
    }
    digits.is_empty().then_some(total)
}
