#!/usr/bin/env bash
# milter_opendkim.sh [BUILD] - inkan-milter and OpenDKIM's milter behind
# one real Postfix, each verifying what the other signed.
#
# Postfix listens twice: 127.0.0.1:${INKAN_TEST_ODK_PORT_A:-2545} with
# inkan-milter and 127.0.0.1:${INKAN_TEST_ODK_PORT_B:-2546} with Debian's
# opendkim (Mode sv, InternalHosts 127.0.0.1).  Keys and policies come
# from NSD on 127.0.0.1:${INKAN_TEST_ODK_DNS_PORT:-5358}; OpenDKIM reads
# them through its libunbound with a stub zone.
#   inkan -> OpenDKIM: mail from 127.0.0.1 to port A is signed by
#     inkan-milter (RSA and Ed25519); the delivered message is sent again
#     from 127.0.0.2 to port B, and OpenDKIM's Authentication-Results must
#     say dkim=pass for both signatures.
#   OpenDKIM -> inkan: mail from 127.0.0.1 to port B is signed by
#     OpenDKIM; sent again from 127.0.0.2 to port A, inkan-milter's
#     Authentication-Results must say dkim=pass and dmarc=pass.
# Prints TAP; stops everything on exit by PID.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
inkan=$build/src/inkan/inkan
milter=$build/src/milter/inkan-milter
DNS_PORT=${INKAN_TEST_ODK_DNS_PORT:-5358}
PA=${INKAN_TEST_ODK_PORT_A:-2545}
PB=${INKAN_TEST_ODK_PORT_B:-2546}
MI=${INKAN_TEST_ODK_MILTER:-8894}
OD=${INKAN_TEST_ODK_OPENDKIM:-8895}
export INKAN_TESTENV=$build/testenv-odk
export INKAN_TEST_DNS_PORT=$DNS_PORT
W=$build/test-odk
PF=$W/postfix
py=/usr/bin/python3
n=0
fail=0

tap() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1
		[ -n "${3:-}" ] && printf '%s\n' "$3" | head -30 | sed 's/^/#   /'; fi
	return 0
}
bail() { tap 1 "$1" "${2:-}"; echo "1..$n"; exit 1; }

for tool in swaks postfix nsd opendkim opendkim-genkey; do
	command -v $tool >/dev/null || bail "$tool is installed"
done
[ -x "$milter" ] || bail "inkan-milter was built"
. "$top/tests/env/postfix.sh"

pids=
cleanup() {
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	for p in $pids; do
		for _ in $(seq 60); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	pf_stop "$PF"
	bash "$top/tests/env/stop.sh" >/dev/null 2>&1 || true
}
trap cleanup EXIT

rm -rf "$W"
mkdir -p "$W/zones" "$W/keys" "$W/odk"
cd "$W" || exit 1

