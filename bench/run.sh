#!/bin/sh
# run.sh BUILD - SPF checks per second of inkan, libspf2 and pyspf.
#
#   (a) warm cache, one core: BUILD/bench/spf_bench warm (inkan and
#       libspf2 in one process, verdicts compared) and bench/pyspf_bench.py
#       over bench/data/warm.{zone,checks}.
#   (b) cold, through a private NSD on 127.0.0.1:$BENCH_NSD_PORT: dnsperf
#       measures what NSD can answer with the queries the checks cause;
#       libspf2 checks one after the other (on NSD's CPU and on the other);
#       bench/unbound_modes shows what libunbound alone manages;
#       `inkan spf check --batch` runs the checks concurrently, forwarding
#       to the NSD through its stub backend and through libunbound, a
#       fresh process (empty cache) per run.
#
# Prints the figures and a table at the end (also in BUILD/bench-run/
# table.txt).  Never fails on a figure: benchmarks measure, tests judge.
#
# Environment: BENCH_NSD_PORT (5399), BENCH_COLD_N checks and domains in
# (b) (10000), BENCH_COLD_RUNS runs of each cold measurement, the median
# is kept (3), BENCH_DNSPERF_SECS (10), BENCH_ROUNDS warm rounds (5),
# BENCH_MIN_TIME seconds per warm round (1), BENCH_SKIP "warm" or "cold"
# to run one part only.
set -eu

BUILD=${1:-build-bench}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$BUILD" && pwd)
PY=/usr/bin/python3
PORT=${BENCH_NSD_PORT:-5399}
COLD_N=${BENCH_COLD_N:-10000}
RUNS=${BENCH_COLD_RUNS:-3}
PERF_SECS=${BENCH_DNSPERF_SECS:-10}
ROUNDS=${BENCH_ROUNDS:-5}
MIN_TIME=${BENCH_MIN_TIME:-1}
SKIP=${BENCH_SKIP:-}
W=$BUILD/bench-run
SPF_BENCH=$BUILD/bench/spf_bench
INKAN=$BUILD/src/inkan/inkan

for f in "$SPF_BENCH" "$INKAN"; do
	[ -x "$f" ] || { echo "run.sh: $f missing; build first (make bench)" >&2; exit 1; }
done

rm -rf "$W"
mkdir -p "$W/nsd"
: > "$W/figures"

