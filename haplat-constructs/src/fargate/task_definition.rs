//! [`TaskDefinition`]: a Fargate task definition with its roles and log group.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use haplat_core::resources::{ecs, iam, logs};
use haplat_core::value::{Expr, List, Value};
use haplat_core::{Handle, Scope};

use crate::image::Image;
use crate::kms::KmsKey;
use crate::logs::{LogGroup, LogGroupProps};
use crate::security::{Grantee, Permission, SecretRef, policy_document, trust_policy, unscoped_statement};

/// The Fargate task sizes: CPU units and the memory (MiB) each allows, as
/// `(cpu, first, last, step)`.
pub const FARGATE_SIZES: &[(u32, u32, u32, u32)] = &[
    (256, 512, 2048, 0),
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

fn memories(cpu: u32) -> Option<Vec<u32>> {
    let &(_, first, last, step) = FARGATE_SIZES.iter().find(|s| s.0 == cpu)?;
    Some(if step == 0 { vec![512, 1024, 2048] } else { (first..=last).step_by(step as usize).collect() })
}

/// Why `cpu`/`memory` is not a Fargate size, listing the allowed ones; `None` when it is.
pub fn fargate_size_problem(cpu: u32, memory: u32) -> Option<String> {
    let allowed = || {
        FARGATE_SIZES
            .iter()
            .map(|(c, first, last, step)| {
                if *step == 0 {
                    format!("{c} CPU units take 512, 1024 or 2048 MiB")
                } else {
                    format!("{c} take {first} to {last} MiB in steps of {step}")
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    match memories(cpu) {
        None => Some(format!("{cpu} CPU units is not a Fargate size; allowed: {}", allowed())),
        Some(m) if !m.contains(&memory) => {
            Some(format!("{cpu} CPU units with {memory} MiB is not a Fargate size; allowed: {}", allowed()))
        }
        Some(_) => None,
    }
}

/// The X-Ray daemon image of the sidecar (AWS's public ECR gallery).
pub const XRAY_DAEMON_IMAGE: &str = "public.ecr.aws/xray/aws-xray-daemon:3.3.14";

pub use crate::image::ecr_repository_arn;

fn statement(actions: &[&str], resources: Vec<Value<String>>) -> Expr {
    Permission::new(actions.iter().copied(), resources).statement()
}

/// Who the application container runs as, and what of its filesystem it may write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunAs {
    /// A user that is not root (`"1000"`, `"1000:1000"`, or a name the image defines), with a
    /// read-only root filesystem (Control Tower's CT.ECS.PR.3 and CT.ECS.PR.6). Each of
    /// `writable` (absolute paths) gets a volume of its own, local to the task and as long-lived
    /// as it (Fargate has no `tmpfs`).
    User {
        /// The user (and group) the container runs as.
        user: String,
        /// The paths the application writes.
        writable: Vec<String>,
    },
    /// The image's own user (root, for many images) and a writable root filesystem, for an image
    /// that needs them; `reason` says why, and is written as the suppression of CT.ECS.PR.3 and
    /// CT.ECS.PR.6 on the task definition. An empty reason is a synthesis error.
    ImageDefault {
        /// Why the image runs as its own user with a writable root filesystem.
        reason: String,
    },
}

impl RunAs {
    /// The image's own user and a writable root filesystem, for the reason given.
    pub fn image_default(reason: &str) -> RunAs {
        RunAs::ImageDefault { reason: reason.to_owned() }
    }
}

impl Default for RunAs {
    /// User 1000, root filesystem read-only, `/tmp` writable.
    fn default() -> RunAs {
        RunAs::User { user: "1000".to_owned(), writable: vec!["/tmp".to_owned()] }
    }
}

/// What a [`TaskDefinition`] runs: one application container (`app`), and the X-Ray daemon
/// beside it when asked.
#[derive(Clone, Debug)]
pub struct TaskDefinitionProps<'a> {
    /// The application's name: the roles' descriptions, the log stream prefix (lowercased) and
    /// `AWS_XRAY_TRACING_NAME`.
    pub name: String,
    /// The container image. An ECR image gets pull permission on exactly its repository (in the
    /// task's region for [`Image::Repository`] and [`Image::Cached`]; a cached image also the
    /// permission to import it from upstream the first time).
    pub image: Image,
    /// The container port (TCP). `None`: the container listens on no port (a queue worker, which
    /// only calls out).
    pub port: Option<u16>,
    /// Environment variables whose values are template values (a queue's URL, another stack's
    /// output), beside `environment`. Default: none.
    pub environment_values: BTreeMap<String, Value<String>>,
    /// Fargate CPU units (see [`FARGATE_SIZES`]).
    pub cpu: u32,
    /// Fargate memory, MiB.
    pub memory: u32,
    /// Environment variables. Default: none.
    pub environment: BTreeMap<String, String>,
    /// Secret environment variables (variable → secret); the execution role may read exactly
    /// these (and decrypt with their keys). Default: none.
    pub secrets: BTreeMap<String, SecretRef>,
    /// The X-Ray daemon as a sidecar, and the task role's permission to send traces. Default:
    /// `false`.
    pub xray: bool,
    /// Days the log group keeps the logs.
    pub log_retention_days: i64,
    /// The key of the log group.
    pub key: &'a KmsKey,
    /// Who the application container runs as, and what it may write.
    pub run_as: RunAs,
    /// The name of the container port, for ECS Service Connect to publish it (a Service Connect
    /// service refers to a port by name). Default: `None`, an unnamed port.
    pub port_name: Option<String>,
    /// The named port speaks plain HTTP, its application protocol for Service Connect (which
    /// then counts requests and applies per-request timeouts); `false` for a port that serves
    /// TLS itself, which Service Connect passes through as TCP. Ignored without `port_name`.
    pub port_http: bool,
}

/// A Fargate task definition (see the [module](super) docs), and a [`Grantee`]: grants go to
/// its task role.
#[derive(Clone)]
pub struct TaskDefinition {
    scope: Scope,
    /// The task definition.
    pub resource: Handle<ecs::TaskDefinition>,
    /// The role the application runs as.
    pub task_role: Handle<iam::Role>,
    /// The role ECS uses to pull the image, write logs and read the secrets.
    pub execution_role: Handle<iam::Role>,
    /// The log group of the containers.
    pub log_group: Handle<logs::LogGroup>,
    /// The application container's name (`app`).
    pub container_name: String,
    statements: Rc<RefCell<Vec<Expr>>>,
}

impl std::fmt::Debug for TaskDefinition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskDefinition").field("path", &self.scope.path()).finish()
    }
}

impl TaskDefinition {
    /// Adds, in `scope`: the log group `LogGroup`, the roles `ExecutionRole` and `TaskRole`, and
    /// the task definition as `id`.
    pub fn new(scope: &Scope, id: &str, props: TaskDefinitionProps<'_>) -> TaskDefinition {
        let log_group = LogGroup::new(
            scope,
            "LogGroup",
            LogGroupProps { name: None, retention_days: props.log_retention_days, key: props.key },
        )
        .handle;
        let execution_role = execution_role(scope, &props, log_group);
        let statements: Rc<RefCell<Vec<Expr>>> = Rc::default();
        let task_role = scope.add(
            "TaskRole",
            iam::Role {
                assume_role_policy_document: trust_policy("ecs-tasks.amazonaws.com"),
                description: Some(format!("The {} application", props.name).into()),
                ..Default::default()
            },
        );
        let container_name = "app".to_owned();
        let mut app = app_container(&props, &container_name, log_group);
        let mut volumes = Vec::new();
        match &props.run_as {
            RunAs::User { user, writable } => {
                if user.is_empty()
                    || user == "0"
                    || user == "root"
                    || user.starts_with("0:")
                    || user.starts_with("root:")
                {
                    scope.error(format!("run_as user {user:?} is root; name another user, or RunAs::image_default"));
                }
                app.user = Some(user.clone().into());
                app.readonly_root_filesystem = Some(true.into());
                let mut mounts = Vec::new();
                for (i, path) in writable.iter().enumerate() {
                    if !path.starts_with('/') {
                        scope.error(format!("writable path {path:?} is not absolute"));
                    }
                    let name = format!("writable{i}");
                    volumes
                        .push(ecs::task_definition::Volume { name: Some(name.clone().into()), ..Default::default() });
                    mounts.push(ecs::task_definition::MountPoint {
                        container_path: Some(path.clone().into()),
                        source_volume: Some(name.into()),
                        read_only: Some(false.into()),
                    });
                }
                app.mount_points = (!mounts.is_empty()).then(|| List::items(mounts));
            }
            RunAs::ImageDefault { reason } => {
                if reason.trim().is_empty() {
                    scope.error("RunAs::ImageDefault needs the reason the image runs as its own user");
                }
            }
        }
        let mut containers = vec![app];
        if props.xray {
            // With the application not root, the sidecar is not either: the daemon's image runs
            // as its user xray (uid 10001) and writes nothing to its filesystem (it logs to
            // stdout): github.com/aws/aws-xray-daemon, Dockerfile and pkg/cfg.yaml.
            let hardened = matches!(props.run_as, RunAs::User { .. });
            containers.push(ecs::task_definition::ContainerDefinition {
                user: hardened.then(|| XRAY_DAEMON_USER.into()),
                readonly_root_filesystem: hardened.then(|| true.into()),
                name: "xray-daemon".into(),
                image: XRAY_DAEMON_IMAGE.into(),
                essential: Some(false.into()),
                cpu: Some(32.into()),
                memory: Some(i64::from(XRAY_DAEMON_MEMORY).into()),
                memory_reservation: Some(i64::from(XRAY_DAEMON_MEMORY).into()),
                port_mappings: Some(List::items(vec![ecs::task_definition::PortMapping {
                    container_port: Some(2000.into()),
                    protocol: Some(ecs::task_definition::Protocol::Udp.into()),
                    ..Default::default()
                }])),
                log_configuration: Some(log_configuration(log_group, "xray")),
                ..Default::default()
            });
            statements.borrow_mut().push(unscoped_statement(&[
                "xray:GetSamplingRules",
                "xray:GetSamplingStatisticSummaries",
                "xray:GetSamplingTargets",
                "xray:PutTelemetryRecords",
                "xray:PutTraceSegments",
            ]));
        }
        let resource = scope.add(
            id,
            ecs::TaskDefinition {
                cpu: Some(props.cpu.to_string().into()),
                memory: Some(props.memory.to_string().into()),
                network_mode: Some(ecs::task_definition::NetworkMode::Awsvpc.into()),
                requires_compatibilities: Some(List::items(vec![
                    ecs::task_definition::RequiresCompatibilities::Fargate.into(),
                ])),
                runtime_platform: Some(ecs::task_definition::RuntimePlatform {
                    cpu_architecture: Some(ecs::task_definition::CpuArchitecture::X8664.into()),
                    operating_system_family: Some(ecs::task_definition::OperatingSystemFamily::Linux.into()),
                }),
                execution_role_arn: Some(execution_role.attr_arn()),
                task_role_arn: Some(task_role.attr_arn()),
                container_definitions: Some(List::items(containers)),
                volumes: (!volumes.is_empty()).then(|| List::items(volumes)),
                ..Default::default()
            },
        );
        if let RunAs::ImageDefault { reason } = &props.run_as
            && !reason.trim().is_empty()
        {
            scope.options(resource).suppress("CT.ECS.PR.3", reason).suppress("CT.ECS.PR.6", reason);
        }
        let td = TaskDefinition {
            scope: scope.clone(),
            resource,
            task_role,
            execution_role,
            log_group,
            container_name,
            statements,
        };
        td.write_policy();
        td
    }

    fn write_policy(&self) {
        let statements = self.statements.borrow().clone();
        self.scope.update(self.task_role, |r| {
            r.policies = (!statements.is_empty()).then(|| {
                List::items(vec![iam::role::Policy {
                    policy_name: "task".into(),
                    policy_document: policy_document(statements),
                }])
            });
        });
    }
}

impl Grantee for TaskDefinition {
    fn grant(&self, permission: &Permission) {
        let mut problems = permission.problems();
        let missing = permission.missing_in(&self.scope.stack().regions());
        if !missing.is_empty() {
            problems.push(format!(
                "{} is granted on resources that do not exist in {} (they are in {} only); add those regions to the \
                 resource (a global table's replica regions) or deploy the grantee only where it is",
                permission.actions.join(", "),
                missing.join(", "),
                permission.regions.as_deref().unwrap_or_default().join(", ")
            ));
        }
        if !problems.is_empty() {
            for p in problems {
                self.scope.error(format!("grant refused: {p}"));
            }
            return;
        }
        let st = permission.statement();
        {
            let mut s = self.statements.borrow_mut();
            if !s.contains(&st) {
                s.push(st);
            }
        }
        self.write_policy();
    }
}

/// The execution role: pull exactly this image's repository, write to exactly this log group,
/// read exactly these secrets.
fn execution_role(
    scope: &Scope,
    props: &TaskDefinitionProps<'_>,
    log_group: Handle<logs::LogGroup>,
) -> Handle<iam::Role> {
    let mut exec_statements =
        vec![statement(&["logs:CreateLogStream", "logs:PutLogEvents"], vec![log_group.attr_arn()])];
    if let Some(repo) = props.image.repository_arn() {
        exec_statements.push(unscoped_statement(&["ecr:GetAuthorizationToken"]));
        let mut actions = vec!["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];
        if matches!(props.image, Image::Cached { .. }) {
            // The first pull of a cached image imports it, creating its repository
            // (https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html).
            actions.extend(["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"]);
        }
        // No kms:Decrypt: ECR decrypts a KMS-encrypted repository's layers through the grants it
        // made on the key when the repository was created
        // (https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html).
        exec_statements.push(statement(&actions, vec![repo]));
    }
    if !props.secrets.is_empty() {
        let mut arns: Vec<Value<String>> = Vec::new();
        for s in props.secrets.values() {
            let a = s.arn();
            if !arns.contains(&a) {
                arns.push(a);
            }
        }
        exec_statements.push(statement(&["secretsmanager:GetSecretValue"], arns));
        // A secret under a customer-managed key is only readable with kms:Decrypt on it.
        let mut keys: Vec<Value<String>> = Vec::new();
        for k in props.secrets.values().filter_map(SecretRef::key_in_region) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        if !keys.is_empty() {
            exec_statements.push(statement(&["kms:Decrypt"], keys));
        }
    }
    scope.add(
        "ExecutionRole",
        iam::Role {
            assume_role_policy_document: trust_policy("ecs-tasks.amazonaws.com"),
            description: Some(format!("ECS pulls, logs and reads secrets for {}", props.name).into()),
            policies: Some(List::items(vec![iam::role::Policy {
                policy_name: "execution".into(),
                policy_document: policy_document(exec_statements),
            }])),
            ..Default::default()
        },
    )
}

fn log_configuration(log_group: Handle<logs::LogGroup>, prefix: &str) -> ecs::task_definition::LogConfiguration {
    let mut o = BTreeMap::new();
    o.insert("awslogs-group".to_owned(), log_group.ref_());
    o.insert("awslogs-region".to_owned(), haplat_core::Pseudo::Region.value());
    o.insert("awslogs-stream-prefix".to_owned(), Value::from(prefix));
    ecs::task_definition::LogConfiguration { log_driver: "awslogs".into(), options: Some(o), ..Default::default() }
}

fn app_container(
    props: &TaskDefinitionProps<'_>,
    name: &str,
    log_group: Handle<logs::LogGroup>,
) -> ecs::task_definition::ContainerDefinition {
    let mut environment: Vec<ecs::task_definition::KeyValuePair> =
        props
            .environment
            .iter()
            .map(|(k, v)| ecs::task_definition::KeyValuePair {
                name: Some(k.clone().into()),
                value: Some(v.clone().into()),
            })
            .chain(props.environment_values.iter().map(|(k, v)| ecs::task_definition::KeyValuePair {
                name: Some(k.clone().into()),
                value: Some(v.clone()),
            }))
            .collect();
    if props.xray {
        for (k, v) in [("AWS_XRAY_DAEMON_ADDRESS", "localhost:2000"), ("AWS_XRAY_TRACING_NAME", props.name.as_str())] {
            if !props.environment.contains_key(k) {
                environment.push(ecs::task_definition::KeyValuePair { name: Some(k.into()), value: Some(v.into()) });
            }
        }
        environment.sort_by_key(|kv| format!("{:?}", kv.name));
    }
    ecs::task_definition::ContainerDefinition {
        name: name.into(),
        image: props.image.uri(),
        essential: Some(true.into()),
        port_mappings: props.port.map(|port| {
            List::items(vec![ecs::task_definition::PortMapping {
                container_port: Some(i64::from(port).into()),
                protocol: Some(ecs::task_definition::Protocol::Tcp.into()),
                name: props.port_name.clone().map(Into::into),
                app_protocol: props
                    .port_name
                    .as_ref()
                    .filter(|_| props.port_http)
                    .map(|_| ecs::task_definition::AppProtocol::Http.into()),
                ..Default::default()
            }])
        }),
        environment: (!environment.is_empty()).then(|| List::items(environment)),
        secrets: (!props.secrets.is_empty()).then(|| {
            List::items(
                props
                    .secrets
                    .iter()
                    .map(|(k, s)| ecs::task_definition::Secret {
                        name: k.clone().into(),
                        // An ARN: ECS reads a bare name as an SSM parameter.
                        value_from: s.partial_arn(),
                    })
                    .collect(),
            )
        }),
        log_configuration: Some(log_configuration(log_group, &props.name.to_lowercase())),
        // A hard limit (Control Tower's CT.ECS.PR.7): the task's memory, less the X-Ray daemon's
        // share when it runs beside; the kernel stops the container at the limit instead of
        // letting it starve its sidecar.
        memory: Some(i64::from(props.memory.saturating_sub(if props.xray { XRAY_DAEMON_MEMORY } else { 0 })).into()),
        ..Default::default()
    }
}

/// The user the X-Ray daemon's image runs as (`xray`).
const XRAY_DAEMON_USER: &str = "10001";

/// The X-Ray daemon's memory, MiB: reserved and its hard limit.
const XRAY_DAEMON_MEMORY: u32 = 256;
