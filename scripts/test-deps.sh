#!/bin/sh
# Installs the Debian packages that the build and the tests need, when
# they are missing: scripts/test-deps.sh [--demo]. The CLI's build needs
# cgo (gcc, libc6-dev: the container init is C) and, preferably, musl
# (musl-tools; see scripts/build-cli.sh); the demo and the tests build
# their images from busybox-static. --demo stops there (make demo). The
# tests also check interop with skopeo, umoci, runc, podman and buildah
# (which also builds the Dockerfiles that TestBuildInterop compares), and
# talk to the real CNCF registry (docker-registry, with htpasswd from
# apache2-utils). Run as root (make test and make demo do).
set -eu
demo=false
[ "${1:-}" = --demo ] && demo=true
need=""
command -v busybox >/dev/null 2>&1 || [ -x /bin/busybox ] || need="$need busybox-static"
command -v gcc >/dev/null 2>&1 || need="$need gcc"
# cgo's headers, and the static libc that scripts/build-cli.sh links.
dpkg -s libc6-dev >/dev/null 2>&1 || need="$need libc6-dev"
# The static C library scripts/build-cli.sh prefers (see there why).
command -v musl-gcc >/dev/null 2>&1 || need="$need musl-tools"
if ! $demo; then
	command -v skopeo >/dev/null 2>&1 || need="$need skopeo"
	command -v umoci >/dev/null 2>&1 || need="$need umoci"
	command -v runc >/dev/null 2>&1 || need="$need runc"
	command -v podman >/dev/null 2>&1 || need="$need podman"
	command -v buildah >/dev/null 2>&1 || need="$need buildah"
	[ -x /usr/bin/docker-registry ] || need="$need docker-registry"
	command -v htpasswd >/dev/null 2>&1 || need="$need apache2-utils"
fi
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "test-deps: missing$need; run as root to install them (su -c 'make ...', or sudo env PATH=\"\$PATH\" make ...)" >&2
	exit 1
fi
echo "test-deps: installing$need (apt-get; a minute or more on a fresh machine)"
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
echo "test-deps: apt-get update"
apt-get update -qq
# apt's own lines (Unpacking, Setting up) show the progress.
# shellcheck disable=SC2086
apt-get install -y -q -o Dpkg::Use-Pty=0 --no-install-recommends $need | grep -E '^(Get|Unpacking|Setting up)' || true
# policy-rc.d keeps a service from starting, not from being enabled: the
# registry's postinst enables it for systemd (a symlink under
# /etc/systemd/system) and for SysV init (links in /etc/rc?.d), so that
# a registry would listen on :5000 from the next boot. The tests start
# their own; disable the package's, in a way its upgrades keep.
case " $need " in
*" docker-registry "*)
	echo "test-deps: disabling the docker-registry service the package enabled"
	deb-systemd-helper disable docker-registry.service >/dev/null 2>&1 || true
	if [ -d /run/systemd/system ]; then
		systemctl disable --now docker-registry.service >/dev/null 2>&1 || true
	fi
	update-rc.d docker-registry disable >/dev/null 2>&1 || true
	;;
esac
# Check, rather than trust the pipe above: every package is there.
for p in $need; do
	dpkg -s "$p" >/dev/null 2>&1 || { echo "test-deps: $p did not install" >&2; exit 1; }
done
