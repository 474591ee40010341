#!/bin/sh
# verify_run.sh BUILD - whole-message verification per second on one core:
# inkan's verify session (SPF + DKIM + ARC + DMARC + Authentication-Results)
# against libopendkim + libspf2 + libopendmarc glued as a milter pair does
# it, on the same corpus in the same run (BUILD/bench/verify_bench; see its
# header for how each side is driven).  The corpus, zone and key file are
# left in BUILD/verify-run.  Prints the figures and the load average during
# the run.  Never fails on a figure: benchmarks measure, tests judge.
#
# Environment: BENCH_ROUNDS (5), BENCH_MIN_TIME seconds per round (1),
# BENCH_VERIFY_COUNT messages (400).
set -eu

BUILD=${1:-build-bench}
BUILD=$(cd "$BUILD" && pwd)
W=$BUILD/verify-run
B=$BUILD/bench/verify_bench
[ -x "$B" ] || { echo "verify_run.sh: $B missing; build first (make bench)" >&2; exit 1; }
rm -rf "$W"
mkdir -p "$W"

( while :; do cut -d' ' -f1 /proc/loadavg >> "$W/load"; sleep 2; done ) &
LOAD_PID=$!
trap 'kill $LOAD_PID 2>/dev/null || true' EXIT

echo "== verify_bench, $(date -u '+%Y-%m-%dT%H:%M:%SZ'), $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
"$B" --rounds "${BENCH_ROUNDS:-5}" --min-time "${BENCH_MIN_TIME:-1}" \
    --count "${BENCH_VERIFY_COUNT:-400}" "$W" | grep -v '^@ '
kill $LOAD_PID 2>/dev/null || true
echo "load average (1 min) samples during the run: $(tr '\n' ' ' < "$W/load")"
