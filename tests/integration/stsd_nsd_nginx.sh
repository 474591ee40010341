#!/usr/bin/env bash
# stsd_nsd_nginx.sh [BUILD] - inkan-stsd, the policy daemon for Postfix's
# smtp_tls_policy_maps, against a real NSD and nginx on loopback.
#
# The DNS zones, PKI and web site are those of sts_nsd_nginx.sh (signed
# sts.test with DANE, unsigned plain.test, and loc with the fetch
# scenarios of postfix-mta-sts-resolver), on this test's own ports: NSD
# 127.0.0.1:${INKAN_TEST_STSD_DNS_PORT:-5400}, nginx
# 127.0.0.1:${INKAN_TEST_STSD_HTTPS_PORT:-8480}.  inkan-stsd listens on
# 127.0.0.1:10025 (socketmap), a unix socketmap, 127.0.0.1:10026
# (tcp_table), 127.0.0.1:10027 (counters), a session socket, and follows a
# Postfix log file; it runs as nobody when the test runs as root.
#
# Checked with a small client (stsd_client.py): the 21 Postfix map
# answers over socketmap (TCP and unix) and tcp_table, DANE before
# MTA-STS, testing mode answered with the default and logged, answers
# from the cache (nginx fetch count, counters), SIGHUP (new default
# answer, cache cleared, a connection opened before it still served),
# NSD stopped -> TEMP within the request deadline, malformed requests ->
# clear errors, MaxClients, TLS-RPT intake (session lines, Postfix log
# lines -> a session file -> `inkan report generate`), refusing root
# without a user, configuration errors, SIGTERM.  Prints TAP; a server
# that cannot be started is a failure, never a skip.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
inkan=$build/src/inkan/inkan
stsd=$build/src/stsd/inkan-stsd
client="/usr/bin/python3 $here/stsd_client.py"
site=$build/tests/conformance/mtasts/test_mtasts_fetch
cases=$top/tests/data/mtasts/postfix-mta-sts-resolver-cases.json
B=$build/testenv-stsd
R=$B/run
DNS_PORT=${INKAN_TEST_STSD_DNS_PORT:-5400}
HTTPS_PORT=${INKAN_TEST_STSD_HTTPS_PORT:-8480}
SM_PORT=${INKAN_TEST_STSD_PORT:-10025}
TT_PORT=$((SM_PORT + 1))
ST_PORT=$((SM_PORT + 2))
SM=127.0.0.1:$SM_PORT
TT=127.0.0.1:$TT_PORT
METRICS=127.0.0.1:$ST_PORT
nsd_pid=
nginx_pid=
stsd_pid=
n=0
nfail=0

# shellcheck source=tests/env/nsd.sh
. "$top/tests/env/nsd.sh"

fail_setup() {
	echo "not ok $((n + 1)) - stsd_nsd_nginx: $*"
	for f in "$R/nsd.log" "$R/error.log" "$R/stsd.log"; do
		[ -s "$f" ] && tail -5 "$f" | sed 's/^/# /'
	done
	echo "1..$((n + 1))"
	exit 1
}

