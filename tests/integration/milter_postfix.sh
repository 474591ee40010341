#!/usr/bin/env bash
# milter_postfix.sh [BUILD] - inkan-milter behind a real Postfix.
#
# NSD on 127.0.0.1:${INKAN_TEST_MILTER_DNS_PORT:-5357} serves test zones
# (SPF, DKIM keys RSA and Ed25519, DMARC p=reject / quarantine / none);
# inkan-milter listens on 127.0.0.1:${INKAN_TEST_MILTER_PORT:-8893} and
# drops to the user nobody; Postfix, with its own configuration, queue
# and mailbox under the build tree, takes SMTP on
# 127.0.0.1:${INKAN_TEST_MILTER_SMTP_PORT:-2535} with smtpd_milters
# pointing at the milter, and delivers to one mbox file.  swaks sends
# from 127.0.0.2 and 127.0.0.3 (outside) and 127.0.0.1 (internal).
#
# Checked on the delivered mailbox and the SMTP replies: Authentication-
# Results for good, bad and spoofed mail (RFC 8601), equal to `inkan
# verify --json`'s for the same message and envelope; forged A-R fields
# removed (RFC 8601 §5); a spoofed From of a p=reject domain rejected
# with a 5xx naming DMARC and the domain (RFC 9989 §5.8); p=quarantine
# held; outbound mail signed with RSA and Ed25519 and verified by dkimpy;
# SIGHUP reloading keys with an SMTP session open; unsafe key files
# refused; the verdict store and the counters; a DNS server that stops
# answering (tempfail, then accept with temperror); the milter restarted
# while mail flows (nothing lost, nothing twice).  Prints TAP; stops
# everything it started on exit, by PID.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
inkan=$build/src/inkan/inkan
milter=$build/src/milter/inkan-milter
DNS_PORT=${INKAN_TEST_MILTER_DNS_PORT:-5357}
MPORT=${INKAN_TEST_MILTER_PORT:-8893}
SPORT=${INKAN_TEST_MILTER_SMTP_PORT:-2535}
export INKAN_TESTENV=$build/testenv-milter
export INKAN_TEST_DNS_PORT=$DNS_PORT
W=$build/test-milter
PF=$W/postfix
AUTHSERV=mx.inkan.test
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

for tool in swaks postfix nsd; do
	command -v $tool >/dev/null || bail "$tool is installed"
done
[ -x "$milter" ] || bail "inkan-milter was built (libmilter-dev installed)" "$milter"

# shellcheck source=tests/env/postfix.sh
. "$top/tests/env/postfix.sh"

milter_pid=
stop_milter() {
	[ -n "$milter_pid" ] || return 0
	if kill -TERM "$milter_pid" 2>/dev/null; then
		for _ in $(seq 100); do
			kill -0 "$milter_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$milter_pid" 2>/dev/null
	fi
	wait "$milter_pid" 2>/dev/null
	milter_pid=
}
cleanup() {
	stop_milter
	pf_stop "$PF"
	bash "$top/tests/env/stop.sh" >/dev/null 2>&1 || true
}
trap cleanup EXIT

rm -rf "$W"
mkdir -p "$W/zones" "$W/keys" "$W/var" "$W/msg"
chown nobody "$W/var" "$W/keys"
cd "$W" || exit 1

# ---- keys and zones ----
gen_key() {	# gen_key DOMAIN SELECTOR TYPE
	"$inkan" dkim keygen --domain "$1" --selector "$2" --type "$3" --out "keys/$2.key" \
		> "keys/$2.rec" || bail "inkan dkim keygen $1 $2"
	chown nobody "keys/$2.key"
	chmod 600 "keys/$2.key"
}
gen_key good.test s1 rsa
gen_key good.test e1 ed25519
gen_key out.test o1 rsa
gen_key out.test o2 ed25519
gen_key out.test o3 rsa
gen_key out.test a1 rsa

