#!/bin/bash
# pktpipe's TCP over AF_XDP with the Linux kernel's own TCP as the peer
# (suite netns, root). Two namespaces joined by a veth pair: pp-tcpsend and
# pp-tcpsink run in pptkA via nsenter (not ip netns exec, which hides bpffs),
# the kernel's TCP sockets (a small python3 peer written into a temp dir) in
# pptkB with veth's default offloads (nothing is changed with ethtool -K).
# Checked:
#  (a) pp-tcpsend -> kernel server, 32 MiB of the pattern: the file the
#      kernel wrote has the pattern's sha256, pp-tcpsend's connection closed
#      cleanly (FIN both ways);
#  (f) half-close: the kernel server reads to our FIN, then sends "done" and
#      closes; pp-tcpsend reads those 4 bytes after its own shutdown(SHUT_WR);
#  (e) a SYN to a pktpipe port nothing listens on gets a RST: the kernel's
#      connect() fails with ECONNREFUSED at once (pp-tcpsink runs meanwhile);
#  (b) kernel client -> pp-tcpsink --verify --out, 32 MiB: sha256 equal, the
#      kernel client reads our FIN after its own;
#  (d) pp-tcpsend --conns 200 of 10 KiB to a kernel server accepting in a
#      loop: every connection clean and byte-exact;
#  (c) (a) and (b) with 8 MiB through 2% random loss in both directions
#      (nftables in pptkB: an inet input chain for what we send, and for what
#      the kernel sends a netdev egress chain on vB, so the segment is lost
#      on the wire after TCP sent it; an inet output chain where the netdev
#      egress hook is missing, where the kernel's TCP sees the drop and
#      resends on its own).
# XDP mode: native (PP_TCPK_MODE=skb for generic XDP; the kernel peer then
# keeps GSO on and sends frames larger than a UMEM frame).
# Every namespace, process and temp file is removed on exit, also on failure.
# Prints "ok: NAME" / "FAIL: NAME: why"; exits 1 on any FAIL, 77 to skip.
# usage: tcp_kernel.sh BUILD_ROOT
set -uo pipefail
build=${1:?build root}
send=$build/tools/pp-tcpsend
sink=$build/tools/pp-tcpsink
PY=/usr/bin/python3 # Debian's, not a pyenv shim: ip netns exec keeps root's PATH
mode=${PP_TCPK_MODE:-native}
if [[ $(id -u) -ne 0 ]]; then echo "SKIP: needs root (namespaces, veth, AF_XDP)"; exit 77; fi
[[ -x $PY ]] || { echo "SKIP: needs $PY"; exit 77; }
for t in nft nsenter sha256sum; do
	command -v $t >/dev/null || { echo "SKIP: needs $t"; exit 77; }
done
[[ -x $send && -x $sink ]] || { echo "FAIL: tools: no $send or $sink"; exit 1; }
# before TCP lands the stack answers PP_SOCK_STREAM with -EPROTONOSUPPORT
probe=$("$sink" --nic null --ip 198.18.0.1/24 --port 9 --seconds 0.1 2>&1)
if grep -q 'has no TCP' <<<"$probe"; then
	echo "SKIP: this build's stack has no TCP (pp_socket(PP_SOCK_STREAM) is not supported)"
	exit 77
fi

A=pptkA B=pptkB
PP_IP=198.18.0.1 K_IP=198.18.0.2
tmp=$(mktemp -d /tmp/pptk.XXXXXX)
bgpids=()
cleanup() {
	local p
	for p in "${bgpids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1: $2"; fail=1; }
check() { # name expected actual
	if [[ "$2" == "$3" ]]; then ok "$1 ($3)"; else bad "$1" "expected '$2', got '$3'"; fi
}
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

ip netns del $A 2>/dev/null
ip netns del $B 2>/dev/null
ip netns add $A && ip netns add $B || { echo "FAIL: setup: ip netns add"; exit 1; }
ip link add vA netns $A type veth peer name vB netns $B || { echo "FAIL: setup: veth"; exit 1; }
for s in "$A vA" "$B vB"; do
	set -- $s
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
	ip -n "$1" link set lo up
	ip -n "$1" link set "$2" up
