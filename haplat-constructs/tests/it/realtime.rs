//! The real-time tier (`websocket::{RealtimeApi, RealtimeWorkers}`, `queue::WorkQueue`): each
//! piece on its synthesized template, misuse named by path, the functions' inline code run, and
//! cfn-lint over every region.

use std::collections::BTreeMap;

use haplat_constructs::dns::{FailoverDns, FailoverDnsProps};
use haplat_constructs::fargate::RunAs;
use haplat_constructs::global_table::{GlobalTable, GlobalTableProps, KeyAttr};
use haplat_constructs::kms::KmsKey;
use haplat_constructs::network::{NatMode, Network, NetworkProps};
use haplat_constructs::websocket::{
    RealtimeApi, RealtimeAuth, RealtimeDomain, RealtimeProps, RealtimeWorkers, RouteThrottle, WorkerProps,
};
use haplat_constructs::zone::HostedZone;
use haplat_constructs::{DrMode, RegionSpec};
use haplat_core::resources::ecs;
use haplat_core::{App, Assembly};
use serde_json::{Value as Json, json};

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

fn auth() -> RealtimeAuth {
    RealtimeAuth::Jwt { issuer: "https://auth.example.com/".into(), audience: "chat".into(), jwks_url: None }
}

/// The tier over two regions: registry in `Global`, API in `Api`, workers in `Workers`, records
/// in `Edge`; `tweak` changes the API's props.
/// The numbers of the tier's alarms and workers that [`build`] takes as they are.
pub(crate) struct Knobs {
    pub connect_throttle_per_minute: f64,
    pub max_queue_age_seconds: f64,
    pub workers_min: i64,
    pub workers_max: u32,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs { connect_throttle_per_minute: 3000.0, max_queue_age_seconds: 60.0, workers_min: 1, workers_max: 4 }
    }
}

pub(crate) fn build(tweak: impl FnOnce(&mut RealtimeProps<'_>)) -> Result<Assembly, haplat_core::Errors> {
    build_with(tweak, Knobs::default())
}

/// [`build`] with other numbers for the alarms and workers.
pub(crate) fn build_with(
    tweak: impl FnOnce(&mut RealtimeProps<'_>),
    knobs: Knobs,
) -> Result<Assembly, haplat_core::Errors> {
    let app = App::new("chat");
    let global = app.stack("Global", "us-east-1");
    let mut t = GlobalTableProps::new(KeyAttr::string("connectionId"), &REGIONS);
    t.ttl_attribute = Some("expiresAt".into());
    let registry = GlobalTable::new(&global, "Connections", t);
    let api = app.stack_set("Api", &REGIONS);
    let key = KmsKey::new(&api, "Key", "network logs", &[haplat_constructs::kms::KeyUser::CloudWatchLogs]);
    let network =
        Network::new(&api, "Network", NetworkProps { azs: 2, nat: NatMode::Single, ..NetworkProps::new(&key) });
    let cluster = api.add("Cluster", ecs::Cluster::default());
    let zone = HostedZone::existing("Z0123456789ABCDEFGHIJ", "example.com");
    let regions = vec![RegionSpec::primary("us-east-1"), RegionSpec::secondary("eu-west-1")];
    let mut props = RealtimeProps::new(&registry, auth(), regions);
    props.domain = Some(RealtimeDomain { name: "ws.example.com".into(), zone: zone.clone() });
    tweak(&mut props);
    let tier = RealtimeApi::new(&api, "Chat", props);
    let api_topic = haplat_constructs::monitoring::AlarmTopic::new(&api.child("Topic"), &[]);
    tier.alarms(&api, "ChatAlarms", &[api_topic.arn()], knobs.connect_throttle_per_minute, knobs.max_queue_age_seconds);
    tier.availability_slo(&api, "ChatAvailability", 99.9, &[api_topic.arn()]);
    let workers_stack = app.stack_set("Workers", &REGIONS);
    let workers = RealtimeWorkers::new(
        &workers_stack,
        "Workers",
        &tier,
        WorkerProps {
            image: "public.ecr.aws/nginx/nginx:1.27".into(),
            cpu: 256,
            memory: 512,
            min: knobs.workers_min.into(),
            max: knobs.workers_max,
            cluster,
            network: &network,
            registry: &registry,
            run_as: RunAs::default(),
            production: false,
            alarm_actions: vec![api_topic.arn()],
        },
        knobs.max_queue_age_seconds,
    );
    let edge = app.stack("Edge", "us-east-1");
    let topic = haplat_constructs::monitoring::AlarmTopic::new(&edge.child("Alarms"), &[]);
    let mut dns = FailoverDnsProps::new(zone, tier.endpoints(&workers.health_checks()));
    dns.mode = DrMode::ActivePassive;
    dns.origin_label = "ws".into();
    dns.alarm_actions = vec![topic.arn()];
    FailoverDns::new(&edge, "WsDns", dns);
    app.synth()
}

fn of<'a>(t: &'a Json, ty: &str) -> Vec<(&'a String, &'a Json)> {
    t["Resources"].as_object().unwrap().iter().filter(|(_, r)| r["Type"] == ty).collect()
}

/// The resource at `path` (its `haplat:path`).
pub(crate) fn at<'a>(t: &'a Json, path: &str) -> &'a Json {
    t["Resources"]
        .as_object()
        .unwrap()
        .values()
        .find(|r| r["Metadata"]["haplat:path"] == path)
        .unwrap_or_else(|| panic!("nothing at {path}"))
}

