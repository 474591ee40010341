#!/usr/bin/env bash
# survey_bench.sh BUILD [N] - `inkan survey` domains/s against a private
# NSD on 127.0.0.1:${BENCH_SURVEY_PORT:-5372} (RRL off), next to (a) a
# Python asyncio + dnspython script doing the same lookups
# (bench/survey_dnspython.py) and (b) NSD's raw query rate (dnsperf over
# the survey's step-1 queries), all in one run.  N domains (default
# 100000) from tests/integration/survey/gen.py.  Prints the figures.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: survey_bench.sh BUILD [N]}
case $build in /*) ;; *) build=$PWD/$build ;; esac
N=${2:-100000}
PORT=${BENCH_SURVEY_PORT:-5372}
PERF_SECS=${PERF_SECS:-10}
PY_N=${PY_N:-10000}
W=$build/bench-survey
R=$W/run
inkan=$build/src/inkan/inkan

# shellcheck source=tests/env/nsd.sh
. "$src/tests/env/nsd.sh"
stop_nsd() {
	local p
	p=$(cat "$R/nsd.pid" 2>/dev/null) || return 0
	{ tr '\0' ' ' < "/proc/$p/cmdline"; } 2>/dev/null | grep -qF "$R/nsd.conf" || return 0
	kill -TERM "$p" 2>/dev/null || return 0
	for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null || true
}
stop_nsd
trap stop_nsd EXIT
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

echo "== survey bench: $N domains, NSD $(nsd -v 2>&1 | head -1 | awk '{print $3}') on 127.0.0.1:$PORT (server-count 1, RRL off)"
echo "-- load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs"

timev=()
[ -x /usr/bin/time ] && timev=(/usr/bin/time -v -o "$W/inkan.time")
t0=$(date +%s.%N)
"${timev[@]}" "$inkan" survey run --resolver "127.0.0.1@$PORT" --no-dnssec --db "$W/inkan.db" \
    "$W/gen/domains.txt" 2> "$W/inkan.err"
t1=$(date +%s.%N)
[ -s "$W/inkan.time" ] && echo "inkan survey max RSS: $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$W/inkan.time") KB"
secs=$(echo "$t1 - $t0" | bc)
q=$(sed -n 's/.* \([0-9]*\) queries sent.*/\1/p' "$W/inkan.err")
echo "inkan survey (stub):  $N domains in $secs s = $(echo "$N / $secs" | bc) domains/s; ${q:-?} queries sent ($(echo "scale=2; ${q:-0} / $N" | bc)/domain)"

head -n "$PY_N" "$W/gen/domains.txt" > "$W/py.txt"
/usr/bin/python3 "$src/bench/survey_dnspython.py" 127.0.0.1 "$PORT" "$W/py.txt" 500 > "$W/py.out"
read -r _ pn _ ps _ pq < "$W/py.out"
echo "python asyncio+dnspython: $pn domains in $ps s = $(echo "$pn / $ps" | bc) domains/s; $pq queries ($(echo "scale=2; $pq / $pn" | bc)/domain)"

awk '{d=$1; print d, "MX"; print d, "TXT"; print "_dmarc." d, "TXT"; print "_mta-sts." d, "TXT";
     print "_smtp._tls." d, "TXT"; print "default._bimi." d, "TXT"; print "_domainkey." d, "TXT"}' \
    "$W/gen/domains.txt" > "$W/perf.queries"
dnsperf -s 127.0.0.1 -p "$PORT" -d "$W/perf.queries" -l "$PERF_SECS" > "$W/dnsperf.out" 2>&1 || true
qps=$(sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p' "$W/dnsperf.out")
echo "dnsperf (NSD raw):    ${qps:-?} queries/s"
if [ -n "$qps" ] && [ -n "$q" ]; then
	ceil=$(echo "$qps * $N / $q" | bc)
	echo "ceiling at $(echo "scale=2; $q / $N" | bc) queries/domain: $ceil domains/s; inkan reaches $(echo "scale=2; 100 * $N / $secs / $ceil" | bc) %"
fi
echo "-- load after: $(cut -d' ' -f1-3 /proc/loadavg)"
