//! Service level objectives with error-budget burn-rate alarms, after the Google SRE workbook's
//! "multiwindow, multi-burn-rate alerts": for each window pair, one alarm on the long window
//! (is the budget really burning?) and one on the short window (is it still burning now?),
//! joined by a composite alarm that fires only when both do.
//!
//! The SLI is general: a ratio of bad to total events, each summed over any metrics
//! ([`Sli::ErrorRatio`]; [`ServiceMetrics::availability_sli`] is a service's, over both target
//! groups of a blue/green service), or the share of requests slower than a threshold of any latency metric
//! ([`Sli::Latency`], from CloudWatch's percentile rank statistic `PR(:t)`), or the share of
//! failed synthetic checks ([`Sli::Success`], a canary's `SuccessPercent`).
//!
//! ```
//! use haplat_core::App;
//! use haplat_constructs::metrics::{MetricRef, Sli};
//! use haplat_constructs::slo::{Slo, SloProps};
//!
//! let app = App::new("shop");
//! let api = app.stack_set("Api", &["us-east-1", "us-west-2"]);
//! let lb = ("LoadBalancer", haplat_core::Value::from("app/api/123"));
//! let sli = Sli::ErrorRatio {
//!     bad: vec![MetricRef::new("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", [lb.clone()])],
//!     total: vec![MetricRef::new("AWS/ApplicationELB", "RequestCount", [lb])],
//! };
//! let slo = Slo::new(&api, "Availability", SloProps::new(99.9, sli));
//! assert_eq!(slo.windows.len(), 2);
//! // 1h window at 14.4x burn: 14.4 * 0.1% of requests failing.
//! assert!((slo.windows[0].threshold - 0.0144).abs() < 1e-9);
//! app.synth().unwrap();
//! ```
//!
//! [`ServiceMetrics::availability_sli`]: crate::metrics::ServiceMetrics::availability_sli
//! [`Sli::ErrorRatio`]: crate::metrics::Sli::ErrorRatio
//! [`Sli::Latency`]: crate::metrics::Sli::Latency
//! [`Sli::Success`]: crate::metrics::Sli::Success

use haplat_core::resources::cloudwatch::alarm::{Alarm, ComparisonOperator, MetricDataQuery, TreatMissingData};
use haplat_core::resources::cloudwatch::composite_alarm::CompositeAlarm;
use haplat_core::value::{List, Value};
use haplat_core::{Handle, Scope};

use crate::alarm::Runbook;
use crate::metrics::{Severity, Sli, expression, summed};

/// The period the error budget is counted over, in days: the burn rates of [`BurnWindow`] are
/// relative to it (14.4 spends 2% of it in an hour), and the platform dashboard shows the budget
/// left over it.
pub const BUDGET_PERIOD_DAYS: i64 = 30;

/// One window pair of the multi-window alerts.
#[derive(Clone, Debug, PartialEq)]
pub struct BurnWindow {
    /// The long window, in seconds (a multiple of 60, at most a day).
    pub long_seconds: i64,
    /// The short window, in seconds (a multiple of 60), usually a twelfth of the long one.
    pub short_seconds: i64,
    /// How many times faster than sustainable the budget burns (14.4 spends 2% of a 30-day
    /// budget in an hour).
    pub burn_rate: f64,
    /// Page or ticket.
    pub severity: Severity,
}

impl BurnWindow {
    /// The workbook's page windows: 1h/5m at 14.4× and 6h/30m at 6×.
    pub fn page_defaults() -> Vec<BurnWindow> {
        vec![
            BurnWindow { long_seconds: 3600, short_seconds: 300, burn_rate: 14.4, severity: Severity::Critical },
            BurnWindow { long_seconds: 21600, short_seconds: 1800, burn_rate: 6.0, severity: Severity::Critical },
        ]
    }

    /// The workbook's ticket window: 1d/2h at 3×.
    pub fn ticket_default() -> BurnWindow {
        BurnWindow { long_seconds: 86400, short_seconds: 7200, burn_rate: 3.0, severity: Severity::Warning }
    }
}

/// An objective and how to alert on it.
#[derive(Clone, Debug, PartialEq)]
pub struct SloProps {
    /// The objective, percent of good events (99.9).
    pub objective_percent: f64,
    /// The indicator.
    pub sli: Sli,
    /// The window pairs. Default: [`BurnWindow::page_defaults`].
    pub windows: Vec<BurnWindow>,
    /// Where each window's composite alarm notifies (topic ARNs). Default: nowhere.
    pub alarm_actions: Vec<Value<String>>,
    /// The runbook a critical window's composite alarm names. Default: [`Runbook::Rollback`]
    /// (a burning budget most often follows a deploy).
    pub runbook: Runbook,
}

