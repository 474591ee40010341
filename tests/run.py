"""run.py - run every inkan test program and count TAP results.

Usage: run.py BUILD [ASAN_BUILD]

Runs, in order:
  1. unit, conformance and fuzz-corpus replay programs of BUILD (from
     `meson introspect --tests`),
  2. tests/cli, tests/integration and tests/interop scripts (*.sh, and
     test_*.py) with BUILD: the CLI, real servers on loopback, peers,
  3. unit, conformance and fuzz replay of ASAN_BUILD (ASan+UBSan).
Each program prints TAP.  "not ok ... # TODO" is a known failure (listed
with its reason by the program), "ok ... # SKIP" a skipped case; neither
counts as passed.  A program that exits non-zero or dies without a
"not ok" line counts as one failure.  The last line is the total.
"""
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TAP = re.compile(r"^(not ok|ok)\b\s*\d*\s*-?\s*(.*)$")
totals = {"passed": 0, "failed": 0, "known": 0, "skipped": 0}
failed_programs = []


def run(name, cmd, env=None, cwd=ROOT, timeout=1800):
    t0 = time.time()
    full_env = dict(os.environ)
    # UBSan only prints by default; a test must fail on undefined behaviour.
    full_env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
    full_env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    full_env.update(env or {})
    try:
        p = subprocess.run(cmd, cwd=cwd, env=full_env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        out, rc = p.stdout.decode("utf-8", "replace"), p.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b"").decode("utf-8", "replace"), "timeout"
    counts = {"passed": 0, "failed": 0, "known": 0, "skipped": 0}
    bad_lines = []
    for line in out.splitlines():
        m = TAP.match(line)
        if not m:
            continue
        ok, rest = m.group(1) == "ok", m.group(2)
        if "# TODO" in rest:
            counts["known"] += 1
        elif "# SKIP" in rest or "# skip" in rest:
            counts["skipped"] += 1
        elif ok:
            counts["passed"] += 1
        else:
            counts["failed"] += 1
            bad_lines.append(line)
    if rc != 0 and counts["failed"] == 0:
        counts["failed"] += 1
        bad_lines.append("exit status %s" % rc)
    for k in totals:
        totals[k] += counts[k]
    status = "FAIL" if counts["failed"] else "PASS"
    extra = ""
    if counts["known"]:
        extra += ", %d known" % counts["known"]
    if counts["skipped"]:
        extra += ", %d skipped" % counts["skipped"]
    print("%s %-40s %5d passed, %d failed%s  (%.1fs)" % (
        status, name, counts["passed"], counts["failed"], extra, time.time() - t0))
    if counts["failed"]:
        failed_programs.append(name)
        tail = out.splitlines()[-40:]
        for line in bad_lines[:20]:
            print("    " + line)
        print("    --- last output lines ---")
        for line in tail:
            print("    | " + line)
    sys.stdout.flush()


def meson_tests(build, label, suites):
    info = json.loads(subprocess.check_output(
        ["meson", "introspect", build, "--tests"], cwd=ROOT))
    for t in info:
        if not set(t.get("suite", [])) & suites:
            # meson prefixes suites with the project name
            if not {s.split(":")[-1] for s in t.get("suite", [])} & suites:
                continue
        env = dict(t.get("env") or {})
        env.setdefault("CMOCKA_MESSAGE_OUTPUT", "TAP")
        run("%s/%s" % (label, t["name"]), t["cmd"], env=env,
            cwd=t.get("workdir") or ROOT, timeout=t.get("timeout") or 1800)


def scripts(build, directory):
    d = os.path.join(ROOT, "tests", directory)
    if not os.path.isdir(d):
        return
    for f in sorted(os.listdir(d)):
        if f.endswith(".sh"):
            cmd = ["bash"]
        elif f.endswith(".py") and f.startswith("test_"):
            cmd = ["/usr/bin/python3"]
        else:
            continue
        run("%s/%s" % (directory, f.rsplit(".", 1)[0]),
            cmd + [os.path.join(d, f), os.path.abspath(build)])


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: run.py BUILD [ASAN_BUILD]")
    build = sys.argv[1]
    asan = sys.argv[2] if len(sys.argv) > 2 else None
    meson_tests(build, "build", {"unit", "conformance", "fuzz"})
    scripts(build, "cli")
    scripts(build, "integration")
    scripts(build, "interop")
    if asan:
        meson_tests(asan, "asan", {"unit", "conformance", "fuzz"})
    print()
    if failed_programs:
        print("failed programs: " + ", ".join(failed_programs))
    print("inkan tests: %d passed, %d failed, %d known failures, %d skipped" % (
        totals["passed"], totals["failed"], totals["known"], totals["skipped"]))
    sys.exit(1 if totals["failed"] else 0)


if __name__ == "__main__":
    main()
