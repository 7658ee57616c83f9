//! Rules about the objectives an app declares (the manifest's `objectives`): a failover that can
//! be slower (HAP025), or slower when one part of a region fails alone (HAP058), a region's
//! load carried by the others later than its recovery objective (HAP059), data that can fall behind unseen (HAP026), service level objectives no
//! SLO alarms on (HAP057). The figures come from [`crate::availability`].

use serde_json::Value as Json;

use crate::assembly::Assembly;
use crate::availability::{Link, availability, catches_peaks, slo_shortfall, slos};
use crate::rule::Findings;

pub(super) fn app_failover(a: &Assembly, f: &mut Findings) {
    let Some(objective) = a.manifest.objectives.as_ref().and_then(|o| o.app_failover_seconds) else { return };
    for chain in availability(a).failover {
        let Some(r) = a.res(chain.stack, &chain.record) else { continue };
        if let Some(why) = &chain.unknown {
            f.at(&r, vec![], format!("cannot prove app failover ≤ {objective} s for {}: {why}", chain.label));
            continue;
        }
        let total = chain.seconds();
        if total > f64::from(objective) {
            let slowest: Vec<String> = chain.slowest().iter().take(3).map(|l| l.to_string()).collect();
            f.at(
                &r,
                vec![],
                format!(
                    "{} fails over in up to {total} s, over the objective of {objective} s; slowest: {}",
                    chain.label,
                    slowest.join("; ")
                ),
            );
        }
    }
}

pub(super) fn part_failover(a: &Assembly, f: &mut Findings) {
    let Some(objective) = a.manifest.objectives.as_ref().and_then(|o| o.app_failover_seconds) else { return };
    for chain in availability(a).failover {
        let (Some(r), Some(part)) = (a.res(chain.stack, &chain.record), &chain.part) else { continue };
        let total: f64 = part.iter().map(|l| l.seconds).sum();
        if total > f64::from(objective) {
            let mut slowest: Vec<&Link> = part.iter().collect();
            slowest.sort_by(|x, y| y.seconds.total_cmp(&x.seconds));
            let slowest: Vec<String> = slowest.iter().take(3).map(|l| l.to_string()).collect();
            let what = part.first().map_or("", |l| l.path.as_str());
            f.at(
                &r,
                vec![],
                format!(
                    "{}: one part of the region failing alone ({what}) leaves DNS in up to {total} s, over the \
                     objective of {objective} s; slowest: {}",
                    chain.label,
                    slowest.join("; ")
                ),
            );
        }
    }
}

pub(super) fn region_recovery(a: &Assembly, f: &mut Findings) {
    let Some(objective) = a.manifest.objectives.as_ref().and_then(|o| o.region_recovery_seconds) else { return };
    const FIELD: &str = "objectives.regionRecoverySeconds";
    let figures = availability(a);
    let Some(recovery) = &figures.recovery else {
        let why = match figures.worst_failover() {
            None => "no record fails over on a health check",
            Some(_) => "no ECS service scales out in more than one region",
        };
        f.manifest(a, FIELD, format!("cannot prove a region's recovery within {objective} s: {why}"));
        return;
    };
    if let Some(why) = &recovery.unknown {
        f.manifest(a, FIELD, format!("cannot prove a region's recovery within {objective} s: {why}"));
        return;
    }
    let total = recovery.seconds();
    if total > f64::from(objective) {
        let mut slowest: Vec<&Link> = recovery.links.iter().collect();
        slowest.sort_by(|x, y| y.seconds.total_cmp(&x.seconds));
        let slowest: Vec<String> = slowest.iter().take(3).map(|l| l.to_string()).collect();
        f.manifest(
            a,
            FIELD,
            format!(
                "when {} fails, {} in {} carries its load after up to {total} s, over the objective of {objective} s; \
                 slowest: {}",
                recovery.failed,
                recovery.service,
                recovery.survivor,
                slowest.join("; ")
            ),
        );
    }
}

