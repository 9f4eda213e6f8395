/* SPDX-License-Identifier: MIT */
/*
 * defaults.h (internal) - every limit and kernel default the proto layer
 * uses, in one place, each with the kernel knob it mirrors. A number that
 * bounds what a lane holds, how big a table grows or how often something may
 * happen is defined here and nowhere else; code reads it from here (constant
 * sizes of arrays) or from the stack's struct pp_limits (st->lim, what the
 * application may change through struct pp_stack_opts), filled once by
 * pp__limits_init() at pp_stack_create(). Structural constants that are no
 * limit (route trie bits, timer wheel levels, ring geometry) stay with their
 * code.
 *
 * What a remote sender can make a lane hold: every such hold is bounded in
 * bytes, charged by truesize (whole frames, pp_skb_truesize() summed over a
 * chain), and the bounds of one lane's holds add up to at most half of the
 * lane's frame bytes, so that sending, ARP and ping always find frames
 * whatever a host on the link sends:
 *
 *   hold (per lane)                         kernel knob          share
 *   --------------------------------------  -------------------  -----
 *   IPv4 reassembly queues                  ipfrag_high_thresh   1/8
 *   neighbour pending queues, all entries   unres_qlen_bytes     1/8
 *   socket receive queues this lane feeds   udp_mem              1/4
 *   ICMP errors                             icmp_ratelimit       rate-limited, never held
 *
 * Within its share a hold keeps the kernel's own per-object bound (per
 * socket sk_rcvbuf, per neighbour entry unres_qlen_bytes).
 */
#ifndef PP_PROTO_DEFAULTS_H
#define PP_PROTO_DEFAULTS_H

#include <assert.h>
#include <stdint.h>

#include <pktpipe/skb.h>

struct pp_stack_opts;

/* ---- shares of a lane's frame bytes, as divisors ------------------------- */

#define PP_HOLD_REASM_DIV 8
#define PP_HOLD_NEIGH_DIV 8
#define PP_HOLD_RCV_DIV 4
static_assert(2 * (PP_HOLD_REASM_DIV * PP_HOLD_NEIGH_DIV + PP_HOLD_REASM_DIV * PP_HOLD_RCV_DIV +
		   PP_HOLD_NEIGH_DIV * PP_HOLD_RCV_DIV) <=
		      PP_HOLD_REASM_DIV * PP_HOLD_NEIGH_DIV * PP_HOLD_RCV_DIV,
	      "what the wire can make a lane hold stays within half of its frames");

/* pp__hold_share() - bytes of a lane with @frames frames of @frame_size
 * bytes that one hold of share 1/@div may take. */
static inline uint64_t pp__hold_share(uint32_t frames, uint32_t frame_size, unsigned int div)
{
	return (uint64_t)frames * frame_size / div;
}

/* pp__hold_truesize() - what a hold charges for @skb and its fragment chain
 * (cf. the truesize of a frag_list skb, which counts every member). */
static inline uint32_t pp__hold_truesize(const struct pp_skb *skb)
{
	uint32_t n = 0;

	for (; skb; skb = skb->frag)
		n += pp_skb_truesize(skb);
	return n;
}

/* ---- sockets (net.core.*), Linux 6.x defaults ---------------------------- */

#define PP_SOCK_RCVBUF_DEFAULT 212992u	/* net.core.rmem_default: sk_rcvbuf */
#define PP_SOCK_SNDBUF_DEFAULT 212992u	/* net.core.wmem_default: sk_sndbuf */
#define PP_SOCK_RMEM_MAX 212992u	/* net.core.rmem_max: SO_RCVBUF clamp (then doubled) */
#define PP_SOCK_WMEM_MAX 212992u	/* net.core.wmem_max: SO_SNDBUF clamp (then doubled) */
#define PP_SOCK_RCVBUF_MIN 2304u	/* SOCK_MIN_RCVBUF: 2048 + sizeof(struct sk_buff) */
#define PP_SOCK_SNDBUF_MIN 4608u	/* SOCK_MIN_SNDBUF: 2 * SOCK_MIN_RCVBUF */
/*
 * Linux charges a small datagram's skb about 768 bytes of truesize; here every
 * frame counts whole (2 KiB), and a sender whose frames come home through a
 * completion thread needs a few hundred microseconds of them in flight. So a
 * socket's send buffer is also sized in frames: by default a quarter of its
 * lane's frames (1024 of 4096: 2 MiB), never less than wmem_default, and
 * SO_SNDBUF may ask up to that (wmem_max is raised to half of it).
 */
#define PP_SOCK_SND_SHARE_DIV 4
/* Ephemeral ports an unbound socket gets (net.ipv4.ip_local_port_range) */
#define PP_IP_LOCAL_PORT_MIN 32768u
#define PP_IP_LOCAL_PORT_MAX 60999u

