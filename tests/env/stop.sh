#!/usr/bin/env bash
# stop.sh - stop what tests/env/start.sh started.
#
# Sends SIGTERM to each PID recorded in $B/run/*.pid, waits up to 10 s for
# all of them, then SIGKILLs survivors.  Only recorded PIDs whose command
# line names our $B are signalled: never a daemon by name, never a PID that
# has since been reused by someone else.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
B=${INKAN_TESTENV:-$top/build/testenv}
case $B in /*) ;; *) B=$top/$B ;; esac
R=$B/run

ours() {	# ours PID: alive and started with a config under $B
	[ -r "/proc/$1/cmdline" ] && tr '\0' ' ' < "/proc/$1/cmdline" | grep -qF "$B/"
}

pids=
for f in "$R"/*.pid; do
	[ -e "$f" ] || continue
	case $f in *.daemon.pid) continue ;; esac	# the daemons' own copies
	pid=$(cat "$f" 2>/dev/null)
	rm -f "$f"
	case $pid in ''|*[!0-9]*) continue ;; esac
	if ours "$pid"; then
		kill -TERM "$pid" 2>/dev/null && pids="$pids $pid"
	fi
done
[ -n "$pids" ] || exit 0

for _ in $(seq 100); do
	alive=
	for pid in $pids; do
		kill -0 "$pid" 2>/dev/null && alive="$alive $pid"
	done
	[ -n "$alive" ] || exit 0
	pids=$alive
	sleep 0.1
done
for pid in $pids; do
	echo "stop.sh: $pid did not stop in 10 s; killing it" >&2
	# start.sh made each daemon the leader of its own process group;
	# the group holds only it and its children.
	if [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ]; then
		kill -KILL -- "-$pid" 2>/dev/null
	else
		kill -KILL "$pid" 2>/dev/null
	fi
done
exit 0
