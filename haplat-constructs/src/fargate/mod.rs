//! The ECS Fargate middle layer: a [`TaskDefinition`] (containers, execution role scoped to
//! exactly its image repository, log group and secrets, task role, encrypted log group) and a
//! [`FargateService`] (the ECS service with its deployment configuration, circuit breaker,
//! native blue/green and network configuration). Each adds its resources with the ids it is
//! given, directly in the caller's scope, like a CDK L2 whose id is its resource's.
//! [`Service`](crate::service::Service) composes them.
//!
//! ```
//! use haplat_constructs::fargate::{FARGATE_SIZES, fargate_size_problem};
//!
//! assert!(fargate_size_problem(1024, 2048).is_none());
//! let why = fargate_size_problem(256, 4096).unwrap();
//! assert!(why.contains("256 CPU units take 512, 1024 or 2048 MiB"), "{why}");
//! assert_eq!(FARGATE_SIZES.len(), 7);
//! ```

mod service;
mod task_definition;

pub use service::{BlueGreen, Deployment, FargateService, FargateServiceProps};
pub use task_definition::{
    FARGATE_SIZES, RunAs, TaskDefinition, TaskDefinitionProps, XRAY_DAEMON_IMAGE, ecr_repository_arn,
    fargate_size_problem,
};
