//! [`Observe`] over AWS: CloudFormation (stack resources), Route 53, CloudWatch (in its Query
//! protocol), Elastic Load Balancing and AWS FIS as signed calls ([`crate::signed`]), all with
//! the same credentials, endpoint, timeout and bounded retries; every error one
//! [`crate::cfn::CfnError`].

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use crate::cfn::{CfnError, CfnResult};
use crate::observe::*;
use crate::sdk::{Aws, Form};
use crate::signed::{CLOUDWATCH, Call, ELBV2, FIS, ROUTE53, Xml, encode};
use serde_json::json;

/// A metric data query as CloudWatch's Query parameters under `prefix` (`MetricDataQueries.member.1`).
fn query_params(prefix: &str, q: &MetricQuery, out: &mut Vec<(String, String)>) {
    let mut put = |name: &str, value: String| out.push((format!("{prefix}.{name}"), value));
    put("Id", q.id.clone());
    if let Some(e) = &q.expression {
        put("Expression", e.clone());
    }
    if let Some(m) = &q.metric {
        put("MetricStat.Metric.Namespace", m.namespace.clone());
        put("MetricStat.Metric.MetricName", m.name.clone());
        for (i, (k, v)) in m.dimensions.iter().enumerate() {
            put(&format!("MetricStat.Metric.Dimensions.member.{}.Name", i + 1), k.clone());
            put(&format!("MetricStat.Metric.Dimensions.member.{}.Value", i + 1), v.clone());
        }
        put("MetricStat.Period", m.period.to_string());
        put("MetricStat.Stat", m.stat.clone());
    }
    if let Some(l) = &q.label {
        put("Label", l.clone());
    }
    put("ReturnData", q.return_data.to_string());
    if let Some(p) = q.period {
        put("Period", p.to_string());
    }
}

/// A `MetricDataQuery` element of CloudWatch's answer.
fn query_of(q: &Xml) -> MetricQuery {
    let text = |path: &[&str]| q.text_at(path).map(str::to_owned);
    let number = |path: &[&str]| q.text_at(path).and_then(|n| n.trim().parse::<i64>().ok()).map(|n| n.max(0) as u32);
    MetricQuery {
        id: text(&["Id"]).unwrap_or_default(),
        expression: text(&["Expression"]),
        metric: q.child("MetricStat").map(|s| MetricStat {
            namespace: s.text_at(&["Metric", "Namespace"]).unwrap_or_default().to_owned(),
            name: s.text_at(&["Metric", "MetricName"]).unwrap_or_default().to_owned(),
            dimensions: s
                .list(&["Metric", "Dimensions"])
                .iter()
                .map(|d| {
                    (
                        d.text_at(&["Name"]).unwrap_or_default().to_owned(),
                        d.text_at(&["Value"]).unwrap_or_default().to_owned(),
                    )
                })
                .collect(),
            period: s.text_at(&["Period"]).and_then(|n| n.trim().parse::<i64>().ok()).unwrap_or(60).max(0) as u32,
            stat: s.text_at(&["Stat"]).unwrap_or_default().to_owned(),
        }),
        label: text(&["Label"]),
        return_data: q.bool_at(&["ReturnData"]).unwrap_or(true),
        period: number(&["Period"]),
    }
}

/// An alarm element of `DescribeAlarms`' answer.
fn alarm_of(a: &Xml, composite: bool) -> Alarm {
    let text = |name: &str| a.text_at(&[name]).unwrap_or_default().to_owned();
    Alarm {
        name: text("AlarmName"),
        composite,
        state: text("StateValue"),
        reason: text("StateReason"),
        pages: a.bool_at(&["ActionsEnabled"]).unwrap_or(true) && !a.list(&["AlarmActions"]).is_empty(),
        description: a.text_at(&["AlarmDescription"]).map(str::to_owned),
        threshold: if composite { None } else { a.text_at(&["Threshold"]).and_then(|t| t.trim().parse().ok()) },
        metrics: a.list(&["Metrics"]).iter().map(query_of).collect(),
    }
}

/// A CloudWatch timestamp parameter: `seconds` ago to now, in ISO 8601.
pub(crate) fn window(seconds: u32) -> (String, String) {
    let now = SystemTime::now();
    let start = now.checked_sub(Duration::from_secs(seconds.into())).unwrap_or(SystemTime::UNIX_EPOCH);
    let iso = |t: SystemTime| DateTime::from(t).fmt(Format::DateTime).unwrap_or_default();
    (iso(start), iso(now))
}