/* ---- neighbours (net.ipv4.neigh.default.*) ------------------------------- */

#define PP_NEIGH_UNRES_QLEN 101u		/* unres_qlen: skbs per entry */
#define PP_NEIGH_UNRES_QLEN_BYTES 212992u	/* unres_qlen_bytes (SK_WMEM_MAX) per entry */
#define PP_NEIGH_RETRANS_NS (1ull * 1000000000ull)	/* retrans_time_ms 1000 */
#define PP_NEIGH_MCAST_PROBES 3u		/* mcast_solicit */
#define PP_NEIGH_REACHABLE_NS (30ull * 1000000000ull)	/* base_reachable_time_ms 30000 */
/* How long a FAILED entry drops new traffic before it may resolve again: no
 * sysctl (the kernel's FAILED entry waits for the GC); one retrans_time. */
#define PP_NEIGH_FAILED_HOLD_NS (1ull * 1000000000ull)
#define PP_NEIGH_GC_THRESH1 128u	/* gc_thresh1: below it, no entry is collected */
#define PP_NEIGH_GC_THRESH2 512u	/* gc_thresh2: above it, collect if none ran for 5 s */
#define PP_NEIGH_GC_THRESH3 1024u	/* gc_thresh3: hard maximum, collect now or refuse */
#define PP_NEIGH_GC_STALE_NS (60ull * 1000000000ull)	/* gc_stale_time 60 */
#define PP_NEIGH_LOCKTIME_NS (1ull * 1000000000ull)	/* locktime 100 (jiffies: 1 s) */
/* neigh_forced_gc() spares entries updated this recently, and neigh_alloc()
 * runs it above gc_thresh2 at most this often: no sysctl (5 * HZ) */
#define PP_NEIGH_FORCED_GC_NS (5ull * 1000000000ull)
/* Largest gc_thresh3 accepted (the table's slab is 2x this many entries) */
#define PP_NEIGH_MAX_ENTRIES (1u << 20)
/* Next hops one lane may hold skbs for at once (beyond: the INCOMPLETE one
 * held longest is reclaimed, see neigh.h). No kernel knob: the kernel's
 * arp_queue lives on the entry; bounded here as gc_thresh3 bounds entries. */
#define PP_NEIGH_LANE_SLOTS 64

/* ---- IPv4 (net.ipv4.*) --------------------------------------------------- */

#define PP_REASM_HIGH_THRESH (4u << 20)	/* ipfrag_high_thresh: per lane, capped by its share */
#define PP_REASM_TIMEOUT_NS (30ull * 1000000000ull)	/* ipfrag_time 30 */
#define PP_REASM_MAX_BYTES (1u << 30)	/* largest reassembly bound accepted */
#define PP_REASM_MIN_BYTES (2u * PP_FRAME_2K)	/* smallest: two frames */
#define PP_REASM_TIMEOUT_MAX_NS (3600ull * 1000000000ull)	/* largest ipfrag_time accepted: 1 h */
/* IPv4 ID generators per lane: IP_IDENTS_SZ (no sysctl; the kernel sizes it
 * from memory at boot, 2048 is its smallest) */
#define PP_IP_IDENTS 2048

/* ---- ICMP (net.ipv4.icmp_*, cf. icmp_global_allow(), icmpv4_xrlim_allow()) */

#define PP_ICMP_MSGS_PER_SEC 1000u	/* icmp_msgs_per_sec */
#define PP_ICMP_MSGS_BURST 50u		/* icmp_msgs_burst */
#define PP_ICMP_RATELIMIT_NS (1000ull * 1000000ull) /* icmp_ratelimit 1000 ms, per destination */
#define PP_ICMP_RATEMASK 0x1818u	/* icmp_ratemask: unreach, quench, time exceeded, param */
#define PP_ICMP_XRLIM_BURST 6		/* XRLIM_BURST_FACTOR: errors at once per destination */
/* Destinations each lane rate-limits (sets x ways, least recently limited
 * replaced); cf. the inet_peer cache (net.ipv4.inet_peer_threshold) */
#define PP_ICMP_PEER_SETS 64
#define PP_ICMP_PEER_WAYS 4

/* ---- device: qdisc, BQL, rings (net.core.*, sysfs) ----------------------- */

#define PP_TXQ_LIMIT_PKTS 1000u		/* txqueuelen (DEFAULT_TX_QUEUE_LEN) */
#define PP_TXQ_LIMIT_PKTS_MAX (1u << 20)	/* largest qdisc_limit accepted */
#define PP_TXQ_BQL_MAX_DEFAULT (16u << 20)	/* byte_queue_limits/limit_max */
/* Completion intervals the BQL shrink waits over (byte_queue_limits/hold_time) */
#define PP_TXQ_BQL_HOLD 256
/* Frames reaped per pp__txq_run()/pp__txq_xmit() when reaping inline (cf.
 * the NAPI budget, net.core.netdev_budget) */
