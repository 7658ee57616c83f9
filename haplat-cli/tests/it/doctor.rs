//! `haplat doctor`'s checks against the fake: for each, the account that has it (ok), the one
//! that lacks it (missing, with the fix), and the call that is denied or cannot reach AWS (not
//! checked, never ok).

use std::collections::{BTreeMap, BTreeSet};

use haplat_cli::account::{EngineVersion, Zone};
use haplat_cli::bootstrap::{STACK_NAME, VERSION};
use haplat_cli::cfn::{CfnError, StackInfo, StackStatus};
use haplat_cli::doctor::requirements::{AuroraNeed, Counts, ZoneNeed};
use haplat_cli::doctor::{Finding, Outcome, Requirements, run};

use crate::fake::Fake;

const R: &str = "us-east-1";

fn denied() -> CfnError {
    CfnError::service("AccessDeniedException", "User: arn:aws:iam::1:user/x is not authorized")
}

fn unreachable() -> CfnError {
    CfnError::Unreachable { endpoint: "AWS in us-east-1".into(), message: "connection refused".into() }
}

fn regions() -> BTreeSet<String> {
    BTreeSet::from([R.to_owned()])
}

fn bootstrapped(fake: &Fake) {
    fake.with(|s| {
        s.stacks.insert(
            (R.into(), STACK_NAME.into()),
            StackInfo {
                id: "id".into(),
                name: STACK_NAME.into(),
                status: StackStatus::parse("CREATE_COMPLETE"),
                outputs: BTreeMap::from([
                    ("AccountId".into(), "111111111111".into()),
                    ("AdministrationRoleArn".into(), "arn:aws:iam::111111111111:role/Admin".into()),
                    ("ExecutionRoleName".into(), "Exec".into()),
                    ("BucketName".into(), "bucket".into()),
                    ("Regions".into(), R.into()),
                    ("Version".into(), VERSION.into()),
                ]),
                ..Default::default()
            },
        )
    });
}

async fn check(fake: &Fake, req: Requirements, name: &str) -> Vec<Finding> {
    bootstrapped(fake);
    let req = Requirements { regions: regions(), ..req };
    run(fake, R, &req).await.into_iter().filter(|f| f.check == name).collect()
}

fn outcome(f: &[Finding]) -> Outcome {
    assert_eq!(f.len(), 1, "{f:#?}");
    f[0].outcome
}

fn error_on(fake: &Fake, call: &'static str, e: CfnError) {
    fake.with(|s| s.errors.entry(call).or_default().push_back(e));
}

#[tokio::test]
async fn stackset_roles_reuse_the_bootstrap_check() {
    let fake = Fake::default();
    let f = check(&fake, Requirements::default(), "stackset-roles").await;
    assert_eq!(outcome(&f), Outcome::Ok);
    let fake = Fake::default();
    let req = Requirements { regions: regions(), ..Default::default() };
    let f = run(&fake, R, &req).await;
    assert_eq!(f[0].outcome, Outcome::Missing, "{f:#?}");
    assert!(f[0].fix.as_deref().unwrap().contains("haplat bootstrap --region us-east-1"), "{f:#?}");
    let fake = Fake::default();
    error_on(&fake, "describe_stack", unreachable());
    let f = run(&fake, R, &req).await;
    assert_eq!(f[0].outcome, Outcome::NotChecked, "{f:#?}");
    assert!(f[0].message.contains("connection refused"), "{f:#?}");
}

fn logs() -> Requirements {
    Requirements { api_logs: BTreeMap::from([(R.into(), vec!["Api/Live/Stage".into()])]), ..Default::default() }
}

