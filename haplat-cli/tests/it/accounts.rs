//! Many accounts against the fake: a stack set's deployment target (accounts, self-managed;
//! organizational units, service-managed with automatic deployment) reaches every call, and a
//! change of permission model is refused before anything changes.

use std::path::Path;

use haplat_cli::assembly::Assembly;
use haplat_cli::bootstrap::Bootstrap;
use haplat_cli::cfn::StackSetInfo;
use haplat_cli::events::Collect;
use haplat_cli::executor::{Executor, permission_model_change, targets};
use haplat_cli::failure::ExecError;
use haplat_cli::plan::{PlanOptions, plan_deploy};
use haplat_core::manifest::{CallAs, Deployment};

use crate::fake::Fake;
use crate::harness::{bootstrap, fixture, waits};

/// The `basic` fixture with `deployment` on stack set `Data`, written to `dir`.
fn basic_with(dir: &Path, deployment: &Deployment) -> Assembly {
    basic_with_all(dir, &[("Data", deployment)])
}

/// The `basic` fixture with a deployment per stack set named, written to `dir`.
fn basic_with_all(dir: &Path, deployments: &[(&str, &Deployment)]) -> Assembly {
    let src = fixture("basic");
    for f in std::fs::read_dir(&src).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), dir.join(f.file_name())).unwrap();
    }
    let path = dir.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for s in m["stacks"].as_array_mut().unwrap() {
        for (name, deployment) in deployments {
            if s["name"] == *name {
                s["deployment"] = serde_json::to_value(deployment).unwrap();
            }
        }
    }
    std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    Assembly::load(dir).unwrap()
}

async fn deploy_data(fake: &Fake, assembly: &Assembly) -> Result<(), ExecError> {
    let plan = plan_deploy(assembly, &PlanOptions { stacks: vec!["Data".into()], ..Default::default() }).unwrap();
    let sink = Collect::default();
    Executor::new(fake, &sink, waits()).deploy(assembly, &plan, &bootstrap()).await
}

#[tokio::test(start_paused = true)]
async fn self_managed_across_two_accounts_targets_both_with_the_execution_role() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = vec!["222222222222".to_owned(), "333333333333".to_owned()];
    let assembly = basic_with(dir.path(), &Deployment::Accounts { accounts: accounts.clone() });
    let fake = Fake::default();
    deploy_data(&fake, &assembly).await.unwrap();
    let s = fake.state.lock().unwrap();
    let input = &s.set_inputs[0];
    assert_eq!(input.deployment.permission_model(), "SELF_MANAGED");
    assert_eq!(input.execution_role_name, "AWSCloudFormationStackSetExecutionRole");
    let creates: Vec<_> = s.targets.iter().filter(|(c, n, _)| c == "create_stack_instances" && n == "Data").collect();
    assert!(!creates.is_empty());
    for (_, _, t) in creates {
        assert_eq!(t, &accounts, "every target account, never the caller's alone");
    }
}

#[tokio::test(start_paused = true)]
async fn service_managed_to_an_ou_sends_the_ou_and_automatic_deployment() {
    let dir = tempfile::tempdir().unwrap();
    let d = Deployment::OrganizationalUnits {
        organizational_units: vec!["ou-ab12-cdef3456".into()],
        retain_stacks_on_account_removal: false,
        call_as: CallAs::DelegatedAdmin,
    };
    let assembly = basic_with(dir.path(), &d);
    let fake = Fake::default();
    deploy_data(&fake, &assembly).await.unwrap();
    let s = fake.state.lock().unwrap();
    assert_eq!(s.set_inputs[0].deployment, d);
    assert_eq!(s.sets["Data"].permission_model.as_deref(), Some("SERVICE_MANAGED"));
    let creates: Vec<_> = s.targets.iter().filter(|(c, n, _)| c == "create_stack_instances" && n == "Data").collect();
    assert!(!creates.is_empty());
    for (_, _, t) in creates {
        assert_eq!(t, &vec!["ou-ab12-cdef3456".to_owned()]);
        assert!(haplat_cli::cfn::are_organizational_units(t));
    }
    assert_eq!(d.call_as(), Some(CallAs::DelegatedAdmin));
}

