#!/bin/sh
# authres_python.sh BUILD_DIR - Authentication-Results interop of inkan with
# python authres (Debian python3-authres), both ways, plus the public cases
# read by both.  Offline.  See authres_interop.py.  Without authres for
# /usr/bin/python3 it fails: a missing peer must not look like agreement.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
py=${INKAN_AUTHRES_PYTHON:-/usr/bin/python3}

if ! "$py" -c 'import authres' 2>/dev/null; then
	echo "not ok 1 - authres (python3-authres) is not installed for $py"
	echo "1..1"
	exit 1
fi
exec "$py" "$here/authres_interop.py" "$1"