fn statements(role: &Json) -> Vec<Json> {
    role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].as_array().unwrap().clone()
}

#[test]
fn the_authorizer_runs_on_connect_only_and_routes_are_throttled() {
    let a = build(|p| {
        p.route_throttles.insert("$default".into(), RouteThrottle { rate: 200.0, burst: 400 });
    })
    .unwrap();
    let t = a.template("chat-Api").unwrap();
    let routes: BTreeMap<&str, &Json> = of(&t, "AWS::ApiGatewayV2::Route")
        .into_iter()
        .map(|(_, r)| (r["Properties"]["RouteKey"].as_str().unwrap(), r))
        .collect();
    assert_eq!(routes.len(), 3);
    assert_eq!(routes["$connect"]["Properties"]["AuthorizationType"], "CUSTOM");
    assert!(routes["$connect"]["Properties"]["AuthorizerId"].is_object());
    for k in ["$disconnect", "$default"] {
        assert!(routes[k]["Properties"].get("AuthorizerId").is_none(), "{k}");
    }
    let authorizer = at(&t, "Api/Chat/ConnectAuthorizer");
    assert_eq!(authorizer["Properties"]["AuthorizerType"], "REQUEST");
    assert_eq!(authorizer["Properties"]["IdentitySource"], json!(["route.request.querystring.token"]));
    let stage = at(&t, "Api/Chat/Stage");
    assert_eq!(stage["Properties"]["DefaultRouteSettings"]["ThrottlingBurstLimit"], 1000);
    assert_eq!(stage["Properties"]["RouteSettings"]["$connect"]["ThrottlingRateLimit"], 50.0);
    assert_eq!(stage["Properties"]["RouteSettings"]["$default"]["ThrottlingBurstLimit"], 400);
    // Every check passes on the tier (authorizer, domain, throttles, DLQ, @connections).
    let report = haplat_check::check_assembly(&a).unwrap();
    let open: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .map(|f| format!("{} {} {}", f.rule, f.path, f.message))
        .collect();
    assert!(open.is_empty(), "{open:#?}");
}

