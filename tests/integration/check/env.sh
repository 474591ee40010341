#!/usr/bin/env bash
# check/env.sh - the loopback world of the `inkan check` integration test.
#
#   bash tests/integration/check/env.sh start BUILD   # or: stop BUILD
#   . tests/integration/check/env.sh; check_env_start BUILD; ...; check_env_stop
#
# Under $B (${INKAN_TESTENV:-BUILD/testenv-check}) it writes a test PKI, the
# zone check.test (signed with fresh keys on every run; one record altered
# after signing, so it validates as bogus) and the unsigned zone
# insecure.test, and starts:
#   NSD     127.0.0.1:$CHECK_DNS_PORT (5363) through tests/env/start.sh --extra
#           (which also serves its own example.test and plain.test);
#           trust anchor: $B/dns/check.test.ds
#   Postfix one instance, own config dir $B/postfix/etc:
#           $CHECK_SMTP_PORT   (2625) STARTTLS, certificate from the test CA
#           $CHECK_SMTP_PORT+1 (2626) no STARTTLS
#           $CHECK_SMTP_PORT+2 (2627) self-signed certificate
#           $CHECK_SMTP_PORT+3 (2628) RSA certificate, TLS 1.0 and NULL and
#                                     anonymous suites accepted, 1024-bit DH
#   nginx   127.0.0.1:$CHECK_HTTPS_PORT (8463): MTA-STS policies, good and
#           broken (too big, redirect, an MX not covered)
# Nothing is stopped by name: NSD and nginx by the PIDs tests/env/stop.sh
# reads from $B/run, Postfix by the master PID of our own queue directory
# (checked against MAIL_CONFIG in its environment).
# Needs: nsd ldnsutils postfix nginx openssl (TESTENV.md).

# shellcheck source=tests/env/postfix.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../env/postfix.sh"

