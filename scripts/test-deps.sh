#!/bin/sh
# Installs the Debian packages the test suite needs, when they are missing.
# The tests build their images from busybox-static and check interop with
# skopeo and umoci. Run as root (sudo make test does).
set -eu
need=""
command -v busybox >/dev/null 2>&1 || [ -x /bin/busybox ] || need="$need busybox-static"
command -v skopeo >/dev/null 2>&1 || need="$need skopeo"
command -v umoci >/dev/null 2>&1 || need="$need umoci"
command -v gcc >/dev/null 2>&1 || need="$need gcc"
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "test-deps: missing$need; run as root (sudo make test) to install them" >&2
	exit 1
fi
echo "test-deps: installing$need"
export DEBIAN_FRONTEND=noninteractive
# No service may start while packages install (machines without systemd).
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need >/dev/null
