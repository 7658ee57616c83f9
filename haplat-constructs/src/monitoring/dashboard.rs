//! The dashboard of a region: three widgets per service (four with ECS Service Connect), two per
//! table, laid out two a row.

use haplat_core::resources::cloudwatch::dashboard::Dashboard;
use haplat_core::value::Value;
use haplat_core::{Handle, Scope};

use crate::metrics::{ServiceMetrics, TableMetrics};

/// The widgets of `services` (requests and 5xx, the calls through Service Connect, CPU and
/// memory, healthy targets) and the variables they name.
pub(super) fn service_widgets(
    services: &[ServiceMetrics],
    widgets: &mut Vec<serde_json::Value>,
    vars: &mut Vec<(String, Value<String>)>,
) {
    for (i, s) in services.iter().enumerate() {
        let (c, sv, l) = (format!("Cluster{i}"), format!("Service{i}"), format!("Lb{i}"));
        vars.push((c.clone(), s.cluster_name.clone()));
        vars.push((sv.clone(), s.service_name.clone()));
        vars.push((l.clone(), s.load_balancer_full_name.clone()));
        vars.push((format!("Tg{i}"), s.target_group_full_name.clone()));
        let (c, sv, l, t) = (format!("${{{c}}}"), format!("${{{sv}}}"), format!("${{{l}}}"), format!("${{Tg{i}}}"));
        widgets.push(match &s.alternate_target_group_full_name {
            None => widget(
                &format!("{}: requests and 5xx", s.name),
                serde_json::json!([
                    ["AWS/ApplicationELB", "RequestCount", "TargetGroup", t, "LoadBalancer", l, {"stat": "Sum"}],
                    [".", "HTTPCode_Target_5XX_Count", ".", ".", ".", ".", {"stat": "Sum"}],
                ]),
            ),
            // Blue/green: the sums over both target groups, as the alarm sees them.
            Some(alt) => {
                vars.push((format!("AltTg{i}"), alt.clone()));
                let mut lines = Vec::new();
                for (n, tg) in [t, format!("${{AltTg{i}}}")].into_iter().enumerate() {
                    lines.push(serde_json::json!([
                        "AWS/ApplicationELB", "RequestCount", "TargetGroup", tg, "LoadBalancer", l,
                        {"stat": "Sum", "id": format!("requests{n}"), "visible": false}
                    ]));
                    lines.push(serde_json::json!([
                        ".", "HTTPCode_Target_5XX_Count", ".", ".", ".", ".",
                        {"stat": "Sum", "id": format!("errors{n}"), "visible": false}
                    ]));
                }
                lines.push(serde_json::json!([
                    {"expression": "FILL(requests0, 0) + FILL(requests1, 0)", "label": "RequestCount", "id": "requests"}
                ]));
                lines.push(serde_json::json!([
                    {"expression": "FILL(errors0, 0) + FILL(errors1, 0)", "label": "HTTPCode_Target_5XX_Count",
                     "id": "errors"}
                ]));
                widget(&format!("{}: requests and 5xx (both target groups)", s.name), serde_json::Value::Array(lines))
            }
        });
        // The load balancer's own 5xx, which the service's error-rate alarm counts too: per load
        // balancer only, so those of every service behind it.
        let elb = serde_json::json!(["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", l,
            {"stat": "Sum", "label": "HTTPCode_ELB_5XX_Count (the load balancer's own, any service's)"}]);
        if let Some(serde_json::Value::Array(lines)) = widgets.last_mut().map(|w| &mut w["properties"]["metrics"]) {
            lines.push(elb);
        }
        // Calls through ECS Service Connect: what the service receives (per DiscoveryName), the
        // 5xx and p99 its callers see (per TargetDiscoveryName, summed over callers).
        if let Some(d) = &s.connect_discovery_name {
            widgets.push(widget(
                &format!("{}: calls through Service Connect", s.name),
                serde_json::json!([
                    ["AWS/ECS", "RequestCount", "ClusterName", c, "ServiceName", sv, "DiscoveryName", d, {"stat": "Sum"}],
                    ["AWS/ECS", "HTTPCode_Target_5XX_Count", "TargetDiscoveryName", d, {"stat": "Sum"}],
                    ["AWS/ECS", "TargetResponseTime", "TargetDiscoveryName", d, {"stat": "p99", "yAxis": "right"}],
                ]),
            ));
        }
        widgets.push(widget(
            &format!("{}: CPU and memory", s.name),
            serde_json::json!([
                ["AWS/ECS", "CPUUtilization", "ClusterName", c, "ServiceName", sv],
                [".", "MemoryUtilization", ".", ".", ".", "."],
            ]),
        ));
        // Healthy targets: the fewest in the minute, of each group (a blue/green service's
        // summed, as the live tasks move between them), and the unhealthy ones.
        let groups: Vec<String> = std::iter::once(format!("${{Tg{i}}}"))
            .chain(s.alternate_target_group_full_name.as_ref().map(|_| format!("${{AltTg{i}}}")))
            .collect();
        let mut lines = Vec::new();
        for (g, tg) in groups.iter().enumerate() {
            for (metric, id) in [("HealthyHostCount", "healthy"), ("UnHealthyHostCount", "unhealthy")] {
                lines.push(serde_json::json!([
                    "AWS/ApplicationELB", metric, "TargetGroup", tg, "LoadBalancer", l,
                    {"stat": if id == "healthy" { "Minimum" } else { "Maximum" }, "id": format!("{id}{g}"), "visible": false}
                ]));
            }
        }
        for (id, label) in [("healthy", "HealthyHostCount"), ("unhealthy", "UnHealthyHostCount")] {
            let sum: Vec<String> = (0..groups.len()).map(|g| format!("FILL({id}{g}, 0)")).collect();
            lines.push(serde_json::json!([{"expression": sum.join(" + "), "label": label, "id": id}]));
        }
        widgets.push(widget(&format!("{}: healthy targets", s.name), serde_json::Value::Array(lines)));
    }
}

