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
# NSD stopped or killed -> TEMP within the request deadline, malformed requests ->
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
B=$build/testenv-stsd-nsd
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

# The zones, the policies, NSD and nginx (shared with the other policy test).
# shellcheck source=tests/integration/sts/world.sh
. "$here/sts/world.sh"

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
TCPTable inet:$TT unix:$R/tt.sock
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
RefreshInterval 1
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
got=$($client tt "unix:$R/tt.sock" good.loc '[1.2.3.4]')
[ "$got" = "200 secure match=mail.loc servername=hostname
500 " ] && ok=OK || ok=FAIL
tap "$ok" "tcp_table on a unix socket" "got $got"
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

# Several clients asking for the same new domain at once: one lookup.
c0=$(metric inkan_stsd_coalesced_total)
got=$($client burst "$SM" postfix fast-expire.loc 8)
c1=$(metric inkan_stsd_coalesced_total)
want=$(for _ in 1 2 3 4 5 6 7 8; do printf '|OK secure match=mail.loc servername=hostname'; done)
[ $((c1 - c0)) -ge 1 ] && [ "|$got" = "$want" ] && ok=OK || ok=FAIL
tap "$ok" "8 clients, the same new domain at once: answered alike, lookups coalesced" \
    "coalesced +$((c1 - c0)); got $got"
got=$($client raw "$SM" '24:postfix pipe1.plain.test,24:postfix pipe1.plain.test,16:postfix good.loc,')
[[ $got == "b'9:NOTFOUND ,9:NOTFOUND ,44:OK secure match=mail.loc servername=hostname,'" ]] &&
    ok=OK || ok=FAIL
tap "$ok" "pipelined requests (a new domain twice, then a cached one) answered in order" "got $got"

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

# NSD killed (nothing listens): TEMP too, then NSD back for what follows.
stop_pid "$nsd_pid"
nsd_pid=
t0=$(date +%s%N)
got=$($client sm "$SM" postfix killed-dns.plain.test)
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
[[ $got == TEMP* ]] && [ "$ms" -lt 3500 ] && ok=OK || ok=FAIL
tap "$ok" "NSD killed: TEMP within the deadline" "got '$got' after $ms ms"
nsd -d -c "$B/nsd.conf" >>"$R/nsd.out" 2>&1 &
nsd_pid=$!
for _ in $(seq 100); do
	ss -lun | grep -q "127.0.0.1:$DNS_PORT " && break
	sleep 0.05
done

# ---- 8. TLS-RPT intake: session lines
now=$(date +%s)
got=$(printf '%s\tgood.loc\tsts\tversion: STSv1|mode: enforce|mx: mail.loc|max_age: 86400\tmail.loc\t-\t192.0.2.1\tsuccess\nnonsense\n' "$now" |
    python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    got += d
print(got.decode().replace("\n", "|"))' "$R/sessions.sock")
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
runs=$(awk '$1 == "inkan_stsd_refresh_runs_total" { print $2 }' <<< "$m")
errs=$(awk '$1 == "inkan_stsd_refresh_errors_total" { print $2 }' <<< "$m")
[ "${runs:-0}" -ge 3 ] && [ "${errs:-1}" = 0 ] && ok=OK || ok=FAIL
tap "$ok" "proactive refresh (RefreshInterval 1) runs in the workers without errors" \
    "runs $runs, errors $errs"
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
[ ! -e "$R/stsd.sock" ] && [ ! -e "$R/tt.sock" ] && ok=OK || ok=FAIL
tap "$ok" "SIGTERM: the unix sockets removed" ""

echo "1..$n"
[ "$nfail" = 0 ]
