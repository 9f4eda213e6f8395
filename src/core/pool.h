/* SPDX-License-Identifier: MIT */
/*
 * core/pool.h - the frame pool's data path, inline: allocation from a lane's
 * stack, frees straight home or staged for a return ring, the offset <->
 * skb arithmetic of the region. Internal: the library inlines these calls;
 * programs get the same calls as exported functions on an opaque cache from
 * <pktpipe/toolkit/pool.h>, which also has the control path (pool.c) and
 * says what a pool is.
 *
 * A pool has `nlanes` allocating caches, each owning an equal share of the
 * frames on a private LIFO stack, and `nfreers` caches that only free
 * (completion threads, stage threads of a split lane). A frame freed by the
 * cache that owns it goes straight back onto its stack; a frame freed
 * anywhere else is staged per destination lane and goes home through an
 * SPSC return ring (one per pair of caches), which is big enough for every
 * frame of its lane, so a free never fails and never blocks.
 *
 * Concurrency: each pp_pool_cache is used by one thread at a time (its owner).
 *
 *   call                            | may run concurrently with
 *   --------------------------------+---------------------------------------
 *   pp_skb_alloc*, pp_skb_free* (c) | the same calls on any other cache
 *   pp_skb_drop (c)                 | as pp_skb_free
 *   pp_skb_tx_copy (c, orig)        | copies of orig on other caches, and the
 *                                   | NIC reading earlier copies; not a
 *                                   | writer of orig
 *   pp_pool_stats                   | anything (counters are snapshots)
 *   pp_pool_create, pp_pool_destroy | nothing on that pool
 *
 * One name, two ways to call, as in core/ring.h: every call below is
 * PP__INLINE, `static inline` in the library's files; core/toolkit.c makes
 * the same definitions the functions <pktpipe/toolkit/pool.h> exports. So
 * library files include this header, never <pktpipe/toolkit/pool.h>.
 */
#ifndef PP_CORE_POOL_H
#define PP_CORE_POOL_H

#if defined(PKTPIPE_TOOLKIT_POOL_H) && !defined(PP__INLINE)
#error "library files include core/pool.h, not <pktpipe/toolkit/pool.h> (see core/toolkit.c)"
#endif
/* `static inline`, except in core/toolkit.c (see core/ring.h) */
#ifndef PP__INLINE
#define PP__INLINE static inline
#endif

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <pktpipe/common.h>
#include <pktpipe/skb.h>
#include <pktpipe/stats.h>
/* the control path and the opaque types, without the data path's plain
 * declarations (which would turn the definitions below into external ones) */
#define PP__POOL_INLINE 1
#include <pktpipe/toolkit/pool.h>

#include "core/ring.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Metadata colouring (cf. slab colouring): frame i keeps its skb at offset
 * (i % PP_FRAME_COLOURS) * 64 inside the frame. Frames are 2 KiB apart, so
 * without it the metadata lines of every frame fall in the same 2 of the 64
 * L1 sets and a burst of 32 skbs cannot stay in L1.
 */
#define PP_FRAME_COLOURS 4
#define PP_FRAME_COLOUR_MAX ((PP_FRAME_COLOURS - 1) * PP_CACHE_LINE)

/** pp_frame_colour() - offset of frame @fi's skb from the frame's start. */
PP__INLINE uint32_t pp_frame_colour(uint64_t fi)
{
	return (uint32_t)(fi & (PP_FRAME_COLOURS - 1)) * PP_CACHE_LINE;
}

/* skb->state */
enum {
	PP_SKB_FREE = 0xf5,	/* on a stack or a return ring */
	PP_SKB_ALLOCATED = 0xa1,
};

/** Most caches a pool has (lanes + freers). */
#define PP_POOL_CACHES_MAX 64

/* One remote-free staging buffer per destination lane (see pp__pool_flush). */
struct pp__pool_stage {
	uint32_t n;
	struct pp_skb *pkts[PP_BURST];
};

/**
 * struct pp_pool_cache - one thread's handle on the pool (opaque outside the
 * library). Do not touch the members outside pool.c and these calls.
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
	void (*wfree)(void *owner, uint32_t bytes); /* const: see pp__pool_set_wfree() */
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

/*
 * pp__pool_set_wfree() - what the pool calls when frames whose skb->sk is set
 * come home: @fn(sk, bytes), bytes the truesize of the frames (consecutive
 * frames of one owner in a burst free are released in one call); NULL: none
 * (such frames go home without a word). Context: control path, before any
 * frame names an owner. @fn runs on whichever thread frees the frame.
 */