#[tokio::test(start_paused = true)]
async fn a_permission_model_change_is_refused_in_one_line_before_anything_changes() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::default();
    let first = basic_with(dir.path(), &Deployment::ThisAccount);
    deploy_data(&fake, &first).await.unwrap();
    let calls = fake.state.lock().unwrap().calls.len();
    let dir2 = tempfile::tempdir().unwrap();
    let ou = Deployment::OrganizationalUnits {
        organizational_units: vec!["r-ab12".into()],
        retain_stacks_on_account_removal: true,
        call_as: CallAs::SelfAccount,
    };
    let second = basic_with(dir2.path(), &ou);
    let e = deploy_data(&fake, &second).await.unwrap_err().to_string();
    assert!(e.contains("stack set Data is SELF_MANAGED and the environment now asks for SERVICE_MANAGED"), "{e}");
    assert!(!e.contains('\n'), "{e}");
    assert_eq!(fake.state.lock().unwrap().calls.len(), calls, "nothing was changed");
}

/// App (in account B) binds from Network (in account A): the producer's outputs are read in A,
/// through A's read role, never through exports.
#[tokio::test(start_paused = true)]
async fn a_cross_account_binding_reads_the_producer_in_its_account_through_the_read_role() {
    let dir = tempfile::tempdir().unwrap();
    let a = Deployment::Accounts { accounts: vec!["222222222222".into()] };
    let b = Deployment::Accounts { accounts: vec!["333333333333".into()] };
    let assembly = basic_with_all(dir.path(), &[("Network", &a), ("App", &b)]);
    let fake = Fake::default();
    let plan = plan_deploy(&assembly, &PlanOptions::default()).unwrap();
    let sink = Collect::default();
    Executor::new(&fake, &sink, waits()).deploy(&assembly, &plan, &bootstrap()).await.unwrap();
    let s = fake.state.lock().unwrap();
    assert!(!s.assumed.is_empty());
    assert!(s.assumed.iter().all(|r| r == "arn:aws:iam::222222222222:role/haplat-outputs-reader"), "{:?}", s.assumed);
    for (call, name, t) in &s.targets {
        if call == "create_stack_instances" && name == "App" {
            assert_eq!(t, &vec!["333333333333".to_owned()]);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_binding_from_a_producer_in_several_accounts_is_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let two = Deployment::Accounts { accounts: vec!["222222222222".into(), "333333333333".into()] };
    let assembly = basic_with_all(dir.path(), &[("Network", &two)]);
    let fake = Fake::default();
    let plan = plan_deploy(&assembly, &PlanOptions::default()).unwrap();
    let sink = Collect::default();
    let e = Executor::new(&fake, &sink, waits()).deploy(&assembly, &plan, &bootstrap()).await.unwrap_err().to_string();
    assert!(e.contains("stack set Network deploys to 2 accounts"), "{e}");
    assert!(!e.contains('\n'), "{e}");
}

#[test]
fn targets_and_permission_models() {
    assert_eq!(targets(&Deployment::ThisAccount, "111111111111"), vec!["111111111111"]);
    let set = StackSetInfo { name: "Api".into(), permission_model: None, ..Default::default() };
    assert_eq!(permission_model_change(&set, &Deployment::ThisAccount), None);
    let set = StackSetInfo { permission_model: Some("SERVICE_MANAGED".into()), ..set };
    assert!(permission_model_change(&set, &Deployment::Accounts { accounts: vec!["222222222222".into()] }).is_some());
    assert!(!haplat_cli::cfn::are_organizational_units(&["222222222222".into()]));
    assert!(!haplat_cli::cfn::are_organizational_units(&[]));
}

mod preflight {
    use haplat_cli::cfn::CfnError;
    use haplat_cli::doctor::{Outcome, Requirements, run};
    use haplat_core::manifest::CallAs;

    use crate::fake::Fake;

    fn req(call_as: CallAs) -> Requirements {
        Requirements {
            regions: ["us-east-1".to_owned()].into(),
            service_managed: vec![("Data".into(), call_as)],
            ..Default::default()
        }
    }

    async fn trusted_access(fake: &Fake, call_as: CallAs) -> Vec<haplat_cli::doctor::Finding> {
        run(fake, "us-east-1", &req(call_as))
            .await
            .into_iter()
            .filter(|f| f.check == "stacksets-trusted-access")
            .collect()
    }

    #[tokio::test]
    async fn trusted_access_missing_is_one_finding_with_the_fix() {
        let fake = Fake::default();
        let f = trusted_access(&fake, CallAs::SelfAccount).await;
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].outcome, Outcome::Missing);
        assert!(!f[0].message.contains('\n'));
        assert!(f[0].fix.as_deref().unwrap().contains("activate-organizations-access"));
        assert_eq!(fake.with(|s| s.account.organizations_access_calls.clone()), vec![None]);
        fake.with(|s| s.account.organizations_access = true);
        assert_eq!(trusted_access(&fake, CallAs::SelfAccount).await[0].outcome, Outcome::Ok);
    }

    #[tokio::test]
    async fn a_delegated_administrator_asks_as_one_and_an_unregistered_one_is_told_how_to_register() {
        let fake = Fake::default();
        fake.with(|s| {
            s.errors
                .entry("stacksets_organizations_access")
                .or_default()
                .push_back(CfnError::service("ValidationError", "Account used is not a delegated administrator"))
        });
        let f = trusted_access(&fake, CallAs::DelegatedAdmin).await;
        assert_eq!(f[0].outcome, Outcome::NotChecked);
        assert!(f[0].fix.as_deref().unwrap().contains("register-delegated-administrator"), "{f:?}");
        assert_eq!(
            fake.with(|s| s.account.organizations_access_calls.clone()),
            Vec::<Option<CallAs>>::new(),
            "the injected error answered first"
        );
        fake.with(|s| s.account.organizations_access = true);
        assert_eq!(trusted_access(&fake, CallAs::DelegatedAdmin).await[0].outcome, Outcome::Ok);
        assert_eq!(fake.with(|s| s.account.organizations_access_calls.clone()), vec![Some(CallAs::DelegatedAdmin)]);
    }
}

