//! [`Observe`] over the AWS SDK for Rust: CloudFormation (stack resources), Route 53, CloudWatch,
//! Elastic Load Balancing and AWS FIS clients made from the same configuration as
//! [`crate::sdk::Aws`]'s (endpoint, credentials, timeouts, the SDK's bounded retries), errors
//! sorted by [`crate::sdk::classify`].

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types as cw;

use crate::cfn::{CfnError, CfnResult};
use crate::observe::*;
use crate::sdk::Aws;

fn query_to_sdk(q: &MetricQuery) -> cw::MetricDataQuery {
    let stat = q.metric.as_ref().map(|m| {
        let metric = cw::Metric::builder()
            .namespace(&m.namespace)
            .metric_name(&m.name)
            .set_dimensions(Some(
                m.dimensions.iter().map(|(k, v)| cw::Dimension::builder().name(k).value(v).build()).collect(),
            ))
            .build();
        cw::MetricStat::builder().metric(metric).period(m.period as i32).stat(&m.stat).build()
    });
    cw::MetricDataQuery::builder()
        .id(&q.id)
        .set_expression(q.expression.clone())
        .set_metric_stat(stat)
        .set_label(q.label.clone())
        .return_data(q.return_data)
        .set_period(q.period.map(|p| p as i32))
        .build()
}

