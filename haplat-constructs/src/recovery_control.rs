//! Route 53 Application Recovery Controller (ARC) routing control: a cluster, a control panel,
//! one routing control per region and an assertion safety rule that keeps at least one of them
//! on ([`RecoveryControl`]). [`FailoverDns`](crate::dns::FailoverDns) wires each control into
//! its region's routed record through a `RECOVERY_CONTROL` health check
//! ([`FailoverDnsProps::routing_controls`](crate::dns::FailoverDnsProps::routing_controls)).
//!
//! Why: turning a routing control off is a call to the cluster's data plane, five regional
//! endpoints of which any one answers
//! ([routing control API](https://docs.aws.amazon.com/routing-control/latest/APIReference/Welcome.html)),
//! while `UpdateHealthCheck` (how `haplat failover` moves traffic without ARC) is a call to
//! Route 53's control plane. The automatic, health-based failover stays: the record a control
//! gates still follows the region's own health check.
//!
//! Where: the recovery control configuration API answers in us-west-2 only ("you must specify the
//! US West (Oregon) Region", [ARC API](https://docs.aws.amazon.com/recovery-cluster/latest/api/what-is-recovery-control.html)),
//! and CloudFormation offers the `AWS::Route53RecoveryControl::*` types in us-east-1 and us-west-2
//! (the registry's schemas per region, as cfn-lint ships them): a [`RecoveryControl`] in another
//! region is a synthesis error. The platform puts it in its us-east-1 edge stack, beside the
//! records it gates.
//!
//! A cluster is billed per hour whether or not a control moves
//! ([ARC pricing](https://aws.amazon.com/application-recovery-controller/pricing/)); see
//! `docs/decisions.md`, "Route 53 ARC in prod only".
//!
//! ```
//! use haplat_core::App;
//! use haplat_constructs::recovery_control::{RecoveryControl, RecoveryControlProps};
//!
//! let app = App::new("shop");
//! let edge = app.stack("Edge", "us-east-1");
//! let arc = RecoveryControl::new(&edge, "Arc", RecoveryControlProps::new("shop-prod", &["us-east-1", "us-west-2"]));
//! assert_eq!(arc.controls.len(), 2);
//! let t = app.synth().unwrap().template("shop-Edge").unwrap();
//! let rule = t["Resources"].as_object().unwrap().values()
//!     .find(|r| r["Type"] == "AWS::Route53RecoveryControl::SafetyRule").unwrap();
//! let rule = &rule["Properties"];
//! assert_eq!(rule["RuleConfig"]["Type"], "ATLEAST");
//! assert_eq!(rule["RuleConfig"]["Threshold"], 1);
//! assert_eq!(rule["AssertionRule"]["AssertedControls"].as_array().unwrap().len(), 2);
//! ```

use std::collections::BTreeMap;

use haplat_core::resources::route53recoverycontrol::cluster::Cluster;
use haplat_core::resources::route53recoverycontrol::control_panel::ControlPanel;
use haplat_core::resources::route53recoverycontrol::routing_control::RoutingControl;
use haplat_core::resources::route53recoverycontrol::safety_rule::{AssertionRule, RuleConfig, RuleType, SafetyRule};
use haplat_core::value::{List, Value};
use haplat_core::{Handle, Scope};

use crate::naming::pascal;

/// The regions where CloudFormation offers the `AWS::Route53RecoveryControl::*` types.
pub const RECOVERY_CONTROL_REGIONS: [&str; 2] = ["us-east-1", "us-west-2"];

/// What [`RecoveryControl`] makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveryControlProps {
    /// The prefix of the cluster's, panel's and controls' names (`shop-prod`).
    pub name: String,
    /// The regions, one routing control each (at least two: one region has nowhere to go).
    pub regions: Vec<String>,
    /// How long, in milliseconds, the safety rule evaluates a change before it takes effect
    /// (ARC's `WaitPeriodMs`). Default: 5000, ARC's console default.
    pub wait_period_ms: i64,
}

impl RecoveryControlProps {
    /// A control per region of `regions`, named after `name`.
    pub fn new(name: &str, regions: &[&str]) -> Self {
        RecoveryControlProps {
            name: name.to_owned(),
            regions: regions.iter().map(|r| (*r).to_owned()).collect(),
            wait_period_ms: 5000,
        }
    }
}

