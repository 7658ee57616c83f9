#!/usr/bin/env python3
"""Runs the test binaries one `cargo test --no-run --message-format=json` build made, two at a
time, as cargo test would run each (from its package's directory, with cargo's variables).

cargo test runs test binaries one after another; several of haplat's spend most of their time
waiting (on moto, on the commands they start), so two cores sit half idle (docs/build-cost.md).
The integration-test binaries, the longest, start first (the longest of them first, then by
package and name). Each binary's output is printed whole when it ends; the exit code is 1 when
any binary failed.

    scripts/run-tests.py BUILD.jsonl [-- ARGS FOR EACH TEST BINARY]
"""

import concurrent.futures
import json
import os
import subprocess
import sys
import time

WORKERS = 2

# The longest test binaries, longest first (`package/target`; their times on a fresh clone are in
# docs/build-cost.md): the CLI's on one worker, the others after each other on the second, so that
# the two end together; and the app snapshots, which build the apps with cargo, start before the
# CLI's init test holds cargo's lock for its project's build.
LONGEST = ["haplat-cli/it", "haplat-tests/apps", "haplat-constructs/it", "haplat-check/it"]


def longest_first(binary):
    """The binary's place in LONGEST, or after them all."""
    name = f"{binary[0]}/{binary[1]}"
    return LONGEST.index(name) if name in LONGEST else len(LONGEST)


def binaries(path):
    """(package, target, kind, executable, manifest) of every test binary in cargo's JSON."""
    found = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            line = line.strip()
            if not line.startswith("{"):
                continue
            message = json.loads(line)
            if message.get("reason") != "compiler-artifact" or not message.get("executable"):
                continue
            if not message.get("profile", {}).get("test"):
                continue
            target = message["target"]
            package = message["package_id"]
            # `path+file:///…/haplat-cli#0.1.0` or `registry…#name@1.0`: the name.
            name = package.rsplit("/", 1)[-1].split("#")[0]
            if "#" in package and "@" in package.split("#")[-1]:
                name = package.split("#")[-1].split("@")[0]
            found.append((name, target["name"], target["kind"][0], message["executable"], message["manifest_path"]))
    return found


def run(binary, args):
    package, target, kind, exe, manifest = binary
    env = dict(os.environ)
    env["CARGO_MANIFEST_DIR"] = os.path.dirname(manifest)
    env["CARGO_PKG_NAME"] = package
    env.setdefault("CARGO", "cargo")
    start = time.monotonic()
    child = subprocess.Popen(
        [exe, *args], cwd=os.path.dirname(manifest), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output = child.stdout.read()
    child.stdout.close()
    # wait4: the CPU time of the binary and of what it started and waited for (cfn-lint, cargo,
    # the tools), to see where a run's time goes. Not the emulator's servers: the CLI's tests
    # fork them from one pool (haplat-cli/tests/it/harness.rs) that outlives the binary's wait.
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    took = time.monotonic() - start
    cpu = usage.ru_utime + usage.ru_stime
    header = f"     Running {kind} {target} of {package} ({os.path.relpath(exe)}) in {took:.1f} s, CPU {cpu:.1f} s"
    return binary, child.returncode, header + "\n" + output.decode("utf-8", "replace")


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    args = sys.argv[2:]
    if args and args[0] == "--":
        args = args[1:]
    found = binaries(sys.argv[1])
    if not found:
        print("run-tests: the build listed no test binary", file=sys.stderr)
        return 1
    # Integration tests (`tests/`) first, they are the long ones, the longest of them first
    # (LONGEST); then by package and name: a fixed order (cargo lists them as they finish
    # building), so that a run's length does not depend on which long one happened to be last.
    found.sort(key=lambda b: (b[2] != "test", longest_first(b), b[0], b[1]))
    failed = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for binary, code, output in pool.map(lambda b: run(b, args), found):
            sys.stdout.write(output)
            sys.stdout.flush()
            if code != 0:
                failed.append(f"{binary[2]} {binary[1]} of {binary[0]} (exit {code})")
    if failed:
        print("run-tests: failed: " + "; ".join(failed), file=sys.stderr)
        return 1
    print(f"run-tests: {len(found)} test binaries passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
