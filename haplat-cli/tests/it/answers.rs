//! Hostile answers from the AWS side, through the real SDK client: a local endpoint on
//! 127.0.0.1 answers CloudFormation's calls with what a faulty service, a proxy or something
//! that is not AWS could send. Each gives one clear, bounded line (never the SDK's debug output)
//! or, for pages that never end, stops.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use haplat_cli::cfn::{CfnError, CloudFormation};
use haplat_cli::sdk::{Aws, AwsOptions};
use haplat_cli::signed::MAX_LISTED;

/// What the endpoint answers to the `n`th call (from 0) of an action: status and body.
type Answer = dyn Fn(&str, usize) -> (u16, String) + Send + Sync;

/// A local endpoint that answers every request with `answer`, for at most a minute, stopped on
/// drop.
struct Endpoint {
    url: String,
    stop: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl Endpoint {
    fn start(answer: impl Fn(&str, usize) -> (u16, String) + Send + Sync + 'static) -> Endpoint {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let calls = Arc::new(AtomicUsize::new(0));
        let answer: Arc<Answer> = Arc::new(answer);
        let per_action: Arc<Mutex<std::collections::BTreeMap<String, usize>>> = Arc::default();
        let (stop2, calls2) = (stop.clone(), calls.clone());
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !stop2.load(Ordering::Relaxed) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((conn, _)) => {
                        calls2.fetch_add(1, Ordering::Relaxed);
                        serve(conn, &*answer, &per_action);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        Endpoint { url, stop, calls, thread: Some(thread) }
    }

    async fn aws(&self) -> Aws {
        Aws::connect(&AwsOptions {
            region: Some("us-east-1".into()),
            endpoint_url: Some(self.url.clone()),
            static_credentials: Some(("testing".into(), "testing".into())),
            attempt_timeout: Some(Duration::from_secs(5)),
            ..Default::default()
        })
        .await
        .unwrap()
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One request, one answer, then the connection closes.
fn serve(mut conn: TcpStream, answer: &Answer, per_action: &Mutex<std::collections::BTreeMap<String, usize>>) {
    conn.set_nonblocking(false).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let (head_end, length) = loop {
        let Ok(n) = conn.read(&mut chunk) else { return };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..i]).to_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (i + 4, length);
        }
    };
    while buf.len() < head_end + length {
        let Ok(n) = conn.read(&mut chunk) else { return };
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..]).into_owned();
    let action = body.split('&').find_map(|kv| kv.strip_prefix("Action=")).unwrap_or("?").to_owned();
    let nth = {
        let mut m = per_action.lock().unwrap();
        let n = m.entry(action.clone()).or_insert(0);
        *n += 1;
        *n - 1
    };
    let (status, text) = answer(&action, nth);
    let _ = write!(
        conn,
        "HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
}

fn error_xml(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
    )
}

/// A page of `ListStackSets` with `n` stack sets from `first`, and a next token when `more`.
fn stack_sets_page(first: usize, n: usize, more: bool) -> String {
    let members: String = (first..first + n)
        .map(|i| format!("<member><StackSetName>set{i}</StackSetName><Status>ACTIVE</Status></member>"))
        .collect();
    let token = if more { format!("<NextToken>token-{first}</NextToken>") } else { String::new() };
    format!(
        "<ListStackSetsResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\"><ListStackSetsResult><Summaries>{members}</Summaries>{token}</ListStackSetsResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListStackSetsResponse>"
    )
}

/// One line, bounded: what every error says.
fn one_line(e: &CfnError) -> String {
    let text = e.to_string();
    assert!(!text.contains('\n') && text.chars().count() < 600, "{text}");
    assert!(!text.contains("SdkError") && !text.contains("DispatchFailure"), "{text}");
    text
}

#[tokio::test]
async fn pages_are_read_to_the_end() {
    let endpoint = Endpoint::start(|_, nth| (200, stack_sets_page(nth * 3, 3, nth < 4)));
    let sets = endpoint.aws().await.list_stack_sets().await.unwrap();
    assert_eq!(sets.len(), 15);
}