NSD_PID=
LOAD_PID=
cleanup() {
	if [ -n "$NSD_PID" ]; then
		kill "$NSD_PID" 2>/dev/null || true
		i=0
		while kill -0 "$NSD_PID" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -9 "$NSD_PID" 2>/dev/null || true
		NSD_PID=
	fi
	if [ -n "$LOAD_PID" ]; then
		kill "$LOAD_PID" 2>/dev/null || true
		LOAD_PID=
	fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# figures FILE: keep the "@ key value" lines for the table.
figures() { grep '^@ ' "$1" >> "$W/figures" || true; }
note() { echo "@ $1 $2" >> "$W/figures"; }

# The load average every 2 s while we run (other agents may be busy).
( while :; do cut -d' ' -f1 /proc/loadavg >> "$W/load"; sleep 2; done ) &
LOAD_PID=$!

note date "$(date -u '+%Y-%m-%dT%H:%M:%SZ')"
note nproc "$(nproc)"
note cpu "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //' | tr ' ' '_')"
note load_start "$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/')"

echo "== (a) warm cache, one core: bench/data/warm.zone, bench/data/warm.checks"
if [ "$SKIP" != warm ]; then
	# The checked-in data must be what the generator makes.
	mkdir -p "$W/regen"
	"$PY" "$SRC/bench/gen_data.py" warm "$W/regen"
	for f in warm.zone warm.checks; do
		cmp -s "$W/regen/$f" "$SRC/bench/data/$f" ||
		    echo "run.sh: WARNING: bench/data/$f differs from gen_data.py's output"
	done
	"$SPF_BENCH" warm --rounds "$ROUNDS" --min-time "$MIN_TIME" --verdicts "$W/verdicts" \
	    "$SRC/bench/data/warm.zone" "$SRC/bench/data/warm.checks" | tee "$W/warm.out"
	figures "$W/warm.out"
	"$PY" "$SRC/bench/pyspf_bench.py" --rounds 3 --min-time 3 --verdicts "$W/verdicts" \
	    "$SRC/bench/data/warm.zone" "$SRC/bench/data/warm.checks" | tee "$W/pyspf.out"
	figures "$W/pyspf.out"
fi

if [ "$SKIP" != cold ]; then
	echo "== (b) cold: $COLD_N checks over $COLD_N domains, NSD on 127.0.0.1:$PORT"
	"$PY" "$SRC/bench/gen_data.py" cold "$W" "$COLD_N"
	note cold_n "$COLD_N"

	# A private NSD (TESTENV.md §2): foreground, its own files, no
	# rate limiting (NSD's RRL would throttle one client at 200 qps).
	cp "$W/cold.zone" "$W/nsd/bench.zone"
	cat > "$W/nsd/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1@$PORT
  do-ip6: no
  server-count: 1
  username: ""
  chroot: ""
  database: ""
  zonesdir: "$W/nsd"
  pidfile: "$W/nsd/nsd.pid"
  xfrdfile: "$W/nsd/xfrd.state"
  xfrdir: "$W/nsd"
  zonelistfile: "$W/nsd/zone.list"
  logfile: "$W/nsd/nsd.log"
  verbosity: 1
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: bench.
  zonefile: bench.zone
EOF
	# NSD runs on CPU 0.  A one-by-one client's speed is its round-trip
	# time, which on a virtual machine depends on where the client runs:
	# on NSD's CPU a query is a context switch (~15 us), on the other
	# CPU it waits for a halted virtual CPU to wake (~60 us or more).  So
	# libspf2 is measured on both, explicitly.  dnsperf (the issue's
	# command) and inkan are not pinned: inkan's resolver has a thread of
	# its own.
	ON0= ON1=
	if [ "$(nproc)" -ge 2 ] && command -v taskset > /dev/null; then
		ON0="taskset -c 0" ON1="taskset -c 1"
	fi
	$ON0 nsd -d -c "$W/nsd/nsd.conf" &
	NSD_PID=$!
	# Ready when the last name of the zone answers.
	last=$(tail -n 1 "$W/cold.queries")
	i=0
	until ss -lnu | grep -q "127.0.0.1:$PORT " &&
	    drill -p "$PORT" @127.0.0.1 $last 2>/dev/null | grep -q 'rcode: NOERROR'; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$NSD_PID" 2>/dev/null; then
			echo "run.sh: NSD did not start; see $W/nsd/nsd.log" >&2
			exit 1
		fi
		sleep 0.1
	done
	note nsd "$(nsd -v 2>&1 | head -n 1 | sed 's/NSD version //')"

	echo "-- NSD's own rate: dnsperf -s 127.0.0.1 -p $PORT -d cold.queries -l $PERF_SECS"
	dnsperf -s 127.0.0.1 -p "$PORT" -d "$W/cold.queries" -l "$PERF_SECS" > "$W/dnsperf.out" 2>&1 || true
	grep -E 'Queries (sent|completed|lost)|Queries per second|Average Latency' "$W/dnsperf.out" || true
	note nsd_qps "$(awk '/Queries per second/ { print $4 }' "$W/dnsperf.out")"

	echo "-- libspf2, one check after the other (SPF_DNS_RESOLV, no cache)"
	for where in other same; do
		[ -z "$ON0" ] && [ $where = same ] && continue
		pin=$ON1
		[ $where = same ] && pin=$ON0
		echo "   on the $where CPU as NSD:"
		r=1
		while [ $r -le "$RUNS" ]; do
			$pin "$SPF_BENCH" cold --ns "127.0.0.1@$PORT" "$W/cold.checks" |
			    sed "s/^@ cold.libspf2.cps/@ cold.libspf2_$where.run$r/" |
			    tee -a "$W/libspf2-cold.out" | { grep -v '^@' || true; }
			r=$((r + 1))
		done
	done
	figures "$W/libspf2-cold.out"

	# What libunbound alone manages with the same queries, through the
	# API async_unbound.c uses (a resolver thread fed through a pipe) and
	# through its event API: the ceiling of any client built on it.
	if [ -x "$BUILD/bench/unbound_modes" ]; then
		echo "-- libunbound alone: bench/unbound_modes thread|event, cold.queries"
		r=1
		while [ $r -le "$RUNS" ]; do
			for m in thread event; do
				"$BUILD/bench/unbound_modes" $m "127.0.0.1@$PORT" "$W/cold.queries" |
				    sed "s/^@ unbound.$m.qps/@ unbound.$m.qps.run$r/; s/^@ unbound.$m.cpu_us/@ unbound.$m.cpu.run$r/" |
				    tee -a "$W/unbound.out" | { grep -v '^@' || true; }
			done
			r=$((r + 1))
		done
		figures "$W/unbound.out"
	fi

	# inkan: the lean stub (what --batch picks with one --resolver and
	# --no-dnssec) and libunbound (what it uses when validating), each a
	# fresh process per run.
	for be in stub unbound; do
	echo "-- inkan spf check --batch --resolver 127.0.0.1@$PORT --no-dnssec --async-backend $be (fresh process each run)"
	r=1
	while [ $r -le "$RUNS" ]; do
		t0=$(date +%s.%N)
		rc=0
		/usr/bin/time -f '%U %S' -o "$W/inkan-cold.$be.$r.cpu" \
		"$INKAN" spf check --batch "$W/cold.checks" --resolver "127.0.0.1@$PORT" \
		    --no-dnssec --async-backend $be > "$W/inkan-cold.$be.$r.json" \
		    2> "$W/inkan-cold.$be.$r.err" || rc=$?
		t1=$(date +%s.%N)
		"$PY" - "$W/inkan-cold.$be.$r.json" "$t0" "$t1" "$rc" "$r" "$W/inkan-cold.$be.$r.cpu" \
		    "$be" >> "$W/inkan-cold.out" <<'EOF'
import collections, json, sys
path, t0, t1, rc, run, be = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], \
    sys.argv[5], sys.argv[7]
