#!/bin/sh
# dkim_run.sh BUILD - DKIM messages per second on one core: inkan,
# libopendkim and dkimpy on the same corpus, and the machine's limit from
# `openssl speed`.
#
#   Keys: an RSA-2048 and an Ed25519 key made by openssl into
#   BUILD/dkim-run.  BUILD/bench/dkim_bench writes the corpus (4 KB and
#   100 KB messages, relaxed/relaxed), checks every verdict and times inkan
#   and libopendkim; bench/dkimpy_bench.py times dkimpy on the same files.
#   The limit of one message is one signature operation plus SHA-256 over
#   its bytes: 1 / (1/op_rate + size/sha256_rate), with op_rate from
#   `openssl speed -seconds S rsa2048 ed25519` and sha256_rate from
#   `openssl speed -seconds S -bytes 4096|102400 sha256` (-mr output).
#   inkan's Ed25519 operations are libsodium's, faster than OpenSSL's:
#   dkim_bench times them too, and the Ed25519 rows are also shown against
#   the limit with libsodium's op_rate.
#
# Prints the figures and a table (also in BUILD/dkim-run/table.txt).  Never
# fails on a figure: benchmarks measure, tests judge.
#
# Environment: BENCH_ROUNDS (5), BENCH_MIN_TIME seconds per round (1),
# BENCH_DKIM_COUNT messages per size (8), BENCH_SPEED_SECS (3).
set -eu

BUILD=${1:-build-bench}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$BUILD" && pwd)
PY=/usr/bin/python3
ROUNDS=${BENCH_ROUNDS:-5}
MIN_TIME=${BENCH_MIN_TIME:-1}
COUNT=${BENCH_DKIM_COUNT:-8}
SPEED_SECS=${BENCH_SPEED_SECS:-3}
W=$BUILD/dkim-run
DKIM_BENCH=$BUILD/bench/dkim_bench

[ -x "$DKIM_BENCH" ] || { echo "dkim_run.sh: $DKIM_BENCH missing; build first (make bench)" >&2; exit 1; }

rm -rf "$W"
mkdir -p "$W"
: > "$W/figures"
note() { echo "@ $1 $2" >> "$W/figures"; }
figures() { grep '^@ ' "$1" >> "$W/figures" || true; }