impl SloProps {
    /// An objective over an indicator with the page windows and no actions.
    pub fn new(objective_percent: f64, sli: Sli) -> Self {
        SloProps {
            objective_percent,
            sli,
            windows: BurnWindow::page_defaults(),
            alarm_actions: Vec::new(),
            runbook: Runbook::Rollback,
        }
    }

    /// Notifies these topics.
    #[must_use]
    pub fn with_actions(mut self, actions: Vec<Value<String>>) -> Self {
        self.alarm_actions = actions;
        self
    }

    /// Names this runbook in the critical alarms.
    #[must_use]
    pub fn with_runbook(mut self, runbook: Runbook) -> Self {
        self.runbook = runbook;
        self
    }
}

/// The alarms of one window pair.
#[derive(Clone, Debug)]
pub struct WindowAlarms {
    /// The bad-event ratio over which both alarms fire (`burn rate × (1 − objective)`).
    pub threshold: f64,
    /// The long-window alarm.
    pub long: Handle<Alarm>,
    /// The short-window alarm.
    pub short: Handle<Alarm>,
    /// Both together: the alarm that notifies.
    pub composite: Handle<CompositeAlarm>,
    /// Its severity.
    pub severity: Severity,
}

/// An SLO's burn-rate alarms (see the [module](self) docs).
#[derive(Clone, Debug)]
pub struct Slo {
    /// One entry per window pair, in the order given.
    pub windows: Vec<WindowAlarms>,
}

impl Slo {
    /// Adds the alarms under `scope.child(id)`. An objective outside (0, 100) or a window that
    /// CloudWatch cannot evaluate is an error naming the path.
    pub fn new(scope: &Scope, id: &str, props: SloProps) -> Slo {
        let scope = scope.child(id);
        check(&scope, &props);
        let budget = 1.0 - props.objective_percent / 100.0;
        let mut windows = Vec::new();
        for w in &props.windows {
            windows.push(window_alarms(&scope, id, &props, w, budget));
        }
        Slo { windows }
    }
}

/// The metadata key of an SLO window's composite alarm: its objective and indicator, which
/// `haplat check` holds against the app's declared objectives.
pub const SLO_METADATA: &str = "haplat:slo";

/// `{"objectivePercent", "indicator": "availability" | "latency", "thresholdMs" (latency),
/// "burnRate"}`.
fn slo_metadata(props: &SloProps, w: &BurnWindow) -> serde_json::Value {
    let mut m = serde_json::json!({"objectivePercent": props.objective_percent, "burnRate": w.burn_rate});
    match &props.sli {
        Sli::ErrorRatio { .. } | Sli::Success { .. } => m["indicator"] = "availability".into(),
        Sli::Latency { threshold_ms, .. } => {
            m["indicator"] = "latency".into();
            m["thresholdMs"] = (threshold_ms.round() as i64).into();
        }
    }
    m
}

/// The metric queries of an SLI over one period, returning the bad-event ratio.
fn queries(sli: &Sli, period: i64) -> (Vec<MetricDataQuery>, &'static str) {
    match sli {
        Sli::ErrorRatio { bad, total } => {
            let (mut metrics, bad) = summed("bad", bad, "Sum", period);
            let (totals, total) = summed("total", total, "Sum", period);
            metrics.extend(totals);
            let ratio = format!("IF({} > 0, {} / {}, 0)", total.plain, bad.filled, total.plain);
            metrics.push(expression("ratio", &ratio, "Bad event ratio"));
            (metrics, "the bad event ratio")
        }
        Sli::Latency { metrics, threshold_ms, unit } => {
            let stat = format!("PR(:{})", fmt_num(unit.of_ms(*threshold_ms)));
            let (mut queries, fastest) = match metrics.as_slice() {
                [single] => (vec![single.query("fast", &stat, period)], "FILL(fast, 100)".to_owned()),
                several => {
                    let ids: Vec<String> = (0..several.len()).map(|i| format!("fast{i}")).collect();
                    let queries = several.iter().zip(&ids).map(|(m, id)| m.query(id, &stat, period)).collect();
                    let filled: Vec<String> = ids.iter().map(|id| format!("FILL({id}, 100)")).collect();
                    (queries, format!("MIN([{}])", filled.join(", ")))
                }
            };
            queries.push(expression("ratio", &format!("(100 - {fastest}) / 100"), "Slow request ratio"));
            (queries, "the slow request ratio")
        }
        Sli::Success { metric } => (
            vec![
                metric.query("success", "Average", period),
                expression("ratio", "(100 - FILL(success, 100)) / 100", "Failed check ratio"),
            ],
            "the failed check ratio",
        ),
    }
}

/// A number without a trailing `.0`.
fn fmt_num(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_owned()
}

