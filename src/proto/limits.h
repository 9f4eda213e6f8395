/* SPDX-License-Identifier: MIT */
/*
 * limits.h (internal) - what a remote sender can make a lane hold, and the
 * kernel defaults pktpipe follows. One place for these numbers: a hold that
 * fills from the wire takes its bound from here.
 *
 * Every such hold is bounded in bytes, charged by truesize (whole frames,
 * pp_skb_truesize() summed over a chain), and the bounds of one lane's holds
 * add up to at most half of the lane's frame bytes, so that sending, ARP and
 * ping always find frames whatever a host on the link sends:
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
#ifndef PP_PROTO_LIMITS_H
#define PP_PROTO_LIMITS_H

#include <assert.h>
#include <stdint.h>

#include <pktpipe/skb.h>

/* Shares of a lane's frame bytes, as divisors. */
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

/* Per-object bounds inside the shares (Linux 6.x defaults). */
#define PP_SOCK_RCVBUF_DEFAULT 212992u	   /* net.core.rmem_default: sk_rcvbuf */
#define PP_SOCK_SNDBUF_DEFAULT 212992u	   /* net.core.wmem_default: sk_sndbuf */
#define PP_SOCK_RMEM_MAX 212992u	   /* net.core.rmem_max: SO_RCVBUF clamp (then doubled) */
#define PP_SOCK_RCVBUF_MIN 2304u	   /* SOCK_MIN_RCVBUF: 2048 + sizeof(struct sk_buff) */
#define PP_SOCK_WMEM_MAX 212992u	   /* net.core.wmem_max: SO_SNDBUF clamp (then doubled) */
#define PP_SOCK_SNDBUF_MIN 4608u	   /* SOCK_MIN_SNDBUF: 2 * SOCK_MIN_RCVBUF */
#define PP_NEIGH_UNRES_QLEN_BYTES 212992u  /* unres_qlen_bytes (SK_WMEM_MAX) per entry */
#define PP_REASM_HIGH_THRESH (4u << 20)	   /* ipfrag_high_thresh, capped by the share */

/* Neighbour garbage collection (cf. net.ipv4.neigh.default.*). */
#define PP_NEIGH_GC_THRESH1 128u	/* below it, no entry is collected */
#define PP_NEIGH_GC_THRESH2 512u	/* above it, collect if none ran for 5 s */
#define PP_NEIGH_GC_THRESH3 1024u	/* hard maximum: collect now, or refuse */
#define PP_NEIGH_GC_STALE_NS (60ull * 1000000000ull)	/* gc_stale_time */
#define PP_NEIGH_LOCKTIME_NS (1ull * 1000000000ull)	/* locktime */

/* ICMP errors (cf. icmp_global_allow() and icmpv4_xrlim_allow()). */
#define PP_ICMP_MSGS_PER_SEC 1000u	/* net.ipv4.icmp_msgs_per_sec */
#define PP_ICMP_MSGS_BURST 50u		/* net.ipv4.icmp_msgs_burst */
#define PP_ICMP_RATELIMIT_NS (1000ull * 1000000ull) /* icmp_ratelimit, per destination */

#endif /* PP_PROTO_LIMITS_H */
