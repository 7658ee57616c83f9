#!/usr/bin/env bash
# Installs the Python tools the tests use — cfn-lint (the CloudFormation linter) and moto's server
# (the CloudFormation emulator) — at pinned versions from PyPI into .tools/venv, a folder git
# ignores. Idempotent: a second run with the same pins does nothing.
#
#   scripts/install-tools.sh          install or check
#   HAPLAT_TOOLS_DIR=DIR scripts/…    install somewhere else
set -euo pipefail

CFN_LINT_VERSION="1.58.0"
MOTO_VERSION="5.2.5"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${HAPLAT_TOOLS_DIR:-$root/.tools}"
venv="$dir/venv"
stamp="$venv/.haplat-pins"
want="cfn-lint==$CFN_LINT_VERSION moto[server,cloudformation]==$MOTO_VERSION"

installed() {
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/cfn-lint" && -x "$venv/bin/moto_server" ]]
}
installed && exit 0

# Test binaries may call this at the same time: one installs, the others wait for it.
mkdir -p "$dir"
exec 9>"$dir/.install.lock"
flock 9
installed && exit 0

python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
  echo "install-tools: no python3 on this machine; cfn-lint and moto need Python 3.9 or newer" >&2
  exit 1
fi

echo "install-tools: installing $want into $venv" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
# shellcheck disable=SC2086
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check $want >&2
"$venv/bin/cfn-lint" --version >&2
echo "$want" > "$stamp"
