//! Who may connect: IAM database authentication and the security group rules on 5432.

use haplat_core::Scope;
use haplat_core::resources::ec2;
use haplat_core::resources::ssm::parameter as ssm;
use haplat_core::value::{List, Value};

use super::checks::pg_name_ok;
use super::{AuroraGlobal, PORT};
use crate::security::{Grantee, Permission};
use crate::service::Service;

/// The ingress rule on 5432 from the security group `source` (`PostgreSQL from <description>`).
fn ingress(source: Value<String>, description: &str) -> ec2::security_group::Ingress {
    ec2::security_group::Ingress {
        source_security_group_id: Some(source),
        description: Some(format!("PostgreSQL from {description}").into()),
        from_port: Some(i64::from(PORT).into()),
        to_port: Some(i64::from(PORT).into()),
        ip_protocol: "tcp".into(),
        ..Default::default()
    }
}

/// `rds-db:connect` as `db_user` on the cluster of this resource id (`cluster-ABC…`).
fn connect_permission(cluster_resource_id: Value<String>, db_user: &str) -> Permission {
    let arn = Value::sub_with(
        format!(
            "arn:${{AWS::Partition}}:rds-db:${{AWS::Region}}:${{AWS::AccountId}}:dbuser:${{ClusterResourceId}}/{db_user}"
        ),
        [("ClusterResourceId", cluster_resource_id)],
    );
    Permission::new(["rds-db:connect"], [arn])
}

impl AuroraGlobal {
    /// Adds an ingress rule on 5432 from `source` to the database's security group.
    pub(super) fn admit(&self, source: Value<String>, description: &str) {
        let rule = ingress(source, description);
        let rules = {
            let mut a = self.admitted.borrow_mut();
            if a.0.contains(&rule) {
                return;
            }
            a.0.push(rule);
            a.0.clone()
        };
        self.scope.update(self.security_group, |sg| sg.security_group_ingress = Some(List::items(rules)));
    }

    /// [`AuroraGlobal::grant_connect`] for a service in a service stack of the database's API.
    fn grant_connect_across(&self, service: &Service, db_user: &str) {
        let id = self
            .scope
            .path()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>();
        let resource_id = {
            let mut shared = self.shared_resource_id.borrow_mut();
            *shared.get_or_insert_with(|| {
                self.scope.add(
                    "LocalClusterResourceId",
                    ssm::Parameter {
                        type_: ssm::Type::String.into(),
                        value: self.cluster_resource_id(),
                        description: Some(
                            format!(
                                "The resource id of the Aurora cluster of {} in this region, for the service stacks",
                                self.global_cluster_identifier
                            )
                            .into(),
                        ),
                        ..Default::default()
                    },
                )
            })
        };
        service.grant(&connect_permission(resource_id.attr_value(), db_user));
        let scope = service.scope();
        if self.admitted.borrow_mut().1.insert(format!("{}/{id}", scope.path())) {
            // The rule admit() would add, as a resource of the service's stack: the database's
            // stack cannot name a security group of a stack deployed after it.
            let rule = ingress(service.security_group.attr_group_id(), &format!("the {} tasks", service.name));
            scope.add(
                &format!("{id}Ingress"),
                ec2::SecurityGroupIngress {
                    group_id: Some(self.security_group.attr_group_id()),
                    source_security_group_id: rule.source_security_group_id,
                    description: rule.description,
                    from_port: rule.from_port,
                    to_port: rule.to_port,
                    ip_protocol: rule.ip_protocol,
                    ..Default::default()
                },
            );
            self.add_egress(scope, &format!("{id}Egress"), service);
        }
    }

    /// The rule on `service`'s tasks' security group that lets them reach the database on 5432,
    /// as `scope/id` (they otherwise may send HTTPS only).
    fn add_egress(&self, scope: &Scope, id: &str, service: &Service) {
        scope.add(
            id,
            ec2::SecurityGroupEgress {
                group_id: service.security_group.attr_group_id(),
                destination_security_group_id: Some(self.security_group.attr_group_id()),
                description: Some(
                    format!("PostgreSQL to the Aurora global database {}", self.global_cluster_identifier).into(),
                ),
                from_port: Some(i64::from(PORT).into()),
                to_port: Some(i64::from(PORT).into()),
                ip_protocol: "tcp".into(),
                ..Default::default()
            },
        );
    }

    /// `rds-db:connect` as `db_user` on the cluster of the grantee's region (IAM database
    /// authentication; the user must exist in the database with `GRANT rds_iam`).
    pub fn connect_permission(&self, db_user: &str) -> Permission {
        connect_permission(self.cluster_resource_id(), db_user)
    }

    /// Lets `service` connect as `db_user`, in every region: `rds-db:connect` on its task role
    /// (through [`Grantee`]), ingress on 5432 from its tasks' security group to the database's,
    /// and the matching egress rule on the tasks' security group (which otherwise allows only
    /// HTTPS out). The service must be in the database's stack, or in a service stack of the
    /// API whose stack holds the database
    /// ([`ApiProps::services_per_stack`](crate::api::ApiProps::services_per_stack)): then the
    /// two rules are in the service's stack, which reads the database's security group, and the
    /// cluster resource id comes from an SSM parameter of the database's stack holding this
    /// region's (a value chosen by the primary/secondary condition cannot cross stacks, the
    /// cluster it names existing in some regions only).
    pub fn grant_connect(&self, service: &Service, db_user: &str) {
        if !pg_name_ok(db_user) {
            self.scope.error(format!(
                "database user {db_user:?}: use 1 to 63 letters, digits or underscores starting with a letter"
            ));
            return;
        }
        if service.scope().stack().id() != self.stack_id && service.shared_stack().id() == self.stack_id {
            self.grant_connect_across(service, db_user);
            return;
        }
        if service.scope().stack().id() != self.stack_id {
            self.scope.error(format!(
                "service {} is in the stack {}, not in the database's stack {}: put both in the same stack set",
                service.name,
                service.scope().stack().id(),
                self.stack_id
            ));
            return;
        }
        service.grant(&self.connect_permission(db_user));
        self.admit(service.security_group.attr_group_id(), &format!("the {} tasks", service.name));
        let egress_id =
            format!("{}Egress", service.name.chars().filter(char::is_ascii_alphanumeric).collect::<String>());
        if self.admitted.borrow_mut().1.insert(egress_id.clone()) {
            self.add_egress(&self.scope, &egress_id, service);
        }
    }
}
