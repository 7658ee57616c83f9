#!/usr/bin/env bash
# Re-vendors the CloudFormation registry schemas of the generated services from the pinned
# cfn-lint (installed by scripts/install-tools.sh) into tools/codegen/schemas/, then regenerates
# haplat-core/src/resources/. To move to another cfn-lint release: change the pin in
# scripts/install-tools.sh and CFN_LINT_VERSION in tools/codegen/src/lib.rs, then run this.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-tools.sh"
venv="${HAPLAT_TOOLS_DIR:-$root/.tools}/venv"
schemas="$("$venv/bin/python" -c 'import cfnlint, os; print(os.path.join(os.path.dirname(cfnlint.__file__), "data", "schemas"))')"
cd "$root"
cargo run -q -p haplat-codegen -- refresh-schemas --from "$schemas"
cargo run -q -p haplat-codegen -- generate
