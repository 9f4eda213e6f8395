#!/bin/bash
# One TCP connection, pktpipe against the kernel, in one run (root, machine
# idle). Alternates, ROUNDS times (A B A B ...):
#   pktpipe  pp-tcpsend over AF_XDP (native XDP, veth pair, 1 lane on core 0)
#            for SECS seconds into a kernel TCP sink on core 1 (tcp_kpeer
#            sink: 1 MiB reads, discarded; veth's default offloads, which
#            our XDP program turns into no TSO/GSO on the kernel's end); the
#            figure is pp-tcpsend's goodput from connect to the sink's FIN,
#            so every byte counted was read by the sink
#   same sink  the kernel's sender into that same sink (tcp_kpeer send,
#            1 MiB writes, core 0), offloads off on both ends as iperf3's
#            nooffload: the same receiver, so the ratio compares senders
#   kernel   ../shared/peers/tcp_iperf3.sh nooffload SECS and default SECS
#            (iperf3, client on core 0, server on core 1; its receiver-side
#            figure)
# and prints each figure, then pktpipe's median over each kernel variant's
# with the spread of the per-round ratios (min-max).
# Then request/response, ROUNDS times alternated: one connection, RR_COUNT
# round trips of RR_SIZE bytes (64 by default) to a kernel echo server
# (tcp_kpeer server, core 1, TCP_NODELAY): pp-tcpsend --rr on core 0
# against the kernel's client (tcp_kpeer client, core 0); p50 and p99 of each, and
# their medians over the rounds.
# Then connections per second, once (CONNS connections of 1 KiB, each:
# connect, send, shutdown(SHUT_WR), read to FIN, close; the kernel server
# accepts in a loop on core 1): pp-tcpsend --conns on core 0 against the
# kernel's client (tcp_kpeer conns, core 0) doing the same.
# usage: bench/tcp.sh BUILD_DIR [ROUNDS] [SECS]   (CONNS=1000 by default)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:?build dir}
rounds=${2:-3}
secs=${3:-5}
conns=${CONNS:-1000}
send=$build/tools/pp-tcpsend
kp=$build/bench/tcp_kpeer
rr_size=${RR_SIZE:-64}
rr_count=${RR_COUNT:-20000}
PY=/usr/bin/python3
[[ -x $send ]] || { echo "tcp.sh: no $send: build $build first" >&2; exit 1; }
[[ -x $kp ]] || { echo "tcp.sh: no $kp: build $build with -Dbench=true" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "tcp.sh: run as root" >&2; exit 1; }
[[ -x $PY ]] || { echo "tcp.sh: needs $PY" >&2; exit 1; }
command -v iperf3 >/dev/null || { echo "tcp.sh: needs iperf3 (scripts/deps.sh installs it)" >&2; exit 1; }
peers=$(mktemp -d /tmp/pp-peers.XXXXXX)
tmp=$(mktemp -d /tmp/pptk-bench.XXXXXX)
A=pptkbA B=pptkbB
source bench/veth_lib.sh # (the working directory is the repository root)
cleanup() {
	[[ -n ${srvpid:-} ]] && kill "$srvpid" 2>/dev/null
	wait 2>/dev/null
	veth_cleanup
	rm -rf "$peers" "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cp -r ../shared/peers/. "$peers/" && chmod -R u+w "$peers"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

# start_sink N: the kernel sink in B on core 1, accepting N connections
start_sink() { kpeer_start "$tmp/sink.out" "$kp" sink 198.18.0.2 5201 "${1:-1}"; }
stop_sink() { kpeer_stop; }
jkey() { "$PY" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1" 2>/dev/null; }

# ours: Gbit/s of one connection for SECS seconds ("0" and the reason on
# stderr when it failed)
ours() {
	local out
	veth_setup
	start_sink 1 || { echo 0; return; }
	out=$(taskset -c 0 nsenter --net=/run/netns/$A "$send" --nic afxdp:vA --ip 198.18.0.1/24 \
		--dst 198.18.0.2:5201 --seconds "$secs" --json 2>"$tmp/send.err")
	[[ $? -eq 0 ]] || echo "tcp.sh: pp-tcpsend: $(tail -n2 "$tmp/send.err" | tr '\n' ' ')" >&2
	stop_sink
	jkey retransmits <<<"$out" >"$tmp/rtx" || echo "?" >"$tmp/rtx"
	jkey gbps <<<"$out" || echo 0
}
# the kernel's sender into the same sink, offloads off on both ends
same_sink() {
	local out
	veth_setup
	ip -n "$A" addr add 198.18.0.1/24 dev vA
	ip netns exec "$A" ethtool -K vA tso off gso off gro off >/dev/null
	ip netns exec "$B" ethtool -K vB tso off gso off gro off >/dev/null
	start_sink 1 || { echo 0; return; }
	out=$(ip netns exec "$A" taskset -c 0 "$kp" send 198.18.0.2 5201 "$secs")
	stop_sink
	sed -n 's/.*gbps=\([0-9.]*\).*/\1/p' <<<"$out" | grep . || echo 0
}
peer() { # variant: Gbit/s from the last line of tcp_iperf3.sh
	"$peers/tcp_iperf3.sh" "$1" "$secs" 2>&1 | tail -n1 | awk '{print $(NF-1)}'
}

gov=$(cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor 2>/dev/null || echo none)
echo "# $(date -u '+%F %H:%M') UTC, $(uname -r), $(nproc) cpus, governor $gov, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# build: $build ($(git rev-parse --short HEAD)), $rounds rounds, $secs s a run, one connection"
declare -A R
for ((i = 0; i < rounds; i++)); do
	R[pp,$i]=$(ours)
	rtx=$(cat "$tmp/rtx")
	R[same,$i]=$(same_sink)
	R[noof,$i]=$(peer nooffload)
	R[def,$i]=$(peer default)
	echo "tcp round $i: pktpipe ${R[pp,$i]} Gbit/s ($rtx retransmits), kernel into the same sink ${R[same,$i]}," \
		"kernel iperf3 nooffload ${R[noof,$i]}, default ${R[def,$i]}"
done
for ((i = 0; i < rounds; i++)); do echo "${R[pp,$i]} ${R[noof,$i]} ${R[def,$i]} ${R[same,$i]}"; done | "$PY" -c '
import sys, statistics as s
rows = [tuple(float(x or 0) for x in l.split()) for l in sys.stdin if l.strip()]
pp = [r[0] for r in rows]
line = "tcp 1 connection: pktpipe median %.3f Gbit/s" % s.median(pp)
for k, name in ((3, "kernel_same_sink"), (1, "kernel_nooffload"), (2, "kernel_default")):
    q = sorted(r[0] / r[k] for r in rows if r[k] > 0)
    line += "; %s median %.3f" % (name, s.median([r[k] for r in rows]))
    if q:
        line += ", pktpipe/%s %.2fx (%.2f-%.2f)" % (name, s.median(q), q[0], q[-1])
print(line)'

# request/response: "p50 p99" of each side, rounds alternated
start_echo() { kpeer_start "$tmp/echo.out" "$kp" server 198.18.0.2 5202 1; }
rr_ours() {
	local out
	veth_setup
	start_echo || { echo "0 0"; return; }
	out=$(taskset -c 0 nsenter --net=/run/netns/$A "$send" --nic afxdp:vA --ip 198.18.0.1/24 \
		--dst 198.18.0.2:5202 --rr "$rr_size" --count "$rr_count" --json 2>"$tmp/send.err")
	[[ $? -eq 0 ]] || echo "tcp.sh: pp-tcpsend --rr: $(tail -n2 "$tmp/send.err" | tr '\n' ' ')" >&2
	stop_sink
	"$PY" -c 'import json,sys; r=json.load(sys.stdin)["rr"]; print(r["p50_us"], r["p99_us"])' \
		<<<"$out" 2>/dev/null || echo "0 0"
}
rr_kernel() {
	local out
	veth_setup
	ip -n "$A" addr add 198.18.0.1/24 dev vA
	start_echo || { echo "0 0"; return; }
	out=$(ip netns exec "$A" taskset -c 0 "$kp" client 198.18.0.2 5202 "$rr_count" "$rr_size")
	stop_sink
	sed -n 's/.*p50_us=\([0-9.]*\) p99_us=\([0-9.]*\).*/\1 \2/p' <<<"$out" | grep . || echo "0 0"
}
for ((i = 0; i < rounds; i++)); do
	R[rpp,$i]=$(rr_ours)
	R[rk,$i]=$(rr_kernel)
	echo "rr round $i ($rr_size B, p50 p99 us): pktpipe ${R[rpp,$i]}, kernel ${R[rk,$i]}"
done
for ((i = 0; i < rounds; i++)); do echo "${R[rpp,$i]} ${R[rk,$i]}"; done | "$PY" -c '
import sys, statistics as s
rows = [tuple(float(x) for x in l.split()) for l in sys.stdin if l.strip()]
m = [s.median(r[k] for r in rows) for k in range(4)]
print("rr %s B round trip: pktpipe p50 %.1f us p99 %.1f us; kernel p50 %.1f us p99 %.1f us; "
      "pktpipe/kernel p50 %.2fx p99 %.2fx (lower is better)"
      % (sys.argv[1], m[0], m[1], m[2], m[3], m[0] / m[2] if m[2] else 0, m[1] / m[3] if m[3] else 0))' "$rr_size"

# connections per second
veth_setup
if start_sink "$conns"; then
	out=$(taskset -c 0 nsenter --net=/run/netns/$A "$send" --nic afxdp:vA --ip 198.18.0.1/24 \
		--dst 198.18.0.2:5201 --bytes 1024 --conns "$conns" --json 2>"$tmp/send.err")
	[[ $? -eq 0 ]] || echo "tcp.sh: pp-tcpsend --conns: $(tail -n2 "$tmp/send.err" | tr '\n' ' ')" >&2
	cps_pp=$(jkey conns_per_second <<<"$out")
	stop_sink
fi
veth_setup
ip -n "$A" addr add 198.18.0.1/24 dev vA
if start_sink "$conns"; then
	cps_k=$(ip netns exec "$A" taskset -c 0 "$kp" conns 198.18.0.2 5201 "$conns" 1024 |
		sed -n 's/.*cps=\([0-9.]*\).*/\1/p')
	stop_sink
fi
echo "cps ($conns x 1 KiB, connect..FIN both ways): pktpipe ${cps_pp:-0}/s, kernel ${cps_k:-0}/s; pktpipe/kernel $(
	awk -v a="${cps_pp:-0}" -v b="${cps_k:-0}" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')"
