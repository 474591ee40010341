#!/usr/bin/env bash
# stsd/env.sh - the loopback world of the inkan-stsd end-to-end test:
# a sending Postfix whose TLS policy comes from inkan-stsd, and receiving
# Postfix endpoints with good and bad certificates.
#
#   . tests/integration/stsd/env.sh; stsd_env_init BUILD; stsd_env_start; ...; stsd_env_stop
#
# Under $B (${INKAN_TESTENV:-BUILD/testenv-stsd}):
#   pki/      a test CA; mx.enforce.sts.test (signed by it); a self-signed
#             certificate (mx.badcert/testing); a self-signed certificate
#             for mx.danests.test whose key is published as TLSA 3 1 1;
#             mta-sts.* for nginx (signed by the CA).
#   NSD       127.0.0.1:$STSD_DNS_PORT (5410), via tests/env/start.sh:
#             danests.test  signed (trust anchor $B/danests.test.ds):
#                           @ MX mx, TLSA 3 1 1 at _25._tcp.mx, and an
#                           MTA-STS policy in enforce mode that names
#                           another MX (so MTA-STS over DANE would defer);
#                           bogus.danests.test: its TLSA altered after signing.
#             sts.test      unsigned: enforce (good certificate), badcert
#                           (enforce, self-signed), testing (testing mode,
#                           self-signed), nopolicy (no MTA-STS).
#   unbound   127.0.0.153:53, validating with that anchor, forwarding test.
#             to NSD: the resolver of the sending Postfix, which runs in a
#             mount namespace where /etc/resolv.conf names it (with
#             "options trust-ad", so that Postfix sees the AD bit).
#   Postfix   receiver (one instance): 127.0.0.31:25 CA-signed
#             mx.enforce.sts.test, 127.0.0.32:25 self-signed, 127.0.0.33:25
#             the DANE certificate; accepts mail for all test domains.
#   Postfix   sender: submission on 127.0.0.1:$STSD_SUBMIT_PORT (2641),
#             smtp_tls_policy_maps = $STSD_POLICY_MAP, smtp_dns_support_level
#             = dnssec, default smtp_tls_security_level = may, CA = the test CA.
#   nginx     127.0.0.35:443: the MTA-STS policies.
# Nothing is stopped by name: PIDs from $R, Postfix masters checked by
# MAIL_CONFIG.  Needs: nsd ldnsutils unbound postfix nginx openssl swaks.

# shellcheck source=tests/env/postfix.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../env/postfix.sh"

