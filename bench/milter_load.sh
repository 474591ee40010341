#!/usr/bin/env bash
# milter_load.sh BUILD - inkan-milter under load behind a real Postfix,
# next to Debian's OpenDKIM + OpenDMARC milters doing the same checks.
#
# One NSD (127.0.0.1:$BENCH_MILTER_DNS_PORT and 127.0.0.153:53, the latter
# for OpenDMARC, whose libc resolver cannot be given a port: it runs in a
# mount namespace whose /etc/resolv.conf names 127.0.0.153).  One Postfix
# with three smtpd ports, all delivering to one mbox file:
#   2561  no milter (the baseline: what Postfix itself costs)
#   2562  inkan-milter (inbound: SPF, DKIM, ARC, DMARC, A-R, verdict store)
#   2563  opendkim (Mode v) then opendmarc (SPFSelfValidate: SPF, DMARC)
# Every run sends $BENCH_MILTER_N messages (5000) over $BENCH_MILTER_SESSIONS
# (20) concurrent SMTP sessions from 127.0.0.2 (bench/milter_load.py):
# 80 % signed by good.test (RSA-2048, half also Ed25519; SPF pass, DMARC
# pass), 20 % from other.test unsigned (SPF fail, DMARC fail, p=none), 1
# to 24 KB each.  Counted: messages accepted and delivered (the mailbox,
# per run), throughput, latency from MAIL FROM to the reply after the
# final dot (p50/p99; "added" = minus the baseline's), the milters' RSS
# (start, peak, end), errors in their logs.
#
# Prints a Markdown table (also BUILD/bench-milter/table.md).  Measures,
# never fails on a figure.  Stops everything it started, by PID.
set -uo pipefail

BUILD=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
N=${BENCH_MILTER_N:-5000}
S=${BENCH_MILTER_SESSIONS:-20}
DNS_PORT=${BENCH_MILTER_DNS_PORT:-5361}
DNS53=127.0.0.153
P0=2561; P1=2562; P2=2563
MI=8896; OK=8897; OM=8898
W=$BUILD/bench-milter
PF=$W/postfix
INKAN=$BUILD/src/inkan/inkan
MILTER=$BUILD/src/milter/inkan-milter

. "$SRC/tests/env/nsd.sh"
. "$SRC/tests/env/postfix.sh"

pids=
cleanup() {
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	for p in $pids; do
		for _ in $(seq 80); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	pf_stop "$PF"
}
trap cleanup EXIT

rm -rf "$W"
mkdir -p "$W/zones" "$W/keys" "$W/msgs" "$W/run" "$W/odk" "$W/odm"
cd "$W" || exit 1
echo "load before: $(cat /proc/loadavg)"

# ---- zones, keys, messages ----
"$INKAN" dkim keygen --domain good.test --selector s1 --bits 2048 --out keys/s1.key > keys/s1.rec
"$INKAN" dkim keygen --domain good.test --selector e1 --type ed25519 --out keys/e1.key > keys/e1.rec
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
zone good.test '@ IN TXT "v=spf1 ip4:127.0.0.2 -all"' '_dmarc IN TXT "v=DMARC1; p=reject"' \
	"$(grep -v '^;' keys/s1.rec)" "$(grep -v '^;' keys/e1.rec)"
zone other.test '@ IN TXT "v=spf1 ip4:192.0.2.0/24 -all"' '_dmarc IN TXT "v=DMARC1; p=none"'
zone test 'good IN NS ns.good.test.' 'other IN NS ns.other.test.'
{
	nsd_server_conf "$W/zones" "$W/run" "$DNS_PORT" | sed "s/^\tip-address: .*/&\n\tip-address: $DNS53@53/"
	for z in good.test other.test test; do
		printf 'zone:\n\tname: "%s"\n\tzonefile: "%s.zone"\n' "$z" "$z"
	done
} > nsd.conf
setsid nsd -d -c nsd.conf > run/nsd.log 2>&1 &
pids="$pids $!"

$PY - "$INKAN" <<'PY'
# 100 messages, 1 to 24 KB: 80 signed by good.test (RSA; every other one
# also Ed25519), 20 unsigned from other.test.
import random, subprocess, sys
inkan = sys.argv[1]
random.seed(7)
words = "the quick brown fox jumps over a lazy dog while mail flows".split()
for i in range(100):
    size = random.randint(1000, 24000)
    lines, n = [], 0
    while n < size:
        l = " ".join(random.choice(words) for _ in range(random.randint(5, 14)))
        lines.append(l); n += len(l) + 2
    signed = i % 5 != 4
    frm = "Alice <alice@good.test>" if signed else "Oscar <oscar@other.test>"
    msg = ("From: %s\r\nTo: bob@inkan.test\r\nSubject: load %d\r\n"
           "Date: Thu, 26 Nov 2026 01:00:00 +0000\r\nMessage-ID: <load-%d@bench.test>\r\n"
           "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n%s\r\n"
           % (frm, i, i, "\r\n".join(lines))).encode()
    path = "msgs/m%03d.eml" % i
    if signed:
        args = [inkan, "dkim", "sign", "--domain", "good.test", "--selector", "s1",
                "--key", "keys/s1.key"]
        if i % 2 == 0:
            args += ["--selector", "e1", "--key", "keys/e1.key"]
        msg = subprocess.run(args + ["-"], input=msg, capture_output=True, check=True).stdout
    open(path, "wb").write(msg)
