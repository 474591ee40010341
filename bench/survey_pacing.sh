#!/usr/bin/env bash
# survey_pacing.sh BUILD [BASE_BUILD] - does `inkan survey run --qps Q`
# send at Q when answers are slow?  A private NSD on
# 127.0.0.1:${BENCH_PACING_PORT:-5385} behind a UDP proxy
# (tests/integration/survey/dnsproxy.py) on the next port that holds every
# answer DELAY ms (default 1000): Q x DELAY queries must be in flight to
# keep the cap.  N generated domains (default 3000), cap Q (default 4000).
# Prints the rate the proxy received (queries + stub resends, over the
# run) as a fraction of Q, for BUILD and, when given, BASE_BUILD (an older
# build, for the before/after figure), all in one run.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: survey_pacing.sh BUILD [BASE_BUILD]}
base=${2:-}
N=${N:-3000}
Q=${Q:-4000}
DELAY=${DELAY:-1000}
PORT=${BENCH_PACING_PORT:-5385}
PPORT=$((PORT + 1))
W=$build/bench-pacing
R=$W/run

# shellcheck source=tests/env/nsd.sh
. "$src/tests/env/nsd.sh"
stop_pid() {
	local p
	p=$(cat "$1" 2>/dev/null) || return 0
	{ tr '\0' ' ' < "/proc/$p/cmdline"; } 2>/dev/null | grep -qF "$2" || return 0
	kill -TERM "$p" 2>/dev/null || return 0
	for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null || true
}
cleanup() {
	stop_pid "$R/proxy.pid" dnsproxy.py
	stop_pid "$R/nsd.pid" "$R/nsd.conf"
}
cleanup
trap cleanup EXIT
rm -rf "$W"
mkdir -p "$W/gen/zones" "$R"
/usr/bin/python3 "$src/tests/integration/survey/gen.py" "$N" "$W/gen" 8
{
	nsd_server_conf "$W/gen/zones" "$R" "$PORT" | sed '/^remote-control:/,$d'
	printf '\trrl-ratelimit: 0\n\trrl-whitelist-ratelimit: 0\n'
	printf 'remote-control:\n\tcontrol-enable: no\n'
	for f in "$W"/gen/zones/*.zone; do
		z=$(basename "$f" .zone)
		printf 'zone:\n\tname: %s\n\tzonefile: %s.zone\n' "$z" "$z"
		sed -i "1i $z. 3600 IN SOA ns.$z. hostmaster.$z. 1 3600 600 86400 300\n$z. 3600 IN NS ns.$z." "$f"
	done
} > "$R/nsd.conf"
setsid nsd -d -c "$R/nsd.conf" >> "$R/nsd.log" 2>&1 &
echo $! > "$R/nsd.pid"
for _ in $(seq 1 200); do ss -lnu | grep -q "127.0.0.1:$PORT " && break; sleep 0.05; done

echo "== survey pacing: $N domains, --qps $Q, every answer delayed $DELAY ms (proxy on :$PPORT, NSD on :$PORT)"
echo "-- load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs"
one() {	# one LABEL INKAN
	stop_pid "$R/proxy.pid" dnsproxy.py
	/usr/bin/python3 "$src/tests/integration/survey/dnsproxy.py" "$PPORT" "$PORT" delay "$DELAY" \
	    > "$R/proxy.out" &
	echo $! > "$R/proxy.pid"
	for _ in $(seq 1 100); do ss -lnu | grep -q "127.0.0.1:$PPORT " && break; sleep 0.05; done
	rm -f "$W/$1.db"*
	local t0 t1 secs got sent
	t0=$(date +%s.%N)
	"$2" survey run --resolver "127.0.0.1@$PPORT" --no-dnssec --timeout 5000 --qps "$Q" \
	    --db "$W/$1.db" "$W/gen/domains.txt" 2> "$W/$1.err"
	t1=$(date +%s.%N)
	stop_pid "$R/proxy.pid" dnsproxy.py
	got=$(sed -n 's/received //p' "$R/proxy.out")
	sent=$(sed -n 's/.* \([0-9]*\) queries sent.*/\1/p' "$W/$1.err")
	secs=$(echo "$t1 - $t0" | bc)
	# The steady rate: the median of the per-second packet counts at the
	# proxy, leaving out the first and the last second (partial) and the
	# tail where only the slow answers of the last domains are awaited.
	steady=$(sed -n 's/per_second //p' "$R/proxy.out" | tr ',' '\n' |
	    /usr/bin/python3 -c 'import sys, statistics
c = [int(x) for x in sys.stdin.read().split()][1:-1]
busy = [x for x in c if x > 0.2 * max(c)] if c else [0]
print(int(statistics.median(busy)))')
	echo "$1: $sent queries ($got packets at the proxy) in $secs s;" \
	    "steady send rate $steady q/s = $(echo "scale=1; 100 * $steady / $Q" | bc) % of --qps $Q;" \
	    "per second: $(sed -n 's/per_second //p' "$R/proxy.out")"
}
one inkan "$build/src/inkan/inkan"
[ -n "$base" ] && one base "$base/src/inkan/inkan"
echo "-- load after: $(cut -d' ' -f1-3 /proc/loadavg)"
