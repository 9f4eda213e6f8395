#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gen_corpus.py - write the seed corpora of the fuzz targets
(tests/fuzz/corpus/<target>/), so that they are reproducible and reviewable:
each seed is one case the target's input format can say (see the comment at
the top of fuzz_<target>.c for the format). Run it from anywhere; it
replaces the three corpus directories.

    python3 tests/fuzz/gen_corpus.py
"""
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

OUR_MAC = bytes([0x02, 0x70, 0x70, 0x00, 0x00, 0x01])  # the null NIC's
PEER_MAC = bytes([0x02, 0x00, 0x00, 0x00, 0x00, 0x22])
OTHER_MAC = bytes([0x02, 0x00, 0x00, 0x00, 0x00, 0x44])
BCAST = b"\xff" * 6


def ip(s):
    return bytes(int(x) for x in s.split("."))


OUR_IP = ip("10.0.0.1")
PEER = ip("10.0.0.2")
PEER5 = ip("10.0.0.5")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(dst, etype, payload, src=PEER_MAC):
    return dst + src + struct.pack("!H", etype) + payload


def ipv4(proto, payload, src=PEER, dst=OUR_IP, ident=1, frag=0, opts=b"", tot=None, ttl=64,
         bad_csum=False):
    ihl = 20 + len(opts)
    if tot is None:
        tot = ihl + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl // 4, 0, tot, ident, frag, ttl, proto, 0, src, dst)
    h += opts
    c = csum(h)
    if bad_csum:
        c ^= 0x5555
    h = h[:10] + struct.pack("!H", c) + h[12:]
    return h + payload


def udp(sport, dport, data, src=PEER, dst=OUR_IP, with_csum=True, bad=False):
    ln = 8 + len(data)
    u = struct.pack("!HHHH", sport, dport, ln, 0) + data
    if with_csum:
        pseudo = src + dst + struct.pack("!BBH", 0, 17, ln)
        c = csum(pseudo + u) or 0xFFFF
        if bad:
            c ^= 0x1111
        u = u[:6] + struct.pack("!H", c) + u[8:]
    return u


def icmp(typ, code, rest, data):
    m = struct.pack("!BBH", typ, code, 0) + rest + data
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + sha + spa + tha + tpa


def pat(n, seed=0):
    return bytes(((k * 13 + seed * 7 + 5) & 0xFF) for k in range(n))


def udp_frame(dport=7000, n=32, dst=OUR_IP, mac=OUR_MAC, **kw):
    return eth(mac, 0x0800, ipv4(17, udp(5555, dport, pat(n), dst=dst), dst=dst, **kw))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- rx: frames (op < 0xe0: u16 length + bytes; bit 0 ends the burst,
# bits 1-2 have the harness fix the IPv4 and UDP/ICMP checksums) ----

def F(frame, flush=True, fix=6):
    """@fix: 6 both checksums, 2 the IPv4 header's only, 0 none."""
    op = (0x01 if flush else 0x00) | (fix or 0)
    return bytes([op]) + struct.pack("!H", len(frame)) + frame


def CLOCK(sel):
    return bytes([0xE0 | sel])


RECV = b"\xf0"
RUN = b"\xf4"


def SEND(host, len8, sock=0):
    return bytes([0xF8 | sock, host, len8])