/// Route 53's path of a health check.
fn health_check_path(id: &str) -> String {
    format!("/2013-04-01/healthcheck/{}", encode(id))
}

impl Observe for Aws {
    async fn stack_resources(&self, region: &str, stack: &str) -> CfnResult<Vec<StackResource>> {
        let mut form = Form::new();
        form.set("StackName", stack);
        let items = self.cfn_list(region, "ListStackResources", &form, "StackResourceSummaries").await?;
        Ok(items
            .iter()
            .map(|r| StackResource {
                logical_id: r.text_at(&["LogicalResourceId"]).unwrap_or_default().to_owned(),
                physical_id: r.text_at(&["PhysicalResourceId"]).filter(|p| !p.is_empty()).map(str::to_owned),
                resource_type: r.text_at(&["ResourceType"]).unwrap_or_default().to_owned(),
                status: r.text_at(&["ResourceStatus"]).unwrap_or_default().to_owned(),
            })
            .collect())
    }

    async fn health_check(&self, id: &str) -> CfnResult<HealthCheck> {
        let region = self.global_region();
        let out = self.signed.xml(&Call::new(ROUTE53, &region, "GET", health_check_path(id))).await?;
        let Some(hc) = out.child("HealthCheck") else {
            return Err(CfnError::service("NoSuchHealthCheck", &format!("health check {id}: no answer")));
        };
        let config = |name: &str| hc.text_at(&["HealthCheckConfig", name]);
        let number = |s: Option<&str>| s.and_then(|n| n.trim().parse::<i64>().ok());
        Ok(HealthCheck {
            id: hc.text_at(&["Id"]).unwrap_or_default().to_owned(),
            kind: config("Type").unwrap_or_default().to_owned(),
            inverted: config("Inverted").is_some_and(|b| b.trim() == "true"),
            disabled: config("Disabled").is_some_and(|b| b.trim() == "true"),
            health_threshold: number(config("HealthThreshold")).map(|n| n.max(0) as u32),
            children: hc.list(&["HealthCheckConfig", "ChildHealthChecks"]).iter().map(|c| c.text.clone()).collect(),
            version: number(hc.text_at(&["HealthCheckVersion"])),
        })
    }