#[tokio::test]
async fn apigateway_logs_role() {
    let fake = Fake::default();
    fake.with(|s| s.account.apigateway_role.insert(R.into(), "arn:aws:iam::1:role/ApiGwLogs".into()));
    assert_eq!(outcome(&check(&fake, logs(), "apigateway-logs-role").await), Outcome::Ok);

    let fake = Fake::default();
    let f = check(&fake, logs(), "apigateway-logs-role").await;
    assert_eq!(outcome(&f), Outcome::Missing);
    assert!(f[0].message.contains("Api/Live/Stage"), "{f:#?}");
    assert!(f[0].fix.as_deref().unwrap().contains("haplat bootstrap --apigateway-logs-role"), "{f:#?}");

    let fake = Fake::default();
    error_on(&fake, "apigateway_cloudwatch_role", denied());
    let f = check(&fake, logs(), "apigateway-logs-role").await;
    assert_eq!(outcome(&f), Outcome::NotChecked);
    assert!(f[0].message.contains("apigateway:GetAccount was denied"), "{f:#?}");
}

#[tokio::test]
async fn shield_subscription() {
    let req = || Requirements { shield: vec!["Edge/Cdn/Shield".into()], ..Default::default() };
    let fake = Fake::default();
    fake.with(|s| s.account.shield = true);
    assert_eq!(outcome(&check(&fake, req(), "shield-subscription").await), Outcome::Ok);
    let fake = Fake::default();
    let f = check(&fake, req(), "shield-subscription").await;
    assert_eq!(outcome(&f), Outcome::Missing);
    assert!(f[0].fix.as_deref().unwrap().contains("aws shield create-subscription"), "{f:#?}");
    let fake = Fake::default();
    error_on(&fake, "shield_subscription_active", unreachable());
    assert_eq!(outcome(&check(&fake, req(), "shield-subscription").await), Outcome::NotChecked);
}

#[tokio::test]
async fn aurora_engine_version_with_global_databases_and_serverless_v2() {
    let req = || Requirements {
        aurora: vec![AuroraNeed {
            path: "Api/Db/Global".into(),
            engine: "aurora-postgresql".into(),
            version: "17.7".into(),
            serverless_v2: true,
            regions: regions(),
        }],
        ..Default::default()
    };
    let offer = |fake: &Fake, global: bool, serverless_v2: bool| {
        fake.with(|s| {
            s.account.engines.insert(
                (R.into(), "aurora-postgresql".into()),
                vec![EngineVersion { version: "17.7".into(), global_databases: global, serverless_v2 }],
            )
        });
    };
    let fake = Fake::default();
    offer(&fake, true, true);
    assert_eq!(outcome(&check(&fake, req(), "aurora-engine-version").await), Outcome::Ok);
    let fake = Fake::default();
    offer(&fake, false, true);
    let f = check(&fake, req(), "aurora-engine-version").await;
    assert_eq!(outcome(&f), Outcome::Missing);
    assert!(f[0].message.contains("without global database support"), "{f:#?}");
    let fake = Fake::default();
    offer(&fake, true, false);
    let f = check(&fake, req(), "aurora-engine-version").await;
    assert!(f[0].message.contains("without Serverless v2"), "{f:#?}");
    let fake = Fake::default();
    let f = check(&fake, req(), "aurora-engine-version").await;
    assert!(f[0].message.contains("is not offered in us-east-1"), "{f:#?}");
    assert!(f[0].fix.as_deref().unwrap().contains("describe-db-engine-versions"), "{f:#?}");
    let fake = Fake::default();
    error_on(&fake, "engine_versions", denied());
    assert_eq!(outcome(&check(&fake, req(), "aurora-engine-version").await), Outcome::NotChecked);
}

fn zones_req() -> Requirements {
    Requirements {
        zones: BTreeMap::from([(
            R.into(),
            ZoneNeed {
                indexes: BTreeSet::from([0, 1, 2]),
                fargate: true,
                interface_endpoints: BTreeSet::from(["com.amazonaws.us-east-1.logs".to_owned()]),
                ..Default::default()
            },
        )]),
        ..Default::default()
    }
}

fn account_zones(fake: &Fake, ids: &[&str]) {
    let zones: Vec<Zone> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| Zone { name: format!("us-east-1{}", (b'a' + i as u8) as char), id: (*id).into() })
        .collect();
    let names: Vec<String> = zones.iter().map(|z| z.name.clone()).collect();
    fake.with(|s| {
        s.account.zones.insert(R.into(), zones);
        s.account.endpoint_zones.insert((R.into(), "com.amazonaws.us-east-1.logs".into()), names);
    });
}