# NSD serves from a child process: stop and continue them all, by pid.
# (NSD 4 runs xfrd, main and the server as parent, child, grandchild.)
nsd_signal() {	# nsd_signal SIG
	local p all=$nsd_pid kids=$nsd_pid
	while [ -n "$kids" ]; do
		kids=$(ps -o pid= --ppid "$(echo $kids | tr ' ' ,)" 2>/dev/null | tr -s ' \n' ' ')
		all="$all $kids"
	done
	for p in $all; do
		kill "-$1" "$p" 2>/dev/null
	done
}
stop_pid() {
	local pid=$1
	[ -n "$pid" ] || return 0
	[ "$pid" = "$nsd_pid" ] && nsd_signal CONT
	kill -CONT "$pid" 2>/dev/null
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	return 0
}
cleanup() {
	stop_pid "$stsd_pid"
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
for f in "$inkan" "$stsd" "$site"; do
	[ -x "$f" ] || fail_setup "$f is not built"
done
for p in "$DNS_PORT/u" "$HTTPS_PORT/t" "$SM_PORT/t" "$TT_PORT/t" "$ST_PORT/t"; do
	ss -ln"${p#*/}" | grep -q "127.0.0.1:${p%/*} " && fail_setup "port ${p%/*} is taken"
done

rm -rf "$B"
mkdir -p "$B/certs" "$B/www" "$B/dns" "$R/t" || fail_setup "cannot create $B"

# ---- web site: the scenarios' (test_mtasts_fetch site), then ours.
"$site" site "$cases" "$B" "$HTTPS_PORT" || fail_setup "test_mtasts_fetch could not write the site"
policy() {	# policy DOMAIN BODY
	mkdir -p "$B/www/$1/.well-known"
	printf '%s' "$2" > "$B/www/$1/.well-known/mta-sts.txt"
}
ours="dane.sts.test cname.sts.test bogus.sts.test mixed.sts.test signedsts.sts.test
unsigned.plain.test cache.plain.test expire.plain.test"
for d in $ours; do
	echo "mta-sts.$d" >> "$B/hosts.txt"
	cat >> "$B/servers.conf" <<EOF
server {
	listen 127.0.0.1:$HTTPS_PORT ssl;
	server_name mta-sts.$d;
	ssl_certificate $B/certs/good.crt;
	ssl_certificate_key $B/certs/good.key;
	access_log $R/access-$d.log;
	root $B/www/$d;
	location = /.well-known/mta-sts.txt { types { } default_type "text/plain"; }
}
EOF
done
enf() { printf 'version: STSv1\nmode: enforce\nmx: %s\nmax_age: %s\n' "$1" "${2:-86400}"; }
policy dane.sts.test "$(enf mx.dane.sts.test)"
policy cname.sts.test "$(enf mail.cname.sts.test)"
policy bogus.sts.test "$(enf mx.bogus.sts.test)"
policy mixed.sts.test "$(enf '*.mixed.sts.test')"
policy signedsts.sts.test "$(enf mx.signedsts.sts.test)"
policy unsigned.plain.test "$(enf mx.unsigned.plain.test)"
policy cache.plain.test "$(enf mx1.cache.plain.test)"
policy expire.plain.test "$(enf mx.expire.plain.test 3)"

# ---- PKI (as mtasts_nginx.sh): a test CA, the leaves the scenarios need.
C=$B/certs
ossl() { openssl "$@" >>"$R/openssl.log" 2>&1 || fail_setup "openssl $1 failed (see $R/openssl.log)"; }
mkca() {
	ossl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$C/$1.key" -out "$C/$1.crt" -days 3650 -subj "/CN=$2" \
	    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
mkleaf() {
	local name=$1 ca=$2 san
	shift 2
	san=$(printf 'DNS:%s,' "$@")
	ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$C/$name.key" -out "$C/$name.csr" -subj "/CN=$1"
	printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
	    "${san%,}" > "$C/$name.ext"
	ossl x509 -req -in "$C/$name.csr" -CA "$C/$ca.crt" -CAkey "$C/$ca.key" \
	    -CAcreateserial -days 825 -out "$C/$name.leaf" -extfile "$C/$name.ext"
	cat "$C/$name.leaf" "$C/$ca.crt" > "$C/$name.crt"
}
mkca ca "inkan test CA"
mkca otherca "inkan untrusted CA"
mapfile -t good_hosts < "$B/hosts.txt"
mkleaf good ca "${good_hosts[@]}"
mkleaf untrusted otherca mta-sts.bad-cert1.loc
mkleaf wrongname ca bad-cert2.loc
# The scenario site names an expired certificate too; no scenario of the
# JSON uses it, but nginx loads every server block.
[ -f "$C/expired.crt" ] || { cp "$C/wrongname.crt" "$C/expired.crt"; cp "$C/wrongname.key" "$C/expired.key"; }
# A key for the DANE hosts: TLSA 3 1 1 of good.key (nothing connects to
# port 25 here; the records only have to be well-formed and secure).
H=$(openssl pkey -in "$C/good.key" -pubout -outform DER 2>/dev/null | openssl dgst -sha256 -r | cut -d' ' -f1)
[ ${#H} -eq 64 ] || fail_setup "cannot hash the test key"

# ---- zones
serial=$(date +%s)
Z=$B/dns
cat > "$Z/sts.test.zone" <<EOF
\$ORIGIN sts.test.
\$TTL 300
@	SOA	ns.sts.test. hostmaster.sts.test. $serial 3600 600 86400 300
@	NS	ns
ns	A	127.0.0.1
; every MX host has TLSA; an MTA-STS policy too, which must not win
dane	MX	10 mx.dane
mx.dane	A	127.0.0.1
_25._tcp.mx.dane	TLSA	3 1 1 $H
_mta-sts.dane	TXT	"v=STSv1; id=dane1"
mta-sts.dane	A	127.0.0.1
; the MX host is an alias: TLSA at the expanded name (RFC 7672 §2.2.2)
cname	MX	10 mail.cname
mail.cname	CNAME	host.prov
host.prov	A	127.0.0.1
_25._tcp.host.prov	TLSA	3 1 1 $H
_mta-sts.cname	TXT	"v=STSv1; id=cname1"
mta-sts.cname	A	127.0.0.1
; TLSA altered after signing (bogus), with a valid MTA-STS policy
bogus	MX	10 mx.bogus
mx.bogus	A	127.0.0.1
_25._tcp.mx.bogus	TLSA	3 1 1 $H
_mta-sts.bogus	TXT	"v=STSv1; id=bogus1"
mta-sts.bogus	A	127.0.0.1
; one MX host of two has TLSA
mixed	MX	10 mx1.mixed
mixed	MX	20 mx2.mixed
mx1.mixed	A	127.0.0.1
mx2.mixed	A	127.0.0.1
_25._tcp.mx1.mixed	TLSA	3 1 1 $H
_mta-sts.mixed	TXT	"v=STSv1; id=mixed1"
mta-sts.mixed	A	127.0.0.1
; signed, no TLSA: MTA-STS applies
signedsts	MX	10 mx.signedsts
mx.signedsts	A	127.0.0.1
_mta-sts.signedsts	TXT	"v=STSv1; id=signed1"
mta-sts.signedsts	A	127.0.0.1
EOF
plain_zone() {	# plain_zone CACHE_ID
	cat > "$Z/plain.test.zone" <<EOF
\$ORIGIN plain.test.
\$TTL 1
@	SOA	ns.plain.test. hostmaster.plain.test. $(( serial + $2 )) 3600 600 86400 1
@	NS	ns
ns	A	127.0.0.1
; unsigned: its TLSA is not DANE, its MTA-STS policy applies
unsigned	MX	10 mx.unsigned
mx.unsigned	A	127.0.0.1
_25._tcp.mx.unsigned	TLSA	3 1 1 $H
_mta-sts.unsigned	TXT	"v=STSv1; id=u1"
cache	MX	10 mx1.cache
_mta-sts.cache	TXT	"v=STSv1; id=$1"
expire	MX	10 mx.expire
_mta-sts.expire	TXT	"v=STSv1; id=x1"
EOF
}
plain_zone c1 0
python3 - "$cases" > "$Z/loc.zone" <<'EOF' || fail_setup "cannot write the loc zone"
import json, sys
d = json.load(open(sys.argv[1]))
print("$ORIGIN loc.\n$TTL 300\n@ SOA ns.loc. hostmaster.loc. 1 3600 600 86400 300\n@ NS ns\nns A 127.0.0.1")
for s in d["scenarios"]:
    dom = s["domain"].rstrip(".")
    if dom.startswith(".") or "same_as" in s:
        continue
    if dom == "blackhole.loc":
        continue	# a zone of its own without data: NSD says SERVFAIL
    name = dom[:-len(".loc")]
    print("mta-sts.%s A 127.0.0.1" % name)
    if s.get("txt") is None:
        continue
    if not s["txt"]:
        print("_mta-sts.%s A 127.0.0.1" % name)
    for t in s["txt"]:
        print('_mta-sts.%s TXT "%s"' % (name, t.replace('"', '\\"')))
EOF
(
	cd "$Z" || exit 1
	ksk=$(ldns-keygen -a ECDSAP256SHA256 -k sts.test) || exit 1
	zsk=$(ldns-keygen -a ECDSAP256SHA256 sts.test) || exit 1
	ldns-signzone -e "$(date -u -d '+1 year' +%Y%m%d%H%M%S)" \
	    -f sts.test.zone.signed sts.test.zone "$zsk" "$ksk" || exit 1
	cp "$ksk.ds" sts.test.ds
) >>"$R/sign.log" 2>&1 || fail_setup "cannot sign sts.test (see $R/sign.log)"
# After signing: change the TLSA data of mx.bogus (to the hash of
# something else), so its RRSIG fails.
H2=$(echo other | openssl dgst -sha256 -r | cut -d' ' -f1)
sed -i "s/^\(_25\._tcp\.mx\.bogus\.sts\.test\.[[:space:]].*TLSA[[:space:]]*3 1 1 \)$H/\1$H2/I" \
    "$Z/sts.test.zone.signed"
grep -q "^_25\._tcp\.mx\.bogus\.sts\.test\..*TLSA.*3 1 1 $H2" "$Z/sts.test.zone.signed" ||
    fail_setup "could not alter the TLSA of mx.bogus.sts.test"
ta=$(cat "$Z/sts.test.ds")
{
	nsd_server_conf "$Z" "$R" "$DNS_PORT"
	# blackhole.loc: configured, its file absent, so NSD answers SERVFAIL
	# ("DNS server never answers" in the scenario; a failure either way).
	for z in sts.test:sts.test.zone.signed plain.test:plain.test.zone loc:loc.zone \
	    blackhole.loc:absent.zone; do
		printf 'zone:\n\tname: %s\n\tzonefile: %s\n' "${z%%:*}" "${z#*:}"
	done
} > "$B/nsd.conf"
nsd -d -c "$B/nsd.conf" >>"$R/nsd.out" 2>&1 &
nsd_pid=$!

# ---- nginx
user_line=
if [ "$(id -u)" = 0 ]; then
	user_line="user $(id -un) $(id -gn);"
fi
cat > "$B/nginx.conf" <<EOF
$user_line
daemon off;
worker_processes 1;
pid $R/nginx.pid;
error_log $R/error.log;
events { worker_connections 64; }
http {
	access_log $R/access.log;
	client_body_temp_path $R/t/body;
	proxy_temp_path $R/t/proxy;
	fastcgi_temp_path $R/t/fastcgi;
	uwsgi_temp_path $R/t/uwsgi;
	scgi_temp_path $R/t/scgi;
	include $B/servers.conf;
}
EOF
nginx -t -q -e "$R/error.log" -p "$R" -c "$B/nginx.conf" 2>>"$R/error.log" ||
    fail_setup "nginx rejects the configuration"
nginx -e "$R/error.log" -p "$R" -c "$B/nginx.conf" 2>>"$R/error.log" &
nginx_pid=$!
for _ in $(seq 200); do
	ss -ltn | grep -q "127.0.0.1:$HTTPS_PORT " && ss -lun | grep -q "127.0.0.1:$DNS_PORT " && break
	kill -0 "$nginx_pid" 2>/dev/null || fail_setup "nginx exited at start"
	kill -0 "$nsd_pid" 2>/dev/null || fail_setup "nsd exited at start"
	sleep 0.05
done
ss -ltn | grep -q "127.0.0.1:$HTTPS_PORT " || fail_setup "nginx does not listen on $HTTPS_PORT"
ss -lun | grep -q "127.0.0.1:$DNS_PORT " || fail_setup "nsd does not listen on $DNS_PORT"
echo "# nsd on 127.0.0.1:$DNS_PORT, nginx on 127.0.0.1:$HTTPS_PORT, files under $B"

# ---- inkan-stsd
S=$B/state
mkdir -p "$S" || fail_setup "cannot create $S"
user_opt=
if [ "$(id -u)" = 0 ]; then
	user_opt="--user nobody"
	chown nobody "$R" || fail_setup "cannot chown $R"
fi
: > "$R/maillog"
chmod 644 "$R/maillog"
conf=$B/inkan-stsd.conf
write_conf() {	# write_conf DEFAULT_ANSWER
	cat > "$conf" <<EOC
# inkan-stsd for the loopback test
Socketmap inet:$SM unix:$R/stsd.sock
TCPTable inet:$TT
SocketmapName test test2 postfix
StatsListen inet:$METRICS
SessionSocket unix:$R/sessions.sock
MaillogFile $R/maillog
StateDirectory $S
LogTo stderr
Resolver 127.0.0.1@$DNS_PORT
TrustAnchor $ta
DNSTimeout 3000
PolicyCache $S/policy.db
CAFile $C/ca.crt
MTASTSConnect *=127.0.0.1:$HTTPS_PORT
Workers 3
MaxClients 40
RequestTimeout 2000
DefaultAnswer $1
EOC
}
write_conf NOTFOUND
# shellcheck disable=SC2086
"$stsd" -c "$conf" $user_opt 2>>"$R/stsd.log" &
stsd_pid=$!
for _ in $(seq 200); do
	ss -ltn | grep -q "127.0.0.1:$SM_PORT " && break
	kill -0 "$stsd_pid" 2>/dev/null || fail_setup "inkan-stsd exited at start"
	sleep 0.05
done
ss -ltn | grep -q "127.0.0.1:$SM_PORT " || fail_setup "inkan-stsd does not listen on $SM_PORT"
metric() {	# metric NAME : its value from the counters
	$client metrics "$METRICS" | awk -v m="$1" '$1 == m { print $2 }'
}
fetches() {	# fetches DOMAIN : policy GETs nginx logged for mta-sts.DOMAIN
	grep -c "GET /.well-known/mta-sts.txt" "$R/access-$1.log" 2>/dev/null || true
}

# ---- 1. unprivileged, and never as root without a user
if [ "$(id -u)" = 0 ]; then
	u=$(ps -o user= -p "$stsd_pid" | tr -d ' ')
	[ "$u" = nobody ] && ok=OK || ok=FAIL
	tap "$ok" "inkan-stsd runs as nobody (--user)" "ps says $u"
	"$stsd" -o "Socketmap=inet:127.0.0.1:$((SM_PORT + 3))" >"$R/root.out" 2>&1
	rc=$?
	[ $rc = 77 ] && grep -q "refusing to run as root" "$R/root.out" && ok=OK || ok=FAIL
	tap "$ok" "started as root without --user: refused (exit 77)" "exit $rc: $(cat "$R/root.out")"
fi
printf 'Socketmap inet:127.0.0.1:1\nWorkers 0\n' > "$B/bad.conf"
"$stsd" -n -c "$B/bad.conf" >"$R/bad.out" 2>&1
rc=$?
[ $rc = 78 ] && grep -q "bad.conf:2: Workers wants a number from 1 to" "$R/bad.out" && ok=OK || ok=FAIL
tap "$ok" "a bad setting: exit 78 naming FILE:LINE" "exit $rc: $(cat "$R/bad.out")"
"$stsd" -n -o Frobnicate=1 -o "Socketmap=inet:127.0.0.1:1" >"$R/bad.out" 2>&1
rc=$?
[ $rc = 78 ] && grep -q "unknown setting 'Frobnicate'" "$R/bad.out" && ok=OK || ok=FAIL
tap "$ok" "an unknown -o setting: exit 78" "exit $rc: $(cat "$R/bad.out")"

# ---- 2. the 21 Postfix map answers (postfix-mta-sts-resolver's cases)
python3 - "$cases" > "$B/map.tsv" <<'EOP'
import json, sys
d = json.load(open(sys.argv[1]))
for c in d["postfix_tls_policy_map"]["cases"]:
    name, key = c["query"].split(" ", 1)
    print(name + "\t" + key + "\t" + c["answer"])
EOP
while IFS=$'\t' read -r name key want; do
	got=$($client sm "$SM" "$name" "$key")
	[ "$got" = "$want" ] || [ "$got" = "$want " ] && ok=OK || ok=FAIL
	tap "$ok" "socketmap $name $key -> $want" "got: $got"
done < "$B/map.tsv"

# The same answers again, now from the cache, over the unix socket and
# over tcp_table (500 = NOTFOUND, 200 = OK).
mapfile -t keys < <(cut -f2 "$B/map.tsv")
mapfile -t wants < <(cut -f3 "$B/map.tsv")
mapfile -t got_u < <($client sm "unix:$R/stsd.sock" test "${keys[@]}")
mapfile -t got_t < <($client tt "$TT" "${keys[@]}")
bad_u=
bad_t=
for i in "${!keys[@]}"; do
	w=${wants[$i]}
	[ "${got_u[$i]:-}" = "$w" ] || [ "${got_u[$i]:-}" = "$w " ] || bad_u="$bad_u ${keys[$i]}=${got_u[$i]:-}"
	case $w in
	OK\ *) wt="200 ${w#OK }" ;;
	*) wt="500 " ;;
	esac
	[ "${got_t[$i]:-}" = "$wt" ] || bad_t="$bad_t ${keys[$i]}=${got_t[$i]:-}"
done
[ -z "$bad_u" ] && ok=OK || ok=FAIL
tap "$ok" "the 21 answers again over the unix socketmap" "wrong:$bad_u"
[ -z "$bad_t" ] && ok=OK || ok=FAIL
tap "$ok" "the 21 answers over tcp_table (%XX-encoded values)" "wrong:$bad_t"
c=$(fetches good.loc 2>/dev/null)
hits=$(metric inkan_stsd_cache_hits_total)
[ "${hits:-0}" -ge 30 ] && ok=OK || ok=FAIL
tap "$ok" "repeated queries answered from the in-memory cache" "cache hits: $hits"

# ---- 3. DANE before MTA-STS; bogus -> TEMP; testing mode -> default
check_sm() {	# check_sm NEXTHOP WANT(regex) WHY
	local got
	got=$($client sm "$SM" postfix "$1")
	if [[ $got =~ ^$2$ ]]; then tap OK "$1 -> $3 ($got)"; else tap FAIL "$1 -> $3" "got: $got"; fi
}
check_sm dane.sts.test "OK dane-only" "dane-only although an MTA-STS policy exists"
check_sm cname.sts.test "OK dane-only" "dane-only through a CNAME'd MX host"
check_sm mixed.sts.test "OK dane" "dane: one MX host of two has TLSA"
check_sm bogus.sts.test "TEMP .*" "TEMP: bogus TLSA, never the MTA-STS policy"
check_sm signedsts.sts.test "OK secure match=mx.signedsts.sts.test servername=hostname" \
    "signed without TLSA: MTA-STS enforce"
check_sm unsigned.plain.test "OK secure match=mx.unsigned.plain.test servername=hostname" \
    "unsigned: TLSA ignored, MTA-STS"
for d in dane.sts.test cname.sts.test bogus.sts.test mixed.sts.test; do
	c=$(fetches $d)
	[ "$c" = 0 ] && ok=OK || ok=FAIL
	tap "$ok" "$d: its MTA-STS policy never fetched (DANE decided)" "$c fetches"
done
grep -q 'domain=testing.loc answer="NOTFOUND" kind=sts-testing (testing: not enforced, reported)' \
    "$R/stsd.log" && ok=OK || ok=FAIL
tap "$ok" "testing.loc: answered with the default, logged as testing" \
    "$(grep testing.loc "$R/stsd.log" | head -2)"
line=$(grep 'domain=good.loc answer="OK secure match=mail.loc servername=hostname" kind=sts-enforce' \
    "$R/stsd.log" | head -1)
[[ $line == *cache=miss*policy_cache=fetched* ]] && ok=OK || ok=FAIL
tap "$ok" "one log line per decision: domain, answer, kind, why, cache state" "$line"
c1=$(fetches signedsts.sts.test)
for _ in 1 2 3 4 5; do $client sm "$SM" postfix signedsts.sts.test >/dev/null; done
c2=$(fetches signedsts.sts.test)
[ "$c1" = 1 ] && [ "$c2" = 1 ] && ok=OK || ok=FAIL
tap "$ok" "signedsts.sts.test: one policy fetch for six queries" "fetches $c1 then $c2"

# ---- 4. malformed requests: clear errors
raw() { $client raw "$1" "$2"; }
got=$(raw "$SM" 'hello\n')
[[ $got == "b'"*"PERM not a netstring: expected a length,<closed>'" ]] && ok=OK || ok=FAIL
tap "$ok" "socketmap: not a netstring -> PERM, connection closed" "got $got"
got=$(raw "$SM" '7:postfix,21:postfix no-record.loc,')
[[ $got == "b'"*"PERM request is not \"NAME KEY\",9:NOTFOUND ,'" ]] && ok=OK || ok=FAIL
tap "$ok" "socketmap: no key -> PERM, the next request still answered" "got $got"
got=$(raw "$SM" '14:nomap good.loc,')
[[ $got == *"PERM unknown map name"* ]] && ok=OK || ok=FAIL
tap "$ok" "socketmap: unknown map name -> PERM" "got $got"
got=$(raw "$SM" '99999:')
[[ $got == *"PERM request longer than the limit,<closed>"* ]] && ok=OK || ok=FAIL
tap "$ok" "socketmap: a request over the limit -> PERM, closed" "got $got"
got=$(raw "$TT" 'put good.loc x\nget %zz\nget good.loc\n')
[[ $got == "b'400 put%20is%20not%20supported"*"\\n400 bad%20%25XX%20escape"*"\\n200 secure%20match=mail.loc%20servername=hostname\\n'" ]] &&
    ok=OK || ok=FAIL
tap "$ok" "tcp_table: put and a bad %XX -> 400 with the reason; then answered" "got $got"
got=$(raw "$SM" '22:postfix [192.0.2.1]:25,')
[[ $got == "b'9:NOTFOUND ,'" ]] && ok=OK || ok=FAIL
tap "$ok" "an address literal: NOTFOUND (no policy applies)" "got $got"

# ---- 5. SIGHUP: a new default answer, the cache cleared, connections kept
write_conf may
kill -HUP "$stsd_pid"
for _ in $(seq 40); do grep -q "reloaded $conf" "$R/stsd.log" && break; sleep 0.05; done
got=$($client sm "$SM" postfix no-record.loc)
[ "$got" = "OK may" ] && ok=OK || ok=FAIL
tap "$ok" "SIGHUP: DefaultAnswer may now answers no-record.loc" "got $got"
got=$(grep -c "answer cache cleared" "$R/stsd.log")
entries=$(metric inkan_stsd_cache_entries)
[ "$got" -ge 1 ] && [ "${entries:-9}" -le 1 ] && ok=OK || ok=FAIL
tap "$ok" "SIGHUP cleared the answer cache" "log lines $got, entries $entries"
# A connection open across the reload is still served.
got=$(STSD_PID=$stsd_pid python3 - "$SM_PORT" <<'EOP'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def q(k):
    r = ("postfix " + k).encode()
    s.sendall(b"%d:%s," % (len(r), r))
    return s.recv(4096).decode()
a = q("good.loc")
import os, signal
pid = int(os.environ["STSD_PID"])
os.kill(pid, signal.SIGHUP)
time.sleep(0.5)
print(a + "|" + q("good.loc"))
EOP
)
want="44:OK secure match=mail.loc servername=hostname,|44:OK secure match=mail.loc servername=hostname,"
[ "$got" = "$want" ] && ok=OK || ok=FAIL
tap "$ok" "a connection open across SIGHUP is still answered" "got $got"
write_conf NOTFOUND
kill -HUP "$stsd_pid"
sleep 0.3

# ---- 6. MaxClients 40: the 41st connection is told TEMP and closed
got=$($client hold "$SM" 45 0.2)
[ "$got" -ge 5 ] && ok=OK || ok=FAIL
tap "$ok" "MaxClients 40: connections beyond it answered TEMP too many" "$got of 45 refused"
sleep 0.3
got=$($client sm "$SM" postfix good.loc)
[ "$got" = "OK secure match=mail.loc servername=hostname" ] && ok=OK || ok=FAIL
tap "$ok" "after the burst, queries are answered again" "got $got"

# ---- 7. DNS stopped: TEMP within the request deadline (2 s)
nsd_signal STOP
t0=$(date +%s%N)
got=$($client sm "$SM" postfix never-seen.plain.test)
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
nsd_signal CONT
[[ $got == TEMP* ]] && [ "$ms" -lt 3500 ] && ok=OK || ok=FAIL
tap "$ok" "NSD stopped: TEMP within the deadline" "got '$got' after $ms ms"
got=$(grep -c 'domain=never-seen.plain.test answer="TEMP timeout"' "$R/stsd.log")
[ "$got" -ge 1 ] && ok=OK || ok=FAIL
tap "$ok" "the timeout is logged" "$got lines"
got=$($client sm "$SM" postfix good.loc)
[ "$got" = "OK secure match=mail.loc servername=hostname" ] && ok=OK || ok=FAIL
tap "$ok" "cached answers keep flowing while DNS is down" "got $got"

# ---- 8. TLS-RPT intake: session lines
now=$(date +%s)
got=$(printf '%s\tgood.loc\tsts\tversion: STSv1|mode: enforce|mx: mail.loc|max_age: 86400\tmail.loc\t-\t192.0.2.1\tsuccess\nnonsense\n' "$now" |
    python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR); print(s.recv(4096).decode().replace("\n", "|"))' "$R/sessions.sock")
[[ $got == "ok|error: "* ]] && ok=OK || ok=FAIL
tap "$ok" "session socket: a good line ok, a bad one refused with the reason" "got $got"

# ---- 9. TLS-RPT intake: Postfix log lines, matched with our answers
day=$(date -u +%Y-%m-%d)
ts="$(date '+%b %e %H:%M:%S') mx"
cat >> "$R/maillog" <<EOL
$ts postfix/smtp[4001]: Verified TLS connection established to mx.dane.sts.test[127.0.0.1]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
$ts postfix/smtp[4001]: A1: to=<u@dane.sts.test>, relay=mx.dane.sts.test[127.0.0.1]:25, delay=0.1, delays=0/0/0.05/0.05, dsn=2.0.0, status=sent (250 2.0.0 Ok)
$ts postfix/smtp[4001]: A1: to=<v@dane.sts.test>, relay=mx.dane.sts.test[127.0.0.1]:25, delay=0.1, delays=0/0/0.05/0.05, dsn=2.0.0, status=sent (250 2.0.0 Ok)
$ts postfix/smtp[4002]: Trusted TLS connection established to mx.signedsts.sts.test[127.0.0.1]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
$ts postfix/smtp[4002]: A2: to=<u@signedsts.sts.test>, relay=mx.signedsts.sts.test[127.0.0.1]:25, delay=0.1, delays=0/0/0.05/0.05, dsn=4.7.5, status=deferred (Server certificate not verified)
$ts postfix/smtp[4003]: A3: to=<u@good.loc>, relay=mail.loc[127.0.0.1]:25, delay=0.1, delays=0/0/0.05/0.05, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mail.loc[127.0.0.1])
$ts postfix/smtp[4004]: Untrusted TLS connection established to mail.testing.loc[127.0.0.1]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
$ts postfix/smtp[4004]: A4: to=<u@testing.loc>, relay=mail.testing.loc[127.0.0.1]:25, delay=0.1, delays=0/0/0.05/0.05, dsn=2.0.0, status=sent (250 2.0.0 Ok)
$ts postfix/smtp[4005]: Verified TLS connection established to mx.unknown.example[127.0.0.1]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
$ts postfix/smtp[4005]: A5: to=<u@unknown.example>, relay=mx.unknown.example[127.0.0.1]:25, delay=0.1, delays=0/0/0.05/0.05, dsn=2.0.0, status=sent (250 2.0.0 Ok)
EOL
sf=$S/tlsrpt-sessions-$day.tsv
for _ in $(seq 40); do [ "$(grep -c . "$sf" 2>/dev/null)" -ge 5 ] && break; sleep 0.1; done
summary=$(cut -f2,3,5,8 "$sf" | tr '\t' ' ' | tr '\n' '|')
want="good.loc sts mail.loc success|dane.sts.test tlsa mx.dane.sts.test success|signedsts.sts.test sts mx.signedsts.sts.test certificate-host-mismatch|good.loc sts mail.loc starttls-not-supported|testing.loc sts mail.testing.loc certificate-not-trusted|"
[ "$summary" = "$want" ] && ok=OK || ok=FAIL
tap "$ok" "session file: outcomes mapped to the policies answered (one per session)" "got $summary"
um=$(metric inkan_stsd_maillog_unmatched_total)
[ "${um:-0}" = 1 ] && ok=OK || ok=FAIL
tap "$ok" "a delivery to a domain never answered for is counted, not reported" "unmatched $um"
grep -q "3 1 1 $H" "$sf" && ok=OK || ok=FAIL
tap "$ok" "the tlsa session carries the TLSA record as policy string" "$(grep dane "$sf" | head -1)"
rm -rf "$B/reports"
"$inkan" report generate --tls-sessions "$sf" --org-name "inkan test" \
    --org-email tlsrpt@sender.example --out "$B/reports" --day "$day" --json >"$R/gen.out" 2>&1
rc=$?
got=$(for f in "$B/reports"/*good.loc*.json.gz; do gzip -dc "$f"; done 2>/dev/null |
    python3 -c 'import json,sys; r=json.load(sys.stdin); p=r["policies"][0]; print(p["policy"]["policy-type"], p["summary"]["total-successful-session-count"], p["summary"]["total-failure-session-count"], p.get("failure-details", [{}])[0].get("result-type"))' 2>&1)
[ $rc = 0 ] && [ "$got" = "sts 1 1 starttls-not-supported" ] && ok=OK || ok=FAIL
tap "$ok" "inkan report generate turns the session file into RFC 8460 reports" "exit $rc; good.loc: $got; $(head -3 "$R/gen.out")"

# ---- 10. counters and SIGTERM
m=$($client metrics "$METRICS")
for name in inkan_stsd_requests_total inkan_stsd_answers_total inkan_stsd_decisions_total \
    inkan_stsd_lookup_seconds_bucket inkan_stsd_timeouts_total inkan_stsd_reloads_total; do
	grep -q "^$name" <<< "$m" || { tap FAIL "counter $name present"; continue; }
done
grep -q '^inkan_stsd_decisions_total{kind="dane-only"} [1-9]' <<< "$m" &&
    grep -q '^inkan_stsd_reloads_total [2-9]' <<< "$m" && ok=OK || ok=FAIL
tap "$ok" "Prometheus counters (requests, answers, kinds, lookups, reloads)" \
    "$(grep -E 'decisions_total|reloads_total' <<< "$m" | tr '\n' ' ')"
nsd_signal STOP
$client sm "$SM" postfix slow-at-stop.plain.test > "$R/stop.out" &
cpid=$!
sleep 0.3
kill -TERM "$stsd_pid"
t0=$(date +%s)
wait "$stsd_pid"
rc=$?
t1=$(date +%s)
wait "$cpid"
nsd_signal CONT
stsd_pid=
got=$(cat "$R/stop.out")
[ $rc = 0 ] && [[ $got == TEMP* ]] && [ $((t1 - t0)) -le 6 ] && ok=OK || ok=FAIL
tap "$ok" "SIGTERM: the request in flight answered TEMP, exit 0 within the grace period" \
    "exit $rc after $((t1 - t0)) s, client got '$got'"
[ ! -e "$R/stsd.sock" ] && ok=OK || ok=FAIL
tap "$ok" "SIGTERM: the unix socket removed" ""

echo "1..$n"
[ "$nfail" = 0 ]
