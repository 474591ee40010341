#!/usr/bin/env bash
# verify_nsd.sh [BUILD] - `inkan verify` and `inkan sign` through a real NSD.
#
# The records a verifier fetches (DKIM keys, the SPF policy, the DMARC
# policy found by the RFC 9989 tree walk, a non-existent subdomain for np=)
# are served by NSD on 127.0.0.1:${INKAN_TEST_VERIFY_PORT:-5356} from a zone
# written here, and inkan asks them through libunbound forwarding to it.
# The same messages are then verified against the same zone file through
# the in-memory backend: both must give the same results.  Prints TAP; NSD
# is stopped on exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
inkan=$build/src/inkan/inkan
PORT=${INKAN_TEST_VERIFY_PORT:-5356}
export INKAN_TESTENV=$build/testenv-verify
export INKAN_TEST_DNS_PORT=$PORT
W=$build/test-verify-nsd
n=0
fail=0

tap() {	# tap OK NAME [DETAIL]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=1
		[ -n "${3:-}" ] && printf '%s\n' "$3" | head -20 | sed 's/^/#   /'
	fi
	return 0
}

trap 'bash "$top/tests/env/stop.sh" >/dev/null 2>&1 || true' EXIT
rm -rf "$W"
mkdir -p "$W/zones"
cd "$W"

"$inkan" dkim keygen --domain verify.test --selector s1 --out s1.key > s1.rec
"$inkan" dkim keygen --domain verify.test --selector e1 --type ed25519 --out e1.key > e1.rec
"$inkan" dkim keygen --domain verify.test --selector arc --out arc.key > arc.rec
{
	echo '$ORIGIN verify.test.'
	echo '$TTL 300'
	echo '@ IN SOA ns.verify.test. hostmaster.verify.test. 1 3600 600 86400 300'
	echo '@ IN NS ns.verify.test.'
	echo 'ns IN A 127.0.0.1'
	echo '@ IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'
	echo '_dmarc IN TXT "v=DMARC1; p=reject; np=reject; adkim=s"'
	echo 'mail IN A 192.0.2.25'
	echo 'deep.sub IN TXT "v=spf1 -all"'
	grep -v '^;' s1.rec
	grep -v '^;' e1.rec
	grep -v '^;' arc.rec
} > zones/verify.test.zone

# The parent zone: the RFC 9989 tree walk asks _dmarc.test. too, and in
# real DNS the TLD answers (NXDOMAIN).  Without it NSD refuses the query
# and the walk rightly ends in temperror.
{
	echo '$ORIGIN test.'
	echo '$TTL 300'
	echo '@ IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300'
	echo '@ IN NS ns.test.'
	echo 'ns IN A 127.0.0.1'
	echo 'verify IN NS ns.verify.test.'
} > zones/test.zone

printf 'From: Alice <alice@verify.test>\r\nTo: bob@example.org\r\nSubject: nsd\r\nDate: Thu, 26 Nov 2026 01:00:00 +0000\r\nMessage-ID: <nsd-1@verify.test>\r\n\r\nHello over real DNS.\r\n' > plain.eml
"$inkan" dkim sign --domain verify.test --selector s1 --key s1.key \
	--selector e1 --key e1.key plain.eml > signed.eml
printf 'From: ceo@deep.sub.verify.test\r\nTo: bob@example.org\r\nSubject: np\r\n\r\nx\r\n' > np.eml
printf 'From: ceo@ghost.verify.test\r\nTo: bob@example.org\r\nSubject: np\r\n\r\nx\r\n' > ghost.eml

if ! out=$(bash "$top/tests/env/start.sh" --extra "$W/zones" 2>&1); then
	tap 1 "NSD starts on 127.0.0.1:$PORT" "$out"
	echo "1..$n"
	exit 1
fi
tap 0 "NSD starts on 127.0.0.1:$PORT"

dns=(--resolver "127.0.0.1@$PORT" --no-dnssec)
zone=(--zone "$W/zones/verify.test.zone")
common=(--authserv-id mx.example.org --json)

check() {	# check NAME FILTER ARGS... : jq-free check with python
	local name=$1 want=$2
	shift 2
	local got
	got=$("$inkan" verify "${common[@]}" "$@" 2>&1 || true)
	/usr/bin/python3 - "$want" "$got" <<'PY'
import json, sys
want = json.loads(sys.argv[1])
try:
    got = json.loads(sys.argv[2])
except ValueError:
    print(sys.argv[2]); sys.exit(1)
def get(o, path):
    for k in path.split("."):
        o = o[int(k)] if isinstance(o, list) else o.get(k)
    return o
bad = {k: get(got, k) for k, v in want.items() if get(got, k) != v}
if bad:
    print("want %s\ngot %s" % (want, bad)); sys.exit(1)
PY
}

for via in nsd zone; do
	if [ $via = nsd ]; then args=("${dns[@]}"); else args=("${zone[@]}"); fi
	r=0; d=$(check x '{"spf.result":"pass","dkim.0.result":"pass","dkim.1.result":"pass","dmarc.result":"pass","dmarc.policy":"reject","disposition":"none"}' \
		"${args[@]}" --ip 192.0.2.10 --mail-from alice@verify.test --helo mail.verify.test signed.eml) || r=1
	tap $r "$via: RSA + Ed25519 signed, SPF pass, DMARC pass (RFC 9989 4.4)" "$d"
	# dkim.0 does not exist for an unsigned message: check the list is empty instead.
	r=0; d=$(check x '{"spf.result":"fail","dkim":[],"dmarc.result":"fail","disposition":"reject"}' \
		"${args[@]}" --ip 203.0.113.1 --mail-from alice@verify.test plain.eml) || r=1
	tap $r "$via: unsigned from outside the SPF range: reject" "$d"
	r=0; d=$(check x '{"dmarc.result":"fail","dmarc.policy":"reject","disposition":"reject"}' \
		"${args[@]}" --ip 203.0.113.1 --mail-from x@ghost.verify.test ghost.eml) || r=1
	tap $r "$via: non-existent subdomain takes np= (RFC 9989 5.3.5)" "$d"
	r=0; d=$(check x '{"dmarc.result":"fail","dmarc.policy_domain":"verify.test","disposition":"reject"}' \
		"${args[@]}" --ip 203.0.113.1 --mail-from x@deep.sub.verify.test np.eml) || r=1
	tap $r "$via: tree walk finds the policy of verify.test for deep.sub.verify.test (RFC 9989 4.10)" "$d"
done

# inkan sign with an ARC seal, keys and chain validation through NSD; the
# sealed message then verifies with arc=pass through NSD too.
if "$inkan" sign "${dns[@]}" --domain verify.test --selector s1 --key s1.key \
	--arc-key arc.key --arc-selector arc --authserv-id mx.verify.test \
	signed.eml > sealed.eml 2> sign.err; then
	r=0; d=$(check x '{"arc.result":"pass","dmarc.result":"pass"}' "${dns[@]}" sealed.eml) || r=1
	tap $r "inkan sign --arc-key: the new ARC set validates through NSD (RFC 8617 5.2)" "$d"
else
	tap 1 "inkan sign --arc-key through NSD" "$(cat sign.err)"
fi

echo "1..$n"
exit $fail
