//! Images in every region: the platform's ECR repositories and their replication, the replicas'
//! creation templates, the pull-through cache, task definitions by digest with exactly the pull
//! permissions they need; misuse reported with construct paths; cfn-lint over every region.

use haplat_constructs::api::{ApiCertificate, ApiProps, MultiRegionApi};
use haplat_constructs::ecr::{
    AppliedFor, ImageLifecycle, ImageRepositories, ImageRepositoriesProps, PullThroughCache, RepositoryTemplates,
    Upstream,
};
use haplat_constructs::image::{Image, ImageRef};
use haplat_constructs::kms::RegionalKeys;
use haplat_constructs::service::ServiceProps;
use haplat_constructs::zone::HostedZone;
use haplat_constructs::{RegionSpec, fargate::RunAs};
use haplat_core::App;
use serde_json::{Value as Json, json};

const DIGEST: &str = "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945";
const REGIONS: [&str; 3] = ["us-east-1", "us-west-2", "eu-west-1"];

fn of_type<'a>(t: &'a Json, ty: &str) -> Vec<&'a Json> {
    t["Resources"].as_object().unwrap().values().filter(|r| r["Type"] == ty).collect()
}

fn at<'a>(t: &'a Json, path_ends: &str) -> &'a Json {
    let found: Vec<_> = t["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Metadata"]["haplat:path"].as_str().is_some_and(|p| p.ends_with(path_ends)))
        .collect();
    assert_eq!(found.len(), 1, "one resource at …{path_ends}");
    found[0]
}

/// Keys and templates in every region, repositories in the first, a cache, and an API whose
/// `Orders` runs the platform's image by digest and `Web` a public image through the cache.
fn platform(production: bool, orders: Option<ImageRef>) -> App {
    let app = App::new("shop");
    let data = app.stack_set("Data", &REGIONS);
    let keys = RegionalKeys::new(&data, "Keys");
    let cache = PullThroughCache::new(&data, "Cache", vec![Upstream::EcrPublic]);
    RepositoryTemplates::new(
        &data,
        "Templates",
        &[("shop/".to_owned(), AppliedFor::Replication), ("ecr-public/".to_owned(), AppliedFor::PullThroughCache)],
        keys.key.arn(),
        &ImageLifecycle::default(),
    );
    let home = app.stack("Global", "us-east-1");
    let mut p = ImageRepositoriesProps::new("shop", &["orders"], &["us-west-2", "eu-west-1"]);
    p.key = Some(keys.arn("us-east-1"));
    let repos = ImageRepositories::new(&home, "Images", p);
    let mut o = ServiceProps::new(
        "Orders",
        repos.image("orders", orders.unwrap_or(ImageRef::Digest(DIGEST.into()))).unwrap(),
        8080,
    );
    o.xray = true;
    o.production = production;
    let mut web = ServiceProps::new("Web", cache.image("public.ecr.aws/nginx/nginx:1.27"), 80);
    web.path_patterns = vec!["/web/*".into()];
    web.run_as = RunAs::image_default("NGINX binds port 80 as root");
    let regions =
        REGIONS.iter().enumerate().map(|(i, r)| if i == 0 { RegionSpec::primary(r) } else { RegionSpec::secondary(r) });
    MultiRegionApi::new_stack_set(
        &app,
        "Api",
        ApiProps {
            services: vec![o, web],
            ..ApiProps::new(
                regions.collect(),
                "api.example.com",
                ApiCertificate::DnsValidated { zone: HostedZone::existing("Z0123456789ABCDEFGHIJ", "example.com") },
            )
        },
    );
    app
}

fn templates(app: &App) -> (Json, Json, Json) {
    let a = app.synth().unwrap_or_else(|e| panic!("synth failed:\n{e}"));
    (
        a.template("shop-Data").unwrap().clone(),
        a.template("shop-Global").unwrap().clone(),
        a.template("shop-Api").unwrap().clone(),
    )
}

