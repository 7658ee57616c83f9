//! The `haplat` binary.

use std::process::ExitCode;

use clap::Parser;
use haplat_cli::commands::{Cli, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            haplat_cli::errln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(haplat_cli::exit::FAILED);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            haplat_cli::errln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