#[tokio::test]
async fn zone_ids_against_fargate_and_interface_endpoints() {
    let fake = Fake::default();
    account_zones(&fake, &["use1-az1", "use1-az2", "use1-az4"]);
    assert_eq!(outcome(&check(&fake, zones_req(), "availability-zones").await), Outcome::Ok);

    // The account's second zone name is use1-az3: a constrained zone (the ECS guide does not
    // restrict Fargate in us-east-1), so a warning.
    let fake = Fake::default();
    account_zones(&fake, &["use1-az1", "use1-az3", "use1-az4"]);
    let f = check(&fake, zones_req(), "availability-zones").await;
    assert_eq!(outcome(&f), Outcome::Warning);
    assert!(f[0].message.contains("Fn::GetAZs[1] = us-east-1b is use1-az3: a constrained zone"), "{f:#?}");

    // us-west-1 runs Fargate in usw1-az1 and usw1-az3 only: a name on usw1-az2 is refused.
    let fake = Fake::default();
    fake.with(|s| {
        s.account.zones.insert(
            "us-west-1".into(),
            vec![
                Zone { name: "us-west-1a".into(), id: "usw1-az2".into() },
                Zone { name: "us-west-1b".into(), id: "usw1-az1".into() },
            ],
        )
    });
    let req = Requirements {
        zones: BTreeMap::from([(
            "us-west-1".into(),
            ZoneNeed { indexes: BTreeSet::from([0, 1]), fargate: true, ..Default::default() },
        )]),
        ..Default::default()
    };
    let f = check(&fake, req, "availability-zones").await;
    assert_eq!(outcome(&f), Outcome::Missing);
    assert!(f[0].message.contains("Fn::GetAZs[0] = us-west-1a is usw1-az2, where Fargate does not run"), "{f:#?}");
    assert!(f[0].fix.as_deref().unwrap().contains("zone_ids"), "{f:#?}");

    // Zones named by ID: each must be an available zone of the account, with the endpoints.
    let by_id = |ids: &[&str]| Requirements {
        zones: BTreeMap::from([(
            R.into(),
            ZoneNeed {
                ids: ids.iter().map(|s| (*s).to_owned()).collect(),
                fargate: true,
                interface_endpoints: BTreeSet::from(["com.amazonaws.us-east-1.logs".to_owned()]),
                ..Default::default()
            },
        )]),
        ..Default::default()
    };
    let fake = Fake::default();
    account_zones(&fake, &["use1-az1", "use1-az2", "use1-az4"]);
    let f = check(&fake, by_id(&["use1-az1", "use1-az4"]), "availability-zones").await;
    assert_eq!(outcome(&f), Outcome::Ok, "{f:#?}");
    assert!(f[0].message.contains("us-east-1c (use1-az4)"), "{f:#?}");
    let f = check(&fake, by_id(&["use1-az1", "use1-az6"]), "availability-zones").await;
    assert_eq!(outcome(&f), Outcome::Missing);
    assert!(f[0].message.contains("zone ID use1-az6 is not an available zone of us-east-1"), "{f:#?}");
    fake.with(|s| {
        s.account.endpoint_zones.insert((R.into(), "com.amazonaws.us-east-1.logs".into()), vec!["us-east-1a".into()])
    });
    let f = check(&fake, by_id(&["use1-az1", "use1-az4"]), "availability-zones").await;
    assert!(f[0].message.contains("logs is not offered in zone ID use1-az4 (us-east-1c)"), "{f:#?}");

    // The endpoint service is not offered in the third zone; and too few zones.
    let fake = Fake::default();
    account_zones(&fake, &["use1-az1", "use1-az2", "use1-az4"]);
    fake.with(|s| {
        s.account.endpoint_zones.insert((R.into(), "com.amazonaws.us-east-1.logs".into()), vec!["us-east-1a".into()])
    });
    let f = check(&fake, zones_req(), "availability-zones").await;
    assert!(f[0].message.contains("com.amazonaws.us-east-1.logs is not offered in Fn::GetAZs[1]"), "{f:#?}");
    let fake = Fake::default();
    account_zones(&fake, &["use1-az1", "use1-az2"]);
    let f = check(&fake, zones_req(), "availability-zones").await;
    assert!(f.iter().any(|f| f.message.contains("takes zone 3 of Fn::GetAZs; the account has 2")), "{f:#?}");

    let fake = Fake::default();
    error_on(&fake, "zones", denied());
    let f = check(&fake, zones_req(), "availability-zones").await;
    assert_eq!(outcome(&f), Outcome::NotChecked);
    assert!(f[0].message.contains("ec2:DescribeAvailabilityZones was denied"), "{f:#?}");
}

