#!/usr/bin/env bash
# Builds the embedded MongoDB-compatible store (FerretDB + write-serialising front, see
# scripts/embedded-store/main.go) into a cache OUTSIDE the work tree and prints the binary path.
# The binary name carries a hash of go.mod+go.sum+*.go, so it is rebuilt only when those
# change (cold build ~80 s, otherwise a few milliseconds). Progress goes to stderr; stdout is
# only the path.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/embedded-store"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/cchub"
hash="$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-16)"
bin="$cache/embedded-store-$hash"
if [[ ! -x "$bin" ]]; then
  command -v go >/dev/null || { echo "build-store: Go toolchain not found (need go >= 1.24)" >&2; exit 1; }
  mkdir -p "$cache"
  echo "build-store: building $bin (first build takes ~80 s)" >&2
  start=$SECONDS
  # Build to a private name and rename: concurrent builders never see a half-written binary.
  tmp="$bin.tmp.$$"
  trap 'rm -f "$tmp"' EXIT
  (cd "$src" && GOFLAGS=-mod=mod go build -trimpath -o "$tmp" .)
  mv -f "$tmp" "$bin"
  echo "build-store: built in $((SECONDS - start)) s" >&2
fi
echo "$bin"