fn query_from_sdk(q: &cw::MetricDataQuery) -> MetricQuery {
    MetricQuery {
        id: q.id().unwrap_or_default().to_owned(),
        expression: q.expression().map(str::to_owned),
        metric: q.metric_stat().map(|s| MetricStat {
            namespace: s.metric().and_then(|m| m.namespace()).unwrap_or_default().to_owned(),
            name: s.metric().and_then(|m| m.metric_name()).unwrap_or_default().to_owned(),
            dimensions: s
                .metric()
                .map(|m| {
                    m.dimensions()
                        .iter()
                        .map(|d| (d.name().unwrap_or_default().to_owned(), d.value().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default(),
            period: s.period().unwrap_or(60).max(0) as u32,
            stat: s.stat().unwrap_or_default().to_owned(),
        }),
        label: q.label().map(str::to_owned),
        return_data: q.return_data().unwrap_or(true),
        period: q.period().map(|p| p.max(0) as u32),
    }
}

fn window(seconds: u32) -> (DateTime, DateTime) {
    let now = SystemTime::now();
    let start = now.checked_sub(Duration::from_secs(seconds.into())).unwrap_or(SystemTime::UNIX_EPOCH);
    (DateTime::from(start), DateTime::from(now))
}

impl Observe for Aws {
    async fn stack_resources(&self, region: &str, stack: &str) -> CfnResult<Vec<StackResource>> {
        let c = self.client(region);
        let items: CfnResult<Vec<_>> = crate::sdk::listed!(
            c.list_stack_resources().stack_name(stack).into_paginator().items().send(),
            "ListStackResources",
            |e| self.err(region, e)
        );
        Ok(items?
            .iter()
            .map(|r| StackResource {
                logical_id: r.logical_resource_id().unwrap_or_default().to_owned(),
                physical_id: r.physical_resource_id().filter(|p| !p.is_empty()).map(str::to_owned),
                resource_type: r.resource_type().unwrap_or_default().to_owned(),
                status: r.resource_status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
            })
            .collect())
    }

    async fn health_check(&self, id: &str) -> CfnResult<HealthCheck> {
        let region = self.global_region();
        let c = aws_sdk_route53::Client::new(&self.conf_in(&region));
        let out = c.get_health_check().health_check_id(id).send().await.map_err(|e| self.err(&region, e))?;
        let Some(hc) = out.health_check() else {
            return Err(CfnError::service("NoSuchHealthCheck", &format!("health check {id}: no answer")));
        };
        let config = hc.health_check_config();
        Ok(HealthCheck {
            id: hc.id().to_owned(),
            kind: config.map(|c| c.r#type().as_str().to_owned()).unwrap_or_default(),
            inverted: config.and_then(|c| c.inverted()).unwrap_or(false),
            disabled: config.and_then(|c| c.disabled()).unwrap_or(false),
            health_threshold: config.and_then(|c| c.health_threshold()).map(|n| n.max(0) as u32),
            children: config.map(|c| c.child_health_checks().to_vec()).unwrap_or_default(),
            version: Some(hc.health_check_version()),
        })
    }

    async fn update_health_check(&self, id: &str, update: &HealthCheckUpdate) -> CfnResult<()> {
        let region = self.global_region();
        let c = aws_sdk_route53::Client::new(&self.conf_in(&region));
        c.update_health_check()
            .health_check_id(id)
            .set_health_threshold(update.health_threshold.map(|n| n as i32))
            .set_inverted(update.inverted)
            .set_health_check_version(update.version)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.err(&region, e))
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
        let c = aws_sdk_elasticloadbalancingv2::Client::new(&self.conf_in(region));
        let out = c.describe_target_health().target_group_arn(arn).send().await.map_err(|e| self.err(region, e))?;
        Ok(out
            .target_health_descriptions()
            .iter()
            .map(|d| Target {
                id: d
                    .target()
                    .map(|t| match t.port() {
                        Some(p) => format!("{}:{p}", t.id().unwrap_or_default()),
                        None => t.id().unwrap_or_default().to_owned(),
                    })
                    .unwrap_or_default(),
                state: d
                    .target_health()
                    .and_then(|h| h.state())
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_else(|| "unknown".into()),
                reason: d.target_health().and_then(|h| h.reason()).map(|r| r.as_str().to_owned()),
            })
            .collect())
    }

    async fn alarms(&self, region: &str, names: &[String]) -> CfnResult<Vec<Alarm>> {
        let c = aws_sdk_cloudwatch::Client::new(&self.conf_in(region));
        let mut out = Vec::new();
        // DescribeAlarms takes at most 100 names a call.
        for chunk in names.chunks(100) {
            let mut token: Option<String> = None;
            let mut pages = 0;
            loop {
                crate::signed::next_page(&mut pages, "DescribeAlarms")?;
                let page = c
                    .describe_alarms()
                    .set_alarm_names(Some(chunk.to_vec()))
                    .alarm_types(cw::AlarmType::MetricAlarm)
                    .alarm_types(cw::AlarmType::CompositeAlarm)
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| self.err(region, e))?;
                for a in page.metric_alarms() {
                    out.push(Alarm {
                        name: a.alarm_name().unwrap_or_default().to_owned(),
                        composite: false,
                        state: a.state_value().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                        reason: a.state_reason().unwrap_or_default().to_owned(),
                        pages: a.actions_enabled().unwrap_or(true) && !a.alarm_actions().is_empty(),
                        description: a.alarm_description().map(str::to_owned),
                        threshold: a.threshold(),
                        metrics: a.metrics().iter().map(query_from_sdk).collect(),
                    });
                }
                for a in page.composite_alarms() {
                    out.push(Alarm {
                        name: a.alarm_name().unwrap_or_default().to_owned(),
                        composite: true,
                        state: a.state_value().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                        reason: a.state_reason().unwrap_or_default().to_owned(),
                        pages: a.actions_enabled().unwrap_or(true) && !a.alarm_actions().is_empty(),
                        description: a.alarm_description().map(str::to_owned),
                        threshold: None,
                        metrics: Vec::new(),
                    });
                }
                token = page.next_token().map(str::to_owned);
                if token.is_none() {
                    break;
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
        let c = aws_sdk_cloudwatch::Client::new(&self.conf_in(region));
        let (start, end) = window(window_seconds);
        let mut out: BTreeMap<String, Option<f64>> =
            queries.iter().filter(|q| q.return_data).map(|q| (q.id.clone(), None)).collect();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            crate::signed::next_page(&mut pages, "GetMetricData")?;
            let page = c
                .get_metric_data()
                .set_metric_data_queries(Some(queries.iter().map(query_to_sdk).collect()))
                .start_time(start)
                .end_time(end)
                .scan_by(cw::ScanBy::TimestampDescending)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| self.err(region, e))?;
            for r in page.metric_data_results() {
                let id = r.id().unwrap_or_default().to_owned();
                // Newest first: the first value of the first page that has one is the latest.
                if let Some(v) = r.values().first()
                    && out.get(&id).is_none_or(Option::is_none)
                {
                    out.insert(id, Some(*v));
                }
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        Ok(out)
    }

    async fn start_experiment(&self, region: &str, template_id: &str) -> CfnResult<String> {
        let c = aws_sdk_fis::Client::new(&self.conf_in(region));
        let out = c
            .start_experiment()
            .experiment_template_id(template_id)
            .client_token(uuid::Uuid::new_v4().to_string())
            .tags("haplat:drill", "true")
            .send()
            .await
            .map_err(|e| self.err(region, e))?;
        Ok(out.experiment().and_then(|e| e.id()).unwrap_or_default().to_owned())
    }

    async fn experiment(&self, region: &str, id: &str) -> CfnResult<Experiment> {
        let c = aws_sdk_fis::Client::new(&self.conf_in(region));
        let out = c.get_experiment().id(id).send().await.map_err(|e| self.err(region, e))?;
        let e = out.experiment();
        Ok(Experiment {
            id: id.to_owned(),
            state: e
                .and_then(|e| e.state())
                .and_then(|s| s.status())
                .map(|s| s.as_str().to_owned())
                .unwrap_or_else(|| "unknown".into()),
            reason: e.and_then(|e| e.state()).and_then(|s| s.reason()).map(str::to_owned),
        })
    }

    async fn stop_experiment(&self, region: &str, id: &str) -> CfnResult<()> {
        let c = aws_sdk_fis::Client::new(&self.conf_in(region));
        c.stop_experiment().id(id).send().await.map(|_| ()).map_err(|e| self.err(region, e))
    }
}