void pp__pool_set_wfree(struct pp_pool *pool, void (*fn)(void *owner, uint32_t bytes));

/**
 * pp_pool_skb_from_offset() - the skb whose frame contains region offset
 * @off (what an AF_XDP completion ring returns).
 * Return: the skb, or NULL if @off is outside the region.
 */
PP__INLINE struct pp_skb *pp_pool_skb_from_offset(const struct pp_pool_cache *c, uint64_t off)
{
	uint64_t fi = off >> c->frame_shift;

	if (PP_UNLIKELY(off >= c->region_len))
		return NULL;
	return (struct pp_skb *)(c->base + (fi << c->frame_shift) + pp_frame_colour(fi));
}

/** pp_skb_region_offset() - region offset of the skb's first data byte. */
PP__INLINE uint64_t pp_skb_region_offset(const struct pp_pool_cache *c, const struct pp_skb *skb)
{
	return (uint64_t)(pp_skb_data(skb) - c->base);
}

/* slow paths of the inline calls below (pool.c) */
uint32_t pp__pool_refill(struct pp_pool_cache *c);
void pp__pool_flush(struct pp_pool_cache *c);
void pp__pool_bad_free(struct pp_pool_cache *c, struct pp_skb *skb);

PP__INLINE void pp__skb_init(const struct pp_skb *tmpl, struct pp_skb *skb)
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
PP__INLINE uint32_t pp_skb_alloc_burst(struct pp_pool_cache *c, struct pp_skb **skbs, uint32_t n)
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
PP__INLINE uint32_t pp_skb_alloc_bulk(struct pp_pool_cache *c, struct pp_skb **skbs, uint32_t n)
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
PP__INLINE struct pp_skb *pp_skb_alloc(struct pp_pool_cache *c)
{
	struct pp_skb *skb = NULL;

	pp_skb_alloc_burst(c, &skb, 1);
	return skb;
}

/* Drop one reference; true if it was the last (the frame must go home). */
PP__INLINE bool pp__skb_unref(struct pp_skb *skb)
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
PP__INLINE bool pp__skb_valid(const struct pp_pool_cache *c, const struct pp_skb *skb)
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

PP__INLINE void pp__wacc_flush(struct pp_pool_cache *c, struct pp__wacc *a)
{
	if (a->owner)
		c->wfree(a->owner, a->frames << c->frame_shift);
	a->owner = NULL;
	a->frames = 0;
}

PP__INLINE void pp__wacc_add(struct pp_pool_cache *c, struct pp__wacc *a, void *owner)
{
	if (PP_UNLIKELY(owner != a->owner)) {
		pp__wacc_flush(c, a);
		a->owner = owner;
	}
	a->frames++;
}

/* Put one frame (refcnt already 0) back: own stack or staged for its lane. */
PP__INLINE void pp__skb_release(struct pp_pool_cache *c, struct pp_skb *skb, struct pp__wacc *a)
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
PP__INLINE void pp__skb_free_one(struct pp_pool_cache *c, struct pp_skb *skb, struct pp__wacc *a)
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
PP__INLINE void pp_skb_free_burst(struct pp_pool_cache *c, struct pp_skb *const *skbs, uint32_t n)
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
PP__INLINE void pp_skb_free(struct pp_pool_cache *c, struct pp_skb *skb)
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
PP__INLINE void pp_skb_drop(struct pp_pool_cache *c, struct pp_skb *skb, enum pp_drop_reason why)
{
	skb->drop_reason = (uint8_t)why;
	pp_skb_free(c, skb);
}

/* ---- transmit copies (cf. pskb_copy() in tcp_transmit_skb()) ------------ */

/**
 * pp_skb_tx_copy_room() - bytes (headroom + payload) that every frame of
 * @c's pool holds after its metadata: the frame size less the metadata and
 * the largest colour offset. pp_skb_tx_copy() checks against it, so whether
 * a copy fits never depends on which frame comes off the stack. 1792 for
 * 2 KiB frames: an MSS of 1460 plus 128 bytes of headroom fits.
 * Return: that room, or 0 for a NULL cache.
 * Context: any.
 */
PP__INLINE uint32_t pp_skb_tx_copy_room(const struct pp_pool_cache *c)
{
	if (!c)
		return 0;
	return (1u << c->frame_shift) - PP_FRAME_COLOUR_MAX - PP_SKB_META;
}

#ifdef __cplusplus
}
#endif
#endif /* PP_CORE_POOL_H */
