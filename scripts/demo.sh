#!/bin/sh
# Builds the example CLI, makes a busybox image from Debian's busybox-static
# (once: a second run finds it) and runs a container from it. Installs what
# the build needs first, as make test does. Run as root (make demo).
set -eu
cd "$(dirname "$0")/.."
./scripts/check-go.sh
./scripts/test-deps.sh --demo
echo "demo: building bin/dock"
./scripts/build-cli.sh bin/dock
root=${DOCK_ROOT:-/var/lib/dock}
if [ -z "$(bin/dock --root "$root" images -q busybox:latest)" ]; then
	echo "demo: importing /bin/busybox as the image busybox:latest"
	rootfs=$(mktemp -d)
	trap 'rm -rf "$rootfs"' EXIT
	mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root"
	cp /bin/busybox "$rootfs/bin/busybox"
	for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"; done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
	tar -C "$rootfs" -c . | bin/dock --root "$root" import - busybox:latest >/dev/null
fi
# --network none: the demo changes nothing on the host's network (the
# CLI's default, as docker's, is the bridge: a dock0 bridge, nftables
# rules and IP forwarding while it runs).
echo "demo: bin/dock --root $root run --rm --network none busybox ..."
exec bin/dock --root "$root" run --rm --network none busybox sh -c 'echo "hello from $(hostname), PID $$"; cat /proc/self/status | grep -E "^(CapEff|NoNewPrivs|Seccomp):"'
