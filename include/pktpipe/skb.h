/* SPDX-License-Identifier: MIT */
/*
 * pktpipe/skb.h - the packet buffer (skb): what a zero-copy sender fills
 * (pp_udp_alloc_burst(), pp_skb_put(), pp_udp_send_burst(), see
 * <pktpipe/sock.h>) and what the stack's stages push headers into.
 *
 * An skb lives in a frame of a pool (the pool itself is in
 * <pktpipe/toolkit/pool.h>; the stack makes its own), whose region an AF_XDP
 * NIC registers as its UMEM. Each frame is one skb:
 *
 *   frame start                                                      frame end
 *   | struct pp_skb (64 B) | headroom ...... | data (len) | tailroom ...... |
 *                          ^ PP_SKB_META     ^ data_off   ^ data_off + len ^ end
 *
 * (the metadata may start up to 192 bytes into the frame: its colour, which
 * spreads the metadata of neighbouring frames over the cache sets).
 *
 * The journey prepends headers into the headroom with pp_skb_push() (UDP,
 * IPv4, Ethernet), as the kernel's skb_push() does.
 *
 * Metadata and bytes live in the frame, so whoever holds a frame holds both:
 * a reference (pp_skb_get()) shares data_off, len, next, frag and the header
 * offsets as well as the bytes. Unlike the kernel, where a clone has a
 * struct sk_buff of its own over shared data, there is no private metadata
 * to push into. Hence the rules below.
 *
 * Links. `frag` links the IPv4 fragments of one datagram only, each fragment
 * a frame with its own IPv4 header (cf. skb_shinfo()->frag_list as
 * ip_do_fragment() leaves it); nothing else is ever chained on it. `next` is
 * the transient link of whoever owns the skb right now in the TX path (a
 * qdisc band, a neighbour's pending queue; a NIC clears it on completion) and,
 * for a transport, the write-queue link of an original (below). An original
 * never enters the TX path, so the two uses of `next` never meet on one frame.
 *
 * Retransmission: originals and transmit copies (cf. __tcp_transmit_skb(),
 * which pskb_copy()s a segment whose earlier clone is still alive,
 * skb_cloned(), instead of cloning it again). A reliable transport keeps each
 * segment until it is acknowledged and may send it again while an earlier
 * transmission is still on the NIC's TX ring, which reads the frame's bytes
 * until its completion is reaped. (The kernel's skb_still_in_host_queue()
 * lets TCP put off such a retransmission while the clone still waits in a
 * qdisc or driver queue; a transport here may do the same, but the rule
 * below is safe without it.) So:
 *  - The segment on the write queue, the "original", holds the payload only
 *    (with headroom reserved, unused) and belongs to the socket. It is NEVER
 *    handed to the TX path: no stage pushes, pulls, links or frees it.
 *  - Every transmission, the first one included, is a "transmit copy":
 *    pp_skb_tx_copy() (<pktpipe/toolkit/pool.h>) puts the payload into a fresh frame after the headroom
 *    asked for, with the metadata a transport needs, and the TX path owns
 *    that copy alone (pushes TCP/IPv4/Ethernet into it, queues it on `next`,
 *    frees it on completion or drop).
 *  - The original's bytes and metadata are never written by the TX path, so
 *    any number of copies may be in flight at once; the transport frees the
 *    original when it is acknowledged, whether its copies have completed or
 *    not (each copy goes home on its own).
 *  - A TCP segment is exactly one frame (MSS <= frame room, see
 *    pp_skb_tx_copy_room()): there is no segment chain, and an original with
 *    a fragment chain is refused.
 * Retransmitting a reference of the original instead (pp_skb_get() and push
 * the headers again) is wrong: the push moves data_off and len of the one
 * skb every holder sees and rewrites the header bytes under a transmission
 * the NIC may still be reading; tests/test_retransmit.c pins that hazard.
 * pp_skb_get() is for holders that only read (a pcap tap, a queue that
 * hands the same frame on unchanged).
 *
 * Future path, not taken now: zero-copy retransmission, the headers in a
 * fresh frame and the payload referenced (refcount) in the original's frame,
 * needs one packet in two TX descriptors: AF_XDP multi-buffer (XDP_USE_SG on
 * bind, XDP_PKT_CONTD in every descriptor but the last) and, for zero copy,
 * a driver that supports it. It is not worth it here: veth has no zero-copy, in copy mode the
 * kernel copies every frame into an skb anyway, and a segment is one frame of
 * at most ~1.5 KB, so the copy costs one memcpy per transmission while
 * multi-buffer costs a descriptor, a frag-aware completion and a refcount
 * per packet on every NIC. The layout needs no change for it: `frag` would
 * link the payload frame, as it links fragments today.
 *
 * Concurrency: the buffer calls below touch only the skb they are given.
 *
 *   call                            | may run concurrently with
 *   --------------------------------+---------------------------------------
 *   pp_skb_* buffer calls           | anything not touching the same skb
 *   pp_skb_get, pp_skb_shared       | the same calls and frees of the skb
 *                                   | by other holders
 *
 * Do not touch the members of struct pp_skb directly unless a comment says
 * so: they are visible only so that the calls inline.
 */