#[test]
fn repositories_are_immutable_scanned_encrypted_expiring_and_replicated_by_prefix() {
    let (_, global, _) = templates(&platform(false, None));
    let repo = at(&global, "Images/OrdersRepository");
    let p = &repo["Properties"];
    assert_eq!(p["RepositoryName"], "shop/orders");
    assert_eq!(p["ImageTagMutability"], "IMMUTABLE");
    assert_eq!(p["ImageScanningConfiguration"]["ScanOnPush"], true);
    assert_eq!(p["EncryptionConfiguration"]["EncryptionType"], "KMS");
    assert!(p["EncryptionConfiguration"]["KmsKey"].is_object(), "the home region's key, read from Data");
    assert_eq!(repo["DeletionPolicy"], "Retain");
    assert_eq!(repo["Metadata"]["haplat:suppress"][0]["id"], "HAP003");
    let rules: Json = serde_json::from_str(p["LifecyclePolicy"]["LifecyclePolicyText"].as_str().unwrap()).unwrap();
    assert_eq!(rules["rules"][0]["selection"]["tagStatus"], "untagged");
    assert_eq!(rules["rules"][1]["selection"]["countNumber"], 100);
    let rc = &of_type(&global, "AWS::ECR::ReplicationConfiguration")[0]["Properties"]["ReplicationConfiguration"];
    assert_eq!(rc["Rules"][0]["RepositoryFilters"], json!([{"Filter": "shop/", "FilterType": "PREFIX_MATCH"}]));
    let dest: Vec<&str> =
        rc["Rules"][0]["Destinations"].as_array().unwrap().iter().map(|d| d["Region"].as_str().unwrap()).collect();
    assert_eq!(dest, ["us-west-2", "eu-west-1"]);
    assert_eq!(rc["Rules"][0]["Destinations"][0]["RegistryId"], json!({"Ref": "AWS::AccountId"}));
}

#[test]
fn replicas_and_caches_get_the_regions_key_through_a_scoped_role() {
    let (data, _, _) = templates(&platform(false, None));
    let replicas = at(&data, "Templates/ShopTemplate");
    assert_eq!(replicas["Properties"]["Prefix"], "shop/");
    assert_eq!(replicas["Properties"]["AppliedFor"], json!(["REPLICATION"]));
    assert_eq!(replicas["Properties"]["ImageTagMutability"], "IMMUTABLE");
    assert_eq!(replicas["Properties"]["EncryptionConfiguration"]["EncryptionType"], "KMS");
    assert!(replicas["Properties"]["EncryptionConfiguration"]["KmsKey"]["Fn::GetAtt"].is_array(), "this region's key");
    assert!(replicas["Properties"]["CustomRoleArn"]["Fn::GetAtt"].is_array());
    let cached = at(&data, "Templates/EcrPublicTemplate");
    assert_eq!(cached["Properties"]["AppliedFor"], json!(["PULL_THROUGH_CACHE"]));
    let role = at(&data, "Templates/Role");
    assert_eq!(
        role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
        "ecr.amazonaws.com"
    );
    let st = &role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
    assert_eq!(st[0]["Action"], json!(["ecr:CreateRepository", "ecr:ReplicateImage", "ecr:TagResource"]));
    let repos = serde_json::to_string(&st[0]["Resource"]).unwrap();
    assert!(repos.contains("repository/shop/*") && repos.contains("repository/ecr-public/*"), "{repos}");
    assert_eq!(st[1]["Action"], json!(["kms:CreateGrant", "kms:DescribeKey", "kms:RetireGrant"]));
    let rule = at(&data, "Cache/EcrPublicRule");
    assert_eq!(rule["Properties"]["UpstreamRegistryUrl"], "public.ecr.aws");
    assert_eq!(rule["Properties"]["EcrRepositoryPrefix"], "ecr-public");
}

