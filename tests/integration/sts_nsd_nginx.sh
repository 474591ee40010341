#!/usr/bin/env bash
# sts_nsd_nginx.sh [BUILD] - the sending-side policy engine (lib/sts,
# `inkan sts query`) against a real NSD and a real nginx on loopback.
#
# NSD (127.0.0.1:${INKAN_TEST_STS_DNS_PORT:-5395}) serves three zones:
#   - sts.test, signed on every run, whose DS is the only trust anchor
#     (passed to inkan as a line): MX hosts with secure TLSA (one behind a
#     CNAME), one with a TLSA RRset altered after signing (bogus), two MX
#     hosts of which one has TLSA, and a signed domain without TLSA; the
#     DANE domains also publish an MTA-STS policy, which must not win;
#   - plain.test, unsigned: TLSA that must be ignored, and the domains of
#     the cache tests, whose TXT id is changed during the run (SIGHUP);
#   - loc, unsigned: the _mta-sts records of postfix-mta-sts-resolver's
#     fetch scenarios (tests/data/mtasts/postfix-mta-sts-resolver-cases.json).
# nginx (127.0.0.1:${INKAN_TEST_STS_HTTPS_PORT:-8470}) serves the scenarios'
# policies (the site test_mtasts_fetch writes: wrong CA, wrong name,
# redirect, too big, ...) and the test domains' policies, each test
# domain with its own access log so that fetches can be counted.
#
# Checked: the 24 fetch scenarios (MTA-STS status and policy), the 21
# Postfix map answers (inkan sts query --postfix), DANE before MTA-STS,
# bogus -> TEMP, a policy fetched once then served from the cache, an id
# change -> re-fetch, nginx stopped -> the stale policy still enforced,
# max_age passed -> gone.  Prints TAP.  If a server cannot be started the
# run is a failure ("not ok"), never a skip.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
inkan=$build/src/inkan/inkan
site=$build/tests/conformance/mtasts/test_mtasts_fetch
cases=$top/tests/data/mtasts/postfix-mta-sts-resolver-cases.json
B=$build/testenv-sts
R=$B/run
DNS_PORT=${INKAN_TEST_STS_DNS_PORT:-5395}
HTTPS_PORT=${INKAN_TEST_STS_HTTPS_PORT:-8470}
nsd_pid=
nginx_pid=
n=0
nfail=0

# shellcheck source=tests/env/nsd.sh
. "$top/tests/env/nsd.sh"

fail_setup() {
	echo "not ok 1 - sts_nsd_nginx: $*"
	for f in "$R/nsd.log" "$R/error.log"; do
		[ -s "$f" ] && tail -5 "$f" | sed 's/^/# /'
	done
	echo "1..1"
	exit 1
}

stop_pid() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	return 0
}
cleanup() {
	stop_pid "$nginx_pid"
	stop_pid "$nsd_pid"
}
trap cleanup EXIT

tap() {	# tap OK|FAIL description [detail...]
	n=$((n + 1))
	if [ "$1" = OK ]; then
		echo "ok $n - $2"
	else
		nfail=$((nfail + 1))
		echo "not ok $n - $2"
		shift 2
		for l in "$@"; do echo "# $l"; done
	fi
}

for tool in nsd ldns-keygen ldns-signzone nginx openssl ss python3 drill; do
	command -v "$tool" >/dev/null || fail_setup "$tool is not installed"
done
[ -x "$inkan" ] || fail_setup "$inkan is not built"
[ -x "$site" ] || fail_setup "$site is not built"
for p in "$DNS_PORT/u" "$HTTPS_PORT/t"; do
	ss -ln"${p#*/}" | grep -q "127.0.0.1:${p%/*} " && fail_setup "port ${p%/*} is taken"
done

# The zones, the policies, NSD and nginx (shared with the other policy test).
# shellcheck source=tests/integration/sts/world.sh
. "$here/sts/world.sh"

