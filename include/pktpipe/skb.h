/* SPDX-License-Identifier: MIT */
/*
 * pktpipe/skb.h - the packet buffer (skb) and the frame pool it lives in.
 *
 * A pool is one contiguous, page-aligned region (huge pages when the system
 * has them) cut into fixed frames of 2 KiB or 4 KiB, so that an AF_XDP NIC can
 * register the very same region as its UMEM: handing an skb to the NIC is
 * handing it an offset, never a copy. Each frame is one skb:
 *
 *   frame start                                                      frame end
 *   | struct pp_skb (64 B) | headroom ...... | data (len) | tailroom ...... |
 *                          ^ PP_SKB_META     ^ data_off   ^ data_off + len ^ end
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
 *    pp_skb_tx_copy() puts the payload into a fresh frame after the headroom
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
 * Frames belong to lanes. A pool has `nlanes` allocating caches, each owning
 * an equal share of the frames on a private LIFO stack, and `nfreers` caches
 * that only free (completion threads, stage threads of a split lane). A frame
 * freed by the cache that owns it goes straight back onto its stack; a frame
 * freed anywhere else goes home through an SPSC return ring (one per pair of
 * caches), which is big enough for every frame of its lane, so a free never
 * fails and never blocks. No lock, no malloc after pp_pool_create().
 *
 * Concurrency: each pp_pool_cache is used by one thread at a time (its owner).
 *
 *   call                            | may run concurrently with
 *   --------------------------------+---------------------------------------
 *   pp_skb_alloc*, pp_skb_free* (c) | the same calls on any other cache
 *   pp_skb_* buffer calls           | anything not touching the same skb
 *   pp_skb_tx_copy (c, orig)        | copies of orig on other caches, and the
 *                                   | NIC reading earlier copies; not a
 *                                   | writer of orig
 *   pp_pool_stats                   | anything (counters are snapshots)
 *   pp_pool_create, pp_pool_destroy | nothing on that pool
 *
 * Do not touch the members of struct pp_skb or struct pp_pool_cache directly
 * unless a comment says so: they are visible only so that the calls inline.
 */
#ifndef PKTPIPE_SKB_H
#define PKTPIPE_SKB_H

#include <assert.h>
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <pktpipe/common.h>
#include <pktpipe/ring.h>
#include <pktpipe/stats.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes of metadata at the start of every frame: one cache line. */
#define PP_SKB_META 64
/** Default headroom after the metadata: Ethernet + IPv4 + TCP with options. */
#define PP_SKB_HEADROOM 128
/*
 * Metadata colouring (cf. slab colouring): frame i keeps its skb at offset
 * (i % PP_FRAME_COLOURS) * 64 inside the frame. Frames are 2 KiB apart, so
 * without it the metadata lines of every frame fall in the same 2 of the 64
 * L1 sets and a burst of 32 skbs cannot stay in L1.
 */
#define PP_FRAME_COLOURS 4
#define PP_FRAME_COLOUR_MAX ((PP_FRAME_COLOURS - 1) * PP_CACHE_LINE)

/** pp_frame_colour() - offset of frame @fi's skb from the frame's start. */
static inline uint32_t pp_frame_colour(uint64_t fi)
{
	return (uint32_t)(fi & (PP_FRAME_COLOURS - 1)) * PP_CACHE_LINE;
}

/** Frame sizes a pool accepts. */
#define PP_FRAME_2K 2048
#define PP_FRAME_4K 4096

/* skb->state */
enum {
	PP_SKB_FREE = 0xf5,	/* on a stack or a return ring */
	PP_SKB_ALLOCATED = 0xa1,
};

/* skb->flags */
#define PP_SKB_F_FRAG	 0x01 /* one of several IPv4 fragments (see frag_off) */
#define PP_SKB_F_NOROUTE 0x02 /* nexthop already set: skip route lookup */
#define PP_SKB_F_CSUM_OK 0x04 /* RX: checksums verified */

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
				 * goes back to the pool the pool's wfree hook gives its
				 * truesize back (cf. skb->destructor = sock_wfree) */
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