"$inkan" dkim keygen --domain inkan.test --selector r1 --out keys/r1.key > keys/r1.rec
"$inkan" dkim keygen --domain inkan.test --selector e1 --type ed25519 --out keys/e1.key > keys/e1.rec
chmod 600 keys/*.key
(cd odk && opendkim-genkey -b 2048 -d odk.test -s od1) || bail "opendkim-genkey"

zone() {
	local z=$1
	shift
	{
		echo "\$ORIGIN $z."; echo '$TTL 300'
		echo "@ IN SOA ns.$z. hostmaster.$z. 1 3600 600 86400 300"
		echo "@ IN NS ns.$z."; echo "ns IN A 127.0.0.1"
		printf '%s\n' "$@"
	} > "zones/$z.zone"
}
zone inkan.test '@ IN TXT "v=spf1 ip4:127.0.0.1 -all"' '_dmarc IN TXT "v=DMARC1; p=reject"' \
	"$(grep -v '^;' keys/r1.rec)" "$(grep -v '^;' keys/e1.rec)"
zone odk.test '@ IN TXT "v=spf1 ip4:127.0.0.1 -all"' '_dmarc IN TXT "v=DMARC1; p=reject"' \
	"$(cat odk/od1.txt)"
zone test 'inkan IN NS ns.inkan.test.' 'odk IN NS ns.odk.test.'
zone rcpt.test '@ IN MX 0 .'

out=$(bash "$top/tests/env/start.sh" --extra "$W/zones" 2>&1) || bail "NSD starts" "$out"
tap 0 "NSD starts on 127.0.0.1:$DNS_PORT"

cat > milter.conf <<EOF
Socket inet:$MI@127.0.0.1
LogTo stderr
AuthservID inkan.verifier.test
Resolver 127.0.0.1@$DNS_PORT
DNSSEC no
InternalNetworks 127.0.0.1/32
SigningKey inkan.test inkan.test r1 $W/keys/r1.key
SigningKey inkan.test inkan.test e1 $W/keys/e1.key
EOF
setsid "$milter" -c milter.conf > milter.log 2>&1 &
pids="$pids $!"

cat > odk/unbound.conf <<EOF
server:
	do-not-query-localhost: no
	local-zone: "test." nodefault
	module-config: "iterator"
forward-zone:
	name: "test."
	forward-addr: 127.0.0.1@$DNS_PORT
EOF
cat > odk/opendkim.conf <<EOF
Mode sv
Socket inet:$OD@127.0.0.1
Domain odk.test
Selector od1
KeyFile $W/odk/od1.private
InternalHosts 127.0.0.1
Background no
Syslog no
AuthservID opendkim.verifier.test
RequireSafeKeys no
ResolverConfiguration $W/odk/unbound.conf
EOF
# OpenDKIM refuses a configuration path under a world-writable directory
# (/tmp): give it a relative one (TESTENV.md §4).
(cd odk && exec setsid opendkim -f -x opendkim.conf) > odk/opendkim.log 2>&1 &
pids="$pids $!"
for port in $MI $OD; do
	ok=0
	for _ in $(seq 100); do ss -lnt | grep -q "127.0.0.1:$port " && { ok=1; break; }; sleep 0.05; done
	[ $ok = 1 ] || bail "milter on $port starts" "$(cat milter.log odk/opendkim.log)"
done
tap 0 "inkan-milter on $MI and opendkim on $OD start"

PF_DOMAINS=rcpt.test pf_setup "$PF"
pf_listen "$PF" "$PA" -o smtpd_milters=inet:127.0.0.1:$MI
pf_listen "$PF" "$PB" -o smtpd_milters=inet:127.0.0.1:$OD
out=$(pf_start "$PF" 2>&1) || bail "Postfix starts" "$out"
tap 0 "Postfix starts on $PA (inkan-milter) and $PB (opendkim)"
INBOX=$(pf_inbox "$PF")

cat > get.py <<'PY'
# get.py INBOX MESSAGE-ID: the delivered message, raw, without the mbox
# "From " line (what a relay would send on).
import mailbox, sys, time
for _ in range(100):
    try:
        for m in mailbox.mbox(sys.argv[1]):
            if (m.get("Message-ID") or "").strip() == sys.argv[2]:
                data = m.as_bytes()
                sys.stdout.buffer.write(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
                sys.exit(0)
    except FileNotFoundError:
        pass
    time.sleep(0.2)
sys.exit(1)
PY
mkmsg() {
	printf 'From: %s\r\nTo: bob@rcpt.test\r\nSubject: interop %s\r\nDate: Thu, 26 Nov 2026 01:00:00 +0000\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nHello,\r\n\r\n  a line with  spaces \r\nand a tab\there.\r\n\r\n' "$1" "$2" "$2" > "$3"
}
send() {	# send IP PORT FROM FILE
	swaks -s 127.0.0.1 -p "$2" --local-interface "$1" --helo mail.test -f "$3" \
		-t bob@rcpt.test --data "@$4" > last.swaks 2>&1
}
ar() {	# ar AUTHSERV MESSAGE-ID: that A-R, unfolded
	$py get.py "$INBOX" "<$2>" | $py -c '
import email, sys
m = email.message_from_binary_file(sys.stdin.buffer)
for v in m.get_all("Authentication-Results") or []:
    v = " ".join(str(v).split())
    if v.startswith(sys.argv[1] + ";"):
        print(v); break' "$1"
}

# inkan-milter signs, OpenDKIM verifies
mkmsg carol@inkan.test i2o-1@inkan.test i2o.eml
send 127.0.0.1 "$PA" carol@inkan.test i2o.eml
$py get.py "$INBOX" "<i2o-1@inkan.test>" > i2o.signed.eml || bail "signed message delivered" "$(tail -5 last.swaks)"
algs=$($py -c '
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
print(" ".join(sorted("".join(str(v).split()).split("a=")[1].split(";")[0]
    for v in m.get_all("DKIM-Signature") or [])))' i2o.signed.eml)
[ "$algs" = "ed25519-sha256 rsa-sha256" ]
tap $? "inkan-milter signed with RSA and Ed25519 (d=inkan.test)" "$algs"
send 127.0.0.2 "$PB" carol@inkan.test i2o.signed.eml
got=$($py -c '
import mailbox, sys
for m in mailbox.mbox(sys.argv[1]):
    if (m.get("Message-ID") or "").strip() == "<i2o-1@inkan.test>":
        for v in m.get_all("Authentication-Results") or []:
            v = " ".join(str(v).split())
            if v.startswith("opendkim.verifier.test;"):
                print(v)' "$INBOX")
r=0
case $got in *"dkim=pass"*"header.s=r1"*) ;; *) r=1 ;; esac
tap $r "OpenDKIM verifies inkan-milter's RSA signature: dkim=pass header.s=r1" "$got
$(tail -20 odk/opendkim.log)"
r=0
case $got in *"dkim=pass"*"header.s=e1"*) ;; *) r=1 ;; esac
tap $r "OpenDKIM verifies inkan-milter's Ed25519 signature: dkim=pass header.s=e1 (RFC 8463)" "$got"

# OpenDKIM signs, inkan-milter verifies
mkmsg dave@odk.test o2i-1@odk.test o2i.eml
send 127.0.0.1 "$PB" dave@odk.test o2i.eml
$py get.py "$INBOX" "<o2i-1@odk.test>" > o2i.signed.eml || bail "OpenDKIM-signed message delivered" "$(tail -5 last.swaks)"
grep -q '^DKIM-Signature:' o2i.signed.eml
tap $? "OpenDKIM signed (d=odk.test)"
send 127.0.0.2 "$PA" dave@odk.test o2i.signed.eml
got=$($py -c '
import mailbox, sys
seen = 0
for m in mailbox.mbox(sys.argv[1]):
    if (m.get("Message-ID") or "").strip() == "<o2i-1@odk.test>":
        for v in m.get_all("Authentication-Results") or []:
            v = " ".join(str(v).split())
            if v.startswith("inkan.verifier.test;"):
                print(v)' "$INBOX")
r=0
case $got in *"dkim=pass"*"header.d=odk.test header.s=od1"*"dmarc=pass"*) ;; *) r=1 ;; esac
tap $r "inkan-milter verifies OpenDKIM's signature: dkim=pass header.d=odk.test, dmarc=pass" "$got
$(tail -5 milter.log)"

echo "1..$n"
exit $fail
