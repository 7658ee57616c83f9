//! `cargo run -p haplat-codegen -- <command>`
//!
//! - `generate`: regenerate `haplat-core/src/resources/` and the feature block of
//!   `haplat-core/Cargo.toml` from `tools/codegen/schemas/`;
//! - `refresh-schemas --from <cfnlint/data/schemas>`: re-vendor the schemas (see
//!   `scripts/refresh-schemas.sh`);
//! - `stats`: lines and types generated per service (markdown table).

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, bail};
use haplat_codegen as codegen;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = codegen::workspace_root();
    match args.first().map(String::as_str) {
        Some("generate") => {
            let out = run(&root)?;
            codegen::write(&root, &out)?;
            let n: usize = out.stats.values().map(|s| s.resources).sum();
            eprintln!("generated {n} resource types into {}", codegen::RESOURCES_DIR);
        }
        Some("stats") => {
            let out = run(&root)?;
            println!("| service | resource types | structs | enums | lines | patterns dropped |");
            println!("| --- | ---: | ---: | ---: | ---: | ---: |");
            let mut total = codegen::Stats::default();
            for (s, st) in &out.stats {
                println!(
                    "| {s} | {} | {} | {} | {} | {} |",
                    st.resources, st.structs, st.enums, st.lines, st.dropped_patterns
                );
                total.resources += st.resources;
                total.structs += st.structs;
                total.enums += st.enums;
                total.lines += st.lines;
                total.dropped_patterns += st.dropped_patterns;
            }
            println!(
                "| **total** | {} | {} | {} | {} | {} |",
                total.resources, total.structs, total.enums, total.lines, total.dropped_patterns
            );
        }
        Some("refresh-schemas") => {
            let from = match (args.get(1).map(String::as_str), args.get(2)) {
                (Some("--from"), Some(dir)) => PathBuf::from(dir),
                _ => bail!("usage: haplat-codegen refresh-schemas --from <site-packages/cfnlint/data/schemas>"),
            };
            let n = codegen::refresh_schemas(&from, &codegen::schemas_dir())?;
            eprintln!(
                "vendored {n} schemas into tools/codegen/schemas; now run `cargo run -p haplat-codegen -- generate`"
            );
        }
        _ => bail!("usage: haplat-codegen generate | stats | refresh-schemas --from <dir>"),
    }
    Ok(())
}

fn run(root: &std::path::Path) -> anyhow::Result<codegen::Output> {
    let manifest = root.join(codegen::CORE_MANIFEST);
    let text = fs::read_to_string(&manifest).with_context(|| format!("reading {}", manifest.display()))?;
    codegen::generate(&codegen::schemas_dir(), &text)
}
