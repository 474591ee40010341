#!/bin/sh
# dkim_opendkim.sh BUILD_DIR - DKIM interop of inkan with OpenDKIM, both ways.
#
# OpenDKIM's test mode (`opendkim -x CONF -t FILE`) runs the milter's own
# sign or verify path over one message without an MTA; with TestPublicKeys
# it reads key records from a file instead of DNS, so the test is offline.
# inkan signs and opendkim verifies (its Authentication-Results says
# dkim=pass); opendkim signs (Mode s: the field it would insert is printed
# with -vv) and inkan verifies; RSA-2048 and Ed25519, three
# canonicalizations (l= is not covered: opendkim adds it only for the
# recipients in a BodyLengthDB); then the tampering corpus.  See
# dkim_interop.py.  Without opendkim it fails rather than skips.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3

if ! command -v opendkim >/dev/null 2>&1 && [ ! -x /usr/sbin/opendkim ]; then
	echo "not ok 1 - opendkim (Debian package opendkim) is not installed"
	echo "1..1"
	exit 1
fi
PATH=$PATH:/usr/sbin exec "$py" "$here/dkim_interop.py" opendkim "$1"
