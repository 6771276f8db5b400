#!/usr/bin/env bash
# Provisioning for `npm start`, `npm test`, benchmarks and CI. Idempotent; when everything is in
# place it only checks (well under a second). Says what it installs or builds.
#   1. Debian packages: PostgreSQL 15 (under the embedded store), redis-server, chromium (browser
#      tests), CJK fonts (screenshots of the Chinese UI), Dovecot (IMAP + LMTP) and OpenSMTPD (the
#      real mail servers the email channel's tests run against, test/helpers/mail-servers.ts), and
#      for voice sipp, espeak-ng, sox and the mediasoup worker's build libraries
#   1b. the mediasoup worker (scripts/build-mediasoup.sh, cached outside the tree)
#   2. npm ci when node_modules is missing or older than package-lock.json
#   3. the embedded MongoDB-compatible store binary (scripts/build-store.sh, cached outside the tree)
#   4. the agent console (dist/) when its sources are newer than the last build
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { echo "setup: $*" >&2; }

# --- 1. system packages -------------------------------------------------------------------------
missing=()
[[ -x /usr/lib/postgresql/15/bin/postgres ]] || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'install ok installed' || missing+=(fonts-noto-cjk)
[[ -x /usr/lib/dovecot/imap ]] || missing+=(dovecot-imapd)
[[ -x /usr/lib/dovecot/lmtp ]] || missing+=(dovecot-lmtpd)
command -v smtpd >/dev/null || [[ -x /usr/sbin/smtpd ]] || missing+=(opensmtpd)
# Fax-to-email: poppler's pdftoppm/pdfinfo draw fax pages, libtiff's tiff2pdf reads fax TIFFs
# (G3/G4/PackBits) for it; tests make their fax fixtures with libtiff's ppm2tiff/tiffcp.
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
command -v tiff2pdf >/dev/null || missing+=(libtiff-tools)
# SMS: Net::SMPP (Perl) is an SMPP implementation independent of ours and of npm smpp; the SMS
# cross-check test (test/channels/sms-perl.test.ts) runs it as the SMSC.
[[ -f /usr/share/perl5/Net/SMPP.pm ]] || missing+=(libnet-smpp-perl)
# Voice: sipp (Debian's sip-tester) is the SIP trunk in tests; espeak-ng + sox make the IVR's
# prompts (8 kHz WAV); the mediasoup worker builds on Debian's libuv, OpenSSL, libsrtp2 and abseil.
command -v sipp >/dev/null || missing+=(sip-tester)
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v sox >/dev/null || missing+=(sox)
for pkg in libuv1-dev libssl-dev libsrtp2-dev libabsl-dev python3-venv; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  say "installing ${missing[*]} (apt-get)"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Debian's postgresql package starts a system cluster on 5432; we never use it (the embedded
# services run private clusters on free ports), so it is left alone. The same holds for the
# system Dovecot and OpenSMTPD where the packages start them: tests run private instances.

# --- 1b. mediasoup worker -------------------------------------------------------------------------
# Before npm ci: mediasoup's postinstall downloads a prebuilt worker unless MEDIASOUP_WORKER_BIN
# names one. Built from the npm tarball with Debian's libraries, cached outside the tree (first
# build ~400 s; a lock makes concurrent setups wait for one build). The hub finds the same path by
# itself at run time (media/worker-bin.ts).
MEDIASOUP_WORKER_BIN="$(bash scripts/build-mediasoup.sh)"
export MEDIASOUP_WORKER_BIN

# --- 2. node modules ----------------------------------------------------------------------------
if [[ ! -d node_modules || ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "npm ci"
  # --ignore-scripts=false: esbuild (under vite, vitest and tsx) needs its install step.
  npm ci --ignore-scripts=false --no-audit --no-fund --loglevel=error >&2
fi

# --- 3. embedded store --------------------------------------------------------------------------
bash scripts/build-store.sh >/dev/null

# --- 4. agent console ---------------------------------------------------------------------------
# A failing console build fails setup (and so `npm test`/CI). CCHUB_SKIP_UI_BUILD=1 skips this
# step when only back-end work is being checked.
if [[ -f agent-ui/vite.config.ts && -z ${CCHUB_SKIP_UI_BUILD:-} ]]; then
  # Our own stamp, written only after a complete build: a build that fails half-way (the console
  # written, the widget not) must not count as done.
  stamp=dist/.console-build-stamp
  if [[ ! -f $stamp ]] || [[ -n $(find agent-ui package-lock.json -newer "$stamp" -type f -print -quit) ]]; then
    say "building the agent console (vite)"
    rm -f "$stamp"
    npx vite build --config agent-ui/vite.config.ts --logLevel warn >&2
    touch "$stamp"
  fi
fi
