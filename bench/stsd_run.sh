#!/bin/sh
# stsd_run.sh BUILD - inkan-stsd against postfix-mta-sts-resolver
# (Debian postfix-mta-sts-resolver, mta-sts-daemon): the same socketmap
# queries, the same client (BUILD/bench/stsd_bench), both answering from
# their caches.
#
# postfix-mta-sts-resolver asks the system resolver (/etc/resolv.conf)
# and fetches policies from port 443 with the system's CAs, so the whole
# run happens in a private network and mount namespace (unshare -nm, as
# root): there NSD serves the bench zone on 127.0.0.1:53, a resolv.conf
# naming it is bind-mounted over /etc/resolv.conf, and nginx serves the
# policies on 127.0.0.1:443 with a certificate of a test CA given to both
# (CAFile; SSL_CERT_FILE for Python's ssl).  Both services really look
# every domain up once (the warm-up), then 50 clients send 10,000
# queries over BENCH_DOMAINS domains, all with MTA-STS policies in
# enforce mode (both answer "OK secure match=.bench.test
# servername=hostname"; the client counts any other answer).
#
# Prints the figures, the ratios and the load average.  Never fails on a
# figure.  Environment: BENCH_DOMAINS (500), BENCH_QUERIES (10000),
# BENCH_CLIENTS (50), BENCH_ROUNDS (3, the median run is kept).
set -eu

