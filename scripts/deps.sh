#!/bin/bash
# Installs the Debian 12 packages pktpipe needs to build, test and benchmark,
# skipping apt entirely when everything is already there. Run as root.
set -euo pipefail

PKGS=(
	build-essential pkg-config meson ninja-build g++ clang llvm
	liburcu-dev libck-dev libhwloc-dev libxdp-dev libbpf-dev libpcap-dev
	libcmocka-dev libbenchmark-dev libdpdk-dev dpdk dpdk-dev libclang-rt-14-dev
	iproute2 nftables ethtool tshark xdp-tools python3 iputils-ping iperf3
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	if [[ $(id -u) -ne 0 ]]; then
		echo "deps.sh: missing packages (${missing[*]}); run as root to install them" >&2
		exit 1
	fi
	echo "deps.sh: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	# tshark asks whether non-root users may capture: answer no, quietly
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
