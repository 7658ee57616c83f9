//! The app's lock in the bootstrap bucket (`lock::SharedLock`) against the fake: a second run
//! from anywhere is refused naming the holder, `--force-unlock` removes a lock left behind, a
//! released lock is gone, and a failed S3 call is one line naming the object.

use haplat_cli::cfn::CfnError;
use haplat_cli::lock::SharedLock;

use crate::fake::Fake;

#[tokio::test]
async fn a_second_run_is_refused_naming_the_holder_until_the_first_releases() {
    let fake = Fake::default();
    let first = SharedLock::acquire(&fake, "us-east-1", "bucket", "shop", "deploy", false).await.unwrap();
    let held = fake.with(|s| s.objects.get("bucket/locks/shop.json").cloned()).expect("the lock object");
    assert!(held.contains(r#""command":"deploy""#), "{held}");

    let e = SharedLock::acquire(&fake, "us-east-1", "bucket", "shop", "destroy", false).await.unwrap_err();
    assert_eq!(e.exit_code(), haplat_cli::exit::REFUSED);
    let e = e.to_string();
    assert!(e.starts_with("shop is locked by haplat deploy on "), "{e}");
    assert!(e.contains(&format!("(process {}, started ", std::process::id())), "{e}");
    assert!(e.contains("rerun with --force-unlock (lock s3://bucket/locks/shop.json)"), "{e}");
    // Another app's lock is its own.
    SharedLock::acquire(&fake, "us-east-1", "bucket", "blog", "deploy", false).await.unwrap().release(&fake).await;

    first.release(&fake).await;
    assert!(fake.with(|s| !s.objects.contains_key("bucket/locks/shop.json")));
    SharedLock::acquire(&fake, "us-east-1", "bucket", "shop", "destroy", false).await.unwrap().release(&fake).await;
}

#[tokio::test]
async fn force_unlock_removes_a_lock_left_by_a_run_that_is_gone() {
    let fake = Fake::default();
    fake.with(|s| {
        s.objects.insert(
            "bucket/locks/shop.json".into(),
            r#"{"host":"ci-runner-7","pid":41,"command":"deploy","started":0}"#.into(),
        )
    });
    let e = SharedLock::acquire(&fake, "us-east-1", "bucket", "shop", "deploy", false).await.unwrap_err().to_string();
    assert!(e.starts_with("shop is locked by haplat deploy on ci-runner-7 (process 41, started "), "{e}");
    let lock = SharedLock::acquire(&fake, "us-east-1", "bucket", "shop", "deploy", true).await.unwrap();
    let now = fake.with(|s| s.objects["bucket/locks/shop.json"].clone());
    assert!(now.contains(&format!(r#""pid":{}"#, std::process::id())), "{now}");
    lock.release(&fake).await;
}

#[tokio::test]
async fn a_denied_write_is_one_line_naming_the_object() {
    let fake = Fake::default();
    fake.with(|s| {
        s.errors.entry("put_if_absent").or_default().push_back(CfnError::service(
            "AccessDenied",
            "User: arn:aws:iam::1:user/x is not authorized to perform: s3:PutObject",
        ))
    });
    let e = SharedLock::acquire(&fake, "us-east-1", "bucket", "shop", "deploy", false).await.unwrap_err();
    let line = e.to_string();
    assert!(line.starts_with("taking the lock s3://bucket/locks/shop.json: "), "{line}");
    assert!(!line.contains('\n'), "{line}");
}