#[test]
fn the_registry_function_writes_exactly_the_regions_replica() {
    let t = build(|_| {}).unwrap().template("chat-Api").unwrap();
    let st = statements(at(&t, "Api/Chat/ConnectionsRole"));
    let dynamo: Vec<&Json> = st.iter().filter(|s| s.to_string().contains("dynamodb:")).collect();
    assert_eq!(dynamo.len(), 1);
    assert_eq!(dynamo[0]["Action"], json!(["dynamodb:DeleteItem", "dynamodb:PutItem"]));
    assert_eq!(dynamo[0]["Resource"].as_array().unwrap().len(), 1);
    let f = at(&t, "Api/Chat/Connections");
    assert_eq!(f["Properties"]["Environment"]["Variables"]["TTL_SECONDS"], "7200");
    let code = f["Properties"]["Code"]["ZipFile"].as_str().unwrap();
    assert!(code.contains("\"expiresAt\": now + TTL") && code.contains("delete_item"), "{code}");
}

#[test]
fn default_messages_go_to_an_encrypted_queue_with_a_dead_letter_queue() {
    let t = build(|_| {}).unwrap().template("chat-Api").unwrap();
    let integration = at(&t, "Api/Chat/QueueIntegration");
    let p = &integration["Properties"];
    assert_eq!(p["IntegrationType"], "AWS");
    assert!(p["IntegrationUri"]["Fn::Sub"][0].as_str().unwrap().contains(":sqs:path/${AWS::AccountId}/${Queue}"));
    assert!(p["RequestTemplates"]["$default"].as_str().unwrap().starts_with("Action=SendMessage&MessageBody="));
    let role = statements(at(&t, "Api/Chat/QueueRole"));
    assert_eq!(role[0]["Action"], json!(["sqs:SendMessage"]));
    assert_eq!(role[1]["Action"], json!(["kms:Decrypt", "kms:GenerateDataKey"]));
    let queue = at(&t, "Api/Chat/MessagesQueue");
    let dead = at(&t, "Api/Chat/MessagesDeadLetters");
    assert!(queue["Properties"]["KmsMasterKeyId"].is_object() && dead["Properties"]["KmsMasterKeyId"].is_object());
    assert_eq!(queue["Properties"]["RedrivePolicy"]["maxReceiveCount"], 5);
    assert_eq!(dead["Properties"]["MessageRetentionPeriod"], 1_209_600);
}

