//! Critical alarms that tell nobody (HAP009); Route 53 health checks that look for their alarm
//! in the wrong region (HAP018); paging alarms that name no runbook (HAP028); alarm actions on a
//! topic of another region (HAP029).

use std::collections::BTreeSet;

use serde_json::Value as Json;

use haplat_core::manifest::BindingRegion;

use crate::assembly::{Assembly, Res, list, refs_in};
use crate::rule::Findings;

/// Whether an alarm says it is critical: its name or description says so, or
/// `Metadata."haplat:severity"` is `critical`.
fn critical(r: &Res<'_>) -> bool {
    let says = |p: &str| r.prop_str(p).is_some_and(|s| s.to_ascii_lowercase().contains("critical"));
    let meta = r.json.get("Metadata").and_then(|m| m.get("haplat:severity")).and_then(Json::as_str);
    says("AlarmName") || says("AlarmDescription") || meta.is_some_and(|s| s.eq_ignore_ascii_case("critical"))
}

fn has_actions(r: &Res<'_>) -> bool {
    let enabled = r.prop("ActionsEnabled").is_none_or(|v| crate::assembly::is_true(Some(v)));
    enabled && r.prop("AlarmActions").and_then(Json::as_array).is_some_and(|a| !a.is_empty())
}

pub(crate) fn critical_alarm_actions(a: &Assembly, f: &mut Findings) {
    // Alarms something else acts on: those a composite alarm's rule reads (the composite
    // notifies), and those a Route 53 health check watches (Route 53 acts on them).
    let mut consumed: BTreeSet<(usize, String)> = BTreeSet::new();
    for c in a.of_type("AWS::CloudWatch::CompositeAlarm") {
        if let Some(rule) = c.prop("AlarmRule") {
            for name in refs_in(rule) {
                consumed.insert((c.stack, name));
            }
        }
    }
    for h in a.of_type("AWS::Route53::HealthCheck") {
        let alarm = h.prop("HealthCheckConfig").and_then(|c| c.get("AlarmIdentifier")).and_then(|i| i.get("Name"));
        if let Some(target) = alarm.and_then(|v| a.target(h.stack, v)) {
            consumed.insert((target.stack, target.id.to_owned()));
        }
    }
    for r in a.resources() {
        if !matches!(r.type_name(), "AWS::CloudWatch::Alarm" | "AWS::CloudWatch::CompositeAlarm") {
            continue;
        }
        if !critical(&r) || has_actions(&r) || consumed.contains(&(r.stack, r.id.to_owned())) {
            continue;
        }
        f.at(
            &r,
            vec![],
            "is labelled critical but has no AlarmActions (or ActionsEnabled is false), and no composite \
             alarm or Route 53 health check reads it: when it fires, CloudWatch only changes its state and \
             nobody is told; send it to the platform's alarm topic",
        );
    }
}

pub(crate) fn paging_alarm_runbook(a: &Assembly, f: &mut Findings) {
    for r in a.resources() {
        if !matches!(r.type_name(), "AWS::CloudWatch::Alarm" | "AWS::CloudWatch::CompositeAlarm") {
            continue;
        }
        let names = r.prop_str("AlarmDescription").is_some_and(|d| d.to_ascii_lowercase().contains("runbook"));
        if critical(&r) && has_actions(&r) && !names {
            f.at(&r, vec![], "pages (critical, with actions) but its description names no runbook to open");
        }
    }
}

pub(crate) fn health_check_alarm_region(a: &Assembly, f: &mut Findings) {
    for h in a.of_type("AWS::Route53::HealthCheck") {
        let Some(id) = h.prop("HealthCheckConfig").and_then(|c| c.get("AlarmIdentifier")) else { continue };
        let Some(region) = id.get("Region").and_then(Json::as_str) else { continue };
        let Some(name) = id.get("Name") else { continue };
        // Where the alarm named lives: a binding says which region's instance it is read from;
        // an alarm of the same stack lives in each region of the stack.
        let alarm_regions: Vec<String> = match name.get("Ref").and_then(Json::as_str) {
            Some(param) => match h.stack_t.manifest.bindings.iter().find(|b| b.parameter == param) {
                Some(b) => match &b.region {
                    BindingRegion::Fixed { region } => vec![region.clone()],
                    BindingRegion::SameRegion => h.regions(),
                },
                None => match a.res(h.stack, param) {
                    Some(alarm) => alarm.regions(),
                    None => continue,
                },
            },
            None => continue,
        };
        if alarm_regions.iter().all(|r| r == region) {
            continue;
        }
        f.at(
            &h,
            vec![],
            format!(
                "watches an alarm in {region} (AlarmIdentifier.Region), but the alarm it names is created in {}: \
                 Route 53 finds no such alarm there, and the health check follows InsufficientDataHealthStatus \
                 instead of the alarm",
                list(&alarm_regions)
            ),
        );
    }
}

/// The regions in which an alarm action's topic lives, when the template says: a literal SNS
/// ARN, or a parameter a binding fills from one region's instance of a producer.
fn action_regions(alarm: &Res<'_>, action: &Json) -> Option<Vec<String>> {
    if let Some(arn) = action.as_str() {
        let parts: Vec<&str> = arn.split(':').collect();
        return (parts.len() > 3 && parts[2] == "sns" && !parts[3].is_empty()).then(|| vec![parts[3].to_owned()]);
    }
    let param = action.get("Ref").and_then(Json::as_str)?;
    let b = alarm.stack_t.manifest.bindings.iter().find(|b| b.parameter == param)?;
    match &b.region {
        BindingRegion::Fixed { region } => Some(vec![region.clone()]),
        BindingRegion::SameRegion => None,
    }
}

pub(crate) fn alarm_action_region(a: &Assembly, f: &mut Findings) {
    for r in a.resources() {
        if !matches!(r.type_name(), "AWS::CloudWatch::Alarm" | "AWS::CloudWatch::CompositeAlarm") {
            continue;
        }
        for key in ["AlarmActions", "OKActions", "InsufficientDataActions"] {
            for action in r.prop(key).and_then(Json::as_array).into_iter().flatten() {
                let Some(topic_regions) = action_regions(&r, action) else { continue };
                let wrong: Vec<String> = r.regions().into_iter().filter(|g| !topic_regions.contains(g)).collect();
                if wrong.is_empty() {
                    continue;
                }
                f.at(
                    &r,
                    wrong.clone(),
                    format!(
                        "notifies a topic of {} ({key}), but an alarm in {} can notify only a topic of its own region: \
                         the action never runs; use the alarm topic of the alarm's region",
                        list(&topic_regions),
                        list(&wrong)
                    ),
                );
            }
        }
    }
}
