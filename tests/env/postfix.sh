# postfix.sh - sourced by tests and benchmarks that run a private Postfix.
#
# pf_setup DIR
#   writes DIR/etc/{main.cf,master.cf} for a Postfix whose queue, data,
#   log and mailbox all live under DIR (TESTENV.md §3): myhostname
#   mx.inkan.test, mynetworks 127.0.0.1/32, every recipient domain listed
#   in $PF_DOMAINS (default "inkan.test") delivered by virtual(8) to the
#   single mbox file DIR/mail/inbox (uid/gid 65534), milter_default_action
#   $PF_DEFAULT_ACTION (default tempfail).  No chroot, no NIS, no aliases.
# pf_listen DIR PORT [SMTPD-OPTIONS...]
#   adds a smtpd on 127.0.0.1:PORT to master.cf, with "-o name=value"
#   options (e.g. -o smtpd_milters=inet:127.0.0.1:8891).
# pf_start DIR      starts it (postfix check first); waits until every
#                   listening port answers, 15 s at most.
# pf_stop DIR       SIGTERM to the master process of DIR, waits 10 s,
#                   then SIGKILL to that process group.  Never by name.
# pf_inbox DIR      path of the mailbox file.
# pf_queue DIR      "postqueue -j" for DIR (one JSON object per message).
# pf_log DIR        path of the Postfix log file.

pf_setup() {
	local d=$1
	mkdir -p "$d/etc" "$d/spool" "$d/data" "$d/mail" "$d/log"
	chown 65534:65534 "$d/mail"
	chown postfix "$d/data"
	rm -f "$d/mail/inbox"
	: > "$d/etc/ports"
	cat > "$d/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $d/spool
data_directory = $d/data
maillog_file = $d/log/maillog
maillog_file_prefixes = $d
myhostname = mx.inkan.test
mydomain = inkan.test
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
smtpd_peername_lookup = no
smtpd_tls_security_level = none
smtp_tls_security_level = none
virtual_mailbox_domains = ${PF_DOMAINS:-inkan.test}
virtual_mailbox_base = $d/mail
virtual_mailbox_maps = static:inbox
virtual_mailbox_limit = 0
message_size_limit = 52428800
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_destination_concurrency_limit = 1
milter_default_action = ${PF_DEFAULT_ACTION:-tempfail}
milter_protocol = 6
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
default_process_limit = 200
in_flow_delay = 0
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
anvil_rate_time_unit = 60s
EOF
	pf_master_services > "$d/etc/master.cf"
}

# pf_master_services: the service lines of master.cf.dist (pipe services
# dropped), chroot off everywhere (TESTENV.md §3); the listeners follow.
pf_master_services() {
	cat <<'EOF'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

pf_listen() {
	local d=$1 port=$2
	shift 2
	printf '127.0.0.1:%s inet n - n - - smtpd %s\n' "$port" "$*" >> "$d/etc/master.cf"
	echo "$port" >> "$d/etc/ports"
}

pf_start() {
	local d=$1 port ok
	# Postfix prints to syslog only, unless stderr is a terminal.
	if ! script -qec "postfix -c '$d/etc' check" /dev/null > "$d/log/check.out" 2>&1; then
		cat "$d/log/check.out" >&2
		return 1
	fi
	postfix -c "$d/etc" start > "$d/log/start.out" 2>&1 || {
		cat "$d/log/start.out" "$d/log/maillog" >&2 2>/dev/null
		return 1
	}
	for port in $(cat "$d/etc/ports"); do
		ok=0
		for _ in $(seq 300); do
			if ss -lnt | grep -q "127.0.0.1:$port "; then ok=1; break; fi
			sleep 0.05
		done
		[ $ok = 1 ] || { echo "pf_start: port $port not listening" >&2; return 1; }
	done
}

pf_master_pid() {
	local f="$1/spool/pid/master.pid"
	[ -r "$f" ] && tr -d ' \n' < "$f"
}

pf_stop() {
	local d=$1 pid
	pid=$(pf_master_pid "$d") || return 0
	case $pid in ''|*[!0-9]*) return 0 ;; esac
	# Ours only: the master started for this config directory.
	tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qx "MAIL_CONFIG=$d/etc" ||
		return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	return 0
}

pf_inbox() { echo "$1/mail/inbox"; }
pf_log() { echo "$1/log/maillog"; }
pf_queue() { postqueue -c "$1/etc" -j 2>/dev/null; }
