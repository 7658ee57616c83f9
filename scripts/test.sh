#!/usr/bin/env bash
# Runs every test of the workspace, as CI does: installs the pinned tools the tests use
# (cfn-lint, moto's server, checkov, cfn-guard with the Control Tower rules) into .tools/ while it
# builds every test with haplat-cli's AWS commands (its `aws` feature; the README's first command
# builds without it), runs the test binaries two at a time (scripts/run-tests.py: cargo test would
# run them one after another, and the longest mostly wait), then the doc tests. (haplat-cli
# without the `aws` feature has no test of its own: what its AWS commands answer there is tested
# in this build, and CI's clippy builds it.)
#
#   scripts/test.sh                          everything
#   scripts/test.sh --offline               arguments for cargo (the build and the doc tests)
#   scripts/test.sh -- deploy                and, after `--`, for each test binary (a filter)
set -euo pipefail
# (An empty array is spelled ${a[@]+"${a[@]}"}: macOS's bash 3.2 calls "${a[@]}" unbound.)
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo_args=()
test_args=()
while (($#)); do
  if [[ "$1" == "--" ]]; then
    shift
    test_args=("$@")
    break
  fi
  cargo_args+=("$1")
  shift
done
# The tools install (mostly downloads) while the tests build (mostly compiling).
tools_log="$(mktemp)"
build="$(mktemp)"
trap 'rm -f "$tools_log" "$build"' EXIT
scripts/install-tools.sh > "$tools_log" 2>&1 &
tools=$!
built=0
cargo test --workspace --features haplat-cli/aws --locked --no-run --message-format=json-render-diagnostics \
  ${cargo_args[@]+"${cargo_args[@]}"} > "$build" || built=$?
if ! wait "$tools"; then
  cat "$tools_log" >&2
  echo "test.sh: scripts/install-tools.sh failed (its output is above)" >&2
  exit 1
fi
cat "$tools_log"
if ((built != 0)); then
  exit "$built"
fi
status=0
python3 scripts/run-tests.py "$build" -- ${test_args[@]+"${test_args[@]}"} || status=1
cargo test --workspace --features haplat-cli/aws --locked --doc ${cargo_args[@]+"${cargo_args[@]}"} -- ${test_args[@]+"${test_args[@]}"} || status=1
exit "$status"