#[tokio::test]
async fn backup_advanced_dynamodb_features() {
    let req = || Requirements {
        backup_dynamodb: BTreeMap::from([(R.into(), vec!["Data/Backup/Selection".into()])]),
        ..Default::default()
    };
    let fake = Fake::default();
    fake.with(|s| s.account.backup.insert(R.into(), true));
    assert_eq!(outcome(&check(&fake, req(), "backup-dynamodb-advanced").await), Outcome::Ok);
    let fake = Fake::default();
    fake.with(|s| s.account.backup.insert(R.into(), false));
    let f = check(&fake, req(), "backup-dynamodb-advanced").await;
    assert_eq!(outcome(&f), Outcome::Missing);
    assert!(f[0].fix.as_deref().unwrap().contains("--resource-type-management-preference DynamoDB=true"), "{f:#?}");
    // An answer that does not say is not an OK.
    let fake = Fake::default();
    assert_eq!(outcome(&check(&fake, req(), "backup-dynamodb-advanced").await), Outcome::NotChecked);
    let fake = Fake::default();
    error_on(&fake, "backup_dynamodb_advanced", unreachable());
    assert_eq!(outcome(&check(&fake, req(), "backup-dynamodb-advanced").await), Outcome::NotChecked);
}

#[tokio::test]
async fn hosted_zone_exists() {
    let req = || Requirements {
        hosted_zones: BTreeMap::from([("Z0PROD".into(), vec!["Edge/Dns/Apex".into()])]),
        ..Default::default()
    };
    let fake = Fake::default();
    fake.with(|s| s.account.hosted_zones.insert("Z0PROD".into()));
    assert_eq!(outcome(&check(&fake, req(), "hosted-zone").await), Outcome::Ok);
    let fake = Fake::default();
    let f = check(&fake, req(), "hosted-zone").await;
    assert_eq!(outcome(&f), Outcome::Missing);
    assert!(f[0].message.contains("Z0PROD does not exist"), "{f:#?}");
    let fake = Fake::default();
    error_on(&fake, "hosted_zone_exists", denied());
    assert_eq!(outcome(&check(&fake, req(), "hosted-zone").await), Outcome::NotChecked);
}

#[tokio::test]
async fn hosted_zone_named_must_match_exactly_one_zone() {
    let req = || Requirements {
        hosted_zone_names: BTreeMap::from([("shop.example.com.".into(), vec!["Edge/Dns/Apex".into()])]),
        ..Default::default()
    };
    let named = |fake: &Fake, ids: &[&str]| {
        fake.with(|s| {
            s.account.zone_names.insert("shop.example.com.".into(), ids.iter().map(|i| (*i).to_owned()).collect())
        })
    };
    let fake = Fake::default();
    named(&fake, &["Z0PROD"]);
    let f = check(&fake, req(), "hosted-zone").await;
    assert_eq!(outcome(&f), Outcome::Ok);
    assert!(f[0].message.contains("shop.example.com. is Z0PROD"), "{f:#?}");
    // None: CloudFormation would not create the stack.
    let fake = Fake::default();
    let f = check(&fake, req(), "hosted-zone").await;
    assert_eq!(outcome(&f), Outcome::Missing);
    assert!(f[0].message.contains("no hosted zone is named shop.example.com."), "{f:#?}");
    // Two of that name (a public and a private zone, say): refused as well.
    let fake = Fake::default();
    named(&fake, &["Z0PUBLIC", "Z0PRIVATE"]);
    let f = check(&fake, req(), "hosted-zone").await;
    assert_eq!(outcome(&f), Outcome::Missing);
    assert!(f[0].message.contains("2 hosted zones are named shop.example.com. (Z0PUBLIC, Z0PRIVATE)"), "{f:#?}");
    assert!(f[0].fix.as_deref().unwrap().contains("HostedZoneId"), "{f:#?}");
    let fake = Fake::default();
    error_on(&fake, "hosted_zones_named", denied());
    let f = check(&fake, req(), "hosted-zone").await;
    assert_eq!(outcome(&f), Outcome::NotChecked);
    assert!(f[0].message.contains("route53:ListHostedZonesByName was denied"), "{f:#?}");
}