zone() {	# zone NAME RECORD-LINES...
	local z=$1
	shift
	{
		echo "\$ORIGIN $z."
		echo '$TTL 300'
		echo "@ IN SOA ns.$z. hostmaster.$z. 1 3600 600 86400 300"
		echo "@ IN NS ns.$z."
		echo "ns IN A 127.0.0.1"
		printf '%s\n' "$@"
	} > "zones/$z.zone"
}
zone good.test '@ IN TXT "v=spf1 ip4:127.0.0.2 -all"' \
	'_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@good.test"' \
	"$(grep -v '^;' keys/s1.rec)" "$(grep -v '^;' keys/e1.rec)"
zone quar.test '@ IN TXT "v=spf1 ip4:127.0.0.2 -all"' '_dmarc IN TXT "v=DMARC1; p=quarantine"'
zone none.test '@ IN TXT "v=spf1 -all"' '_dmarc IN TXT "v=DMARC1; p=none"'
zone out.test '@ IN TXT "v=spf1 ip4:127.0.0.1 -all"' '_dmarc IN TXT "v=DMARC1; p=reject"' \
	"$(grep -v '^;' keys/o1.rec)" "$(grep -v '^;' keys/o2.rec)" "$(grep -v '^;' keys/o3.rec)" \
	"$(grep -v '^;' keys/a1.rec)"
zone late.test '@ IN TXT "v=spf1 ip4:127.0.0.2 -all"' '_dmarc IN TXT "v=DMARC1; p=reject"'
zone later.test '@ IN TXT "v=spf1 ip4:127.0.0.2 -all"' '_dmarc IN TXT "v=DMARC1; p=reject"'
# The parent: the RFC 9989 tree walk asks _dmarc.test. too.
zone test 'good IN NS ns.good.test.' 'out IN NS ns.out.test.'

if ! out=$(bash "$top/tests/env/start.sh" --extra "$W/zones" 2>&1); then
	bail "NSD starts on 127.0.0.1:$DNS_PORT" "$out"
fi
tap 0 "NSD starts on 127.0.0.1:$DNS_PORT"

# ---- the milter ----
write_conf() {	# write_conf FILE [EXTRA LINES...]
	local f=$1
	shift
	cat > "$f" <<EOF
# inkan-milter.conf for milter_postfix.sh
Socket              inet:$MPORT@127.0.0.1
UserID              nobody
LogTo               stderr
AuthservID          $AUTHSERV
Resolver            127.0.0.1@$DNS_PORT
DNSSEC              no
DNSTimeout          1500
MaxMessageTime      6000
InternalNetworks    127.0.0.1/32
OnDMARCReject       reject
OnDMARCQuarantine   quarantine
QuarantineMethod    hold
OnTempError         tempfail
SigningKey          out.test      out.test  o1  $W/keys/o1.key
SigningKey          out.test      out.test  o2  $W/keys/o2.key
ARCSealKey          out.test  a1  $W/keys/a1.key
ARCSealRecipients   lists.inkan.test
VerdictStore        $W/var/verdicts.db
StatsFile           $W/var/stats.prom
StatsInterval       1
EOF
	printf '%s\n' "$@" >> "$f"
}
write_conf milter.conf

