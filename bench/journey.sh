#!/bin/bash
# The UDP journey against its peers, in one run (run as root, machine idle):
#   pp-udpgen --nic null, 18-byte payload (60-byte frames): 1 lane rtc with 1
#   and 1024 flows, split over two cores, and 2 lanes rtc;
#   the kernel's own journey: sendmmsg x32, connected UDP socket, one pinned
#   thread, into an ifb sink (../shared/peers/kernel_udp_tx.sh sink sendmmsg);
#   dpdk-testpmd --forward-mode=txonly on net_null: no stack at all.
# Prints each figure and the ratios the issue's targets are stated in.
# usage: bench/journey.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-release}
secs=${2:-5}
gen=$build/tools/pp-udpgen
[[ -x $gen ]] || { echo "journey.sh: build $gen first (scripts/build.sh $build --buildtype=release)" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "journey.sh: run as root (the peers make namespaces)" >&2; exit 1; }

# The shared peers' folder is read-only: run a copy of it.
peers=$(mktemp -d /tmp/pp-peers.XXXXXX)
trap 'rm -rf "$peers"' EXIT
cp -r ../shared/peers/. "$peers/"
chmod -R u+w "$peers"

mpps() { python3 -c 'import json,sys; print("%.3f" % json.loads(sys.stdin.read())["mpps"])'; }
run_gen() { # label args...
	local label=$1
	shift
	local v
	v=$("$gen" --nic null --size 18 --seconds "$secs" --json "$@" | mpps)
	printf '%-34s %8s Mpps   (pp-udpgen --nic null %s)\n' "$label" "$v" "$*" >&2
	echo "$v"
}
peer() { # script args... -> the figure of its last line
	local out
	out=$("$peers/$1" "${@:2}" 2>&1 | tail -n1)
	printf '%-34s %s   (%s %s)\n' "peer" "$out" "$1" "${*:2}" >&2
	awk '{print $(NF-1)}' <<<"$out"
}

echo "# $(date -u +%F) $(uname -r), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
rtc=$(run_gen "journey 1 lane rtc, 1 flow" --lanes 1 --placement rtc --flows 1)
rtc1k=$(run_gen "journey 1 lane rtc, 1024 flows" --lanes 1 --placement rtc --flows 1024)
split=$(run_gen "journey 1 lane split, 1 flow" --lanes 1 --placement split --flows 1)
two=$(run_gen "journey 2 lanes rtc, 1 flow each" --lanes 2 --placement rtc --flows 2)
kern=$(PB_CONNECT=1 peer kernel_udp_tx.sh sink sendmmsg "$secs")
tpmd=$(peer dpdk_testpmd_txonly.sh null 64 "$secs")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo "ratio journey_rtc/kernel_sendmmsg = $(ratio "$rtc" "$kern")   (target >= 10)"
echo "ratio journey_rtc/testpmd_txonly_null = $(ratio "$rtc" "$tpmd")   (target >= 0.4)"
echo "ratio journey_2lanes/1lane = $(ratio "$two" "$rtc")   (target >= 1.8)"
echo "ratio journey_rtc_1024flows/1flow = $(ratio "$rtc1k" "$rtc")"
echo "ratio journey_split/rtc = $(ratio "$split" "$rtc")"
