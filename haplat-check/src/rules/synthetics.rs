//! CloudWatch Synthetics canaries: a runtime AWS no longer creates canaries on (HAP040), a
//! canary created stopped, whose alarms never see a run (HAP041).

use crate::assembly::{Assembly, is_true};
use crate::rule::Findings;

/// The runtimes of the deprecation table of the Synthetics runtime support policy
/// (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Runtime_Support_Policy.html>),
/// with their deprecation dates.
pub const DEPRECATED_RUNTIMES: &[(&str, &str)] = &[
    ("syn-python-selenium-5.1", "2026-02-03"),
    ("syn-python-selenium-5.0", "2026-02-03"),
    ("syn-python-selenium-4.1", "2026-02-03"),
    ("syn-python-selenium-4.0", "2026-02-03"),
    ("syn-nodejs-puppeteer-7.0", "2026-01-22"),
    ("syn-nodejs-puppeteer-6.2", "2026-01-22"),
    ("syn-nodejs-puppeteer-5.2", "2026-01-22"),
    ("syn-python-selenium-3.0", "2026-01-22"),
    ("syn-python-selenium-2.1", "2026-01-22"),
    ("syn-nodejs-puppeteer-6.1", "2024-03-08"),
    ("syn-nodejs-puppeteer-6.0", "2024-03-08"),
    ("syn-nodejs-puppeteer-5.1", "2024-03-08"),
    ("syn-nodejs-puppeteer-5.0", "2024-03-08"),
    ("syn-nodejs-puppeteer-4.0", "2024-03-08"),
    ("syn-nodejs-puppeteer-3.9", "2024-01-08"),
    ("syn-nodejs-puppeteer-3.8", "2024-01-08"),
    ("syn-python-selenium-2.0", "2024-03-08"),
    ("syn-python-selenium-1.3", "2024-03-08"),
];

/// Whether AWS deprecated the runtime: listed in [`DEPRECATED_RUNTIMES`], or older than the
/// oldest listed of its family (the `syn-nodejs-puppeteer-3.x` before 3.8, `syn-python-selenium`
/// before 1.3, and the first names, `syn-1.0` and `syn-nodejs-2.x`, which the table deprecated
/// before them).
pub fn deprecated_runtime(runtime: &str) -> Option<&'static str> {
    if let Some((_, date)) = DEPRECATED_RUNTIMES.iter().find(|(r, _)| *r == runtime) {
        return Some(date);
    }
    let version = |prefix: &str| -> Option<(u32, u32)> {
        let (major, minor) = runtime.strip_prefix(prefix)?.split_once('.')?;
        Some((major.parse().ok()?, minor.parse().ok()?))
    };
    let older = match (version("syn-nodejs-puppeteer-"), version("syn-python-selenium-")) {
        (Some(v), _) => v < (3, 8),
        (_, Some(v)) => v < (1, 3),
        _ => runtime == "syn-1.0" || runtime.starts_with("syn-nodejs-2."),
    };
    older.then_some("before 2024-01-08")
}

pub(crate) fn canary_runtime_deprecated(a: &Assembly, f: &mut Findings) {
    for c in a.of_type("AWS::Synthetics::Canary") {
        let Some(runtime) = c.prop_str("RuntimeVersion") else { continue };
        if let Some(date) = deprecated_runtime(runtime) {
            f.at(
                &c,
                vec![],
                format!(
                    "runs on {runtime}, deprecated by AWS ({date}): CloudFormation cannot create a canary on it, and a \
                     deployed one gets no more fixes; use a supported runtime such as {LATEST_RUNTIME}"
                ),
            );
        }
    }
}

/// The most recent Node.js runtime when the rule was written (haplat-constructs'
/// `CANARY_RUNTIME`, which this crate does not depend on).
const LATEST_RUNTIME: &str = "syn-nodejs-puppeteer-15.0";

pub(crate) fn canary_never_starts(a: &Assembly, f: &mut Findings) {
    for c in a.of_type("AWS::Synthetics::Canary") {
        if is_true(c.prop("StartCanaryAfterCreation")) {
            continue;
        }
        let watched = a.of_type("AWS::CloudWatch::Alarm").any(|alarm| {
            alarm.prop_str("Namespace") == Some("CloudWatchSynthetics")
                && alarm
                    .prop("Dimensions")
                    .and_then(|d| d.as_array())
                    .into_iter()
                    .flatten()
                    .filter(|d| d.get("Name").and_then(|n| n.as_str()) == Some("CanaryName"))
                    .filter_map(|d| d.get("Value").and_then(|v| a.target(alarm.stack, v)))
                    .any(|t| t.stack == c.stack && t.id == c.id)
        });
        let why = if watched {
            "an alarm watches it, and with no run it sees no data: it never fires, whatever the canary's target does"
        } else {
            "nothing runs it"
        };
        f.at(
            &c,
            vec![],
            format!(
                "does not set StartCanaryAfterCreation to true: CloudFormation creates it READY, stopped, and {why}"
            ),
        );
    }
}
