//! Bootstrap in an account that already has the StackSet roles (made by hand, by the console or
//! by another tool): they are adopted, not created again, and stay untouched.

use std::process::Command;

use haplat_cli::bootstrap::{ADMIN_ROLE, EXECUTION_ROLE, template};
use haplat_cli::cfn::CloudFormation;
use haplat_cli::signed::IAM;

use crate::harness::{Moto, Project, Source, install_tools, run};
use crate::snap;

/// A role's description in IAM on moto (it fails when there is no such role).
async fn description(moto: &Moto, role: &str) -> String {
    let r = moto.signed().await.query(IAM, "us-east-1", "GetRole", &[("RoleName", role)]).await.unwrap();
    r.text_at(&["GetRoleResult", "Role", "Description"]).unwrap_or_default().to_owned()
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudformation.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn existing_stackset_roles_are_adopted_and_left_alone() {
    let moto = Moto::start();
    // Made as an account admin would.
    let iam = moto.signed().await;
    for role in [ADMIN_ROLE, EXECUTION_ROLE] {
        let made = [("RoleName", role), ("AssumeRolePolicyDocument", TRUST), ("Description", "made by hand")];
        iam.query(IAM, "us-east-1", "CreateRole", &made).await.unwrap();
    }
    let p = Project::new(Source::Fixture("basic"));
    let haplat = |args: &[&str]| {
        let mut cmd = p.haplat(args);
        moto.env(&mut cmd);
        run(&mut cmd)
    };
    let r = haplat(&["bootstrap"]);
    snap!("bootstrap_adopts_roles", r.snapshot(p.path()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The stack holds the bucket only; the roles are the ones made by hand.
    let aws = moto.aws().await;
    let stack = aws.describe_stack("us-east-1", "HaplatBootstrap").await.unwrap().unwrap();
    assert_eq!(stack.parameters["CreateAdministrationRole"], "false");
    assert_eq!(stack.parameters["CreateExecutionRole"], "false");
    assert_eq!(stack.outputs["AdministrationRoleArn"], format!("arn:aws:iam::123456789012:role/{ADMIN_ROLE}"));
    for role in [ADMIN_ROLE, EXECUTION_ROLE] {
        assert_eq!(description(&moto, role).await, "made by hand", "{role}");
    }
    // Again: nothing to do, still adopted (the roles are not "ours" because IAM has them).
    let again = haplat(&["bootstrap"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("already up to date") && again.stdout.contains("adopted"), "{}", again.stdout);
    // Stack sets are made with the adopted roles.
    let deploy = haplat(&["deploy", "--yes", "--plain", "Data"]);
    assert_eq!(deploy.code, 0, "{}", deploy.stderr);
    assert_eq!(aws.list_stack_instances("Data").await.unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn roles_the_bootstrap_stack_made_stay_its_own() {
    let moto = Moto::start();
    let p = Project::new(Source::Fixture("basic"));
    let haplat = |args: &[&str]| {
        let mut cmd = p.haplat(args);
        moto.env(&mut cmd);
        run(&mut cmd)
    };
    assert_eq!(haplat(&["bootstrap", "--regions", "us-east-1"]).code, 0);
    // IAM now has the roles, because the stack made them: a second bootstrap (here adding a
    // region) must keep creating them, not "adopt" them (which would delete them).
    let r = haplat(&["bootstrap", "--regions", "eu-west-1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(": updated") && !r.stdout.contains("adopted"), "{}", r.stdout);
    let stack = moto.aws().await.describe_stack("us-east-1", "HaplatBootstrap").await.unwrap().unwrap();
    assert_eq!(stack.parameters["CreateAdministrationRole"], "true");
    assert_eq!(stack.parameters["CreateExecutionRole"], "true");
    description(&moto, ADMIN_ROLE).await;
}

#[test]
fn the_bootstrap_template_lints_clean() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bootstrap.json");
    std::fs::write(&path, serde_json::to_string_pretty(&template()).unwrap()).unwrap();
    let lint = Command::new(install_tools().join("cfn-lint")).arg(&path).output().unwrap();
    assert!(lint.status.success(), "{}", String::from_utf8_lossy(&lint.stdout));
}

/// `bootstrap --apigateway-logs-role` on moto: the stack makes the role, API Gateway's setting
/// is set in each region that had none, a region whose setting was made by hand keeps it; then
/// `doctor --format json` reads the settings back.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn the_apigateway_logs_role_is_made_and_set_where_none_is_set() {
    use haplat_cli::account::Account;
    let moto = Moto::start();
    let aws = moto.aws().await;
    aws.set_apigateway_cloudwatch_role("eu-west-1", "arn:aws:iam::123456789012:role/MadeByHand").await.unwrap();
    let p = Project::new(Source::Fixture("basic"));
    let haplat = |args: &[&str]| {
        let mut cmd = p.haplat(args);
        moto.env(&mut cmd);
        run(&mut cmd)
    };
    let r = haplat(&["bootstrap", "--apigateway-logs-role"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let stack = aws.describe_stack("us-east-1", "HaplatBootstrap").await.unwrap().unwrap();
    assert_eq!(stack.parameters["CreateApiGatewayLogsRole"], "true");
    let role = stack.outputs["ApiGatewayLogsRoleArn"].clone();
    assert!(r.stdout.contains(&format!("  API Gateway logs role in us-east-1: set to {role}\n")), "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "  API Gateway logs role in eu-west-1: arn:aws:iam::123456789012:role/MadeByHand (adopted: it was set before; left as it is)\n"
        ),
        "{}",
        r.stdout
    );
    assert_eq!(aws.apigateway_cloudwatch_role("us-west-2").await.unwrap(), Some(role.clone()));
    assert_eq!(
        aws.apigateway_cloudwatch_role("eu-west-1").await.unwrap().as_deref(),
        Some("arn:aws:iam::123456789012:role/MadeByHand")
    );
    // A later bootstrap without the flag keeps the role in the stack.
    let again = haplat(&["bootstrap"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let stack = aws.describe_stack("us-east-1", "HaplatBootstrap").await.unwrap().unwrap();
    assert_eq!(stack.parameters["CreateApiGatewayLogsRole"], "true");
    // doctor --format json: the requirements and findings, machine-readable.
    let d = haplat(&["doctor", "--format", "json"]);
    assert_eq!(d.code, 0, "{}\n{}", d.stdout, d.stderr);
    let doc: serde_json::Value = serde_json::from_str(&d.stdout).unwrap();
    assert_eq!(doc["findings"][0]["check"], "stackset-roles");
    assert_eq!(doc["findings"][0]["outcome"], "ok");
    assert_eq!(doc["requirements"]["counts"]["us-east-1"]["vpcs"], 1);
}
