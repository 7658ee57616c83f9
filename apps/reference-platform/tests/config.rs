//! The environment files: every one parses and checks, the committed JSON Schema is fresh, and
//! bad files are clear errors naming the file and the field.

use std::path::Path;

use haplat_constructs::DrMode;
use reference_platform::config::{self, Environment};

#[test]
fn every_environment_file_loads() {
    let dev = config::load("dev").unwrap();
    assert_eq!((dev.mode, dev.regions.len()), (DrMode::ActiveActive, 2));
    assert!(dev.cost.single_nat_gateway);
    let staging = config::load("staging").unwrap();
    assert_eq!(staging.mode, DrMode::ActivePassive);
    let prod = config::load("prod").unwrap();
    assert_eq!(
        prod.regions.iter().map(|r| r.region.as_str()).collect::<Vec<_>>(),
        ["us-east-1", "us-west-2", "eu-west-1"]
    );
}

/// Regenerate with `UPDATE_SCHEMAS=1 cargo test -p reference-platform --test config`.
#[test]
fn the_committed_schema_is_fresh() {
    let path = config::environments_dir().join("schema.json");
    let fresh = Environment::json_schema();
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "apps/reference-platform/environments/schema.json is stale: run `UPDATE_SCHEMAS=1 cargo test -p reference-platform --test config` and commit it"
    );
}

fn parse_err(text: &str) -> String {
    config::parse(text, Path::new("environments/bad.yaml")).unwrap_err()
}

fn dev_with(from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(config::environments_dir().join("dev.yaml")).unwrap();
    assert!(text.contains(from), "dev.yaml has no {from:?}");
    text.replacen(from, to, 1)
}

#[test]
fn an_unknown_field_is_an_error_naming_file_line_and_field() {
    let e = parse_err(&dev_with("    port: 80\n", "    port: 80\n    prot: 1\n"));
    assert!(e.starts_with("environments/bad.yaml: "), "{e}");
    assert!(e.contains("unknown field `prot`, expected one of"), "{e}");
    assert!(e.contains("line 20"), "{e}");
}

#[test]
fn a_value_outside_the_allowed_set_names_them() {
    let e = parse_err(&dev_with("mode: active-active", "mode: sideways"));
    assert!(e.contains("unknown variant `sideways`, expected one of active-active, active-passive"), "{e}");
    let e = parse_err(&dev_with("    cpu: 256", "    cpu: lots"));
    assert!(e.contains("environments/bad.yaml") && e.contains("cpu: lots"), "{e}");
}

#[test]
fn problems_the_types_cannot_catch_are_all_reported_with_their_field() {
    let text = dev_with("role: secondary", "role: primary")
        .replacen("region: us-west-2", "region: us-west-9", 1)
        .replacen("    min: 1\n", "    min: 3\n", 1)
        .replacen("availability_zones: 2", "availability_zones: 7", 1)
        .replacen("availability_slo: 99.0", "availability_slo: 100", 1)
        .replacen("latency_p99_ms: 1000", "latency_p99_ms: 0", 1)
        + "data:\n  aurora_secondary_writes: forward\nrollout:\n  first_region: eu-west-1\n  first_account: \"111111111111\"\n  bake_minutes: 0\n  stacks:\n    Data: {bake_minutes: 900}\n";
    let e = parse_err(&text);
    for want in [
        "regions: exactly one region must have role primary (2 do)",
        "regions[1].region: unknown region \"us-west-9\"",
        "services[0] (orders): min 3 <= max 2 must hold",
        "cost.availability_zones: 7 is not between 2 and 6",
        "objectives.availability_slo: 100 must be at least 50 and below 100",
        "objectives.latency_p99_ms: must be above 0",
        "data.aurora_secondary_writes: needs data.aurora: true (there is no Aurora database)",
        "rollout.first_region: eu-west-1 is not one of regions (us-east-1, us-west-9)",
        "rollout.bake_minutes: 0 is not 1 to 720",
        "rollout.stacks.Data.bake_minutes: 900 is not 1 to 720",
        "rollout.first_account: 111111111111 needs deployment.kind: accounts listing it",
    ] {
        assert!(e.contains(want), "missing {want:?} in {e}");
    }
}

#[test]
fn a_malformed_image_digest_or_tag_names_the_file_and_the_field() {
    let e = parse_err(&dev_with("image: public.ecr.aws/nginx/nginx:1.27", "image: orders@sha256:12ab"));
    assert!(e.starts_with("environments/bad.yaml:"), "{e}");
    assert!(e.contains("services[0].image: digest \"sha256:12ab\" must be sha256: and 64 hexadecimal digits"), "{e}");
    let e = parse_err(&dev_with("image: public.ecr.aws/nginx/nginx:1.27", "image: orders"));
    assert!(e.contains("services[0].image: \"orders\" names no tag or digest"), "{e}");
    let e = parse_err(&dev_with("image: public.ecr.aws/nginx/nginx:1.27", "image: public.ecr.aws/nginx/nginx@1.27"));
    assert!(e.contains("services[0].image: digest \"1.27\" must start with sha256:"), "{e}");
}

#[test]
fn an_unknown_environment_lists_the_known_ones() {
    let e = config::load("qa").unwrap_err();
    assert!(e.contains("environment \"qa\": cannot read") && e.contains("(environments: dev, prod, staging)"), "{e}");
}

#[test]
fn a_huge_value_is_named_never_echoed_whole() {
    let huge = "x".repeat(10 << 20);
    let e = parse_err(&dev_with("name: dev\n", &format!("name: {huge}\n")));
    assert!(e.len() < 2_000, "{} characters", e.len());
    assert!(e.contains("name: ") && e.contains("more characters)"), "{e}");
    let e = parse_err(&dev_with("mode: active-active", &format!("mode: {huge}")));
    assert!(e.len() < 4_000 && e.contains("more characters)"), "{} characters", e.len());
}

/// issue 14: an environment names its accounts; a malformed id is one line naming the file and
/// field, and every stack set of the platform carries the deployment into the manifest.
#[test]
fn the_deployment_target_is_validated_and_reaches_every_stack_set() {
    let bad = dev_with("name: dev\n", "name: dev\ndeployment:\n  kind: accounts\n  accounts: [\"12345\"]\n");
    let e = parse_err(&bad);
    assert!(e.contains("environments/bad.yaml"), "{e}");
    assert!(e.contains("deployment.accounts[0]: \"12345\" is not a 12-digit AWS account id"), "{e}");
    let bad = dev_with(
        "name: dev\n",
        "name: dev\ndeployment:\n  kind: organizationalUnits\n  organizationalUnits: [\"ou-x\"]\n  retainStacksOnAccountRemoval: false\n  callAs: DELEGATED_ADMIN\n",
    );
    assert!(parse_err(&bad).contains("deployment.organizationalUnits[0]"));
    let missing = dev_with(
        "name: dev\n",
        "name: dev\ndeployment:\n  kind: organizationalUnits\n  organizationalUnits: [\"ou-ab12-cdef3456\"]\n  callAs: SELF\n",
    );
    assert!(parse_err(&missing).contains("retainStacksOnAccountRemoval"), "chosen explicitly");
    let good = dev_with("name: dev\n", "name: dev\ndeployment:\n  kind: accounts\n  accounts: [\"222222222222\"]\n");
    let env = config::parse(&good, Path::new("environments/dev.yaml")).unwrap();
    let a = reference_platform::platform(&env).synth().unwrap();
    assert!(
        a.manifest
            .stacks
            .iter()
            .all(|s| s.deployment
                == haplat_core::manifest::Deployment::Accounts { accounts: vec!["222222222222".into()] })
    );
}
