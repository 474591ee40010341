#!/bin/sh
# demo.sh INKAN - a tour of `inkan spf` on examples/zones/demo.zone (offline).
INKAN=${1:-build/src/inkan/inkan}
Z="--zone $(dirname "$0")/zones/demo.zone"

run() {
	printf '\n\033[1m$ inkan %s\033[0m\n' "$*" | sed "s|--zone [^ ]*|--zone demo.zone|"
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
