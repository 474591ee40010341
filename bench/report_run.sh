#!/bin/sh
# report_run.sh BUILD - DMARC aggregate report ingestion: reports/s and MB/s
# of XML against libxml2's own parse of the same bytes (the limit), in one
# process (BUILD/bench/report_bench; see its header), then end to end: the
# CLI `inkan report ingest` over the same corpus as files, and xmllint
# --noout and --stream over the XML files for reference.  Work files in
# BUILD/report-run.  Prints the figures and the load average during the
# run.  Never fails on a figure.
#
# Environment: BENCH_ROUNDS (5), BENCH_MIN_TIME seconds per round (1).
set -eu

BUILD=${1:-build-bench}
BUILD=$(cd "$BUILD" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$BUILD/report-run
B=$BUILD/bench/report_bench
INKAN=$BUILD/src/inkan/inkan
[ -x "$B" ] || { echo "report_run.sh: $B missing; build first (make bench)" >&2; exit 1; }
rm -rf "$W"
mkdir -p "$W"

( while :; do cut -d' ' -f1 /proc/loadavg >> "$W/load"; sleep 2; done ) &
LOAD_PID=$!
trap 'kill $LOAD_PID 2>/dev/null || true' EXIT

now() { date +%s.%N; }
rate() { # label seconds reports bytes
	awk -v w="$1" -v s="$2" -v n="$3" -v b="$4" 'BEGIN { printf "%-54s %9.0f reports/s %8.1f MB/s of XML\n", w, n / s, b / s / 1e6 }'
}

echo "== report_bench, $(date -u '+%Y-%m-%dT%H:%M:%SZ'), $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
"$B" --rounds "${BENCH_ROUNDS:-5}" --min-time "${BENCH_MIN_TIME:-1}" "$W" \
    "$SRC/tests/data/reports/dmarc-aggregate" | grep -v '^@ '

N=$(ls "$W/corpus/xml" | wc -l)
BYTES=$(cat "$W"/corpus/xml/* | wc -c)
echo "end to end, the synthetic corpus as $N files (best of 3 runs each):"
best() { sort -n | head -1; }
for i in 1 2 3; do
	rm -f "$W/cli.db" "$W/cli.db-wal" "$W/cli.db-shm"
	t0=$(now); "$INKAN" report ingest --db "$W/cli.db" "$W/corpus/gz" > /dev/null; t1=$(now)
	echo "$t1 $t0" | awk '{ print $1 - $2 }'
done | best > "$W/t.cli"
rate "inkan report ingest (the .xml.gz files, new store)" "$(cat "$W/t.cli")" "$N" "$BYTES"
for i in 1 2 3; do
	t0=$(now); xmllint --noout "$W"/corpus/xml/*.xml; t1=$(now)
	echo "$t1 $t0" | awk '{ print $1 - $2 }'
done | best > "$W/t.xmllint"
rate "xmllint --noout (the .xml files, one process)" "$(cat "$W/t.xmllint")" "$N" "$BYTES"
for i in 1 2 3; do
	t0=$(now); xmllint --stream --noout "$W"/corpus/xml/*.xml; t1=$(now)
	echo "$t1 $t0" | awk '{ print $1 - $2 }'
done | best > "$W/t.stream"
rate "xmllint --stream --noout (the same)" "$(cat "$W/t.stream")" "$N" "$BYTES"
kill $LOAD_PID 2>/dev/null || true
echo "load average (1 min) samples during the run: $(tr '\n' ' ' < "$W/load")"