/// Every failed call, whatever its error says and however many lines it has, is one "not
/// checked" line naming the call: never an OK, never a second line but the fix.
#[tokio::test]
async fn a_denied_or_unreachable_call_is_one_not_checked_line() {
    let all = || Requirements {
        api_logs: logs().api_logs,
        shield: vec!["Edge/Cdn/Shield".into()],
        aurora: vec![AuroraNeed {
            path: "Api/Db/Global".into(),
            engine: "aurora-postgresql".into(),
            version: "17.7".into(),
            serverless_v2: true,
            regions: regions(),
        }],
        backup_dynamodb: BTreeMap::from([(R.into(), vec!["Data/Backup/Selection".into()])]),
        hosted_zones: BTreeMap::from([("Z0PROD".into(), vec!["Edge/Dns/Apex".into()])]),
        hosted_zone_names: BTreeMap::from([("shop.example.com.".into(), vec!["Edge/Dns/Www".into()])]),
        counts: BTreeMap::from([(R.into(), Counts { vpcs: 1, elastic_ips: 3, albs: 1 })]),
        ..zones_req()
    };
    let calls = [
        "apigateway_cloudwatch_role",
        "shield_subscription_active",
        "engine_versions",
        "zones",
        "backup_dynamodb_advanced",
        "hosted_zone_exists",
        "hosted_zones_named",
        "quota",
    ];
    let multiline = || CfnError::Unreachable {
        endpoint: "AWS in us-east-1".into(),
        message: "dispatch failure\n  caused by: io error\n  caused by: connection refused".into(),
    };
    for e in [denied(), unreachable(), multiline()] {
        let fake = Fake::default();
        bootstrapped(&fake);
        for call in calls {
            for _ in 0..3 {
                error_on(&fake, call, e.clone());
            }
        }
        let req = Requirements { regions: regions(), ..all() };
        let f = run(&fake, R, &req).await;
        for finding in f.iter().filter(|f| f.check != "stackset-roles") {
            assert_eq!(finding.outcome, Outcome::NotChecked, "{finding:#?}");
            assert!(finding.message.starts_with("could not check: "), "{finding:#?}");
            assert!(!finding.message.contains('\n'), "{finding:#?}");
        }
        let text = haplat_cli::doctor::render(&f);
        assert_eq!(text.lines().filter(|l| l.starts_with("NOT CHECKED")).count(), f.len() - 1, "{text}");
        assert!(!text.lines().any(|l| l.starts_with("ok ") && !l.contains("stackset-roles")), "{text}");
    }
    // The usage count failing after the quota answered: not checked either, not an OK.
    let fake = Fake::default();
    bootstrapped(&fake);
    fake.with(|s| {
        s.account.quotas.insert((R.into(), "L-F678F1CE".into()), 5.0);
    });
    error_on(&fake, "usage", denied());
    let req = Requirements {
        regions: regions(),
        counts: BTreeMap::from([(R.into(), Counts { vpcs: 1, elastic_ips: 0, albs: 0 })]),
        ..Default::default()
    };
    let f: Vec<Finding> = run(&fake, R, &req).await.into_iter().filter(|f| f.check == "service-quota").collect();
    assert_eq!(outcome(&f), Outcome::NotChecked);
    assert!(f[0].message.contains("the usage count was denied"), "{f:#?}");
}