stsd_env_init() {
	local build=$1
	STSD_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
	case $build in /*) ;; *) build=$STSD_TOP/$build ;; esac
	STSD_BUILD=$build
	B=${INKAN_TESTENV:-$build/testenv-stsd}
	R=$B/run
	STSD_DNS_PORT=${INKAN_STSD_DNS_PORT:-5410}
	STSD_SUBMIT_PORT=${INKAN_STSD_SUBMIT_PORT:-2641}
	STSD_RESOLVER=127.0.0.153
	export INKAN_TESTENV=$B INKAN_TEST_DNS_PORT=$STSD_DNS_PORT
}

# ---- PKI ----

pki_leaf() {	# pki_leaf NAME SAN...  -> NAME.key NAME.crt NAME.chain.pem (CA-signed)
	local name=$1 san="" n
	shift
	for n in "$@"; do san="${san:+$san,}DNS:$n"; done
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$name.key" -out "$name.csr" -subj "/CN=$1" 2>/dev/null
	printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" > "$name.ext"
	openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 \
		-out "$name.crt" -extfile "$name.ext" 2>/dev/null
	cat "$name.crt" ca.pem > "$name.chain.pem"
}

pki_self() {	# pki_self NAME CN -> NAME.key NAME.crt (self-signed)
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$1.key" -out "$1.crt" -days 825 -subj "/CN=$2" \
		-addext "subjectAltName=DNS:$2" 2>/dev/null
}

spki_sha256() {
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
		openssl dgst -sha256 -r | cut -c1-64
}

stsd_make_pki() {
	mkdir -p "$B/pki"
	(
		cd "$B/pki" || exit 1
		openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout ca.key -out ca.pem -days 3650 -subj "/CN=inkan stsd test CA" \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
		pki_leaf mx-enforce mx.enforce.sts.test mx.nopolicy.sts.test
		pki_leaf mta-sts mta-sts.enforce.sts.test mta-sts.badcert.sts.test \
			mta-sts.testing.sts.test mta-sts.danests.test mta-sts.bogus.danests.test
		pki_self self mx.badcert.sts.test
		pki_self dane mx.danests.test
	) || return 1
	[ -s "$B/pki/mx-enforce.crt" ] && [ -s "$B/pki/dane.crt" ] && [ -s "$B/pki/mta-sts.crt" ]
}

# ---- zones ----

stsd_make_zones() {
	local serial h_dane extra=$B/extra
	serial=$(date -u +%s)
	h_dane=$(spki_sha256 "$B/pki/dane.crt")
	mkdir -p "$extra" "$B/dns/danesrc"
	rm -f "$extra"/*.zone
	printf '; the parent of sts.test and danests.test\n' > "$extra/test.zone"
	cat > "$extra/sts.test.zone" <<EOF
\$ORIGIN sts.test.
\$TTL 300
@	SOA	ns.sts.test. hostmaster.sts.test. $serial 3600 600 86400 300
@	NS	ns
ns	A	127.0.0.1
mta-sts	A	127.0.0.35
; enforce: MTA-STS enforce, CA-signed certificate with the right name
enforce	MX	10 mx.enforce
mx.enforce	A	127.0.0.31
_mta-sts.enforce	TXT	"v=STSv1; id=20261126T000001"
mta-sts.enforce	A	127.0.0.35
; badcert: MTA-STS enforce, the MX presents a self-signed certificate
badcert	MX	10 mx.badcert
mx.badcert	A	127.0.0.32
_mta-sts.badcert	TXT	"v=STSv1; id=20261126T000002"
mta-sts.badcert	A	127.0.0.35
; testing: MTA-STS testing, same self-signed MX
testing	MX	10 mx.testing
mx.testing	A	127.0.0.32
_mta-sts.testing	TXT	"v=STSv1; id=20261126T000003"
mta-sts.testing	A	127.0.0.35
; nopolicy: nothing published
nopolicy	MX	10 mx.nopolicy
mx.nopolicy	A	127.0.0.31
EOF
	cat > "$B/dns/danesrc/danests.test.zone" <<EOF
\$ORIGIN danests.test.
\$TTL 300
@	SOA	ns.danests.test. hostmaster.danests.test. $serial 3600 600 86400 300
@	NS	ns
ns	A	127.0.0.1
@	MX	10 mx
mx	A	127.0.0.33
_25._tcp.mx	TLSA	3 1 1 $h_dane
; an MTA-STS policy too, naming another host: DANE must win (RFC 8461 §2)
_mta-sts	TXT	"v=STSv1; id=20261126T000004"
mta-sts	A	127.0.0.35
; bogus: TLSA altered after signing
bogus	MX	10 mx.bogus
mx.bogus	A	127.0.0.33
_25._tcp.mx.bogus	TLSA	3 1 1 $h_dane
EOF
	(
		cd "$B/dns/danesrc" || exit 1
		rm -f K*
		ksk=$(ldns-keygen -a ECDSAP256SHA256 -k danests.test)
		zsk=$(ldns-keygen -a ECDSAP256SHA256 danests.test)
		ldns-signzone -e "$(date -u -d '+1 year' +%Y%m%d%H%M%S)" \
			-f "$extra/danests.test.zone" danests.test.zone "$zsk" "$ksk" || exit 1
		cp "$ksk.ds" "$B/danests.test.ds"
	) || return 1
	# After signing: the TLSA of mx.bogus no longer matches its RRSIG.
	# (The whole digest is replaced: changing one digit to a fixed value
	# left it unchanged when it already had that value, 1 run in 16.)
	sed -i "s/^\(_25\._tcp\.mx\.bogus\.danests\.test\.[[:space:]].*TLSA[[:space:]]*3 1 1 \)[0-9a-f]*/\1$(printf '0%.0s' $(seq 64))/" \
		"$extra/danests.test.zone"
	grep -q "^_25\._tcp\.mx\.bogus\.danests\.test\..*TLSA.*3 1 1 0\{64\}" "$extra/danests.test.zone" || {
		echo "env.sh: could not alter the bogus TLSA" >&2; return 1; }
}

# ---- unbound: the sending Postfix's resolver ----

