#!/usr/bin/env bash
# stsd_postfix.sh [BUILD] - inkan-stsd as the TLS policy service of a real
# sending Postfix (smtp_tls_policy_maps = socketmap:inet:127.0.0.1:PORT:postfix),
# delivering to real receiving Postfix endpoints over DNS (NSD behind a
# validating unbound) with MTA-STS policies from nginx; stsd/env.sh builds
# that world (read it for the domains).
#
# Checked (issue 9's proof), from the sender's log and the daemon's:
#   enforce.sts.test   MTA-STS enforce, good certificate: sent, Verified TLS
#   badcert.sts.test   MTA-STS enforce, self-signed MX: deferred (4.7.5)
#   testing.sts.test   MTA-STS testing, self-signed MX: sent, and reported in
#                      the RFC 8460 report built from the daemon's sessions
#   nopolicy.sts.test  nothing: the default (may), sent
#   danests.test       DNSSEC TLSA and an MTA-STS enforce policy that names
#                      another MX: answered dane-only, sent with DANE
#                      (RFC 8461 §2: MTA-STS never overrides DANE)
#   bogus.danests.test TLSA bogus: not downgraded to MTA-STS; deferred
# Prints TAP; stops everything it started, by PID.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
inkan=$build/src/inkan/inkan
stsd=$build/src/stsd/inkan-stsd
SPORT=${INKAN_STSD_MAP_PORT:-10060}
py=/usr/bin/python3
n=0
fail=0

tap() {	# tap OK NAME [DETAIL]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=1
		[ -n "${3:-}" ] && printf '%s\n' "$3" | head -30 | sed 's/^/#   /'
	fi
	return 0
}

bail() {
	tap 1 "$1" "${2:-}"
	echo "1..$n"
	exit 1
}

# shellcheck source=tests/integration/stsd/env.sh
. "$here/stsd/env.sh"
stsd_env_init "$build"
STSD_POLICY_MAP=socketmap:inet:127.0.0.1:$SPORT:postfix
S=$B/stsd

stop_all() {
	local pid
	pid=$(cat "$R/stsd.pid" 2>/dev/null)
	case $pid in ''|*[!0-9]*) ;; *)
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$pid" 2>/dev/null ;;
	esac
	rm -f "$R/stsd.pid"
	stsd_env_stop
}
trap stop_all EXIT

[ -x "$inkan" ] && [ -x "$stsd" ] || bail "inkan and inkan-stsd are built ($inkan, $stsd)"
mkdir -p "$B"
stsd_env_start 2>"$B/env.err" || bail "the loopback servers start" "$(cat "$B/env.err")"

# ---- the daemon ----
rm -rf "$S"
mkdir -p "$S"
chown nobody "$S"
cat > "$S/inkan-stsd.conf" <<EOF
# inkan-stsd for the end-to-end test (see inkan-stsd.conf(5))
Socketmap inet:127.0.0.1:$SPORT
StateDirectory $S
PolicyCache $S/policies.db
PidFile $S/inkan-stsd.pid
LogTo stderr
Resolver 127.0.0.1@$STSD_DNS_PORT
TrustAnchorFile $B/danests.test.ds
CAFile $B/pki/ca.pem
MaillogFile $B/sender/maillog
StatsListen inet:127.0.0.1:$((SPORT + 1))
# a line for every answer, so the log shows what Postfix itself asked
LogCacheHits yes
EOF
"$stsd" -n -c "$S/inkan-stsd.conf" -u nobody >"$S/check.out" 2>&1
tap $? "inkan-stsd -n accepts the configuration" "$(cat "$S/check.out")"
setsid "$stsd" -c "$S/inkan-stsd.conf" -u nobody >>"$S/stsd.log" 2>&1 &
echo $! > "$R/stsd.pid"
stsd_listening "127.0.0.1:$SPORT" || bail "inkan-stsd listens on 127.0.0.1:$SPORT" "$(tail -20 "$S/stsd.log")"

# ---- what the daemon answers (the same engine as inkan sts query) ----
expect_answer() {	# expect_answer DOMAIN PATTERN
	local got
	got=$("$py" "$here/stsd_client.py" sm "127.0.0.1:$SPORT" postfix "$1" 2>&1)
	if printf '%s\n' "$got" | grep -Eq "$2"; then
		tap 0 "socketmap answer for $1: $got"
	else
		tap 1 "socketmap answer for $1 matches /$2/" "got: $got"
	fi
}
expect_answer enforce.sts.test '^OK secure match=mx\.enforce\.sts\.test( |$)'
expect_answer badcert.sts.test '^OK secure match=mx\.badcert\.sts\.test( |$)'
expect_answer testing.sts.test '^NOTFOUND'
expect_answer nopolicy.sts.test '^NOTFOUND'
expect_answer danests.test '^OK dane-only$'
expect_answer bogus.danests.test '^TEMP '

# ---- mail through the sending Postfix ----
stsd_sender_start 2>"$B/sender.err" || bail "the sending Postfix starts" "$(cat "$B/sender.err")"
domains="enforce.sts.test badcert.sts.test testing.sts.test nopolicy.sts.test danests.test bogus.danests.test"
for d in $domains; do
	swaks --server "127.0.0.1:$STSD_SUBMIT_PORT" --from "a@sender.test" --to "user@$d" \
		--h-Subject "to $d" >"$B/swaks.$d.out" 2>&1 ||
		tap 1 "submission of a message to $d" "$(tail -5 "$B/swaks.$d.out")"
