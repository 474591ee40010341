#!/bin/sh
# spf_pyspf.sh BUILD_DIR - interop test of inkan's SPF against pyspf.
#
# Generates random SPF scenarios (fixed seed) into BUILD_DIR/interop, has
# pyspf (Debian python3-spf, RFC 7208 mode) judge them from the records in
# memory, runs `inkan spf check --zone --batch` over the same records and
# prints the comparison as TAP (compare.py).  Without pyspf for
# /usr/bin/python3 it fails: a missing peer must not look like agreement.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
build=$1
here=$(cd "$(dirname "$0")" && pwd)
py=${INKAN_PYSPF_PYTHON:-/usr/bin/python3}
seed=${INKAN_INTEROP_SEED:-7208}
n=${INKAN_INTEROP_SCENARIOS:-1200}
out=$build/interop
inkan=$build/src/inkan/inkan

if ! "$py" -c 'import spf' 2>/dev/null; then
	echo "not ok 1 - pyspf (python3-spf) is not installed for $py"
	echo "1..1"
	exit 1
fi
if [ ! -x "$inkan" ]; then
	echo "Bail out! $inkan is not built"
	exit 1
fi
mkdir -p "$out"
"$py" "$here/gen_spf.py" --check-zone --seed "$seed" -n "$n" "$out" >&2
rc=0
"$inkan" spf check --zone "$out/zone.txt" --batch "$out/cases.txt" \
    >"$out/inkan.jsonl" 2>"$out/inkan.stderr" || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "# inkan exited $rc; stderr:"
	sed 's/^/#   /' "$out/inkan.stderr" | head -20
fi
exec "$py" "$here/compare.py" "$out"
