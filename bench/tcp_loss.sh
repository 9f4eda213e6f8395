#!/bin/bash
# One TCP connection through random loss on both directions of a veth pair,
# pktpipe against the kernel, in one run (root, machine idle). For each loss
# rate in LOSSES (percent, "1 3" by default), ROUNDS times alternated:
#   pktpipe  pp-tcpsend over AF_XDP (vA, core 0) for SECS seconds into a
#            kernel sink (bench/tcp_kpeer sink, vB's namespace, core 1)
#   kernel   the kernel's sender (tcp_kpeer send, core 0) into the same
#            sink, offloads off on both ends (as iperf3's nooffload)
# The loss is nftables on the peer's side, as tests/tcp_kernel.sh makes it:
# `numgen random mod 100 < P` drops on vB's inet input (what the sender
# sends) and on vB's netdev egress (the ACKs). Figures are goodput from
# connect to the sink's FIN; the last lines give pktpipe's median over the
# kernel's with the spread of the per-round ratios.
# usage: bench/tcp_loss.sh BUILD_DIR [ROUNDS] [SECS]   (LOSSES="1 3")
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:?build dir}
rounds=${2:-3}
secs=${3:-5}
losses=${LOSSES:-1 3}
send=$build/tools/pp-tcpsend
kp=$build/bench/tcp_kpeer
PY=/usr/bin/python3
[[ -x $send && -x $kp ]] || { echo "tcp_loss.sh: build $build (with -Dbench=true) first" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "tcp_loss.sh: run as root" >&2; exit 1; }
command -v nft >/dev/null || { echo "tcp_loss.sh: needs nft (scripts/deps.sh installs it)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/pptk-bench.XXXXXX)
A=pptkbA B=pptkbB
source bench/veth_lib.sh
cleanup() {
	[[ -n ${srvpid:-} ]] && kill "$srvpid" 2>/dev/null
	wait 2>/dev/null
	veth_cleanup
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

lossy() { # PERCENT: a fresh pair with the loss rules on B's side
	veth_setup
	ip netns exec "$B" nft -f - <<NFT
table inet pploss {
	chain input {
		type filter hook input priority 0; policy accept;
		meta l4proto tcp numgen random mod 100 < $1 drop
	}
}
table netdev pploss {
	chain egress {
		type filter hook egress device "vB" priority 0; policy accept;
		meta l4proto tcp numgen random mod 100 < $1 drop
	}
}
NFT
}
start_sink() { kpeer_start "$tmp/sink.out" "$kp" sink 198.18.0.2 5201 "${1:-1}"; }
stop_sink() { kpeer_stop; }
ours() { # PERCENT -> "Gbit/s retransmits rto"
	local out
	lossy "$1"
	start_sink || { echo "0 0 0"; return; }
	out=$(taskset -c 0 nsenter --net=/run/netns/$A "$send" --nic afxdp:vA --ip 198.18.0.1/24 \
		--dst 198.18.0.2:5201 --seconds "$secs" --timeout 30 --json 2>"$tmp/send.err")
	[[ $? -eq 0 ]] || echo "tcp_loss.sh: pp-tcpsend: $(tail -n2 "$tmp/send.err" | tr '\n' ' ')" >&2
	stop_sink
	"$PY" -c 'import json,sys; j=json.load(sys.stdin); print(j["gbps"], j["retransmits"], j["rto"])' \
		<<<"$out" 2>/dev/null || echo "0 0 0"
}
kernel() { # PERCENT -> Gbit/s
	local out
	lossy "$1"
	ip -n "$A" addr add 198.18.0.1/24 dev vA
	ip netns exec "$A" ethtool -K vA tso off gso off gro off >/dev/null
	ip netns exec "$B" ethtool -K vB tso off gso off gro off >/dev/null
	start_sink || { echo 0; return; }
	out=$(ip netns exec "$A" taskset -c 0 "$kp" send 198.18.0.2 5201 "$secs")
	stop_sink
	sed -n 's/.*gbps=\([0-9.]*\).*/\1/p' <<<"$out" | grep . || echo 0
}

echo "# $(date -u '+%F %H:%M') UTC, $(uname -r), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# build: $build ($(git rev-parse --short HEAD)), $rounds rounds, $secs s a run, losses: $losses %"
for p in $losses; do
	: >"$tmp/rows"
	for ((i = 0; i < rounds; i++)); do
		read -r g rtx rto <<<"$(ours "$p")"
		k=$(kernel "$p")
		echo "loss $p% round $i: pktpipe $g Gbit/s ($rtx retransmits, $rto RTOs), kernel $k"
		echo "$g $k" >>"$tmp/rows"
	done
	"$PY" -c '
import sys, statistics as s
rows = [tuple(float(x) for x in l.split()) for l in open(sys.argv[2]) if l.strip()]
q = sorted(a / b for a, b in rows if b > 0)
print("tcp through %s%% loss each way: pktpipe median %.3f Gbit/s, kernel %.3f; pktpipe/kernel %.2fx (%.2f-%.2f)"
      % (sys.argv[1], s.median(r[0] for r in rows), s.median(r[1] for r in rows),
         s.median(q) if q else 0, q[0] if q else 0, q[-1] if q else 0))' "$p" "$tmp/rows"
done