start_milter() {
	setsid "$milter" -c "$W/milter.conf" >> "$W/milter.log" 2>&1 &
	milter_pid=$!
	for _ in $(seq 200); do
		ss -lnt | grep -q "127.0.0.1:$MPORT " && return 0
		kill -0 "$milter_pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
start_milter || bail "inkan-milter starts on 127.0.0.1:$MPORT" "$(cat milter.log)"
tap 0 "inkan-milter starts on 127.0.0.1:$MPORT"
u=$(ps -o user= -p "$milter_pid" | tr -d ' ')
[ "$u" = nobody ]; tap $? "the milter runs as nobody after opening keys and socket" "user $u"

# ---- Postfix ----
PF_DOMAINS="inkan.test lists.inkan.test" pf_setup "$PF"
pf_listen "$PF" "$SPORT" -o smtpd_milters=inet:127.0.0.1:$MPORT
if ! out=$(pf_start "$PF" 2>&1); then
	bail "Postfix starts on 127.0.0.1:$SPORT" "$out"
fi
tap 0 "Postfix starts on 127.0.0.1:$SPORT"
INBOX=$(pf_inbox "$PF")

# ---- helpers ----
cat > mbox.py <<'PY'
# mbox.py INBOX MESSAGE-ID [wait-seconds]: print that message's header
# fields, one per line, unfolded; exit 1 if it has not arrived.
import mailbox, sys, time
inbox, mid = sys.argv[1], sys.argv[2]
wait = float(sys.argv[3]) if len(sys.argv) > 3 else 15
deadline = time.time() + wait
while True:
    try:
        for m in mailbox.mbox(inbox):
            if (m.get("Message-ID") or "").strip() == mid:
                if len(sys.argv) > 4:
                    sys.stdout.buffer.write(m.as_bytes()); sys.exit(0)
                for k, v in m.items():
                    print("%s: %s" % (k, " ".join(str(v).split())))
                sys.exit(0)
    except FileNotFoundError:
        pass
    if time.time() > deadline:
        sys.exit(1)
    time.sleep(0.2)
PY
count_mid() {	# count_mid MESSAGE-ID: copies in the inbox
	grep -c "^Message-ID: <$1>" "$INBOX" 2>/dev/null || true
}

mkmsg() {	# mkmsg FILE FROM ID [EXTRA-HEADER-LINES]
	{
		[ -n "${4:-}" ] && printf '%b' "$4"
		printf 'From: Alice <%s>\r\nTo: bob@inkan.test\r\nSubject: test %s\r\n' "$2" "$3"
		printf 'Date: Thu, 26 Nov 2026 01:00:00 +0000\r\nMessage-ID: <%s>\r\n' "$3"
		printf 'MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n'
		printf 'Hello from %s.\r\nSecond line.\r\n' "$2"
	} > "$1"
}

send() {	# send IP MAIL-FROM FILE [HELO]: swaks output in $W/last.swaks
	swaks -s 127.0.0.1 -p "$SPORT" --local-interface "$1" --helo "${4:-mail.good.test}" \
		-f "$2" -t "${RCPT:-bob@inkan.test}" --data "@$3" --timeout 60 > last.swaks 2>&1
}

ar_of() {	# ar_of MESSAGE-ID: our A-R value (unfolded) in the delivered copy
	$py mbox.py "$INBOX" "<$1>" | sed -n "s/^Authentication-Results: \\($AUTHSERV;.*\\)/\\1/p" | head -1
}

cli_ar() {	# cli_ar IP HELO MAIL-FROM FILE: inkan verify's A-R, unfolded
	"$inkan" verify --json --authserv-id "$AUTHSERV" --resolver "127.0.0.1@$DNS_PORT" \
		--no-dnssec --ip "$1" --helo "$2" --mail-from "$3" "$4" 2>&1 |
		$py -c 'import json,sys; print(" ".join(json.load(sys.stdin)["authentication_results"].split()))'
}

# ---- 1. good: SPF pass, RSA + Ed25519 DKIM pass, DMARC pass ----
mkmsg msg/good.eml alice@good.test good-1@good.test
"$inkan" dkim sign --domain good.test --selector s1 --key keys/s1.key --selector e1 \
	--key keys/e1.key msg/good.eml > msg/good.signed.eml
send 127.0.0.2 alice@good.test msg/good.signed.eml
r=0; grep -q '^<- *250 ' last.swaks || r=1
tap $r "good message accepted" "$(tail -5 last.swaks)"
ar=$(ar_of good-1@good.test)
r=0; case $ar in *"spf=pass smtp.mailfrom=alice@good.test"*"dkim=pass"*"header.d=good.test header.s=s1"*"dkim=pass"*"header.s=e1"*"dmarc=pass"*"header.from=good.test"*) ;; *) r=1 ;; esac
tap $r "good: A-R spf=pass, dkim=pass (s1 RSA, e1 Ed25519), dmarc=pass (RFC 8601 2.7)" "$ar"
cli=$(cli_ar 127.0.0.2 mail.good.test alice@good.test msg/good.signed.eml)
[ -n "$ar" ] && [ "$ar" = "$cli" ]; tap $? "good: the milter's A-R equals inkan verify --json's" "milter: $ar
cli:    $cli"