BUILD=${1:-build-bench}
BUILD=$(cd "$BUILD" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
if [ "${STSD_RUN_INNER:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "stsd_run.sh: needs root (unshare -nm)" >&2; exit 1; }
	exec unshare -nm env STSD_RUN_INNER=1 sh "$0" "$BUILD"
fi
W=$BUILD/stsd-run
STSD=$BUILD/src/stsd/inkan-stsd
CLIENT=$BUILD/bench/stsd_bench
ND=${BENCH_DOMAINS:-500}
NQ=${BENCH_QUERIES:-10000}
NC=${BENCH_CLIENTS:-50}
ROUNDS=${BENCH_ROUNDS:-3}
INKAN=127.0.0.1:10035
PEER=127.0.0.1:10036
WANT="OK secure match=.bench.test servername=hostname"
for f in "$STSD" "$CLIENT"; do
	[ -x "$f" ] || { echo "stsd_run.sh: $f missing; build first (make bench)" >&2; exit 1; }
done
command -v mta-sts-daemon >/dev/null || { echo "stsd_run.sh: mta-sts-daemon not installed" >&2; exit 1; }

ip link set lo up
rm -rf "$W"
mkdir -p "$W/www/.well-known" "$W/t"
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in $pids; do kill -9 "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
( while :; do cut -d' ' -f1 /proc/loadavg >> "$W/load"; sleep 2; done ) &
pids="$pids $!"

# ---- PKI: a CA and one leaf naming every mta-sts.dN.bench.test
seq 1 "$ND" | sed 's/^/d/; s/$/.bench.test/' > "$W/domains"
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/ca.key" \
    -out "$W/ca.crt" -days 30 -subj "/CN=bench CA" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/leaf.key" \
    -out "$W/leaf.csr" -subj "/CN=mta-sts.bench.test" 2>/dev/null
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' \
    "$(sed 's/^/DNS:mta-sts./' "$W/domains" | paste -sd, -)" > "$W/leaf.ext"
openssl x509 -req -in "$W/leaf.csr" -CA "$W/ca.crt" -CAkey "$W/ca.key" -CAcreateserial \
    -days 30 -out "$W/leaf.crt" -extfile "$W/leaf.ext" 2>/dev/null
printf 'version: STSv1\nmode: enforce\nmx: *.bench.test\nmax_age: 604800\n' \
    > "$W/www/.well-known/mta-sts.txt"

# ---- DNS: NSD on 127.0.0.1:53, and the namespace's resolv.conf
{
	printf '$ORIGIN bench.test.\n$TTL 3600\n@ SOA ns hostmaster 1 3600 600 86400 3600\n'
	printf '@ NS ns\nns A 127.0.0.1\n'
	sed 's/\.bench\.test$//' "$W/domains" | while read -r d; do
		printf '%s MX 10 mx.%s\nmx.%s A 127.0.0.1\nmta-sts.%s A 127.0.0.1\n' "$d" "$d" "$d" "$d"
		printf '_mta-sts.%s TXT "v=STSv1; id=20261126"\n' "$d"
	done
} > "$W/bench.test.zone"
. "$SRC/tests/env/nsd.sh"
{ nsd_server_conf "$W" "$W" 53; printf 'zone:\n\tname: bench.test\n\tzonefile: bench.test.zone\n'; } \
    > "$W/nsd.conf"
nsd -d -c "$W/nsd.conf" > "$W/nsd.out" 2>&1 &
pids="$pids $!"
echo "nameserver 127.0.0.1" > "$W/resolv.conf"
mount --bind "$W/resolv.conf" /etc/resolv.conf

# ---- nginx on 127.0.0.1:443
cat > "$W/nginx.conf" <<EOC
daemon off; worker_processes 1; pid $W/nginx.pid; error_log $W/nginx-error.log;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path $W/t/b; proxy_temp_path $W/t/p;
  fastcgi_temp_path $W/t/f; uwsgi_temp_path $W/t/u; scgi_temp_path $W/t/s;
  server { listen 127.0.0.1:443 ssl; server_name _;
    ssl_certificate $W/leaf.crt; ssl_certificate_key $W/leaf.key; root $W/www;
    location = /.well-known/mta-sts.txt { types { } default_type text/plain; } } }
EOC
nginx -e "$W/nginx-error.log" -p "$W" -c "$W/nginx.conf" &
pids="$pids $!"

# ---- the two services
cat > "$W/stsd.conf" <<EOC
Socketmap inet:$INKAN
Resolver 127.0.0.1@53
DNSSEC no
CAFile $W/ca.crt
LogTo stderr
LogCacheHits ${BENCH_LOG_HITS:-no}
Workers 4
EOC
user=
[ "$(id -u)" = 0 ] && user="--user nobody"
# shellcheck disable=SC2086
"$STSD" -c "$W/stsd.conf" $user 2> "$W/stsd.log" &
pids="$pids $!"
cat > "$W/mta-sts-daemon.yml" <<EOC
host: 127.0.0.1
port: 10036
reuse_port: true
cache_grace: 86400
cache:
  type: internal
  options:
    cache_size: 10000
default_zone:
  timeout: 4
EOC
SSL_CERT_FILE=$W/ca.crt mta-sts-daemon -c "$W/mta-sts-daemon.yml" -v warn \
    > "$W/peer.log" 2>&1 &
pids="$pids $!"
for _ in $(seq 100); do
	ss -ltn | grep -q "127.0.0.1:10035 " && ss -ltn | grep -q "127.0.0.1:10036 " &&
	    ss -ltn | grep -q "127.0.0.1:443 " && ss -lun | grep -q "127.0.0.1:53 " && break
	sleep 0.1
done

echo "== stsd_bench, $(date -u '+%Y-%m-%dT%H:%M:%SZ'), $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$NQ queries, $NC clients, $ND domains with MTA-STS enforce policies; median of $ROUNDS runs"
echo "-- warm-up (every domain looked up once: DNS + HTTPS fetch)"
printf 'inkan-stsd:               '
"$CLIENT" --warm --queries 1 --clients 1 --expect "$WANT" "$INKAN" "$W/domains" | head -1
printf 'postfix-mta-sts-resolver: '
"$CLIENT" --warm --queries 1 --clients 1 --expect "$WANT" "$PEER" "$W/domains" | head -1

median() { sort -t' ' -k2 -n | sed -n "$(( (ROUNDS + 1) / 2 ))p"; }
run() {	# run ADDR -> the median "@" line by qps
	for _ in $(seq "$ROUNDS"); do
		"$CLIENT" --clients "$NC" --queries "$NQ" --expect "$WANT" "$1" "$W/domains" |
		    grep '^@' | sed 's/.*qps=\([0-9]*\)/\1 &/' | awk '{ q=$1; $1=""; print "x", q, $0 }'
	done | median | cut -d' ' -f3-
}
v() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
a=$(run "$INKAN")
b=$(run "$PEER")
echo "-- from cache"
fmt() { echo "$2" | awk -v w="$1" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	printf "%-26s %6d q/s  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms  errors %d unexpected %d\n",
	w, f["qps"], f["p50_us"] / 1000, f["p90_us"] / 1000, f["p99_us"] / 1000, f["p999_us"] / 1000,
	f["max_us"] / 1000, f["errors"], f["unexpected"] }'; }
fmt inkan-stsd "$a"
fmt postfix-mta-sts-resolver "$b"
awk -v q1="$(v "$a" qps)" -v q2="$(v "$b" qps)" -v p1="$(v "$a" p99_us)" -v p2="$(v "$b" p99_us)" \
    -v m1="$(v "$a" p50_us)" -v m2="$(v "$b" p50_us)" 'BEGIN {
	printf "ratio inkan/peer: %.1fx queries/s; p50 %.1fx lower, p99 %.1fx lower\n",
	    q1 / q2, m2 / m1, p2 / p1 }'
echo "load average during the run: $(sort -n "$W/load" | tail -1) (max), at the end $(cut -d' ' -f1-3 /proc/loadavg)"
