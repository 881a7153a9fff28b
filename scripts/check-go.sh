#!/bin/sh
# Checks that the Go toolchain make runs ($GO, default go) is there and at
# least the version go.mod names, and says what to do when it is not.
# Debian's own golang package is too old (it fails with "invalid go
# version"); sudo's secure_path drops /usr/local/go/bin from PATH.
set -eu
cd "$(dirname "$0")/.."
go=${GO:-go}
want=$(sed -n 's/^go \([0-9][0-9.]*\).*/\1/p' go.mod)
hint="install Go $want or later from https://go.dev/dl (in /usr/local/go, with /usr/local/go/bin on PATH). As root: su -c 'make ...' keeps your PATH; sudo's secure_path drops it: sudo env PATH=\"\$PATH\" make ..."
if ! command -v "$go" >/dev/null 2>&1; then
	echo "$go: not found in PATH=$PATH: $hint" >&2
	exit 1
fi
have=$("$go" env GOVERSION 2>/dev/null || true)
have=${have#go}
if [ -z "$have" ] || [ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -n 1)" != "$want" ]; then
	echo "$(command -v "$go") is Go ${have:-(unknown version)}; go.mod needs $want: $hint" >&2
	exit 1
fi