PY
for _ in $(seq 100); do ss -lnu | grep -q "127.0.0.1:$DNS_PORT " && ss -lnu | grep -q "$DNS53:53 " && break; sleep 0.05; done

# ---- the milters ----
cat > inkan-milter.conf <<EOF
Socket inet:$MI@127.0.0.1
UserID nobody
LogTo stderr
AuthservID mx.bench.test
Resolver 127.0.0.1@$DNS_PORT
DNSSEC no
VerdictStore $W/var/verdicts.db
StatsFile $W/var/stats.prom
EOF
mkdir -p var && chown nobody var
setsid "$MILTER" -c inkan-milter.conf > run/inkan-milter.log 2>&1 &
inkan_pid=$!
pids="$pids $inkan_pid"

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
Mode v
Socket inet:$OK@127.0.0.1
Background no
Syslog no
AuthservID mx.bench.test
ResolverConfiguration $W/odk/unbound.conf
EOF
# OpenDKIM 2.11 parses that file from several threads at once and
# crashes (see bench/ub_config_lock.c): serialise the parse.
cc -shared -fPIC -O2 -o odk/ub_config_lock.so "$SRC/bench/ub_config_lock.c" -ldl -lpthread ||
	{ echo "cannot build the OpenDKIM shim"; exit 1; }
(cd odk && LD_PRELOAD="$W/odk/ub_config_lock.so" exec setsid opendkim -f -x opendkim.conf) \
	> run/opendkim.log 2>&1 &
odk_pid=$!
pids="$pids $odk_pid"

echo "nameserver $DNS53" > odm/resolv.conf
cat > odm/opendmarc.conf <<EOF
Socket inet:$OM@127.0.0.1
Background false
Syslog false
AuthservID mx.bench.test
TrustedAuthservIDs mx.bench.test
SPFSelfValidate true
SPFIgnoreResults true
RejectFailures false
PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat
IgnoreHosts $W/odm/ignore
EOF
echo "127.0.0.1" > odm/ignore
(cd odm && exec setsid unshare -m sh -c "mount --bind '$W/odm/resolv.conf' /etc/resolv.conf && exec opendmarc -f -c opendmarc.conf") > run/opendmarc.log 2>&1 &
odm_pid=$!
pids="$pids $odm_pid"

