#!/bin/sh
# Installs the Debian packages the test suite needs, when they are missing.
# The tests build their images from busybox-static, check interop with
# skopeo, umoci, runc, podman and buildah (which also builds the Dockerfiles
# that TestBuildInterop compares), and talk to the real CNCF registry
# (docker-registry, with htpasswd from apache2-utils). Run as root (sudo
# make test does).
set -eu
need=""
command -v busybox >/dev/null 2>&1 || [ -x /bin/busybox ] || need="$need busybox-static"
command -v skopeo >/dev/null 2>&1 || need="$need skopeo"
command -v umoci >/dev/null 2>&1 || need="$need umoci"
command -v runc >/dev/null 2>&1 || need="$need runc"
command -v podman >/dev/null 2>&1 || need="$need podman"
command -v buildah >/dev/null 2>&1 || need="$need buildah"
command -v gcc >/dev/null 2>&1 || need="$need gcc"
# cgo's headers, and the static libc that scripts/build-cli.sh links.
dpkg -s libc6-dev >/dev/null 2>&1 || need="$need libc6-dev"
# The static C library scripts/build-cli.sh prefers (see there why).
command -v musl-gcc >/dev/null 2>&1 || need="$need musl-tools"
[ -x /usr/bin/docker-registry ] || need="$need docker-registry"
command -v htpasswd >/dev/null 2>&1 || need="$need apache2-utils"
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "test-deps: missing$need; run as root (sudo make test) to install them" >&2
	exit 1
fi
echo "test-deps: installing$need"
export DEBIAN_FRONTEND=noninteractive
# No service may start while packages install (machines without systemd):
# a policy-rc.d that refuses, the machine's own put back afterwards.
if [ -e /usr/sbin/policy-rc.d ]; then
	cp -p /usr/sbin/policy-rc.d /usr/sbin/policy-rc.d.dock-saved
	trap 'mv -f /usr/sbin/policy-rc.d.dock-saved /usr/sbin/policy-rc.d' EXIT
else
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod +x /usr/sbin/policy-rc.d
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need >/dev/null
