#!/usr/bin/env bash
# spf_batch_nsd.sh [BUILD] - `inkan spf check --batch` through libunbound's
# asynchronous path and through the stub resolver (async_stub.c) against a
# real NSD gives the same answers as the same checks one by one
# (--sequential, synchronous path) and as the offline zone backend.  NSD serves examples/zones/demo.zone as the zone
# "example." on 127.0.0.1:${INKAN_TEST_BATCH_PORT:-5355}.  Prints TAP.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
inkan=$build/src/inkan/inkan
port=${INKAN_TEST_BATCH_PORT:-5355}
export INKAN_TESTENV=$build/testenv-batch INKAN_TEST_DNS_PORT=$port
work=$INKAN_TESTENV/work
zone=$top/examples/zones/demo.zone

trap 'bash "$top/tests/env/stop.sh"' EXIT
rm -rf "$work"
mkdir -p "$work/extra"
cp "$zone" "$work/extra/example.zone"
bash "$top/tests/env/start.sh" --extra "$work/extra" | sed 's/^/# /'

# 2,000 checks over the demo domains: every verdict of RFC 7208 occurs.
/usr/bin/python3 - "$work/checks.txt" <<'PY'
import random, sys
random.seed(7208)
senders = ["alice@good.example", "bob@strict.example", "carol@big.example",
           "dave@two.example", "eve@typo.example", "x@nothing.example",
           "y@_spf.esp.example", "n@maybe.example", "<>"]
ips = ["192.0.2.25", "192.0.2.3", "192.0.2.200", "198.51.100.7", "203.0.113.9",
       "203.0.113.99", "2001:db8:e5b::1", "2001:db8:1::1", "::ffff:192.0.2.5"]
helos = ["good.example", "mx1.good.example", "strict.example", "h.example"]
with open(sys.argv[1], "w") as f:
    for _ in range(2000):
        f.write("%s %s %s\n" % (random.choice(ips), random.choice(senders), random.choice(helos)))
PY

# From here on each step's status is a test result, not a reason to stop.
set +e
n=0
fails=0
tap() {	# tap OK NAME
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}
# dns_queries can differ between a shared cache and per-check runs;
# everything else must be equal.
strip() { sed -E 's/"dns_queries":[0-9]+,//' "$1"; }

res="--resolver 127.0.0.1@$port --no-dnssec"
# shellcheck disable=SC2086
"$inkan" spf check $res --batch "$work/checks.txt" --jobs 500 --async-backend unbound \
    > "$work/async.jsonl"
tap $? "batch through unbound async: exit 0"
# --resolver + --no-dnssec takes the stub by default; say so explicitly too.
# shellcheck disable=SC2086
"$inkan" spf check $res --batch "$work/checks.txt" --jobs 500 > "$work/stub.jsonl"
tap $? "batch through the stub resolver (default): exit 0"
# shellcheck disable=SC2086
INKAN_ASYNC=stub "$inkan" spf check $res --batch "$work/checks.txt" > "$work/stub2.jsonl"
tap $? "batch through the stub resolver (INKAN_ASYNC=stub): exit 0"
# shellcheck disable=SC2086
"$inkan" spf check $res --batch "$work/checks.txt" --sequential > "$work/seq.jsonl"
tap $? "batch through unbound one by one: exit 0"
"$inkan" spf check --zone "$zone" --batch "$work/checks.txt" > "$work/zone.jsonl"
tap $? "batch through the zone backend: exit 0"

lines=$(wc -l < "$work/async.jsonl")
[ "$lines" -eq 2000 ]; tap $? "one answer per input line ($lines)"
cmp -s <(strip "$work/async.jsonl") <(strip "$work/seq.jsonl"); tap $? "async == sequential"
cmp -s <(strip "$work/async.jsonl") <(strip "$work/zone.jsonl"); tap $? "NSD == zone backend"
cmp -s <(strip "$work/stub.jsonl") <(strip "$work/seq.jsonl"); tap $? "stub == sequential"
cmp -s <(strip "$work/stub.jsonl") <(strip "$work/async.jsonl"); tap $? "stub == unbound async"
cmp -s <(strip "$work/stub2.jsonl") <(strip "$work/stub.jsonl"); tap $? "stub (1000 jobs) == stub (500)"
# The stub refuses what it cannot do (validation).
# shellcheck disable=SC2086
"$inkan" spf check --resolver 127.0.0.1@$port --batch "$work/checks.txt" \
    --async-backend stub > /dev/null 2>&1
[ $? -eq 64 ]; tap $? "--async-backend stub without --no-dnssec is a usage error"
if [ $fails -gt 0 ]; then
	diff <(strip "$work/stub.jsonl") <(strip "$work/seq.jsonl") | head -6 | sed 's/^/# /'
	diff <(strip "$work/async.jsonl") <(strip "$work/seq.jsonl") | head -6 | sed 's/^/# /'
	diff <(strip "$work/async.jsonl") <(strip "$work/zone.jsonl") | head -6 | sed 's/^/# /'
fi
kinds=$(grep -o '"result":"[a-z]*"' "$work/async.jsonl" | sort -u | wc -l)
[ "$kinds" -ge 6 ]; tap $? "the set covers $kinds verdicts (all but temperror)"
# One check by itself through NSD, not in a batch: the same verdict.
first=$(head -1 "$work/checks.txt")
# shellcheck disable=SC2086
single=$("$inkan" spf check $res --json $first | grep -o '"result":"[a-z]*"')
[ "$single" = "$(head -1 "$work/async.jsonl" | grep -o '"result":"[a-z]*"')" ]
tap $? "single check == batch line 1 ($single)"
echo "1..$n"
[ $fails -eq 0 ]
