//! The account baseline: what is in every region, what only in the home region, the policies
//! CloudTrail and Config need to deliver, the Config recorder and channel created side by side,
//! and the errors for a home region outside the stack.

use haplat_constructs::baseline::{AccountBaseline, AccountBaselineProps};
use haplat_core::App;
use serde_json::{Value as Json, json};

fn synth(props: AccountBaselineProps) -> Json {
    let app = App::new("shop");
    let stack = app.stack_set("Baseline", &["us-east-1", "eu-west-1"]);
    AccountBaseline::new(&stack, "Account", props);
    app.synth().unwrap_or_else(|e| panic!("{e}")).template("shop-Baseline").unwrap()
}

fn of_type<'a>(t: &'a Json, ty: &str) -> Vec<(&'a String, &'a Json)> {
    t["Resources"].as_object().unwrap().iter().filter(|(_, r)| r["Type"] == ty).collect()
}

fn one<'a>(t: &'a Json, ty: &str) -> (&'a String, &'a Json) {
    let all = of_type(t, ty);
    assert_eq!(all.len(), 1, "{ty}: {all:?}");
    all[0]
}

fn statements<'a>(t: &'a Json, bucket: &str) -> &'a Vec<Json> {
    let (_, p) = of_type(t, "AWS::S3::BucketPolicy")
        .into_iter()
        .find(|(_, p)| p["Properties"]["Bucket"] == json!({"Ref": bucket}))
        .unwrap_or_else(|| panic!("no policy of {bucket}"));
    p["Properties"]["PolicyDocument"]["Statement"].as_array().unwrap()
}