#[tokio::test]
async fn a_token_sent_back_again_ends_the_listing() {
    // The same token every time (token-0): read twice, then the listing ends, as the SDK's did.
    let endpoint = Endpoint::start(|_, nth| (200, stack_sets_page(0, 3 + nth, true)));
    let sets = endpoint.aws().await.list_stack_sets().await.unwrap();
    assert_eq!(sets.len(), 4, "{sets:?}");
    assert_eq!(endpoint.calls(), 2);
}

#[tokio::test]
async fn an_answer_to_another_action_is_refused_not_read_as_empty() {
    let endpoint = Endpoint::start(|_, _| {
        (
            200,
            "<DescribeStacksResponse><DescribeStacksResult><Stacks/></DescribeStacksResult></DescribeStacksResponse>"
                .into(),
        )
    });
    let e = endpoint.aws().await.describe_stack_set("Api").await.unwrap_err();
    assert!(
        one_line(&e)
            .contains("DescribeStackSet: the answer is <DescribeStacksResponse>, not <DescribeStackSetResponse>"),
        "{e}"
    );
}

#[tokio::test]
async fn pages_that_never_end_stop_with_one_line() {
    // A new token every time, a hundred stack sets a page: the listing stops past MAX_LISTED.
    let endpoint = Endpoint::start(|_, nth| (200, stack_sets_page(nth * 100, 100, true)));
    let e = endpoint.aws().await.list_stack_sets().await.unwrap_err();
    assert!(
        one_line(&e).contains(&format!("ListStackSets still had a next page after {MAX_LISTED} pages or items")),
        "{e}"
    );
    assert!(endpoint.calls() <= MAX_LISTED / 100 + 1, "{} calls", endpoint.calls());
}

#[tokio::test]
async fn a_server_error_without_a_body_says_its_status() {
    let endpoint = Endpoint::start(|_, _| (500, String::new()));
    let e = endpoint.aws().await.list_stack_sets().await.unwrap_err();
    assert!(one_line(&e).contains("HTTP 500 without an AWS error message"), "{e}");
}

#[tokio::test]
async fn a_server_error_with_a_body_says_its_code_and_message() {
    let endpoint = Endpoint::start(|_, _| (500, error_xml("InternalFailure", "the service failed")));
    let e = endpoint.aws().await.list_stack_sets().await.unwrap_err();
    let text = one_line(&e);
    assert!(text.contains("InternalFailure") && text.contains("the service failed"), "{text}");
}

#[tokio::test]
async fn an_answer_cut_short_is_refused_not_read_in_part() {
    // A reader that stops at the end of the body would return the stack sets before the cut.
    let endpoint = Endpoint::start(|_, _| {
        let page = stack_sets_page(0, 3, false);
        (200, page[..page.len() / 2].to_owned())
    });
    let e = endpoint.aws().await.list_stack_sets().await.unwrap_err();
    let text = one_line(&e);
    assert!(
        text.contains("the answer was cut short") && text.contains("<ListStackSetsResponse> never closes"),
        "{text}"
    );
}

#[test]
fn whole_answers_pass() {
    use haplat_cli::signed::cut_short;
    assert_eq!(cut_short(stack_sets_page(0, 2, true).as_bytes()), None);
    assert_eq!(cut_short(b"<?xml version=\"1.0\"?>\n<!-- c --><A><B/></A>\n"), None);
    assert_eq!(cut_short(b"<A/>"), None);
    assert_eq!(cut_short(b"{\"json\": true}"), None);
    assert_eq!(
        cut_short(b"<A><B></B>").as_deref(),
        Some("the answer was cut short (10 bytes, and its <A> never closes)")
    );
}

#[tokio::test]
async fn an_answer_that_is_not_xml_is_one_line() {
    let endpoint = Endpoint::start(|_, _| (200, "<html><body>captive portal</body></html>".repeat(500)));
    let e = endpoint.aws().await.list_stack_sets().await.unwrap_err();
    one_line(&e);
}

