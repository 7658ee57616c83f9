//! `haplat synth` runs this (or `cargo run -p reference-platform`): it reads the environment
//! named by `HAPLAT_ENV` (default `dev`) from `environments/<name>.yaml` and writes the assembly
//! to `HAPLAT_OUTDIR` (default `haplat.out`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let name = std::env::var(haplat_core::ENV_ENV).unwrap_or_else(|_| "dev".into());
    match reference_platform::config::load(&name) {
        Ok(env) => reference_platform::platform(&env).run(),
        Err(e) => {
            eprintln!("haplat: {e}");
            ExitCode::from(1)
        }
    }
}
