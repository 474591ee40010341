#!/usr/bin/env bash
# start.sh [--extra DIR] - start the loopback DNS of the integration tests.
#
# NSD on 127.0.0.1:${INKAN_TEST_DNS_PORT:-5353}, in the foreground, with
# its configuration, zones and state under $B (${INKAN_TESTENV:-build/testenv}):
#   example.test  signed on every run (fresh keys, +1 year expiry); the
#                 TXT at bad.example.test is altered after signing, so it
#                 validates as bogus.  The KSK's DS, the trust anchor, is
#                 written to $B/dns/example.test.ds.
#   plain.test    unsigned.
#   NAME          for every $B/dns/extra/NAME.zone (files from --extra DIR
#                 are copied there first).  A file without an SOA gets one.
# Exits non-zero unless NSD listens and serves every zone within 10 s.
# PIDs go to $B/run/*.pid; tests/env/stop.sh stops what they name.
# See /work/shared/TESTENV.md §2 and §6 for the recipe this follows.
set -euo pipefail
# shellcheck source=tests/env/nsd.sh
. "$(dirname "$0")/nsd.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
B=${INKAN_TESTENV:-$top/build/testenv}
case $B in /*) ;; *) B=$top/$B ;; esac
PORT=${INKAN_TEST_DNS_PORT:-5353}
D=$B/dns
R=$B/run
extra=

while [ $# -gt 0 ]; do
	case $1 in
	--extra) extra=${2:?--extra needs a directory}; shift 2 ;;
	-h|--help) sed -n '2,16p' "$0"; exit 0 ;;
	*) echo "start.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

for tool in nsd ldns-keygen ldns-signzone ss drill; do
	command -v "$tool" >/dev/null || { echo "start.sh: $tool not installed" >&2; exit 1; }
done

# A previous run of ours first; never anyone else's.
if [ -e "$R/nsd.pid" ]; then
	bash "$(dirname "$0")/stop.sh"
fi
if ss -lnu | grep -q "127.0.0.1:$PORT "; then
	echo "start.sh: 127.0.0.1:$PORT is in use by another process" >&2
	exit 1
fi

mkdir -p "$D/keys" "$D/extra" "$D/gen" "$R"
rm -f "$D"/keys/K* "$D"/gen/*.zone "$R"/nsd.log

if [ -n "$extra" ]; then
	ls "$extra"/*.zone >/dev/null 2>&1 || { echo "start.sh: no *.zone in $extra" >&2; exit 1; }
	cp "$extra"/*.zone "$D/extra/"
fi

serial=$(date -u +%s)

cat > "$D/example.test.zone" <<EOF
\$ORIGIN example.test.
\$TTL 300
@	SOA	ns.example.test. hostmaster.example.test. $serial 3600 600 86400 300
@	NS	ns
ns	A	127.0.0.1
@	MX	10 mx
@	MX	20 mx2
mx	A	127.0.0.1
mx	AAAA	::1
mx2	A	127.0.0.2
www	CNAME	mx
@	TXT	"v=spf1 ip4:127.0.0.0/8 mx -all"
multi	TXT	"v=spf1 " "include:plain.test " "-all"
_dmarc	TXT	"v=DMARC1; p=reject; rua=mailto:dmarc@example.test"
bad	TXT	"original-text"
sub.deep	TXT	"below an empty non-terminal"
EOF

cat > "$D/plain.test.zone" <<EOF
\$ORIGIN plain.test.
\$TTL 300
@	SOA	ns.example.test. hostmaster.example.test. $serial 3600 600 86400 300
@	NS	ns.example.test.
@	TXT	"v=spf1 -all"
@	MX	0 .
host	A	192.0.2.10
EOF

# Sign with fresh keys; the expiry must stay under 2^31 s from inception
# (TESTENV.md §2), so +1 year, signed now.
(
	cd "$D/keys"
	ksk=$(ldns-keygen -a ECDSAP256SHA256 -k example.test)
	zsk=$(ldns-keygen -a ECDSAP256SHA256 example.test)
	ldns-signzone -e "$(date -u -d '+1 year' +%Y%m%d%H%M%S)" \
		-f "$D/example.test.zone.signed" "$D/example.test.zone" "$zsk" "$ksk"
	cp "$ksk.ds" "$D/example.test.ds"
)
# After signing: the RRSIG no longer matches, so validators say bogus.
sed -i 's/"original-text"/"tampered-text"/' "$D/example.test.zone.signed"
grep -q '"tampered-text"' "$D/example.test.zone.signed" || {
	echo "start.sh: could not tamper bad.example.test" >&2; exit 1; }

zones="example.test:example.test.zone.signed plain.test:plain.test.zone"
for f in "$D"/extra/*.zone; do
	[ -e "$f" ] || continue
	name=$(basename "$f" .zone)
	if grep -Eq '^[^;]*[[:space:]]SOA[[:space:]]' "$f"; then
		zones="$zones $name:extra/$name.zone"
	else
		{
			printf '$ORIGIN %s.\n$TTL 300\n' "$name"
			printf '@ SOA ns.example.test. hostmaster.example.test. %s 3600 600 86400 300\n' "$serial"
			printf '@ NS ns.example.test.\n'
			cat "$f"
		} > "$D/gen/$name.zone"
		zones="$zones $name:gen/$name.zone"
	fi
done

{
	nsd_server_conf "$D" "$R" "$PORT"
	for z in $zones; do
		printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' "${z%%:*}" "${z#*:}"
	done
} > "$B/nsd.conf"

nsd-checkconf "$B/nsd.conf"
# Its own session and process group, so stop.sh can kill NSD's children
# too if it must, without touching our caller's group.
setsid nsd -d -c "$B/nsd.conf" >>"$R/nsd.log" 2>&1 &
echo $! > "$R/nsd.pid"

# Ready when the port listens (polled every 50 ms, 10 s at most) and every
# zone answers its SOA.
ready=0
for _ in $(seq 200); do
	if ss -lnu | grep -q "127.0.0.1:$PORT "; then
		ready=1
		break
	fi
	kill -0 "$(cat "$R/nsd.pid")" 2>/dev/null || break
	sleep 0.05
done
if [ $ready -ne 1 ]; then
	echo "start.sh: NSD not listening on 127.0.0.1:$PORT" >&2
	cat "$R/nsd.log" >&2
	bash "$(dirname "$0")/stop.sh"
	exit 1
fi
for z in $zones; do
	name=${z%%:*}
	if ! drill -Q -p "$PORT" @127.0.0.1 SOA "$name" 2>/dev/null | grep -q .; then
		echo "start.sh: NSD does not serve $name" >&2
		cat "$R/nsd.log" >&2
		bash "$(dirname "$0")/stop.sh"
		exit 1
	fi
done
echo "start.sh: NSD on 127.0.0.1:$PORT serving:$(for z in $zones; do printf ' %s' "${z%%:*}"; done)"
echo "start.sh: trust anchor $D/example.test.ds"
