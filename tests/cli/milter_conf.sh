#!/usr/bin/env bash
# milter_conf.sh [BUILD] - inkan-milter.conf(5) is read strictly:
# `inkan-milter -n` accepts a good file and names FILE:LINE and the problem
# for each bad one.  Offline (ZoneFile), no socket is opened.  Prints TAP.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
milter=$build/src/milter/inkan-milter
inkan=$build/src/inkan/inkan
n=0
fail=0
tap() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1
		[ -n "${3:-}" ] && printf '%s\n' "$3" | head -10 | sed 's/^/#   /'; fi
}
if [ ! -x "$milter" ]; then
	echo "not ok 1 - inkan-milter was built (libmilter-dev installed)"
	echo "1..1"
	exit 1
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$inkan" dkim keygen --domain x.test --selector s1 --out "$T/s1.key" > /dev/null
"$inkan" dkim keygen --domain x.test --selector e1 --type ed25519 --out "$T/e1.key" > /dev/null
chmod 600 "$T"/*.key
printf '$ORIGIN x.test.\n@ 300 IN TXT "v=spf1 -all"\n' > "$T/x.zone"
base="Socket inet:18891@127.0.0.1
ZoneFile $T/x.zone
AuthservID mx.x.test"

good() {	# good NAME LINES
	printf '%s\n%s\n' "$base" "$2" > "$T/c.conf"
	out=$("$milter" -n -c "$T/c.conf" 2>&1); rc=$?
	[ $rc = 0 ]; tap $? "$1" "$out"
}
bad() {		# bad NAME WANT LINES
	printf '%s\n%s\n' "$base" "$3" > "$T/c.conf"
	out=$("$milter" -n -c "$T/c.conf" 2>&1); rc=$?
	r=0; [ $rc = 78 ] || r=1
	case $out in *"$2"*) ;; *) r=1 ;; esac
	tap $r "$1" "rc=$rc want '$2' got: $out"
}

good "minimal file" ""
good "every setting once" "# comment
UserID nobody
PidFile $T/pid   # trailing comment
LogTo stderr
SyslogFacility local3
UMask 007
Resolver 127.0.0.1@53, 192.0.2.53
TrustAnchorFile $T/x.zone
DNSSEC no
DNSTimeout 2000
DMARCMode rfc7489
ApplyPct yes
BadFrom quarantine
ARC no
MaxSignatures 4
OnDMARCReject reject
OnDMARCQuarantine quarantine
OnSPFFail reject
OnTempError tempfail
OnLimit accept
OnError tempfail
QuarantineMethod header
QuarantineHeader X-Held
InternalNetworks 127.0.0.1/32 ::1, 10.0.0.0/8
AuthenticatedInternal no
VerifyInternal yes
ExemptDomains a.example b.example
TrustedARCSealers google.com
SigningKey x.test x.test s1 $T/s1.key
SigningKey x.test x.test e1 $T/e1.key
Canonicalization relaxed/simple
SignatureExpire 604800
ARCSealKey x.test a1 $T/s1.key
ARCSealRecipients lists.x.test, *
VerdictStore $T/v.db
StatsFile $T/stats.prom
StatsInterval 5
MaxHeaderBytes 2000000
MaxDNSQueries 100
MaxMessageTime 20000"
out=$(printf '%s\nSigningKey x.test x.test s1 %s\nSigningKey x.test x.test e1 %s\n' "$base" "$T/s1.key" "$T/e1.key" > "$T/c.conf"; "$milter" -n -c "$T/c.conf" 2>&1)
case $out in *"OK, 2 signing keys"*) r=0 ;; *) r=1 ;; esac
tap $r "-n reports the keys loaded" "$out"
printf 'x.test x.test s1 %s\n# comment\n\n*.x.test x.test e1 %s\n' "$T/s1.key" "$T/e1.key" > "$T/table"
good "SigningTable file" "SigningTable $T/table"

bad "unknown setting named with FILE:LINE" "c.conf:4: unknown setting 'Sokcet'" "Sokcet x"
bad "a value is required" "OnSPFFail needs a value" "OnSPFFail"
bad "bad action" "OnDMARCReject is accept, quarantine, reject or tempfail" "OnDMARCReject bounce"
bad "OnTempError is accept or tempfail" "OnTempError is accept or tempfail" "OnTempError reject"
bad "bad network" "'10.0.0.0/33' is not an address" "InternalNetworks 10.0.0.0/8 10.0.0.0/33"
bad "bad number" "DNSTimeout wants a number" "DNSTimeout 5s"
bad "number over its maximum" "MaxSignatures wants a number from 0 to 64" "MaxSignatures 65"
bad "bad boolean" "DNSSEC wants yes or no" "DNSSEC maybe"
bad "signing row with three words" "SigningKey wants PATTERN DOMAIN SELECTOR KEYFILE" "SigningKey x.test x.test s1"
bad "missing key file" "missing.key" "SigningKey x.test x.test s1 $T/missing.key"
chmod 640 "$T/e1.key"
bad "key readable by the group" "group or others" "SigningKey x.test x.test e1 $T/e1.key"
chmod 600 "$T/e1.key"
bad "bad signing pattern" "is not a pattern" "SigningKey x..y@ x.test e1 $T/e1.key"
bad "ARC seal key must be RSA" "rsa-sha256 only" "ARCSealKey x.test a1 $T/e1.key"
bad "ARCSealKey with three words" "ARCSealKey wants DOMAIN SELECTOR KEYFILE" "ARCSealKey x.test $T/s1.key"
bad "ARCSealRecipients needs a key" "ARCSealRecipients without ARCSealKey" "ARCSealRecipients lists.x.test"
bad "bad canonicalization" "Canonicalization is HEADER/BODY" "Canonicalization relaxed/loose"
printf 'x.test x.test s1\n' > "$T/badtable"
bad "signing table row named with its file and line" "badtable:1: a signing table row wants" "SigningTable $T/badtable"
long=$(head -c 5000 /dev/zero | tr '\0' x)
bad "a line over 4096 bytes" "line longer than 4096 bytes" "ExemptDomains $long"
printf 'AuthservID x\n' > "$T/c.conf"
out=$("$milter" -n -c "$T/c.conf" 2>&1); rc=$?
r=0; [ $rc = 78 ] || r=1; case $out in *"no Socket setting"*) ;; *) r=1 ;; esac
tap $r "Socket is required" "$out"
out=$("$milter" -n -c "$T/nonexistent.conf" 2>&1); rc=$?
r=0; [ $rc = 78 ] || r=1; case $out in *"nonexistent.conf: cannot open"*) ;; *) r=1 ;; esac
tap $r "a missing file is named" "$out"
"$milter" -x >/dev/null 2>&1; [ $? = 64 ]; tap $? "a bad option is a usage error (64)"
echo "1..$n"
exit $fail