stsd_unbound_start() {
	cat > "$R/unbound.conf" <<EOF
server:
	interface: $STSD_RESOLVER
	port: 53
	do-ip6: no
	username: ""
	chroot: ""
	directory: "$R"
	pidfile: "$R/unbound.daemon.pid"
	logfile: "$R/unbound.log"
	use-syslog: no
	verbosity: 1
	val-log-level: 2
	do-not-query-localhost: no
	access-control: 127.0.0.0/8 allow
	local-zone: "test." nodefault
	trust-anchor-file: "$B/danests.test.ds"
	qname-minimisation: no
	cache-max-ttl: 5
	cache-max-negative-ttl: 5
remote-control:
	control-enable: no
forward-zone:
	name: "test."
	forward-addr: 127.0.0.1@$STSD_DNS_PORT
EOF
	setsid unbound -d -c "$R/unbound.conf" >>"$R/unbound.out" 2>&1 &
	echo $! > "$R/unbound.pid"
}

# ---- Postfix ----

pf_common() {	# pf_common DIR HOSTNAME
	local P=$1
	mkdir -p "$P/etc" "$P/spool" "$P/data" "$P/mail"
	chown postfix "$P/data"
	chown 65534:65534 "$P/mail"
	cat <<EOF
compatibility_level = 3.6
queue_directory = $P/spool
data_directory = $P/data
maillog_file = $P/maillog
maillog_file_prefixes = $B
myhostname = $2
mydestination =
relay_domains =
alias_maps =
alias_database =
local_recipient_maps =
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
smtpd_peername_lookup = no
smtpd_client_connection_rate_limit = 0
virtual_mailbox_base = $P/mail
virtual_mailbox_maps = static:inbox
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
EOF
}

stsd_receiver_conf() {
	local P=$B/receiver
	mkdir -p "$P"
	pf_common "$P" mx.enforce.sts.test > "$R/receiver.main.cf" || return 1
	cat >> "$R/receiver.main.cf" <<EOF
inet_interfaces = 127.0.0.1
virtual_mailbox_domains = enforce.sts.test badcert.sts.test testing.sts.test nopolicy.sts.test danests.test bogus.danests.test
smtpd_tls_security_level = may
smtpd_tls_chain_files = $B/pki/mx-enforce.key, $B/pki/mx-enforce.chain.pem
EOF
	cp "$R/receiver.main.cf" "$P/etc/main.cf"
	{
		pf_master_services
		printf '127.0.0.31:25 inet n - n - - smtpd\n'
		printf '127.0.0.32:25 inet n - n - - smtpd -o smtpd_tls_chain_files=%s\n' \
			"$B/pki/self.key,$B/pki/self.crt"
		printf '127.0.0.33:25 inet n - n - - smtpd -o smtpd_tls_chain_files=%s\n' \
			"$B/pki/dane.key,$B/pki/dane.crt"
	} > "$P/etc/master.cf"
}

stsd_sender_conf() {
	local P=$B/sender
	mkdir -p "$P"
	pf_common "$P" out.sender.test > "$P/main.cf.tmp" || return 1
	cat >> "$P/main.cf.tmp" <<EOF
inet_interfaces = 127.0.0.1
virtual_mailbox_domains =
smtp_dns_support_level = dnssec
smtp_tls_security_level = may
smtp_tls_policy_maps = $STSD_POLICY_MAP
smtp_tls_CAfile = $B/pki/ca.pem
smtp_tls_loglevel = 1
smtp_connect_timeout = 5s
smtp_helo_timeout = 10s
smtp_tls_session_cache_database =
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h
queue_run_delay = 300s
minimal_backoff_time = 300s
EOF
	mv "$P/main.cf.tmp" "$P/etc/main.cf"
	{
		pf_master_services
		printf '127.0.0.1:%s inet n - n - - smtpd -o smtpd_tls_security_level=none\n' \
			"$STSD_SUBMIT_PORT"
	} > "$P/etc/master.cf"
}

pf_start_dir() {	# pf_start_dir DIR [PREFIX-COMMAND...]
	local P=$1
	shift
	if ! script -qec "postfix -c $P/etc check" /dev/null > "$R/pf-check.log" 2>&1; then
		echo "env.sh: postfix check failed for $P:" >&2
		cat "$R/pf-check.log" >&2
		return 1
	fi
	"$@" script -qec "postfix -c $P/etc start" /dev/null > "$R/pf-start.log" 2>&1 || {
		cat "$R/pf-start.log" >&2; return 1; }
}

# The sender resolves through our unbound: /etc/resolv.conf is replaced in
# a private mount namespace that only its processes share.
stsd_in_ns() {
	unshare -m --propagation private sh -c \
		'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' sh "$R/resolv.conf" "$@"
}

# ---- nginx ----