/* ---- pool --------------------------------------------------------------- */

struct pp_pool;

/* pp_pool_opts.flags */
#define PP_POOL_F_HUGEPAGES	0x1 /* huge pages required: fail without them */
#define PP_POOL_F_NO_HUGEPAGES	0x2 /* never try huge pages */
#define PP_POOL_F_ALL		(PP_POOL_F_HUGEPAGES | PP_POOL_F_NO_HUGEPAGES)

/** Frames per lane of a pool whose options leave frames_per_lane 0. */
#define PP_POOL_FRAMES_DEFAULT 4096

/** Most caches a pool has (lanes + freers). */
#define PP_POOL_CACHES_MAX 64

/**
 * struct pp_pool_opts - pool parameters. Zero fields take the default.
 * @sz: sizeof(struct pp_pool_opts) (so the struct can grow).
 * @frames_per_lane: frames each lane owns (default PP_POOL_FRAMES_DEFAULT,
 *		     4096; at least PP_BURST).
 * @frame_size: PP_FRAME_2K (default) or PP_FRAME_4K.
 * @nlanes: allocating caches, ids 0..nlanes-1 (default 1).
 * @nfreers: caches that only free, ids nlanes.. (default 0).
 * @headroom: bytes reserved before the data of a new skb (default
 *	      PP_SKB_HEADROOM); must leave room for at least 64 bytes of data.
 * @flags: PP_POOL_F_*; unknown flags are -EINVAL.
 */
struct pp_pool_opts {
	size_t sz;
	uint32_t frames_per_lane;
	uint32_t frame_size;
	uint16_t nlanes;
	uint16_t nfreers;
	uint16_t headroom;
	uint32_t flags;
};

/* One remote-free staging buffer per destination lane (see pp__pool_flush). */
struct pp__pool_stage {
	uint32_t n;
	struct pp_skb *pkts[PP_BURST];
};

/**
 * struct pp_pool_cache - one thread's handle on the pool. Do not touch the
 * members.
 */
struct pp_pool_cache {
	/* hot, (O) owner thread only */
	alignas(PP_CACHE_LINE) uint32_t nfree;	/* frames on the stack */
	uint16_t id;				/* const */
	uint16_t headroom;			/* const: data_off of a new skb - META */
	struct pp_skb **stack;			/* const ptr; lane caches only */
	uint8_t *base;				/* const: region start */
	size_t region_len;			/* const */
	uint64_t dirty;				/* (O) stage[] slots holding frames */
	struct pp__pool_stage *stage;		/* const ptr: [nlanes] */
	struct pp_ring **ret_out;		/* const: [nlanes], ring to each lane */
	void (*wfree)(void *owner, uint32_t bytes); /* const: see pp_pool_set_wfree() */
	/* refill path, (O) */
	alignas(PP_CACHE_LINE) struct pp_ring **ret_in; /* const: [ncaches] into this lane */
	uint16_t ncaches;			/* const */
	uint16_t nlanes;			/* const */
	uint32_t stack_cap;			/* const: frames this lane owns */
	uint32_t frame_shift;			/* const: log2(frame size) */
	struct pp_pool *pool;			/* const */
	/* const: what a fresh skb of this lane looks like; allocation copies
	 * it (one cache line, two vector stores) instead of 13 field stores */
	alignas(PP_CACHE_LINE) struct pp_skb tmpl;
	/* counters, (O) written, read by pp_pool_stats() */
	alignas(PP_CACHE_LINE) uint64_t allocs;
	uint64_t frees;
	uint64_t alloc_fail;
	uint64_t bad_free;
	uint64_t remote_frees;
};

