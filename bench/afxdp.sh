#!/bin/bash
# The UDP journey over AF_XDP on a veth pair, against its peers, in one run
# (root, machine idle). Every sender runs in a namespace of its own and the
# figure is what the kernel peer counted (rx_packets of the far veth end) over
# the sending time, in both peer settings of ../shared/peers:
#   otherhost  frames to a MAC the peer does not own (02:00:00:00:00:00, via a
#              static neighbour entry): the peer only counts them
#   deliver    frames to the peer's own MAC and IP: its IPv4/UDP receive runs
# Rows: pp-udpgen (64 and 1500-byte frames; inline reaping vs completion
# threads; 1 queue/1 lane vs 2 queues/2 lanes), the bare libxdp TX loop
# (xsk_tx.sh), dpdk-testpmd txonly over net_af_xdp, the kernel's sendmmsg;
# then UDP round trips (p50/p99) from a kernel client to pp-udpecho and to a
# kernel echo server on the same kind of pair.
# usage: bench/afxdp.sh [BUILD_DIR] [SECONDS]   (PP_BENCH_ONLY=rtt: round trips only)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-release}
secs=${2:-5}
gen=$build/tools/pp-udpgen
echo_srv=$build/tools/pp-udpecho
rtt=$build/bench/udp_rtt
[[ -x $gen && -x $echo_srv ]] || { echo "afxdp.sh: build $build first" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "afxdp.sh: run as root" >&2; exit 1; }
peers=$(mktemp -d /tmp/pp-peers.XXXXXX)
A=ppbA B=ppbB
cleanup() { veth_cleanup; }
trap 'cleanup; rm -rf "$peers"' EXIT
cp -r ../shared/peers/. "$peers/" && chmod -R u+w "$peers"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

source bench/veth_lib.sh # (the working directory is the repository root)
setup() { veth_setup "$@"; }
rxp() { veth_rx_packets; }

# pp PEER SIZE QUEUES REAP: Mpps counted by the peer
pp() {
	local peer=$1 size=$2 q=$3 reap=$4 mac before after s
	setup "$q"
	if [[ $peer == deliver ]]; then mac=$(ip netns exec $B cat /sys/class/net/vB/address); else mac=02:00:00:00:00:00; fi
	before=$(rxp)
	s=$(nsenter --net=/run/netns/$A "$gen" --nic afxdp:vA,queues=$q --lanes "$q" --ip 198.18.0.1/24 \
		--dst 198.18.0.2:9 --neigh "198.18.0.2=$mac" --size "$size" --seconds "$secs" \
		--reap "$reap" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')
	after=$(rxp)
	awk -v n=$((after - before)) -v t="$s" 'BEGIN { printf "%.3f", n / t / 1e6 }'
}
peer() { # env... script args: the figure of its last line
	local out
	out=$(env "$@" 2>&1 | tail -n1)
	awk '{print $(NF-1)}' <<<"$out"
}
row() { printf '%-58s %9s Mpps\n' "$1" "$2"; }

echo "# $(date -u +%F) $(uname -r), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), $secs s each"
if [[ ${PP_BENCH_ONLY:-} != rtt ]]; then
declare -A R
for peer in otherhost deliver; do
	for fr in 64 1500; do
		size=$((fr == 64 ? 18 : fr - 42))
		R[pp,$peer,$fr]=$(pp $peer $size 1 inline)
		row "pktpipe afxdp $peer ${fr}B 1q inline reap" "${R[pp,$peer,$fr]}"
		R[tpmd,$peer,$fr]=$(peer PB_PEER=$peer "$peers/dpdk_testpmd_txonly.sh" afxdp $fr "$secs")
		row "testpmd txonly net_af_xdp $peer ${fr}B" "${R[tpmd,$peer,$fr]}"
	done
	R[xsk,$peer]=$(peer PB_PEER=$peer "$peers/xsk_tx.sh" "$secs")
	row "xsk_tx (bare libxdp loop) $peer 64B" "${R[xsk,$peer]}"
	R[kern,$peer]=$(peer PB_PEER=$peer PB_CONNECT=1 "$peers/kernel_udp_tx.sh" veth sendmmsg "$secs")
	row "kernel sendmmsg x32 connected $peer 64B" "${R[kern,$peer]}"
done
R[thread]=$(pp otherhost 18 1 thread)
row "pktpipe afxdp otherhost 64B 1q completion thread" "${R[thread]}"
R[q2]=$(pp otherhost 18 2 inline)
row "pktpipe afxdp otherhost 64B 2q 2 lanes" "${R[q2]}"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo "ratio pktpipe/testpmd otherhost 64B = $(ratio "${R[pp,otherhost,64]}" "${R[tpmd,otherhost,64]}") (target >= 1.0)"
echo "ratio pktpipe/xsk_tx otherhost 64B = $(ratio "${R[pp,otherhost,64]}" "${R[xsk,otherhost]}") (target >= 0.9)"
echo "ratio pktpipe/kernel_sendmmsg otherhost 64B = $(ratio "${R[pp,otherhost,64]}" "${R[kern,otherhost]}") (target >= 2.5)"
echo "ratio pktpipe/testpmd deliver 64B = $(ratio "${R[pp,deliver,64]}" "${R[tpmd,deliver,64]}")"
echo "ratio completion_thread/inline = $(ratio "${R[thread]}" "${R[pp,otherhost,64]}")"
echo "ratio 2q2lanes/1q = $(ratio "${R[q2]}" "${R[pp,otherhost,64]}") (target >= 1.6)"
fi # PP_BENCH_ONLY=rtt skips to the round trips

# round trips: kernel client in B -> pp-udpecho in A, then -> kernel echo in A
if [[ -x $rtt ]]; then
	setup 1
	nsenter --net=/run/netns/$A "$echo_srv" --nic afxdp:vA --ip 198.18.0.1/24 --port 7 \
		--seconds $((secs + 8)) >/dev/null 2>&1 &
	sleep 1.5
	echo "rtt pktpipe pp-udpecho: $(ip netns exec $B "$rtt" client 198.18.0.1 7 20000 64)"
	wait
	ip -n $A addr add 198.18.0.1/24 dev vA
	ip netns exec $A "$rtt" server 198.18.0.1 7 $((secs + 8)) &
	sleep 0.5
	echo "rtt kernel echo server: $(ip netns exec $B "$rtt" client 198.18.0.1 7 20000 64)"
	wait
fi