stsd_nginx_start() {
	local W=$B/www d
	mkdir -p "$R/t" "$W"
	for d in enforce.sts.test badcert.sts.test testing.sts.test danests.test bogus.danests.test; do
		mkdir -p "$W/mta-sts.$d/.well-known"
	done
	printf 'version: STSv1\nmode: enforce\nmx: mx.enforce.sts.test\nmax_age: 86400\n' \
		> "$W/mta-sts.enforce.sts.test/.well-known/mta-sts.txt"
	printf 'version: STSv1\nmode: enforce\nmx: mx.badcert.sts.test\nmax_age: 86400\n' \
		> "$W/mta-sts.badcert.sts.test/.well-known/mta-sts.txt"
	printf 'version: STSv1\nmode: testing\nmx: mx.testing.sts.test\nmax_age: 86400\n' \
		> "$W/mta-sts.testing.sts.test/.well-known/mta-sts.txt"
	printf 'version: STSv1\nmode: enforce\nmx: other.danests.test\nmax_age: 86400\n' \
		> "$W/mta-sts.danests.test/.well-known/mta-sts.txt"
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
		listen 127.0.0.35:443 ssl;
		server_name mta-sts.enforce.sts.test mta-sts.badcert.sts.test mta-sts.testing.sts.test mta-sts.danests.test;
		root $W/\$host;
		location = /.well-known/mta-sts.txt { default_type text/plain; }
	}
}
EOF
	setsid nginx -e "$R/nginx-error.log" -p "$R" -c "$R/nginx.conf" >>"$R/nginx.log" 2>&1 &
	echo $! > "$R/nginx.pid"
}

stsd_listening() {	# stsd_listening ADDR:PORT... (tcp) within 10 s
	local a ok
	for _ in $(seq 200); do
		ok=1
		for a in "$@"; do
			ss -ltn | grep -q " $a " || ok=0
		done
		[ $ok -eq 1 ] && return 0
		sleep 0.05
	done
	return 1
}

stsd_env_start() {
	local a
	for tool in nsd ldns-keygen ldns-signzone unbound postfix nginx openssl ss script unshare swaks; do
		command -v "$tool" >/dev/null || { echo "env.sh: $tool not installed" >&2; return 1; }
	done
	stsd_env_stop
	for a in 127.0.0.31:25 127.0.0.32:25 127.0.0.33:25 127.0.0.35:443 \
	    "127.0.0.1:$STSD_SUBMIT_PORT"; do
		if ss -ltn | grep -q " $a "; then
			echo "env.sh: $a is in use" >&2
			return 1
		fi
	done
	if ss -lnu | grep -q " $STSD_RESOLVER:53 "; then
		echo "env.sh: $STSD_RESOLVER:53 is in use" >&2
		return 1
	fi
	rm -rf "$B/pki" "$B/extra" "$B/www" "$B/sender" "$B/receiver"
	mkdir -p "$R"
	printf 'nameserver %s\noptions trust-ad edns0\n' "$STSD_RESOLVER" > "$R/resolv.conf"
	stsd_make_pki || { echo "env.sh: PKI failed" >&2; return 1; }
	stsd_make_zones || { echo "env.sh: zones failed" >&2; return 1; }
	bash "$STSD_TOP/tests/env/start.sh" --extra "$B/extra" >"$R/start.log" 2>&1 || {
		cat "$R/start.log" >&2; return 1; }
	stsd_unbound_start
	stsd_nginx_start
	stsd_receiver_conf && pf_start_dir "$B/receiver" || return 1
	if ! stsd_listening 127.0.0.31:25 127.0.0.32:25 127.0.0.33:25 127.0.0.35:443; then
		echo "env.sh: servers not listening:" >&2
		tail -5 "$B/receiver/maillog" "$R/nginx-error.log" >&2 2>/dev/null
		return 1
	fi
	for _ in $(seq 100); do
		ss -lnu | grep -q " $STSD_RESOLVER:53 " && break
		sleep 0.05
	done
	return 0
}

# The sender starts after the policy service (the test's choice of map).
stsd_sender_start() {
	stsd_sender_conf && pf_start_dir "$B/sender" stsd_in_ns || return 1
	stsd_listening "127.0.0.1:$STSD_SUBMIT_PORT"
}

stsd_env_stop() {
	local f pid
	pf_stop "$B/sender"		# tests/env/postfix.sh: our masters only
	pf_stop "$B/receiver"
	for f in unbound nginx; do
		pid=$(cat "$R/$f.pid" 2>/dev/null) || continue
		case $pid in ''|*[!0-9]*) continue ;; esac
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$pid" 2>/dev/null
		rm -f "$R/$f.pid"
	done
	bash "$STSD_TOP/tests/env/stop.sh" >/dev/null 2>&1
	return 0
}