# ---- 2. bad: body changed after signing; SPF still passes ----
sed 's/Second line\./Second line, changed./' msg/good.signed.eml | sed 's/good-1@/bad-1@/' > msg/bad.eml
send 127.0.0.2 alice@good.test msg/bad.eml
ar=$(ar_of bad-1@good.test)
r=0; case $ar in *"dkim=fail"*"body hash"*"dmarc=pass"*) ;; *) r=1 ;; esac
tap $r "bad: A-R dkim=fail (body hash), dmarc=pass through aligned SPF" "$ar"
cli=$(cli_ar 127.0.0.2 mail.good.test alice@good.test msg/bad.eml)
[ -n "$ar" ] && [ "$ar" = "$cli" ]; tap $? "bad: the milter's A-R equals inkan verify --json's" "milter: $ar
cli:    $cli"

# ---- 2b. forwarded to a list: ARC-sealed (RFC 8617 5.1) ----
sed 's/good-1@/list-1@/' msg/good.eml > msg/list.eml
"$inkan" dkim sign --domain good.test --selector s1 --key keys/s1.key msg/list.eml > msg/list.signed.eml
RCPT=members@lists.inkan.test send 127.0.0.2 alice@good.test msg/list.signed.eml
$py mbox.py "$INBOX" "<list-1@good.test>" 15 raw | sed '1{/^From /d}' > msg/list.delivered.eml
hdrs=$($py mbox.py "$INBOX" "<list-1@good.test>")
r=0
[ "$(echo "$hdrs" | grep -c '^ARC-Seal: ')" = 1 ] || r=1
echo "$hdrs" | grep -q '^ARC-Authentication-Results: i=1; mx.inkan.test; spf=pass .*dkim=pass .*dmarc=pass' || r=1
echo "$hdrs" | grep -q '^ARC-Seal: .*cv=none' || r=1
tap $r "mail for lists.inkan.test gets one ARC set, cv=none, our results in its AAR" "$hdrs"
got=$("$inkan" verify --json --authserv-id next.hop.test --resolver "127.0.0.1@$DNS_PORT" --no-dnssec \
	msg/list.delivered.eml | $py -c 'import json,sys; j=json.load(sys.stdin); print(j["arc"]["result"], j["arc"]["sets"][0]["seal_d"], j["arc"]["sets"][0]["seal_s"])')
[ "$got" = "pass out.test a1" ]
tap $? "the next hop validates our ARC chain: arc=pass (RFC 8617 5.2)" "$got"
grep -q '^ARC-Seal:' msg/good.signed.eml; r1=$?
$py mbox.py "$INBOX" "<good-1@good.test>" | grep -q '^ARC-Seal:'; r2=$?
[ $r1 != 0 ] && [ $r2 != 0 ]; tap $? "mail for other recipients is not sealed"

# ---- 3. spoofed From of a p=reject domain ----
mkmsg msg/spoof.eml ceo@good.test spoof-1@good.test
send 127.0.0.3 attacker@elsewhere.test msg/spoof.eml mail.elsewhere.test
line=$(grep -E '^<\*\* +5[0-9][0-9]' last.swaks | head -1)
r=0; case $line in *550*5.7.26*DMARC*good.test*reject*) ;; *) r=1 ;; esac
tap $r "spoofed good.test From from 127.0.0.3: 550 5.7.26 naming DMARC and the domain (RFC 9989 5.8)" "$(tail -8 last.swaks)"
[ "$(count_mid spoof-1@good.test)" = 0 ]; tap $? "spoofed: not delivered"

# ---- 4. forged Authentication-Results ----
mkmsg msg/forged.eml alice@good.test forged-1@good.test \
	"Authentication-Results: $AUTHSERV; dkim=pass header.d=paypal.com; dmarc=pass header.from=paypal.com\r\nAuthentication-Results: other.example; spf=pass smtp.mailfrom=x@other.example\r\nAuthentication-Results: (comment) MX.INKAN.TEST.; spf=pass\r\n"