#[tokio::test]
async fn service_quotas_against_planned_counts_and_usage() {
    let req = || Requirements {
        counts: BTreeMap::from([(R.into(), Counts { vpcs: 1, elastic_ips: 3, albs: 0 })]),
        ..Default::default()
    };
    let quotas = |fake: &Fake, vpcs: f64, eips: f64| {
        fake.with(|s| {
            s.account.quotas.insert((R.into(), "L-F678F1CE".into()), vpcs);
            s.account.quotas.insert((R.into(), "L-0263D0A3".into()), eips);
        })
    };
    let fake = Fake::default();
    quotas(&fake, 5.0, 5.0);
    let f = check(&fake, req(), "service-quota").await;
    assert_eq!(f.iter().map(|f| f.outcome).collect::<Vec<_>>(), [Outcome::Ok, Outcome::Ok], "{f:#?}");
    // Three NAT addresses over a quota of 2: missing; 4 in use + 3 over 5: a warning.
    let fake = Fake::default();
    quotas(&fake, 5.0, 2.0);
    let f = check(&fake, req(), "service-quota").await;
    assert_eq!(f[1].outcome, Outcome::Missing, "{f:#?}");
    assert!(f[1].fix.as_deref().unwrap().contains("--quota-code L-0263D0A3 --desired-value 3"), "{f:#?}");
    let fake = Fake::default();
    quotas(&fake, 5.0, 5.0);
    fake.with(|s| s.account.usage.insert((R.into(), "L-0263D0A3".into()), 4));
    let f = check(&fake, req(), "service-quota").await;
    assert_eq!(f[1].outcome, Outcome::Warning, "{f:#?}");
    let fake = Fake::default();
    let f = check(&fake, req(), "service-quota").await;
    assert_eq!(f[0].outcome, Outcome::NotChecked, "unknown quota: {f:#?}");
    let fake = Fake::default();
    error_on(&fake, "quota", denied());
    let f = check(&fake, req(), "service-quota").await;
    assert_eq!(f[0].outcome, Outcome::NotChecked, "{f:#?}");
    assert!(f[0].message.contains("servicequotas:GetServiceQuota was denied"), "{f:#?}");
}

#[tokio::test]
async fn deploy_preflight_stops_on_missing_only() {
    let fake = Fake::default();
    bootstrapped(&fake);
    let req = Requirements { regions: regions(), ..logs() };
    let e = haplat_cli::doctor::preflight(&fake, R, &req).await.unwrap_err();
    assert_eq!(e.exit_code(), haplat_cli::exit::NOT_READY);
    assert!(e.to_string().contains("apigateway-logs-role"), "{e}");
    // A check that cannot run is printed, not fatal.
    let fake = Fake::default();
    bootstrapped(&fake);
    error_on(&fake, "apigateway_cloudwatch_role", denied());
    haplat_cli::doctor::preflight(&fake, R, &req).await.unwrap();
}

#[tokio::test]
async fn bootstrap_sets_the_apigateway_logs_role_where_none_is_set_and_keeps_one_that_is() {
    let fake = Fake::default();
    fake.with(|s| s.account.apigateway_role.insert("eu-west-1".into(), "arn:aws:iam::1:role/TheirOwn".into()));
    let regions = BTreeSet::from(["eu-west-1".to_owned(), R.to_owned()]);
    let done =
        haplat_cli::bootstrap::set_apigateway_logs_role(&fake, &regions, "arn:aws:iam::1:role/Haplat").await.unwrap();
    use haplat_cli::bootstrap::ApiGatewayRole::{Kept, Set};
    assert_eq!(
        done,
        [
            ("eu-west-1".to_owned(), Kept("arn:aws:iam::1:role/TheirOwn".into())),
            (R.to_owned(), Set("arn:aws:iam::1:role/Haplat".into()))
        ]
    );
    assert_eq!(fake.calls(), ["set_apigateway_cloudwatch_role us-east-1"]);
    // A denied read stops bootstrap with the call named, before any write.
    let fake = Fake::default();
    error_on(&fake, "apigateway_cloudwatch_role", denied());
    let e = haplat_cli::bootstrap::set_apigateway_logs_role(&fake, &regions, "arn").await.unwrap_err();
    assert!(e.to_string().contains("apigateway:GetAccount"), "{e}");
    assert!(fake.calls().is_empty());
}

