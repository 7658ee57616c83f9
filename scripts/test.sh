#!/usr/bin/env bash
# Runs every test of the workspace, as CI does: installs the pinned tools the tests use
# (cfn-lint, moto's server, checkov, cfn-guard with the Control Tower rules) into .tools/, then
# `cargo test` over every crate, doc tests included, with haplat-cli's AWS commands built in
# (its `aws` feature; the README's first command builds without it).
# Extra arguments go to cargo test (e.g. scripts/test.sh -p haplat-core).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-tools.sh
cargo test --workspace --features haplat-cli/aws --locked --no-fail-fast "$@"
# haplat-cli without its AWS commands, as the README's first command builds it.
cargo test -p haplat-cli --lib --locked