#ifndef PKTPIPE_SKB_H
#define PKTPIPE_SKB_H

#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pktpipe/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes of metadata at the start of every frame: one cache line. */
#define PP_SKB_META 64
/** Default headroom after the metadata: Ethernet + IPv4 + TCP with options. */
#define PP_SKB_HEADROOM 128

/* skb->flags */
#define PP_SKB_F_FRAG	 0x01 /* one of several IPv4 fragments (see frag_off) */
#define PP_SKB_F_NOROUTE 0x02 /* nexthop already set: skip route lookup */
#define PP_SKB_F_CSUM_OK 0x04 /* RX: checksums verified */
/* Flags a transmit copy (pp_skb_tx_copy()) takes from its original; the
 * rest are the TX path's own (FRAG: a copy is one frame) or RX only (CSUM_OK). */
#define PP_SKB_F_TX_COPY PP_SKB_F_NOROUTE

/**
 * struct pp_skb - metadata of one frame. Lives in the frame's first cache line.
 *
 * Fields a stage may read and write: next, frag, hash, queue, prio, flags,
 * mac_off, net_off, trans_off, frag_off, nexthop, sk, tstamp. The buffer
 * fields (data_off, len) change only through pp_skb_{reserve,push,pull,put,
 * trim}; owner, end, state and refcnt belong to the pool. A stage writes
 * only an skb it owns alone: a transmit copy, never a transport's original
 * (see "Retransmission" above).
 *
 * Layout: the line is full (64 of 64 bytes), and it needs no field for
 * retransmission: the write-queue link of an original and the TX path's link
 * can share `next` because an original never enters the TX path, and a
 * per-holder data_off (what a kernel clone has) cannot live in a frame that
 * every holder shares, whatever the layout; the copy is what gives each
 * transmission its own.
 */
struct pp_skb {
	/* hot */
	struct pp_skb *next;	/* owner's queue link: qdisc band, neighbour queue (TX path);
				 * write queue (an original, never in the TX path) */
	struct pp_skb *frag;	/* next IPv4 fragment of the same datagram, or NULL; never
				 * a segment chain (a TCP segment is one frame) */
	/* hot */
	uint16_t data_off;	/* data start, from the frame start */
	uint16_t len;		/* bytes of data in this frame */
	uint16_t end;		/* const: frame size; data ends at or before it */
	uint16_t owner;		/* const: cache (lane) the frame goes home to */
	/* hot */
	uint32_t hash;		/* flow hash of the 5-tuple (0: not computed) */
	uint16_t queue;		/* TX queue picked by queue selection */
	uint8_t prio;		/* skb->priority (TC_PRIO_*): the qdisc maps it to a band */
	uint8_t flags;		/* PP_SKB_F_* */
	_Atomic(uint16_t) refcnt; /* references; the frame is freed at 0 */
	uint8_t state;		/* PP_SKB_FREE / PP_SKB_ALLOCATED: catches double free */
	uint8_t drop_reason;	/* enum pp_drop_reason, set when dropped */
	uint16_t mac_off;	/* Ethernet header, from the frame start (0: none) */
	uint16_t net_off;	/* IPv4 header */
	uint16_t trans_off;	/* UDP/TCP header */
	uint16_t frag_off;	/* fragment: payload offset in bytes within the datagram */
	uint32_t nexthop;	/* IPv4 next hop, network order (set by routing) */
	void *sk;		/* owner charged for this frame, or NULL: when the frame
				 * goes back to the pool the pool gives its truesize back
				 * to it (cf. skb->destructor = sock_wfree) */
	uint64_t tstamp;	/* ns; when it entered the journey */
};

/* static_assert: a keyword in C++, <assert.h>'s name for _Static_assert in C11 */
static_assert(sizeof(struct pp_skb) == PP_SKB_META, "skb metadata is one cache line");

/* ---- buffer calls (cf. skb_reserve/push/pull/put/trim) ------------------ */

/** pp_skb_data() - first byte of data. */
static inline uint8_t *pp_skb_data(const struct pp_skb *skb)
{
	return (uint8_t *)skb + skb->data_off;
}

/** pp_skb_tail() - one past the last byte of data. */
static inline uint8_t *pp_skb_tail(const struct pp_skb *skb)
{
	return (uint8_t *)skb + skb->data_off + skb->len;
}