    async fn update_health_check(&self, id: &str, update: &HealthCheckUpdate) -> CfnResult<()> {
        let region = self.global_region();
        // The request's elements in the order the SDK writes them (by name).
        let mut body = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?><UpdateHealthCheckRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">"#,
        );
        if let Some(v) = update.version {
            body.push_str(&format!("<HealthCheckVersion>{v}</HealthCheckVersion>"));
        }
        if let Some(n) = update.health_threshold {
            body.push_str(&format!("<HealthThreshold>{n}</HealthThreshold>"));
        }
        if let Some(b) = update.inverted {
            body.push_str(&format!("<Inverted>{b}</Inverted>"));
        }
        body.push_str("</UpdateHealthCheckRequest>");
        let mut call = Call::new(ROUTE53, &region, "POST", health_check_path(id));
        call.headers.push(("content-type", "application/xml".into()));
        call.body = body.into_bytes();
        self.signed.send(&call).await?;
        Ok(())
    }

    async fn health_check_status(&self, ids: &[String]) -> CfnResult<BTreeMap<String, Option<bool>>> {
        // Route 53 publishes its metrics in us-east-1 only (the partition's global region).
        let queries: Vec<MetricQuery> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| MetricQuery {
                id: format!("h{i}"),
                metric: Some(MetricStat {
                    namespace: "AWS/Route53".into(),
                    name: "HealthCheckStatus".into(),
                    dimensions: vec![("HealthCheckId".into(), id.clone())],
                    period: 60,
                    stat: "Minimum".into(),
                }),
                return_data: true,
                ..Default::default()
            })
            .collect();
        let mut out = BTreeMap::new();
        // GetMetricData takes at most 500 queries a call.
        for (chunk_no, chunk) in queries.chunks(500).enumerate() {
            let values = self.metric_data(&self.global_region(), chunk, 600).await?;
            for (i, _) in chunk.iter().enumerate() {
                let id = &ids[chunk_no * 500 + i];
                let v = values.get(&format!("h{}", chunk_no * 500 + i)).copied().flatten();
                out.insert(id.clone(), v.map(|v| v >= 1.0));
            }
        }
        Ok(out)
    }

    async fn target_health(&self, region: &str, arn: &str) -> CfnResult<Vec<Target>> {
        let out = self.signed.query(ELBV2, region, "DescribeTargetHealth", &[("TargetGroupArn", arn)]).await?;
        Ok(out
            .list(&["DescribeTargetHealthResult", "TargetHealthDescriptions"])
            .iter()
            .map(|d| Target {
                id: match (d.text_at(&["Target", "Id"]), d.text_at(&["Target", "Port"])) {
                    (Some(id), Some(port)) => format!("{id}:{}", port.trim()),
                    (id, None) => id.unwrap_or_default().to_owned(),
                    (None, Some(_)) => String::new(),
                },
                state: d.text_at(&["TargetHealth", "State"]).unwrap_or("unknown").to_owned(),
                reason: d.text_at(&["TargetHealth", "Reason"]).map(str::to_owned),
            })
            .collect())
    }

    async fn alarms(&self, region: &str, names: &[String]) -> CfnResult<Vec<Alarm>> {
        let mut out = Vec::new();
        // DescribeAlarms takes at most 100 names a call.
        for chunk in names.chunks(100) {
            let names: Vec<String> = (1..=chunk.len()).map(|i| format!("AlarmNames.member.{i}")).collect();
            let params: Vec<(&str, &str)> = names
                .iter()
                .map(String::as_str)
                .zip(chunk.iter().map(String::as_str))
                .chain([("AlarmTypes.member.1", "MetricAlarm"), ("AlarmTypes.member.2", "CompositeAlarm")])
                .collect();
            for page in self.signed.pages(CLOUDWATCH, region, "DescribeAlarms", &params, "NextToken").await? {
                let result = page.child("DescribeAlarmsResult");
                for a in result.map(|r| r.list(&["MetricAlarms"])).unwrap_or_default() {
                    out.push(alarm_of(a, false));
                }
                for a in result.map(|r| r.list(&["CompositeAlarms"])).unwrap_or_default() {
                    out.push(alarm_of(a, true));
                }
            }
        }
        Ok(out)
    }

    async fn metric_data(
        &self,
        region: &str,
        queries: &[MetricQuery],
        window_seconds: u32,
    ) -> CfnResult<BTreeMap<String, Option<f64>>> {
        let (start, end) = window(window_seconds);
        let mut out: BTreeMap<String, Option<f64>> =
            queries.iter().filter(|q| q.return_data).map(|q| (q.id.clone(), None)).collect();
        let mut params = vec![
            ("StartTime".to_owned(), start),
            ("EndTime".to_owned(), end),
            ("ScanBy".to_owned(), "TimestampDescending".to_owned()),
        ];
        for (i, q) in queries.iter().enumerate() {
            query_params(&format!("MetricDataQueries.member.{}", i + 1), q, &mut params);
        }
        let all: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        for page in self.signed.pages(CLOUDWATCH, region, "GetMetricData", &all, "NextToken").await? {
            for r in page.list(&["GetMetricDataResult", "MetricDataResults"]) {
                let id = r.text_at(&["Id"]).unwrap_or_default().to_owned();
                // Newest first: the first value of the first page that has one is the latest.
                let first = r.list(&["Values"]).first().and_then(|v| v.text.trim().parse::<f64>().ok());
                if let Some(v) = first
                    && out.get(&id).is_none_or(Option::is_none)
                {
                    out.insert(id, Some(v));
                }
            }
        }
        Ok(out)
    }

    async fn start_experiment(&self, region: &str, template_id: &str) -> CfnResult<String> {
        let input = json!({
            "experimentTemplateId": template_id,
            "clientToken": uuid::Uuid::new_v4().to_string(),
            "tags": {"haplat:drill": "true"},
        });
        let out = self.signed.rest_json(FIS, region, "POST", "/experiments".into(), vec![], Some(input)).await?;
        Ok(out["experiment"]["id"].as_str().unwrap_or_default().to_owned())
    }

    async fn experiment(&self, region: &str, id: &str) -> CfnResult<Experiment> {
        let out =
            self.signed.rest_json(FIS, region, "GET", format!("/experiments/{}", encode(id)), vec![], None).await?;
        let state = &out["experiment"]["state"];
        Ok(Experiment {
            id: id.to_owned(),
            state: state["status"].as_str().unwrap_or("unknown").to_owned(),
            reason: state["reason"].as_str().map(str::to_owned),
        })
    }

    async fn stop_experiment(&self, region: &str, id: &str) -> CfnResult<()> {
        self.signed.rest_json(FIS, region, "DELETE", format!("/experiments/{}", encode(id)), vec![], None).await?;
        Ok(())
    }
}
