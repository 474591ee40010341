#!/bin/sh
# dkim_dkimpy.sh BUILD_DIR - DKIM interop of inkan with dkimpy, both ways.
#
# inkan signs and dkimpy (Debian python3-dkim) verifies; dkimpy signs and
# inkan verifies; RSA-2048 and Ed25519, three canonicalizations, with and
# without l=, messages from 0 bytes of body to 10 MB; then a tampering
# corpus on which both must agree.  Offline: inkan reads the key records
# from a zone file, dkimpy from a dnsfunc.  See dkim_interop.py.  Without
# dkimpy for /usr/bin/python3 it fails: a missing peer must not look like
# agreement.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
py=${INKAN_DKIMPY_PYTHON:-/usr/bin/python3}

if ! "$py" -c 'import dkim, nacl' 2>/dev/null; then
	echo "not ok 1 - dkimpy (python3-dkim, python3-nacl) is not installed for $py"
	echo "1..1"
	exit 1
fi
exec "$py" "$here/dkim_interop.py" dkimpy "$1"
