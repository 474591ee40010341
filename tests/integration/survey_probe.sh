#!/usr/bin/env bash
# survey_probe.sh [BUILD] - `inkan survey run --fetch-policies --probe-tls`
# against real servers on loopback: NSD (127.0.0.1:${INKAN_TEST_SURVEY_PROBE_DNS:-5384})
# serving probe.test, nginx (127.0.0.1:${INKAN_TEST_SURVEY_PROBE_HTTPS:-8460},
# a throwaway test CA) serving MTA-STS policies in enforce, testing and
# none mode and a missing one, Postfix on 127.0.0.1:2560 (STARTTLS) and
# 2561 (no STARTTLS), and 2562 where nothing listens.  Each domain's
# stored policy mode, STARTTLS verdict and TLS version must be the
# expected one, each SMTP address is connected to once however many
# domains use it, and the measures are NULL where not asked for.
# Prints TAP.  If the servers cannot be started the run fails, never skips.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
inkan=$build/src/inkan/inkan
dport=${INKAN_TEST_SURVEY_PROBE_DNS:-5384}
hport=${INKAN_TEST_SURVEY_PROBE_HTTPS:-8460}
sport=${INKAN_TEST_SURVEY_PROBE_SMTP:-2560}
B=$build/testenv-survey-probe
R=$B/run
PF=$B/postfix

bail() { echo "not ok 1 - survey_probe: $*"; echo "1..1"; exit 1; }
for tool in nsd nginx postfix openssl sqlite3 ss script; do
	command -v "$tool" >/dev/null || bail "$tool not installed"
done
# shellcheck source=tests/env/nsd.sh
. "$top/tests/env/nsd.sh"
# shellcheck source=tests/env/postfix.sh
. "$top/tests/env/postfix.sh"
stop_pid() {	# stop_pid PIDFILE MARKER: only our own process
	local p
	p=$(cat "$1" 2>/dev/null) || return 0
	{ tr '\0' ' ' < "/proc/$p/cmdline"; } 2>/dev/null | grep -qF "$2" || return 0
	kill -TERM "$p" 2>/dev/null || return 0
	for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null || true
}
cleanup() {
	stop_pid "$R/nsd.pid" "$R/nsd.conf"
	stop_pid "$R/nginx.pid.own" "$B/nginx.conf"
	pf_stop "$PF" 2>/dev/null
}
cleanup
trap cleanup EXIT
rm -rf "$B"
mkdir -p "$B/pki" "$B/zones" "$R/t" "$B/www"

# ---- PKI: a test CA, the MX certificate, one for every policy host.
ossl() { openssl "$@" >>"$B/openssl.log" 2>&1 || bail "openssl $1 failed (see $B/openssl.log)"; }
cd "$B/pki" || bail "no $B/pki"
ossl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
    -out ca.pem -days 30 -subj "/CN=inkan survey test CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
leaf() {	# leaf NAME SAN...
	local n=$1
	shift
	ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$n.key" \
	    -out "$n.csr" -subj "/CN=$1"
	{ printf 'subjectAltName='; printf 'DNS:%s,' "$@" | sed 's/,$//'; printf '\n';
	  echo 'extendedKeyUsage=serverAuth'; } > "$n.ext"
	ossl x509 -req -in "$n.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
	    -out "$n.crt" -extfile "$n.ext"
	cat "$n.crt" ca.pem > "$n.chain.pem"
}
leaf mx mx-tls.probe.test
leaf sts mta-sts.enf.probe.test mta-sts.tst.probe.test mta-sts.non.probe.test \
    mta-sts.err.probe.test
cd "$top" || exit 1

