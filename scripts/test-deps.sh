#!/bin/sh
# Installs the Debian packages that the build and the tests need, when
# they are missing: scripts/test-deps.sh [--demo]. The CLI's build needs
# cgo (gcc, libc6-dev: the container init is C) and, preferably, musl
# (musl-tools; see scripts/build-cli.sh); the demo and the tests build
# their images from busybox-static. --demo stops there (make demo). The
# tests also check interop with skopeo, umoci, runc, podman and buildah
# (which also builds the Dockerfiles that TestBuildInterop compares), and
# talk to the real CNCF registry (docker-registry, with htpasswd from
# apache2-utils); the network tests compare what dock made with what `ip`
# (iproute2) and `nft` (nftables; its service is never started: it would
# flush the ruleset) see. The Engine API's tests (examples/dockd) drive
# dockd with real clients: the docker CLI of Debian's docker.io (only the
# CLI: its dockerd and containerd are never started, see below),
# docker-compose 1.29 and docker-py (python3-docker). Run as root (make
# test and make demo do).
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
	command -v ip >/dev/null 2>&1 || need="$need iproute2"
	command -v nft >/dev/null 2>&1 || need="$need nftables"
	# docker top runs the host's ps, as dockerd does (TestTop).
	command -v ps >/dev/null 2>&1 || need="$need procps"
	# Debian's, by path: another docker CLI on PATH does not count.
	[ -x /usr/bin/docker ] || need="$need docker.io"
	[ -x /usr/bin/docker-compose ] || need="$need docker-compose"
	dpkg -s python3-docker >/dev/null 2>&1 || need="$need python3-docker"
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
before=$(mktemp)
if [ -e /usr/sbin/policy-rc.d ]; then
	cp -p /usr/sbin/policy-rc.d /usr/sbin/policy-rc.d.dock-saved
	trap 'mv -f /usr/sbin/policy-rc.d.dock-saved /usr/sbin/policy-rc.d; rm -f "$before"' EXIT
else
	trap 'rm -f /usr/sbin/policy-rc.d "$before"' EXIT
fi
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod +x /usr/sbin/policy-rc.d
# policy-rc.d keeps a service from starting, not from being enabled: the
# postinsts of docker-registry (a registry on :5000), podman (its API
# socket, restart and auto-update units) and docker.io (dockerd, its
# socket, containerd) enable them for systemd (links
# under /etc/systemd/system) and SysV init (S links in /etc/rc?.d), to
# start at the next boot. The tests start what they need themselves: what
# the installation enabled is disabled again, in a way upgrades keep.
enabled() {
	find /etc/systemd/system \( -path '*.wants/*' -o -path '*.requires/*' \) 2>/dev/null
	ls /etc/rc?.d/S* 2>/dev/null || true
}
enabled | sort >"$before"
echo "test-deps: apt-get update"
apt-get update -qq
# apt's own lines (Get, Unpacking, Setting up) show the progress.
# shellcheck disable=SC2086
apt-get install -y -q -o Dpkg::Use-Pty=0 --no-install-recommends $need | grep -E '^(Get|Unpacking|Setting up)' || true
enabled | sort | comm -13 "$before" - | sed -e 's|^/etc/rc.\.d/S[0-9]*|sysv |' -e 's|^/etc/systemd/system/.*/|systemd |' |
	sort -u | while read -r kind name; do
		echo "test-deps: disabling the $kind service $name that the installation enabled"
		if [ "$kind" = sysv ]; then
			update-rc.d "$name" disable >/dev/null 2>&1 || true
			continue
		fi
		deb-systemd-helper disable "$name" >/dev/null 2>&1 || rm -f /etc/systemd/system/*/"$name"
		if [ -d /run/systemd/system ]; then
			systemctl disable --now "$name" >/dev/null 2>&1 || true
		fi
	done
# Check, rather than trust the pipe above: every package is there.
for p in $need; do
	dpkg -s "$p" >/dev/null 2>&1 || { echo "test-deps: $p did not install" >&2; exit 1; }
done
