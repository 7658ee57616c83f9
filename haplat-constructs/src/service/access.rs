//! Who reaches the tasks: their security group, the ALB's rules to them, callers.

use haplat_core::resources::ec2;
use haplat_core::value::List;
use haplat_core::{Handle, Scope, Stack};

use super::{Service, ServiceEnv, ServiceProps};

/// The tasks' security group: they admit only their ALB (none for a Cloud-Map-only service),
/// on the container port, and may call out on HTTPS. Other services of the API reach them only
/// when named as callers ([`Service::allow_from`]).
pub(super) fn security_group(scope: &Scope, props: &ServiceProps, env: &ServiceEnv<'_>) -> Handle<ec2::SecurityGroup> {
    let security_group = scope.add(
        "SecurityGroup",
        ec2::SecurityGroup {
            group_description: match env.alb {
                Some(_) => format!("{} tasks: container port from the ALB only", props.name),
                None => format!("{} tasks: container port from its declared callers only", props.name),
            }
            .into(),
            vpc_id: Some(env.network.vpc.ref_()),
            security_group_egress: Some(List::items(vec![ec2::security_group::Egress {
                cidr_ip: Some("0.0.0.0/0".into()),
                description: Some("HTTPS to AWS APIs and dependencies".into()),
                from_port: Some(443.into()),
                to_port: Some(443.into()),
                ip_protocol: "tcp".into(),
                ..Default::default()
            }])),
            ..Default::default()
        },
    );
    let Some(alb) = env.alb else {
        // Cloud-Map-only: nothing but the callers' rules (Service::allow_from) admits anyone.
        return security_group;
    };
    scope.add(
        "IngressFromAlb",
        ec2::SecurityGroupIngress {
            group_id: Some(security_group.attr_group_id()),
            ip_protocol: "tcp".into(),
            from_port: Some(i64::from(props.port).into()),
            to_port: Some(i64::from(props.port).into()),
            source_security_group_id: Some(alb.security_group.attr_group_id()),
            description: Some("from the ALB".into()),
            ..Default::default()
        },
    );
    // The ALB's own rules (egress to the tasks, the listener rule) live with the ALB when the
    // service shares its stack; a service in a stack of its own keeps them beside it, so that
    // only the service's stack reads the ALB's, never the other way round (no cycle).
    if own_stack(scope, env) {
        alb.allow_to_at(scope, "AlbEgress", &props.name, security_group.attr_group_id(), props.port);
    } else {
        alb.allow_to(&props.name, security_group.attr_group_id(), props.port);
    }
    security_group
}

/// Whether the service is in a stack other than its ALB's (the API's).
pub(super) fn own_stack(scope: &Scope, env: &ServiceEnv<'_>) -> bool {
    scope.stack().node() != env.shared_stack.node()
}

/// [`Service::allow_from`].
pub(super) fn allow_from(callee: &Service, caller: &Service) {
    if caller.scope.node() == callee.scope.node() {
        callee.scope.error("a service cannot be its own caller (its tasks are one security group)");
        return;
    }
    if caller.shared_stack.node() != callee.shared_stack.node() {
        callee.scope.error(format!(
            "caller {} belongs to another API ({}); services call each other only within one",
            caller.name,
            caller.shared_stack.id()
        ));
        return;
    }
    let (mine, theirs) = (callee.scope.stack(), caller.scope.stack());
    let at_callee = mine.node() == theirs.node() || {
        let stacks = callee.scope.app().stacks();
        let position = |s: &Stack| stacks.iter().position(|x| x.node() == s.node());
        position(&mine) >= position(&theirs)
    };
    let port = Some(i64::from(callee.port).into());
    if callee.calls.borrow_mut().insert(caller.scope.path()) {
        let (home, ingress, egress) = if at_callee {
            (&callee.scope, format!("IngressFrom{}", caller.name), format!("EgressFrom{}", caller.name))
        } else {
            (&caller.scope, format!("IngressTo{}", callee.name), format!("EgressTo{}", callee.name))
        };
        home.add(
            &ingress,
            ec2::SecurityGroupIngress {
                group_id: Some(callee.security_group.attr_group_id()),
                ip_protocol: "tcp".into(),
                from_port: port.clone(),
                to_port: port.clone(),
                source_security_group_id: Some(caller.security_group.attr_group_id()),
                description: Some(format!("from the {} tasks", caller.name).into()),
                ..Default::default()
            },
        );
        home.add(
            &egress,
            ec2::SecurityGroupEgress {
                group_id: caller.security_group.attr_group_id(),
                ip_protocol: "tcp".into(),
                from_port: port.clone(),
                to_port: port,
                destination_security_group_id: Some(callee.security_group.attr_group_id()),
                description: Some(format!("to the {} tasks", callee.name).into()),
                ..Default::default()
            },
        );
    }
    // Through the internal ALB, which admits only declared callers: its ingress from the
    // caller, beside the caller (whose stack reads the API's, never the other way round).
    // A Cloud-Map-only callee has no ALB: the pair above is all.
    let Some(alb_security_group) = callee.alb_security_group.clone().filter(|_| callee.internal) else {
        return;
    };
    if caller.calls.borrow_mut().insert(format!("internal ALB ingress:{}", callee.listener_port)) {
        caller.scope.add(
            &format!("InternalAlbIngress{}", callee.listener_port),
            ec2::SecurityGroupIngress {
                group_id: Some(alb_security_group.clone()),
                ip_protocol: "tcp".into(),
                from_port: Some(i64::from(callee.listener_port).into()),
                to_port: Some(i64::from(callee.listener_port).into()),
                source_security_group_id: Some(caller.security_group.attr_group_id()),
                description: Some(format!("HTTPS from the {} tasks", caller.name).into()),
                ..Default::default()
            },
        );
    }
    // The caller's HTTPS egress covers 443; another listener port needs its own rule, beside
    // the caller.
    if callee.listener_port != 443 && caller.calls.borrow_mut().insert(format!("internal ALB:{}", callee.listener_port))
    {
        let port = Some(i64::from(callee.listener_port).into());
        caller.scope.add(
            &format!("InternalAlbEgress{}", callee.listener_port),
            ec2::SecurityGroupEgress {
                group_id: caller.security_group.attr_group_id(),
                ip_protocol: "tcp".into(),
                from_port: port.clone(),
                to_port: port,
                destination_security_group_id: Some(alb_security_group),
                description: Some(format!("HTTPS to the internal ALB on {}", callee.listener_port).into()),
                ..Default::default()
            },
        );
    }
}