"$inkan" dkim sign --domain good.test --selector s1 --key keys/s1.key msg/forged.eml > msg/forged.signed.eml
send 127.0.0.2 alice@good.test msg/forged.signed.eml
hdrs=$($py mbox.py "$INBOX" "<forged-1@good.test>")
r=0
echo "$hdrs" | grep -q 'paypal' && r=1
[ "$(echo "$hdrs" | grep -ci "^Authentication-Results: *(comment) *mx.inkan.test")" = 0 ] || r=1
echo "$hdrs" | grep -q '^Authentication-Results: other.example; spf=pass' || r=1
[ "$(echo "$hdrs" | grep -c "^Authentication-Results: $AUTHSERV;")" = 1 ] || r=1
tap $r "forged A-R claiming $AUTHSERV (two spellings) removed, other.example's kept, ours added once (RFC 8601 5)" "$hdrs"
ar=$(ar_of forged-1@good.test)
cli=$(cli_ar 127.0.0.2 mail.good.test alice@good.test msg/forged.signed.eml)
[ -n "$ar" ] && [ "$ar" = "$cli" ]; tap $? "forged: the milter's A-R equals inkan verify --json's" "milter: $ar
cli:    $cli"

# ---- 5. p=quarantine: Postfix HOLD ----
mkmsg msg/quar.eml boss@quar.test quar-1@quar.test
send 127.0.0.3 x@elsewhere.test msg/quar.eml mail.elsewhere.test
held=0
for _ in $(seq 50); do
	pf_queue "$PF" | grep -q '"queue_name": *"hold"' && { held=1; break; }
	sleep 0.2
done
[ $held = 1 ] && [ "$(count_mid quar-1@quar.test)" = 0 ]
tap $? "p=quarantine fail: accepted into Postfix's hold queue, not delivered" "$(pf_queue "$PF")"

# ---- 6. p=none: delivered with dmarc=fail ----
mkmsg msg/none.eml a@none.test none-1@none.test
send 127.0.0.3 a@none.test msg/none.eml mail.none.test
ar=$(ar_of none-1@none.test)
r=0; case $ar in *"spf=fail"*"dmarc=fail"*"policy.dmarc=none"*) ;; *) r=1 ;; esac
tap $r "p=none: delivered, A-R spf=fail dmarc=fail policy.dmarc=none" "$ar"

# ---- 7. outbound: signed with RSA and Ed25519, verified by dkimpy ----
mkmsg msg/out.eml carol@out.test out-1@out.test
send 127.0.0.1 carol@out.test msg/out.eml mail.out.test
$py mbox.py "$INBOX" "<out-1@out.test>" 15 raw > msg/out.delivered.eml
cat > dkimpy_verify.py <<PY
# dkimpy verifies every DKIM-Signature of a message, its keys fetched
# from NSD (dnspython, 127.0.0.1:$DNS_PORT) through dkimpy's dnsfunc.
import sys, dkim, dns.resolver
res = dns.resolver.Resolver(configure=False)
res.nameservers = ["127.0.0.1"]; res.port = $DNS_PORT
def dnsfunc(name, timeout=5):
    try:
        a = res.resolve(name.decode().rstrip("."), "TXT")
    except Exception:
        return None
    return b"".join(b"".join(r.strings) for r in a)
msg = open(sys.argv[1], "rb").read()
# mbox "From " line and Postfix's delivery headers are not signed.
if msg.startswith(b"From "):
    msg = msg.split(b"\n", 1)[1]
d = dkim.DKIM(msg)
sigs = [v for k, v in dkim.rfc822_parse(msg)[0] if k.lower() == b"dkim-signature"]
out = []
for i in range(len(sigs)):
    ok = d.verify(idx=i, dnsfunc=dnsfunc)
    tags = dkim.util.parse_tag_value(b"".join(sigs[i].split()))
    out.append("%s:%s:%s" % (tags[b"s"].decode(), tags[b"a"].decode(), "pass" if ok else "fail"))
