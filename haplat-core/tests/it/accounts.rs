//! A stack set's deployment target (this account, accounts, organizational units) in the
//! manifest: validated at synth, one line per malformed id naming the stack.

use haplat_core::App;
use haplat_core::manifest::{CallAs, Deployment, Manifest, is_account_id, is_ou_id};

use haplat_core::value::Value;

use crate::support::*;

fn app_with(deployment: Deployment) -> App {
    let app = App::new("shop");
    let api = app.stack_set("Api", &["us-east-1", "eu-west-1"]);
    api.add("Q", Queue { name: Value::from("q".to_owned()), ..Default::default() });
    api.set_deployment(deployment);
    app
}

#[test]
fn this_account_is_the_default_and_is_not_written() {
    let a = app_with(Deployment::ThisAccount).synth().unwrap();
    let json = serde_json::to_string(&a.manifest).unwrap();
    assert!(!json.contains("deployment"), "{json}");
    assert_eq!(a.manifest.stacks[0].deployment, Deployment::ThisAccount);
}

#[test]
fn accounts_and_organizational_units_round_trip_through_the_manifest() {
    for d in [
        Deployment::Accounts { accounts: vec!["111111111111".into(), "222222222222".into()] },
        Deployment::OrganizationalUnits {
            organizational_units: vec!["ou-ab12-cdef3456".into(), "r-ab12".into()],
            retain_stacks_on_account_removal: false,
            call_as: CallAs::DelegatedAdmin,
        },
    ] {
        let a = app_with(d.clone()).synth().unwrap();
        let text = serde_json::to_string(&a.manifest).unwrap();
        let back = Manifest::from_json(&text).unwrap();
        assert_eq!(back.stacks[0].deployment, d);
    }
    let ou = Deployment::OrganizationalUnits {
        organizational_units: vec!["ou-ab12-cdef3456".into()],
        retain_stacks_on_account_removal: true,
        call_as: CallAs::DelegatedAdmin,
    };
    assert_eq!(ou.permission_model(), "SERVICE_MANAGED");
    assert_eq!(ou.call_as(), Some(CallAs::DelegatedAdmin));
    assert!(ou.accounts("999999999999").is_empty());
    let json = serde_json::to_value(&ou).unwrap();
    assert_eq!(json["callAs"], "DELEGATED_ADMIN");
    assert_eq!(Deployment::ThisAccount.accounts("999999999999"), vec!["999999999999"]);
    assert_eq!(Deployment::ThisAccount.permission_model(), "SELF_MANAGED");
}

#[test]
fn malformed_ids_are_one_line_each_naming_the_stack_and_field() {
    let bad = Deployment::Accounts { accounts: vec!["12345".into(), "111111111111".into(), "111111111111".into()] };
    let e = app_with(bad).synth().unwrap_err().to_string();
    assert!(e.contains("deployment.accounts[0]: \"12345\" is not a 12-digit AWS account id"), "{e}");
    assert!(e.contains("deployment.accounts[2]: 111111111111 is listed twice"), "{e}");
    assert!(e.contains("Api"), "{e}");
    let huge = "x".repeat(100_000);
    let bad = Deployment::OrganizationalUnits {
        organizational_units: vec!["OU-AB12-CDEF3456".into(), huge],
        retain_stacks_on_account_removal: false,
        call_as: CallAs::SelfAccount,
    };
    let e = app_with(bad).synth().unwrap_err().to_string();
    assert!(e.contains("deployment.organizationalUnits[0]"), "{e}");
    assert!(e.contains("deployment.organizationalUnits[1]"), "{e}");
    assert!(e.len() < 1000, "a huge id is clipped: {} bytes", e.len());
    let e = app_with(Deployment::Accounts { accounts: vec![] }).synth().unwrap_err().to_string();
    assert!(e.contains("deployment.accounts: empty"), "{e}");
}

#[test]
fn id_patterns_follow_the_api_reference() {
    assert!(is_account_id("012345678901"));
    for bad in ["", "01234567890", "0123456789012", "01234567890a", "٠١٢٣٤٥٦٧٨٩٠١"] {
        assert!(!is_account_id(bad), "{bad}");
    }
    assert!(is_ou_id("ou-ab12-cdef3456"));
    assert!(is_ou_id("r-ab12"));
    for bad in
        ["ou-ab1-cdef3456", "ou-ab12-cdef345", "ou-ab12cdef3456", "ou-AB12-cdef3456", "r-ab1", "ou-ab12-cdef3456-"]
    {
        assert!(!is_ou_id(bad), "{bad}");
    }
    assert!(CallAs::parse("DELEGATED_ADMIN").is_ok());
    assert_eq!(CallAs::parse("ADMIN").unwrap_err(), "call-as \"ADMIN\" is neither SELF nor DELEGATED_ADMIN");
}