/**
 * pp_pool_create() - map the region, cut it into frames, make the caches.
 * Return: 0 and *@out set; -EINVAL for bad options (NULL, @sz too small to
 * hold @sz, a larger struct with non-zero bytes past the fields this library
 * knows (a smaller, older one is fine: missing fields default), unknown flags, frame size not 2K/4K, headroom too large, too many caches);
 * -ENOMEM if the region or the control structures cannot be allocated
 * (or huge pages were required and are not there).
 * Context: control path.
 */
PP_API int pp_pool_create(const struct pp_pool_opts *opts, struct pp_pool **out);

/**
 * pp_pool_destroy() - unmap the region. Every skb becomes invalid. NULL is a
 * no-op.
 * Context: control path; no cache of the pool may be in use.
 */
PP_API void pp_pool_destroy(struct pp_pool *pool);

/**
 * pp_pool_cache() - the cache with id @id: lanes are 0..nlanes-1, freers
 * nlanes..nlanes+nfreers-1.
 * Return: the cache, or NULL if @pool is NULL or @id is out of range.
 * Context: any; the returned cache is then used by one thread at a time.
 */
PP_API struct pp_pool_cache *pp_pool_cache(struct pp_pool *pool, unsigned int id);

/**
 * pp_pool_region() - the frame region, as an AF_XDP UMEM registers it.
 * @len: set to its length in bytes (may be NULL).
 * Return: its start (page aligned), or NULL for a NULL pool.
 */
PP_API void *pp_pool_region(const struct pp_pool *pool, size_t *len);

/**
 * pp__pool_set_wfree() - (internal) what the pool calls when frames whose
 * skb->sk is set come home: @fn(sk, bytes), bytes the truesize of the frames
 * (consecutive frames of one owner in a burst free are released in one call).
 * Context: control path, before any frame names an owner. @fn runs on
 * whichever thread frees the frame.
 */
void pp__pool_set_wfree(struct pp_pool *pool, void (*fn)(void *owner, uint32_t bytes));

/** pp_pool_frame_size() - frame size in bytes (0 for a NULL pool). */
PP_API uint32_t pp_pool_frame_size(const struct pp_pool *pool);

/** pp_pool_hugepages() - true if the region is backed by huge pages. */
PP_API bool pp_pool_hugepages(const struct pp_pool *pool);

/**
 * struct pp_pool_stats - totals over every cache of a pool.
 * @nframes: frames in the pool.
 * @in_use: frames allocated and not yet freed (allocs - frees).
 */
struct pp_pool_stats {
	uint64_t nframes;
	uint64_t allocs;
	uint64_t frees;
	uint64_t alloc_fail;
	uint64_t bad_free;
	uint64_t remote_frees;
	uint64_t in_use;
};

/**
 * pp_pool_stats() - sum the counters of every cache.
 * Return: 0, or -EINVAL for NULL arguments.
 * Context: any thread; a snapshot while others run.
 */
PP_API int pp_pool_stats(const struct pp_pool *pool, struct pp_pool_stats *st);

/**
 * pp_pool_skb_from_offset() - the skb whose frame contains region offset
 * @off (what an AF_XDP completion ring returns).
 * Return: the skb, or NULL if @off is outside the region.
 */
static inline struct pp_skb *pp_pool_skb_from_offset(const struct pp_pool_cache *c, uint64_t off)
{
	uint64_t fi = off >> c->frame_shift;

	if (PP_UNLIKELY(off >= c->region_len))
		return NULL;
	return (struct pp_skb *)(c->base + (fi << c->frame_shift) + pp_frame_colour(fi));
}

/** pp_skb_offset_in_region() - region offset of the skb's first data byte. */
static inline uint64_t pp_skb_region_offset(const struct pp_pool_cache *c, const struct pp_skb *skb)
{
	return (uint64_t)(pp_skb_data(skb) - c->base);
}

/* internal: slow paths of the inline calls below */
PP_API uint32_t pp__pool_refill(struct pp_pool_cache *c);
PP_API void pp__pool_flush(struct pp_pool_cache *c);
PP_API void pp__pool_bad_free(struct pp_pool_cache *c, struct pp_skb *skb);

