#!/bin/sh
# dmarc_opendmarc.sh BUILD_DIR - RFC 7489 DMARC results of inkan against
# libopendmarc (Debian libopendmarc-dev) on generated scenarios.
#
# The harness (tests/interop/dmarc_opendmarc.c, built by
# tests/conformance/dmarc/meson.build where libopendmarc is installed)
# generates a fixed-seed table of (record, From domain, SPF, DKIM)
# scenarios, gives each record to OpenDMARC with
# opendmarc_policy_store_dmarc() and to inkan through an in-memory zone,
# and compares verdicts and alignment; each known disagreement is a
# "# TODO" line that cites the RFC text deciding it.  Offline.  Without
# the harness (libopendmarc-dev missing at build time) it fails: a
# missing peer must not look like agreement.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
build=$1
bin=$build/tests/conformance/dmarc/dmarc_opendmarc
psl=${INKAN_PSL_FILE:-/usr/share/publicsuffix/public_suffix_list.dat}
n=${INKAN_INTEROP_SCENARIOS:-400}
seed=${INKAN_INTEROP_SEED:-7489}

if [ ! -x "$bin" ]; then
	echo "not ok 1 - $bin is not built (libopendmarc-dev missing when meson ran?)"
	echo "1..1"
	exit 1
fi
if [ ! -r "$psl" ]; then
	echo "not ok 1 - $psl is not readable (Debian package publicsuffix)"
	echo "1..1"
	exit 1
fi
exec "$bin" -n "$n" -s "$seed" "$psl"