/// What moto 5.2.5 answers to each account call of `haplat doctor` (docs/cli.md, emulator
/// notes): the answer, or the error, one line each, as a snapshot.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn what_moto_answers_to_the_doctor_s_calls() {
    use haplat_cli::account::{Account, Quota};
    let moto = crate::harness::Moto::start();
    let aws = moto.aws().await;
    let mut lines = Vec::new();
    let mut record = |call: &str, answer: String| lines.push(format!("{call}: {answer}"));
    let short = haplat_cli::doctor::short;
    record("apigateway:GetAccount", format!("{:?}", aws.apigateway_cloudwatch_role(R).await.map_err(|e| short(&e))));
    record(
        "shield:GetSubscriptionState",
        format!("{:?}", aws.shield_subscription_active().await.map_err(|e| short(&e))),
    );
    let versions = aws.engine_versions(R, "aurora-postgresql", "").await;
    record(
        "rds:DescribeDBEngineVersions",
        match &versions {
            Ok(v) => format!(
                "Ok({} versions, {} with global databases)",
                v.len(),
                v.iter().filter(|v| v.global_databases).count()
            ),
            Err(e) => format!("Err({})", short(e)),
        },
    );
    record(
        "ec2:DescribeAvailabilityZones",
        format!(
            "{:?}",
            aws.zones(R)
                .await
                .map(|z| z.iter().map(|z| format!("{}={}", z.name, z.id)).collect::<Vec<_>>().join(" "))
                .map_err(|e| short(&e))
        ),
    );
    record(
        "ec2:DescribeVpcEndpointServices logs",
        format!("{:?}", aws.endpoint_service_zones(R, "com.amazonaws.us-east-1.logs").await.map_err(|e| short(&e))),
    );
    record(
        "ec2:DescribeVpcEndpointServices nosuch",
        format!("{:?}", aws.endpoint_service_zones(R, "com.amazonaws.us-east-1.nosuch").await.map_err(|e| short(&e))),
    );
    for q in [Quota::Vpcs, Quota::ElasticIps] {
        record(&format!("usage {}", q.name()), format!("{:?}", aws.usage(R, q).await.map_err(|e| short(&e))));
    }
    record(
        "backup:DescribeRegionSettings",
        format!("{:?}", aws.backup_dynamodb_advanced(R).await.map_err(|e| short(&e))),
    );
    record(
        "route53:GetHostedZone",
        format!("{:?}", aws.hosted_zone_exists("Z0NOSUCHZONE").await.map_err(|e| short(&e))),
    );
    for q in [Quota::Vpcs, Quota::ElasticIps, Quota::Albs] {
        record(
            &format!("servicequotas:GetServiceQuota {}", q.codes().1),
            format!("{:?}", aws.quota(R, q).await.map_err(|e| short(&e))),
        );
    }
    crate::snap!("doctor_moto_answers", lines.join("\n"));

    // moto's us-east-1e is use1-az3: a VPC over five zones is warned of the constrained zone.
    let req = Requirements {
        regions: regions(),
        zones: BTreeMap::from([(
            R.into(),
            ZoneNeed { indexes: (0..5).collect(), fargate: true, ..Default::default() },
        )]),
        ..Default::default()
    };
    let f: Vec<Finding> = run(&aws, R, &req).await.into_iter().filter(|f| f.check == "availability-zones").collect();
    assert_eq!(outcome(&f), Outcome::Warning);
    assert!(f[0].message.contains("Fn::GetAZs[4] = us-east-1e is use1-az3: a constrained zone"), "{f:#?}");
}
