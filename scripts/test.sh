#!/usr/bin/env bash
# Runs every test of the workspace, as CI does: installs the pinned tools the tests use
# (cfn-lint, moto's server, checkov, cfn-guard with the Control Tower rules) into .tools/, then
# `cargo test` over every crate, doc tests included.
# Extra arguments go to cargo test (e.g. scripts/test.sh -p haplat-core).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-tools.sh
cargo test --workspace --locked --no-fail-fast "$@"
