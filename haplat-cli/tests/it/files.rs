//! Every file haplat reads, made hostile, through the binary: `haplat.toml`, the assembly's
//! manifest and templates, the lock beside the assembly, the drift record. Each case says what
//! the run must answer: one short line naming the file (and the field, where there is one), the
//! exit code, never a panic, never the file's contents at length. (Unreadable permissions are
//! not a case: the tests may run as root, who reads everything; a read error is the same path
//! as a missing or directory file: `files::read_text`.)
//!
//! What is safe differs per file: a project file or assembly that does not read stops the
//! command; a lock file that does not read is never taken as absent while a run holds it (the
//! OS file lock says who holds it), and one that is not a haplat lock is named, not
//! overwritten; the drift record only adds a line to `diff`, so one that does not read is a
//! warning and the diff goes on.

use std::path::Path;

use crate::harness::{Project, Run, Source, fixture, run};

/// What a file holds in a case.
enum Content {
    Text(String),
    Bytes(Vec<u8>),
    Directory,
}

fn text(s: &str) -> Content {
    Content::Text(s.to_owned())
}

fn huge() -> Content {
    // 20 MB on one line, inside a value, as a file that grew by accident would be.
    Content::Text(format!("app = \"{}\"\n", "x".repeat(20 << 20)))
}

fn put(path: &Path, content: &Content) {
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_dir_all(path);
    match content {
        Content::Text(t) => std::fs::write(path, t).unwrap(),
        Content::Bytes(b) => std::fs::write(path, b).unwrap(),
        Content::Directory => std::fs::create_dir_all(path.join("inside")).unwrap(),
    }
}

/// The run answered in one clear line: exit `code`, a line of stderr naming `file` and saying
/// `says`, short, no panic, nothing echoed at length.
fn one_clear_line(case: &str, r: &Run, code: i32, file: &str, says: &str) {
    assert_eq!(r.code, code, "{case}: {}", r.stderr);
    assert!(!r.stderr.contains("panicked") && !r.stderr.contains("RUST_BACKTRACE"), "{case}: {}", r.stderr);
    assert!(r.stderr.len() < 4000 && r.stdout.len() < 100_000, "{case}: {} bytes of stderr", r.stderr.len());
    let line = r
        .stderr
        .lines()
        .find(|l| l.contains(file) && l.contains(says))
        .unwrap_or_else(|| panic!("{case}: no line naming {file} and saying {says:?}:\n{}", r.stderr));
    assert!(line.len() < 600, "{case}: {line}");
}

#[test]
fn project_file() {
    let bad = |c: Content, says: &'static str| (c, says);
    let cases = [
        ("garbage", bad(text("app = = \u{1}\u{2}"), "line 1, column 7: ")),
        ("truncated", bad(text("app = \"cp a b\nout = "), "line 1")),
        ("invalid UTF-8", bad(Content::Bytes(b"app = \"\xff\xfe\"".to_vec()), "is not UTF-8 text")),
        ("huge", bad(huge(), "is larger than 1 MB")),
        ("wrong type", bad(text("app = 3\n"), "line 1, column 7: invalid type: integer `3`, expected a string")),
        ("wrong type in a table", bad(text("app = \"true\"\n[context]\nstage = []\n"), "line 3, column 9: ")),
        ("unknown key", bad(text("app = \"true\"\napps = \"x\"\n"), "line 2, column 1: unknown field `apps`")),
        ("a directory", bad(Content::Directory, "is a directory, where a project file should be")),
    ];
    for (case, (content, says)) in cases {
        let p = Project::new(Source::Fixture("basic"));
        put(&p.path().join("haplat.toml"), &content);
        let r = run(&mut p.haplat(&["list"]));
        one_clear_line(case, &r, 1, "haplat.toml", says);
    }
    // Empty is a project with no keys (every key is optional): no app, so no assembly yet.
    let p = Project::new(Source::Fixture("basic"));
    put(&p.path().join("haplat.toml"), &text(""));
    let r = run(&mut p.haplat(&["list"]));
    one_clear_line("empty", &r, 1, "manifest.json", "run `haplat synth` first");
}

