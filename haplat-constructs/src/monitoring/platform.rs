//! One dashboard over every region of the platform ([`PlatformDashboard`]): per region the
//! requests, the 5xx of the targets and of the load balancer itself, p50 and p99 latency, the
//! error ratio against the SLO's budget, the replication latency of the tables, the healthy
//! targets of each target group of the load balancer, the SLO's burn rate over the page windows of
//! [`BurnWindow::page_defaults`] and the error budget left over the budget period
//! ([`BUDGET_PERIOD_DAYS`]); and the edge's requests and 5xx rate. CloudWatch dashboards are
//! global: each graph names its region.

use haplat_core::resources::cloudwatch::dashboard::Dashboard;
use haplat_core::value::Value;
use haplat_core::{Handle, Scope};

use crate::naming::pascal;
use crate::slo::{BUDGET_PERIOD_DAYS, BurnWindow};

/// One region of a [`PlatformDashboard`].
#[derive(Clone, Debug)]
pub struct RegionView {
    /// The region.
    pub region: String,
    /// Its public load balancer's `LoadBalancerFullName`, read from that region
    /// (`.in_region(region)`).
    pub load_balancer: Value<String>,
}

/// What a [`PlatformDashboard`] shows.
#[derive(Clone, Debug)]
pub struct PlatformDashboardProps {
    /// The regions, in the order shown.
    pub regions: Vec<RegionView>,
    /// The availability objective (percent) whose error budget the error-ratio graphs mark.
    pub availability_objective: f64,
    /// Global tables whose replication latency each region shows (`TableName`, the same in every
    /// region). Default: none.
    pub tables: Vec<Value<String>>,
    /// The CloudFront distribution in front (its id). Default: none.
    pub distribution_id: Option<Value<String>>,
}

/// The dashboard (`scope/Dashboard`).
#[derive(Clone, Copy, Debug)]
pub struct PlatformDashboard {
    /// The dashboard.
    pub dashboard: Handle<Dashboard>,
}

fn graph(title: &str, region: &str, metrics: serde_json::Value, extra: serde_json::Value) -> serde_json::Value {
    let mut w = serde_json::json!({
        "type": "metric", "width": 8, "height": 6,
        "properties": {"title": title, "region": region, "view": "timeSeries", "stacked": false, "period": 60, "metrics": metrics}
    });
    if let serde_json::Value::Object(m) = extra {
        for (k, v) in m {
            w["properties"][k] = v;
        }
    }
    w
}

