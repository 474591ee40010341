#!/usr/bin/env bash
# run_dns.sh [BUILD] - start the loopback DNS, run test_unbound against it,
# stop the DNS again (also on failure or interrupt).  Prints TAP.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
export INKAN_TESTENV=${INKAN_TESTENV:-$build/testenv}
port=${INKAN_TEST_DNS_PORT:-5353}

trap 'bash "$top/tests/env/stop.sh"' EXIT
# start.sh talks on stdout; keep TAP clean.
bash "$top/tests/env/start.sh" | sed 's/^/# /'
"$build/tests/integration/test_unbound" --resolver "127.0.0.1@$port" \
	--ta "$INKAN_TESTENV/dns/example.test.ds"
