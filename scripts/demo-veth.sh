#!/bin/bash
# The main job: pp-udpgen sends through the whole journey over AF_XDP into a
# veth pair whose far end sits in a network namespace, with the Linux kernel
# as the peer (ARP resolved over the wire, its UDP stack receiving). Prints the
# sender's per-stage table beside what the kernel counted. Without root or
# AF_XDP it says why and runs the same journey on the null NIC.
# usage: demo-veth.sh BUILD_DIR [SECONDS] [pp-udpgen options...]
set -uo pipefail
build=${1:?build dir}
secs=${2:-5}
shift 2 2>/dev/null || shift $#
extra=("$@") # more pp-udpgen options
gen=$build/tools/pp-udpgen
A=ppdemoA B=ppdemoB

fallback() {
	echo "demo: $1; running the journey on the null NIC instead" >&2
	exec "$gen" --nic null --seconds "$secs" "${extra[@]}"
}
[[ $(id -u) -eq 0 ]] || fallback "not root (AF_XDP, namespaces and veth need it)"
cleanup() { ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null; }
trap cleanup EXIT
cleanup
ip netns add $A && ip netns add $B &&
	ip link add vA netns $A type veth peer name vB netns $B || fallback "cannot make namespaces and a veth pair"
for s in "$A vA" "$B vB"; do
	set -- $s
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
	ip -n "$1" link set lo up
	ip -n "$1" link set "$2" up
done
ip -n $B addr add 198.18.0.2/24 dev vB
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null
# a UDP sink on the peer, so the kernel's receive path runs to a socket
ip netns exec $B python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20); s.bind(("198.18.0.2", 9))
s.settimeout(1.0)
end = time.time() + 120
while time.time() < end:
    try: s.recv(65536)
    except socket.timeout: pass
' &
sink=$!
sleep 0.5 # the sink is bound before the first datagram arrives
before=$(ip netns exec $B cat /sys/class/net/vB/statistics/rx_packets)
echo "demo: pp-udpgen over AF_XDP on vA (namespace $A, 198.18.0.1) -> kernel on vB (namespace $B, 198.18.0.2:9)"
nsenter --net=/run/netns/$A "$gen" --nic afxdp:vA --ip 198.18.0.1/24 --dst 198.18.0.2:9 \
	--seconds "$secs" --linger 0.5 "${extra[@]}"
rc=$?
after=$(ip netns exec $B cat /sys/class/net/vB/statistics/rx_packets)
kill $sink 2>/dev/null
if [[ $rc -ne 0 ]]; then
	cleanup
	fallback "pp-udpgen could not run over AF_XDP (rc $rc, see above)"
fi
echo "kernel peer (vB in $B): rx_packets +$((after - before)) (datagrams, ARP and anything else it received)"
ip -n $B -s link show vB | sed -n '3,4p'
ip netns exec $B cat /proc/net/snmp | awk '/^Udp:/ { if (!h) { split($0, k); h = 1 } else { for (i = 2; i <= NF; i++) if (k[i] ~ /InDatagrams|RcvbufErrors|NoPorts/) printf "kernel peer Udp %s %s\n", k[i], $i } }'
