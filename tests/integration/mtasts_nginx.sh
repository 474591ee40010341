#!/usr/bin/env bash
# mtasts_nginx.sh [BUILD] - MTA-STS policy discovery against a real nginx.
#
# Makes a throwaway PKI with openssl (a test CA; a certificate for every
# policy host; one from a CA the client does not trust; one naming only
# bad-cert2.loc; an expired one), writes the web site and nginx
# configuration of the fetch scenarios (test_mtasts_fetch site), starts
# nginx in the foreground on 127.0.0.1:${INKAN_TEST_MTASTS_PORT:-8443} (the
# next free port if that one is taken) with its pid, logs and temp files
# under BUILD/testenv-mtasts, runs every scenario (test_mtasts_fetch run)
# and stops nginx on exit.  Prints TAP.  If anything cannot be set up, the
# run is a failure ("not ok"), never a skip.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
prog=$build/tests/conformance/mtasts/test_mtasts_fetch
cases=$top/tests/data/mtasts/postfix-mta-sts-resolver-cases.json
B=$build/testenv-mtasts
R=$B/run
PORT=${INKAN_TEST_MTASTS_PORT:-8443}
nginx_pid=

fail() {
	echo "not ok 1 - mtasts_nginx: $*"
	if [ -s "$R/error.log" ]; then
		tail -5 "$R/error.log" | sed 's/^/# /'
	fi
	echo "1..1"
	exit 1
}

stop_nginx() {
	[ -n "$nginx_pid" ] || return 0
	kill -TERM "$nginx_pid" 2>/dev/null || return 0
	for _ in $(seq 100); do
		kill -0 "$nginx_pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$nginx_pid" 2>/dev/null
	return 0
}
trap stop_nginx EXIT

for tool in nginx openssl ss; do
	command -v "$tool" >/dev/null || fail "$tool is not installed"
done
[ -x "$prog" ] || fail "$prog is not built"
nginx -V 2>&1 | grep -q -- --with-http_ssl_module || fail "nginx has no ssl module"
nginx -V 2>&1 | grep -q -- --with-http_sub_module || fail "nginx has no sub module (chunked cases)"

for _ in $(seq 50); do
	ss -ltn | grep -q "127.0.0.1:$PORT " || break
	PORT=$((PORT + 1))
done
ss -ltn | grep -q "127.0.0.1:$PORT " && fail "no free TCP port near ${INKAN_TEST_MTASTS_PORT:-8443}"

rm -rf "$B"
mkdir -p "$B/certs" "$B/www" "$R/t" || fail "cannot create $B"
"$prog" site "$cases" "$B" "$PORT" || fail "test_mtasts_fetch could not write the site"

# ---- PKI: P-256 keys; leaves carry the test CA in their chain file.
C=$B/certs
ossl() { openssl "$@" >>"$R/openssl.log" 2>&1 || fail "openssl $1 failed (see $R/openssl.log)"; }
mkca() {	# mkca NAME CN
	ossl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$C/$1.key" -out "$C/$1.crt" -days 3650 -subj "/CN=$2" \
	    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
mkleaf() {	# mkleaf NAME CA SAN...  (valid now, 825 days)
	local name=$1 ca=$2 san
	shift 2
	san=$(printf 'DNS:%s,' "$@")
	ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$C/$name.key" -out "$C/$name.csr" -subj "/CN=$1"
	printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
	    "${san%,}" > "$C/$name.ext"
	ossl x509 -req -in "$C/$name.csr" -CA "$C/$ca.crt" -CAkey "$C/$ca.key" \
	    -CAcreateserial -days 825 -out "$C/$name.leaf" -extfile "$C/$name.ext"
	cat "$C/$name.leaf" "$C/$ca.crt" > "$C/$name.crt"
}
mkca ca "inkan test CA"
mkca otherca "inkan untrusted CA"
mapfile -t good_hosts < "$B/hosts.txt"
[ "${#good_hosts[@]}" -gt 0 ] || fail "no hosts in $B/hosts.txt"
mkleaf good ca "${good_hosts[@]}"
mkleaf untrusted otherca mta-sts.bad-cert1.loc
mkleaf wrongname ca bad-cert2.loc
# An expired certificate needs fixed dates, which only "openssl ca" sets.
mkdir -p "$C/db"
: > "$C/db/index.txt"
cat > "$C/ca.cnf" <<EOF
[ca]
default_ca = test
[test]
database = $C/db/index.txt
new_certs_dir = $C/db
serial = $C/db/serial
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
[leaf]
subjectAltName = DNS:mta-sts.expired.loc
extendedKeyUsage = serverAuth
basicConstraints = CA:FALSE
EOF
echo 1000 > "$C/db/serial"
ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$C/expired.key" -out "$C/expired.csr" -subj "/CN=mta-sts.expired.loc"
ossl ca -batch -config "$C/ca.cnf" -cert "$C/ca.crt" -keyfile "$C/ca.key" \
    -startdate 20200101000000Z -enddate 20210101000000Z -extensions leaf \
    -in "$C/expired.csr" -out "$C/expired.leaf" -notext
cat "$C/expired.leaf" "$C/ca.crt" > "$C/expired.crt"

# ---- nginx, in the foreground, everything under $R.
user_line=
if [ "$(id -u)" = 0 ]; then
	# Workers would run as nobody, who may not read the build tree.
	user_line="user $(id -un) $(id -gn);"
fi
cat > "$B/nginx.conf" <<EOF
$user_line
daemon off;
worker_processes 1;
pid $R/nginx.pid;
error_log $R/error.log;
events { worker_connections 64; }
http {
	access_log $R/access.log;
	client_body_temp_path $R/t/body;
	proxy_temp_path $R/t/proxy;
	fastcgi_temp_path $R/t/fastcgi;
	uwsgi_temp_path $R/t/uwsgi;
	scgi_temp_path $R/t/scgi;
	include $B/servers.conf;
}
EOF
nginx -t -q -e "$R/error.log" -p "$R" -c "$B/nginx.conf" 2>>"$R/error.log" ||
    fail "nginx rejects the configuration"
nginx -e "$R/error.log" -p "$R" -c "$B/nginx.conf" 2>>"$R/error.log" &
nginx_pid=$!
for _ in $(seq 200); do
	ss -ltn | grep -q "127.0.0.1:$PORT " && break
	kill -0 "$nginx_pid" 2>/dev/null || fail "nginx exited at start"
	sleep 0.05
done
ss -ltn | grep -q "127.0.0.1:$PORT " || fail "nginx does not listen on 127.0.0.1:$PORT"
echo "# nginx on 127.0.0.1:$PORT (pid $nginx_pid), files under $B"

"$prog" run "$cases" "$PORT" "$C/ca.crt"