mod target_bootstrap {
    use std::time::Duration;

    use haplat_cli::bootstrap::{EXECUTION_ROLE, Outcome, TARGET_STACK_NAME, bootstrap_target, target_template};

    use crate::fake::Fake;

    #[test]
    fn the_target_template_trusts_the_administration_account_and_its_reader_only_reads() {
        let t = target_template("111111111111", false);
        let exec = &t["Resources"]["ExecutionRole"]["Properties"];
        assert_eq!(exec["RoleName"], EXECUTION_ROLE);
        let principal =
            exec["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"]["Fn::Sub"].as_str().unwrap();
        assert_eq!(
            principal,
            "arn:${AWS::Partition}:iam::111111111111:role/AWSCloudFormationStackSetAdministrationRole"
        );
        let reader = &t["Resources"]["OutputsReaderRole"]["Properties"];
        assert_eq!(reader["RoleName"], "haplat-outputs-reader");
        let actions = &reader["Policies"][0]["PolicyDocument"]["Statement"];
        assert_eq!(actions.as_array().unwrap().len(), 1);
        // Outputs for bindings, and what a rollout's bake reads of the account's health: reads,
        // each named (no wildcard action).
        assert_eq!(
            actions[0]["Action"],
            serde_json::json!([
                "cloudformation:DescribeStacks",
                "cloudformation:ListStackResources",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:GetMetricData",
                "elasticloadbalancing:DescribeTargetHealth",
                "route53:GetHealthCheck"
            ])
        );
        let adopted = target_template("111111111111", true);
        assert!(adopted["Resources"].get("ExecutionRole").is_none(), "an existing execution role is left alone");
    }