print(" ".join(sorted(out)))
PY
got=$($py dkimpy_verify.py msg/out.delivered.eml 2>&1)
[ "$got" = "o1:rsa-sha256:pass o2:ed25519-sha256:pass" ]
tap $? "outbound from 127.0.0.1 signed (d=out.test, RSA + Ed25519), dkimpy verifies both (RFC 8463)" "$got"
grep -q "^Authentication-Results: $AUTHSERV" msg/out.delivered.eml
[ $? != 0 ]; tap $? "outbound: not verified inbound (no A-R of ours)"

# ---- 8. SIGHUP: new key, same SMTP session ----
cat > hup.py <<PY
# One SMTP session from 127.0.0.1: a message, SIGHUP (the milter
# reloads with a third key), a second message on the same connection.
import os, signal, smtplib, sys, time
s = smtplib.SMTP("127.0.0.1", $SPORT, source_address=("127.0.0.1", 0), timeout=60)
s.ehlo("mail.out.test")
def msg(mid):
    return ("From: carol@out.test\r\nTo: bob@inkan.test\r\nSubject: hup\r\n"
            "Message-ID: <%s>\r\nDate: Thu, 26 Nov 2026 01:00:00 +0000\r\n\r\nbody\r\n" % mid)
s.sendmail("carol@out.test", ["bob@inkan.test"], msg("hup-1@out.test"))
open(sys.argv[2], "a").write("SigningKey out.test out.test o3 $W/keys/o3.key\n")
os.kill(int(sys.argv[1]), signal.SIGHUP)
for _ in range(100):
    if "reloaded" in open("$W/milter.log").read():
        break
    time.sleep(0.05)
s.sendmail("carol@out.test", ["bob@inkan.test"], msg("hup-2@out.test"))
s.quit()
print("ok")
PY
got=$($py hup.py "$milter_pid" "$W/milter.conf" 2>&1)
s1=$($py mbox.py "$INBOX" "<hup-1@out.test>" | grep -o 's=o[0-9]' | sort | tr '\n' ' ')
s2=$($py mbox.py "$INBOX" "<hup-2@out.test>" | grep -o 's=o[0-9]' | sort | tr '\n' ' ')
[ "$got" = ok ] && [ "$s1" = "s=o1 s=o2 " ] && [ "$s2" = "s=o1 s=o2 s=o3 " ]
tap $? "SIGHUP reloads the keys; the open SMTP session goes on; the next message has the new key" "$got / before: $s1 / after: $s2"
kill -0 "$milter_pid" 2>/dev/null; tap $? "the milter is still running after SIGHUP"

# ---- 8b. other policies, through a reload ----
cp milter.conf milter.conf.saved
printf 'QuarantineMethod header\nOnSPFFail reject\nMaxHeaderBytes 4000\n' >> milter.conf
kill -HUP "$milter_pid"
for _ in $(seq 50); do [ "$(grep -c reloaded milter.log)" -ge 2 ] && break; sleep 0.1; done
mkmsg msg/quar2.eml boss@quar.test quar-2@quar.test
send 127.0.0.3 x@elsewhere.test msg/quar2.eml mail.elsewhere.test
hdrs=$($py mbox.py "$INBOX" "<quar-2@quar.test>")
echo "$hdrs" | grep -q '^X-Inkan-Quarantine: DMARC policy of quar.test: quarantine'
tap $? "QuarantineMethod header: delivered with X-Inkan-Quarantine naming the policy" "$hdrs"
mkmsg msg/spf.eml a@none.test spf-1@none.test
send 127.0.0.3 a@none.test msg/spf.eml mail.none.test
line=$(grep -E '^<\*\* +5[0-9][0-9]' last.swaks | head -1)
r=0; case $line in *550*5.7.23*SPF*none.test*) ;; *) r=1 ;; esac
tap $r "OnSPFFail reject: 550 5.7.23 naming SPF and the domain (RFC 7208 8.4)" "$(tail -6 last.swaks)"
send 127.0.0.2 alice@good.test msg/good.signed.eml
grep -q '^<- *250 ' last.swaks
tap $? "OnSPFFail reject leaves passing mail alone" "$(tail -4 last.swaks)"
filler=$(head -c 400 /dev/zero | tr '\0' f)
mkmsg msg/big.eml alice@good.test big-1@good.test "$(for i in $(seq 12); do printf 'X-Filler-%d: %s\\r\\n' $i "$filler"; done)"
send 127.0.0.2 alice@good.test msg/big.eml
line=$(grep -E '^<\*\* +5[0-9][0-9]' last.swaks | head -1)
r=0; case $line in *552*5.3.4*too\ large*) ;; *) r=1 ;; esac
tap $r "MaxHeaderBytes: a larger header is refused (OnLimit reject: 552 5.3.4), never let through unchecked" "$(tail -6 last.swaks)"
cp milter.conf.saved milter.conf
printf 'MaxDNSQueries 1\nOnTempError accept\n' >> milter.conf
kill -HUP "$milter_pid"
for _ in $(seq 50); do [ "$(grep -c reloaded milter.log)" -ge 3 ] && break; sleep 0.1; done
mkmsg msg/budget.eml alice@good.test budget-1@good.test
send 127.0.0.2 alice@good.test msg/budget.eml
ar=$(ar_of budget-1@good.test)
r=0; case $ar in *"dmarc=temperror"*"budget"*) ;; *) r=1 ;; esac
tap $r "MaxDNSQueries 1: the DNS budget runs out, DMARC temperror says why" "$ar"
cp milter.conf.saved milter.conf
kill -HUP "$milter_pid"
for _ in $(seq 50); do [ "$(grep -c reloaded milter.log)" -ge 4 ] && break; sleep 0.1; done