done
log=$B/sender/maillog
for _ in $(seq 300); do
	m=0
	for d in $domains; do
		grep -q "to=<user@$d>.*status=" "$log" 2>/dev/null && m=$((m + 1))
	done
	[ $m -eq 6 ] && break
	sleep 0.1
done
status_of() { grep "to=<user@$1>.*status=" "$log" | tail -1; }

l=$(status_of enforce.sts.test)
tap "$(printf '%s' "$l" | grep -q 'status=sent' && grep -q 'Verified TLS connection established to mx.enforce.sts.test' "$log"; echo $?)" \
	"MTA-STS enforce, good certificate: sent over verified TLS" "$l"
l=$(status_of badcert.sts.test)
tap "$(printf '%s' "$l" | grep -q 'dsn=4.7.5, status=deferred'; echo $?)" \
	"MTA-STS enforce, self-signed MX: deferred, not sent in the clear or unverified" "$l"
l=$(status_of testing.sts.test)
tap "$(printf '%s' "$l" | grep -q 'status=sent'; echo $?)" \
	"MTA-STS testing, self-signed MX: delivered (testing is not enforced)" "$l"
l=$(status_of nopolicy.sts.test)
tap "$(printf '%s' "$l" | grep -q 'status=sent'; echo $?)" "no policy: the default, sent" "$l"
l=$(status_of danests.test)
tap "$(printf '%s' "$l" | grep -q 'status=sent' && grep -q 'Verified TLS connection established to mx.danests.test' "$log"; echo $?)" \
	"DANE domain with an MTA-STS policy naming another MX: sent, verified by DANE (RFC 8461 §2)" "$l"
l=$(status_of bogus.danests.test)
tap "$(printf '%s' "$l" | grep -q 'status=deferred'; echo $?)" \
	"bogus TLSA: deferred, never downgraded to MTA-STS or plain TLS" "$l"
# The daemon's own account: Postfix asked it, and it answered (one line
# per decision).  mx.danests.test's certificate is self-signed and not in
# smtp_tls_CAfile: "Verified" above can only have come from its TLSA.
grep -q 'domain=danests.test answer="OK dane-only" kind=dane-only.*cache=hit' "$S/stsd.log"
tap $? "Postfix's lookup for danests.test was answered dane-only" "$(grep danests "$S/stsd.log" | tail -3)"
grep -q 'domain=testing.sts.test answer="NOTFOUND" kind=sts-testing.*cache=hit' "$S/stsd.log"
tap $? "Postfix's lookup for testing.sts.test: the default, marked testing" "$(grep testing.sts "$S/stsd.log" | tail -3)"

# ---- TLS-RPT: the testing domain's failure is reported ----
day=$(date -u +%Y-%m-%d)
sess=$S/tlsrpt-sessions-$day.tsv
# The daemon tails the Postfix log: wait for the five delivery attempts
# that reached an MX (bogus.danests.test never did).
for _ in $(seq 200); do
	m=0
	for d in enforce.sts.test badcert.sts.test testing.sts.test nopolicy.sts.test danests.test; do
		grep -q "	$d	" "$sess" 2>/dev/null && m=$((m + 1))
	done
	[ $m -eq 5 ] && break
	sleep 0.1
done
grep -q 'testing.sts.test' "$sess" 2>/dev/null
tap $? "the daemon recorded the testing domain's session from the Postfix log" "$(cat "$sess" 2>&1 | head)"
rm -rf "$B/reports"
mkdir -p "$B/reports"
"$inkan" report generate --tls-sessions "$sess" --day "$day" --org-name "inkan test" \
	--org-email "tlsrpt@sender.test" --out "$B/reports" >"$B/reports/gen.out" 2>&1
rc=$?
tap $rc "inkan report generate --tls-sessions turns them into RFC 8460 reports" "$(cat "$B/reports/gen.out")"
"$py" - "$B/reports" <<'PY' >"$B/reports/check.out" 2>&1
import glob, gzip, json, sys
found = {}
for f in glob.glob(sys.argv[1] + "/*"):
    if not (f.endswith(".json") or f.endswith(".json.gz")):
        continue
    raw = gzip.open(f).read() if f.endswith(".gz") else open(f, "rb").read()
    r = json.loads(raw)
    for p in r["policies"]:
        found[p["policy"]["policy-domain"]] = p
t = found.get("testing.sts.test")
assert t is not None, "no report policy for testing.sts.test: %s" % sorted(found)
assert t["policy"]["policy-type"] == "sts", t["policy"]
assert any("mode: testing" in s for s in t["policy"].get("policy-string", [])), t["policy"]
s = t["summary"]
assert s["total-failure-session-count"] >= 1, s
kinds = [d["result-type"] for d in t.get("failure-details", [])]
assert "certificate-not-trusted" in kinds or "validation-failure" in kinds, kinds
e = found.get("enforce.sts.test")
assert e is not None and e["summary"]["total-successful-session-count"] >= 1, e
d = found.get("danests.test")
assert d is not None and d["policy"]["policy-type"] == "tlsa", d
print("ok", sorted(found))
PY
tap $? "the testing domain's report counts its certificate failure; enforce and DANE successes with their policies" \
	"$(cat "$B/reports/check.out")"

echo "1..$n"
exit $fail