impl PlatformDashboard {
    /// Adds the dashboard under `scope.child(id)`: a row per region, the edge's row first.
    pub fn new(scope: &Scope, id: &str, props: PlatformDashboardProps) -> PlatformDashboard {
        let scope = scope.child(id);
        if !(50.0..100.0).contains(&props.availability_objective) {
            scope.error(format!(
                "availability objective {} must be at least 50 and below 100 (percent)",
                props.availability_objective
            ));
        }
        // The budget as a ratio, without the float noise of 1 - 0.9995.
        let budget = ((100.0 - props.availability_objective) * 1e6).round() / 1e8;
        let mut vars: Vec<(String, Value<String>)> = Vec::new();
        let mut rows: Vec<Vec<serde_json::Value>> = Vec::new();
        if let Some(d) = &props.distribution_id {
            vars.push(("Distribution".into(), d.clone()));
            rows.push(vec![graph(
                "edge: requests and 5xx rate (%)",
                "us-east-1",
                serde_json::json!([
                    ["AWS/CloudFront", "Requests", "DistributionId", "${Distribution}", "Region", "Global", {"stat": "Sum"}],
                    [".", "5xxErrorRate", ".", ".", ".", ".", {"stat": "Average", "yAxis": "right"}],
                ]),
                serde_json::json!({}),
            )]);
        }
        for (i, t) in props.tables.iter().enumerate() {
            vars.push((format!("Table{i}"), t.clone()));
        }
        for r in &props.regions {
            let lb = format!("Lb{}", pascal(&r.region));
            vars.push((lb.clone(), r.load_balancer.clone()));
            let lb = format!("${{{lb}}}");
            let mut row = vec![
                graph(
                    &format!("{}: requests and 5xx (targets, load balancer)", r.region),
                    &r.region,
                    serde_json::json!([
                        ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", lb, {"stat": "Sum"}],
                        [".", "HTTPCode_Target_5XX_Count", ".", ".", {"stat": "Sum"}],
                        [".", "HTTPCode_ELB_5XX_Count", ".", ".", {"stat": "Sum"}],
                    ]),
                    serde_json::json!({}),
                ),
                graph(
                    &format!("{}: latency p50 and p99 (s)", r.region),
                    &r.region,
                    serde_json::json!([
                        ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", lb, {"stat": "p50"}],
                        ["...", {"stat": "p99"}],
                    ]),
                    serde_json::json!({}),
                ),
                graph(
                    &format!("{}: error ratio against the budget of {}%", r.region, props.availability_objective),
                    &r.region,
                    serde_json::json!([
                        ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", lb, {"stat": "Sum", "id": "t", "visible": false}],
                        [".", "HTTPCode_ELB_5XX_Count", ".", ".", {"stat": "Sum", "id": "e", "visible": false}],
                        [".", "RequestCount", ".", ".", {"stat": "Sum", "id": "n", "visible": false}],
                        [{"expression": "IF((FILL(n, 0) + FILL(e, 0)) > 0, (FILL(t, 0) + FILL(e, 0)) / (FILL(n, 0) + FILL(e, 0)), 0)",
                          "label": "5xx ratio", "id": "ratio"}],
                    ]),
                    serde_json::json!({"annotations": {"horizontal": [{"label": "error budget", "value": budget}]}}),
                ),
            ];
            // The availability indicator of the region's load balancer (its own 5xx included,
            // as the `PublicAlbAvailability` SLO reads it) over `period` seconds, as ids
            // `t<sfx>`, `e<sfx>`, `n<sfx>` and `ratio<sfx>`, hidden.
            let ratio = |sfx: &str, period: i64| {
                let (t, e, n) = (format!("t{sfx}"), format!("e{sfx}"), format!("n{sfx}"));
                let all = format!("(FILL({n}, 0) + FILL({e}, 0))");
                vec![
                    serde_json::json!(["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", lb,
                        {"stat": "Sum", "id": t, "visible": false, "period": period}]),
                    serde_json::json!([".", "HTTPCode_ELB_5XX_Count", ".", ".",
                        {"stat": "Sum", "id": e, "visible": false, "period": period}]),
                    serde_json::json!([".", "RequestCount", ".", ".",
                        {"stat": "Sum", "id": n, "visible": false, "period": period}]),
                    serde_json::json!([{"expression": format!("IF({all} > 0, (FILL({t}, 0) + FILL({e}, 0)) / {all}, 0)"),
                        "id": format!("ratio{sfx}"), "visible": false}]),
                ]
            };
            // Burn rate: the error ratio over each page window's long window, in budgets.
            let windows = BurnWindow::page_defaults();
            let mut burn = Vec::new();
            for (i, w) in windows.iter().enumerate() {
                burn.extend(ratio(&i.to_string(), w.long_seconds));
                burn.push(serde_json::json!([{"expression": format!("ratio{i} / {budget}"),
                    "label": format!("burn rate over {} h", w.long_seconds / 3600), "id": format!("burn{i}")}]));
            }
            let pages: Vec<serde_json::Value> = windows
                .iter()
                .map(|w| {
                    serde_json::json!({"label": format!("pages at {}x ({} h)", w.burn_rate, w.long_seconds / 3600),
                    "value": w.burn_rate})
                })
                .collect();
            // The budget left over the budget period: one value over the whole period.
            let mut left = ratio("", BUDGET_PERIOD_DAYS * 86_400);
            left.push(serde_json::json!([{"expression": format!("100 * (1 - ratio / {budget})"),
                "label": "error budget left (%)", "id": "left"}]));
            let mut budget_row = vec![
                graph(
                    &format!("{}: SLO burn rate (x the budget of {}%)", r.region, props.availability_objective),
                    &r.region,
                    serde_json::Value::Array(burn),
                    serde_json::json!({"annotations": {"horizontal": pages}}),
                ),
                graph(
                    &format!(
                        "{}: error budget left over {BUDGET_PERIOD_DAYS} days (%), objective {}%",
                        r.region, props.availability_objective
                    ),
                    &r.region,
                    serde_json::Value::Array(left),
                    serde_json::json!({"view": "singleValue", "setPeriodToTimeRange": true,
                        "start": format!("-P{BUDGET_PERIOD_DAYS}D")}),
                ),
            ];
            // Healthy targets of every target group of the load balancer, by a search over the
            // region's metrics: the services' target groups are in the API's (or a service's)
            // stack of each region, and naming them here would cost the edge stack three
            // parameters per service and region (CloudFormation allows 200). The regional
            // dashboards show each service's groups by name.
            let search = format!(
                "SEARCH('{{AWS/ApplicationELB,LoadBalancer,TargetGroup}} MetricName=\"HealthyHostCount\" \
                 LoadBalancer=\"{lb}\"', 'Minimum', 60)"
            );
            budget_row.insert(
                0,
                graph(
                    &format!("{}: healthy targets per target group", r.region),
                    &r.region,
                    serde_json::json!([[{"expression": search, "id": "healthy"}]]),
                    serde_json::json!({}),
                ),
            );
            if !props.tables.is_empty() {
                let lines: Vec<serde_json::Value> = (0..props.tables.len())
                    .flat_map(|i| {
                        props.regions.iter().filter(|peer| peer.region != r.region).map(move |peer| {
                            serde_json::json!(["AWS/DynamoDB", "ReplicationLatency", "TableName", format!("${{Table{i}}}"),
                                "ReceivingRegion", peer.region, {"stat": "Maximum"}])
                        })
                    })
                    .collect();
                if !lines.is_empty() {
                    row.push(graph(
                        &format!("{}: replication latency (ms)", r.region),
                        &r.region,
                        serde_json::Value::Array(lines),
                        serde_json::json!({}),
                    ));
                }
            }
            rows.push(row);
            rows.push(budget_row);
        }
        let mut widgets = Vec::new();
        let mut top = 0;
        for row in rows {
            let lines = row.len().div_ceil(3);
            for (x, mut w) in row.into_iter().enumerate() {
                // Three graphs of 8 a line; a fourth (replication) wraps to the next line.
                w["x"] = serde_json::json!((x % 3) * 8);
                w["y"] = serde_json::json!(top + (x / 3) * 6);
                widgets.push(w);
            }
            top += lines * 6;
        }
        let body = serde_json::json!({ "widgets": widgets }).to_string();
        let dashboard =
            scope.add("Dashboard", Dashboard { dashboard_body: Value::sub_with(body, vars), ..Default::default() });
        PlatformDashboard { dashboard }
    }
}
