#!/bin/sh
# deps.sh - install the Debian 12 packages inkan needs that are missing.
#   deps.sh build   libraries and tools to build inkan
#   deps.sh test    build + what `make test` runs against (NSD, peers)
# Installs only what is missing, so a second run costs a dpkg query.
set -eu

BUILD="build-essential pkg-config meson ninja-build
  libunbound-dev libldns-dev libidn2-dev libjansson-dev libssl-dev
  libcmocka-dev libyaml-dev libevent-dev
  libxml2-dev libsqlite3-dev zlib1g-dev libarchive-dev libgmime-3.0-dev
  libpsl-dev publicsuffix libcurl4-openssl-dev libsodium-dev libmilter-dev"
TEST="clang libclang-rt-14-dev nsd ldnsutils iproute2 util-linux
  python3 python3-yaml python3-spf python3-dnspython libspf2-dev dnsperf
  python3-dkim python3-nacl python3-authres opendkim opendkim-tools libopendkim-dev
  opendmarc libopendmarc-dev nginx-light openssl postfix swaks libnet-ssleay-perl
  sqlite3 bc chromium chromium-driver libxml2-utils postfix-mta-sts-resolver unbound"

want=$BUILD
[ "${1:-build}" = test ] && want="$BUILD $TEST"

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages:$missing" >&2
	echo "deps.sh: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "deps.sh: installing$missing"
# Keep package scripts from starting daemons (NSD) on the machine: the
# tests start their own on loopback.
[ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d;
	chmod +x /usr/sbin/policy-rc.d; }
export DEBIAN_FRONTEND=noninteractive
# Postfix is configured by the tests (their own config dirs); its package
# must not ask or write a system configuration.
case " $missing " in *" postfix "*)
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections ;;
esac
apt-get update -q -o DPkg::Lock::Timeout=600 >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 $missing
