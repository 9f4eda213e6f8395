#!/bin/bash
# Before/after on a noisy machine: the same pp-udpgen cases from two builds,
# alternated (A B B A A B ...) for ROUNDS rounds in one run, each case's ratio
# after/before reported as its median with the spread (min-max), beside the
# peers measured in the same run (../shared/peers: testpmd txonly on net_null
# and net_af_xdp, the bare libxdp loop, the kernel's sendmmsg).
#   null1   pp-udpgen --nic null, 1 lane rtc, 60-byte frames
#   null2   the same, 2 lanes rtc (2 cores)
#   afxdp   pp-udpgen over AF_XDP into a veth whose far end only counts
#           (otherhost), 64-byte frames, 1 queue, inline reaping; the figure
#           is what the kernel peer counted over the sending time
# usage: [CASES="null1 afxdp"] bench/compare.sh BEFORE_BUILD AFTER_BUILD [ROUNDS] [SECONDS]   (root, machine idle)
set -uo pipefail
cd "$(dirname "$0")/.."
before=${1:?before build dir}
after=${2:?after build dir}
rounds=${3:-5}
secs=${4:-3}
[[ $(id -u) -eq 0 ]] || { echo "compare.sh: run as root" >&2; exit 1; }
for b in "$before" "$after"; do
	[[ -x $b/tools/pp-udpgen ]] || { echo "compare.sh: no $b/tools/pp-udpgen" >&2; exit 1; }
done
peers=$(mktemp -d /tmp/pp-peers.XXXXXX)
A=ppcA B=ppcB
cleanup() { veth_cleanup; }
trap 'cleanup; rm -rf "$peers"' EXIT
cp -r ../shared/peers/. "$peers/" && chmod -R u+w "$peers"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

mpps() { python3 -c 'import json,sys; print("%.3f" % json.loads(sys.stdin.read())["mpps"])'; }
source bench/veth_lib.sh # (the working directory is the repository root)
setup() { veth_setup "$@"; }
rxp() { veth_rx_packets; }
run() { # build case -> Mpps
	local gen=$1/tools/pp-udpgen
	case $2 in
	null1) "$gen" --nic null --size 18 --seconds "$secs" --json | mpps ;;
	null2) "$gen" --nic null --size 18 --lanes 2 --seconds "$secs" --json | mpps ;;
	afxdp)
		setup
		local b0 b1 t
		b0=$(rxp)
		t=$(nsenter --net=/run/netns/$A "$gen" --nic afxdp:vA --ip 198.18.0.1/24 \
			--dst 198.18.0.2:9 --neigh 198.18.0.2=02:00:00:00:00:00 --size 18 \
			--seconds "$secs" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')
		b1=$(rxp)
		awk -v n=$((b1 - b0)) -v t="$t" 'BEGIN { printf "%.3f", n / t / 1e6 }'
		;;
	esac
}
peer() { # env... script args: the figure of its last line
	env "$@" 2>&1 | tail -n1 | awk '{print $(NF-1)}'
}
gov=$(cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor 2>/dev/null || echo none)
echo "# $(date -u '+%F %H:%M') UTC, $(uname -r), $(nproc) cpus, governor $gov, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# before: $before ($(git -C "$(dirname "$before")" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo "# after:  $after ($(git rev-parse --short HEAD))"
echo "# $rounds rounds, $secs s a run, order alternates each round"
declare -A R
for c in ${CASES:-null1 null2 afxdp}; do
	for ((i = 0; i < rounds; i++)); do
		if ((i % 2)); then order="after before"; else order="before after"; fi
		for w in $order; do
			b=$before
			[[ $w == after ]] && b=$after
			R[$c,$w,$i]=$(run "$b" $c)
		done
		echo "$c round $i: before ${R[$c,before,$i]} after ${R[$c,after,$i]} Mpps"
	done
done
# peers, same run
P_null=$(peer "$peers/dpdk_testpmd_txonly.sh" null 64 "$secs")
P_kern=$(peer PB_CONNECT=1 "$peers/kernel_udp_tx.sh" sink sendmmsg "$secs")
P_tpx=$(peer PB_PEER=otherhost "$peers/dpdk_testpmd_txonly.sh" afxdp 64 "$secs")
P_xsk=$(peer PB_PEER=otherhost "$peers/xsk_tx.sh" "$secs")
echo "peer testpmd txonly net_null 64B: $P_null Mpps"
echo "peer kernel sendmmsg x32 connected (ifb sink): $P_kern Mpps"
echo "peer testpmd txonly net_af_xdp otherhost 64B: $P_tpx Mpps"
echo "peer xsk_tx otherhost 64B: $P_xsk Mpps"
for c in ${CASES:-null1 null2 afxdp}; do
	vals=()
	for ((i = 0; i < rounds; i++)); do vals+=("${R[$c,before,$i]} ${R[$c,after,$i]}"); done
	printf '%s\n' "${vals[@]}" | python3 -c '
import sys, statistics as s
name = sys.argv[1]; labels = sys.argv[2].split(","); peers = [float(x) for x in sys.argv[3:] if x]
rows = [tuple(map(float, l.split())) for l in sys.stdin if l.strip()]
b = [r[0] for r in rows]; a = [r[1] for r in rows]
q = sorted(y / x for x, y in rows if x > 0)
line = "%s: before median %.3f, after median %.3f Mpps; after/before median %.3f (%.3f-%.3f)" % (
    name, s.median(b), s.median(a), s.median(q), q[0], q[-1])
for label, p in zip(labels, peers):
    if p > 0: line += "; after/%s %.2fx" % (label, s.median(a) / p)
print(line)' "$c" $(case $c in null*) echo "testpmd_net_null,kernel_sendmmsg $P_null $P_kern" ;; afxdp) echo "testpmd_net_af_xdp,xsk_tx $P_tpx $P_xsk" ;; esac)
done