def fragments(proto, payload, cuts, ident, src=PEER, dst=OUR_IP, mac=OUR_MAC):
    """IPv4 fragments of @payload cut at the (offset, length) pairs given."""
    out = []
    for off, ln in cuts:
        mf = 0x2000 if off + ln < len(payload) else 0
        out.append(eth(mac, 0x0800, ipv4(proto, payload[off:off + ln], src=src, dst=dst,
                                         ident=ident, frag=mf | off // 8)))
    return out


def rx_seeds():
    s = {}
    # the peer asks for us first, so that we know it and replies to it go out
    learn = F(eth(BCAST, 0x0806, arp(1, PEER_MAC, PEER, b"\0" * 6, OUR_IP) + b"\0" * 18))
    s["udp_small"] = F(udp_frame(n=1)) + RECV
    s["udp_full_mtu"] = F(udp_frame(n=1472)) + RECV
    s["udp_empty_padded"] = F(udp_frame(n=0) + b"\xee" * 18)
    s["udp_no_csum"] = F(eth(OUR_MAC, 0x0800, ipv4(17, udp(5555, 7001, pat(20), with_csum=False))), fix=2)
    s["udp_bad_csum"] = F(eth(OUR_MAC, 0x0800, ipv4(17, udp(5555, 7000, pat(20), bad=True))), fix=0)
    s["udp_closed_port"] = F(udp_frame(dport=9999, n=40))
    s["udp_broadcast"] = F(udp_frame(n=8, dst=ip("255.255.255.255"), mac=BCAST)) + \
        F(udp_frame(n=8, dst=ip("10.0.0.255"), mac=BCAST)) + \
        F(udp_frame(dport=4444, n=8, dst=ip("10.0.0.255"), mac=BCAST))
    s["udp_ulen_short"] = F(eth(OUR_MAC, 0x0800, ipv4(17, udp(5555, 7000, pat(30))[:4] +
                                                      struct.pack("!H", 20) + b"\0\0" + pat(30))))
    s["ip_options"] = F(eth(OUR_MAC, 0x0800, ipv4(17, udp(5555, 7000, pat(50)), opts=b"\x01" * 8)))
    s["ip_bad_csum"] = F(udp_frame(bad_csum=True), fix=0)
    s["ip_tot_len_long"] = F(udp_frame(n=10, tot=200))
    s["ip_ttl0"] = F(udp_frame(n=10, ttl=0))
    s["ip_martian"] = F(udp_frame(src=ip("127.0.0.1"))) + F(udp_frame(src=ip("224.0.0.1"))) + \
        F(udp_frame(src=OUR_IP))
    s["ip_not_for_us"] = F(udp_frame(dst=ip("10.0.0.77"))) + F(udp_frame(mac=OTHER_MAC))
    s["ip_unknown_proto"] = F(eth(OUR_MAC, 0x0800, ipv4(6, pat(40))))
    s["short_frames"] = F(b"") + F(OUR_MAC + PEER_MAC) + F(eth(OUR_MAC, 0x0800, b"\x45\x00")) + \
        F(eth(OUR_MAC, 0x0806, b"\x00\x01"))
    s["vlan_ipv6"] = F(eth(OUR_MAC, 0x8100, b"\x00\x05\x08\x00" + ipv4(17, udp(1, 7000, b"x")))) + \
        F(eth(OUR_MAC, 0x86DD, pat(60)))
    echo = icmp(8, 0, struct.pack("!HH", 0x1234, 1), pat(56))
    s["icmp_echo"] = F(eth(OUR_MAC, 0x0800, ipv4(1, echo))) + CLOCK(4)
    s["icmp_echo_known_peer"] = learn + F(eth(OUR_MAC, 0x0800, ipv4(1, echo, opts=b"\x01" * 4))) + RUN
    s["icmp_echo_bcast"] = F(eth(BCAST, 0x0800, ipv4(1, echo, dst=ip("10.0.0.255"))))
    s["icmp_other"] = F(eth(OUR_MAC, 0x0800, ipv4(1, icmp(3, 3, b"\0\0\0\0", pat(28))))) + \
        F(eth(OUR_MAC, 0x0800, ipv4(1, b"\x08\x00")))
    big_echo = icmp(8, 0, struct.pack("!HH", 0x99, 2), pat(3000))
    s["icmp_echo_fragmented"] = b"".join(
        F(f, flush=False) for f in fragments(1, big_echo, [(0, 1480), (1480, 1480), (2960, 48)], 77)) + \
        RUN + CLOCK(5)
    jumbo = icmp(8, 0, struct.pack("!HH", 0x99, 3), pat(9000))
    s["icmp_echo_9000"] = learn + b"".join(
        F(f, flush=False) for f in fragments(1, jumbo, [(o, min(1480, len(jumbo) - o))
                                                        for o in range(0, len(jumbo), 1480)], 78)) + RUN
    tiny = icmp(8, 0, struct.pack("!HH", 0x99, 4), pat(40))
    s["icmp_echo_tiny_frags"] = learn + b"".join(
        F(f, flush=False) for f in fragments(1, tiny, [(16, 16), (0, 16), (32, 16)], 79)) + RUN
    dg = udp(5555, 7000, pat(3000))
    cuts = [(2960, len(dg) - 2960), (1480, 1480), (0, 1480)]
    s["frag_reverse"] = b"".join(F(f, flush=False) for f in fragments(17, dg, cuts, 0x4242)) + RECV
    s["frag_in_order_bursts"] = b"".join(F(f) for f in fragments(17, dg, sorted(cuts), 0x4243)) + RECV
    s["frag_overlap"] = b"".join(F(f) for f in fragments(17, dg, [(0, 1480), (1472, 1480),
                                                                  (2952, len(dg) - 2952)], 0x4244))
    s["frag_duplicate"] = b"".join(F(f) for f in fragments(17, dg, [(0, 1480), (0, 1480),
                                                                    (1480, 1480), (2960, 48)], 0x4245))
    s["frag_timeout"] = b"".join(F(f) for f in fragments(17, dg, [(0, 1480)], 0x4246)) + \
        CLOCK(12) + CLOCK(14) + b"".join(F(f) for f in fragments(17, dg, [(1480, 1480)], 0x4246))
    s["frag_unknown_proto"] = b"".join(F(f) for f in fragments(6, pat(3000), [(0, 1480), (1480, 1520)], 9))
    s["frag_closed_port"] = b"".join(F(f) for f in fragments(17, udp(5555, 9, pat(2000)),
                                                             [(1480, 528), (0, 1480)], 0x77))
    s["arp_request"] = F(eth(BCAST, 0x0806, arp(1, PEER_MAC, PEER, b"\0" * 6, OUR_IP) + b"\0" * 18))
    s["arp_reply"] = SEND(5, 4) + F(eth(OUR_MAC, 0x0806, arp(2, PEER_MAC, PEER5, OUR_MAC, OUR_IP)))
    s["arp_gratuitous"] = F(eth(BCAST, 0x0806, arp(1, OTHER_MAC, PEER, b"\0" * 6, PEER)))
    s["send_unresolved"] = SEND(6, 10) + SEND(6, 10, 1) + CLOCK(5) + CLOCK(5) + CLOCK(5) + CLOCK(5)
    s["send_gateway"] = SEND(0x90, 100) + RUN + \
        F(eth(OUR_MAC, 0x0806, arp(2, PEER_MAC, PEER, OUR_MAC, OUR_IP))) + RUN
    s["send_static"] = SEND(9, 1) + SEND(255, 0) + SEND(1, 1)
    mixed = b""
    for i in range(40):
        f = udp_frame(n=i)
        if i % 4 == 1:
            f = f[:24] + bytes([f[24] ^ 0xFF]) + f[25:]
        elif i % 4 == 2:
            f = OTHER_MAC + f[6:]
        mixed += F(f, flush=False, fix=0)
    s["mixed_burst"] = mixed + RECV
    s["rcvq_many"] = b"".join(F(udp_frame(n=8), flush=False) for _ in range(64))
    for k, v in s.items():
        write("rx", k, v)


# ---- reasm: cfg byte, then fragments (op, u16 frag_off, u16 length) ----

def FR(fo_units, length, mf=True, ident=0, src=0, proto=0, opts=False, df=False):
    op = (ident & 7) | (src & 1) << 3 | (proto & 3) << 4
    if opts:
        op |= 0xC0 | 0x40  # 24-byte header (only ops 0xc0.. with bit 6)
        op &= 0xEF  # stay below 0xf0 (clock ops): protocol UDP or ICMP
    fo = (fo_units & 0x1FFF) | (0x2000 if mf else 0) | (0x4000 if df else 0)
    return bytes([op]) + struct.pack("!HH", fo, length)


def RCLOCK(sel, tick=True):
    return bytes([0xF0 | (sel & 14) | (1 if tick else 0)])


def reasm_seeds():
    s = {}
    base = bytes([0x0B])  # default max, 30 s
    s["in_order"] = base + FR(0, 1480) + FR(185, 1480) + FR(370, 100, mf=False)
    s["reverse"] = base + FR(370, 100, mf=False) + FR(185, 1480) + FR(0, 1480)
    s["shuffled_two_ids"] = base + FR(185, 800, ident=1) + FR(100, 600, mf=False, ident=2) + \
        FR(0, 1480, ident=1) + FR(0, 800, ident=2) + FR(285, 16, mf=False, ident=1)
    s["overlap"] = base + FR(0, 1480) + FR(184, 1480) + FR(369, 100, mf=False)
    s["duplicate"] = base + FR(0, 1480) + FR(0, 1480) + FR(185, 8, mf=False)
    s["trim_non_last"] = base + FR(0, 1001) + FR(125, 50, mf=False)
    s["zero_length"] = base + FR(10, 0) + FR(0, 80) + FR(10, 0, mf=False)
    s["last_inconsistent"] = base + FR(50, 80, mf=False) + FR(40, 80, mf=False) + FR(0, 400)
    s["beyond_end"] = base + FR(10, 80, mf=False) + FR(20, 80)
    s["not_a_fragment"] = base + FR(0, 64, mf=False) + FR(0, 64, mf=False, df=True)
    s["options_first"] = base + FR(60, 100, mf=False, opts=True) + FR(0, 480, opts=True)
    s["protocols"] = base + FR(0, 16, proto=1) + FR(2, 16, mf=False, proto=1) + \
        FR(0, 16, proto=2) + FR(0, 16, proto=3, src=1)
    # 65535 exactly: 20 + 65515 (44 fragments of 1480 + one of 395)
    big = base + b"".join(FR(i * 185, 1480) for i in range(44)) + FR(44 * 185, 395, mf=False)
    s["max_datagram"] = big
    s["too_big"] = base + FR(8190, 100, mf=False) + FR(0, 1480)
    s["too_big_options"] = base + FR(8187, 8, mf=False) + FR(0, 16, opts=True)
    s["evict_small_table"] = bytes([0x08]) + FR(0, 1480, ident=1) + FR(0, 1480, ident=2) + \
        FR(0, 1480, ident=3) + FR(185, 8, mf=False, ident=3) + FR(185, 8, mf=False, ident=1)
    s["per_datagram_cap"] = bytes([0x09]) + b"".join(FR(i * 185, 1480) for i in range(6))
    s["timeout"] = bytes([0x00]) + FR(0, 800) + RCLOCK(4) + RCLOCK(6) + FR(100, 8, mf=False)
    s["timeout_by_add"] = bytes([0x04]) + FR(0, 800, ident=1) + RCLOCK(7, tick=False) + \
        RCLOCK(10, tick=False) + FR(0, 800, ident=2)
    s["destroy_held"] = bytes([0x1B]) + FR(0, 800, ident=1) + FR(0, 800, ident=2, src=1)
    s["two_sources"] = base + FR(0, 64, src=0) + FR(0, 64, src=1) + FR(8, 8, mf=False, src=1) + \
        FR(8, 8, mf=False, src=0)
    s["short_input"] = bytes([0x03])
    for k, v in s.items():
        write("reasm", k, v)


# ---- arp: ops (kind = op & 7) ----

def A(sender, target=0, op=0, ver=0, dst=0, other=0, pad=True, flush=True):
    """ARP frame: @op 0 request, 1 reply, 3 bad; @target 0 us, 1 gratuitous,
    2 other host (@other), 3 probe for us, 4 probe other, 5 us with tha,
    6 off-link, 7 broadcast; @dst 0 bcast, 1 us, 2 other host."""
    o = 0 | (0x08 if flush else 0) | (0x10 if pad else 0)
    a = (sender & 15) | (ver & 3) << 4 | (dst & 3) << 6
    b = (op & 3) | (target & 7) << 2 | (other & 7) << 5
    return bytes([o, a, b])


def ASEND(sender, hundreds=1):
    return bytes([2, (sender & 15) | (hundreds & 15) << 4])


def ACLOCK(sel):
    return bytes([3 | (sel & 31) << 3])


def ARAW(frame):
    return bytes([4, len(frame)]) + frame


def ASTATIC(sender, ver=0, delete=False):
    return bytes([5 | (0x08 if delete else 0), (sender & 15) | (ver & 3) << 4])


def AUPDATE(sender, ver=0):
    return bytes([6, (sender & 15) | (ver & 3) << 4])


ARUN = b"\x07"
REPLY_TO_US = dict(op=1, dst=1, target=5)


def arp_seeds():
    s = {}
    s["request_then_send"] = A(0) + ASEND(0) + ARUN
    s["send_then_reply"] = ASEND(1) + ASEND(1, 3) + A(1, **REPLY_TO_US) + ARUN
    s["send_failed"] = ASEND(2) + ACLOCK(6) + ACLOCK(6) + ACLOCK(6) + ACLOCK(6) + ASEND(2) + \
        ACLOCK(6) + ARUN + ASEND(2)
    s["reachable_to_stale"] = ASEND(3) + A(3, **REPLY_TO_US) + ACLOCK(13) + ACLOCK(14) + ARUN + ASEND(3)
    s["mac_change_gratuitous"] = ASEND(4) + A(4, **REPLY_TO_US) + A(4, target=1, ver=1) + \
        A(4, target=1, ver=2, op=1) + ASEND(4)
    s["static_ignores_arp"] = A(7, ver=3) + A(7, **REPLY_TO_US) + A(7, target=1, ver=2) + ASEND(7)
    s["static_add_del"] = ASEND(5) + ASTATIC(5, ver=1) + ARUN + A(5, ver=2) + ASTATIC(5, delete=True) + \
        ASEND(5) + ASTATIC(7, delete=True) + ASEND(7) + ASTATIC(7, ver=2)
    s["probes"] = A(0, target=3) + A(1, target=4, other=2) + A(2, target=3, op=1)
    s["not_for_us"] = A(0, target=2, other=3) + A(1, target=2, other=0, op=1) + \
        A(2, dst=2) + A(3, op=1, dst=2, target=5)
    s["bogus_senders"] = A(12) + A(13) + A(14) + A(15) + A(0, target=7) + A(0, target=6) + A(0, op=3)
    s["api_update"] = ASEND(6) + AUPDATE(6, ver=1) + ARUN + AUPDATE(7) + AUPDATE(11, ver=2)
    s["gateway"] = ASEND(13, 5) + ASEND(14) + A(0, **REPLY_TO_US) + ARUN
    s["unpadded"] = A(0, pad=False) + A(1, pad=False, **REPLY_TO_US)
    s["burst"] = b"".join(A(i % 12, flush=False, target=i % 3) for i in range(30)) + ARUN
    s["raw_malformed"] = ARAW(eth(BCAST, 0x0806, arp(1, PEER_MAC, PEER, b"\0" * 6, OUR_IP)[:20])) + \
        ARAW(eth(BCAST, 0x0806, struct.pack("!HHBBH", 1, 0x0800, 8, 4, 1) + b"\x02" * 24)) + \
        ARAW(eth(BCAST, 0x0806, struct.pack("!HHBBH", 6, 0x0800, 6, 4, 1) + b"\x02" * 20))
    s["queue_many"] = b"".join(ASEND(8, 14) for _ in range(20)) + A(8, **REPLY_TO_US) + ARUN
    s["all_senders_send"] = b"".join(ASEND(i) for i in range(16)) + ACLOCK(7) + ACLOCK(7) + \
        b"".join(A(i, **REPLY_TO_US) for i in range(16))
    for k, v in s.items():
        write("arp", k, v)


# ---- tcpopt: u8 flags (bit 0: SYN), then the option bytes ----

def TS(val, ecr):
    return struct.pack("!BBII", 8, 10, val, ecr)


def SACK(*blocks):
    return bytes([5, 2 + 8 * len(blocks)]) + b"".join(struct.pack("!II", a, b) for a, b in blocks)


def tcpopt_seeds():
    syn = bytes([1])
    est = bytes([0])
    mss = bytes([2, 4, 0x05, 0xB4])
    # what Linux 6.x puts in a SYN: mss 1460,sackOK,TS,nop,wscale 7
    linux_syn = mss + bytes([4, 2]) + TS(0x12345678, 0) + bytes([1, 3, 3, 7])
    assert len(linux_syn) == 20
    write("tcpopt", "linux_syn", syn + linux_syn)
    write("tcpopt", "linux_syn_on_ack", est + linux_syn)
    write("tcpopt", "syn_no_ts", syn + mss + bytes([1, 1, 4, 2, 1, 3, 3, 7]))
    write("tcpopt", "ts_only", est + bytes([1, 1]) + TS(1, 2))
    write("tcpopt", "ts_sack3", est + bytes([1, 1]) + TS(7, 8) + bytes([1, 1]) +
          SACK((10, 20), (30, 40), (0xFFFFFFF0, 5)))
    write("tcpopt", "sack4", est + bytes([1, 1]) + SACK((1, 2), (3, 4), (5, 6), (7, 8)))
    write("tcpopt", "sack_bad_len", est + bytes([5, 9]) + bytes(7))
    write("tcpopt", "wscale_15", syn + bytes([1, 3, 3, 15]))
    write("tcpopt", "size0", syn + bytes([8, 0]) + bytes(8))
    write("tcpopt", "size1", syn + bytes([30, 1]) + mss)
    write("tcpopt", "past_end", syn + mss + bytes([8, 10, 0, 0]))
    write("tcpopt", "kind_no_len", syn + bytes([1, 1, 2]))
    write("tcpopt", "eol_mid", syn + mss + bytes([0, 1, 3, 3, 7]))
    write("tcpopt", "nops_40", syn + bytes([1]) * 40)
    write("tcpopt", "too_long_41", syn + bytes([1]) * 41)
    write("tcpopt", "dup_mss", syn + mss + bytes([2, 4, 2, 0x18]))
    write("tcpopt", "unknown_kinds", syn + bytes([30, 4, 0, 0, 34, 2, 254, 6, 0xF9, 0x89, 0, 0]) + mss)


# ---- regressions: inputs that showed a defect in src/ when the fuzzers
# came (issue 7), replayed with the seeds ever since ----

def regression_inputs():
    # 40 fragments of 8 bytes (MF, offsets 0, 8, ...) of a datagram that
    # never completes: reassembly held 40 frames (80 KiB, each charged its
    # whole frame) of a lane of 256 frames, whose share (defaults.h, 1/8) is
    # 32 frames (64 KiB); now evicted oldest first within the share
    big = udp(5555, 7000, pat(400))
    frags = fragments(17, big, [(i * 8, 8) for i in range(40)], 0x5151)
    write("rx", "regress-reasm-over-share", b"".join(F(x, flush=False) for x in frags))
    # any input: the settle step runs pp__neigh_tick(), whose
    # cds_lfht_for_each_entry() computed container_of(NULL) at the end of
    # its walk (clang UBSan: applying zero offset to null pointer)
    write("rx", "regress-neigh-tick-null-offset", RUN)


def main():
    for t in ("rx", "reasm", "arp", "tcpopt"):
        shutil.rmtree(os.path.join(HERE, "corpus", t), ignore_errors=True)
    rx_seeds()
    reasm_seeds()
    arp_seeds()
    tcpopt_seeds()
    regression_inputs()


if __name__ == "__main__":
    main()