LOAD_PID=
cleanup() {
	if [ -n "$LOAD_PID" ]; then
		kill "$LOAD_PID" 2>/dev/null || true
		LOAD_PID=
	fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
( while :; do cut -d' ' -f1 /proc/loadavg >> "$W/load"; sleep 2; done ) &
LOAD_PID=$!

note date "$(date -u '+%Y-%m-%dT%H:%M:%SZ')"
note nproc "$(nproc)"
note cpu "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //' | tr ' ' '_')"
note openssl "$(openssl version | cut -d' ' -f2)"
note load_start "$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/')"

( umask 077
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/rsa.pem" 2>/dev/null
  openssl genpkey -algorithm ed25519 -out "$W/ed.pem" )

echo "== openssl speed (the limit)"
openssl speed -mr -seconds "$SPEED_SECS" rsa2048 ed25519 2>/dev/null > "$W/speed-sig.out" || true
for b in 4096 102400; do
	openssl speed -mr -seconds "$SPEED_SECS" -bytes $b sha256 2>/dev/null > "$W/speed-sha256-$b.out" || true
done
# +F2:n:2048:SIGN/S:VERIFY/S   +F6:n:253:Ed25519:SIGN/S:VERIFY/S   +F:n:sha256:BYTES/S
awk -F: '/^\+F2:.*:2048:/ { print "@ speed.rsa.sign", $4; print "@ speed.rsa.verify", $5 }
	/^\+F6:.*:Ed25519:/ { print "@ speed.ed25519.sign", $5; print "@ speed.ed25519.verify", $6 }' \
	"$W/speed-sig.out" | tee -a "$W/figures"
for b in 4096 102400; do
	awk -F: -v b=$b '/^\+F:.*:sha256:/ { print "@ speed.sha256." b, $4 }' \
	    "$W/speed-sha256-$b.out" | tee -a "$W/figures"
done

echo "== inkan and libopendkim: dkim_bench --rounds $ROUNDS --min-time $MIN_TIME --count $COUNT"
"$DKIM_BENCH" --rounds "$ROUNDS" --min-time "$MIN_TIME" --count "$COUNT" "$W" "$W/rsa.pem" "$W/ed.pem" |
    tee "$W/c.out"
figures "$W/c.out"

# What relaxed canonicalization costs: inkan alone, simple/simple.
echo "== inkan, simple/simple: dkim_bench --canon simple --only inkan"
mkdir -p "$W/simple"
"$DKIM_BENCH" --canon simple --only inkan --rounds "$ROUNDS" --min-time "$MIN_TIME" --count "$COUNT" \
    "$W/simple" "$W/rsa.pem" "$W/ed.pem" | tee "$W/c-simple.out"
figures "$W/c-simple.out"

echo "== dkimpy: dkimpy_bench.py"
if "$PY" -c 'import dkim, nacl' 2>/dev/null; then
	"$PY" "$SRC/bench/dkimpy_bench.py" --rounds 3 --min-time "$MIN_TIME" "$W" | tee "$W/py.out"
	figures "$W/py.out"
else
	echo "dkimpy (python3-dkim, python3-nacl) missing: no dkimpy column"
fi

cleanup
note load_end "$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/')"
note load_samples "$(tr '\n' ',' < "$W/load" | sed 's/,$//')"

"$PY" - "$W/figures" > "$W/table.txt" <<'PYEOF'
import statistics, sys
f = {}
for line in open(sys.argv[1]):
	w = line.split(None, 2)
	if len(w) == 3:
		f[w[1]] = w[2].strip()
def num(k):
	try:
		return float(f[k])
	except (KeyError, ValueError):
		return None
size = {"4k": 4096, "100k": 102400}
def limit(what, alg, sz):
	op, sha = num("speed.%s.%s" % (alg, what)), num("speed.sha256.%d" % size[sz])
	if not op or not sha:
		return None
	return 1.0 / (1.0 / op + size[sz] / sha)
def fmt(x):
	return "%10.0f" % x if x is not None else "%10s" % "-"
load = [float(x) for x in f.get("load_samples", "").split(",") if x]
print("DKIM benchmark, %s, %s x %s, OpenSSL %s" % (f.get("date"), f.get("nproc"),
    f.get("cpu", "?").replace("_", " "), f.get("openssl")))
if load:
	print("load average (1 min) during the run: min %.2f, mean %.2f, max %.2f (start %s, end %s)"
	    % (min(load), statistics.mean(load), max(load), f.get("load_start"), f.get("load_end")))
print("openssl speed: rsa2048 sign %.0f/s verify %.0f/s; ed25519 sign %.0f/s verify %.0f/s; "
    "sha256 %.0f MB/s (4 KB blocks), %.0f MB/s (100 KB blocks)" % (tuple((num(k) or 0) for k in (
    "speed.rsa.sign", "speed.rsa.verify", "speed.ed25519.sign", "speed.ed25519.verify")) +
    ((num("speed.sha256.4096") or 0) / 1e6, (num("speed.sha256.102400") or 0) / 1e6)))
print()
print("relaxed/relaxed, msgs/s   %10s %11s %10s %10s %9s %9s" % ("inkan", "libopendkim",
    "dkimpy", "limit", "/opendkim", "/limit"))
for what in ("verify", "sign"):
	for alg in ("rsa", "ed25519"):
		for sz in ("4k", "100k"):
			ik, od, py = (num("%s.%s.%s.%s" % (w, what, alg, sz))
			    for w in ("inkan", "libopendkim", "dkimpy"))
			lim = limit(what, alg, sz)
			print("%-6s %-7s %-5s     %10s %11s %10s %10s %9s %9s" % (what, alg, sz,
			    fmt(ik), fmt(od), fmt(py), fmt(lim),
			    "%.2f" % (ik / od) if ik and od else "-",
			    "%.0f%%" % (100 * ik / lim) if ik and lim else "-"))
sv, ss = num("sodium.ed25519.verify"), num("sodium.ed25519.sign")
def sodium_limit(what, sz):
	op, sha = sv if what == "verify" else ss, num("speed.sha256.%d" % size[sz])
	if not op or not sha:
		return None
	return 1.0 / (1.0 / op + size[sz] / sha)
if sv and ss:
	print()
	print("Ed25519 against the limit with libsodium's rates (verify %.0f/s, sign %.0f/s), "
	    "which inkan uses" % (sv, ss))
	for what in ("verify", "sign"):
		for sz in ("4k", "100k"):
			ik, lim = num("inkan.%s.ed25519.%s" % (what, sz)), sodium_limit(what, sz)
			print("  %-6s ed25519 %-5s inkan %8s  limit %8s  %s" % (what, sz, fmt(ik).strip(),
			    fmt(lim).strip(), "%.0f%%" % (100 * ik / lim) if ik and lim else "-"))
print()
print("goals (4 KB unless said)")
def goal(label, val, target, unit=""):
	if val is None:
		print("  %-52s %s" % (label, "n/a"))
	else:
		print("  %-52s %7.2f%s (goal >= %s%s) %s" % (label, val, unit, target, unit,
		    "met" if val >= target else "MISSED"))
ik, od = num("inkan.verify.rsa.4k"), num("libopendkim.verify.rsa.4k")
goal("RSA verify / libopendkim", ik / od if ik and od else None, 5, "x")
lim = limit("verify", "rsa", "4k")
goal("RSA verify / limit", 100 * ik / lim if ik and lim else None, 60, "%")
ik, od = num("inkan.verify.ed25519.4k"), num("libopendkim.verify.ed25519.4k")
goal("Ed25519 verify / libopendkim", ik / od if ik and od else None, 2, "x")
ik, sp = num("inkan.sign.rsa.4k"), num("speed.rsa.sign")
goal("RSA sign / openssl speed rsa2048 sign/s", 100 * ik / sp if ik and sp else None, 90, "%")
# Body hashing: the time of a 100 KB message less one signature operation
# at openssl's rate, as bytes/s, against openssl's SHA-256 rate.  Header
# parsing, canonicalization and the key lookup are counted as hashing, so
# this is the conservative reading.
# The Ed25519 operation subtracted is libsodium's (inkan's), not OpenSSL's.
sha = num("speed.sha256.102400")
for who, canon in (("inkan", "relaxed"), ("inkan-simple", "simple")):
	for what, alg in (("verify", "rsa"), ("verify", "ed25519"), ("sign", "ed25519")):
		ik = num("%s.%s.%s.100k" % (who, what, alg))
		op = num("sodium.ed25519.%s" % what) if alg == "ed25519" else None
		op = op or num("speed.%s.%s" % (alg, what))
		if ik and op and sha and 1 / ik > 1 / op:
			rate = 102400 / (1 / ik - 1 / op)
			goal("100 KB %s (%s %s): %.0f MB/s / sha256" % (canon, what, alg, rate / 1e6),
			    100 * rate / sha, 80, "%")
# At the margin: what 98,304 more body bytes cost (100 KB message against
# 4 KB), everything per message (parse, key, signature) cancelling out.
print("  body bytes at the margin (100 KB message less 4 KB one), not a goal:")
for who, canon in (("inkan", "relaxed"), ("inkan-simple", "simple")):
	for what, alg in (("verify", "rsa"), ("verify", "ed25519"), ("sign", "ed25519")):
		a, b = num("%s.%s.%s.4k" % (who, what, alg)), num("%s.%s.%s.100k" % (who, what, alg))
		if a and b and sha and 1 / b > 1 / a:
			rate = (102400 - 4096) / (1 / b - 1 / a)
			print("    %-7s %-6s %-7s %6.0f MB/s = %3.0f%% of sha256" % (canon, what, alg,
			    rate / 1e6, 100 * rate / sha))
if "inkan-simple.verify.rsa.4k" in f:
	print()
	print("inkan, simple/simple, msgs/s (what relaxed canonicalization costs)")
	for what in ("verify", "sign"):
		for alg in ("rsa", "ed25519"):
			for sz in ("4k", "100k"):
				s, r = num("inkan-simple.%s.%s.%s" % (what, alg, sz)), \
				    num("inkan.%s.%s.%s" % (what, alg, sz))
				print("  %-6s %-7s %-5s %10s   relaxed %s" % (what, alg, sz, fmt(s), fmt(r).strip()))
print("verdict disagreements: relaxed %s, simple %s (libopendkim signing checked by inkan "
    "only), dkimpy %s" % (f.get("dkim.disagree.c", "?"), f.get("dkim.disagree.c-simple", "?"),
    f.get("dkim.disagree.py", "?")))
if "libopendkim.verify.rsa.4k" not in f:
	print("note: libopendkim column empty: dkim_bench was built without libopendkim-dev")
PYEOF
echo
cat "$W/table.txt"