done
# pktpipe owns $PP_IP on vA (the kernel in A has no address there)
ip -n $B addr add $K_IP/24 dev vB
echo "# kernel peer offloads (defaults): $(ip netns exec $B ethtool -k vB 2>/dev/null |
	grep -E '^(tx-checksumming|tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload):' |
	sed 's/-offload//; s/: /=/' | tr '\n' ' ')"

# The kernel's side: a server that accepts in a loop and a client.
cat >"$tmp/peer.py" <<'EOF'
import argparse, errno, hashlib, socket, sys, time

def pattern(n):
    p = bytes(range(251))
    return (p * (n // 251 + 1))[:n]

def server(a):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.addr, a.port))
    s.listen(128)
    s.settimeout(a.timeout)
    want = hashlib.sha256(open(a.expect, "rb").read()).hexdigest() if a.expect else None
    print("ready", flush=True)
    done = total = eof = good = 0
    for i in range(a.conns):
        try:
            c, _ = s.accept()
        except socket.timeout:
            print("accept: timed out after %d connections" % done, file=sys.stderr)
            break
        c.settimeout(a.timeout)
        h, n = hashlib.sha256(), 0
        f = open(a.out, "wb") if a.out and i == 0 else None
        try:
            while True:
                d = c.recv(1 << 20)
                if not d:
                    break
                h.update(d)
                n += len(d)
                if f:
                    f.write(d)
            # the peer's FIN came: answer after it, then ours (close)
            if a.reply:
                c.sendall(a.reply.encode())
            eof += 1
        except OSError as e:
            print("connection %d: %s after %d bytes" % (i + 1, e, n), file=sys.stderr)
        finally:
            c.close()
            if f:
                f.close()
        done += 1
        total += n
        good += want is not None and h.hexdigest() == want
    print(done, total, eof, good, flush=True)

def client(a):
    data = pattern(a.bytes)
    end = time.monotonic() + a.retry
    while True:  # the pktpipe side may still be starting: refused until it listens
        c = socket.socket()
        c.settimeout(a.timeout)
        try:
            c.connect((a.addr, a.port))
            break
        except ConnectionRefusedError:
            c.close()
            if time.monotonic() > end:
                raise
            time.sleep(0.1)
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    back = 0
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        back += len(d)
    c.close()
    print(len(data), back, "eof", flush=True)

def refused(a):
    c = socket.socket()
    c.settimeout(5)
    t0 = time.monotonic()
    try:
        c.connect((a.addr, a.port))
        r = "connected"
    except ConnectionRefusedError:
        r = "refused"
    except socket.timeout:
        r = "timeout"
    except OSError as e:
        r = errno.errorcode.get(e.errno, str(e))
    print(r, "%.3f" % (time.monotonic() - t0), flush=True)

ap = argparse.ArgumentParser()
ap.add_argument("cmd", choices=["server", "client", "refused", "pattern"])
ap.add_argument("addr", nargs="?")
ap.add_argument("port", type=int, nargs="?")
ap.add_argument("--conns", type=int, default=1)
ap.add_argument("--out")
ap.add_argument("--expect")
ap.add_argument("--reply", default="")
ap.add_argument("--bytes", type=int, default=0)
ap.add_argument("--retry", type=float, default=10)
ap.add_argument("--timeout", type=float, default=60)
a = ap.parse_args()
if a.cmd == "pattern":
    sys.stdout.buffer.write(pattern(a.bytes))
else:
    {"server": server, "client": client, "refused": refused}[a.cmd](a)
EOF
peer() { ip netns exec $B "$PY" "$tmp/peer.py" "$@"; }
jget() { # json key: one key of a JSON object
	"$PY" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2" 2>/dev/null
}
shaof() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }
MiB=$((1 << 20))
for n in $((32 * MiB)) $((8 * MiB)) 10240; do
	"$PY" "$tmp/peer.py" pattern --bytes $n >"$tmp/p$n"
