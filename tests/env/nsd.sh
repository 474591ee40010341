# nsd.sh - sourced by the test scripts that run a private NSD.
#
# nsd_server_conf ZONESDIR RUNDIR PORT
#   prints the server: and remote-control: sections of an nsd.conf for a
#   foreground NSD on 127.0.0.1@PORT without chroot, setuid, database or
#   control socket, with every state file under RUNDIR (TESTENV.md §2).
#   The caller appends its zone: sections.
nsd_server_conf() {
	cat <<EOF
server:
	ip-address: 127.0.0.1@$3
	do-ip6: no
	server-count: 1
	username: ""
	chroot: ""
	database: ""
	zonesdir: "$1"
	pidfile: "$2/nsd.daemon.pid"
	xfrdfile: "$2/xfrd.state"
	xfrdir: "$2"
	zonelistfile: "$2/zone.list"
	logfile: "$2/nsd.log"
	verbosity: 1
remote-control:
	control-enable: no
EOF
}