    #[tokio::test(start_paused = true)]
    async fn bootstrap_of_a_target_account_creates_its_stack_and_refuses_a_bad_admin_account() {
        let fake = Fake::default();
        let e = bootstrap_target(&fake, "us-east-1", "12345", Duration::from_secs(1)).await.unwrap_err().to_string();
        assert!(e.contains("--admin-account \"12345\" is not a 12-digit AWS account id"), "{e}");
        assert!(fake.calls().is_empty(), "nothing was called: {:?}", fake.calls());
        let outcome = bootstrap_target(&fake, "us-east-1", "111111111111", Duration::from_secs(1)).await.unwrap();
        assert_eq!(outcome, Outcome::Created);
        let stack = fake.with(|s| s.stacks.get(&("us-east-1".to_owned(), TARGET_STACK_NAME.to_owned())).cloned());
        let stack = stack.expect("created");
        assert_eq!(stack.parameters.get("OwnsExecutionRole").map(String::as_str), Some("true"));
    }
}

#[test]
fn call_as_defaults_from_the_environment_and_the_flag_wins() {
    use haplat_cli::ops::input::AwsAccess;
    let dir = tempfile::tempdir().unwrap();
    let ou = |c| Deployment::OrganizationalUnits {
        organizational_units: vec!["ou-ab12-cdef3456".into()],
        retain_stacks_on_account_removal: false,
        call_as: c,
    };
    let a = basic_with(dir.path(), &ou(CallAs::DelegatedAdmin));
    let access = AwsAccess::default().for_manifest(&a.manifest).unwrap();
    assert_eq!(access.call_as, Some(CallAs::DelegatedAdmin));
    let flag = AwsAccess { call_as: Some(CallAs::SelfAccount), ..Default::default() };
    assert_eq!(flag.for_manifest(&a.manifest).unwrap().call_as, Some(CallAs::SelfAccount));
    let dir2 = tempfile::tempdir().unwrap();
    let mixed =
        basic_with_all(dir2.path(), &[("Data", &ou(CallAs::DelegatedAdmin)), ("Network", &ou(CallAs::SelfAccount))]);
    let e = AwsAccess::default().for_manifest(&mixed.manifest).unwrap_err().to_string();
    assert!(e.contains("disagree on callAs (Data: DELEGATED_ADMIN, Network: SELF)"), "{e}");
    let dir3 = tempfile::tempdir().unwrap();
    let plain = basic_with(dir3.path(), &Deployment::ThisAccount);
    assert_eq!(AwsAccess::default().for_manifest(&plain.manifest).unwrap().call_as, None);
}

