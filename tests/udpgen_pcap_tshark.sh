#!/bin/bash
# End to end over the pcap NIC, judged by tshark: pp-udpgen sends through the
# whole journey (udp -> ip -> neigh -> qsel -> qdisc -> pcap driver) and every
# frame must be valid Ethernet/IPv4/UDP with good IP and UDP checksums, the
# right addresses and ports, payloads byte-exact (pp-udpgen's format), and
# fragments must reassemble to the datagrams sent. A cold neighbour must
# produce well-formed broadcast ARP requests.
# usage: udpgen_pcap_tshark.sh BUILD_ROOT
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tshark_lib.sh"
tl_require_tshark
gen=${1:?build root}/tools/pp-udpgen
[[ -x $gen ]] || { echo "no $gen" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # name expected actual
	if [[ $2 == "$3" ]]; then echo "ok: $1 ($3)"; else echo "FAIL: $1: expected '$2', got '$3'" >&2; fail=1; fi
}

# verify_payloads FILE PAYLOAD FLOWS BASEPORT: every reassembled UDP datagram
# carries pp-udpgen's payload, per flow in sequence from 0, none missing.
verify_payloads() {
	tl_tshark "$1" -Y udp -T fields -e udp.dstport -e udp.length -e udp.payload |
		python3 -c '
import sys
size, flows, base = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
nxt = {}
bad = 0
n = 0
for line in sys.stdin:
    f = line.split()
    if len(f) < 3: continue
    port, ulen, hexp = int(f[0]), int(f[1]), f[2].replace(":", "")
    p = bytes.fromhex(hexp)
    n += 1
    flow = port - base
    seq = int.from_bytes(p[:8], "big")
    want = nxt.get(flow, 0)
    exp = seq.to_bytes(8, "big") + bytes(((seq + i) & 0xff) for i in range(8, size))
    if ulen != size + 8 or p != exp or seq != want or not (0 <= flow < flows):
        bad += 1
        if bad < 5: print("bad datagram port %d seq %d (want %d) len %d" % (port, seq, want, ulen), file=sys.stderr)
    nxt[flow] = seq + 1
print(n, bad)
' "$2" "$3" "$4"
}

# 1. small datagrams, 4 flows
pc=$tmp/small.pcap
"$gen" --nic "pcap:$pc" --count 200 --size 100 --flows 4 --dst 198.18.0.2:5000 --src-port 4000 >/dev/null || fail=1
check "small: frames" 200 "$(tl_count "$pc" 'udp')"
tl_checksums_ok "$pc" || fail=1
check "small: addresses" "198.18.0.1 198.18.0.2 4000 02:70:70:00:00:01 02:00:00:00:00:02" \
	"$(tl_tshark "$pc" -T fields -e ip.src -e ip.dst -e udp.srcport -e eth.src -e eth.dst | sort -u | tr '\t' ' ')"
check "small: ttl/proto/df" "64 17 0" "$(tl_tshark "$pc" -T fields -e ip.ttl -e ip.proto -e ip.flags.df | sort -u | tr '\t' ' ' | sed 's/True/1/;s/False/0/')"
check "small: payloads (datagrams bad)" "200 0" "$(verify_payloads "$pc" 100 4 5000)"

# 2. odd lengths and the one-frame limit: 19, 1472 (fills a 1500 MTU), 1473 (two fragments)
for size in 8 19 1472 1473 4001; do
	pc=$tmp/s$size.pcap
	"$gen" --nic "pcap:$pc" --count 20 --size $size --api sendto --dst 198.18.0.2:6000 >/dev/null || fail=1
	tl_checksums_ok "$pc" || fail=1
	check "size $size: datagrams reassembled, bad" "20 0" "$(verify_payloads "$pc" $size 1 6000)"
done
check "1473: two frames per datagram" 40 "$(tl_count "$tmp/s1473.pcap" 'ip')"
check "4001: fragments have MF/offsets" "0,185,370" \
	"$(tl_tshark "$tmp/s4001.pcap" -T fields -e ip.frag_offset | head -3 | paste -sd,)"
check "60-byte minimum frame" 60 "$(tl_tshark "$tmp/s8.pcap" -T fields -e frame.len | sort -u)"

# 3. a cold neighbour nobody answers: broadcast ARP requests, then drops counted
pc=$tmp/arp.pcap
# (pp-udpgen says what it lost and exits 1: issue 7, defect 5)
out=$("$gen" --nic "pcap:$pc" --neigh none --count 5 --size 18 --linger 3.6 --json 2>"$tmp/arp.err")
check "arp: exit status when everything was lost" 1 "$?"
check "arp: the reason said" 1 "$(grep -c 'neigh stage dropped 5 (neigh_failed)' "$tmp/arp.err")"
check "arp: requests" 3 "$(tl_count "$pc" 'arp.opcode == 1')"
check "arp: fields" "ff:ff:ff:ff:ff:ff 02:70:70:00:00:01 198.18.0.1 198.18.0.2 00:00:00:00:00:00" \
	"$(tl_tshark "$pc" -Y arp -T fields -e eth.dst -e arp.src.hw_mac -e arp.src.proto_ipv4 -e arp.dst.proto_ipv4 -e arp.dst.hw_mac | sort -u | tr '\t' ' ')"
check "arp: no udp sent" 0 "$(tl_count "$pc" 'udp')"
check "arp: drops counted" 5 "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(sum(s["drop_reasons"].get("neigh_failed",0) for s in d["stages"]))' "$out")"
check "arp: no frame leaked" 0 "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["pool_in_use"])' "$out")"

# 4. no route at all: the send fails (-ENETUNREACH), the tool says so, exit 1
"$gen" --nic "pcap:$tmp/nr.pcap" --dst 10.99.0.2:9000 --count 40 >/dev/null 2>"$tmp/nr.err"
check "no route: exit status" 1 "$?"
check "no route: the reason said" 1 "$(grep -c 'Network is unreachable' "$tmp/nr.err")"

exit $fail
