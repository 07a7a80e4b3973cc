#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and demonstrating Fulcrum needs.
# Idempotent: packages already present are skipped, and apt is not touched at all when nothing is missing.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config git
  libdpdk-dev dpdk-dev libtoml11-dev catch2 libpopt-dev nlohmann-json3-dev
  libnl-3-dev libnl-genl-3-dev libpcap-dev
  # test labs and peers
  iproute2 iputils-ping ethtool procps psmisc python3 python3-pytest python3-scapy tcpdump curl nginx-light
  ipvsadm keepalived
  # operators' tools: dpdk-devbind.py and dpdk-hugepages.py (doc/getting-started.md); man pages and the test
  # that renders them
  dpdk groff-base man-db
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# nginx and keepalived must not start system-wide services: the tests run their own instances in namespaces.
policy_rc=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy_rc" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy_rc"
  chmod +x "$policy_rc"
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy_rc"' EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}"
