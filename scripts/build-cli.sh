#!/bin/sh
# Builds the example CLI as one static executable: scripts/build-cli.sh OUT
# [PACKAGE] (default ./examples/dock). Static because the binary is also
# what runs, re-executed, as each container's init and each detached
# container's monitor: without the dynamic loader and a shared libc to
# relocate, a monitor keeps ~120 KiB resident instead of ~1 MiB, and the
# init execs sooner. netgo and osusergo keep libc's resolver and user
# lookups (which a static C library cannot load) out of the binary. Needs
# cgo and a static C library: musl (musl-tools) when it is installed,
# else glibc's (libc6-dev). musl because glibc's static start-up runs
# about 60 CPUID instructions to size its caches and pick its string
# functions, each a trap to the hypervisor in a VM: 0.4-0.6 ms of every
# process here, the CLI's and each re-executed init's.
set -eu
out=${1:?usage: build-cli.sh OUT [PACKAGE]}
pkg=${2:-./examples/dock}
"$(dirname "$0")/check-go.sh"
# Go builds without cgo, silently, when it finds no C compiler: the
# binary would build and fail at the first container.
if [ "$("${GO:-go}" env CGO_ENABLED)" != 1 ]; then
	echo "build-cli.sh: cgo is off (CGO_ENABLED=0, or no C compiler: $("${GO:-go}" env CC) not found), and the container init is C: install gcc, libc6-dev and musl-tools (scripts/test-deps.sh --demo does, as root)" >&2
	exit 1
fi
if command -v musl-gcc >/dev/null 2>&1; then
	# musl-gcc sees no kernel headers by default: give it the system's
	# (linux/, asm/, asm-generic/), and nothing else of glibc's.
	kh=$(mktemp -d)
	trap 'rm -rf "$kh"' EXIT
	ln -s /usr/include/linux "$kh/linux"
	ln -s /usr/include/asm-generic "$kh/asm-generic"
	ln -s "/usr/include/$(gcc -dumpmachine)/asm" "$kh/asm"
	export CC=musl-gcc CGO_CFLAGS="-O2 -isystem $kh"
fi
"${GO:-go}" build -tags netgo,osusergo -ldflags=-extldflags=-static -o "$out" "$pkg"