/// End to end against moto, which implements Organizations and service-managed stack sets
/// (with `CallAs`) well enough: an organization with one OU holding one member account, stack
/// set `Data` deployed to the OU as a delegated administrator through the real SDK client, its
/// instances land in the member account in every region; redeploying it as self-managed is
/// refused from what AWS (moto) says the stack set is. moto 5.2.5 does not implement
/// `DescribeOrganizationsAccess` (HTTP 500), so the trusted-access preflight is tested against
/// the fake only.
#[tokio::test]
async fn service_managed_to_an_ou_on_moto() {
    use haplat_cli::cfn::CloudFormation;
    use haplat_cli::sdk::{Aws, AwsOptions};

    let moto = crate::harness::Moto::start();
    let python = crate::harness::install_tools().join("python");
    let script = r#"
import boto3, sys
kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
org = boto3.client("organizations", **kw)
org.create_organization(FeatureSet="ALL")
root = org.list_roots()["Roots"][0]["Id"]
ou = org.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
acct = org.create_account(Email="workloads@example.com", AccountName="workloads")["CreateAccountStatus"]["AccountId"]
org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=ou)
print(ou, acct)
"#;
    let out = std::process::Command::new(&python).arg("-c").arg(script).arg(&moto.endpoint).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let (ou, member) = text.trim().split_once(' ').unwrap();

    let dir = tempfile::tempdir().unwrap();
    let d = Deployment::OrganizationalUnits {
        organizational_units: vec![ou.to_owned()],
        retain_stacks_on_account_removal: false,
        call_as: CallAs::DelegatedAdmin,
    };
    let assembly = basic_with(dir.path(), &d);
    let aws = Aws::connect(&AwsOptions {
        region: Some("us-east-1".into()),
        endpoint_url: Some(moto.endpoint.clone()),
        static_credentials: Some(("testing".into(), "testing".into())),
        call_as: Some(CallAs::DelegatedAdmin),
        ..Default::default()
    })
    .await
    .unwrap();
    let plan = plan_deploy(&assembly, &PlanOptions { stacks: vec!["Data".into()], ..Default::default() }).unwrap();
    let sink = Collect::default();
    let boot = Bootstrap { account: "123456789012".into(), ..bootstrap() };
    Executor::new(&aws, &sink, waits()).deploy(&assembly, &plan, &boot).await.unwrap();

    let set = aws.describe_stack_set("Data").await.unwrap().expect("deployed");
    assert_eq!(set.permission_model.as_deref(), Some("SERVICE_MANAGED"));
    let instances = aws.list_stack_instances("Data").await.unwrap();
    let mut got: Vec<(String, String)> = instances.iter().map(|i| (i.account.clone(), i.region.clone())).collect();
    got.sort();
    let mut want: Vec<(String, String)> =
        ["eu-west-1", "us-east-1", "us-west-2"].iter().map(|r| (member.to_owned(), r.to_string())).collect();
    want.sort();
    assert_eq!(got, want, "one instance per region in the OU's member account");

    let dir2 = tempfile::tempdir().unwrap();
    let back = basic_with(dir2.path(), &Deployment::ThisAccount);
    let plan = plan_deploy(&back, &PlanOptions { stacks: vec!["Data".into()], ..Default::default() }).unwrap();
    let e = Executor::new(&aws, &sink, waits()).deploy(&back, &plan, &boot).await.unwrap_err().to_string();
    assert!(e.contains("stack set Data is SERVICE_MANAGED and the environment now asks for SELF_MANAGED"), "{e}");

    // Destroy by OU is tested against the fake only: moto 5.2.5's DeleteStackInstances ignores
    // DeploymentTargets ("not yet implemented" in moto/cloudformation/models.py).
}

/// End to end against moto: Network self-managed in account A, App in account B binding from
/// it; App's parameters are read from Network's stacks in A through STS AssumeRole of A's read
/// role (moto gives assumed credentials the role's account).
#[tokio::test]
async fn self_managed_across_two_accounts_with_a_cross_account_binding_on_moto() {
    use haplat_cli::cfn::CloudFormation;

    let moto = crate::harness::Moto::start();
    let aws = moto.aws().await;
    let dir = tempfile::tempdir().unwrap();
    let a = Deployment::Accounts { accounts: vec!["222222222222".into()] };
    let b = Deployment::Accounts { accounts: vec!["333333333333".into()] };
    let assembly = basic_with_all(dir.path(), &[("Network", &a), ("App", &b), ("Data", &b)]);
    let plan = plan_deploy(&assembly, &PlanOptions::default()).unwrap();
    let sink = Collect::default();
    let boot = Bootstrap { account: "123456789012".into(), ..bootstrap() };
    Executor::new(&aws, &sink, waits()).deploy(&assembly, &plan, &boot).await.unwrap();
    for (set, account) in [("Network", "222222222222"), ("App", "333333333333")] {
        let instances = aws.list_stack_instances(set).await.unwrap();
        assert_eq!(instances.len(), 3, "{set}: {instances:?}");
        assert!(instances.iter().all(|i| i.account == account), "{set}: {instances:?}");
    }
    // App's VpcId in each region is Network's output there, read in account A.
    for region in ["us-east-1", "us-west-2", "eu-west-1"] {
        let app = aws.describe_stack_instance("App", "333333333333", region).await.unwrap();
        let network = aws.describe_stack_instance("Network", "222222222222", region).await.unwrap();
        let read = aws
            .instance_stack_as("Network", &network, "arn:aws:iam::222222222222:role/haplat-outputs-reader")
            .await
            .unwrap()
            .expect("Network's stack in account A");
        assert_eq!(app.overrides.get("VpcId"), read.outputs.get("VpcId"), "{region}");
        assert!(read.outputs.contains_key("VpcId"));
    }
}