#[test]
fn tasks_pull_from_their_own_region_by_digest_with_exactly_the_pull_permissions() {
    let (_, _, api) = templates(&platform(true, None));
    let td = at(&api, "Orders/TaskDefinition");
    assert_eq!(
        td["Properties"]["ContainerDefinitions"][0]["Image"],
        json!({"Fn::Sub": format!("${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/shop/orders@{DIGEST}")})
    );
    assert_eq!(td["Metadata"]["haplat:production"], true);
    // The sidecar is not root either, and its filesystem is read-only.
    assert_eq!(td["Properties"]["ContainerDefinitions"][1]["User"], "10001");
    assert_eq!(td["Properties"]["ContainerDefinitions"][1]["ReadonlyRootFilesystem"], true);
    let exec = at(&api, "Orders/ExecutionRole");
    let st = exec["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].as_array().unwrap();
    let pull = st.iter().find(|s| s["Action"].to_string().contains("ecr:BatchGetImage")).unwrap();
    assert_eq!(
        pull["Action"],
        json!(["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"])
    );
    assert_eq!(
        pull["Resource"],
        json!([{"Fn::Sub": "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/shop/orders"}])
    );
    assert!(!exec.to_string().contains("kms:Decrypt"), "ECR decrypts through its grants");

    let web = at(&api, "Web/TaskDefinition");
    assert_eq!(
        web["Properties"]["ContainerDefinitions"][0]["Image"],
        json!({"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/ecr-public/nginx/nginx:1.27"})
    );
    assert!(web["Metadata"]["haplat:production"].is_null());
    let exec = at(&api, "Web/ExecutionRole").to_string();
    assert!(
        exec.contains("ecr:BatchImportUpstreamImage") && exec.contains("repository/ecr-public/nginx/nginx"),
        "{exec}"
    );
}

#[test]
fn a_tag_in_production_is_a_haplat_check_warning_with_the_construct_path() {
    let app = platform(true, Some(ImageRef::Tag("1.4.2".into())));
    let report = haplat_check::check_assembly(&app.synth().unwrap()).unwrap();
    let found: Vec<_> = report.findings.iter().filter(|f| f.rule == "HAP030").collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "Api/Orders/TaskDefinition");
    let pinned = haplat_check::check_assembly(&platform(true, None).synth().unwrap()).unwrap();
    assert!(pinned.findings.iter().all(|f| f.rule != "HAP030"), "{:?}", pinned.findings);
}

#[test]
fn misuse_is_reported_on_the_construct_path() {
    let app = App::new("shop");
    let home = app.stack_set("Both", &["us-east-1", "us-west-2"]);
    let mut p = ImageRepositoriesProps::new("Shop", &["orders"], &["us-west-2"]);
    p.lifecycle.keep_images = 0;
    ImageRepositories::new(&home, "Images", p);
    let e = app.synth().unwrap_err().to_string();
    assert!(e.contains("Both/Images") && e.contains("prefix: repository name \"Shop\""), "{e}");
    assert!(e.contains("stack of one region"), "{e}");
    assert!(e.contains("replicate_to lists us-west-2"), "{e}");
    assert!(e.contains("keep_images must be at least 1"), "{e}");

    let app = App::new("shop");
    let mut o = ServiceProps::new(
        "Orders",
        Image::Repository { name: "shop/orders".into(), reference: ImageRef::Digest("sha256:12".into()) },
        8080,
    );
    o.path_patterns = vec!["/o/*".into()];
    MultiRegionApi::new_stack_set(
        &app,
        "Api",
        ApiProps {
            services: vec![o],
            ..ApiProps::new(
                vec![RegionSpec::primary("us-east-1")],
                "api.example.com",
                ApiCertificate::DnsValidated { zone: HostedZone::existing("Z0123456789ABCDEFGHIJ", "example.com") },
            )
        },
    );
    let e = app.synth().unwrap_err().to_string();
    assert!(e.contains("Api/Orders") && e.contains("image: digest \"sha256:12\""), "{e}");
}

#[test]
fn cfn_lint_passes_over_every_region_with_no_warning() {
    let (data, global, api) = templates(&platform(true, None));
    let templates = vec![("data".to_owned(), data), ("global".to_owned(), global), ("api".to_owned(), api)];
    let regions: Vec<String> = REGIONS.iter().map(|r| (*r).to_owned()).collect();
    let lint = haplat_tests::lint_templates(&templates, &regions);
    assert!(lint.is_clean(), "{lint}");
}
