/* SPDX-License-Identifier: MIT */
/*
 * core/ring.h - bounded lock-free single-producer/single-consumer ring of
 * pointers: the queue at every stage boundary of a pktpipe lane. Internal:
 * the library inlines these calls; programs get the same calls as exported
 * functions on an opaque ring from <pktpipe/toolkit/ring.h>.
 *
 * Design (cf. DPDK rte_ring_c11_pvt.h, libxdp xsk.h):
 *  - power-of-two size; free-running 32-bit indices masked by size - 1, so the
 *    ring holds exactly `size` entries (pp_ring_capacity() == size);
 *  - each side keeps a private copy of the other side's index and touches the
 *    shared cache line only when the copy says full (producer) or empty
 *    (consumer): in steady state a burst costs one shared store per side;
 *  - producer and consumer state on separate cache lines, a guard line after;
 *  - C11 acquire/release only: no locks, no syscalls, no read-modify-write.
 *
 * Two styles of call, on both sides:
 *  - copy calls: pp_ring_enqueue_{burst,bulk}(), pp_ring_dequeue_{burst,bulk}();
 *    "burst" moves up to n and returns how many, "bulk" moves n or nothing.
 *  - in-place calls: reserve slots, fill (or read) them through pp_ring_slot(),
 *    then submit (or release) them, or cancel the reservation.
 *
 * Concurrency: one producer thread and one consumer thread at a time.
 *
 *   call                               | may run concurrently with
 *   -----------------------------------+-----------------------------------
 *   enqueue_*, prod_reserve/submit/... | any consumer call (other thread)
 *   dequeue_*, cons_peek/release/...   | any producer call (other thread)
 *   count, free_count, empty           | anything; the answer is a snapshot
 *   init, reset                        | nothing
 *
 * One name, two ways to call: every call below is PP__INLINE, `static
 * inline` in the library's files, which inline them exactly as before the
 * toolkit existed. core/toolkit.c alone defines PP__INLINE empty before it
 * includes this header, which makes the same definitions, under the same
 * names, the functions <pktpipe/toolkit/ring.h> exports. So library files
 * include this header, never <pktpipe/toolkit/ring.h> (whose plain
 * declarations would clash with the static ones).
 */
#ifndef PP_CORE_RING_H
#define PP_CORE_RING_H

#if defined(PKTPIPE_TOOLKIT_RING_H) && !defined(PP__INLINE)
#error "library files include core/ring.h, not <pktpipe/toolkit/ring.h> (see core/toolkit.c)"
#endif
/* `static inline`, except in core/toolkit.c (above) */
#ifndef PP__INLINE
#define PP__INLINE static inline
#endif

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pktpipe/common.h>
/* the control path and the opaque type, without the data path's plain
 * declarations (which would turn the definitions below into external ones) */
#define PP__RING_INLINE 1
#include <pktpipe/toolkit/ring.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Half of the ring that one side writes. */
struct pp__ring_side {
	_Atomic(uint32_t) pub;	/* published index, read by the other side */
	uint32_t head;		/* private: reserved up to here (>= pub) */
	uint32_t peer_cache;	/* private: last seen index of the other side */
	uint32_t pad_;
};

struct pp_ring {
	/* const after init, read by both sides */
	alignas(PP_CACHE_LINE) uint32_t size;
	uint32_t mask;
	uint32_t flags;
	/* (P) producer: pub = tail of produced entries, peer_cache = consumer pub */
	alignas(PP_CACHE_LINE) struct pp__ring_side prod;
	/* (C) consumer: pub = tail of consumed entries, peer_cache = producer pub */
	alignas(PP_CACHE_LINE) struct pp__ring_side cons;
	/* guard line: keeps the consumer's line from sharing an adjacent-line
	 * prefetch pair with the first slots */
	alignas(PP_CACHE_LINE) uint8_t guard_[PP_CACHE_LINE];
	alignas(PP_CACHE_LINE) void *slot[];
};

/** pp_ring_capacity() - entries the ring really holds (== its size). */
PP__INLINE uint32_t pp_ring_capacity(const struct pp_ring *r)
{
	return r->size;
}

/** pp_ring_count() - entries in the ring now (a snapshot from any thread). */
PP__INLINE uint32_t pp_ring_count(const struct pp_ring *r)
{
	uint32_t p = atomic_load_explicit(&r->prod.pub, memory_order_acquire);
	uint32_t c = atomic_load_explicit(&r->cons.pub, memory_order_acquire);
	uint32_t n = p - c;

	/* Loaded in two steps, so a racing snapshot can be off; clamp it. */
	return n > r->size ? r->size : n;
}