static inline void pp__skb_init(const struct pp_skb *tmpl, struct pp_skb *skb)
{
	uint16_t end = skb->end; /* the frame's own: it depends on its colour */

	memcpy((void *)skb, (const void *)tmpl, sizeof(*skb));
	skb->end = end;
}

/**
 * pp_skb_alloc_burst() - allocate up to @n fresh skbs (refcnt 1, empty, with
 * the pool's headroom).
 * Return: how many were allocated (short, even 0, when the lane's frames are
 * all in use: not an error; it recovers as frames come home).
 * Context: the thread that owns lane cache @c (an id below nlanes).
 */
static inline uint32_t pp_skb_alloc_burst(struct pp_pool_cache *c, struct pp_skb **skbs, uint32_t n)
{
	if (PP_UNLIKELY(c->nfree < n)) {
		pp__pool_refill(c);
		if (c->nfree < n) {
			PP_STAT_ADD(c->alloc_fail, 1);
			n = c->nfree;
		}
	}
	/* locals: the skb stores below may alias the cache as far as the
	 * compiler knows, and would make it reload these every time */
	uint32_t top = c->nfree;
	struct pp_skb *const *stack = c->stack;
	const struct pp_skb *tmpl = &c->tmpl;

	for (uint32_t i = 0; i < n; i++) {
		struct pp_skb *skb = stack[--top];

		pp__skb_init(tmpl, skb);
		skbs[i] = skb;
	}
	c->nfree = top;
	PP_STAT_ADD(c->allocs, n);
	return n;
}

/**
 * pp_skb_alloc_bulk() - allocate exactly @n skbs or none.
 * Return: @n or 0.
 * Context: as pp_skb_alloc_burst().
 */
static inline uint32_t pp_skb_alloc_bulk(struct pp_pool_cache *c, struct pp_skb **skbs, uint32_t n)
{
	if (PP_UNLIKELY(c->nfree < n)) {
		pp__pool_refill(c);
		if (c->nfree < n) {
			PP_STAT_ADD(c->alloc_fail, 1);
			return 0;
		}
	}
	return pp_skb_alloc_burst(c, skbs, n);
}

/** pp_skb_alloc() - allocate one skb. Return: it, or NULL when none is free. */
static inline struct pp_skb *pp_skb_alloc(struct pp_pool_cache *c)
{
	struct pp_skb *skb = NULL;

	pp_skb_alloc_burst(c, &skb, 1);
	return skb;
}

/* Drop one reference; true if it was the last (the frame must go home). */
static inline bool pp__skb_unref(struct pp_skb *skb)
{
	/* cf. skb_unref(): the common case, a sole owner, needs no atomic RMW.
	 * Acquire (the kernel's smp_rmb()): the other holders' accesses, ended
	 * by their release decrements, happen before we recycle the frame. */
	if (PP_LIKELY(atomic_load_explicit(&skb->refcnt, memory_order_acquire) == 1))
		return true;
	return atomic_fetch_sub_explicit(&skb->refcnt, 1, memory_order_acq_rel) == 1;
}

/* True if @skb is the start of an allocated frame of @c's pool. Checked
 * before the refcount is touched: a foreign pointer or a frame that is not
 * allocated must be refused without writing to it. */
static inline bool pp__skb_valid(const struct pp_pool_cache *c, const struct pp_skb *skb)
{
	uint64_t off = (uint64_t)((const uint8_t *)skb - c->base);

	return off < c->region_len &&
	       (off & ((1u << c->frame_shift) - 1)) == pp_frame_colour(off >> c->frame_shift) &&
	       skb->state == PP_SKB_ALLOCATED;
}

/* Send memory to give back while freeing: frames of one owner in a row
 * are released with one call of the pool's wfree hook. */
struct pp__wacc {
	void *owner;
	uint32_t frames;
};

