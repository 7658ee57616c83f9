//! The committed generated code matches what the generator produces from the vendored schemas.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use haplat_codegen as codegen;

/// What the generator produces from the vendored schemas.
fn generate() -> codegen::Output {
    let manifest =
        fs::read_to_string(codegen::workspace_root().join(codegen::CORE_MANIFEST)).expect("haplat-core/Cargo.toml");
    codegen::generate(&codegen::schemas_dir(), &manifest).expect("generation succeeds")
}

/// [`generate`]'s output, generated once for both tests (a generation takes a few seconds in a
/// debug build).
fn generated() -> &'static codegen::Output {
    static OUT: OnceLock<codegen::Output> = OnceLock::new();
    OUT.get_or_init(generate)
}

#[test]
fn generated_code_is_up_to_date() {
    let root = codegen::workspace_root();
    let out = generated();

    // Regenerate into a temporary folder, then compare it with the committed tree.
    let tmp = tempfile::tempdir().expect("temp dir");
    codegen::write(tmp.path(), out).expect("write into temp dir");

    let rel = |base: &Path, files: Vec<PathBuf>| -> Vec<PathBuf> {
        files.into_iter().map(|f| f.strip_prefix(base).expect("under base").to_path_buf()).collect()
    };
    let fresh = rel(tmp.path(), codegen::list_files(&tmp.path().join(codegen::RESOURCES_DIR)).expect("list fresh"));
    let committed = rel(&root, codegen::list_files(&root.join(codegen::RESOURCES_DIR)).unwrap_or_default());

    let mut problems = Vec::new();
    for f in &fresh {
        if !committed.contains(f) {
            problems.push(format!("missing: {}", f.display()));
        }
    }
    for f in &committed {
        if !fresh.contains(f) {
            problems.push(format!("extra (no longer generated): {}", f.display()));
        }
    }
    for f in fresh.iter().filter(|f| committed.contains(f)).chain([&PathBuf::from(codegen::CORE_MANIFEST)]) {
        let a = fs::read_to_string(tmp.path().join(f)).expect("fresh file");
        let b = fs::read_to_string(root.join(f)).unwrap_or_default();
        if a != b {
            problems.push(format!("differs: {}", f.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "the generated L1 code is stale ({} files):\n  {}\nregenerate with `cargo run -p haplat-codegen -- generate` and commit the result",
        problems.len(),
        problems.iter().take(30).cloned().collect::<Vec<_>>().join("\n  ")
    );
}

#[test]
fn generation_is_reproducible_and_writes_the_shared_types() {
    let a = generated();
    let b = generate();
    assert!(a.files == b.files, "two runs differ");
    let res = PathBuf::from(codegen::RESOURCES_DIR);
    for f in ["types.rs", "ecs/types.rs", "wafv2/types.rs"] {
        assert!(a.files.contains_key(&res.join(f)), "{f} is generated");
    }
    assert!(a.files[&res.join("types.rs")].contains("pub struct Tag {"));
    assert!(a.files[&res.join("ecs/service.rs")].contains("pub use super::types::{"));
}