/** pp_ring_free_count() - free slots now (a snapshot from any thread). */
PP__INLINE uint32_t pp_ring_free_count(const struct pp_ring *r)
{
	return r->size - pp_ring_count(r);
}

/** pp_ring_empty() - true if the ring holds nothing (snapshot). */
PP__INLINE bool pp_ring_empty(const struct pp_ring *r)
{
	return pp_ring_count(r) == 0;
}

/**
 * pp_ring_slot() - the slot for free-running index @idx, as returned by
 * pp_ring_prod_reserve() or pp_ring_cons_peek() plus an offset.
 */
PP__INLINE void **pp_ring_slot(struct pp_ring *r, uint32_t idx)
{
	return &r->slot[idx & r->mask];
}

/*
 * Slot copies (internal; callers own the slots from @idx). A short burst, or
 * one that wraps, takes one masked loop: tight code, nothing to set up. A
 * longer one is a single contiguous run with no mask per entry, which the
 * compiler unrolls and vectorises (cf. DPDK __rte_ring_enqueue_elems_64()).
 */
#define PP__RING_COPY_SHORT 4

PP__INLINE void pp__ring_copy_in(struct pp_ring *r, uint32_t idx, void *const *objs, uint32_t n)
{
	uint32_t at = idx & r->mask;

	if (n <= PP__RING_COPY_SHORT || PP_UNLIKELY(at + n > r->size)) {
		for (uint32_t i = 0; i < n; i++)
			r->slot[(idx + i) & r->mask] = objs[i];
		return;
	}
	void **__restrict dst = &r->slot[at];
	void *const *__restrict src = objs;

	for (uint32_t i = 0; i < n; i++)
		dst[i] = src[i];
}

PP__INLINE void pp__ring_copy_out(const struct pp_ring *r, uint32_t idx, void **objs, uint32_t n)
{
	uint32_t at = idx & r->mask;

	if (n <= PP__RING_COPY_SHORT || PP_UNLIKELY(at + n > r->size)) {
		for (uint32_t i = 0; i < n; i++)
			objs[i] = r->slot[(idx + i) & r->mask];
		return;
	}
	void *const *__restrict src = &r->slot[at];
	void **__restrict dst = objs;

	for (uint32_t i = 0; i < n; i++)
		dst[i] = src[i];
}

/* ---- producer side ------------------------------------------------------ */

/**
 * pp_ring_prod_reserve() - reserve up to @n slots for writing.
 * @idx: set to the free-running index of the first reserved slot.
 * Return: slots reserved (0..@n); they become visible to the consumer only at
 * pp_ring_prod_submit(). Reservations accumulate until submitted or cancelled.
 * Context: producer thread.
 */
PP__INLINE uint32_t pp_ring_prod_reserve(struct pp_ring *r, uint32_t n, uint32_t *idx)
{
	uint32_t head = r->prod.head;
	uint32_t room = r->size - (head - r->prod.peer_cache);

	if (PP_UNLIKELY(room < n)) {
		/* (A) pairs with (D) in pp_ring_cons_release(): the consumer is
		 * done reading the slots it released. */
		r->prod.peer_cache = atomic_load_explicit(&r->cons.pub, memory_order_acquire);
		room = r->size - (head - r->prod.peer_cache);
		if (room < n)
			n = room;
	}
	*idx = head;
	r->prod.head = head + n;
	return n;
}

/**
 * pp_ring_prod_submit() - publish the oldest @n reserved slots.
 * Context: producer thread; @n must not exceed what is reserved.
 */
PP__INLINE void pp_ring_prod_submit(struct pp_ring *r, uint32_t n)
{
	uint32_t pub = atomic_load_explicit(&r->prod.pub, memory_order_relaxed);

	/* (B) pairs with (C) in pp_ring_cons_peek(): slot writes happen before
	 * the consumer can see the new index. */
	atomic_store_explicit(&r->prod.pub, pub + n, memory_order_release);
}

/**
 * pp_ring_prod_cancel() - give back the newest @n reserved, unsubmitted slots.
 * Context: producer thread.
 */
PP__INLINE void pp_ring_prod_cancel(struct pp_ring *r, uint32_t n)
{
	r->prod.head -= n;
}

/**
 * pp_ring_enqueue_burst() - enqueue up to @n pointers from @objs.
 * Return: how many were enqueued; the caller keeps objs[ret..n).
 * Context: producer thread.
 */
PP__INLINE uint32_t pp_ring_enqueue_burst(struct pp_ring *r, void *const *objs, uint32_t n)
{
	uint32_t idx;
	uint32_t got = pp_ring_prod_reserve(r, n, &idx);

	/* full: skip the submit, whose load and store of our own index
	 * would chain one failed try to the next (see empty, below) */
	if (PP_UNLIKELY(!got))
		return 0;
	pp__ring_copy_in(r, idx, objs, got);
	pp_ring_prod_submit(r, got);
	return got;
}

