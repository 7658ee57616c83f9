//! Suppressions: `scope.suppress(rule, reason)` and `options(handle).suppress(..)` write the
//! forms haplat, checkov, cfn-guard and cfn_nag read into the `Metadata` of every resource at or
//! below the node; an empty reason is a synthesis error naming the path.

use haplat_core::App;
use haplat_core::app::CheckRule;
use serde_json::json;

use crate::support::*;

#[test]
fn a_suppression_on_a_scope_reaches_every_resource_below_it_in_each_scanners_form() {
    let app = App::new("demo");
    let s = app.stack("Data", "us-east-1");
    let api = s.child("Api");
    api.suppress("HAP003", "adopted by name on the next deploy");
    api.suppress("CKV_AWS_27", "encrypted with the AWS owned key on purpose");
    api.suppress("W48", "same");
    api.suppress("SQS_QUEUE_ENCRYPTED", "guard too");
    api.suppress("CT.SQS.PR.2", "the control tower id");
    let jobs = api.child("Worker").add("Jobs", queue("jobs"));
    s.options(jobs).suppress(CheckRule::Haplat("HAP001".into()), "closer");
    s.add("Other", queue("other"));
    let t = template(&app, "demo-Data");
    let jobs = &t["Resources"][logical_id_of(&t, "Data/Api/Worker/Jobs")]["Metadata"];
    assert_eq!(
        jobs,
        &json!({
            "haplat:path": "Data/Api/Worker/Jobs",
            "cfn_nag": {"rules_to_suppress": [{"id": "W48", "reason": "same"}]},
            "checkov": {"skip": [{"id": "CKV_AWS_27", "comment": "encrypted with the AWS owned key on purpose"}]},
            "guard": {
                "SuppressedRules": ["CT.SQS.PR.2", "SQS_QUEUE_ENCRYPTED"],
                "Reasons": {"CT.SQS.PR.2": "the control tower id", "SQS_QUEUE_ENCRYPTED": "guard too"}
            },
            "haplat:suppress": [
                {"id": "HAP001", "reason": "closer"},
                {"id": "HAP003", "reason": "adopted by name on the next deploy"}
            ]
        })
    );
    // Keys after haplat:path are sorted, so the text is deterministic.
    let keys: Vec<&String> = jobs.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["haplat:path", "cfn_nag", "checkov", "guard", "haplat:suppress"]);
    // Outside the scope nothing changes.
    let other = &t["Resources"][logical_id_of(&t, "Data/Other")]["Metadata"];
    assert_eq!(other, &json!({"haplat:path": "Data/Other"}));
}

#[test]
fn the_closest_reason_wins_and_a_stack_can_suppress_for_all() {
    let app = App::new("demo");
    let s = app.stack("Data", "us-east-1");
    s.suppress("HAP003", "far");
    let inner = s.child("Inner");
    inner.suppress("HAP003", "near");
    inner.add("Q", queue("q"));
    s.add("R", queue("r"));
    let t = template(&app, "demo-Data");
    assert_eq!(
        t["Resources"][logical_id_of(&t, "Data/Inner/Q")]["Metadata"]["haplat:suppress"],
        json!([{"id": "HAP003", "reason": "near"}])
    );
    assert_eq!(
        t["Resources"][logical_id_of(&t, "Data/R")]["Metadata"]["haplat:suppress"],
        json!([{"id": "HAP003", "reason": "far"}])
    );
}

#[test]
fn an_empty_reason_or_a_malformed_haplat_id_is_an_error_naming_the_path() {
    let app = App::new("demo");
    let s = app.stack("Data", "us-east-1");
    let api = s.child("Api");
    api.suppress("HAP003", "  ");
    let q = api.add("Q", queue("q"));
    s.options(q).suppress("HAPX", "why");
    api.suppress("hap003", "a typo is not taken for another scanner's rule");
    let errs = errors(&app).join("\n");
    assert!(errs.contains("Data/Api: the suppression of HAP003 needs a reason"), "{errs}");
    assert!(errs.contains("Data/Api/Q: cannot suppress: \"HAPX\" is not a haplat rule id"), "{errs}");
    assert!(errs.contains("Data/Api: cannot suppress: \"hap003\" is not a haplat rule id"), "{errs}");
}

#[test]
fn ids_are_told_apart_by_their_shape() {
    assert_eq!(CheckRule::from("HAP010"), CheckRule::Haplat("HAP010".into()));
    assert_eq!(CheckRule::from("CKV2_AWS_5"), CheckRule::Checkov("CKV2_AWS_5".into()));
    assert_eq!(CheckRule::from("F3"), CheckRule::CfnNag("F3".into()));
    assert_eq!(CheckRule::from("IAM_NO_INLINE_POLICY_CHECK"), CheckRule::Guard("IAM_NO_INLINE_POLICY_CHECK".into()));
    assert_eq!(
        CheckRule::from("CT.ELASTICLOADBALANCING.PR.6"),
        CheckRule::Guard("CT.ELASTICLOADBALANCING.PR.6".into())
    );
    assert_eq!(CheckRule::from("CT.S3.PR"), CheckRule::Haplat("CT.S3.PR".into()));
    // No known shape: haplat's, so synthesis rejects it instead of writing another scanner's form.
    assert_eq!(CheckRule::from("E3001"), CheckRule::Haplat("E3001".into()));
}