# ---- DNS
cat > "$B/zones/probe.test.zone" <<'EOF'
$TTL 300
probe.test. SOA ns.probe.test. hostmaster.probe.test. 1 3600 600 86400 300
probe.test. NS ns.probe.test.
ns.probe.test. A 127.0.0.1
mx-tls.probe.test. A 127.0.0.1
mx-notls.probe.test. A 127.0.0.1
mx-dead.probe.test. A 127.0.0.1
enf.probe.test. MX 10 mx-tls.probe.test.
_mta-sts.enf.probe.test. TXT "v=STSv1; id=1"
tst.probe.test. MX 10 mx-notls.probe.test.
_mta-sts.tst.probe.test. TXT "v=STSv1; id=2"
non.probe.test. MX 10 mx-tls.probe.test.
_mta-sts.non.probe.test. TXT "v=STSv1; id=3"
err.probe.test. MX 10 mx-dead.probe.test.
_mta-sts.err.probe.test. TXT "v=STSv1; id=4"
plain.probe.test. MX 10 mx-tls.probe.test.
two.probe.test. MX 10 mx-tls.probe.test.
two.probe.test. MX 20 mx-notls.probe.test.
nomx.probe.test. TXT "v=spf1 -all"
EOF
{
	nsd_server_conf "$B/zones" "$R" "$dport"
	printf 'zone:\n\tname: probe.test\n\tzonefile: probe.test.zone\n'
} > "$R/nsd.conf"
! ss -lnu | grep -q "127.0.0.1:$dport " || bail "UDP port $dport is in use"
for p in "$hport" "$sport" $((sport + 1)) $((sport + 2)); do
	! ss -lnt | grep -q "127.0.0.1:$p " || bail "TCP port $p is in use"
done
setsid nsd -d -c "$R/nsd.conf" >> "$R/nsd.log" 2>&1 &
echo $! > "$R/nsd.pid"

# ---- nginx: one policy per host name, under www/<host>/
policy() {	# policy DOMAIN MODE
	mkdir -p "$B/www/mta-sts.$1/.well-known"
	printf 'version: STSv1\r\nmode: %s\r\nmx: *.probe.test\r\nmax_age: 86400\r\n' "$2" \
	    > "$B/www/mta-sts.$1/.well-known/mta-sts.txt"
}
policy enf.probe.test enforce
policy tst.probe.test testing
policy non.probe.test none
user_line=
[ "$(id -u)" = 0 ] && user_line="user $(id -un) $(id -gn);"
cat > "$B/nginx.conf" <<EOF
$user_line
daemon off;
worker_processes 1;
pid $R/nginx.pid;
error_log $R/nginx-error.log;
events { worker_connections 64; }
http {
	access_log $R/nginx-access.log;
	client_body_temp_path $R/t/body;
	proxy_temp_path $R/t/proxy;
	fastcgi_temp_path $R/t/fastcgi;
	uwsgi_temp_path $R/t/uwsgi;
	scgi_temp_path $R/t/scgi;
	server {
		listen 127.0.0.1:$hport ssl;
		server_name _;
		ssl_certificate $B/pki/sts.chain.pem;
		ssl_certificate_key $B/pki/sts.key;
		root $B/www/\$host;
		location = /.well-known/mta-sts.txt { default_type text/plain; }
	}
}
EOF
nginx -e "$R/nginx-error.log" -p "$R" -c "$B/nginx.conf" 2>>"$R/nginx-error.log" &
echo $! > "$R/nginx.pid.own"

# ---- Postfix: STARTTLS on sport, none on sport+1
PF_DOMAINS=probe.test pf_setup "$PF"
# STARTTLS needs the TLS manager (its session cache and entropy)
printf 'tlsmgr    unix  -       -       n       1000?   1       tlsmgr\n' >> "$PF/etc/master.cf"
pf_listen "$PF" "$sport" -o smtpd_tls_security_level=may \
    -o "smtpd_tls_chain_files=$B/pki/mx.key,$B/pki/mx.chain.pem"
pf_listen "$PF" $((sport + 1)) -o smtpd_tls_security_level=none
pf_start "$PF" 2> "$B/pf.err" || { sed 's/^/# /' "$B/pf.err"; bail "Postfix did not start"; }

for _ in $(seq 1 200); do
	ss -lnu | grep -q "127.0.0.1:$dport " && ss -lnt | grep -q "127.0.0.1:$hport " && break
	sleep 0.05