/**
 * pp_ring_enqueue_bulk() - enqueue all @n pointers or none.
 * Return: @n, or 0 if there was no room for all of them.
 * Context: producer thread.
 */
PP__INLINE uint32_t pp_ring_enqueue_bulk(struct pp_ring *r, void *const *objs, uint32_t n)
{
	uint32_t idx;
	uint32_t got = pp_ring_prod_reserve(r, n, &idx);

	if (PP_UNLIKELY(got != n)) {
		pp_ring_prod_cancel(r, got);
		return 0;
	}
	pp__ring_copy_in(r, idx, objs, n);
	pp_ring_prod_submit(r, n);
	return n;
}

/** pp_ring_enqueue() - enqueue one pointer. Return: true if enqueued. */
PP__INLINE bool pp_ring_enqueue(struct pp_ring *r, void *obj)
{
	return pp_ring_enqueue_burst(r, &obj, 1) == 1;
}

/* ---- consumer side ------------------------------------------------------ */

/**
 * pp_ring_cons_peek() - claim up to @n filled slots for reading in place.
 * @idx: set to the free-running index of the first claimed slot.
 * Return: slots claimed (0..@n); they are freed for the producer only at
 * pp_ring_cons_release().
 * Context: consumer thread.
 */
PP__INLINE uint32_t pp_ring_cons_peek(struct pp_ring *r, uint32_t n, uint32_t *idx)
{
	uint32_t head = r->cons.head;
	uint32_t avail = r->cons.peer_cache - head;

	if (PP_UNLIKELY(avail < n)) {
		/* (C) pairs with (B) in pp_ring_prod_submit(). */
		r->cons.peer_cache = atomic_load_explicit(&r->prod.pub, memory_order_acquire);
		avail = r->cons.peer_cache - head;
		if (avail < n)
			n = avail;
	}
	*idx = head;
	r->cons.head = head + n;
	return n;
}

/**
 * pp_ring_cons_release() - free the oldest @n claimed slots for the producer.
 * Context: consumer thread.
 */
PP__INLINE void pp_ring_cons_release(struct pp_ring *r, uint32_t n)
{
	uint32_t pub = atomic_load_explicit(&r->cons.pub, memory_order_relaxed);

	/* (D) pairs with (A) in pp_ring_prod_reserve(): slot reads happen
	 * before the producer may overwrite them. */
	atomic_store_explicit(&r->cons.pub, pub + n, memory_order_release);
}

/**
 * pp_ring_cons_cancel() - put back the newest @n claimed, unreleased slots;
 * the next peek returns them again.
 * Context: consumer thread.
 */
PP__INLINE void pp_ring_cons_cancel(struct pp_ring *r, uint32_t n)
{
	r->cons.head -= n;
}

/**
 * pp_ring_dequeue_burst() - dequeue up to @n pointers into @objs.
 * Return: how many were dequeued (0 when empty).
 * Context: consumer thread.
 */
PP__INLINE uint32_t pp_ring_dequeue_burst(struct pp_ring *r, void **objs, uint32_t n)
{
	uint32_t idx;
	uint32_t got = pp_ring_cons_peek(r, n, &idx);

	/* empty: skip the release, whose load and store of our own index
	 * chained one poll to the next: 5.3 -> 1.1 ns an empty poll
	 * (bench/RESULTS.md), and an idle stage does nothing else */
	if (PP_UNLIKELY(!got))
		return 0;
	pp__ring_copy_out(r, idx, objs, got);
	pp_ring_cons_release(r, got);
	return got;
}

/**
 * pp_ring_dequeue_bulk() - dequeue exactly @n pointers or none.
 * Return: @n, or 0 if fewer were available.
 * Context: consumer thread.
 */
PP__INLINE uint32_t pp_ring_dequeue_bulk(struct pp_ring *r, void **objs, uint32_t n)
{
	uint32_t idx;
	uint32_t got = pp_ring_cons_peek(r, n, &idx);

	if (PP_UNLIKELY(got != n)) {
		pp_ring_cons_cancel(r, got);
		return 0;
	}
	pp__ring_copy_out(r, idx, objs, n);
	pp_ring_cons_release(r, n);
	return n;
}

/** pp_ring_dequeue() - dequeue one pointer. Return: it, or NULL if empty. */
PP__INLINE void *pp_ring_dequeue(struct pp_ring *r)
{
	void *obj = NULL;

	pp_ring_dequeue_burst(r, &obj, 1);
	return obj;
}

#ifdef __cplusplus
}
#endif
#endif /* PP_CORE_RING_H */