pub(super) fn data_loss(a: &Assembly, f: &mut Findings) {
    let Some(objective) = a.manifest.objectives.as_ref().and_then(|o| o.data_loss_ms) else { return };
    for store in availability(a).data {
        let Some(r) = a.res(store.stack, &store.id) else { continue };
        if store.synchronous {
            continue;
        }
        match &store.lag {
            None => f.at(
                &r,
                vec![],
                format!("no alarm watches its replication lag against the data-loss objective of {objective} ms"),
            ),
            Some(w) if w.threshold_ms > f64::from(objective) => f.at(
                &r,
                vec![],
                format!(
                    "its replication alarm {} fires above {} ms, over the data-loss objective of {objective} ms",
                    w.path, w.threshold_ms
                ),
            ),
            Some(w) if !catches_peaks(&w.statistic) => f.at(
                &r,
                vec![],
                format!(
                    "its replication alarm {} uses the {} statistic, which hides the peaks that lose data; use Maximum",
                    w.path, w.statistic
                ),
            ),
            Some(w) if !w.has_actions => f.at(&r, vec![], format!("its replication alarm {} notifies no one", w.path)),
            Some(_) => {}
        }
    }
}

pub(super) fn service_levels(a: &Assembly, f: &mut Findings) {
    let Some(objectives) = a.manifest.objectives.as_ref() else { return };
    let slos = slos(a);
    let declared = [
        ("availability", "objectives.availabilityPercent", objectives.availability_percent.map(|o| format!("{o} %"))),
        ("latency", "objectives.latencyP99Ms", objectives.latency_p99_ms.map(|o| format!("p99 within {o} ms"))),
    ];
    for (indicator, field, objective) in declared {
        let Some(objective) = objective else { continue };
        if !slos.iter().any(|s| s.indicator == indicator) {
            f.manifest(
                a,
                field,
                format!("the {indicator} objective of {objective} is declared, but no {indicator} SLO alarms on its error budget"),
            );
        }
    }
    for s in &slos {
        let Some(r) = a.res(s.stack, &s.alarm) else { continue };
        if let Some(why) = slo_shortfall(s, objectives) {
            f.at(&r, vec![], why);
        } else if !s.pages && (objectives.availability_percent.is_some() || objectives.latency_p99_ms.is_some()) {
            f.at(&r, vec![], format!("the burn-rate alarms of {} notify no one", s.path));
        }
    }
}

/// The path prefix of the edge's region probes (haplat-constructs' `platform::PROBE_PREFIX`).
const PROBE_PREFIX: &str = "/_haplat/probe/";

pub(super) fn probe_routes(a: &Assembly, f: &mut Findings) {
    for check in a.of_type("AWS::Route53::HealthCheck") {
        let Some(config) = check.prop("HealthCheckConfig") else { continue };
        let (Some(path), Some(name)) = (config.get("ResourcePath"), config.get("FullyQualifiedDomainName")) else {
            continue;
        };
        let Some(name) = name.as_str() else { continue };
        let serving: Vec<_> = a
            .of_type("AWS::CloudFront::Distribution")
            .filter(|d| {
                let aliases = d.prop("DistributionConfig").and_then(|c| c.get("Aliases")).and_then(Json::as_array);
                aliases.into_iter().flatten().any(|n| n.as_str() == Some(name))
            })
            .collect();
        for region in check.regions() {
            let Some(text) = check.stack_t.text_in(path, &region) else { continue };
            let Some(rest) = text.strip_prefix(PROBE_PREFIX) else { continue };
            let probed = rest.split('/').next().unwrap_or_default();
            let pattern = format!("{PROBE_PREFIX}{probed}/*");
            for d in &serving {
                let behaviors =
                    d.prop("DistributionConfig").and_then(|c| c.get("CacheBehaviors")).and_then(Json::as_array);
                let routed = behaviors
                    .into_iter()
                    .flatten()
                    .any(|b| b.get("PathPattern").and_then(Json::as_str) == Some(&pattern));
                if !routed {
                    f.at(
                        &check,
                        vec![region.clone()],
                        format!(
                            "probes {name}{text} for {probed}, but {} (which answers {name}) has no behaviour for {pattern}",
                            d.path()
                        ),
                    );
                }
            }
        }
    }
}
