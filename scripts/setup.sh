#!/usr/bin/env bash
# Installs what Woven's build, demo and tests need on a fresh Debian 12 machine. Idempotent and quiet when
# everything is already there.
set -euo pipefail
need=()
command -v dotnet >/dev/null 2>&1 || { echo "setup: the .NET 10 SDK is needed (https://dot.net); dotnet is not on PATH" >&2; exit 1; }
for pkg in iproute2 procps nftables coturn iperf3 iputils-ping dnsutils openssh-server openssh-client; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages ${need[*]}; run as root or: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
