#!/usr/bin/env bash
# Installs the tools the tests use, at pinned versions, into .tools/ (a folder git ignores):
#   - uv (the Python package installer, from PyPI into .tools/uv), which installs the next two:
#     pip spent about 50 s of CPU unpacking and compiling their 150 packages, uv about 20 s
#     (docs/build-cost.md);
#   - cfn-lint (the CloudFormation linter) and moto's server (the CloudFormation emulator), from
#     PyPI into .tools/venv;
#   - checkov (the IaC scanner platform teams run), from PyPI into its own venv .tools/checkov
#     (its pins of boto3/botocore differ from moto's, so the two never share one);
#   - cfn-guard and the AWS Control Tower proactive-control rules, from the npm package
#     @cdklabs/cdk-validator-cfnguard (it bundles a prebuilt cfn-guard per platform and the rules
#     as .guard files) into .tools/npm, with .tools/bin/cfn-guard and .tools/guard-rules linked
#     to this platform's binary and the rules.
# Idempotent: a second run with the same pins does nothing (each part keeps a stamp of its pins).
#
#   scripts/install-tools.sh          install or check
#   HAPLAT_TOOLS_DIR=DIR scripts/…    install somewhere else
set -euo pipefail

UV_VERSION="0.13.8"
CFN_LINT_VERSION="1.58.0"
MOTO_VERSION="5.2.5"
CHECKOV_VERSION="3.2.470"
CFNGUARD_PACKAGE_VERSION="0.0.62" # @cdklabs/cdk-validator-cfnguard: cfn-guard 3.1.1 + Control Tower rules

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${HAPLAT_TOOLS_DIR:-$root/.tools}"
uv_venv="$dir/uv"
uv="$uv_venv/bin/uv"
uv_stamp="$uv_venv/.haplat-pins"
uv_want="uv==$UV_VERSION"
venv="$dir/venv"
stamp="$venv/.haplat-pins"
want="cfn-lint==$CFN_LINT_VERSION moto[server,cloudformation]==$MOTO_VERSION"
checkov_venv="$dir/checkov"
checkov_stamp="$checkov_venv/.haplat-pins"
checkov_want="checkov==$CHECKOV_VERSION"
npm_dir="$dir/npm"
npm_stamp="$npm_dir/.haplat-pins"
npm_want="@cdklabs/cdk-validator-cfnguard@$CFNGUARD_PACKAGE_VERSION"
guard_package="$npm_dir/node_modules/@cdklabs/cdk-validator-cfnguard"

python_installed() {
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/cfn-lint" && -x "$venv/bin/moto_server" ]]
}
checkov_installed() {
  [[ -f "$checkov_stamp" && "$(cat "$checkov_stamp")" == "$checkov_want" && -x "$checkov_venv/bin/checkov" ]]
}
guard_installed() {
  [[ -f "$npm_stamp" && "$(cat "$npm_stamp")" == "$npm_want" && -x "$dir/bin/cfn-guard" && -d "$dir/guard-rules" ]]
}
installed() {
  python_installed && checkov_installed && guard_installed
}
installed && exit 0

# Test binaries may call this at the same time: one installs, the others wait for it.
mkdir -p "$dir"
exec 9>"$dir/.install.lock"
flock 9
installed && exit 0

python="${PYTHON:-python3}"
need_python() {
  if ! command -v "$python" >/dev/null 2>&1; then
    echo "install-tools: no python3 on this machine; cfn-lint, moto and checkov need Python 3.9 or newer" >&2
    exit 1
  fi
}

# uv, in its own venv (pip installs it: a prebuilt binary in a wheel).
need_uv() {
  if [[ -f "$uv_stamp" && "$(cat "$uv_stamp")" == "$uv_want" && -x "$uv" ]]; then
    return
  fi
  echo "install-tools: installing $uv_want into $uv_venv" >&2
  rm -rf "$uv_venv"
  "$python" -m venv "$uv_venv"
  "$uv_venv/bin/python" -m pip install --quiet --disable-pip-version-check "$uv_want" >&2
  echo "$uv_want" > "$uv_stamp"
}

# A fresh venv at $1 with the requirements $2..., stamped with $stamp_text. uv never fetches a
# Python of its own (this machine's is used), and compiles the bytecode as pip does: the tools
# run with PYTHONDONTWRITEBYTECODE on some machines, and would compile their modules each run.
make_venv() {
  local at="$1" stamp_text="$2"
  shift 2
  echo "install-tools: installing $stamp_text into $at" >&2
  rm -rf "$at"
  UV_PYTHON_DOWNLOADS=never "$uv" venv --quiet --python "$python" "$at" >&2
  UV_PYTHON_DOWNLOADS=never "$uv" pip install --quiet --compile-bytecode --python "$at/bin/python" "$@" >&2
}

install_python() {
  need_python
  # shellcheck disable=SC2086
  make_venv "$venv" "$want" $want
  "$venv/bin/cfn-lint" --version >&2
  echo "$want" > "$stamp"
}

install_checkov() {
  need_python
  make_venv "$checkov_venv" "$checkov_want" "$checkov_want"
  "$checkov_venv/bin/checkov" --version >&2
  echo "$checkov_want" > "$checkov_stamp"
}

install_guard() {
  if ! command -v npm >/dev/null 2>&1; then
    echo "install-tools: no npm on this machine; cfn-guard and the Control Tower rules come from npm ($npm_want)" >&2
    exit 1
  fi
  case "$(uname -s)" in
    Linux) platform=ubuntu ;; # the package calls every Linux build "ubuntu"
    Darwin) platform=macos ;;
    *) echo "install-tools: the npm package bundles cfn-guard for Linux and macOS only" >&2; exit 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) echo "install-tools: the npm package bundles cfn-guard for x86_64 and aarch64 only" >&2; exit 1 ;;
  esac
  echo "install-tools: installing $npm_want into $npm_dir" >&2
  rm -rf "$npm_dir" "$dir/bin/cfn-guard" "$dir/guard-rules"
  mkdir -p "$npm_dir" "$dir/bin"
  # --ignore-scripts: nothing of the package runs at install; we only use its files.
  npm install --prefix "$npm_dir" --no-save --no-audit --no-fund --ignore-scripts --loglevel=error "$npm_want" >&2
  ln -s "$guard_package/bin/$platform/$arch/cfn-guard" "$dir/bin/cfn-guard"
  ln -s "$guard_package/rules/control-tower/cfn-guard" "$dir/guard-rules"
  "$dir/bin/cfn-guard" --version >&2
  echo "$npm_want" > "$npm_stamp"
}

# The three parts share nothing but uv: they install side by side, and any failure fails the whole.
if ! python_installed || ! checkov_installed; then
  need_python
  need_uv
fi
pids=()
if ! python_installed; then install_python & pids+=($!); fi
if ! checkov_installed; then install_checkov & pids+=($!); fi
if ! guard_installed; then install_guard & pids+=($!); fi
failed=0
for pid in "${pids[@]}"; do
  wait "$pid" || failed=1
done
exit "$failed"