check_env_init() {
	local build=$1
	CHECK_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
	case $build in /*) ;; *) build=$CHECK_TOP/$build ;; esac
	CHECK_BUILD=$build
	B=${INKAN_TESTENV:-$build/testenv-check}
	R=$B/run
	CHECK_DNS_PORT=${INKAN_CHECK_DNS_PORT:-5363}
	CHECK_SMTP_PORT=${INKAN_CHECK_SMTP_PORT:-2625}
	CHECK_HTTPS_PORT=${INKAN_CHECK_HTTPS_PORT:-8463}
	export INKAN_TESTENV=$B INKAN_TEST_DNS_PORT=$CHECK_DNS_PORT
}

# ---- PKI ----

pki_leaf() {	# pki_leaf NAME KEYTYPE SAN...  -> NAME.key NAME.crt NAME.chain.pem
	local name=$1 kt=$2 san="" n
	shift 2
	for n in "$@"; do san="${san:+$san,}DNS:$n"; done
	if [ "$kt" = rsa ]; then
		openssl req -new -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" \
			-subj "/CN=$1" 2>/dev/null
	else
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$name.key" -out "$name.csr" -subj "/CN=$1" 2>/dev/null
	fi
	printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" > "$name.ext"
	openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 \
		-out "$name.crt" -extfile "$name.ext" 2>/dev/null
	cat "$name.crt" ca.pem > "$name.chain.pem"
}

spki_sha256() {	# spki_sha256 FILE(cert or key) -> hex
	case $1 in
	*.crt) openssl x509 -in "$1" -noout -pubkey ;;
	*) openssl pkey -in "$1" -pubout ;;
	esac | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -c1-64
}

make_pki() {
	mkdir -p "$B/pki"
	(
		cd "$B/pki" || exit 1
		openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout ca.key -out ca.pem -days 3650 -subj "/CN=inkan check test CA" \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
		pki_leaf mx-good ec mx-good.check.test mx-danebad.check.test mx-good.insecure.test
		pki_leaf mx-weak rsa mx-weak.check.test
		pki_leaf mta-sts ec mta-sts.good.check.test mta-sts.stsbig.check.test \
			mta-sts.stsredirect.check.test mta-sts.stsuncovered.check.test
		openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout selfsigned.key -out selfsigned.crt -days 825 \
			-subj "/CN=mx-self.check.test" \
			-addext subjectAltName=DNS:mx-self.check.test 2>/dev/null
		# The next key of mx-good, published ahead for rollover (RFC 7671 §8.1).
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out next.key 2>/dev/null
		# RFC 5114 §2.1: a 1024-bit group, for the small-DH endpoint.
		openssl genpkey -genparam -algorithm DH -pkeyopt dh_param:dh_1024_160 \
			-out dh1024.pem 2>/dev/null
		openssl genrsa -out dkim.key 2048 2>/dev/null
	) || return 1
	[ -s "$B/pki/mx-good.crt" ] && [ -s "$B/pki/dh1024.pem" ] && [ -s "$B/pki/dkim.key" ]
}

# ---- zones ----

make_zones() {
	local serial h_good h_next dkim p1 p2 extra=$B/extra
	serial=$(date -u +%s)
	h_good=$(spki_sha256 "$B/pki/mx-good.crt")
	h_next=$(spki_sha256 "$B/pki/next.key")
	dkim=$(openssl rsa -in "$B/pki/dkim.key" -pubout -outform DER 2>/dev/null | base64 -w0)
	p1=${dkim:0:200}
	p2=${dkim:200}
	mkdir -p "$extra" "$B/dns/checksrc"
	rm -f "$extra"/*.zone

	cat > "$B/dns/checksrc/check.test.zone" <<EOF
\$ORIGIN check.test.
\$TTL 300
@	SOA	ns.check.test. hostmaster.check.test. $serial 3600 600 86400 300
@	NS	ns
ns	A	127.0.0.1
; shared MX hosts (the test points them at loopback ports with --connect)
mx-good	A	192.0.2.25
mx-good	AAAA	2001:db8::25
_25._tcp.mx-good	TLSA	3 1 1 $h_good
_25._tcp.mx-good	TLSA	3 1 1 $h_next
mx-notls	A	192.0.2.26
mx-notls	AAAA	2001:db8::26
mx-self	A	192.0.2.27
mx-weak	A	192.0.2.28
mx-danebad	A	192.0.2.29
mx-danebad	AAAA	2001:db8::29
_25._tcp.mx-danebad	TLSA	3 1 1 0000000000000000000000000000000000000000000000000000000000000000
_25._tcp.mx-danebad	TLSA	3 1 1 $h_next
; good: everything right
good	MX	10 mx-good
good	TXT	"v=spf1 mx -all"
_dmarc.good	TXT	"v=DMARC1; p=reject; rua=mailto:dmarc@good.check.test"
selector1._domainkey.good	TXT	"v=DKIM1; k=rsa; p=$p1" "$p2"
_mta-sts.good	TXT	"v=STSv1; id=20240601T000000"
mta-sts.good	A	192.0.2.44
_smtp._tls.good	TXT	"v=TLSRPTv1; rua=mailto:tlsrpt@good.check.test"
default._bimi.good	TXT	"v=BIMI1; l=https://good.check.test/logo.svg; a=https://good.check.test/vmc.pem"
; spf2: two SPF records
spf2	MX	10 mx-good
spf2	TXT	"v=spf1 -all"
spf2	TXT	"v=spf1 mx -all"
; spflookups: 11 DNS-causing terms
spflookups	MX	10 mx-good
spflookups	TXT	"v=spf1 a:h1.check.test a:h2.check.test a:h3.check.test a:h4.check.test a:h5.check.test a:h6.check.test a:h7.check.test a:h8.check.test a:h9.check.test a:h10.check.test a:h11.check.test -all"
EOF
	for i in 1 2 3 4 5 6 7 8 9 10 11; do
		printf 'h%s\tA\t192.0.2.%s\n' "$i" "$((100 + i))" >> "$B/dns/checksrc/check.test.zone"
	done
	cat >> "$B/dns/checksrc/check.test.zone" <<EOF
; spfvoid: three void lookups
spfvoid	MX	10 mx-good
spfvoid	TXT	"v=spf1 a:nx1.check.test a:nx2.check.test a:nx3.check.test -all"
; mxip: an MX target written as an address
mxip	MX	10 192.0.2.25.
mxip	TXT	"v=spf1 -all"
; dmarcsyntax: a repeated tag makes the record malformed
dmarcsyntax	MX	10 mx-good
_dmarc.dmarcsyntax	TXT	"v=DMARC1; p=reject; p=none"
; dmarcnone: monitoring only
dmarcnone	MX	10 mx-good
_dmarc.dmarcnone	TXT	"v=DMARC1; p=none; rua=mailto:d@dmarcnone.check.test"
; ruaext: one external rua authorised, one not
ruaext	MX	10 mx-good
_dmarc.ruaext	TXT	"v=DMARC1; p=reject; rua=mailto:r@elsewhere.check.test,mailto:ok@authz.check.test"
ruaext.check.test._report._dmarc.authz	TXT	"v=DMARC1"
; stsnohost: MTA-STS record, no policy host
stsnohost	MX	10 mx-good
_mta-sts.stsnohost	TXT	"v=STSv1; id=1"
; stsbig, stsredirect, stsuncovered: broken policies (nginx)
stsbig	MX	10 mx-good
_mta-sts.stsbig	TXT	"v=STSv1; id=1"
mta-sts.stsbig	A	192.0.2.44
stsredirect	MX	10 mx-good
_mta-sts.stsredirect	TXT	"v=STSv1; id=1"
mta-sts.stsredirect	A	192.0.2.44
stsuncovered	MX	10 mx-good
_mta-sts.stsuncovered	TXT	"v=STSv1; id=1"
mta-sts.stsuncovered	A	192.0.2.44
; danebad: TLSA that does not match the served certificate
danebad	MX	10 mx-danebad
danebad	TXT	"v=spf1 mx -all"
; bogus: its MX is altered after signing
bogus	MX	17 mx-good
bogus	TXT	"v=spf1 mx -all"
; weaktls, notls, selfsigned
weaktls	MX	10 mx-weak
notls	MX	10 mx-notls
selfsigned	MX	10 mx-self
; nullmx: a parked domain done right
nullmx	MX	0 .
nullmx	TXT	"v=spf1 -all"
_dmarc.nullmx	TXT	"v=DMARC1; p=reject"
EOF

	# The parent, so that DMARC tree walks and other upward lookups get
	# answers (NXDOMAIN) instead of a refusal; start.sh adds its SOA.
	printf '; the parent of check.test and insecure.test\n' > "$extra/test.zone"
	cat > "$extra/insecure.test.zone" <<EOF
\$ORIGIN insecure.test.
\$TTL 300
@	SOA	ns.check.test. hostmaster.check.test. $serial 3600 600 86400 300
@	NS	ns.check.test.
@	MX	10 mx-good
@	TXT	"v=spf1 mx -all"
_dmarc	TXT	"v=DMARC1; p=reject"
mx-good	A	192.0.2.25
EOF

	(
		cd "$B/dns/checksrc" || exit 1
		rm -f K*
		ksk=$(ldns-keygen -a ECDSAP256SHA256 -k check.test)
		zsk=$(ldns-keygen -a ECDSAP256SHA256 check.test)
		ldns-signzone -e "$(date -u -d '+1 year' +%Y%m%d%H%M%S)" \
			-f "$extra/check.test.zone" check.test.zone "$zsk" "$ksk" || exit 1
		mkdir -p "$B/dns"
		cp "$ksk.ds" "$B/check.test.ds"
	) || return 1
	# After signing: the RRSIG no longer covers the MX, so it is bogus.
	sed -i 's/^\(bogus\.check\.test\.[[:space:]].*MX[[:space:]]*\)17 /\118 /' "$extra/check.test.zone"
	grep -Eq '^bogus\.check\.test\.[[:space:]].*MX[[:space:]]+18 ' "$extra/check.test.zone" || {
		echo "env.sh: could not alter bogus.check.test MX" >&2; return 1; }
}

# ---- Postfix ----

postfix_conf() {
	local P=$B/postfix
	mkdir -p "$P/etc" "$P/spool" "$P/data"
	chown postfix "$P/data"
	cat > "$P/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $P/spool
data_directory = $P/data
maillog_file = $R/maillog
maillog_file_prefixes = $B
myhostname = mx-good.check.test
mydomain = check.test
mydestination =
relay_domains =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
smtpd_tls_security_level = may
smtpd_tls_chain_files = $B/pki/mx-good.key, $B/pki/mx-good.chain.pem
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_exclude_ciphers = aNULL, eNULL
smtpd_client_connection_rate_limit = 0
EOF
	{
		pf_master_services
		printf '127.0.0.1:%s inet n - n - - smtpd\n' "$CHECK_SMTP_PORT"
		printf '127.0.0.1:%s inet n - n - - smtpd -o smtpd_tls_security_level=none\n' \
			"$((CHECK_SMTP_PORT + 1))"
		printf '127.0.0.1:%s inet n - n - - smtpd -o smtpd_tls_chain_files=%s\n' \
			"$((CHECK_SMTP_PORT + 2))" "$B/pki/selfsigned.key,$B/pki/selfsigned.crt"
		printf '127.0.0.1:%s inet n - n - - smtpd -o smtpd_tls_chain_files=%s' \
			"$((CHECK_SMTP_PORT + 3))" "$B/pki/mx-weak.key,$B/pki/mx-weak.chain.pem"
		printf ' -o smtpd_tls_protocols=>=TLSv1 -o smtpd_tls_exclude_ciphers='
		printf ' -o tls_medium_cipherlist=ALL:COMPLEMENTOFALL:@SECLEVEL=0'
		printf ' -o smtpd_tls_dh1024_param_file=%s\n' "$B/pki/dh1024.pem"
	} > "$P/etc/master.cf"
}

postfix_master_pid() {	# the master of OUR instance, or nothing
	local f=$B/postfix/spool/pid/master.pid pid
	[ -r "$f" ] || return 0
	pid=$(tr -dc '0-9' < "$f")
	[ -n "$pid" ] && [ -r "/proc/$pid/environ" ] || return 0
	tr '\0' '\n' < "/proc/$pid/environ" | grep -qx "MAIL_CONFIG=$B/postfix/etc" && echo "$pid"
}

postfix_stop() {
	local pid
	pid=$(postfix_master_pid)
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	return 0
}

postfix_start() {
	postfix_stop
	postfix_conf
	if ! script -qec "postfix -c $B/postfix/etc check" /dev/null > "$R/postfix-check.log" 2>&1; then
		echo "env.sh: postfix check failed:" >&2
		cat "$R/postfix-check.log" >&2
		return 1
	fi
	script -qec "postfix -c $B/postfix/etc start" /dev/null > "$R/postfix-start.log" 2>&1 || {
		cat "$R/postfix-start.log" >&2; return 1; }
}

# ---- nginx ----

nginx_start() {
	local W=$B/www big
	mkdir -p "$R/t" "$W"
	for d in good stsbig stsredirect stsuncovered; do
		mkdir -p "$W/mta-sts.$d.check.test/.well-known"
	done
	printf 'version: STSv1\nmode: enforce\nmx: mx-good.check.test\nmax_age: 604800\n' \
		> "$W/mta-sts.good.check.test/.well-known/mta-sts.txt"
	printf 'version: STSv1\nmode: enforce\nmx: mx-other.check.test\nmax_age: 604800\n' \
		> "$W/mta-sts.stsuncovered.check.test/.well-known/mta-sts.txt"
	big=$W/mta-sts.stsbig.check.test/.well-known/mta-sts.txt
	printf 'version: STSv1\nmode: enforce\nmx: mx-good.check.test\nmax_age: 604800\n' > "$big"
	for i in $(seq 1400); do printf '# padding line %05d to pass 64 KiB ...............\n' "$i"; done >> "$big"
	cat > "$R/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $R/nginx.daemon.pid;
error_log $R/nginx-error.log;
events { worker_connections 64; }
http {
	access_log $R/nginx-access.log;
	client_body_temp_path $R/t/body;
	proxy_temp_path $R/t/proxy;
	fastcgi_temp_path $R/t/fastcgi;
	uwsgi_temp_path $R/t/uwsgi;
	scgi_temp_path $R/t/scgi;
	ssl_certificate $B/pki/mta-sts.chain.pem;
	ssl_certificate_key $B/pki/mta-sts.key;
	server {
		listen 127.0.0.1:$CHECK_HTTPS_PORT ssl;
		server_name mta-sts.good.check.test mta-sts.stsbig.check.test mta-sts.stsuncovered.check.test;
		root $W/\$host;
		location = /.well-known/mta-sts.txt { default_type text/plain; }
	}
	server {
		listen 127.0.0.1:$CHECK_HTTPS_PORT ssl;
		server_name mta-sts.stsredirect.check.test;
		location = /.well-known/mta-sts.txt {
			return 301 https://mta-sts.good.check.test/.well-known/mta-sts.txt;
		}
	}
}
EOF
	setsid nginx -e "$R/nginx-error.log" -p "$R" -c "$R/nginx.conf" >>"$R/nginx.log" 2>&1 &
	echo $! > "$R/nginx.pid"
}

wait_tcp() {	# wait_tcp PORT...: all listening within 10 s
	local p ok
	for _ in $(seq 200); do
		ok=1
		for p in "$@"; do
			ss -ltn | grep -q "127.0.0.1:$p " || ok=0
		done
		[ $ok -eq 1 ] && return 0
		sleep 0.05
	done
	return 1
}

check_env_start() {
	check_env_init "$1"
	local p
	for tool in nsd ldns-keygen ldns-signzone postfix nginx openssl ss script; do
		command -v "$tool" >/dev/null || { echo "env.sh: $tool not installed" >&2; return 1; }
	done
	check_env_stop_quiet
	for p in "$CHECK_SMTP_PORT" "$((CHECK_SMTP_PORT + 1))" "$((CHECK_SMTP_PORT + 2))" \
	    "$((CHECK_SMTP_PORT + 3))" "$CHECK_HTTPS_PORT"; do
		if ss -ltn | grep -q "127.0.0.1:$p "; then
			echo "env.sh: 127.0.0.1:$p is in use" >&2
			return 1
		fi
	done
	rm -rf "$B/pki" "$B/extra" "$B/www" "$B/postfix"
	mkdir -p "$R"
	make_pki || { echo "env.sh: PKI failed" >&2; return 1; }
	make_zones || { echo "env.sh: zones failed" >&2; return 1; }
	bash "$CHECK_TOP/tests/env/start.sh" --extra "$B/extra" >"$R/start.log" 2>&1 || {
		cat "$R/start.log" >&2; return 1; }
	postfix_start || return 1
	nginx_start
	if ! wait_tcp "$CHECK_SMTP_PORT" "$((CHECK_SMTP_PORT + 1))" "$((CHECK_SMTP_PORT + 2))" \
	    "$((CHECK_SMTP_PORT + 3))" "$CHECK_HTTPS_PORT"; then
		echo "env.sh: servers not listening:" >&2
		tail -5 "$R/maillog" "$R/nginx-error.log" >&2 2>/dev/null
		return 1
	fi
	return 0
}

check_env_stop_quiet() {
	postfix_stop
	bash "$CHECK_TOP/tests/env/stop.sh" >/dev/null 2>&1
	return 0
}

check_env_stop() {
	check_env_init "${1:-$CHECK_BUILD}"
	check_env_stop_quiet
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case ${1:-} in
	start) check_env_start "${2:-build}" && echo "env.sh: up under $B" ;;
	stop) check_env_stop "${2:-build}" ;;
	*) echo "usage: env.sh start|stop BUILD" >&2; exit 2 ;;
	esac
fi
