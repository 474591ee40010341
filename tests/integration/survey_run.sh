#!/usr/bin/env bash
# survey_run.sh [BUILD] - the run side of `inkan survey` against a real
# NSD on 127.0.0.1:${INKAN_TEST_SURVEY_RUN_PORT:-5381}, with a small UDP
# proxy (survey/dnsproxy.py) on the next port for a lossy path:
#   - retries: a path that drops the first two packets of every question
#     gives temperrors with --retries 0 and the exact truth with
#     --retries 2, with one retry counted per query; a zone NSD does not
#     serve (REFUSED, a SERVFAIL to the survey) is retried --retries times
#     per query and counted as failed;
#   - input: the delegations of a master-format zone file (--zone-file,
#     and detected as INPUT) give the same table as the domain list;
#   - --shard i/3: the three shards partition the domains as the FNV-1a
#     hash says, and together equal the whole;
#   - survey_meta: shard, input_sha256, options, started, finished;
#   - DNSSEC: a signed zone with a record altered after signing gives
#     dnssec=bogus (and an intact one secure) through libunbound with the
#     zone's DS as trust anchor.
# Prints TAP.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
inkan=$build/src/inkan/inkan
port=${INKAN_TEST_SURVEY_RUN_PORT:-5381}
pport=$((port + 1))
N=${INKAN_SURVEY_RUN_N:-2000}
B=$build/testenv-survey-run
work=$B/work
R=$B/run

for tool in nsd sqlite3 ss ldns-keygen ldns-signzone sha256sum; do
	command -v "$tool" >/dev/null || { echo "1..0 # SKIP $tool not installed"; exit 0; }