# ---- 9. unsafe key permissions are refused ----
cp keys/o1.key keys/loose.key
chmod 644 keys/loose.key
write_conf bad.conf "SigningKey x.test x.test x1 $W/keys/loose.key"
out=$("$milter" -n -c bad.conf 2>&1); rc=$?
r=0; [ $rc != 0 ] || r=1; case $out in *"group or others"*) ;; *) r=1 ;; esac
tap $r "a key file readable by others is refused (inkan-milter -n)" "rc=$rc $out"
"$milter" -n -c milter.conf > /dev/null 2>&1; tap $? "inkan-milter -n accepts the test configuration"

# ---- 10. verdict store and counters ----
sleep 2
sql() {	# sql QUERY: rows of the verdict store, one per line (Python's sqlite3)
	$py -c 'import sqlite3, sys
for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print(r[0])' "$W/var/verdicts.db" "$1"
}
rows=$(sql "SELECT header_from||'|'||dmarc_result||'|'||disposition||'|'||action FROM verdict ORDER BY id" 2>&1)
r=0
for want in 'good.test|pass|none|accept' 'good.test|fail|reject|reject' 'quar.test|fail|quarantine|quarantine' 'none.test|fail|none|accept'; do
	echo "$rows" | grep -qxF "$want" || r=1
