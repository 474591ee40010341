# sts/world.sh - sourced by sts_nsd_nginx.sh (inkan sts query) and
# stsd_nsd_nginx.sh (inkan-stsd): builds and starts the loopback world both
# test the sending-side policy engine in, so that they see the same zones
# and policies.  Runs as it is sourced.
#
# Needs from the caller: B R (files, cleared here), DNS_PORT HTTPS_PORT,
# site (the test_mtasts_fetch program) and cases (the scenarios' JSON),
# fail_setup MESSAGE.  Sets: nsd_pid nginx_pid (the caller stops them),
# C (certificates), Z (zones), H (the good key's SPKI SHA-256), ta (the
# trust anchor line of the signed sts.test), ours (the test's own domains).
# What the zones and policies hold is described in sts_nsd_nginx.sh.

rm -rf "$B"
mkdir -p "$B/certs" "$B/www" "$B/dns" "$R/t" || fail_setup "cannot create $B"

# ---- web site: the scenarios' (test_mtasts_fetch site), then ours.
"$site" site "$cases" "$B" "$HTTPS_PORT" || fail_setup "test_mtasts_fetch could not write the site"
policy() {	# policy DOMAIN BODY
	mkdir -p "$B/www/$1/.well-known"
	printf '%s' "$2" > "$B/www/$1/.well-known/mta-sts.txt"
}
ours="dane.sts.test cname.sts.test bogus.sts.test mixed.sts.test signedsts.sts.test
unsigned.plain.test cache.plain.test expire.plain.test"
for d in $ours; do
	echo "mta-sts.$d" >> "$B/hosts.txt"
	cat >> "$B/servers.conf" <<EOF
server {
	listen 127.0.0.1:$HTTPS_PORT ssl;
	server_name mta-sts.$d;
	ssl_certificate $B/certs/good.crt;
	ssl_certificate_key $B/certs/good.key;
	access_log $R/access-$d.log;
	root $B/www/$d;
	location = /.well-known/mta-sts.txt { types { } default_type "text/plain"; }
}
EOF
done
enf() { printf 'version: STSv1\nmode: enforce\nmx: %s\nmax_age: %s\n' "$1" "${2:-86400}"; }
policy dane.sts.test "$(enf mx.dane.sts.test)"
policy cname.sts.test "$(enf mail.cname.sts.test)"
policy bogus.sts.test "$(enf mx.bogus.sts.test)"
policy mixed.sts.test "$(enf '*.mixed.sts.test')"
policy signedsts.sts.test "$(enf mx.signedsts.sts.test)"
policy unsigned.plain.test "$(enf mx.unsigned.plain.test)"
policy cache.plain.test "$(enf mx1.cache.plain.test)"
policy expire.plain.test "$(enf mx.expire.plain.test 3)"