static inline void pp__wacc_flush(struct pp_pool_cache *c, struct pp__wacc *a)
{
	if (a->owner)
		c->wfree(a->owner, a->frames << c->frame_shift);
	a->owner = NULL;
	a->frames = 0;
}

static inline void pp__wacc_add(struct pp_pool_cache *c, struct pp__wacc *a, void *owner)
{
	if (PP_UNLIKELY(owner != a->owner)) {
		pp__wacc_flush(c, a);
		a->owner = owner;
	}
	a->frames++;
}

/* Put one frame (refcnt already 0) back: own stack or staged for its lane. */
static inline void pp__skb_release(struct pp_pool_cache *c, struct pp_skb *skb, struct pp__wacc *a)
{
	if (skb->sk)
		pp__wacc_add(c, a, skb->sk);
	skb->state = PP_SKB_FREE;
	PP_STAT_ADD(c->frees, 1);
	if (PP_LIKELY(skb->owner == c->id)) {
		c->stack[c->nfree++] = skb;
		return;
	}
	struct pp__pool_stage *st = &c->stage[skb->owner];

	st->pkts[st->n++] = skb;
	c->dirty |= 1ull << skb->owner;
	if (st->n == PP_BURST)
		pp__pool_flush(c);
}

/* Free one skb and its fragment chain; staged remote frees stay staged. */
static inline void pp__skb_free_one(struct pp_pool_cache *c, struct pp_skb *skb,
				    struct pp__wacc *a)
{
	while (skb) {
		if (PP_UNLIKELY(!pp__skb_valid(c, skb))) {
			/* and do not follow a chain through memory not ours */
			pp__pool_bad_free(c, skb);
			return;
		}
		struct pp_skb *frag = skb->frag;

		if (pp__skb_unref(skb))
			pp__skb_release(c, skb, a);
		skb = frag;
	}
}

/**
 * pp_skb_free_burst() - drop one reference on each of @n skbs (and on their
 * fragment chains); frames whose last reference goes return to their lane.
 * A foreign pointer or a double free is refused and counted in bad_free.
 * Context: the thread that owns cache @c (any cache of the skbs' pool).
 */
static inline void pp_skb_free_burst(struct pp_pool_cache *c, struct pp_skb *const *skbs, uint32_t n)
{
	/* The common case (a lone frame of this lane, sole holder, valid) in
	 * locals: the state store may alias the cache as far as the compiler
	 * knows, which would reload every field for every skb. Anything else
	 * takes the full path with the cache written back first. */
	const uint8_t *base = c->base;
	const uint64_t region_len = c->region_len, fmask = (1ull << c->frame_shift) - 1;
	const uint32_t shift = c->frame_shift;
	const uint16_t id = c->id;
	struct pp_skb **stack = c->stack;
	uint32_t top = c->nfree;
	uint64_t freed = 0;
	struct pp__wacc acc = {NULL, 0};

	for (uint32_t i = 0; i < n; i++) {
		struct pp_skb *skb = skbs[i];
		uint64_t off = (uint64_t)((const uint8_t *)skb - base);

		if (PP_LIKELY(skb && off < region_len && (off & fmask) == pp_frame_colour(off >> shift) &&
			      skb->owner == id &&
			      !skb->frag && skb->state == PP_SKB_ALLOCATED &&
			      atomic_load_explicit(&skb->refcnt, memory_order_acquire) == 1)) {
			if (skb->sk)
				pp__wacc_add(c, &acc, skb->sk);
			skb->state = PP_SKB_FREE;
			stack[top++] = skb;
			freed++;
			continue;
		}
		c->nfree = top;
		pp__skb_free_one(c, skb, &acc);
		top = c->nfree;
	}
	c->nfree = top;
	pp__wacc_flush(c, &acc);
	PP_STAT_ADD(c->frees, freed);
	if (c->dirty)
		pp__pool_flush(c);
}