done
nic="afxdp:vA,mode=$mode"

# start_server NAME PORT ARGS...: the kernel server in B, in the background;
# waits for it to listen. Its summary line ends up in $tmp/NAME.srv.
start_server() {
	local name=$1 port=$2 i
	shift 2
	# not through peer(): $! must be the python process (ip netns exec execs it)
	ip netns exec $B "$PY" "$tmp/peer.py" server $K_IP "$port" "$@" >"$tmp/$name.srv" \
		2>"$tmp/$name.srverr" &
	srvpid=$!
	bgpids+=($srvpid)
	for ((i = 0; i < 50; i++)); do
		grep -q ready "$tmp/$name.srv" 2>/dev/null && return 0
		sleep 0.1
	done
	bad "$name" "the kernel server did not start: $(cat "$tmp/$name.srverr")"
	return 1
}
# wait_pid PID SECONDS: wait for it, killing it after SECONDS; its status
wait_pid() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill "$1" 2>/dev/null
	wait "$1"
}
server_summary() { # NAME: "conns bytes eof good" without the ready line
	grep -v ready "$tmp/$1.srv" | tail -n1
}

# send_case NAME BYTES PORT: pp-tcpsend -> kernel server, sha256 and clean close
send_case() {
	local name=$1 n=$2 port=$3 out rc
	start_server "$name" "$port" --out "$tmp/$name.out" --reply done || return
	out=$(timeout 180 nsenter --net=/run/netns/$A "$send" --nic "$nic" --ip $PP_IP/24 \
		--dst $K_IP:"$port" --bytes "$n" --json 2>"$tmp/$name.err")
	rc=$?
	wait_pid "$srvpid" 30
	if ((rc)); then
		bad "$name: pp-tcpsend exit status" "$rc: $(tail -n3 "$tmp/$name.err" | tr '\n' ' ')"
	else
		ok "$name: pp-tcpsend closed cleanly ($(jget "$out" gbps) Gbit/s, retransmits $(jget "$out" retransmits))"
	fi
	check "$name: bytes pp-tcpsend sent" "$n" "$(jget "$out" bytes)"
	check "$name: kernel server conns/bytes/eof" "1 $n 1" "$(server_summary "$name" | cut -d' ' -f1-3)"
	check "$name: sha256 of what the kernel received" "$(shaof "$tmp/p$n")" "$(shaof "$tmp/$name.out")"
	[[ -s $tmp/$name.srverr ]] && echo "# $name: kernel server said: $(head -c 300 "$tmp/$name.srverr")"
	lastsend=$out
}

# sink_case NAME BYTES PORT [refused]: kernel client -> pp-tcpsink --verify --out
sink_case() {
	local name=$1 n=$2 port=$3 got rc pid i
	nsenter --net=/run/netns/$A "$sink" --nic "$nic" --ip $PP_IP/24 --port "$port" --verify \
		--out "$tmp/$name.out" --seconds 150 --json >"$tmp/$name.json" 2>"$tmp/$name.err" &
	pid=$!
	bgpids+=($pid)
	# the stack is up when it answers ping (it then also answers ARP)
	for ((i = 0; i < 100; i++)); do
		ip netns exec $B ping -c1 -W 0.2 $PP_IP >/dev/null 2>&1 && break
		sleep 0.1
	done
	if [[ ${4:-} == refused ]]; then
		# (e): a SYN to a port nothing listens on gets a RST
		got=$(peer refused $PP_IP $((port + 1)))
		check "(e) connect to a closed pktpipe port" refused "${got% *}"
		if [[ ${got% *} == refused ]] && awk -v t="${got#* }" 'BEGIN { exit !(t < 1.0) }'; then
			ok "(e) refused within 1 s (${got#* } s)"
		else
			bad "(e) refused within 1 s" "took ${got#* } s"
		fi
	fi
	got=$(timeout 180 ip netns exec $B "$PY" "$tmp/peer.py" client $PP_IP "$port" --bytes "$n" \
		2>"$tmp/$name.clerr")
	check "$name: kernel client sent/received back/read our FIN" "$n 0 eof" "$got"
	[[ -s $tmp/$name.clerr ]] && echo "# $name: kernel client said: $(tail -n2 "$tmp/$name.clerr" | tr '\n' ' ')"
	wait_pid $pid 30
	rc=$?
	if ((rc)); then
		bad "$name: pp-tcpsink exit status" "$rc: $(tail -n3 "$tmp/$name.err" | tr '\n' ' ')"
	else
		ok "$name: pp-tcpsink verified and closed cleanly ($(jget "$(cat "$tmp/$name.json")" gbps) Gbit/s)"
	fi
	check "$name: bytes pp-tcpsink received" "$n" "$(jget "$(cat "$tmp/$name.json")" bytes)"
	check "$name: sha256 of what pp-tcpsink wrote" "$(shaof "$tmp/p$n")" "$(shaof "$tmp/$name.out")"
}