# ---- PKI (as mtasts_nginx.sh): a test CA, the leaves the scenarios need.
C=$B/certs
ossl() { openssl "$@" >>"$R/openssl.log" 2>&1 || fail_setup "openssl $1 failed (see $R/openssl.log)"; }
mkca() {
	ossl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$C/$1.key" -out "$C/$1.crt" -days 3650 -subj "/CN=$2" \
	    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
mkleaf() {
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
mkleaf good ca "${good_hosts[@]}"
mkleaf untrusted otherca mta-sts.bad-cert1.loc
mkleaf wrongname ca bad-cert2.loc
# The scenario site names an expired certificate too; no scenario of the
# JSON uses it, but nginx loads every server block.
[ -f "$C/expired.crt" ] || { cp "$C/wrongname.crt" "$C/expired.crt"; cp "$C/wrongname.key" "$C/expired.key"; }
# A key for the DANE hosts: TLSA 3 1 1 of good.key (nothing connects to
# port 25 here; the records only have to be well-formed and secure).
H=$(openssl pkey -in "$C/good.key" -pubout -outform DER 2>/dev/null | openssl dgst -sha256 -r | cut -d' ' -f1)
[ ${#H} -eq 64 ] || fail_setup "cannot hash the test key"

# ---- zones
serial=$(date +%s)
Z=$B/dns
cat > "$Z/sts.test.zone" <<EOF
\$ORIGIN sts.test.
\$TTL 300
@	SOA	ns.sts.test. hostmaster.sts.test. $serial 3600 600 86400 300
@	NS	ns
ns	A	127.0.0.1
; every MX host has TLSA; an MTA-STS policy too, which must not win
dane	MX	10 mx.dane
mx.dane	A	127.0.0.1
_25._tcp.mx.dane	TLSA	3 1 1 $H
_mta-sts.dane	TXT	"v=STSv1; id=dane1"
mta-sts.dane	A	127.0.0.1
; the MX host is an alias: TLSA at the expanded name (RFC 7672 §2.2.2)
cname	MX	10 mail.cname
mail.cname	CNAME	host.prov
host.prov	A	127.0.0.1
_25._tcp.host.prov	TLSA	3 1 1 $H
_mta-sts.cname	TXT	"v=STSv1; id=cname1"
mta-sts.cname	A	127.0.0.1
; TLSA altered after signing (bogus), with a valid MTA-STS policy
bogus	MX	10 mx.bogus
mx.bogus	A	127.0.0.1
_25._tcp.mx.bogus	TLSA	3 1 1 $H
_mta-sts.bogus	TXT	"v=STSv1; id=bogus1"
mta-sts.bogus	A	127.0.0.1
; one MX host of two has TLSA
mixed	MX	10 mx1.mixed
mixed	MX	20 mx2.mixed
mx1.mixed	A	127.0.0.1
mx2.mixed	A	127.0.0.1
_25._tcp.mx1.mixed	TLSA	3 1 1 $H
_mta-sts.mixed	TXT	"v=STSv1; id=mixed1"
mta-sts.mixed	A	127.0.0.1
; signed, no TLSA: MTA-STS applies
signedsts	MX	10 mx.signedsts
mx.signedsts	A	127.0.0.1
_mta-sts.signedsts	TXT	"v=STSv1; id=signed1"
mta-sts.signedsts	A	127.0.0.1
EOF
plain_zone() {	# plain_zone CACHE_ID
	cat > "$Z/plain.test.zone" <<EOF
\$ORIGIN plain.test.
\$TTL 1
@	SOA	ns.plain.test. hostmaster.plain.test. $(( serial + $2 )) 3600 600 86400 1
@	NS	ns
ns	A	127.0.0.1
; unsigned: its TLSA is not DANE, its MTA-STS policy applies
unsigned	MX	10 mx.unsigned
mx.unsigned	A	127.0.0.1
_25._tcp.mx.unsigned	TLSA	3 1 1 $H
_mta-sts.unsigned	TXT	"v=STSv1; id=u1"
cache	MX	10 mx1.cache
_mta-sts.cache	TXT	"v=STSv1; id=$1"
expire	MX	10 mx.expire
_mta-sts.expire	TXT	"v=STSv1; id=x1"
EOF
}
plain_zone c1 0
python3 - "$cases" > "$Z/loc.zone" <<'EOF' || fail_setup "cannot write the loc zone"
import json, sys
d = json.load(open(sys.argv[1]))
print("$ORIGIN loc.\n$TTL 300\n@ SOA ns.loc. hostmaster.loc. 1 3600 600 86400 300\n@ NS ns\nns A 127.0.0.1")
for s in d["scenarios"]:
    dom = s["domain"].rstrip(".")
    if dom.startswith(".") or "same_as" in s:
        continue
    if dom == "blackhole.loc":
        continue	# a zone of its own without data: NSD says SERVFAIL
    name = dom[:-len(".loc")]
    print("mta-sts.%s A 127.0.0.1" % name)
    if s.get("txt") is None:
        continue
    if not s["txt"]:
        print("_mta-sts.%s A 127.0.0.1" % name)
    for t in s["txt"]:
        print('_mta-sts.%s TXT "%s"' % (name, t.replace('"', '\\"')))
EOF
(
	cd "$Z" || exit 1
	ksk=$(ldns-keygen -a ECDSAP256SHA256 -k sts.test) || exit 1
	zsk=$(ldns-keygen -a ECDSAP256SHA256 sts.test) || exit 1
	ldns-signzone -e "$(date -u -d '+1 year' +%Y%m%d%H%M%S)" \
	    -f sts.test.zone.signed sts.test.zone "$zsk" "$ksk" || exit 1
	cp "$ksk.ds" sts.test.ds
) >>"$R/sign.log" 2>&1 || fail_setup "cannot sign sts.test (see $R/sign.log)"
# After signing: change the TLSA data of mx.bogus (to the hash of
# something else), so its RRSIG fails.
H2=$(echo other | openssl dgst -sha256 -r | cut -d' ' -f1)
sed -i "s/^\(_25\._tcp\.mx\.bogus\.sts\.test\.[[:space:]].*TLSA[[:space:]]*3 1 1 \)$H/\1$H2/I" \
    "$Z/sts.test.zone.signed"
grep -q "^_25\._tcp\.mx\.bogus\.sts\.test\..*TLSA.*3 1 1 $H2" "$Z/sts.test.zone.signed" ||
    fail_setup "could not alter the TLSA of mx.bogus.sts.test"
ta=$(cat "$Z/sts.test.ds")
{
	nsd_server_conf "$Z" "$R" "$DNS_PORT"
	# blackhole.loc: configured, its file absent, so NSD answers SERVFAIL
	# ("DNS server never answers" in the scenario; a failure either way).
	for z in sts.test:sts.test.zone.signed plain.test:plain.test.zone loc:loc.zone \
	    blackhole.loc:absent.zone; do
		printf 'zone:\n\tname: %s\n\tzonefile: %s\n' "${z%%:*}" "${z#*:}"
	done
} > "$B/nsd.conf"
nsd -d -c "$B/nsd.conf" >>"$R/nsd.out" 2>&1 &
nsd_pid=$!

# ---- nginx
user_line=
if [ "$(id -u)" = 0 ]; then
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
    fail_setup "nginx rejects the configuration"
nginx -e "$R/error.log" -p "$R" -c "$B/nginx.conf" 2>>"$R/error.log" &
nginx_pid=$!
for _ in $(seq 200); do
	ss -ltn | grep -q "127.0.0.1:$HTTPS_PORT " && ss -lun | grep -q "127.0.0.1:$DNS_PORT " && break
	kill -0 "$nginx_pid" 2>/dev/null || fail_setup "nginx exited at start"
	kill -0 "$nsd_pid" 2>/dev/null || fail_setup "nsd exited at start"
	sleep 0.05
done
ss -ltn | grep -q "127.0.0.1:$HTTPS_PORT " || fail_setup "nginx does not listen on $HTTPS_PORT"
ss -lun | grep -q "127.0.0.1:$DNS_PORT " || fail_setup "nsd does not listen on $DNS_PORT"
echo "# nsd on 127.0.0.1:$DNS_PORT, nginx on 127.0.0.1:$HTTPS_PORT, files under $B"