/// The JSON services haplat reads (FIS in REST-JSON, DynamoDB and AWS Backup in JSON) answering
/// a document cut in the middle: an error of one line, never a partial value read as whole.
#[tokio::test]
async fn a_json_answer_cut_short_is_one_line_never_read_in_part() {
    use haplat_cli::observe::Observe;
    use haplat_cli::recovery::Recovery;
    let cut = |whole: &str| whole[..whole.len() / 2].to_owned();
    let experiment = r#"{"experiment": {"id": "EXP1", "state": {"status": "running", "reason": "started"}}}"#;
    let endpoint = Endpoint::start(move |_, _| (200, cut(experiment)));
    let e = endpoint.aws().await.experiment("us-east-1", "EXP1").await.unwrap_err();
    one_line(&e);
    let table = r#"{"Table": {"TableName": "orders", "TableStatus": "ACTIVE", "KeySchema": []}}"#;
    let endpoint = Endpoint::start(move |_, _| (200, cut(table)));
    let e = endpoint.aws().await.table("us-east-1", "orders").await.unwrap_err();
    one_line(&e);
    let points = r#"{"RecoveryPoints": [{"RecoveryPointArn": "arn:aws:backup:us-east-1:1:recovery-point:a", "Status": "COMPLETED"}]}"#;
    let endpoint = Endpoint::start(move |_, _| (200, cut(points)));
    let e =
        endpoint.aws().await.recovery_points("us-east-1", "vault", "arn:aws:dynamodb:us-east-1:1:table/orders").await;
    one_line(&e.expect_err("a cut listing is refused, not read in part"));
}

#[tokio::test]
async fn throttling_is_said_so() {
    let endpoint = Endpoint::start(|_, _| (400, error_xml("Throttling", "Rate exceeded")));
    let e = endpoint.aws().await.list_stack_sets().await.unwrap_err();
    assert!(matches!(e, CfnError::Throttled(_)), "{e:?}");
    assert_eq!(one_line(&e), "throttled: Rate exceeded");
}

#[tokio::test]
async fn a_region_not_enabled_is_named_as_a_possible_cause() {
    // What CloudFormation answers in an opt-in region the account has not enabled.
    let endpoint = Endpoint::start(|_, _| {
        (403, error_xml("InvalidClientTokenId", "The security token included in the request is invalid."))
    });
    let e = endpoint.aws().await.list_stack_sets().await.unwrap_err();
    let text = one_line(&e);
    assert!(matches!(e, CfnError::BadCredentials { .. }), "{e:?}");
    // The region is named even through a local endpoint (AWS_ENDPOINT_URL, tests, emulators).
    assert!(
        text.contains(
            "the region us-east-1 is not enabled in this account (an opt-in region: `aws account enable-region --region-name us-east-1`)"
        ),
        "{text}"
    );
}

/// A binding producer's stack read through the real client: a 5xx, throttling or a refused call
/// is that failure, never "no stack" (which would report the binding as a missing stack with
/// the wrong exit code); only CloudFormation's "does not exist" is no stack.
#[tokio::test]
async fn a_failed_stack_read_is_that_failure_never_no_stack() {
    let instance = haplat_cli::cfn::InstanceInfo {
        region: "us-east-1".into(),
        account: "123456789012".into(),
        stack_id: Some("arn:aws:cloudformation:us-east-1:123456789012:stack/StackSet-Network-1/x".into()),
        ..Default::default()
    };
    for (status, body, says) in [
        (500, String::new(), "HTTP 500 without an AWS error message"),
        (503, error_xml("ServiceUnavailable", "try later"), "ServiceUnavailable"),
        (400, error_xml("Throttling", "Rate exceeded"), "throttled: Rate exceeded"),
    ] {
        let endpoint = Endpoint::start(move |_, _| (status, body.clone()));
        let e = endpoint.aws().await.instance_stack("Network", &instance).await.unwrap_err();
        assert!(one_line(&e).contains(says), "{status}: {e}");
    }
    let gone = Endpoint::start(|_, _| (400, error_xml("ValidationError", "Stack with id x does not exist")));
    assert!(gone.aws().await.instance_stack("Network", &instance).await.unwrap().is_none());
}