#[tokio::test(start_paused = true)]
async fn destroy_of_a_service_managed_stack_set_deletes_its_instances_by_ou() {
    use haplat_cli::executor::DestroyOrder;
    let dir = tempfile::tempdir().unwrap();
    let ous = vec!["ou-ab12-cdef3456".to_owned()];
    let d = Deployment::OrganizationalUnits {
        organizational_units: ous.clone(),
        retain_stacks_on_account_removal: false,
        call_as: CallAs::SelfAccount,
    };
    let assembly = basic_with(dir.path(), &d);
    let fake = Fake::default();
    deploy_data(&fake, &assembly).await.unwrap();
    let sink = Collect::default();
    let order = DestroyOrder { targets: [("Data".to_owned(), ous.clone())].into(), ..Default::default() };
    Executor::new(&fake, &sink, waits()).destroy_with(&["Data".to_owned()], &order).await.unwrap();
    let s = fake.state.lock().unwrap();
    let deletes: Vec<_> = s.targets.iter().filter(|(c, _, _)| c == "delete_stack_instances").collect();
    assert_eq!(deletes.len(), 1, "{:?}", s.targets);
    assert_eq!(deletes[0].2, ous);
}

/// An account added to a stack set's accounts gets its instances in every region: the accounts
/// are deployed in groups of the same instances (before, the region was seen as deployed by the
/// other account, and the new one got nothing). On moto, then against the fake's calls.
#[tokio::test]
async fn an_account_added_to_the_list_gets_every_region_on_moto() {
    use haplat_cli::cfn::CloudFormation;

    let moto = crate::harness::Moto::start();
    let aws = moto.aws().await;
    let boot = Bootstrap { account: "123456789012".into(), ..bootstrap() };
    let deploy = |accounts: &[&str]| {
        let (aws, boot) = (&aws, &boot);
        let accounts: Vec<String> = accounts.iter().map(|a| a.to_string()).collect();
        async move {
            let dir = tempfile::tempdir().unwrap();
            let assembly = basic_with(dir.path(), &Deployment::Accounts { accounts });
            let plan =
                plan_deploy(&assembly, &PlanOptions { stacks: vec!["Data".into()], ..Default::default() }).unwrap();
            let sink = Collect::default();
            Executor::new(aws, &sink, waits()).deploy(&assembly, &plan, boot).await.unwrap();
        }
    };
    deploy(&["222222222222"]).await;
    deploy(&["222222222222", "333333333333"]).await;
    let mut instances: Vec<String> = aws
        .list_stack_instances("Data")
        .await
        .unwrap()
        .iter()
        .map(|i| format!("{} {} {}", i.account, i.region, i.status))
        .collect();
    instances.sort();
    assert_eq!(
        instances,
        [
            "222222222222 eu-west-1 CURRENT",
            "222222222222 us-east-1 CURRENT",
            "222222222222 us-west-2 CURRENT",
            "333333333333 eu-west-1 CURRENT",
            "333333333333 us-east-1 CURRENT",
            "333333333333 us-west-2 CURRENT"
        ]
    );
}

#[test]
fn accounts_are_grouped_by_the_instances_they_have() {
    use haplat_cli::cfn::InstanceInfo;
    use haplat_cli::executor::account_groups;
    let instance = |account: &str, region: &str, status: &str| InstanceInfo {
        region: region.into(),
        account: account.into(),
        status: status.into(),
        ..Default::default()
    };
    let instances = [
        instance("222222222222", "us-east-1", "CURRENT"),
        instance("333333333333", "us-east-1", "CURRENT"),
        instance("444444444444", "us-east-1", "OUTDATED"),
    ];
    let accounts: Vec<String> =
        ["222222222222", "333333333333", "444444444444", "555555555555"].iter().map(|a| a.to_string()).collect();
    assert_eq!(
        account_groups(&instances, &accounts),
        [
            vec!["222222222222".to_owned(), "333333333333".to_owned()],
            vec!["444444444444".to_owned()],
            vec!["555555555555".to_owned()]
        ]
    );
}