/** pp_skb_headroom() - bytes free before the data. */
static inline uint32_t pp_skb_headroom(const struct pp_skb *skb)
{
	return (uint32_t)skb->data_off - PP_SKB_META;
}

/** pp_skb_tailroom() - bytes free after the data. */
static inline uint32_t pp_skb_tailroom(const struct pp_skb *skb)
{
	return (uint32_t)skb->end - skb->data_off - skb->len;
}

/**
 * pp_skb_reserve() - move the (empty) data area @n bytes forward, making
 * headroom, as skb_reserve().
 * Return: 0; -EINVAL if the skb already holds data; -ENOSPC if it does not fit.
 */
static inline int pp_skb_reserve(struct pp_skb *skb, uint32_t n)
{
	if (skb->len)
		return -EINVAL;
	if (n > pp_skb_tailroom(skb))
		return -ENOSPC;
	skb->data_off = (uint16_t)(skb->data_off + n);
	return 0;
}

/**
 * pp_skb_push() - prepend @n bytes of headroom to the data.
 * Return: the new data start, or NULL (nothing changed) if the headroom is
 * smaller than @n.
 */
static inline void *pp_skb_push(struct pp_skb *skb, uint32_t n)
{
	if (PP_UNLIKELY(n > pp_skb_headroom(skb)))
		return NULL;
	skb->data_off = (uint16_t)(skb->data_off - n);
	skb->len = (uint16_t)(skb->len + n);
	return pp_skb_data(skb);
}

/**
 * pp_skb_pull() - remove @n bytes from the front of the data.
 * Return: the new data start, or NULL (nothing changed) if len < @n.
 */
static inline void *pp_skb_pull(struct pp_skb *skb, uint32_t n)
{
	if (PP_UNLIKELY(n > skb->len))
		return NULL;
	skb->data_off = (uint16_t)(skb->data_off + n);
	skb->len = (uint16_t)(skb->len - n);
	return pp_skb_data(skb);
}

/**
 * pp_skb_put() - append @n bytes to the data.
 * Return: where the appended bytes start, or NULL (nothing changed) if the
 * tailroom is smaller than @n.
 */
static inline void *pp_skb_put(struct pp_skb *skb, uint32_t n)
{
	uint8_t *tail = pp_skb_tail(skb);

	if (PP_UNLIKELY(n > pp_skb_tailroom(skb)))
		return NULL;
	skb->len = (uint16_t)(skb->len + n);
	return tail;
}

/**
 * pp_skb_trim() - cut the data down to @len bytes.
 * Return: 0, or -EINVAL if @len is larger than the data.
 */
static inline int pp_skb_trim(struct pp_skb *skb, uint32_t len)
{
	if (len > skb->len)
		return -EINVAL;
	skb->len = (uint16_t)len;
	return 0;
}

/**
 * pp_skb_truesize() - bytes of the whole frame the skb occupies (cf.
 * skb->truesize), what memory bounds charge. The frame size is the power of
 * two at or above @skb->end, which its colour offset only shortens.
 */
static inline uint32_t pp_skb_truesize(const struct pp_skb *skb)
{
	return 1u << (32 - __builtin_clz((uint32_t)skb->end - 1));
}

/** pp_skb_header() - pointer for a header offset (mac_off, net_off, trans_off). */
static inline uint8_t *pp_skb_at(const struct pp_skb *skb, uint16_t off)
{
	return (uint8_t *)skb + off;
}

/** pp_skb_offset() - offset from the frame start of a pointer into the frame. */
static inline uint16_t pp_skb_offset(const struct pp_skb *skb, const void *p)
{
	return (uint16_t)((const uint8_t *)p - (const uint8_t *)skb);
}

/**
 * pp_skb_get() - take one more reference (cf. skb_get()): the frame returns
 * to the pool only when every holder has freed it. A reference shares the
 * metadata too (data_off, len, next, frag): while the skb is shared, at most
 * one holder may write it and the others only read, so a reference is NOT how
 * a transport retransmits; pp_skb_tx_copy() is (see "Retransmission" above).
 * Return: @skb.
 * Context: any thread that holds a reference.
 */
static inline struct pp_skb *pp_skb_get(struct pp_skb *skb)
{
	atomic_fetch_add_explicit(&skb->refcnt, 1, memory_order_relaxed);
	return skb;
}

/** pp_skb_shared() - true if more than one holder references the skb. */
static inline bool pp_skb_shared(const struct pp_skb *skb)
{
	return atomic_load_explicit(&skb->refcnt, memory_order_acquire) > 1;
}

#ifdef __cplusplus
}
#endif
#endif /* PKTPIPE_SKB_H */
