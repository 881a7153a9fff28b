#!/bin/sh
# Builds the example CLI, makes a busybox image from Debian's busybox-static
# and runs a container from it. Run as root (sudo make demo).
set -eu
cd "$(dirname "$0")/.."
if ! [ -x /bin/busybox ]; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
fi
./scripts/build-cli.sh bin/dock
root=${DOCK_ROOT:-/var/lib/dock}
if ! bin/dock --root "$root" images -q busybox:latest 2>/dev/null | grep -q .; then
	rootfs=$(mktemp -d)
	trap 'rm -rf "$rootfs"' EXIT
	mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root"
	cp /bin/busybox "$rootfs/bin/busybox"
	for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"; done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
	tar -C "$rootfs" -c . | bin/dock --root "$root" import - busybox:latest
fi
exec bin/dock --root "$root" run --rm busybox sh -c 'echo "hello from $(hostname), PID $$"; cat /proc/self/status | grep -E "^(CapEff|NoNewPrivs|Seccomp):"'
