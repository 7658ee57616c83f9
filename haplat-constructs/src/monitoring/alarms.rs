//! The alarms of the services and tables of a region.

use std::collections::BTreeMap;

use haplat_core::resources::cloudwatch::alarm::{Alarm, Statistic};
use haplat_core::value::{Cond, Pseudo, Value};
use haplat_core::{Handle, Scope};

use super::Thresholds;
use crate::alarm::{AlarmSpec, Runbook};
use crate::metrics::{
    DatabaseMetrics, MetricRef, ServiceMetrics, Severity, TableMetrics, expression, load_balancer_error_rate, summed,
};
use crate::naming::pascal;

/// The alarms (error rate, CPU, memory, p99 latency, unhealthy hosts) of `services`, under
/// `scope/<name>Service`; returns each service's critical alarms, by service name.
pub(super) fn service_alarms(
    scope: &Scope,
    th: &Thresholds,
    services: &[ServiceMetrics],
    add: &mut impl FnMut(&Scope, AlarmSpec<'_>, Option<String>) -> Handle<Alarm>,
) -> BTreeMap<String, Vec<Handle<Alarm>>> {
    let mut critical = BTreeMap::new();
    for s in services {
        let svc = scope.child(&format!("{}Service", s.name));
        // Blue/green deployments move the live tasks to the alternate target group and back
        // with every deployment: each metric sums both groups, or the alarms (and the chaos
        // experiments they stop) are blind after every other deploy.
        let (mut metrics, errors) = summed("errors", &s.target_group_metrics("HTTPCode_Target_5XX_Count"), "Sum", 60);
        let (totals, requests) = summed("requests", &s.target_group_metrics("RequestCount"), "Sum", 60);
        metrics.extend(totals);
        // The load balancer's own 5xx (no healthy target, targets dropping connections) have no
        // target group: every service behind it counts them, so an outage is never silent
        // (docs/decisions.md, "A service counts its load balancer's own 5xx").
        metrics.push(s.load_balancer_errors().query("elbErrors", "Sum", 60));
        let all = format!("({} + FILL(elbErrors, 0))", requests.filled);
        let rate = format!("IF({all} > 0, 100 * ({} + FILL(elbErrors, 0)) / {all}, 0)", errors.filled);
        metrics.push(expression("rate", &rate, "5xx error rate (%), the load balancer's own included"));
        let error_rate = add(
            &svc,
            AlarmSpec {
                id: "ErrorRate".into(),
                description: format!(
                    "{}: more than {}% of responses are 5xx, its targets' and its load balancer's own (502, 503 \
                     when no target is healthy, 504; those of any service behind the same load balancer)",
                    s.name, th.error_rate_percent
                ),
                severity: Severity::Critical,
                metrics,
                single: None,
                threshold: th.error_rate_percent,
                periods: 5,
                datapoints: 3,
                runbook: Some(Runbook::Rollback),
            },
            None,
        );
        critical.insert(s.name.clone(), vec![error_rate]);
        let ecs = [("ClusterName", s.cluster_name.clone()), ("ServiceName", s.service_name.clone())];
        let cpu = MetricRef::new("AWS/ECS", "CPUUtilization", ecs.clone());
        let mem = MetricRef::new("AWS/ECS", "MemoryUtilization", ecs.clone());
        for (aid, m, what, t) in [("Cpu", &cpu, "CPU", th.cpu_percent), ("Memory", &mem, "memory", th.memory_percent)] {
            add(
                &svc,
                AlarmSpec {
                    id: aid.into(),
                    description: format!("{}: average {what} utilization above {t}%", s.name),
                    severity: Severity::Warning,
                    metrics: vec![],
                    single: Some((m, Statistic::Average)),
                    threshold: t,
                    periods: 5,
                    datapoints: 5,
                    runbook: None,
                },
                None,
            );
        }
        // p99 response time of the service's targets: the slower of its groups (a blue/green
        // service's idle group has no data, filled with 0).
        let latency = s.target_group_metrics("TargetResponseTime");
        let mut metrics: Vec<_> =
            latency.iter().enumerate().map(|(i, m)| m.query(&format!("p99g{i}"), "p99", 60)).collect();
        let slowest = (0..latency.len()).map(|i| format!("FILL(p99g{i}, 0)")).collect::<Vec<_>>().join(", ");
        metrics.push(expression("p99", &format!("1000 * MAX([{slowest}])"), "p99 response time (ms)"));
        add(
            &svc,
            AlarmSpec {
                id: "LatencyP99".into(),
                description: format!("{}: p99 response time above {} ms", s.name, th.latency_p99_ms),
                severity: Severity::Warning,
                metrics,
                single: None,
                threshold: th.latency_p99_ms,
                periods: 5,
                datapoints: 3,
                runbook: None,
            },
            None,
        );
        let unhealthy = s.target_group_metrics("UnHealthyHostCount");
        let (metrics, single) = match unhealthy.as_slice() {
            [live] => (vec![], Some((live, Statistic::Maximum))),
            both => {
                let (mut queries, sum) = summed("unhealthy", both, "Maximum", 60);
                queries.push(expression("unhealthyTargets", &sum.filled, "Unhealthy targets (both target groups)"));
                (queries, None)
            }
        };
        add(
            &svc,
            AlarmSpec {
                id: "UnhealthyHosts".into(),
                description: format!("{}: targets failing their health check", s.name),
                severity: Severity::Warning,
                metrics,
                single,
                threshold: 0.0,
                periods: 3,
                datapoints: 3,
                runbook: None,
            },
            None,
        );
    }
    critical
}

/// The alarms of `tables` (throttles, and replication latency towards each other region of
/// `platform_regions`), under `scope/<name>Table`.
pub(super) fn table_alarms(
    scope: &Scope,
    th: &Thresholds,
    tables: &[TableMetrics],
    platform_regions: &[String],
    add: &mut impl FnMut(&Scope, AlarmSpec<'_>, Option<String>) -> Handle<Alarm>,
) {
    let stack = scope.stack();
    for table in tables {
        let tscope = scope.child(&format!("{}Table", table.name));
        let name = ("TableName", table.table_name.clone());
        let reads = MetricRef::new("AWS/DynamoDB", "ReadThrottleEvents", [name.clone()]);
        let writes = MetricRef::new("AWS/DynamoDB", "WriteThrottleEvents", [name.clone()]);
        add(
            &tscope,
            AlarmSpec {
                id: "Throttles".into(),
                description: format!("{}: requests throttled", table.name),
                severity: Severity::Warning,
                metrics: vec![
                    reads.query("reads", "Sum", 60),
                    writes.query("writes", "Sum", 60),
                    expression("throttled", "FILL(reads, 0) + FILL(writes, 0)", "Throttled events"),
                ],
                single: None,
                threshold: th.throttled_events_per_minute,
                periods: 5,
                datapoints: 3,
                runbook: None,
            },
            None,
        );
        for peer in platform_regions {
            let latency =
                MetricRef::new("AWS/DynamoDB", "ReplicationLatency", [name.clone(), ("ReceivingRegion", peer.into())]);
            // The template is the same in every region: the alarm towards a region exists only in
            // the other regions' instances.
            let cond = stack.add_condition(
                &format!("IsNot{}", pascal(peer)),
                Cond::not(Cond::equals(Pseudo::Region.value(), peer.into())),
            );
            add(
                &tscope,
                AlarmSpec {
                    id: format!("ReplicationLatencyTo{}", pascal(peer)),
                    description: format!(
                        "{}: replication to {peer} is more than {} ms behind",
                        table.name, th.replication_latency_ms
                    ),
                    severity: Severity::Critical,
                    metrics: vec![],
                    single: Some((&latency, Statistic::Maximum)),
                    threshold: th.replication_latency_ms,
                    periods: 5,
                    datapoints: 3,
                    runbook: Some(Runbook::RegionDown),
                },
                Some(cond),
            );
        }
    }
}

/// The alarms of `databases`, under `scope/<name>Database`: CPU, Serverless v2 capacity
/// (`ACUUtilization`, the share of the maximum ACUs in use) and connections (`DatabaseConnections`
/// of the busiest instance against its `max_connections`, when known) as warnings, and for a global
/// database its replication lag (`AuroraGlobalDBReplicationLag`, published by the secondary
/// clusters, the `Maximum` of a minute for 3 minutes of 5) paging at the data-loss threshold.
pub(super) fn database_alarms(
    scope: &Scope,
    th: &Thresholds,
    databases: &[DatabaseMetrics],
    add: &mut impl FnMut(&Scope, AlarmSpec<'_>, Option<String>) -> Handle<Alarm>,
) {
    for db in databases {
        let dscope = scope.child(&format!("{}Database", db.name));
        let cluster = [("DBClusterIdentifier", db.cluster_identifier.clone())];
        let cpu = MetricRef::new("AWS/RDS", "CPUUtilization", cluster.clone());
        let acu = MetricRef::new("AWS/RDS", "ACUUtilization", cluster.clone());
        for (id, m, what) in [("Cpu", &cpu, "CPU utilization"), ("Capacity", &acu, "share of its maximum ACUs in use")]
        {
            add(
                &dscope,
                AlarmSpec {
                    id: id.into(),
                    description: format!("{}: average {what} above {}%", db.name, th.cpu_percent),
                    severity: Severity::Warning,
                    metrics: vec![],
                    single: Some((m, Statistic::Average)),
                    threshold: th.cpu_percent,
                    periods: 5,
                    datapoints: 5,
                    runbook: None,
                },
                None,
            );
        }
        if let Some(limit) = db.max_connections {
            let connections = MetricRef::new("AWS/RDS", "DatabaseConnections", cluster.clone());
            let threshold = (limit * th.database_connections_percent / 100.0).floor();
            add(
                &dscope,
                AlarmSpec {
                    id: "Connections".into(),
                    description: format!(
                        "{}: an instance holds more than {threshold} connections, {}% of its max_connections ({limit})",
                        db.name, th.database_connections_percent
                    ),
                    severity: Severity::Warning,
                    metrics: vec![],
                    single: Some((&connections, Statistic::Maximum)),
                    threshold,
                    periods: 5,
                    datapoints: 5,
                    runbook: None,
                },
                None,
            );
        }
        if db.global {
            let lag = MetricRef::new("AWS/RDS", "AuroraGlobalDBReplicationLag", cluster);
            add(
                &dscope,
                AlarmSpec {
                    id: "ReplicationLag".into(),
                    description: format!(
                        "{}: this secondary cluster is more than {} ms behind the primary",
                        db.name, th.replication_latency_ms
                    ),
                    severity: Severity::Critical,
                    metrics: vec![],
                    single: Some((&lag, Statistic::Maximum)),
                    threshold: th.replication_latency_ms,
                    periods: 5,
                    datapoints: 3,
                    runbook: Some(Runbook::AuroraFailover),
                },
                None,
            );
        }
    }
}

/// The critical alarm on the 5xx rate of the region's `load_balancers`, their own 5xx included,
/// as `scope/LoadBalancers/ErrorRate` (none without load balancers).
pub(super) fn load_balancer_alarm(
    scope: &Scope,
    th: &Thresholds,
    load_balancers: &[Value<String>],
    add: &mut impl FnMut(&Scope, AlarmSpec<'_>, Option<String>) -> Handle<Alarm>,
) -> Option<Handle<Alarm>> {
    if load_balancers.is_empty() {
        return None;
    }
    Some(add(
        &scope.child("LoadBalancers"),
        AlarmSpec {
            id: "ErrorRate".into(),
            description: format!(
                "the region's load balancers: more than {}% of responses are 5xx, theirs included (503: no healthy \
                 target; 502: targets dropping connections), whatever the service",
                th.error_rate_percent
            ),
            severity: Severity::Critical,
            metrics: load_balancer_error_rate(load_balancers),
            single: None,
            threshold: th.error_rate_percent,
            periods: 5,
            datapoints: 3,
            runbook: Some(Runbook::RegionDown),
        },
        None,
    ))
}