/// The widgets of `tables` (throttled events, replication latency towards each region of
/// `platform_regions`) and the variables they name.
pub(super) fn table_widgets(
    tables: &[TableMetrics],
    platform_regions: &[String],
    widgets: &mut Vec<serde_json::Value>,
    vars: &mut Vec<(String, Value<String>)>,
) {
    for (i, table) in tables.iter().enumerate() {
        let tv = format!("Table{i}");
        vars.push((tv.clone(), table.table_name.clone()));
        let tv = format!("${{{tv}}}");
        let lines: Vec<serde_json::Value> = platform_regions
            .iter()
            .map(|peer| {
                serde_json::json!(["AWS/DynamoDB", "ReplicationLatency", "TableName", tv, "ReceivingRegion", peer])
            })
            .collect();
        widgets.push(widget(
            &format!("{}: throttled events", table.name),
            serde_json::json!([
                ["AWS/DynamoDB", "ReadThrottleEvents", "TableName", tv, {"stat": "Sum"}],
                [".", "WriteThrottleEvents", ".", ".", {"stat": "Sum"}],
            ]),
        ));
        widgets.push(widget(&format!("{}: replication latency (ms)", table.name), serde_json::Value::Array(lines)));
    }
}

/// The dashboard of `widgets` (laid out two a row) as `scope/Dashboard`.
pub(super) fn dashboard(
    scope: &Scope,
    mut widgets: Vec<serde_json::Value>,
    vars: Vec<(String, Value<String>)>,
) -> Handle<Dashboard> {
    if widgets.is_empty() {
        widgets.push(serde_json::json!({
            "type": "text", "x": 0, "y": 0, "width": 24, "height": 2,
            "properties": {"markdown": "Nothing is monitored in this region yet."}
        }));
    }
    for (n, w) in widgets.iter_mut().enumerate() {
        w["x"] = serde_json::json!((n % 2) * 12);
        w["y"] = serde_json::json!((n / 2) * 6);
    }
    let body = serde_json::json!({ "widgets": widgets }).to_string();
    // Nothing to substitute (only the placeholder text widget): a plain string, as cfn-lint asks.
    let body = if vars.is_empty() && !body.contains("${") { Value::from(body) } else { Value::sub_with(body, vars) };
    scope.add("Dashboard", Dashboard { dashboard_body: body, ..Default::default() })
}

fn widget(title: &str, metrics: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "type": "metric", "width": 12, "height": 6,
        "properties": {
            "title": title, "region": "${AWS::Region}", "view": "timeSeries", "stacked": false,
            "period": 60, "metrics": metrics,
        }
    })
}
