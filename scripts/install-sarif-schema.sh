#!/usr/bin/env bash
# Fetches the official SARIF 2.1.0 JSON schema, which Microsoft's SARIF multitool ships in its npm
# package, into the tools folder (.tools/sarif, a folder git ignores), and prints its path.
# haplat-check's tests validate `haplat check --format sarif` against it. Idempotent: a second
# run with the same pin only prints the path.
#
#   scripts/install-sarif-schema.sh          install or check
#   HAPLAT_TOOLS_DIR=DIR scripts/…           install somewhere else
set -euo pipefail

PACKAGE="@microsoft/sarif-multitool-linux@5.7.0"
SHA256="1c49a0f2b60444c71bb14878e21e0d882198eff4c539861b133093ad89ed798c"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${HAPLAT_TOOLS_DIR:-$root/.tools}/sarif"
schema="$dir/sarif-2.1.0.json"

installed() {
  [[ -f "$schema" ]] && echo "$SHA256  $schema" | sha256sum --check --status
}
if installed; then echo "$schema"; exit 0; fi

# Test binaries may call this at the same time: one installs, the others wait for it.
mkdir -p "$dir"
exec 9>"$dir/.install.lock"
flock 9
if installed; then echo "$schema"; exit 0; fi

if ! command -v npm >/dev/null 2>&1; then
  echo "install-sarif-schema: no npm on this machine; it fetches $PACKAGE from the npm registry" >&2
  exit 1
fi
echo "install-sarif-schema: fetching $PACKAGE for its sarif-2.1.0.json" >&2
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$PACKAGE" >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp" package/sarif-2.1.0.json
cp "$tmp/package/sarif-2.1.0.json" "$schema.new"
if ! echo "$SHA256  $schema.new" | sha256sum --check --status; then
  echo "install-sarif-schema: $PACKAGE's sarif-2.1.0.json is not the pinned one (sha256 $SHA256)" >&2
  rm -f "$schema.new"
  exit 1
fi
mv "$schema.new" "$schema"
echo "$schema"