#define PP_TXQ_REAP_BUDGET 256
/* Slots of each (lane, queue) ring and of a split lane's ring to its worker:
 * what may wait between a lane and a TX queue (cf. net.core.netdev_max_backlog) */
#define PP_DEV_RING 1024u

/* ---- TCP congestion control and RTO (net.ipv4.tcp_*, ip route) ---------- */

/* Initial window in segments: TCP_INIT_CWND (RFC 6928); per route "ip route
 * ... initcwnd" */
#define PP_TCP_INIT_CWND 10u
/* TIME_WAIT: TCP_TIMEWAIT_LEN (2MSL), and the most the option may ask */
#define PP_TCP_TIMEWAIT_MS 60000u
#define PP_TCP_TIMEWAIT_MS_MAX 600000u
/* Congestion control a new connection gets: net.ipv4.tcp_congestion_control
 * (Linux's default is cubic; "reno" is the one here) */
#define PP_TCP_CC_DEFAULT "reno"
/* RTO bounds and start, in microseconds (proto/tcp_rto.h) */
#define PP_TCP_RTO_MIN_US 200000u	/* TCP_RTO_MIN; net.ipv4.tcp_rto_min_us (6.11+), route rto_min */
#define PP_TCP_RTO_MAX_US 120000000u	/* TCP_RTO_MAX; net.ipv4.tcp_rto_max_ms (6.15+) */
#define PP_TCP_TIMEOUT_INIT_US 1000000u	/* TCP_TIMEOUT_INIT: RTO before any RTT sample (RFC 6298 2.1) */
/* Smallest tcp_rto_max_ms accepted (its sysctl's floor: 1 s, RFC 6298 2.5) */
#define PP_TCP_RTO_MAX_LOWEST_US 1000000u
/* Duplicate ACKs that start fast retransmit: net.ipv4.tcp_reordering
 * (TCP_FASTRETRANS_THRESH, RFC 5681's DupThresh) */
#define PP_TCP_DUPTHRESH 3u

/*
 * struct pp_limits - the limits one stack runs with, from its options or the
 * defaults above (pp__limits_init()); const after pp_stack_create(). Code
 * that sets up a table, a queue or a lane reads them here (st->lim); no
 * packet reads them (they are copied into per-lane or per-table fields).
 */
struct pp_limits {
	/* neighbours (net.ipv4.neigh.default.*) */
	uint32_t neigh_max;		/* gc_thresh3 */
	uint32_t neigh_gc_thresh1;	/* gc_thresh1 (at most gc_thresh2) */
	uint32_t neigh_gc_thresh2;	/* gc_thresh2 (at most gc_thresh3) */
	uint32_t neigh_unres_qlen;	/* unres_qlen */
	uint32_t neigh_unres_qlen_bytes; /* unres_qlen_bytes */
	/* IPv4 reassembly, per lane */
	uint32_t reasm_max_bytes;	/* ipfrag_high_thresh, at most the lane's share */
	uint64_t reasm_timeout_ns;	/* ipfrag_time */
	/* device */
	uint32_t qdisc_limit;		/* txqueuelen: packets per TX queue's qdisc */
	uint32_t dev_ring;		/* slots of each lane -> TX queue ring */
	/* sockets (net.core.*) */
	uint32_t rcvbuf_default;	/* rmem_default: a new socket's sk_rcvbuf */
	uint32_t sndbuf_default;	/* wmem_default: a new socket's sk_sndbuf */
	uint32_t wmem_max;		/* wmem_max: SO_SNDBUF's clamp (before doubling) */
	uint64_t tcp_timewait_ns;	/* TCP_TIMEWAIT_LEN */
	/* ICMP errors, all lanes */
	uint32_t icmp_msgs_per_sec;	/* icmp_msgs_per_sec */
	uint32_t icmp_msgs_burst;	/* icmp_msgs_burst */
};

/**
 * pp__limits_init() - fill @lim from @o (zero fields: the defaults above)
 * for lanes of @frames_per_lane frames of @frame_size bytes (0, 0: the
 * pool's defaults), and check it.
 * Return: 0, or -EINVAL for a value out of the range struct pp_stack_opts
 * documents. A reassembly bound above the lane's share is lowered to the
 * share (as the default is).
 * Context: control path.
 */
int pp__limits_init(struct pp_limits *lim, const struct pp_stack_opts *o, uint32_t frames_per_lane,
		    uint32_t frame_size);

#endif /* PP_PROTO_DEFAULTS_H */
