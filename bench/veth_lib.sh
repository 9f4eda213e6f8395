# SPDX-License-Identifier: MIT
# Sourced by the bench scripts that send over AF_XDP into a veth pair: two
# namespaces $A and $B, vA in A (pktpipe's side, no kernel address), vB in B
# with 198.18.0.2/24 (the kernel peer, default settings), IPv6 off on both.
# The caller sets A and B and calls veth_cleanup on exit.
veth_cleanup() { ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null; }

veth_setup() { # [QUEUES]
	local q=${1:-1} s
	veth_cleanup
	ip netns add "$A" && ip netns add "$B"
	ip link add vA netns "$A" numtxqueues "$q" numrxqueues "$q" type veth peer name vB \
		netns "$B" numtxqueues "$q" numrxqueues "$q"
	for s in "$A vA" "$B vB"; do
		set -- $s
		ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
		ip -n "$1" link set lo up
		ip -n "$1" link set "$2" up
	done
	ip -n "$B" addr add 198.18.0.2/24 dev vB
}

# Packets the kernel peer's vB has received so far.
veth_rx_packets() { ip netns exec "$B" cat /sys/class/net/vB/statistics/rx_packets; }

# kpeer_start OUT CMD...: CMD (a kernel-side peer that prints "ready" once
# it listens) in $B on core 1, its output in OUT; waits up to 5 s for
# "ready". Sets srvpid; kpeer_stop ends it.
kpeer_start() {
	local out=$1 i
	shift
	ip netns exec "$B" taskset -c 1 "$@" >"$out" 2>&1 &
	srvpid=$!
	for ((i = 0; i < 50; i++)); do
		grep -q ready "$out" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "$(basename "$0"): the kernel peer did not start: $(cat "$out")" >&2
	return 1
}
kpeer_stop() { kill "$srvpid" 2>/dev/null; wait "$srvpid" 2>/dev/null; srvpid=; }