/// An ARC cluster, its control panel, a routing control per region and the safety rule.
#[derive(Clone, Debug)]
pub struct RecoveryControl {
    /// The cluster (`ClusterEndpoints`: the five regional endpoints of the data plane).
    pub cluster: Handle<Cluster>,
    /// The control panel.
    pub panel: Handle<ControlPanel>,
    /// Region → its routing control's ARN.
    pub controls: BTreeMap<String, Value<String>>,
    /// The assertion rule: at least one control on.
    pub safety_rule: Handle<SafetyRule>,
}

impl RecoveryControl {
    /// Adds the cluster, panel, controls and rule under `scope.child(id)`.
    pub fn new(scope: &Scope, id: &str, props: RecoveryControlProps) -> RecoveryControl {
        let stack = scope.stack();
        let scope = scope.child(id);
        let regions = stack.regions();
        if !(regions.len() == 1 && RECOVERY_CONTROL_REGIONS.contains(&regions[0].as_str())) {
            scope.error(format!(
                "Route 53 ARC's CloudFormation types exist only in {}, but stack {} is deployed to {}; put \
                 RecoveryControl in a stack of one of them (the platform's us-east-1 edge stack)",
                RECOVERY_CONTROL_REGIONS.join(" and "),
                stack.id(),
                regions.join(", ")
            ));
        }
        for p in haplat_core::validate::region_list_problems("regions", &props.regions) {
            scope.error(p);
        }
        if props.regions.len() < 2 {
            scope.error(format!(
                "routing controls over {} region(s): with fewer than two, turning one off leaves nowhere to go and \
                 the safety rule refuses it; leave RecoveryControl out",
                props.regions.len()
            ));
        }
        // ARC: names of 1 to 64 non-space characters; the longest made here is the safety rule's.
        let longest = format!("{}-at-least-one-region", props.name);
        if props.name.is_empty() || props.name.chars().any(char::is_whitespace) || longest.chars().count() > 64 {
            scope.error(format!(
                "name {:?} ({} characters): use 1 to {} characters without spaces (ARC's names are at most 64, and \
                 the safety rule's adds \"-at-least-one-region\")",
                props.name.chars().take(64).collect::<String>(),
                props.name.chars().count(),
                64 - "-at-least-one-region".len()
            ));
        }
        if !(0..=u32::MAX.into()).contains(&props.wait_period_ms) {
            scope.error(format!("wait_period_ms {} must be 0 or more", props.wait_period_ms));
        }
        let cluster =
            scope.add("Cluster", Cluster { name: format!("{}-cluster", props.name).into(), ..Default::default() });
        let panel = scope.add(
            "Panel",
            ControlPanel {
                cluster_arn: Some(cluster.attr_cluster_arn()),
                name: format!("{}-panel", props.name).into(),
                ..Default::default()
            },
        );
        let mut controls = BTreeMap::new();
        for region in &props.regions {
            let control = scope.add(
                &format!("{}Control", pascal(region)),
                RoutingControl {
                    cluster_arn: Some(cluster.attr_cluster_arn()),
                    control_panel_arn: Some(panel.attr_control_panel_arn()),
                    name: format!("{}-{region}", props.name).into(),
                },
            );
            controls.insert(region.clone(), control.attr_routing_control_arn());
        }
        // ATLEAST 1, not inverted: ARC refuses any change that would leave no control on
        // (https://docs.aws.amazon.com/r53recovery/latest/dg/routing-control.safety-rules.html).
        let safety_rule = scope.add(
            "AtLeastOneRegion",
            SafetyRule {
                name: Some(format!("{}-at-least-one-region", props.name).into()),
                control_panel_arn: Some(panel.attr_control_panel_arn()),
                assertion_rule: Some(AssertionRule {
                    asserted_controls: List::items(controls.values().cloned().collect()),
                    wait_period_ms: props.wait_period_ms.into(),
                }),
                rule_config: Some(RuleConfig {
                    inverted: false.into(),
                    threshold: 1.into(),
                    type_: RuleType::Atleast.into(),
                }),
                ..Default::default()
            },
        );
        RecoveryControl { cluster, panel, controls, safety_rule }
    }
}