/** pp_skb_free() - pp_skb_free_burst() of one skb. NULL is a no-op. */
static inline void pp_skb_free(struct pp_pool_cache *c, struct pp_skb *skb)
{
	struct pp__wacc acc = {NULL, 0};

	pp__skb_free_one(c, skb, &acc);
	pp__wacc_flush(c, &acc);
	if (c->dirty)
		pp__pool_flush(c);
}

/**
 * pp_skb_drop() - free @skb recording why it left the journey. Counting the
 * drop is the caller's (a stage's) job: see pp_stage_drop().
 */
static inline void pp_skb_drop(struct pp_pool_cache *c, struct pp_skb *skb, enum pp_drop_reason why)
{
	skb->drop_reason = (uint8_t)why;
	pp_skb_free(c, skb);
}

/* ---- transmit copies (cf. pskb_copy() in tcp_transmit_skb()) ------------ */

/* Flags a transmit copy takes from its original; the rest are the TX path's
 * own (FRAG: a copy is one frame) or RX only (CSUM_OK). */
#define PP_SKB_F_TX_COPY PP_SKB_F_NOROUTE

/**
 * pp_skb_tx_copy_room() - bytes (headroom + payload) that every frame of
 * @c's pool holds after its metadata: the frame size less the metadata and
 * the largest colour offset. pp_skb_tx_copy() checks against it, so whether
 * a copy fits never depends on which frame comes off the stack. 1792 for
 * 2 KiB frames: an MSS of 1460 plus 128 bytes of headroom fits.
 * Return: that room, or 0 for a NULL cache.
 * Context: any.
 */
static inline uint32_t pp_skb_tx_copy_room(const struct pp_pool_cache *c)
{
	if (!c)
		return 0;
	return (1u << c->frame_shift) - PP_FRAME_COLOUR_MAX - PP_SKB_META;
}

/**
 * pp_skb_tx_copy() - one transmission of the segment @orig: a fresh skb from
 * lane cache @c holding @orig's data after @headroom bytes of headroom, for
 * the TX path to push its headers into and own alone (see "Retransmission"
 * at the top of this file). Call it for every transmission, the first one
 * included; @orig is only read, so copies of it may be in flight on any
 * number of TX rings while it stays on the write queue.
 *
 * The copy has: refcnt 1, data_off = PP_SKB_META + @headroom, @orig's len
 * and bytes, and of @orig's metadata hash, prio, nexthop, tstamp and the
 * flags in PP_SKB_F_TX_COPY. Its sk is NULL: a frame naming a socket is
 * charged to that socket's send memory (see pp_pool_set_wfree()), which is
 * the transport's to do for the copies it puts in flight (cf.
 * skb_set_owner_w() in __tcp_transmit_skb()). Everything else is as a fresh skb's: next and
 * frag NULL (the copy is alone), no header offsets (the TX path sets them as
 * it pushes), queue 0 (queue selection picks one per transmission),
 * drop_reason 0; owner is @c's lane, whoever owns @orig.
 *
 * Return: the copy; NULL when @c's lane has no free frame (counted in
 * alloc_fail, nothing changed: retry when frames come home, as after a short
 * pp_skb_alloc_burst()); NULL for bad arguments, with nothing allocated and
 * nothing counted (-EINVAL in spirit: a caller bug, never a reason to
 * retry): @c or @orig NULL, @c a freer (it owns no frames), @orig not an
 * allocated frame of @c's pool, @orig with a fragment chain (a segment is one
 * frame), or @headroom + @orig->len above pp_skb_tx_copy_room(@c).
 * Context: the thread that owns lane cache @c and holds a reference on
 * @orig; nobody writes @orig meanwhile.
 */
PP_API struct pp_skb *pp_skb_tx_copy(struct pp_pool_cache *c, const struct pp_skb *orig,
				     uint32_t headroom);

#ifdef __cplusplus
}
#endif
#endif /* PKTPIPE_SKB_H */
