#!/bin/sh
# demo.sh INKAN - a tour of `inkan spf`, `inkan dkim` and `inkan verify` on
# examples/zones/demo.zone (offline; the DKIM key is made for the tour).
INKAN=${1:-build/src/inkan/inkan}
Z="--zone $(dirname "$0")/zones/demo.zone"

run() {
	printf '\n\033[1m$ inkan %s\033[0m\n' "$*" |
	    sed "s|--zone [^ ]*/demo.zone|--zone demo.zone|; s|--zone [^ ]*/keys.zone|--zone keys.zone|; s|/tmp/[^ /]*/||g"
	# shellcheck disable=SC2086
	$INKAN "$@"
	echo "(exit status $?)"
}

echo "== SPF check: is this client allowed to send as this domain? =="
run spf check $Z 192.0.2.25 alice@good.example mx1.good.example
run spf check $Z 198.51.100.7 alice@good.example out.esp.example
run spf check $Z 203.0.113.9 alice@strict.example evil.example
run spf check $Z --json 2001:db8:e5b::1 "<>" good.example
run spf check $Z 192.0.2.1 bob@two.example mail.two.example
run spf check $Z --trace 203.0.113.99 carol@big.example mail.big.example

echo
echo "== SPF lint: what is wrong with a domain's policy? =="
run spf lint $Z good.example
run spf lint $Z two.example
run spf lint $Z big.example
run spf lint $Z typo.example

echo
echo "== DKIM + DMARC: sign a message, then verify it as a receiver would =="
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
$INKAN dkim keygen --domain good.example --selector demo --out "$T/demo.key" > "$T/keys.zone"
printf 'From: Alice <alice@good.example>\r\nTo: bob@example.org\r\nSubject: demo\r\nDate: Thu, 26 Nov 2026 01:00:00 +0000\r\nMessage-ID: <demo@good.example>\r\n\r\nHello Bob.\r\n' > "$T/msg.eml"
$INKAN dkim sign --domain good.example --selector demo --key "$T/demo.key" "$T/msg.eml" > "$T/signed.eml"
K="--zone $T/keys.zone"
printf '\n(signed.eml = msg.eml with a DKIM-Signature by good.example, selector demo)\n'
run verify $Z $K --authserv-id mx.example.org --ip 192.0.2.25 --mail-from alice@good.example --helo mx1.good.example "$T/signed.eml"
printf '\n(the same From, unsigned, from an address good.example does not authorise)\n'
run verify $Z $K --authserv-id mx.example.org --ip 203.0.113.9 --mail-from ceo@good.example --helo evil.example "$T/msg.eml"

echo
echo "== check: the whole mail posture of a domain (offline: network probes not-tested) =="
run check $Z --offline good.example two.example