done
tap $r "verdict store: one row per inbound message with the applied disposition" "$rows"
dk=$(sql "SELECT d.domain||'/'||d.selector||'/'||d.result FROM verdict v JOIN verdict_dkim d ON d.verdict = v.id WHERE v.queue_id IS NOT NULL AND v.header_from = 'good.test' ORDER BY d.rowid LIMIT 2" 2>&1)
[ "$dk" = "good.test/s1/pass
good.test/e1/pass" ]; tap $? "verdict store: DKIM domain, selector and result per signature" "$dk"
pol=$(sql "SELECT source_ip||' '||envelope_from||' '||envelope_to||' '||p||' '||policy_domain||' '||discovery FROM verdict WHERE header_from='good.test' LIMIT 1" 2>&1)
[ "$pol" = "127.0.0.2 good.test inkan.test reject good.test treewalk" ]
tap $? "verdict store: source IP, envelope domains, policy published (RFC 9990 2.1)" "$pol"
grep -q '^inkan_milter_actions_total{action="reject"} [1-9]' var/stats.prom &&
	grep -q '^inkan_milter_signed_total [1-9]' var/stats.prom &&
	grep -q '^inkan_milter_forged_authres_removed_total 2' var/stats.prom
tap $? "counters in Prometheus text format (StatsFile)" "$(grep -v '^#' var/stats.prom 2>&1 | head -20)"
r=0; grep -q 'inbound ip=127.0.0.2 .* spf=pass(mailfrom:good.test) dkim=pass(d=good.test,s=s1),pass(d=good.test,s=e1) arc=none dmarc=pass' milter.log || r=1
tap $r "one structured log line per message with every result" "$(grep inbound milter.log | head -3)"

# ---- 11. the DNS server stops answering ----
kill -TERM "$(cat "$INKAN_TESTENV/run/nsd.pid")" 2>/dev/null
for _ in $(seq 50); do ss -lnu | grep -q "127.0.0.1:$DNS_PORT " || break; sleep 0.1; done
mkmsg msg/late.eml a@late.test late-1@late.test
t0=$(date +%s%N)
send 127.0.0.2 a@late.test msg/late.eml mail.late.test
t1=$(date +%s%N)
line=$(grep -E '^<\*\* +4[0-9][0-9]' last.swaks | head -1)
ms=$(( (t1 - t0) / 1000000 ))
r=0; case $line in *451*4.4.3*DMARC*late.test*) ;; *) r=1 ;; esac
[ $ms -lt 15000 ] || r=1
tap $r "DNS down, OnTempError tempfail: 451 4.4.3 naming DMARC, in ${ms} ms (budget 6 s)" "$(tail -6 last.swaks)"
kill -0 "$milter_pid" 2>/dev/null; tap $? "the milter survives the DNS outage"
sed -i 's/^OnTempError .*/OnTempError accept/' milter.conf
kill -HUP "$milter_pid"
sleep 0.5
mkmsg msg/later.eml a@later.test later-1@later.test
send 127.0.0.2 a@later.test msg/later.eml mail.later.test
ar=$(ar_of later-1@later.test)
r=0; case $ar in *"spf=temperror"*"dmarc=temperror"*) ;; *) r=1 ;; esac
tap $r "DNS down, OnTempError accept: delivered with spf=temperror dmarc=temperror" "$ar $(tail -3 last.swaks)"
grep -q 'inbound .* from=later.test .*action=accept note="DNS temperror accepted' milter.log
tap $? "the accepted temperror is noted in the log line"

# ---- 12. the milter restarted while mail flows ----
# A sender retries what gets a 4xx (milter_default_action = tempfail);
# every message must then be in the mailbox exactly once.
cat > flow.sh <<EOF
for i in \$(seq 1 40); do
	printf 'From: carol@out.test\r\nTo: bob@inkan.test\r\nSubject: flow\r\nMessage-ID: <flow-%d@out.test>\r\nDate: Thu, 26 Nov 2026 01:00:00 +0000\r\n\r\nflow %d\r\n' \$i \$i > $W/msg/flow-\$i.eml
	for try in \$(seq 30); do
		if swaks -s 127.0.0.1 -p $SPORT --local-interface 127.0.0.1 -f carol@out.test \
			-t bob@inkan.test --data @$W/msg/flow-\$i.eml --timeout 30 >/dev/null 2>&1; then
			break
		fi
		echo "retry \$i" >> $W/flow.retries
		sleep 0.3
	done
done
EOF
bash flow.sh &
flow=$!
sleep 1.5
stop_milter
sleep 0.5
start_milter; r=$?
wait $flow
tap $r "the milter restarts while mail flows"
missing=; twice=
for i in $(seq 1 40); do
	c=0
	for _ in $(seq 200); do c=$(count_mid "flow-$i@out.test"); [ "$c" -ge 1 ] && break; sleep 0.1; done
	[ "$c" = 0 ] && missing="$missing $i"
	[ "$c" -gt 1 ] && twice="$twice $i"
done
[ -z "$missing" ] && [ -z "$twice" ]
tap $? "restart under load: all 40 messages delivered exactly once ($(wc -l < flow.retries 2>/dev/null || echo 0) retried after a 4xx)" "missing:$missing twice:$twice"

echo "1..$n"
exit $fail