done
# shellcheck source=tests/env/nsd.sh
. "$top/tests/env/nsd.sh"
stop_pid() {	# stop_pid PIDFILE MARKER: only our own process
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
rm -rf "$work" "$R"
mkdir -p "$work/gen/zones" "$R"
/usr/bin/python3 "$here/survey/gen.py" "$N" "$work/gen" 11

# The signed zone (TESTENV.md §2): good.sig.test intact, bad.sig.test's
# apex TXT altered after signing.
cat > "$work/gen/zones/sig.test.zone" <<'EOF'
$TTL 3600
sig.test. SOA ns.sig.test. hostmaster.sig.test. 1 3600 600 86400 300
sig.test. NS ns.sig.test.
ns.sig.test. A 127.0.0.1
good.sig.test. MX 10 mx.good.sig.test.
good.sig.test. TXT "v=spf1 -all"
bad.sig.test. MX 10 mx.bad.sig.test.
bad.sig.test. TXT "v=spf1 include:original-text.sig.test -all"
EOF
(
	cd "$work"
	ksk=$(ldns-keygen -a ECDSAP256SHA256 -k sig.test)
	zsk=$(ldns-keygen -a ECDSAP256SHA256 sig.test)
	ldns-signzone -e "$(date -u -d '+1 year' +%Y%m%d%H%M%S)" -f gen/zones/sig.test.zone.signed \
	    gen/zones/sig.test.zone "$zsk" "$ksk"
	cp "$ksk.ds" sig.test.ds
)
sed -i 's/original-text/tampered-text/' "$work/gen/zones/sig.test.zone.signed"
mv "$work/gen/zones/sig.test.zone.signed" "$work/gen/zones/sig.test.zone"
grep -q tampered-text "$work/gen/zones/sig.test.zone" || { echo "Bail out! tampering failed"; exit 1; }

{
	nsd_server_conf "$work/gen/zones" "$R" "$port" | sed '/^remote-control:/,$d'
	printf '\trrl-ratelimit: 0\n\trrl-whitelist-ratelimit: 0\n'
	printf 'remote-control:\n\tcontrol-enable: no\n'
	for f in "$work"/gen/zones/*.zone; do
		z=$(basename "$f" .zone)
		printf 'zone:\n\tname: %s\n\tzonefile: %s.zone\n' "$z" "$z"
	done
} > "$R/nsd.conf"
for f in "$work"/gen/zones/*.zone; do
	z=$(basename "$f" .zone)
	[ "$z" = sig.test ] && continue
	sed -i "1i $z. 3600 IN SOA ns.$z. hostmaster.$z. 1 3600 600 86400 300\n$z. 3600 IN NS ns.$z." "$f"
done
for p in "$port" "$pport"; do
	# another run of this test (another build dir) on the same ports would
	# answer for us: say so instead of failing obscurely
	! ss -lnu | grep -q "127.0.0.1:$p " ||
	    { echo "Bail out! UDP port $p is in use (set INKAN_TEST_SURVEY_RUN_PORT)"; exit 1; }
done
setsid nsd -d -c "$R/nsd.conf" >> "$R/nsd.log" 2>&1 &
echo $! > "$R/nsd.pid"
for _ in $(seq 1 200); do
	ss -lnu | grep -q "127.0.0.1:$port " && break
	sleep 0.05
done
ss -lnu | grep -q "127.0.0.1:$port " || { echo "Bail out! NSD did not start (see $R/nsd.log)"; exit 1; }
echo "# NSD on 127.0.0.1:$port serving $N generated domains and the signed sig.test"

set +e
n=0
tap() {	# tap OK NAME
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
res="--resolver 127.0.0.1@$port --no-dnssec --quiet"
summary() {	# summary FILE FIELD: a count of the run summary
	sed -n "s/.*[( ]\([0-9]*\) $2.*/\1/p" "$1" | head -1
}

# ---- 1. retries through a lossy path ----
start_proxy() {	# start_proxy MODE ARG
	stop_pid "$R/proxy.pid" dnsproxy.py
	/usr/bin/python3 "$here/survey/dnsproxy.py" "$pport" "$port" "$1" "$2" > "$R/proxy.out" &
	echo $! > "$R/proxy.pid"
	for _ in $(seq 1 100); do ss -lnu | grep -q "127.0.0.1:$pport " && return 0; sleep 0.05; done
	echo "Bail out! the proxy did not start"
	exit 1
}
head -n 300 "$work/gen/domains.txt" > "$work/small.txt"
# shellcheck disable=SC2086
"$inkan" survey run $res --db "$work/clean.db" "$work/small.txt"
tap $? "clean path: 300 domains"
start_proxy drop 2
# shellcheck disable=SC2086
"$inkan" survey run --resolver 127.0.0.1@$pport --no-dnssec --timeout 1000 --retries 0 --jobs 100 \
    --db "$work/lossy0.db" "$work/small.txt" 2> "$work/lossy0.err"
tap $? "two packets lost per question, --retries 0: run exits 0"
sed 's/^/# /' "$work/lossy0.err"
t0=$(sqlite3 "$work/lossy0.db" "SELECT count(*) FROM survey_domain WHERE mx = 'temperror'")
[ "$t0" = 300 ]
tap $? "--retries 0: every domain's MX is a temperror ($t0 of 300)"
start_proxy drop 2
"$inkan" survey run --resolver 127.0.0.1@$pport --no-dnssec --timeout 1000 --retries 2 --jobs 100 \
    --db "$work/lossy2.db" "$work/small.txt" 2> "$work/lossy2.err"
tap $? "two packets lost per question, --retries 2: run exits 0"
sed 's/^/# /' "$work/lossy2.err"
cmp -s <(sqlite3 "$work/clean.db" "SELECT * FROM survey_domain ORDER BY domain") \
    <(sqlite3 "$work/lossy2.db" "SELECT * FROM survey_domain ORDER BY domain")
tap $? "--retries 2 over the lossy path: every row == the clean path's"
sent=$(summary "$work/lossy2.err" "queries sent")
retr=$(summary "$work/lossy2.err" "retries")
tmo=$(summary "$work/lossy2.err" "timeouts")
failed=$(summary "$work/lossy2.err" "queries failed")
# Every question's first two packets are lost, so every query needs
# exactly one retry.  (A second run of this test on the same ports breaks
# this; the port check at the start refuses to run then.)
[ -n "$sent" ] && [ "$retr" = "$sent" ] && [ "$tmo" = "$sent" ] && [ "$failed" = 0 ]
tap $? "summary: one retry and one timeout per query ($retr, $tmo of $sent), none failed"
stop_pid "$R/proxy.pid" dnsproxy.py

# SERVFAIL: NSD refuses names of a zone it does not serve.
printf 'a%d.unserved.example\n' 1 2 3 4 5 > "$work/unserved.txt"
"$inkan" survey run --resolver 127.0.0.1@$port --no-dnssec --retries 3 --db "$work/sf2.db" \
    "$work/unserved.txt" 2> "$work/sf.err"
tap $? "refused zone: run exits 0"
sed 's/^/# /' "$work/sf.err"
sent=$(summary "$work/sf.err" "queries sent")
retr=$(summary "$work/sf.err" "retries")
sfl=$(summary "$work/sf.err" "SERVFAIL")
failed=$(summary "$work/sf.err" "queries failed")
[ -n "$sent" ] && [ "$sent" -ge 35 ] && [ "$retr" = $((3 * sent)) ] &&
    [ "$sfl" = $((4 * sent)) ] && [ "$failed" = "$sent" ]
tap $? "SERVFAIL: 3 retries per query ($retr for $sent), all counted failed ($failed)"
tf=$("$inkan" survey report --db "$work/sf2.db" --csv | grep '^all,temperror,' | cut -d, -f3)
[ "$tf" = 5 ]
tap $? "SERVFAIL after retries: the 5 domains are temperrors ($tf)"

# ---- 2. the delegations of a zone file ----
"$inkan" survey run $res --db "$work/list.db" "$work/gen/domains.txt"
tap $? "domain list: run over $N domains"
"$inkan" survey report --db "$work/list.db" --csv > "$work/list.csv"
diff -q "$work/gen/truth.csv" "$work/list.csv" > /dev/null
tap $? "domain list: report == generated truth"
/usr/bin/python3 "$here/survey/zonegen.py" "$work/gen/domains.txt" "$work/parent.zone"
"$inkan" survey run $res --zone-file "$work/parent.zone" --db "$work/zone.db" 2> "$work/zone.err"
tap $? "--zone-file: run exits 0"
k=$(sqlite3 "$work/zone.db" "SELECT count(*) FROM survey_domain")
[ "$k" = "$N" ]
tap $? "--zone-file: each of the $N delegations surveyed once, nothing else ($k rows)"
cmp -s <(grep '^all,' "$work/gen/truth.csv") \
    <("$inkan" survey report --db "$work/zone.db" --csv | grep '^all,')
tap $? "--zone-file: the table over all domains == generated truth"
"$inkan" survey run $res --db "$work/zone2.db" "$work/parent.zone"
cmp -s <(sqlite3 "$work/zone.db" "SELECT domain, mx, spf FROM survey_domain ORDER BY domain") \
    <(sqlite3 "$work/zone2.db" "SELECT domain, mx, spf FROM survey_domain ORDER BY domain")
tap $? "a zone file given as INPUT is detected and read as one"
printf '$ORIGIN test.\nexample NS ns.example\n$INCLUDE other.zone\n' > "$work/inc.zone"
"$inkan" survey run $res --zone-file "$work/inc.zone" --db "$work/inc.db" 2> "$work/inc.err"
rc=$?
[ "$rc" = 65 ] && grep -q 'line 3.*\$INCLUDE' "$work/inc.err"
tap $? "bad zone file: exit 65 naming the line ($(head -1 "$work/inc.err"))"

# ---- 3. shards ----
for i in 1 2 3; do
	"$inkan" survey run $res --shard $i/3 --db "$work/shard$i.db" "$work/gen/domains.txt"
done
for i in 1 2 3; do
	sqlite3 "$work/shard$i.db" "SELECT domain FROM survey_domain ORDER BY domain" > "$work/shard$i.txt"
done
/usr/bin/python3 - "$work/gen/domains.txt" "$work" <<'PY'
import sys
def fnv(s):
    h = 14695981039346656037
    for b in s.encode():
        h ^= b
        h = (h * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h
doms = sorted(l.split()[0] for l in open(sys.argv[1]))
for i in (1, 2, 3):
    want = [d for d in doms if fnv(d) % 3 == i - 1]
    got = open("%s/shard%d.txt" % (sys.argv[2], i)).read().split()
    assert got == want, (i, len(got), len(want))
    assert 0.2 < len(got) / len(doms) < 0.45, len(got)
PY
tap $? "--shard i/3: each shard holds exactly the domains whose FNV-1a hash mod 3 is i-1"
cat "$work"/shard[123].txt | sort > "$work/shards.txt"
cmp -s "$work/shards.txt" <(sqlite3 "$work/list.db" "SELECT domain FROM survey_domain ORDER BY domain")
tap $? "the three shards together: every domain exactly once"
s=0
for i in 1 2 3; do
	s=$((s + $(sqlite3 "$work/shard$i.db" "SELECT count(*) FROM survey_domain WHERE spf = 'valid'")))
done
[ "$s" = "$(grep '^all,spf_valid,' "$work/gen/truth.csv" | cut -d, -f3)" ]
tap $? "the shards' counts add up to the truth (spf_valid $s)"
"$inkan" survey run $res --shard 2/3 --db "$work/shard1.db" "$work/gen/domains.txt" 2> "$work/mix.err"
rc=$?
[ "$rc" = 64 ] && grep -q "shard '1/3', not '2/3'" "$work/mix.err"
tap $? "resuming a store with another shard is refused (exit $rc)"
"$inkan" survey run $res --shard 4/3 --db "$work/x.db" "$work/gen/domains.txt" 2> /dev/null
[ $? = 64 ]
tap $? "--shard 4/3: usage error"

# ---- 4. survey_meta ----
meta() { sqlite3 "$1" "SELECT value FROM survey_meta WHERE key = '$2'"; }
[ "$(meta "$work/shard2.db" shard)" = 2/3 ] && [ "$(meta "$work/list.db" shard)" = 1/1 ]
tap $? "survey_meta shard: 2/3, and 1/1 without --shard"
sha=$(sha256sum "$work/gen/domains.txt" | cut -d' ' -f1)
[ "$(meta "$work/shard2.db" input_sha256)" = "$sha" ] &&
    [ "$(meta "$work/zone.db" input_sha256)" = "$(sha256sum "$work/parent.zone" | cut -d' ' -f1)" ]
tap $? "survey_meta input_sha256: of the whole input, before sharding"
"$inkan" survey run $res --db "$work/stdin.db" - < "$work/small.txt"
[ "$(meta "$work/stdin.db" input_sha256)" = "$(sha256sum "$work/small.txt" | cut -d' ' -f1)" ]
tap $? "survey_meta input_sha256: of standard input too"
[ "$(meta "$work/list.db" options)" = no-dnssec ]
tap $? "survey_meta options: '$(meta "$work/list.db" options)'"
st=$(meta "$work/list.db" started)
fi=$(meta "$work/list.db" finished)
echo "$st" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' &&
    echo "$fi" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' &&
    [ ! "$fi" \< "$st" ]
tap $? "survey_meta started/finished: RFC 3339 ($st, $fi)"
"$inkan" survey run $res --limit 10 --db "$work/part.db" "$work/gen/domains.txt"
[ -z "$(meta "$work/part.db" finished)" ]
tap $? "survey_meta finished: empty while the run is incomplete (--limit)"

# ---- 5. DNSSEC bogus ----
printf 'good.sig.test\nbad.sig.test\n%s\n' "$(head -1 "$work/gen/domains.txt" | cut -d' ' -f1)" \
    > "$work/sig.txt"
"$inkan" survey run --resolver 127.0.0.1@$port --trust-anchor "$work/sig.test.ds" --quiet \
    --db "$work/sig.db" "$work/sig.txt"
tap $? "signed zone through libunbound: run exits 0"
d() { sqlite3 "$work/sig.db" "SELECT dnssec FROM survey_domain WHERE domain = '$1'"; }
[ "$(d bad.sig.test)" = bogus ]
tap $? "TXT altered after signing: dnssec=bogus ($(d bad.sig.test))"
[ "$(d good.sig.test)" = secure ]
tap $? "intact signed domain: dnssec=secure ($(d good.sig.test))"
"$inkan" survey report --db "$work/sig.db" --csv > "$work/sig.csv"
grep -q '^all,dnssec_bogus,1,3,' "$work/sig.csv" && grep -q '^all,dnssec_secure,1,3,' "$work/sig.csv"
tap $? "report counts it: dnssec_bogus 1 of 3, dnssec_secure 1 of 3"

echo "1..$n"
