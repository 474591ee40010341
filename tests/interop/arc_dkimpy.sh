#!/bin/sh
# arc_dkimpy.sh BUILD_DIR - ARC (RFC 8617) interop of inkan with dkimpy.
#
# dkimpy (Debian python3-dkim, with python3-authres) seals and inkan
# validates; inkan seals and dkimpy validates; chains of 1 to 3 hops that
# mix both sealers, relaxed and simple AMS canonicalization, and a
# tampering corpus on which both must reach RFC 8617's verdict.  Offline:
# inkan reads the key records from a zone file, dkimpy from a dnsfunc.
# See arc_interop.py.  Without dkimpy for /usr/bin/python3 it fails: a
# missing peer must not look like agreement.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
py=${INKAN_DKIMPY_PYTHON:-/usr/bin/python3}

if ! "$py" -c 'import dkim, authres' 2>/dev/null; then
	echo "not ok 1 - dkimpy (python3-dkim, python3-authres) is not installed for $py"
	echo "1..1"
	exit 1
fi
exec "$py" "$here/arc_interop.py" "$1"
