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
STSD_CONF_PLACEHOLDER
EOF
