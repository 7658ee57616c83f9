//! `docs/checks.md` is generated from the rules; this fails when it is stale.
//! Regenerate with `UPDATE_DOCS=1 cargo test -p haplat-check --test it docs`.

#[test]
fn docs_checks_md_lists_every_rule() {
    let path = haplat_tests::root().join("docs/checks.md");
    let want = haplat_check::rules_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/checks.md is stale: run `UPDATE_DOCS=1 cargo test -p haplat-check --test it docs` and commit it"
    );
}