#[test]
fn the_trail_is_multi_region_validated_encrypted_and_only_in_the_home_region() {
    let t = synth(AccountBaselineProps::new("eu-west-1"));
    assert_eq!(t["Conditions"]["AccountIsHomeRegion"], json!({"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}));
    let (_, trail) = one(&t, "AWS::CloudTrail::Trail");
    let p = &trail["Properties"];
    assert_eq!(trail["Condition"], "AccountIsHomeRegion");
    for k in ["IsLogging", "IsMultiRegionTrail", "IncludeGlobalServiceEvents", "EnableLogFileValidation"] {
        assert_eq!(p[k], true, "{k}");
    }
    let (key_id, _) = one(&t, "AWS::KMS::Key");
    assert_eq!(p["KMSKeyId"], json!({"Fn::GetAtt": [key_id, "Arn"]}));
    // Its bucket: home region only, KMS, retained; the policy exists before the trail.
    let bucket = p["S3BucketName"]["Ref"].as_str().unwrap();
    let b = &t["Resources"][bucket];
    assert_eq!(b["Condition"], "AccountIsHomeRegion");
    assert_eq!(b["DeletionPolicy"], "Retain");
    let sse = &b["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0];
    assert_eq!(sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"], "aws:kms");
    // No S3 Bucket Key: with one, CloudTrail would also need kms:Decrypt.
    assert_eq!(sse["BucketKeyEnabled"], false);
    let policy = of_type(&t, "AWS::S3::BucketPolicy")
        .into_iter()
        .find(|(_, p)| p["Properties"]["Bucket"] == json!({"Ref": bucket}))
        .unwrap();
    assert_eq!(policy.1["Condition"], "AccountIsHomeRegion");
    assert!(trail["DependsOn"].as_array().unwrap().contains(&json!(policy.0)), "{trail}");
    // CloudTrail's two statements, limited to this trail, the write with the owner's ACL.
    let s = statements(&t, bucket);
    let check = s.iter().find(|s| s["Sid"] == "CloudTrailDeliveryBucketCheck").unwrap();
    assert_eq!(check["Action"], json!(["s3:GetBucketAcl"]));
    let trail_arn =
        json!({"Fn::Sub": "arn:${AWS::Partition}:cloudtrail:${AWS::Region}:${AWS::AccountId}:trail/${AWS::StackName}"});
    assert_eq!(check["Condition"]["StringEquals"]["aws:SourceArn"], trail_arn);
    let write = s.iter().find(|s| s["Sid"] == "CloudTrailDelivery").unwrap();
    assert_eq!(write["Condition"]["StringEquals"]["s3:x-amz-acl"], "bucket-owner-full-control");
    assert_eq!(write["Condition"]["StringEquals"]["aws:SourceArn"], trail_arn);
    assert_eq!(p["TrailName"], json!({"Fn::Sub": "${AWS::StackName}"}));
    // A copy of the events in an encrypted log group of the home region, written by a role
    // limited to its streams.
    let group = &t["Resources"][p["CloudWatchLogsLogGroupArn"]["Fn::GetAtt"][0].as_str().unwrap()];
    assert_eq!(group["Type"], "AWS::Logs::LogGroup");
    assert_eq!(group["Condition"], "AccountIsHomeRegion");
    assert_eq!(group["Properties"]["KmsKeyId"], json!({"Fn::GetAtt": [key_id, "Arn"]}));
    let role = &t["Resources"][p["CloudWatchLogsRoleArn"]["Fn::GetAtt"][0].as_str().unwrap()];
    let s = &role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0];
    assert_eq!(s["Action"], json!(["logs:CreateLogStream", "logs:PutLogEvents"]));
    assert_ne!(s["Resource"], "*");
}

#[test]
fn the_key_lets_cloudtrail_encrypt_only_for_this_accounts_trails() {
    let t = synth(AccountBaselineProps::new("us-east-1"));
    let (_, key) = one(&t, "AWS::KMS::Key");
    let s = key["Properties"]["KeyPolicy"]["Statement"].as_array().unwrap();
    let encrypt = s.iter().find(|s| s["Sid"] == "CloudTrailEncryptsThisAccountsTrails").unwrap();
    assert_eq!(encrypt["Action"], "kms:GenerateDataKey*");
    assert_eq!(
        encrypt["Condition"]["StringLike"]["kms:EncryptionContext:aws:cloudtrail:arn"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:cloudtrail:*:${AWS::AccountId}:trail/*"})
    );
    // DescribeKey carries no encryption context: a statement of its own.
    let describe = s.iter().find(|s| s["Sid"] == "CloudTrailDescribesTheKey").unwrap();
    assert_eq!(describe["Action"], "kms:DescribeKey");
    assert!(describe["Condition"].get("StringLike").is_none());
}

#[test]
fn guardduty_and_security_hub_with_the_foundational_standard_in_every_region() {
    let t = synth(AccountBaselineProps::new("us-east-1"));
    let (_, d) = one(&t, "AWS::GuardDuty::Detector");
    assert_eq!(d["Properties"]["Enable"], true);
    assert_eq!(d["Properties"]["Features"], json!([{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}]));
    assert!(d["Properties"].get("DataSources").is_none());
    assert!(d.get("Condition").is_none());
    let (hub_id, hub) = one(&t, "AWS::SecurityHub::Hub");
    assert_eq!(hub["Properties"]["EnableDefaultStandards"], false);
    let (_, standard) = one(&t, "AWS::SecurityHub::Standard");
    assert_eq!(
        standard["Properties"]["StandardsArn"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:securityhub:${AWS::Region}::standards/aws-foundational-security-best-practices/v/1.0.0"})
    );
    assert_eq!(standard["DependsOn"], json!([hub_id]));
}

#[test]
fn config_records_everything_global_types_once_and_the_channel_does_not_wait_for_the_recorder() {
    let t = synth(AccountBaselineProps::new("us-east-1"));
    let (recorder_id, recorder) = one(&t, "AWS::Config::ConfigurationRecorder");
    let group = &recorder["Properties"]["RecordingGroup"];
    assert_eq!(group["AllSupported"], true);
    assert_eq!(group["IncludeGlobalResourceTypes"], json!({"Fn::If": ["AccountIsHomeRegion", true, false]}));
    let (channel_id, channel) = one(&t, "AWS::Config::DeliveryChannel");
    let text = |v: &Json| v.to_string();
    // Side by side: neither refers to the other nor depends on it.
    assert!(!text(channel).contains(recorder_id.as_str()), "{channel}");
    assert!(!text(recorder).contains(channel_id.as_str()), "{recorder}");
    // The channel waits for its bucket's policy; the bucket is encrypted with the region's key.
    let bucket = channel["Properties"]["S3BucketName"]["Ref"].as_str().unwrap();
    let policy = of_type(&t, "AWS::S3::BucketPolicy")
        .into_iter()
        .find(|(_, p)| p["Properties"]["Bucket"] == json!({"Ref": bucket}))
        .unwrap();
    assert!(channel["DependsOn"].as_array().unwrap().contains(&json!(policy.0)));
    let (key_id, _) = one(&t, "AWS::KMS::Key");
    assert_eq!(channel["Properties"]["S3KmsKeyArn"], json!({"Fn::GetAtt": [key_id, "Arn"]}));
    let s = statements(&t, bucket);
    let check = s.iter().find(|s| s["Sid"] == "ConfigDeliveryBucketCheck").unwrap();
    assert_eq!(check["Action"], json!(["s3:GetBucketAcl", "s3:ListBucket"]));
    assert_eq!(check["Condition"]["StringEquals"]["aws:SourceAccount"], json!({"Ref": "AWS::AccountId"}));
    // The role: AWS's managed read policy, delivery to this bucket and key only.
    let role = &t["Resources"][recorder["Properties"]["RoleARN"]["Fn::GetAtt"][0].as_str().unwrap()];
    assert_eq!(
        role["Properties"]["ManagedPolicyArns"],
        json!([{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWS_ConfigRole"}])
    );
    let inline = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].as_array().unwrap();
    assert!(inline.iter().all(|s| s["Resource"] != "*"), "{inline:?}");
}

#[test]
fn parts_that_the_account_already_has_are_left_off() {
    let mut p = AccountBaselineProps::new("us-east-1");
    (p.guardduty, p.security_hub, p.config) = (false, false, false);
    let t = synth(p);
    for ty in ["AWS::GuardDuty::Detector", "AWS::SecurityHub::Hub", "AWS::Config::ConfigurationRecorder"] {
        assert!(of_type(&t, ty).is_empty(), "{ty}");
    }
    assert_eq!(of_type(&t, "AWS::CloudTrail::Trail").len(), 1);
}

#[test]
fn a_home_region_outside_the_stack_is_an_error_naming_the_construct() {
    let app = App::new("shop");
    let stack = app.stack_set("Baseline", &["us-east-1", "eu-west-1"]);
    AccountBaseline::new(&stack, "Account", AccountBaselineProps::new("us-west-2"));
    let err = app.synth().unwrap_err().to_string();
    assert!(err.contains("Baseline/Account: home region us-west-2 is not one of the stack's regions"), "{err}");
}

#[test]
fn the_baseline_passes_haplat_check_and_cfn_lint_in_every_region() {
    let app = App::new("shop");
    let stack = app.stack_set("Baseline", &["us-east-1", "eu-west-1"]);
    AccountBaseline::new(&stack, "Account", AccountBaselineProps::new("us-east-1"));
    let assembly = app.synth().unwrap();
    let report = haplat_check::check_assembly(&assembly).unwrap();
    assert!(!report.has_errors(), "{:?}", report.findings);
    let t = assembly.template("shop-Baseline").unwrap();
    let lint =
        haplat_tests::lint_templates(&[("baseline".to_owned(), t)], &["us-east-1".to_owned(), "eu-west-1".to_owned()]);
    assert!(lint.is_clean(), "{lint}");
}
