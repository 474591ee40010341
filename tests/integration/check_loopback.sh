#!/usr/bin/env bash
# check_loopback.sh [BUILD] - `inkan check` against real servers on
# loopback: NSD with a signed zone (check.test, libunbound validating with
# its own trust anchor) and an unsigned one, Postfix with four SMTP
# endpoints (good STARTTLS, none, self-signed, weak TLS) and nginx with good
# and broken MTA-STS policies.  check/env.sh builds and starts them; each
# test domain reproduces one failure seen in practice, and check/expect.py
# says which finding and status it must give.  Then the output forms:
# exit codes, text, --html, several domains in one call.  Prints TAP.  If
# the servers cannot be started the run fails ("not ok"), never skips.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
inkan=$build/src/inkan/inkan

# shellcheck source=tests/integration/check/env.sh
. "$here/check/env.sh"
check_env_init "$build"
trap 'check_env_stop "$build"' EXIT

if [ ! -x "$inkan" ]; then
	echo "not ok 1 - check_loopback: $inkan is not built"
	echo "1..1"
	exit 1
fi
mkdir -p "$B"
if ! check_env_start "$build" 2>"$B/env.err"; then
	echo "not ok 1 - check_loopback: the loopback servers did not start"
	sed 's/^/# /' "$B/env.err" | tail -20
	echo "1..1"
	exit 1
fi

sp=$CHECK_SMTP_PORT
conn=(--connect "mx-good.check.test:25=127.0.0.1:$sp"
	--connect "mx-danebad.check.test:25=127.0.0.1:$sp"
	--connect "mx-good.insecure.test:25=127.0.0.1:$sp"
	--connect "mx-notls.check.test:25=127.0.0.1:$((sp + 1))"
	--connect "mx-self.check.test:25=127.0.0.1:$((sp + 2))"
	--connect "mx-weak.check.test:25=127.0.0.1:$((sp + 3))")
for d in good stsbig stsredirect stsuncovered; do
	conn+=(--connect "mta-sts.$d.check.test:443=127.0.0.1:$CHECK_HTTPS_PORT")
done
common=(--resolver "127.0.0.1@$CHECK_DNS_PORT" --trust-anchor "$B/check.test.ds"
	--ca-file "$B/pki/ca.pem" --probe-timeout 5000 "${conn[@]}")

out=$B/out
mkdir -p "$out"
# Domains whose MX hosts are probed (TLS and DANE), then the DNS-only ones.
"$inkan" check --json "${common[@]}" good.check.test danebad.check.test weaktls.check.test \
	notls.check.test selfsigned.check.test bogus.check.test insecure.test \
	> "$out/tls.json" 2> "$out/tls.err"
rc_tls=$?
"$inkan" check --json --skip tls,dane "${common[@]}" spf2.check.test spflookups.check.test \
	spfvoid.check.test mxip.check.test dmarcsyntax.check.test dmarcnone.check.test \
	ruaext.check.test nullmx.check.test stsnohost.check.test stsbig.check.test \
	stsredirect.check.test stsuncovered.check.test > "$out/dns.json" 2> "$out/dns.err"
rc_dns=$?

/usr/bin/python3 "$here/check/expect.py" "$out/tls.json" "$out/dns.json" > "$out/expect.tap"
n=$(grep -c '^\(not \)\?ok ' "$out/expect.tap")
grep -v '^1\.\.' "$out/expect.tap"
fails=$(grep -c '^not ok ' "$out/expect.tap")

t() {	# t NAME COMMAND...: one more TAP line
	n=$((n + 1))
	if "${@:2}"; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		fails=$((fails + 1))
	fi
}

t "several domains with failures: exit 2 (got $rc_tls, $rc_dns)" \
	test "$rc_tls" -eq 2 -a "$rc_dns" -eq 2
"$inkan" check "${common[@]}" good.check.test > "$out/good.txt" 2>&1
rc=$?
t "a fully correct domain: exit 0 (got $rc)" test $rc -eq 0
t "text output names the domain and its 100% score" grep -q '^good.check.test  score 100%' "$out/good.txt"
t "text output groups by category (DANE heading, dane-match line)" \
	grep -q '✔ .*\[dane-match\]' "$out/good.txt"
"$inkan" check --only dmarc "${common[@]}" dmarcnone.check.test > "$out/none.txt" 2>&1
rc=$?
t "warnings only: exit 1 (got $rc)" test $rc -eq 1
# What-if: a planned record in an overlay shadows the live one (issue 5).
printf '_dmarc.dmarcnone.check.test. 300 IN TXT "v=DMARC1; p=reject; rua=mailto:d@dmarcnone.check.test"\n' \
	> "$out/plan.zone"
"$inkan" check --json --only dmarc --overlay "$out/plan.zone" "${common[@]}" \
	dmarcnone.check.test > "$out/plan.json" 2>&1
rc=$?
t "--overlay: the planned p=reject replaces live p=none (exit $rc)" bash -c \
	"test $rc -eq 0 && grep -q '\"id\": \"dmarc-policy\"' '$out/plan.json' && \
	! grep -q '\"status\": \"warn\"' '$out/plan.json'"
"$inkan" check --only tls --html "$out/report.html" "${common[@]}" good.check.test \
	weaktls.check.test > /dev/null 2>&1
t "--html writes one self-contained page with both domains" \
	bash -c "grep -q '<svg' '$out/report.html' && grep -q 'weaktls.check.test' '$out/report.html' \
	&& grep -q 'good.check.test' '$out/report.html' && ! grep -q '<script\|src=' '$out/report.html'"
t "--html page shows the weak suite finding" grep -q 'tls-cipher' "$out/report.html"
# No probes left behind: every connection ended with QUIT or a close.
t "Postfix logged our QUITs (polite probe)" grep -q 'disconnect from .* quit=1' "$B/run/maillog"

echo "1..$n"
[ "$fails" -eq 0 ]
