//! Bad input is one clear error naming the file, never a panic.

use std::collections::BTreeMap;

use haplat_check::{Assembly, check_dir};

use crate::support::*;

fn write_assembly(dir: &std::path::Path) {
    let stacks = vec![stack("S", &["us-east-1"], resources(serde_json::json!({})))];
    std::fs::write(dir.join("manifest.json"), serde_json::to_string(&manifest(&stacks)).unwrap()).unwrap();
    std::fs::write(dir.join("S.template.json"), r#"{"Resources": {}}"#).unwrap();
}

#[test]
fn a_good_directory_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    write_assembly(dir.path());
    let report = check_dir(dir.path()).unwrap();
    assert!(report.findings.is_empty());
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn every_bad_file_is_named_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let err = check_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("manifest.json: cannot read"), "{err}");

    write_assembly(dir.path());
    std::fs::write(dir.path().join("manifest.json"), "{ nope").unwrap();
    let err = check_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("manifest.json: not a haplat manifest"), "{err}");

    write_assembly(dir.path());
    std::fs::remove_file(dir.path().join("S.template.json")).unwrap();
    let err = check_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("S.template.json: cannot read"), "{err}");

    for (text, why) in [("[1]", "not a JSON object"), ("{}", "no Resources object"), ("{\"Resources\":", "EOF")] {
        write_assembly(dir.path());
        std::fs::write(dir.path().join("S.template.json"), text).unwrap();
        let err = check_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("S.template.json: not a CloudFormation template") && err.contains(why), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

/// What `haplat check --baseline DIR` reads too: a file too big to be an assembly's, a template
/// named outside the directory, a template that is not UTF-8.
#[test]
fn a_huge_file_a_template_outside_the_directory_and_bytes_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write_assembly(dir.path());
    let file = std::fs::File::create(dir.path().join("S.template.json")).unwrap();
    file.set_len(haplat_check::MAX_FILE_BYTES + 1).unwrap();
    let err = check_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("S.template.json: cannot read: ") && err.contains("bytes, over the"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    write_assembly(dir.path());
    std::fs::write(dir.path().join("S.template.json"), [0xff, 0xfe, b'{']).unwrap();
    let err = check_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("S.template.json: cannot read"), "{err}");

    write_assembly(dir.path());
    let text = std::fs::read_to_string(dir.path().join("manifest.json")).unwrap();
    std::fs::write(dir.path().join("manifest.json"), text.replace("S.template.json", "../../etc/passwd")).unwrap();
    let err = check_dir(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("manifest.json: not a haplat manifest: stack") && err.contains("outside the assembly directory"),
        "{err}"
    );
}

#[test]
fn in_memory_a_template_the_manifest_lists_must_be_there() {
    let stacks = vec![stack("S", &["us-east-1"], resources(serde_json::json!({})))];
    let manifest = serde_json::to_string(&manifest(&stacks)).unwrap();
    let err = Assembly::from_parts(&manifest, BTreeMap::new()).unwrap_err().to_string();
    assert!(err.contains("S.template.json") && err.contains("not in the assembly"), "{err}");
}