for port in $MI $OK $OM; do
	for _ in $(seq 200); do ss -lnt | grep -q "127.0.0.1:$port " && break; sleep 0.05; done
	ss -lnt | grep -q "127.0.0.1:$port " || { echo "milter on $port did not start"; cat run/*.log; exit 1; }
done

pf_setup "$PF"
sed -i 's/^virtual_destination_concurrency_limit = .*/virtual_destination_concurrency_limit = 2/' "$PF/etc/main.cf"
# Delivery into one mbox is slower than acceptance: qmgr's congestion
# notes are expected here, not errors.
echo "qmgr_clog_warn_time = 0" >> "$PF/etc/main.cf"
pf_listen "$PF" $P0
pf_listen "$PF" $P1 -o smtpd_milters=inet:127.0.0.1:$MI
pf_listen "$PF" $P2 -o smtpd_milters=inet:127.0.0.1:$OK,inet:127.0.0.1:$OM
pf_start "$PF" || exit 1
INBOX=$(pf_inbox "$PF")

# The milter processes' RSS in kB ("pid:rss ..."), every 0.5 s, into a file.
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# opendmarc was exec'd by setsid, unshare and sh in turn: same PID.
odm_real=$odm_pid
[ "$(cat /proc/$odm_pid/comm 2>/dev/null)" = opendmarc ] ||
	odm_real=$(pgrep -n opendmarc -P "$odm_pid" 2>/dev/null || echo "$odm_pid")
sample() {	# sample OUT PIDS...
	local out=$1
	shift
	while :; do
		local t=0
		for p in "$@"; do t=$((t + $(rss "$p"))); done
		echo "$t" >> "$out"
		sleep 0.5
	done
}

wait_queue() {	# the queue is empty and the inbox has stopped growing
	for _ in $(seq 1200); do
		[ -z "$(pf_queue "$PF")" ] && return 0
		sleep 0.25
	done
}

run() {	# run NAME PORT PIDS...
	local name=$1 port=$2
	shift 2
	wait_queue
	echo "load before $name: $(cat /proc/loadavg)"
	sample "run/$name.rss" "$@" &
	local sp=$!
	# warm-up: DNS caches and key caches, as on a running server; one
	# session first, so that lazy set-up happens once
	$PY "$SRC/bench/milter_load.py" "$port" msgs "warm1-$name" 10 1 127.0.0.2 "run/$name-warm1.json" > /dev/null
	$PY "$SRC/bench/milter_load.py" "$port" msgs "warm-$name" 200 "$S" 127.0.0.2 "run/$name-warm.json" > /dev/null
	$PY "$SRC/bench/milter_load.py" "$port" msgs "$name" "$N" "$S" 127.0.0.2 "run/$name.json"
	wait_queue
	sleep 1
	kill "$sp" 2>/dev/null
	wait "$sp" 2>/dev/null
	grep -c "^X-Bench: $name-" "$INBOX" > "run/$name.delivered"
	echo "load after $name: $(cat /proc/loadavg)"
}

run baseline $P0 $inkan_pid
run inkan $P1 $inkan_pid
if [ "${BENCH_MILTER_ONLY:-}" = inkan ]; then
	r=$(tr '\n' ' ' < run/inkan.rss)
	echo "inkan-milter RSS (kB, every 0.5 s): $r"
	exit 0
fi
run opendkim+opendmarc $P2 $odk_pid $odm_real

# What each milter wrote into a message (one of the signed ones), and
# how many messages of each run got which verdicts: both setups must find
# the 80 % signed mail dkim=pass and dmarc=pass, the rest dmarc=fail.
$PY - "$INBOX" > run/sample-ar.txt <<'PY'
import collections, mailbox, sys
seen = set()
tally = collections.defaultdict(collections.Counter)
for m in mailbox.mbox(sys.argv[1]):
    tag = (m.get("X-Bench") or "").rsplit("-", 1)[0]
    if tag.startswith("warm"):
        continue
    ars = [" ".join(str(v).split()) for v in m.get_all("Authentication-Results") or []]
    ars = [a for a in ars if a.startswith("mx.bench.test;")]
    joined = " ".join(ars)
    tally[tag]["messages"] += 1
    for k in ("dkim=pass", "dkim=fail", "dmarc=pass", "dmarc=fail", "spf=pass", "spf=fail"):
        if k in joined:
            tally[tag][k] += 1
    if tag in seen or m.get("From", "").find("good.test") < 0:
        continue
    seen.add(tag)
    print("== %s" % tag)
    for a in ars:
        print("Authentication-Results: " + a)
print()
for tag in sorted(tally):
    print("verdicts %s: %s" % (tag, ", ".join("%s %d" % kv for kv in sorted(tally[tag].items()))))
PY

errors() {	# errors LOG: lines that are not the per-message lines
	grep -v '^ub_config_lock\|^ub_ctx_config call' "$1" 2>/dev/null |
		grep -ciE "error|warning|fatal|panic" || true
}
pf_errors=$(grep -ciE "warning|error|fatal" "$(pf_log "$PF")" 2>/dev/null || true)

$PY - "$W/run" "$N" "$S" "$(errors run/inkan-milter.log)" \
	"$(( $(errors run/opendkim.log) + $(errors run/opendmarc.log) ))" "$pf_errors" <<'PY' | tee table.md
import json, os, sys
d, n, s, ierr, oerr, pferr = sys.argv[1:7]
def load(name):
    r = json.load(open(os.path.join(d, name + ".json")))
    r["delivered"] = int(open(os.path.join(d, name + ".delivered")).read().strip() or 0)
    rss = [int(x) for x in open(os.path.join(d, name + ".rss")).read().split() if x.strip()]
    # start, then at a quarter, half, three quarters and the end of the run
    r["rss"] = tuple(rss[min(len(rss) - 1, len(rss) * q // 4)] for q in range(5)) if rss else (0,) * 5
    return r
b = load("baseline")
rows = [("Postfix alone (baseline)", b, "-", None),
        ("Postfix + inkan-milter", load("inkan"), ierr, b),
        ("Postfix + OpenDKIM + OpenDMARC", load("opendkim+opendmarc"), oerr, b)]
print("%s messages, %s concurrent SMTP sessions, from 127.0.0.2; Postfix log warnings/errors: %s" % (n, s, pferr))
print()
print("| setup | sent | accepted | delivered | msgs/s | p50 ms | p99 ms | added p50 | added p99 | milter RSS MB at 0 / 25 / 50 / 75 / 100 % | log errors |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
for name, r, err, base in rows:
    add50 = "%.1f" % (r["p50_ms"] - base["p50_ms"]) if base else "-"
    add99 = "%.1f" % (r["p99_ms"] - base["p99_ms"]) if base else "-"
    rss = "-" if base is None else " / ".join("%.1f" % (x / 1024.0) for x in r["rss"])
    print("| %s | %d | %d | %d | %.0f | %.1f | %.1f | %s | %s | %s | %s |" % (
        name, r["sent"], r["accepted"], r["delivered"], r["msgs_per_s"], r["p50_ms"],
        r["p99_ms"], add50, add99, rss, err))
PY
echo
cat run/sample-ar.txt
echo "OpenDKIM parsed its resolver configuration $(grep -c '^ub_ctx_config call' run/opendkim.log) times"
echo "load after: $(cat /proc/loadavg)"