done
ss -lnu | grep -q "127.0.0.1:$dport " || bail "NSD did not start (see $R/nsd.log)"
ss -lnt | grep -q "127.0.0.1:$hport " || bail "nginx did not start (see $R/nginx-error.log)"
echo "# NSD :$dport, nginx :$hport, Postfix :$sport (STARTTLS) and :$((sport + 1)) (none)"

n=0
tap() {	# tap OK NAME
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
printf '%s.probe.test\n' enf tst non err plain two nomx > "$B/domains.txt"
common=(--resolver "127.0.0.1@$dport" --no-dnssec --ca-file "$B/pki/ca.pem"
	--connect "*:443=127.0.0.1:$hport"
	--connect "mx-tls.probe.test:25=127.0.0.1:$sport"
	--connect "mx-notls.probe.test:25=127.0.0.1:$((sport + 1))"
	--connect "mx-dead.probe.test:25=127.0.0.1:$((sport + 2))"
	--probe-timeout 3000)
"$inkan" survey run "${common[@]}" --fetch-policies --probe-tls --db "$B/probe.db" \
    "$B/domains.txt" 2> "$B/run.err"
tap $? "--fetch-policies --probe-tls: run exits 0"
sed 's/^/# /' "$B/run.err"
col() { sqlite3 "$B/probe.db" "SELECT coalesce($2, 'NULL') FROM survey_domain WHERE domain = '$1.probe.test'"; }
want() {	# want DOMAIN COLUMN VALUE
	local got
	got=$(col "$1" "$2")
	[ "$got" = "$3" ]
	tap $? "$1: $2 = $3 (got $got)"
}
want enf sts_mode enforce
want tst sts_mode testing
want non sts_mode none
want err sts_mode fetch-error
want plain sts_mode NULL
want enf starttls yes
want enf tls_version TLSv1.3
want tst starttls no
want tst tls_version NULL
want err starttls error
want two starttls no
want nomx starttls NULL
"$inkan" survey report --db "$B/probe.db" --csv > "$B/report.csv"
grep -q '^all,mta_sts_enforce,1,7,' "$B/report.csv" &&
    grep -q '^all,mta_sts_testing,1,7,' "$B/report.csv" &&
    grep -q '^all,starttls,3,7,' "$B/report.csv"
tap $? "report: mta_sts_enforce 1, mta_sts_testing 1, starttls 3 (enf, non, plain) of 7"
grep -q 'STARTTLS probes: 3 addresses (1 yes, 1 no, 1 error)' "$B/run.err"
tap $? "each SMTP address probed once: 3 probes for 6 domains with MX"
conns=$(grep -c ' connect from' "$(pf_log "$PF")")
[ "$conns" = 2 ]
tap $? "Postfix saw one connection per listening address ($conns)"
[ "$(sqlite3 "$B/probe.db" "SELECT value FROM survey_meta WHERE key = 'options'")" = \
    "fetch-policies,probe-tls,no-dnssec" ]
tap $? "survey_meta options: fetch-policies,probe-tls,no-dnssec"
g=$(grep -c 'GET /.well-known/mta-sts.txt' "$R/nginx-access.log")
[ "$g" = 4 ]
tap $? "one policy fetch per domain with an _mta-sts record ($g)"

"$inkan" survey run "${common[@]}" --db "$B/dns.db" "$B/domains.txt" 2> /dev/null
k=$(sqlite3 "$B/dns.db" "SELECT count(*) FROM survey_domain WHERE sts_mode IS NULL AND starttls IS NULL AND tls_version IS NULL")
[ "$k" = 7 ]
tap $? "without the options: sts_mode, starttls, tls_version are NULL ($k of 7)"
"$inkan" survey run "${common[@]}" --probe-tls --db "$B/dns.db" "$B/domains.txt" 2> "$B/mix.err"
[ $? = 64 ]
tap $? "resuming a DNS-only store with --probe-tls is refused ($(head -c 100 "$B/mix.err"))"

echo "1..$n"