/// Reports an objective outside (0, 100), no window, or an error ratio CloudWatch cannot read.
fn check(scope: &Scope, props: &SloProps) {
    if !(props.objective_percent > 0.0 && props.objective_percent < 100.0) {
        scope.error(format!("objective {}% must be between 0 and 100 (exclusive)", props.objective_percent));
    }
    if props.windows.is_empty() {
        scope.error("an SLO needs at least one burn-rate window");
    }
    if let Sli::Latency { metrics, .. } = &props.sli
        && !(1..=10).contains(&metrics.len())
    {
        scope.error(format!("a latency indicator over {} metrics: use 1 to 10", metrics.len()));
    }
    if let Sli::ErrorRatio { bad, total } = &props.sli {
        if bad.is_empty() || total.is_empty() {
            scope.error("an error ratio needs at least one metric of bad events and one of all events");
        }
        if bad.len() + total.len() > 10 {
            scope.error(format!(
                "an error ratio over {} metrics: a CloudWatch alarm reads at most 10",
                bad.len() + total.len()
            ));
        }
    }
}

/// The two alarms of window `w` (`Burn<n>hLong`, `Burn<n>hShort`) and their composite
/// (`Burn<n>h`), in `scope`.
fn window_alarms(scope: &Scope, id: &str, props: &SloProps, w: &BurnWindow, budget: f64) -> WindowAlarms {
    for s in [w.long_seconds, w.short_seconds] {
        if s <= 0 || s % 60 != 0 || s > 86400 {
            scope.error(format!("window of {s} s: use a multiple of 60 seconds, at most a day"));
        }
    }
    // A burn rate of 0 (or less, or not a number) pages at every bad event, or never.
    if !(w.burn_rate.is_finite() && w.burn_rate > 0.0) {
        scope.error(format!(
            "burn rate {}: use a number above 0 (14.4 pages at 2% of a month's budget in an hour)",
            w.burn_rate
        ));
    }
    if w.short_seconds >= w.long_seconds {
        scope.error(format!(
            "the short window ({} s) must be shorter than the long one ({} s)",
            w.short_seconds, w.long_seconds
        ));
    }
    let threshold = w.burn_rate * budget;
    let name = format!("{}h", fmt_num(w.long_seconds as f64 / 3600.0));
    let alarm = |wid: &str, period: i64| {
        let (metrics, label) = queries(&props.sli, period);
        scope.add(
            wid,
            Alarm {
                alarm_description: Some(
                    format!(
                        "[{}] {id}: {label} over {} min above {} ({}x the budget of {}%)",
                        w.severity.as_str(),
                        period / 60,
                        fmt_num(threshold),
                        fmt_num(w.burn_rate),
                        fmt_num(props.objective_percent)
                    )
                    .into(),
                ),
                metrics: Some(List::items(metrics)),
                comparison_operator: Some(ComparisonOperator::GreaterThanThreshold.into()),
                threshold: Some(threshold.into()),
                evaluation_periods: Some(1.into()),
                treat_missing_data: Some(TreatMissingData::NotBreaching.into()),
                ..Default::default()
            },
        )
    };
    let long = alarm(&format!("Burn{name}Long"), w.long_seconds);
    let short = alarm(&format!("Burn{name}Short"), w.short_seconds);
    let composite = scope.add(
        &format!("Burn{name}"),
        CompositeAlarm {
            alarm_description: Some({
                let what = format!(
                    "[{}] {id}: the error budget of {}% burns {}x too fast",
                    w.severity.as_str(),
                    fmt_num(props.objective_percent),
                    fmt_num(w.burn_rate)
                );
                // The slow burn names the same runbook: it is the same budget, found sooner.
                props.runbook.describe(&what).into()
            }),
            alarm_rule: Value::sub_with(
                "ALARM(\"${Long}\") AND ALARM(\"${Short}\")",
                [("Long", long.ref_()), ("Short", short.ref_())],
            ),
            alarm_actions: (!props.alarm_actions.is_empty()).then(|| List::items(props.alarm_actions.clone())),
            ok_actions: (!props.alarm_actions.is_empty()).then(|| List::items(props.alarm_actions.clone())),
            ..Default::default()
        },
    );
    // What `haplat check` compares with the objectives the app declares (docs/availability.md).
    scope.options(composite).metadata(SLO_METADATA, slo_metadata(props, w));
    // The composite pages (when the SLO has actions); a window alone would page on a short
    // spike or long after the fact, which is what the pair is for.
    for window in [long, short] {
        scope.options(window).suppress(
            "CT.CLOUDWATCH.PR.1",
            "one window of a multi-window burn-rate alarm: its composite alarm, ALARM(long) AND ALARM(short), is the \
             one with the actions",
        );
    }
    WindowAlarms { threshold, long, short, composite, severity: w.severity }
}
