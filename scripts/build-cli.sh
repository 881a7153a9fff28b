#!/bin/sh
# Builds the example CLI as one static executable: scripts/build-cli.sh OUT
# [PACKAGE] (default ./examples/dock). Static because the binary is also
# what runs, re-executed, as each container's init and each detached
# container's monitor: without the dynamic loader and a shared libc to
# relocate, a monitor keeps ~120 KiB resident instead of ~1 MiB, and the
# init execs sooner. netgo and osusergo keep libc's resolver and user
# lookups (which a static glibc cannot load) out of the binary. Needs cgo
# and the static C library (libc6-dev).
set -eu
out=${1:?usage: build-cli.sh OUT [PACKAGE]}
pkg=${2:-./examples/dock}
exec "${GO:-go}" build -tags netgo,osusergo -ldflags=-extldflags=-static -o "$out" "$pkg"
