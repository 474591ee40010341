#!/usr/bin/env bash
# spf_nsd.sh [BUILD] - the SPF conformance suites through a real NSD.
#
# For each scenario of the OpenSPF RFC 7208 suite and the mail-auth suite,
# spf_suite --dump-zones writes its DNS data as a root zone; a private NSD
# on 127.0.0.1:${INKAN_TEST_SPF_PORT:-5354} serves it, and spf_suite
# --scenario N --resolver evaluates the scenario's cases through libunbound
# forwarding to that NSD.  Expected results are the suites' own, exactly
# as in the zone-backend run, so both backends are held to the same
# answers.  Cases that need a DNS timeout (which a server cannot produce)
# print as SKIP.  Prints TAP; NSD is stopped on exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
suite=$build/tests/conformance/spf_suite
PORT=${INKAN_TEST_SPF_PORT:-5354}
B=$build/testenv-spf
R=$B/run
# shellcheck source=tests/env/nsd.sh
. "$top/tests/env/nsd.sh"

for tool in nsd ss drill; do
	command -v "$tool" >/dev/null || { echo "not ok 1 - $tool not installed"; exit 1; }
done

# tests/env/stop.sh stops the PIDs recorded under $R whose command line names $B.
stop_nsd() { INKAN_TESTENV=$B bash "$top/tests/env/stop.sh"; }
trap stop_nsd EXIT

stop_nsd
rm -rf "$B"
mkdir -p "$B/zones" "$R"
if ss -lnu | grep -q "127.0.0.1:$PORT "; then
	echo "not ok 1 - 127.0.0.1:$PORT is in use"
	exit 1
fi

"$suite" openspf "$top/tests/data/spf/openspf/rfc7208-tests.yml" --dump-zones "$B/zones/openspf" >/dev/null
"$suite" mail-auth "$top/tests/data/spf/mail-auth" --dump-zones "$B/zones/mail-auth" >/dev/null

# NSD serves root.zone; each scenario is copied over it and NSD reloads it
# on SIGHUP.  A marker TXT says which scenario is loaded.
{
	nsd_server_conf "$B" "$R" "$PORT"
	printf 'zone:\n\tname: "."\n\tzonefile: "root.zone"\n'
} > "$B/nsd.conf"

load() {	# load ZONEFILE MARKER
	{ cat "$1"; printf 'scenario.inkan-test. IN TXT "%s"\n' "$2"; } > "$B/root.zone.new"
	mv "$B/root.zone.new" "$B/root.zone"
	if [ ! -e "$R/nsd.pid" ]; then
		setsid nsd -d -c "$B/nsd.conf" >>"$R/nsd.log" 2>&1 &
		echo $! > "$R/nsd.pid"
	else
		kill -HUP "$(cat "$R/nsd.pid")"
	fi
	for _ in $(seq 200); do
		if drill -Q -p "$PORT" @127.0.0.1 TXT scenario.inkan-test 2>/dev/null |
		    grep -qx "\"$2\""; then
			return 0
		fi
		sleep 0.05
	done
	echo "# NSD did not load $1:" >&2
	tail -5 "$R/nsd.log" | sed 's/^/# /'
	return 1
}

n=0
fails=0
for kind in openspf mail-auth; do
	case $kind in
	openspf) input=$top/tests/data/spf/openspf/rfc7208-tests.yml ;;
	mail-auth) input=$top/tests/data/spf/mail-auth ;;
	esac
	for z in "$B/zones/$kind"/*.zone; do
		num=$(basename "$z" .zone)
		num=$((10#$num))
		if ! load "$z" "$kind-$num"; then
			n=$((n + 1)); fails=$((fails + 1))
			echo "not ok $n - $kind scenario $num: NSD did not load the zone"
			continue
		fi
		# Renumber the driver's TAP lines into one plan.
		out=$("$suite" "$kind" "$input" --scenario "$num" --resolver "127.0.0.1@$PORT" 2>&1) || true
		while IFS= read -r line; do
			case $line in
			"ok "*|"not ok "*)
				n=$((n + 1))
				rest=$(printf '%s\n' "$line" | sed -E 's/^(not ok|ok) [0-9]+ ?-? ?//')
				status=${line%% [0-9]*}
				case $line in "not ok"*"# TODO"*) ;; "not ok"*) fails=$((fails + 1)) ;; esac
				echo "$status $n - nsd/$kind/$rest"
				;;
			"#"*) echo "$line" ;;
			esac
		done <<< "$out"
	done
done
echo "1..$n"
[ $fails -eq 0 ]