/// A project whose assembly has been written (`haplat synth`), for `--no-synth` runs on it
/// once a file of it is changed.
fn synthesized() -> Project {
    let p = Project::new(Source::Fixture("basic"));
    let r = run(&mut p.haplat(&["synth"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    p
}

#[test]
fn assembly_manifest() {
    let cases = [
        ("empty", text(""), "EOF while parsing"),
        ("truncated", text("{\"version\": \"1\", \"stacks\": ["), "EOF while parsing"),
        ("garbage", Content::Bytes(vec![0x00, 0x01, 0x7f, b'{', b'}']), "expected value"),
        ("invalid UTF-8", Content::Bytes(b"{\"app\": \"\xff\"}".to_vec()), "is not UTF-8 text"),
        ("huge", Content::Text(format!("{{\"app\": \"{}\"}}", "x".repeat(20 << 20))), "is larger than 16 MB"),
        ("wrong type", text("{\"app\": 3, \"stacks\": 4, \"waves\": []}"), "invalid type"),
        ("a directory", Content::Directory, "is a directory, where an assembly manifest should be"),
    ];
    for (case, content, says) in cases {
        let p = synthesized();
        put(&p.path().join("haplat.out/manifest.json"), &content);
        let r = run(&mut p.haplat(&["list", "--no-synth"]));
        one_clear_line(case, &r, 1, "manifest.json", says);
    }
}

#[test]
fn assembly_templates() {
    let cases = [
        ("empty", text(""), "is not JSON: EOF while parsing"),
        ("truncated", text("{\"Resources\": {"), "is not JSON: EOF while parsing"),
        ("invalid UTF-8", Content::Bytes(b"{\"x\": \"\xc3\x28\"}".to_vec()), "is not UTF-8 text"),
        ("huge", Content::Text(format!("{{\"x\": \"{}\"}}", "x".repeat(20 << 20))), "is larger than 4 MB"),
        ("a directory", Content::Directory, "is a directory, where a template should be"),
    ];
    for (case, content, says) in cases {
        let p = synthesized();
        put(&p.path().join("haplat.out/Data.template.json"), &content);
        let r = run(&mut p.haplat(&["list", "--no-synth"]));
        one_clear_line(case, &r, 1, "Data.template.json", says);
    }
    // A manifest that names a template outside the assembly directory is refused, unread.
    let p = synthesized();
    let manifest = p.path().join("haplat.out/manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap().replace("\"Data.template.json\"", "\"../../etc/passwd\"");
    std::fs::write(&manifest, text).unwrap();
    let r = run(&mut p.haplat(&["list", "--no-synth"]));
    one_clear_line("outside", &r, 1, "etc/passwd", "is not a file name of the assembly directory");
}

/// `haplat deploy` takes the lock before it reaches AWS: with no AWS configured, a run that got
/// past the lock fails on AWS (not exit 5), one that did not is refused naming the lock file.
#[test]
fn lock_file() {
    let refused = [
        ("garbage", text("\u{0}\u{1}not json"), "is not a haplat lock; no run holds it: remove it"),
        ("truncated", text("{\"pid\": 12"), "is not a haplat lock"),
        ("wrong types", text("{\"pid\": \"x\", \"command\": 3, \"started\": []}"), "is not a haplat lock"),
        ("invalid UTF-8", Content::Bytes(b"{\"pid\": \"\xff\"}".to_vec()), "is not UTF-8 text"),
        ("huge", Content::Text("x".repeat(20 << 20)), "is larger than 64 KB"),
        ("a directory", Content::Directory, "is a directory, where haplat's lock file should be"),
    ];
    for (case, content, says) in refused {
        let p = synthesized();
        let lock = p.path().join("haplat.out.lock");
        put(&lock, &content);
        let r = run(&mut p.haplat(&["deploy", "--yes", "--no-synth"]));
        one_clear_line(case, &r, 5, "haplat.out.lock", says);
        assert!(lock.exists(), "{case}: a file that is not a haplat lock is left as it was");
    }
    // Left by a run that is gone (empty: killed before it wrote; a holder; unknown keys of a
    // later haplat): nobody holds it, so it is taken over, and removed at the end.
    for (case, content) in [
        ("empty", text("")),
        ("a run that is gone", text(r#"{"pid": 4294967295, "command": "deploy", "started": 0}"#)),
        ("unknown keys", text(r#"{"pid": 1, "command": "deploy", "started": 0, "host": "ci"}"#)),
    ] {
        let p = synthesized();
        let lock = p.path().join("haplat.out.lock");
        put(&lock, &content);
        let r = run(&mut p.haplat(&["deploy", "--yes", "--no-synth"]));
        assert_ne!(r.code, 5, "{case}: {}", r.stderr);
        assert!(!r.stderr.contains("haplat.out.lock"), "{case}: {}", r.stderr);
        assert!(!lock.exists(), "{case}: released");
    }
    // Held by a run (here, this test) whose file does not say who it is: still refused.
    let p = synthesized();
    let lock = p.path().join("haplat.out.lock");
    let held = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&lock).unwrap();
    held.try_lock().unwrap();
    std::fs::write(&lock, "{\"pid\": 1").unwrap();
    let r = run(&mut p.haplat(&["deploy", "--yes", "--no-synth"]));
    one_clear_line("held, unreadable", &r, 5, "haplat.out.lock", "does not say who it is holds it");
    drop(held);
}

/// The drift record only adds a line to `diff`: one that does not read is a one-line warning
/// naming it, and the diff's own result stands.
#[test]
fn drift_record() {
    let cases = [
        ("empty", text(""), "not a drift record (EOF while parsing"),
        ("garbage", Content::Bytes(vec![0x00, 0x01, 0x7f]), "not a drift record (expected value"),
        ("invalid UTF-8", Content::Bytes(b"{\"x\": \"\xff\"}".to_vec()), "is not UTF-8 text"),
        ("huge", Content::Text(format!("{{\"at\": \"{}\"}}", "x".repeat(20 << 20))), "is larger than 16 MB"),
        ("wrong type", Content::Text(format!("{{\"checked\": \"{}\"}}", "y".repeat(1 << 20))), "not a drift record"),
        ("a directory", Content::Directory, "is a directory, where a drift record should be"),
    ];
    let basic = fixture("basic").display().to_string();
    for (case, content, says) in cases {
        let p = synthesized();
        put(&p.path().join("haplat.out.drift.json"), &content);
        let r = run(&mut p.haplat(&["diff", "--no-synth", "--against", &basic, "--fail"]));
        one_clear_line(case, &r, 0, "haplat.out.drift.json", says);
        assert!(r.stderr.lines().any(|l| l.starts_with("warning: ")), "{case}: {}", r.stderr);
    }
}