#[test]
fn each_region_has_its_domain_certificate_and_health_checked_records() {
    let a = build(|_| {}).unwrap();
    let t = a.template("chat-Api").unwrap();
    let cert = at(&t, "Api/Chat/Certificate");
    assert_eq!(cert["Properties"]["DomainName"], "ws.example.com");
    assert_eq!(cert["Properties"]["SubjectAlternativeNames"][0], json!({"Fn::Sub": "${AWS::Region}.ws.example.com"}));
    let d = &at(&t, "Api/Chat/Domain")["Properties"]["DomainNameConfigurations"][0];
    assert_eq!((d["EndpointType"].as_str(), d["SecurityPolicy"].as_str()), (Some("REGIONAL"), Some("TLS_1_2")));
    let edge = a.template("chat-Edge").unwrap();
    let mut names: Vec<&str> =
        of(&edge, "AWS::Route53::RecordSet").iter().map(|(_, r)| r["Properties"]["Name"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, ["eu-west-1.ws.example.com.", "us-east-1.ws.example.com.", "ws.example.com.", "ws.example.com."]);
    // The region's check: TCP to API Gateway's regional endpoint, workers running, queue draining.
    let w = a.template("chat-Workers").unwrap();
    let check = at(&w, "Workers/Workers/Health/Check");
    assert_eq!(check["Properties"]["HealthCheckConfig"]["Type"], "CALCULATED");
    assert_eq!(check["Properties"]["HealthCheckConfig"]["HealthThreshold"], 3);
    let tcp = at(&w, "Workers/Workers/Health/Endpoint");
    assert_eq!(tcp["Properties"]["HealthCheckConfig"]["Type"], "TCP");
    assert_eq!(tcp["Properties"]["HealthCheckConfig"]["Port"], 443);
}

#[test]
fn workers_have_no_load_balancer_and_manage_exactly_each_regions_connections() {
    let w = build(|_| {}).unwrap().template("chat-Workers").unwrap();
    let service = at(&w, "Workers/Workers/Service");
    assert!(service["Properties"].get("LoadBalancers").is_none());
    assert!(service["Properties"].get("HealthCheckGracePeriodSeconds").is_none());
    assert_eq!(service["Properties"]["DeploymentConfiguration"]["Strategy"], "ROLLING");
    let td = at(&w, "Workers/Workers/TaskDefinition");
    let app = &td["Properties"]["ContainerDefinitions"][0];
    assert!(app.get("PortMappings").is_none());
    let env: Vec<&str> = app["Environment"].as_array().unwrap().iter().map(|e| e["Name"].as_str().unwrap()).collect();
    assert_eq!(env, ["CONNECTIONS_ENDPOINTS", "QUEUE_URL", "REGISTRY_TABLE"]);
    let st = statements(at(&w, "Workers/Workers/TaskRole"));
    let manage: Vec<&Json> = st.iter().filter(|s| s["Action"] == json!(["execute-api:ManageConnections"])).collect();
    assert_eq!(manage.len(), 1);
    let arns: Vec<&str> =
        manage[0]["Resource"].as_array().unwrap().iter().map(|r| r["Fn::Sub"][0].as_str().unwrap()).collect();
    assert_eq!(
        arns,
        [
            "arn:${AWS::Partition}:execute-api:us-east-1:${AWS::AccountId}:${Api}/live/POST/@connections/*",
            "arn:${AWS::Partition}:execute-api:eu-west-1:${AWS::AccountId}:${Api}/live/POST/@connections/*",
        ]
    );
    let sg = at(&w, "Workers/Workers/SecurityGroup");
    assert!(sg["Properties"].get("SecurityGroupIngress").is_none());
}

#[test]
fn misuse_is_named_by_path() {
    let err = build(|p| {
        p.auth = RealtimeAuth::Jwt { issuer: "http://auth".into(), audience: " ".into(), jwks_url: None };
        p.route_throttles.insert("$chat".into(), RouteThrottle { rate: 0.0, burst: 0 });
        p.domain = Some(RealtimeDomain {
            name: "ws.other.com".into(),
            zone: HostedZone::existing("Z0123456789ABCDEFGHIJ", "example.com"),
        });
        p.connection_ttl_seconds = 10;
    })
    .unwrap_err()
    .to_string();
    for want in [
        "Api/Chat: JWT issuer \"http://auth\"",
        "Api/Chat: JWT audience is empty",
        "Api/Chat: throttle of $chat",
        "Api/Chat: throttle for route \"$chat\"",
        "Api/Chat: custom domain ws.other.com is not in the zone example.com",
        "Api/Chat: connection TTL 10 s",
    ] {
        assert!(err.contains(want), "missing {want:?} in {err}");
    }
}

#[test]
fn the_templates_pass_cfn_lint_in_every_region() {
    let a = build(|_| {}).unwrap();
    for stack in &a.manifest.stacks {
        let t = a.template(&stack.name).unwrap();
        let lint = haplat_tests::lint_templates(&[(stack.name.clone(), t.clone())], &stack.target.regions());
        assert!(lint.is_clean(), "{}: {lint}", stack.name);
    }
}

/// The authorizer's inline Python, run with the tools' Python against tokens signed with a fresh
/// RSA key: a valid token is allowed with its user, a wrong audience, issuer, expiry or key and a
/// missing token are denied.
#[test]
fn the_authorizer_verifies_tokens_for_real() {
    let t = build(|_| {}).unwrap().template("chat-Api").unwrap();
    let code = at(&t, "Api/Chat/Authorizer")["Properties"]["Code"]["ZipFile"].as_str().unwrap().to_owned();
    let dir = std::env::temp_dir().join(format!("haplat-authorizer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.py"), code).unwrap();
    let script = r#"
import base64, io, json, os, sys, time, urllib.request
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
key, other = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
n = key.public_key().public_numbers()
jwks = {"keys": [{"kty": "RSA", "kid": "k1", "n": b64(n.n.to_bytes(256, "big")), "e": b64(n.e.to_bytes(3, "big"))}]}
class Body(io.BytesIO):
    def __enter__(self): return self
    def __exit__(self, *a): pass
fetched = []
urllib.request.urlopen = lambda url, timeout=0: (fetched.append(url), Body(json.dumps(jwks).encode()))[1]
os.environ.update(ISSUER="https://auth.example.com/", AUDIENCE="chat")
sys.path.insert(0, sys.argv[1])
import index
def token(claims, k=key):
    h = b64(json.dumps({"alg": "RS256", "kid": "k1"}).encode()); p = b64(json.dumps(claims).encode())
    return f"{h}.{p}." + b64(k.sign(f"{h}.{p}".encode(), padding.PKCS1v15(), hashes.SHA256()))
def effect(t):
    r = index.handler({"methodArn": "arn:aws:execute-api:us-east-1:1:a/live/$connect", "queryStringParameters": {"token": t}}, None)
    return r["policyDocument"]["Statement"][0]["Effect"], r["context"]
now = int(time.time())
good = {"iss": "https://auth.example.com/", "aud": "chat", "sub": "u1", "exp": now + 60}
out = {"good": effect(token(good)), "aud": effect(token({**good, "aud": "x"}))[0],
       "iss": effect(token({**good, "iss": "https://evil/"}))[0], "exp": effect(token({**good, "exp": now - 5}))[0],
       "key": effect(token(good, other))[0], "none": effect("")[0], "fetched": fetched[0]}
print("RESULT" + json.dumps(out))
"#;
    let python = haplat_tests::tools_bin().join("python");
    let out = std::process::Command::new(&python).arg("-c").arg(script).arg(&dir).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT"))
        .unwrap_or_else(|| panic!("the authorizer did not run: {stdout}{}", String::from_utf8_lossy(&out.stderr)));
    let r: Json = serde_json::from_str(line).unwrap();
    assert_eq!(r["good"], json!(["Allow", {"userId": "u1"}]));
    for k in ["aud", "iss", "exp", "key", "none"] {
        assert_eq!(r[k], "Deny", "{k}");
    }
    assert_eq!(r["fetched"], "https://auth.example.com/.well-known/jwks.json");
}

#[test]
fn queue_misuse_is_reported() {
    use haplat_constructs::queue::{WorkQueue, WorkQueueProps};
    let app = App::new("q");
    let s = app.stack("S", "us-east-1");
    let key = KmsKey::new(&s, "Key", "q", &[]);
    let mut p = WorkQueueProps::new(&key);
    p.retention_seconds = 1_209_600;
    p.max_receives = 0;
    WorkQueue::new(&s, "Jobs", p);
    let err = app.synth().unwrap_err().to_string();
    assert!(err.contains("queue Jobs: retention 1209600 s"), "{err}");
    assert!(err.contains("queue Jobs: max receives 0"), "{err}");
}

#[test]
fn the_tier_has_an_availability_slo_over_connections_and_messages() {
    let a = build(|_| {}).unwrap();
    let t = a.template("chat-Api").unwrap();
    let slo: Vec<(&String, &Json)> =
        of(&t, "AWS::CloudWatch::Alarm").into_iter().filter(|(id, _)| id.starts_with("ChatAvailability")).collect();
    assert!(!slo.is_empty());
    let text = serde_json::to_string(&slo).unwrap();
    for m in ["IntegrationError", "ExecutionError", "ConnectCount", "MessageCount"] {
        assert!(text.contains(m), "{m} missing from the SLO alarms");
    }
    assert!(!text.contains("ClientError"), "refusals spend no budget");
    // The burn-rate windows page through composite alarms.
    let pages: Vec<(&String, &Json)> = of(&t, "AWS::CloudWatch::CompositeAlarm")
        .into_iter()
        .filter(|(id, a)| {
            id.starts_with("ChatAvailability")
                && a["Properties"]["AlarmActions"].as_array().is_some_and(|x| !x.is_empty())
        })
        .collect();
    assert!(!pages.is_empty());
}