q() {	# q ARGS... : inkan sts query with the test's DNS and HTTPS
	"$inkan" sts query --server "127.0.0.1@$DNS_PORT" --trust-anchor "$ta" --timeout 3000 \
	    --ca-file "$C/ca.crt" --connect "*=127.0.0.1:$HTTPS_PORT" "$@" 2>>"$R/inkan.err"
}
fetches() {	# fetches DOMAIN : policy GETs nginx logged for mta-sts.DOMAIN
	grep -c "GET /.well-known/mta-sts.txt" "$R/access-$1.log" 2>/dev/null || true
}
jq_() {	# jq_ FILE EXPR : one value from a JSON answer list (python)
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# ---- 1. the 24 fetch scenarios (MTA-STS alone: --no-dane)
python3 - "$cases" > "$B/scen.tsv" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for s in d["scenarios"]:
    p = s.get("expect_policy") or {}
    print("\t".join([s["domain"], s["expect"], p.get("mode", ""),
        ",".join(p.get("mx", [])), str(p.get("max_age", ""))]))
EOF
mapfile -t doms < <(cut -f1 "$B/scen.tsv")
q --no-dane --json "${doms[@]}" > "$B/scen.json"
i=0
while IFS=$'\t' read -r dom want mode mx age; do
	got=$(jq_ "$B/scen.json" "d[$i]['mta_sts']['status']")
	detail=$(jq_ "$B/scen.json" "d[$i]['why']")
	ok=OK
	[ "$got" = "$want" ] || ok=FAIL
	if [ "$ok" = OK ] && [ -n "$mode" ]; then
		gm=$(jq_ "$B/scen.json" "d[$i]['mta_sts']['mode']+' '+','.join(d[$i]['mta_sts']['mx'])+' '+str(d[$i]['mta_sts']['max_age'])")
		[ "$gm" = "$mode $mx $age" ] || { ok=FAIL; detail="policy $gm, wanted $mode $mx $age"; }
	fi
	tap "$ok" "fetch scenario $dom: $want" "got $got: $detail"
	i=$((i + 1))
done < "$B/scen.tsv"

# ---- 2. the 21 Postfix map answers (socketmap query "<map> <nexthop>")
python3 - "$cases" > "$B/map.tsv" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for c in d["postfix_tls_policy_map"]["cases"]:
    print(c["query"].split(" ", 1)[1] + "\t" + c["answer"])
EOF
mapfile -t hops < <(cut -f1 "$B/map.tsv")
mapfile -t answers < <(q --postfix "${hops[@]}")
i=0
while IFS=$'\t' read -r hop want; do
	got=${answers[$i]:-}
	[ "$got" = "$want" ] && ok=OK || ok=FAIL
	tap "$ok" "postfix map $hop -> $want" "got: $got"
	i=$((i + 1))
done < "$B/map.tsv"

# ---- 3. DANE before MTA-STS, DNSSEC status (sts.test is signed)
# postfix-mta-sts-resolver answers "OK secure match=..." for each of the
# first five (it looks at MTA-STS only): RFC 8461 §2 forbids that for a
# domain with DANE, and a bogus TLSA RRset must not fall back at all.
check_map() {	# check_map NEXTHOP WANT(regex) WHY
	local got
	got=$(q --postfix "$1")
	if [[ $got =~ ^$2$ ]]; then tap OK "$1 -> $3 ($got)"; else tap FAIL "$1 -> $3" "got: $got"; fi
}
check_map dane.sts.test "OK dane-only" "dane-only although an MTA-STS policy exists"
check_map cname.sts.test "OK dane-only" "dane-only through a CNAME'd MX host"
check_map mixed.sts.test "OK dane" "dane: one MX host of two has TLSA"
check_map bogus.sts.test "TEMP .*bogus.*" "TEMP: bogus TLSA, not the MTA-STS policy"
check_map signedsts.sts.test "OK secure match=mx.signedsts.sts.test servername=hostname" \
    "signed without TLSA: MTA-STS"
check_map unsigned.plain.test "OK secure match=mx.unsigned.plain.test servername=hostname" \
    "unsigned: TLSA ignored, MTA-STS"
check_map '[dane.sts.test]:25' "OK dane-only" "next-hop [domain]:port"
check_map mixed.sts.test "OK dane" "mixed again"
q --json cname.sts.test bogus.sts.test dane.sts.test > "$B/dane.json"
got=$(jq_ "$B/dane.json" "d[0]['mx_secure'], d[0]['hosts'][0]['tlsa_name'], d[0]['hosts'][0]['tlsa_secure']")
[ "$got" = "(True, '_25._tcp.host.prov.sts.test', True)" ] && ok=OK || ok=FAIL
tap "$ok" "cname.sts.test: TLSA found at the expanded name, secure" "got $got"
got=$(jq_ "$B/dane.json" "d[1]['kind'], d[1]['hosts'][0]['tlsa_bogus'], d[1]['reply'][:5]")
[ "$got" = "('tempfail', True, 'TEMP ')" ] && ok=OK || ok=FAIL
tap "$ok" "bogus.sts.test: tempfail, TLSA bogus" "got $got"
got=$(jq_ "$B/dane.json" "d[2]['hosts'][0]['tlsa'][0] == '3 1 1 $H', d[2]['tlsrpt']['policy_type']")
[ "$got" = "(True, 'tlsa')" ] && ok=OK || ok=FAIL
tap "$ok" "dane.sts.test: the TLSA record as published; TLS-RPT policy type tlsa" "got $got"
for d in dane.sts.test cname.sts.test bogus.sts.test mixed.sts.test; do
	c=$(fetches $d)
	[ "$c" = 0 ] && ok=OK || ok=FAIL
	tap "$ok" "$d: the MTA-STS policy was never fetched (DANE decided first)" "$c fetches"
done
c=$(fetches signedsts.sts.test)
[ "$c" -ge 1 ] && ok=OK || ok=FAIL
tap "$ok" "signedsts.sts.test: the MTA-STS policy was fetched" "$c fetches"
q cname.sts.test > "$B/text.out"
if grep -q "secure usable TLSA at _25._tcp.host.prov.sts.test" "$B/text.out" &&
    grep -q "MX:       DNSSEC-secure" "$B/text.out"; then ok=OK; else ok=FAIL; fi
tap "$ok" "text output names the TLSA owner and the DNSSEC status" "$(head -3 "$B/text.out")"

# ---- 4. the cache: fetched once, then from the cache
db=$B/cache.db
a1=$(q --cache "$db" --postfix cache.plain.test expire.plain.test | tr '\n' '|')
t_expire=$(date +%s)
want="OK secure match=mx1.cache.plain.test servername=hostname|OK secure match=mx.expire.plain.test servername=hostname|"
[ "$a1" = "$want" ] && ok=OK || ok=FAIL
tap "$ok" "cache.plain.test, expire.plain.test: enforce" "got $a1"
for _ in 1 2 3; do
	q --cache "$db" --postfix cache.plain.test >/dev/null
done
q --cache "$db" --json cache.plain.test > "$B/c1.json"
c=$(fetches cache.plain.test)
[ "$c" = 1 ] && ok=OK || ok=FAIL
tap "$ok" "five queries, one fetch (nginx access log)" "$c fetches"
got=$(jq_ "$B/c1.json" "d[0]['mta_sts']['cache'], d[0]['mta_sts']['id']")
[ "$got" = "('fresh', 'c1')" ] && ok=OK || ok=FAIL
tap "$ok" "the last answer came from the cache (fresh, id c1)" "got $got"

# ---- 5. id changed -> re-fetched (a new policy, too)
wait_txt() {	# wait_txt NAME ID : until NSD serves the new id
	for _ in $(seq 100); do
		drill -p "$DNS_PORT" "$1" TXT @127.0.0.1 2>/dev/null | grep -q "id=$2" && return 0
		sleep 0.1
	done
	return 1
}
policy cache.plain.test "$(enf mx2.cache.plain.test)"
plain_zone c2 1
kill -HUP "$nsd_pid"
wait_txt _mta-sts.cache.plain.test c2 || tap FAIL "NSD did not reload plain.test"
q --cache "$db" --json cache.plain.test > "$B/c2.json"
got=$(jq_ "$B/c2.json" "d[0]['mta_sts']['cache'], d[0]['mta_sts']['id'], d[0]['reply']")
c=$(fetches cache.plain.test)
[ "$got" = "('fetched', 'c2', 'OK secure match=mx2.cache.plain.test servername=hostname')" ] &&
    [ "$c" = 2 ] && ok=OK || ok=FAIL
tap "$ok" "id c1 -> c2: re-fetched, the new policy applies" "got $got, $c fetches"

# ---- 6. nginx stopped: a refresh fails, the stale policy is still enforced
plain_zone c3 2
kill -HUP "$nsd_pid"
wait_txt _mta-sts.cache.plain.test c3 || tap FAIL "NSD did not reload plain.test"
stop_pid "$nginx_pid"
nginx_pid=
q --cache "$db" --json cache.plain.test > "$B/c3.json"
got=$(jq_ "$B/c3.json" "d[0]['mta_sts']['cache'], d[0]['mta_sts']['id'], d[0]['reply'], d[0]['mta_sts']['fetch_error'] is not None")
[ "$got" = "('stale', 'c2', 'OK secure match=mx2.cache.plain.test servername=hostname', True)" ] &&
    ok=OK || ok=FAIL
tap "$ok" "nginx down, id c3: the cached c2 policy is still enforced (RFC 8461 §5.1)" "got $got"

# ---- 7. max_age passed: gone
got=$(q --cache "$db" --postfix expire.plain.test)
[ "$got" = "OK secure match=mx.expire.plain.test servername=hostname" ] && ok=OK || ok=FAIL
tap "$ok" "expire.plain.test (max_age 3): still enforced before expiry, nginx down" "got $got"
while [ "$(date +%s)" -lt $((t_expire + 4)) ]; do sleep 0.2; done
q --cache "$db" --json expire.plain.test > "$B/x.json"
got=$(jq_ "$B/x.json" "d[0]['reply'], d[0]['mta_sts']['status'], d[0]['mta_sts']['cache']")
[ "$got" = "('NOTFOUND', 'fetch-error', 'none')" ] && ok=OK || ok=FAIL
tap "$ok" "expire.plain.test after max_age: gone (NOTFOUND)" "got $got"
rows=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select group_concat(domain||\"=\"||id) from (select * from sts_policy order by domain)").fetchone()[0])' "$db")
[ "$rows" = "cache.plain.test=c2" ] && ok=OK || ok=FAIL
tap "$ok" "the cache table holds the live policy only" "rows: $rows"

# ---- 8. blackhole.loc with DANE on: the MX lookup fails too -> TEMP
# (postfix-mta-sts-resolver: fetch-error, i.e. NOTFOUND; RFC 7672 §2.2
# defers when the MX lookup fails, and Postfix could not route anyway).
got=$(q --postfix blackhole.loc)
[[ $got == TEMP* ]] && ok=OK || ok=FAIL
tap "$ok" "blackhole.loc: TEMP (DNS failure), not NOTFOUND" "got $got"

echo "1..$n"
[ "$nfail" = 0 ]
