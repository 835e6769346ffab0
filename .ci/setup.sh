#!/usr/bin/env bash
# One-shot set-up on a fresh Debian machine (run as root): system packages, npm dependencies
# (arpinject's libpcap binding and raw-socket are built from source against libpcap and Node's headers), build.
# Idempotent: safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_root() { [ "$(id -u)" = 0 ] || { echo "setup: run as root (apt-get and network namespaces need it)" >&2; exit 3; }; }
need_root

pkgs=(libpcap-dev build-essential python3 iproute2 tcpdump arping arp-scan)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Reference tools the tests compare against, unpacked from Debian's packages into .ci/tools (not
# installed: arpwatch's and prometheus' packages would start services): arpwatch (reads and writes the
# arp.dat that watch --state shares) and promtool (checks examples/prometheus rules).
tools=.ci/tools
if [ ! -x "$tools/usr/sbin/arpwatch" ] || [ ! -x "$tools/usr/bin/promtool" ]; then
  echo "setup: unpacking arpwatch and promtool into $tools"
  dl=$(mktemp -d)
  (cd "$dl" && apt-get download -qq arpwatch prometheus 2>/dev/null) || { apt-get update -qq && (cd "$dl" && apt-get download -qq arpwatch prometheus); }
  mkdir -p "$tools"
  for d in "$dl"/*.deb; do dpkg-deb -x "$d" "$tools"; done
  rm -rf "$dl"
  # Only the two binaries are used: drop the rest (prometheus' web assets, man pages).
  find "$tools" -mindepth 1 -maxdepth 1 ! -name usr -exec rm -rf {} +
  find "$tools/usr" -mindepth 1 -maxdepth 1 ! -name bin ! -name sbin -exec rm -rf {} +
  rm -f "$tools/usr/bin/prometheus"
fi

command -v node >/dev/null || { echo "setup: Node.js >= 20.19 is required (node not found)" >&2; exit 3; }
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || { echo "setup: Node.js >= 20.19 is required, found $(node --version)" >&2; exit 3; }

# node-gyp must not download headers (no network but the registries): build against the local ones.
if [ -f /usr/include/node/node_version.h ]; then export npm_config_nodedir=/usr; fi

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
npm run build

# Fail loudly if the native pieces did not build, rather than letting every test skip.
node -e "require('./build/Release/arpinject_pcap.node'); require('raw-socket')" || { echo "setup: the native pieces (arpinject's libpcap binding, raw-socket) failed to load; see native-notes/" >&2; exit 3; }
echo "setup: ok ($(node --version), libpcap $(dpkg-query -W -f='${Version}' libpcap-dev))"