try:
	cpu = sum(float(x) for x in open(sys.argv[6]).read().split()[-2:])
except (OSError, ValueError):
	cpu = 0.0
n = q = 0
hist = collections.Counter()
for line in open(path):
	o = json.loads(line)
	n += 1
	hist[o.get("result", "error:" + str(o.get("error")))] += 1
	q += o.get("dns_queries", 0)
el = t1 - t0
print("inkan cold (%s) run %s: %d checks in %.3f s = %.0f checks/s, exit %s, %.2f queries/check, "
    "%.1f us CPU per query; %s" % (be, run, n, el, n / el, rc, q / max(n, 1), cpu * 1e6 / max(q, 1),
    " ".join("%s=%d" % kv for kv in sorted(hist.items()))))
print("@ cold.inkan_%s.run%s %.0f" % (be, run, n / el))
print("@ cold.inkan_%s.cpu.run%s %.1f" % (be, run, cpu * 1e6 / max(q, 1)))
print("@ cold.inkan.qpc %.2f" % (q / max(n, 1)))
EOF
		grep -v '^@' "$W/inkan-cold.out" | tail -n 1 || true
		r=$((r + 1))
	done
	done
	figures "$W/inkan-cold.out"
	cleanup
fi

kill "$LOAD_PID" 2>/dev/null || true
LOAD_PID=
note load_end "$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/')"
note load_samples "$(tr '\n' ',' < "$W/load" | sed 's/,$//')"

"$PY" - "$W/figures" > "$W/table.txt" <<'EOF'
import statistics, sys
f = {}
series = {}	# "cold.inkan" -> [run figures]
for line in open(sys.argv[1]):
	w = line.split(None, 2)
	if len(w) < 3:
		continue
	k, v = w[1], w[2].strip()
	base, _, run = k.rpartition(".")
	if run.startswith("run"):
		series.setdefault(base, []).append(float(v))
	f[k] = v
def med(k):
	return statistics.median(series[k]) if series.get(k) else None
def runs_of(k):
	return " ".join("%.0f" % x if x >= 100 else "%.1f" % x for x in series.get(k, []))
def num(k):
	try:
		return float(f[k])
	except (KeyError, ValueError):
		return None