# (a) and (f)
lastsend=
send_case "(a) pp-tcpsend 32 MiB to the kernel" $((32 * MiB)) 5001
check "(f) half-close: bytes pp-tcpsend read after its shutdown(SHUT_WR)" 4 "$(jget "$lastsend" received)"

# (e) and (b)
sink_case "(b) kernel 32 MiB to pp-tcpsink" $((32 * MiB)) 5002 refused

# (d) 200 connections one after another
name="(d) pp-tcpsend --conns 200 x 10 KiB"
if start_server d 5003 --conns 200 --expect "$tmp/p10240" --timeout 30; then
	out=$(timeout 300 nsenter --net=/run/netns/$A "$send" --nic "$nic" --ip $PP_IP/24 \
		--dst $K_IP:5003 --bytes 10240 --conns 200 --json 2>"$tmp/d.err")
	rc=$?
	wait_pid "$srvpid" 30
	if ((rc)); then
		bad "$name: pp-tcpsend exit status" "$rc: $(tail -n3 "$tmp/d.err" | tr '\n' ' ')"
	else
		ok "$name: all clean ($(jget "$out" conns_per_second) connections/s)"
	fi
	check "$name: clean connections" 200 "$(jget "$out" conns)"
	check "$name: kernel server conns/bytes/eof/byte-exact" "200 $((200 * 10240)) 200 200" "$(server_summary d)"
fi

# (c) 2% loss each way, on the kernel's side
ip netns exec $B nft -f - <<'EOF'
table inet pptest {
	chain input {
		type filter hook input priority 0; policy accept;
		meta l4proto tcp numgen random mod 100 < 2 counter drop
	}
}
EOF
if ip netns exec $B nft -f - 2>/dev/null <<'EOF'; then
table netdev pptest {
	chain egress {
		type filter hook egress device "vB" priority 0; policy accept;
		meta l4proto tcp numgen random mod 100 < 2 counter drop
	}
}
EOF
	echo "# (c): loss on the kernel's input (inet) and on vB's egress (netdev)"
else
	ip netns exec $B nft -f - <<'EOF'
table inet pptest {
	chain output {
		type filter hook output priority 0; policy accept;
		meta l4proto tcp numgen random mod 100 < 2 counter drop
	}
}
EOF
	echo "# (c): loss on the kernel's input and output (inet; no netdev egress hook here)"
fi
if ! ip netns exec $B nft list ruleset | grep -q 'numgen random mod 100'; then
	bad "(c) loss rules" "nft did not take them"
else
	send_case "(c) pp-tcpsend 8 MiB to the kernel, 2% loss each way" $((8 * MiB)) 5004
	sink_case "(c) kernel 8 MiB to pp-tcpsink, 2% loss each way" $((8 * MiB)) 5005
	echo "# (c): segments the rules dropped: $(ip netns exec $B nft list ruleset 2>/dev/null |
		grep -o 'counter packets [0-9]*' | awk '{print $3}' | tr '\n' ' ')"
fi
exit $fail