load = [float(x) for x in f.get("load_samples", "").split(",") if x]
print("SPF benchmark, %s, %s x %s" % (f.get("date"), f.get("nproc"), f.get("cpu", "?").replace("_", " ")))
if load:
	print("load average (1 min) during the run: min %.2f, mean %.2f, max %.2f (start %s, end %s)"
	    % (min(load), statistics.mean(load), max(load), f.get("load_start"), f.get("load_end")))
ik, ik1, sp, py = num("warm.inkan.cps"), num("warm.inkan_check_only.cps"), num("warm.libspf2.cps"), num("warm.pyspf.cps")
if ik:
	print()
	print("(a) warm cache, one core, 1000 checks over 50 domains (median of rounds)")
	print("    %-36s %12s" % ("", "checks/s"))
	print("    %-36s %12.0f" % ("inkan  (check + Received-SPF)", ik))
	if ik1:
		print("    %-36s %12.0f" % ("inkan  (check only)", ik1))
	if sp:
		print("    %-36s %12.0f" % ("libspf2 (check + Received-SPF)", sp))
	if py:
		print("    %-36s %12.0f" % ("pyspf  (check)", py))
	if sp:
		print("    inkan / libspf2 = %.2f   (goal >= 2)" % (ik / sp))
	if py:
		print("    inkan / pyspf   = %.1f" % ((ik1 or ik) / py))
	print("    verdict disagreements: inkan-libspf2 %s, pyspf-inkan %s, pyspf-libspf2 %s" % (
	    f.get("warm.disagree.inkan_libspf2", "?"), f.get("warm.disagree.pyspf_inkan", "?"),
	    f.get("warm.disagree.pyspf_libspf2", "?")))
nsd, qpc, spc, spc0 = num("nsd_qps"), num("cold.inkan.qpc"), med("cold.libspf2_other"), \
    med("cold.libspf2_same")
if series.get("cold.inkan_stub") or series.get("cold.inkan_unbound") or spc:
	print()
	print("(b) cold, %s checks over as many domains, NSD %s on 127.0.0.1 (server-count 1, CPU 0)"
	    % (f.get("cold_n"), f.get("nsd")))
	if nsd:
		print("    NSD alone (dnsperf, the same queries)  %10.0f queries/s" % nsd)
	if nsd and qpc:
		bound = nsd / qpc
		print("    queries per check (inkan)              %10.2f" % qpc)
		print("    bound = nsd_qps / queries per check    %10.0f checks/s" % bound)
	for m in ("thread", "event"):
		if series.get("unbound.%s.qps" % m):
			print("    libunbound alone, %-6s API            %10.0f queries/s, %.1f us CPU/query   runs: %s"
			    % (m, med("unbound.%s.qps" % m), med("unbound.%s.cpu" % m),
			    runs_of("unbound.%s.qps" % m)))
	if spc:
		print("    libspf2, one by one, other CPU than NSD %9.0f checks/s   runs: %s"
		    % (spc, runs_of("cold.libspf2_other")))
	if spc0:
		print("    libspf2, one by one, NSD's CPU (best)  %10.0f checks/s   runs: %s"
		    % (spc0, runs_of("cold.libspf2_same")))
	for be, label in (("stub", "inkan --batch, stub backend"),
	    ("unbound", "inkan --batch, libunbound backend")):
		runs = series.get("cold.inkan_" + be)
		if not runs:
			continue
		m = statistics.median(runs)
		print("    %-38s %10.0f checks/s   runs: %s" % (label, m, runs_of("cold.inkan_" + be)))
		print("      CPU per query (user+sys)             %10.1f us" % med("cold.inkan_%s.cpu" % be))
		if spc:
			print("      / libspf2 (other CPU) = %.1f   (goal >= 10)" % (m / spc))
		if spc0:
			print("      / libspf2 (NSD's CPU) = %.1f" % (m / spc0))
		print("      / 2,200 (the issue's libspf2 figure) = %.1f" % (m / 2200))
		if nsd and qpc:
			print("      / bound = %.2f  (goal >= 0.5)" % (m / bound))
EOF
echo
cat "$W/table.txt"
